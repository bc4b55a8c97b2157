//! Example-based tests of the customer counts and summary.
use super::summary::MIN_PENDING_ROWS;
use super::*;
use crate::common::civil::parse_timestamp;

pub(super) const F: &str = "crm.churn_rate";
const MICROS_PER_DAY: i64 = 86_400_000_000;

fn day(n: i64) -> i64 {
    n * MICROS_PER_DAY
}

fn ts(text: &str) -> i64 {
    parse_timestamp(text).expect("test timestamp parses")
}

pub(super) type Row = (i64, Option<i64>);

pub(super) fn counts(rows: &[Row], period: (i64, i64)) -> PeriodCounts {
    let mut counts = PeriodCounts::default();
    for &(started_at, ended_at) in rows {
        counts
            .add(F, started_at, ended_at, period.0, period.1)
            .expect("valid row");
    }
    counts
}

pub(super) fn period_state(
    rows: &[Row],
    period: (i64, i64),
    denominator: Option<Denominator>,
) -> PeriodState {
    let mut state = PeriodState::default();
    for &(started_at, ended_at) in rows {
        let row = CustomerRow {
            started_at,
            ended_at,
            period_start: period.0,
            period_end: period.1,
        };
        state.add(F, row, denominator).expect("valid row");
    }
    state
}

pub(super) fn summary(rows: &[Row]) -> CustomerSummary {
    let mut summary = CustomerSummary::new();
    for &(started_at, ended_at) in rows {
        summary.add(F, started_at, ended_at).expect("valid row");
    }
    summary
}

/// Period [day 10, day 20) and one customer per case, named in comments. Periods are
/// half-open: a customer is new where `started_at` falls and lost where `ended_at` falls.
fn hand_rows() -> Vec<Row> {
    vec![
        (day(0), None),           // active throughout: S, E
        (day(1), None),           // active throughout: S, E
        (day(0), Some(day(15))),  // leaves inside: S, lost, ended
        (day(12), None),          // joins inside: E, N, started
        (day(11), None),          // joins inside: E, N, started
        (day(12), Some(day(18))), // joins and leaves inside: started, ended
        (day(13), Some(day(14))), // joins and leaves inside: started, ended
        (day(10), None),          // starts exactly at period_start: E, N, started
        (day(0), Some(day(20))),  // ends exactly at period_end: S, E (lost next period)
        (day(0), Some(day(10))),  // ends exactly at period_start: S, lost, ended
        (day(20), None),          // starts exactly at period_end: nothing (next period's N)
        (day(15), Some(day(15))), // zero-length inside: skipped
        (day(10), Some(day(10))), // zero-length at period_start: skipped
        (day(5), Some(day(5))),   // zero-length before: skipped
        (day(25), None),          // starts after: nothing
        (day(0), Some(i64::MAX)), // +infinity end = never ends: S, E
    ]
}

const HAND_EXPECTED: PeriodCounts = PeriodCounts {
    customers_at_start: 6,
    customers_at_end: 7,
    new_customers: 3,
    churned_customers: 2,
    started_in_period: 5,
    ended_in_period: 4,
};

#[test]
fn hand_computed_period() {
    let got = counts(&hand_rows(), (day(10), day(20)));
    assert_eq!(got, HAND_EXPECTED);
    assert_eq!(got.retention_rate(), Some(4.0 / 6.0));
    assert_eq!(got.churn_rate(Denominator::Start), Some(2.0 / 6.0));
    assert_eq!(got.churn_rate(Denominator::Average), Some(2.0 / 6.5));
    assert_eq!(got.churn_rate(Denominator::StartPlusNew), Some(4.0 / 11.0));
    let mut summary = summary(&hand_rows());
    assert_eq!(
        summary.periods(F, &[(day(10), day(20))]).unwrap(),
        vec![got]
    );
    // The three zero-length rows are not customers.
    assert_eq!(summary.customers(), 13);
}

#[test]
fn single_customers_at_boundaries() {
    let period = (day(10), day(20));
    let one = |row: Row| counts(&[row], period);
    // Starts on the period's first instant: this period's new customer.
    let at_start = one((day(10), None));
    assert_eq!(
        at_start,
        PeriodCounts {
            customers_at_end: 1,
            new_customers: 1,
            started_in_period: 1,
            ..PeriodCounts::default()
        }
    );
    // Ends on the next period's first instant: lost in the next period, not this one.
    let ends_at_end = one((day(0), Some(day(20))));
    assert_eq!(
        ends_at_end,
        PeriodCounts {
            customers_at_start: 1,
            customers_at_end: 1,
            ..PeriodCounts::default()
        }
    );
    let lost_next = counts(&[(day(0), Some(day(20)))], (day(20), day(30)));
    assert_eq!(
        (lost_next.customers_at_start, lost_next.churned_customers),
        (1, 1)
    );
    // Ends on this period's first instant: lost in this period.
    let ends_at_start = one((day(0), Some(day(10))));
    assert_eq!(
        ends_at_start,
        PeriodCounts {
            customers_at_start: 1,
            churned_customers: 1,
            ended_in_period: 1,
            ..PeriodCounts::default()
        }
    );
    // Starts on the next period's first instant: nothing here.
    assert_eq!(one((day(20), None)), PeriodCounts::default());
    // Zero-length rows are skipped everywhere, also by remove.
    for at in [day(5), day(10), day(15), day(20)] {
        assert_eq!(one((at, Some(at))), PeriodCounts::default());
    }
    let mut state = one((day(0), None));
    let before = state;
    state
        .remove(F, day(10), Some(day(10)), period.0, period.1)
        .unwrap();
    assert_eq!(state, before);
    let joiner_leaver = one((day(11), Some(day(19))));
    assert_eq!(
        joiner_leaver,
        PeriodCounts {
            started_in_period: 1,
            ended_in_period: 1,
            ..PeriodCounts::default()
        }
    );
}

#[test]
fn zero_denominators_are_null() {
    let empty = PeriodCounts::default();
    assert_eq!(empty.retention_rate(), None);
    assert_eq!(empty.churn_rate(Denominator::Start), None);
    assert_eq!(empty.churn_rate(Denominator::Average), None);
    assert_eq!(empty.churn_rate(Denominator::StartPlusNew), None);
    // Only joiners: nothing at start, but the other denominators are not zero.
    let joiners = counts(
        &[(day(12), None), (day(13), Some(day(14))), (day(10), None)],
        (day(10), day(20)),
    );
    assert_eq!(joiners.retention_rate(), None);
    assert_eq!(joiners.churn_rate(Denominator::Start), None);
    assert_eq!(joiners.churn_rate(Denominator::Average), Some(0.0));
    assert_eq!(
        joiners.churn_rate(Denominator::StartPlusNew),
        Some(1.0 / 3.0)
    );
}

#[test]
fn summary_active_at_boundaries() {
    let mut summary = summary(&hand_rows());
    // At day 10: the five starting at day 0 (one ending exactly at day 10 counts: it is lost
    // in the period starting then) and the one at day 1; not the one starting at day 10.
    assert_eq!(summary.active_at(day(10)), 6);
    assert_eq!(summary.active_at(day(20)), 7);
    // At day 15: also the one ending at day 15 and those started in days 11 and 12.
    assert_eq!(summary.active_at(day(15)), 9);
    assert_eq!(summary.active_at(i64::MIN), 0);
    // Only the never-ending ones reach +infinity.
    assert_eq!(summary.active_at(i64::MAX), 8);
}

#[test]
fn summary_folds_long_tails() {
    let rows: Vec<Row> = (0..5000i64)
        .map(|i| (i % 37, (i % 3 != 0).then_some(i % 37 + i % 11)))
        .collect();
    let mut summary = summary(&rows);
    assert!(summary.pending.len() <= MIN_PENDING_ROWS);
    // Rows with i % 11 == 0 and an end are zero-length.
    let zero_length = (0..5000).filter(|i| i % 3 != 0 && i % 11 == 0).count() as u64;
    assert_eq!(summary.customers(), 5000 - zero_length);
    let period = (5, 20);
    assert_eq!(
        summary.periods(F, &[period]).unwrap(),
        vec![counts(&rows, period)]
    );
    assert!(summary.spans.len() <= 37 * 12);
}

#[test]
fn repeating_rows_encode_as_folded_whatever_the_width_of_their_span_count() {
    // Rows only, never folded (fewer than a fold needs): 300 rows in 3 lifetimes (the span
    // count is one byte, the row count two) and 200 rows in 150 (both two bytes).
    for (rows, distinct) in [(300i64, 3i64), (200, 150), (127, 100), (128, 128)] {
        let rows: Vec<Row> = (0..rows)
            .map(|i| {
                let start = day((i * 37) % distinct);
                (start, Some(start + 5))
            })
            .collect();
        let mut summary = summary(&rows);
        assert!(summary.spans.is_empty());
        let bytes = summary.encode().unwrap();
        summary.fold();
        assert_eq!(summary.spans.len(), distinct as usize);
        assert_eq!(summary.encode().unwrap(), bytes);
        assert_eq!(
            CustomerSummary::decode(&bytes).unwrap().spans,
            summary.spans
        );
    }
}

#[test]
fn distinct_rows_wait_unsorted_and_encode_as_folded() {
    // 5000 distinct lifetimes in scrambled order: the tail is never folded, only sorted when
    // encoded, and the bytes are those of the folded summary.
    let rows: Vec<Row> = (0..5000i64)
        .map(|i| {
            let start = day((i * 7919) % 5000);
            (start, (i % 4 != 0).then_some(start + 1 + i))
        })
        .collect();
    let mut summary = summary(&rows);
    assert!(summary.spans.is_empty());
    assert_eq!(summary.pending.len(), 5000);
    let bytes = summary.encode().unwrap();
    assert_eq!(summary.encode().unwrap(), bytes);
    summary.fold();
    assert!(summary.pending.is_empty());
    assert_eq!(summary.spans.len(), 5000);
    assert_eq!(summary.encode().unwrap(), bytes);
    assert_eq!(
        CustomerSummary::decode(&bytes).unwrap().spans,
        summary.spans
    );
}

#[test]
fn repeats_arriving_together_are_folded() {
    // Each lifetime three times in a row (a table ordered by lifetime): the tail folds.
    let rows: Vec<Row> = (0..6000i64)
        .map(|i| (day(i / 3), Some(day(i / 3 + 10))))
        .collect();
    let mut summary = summary(&rows);
    assert!(summary.pending.len() <= MIN_PENDING_ROWS);
    assert_eq!(summary.customers(), 6000);
    summary.fold();
    assert_eq!(summary.spans.len(), 2000);
    assert!(summary.spans.iter().all(|span| span.count == 3));
}

#[test]
fn many_periods_count_as_few() {
    // 4 to 120 periods: up to 63 boundaries are searched in their padded copy and summed by a
    // scan, more through the tree; every count equals the row-by-row one, from the summary and
    // from its binary form.
    let rows: Vec<Row> = (0..3000i64)
        .map(|i| {
            let start = day((i * 7919) % 400 - 50);
            (
                start,
                (i % 3 != 0).then_some(start + 1 + (i * 104_729) % (200 * MICROS_PER_DAY)),
            )
        })
        .collect();
    for periods in [4i64, 31, 32, 40, 120] {
        let periods: Vec<(i64, i64)> = (0..periods)
            .map(|k| (day(k * 3 - 20), day(k * 3 - 20 + 1 + k % 5)))
            .collect();
        let mut summary = summary(&rows);
        let expected: Vec<_> = periods.iter().map(|&p| counts(&rows, p)).collect();
        let bytes = summary.encode().unwrap();
        assert_eq!(
            CustomerSummary::periods_of_binary(F, &bytes, &periods).unwrap(),
            expected
        );
        assert_eq!(summary.periods(F, &periods).unwrap(), expected);
    }
}

#[test]
fn periods_share_boundaries_and_come_in_any_order() {
    let rows = hand_rows();
    let periods = [
        (day(20), day(30)),
        (day(10), day(20)),
        (day(0), day(10)),
        (day(10), day(11)),
        (day(-5), day(40)),
    ];
    let mut summary = summary(&rows);
    let expected: Vec<_> = periods.iter().map(|&p| counts(&rows, p)).collect();
    assert_eq!(summary.periods(F, &periods).unwrap(), expected);
    assert_eq!(summary.periods(F, &[]).unwrap(), vec![]);
}

#[test]
fn row_errors() {
    let mut counts = PeriodCounts::default();
    let period = (day(10), day(20));
    assert_eq!(
        counts.add(
            F,
            ts("2024-02-01 00:00:00+00"),
            Some(ts("2024-01-01 00:00:00+00")),
            period.0,
            period.1
        ),
        Err(MetricError::InvalidParameter(
            "crm.churn_rate: ended_at 2024-01-01 00:00:00+00 is before started_at 2024-02-01 00:00:00+00"
                .to_string()
        ))
    );
    for started_at in [i64::MIN, i64::MAX] {
        assert!(matches!(
            counts.add(F, started_at, None, period.0, period.1),
            Err(MetricError::DatetimeOverflow(m)) if m == "crm.churn_rate: started_at cannot be infinite"
        ));
    }
    assert!(matches!(
        counts.add(F, day(1), Some(i64::MIN), period.0, period.1),
        Err(MetricError::DatetimeOverflow(m)) if m == "crm.churn_rate: ended_at cannot be -infinity"
    ));
    assert_eq!(counts, PeriodCounts::default());
    let mut summary = CustomerSummary::new();
    assert!(matches!(
        summary.add("crm.customer_summary", day(2), Some(day(1))),
        Err(MetricError::InvalidParameter(m)) if m.starts_with("crm.customer_summary: ended_at ")
    ));
    assert!(matches!(
        summary.add(F, i64::MAX, None),
        Err(MetricError::DatetimeOverflow(_))
    ));
    assert!(matches!(
        summary.add(F, 0, Some(i64::MIN)),
        Err(MetricError::DatetimeOverflow(_))
    ));
    assert_eq!(summary.customers(), 0);
}

#[test]
fn period_errors() {
    let mut counts = PeriodCounts::default();
    let mut summary = summary(&hand_rows());
    let start = ts("2024-02-01 00:00:00+00");
    let end = ts("2024-01-01 00:00:00+00");
    let message = "crm.churn_rate: period_end 2024-01-01 00:00:00+00 is not after period_start 2024-02-01 00:00:00+00";
    assert_eq!(
        counts.add(F, 0, None, start, end),
        Err(MetricError::InvalidParameter(message.to_string()))
    );
    assert_eq!(
        summary.periods(F, &[(0, 1), (start, end)]),
        Err(MetricError::InvalidParameter(message.to_string()))
    );
    assert!(matches!(
        counts.add(F, 0, None, start, start),
        Err(MetricError::InvalidParameter(_))
    ));
    assert!(matches!(
        summary.periods(F, &[(start, start)]),
        Err(MetricError::InvalidParameter(_))
    ));
    for period in [(i64::MIN, 0), (0, i64::MAX)] {
        assert!(matches!(
            counts.add(F, 0, None, period.0, period.1),
            Err(MetricError::DatetimeOverflow(_))
        ));
        assert!(matches!(
            summary.periods(F, &[period]),
            Err(MetricError::DatetimeOverflow(_))
        ));
    }
    assert!(matches!(
        counts.remove(F, 0, None, start, end),
        Err(MetricError::InvalidParameter(_))
    ));
}

#[test]
fn remove_of_a_row_never_added_fails_cleanly() {
    let period = (day(10), day(20));
    let mut counts = counts(&[(day(0), None)], period);
    let before = counts;
    assert_eq!(
        counts.remove(F, day(12), None, period.0, period.1),
        Err(MetricError::InvalidParameter(
            "crm.churn_rate: cannot remove a customer row that was never added".to_string()
        ))
    );
    assert_eq!(counts, before);
    counts.remove(F, day(0), None, period.0, period.1).unwrap();
    assert_eq!(counts, PeriodCounts::default());
}

#[test]
fn denominator_names() {
    assert_eq!(Denominator::parse(F, "start"), Ok(Denominator::Start));
    assert_eq!(Denominator::parse(F, "average"), Ok(Denominator::Average));
    assert_eq!(
        Denominator::parse(F, "start_plus_new"),
        Ok(Denominator::StartPlusNew)
    );
    assert_eq!(
        Denominator::parse(F, "end"),
        Err(MetricError::InvalidParameter(
            "crm.churn_rate: unknown denominator 'end' (allowed: 'start', 'average', 'start_plus_new')"
                .to_string()
        ))
    );
}

#[test]
fn require_finite_names_the_value() {
    assert_eq!(require_finite("crm.active_customers", "at", 0), Ok(()));
    assert_eq!(
        require_finite("crm.active_customers", "at", i64::MAX),
        Err(MetricError::DatetimeOverflow(
            "crm.active_customers: at cannot be infinite".to_string()
        ))
    );
}

#[test]
fn binary_forms_reject_corruption() {
    let mut summary = summary(&hand_rows());
    let bytes = summary.encode().unwrap();
    for len in 0..bytes.len() {
        assert!(CustomerSummary::decode(&bytes[..len]).is_err());
    }
    let mut wrong_version = bytes.clone();
    wrong_version[0] = 2;
    assert!(matches!(
        CustomerSummary::decode(&wrong_version),
        Err(MetricError::InvalidBinary(_))
    ));
    // A forged span count must fail before allocating.
    let mut forged = vec![FORMAT_VERSION];
    forged.extend([0xff; 9]);
    forged.push(0x01);
    assert!(CustomerSummary::decode(&forged).is_err());
    // Zero count, out-of-order spans, trailing bytes.
    assert!(CustomerSummary::decode(&[1, 1, 2, 0, 0]).is_err());
    assert!(CustomerSummary::decode(&[1, 2, 2, 0, 1, 0, 0, 1]).is_err());
    assert!(CustomerSummary::decode(&[1, 1, 2, 0, 1, 0]).is_err());
    assert_eq!(CustomerSummary::decode(&[1, 0]).unwrap().customers(), 0);
    // A zero-length span (end code 1) is not a customer.
    assert!(matches!(
        CustomerSummary::decode(&[1, 1, 2, 1, 1]),
        Err(MetricError::InvalidBinary(m)) if m == "crm.customer_summary: span with ended_at = started_at"
    ));
    assert_eq!(
        CustomerSummary::decode(&[1, 1, 2, 2, 1])
            .unwrap()
            .customers(),
        1
    );
    // An end past +infinity.
    assert!(CustomerSummary::decode(&[
        1, 1, 0xfc, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01, 3, 1
    ])
    .is_err());

    let state = period_state(&hand_rows(), (day(10), day(20)), Some(Denominator::Average));
    assert_eq!(PeriodState::decode(&state.encode().unwrap()), Ok(state));
    let mut inconsistent = state;
    inconsistent.counts.new_customers += 1;
    let mut too_few_rows = state;
    too_few_rows.rows = 5;
    for (bad, message) in [
        (
            inconsistent,
            "crm.customer_period_state: inconsistent counts (",
        ),
        (too_few_rows, " exceeds rows 5"),
    ] {
        match PeriodState::decode(&bad.encode().unwrap()) {
            Err(MetricError::InvalidBinary(text)) => assert!(text.contains(message), "{text}"),
            other => panic!("{other:?}"),
        }
    }
    assert_eq!(
        PeriodState::decode(&[1, 0, 0, 0, 0, 0, 0, 0, 0]),
        Ok(PeriodState::default())
    );
    assert!(PeriodState::decode(&[1, 0, 0, 0, 0, 0, 0, 0]).is_err());
    assert!(PeriodState::decode(&[1, 4, 0, 0, 0, 0, 0, 0, 0]).is_err());
    assert!(PeriodState::decode(&[1, 0, 0, 0, 0, 0, 0, 0, 0, 0]).is_err());
}

#[test]
fn binary_form_is_pinned() {
    // Version 1, two spans; the first start zigzag-coded, the next as a delta; end codes
    // 0 = never, else end - start + 1; then the count.
    let mut summary = summary(&[(0, None), (0, None), (10, Some(20))]);
    assert_eq!(summary.encode().unwrap(), vec![1, 2, 0, 0, 2, 10, 11, 1]);
    // Version 1, the denominator tag, the six counts, the row count.
    let state = PeriodState {
        counts: PeriodCounts {
            customers_at_start: 3,
            customers_at_end: 2,
            new_customers: 1,
            churned_customers: 2,
            started_in_period: 1,
            ended_in_period: 2,
        },
        denominator: Some(Denominator::Start),
        rows: 4,
        period: None,
    };
    assert_eq!(state.encode().unwrap(), vec![1, 1, 3, 2, 1, 2, 1, 2, 4]);
    // Version 2: then the period's start and end, zigzag varints.
    let with_period = PeriodState {
        period: Some((1, -2)),
        ..state
    };
    assert_eq!(
        with_period.encode().unwrap(),
        vec![2, 1, 3, 2, 1, 2, 1, 2, 4, 2, 3]
    );
}

#[test]
fn period_state_refuses_rows_of_another_period() {
    let row = |period_start: i64, period_end: i64| CustomerRow {
        started_at: day(0),
        ended_at: None,
        period_start,
        period_end,
    };
    let mut state = PeriodState::default();
    state.add(F, row(day(10), day(20)), None).unwrap();
    let refused = state.add(F, row(day(11), day(20)), None).unwrap_err();
    assert!(
        matches!(&refused, MetricError::InvalidParameter(message)
            if message.starts_with("crm.churn_rate: every row must use the same period (from 2000-01-11 00:00:00+00 to 2000-01-21 00:00:00+00, and from 2000-01-12")),
        "{refused:?}"
    );
    assert_eq!(state.rows, 1);
    // The working form refuses it too, and so do the combine and the inverse.
    let mut flat = PeriodFlat::of(&PeriodState::default());
    flat.add(F, row(day(10), day(20)), None).unwrap();
    assert!(flat.add(F, row(day(10), day(21)), None).is_err());
    assert_eq!(flat.state(), state);
    let mut other = PeriodState::default();
    other.add(F, row(day(10), day(21)), None).unwrap();
    assert!(state.clone().merge(F, &other).is_err());
    assert!(state.clone().remove(F, row(day(10), day(21))).is_err());
    // A state of 0.2.0's form (no period) takes rows of any one period.
    let mut old = PeriodState::decode(&[1, 0, 1, 1, 0, 0, 0, 0, 1]).unwrap();
    assert_eq!(old.period, None);
    old.add(F, row(day(11), day(20)), None).unwrap();
    assert_eq!(old.period, Some((day(11), day(20))));
    // Forms round-trip the period; the last row removed forgets it.
    let text = state.to_text().unwrap();
    assert!(
        text.ends_with(r#""period":["2000-01-11 00:00:00+00","2000-01-21 00:00:00+00"]}"#),
        "{text}"
    );
    assert_eq!(PeriodState::from_text(&text).unwrap(), state);
    assert_eq!(
        PeriodState::decode(&state.encode().unwrap()).unwrap(),
        state
    );
    state.remove(F, row(day(10), day(20))).unwrap();
    assert_eq!(state, PeriodState::default());
    // A period no row could name is malformed.
    let mut forged = state;
    forged.period = Some((day(2), day(1)));
    assert!(PeriodState::decode(&forged.encode().unwrap()).is_err());
}

#[test]
fn period_state_forgets_the_denominator_with_its_last_row() {
    let period = (day(10), day(20));
    let row = |started_at: i64| CustomerRow {
        started_at,
        ended_at: None,
        period_start: period.0,
        period_end: period.1,
    };
    let mut state = PeriodState::default();
    state
        .add(F, row(day(0)), Some(Denominator::Average))
        .unwrap();
    state.add(F, row(day(12)), None).unwrap();
    assert_eq!(
        state.add(F, row(day(1)), Some(Denominator::Start)),
        Err(MetricError::InvalidParameter(
            "crm.churn_rate: every row must use the same denominator ('average' and 'start')"
                .to_string()
        ))
    );
    assert_eq!(state.rows, 2);
    assert_eq!(state.churn_rate(), Some(0.0));
    state.remove(F, row(day(0))).unwrap();
    assert_eq!(state.denominator, Some(Denominator::Average));
    state.remove(F, row(day(12))).unwrap();
    assert_eq!(state, PeriodState::default());
    assert_eq!((state.retention_rate(), state.churn_rate()), (None, None));
    assert!(state.remove(F, row(day(12))).is_err());
    assert_eq!(state, PeriodState::default());
    state.add(F, row(day(1)), Some(Denominator::Start)).unwrap();
    let mut other = PeriodState::default();
    other
        .add(F, row(day(2)), Some(Denominator::Average))
        .unwrap();
    assert!(state.clone().merge(F, &other).is_err());
    other = PeriodState::default();
    other.add(F, row(day(2)), None).unwrap();
    state.merge(F, &other).unwrap();
    assert_eq!((state.rows, state.counts.customers_at_start), (2, 2));
}

#[test]
fn text_form() {
    let mut summary = summary(&[
        (ts("2024-01-01 00:00:00+00"), None),
        (ts("2024-01-01 00:00:00+00"), None),
        (
            ts("2023-06-01 12:30:00.25+00"),
            Some(ts("2024-03-01 00:00:00+00")),
        ),
    ]);
    let text = summary.to_text().unwrap();
    assert_eq!(
        text,
        r#"{"version":1,"customers":3,"spans":[["2023-06-01 12:30:00.25+00","2024-03-01 00:00:00+00",1],["2024-01-01 00:00:00+00",null,2]]}"#
    );
    assert_eq!(
        CustomerSummary::from_text(&text)
            .unwrap()
            .to_text()
            .unwrap(),
        text
    );
    // Unsorted and repeated spans are accepted and normalized.
    let loose = r#"{"version":1,"customers":3,"spans":[["2024-01-01 00:00:00+00",null,1],
        ["2023-06-01 12:30:00.250+00","2024-03-01 00:00:00+00",1],["2024-01-01 00:00:00+00",null,1]]}"#;
    assert_eq!(
        CustomerSummary::from_text(loose)
            .unwrap()
            .to_text()
            .unwrap(),
        text
    );
    for bad in [
        "",
        "{}",
        r#"{"version":2,"customers":0,"spans":[]}"#,
        r#"{"version":1,"customers":1,"spans":[]}"#,
        r#"{"version":1,"customers":0,"spans":[],"extra":1}"#,
        r#"{"version":1,"customers":0,"spans":[["2024-01-01 00:00:00+00",null,0]]}"#,
        r#"{"version":1,"customers":1,"spans":[["2024-01-02 00:00:00+00","2024-01-01 00:00:00+00",1]]}"#,
        r#"{"version":1,"customers":1,"spans":[["2024-01-02 00:00:00+00","2024-01-02 00:00:00+00",1]]}"#,
        r#"{"version":1,"customers":1,"spans":[["2024-01-01",null,1]]}"#,
        r#"{"version":1,"customers":1,"spans":[["2024-01-01 00:00:00+00",null,1]]} x"#,
        r#"{"version":1,"customers":2,"spans":[["2024-01-01 00:00:00+00",null,18446744073709551615],["2025-01-01 00:00:00+00",null,18446744073709551615]]}"#,
    ] {
        let error = CustomerSummary::from_text(bad).unwrap_err();
        assert!(
            matches!(&error, MetricError::InvalidText(m) if m.starts_with("crm.customer_summary: ")),
            "{bad}: {error:?}"
        );
    }
}

#[test]
fn counts_stay_within_bigint() {
    let max = i64::MAX;
    let full = format!(
        r#"{{"version":1,"customers":{max},"spans":[["2024-01-01 00:00:00+00",null,{max}]]}}"#
    );
    let mut full_summary = CustomerSummary::from_text(&full).unwrap();
    assert_eq!(full_summary.customers(), max as u64);
    assert_eq!(
        CustomerSummary::decode(&full_summary.encode().unwrap())
            .unwrap()
            .customers(),
        max as u64
    );
    // One more customer, by a row or by a merge, is 22003; the summary is unchanged.
    let error = full_summary.clone().add(F, 0, None).unwrap_err();
    assert!(matches!(error, MetricError::OutOfRange(m) if m.starts_with("crm.churn_rate: ")));
    let one = summary(&[(0, None)]);
    let error = full_summary.merge(F, &one).unwrap_err();
    assert!(matches!(error, MetricError::OutOfRange(m) if m.starts_with("crm.churn_rate: ")));
    assert_eq!(full_summary.customers(), max as u64);
    // Text and binary forms holding more are rejected.
    let over = (max as u64) + 1;
    for text in [
        format!(r#"{{"version":1,"customers":{over},"spans":[["2024-01-01 00:00:00+00",null,{over}]]}}"#),
        r#"{"version":1,"customers":18446744073709551615,"spans":[["2024-01-01 00:00:00+00",null,18446744073709551615]]}"#.to_string(),
    ] {
        assert!(matches!(CustomerSummary::from_text(&text), Err(MetricError::InvalidText(_))), "{text}");
    }
    // Two spans of i64::MAX customers each, in the binary form.
    let mut writer = crate::common::codec::Writer::with_version(FORMAT_VERSION);
    writer
        .u64(2)
        .i64(0)
        .u64(0)
        .u64(max as u64)
        .u64(1)
        .u64(0)
        .u64(max as u64);
    let bytes = writer.finish("t").unwrap();
    assert!(matches!(
        CustomerSummary::decode(&bytes),
        Err(MetricError::InvalidBinary(_))
    ));
}

#[test]
fn text_form_accepts_only_the_documented_object_within_timestamptz() {
    for bad in [
        r#"[1,0,[]]"#,
        r#" [1,0,[]]"#,
        r#"{"version":1,"customers":1,"spans":[["294277-01-01 00:00:00+00",null,1]]}"#,
        r#"{"version":1,"customers":1,"spans":[["100000-01-01 00:00:00+00 BC",null,1]]}"#,
        r#"{"version":1,"customers":1,"spans":[["4714-11-23 23:59:59.999999+00 BC",null,1]]}"#,
        r#"{"version":1,"customers":1,"spans":[["2024-01-01 00:00:00+00","294277-01-01 00:00:00+00",1]]}"#,
    ] {
        assert!(
            matches!(
                CustomerSummary::from_text(bad),
                Err(MetricError::InvalidText(_))
            ),
            "{bad}"
        );
    }
    // The ends of the timestamptz range are accepted.
    let edges = r#"{"version":1,"customers":1,"spans":[["4714-11-24 00:00:00+00 BC","294276-12-31 23:59:59.999999+00",1]]}"#;
    assert_eq!(
        CustomerSummary::from_text(edges)
            .unwrap()
            .to_text()
            .unwrap(),
        edges
    );
}

#[test]
fn period_state_text_and_working_forms() {
    let state = period_state(
        &hand_rows(),
        (day(10), day(20)),
        Some(Denominator::StartPlusNew),
    );
    let text = state.to_text().unwrap();
    assert!(
        text.ends_with(
            r#""denominator":"start_plus_new","period":["2000-01-11 00:00:00+00","2000-01-21 00:00:00+00"]}"#
        ),
        "{text}"
    );
    assert_eq!(PeriodState::from_text(&text), Ok(state));
    let empty = PeriodState::default();
    assert_eq!(
        empty.to_text().unwrap(),
        r#"{"customers_at_start":0,"customers_at_end":0,"new_customers":0,"churned_customers":0,"started_in_period":0,"ended_in_period":0,"rows":0,"denominator":null}"#
    );
    assert_eq!(PeriodState::from_text(&empty.to_text().unwrap()), Ok(empty));
    for bad in [
        "",
        "null",
        "{}",
        // the denominator is required (null allowed), unknown ones and fields refused
        r#"{"customers_at_start":0,"customers_at_end":0,"new_customers":0,"churned_customers":0,"started_in_period":0,"ended_in_period":0,"rows":0}"#,
        r#"{"customers_at_start":0,"customers_at_end":0,"new_customers":0,"churned_customers":0,"started_in_period":0,"ended_in_period":0,"rows":0,"denominator":"median"}"#,
        r#"{"customers_at_start":0,"customers_at_end":0,"new_customers":0,"churned_customers":0,"started_in_period":0,"ended_in_period":0,"rows":0,"denominator":null,"x":1}"#,
        // inconsistent counts, a count above the rows
        r#"{"customers_at_start":1,"customers_at_end":0,"new_customers":0,"churned_customers":0,"started_in_period":0,"ended_in_period":0,"rows":1,"denominator":null}"#,
        r#"{"customers_at_start":2,"customers_at_end":2,"new_customers":0,"churned_customers":0,"started_in_period":0,"ended_in_period":0,"rows":1,"denominator":null}"#,
        r#"{"customers_at_start":-1,"customers_at_end":0,"new_customers":0,"churned_customers":0,"started_in_period":0,"ended_in_period":0,"rows":0,"denominator":null}"#,
    ] {
        assert!(
            matches!(
                PeriodState::from_text(bad),
                Err(MetricError::InvalidText(_))
            ),
            "{bad}"
        );
    }
    // The working form (tag, padding, eight native u64s, the denominator's tag, then the
    // period: a flag and its two ends) reads back, validated.
    let working = |flat: &PeriodFlat, tag: u64| {
        let state = flat.state();
        let mut payload = vec![crate::common::flat_state::WORKING_TAG, 0, 0, 0];
        let fields = [
            state.counts.customers_at_start,
            state.counts.customers_at_end,
            state.counts.new_customers,
            state.counts.churned_customers,
            state.counts.started_in_period,
            state.counts.ended_in_period,
            state.rows,
            tag,
        ];
        for field in fields {
            payload.extend_from_slice(&field.to_ne_bytes());
        }
        let (start, end) = state.period.unwrap_or_default();
        payload.extend_from_slice(&u64::from(state.period.is_some()).to_ne_bytes());
        payload.extend_from_slice(&start.to_ne_bytes());
        payload.extend_from_slice(&end.to_ne_bytes());
        payload
    };
    let flat = PeriodFlat::of(&state);
    assert_eq!(PeriodState::decode(&working(&flat, 3)), Ok(state));
    assert!(matches!(
        PeriodState::decode(&working(&flat, 4)),
        Err(MetricError::InvalidBinary(_))
    ));
    // A period flag other than 0 or 1, or bounds without the flag, are malformed.
    let flag_at = 4 + 8 * 8;
    let mut bad_flag = working(&flat, 3);
    bad_flag[flag_at] = 2;
    assert!(PeriodState::decode(&bad_flag).is_err());
    let mut stray_bounds = working(&flat, 3);
    stray_bounds[flag_at] = 0;
    assert!(PeriodState::decode(&stray_bounds).is_err());
    let mut inconsistent = state;
    inconsistent.counts.new_customers += 1;
    assert!(PeriodState::decode(&working(&PeriodFlat::of(&inconsistent), 3)).is_err());
    // Adding and merging through the working form equals doing it on the state.
    let row = CustomerRow {
        started_at: day(12),
        ended_at: None,
        period_start: day(10),
        period_end: day(20),
    };
    let mut flat = PeriodFlat::of(&state);
    let mut expected = state;
    flat.add(F, row, None).unwrap();
    expected.add(F, row, None).unwrap();
    assert_eq!(flat.state(), expected);
    assert!(flat.add(F, row, Some(Denominator::Start)).is_err());
    assert_eq!(flat.state(), expected);
    let other = PeriodFlat::of(&state);
    flat.merge(F, &other).unwrap();
    expected.merge(F, &state).unwrap();
    assert_eq!(flat.state(), expected);
}

#[test]
fn a_fold_after_its_reservation_allocates_nothing() {
    // Sorted spans, queued spans and unsorted rows, partly the same lifetimes: after
    // `reserve_fold` the fold moves within the reserved room (no vector is reallocated), so an
    // allocation that fails is the reservation's 53200, never an abort inside the fold.
    let mut whole = summary(
        &(0..3000i64)
            .map(|i| (day(i), Some(day(i + 5))))
            .collect::<Vec<_>>(),
    );
    whole.fold();
    let mut small = summary(
        &(0..10i64)
            .map(|i| (day(5000 + i), None))
            .collect::<Vec<_>>(),
    );
    small.fold();
    whole.merge(F, &small).unwrap();
    for i in 1500..4500i64 {
        whole.add(F, day(i), Some(day(i + 5))).unwrap();
    }
    assert!(!whole.spans.is_empty() && !whole.pending_spans.is_empty());
    assert!(!whole.pending.is_empty());
    whole.reserve_fold(F).unwrap();
    let room = |state: &CustomerSummary| {
        (
            state.spans.as_ptr(),
            state.spans.capacity(),
            state.pending_spans.as_ptr(),
            state.pending_spans.capacity(),
        )
    };
    let before = room(&whole);
    whole.fold();
    assert_eq!(room(&whole), before);
    assert_eq!(whole.spans.len(), 4510);
    assert_eq!(whole.customers(), 3000 + 10 + 3000);
}
