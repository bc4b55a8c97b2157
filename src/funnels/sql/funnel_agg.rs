//! `crm.funnel_agg` (bigint, text and uuid entity ids, with and without the mode),
//! `crm.rollup(crm.funnel_summary)` and `crm.funnel_steps`.
use super::{event_arguments, funnel_summary, FunnelSummary, FUNNEL_AGG, FUNNEL_ROLLUP};
use crate::common::error::MetricError;
use crate::common::expanded::{
    expanded_combine, expanded_final, expanded_return, expanded_state_mut, ExpandedState,
};
use crate::common::keys::{key_from_bigint, key_from_text, key_from_uuid, KeyKind};
use crate::common::pg::{bigint, varlena_from_bytes, OrRaise, TextArg};
use crate::common::raw::{raise_from_raw, raw_return_unchanged};
use crate::common::summary::SummaryBytes;
use pgrx::datum::Interval;
use pgrx::fcinfo::pg_getarg;
use pgrx::prelude::*;

const FUNNEL_STEPS: &str = "crm.funnel_steps";

crate::expanded_state!(FunnelSummary, "crm.funnel_summary");

/// One event row of entity `key` into the state of `crm.funnel_agg`: a NULL id, time, step,
/// window or mode skips the row.
///
/// # Safety
/// `fcinfo` must be the call info of a transition of `crm.funnel_agg`: a
/// `crm.funnel_summary`, the id, then (timestamptz, integer, interval[, text]).
unsafe fn funnel_agg_add(
    fcinfo: pg_sys::FunctionCallInfo,
    kind: KeyKind,
    key: Option<u128>,
    with_mode: bool,
) -> pg_sys::Datum {
    // SAFETY: the arguments are those of the transition (this function's contract).
    let row = match key.map(|_| unsafe { event_arguments(FUNNEL_AGG, fcinfo, 2, with_mode) }) {
        Some(Ok(row)) => row,
        Some(Err(error)) => raise_from_raw(move || error),
        None => None,
    };
    let (Some(key), Some((setting, event))) = (key, row) else {
        // SAFETY: the running transition's call info.
        return unsafe { raw_return_unchanged(fcinfo) };
    };
    // SAFETY: argument 0 is a `crm.funnel_summary`.
    let mut state = unsafe { expanded_state_mut(fcinfo, || FunnelSummary::new(kind)) };
    let summary = state.get();
    // A state passed in by hand may be a summary of another id type.
    let added = summary
        .expect_key_kind(FUNNEL_AGG, kind)
        .and_then(|()| summary.add(FUNNEL_AGG, key, setting, event));
    if let Err(error) = added {
        raise_from_raw(move || error);
    }
    // SAFETY: the running transition's call info; `state` is the object of its argument 0.
    unsafe { expanded_return(fcinfo, state) }
}

/// Declares the two transitions of `crm.funnel_agg` for one id type (without and with mode).
macro_rules! funnel_transitions {
    (
        $sql_type:literal,
        $trans:ident / $finfo:ident,
        $mode_trans:ident / $mode_finfo:ident,
        $id:ty,
        $kind:expr,
        $key:expr
    ) => {
        $crate::raw_transition! {
            #[doc = concat!("Transition function of `crm.funnel_agg(", $sql_type, ", timestamptz, integer, interval)`.")]
            fn $trans / $finfo (fcinfo)
            sql [concat!(
                "crm_internal.funnel_agg_", $sql_type, "_trans(crm.funnel_summary, ", $sql_type,
                ", timestamptz, integer, interval) RETURNS crm.funnel_summary IMMUTABLE PARALLEL SAFE"
            )]
            {
                // SAFETY: sql/funnels.sql declares it with those arguments.
                unsafe {
                    let key = pg_getarg::<$id>(fcinfo, 1).map($key);
                    funnel_agg_add(fcinfo, $kind, key, false)
                }
            }
        }

        $crate::raw_transition! {
            #[doc = concat!("Transition function of `crm.funnel_agg(", $sql_type, ", timestamptz, integer, interval, text)`.")]
            fn $mode_trans / $mode_finfo (fcinfo)
            sql [concat!(
                "crm_internal.funnel_agg_", $sql_type, "_mode_trans(crm.funnel_summary, ", $sql_type,
                ", timestamptz, integer, interval, text) RETURNS crm.funnel_summary IMMUTABLE PARALLEL SAFE"
            )]
            {
                // SAFETY: sql/funnels.sql declares it with those arguments.
                unsafe {
                    let key = pg_getarg::<$id>(fcinfo, 1).map($key);
                    funnel_agg_add(fcinfo, $kind, key, true)
                }
            }
        }
    };
}

funnel_transitions!(
    "bigint",
    crm_funnel_agg_bigint_trans / pg_finfo_crm_funnel_agg_bigint_trans,
    crm_funnel_agg_bigint_mode_trans / pg_finfo_crm_funnel_agg_bigint_mode_trans,
    i64,
    KeyKind::BigInt,
    key_from_bigint
);
funnel_transitions!(
    "text",
    crm_funnel_agg_text_trans / pg_finfo_crm_funnel_agg_text_trans,
    crm_funnel_agg_text_mode_trans / pg_finfo_crm_funnel_agg_text_mode_trans,
    TextArg,
    KeyKind::Text,
    |id: TextArg| key_from_text(id.0)
);
funnel_transitions!(
    "uuid",
    crm_funnel_agg_uuid_trans / pg_finfo_crm_funnel_agg_uuid_trans,
    crm_funnel_agg_uuid_mode_trans / pg_finfo_crm_funnel_agg_uuid_mode_trans,
    pgrx::Uuid,
    KeyKind::Uuid,
    |id: pgrx::Uuid| key_from_uuid(*id.as_bytes())
);

crate::raw_transition! {
    /// Transition function of `crm.rollup(crm.funnel_summary)`: merges one stored summary.
    fn crm_funnel_rollup_trans / pg_finfo_crm_funnel_rollup_trans (fcinfo)
    sql [
        "crm_internal.funnel_rollup_trans(crm.funnel_summary, crm.funnel_summary) RETURNS crm.funnel_summary IMMUTABLE PARALLEL SAFE",
    ] {
        // SAFETY: both arguments are `crm.funnel_summary` values.
        unsafe { funnel_combine(fcinfo, FUNNEL_ROLLUP) }
    }
}

crate::raw_transition! {
    /// Combine function of `crm.rollup(crm.funnel_summary)`: merges a partial state. The same
    /// merge as the transition, a function of its own so that the planner costs it as the merge
    /// of a growing state (`crm_internal.merged_state_cost`), which a transition is not.
    fn crm_funnel_rollup_combine / pg_finfo_crm_funnel_rollup_combine (fcinfo)
    sql [
        "crm_internal.funnel_rollup_combine(crm.funnel_summary, crm.funnel_summary) RETURNS crm.funnel_summary IMMUTABLE PARALLEL SAFE",
    ] {
        // SAFETY: both arguments are `crm.funnel_summary` values.
        unsafe { funnel_combine(fcinfo, FUNNEL_ROLLUP) }
    }
}

/// Merges argument 1 into the state (argument 0) of `function`.
///
/// # Safety
/// Both arguments of `fcinfo` must be `crm.funnel_summary` values.
unsafe fn funnel_combine(fcinfo: pg_sys::FunctionCallInfo, function: &str) -> pg_sys::Datum {
    // SAFETY: both arguments are `crm.funnel_summary` values (this function's contract).
    unsafe {
        expanded_combine(fcinfo, |state: &mut FunnelSummary, other| {
            state.merge(function, other)
        })
    }
}

/// The finished summary of `function` (events reduced to per-entity results); NULL without a
/// usable row.
///
/// # Safety
/// Argument 0 of `fcinfo` must be NULL or a `crm.funnel_summary`.
unsafe fn funnel_final(fcinfo: pg_sys::FunctionCallInfo, function: &str) -> pg_sys::Datum {
    // SAFETY: argument 0 is NULL or a `crm.funnel_summary` (this function's contract).
    unsafe {
        expanded_final(fcinfo, |summary: &mut FunnelSummary| {
            if summary.is_empty() {
                return None;
            }
            Some(varlena_from_bytes(
                <FunnelSummary as ExpandedState>::TYPE_NAME,
                &summary.finished_form(function).or_raise(),
            ))
        })
    }
}

crate::raw_transition! {
    /// Combine function of `crm.funnel_agg`.
    fn crm_funnel_combine / pg_finfo_crm_funnel_combine (fcinfo)
    sql [
        "crm_internal.funnel_combine(crm.funnel_summary, crm.funnel_summary) RETURNS crm.funnel_summary IMMUTABLE PARALLEL SAFE",
    ] {
        // SAFETY: both arguments are `crm.funnel_summary` values.
        unsafe { funnel_combine(fcinfo, FUNNEL_AGG) }
    }
}

crate::raw_transition! {
    /// Final function of `crm.funnel_agg`: the finished summary (events reduced to per-entity
    /// results); NULL without a usable row.
    fn crm_funnel_final / pg_finfo_crm_funnel_final (fcinfo)
    sql [
        "crm_internal.funnel_final(crm.funnel_summary) RETURNS crm.funnel_summary IMMUTABLE PARALLEL SAFE",
    ] {
        // SAFETY: argument 0 is NULL or a `crm.funnel_summary`.
        unsafe { funnel_final(fcinfo, FUNNEL_AGG) }
    }
}

crate::raw_transition! {
    /// Final function of `crm.rollup(crm.funnel_summary)`: the summaries merged, an entity
    /// found with different results in two of them an error; NULL without a summary.
    fn crm_funnel_rollup_final / pg_finfo_crm_funnel_rollup_final (fcinfo)
    sql [
        "crm_internal.funnel_rollup_final(crm.funnel_summary) RETURNS crm.funnel_summary IMMUTABLE PARALLEL SAFE",
    ] {
        // SAFETY: argument 0 is NULL or a `crm.funnel_summary`.
        unsafe { funnel_final(fcinfo, FUNNEL_ROLLUP) }
    }
}

/// One row per funnel step (1 to the highest step in the data): the entities whose level is
/// at least the step, the conversion from the previous step and from step 1, and the median
/// (`percentile_disc(0.5)`) time from the chain's step-1 event to its step-k event.
#[pg_extern(immutable, parallel_safe, strict)]
#[allow(clippy::type_complexity)]
fn funnel_steps(
    summary: SummaryBytes<funnel_summary>,
) -> TableIterator<
    'static,
    (
        name!(step, i32),
        name!(entities, i64),
        name!(conversion_from_previous, Option<f64>),
        name!(conversion_from_first, Option<f64>),
        name!(median_time_from_first, Option<Interval>),
    ),
> {
    // Read straight from the binary form; a summary typed in by hand may still hold events,
    // and is finished as the final function does.
    let rows: Vec<_> = FunnelSummary::step_rows_of_binary(FUNNEL_STEPS, summary.bytes)
        .or_raise()
        .into_iter()
        .map(|row| {
            let median = row.median_time_from_first.map(|micros| {
                let day = crate::common::civil::USECS_PER_DAY;
                Interval::new(0, (micros / day) as i32, micros % day)
                    .map_err(|_| {
                        MetricError::OutOfRange(format!("{FUNNEL_STEPS}: median time out of range"))
                    })
                    .or_raise()
            });
            (
                i32::from(row.step),
                bigint(FUNNEL_STEPS, row.entities),
                row.conversion_from_previous,
                row.conversion_from_first,
                median,
            )
        })
        .collect();
    TableIterator::new(rows)
}
