//! The retention triangle of `crm.cohort_retention`, counted one customer at a time: from a
//! summary's table, or straight from its binary form (no hash table of its customers built).
use std::collections::btree_map::BTreeMap;

use super::{steps, CohortRow, RetentionMode};
use crate::common::error::MetricResult;
use crate::common::exact::count_ratio;
use crate::common::interrupt::checked;
use crate::common::limits::reserve_result;
use crate::common::periods::{period_start_date, Period};

/// The function that reads retention tables, named by their errors.
const RETENTION: &str = "crm.cohort_retention";

/// Per cohort, over the periods of the customers' bitmap windows (offsets `0..64`):
/// customers active at each offset, and customers whose last period is at each offset. Sized
/// to the largest offset seen.
#[derive(Debug, Default)]
struct WindowCounts {
    active: Vec<u64>,
    last: Vec<u64>,
}

/// The counts of a retention triangle, fed every customer's periods (in any order) and then
/// asked for its rows in either mode. Periods past a customer's bitmap window (spills, rare)
/// are kept as `(cohort, period)` pairs rather than in per-cohort arrays, so memory follows
/// the data and not the span of periods.
#[derive(Debug)]
pub(super) struct RetentionTable {
    period: Period,
    cohorts: BTreeMap<i32, WindowCounts>,
    /// `(cohort, period)` of every spilled period (classic counts).
    spilled: Vec<(i32, i32)>,
    /// `(cohort, last period)` of customers whose last period is spilled (unbounded counts).
    spilled_last: Vec<(i32, i32)>,
    /// The last period of any customer.
    last: Option<i32>,
    /// Sum of the cohorts' first periods, for the row count.
    cohort_sum: i128,
    /// Past this many rows the counts are no longer kept (see [`RetentionTable::add`]).
    max_rows: u64,
}

impl RetentionTable {
    /// An empty table; once the triangle would have more than `max_rows` rows, customers are
    /// still counted for [`RetentionTable::row_count`] but their periods are not kept.
    pub(super) fn new(period: Period, max_rows: u64) -> Self {
        RetentionTable {
            period,
            cohorts: BTreeMap::new(),
            spilled: Vec::new(),
            spilled_last: Vec::new(),
            last: None,
            cohort_sum: 0,
            max_rows,
        }
    }

    /// Counts one customer: its first period, the bitmap of periods `first .. first + 64`
    /// (bit 0 set) and its sorted periods past that window. 53200 when the periods past the
    /// window do not fit in memory.
    #[inline]
    pub(super) fn add(&mut self, first: i32, bits: u64, spill: &[i32]) -> MetricResult<()> {
        let in_window = first + 63 - bits.leading_zeros() as i32;
        let last = spill.last().copied().unwrap_or(in_window);
        self.last = self.last.max(Some(last));
        let is_new = !self.cohorts.contains_key(&first);
        if is_new {
            self.cohort_sum += i128::from(first);
        }
        let cohorts = self.cohorts.len() + usize::from(is_new);
        let window = self.cohorts.entry(first).or_default();
        if row_count(cohorts, self.last, self.cohort_sum) > self.max_rows {
            // Too many rows whatever comes next (the count never shrinks): the caller refuses
            // the table, so the periods are not kept.
            return Ok(());
        }
        let width = steps(first, in_window) + 1;
        if window.active.len() < width {
            window.active.resize(width, 0);
            window.last.resize(width, 0);
        }
        let mut remaining = bits;
        while remaining != 0 {
            window.active[remaining.trailing_zeros() as usize] += 1;
            remaining &= remaining - 1;
        }
        if spill.is_empty() {
            window.last[width - 1] += 1;
        } else {
            reserve_result(&mut self.spilled, spill.len(), RETENTION, "its table")?;
            reserve_result(&mut self.spilled_last, 1, RETENTION, "its table")?;
            self.spilled
                .extend(spill.iter().map(|&period| (first, period)));
            self.spilled_last.push((first, last));
        }
        Ok(())
    }

    /// Rows of the triangle: per cohort, one per period from it to the last period of any
    /// customer. Saturates rather than overflowing.
    pub(super) fn row_count(&self) -> u64 {
        row_count(self.cohorts.len(), self.last, self.cohort_sum)
    }

    /// The rows, cohorts ascending and `k = 0 ..= last − cohort`, zeros included. Only for a
    /// table of at most `max_rows` rows. 53200 when they do not fit in memory.
    pub(super) fn rows(mut self, mode: RetentionMode) -> MetricResult<Vec<CohortRow>> {
        let Some(last) = self.last else {
            return Ok(Vec::new());
        };
        self.spilled.sort_unstable();
        self.spilled_last.sort_unstable();
        let (mut spilled, mut spilled_last) = (&self.spilled[..], &self.spilled_last[..]);
        let row_count = usize::try_from(self.row_count()).unwrap_or(usize::MAX);
        let mut rows = Vec::new();
        reserve_result(&mut rows, row_count, RETENTION, "its rows")?;
        let mut counts: Vec<u64> = Vec::new();
        for (&first, window) in checked(&self.cohorts) {
            let width = steps(first, last) + 1;
            counts.clear();
            reserve_result(&mut counts, width, RETENTION, "its rows")?;
            counts.resize(width, 0);
            let (own, rest) = spilled.split_at(spilled.partition_point(|&(c, _)| c <= first));
            spilled = rest;
            let (own_last, rest) =
                spilled_last.split_at(spilled_last.partition_point(|&(c, _)| c <= first));
            spilled_last = rest;
            match mode {
                RetentionMode::Classic => {
                    counts[..window.active.len()].copy_from_slice(&window.active);
                    for &(_, period) in checked(own) {
                        counts[steps(first, period)] += 1;
                    }
                }
                RetentionMode::Unbounded => {
                    counts[..window.last.len()].copy_from_slice(&window.last);
                    for &(_, period) in checked(own_last) {
                        counts[steps(first, period)] += 1;
                    }
                    let mut running = 0;
                    for count in counts.iter_mut().rev() {
                        running += *count;
                        *count = running;
                    }
                }
            }
            let size = counts[0];
            let cohort = period_start_date(self.period, first);
            rows.extend(
                checked(counts.iter().enumerate()).map(|(k, &active)| CohortRow {
                    cohort,
                    period_number: k as i32,
                    cohort_size: size,
                    active_customers: active,
                    // A cohort holds its first period's customers: size > 0.
                    retention_rate: count_ratio(active.into(), size.into()).unwrap_or(0.0),
                }),
            );
        }
        Ok(rows)
    }
}

/// Σ (last − first + 1) over `cohorts` cohorts whose first periods sum to `cohort_sum`.
fn row_count(cohorts: usize, last: Option<i32>, cohort_sum: i128) -> u64 {
    let Some(last) = last else { return 0 };
    let rows = cohorts as i128 * (i128::from(last) + 1) - cohort_sum;
    u64::try_from(rows.max(0)).unwrap_or(u64::MAX)
}
