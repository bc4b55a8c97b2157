//! Recurring revenue math (`crm.mrr_summary`): every customer's MRR per calendar month, and
//! the MRR bridge (movements) and revenue retention computed from it.
//!
//! A summary is a list of `(customer key, month, mrr)` rows. Rows are appended as they come;
//! before a summary is read or written it is *settled*: sorted by customer and month, the rows
//! of one customer-month added up (exactly, in `Decimal`), and zero amounts dropped (a month
//! with no row is 0 anyway). The first and last month of any row, zero rows included, are kept
//! apart: they decide which months the bridge covers. A row takes 40 bytes in memory; the
//! binary form takes about 6 bytes per row for bigint ids (keys and months delta-coded).
use std::fmt::Write as _;

use crate::common::civil::{civil_from_days, days_from_civil};
use rust_decimal::Decimal;
use serde::Deserialize;

use crate::common::codec::{from_json_object, Reader, Writer};
use crate::common::error::{MetricError, MetricResult};
use crate::common::interrupt::{checked, Ticker};
use crate::common::keys::{parse_key, write_key, KeyKind};
use crate::common::limits::{check_state_bytes, out_of_memory, vec_bytes};
use crate::common::periods::{period_index, period_start_date, Period};
use crate::common::tz::Zone;

/// What the summary keeps, for the memory errors.
const WHAT: &str = "customer-months";
use crate::common::money::{self, read_decimal, write_decimal};

pub const FORMAT_VERSION: u8 = 1;
/// SQL name of the type, used in messages about its binary and text forms.
const TYPE_NAME: &str = "crm.mrr_summary";
const USECS_PER_DAY: i64 = 86_400_000_000;
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

/// The text of a Postgres date (days since 2000-01-01), for messages and the text form:
/// `YYYY-MM-DD` with astronomical years (year 0 is 1 BC), signed below year 0 and above 9999
/// (`-4712-01-01`, `+294276-12-01`), as chrono prints the dates it holds. Every date Postgres
/// holds has a text (chrono's own stop at year 262142 printed `day N`, which nothing read back).
pub fn date_text(day: i32) -> String {
    match day {
        i32::MIN => "-infinity".to_owned(),
        i32::MAX => "infinity".to_owned(),
        _ => {
            let (year, month, day) = civil_from_days(i64::from(day));
            let sign = match year {
                ..=-1 => "-",
                10_000.. => "+",
                _ => "",
            };
            format!("{sign}{:04}-{month:02}-{day:02}", year.abs())
        }
    }
}

/// Reads [`date_text`]'s form: days since 2000-01-01, or `None` for text that is not a real
/// date.
pub fn parse_date_text(text: &str) -> Option<i64> {
    let (sign, unsigned) = match text.as_bytes().first() {
        Some(b'-') => (-1, &text[1..]),
        Some(b'+') => (1, &text[1..]),
        _ => (1, text),
    };
    let mut parts = unsigned.split('-');
    let (year, month, day) = (parts.next()?, parts.next()?, parts.next()?);
    let number = |part: &str, max_digits: usize| -> Option<i64> {
        let digits =
            (1..=max_digits).contains(&part.len()) && part.bytes().all(|b| b.is_ascii_digit());
        digits.then(|| part.parse().ok()).flatten()
    };
    let (year, month, day) = (sign * number(year, 7)?, number(month, 2)?, number(day, 2)?);
    if parts.next().is_some() || !(1..=12).contains(&month) || day < 1 {
        return None;
    }
    let days = days_from_civil(year, month, day);
    (civil_from_days(days) == (year, month, day)).then_some(days)
}

/// The month index of a date that must be the first day of a month (22023 otherwise).
#[inline]
pub fn month_of_date(function: &str, what: &str, day: i32) -> MetricResult<i32> {
    let index = i64::from(day)
        .checked_mul(USECS_PER_DAY)
        .and_then(|timestamp| period_index(function, Period::Month, &Zone::utc(), timestamp).ok());
    match index {
        Some(index) if period_start_date(Period::Month, index) == day => Ok(index),
        Some(_) => Err(not_first_of_month(function, what, day)),
        None => Err(month_out_of_range(function, what, day)),
    }
}

#[cold]
#[inline(never)]
fn not_first_of_month(function: &str, what: &str, day: i32) -> MetricError {
    MetricError::InvalidParameter(format!(
        "{function}: {what} {} is not the first day of a month",
        date_text(day)
    ))
}

/// An infinite date, or a month outside the months of the timestamp range.
#[cold]
#[inline(never)]
fn month_out_of_range(function: &str, what: &str, day: i32) -> MetricError {
    let (low, high) = Period::Month.index_range();
    MetricError::InvalidParameter(format!(
        "{function}: {what} {} is outside the months {} to {}",
        date_text(day),
        date_text(period_start_date(Period::Month, low)),
        date_text(period_start_date(Period::Month, high))
    ))
}

/// An error of the summary's own functions, which already names the type, as a 22P02.
fn as_text_error(error: MetricError) -> MetricError {
    MetricError::InvalidText(error.to_string())
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
            Err(self.key_kind.mismatch(function, kind))
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

    /// The MRR bridge: one row per month from the first to the last month of the data.
    pub fn movements(&mut self, function: &str) -> MetricResult<Vec<Movement>> {
        self.settle(function)?;
        let Some((first, last)) = self.months else {
            return Ok(Vec::new());
        };
        let span = i64::from(last) - i64::from(first) + 1;
        if span > MAX_MONTHS {
            return Err(MetricError::InvalidParameter(format!(
                "{function}: the data spans {span} months, more than {MAX_MONTHS}"
            )));
        }
        let mut months: Vec<Movement> = (first..=last)
            .map(|month| Movement {
                month: period_start_date(Period::Month, month),
                ..Movement::default()
            })
            .collect();
        let slot = |month: i32| (month - first) as usize;
        let add = |total: &mut Decimal, amount: Decimal| -> MetricResult<()> {
            *total = money::add(function, "a month's total", *total, amount)?;
            Ok(())
        };
        let count = |total: &mut u64| -> MetricResult<()> {
            *total = total
                .checked_add(1)
                .ok_or_else(|| count_overflow(function))?;
            Ok(())
        };
        let mut ticker = Ticker::new();
        for rows in self.customers() {
            let mut previous: Option<(i32, Decimal)> = None;
            for row in rows {
                ticker.tick();
                match previous {
                    None => {
                        let this = &mut months[slot(row.month)];
                        add(&mut this.new_mrr, row.mrr)?;
                        count(&mut this.new_customers)?;
                    }
                    Some((month, mrr)) if month + 1 == row.month => {
                        let this = &mut months[slot(row.month)];
                        if row.mrr > mrr {
                            let change = money::sub(function, "an expansion", row.mrr, mrr)?;
                            add(&mut this.expansion_mrr, change)?;
                        } else if row.mrr < mrr {
                            let change = money::sub(function, "a contraction", mrr, row.mrr)?;
                            add(&mut this.contraction_mrr, change)?;
                        }
                    }
                    Some((month, mrr)) => {
                        let churned = &mut months[slot(month + 1)];
                        add(&mut churned.churned_mrr, mrr)?;
                        count(&mut churned.churned_customers)?;
                        let this = &mut months[slot(row.month)];
                        add(&mut this.reactivation_mrr, row.mrr)?;
                        count(&mut this.reactivated_customers)?;
                    }
                }
                let this = &mut months[slot(row.month)];
                add(&mut this.ending_mrr, row.mrr)?;
                count(&mut this.customers_at_end)?;
                previous = Some((row.month, row.mrr));
            }
            if let Some((month, mrr)) = previous.filter(|&(month, _)| month < last) {
                let churned = &mut months[slot(month + 1)];
                add(&mut churned.churned_mrr, mrr)?;
                count(&mut churned.churned_customers)?;
            }
        }
        for index in checked(1..months.len()) {
            months[index].starting_mrr = months[index - 1].ending_mrr;
            months[index].customers_at_start = months[index - 1].customers_at_end;
        }
        Ok(months)
    }

    /// Σ mrr in `from` and in `to`, and Σ min of the two, over the customers with mrr > 0 in
    /// `from` (month indexes).
    fn retained(
        &mut self,
        function: &str,
        from: i32,
        to: i32,
    ) -> MetricResult<(Decimal, Decimal, Decimal)> {
        self.settle(function)?;
        let amount_in = |rows: &[MrrRow], month: i32| {
            rows.binary_search_by_key(&month, |row| row.month)
                .map_or(Decimal::ZERO, |at| rows[at].mrr)
        };
        let (mut from_total, mut to_total, mut kept_total) =
            (Decimal::ZERO, Decimal::ZERO, Decimal::ZERO);
        for rows in checked(self.customers()) {
            let from_mrr = amount_in(rows, from);
            if from_mrr.is_zero() {
                continue;
            }
            let to_mrr = amount_in(rows, to);
            from_total = money::add(function, "mrr total", from_total, from_mrr)?;
            to_total = money::add(function, "mrr total", to_total, to_mrr)?;
            kept_total = money::add(function, "mrr total", kept_total, to_mrr.min(from_mrr))?;
        }
        Ok((from_total, to_total, kept_total))
    }

    fn retention_months(function: &str, from_day: i32, to_day: i32) -> MetricResult<(i32, i32)> {
        let from = month_of_date(function, "from_month", from_day)?;
        let to = month_of_date(function, "to_month", to_day)?;
        if to < from {
            return Err(MetricError::InvalidParameter(format!(
                "{function}: to_month {} is before from_month {}",
                date_text(to_day),
                date_text(from_day)
            )));
        }
        Ok((from, to))
    }

    /// Net revenue retention: Σ mrr in to_month / Σ mrr in from_month over the customers with
    /// mrr > 0 in from_month; `None` without such customers.
    pub fn net_revenue_retention(
        &mut self,
        from_day: i32,
        to_day: i32,
    ) -> MetricResult<Option<f64>> {
        const F: &str = "crm.net_revenue_retention";
        let (from, to) = Self::retention_months(F, from_day, to_day)?;
        let (from_total, to_total, _) = self.retained(F, from, to)?;
        Ok(money::ratio(to_total, from_total))
    }

    /// Gross revenue retention: Σ min(mrr in to_month, mrr in from_month) / Σ mrr in from_month
    /// over the customers with mrr > 0 in from_month; `None` without such customers.
    pub fn gross_revenue_retention(
        &mut self,
        from_day: i32,
        to_day: i32,
    ) -> MetricResult<Option<f64>> {
        const F: &str = "crm.gross_revenue_retention";
        let (from, to) = Self::retention_months(F, from_day, to_day)?;
        let (from_total, _, kept_total) = self.retained(F, from, to)?;
        Ok(money::ratio(kept_total, from_total))
    }

    /// Settles for writing. The aggregates' final functions settle (and raise an overflow)
    /// before a summary can be written, so this never fails on a summary that reaches SQL; if
    /// it did, the rows would stay unsettled and the written form would be refused on reading.
    fn settle_for_writing(&mut self) {
        if self.settle(TYPE_NAME).is_err() {
            self.settled = false;
        }
    }

    /// Binary form (settles first): version, id type, months, then the rows with keys, months
    /// and amounts delta-coded.
    pub fn encode(&mut self) -> Vec<u8> {
        self.settle_for_writing();
        let mut writer = Writer::with_version(FORMAT_VERSION);
        writer.u8(self.key_kind.code());
        let (first, last) = self.months.unwrap_or((0, -1));
        writer.u8(u8::from(self.months.is_some()));
        writer.i64(i64::from(first)).i64(i64::from(last));
        writer.u64(self.rows.len() as u64);
        let mut previous: Option<MrrRow> = None;
        for row in checked(&self.rows) {
            let same_customer = previous.is_some_and(|p| p.key() == row.key());
            let delta = row.key().wrapping_sub(previous.map_or(0, |p| p.key()));
            writer.u64(delta as u64).u64((delta >> 64) as u64);
            let base = match previous {
                Some(p) if same_customer => p.month,
                _ => first,
            };
            writer.u64((i64::from(row.month) - i64::from(base)) as u64);
            write_decimal(&mut writer, row.mrr);
            previous = Some(*row);
        }
        writer.finish()
    }

    pub fn decode(bytes: &[u8]) -> MetricResult<Self> {
        let invalid = |message: &str| MetricError::InvalidBinary(format!("{TYPE_NAME}: {message}"));
        let mut reader = Reader::open(bytes, FORMAT_VERSION, TYPE_NAME)?;
        let code = reader.u8()?;
        let key_kind = KeyKind::ALL
            .into_iter()
            .find(|kind| kind.code() == code)
            .ok_or_else(|| invalid("unknown customer id type"))?;
        let has_months = reader.u8()?;
        let first = i32::try_from(reader.i64()?).map_err(|_| invalid("month out of range"))?;
        let last = i32::try_from(reader.i64()?).map_err(|_| invalid("month out of range"))?;
        let months = match has_months {
            0 => None,
            1 => Some((first, last)),
            _ => return Err(invalid("malformed month range")),
        };
        let count = usize::try_from(reader.u64()?).map_err(|_| invalid("too many rows"))?;
        if count > reader.remaining() / MIN_ROW_BYTES || count > MAX_ROWS {
            return Err(invalid("row count exceeds the value"));
        }
        let mut rows = Vec::with_capacity(count);
        let mut previous: Option<MrrRow> = None;
        for _ in checked(0..count) {
            let delta = u128::from(reader.u64()?) | (u128::from(reader.u64()?) << 64);
            let key = previous.map_or(0, |p| p.key()).wrapping_add(delta);
            let same_customer = previous.is_some() && delta == 0;
            let base = match previous {
                Some(p) if same_customer => p.month,
                _ => first,
            };
            let month = i64::from(base)
                .checked_add(
                    i64::try_from(reader.u64()?).map_err(|_| invalid("month out of range"))?,
                )
                .and_then(|month| i32::try_from(month).ok())
                .ok_or_else(|| invalid("month out of range"))?;
            let mrr = read_decimal(&mut reader, TYPE_NAME)?;
            let row = MrrRow {
                key_high: (key >> 64) as u64,
                key_low: key as u64,
                month,
                mrr,
            };
            rows.push(row);
            previous = Some(row);
        }
        reader.finish()?;
        Self::validated(key_kind, months, rows, MetricError::InvalidBinary)
    }

    /// Checks that settled rows are in order, positive and inside the month range.
    fn validated(
        key_kind: KeyKind,
        months: Option<(i32, i32)>,
        rows: Vec<MrrRow>,
        error: fn(String) -> MetricError,
    ) -> MetricResult<Self> {
        let fail = |message: &str| Err(error(format!("{TYPE_NAME}: {message}")));
        let (low, high) = Period::Month.index_range();
        match months {
            Some((first, last)) if first > last || first < low || last > high => {
                return fail("malformed month range")
            }
            None if !rows.is_empty() => return fail("rows without a month range"),
            _ => {}
        }
        let (first, last) = months.unwrap_or((0, -1));
        for (index, row) in rows.iter().enumerate() {
            if index > 0 && rows[index - 1].order() >= row.order() {
                return fail("rows out of order or repeated");
            }
            if row.month < first || row.month > last {
                return fail("a row outside the month range");
            }
            if row.mrr.is_sign_negative() || row.mrr.is_zero() {
                return fail("amounts must be positive");
            }
            if key_kind == KeyKind::BigInt && row.key_high != 0 {
                return fail("customer key is not a bigint");
            }
        }
        Ok(MrrSummary {
            key_kind,
            months,
            rows,
            settled: true,
        })
    }

    /// Readable JSON form (settles first): customers in key order with their months and
    /// amounts, e.g. `{"version":1,"key":"bigint","first_month":"2025-01-01",
    /// "last_month":"2025-03-01","customers":[["42",[["2025-01-01","100.00"],["2025-02-01","120.00"]]]]}`.
    pub fn to_text(&mut self) -> String {
        self.settle_for_writing();
        let month_text = |month: i32| date_text(period_start_date(Period::Month, month));
        let mut text = String::with_capacity(96 + 32 * self.rows.len());
        let (first, last) = match self.months {
            Some((first, last)) => (
                format!("\"{}\"", month_text(first)),
                format!("\"{}\"", month_text(last)),
            ),
            None => ("null".to_owned(), "null".to_owned()),
        };
        // Writing to a String cannot fail.
        let _ = write!(
            text,
            r#"{{"version":{FORMAT_VERSION},"key":"{}","first_month":{first},"last_month":{last},"customers":["#,
            self.key_kind.name()
        );
        for (n, rows) in checked(self.customers()).enumerate() {
            if n > 0 {
                text.push(',');
            }
            text.push_str("[\"");
            write_key(&mut text, self.key_kind, rows[0].key());
            text.push_str("\",[");
            for (m, row) in rows.iter().enumerate() {
                if m > 0 {
                    text.push(',');
                }
                let _ = write!(text, "[\"{}\",\"{}\"]", month_text(row.month), row.mrr);
            }
            text.push_str("]]");
        }
        text.push_str("]}");
        text
    }

    /// Reads [`MrrSummary::to_text`]'s form; customers and months may come in any order and
    /// repeat (they add up).
    pub fn from_text(text: &str) -> MetricResult<Self> {
        let invalid = |message: String| MetricError::InvalidText(format!("{TYPE_NAME}: {message}"));
        let form: TextForm = from_json_object(text).map_err(|e| invalid(e.to_string()))?;
        if form.version != FORMAT_VERSION {
            return Err(invalid(format!(
                "unsupported version {} (expected {FORMAT_VERSION})",
                form.version
            )));
        }
        let key_kind = KeyKind::ALL
            .into_iter()
            .find(|kind| kind.name().eq_ignore_ascii_case(&form.key))
            .ok_or_else(|| {
                invalid(format!(
                    "unknown customer id type '{}' (expected bigint, text or uuid)",
                    form.key
                ))
            })?;
        let month = |text: &str| -> MetricResult<i32> {
            let day = parse_date_text(text)
                .ok_or_else(|| invalid(format!("malformed month '{text}'")))?;
            let day =
                i32::try_from(day).map_err(|_| invalid(format!("month '{text}' out of range")))?;
            month_of_date(TYPE_NAME, "month", day).map_err(as_text_error)
        };
        let months = match (form.first_month.as_deref(), form.last_month.as_deref()) {
            (Some(first), Some(last)) => Some((month(first)?, month(last)?)),
            (None, None) => None,
            _ => return Err(invalid("first_month and last_month go together".to_owned())),
        };
        let mut summary = MrrSummary::new(key_kind);
        for (id, amounts) in checked(&form.customers) {
            let key = parse_key(key_kind, id).ok_or_else(|| {
                invalid(format!("malformed {} customer id '{id}'", key_kind.name()))
            })?;
            for (month_text, amount) in amounts {
                let mrr =
                    money::decimal_from_text(TYPE_NAME, "mrr", amount).map_err(as_text_error)?;
                let day = period_start_date(Period::Month, month(month_text)?);
                summary
                    .add(TYPE_NAME, key, day, mrr)
                    .map_err(as_text_error)?;
            }
        }
        summary.settle(TYPE_NAME).map_err(as_text_error)?;
        match (months, summary.months) {
            (Some((first, last)), Some((low, high))) if first > low || last < high => {
                return Err(invalid(
                    "a month outside first_month .. last_month".to_owned(),
                ))
            }
            (None, Some(_)) => return Err(invalid("customers without a month range".to_owned())),
            _ => {}
        }
        let MrrSummary { rows, .. } = summary;
        Self::validated(key_kind, months, rows, MetricError::InvalidText)
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TextForm {
    version: u8,
    key: String,
    first_month: Option<String>,
    last_month: Option<String>,
    customers: Vec<(String, Vec<(String, String)>)>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::common::keys::{key_from_bigint, key_from_text};
    use chrono::NaiveDate;
    use proptest::prelude::*;
    use std::collections::BTreeMap;
    use std::str::FromStr;

    const F: &str = "crm.mrr_agg";

    fn d(text: &str) -> Decimal {
        Decimal::from_str(text).unwrap()
    }

    /// Postgres date of the first of a month.
    fn first_of(year: i32, month: u32) -> i32 {
        let date = NaiveDate::from_ymd_opt(year, month, 1).unwrap();
        (date - NaiveDate::from_ymd_opt(2000, 1, 1).unwrap()).num_days() as i32
    }

    /// Found by the generators: the binary form of a bigint summary accepted keys past
    /// 64 bits, which its text form printed as another customer's id.
    #[test]
    fn binary_bigint_keys_must_be_bigints() {
        let mut one = summary(&[(5, 2025, 1, "20")]);
        let good = one.encode();
        assert!(MrrSummary::decode(&good).is_ok());
        // Version, id type, month flag and range (two zigzag varints), row count, then the
        // first row's key delta: low half, high half.
        let high_half = 1 + 1 + 1 + 2 + 2 + 1 + 1;
        assert_eq!((good[high_half - 1], good[high_half]), (5, 0));
        let mut forged = good.clone();
        forged[high_half] = 1;
        assert!(matches!(
            MrrSummary::decode(&forged),
            Err(MetricError::InvalidBinary(m)) if m.contains("not a bigint")
        ));
    }

    /// Found by the hostile-input tests: a summary with a month past year 262142
    /// (chrono's last) printed the month as `day N`, which its own text input refused, so such a
    /// summary could not be dumped and restored. Every month a timestamp holds round-trips now,
    /// and the signed forms printed before still read.
    #[test]
    fn every_month_round_trips_through_the_text_form() {
        let (low, high) = Period::Month.index_range();
        for index in [
            low,
            low + 1,
            -1,
            0,
            1,
            95_988,
            96_000,
            3_143_000,
            high - 1,
            high,
        ] {
            let day = period_start_date(Period::Month, index);
            let mut one = MrrSummary::new(KeyKind::BigInt);
            one.add(F, key_from_bigint(1), day, d("1.5")).unwrap();
            let text = one.to_text();
            let mut again = MrrSummary::from_text(&text).unwrap();
            assert_eq!(again.to_text(), text);
            assert_eq!(again.encode(), one.encode());
            assert_eq!(
                parse_date_text(&date_text(day)),
                Some(i64::from(day)),
                "{text}"
            );
        }
        assert_eq!(
            date_text(period_start_date(Period::Month, high)),
            "+294277-01-01"
        );
        assert_eq!(
            date_text(period_start_date(Period::Month, low)),
            "-4713-12-01"
        );
        assert_eq!(date_text(first_of(2025, 3)), "2025-03-01");
        assert_eq!(date_text(first_of(20_000, 1)), "+20000-01-01");
        assert_eq!(date_text(first_of(5, 1)), "0005-01-01");
        assert_eq!(date_text(first_of(-5, 1)), "-0005-01-01");
        for text in [
            "2025-02-30",
            "2025-13-01",
            "2025-00-01",
            "x-01-01",
            "2025-01",
            "2025-01-01-01",
            "",
            "-",
            "+-1-01-01",
        ] {
            assert_eq!(parse_date_text(text), None, "{text}");
        }
        assert!(matches!(
            month_of_date(F, "month", period_start_date(Period::Month, high) + 31),
            Err(MetricError::InvalidParameter(m)) if m.contains("outside the months")
        ));
        let text = r#"{"version":1,"key":"bigint","first_month":"2025-01-01","last_month":"2025-01-01","customers":[["5",[["2025-01-01","-20"]]]]}"#;
        assert_eq!(
            MrrSummary::from_text(text).unwrap_err(),
            MetricError::InvalidText("crm.mrr_summary: mrr -20 is negative".to_owned())
        );
    }

    fn summary(rows: &[(i64, i32, u32, &str)]) -> MrrSummary {
        let mut summary = MrrSummary::new(KeyKind::BigInt);
        for &(id, year, month, mrr) in rows {
            summary
                .add(F, key_from_bigint(id), first_of(year, month), d(mrr))
                .unwrap();
        }
        summary
    }

    fn check_balance(movements: &[Movement]) {
        for row in movements {
            assert_eq!(
                row.ending_mrr,
                row.starting_mrr + row.new_mrr + row.expansion_mrr + row.reactivation_mrr
                    - row.contraction_mrr
                    - row.churned_mrr
            );
            assert_eq!(
                row.customers_at_end,
                row.customers_at_start + row.new_customers + row.reactivated_customers
                    - row.churned_customers
            );
        }
    }

    #[test]
    fn movements_of_a_small_history() {
        // 1: 100 → 150 (expansion) → 120 (contraction) → gap (churn) → 80 (reactivation)
        // 2: duplicates in January add up (50 + 50), churns in March
        // 3: only ever pays 0 (explicit zero rows)
        // 4: new in April
        let mut s = summary(&[
            (1, 2025, 1, "100"),
            (1, 2025, 2, "150"),
            (1, 2025, 3, "120"),
            (1, 2025, 5, "80"),
            (2, 2025, 1, "50"),
            (2, 2025, 1, "50.00"),
            (2, 2025, 2, "100"),
            (2, 2025, 3, "0"),
            (3, 2025, 2, "0"),
            (3, 2025, 5, "0"),
            (4, 2025, 4, "30"),
        ]);
        let movements = s.movements(F).unwrap();
        check_balance(&movements);
        let months: Vec<_> = movements.iter().map(|m| date_text(m.month)).collect();
        assert_eq!(
            months,
            [
                "2025-01-01",
                "2025-02-01",
                "2025-03-01",
                "2025-04-01",
                "2025-05-01"
            ]
        );
        let january = &movements[0];
        assert_eq!(
            (january.new_mrr, january.new_customers, january.ending_mrr),
            (d("200"), 2, d("200"))
        );
        let february = &movements[1];
        assert_eq!(
            (february.expansion_mrr, february.ending_mrr),
            (d("50"), d("250"))
        );
        let march = &movements[2];
        assert_eq!(
            (
                march.contraction_mrr,
                march.churned_mrr,
                march.churned_customers
            ),
            (d("30"), d("100"), 1)
        );
        let april = &movements[3];
        assert_eq!(
            (april.churned_mrr, april.new_mrr, april.ending_mrr),
            (d("120"), d("30"), d("30"))
        );
        let may = &movements[4];
        assert_eq!(
            (
                may.reactivation_mrr,
                may.reactivated_customers,
                may.churned_mrr,
                may.ending_mrr,
                may.customers_at_end
            ),
            // 1 comes back; 4 paid only in April and churns
            (d("80"), 1, d("30"), d("80"), 1)
        );
    }

    #[test]
    fn revenue_retention() {
        let mut s = summary(&[
            (1, 2025, 1, "100"),
            (1, 2025, 4, "150"),
            (2, 2025, 1, "100"),
            (2, 2025, 4, "50"),
            (3, 2025, 1, "100"),
            (4, 2025, 4, "1000"),
        ]);
        let (jan, apr) = (first_of(2025, 1), first_of(2025, 4));
        let nrr = s.net_revenue_retention(jan, apr).unwrap().unwrap();
        assert!((nrr - 200.0 / 300.0).abs() < 1e-15);
        assert_eq!(
            s.gross_revenue_retention(jan, apr).unwrap(),
            Some(150.0 / 300.0)
        );
        assert_eq!(s.net_revenue_retention(jan, jan).unwrap(), Some(1.0));
        assert_eq!(
            s.net_revenue_retention(first_of(2024, 1), apr).unwrap(),
            None
        );
        assert!(matches!(
            s.net_revenue_retention(apr, jan),
            Err(MetricError::InvalidParameter(_))
        ));
        assert!(matches!(
            s.gross_revenue_retention(jan + 1, apr),
            Err(MetricError::InvalidParameter(_))
        ));
    }

    #[test]
    fn bad_rows() {
        let mut s = MrrSummary::new(KeyKind::BigInt);
        assert!(matches!(
            s.add(F, 1, first_of(2025, 1) + 14, d("1")),
            Err(MetricError::InvalidParameter(_))
        ));
        for day in [i32::MIN, i32::MAX, i32::MAX - 40] {
            assert!(matches!(
                s.add(F, 1, day, d("1")),
                Err(MetricError::InvalidParameter(_))
            ));
        }
        assert!(matches!(
            s.add(F, 1, first_of(2025, 1), d("-0.01")),
            Err(MetricError::OutOfRange(_))
        ));
        s.add(F, 1, first_of(2025, 1), Decimal::MAX).unwrap();
        s.add(F, 1, first_of(2025, 1), d("1")).unwrap();
        assert!(matches!(s.settle(F), Err(MetricError::OutOfRange(_))));
        let mut text = MrrSummary::new(KeyKind::Text);
        assert!(text.merge(F, &MrrSummary::new(KeyKind::BigInt)).is_err());
        // A row of another id type (a transition called with another aggregate's state).
        assert_eq!(
            text.expect_key_kind(F, KeyKind::Uuid),
            Err(MetricError::InvalidParameter(
                "crm.mrr_agg: cannot add a uuid customer id to a summary of text customer ids"
                    .into()
            ))
        );
        assert!(text.expect_key_kind(F, KeyKind::Text).is_ok());
    }

    #[test]
    fn the_row_bound_is_a_clean_error() {
        let january = first_of(2025, 1);
        let mut distinct = MrrSummary::new(KeyKind::BigInt);
        for id in 0..MAX_ROWS as i64 {
            distinct
                .add(F, key_from_bigint(id), january, d("1"))
                .unwrap();
        }
        assert!(distinct.rows.capacity() <= MAX_ROWS);
        assert!(matches!(
            distinct.add(F, key_from_bigint(-1), january, d("1")),
            Err(MetricError::OutOfRange(_))
        ));
        let mut other = MrrSummary::new(KeyKind::BigInt);
        other.add(F, key_from_bigint(-1), january, d("1")).unwrap();
        assert!(matches!(
            distinct.merge(F, &other),
            Err(MetricError::OutOfRange(_))
        ));
        // Rows of one customer-month merge when the bound is reached.
        let mut repeated = MrrSummary::new(KeyKind::BigInt);
        for _ in 0..3 * MAX_ROWS {
            repeated.add(F, 1, january, d("1")).unwrap();
            assert!(repeated.rows.capacity() <= MAX_ROWS);
        }
        let ending = repeated.movements(F).unwrap()[0].ending_mrr;
        assert_eq!(ending, Decimal::from(3 * MAX_ROWS));
    }

    #[test]
    fn text_and_binary_forms_round_trip() {
        let mut s = summary(&[
            (42, 2025, 1, "100.00"),
            (42, 2025, 2, "120.00"),
            (-7, 2025, 3, "0"),
            (7, 2025, 2, "9.5"),
        ]);
        let text = s.to_text();
        assert_eq!(
            text,
            r#"{"version":1,"key":"bigint","first_month":"2025-01-01","last_month":"2025-03-01","customers":[["7",[["2025-02-01","9.5"]]],["42",[["2025-01-01","100.00"],["2025-02-01","120.00"]]]]}"#
        );
        let mut back = MrrSummary::from_text(&text).unwrap();
        assert_eq!(back.to_text(), text);
        let mut decoded = MrrSummary::decode(&s.encode()).unwrap();
        assert_eq!(decoded.to_text(), text);
        let mut empty = MrrSummary::new(KeyKind::Uuid);
        let empty_text = empty.to_text();
        assert_eq!(
            MrrSummary::from_text(&empty_text).unwrap().to_text(),
            empty_text
        );
        assert!(MrrSummary::decode(&empty.encode()).unwrap().is_empty());
        for bad in [
            "",
            "{}",
            r#"{"version":1,"key":"bigint","first_month":"2025-01-15","last_month":"2025-03-01","customers":[]}"#,
            r#"{"version":1,"key":"bigint","first_month":"2025-02-01","last_month":"2025-03-01","customers":[["7",[["2025-01-01","1"]]]]}"#,
            r#"{"version":1,"key":"bigint","first_month":"2025-01-01","last_month":"2025-03-01","customers":[["x",[]]]}"#,
            r#"{"version":1,"key":"bigint","first_month":"2025-01-01","last_month":"2025-03-01","customers":[["7",[["2025-01-01","-1"]]]]}"#,
            r#"{"version":1,"key":"float","first_month":null,"last_month":null,"customers":[]}"#,
            r#"{"version":2,"key":"bigint","first_month":null,"last_month":null,"customers":[]}"#,
        ] {
            assert!(
                matches!(MrrSummary::from_text(bad), Err(MetricError::InvalidText(_))),
                "{bad}"
            );
        }
        let mut bytes = s.encode();
        bytes.push(0);
        assert!(MrrSummary::decode(&bytes).is_err());
        let text_keys = {
            let mut t = MrrSummary::new(KeyKind::Text);
            t.add(F, key_from_text(b"acme"), first_of(2025, 1), d("5"))
                .unwrap();
            t
        };
        let mut copy = text_keys.clone();
        let text_form = copy.to_text();
        assert_eq!(
            MrrSummary::from_text(&text_form).unwrap().to_text(),
            text_form
        );
    }

    #[test]
    fn golden_binary_form() {
        // Pinned so that a change of the stored form is never silent.
        let mut s = summary(&[
            (42, 2025, 1, "100.00"),
            (42, 2025, 2, "120.00"),
            (7, 2025, 2, "9.5"),
        ]);
        let hex: String = s
            .encode()
            .iter()
            .map(|byte| format!("{byte:02x}"))
            .collect();
        assert_eq!(
            hex,
            "010001d804da0403070001be010001230000a09c010002000001c0bb010002"
        );
    }

    /// Plain reference: per customer a map month → mrr over the whole range.
    fn reference(
        rows: &[(i64, i32, u32)],
    ) -> Vec<(Decimal, Decimal, Decimal, Decimal, Decimal, Decimal)> {
        let first = rows.iter().map(|r| r.1).min().unwrap();
        let last = rows.iter().map(|r| r.1).max().unwrap();
        let mut by_customer: BTreeMap<i64, BTreeMap<i32, Decimal>> = BTreeMap::new();
        for &(id, month, cents) in rows {
            *by_customer.entry(id).or_default().entry(month).or_default() +=
                Decimal::new(i64::from(cents), 2);
        }
        (first..=last)
            .map(|month| {
                let mut totals = [Decimal::ZERO; 6];
                for months in by_customer.values() {
                    let at = |m: i32| months.get(&m).copied().unwrap_or_default();
                    let (previous, current) = (
                        if month > first {
                            at(month - 1)
                        } else {
                            Decimal::ZERO
                        },
                        at(month),
                    );
                    let paid_before = months.range(..month).any(|(_, v)| !v.is_zero());
                    if previous.is_zero() && !current.is_zero() {
                        totals[if paid_before { 4 } else { 0 }] += current;
                    } else if !previous.is_zero() && current.is_zero() {
                        totals[3] += previous;
                    } else if current > previous {
                        totals[1] += current - previous;
                    } else {
                        totals[2] += previous - current;
                    }
                    totals[5] += current;
                }
                (
                    totals[0], totals[1], totals[2], totals[3], totals[4], totals[5],
                )
            })
            .collect()
    }

    proptest! {
        #[test]
        fn movements_equal_the_reference_and_merge_in_any_split(
            rows in prop::collection::vec((0i64..12, 0i32..18, prop_oneof![Just(0u32), 1u32..50_000]), 1..80),
            cut in 0usize..80,
        ) {
            let cut = cut.min(rows.len());
            let build = |part: &[(i64, i32, u32)]| {
                let mut s = MrrSummary::new(KeyKind::BigInt);
                for &(id, month, cents) in part {
                    s.add(F, key_from_bigint(id), period_start_date(Period::Month, month + 300), Decimal::new(i64::from(cents), 2)).unwrap();
                }
                s
            };
            let mut whole = build(&rows);
            let movements = whole.movements(F).unwrap();
            check_balance(&movements);
            let expected = reference(&rows);
            let ours: Vec<_> = movements.iter().map(|m| (m.new_mrr, m.expansion_mrr, m.contraction_mrr, m.churned_mrr, m.reactivation_mrr, m.ending_mrr)).collect();
            prop_assert_eq!(ours, expected);
            let mut left = build(&rows[..cut]);
            let right = build(&rows[cut..]);
            left.merge(F, &right).unwrap();
            prop_assert_eq!(left.to_text(), whole.to_text());
            let mut decoded = MrrSummary::decode(&whole.encode()).unwrap();
            prop_assert_eq!(decoded.movements(F).unwrap(), movements);
        }

        #[test]
        fn from_text_of_random_text_never_panics(text in ".{0,200}") {
            let _ = MrrSummary::from_text(&text);
        }
    }
}
