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
use serde::{Deserialize, Serialize};

use crate::common::codec::{from_json_object, Reader, Writer};
use crate::common::error::{MetricError, MetricResult};
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
    pub fn parse(function: &str, name: &str) -> MetricResult<Self> {
        match name {
            "first_response" => Ok(Metric::FirstResponse),
            "resolution" => Ok(Metric::Resolution),
            other => Err(MetricError::InvalidParameter(format!(
                "{function}: unknown metric '{}' (expected 'first_response' or 'resolution')",
                other.escape_debug()
            ))),
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
            "{function}: {what} is before created_at"
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
        (decided > 0).then(|| self.met as f64 / decided as f64)
    }
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct SummaryText {
    version: u8,
    time: String,
    tickets: u64,
    reopened: u64,
    first_contact_resolved: u64,
    #[serde(default, skip_serializing_if = "is_zero")]
    unknown_replies: u64,
    first_response_us: Vec<i64>,
    resolution_us: Vec<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    waiting_first_response_us: Option<Vec<i64>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    waiting_resolution_us: Option<Vec<i64>>,
}

fn is_zero(value: &u64) -> bool {
    *value == 0
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
        self.first_responses
            .extend_from_slice(&other.first_responses);
        self.resolutions.extend_from_slice(&other.resolutions);
        self.waiting_responses
            .extend_from_slice(&other.waiting_responses);
        self.waiting_resolutions
            .extend_from_slice(&other.waiting_resolutions);
        self.sorted = false;
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
                "{function}: fraction {fraction} is not between 0 and 1"
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

    /// Checks the invariants of a decoded or parsed summary.
    fn validate(self, error: impl Fn(&str) -> MetricError) -> MetricResult<Self> {
        if self.tickets < self.responded() || self.tickets < self.resolved() {
            return Err(error("more answered or resolved tickets than tickets"));
        }
        if self
            .reopened
            .checked_add(self.first_contact_resolved)
            .is_none_or(|n| n > self.resolved())
        {
            return Err(error(
                "more reopened and first-contact tickets than resolved",
            ));
        }
        if self
            .unknown_replies
            .checked_add(self.first_contact_resolved)
            .is_none_or(|n| n > self.resolved())
        {
            return Err(error(
                "more first-contact tickets and tickets of unknown replies than resolved",
            ));
        }
        if self
            .first_responses
            .iter()
            .chain(&self.resolutions)
            .chain(&self.waiting_responses)
            .chain(&self.waiting_resolutions)
            .any(|&d| d < 0)
        {
            return Err(error("negative duration"));
        }
        if self.durations_held() > MAX_DURATIONS {
            return Err(error("too many durations"));
        }
        if self.as_of {
            // Every ticket is answered or waiting at as_of, and resolved or waiting.
            if self.responded() + self.waiting_responses.len() as u64 != self.tickets
                || self.resolved() + self.waiting_resolutions.len() as u64 != self.tickets
            {
                return Err(error("waiting tickets do not add up to the tickets"));
            }
        } else if !(self.waiting_responses.is_empty() && self.waiting_resolutions.is_empty()) {
            return Err(error("waiting tickets without as_of"));
        }
        Ok(self)
    }

    pub fn encode(&mut self) -> Vec<u8> {
        self.sort();
        let version = self.format_version();
        let mut writer = Writer::with_version(version);
        writer
            .u8(match self.kind {
                TimeKind::Elapsed => 0,
                TimeKind::Business => 1,
            })
            .u64(self.tickets)
            .u64(self.reopened)
            .u64(self.first_contact_resolved);
        write_sorted(&mut writer, &[&self.first_responses, &self.resolutions]);
        if version >= 2 {
            writer.u64(self.unknown_replies).u8(u8::from(self.as_of));
            if self.as_of {
                write_sorted(
                    &mut writer,
                    &[&self.waiting_responses, &self.waiting_resolutions],
                );
            }
        }
        writer.finish()
    }

    pub fn decode(bytes: &[u8]) -> MetricResult<Self> {
        let corrupt = |what: &str| {
            MetricError::InvalidBinary(format!("{SUMMARY_TYPE}: corrupt value ({what})"))
        };
        let (mut reader, version) = Reader::open_versions(
            bytes,
            FORMAT_VERSION_1..=SUMMARY_FORMAT_VERSION,
            SUMMARY_TYPE,
        )?;
        let kind = match reader.u8()? {
            0 => TimeKind::Elapsed,
            1 => TimeKind::Business,
            _ => return Err(corrupt("time kind")),
        };
        let mut summary = ServiceSummary::new(kind);
        summary.tickets = reader.u64()?;
        summary.reopened = reader.u64()?;
        summary.first_contact_resolved = reader.u64()?;
        read_sorted(&mut reader, &mut summary.first_responses, corrupt)?;
        read_sorted(&mut reader, &mut summary.resolutions, corrupt)?;
        if version >= 2 {
            summary.unknown_replies = reader.u64()?;
            summary.as_of = match reader.u8()? {
                0 => false,
                1 => true,
                _ => return Err(corrupt("as_of flag")),
            };
            if summary.as_of {
                read_sorted(&mut reader, &mut summary.waiting_responses, corrupt)?;
                read_sorted(&mut reader, &mut summary.waiting_resolutions, corrupt)?;
            }
        }
        reader.finish()?;
        summary.validate(corrupt)
    }

    pub fn to_text(&mut self) -> String {
        self.sort();
        let waiting = |list: &Vec<i64>| self.as_of.then(|| list.clone());
        let text = SummaryText {
            version: self.format_version(),
            time: self.kind.name().to_owned(),
            tickets: self.tickets,
            reopened: self.reopened,
            first_contact_resolved: self.first_contact_resolved,
            unknown_replies: self.unknown_replies,
            first_response_us: self.first_responses.clone(),
            resolution_us: self.resolutions.clone(),
            waiting_first_response_us: waiting(&self.waiting_responses),
            waiting_resolution_us: waiting(&self.waiting_resolutions),
        };
        serde_json::to_string(&text).unwrap_or_default()
    }

    pub fn from_text(text: &str) -> MetricResult<Self> {
        let malformed =
            |why: &str| MetricError::InvalidText(format!("{SUMMARY_TYPE}: malformed value: {why}"));
        let parsed: SummaryText =
            from_json_object(text).map_err(|error| malformed(&error.to_string()))?;
        if !(FORMAT_VERSION_1..=SUMMARY_FORMAT_VERSION).contains(&parsed.version) {
            return Err(malformed("unsupported version"));
        }
        let later_fields = parsed.unknown_replies > 0
            || parsed.waiting_first_response_us.is_some()
            || parsed.waiting_resolution_us.is_some();
        if parsed.version == FORMAT_VERSION_1 && later_fields {
            return Err(malformed(
                "unknown_replies and waiting times need version 2",
            ));
        }
        let kind = match parsed.time.as_str() {
            "elapsed" => TimeKind::Elapsed,
            "business" => TimeKind::Business,
            _ => return Err(malformed("time must be \"elapsed\" or \"business\"")),
        };
        let (as_of, waiting_responses, waiting_resolutions) = match (
            parsed.waiting_first_response_us,
            parsed.waiting_resolution_us,
        ) {
            (None, None) => (false, Vec::new(), Vec::new()),
            (Some(responses), Some(resolutions)) => (true, responses, resolutions),
            _ => {
                return Err(malformed(
                    "waiting_first_response_us and waiting_resolution_us go together",
                ))
            }
        };
        let summary = ServiceSummary {
            kind,
            tickets: parsed.tickets,
            reopened: parsed.reopened,
            first_contact_resolved: parsed.first_contact_resolved,
            unknown_replies: parsed.unknown_replies,
            as_of,
            first_responses: parsed.first_response_us,
            resolutions: parsed.resolution_us,
            waiting_responses,
            waiting_resolutions,
            sorted: false,
        };
        let mut summary = summary.validate(malformed)?;
        summary.sort();
        Ok(summary)
    }
}

/// Writes sorted, non-negative lists as a count and varint deltas each.
fn write_sorted(writer: &mut Writer, lists: &[&Vec<i64>]) {
    for list in lists {
        writer.u64(list.len() as u64);
        let mut previous = 0;
        for &duration in interrupt::checked(list.iter()) {
            // Sorted and non-negative: the deltas are non-negative.
            writer.u64((duration - previous) as u64);
            previous = duration;
        }
    }
}

/// Reads one list written by [`write_sorted`].
fn read_sorted(
    reader: &mut Reader,
    list: &mut Vec<i64>,
    corrupt: impl Fn(&str) -> MetricError,
) -> MetricResult<()> {
    let count = reader.u64()?;
    if count > reader.remaining() as u64 {
        return Err(corrupt("duration count"));
    }
    let mut value = 0i64;
    for _ in interrupt::checked(0..count) {
        let delta = i64::try_from(reader.u64()?).map_err(|_| corrupt("duration"))?;
        value = value
            .checked_add(delta)
            .ok_or_else(|| corrupt("duration"))?;
        list.push(value);
    }
    Ok(())
}

fn checked(function: &str, a: u64, b: u64) -> MetricResult<u64> {
    a.checked_add(b)
        .filter(|&n| n <= i64::MAX as u64)
        .ok_or_else(|| MetricError::OutOfRange(format!("{function}: ticket count overflows")))
}

fn ratio(numerator: u64, denominator: u64) -> Option<f64> {
    (denominator > 0).then(|| numerator as f64 / denominator as f64)
}

/// Whether a resolved ticket was resolved at first contact; `None` when its agent reply count
/// is unknown (NULL), which leaves the ticket out of the rate.
pub fn first_contact(agent_replies: Option<i32>, reopened: Option<bool>) -> Option<bool> {
    agent_replies.map(|replies| !reopened.unwrap_or(false) && replies <= 1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const F: &str = "crm.service_agg";

    fn ticket(
        response: Option<i64>,
        resolution: Option<i64>,
        replies: i32,
        reopened: bool,
    ) -> Ticket {
        Ticket {
            first_response: response,
            resolution,
            agent_replies: Some(replies),
            reopened,
            waiting_response: None,
            waiting_resolution: None,
        }
    }

    /// `percentile_disc` written out: the value at row ceil(f·n) (1-based, at least 1).
    fn percentile_disc(values: &[i64], fraction: f64) -> Option<i64> {
        let mut sorted = values.to_vec();
        sorted.sort_unstable();
        let n = sorted.len();
        if n == 0 {
            return None;
        }
        let row = ((fraction * n as f64).ceil() as usize).clamp(1, n);
        Some(sorted[row - 1])
    }

    #[test]
    fn counts_rates_and_percentiles() {
        let mut s = ServiceSummary::new(TimeKind::Elapsed);
        s.add(F, ticket(Some(10), Some(100), 1, false)).unwrap();
        s.add(F, ticket(Some(30), Some(300), 3, false)).unwrap();
        s.add(F, ticket(Some(20), Some(200), 0, true)).unwrap();
        s.add(F, ticket(None, None, 0, true)).unwrap();
        assert_eq!((s.tickets, s.responded(), s.resolved()), (4, 3, 3));
        assert_eq!((s.reopened, s.first_contact_resolved), (1, 1));
        assert_eq!(s.fcr_rate(), Some(1.0 / 3.0));
        assert_eq!(s.reopen_rate(), Some(1.0 / 3.0));
        assert_eq!(
            s.percentile(F, Metric::FirstResponse, 0.5).unwrap(),
            Some(20)
        );
        assert_eq!(
            s.percentile(F, Metric::FirstResponse, 0.0).unwrap(),
            Some(10)
        );
        assert_eq!(
            s.percentile(F, Metric::FirstResponse, 1.0).unwrap(),
            Some(30)
        );
        assert_eq!(
            s.percentile(F, Metric::Resolution, 0.34).unwrap(),
            Some(200)
        );
        assert!(s.percentile(F, Metric::Resolution, 1.5).is_err());
        assert!(s.percentile(F, Metric::Resolution, f64::NAN).is_err());
        assert_eq!(s.mean(Metric::FirstResponse), Some(20));
        assert_eq!(s.attainment(Metric::FirstResponse, 20), Some(2.0 / 3.0));
        assert_eq!(s.attainment(Metric::Resolution, 99), Some(0.0));
        let empty = ServiceSummary::new(TimeKind::Business);
        assert_eq!(empty.fcr_rate(), None);
        assert_eq!(empty.mean(Metric::Resolution), None);
        assert!(s.clone().add(F, ticket(None, None, -1, false)).is_err());
        assert!(matches!(
            s.merge(F, &empty),
            Err(MetricError::InvalidParameter(_))
        ));
        assert!(check_duration(F, "first_response_at", -1).is_err());
    }

    #[test]
    fn forms_round_trip_and_refuse_bad_values() {
        let mut s = ServiceSummary::new(TimeKind::Business);
        s.add(F, ticket(Some(60_000_000), Some(3_600_000_000), 1, false))
            .unwrap();
        s.add(F, ticket(Some(5), None, 2, false)).unwrap();
        let text = s.to_text();
        assert_eq!(
            text,
            r#"{"version":1,"time":"business","tickets":2,"reopened":0,"first_contact_resolved":1,"first_response_us":[5,60000000],"resolution_us":[3600000000]}"#
        );
        assert_eq!(ServiceSummary::from_text(&text).unwrap(), s);
        let bytes = s.encode();
        assert_eq!(bytes[..6], [1, 1, 2, 0, 1, 2]);
        assert_eq!(ServiceSummary::decode(&bytes).unwrap(), s);
        for cut in 0..bytes.len() {
            assert!(ServiceSummary::decode(&bytes[..cut]).is_err());
        }
        for bad in [
            "[1,2]",
            r#"{"version":2,"time":"business","tickets":2,"reopened":0,"first_contact_resolved":1,"first_response_us":[],"resolution_us":[]}"#,
            r#"{"version":1,"time":"wall","tickets":2,"reopened":0,"first_contact_resolved":0,"first_response_us":[],"resolution_us":[]}"#,
            r#"{"version":1,"time":"elapsed","tickets":0,"reopened":0,"first_contact_resolved":0,"first_response_us":[1],"resolution_us":[]}"#,
            r#"{"version":1,"time":"elapsed","tickets":1,"reopened":1,"first_contact_resolved":0,"first_response_us":[],"resolution_us":[]}"#,
            r#"{"version":1,"time":"elapsed","tickets":1,"reopened":0,"first_contact_resolved":0,"first_response_us":[-1],"resolution_us":[]}"#,
            r#"{"version":1,"time":"elapsed","tickets":18446744073709551616,"reopened":0,"first_contact_resolved":0,"first_response_us":[],"resolution_us":[]}"#,
        ] {
            assert!(
                matches!(
                    ServiceSummary::from_text(bad),
                    Err(MetricError::InvalidText(_))
                ),
                "{bad}"
            );
        }
    }

    #[test]
    fn unknown_agent_replies_are_left_out_of_fcr() {
        let mut s = ServiceSummary::new(TimeKind::Elapsed);
        s.add(F, ticket(Some(10), Some(100), 1, false)).unwrap();
        s.add(F, ticket(Some(10), Some(100), 2, false)).unwrap();
        let unknown = Ticket {
            agent_replies: None,
            ..ticket(Some(10), Some(100), 0, false)
        };
        s.add(F, unknown).unwrap();
        s.add(F, unknown).unwrap();
        // An open ticket of unknown replies counts nowhere.
        s.add(
            F,
            Ticket {
                agent_replies: None,
                ..ticket(None, None, 0, false)
            },
        )
        .unwrap();
        assert_eq!((s.resolved(), s.unknown_replies), (4, 2));
        assert_eq!(s.fcr_rate(), Some(0.5));
        assert_eq!(s.reopen_rate(), Some(0.0));
        // Version 2 forms, round trip.
        let text = s.to_text();
        assert!(text.starts_with(r#"{"version":2,"#), "{text}");
        assert!(text.contains(r#""unknown_replies":2"#), "{text}");
        assert_eq!(ServiceSummary::from_text(&text).unwrap(), s);
        let bytes = s.encode();
        assert_eq!(bytes[0], 2);
        assert_eq!(ServiceSummary::decode(&bytes).unwrap(), s);
        // Only unknown counts: no rate.
        let mut only = ServiceSummary::new(TimeKind::Elapsed);
        only.add(F, unknown).unwrap();
        assert_eq!(only.fcr_rate(), None);
        // Version 1 cannot carry the new field.
        assert!(
            ServiceSummary::from_text(&text.replacen("\"version\":2", "\"version\":1", 1)).is_err()
        );
    }

    fn waiting(response: Result<i64, i64>, resolution: Result<i64, i64>) -> Ticket {
        Ticket {
            first_response: response.ok(),
            resolution: resolution.ok(),
            agent_replies: Some(1),
            reopened: false,
            waiting_response: response.err(),
            waiting_resolution: resolution.err(),
        }
    }

    #[test]
    fn as_of_counts_late_waiting_tickets_as_breached() {
        const HOUR: i64 = 3_600_000_000;
        let target = 2 * HOUR;
        // 24 tickets unanswered at as_of: 22 have waited past 2 hours, 2 are within it.
        let mut s = ServiceSummary::new_as_of(TimeKind::Business);
        for i in 0..22 {
            s.add(F, waiting(Err(3 * HOUR + i), Err(3 * HOUR + i)))
                .unwrap();
        }
        s.add(F, waiting(Err(HOUR), Err(HOUR))).unwrap();
        s.add(F, waiting(Err(target), Err(target))).unwrap();
        let counts = s.sla_counts(Metric::FirstResponse, target);
        assert_eq!(
            counts,
            SlaCounts {
                met: 0,
                breached: 22,
                pending: 2
            }
        );
        assert_eq!(s.attainment(Metric::FirstResponse, target), Some(0.0));
        // Two answered tickets, one within the target, one late.
        s.add(F, waiting(Ok(HOUR), Err(HOUR))).unwrap();
        s.add(F, waiting(Ok(target + 1), Ok(5 * HOUR))).unwrap();
        assert_eq!(
            s.sla_counts(Metric::FirstResponse, target),
            SlaCounts {
                met: 1,
                breached: 23,
                pending: 2
            }
        );
        assert_eq!(
            s.sla_counts(Metric::Resolution, target),
            SlaCounts {
                met: 0,
                breached: 23,
                pending: 3
            }
        );
        assert_eq!(
            s.attainment(Metric::FirstResponse, target),
            Some(1.0 / 24.0)
        );
        // Forms round-trip (version 2), every cut of the bytes is refused.
        let text = s.to_text();
        assert!(text.contains(r#""waiting_first_response_us":["#), "{text}");
        assert_eq!(ServiceSummary::from_text(&text).unwrap(), s);
        let bytes = s.encode();
        assert_eq!(bytes[0], 2);
        assert_eq!(ServiceSummary::decode(&bytes).unwrap(), s);
        for cut in 0..bytes.len() {
            assert!(ServiceSummary::decode(&bytes[..cut]).is_err());
        }
        // Summaries with and without as_of do not merge; tickets with waiting times need as_of.
        let mut plain = ServiceSummary::new(TimeKind::Business);
        assert!(matches!(
            plain.merge(F, &s),
            Err(MetricError::InvalidParameter(_))
        ));
        assert!(plain.add(F, waiting(Err(1), Err(1))).is_err());
        assert!(s.add(F, ticket(None, None, 0, false)).is_err());
        // Waiting tickets must add up to the tickets.
        for bad in [
            r#"{"version":2,"time":"business","tickets":2,"reopened":0,"first_contact_resolved":0,"first_response_us":[],"resolution_us":[],"waiting_first_response_us":[1],"waiting_resolution_us":[1,2]}"#,
            r#"{"version":2,"time":"business","tickets":1,"reopened":0,"first_contact_resolved":0,"first_response_us":[],"resolution_us":[],"waiting_first_response_us":[1]}"#,
            r#"{"version":2,"time":"business","tickets":1,"reopened":0,"first_contact_resolved":0,"first_response_us":[],"resolution_us":[],"waiting_first_response_us":[-1],"waiting_resolution_us":[1]}"#,
            r#"{"version":3,"time":"business","tickets":0,"reopened":0,"first_contact_resolved":0,"first_response_us":[],"resolution_us":[]}"#,
        ] {
            assert!(
                matches!(
                    ServiceSummary::from_text(bad),
                    Err(MetricError::InvalidText(_))
                ),
                "{bad}"
            );
        }
    }

    #[test]
    fn without_as_of_waiting_tickets_are_pending_and_attainment_is_unchanged() {
        let mut s = ServiceSummary::new(TimeKind::Elapsed);
        s.add(F, ticket(Some(10), None, 0, false)).unwrap();
        s.add(F, ticket(Some(30), None, 0, false)).unwrap();
        s.add(F, ticket(None, None, 0, false)).unwrap();
        assert_eq!(
            s.sla_counts(Metric::FirstResponse, 20),
            SlaCounts {
                met: 1,
                breached: 1,
                pending: 1
            }
        );
        assert_eq!(s.attainment(Metric::FirstResponse, 20), Some(0.5));
        // A version 1 value still decodes (the first release's bytes) and encodes the same.
        let bytes = s.encode();
        assert_eq!(bytes[0], 1);
        assert_eq!(ServiceSummary::decode(&bytes).unwrap().encode(), bytes);
    }

    fn any_ticket() -> impl Strategy<Value = Ticket> {
        (
            prop::option::of(0i64..1_000_000),
            prop::option::of(0i64..1_000_000),
            0i32..4,
            any::<bool>(),
        )
            .prop_map(|(r, s, replies, reopened)| ticket(r, s, replies, reopened))
    }

    proptest! {
        #[test]
        fn split_and_merge_equals_one_pass(
            tickets in prop::collection::vec(any_ticket(), 0..200),
            cut in 0usize..200,
            fraction in 0.0f64..=1.0,
        ) {
            let cut = cut.min(tickets.len());
            let mut whole = ServiceSummary::new(TimeKind::Elapsed);
            let (mut left, mut right) = (whole.clone(), whole.clone());
            for (i, t) in tickets.iter().enumerate() {
                whole.add(F, *t).unwrap();
                if i < cut { left.add(F, *t).unwrap() } else { right.add(F, *t).unwrap() }
            }
            right.merge(F, &left).unwrap();
            prop_assert_eq!(right.encode(), whole.encode());
            let responses: Vec<i64> = tickets.iter().filter_map(|t| t.first_response).collect();
            prop_assert_eq!(whole.percentile(F, Metric::FirstResponse, fraction).unwrap(), percentile_disc(&responses, fraction));
            prop_assert_eq!(ServiceSummary::decode(&whole.encode()).unwrap(), whole.clone());
            prop_assert_eq!(ServiceSummary::from_text(&whole.to_text()).unwrap(), whole);
        }
    }
}
