//! Customer retention and churn, without Postgres.
//!
//! Timestamps are Postgres `TimestampTz` raw values: microseconds since
//! 2000-01-01 00:00 UTC, with `i64::MIN` for `-infinity` and `i64::MAX` for `infinity`.
//! A customer is active at instant `t` when `started_at <= t` and
//! (`ended_at` is NULL or `ended_at > t`); NULL and `infinity` both mean "never ends".
//!
//! * [`PeriodCounts`] is the state of the one-step aggregates (`crm.retention_rate`,
//!   `crm.churn_rate`): each row is classified against one period as it arrives.
//! * [`CustomerSummary`] is the two-step summary: the multiset of customer lifetimes,
//!   from which `active_customers` and `churn_series` answer any instant or period.
use std::cmp::Ordering;

use serde::{Deserialize, Serialize};

use crate::common::codec::{Reader, Writer};
use crate::common::error::{MetricError, MetricResult};

/// Version byte of every binary form in this module (and `"version"` of the text form).
pub const FORMAT_VERSION: u8 = 1;

/// Postgres' raw `-infinity` timestamp.
const NEG_INFINITY: i64 = i64::MIN;
/// Postgres' raw `infinity` timestamp; in a summary it also stands for "never ends".
const POS_INFINITY: i64 = i64::MAX;

/// Names the binary form of [`PeriodCounts`] in error messages.
const PERIOD_COUNTS_TYPE: &str = "crm.customer_period_counts";
/// Names [`CustomerSummary`] in error messages of its binary and text forms.
const SUMMARY_TYPE: &str = "crm.customer_summary";

/// The unsorted tail of a summary is folded into its sorted spans once it holds more
/// rows than the spans do, and never while it holds fewer than this many rows.
const MIN_PENDING_ROWS: usize = 1024;
/// Most lifetimes one summary holds in memory (distinct ones plus rows not yet merged in,
/// 16 to 24 bytes each): a failed allocation in Rust aborts the backend, so the summary stops
/// with a clean error before memory runs out.
const MAX_HELD_LIFETIMES: usize = 200_000_000;

const MICROS_PER_SECOND: i64 = 1_000_000;
const MICROS_PER_DAY: i64 = 86_400 * MICROS_PER_SECOND;
/// Days from 1970-01-01 (the civil-days algorithm's origin) to 2000-01-01 (Postgres' epoch).
const POSTGRES_EPOCH_UNIX_DAYS: i64 = 10_957;

/// Which denominator `crm.churn_rate` divides the lost customers by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Denominator {
    /// Customers active at period start: `lost / S`.
    Start,
    /// Mean of the customers active at start and at end: `lost / ((S + E) / 2)`.
    Average,
    /// Every end in the period over start customers plus every start in the period.
    StartPlusNew,
}

impl Denominator {
    /// Parses the SQL name: `'start'`, `'average'` or `'start_plus_new'`.
    pub fn parse(function: &str, name: &str) -> MetricResult<Self> {
        match name {
            "start" => Ok(Denominator::Start),
            "average" => Ok(Denominator::Average),
            "start_plus_new" => Ok(Denominator::StartPlusNew),
            other => Err(MetricError::InvalidParameter(format!(
                "{function}: unknown denominator '{other}' \
                 (allowed: 'start', 'average', 'start_plus_new')"
            ))),
        }
    }
}

/// Rejects Postgres' `infinity` and `-infinity` for an instant that must be finite
/// (`what` names it in the message, e.g. `"at"`).
pub fn require_finite(function: &str, what: &str, value: i64) -> MetricResult<()> {
    if value == NEG_INFINITY || value == POS_INFINITY {
        Err(MetricError::DatetimeOverflow(format!(
            "{function}: {what} cannot be infinite"
        )))
    } else {
        Ok(())
    }
}

/// Validates one customer row; returns `(started_at, ended_at)` with "never ends" as
/// [`POS_INFINITY`].
fn customer_span(
    function: &str,
    started_at: i64,
    ended_at: Option<i64>,
) -> MetricResult<(i64, i64)> {
    require_finite(function, "started_at", started_at)?;
    let ended_at = match ended_at {
        None | Some(POS_INFINITY) => POS_INFINITY,
        Some(NEG_INFINITY) => {
            return Err(MetricError::DatetimeOverflow(format!(
                "{function}: ended_at cannot be -infinity"
            )))
        }
        Some(ended_at) => ended_at,
    };
    if ended_at < started_at {
        return Err(MetricError::InvalidParameter(format!(
            "{function}: ended_at {} is before started_at {}",
            format_timestamp(ended_at),
            format_timestamp(started_at)
        )));
    }
    Ok((started_at, ended_at))
}

/// Validates one `[period_start, period_end)` period.
fn check_period(function: &str, period_start: i64, period_end: i64) -> MetricResult<()> {
    require_finite(function, "period_start", period_start)?;
    require_finite(function, "period_end", period_end)?;
    if period_end <= period_start {
        return Err(MetricError::InvalidParameter(format!(
            "{function}: period_end {} is not after period_start {}",
            format_timestamp(period_end),
            format_timestamp(period_start)
        )));
    }
    Ok(())
}

/// Per-period counts. All u64. Exact under any split; `merge` adds field-wise.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PeriodCounts {
    /// S: active at `period_start`.
    pub customers_at_start: u64,
    /// E: active at `period_end`.
    pub customers_at_end: u64,
    /// N: started in `(period_start, period_end]` and active at `period_end`.
    pub new_customers: u64,
    /// Lost: active at `period_start` and not at `period_end`.
    pub churned_customers: u64,
    /// Started in `(period_start, period_end]`.
    pub started_in_period: u64,
    /// Ended in `(period_start, period_end]`.
    pub ended_in_period: u64,
}

impl PeriodCounts {
    /// Classifies one validated customer against one validated period.
    fn of_customer(started_at: i64, ended_at: i64, period_start: i64, period_end: i64) -> Self {
        let active = |t: i64| started_at <= t && ended_at > t;
        let in_period = |t: i64| period_start < t && t <= period_end;
        PeriodCounts {
            customers_at_start: u64::from(active(period_start)),
            customers_at_end: u64::from(active(period_end)),
            new_customers: u64::from(in_period(started_at) && active(period_end)),
            churned_customers: u64::from(active(period_start) && !active(period_end)),
            started_in_period: u64::from(in_period(started_at)),
            ended_in_period: u64::from(in_period(ended_at)),
        }
    }

    fn fields(&self) -> [u64; 6] {
        [
            self.customers_at_start,
            self.customers_at_end,
            self.new_customers,
            self.churned_customers,
            self.started_in_period,
            self.ended_in_period,
        ]
    }

    fn from_fields(fields: [u64; 6]) -> Self {
        let [customers_at_start, customers_at_end, new_customers, churned_customers, started_in_period, ended_in_period] =
            fields;
        PeriodCounts {
            customers_at_start,
            customers_at_end,
            new_customers,
            churned_customers,
            started_in_period,
            ended_in_period,
        }
    }

    /// Whether the counts could come from real rows: `E - N = S - lost` (customers
    /// active through the whole period) and `started - N = ended - lost` (joiners who
    /// also left).
    fn is_consistent(&self) -> bool {
        let through_from_end = self.customers_at_end.checked_sub(self.new_customers);
        let through_from_start = self.customers_at_start.checked_sub(self.churned_customers);
        let left_joiners = self.started_in_period.checked_sub(self.new_customers);
        let joined_leavers = self.ended_in_period.checked_sub(self.churned_customers);
        through_from_end.is_some()
            && through_from_end == through_from_start
            && left_joiners.is_some()
            && left_joiners == joined_leavers
    }

    /// Classify one customer row against one period and add it (the one-step aggregate's transition).
    pub fn add(
        &mut self,
        function: &str,
        started_at: i64,
        ended_at: Option<i64>,
        period_start: i64,
        period_end: i64,
    ) -> MetricResult<()> {
        check_period(function, period_start, period_end)?;
        let (started_at, ended_at) = customer_span(function, started_at, ended_at)?;
        self.merge(&Self::of_customer(
            started_at,
            ended_at,
            period_start,
            period_end,
        ));
        Ok(())
    }

    /// Inverse of add (moving-aggregate support for window functions); same validation.
    /// Removing a row that was never added fails when a count would go below zero,
    /// and leaves `self` unchanged.
    pub fn remove(
        &mut self,
        function: &str,
        started_at: i64,
        ended_at: Option<i64>,
        period_start: i64,
        period_end: i64,
    ) -> MetricResult<()> {
        check_period(function, period_start, period_end)?;
        let (started_at, ended_at) = customer_span(function, started_at, ended_at)?;
        let row = Self::of_customer(started_at, ended_at, period_start, period_end);
        let mut fields = self.fields();
        for (field, delta) in fields.iter_mut().zip(row.fields()) {
            *field = field.checked_sub(delta).ok_or_else(|| {
                MetricError::InvalidParameter(format!(
                    "{function}: cannot remove a customer row that was never added"
                ))
            })?;
        }
        *self = Self::from_fields(fields);
        Ok(())
    }

    /// Adds `other` field-wise (saturating, so forged states cannot overflow).
    pub fn merge(&mut self, other: &PeriodCounts) {
        let mut fields = self.fields();
        for (field, delta) in fields.iter_mut().zip(other.fields()) {
            *field = field.saturating_add(delta);
        }
        *self = Self::from_fields(fields);
    }

    /// `(E - N) / S`; `None` when no customer was active at period start.
    pub fn retention_rate(&self) -> Option<f64> {
        let retained = self.customers_at_end.saturating_sub(self.new_customers);
        ratio(retained as f64, self.customers_at_start as f64)
    }

    /// Lost customers over the chosen denominator; `None` when it is zero.
    pub fn churn_rate(&self, denominator: Denominator) -> Option<f64> {
        let start = self.customers_at_start as f64;
        match denominator {
            Denominator::Start => ratio(self.churned_customers as f64, start),
            Denominator::Average => ratio(
                self.churned_customers as f64,
                (start + self.customers_at_end as f64) / 2.0,
            ),
            Denominator::StartPlusNew => ratio(
                self.ended_in_period as f64,
                start + self.started_in_period as f64,
            ),
        }
    }

    /// Version byte, then the six counts as varints (for parallel serialize).
    pub fn encode(&self) -> Vec<u8> {
        let mut writer = Writer::with_version(FORMAT_VERSION);
        for field in self.fields() {
            writer.u64(field);
        }
        writer.finish()
    }

    /// Inverse of [`PeriodCounts::encode`]; rejects malformed or inconsistent input.
    pub fn decode(bytes: &[u8]) -> MetricResult<Self> {
        let mut reader = Reader::open(bytes, FORMAT_VERSION, PERIOD_COUNTS_TYPE)?;
        let mut fields = [0u64; 6];
        for field in &mut fields {
            *field = reader.u64()?;
        }
        reader.finish()?;
        let counts = Self::from_fields(fields);
        if counts.is_consistent() {
            Ok(counts)
        } else {
            Err(MetricError::InvalidBinary(format!(
                "{PERIOD_COUNTS_TYPE}: inconsistent counts"
            )))
        }
    }
}

fn ratio(numerator: f64, denominator: f64) -> Option<f64> {
    if denominator == 0.0 {
        None
    } else {
        Some(numerator / denominator)
    }
}

/// `count` customers with the same lifetime.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Span {
    started_at: i64,
    /// [`POS_INFINITY`] when the customers never end.
    ended_at: i64,
    count: u64,
}

impl Span {
    fn key(&self) -> (i64, i64) {
        (self.started_at, self.ended_at)
    }
}

/// Appends `span` to spans sorted by key, adding it to the last one when keys match.
fn push_span(spans: &mut Vec<Span>, span: Span) {
    match spans.last_mut() {
        Some(last) if last.key() == span.key() => {
            last.count = last.count.saturating_add(span.count)
        }
        _ => spans.push(span),
    }
}

/// Union of two sorted, deduplicated span lists.
fn merge_spans(left: &[Span], right: &[Span]) -> Vec<Span> {
    let mut merged = Vec::with_capacity(left.len() + right.len());
    let (mut left, mut right) = (left.iter().peekable(), right.iter().peekable());
    loop {
        let next = match (left.peek(), right.peek()) {
            (Some(l), Some(r)) => match l.key().cmp(&r.key()) {
                Ordering::Greater => right.next(),
                _ => left.next(),
            },
            (Some(_), None) => left.next(),
            (None, Some(_)) => right.next(),
            (None, None) => return merged,
        };
        if let Some(&span) = next {
            push_span(&mut merged, span);
        }
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

/// What `crm.customer_summary` holds in text form.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct SummaryText {
    version: u64,
    customers: u64,
    /// `[started_at, ended_at or null, count]`, sorted.
    spans: Vec<(String, Option<String>, u64)>,
}

/// The two-step summary: everything `active_customers` and `churn_series` need, from one scan.
///
/// Holds the multiset of customer lifetimes as sorted `(started_at, ended_at, count)` spans
/// plus an unsorted tail of rows added since, folded in lazily, so memory is
/// O(distinct lifetimes).
#[derive(Debug, Clone, Default)]
pub struct CustomerSummary {
    /// Sorted by `(started_at, ended_at)`, each key once, every count positive.
    spans: Vec<Span>,
    /// `(started_at, ended_at)` of rows added since the last fold, in arrival order.
    pending: Vec<(i64, i64)>,
    /// Rows added in total: the span counts plus the pending rows.
    customers: u64,
}

impl CustomerSummary {
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds one customer row (validated like [`PeriodCounts::add`]).
    pub fn add(
        &mut self,
        function: &str,
        started_at: i64,
        ended_at: Option<i64>,
    ) -> MetricResult<()> {
        let row = customer_span(function, started_at, ended_at)?;
        self.check_size(function)?;
        self.pending.push(row);
        self.customers = self.customers.saturating_add(1);
        self.fold_if_tail_is_long();
        Ok(())
    }

    /// Exact multiset union.
    pub fn merge(&mut self, other: &CustomerSummary) {
        if !other.spans.is_empty() {
            self.spans = if self.spans.is_empty() {
                other.spans.clone()
            } else {
                merge_spans(&self.spans, &other.spans)
            };
        }
        self.pending.extend_from_slice(&other.pending);
        self.customers = self.customers.saturating_add(other.customers);
        self.fold_if_tail_is_long();
    }

    /// Fails once the summary holds [`MAX_HELD_LIFETIMES`] lifetimes; callers check after
    /// merging, and `add` checks before every row.
    pub fn check_size(&self, function: &str) -> MetricResult<()> {
        if self.spans.len() + self.pending.len() < MAX_HELD_LIFETIMES {
            Ok(())
        } else {
            Err(MetricError::OutOfRange(format!(
                "{function}: more than {MAX_HELD_LIFETIMES} distinct customer lifetimes in one \
                 summary; summarize parts of the table separately"
            )))
        }
    }

    /// Rows added.
    pub fn customers(&self) -> u64 {
        self.customers
    }

    /// Customers active at `at`. Infinite `at` gives 0 (no finite lifetime covers it);
    /// callers that must reject it can use [`require_finite`].
    pub fn active_at(&mut self, at: i64) -> u64 {
        self.fold();
        let started = self.spans.partition_point(|span| span.started_at <= at);
        self.spans[..started]
            .iter()
            .filter(|span| span.ended_at > at)
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
        for &(period_start, period_end) in periods {
            check_period(function, period_start, period_end)?;
        }
        self.fold();

        // Every instant that matters, and each lifetime's bins: `bin(x)` is the number of
        // boundaries below `x`, so `x <= boundaries[k]` exactly when `bin(x) <= k`.
        let mut boundaries: Vec<i64> = periods
            .iter()
            .flat_map(|&(start, end)| [start, end])
            .collect();
        boundaries.sort_unstable();
        boundaries.dedup();
        let bin = |instant: i64| boundaries.partition_point(|&boundary| boundary < instant);
        let period_bins: Vec<(usize, usize)> = periods
            .iter()
            .map(|&(start, end)| (bin(start), bin(end)))
            .collect();
        let mut by_start_bin: Vec<usize> = (0..periods.len()).collect();
        by_start_bin.sort_unstable_by_key(|&period| period_bins[period].0);

        let bins = boundaries.len() + 1;
        let mut started_in_bin = vec![0u64; bins];
        let mut ended_in_bin = vec![0u64; bins];
        // Customers active at both ends of each period: started at or before its start
        // (spans are sorted by start, so these are the ones seen before the first span
        // starting after it) and ended after its end.
        let mut active_throughout = vec![0u64; periods.len()];
        let mut ended_by_bin = Fenwick::new(bins);
        let mut seen = 0u64;
        let mut next_period = 0;
        let mut start_bin = 0;
        let mut answer_before = |start_bin: usize, seen: u64, ended_by_bin: &Fenwick| {
            while let Some(&period) = by_start_bin.get(next_period) {
                let (period_start_bin, period_end_bin) = period_bins[period];
                if period_start_bin >= start_bin {
                    break;
                }
                active_throughout[period] =
                    seen.saturating_sub(ended_by_bin.sum_through(period_end_bin));
                next_period += 1;
            }
        };
        for span in &self.spans {
            while start_bin < boundaries.len() && boundaries[start_bin] < span.started_at {
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

        // Running totals: customers with start (end) at or before boundary k.
        let running = |counts: &mut Vec<u64>| {
            let mut total = 0u64;
            for count in counts.iter_mut() {
                total = total.saturating_add(*count);
                *count = total;
            }
        };
        running(&mut started_in_bin);
        running(&mut ended_in_bin);
        // A lifetime never ends before it starts, so an end at or before k implies a start
        // at or before k, and active-at-k is a difference of the running totals.
        let active_at_boundary = |k: usize| started_in_bin[k].saturating_sub(ended_in_bin[k]);
        Ok(period_bins
            .iter()
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

    /// Canonical binary form: version byte, span count, then per span the start (the first
    /// zigzag, the others as the unsigned delta from the previous start), the end
    /// (0 = never, else `ended_at - started_at + 1`) and the count, all varints.
    pub fn encode(&mut self) -> Vec<u8> {
        self.fold();
        let mut writer = Writer::with_version(FORMAT_VERSION);
        writer.u64(self.spans.len() as u64);
        let mut previous_start = None;
        for span in &self.spans {
            match previous_start {
                None => writer.i64(span.started_at),
                Some(previous) => writer.u64(span.started_at.abs_diff(previous)),
            };
            let end_code = if span.ended_at == POS_INFINITY {
                0
            } else {
                span.ended_at.abs_diff(span.started_at) + 1
            };
            writer.u64(end_code).u64(span.count);
            previous_start = Some(span.started_at);
        }
        writer.finish()
    }

    /// Inverse of [`CustomerSummary::encode`]: any malformed/truncated input → Err.
    pub fn decode(bytes: &[u8]) -> MetricResult<Self> {
        let corrupt = |what: &str| MetricError::InvalidBinary(format!("{SUMMARY_TYPE}: {what}"));
        let mut reader = Reader::open(bytes, FORMAT_VERSION, SUMMARY_TYPE)?;
        let declared = reader.u64()?;
        // Each span takes at least three bytes, which bounds the allocation.
        let span_count = usize::try_from(declared)
            .ok()
            .filter(|&count| count <= reader.remaining() / 3)
            .ok_or_else(|| corrupt("span count exceeds the data"))?;
        let mut spans: Vec<Span> = Vec::with_capacity(span_count);
        let mut customers = 0u64;
        for _ in 0..span_count {
            let started_at = match spans.last() {
                None => reader.i64()?,
                Some(previous) => {
                    let started_at = i128::from(previous.started_at) + i128::from(reader.u64()?);
                    i64::try_from(started_at).map_err(|_| corrupt("started_at out of range"))?
                }
            };
            if started_at == NEG_INFINITY || started_at == POS_INFINITY {
                return Err(corrupt("started_at out of range"));
            }
            let ended_at = match reader.u64()? {
                0 => POS_INFINITY,
                code => i64::try_from(i128::from(started_at) + i128::from(code) - 1)
                    .ok()
                    .filter(|&ended_at| ended_at != POS_INFINITY)
                    .ok_or_else(|| corrupt("ended_at out of range"))?,
            };
            let count = reader.u64()?;
            if count == 0 {
                return Err(corrupt("span with zero customers"));
            }
            let span = Span {
                started_at,
                ended_at,
                count,
            };
            if spans
                .last()
                .is_some_and(|previous| previous.key() >= span.key())
            {
                return Err(corrupt("spans out of order"));
            }
            customers = customers
                .checked_add(count)
                .ok_or_else(|| corrupt("customer count overflows"))?;
            spans.push(span);
        }
        reader.finish()?;
        Ok(CustomerSummary {
            spans,
            pending: Vec::new(),
            customers,
        })
    }

    /// Readable JSON, e.g.
    /// `{"version":1,"customers":3,"spans":[["2024-01-01 00:00:00+00",null,2],...]}`.
    pub fn to_text(&mut self) -> String {
        self.fold();
        let text = SummaryText {
            version: u64::from(FORMAT_VERSION),
            customers: self.customers,
            spans: self
                .spans
                .iter()
                .map(|span| {
                    let ended_at =
                        (span.ended_at != POS_INFINITY).then(|| format_timestamp(span.ended_at));
                    (format_timestamp(span.started_at), ended_at, span.count)
                })
                .collect(),
        };
        serde_json::to_string(&text).expect("strings and integers always serialize to JSON")
    }

    /// Inverse of [`CustomerSummary::to_text`]. Spans may come in any order (repeats add up);
    /// malformed input → `MetricError::InvalidText`.
    pub fn from_text(text: &str) -> MetricResult<Self> {
        let invalid = |what: String| MetricError::InvalidText(format!("{SUMMARY_TYPE}: {what}"));
        let parsed: SummaryText = serde_json::from_str(text)
            .map_err(|error| invalid(format!("malformed text: {error}")))?;
        if parsed.version != u64::from(FORMAT_VERSION) {
            return Err(invalid(format!(
                "unsupported version {} (expected {FORMAT_VERSION})",
                parsed.version
            )));
        }
        let timestamp = |text: &str| {
            parse_timestamp(text).ok_or_else(|| {
                invalid(format!(
                    "invalid timestamp \"{text}\" (expected YYYY-MM-DD HH:MM:SS[.ffffff]+00)"
                ))
            })
        };
        let mut rows = Vec::with_capacity(parsed.spans.len());
        let mut customers = 0u64;
        for (started_at, ended_at, count) in &parsed.spans {
            let started_at = timestamp(started_at)?;
            let ended_at = match ended_at {
                None => POS_INFINITY,
                Some(ended_at) => timestamp(ended_at)?,
            };
            if ended_at < started_at {
                return Err(invalid(format!(
                    "ended_at {} is before started_at {}",
                    format_timestamp(ended_at),
                    format_timestamp(started_at)
                )));
            }
            if *count == 0 {
                return Err(invalid("span with zero customers".to_string()));
            }
            customers = customers
                .checked_add(*count)
                .ok_or_else(|| invalid("customer count overflows".to_string()))?;
            rows.push(Span {
                started_at,
                ended_at,
                count: *count,
            });
        }
        if customers != parsed.customers {
            return Err(invalid(format!(
                "\"customers\" is {} but the spans hold {customers}",
                parsed.customers
            )));
        }
        rows.sort_unstable_by_key(Span::key);
        let mut spans = Vec::with_capacity(rows.len());
        for span in rows {
            push_span(&mut spans, span);
        }
        Ok(CustomerSummary {
            spans,
            pending: Vec::new(),
            customers,
        })
    }

    fn fold_if_tail_is_long(&mut self) {
        if self.pending.len() > self.spans.len().max(MIN_PENDING_ROWS) {
            self.fold();
        }
    }

    /// Sorts the pending rows into the spans.
    fn fold(&mut self) {
        if self.pending.is_empty() {
            return;
        }
        self.pending.sort_unstable();
        let mut incoming = Vec::new();
        for &(started_at, ended_at) in &self.pending {
            push_span(
                &mut incoming,
                Span {
                    started_at,
                    ended_at,
                    count: 1,
                },
            );
        }
        self.pending.clear();
        self.spans = if self.spans.is_empty() {
            incoming
        } else {
            merge_spans(&self.spans, &incoming)
        };
    }
}

/// Formats a raw timestamp as UTC `YYYY-MM-DD HH:MM:SS[.ffffff]+00` (Postgres' output with
/// `TimeZone = UTC`: trailing zeros of the fraction dropped, ` BC` after years before 1).
fn format_timestamp(value: i64) -> String {
    match value {
        NEG_INFINITY => return "-infinity".to_string(),
        POS_INFINITY => return "infinity".to_string(),
        _ => {}
    }
    let days = value.div_euclid(MICROS_PER_DAY);
    let micros_of_day = value.rem_euclid(MICROS_PER_DAY);
    let (year, month, day) = civil_from_days(days + POSTGRES_EPOCH_UNIX_DAYS);
    let seconds = micros_of_day / MICROS_PER_SECOND;
    let fraction = micros_of_day % MICROS_PER_SECOND;
    let (hour, minute, second) = (seconds / 3600, seconds / 60 % 60, seconds % 60);
    let shown_year = if year > 0 { year } else { 1 - year };
    let mut text = format!("{shown_year:04}-{month:02}-{day:02} {hour:02}:{minute:02}:{second:02}");
    if fraction != 0 {
        let digits = format!("{fraction:06}");
        text.push('.');
        text.push_str(digits.trim_end_matches('0'));
    }
    text.push_str("+00");
    if year <= 0 {
        text.push_str(" BC");
    }
    text
}

/// Parses what [`format_timestamp`] writes for a finite value (the fraction may have 1 to 6
/// digits); `None` for anything else, including instants outside the finite `i64` range.
fn parse_timestamp(text: &str) -> Option<i64> {
    let (text, before_christ) = match text.strip_suffix(" BC") {
        Some(text) => (text, true),
        None => (text, false),
    };
    let (date, time) = text.strip_suffix("+00")?.split_once(' ')?;
    let (year, month_day) = date.split_once('-')?;
    let (month, day) = month_day.split_once('-')?;
    let (hms, fraction) = match time.split_once('.') {
        Some((hms, fraction)) => (hms, Some(fraction)),
        None => (time, None),
    };
    let (hour, minute_second) = hms.split_once(':')?;
    let (minute, second) = minute_second.split_once(':')?;

    let year = digits(year, 4, 6)?;
    let (month, day) = (digits(month, 2, 2)?, digits(day, 2, 2)?);
    let (hour, minute, second) = (
        digits(hour, 2, 2)?,
        digits(minute, 2, 2)?,
        digits(second, 2, 2)?,
    );
    let micros = match fraction {
        None => 0,
        Some(fraction) => {
            let value = digits(fraction, 1, 6)?;
            let scale = 10i64.pow(u32::try_from(6 - fraction.len()).ok()?);
            value * scale
        }
    };
    if year == 0 || !(1..=12).contains(&month) || hour > 23 || minute > 59 || second > 59 {
        return None;
    }
    let year = if before_christ { 1 - year } else { year };
    if day < 1 || day > days_in_month(year, month) {
        return None;
    }
    let days = days_from_civil(year, month, day) - POSTGRES_EPOCH_UNIX_DAYS;
    let seconds = i128::from(days) * 86_400 + i128::from(hour * 3600 + minute * 60 + second);
    let value = seconds * i128::from(MICROS_PER_SECOND) + i128::from(micros);
    i64::try_from(value)
        .ok()
        .filter(|&value| value != NEG_INFINITY && value != POS_INFINITY)
}

/// An unsigned decimal of `min..=max` ASCII digits.
fn digits(text: &str, min: usize, max: usize) -> Option<i64> {
    if (min..=max).contains(&text.len()) && text.bytes().all(|byte| byte.is_ascii_digit()) {
        text.parse().ok()
    } else {
        None
    }
}

fn days_in_month(year: i64, month: i64) -> i64 {
    match month {
        2 if year.rem_euclid(4) == 0
            && (year.rem_euclid(100) != 0 || year.rem_euclid(400) == 0) =>
        {
            29
        }
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Proleptic Gregorian `(year, month, day)` of a day count from 1970-01-01
/// (H. Hinnant's `civil_from_days`; year 0 is 1 BC).
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let shifted = days + 719_468;
    let era = shifted.div_euclid(146_097);
    let day_of_era = shifted.rem_euclid(146_097);
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_from_march = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * month_from_march + 2) / 5 + 1;
    let month = if month_from_march < 10 {
        month_from_march + 3
    } else {
        month_from_march - 9
    };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// Inverse of [`civil_from_days`].
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let year = year - i64::from(month <= 2);
    let era = year.div_euclid(400);
    let year_of_era = year.rem_euclid(400);
    let month_from_march = if month > 2 { month - 3 } else { month + 9 };
    let day_of_year = (153 * month_from_march + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const F: &str = "crm.churn_rate";

    fn day(n: i64) -> i64 {
        n * MICROS_PER_DAY
    }

    fn ts(text: &str) -> i64 {
        parse_timestamp(text).expect("test timestamp parses")
    }

    type Row = (i64, Option<i64>);

    fn counts(rows: &[Row], period: (i64, i64)) -> PeriodCounts {
        let mut counts = PeriodCounts::default();
        for &(started_at, ended_at) in rows {
            counts
                .add(F, started_at, ended_at, period.0, period.1)
                .expect("valid row");
        }
        counts
    }

    fn summary(rows: &[Row]) -> CustomerSummary {
        let mut summary = CustomerSummary::new();
        for &(started_at, ended_at) in rows {
            summary.add(F, started_at, ended_at).expect("valid row");
        }
        summary
    }

    /// Period [day 10, day 20) and one customer per case, named in comments.
    fn hand_rows() -> Vec<Row> {
        vec![
            (day(0), None),           // active throughout: S, E
            (day(1), None),           // active throughout: S, E
            (day(0), Some(day(15))),  // leaves inside: S, lost, ended
            (day(12), None),          // joins inside: E, N, started
            (day(11), None),          // joins inside: E, N, started
            (day(12), Some(day(18))), // joins and leaves inside: started, ended
            (day(13), Some(day(14))), // joins and leaves inside: started, ended
            (day(10), None),          // starts exactly at period_start: S, E
            (day(0), Some(day(20))),  // ends exactly at period_end: S, lost, ended
            (day(0), Some(day(10))),  // ends exactly at period_start: nothing
            (day(20), None),          // starts exactly at period_end: E, N, started
            (day(15), Some(day(15))), // zero-length inside: started, ended
            (day(10), Some(day(10))), // zero-length at period_start: nothing
            (day(5), Some(day(5))),   // zero-length before: nothing
            (day(25), None),          // starts after: nothing
            (day(0), Some(i64::MAX)), // +infinity end = never ends: S, E
        ]
    }

    const HAND_EXPECTED: PeriodCounts = PeriodCounts {
        customers_at_start: 6,
        customers_at_end: 7,
        new_customers: 3,
        churned_customers: 2,
        started_in_period: 6,
        ended_in_period: 5,
    };

    #[test]
    fn hand_computed_period() {
        let got = counts(&hand_rows(), (day(10), day(20)));
        assert_eq!(got, HAND_EXPECTED);
        assert_eq!(got.retention_rate(), Some(4.0 / 6.0));
        assert_eq!(got.churn_rate(Denominator::Start), Some(2.0 / 6.0));
        assert_eq!(got.churn_rate(Denominator::Average), Some(2.0 / 6.5));
        assert_eq!(got.churn_rate(Denominator::StartPlusNew), Some(5.0 / 12.0));
        let mut summary = summary(&hand_rows());
        assert_eq!(
            summary.periods(F, &[(day(10), day(20))]).unwrap(),
            vec![got]
        );
        assert_eq!(summary.customers(), 16);
    }

    #[test]
    fn single_customers_at_boundaries() {
        let period = (day(10), day(20));
        let one = |row: Row| counts(&[row], period);
        let at_start = one((day(10), None));
        assert_eq!(
            (at_start.customers_at_start, at_start.started_in_period),
            (1, 0)
        );
        let ends_at_end = one((day(0), Some(day(20))));
        assert_eq!(
            (ends_at_end.customers_at_end, ends_at_end.churned_customers),
            (0, 1)
        );
        let ends_at_start = one((day(0), Some(day(10))));
        assert_eq!(ends_at_start, PeriodCounts::default());
        let zero_length = one((day(15), Some(day(15))));
        assert_eq!(
            zero_length,
            PeriodCounts {
                started_in_period: 1,
                ended_in_period: 1,
                ..PeriodCounts::default()
            }
        );
        let joiner_leaver = one((day(11), Some(day(19))));
        assert_eq!(
            joiner_leaver,
            PeriodCounts {
                started_in_period: 1,
                ended_in_period: 1,
                ..PeriodCounts::default()
            }
        );
    }

    #[test]
    fn zero_denominators_are_null() {
        let empty = PeriodCounts::default();
        assert_eq!(empty.retention_rate(), None);
        assert_eq!(empty.churn_rate(Denominator::Start), None);
        assert_eq!(empty.churn_rate(Denominator::Average), None);
        assert_eq!(empty.churn_rate(Denominator::StartPlusNew), None);
        // Only joiners: nothing at start, but the other denominators are not zero.
        let joiners = counts(
            &[(day(12), None), (day(13), Some(day(14)))],
            (day(10), day(20)),
        );
        assert_eq!(joiners.retention_rate(), None);
        assert_eq!(joiners.churn_rate(Denominator::Start), None);
        assert_eq!(joiners.churn_rate(Denominator::Average), Some(0.0));
        assert_eq!(joiners.churn_rate(Denominator::StartPlusNew), Some(0.5));
    }

    #[test]
    fn summary_active_at_boundaries() {
        let mut summary = summary(&hand_rows());
        // At day 10: the four starting at day 0 and 1 still on, the +infinity one, and the
        // one starting exactly at day 10; not the one ending at day 10.
        assert_eq!(summary.active_at(day(10)), 6);
        assert_eq!(summary.active_at(day(20)), 7);
        assert_eq!(summary.active_at(day(15)), 8);
        assert_eq!(summary.active_at(i64::MIN), 0);
        assert_eq!(summary.active_at(i64::MAX), 0);
    }

    #[test]
    fn summary_folds_long_tails() {
        let rows: Vec<Row> = (0..5000i64)
            .map(|i| (i % 37, (i % 3 != 0).then_some(i % 37 + i % 11)))
            .collect();
        let mut summary = summary(&rows);
        assert!(summary.pending.len() <= MIN_PENDING_ROWS);
        assert_eq!(summary.customers(), 5000);
        let period = (5, 20);
        assert_eq!(
            summary.periods(F, &[period]).unwrap(),
            vec![counts(&rows, period)]
        );
        assert!(summary.spans.len() <= 37 * 12);
    }

    #[test]
    fn periods_share_boundaries_and_come_in_any_order() {
        let rows = hand_rows();
        let periods = [
            (day(20), day(30)),
            (day(10), day(20)),
            (day(0), day(10)),
            (day(10), day(11)),
            (day(-5), day(40)),
        ];
        let mut summary = summary(&rows);
        let expected: Vec<_> = periods.iter().map(|&p| counts(&rows, p)).collect();
        assert_eq!(summary.periods(F, &periods).unwrap(), expected);
        assert_eq!(summary.periods(F, &[]).unwrap(), vec![]);
    }

    #[test]
    fn row_errors() {
        let mut counts = PeriodCounts::default();
        let period = (day(10), day(20));
        assert_eq!(
            counts.add(
                F,
                ts("2024-02-01 00:00:00+00"),
                Some(ts("2024-01-01 00:00:00+00")),
                period.0,
                period.1
            ),
            Err(MetricError::InvalidParameter(
                "crm.churn_rate: ended_at 2024-01-01 00:00:00+00 is before started_at 2024-02-01 00:00:00+00"
                    .to_string()
            ))
        );
        for started_at in [i64::MIN, i64::MAX] {
            assert!(matches!(
                counts.add(F, started_at, None, period.0, period.1),
                Err(MetricError::DatetimeOverflow(m)) if m == "crm.churn_rate: started_at cannot be infinite"
            ));
        }
        assert!(matches!(
            counts.add(F, day(1), Some(i64::MIN), period.0, period.1),
            Err(MetricError::DatetimeOverflow(m)) if m == "crm.churn_rate: ended_at cannot be -infinity"
        ));
        assert_eq!(counts, PeriodCounts::default());
        let mut summary = CustomerSummary::new();
        assert!(matches!(
            summary.add("crm.customer_summary", day(2), Some(day(1))),
            Err(MetricError::InvalidParameter(m)) if m.starts_with("crm.customer_summary: ended_at ")
        ));
        assert!(matches!(
            summary.add(F, i64::MAX, None),
            Err(MetricError::DatetimeOverflow(_))
        ));
        assert!(matches!(
            summary.add(F, 0, Some(i64::MIN)),
            Err(MetricError::DatetimeOverflow(_))
        ));
        assert_eq!(summary.customers(), 0);
    }

    #[test]
    fn period_errors() {
        let mut counts = PeriodCounts::default();
        let mut summary = summary(&hand_rows());
        let start = ts("2024-02-01 00:00:00+00");
        let end = ts("2024-01-01 00:00:00+00");
        let message = "crm.churn_rate: period_end 2024-01-01 00:00:00+00 is not after period_start 2024-02-01 00:00:00+00";
        assert_eq!(
            counts.add(F, 0, None, start, end),
            Err(MetricError::InvalidParameter(message.to_string()))
        );
        assert_eq!(
            summary.periods(F, &[(0, 1), (start, end)]),
            Err(MetricError::InvalidParameter(message.to_string()))
        );
        assert!(matches!(
            counts.add(F, 0, None, start, start),
            Err(MetricError::InvalidParameter(_))
        ));
        assert!(matches!(
            summary.periods(F, &[(start, start)]),
            Err(MetricError::InvalidParameter(_))
        ));
        for period in [(i64::MIN, 0), (0, i64::MAX)] {
            assert!(matches!(
                counts.add(F, 0, None, period.0, period.1),
                Err(MetricError::DatetimeOverflow(_))
            ));
            assert!(matches!(
                summary.periods(F, &[period]),
                Err(MetricError::DatetimeOverflow(_))
            ));
        }
        assert!(matches!(
            counts.remove(F, 0, None, start, end),
            Err(MetricError::InvalidParameter(_))
        ));
    }

    #[test]
    fn remove_of_a_row_never_added_fails_cleanly() {
        let period = (day(10), day(20));
        let mut counts = counts(&[(day(0), None)], period);
        let before = counts;
        assert_eq!(
            counts.remove(F, day(12), None, period.0, period.1),
            Err(MetricError::InvalidParameter(
                "crm.churn_rate: cannot remove a customer row that was never added".to_string()
            ))
        );
        assert_eq!(counts, before);
        counts.remove(F, day(0), None, period.0, period.1).unwrap();
        assert_eq!(counts, PeriodCounts::default());
    }

    #[test]
    fn denominator_names() {
        assert_eq!(Denominator::parse(F, "start"), Ok(Denominator::Start));
        assert_eq!(Denominator::parse(F, "average"), Ok(Denominator::Average));
        assert_eq!(
            Denominator::parse(F, "start_plus_new"),
            Ok(Denominator::StartPlusNew)
        );
        assert_eq!(
            Denominator::parse(F, "end"),
            Err(MetricError::InvalidParameter(
                "crm.churn_rate: unknown denominator 'end' (allowed: 'start', 'average', 'start_plus_new')"
                    .to_string()
            ))
        );
    }

    #[test]
    fn require_finite_names_the_value() {
        assert_eq!(require_finite("crm.active_customers", "at", 0), Ok(()));
        assert_eq!(
            require_finite("crm.active_customers", "at", i64::MAX),
            Err(MetricError::DatetimeOverflow(
                "crm.active_customers: at cannot be infinite".to_string()
            ))
        );
    }

    #[test]
    fn timestamps_format_like_postgres_in_utc() {
        assert_eq!(format_timestamp(0), "2000-01-01 00:00:00+00");
        assert_eq!(format_timestamp(day(8766)), "2024-01-01 00:00:00+00");
        assert_eq!(format_timestamp(day(-10957)), "1970-01-01 00:00:00+00");
        assert_eq!(format_timestamp(-1), "1999-12-31 23:59:59.999999+00");
        assert_eq!(
            format_timestamp(day(59) + 3_723_500_000),
            "2000-02-29 01:02:03.5+00"
        );
        // Postgres' lowest timestamp.
        assert_eq!(
            format_timestamp(-211_813_488_000_000_000),
            "4714-11-24 00:00:00+00 BC"
        );
        assert_eq!(
            format_timestamp(ts("0001-01-01 00:00:00+00 BC")),
            "0001-01-01 00:00:00+00 BC"
        );
        assert_eq!(
            ts("0001-01-01 00:00:00+00") - ts("0001-12-31 00:00:00+00 BC"),
            day(1)
        );
        assert_eq!(format_timestamp(i64::MAX), "infinity");
        assert_eq!(format_timestamp(i64::MIN), "-infinity");
        for bad in [
            "2024-02-30 00:00:00+00",
            "2023-02-29 00:00:00+00",
            "0000-01-01 00:00:00+00",
            "2024-01-01 24:00:00+00",
            "2024-01-01 00:00:00.1234567+00",
            "2024-01-01 00:00:00",
            "2024-1-01 00:00:00+00",
            "infinity",
            "+024-01-01 00:00:00+00",
            "999999-01-01 00:00:00+00",
        ] {
            assert_eq!(parse_timestamp(bad), None, "{bad}");
        }
    }

    #[test]
    fn binary_forms_reject_corruption() {
        let mut summary = summary(&hand_rows());
        let bytes = summary.encode();
        for len in 0..bytes.len() {
            assert!(CustomerSummary::decode(&bytes[..len]).is_err());
        }
        let mut wrong_version = bytes.clone();
        wrong_version[0] = 2;
        assert!(matches!(
            CustomerSummary::decode(&wrong_version),
            Err(MetricError::InvalidBinary(_))
        ));
        // A forged span count must fail before allocating.
        let mut forged = vec![FORMAT_VERSION];
        forged.extend([0xff; 9]);
        forged.push(0x01);
        assert!(CustomerSummary::decode(&forged).is_err());
        // Zero count, out-of-order spans, trailing bytes.
        assert!(CustomerSummary::decode(&[1, 1, 2, 0, 0]).is_err());
        assert!(CustomerSummary::decode(&[1, 2, 2, 0, 1, 0, 0, 1]).is_err());
        assert!(CustomerSummary::decode(&[1, 1, 2, 0, 1, 0]).is_err());
        assert_eq!(CustomerSummary::decode(&[1, 0]).unwrap().customers(), 0);
        // An end past +infinity.
        assert!(CustomerSummary::decode(&[
            1, 1, 0xfc, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01, 3, 1
        ])
        .is_err());

        let counts = counts(&hand_rows(), (day(10), day(20)));
        assert_eq!(PeriodCounts::decode(&counts.encode()), Ok(counts));
        let mut inconsistent = counts;
        inconsistent.new_customers += 1;
        assert!(matches!(
            PeriodCounts::decode(&inconsistent.encode()),
            Err(MetricError::InvalidBinary(_))
        ));
        assert!(PeriodCounts::decode(&[1, 0, 0, 0, 0, 0]).is_err());
        assert!(PeriodCounts::decode(&[1, 0, 0, 0, 0, 0, 0, 0]).is_err());
    }

    #[test]
    fn binary_form_is_pinned() {
        // Version 1, two spans; the first start zigzag-coded, the next as a delta; end codes
        // 0 = never, else end - start + 1; then the count.
        let mut summary = summary(&[(0, None), (0, None), (10, Some(20))]);
        assert_eq!(summary.encode(), vec![1, 2, 0, 0, 2, 10, 11, 1]);
        let counts = PeriodCounts {
            customers_at_start: 3,
            customers_at_end: 2,
            new_customers: 1,
            churned_customers: 2,
            started_in_period: 1,
            ended_in_period: 2,
        };
        assert_eq!(counts.encode(), vec![1, 3, 2, 1, 2, 1, 2]);
    }

    #[test]
    fn text_form() {
        let mut summary = summary(&[
            (ts("2024-01-01 00:00:00+00"), None),
            (ts("2024-01-01 00:00:00+00"), None),
            (
                ts("2023-06-01 12:30:00.25+00"),
                Some(ts("2024-03-01 00:00:00+00")),
            ),
        ]);
        let text = summary.to_text();
        assert_eq!(
            text,
            r#"{"version":1,"customers":3,"spans":[["2023-06-01 12:30:00.25+00","2024-03-01 00:00:00+00",1],["2024-01-01 00:00:00+00",null,2]]}"#
        );
        assert_eq!(CustomerSummary::from_text(&text).unwrap().to_text(), text);
        // Unsorted and repeated spans are accepted and normalized.
        let loose = r#"{"version":1,"customers":3,"spans":[["2024-01-01 00:00:00+00",null,1],
            ["2023-06-01 12:30:00.250+00","2024-03-01 00:00:00+00",1],["2024-01-01 00:00:00+00",null,1]]}"#;
        assert_eq!(CustomerSummary::from_text(loose).unwrap().to_text(), text);
        for bad in [
            "",
            "{}",
            r#"{"version":2,"customers":0,"spans":[]}"#,
            r#"{"version":1,"customers":1,"spans":[]}"#,
            r#"{"version":1,"customers":0,"spans":[],"extra":1}"#,
            r#"{"version":1,"customers":0,"spans":[["2024-01-01 00:00:00+00",null,0]]}"#,
            r#"{"version":1,"customers":1,"spans":[["2024-01-02 00:00:00+00","2024-01-01 00:00:00+00",1]]}"#,
            r#"{"version":1,"customers":1,"spans":[["2024-01-01",null,1]]}"#,
            r#"{"version":1,"customers":1,"spans":[["2024-01-01 00:00:00+00",null,1]]} x"#,
            r#"{"version":1,"customers":2,"spans":[["2024-01-01 00:00:00+00",null,18446744073709551615],["2025-01-01 00:00:00+00",null,18446744073709551615]]}"#,
        ] {
            let error = CustomerSummary::from_text(bad).unwrap_err();
            assert!(
                matches!(&error, MetricError::InvalidText(m) if m.starts_with("crm.customer_summary: ")),
                "{bad}: {error:?}"
            );
        }
    }

    /// Microseconds in a small range, so lifetimes and periods collide often.
    fn small_row() -> impl Strategy<Value = Row> {
        (-40i64..40, prop::option::of(0i64..30), 0u8..8).prop_map(|(started_at, length, kind)| {
            let ended_at = match (length, kind) {
                (_, 0) => Some(i64::MAX),
                (Some(length), _) => Some(started_at + length),
                (None, _) => None,
            };
            (started_at, ended_at)
        })
    }

    /// Anywhere in the finite range, to exercise the encodings' extremes.
    fn wide_row() -> impl Strategy<Value = Row> {
        (i64::MIN + 1..i64::MAX)
            .prop_flat_map(|started_at| (Just(started_at), prop::option::of(started_at..i64::MAX)))
    }

    fn any_row() -> impl Strategy<Value = Row> {
        prop_oneof![3 => small_row(), 1 => wide_row()]
    }

    fn period() -> impl Strategy<Value = (i64, i64)> {
        (-50i64..50, 1i64..40).prop_map(|(start, length)| (start, start + length))
    }

    fn rows() -> impl Strategy<Value = Vec<Row>> {
        prop::collection::vec(small_row(), 0..60)
    }

    proptest! {
        #[test]
        fn merge_is_associative_and_commutative(a in rows(), b in rows(), c in rows(), p in period()) {
            let (a, b, c) = (counts(&a, p), counts(&b, p), counts(&c, p));
            let mut ab_c = a;
            ab_c.merge(&b);
            ab_c.merge(&c);
            let mut bc = b;
            bc.merge(&c);
            let mut a_bc = a;
            a_bc.merge(&bc);
            prop_assert_eq!(ab_c, a_bc);
            let mut ba = b;
            ba.merge(&a);
            let mut ab = a;
            ab.merge(&b);
            prop_assert_eq!(ab, ba);
        }

        #[test]
        fn any_split_merges_to_one_pass(rows in rows(), cuts in prop::collection::vec(0usize..60, 0..5), p in period()) {
            let mut cuts: Vec<usize> = cuts.into_iter().map(|cut| cut.min(rows.len())).collect();
            cuts.push(0);
            cuts.push(rows.len());
            cuts.sort_unstable();
            let mut merged = PeriodCounts::default();
            let mut merged_summary = CustomerSummary::new();
            for part in cuts.windows(2) {
                merged.merge(&counts(&rows[part[0]..part[1]], p));
                merged_summary.merge(&summary(&rows[part[0]..part[1]]));
            }
            let whole = counts(&rows, p);
            prop_assert_eq!(merged, whole);
            prop_assert!(whole.is_consistent());
            prop_assert_eq!(merged_summary.customers(), rows.len() as u64);
            prop_assert_eq!(merged_summary.encode(), summary(&rows).encode());
        }

        #[test]
        fn remove_undoes_add(rows in rows(), row in small_row(), p in period()) {
            let mut state = counts(&rows, p);
            let before = state;
            state.add(F, row.0, row.1, p.0, p.1).unwrap();
            state.remove(F, row.0, row.1, p.0, p.1).unwrap();
            prop_assert_eq!(state, before);
        }

        #[test]
        fn summary_periods_match_row_by_row(
            rows in prop::collection::vec(any_row(), 0..80),
            periods in prop::collection::vec(period(), 0..8),
            fold_at in 0usize..80,
        ) {
            let mut summary = CustomerSummary::new();
            for (index, &(started_at, ended_at)) in rows.iter().enumerate() {
                if index == fold_at {
                    summary.active_at(0);
                }
                summary.add(F, started_at, ended_at).unwrap();
            }
            let expected: Vec<_> = periods.iter().map(|&p| counts(&rows, p)).collect();
            prop_assert_eq!(summary.periods(F, &periods).unwrap(), expected);
        }

        #[test]
        fn active_at_matches_brute_force(rows in prop::collection::vec(any_row(), 0..80), at in -60i64..60) {
            let expected = rows
                .iter()
                .filter(|&&(started_at, ended_at)| {
                    started_at <= at && ended_at.is_none_or(|ended_at| ended_at > at)
                })
                .count() as u64;
            prop_assert_eq!(summary(&rows).active_at(at), expected);
        }

        #[test]
        fn encodings_round_trip(rows in prop::collection::vec(any_row(), 0..60)) {
            let mut original = summary(&rows);
            let bytes = original.encode();
            let mut decoded = CustomerSummary::decode(&bytes).unwrap();
            prop_assert_eq!(decoded.customers(), rows.len() as u64);
            prop_assert_eq!(decoded.encode(), bytes.clone());
            let mut reversed: Vec<Row> = rows.clone();
            reversed.reverse();
            prop_assert_eq!(summary(&reversed).encode(), bytes.clone());

            let text = original.to_text();
            let mut from_text = CustomerSummary::from_text(&text).unwrap();
            prop_assert_eq!(from_text.to_text(), text);
            prop_assert_eq!(from_text.encode(), bytes);
        }

        #[test]
        fn period_counts_round_trip(rows in rows(), p in period()) {
            let counts = counts(&rows, p);
            prop_assert_eq!(PeriodCounts::decode(&counts.encode()), Ok(counts));
        }

        #[test]
        fn decoding_random_bytes_never_panics(mut bytes in prop::collection::vec(any::<u8>(), 0..64), versioned: bool) {
            if versioned && !bytes.is_empty() {
                bytes[0] = FORMAT_VERSION;
            }
            if let Ok(mut decoded) = CustomerSummary::decode(&bytes) {
                let mut again = CustomerSummary::decode(&decoded.encode()).unwrap();
                prop_assert_eq!(again.encode(), decoded.encode());
            }
            let _ = PeriodCounts::decode(&bytes);
        }

        #[test]
        fn parsing_random_text_never_panics(text in ".{0,80}") {
            let _ = CustomerSummary::from_text(&text);
            let _ = parse_timestamp(&text);
        }

        #[test]
        fn timestamps_round_trip(value in i64::MIN + 1..i64::MAX) {
            prop_assert_eq!(parse_timestamp(&format_timestamp(value)), Some(value));
        }
    }
}
