//! NPS and CSAT math: integer counts (exact under any split of the rows) and the ratios
//! computed from them.
//!
//! Files: this one (NPS counts and the NPS aggregates' state), `csat` (CSAT counts), `tests`.
mod csat;
#[cfg(test)]
mod tests;

pub use self::csat::{csat_answer_refused, CsatCounts};
use crate::common::codec::{from_json_object, Reader, Writer};
use crate::common::error::{MetricError, MetricResult};
use crate::common::exact::{count_ratio, Fraction};
use crate::common::flat_state::{self, FlatState};
use crate::common::stats::{two_sided_p_value, two_sided_z};
use serde::Deserialize;

/// Binary format version of [`NpsCounts`], [`NpsState`] and [`CsatCounts`].
pub const FORMAT_VERSION: u8 = 1;

/// The largest count a state may hold: counts are bigints in SQL.
pub const MAX_COUNT: u64 = i64::MAX as u64;

/// 22003: a count would pass the bigint range.
#[cold]
#[inline(never)]
pub fn count_overflow(function: &str) -> MetricError {
    MetricError::OutOfRange(format!("{function}: count overflows bigint"))
}

/// Counts of NPS answers. Promoters score 9–10, passives 7–8, detractors 0–6.
/// `repr(C)`: the three counters are contiguous, so the per-row step can address one by index.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, bytemuck::Pod, bytemuck::Zeroable,
)]
#[serde(deny_unknown_fields)]
#[repr(C)]
pub struct NpsCounts {
    pub promoters: u64,
    pub passives: u64,
    pub detractors: u64,
}

/// The counter (0 promoters, 1 passives, 2 detractors) each score 0..=10 increments: a table
/// lookup, so random scores cause no branch mispredictions.
const NPS_COUNTER: [usize; 11] = [2, 2, 2, 2, 2, 2, 2, 1, 1, 0, 0];

/// The change of NPS between two independent samples (`crm.nps_difference`), in points.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct NpsDifference {
    /// nps(after) − nps(before).
    pub difference: f64,
    /// z_(confidence) · standard error: the difference ± margin is the Wald interval.
    pub margin: f64,
    /// difference / standard error; `None` when the standard error is 0.
    pub z: Option<f64>,
    /// Two-sided p-value of `z`; `None` when the standard error is 0.
    pub p_value: Option<f64>,
    /// |difference| > margin (the same as p_value < 1 − confidence); `None` when the standard
    /// error is 0 (no sampling variance on either side: the Wald test cannot judge).
    pub significant: Option<bool>,
}

/// Checks that an NPS score is on the 0..10 scale.
#[inline(always)]
fn check_nps_score(function: &str, score: i32) -> MetricResult<()> {
    if (0..=10).contains(&score) {
        Ok(())
    } else {
        Err(nps_score_out_of_range(function, score))
    }
}

/// The error for an NPS score outside 0..10.
#[cold]
#[inline(never)]
pub fn nps_score_out_of_range(function: &str, score: i32) -> MetricError {
    MetricError::OutOfRange(format!("{function}: score {score} is outside 0..10"))
}

/// A score variance below which p + d − (p − d)² may have lost its digits to cancellation (its
/// rounding error is a few times 1e-16): [`NpsCounts::variance`] recomputes it from complements.
const CANCELLATION_FLOOR: f64 = 1e-6;

impl NpsCounts {
    /// The counts of a single valid answer. Computed with comparisons turned into 0/1 values
    /// so the per-row step has no branch for random scores to mispredict.
    #[inline(always)]
    fn single(score: i32) -> NpsCounts {
        NpsCounts {
            promoters: u64::from(score >= 9),
            passives: u64::from((7..=8).contains(&score)),
            detractors: u64::from(score <= 6),
        }
    }
}

impl NpsCounts {
    /// Counts one answer (one increment of one counter, the hot path of `crm.nps`) and returns
    /// true, or returns false for a score outside 0..10 or counts already at the bigint limit
    /// ([`NpsCounts::refusal`] is the error).
    /// No error value on this path keeps the raw transition function free of stack traffic.
    #[inline(always)]
    pub fn try_add(&mut self, score: i32) -> bool {
        let Some(&counter) = usize::try_from(score).ok().and_then(|i| NPS_COUNTER.get(i)) else {
            return false;
        };
        // Counts are at most MAX_COUNT in total (checked on input), so the sum does not wrap.
        if self.promoters + self.passives + self.detractors >= MAX_COUNT {
            return false;
        }
        // SAFETY: `NpsCounts` is `repr(C)` with three `u64` fields and `counter` is 0, 1 or 2.
        let slot = unsafe { &mut *(self as *mut NpsCounts as *mut u64).add(counter) };
        *slot += 1;
        true
    }

    /// Why [`NpsCounts::try_add`] refused `score`: out of the scale, else the bigint limit.
    #[cold]
    #[inline(never)]
    pub fn refusal(function: &str, score: i32) -> MetricError {
        match check_nps_score(function, score) {
            Err(error) => error,
            Ok(()) => count_overflow(function),
        }
    }

    /// Removes one answer counted before (the inverse transition of window frames).
    #[inline]
    pub fn remove(&mut self, function: &str, score: i32) -> MetricResult<()> {
        check_nps_score(function, score)?;
        self.unmerge(function, &NpsCounts::single(score))
    }

    /// Adds another set of counts (combine and rollup). A total past the bigint range (more
    /// than a summary can hold) is 22003 and leaves the counts unchanged.
    #[inline(always)]
    pub fn merge(&mut self, function: &str, other: &NpsCounts) -> MetricResult<()> {
        // Saturating at u64::MAX is past the bigint range, so check_total rejects it.
        let sum = |mine: u64, theirs: u64| mine.saturating_add(theirs);
        let merged = NpsCounts {
            promoters: sum(self.promoters, other.promoters),
            passives: sum(self.passives, other.passives),
            detractors: sum(self.detractors, other.detractors),
        };
        if merged.total().is_none() {
            // No counts named: where the sum passes the range depends on the order a parallel
            // plan merges its partial states in.
            return Err(MetricError::OutOfRange(format!(
                "{function}: counts exceed the bigint range"
            )));
        }
        *self = merged;
        Ok(())
    }

    /// Removes counts merged before (the inverse transition of a rollup window).
    pub fn unmerge(&mut self, function: &str, other: &NpsCounts) -> MetricResult<()> {
        let undo = |total: u64, part: u64| {
            total.checked_sub(part).ok_or_else(|| {
                MetricError::OutOfRange(format!("{function}: removing answers never added"))
            })
        };
        *self = NpsCounts {
            promoters: undo(self.promoters, other.promoters)?,
            passives: undo(self.passives, other.passives)?,
            detractors: undo(self.detractors, other.detractors)?,
        };
        Ok(())
    }

    /// Number of answers (passives included).
    pub fn responses(&self) -> u64 {
        self.promoters + self.passives + self.detractors
    }

    /// NPS in points: 100·(P − D)/n, the double nearest to the exact quotient (counts past
    /// 2^53 are not exact doubles); `None` without answers.
    pub fn nps(&self) -> Option<f64> {
        let difference = i128::from(self.promoters) - i128::from(self.detractors);
        count_ratio(100 * difference, self.responses().into())
    }

    /// Wald margin of error in points: z·100·sqrt((p + d − (p − d)²)/n).
    pub fn margin_of_error(&self, function: &str, confidence: f64) -> MetricResult<Option<f64>> {
        let z = two_sided_z(function, confidence)?;
        let responses = self.responses();
        if responses == 0 {
            return Ok(None);
        }
        let n = responses as f64;
        Ok(Some(z * 100.0 * (self.variance(0.0) / n).sqrt()))
    }

    /// Adjusted Wald interval in points (n + 3 answers, P + ¾ promoters, D + ¾ detractors),
    /// clamped to [-100, 100]; `None` without answers.
    pub fn interval(&self, function: &str, confidence: f64) -> MetricResult<Option<(f64, f64)>> {
        let z = two_sided_z(function, confidence)?;
        if self.responses() == 0 {
            return Ok(None);
        }
        let n = self.responses() as f64 + 3.0;
        let promoter_share = (self.promoters as f64 + 0.75) / n;
        let detractor_share = (self.detractors as f64 + 0.75) / n;
        let center = promoter_share - detractor_share;
        let half_width = z * (self.variance(0.75) / n).sqrt();
        let low = (100.0 * (center - half_width)).clamp(-100.0, 100.0);
        let high = (100.0 * (center + half_width)).clamp(-100.0, 100.0);
        Ok(Some((low, high)))
    }

    /// Wald standard error of the NPS in points, 100·sqrt((p + d − (p − d)²)/n); `None`
    /// without answers.
    pub fn standard_error(&self) -> Option<f64> {
        let responses = self.responses();
        if responses == 0 {
            return None;
        }
        let n = responses as f64;
        Some(100.0 * (self.variance(0.0) / n).sqrt())
    }

    /// Variance of one answer's score (+1, 0, −1), with `added` answers more among the
    /// promoters and among the detractors and twice that among the passives (0, or ¾ for the
    /// adjusted Wald interval): p + d − (p − d)². Where that difference is so small that its
    /// rounding matters (a huge sample nearly all in one category, whose variance it cancelled
    /// to 0), it is taken as p(1 − p) + d(1 − d) + 2pd instead, each complement the share of the
    /// other categories; every other sample gets the same bits as ever.
    fn variance(&self, added: f64) -> f64 {
        let n = self.responses() as f64 + 4.0 * added;
        let promoters = (self.promoters as f64 + added) / n;
        let detractors = (self.detractors as f64 + added) / n;
        let center = promoters - detractors;
        let direct = promoters + detractors - center * center;
        if direct >= CANCELLATION_FLOOR {
            return direct;
        }
        let passives = (self.passives as f64 + 2.0 * added) / n;
        let (not_promoters, not_detractors) = (passives + detractors, passives + promoters);
        promoters * not_promoters + detractors * not_detractors + 2.0 * promoters * detractors
    }

    /// Is the change from `self` (before) to `after` significant? Two independent samples,
    /// Wald standard error sqrt(se_before² + se_after²). `None` when either side has no answers.
    pub fn difference(
        &self,
        function: &str,
        after: &NpsCounts,
        confidence: f64,
    ) -> MetricResult<Option<NpsDifference>> {
        let z_critical = two_sided_z(function, confidence)?;
        let (Some(before_nps), Some(after_nps), Some(before_se), Some(after_se)) = (
            self.nps(),
            after.nps(),
            self.standard_error(),
            after.standard_error(),
        ) else {
            return Ok(None);
        };
        let difference = exact_difference(self, after).unwrap_or(after_nps - before_nps);
        let standard_error = before_se.hypot(after_se);
        // With every answer of both sides in one category there is no sampling variance: the
        // margin is 0 and z and p are undefined.
        let margin = z_critical * standard_error;
        let (z, p_value, significant) = if standard_error > 0.0 {
            let z = difference / standard_error;
            (
                Some(z),
                Some(two_sided_p_value(z)),
                Some(difference.abs() > margin),
            )
        } else {
            (None, None, None)
        };
        Ok(Some(NpsDifference {
            difference,
            margin,
            z,
            p_value,
            significant,
        }))
    }

    pub fn encode(&self) -> MetricResult<Vec<u8>> {
        let mut writer = Writer::with_version(FORMAT_VERSION);
        writer
            .u64(self.promoters)
            .u64(self.passives)
            .u64(self.detractors);
        writer.finish("crm.nps_summary")
    }

    /// Reads a `crm.nps_summary`: its canonical form or the working form of an aggregate
    /// state ([`crate::common::flat_state`]).
    pub fn decode(bytes: &[u8]) -> MetricResult<Self> {
        flat_state::decode_any(bytes)
    }

    fn decode_canonical(bytes: &[u8]) -> MetricResult<Self> {
        let mut reader = Reader::open(bytes, FORMAT_VERSION, "crm.nps_summary")?;
        let counts = NpsCounts {
            promoters: reader.u64()?,
            passives: reader.u64()?,
            detractors: reader.u64()?,
        };
        reader.finish()?;
        counts.check_total("crm.nps_summary", MetricError::InvalidBinary)
    }

    /// Rejects counts whose total does not fit a bigint (a forged value could overflow).
    fn check_total(self, what: &str, error: fn(String) -> MetricError) -> MetricResult<Self> {
        self.total().map(|_| self).ok_or_else(|| {
            error(format!(
                "{what}: counts exceed the bigint range (promoters {}, passives {}, detractors {})",
                self.promoters, self.passives, self.detractors
            ))
        })
    }

    /// The number of answers, `None` past the bigint range.
    fn total(&self) -> Option<u64> {
        self.promoters
            .checked_add(self.passives)
            .and_then(|sum| sum.checked_add(self.detractors))
            .filter(|&total| total <= i64::MAX as u64)
    }

    /// Readable text form: `{"promoters":250,"passives":675,"detractors":75}`.
    pub fn to_text(&self) -> MetricResult<String> {
        Ok(format!(
            r#"{{"promoters":{},"passives":{},"detractors":{}}}"#,
            self.promoters, self.passives, self.detractors
        ))
    }

    pub fn from_text(text: &str) -> MetricResult<Self> {
        let counts: NpsCounts = from_json_object("crm.nps_summary", text)?.map_err(|error| {
            MetricError::InvalidText(format!(
                "crm.nps_summary: malformed value {} ({error}); expected e.g. \
                 {{\"promoters\":250,\"passives\":675,\"detractors\":75}}",
                crate::common::error::quoted_excerpt(text)
            ))
        })?;
        counts.check_total("crm.nps_summary", MetricError::InvalidText)
    }
}

impl FlatState for NpsCounts {
    const KIND: u8 = 1;
    const TYPE_NAME: &'static str = "crm.nps_summary";
    fn validate(self) -> MetricResult<Self> {
        self.check_total("crm.nps_summary", MetricError::InvalidBinary)
    }

    fn encode_canonical(&self) -> MetricResult<Vec<u8>> {
        self.encode()
    }

    fn decode_canonical(bytes: &[u8]) -> MetricResult<Self> {
        NpsCounts::decode_canonical(bytes)
    }
}

/// Moving-aggregate (window frame) state of `crm.nps`, `crm.nps_agg` and
/// `crm.rollup(crm.nps_summary)`: the counts,
/// and how many summaries the rollup merged into them. A row is usable when it counts an answer
/// or merges a summary (even one of zero answers), so the state has seen no usable row exactly
/// when both are zero, and the final functions then return NULL, as over no rows at all (a
/// window frame of NULL rows included).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct NpsState {
    pub counts: NpsCounts,
    pub summaries: u64,
}

impl NpsState {
    /// Whether any usable row is in the state.
    pub fn has_rows(&self) -> bool {
        self.summaries != 0 || self.counts != NpsCounts::default()
    }

    /// Merges one summary (the rollup's transition).
    /// Counts past the bigint range are 22003 and leave the state unchanged.
    pub fn add_summary(&mut self, function: &str, summary: &NpsCounts) -> MetricResult<()> {
        let summaries = self
            .summaries
            .checked_add(1)
            .ok_or_else(|| count_overflow(function))?;
        self.counts.merge(function, summary)?;
        self.summaries = summaries;
        Ok(())
    }

    /// Removes a summary merged before (the rollup's inverse transition); leaves the state
    /// unchanged on error.
    pub fn remove_summary(&mut self, function: &str, summary: &NpsCounts) -> MetricResult<()> {
        let summaries = self.summaries.checked_sub(1).ok_or_else(|| {
            MetricError::OutOfRange(format!("{function}: removing a summary never added"))
        })?;
        self.counts.unmerge(function, summary)?;
        self.summaries = summaries;
        Ok(())
    }
}

/// nps(after) − nps(before) in points, exactly and then rounded once: the two NPS as doubles
/// agree in all their digits when both sides hold ~10^16 answers and differ by a few, and their
/// difference would be 0. `None` without answers on either side.
fn exact_difference(before: &NpsCounts, after: &NpsCounts) -> Option<f64> {
    let nps = |counts: &NpsCounts| {
        let net = i128::from(counts.promoters) - i128::from(counts.detractors);
        Fraction::of_integer(100 * net).over(&Fraction::of_integer(
            u128::from(counts.promoters)
                + u128::from(counts.passives)
                + u128::from(counts.detractors),
        ))
    };
    Some(nps(after)?.minus(&nps(before)?).to_f64())
}
