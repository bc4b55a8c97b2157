//! SQL surface of the sales pipeline: `crm.pipeline_agg`, `crm.rollup(crm.pipeline_summary)`,
//! the accessors, and the one-step `crm.pipeline_velocity` aggregate. Aggregates are declared
//! in `sql/pipeline.sql`; the per-row transitions are raw V1 C functions.
use super::state::{interval_microseconds, PipelineSummary, USECS_PER_DAY};
use crate::common::datum::{decimal_of, numeric_of, raw_decimal};
use crate::common::pg::{
    bigint, combine_states, internal_of, new_transient_state, raise_from_raw, raw_arg,
    raw_return_state, raw_state, state_or_init, state_ref, OrRaise,
};
use pgrx::datum::Internal;
use pgrx::prelude::*;
use pgrx::AnyNumeric;

const PIPELINE_AGG: &str = "crm.pipeline_agg";
const PIPELINE_VELOCITY: &str = "crm.pipeline_velocity";
const PIPELINE_ROLLUP: &str = "crm.rollup";

/// Opportunities by outcome with their values and closing times; text form
/// `{"won":7,"lost":13,"open":0,"won_value":"70000","open_value":"0","won_cycle_microseconds":54432000000000}`.
#[allow(non_camel_case_types)]
#[derive(PostgresType, Clone, Copy, Debug, PartialEq, Eq)]
#[bikeshed_postgres_type_manually_impl_from_into_datum]
#[inoutfuncs]
pub struct pipeline_summary(pub PipelineSummary);

crate::summary_type!(pipeline_summary(PipelineSummary));

// ---------------------------------------------------------------------------------------------
// Transition, inverse, combine, serialize, deserialize and final functions.
// ---------------------------------------------------------------------------------------------

/// Per-row step of `crm.pipeline_agg` and `crm.pipeline_velocity`: counts one opportunity.
/// The state is created on the first row, usable or not, so the same function serves as the
/// moving-aggregate transition (which must never return NULL). A NULL amount or created_at
/// skips the row.
#[inline(always)]
unsafe fn pipeline_add(fcinfo: pg_sys::FunctionCallInfo, function: &'static str) -> pg_sys::Datum {
    let summary = unsafe { raw_state(fcinfo, function, PipelineSummary::default) };
    let (Some(amount), Some(created_at)) =
        (unsafe { raw_arg(fcinfo, 1) }, unsafe { raw_arg(fcinfo, 2) })
    else {
        return unsafe { raw_return_state(fcinfo, summary) };
    };
    let closed_at = unsafe { raw_arg(fcinfo, 3) }.map(|datum| datum.value() as i64);
    let won = unsafe { raw_arg(fcinfo, 4) }.map(|datum| datum.value() != 0);
    let added = unsafe { raw_decimal(function, "amount", amount) }.and_then(|amount| {
        summary.add(function, amount, created_at.value() as i64, closed_at, won)
    });
    if let Err(error) = added {
        // SAFETY: a raw V1 function; nothing on this frame needs dropping (the error is moved
        // into the closure and consumed by the raise).
        unsafe { raise_from_raw(move || error) };
    }
    unsafe { raw_return_state(fcinfo, summary) }
}

crate::raw_transition! {
    /// Transition function of `crm.pipeline_agg(numeric, timestamptz, timestamptz, boolean)`.
    fn crm_pipeline_agg_trans / pg_finfo_crm_pipeline_agg_trans (fcinfo) {
        unsafe { pipeline_add(fcinfo, PIPELINE_AGG) }
    }
}

crate::raw_transition! {
    /// Transition function of `crm.pipeline_velocity(numeric, timestamptz, timestamptz, boolean)`.
    fn crm_pipeline_velocity_trans / pg_finfo_crm_pipeline_velocity_trans (fcinfo) {
        unsafe { pipeline_add(fcinfo, PIPELINE_VELOCITY) }
    }
}

/// Inverse transition function of `crm.pipeline_agg` and `crm.pipeline_velocity` (window frames).
#[pg_extern(immutable, parallel_safe)]
fn pipeline_inverse(
    mut state: Internal,
    amount: Option<AnyNumeric>,
    created_at: Option<TimestampWithTimeZone>,
    closed_at: Option<TimestampWithTimeZone>,
    won: Option<bool>,
) -> Internal {
    let function = PIPELINE_AGG;
    if let (Some(amount), Some(created_at), Some(summary)) = (amount, created_at, unsafe {
        state_ref::<PipelineSummary>(&mut state)
    }) {
        let amount = decimal_of(function, "amount", &amount);
        let closed_at = closed_at.map(pg_sys::TimestampTz::from);
        summary
            .remove(
                function,
                amount,
                pg_sys::TimestampTz::from(created_at),
                closed_at,
                won,
            )
            .or_raise();
    }
    state
}

/// Transition function of `crm.rollup(crm.pipeline_summary)`.
#[pg_extern(immutable, parallel_safe)]
fn pipeline_rollup_trans(
    mut state: Internal,
    summary: Option<pipeline_summary>,
    fcinfo: pg_sys::FunctionCallInfo,
) -> Internal {
    let merged = unsafe {
        state_or_init(
            &mut state,
            fcinfo,
            PIPELINE_ROLLUP,
            PipelineSummary::default,
        )
    };
    if let Some(summary) = summary {
        merged.merge(PIPELINE_ROLLUP, &summary.0).or_raise();
    }
    internal_of(merged)
}

/// Inverse transition function of `crm.rollup(crm.pipeline_summary)` (window frames).
#[pg_extern(immutable, parallel_safe)]
fn pipeline_rollup_inverse(mut state: Internal, summary: Option<pipeline_summary>) -> Internal {
    if let (Some(summary), Some(merged)) =
        (summary, unsafe { state_ref::<PipelineSummary>(&mut state) })
    {
        merged.unmerge(PIPELINE_ROLLUP, &summary.0).or_raise();
    }
    state
}

/// Combine function of the pipeline aggregates (parallel query).
#[pg_extern(immutable, parallel_safe)]
fn pipeline_combine(
    first: Internal,
    second: Internal,
    fcinfo: pg_sys::FunctionCallInfo,
) -> Internal {
    unsafe {
        combine_states::<PipelineSummary>(first, second, fcinfo, PIPELINE_AGG, |state, other| {
            state.merge(PIPELINE_AGG, other).or_raise()
        })
    }
}

/// Serialize function of the pipeline aggregates (parallel query).
#[pg_extern(immutable, parallel_safe, strict)]
fn pipeline_serialize(mut state: Internal) -> Vec<u8> {
    unsafe { state_ref::<PipelineSummary>(&mut state) }
        .copied()
        .unwrap_or_default()
        .encode()
}

/// Deserialize function of the pipeline aggregates (parallel query).
#[pg_extern(immutable, parallel_safe, strict)]
fn pipeline_deserialize(bytes: &[u8], _unused: Internal) -> Internal {
    new_transient_state(PipelineSummary::decode(bytes).or_raise())
}

/// The state's summary, or `None` when no usable row was seen.
fn seen(state: &mut Internal) -> Option<PipelineSummary> {
    unsafe { state_ref::<PipelineSummary>(state) }
        .copied()
        .filter(|summary| summary.opportunities() > 0)
}

/// Final function of `crm.pipeline_agg` and `crm.rollup(crm.pipeline_summary)`.
#[pg_extern(immutable, parallel_safe)]
fn pipeline_agg_final(mut state: Internal) -> Option<pipeline_summary> {
    seen(&mut state).map(pipeline_summary)
}

/// Final function of `crm.pipeline_velocity(numeric, timestamptz, timestamptz, boolean)`:
/// pipeline velocity per day.
#[pg_extern(immutable, parallel_safe)]
fn pipeline_velocity_final(mut state: Internal) -> Option<AnyNumeric> {
    seen(&mut state)?
        .pipeline_velocity(PIPELINE_VELOCITY, i128::from(USECS_PER_DAY))
        .or_raise()
        .map(numeric_of)
}

// ---------------------------------------------------------------------------------------------
// Accessors on crm.pipeline_summary.
// ---------------------------------------------------------------------------------------------

/// Number of opportunities (won, lost and open) in a pipeline summary.
#[pg_extern(immutable, parallel_safe, strict, name = "opportunities")]
fn pipeline_summary_opportunities(summary: pipeline_summary) -> i64 {
    bigint(summary.0.opportunities())
}

/// Number of won opportunities in a pipeline summary.
#[pg_extern(immutable, parallel_safe, strict, name = "won")]
fn pipeline_summary_won(summary: pipeline_summary) -> i64 {
    bigint(summary.0.won)
}

/// Number of lost opportunities in a pipeline summary.
#[pg_extern(immutable, parallel_safe, strict, name = "lost")]
fn pipeline_summary_lost(summary: pipeline_summary) -> i64 {
    bigint(summary.0.lost)
}

/// Number of open opportunities (closed_at NULL) in a pipeline summary.
#[pg_extern(immutable, parallel_safe, strict, name = "open")]
fn pipeline_summary_open(summary: pipeline_summary) -> i64 {
    bigint(summary.0.open)
}

/// Win rate: won / (won + lost); NULL before any deal closed.
#[pg_extern(immutable, parallel_safe, strict, name = "win_rate")]
fn pipeline_summary_win_rate(summary: pipeline_summary) -> Option<f64> {
    summary.0.win_rate()
}

/// Mean amount of the won deals; NULL when nothing was won.
#[pg_extern(immutable, parallel_safe, strict, name = "average_deal_size")]
fn pipeline_summary_average_deal_size(summary: pipeline_summary) -> Option<AnyNumeric> {
    summary
        .0
        .average_deal_size("crm.average_deal_size")
        .or_raise()
        .map(numeric_of)
}

/// Mean time from created_at to closed_at of the won deals; NULL when nothing was won.
#[pg_extern(immutable, parallel_safe, strict, name = "sales_cycle")]
fn pipeline_summary_sales_cycle(summary: pipeline_summary) -> Option<Interval> {
    let microseconds = summary.0.sales_cycle_microseconds()?;
    let day = USECS_PER_DAY as u128;
    // A cycle is shorter than the timestamp range: its days fit an i32.
    let days = i32::try_from(microseconds / day).unwrap_or(i32::MAX);
    Interval::new(0, days, (microseconds % day) as i64).ok()
}

/// Sum of the amounts of the won deals.
#[pg_extern(immutable, parallel_safe, strict, name = "won_value")]
fn pipeline_summary_won_value(summary: pipeline_summary) -> AnyNumeric {
    numeric_of(summary.0.won_value)
}

/// Sum of the amounts of the open deals.
#[pg_extern(immutable, parallel_safe, strict, name = "open_value")]
fn pipeline_summary_open_value(summary: pipeline_summary) -> AnyNumeric {
    numeric_of(summary.0.open_value)
}

/// The microseconds of a positive `per` interval, as `extract(epoch …)` counts them.
fn per_microseconds(per: Interval) -> i128 {
    interval_microseconds(per.months(), per.days(), per.micros())
}

/// Pipeline velocity: opportunities × win_rate × average_deal_size ÷ (sales_cycle / per);
/// NULL when nothing was won (or every won deal closed the instant it was created).
#[pg_extern(immutable, parallel_safe, strict, name = "pipeline_velocity")]
fn pipeline_summary_velocity(
    summary: pipeline_summary,
    per: default!(Interval, "'1 day'"),
) -> Option<AnyNumeric> {
    summary
        .0
        .pipeline_velocity(PIPELINE_VELOCITY, per_microseconds(per))
        .or_raise()
        .map(numeric_of)
}

/// Closed value velocity: won_value ÷ (sales_cycle / per); NULL when nothing was won (or every
/// won deal closed the instant it was created).
#[pg_extern(immutable, parallel_safe, strict)]
fn closed_value_velocity(
    summary: pipeline_summary,
    per: default!(Interval, "'1 day'"),
) -> Option<AnyNumeric> {
    summary
        .0
        .closed_value_velocity("crm.closed_value_velocity", per_microseconds(per))
        .or_raise()
        .map(numeric_of)
}

extension_sql_file!(
    "../../sql/pipeline.sql",
    name = "pipeline_aggregates",
    requires = [
        pipeline_summary,
        pipeline_inverse,
        pipeline_rollup_trans,
        pipeline_rollup_inverse,
        pipeline_combine,
        pipeline_serialize,
        pipeline_deserialize,
        pipeline_agg_final,
        pipeline_velocity_final,
        pipeline_summary_opportunities,
        pipeline_summary_won,
        pipeline_summary_lost,
        pipeline_summary_open,
        pipeline_summary_win_rate,
        pipeline_summary_average_deal_size,
        pipeline_summary_sales_cycle,
        pipeline_summary_won_value,
        pipeline_summary_open_value,
        pipeline_summary_velocity,
        closed_value_velocity,
    ]
);
