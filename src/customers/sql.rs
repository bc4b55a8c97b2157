//! SQL surface of the customers family: `crm.retention_rate`, `crm.churn_rate`,
//! `crm.customer_agg`, `crm.rollup(crm.customer_summary)`, `crm.active_customers` and
//! `crm.churn_series`. Aggregates are declared in `sql/customers.sql`.
use super::state::{require_finite, CustomerSummary, Denominator, PeriodState};
use crate::common::error::{MetricError, MetricResult};
use crate::common::pg::{
    bigint, combine_states, internal_of, new_transient_state, state_or_init, state_ref, OrRaise,
    TextArg,
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

/// One customer row for the one-step aggregates; rows missing a required input are skipped.
struct CustomerRow {
    started_at: i64,
    ended_at: Option<i64>,
    period_start: i64,
    period_end: i64,
}

impl CustomerRow {
    fn from_args(
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
}

fn period_step(
    mut state: Internal,
    fcinfo: pg_sys::FunctionCallInfo,
    function: &'static str,
    row: Option<CustomerRow>,
    denominator: Option<TextArg>,
    inverse: bool,
) -> Internal {
    let Some(row) = row else { return state };
    let period = unsafe { state_or_init(&mut state, fcinfo, function, PeriodState::default) };
    if let Some(name) = denominator {
        let name = name.name(function, "denominator").or_raise();
        let parsed = Denominator::parse(function, name).or_raise();
        period.use_denominator(function, parsed).or_raise();
    }
    let CustomerRow {
        started_at,
        ended_at,
        period_start,
        period_end,
    } = row;
    let result = if inverse {
        period
            .counts
            .remove(function, started_at, ended_at, period_start, period_end)
    } else {
        period
            .counts
            .add(function, started_at, ended_at, period_start, period_end)
    };
    result.or_raise();
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
            let row = CustomerRow::from_args(started_at, ended_at, period_start, period_end);
            period_step(state, fcinfo, $function, row, None, $inverse)
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
            let row = CustomerRow::from_args(started_at, ended_at, period_start, period_end);
            let Some(denominator) = denominator else {
                return state;
            };
            period_step(state, fcinfo, $function, row, Some(denominator), $inverse)
        }
    };
}

period_transition!(
    "Transition function of `crm.retention_rate`.",
    retention_rate_trans,
    RETENTION_RATE,
    inverse = false
);
period_transition!(
    "Inverse transition function of `crm.retention_rate` (window frames).",
    retention_rate_inverse,
    RETENTION_RATE,
    inverse = true
);
period_transition!(
    "Transition function of the 4-argument `crm.churn_rate`.",
    churn_rate_trans,
    CHURN_RATE,
    inverse = false
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
    unsafe {
        combine_states::<PeriodState>(first, second, fcinfo, CHURN_RATE, |state, other| {
            state.merge(CHURN_RATE, other).or_raise()
        })
    }
}

/// Serialize function of the one-step retention and churn aggregates (parallel query).
#[pg_extern(immutable, parallel_safe, strict)]
fn customer_period_serialize(mut state: Internal) -> Vec<u8> {
    unsafe { state_ref::<PeriodState>(&mut state) }
        .copied()
        .unwrap_or_default()
        .encode()
}

/// Deserialize function of the one-step retention and churn aggregates (parallel query).
#[pg_extern(immutable, parallel_safe, strict)]
fn customer_period_deserialize(bytes: &[u8], _unused: Internal) -> Internal {
    new_transient_state(PeriodState::decode(bytes).or_raise())
}

/// Final function of `crm.retention_rate`: (E − N) / S.
#[pg_extern(immutable, parallel_safe)]
fn retention_rate_final(mut state: Internal) -> Option<f64> {
    unsafe { state_ref::<PeriodState>(&mut state) }.and_then(|state| state.counts.retention_rate())
}

/// Final function of `crm.churn_rate`: lost over the denominator the rows named ('start' by default).
#[pg_extern(immutable, parallel_safe)]
fn churn_rate_final(mut state: Internal) -> Option<f64> {
    unsafe { state_ref::<PeriodState>(&mut state) }.and_then(|state| {
        state
            .counts
            .churn_rate(state.denominator.unwrap_or(Denominator::Start))
    })
}

// ---------------------------------------------------------------------------------------------
// Two-step: crm.customer_agg, crm.rollup, accessors and crm.churn_series.
// ---------------------------------------------------------------------------------------------

/// Transition function of `crm.customer_agg(timestamptz, timestamptz)`.
#[pg_extern(immutable, parallel_safe)]
fn customer_agg_trans(
    mut state: Internal,
    started_at: Option<TimestampWithTimeZone>,
    ended_at: Option<TimestampWithTimeZone>,
    fcinfo: pg_sys::FunctionCallInfo,
) -> Internal {
    let Some(started_at) = started_at else {
        return state;
    };
    let summary = unsafe { state_or_init(&mut state, fcinfo, CUSTOMER_AGG, CustomerSummary::new) };
    summary
        .add(CUSTOMER_AGG, instant(started_at), ended_at.map(instant))
        .or_raise();
    internal_of(summary)
}

/// Transition function of `crm.rollup(crm.customer_summary)`.
#[pg_extern(immutable, parallel_safe)]
fn customer_rollup_trans(
    mut state: Internal,
    summary: Option<customer_summary>,
    fcinfo: pg_sys::FunctionCallInfo,
) -> Internal {
    let Some(summary) = summary else { return state };
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
    match unsafe { state_ref::<CustomerSummary>(&mut state) } {
        Some(summary) => summary.encode(),
        None => CustomerSummary::new().encode(),
    }
}

/// Deserialize function of `crm.customer_agg` and `crm.rollup(crm.customer_summary)`.
#[pg_extern(immutable, parallel_safe, strict)]
fn customer_agg_deserialize(bytes: &[u8], _unused: Internal) -> Internal {
    new_transient_state(CustomerSummary::decode(bytes).or_raise())
}

/// Final function of `crm.customer_agg` and `crm.rollup(crm.customer_summary)`.
#[pg_extern(immutable, parallel_safe)]
fn customer_agg_final(mut state: Internal) -> Option<customer_summary> {
    unsafe { state_ref::<CustomerSummary>(&mut state) }
        .map(|summary| customer_summary(summary.clone()))
}

/// Number of customers in a summary.
#[pg_extern(immutable, parallel_safe, strict, name = "customers")]
fn customer_summary_customers(summary: customer_summary) -> i64 {
    bigint(summary.0.customers())
}

/// Customers active at an instant: started_at <= at and (ended_at is NULL or ended_at > at).
#[pg_extern(immutable, parallel_safe, strict)]
fn active_customers(summary: customer_summary, at: TimestampWithTimeZone) -> i64 {
    let mut summary = summary.0;
    let at = instant(at);
    require_finite("crm.active_customers", "at", at).or_raise();
    bigint(summary.active_at(at))
}

/// Adds a Postgres interval to a timestamp as `timestamptz + interval` does (calendar months and
/// days in the session time zone).
fn add_interval(at: i64, step: Interval) -> i64 {
    let at = TimestampWithTimeZone::try_from(at)
        .map_err(|_| {
            MetricError::DatetimeOverflow(format!("{CHURN_SERIES}: timestamp out of range"))
        })
        .or_raise();
    let sum = unsafe {
        pgrx::fcinfo::direct_function_call::<TimestampWithTimeZone>(
            pg_sys::timestamptz_pl_interval,
            &[at.into_datum(), step.into_datum()],
        )
    };
    instant(sum.expect("timestamptz + interval is never NULL"))
}

/// Periods [start, start + step) from `from` while start < `to`, stepping like generate_series.
fn series_periods(from: i64, to: i64, step: Interval) -> MetricResult<Vec<(i64, i64)>> {
    require_finite(CHURN_SERIES, "from", from)?;
    require_finite(CHURN_SERIES, "to", to)?;
    let mut periods = Vec::new();
    let mut start = from;
    while start < to {
        let end = add_interval(start, step);
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
/// Retention and churn for each period [start, start + step) from `from` while start < `to`;
/// each row equals crm.retention_rate / crm.churn_rate over that period, from one scan.
/// STABLE, not IMMUTABLE: calendar steps follow the session time zone, as
/// `timestamptz + interval` does.
#[allow(clippy::type_complexity)] // pgrx reads the column names from this inline tuple
#[pg_extern(stable, parallel_safe, strict)]
fn churn_series(
    summary: customer_summary,
    from: TimestampWithTimeZone,
    to: TimestampWithTimeZone,
    step: Interval,
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
    let mut summary = summary.0;
    let periods = series_periods(instant(from), instant(to), step).or_raise();
    let counts = summary.periods(CHURN_SERIES, &periods).or_raise();
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
                counts.churn_rate(Denominator::Start),
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
        retention_rate_trans,
        retention_rate_inverse,
        churn_rate_trans,
        churn_rate_inverse,
        churn_rate_denominator_trans,
        churn_rate_denominator_inverse,
        customer_period_combine,
        customer_period_serialize,
        customer_period_deserialize,
        retention_rate_final,
        churn_rate_final,
        customer_agg_trans,
        customer_rollup_trans,
        customer_agg_combine,
        customer_agg_serialize,
        customer_agg_deserialize,
        customer_agg_final,
        customer_summary_customers,
        active_customers,
        churn_series,
    ]
);
