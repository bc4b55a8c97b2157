//! Unit and property tests of survival summaries.
use super::*;
use proptest::prelude::*;

const F: &str = "crm.survival_agg";
const DAY: i64 = 86_400_000_000;

/// Freireich's leukemia remission data (Kleinbaum & Klein, Survival Analysis, table 1.1): the
/// 6-MP group, in weeks, `(weeks, relapsed)`.
const TREATED: [(i64, bool); 21] = [
    (6, true),
    (6, true),
    (6, true),
    (6, false),
    (7, true),
    (9, false),
    (10, true),
    (10, false),
    (11, false),
    (13, true),
    (16, true),
    (17, false),
    (19, false),
    (20, false),
    (22, true),
    (23, true),
    (25, false),
    (32, false),
    (32, false),
    (34, false),
    (35, false),
];
/// The placebo group: every one relapsed.
const PLACEBO: [i64; 21] = [
    1, 1, 2, 2, 3, 4, 4, 5, 5, 8, 8, 8, 8, 11, 11, 12, 12, 15, 17, 22, 23,
];

fn summary_of(rows: &[(i64, bool)]) -> SurvivalSummary {
    let mut summary = SurvivalSummary::new();
    for &(days, event) in rows {
        summary.add(F, days * DAY, event).unwrap();
    }
    summary
}

fn treated() -> SurvivalSummary {
    summary_of(&TREATED)
}

fn placebo() -> SurvivalSummary {
    summary_of(&PLACEBO.map(|t| (t, true)))
}

fn close(actual: f64, expected: f64, tolerance: f64) {
    assert!(
        (actual - expected).abs() <= tolerance * expected.abs().max(1.0),
        "{actual} != {expected}"
    );
}

/// lifelines 0.27.8: `KaplanMeierFitter().fit(T, E)`, its `survival_function_` and
/// `confidence_interval_` at each distinct time.
#[test]
fn curve_matches_lifelines_on_the_textbook_table() {
    let expected = [
        (
            6,
            21,
            3,
            1,
            0.857142857142857,
            0.6197179552659838,
            0.9515517476469969,
        ),
        (
            7,
            17,
            1,
            0,
            0.8067226890756299,
            0.5631465646222333,
            0.9228090192028802,
        ),
        (
            9,
            16,
            0,
            1,
            0.8067226890756299,
            0.5631465646222333,
            0.9228090192028802,
        ),
        (
            10,
            15,
            1,
            1,
            0.7529411764705878,
            0.5031995107999564,
            0.8893618351692651,
        ),
        (
            11,
            13,
            0,
            1,
            0.7529411764705878,
            0.5031995107999564,
            0.8893618351692651,
        ),
        (
            13,
            12,
            1,
            0,
            0.6901960784313722,
            0.43161022248618386,
            0.8490659633494504,
        ),
        (
            16,
            11,
            1,
            0,
            0.6274509803921563,
            0.36751085598750194,
            0.8049121894718406,
        ),
        (
            17,
            10,
            0,
            1,
            0.6274509803921563,
            0.36751085598750194,
            0.8049121894718406,
        ),
        (
            19,
            9,
            0,
            1,
            0.6274509803921563,
            0.36751085598750194,
            0.8049121894718406,
        ),
        (
            20,
            8,
            0,
            1,
            0.6274509803921563,
            0.36751085598750194,
            0.8049121894718406,
        ),
        (
            22,
            7,
            1,
            0,
            0.5378151260504197,
            0.2677789367671349,
            0.7467907176353941,
        ),
        (
            23,
            6,
            1,
            0,
            0.4481792717086831,
            0.1880520059592323,
            0.680142628495241,
        ),
        (
            25,
            5,
            0,
            1,
            0.4481792717086831,
            0.1880520059592323,
            0.680142628495241,
        ),
        (
            32,
            4,
            0,
            2,
            0.4481792717086831,
            0.1880520059592323,
            0.680142628495241,
        ),
        (
            34,
            2,
            0,
            1,
            0.4481792717086831,
            0.1880520059592323,
            0.680142628495241,
        ),
        (
            35,
            1,
            0,
            1,
            0.4481792717086831,
            0.1880520059592323,
            0.680142628495241,
        ),
    ];
    let curve = treated().curve(F, 0.95).unwrap();
    assert_eq!(curve.len(), expected.len());
    for (point, &(days, at_risk, events, censored, survival, low, high)) in
        curve.iter().zip(&expected)
    {
        assert_eq!(
            (point.duration, point.at_risk, point.events, point.censored),
            (days * DAY, at_risk, events, censored)
        );
        close(point.survival, survival, 1e-12);
        close(point.low, low, 1e-9);
        close(point.high, high, 1e-9);
    }
}

#[test]
fn curve_points_visits_the_curve_in_order() {
    let mut visited = Vec::new();
    placebo()
        .curve_points(F, 0.9, |point| visited.push(*point))
        .unwrap();
    assert_eq!(visited, placebo().curve(F, 0.9).unwrap());
    assert!(visited.len() > 1);
    assert!(matches!(
        treated().curve_points(F, 1.0, |_| panic!("no point for a bad confidence")),
        Err(MetricError::OutOfRange(_))
    ));
}

#[test]
fn a_curve_that_reaches_zero_has_the_interval_lifelines_reports() {
    let curve = placebo().curve(F, 0.95).unwrap();
    let last = curve.last().unwrap();
    assert_eq!((last.survival, last.low, last.high), (0.0, 0.0, 0.0));
    let before = curve[curve.len() - 2];
    close(before.low, 0.003324463042531175, 1e-9);
    close(before.high, 0.19704490569894606, 1e-9);
    // No event yet: survival 1 and the interval [1, 1].
    let censored_first = summary_of(&[(1, false), (2, true), (3, true)])
        .curve(F, 0.9)
        .unwrap();
    assert_eq!(
        (
            censored_first[0].survival,
            censored_first[0].low,
            censored_first[0].high
        ),
        (1.0, 1.0, 1.0)
    );
}

#[test]
fn median_and_its_interval_match_lifelines() {
    assert_eq!(treated().median("crm.f").unwrap(), Some(23 * DAY));
    assert_eq!(
        treated().median_interval(F, 0.95).unwrap(),
        Some(MedianInterval {
            low: Some(13 * DAY),
            high: None
        })
    );
    assert_eq!(placebo().median("crm.f").unwrap(), Some(8 * DAY));
    assert_eq!(
        placebo().median_interval(F, 0.95).unwrap(),
        Some(MedianInterval {
            low: Some(4 * DAY),
            high: Some(11 * DAY)
        })
    );
    assert_eq!(summary_of(&[(3, false)]).median("crm.f").unwrap(), None);
    assert_eq!(SurvivalSummary::new().median("crm.f").unwrap(), None);
    assert_eq!(
        SurvivalSummary::new().median_interval(F, 0.95).unwrap(),
        None
    );
}

#[test]
fn an_exact_half_is_the_median_despite_rounding() {
    // One row leaving a day: on day n/2 half are left, though the product of the step factors
    // reads 0.5000000000000001 for 24 rows (lifelines, which compares the doubles, says 12 or
    // 13 depending on how its floating-point code rounds).
    for (rows, median) in [(24, 12), (38, 19)] {
        let rows: Vec<_> = (1..=rows).map(|day| (day, true)).collect();
        assert_eq!(
            summary_of(&rows).median("crm.f").unwrap(),
            Some(median * DAY)
        );
    }
    // 9/10 · 7/9 · 5/7 = 1/2 at day 3 with censorings between.
    let censored = [
        (1, true),
        (2, true),
        (2, true),
        (3, true),
        (3, true),
        (5, false),
        (23, true),
        (80, true),
        (291, false),
        (970, true),
    ];
    assert_eq!(
        summary_of(&censored).median("crm.f").unwrap(),
        Some(3 * DAY)
    );
    // A survival just above one half is not a half: 1001/2001 left after day 1.
    let above: Vec<_> = (0..2001)
        .map(|row| (1 + i64::from(row >= 1000), true))
        .collect();
    assert_eq!(summary_of(&above).median("crm.f").unwrap(), Some(2 * DAY));
}

#[test]
fn a_survival_measurably_above_a_half_after_many_steps_is_not_the_median() {
    // 99,997 rows leaving one every 2 s, 33,333 censored at 199,995 s, one leaving at
    // 199,996 s and 66,666 at 199,998 s: S(199,996 s) = 100000/199997 · 66666/66667, a half
    // plus 3.75e-11, which is within 99,998 steps' rounding allowance of a half but not a half
    // (lifelines: 199,998 s).
    let mut rows: Vec<_> = (1..=99_997).map(|g| (2 * g, true)).collect();
    rows.extend(std::iter::repeat_n((199_995, false), 33_333));
    rows.push((199_996, true));
    rows.extend(std::iter::repeat_n((199_998, true), 66_666));
    let rows: Vec<_> = rows
        .into_iter()
        .map(|(seconds, event)| (seconds * 1_000_000, event))
        .collect();
    assert_eq!(
        summary_of_raw(&rows).median("crm.f").unwrap(),
        Some(199_998 * 1_000_000)
    );
    // One row leaving a second, a million of them: exactly half are left after 500,000 s.
    let million: Vec<_> = (1..=1_000_000).map(|s| (s * 1_000_000, true)).collect();
    assert_eq!(
        summary_of_raw(&million).median("crm.f").unwrap(),
        Some(500_000 * 1_000_000)
    );
}

/// A summary of `[duration µs, events, censored]` entries, through the text form.
fn summary_of_entries(entries: &[(i64, u64, u64)]) -> SurvivalSummary {
    let entries: Vec<String> = entries
        .iter()
        .map(|(duration, events, censored)| format!("[{duration},{events},{censored}]"))
        .collect();
    SurvivalSummary::from_text(&format!(
        r#"{{"version":1,"durations":[{}]}}"#,
        entries.join(",")
    ))
    .unwrap()
}

#[test]
fn survivals_within_rounding_of_a_half_are_searched_exactly() {
    // 2·10^16 rows; 10^16 - 500 leave at 1 µs, then one at each µs from 2 to `ones`: after
    // the j-th duration 10^16 + 501 - j are left, exactly half at j = 501. From about j = 51 on
    // the double product is within rounding of a half, so the counts decide. At `ones` + 1 µs
    // `last` more leave and the rest are censored.
    const HALF: u64 = 10_000_000_000_000_000;
    let curve = |ones: i64, last: u64| {
        let mut entries = vec![(1, HALF - 500, 0)];
        entries.extend((2..=ones).map(|duration| (duration, 1, 0)));
        let left = HALF + 500 - (ones as u64 - 1);
        entries.push((ones + 1, last, left - last));
        summary_of_entries(&entries)
    };
    assert_eq!(curve(1000, 1).median("crm.f").unwrap(), Some(501));
    assert_eq!(curve(501, 0).median("crm.f").unwrap(), Some(501));
    // The run ends above a half at 500 µs; the next duration takes half the rows: the median.
    assert_eq!(curve(500, HALF).median("crm.f").unwrap(), Some(501));
    assert_eq!(curve(400, HALF).median("crm.f").unwrap(), Some(401));
    // The run ends above a half with the curve: no median.
    assert_eq!(curve(500, 0).median("crm.f").unwrap(), None);
    assert_eq!(curve(400, 0).median("crm.f").unwrap(), None);
}

#[test]
fn restricted_mean_matches_lifelines() {
    for (weeks, expected) in [
        (10, 9.277310924369745),
        (20, 16.11652661064425),
        (35, 23.28739495798318),
        (50, 30.010084033613428),
    ] {
        let area = treated().restricted_mean(F, weeks * DAY).unwrap().unwrap();
        close(area / DAY as f64, expected, 1e-12);
    }
    assert_eq!(treated().restricted_mean(F, 0).unwrap(), Some(0.0));
    assert_eq!(
        SurvivalSummary::new().restricted_mean(F, DAY).unwrap(),
        None
    );
    assert!(matches!(
        treated().restricted_mean(F, -1),
        Err(MetricError::InvalidParameter(m)) if m.starts_with(F)
    ));
}

#[test]
fn log_rank_matches_lifelines() {
    let result = treated().log_rank(&mut placebo()).unwrap();
    close(result.chi_square, 16.792940989216536, 1e-12);
    close(result.p_value, 4.1688091093345355e-05, 1e-9);
    let swapped = placebo().log_rank(&mut treated()).unwrap();
    close(swapped.chi_square, result.chi_square, 1e-12);
    assert_eq!(treated().log_rank(&mut SurvivalSummary::new()), None);
    // No event anywhere: no variance.
    let censored = summary_of(&[(1, false), (2, false)]);
    assert_eq!(censored.clone().log_rank(&mut censored.clone()), None);
}

#[test]
fn log_rank_keeps_its_digits_with_huge_counts() {
    // 10^16 events at duration 5 in each group, of 10^16 + 4 and 10^16 + 2 at risk: their
    // O − E is about −1, the difference of two products near 2·10^32. Then one event at 6 in
    // the second group and one at 7 in the first. χ² in exact fractions, rounded to a double:
    // 1.6129032258064513 (about 50/31); doubles alone gave 0.
    let entry = |duration, events, censored| Entry {
        duration,
        events,
        censored,
    };
    let huge = 10_000_000_000_000_000;
    let mut a = SurvivalSummary::from_settled(vec![entry(5, huge, 0), entry(7, 1, 3)], huge + 4);
    let mut b = SurvivalSummary::from_settled(vec![entry(5, huge, 0), entry(6, 1, 1)], huge + 2);
    let result = a.log_rank(&mut b).unwrap();
    close(result.chi_square, 1.6129032258064513, 1e-12);
    close(result.p_value, 0.20412, 1e-4);
}

#[test]
fn survival_at_is_the_step_function() {
    let mut summary = treated();
    assert_eq!(summary.survival_at(F, 0).unwrap(), Some(1.0));
    assert_eq!(summary.survival_at(F, 6 * DAY - 1).unwrap(), Some(1.0));
    close(
        summary.survival_at(F, 6 * DAY).unwrap().unwrap(),
        0.857142857142857,
        1e-12,
    );
    close(
        summary.survival_at(F, 100 * DAY).unwrap().unwrap(),
        0.4481792717086831,
        1e-12,
    );
    assert!(summary.survival_at(F, -1).is_err());
    assert_eq!(SurvivalSummary::new().survival_at(F, 1).unwrap(), None);
}

/// The rows of `summary`'s life table, collected.
fn life_table(
    summary: &mut SurvivalSummary,
    step: i64,
    periods: i64,
) -> MetricResult<Vec<LifeTableRow>> {
    let mut rows = Vec::new();
    summary.life_table(F, step, periods, |row| rows.push(*row))?;
    Ok(rows)
}

#[test]
fn life_table_counts_each_period() {
    let rows = life_table(&mut treated(), 10 * DAY, 5).unwrap();
    let got: Vec<_> = rows
        .iter()
        .map(|r| (r.period, r.start, r.at_risk, r.events, r.censored))
        .collect();
    assert_eq!(
        got,
        vec![
            (0, 0, 21, 4, 2),
            (1, 10 * DAY, 15, 3, 4),
            (2, 20 * DAY, 8, 2, 2),
            (3, 30 * DAY, 4, 0, 4),
            (4, 40 * DAY, 0, 0, 0),
        ]
    );
    close(rows[0].hazard.unwrap(), 4.0 / 21.0, 1e-15);
    assert_eq!(rows[4].hazard, None);
    close(rows[0].survival, 0.8067226890756299, 1e-12);
    close(rows[1].survival, 0.6274509803921563, 1e-12);
    close(rows[4].survival, 0.4481792717086831, 1e-12);
    assert!(life_table(&mut treated(), 0, 3).is_err());
    assert!(life_table(&mut treated(), DAY, -1).is_err());
    assert!(life_table(&mut treated(), DAY, estimates::MAX_PERIODS + 1).is_err());
    assert!(matches!(
        life_table(&mut treated(), i64::MAX / 2, 5),
        Err(MetricError::OutOfRange(_))
    ));
    assert_eq!(life_table(&mut treated(), DAY, 0).unwrap(), vec![]);
}

#[test]
fn the_last_period_holds_the_largest_duration() {
    // The second period's end is past i64::MAX: the event at i64::MAX µs is in it.
    let mut summary = summary_of_raw(&[(DAY, false), (i64::MAX, true)]);
    let rows = life_table(&mut summary, i64::MAX / 2 + 1, 2).unwrap();
    let got: Vec<_> = rows
        .iter()
        .map(|r| (r.at_risk, r.events, r.censored, r.survival))
        .collect();
    assert_eq!(got, vec![(2, 0, 1, 1.0), (1, 1, 0, 0.0)]);
}

#[test]
fn rejects_bad_durations_and_confidences() {
    let mut summary = SurvivalSummary::new();
    assert!(
        matches!(summary.add(F, 0, true), Err(MetricError::InvalidParameter(m)) if m.starts_with(F))
    );
    assert!(summary.add(F, -5, false).is_err());
    for confidence in [0.0, 1.0, f64::NAN, -1.0] {
        assert!(treated().curve(F, confidence).is_err());
    }
}

/// The binary form: version, entry count, then (duration step, events, censored) varints.
#[test]
fn golden_forms() {
    let mut summary = summary_of(&[(2, true), (1, false), (2, true)]);
    assert_eq!(
        summary.to_text().unwrap(),
        r#"{"version":1,"durations":[[86400000000,0,1],[172800000000,2,0]]}"#
    );
    let bytes = summary.encode().unwrap();
    assert_eq!(
        bytes,
        vec![
            1, 2, 0x80, 0xc0, 0xdd, 0xee, 0xc1, 0x02, 0, 1, 0x80, 0xc0, 0xdd, 0xee, 0xc1, 0x02, 2,
            0
        ]
    );
    assert_eq!(SurvivalSummary::decode(&bytes).unwrap(), summary);
    let empty = SurvivalSummary::new().to_text().unwrap();
    assert_eq!(empty, r#"{"version":1,"durations":[]}"#);
    assert!(SurvivalSummary::from_text(&empty).unwrap().is_empty());
}

#[test]
fn malformed_forms_are_errors() {
    for text in [
        "",
        "{",
        "[1,[]]",
        r#"{"version":2,"durations":[]}"#,
        r#"{"version":1,"durations":[[0,1,0]]}"#,
        r#"{"version":1,"durations":[[-5,1,0]]}"#,
        r#"{"version":1,"durations":[[5,0,0]]}"#,
        r#"{"version":1,"durations":[[5,1.5,0]]}"#,
        r#"{"version":1,"durations":[[5,9223372036854775807,1]]}"#,
        r#"{"version":1,"durations":[[5,1,0]],"x":1}"#,
    ] {
        assert!(
            matches!(SurvivalSummary::from_text(text), Err(MetricError::InvalidText(m)) if m.starts_with(TYPE_NAME)),
            "{text}"
        );
    }
    for bytes in [
        vec![],
        vec![2, 0],
        vec![1, 1, 0, 1, 0],
        vec![1, 2, 5, 1, 0, 0, 1, 0],
        vec![1, 1, 5, 0, 0],
        vec![1, 0, 0],
        vec![1, 9],
    ] {
        assert!(
            matches!(
                SurvivalSummary::decode(&bytes),
                Err(MetricError::InvalidBinary(_))
            ),
            "{bytes:?}"
        );
    }
}

#[test]
fn merged_counts_are_bounded() {
    let text = format!(r#"{{"version":1,"durations":[[5,{},0]]}}"#, i64::MAX);
    let mut full = SurvivalSummary::from_text(&text).unwrap();
    let one = summary_of(&[(1, true)]);
    assert!(
        matches!(full.merge("crm.rollup", &one), Err(MetricError::OutOfRange(m)) if m.starts_with("crm.rollup"))
    );
    assert_eq!(full.rows(), i64::MAX as u64);
}

fn rows_strategy() -> impl Strategy<Value = Vec<(i64, bool)>> {
    prop::collection::vec(
        (prop_oneof![1i64..20, 1i64..i64::MAX], any::<bool>()),
        0..300,
    )
}

/// lifelines' product-limit estimator written the slow way: every row against every time.
fn reference_survival(rows: &[(i64, bool)], at: i64) -> f64 {
    let mut times: Vec<i64> = rows
        .iter()
        .filter(|r| r.1 && r.0 <= at)
        .map(|r| r.0)
        .collect();
    times.sort_unstable();
    times.dedup();
    times
        .iter()
        .map(|&t| {
            let at_risk = rows.iter().filter(|r| r.0 >= t).count() as f64;
            let events = rows.iter().filter(|r| r.0 == t && r.1).count() as f64;
            1.0 - events / at_risk
        })
        .product()
}

proptest! {
    #[test]
    fn any_split_merged_equals_one_pass(rows in rows_strategy(), cuts in (0usize..300, 0usize..300)) {
        let (a, b) = (cuts.0.min(rows.len()), cuts.1.min(rows.len()));
        let (a, b) = (a.min(b), a.max(b));
        let mut whole = summary_of_raw(&rows);
        let mut first = summary_of_raw(&rows[..a]);
        let second = summary_of_raw(&rows[a..b]);
        let third = summary_of_raw(&rows[b..]);
        // (first + second) + third and first + (third + second).
        let mut left = first.clone();
        left.merge(F, &second).unwrap();
        left.merge(F, &third).unwrap();
        let mut right = third.clone();
        right.merge(F, &second).unwrap();
        first.merge(F, &right).unwrap();
        prop_assert_eq!(left.to_text().unwrap(), whole.to_text().unwrap());
        prop_assert_eq!(first.encode().unwrap(), whole.encode().unwrap());
        prop_assert_eq!(whole.rows(), rows.len() as u64);
    }

    #[test]
    fn settled_entries_add_up_every_duration(rows in prop::collection::vec((1i64..400, any::<bool>()), 0..1500)) {
        // 1500 rows compact several times: newer entries sorted apart and merged each time.
        let mut expected = std::collections::BTreeMap::<i64, (u64, u64)>::new();
        for &(duration, event) in &rows {
            let counts = expected.entry(duration).or_default();
            if event { counts.0 += 1 } else { counts.1 += 1 }
        }
        let expected: Vec<_> = expected
            .into_iter()
            .map(|(duration, (events, censored))| Entry { duration, events, censored })
            .collect();
        let mut summary = summary_of_raw(&rows);
        prop_assert_eq!(summary.settled_entries(), &expected[..]);
    }

    #[test]
    fn forms_round_trip(rows in rows_strategy()) {
        let mut summary = summary_of_raw(&rows);
        let bytes = summary.encode().unwrap();
        let mut decoded = SurvivalSummary::decode(&bytes).unwrap();
        prop_assert_eq!(decoded.encode().unwrap(), bytes.clone());
        let mut read = SurvivalSummary::from_text(&summary.to_text().unwrap()).unwrap();
        prop_assert_eq!(read.encode().unwrap(), bytes);
    }

    #[test]
    fn curve_equals_the_slow_estimator(rows in prop::collection::vec((1i64..30, any::<bool>()), 1..120)) {
        let mut summary = summary_of_raw(&rows);
        for point in summary.curve(F, 0.95).unwrap() {
            let expected = reference_survival(&rows, point.duration);
            prop_assert!((point.survival - expected).abs() < 1e-12);
            prop_assert!(point.low <= point.survival + 1e-15 && point.survival <= point.high + 1e-15);
            prop_assert!(point.low.is_finite() && point.high.is_finite());
            let at_risk = rows.iter().filter(|r| r.0 >= point.duration).count() as u64;
            prop_assert_eq!(point.at_risk, at_risk);
        }
        let horizon = 31;
        let area = summary.restricted_mean(F, horizon).unwrap().unwrap();
        let slow: f64 = (0..horizon).map(|t| reference_survival(&rows, t)).sum();
        prop_assert!((area - slow).abs() < 1e-9);
    }

    #[test]
    fn garbage_never_panics(text in ".{0,200}", bytes in prop::collection::vec(any::<u8>(), 0..64)) {
        let _ = SurvivalSummary::from_text(&text);
        let _ = SurvivalSummary::decode(&bytes);
    }
}

fn summary_of_raw(rows: &[(i64, bool)]) -> SurvivalSummary {
    let mut summary = SurvivalSummary::new();
    for &(duration, event) in rows {
        summary.add(F, duration, event).unwrap();
    }
    summary
}
