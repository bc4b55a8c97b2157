//! SQL surface of the survival family: the `crm.survival_summary` type with its aggregates
//! (`summary`) and what reads it (`readers`: the curve, survival at a duration, median,
//! restricted mean, life table, log-rank test).
//!
//! Durations are exact microseconds inside and `interval`s outside. An interval argument
//! counts a day as 24 hours; months are refused (22023), since a month has no fixed length, and
//! `'infinity'` and `'-infinity'` (Postgres 17 on) are 22008.

use crate::common::civil::{format_interval, interval_text, require_finite_interval};
use crate::common::error::{MetricError, MetricResult};
use crate::common::tz::USECS_PER_DAY;
use pgrx::datum::Interval;

pub mod readers;
pub mod summary;

const SURVIVAL_AGG: &str = "crm.survival_agg";
const SURVIVAL_ROLLUP: &str = "crm.rollup";

/// A duration of `micros` microseconds as an interval of days and time (a day is 24 hours).
fn interval_of(micros: i64) -> Interval {
    let days = micros.div_euclid(USECS_PER_DAY);
    let rest = micros.rem_euclid(USECS_PER_DAY);
    // |days| is below 2^27 for any i64 of microseconds, and an interval without months is
    // always valid: the fallback (the same duration, all in microseconds) is never taken.
    Interval::new(0, days as i32, rest).unwrap_or_else(|_| Interval::from_micros(micros))
}

/// [`interval_of`] as the C struct a datum points to: the same days and time, no months.
fn raw_interval_of(micros: i64) -> pgrx::pg_sys::Interval {
    // |days| is below 2^27 for any i64 of microseconds.
    pgrx::pg_sys::Interval {
        time: micros.rem_euclid(USECS_PER_DAY),
        day: micros.div_euclid(USECS_PER_DAY) as i32,
        month: 0,
    }
}

/// An interval argument as microseconds: days count 24 hours, months are refused.
fn micros_of(function: &str, what: &str, value: pgrx::pg_sys::Interval) -> MetricResult<i64> {
    let fields = (value.month, value.day, value.time);
    require_finite_interval(function, what, fields)?;
    if value.month != 0 {
        return Err(MetricError::InvalidParameter(format!(
            "{function}: {what} {} has months, which have no fixed length (write days, e.g. \
             '30 days')",
            interval_text(fields)
        )));
    }
    let total = i128::from(value.day) * i128::from(USECS_PER_DAY) + i128::from(value.time);
    i64::try_from(total).map_err(|_| {
        let text = format_interval(value.day.into(), value.time);
        if total < 0 {
            // Negative beyond 64 bits is refused as a negative one is, not as too long.
            MetricError::InvalidParameter(format!("{function}: {what} {text} is negative"))
        } else {
            MetricError::OutOfRange(format!(
                "{function}: {what} {text} is out of range (at most 2^63 - 1 microseconds)"
            ))
        }
    })
}
