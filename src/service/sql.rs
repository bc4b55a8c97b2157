//! SQL surface of the service family: the `crm.business_calendar` type and constructor,
//! `crm.business_time`, `crm.business_add`, `crm.is_business_time`, `crm.service_agg` with its
//! accessors and `crm.rollup`, and the one-step `crm.sla_attainment` and `crm.fcr_rate`.
//!
//! Functions that take a calendar per row are V1 C functions (declared in `sql/service.sql`):
//! they read the calendar's bytes straight from the argument and find the prepared calendar in a
//! per-backend cache keyed by those bytes, so a calendar is decoded (and its zone loaded) once,
//! not once per row. Their bodies run under pgrx's guard, so errors are ordinary ERRORs.
use std::cell::RefCell;
use std::rc::Rc;

use super::state::calendar::{Calendar, CALENDAR_TYPE};
use super::state::hours::BusinessHours;
use super::state::tickets::{
    check_duration, first_contact, Metric, ServiceSummary, SlaCounts, Ticket, TimeKind,
};
use crate::common::error::{MetricError, MetricResult};
use crate::common::expanded::{
    expanded_combine, expanded_final, expanded_return, expanded_state_mut,
};
use crate::common::flat::{flat_return, flat_state_mut};
use crate::common::pg::{
    bigint, state_ref, varlena_from_bytes, with_varlena_bytes, OrRaise, TextArg,
};
use crate::common::raw::{
    raise_from_raw, raw_arg, raw_return_state, raw_return_unchanged, raw_state,
};
use crate::common::shares::{share_count_overflow, ShareCounts};
use crate::common::tz::{Zone, USECS_PER_DAY};
use pgrx::datum::{Date, Internal, Interval};
use pgrx::prelude::*;

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
const CACHED_CALENDARS: usize = 64;

// ---------------------------------------------------------------------------------------------
// The calendar type.
// ---------------------------------------------------------------------------------------------

/// A calendar as the SQL type stores it (its zone resolved by Postgres).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredCalendar(pub Calendar);

impl StoredCalendar {
    pub fn encode(&mut self) -> Vec<u8> {
        self.0.encode()
    }

    pub fn decode(bytes: &[u8]) -> MetricResult<Self> {
        Calendar::decode(bytes, |name| Zone::parse(CALENDAR_TYPE, name)).map(StoredCalendar)
    }

    pub fn to_text(&mut self) -> String {
        self.0.to_text()
    }

    /// The JSON text form; a bare hours text (`'Mon-Fri 09:00-17:00'`) is read as a UTC
    /// calendar without holidays, as `crm.business_calendar(hours)` builds it (Postgres reads
    /// that one-argument call as a cast of its literal).
    pub fn from_text(text: &str) -> MetricResult<Self> {
        if text.trim_start().starts_with('{') {
            Calendar::from_text(text, |name| Zone::parse(CALENDAR_TYPE, name)).map(StoredCalendar)
        } else {
            Calendar::new(BUSINESS_CALENDAR, text, Zone::utc(), &[]).map(StoredCalendar)
        }
    }
}

/// Business hours: weekly openings in an IANA time zone, with holidays; text form
/// `{"hours":"Mon-Fri 09:00-17:00","time_zone":"UTC","holidays":[]}`.
#[allow(non_camel_case_types)]
#[derive(PostgresType, Clone, Debug, PartialEq, Eq)]
#[bikeshed_postgres_type_manually_impl_from_into_datum]
#[inoutfuncs]
pub struct business_calendar(pub StoredCalendar);

crate::summary_type!(business_calendar(StoredCalendar));

/// Builds a business calendar.
#[pg_extern(immutable, parallel_safe, name = "business_calendar")]
fn business_calendar_new(
    hours: default!(TextArg, "'Mon-Fri 09:00-17:00'"),
    time_zone: default!(TextArg, "'UTC'"),
    holidays: default!(Vec<Option<Date>>, "'{}'"),
) -> business_calendar {
    let hours = hours.name(BUSINESS_CALENDAR, "hours").or_raise();
    let time_zone = time_zone.name(BUSINESS_CALENDAR, "time zone").or_raise();
    let zone = Zone::parse(BUSINESS_CALENDAR, time_zone).or_raise();
    let days = holidays
        .into_iter()
        .map(|day| match day {
            Some(day) => Ok(day.into_inner()),
            None => Err(MetricError::InvalidParameter(format!(
                "{BUSINESS_CALENDAR}: holidays must not contain NULL"
            ))),
        })
        .collect::<MetricResult<Vec<i32>>>()
        .or_raise();
    let calendar = Calendar::new(BUSINESS_CALENDAR, hours, zone, &days).or_raise();
    business_calendar(StoredCalendar(calendar))
}

thread_local! {
    /// Prepared calendars by binary form, most recently used first.
    static CALENDARS: RefCell<Vec<(Vec<u8>, Rc<BusinessHours>)>> = const { RefCell::new(Vec::new()) };
}

/// The prepared calendar of a binary form, decoded once per backend.
fn prepared(bytes: &[u8]) -> Rc<BusinessHours> {
    let found = CALENDARS.with(|cache| {
        let mut cache = cache.borrow_mut();
        let index = cache.iter().position(|(key, _)| key.as_slice() == bytes)?;
        if index > 0 {
            let entry = cache.remove(index);
            cache.insert(0, entry);
        }
        cache.first().map(|(_, hours)| Rc::clone(hours))
    });
    if let Some(hours) = found {
        return hours;
    }
    let calendar = StoredCalendar::decode(bytes).or_raise();
    let hours = Rc::new(BusinessHours::new(calendar.0));
    CALENDARS.with(|cache| {
        let mut cache = cache.borrow_mut();
        cache.truncate(CACHED_CALENDARS - 1);
        cache.insert(0, (bytes.to_vec(), Rc::clone(&hours)));
    });
    hours
}

/// The prepared calendar in a calendar argument.
///
/// # Safety
/// `datum` must be a non-null `crm.business_calendar` datum.
unsafe fn prepared_argument(datum: pg_sys::Datum) -> Rc<BusinessHours> {
    // SAFETY: a non-null `crm.business_calendar` datum is a varlena (this function's contract).
    unsafe { with_varlena_bytes(datum, prepared) }
}

// ---------------------------------------------------------------------------------------------
// business_time, business_add, is_business_time.
// ---------------------------------------------------------------------------------------------

fn interval_datum(micros: i64) -> pg_sys::Datum {
    // SAFETY: palloc returns memory for one Interval in the current context (or raises).
    unsafe {
        let pointer =
            pg_sys::palloc(std::mem::size_of::<pg_sys::Interval>()) as *mut pg_sys::Interval;
        pointer.write(pg_sys::Interval {
            time: micros,
            day: 0,
            month: 0,
        });
        pg_sys::Datum::from(pointer)
    }
}

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
    if amount.month != 0 || amount.day != 0 {
        return Err(MetricError::InvalidParameter(format!(
            "{function}: {what} has days or months, which business time does not define \
             (write hours, e.g. '24 hours')"
        )));
    }
    if amount.time < 0 {
        return Err(MetricError::InvalidParameter(format!(
            "{function}: {what} is negative"
        )));
    }
    Ok(amount.time)
}

/// Arguments of a strict V1 function, all present.
///
/// # Safety
/// `fcinfo` must be a valid call info with at least `N` arguments.
unsafe fn strict_arguments<const N: usize>(
    fcinfo: pg_sys::FunctionCallInfo,
) -> Option<[pg_sys::Datum; N]> {
    let mut arguments = [pg_sys::Datum::from(0usize); N];
    for (index, slot) in arguments.iter_mut().enumerate() {
        // SAFETY: `index` < `N`, and the call has at least `N` arguments (this function's
        // contract).
        *slot = unsafe { raw_arg(fcinfo, index) }?;
    }
    Some(arguments)
}

/// Returns SQL NULL from a V1 function.
///
/// # Safety
/// `fcinfo` must be the call info of the running function.
unsafe fn return_null(fcinfo: pg_sys::FunctionCallInfo) -> pg_sys::Datum {
    // SAFETY: `fcinfo` is the running call's, valid for writes (this function's contract).
    unsafe { (*fcinfo).isnull = true };
    pg_sys::Datum::from(0usize)
}

crate::raw_transition! {
    /// `crm.business_time(cal, from, to)`: business time in [from, to) as an interval.
    fn crm_business_time / pg_finfo_crm_business_time (fcinfo)
    sql [
        "crm.business_time(cal crm.business_calendar, \"from\" timestamptz, \"to\" timestamptz) RETURNS interval IMMUTABLE STRICT PARALLEL SAFE",
    ] {
        // SAFETY: sql/service.sql declares it (crm.business_calendar, timestamptz, timestamptz):
        // three arguments.
        let Some([calendar, from, to]) = (unsafe { strict_arguments::<3>(fcinfo) }) else {
            // SAFETY: `fcinfo` is the running call's.
            return unsafe { return_null(fcinfo) };
        };
        // SAFETY: argument 0 is a non-null `crm.business_calendar`.
        unsafe {
            let hours = prepared_argument(calendar);
            let micros = hours
                .business_time(BUSINESS_TIME, from.value() as i64, to.value() as i64)
                .or_raise();
            interval_datum(micros)
        }
    }
}

crate::raw_transition! {
    /// `crm.business_add(cal, from, amount)`: the instant by which `amount` of business time
    /// has passed since `from`.
    fn crm_business_add / pg_finfo_crm_business_add (fcinfo)
    sql [
        "crm.business_add(cal crm.business_calendar, \"from\" timestamptz, amount interval) RETURNS timestamptz IMMUTABLE STRICT PARALLEL SAFE",
    ] {
        // SAFETY: sql/service.sql declares it (crm.business_calendar, timestamptz, interval): three
        // arguments.
        let Some([calendar, from, amount]) = (unsafe { strict_arguments::<3>(fcinfo) }) else {
            // SAFETY: `fcinfo` is the running call's.
            return unsafe { return_null(fcinfo) };
        };
        // SAFETY: argument 0 is a non-null `crm.business_calendar`, argument 2 a non-null
        // interval.
        unsafe {
            let hours = prepared_argument(calendar);
            let amount =
                business_amount(BUSINESS_ADD, "amount", interval_argument(amount)).or_raise();
            let due = hours
                .business_add(BUSINESS_ADD, from.value() as i64, amount)
                .or_raise();
            pg_sys::Datum::from(due)
        }
    }
}

crate::raw_transition! {
    /// `crm.is_business_time(cal, at)`.
    fn crm_is_business_time / pg_finfo_crm_is_business_time (fcinfo)
    sql [
        "crm.is_business_time(cal crm.business_calendar, at timestamptz) RETURNS boolean IMMUTABLE STRICT PARALLEL SAFE",
    ] {
        // SAFETY: sql/service.sql declares it (crm.business_calendar, timestamptz): two arguments.
        let Some([calendar, at]) = (unsafe { strict_arguments::<2>(fcinfo) }) else {
            // SAFETY: `fcinfo` is the running call's.
            return unsafe { return_null(fcinfo) };
        };
        // SAFETY: argument 0 is a non-null `crm.business_calendar`.
        unsafe {
            let hours = prepared_argument(calendar);
            let inside = hours
                .is_business_time(IS_BUSINESS_TIME, at.value() as i64)
                .or_raise();
            pg_sys::Datum::from(inside)
        }
    }
}

// ---------------------------------------------------------------------------------------------
// crm.service_agg and crm.rollup(crm.service_summary).
// ---------------------------------------------------------------------------------------------

/// Support tickets: counts and every first-response and resolution duration (exact
/// percentiles); text form `{"version":1,"time":"elapsed","tickets":...}`.
#[allow(non_camel_case_types)]
#[derive(PostgresType, Clone, Debug, PartialEq, Eq)]
#[bikeshed_postgres_type_manually_impl_from_into_datum]
#[inoutfuncs]
pub struct service_summary(pub ServiceSummary);

crate::summary_type!(service_summary(ServiceSummary));

fn new_elapsed_summary() -> ServiceSummary {
    ServiceSummary::new(TimeKind::Elapsed)
}

fn new_business_summary() -> ServiceSummary {
    ServiceSummary::new(TimeKind::Business)
}

fn new_as_of_summary() -> ServiceSummary {
    ServiceSummary::new_as_of(TimeKind::Business)
}

/// Which form of `crm.service_agg` a transition serves.
#[derive(Clone, Copy, PartialEq, Eq)]
enum ServiceForm {
    /// (created_at, first_response_at, resolved_at, agent_replies, reopened): elapsed time.
    Elapsed,
    /// ... and a calendar: business time.
    Calendar,
    /// ... a calendar and `as_of`: business time, tickets as they stood at `as_of`.
    AsOf,
}

/// Duration from `created` to `end`: business time with a calendar, else elapsed time.
fn duration(
    function: &str,
    hours: Option<&BusinessHours>,
    created: i64,
    end: i64,
    what: &str,
) -> MetricResult<i64> {
    if end < created {
        return Err(MetricError::InvalidParameter(format!(
            "{function}: {what} is before created_at"
        )));
    }
    let measured = match hours {
        Some(hours) => hours.business_time(function, created, end)?,
        None => {
            for t in [created, end] {
                if t == i64::MIN || t == i64::MAX {
                    return Err(MetricError::DatetimeOverflow(format!(
                        "{function}: infinite timestamps are not allowed"
                    )));
                }
            }
            end.checked_sub(created).ok_or_else(|| {
                MetricError::DatetimeOverflow(format!("{function}: interval out of range"))
            })?
        }
    };
    check_duration(function, what, measured)
}

/// Per-row step of `crm.service_agg`; the calendar, if any, is argument 6, `as_of` argument 7.
/// A row without `created_at` (or without its calendar or `as_of`) is skipped, and so is, with
/// `as_of`, a ticket created after `as_of`; the state always exists after a call, and the final
/// function returns NULL while it holds no ticket.
///
/// With `as_of` the ticket is taken as it stood at `as_of`: a response (resolution) after
/// `as_of` has not happened yet, and the ticket records the business time it had waited by
/// then instead.
///
/// # Safety
/// `fcinfo` must be the call info of the aggregate's transition function.
unsafe fn service_add(fcinfo: pg_sys::FunctionCallInfo, form: ServiceForm) -> pg_sys::Datum {
    let present = Some(pg_sys::Datum::from(0usize));
    // SAFETY: the arguments are this aggregate's (state, created_at, first_response_at,
    // resolved_at, agent_replies, reopened[, cal[, as_of]]).
    let (created, calendar, as_of, response, resolved, replies, reopened) = unsafe {
        (
            raw_arg(fcinfo, 1),
            if form == ServiceForm::Elapsed {
                present
            } else {
                raw_arg(fcinfo, 6)
            },
            if form == ServiceForm::AsOf {
                raw_arg(fcinfo, 7).map(|d| Some(d.value() as i64))
            } else {
                Some(None)
            },
            raw_arg(fcinfo, 2).map(|d| d.value() as i64),
            raw_arg(fcinfo, 3).map(|d| d.value() as i64),
            raw_arg(fcinfo, 4).map(|d| d.value() as i32),
            raw_arg(fcinfo, 5).map(|d| d.value() != 0),
        )
    };
    // SAFETY: the body runs under the guard; argument 0 is a `crm.service_summary`.
    unsafe {
        let init = match form {
            ServiceForm::Elapsed => new_elapsed_summary,
            ServiceForm::Calendar => new_business_summary,
            ServiceForm::AsOf => new_as_of_summary,
        };
        let mut state = expanded_state_mut(fcinfo, init);
        let (Some(created), Some(calendar), Some(as_of)) = (created, calendar, as_of) else {
            return expanded_return(fcinfo, state);
        };
        let created = created.value() as i64;
        if as_of.is_some_and(|as_of| created > as_of) {
            // Not a ticket yet at as_of.
            return expanded_return(fcinfo, state);
        }
        let hours = (form != ServiceForm::Elapsed).then(|| prepared_argument(calendar));
        let measure = |end: Option<i64>, what| {
            end.map(|end| duration(SERVICE_AGG, hours.as_deref(), created, end, what))
                .transpose()
        };
        // With as_of: (the end if it came by as_of, the time waited by as_of otherwise).
        let split = |end: Option<i64>| match as_of {
            None => Ok((end, None)),
            Some(as_of) => match end {
                Some(end) if end <= as_of => Ok((Some(end), None)),
                _ => measure(Some(as_of), "as_of").map(|waited| (None, waited)),
            },
        };
        let (response, waiting_response) = split(response).or_raise();
        let (resolved, waiting_resolution) = split(resolved).or_raise();
        let ticket = Ticket {
            first_response: measure(response, "first_response_at").or_raise(),
            resolution: measure(resolved, "resolved_at").or_raise(),
            agent_replies: replies,
            reopened: reopened.unwrap_or(false),
            waiting_response,
            waiting_resolution,
        };
        state.get().add(SERVICE_AGG, ticket).or_raise();
        expanded_return(fcinfo, state)
    }
}

crate::raw_transition! {
    /// Transition function of `crm.service_agg` (elapsed time).
    fn crm_service_agg_trans / pg_finfo_crm_service_agg_trans (fcinfo)
    sql [
        "crm_internal.service_agg_trans(crm.service_summary, timestamptz, timestamptz, timestamptz, integer, boolean) RETURNS crm.service_summary IMMUTABLE PARALLEL SAFE",
    ] {
        // SAFETY: sql/service.sql declares this transition of `crm.service_agg`
        // (crm.service_summary, timestamptz, timestamptz, timestamptz, integer, boolean).
        unsafe { service_add(fcinfo, ServiceForm::Elapsed) }
    }
}

crate::raw_transition! {
    /// Transition function of `crm.service_agg` with a calendar (business time).
    fn crm_service_agg_calendar_trans / pg_finfo_crm_service_agg_calendar_trans (fcinfo)
    sql [
        "crm_internal.service_agg_calendar_trans(crm.service_summary, timestamptz, timestamptz, timestamptz, integer, boolean, crm.business_calendar) RETURNS crm.service_summary IMMUTABLE PARALLEL SAFE",
    ] {
        // SAFETY: sql/service.sql declares this transition of `crm.service_agg`
        // (crm.service_summary, timestamptz, timestamptz, timestamptz, integer, boolean,
        // crm.business_calendar).
        unsafe { service_add(fcinfo, ServiceForm::Calendar) }
    }
}

crate::raw_transition! {
    /// Transition function of `crm.service_agg` with a calendar and `as_of` (business time,
    /// tickets as they stood at `as_of`).
    fn crm_service_agg_as_of_trans / pg_finfo_crm_service_agg_as_of_trans (fcinfo)
    sql [
        "crm_internal.service_agg_as_of_trans(crm.service_summary, timestamptz, timestamptz, timestamptz, integer, boolean, crm.business_calendar, timestamptz) RETURNS crm.service_summary IMMUTABLE PARALLEL SAFE",
    ] {
        // SAFETY: sql/service.sql declares this transition of `crm.service_agg`
        // (crm.service_summary, timestamptz, timestamptz, timestamptz, integer, boolean,
        // crm.business_calendar, timestamptz).
        unsafe { service_add(fcinfo, ServiceForm::AsOf) }
    }
}

crate::expanded_state!(ServiceSummary);

crate::raw_transition! {
    /// Transition function of `crm.rollup(crm.service_summary)`: merges one stored summary.
    fn crm_service_rollup_trans / pg_finfo_crm_service_rollup_trans (fcinfo)
    sql [
        "crm_internal.service_rollup_trans(crm.service_summary, crm.service_summary) RETURNS crm.service_summary IMMUTABLE PARALLEL SAFE",
    ] {
        // SAFETY: both arguments are `crm.service_summary` values.
        unsafe {
            expanded_combine(fcinfo, |state: &mut ServiceSummary, other| {
                state.merge(SERVICE_ROLLUP, other)
            })
        }
    }
}

crate::raw_transition! {
    /// Combine function of the service summary aggregates (parallel query, Citus).
    fn crm_service_combine / pg_finfo_crm_service_combine (fcinfo)
    sql [
        "crm_internal.service_combine(crm.service_summary, crm.service_summary) RETURNS crm.service_summary IMMUTABLE PARALLEL SAFE",
    ] {
        // SAFETY: both arguments are `crm.service_summary` values.
        unsafe {
            expanded_combine(fcinfo, |state: &mut ServiceSummary, other| {
                state.merge(SERVICE_AGG, other)
            })
        }
    }
}

crate::raw_transition! {
    /// Final function of `crm.service_agg` and `crm.rollup(crm.service_summary)`: the summary's
    /// canonical binary form; NULL while no ticket was counted.
    fn crm_service_final / pg_finfo_crm_service_final (fcinfo)
    sql [
        "crm_internal.service_final(crm.service_summary) RETURNS crm.service_summary IMMUTABLE PARALLEL SAFE",
    ] {
        // SAFETY: argument 0 is NULL or a `crm.service_summary`.
        unsafe {
            expanded_final(fcinfo, |summary: &mut ServiceSummary| {
                (summary.tickets > 0).then(|| varlena_from_bytes(&summary.encode()))
            })
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Accessors.
// ---------------------------------------------------------------------------------------------

/// Tickets in a service summary.
#[pg_extern(immutable, parallel_safe, strict, name = "tickets")]
fn service_tickets(summary: service_summary) -> i64 {
    bigint("crm.tickets", summary.0.tickets)
}

/// Tickets with a first response.
#[pg_extern(immutable, parallel_safe, strict, name = "responded")]
fn service_responded(summary: service_summary) -> i64 {
    bigint("crm.responded", summary.0.responded())
}

/// Resolved tickets.
#[pg_extern(immutable, parallel_safe, strict, name = "resolved")]
fn service_resolved(summary: service_summary) -> i64 {
    bigint("crm.resolved", summary.0.resolved())
}

/// Resolved tickets that were reopened.
#[pg_extern(immutable, parallel_safe, strict, name = "reopened")]
fn service_reopened(summary: service_summary) -> i64 {
    bigint("crm.reopened", summary.0.reopened)
}

/// First response time at a fraction, as percentile_disc(fraction) gives it.
#[pg_extern(immutable, parallel_safe, strict, name = "first_response_time")]
fn service_first_response_time(
    summary: service_summary,
    fraction: default!(f64, 0.5),
) -> Option<Interval> {
    let mut summary = summary.0;
    let value = summary
        .percentile("crm.first_response_time", Metric::FirstResponse, fraction)
        .or_raise();
    value.and_then(interval)
}

/// Resolution time at a fraction, as percentile_disc(fraction) gives it.
#[pg_extern(immutable, parallel_safe, strict, name = "resolution_time")]
fn service_resolution_time(
    summary: service_summary,
    fraction: default!(f64, 0.5),
) -> Option<Interval> {
    let mut summary = summary.0;
    let value = summary
        .percentile("crm.resolution_time", Metric::Resolution, fraction)
        .or_raise();
    value.and_then(interval)
}

/// Mean first response time.
#[pg_extern(immutable, parallel_safe, strict)]
fn mean_first_response_time(summary: service_summary) -> Option<Interval> {
    summary.0.mean(Metric::FirstResponse).and_then(interval)
}

/// Mean resolution time.
#[pg_extern(immutable, parallel_safe, strict)]
fn mean_resolution_time(summary: service_summary) -> Option<Interval> {
    summary.0.mean(Metric::Resolution).and_then(interval)
}

/// An SLA target in microseconds: not negative, no months; days count 24 hours in elapsed
/// time and are refused in business time.
fn sla_target(function: &str, kind: TimeKind, target: pg_sys::Interval) -> MetricResult<i64> {
    match kind {
        TimeKind::Business => business_amount(function, "target", target),
        TimeKind::Elapsed => {
            if target.month != 0 {
                return Err(MetricError::InvalidParameter(format!(
                    "{function}: target has months, which have no fixed length"
                )));
            }
            let micros = i64::from(target.day)
                .checked_mul(USECS_PER_DAY)
                .and_then(|days| days.checked_add(target.time))
                .ok_or_else(|| {
                    MetricError::InvalidParameter(format!("{function}: target out of range"))
                })?;
            if micros < 0 {
                return Err(MetricError::InvalidParameter(format!(
                    "{function}: target is negative"
                )));
            }
            Ok(micros)
        }
    }
}

/// The metric and target of an SLA accessor.
fn sla_question(
    function: &str,
    kind: TimeKind,
    target: Interval,
    metric: TextArg,
) -> MetricResult<(Metric, i64)> {
    let metric = metric
        .name(function, "metric")
        .and_then(|name| Metric::parse(function, name))?;
    Ok((metric, sla_target(function, kind, target.into_inner())?))
}

/// SLA attainment, met ÷ (met + breached): the share of answered (resolved) tickets whose
/// duration is at most the target; with a summary built with `as_of`, tickets still waiting
/// past the target at `as_of` count as breached.
#[pg_extern(immutable, parallel_safe, strict, name = "sla_attainment")]
fn service_sla_attainment(
    summary: service_summary,
    target: Interval,
    metric: default!(TextArg, "'first_response'"),
) -> Option<f64> {
    let mut summary = summary.0;
    let (metric, target) = sla_question(SLA_ATTAINMENT, summary.kind, target, metric).or_raise();
    summary.attainment(metric, target)
}

/// Tickets that met the target, breached it (answered late, or with `as_of` still waiting past
/// it) and are pending (still waiting within it, or without `as_of` still waiting).
#[pg_extern(immutable, parallel_safe, strict)]
fn sla_counts(
    summary: service_summary,
    target: Interval,
    metric: default!(TextArg, "'first_response'"),
) -> TableIterator<'static, (name!(met, i64), name!(breached, i64), name!(pending, i64))> {
    let mut summary = summary.0;
    let (metric, target) = sla_question(SLA_COUNTS, summary.kind, target, metric).or_raise();
    let SlaCounts {
        met,
        breached,
        pending,
    } = summary.sla_counts(metric, target);
    TableIterator::once((
        bigint(SLA_COUNTS, met),
        bigint(SLA_COUNTS, breached),
        bigint(SLA_COUNTS, pending),
    ))
}

/// First-contact resolution rate: resolved, not reopened, at most one agent reply ÷ resolved.
#[pg_extern(immutable, parallel_safe, strict, name = "fcr_rate")]
fn service_fcr_rate(summary: service_summary) -> Option<f64> {
    summary.0.fcr_rate()
}

/// Reopen rate: resolved tickets that were reopened ÷ resolved tickets.
#[pg_extern(immutable, parallel_safe, strict)]
fn reopen_rate(summary: service_summary) -> Option<f64> {
    summary.0.reopen_rate()
}

// ---------------------------------------------------------------------------------------------
// One-step aggregates.
// ---------------------------------------------------------------------------------------------

/// Which form of the one-step `crm.sla_attainment` a transition serves.
#[derive(Clone, Copy, PartialEq, Eq)]
enum SlaForm {
    /// (created_at, first_response_at, target): elapsed time.
    Elapsed,
    /// ... and a calendar (argument 4): business time.
    Calendar,
    /// ... a calendar and `as_of` (argument 5): tickets still waiting past the target at
    /// `as_of` count as breached.
    AsOf,
}

/// Whether the ticket of this row of the one-step `crm.sla_attainment` met its target; `None`
/// when the row is skipped: an input is missing, or (with `as_of`) the ticket was created after
/// `as_of` or is still waiting within its target at `as_of` (pending).
///
/// # Safety
/// `fcinfo` must be the call info of one of the aggregate's transition functions; call under
/// a guard (errors are raised).
unsafe fn sla_met(fcinfo: pg_sys::FunctionCallInfo, form: SlaForm) -> Option<bool> {
    let present = Some(pg_sys::Datum::from(0usize));
    // SAFETY: the arguments are this aggregate's (state, created_at, first_response_at,
    // target[, cal[, as_of]]).
    let (created, response, target, calendar, as_of) = unsafe {
        (
            raw_arg(fcinfo, 1)?.value() as i64,
            raw_arg(fcinfo, 2).map(|d| d.value() as i64),
            raw_arg(fcinfo, 3)?,
            if form == SlaForm::Elapsed {
                present
            } else {
                raw_arg(fcinfo, 4)
            }?,
            if form == SlaForm::AsOf {
                Some(raw_arg(fcinfo, 5)?.value() as i64)
            } else {
                None
            },
        )
    };
    let (end, what) = match (as_of, response) {
        (None, response) => (response?, "first_response_at"),
        (Some(as_of), _) if created > as_of => return None,
        (Some(as_of), Some(response)) if response <= as_of => (response, "first_response_at"),
        (Some(as_of), _) => (as_of, "as_of"),
    };
    // SAFETY: with a calendar form, `calendar` is argument 4, a non-null
    // `crm.business_calendar` (the `?` above returned for NULL).
    let hours = (form != SlaForm::Elapsed).then(|| unsafe { prepared_argument(calendar) });
    let kind = if form == SlaForm::Elapsed {
        TimeKind::Elapsed
    } else {
        TimeKind::Business
    };
    // SAFETY: `target` is argument 3, a non-null interval.
    let target = sla_target(SLA_ATTAINMENT, kind, unsafe { interval_argument(target) }).or_raise();
    let taken = duration(SLA_ATTAINMENT, hours.as_deref(), created, end, what).or_raise();
    match what {
        // Still waiting at as_of: breached once past the target, else pending (skipped).
        "as_of" => (taken > target).then_some(false),
        _ => Some(taken <= target),
    }
}

/// Per-row step of the moving aggregate (window frames) of the one-step
/// `crm.sla_attainment`: counts an answered ticket and whether it met its target, or with
/// `remove` takes it out again (inverse transition). Rows missing an input are skipped; the
/// state always exists after a call (a moving-aggregate transition never returns NULL).
///
/// # Safety
/// `fcinfo` must be the call info of the aggregate's moving transition function.
unsafe fn sla_step(fcinfo: pg_sys::FunctionCallInfo, form: SlaForm, remove: bool) -> pg_sys::Datum {
    // SAFETY: the body runs under the guard; the state is this aggregate's `ShareCounts`.
    unsafe {
        let counts = raw_state(fcinfo, SLA_ATTAINMENT, ShareCounts::default);
        match sla_met(fcinfo, form) {
            Some(met) if remove => counts.remove(SLA_ATTAINMENT, met).or_raise(),
            Some(met) if !counts.add(met) => {
                crate::common::pg::raise(share_count_overflow(SLA_ATTAINMENT))
            }
            _ => {}
        }
        raw_return_state(fcinfo, counts)
    }
}

/// Per-row step of the one-step `crm.sla_attainment` on its `crm.share_state`,
/// changed in place; a row missing an input leaves the state as it is.
///
/// # Safety
/// `fcinfo` must be the call info of the aggregate's transition function.
unsafe fn sla_state_step(fcinfo: pg_sys::FunctionCallInfo, form: SlaForm) -> pg_sys::Datum {
    // SAFETY: the body runs under the guard; argument 0 is a `crm.share_state`.
    unsafe {
        let Some(met) = sla_met(fcinfo, form) else {
            return raw_return_unchanged(fcinfo);
        };
        let mut state = flat_state_mut::<ShareCounts>(fcinfo);
        if !state.get().add(met) {
            crate::common::pg::raise(share_count_overflow(SLA_ATTAINMENT));
        }
        flat_return(fcinfo, state)
    }
}

crate::raw_transition! {
    /// Moving-aggregate transition (window frames) of `crm.sla_attainment(created_at,
    /// first_response_at, target)`, state internal.
    fn crm_sla_trans / pg_finfo_crm_sla_trans (fcinfo)
    sql [
        "crm_internal.sla_trans(internal, timestamptz, timestamptz, interval) RETURNS internal IMMUTABLE PARALLEL SAFE",
    ] {
        // SAFETY: sql/service.sql declares this moving transition of `crm.sla_attainment`
        // (internal, timestamptz, timestamptz, interval); argument 0 is the `ShareCounts` its
        // transition made.
        unsafe { sla_step(fcinfo, SlaForm::Elapsed, false) }
    }
}

crate::raw_transition! {
    /// Inverse transition of `crm.sla_attainment(created_at, first_response_at, target)`.
    fn crm_sla_inverse / pg_finfo_crm_sla_inverse (fcinfo)
    sql [
        "crm_internal.sla_inverse(internal, timestamptz, timestamptz, interval) RETURNS internal IMMUTABLE PARALLEL SAFE",
    ] {
        // SAFETY: sql/service.sql declares this inverse transition of `crm.sla_attainment`
        // (internal, timestamptz, timestamptz, interval); argument 0 is the `ShareCounts` its
        // transition made.
        unsafe { sla_step(fcinfo, SlaForm::Elapsed, true) }
    }
}

crate::raw_transition! {
    /// Moving-aggregate transition (window frames) of `crm.sla_attainment(created_at,
    /// first_response_at, target, cal)`, state internal.
    fn crm_sla_calendar_trans / pg_finfo_crm_sla_calendar_trans (fcinfo)
    sql [
        "crm_internal.sla_calendar_trans(internal, timestamptz, timestamptz, interval, crm.business_calendar) RETURNS internal IMMUTABLE PARALLEL SAFE",
    ] {
        // SAFETY: sql/service.sql declares this moving transition of `crm.sla_attainment`
        // (internal, timestamptz, timestamptz, interval, crm.business_calendar); argument 0 is the
        // `ShareCounts` its transition made.
        unsafe { sla_step(fcinfo, SlaForm::Calendar, false) }
    }
}

crate::raw_transition! {
    /// Inverse transition of `crm.sla_attainment(..., cal)`.
    fn crm_sla_calendar_inverse / pg_finfo_crm_sla_calendar_inverse (fcinfo)
    sql [
        "crm_internal.sla_calendar_inverse(internal, timestamptz, timestamptz, interval, crm.business_calendar) RETURNS internal IMMUTABLE PARALLEL SAFE",
    ] {
        // SAFETY: sql/service.sql declares this inverse transition of `crm.sla_attainment`
        // (internal, timestamptz, timestamptz, interval, crm.business_calendar); argument 0 is the
        // `ShareCounts` its transition made.
        unsafe { sla_step(fcinfo, SlaForm::Calendar, true) }
    }
}

crate::raw_transition! {
    /// Moving-aggregate transition (window frames) of `crm.sla_attainment(created_at,
    /// first_response_at, target, cal, as_of)`, state internal.
    fn crm_sla_as_of_trans / pg_finfo_crm_sla_as_of_trans (fcinfo)
    sql [
        "crm_internal.sla_as_of_trans(internal, timestamptz, timestamptz, interval, crm.business_calendar, timestamptz) RETURNS internal IMMUTABLE PARALLEL SAFE",
    ] {
        // SAFETY: sql/service.sql declares this moving transition of `crm.sla_attainment`
        // (internal, timestamptz, timestamptz, interval, crm.business_calendar, timestamptz);
        // argument 0 is the `ShareCounts` its transition made.
        unsafe { sla_step(fcinfo, SlaForm::AsOf, false) }
    }
}

crate::raw_transition! {
    /// Inverse transition of `crm.sla_attainment(..., cal, as_of)`.
    fn crm_sla_as_of_inverse / pg_finfo_crm_sla_as_of_inverse (fcinfo)
    sql [
        "crm_internal.sla_as_of_inverse(internal, timestamptz, timestamptz, interval, crm.business_calendar, timestamptz) RETURNS internal IMMUTABLE PARALLEL SAFE",
    ] {
        // SAFETY: sql/service.sql declares this inverse transition of `crm.sla_attainment`
        // (internal, timestamptz, timestamptz, interval, crm.business_calendar, timestamptz);
        // argument 0 is the `ShareCounts` its transition made.
        unsafe { sla_step(fcinfo, SlaForm::AsOf, true) }
    }
}

/// One row of `crm.fcr_rate(agent_replies, reopened, resolved)`: counts a resolved ticket and
/// whether it was resolved at first contact. Always returns a state (it is also the moving
/// transition).
///
/// # Safety
/// `fcinfo` must be the call info of the transition of `crm.fcr_rate`, called by Postgres
/// through the V1 convention.
#[inline(always)]
unsafe fn fcr_add(fcinfo: pg_sys::FunctionCallInfo) -> pg_sys::Datum {
    // SAFETY: the state of `crm.fcr_rate` is a `ShareCounts` made here; arguments 1 to 3 exist
    // (an int4 and two booleans, by value).
    let counts = unsafe { raw_state(fcinfo, FCR_RATE, ShareCounts::default) };
    // SAFETY: the transition of `crm.fcr_rate` has arguments 1 to 3 (this function's contract).
    let (agent_replies, reopened, resolved) =
        unsafe { (raw_arg(fcinfo, 1), raw_arg(fcinfo, 2), raw_arg(fcinfo, 3)) };
    if resolved.is_some_and(|datum| datum.value() & 0xff != 0) {
        let agent_replies = agent_replies.map(|datum| datum.value() as i32);
        let reopened = reopened.map(|datum| datum.value() & 0xff != 0);
        if let Some(replies) = agent_replies.filter(|&replies| replies < 0) {
            raise_from_raw(move || {
                MetricError::OutOfRange(format!("{FCR_RATE}: agent_replies {replies} is negative"))
            });
        }
        // A ticket whose reply count is unknown is left out.
        if let Some(first) = first_contact(agent_replies, reopened) {
            if !counts.add(first) {
                crate::common::pg::raise(share_count_overflow(FCR_RATE));
            }
        }
    }
    // SAFETY: this is the running transition's call info.
    unsafe { raw_return_state(fcinfo, counts) }
}

crate::raw_transition! {
    /// Transition function of `crm.sla_attainment(created_at, first_response_at, target)` on
    /// its `crm.share_state`.
    fn crm_sla_state_trans / pg_finfo_crm_sla_state_trans (fcinfo)
    sql [
        "crm_internal.sla_trans(crm.share_state, timestamptz, timestamptz, interval) RETURNS crm.share_state IMMUTABLE PARALLEL SAFE",
    ] {
        // SAFETY: sql/service.sql declares this transition of `crm.sla_attainment`
        // (crm.share_state, timestamptz, timestamptz, interval).
        unsafe { sla_state_step(fcinfo, SlaForm::Elapsed) }
    }
}

crate::raw_transition! {
    /// Transition function of `crm.sla_attainment(..., cal)` on its `crm.share_state`.
    fn crm_sla_calendar_state_trans / pg_finfo_crm_sla_calendar_state_trans (fcinfo)
    sql [
        "crm_internal.sla_calendar_trans(crm.share_state, timestamptz, timestamptz, interval, crm.business_calendar) RETURNS crm.share_state IMMUTABLE PARALLEL SAFE",
    ] {
        // SAFETY: sql/service.sql declares this transition of `crm.sla_attainment`
        // (crm.share_state, timestamptz, timestamptz, interval, crm.business_calendar).
        unsafe { sla_state_step(fcinfo, SlaForm::Calendar) }
    }
}

crate::raw_transition! {
    /// Transition function of `crm.sla_attainment(..., cal, as_of)` on its `crm.share_state`.
    fn crm_sla_as_of_state_trans / pg_finfo_crm_sla_as_of_state_trans (fcinfo)
    sql [
        "crm_internal.sla_as_of_trans(crm.share_state, timestamptz, timestamptz, interval, crm.business_calendar, timestamptz) RETURNS crm.share_state IMMUTABLE PARALLEL SAFE",
    ] {
        // SAFETY: sql/service.sql declares this transition of `crm.sla_attainment`
        // (crm.share_state, timestamptz, timestamptz, interval, crm.business_calendar,
        // timestamptz).
        unsafe { sla_state_step(fcinfo, SlaForm::AsOf) }
    }
}

crate::raw_transition! {
    /// Transition function of `crm.fcr_rate(agent_replies, reopened, resolved)` on its
    /// `crm.share_state`, changed in place: counts a resolved ticket and whether it
    /// was resolved at first contact; other rows leave the state as it is.
    fn crm_fcr_state_trans / pg_finfo_crm_fcr_state_trans (fcinfo)
    sql [
        "crm_internal.fcr_trans(crm.share_state, integer, boolean, boolean) RETURNS crm.share_state IMMUTABLE PARALLEL SAFE",
    ] {
        // SAFETY: the arguments are (crm.share_state, integer, boolean, boolean); the body runs
        // under the guard.
        unsafe {
            if raw_arg(fcinfo, 3).map(|resolved| resolved.value() != 0) != Some(true) {
                return raw_return_unchanged(fcinfo);
            }
            let agent_replies = raw_arg(fcinfo, 1).map(|replies| replies.value() as i32);
            let reopened = raw_arg(fcinfo, 2).map(|reopened| reopened.value() != 0);
            if let Some(replies) = agent_replies.filter(|&r| r < 0) {
                crate::common::pg::raise(MetricError::OutOfRange(format!(
                    "{FCR_RATE}: agent_replies {replies} is negative"
                )));
            }
            // A ticket whose reply count is unknown is left out.
            let Some(first) = first_contact(agent_replies, reopened) else {
                return raw_return_unchanged(fcinfo);
            };
            let mut state = flat_state_mut::<ShareCounts>(fcinfo);
            if !state.get().add(first) {
                crate::common::pg::raise(share_count_overflow(FCR_RATE));
            }
            flat_return(fcinfo, state)
        }
    }
}

crate::raw_transition! {
    /// Transition function of `crm.fcr_rate(agent_replies, reopened, resolved)` (a raw V1
    /// function).
    fn crm_fcr_trans / pg_finfo_crm_fcr_trans (fcinfo)
    sql [
        "crm_internal.fcr_trans(internal, integer, boolean, boolean) RETURNS internal IMMUTABLE PARALLEL SAFE",
    ] {
        // SAFETY: Postgres calls this as the transition of `crm.fcr_rate`.
        unsafe { fcr_add(fcinfo) }
    }
}

/// Inverse transition function of `crm.fcr_rate` (window frames).
#[pg_extern(schema = "crm_internal", immutable, parallel_safe)]
fn fcr_inverse(
    mut state: Internal,
    agent_replies: Option<i32>,
    reopened: Option<bool>,
    resolved: Option<bool>,
) -> Internal {
    // SAFETY: Postgres passes the moving state of `crm.fcr_rate`, the `ShareCounts` made by
    // `fcr_add` (`raw_state`).
    let counts = unsafe { state_ref::<ShareCounts>(&mut state) };
    if let (Some(counts), Some(true)) = (counts, resolved) {
        if let Some(first) = first_contact(agent_replies, reopened) {
            counts.remove(FCR_RATE, first).or_raise();
        }
    }
    state
}

/// Moving-aggregate final function (window frames) of the one-step service aggregates: the
/// share, NULL without rows.
#[pg_extern(schema = "crm_internal", immutable, parallel_safe)]
fn service_share_final(mut state: Internal) -> Option<f64> {
    // SAFETY: Postgres passes the moving state of these aggregates, a `ShareCounts` made by
    // `raw_state` in their moving transitions.
    unsafe { state_ref::<ShareCounts>(&mut state) }.and_then(|counts| counts.share())
}
