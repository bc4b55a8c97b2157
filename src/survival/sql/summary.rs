//! `crm.survival_summary`, `crm.survival_agg` (customers from start, end and the date they are
//! observed at; or any duration with its event flag) and `crm.rollup(crm.survival_summary)`:
//! the transitions, combine and final functions. The aggregates are declared in
//! `sql/survival.sql`; their state is the summary kept as an expanded object.
use super::{micros_of, SURVIVAL_AGG, SURVIVAL_ROLLUP};
use crate::common::civil::{format_interval, format_timestamp};
use crate::common::error::{MetricError, MetricResult};
use crate::common::expanded::{
    expanded_combine, expanded_final, expanded_return, expanded_state_mut, ExpandedState,
};
use crate::common::pg::{varlena_from_bytes, OrRaise};
use crate::common::raw::raw_arg;
use crate::survival::state::SurvivalSummary;
use pgrx::prelude::*;

/// Counts of events and censorings per duration (microseconds); text form
/// `{"version":1,"durations":[[microseconds,events,censored],...]}`.
#[allow(non_camel_case_types)]
#[derive(PostgresType, Clone, Debug, PartialEq)]
#[bikeshed_postgres_type_manually_impl_from_into_datum]
#[inoutfuncs]
pub struct survival_summary(pub SurvivalSummary);

crate::summary_type!(survival_summary(SurvivalSummary));

crate::expanded_state!(SurvivalSummary, "crm.survival_summary");

/// 22008 for an infinite end of a duration: `what` is `started_at -infinity`, ...
fn infinite(what: &str) -> MetricError {
    MetricError::DatetimeOverflow(format!(
        "{SURVIVAL_AGG}: {what} gives an infinite duration (durations need finite ends)"
    ))
}

/// The duration of a customer who started at `started`, ended at `ended` (`None`: still a
/// customer) and is observed at `as_of`, and whether it ended by then (an event); `None` for a
/// row to skip (started after `as_of`, or lasting no time).
fn customer_duration(
    started: i64,
    ended: Option<i64>,
    as_of: i64,
) -> MetricResult<Option<(i64, bool)>> {
    if let Some(ended) = ended {
        if ended < started {
            return Err(MetricError::InvalidParameter(format!(
                "{SURVIVAL_AGG}: ended_at {} is before started_at {}",
                format_timestamp(ended),
                format_timestamp(started)
            )));
        }
    }
    if started > as_of {
        return Ok(None);
    }
    let (end, event) = match ended {
        Some(ended) if ended <= as_of => (ended, true),
        _ => (as_of, false),
    };
    if started == i64::MIN {
        return Err(infinite("started_at -infinity"));
    }
    if end == i64::MAX {
        return Err(infinite(if event {
            "ended_at infinity"
        } else {
            "as_of infinity"
        }));
    }
    let duration = end.checked_sub(started).ok_or_else(|| {
        MetricError::OutOfRange(format!(
            "{SURVIVAL_AGG}: the duration from started_at {} to {} is out of range (at most \
             2^63 - 1 microseconds)",
            format_timestamp(started),
            format_timestamp(end)
        ))
    })?;
    Ok((duration > 0).then_some((duration, event)))
}

/// A duration given as an interval with its event flag; `None` for a zero duration (skipped).
fn interval_duration(duration: pg_sys::Interval) -> MetricResult<Option<i64>> {
    let micros = micros_of(SURVIVAL_AGG, "duration", duration)?;
    if micros < 0 {
        return Err(MetricError::InvalidParameter(format!(
            "{SURVIVAL_AGG}: duration {} is negative",
            format_interval(duration.day.into(), duration.time)
        )));
    }
    Ok((micros > 0).then_some(micros))
}

crate::raw_transition! {
    /// Transition function of `crm.survival_agg(timestamptz, timestamptz, timestamptz)`: a row
    /// without `started_at` or `as_of` is skipped; `ended_at` NULL is a customer still active.
    fn crm_survival_customer_trans / pg_finfo_crm_survival_customer_trans (fcinfo)
    sql [
        "crm_internal.survival_customer_trans(crm.survival_summary, timestamptz, timestamptz, timestamptz) RETURNS crm.survival_summary IMMUTABLE PARALLEL SAFE",
    ] {
        // SAFETY: sql/survival.sql declares it (crm.survival_summary, timestamptz,
        // timestamptz, timestamptz); a timestamptz datum is its raw i64.
        unsafe {
            let mut state = expanded_state_mut(fcinfo, SurvivalSummary::new);
            let started = raw_arg(fcinfo, 1).map(|d| d.value() as i64);
            let ended = raw_arg(fcinfo, 2).map(|d| d.value() as i64);
            let as_of = raw_arg(fcinfo, 3).map(|d| d.value() as i64);
            if let (Some(started), Some(as_of)) = (started, as_of) {
                if let Some((duration, event)) = customer_duration(started, ended, as_of).or_raise() {
                    state.get().add(SURVIVAL_AGG, duration, event).or_raise();
                }
            }
            expanded_return(fcinfo, state)
        }
    }
}

crate::raw_transition! {
    /// Transition function of `crm.survival_agg(interval, boolean)`: a row without a duration
    /// or an event flag is skipped, and so is a zero duration.
    fn crm_survival_duration_trans / pg_finfo_crm_survival_duration_trans (fcinfo)
    sql [
        "crm_internal.survival_duration_trans(crm.survival_summary, interval, boolean) RETURNS crm.survival_summary IMMUTABLE PARALLEL SAFE",
    ] {
        // SAFETY: sql/survival.sql declares it (crm.survival_summary, interval, boolean); a
        // non-null interval datum points to an `Interval`, copied out here.
        unsafe {
            let mut state = expanded_state_mut(fcinfo, SurvivalSummary::new);
            let duration = raw_arg(fcinfo, 1).map(|d| *d.cast_mut_ptr::<pg_sys::Interval>());
            let event = raw_arg(fcinfo, 2).map(|d| d.value() != 0);
            if let (Some(duration), Some(event)) = (duration, event) {
                if let Some(micros) = interval_duration(duration).or_raise() {
                    state.get().add(SURVIVAL_AGG, micros, event).or_raise();
                }
            }
            expanded_return(fcinfo, state)
        }
    }
}

crate::raw_transition! {
    /// Transition function of `crm.rollup(crm.survival_summary)`: merges one stored summary.
    fn crm_survival_rollup_trans / pg_finfo_crm_survival_rollup_trans (fcinfo)
    sql [
        "crm_internal.survival_rollup_trans(crm.survival_summary, crm.survival_summary) RETURNS crm.survival_summary IMMUTABLE PARALLEL SAFE",
    ] {
        // SAFETY: both arguments are `crm.survival_summary` values.
        unsafe {
            expanded_combine(fcinfo, |state: &mut SurvivalSummary, other| {
                state.merge(SURVIVAL_ROLLUP, other)
            })
        }
    }
}

crate::raw_transition! {
    /// Combine function of `crm.survival_agg` and `crm.rollup(crm.survival_summary)`.
    fn crm_survival_combine / pg_finfo_crm_survival_combine (fcinfo)
    sql [
        "crm_internal.survival_combine(crm.survival_summary, crm.survival_summary) RETURNS crm.survival_summary IMMUTABLE PARALLEL SAFE",
    ] {
        // SAFETY: both arguments are `crm.survival_summary` values.
        unsafe {
            expanded_combine(fcinfo, |state: &mut SurvivalSummary, other| {
                state.merge(SURVIVAL_AGG, other)
            })
        }
    }
}

crate::raw_transition! {
    /// Final function of `crm.survival_agg` and `crm.rollup(crm.survival_summary)`: the
    /// summary's canonical binary form; NULL without rows.
    fn crm_survival_final / pg_finfo_crm_survival_final (fcinfo)
    sql [
        "crm_internal.survival_final(crm.survival_summary) RETURNS crm.survival_summary IMMUTABLE PARALLEL SAFE",
    ] {
        // SAFETY: argument 0 is NULL or a `crm.survival_summary`.
        unsafe {
            expanded_final(fcinfo, |summary: &mut SurvivalSummary| {
                (!summary.is_empty()).then(|| varlena_from_bytes(<SurvivalSummary as ExpandedState>::TYPE_NAME, &summary.encode().or_raise()))
            })
        }
    }
}
