//! Tests against a brute-force model, with random events.
use std::collections::{BTreeMap, BTreeSet};

use proptest::prelude::*;

use super::tests::{row, zone, DAY, F, PERIODS};
use super::*;
use crate::common::periods::{period_index, period_start_date};

#[test]
fn many_customers_match_the_model() {
    let mut state = 0x1234_5678_9ABC_DEF1u64;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    for (period, customers, days) in [(Period::Month, 5_000, 1_100), (Period::Day, 300, 150)] {
        let events: Vec<(u128, i64)> = (0..30_000)
            .map(|_| {
                let id = (next() % customers) as i64 - 100;
                (key_from_bigint(id), (next() % (days * DAY as u64)) as i64)
            })
            .collect();
        let zone = zone("America/New_York");
        let s = build(period, &zone, KeyKind::BigInt, &events);
        let m = model(period, &zone, &events);
        assert_eq!(s.customers(), m.len() as u64);
        for mode in [RetentionMode::Classic, RetentionMode::Unbounded] {
            assert_eq!(s.retention(mode).unwrap(), model_rows(period, &m, mode));
        }
        let back = CohortSummary::decode(&s.encode().unwrap()).unwrap();
        assert_eq!(back.to_text().unwrap(), s.to_text().unwrap());
        let mut doubled = back.clone();
        doubled.merge(F, &s).unwrap();
        assert_eq!(doubled.encode().unwrap(), s.encode().unwrap());
    }
}

// ---- property tests against a brute-force model ----

type Model = BTreeMap<u128, BTreeSet<i32>>;

fn model(period: Period, zone: &Zone, events: &[(u128, i64)]) -> Model {
    let mut m = Model::new();
    for &(key, t) in events {
        m.entry(key)
            .or_default()
            .insert(period_index(F, period, zone, t).unwrap());
    }
    m
}

fn model_rows(period: Period, m: &Model, mode: RetentionMode) -> Vec<CohortRow> {
    let Some(last) = m.values().filter_map(|s| s.last().copied()).max() else {
        return Vec::new();
    };
    let cohorts: BTreeSet<i32> = m.values().map(|s| *s.first().unwrap()).collect();
    let mut rows = Vec::new();
    for c in cohorts {
        let members: Vec<&BTreeSet<i32>> =
            m.values().filter(|s| *s.first().unwrap() == c).collect();
        for k in 0..=(last - c) {
            let active = members
                .iter()
                .filter(|s| match mode {
                    RetentionMode::Classic => s.contains(&(c + k)),
                    RetentionMode::Unbounded => *s.last().unwrap() >= c + k,
                })
                .count() as u64;
            rows.push(row(
                period_start_date(period, c),
                k,
                members.len() as u64,
                active,
            ));
        }
    }
    rows
}

fn build(period: Period, zone: &Zone, kind: KeyKind, events: &[(u128, i64)]) -> CohortSummary {
    let mut s = CohortSummary::new(period, zone.clone(), kind);
    for &(key, t) in events {
        s.add(F, key, t).unwrap();
    }
    s
}

fn any_period() -> impl Strategy<Value = Period> {
    prop::sample::select(PERIODS.to_vec())
}

fn any_zone() -> impl Strategy<Value = Zone> {
    prop::sample::select(vec!["UTC", "Europe/Berlin", "America/New_York"]).prop_map(zone)
}

/// Events of a few customers (bigint keys, negatives included) within ±400 days
/// of 2000-01-01, so that day periods spill past the 64-bit window.
fn any_events() -> impl Strategy<Value = Vec<(u128, i64)>> {
    prop::collection::vec(
        (-6i64..20, -400 * DAY..400 * DAY).prop_map(|(id, t)| (key_from_bigint(id), t)),
        0..120,
    )
}

proptest! {
    #[test]
    fn retention_matches_brute_force(period in any_period(), zone in any_zone(), events in any_events()) {
        let s = build(period, &zone, KeyKind::BigInt, &events);
        let m = model(period, &zone, &events);
        for mode in [RetentionMode::Classic, RetentionMode::Unbounded] {
            let rows = s.retention(mode).unwrap();
            prop_assert_eq!(rows.len() as u64, s.retention_row_count());
            prop_assert_eq!(rows, model_rows(period, &m, mode));
        }
        prop_assert_eq!(s.customers(), m.len() as u64);
        let repeat = m.values().filter(|p| p.len() >= 2).count();
        prop_assert_eq!(s.repeat_rate(), (!m.is_empty()).then(|| repeat as f64 / m.len() as f64));
    }

    #[test]
    fn split_and_merge_equals_one_pass(
        period in any_period(),
        zone in any_zone(),
        events in any_events(),
        parts in prop::collection::vec(0usize..3, 120),
    ) {
        let mut split = [Vec::new(), Vec::new(), Vec::new()];
        for (i, &event) in events.iter().enumerate() {
            split[parts[i]].push(event);
        }
        let [a, b, c] = split.map(|e| build(period, &zone, KeyKind::BigInt, &e));
        let whole = build(period, &zone, KeyKind::BigInt, &events).encode().unwrap();
        // (a ∪ b) ∪ c
        let mut left = a.clone();
        left.merge(F, &b).unwrap();
        left.merge(F, &c).unwrap();
        // a ∪ (b ∪ c)
        let mut bc = b.clone();
        bc.merge(F, &c).unwrap();
        let mut right = a.clone();
        right.merge(F, &bc).unwrap();
        // c ∪ b ∪ a
        let mut reversed = c.clone();
        reversed.merge(F, &b).unwrap();
        reversed.merge(F, &a).unwrap();
        prop_assert_eq!(&left.encode().unwrap(), &whole);
        prop_assert_eq!(&right.encode().unwrap(), &whole);
        prop_assert_eq!(&reversed.encode().unwrap(), &whole);
        // Commutativity of a single merge.
        let mut ab = a.clone();
        ab.merge(F, &b).unwrap();
        let mut ba = b.clone();
        ba.merge(F, &a).unwrap();
        prop_assert_eq!(ab.encode().unwrap(), ba.encode().unwrap());
        // Merging into an empty summary and with itself changes nothing.
        let mut empty = CohortSummary::new(period, zone.clone(), KeyKind::BigInt);
        empty.merge(F, &left).unwrap();
        empty.merge(F, &left.clone()).unwrap();
        prop_assert_eq!(empty.encode().unwrap(), whole);
    }

    #[test]
    fn rollup_of_many_parts_in_any_order_equals_one_pass(
        period in any_period(),
        events in any_events(),
        later in any_events(),
        parts in prop::collection::vec(0usize..12, 120),
        order in Just((0usize..12).collect::<Vec<_>>()).prop_shuffle(),
    ) {
        // Merges leave spills unsorted until read; adds after merges must still be exact.
        let zone = Zone::utc();
        let mut split: Vec<Vec<(u128, i64)>> = vec![Vec::new(); 12];
        for (i, &event) in events.iter().enumerate() {
            split[parts[i]].push(event);
        }
        let mut rolled = CohortSummary::new(period, zone.clone(), KeyKind::BigInt);
        for &part in &order {
            rolled.merge(F, &build(period, &zone, KeyKind::BigInt, &split[part])).unwrap();
        }
        for &(key, at) in &later {
            rolled.add(F, key, at).unwrap();
        }
        let all: Vec<(u128, i64)> = events.iter().chain(&later).copied().collect();
        prop_assert_eq!(rolled.encode().unwrap(), build(period, &zone, KeyKind::BigInt, &all).encode().unwrap());
    }

    #[test]
    fn binary_and_text_round_trip(
        period in any_period(),
        zone in any_zone(),
        kind in prop::sample::select(vec![KeyKind::BigInt, KeyKind::Text, KeyKind::Uuid]),
        keys in prop::collection::vec(any::<u128>(), 1..8),
        events in prop::collection::vec((0usize..8, -400 * DAY..400 * DAY), 0..80),
    ) {
        let key = |i: usize| {
            let k = keys[i % keys.len()];
            if kind == KeyKind::BigInt { k & u128::from(u64::MAX) } else { k }
        };
        let events: Vec<(u128, i64)> = events.iter().map(|&(i, t)| (key(i), t)).collect();
        let s = build(period, &zone, kind, &events);
        let bytes = s.encode().unwrap();
        let decoded = CohortSummary::decode(&bytes).unwrap();
        prop_assert_eq!(decoded.encode().unwrap(), bytes.clone());
        prop_assert_eq!(decoded.retention(RetentionMode::Classic).unwrap(), s.retention(RetentionMode::Classic).unwrap());
        let text = s.to_text().unwrap();
        let parsed = CohortSummary::from_text(&text).unwrap();
        prop_assert_eq!(parsed.to_text().unwrap(), text);
        prop_assert_eq!(parsed.encode().unwrap(), bytes);
    }

    #[test]
    fn decode_of_random_bytes_never_panics(bytes in prop::collection::vec(any::<u8>(), 0..200)) {
        let _ = CohortSummary::decode(&bytes);
        let mut versioned = bytes.clone();
        versioned.insert(0, FORMAT_VERSION);
        if let Ok(s) = CohortSummary::decode(&versioned) {
            let _ = (s.retention(RetentionMode::Unbounded).unwrap(), s.to_text().unwrap(), s.repeat_rate());
        }
    }

    #[test]
    fn decode_of_corrupted_states_never_panics(
        events in any_events(),
        flips in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..4),
    ) {
        let mut bytes = build(Period::Day, &Zone::utc(), KeyKind::BigInt, &events).encode().unwrap();
        for (at, value) in flips {
            let i = at.index(bytes.len());
            bytes[i] = value;
        }
        if let Ok(s) = CohortSummary::decode(&bytes) {
            // Whatever decodes is a consistent state.
            prop_assert_eq!(CohortSummary::decode(&s.encode().unwrap()).unwrap().encode().unwrap(), s.encode().unwrap());
            prop_assert_eq!(CohortSummary::from_text(&s.to_text().unwrap()).unwrap().encode().unwrap(), s.encode().unwrap());
            let _ = s.retention(RetentionMode::Classic).unwrap();
        }
    }

    #[test]
    fn from_text_of_random_text_never_panics(text in ".{0,200}") {
        let _ = CohortSummary::from_text(&text);
    }
}

// Reading the binary form in place (speed): `crm.cohort_retention` counts the
// triangle straight from the bytes.
proptest! {
    #[test]
    fn retention_of_binary_equals_retention(
        period in any_period(),
        zone in any_zone(),
        events in any_events(),
        max_rows in 0u64..400,
    ) {
        let s = build(period, &zone, KeyKind::BigInt, &events);
        let bytes = s.encode().unwrap();
        let row_count = s.retention_row_count();
        for mode in [RetentionMode::Classic, RetentionMode::Unbounded] {
            let unbounded = CohortSummary::retention_of_binary(&bytes, u64::MAX).unwrap().unwrap();
            prop_assert_eq!(unbounded.rows(mode).unwrap(), s.retention(mode).unwrap());
            // Within the bound, the same rows; past it, the row count and no rows.
            match CohortSummary::retention_of_binary(&bytes, max_rows).unwrap() {
                Ok(table) => {
                    prop_assert!(row_count <= max_rows);
                    prop_assert_eq!(table.rows(mode).unwrap(), s.retention(mode).unwrap());
                }
                Err(rows) => {
                    prop_assert!(row_count > max_rows);
                    prop_assert_eq!(rows, row_count);
                }
            }
        }
    }

    #[test]
    fn retention_of_binary_accepts_exactly_what_decode_accepts(
        events in any_events(),
        flips in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 0..4),
        cut in any::<prop::sample::Index>(),
        truncate: bool,
    ) {
        let mut bytes = build(Period::Day, &Zone::utc(), KeyKind::BigInt, &events).encode().unwrap();
        for (at, value) in flips {
            let i = at.index(bytes.len());
            bytes[i] = value;
        }
        if truncate {
            bytes.truncate(cut.index(bytes.len() + 1));
        }
        let from_bytes = CohortSummary::retention_of_binary(&bytes, u64::MAX);
        match CohortSummary::decode(&bytes) {
            Ok(s) => {
                let table = from_bytes.unwrap().unwrap();
                prop_assert_eq!(table.rows(RetentionMode::Classic).unwrap(), s.retention(RetentionMode::Classic).unwrap());
            }
            Err(error) => prop_assert_eq!(from_bytes.unwrap_err(), error),
        }
    }
}
