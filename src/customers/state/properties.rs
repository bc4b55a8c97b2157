//! Property tests: splits, merges, encodings and a row-by-row model.
use proptest::prelude::*;

use super::tests::{counts, period_state, summary, Row, F};
use super::*;

/// Microseconds in a small range, so lifetimes and periods collide often.
fn small_row() -> impl Strategy<Value = Row> {
    (-40i64..40, prop::option::of(0i64..30), 0u8..8).prop_map(|(started_at, length, kind)| {
        let ended_at = match (length, kind) {
            (_, 0) => Some(i64::MAX),
            (Some(length), _) => Some(started_at + length),
            (None, _) => None,
        };
        (started_at, ended_at)
    })
}

/// Anywhere in the finite range of `timestamptz`, to exercise the encodings' extremes.
fn wide_row() -> impl Strategy<Value = Row> {
    use crate::common::civil::{END_TIMESTAMP, MIN_TIMESTAMP};
    (MIN_TIMESTAMP..END_TIMESTAMP).prop_flat_map(|started_at| {
        (
            Just(started_at),
            prop::option::of(started_at..END_TIMESTAMP),
        )
    })
}

fn any_row() -> impl Strategy<Value = Row> {
    prop_oneof![3 => small_row(), 1 => wide_row()]
}

fn period() -> impl Strategy<Value = (i64, i64)> {
    (-50i64..50, 1i64..40).prop_map(|(start, length)| (start, start + length))
}

fn rows() -> impl Strategy<Value = Vec<Row>> {
    prop::collection::vec(small_row(), 0..60)
}

proptest! {
    #[test]
    fn merge_is_associative_and_commutative(a in rows(), b in rows(), c in rows(), p in period()) {
        let (a, b, c) = (counts(&a, p), counts(&b, p), counts(&c, p));
        let mut ab_c = a;
        ab_c.merge(&b);
        ab_c.merge(&c);
        let mut bc = b;
        bc.merge(&c);
        let mut a_bc = a;
        a_bc.merge(&bc);
        prop_assert_eq!(ab_c, a_bc);
        let mut ba = b;
        ba.merge(&a);
        let mut ab = a;
        ab.merge(&b);
        prop_assert_eq!(ab, ba);
    }

    #[test]
    fn any_split_merges_to_one_pass(rows in rows(), cuts in prop::collection::vec(0usize..60, 0..5), p in period()) {
        let mut cuts: Vec<usize> = cuts.into_iter().map(|cut| cut.min(rows.len())).collect();
        cuts.push(0);
        cuts.push(rows.len());
        cuts.sort_unstable();
        let mut merged = PeriodCounts::default();
        let mut merged_summary = CustomerSummary::new();
        for part in cuts.windows(2) {
            merged.merge(&counts(&rows[part[0]..part[1]], p));
            merged_summary.merge(F, &summary(&rows[part[0]..part[1]])).unwrap();
        }
        let whole = counts(&rows, p);
        prop_assert_eq!(merged, whole);
        prop_assert!(whole.is_consistent());
        prop_assert_eq!(merged_summary.customers(), summary(&rows).customers());
        prop_assert_eq!(merged_summary.encode().unwrap(), summary(&rows).encode().unwrap());
    }

    #[test]
    fn rollup_of_many_parts_in_any_order_equals_one_pass(
        rows in prop::collection::vec(any_row(), 0..80),
        parts in prop::collection::vec(0usize..10, 80),
        order in Just((0usize..10).collect::<Vec<_>>()).prop_shuffle(),
        later in prop::collection::vec(any_row(), 0..10),
    ) {
        // Merged spans wait in a queue until the next fold; adds and reads after merges see them.
        let mut split: Vec<Vec<Row>> = vec![Vec::new(); 10];
        for (i, &row) in rows.iter().enumerate() {
            split[parts[i]].push(row);
        }
        let mut rolled = CustomerSummary::new();
        for &part in &order {
            rolled.merge(F, &summary(&split[part])).unwrap();
        }
        let at = rows.first().map_or(0, |row| row.0);
        let all: Vec<Row> = rows.iter().chain(&later).copied().collect();
        prop_assert_eq!(rolled.active_at(at), summary(&rows).active_at(at));
        for &(started_at, ended_at) in &later {
            rolled.add(F, started_at, ended_at).unwrap();
        }
        // Zero-length rows (ended_at = started_at) were never customers.
        let customers = all.iter().filter(|row| row.1 != Some(row.0)).count() as u64;
        prop_assert_eq!(rolled.customers(), customers);
        prop_assert_eq!(rolled.encode().unwrap(), summary(&all).encode().unwrap());
    }

    #[test]
    fn remove_undoes_add(rows in rows(), row in small_row(), p in period()) {
        let mut state = counts(&rows, p);
        let before = state;
        state.add(F, row.0, row.1, p.0, p.1).unwrap();
        state.remove(F, row.0, row.1, p.0, p.1).unwrap();
        prop_assert_eq!(state, before);
    }

    #[test]
    fn summary_periods_match_row_by_row(
        rows in prop::collection::vec(any_row(), 0..80),
        periods in prop::collection::vec(period(), 0..8),
        fold_at in 0usize..80,
    ) {
        let mut summary = CustomerSummary::new();
        for (index, &(started_at, ended_at)) in rows.iter().enumerate() {
            if index == fold_at {
                summary.active_at(0);
            }
            summary.add(F, started_at, ended_at).unwrap();
        }
        let expected: Vec<_> = periods.iter().map(|&p| counts(&rows, p)).collect();
        prop_assert_eq!(summary.periods(F, &periods).unwrap(), expected);
    }

    #[test]
    fn active_at_matches_brute_force(rows in prop::collection::vec(any_row(), 0..80), at in -60i64..60) {
        // The contract's S of a period starting at `at`, zero-length rows skipped.
        let expected = rows
            .iter()
            .filter(|&&(started_at, ended_at)| {
                ended_at != Some(started_at)
                    && started_at < at
                    && ended_at.is_none_or(|ended_at| ended_at >= at)
            })
            .count() as u64;
        prop_assert_eq!(summary(&rows).active_at(at), expected);
    }

    #[test]
    fn counts_follow_the_contract_definitions(rows in rows(), periods in prop::collection::vec(period(), 1..6)) {
        // Written from the contract's text, independently of `PeriodCounts::of_customer`:
        // half-open periods, new where started_at falls, lost where ended_at falls.
        let mut summary = summary(&rows);
        let from_summary = summary.periods(F, &periods).unwrap();
        for (&(ps, pe), got) in periods.iter().zip(from_summary) {
            let real = rows.iter().filter(|&&(s, e)| e != Some(s));
            let not_ended_before = |e: Option<i64>, t: i64| e.is_none_or(|e| e >= t);
            let count = |keep: &dyn Fn(i64, Option<i64>) -> bool| {
                real.clone().filter(|&&(s, e)| keep(s, e)).count() as u64
            };
            let expected = PeriodCounts {
                customers_at_start: count(&|s, e| s < ps && not_ended_before(e, ps)),
                customers_at_end: count(&|s, e| s < pe && not_ended_before(e, pe)),
                new_customers: count(&|s, e| ps <= s && s < pe && not_ended_before(e, pe)),
                churned_customers: count(&|s, e| {
                    s < ps && not_ended_before(e, ps) && !not_ended_before(e, pe)
                }),
                started_in_period: count(&|s, _| ps <= s && s < pe),
                ended_in_period: count(&|_, e| e.is_some_and(|e| ps <= e && e < pe)),
            };
            prop_assert_eq!(got, expected);
            prop_assert_eq!(counts(&rows, (ps, pe)), expected);
            // E = S - lost + N exactly.
            prop_assert_eq!(
                expected.customers_at_end + expected.churned_customers,
                expected.customers_at_start + expected.new_customers
            );
        }
    }

    #[test]
    fn encodings_round_trip(rows in prop::collection::vec(any_row(), 0..60)) {
        let mut original = summary(&rows);
        let bytes = original.encode().unwrap();
        let mut decoded = CustomerSummary::decode(&bytes).unwrap();
        let real = rows.iter().filter(|&&(started_at, ended_at)| ended_at != Some(started_at));
        prop_assert_eq!(decoded.customers(), real.count() as u64);
        prop_assert_eq!(decoded.encode().unwrap(), bytes.clone());
        let mut reversed: Vec<Row> = rows.clone();
        reversed.reverse();
        prop_assert_eq!(summary(&reversed).encode().unwrap(), bytes.clone());

        let text = original.to_text().unwrap();
        let mut from_text = CustomerSummary::from_text(&text).unwrap();
        prop_assert_eq!(from_text.to_text().unwrap(), text);
        prop_assert_eq!(from_text.encode().unwrap(), bytes);
    }

    #[test]
    fn period_state_round_trips(rows in rows(), p in period()) {
        let state = period_state(&rows, p, Some(Denominator::StartPlusNew));
        prop_assert_eq!(PeriodState::decode(&state.encode().unwrap()), Ok(state));
        prop_assert_eq!(state.counts, counts(&rows, p));
    }

    #[test]
    fn decoding_random_bytes_never_panics(mut bytes in prop::collection::vec(any::<u8>(), 0..64), versioned: bool) {
        if versioned && !bytes.is_empty() {
            bytes[0] = FORMAT_VERSION;
        }
        if let Ok(mut decoded) = CustomerSummary::decode(&bytes) {
            let mut again = CustomerSummary::decode(&decoded.encode().unwrap()).unwrap();
            prop_assert_eq!(again.encode().unwrap(), decoded.encode().unwrap());
        }
        let _ = PeriodState::decode(&bytes);
    }

    #[test]
    fn parsing_random_text_never_panics(text in ".{0,80}") {
        let _ = CustomerSummary::from_text(&text);
    }
}

// Reading the binary form in place (speed): `crm.churn_series` counts the periods
// straight from the bytes, and encoding reads the pending rows without folding them.
proptest! {
    #[test]
    fn periods_of_binary_equal_periods_of_the_summary(
        rows in prop::collection::vec(any_row(), 0..80),
        // Up to 80 boundaries: both the flat bins (up to 64) and the Fenwick tree.
        periods in prop::collection::vec(period(), 0..40),
        fold_at in 0usize..80,
    ) {
        let mut summary = CustomerSummary::new();
        for (index, &(started_at, ended_at)) in rows.iter().enumerate() {
            if index == fold_at {
                summary.active_at(0);
            }
            summary.add(F, started_at, ended_at).unwrap();
        }
        let bytes = summary.encode().unwrap();
        let expected: Vec<_> = periods.iter().map(|&p| counts(&rows, p)).collect();
        prop_assert_eq!(
            CustomerSummary::periods_of_binary(F, &bytes, &periods).unwrap(),
            expected.clone()
        );
        prop_assert_eq!(summary.periods(F, &periods).unwrap(), expected);
        prop_assert_eq!(CustomerSummary::validate_binary(&bytes), Ok(()));
    }

    #[test]
    fn binary_readers_accept_exactly_what_decode_accepts(
        mut bytes in prop::collection::vec(any::<u8>(), 0..64),
        versioned: bool,
        periods in prop::collection::vec(period(), 0..4),
    ) {
        if versioned && !bytes.is_empty() {
            bytes[0] = FORMAT_VERSION;
        }
        let decoded = CustomerSummary::decode(&bytes);
        let from_bytes = CustomerSummary::periods_of_binary(F, &bytes, &periods);
        prop_assert_eq!(CustomerSummary::validate_binary(&bytes), decoded.as_ref().map(|_| ()).map_err(Clone::clone));
        match decoded {
            Ok(mut summary) => prop_assert_eq!(from_bytes, summary.periods(F, &periods)),
            Err(error) => prop_assert_eq!(from_bytes, Err(error)),
        }
        // A malformed form is reported before an invalid period.
        let bad_period = [(5, 5)];
        let expected = CustomerSummary::decode(&bytes)
            .and_then(|mut summary| summary.periods(F, &bad_period));
        prop_assert!(expected.is_err());
        prop_assert_eq!(CustomerSummary::periods_of_binary(F, &bytes, &bad_period), expected);
    }

    #[test]
    fn encoding_reads_pending_rows_without_changing_the_answer(
        first in prop::collection::vec(any_row(), 0..70),
        second in prop::collection::vec(any_row(), 0..70),
        parts in prop::collection::vec(prop::collection::vec(small_row(), 0..30), 0..4),
    ) {
        // Encoding a summary with spans, pending rows and queued spans (from merges), then
        // going on adding, gives the bytes of one pass over every row.
        let mut summary = CustomerSummary::new();
        let mut all: Vec<Row> = Vec::new();
        for &(started_at, ended_at) in &first {
            summary.add(F, started_at, ended_at).unwrap();
        }
        all.extend(&first);
        for part in &parts {
            summary.merge(F, &super::tests::summary(part)).unwrap();
            all.extend(part);
        }
        let mid = summary.encode().unwrap();
        prop_assert_eq!(summary.encode().unwrap(), mid.clone());
        prop_assert_eq!(super::tests::summary(&all).encode().unwrap(), mid);
        for &(started_at, ended_at) in &second {
            summary.add(F, started_at, ended_at).unwrap();
        }
        all.extend(&second);
        let mut one_pass = super::tests::summary(&all);
        prop_assert_eq!(summary.encode().unwrap(), one_pass.encode().unwrap());
        prop_assert_eq!(summary.customers(), one_pass.customers());
        prop_assert_eq!(summary.to_text().unwrap(), one_pass.to_text().unwrap());
    }
}

/// An instant of a one-step row: mostly small, sometimes an infinity or an end of the range.
fn edge_instant() -> impl Strategy<Value = i64> {
    use crate::common::civil::{END_TIMESTAMP, MIN_TIMESTAMP};
    prop_oneof![
        8 => -20i64..20,
        1 => prop_oneof![
            Just(i64::MIN),
            Just(i64::MAX),
            Just(MIN_TIMESTAMP),
            Just(MIN_TIMESTAMP - 1),
            Just(END_TIMESTAMP - 1),
            Just(END_TIMESTAMP),
        ],
    ]
}

proptest! {
    #[test]
    fn in_place_add_equals_the_checked_add(
        rows in prop::collection::vec(
            (edge_instant(), prop::option::of(edge_instant()), edge_instant(), edge_instant()),
            0..40,
        ),
        start_rows in prop_oneof![Just(0u64), Just(u64::MAX - 1)],
    ) {
        // The working form's add (its branch-free path included) does what the state's add
        // does: the same counts, the same skipped rows, the same errors; an error changes
        // nothing.
        let mut state = PeriodState { rows: start_rows, ..PeriodState::default() };
        let mut flat = PeriodFlat::of(&state);
        for (started_at, ended_at, period_start, period_end) in rows {
            let row = CustomerRow { started_at, ended_at, period_start, period_end };
            let before = state;
            let expected = state.add(F, row, None);
            if expected.is_err() {
                state = before;
            }
            prop_assert_eq!(flat.add(F, row, None), expected);
            prop_assert_eq!(flat.state(), state);
        }
    }
}
