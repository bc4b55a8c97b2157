//! SQL surface of the service family: the `crm.business_calendar` type and constructor,
//! `crm.business_time`, `crm.business_add`, `crm.is_business_time`, `crm.service_agg` with its
//! accessors and `crm.rollup`, and the one-step `crm.sla_attainment` and `crm.fcr_rate`; one
//! file per concern: `calendar` (the type, its prepared-calendar cache and the business-time
//! functions), `service_agg` (the summary aggregate and its accessors), `one_step`.
//!
//! Functions that take a calendar per row are V1 C functions (declared in `sql/service.sql`):
//! they read the calendar's bytes straight from the argument and find the prepared calendar in a
//! per-backend cache keyed by those bytes, so a calendar is decoded (and its zone loaded) once,
//! not once per row. Their bodies run under pgrx's guard, so errors are ordinary ERRORs.

use crate::common::civil::{
    format_timestamp, interval_text, require_finite_interval, require_finite_timestamp,
};
use crate::common::error::{MetricError, MetricResult};
use crate::common::tz::USECS_PER_DAY;
use crate::service::state::hours::BusinessHours;
use crate::service::state::tickets::{check_duration, TimeKind};
use pgrx::datum::Interval;
use pgrx::prelude::*;

pub mod calendar;
pub mod one_step;
pub mod service_agg;

const BUSINESS_CALENDAR: &str = "crm.business_calendar";
const BUSINESS_TIME: &str = "crm.business_time";
const BUSINESS_ADD: &str = "crm.business_add";
const IS_BUSINESS_TIME: &str = "crm.is_business_time";
const SERVICE_AGG: &str = "crm.service_agg";
const SERVICE_ROLLUP: &str = "crm.rollup";
const SLA_ATTAINMENT: &str = "crm.sla_attainment";
const SLA_COUNTS: &str = "crm.sla_counts";
const FCR_RATE: &str = "crm.fcr_rate";
/// Prepared calendars kept per backend.
fn interval(micros: i64) -> Option<Interval> {
    Interval::new(0, 0, micros).ok()
}

/// Reads an interval argument.
///
/// # Safety
/// `datum` must be a non-null `interval` datum.
unsafe fn interval_argument(datum: pg_sys::Datum) -> pg_sys::Interval {
    // SAFETY: a non-null interval datum points to an `Interval` (this function's contract),
    // which is copied out.
    unsafe { *datum.cast_mut_ptr::<pg_sys::Interval>() }
}

/// An amount of business time: hours, minutes and seconds only, not negative.
fn business_amount(function: &str, what: &str, amount: pg_sys::Interval) -> MetricResult<i64> {
    let fields = (amount.month, amount.day, amount.time);
    require_finite_interval(function, what, fields)?;
    if amount.month != 0 || amount.day != 0 {
        return Err(MetricError::InvalidParameter(format!(
            "{function}: {what} {} has days or months, which business time does not define \
             (write hours, e.g. '24 hours')",
            interval_text(fields)
        )));
    }
    if amount.time < 0 {
        return Err(MetricError::InvalidParameter(format!(
            "{function}: {what} {} is negative",
            interval_text(fields)
        )));
    }
    Ok(amount.time)
}

/// Duration from `created` to `end`: business time with a calendar, else elapsed time.
fn duration(
    function: &str,
    hours: Option<&BusinessHours>,
    created: i64,
    end: i64,
    what: &str,
) -> MetricResult<i64> {
    // An infinite time is 22008 whatever the other one is.
    require_finite_timestamp(function, "created_at", created)?;
    require_finite_timestamp(function, what, end)?;
    if end < created {
        return Err(MetricError::InvalidParameter(format!(
            "{function}: {what} {} is before created_at {}",
            format_timestamp(end),
            format_timestamp(created)
        )));
    }
    let measured = match hours {
        Some(hours) => hours.business_time(function, created, end)?,
        None => end.checked_sub(created).ok_or_else(|| {
            MetricError::DatetimeOverflow(format!(
                "{function}: the time from created_at {} to {what} {} is out of range of an \
                     interval",
                format_timestamp(created),
                format_timestamp(end)
            ))
        })?,
    };
    check_duration(function, what, measured)
}

/// An SLA target in microseconds: not negative, no months; days count 24 hours in elapsed
/// time and are refused in business time.
fn sla_target(function: &str, kind: TimeKind, target: pg_sys::Interval) -> MetricResult<i64> {
    match kind {
        TimeKind::Business => business_amount(function, "target", target),
        TimeKind::Elapsed => {
            let fields = (target.month, target.day, target.time);
            require_finite_interval(function, "target", fields)?;
            if target.month != 0 {
                return Err(MetricError::InvalidParameter(format!(
                    "{function}: target {} has months, which have no fixed length",
                    interval_text(fields)
                )));
            }
            let micros = i64::from(target.day)
                .checked_mul(USECS_PER_DAY)
                .and_then(|days| days.checked_add(target.time))
                .ok_or_else(|| {
                    MetricError::OutOfRange(format!(
                        "{function}: target {} is out of range (more than 2^63 - 1 \
                         microseconds)",
                        interval_text(fields)
                    ))
                })?;
            if micros < 0 {
                return Err(MetricError::InvalidParameter(format!(
                    "{function}: target {} is negative",
                    interval_text(fields)
                )));
            }
            Ok(micros)
        }
    }
}
