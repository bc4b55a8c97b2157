//! Tests of business time: the worked examples, and properties against references
//! written directly from the definition (minute by minute, and day by day).
use super::*;
use crate::common::civil::{civil_from_days, days_from_civil, MIN_TIMESTAMP};
use crate::common::tz::{Next, OffsetSource, TransitionList, Zone};
use proptest::prelude::*;

const F: &str = "crm.business_time";
const HOUR: i64 = 60 * MINUTE;
/// Seconds from 1970-01-01 to 2000-01-01.
const UNIX_SHIFT: i64 = 946_684_800;

/// Raw timestamp of a UTC civil time.
fn utc(year: i64, month: i64, day: i64, hour: i64, minute: i64) -> i64 {
    days_from_civil(year, month, day) * DAY + hour * HOUR + minute * MINUTE
}

fn unix(t: i64) -> i64 {
    t / USECS_PER_SEC + UNIX_SHIFT
}

fn nth_sunday(year: i64, month: i64, n: i64) -> i64 {
    let first = days_from_civil(year, month, 1);
    first + (6 + 7 - weekday(first) as i64) % 7 + 7 * (n - 1)
}

fn last_sunday(year: i64, month: i64) -> i64 {
    let next = if month == 12 {
        days_from_civil(year + 1, 1, 1)
    } else {
        days_from_civil(year, month + 1, 1)
    };
    let last = next - 1;
    last - (weekday(last) as i64 + 1) % 7
}

/// America/New_York's rule since 2007.
fn new_york() -> Zone {
    let mut transitions = Vec::new();
    for year in 2000..2040 {
        transitions.push((unix(nth_sunday(year, 3, 2) * DAY + 7 * HOUR), -4 * 3600));
        transitions.push((unix(nth_sunday(year, 11, 1) * DAY + 6 * HOUR), -5 * 3600));
    }
    list_zone("America/New_York", -5 * 3600, transitions)
}

/// Europe/London's rule since 1996.
fn london() -> Zone {
    let mut transitions = Vec::new();
    for year in 2000..2040 {
        transitions.push((unix(last_sunday(year, 3) * DAY + HOUR), 3600));
        transitions.push((unix(last_sunday(year, 10) * DAY + HOUR), 0));
    }
    list_zone("Europe/London", 0, transitions)
}

fn list_zone(name: &str, initial: i32, transitions: Vec<(i64, i32)>) -> Zone {
    Zone::from_source(
        F,
        name,
        Box::new(TransitionList {
            initial,
            transitions,
        }),
    )
    .unwrap()
}

fn hours_in(text: &str, zone: Zone, holidays: &[(i64, i64, i64)]) -> BusinessHours {
    let holidays: Vec<i32> = holidays
        .iter()
        .map(|&(y, m, d)| days_from_civil(y, m, d) as i32)
        .collect();
    BusinessHours::new(Calendar::new("crm.business_calendar", text, zone, &holidays).unwrap())
}

fn office() -> BusinessHours {
    hours_in("Mon-Fri 09:00-17:00", Zone::utc(), &[])
}

#[test]
fn worked_examples() {
    let hours = office();
    // Fri 2026-03-06 17:30 → Mon 09:30 is 30 minutes; Mon 08:30 → 09:15 is 15 minutes.
    let time = |h: &BusinessHours, a, b| h.business_time(F, a, b).unwrap();
    assert_eq!(
        time(&hours, utc(2026, 3, 6, 17, 30), utc(2026, 3, 9, 9, 30)),
        30 * MINUTE
    );
    assert_eq!(
        time(&hours, utc(2026, 3, 9, 8, 30), utc(2026, 3, 9, 9, 15)),
        15 * MINUTE
    );
    // With a holiday on Thu 2016-11-24: Mon 2016-11-21 14:00 → Thu 2016-12-01 11:00 is 53 hours.
    let thanksgiving = hours_in("Mon-Fri 09:00-17:00", Zone::utc(), &[(2016, 11, 24)]);
    assert_eq!(
        time(
            &thanksgiving,
            utc(2016, 11, 21, 14, 0),
            utc(2016, 12, 1, 11, 0)
        ),
        53 * HOUR
    );
    assert_eq!(
        time(&hours, utc(2016, 11, 21, 14, 0), utc(2016, 12, 1, 11, 0)),
        61 * HOUR
    );
    // Europe/London 08:00-18:00: 2018-10-17 17:15 BST → 2018-10-18 18:00 BST is 645 minutes.
    let london_hours = hours_in("Mon-Fri 08:00-18:00", london(), &[]);
    assert_eq!(
        time(
            &london_hours,
            utc(2018, 10, 17, 16, 15),
            utc(2018, 10, 18, 17, 0)
        ),
        645 * MINUTE
    );
    // America/New_York: Fri 2026-03-06 16:00 EST → Mon 2026-03-09 10:00 EDT is 2 hours
    // (a fixed -5 offset gets 1 hour).
    let new_york_hours = hours_in("Mon-Fri 09:00-17:00", new_york(), &[]);
    let (friday, monday) = (utc(2026, 3, 6, 21, 0), utc(2026, 3, 9, 14, 0));
    assert_eq!(time(&new_york_hours, friday, monday), 2 * HOUR);
    let fixed = hours_in("Mon-Fri 09:00-17:00", Zone::fixed("EST", -5 * 3600), &[]);
    assert_eq!(time(&fixed, friday, monday), HOUR);
    // business_add of 4 hours from Fri 16:00 is Mon 12:00.
    assert_eq!(
        hours
            .business_add(F, utc(2026, 3, 6, 16, 0), 4 * HOUR)
            .unwrap(),
        utc(2026, 3, 9, 12, 0)
    );
    // ... and in New York across the change: Mon 12:00 EDT.
    assert_eq!(
        new_york_hours
            .business_add(F, utc(2026, 3, 6, 21, 0), 4 * HOUR)
            .unwrap(),
        utc(2026, 3, 9, 16, 0)
    );
}

#[test]
fn business_add_edges() {
    let hours = office();
    let friday = utc(2026, 3, 6, 16, 0);
    // Exactly the rest of the day ends at closing time, not at the next opening.
    assert_eq!(
        hours.business_add(F, friday, HOUR).unwrap(),
        utc(2026, 3, 6, 17, 0)
    );
    assert_eq!(hours.business_add(F, friday, 0).unwrap(), friday);
    // From outside hours: counting starts at the next opening.
    assert_eq!(
        hours
            .business_add(F, utc(2026, 3, 7, 3, 0), MINUTE)
            .unwrap(),
        utc(2026, 3, 9, 9, 1)
    );
    // Ten thousand hours later (250 weeks).
    let start = utc(2026, 3, 9, 9, 0);
    let later = hours.business_add(F, start, 10_000 * HOUR).unwrap();
    // The 250th week ends on Friday at 17:00.
    assert_eq!(later, start + 249 * WEEK + 4 * DAY + 8 * HOUR);
    assert!(matches!(
        hours.business_add(F, friday, -1),
        Err(MetricError::InvalidParameter(_))
    ));
    let closed = hours_in("", Zone::utc(), &[]);
    for amount in [1, 0] {
        assert!(matches!(
            closed.business_add(F, friday, amount),
            Err(MetricError::InvalidParameter(m)) if m == "crm.business_time: the calendar has no business hours"
        ));
    }
    assert_eq!(hours.business_add(F, friday, 0).unwrap(), friday);
    assert_eq!(closed.business_time(F, 0, 10 * WEEK).unwrap(), 0);
    assert!(matches!(
        hours.business_add(F, END_TIMESTAMP - DAY, 100 * HOUR),
        Err(MetricError::DatetimeOverflow(_))
    ));
}

#[test]
fn negative_spans_infinities_and_membership() {
    let hours = office();
    let (a, b) = (utc(2026, 3, 6, 16, 0), utc(2026, 3, 9, 10, 0));
    assert_eq!(hours.business_time(F, b, a).unwrap(), -2 * HOUR);
    assert_eq!(hours.business_time(F, a, a).unwrap(), 0);
    for bad in [i64::MIN, i64::MAX] {
        assert!(matches!(
            hours.business_time(F, bad, a),
            Err(MetricError::DatetimeOverflow(_))
        ));
        assert!(hours.is_business_time(F, bad).is_err());
        assert!(hours.business_add(F, bad, 1).is_err());
    }
    assert!(hours.is_business_time(F, utc(2026, 3, 9, 9, 0)).unwrap());
    assert!(hours
        .is_business_time(F, utc(2026, 3, 9, 16, 59) + 59 * USECS_PER_SEC + 999_999)
        .unwrap());
    assert!(!hours.is_business_time(F, utc(2026, 3, 9, 17, 0)).unwrap());
    assert!(!hours.is_business_time(F, utc(2026, 3, 9, 8, 59)).unwrap());
}

#[test]
fn whole_days_and_spring_forward_in_elapsed_time() {
    // A 24/7 day in New York on 2026-03-08 holds 23 hours, on 2026-11-01 25 hours.
    let always = hours_in("Mon-Sun 00:00-24:00", new_york(), &[]);
    let midnight = |y, m, d| utc(y, m, d, 5, 0);
    assert_eq!(
        always
            .business_time(F, midnight(2026, 3, 8), midnight(2026, 3, 9) - HOUR)
            .unwrap(),
        23 * HOUR
    );
    assert_eq!(
        always
            .business_time(F, utc(2026, 11, 1, 4, 0), midnight(2026, 11, 2))
            .unwrap(),
        25 * HOUR
    );
    // An opening inside the gap moves forward by the gap: Sun 02:30-05:00 on 2026-03-08 is
    // 03:30-05:00 EDT, 90 minutes.
    let sunday = hours_in("Sun 02:30-05:00", new_york(), &[]);
    assert_eq!(
        sunday
            .business_time(F, utc(2026, 3, 8, 0, 0), utc(2026, 3, 9, 0, 0))
            .unwrap(),
        90 * MINUTE
    );
    // An ambiguous one is the later instant: Sun 01:30-03:00 on 2026-11-01 is 01:30 EST to
    // 03:00 EST, 90 minutes.
    let sunday = hours_in("Sun 01:30-03:00", new_york(), &[]);
    assert_eq!(
        sunday
            .business_time(F, utc(2026, 11, 1, 0, 0), utc(2026, 11, 2, 0, 0))
            .unwrap(),
        90 * MINUTE
    );
}

#[test]
fn overnight_shifts_and_holidays() {
    // Fri 22:00-06:00: the shift belongs to Friday; a holiday on Friday cancels all of it,
    // a holiday on Saturday none of it.
    let night = |holidays: &[(i64, i64, i64)]| hours_in("Fri 22:00-06:00", Zone::utc(), holidays);
    let week = (utc(2026, 3, 2, 0, 0), utc(2026, 3, 9, 0, 0));
    assert_eq!(
        night(&[]).business_time(F, week.0, week.1).unwrap(),
        8 * HOUR
    );
    assert_eq!(
        night(&[(2026, 3, 6)])
            .business_time(F, week.0, week.1)
            .unwrap(),
        0
    );
    assert_eq!(
        night(&[(2026, 3, 7)])
            .business_time(F, week.0, week.1)
            .unwrap(),
        8 * HOUR
    );
    // A Sunday night shift runs into Monday.
    let sunday = hours_in("Sun 20:00-04:00", Zone::utc(), &[]);
    assert_eq!(
        sunday
            .business_time(F, utc(2026, 3, 9, 0, 0), utc(2026, 3, 10, 0, 0))
            .unwrap(),
        4 * HOUR
    );
}

#[test]
fn long_spans_use_weeks_and_remembered_blocks() {
    let hours = hours_in(
        "Mon-Fri 09:00-17:00",
        new_york(),
        &[(2030, 12, 25), (2031, 1, 1)],
    );
    let (a, b) = (utc(2026, 1, 5, 14, 0), utc(2036, 1, 7, 14, 0));
    let ten_years = hours.business_time(F, a, b).unwrap();
    assert_eq!(ten_years, day_by_day(&hours, a, b));
    let remembered = hours.blocks.borrow().len();
    assert!((18..=22).contains(&remembered), "{remembered}");
    // Again: every block comes from the memo.
    assert_eq!(hours.business_time(F, a, b).unwrap(), ten_years);
    assert_eq!(hours.blocks.borrow().len(), remembered);
}

/// Central European time with the EU rule (last Sundays of March and October, 01:00 UTC) in
/// every year from 1980 to the end of the timestamp range, as Europe/Berlin's data goes on.
struct EuRule;

impl EuRule {
    /// In Unix seconds (instants past the timestamp range are asked for too).
    fn changes(year: i64) -> [(i64, i32); 2] {
        let at = |day: i64| day * 86_400 + 3_600 + UNIX_SHIFT;
        [
            (at(last_sunday(year, 3)), 7200),
            (at(last_sunday(year, 10)), 3600),
        ]
    }

    fn year(unix_seconds: i64) -> i64 {
        civil_from_days((unix_seconds - UNIX_SHIFT).div_euclid(86_400)).0
    }
}

impl OffsetSource for EuRule {
    fn offset_at(&self, t: i64) -> Option<i32> {
        let year = Self::year(t);
        if year < 1980 {
            return Some(3600);
        }
        let [(spring, _), (fall, _)] = Self::changes(year);
        Some(if (spring..fall).contains(&t) {
            7200
        } else {
            3600
        })
    }

    fn next_transition(&self, t: i64) -> Next {
        let year = Self::year(t).max(1980);
        for year in year..=year + 1 {
            for (at, offset) in Self::changes(year) {
                if at > t {
                    return Next::At { at, offset };
                }
            }
        }
        Next::Unknown
    }
}

fn berlin_for_ever() -> Zone {
    Zone::from_source(F, "Europe/Berlin", Box::new(EuRule)).unwrap()
}

#[test]
fn eras_repeat_and_are_skipped_whole() {
    assert_eq!(RULES_FROM, days_from_civil(2200, 1, 1) * DAY);
    assert_eq!(
        ERA,
        (days_from_civil(2400, 1, 1) - days_from_civil(2000, 1, 1)) * DAY
    );
    assert_eq!(ERA % WEEK, 0);
    let hours = hours_in(
        "Mon-Fri 09:00-17:00; Sat 02:30-03:30",
        berlin_for_ever(),
        &[(2030, 12, 25), (2301, 1, 1)],
    );
    let era = hours.era(F).unwrap().unwrap();
    assert_eq!(era.start, (days_from_civil(2301, 1, 1) + 4) * DAY);
    // Any era after its start holds the same business time.
    for shift in [0, 123 * DAY + 5 * HOUR, 7 * ERA + 3 * DAY] {
        let t = era.start + shift;
        assert_eq!(hours.walk(F, t, t + ERA).unwrap(), era.measure, "{shift}");
    }
    // A span of three eras and then some: whole eras skipped, the same as walking every change.
    let a = utc(2025, 3, 1, 10, 0);
    let b = era.start + 3 * ERA + 1_000 * DAY + 7 * HOUR;
    let walked = hours.walk(F, a, b).unwrap();
    assert_eq!(i128::from(hours.business_time(F, a, b).unwrap()), walked);
    assert_eq!(i128::from(hours.business_time(F, b, a).unwrap()), -walked);
    // business_add lands on the first instant with that much business time.
    let amount = walked as i64 - 90 * MINUTE;
    let due = hours.business_add(F, a, amount).unwrap();
    assert_eq!(hours.walk(F, a, due).unwrap(), i128::from(amount));
    assert!(hours.walk(F, a, due - 1).unwrap() < i128::from(amount));
    // A zone whose offset changes once more in 2500: no era; a list that ends: a constant one.
    let once = list_zone("Test/Once", 0, vec![(unix(utc(2500, 1, 1, 0, 0)), 3600)]);
    assert_eq!(
        hours_in("Mon-Fri 09:00-17:00", once, &[]).era(F).unwrap(),
        None
    );
    let ended = hours_in("Mon-Fri 09:00-17:00", new_york(), &[]);
    assert_eq!(ended.era(F).unwrap().map(|era| era.start), Some(RULES_FROM));
}

#[test]
fn far_amounts_and_the_end_of_the_range_answer_at_once() {
    let started = std::time::Instant::now();
    let hours = hours_in("Mon-Fri 09:00-17:00", berlin_for_ever(), &[]);
    let from = utc(2025, 1, 1, 0, 0);
    // 10^8 hours: about 48 000 years of a 40-hour week.
    let amount = 100_000_000 * HOUR;
    let due = hours.business_add(F, from, amount).unwrap();
    assert_eq!(hours.business_time(F, from, due).unwrap(), amount);
    assert!(hours.business_time(F, from, due - 1).unwrap() < amount);
    // Past the end of the range: 22008 without walking there.
    for (start, amount) in [
        (from, i64::MAX),
        (from, 1_000_000_000 * HOUR),
        (END_TIMESTAMP - 10 * DAY, 100 * HOUR),
        (END_TIMESTAMP - 2 * DAY, HOUR),
        (END_TIMESTAMP - 1, 1),
    ] {
        assert!(
            matches!(
                hours.business_add(F, start, amount),
                Err(MetricError::DatetimeOverflow(_))
            ),
            "{start} {amount}"
        );
    }
    // Near the end of the range, without a change ahead.
    let late = END_TIMESTAMP - 40 * DAY;
    let due = hours.business_add(F, late, 30 * HOUR).unwrap();
    assert_eq!(hours.business_time(F, late, due).unwrap(), 30 * HOUR);
    assert_eq!(hours.walk(F, late, due).unwrap(), i128::from(30 * HOUR));
    // The whole range, and additivity across it.
    let (first, last) = (MIN_TIMESTAMP + WEEK, END_TIMESTAMP - WEEK);
    let whole = hours.business_time(F, first, last).unwrap();
    let middle = utc(150_000, 6, 1, 12, 0);
    assert_eq!(
        hours.business_time(F, first, middle).unwrap()
            + hours.business_time(F, middle, last).unwrap(),
        whole
    );
    assert!(
        started.elapsed() < std::time::Duration::from_secs(20),
        "{:?}",
        started.elapsed()
    );
}

// ---------------------------------------------------------------------------------------------
// References written from the definition.
// ---------------------------------------------------------------------------------------------

/// The business intervals of the local days around `[a, b)`, unclipped and unmerged.
fn day_intervals(hours: &BusinessHours, a: i64, b: i64) -> Vec<(i64, i64)> {
    let calendar = hours.calendar();
    let zone = &calendar.zone;
    let first = zone.to_local(F, a).unwrap().div_euclid(DAY) - 3;
    let last = zone.to_local(F, b).unwrap().div_euclid(DAY) + 2;
    let mut intervals = Vec::new();
    for day in first..=last {
        if calendar.holidays.contains(&(day as i32)) {
            continue;
        }
        for opening in &calendar.openings {
            if usize::from(opening.weekday) != weekday(day) {
                continue;
            }
            let open = day * DAY + i64::from(opening.start) * MINUTE;
            let close = open + i64::from(opening.length) * MINUTE;
            intervals.push((
                zone.from_local(F, open).unwrap(),
                zone.from_local(F, close).unwrap(),
            ));
        }
    }
    intervals
}

/// Minute by minute: counts the minutes of `[a, b)` (whole minutes) inside any interval.
fn minute_by_minute(hours: &BusinessHours, a: i64, b: i64) -> i64 {
    let intervals = day_intervals(hours, a, b);
    (0..(b - a) / MINUTE)
        .map(|k| a + k * MINUTE)
        .filter(|&t| {
            intervals
                .iter()
                .any(|&(open, close)| open <= t && t < close)
        })
        .count() as i64
        * MINUTE
}

/// Day by day: clips, sorts and merges the intervals of every day in the span.
fn day_by_day(hours: &BusinessHours, a: i64, b: i64) -> i64 {
    let mut intervals: Vec<(i64, i64)> = day_intervals(hours, a, b)
        .into_iter()
        .map(|(open, close)| (open.max(a), close.min(b)))
        .filter(|(open, close)| open < close)
        .collect();
    intervals.sort_unstable();
    let mut total = 0;
    let mut reached = i64::MIN;
    for (open, close) in intervals {
        let open = open.max(reached);
        if close > open {
            total += close - open;
            reached = close;
        }
    }
    total
}

// ---------------------------------------------------------------------------------------------
// Random calendars and zones.
// ---------------------------------------------------------------------------------------------

/// Openings cut from the week at random points, every other piece open (so none overlap),
/// written in the hours grammar.
fn any_hours() -> impl Strategy<Value = String> {
    prop::collection::btree_set(0u32..(7 * 1440 / 15), 0..14).prop_map(|cuts| {
        let cuts: Vec<u32> = cuts.into_iter().map(|c| c * 15).collect();
        let mut entries = Vec::new();
        for pair in cuts.chunks(2) {
            if let [start, end] = *pair {
                // Less than a day long, so the piece is one opening of the day it starts
                // (a 24-hour shift can only start at midnight: `00:00-24:00`).
                let end = end.min(start + 1425);
                let day = start / 1440;
                let (from, to) = (start % 1440, end - day * 1440);
                let to = if to > 1440 { to - 1440 } else { to };
                let clock = |m: u32| format!("{:02}:{:02}", m / 60, m % 60);
                let name = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"][day as usize];
                entries.push(format!("{name} {}-{}", clock(from), clock(to)));
            }
        }
        entries.join("; ")
    })
}

/// Zones: UTC, New York, London, a random DST rule (offsets in quarter hours, DST of ±30 to
/// ±120 minutes, changes at random local hours), and a chaotic zone whose offset jumps by up
/// to a day at random instants at least two days apart.
fn any_zone() -> impl Strategy<Value = Zone> {
    prop_oneof![
        Just(Zone::utc()),
        Just(new_york()),
        Just(london()),
        (
            -48i32..56,
            prop::sample::select(vec![-60i32, 30, 60, 120]),
            (60i64..150, 0i64..24),
            (200i64..330, 0i64..24)
        )
            .prop_map(|(standard, dst, spring, fall)| {
                let standard = standard * 900;
                let dst = standard + dst * 60;
                let mut transitions = Vec::new();
                for year in 2019..2032 {
                    let new_year = days_from_civil(year, 1, 1);
                    let local = |(day_of_year, hour): (i64, i64)| {
                        (new_year + day_of_year) * DAY + hour * HOUR
                    };
                    let spring_at = local(spring) - i64::from(standard) * USECS_PER_SEC;
                    let fall_at = local(fall) - i64::from(dst) * USECS_PER_SEC;
                    transitions.push((unix(spring_at), dst));
                    transitions.push((unix(fall_at), standard));
                }
                list_zone("Test/Rule", standard, transitions)
            }),
        prop::collection::vec((2i64..40, -48i32..56), 1..60).prop_map(|steps| {
            let mut at = utc(2024, 1, 1, 0, 0);
            let transitions = steps
                .into_iter()
                .map(|(days, quarter_hours)| {
                    at += days * DAY + (days * 7_919 % 97) * MINUTE;
                    (unix(at), quarter_hours * 900)
                })
                .collect();
            list_zone("Test/Chaos", 3600, transitions)
        }),
    ]
}

fn any_calendar() -> impl Strategy<Value = BusinessHours> {
    (
        any_hours(),
        any_zone(),
        prop::collection::vec(0i64..500, 0..12),
    )
        .prop_map(|(text, zone, holiday_offsets)| {
            let first = days_from_civil(2024, 1, 1);
            let holidays: Vec<i32> = holiday_offsets
                .iter()
                .map(|&o| (first + o) as i32)
                .collect();
            let calendar = Calendar::new("crm.business_calendar", &text, zone, &holidays)
                .unwrap_or_else(|e| panic!("{text}: {e}"));
            BusinessHours::new(calendar)
        })
}

/// Instants in 2024-2025 (around the random zones' changes).
fn any_instant() -> impl Strategy<Value = i64> {
    utc(2024, 1, 1, 0, 0)..utc(2025, 6, 1, 0, 0)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn agrees_with_minute_by_minute(
        hours in any_calendar(),
        a in any_instant(),
        minutes in 0i64..(12 * 1440),
    ) {
        let a = a - a.rem_euclid(MINUTE);
        let b = a + minutes * MINUTE;
        prop_assert_eq!(hours.business_time(F, a, b).unwrap(), minute_by_minute(&hours, a, b));
        let inside = minute_by_minute(&hours, a, a + MINUTE) > 0;
        prop_assert_eq!(hours.is_business_time(F, a).unwrap(), inside);
    }

    #[test]
    fn agrees_with_day_by_day_over_long_spans(
        hours in any_calendar(),
        a in any_instant(),
        span in 0i64..(900 * DAY),
    ) {
        prop_assert_eq!(hours.business_time(F, a, a + span).unwrap(), day_by_day(&hours, a, a + span));
    }

    #[test]
    fn additive_and_antisymmetric(
        hours in any_calendar(),
        mut points in prop::collection::vec(any_instant(), 3),
    ) {
        points.sort_unstable();
        let (a, b, c) = (points[0], points[1], points[2]);
        let time = |x, y| hours.business_time(F, x, y).unwrap();
        prop_assert_eq!(time(a, b) + time(b, c), time(a, c));
        prop_assert_eq!(time(c, a), -time(a, c));
    }

    #[test]
    fn add_inverts_time(
        hours in any_calendar(),
        a in any_instant(),
        amount in 0i64..(2_000 * HOUR),
    ) {
        prop_assume!(hours.week_total > 0);
        let due = hours.business_add(F, a, amount).unwrap();
        prop_assert!(due >= a);
        prop_assert_eq!(hours.business_time(F, a, due).unwrap(), amount);
        if amount > 0 {
            // The first such instant.
            prop_assert!(hours.business_time(F, a, due - 1).unwrap() < amount);
        }
    }

    #[test]
    fn always_open_utc_is_elapsed_time(
        a in (MIN_TIMESTAMP + WEEK)..(END_TIMESTAMP / 2),
        span in 0i64..(END_TIMESTAMP / 2),
    ) {
        let always = hours_in("Mon-Sun 00:00-24:00", Zone::utc(), &[]);
        prop_assert_eq!(always.business_time(F, a, a + span).unwrap(), span);
        prop_assert_eq!(always.business_add(F, a, span.min(1_000 * WEEK)).unwrap(), a + span.min(1_000 * WEEK));
    }

    #[test]
    fn always_open_in_any_zone_is_elapsed_time(
        zone in any_zone(),
        a in any_instant(),
        span in 0i64..(400 * DAY),
    ) {
        let always = hours_in("Mon-Sun 00:00-24:00", zone, &[]);
        prop_assert_eq!(always.business_time(F, a, a + span).unwrap(), span);
    }
}
