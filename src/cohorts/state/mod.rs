//! State of `crm.cohort_agg` (`crm.cohort_summary`): for every customer, the
//! set of calendar periods it was active in.
//!
//! Each customer is one 32-byte slot of an open-addressing table: its 128-bit
//! key, its first period (the cohort), a 64-bit bitmap of the periods
//! `first .. first + 64`, and an index into a side arena of sorted periods
//! beyond that window, used only by customers active over more than 64
//! periods. The table is a power of two of slots, at most 3/4 full, so a
//! customer costs 43 to 85 bytes (about 56 in the benchmark), plus 4 bytes per
//! distinct period beyond the bitmap window and a 24-byte vector header for
//! customers that need it. Fixed costs: a 16-slot (512-byte) table to start,
//! a 512-byte event queue, and the [`Indexer`]'s memos once warm (8 KiB, or
//! 16 KiB for a named zone).
//!
//! `add` queues each event for a few calls after prefetching its slot, so that
//! the cache misses of consecutive events overlap; every reader applies the
//! queue first (through a `RefCell`, so readers keep taking `&self`).
//!
//! The binary form takes about 7 bytes per customer for bigint ids active over
//! a few months (keys are delta-coded), 22 or so for text and uuid ids.
//!
//! Files: `activity` (one customer's bitmap and spill), `table` (the customer hash table),
//! `forms` (binary and text forms), `tests` and `properties`.

mod activity;
mod forms;
#[cfg(test)]
mod properties;
mod retention;
mod table;
#[cfg(test)]
mod tests;

use std::cell::{Ref, RefCell};
use std::fmt;

use self::table::{Customers, MAX_CUSTOMERS};
use crate::common::error::{MetricError, MetricResult};
use crate::common::exact::count_ratio;
use crate::common::interrupt::checked;
pub use crate::common::keys::{key_from_bigint, key_from_text, key_from_uuid, KeyKind};
use crate::common::limits::{check_state_bytes, out_of_memory, vec_bytes};
use crate::common::periods::{Indexer, Period};
use crate::common::tz::Zone;

pub const FORMAT_VERSION: u8 = 1;

/// How `crm.cohort_retention` counts a customer as retained in period `k`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RetentionMode {
    /// Active in period `cohort + k` itself.
    Classic,
    /// Active in period `cohort + k` or any later one.
    Unbounded,
}

impl RetentionMode {
    /// Parses `classic` or `unbounded` (ASCII case-insensitive).
    pub fn parse(function: &str, name: &str) -> MetricResult<Self> {
        if name.eq_ignore_ascii_case("classic") {
            Ok(RetentionMode::Classic)
        } else if name.eq_ignore_ascii_case("unbounded") {
            Ok(RetentionMode::Unbounded)
        } else {
            Err(MetricError::InvalidParameter(format!(
                "{function}: unknown retention mode '{name}' (expected classic or unbounded)"
            )))
        }
    }
}

/// The counts of a retention triangle read from a binary form, within the row bound asked
/// for: [`RetentionRows::rows`] gives them in either mode.
#[derive(Debug)]
pub struct RetentionRows(retention::RetentionTable);

impl RetentionRows {
    /// The rows of [`CohortSummary::retention`] in `mode`; 53200 when they do not fit in memory.
    pub fn rows(self, mode: RetentionMode) -> MetricResult<Vec<CohortRow>> {
        self.0.rows(mode)
    }
}

/// One row of `crm.cohort_retention`.
#[derive(Debug, Clone, PartialEq)]
pub struct CohortRow {
    /// First day of the cohort's period, as a Postgres date.
    pub cohort: i32,
    pub period_number: i32,
    pub cohort_size: u64,
    pub active_customers: u64,
    pub retention_rate: f64,
}

/// Per-customer activity periods; see the module documentation.
#[derive(Clone)]
pub struct CohortSummary {
    indexer: Indexer,
    key_kind: KeyKind,
    /// Behind a `RefCell` so that readers taking `&self` can apply the queued events.
    customers: RefCell<Customers>,
}

impl fmt::Debug for CohortSummary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CohortSummary")
            .field("period", &self.period())
            .field("zone", &self.zone().name())
            .field("key_kind", &self.key_kind)
            .field("customers", &self.customers())
            .finish()
    }
}

fn too_many_customers(function: &str) -> MetricError {
    MetricError::OutOfRange(format!(
        "{function}: more than {MAX_CUSTOMERS} customers in one summary"
    ))
}

/// Fails with 54000 when doubling the customer table would pass `crm.max_state_memory`.
#[cold]
fn check_table_memory(function: &str, customers: &Customers) -> MetricResult<()> {
    let doubled = customers.heap_bytes() + vec_bytes(&customers.slots);
    check_state_bytes(function, "cohort customers", doubled)
}

/// Periods spilled between two checks of the memory bound (32 kB at most of growth unchecked).
const SPILL_CHECK_STEP: usize = 4096;

/// Fails with 54000 when the customers, their spilled periods included, pass
/// `crm.max_state_memory`; checked every [`SPILL_CHECK_STEP`] spilled periods.
#[inline]
fn check_spill_memory(function: &str, customers: &mut Customers) -> MetricResult<()> {
    if customers.spilled < customers.spilled_checked + SPILL_CHECK_STEP {
        return Ok(());
    }
    customers.spilled_checked = customers.spilled;
    check_state_bytes(
        function,
        "cohort customers",
        customers.heap_bytes() + SPILL_CHECK_STEP * 2 * std::mem::size_of::<i32>(),
    )
}

/// Doubles the customer table ahead of `more` insertions with a fallible allocation: 53200 when
/// the allocator refuses, not an aborted backend.
#[cold]
fn grow_table(function: &str, customers: &mut Customers, more: usize) -> MetricResult<()> {
    let slots = customers.slots.len().saturating_mul(2);
    customers
        .try_grow_for(more)
        .map_err(|_| out_of_memory(function, "cohort customers", slots))
}

impl CohortSummary {
    pub fn new(period: Period, zone: Zone, key_kind: KeyKind) -> Self {
        CohortSummary {
            indexer: Indexer::new(period, zone),
            key_kind,
            customers: RefCell::new(Customers::new()),
        }
    }

    /// An empty summary whose table is sized for `customers`, allocated fallibly (a value being
    /// decoded).
    fn with_capacity(
        period: Period,
        zone: Zone,
        key_kind: KeyKind,
        customers: usize,
    ) -> Result<Self, std::collections::TryReserveError> {
        let table = Customers::try_with_capacity(customers)?;
        Ok(CohortSummary {
            indexer: Indexer::new(period, zone),
            key_kind,
            customers: RefCell::new(table),
        })
    }

    pub fn period(&self) -> Period {
        self.indexer.period()
    }

    pub fn zone(&self) -> &Zone {
        self.indexer.zone()
    }

    /// The customers with every queued event applied.
    fn settled(&self) -> Ref<'_, Customers> {
        // Borrows end with each public method, so these borrows always succeed.
        if let Ok(mut customers) = self.customers.try_borrow_mut() {
            customers.flush();
            customers.settle_spills();
        }
        self.customers.borrow()
    }

    /// Ok when the summary holds customer ids of type `kind`, else 22023.
    pub fn expect_key_kind(&self, function: &str, kind: KeyKind) -> MetricResult<()> {
        if self.key_kind == kind {
            Ok(())
        } else {
            Err(self.key_kind.mismatch(function, "customer", kind))
        }
    }

    /// Records that customer `key` was active at `occurred_at` (raw timestamptz).
    #[inline]
    pub fn add(&mut self, function: &str, key: u128, occurred_at: i64) -> MetricResult<()> {
        if self.key_kind == KeyKind::BigInt && key > u128::from(u64::MAX) {
            return Err(MetricError::InvalidParameter(format!(
                "{function}: key {key:#x} is not a bigint customer id"
            )));
        }
        let period = self.indexer.index(function, occurred_at)?;
        let customers = self.customers.get_mut();
        if !customers.unsorted.is_empty() {
            // Only after a merge: the per-row path below needs sorted spills.
            customers.settle_spills();
        }
        if !customers.has_room(customers.queued + 1) {
            return Err(too_many_customers(function));
        }
        if customers.may_grow(customers.queued + 1) {
            check_table_memory(function, customers)?;
            grow_table(function, customers, customers.queued + 1)?;
        }
        check_spill_memory(function, customers)?;
        customers
            .reserve_lists(1)
            .map_err(|entries| out_of_memory(function, "cohort customers", entries))?;
        customers.push(key, period);
        Ok(())
    }

    /// Adds every customer activity of `other` (exact union).
    pub fn merge(&mut self, function: &str, other: &CohortSummary) -> MetricResult<()> {
        self.check_compatible(function, other)?;
        let source = other.settled();
        let target = self.customers.get_mut();
        target.flush();
        for activity in checked(source.iter()) {
            if !target.has_room(1) {
                return Err(too_many_customers(function));
            }
            if target.may_grow(1) {
                check_table_memory(function, target)?;
                grow_table(function, target, 1)?;
            }
            check_spill_memory(function, target)?;
            target
                .reserve_lists(1)
                .map_err(|entries| out_of_memory(function, "cohort customers", entries))?;
            target.merge_customer(activity, source.spill(activity));
        }
        Ok(())
    }

    fn check_compatible(&self, function: &str, other: &CohortSummary) -> MetricResult<()> {
        let mismatch = |what: &str, mine: &str, theirs: &str| {
            Err(MetricError::InvalidParameter(format!(
                "{function}: cannot merge cohort summaries with different {what} ({mine} and {theirs})"
            )))
        };
        if self.period() != other.period() {
            return mismatch("periods", self.period().name(), other.period().name());
        }
        if self.zone() != other.zone() {
            return mismatch("time zones", self.zone().name(), other.zone().name());
        }
        if self.key_kind != other.key_kind {
            return mismatch(
                "customer id types",
                self.key_kind.name(),
                other.key_kind.name(),
            );
        }
        Ok(())
    }

    /// Number of distinct customers.
    /// Heap bytes held (charged to the aggregate's memory context).
    pub fn heap_bytes(&self) -> usize {
        self.customers.borrow().heap_bytes()
    }

    pub fn customers(&self) -> u64 {
        self.settled().len as u64
    }

    /// Retention triangle: for each cohort (ascending) the rows for
    /// `k = 0 ..= last period present − cohort`, zeros included.
    pub fn retention(&self, mode: RetentionMode) -> MetricResult<Vec<CohortRow>> {
        self.retention_table(u64::MAX)?.rows(mode)
    }

    /// Number of rows [`CohortSummary::retention`] returns (in either mode),
    /// to refuse absurdly large triangles before building them.
    pub fn retention_row_count(&self) -> u64 {
        // With no rows kept, no period is kept either: nothing to allocate, nothing to fail.
        self.retention_table(0)
            .map_or(u64::MAX, |table| table.row_count())
    }

    /// The retention counts of every customer; see [`retention::RetentionTable::new`].
    fn retention_table(&self, max_rows: u64) -> MetricResult<retention::RetentionTable> {
        let customers = self.settled();
        let mut table = retention::RetentionTable::new(self.period(), max_rows);
        for activity in checked(customers.iter()) {
            table.add(activity.first, activity.bits, customers.spill(activity))?;
        }
        Ok(table)
    }

    /// [`CohortSummary::retention`] straight from a binary form (the same rows), validating
    /// it as [`CohortSummary::decode`] does but building no table of its customers: the
    /// counts, or `Ok(Err(rows))` when the triangle has more than `max_rows` rows (the
    /// periods are then not kept), or `Err` for a malformed form.
    pub fn retention_of_binary(
        bytes: &[u8],
        max_rows: u64,
    ) -> MetricResult<Result<RetentionRows, u64>> {
        let table = Self::retention_table_of_binary(bytes, max_rows)?;
        let rows = table.row_count();
        Ok(if rows > max_rows {
            Err(rows)
        } else {
            Ok(RetentionRows(table))
        })
    }
    /// Share of customers active in at least two distinct periods.
    pub fn repeat_rate(&self) -> Option<f64> {
        let customers = self.settled();
        if customers.len == 0 {
            return None;
        }
        let repeat = checked(customers.iter())
            // A spill, once created, is never empty.
            .filter(|a| a.bits.count_ones() >= 2 || a.spill != 0)
            .count();
        count_ratio(repeat as i128, customers.len as u128)
    }
}

/// `to - from` as an index, for `from <= to` (guaranteed by the callers).
fn steps(from: i32, to: i32) -> usize {
    (i64::from(to) - i64::from(from)) as usize
}
