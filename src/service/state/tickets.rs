//! Support-ticket metrics without Postgres: the `crm.service_summary` behind
//! `crm.service_agg` and the counting states of the one-step aggregates.
//!
//! A summary keeps counts and every first-response and resolution duration (microseconds), so
//! percentiles are exact, as `percentile_disc` gives them, and any SLA target can be asked
//! later. In memory a duration takes 8 bytes; the binary form stores each list sorted, as
//! varint deltas (1 to 5 bytes a duration for realistic data).
use serde::{Deserialize, Serialize};

use crate::common::codec::{from_json_object, Reader, Writer};
use crate::common::error::{MetricError, MetricResult};
use crate::common::interrupt;
use crate::common::limits::{check_state_bytes, reserve, vec_bytes};

/// What the summary keeps, for the memory errors.
const WHAT: &str = "ticket durations";

pub const SUMMARY_FORMAT_VERSION: u8 = 1;
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
    /// Public agent replies (NULL read as 0).
    pub agent_replies: i32,
    /// Reopened (NULL read as false).
    pub reopened: bool,
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
    first_responses: Vec<i64>,
    resolutions: Vec<i64>,
    /// Whether both lists are sorted.
    sorted: bool,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct SummaryText {
    version: u8,
    time: String,
    tickets: u64,
    reopened: u64,
    first_contact_resolved: u64,
    first_response_us: Vec<i64>,
    resolution_us: Vec<i64>,
}

impl ServiceSummary {
    pub fn new(kind: TimeKind) -> Self {
        ServiceSummary {
            kind,
            tickets: 0,
            reopened: 0,
            first_contact_resolved: 0,
            first_responses: Vec::new(),
            resolutions: Vec::new(),
            sorted: true,
        }
    }

    pub fn responded(&self) -> u64 {
        self.first_responses.len() as u64
    }

    pub fn resolved(&self) -> u64 {
        self.resolutions.len() as u64
    }

    fn check_size(&self, function: &str, extra: usize) -> MetricResult<()> {
        if self.first_responses.len() + self.resolutions.len() + extra > MAX_DURATIONS {
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
        vec_bytes(&self.first_responses) + vec_bytes(&self.resolutions)
    }

    /// Fails with 54000 when the durations would pass `crm.max_state_memory` after growing by
    /// `growth` bytes.
    fn check_memory(&self, function: &str, growth: usize) -> MetricResult<()> {
        check_state_bytes(function, WHAT, self.heap_bytes().saturating_add(growth))
    }

    /// Adds one ticket (durations checked by the caller).
    pub fn add(&mut self, function: &str, ticket: Ticket) -> MetricResult<()> {
        if ticket.agent_replies < 0 {
            return Err(MetricError::OutOfRange(format!(
                "{function}: agent_replies {} is negative",
                ticket.agent_replies
            )));
        }
        self.check_size(function, 2)?;
        if self.first_responses.len() == self.first_responses.capacity()
            || self.resolutions.len() == self.resolutions.capacity()
        {
            // A push below may double one of the two vectors.
            let doubled = vec_bytes(&self.first_responses).max(vec_bytes(&self.resolutions));
            self.check_memory(function, doubled.max(64))?;
            reserve(&mut self.first_responses, 1, function, WHAT)?;
            reserve(&mut self.resolutions, 1, function, WHAT)?;
        }
        self.tickets = checked(function, self.tickets, 1)?;
        if let Some(duration) = ticket.first_response {
            self.first_responses.push(duration);
            self.sorted = false;
        }
        if let Some(duration) = ticket.resolution {
            self.resolutions.push(duration);
            self.sorted = false;
            if ticket.reopened {
                self.reopened += 1;
            } else if ticket.agent_replies <= 1 {
                self.first_contact_resolved += 1;
            }
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
        self.check_size(
            function,
            other.first_responses.len() + other.resolutions.len(),
        )?;
        let incoming = other.first_responses.len() + other.resolutions.len();
        self.check_memory(function, incoming * std::mem::size_of::<i64>())?;
        self.tickets = checked(function, self.tickets, other.tickets)?;
        self.reopened = checked(function, self.reopened, other.reopened)?;
        self.first_contact_resolved = checked(
            function,
            self.first_contact_resolved,
            other.first_contact_resolved,
        )?;
        self.first_responses
            .extend_from_slice(&other.first_responses);
        self.resolutions.extend_from_slice(&other.resolutions);
        self.sorted = false;
        Ok(())
    }

    fn sort(&mut self) {
        if !self.sorted {
            self.first_responses.sort_unstable();
            self.resolutions.sort_unstable();
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

    /// Share of answered (resolved) tickets whose duration is at most `target` microseconds.
    pub fn attainment(&mut self, metric: Metric, target: i64) -> Option<f64> {
        let durations = self.durations(metric);
        if durations.is_empty() {
            return None;
        }
        let met = durations.partition_point(|&d| d <= target);
        Some(met as f64 / durations.len() as f64)
    }

    pub fn fcr_rate(&self) -> Option<f64> {
        ratio(self.first_contact_resolved, self.resolved())
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
            .first_responses
            .iter()
            .chain(&self.resolutions)
            .any(|&d| d < 0)
        {
            return Err(error("negative duration"));
        }
        if self.first_responses.len() + self.resolutions.len() > MAX_DURATIONS {
            return Err(error("too many durations"));
        }
        Ok(self)
    }

    pub fn encode(&mut self) -> Vec<u8> {
        self.sort();
        let mut writer = Writer::with_version(SUMMARY_FORMAT_VERSION);
        writer
            .u8(match self.kind {
                TimeKind::Elapsed => 0,
                TimeKind::Business => 1,
            })
            .u64(self.tickets)
            .u64(self.reopened)
            .u64(self.first_contact_resolved);
        for list in [&self.first_responses, &self.resolutions] {
            writer.u64(list.len() as u64);
            let mut previous = 0;
            for &duration in interrupt::checked(list) {
                // Sorted and non-negative: the deltas are non-negative.
                writer.u64((duration - previous) as u64);
                previous = duration;
            }
        }
        writer.finish()
    }

    pub fn decode(bytes: &[u8]) -> MetricResult<Self> {
        let corrupt = |what: &str| {
            MetricError::InvalidBinary(format!("{SUMMARY_TYPE}: corrupt value ({what})"))
        };
        let mut reader = Reader::open(bytes, SUMMARY_FORMAT_VERSION, SUMMARY_TYPE)?;
        let kind = match reader.u8()? {
            0 => TimeKind::Elapsed,
            1 => TimeKind::Business,
            _ => return Err(corrupt("time kind")),
        };
        let mut summary = ServiceSummary::new(kind);
        summary.tickets = reader.u64()?;
        summary.reopened = reader.u64()?;
        summary.first_contact_resolved = reader.u64()?;
        for list in [&mut summary.first_responses, &mut summary.resolutions] {
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
        }
        reader.finish()?;
        summary.validate(corrupt)
    }

    pub fn to_text(&mut self) -> String {
        self.sort();
        let text = SummaryText {
            version: SUMMARY_FORMAT_VERSION,
            time: self.kind.name().to_owned(),
            tickets: self.tickets,
            reopened: self.reopened,
            first_contact_resolved: self.first_contact_resolved,
            first_response_us: self.first_responses.clone(),
            resolution_us: self.resolutions.clone(),
        };
        serde_json::to_string(&text).unwrap_or_default()
    }

    pub fn from_text(text: &str) -> MetricResult<Self> {
        let malformed =
            |why: &str| MetricError::InvalidText(format!("{SUMMARY_TYPE}: malformed value: {why}"));
        let parsed: SummaryText =
            from_json_object(text).map_err(|error| malformed(&error.to_string()))?;
        if parsed.version != SUMMARY_FORMAT_VERSION {
            return Err(malformed("unsupported version"));
        }
        let kind = match parsed.time.as_str() {
            "elapsed" => TimeKind::Elapsed,
            "business" => TimeKind::Business,
            _ => return Err(malformed("time must be \"elapsed\" or \"business\"")),
        };
        let summary = ServiceSummary {
            kind,
            tickets: parsed.tickets,
            reopened: parsed.reopened,
            first_contact_resolved: parsed.first_contact_resolved,
            first_responses: parsed.first_response_us,
            resolutions: parsed.resolution_us,
            sorted: false,
        };
        let mut summary = summary.validate(malformed)?;
        summary.sort();
        Ok(summary)
    }
}

fn checked(function: &str, a: u64, b: u64) -> MetricResult<u64> {
    a.checked_add(b)
        .filter(|&n| n <= i64::MAX as u64)
        .ok_or_else(|| MetricError::OutOfRange(format!("{function}: ticket count overflows")))
}

fn ratio(numerator: u64, denominator: u64) -> Option<f64> {
    (denominator > 0).then(|| numerator as f64 / denominator as f64)
}

/// Moving-aggregate (window frame) state of the one-step `crm.sla_attainment` and
/// `crm.fcr_rate`: counted rows and rows that met the condition. Their transition state is
/// `crm.share_state` (crate::ratios::state::ShareCounts).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ShareCounts {
    pub total: i64,
    pub met: i64,
}

impl ShareCounts {
    pub fn add(&mut self, function: &str, met: bool) -> MetricResult<()> {
        self.total = self
            .total
            .checked_add(1)
            .ok_or_else(|| overflow(function))?;
        self.met += i64::from(met);
        Ok(())
    }

    /// Inverse of `add` (window frames).
    pub fn remove(&mut self, met: bool) {
        self.total -= 1;
        self.met -= i64::from(met);
    }

    pub fn share(&self) -> Option<f64> {
        (self.total > 0).then(|| self.met as f64 / self.total as f64)
    }
}

fn overflow(function: &str) -> MetricError {
    MetricError::OutOfRange(format!("{function}: row count overflows"))
}

/// Whether a resolved ticket was resolved at first contact.
pub fn first_contact(agent_replies: Option<i32>, reopened: Option<bool>) -> bool {
    !reopened.unwrap_or(false) && agent_replies.unwrap_or(0) <= 1
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
            agent_replies: replies,
            reopened,
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
