//! The one-step aggregates `crm.sla_attainment` and `crm.fcr_rate` over ticket rows.
use super::calendar::prepared_argument;
use super::{duration, interval_argument, sla_target, FCR_RATE, SLA_ATTAINMENT};

use crate::common::civil::{is_valid_timestamp, USECS_PER_DAY};
use crate::common::error::MetricError;
use crate::common::flat::{flat_return, flat_state_mut};
use crate::common::pg::{state_ref, OrRaise};
use crate::common::raw::{
    raise_from_raw, raw_arg, raw_return_state, raw_return_unchanged, raw_state,
};
use crate::common::shares::{share_count_overflow, ShareCounts};
use crate::service::state::tickets::{first_contact, TimeKind};
use pgrx::datum::Internal;
use pgrx::prelude::*;

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
#[inline(always)]
unsafe fn sla_met(fcinfo: pg_sys::FunctionCallInfo, form: SlaForm) -> Option<bool> {
    if form == SlaForm::Elapsed {
        // SAFETY: as this function's.
        unsafe { sla_elapsed_met(fcinfo) }
    } else {
        // SAFETY: as this function's.
        unsafe { sla_met_checked(fcinfo, form) }
    }
}

/// [`sla_met`] of the elapsed-time form `(created_at, first_response_at, target)`: a row whose
/// target and instants pass every check is answered with one combined test and a subtraction;
/// any other row goes through [`sla_met_checked`] (its skips, checks and errors, in order).
///
/// # Safety
/// As [`sla_met`], for the elapsed-time form.
#[inline(always)]
unsafe fn sla_elapsed_met(fcinfo: pg_sys::FunctionCallInfo) -> Option<bool> {
    // SAFETY: the arguments are this form's (state, created_at, first_response_at, target).
    let (created, response, target) = unsafe {
        (
            raw_arg(fcinfo, 1)?,
            raw_arg(fcinfo, 2)?,
            raw_arg(fcinfo, 3)?,
        )
    };
    let (created, response) = (created.value() as i64, response.value() as i64);
    // SAFETY: `target` is argument 3, a non-null interval.
    let target = unsafe { interval_argument(target) };
    // The target in microseconds, computed as the checked path does (`sla_target`).
    let micros = i64::from(target.day)
        .checked_mul(USECS_PER_DAY)
        .and_then(|days| days.checked_add(target.time))
        .unwrap_or(-1);
    // No months, in range and not negative; both instants finite and in range, the response
    // not before creation, and their difference within i64 (two valid instants can be up to
    // 9.4e18 µs apart: a difference past i64::MAX wraps to a negative one).
    let elapsed = response.wrapping_sub(created);
    let plain = (target.month == 0)
        & (micros >= 0)
        & is_valid_timestamp(created)
        & is_valid_timestamp(response)
        & (response >= created)
        & (elapsed >= 0);
    if plain {
        Some(elapsed <= micros)
    } else {
        // SAFETY: as this function's.
        unsafe { sla_met_checked(fcinfo, SlaForm::Elapsed) }
    }
}

/// [`sla_met`] with every check in order (and the business-time forms).
///
/// # Safety
/// As [`sla_met`].
#[inline(never)]
unsafe fn sla_met_checked(fcinfo: pg_sys::FunctionCallInfo, form: SlaForm) -> Option<bool> {
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
    let hours =
        (form != SlaForm::Elapsed).then(|| unsafe { prepared_argument(SLA_ATTAINMENT, calendar) });
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
    let agent_replies = agent_replies.map(|datum| datum.value() as i32);
    // A negative count is refused on every row, as `crm.service_agg` refuses it, resolved or not.
    if let Some(replies) = agent_replies.filter(|&replies| replies < 0) {
        raise_from_raw(move || {
            MetricError::OutOfRange(format!("{FCR_RATE}: agent_replies {replies} is negative"))
        });
    }
    if resolved.is_some_and(|datum| datum.value() & 0xff != 0) {
        let reopened = reopened.map(|datum| datum.value() & 0xff != 0);
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
        // The row's flags are combined without branches on them (resolved, reopened and the
        // reply count vary from row to row): `first_contact` as bit operations, and a row
        // that is not counted adds zeros.
        unsafe {
            let resolved = raw_arg(fcinfo, 3).is_some_and(|resolved| resolved.value() != 0);
            let agent_replies = raw_arg(fcinfo, 1).map(|replies| replies.value() as i32);
            let reopened = raw_arg(fcinfo, 2).is_some_and(|reopened| reopened.value() != 0);
            let replies = agent_replies.unwrap_or(0);
            // A negative count is refused on every row, resolved or not (as `crm.service_agg`).
            if replies < 0 {
                raise_from_raw(move || {
                    MetricError::OutOfRange(format!("{FCR_RATE}: agent_replies {replies} is negative"))
                });
            }
            // A resolved ticket whose reply count is unknown is left out; NULL reopened reads
            // as false.
            let counted = resolved & agent_replies.is_some();
            if !counted & raw_arg(fcinfo, 0).is_none() {
                return raw_return_unchanged(fcinfo);
            }
            let first = counted & !reopened & (replies <= 1);
            let mut state = flat_state_mut::<ShareCounts>(fcinfo);
            if !state.get().add_if(counted, first) {
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
