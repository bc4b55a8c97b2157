//! `crm.window_funnel`: the furthest funnel step a group's events reach (ClickHouse's
//! `windowFunnel`), with and without the mode argument.
use super::{event_arguments, FunnelState, WINDOW_FUNNEL};
use crate::common::expanded::{
    expanded_combine, expanded_final, expanded_return, expanded_state_mut,
};
use crate::common::raw::{raise_from_raw, raw_return_unchanged};
use pgrx::prelude::*;

crate::expanded_state!(FunnelState, "crm.funnel_state");

/// One event row into the state of `crm.window_funnel`: a NULL time, step, window or mode skips
/// the row.
///
/// # Safety
/// `fcinfo` must be the call info of a transition of `crm.window_funnel`: a
/// `crm.funnel_state`, then (timestamptz, integer, interval[, text]).
unsafe fn window_funnel_add(fcinfo: pg_sys::FunctionCallInfo, with_mode: bool) -> pg_sys::Datum {
    // SAFETY: the arguments are those of the transition (this function's contract).
    let row = match unsafe { event_arguments(WINDOW_FUNNEL, fcinfo, 1, with_mode) } {
        Ok(Some(row)) => row,
        // SAFETY: the running transition's call info.
        Ok(None) => return unsafe { raw_return_unchanged(fcinfo) },
        Err(error) => raise_from_raw(move || error),
    };
    // SAFETY: argument 0 is a `crm.funnel_state`.
    let mut state = unsafe { expanded_state_mut(fcinfo, FunnelState::new) };
    if let Err(error) = state.get().add(WINDOW_FUNNEL, row.0, row.1) {
        raise_from_raw(move || error);
    }
    // SAFETY: the running transition's call info; `state` is the object of its argument 0.
    unsafe { expanded_return(fcinfo, state) }
}

crate::raw_transition! {
    /// Transition function of `crm.window_funnel(timestamptz, integer, interval)`.
    fn crm_window_funnel_trans / pg_finfo_crm_window_funnel_trans (fcinfo)
    sql [
        "crm_internal.window_funnel_trans(crm.funnel_state, timestamptz, integer, interval) RETURNS crm.funnel_state IMMUTABLE PARALLEL SAFE",
    ] {
        // SAFETY: sql/funnels.sql declares it with those arguments.
        unsafe { window_funnel_add(fcinfo, false) }
    }
}

crate::raw_transition! {
    /// Transition function of `crm.window_funnel(timestamptz, integer, interval, text)`.
    fn crm_window_funnel_mode_trans / pg_finfo_crm_window_funnel_mode_trans (fcinfo)
    sql [
        "crm_internal.window_funnel_mode_trans(crm.funnel_state, timestamptz, integer, interval, text) RETURNS crm.funnel_state IMMUTABLE PARALLEL SAFE",
    ] {
        // SAFETY: sql/funnels.sql declares it with those arguments.
        unsafe { window_funnel_add(fcinfo, true) }
    }
}

crate::raw_transition! {
    /// Combine function of `crm.window_funnel`: concatenates the events of two partial states.
    fn crm_window_funnel_combine / pg_finfo_crm_window_funnel_combine (fcinfo)
    sql [
        "crm_internal.window_funnel_combine(crm.funnel_state, crm.funnel_state) RETURNS crm.funnel_state IMMUTABLE PARALLEL SAFE",
    ] {
        // SAFETY: both arguments are `crm.funnel_state` values.
        unsafe {
            expanded_combine(fcinfo, |state: &mut FunnelState, other| {
                state.merge(WINDOW_FUNNEL, other)
            })
        }
    }
}

crate::raw_transition! {
    /// Final function of `crm.window_funnel`: the level (0..32); NULL without a usable row.
    fn crm_window_funnel_final / pg_finfo_crm_window_funnel_final (fcinfo)
    sql [
        "crm_internal.window_funnel_final(crm.funnel_state) RETURNS integer IMMUTABLE PARALLEL SAFE",
    ] {
        // SAFETY: argument 0 is NULL or a `crm.funnel_state`; the result is an integer.
        unsafe {
            expanded_final(fcinfo, |state: &mut FunnelState| {
                state.level().map(|level| pg_sys::Datum::from(i32::from(level)))
            })
        }
    }
}
