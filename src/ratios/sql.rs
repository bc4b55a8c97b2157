//! SQL surface of the plain ratios: scalar functions, and the support functions of the
//! share-of-true aggregates `crm.renewal_rate(boolean)`, `crm.win_rate(boolean)` and
//! `crm.conversion_rate(boolean)` (declared in `sql/ratios.sql`).
use super::state::{self, share_count_overflow, ShareCounts};
use crate::common::datum::{decimal_of, numeric_of};
use crate::common::flat::{flat_combine, flat_final, flat_return, flat_state_mut};
use crate::common::money::decimal_from_text;
use crate::common::pg::{state_ref, OrRaise};
use crate::common::raw::{
    named_for_running_aggregate, raise_from_raw, raw_arg, raw_return_state, raw_return_unchanged,
    raw_state,
};
use pgrx::datum::Internal;
use pgrx::prelude::*;
use pgrx::AnyNumeric;

const SHARE: &str = "crm.win_rate";

/// Customer acquisition cost: total_cost / new_customers; NULL when new_customers is 0.
#[pg_extern(immutable, parallel_safe, strict)]
fn cac(total_cost: AnyNumeric, new_customers: i64) -> Option<AnyNumeric> {
    let total_cost = decimal_of("crm.cac", "total_cost", &total_cost, decimal_from_text);
    state::cac(total_cost, new_customers)
        .or_raise()
        .map(|value| numeric_of("crm.cac", value))
}

/// Return on investment: (revenue - cost) / cost; NULL when cost is 0.
#[pg_extern(immutable, parallel_safe, strict)]
fn roi(revenue: AnyNumeric, cost: AnyNumeric) -> Option<f64> {
    let revenue = decimal_of("crm.roi", "revenue", &revenue, decimal_from_text);
    let cost = decimal_of("crm.roi", "cost", &cost, decimal_from_text);
    state::roi(revenue, cost).or_raise()
}

/// Quota attainment: achieved / target; NULL when target is 0, 22003 when it is negative.
#[pg_extern(immutable, parallel_safe, strict)]
fn quota_attainment(achieved: AnyNumeric, target: AnyNumeric) -> Option<f64> {
    const F: &str = "crm.quota_attainment";
    state::quota_attainment(
        decimal_of(F, "achieved", &achieved, decimal_from_text),
        decimal_of(F, "target", &target, decimal_from_text),
    )
    .or_raise()
}

/// Growth rate: (current - previous) / previous; NULL when previous is 0.
#[pg_extern(immutable, parallel_safe, strict)]
fn growth_rate(current: AnyNumeric, previous: AnyNumeric) -> Option<f64> {
    const F: &str = "crm.growth_rate";
    state::growth_rate(
        decimal_of(F, "current", &current, decimal_from_text),
        decimal_of(F, "previous", &previous, decimal_from_text),
    )
}

/// Conversion rate: converted / total; NULL when total is 0.
#[pg_extern(immutable, parallel_safe, strict)]
fn conversion_rate(converted: i64, total: i64) -> Option<f64> {
    state::conversion_rate(converted, total).or_raise()
}

/// LTV:CAC ratio: ltv / cac; NULL when cac is 0.
#[pg_extern(immutable, parallel_safe, strict)]
fn ltv_to_cac(ltv: AnyNumeric, cac: AnyNumeric) -> Option<f64> {
    const F: &str = "crm.ltv_to_cac";
    state::ltv_to_cac(
        decimal_of(F, "ltv", &ltv, decimal_from_text),
        decimal_of(F, "cac", &cac, decimal_from_text),
    )
    .or_raise()
}

/// Revenue per lead: revenue / leads; NULL when leads is 0.
#[pg_extern(immutable, parallel_safe, strict)]
fn revenue_per_lead(revenue: AnyNumeric, leads: i64) -> Option<AnyNumeric> {
    let revenue = decimal_of(
        "crm.revenue_per_lead",
        "revenue",
        &revenue,
        decimal_from_text,
    );
    state::revenue_per_lead(revenue, leads)
        .or_raise()
        .map(|value| numeric_of("crm.revenue_per_lead", value))
}

/// Cost per lead: cost / leads; NULL when leads is 0.
#[pg_extern(immutable, parallel_safe, strict)]
fn cost_per_lead(cost: AnyNumeric, leads: i64) -> Option<AnyNumeric> {
    let cost = decimal_of("crm.cost_per_lead", "cost", &cost, decimal_from_text);
    state::cost_per_lead(cost, leads)
        .or_raise()
        .map(|value| numeric_of("crm.cost_per_lead", value))
}

/// Calls per sale: calls / sales; NULL when sales is 0.
#[pg_extern(immutable, parallel_safe, strict)]
fn calls_per_sale(calls: i64, sales: i64) -> Option<f64> {
    state::calls_per_sale(calls, sales).or_raise()
}

/// Renewal rate: renewed / up_for_renewal; NULL when up_for_renewal is 0.
#[pg_extern(immutable, parallel_safe, strict)]
fn renewal_rate(renewed: i64, up_for_renewal: i64) -> Option<f64> {
    state::renewal_rate(renewed, up_for_renewal).or_raise()
}

// ---------------------------------------------------------------------------------------------
// Share-of-true aggregates: crm.win_rate, crm.renewal_rate and crm.conversion_rate (boolean).
// ---------------------------------------------------------------------------------------------

/// Transition state of `crm.win_rate(boolean)`, `crm.renewal_rate(boolean)` and
/// `crm.conversion_rate(boolean)`: rows that were true and non-NULL rows; text form `{"true_rows":3,"rows":5}`.
#[allow(non_camel_case_types)]
#[derive(PostgresType, Clone, Copy, Debug, PartialEq, Eq)]
#[bikeshed_postgres_type_manually_impl_from_into_datum]
#[inoutfuncs]
pub struct share_state(pub ShareCounts);

crate::summary_type!(share_state(ShareCounts));

crate::raw_transition! {
    /// Moving-aggregate transition (window frames) of `crm.win_rate(boolean)`,
    /// `crm.conversion_rate(boolean)` and `crm.renewal_rate(boolean)`, state internal: counts a
    /// non-NULL row. The state is created on the first row, NULL or not (a moving-aggregate
    /// transition must never return NULL).
    fn crm_share_trans / pg_finfo_crm_share_trans (fcinfo)
    sql [
        "crm_internal.share_trans(internal, boolean) RETURNS internal IMMUTABLE PARALLEL SAFE",
    ] {
        // SAFETY: sql/ratios.sql declares it (internal, boolean) as a moving transition: argument 0
        // is NULL or the `ShareCounts` made by `raw_state` on an earlier row.
        let counts = unsafe { raw_state(fcinfo, SHARE, ShareCounts::default) };
        // SAFETY: argument 1 exists, a boolean.
        if let Some(value) = unsafe { raw_arg(fcinfo, 1) } {
            if !counts.add(value.value() != 0) {
                // SAFETY: `fcinfo` is the running call's.
                raise_from_raw(|| unsafe {
                    named_for_running_aggregate(fcinfo, share_count_overflow(SHARE))
                });
            }
        }
        // SAFETY: `fcinfo` is the running call's.
        unsafe { raw_return_state(fcinfo, counts) }
    }
}

/// Inverse transition of `crm.win_rate(boolean)`, `crm.renewal_rate(boolean)` and
/// `crm.conversion_rate(boolean)` (window frames).
#[pg_extern(schema = "crm_internal", immutable, parallel_safe)]
fn share_inverse(mut state: Internal, value: Option<bool>) -> Internal {
    // SAFETY: Postgres passes the moving state, the `ShareCounts` made by `crm_share_trans`.
    let counts = unsafe { state_ref::<ShareCounts>(&mut state) };
    if let (Some(value), Some(counts)) = (value, counts) {
        counts.remove(SHARE, value).or_raise();
    }
    state
}

/// Moving-aggregate final function (window frames) of the share-of-true aggregates: true rows /
/// non-NULL rows.
#[pg_extern(schema = "crm_internal", immutable, parallel_safe)]
fn share_final(mut state: Internal) -> Option<f64> {
    // SAFETY: Postgres passes the moving state, the `ShareCounts` made by `crm_share_trans`.
    unsafe { state_ref::<ShareCounts>(&mut state) }.and_then(|counts| counts.share())
}

crate::raw_transition! {
    /// Transition function of `crm.win_rate(boolean)`, `crm.renewal_rate(boolean)` and
    /// `crm.conversion_rate(boolean)` (state `crm.share_state`, changed in place): counts a non-NULL row; a NULL row leaves the state
    /// (NULL before the first non-NULL row) as it is.
    fn crm_share_state_trans / pg_finfo_crm_share_state_trans (fcinfo)
    sql [
        "crm_internal.share_trans(crm.share_state, boolean) RETURNS crm.share_state IMMUTABLE PARALLEL SAFE",
    ] {
        // SAFETY: argument 0 is a `crm.share_state`, argument 1 a boolean; nothing here needs
        // dropping.
        unsafe {
            let Some(value) = raw_arg(fcinfo, 1) else {
                return raw_return_unchanged(fcinfo);
            };
            let mut state = flat_state_mut::<ShareCounts>(fcinfo);
            if !state.get().add(value.value() != 0) {
                // Named after the aggregate that runs it (crm.renewal_rate, crm.fcr_rate, ...).
                raise_from_raw(|| named_for_running_aggregate(fcinfo, share_count_overflow(SHARE)));
            }
            flat_return(fcinfo, state)
        }
    }
}

crate::raw_transition! {
    /// Combine function of the share-of-true aggregates (parallel query, Citus), and of the
    /// service family's one-step SLA and FCR rates, which keep the same state.
    fn crm_share_state_combine / pg_finfo_crm_share_state_combine (fcinfo)
    sql [
        "crm_internal.share_combine(crm.share_state, crm.share_state) RETURNS crm.share_state IMMUTABLE PARALLEL SAFE",
        "crm_internal.service_share_combine(crm.share_state, crm.share_state) RETURNS crm.share_state IMMUTABLE PARALLEL SAFE",
    ] {
        // SAFETY: both arguments are `crm.share_state` values.
        unsafe {
            flat_combine::<ShareCounts>(fcinfo, |state, other| state.merge(SHARE, other))
        }
    }
}

crate::raw_transition! {
    /// Final function of the share-of-true aggregates (and of the service family's one-step SLA
    /// and FCR rates): true rows / non-NULL rows.
    fn crm_share_state_final / pg_finfo_crm_share_state_final (fcinfo)
    sql [
        "crm_internal.share_final(crm.share_state) RETURNS double precision IMMUTABLE PARALLEL SAFE",
        "crm_internal.service_share_final(crm.share_state) RETURNS double precision IMMUTABLE PARALLEL SAFE",
    ] {
        // SAFETY: argument 0 is a `crm.share_state`; the result a double precision.
        unsafe { flat_final::<ShareCounts, f64>(fcinfo, ShareCounts::share) }
    }
}
