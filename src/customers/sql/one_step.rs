//! The one-step aggregates `crm.retention_rate` and `crm.churn_rate`, and their transition
//! state `crm.customer_period_state`, changed in place per row.
use super::{instant, CHURN_RATE, RETENTION_RATE};
use crate::common::flat::{flat_combine, flat_final, flat_return, flat_state_mut};
use crate::common::pg::{
    internal_of, state_or_init, state_ref, with_varlena_bytes, OrRaise, TextArg,
};
use crate::common::raw::{
    raise_from_raw, raw_arg, raw_return_state, raw_return_unchanged, raw_state,
};
use crate::customers::state::{CustomerRow, Denominator, PeriodFlat, PeriodState};
use pgrx::datum::Internal;
use pgrx::prelude::*;

// ---------------------------------------------------------------------------------------------
// One-step aggregates: crm.retention_rate and crm.churn_rate.
// ---------------------------------------------------------------------------------------------

/// One customer row for the one-step aggregates; `None` (a skipped row) when a required input
/// is NULL.
fn customer_row(
    started_at: Option<TimestampWithTimeZone>,
    ended_at: Option<TimestampWithTimeZone>,
    period_start: Option<TimestampWithTimeZone>,
    period_end: Option<TimestampWithTimeZone>,
) -> Option<CustomerRow> {
    Some(CustomerRow {
        started_at: instant(started_at?),
        ended_at: ended_at.map(instant),
        period_start: instant(period_start?),
        period_end: instant(period_end?),
    })
}

/// Adds (or, with `inverse`, removes) one row and the denominator it names, or skips a row with
/// a NULL input (`None`). Always returns the state: a moving-aggregate transition function must
/// not return NULL.
fn period_step(
    mut state: Internal,
    fcinfo: pg_sys::FunctionCallInfo,
    function: &'static str,
    row: Option<(CustomerRow, Option<TextArg>)>,
    inverse: bool,
) -> Internal {
    // SAFETY: the state of the one-step aggregates is a `PeriodState` made here, in the
    // aggregate memory context of this transition call.
    let period = unsafe { state_or_init(&mut state, fcinfo, function, PeriodState::default) };
    match row {
        None => {}
        Some((row, _)) if inverse => period.remove(function, row).or_raise(),
        Some((row, denominator)) => {
            let denominator = denominator
                .map(|name| Denominator::parse(function, name.name(function, "denominator")?))
                .transpose()
                .or_raise();
            period.add(function, row, denominator).or_raise();
        }
    }
    internal_of(period)
}

/// Declares a (forward or inverse) transition function of the one-step aggregates: the
/// 4-argument form, or with `denominator` the 5-argument `crm.churn_rate` (a NULL denominator
/// skips the row, as any NULL input does).
macro_rules! period_transition {
    ($doc:literal, $name:ident, $function:expr, inverse = $inverse:literal) => {
        #[doc = $doc]
        #[pg_extern(schema = "crm_internal", immutable, parallel_safe)]
        fn $name(
            state: Internal,
            started_at: Option<TimestampWithTimeZone>,
            ended_at: Option<TimestampWithTimeZone>,
            period_start: Option<TimestampWithTimeZone>,
            period_end: Option<TimestampWithTimeZone>,
            fcinfo: pg_sys::FunctionCallInfo,
        ) -> Internal {
            let row = customer_row(started_at, ended_at, period_start, period_end);
            period_step(
                state,
                fcinfo,
                $function,
                row.map(|row| (row, None)),
                $inverse,
            )
        }
    };
    ($doc:literal, $name:ident, $function:expr, inverse = $inverse:literal, denominator) => {
        #[doc = $doc]
        #[pg_extern(schema = "crm_internal", immutable, parallel_safe)]
        fn $name(
            state: Internal,
            started_at: Option<TimestampWithTimeZone>,
            ended_at: Option<TimestampWithTimeZone>,
            period_start: Option<TimestampWithTimeZone>,
            period_end: Option<TimestampWithTimeZone>,
            denominator: Option<TextArg>,
            fcinfo: pg_sys::FunctionCallInfo,
        ) -> Internal {
            let row = customer_row(started_at, ended_at, period_start, period_end)
                .zip(denominator)
                .map(|(row, denominator)| (row, Some(denominator)));
            period_step(state, fcinfo, $function, row, $inverse)
        }
    };
}

/// One row of the moving aggregates (window frames) of the 4-argument one-step aggregates, as
/// a raw V1 transition, state internal: it always returns the state (a moving-aggregate
/// transition must never return NULL); a row with a NULL input is skipped.
///
/// # Safety
/// `fcinfo` must be the call info of the transition of `crm.retention_rate` or the 4-argument
/// `crm.churn_rate` (`function`), called by Postgres through the V1 convention.
#[inline(always)]
unsafe fn period_add(fcinfo: pg_sys::FunctionCallInfo, function: &'static str) -> pg_sys::Datum {
    // SAFETY: the state of the one-step aggregates is a `PeriodState` made here; arguments 1 to
    // 4 exist (this function's contract), each a timestamptz, an int8 by value.
    let period = unsafe { raw_state(fcinfo, function, PeriodState::default) };
    // SAFETY: arguments 1 to 4 exist (this function's contract).
    let arguments = unsafe {
        (
            raw_arg(fcinfo, 1),
            raw_arg(fcinfo, 2),
            raw_arg(fcinfo, 3),
            raw_arg(fcinfo, 4),
        )
    };
    if let (Some(started_at), ended_at, Some(period_start), Some(period_end)) = arguments {
        let row = CustomerRow {
            started_at: started_at.value() as i64,
            ended_at: ended_at.map(|datum| datum.value() as i64),
            period_start: period_start.value() as i64,
            period_end: period_end.value() as i64,
        };
        if let Err(error) = period.add(function, row, None) {
            raise_from_raw(move || error);
        }
    }
    // SAFETY: this is the running transition's call info.
    unsafe { raw_return_state(fcinfo, period) }
}

crate::raw_transition! {
    /// Moving-aggregate transition (window frames) of `crm.retention_rate`, state internal.
    fn crm_retention_rate_trans / pg_finfo_crm_retention_rate_trans (fcinfo)
    sql [
        "crm_internal.retention_rate_trans(internal, timestamptz, timestamptz, timestamptz, timestamptz) RETURNS internal IMMUTABLE PARALLEL SAFE",
    ] {
        // SAFETY: Postgres calls this as the transition of `crm.retention_rate`.
        unsafe { period_add(fcinfo, RETENTION_RATE) }
    }
}

crate::raw_transition! {
    /// Moving-aggregate transition (window frames) of the 4-argument `crm.churn_rate`, state
    /// internal.
    fn crm_churn_rate_trans / pg_finfo_crm_churn_rate_trans (fcinfo)
    sql [
        "crm_internal.churn_rate_trans(internal, timestamptz, timestamptz, timestamptz, timestamptz) RETURNS internal IMMUTABLE PARALLEL SAFE",
    ] {
        // SAFETY: Postgres calls this as the transition of `crm.churn_rate`.
        unsafe { period_add(fcinfo, CHURN_RATE) }
    }
}

period_transition!(
    "Inverse transition function of `crm.retention_rate` (window frames).",
    retention_rate_inverse,
    RETENTION_RATE,
    inverse = true
);
period_transition!(
    "Inverse transition function of the 4-argument `crm.churn_rate` (window frames).",
    churn_rate_inverse,
    CHURN_RATE,
    inverse = true
);
period_transition!(
    "Moving-aggregate transition (window frames) of the 5-argument `crm.churn_rate(..., denominator)`, state internal.",
    churn_rate_denominator_trans,
    CHURN_RATE,
    inverse = false,
    denominator
);
period_transition!(
    "Inverse transition function of the 5-argument `crm.churn_rate(..., denominator)`.",
    churn_rate_denominator_inverse,
    CHURN_RATE,
    inverse = true,
    denominator
);

/// Moving-aggregate final function (window frames) of `crm.retention_rate`: (E − N) / S.
#[pg_extern(schema = "crm_internal", immutable, parallel_safe)]
fn retention_rate_final(mut state: Internal) -> Option<f64> {
    // SAFETY: the state is a `PeriodState` made by the one-step aggregates' functions.
    unsafe { state_ref::<PeriodState>(&mut state) }.and_then(|state| state.retention_rate())
}

/// Moving-aggregate final function (window frames) of `crm.churn_rate`: lost over the
/// denominator the rows named ('start' by default).
#[pg_extern(schema = "crm_internal", immutable, parallel_safe)]
fn churn_rate_final(mut state: Internal) -> Option<f64> {
    // SAFETY: the state is a `PeriodState` made by the one-step aggregates' functions.
    unsafe { state_ref::<PeriodState>(&mut state) }.and_then(|state| state.churn_rate())
}

// ---------------------------------------------------------------------------------------------
// The one-step aggregates' transition state crm.customer_period_state, changed in
// place per row.
// ---------------------------------------------------------------------------------------------

/// The customer row in arguments 1 to 4 of a transition function, `None` (the row is skipped)
/// when started_at, period_start or period_end is NULL.
///
/// # Safety
/// `fcinfo` must be the call info of a transition function whose arguments 1 to 4 are
/// timestamptz values.
#[inline(always)]
unsafe fn raw_customer_row(fcinfo: pg_sys::FunctionCallInfo) -> Option<CustomerRow> {
    // SAFETY: arguments 1 to 4 exist (this function's contract), each a timestamptz, an int8
    // by value.
    unsafe {
        Some(CustomerRow {
            started_at: raw_arg(fcinfo, 1)?.value() as i64,
            ended_at: raw_arg(fcinfo, 2).map(|datum| datum.value() as i64),
            period_start: raw_arg(fcinfo, 3)?.value() as i64,
            period_end: raw_arg(fcinfo, 4)?.value() as i64,
        })
    }
}

/// One row of the 4-argument one-step aggregates on their `crm.customer_period_state`, changed
/// in place; a row with a NULL input leaves the state (NULL before the first usable row) as it
/// is.
///
/// # Safety
/// `fcinfo` must be the call info of the transition of `crm.retention_rate` or the 4-argument
/// `crm.churn_rate` (`function`) on that state.
#[inline(always)]
unsafe fn period_state_add(
    fcinfo: pg_sys::FunctionCallInfo,
    function: &'static str,
) -> pg_sys::Datum {
    // SAFETY: argument 0 is a `crm.customer_period_state`, arguments 1 to 4 timestamptz values.
    unsafe {
        let Some(row) = raw_customer_row(fcinfo) else {
            return raw_return_unchanged(fcinfo);
        };
        let mut state = flat_state_mut::<PeriodFlat>(fcinfo);
        if let Err(error) = state.get().add(function, row, None) {
            raise_from_raw(move || error);
        }
        flat_return(fcinfo, state)
    }
}

crate::raw_transition! {
    /// Transition function of `crm.retention_rate` (state `crm.customer_period_state`, changed
    /// in place).
    fn crm_retention_rate_state_trans / pg_finfo_crm_retention_rate_state_trans (fcinfo)
    sql [
        "crm_internal.retention_rate_trans(crm.customer_period_state, timestamptz, timestamptz, timestamptz, timestamptz) RETURNS crm.customer_period_state IMMUTABLE PARALLEL SAFE",
    ] {
        // SAFETY: Postgres calls this as the transition of `crm.retention_rate`.
        unsafe { period_state_add(fcinfo, RETENTION_RATE) }
    }
}

crate::raw_transition! {
    /// Transition function of the 4-argument `crm.churn_rate` (state
    /// `crm.customer_period_state`, changed in place).
    fn crm_churn_rate_state_trans / pg_finfo_crm_churn_rate_state_trans (fcinfo)
    sql [
        "crm_internal.churn_rate_trans(crm.customer_period_state, timestamptz, timestamptz, timestamptz, timestamptz) RETURNS crm.customer_period_state IMMUTABLE PARALLEL SAFE",
    ] {
        // SAFETY: Postgres calls this as the transition of `crm.churn_rate`.
        unsafe { period_state_add(fcinfo, CHURN_RATE) }
    }
}

crate::raw_transition! {
    /// Transition function of the 5-argument `crm.churn_rate(..., denominator)` (state
    /// `crm.customer_period_state`, changed in place): one row and the denominator it names; a
    /// row with a NULL input (the denominator included) leaves the state as it is.
    fn crm_churn_rate_denominator_state_trans / pg_finfo_crm_churn_rate_denominator_state_trans (fcinfo)
    sql [
        "crm_internal.churn_rate_denominator_trans(crm.customer_period_state, timestamptz, timestamptz, timestamptz, timestamptz, text) RETURNS crm.customer_period_state IMMUTABLE PARALLEL SAFE",
    ] {
        // SAFETY: argument 0 is a `crm.customer_period_state`, arguments 1 to 4 timestamptz
        // values and argument 5 a text; the guard turns errors and panics into Postgres errors.
        unsafe {
            let (Some(row), Some(name)) = (raw_customer_row(fcinfo), raw_arg(fcinfo, 5)) else {
                return raw_return_unchanged(fcinfo);
            };
            let denominator = with_varlena_bytes(name, |bytes| {
                TextArg(bytes)
                    .name(CHURN_RATE, "denominator")
                    .and_then(|name| Denominator::parse(CHURN_RATE, name))
            })
            .or_raise();
            let mut state = flat_state_mut::<PeriodFlat>(fcinfo);
            state.get().add(CHURN_RATE, row, Some(denominator)).or_raise();
            flat_return(fcinfo, state)
        }
    }
}

crate::raw_transition! {
    /// Combine function of the one-step retention and churn aggregates (parallel query, Citus).
    fn crm_customer_period_state_combine / pg_finfo_crm_customer_period_state_combine (fcinfo)
    sql [
        "crm_internal.customer_period_combine(crm.customer_period_state, crm.customer_period_state) RETURNS crm.customer_period_state IMMUTABLE PARALLEL SAFE",
    ] {
        // SAFETY: both arguments are `crm.customer_period_state` values.
        unsafe {
            flat_combine::<PeriodFlat>(fcinfo, |state, other| state.merge(CHURN_RATE, other))
        }
    }
}

crate::raw_transition! {
    /// Final function of `crm.retention_rate`: (E − N) / S; NULL without usable rows or when
    /// S is 0.
    fn crm_retention_rate_state_final / pg_finfo_crm_retention_rate_state_final (fcinfo)
    sql [
        "crm_internal.retention_rate_final(crm.customer_period_state) RETURNS double precision IMMUTABLE PARALLEL SAFE",
    ] {
        // SAFETY: argument 0 is a `crm.customer_period_state`; the result a double precision.
        unsafe { flat_final::<PeriodFlat, f64>(fcinfo, |state| state.state().retention_rate()) }
    }
}

crate::raw_transition! {
    /// Final function of `crm.churn_rate`: lost over the denominator the rows named ('start'
    /// by default); NULL without usable rows or when that denominator is 0.
    fn crm_churn_rate_state_final / pg_finfo_crm_churn_rate_state_final (fcinfo)
    sql [
        "crm_internal.churn_rate_final(crm.customer_period_state) RETURNS double precision IMMUTABLE PARALLEL SAFE",
    ] {
        // SAFETY: argument 0 is a `crm.customer_period_state`; the result a double precision.
        unsafe { flat_final::<PeriodFlat, f64>(fcinfo, |state| state.state().churn_rate()) }
    }
}
