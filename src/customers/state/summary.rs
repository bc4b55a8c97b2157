//! The two-step summary: the multiset of customer lifetimes.
use std::cmp::Ordering;

use super::{check_period, customer_span, PeriodCounts};
use crate::common::error::{MetricError, MetricResult};
use crate::common::interrupt::{checked, Ticker};
use crate::common::limits::{check_state_bytes, vec_bytes};

/// The unsorted tail of a summary is folded into its sorted spans once it holds more
/// rows than the spans do, and never while it holds fewer than this many rows.
pub(super) const MIN_PENDING_ROWS: usize = 1024;
/// Most lifetimes one summary holds in memory (distinct ones plus rows not yet merged in,
/// 16 to 24 bytes each): a failed allocation in Rust aborts the backend, so the summary stops
/// with a clean error before memory runs out.
const MAX_HELD_LIFETIMES: usize = 200_000_000;

/// `count` customers with the same lifetime.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Span {
    pub(super) started_at: i64,
    /// `i64::MAX` (Postgres' `infinity`) when the customers never end.
    pub(super) ended_at: i64,
    pub(super) count: u64,
}

impl Span {
    pub(super) fn key(&self) -> (i64, i64) {
        (self.started_at, self.ended_at)
    }
}

/// Appends `span` to spans sorted by key, adding it to the last one when keys match.
pub(super) fn push_span(spans: &mut Vec<Span>, span: Span) {
    match spans.last_mut() {
        Some(last) if last.key() == span.key() => {
            last.count = last.count.saturating_add(span.count)
        }
        _ => spans.push(span),
    }
}

/// Merges sorted, deduplicated `incoming` spans into sorted, deduplicated `spans`, in place:
/// from the back, so the only allocation is `spans` growing (amortized), and spans of equal
/// keys are added up.
fn merge_into(spans: &mut Vec<Span>, incoming: &[Span]) {
    let old = spans.len();
    let end = old + incoming.len();
    spans.resize(
        end,
        Span {
            started_at: 0,
            ended_at: 0,
            count: 0,
        },
    );
    // Unmerged: spans[..left] and incoming[..right]; merged: spans[write..end]. `write` is
    // at least `left + right`, so a write never lands on an unmerged span.
    let (mut left, mut right, mut write) = (old, incoming.len(), end);
    let mut ticker = Ticker::new();
    while right > 0 {
        ticker.tick();
        let next = incoming[right - 1];
        write -= 1;
        match spans[..left].last().map(|last| last.key().cmp(&next.key())) {
            Some(Ordering::Greater) => {
                spans[write] = spans[left - 1];
                left -= 1;
            }
            Some(Ordering::Equal) => {
                spans[write] = Span {
                    count: spans[left - 1].count.saturating_add(next.count),
                    ..next
                };
                left -= 1;
                right -= 1;
            }
            _ => {
                spans[write] = next;
                right -= 1;
            }
        }
    }
    // spans[..left] is in place; close the gap equal keys left before the merged part.
    if write > left {
        spans.copy_within(write..end, left);
        spans.truncate(left + end - write);
    }
}

/// Prefix sums over bins `0..len`, adding point updates in `O(log len)`.
struct Fenwick {
    tree: Vec<u64>,
}

impl Fenwick {
    fn new(len: usize) -> Self {
        Fenwick {
            tree: vec![0; len + 1],
        }
    }

    fn add(&mut self, bin: usize, value: u64) {
        let mut node = bin + 1;
        while node < self.tree.len() {
            self.tree[node] = self.tree[node].saturating_add(value);
            node += node & node.wrapping_neg();
        }
    }

    /// Sum over bins `0..=bin`.
    fn sum_through(&self, bin: usize) -> u64 {
        let mut node = bin + 1;
        let mut sum = 0u64;
        while node > 0 {
            sum = sum.saturating_add(self.tree[node]);
            node -= node & node.wrapping_neg();
        }
        sum
    }
}

/// The two-step summary: everything `active_customers` and `churn_series` need, from one scan.
///
/// Holds the multiset of customer lifetimes as sorted `(started_at, ended_at, count)` spans
/// plus an unsorted tail of rows added since, folded in lazily, so memory is
/// O(distinct lifetimes).
#[derive(Debug, Clone, Default)]
pub struct CustomerSummary {
    /// Sorted by `(started_at, ended_at)`, each key once, every count positive.
    pub(super) spans: Vec<Span>,
    /// `(started_at, ended_at)` of rows added since the last fold, in arrival order.
    pub(super) pending: Vec<(i64, i64)>,
    /// Spans of summaries merged in since the last fold, in arrival order (keys may repeat).
    pub(super) pending_spans: Vec<Span>,
    /// Rows added in total: the span counts plus the pending rows and spans; at most
    /// `i64::MAX` (a SQL bigint).
    pub(super) customers: u64,
}

/// Most customers one summary counts: what `crm.customers` can return as a bigint.
pub(super) const MAX_CUSTOMERS: u64 = i64::MAX as u64;

/// The error of a count past [`MAX_CUSTOMERS`].
pub(super) fn too_many_customers(function: &str) -> MetricError {
    MetricError::OutOfRange(format!(
        "{function}: more than {MAX_CUSTOMERS} customers in one summary"
    ))
}

impl CustomerSummary {
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds one customer row (validated like [`PeriodCounts::add`]; a zero-length row is
    /// skipped).
    pub fn add(
        &mut self,
        function: &str,
        started_at: i64,
        ended_at: Option<i64>,
    ) -> MetricResult<()> {
        let Some(row) = customer_span(function, started_at, ended_at)? else {
            return Ok(());
        };
        self.check_size(function)?;
        self.customers = self.count_with(function, 1)?;
        if self.pending.len() == self.pending.capacity() {
            // The push below doubles the tail's allocation.
            let growth = vec_bytes(&self.pending).max(64);
            self.check_memory(function, growth)?;
        }
        self.pending.push(row);
        self.fold_if_tail_is_long();
        Ok(())
    }

    /// Exact multiset union. The other summary's spans are queued and sorted in with the
    /// next fold (when the queue outgrows the sorted spans, or when read), so a merge costs
    /// O(size of `other`) and a rollup of N summaries about one sort of all their spans.
    /// More than [`MAX_CUSTOMERS`] customers in total → 22003.
    pub fn merge(&mut self, function: &str, other: &CustomerSummary) -> MetricResult<()> {
        let customers = self.count_with(function, other.customers)?;
        self.check_memory(function, other.heap_bytes())?;
        if self.customers == 0 {
            self.spans.extend_from_slice(&other.spans);
        } else {
            self.pending_spans.extend_from_slice(&other.spans);
        }
        self.pending_spans.extend_from_slice(&other.pending_spans);
        self.pending.extend_from_slice(&other.pending);
        self.customers = customers;
        self.fold_if_tail_is_long();
        Ok(())
    }

    /// The customer count after adding `more`, or 22003 past [`MAX_CUSTOMERS`].
    fn count_with(&self, function: &str, more: u64) -> MetricResult<u64> {
        self.customers
            .checked_add(more)
            .filter(|&total| total <= MAX_CUSTOMERS)
            .ok_or_else(|| too_many_customers(function))
    }

    /// Fails once the summary holds [`MAX_HELD_LIFETIMES`] lifetimes; callers check after
    /// merging, and `add` checks before every row.
    pub fn check_size(&self, function: &str) -> MetricResult<()> {
        if self.spans.len() + self.pending.len() + self.pending_spans.len() < MAX_HELD_LIFETIMES {
            Ok(())
        } else {
            Err(MetricError::OutOfRange(format!(
                "{function}: more than {MAX_HELD_LIFETIMES} distinct customer lifetimes in one \
                 summary; summarize parts of the table separately"
            )))
        }
    }

    /// Heap bytes the summary holds (its three vectors' allocations).
    pub fn heap_bytes(&self) -> usize {
        vec_bytes(&self.spans) + vec_bytes(&self.pending) + vec_bytes(&self.pending_spans)
    }

    /// Fails with 54000 when the summary would pass `crm.max_state_memory` after growing by
    /// `growth` bytes.
    fn check_memory(&self, function: &str, growth: usize) -> MetricResult<()> {
        check_state_bytes(
            function,
            "customer lifetimes",
            self.heap_bytes().saturating_add(growth),
        )
    }

    /// Rows added.
    pub fn customers(&self) -> u64 {
        self.customers
    }

    /// The customers a period starting at `at` starts with: `started_at < at <= ended_at`.
    /// `-infinity` gives 0; callers that must reject infinite instants use [`require_finite`].
    pub fn active_at(&mut self, at: i64) -> u64 {
        self.fold();
        let started = self.spans.partition_point(|span| span.started_at < at);
        checked(&self.spans[..started])
            .filter(|span| span.ended_at >= at)
            .fold(0u64, |total, span| total.saturating_add(span.count))
    }

    /// Counts for each [start, end) period; each equals PeriodCounts built row by row over the same rows.
    ///
    /// One pass over the distinct lifetimes for all periods together:
    /// O(distinct · log periods + periods · log periods).
    pub fn periods(
        &mut self,
        function: &str,
        periods: &[(i64, i64)],
    ) -> MetricResult<Vec<PeriodCounts>> {
        for &(period_start, period_end) in checked(periods) {
            check_period(function, period_start, period_end)?;
        }
        self.fold();

        // Every instant that matters, and each lifetime's bins: `bin(x)` is the number of
        // boundaries at or below `x`, so `x < boundaries[k]` exactly when `bin(x) <= k`.
        // A period is named by the positions `k` of its start and end among the boundaries.
        let mut boundaries: Vec<i64> = periods
            .iter()
            .flat_map(|&(start, end)| [start, end])
            .collect();
        boundaries.sort_unstable();
        boundaries.dedup();
        let bin = |instant: i64| boundaries.partition_point(|&boundary| boundary <= instant);
        let position = |instant: i64| boundaries.partition_point(|&boundary| boundary < instant);
        let period_bins: Vec<(usize, usize)> = periods
            .iter()
            .map(|&(start, end)| (position(start), position(end)))
            .collect();
        let mut by_start_bin: Vec<usize> = (0..periods.len()).collect();
        by_start_bin.sort_unstable_by_key(|&period| period_bins[period].0);

        let bins = boundaries.len() + 1;
        let mut started_in_bin = vec![0u64; bins];
        let mut ended_in_bin = vec![0u64; bins];
        // Customers of the period from start to end: started before its start (spans are
        // sorted by start, so these are the ones seen before the first span starting at or
        // after it) and not ended before its end.
        let mut active_throughout = vec![0u64; periods.len()];
        let mut ended_by_bin = Fenwick::new(bins);
        let mut seen = 0u64;
        let mut next_period = 0;
        let mut start_bin = 0;
        let mut period_ticker = Ticker::new();
        let mut answer_before = |start_bin: usize, seen: u64, ended_by_bin: &Fenwick| {
            while let Some(&period) = by_start_bin.get(next_period) {
                period_ticker.tick();
                let (period_start_bin, period_end_bin) = period_bins[period];
                if period_start_bin >= start_bin {
                    break;
                }
                active_throughout[period] =
                    seen.saturating_sub(ended_by_bin.sum_through(period_end_bin));
                next_period += 1;
            }
        };
        for span in checked(&self.spans) {
            while start_bin < boundaries.len() && boundaries[start_bin] <= span.started_at {
                start_bin += 1;
            }
            answer_before(start_bin, seen, &ended_by_bin);
            let end_bin = bin(span.ended_at);
            started_in_bin[start_bin] = started_in_bin[start_bin].saturating_add(span.count);
            ended_in_bin[end_bin] = ended_in_bin[end_bin].saturating_add(span.count);
            ended_by_bin.add(end_bin, span.count);
            seen = seen.saturating_add(span.count);
        }
        answer_before(bins, seen, &ended_by_bin);

        // Running totals: customers with start (end) before boundary k.
        let running = |counts: &mut Vec<u64>| {
            let mut total = 0u64;
            for count in counts.iter_mut() {
                total = total.saturating_add(*count);
                *count = total;
            }
        };
        running(&mut started_in_bin);
        running(&mut ended_in_bin);
        // A lifetime never ends before it starts, so an end before k implies a start before
        // k, and the customers at k are a difference of the running totals.
        let active_at_boundary = |k: usize| started_in_bin[k].saturating_sub(ended_in_bin[k]);
        Ok(checked(&period_bins)
            .zip(active_throughout)
            .map(|(&(start, end), throughout)| {
                let customers_at_start = active_at_boundary(start);
                let customers_at_end = active_at_boundary(end);
                PeriodCounts {
                    customers_at_start,
                    customers_at_end,
                    new_customers: customers_at_end.saturating_sub(throughout),
                    churned_customers: customers_at_start.saturating_sub(throughout),
                    started_in_period: started_in_bin[end].saturating_sub(started_in_bin[start]),
                    ended_in_period: ended_in_bin[end].saturating_sub(ended_in_bin[start]),
                }
            })
            .collect())
    }

    fn fold_if_tail_is_long(&mut self) {
        if self.pending.len() + self.pending_spans.len() > self.spans.len().max(MIN_PENDING_ROWS) {
            self.fold();
        }
    }

    /// Sorts the pending rows and spans into the spans. The queue's buffer is kept for the
    /// next fold, and the spans grow in place, so folding a growing summary allocates only
    /// amortized growth.
    pub(super) fn fold(&mut self) {
        if self.pending.is_empty() && self.pending_spans.is_empty() {
            return;
        }
        let mut queued = std::mem::take(&mut self.pending_spans);
        queued.extend(self.pending.drain(..).map(|(started_at, ended_at)| Span {
            started_at,
            ended_at,
            count: 1,
        }));
        queued.sort_unstable_by_key(Span::key);
        queued.dedup_by(|next, kept| {
            let same = next.key() == kept.key();
            if same {
                kept.count = kept.count.saturating_add(next.count);
            }
            same
        });
        if self.spans.is_empty() {
            std::mem::swap(&mut self.spans, &mut queued);
        } else {
            merge_into(&mut self.spans, &queued);
        }
        queued.clear();
        self.pending_spans = queued;
    }
}
