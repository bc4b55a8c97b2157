//! Unit and property tests of the NPS and CSAT counts.
use super::csat::{csat_five_point, csat_threshold};
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
fn nps_takes_the_difference_of_huge_counts_exactly() {
    // 2^62 + 1 promoters against 2^62 - 2 detractors: 3 more promoters among 2^63 - 1 answers
    // (as doubles both counts are 2^62, and the NPS came out 0).
    let huge = counts((1 << 62) + 1, 0, (1 << 62) - 2);
    let expected = 300.0 / 9223372036854775807.0;
    assert_eq!(huge.nps(), Some(expected));
    assert!(expected > 0.0);
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
fn difference_of_two_quarters() {
    // Q3: 250 promoters, 675 passives, 75 detractors (NPS 17.5, SE 1.715735);
    // Q4: 300, 600, 100 (NPS 20, SE sqrt(0.4 − 0.04)/sqrt(1000)·100 = 1.897367).
    let (q3, q4) = (counts(250, 675, 75), counts(300, 600, 100));
    let got = q3.difference("t", &q4, 0.95).unwrap().unwrap();
    let se: f64 = (0.325_f64 - 0.175 * 0.175).sqrt() / 1000_f64.sqrt() * 100.0;
    let se4: f64 = (0.4_f64 - 0.2 * 0.2).sqrt() / 1000_f64.sqrt() * 100.0;
    let combined = (se * se + se4 * se4).sqrt();
    assert!((got.difference - 2.5).abs() < 1e-12);
    assert!((got.margin - 1.959_963_984_540_054 * combined).abs() < 1e-9);
    assert!((got.z.unwrap() - 2.5 / combined).abs() < 1e-12);
    // z ≈ 0.978: two-sided p ≈ 0.328.
    assert!((got.z.unwrap() - 0.977_9).abs() < 1e-3, "{got:?}");
    assert!((got.p_value.unwrap() - 0.328).abs() < 1e-3, "{got:?}");
    // Reversed: the sign flips, the rest stays.
    let back = q4.difference("t", &q3, 0.95).unwrap().unwrap();
    assert_eq!(back.difference, -got.difference);
    assert_eq!(back.p_value, got.p_value);
    // p ≈ 0.328: not significant at 95 % (|2.5| < margin ≈ 5.0), nor at 60 % (margin ≈ 2.16
    // < 2.5, p < 0.4): significant there.
    assert_eq!(got.significant, Some(false));
    let loose = q3.difference("t", &q4, 0.6).unwrap().unwrap();
    assert!(loose.margin < 2.5 && loose.p_value.unwrap() < 0.4);
    assert_eq!(loose.significant, Some(true));
    assert_eq!(back.significant, Some(false));
}

proptest::proptest! {
    /// `significant` agrees with the p-value: p < 1 − confidence exactly when |d| > margin
    /// (away from the boundary, where rounding may tip either way).
    #[test]
    fn significant_agrees_with_the_p_value(
        before in (0u64..400, 0u64..400, 0u64..400),
        after in (0u64..400, 0u64..400, 0u64..400),
        confidence in 0.5f64..0.999,
    ) {
        let (a, b) = (counts(before.0, before.1, before.2), counts(after.0, after.1, after.2));
        if let Some(found) = a.difference("t", &b, confidence).unwrap() {
            match (found.p_value, found.significant) {
                (Some(p), Some(significant)) => {
                    if (p - (1.0 - confidence)).abs() > 1e-9 {
                        proptest::prop_assert_eq!(significant, p < 1.0 - confidence);
                    }
                }
                (None, None) => proptest::prop_assert_eq!(found.margin, 0.0),
                other => proptest::prop_assert!(false, "{other:?}"),
            }
        }
    }
}

#[test]
fn difference_edge_cases() {
    let some = counts(3, 1, 1);
    assert_eq!(NpsCounts::default().difference("t", &some, 0.95), Ok(None));
    assert_eq!(some.difference("t", &NpsCounts::default(), 0.95), Ok(None));
    // All answers in one category on both sides: no variance, margin 0, z and p undefined.
    let all_promoters = counts(5, 0, 0);
    let all_detractors = counts(0, 0, 7);
    assert_eq!(
        all_detractors.difference("t", &all_promoters, 0.95),
        Ok(Some(NpsDifference {
            difference: 200.0,
            margin: 0.0,
            z: None,
            p_value: None,
            significant: None
        }))
    );
    assert!(some.difference("t", &some, 1.0).is_err());
    let same = some.difference("t", &some, 0.95).unwrap().unwrap();
    assert_eq!(
        (same.difference, same.z, same.p_value),
        (0.0, Some(0.0), Some(1.0))
    );
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
fn interval_has_width_for_huge_samples_of_one_category() {
    // All promoters: p' = (n + 0.75)/(n + 3), d' = 0.75/(n + 3), whose score variance
    // p' + d' − (p' − d')² is 4.5/(n + 3) − 9/(n + 3)²: taken in that form it cancelled to
    // nothing (0, and an interval of width 0) from about 10^16 answers on.
    for n in [1e8, 1e12, 1e16, 1e17, 9e18] {
        let huge = counts(n as u64, 0, 0);
        let shifted = n + 3.0;
        let expected = 4.5 / shifted - 9.0 / (shifted * shifted);
        let variance = huge.variance(0.75);
        assert!(
            ((variance - expected) / expected).abs() < 1e-12,
            "{n}: {variance} against {expected}"
        );
        let mirrored = counts(0, 0, n as u64).variance(0.75);
        assert_eq!(mirrored, variance);
    }
    // Up to about 5e16 answers the width is more than a double's step near 100 points.
    let (low, high) = counts(10_000_000_000_000_000, 0, 0)
        .interval("t", 0.95)
        .unwrap()
        .unwrap();
    assert!(low < high && high <= 100.0, "{low} {high}");
    // The Wald margin of a sample of one category is 0 (no variance), as it was.
    let ones = counts(100_000_000_000_000_000, 0, 0);
    assert_eq!(ones.margin_of_error("t", 0.95).unwrap(), Some(0.0));
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
            MetricError::InvalidParameter("crm.csat: satisfied_from -3 is negative".to_string()),
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
        example.to_text().unwrap(),
        r#"{"promoters":250,"passives":675,"detractors":75}"#
    );
    assert_eq!(
        NpsCounts::from_text(&example.to_text().unwrap()).unwrap(),
        example
    );
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
        counts(250, 675, 75).encode().unwrap(),
        vec![1, 0xfa, 0x01, 0xa3, 0x05, 75]
    );
    assert_eq!(
        CsatCounts {
            satisfied: 3,
            responses: 4
        }
        .encode()
        .unwrap(),
        vec![1, 3, 4]
    );
}

#[test]
fn nps_state_counts_usable_rows() {
    let mut state = NpsState::default();
    assert!(!state.has_rows());
    state.add_summary(F, &NpsCounts::default()).unwrap();
    assert!(state.has_rows());
    let summary = counts(1, 2, 3);
    state.add_summary(F, &summary).unwrap();
    state.remove_summary("t", &summary).unwrap();
    state.remove_summary("t", &NpsCounts::default()).unwrap();
    assert_eq!(state, NpsState::default());
    assert!(state.remove_summary("t", &NpsCounts::default()).is_err());
    state.add_summary(F, &NpsCounts::default()).unwrap();
    let before = state;
    assert!(state.remove_summary("t", &summary).is_err());
    assert_eq!(state, before);
    let mut answers = NpsState::default();
    assert!(answers.counts.try_add(10));
    assert!(answers.has_rows());
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
        prop_assert_eq!(NpsCounts::decode(&a.encode().unwrap()).unwrap(), a);
        prop_assert_eq!(NpsCounts::from_text(&a.to_text().unwrap()).unwrap(), a);
        let csat = CsatCounts { satisfied, responses: satisfied + extra };
        prop_assert_eq!(CsatCounts::decode(&csat.encode().unwrap()).unwrap(), csat);
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

#[test]
fn merge_past_the_bigint_range_is_22003_and_text_is_an_object_only() {
    let half = 1u64 << 62;
    let mut a = counts(half, 0, 0);
    a.merge(F, &counts(half - 1, 0, 0)).unwrap();
    assert_eq!(a.responses(), i64::MAX as u64);
    let before = a;
    let error = a.merge(F, &counts(0, 0, 1)).unwrap_err();
    // No counts in the message: where a parallel plan's merges pass the range depends on
    // their order.
    assert_eq!(
        error,
        MetricError::OutOfRange("crm.rollup: counts exceed the bigint range".into())
    );
    assert_eq!(a, before);
    // Whatever merges accept, the binary form reads back.
    assert_eq!(NpsCounts::decode(&a.encode().unwrap()).unwrap(), a);
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
fn counts_never_wrap_or_saturate_past_the_bigint_range() {
    const F: &str = "crm.csat";
    let limit = i64::MAX as u64;
    // Text past the bigint range is malformed.
    for text in [
        r#"{"satisfied":0,"responses":9223372036854775808}"#,
        r#"{"satisfied":18446744073709551615,"responses":18446744073709551615}"#,
    ] {
        assert!(
            matches!(
                CsatCounts::from_text(text),
                Err(MetricError::InvalidText(_))
            ),
            "{text}"
        );
    }
    // At the limit: the next answer is refused with 22003, the counts unchanged.
    let full = CsatCounts::from_text(&format!(r#"{{"satisfied":1,"responses":{limit}}}"#)).unwrap();
    let mut state = full;
    assert!(!state.try_add(5));
    assert!(!state.try_add_with_threshold(5, 3));
    assert_eq!(state, full);
    assert_eq!(
        csat_answer_refused(F, 5, None),
        MetricError::OutOfRange("crm.csat: count overflows bigint".into())
    );
    assert!(matches!(
        csat_answer_refused(F, 6, None),
        MetricError::OutOfRange(m) if m.contains("outside 1..5")
    ));
    // Combine: 22003, not a saturated count.
    let one = CsatCounts::from_text(r#"{"satisfied":1,"responses":1}"#).unwrap();
    assert!(matches!(
        state.merge(F, &one),
        Err(MetricError::OutOfRange(_))
    ));
    assert_eq!(state, full);
    // NPS: the same for a total at the limit.
    let nps = NpsCounts::from_text(&format!(
        r#"{{"promoters":{},"passives":1,"detractors":0}}"#,
        limit - 1
    ))
    .unwrap();
    let mut counts = nps;
    assert!(!counts.try_add(10));
    assert_eq!(counts, nps);
    assert_eq!(
        NpsCounts::refusal("crm.nps", 10),
        MetricError::OutOfRange("crm.nps: count overflows bigint".into())
    );
    assert!(
        matches!(NpsCounts::refusal("crm.nps", 11), MetricError::OutOfRange(m) if m.contains("outside 0..10"))
    );
}

proptest! {
    /// Every ordinary sample's score variance has the bits of p + d − (p − d)², as every
    /// release computed it (stored dashboards and materialized views keep their answers); only
    /// a variance cancelled below the floor is recomputed, close to it.
    #[test]
    fn ordinary_samples_keep_their_variance_bits(
        promoters in 0u64..100_000,
        passives in 0u64..100_000,
        detractors in 0u64..100_000,
    ) {
        prop_assume!(promoters + passives + detractors > 0);
        let sample = counts(promoters, passives, detractors);
        for added in [0.0, 0.75] {
            let n = (promoters + passives + detractors) as f64 + 4.0 * added;
            let (p, d) = ((promoters as f64 + added) / n, (detractors as f64 + added) / n);
            let direct = (p + d - (p - d) * (p - d)).max(0.0);
            let variance = sample.variance(added);
            if direct >= 1e-6 {
                prop_assert_eq!(variance.to_bits(), direct.to_bits());
            } else {
                prop_assert!(variance >= 0.0 && (variance - direct).abs() < 1e-12);
            }
        }
    }
}

#[test]
fn differences_of_huge_samples_keep_their_digits() {
    // 10^18 promoters on each side and one passive more after: exactly −1e-16 points, where the
    // two NPS as doubles are both 100 − 1e-16 rounded to the same double.
    let side = |passives| NpsCounts {
        promoters: 1_000_000_000_000_000_000,
        passives,
        detractors: 0,
    };
    let found = side(1)
        .difference("crm.test", &side(2), 0.95)
        .unwrap()
        .unwrap();
    let exact = -100.0 / ((1e18 + 1.0) * (1e18 + 2.0)) * 1e18;
    assert!(
        (found.difference - exact).abs() <= 1e-12 * exact.abs(),
        "{}",
        found.difference
    );
    assert!(found.z.unwrap() < -0.5 && found.p_value.unwrap() < 0.6);
}
