//! The two-step summary: the multiset of customer lifetimes.
use std::cmp::Ordering;

use super::forms::SpanReader;
use super::{check_period, customer_lifetime, Lifetime, PeriodCounts};
use crate::common::error::{MetricError, MetricResult};
use crate::common::interrupt::{check, checked, Ticker};
use crate::common::limits::{check_state_bytes, collect_result, filled_result, reserve, vec_bytes};

/// What the summary keeps, for the memory errors.
const WHAT: &str = "customer lifetimes";

/// The unsorted tail of a summary is never folded into its sorted spans while it holds fewer
/// than this many rows (see [`CustomerSummary::tail_folds`]).
pub(super) const MIN_PENDING_ROWS: usize = 1024;
/// Rows of the unsorted tail sampled, in adjacent pairs spread over it, to judge whether
/// folding it would shrink it (at most [`MIN_PENDING_ROWS`], and even).
const SAMPLE_ROWS: usize = 1024;
/// Most rows the unsorted tail grows to when its rows look distinct (16 bytes each): past this
/// it is folded whatever the sample says, which bounds the memory a misjudged sample costs.
const MAX_UNSORTED_ROWS: usize = 1 << 22;
/// A merged summary's sorted spans are merged in place when there are at least 1/this as many
/// as the spans merged into (see [`CustomerSummary::merge`]): a bound on how often the larger
/// side is copied before the smaller ones are queued instead.
const MERGE_IN_PLACE_SHARE: usize = 4;
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
        let Some(&last) = spans[..left].last() else {
            // Only incoming spans are left: they go below the merged part as they are.
            spans[write + 1 - right..=write].copy_from_slice(&incoming[..right]);
            write -= right - 1;
            break;
        };
        if last.key() == next.key() {
            spans[write] = Span {
                count: last.count.saturating_add(next.count),
                ..next
            };
            left -= 1;
            right -= 1;
            continue;
        }
        // The larger key goes next, selected without a branch on it: where the two parts
        // interleave at random, a branch mispredicts about every other span.
        let last_first = (last.started_at > next.started_at)
            | ((last.started_at == next.started_at) & (last.ended_at > next.ended_at));
        spans[write] = if last_first { last } else { next };
        left -= usize::from(last_first);
        right -= usize::from(!last_first);
    }
    // spans[..left] is in place; close the gap equal keys left before the merged part.
    if write > left {
        spans.copy_within(write..end, left);
        spans.truncate(left + end - write);
    }
}

/// Number of distinct keys in two sorted slices of distinct keys.
pub(super) fn merged_len(left: &[Span], right: &[Span]) -> usize {
    let mut shared = 0;
    let (mut l, mut r) = (0, 0);
    while l < left.len() && r < right.len() {
        match left[l].key().cmp(&right[r].key()) {
            Ordering::Less => l += 1,
            Ordering::Greater => r += 1,
            Ordering::Equal => {
                shared += 1;
                l += 1;
                r += 1;
            }
        }
    }
    left.len() + right.len() - shared
}

/// Calls `each` with the spans of two sorted slices of distinct keys in key order, the
/// counts of a key in both added up.
pub(super) fn for_each_merged(left: &[Span], right: &[Span], mut each: impl FnMut(&Span)) {
    let (mut l, mut r) = (0, 0);
    let mut ticker = Ticker::new();
    while l < left.len() && r < right.len() {
        ticker.tick();
        let (a, b) = (&left[l], &right[r]);
        if a.key() == b.key() {
            each(&Span {
                count: a.count.saturating_add(b.count),
                ..*a
            });
            l += 1;
            r += 1;
            continue;
        }
        // Which side comes next is selected without a branch on it: where the two parts
        // interleave at random, a branch mispredicts about every other span.
        let left_first = (a.started_at < b.started_at)
            | ((a.started_at == b.started_at) & (a.ended_at < b.ended_at));
        each(if left_first { a } else { b });
        l += usize::from(left_first);
        r += usize::from(!left_first);
    }
    for span in checked(&left[l..]).chain(checked(&right[r..])) {
        each(span);
    }
}

/// Most bins whose prefix sums [`PeriodPlan`] takes by scanning its per-bin counts (a few dozen
/// bins: the sum is a short scan), and whose boundaries it searches with [`bin_of_padded`];
/// with more it keeps a [`BinCounts`] tree as well and searches with [`bin_of`].
const FLAT_BINS: usize = 64;

/// Prefix sums over bins `0..len` with point updates, `O(log len)` both (a Fenwick tree).
struct BinCounts {
    tree: Vec<u64>,
}

impl BinCounts {
    fn new(function: &str, len: usize) -> MetricResult<Self> {
        Ok(BinCounts {
            tree: filled_result(function, "its bins", len + 1, 0)?,
        })
    }

    #[inline]
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

/// The number of `boundaries` (sorted) at or below `instant`, without branches that depend on
/// the data (the instants of consecutive lifetimes are unrelated, so a branchy search
/// mispredicts about half its steps).
#[inline]
fn bin_of(boundaries: &[i64], instant: i64) -> usize {
    let mut base = 0;
    let mut size = boundaries.len();
    while size > 1 {
        let half = size / 2;
        if boundaries[base + half - 1] <= instant {
            base += half;
        }
        size -= half;
    }
    base + usize::from(size == 1 && boundaries[base] <= instant)
}

/// [`bin_of`] for at most `FLAT_BINS - 1` boundaries given as their first `len` entries of
/// `padded`, the rest `i64::MAX`: six halving steps of fixed sizes, no bounds checks.
#[inline(always)]
fn bin_of_padded(padded: &[i64; FLAT_BINS], len: usize, instant: i64) -> usize {
    let mut base = 0;
    let mut half = FLAT_BINS / 2;
    while half > 0 {
        base += usize::from(padded[(base + half - 1) % FLAT_BINS] <= instant) * half;
        half /= 2;
    }
    // Every entry below `base` is at or below `instant`; the one at `base` is above it unless
    // `base` is the last. Padding counts only for `instant = i64::MAX`.
    (base + usize::from(padded[base % FLAT_BINS] <= instant)).min(len)
}

/// Most cells a [`BinCells`] table has (16 bytes each): boundaries whose span is more cells of
/// their smallest gap than this are searched instead.
const MAX_BIN_CELLS: usize = 1024;

/// The bins of instants by a table lookup: the range from the first to the last boundary cut
/// into cells of a power-of-two width no wider than the smallest gap between two boundaries,
/// so each cell holds at most one boundary. An instant's bin is the number of boundaries before
/// its cell plus one when the first boundary at or after the cell's start is at or below it:
/// one load where a search takes a dependent load per halving (for monthly periods, the cells
/// are about 25 days wide, a few dozen in all).
struct BinCells {
    first: i64,
    shift: u32,
    /// Per cell: the first boundary at or after its start, and the boundaries before its start.
    cells: Vec<(i64, usize)>,
}

impl BinCells {
    /// The table of `boundaries` (sorted, distinct), or `None` when it would need more than
    /// [`MAX_BIN_CELLS`] cells (or there are no boundaries).
    fn new(boundaries: &[i64]) -> Option<Self> {
        let (&first, &last) = (boundaries.first()?, boundaries.last()?);
        let gap = boundaries
            .windows(2)
            .map(|pair| pair[1].abs_diff(pair[0]))
            .min()
            .unwrap_or(u64::MAX);
        let shift = gap.ilog2();
        let cells = usize::try_from(last.abs_diff(first) >> shift)
            .ok()
            .filter(|&last_cell| last_cell < MAX_BIN_CELLS)?
            + 1;
        let mut before = 0;
        let table = (0..cells)
            .map(|cell| {
                let cell_start = (cell as u64) << shift;
                while boundaries
                    .get(before)
                    .is_some_and(|&boundary| boundary.abs_diff(first) < cell_start)
                {
                    before += 1;
                }
                // The last cell holds the last boundary, so every cell has one at or after it.
                (boundaries.get(before).copied().unwrap_or(i64::MAX), before)
            })
            .collect();
        Some(BinCells {
            first,
            shift,
            cells: table,
        })
    }

    /// The number of boundaries at or below `instant` (as [`bin_of`]).
    #[inline(always)]
    fn bin(&self, instant: i64) -> usize {
        let cell = (instant.max(self.first).abs_diff(self.first) >> self.shift)
            .min(self.cells.len() as u64 - 1) as usize;
        match self.cells.get(cell) {
            Some(&(next, before)) => before + usize::from(next <= instant),
            None => 0,
        }
    }
}

/// The two-step summary: everything `active_customers` and `churn_series` need, from one scan.
///
/// Holds the multiset of customer lifetimes as sorted `(started_at, ended_at, count)` spans
/// plus an unsorted tail of rows added since, folded in lazily when its rows repeat, so memory
/// is O(distinct lifetimes) plus at most [`MAX_UNSORTED_ROWS`] rows of 16 bytes.
#[derive(Debug, Clone, Default)]
pub struct CustomerSummary {
    /// Sorted by `(started_at, ended_at)`, each key once, every count positive.
    pub(super) spans: Vec<Span>,
    /// `(started_at, ended_at)` of rows added since the last fold, in arrival order (or sorted,
    /// after an encoding).
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
        match customer_lifetime(function, started_at, ended_at)? {
            Some(lifetime) => self.add_lifetime(function, lifetime),
            None => Ok(()),
        }
    }

    /// Adds one customer row validated by [`customer_lifetime`].
    #[inline]
    pub fn add_lifetime(&mut self, function: &str, lifetime: Lifetime) -> MetricResult<()> {
        let row = (lifetime.started_at, lifetime.ended_at);
        self.check_size(function)?;
        self.customers = self.count_with(function, 1)?;
        if self.pending.len() == self.pending.capacity() {
            self.make_room(function)?;
        }
        self.pending.push(row);
        Ok(())
    }

    /// Makes room for one more row in the full unsorted tail: folds it when that shrinks it
    /// (see [`CustomerSummary::tail_folds`]), else doubles its allocation within
    /// `crm.max_state_memory`. When the doubling would pass the bound the tail is folded after
    /// all, and the summary goes on only if it is within the bound then (the rows repeated more
    /// than the sample showed); otherwise 54000.
    #[cold]
    #[inline(never)]
    fn make_room(&mut self, function: &str) -> MetricResult<()> {
        if self.tail_folds() {
            self.fold_within(function)?;
        }
        if self.pending.len() < self.pending.capacity() {
            return Ok(());
        }
        // The push after this doubles the tail's allocation.
        let growth = vec_bytes(&self.pending).max(64);
        if let Err(error) = self.check_memory(function, growth) {
            if self.pending.is_empty() {
                return Err(error);
            }
            self.fold_within(function)?;
            return self.check_memory(function, 0);
        }
        reserve(&mut self.pending, 1, function, WHAT)
    }

    /// Whether the full unsorted tail should be folded into the spans now rather than grow:
    /// when it holds [`MAX_UNSORTED_ROWS`] rows, or when a sample of its rows repeats enough
    /// that folding would shrink it. Distinct rows (customers who each have their own
    /// lifetime, the usual case) are instead sorted once when the summary is read, without
    /// folds that merge ever larger spans and copy them.
    ///
    /// The sample is [`SAMPLE_ROWS`] rows in adjacent pairs spread evenly over the tail (a pair
    /// sees repeats that arrive together, as in a table ordered by lifetime). Among `k` rows
    /// drawn from a tail of `n` rows with `d` distinct lifetimes about `k² / 2d` pairs repeat,
    /// so more than `k² / 2n` repeats means `d < n`: fewer lifetimes than rows. A sample of
    /// the whole tail (`n = k`) folds it when more than half its rows are repeats.
    fn tail_folds(&self) -> bool {
        let rows = self.pending.len();
        if rows < MIN_PENDING_ROWS {
            return false;
        }
        if rows >= MAX_UNSORTED_ROWS {
            return true;
        }
        let stride = rows / (SAMPLE_ROWS / 2);
        let mut sample = [(0i64, 0i64); SAMPLE_ROWS];
        for (pair, at) in sample.chunks_exact_mut(2).zip((0..rows).step_by(stride)) {
            if let Some(rows) = self.pending.get(at..at + 2) {
                pair.copy_from_slice(rows);
            }
        }
        sample.sort_unstable();
        let repeats = sample.windows(2).filter(|pair| pair[0] == pair[1]).count();
        repeats.saturating_mul(rows) > SAMPLE_ROWS * SAMPLE_ROWS / 2
    }

    /// Exact multiset union. The other summary's sorted spans are merged into these in place
    /// when they are at least a [`MERGE_IN_PLACE_SHARE`] of them (the partial states of a
    /// parallel plan: one linear merge, no sort); smaller ones are queued and sorted in with
    /// the next fold (when the queue outgrows the sorted spans, or when read), so a merge costs
    /// O(size of `other`) and a rollup of N small summaries about one sort of all their spans.
    /// Its pending rows and spans are queued. More than [`MAX_CUSTOMERS`] customers in total
    /// → 22003.
    pub fn merge(&mut self, function: &str, other: &CustomerSummary) -> MetricResult<()> {
        let customers = self.count_with(function, other.customers)?;
        self.check_memory(function, other.heap_bytes())?;
        if self.customers == 0 {
            reserve(&mut self.spans, other.spans.len(), function, WHAT)?;
            self.spans.extend_from_slice(&other.spans);
        } else if other.spans.len().saturating_mul(MERGE_IN_PLACE_SHARE) >= self.spans.len() {
            reserve(&mut self.spans, other.spans.len(), function, WHAT)?;
            merge_into(&mut self.spans, &other.spans);
        } else {
            reserve(&mut self.pending_spans, other.spans.len(), function, WHAT)?;
            self.pending_spans.extend_from_slice(&other.spans);
        }
        reserve(
            &mut self.pending_spans,
            other.pending_spans.len(),
            function,
            WHAT,
        )?;
        self.pending_spans.extend_from_slice(&other.pending_spans);
        reserve(&mut self.pending, other.pending.len(), function, WHAT)?;
        self.pending.extend_from_slice(&other.pending);
        self.customers = customers;
        self.fold_if_tail_is_long(function)
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
        check_state_bytes(function, WHAT, self.heap_bytes().saturating_add(growth))
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
        let mut plan = PeriodPlan::new(function, periods)?;
        self.fold_within(function)?;
        for span in checked(&self.spans) {
            plan.add(span);
        }
        plan.finish(function)
    }

    /// Checks a binary form as [`CustomerSummary::decode`] does, without keeping its spans.
    pub fn validate_binary(bytes: &[u8]) -> MetricResult<()> {
        SpanReader::open(bytes)?.validate()
    }

    /// [`CustomerSummary::periods`] straight from a binary form (the same answers), without
    /// decoding it into spans first: the spans are read, validated and counted one at a time.
    /// A malformed binary form is reported before an invalid period.
    pub fn periods_of_binary(
        function: &str,
        bytes: &[u8],
        periods: &[(i64, i64)],
    ) -> MetricResult<Vec<PeriodCounts>> {
        let reader = SpanReader::open(bytes)?;
        let mut plan = match PeriodPlan::new(function, periods) {
            Ok(plan) => plan,
            Err(error) => {
                reader.validate()?;
                return Err(error);
            }
        };
        reader.for_each_span(|span| plan.add(span))?;
        plan.finish(function)
    }

    fn fold_if_tail_is_long(&mut self, function: &str) -> MetricResult<()> {
        if self.pending.len() + self.pending_spans.len() > self.spans.len().max(MIN_PENDING_ROWS) {
            self.fold_within(function)?;
        }
        Ok(())
    }

    /// Reserves, or fails with 53200, all the room [`CustomerSummary::fold`] may need: the
    /// queue of pending spans gains at most one span per pending row, and the spans at most
    /// every queued span. A fold after it allocates nothing, so running out of memory while
    /// folding is an error, never an abort of the backend.
    pub(super) fn reserve_fold(&mut self, function: &str) -> MetricResult<()> {
        let queued = self.pending_spans.len() + self.pending.len();
        reserve(&mut self.pending_spans, self.pending.len(), function, WHAT)?;
        if !self.spans.is_empty() {
            reserve(&mut self.spans, queued, function, WHAT)?;
        }
        Ok(())
    }

    /// [`CustomerSummary::fold`] after [`CustomerSummary::reserve_fold`]: 53200 when its room
    /// cannot be had, never an abort.
    pub(super) fn fold_within(&mut self, function: &str) -> MetricResult<()> {
        self.reserve_fold(function)?;
        self.fold();
        Ok(())
    }

    /// Sorts the pending rows and spans into the spans. The queue's buffer is kept for the
    /// next fold, and the spans grow in place, so folding a growing summary allocates only
    /// amortized growth.
    pub(super) fn fold(&mut self) {
        if self.pending.is_empty() && self.pending_spans.is_empty() {
            return;
        }
        let mut queued = self.sorted_queue();
        if self.spans.is_empty() {
            std::mem::swap(&mut self.spans, &mut queued);
        } else {
            merge_into(&mut self.spans, &queued);
        }
        queued.clear();
        self.pending_spans = queued;
    }

    /// Moves the pending rows into the queue of pending spans and returns that queue sorted
    /// by key, each key once (the summary is left with an empty queue). The rows are sorted
    /// as `(started_at, ended_at)` pairs before they become spans: smaller to move, and only
    /// their distinct keys are copied.
    fn sorted_queue(&mut self) -> Vec<Span> {
        let mut queued = std::mem::take(&mut self.pending_spans);
        let spans_were_queued = !queued.is_empty();
        sort_rows(&mut self.pending);
        let mut rows = self.pending.iter();
        if let Some(&(started_at, ended_at)) = rows.next() {
            let mut run = Span {
                started_at,
                ended_at,
                count: 1,
            };
            for &(started_at, ended_at) in rows {
                if (started_at, ended_at) == run.key() {
                    run.count = run.count.saturating_add(1);
                } else {
                    queued.push(run);
                    run = Span {
                        started_at,
                        ended_at,
                        count: 1,
                    };
                }
            }
            queued.push(run);
        }
        self.pending.clear();
        if spans_were_queued {
            queued.sort_unstable_by_key(Span::key);
            queued.dedup_by(|next, kept| {
                let same = next.key() == kept.key();
                if same {
                    kept.count = kept.count.saturating_add(next.count);
                }
                same
            });
        }
        queued
    }

    /// When the summary is only its unsorted tail (no fold yet, nothing merged in: the summary
    /// of distinct rows), sorts the tail in place and gives its runs of equal rows, the summary's
    /// spans; else `None`. For encoding, which needs no span vector then.
    pub(super) fn sorted_rows(&mut self) -> Option<RowRuns<'_>> {
        if !self.spans.is_empty() || !self.pending_spans.is_empty() {
            return None;
        }
        sort_rows(&mut self.pending);
        Some(RowRuns {
            rows: &self.pending,
        })
    }

    /// Reads every distinct lifetime in key order, pending ones included, without folding
    /// them into the spans: `read` gets the spans and the sorted queue of the pending ones
    /// (see [`merged_len`] and [`for_each_merged`]). For encoding, which would otherwise grow
    /// the spans by the queue only to read them once.
    pub(super) fn read_sorted<R>(&mut self, read: impl FnOnce(&[Span], &[Span]) -> R) -> R {
        let queued = self.sorted_queue();
        let result = read(&self.spans, &queued);
        // The queue stays sorted: the next fold or read sorts it again in linear time.
        self.pending_spans = queued;
        result
    }
}

/// Rows [`sort_rows`] scans at a time for a pair of equal starts (an interrupt check each part
/// and each run of equal starts).
const TIE_SCAN_ROWS: usize = 1 << 14;

/// Sorts rows as `sort_unstable` does (by start, then end): by start alone, one comparison per
/// step where the pair takes two, then each run of equal starts (in distinct-instant data,
/// none) by end, found by a scan for adjacent equal starts.
fn sort_rows(rows: &mut [(i64, i64)]) {
    rows.sort_unstable_by_key(|row| row.0);
    let mut start = 0;
    while start + 1 < rows.len() {
        check();
        let end = (start + TIE_SCAN_ROWS).min(rows.len());
        let Some(tie) = rows[start..end]
            .windows(2)
            .position(|pair| pair[0].0 == pair[1].0)
        else {
            // The last row of this part is compared with the next part's first.
            start = end - 1;
            continue;
        };
        let first = start + tie;
        let run = rows[first..]
            .iter()
            .take_while(|row| row.0 == rows[first].0)
            .count();
        rows[first..first + run].sort_unstable();
        start = first + run;
    }
}

/// The spans of rows sorted by key: each run of equal rows is one span.
#[derive(Clone)]
pub(super) struct RowRuns<'a> {
    rows: &'a [(i64, i64)],
}

impl RowRuns<'_> {
    /// Number of rows.
    pub(super) fn rows(&self) -> usize {
        self.rows.len()
    }

    /// Number of spans (runs).
    pub(super) fn span_count(&self) -> usize {
        match self.rows.first() {
            None => 0,
            Some(_) => {
                1 + checked(self.rows.windows(2))
                    .filter(|pair| pair[0] != pair[1])
                    .count()
            }
        }
    }
}

impl Iterator for RowRuns<'_> {
    type Item = Span;

    #[inline]
    fn next(&mut self) -> Option<Span> {
        let (&(started_at, ended_at), rest) = self.rows.split_first()?;
        let repeats = rest
            .iter()
            .take_while(|&&row| row == (started_at, ended_at))
            .count();
        self.rows = rest.get(repeats..).unwrap_or_default();
        Some(Span {
            started_at,
            ended_at,
            count: repeats as u64 + 1,
        })
    }
}

/// The counting of [`CustomerSummary::periods`]: built from the periods, fed every distinct
/// lifetime in key order, then asked for each period's counts.
///
/// Every instant that matters is a boundary (a period's start or end), and each lifetime falls
/// into bins: `bin(x)` is the number of boundaries at or below `x`, so `x < boundaries[k]`
/// exactly when `bin(x) <= k`. A period is named by the positions `k` of its start and end
/// among the boundaries.
struct PeriodPlan {
    boundaries: Vec<i64>,
    /// Per period, the positions of its start and end among the boundaries.
    period_bins: Vec<(usize, usize)>,
    /// Periods by the position of their start.
    by_start_bin: Vec<usize>,
    started_in_bin: Vec<u64>,
    ended_in_bin: Vec<u64>,
    /// Customers of each period from start to end: started before its start (lifetimes come
    /// sorted by start, so these are the ones seen before the first starting at or after it)
    /// and not ended before its end.
    active_throughout: Vec<u64>,
    /// With more than [`FLAT_BINS`] bins: the prefix sums of `ended_in_bin`, kept as a tree.
    ended_by_bin: Option<BinCounts>,
    /// With at most [`FLAT_BINS`] bins: the boundaries padded for [`bin_of_padded`].
    padded: Option<[i64; FLAT_BINS]>,
    /// The bins of ends by a table, when it is small (see [`BinCells`]).
    cells: Option<BinCells>,
    /// Customers seen so far.
    seen: u64,
    /// Periods answered so far (in `by_start_bin` order).
    next_period: usize,
    /// The bin of the last lifetime's start.
    start_bin: usize,
    ticker: Ticker,
}

impl PeriodPlan {
    fn new(function: &str, periods: &[(i64, i64)]) -> MetricResult<Self> {
        for &(period_start, period_end) in checked(periods) {
            check_period(function, period_start, period_end)?;
        }
        let mut boundaries: Vec<i64> = collect_result(
            function,
            "its periods",
            periods.iter().flat_map(|&(start, end)| [start, end]),
        )?;
        boundaries.sort_unstable();
        boundaries.dedup();
        let position = |instant: i64| boundaries.partition_point(|&boundary| boundary < instant);
        let period_bins: Vec<(usize, usize)> = collect_result(
            function,
            "its periods",
            periods
                .iter()
                .map(|&(start, end)| (position(start), position(end))),
        )?;
        let mut by_start_bin: Vec<usize> =
            collect_result(function, "its periods", 0..periods.len())?;
        by_start_bin.sort_unstable_by_key(|&period| period_bins[period].0);
        let bins = boundaries.len() + 1;
        let flat = bins <= FLAT_BINS;
        let padded = flat.then(|| {
            let mut padded = [i64::MAX; FLAT_BINS];
            padded[..boundaries.len()].copy_from_slice(&boundaries);
            padded
        });
        let cells = BinCells::new(&boundaries);
        Ok(PeriodPlan {
            cells,
            boundaries,
            period_bins,
            by_start_bin,
            started_in_bin: filled_result(function, "its bins", bins, 0)?,
            ended_in_bin: filled_result(function, "its bins", bins, 0)?,
            active_throughout: filled_result(function, "its periods", periods.len(), 0)?,
            ended_by_bin: if flat {
                None
            } else {
                Some(BinCounts::new(function, bins)?)
            },
            padded,
            seen: 0,
            next_period: 0,
            start_bin: 0,
            ticker: Ticker::new(),
        })
    }

    /// Answers `active_throughout` for the periods starting before bin `start_bin`: every
    /// lifetime starting before them has been seen.
    fn answer_before(&mut self, start_bin: usize) {
        while let Some(&period) = self.by_start_bin.get(self.next_period) {
            self.ticker.tick();
            let (period_start_bin, period_end_bin) = self.period_bins[period];
            if period_start_bin >= start_bin {
                break;
            }
            let ended = match &self.ended_by_bin {
                Some(tree) => tree.sum_through(period_end_bin),
                None => self.ended_in_bin[..=period_end_bin]
                    .iter()
                    .fold(0u64, |sum, &count| sum.saturating_add(count)),
            };
            self.active_throughout[period] = self.seen.saturating_sub(ended);
            self.next_period += 1;
        }
    }

    /// Counts one distinct lifetime; lifetimes come sorted by start.
    #[inline(always)]
    fn add(&mut self, span: &Span) {
        let mut start_bin = self.start_bin;
        while start_bin < self.boundaries.len() && self.boundaries[start_bin] <= span.started_at {
            start_bin += 1;
        }
        if start_bin != self.start_bin {
            self.start_bin = start_bin;
            self.answer_before(start_bin);
        }
        let end_bin = match (&self.cells, &self.padded) {
            (Some(cells), _) => cells.bin(span.ended_at),
            (None, Some(padded)) => bin_of_padded(padded, self.boundaries.len(), span.ended_at),
            (None, None) => bin_of(&self.boundaries, span.ended_at),
        };
        self.started_in_bin[start_bin] = self.started_in_bin[start_bin].saturating_add(span.count);
        self.ended_in_bin[end_bin] = self.ended_in_bin[end_bin].saturating_add(span.count);
        if let Some(tree) = &mut self.ended_by_bin {
            tree.add(end_bin, span.count);
        }
        self.seen = self.seen.saturating_add(span.count);
    }

    fn finish(mut self, function: &str) -> MetricResult<Vec<PeriodCounts>> {
        let bins = self.boundaries.len() + 1;
        self.answer_before(bins);
        // Running totals: customers with start (end) before boundary k.
        let running = |counts: &mut Vec<u64>| {
            let mut total = 0u64;
            for count in counts.iter_mut() {
                total = total.saturating_add(*count);
                *count = total;
            }
        };
        running(&mut self.started_in_bin);
        running(&mut self.ended_in_bin);
        let (started_in_bin, ended_in_bin) = (&self.started_in_bin, &self.ended_in_bin);
        // A lifetime never ends before it starts, so an end before k implies a start before
        // k, and the customers at k are a difference of the running totals.
        let active_at_boundary = |k: usize| started_in_bin[k].saturating_sub(ended_in_bin[k]);
        let counts = checked(&self.period_bins).zip(&self.active_throughout).map(
            |(&(start, end), &throughout)| {
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
            },
        );
        collect_result(function, "its rows", counts)
    }
}

#[cfg(test)]
mod bin_tests {
    use super::{
        bin_of, bin_of_padded, sort_rows, BinCells, BinCounts, FLAT_BINS, MAX_BIN_CELLS,
        TIE_SCAN_ROWS,
    };
    use proptest::prelude::*;

    #[test]
    fn rows_with_ties_across_the_scanned_parts_sort_as_pairs() {
        let n = 3 * TIE_SCAN_ROWS as i64 + 5;
        // Distinct starts but one tie across each part boundary; pairs of equal starts; one
        // start for all; descending.
        let patterns: [fn(i64) -> (i64, i64); 4] = [
            |i| (if i % 16384 == 16383 { i + 1 } else { i }, -i),
            |i| (i / 2, i % 7),
            |i| (3, -i % 11),
            |i| (-i, i),
        ];
        for pattern in patterns {
            let mut rows: Vec<(i64, i64)> = (0..n).map(|i| pattern((i * 7919) % n)).collect();
            let mut expected = rows.clone();
            expected.sort_unstable();
            sort_rows(&mut rows);
            assert_eq!(rows, expected);
        }
    }

    #[test]
    fn monthly_boundaries_are_a_small_table() {
        // 25 month starts of 2024 and 2025 (days since 2000-01-01, in microseconds).
        let day = 86_400_000_000i64;
        let lengths = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
        let mut boundaries = vec![8766 * day];
        for month in 0..24 {
            boundaries.push(boundaries[month] + lengths[month % 12] * day);
        }
        let cells = BinCells::new(&boundaries).expect("a table for monthly periods");
        assert!(cells.cells.len() <= 32, "{} cells", cells.cells.len());
        for instant in [i64::MIN, 0, boundaries[3], boundaries[3] + day, i64::MAX] {
            assert_eq!(cells.bin(instant), bin_of(&boundaries, instant));
        }
    }

    proptest! {
        #[test]
        fn bin_of_counts_the_boundaries_at_or_below(
            mut boundaries in prop::collection::vec(-30i64..30, 0..70),
            instant in -35i64..35,
        ) {
            boundaries.sort_unstable();
            boundaries.dedup();
            let expected = boundaries.iter().filter(|&&boundary| boundary <= instant).count();
            prop_assert_eq!(bin_of(&boundaries, instant), expected);
        }

        #[test]
        fn bin_cells_count_the_boundaries_at_or_below(
            mut boundaries in prop::collection::vec(
                prop_oneof![-3000i64..3000, Just(i64::MIN), Just(i64::MAX), any::<i64>()],
                1..40,
            ),
            instants in prop::collection::vec(
                prop_oneof![-3100i64..3100, Just(i64::MIN), Just(i64::MAX), any::<i64>()],
                1..40,
            ),
        ) {
            boundaries.sort_unstable();
            boundaries.dedup();
            let gap = boundaries.windows(2).map(|pair| pair[1].abs_diff(pair[0])).min();
            let span = boundaries[boundaries.len() - 1].abs_diff(boundaries[0]);
            let cells = BinCells::new(&boundaries);
            // A table exactly when its cells (a power of two no wider than the gap) are few.
            let fits = gap.is_none_or(|gap| span >> gap.ilog2() < MAX_BIN_CELLS as u64);
            prop_assert_eq!(cells.is_some(), fits);
            if let Some(cells) = cells {
                for &instant in boundaries.iter().chain(&instants) {
                    for instant in [instant, instant.saturating_sub(1), instant.saturating_add(1)] {
                        prop_assert_eq!(cells.bin(instant), bin_of(&boundaries, instant));
                    }
                }
            }
        }

        #[test]
        fn padded_search_counts_the_boundaries_at_or_below(
            mut boundaries in prop::collection::vec(-70i64..70, 0..FLAT_BINS),
            instant in prop_oneof![-75i64..75, Just(i64::MAX), Just(i64::MIN)],
        ) {
            boundaries.sort_unstable();
            boundaries.dedup();
            boundaries.truncate(FLAT_BINS - 1);
            let mut padded = [i64::MAX; FLAT_BINS];
            padded[..boundaries.len()].copy_from_slice(&boundaries);
            let expected = boundaries.iter().filter(|&&boundary| boundary <= instant).count();
            prop_assert_eq!(bin_of_padded(&padded, boundaries.len(), instant), expected);
        }

        #[test]
        fn rows_sort_as_pairs(mut rows in prop::collection::vec((-6i64..6, -6i64..6), 0..300)) {
            let mut expected = rows.clone();
            expected.sort_unstable();
            sort_rows(&mut rows);
            prop_assert_eq!(rows, expected);
        }

        #[test]
        fn tree_bins_sum_the_updates(
            len in 1usize..3 * FLAT_BINS,
            updates in prop::collection::vec((0usize..3 * FLAT_BINS, 0u64..1000), 0..100),
        ) {
            let mut counts = BinCounts::new("crm.f", len).unwrap();
            let mut plain = vec![0u64; len];
            for &(bin, value) in &updates {
                counts.add(bin % len, value);
                plain[bin % len] += value;
            }
            for bin in 0..len {
                prop_assert_eq!(counts.sum_through(bin), plain[..=bin].iter().sum::<u64>());
            }
        }
    }
}
