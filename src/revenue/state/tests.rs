//! Unit and property tests of recurring-revenue summaries.
use super::*;
use crate::common::keys::{key_from_bigint, key_from_text};
use crate::common::periods::{period_start_date, Period};
use chrono::NaiveDate;
use proptest::prelude::*;
use std::collections::BTreeMap;
use std::str::FromStr;

const F: &str = "crm.mrr_agg";

fn d(text: &str) -> Decimal {
    Decimal::from_str(text).unwrap()
}

/// Postgres date of the first of a month.
fn first_of(year: i32, month: u32) -> i32 {
    let date = NaiveDate::from_ymd_opt(year, month, 1).unwrap();
    (date - NaiveDate::from_ymd_opt(2000, 1, 1).unwrap()).num_days() as i32
}

/// Found by the generators: the binary form of a bigint summary accepted keys past
/// 64 bits, which its text form printed as another customer's id.
#[test]
fn binary_bigint_keys_must_be_bigints() {
    let mut one = summary(&[(5, 2025, 1, "20")]);
    let good = one.encode().unwrap();
    assert!(MrrSummary::decode(&good).is_ok());
    // Version, id type, month flag and range (two zigzag varints), row count, then the
    // first row's key delta: low half, high half.
    let high_half = 1 + 1 + 1 + 2 + 2 + 1 + 1;
    assert_eq!((good[high_half - 1], good[high_half]), (5, 0));
    let mut forged = good.clone();
    forged[high_half] = 1;
    assert!(matches!(
        MrrSummary::decode(&forged),
        Err(MetricError::InvalidBinary(m)) if m.contains("not a bigint")
    ));
}

/// Found by the hostile-input tests: a summary with a month past year 262142
/// (chrono's last) printed the month as `day N`, which its own text input refused, so such a
/// summary could not be dumped and restored. Every month a timestamp holds round-trips now,
/// and the signed forms printed before still read.
#[test]
fn every_month_round_trips_through_the_text_form() {
    let (low, high) = Period::Month.index_range();
    for index in [
        low,
        low + 1,
        -1,
        0,
        1,
        95_988,
        96_000,
        3_143_000,
        high - 1,
        high,
    ] {
        let day = period_start_date(Period::Month, index);
        let mut one = MrrSummary::new(KeyKind::BigInt);
        one.add(F, key_from_bigint(1), day, d("1.5")).unwrap();
        let text = one.to_text().unwrap();
        let mut again = MrrSummary::from_text(&text).unwrap();
        assert_eq!(again.to_text().unwrap(), text);
        assert_eq!(again.encode().unwrap(), one.encode().unwrap());
        assert_eq!(
            parse_date_text(&date_text(day)),
            Some(i64::from(day)),
            "{text}"
        );
    }
    assert_eq!(
        date_text(period_start_date(Period::Month, high)),
        "+294277-01-01"
    );
    assert_eq!(
        date_text(period_start_date(Period::Month, low)),
        "-4713-12-01"
    );
    assert_eq!(date_text(first_of(2025, 3)), "2025-03-01");
    assert_eq!(date_text(first_of(20_000, 1)), "+20000-01-01");
    assert_eq!(date_text(first_of(5, 1)), "0005-01-01");
    assert_eq!(date_text(first_of(-5, 1)), "-0005-01-01");
    for text in [
        "2025-02-30",
        "2025-13-01",
        "2025-00-01",
        "x-01-01",
        "2025-01",
        "2025-01-01-01",
        "",
        "-",
        "+-1-01-01",
    ] {
        assert_eq!(parse_date_text(text), None, "{text}");
    }
    assert!(matches!(
        month_of_date(F, "month", period_start_date(Period::Month, high) + 31),
        Err(MetricError::InvalidParameter(m)) if m.contains("outside the months")
    ));
    let text = r#"{"version":1,"key":"bigint","first_month":"2025-01-01","last_month":"2025-01-01","customers":[["5",[["2025-01-01","-20"]]]]}"#;
    assert_eq!(
        MrrSummary::from_text(text).unwrap_err(),
        MetricError::InvalidText("crm.mrr_summary: mrr -20 is negative".to_owned())
    );
}

fn summary(rows: &[(i64, i32, u32, &str)]) -> MrrSummary {
    let mut summary = MrrSummary::new(KeyKind::BigInt);
    for &(id, year, month, mrr) in rows {
        summary
            .add(F, key_from_bigint(id), first_of(year, month), d(mrr))
            .unwrap();
    }
    summary
}

fn check_balance(movements: &[Movement]) {
    for row in movements {
        assert_eq!(
            row.ending_mrr,
            row.starting_mrr + row.new_mrr + row.expansion_mrr + row.reactivation_mrr
                - row.contraction_mrr
                - row.churned_mrr
        );
        assert_eq!(
            row.customers_at_end,
            row.customers_at_start + row.new_customers + row.reactivated_customers
                - row.churned_customers
        );
    }
}

#[test]
fn movements_of_a_small_history() {
    // 1: 100 → 150 (expansion) → 120 (contraction) → gap (churn) → 80 (reactivation)
    // 2: duplicates in January add up (50 + 50), churns in March
    // 3: only ever pays 0 (explicit zero rows)
    // 4: new in April
    let mut s = summary(&[
        (1, 2025, 1, "100"),
        (1, 2025, 2, "150"),
        (1, 2025, 3, "120"),
        (1, 2025, 5, "80"),
        (2, 2025, 1, "50"),
        (2, 2025, 1, "50.00"),
        (2, 2025, 2, "100"),
        (2, 2025, 3, "0"),
        (3, 2025, 2, "0"),
        (3, 2025, 5, "0"),
        (4, 2025, 4, "30"),
    ]);
    let movements = s.movements(F).unwrap();
    check_balance(&movements);
    let months: Vec<_> = movements.iter().map(|m| date_text(m.month)).collect();
    assert_eq!(
        months,
        [
            "2025-01-01",
            "2025-02-01",
            "2025-03-01",
            "2025-04-01",
            "2025-05-01"
        ]
    );
    let january = &movements[0];
    assert_eq!(
        (january.new_mrr, january.new_customers, january.ending_mrr),
        (d("200"), 2, d("200"))
    );
    let february = &movements[1];
    assert_eq!(
        (february.expansion_mrr, february.ending_mrr),
        (d("50"), d("250"))
    );
    let march = &movements[2];
    assert_eq!(
        (
            march.contraction_mrr,
            march.churned_mrr,
            march.churned_customers
        ),
        (d("30"), d("100"), 1)
    );
    let april = &movements[3];
    assert_eq!(
        (april.churned_mrr, april.new_mrr, april.ending_mrr),
        (d("120"), d("30"), d("30"))
    );
    let may = &movements[4];
    assert_eq!(
        (
            may.reactivation_mrr,
            may.reactivated_customers,
            may.churned_mrr,
            may.ending_mrr,
            may.customers_at_end
        ),
        // 1 comes back; 4 paid only in April and churns
        (d("80"), 1, d("30"), d("80"), 1)
    );
}

#[test]
fn revenue_retention() {
    let mut s = summary(&[
        (1, 2025, 1, "100"),
        (1, 2025, 4, "150"),
        (2, 2025, 1, "100"),
        (2, 2025, 4, "50"),
        (3, 2025, 1, "100"),
        (4, 2025, 4, "1000"),
    ]);
    let (jan, apr) = (first_of(2025, 1), first_of(2025, 4));
    let nrr = s.net_revenue_retention(jan, apr).unwrap().unwrap();
    assert!((nrr - 200.0 / 300.0).abs() < 1e-15);
    assert_eq!(
        s.gross_revenue_retention(jan, apr).unwrap(),
        Some(150.0 / 300.0)
    );
    assert_eq!(s.net_revenue_retention(jan, jan).unwrap(), Some(1.0));
    assert_eq!(
        s.net_revenue_retention(first_of(2024, 1), apr).unwrap(),
        None
    );
    assert!(matches!(
        s.net_revenue_retention(apr, jan),
        Err(MetricError::InvalidParameter(_))
    ));
    assert!(matches!(
        s.gross_revenue_retention(jan + 1, apr),
        Err(MetricError::InvalidParameter(_))
    ));
}

#[test]
fn bad_rows() {
    let mut s = MrrSummary::new(KeyKind::BigInt);
    assert!(matches!(
        s.add(F, 1, first_of(2025, 1) + 14, d("1")),
        Err(MetricError::InvalidParameter(_))
    ));
    for day in [i32::MIN, i32::MAX, i32::MAX - 40] {
        assert!(matches!(
            s.add(F, 1, day, d("1")),
            Err(MetricError::InvalidParameter(_))
        ));
    }
    assert!(matches!(
        s.add(F, 1, first_of(2025, 1), d("-0.01")),
        Err(MetricError::OutOfRange(_))
    ));
    s.add(F, 1, first_of(2025, 1), Decimal::MAX).unwrap();
    s.add(F, 1, first_of(2025, 1), d("1")).unwrap();
    assert!(matches!(s.settle(F), Err(MetricError::OutOfRange(_))));
    let mut text = MrrSummary::new(KeyKind::Text);
    assert!(text.merge(F, &MrrSummary::new(KeyKind::BigInt)).is_err());
    // A row of another id type (a transition called with another aggregate's state).
    assert_eq!(
        text.expect_key_kind(F, KeyKind::Uuid),
        Err(MetricError::InvalidParameter(
            "crm.mrr_agg: cannot add a uuid customer id to a summary of text customer ids".into()
        ))
    );
    assert!(text.expect_key_kind(F, KeyKind::Text).is_ok());
}

#[test]
fn the_row_bound_is_a_clean_error() {
    let january = first_of(2025, 1);
    let mut distinct = MrrSummary::new(KeyKind::BigInt);
    for id in 0..MAX_ROWS as i64 {
        distinct
            .add(F, key_from_bigint(id), january, d("1"))
            .unwrap();
    }
    assert!(distinct.rows.capacity() <= MAX_ROWS);
    assert!(matches!(
        distinct.add(F, key_from_bigint(-1), january, d("1")),
        Err(MetricError::OutOfRange(_))
    ));
    let mut other = MrrSummary::new(KeyKind::BigInt);
    other.add(F, key_from_bigint(-1), january, d("1")).unwrap();
    assert!(matches!(
        distinct.merge(F, &other),
        Err(MetricError::OutOfRange(_))
    ));
    // Rows of one customer-month merge when the bound is reached.
    let mut repeated = MrrSummary::new(KeyKind::BigInt);
    for _ in 0..3 * MAX_ROWS {
        repeated.add(F, 1, january, d("1")).unwrap();
        assert!(repeated.rows.capacity() <= MAX_ROWS);
    }
    let ending = repeated.movements(F).unwrap()[0].ending_mrr;
    assert_eq!(ending, Decimal::from(3 * MAX_ROWS));
}

#[test]
fn text_and_binary_forms_round_trip() {
    let mut s = summary(&[
        (42, 2025, 1, "100.00"),
        (42, 2025, 2, "120.00"),
        (-7, 2025, 3, "0"),
        (7, 2025, 2, "9.5"),
    ]);
    let text = s.to_text().unwrap();
    assert_eq!(
        text,
        r#"{"version":1,"key":"bigint","first_month":"2025-01-01","last_month":"2025-03-01","customers":[["7",[["2025-02-01","9.5"]]],["42",[["2025-01-01","100.00"],["2025-02-01","120.00"]]]]}"#
    );
    let mut back = MrrSummary::from_text(&text).unwrap();
    assert_eq!(back.to_text().unwrap(), text);
    let mut decoded = MrrSummary::decode(&s.encode().unwrap()).unwrap();
    assert_eq!(decoded.to_text().unwrap(), text);
    let mut empty = MrrSummary::new(KeyKind::Uuid);
    let empty_text = empty.to_text().unwrap();
    assert_eq!(
        MrrSummary::from_text(&empty_text)
            .unwrap()
            .to_text()
            .unwrap(),
        empty_text
    );
    assert!(MrrSummary::decode(&empty.encode().unwrap())
        .unwrap()
        .is_empty());
    for bad in [
        "",
        "{}",
        r#"{"version":1,"key":"bigint","first_month":"2025-01-15","last_month":"2025-03-01","customers":[]}"#,
        r#"{"version":1,"key":"bigint","first_month":"2025-02-01","last_month":"2025-03-01","customers":[["7",[["2025-01-01","1"]]]]}"#,
        r#"{"version":1,"key":"bigint","first_month":"2025-01-01","last_month":"2025-03-01","customers":[["x",[]]]}"#,
        r#"{"version":1,"key":"bigint","first_month":"2025-01-01","last_month":"2025-03-01","customers":[["7",[["2025-01-01","-1"]]]]}"#,
        r#"{"version":1,"key":"float","first_month":null,"last_month":null,"customers":[]}"#,
        r#"{"version":2,"key":"bigint","first_month":null,"last_month":null,"customers":[]}"#,
    ] {
        assert!(
            matches!(MrrSummary::from_text(bad), Err(MetricError::InvalidText(_))),
            "{bad}"
        );
    }
    let mut bytes = s.encode().unwrap();
    bytes.push(0);
    assert!(MrrSummary::decode(&bytes).is_err());
    let text_keys = {
        let mut t = MrrSummary::new(KeyKind::Text);
        t.add(F, key_from_text(b"acme"), first_of(2025, 1), d("5"))
            .unwrap();
        t
    };
    let mut copy = text_keys.clone();
    let text_form = copy.to_text().unwrap();
    assert_eq!(
        MrrSummary::from_text(&text_form)
            .unwrap()
            .to_text()
            .unwrap(),
        text_form
    );
}

#[test]
fn golden_binary_form() {
    // Pinned so that a change of the stored form is never silent.
    let mut s = summary(&[
        (42, 2025, 1, "100.00"),
        (42, 2025, 2, "120.00"),
        (7, 2025, 2, "9.5"),
    ]);
    let hex: String = s
        .encode()
        .unwrap()
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect();
    assert_eq!(
        hex,
        "010001d804da0403070001be010001230000a09c010002000001c0bb010002"
    );
}

/// Plain reference: per customer a map month → mrr over the whole range.
fn reference(
    rows: &[(i64, i32, u32)],
) -> Vec<(Decimal, Decimal, Decimal, Decimal, Decimal, Decimal)> {
    let first = rows.iter().map(|r| r.1).min().unwrap();
    let last = rows.iter().map(|r| r.1).max().unwrap();
    let mut by_customer: BTreeMap<i64, BTreeMap<i32, Decimal>> = BTreeMap::new();
    for &(id, month, cents) in rows {
        *by_customer.entry(id).or_default().entry(month).or_default() +=
            Decimal::new(i64::from(cents), 2);
    }
    (first..=last)
        .map(|month| {
            let mut totals = [Decimal::ZERO; 6];
            for months in by_customer.values() {
                let at = |m: i32| months.get(&m).copied().unwrap_or_default();
                let (previous, current) = (
                    if month > first {
                        at(month - 1)
                    } else {
                        Decimal::ZERO
                    },
                    at(month),
                );
                let paid_before = months.range(..month).any(|(_, v)| !v.is_zero());
                if previous.is_zero() && !current.is_zero() {
                    totals[if paid_before { 4 } else { 0 }] += current;
                } else if !previous.is_zero() && current.is_zero() {
                    totals[3] += previous;
                } else if current > previous {
                    totals[1] += current - previous;
                } else {
                    totals[2] += previous - current;
                }
                totals[5] += current;
            }
            (
                totals[0], totals[1], totals[2], totals[3], totals[4], totals[5],
            )
        })
        .collect()
}

proptest! {
    #[test]
    fn movements_equal_the_reference_and_merge_in_any_split(
        rows in prop::collection::vec((0i64..12, 0i32..18, prop_oneof![Just(0u32), 1u32..50_000]), 1..80),
        cut in 0usize..80,
    ) {
        let cut = cut.min(rows.len());
        let build = |part: &[(i64, i32, u32)]| {
            let mut s = MrrSummary::new(KeyKind::BigInt);
            for &(id, month, cents) in part {
                s.add(F, key_from_bigint(id), period_start_date(Period::Month, month + 300), Decimal::new(i64::from(cents), 2)).unwrap();
            }
            s
        };
        let mut whole = build(&rows);
        let movements = whole.movements(F).unwrap();
        check_balance(&movements);
        let expected = reference(&rows);
        let ours: Vec<_> = movements.iter().map(|m| (m.new_mrr, m.expansion_mrr, m.contraction_mrr, m.churned_mrr, m.reactivation_mrr, m.ending_mrr)).collect();
        prop_assert_eq!(ours, expected);
        let mut left = build(&rows[..cut]);
        let right = build(&rows[cut..]);
        left.merge(F, &right).unwrap();
        prop_assert_eq!(left.to_text().unwrap(), whole.to_text().unwrap());
        let mut decoded = MrrSummary::decode(&whole.encode().unwrap()).unwrap();
        prop_assert_eq!(decoded.movements(F).unwrap(), movements);
    }

    #[test]
    fn from_text_of_random_text_never_panics(text in ".{0,200}") {
        let _ = MrrSummary::from_text(&text);
    }
}
