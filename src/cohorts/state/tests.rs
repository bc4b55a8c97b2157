//! Example-based tests of the cohort summary.
use std::collections::BTreeSet;

use super::*;
use crate::common::codec::Writer;

pub(super) const F: &str = "crm.cohort_agg";
pub(super) const DAY: i64 = 86_400_000_000;
const HOUR: i64 = 3_600_000_000;
pub(super) const PERIODS: [Period; 5] = [
    Period::Day,
    Period::Week,
    Period::Month,
    Period::Quarter,
    Period::Year,
];

/// Days since 2000-01-01 of a date.
fn date(y: i32, m: u32, d: u32) -> i32 {
    let epoch = chrono::NaiveDate::from_ymd_opt(2000, 1, 1).unwrap();
    (chrono::NaiveDate::from_ymd_opt(y, m, d).unwrap() - epoch).num_days() as i32
}

/// Raw timestamptz of a UTC wall-clock time.
fn ts(y: i32, m: u32, d: u32, h: i64) -> i64 {
    i64::from(date(y, m, d)) * DAY + h * HOUR
}

pub(super) fn zone(name: &str) -> Zone {
    Zone::parse(F, name).unwrap()
}

fn summary(period: Period, zone_name: &str, events: &[(i64, i64)]) -> CohortSummary {
    let mut s = CohortSummary::new(period, zone(zone_name), KeyKind::BigInt);
    for &(id, t) in events {
        s.add(F, key_from_bigint(id), t).unwrap();
    }
    s
}

pub(super) fn row(cohort: i32, k: i32, size: u64, active: u64) -> CohortRow {
    CohortRow {
        cohort,
        period_number: k,
        cohort_size: size,
        active_customers: active,
        retention_rate: active as f64 / size as f64,
    }
}

/// Five customers over January to April 2024, added out of order:
/// 1: Jan Feb Mar · 2: Jan Mar (skips Feb) · 3: Jan · 4: Feb Feb Apr · 5: Mar.
fn triangle() -> CohortSummary {
    summary(
        Period::Month,
        "UTC",
        &[
            (4, ts(2024, 4, 2, 9)),
            (1, ts(2024, 2, 10, 0)),
            (1, ts(2024, 1, 31, 23)),
            (2, ts(2024, 3, 1, 0)),
            (3, ts(2024, 1, 15, 12)),
            (4, ts(2024, 2, 3, 0)),
            (4, ts(2024, 2, 28, 0)),
            (2, ts(2024, 1, 2, 0)),
            (1, ts(2024, 3, 31, 23)),
            (5, ts(2024, 3, 5, 0)),
        ],
    )
}

#[test]
fn classic_retention_triangle() {
    let (jan, feb, mar) = (date(2024, 1, 1), date(2024, 2, 1), date(2024, 3, 1));
    assert_eq!(
        triangle().retention(RetentionMode::Classic).unwrap(),
        vec![
            row(jan, 0, 3, 3),
            row(jan, 1, 3, 1),
            row(jan, 2, 3, 2),
            row(jan, 3, 3, 0),
            row(feb, 0, 1, 1),
            row(feb, 1, 1, 0),
            row(feb, 2, 1, 1),
            row(mar, 0, 1, 1),
            row(mar, 1, 1, 0),
        ]
    );
    assert_eq!(triangle().retention_row_count(), 9);
}

#[test]
fn unbounded_retention_triangle() {
    let (jan, feb, mar) = (date(2024, 1, 1), date(2024, 2, 1), date(2024, 3, 1));
    assert_eq!(
        triangle().retention(RetentionMode::Unbounded).unwrap(),
        vec![
            row(jan, 0, 3, 3),
            row(jan, 1, 3, 2),
            row(jan, 2, 3, 2),
            row(jan, 3, 3, 0),
            row(feb, 0, 1, 1),
            row(feb, 1, 1, 1),
            row(feb, 2, 1, 1),
            row(mar, 0, 1, 1),
            row(mar, 1, 1, 0),
        ]
    );
}

#[test]
fn repeat_rate_and_customers() {
    let s = triangle();
    assert_eq!(s.customers(), 5);
    assert_eq!(s.repeat_rate(), Some(0.6));
    let empty = CohortSummary::new(Period::Month, Zone::utc(), KeyKind::BigInt);
    assert_eq!(empty.customers(), 0);
    assert_eq!(empty.repeat_rate(), None);
    assert!(empty.retention(RetentionMode::Classic).unwrap().is_empty());
    assert_eq!(empty.retention_row_count(), 0);
    // Two events in the same period are not a repeat.
    let same = summary(
        Period::Week,
        "UTC",
        &[(1, ts(2024, 1, 1, 0)), (1, ts(2024, 1, 7, 23))],
    );
    assert_eq!(same.repeat_rate(), Some(0.0));
}

#[test]
fn every_period_kind() {
    // 2023-01-01 (a Sunday) and 2023-01-02 (a Monday).
    let events = [(1, ts(2023, 1, 1, 12)), (2, ts(2023, 1, 2, 12))];
    let cohorts = |period| {
        summary(period, "UTC", &events)
            .retention(RetentionMode::Classic)
            .unwrap()
            .iter()
            .map(|r| (r.cohort, r.period_number, r.cohort_size, r.active_customers))
            .collect::<Vec<_>>()
    };
    let (sun, mon) = (date(2023, 1, 1), date(2023, 1, 2));
    assert_eq!(
        cohorts(Period::Day),
        vec![(sun, 0, 1, 1), (sun, 1, 1, 0), (mon, 0, 1, 1)]
    );
    let week = date(2022, 12, 26);
    assert_eq!(
        cohorts(Period::Week),
        vec![(week, 0, 1, 1), (week, 1, 1, 0), (mon, 0, 1, 1)]
    );
    assert_eq!(cohorts(Period::Month), vec![(sun, 0, 2, 2)]);
    assert_eq!(cohorts(Period::Quarter), vec![(sun, 0, 2, 2)]);
    assert_eq!(cohorts(Period::Year), vec![(sun, 0, 2, 2)]);
    // Quarters: a customer seen in February and in November.
    let s = summary(
        Period::Quarter,
        "UTC",
        &[(1, ts(2024, 2, 1, 0)), (1, ts(2024, 11, 30, 0))],
    );
    let rows = s.retention(RetentionMode::Classic).unwrap();
    assert_eq!(rows.len(), 4);
    assert_eq!(rows[0].cohort, date(2024, 1, 1));
    assert_eq!(
        rows.iter().map(|r| r.active_customers).collect::<Vec<_>>(),
        vec![1, 0, 0, 1]
    );
}

#[test]
fn binary_and_text_forms_are_pinned() {
    let s = summary(
        Period::Month,
        "UTC",
        &[
            (2, ts(2024, 1, 5, 0)),
            (1, ts(2024, 1, 6, 0)),
            (1, ts(2024, 3, 1, 0)),
        ],
    );
    assert_eq!(
        s.to_text().unwrap(),
        r#"{"version":1,"period":"month","time_zone":"UTC","key":"bigint","customers":[["1",[288,290]],["2",[288]]]}"#
    );
    // Version, period, zone name, key kind, customer count, then per customer (sorted by key)
    // the key delta, first period (zigzag), bitmap of later periods and spill length.
    assert_eq!(
        s.encode().unwrap(),
        vec![1, 2, 3, 85, 84, 67, 0, 2, 1, 192, 4, 5, 0, 0, 192, 4, 1, 0]
    );
}

#[test]
fn time_zone_decides_the_cohort() {
    // 23:30 UTC on New Year's Eve is already January in Berlin.
    let events = [
        (1, ts(2023, 12, 31, 23) + HOUR / 2),
        (2, ts(2024, 1, 1, 12)),
    ];
    let utc = summary(Period::Month, "UTC", &events)
        .retention(RetentionMode::Classic)
        .unwrap();
    assert_eq!(utc[0].cohort, date(2023, 12, 1));
    assert_eq!(utc.len(), 3);
    let berlin = summary(Period::Month, "Europe/Berlin", &events)
        .retention(RetentionMode::Classic)
        .unwrap();
    assert_eq!(berlin, vec![row(date(2024, 1, 1), 0, 2, 2)]);
    // 03:00 UTC on 2024-03-10 is still March 9th in New York; 05:00 is the 10th (EST).
    let ny = summary(
        Period::Day,
        "America/New_York",
        &[
            (1, ts(2024, 3, 10, 3)),
            (1, ts(2024, 3, 10, 5)),
            (2, ts(2024, 3, 11, 3)),
        ],
    );
    let rows = ny.retention(RetentionMode::Classic).unwrap();
    assert_eq!(rows[0].cohort, date(2024, 3, 9));
    assert_eq!(
        rows.iter().map(|r| r.active_customers).collect::<Vec<_>>(),
        vec![1, 1, 1]
    );
    // ... and 03:00 UTC on the 11th is the 10th (EDT started on the 10th).
    assert_eq!(rows[2].cohort, date(2024, 3, 10));
}

#[test]
fn key_kinds() {
    assert_eq!(key_from_bigint(42), 42);
    assert_eq!(key_from_bigint(-1), u128::from(u64::MAX));
    assert_eq!(key_from_text(b"alice"), key_from_text(b"alice"));
    assert_ne!(key_from_text(b"alice"), key_from_text(b"alicf"));
    assert_eq!(key_from_text(b""), xxhash_rust::xxh3::xxh3_128(b""));
    let uuid = [
        0x12, 0x3e, 0x45, 0x67, 0xe8, 0x9b, 0x12, 0xd3, 0xa4, 0x56, 0x42, 0x66, 0x14, 0x17, 0x40,
        0x00,
    ];
    assert_eq!(key_from_uuid(uuid), 0x123e4567_e89b_12d3_a456_426614174000);
    assert!(key_from_uuid([0; 16]) < key_from_uuid(uuid));

    let t = ts(2024, 1, 5, 0);
    let mut big = CohortSummary::new(Period::Month, Zone::utc(), KeyKind::BigInt);
    big.add(F, key_from_bigint(-7), t).unwrap();
    big.add(F, key_from_bigint(42), t + 40 * DAY).unwrap();
    assert_eq!(
        big.to_text().unwrap(),
        r#"{"version":1,"period":"month","time_zone":"UTC","key":"bigint","customers":[["42",[289]],["-7",[288]]]}"#
    );
    let err = big.add(F, key_from_uuid(uuid), t).unwrap_err();
    assert!(matches!(err, MetricError::InvalidParameter(m) if m.starts_with("crm.cohort_agg: ")));

    let mut by_uuid = CohortSummary::new(Period::Year, zone("Europe/Berlin"), KeyKind::Uuid);
    by_uuid.add(F, key_from_uuid(uuid), t).unwrap();
    assert_eq!(
        by_uuid.to_text().unwrap(),
        r#"{"version":1,"period":"year","time_zone":"Europe/Berlin","key":"uuid","customers":[["123e4567-e89b-12d3-a456-426614174000",[24]]]}"#
    );
    let mut by_text = CohortSummary::new(Period::Day, Zone::utc(), KeyKind::Text);
    by_text.add(F, key_from_text(b"alice"), t).unwrap();
    by_text.add(F, key_from_text(b"bob"), t).unwrap();
    by_text.add(F, key_from_text(b"alice"), t).unwrap();
    assert_eq!(by_text.customers(), 2);
    assert!(by_text
        .to_text()
        .unwrap()
        .contains(&format!("{:032x}", key_from_text(b"alice"))));
    for s in [&big, &by_uuid, &by_text] {
        let text = s.to_text().unwrap();
        assert_eq!(
            CohortSummary::from_text(&text).unwrap().to_text().unwrap(),
            text
        );
        assert_eq!(
            CohortSummary::decode(&s.encode().unwrap())
                .unwrap()
                .encode()
                .unwrap(),
            s.encode().unwrap()
        );
    }
}

#[test]
fn customers_spanning_many_periods() {
    // Every third day for 400 days, added backwards, then forwards again.
    let days: Vec<i64> = (0..400).step_by(3).collect();
    let mut s = CohortSummary::new(Period::Day, Zone::utc(), KeyKind::BigInt);
    for &d in days.iter().rev() {
        s.add(F, 9, d * DAY + HOUR).unwrap();
    }
    for &d in &days {
        s.add(F, 9, d * DAY).unwrap();
    }
    let expected: Vec<String> = days.iter().map(|d| d.to_string()).collect();
    assert_eq!(
        s.to_text().unwrap(),
        format!(
            r#"{{"version":1,"period":"day","time_zone":"UTC","key":"bigint","customers":[["9",[{}]]]}}"#,
            expected.join(",")
        )
    );
    let rows = s.retention(RetentionMode::Classic).unwrap();
    assert_eq!(rows.len(), 400);
    assert!(rows
        .iter()
        .all(|r| r.active_customers == u64::from(r.period_number % 3 == 0)));
    assert_eq!(s.repeat_rate(), Some(1.0));
    let back = CohortSummary::decode(&s.encode().unwrap()).unwrap();
    assert_eq!(back.to_text().unwrap(), s.to_text().unwrap());
    // Merging a shifted copy interleaves the periods.
    let mut other = CohortSummary::new(Period::Day, Zone::utc(), KeyKind::BigInt);
    for &d in &days {
        other.add(F, 9, (d - 200) * DAY).unwrap();
    }
    s.merge("crm.rollup", &other).unwrap();
    let mut all: BTreeSet<i64> = days.iter().copied().collect();
    all.extend(days.iter().map(|d| d - 200));
    let expected: Vec<String> = all.iter().map(|d| d.to_string()).collect();
    assert!(s
        .to_text()
        .unwrap()
        .ends_with(&format!("[{}]]]}}", expected.join(","))));
}

#[test]
fn error_cases() {
    assert_eq!(
        RetentionMode::parse("crm.cohort_retention", "classic").unwrap(),
        RetentionMode::Classic
    );
    assert_eq!(
        RetentionMode::parse("crm.cohort_retention", "UNBOUNDED").unwrap(),
        RetentionMode::Unbounded
    );
    assert_eq!(
        RetentionMode::parse("crm.cohort_retention", "rolling").unwrap_err(),
        MetricError::InvalidParameter(
            "crm.cohort_retention: unknown retention mode 'rolling' (expected classic or unbounded)".into()
        )
    );
    assert!(matches!(
        Period::parse(F, "fortnight"),
        Err(MetricError::InvalidParameter(_))
    ));
    assert!(matches!(
        Zone::parse(F, "Europe/Atlantis"),
        Err(MetricError::InvalidParameter(_))
    ));

    let mut s = CohortSummary::new(Period::Month, zone("Europe/Berlin"), KeyKind::BigInt);
    for t in [i64::MIN, i64::MAX] {
        let err = s.add(F, 1, t).unwrap_err();
        assert!(
            matches!(err, MetricError::DatetimeOverflow(m) if m.starts_with("crm.cohort_agg: "))
        );
    }
    assert_eq!(s.customers(), 0);

    let base = CohortSummary::new(Period::Month, Zone::utc(), KeyKind::BigInt);
    let others = [
        CohortSummary::new(Period::Week, Zone::utc(), KeyKind::BigInt),
        CohortSummary::new(Period::Month, zone("Europe/Berlin"), KeyKind::BigInt),
        CohortSummary::new(Period::Month, Zone::utc(), KeyKind::Text),
    ];
    for other in &others {
        let err = base.clone().merge("crm.rollup", other).unwrap_err();
        assert!(
            matches!(err, MetricError::InvalidParameter(ref m) if m.starts_with("crm.rollup: cannot merge")),
            "{err}"
        );
    }
    assert_eq!(
        base.clone().merge("crm.rollup", &others[1]).unwrap_err().to_string(),
        "crm.rollup: cannot merge cohort summaries with different time zones (UTC and Europe/Berlin)"
    );
    // Aliases of a zone are the same zone.
    let mut gmt = CohortSummary::new(Period::Month, zone("Etc/GMT"), KeyKind::BigInt);
    gmt.merge("crm.rollup", &base).unwrap();
}

#[test]
fn malformed_binary() {
    let good = triangle().encode().unwrap();
    let bad = |bytes: &[u8]| {
        matches!(
            CohortSummary::decode(bytes),
            Err(MetricError::InvalidBinary(_))
        )
    };
    assert!(bad(&[]));
    assert!(bad(&[2]));
    for len in 1..good.len() {
        assert!(bad(&good[..len]), "truncated at {len}");
    }
    let mut trailing = good.clone();
    trailing.push(0);
    assert!(bad(&trailing));
    let mut period = good.clone();
    period[1] = 9;
    assert!(bad(&period));
    let mut forged = Writer::with_version(FORMAT_VERSION);
    forged.u8(2).bytes(b"UTC").u8(0).u64(u64::MAX);
    assert!(bad(&forged.finish("t").unwrap()));
    let mut zone = Writer::with_version(FORMAT_VERSION);
    zone.u8(2).bytes(b"Mars/Base").u8(0).u64(0);
    assert!(bad(&zone.finish("t").unwrap()));
    let mut kind = Writer::with_version(FORMAT_VERSION);
    kind.u8(2).bytes(b"UTC").u8(7).u64(0);
    assert!(bad(&kind.finish("t").unwrap()));
    let customer = |first: i64, bits: u64, spill: &[u64]| {
        let mut w = Writer::with_version(FORMAT_VERSION);
        w.u8(2)
            .bytes(b"UTC")
            .u8(0)
            .u64(1)
            .u8(5)
            .i64(first)
            .u64(bits)
            .u64(spill.len() as u64);
        for &gap in spill {
            w.u64(gap);
        }
        CohortSummary::decode(&w.finish("t").unwrap())
    };
    assert!(customer(288, 0b101, &[]).is_ok());
    assert!(customer(288, 0b101, &[0, 7]).is_ok());
    assert!(customer(288, 0b100, &[]).is_err());
    assert!(customer(i64::from(i32::MAX), 1, &[]).is_err());
    assert!(customer(Period::Month.index_range().1.into(), 0b11, &[]).is_err());
    assert!(customer(288, 1, &[u64::MAX]).is_err());
    assert!(customer(288, 1, &[1 << 40]).is_err());
    let mut big_key = Writer::with_version(FORMAT_VERSION);
    big_key.u8(2).bytes(b"UTC").u8(0).u64(1);
    big_key.u128(1 << 64);
    big_key.i64(0).u64(1).u64(0);
    assert!(bad(&big_key.finish("t").unwrap()));
    let mut long_key = Writer::with_version(FORMAT_VERSION);
    long_key.u8(2).bytes(b"UTC").u8(1).u64(1);
    for _ in 0..19 {
        long_key.u8(0xff);
    }
    long_key.u8(0).i64(0).u64(1).u64(0);
    assert!(bad(&long_key.finish("t").unwrap()));
}

#[test]
fn malformed_text() {
    let bad = |text: &str| match CohortSummary::from_text(text) {
        Err(MetricError::InvalidText(m)) => {
            assert!(m.starts_with("crm.cohort_summary: "), "{m}")
        }
        other => panic!("{text}: {other:?}"),
    };
    let ok = r#"{"version":1,"period":"month","time_zone":"UTC","key":"bigint","customers":[["42",[290,288]]]}"#;
    assert_eq!(
        CohortSummary::from_text(ok).unwrap().to_text().unwrap(),
        r#"{"version":1,"period":"month","time_zone":"UTC","key":"bigint","customers":[["42",[288,290]]]}"#
    );
    bad("");
    bad("{}");
    bad("[1]");
    bad(&ok.replace("\"version\":1", "\"version\":2"));
    bad(&ok.replace("month", "fortnight"));
    bad(&ok.replace("UTC", "Mars/Base"));
    bad(&ok.replace("bigint", "float"));
    bad(&ok.replace("\"42\"", "\"4x2\""));
    bad(&ok.replace("[290,288]", "[]"));
    // Periods outside the range of dates are 22008 (11468944-01-10 read back).
    let out_of_dates = |text: &str| match CohortSummary::from_text(text) {
        Err(MetricError::DatetimeOverflow(m)) => {
            assert!(m.starts_with("crm.cohort_summary: "), "{m}")
        }
        other => panic!("{text}: {other:?}"),
    };
    out_of_dates(&ok.replace("[290,288]", "[290,99999999999]"));
    out_of_dates(&ok.replace("[290,288]", "[290,137627088]"));
    out_of_dates(&ok.replace("[290,288]", "[-80570,290]"));
    let (low, high) = Period::Month.index_range();
    assert!(CohortSummary::from_text(&ok.replace("[290,288]", &format!("[{low},{high}]"))).is_ok());
    out_of_dates(&ok.replace("[290,288]", &format!("[{}]", low - 1)));
    out_of_dates(&ok.replace("[290,288]", &format!("[{}]", high + 1)));
    bad(&ok.replace("[290,288]", "[290,\"a\"]"));
    bad(&ok.replace("]]]}", "]],[\"42\",[1]]]}"));
    bad(&ok.replace("}", ",\"extra\":0}"));
    bad(&ok.replace("bigint", "uuid"));
    bad(&ok.replace("bigint", "text"));
    let uuid = ok.replace("bigint", "uuid");
    assert!(CohortSummary::from_text(
        &uuid.replace("\"42\"", "\"123e4567-e89b-12d3-a456-426614174000\"")
    )
    .is_ok());
    bad(&uuid.replace("\"42\"", "\"123e4567+e89b-12d3-a456-426614174000\""));
    bad(&uuid.replace("\"42\"", "\"123e4567-e89b-12d3-a456-42661417400g\""));
    bad(&uuid.replace("\"42\"", "\"+23e4567-e89b-12d3-a456-426614174000\""));
}

#[test]
fn rollup_of_daily_summaries_in_any_order_matches_one_pass() {
    // 1,000 daily summaries of customers active every day, merged in shuffled
    // order (merges leave the spills unsorted; reads sort them once). Its speed is measured
    // by the rollup case of benches/bench.py.
    let days: i64 = 1000;
    let mut order: Vec<i64> = (0..days).collect();
    let mut seed = 12345u64;
    for i in (1..order.len()).rev() {
        seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        order.swap(i, (seed >> 33) as usize % (i + 1));
    }
    let daily = |day: i64| {
        let mut s = CohortSummary::new(Period::Day, Zone::utc(), KeyKind::BigInt);
        for id in 0..300 {
            s.add(F, key_from_bigint(id), day * DAY + id).unwrap();
        }
        s
    };
    let mut rolled = CohortSummary::new(Period::Day, Zone::utc(), KeyKind::BigInt);
    for &day in &order {
        rolled.merge(F, &daily(day)).unwrap();
    }
    assert_spill_count(&rolled.customers.borrow());
    let rows = rolled.retention(RetentionMode::Classic).unwrap();
    assert_spill_count(&rolled.customers.borrow());
    assert_eq!(rolled.customers(), 300);
    assert_eq!(rows.len(), days as usize);
    assert!(rows.iter().all(|row| row.active_customers == 300));
    let mut whole = CohortSummary::new(Period::Day, Zone::utc(), KeyKind::BigInt);
    for day in 0..days {
        for id in 0..300 {
            whole.add(F, key_from_bigint(id), day * DAY + id).unwrap();
        }
    }
    assert_eq!(rolled.encode().unwrap(), whole.encode().unwrap());
    assert_spill_count(&whole.settled());
    let decoded = CohortSummary::decode(&whole.encode().unwrap()).unwrap();
    assert_spill_count(&decoded.settled());
    // The 936 days past each customer's 64-day window count against the memory bound.
    assert!(
        whole.heap_bytes() >= 300 * 936 * 4,
        "{}",
        whole.heap_bytes()
    );
}

/// The spilled periods the memory bound counts are the periods in the spills.
fn assert_spill_count(customers: &table::Customers) {
    let periods: usize = customers.spills.iter().map(Vec::len).sum();
    assert_eq!(customers.spilled, periods);
}

#[test]
fn rows_of_another_customer_id_type_are_refused() {
    let by_bigint = CohortSummary::new(Period::Month, Zone::utc(), KeyKind::BigInt);
    assert!(by_bigint.expect_key_kind(F, KeyKind::BigInt).is_ok());
    assert_eq!(
        by_bigint.expect_key_kind(F, KeyKind::Uuid),
        Err(MetricError::InvalidParameter(
            "crm.cohort_agg: cannot add a uuid customer id to a summary of bigint customer ids"
                .into()
        ))
    );
}
