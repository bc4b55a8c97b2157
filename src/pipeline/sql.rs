//! SQL surface of the sales pipeline: `crm.pipeline_agg`, `crm.rollup(crm.pipeline_summary)`,
//! the accessors, and the one-step `crm.pipeline_velocity` aggregate. Aggregates are declared
//! in `sql/pipeline.sql`; the per-row transitions are raw V1 C functions.
use super::state::{
    interval_microseconds, Per, PipelineFlat, PipelineSummary, PipelineWindow, USECS_PER_DAY,
};
use crate::common::civil::{interval_text, require_finite_interval};
use crate::common::datum::{decimal_of, numeric_of, raw_decimal};
use crate::common::error::MetricError;
use crate::common::flat::{flat_combine, flat_final, flat_return, flat_state_mut};
use crate::common::money::decimal_from_text;
use crate::common::pg::{bigint, internal_of, state_or_init, state_ref, OrRaise};
use crate::common::raw::{
    raise_from_raw, raw_arg, raw_return_state, raw_return_unchanged, raw_state,
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
// Moving-aggregate (window frame) functions, state internal: transition, inverse and final.
// ---------------------------------------------------------------------------------------------

/// Per-row step of the moving aggregates (window frames) of `crm.pipeline_agg` and
/// `crm.pipeline_velocity`: counts one opportunity. The state is created on the first row,
/// usable or not (a moving-aggregate transition must never return NULL). A NULL amount or
/// created_at skips the row.
///
/// # Safety
/// `fcinfo` must be the call info of the moving transition of `crm.pipeline_agg` or
/// `crm.pipeline_velocity` (`function`): state internal, then (numeric, timestamptz,
/// timestamptz, boolean).
#[inline(always)]
unsafe fn pipeline_add(fcinfo: pg_sys::FunctionCallInfo, function: &'static str) -> pg_sys::Datum {
    // SAFETY: argument 0 is this aggregate's internal state, a `PipelineWindow` made by
    // `raw_state` on an earlier row, or NULL on the first (this function's contract).
    let summary = unsafe { raw_state(fcinfo, function, PipelineWindow::default) };
    // SAFETY: the transition has arguments 1 to 4 (this function's contract).
    let (amount, created_at, closed_at, won) = unsafe {
        (
            raw_arg(fcinfo, 1),
            raw_arg(fcinfo, 2),
            raw_arg(fcinfo, 3),
            raw_arg(fcinfo, 4),
        )
    };
    let (Some(amount), Some(created_at)) = (amount, created_at) else {
        // SAFETY: `fcinfo` is the running call's.
        return unsafe { raw_return_state(fcinfo, summary) };
    };
    let closed_at = closed_at.map(|datum| datum.value() as i64);
    let won = won.map(|datum| datum.value() != 0);
    // SAFETY: argument 1 is a non-null numeric.
    let added = unsafe { raw_decimal(function, "amount", amount) }.and_then(|amount| {
        summary.add(function, amount, created_at.value() as i64, closed_at, won)
    });
    if let Err(error) = added {
        raise_from_raw(move || error);
    }
    // SAFETY: `fcinfo` is the running call's.
    unsafe { raw_return_state(fcinfo, summary) }
}

crate::raw_transition! {
    /// Moving-aggregate transition (window frames) of `crm.pipeline_agg(numeric, timestamptz,
    /// timestamptz, boolean)`, state internal.
    fn crm_pipeline_agg_trans / pg_finfo_crm_pipeline_agg_trans (fcinfo)
    sql [
        "crm_internal.pipeline_agg_trans(internal, numeric, timestamptz, timestamptz, boolean) RETURNS internal IMMUTABLE PARALLEL SAFE",
    ] {
        // SAFETY: sql/pipeline.sql declares it (internal, numeric, timestamptz, timestamptz,
        // boolean), the moving transition of `crm.pipeline_agg`.
        unsafe { pipeline_add(fcinfo, PIPELINE_AGG) }
    }
}

crate::raw_transition! {
    /// Moving-aggregate transition (window frames) of `crm.pipeline_velocity(numeric,
    /// timestamptz, timestamptz, boolean)`, state internal.
    fn crm_pipeline_velocity_trans / pg_finfo_crm_pipeline_velocity_trans (fcinfo)
    sql [
        "crm_internal.pipeline_velocity_trans(internal, numeric, timestamptz, timestamptz, boolean) RETURNS internal IMMUTABLE PARALLEL SAFE",
    ] {
        // SAFETY: sql/pipeline.sql declares it (internal, numeric, timestamptz, timestamptz,
        // boolean), the moving transition of `crm.pipeline_velocity`.
        unsafe { pipeline_add(fcinfo, PIPELINE_VELOCITY) }
    }
}

/// Inverse transition function of `crm.pipeline_agg` and `crm.pipeline_velocity` (window frames).
#[pg_extern(schema = "crm_internal", immutable, parallel_safe)]
fn pipeline_inverse(
    mut state: Internal,
    amount: Option<AnyNumeric>,
    created_at: Option<TimestampWithTimeZone>,
    closed_at: Option<TimestampWithTimeZone>,
    won: Option<bool>,
) -> Internal {
    let function = PIPELINE_AGG;
    // SAFETY: Postgres passes the moving state of these aggregates, a `PipelineWindow` made by
    // `pipeline_add` (`raw_state`) in the aggregate memory context.
    let summary = unsafe { state_ref::<PipelineWindow>(&mut state) };
    if let (Some(amount), Some(created_at), Some(summary)) = (amount, created_at, summary) {
        let amount = decimal_of(function, "amount", &amount, decimal_from_text);
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

/// Moving-aggregate transition (window frames) of `crm.rollup(crm.pipeline_summary)`, state
/// internal.
#[pg_extern(schema = "crm_internal", immutable, parallel_safe)]
fn pipeline_rollup_trans(
    mut state: Internal,
    summary: Option<pipeline_summary>,
    fcinfo: pg_sys::FunctionCallInfo,
) -> Internal {
    // SAFETY: `fcinfo` is this aggregate transition's; its state is NULL or the
    // `PipelineWindow` made here on an earlier row.
    let merged =
        unsafe { state_or_init(&mut state, fcinfo, PIPELINE_ROLLUP, PipelineWindow::default) };
    if let Some(summary) = summary {
        merged.merge(PIPELINE_ROLLUP, &summary.0).or_raise();
    }
    internal_of(merged)
}

/// Inverse transition function of `crm.rollup(crm.pipeline_summary)` (window frames).
#[pg_extern(schema = "crm_internal", immutable, parallel_safe)]
fn pipeline_rollup_inverse(mut state: Internal, summary: Option<pipeline_summary>) -> Internal {
    // SAFETY: the moving state of this rollup is the `PipelineWindow` made by
    // `pipeline_rollup_trans`.
    let merged = unsafe { state_ref::<PipelineWindow>(&mut state) };
    if let (Some(summary), Some(merged)) = (summary, merged) {
        merged.unmerge(PIPELINE_ROLLUP, &summary.0).or_raise();
    }
    state
}

/// The state's summary, or `None` when no usable row was seen.
fn seen(state: &mut Internal) -> Option<PipelineSummary> {
    // SAFETY: called only by the final functions of the moving aggregates, whose state is a
    // `PipelineWindow` made by `pipeline_add` or `pipeline_rollup_trans`.
    unsafe { state_ref::<PipelineWindow>(state) }
        .map(|window| window.summary)
        .filter(|summary| summary.opportunities() > 0)
}

/// Moving-aggregate final function (window frames) of `crm.pipeline_agg` and
/// `crm.rollup(crm.pipeline_summary)`.
#[pg_extern(schema = "crm_internal", immutable, parallel_safe)]
fn pipeline_agg_final(mut state: Internal) -> Option<pipeline_summary> {
    seen(&mut state).map(pipeline_summary)
}

/// Moving-aggregate final function (window frames) of `crm.pipeline_velocity(numeric,
/// timestamptz, timestamptz, boolean)`: pipeline velocity per day.
#[pg_extern(schema = "crm_internal", immutable, parallel_safe)]
fn pipeline_velocity_final(mut state: Internal) -> Option<AnyNumeric> {
    velocity_per_day(seen(&mut state)?)
}

/// Pipeline velocity per day of a summary with at least one opportunity.
fn velocity_per_day(summary: PipelineSummary) -> Option<AnyNumeric> {
    summary
        .pipeline_velocity(PIPELINE_VELOCITY, Per::DAY)
        .or_raise()
        .map(|value| numeric_of(PIPELINE_VELOCITY, value))
}

// ---------------------------------------------------------------------------------------------
// The aggregates' transition state crm.pipeline_summary, changed in place per row.
// ---------------------------------------------------------------------------------------------

/// Per-row step of `crm.pipeline_agg` and `crm.pipeline_velocity` on their
/// `crm.pipeline_summary` state: counts one opportunity; a NULL amount or created_at leaves the
/// state (NULL before the first usable row) as it is.
///
/// # Safety
/// `fcinfo` must be the call info of one of these transition functions.
#[inline(always)]
unsafe fn pipeline_state_add(
    fcinfo: pg_sys::FunctionCallInfo,
    function: &'static str,
) -> pg_sys::Datum {
    // SAFETY: argument 0 is a `crm.pipeline_summary`, then (numeric, timestamptz, timestamptz,
    // boolean).
    unsafe {
        let (Some(amount), Some(created_at)) = (raw_arg(fcinfo, 1), raw_arg(fcinfo, 2)) else {
            return raw_return_unchanged(fcinfo);
        };
        let closed_at = raw_arg(fcinfo, 3).map(|datum| datum.value() as i64);
        let won = raw_arg(fcinfo, 4).map(|datum| datum.value() != 0);
        let mut state = flat_state_mut::<PipelineFlat>(fcinfo);
        let added = raw_decimal(function, "amount", amount).and_then(|amount| {
            state
                .get()
                .add(function, amount, created_at.value() as i64, closed_at, won)
        });
        if let Err(error) = added {
            raise_from_raw(move || error);
        }
        flat_return(fcinfo, state)
    }
}

crate::raw_transition! {
    /// Transition function of `crm.pipeline_agg(numeric, timestamptz, timestamptz, boolean)`
    /// (state `crm.pipeline_summary`, changed in place).
    fn crm_pipeline_agg_state_trans / pg_finfo_crm_pipeline_agg_state_trans (fcinfo)
    sql [
        "crm_internal.pipeline_agg_trans(crm.pipeline_summary, numeric, timestamptz, timestamptz, boolean) RETURNS crm.pipeline_summary IMMUTABLE PARALLEL SAFE",
    ] {
        // SAFETY: Postgres calls this as the transition of `crm.pipeline_agg`.
        unsafe { pipeline_state_add(fcinfo, PIPELINE_AGG) }
    }
}

crate::raw_transition! {
    /// Transition function of `crm.pipeline_velocity(numeric, timestamptz, timestamptz,
    /// boolean)` (state `crm.pipeline_summary`, changed in place).
    fn crm_pipeline_velocity_state_trans / pg_finfo_crm_pipeline_velocity_state_trans (fcinfo)
    sql [
        "crm_internal.pipeline_velocity_trans(crm.pipeline_summary, numeric, timestamptz, timestamptz, boolean) RETURNS crm.pipeline_summary IMMUTABLE PARALLEL SAFE",
    ] {
        // SAFETY: Postgres calls this as the transition of `crm.pipeline_velocity`.
        unsafe { pipeline_state_add(fcinfo, PIPELINE_VELOCITY) }
    }
}

crate::raw_transition! {
    /// Transition function of `crm.rollup(crm.pipeline_summary)`: merges one summary into the
    /// state; a NULL summary leaves it as it is.
    fn crm_pipeline_rollup_state_trans / pg_finfo_crm_pipeline_rollup_state_trans (fcinfo)
    sql [
        "crm_internal.pipeline_rollup_trans(crm.pipeline_summary, crm.pipeline_summary) RETURNS crm.pipeline_summary IMMUTABLE PARALLEL SAFE",
    ] {
        // SAFETY: both arguments are `crm.pipeline_summary` values.
        unsafe {
            flat_combine::<PipelineFlat>(fcinfo, |state, other| state.merge(PIPELINE_ROLLUP, other))
        }
    }
}

crate::raw_transition! {
    /// Combine function of the pipeline aggregates (parallel query, Citus).
    fn crm_pipeline_state_combine / pg_finfo_crm_pipeline_state_combine (fcinfo)
    sql [
        "crm_internal.pipeline_combine(crm.pipeline_summary, crm.pipeline_summary) RETURNS crm.pipeline_summary IMMUTABLE PARALLEL SAFE",
    ] {
        // SAFETY: both arguments are `crm.pipeline_summary` states.
        unsafe {
            flat_combine::<PipelineFlat>(fcinfo, |state, other| state.merge(PIPELINE_AGG, other))
        }
    }
}

/// The summary of a state, `None` when it counts no opportunity (only rolled-up empty
/// summaries): the aggregates then return NULL, as over no usable rows.
fn seen_flat(state: &PipelineFlat) -> Option<PipelineSummary> {
    Some(state.summary()).filter(|summary| summary.opportunities() > 0)
}

crate::raw_transition! {
    /// Final function of `crm.pipeline_agg` and `crm.rollup(crm.pipeline_summary)`: the
    /// summary in its canonical stored form; NULL without opportunities.
    fn crm_pipeline_agg_state_final / pg_finfo_crm_pipeline_agg_state_final (fcinfo)
    sql [
        "crm_internal.pipeline_agg_final(crm.pipeline_summary) RETURNS crm.pipeline_summary IMMUTABLE PARALLEL SAFE",
    ] {
        // SAFETY: argument 0 is a `crm.pipeline_summary` state, and so is the result.
        unsafe {
            flat_final::<PipelineFlat, pipeline_summary>(fcinfo, |state| {
                seen_flat(state).map(pipeline_summary)
            })
        }
    }
}

crate::raw_transition! {
    /// Final function of `crm.pipeline_velocity(numeric, timestamptz, timestamptz, boolean)`:
    /// pipeline velocity per day; NULL when nothing was won.
    fn crm_pipeline_velocity_state_final / pg_finfo_crm_pipeline_velocity_state_final (fcinfo)
    sql [
        "crm_internal.pipeline_velocity_final(crm.pipeline_summary) RETURNS numeric IMMUTABLE PARALLEL SAFE",
    ] {
        // SAFETY: argument 0 is a `crm.pipeline_summary` state; the result a numeric.
        unsafe {
            flat_final::<PipelineFlat, AnyNumeric>(fcinfo, |state| {
                velocity_per_day(seen_flat(state)?)
            })
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Accessors on crm.pipeline_summary.
// ---------------------------------------------------------------------------------------------

/// Number of opportunities (won, lost and open) in a pipeline summary.
#[pg_extern(immutable, parallel_safe, strict, name = "opportunities")]
fn pipeline_summary_opportunities(summary: pipeline_summary) -> i64 {
    bigint("crm.opportunities", summary.0.opportunities())
}

/// Number of won opportunities in a pipeline summary.
#[pg_extern(immutable, parallel_safe, strict, name = "won")]
fn pipeline_summary_won(summary: pipeline_summary) -> i64 {
    bigint("crm.won", summary.0.won)
}

/// Number of lost opportunities in a pipeline summary.
#[pg_extern(immutable, parallel_safe, strict, name = "lost")]
fn pipeline_summary_lost(summary: pipeline_summary) -> i64 {
    bigint("crm.lost", summary.0.lost)
}

/// Number of open opportunities (closed_at NULL) in a pipeline summary.
#[pg_extern(immutable, parallel_safe, strict, name = "open")]
fn pipeline_summary_open(summary: pipeline_summary) -> i64 {
    bigint("crm.open", summary.0.open)
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
        .average_deal_size()
        .map(|value| numeric_of("crm.average_deal_size", value))
}

/// Mean time from created_at to closed_at of the won deals; NULL when nothing was won.
#[pg_extern(immutable, parallel_safe, strict, name = "sales_cycle")]
fn pipeline_summary_sales_cycle(summary: pipeline_summary) -> Option<Interval> {
    let microseconds = summary.0.sales_cycle_microseconds()?;
    let day = USECS_PER_DAY as u128;
    // A mean cycle is shorter than the timestamp range (checked on input): its days fit an i32.
    let days = i32::try_from(microseconds / day)
        .map_err(|_| MetricError::OutOfRange("crm.sales_cycle: interval out of range".into()))
        .or_raise();
    Interval::new(0, days, (microseconds % day) as i64).ok()
}

/// Sum of the amounts of the won deals.
#[pg_extern(immutable, parallel_safe, strict, name = "won_value")]
fn pipeline_summary_won_value(summary: pipeline_summary) -> AnyNumeric {
    numeric_of("crm.won_value", summary.0.won_value)
}

/// Sum of the amounts of the open deals.
#[pg_extern(immutable, parallel_safe, strict, name = "open_value")]
fn pipeline_summary_open_value(summary: pipeline_summary) -> AnyNumeric {
    numeric_of("crm.open_value", summary.0.open_value)
}

/// A `per` interval in microseconds, as `extract(epoch …)` counts them; an infinite one
/// (Postgres 17 on) is 22008, one of no positive length 22023 naming it.
fn per_microseconds(function: &str, per: Interval) -> Per {
    let fields = (per.months(), per.days(), per.micros());
    require_finite_interval(function, "per", fields).or_raise();
    let micros = interval_microseconds(fields.0, fields.1, fields.2);
    Per::new(function, micros, || interval_text(fields)).or_raise()
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
        .pipeline_velocity(PIPELINE_VELOCITY, per_microseconds(PIPELINE_VELOCITY, per))
        .or_raise()
        .map(|value| numeric_of(PIPELINE_VELOCITY, value))
}

/// Open pipeline velocity: open × win_rate × average_deal_size ÷ (sales_cycle / per), the value
/// the deals still open are expected to bring per `per`, as HubSpot and Salesforce count it; NULL
/// when nothing was won (or every won deal closed the instant it was created).
#[pg_extern(immutable, parallel_safe, strict)]
fn open_pipeline_velocity(
    summary: pipeline_summary,
    per: default!(Interval, "'1 day'"),
) -> Option<AnyNumeric> {
    summary
        .0
        .open_pipeline_velocity(
            "crm.open_pipeline_velocity",
            per_microseconds("crm.open_pipeline_velocity", per),
        )
        .or_raise()
        .map(|value| numeric_of("crm.open_pipeline_velocity", value))
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
        .closed_value_velocity(
            "crm.closed_value_velocity",
            per_microseconds("crm.closed_value_velocity", per),
        )
        .or_raise()
        .map(|value| numeric_of("crm.closed_value_velocity", value))
}
