//! `crm.service_agg` and `crm.rollup(crm.service_summary)`: the summary type, its transition,
//! combine and final functions, and its accessors.
use super::calendar::prepared_argument;
use super::{
    duration, interval, sla_target, SERVICE_AGG, SERVICE_ROLLUP, SLA_ATTAINMENT, SLA_COUNTS,
};

use crate::common::civil::require_finite_timestamp;
use crate::common::error::MetricResult;
use crate::common::expanded::{
    expanded_combine, expanded_final, expanded_return, expanded_state_mut, ExpandedState,
};
use crate::common::pg::{bigint, varlena_from_bytes, OrRaise, TextArg};
use crate::common::raw::raw_arg;
use crate::service::state::tickets::{Metric, ServiceSummary, SlaCounts, Ticket, TimeKind};
use pgrx::datum::Interval;
use pgrx::prelude::*;

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
        let kind = if form == ServiceForm::Elapsed {
            TimeKind::Elapsed
        } else {
            TimeKind::Business
        };
        state
            .get()
            .expect_form(SERVICE_AGG, kind, form == ServiceForm::AsOf)
            .or_raise();
        let (Some(created), Some(calendar), Some(as_of)) = (created, calendar, as_of) else {
            return expanded_return(fcinfo, state);
        };
        let created = created.value() as i64;
        // Every counted ticket's created_at is finite (22008), answered or not.
        require_finite_timestamp(SERVICE_AGG, "created_at", created).or_raise();
        if as_of.is_some_and(|as_of| created > as_of) {
            // Not a ticket yet at as_of.
            return expanded_return(fcinfo, state);
        }
        let hours =
            (form != ServiceForm::Elapsed).then(|| prepared_argument(SERVICE_AGG, calendar));
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

crate::expanded_state!(ServiceSummary, "crm.service_summary");

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
                (summary.tickets > 0).then(|| varlena_from_bytes(<ServiceSummary as ExpandedState>::TYPE_NAME, &summary.encode().or_raise()))
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
