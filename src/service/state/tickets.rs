//! Support-ticket metrics without Postgres: the `crm.service_summary` behind
//! `crm.service_agg` and the counting states of the one-step aggregates.
//!
//! A summary keeps counts and every first-response and resolution duration (microseconds), so
//! percentiles are exact, as `percentile_disc` gives them, and any SLA target can be asked
//! later. In memory a duration takes 8 bytes; the binary form stores each list sorted, as
//! varint deltas (1 to 5 bytes a duration for realistic data).
//!
//! Built with `as_of`, a summary also keeps, for every ticket still waiting for its first
//! response (resolution) at `as_of`, the time it had waited by then, so `sla_counts` can tell a
//! ticket already late (breached) from one still within its target (pending).
//!
//! Binary and text forms: version 1 is the form of the first release and is still what a summary
//! without the later fields writes (so its bytes, equality and order do not change); version 2
//! adds the resolved tickets whose agent reply count is unknown and the waiting lists of an
//! `as_of` summary. Both versions read.
use crate::common::codec::{from_json_object, Reader, Writer};
use crate::common::error::{Float8, MetricError, MetricResult};
use crate::common::exact::count_ratio;
use crate::common::interrupt;
use crate::common::limits::{check_state_bytes, reserve, vec_bytes};

/// What the summary keeps, for the memory errors.
const WHAT: &str = "ticket durations";

/// The newest format version (version 1 still reads, and is written when it holds the value).
pub const SUMMARY_FORMAT_VERSION: u8 = 2;
/// The first release's format: no unknown reply counts, no waiting tickets.
const FORMAT_VERSION_1: u8 = 1;
pub const SUMMARY_TYPE: &str = "crm.service_summary";
/// Most durations one summary holds (8 bytes each in memory): a failed allocation in Rust
/// ends the backend, so the summary stops with a clean error first.
pub const MAX_DURATIONS: usize = 100_000_000;

/// Whether a summary's durations are business time (a calendar was given) or elapsed time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimeKind {
    Elapsed,
    Business,
}

impl TimeKind {
    fn name(self) -> &'static str {
        match self {
            TimeKind::Elapsed => "elapsed",
            TimeKind::Business => "business",
        }
    }
}

/// Which duration an SLA target applies to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Metric {
    FirstResponse,
    Resolution,
}

impl Metric {
    /// The metric `name` names, in any case (`'Resolution'`).
    pub fn parse(function: &str, name: &str) -> MetricResult<Self> {
        if name.eq_ignore_ascii_case("first_response") {
            Ok(Metric::FirstResponse)
        } else if name.eq_ignore_ascii_case("resolution") {
            Ok(Metric::Resolution)
        } else {
            Err(MetricError::InvalidParameter(format!(
                "{function}: unknown metric '{}' (expected 'first_response' or 'resolution')",
                name.escape_debug()
            )))
        }
    }
}

/// One ticket as the aggregates see it, durations already measured.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ticket {
    /// First response time, when answered.
    pub first_response: Option<i64>,
    /// Resolution time, when resolved.
    pub resolution: Option<i64>,
    /// Public agent replies; `None` (NULL) is unknown: a resolved ticket without a count is
    /// left out of the first-contact resolution rate.
    pub agent_replies: Option<i32>,
    /// Reopened (NULL read as false).
    pub reopened: bool,
    /// With `as_of`: the time waited until `as_of` by a ticket not answered by then.
    pub waiting_response: Option<i64>,
    /// With `as_of`: the time waited until `as_of` by a ticket not resolved by then.
    pub waiting_resolution: Option<i64>,
}

/// Checks a measured duration: a response or resolution before creation is refused.
pub fn check_duration(function: &str, what: &str, duration: i64) -> MetricResult<i64> {
    if duration < 0 {
        Err(MetricError::InvalidParameter(format!(
            "{function}: {what} is {} before created_at",
            crate::common::civil::format_interval(0, duration.saturating_neg())
        )))
    } else {
        Ok(duration)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceSummary {
    pub kind: TimeKind,
    pub tickets: u64,
    /// Resolved tickets that were reopened.
    pub reopened: u64,
    /// Resolved, not reopened, at most one agent reply.
    pub first_contact_resolved: u64,
    /// Resolved tickets whose agent reply count is unknown (NULL): left out of `fcr_rate`.
    pub unknown_replies: u64,
    /// Whether the summary was built with `as_of` (the waiting lists below are kept).
    pub as_of: bool,
    first_responses: Vec<i64>,
    resolutions: Vec<i64>,
    /// With `as_of`: time waited until `as_of` by each ticket not answered by then.
    waiting_responses: Vec<i64>,
    /// With `as_of`: time waited until `as_of` by each ticket not resolved by then.
    waiting_resolutions: Vec<i64>,
    /// Whether every list is sorted.
    sorted: bool,
}

/// SLA outcome counts of `crm.sla_counts`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SlaCounts {
    /// Answered (resolved) within the target.
    pub met: u64,
    /// Answered (resolved) after the target, or (with `as_of`) still waiting past it.
    pub breached: u64,
    /// Still waiting: within the target at `as_of`, or (without `as_of`) not known.
    pub pending: u64,
}

impl SlaCounts {
    /// met ÷ (met + breached); `None` when both are 0.
    pub fn attainment(&self) -> Option<f64> {
        let decided = self.met + self.breached;
        count_ratio(self.met.into(), decided.into())
    }
}

impl ServiceSummary {
    pub fn new(kind: TimeKind) -> Self {
        ServiceSummary {
            kind,
            tickets: 0,
            reopened: 0,
            first_contact_resolved: 0,
            unknown_replies: 0,
            as_of: false,
            first_responses: Vec::new(),
            resolutions: Vec::new(),
            waiting_responses: Vec::new(),
            waiting_resolutions: Vec::new(),
            sorted: true,
        }
    }

    /// An empty summary built with `as_of` (it keeps the waiting tickets).
    pub fn new_as_of(kind: TimeKind) -> Self {
        ServiceSummary {
            as_of: true,
            ..ServiceSummary::new(kind)
        }
    }

    fn durations_held(&self) -> usize {
        self.first_responses.len()
            + self.resolutions.len()
            + self.waiting_responses.len()
            + self.waiting_resolutions.len()
    }

    /// The format version that holds this value: 1 unless it has a later field.
    fn format_version(&self) -> u8 {
        if self.as_of || self.unknown_replies > 0 {
            SUMMARY_FORMAT_VERSION
        } else {
            FORMAT_VERSION_1
        }
    }

    pub fn responded(&self) -> u64 {
        self.first_responses.len() as u64
    }

    pub fn resolved(&self) -> u64 {
        self.resolutions.len() as u64
    }

    fn check_size(&self, function: &str, extra: usize) -> MetricResult<()> {
        if self.durations_held() + extra > MAX_DURATIONS {
            Err(MetricError::OutOfRange(format!(
                "{function}: more than {MAX_DURATIONS} durations in one summary; summarize \
                 parts of the table separately"
            )))
        } else {
            Ok(())
        }
    }

    /// Heap bytes held (charged to the aggregate's memory context).
    pub fn heap_bytes(&self) -> usize {
        vec_bytes(&self.first_responses)
            + vec_bytes(&self.resolutions)
            + vec_bytes(&self.waiting_responses)
            + vec_bytes(&self.waiting_resolutions)
    }

    /// Fails with 54000 when the durations would pass `crm.max_state_memory` after growing by
    /// `growth` bytes.
    fn check_memory(&self, function: &str, growth: usize) -> MetricResult<()> {
        check_state_bytes(function, WHAT, self.heap_bytes().saturating_add(growth))
    }

    /// Adds one ticket (durations checked by the caller). A ticket with waiting times goes
    /// only into a summary built with `as_of`, and every ticket of such a summary has them
    /// where it has no duration.
    pub fn add(&mut self, function: &str, ticket: Ticket) -> MetricResult<()> {
        if let Some(replies) = ticket.agent_replies.filter(|&replies| replies < 0) {
            return Err(MetricError::OutOfRange(format!(
                "{function}: agent_replies {replies} is negative"
            )));
        }
        let waits = ticket.waiting_response.is_some() || ticket.waiting_resolution.is_some();
        let missing = (ticket.first_response.is_none() && ticket.waiting_response.is_none())
            || (ticket.resolution.is_none() && ticket.waiting_resolution.is_none());
        if (waits && !self.as_of) || (self.as_of && missing) {
            return Err(MetricError::InvalidParameter(format!(
                "{function}: a ticket's waiting time needs a summary built with as_of"
            )));
        }
        self.check_size(function, 2)?;
        let lists = [
            &self.first_responses,
            &self.resolutions,
            &self.waiting_responses,
            &self.waiting_resolutions,
        ];
        if lists.iter().any(|list| list.len() == list.capacity()) {
            // A push below may double one of the vectors.
            let doubled = lists.iter().map(|list| vec_bytes(list)).max().unwrap_or(0);
            self.check_memory(function, doubled.max(64))?;
            for list in [
                &mut self.first_responses,
                &mut self.resolutions,
                &mut self.waiting_responses,
                &mut self.waiting_resolutions,
            ] {
                reserve(list, 1, function, WHAT)?;
            }
        }
        self.tickets = checked(function, self.tickets, 1)?;
        if let Some(duration) = ticket.first_response {
            self.first_responses.push(duration);
            self.sorted = false;
        } else if let Some(waited) = ticket.waiting_response {
            self.waiting_responses.push(waited);
            self.sorted = false;
        }
        if let Some(duration) = ticket.resolution {
            self.resolutions.push(duration);
            self.sorted = false;
            if ticket.reopened {
                self.reopened += 1;
            }
            match ticket.agent_replies {
                None => self.unknown_replies += 1,
                Some(replies) if replies <= 1 && !ticket.reopened => {
                    self.first_contact_resolved += 1
                }
                Some(_) => {}
            }
        } else if let Some(waited) = ticket.waiting_resolution {
            self.waiting_resolutions.push(waited);
            self.sorted = false;
        }
        Ok(())
    }

    /// Merges `other` into `self` (any order of merges gives the same summary).
    /// 22023 unless this summary holds tickets of `kind` time, built with `as_of` or without
    /// it as `as_of` says: a transition handed a summary of another form (support functions
    /// called by hand) must not mix them.
    pub fn expect_form(&self, function: &str, kind: TimeKind, as_of: bool) -> MetricResult<()> {
        if self.kind != kind {
            return Err(MetricError::InvalidParameter(format!(
                "{function}: cannot add a ticket in {} time to a summary of {} time",
                kind.name(),
                self.kind.name()
            )));
        }
        if self.as_of != as_of {
            return Err(MetricError::InvalidParameter(format!(
                "{function}: cannot add a ticket {} as_of to a summary built {} it",
                if as_of { "with" } else { "without" },
                if self.as_of { "with" } else { "without" },
            )));
        }
        Ok(())
    }

    pub fn merge(&mut self, function: &str, other: &ServiceSummary) -> MetricResult<()> {
        if self.kind != other.kind {
            return Err(MetricError::InvalidParameter(format!(
                "{function}: cannot combine {} time with {} time summaries",
                self.kind.name(),
                other.kind.name()
            )));
        }
        if self.as_of != other.as_of {
            return Err(MetricError::InvalidParameter(format!(
                "{function}: cannot combine summaries built with as_of and without it (tickets \
                 waiting at as_of are only known to the first)"
            )));
        }
        let incoming = other.durations_held();
        self.check_size(function, incoming)?;
        self.check_memory(function, incoming * std::mem::size_of::<i64>())?;
        self.tickets = checked(function, self.tickets, other.tickets)?;
        self.reopened = checked(function, self.reopened, other.reopened)?;
        self.first_contact_resolved = checked(
            function,
            self.first_contact_resolved,
            other.first_contact_resolved,
        )?;
        self.unknown_replies = checked(function, self.unknown_replies, other.unknown_replies)?;
        let sorted = self.sorted && other.sorted;
        let lists = [
            (&mut self.first_responses, &other.first_responses),
            (&mut self.resolutions, &other.resolutions),
            (&mut self.waiting_responses, &other.waiting_responses),
            (&mut self.waiting_resolutions, &other.waiting_resolutions),
        ];
        for (list, incoming) in lists {
            reserve(list, incoming.len(), function, WHAT)?;
            // Two sorted lists (the partial states of a parallel plan, decoded summaries) are
            // merged in one linear pass instead of being sorted again when read.
            if sorted {
                merge_sorted(list, incoming);
            } else {
                list.extend_from_slice(incoming);
            }
        }
        self.sorted = sorted;
        Ok(())
    }

    fn sort(&mut self) {
        if !self.sorted {
            self.first_responses.sort_unstable();
            self.resolutions.sort_unstable();
            self.waiting_responses.sort_unstable();
            self.waiting_resolutions.sort_unstable();
            self.sorted = true;
        }
    }

    fn durations(&mut self, metric: Metric) -> &[i64] {
        self.sort();
        match metric {
            Metric::FirstResponse => &self.first_responses,
            Metric::Resolution => &self.resolutions,
        }
    }

    /// The duration `percentile_disc(fraction)` gives over the answered (resolved) tickets:
    /// the first value whose position in the ordering reaches `fraction`.
    pub fn percentile(
        &mut self,
        function: &str,
        metric: Metric,
        fraction: f64,
    ) -> MetricResult<Option<i64>> {
        if !(0.0..=1.0).contains(&fraction) {
            return Err(MetricError::OutOfRange(format!(
                "{function}: fraction {} is not between 0 and 1",
                Float8(fraction)
            )));
        }
        let durations = self.durations(metric);
        // As Postgres computes it: ceil(fraction · n) in double precision, at least 1.
        let position = (fraction * durations.len() as f64).ceil() as usize;
        Ok(durations.get(position.max(1) - 1).copied())
    }

    /// Mean duration in microseconds (rounded to the nearest), `None` when there is none.
    pub fn mean(&self, metric: Metric) -> Option<i64> {
        let durations = match metric {
            Metric::FirstResponse => &self.first_responses,
            Metric::Resolution => &self.resolutions,
        };
        let count = i128::try_from(durations.len()).ok().filter(|&n| n > 0)?;
        let sum: i128 = durations.iter().map(|&d| i128::from(d)).sum();
        // Durations are ≥ 0: round half up; the mean of i64 values fits an i64.
        Some(((2 * sum + count) / (2 * count)) as i64)
    }

    /// Met, breached and pending tickets for a target of `target` microseconds: answered
    /// (resolved) tickets within the target are met, after it breached; with `as_of`, a ticket
    /// still waiting at `as_of` is breached once it has waited longer than the target and
    /// pending while within it; without `as_of`, every ticket still waiting is pending (its
    /// waiting time is not known).
    pub fn sla_counts(&mut self, metric: Metric, target: i64) -> SlaCounts {
        self.sort();
        let tickets = self.tickets;
        let (done, waiting) = match metric {
            Metric::FirstResponse => (&self.first_responses, &self.waiting_responses),
            Metric::Resolution => (&self.resolutions, &self.waiting_resolutions),
        };
        let met = done.partition_point(|&d| d <= target) as u64;
        let late = done.len() as u64 - met;
        if self.as_of {
            let pending = waiting.partition_point(|&d| d <= target) as u64;
            SlaCounts {
                met,
                breached: late + (waiting.len() as u64 - pending),
                pending,
            }
        } else {
            SlaCounts {
                met,
                breached: late,
                pending: tickets - done.len() as u64,
            }
        }
    }

    /// SLA attainment, met ÷ (met + breached): without `as_of` the share of answered
    /// (resolved) tickets within the target, with `as_of` also counting the tickets still
    /// waiting past it as breached.
    pub fn attainment(&mut self, metric: Metric, target: i64) -> Option<f64> {
        self.sla_counts(metric, target).attainment()
    }

    /// Resolved, not reopened, at most one agent reply ÷ resolved, over the resolved tickets
    /// whose agent reply count is known.
    pub fn fcr_rate(&self) -> Option<f64> {
        ratio(
            self.first_contact_resolved,
            self.resolved() - self.unknown_replies,
        )
    }

    pub fn reopen_rate(&self) -> Option<f64> {
        ratio(self.reopened, self.resolved())
    }
}

fn checked(function: &str, a: u64, b: u64) -> MetricResult<u64> {
    a.checked_add(b)
        .filter(|&n| n <= i64::MAX as u64)
        .ok_or_else(|| MetricError::OutOfRange(format!("{function}: ticket count overflows")))
}

fn ratio(numerator: u64, denominator: u64) -> Option<f64> {
    count_ratio(numerator.into(), denominator.into())
}

/// Whether a resolved ticket was resolved at first contact; `None` when its agent reply count
/// is unknown (NULL), which leaves the ticket out of the rate.
pub fn first_contact(agent_replies: Option<i32>, reopened: Option<bool>) -> Option<bool> {
    agent_replies.map(|replies| !reopened.unwrap_or(false) && replies <= 1)
}
#[path = "ticket_forms.rs"]
mod forms;

#[cfg(test)]
#[path = "tickets_tests.rs"]
mod tests;

/// Merges sorted `incoming` into sorted `values` in place: from the back, so the only allocation
/// is `values` growing (reserved by the caller).
fn merge_sorted(values: &mut Vec<i64>, incoming: &[i64]) {
    let old = values.len();
    values.resize(old + incoming.len(), 0);
    // Unmerged: values[..left] and incoming[..right]; merged: values[left + right..].
    let (mut left, mut right) = (old, incoming.len());
    let mut ticker = interrupt::Ticker::new();
    while left > 0 && right > 0 {
        ticker.tick();
        let (kept, next) = (values[left - 1], incoming[right - 1]);
        // Selected without a branch on the data: interleaved lists mispredict a branch often.
        let kept_first = kept > next;
        values[left + right - 1] = if kept_first { kept } else { next };
        left -= usize::from(kept_first);
        right -= usize::from(!kept_first);
    }
    values[..right].copy_from_slice(&incoming[..right]);
}
