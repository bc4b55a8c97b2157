//! Months of a recurring-revenue summary: Postgres dates as text (messages and the text form)
//! and the month a first-of-month date stands for.
use crate::common::civil::{civil_from_days, days_from_civil, USECS_PER_DAY};
use crate::common::error::{MetricError, MetricResult};
use crate::common::periods::{period_index, period_start_date, Period};
use crate::common::tz::Zone;

/// The text of a Postgres date (days since 2000-01-01), for messages and the text form:
/// `YYYY-MM-DD` with astronomical years (year 0 is 1 BC), signed below year 0 and above 9999
/// (`-4712-01-01`, `+294276-12-01`), as chrono prints the dates it holds. Every date Postgres
/// holds has a text (chrono's own stop at year 262142 printed `day N`, which nothing read back).
pub fn date_text(day: i32) -> String {
    match day {
        i32::MIN => "-infinity".to_owned(),
        i32::MAX => "infinity".to_owned(),
        _ => {
            let (year, month, day) = civil_from_days(i64::from(day));
            let sign = match year {
                ..=-1 => "-",
                10_000.. => "+",
                _ => "",
            };
            format!("{sign}{:04}-{month:02}-{day:02}", year.abs())
        }
    }
}

/// Reads [`date_text`]'s form: days since 2000-01-01, or `None` for text that is not a real
/// date.
pub fn parse_date_text(text: &str) -> Option<i64> {
    let (sign, unsigned) = match text.as_bytes().first() {
        Some(b'-') => (-1, &text[1..]),
        Some(b'+') => (1, &text[1..]),
        _ => (1, text),
    };
    let mut parts = unsigned.split('-');
    let (year, month, day) = (parts.next()?, parts.next()?, parts.next()?);
    let number = |part: &str, max_digits: usize| -> Option<i64> {
        let digits =
            (1..=max_digits).contains(&part.len()) && part.bytes().all(|b| b.is_ascii_digit());
        digits.then(|| part.parse().ok()).flatten()
    };
    let (year, month, day) = (sign * number(year, 7)?, number(month, 2)?, number(day, 2)?);
    if parts.next().is_some() || !(1..=12).contains(&month) || day < 1 {
        return None;
    }
    let days = days_from_civil(year, month, day);
    (civil_from_days(days) == (year, month, day)).then_some(days)
}

/// The month index of a date that must be the first day of a month (22023 otherwise).
#[inline]
pub fn month_of_date(function: &str, what: &str, day: i32) -> MetricResult<i32> {
    let index = i64::from(day)
        .checked_mul(USECS_PER_DAY)
        .and_then(|timestamp| period_index(function, Period::Month, &Zone::utc(), timestamp).ok());
    match index {
        Some(index) if period_start_date(Period::Month, index) == day => Ok(index),
        Some(_) => Err(not_first_of_month(function, what, day)),
        None => Err(month_out_of_range(function, what, day)),
    }
}

#[cold]
#[inline(never)]
fn not_first_of_month(function: &str, what: &str, day: i32) -> MetricError {
    MetricError::InvalidParameter(format!(
        "{function}: {what} {} is not the first day of a month",
        date_text(day)
    ))
}

/// An infinite date, or a month outside the months of the timestamp range.
#[cold]
#[inline(never)]
fn month_out_of_range(function: &str, what: &str, day: i32) -> MetricError {
    let (low, high) = Period::Month.index_range();
    MetricError::InvalidParameter(format!(
        "{function}: {what} {} is outside the months {} to {}",
        date_text(day),
        date_text(period_start_date(Period::Month, low)),
        date_text(period_start_date(Period::Month, high))
    ))
}
