//! Recurring revenue math (`crm.mrr_summary`): every customer's MRR per calendar month, and
//! the MRR bridge (movements) and revenue retention computed from it.
//!
//! A summary is a list of `(customer key, month, mrr)` rows. Rows are appended as they come;
//! before a summary is read or written it is *settled*: sorted by customer and month, the rows
//! of one customer-month added up (exactly, in `Decimal`), and zero amounts dropped (a month
//! with no row is 0 anyway). The first and last month of any row, zero rows included, are kept
//! apart: they decide which months the bridge covers. A row takes 40 bytes in memory; the
//! binary form takes about 6 bytes per row for bigint ids (keys and months delta-coded).
//!
//! Files by concern: this one holds the summary and its rows (adding, merging, settling);
//! `months` the month and date texts, `bridge` the MRR bridge, `retention` net and gross revenue
//! retention, `forms` the binary and text forms.
use rust_decimal::Decimal;

use crate::common::error::{MetricError, MetricResult};
use crate::common::interrupt::{checked, Ticker};
use crate::common::keys::KeyKind;
use crate::common::limits::{check_state_bytes, out_of_memory, vec_bytes};
use crate::common::money;

mod bridge;
mod forms;
mod months;
mod retention;

pub use months::{date_text, month_of_date, parse_date_text};

/// What a summary's rows are, in messages.
const WHAT: &str = "customer-months";
pub const FORMAT_VERSION: u8 = 1;
/// SQL name of the type, used in messages about its binary and text forms.
const TYPE_NAME: &str = "crm.mrr_summary";
/// Most rows one summary holds (640 MiB; the row vector's capacity never exceeds it). A larger
/// vector could fail to allocate, and a failed allocation aborts the backend, so the summary
/// refuses with a clean error instead.
#[cfg(not(test))]
const MAX_ROWS: usize = 1 << 24;
/// A small bound in the unit tests, so that reaching it is tested.
#[cfg(test)]
const MAX_ROWS: usize = 1000;
/// Most months a bridge covers (its rows are built in memory).
const MAX_MONTHS: i64 = 120_000;
/// Smallest encoding of one row: key delta (two varints), month delta, decimal (three bytes).
const MIN_ROW_BYTES: usize = 6;

/// One customer-month: the customer's key (high and low halves, so a row is 40 bytes rather
/// than the 48 a `u128` alignment would take), the month index, and the MRR.
#[derive(Debug, Clone, Copy, PartialEq)]
struct MrrRow {
    key_high: u64,
    key_low: u64,
    month: i32,
    mrr: Decimal,
}

impl MrrRow {
    fn key(&self) -> u128 {
        (u128::from(self.key_high) << 64) | u128::from(self.key_low)
    }

    fn order(&self) -> (u64, u64, i32) {
        (self.key_high, self.key_low, self.month)
    }
}

/// One row of `crm.mrr_movements`.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Movement {
    /// First day of the month, as a Postgres date.
    pub month: i32,
    pub starting_mrr: Decimal,
    pub new_mrr: Decimal,
    pub expansion_mrr: Decimal,
    pub contraction_mrr: Decimal,
    pub churned_mrr: Decimal,
    pub reactivation_mrr: Decimal,
    pub ending_mrr: Decimal,
    pub customers_at_start: u64,
    pub new_customers: u64,
    pub churned_customers: u64,
    pub reactivated_customers: u64,
    pub customers_at_end: u64,
}

/// MRR per customer and month.
#[derive(Debug, Clone)]
pub struct MrrSummary {
    key_kind: KeyKind,
    /// Month indexes (months since January 2000) of the first and last row, zero rows included.
    months: Option<(i32, i32)>,
    rows: Vec<MrrRow>,
    /// Whether `rows` is settled: sorted by (key, month), one row per pair, amounts > 0.
    settled: bool,
}

/// An error of the summary's own functions, which already names the type, as a 22P02; a
/// summary past `crm.max_state_memory` (54000) or the allocator's refusal (53200) stays what
/// it is: the text is well formed.
fn as_text_error(error: MetricError) -> MetricError {
    match error {
        MetricError::LimitExceeded(_) | MetricError::OutOfMemory(_) => error,
        other => MetricError::InvalidText(other.to_string()),
    }
}

#[cold]
#[inline(never)]
fn negative_mrr(function: &str, mrr: Decimal) -> MetricError {
    MetricError::OutOfRange(format!("{function}: mrr {mrr} is negative"))
}

fn too_many_rows(function: &str) -> MetricError {
    MetricError::OutOfRange(format!(
        "{function}: more than {MAX_ROWS} customer-months in one summary"
    ))
}

fn count_overflow(function: &str) -> MetricError {
    MetricError::OutOfRange(format!("{function}: count overflows bigint"))
}

impl MrrSummary {
    pub fn new(key_kind: KeyKind) -> Self {
        MrrSummary {
            key_kind,
            months: None,
            rows: Vec::new(),
            settled: true,
        }
    }

    pub fn key_kind(&self) -> KeyKind {
        self.key_kind
    }

    /// Ok when the summary holds customer ids of type `kind` (a transition adding a row of that
    /// type), else 22023.
    pub fn expect_key_kind(&self, function: &str, kind: KeyKind) -> MetricResult<()> {
        if self.key_kind == kind {
            Ok(())
        } else {
            Err(self.key_kind.mismatch(function, "customer", kind))
        }
    }

    /// Whether no row was added (not even a zero one).
    pub fn is_empty(&self) -> bool {
        self.months.is_none()
    }

    fn extend_months(&mut self, first: i32, last: i32) {
        self.months = Some(match self.months {
            None => (first, last),
            Some((low, high)) => (low.min(first), high.max(last)),
        });
    }

    /// Adds one row: `day` must be the first of a month (22023), `mrr` ≥ 0 (22003).
    #[inline]
    pub fn add(&mut self, function: &str, key: u128, day: i32, mrr: Decimal) -> MetricResult<()> {
        let month = month_of_date(function, "month", day)?;
        if mrr.is_sign_negative() && !mrr.is_zero() {
            return Err(negative_mrr(function, mrr));
        }
        self.extend_months(month, month);
        if mrr.is_zero() {
            return Ok(());
        }
        if self.rows.len() == self.rows.capacity() {
            self.grow(function)?;
        }
        self.rows.push(MrrRow {
            key_high: (key >> 64) as u64,
            key_low: key as u64,
            month,
            mrr,
        });
        self.settled = false;
        Ok(())
    }

    /// Adds another summary's rows (combine and rollup); both must use the same id type.
    pub fn merge(&mut self, function: &str, other: &MrrSummary) -> MetricResult<()> {
        if other.key_kind != self.key_kind {
            return Err(MetricError::InvalidParameter(format!(
                "{function}: cannot merge summaries of {} and {} customer ids",
                self.key_kind.name(),
                other.key_kind.name()
            )));
        }
        if let Some((first, last)) = other.months {
            self.extend_months(first, last);
        }
        if other.rows.is_empty() {
            return Ok(());
        }
        if self.rows.len() + other.rows.len() > MAX_ROWS {
            self.settle(function)?;
            if self.rows.len() + other.rows.len() > MAX_ROWS {
                return Err(too_many_rows(function));
            }
        }
        if self
            .check_memory(function, self.rows.len() + other.rows.len())
            .is_err()
        {
            self.settle(function)?;
            self.check_memory(function, self.rows.len() + other.rows.len())?;
        }
        let wanted = self.rows.len().saturating_add(other.rows.len());
        if self.rows.try_reserve_exact(other.rows.len()).is_err() {
            return Err(out_of_memory(function, WHAT, wanted));
        }
        self.rows.extend_from_slice(&other.rows);
        self.settled = false;
        Ok(())
    }

    /// Makes room for more rows without the capacity ever passing `MAX_ROWS`: doubles it up to
    /// that bound, then settles (merging the rows of a customer-month) and refuses to grow
    /// further when that frees nothing.
    #[cold]
    #[inline(never)]
    fn grow(&mut self, function: &str) -> MetricResult<()> {
        if self.rows.len() >= MAX_ROWS {
            self.settle(function)?;
            if self.rows.len() >= MAX_ROWS {
                return Err(too_many_rows(function));
            }
        }
        let mut wanted = (self.rows.len() * 2).clamp(64, MAX_ROWS);
        if self.check_memory(function, wanted).is_err() {
            // Merging the rows of each customer-month may leave room; else 54000.
            self.settle(function)?;
            wanted = (self.rows.len() * 2).clamp(64, MAX_ROWS);
            self.check_memory(function, wanted)?;
        }
        self.rows
            .try_reserve_exact(wanted.saturating_sub(self.rows.len()).max(1))
            .map_err(|_| out_of_memory(function, WHAT, wanted))
    }

    /// Heap bytes held (charged to the aggregate's memory context).
    pub fn heap_bytes(&self) -> usize {
        vec_bytes(&self.rows)
    }

    /// Fails with 54000 when `rows` rows would pass `crm.max_state_memory`.
    fn check_memory(&self, function: &str, rows: usize) -> MetricResult<()> {
        let bytes = rows.max(self.rows.capacity()) * std::mem::size_of::<MrrRow>();
        check_state_bytes(function, WHAT, bytes)
    }

    /// Sorts the rows by customer and month and adds up the rows of one customer-month.
    pub fn settle(&mut self, function: &str) -> MetricResult<()> {
        if self.settled {
            return Ok(());
        }
        self.rows.sort_unstable_by_key(MrrRow::order);
        let mut kept = 0;
        for index in 0..self.rows.len() {
            let row = self.rows[index];
            if kept > 0 && self.rows[kept - 1].order() == row.order() {
                let total = &mut self.rows[kept - 1].mrr;
                *total = money::add(function, "mrr of a customer-month", *total, row.mrr)?;
            } else {
                self.rows[kept] = row;
                kept += 1;
            }
        }
        self.rows.truncate(kept);
        self.rows.shrink_to_fit();
        self.settled = true;
        Ok(())
    }

    /// The rows of each customer in turn (settled rows required).
    fn customers(&self) -> impl Iterator<Item = &[MrrRow]> {
        self.rows.chunk_by(|a, b| a.key() == b.key())
    }
}

#[cfg(test)]
mod tests;
