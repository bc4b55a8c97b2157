//! Unit tests of the zone tables and conversion rules, over lists of transitions.
use super::*;
use crate::common::civil::{days_from_civil, weekday};
use proptest::prelude::*;

const F: &str = "crm.test";
const HOUR: i64 = 3_600;

/// Raw timestamp of a UTC civil time.
fn ts(year: i64, month: i64, day: i64, hour: i64, minute: i64) -> i64 {
    (days_from_civil(year, month, day) * 86_400 + hour * HOUR + minute * 60) * USECS_PER_SEC
}

fn unix(year: i64, month: i64, day: i64, hour: i64) -> i64 {
    ts(year, month, day, hour, 0) / USECS_PER_SEC + UNIX_TO_POSTGRES_SECS
}

/// New York's rule since 2007 for the years given: EST −5, EDT −4 from the second Sunday of
/// March 02:00 EST to the first Sunday of November 02:00 EDT.
fn new_york(years: std::ops::Range<i64>) -> TransitionList {
    let mut transitions = Vec::new();
    for year in years {
        let march = days_from_civil(year, 3, 1);
        let second_sunday = march + (6 + 7 - weekday(march) as i64) % 7 + 7;
        let november = days_from_civil(year, 11, 1);
        let first_sunday = november + (6 + 7 - weekday(november) as i64) % 7;
        transitions.push((
            (second_sunday * 86_400 + 7 * HOUR) + UNIX_TO_POSTGRES_SECS,
            -4 * 3600,
        ));
        transitions.push((
            (first_sunday * 86_400 + 6 * HOUR) + UNIX_TO_POSTGRES_SECS,
            -5 * 3600,
        ));
    }
    TransitionList {
        initial: -5 * 3600,
        transitions,
    }
}

fn zone(list: TransitionList) -> Zone {
    Zone::from_source(F, "Test/Zone", Box::new(list)).unwrap()
}

/// Postgres's `DetermineTimeZoneOffset`, written directly over a source (no table).
fn reference_offset_for_local(source: &dyn OffsetSource, local: i64) -> i32 {
    let previous = local - SECS_PER_DAY;
    let before = source.offset_at(previous).unwrap();
    match source.next_transition(previous) {
        Next::At { at, offset } => {
            let (b, a) = (local - i64::from(before), local - i64::from(offset));
            if b < at && a < at {
                before
            } else if b >= at && a >= at {
                offset
            } else if b > a {
                before
            } else {
                offset
            }
        }
        _ => before,
    }
}

#[test]
fn new_york_spring_forward_and_fall_back() {
    let z = zone(new_york(2020..2030));
    // 2026-03-08: 02:00 EST → 03:00 EDT at 07:00 UTC.
    let local = |h, m| ts(2026, 3, 8, h, m);
    assert_eq!(
        z.from_local(F, local(1, 59)).unwrap(),
        ts(2026, 3, 8, 6, 59)
    );
    // In the gap: moves forward by the gap (02:30 EST = 03:30 EDT).
    assert_eq!(
        z.from_local(F, local(2, 30)).unwrap(),
        ts(2026, 3, 8, 7, 30)
    );
    assert_eq!(z.from_local(F, local(2, 0)).unwrap(), ts(2026, 3, 8, 7, 0));
    assert_eq!(z.from_local(F, local(3, 0)).unwrap(), ts(2026, 3, 8, 7, 0));
    assert_eq!(
        z.from_local(F, local(3, 30)).unwrap(),
        ts(2026, 3, 8, 7, 30)
    );
    assert_eq!(z.to_local(F, ts(2026, 3, 8, 6, 59)).unwrap(), local(1, 59));
    assert_eq!(z.to_local(F, ts(2026, 3, 8, 7, 0)).unwrap(), local(3, 0));
    // 2026-11-01: 02:00 EDT → 01:00 EST at 06:00 UTC; 01:30 is ambiguous → the later (EST).
    let local = |h, m| ts(2026, 11, 1, h, m);
    assert_eq!(
        z.from_local(F, local(0, 59)).unwrap(),
        ts(2026, 11, 1, 4, 59)
    );
    assert_eq!(z.from_local(F, local(1, 0)).unwrap(), ts(2026, 11, 1, 6, 0));
    assert_eq!(
        z.from_local(F, local(1, 30)).unwrap(),
        ts(2026, 11, 1, 6, 30)
    );
    assert_eq!(z.from_local(F, local(2, 0)).unwrap(), ts(2026, 11, 1, 7, 0));
    assert_eq!(z.to_local(F, ts(2026, 11, 1, 5, 30)).unwrap(), local(1, 30));
    assert_eq!(z.to_local(F, ts(2026, 11, 1, 6, 30)).unwrap(), local(1, 30));
    // Microseconds are kept.
    assert_eq!(
        z.from_local(F, local(12, 0) + 7).unwrap(),
        ts(2026, 11, 1, 17, 0) + 7
    );
    assert_eq!(
        z.to_local(F, ts(2026, 11, 1, 17, 0) - 1).unwrap(),
        local(12, 0) - 1
    );
}

#[test]
fn next_transitions() {
    let z = zone(new_york(2020..2030));
    let spring = (ts(2026, 3, 8, 7, 0), -4 * HOUR * USECS_PER_SEC);
    let fall = (ts(2026, 11, 1, 6, 0), -5 * HOUR * USECS_PER_SEC);
    let year_end = ts(2027, 1, 1, 0, 0);
    let next = |z: &Zone, t, limit| z.next_transition(F, t, limit).unwrap();
    assert_eq!(next(&z, ts(2026, 1, 1, 0, 0), year_end), Some(spring));
    // Strictly after `t`, no later than `limit`.
    assert_eq!(next(&z, spring.0 - 1, spring.0), Some(spring));
    assert_eq!(next(&z, spring.0 - 1, spring.0 - 1), None);
    assert_eq!(next(&z, spring.0, year_end), Some(fall));
    assert_eq!(next(&z, fall.0, year_end), None);
    // Past the last transition of the list: none, however far the search goes.
    assert_eq!(next(&z, ts(2029, 12, 1, 0, 0), END_TIMESTAMP - 1), None);
    // Far ahead: found in steps.
    let far = zone(new_york(2400..2401));
    let found = next(&far, ts(2000, 1, 1, 0, 0), END_TIMESTAMP - 1);
    assert_eq!(found.map(|n| n.1), Some(-4 * HOUR * USECS_PER_SEC));
    assert_eq!(next(&Zone::utc(), 0, END_TIMESTAMP - 1), None);
}

#[test]
fn fixed_zones_and_infinities() {
    let utc = Zone::utc();
    assert!(utc.is_utc());
    assert_eq!(utc.to_local(F, 123).unwrap(), 123);
    assert_eq!(utc.from_local(F, 123).unwrap(), 123);
    let plus_five = zone(TransitionList {
        initial: 5 * 3600,
        transitions: vec![],
    });
    assert_eq!(plus_five.fixed_offset(), Some(18_000));
    assert!(!plus_five.is_utc());
    assert_eq!(plus_five.to_local(F, 0).unwrap(), 5 * HOUR * USECS_PER_SEC);
    assert_eq!(
        plus_five.from_local(F, 0).unwrap(),
        -5 * HOUR * USECS_PER_SEC
    );
    for t in [i64::MIN, i64::MAX] {
        assert!(matches!(
            utc.to_local(F, t),
            Err(MetricError::DatetimeOverflow(_))
        ));
        assert!(matches!(
            plus_five.from_local(F, t),
            Err(MetricError::DatetimeOverflow(_))
        ));
    }
    // Past the valid range.
    assert!(plus_five.to_local(F, END_TIMESTAMP - 1).is_err());
    assert!(plus_five.from_local(F, MIN_TIMESTAMP).is_err());
    assert_eq!(utc.to_local(F, MIN_TIMESTAMP).unwrap(), MIN_TIMESTAMP);
    assert_eq!(Zone::utc(), Zone::fixed("UTC", 0));
    assert_ne!(Zone::utc(), plus_five);
}

#[test]
fn table_grows_lazily_and_rebuilds_far_away() {
    let z = zone(new_york(1900..2300));
    z.to_local(F, ts(2026, 6, 1, 0, 0)).unwrap();
    let len = |z: &Zone| z.data.table.borrow().transitions.len();
    assert!(len(&z) <= 6, "{}", len(&z));
    // Ten years later: the table is extended, not rebuilt.
    z.to_local(F, ts(2036, 6, 1, 0, 0)).unwrap();
    let start = z.data.table.borrow().start;
    assert!(start < unix(2026, 1, 1, 0));
    assert!((20..=26).contains(&len(&z)));
    // Earlier too.
    z.to_local(F, ts(2016, 6, 1, 0, 0)).unwrap();
    assert!((40..=46).contains(&len(&z)));
    // Centuries away: rebuilt around the new instant.
    z.from_local(F, ts(2290, 6, 1, 0, 0)).unwrap();
    assert!(len(&z) <= 6);
    // Clones share the table.
    let copy = z.clone();
    copy.to_local(F, ts(2291, 6, 1, 0, 0)).unwrap();
    assert_eq!(len(&z), len(&copy));
}

/// A zone with transitions that change nothing but the DST flag, and with two offset
/// changes within two days (Postgres looks at the first boundary only).
fn odd_zone() -> TransitionList {
    let d = |y, m, day, h| unix(y, m, day, h);
    TransitionList {
        initial: 3 * 3600 + 1_234,
        transitions: vec![
            (d(1990, 1, 1, 0), 3 * 3600),
            (d(1990, 5, 1, 0), 3 * 3600),
            (d(1990, 5, 1, 12), 4 * 3600),
            (d(1990, 9, 1, 0), 2 * 3600),
            (d(1990, 9, 2, 0), 5 * 3600),
            (d(1991, 1, 1, 0), -11 * 3600),
            (d(1991, 1, 1, 1), 13 * 3600),
        ],
    }
}

proptest! {
    #[test]
    fn cached_conversions_match_the_rules_written_directly(
        local in -3_000_000_000i64..6_000_000_000,
        jumps in prop::collection::vec(-3_000_000_000i64..6_000_000_000, 0..8),
        odd in any::<bool>(),
    ) {
        let list = if odd { odd_zone() } else { new_york(1950..2100) };
        let z = zone(list.clone());
        // Visit other instants first so the table has grown and moved.
        for jump in jumps {
            z.to_local(F, jump * USECS_PER_SEC).unwrap();
        }
        let expected = reference_offset_for_local(&list, local + UNIX_TO_POSTGRES_SECS);
        let micros = local * USECS_PER_SEC + 123_456;
        prop_assert_eq!(
            z.from_local(F, micros).unwrap(),
            micros - i64::from(expected) * USECS_PER_SEC
        );
        let instant = micros;
        let offset = list.offset_at(local + UNIX_TO_POSTGRES_SECS).unwrap();
        prop_assert_eq!(
            z.to_local(F, instant).unwrap(),
            instant + i64::from(offset) * USECS_PER_SEC
        );
    }

    #[test]
    fn from_local_inverts_to_local_outside_overlaps(t in -3_000_000_000i64..6_000_000_000) {
        let z = zone(new_york(1950..2100));
        let instant = t * USECS_PER_SEC;
        let local = z.to_local(F, instant).unwrap();
        let back = z.from_local(F, local).unwrap();
        // Equal, except in a fall-back hour where the earlier reading maps to the later one.
        prop_assert!(back == instant || back == instant + HOUR * USECS_PER_SEC);
    }
}
