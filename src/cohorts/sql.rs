//! SQL surface of the cohorts family: `crm.cohort_agg` (bigint, text and uuid customer ids),
//! `crm.rollup(crm.cohort_summary)`, `crm.cohort_retention` and `crm.repeat_rate`.
//! Aggregates are declared in `sql/cohorts.sql`.
use super::state::{
    key_from_bigint, key_from_text, key_from_uuid, CohortSummary, KeyKind, RetentionMode,
};
use crate::common::calendar::{Period, Zone};
use crate::common::error::{MetricError, MetricResult};
use crate::common::pg::{
    bigint, combine_states, internal_of, new_transient_state, state_or_init, state_ref,
    strict_state, OrRaise, SummaryBytes, TextArg,
};
use pgrx::datum::Internal;
use pgrx::prelude::*;

const COHORT_AGG: &str = "crm.cohort_agg";
const COHORT_ROLLUP: &str = "crm.rollup";
const COHORT_RETENTION: &str = "crm.cohort_retention";
/// Upper bound on the rows of one `crm.cohort_retention` call (the rows are built in memory
/// before they are returned, so this bounds that memory to a few hundred MB).
const MAX_RETENTION_ROWS: u64 = 10_000_000;

/// Per customer, the calendar periods it was active in; text form
/// `{"version":1,"period":"month","time_zone":"UTC","key":"bigint","customers":[...]}`.
#[allow(non_camel_case_types)]
#[derive(PostgresType, Clone, Debug)]
#[bikeshed_postgres_type_manually_impl_from_into_datum]
#[inoutfuncs]
pub struct cohort_summary(pub CohortSummary);

crate::summary_type!(cohort_summary(CohortSummary));

/// Aggregate state: the summary, and the period and time-zone arguments it was created with,
/// as the rows spelled them (compared as text on every row; parsed once).
#[derive(Debug, Clone)]
struct CohortState {
    summary: CohortSummary,
    period_argument: String,
    zone_argument: String,
}

impl CohortState {
    fn new(key_kind: KeyKind, period: &str, zone: &str) -> CohortState {
        let parsed_period = Period::parse(COHORT_AGG, period).or_raise();
        let parsed_zone = Zone::parse(COHORT_AGG, zone).or_raise();
        CohortState {
            summary: CohortSummary::new(parsed_period, parsed_zone, key_kind),
            period_argument: period.to_owned(),
            zone_argument: zone.to_owned(),
        }
    }

    fn check_arguments(&self, period: &str, zone: &str) -> MetricResult<()> {
        if period == self.period_argument && zone == self.zone_argument {
            Ok(())
        } else {
            Err(MetricError::InvalidParameter(format!(
                "{COHORT_AGG}: every row must use the same period and time zone \
                 (saw '{}' / '{}', then '{period}' / '{zone}')",
                self.period_argument, self.zone_argument
            )))
        }
    }

    fn of_summary(summary: CohortSummary) -> CohortState {
        CohortState {
            period_argument: summary.period().name().to_owned(),
            zone_argument: summary.zone().name().to_owned(),
            summary,
        }
    }
}

/// One event row: NULL customer id, timestamp or period skips the row; the time zone
/// defaults to UTC.
fn cohort_step(
    mut state: Internal,
    fcinfo: pg_sys::FunctionCallInfo,
    key_kind: KeyKind,
    key: Option<u128>,
    occurred_at: Option<TimestampWithTimeZone>,
    period: Option<TextArg>,
    zone: Option<TextArg>,
) -> Internal {
    let (Some(key), Some(occurred_at), Some(period)) = (key, occurred_at, period) else {
        return state;
    };
    let period = period.name(COHORT_AGG, "period").or_raise();
    let zone = match zone {
        Some(zone) => zone.name(COHORT_AGG, "time zone").or_raise(),
        None => "UTC",
    };
    // SAFETY: the state of `crm.cohort_agg` is a `CohortState` made here.
    let cohort = unsafe {
        state_or_init(&mut state, fcinfo, COHORT_AGG, || {
            CohortState::new(key_kind, period, zone)
        })
    };
    cohort.check_arguments(period, zone).or_raise();
    let occurred_at = pg_sys::TimestampTz::from(occurred_at);
    cohort.summary.add(COHORT_AGG, key, occurred_at).or_raise();
    internal_of(cohort)
}

/// Declares the two transition functions of `crm.cohort_agg` for one customer-id type: without
/// and with the time-zone argument (a NULL time zone skips the row, as any NULL input does).
macro_rules! cohort_transitions {
    ($sql_type:literal, $trans:ident, $zone_trans:ident, [$($id:tt)+], $kind:expr, $key:expr) => {
        #[doc = concat!("Transition function of `crm.cohort_agg(", $sql_type, ", timestamptz, text)`.")]
        #[pg_extern(immutable, parallel_safe)]
        fn $trans(
            state: Internal,
            customer_id: Option<$($id)+>,
            occurred_at: Option<TimestampWithTimeZone>,
            period: Option<TextArg>,
            fcinfo: pg_sys::FunctionCallInfo,
        ) -> Internal {
            let key = customer_id.map($key);
            cohort_step(state, fcinfo, $kind, key, occurred_at, period, None)
        }

        #[doc = concat!(
            "Transition function of `crm.cohort_agg(", $sql_type, ", timestamptz, text, text)`."
        )]
        #[pg_extern(immutable, parallel_safe)]
        fn $zone_trans(
            state: Internal,
            customer_id: Option<$($id)+>,
            occurred_at: Option<TimestampWithTimeZone>,
            period: Option<TextArg>,
            time_zone: Option<TextArg>,
            fcinfo: pg_sys::FunctionCallInfo,
        ) -> Internal {
            let Some(time_zone) = time_zone else {
                return state;
            };
            let key = customer_id.map($key);
            cohort_step(state, fcinfo, $kind, key, occurred_at, period, Some(time_zone))
        }
    };
}

cohort_transitions!(
    "bigint",
    cohort_bigint_trans,
    cohort_bigint_zone_trans,
    [i64],
    KeyKind::BigInt,
    key_from_bigint
);
cohort_transitions!(
    "text",
    cohort_text_trans,
    cohort_text_zone_trans,
    [TextArg],
    KeyKind::Text,
    |id: TextArg| key_from_text(id.0)
);
cohort_transitions!(
    "uuid",
    cohort_uuid_trans,
    cohort_uuid_zone_trans,
    [pgrx::Uuid],
    KeyKind::Uuid,
    |id: pgrx::Uuid| key_from_uuid(*id.as_bytes())
);

/// Transition function of `crm.rollup(crm.cohort_summary)`.
#[pg_extern(immutable, parallel_safe)]
fn cohort_rollup_trans(
    mut state: Internal,
    summary: Option<cohort_summary>,
    fcinfo: pg_sys::FunctionCallInfo,
) -> Internal {
    let Some(summary) = summary else { return state };
    // SAFETY: the rollup's state is a `CohortState` made below.
    if let Some(merged) = unsafe { state_ref::<CohortState>(&mut state) } {
        merged.summary.merge(COHORT_ROLLUP, &summary.0).or_raise();
        return internal_of(merged);
    }
    // SAFETY: as above; created in the aggregate memory context of this transition call.
    let first = unsafe {
        state_or_init(&mut state, fcinfo, COHORT_ROLLUP, || {
            CohortState::of_summary(summary.0)
        })
    };
    internal_of(first)
}

/// Combine function of `crm.cohort_agg` and `crm.rollup(crm.cohort_summary)` (parallel query).
#[pg_extern(immutable, parallel_safe)]
fn cohort_combine(first: Internal, second: Internal, fcinfo: pg_sys::FunctionCallInfo) -> Internal {
    // SAFETY: both states are `CohortState`s made by these aggregates' functions.
    unsafe {
        combine_states::<CohortState>(first, second, fcinfo, COHORT_AGG, |state, other| {
            state.summary.merge(COHORT_AGG, &other.summary).or_raise()
        })
    }
}

/// Serialize function of `crm.cohort_agg` and `crm.rollup(crm.cohort_summary)`.
#[pg_extern(immutable, parallel_safe, strict)]
fn cohort_serialize(mut state: Internal) -> Vec<u8> {
    // SAFETY: the state is a `CohortState` made by these aggregates' functions.
    unsafe { strict_state::<CohortState>(&mut state) }
        .summary
        .encode()
}

/// Deserialize function of `crm.cohort_agg` and `crm.rollup(crm.cohort_summary)`.
#[pg_extern(immutable, parallel_safe, strict)]
fn cohort_deserialize(bytes: &[u8], _unused: Internal) -> Internal {
    new_transient_state(CohortState::of_summary(
        CohortSummary::decode(bytes).or_raise(),
    ))
}

/// Final function of `crm.cohort_agg` and `crm.rollup(crm.cohort_summary)`.
#[pg_extern(immutable, parallel_safe)]
fn cohort_final(mut state: Internal) -> Option<cohort_summary> {
    // SAFETY: the state is a `CohortState` made by these aggregates' functions.
    unsafe { state_ref::<CohortState>(&mut state) }
        .map(|cohort| cohort_summary(cohort.summary.clone()))
}

/// The cohort retention table: one row per cohort and period number k = 0 .. (last period in
/// the data − cohort), zeros included, ordered by cohort and k. Mode 'classic' counts customers
/// active in period k exactly, 'unbounded' those active in period k or any later one.
#[pg_extern(immutable, parallel_safe, strict)]
fn cohort_retention(
    summary: SummaryBytes<cohort_summary>,
    mode: default!(TextArg, "'classic'"),
) -> TableIterator<
    'static,
    (
        name!(cohort, Date),
        name!(period_number, i32),
        name!(cohort_size, i64),
        name!(active_customers, i64),
        name!(retention_rate, Option<f64>),
    ),
> {
    // Counted straight from the binary form (no table of the customers built); a malformed
    // summary is reported first, then a bad mode, then a table too large.
    let table = CohortSummary::retention_of_binary(summary.bytes, MAX_RETENTION_ROWS).or_raise();
    let mode = mode.name(COHORT_RETENTION, "retention mode").or_raise();
    let mode = RetentionMode::parse(COHORT_RETENTION, mode).or_raise();
    let Ok(table) = table else {
        crate::common::pg::raise(MetricError::InvalidParameter(format!(
            "{COHORT_RETENTION}: the table would have more than {MAX_RETENTION_ROWS} rows; \
             use a longer period"
        )));
    };
    let rows: Vec<_> = table
        .rows(mode)
        .into_iter()
        .map(|row| {
            // SAFETY: a `date` datum is any i32 of days since 2000-01-01; `row.cohort` is the
            // first day of the period of a timestamp Postgres accepted.
            let cohort = unsafe { Date::from_pg_epoch_days(row.cohort) };
            let rate = (row.cohort_size > 0).then_some(row.retention_rate);
            (
                cohort,
                row.period_number,
                bigint(row.cohort_size),
                bigint(row.active_customers),
                rate,
            )
        })
        .collect();
    TableIterator::new(rows)
}

/// Share of customers active in at least two distinct periods; NULL without customers.
#[pg_extern(immutable, parallel_safe, strict)]
fn repeat_rate(summary: cohort_summary) -> Option<f64> {
    summary.0.repeat_rate()
}

/// Number of distinct customers in a cohort summary.
#[pg_extern(immutable, parallel_safe, strict, name = "customers")]
fn cohort_summary_customers(summary: cohort_summary) -> i64 {
    bigint(summary.0.customers())
}

extension_sql_file!(
    "../../sql/cohorts.sql",
    name = "cohorts_aggregates",
    requires = [
        cohort_summary,
        cohort_bigint_trans,
        cohort_bigint_zone_trans,
        cohort_text_trans,
        cohort_text_zone_trans,
        cohort_uuid_trans,
        cohort_uuid_zone_trans,
        cohort_rollup_trans,
        cohort_combine,
        cohort_serialize,
        cohort_deserialize,
        cohort_final,
        cohort_retention,
        repeat_rate,
        cohort_summary_customers,
    ]
);
