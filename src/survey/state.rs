//! NPS and CSAT math: integer counts (exact under any split of the rows) and the ratios
//! computed from them.
use crate::common::codec::{Reader, Writer};
use crate::common::error::{MetricError, MetricResult};
use crate::common::stats::two_sided_z;
use serde::Deserialize;

/// Binary format version of [`NpsCounts`] and [`CsatCounts`].
pub const FORMAT_VERSION: u8 = 1;

/// Counts of NPS answers. Promoters score 9–10, passives 7–8, detractors 0–6.
/// `repr(C)`: the three counters are contiguous, so the per-row step can address one by index.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
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
    /// true, or returns false for a score outside 0..10 ([`nps_score_out_of_range`] is the
    /// error).
    /// No error value on this path keeps the raw transition function free of stack traffic.
    #[inline(always)]
    pub fn try_add(&mut self, score: i32) -> bool {
        let Some(&counter) = usize::try_from(score).ok().and_then(|i| NPS_COUNTER.get(i)) else {
            return false;
        };
        // SAFETY: `NpsCounts` is `repr(C)` with three `u64` fields and `counter` is 0, 1 or 2.
        let slot = unsafe { &mut *(self as *mut NpsCounts as *mut u64).add(counter) };
        // Wrapping: 2^64 answers cannot be counted one row at a time.
        *slot = slot.wrapping_add(1);
        true
    }

    /// Removes one answer counted before (the inverse transition of window frames).
    #[inline]
    pub fn remove(&mut self, function: &str, score: i32) -> MetricResult<()> {
        check_nps_score(function, score)?;
        self.unmerge(function, &NpsCounts::single(score))
    }

    /// Adds another set of counts (combine and rollup).
    #[inline(always)]
    pub fn merge(&mut self, other: &NpsCounts) {
        self.promoters = self.promoters.saturating_add(other.promoters);
        self.passives = self.passives.saturating_add(other.passives);
        self.detractors = self.detractors.saturating_add(other.detractors);
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

    /// NPS in points: 100·(P − D)/n; `None` without answers.
    pub fn nps(&self) -> Option<f64> {
        let responses = self.responses();
        if responses == 0 {
            return None;
        }
        Some(100.0 * (self.promoters as f64 - self.detractors as f64) / responses as f64)
    }

    /// Wald margin of error in points: z·100·sqrt((p + d − (p − d)²)/n).
    pub fn margin_of_error(&self, function: &str, confidence: f64) -> MetricResult<Option<f64>> {
        let z = two_sided_z(function, confidence)?;
        let responses = self.responses();
        if responses == 0 {
            return Ok(None);
        }
        let n = responses as f64;
        let promoter_share = self.promoters as f64 / n;
        let detractor_share = self.detractors as f64 / n;
        let variance = promoter_share + detractor_share
            - (promoter_share - detractor_share) * (promoter_share - detractor_share);
        Ok(Some(z * 100.0 * (variance.max(0.0) / n).sqrt()))
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
        let variance = promoter_share + detractor_share - center * center;
        let half_width = z * (variance.max(0.0) / n).sqrt();
        let low = (100.0 * (center - half_width)).clamp(-100.0, 100.0);
        let high = (100.0 * (center + half_width)).clamp(-100.0, 100.0);
        Ok(Some((low, high)))
    }

    pub fn encode(&self) -> Vec<u8> {
        let mut writer = Writer::with_version(FORMAT_VERSION);
        writer
            .u64(self.promoters)
            .u64(self.passives)
            .u64(self.detractors);
        writer.finish()
    }

    pub fn decode(bytes: &[u8]) -> MetricResult<Self> {
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
        self.promoters
            .checked_add(self.passives)
            .and_then(|sum| sum.checked_add(self.detractors))
            .filter(|&total| total <= i64::MAX as u64)
            .map(|_| self)
            .ok_or_else(|| error(format!("{what}: counts exceed the bigint range")))
    }

    /// Readable text form: `{"promoters":250,"passives":675,"detractors":75}`.
    pub fn to_text(&self) -> String {
        format!(
            r#"{{"promoters":{},"passives":{},"detractors":{}}}"#,
            self.promoters, self.passives, self.detractors
        )
    }

    pub fn from_text(text: &str) -> MetricResult<Self> {
        let counts: NpsCounts = serde_json::from_str(text).map_err(|error| {
            MetricError::InvalidText(format!(
                "crm.nps_summary: malformed value {text:?} ({error}); expected e.g. \
                 {{\"promoters\":250,\"passives\":675,\"detractors\":75}}"
            ))
        })?;
        counts.check_total("crm.nps_summary", MetricError::InvalidText)
    }
}

/// Aggregate state of `crm.nps`, `crm.nps_agg` and `crm.rollup(crm.nps_summary)`: the counts,
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
    pub fn add_summary(&mut self, summary: &NpsCounts) {
        self.counts.merge(summary);
        self.summaries = self.summaries.saturating_add(1);
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

    /// Adds another state (parallel combine).
    pub fn merge(&mut self, other: &NpsState) {
        self.counts.merge(&other.counts);
        self.summaries = self.summaries.saturating_add(other.summaries);
    }

    /// Parallel form: version byte, the three counts, the summary count.
    pub fn encode(&self) -> Vec<u8> {
        let mut writer = Writer::with_version(FORMAT_VERSION);
        writer
            .u64(self.counts.promoters)
            .u64(self.counts.passives)
            .u64(self.counts.detractors)
            .u64(self.summaries);
        writer.finish()
    }

    /// Inverse of [`NpsState::encode`].
    pub fn decode(bytes: &[u8]) -> MetricResult<Self> {
        let mut reader = Reader::open(bytes, FORMAT_VERSION, NPS_STATE)?;
        let counts = NpsCounts {
            promoters: reader.u64()?,
            passives: reader.u64()?,
            detractors: reader.u64()?,
        };
        let summaries = reader.u64()?;
        reader.finish()?;
        Ok(NpsState {
            counts: counts.check_total(NPS_STATE, MetricError::InvalidBinary)?,
            summaries,
        })
    }
}

/// Names the parallel form of [`NpsState`] in error messages.
const NPS_STATE: &str = "crm.nps state";

/// Counts of CSAT answers: how many answered and how many were satisfied.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CsatCounts {
    pub satisfied: u64,
    pub responses: u64,
}

/// Whether a CSAT answer on the 1–5 scale is satisfied (4 or 5).
#[inline(always)]
fn csat_five_point(function: &str, score: i32) -> MetricResult<bool> {
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
fn csat_threshold(function: &str, score: i32, satisfied_from: i32) -> MetricResult<bool> {
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
    match satisfied_from {
        None => csat_score_out_of_range(function, score),
        Some(from) => csat_threshold_error(function, score, from),
    }
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
    /// false for a score outside 1..5 ([`csat_answer_refused`] is the error). No error value on
    /// this path keeps the raw transition function free of stack traffic.
    #[inline(always)]
    pub fn try_add(&mut self, score: i32) -> bool {
        let valid = (1..=5).contains(&score);
        if valid {
            self.count(score >= 4);
        }
        valid
    }

    /// Counts one answer on any non-negative scale (satisfied when `score >= satisfied_from`)
    /// and returns true, or returns false for a negative score or `satisfied_from`.
    #[inline(always)]
    pub fn try_add_with_threshold(&mut self, score: i32, satisfied_from: i32) -> bool {
        let valid = score >= 0 && satisfied_from >= 0;
        if valid {
            self.count(score >= satisfied_from);
        }
        valid
    }

    #[inline(always)]
    fn count(&mut self, satisfied: bool) {
        self.responses += 1;
        self.satisfied += u64::from(satisfied);
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

    pub fn merge(&mut self, other: &CsatCounts) {
        self.satisfied = self.satisfied.saturating_add(other.satisfied);
        self.responses = self.responses.saturating_add(other.responses);
    }

    /// Share of satisfied answers; `None` without answers.
    pub fn csat(&self) -> Option<f64> {
        (self.responses > 0).then(|| self.satisfied as f64 / self.responses as f64)
    }

    pub fn encode(&self) -> Vec<u8> {
        let mut writer = Writer::with_version(FORMAT_VERSION);
        writer.u64(self.satisfied).u64(self.responses);
        writer.finish()
    }

    pub fn decode(bytes: &[u8]) -> MetricResult<Self> {
        let mut reader = Reader::open(bytes, FORMAT_VERSION, "crm.csat state")?;
        let counts = CsatCounts {
            satisfied: reader.u64()?,
            responses: reader.u64()?,
        };
        reader.finish()?;
        if counts.satisfied > counts.responses {
            return Err(MetricError::InvalidBinary(
                "crm.csat state: more satisfied answers than answers".into(),
            ));
        }
        Ok(counts)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn counts(promoters: u64, passives: u64, detractors: u64) -> NpsCounts {
        NpsCounts {
            promoters,
            passives,
            detractors,
        }
    }

    /// What the raw transition of `crm.nps` does with one score.
    fn nps_add(counts: &mut NpsCounts, function: &str, score: i32) -> MetricResult<()> {
        if counts.try_add(score) {
            Ok(())
        } else {
            Err(nps_score_out_of_range(function, score))
        }
    }

    /// What the raw transitions of `crm.csat` do with one answer.
    fn csat_add(
        counts: &mut CsatCounts,
        function: &str,
        score: i32,
        satisfied_from: Option<i32>,
    ) -> MetricResult<()> {
        let counted = match satisfied_from {
            None => counts.try_add(score),
            Some(from) => counts.try_add_with_threshold(score, from),
        };
        if counted {
            Ok(())
        } else {
            Err(csat_answer_refused(function, score, satisfied_from))
        }
    }

    fn from_scores(scores: &[i32]) -> NpsCounts {
        let mut result = NpsCounts::default();
        for &score in scores {
            nps_add(&mut result, "t", score).unwrap();
        }
        result
    }

    #[test]
    fn buckets_follow_the_bain_definition() {
        let all = from_scores(&[0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
        assert_eq!(all, counts(2, 2, 7));
        assert_eq!(all.responses(), 11);
        assert!((all.nps().unwrap() - 100.0 * (2.0 - 7.0) / 11.0).abs() < 1e-12);
    }

    #[test]
    fn worked_example_n1000() {
        // n = 1000, P = 250, D = 75 → NPS 17.5, SE 1.7157 points, 95 % Wald [14.14, 20.86].
        let example = counts(250, 675, 75);
        assert_eq!(example.nps(), Some(17.5));
        let margin = example.margin_of_error("t", 0.95).unwrap().unwrap();
        let standard_error = margin / 1.959_963_984_540_054;
        assert!(
            (standard_error - 1.715_735).abs() < 1e-5,
            "{standard_error}"
        );
        assert!((17.5 - margin - 14.137).abs() < 1e-3);
        assert!((17.5 + margin - 20.863).abs() < 1e-3);
        let (low, high) = example.interval("t", 0.95).unwrap().unwrap();
        // Adjusted Wald: p' = 250.75/1003, d' = 75.75/1003.
        let n: f64 = 1003.0;
        let (p, d) = (250.75 / n, 75.75 / n);
        let half = 1.959_963_984_540_054 * ((p + d - (p - d) * (p - d)) / n).sqrt();
        assert!((low - 100.0 * (p - d - half)).abs() < 1e-9);
        assert!((high - 100.0 * (p - d + half)).abs() < 1e-9);
    }

    #[test]
    fn empty_counts_give_none() {
        let empty = NpsCounts::default();
        assert_eq!(empty.nps(), None);
        assert_eq!(empty.margin_of_error("t", 0.95).unwrap(), None);
        assert_eq!(empty.interval("t", 0.95).unwrap(), None);
        assert_eq!(CsatCounts::default().csat(), None);
    }

    #[test]
    fn interval_is_clamped() {
        let all_promoters = counts(3, 0, 0);
        let (low, high) = all_promoters.interval("t", 0.99).unwrap().unwrap();
        assert!(high <= 100.0 && low < high && low >= -100.0);
        assert_eq!(high, 100.0);
    }

    #[test]
    fn out_of_range_scores_are_errors() {
        let mut state = NpsCounts::default();
        for score in [-1, 11, i32::MAX, i32::MIN] {
            let error = nps_add(&mut state, "crm.nps", score).unwrap_err();
            assert_eq!(
                error,
                MetricError::OutOfRange(format!("crm.nps: score {score} is outside 0..10"))
            );
        }
        let mut csat = CsatCounts::default();
        for (score, from, expected) in [
            (
                0,
                None,
                MetricError::OutOfRange("crm.csat: score 0 is outside 1..5".to_string()),
            ),
            (
                6,
                None,
                MetricError::OutOfRange("crm.csat: score 6 is outside 1..5".to_string()),
            ),
            (
                -1,
                Some(3),
                MetricError::OutOfRange("crm.csat: score -1 is negative".to_string()),
            ),
            (
                -1,
                Some(-3),
                MetricError::OutOfRange("crm.csat: score -1 is negative".to_string()),
            ),
            (
                3,
                Some(-3),
                MetricError::InvalidParameter(
                    "crm.csat: satisfied_from -3 is negative".to_string(),
                ),
            ),
        ] {
            assert_eq!(csat_add(&mut csat, "crm.csat", score, from), Err(expected));
        }
        assert_eq!(csat, CsatCounts::default());
    }

    #[test]
    fn hot_paths_accept_exactly_what_the_inverse_transitions_accept() {
        for score in -3..14 {
            let mut nps = NpsCounts::default();
            let checked = check_nps_score("t", score);
            assert_eq!(checked.is_ok(), nps.try_add(score));
            if checked.is_ok() {
                nps.remove("t", score).unwrap();
            }
            assert_eq!(nps, NpsCounts::default());
            let mut csat = CsatCounts::default();
            let checked = csat_five_point("t", score);
            assert_eq!(checked.is_ok(), csat.try_add(score));
            match checked {
                Ok(_) => csat.remove("t", score).unwrap(),
                Err(error) => assert_eq!(error, csat_answer_refused("t", score, None)),
            }
            assert_eq!(csat, CsatCounts::default());
            for from in -2..8 {
                let checked = csat_threshold("t", score, from);
                assert_eq!(checked.is_ok(), csat.try_add_with_threshold(score, from));
                match checked {
                    Ok(_) => csat.remove_with_threshold("t", score, from).unwrap(),
                    Err(error) => {
                        assert_eq!(error, csat_answer_refused("t", score, Some(from)))
                    }
                }
                assert_eq!(csat, CsatCounts::default());
            }
        }
    }

    #[test]
    fn csat_counts_satisfied_answers() {
        let mut five_point = CsatCounts::default();
        for score in [1, 2, 3, 4, 5, 5] {
            csat_add(&mut five_point, "t", score, None).unwrap();
        }
        assert_eq!(five_point.csat(), Some(0.5));
        let mut ten_point = CsatCounts::default();
        for score in [0, 7, 8, 9, 10] {
            csat_add(&mut ten_point, "t", score, Some(8)).unwrap();
        }
        assert_eq!(ten_point.csat(), Some(0.6));
    }

    #[test]
    fn text_form_is_pinned_and_round_trips() {
        let example = counts(250, 675, 75);
        assert_eq!(
            example.to_text(),
            r#"{"promoters":250,"passives":675,"detractors":75}"#
        );
        assert_eq!(NpsCounts::from_text(&example.to_text()).unwrap(), example);
        for bad in [
            "",
            "{",
            "{}",
            r#"{"promoters":-1,"passives":0,"detractors":0}"#,
            r#"{"promoters":1,"passives":0,"detractors":0,"extra":1}"#,
            r#"{"promoters":9223372036854775807,"passives":1,"detractors":0}"#,
        ] {
            assert!(
                matches!(NpsCounts::from_text(bad), Err(MetricError::InvalidText(_))),
                "{bad}"
            );
        }
    }

    #[test]
    fn binary_form_is_pinned() {
        assert_eq!(
            counts(250, 675, 75).encode(),
            vec![1, 0xfa, 0x01, 0xa3, 0x05, 75]
        );
        assert_eq!(
            CsatCounts {
                satisfied: 3,
                responses: 4
            }
            .encode(),
            vec![1, 3, 4]
        );
    }

    #[test]
    fn nps_state_counts_usable_rows() {
        let mut state = NpsState::default();
        assert!(!state.has_rows());
        state.add_summary(&NpsCounts::default());
        assert!(state.has_rows());
        let summary = counts(1, 2, 3);
        state.add_summary(&summary);
        assert_eq!(NpsState::decode(&state.encode()), Ok(state));
        state.remove_summary("t", &summary).unwrap();
        state.remove_summary("t", &NpsCounts::default()).unwrap();
        assert_eq!(state, NpsState::default());
        assert!(state.remove_summary("t", &NpsCounts::default()).is_err());
        state.add_summary(&NpsCounts::default());
        let before = state;
        assert!(state.remove_summary("t", &summary).is_err());
        assert_eq!(state, before);
        let mut answers = NpsState::default();
        assert!(answers.counts.try_add(10));
        assert!(answers.has_rows());
        assert!(NpsState::decode(&[1, 0, 0, 0]).is_err());
        assert!(NpsState::decode(&[1, 0, 0, 0, 0, 0]).is_err());
    }

    fn arbitrary_counts() -> impl Strategy<Value = NpsCounts> {
        (0u64..1 << 40, 0u64..1 << 40, 0u64..1 << 40).prop_map(|(p, s, d)| counts(p, s, d))
    }

    proptest! {
        #[test]
        fn merge_is_associative_and_commutative(
            a in arbitrary_counts(), b in arbitrary_counts(), c in arbitrary_counts()
        ) {
            let mut left = a; left.merge(&b); left.merge(&c);
            let mut bc = b; bc.merge(&c);
            let mut right = a; right.merge(&bc);
            prop_assert_eq!(left, right);
            let mut ab = a; ab.merge(&b);
            let mut ba = b; ba.merge(&a);
            prop_assert_eq!(ab, ba);
        }

        #[test]
        fn split_and_merge_equals_one_pass(
            scores in proptest::collection::vec(0i32..=10, 0..200), cut in 0usize..200
        ) {
            let cut = cut.min(scores.len());
            let mut left = from_scores(&scores[..cut]);
            left.merge(&from_scores(&scores[cut..]));
            prop_assert_eq!(left, from_scores(&scores));
        }

        #[test]
        fn remove_undoes_add(scores in proptest::collection::vec(0i32..=10, 1..50)) {
            let mut state = from_scores(&scores);
            for &score in &scores[1..] {
                state.remove("t", score).unwrap();
            }
            prop_assert_eq!(state, from_scores(&scores[..1]));
            let whole = from_scores(&scores);
            let mut rolled = whole;
            rolled.unmerge("t", &from_scores(&scores[1..])).unwrap();
            prop_assert_eq!(rolled, from_scores(&scores[..1]));
        }

        #[test]
        fn encodings_round_trip(a in arbitrary_counts(), satisfied in 0u64..1000, extra in 0u64..1000) {
            prop_assert_eq!(NpsCounts::decode(&a.encode()).unwrap(), a);
            prop_assert_eq!(NpsCounts::from_text(&a.to_text()).unwrap(), a);
            let csat = CsatCounts { satisfied, responses: satisfied + extra };
            prop_assert_eq!(CsatCounts::decode(&csat.encode()).unwrap(), csat);
        }

        #[test]
        fn decoding_garbage_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..40)) {
            let _ = NpsCounts::decode(&bytes);
            let _ = CsatCounts::decode(&bytes);
        }

        #[test]
        fn nps_matches_a_direct_count(scores in proptest::collection::vec(0i32..=10, 1..200)) {
            let promoters = scores.iter().filter(|&&s| s >= 9).count() as f64;
            let detractors = scores.iter().filter(|&&s| s <= 6).count() as f64;
            let expected = 100.0 * (promoters - detractors) / scores.len() as f64;
            let nps = from_scores(&scores).nps().unwrap();
            prop_assert!((nps - expected).abs() < 1e-9);
            prop_assert!((-100.0..=100.0).contains(&nps));
        }
    }
}
