//! SQL surface of the funnels family: the types `crm.funnel_state` and `crm.funnel_summary`,
//! `crm.window_funnel` (`window_funnel`), `crm.funnel_agg`, `crm.rollup(crm.funnel_summary)`
//! and `crm.funnel_steps` (`funnel_agg`). The aggregates are declared in `sql/funnels.sql`; the
//! per-row transitions are raw V1 functions whose states are expanded objects.
use super::state::{check_step, check_time, window_micros, Event, FunnelState, FunnelSummary};
use super::state::{Mode, Setting};
use crate::common::error::MetricResult;
use crate::common::pg::TextArg;
use crate::common::raw::raw_arg;
use pgrx::fcinfo::pg_getarg;
use pgrx::prelude::*;

pub mod funnel_agg;
pub mod window_funnel;

const WINDOW_FUNNEL: &str = "crm.window_funnel";
const FUNNEL_AGG: &str = "crm.funnel_agg";
const FUNNEL_ROLLUP: &str = "crm.rollup";

/// Transition state of `crm.window_funnel`: the window, the mode and the group's events; text
/// form `{"version":1,"window_us":86400000000,"mode":"ordered","events":[["2025-01-01 00:00:00+00",1]]}`.
#[allow(non_camel_case_types)]
#[derive(PostgresType, Clone, Debug)]
#[bikeshed_postgres_type_manually_impl_from_into_datum]
#[inoutfuncs]
pub struct funnel_state(pub FunnelState);

crate::summary_type!(funnel_state(FunnelState));

/// Per-entity funnel results (and, in a partial state, events); text form
/// `{"version":1,"key":"bigint","window_us":86400000000,"mode":"ordered","steps":3,"events":[],"entities":[["42",[0,3600000000]]]}`.
#[allow(non_camel_case_types)]
#[derive(PostgresType, Clone, Debug)]
#[bikeshed_postgres_type_manually_impl_from_into_datum]
#[inoutfuncs]
pub struct funnel_summary(pub FunnelSummary);

crate::summary_type!(funnel_summary(FunnelSummary));

/// One row's event and setting, read from arguments `first` (occurred_at), `first + 1` (step),
/// `first + 2` (conversion_window) and, when `with_mode`, `first + 3` (mode; 'ordered'
/// without it): `Ok(None)` when one of them is NULL (the row is skipped), else checked.
///
/// # Safety
/// `fcinfo` must be the call info of a transition with those arguments (timestamptz, integer,
/// interval, text).
#[inline(always)]
unsafe fn event_arguments(
    function: &str,
    fcinfo: pg_sys::FunctionCallInfo,
    first: usize,
    with_mode: bool,
) -> MetricResult<Option<(Setting, Event)>> {
    // SAFETY: the arguments have those types (this function's contract): a timestamptz and
    // an integer by value, an interval by reference (fixed length, never toasted).
    let (occurred_at, step, window) = unsafe {
        (
            raw_arg(fcinfo, first).map(|datum| datum.value() as i64),
            raw_arg(fcinfo, first + 1).map(|datum| datum.value() as i32),
            raw_arg(fcinfo, first + 2).map(|datum| datum.cast_mut_ptr::<pg_sys::Interval>().read()),
        )
    };
    // A row with a NULL argument is skipped before any argument is judged, its mode too.
    let mode_name = if with_mode {
        // SAFETY: as above.
        unsafe { pg_getarg::<TextArg>(fcinfo, first + 3) }.map(Some)
    } else {
        Some(None)
    };
    let (Some(occurred_at), Some(step), Some(window), Some(mode_name)) =
        (occurred_at, step, window, mode_name)
    else {
        return Ok(None);
    };
    let mode = match mode_name {
        Some(name) => Mode::parse(function, name.name(function, "mode")?)?,
        None => Mode::Ordered,
    };
    let time = occurred_at;
    check_time(function, time)?;
    let step = check_step(function, step)?;
    let window = window_micros(function, window.month, window.day, window.time)?;
    Ok(Some((Setting { window, mode }, Event { time, step })))
}
