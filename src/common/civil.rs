//! Civil dates and raw timestamps, in plain integer arithmetic: proleptic Gregorian dates as
//! Postgres counts them, the range of `timestamptz`, and the UTC text form of timestamps that
//! the text forms of summaries use.
//!
//! Instants are Postgres raw `timestamptz` values (microseconds since 2000-01-01 00:00:00 UTC;
//! `i64::MIN` / `i64::MAX` are -infinity / +infinity) and days are Postgres raw `date` values
//! (days since 2000-01-01).
use super::error::{MetricError, MetricResult};

pub const USECS_PER_SEC: i64 = 1_000_000;
pub const USECS_PER_DAY: i64 = 86_400 * USECS_PER_SEC;
/// Earliest finite `timestamptz` Postgres accepts (4714-11-24 00:00:00+00 BC), raw.
pub const MIN_TIMESTAMP: i64 = -211_813_488_000_000_000;
/// First instant past the finite `timestamptz` range (294277-01-01 00:00:00+00), raw.
pub const END_TIMESTAMP: i64 = 9_223_371_331_200_000_000;

/// Whether a raw timestamp is a finite value Postgres accepts (one unsigned comparison once
/// inlined).
#[inline(always)]
pub fn is_valid_timestamp(value: i64) -> bool {
    (MIN_TIMESTAMP..END_TIMESTAMP).contains(&value)
}

/// 22008 for an infinite timestamp, naming the function.
#[inline]
pub fn check_finite(function: &str, timestamp: i64) -> MetricResult<()> {
    match timestamp {
        i64::MIN => Err(MetricError::DatetimeOverflow(format!(
            "{function}: timestamp -infinity is not allowed"
        ))),
        i64::MAX => Err(MetricError::DatetimeOverflow(format!(
            "{function}: timestamp infinity is not allowed"
        ))),
        _ => Ok(()),
    }
}

/// 22008 for a timestamp past the range of `timestamptz`, naming the function.
pub fn out_of_range(function: &str) -> MetricError {
    MetricError::DatetimeOverflow(format!("{function}: timestamp out of range"))
}

// ---------------------------------------------------------------------------------------------
// Civil dates (proleptic Gregorian, as Postgres counts them; year 0 is 1 BC).
// ---------------------------------------------------------------------------------------------

/// Days since 2000-01-01 of a civil date (H. Hinnant's `days_from_civil`); exact for every
/// year a timestamp can hold.
#[inline]
pub fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let month_index = (month + 9) % 12;
    let day_of_year = (153 * month_index + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 730_425
}

/// Civil date (year, month 1..=12, day 1..=31) of a day since 2000-01-01 (H. Hinnant's
/// `civil_from_days`, the inverse of [`days_from_civil`]).
#[inline]
pub fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 730_425;
    let era = z.div_euclid(146_097);
    let day_of_era = z - era * 146_097;
    let year_of_era =
        (day_of_era - day_of_era / 1_460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_index = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * month_index + 2) / 5 + 1;
    let month = if month_index < 10 {
        month_index + 3
    } else {
        month_index - 9
    };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// ISO weekday of a day since 2000-01-01: 0 = Monday ... 6 = Sunday (2000-01-01 was a Saturday).
pub fn weekday(days: i64) -> usize {
    (days + 5).rem_euclid(7) as usize
}

/// Days in a month of a (proleptic Gregorian) year.
fn days_in_month(year: i64, month: i64) -> i64 {
    match month {
        2 if year.rem_euclid(4) == 0
            && (year.rem_euclid(100) != 0 || year.rem_euclid(400) == 0) =>
        {
            29
        }
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

// ---------------------------------------------------------------------------------------------
// Timestamps as text, for the text forms of summaries.
// ---------------------------------------------------------------------------------------------

/// An interval of `months`, `days` and `micros` as Postgres prints it with
/// `IntervalStyle = postgres`, for messages: `1 mon`, `-1 mons +40 days`, `-01:00:00`,
/// `1 year 2 mons 2 days 01:00:00`. A field after a negative one gets a `+` when positive.
pub fn interval_text((months, days, micros): (i32, i32, i64)) -> String {
    let mut parts = Vec::new();
    let mut after_negative = false;
    for (value, unit) in [
        (i64::from(months / 12), "year"),
        (i64::from(months % 12), "mon"),
    ] {
        if value != 0 {
            let sign = if after_negative && value > 0 { "+" } else { "" };
            let plural = if value == 1 { "" } else { "s" };
            parts.push(format!("{sign}{value} {unit}{plural}"));
            after_negative = value < 0;
        }
    }
    // The days and the time as `format_interval` prints them, a `+` before positive days
    // after a negative field, and before a positive time after negative months (no days).
    if days != 0 || micros != 0 || parts.is_empty() {
        let rest = format_interval(i64::from(days), micros);
        let first_positive = if days != 0 { days > 0 } else { micros > 0 };
        let sign = if after_negative && first_positive {
            "+"
        } else {
            ""
        };
        parts.push(format!("{sign}{rest}"));
    }
    parts.join(" ")
}

/// Whether this build's Postgres has infinite intervals (17 on). Before, every field at its
/// maximum is a finite interval like any other.
pub const INFINITE_INTERVALS: bool = cfg!(any(feature = "pg17", feature = "pg18"));

/// Refuses an infinite `interval` argument with 22008, naming it: Postgres 17 on stores
/// `'infinity'` and `'-infinity'` as every field (months, days, microseconds) at its maximum or
/// minimum, which would otherwise read as some 179 million years. `what` names the argument.
pub fn require_finite_interval(
    function: &str,
    what: &str,
    (months, days, micros): (i32, i32, i64),
) -> MetricResult<()> {
    if !INFINITE_INTERVALS {
        return Ok(());
    }
    let shown = if (months, days, micros) == (i32::MAX, i32::MAX, i64::MAX) {
        "infinity"
    } else if (months, days, micros) == (i32::MIN, i32::MIN, i64::MIN) {
        "-infinity"
    } else {
        return Ok(());
    };
    Err(MetricError::DatetimeOverflow(format!(
        "{function}: {what} '{shown}' must be finite"
    )))
}

/// Refuses an infinite `timestamptz` argument with 22008, naming it (`what`), as
/// [`require_finite_interval`] does an interval.
pub fn require_finite_timestamp(function: &str, what: &str, timestamp: i64) -> MetricResult<()> {
    let shown = match timestamp {
        i64::MIN => "-infinity",
        i64::MAX => "infinity",
        _ => return Ok(()),
    };
    Err(MetricError::DatetimeOverflow(format!(
        "{function}: {what} '{shown}' must be finite"
    )))
}

/// Formats an interval of `days` and `micros` (no months) as Postgres prints it with
/// `IntervalStyle = postgres`, for messages: `1 day 02:00:00`, `-1 days +00:00:01`,
/// `-00:00:01.5`, `100:00:00`, `00:00:00`.
pub fn format_interval(days: i64, micros: i64) -> String {
    let mut text = String::new();
    if days != 0 {
        text.push_str(&format!("{days} day{}", if days == 1 { "" } else { "s" }));
    }
    if days == 0 || micros != 0 {
        let sign = match (micros < 0, days < 0) {
            (true, _) => "-",
            (false, true) => "+",
            (false, false) => "",
        };
        let all = micros.unsigned_abs();
        let seconds = all / USECS_PER_SEC as u64;
        let fraction = all % USECS_PER_SEC as u64;
        if !text.is_empty() {
            text.push(' ');
        }
        text.push_str(&format!(
            "{sign}{:02}:{:02}:{:02}",
            seconds / 3600,
            seconds / 60 % 60,
            seconds % 60
        ));
        if fraction != 0 {
            text.push('.');
            text.push_str(format!("{fraction:06}").trim_end_matches('0'));
        }
    }
    text
}

/// Formats a raw timestamp as UTC `YYYY-MM-DD HH:MM:SS[.ffffff]+00` (Postgres' output with
/// `TimeZone = UTC`: trailing zeros of the fraction dropped, ` BC` after years before 1).
pub fn format_timestamp(value: i64) -> String {
    match value {
        i64::MIN => return "-infinity".to_string(),
        i64::MAX => return "infinity".to_string(),
        _ => {}
    }
    let (year, month, day) = civil_from_days(value.div_euclid(USECS_PER_DAY));
    let micros_of_day = value.rem_euclid(USECS_PER_DAY);
    let seconds = micros_of_day / USECS_PER_SEC;
    let fraction = micros_of_day % USECS_PER_SEC;
    let (hour, minute, second) = (seconds / 3600, seconds / 60 % 60, seconds % 60);
    let shown_year = if year > 0 { year } else { 1 - year };
    let mut text = format!("{shown_year:04}-{month:02}-{day:02} {hour:02}:{minute:02}:{second:02}");
    if fraction != 0 {
        let digits = format!("{fraction:06}");
        text.push('.');
        text.push_str(digits.trim_end_matches('0'));
    }
    text.push_str("+00");
    if year <= 0 {
        text.push_str(" BC");
    }
    text
}

/// Parses what [`format_timestamp`] writes for a finite value (the fraction may have 1 to 6
/// digits); `None` for anything else, including instants outside the range of `timestamptz`.
pub fn parse_timestamp(text: &str) -> Option<i64> {
    let (text, before_christ) = match text.strip_suffix(" BC") {
        Some(text) => (text, true),
        None => (text, false),
    };
    let (date, time) = text.strip_suffix("+00")?.split_once(' ')?;
    let (year, month_day) = date.split_once('-')?;
    let (month, day) = month_day.split_once('-')?;
    let (hms, fraction) = match time.split_once('.') {
        Some((hms, fraction)) => (hms, Some(fraction)),
        None => (time, None),
    };
    let (hour, minute_second) = hms.split_once(':')?;
    let (minute, second) = minute_second.split_once(':')?;

    let year = digits(year, 4, 6)?;
    let (month, day) = (digits(month, 2, 2)?, digits(day, 2, 2)?);
    let (hour, minute, second) = (
        digits(hour, 2, 2)?,
        digits(minute, 2, 2)?,
        digits(second, 2, 2)?,
    );
    let micros = match fraction {
        None => 0,
        Some(fraction) => {
            let value = digits(fraction, 1, 6)?;
            let scale = 10i64.pow(u32::try_from(6 - fraction.len()).ok()?);
            value * scale
        }
    };
    if year == 0 || !(1..=12).contains(&month) || hour > 23 || minute > 59 || second > 59 {
        return None;
    }
    let year = if before_christ { 1 - year } else { year };
    if day < 1 || day > days_in_month(year, month) {
        return None;
    }
    let days = days_from_civil(year, month, day);
    let seconds = i128::from(days) * 86_400 + i128::from(hour * 3600 + minute * 60 + second);
    let value = seconds * i128::from(USECS_PER_SEC) + i128::from(micros);
    i64::try_from(value)
        .ok()
        .filter(|&value| is_valid_timestamp(value))
}

/// An unsigned decimal of `min..=max` ASCII digits.
fn digits(text: &str, min: usize, max: usize) -> Option<i64> {
    if (min..=max).contains(&text.len()) && text.bytes().all(|byte| byte.is_ascii_digit()) {
        text.parse().ok()
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn intervals_print_as_postgres_prints_them() {
        // Each as `SELECT make_interval(days => d, secs => s)::text` prints it.
        for (days, micros, shown) in [
            (0, 0, "00:00:00"),
            (1, 7_200_000_000, "1 day 02:00:00"),
            (-1, 1_000_000, "-1 days +00:00:01"),
            (0, -1_500_000, "-00:00:01.5"),
            (2, 0, "2 days"),
            (0, 360_000_000_000, "100:00:00"),
            (-3, -60_000_001, "-3 days -00:01:00.000001"),
            (0, i64::MIN, "-2562047788:00:54.775808"),
        ] {
            assert_eq!(format_interval(days, micros), shown);
        }
    }

    #[test]
    fn intervals_with_months_print_as_postgres_prints_them() {
        // Each as `SELECT make_interval(months => m, days => d, secs => s)::text` prints it.
        for (months, days, micros, shown) in [
            (1, 0, 0, "1 mon"),
            (-1, 40, 0, "-1 mons +40 days"),
            (14, 2, 3_600_000_000, "1 year 2 mons 2 days 01:00:00"),
            (-12, 0, 0, "-1 years"),
            (0, 0, -3_600_000_000, "-01:00:00"),
            (-14, -2, 0, "-1 years -2 mons -2 days"),
            (-13, 2, -3_600_000_000, "-1 years -1 mons +2 days -01:00:00"),
            (11, 0, 0, "11 mons"),
            (-1, 0, 3_600_000_000, "-1 mons +01:00:00"),
        ] {
            assert_eq!(interval_text((months, days, micros)), shown);
        }
    }

    #[test]
    fn infinite_intervals_are_refused_by_name() {
        if !INFINITE_INTERVALS {
            // Before Postgres 17 every field at its limit is a finite interval.
            for fields in [
                (i32::MAX, i32::MAX, i64::MAX),
                (i32::MIN, i32::MIN, i64::MIN),
            ] {
                assert!(require_finite_interval("crm.f", "step", fields).is_ok());
            }
            return;
        }
        let refused = |fields| match require_finite_interval("crm.f", "step", fields) {
            Err(MetricError::DatetimeOverflow(message)) => message,
            other => panic!("{other:?}"),
        };
        assert_eq!(
            refused((i32::MAX, i32::MAX, i64::MAX)),
            "crm.f: step 'infinity' must be finite"
        );
        assert_eq!(
            refused((i32::MIN, i32::MIN, i64::MIN)),
            "crm.f: step '-infinity' must be finite"
        );
        // Only all three fields at their limit: any other interval is finite.
        for fields in [
            (i32::MAX, i32::MAX, 0),
            (0, i32::MAX, i64::MAX),
            (i32::MIN, i32::MIN, i64::MAX),
            (0, 0, 0),
        ] {
            assert!(require_finite_interval("crm.f", "step", fields).is_ok());
        }
    }

    use super::*;
    use proptest::prelude::*;

    #[test]
    fn civil_dates() {
        assert_eq!(days_from_civil(2000, 1, 1), 0);
        assert_eq!(civil_from_days(0), (2000, 1, 1));
        assert_eq!(weekday(0), 5); // Saturday
        assert_eq!(weekday(days_from_civil(2026, 3, 9)), 0); // Monday
        for day in (-2_000_000..2_000_000).step_by(331) {
            let (y, m, d) = civil_from_days(day);
            assert_eq!(days_from_civil(y, m, d), day);
            assert!((1..=12).contains(&m) && (1..=31).contains(&d));
        }
        assert_eq!(
            civil_from_days(days_from_civil(-4713, 11, 24)),
            (-4713, 11, 24)
        );
    }

    #[test]
    fn civil_round_trip() {
        for day in (-800_000..800_000).step_by(997) {
            let (year, month, day_of_month) = civil_from_days(day);
            assert_eq!(days_from_civil(year, month, day_of_month), day);
            let first = days_from_civil(year, month, 1);
            assert!(first <= day && day - first < 31);
            let next = if month == 12 {
                days_from_civil(year + 1, 1, 1)
            } else {
                days_from_civil(year, month + 1, 1)
            };
            assert!(day < next);
        }
    }

    #[test]
    fn timestamps_format_like_postgres_in_utc() {
        assert_eq!(format_timestamp(0), "2000-01-01 00:00:00+00");
        assert_eq!(
            format_timestamp(8766 * USECS_PER_DAY),
            "2024-01-01 00:00:00+00"
        );
        assert_eq!(
            format_timestamp(-10957 * USECS_PER_DAY),
            "1970-01-01 00:00:00+00"
        );
        assert_eq!(format_timestamp(-1), "1999-12-31 23:59:59.999999+00");
        assert_eq!(
            format_timestamp(59 * USECS_PER_DAY + 3_723_500_000),
            "2000-02-29 01:02:03.5+00"
        );
        // Postgres' lowest timestamp.
        assert_eq!(
            format_timestamp(-211_813_488_000_000_000),
            "4714-11-24 00:00:00+00 BC"
        );
        assert_eq!(
            format_timestamp(parse_timestamp("0001-01-01 00:00:00+00 BC").unwrap()),
            "0001-01-01 00:00:00+00 BC"
        );
        assert_eq!(
            parse_timestamp("0001-01-01 00:00:00+00").unwrap()
                - parse_timestamp("0001-12-31 00:00:00+00 BC").unwrap(),
            USECS_PER_DAY
        );
        assert_eq!(format_timestamp(i64::MAX), "infinity");
        assert_eq!(format_timestamp(i64::MIN), "-infinity");
        for bad in [
            "2024-02-30 00:00:00+00",
            "2023-02-29 00:00:00+00",
            "0000-01-01 00:00:00+00",
            "2024-01-01 24:00:00+00",
            "2024-01-01 00:00:00.1234567+00",
            "2024-01-01 00:00:00",
            "2024-1-01 00:00:00+00",
            "infinity",
            "+024-01-01 00:00:00+00",
            "999999-01-01 00:00:00+00",
        ] {
            assert_eq!(parse_timestamp(bad), None, "{bad}");
        }
    }

    proptest! {
        #[test]
        fn parsing_random_text_never_panics(text in ".{0,80}") {
            let _ = parse_timestamp(&text);
        }

        #[test]
        fn timestamps_round_trip(value in MIN_TIMESTAMP..END_TIMESTAMP) {
            prop_assert_eq!(parse_timestamp(&format_timestamp(value)), Some(value));
        }
    }
}
