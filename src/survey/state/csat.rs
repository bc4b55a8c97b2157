//! CSAT counts: how many answered and how many were satisfied.
use super::{count_overflow, FORMAT_VERSION, MAX_COUNT};
use crate::common::codec::{from_json_object, Reader, Writer};
use crate::common::error::{MetricError, MetricResult};
use crate::common::exact::count_ratio;
use crate::common::flat_state::{self, FlatState};
use serde::Deserialize;

/// Counts of CSAT answers: how many answered and how many were satisfied. The state of the
/// CSAT aggregates (SQL type `crm.csat_state`, text form `{"satisfied":3,"responses":4}`).
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, bytemuck::Pod, bytemuck::Zeroable,
)]
#[serde(deny_unknown_fields)]
#[repr(C)]
pub struct CsatCounts {
    pub satisfied: u64,
    pub responses: u64,
}

/// Whether a CSAT answer on the 1–5 scale is satisfied (4 or 5).
#[inline(always)]
pub(super) fn csat_five_point(function: &str, score: i32) -> MetricResult<bool> {
    match score {
        1..=5 => Ok(score >= 4),
        _ => Err(csat_score_out_of_range(function, score)),
    }
}

#[cold]
#[inline(never)]
fn csat_score_out_of_range(function: &str, score: i32) -> MetricError {
    MetricError::OutOfRange(format!("{function}: score {score} is outside 1..5"))
}

/// Whether an answer on any non-negative scale reaches `satisfied_from`.
#[inline(always)]
pub(super) fn csat_threshold(
    function: &str,
    score: i32,
    satisfied_from: i32,
) -> MetricResult<bool> {
    if score < 0 || satisfied_from < 0 {
        return Err(csat_threshold_error(function, score, satisfied_from));
    }
    Ok(score >= satisfied_from)
}

/// The error for an answer refused on any non-negative scale: a negative score, else a
/// negative `satisfied_from`.
#[cold]
#[inline(never)]
fn csat_threshold_error(function: &str, score: i32, satisfied_from: i32) -> MetricError {
    if score < 0 {
        MetricError::OutOfRange(format!("{function}: score {score} is negative"))
    } else {
        MetricError::InvalidParameter(format!(
            "{function}: satisfied_from {satisfied_from} is negative"
        ))
    }
}

/// The error for a CSAT answer the raw transition's hot path refused
/// ([`CsatCounts::try_add`] or, with a threshold, [`CsatCounts::try_add_with_threshold`]).
#[cold]
#[inline(never)]
pub fn csat_answer_refused(function: &str, score: i32, satisfied_from: Option<i32>) -> MetricError {
    let refused = match satisfied_from {
        None => csat_five_point(function, score).err(),
        Some(from) => csat_threshold(function, score, from).err(),
    };
    // A valid answer is refused only by a count at the bigint limit.
    refused.unwrap_or_else(|| count_overflow(function))
}

impl CsatCounts {
    /// Inverse of [`CsatCounts::try_add`].
    pub fn remove(&mut self, function: &str, score: i32) -> MetricResult<()> {
        self.uncount(function, csat_five_point(function, score)?)
    }

    /// Inverse of [`CsatCounts::try_add_with_threshold`].
    pub fn remove_with_threshold(
        &mut self,
        function: &str,
        score: i32,
        satisfied_from: i32,
    ) -> MetricResult<()> {
        self.uncount(function, csat_threshold(function, score, satisfied_from)?)
    }

    /// Counts one answer on the 1–5 scale (satisfied when 4 or 5) and returns true, or returns
    /// false for a score outside 1..5 or counts at the bigint limit ([`csat_answer_refused`] is
    /// the error). No error value on this path keeps the raw transition function free of stack
    /// traffic.
    #[inline(always)]
    pub fn try_add(&mut self, score: i32) -> bool {
        (1..=5).contains(&score) && self.count(score >= 4)
    }

    /// Counts one answer on any non-negative scale (satisfied when `score >= satisfied_from`)
    /// and returns true, or returns false for a negative score or `satisfied_from`, or counts
    /// at the bigint limit.
    #[inline(always)]
    pub fn try_add_with_threshold(&mut self, score: i32, satisfied_from: i32) -> bool {
        score >= 0 && satisfied_from >= 0 && self.count(score >= satisfied_from)
    }

    /// Counts one answer; false when the answers are at the bigint limit already.
    #[inline(always)]
    fn count(&mut self, satisfied: bool) -> bool {
        if self.responses >= MAX_COUNT {
            return false;
        }
        // satisfied ≤ responses < MAX_COUNT.
        self.responses += 1;
        self.satisfied += u64::from(satisfied);
        true
    }

    fn uncount(&mut self, function: &str, satisfied: bool) -> MetricResult<()> {
        let never_counted =
            || MetricError::OutOfRange(format!("{function}: removing an answer never counted"));
        self.responses = self.responses.checked_sub(1).ok_or_else(never_counted)?;
        self.satisfied = self
            .satisfied
            .checked_sub(u64::from(satisfied))
            .ok_or_else(never_counted)?;
        Ok(())
    }

    /// Adds another state (combine): 22003 past the bigint range, the state unchanged.
    pub fn merge(&mut self, function: &str, other: &CsatCounts) -> MetricResult<()> {
        let responses = self
            .responses
            .checked_add(other.responses)
            .filter(|&sum| sum <= MAX_COUNT)
            .ok_or_else(|| count_overflow(function))?;
        // satisfied ≤ responses on both sides.
        self.satisfied += other.satisfied;
        self.responses = responses;
        Ok(())
    }

    /// Share of satisfied answers; `None` without answers.
    pub fn csat(&self) -> Option<f64> {
        count_ratio(self.satisfied.into(), self.responses.into())
    }

    pub fn encode(&self) -> MetricResult<Vec<u8>> {
        let mut writer = Writer::with_version(FORMAT_VERSION);
        writer.u64(self.satisfied).u64(self.responses);
        writer.finish("crm.csat_state")
    }

    /// Reads a `crm.csat_state`: its canonical form or the working form of an aggregate state
    /// ([`crate::common::flat_state`]).
    pub fn decode(bytes: &[u8]) -> MetricResult<Self> {
        flat_state::decode_any(bytes)
    }

    /// Rejects more satisfied answers than answers and counts past the bigint range (a forged
    /// value).
    fn checked(self, error: fn(String) -> MetricError) -> MetricResult<Self> {
        if self.satisfied > self.responses {
            return Err(error(format!(
                "crm.csat_state: satisfied {} exceeds responses {}",
                self.satisfied, self.responses
            )));
        }
        if self.responses > MAX_COUNT {
            return Err(error(format!(
                "crm.csat_state: responses {} exceed the bigint range",
                self.responses
            )));
        }
        Ok(self)
    }

    /// Readable text form: `{"satisfied":3,"responses":4}` (exact: Citus ships a partial
    /// state as this text).
    pub fn to_text(&self) -> MetricResult<String> {
        Ok(format!(
            r#"{{"satisfied":{},"responses":{}}}"#,
            self.satisfied, self.responses
        ))
    }

    pub fn from_text(text: &str) -> MetricResult<Self> {
        let counts: CsatCounts = from_json_object("crm.csat_state", text)?.map_err(|error| {
            MetricError::InvalidText(format!(
                "crm.csat_state: malformed value {} ({error}); expected e.g. \
                 {{\"satisfied\":3,\"responses\":4}}",
                crate::common::error::quoted_excerpt(text)
            ))
        })?;
        counts.checked(MetricError::InvalidText)
    }
}

impl FlatState for CsatCounts {
    const KIND: u8 = 2;
    const TYPE_NAME: &'static str = "crm.csat_state";
    fn validate(self) -> MetricResult<Self> {
        self.checked(MetricError::InvalidBinary)
    }

    fn encode_canonical(&self) -> MetricResult<Vec<u8>> {
        self.encode()
    }

    fn decode_canonical(bytes: &[u8]) -> MetricResult<Self> {
        let mut reader = Reader::open(bytes, FORMAT_VERSION, "crm.csat_state")?;
        let counts = CsatCounts {
            satisfied: reader.u64()?,
            responses: reader.u64()?,
        };
        reader.finish()?;
        counts.checked(MetricError::InvalidBinary)
    }
}
