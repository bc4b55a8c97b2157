//! SQL surface of the customers family: `crm.retention_rate`, `crm.churn_rate`,
//! `crm.customer_agg`, `crm.rollup(crm.customer_summary)`, `crm.active_customers` and
//! `crm.churn_series`. Aggregates are declared in `sql/customers.sql`.
use super::state::{
    is_customer, require_finite, CustomerRow, CustomerSummary, Denominator, PeriodFlat, PeriodState,
};
use crate::common::civil::{format_timestamp, is_valid_timestamp};
use crate::common::error::{MetricError, MetricResult};
use crate::common::expanded::{
    expanded_combine, expanded_final, expanded_return, expanded_state_mut,
};
use crate::common::flat::{flat_combine, flat_final, flat_return, flat_state_mut};
use crate::common::interrupt::Ticker;
use crate::common::pg::{
    bigint, internal_of, raise, state_or_init, state_ref, varlena_from_bytes, with_varlena_bytes,
    OrRaise, TextArg,
};
use crate::common::raw::{
    raise_from_raw, raw_arg, raw_return_state, raw_return_unchanged, raw_state,
};
use crate::common::summary::SummaryBytes;
use crate::common::tz::USECS_PER_DAY;
use pgrx::datum::{Date, Internal};
use pgrx::prelude::*;

const RETENTION_RATE: &str = "crm.retention_rate";
const CHURN_RATE: &str = "crm.churn_rate";
const CUSTOMER_AGG: &str = "crm.customer_agg";
const CUSTOMER_ROLLUP: &str = "crm.rollup";
const CHURN_SERIES: &str = "crm.churn_series";
/// Upper bound on the rows of one `crm.churn_series` call, so a tiny step cannot exhaust memory.
const MAX_SERIES_PERIODS: usize = 1_000_000;

/// The multiset of customer lifetimes (started_at, ended_at) with counts; text form
/// `{"version":1,"customers":3,"spans":[["2024-01-01 00:00:00+00",null,2],...]}`.
#[allow(non_camel_case_types)]
#[derive(PostgresType, Clone, Debug)]
#[bikeshed_postgres_type_manually_impl_from_into_datum]
#[inoutfuncs]
pub struct customer_summary(pub CustomerSummary);

crate::summary_type!(customer_summary(CustomerSummary));

/// Transition state of `crm.retention_rate` and `crm.churn_rate`: the period's
/// counts, the rows and the denominator they named; text form
/// `{"customers_at_start":3,"customers_at_end":2,"new_customers":1,"churned_customers":2,"started_in_period":1,"ended_in_period":2,"rows":4,"denominator":null}`.
#[allow(non_camel_case_types)]
#[derive(PostgresType, Clone, Copy, Debug, PartialEq, Eq)]
#[bikeshed_postgres_type_manually_impl_from_into_datum]
#[inoutfuncs]
pub struct customer_period_state(pub PeriodState);

crate::summary_type!(customer_period_state(PeriodState));

fn instant(value: TimestampWithTimeZone) -> i64 {
    pg_sys::TimestampTz::from(value)
}

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

// ---------------------------------------------------------------------------------------------
// Two-step: crm.customer_agg, crm.rollup, accessors and crm.churn_series.
// ---------------------------------------------------------------------------------------------

crate::expanded_state!(CustomerSummary);

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
    match is_customer(CUSTOMER_AGG, started_at, ended_at) {
        Ok(true) => {}
        // SAFETY: this is the running transition's call info.
        Ok(false) => return unsafe { raw_return_unchanged(fcinfo) },
        Err(error) => raise_from_raw(move || error),
    }
    // SAFETY: argument 0 is a `crm.customer_summary`.
    let mut summary = unsafe { expanded_state_mut(fcinfo, CustomerSummary::new) };
    if let Err(error) = summary.get().add(CUSTOMER_AGG, started_at, ended_at) {
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
                Some(varlena_from_bytes(&summary.encode()))
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

/// A Postgres date/time function of two arguments, called directly.
type DatetimeFunction = unsafe fn(pg_sys::FunctionCallInfo) -> pg_sys::Datum;

/// Calls a Postgres date/time function; the errors it raises on user input (a timestamp out
/// of range, an unknown time zone) become `crm.churn_series:` errors with the contract
/// SQLSTATEs and no backtrace. Other errors (query cancel, out of memory) propagate as they are.
/// The functions called hold no resources, so catching their error leaves nothing to clean up.
fn datetime_call(
    function: DatetimeFunction,
    first: pg_sys::Datum,
    second: pg_sys::Datum,
    time_zone: &str,
) -> pg_sys::Datum {
    PgTryBuilder::new(|| {
        // SAFETY: `function` is a built-in of two non-NULL arguments of the types given by
        // its callers below; pgrx turns a Postgres ERROR inside it into a Rust panic.
        unsafe {
            pgrx::fcinfo::direct_function_call_as_datum(function, &[Some(first), Some(second)])
        }
    })
    .catch_when(PgSqlErrorCode::ERRCODE_DATETIME_FIELD_OVERFLOW, |_| {
        raise(MetricError::DatetimeOverflow(format!(
            "{CHURN_SERIES}: timestamp out of range"
        )))
    })
    .catch_when(PgSqlErrorCode::ERRCODE_INVALID_PARAMETER_VALUE, |_| {
        raise(MetricError::InvalidParameter(format!(
            "{CHURN_SERIES}: unknown time zone '{time_zone}'"
        )))
    })
    .execute()
    .unwrap_or_else(|| {
        raise(MetricError::DatetimeOverflow(format!(
            "{CHURN_SERIES}: timestamp out of range"
        )))
    })
}

/// `value` as a datum for a direct call (the types used here never convert to NULL).
fn datum_of(value: impl IntoDatum) -> pg_sys::Datum {
    value.into_datum().unwrap_or_else(|| {
        raise(MetricError::InvalidParameter(format!(
            "{CHURN_SERIES}: NULL argument"
        )))
    })
}

/// Adds `step` to the instant `at` as `timestamptz + interval` does with the session time zone
/// set to `time_zone`: the months in local time (the day clamped to the month's last), then
/// the days in local time, each time resolving the local time in the zone with Postgres's own
/// rules and data, then the time part as elapsed microseconds.
fn add_interval_in_zone(at: i64, step: &Interval, zone: pg_sys::Datum, time_zone: &str) -> i64 {
    let mut at = pg_sys::Datum::from(at);
    let local_parts = [
        Interval::new(step.months(), 0, 0),
        Interval::new(0, step.days(), 0),
    ];
    for part in local_parts.into_iter().flatten() {
        if part.months() == 0 && part.days() == 0 {
            continue;
        }
        let part = datum_of(part);
        let local = datetime_call(pg_sys::timestamptz_zone, zone, at, time_zone);
        let moved = datetime_call(pg_sys::timestamp_pl_interval, local, part, time_zone);
        at = datetime_call(pg_sys::timestamp_zone, zone, moved, time_zone);
    }
    if step.micros() != 0 {
        let time = datum_of(Interval::from_micros(step.micros()));
        at = datetime_call(pg_sys::timestamptz_pl_interval, at, time, time_zone);
    }
    at.value() as i64
}

/// The bounds of a `crm.churn_series` call: instants (`timestamptz`), or local dates read in
/// the series' time zone (`date`).
#[derive(Clone, Copy)]
enum Bounds {
    Instants { from: i64, to: i64 },
    LocalDates { from: i32, to: i32 },
}

/// Whether a step is made of whole days, weeks or months only (no time part).
fn whole_day_step(step: &Interval) -> bool {
    step.micros() == 0 && (step.months() != 0 || step.days() != 0)
}

/// Local midnight of a date (Postgres days since 2000-01-01) in `zone`, as `timestamp AT TIME
/// ZONE zone` reads it (a midnight in a spring-forward gap moves forward by the gap).
fn local_midnight(
    what: &str,
    days: i32,
    zone: pg_sys::Datum,
    time_zone: &str,
) -> MetricResult<i64> {
    if days == i32::MIN || days == i32::MAX {
        return Err(MetricError::DatetimeOverflow(format!(
            "{CHURN_SERIES}: {what} cannot be infinite"
        )));
    }
    let local = i64::from(days)
        .checked_mul(USECS_PER_DAY)
        .filter(|&local| is_valid_timestamp(local))
        .ok_or_else(|| {
            MetricError::DatetimeOverflow(format!("{CHURN_SERIES}: timestamp out of range"))
        })?;
    let instant = datetime_call(
        pg_sys::timestamp_zone,
        zone,
        pg_sys::Datum::from(local),
        time_zone,
    );
    Ok(instant.value() as i64)
}

/// `from` as the session prints it, and its date in the session's time zone (what the caller
/// most likely meant as a local date).
fn session_reading(from: i64) -> (String, String) {
    // SAFETY: `from` is a finite timestamptz; both built-ins take one by value and cannot fail
    // on a finite one (timestamptz_out returns a palloc'd C string).
    unsafe {
        let text = pgrx::fcinfo::direct_function_call_as_datum(
            pg_sys::timestamptz_out,
            &[Some(pg_sys::Datum::from(from))],
        )
        .map(|datum| {
            std::ffi::CStr::from_ptr(datum.cast_mut_ptr::<std::ffi::c_char>())
                .to_string_lossy()
                .into_owned()
        })
        .unwrap_or_default();
        let date = pgrx::fcinfo::direct_function_call_as_datum(
            pg_sys::timestamptz_date,
            &[Some(pg_sys::Datum::from(from))],
        )
        .map(|datum| {
            let days = datum.value() as i32;
            format_timestamp(i64::from(days).saturating_mul(USECS_PER_DAY))
                .chars()
                .take(10)
                .collect::<String>()
        })
        .unwrap_or_default();
        (text, date)
    }
}

/// With whole-day steps, `from` must be local midnight in the series' zone: otherwise every
/// row would start at another hour of the local day (and a `from` typed as a date in another
/// zone, such as the session's UTC, is read as that zone's midnight). 22023 naming both readings.
fn require_local_midnight(from: i64, zone: pg_sys::Datum, time_zone: &str) -> MetricResult<()> {
    let local = datetime_call(
        pg_sys::timestamptz_zone,
        zone,
        pg_sys::Datum::from(from),
        time_zone,
    )
    .value() as i64;
    let midnight = datetime_call(
        pg_sys::timestamp_zone,
        zone,
        pg_sys::Datum::from(local.div_euclid(USECS_PER_DAY) * USECS_PER_DAY),
        time_zone,
    )
    .value() as i64;
    if from == midnight {
        return Ok(());
    }
    let local_text = format_timestamp(local);
    let local_text = local_text.replacen("+00", "", 1);
    let (instant, date) = session_reading(from);
    let zone_literal = time_zone.replace('\'', "''");
    Err(MetricError::InvalidParameter(format!(
        "{CHURN_SERIES}: \"from\" {instant} is {local_text} in {time_zone}, not local midnight, \
         and whole-day steps would start every row at that hour; pass dates, which are read as \
         local dates in {time_zone} (date '{date}'), or a local midnight \
         (timestamp '{date}' AT TIME ZONE '{zone_literal}')"
    )))
}

/// Periods [start, start + step) from `from` while start + step <= `to`, stepping like
/// generate_series with calendar steps in `time_zone`: no row covers less than its step, so a
/// `to` off the step grid ends the series at the last whole period before it.
fn series_periods(
    bounds: Bounds,
    step: &Interval,
    time_zone: &str,
) -> MetricResult<Vec<(i64, i64)>> {
    let zone = datum_of(time_zone);
    let (from, to) = match bounds {
        Bounds::Instants { from, to } => {
            require_finite(CHURN_SERIES, "from", from)?;
            require_finite(CHURN_SERIES, "to", to)?;
            // An unknown zone is an error even when the series is empty.
            datetime_call(
                pg_sys::timestamptz_zone,
                zone,
                pg_sys::Datum::from(from),
                time_zone,
            );
            if whole_day_step(step) {
                require_local_midnight(from, zone, time_zone)?;
            }
            (from, to)
        }
        Bounds::LocalDates { from, to } => (
            local_midnight("from", from, zone, time_zone)?,
            local_midnight("to", to, zone, time_zone)?,
        ),
    };
    let mut periods = Vec::new();
    let mut start = from;
    let mut ticker = Ticker::new();
    while start < to {
        ticker.tick();
        let end = add_interval_in_zone(start, step, zone, time_zone);
        if end <= start {
            return Err(MetricError::InvalidParameter(format!(
                "{CHURN_SERIES}: step must be a positive interval"
            )));
        }
        if end > to {
            // A shorter last period would not be comparable with the others.
            break;
        }
        if periods.len() == MAX_SERIES_PERIODS {
            return Err(MetricError::InvalidParameter(format!(
                "{CHURN_SERIES}: more than {MAX_SERIES_PERIODS} periods; use a larger step"
            )));
        }
        periods.push((start, end));
        start = end;
    }
    Ok(periods)
}

fn timestamp_of(value: i64) -> TimestampWithTimeZone {
    TimestampWithTimeZone::try_from(value)
        .map_err(|_| {
            MetricError::DatetimeOverflow(format!("{CHURN_SERIES}: timestamp out of range"))
        })
        .or_raise()
}

/// One row of `crm.churn_series`.
type ChurnSeriesRow = (
    TimestampWithTimeZone,
    TimestampWithTimeZone,
    i64,
    i64,
    i64,
    i64,
    Option<f64>,
    Option<f64>,
);

/// The rows of `crm.churn_series` for either form of bounds.
fn churn_series_rows(
    summary: SummaryBytes<customer_summary>,
    bounds: Bounds,
    step: Interval,
    denominator: TextArg,
    time_zone: TextArg,
) -> Vec<ChurnSeriesRow> {
    // The summary is read straight from its binary form (no decoded copy of its lifetimes); a
    // malformed one is reported before a bad option, as when it was decoded first (except the
    // errors Postgres raises inside a calendar step, such as an unknown time zone).
    let options = denominator
        .name(CHURN_SERIES, "denominator")
        .and_then(|name| Denominator::parse(CHURN_SERIES, name))
        .and_then(|denominator| Ok((denominator, time_zone.name(CHURN_SERIES, "time zone")?)))
        .and_then(|(denominator, time_zone)| {
            let periods = series_periods(bounds, &step, time_zone)?;
            Ok((denominator, periods))
        });
    let (denominator, periods) = options
        .or_else(|error| {
            CustomerSummary::validate_binary(summary.bytes)?;
            Err(error)
        })
        .or_raise();
    let counts =
        CustomerSummary::periods_of_binary(CHURN_SERIES, summary.bytes, &periods).or_raise();
    periods
        .iter()
        .zip(counts)
        .map(|(&(start, end), counts)| {
            (
                timestamp_of(start),
                timestamp_of(end),
                bigint(CHURN_SERIES, counts.customers_at_start),
                bigint(CHURN_SERIES, counts.customers_at_end),
                bigint(CHURN_SERIES, counts.new_customers),
                bigint(CHURN_SERIES, counts.churned_customers),
                counts.retention_rate(),
                counts.churn_rate(denominator),
            )
        })
        .collect()
}

/// Retention and churn for each period [start, start + step) from `from` while start + step
/// <= `to`, calendar steps taken in `time_zone`; each row equals crm.retention_rate and
/// crm.churn_rate(..., denominator) over that period, from one scan. With whole-day steps,
/// `from` must be local midnight in `time_zone` (22023 otherwise). IMMUTABLE: the session time
/// zone only enters through the default of `time_zone`, evaluated by the caller.
#[allow(clippy::type_complexity)] // pgrx reads the column names from this inline tuple
#[pg_extern(immutable, parallel_safe, strict)]
fn churn_series(
    summary: SummaryBytes<customer_summary>,
    from: TimestampWithTimeZone,
    to: TimestampWithTimeZone,
    step: Interval,
    denominator: default!(TextArg, "'start'"),
    time_zone: default!(TextArg, "current_setting('TimeZone')"),
) -> TableIterator<
    'static,
    (
        name!(period_start, TimestampWithTimeZone),
        name!(period_end, TimestampWithTimeZone),
        name!(customers_at_start, i64),
        name!(customers_at_end, i64),
        name!(new_customers, i64),
        name!(churned_customers, i64),
        name!(retention_rate, Option<f64>),
        name!(churn_rate, Option<f64>),
    ),
> {
    let bounds = Bounds::Instants {
        from: instant(from),
        to: instant(to),
    };
    TableIterator::new(churn_series_rows(
        summary,
        bounds,
        step,
        denominator,
        time_zone,
    ))
}

/// `crm.churn_series` with `date` bounds, read as local dates in `time_zone`: the first row
/// starts at local midnight of `from` there, and the series ends at local midnight of `to`.
#[allow(clippy::type_complexity)] // pgrx reads the column names from this inline tuple
#[pg_extern(immutable, parallel_safe, strict, name = "churn_series")]
fn churn_series_dates(
    summary: SummaryBytes<customer_summary>,
    from: Date,
    to: Date,
    step: Interval,
    denominator: default!(TextArg, "'start'"),
    time_zone: default!(TextArg, "current_setting('TimeZone')"),
) -> TableIterator<
    'static,
    (
        name!(period_start, TimestampWithTimeZone),
        name!(period_end, TimestampWithTimeZone),
        name!(customers_at_start, i64),
        name!(customers_at_end, i64),
        name!(new_customers, i64),
        name!(churned_customers, i64),
        name!(retention_rate, Option<f64>),
        name!(churn_rate, Option<f64>),
    ),
> {
    let bounds = Bounds::LocalDates {
        from: from.into_inner(),
        to: to.into_inner(),
    };
    TableIterator::new(churn_series_rows(
        summary,
        bounds,
        step,
        denominator,
        time_zone,
    ))
}
