//! Unit tests of calendar periods: every kind in UTC and in zones with DST changes, the
//! indexer against the direct computation, and the ends of the timestamp range.
use super::*;
use crate::common::civil::{parse_timestamp, MIN_TIMESTAMP};
use crate::common::test_zones;
use chrono::{DateTime, Datelike, NaiveDate};
use chrono_tz::Tz;
use proptest::prelude::*;

const F: &str = "crm.cohort_agg";

fn date(y: i32, m: u32, d: u32) -> i32 {
    let epoch = NaiveDate::from_ymd_opt(2000, 1, 1).unwrap();
    (NaiveDate::from_ymd_opt(y, m, d).unwrap() - epoch).num_days() as i32
}

/// Raw timestamptz of a UTC wall-clock time.
fn ts(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> i64 {
    i64::from(date(y, mo, d)) * USECS_PER_DAY
        + (i64::from(h) * 60 + i64::from(mi)) * 60 * USECS_PER_SEC
}

/// The zone a period summary keeps for `name` (every alias of UTC folded into `UTC`).
fn zone(name: &str) -> Zone {
    Zone::parse(F, name).unwrap().fold_utc()
}

fn start(period: Period, zone_name: &str, t: i64) -> i32 {
    period_start_date(
        period,
        period_index(F, period, &zone(zone_name), t).unwrap(),
    )
}

/// Local calendar date of an instant computed independently with chrono.
fn chrono_local_date(zone_name: &str, t: i64) -> i32 {
    let utc = DateTime::from_timestamp(t.div_euclid(USECS_PER_SEC) + 946_684_800, 0).unwrap();
    let tz: Tz = zone_name.parse().unwrap();
    let local = utc.with_timezone(&tz).date_naive();
    date(local.year(), local.month(), local.day())
}

#[test]
fn parses_periods() {
    assert_eq!(Period::parse(F, "month").unwrap(), Period::Month);
    assert_eq!(Period::parse(F, "Week").unwrap(), Period::Week);
    for period in Period::ALL {
        assert_eq!(Period::parse(F, period.name()).unwrap(), period);
    }
    assert_eq!(
        Period::parse(F, "fortnight").unwrap_err(),
        MetricError::InvalidParameter(
            "crm.cohort_agg: unknown period 'fortnight' (expected day, week, month, quarter or year)".into()
        )
    );
    assert!(Period::parse(F, "").is_err());
}

#[test]
fn parses_zones() {
    assert_eq!(zone("Europe/Berlin").name(), "Europe/Berlin");
    assert_eq!(zone("europe/berlin").name(), "Europe/Berlin");
    assert_eq!(zone("America/New_York"), zone("AMERICA/NEW_YORK"));
    for alias in [
        "UTC",
        "Etc/UTC",
        "UCT",
        "Universal",
        "Zulu",
        "GMT",
        "Etc/GMT",
        "GMT0",
        "Etc/GMT+0",
        "GMT-0",
        "Greenwich",
        "Etc/Greenwich",
    ] {
        assert_eq!(zone(alias), Zone::utc(), "{alias}");
        assert_eq!(zone(alias).name(), "UTC");
    }
    assert_eq!(
        Zone::parse(F, "Mars/Olympus_Mons").unwrap_err(),
        MetricError::InvalidParameter(
            "crm.cohort_agg: unknown time zone 'Mars/Olympus_Mons'".into()
        )
    );
    assert!(Zone::parse(F, "").is_err());
}

#[test]
fn index_zero_is_the_period_of_2000_01_01() {
    for period in Period::ALL {
        assert_eq!(period_index(F, period, &Zone::utc(), 0).unwrap(), 0);
    }
    assert_eq!(period_start_date(Period::Day, 0), 0);
    assert_eq!(period_start_date(Period::Week, 0), date(1999, 12, 27));
    assert_eq!(period_start_date(Period::Month, 0), 0);
    assert_eq!(period_start_date(Period::Month, 288), date(2024, 1, 1));
    assert_eq!(period_start_date(Period::Month, -1), date(1999, 12, 1));
    assert_eq!(period_start_date(Period::Quarter, 0), 0);
    assert_eq!(period_start_date(Period::Year, 24), date(2024, 1, 1));
    assert_eq!(period_start_date(Period::Year, -2000), date(0, 1, 1));
}

#[test]
fn every_period_kind_in_utc() {
    let t = ts(2024, 8, 15, 13, 45); // a Thursday
    assert_eq!(start(Period::Day, "UTC", t), date(2024, 8, 15));
    assert_eq!(start(Period::Week, "UTC", t), date(2024, 8, 12));
    assert_eq!(start(Period::Month, "UTC", t), date(2024, 8, 1));
    assert_eq!(start(Period::Quarter, "UTC", t), date(2024, 7, 1));
    assert_eq!(start(Period::Year, "UTC", t), date(2024, 1, 1));
    let month = |y, m| period_index(F, Period::Month, &Zone::utc(), ts(y, m, 1, 0, 0)).unwrap();
    assert_eq!(month(2024, 1), 288);
    assert_eq!(month(2024, 2), 289);
    assert_eq!(month(1999, 12), -1);
}

#[test]
fn iso_weeks_start_on_monday() {
    // 2024-01-01 is a Monday: it starts its own week.
    assert_eq!(
        start(Period::Week, "UTC", ts(2024, 1, 1, 0, 0)),
        date(2024, 1, 1)
    );
    assert_eq!(
        start(Period::Week, "UTC", ts(2024, 1, 7, 23, 59)),
        date(2024, 1, 1)
    );
    assert_eq!(
        start(Period::Week, "UTC", ts(2024, 1, 8, 0, 0)),
        date(2024, 1, 8)
    );
    // 2023-01-01 is a Sunday: it belongs to the week starting 2022-12-26.
    assert_eq!(
        start(Period::Week, "UTC", ts(2023, 1, 1, 12, 0)),
        date(2022, 12, 26)
    );
    let week = |t| period_index(F, Period::Week, &Zone::utc(), t).unwrap();
    assert_eq!(week(ts(2023, 1, 2, 0, 0)), week(ts(2023, 1, 1, 0, 0)) + 1);
    // Before 2000 too.
    assert_eq!(
        start(Period::Week, "UTC", ts(1999, 12, 26, 0, 0)),
        date(1999, 12, 20)
    );
}

#[test]
fn quarters() {
    let q = |y, m, d| start(Period::Quarter, "UTC", ts(y, m, d, 12, 0));
    assert_eq!(q(2024, 1, 1), date(2024, 1, 1));
    assert_eq!(q(2024, 3, 31), date(2024, 1, 1));
    assert_eq!(q(2024, 4, 1), date(2024, 4, 1));
    assert_eq!(q(2024, 6, 30), date(2024, 4, 1));
    assert_eq!(q(2024, 9, 30), date(2024, 7, 1));
    assert_eq!(q(2024, 10, 1), date(2024, 10, 1));
    assert_eq!(q(2024, 12, 31), date(2024, 10, 1));
    assert_eq!(q(1999, 11, 5), date(1999, 10, 1));
    assert_eq!(
        period_index(F, Period::Quarter, &Zone::utc(), ts(1999, 11, 5, 0, 0)).unwrap(),
        -1
    );
}

#[test]
fn midnight_in_non_utc_zones() {
    // 23:30 UTC is already the next day in Berlin (UTC+1 in winter).
    let t = ts(2023, 12, 31, 23, 30);
    assert_eq!(start(Period::Day, "UTC", t), date(2023, 12, 31));
    assert_eq!(start(Period::Day, "Europe/Berlin", t), date(2024, 1, 1));
    assert_eq!(start(Period::Year, "Europe/Berlin", t), date(2024, 1, 1));
    assert_eq!(start(Period::Year, "UTC", t), date(2023, 1, 1));
    assert_eq!(start(Period::Week, "Europe/Berlin", t), date(2024, 1, 1));
    assert_eq!(start(Period::Week, "UTC", t), date(2023, 12, 25));
    // 03:30 UTC is still the previous day in New York (UTC-5 in winter).
    let t = ts(2024, 1, 1, 3, 30);
    assert_eq!(
        start(Period::Day, "America/New_York", t),
        date(2023, 12, 31)
    );
    assert_eq!(
        start(Period::Quarter, "America/New_York", t),
        date(2023, 10, 1)
    );
    assert_eq!(
        start(Period::Day, "America/New_York", ts(2024, 1, 1, 5, 0)),
        date(2024, 1, 1)
    );
}

#[test]
fn dst_change_days() {
    // Berlin springs forward on 2024-03-31 (UTC+1 → UTC+2 at 01:00 UTC).
    let berlin = |t| start(Period::Day, "Europe/Berlin", t);
    assert_eq!(berlin(ts(2024, 3, 30, 22, 59)), date(2024, 3, 30));
    assert_eq!(berlin(ts(2024, 3, 30, 23, 0)), date(2024, 3, 31));
    assert_eq!(berlin(ts(2024, 3, 31, 21, 59)), date(2024, 3, 31));
    assert_eq!(berlin(ts(2024, 3, 31, 22, 0)), date(2024, 4, 1));
    // Berlin falls back on 2024-10-27: midnight is 22:00 UTC before, 23:00 UTC after.
    assert_eq!(berlin(ts(2024, 10, 26, 21, 59)), date(2024, 10, 26));
    assert_eq!(berlin(ts(2024, 10, 26, 22, 0)), date(2024, 10, 27));
    assert_eq!(berlin(ts(2024, 10, 27, 22, 59)), date(2024, 10, 27));
    assert_eq!(berlin(ts(2024, 10, 27, 23, 0)), date(2024, 10, 28));
    // New York springs forward on 2024-03-10 (EST → EDT at 07:00 UTC).
    let new_york = |t| start(Period::Day, "America/New_York", t);
    assert_eq!(new_york(ts(2024, 3, 10, 4, 59)), date(2024, 3, 9));
    assert_eq!(new_york(ts(2024, 3, 10, 5, 0)), date(2024, 3, 10));
    assert_eq!(new_york(ts(2024, 3, 11, 3, 59)), date(2024, 3, 10));
    assert_eq!(new_york(ts(2024, 3, 11, 4, 0)), date(2024, 3, 11));
    // ... and falls back on 2024-11-03.
    assert_eq!(new_york(ts(2024, 11, 3, 3, 59)), date(2024, 11, 2));
    assert_eq!(new_york(ts(2024, 11, 3, 4, 0)), date(2024, 11, 3));
    assert_eq!(new_york(ts(2024, 11, 4, 4, 59)), date(2024, 11, 3));
    assert_eq!(new_york(ts(2024, 11, 4, 5, 0)), date(2024, 11, 4));
    // The cached indexer agrees across the change.
    let mut indexer = Indexer::new(Period::Day, zone("America/New_York"));
    for minutes in 0..3 * 24 * 60 {
        let t = ts(2024, 11, 2, 0, 0) + minutes * 60 * USECS_PER_SEC;
        assert_eq!(
            indexer.index(F, t).unwrap(),
            period_index(F, Period::Day, &zone("America/New_York"), t).unwrap()
        );
    }
}

#[test]
fn infinite_and_out_of_range_timestamps() {
    for t in [i64::MIN, i64::MAX] {
        for name in ["UTC", "Europe/Berlin"] {
            let err = period_index(F, Period::Day, &zone(name), t).unwrap_err();
            assert!(
                matches!(err, MetricError::DatetimeOverflow(ref m) if m.starts_with("crm.cohort_agg: "))
            );
            let mut indexer = Indexer::new(Period::Month, zone(name));
            indexer.index(F, 0).unwrap();
            assert!(matches!(
                indexer.index(F, t),
                Err(MetricError::DatetimeOverflow(_))
            ));
        }
    }
    // The ends of the timestamptz range. The first instant is on the earliest date, a
    // Monday (Julian day 0): its day and week start on it, its month, quarter and year
    // before it (22008). The last instant works in every period.
    for period in Period::ALL {
        let (low, high) = period.index_range();
        assert!(
            period_start_date(period, low) >= MIN_DATE as i32,
            "{period:?}"
        );
        assert!(
            period_start_date(period, low - 1) < MIN_DATE as i32,
            "{period:?}"
        );
        let last = period_index(F, period, &Zone::utc(), END_TIMESTAMP - 1).unwrap();
        assert!(last <= high, "{period:?}");
        let first = period_index(F, period, &Zone::utc(), MIN_TIMESTAMP);
        let mut indexer = Indexer::new(period, Zone::utc());
        assert_eq!(indexer.index(F, MIN_TIMESTAMP), first);
        match period {
            Period::Day | Period::Week => assert_eq!(first.unwrap(), low),
            _ => assert!(
                matches!(first, Err(MetricError::DatetimeOverflow(ref m)) if m.starts_with("crm.cohort_agg: the ")),
                "{period:?} {first:?}"
            ),
        }
    }
    // West of Greenwich, the first instant is on the day before the earliest date.
    assert!(matches!(
        period_index(F, Period::Day, &zone("America/New_York"), MIN_TIMESTAMP),
        Err(MetricError::DatetimeOverflow(_))
    ));
    assert!(period_index(F, Period::Day, &zone("Asia/Tokyo"), MIN_TIMESTAMP).is_ok());
    assert_eq!(
        parse_timestamp("4714-11-24 00:00:00+00 BC"),
        Some(MIN_TIMESTAMP)
    );
    assert_eq!(parse_timestamp("4714-11-23 23:59:59.999999+00 BC"), None);
    assert_eq!(
        parse_timestamp("294276-12-31 23:59:59.999999+00"),
        Some(END_TIMESTAMP - 1)
    );
    assert_eq!(parse_timestamp("294277-01-01 00:00:00+00"), None);
    // Beyond chrono's range, named zones report an overflow.
    assert!(matches!(
        period_index(F, Period::Day, &zone("Europe/Berlin"), i64::MAX - 1),
        Err(MetricError::DatetimeOverflow(_))
    ));
    // Absurd indexes saturate instead of overflowing.
    assert_eq!(period_start_date(Period::Year, i32::MAX), i32::MAX);
    assert_eq!(period_start_date(Period::Week, i32::MIN), i32::MIN);
}

/// Checks the assumption behind [`Indexer`]'s memo: on every UTC day from
/// 1900 to 2040 where a zone has the same offset at both ends, the offset
/// is the same at every hour in between. Slow: `cargo test --release -- --ignored`.
#[test]
#[ignore]
fn no_zone_changes_offset_and_back_within_a_day() {
    let hour = 3_600 * USECS_PER_SEC;
    let (first, last) = (i64::from(date(1900, 1, 1)), i64::from(date(2040, 1, 1)));
    let tz_offset =
        |tz: Tz, t: i64| test_zones::offset(tz, t.div_euclid(USECS_PER_SEC) + 946_684_800);
    for tz in chrono_tz::TZ_VARIANTS {
        for day in first..last {
            let start = day * USECS_PER_DAY;
            let offset = tz_offset(tz, start);
            if tz_offset(tz, start + USECS_PER_DAY - 1) == offset {
                for h in 1..24 {
                    assert_eq!(
                        tz_offset(tz, start + h * hour),
                        offset,
                        "{} day {day}",
                        tz.name()
                    );
                }
            }
        }
    }
}

#[test]
fn warm_indexer_matches_period_index_across_zones() {
    let mut state = 0x2545_F491_4F6C_DD1Du64;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let hour = 3_600 * USECS_PER_SEC;
    for zone_name in ZONES {
        let zone = zone(zone_name);
        for period in Period::ALL {
            let mut indexer = Indexer::new(period, zone.clone());
            for n in 0..4_000 {
                // Alternately anywhere in 1900..2100 and around 2024's DST changes.
                let t = if n % 2 == 0 {
                    (next() % 6_311_520_000_000_000) as i64 - 3_155_760_000_000_000
                } else {
                    ts(2024, 3, 8, 0, 0) + (next() % (240 * 24)) as i64 * hour / 4
                };
                assert_eq!(
                    indexer.index(F, t).unwrap(),
                    period_index(F, period, &zone, t).unwrap()
                );
            }
            assert_eq!(indexer.indexes.len(), MEMO_SLOTS);
            assert_eq!(
                indexer.offsets.len(),
                if zone_name == "UTC" { 0 } else { MEMO_SLOTS }
            );
        }
    }
}

const ZONES: [&str; 8] = [
    "UTC",
    "Europe/Berlin",
    "America/New_York",
    "Australia/Lord_Howe",
    "Asia/Kolkata",
    "Pacific/Apia",
    "Africa/Casablanca",
    "America/St_Johns",
];

fn any_period() -> impl Strategy<Value = Period> {
    prop::sample::select(Period::ALL.to_vec())
}

/// Timestamps between 1900 and 2100.
fn any_timestamp() -> impl Strategy<Value = i64> {
    -3_155_760_000_000_000i64..3_155_760_000_000_000i64
}

proptest! {
    #[test]
    fn index_is_monotone_and_starts_before_the_local_date(
        period in any_period(),
        zone_name in prop::sample::select(vec!["UTC", "Europe/Berlin", "America/New_York", "Asia/Tokyo"]),
        a in any_timestamp(),
        b in any_timestamp(),
    ) {
        let zone = zone(zone_name);
        let (a, b) = (a.min(b), a.max(b));
        let ia = period_index(F, period, &zone, a).unwrap();
        let ib = period_index(F, period, &zone, b).unwrap();
        prop_assert!(ia <= ib);
        let tz_name = if zone_name == "UTC" { "Etc/UTC" } else { zone_name };
        for (t, i) in [(a, ia), (b, ib)] {
            let local = chrono_local_date(tz_name, t);
            prop_assert!(period_start_date(period, i) <= local);
            prop_assert!(local < period_start_date(period, i + 1));
            prop_assert_eq!(period_index(F, period, &Zone::utc(), i64::from(local) * USECS_PER_DAY).unwrap(), i);
        }
    }

    #[test]
    fn start_date_round_trips(period in any_period(), index in -100_000i32..100_000) {
        // Years and quarters that far back start before the earliest date.
        let index = index.max(period.index_range().0 + 1);
        let start = period_start_date(period, index);
        prop_assert_eq!(period_index(F, period, &Zone::utc(), i64::from(start) * USECS_PER_DAY).unwrap(), index);
        prop_assert_eq!(period_index(F, period, &Zone::utc(), i64::from(start) * USECS_PER_DAY - 1).unwrap(), index - 1);
    }

    #[test]
    fn indexer_matches_period_index(
        period in any_period(),
        zone_name in prop::sample::select(ZONES.to_vec()),
        base in any_timestamp(),
        steps in prop::collection::vec(-200_000_000_000i64..200_000_000_000, 1..60),
    ) {
        let zone = zone(zone_name);
        let mut indexer = Indexer::new(period, zone.clone());
        // Past the warm-up, so that the memos are in use.
        for day in 0..=i64::from(MEMO_WARMUP) {
            indexer.index(F, base - day * USECS_PER_DAY).unwrap();
        }
        prop_assert_eq!(indexer.indexes.len(), MEMO_SLOTS);
        let mut t = base;
        for step in steps {
            t += step;
            prop_assert_eq!(indexer.index(F, t).unwrap(), period_index(F, period, &zone, t).unwrap());
        }
    }
}
