//! NPS and CSAT math: integer counts (exact under any split of the rows) and the ratios
//! computed from them.
use crate::common::codec::{from_json_object, Reader, Writer};
use crate::common::error::{MetricError, MetricResult};
use crate::common::stats::two_sided_z;
use serde::{Deserialize, Serialize};

/// Binary format version of [`NpsCounts`] and [`CsatCounts`].
pub const FORMAT_VERSION: u8 = 1;

/// Counts of NPS answers. Promoters score 9–10, passives 7–8, detractors 0–6.
/// `repr(C)`: the three counters are contiguous, so the per-row step can address one by index.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
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
    /// Counts one answer: one increment of one counter, the hot path of `crm.nps`.
    #[inline(always)]
    pub fn add(&mut self, function: &str, score: i32) -> MetricResult<()> {
        if self.try_add(score) {
            Ok(())
        } else {
            Err(nps_score_out_of_range(function, score))
        }
    }

    /// Counts one answer and returns true, or returns false for a score outside 0..10.
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

    /// Adds another set of counts (combine and rollup). A total past the bigint range (more
    /// than a summary can hold) is 22003 and leaves the counts unchanged.
    #[inline(always)]
    pub fn merge(&mut self, function: &str, other: &NpsCounts) -> MetricResult<()> {
        // Saturating at u64::MAX is past the bigint range, so check_total rejects it.
        let sum = |mine: u64, theirs: u64| mine.saturating_add(theirs);
        *self = NpsCounts {
            promoters: sum(self.promoters, other.promoters),
            passives: sum(self.passives, other.passives),
            detractors: sum(self.detractors, other.detractors),
        }
        .check_total(function, MetricError::OutOfRange)?;
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
        serde_json::to_string(self).expect("plain integer fields always serialize")
    }

    pub fn from_text(text: &str) -> MetricResult<Self> {
        let counts: NpsCounts = from_json_object(text).map_err(|error| {
            MetricError::InvalidText(format!(
                "crm.nps_summary: malformed value {text:?} ({error}); expected e.g. \
                 {{\"promoters\":250,\"passives\":675,\"detractors\":75}}"
            ))
        })?;
        counts.check_total("crm.nps_summary", MetricError::InvalidText)
    }
}

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
    if score < 0 {
        return Err(MetricError::OutOfRange(format!(
            "{function}: score {score} is negative"
        )));
    }
    if satisfied_from < 0 {
        return Err(MetricError::InvalidParameter(format!(
            "{function}: satisfied_from {satisfied_from} is negative"
        )));
    }
    Ok(score >= satisfied_from)
}

impl CsatCounts {
    /// Counts one answer on the 1–5 scale (satisfied when 4 or 5).
    #[inline(always)]
    pub fn add(&mut self, function: &str, score: i32) -> MetricResult<()> {
        self.count(csat_five_point(function, score)?);
        Ok(())
    }

    /// Counts one answer on any non-negative scale (satisfied when `score >= satisfied_from`).
    #[inline(always)]
    pub fn add_with_threshold(
        &mut self,
        function: &str,
        score: i32,
        satisfied_from: i32,
    ) -> MetricResult<()> {
        self.count(csat_threshold(function, score, satisfied_from)?);
        Ok(())
    }

    /// Inverse of [`CsatCounts::add`].
    pub fn remove(&mut self, function: &str, score: i32) -> MetricResult<()> {
        self.uncount(function, csat_five_point(function, score)?)
    }

    /// Inverse of [`CsatCounts::add_with_threshold`].
    pub fn remove_with_threshold(
        &mut self,
        function: &str,
        score: i32,
        satisfied_from: i32,
    ) -> MetricResult<()> {
        self.uncount(function, csat_threshold(function, score, satisfied_from)?)
    }

    /// [`CsatCounts::add`] without an error value (false for a score outside 1..5), for the
    /// raw transition function's hot path.
    #[inline(always)]
    pub fn try_add(&mut self, score: i32) -> bool {
        let valid = (1..=5).contains(&score);
        if valid {
            self.count(score >= 4);
        }
        valid
    }

    /// [`CsatCounts::add_with_threshold`] without an error value.
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

    const F: &str = "crm.rollup";

    fn counts(promoters: u64, passives: u64, detractors: u64) -> NpsCounts {
        NpsCounts {
            promoters,
            passives,
            detractors,
        }
    }

    fn from_scores(scores: &[i32]) -> NpsCounts {
        let mut result = NpsCounts::default();
        for &score in scores {
            result.add("t", score).unwrap();
        }
        result
    }

    #[test]
    fn merge_past_the_bigint_range_is_22003_and_text_is_an_object_only() {
        let half = 1u64 << 62;
        let mut a = counts(half, 0, 0);
        a.merge(F, &counts(half - 1, 0, 0)).unwrap();
        assert_eq!(a.responses(), i64::MAX as u64);
        let before = a;
        let error = a.merge(F, &counts(0, 0, 1)).unwrap_err();
        assert!(matches!(error, MetricError::OutOfRange(m) if m.starts_with("crm.rollup: ")));
        assert_eq!(a, before);
        // Whatever merges accept, the binary form reads back.
        assert_eq!(NpsCounts::decode(&a.encode()).unwrap(), a);
        let mut huge = counts(u64::MAX, 0, 0);
        assert!(huge.merge(F, &counts(1, 0, 0)).is_err());
        for bad in ["[1,2,3]", " [1,2,3]", "[250,675,75]", "1", "null", "\"x\""] {
            assert!(
                matches!(NpsCounts::from_text(bad), Err(MetricError::InvalidText(_))),
                "{bad}"
            );
        }
        let spaced = " {\"promoters\":1,\"passives\":2,\"detractors\":3}";
        assert_eq!(NpsCounts::from_text(spaced).unwrap(), counts(1, 2, 3));
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
            let error = state.add("crm.nps", score).unwrap_err();
            assert_eq!(
                error,
                MetricError::OutOfRange(format!("crm.nps: score {score} is outside 0..10"))
            );
        }
        let mut csat = CsatCounts::default();
        assert!(matches!(
            csat.add("crm.csat", 0),
            Err(MetricError::OutOfRange(_))
        ));
        assert!(matches!(
            csat.add("crm.csat", 6),
            Err(MetricError::OutOfRange(_))
        ));
        assert!(matches!(
            csat.add_with_threshold("crm.csat", -1, 3),
            Err(MetricError::OutOfRange(_))
        ));
        assert!(matches!(
            csat.add_with_threshold("crm.csat", 3, -3),
            Err(MetricError::InvalidParameter(_))
        ));
        assert_eq!(csat, CsatCounts::default());
    }

    #[test]
    fn unchecked_paths_accept_exactly_what_the_checked_ones_accept() {
        for score in -3..14 {
            let (mut checked, mut unchecked) = (NpsCounts::default(), NpsCounts::default());
            assert_eq!(checked.add("t", score).is_ok(), unchecked.try_add(score));
            assert_eq!(checked, unchecked);
            let (mut checked, mut unchecked) = (CsatCounts::default(), CsatCounts::default());
            assert_eq!(checked.add("t", score).is_ok(), unchecked.try_add(score));
            assert_eq!(checked, unchecked);
            for from in -2..8 {
                let (mut checked, mut unchecked) = (CsatCounts::default(), CsatCounts::default());
                assert_eq!(
                    checked.add_with_threshold("t", score, from).is_ok(),
                    unchecked.try_add_with_threshold(score, from)
                );
                assert_eq!(checked, unchecked);
            }
        }
    }

    #[test]
    fn csat_counts_satisfied_answers() {
        let mut five_point = CsatCounts::default();
        for score in [1, 2, 3, 4, 5, 5] {
            five_point.add("t", score).unwrap();
        }
        assert_eq!(five_point.csat(), Some(0.5));
        let mut ten_point = CsatCounts::default();
        for score in [0, 7, 8, 9, 10] {
            ten_point.add_with_threshold("t", score, 8).unwrap();
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

    fn arbitrary_counts() -> impl Strategy<Value = NpsCounts> {
        (0u64..1 << 40, 0u64..1 << 40, 0u64..1 << 40).prop_map(|(p, s, d)| counts(p, s, d))
    }

    proptest! {
        #[test]
        fn merge_is_associative_and_commutative(
            a in arbitrary_counts(), b in arbitrary_counts(), c in arbitrary_counts()
        ) {
            let mut left = a; left.merge(F, &b).unwrap(); left.merge(F, &c).unwrap();
            let mut bc = b; bc.merge(F, &c).unwrap();
            let mut right = a; right.merge(F, &bc).unwrap();
            prop_assert_eq!(left, right);
            let mut ab = a; ab.merge(F, &b).unwrap();
            let mut ba = b; ba.merge(F, &a).unwrap();
            prop_assert_eq!(ab, ba);
        }

        #[test]
        fn split_and_merge_equals_one_pass(
            scores in proptest::collection::vec(0i32..=10, 0..200), cut in 0usize..200
        ) {
            let cut = cut.min(scores.len());
            let mut left = from_scores(&scores[..cut]);
            left.merge(F, &from_scores(&scores[cut..])).unwrap();
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
