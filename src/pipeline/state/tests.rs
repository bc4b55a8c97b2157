//! Unit and property tests of pipeline summaries, their window state and working form.
use super::*;
use crate::common::civil::{END_TIMESTAMP, MIN_TIMESTAMP};
use crate::common::exact::Significant;
use proptest::prelude::*;
use std::str::FromStr;

const F: &str = "crm.pipeline_agg";
const DAY: i64 = USECS_PER_DAY;

fn d(text: &str) -> Decimal {
    Decimal::from_str(text).unwrap()
}

/// A `per` of `micros` microseconds (positive).
fn per(micros: i128) -> Per {
    Per::new(F, micros, || micros.to_string()).unwrap()
}

/// The worked example: 20 opportunities, 7 won at $10,000 (35 %), 13 lost, every won deal
/// closing in 90 days (3 months of 30 days).
fn worked_example() -> PipelineSummary {
    let mut summary = PipelineSummary::default();
    for i in 0..20 {
        let won = i < 7;
        let amount = if won { d("10000") } else { d("2500") };
        summary
            .add(F, amount, 0, Some(90 * DAY), Some(won))
            .unwrap();
    }
    summary
}

#[test]
fn worked_example_is_23333_33_per_month() {
    let summary = worked_example();
    assert_eq!(summary.opportunities(), 20);
    assert_eq!(summary.win_rate(), Some(0.35));
    assert_eq!(
        summary.average_deal_size().map(|size| size.to_string()),
        Some("10000".to_string())
    );
    let month = interval_microseconds(1, 0, 0);
    let velocity = summary.pipeline_velocity(F, per(month)).unwrap().unwrap();
    assert_eq!(velocity.to_string(), "23333.33333333333333333333333");
    let per_day = summary
        .pipeline_velocity(F, per(DAY.into()))
        .unwrap()
        .unwrap();
    assert_eq!(per_day.to_string(), "777.7777777777777777777777778");
    let closed = summary
        .closed_value_velocity(F, per(month))
        .unwrap()
        .unwrap();
    assert_eq!(closed.to_string(), "23333.33333333333333333333333");
}

#[test]
fn velocities_keep_28_significant_digits() {
    // One deal of value 1 won after one second: 86,400 a day and 31,557,600 a year, exactly;
    // won after one day: 65,014,500,000 per 178 million years.
    let mut second = PipelineSummary::default();
    second
        .add(F, d("1"), 0, Some(1_000_000), Some(true))
        .unwrap();
    assert_eq!(
        second
            .pipeline_velocity(F, per(DAY.into()))
            .unwrap()
            .map(text),
        Some("86400".into())
    );
    let year = interval_microseconds(12, 0, 0);
    assert_eq!(
        second
            .closed_value_velocity(F, per(year))
            .unwrap()
            .map(text),
        Some("31557600".into())
    );
    let mut day = PipelineSummary::default();
    day.add(F, d("1"), 0, Some(DAY), Some(true)).unwrap();
    let eons = interval_microseconds(178_000_000 * 12, 0, 0);
    assert_eq!(
        day.pipeline_velocity(F, per(eons)).unwrap().map(text),
        Some("65014500000".into())
    );
    // A slow cycle against a short per: 1/3 of a unit per second for a cycle of 3 s, to the
    // last of 28 digits.
    let mut slow = PipelineSummary::default();
    slow.add(F, d("1"), 0, Some(3_000_000), Some(true)).unwrap();
    assert_eq!(
        slow.closed_value_velocity(F, per(1_000_000))
            .unwrap()
            .map(text),
        Some("0.3333333333333333333333333333".into())
    );
    // Rounded once, at the 28th digit: 250.5 won after 85 days 7 hours is
    // 2.93698094772838299951148021494… a day.
    let mut odd = PipelineSummary::default();
    odd.add(
        F,
        d("250.5"),
        0,
        Some(85 * DAY + 7 * 3_600_000_000),
        Some(true),
    )
    .unwrap();
    assert_eq!(
        odd.closed_value_velocity(F, per(DAY.into()))
            .unwrap()
            .map(text),
        Some("2.936980947728382999511480215".into())
    );
    // One deal of 1e25 won among 10,000 after a day: opportunities × won value passes 28
    // digits, the velocity does not.
    let mut many = PipelineSummary::default();
    many.add(F, d("10000000000000000000000000"), 0, Some(DAY), Some(true))
        .unwrap();
    for _ in 1..10_000 {
        many.add(F, d("0"), 0, Some(DAY), Some(false)).unwrap();
    }
    assert_eq!(
        many.pipeline_velocity(F, per(DAY.into()))
            .unwrap()
            .map(text),
        Some("10000000000000000000000000".into())
    );
    // A tiny value over the whole timestamp range, per microsecond: 28 significant digits
    // far below a `Decimal`'s 28 decimal places.
    let mut tiny = PipelineSummary::default();
    tiny.add(
        F,
        d("0.0000000001"),
        MIN_TIMESTAMP,
        Some(END_TIMESTAMP - 1),
        Some(true),
    )
    .unwrap();
    assert_eq!(
        tiny.closed_value_velocity(F, per(1)).unwrap().map(text),
        Some("0.00000000000000000000000000001059862651513793041127825738".into())
    );
}

fn text(value: Significant) -> String {
    value.to_string()
}

#[test]
fn open_pipeline_velocity_counts_the_open_deals() {
    // The worked example's 7 won and 13 lost deals, plus 8 deals still open.
    let mut summary = worked_example();
    for _ in 0..8 {
        summary.add(F, d("4000"), 0, None, None).unwrap();
    }
    let month = interval_microseconds(1, 0, 0);
    // 8 open × 0.35 × 10000 ÷ (90 days / 30 days) = 9333.33 a month; all 28 opportunities
    // give 28 × 0.35 × 10000 ÷ 3 = 32666.67.
    let open = summary
        .open_pipeline_velocity(F, per(month))
        .unwrap()
        .unwrap();
    assert_eq!(open.to_string(), "9333.333333333333333333333333");
    let all = summary.pipeline_velocity(F, per(month)).unwrap().unwrap();
    assert_eq!(all.to_string(), "32666.66666666666666666666667");
    let closed_only = worked_example();
    assert_eq!(
        closed_only
            .open_pipeline_velocity(F, per(month))
            .unwrap()
            .map(text),
        Some("0".into())
    );
    assert_eq!(
        PipelineSummary::default()
            .open_pipeline_velocity(F, per(month))
            .unwrap(),
        None
    );
    // A `per` of zero or less is refused where it is read, before any summary is looked at.
    for micros in [0, -month] {
        assert_eq!(
            Per::new(F, micros, || "shown".into()),
            Err(MetricError::InvalidParameter(
                "crm.pipeline_agg: per 'shown' must be a positive interval".into()
            ))
        );
    }
}

#[test]
fn outcomes_and_edge_rows() {
    let mut summary = PipelineSummary::default();
    // open deal with won = false (as many CRMs store it), counted as open
    summary.add(F, d("5"), 0, None, Some(false)).unwrap();
    // closed the instant it was created
    summary.add(F, d("7"), DAY, Some(DAY), Some(true)).unwrap();
    assert_eq!((summary.open, summary.won, summary.lost), (1, 1, 0));
    assert_eq!(summary.open_value, d("5"));
    assert_eq!(summary.sales_cycle_microseconds(), Some(0));
    assert_eq!(summary.pipeline_velocity(F, per(DAY.into())).unwrap(), None);
    assert!(matches!(
        summary.add(F, d("-1"), 0, None, None),
        Err(MetricError::OutOfRange(_))
    ));
    assert!(matches!(
        summary.add(F, d("1"), DAY, Some(0), Some(true)),
        Err(MetricError::InvalidParameter(_))
    ));
    assert!(matches!(
        summary.add(F, d("1"), 0, Some(DAY), None),
        Err(MetricError::InvalidParameter(_))
    ));
    assert!(matches!(
        summary.add(F, d("1"), i64::MAX, None, None),
        Err(MetricError::DatetimeOverflow(_))
    ));
    let mut big = PipelineSummary::default();
    big.add(F, Decimal::MAX, 0, None, None).unwrap();
    assert!(big.add(F, d("1"), 0, None, None).is_err());
    // a deal spanning the whole timestamp range
    let mut long = PipelineSummary::default();
    long.add(
        F,
        d("1"),
        -211_813_488_000_000_000,
        Some(9_223_371_331_200_000_000),
        Some(true),
    )
    .unwrap();
    assert!(long.sales_cycle_microseconds().unwrap() > i64::MAX as u128);
    assert!(long
        .pipeline_velocity(F, per(DAY.into()))
        .unwrap()
        .is_some());
}

#[test]
fn interval_seconds_follow_extract_epoch() {
    assert_eq!(interval_microseconds(1, 0, 0), 30 * i128::from(DAY));
    assert_eq!(
        interval_microseconds(12, 0, 0),
        36525 * i128::from(DAY) / 100
    );
    assert_eq!(
        interval_microseconds(13, 1, 1),
        36525 * i128::from(DAY) / 100 + 31 * i128::from(DAY) + 1
    );
    assert_eq!(interval_microseconds(-1, 0, 0), -30 * i128::from(DAY));
}

#[test]
fn text_and_binary_forms_round_trip() {
    let summary = worked_example();
    let text = summary.to_text().unwrap();
    assert_eq!(
        text,
        r#"{"won":7,"lost":13,"open":0,"won_value":"70000","open_value":"0","won_cycle_microseconds":54432000000000}"#
    );
    assert_eq!(PipelineSummary::from_text(&text).unwrap(), summary);
    assert_eq!(
        PipelineSummary::decode(&summary.encode().unwrap()).unwrap(),
        summary
    );
    for bad in [
        "",
        "{}",
        r#"{"won":1,"lost":0,"open":0,"won_value":"-1","open_value":"0","won_cycle_microseconds":0}"#,
        r#"{"won":0,"lost":0,"open":0,"won_value":"1","open_value":"0","won_cycle_microseconds":0}"#,
        r#"{"won":9223372036854775807,"lost":1,"open":0,"won_value":"1","open_value":"0","won_cycle_microseconds":0}"#,
    ] {
        assert!(
            matches!(
                PipelineSummary::from_text(bad),
                Err(MetricError::InvalidText(_))
            ),
            "{bad}"
        );
    }
    let mut bytes = summary.encode().unwrap();
    bytes.push(0);
    assert!(PipelineSummary::decode(&bytes).is_err());
}

#[test]
fn golden_binary_form() {
    // Pinned so that a change of the stored form is never silent.
    let hex: String = worked_example()
        .encode()
        .unwrap()
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect();
    assert_eq!(hex, "01070d00e0c50800000000008080998097b00c");
}

/// The payload of the working form of `state` (as `crm.pipeline_summary` holds it while an
/// aggregate runs): the tag, three padding bytes, the struct.
fn working_payload(state: &PipelineFlat) -> Vec<u8> {
    let mut payload = vec![flat_state::WORKING_TAG, 0, 0, 0];
    payload.extend_from_slice(&state.won.to_ne_bytes());
    payload.extend_from_slice(&state.lost.to_ne_bytes());
    payload.extend_from_slice(&state.open.to_ne_bytes());
    payload.extend_from_slice(&state.won_value);
    payload.extend_from_slice(&state.open_value);
    payload.extend_from_slice(&state.won_cycle_low.to_ne_bytes());
    payload.extend_from_slice(&state.won_cycle_high.to_ne_bytes());
    payload
}

#[test]
fn working_form_holds_the_summary_and_is_validated() {
    let mut summary = worked_example();
    summary.add(F, d("12.50"), 0, None, None).unwrap();
    // A sales cycle sum above 2^64 microseconds uses the high half.
    summary.won_cycle_microseconds += u128::from(u64::MAX);
    let flat = PipelineFlat::of(&summary);
    assert_eq!(flat.summary(), summary);
    assert_eq!(std::mem::size_of::<PipelineFlat>(), 72);
    assert_eq!(
        PipelineSummary::decode(&working_payload(&flat)),
        Ok(summary)
    );
    assert_eq!(
        PipelineSummary::decode(&flat.encode_canonical().unwrap()),
        Ok(summary)
    );
    // Forged working forms: a scale above 28, unused flag bits, a value without deals.
    let mut bad_scale = flat;
    bad_scale.won_value[2] = 29;
    let mut bad_flags = flat;
    bad_flags.open_value[0] = 1;
    let mut without_deals = flat;
    without_deals.open = 0;
    for bad in [bad_scale, bad_flags, without_deals] {
        assert!(matches!(
            PipelineSummary::decode(&working_payload(&bad)),
            Err(MetricError::InvalidBinary(_))
        ));
    }
    // Adding through the working form equals adding to the summary; an error changes
    // nothing.
    let mut state = PipelineFlat::default();
    state.add(F, d("5"), 0, Some(DAY), Some(true)).unwrap();
    assert!(state.add(F, d("-1"), 0, None, None).is_err());
    let mut expected = PipelineSummary::default();
    expected.add(F, d("5"), 0, Some(DAY), Some(true)).unwrap();
    assert_eq!(state.summary(), expected);
    let mut merged = PipelineFlat::of(&summary);
    merged.merge(F, &state).unwrap();
    summary.merge(F, &expected).unwrap();
    assert_eq!(merged.summary(), summary);
}

fn row() -> impl Strategy<Value = (i64, i64, Option<i64>, Option<bool>)> {
    (
        0i64..1_000_000,
        0i64..1000,
        prop::option::of(0i64..400),
        any::<bool>(),
    )
        .prop_map(|(cents, created, cycle, won)| {
            (
                cents,
                created * DAY,
                cycle.map(|c| created * DAY + c * DAY / 3),
                Some(won),
            )
        })
}

#[test]
fn window_frames_keep_the_scale_group_by_gives() {
    let row = |text: &str| (d(text), 0, Some(DAY), Some(true));
    let rows = [row("0.25"), row("8.5"), row("1"), row("2.000")];
    let mut window = PipelineWindow::default();
    let mut start = 0;
    for end in 0..rows.len() {
        let (amount, created, closed, won) = rows[end];
        window.add(F, amount, created, closed, won).unwrap();
        while end - start >= 2 {
            let (amount, created, closed, won) = rows[start];
            window.remove(F, amount, created, closed, won).unwrap();
            start += 1;
        }
        let mut grouped = PipelineSummary::default();
        for &(amount, created, closed, won) in &rows[start..=end] {
            grouped.add(F, amount, created, closed, won).unwrap();
        }
        assert_eq!(
            window.summary.encode().unwrap(),
            grouped.encode().unwrap(),
            "frame {start}..={end}"
        );
        assert_eq!(
            window.summary.to_text().unwrap(),
            grouped.to_text().unwrap()
        );
    }
    // {8.5, 1}: 8.5 + 1 after 0.25 left, "9.5", never "9.50".
    let mut window = PipelineWindow::default();
    for text in ["0.25", "8.5", "1"] {
        let (amount, created, closed, won) = row(text);
        window.add(F, amount, created, closed, won).unwrap();
    }
    let (amount, created, closed, won) = row("0.25");
    window.remove(F, amount, created, closed, won).unwrap();
    assert_eq!(window.summary.won_value.to_string(), "9.5");
    // Rolling up summaries: the same.
    let summary = |text: &str| {
        let mut summary = PipelineSummary::default();
        summary.add(F, d(text), 0, None, None).unwrap();
        summary
    };
    let mut rolled = PipelineWindow::default();
    rolled.merge(F, &summary("8.50")).unwrap();
    rolled.merge(F, &summary("0.5")).unwrap();
    rolled.unmerge(F, &summary("8.50")).unwrap();
    assert_eq!(
        rolled.summary.encode().unwrap(),
        summary("0.5").encode().unwrap()
    );
}

#[test]
fn sums_past_28_digits_are_refused_not_rounded() {
    let mut summary = PipelineSummary::default();
    summary
        .add(F, d("1000000000000000000000000000"), 0, None, None)
        .unwrap();
    let error = summary.add(F, d("0.25"), 0, None, None).unwrap_err();
    assert!(
        matches!(&error, MetricError::OutOfRange(message)
        if message.contains("crm.pipeline_agg: open value 1000000000000000000000000000 + 0.25")),
        "{error:?}"
    );
    let mut flat = PipelineFlat::of(&PipelineSummary::default());
    flat.add(
        F,
        d("1000000000000000000000000000"),
        0,
        Some(DAY),
        Some(true),
    )
    .unwrap();
    assert!(flat.add(F, d("0.25"), 0, Some(DAY), Some(true)).is_err());
    let mut other = PipelineSummary::default();
    other.add(F, d("0.25"), 0, None, None).unwrap();
    assert!(summary.clone().merge(F, &other).is_err());
}

proptest! {
    #[test]
    fn working_form_adds_as_the_summary(rows in prop::collection::vec(row(), 0..60), start_high in any::<bool>()) {
        let mut summary = PipelineSummary::default();
        if start_high {
            // A cycle sum just below 2^64, so that adding carries into the high half.
            summary.add(F, d("1"), 0, Some(i64::MAX - 1), Some(true)).unwrap();
            summary.add(F, d("1"), 0, Some(i64::MAX - 1), Some(true)).unwrap();
        }
        let mut flat = PipelineFlat::of(&summary);
        for &(cents, created, closed, won) in &rows {
            let amount = Decimal::new(cents, 2);
            summary.add(F, amount, created, closed, won).unwrap();
            flat.add(F, amount, created, closed, won).unwrap();
        }
        prop_assert_eq!(flat.summary(), summary);
    }

    #[test]
    fn split_and_merge_equals_one_pass(rows in prop::collection::vec(row(), 0..60), cut in 0usize..60) {
        let cut = cut.min(rows.len());
        let add_all = |part: &[(i64, i64, Option<i64>, Option<bool>)]| {
            let mut summary = PipelineSummary::default();
            for &(cents, created, closed, won) in part {
                summary.add(F, Decimal::new(cents, 2), created, closed, won).unwrap();
            }
            summary
        };
        let whole = add_all(&rows);
        let (mut left, right) = (add_all(&rows[..cut]), add_all(&rows[cut..]));
        let mut other_order = right;
        other_order.merge(F, &left).unwrap();
        left.merge(F, &right).unwrap();
        prop_assert_eq!(left, whole);
        prop_assert_eq!(other_order, whole);
        let mut removed = whole;
        for &(cents, created, closed, won) in &rows[cut..] {
            removed.remove(F, Decimal::new(cents, 2), created, closed, won).unwrap();
        }
        prop_assert_eq!(removed, add_all(&rows[..cut]));
    }

    #[test]
    fn sliding_frames_equal_group_by_byte_for_byte(
        rows in prop::collection::vec((row(), 0u32..4), 1..40), width in 1usize..6,
    ) {
        // Amounts with 0 to 3 places (trailing zeros included).
        let rows: Vec<_> = rows.into_iter().map(|((cents, created, closed, won), places)| {
            (Decimal::new(cents * 10i64.pow(places), 2 + places), created, closed, won)
        }).collect();
        let mut window = PipelineWindow::default();
        for end in 0..rows.len() {
            let (amount, created, closed, won) = rows[end];
            window.add(F, amount, created, closed, won).unwrap();
            let start = (end + 1).saturating_sub(width);
            if end >= width {
                let (amount, created, closed, won) = rows[end - width];
                window.remove(F, amount, created, closed, won).unwrap();
            }
            let mut grouped = PipelineSummary::default();
            for &(amount, created, closed, won) in &rows[start..=end] {
                grouped.add(F, amount, created, closed, won).unwrap();
            }
            prop_assert_eq!(window.summary.encode().unwrap(), grouped.encode().unwrap());
        }
    }
}

#[test]
fn sums_no_rows_could_reach_are_refused() {
    // One won deal cannot take longer than the timestamp range.
    let text = |won: u64, cycle: u128| {
        format!(
            r#"{{"won":{won},"lost":0,"open":0,"won_value":"1","open_value":"0","won_cycle_microseconds":{cycle}}}"#
        )
    };
    assert!(PipelineSummary::from_text(&text(1, MAX_CYCLE)).is_ok());
    for (won, cycle) in [(1, MAX_CYCLE + 1), (2, u128::MAX), (1, 1 << 127)] {
        assert!(matches!(
            PipelineSummary::from_text(&text(won, cycle)),
            Err(MetricError::InvalidText(_))
        ));
    }
    // A total at the bigint limit: the next opportunity is 22003, the state unchanged.
    let full = PipelineSummary::from_text(&format!(
        r#"{{"won":0,"lost":{},"open":0,"won_value":"0","open_value":"0","won_cycle_microseconds":0}}"#,
        i64::MAX
    ))
    .unwrap();
    let mut summary = full;
    assert!(matches!(
        summary.add(F, d("1"), 0, Some(DAY), Some(true)),
        Err(MetricError::OutOfRange(_))
    ));
    assert_eq!(summary, full);
    let mut flat = PipelineFlat::of(&full);
    assert!(matches!(
        flat.add(F, d("1"), 0, None, None),
        Err(MetricError::OutOfRange(_))
    ));
    assert_eq!(flat.summary(), full);
}

#[test]
fn input_errors_name_the_values_and_merges_do_not() {
    let text = |won: u64, lost: u64, won_value: &str, open_value: &str, cycle: u64| {
        format!(
            r#"{{"won":{won},"lost":{lost},"open":0,"won_value":"{won_value}","open_value":"{open_value}","won_cycle_microseconds":{cycle}}}"#
        )
    };
    let refused = |text: String| match PipelineSummary::from_text(&text) {
        Err(MetricError::InvalidText(message)) => message,
        other => panic!("{other:?}"),
    };
    assert_eq!(
        refused(text(i64::MAX as u64, 1, "1", "0", 0)),
        "crm.pipeline_summary: counts exceed the bigint range (won 9223372036854775807, lost 1, \
         open 0)"
    );
    assert_eq!(
        refused(text(1, 0, "-5", "0", 0)),
        "crm.pipeline_summary: won_value -5 is negative"
    );
    assert_eq!(
        refused(text(0, 1, "0", "3", 0)),
        "crm.pipeline_summary: open_value 3 without open deals"
    );
    assert_eq!(
        refused(text(0, 1, "0", "0", 7)),
        "crm.pipeline_summary: won_cycle_microseconds 7 is more than 0 won deals can take"
    );
    // A merge's overflow names no counts: its partial sums depend on a parallel plan's order.
    let mut big = PipelineSummary::from_text(&text(i64::MAX as u64 - 1, 0, "1", "0", 0)).unwrap();
    let one = PipelineSummary::from_text(&text(0, 2, "0", "0", 0)).unwrap();
    assert_eq!(
        big.merge("crm.rollup", &one),
        Err(MetricError::OutOfRange(
            "crm.rollup: counts exceed the bigint range".into()
        ))
    );
}

#[test]
fn average_deal_size_keeps_28_significant_digits_however_small() {
    // Three won deals of 1e-28 in all: 3.33...e-29, never 0 (a Decimal quotient keeps at most
    // 28 decimal places).
    let mut tiny = PipelineSummary::default();
    for amount in ["0.0000000000000000000000000001", "0", "0"] {
        tiny.add(F, d(amount), 0, Some(DAY), Some(true)).unwrap();
    }
    assert_eq!(
        tiny.average_deal_size().unwrap().to_string(),
        format!("0.0000000000000000000000000000{}", "3".repeat(28))
    );
    // An exact mean keeps the scale of the amounts.
    let mut exact = PipelineSummary::default();
    for amount in ["10.50", "20.50"] {
        exact.add(F, d(amount), 0, Some(DAY), Some(true)).unwrap();
    }
    assert_eq!(exact.average_deal_size().unwrap().to_string(), "15.50");
    assert_eq!(PipelineSummary::default().average_deal_size(), None);
}
