//! The two-step form: `crm.customer_agg`, `crm.rollup(crm.customer_summary)` and the
//! accessors `crm.customers` and `crm.active_customers`.
use super::{customer_summary, instant, CUSTOMER_AGG, CUSTOMER_ROLLUP};
use crate::common::error::MetricResult;
use crate::common::expanded::{
    expanded_combine, expanded_final, expanded_return, expanded_state_mut, ExpandedState,
};
use crate::common::pg::{bigint, varlena_from_bytes, OrRaise};
use crate::common::raw::{raise_from_raw, raw_arg, raw_return_unchanged};
use crate::customers::state::{customer_lifetime, require_finite, CustomerSummary};
use pgrx::prelude::*;

// ---------------------------------------------------------------------------------------------
// Two-step: crm.customer_agg, crm.rollup, accessors and crm.churn_series.
// ---------------------------------------------------------------------------------------------

crate::expanded_state!(CustomerSummary, "crm.customer_summary");

/// Merges a summary into the state of `function`, within the memory bound.
fn merge_customers(
    function: &str,
    state: &mut CustomerSummary,
    other: &CustomerSummary,
) -> MetricResult<()> {
    state.merge(function, other)?;
    state.check_size(function)
}

/// One customer row into the summary of `crm.customer_agg`.
///
/// # Safety
/// `fcinfo` must be the call info of the transition of `crm.customer_agg(timestamptz,
/// timestamptz)`, called by Postgres through the V1 convention.
#[inline(always)]
unsafe fn customer_agg_add(fcinfo: pg_sys::FunctionCallInfo) -> pg_sys::Datum {
    // SAFETY: argument 1 and 2 exist (this function's contract); a timestamptz is an int8 by
    // value.
    let (started_at, ended_at) = unsafe { (raw_arg(fcinfo, 1), raw_arg(fcinfo, 2)) };
    let Some(started_at) = started_at.map(|datum| datum.value() as i64) else {
        // SAFETY: this is the running transition's call info.
        return unsafe { raw_return_unchanged(fcinfo) };
    };
    let ended_at = ended_at.map(|datum| datum.value() as i64);
    // A zero-length row is skipped like a NULL one: only zero-length rows give NULL.
    let lifetime = match customer_lifetime(CUSTOMER_AGG, started_at, ended_at) {
        Ok(Some(lifetime)) => lifetime,
        // SAFETY: this is the running transition's call info.
        Ok(None) => return unsafe { raw_return_unchanged(fcinfo) },
        Err(error) => raise_from_raw(move || error),
    };
    // SAFETY: argument 0 is a `crm.customer_summary`.
    let mut summary = unsafe { expanded_state_mut(fcinfo, CustomerSummary::new) };
    if let Err(error) = summary.get().add_lifetime(CUSTOMER_AGG, lifetime) {
        raise_from_raw(move || error);
    }
    // SAFETY: this is the running transition's call info.
    unsafe { expanded_return(fcinfo, summary) }
}

crate::raw_transition! {
    /// Transition function of `crm.customer_agg(timestamptz, timestamptz)`: a raw V1 function
    /// (no `#[pg_extern]` wrapper on the per-row path) whose state is a `crm.customer_summary`
    /// kept as an expanded object.
    fn crm_customer_agg_trans / pg_finfo_crm_customer_agg_trans (fcinfo)
    sql [
        "crm_internal.customer_agg_trans(crm.customer_summary, timestamptz, timestamptz) RETURNS crm.customer_summary IMMUTABLE PARALLEL SAFE",
    ] {
        // SAFETY: Postgres calls this as the transition of `crm.customer_agg`.
        unsafe { customer_agg_add(fcinfo) }
    }
}

crate::raw_transition! {
    /// Transition function of `crm.rollup(crm.customer_summary)`: merges one stored summary.
    fn crm_customer_rollup_trans / pg_finfo_crm_customer_rollup_trans (fcinfo)
    sql [
        "crm_internal.customer_rollup_trans(crm.customer_summary, crm.customer_summary) RETURNS crm.customer_summary IMMUTABLE PARALLEL SAFE",
    ] {
        // SAFETY: both arguments are `crm.customer_summary` values.
        unsafe {
            expanded_combine(fcinfo, |state: &mut CustomerSummary, other| {
                merge_customers(CUSTOMER_ROLLUP, state, other)
            })
        }
    }
}

crate::raw_transition! {
    /// Combine function of `crm.customer_agg` and `crm.rollup(crm.customer_summary)`.
    fn crm_customer_agg_combine / pg_finfo_crm_customer_agg_combine (fcinfo)
    sql [
        "crm_internal.customer_agg_combine(crm.customer_summary, crm.customer_summary) RETURNS crm.customer_summary IMMUTABLE PARALLEL SAFE",
    ] {
        // SAFETY: both arguments are `crm.customer_summary` values.
        unsafe {
            expanded_combine(fcinfo, |state: &mut CustomerSummary, other| {
                merge_customers(CUSTOMER_AGG, state, other)
            })
        }
    }
}

crate::raw_transition! {
    /// Final function of `crm.customer_agg` and `crm.rollup(crm.customer_summary)`: the
    /// canonical binary form of the summary, encoded straight from the state (folding it, which
    /// changes no answer), without copying the state first.
    fn crm_customer_agg_final / pg_finfo_crm_customer_agg_final (fcinfo)
    sql [
        "crm_internal.customer_agg_final(crm.customer_summary) RETURNS crm.customer_summary IMMUTABLE PARALLEL SAFE",
    ] {
        // SAFETY: argument 0 is NULL or a `crm.customer_summary`.
        unsafe {
            expanded_final(fcinfo, |summary: &mut CustomerSummary| {
                Some(varlena_from_bytes(<CustomerSummary as ExpandedState>::TYPE_NAME, &summary.encode().or_raise()))
            })
        }
    }
}

/// Number of customers in a summary.
#[pg_extern(immutable, parallel_safe, strict, name = "customers")]
fn customer_summary_customers(summary: customer_summary) -> i64 {
    bigint("crm.customers", summary.0.customers())
}

/// The customers a period starting at `at` starts with: started_at < at and (ended_at is NULL
/// or ended_at >= at).
#[pg_extern(immutable, parallel_safe, strict)]
fn active_customers(summary: customer_summary, at: TimestampWithTimeZone) -> i64 {
    let mut summary = summary.0;
    let at = instant(at);
    require_finite("crm.active_customers", "at", at).or_raise();
    bigint("crm.active_customers", summary.active_at(at))
}
