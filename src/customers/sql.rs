//! SQL surface of the customers family: `crm.retention_rate`, `crm.churn_rate`,
//! `crm.customer_agg`, `crm.rollup(crm.customer_summary)`, `crm.active_customers` and
//! `crm.churn_series`. Aggregates are declared in `sql/customers.sql`.
use super::state::{
    is_customer, require_finite, CustomerRow, CustomerSummary, Denominator, PeriodState,
};
use crate::common::error::{MetricError, MetricResult};
use crate::common::interrupt::Ticker;
use crate::common::pg::{
    bigint, combine_states, internal_of, new_transient_state, raise, raise_from_raw, raw_arg,
    raw_return_state, raw_return_unchanged, raw_state, state_or_init, state_ref, strict_state,
    varlena_from_bytes, OrRaise, SummaryBytes, TextArg,
};
use pgrx::datum::Internal;
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
        #[pg_extern(immutable, parallel_safe)]
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
        #[pg_extern(immutable, parallel_safe)]
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

/// One row of the 4-argument one-step aggregates, as a raw V1 transition (also their moving
/// transition, so it always returns the state; a row with a NULL input is skipped).
///
/// # Safety
/// `fcinfo` must be the call info of the transition of `crm.retention_rate` or the 4-argument
/// `crm.churn_rate` (`function`), called by Postgres through the V1 convention.
#[inline(always)]
unsafe fn period_add(fcinfo: pg_sys::FunctionCallInfo, function: &'static str) -> pg_sys::Datum {
    // SAFETY: the state of the one-step aggregates is a `PeriodState` made here; arguments 1 to
    // 4 exist (this function's contract), each a timestamptz, an int8 by value.
    let period = unsafe { raw_state(fcinfo, function, PeriodState::default) };
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
            // SAFETY: nothing on this frame needs dropping but the error, moved into the guard.
            unsafe { raise_from_raw(move || error) };
        }
    }
    // SAFETY: this is the running transition's call info.
    unsafe { raw_return_state(fcinfo, period) }
}

crate::raw_transition! {
    /// Transition function of `crm.retention_rate` (a raw V1 function).
    fn crm_retention_rate_trans / pg_finfo_crm_retention_rate_trans (fcinfo) {
        // SAFETY: Postgres calls this as the transition of `crm.retention_rate`.
        unsafe { period_add(fcinfo, RETENTION_RATE) }
    }
}

crate::raw_transition! {
    /// Transition function of the 4-argument `crm.churn_rate` (a raw V1 function).
    fn crm_churn_rate_trans / pg_finfo_crm_churn_rate_trans (fcinfo) {
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
    "Transition function of the 5-argument `crm.churn_rate(..., denominator)`.",
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

/// Combine function of the one-step retention and churn aggregates (parallel query).
#[pg_extern(immutable, parallel_safe)]
fn customer_period_combine(
    first: Internal,
    second: Internal,
    fcinfo: pg_sys::FunctionCallInfo,
) -> Internal {
    // SAFETY: both states are `PeriodState`s made by the one-step aggregates' functions.
    unsafe {
        combine_states::<PeriodState>(first, second, fcinfo, CHURN_RATE, |state, other| {
            state.merge(CHURN_RATE, other).or_raise()
        })
    }
}

/// Serialize function of the one-step retention and churn aggregates (parallel query).
#[pg_extern(immutable, parallel_safe, strict)]
fn customer_period_serialize(mut state: Internal) -> Vec<u8> {
    // SAFETY: the state is a `PeriodState` made by the one-step aggregates' functions.
    unsafe { strict_state::<PeriodState>(&mut state) }.encode()
}

/// Deserialize function of the one-step retention and churn aggregates (parallel query).
#[pg_extern(immutable, parallel_safe, strict)]
fn customer_period_deserialize(bytes: &[u8], _unused: Internal) -> Internal {
    new_transient_state(PeriodState::decode(bytes).or_raise())
}

/// Final function of `crm.retention_rate`: (E − N) / S.
#[pg_extern(immutable, parallel_safe)]
fn retention_rate_final(mut state: Internal) -> Option<f64> {
    // SAFETY: the state is a `PeriodState` made by the one-step aggregates' functions.
    unsafe { state_ref::<PeriodState>(&mut state) }.and_then(|state| state.retention_rate())
}

/// Final function of `crm.churn_rate`: lost over the denominator the rows named ('start' by default).
#[pg_extern(immutable, parallel_safe)]
fn churn_rate_final(mut state: Internal) -> Option<f64> {
    // SAFETY: the state is a `PeriodState` made by the one-step aggregates' functions.
    unsafe { state_ref::<PeriodState>(&mut state) }.and_then(|state| state.churn_rate())
}

// ---------------------------------------------------------------------------------------------
// Two-step: crm.customer_agg, crm.rollup, accessors and crm.churn_series.
// ---------------------------------------------------------------------------------------------

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
        // SAFETY: nothing on this frame needs dropping but the error, moved into the guard.
        Err(error) => unsafe { raise_from_raw(move || error) },
    }
    // SAFETY: the state of `crm.customer_agg` is a `CustomerSummary` made here.
    let summary = unsafe { raw_state(fcinfo, CUSTOMER_AGG, CustomerSummary::new) };
    if let Err(error) = summary.add(CUSTOMER_AGG, started_at, ended_at) {
        // SAFETY: as above.
        unsafe { raise_from_raw(move || error) };
    }
    // SAFETY: this is the running transition's call info.
    unsafe { raw_return_state(fcinfo, summary) }
}

crate::raw_transition! {
    /// Transition function of `crm.customer_agg(timestamptz, timestamptz)`: a raw V1 function
    /// (no `#[pg_extern]` wrapper on the per-row path).
    fn crm_customer_agg_trans / pg_finfo_crm_customer_agg_trans (fcinfo) {
        // SAFETY: Postgres calls this as the transition of `crm.customer_agg`.
        unsafe { customer_agg_add(fcinfo) }
    }
}

/// Transition function of `crm.rollup(crm.customer_summary)`.
#[pg_extern(immutable, parallel_safe)]
fn customer_rollup_trans(
    mut state: Internal,
    summary: Option<customer_summary>,
    fcinfo: pg_sys::FunctionCallInfo,
) -> Internal {
    let Some(summary) = summary else { return state };
    // SAFETY: the state of the rollup is a `CustomerSummary` made here.
    let merged =
        unsafe { state_or_init(&mut state, fcinfo, CUSTOMER_ROLLUP, CustomerSummary::new) };
    merged.merge(CUSTOMER_ROLLUP, &summary.0).or_raise();
    merged.check_size(CUSTOMER_ROLLUP).or_raise();
    internal_of(merged)
}

/// Combine function of `crm.customer_agg` and `crm.rollup(crm.customer_summary)`.
#[pg_extern(immutable, parallel_safe)]
fn customer_agg_combine(
    first: Internal,
    second: Internal,
    fcinfo: pg_sys::FunctionCallInfo,
) -> Internal {
    // SAFETY: both states are `CustomerSummary`s made by these aggregates' functions.
    unsafe {
        combine_states::<CustomerSummary>(first, second, fcinfo, CUSTOMER_AGG, |state, other| {
            state.merge(CUSTOMER_AGG, other).or_raise();
            state.check_size(CUSTOMER_AGG).or_raise()
        })
    }
}

/// Serialize function of `crm.customer_agg` and `crm.rollup(crm.customer_summary)`.
#[pg_extern(immutable, parallel_safe, strict)]
fn customer_agg_serialize(mut state: Internal) -> Vec<u8> {
    // SAFETY: the state is a `CustomerSummary` made by these aggregates' functions.
    unsafe { strict_state::<CustomerSummary>(&mut state) }.encode()
}

/// Deserialize function of `crm.customer_agg` and `crm.rollup(crm.customer_summary)`.
#[pg_extern(immutable, parallel_safe, strict)]
fn customer_agg_deserialize(bytes: &[u8], _unused: Internal) -> Internal {
    new_transient_state(CustomerSummary::decode(bytes).or_raise())
}

crate::raw_transition! {
    /// Final function of `crm.customer_agg` and `crm.rollup(crm.customer_summary)`: the binary
    /// form of the summary, encoded straight from the state (folding it, which changes no
    /// answer), without copying the state first.
    fn crm_customer_agg_final / pg_finfo_crm_customer_agg_final (fcinfo) {
        // SAFETY: argument 0 is the aggregate's state, NULL or a `CustomerSummary` made by these
        // aggregates' functions; the guard turns a panic or a Postgres error inside into a
        // Postgres error at this boundary, after dropping what the closure holds.
        unsafe {
            match raw_arg(fcinfo, 0).filter(|datum| !datum.is_null()) {
                None => {
                    (*fcinfo).isnull = true;
                    pg_sys::Datum::from(0usize)
                }
                Some(state) => {
                    let summary = &mut *state.cast_mut_ptr::<CustomerSummary>();
                    pg_sys::submodules::panic::pgrx_extern_c_guard(|| {
                        let bytes = summary.encode();
                        (*fcinfo).isnull = false;
                        varlena_from_bytes(&bytes)
                    })
                }
            }
        }
    }
}

/// Number of customers in a summary.
#[pg_extern(immutable, parallel_safe, strict, name = "customers")]
fn customer_summary_customers(summary: customer_summary) -> i64 {
    bigint(summary.0.customers())
}

/// The customers a period starting at `at` starts with: started_at < at and (ended_at is NULL
/// or ended_at >= at).
#[pg_extern(immutable, parallel_safe, strict)]
fn active_customers(summary: customer_summary, at: TimestampWithTimeZone) -> i64 {
    let mut summary = summary.0;
    let at = instant(at);
    require_finite("crm.active_customers", "at", at).or_raise();
    bigint(summary.active_at(at))
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

/// Periods [start, start + step) from `from` while start < `to`, stepping like generate_series
/// with calendar steps in `time_zone`.
fn series_periods(
    from: i64,
    to: i64,
    step: &Interval,
    time_zone: &str,
) -> MetricResult<Vec<(i64, i64)>> {
    require_finite(CHURN_SERIES, "from", from)?;
    require_finite(CHURN_SERIES, "to", to)?;
    let zone = datum_of(time_zone);
    // An unknown zone is an error even when the series is empty.
    datetime_call(
        pg_sys::timestamptz_zone,
        zone,
        pg_sys::Datum::from(from),
        time_zone,
    );
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
/// Retention and churn for each period [start, start + step) from `from` while start < `to`,
/// calendar steps taken in `time_zone`; each row equals crm.retention_rate and
/// crm.churn_rate(..., denominator) over that period, from one scan. IMMUTABLE: the session
/// time zone only enters through the default of `time_zone`, evaluated by the caller.
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
    // The summary is read straight from its binary form (no decoded copy of its lifetimes); a
    // malformed one is reported before a bad option, as when it was decoded first (except the
    // errors Postgres raises inside a calendar step, such as an unknown time zone).
    let options = denominator
        .name(CHURN_SERIES, "denominator")
        .and_then(|name| Denominator::parse(CHURN_SERIES, name))
        .and_then(|denominator| Ok((denominator, time_zone.name(CHURN_SERIES, "time zone")?)))
        .and_then(|(denominator, time_zone)| {
            let periods = series_periods(instant(from), instant(to), &step, time_zone)?;
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
    let rows: Vec<ChurnSeriesRow> = periods
        .iter()
        .zip(counts)
        .map(|(&(start, end), counts)| {
            (
                timestamp_of(start),
                timestamp_of(end),
                bigint(counts.customers_at_start),
                bigint(counts.customers_at_end),
                bigint(counts.new_customers),
                bigint(counts.churned_customers),
                counts.retention_rate(),
                counts.churn_rate(denominator),
            )
        })
        .collect();
    TableIterator::new(rows)
}

extension_sql_file!(
    "../../sql/customers.sql",
    name = "customers_aggregates",
    requires = [
        customer_summary,
        retention_rate_inverse,
        churn_rate_inverse,
        churn_rate_denominator_trans,
        churn_rate_denominator_inverse,
        customer_period_combine,
        customer_period_serialize,
        customer_period_deserialize,
        retention_rate_final,
        churn_rate_final,
        customer_rollup_trans,
        customer_agg_combine,
        customer_agg_serialize,
        customer_agg_deserialize,
        customer_summary_customers,
        active_customers,
        churn_series,
    ]
);
