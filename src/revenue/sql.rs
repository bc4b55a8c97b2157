//! SQL surface of recurring revenue: `crm.mrr_agg` (bigint, text and uuid customer ids),
//! `crm.rollup(crm.mrr_summary)`, `crm.mrr_movements`, `crm.net_revenue_retention` and
//! `crm.gross_revenue_retention`. Aggregates are declared in `sql/revenue.sql`; the per-row
//! transitions are raw V1 C functions.
use super::state::MrrSummary;
use crate::common::datum::{numeric_of, raw_bigint_key, raw_decimal, raw_text_key, raw_uuid_key};
use crate::common::expanded::{
    expanded_combine, expanded_final, expanded_return, expanded_state_mut, ExpandedState,
};
use crate::common::interrupt::checked;
use crate::common::keys::KeyKind;
use crate::common::limits::collect_result;
use crate::common::pg::{bigint, varlena_from_bytes, OrRaise};
use crate::common::raw::{raise_from_raw, raw_arg};
use pgrx::prelude::*;
use pgrx::AnyNumeric;

const MRR_AGG: &str = "crm.mrr_agg";
const MRR_ROLLUP: &str = "crm.rollup";
const MRR_MOVEMENTS: &str = "crm.mrr_movements";

/// MRR per customer and month; text form
/// `{"version":1,"key":"bigint","first_month":"2025-01-01","last_month":"2025-02-01","customers":[["42",[["2025-01-01","100.00"]]]]}`.
#[allow(non_camel_case_types)]
#[derive(PostgresType, Clone, Debug)]
#[bikeshed_postgres_type_manually_impl_from_into_datum]
#[inoutfuncs]
pub struct mrr_summary(pub MrrSummary);

crate::summary_type!(mrr_summary(MrrSummary));

// ---------------------------------------------------------------------------------------------
// Transition, combine, serialize, deserialize and final functions.
// ---------------------------------------------------------------------------------------------

/// Per-row step of `crm.mrr_agg`: one customer-month. A NULL id, month or mrr skips the row.
///
/// # Safety
/// `fcinfo` must be the call info of a transition of `crm.mrr_agg`: a `crm.mrr_summary`, then
/// (id, date, numeric) with an id of the type `key_of` reads.
#[inline(always)]
unsafe fn mrr_add(
    fcinfo: pg_sys::FunctionCallInfo,
    kind: KeyKind,
    key_of: unsafe fn(pg_sys::Datum) -> u128,
) -> pg_sys::Datum {
    // SAFETY: argument 0 is a `crm.mrr_summary` (this function's contract).
    let mut state = unsafe { expanded_state_mut(fcinfo, || MrrSummary::new(kind)) };
    // SAFETY: the transition has arguments 1 to 3 (this function's contract).
    let arguments = unsafe { (raw_arg(fcinfo, 1), raw_arg(fcinfo, 2), raw_arg(fcinfo, 3)) };
    let (Some(id), Some(month), Some(mrr)) = arguments else {
        // SAFETY: `fcinfo` is the running call's; `state` is the object of its argument 0.
        return unsafe { expanded_return(fcinfo, state) };
    };
    // SAFETY: `id` is a non-null id of the type `key_of` reads (this function's contract).
    let key = unsafe { key_of(id) };
    let summary = state.get();
    // A state passed in by hand may be a summary of another id type.
    summary.expect_key_kind(MRR_AGG, kind).or_raise();
    // SAFETY: argument 3 is a non-null numeric.
    let added = unsafe { raw_decimal(MRR_AGG, "mrr", mrr) }
        .and_then(|mrr| summary.add(MRR_AGG, key, month.value() as i32, mrr));
    if let Err(error) = added {
        raise_from_raw(move || error);
    }
    // SAFETY: `fcinfo` is the running call's; `state` is the object of its argument 0.
    unsafe { expanded_return(fcinfo, state) }
}

crate::raw_transition! {
    /// Transition function of `crm.mrr_agg(bigint, date, numeric)`.
    fn crm_mrr_bigint_trans / pg_finfo_crm_mrr_bigint_trans (fcinfo)
    sql [
        "crm_internal.mrr_bigint_trans(crm.mrr_summary, bigint, date, numeric) RETURNS crm.mrr_summary IMMUTABLE PARALLEL SAFE",
    ] {
        // SAFETY: sql/revenue.sql declares it (crm.mrr_summary, bigint, date, numeric), the id type
        // the key function reads.
        unsafe { mrr_add(fcinfo, KeyKind::BigInt, raw_bigint_key) }
    }
}

crate::raw_transition! {
    /// Transition function of `crm.mrr_agg(text, date, numeric)`.
    fn crm_mrr_text_trans / pg_finfo_crm_mrr_text_trans (fcinfo)
    sql [
        "crm_internal.mrr_text_trans(crm.mrr_summary, text, date, numeric) RETURNS crm.mrr_summary IMMUTABLE PARALLEL SAFE",
    ] {
        // SAFETY: sql/revenue.sql declares it (crm.mrr_summary, text, date, numeric), the id type
        // the key function reads.
        unsafe { mrr_add(fcinfo, KeyKind::Text, raw_text_key) }
    }
}

crate::raw_transition! {
    /// Transition function of `crm.mrr_agg(uuid, date, numeric)`.
    fn crm_mrr_uuid_trans / pg_finfo_crm_mrr_uuid_trans (fcinfo)
    sql [
        "crm_internal.mrr_uuid_trans(crm.mrr_summary, uuid, date, numeric) RETURNS crm.mrr_summary IMMUTABLE PARALLEL SAFE",
    ] {
        // SAFETY: sql/revenue.sql declares it (crm.mrr_summary, uuid, date, numeric), the id type
        // the key function reads.
        unsafe { mrr_add(fcinfo, KeyKind::Uuid, raw_uuid_key) }
    }
}

crate::expanded_state!(MrrSummary, "crm.mrr_summary", |summary: &mut MrrSummary| {
    summary.settle(MRR_AGG).or_raise();
    summary.encode()
});

crate::raw_transition! {
    /// Transition function of `crm.rollup(crm.mrr_summary)`: merges one stored summary.
    fn crm_mrr_rollup_trans / pg_finfo_crm_mrr_rollup_trans (fcinfo)
    sql [
        "crm_internal.mrr_rollup_trans(crm.mrr_summary, crm.mrr_summary) RETURNS crm.mrr_summary IMMUTABLE PARALLEL SAFE",
    ] {
        // SAFETY: both arguments are `crm.mrr_summary` values.
        unsafe {
            expanded_combine(fcinfo, |state: &mut MrrSummary, other| {
                state.merge(MRR_ROLLUP, other)
            })
        }
    }
}

crate::raw_transition! {
    /// Combine function of `crm.mrr_agg` and `crm.rollup(crm.mrr_summary)`.
    fn crm_mrr_combine / pg_finfo_crm_mrr_combine (fcinfo)
    sql [
        "crm_internal.mrr_combine(crm.mrr_summary, crm.mrr_summary) RETURNS crm.mrr_summary IMMUTABLE PARALLEL SAFE",
    ] {
        // SAFETY: both arguments are `crm.mrr_summary` values.
        unsafe {
            expanded_combine(fcinfo, |state: &mut MrrSummary, other| state.merge(MRR_AGG, other))
        }
    }
}

crate::raw_transition! {
    /// Final function of `crm.mrr_agg` and `crm.rollup(crm.mrr_summary)`: the settled summary's
    /// canonical binary form; NULL without rows.
    fn crm_mrr_final / pg_finfo_crm_mrr_final (fcinfo)
    sql [
        "crm_internal.mrr_final(crm.mrr_summary) RETURNS crm.mrr_summary IMMUTABLE PARALLEL SAFE",
    ] {
        // SAFETY: argument 0 is NULL or a `crm.mrr_summary`.
        unsafe {
            expanded_final(fcinfo, |summary: &mut MrrSummary| {
                if summary.is_empty() {
                    return None;
                }
                summary.settle(MRR_AGG).or_raise();
                Some(varlena_from_bytes(<MrrSummary as ExpandedState>::TYPE_NAME, &summary.encode().or_raise()))
            })
        }
    }
}

/// The MRR bridge: one row per month from the first to the last month in the data, with
/// ending = starting + new + expansion + reactivation - contraction - churned on every row.
#[pg_extern(immutable, parallel_safe, strict)]
#[allow(clippy::type_complexity)]
fn mrr_movements(
    summary: mrr_summary,
) -> TableIterator<
    'static,
    (
        name!(month, Date),
        name!(starting_mrr, AnyNumeric),
        name!(new_mrr, AnyNumeric),
        name!(expansion_mrr, AnyNumeric),
        name!(contraction_mrr, AnyNumeric),
        name!(churned_mrr, AnyNumeric),
        name!(reactivation_mrr, AnyNumeric),
        name!(ending_mrr, AnyNumeric),
        name!(customers_at_start, i64),
        name!(new_customers, i64),
        name!(churned_customers, i64),
        name!(reactivated_customers, i64),
        name!(customers_at_end, i64),
    ),
> {
    let mut summary = summary.0;
    let movements = summary.movements(MRR_MOVEMENTS).or_raise();
    let rows = checked(movements).map(|row| {
        (
            // SAFETY: the first day of a month of the data is a valid date.
            unsafe { Date::from_pg_epoch_days(row.month) },
            numeric_of(MRR_MOVEMENTS, row.starting_mrr),
            numeric_of(MRR_MOVEMENTS, row.new_mrr),
            numeric_of(MRR_MOVEMENTS, row.expansion_mrr),
            numeric_of(MRR_MOVEMENTS, row.contraction_mrr),
            numeric_of(MRR_MOVEMENTS, row.churned_mrr),
            numeric_of(MRR_MOVEMENTS, row.reactivation_mrr),
            numeric_of(MRR_MOVEMENTS, row.ending_mrr),
            bigint(MRR_MOVEMENTS, row.customers_at_start),
            bigint(MRR_MOVEMENTS, row.new_customers),
            bigint(MRR_MOVEMENTS, row.churned_customers),
            bigint(MRR_MOVEMENTS, row.reactivated_customers),
            bigint(MRR_MOVEMENTS, row.customers_at_end),
        )
    });
    TableIterator::new(collect_result(MRR_MOVEMENTS, "its rows", rows).or_raise())
}

/// Net revenue retention: over the customers with mrr > 0 in from_month, their mrr in
/// to_month / their mrr in from_month; NULL without such customers.
#[pg_extern(immutable, parallel_safe, strict)]
fn net_revenue_retention(summary: mrr_summary, from_month: Date, to_month: Date) -> Option<f64> {
    let mut summary = summary.0;
    summary
        .net_revenue_retention(from_month.to_pg_epoch_days(), to_month.to_pg_epoch_days())
        .or_raise()
}

/// Gross revenue retention: over the customers with mrr > 0 in from_month, Σ min(mrr in
/// to_month, mrr in from_month) / Σ mrr in from_month; NULL without such customers.
#[pg_extern(immutable, parallel_safe, strict)]
fn gross_revenue_retention(summary: mrr_summary, from_month: Date, to_month: Date) -> Option<f64> {
    let mut summary = summary.0;
    summary
        .gross_revenue_retention(from_month.to_pg_epoch_days(), to_month.to_pg_epoch_days())
        .or_raise()
}
