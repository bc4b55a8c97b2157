//! SQL surface of the cohorts family: `crm.cohort_agg` (bigint, text and uuid customer ids),
//! `crm.rollup(crm.cohort_summary)`, `crm.cohort_retention` and `crm.repeat_rate`.
//! Aggregates are declared in `sql/cohorts.sql`.
use super::state::{
    key_from_bigint, key_from_text, key_from_uuid, CohortSummary, KeyKind, RetentionMode,
};
use crate::common::error::{MetricError, MetricResult};
use crate::common::expanded::{
    expanded_combine, expanded_final, expanded_return, expanded_state_mut, ExpandedState,
};
use crate::common::limits::collect_result;
use crate::common::pg::{bigint, varlena_from_bytes, OrRaise, TextArg};
use crate::common::raw::raw_return_unchanged;
use crate::common::summary::SummaryBytes;
use crate::common::{periods::Period, tz::Zone};
use pgrx::fcinfo::pg_getarg;
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

/// Aggregate state: the summary, and the period and time-zone arguments of the latest row, as
/// it spelled them (compared as text on every row; parsed again only when the spelling
/// changes).
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

    /// Whether a row's period and zone are the summary's: the same text as the row before, or
    /// another spelling of the same ones (`'Month'`, `'europe/berlin'`), which is then kept.
    fn check_arguments(&mut self, period: &str, zone: &str) -> MetricResult<()> {
        if period == self.period_argument && zone == self.zone_argument {
            return Ok(());
        }
        let same = Period::parse(COHORT_AGG, period)? == self.summary.period()
            && Zone::parse(COHORT_AGG, zone)?.fold_utc() == *self.summary.zone();
        if !same {
            return Err(MetricError::InvalidParameter(format!(
                "{COHORT_AGG}: every row must use the same period and time zone \
                 (saw '{}' / '{}', then '{period}' / '{zone}')",
                self.period_argument, self.zone_argument
            )));
        }
        self.period_argument = period.to_owned();
        self.zone_argument = zone.to_owned();
        Ok(())
    }

    fn heap_bytes(&self) -> usize {
        self.summary.heap_bytes() + self.period_argument.capacity() + self.zone_argument.capacity()
    }

    fn of_summary(summary: CohortSummary) -> CohortState {
        CohortState {
            period_argument: summary.period().name().to_owned(),
            zone_argument: summary.zone().name().to_owned(),
            summary,
        }
    }
}

impl CohortState {
    /// The binary form of the state: its summary's.
    fn encode(&mut self) -> MetricResult<Vec<u8>> {
        self.summary.encode()
    }

    /// A state read from a summary's binary form.
    fn decode(bytes: &[u8]) -> MetricResult<CohortState> {
        CohortSummary::decode(bytes).map(CohortState::of_summary)
    }
}

crate::expanded_state!(CohortState, "crm.cohort_summary");

/// One event row into the state of `crm.cohort_agg` (argument 0, a `crm.cohort_summary`): a
/// NULL customer id, timestamp or period skips the row; the time zone defaults to UTC.
///
/// # Safety
/// `fcinfo` must be the call info of a transition of `crm.cohort_agg`, inside a guard.
unsafe fn cohort_step(
    fcinfo: pg_sys::FunctionCallInfo,
    key_kind: KeyKind,
    key: Option<u128>,
    zone: Option<TextArg>,
) -> pg_sys::Datum {
    // SAFETY: arguments 2 and 3 of every `crm.cohort_agg` are a timestamptz and a text.
    let (occurred_at, period) = unsafe {
        (
            pg_getarg::<TimestampWithTimeZone>(fcinfo, 2),
            pg_getarg::<TextArg>(fcinfo, 3),
        )
    };
    let (Some(key), Some(occurred_at), Some(period)) = (key, occurred_at, period) else {
        // SAFETY: the running transition's call info.
        return unsafe { raw_return_unchanged(fcinfo) };
    };
    let period = period.name(COHORT_AGG, "period").or_raise();
    let zone = match zone {
        Some(zone) => zone.name(COHORT_AGG, "time zone").or_raise(),
        None => "UTC",
    };
    // SAFETY: argument 0 is a `crm.cohort_summary` (this function's contract).
    let mut cohort =
        unsafe { expanded_state_mut(fcinfo, || CohortState::new(key_kind, period, zone)) };
    let state = cohort.get();
    state.check_arguments(period, zone).or_raise();
    // A state passed in by hand may be a summary of another id type.
    state
        .summary
        .expect_key_kind(COHORT_AGG, key_kind)
        .or_raise();
    let occurred_at = pg_sys::TimestampTz::from(occurred_at);
    state.summary.add(COHORT_AGG, key, occurred_at).or_raise();
    // SAFETY: the running transition's call info.
    unsafe { expanded_return(fcinfo, cohort) }
}

/// Declares the two transition functions of `crm.cohort_agg` for one customer-id type: without
/// and with the time-zone argument (a NULL time zone skips the row, as any NULL input does).
/// They are raw V1 functions whose state is a `crm.cohort_summary` kept as an expanded object.
macro_rules! cohort_transitions {
    (
        $sql_type:literal,
        $trans:ident / $finfo:ident,
        $zone_trans:ident / $zone_finfo:ident,
        $id:ty,
        $kind:expr,
        $key:expr
    ) => {
        $crate::raw_transition! {
            #[doc = concat!("Transition function of `crm.cohort_agg(", $sql_type, ", timestamptz, text)`.")]
            fn $trans / $finfo (fcinfo)
            sql [concat!(
                "crm_internal.cohort_", $sql_type, "_trans(crm.cohort_summary, ", $sql_type,
                ", timestamptz, text) RETURNS crm.cohort_summary IMMUTABLE PARALLEL SAFE"
            )]
            {
                // SAFETY: Postgres calls this as that transition; the guard turns an error into
                // a Postgres ERROR at this boundary.
                unsafe {
                    let key = pg_getarg::<$id>(fcinfo, 1).map($key);
                    cohort_step(fcinfo, $kind, key, None)
                }
            }
        }

        $crate::raw_transition! {
            #[doc = concat!(
                "Transition function of `crm.cohort_agg(", $sql_type, ", timestamptz, text, text)`."
            )]
            fn $zone_trans / $zone_finfo (fcinfo)
            sql [concat!(
                "crm_internal.cohort_", $sql_type, "_zone_trans(crm.cohort_summary, ", $sql_type,
                ", timestamptz, text, text) RETURNS crm.cohort_summary IMMUTABLE PARALLEL SAFE"
            )]
            {
                // SAFETY: as above.
                unsafe {
                    let Some(time_zone) = pg_getarg::<TextArg>(fcinfo, 4) else {
                        return raw_return_unchanged(fcinfo);
                    };
                    let key = pg_getarg::<$id>(fcinfo, 1).map($key);
                    cohort_step(fcinfo, $kind, key, Some(time_zone))
                }
            }
        }
    };
}

cohort_transitions!(
    "bigint",
    crm_cohort_bigint_trans / pg_finfo_crm_cohort_bigint_trans,
    crm_cohort_bigint_zone_trans / pg_finfo_crm_cohort_bigint_zone_trans,
    i64,
    KeyKind::BigInt,
    key_from_bigint
);
cohort_transitions!(
    "text",
    crm_cohort_text_trans / pg_finfo_crm_cohort_text_trans,
    crm_cohort_text_zone_trans / pg_finfo_crm_cohort_text_zone_trans,
    TextArg,
    KeyKind::Text,
    |id: TextArg| key_from_text(id.0)
);
cohort_transitions!(
    "uuid",
    crm_cohort_uuid_trans / pg_finfo_crm_cohort_uuid_trans,
    crm_cohort_uuid_zone_trans / pg_finfo_crm_cohort_uuid_zone_trans,
    pgrx::Uuid,
    KeyKind::Uuid,
    |id: pgrx::Uuid| key_from_uuid(*id.as_bytes())
);

crate::raw_transition! {
    /// Transition function of `crm.rollup(crm.cohort_summary)`: merges one stored summary.
    fn crm_cohort_rollup_trans / pg_finfo_crm_cohort_rollup_trans (fcinfo)
    sql [
        "crm_internal.cohort_rollup_trans(crm.cohort_summary, crm.cohort_summary) RETURNS crm.cohort_summary IMMUTABLE PARALLEL SAFE",
    ] {
        // SAFETY: both arguments are `crm.cohort_summary` values.
        unsafe {
            expanded_combine(fcinfo, |state: &mut CohortState, other| {
                state.summary.merge(COHORT_ROLLUP, &other.summary)
            })
        }
    }
}

crate::raw_transition! {
    /// Combine function of `crm.cohort_agg` and `crm.rollup(crm.cohort_summary)`.
    fn crm_cohort_combine / pg_finfo_crm_cohort_combine (fcinfo)
    sql [
        "crm_internal.cohort_combine(crm.cohort_summary, crm.cohort_summary) RETURNS crm.cohort_summary IMMUTABLE PARALLEL SAFE",
    ] {
        // SAFETY: both arguments are `crm.cohort_summary` values.
        unsafe {
            expanded_combine(fcinfo, |state: &mut CohortState, other| {
                state.summary.merge(COHORT_AGG, &other.summary)
            })
        }
    }
}

crate::raw_transition! {
    /// Final function of `crm.cohort_agg` and `crm.rollup(crm.cohort_summary)`: the summary's
    /// canonical binary form.
    fn crm_cohort_final / pg_finfo_crm_cohort_final (fcinfo)
    sql [
        "crm_internal.cohort_final(crm.cohort_summary) RETURNS crm.cohort_summary IMMUTABLE PARALLEL SAFE",
    ] {
        // SAFETY: argument 0 is NULL or a `crm.cohort_summary`.
        unsafe {
            expanded_final(fcinfo, |cohort: &mut CohortState| {
                Some(varlena_from_bytes(<CohortState as ExpandedState>::TYPE_NAME, &cohort.summary.encode().or_raise()))
            })
        }
    }
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
    let rows = table.rows(mode).or_raise();
    let rows = collect_result(
        COHORT_RETENTION,
        "its rows",
        rows.into_iter().map(|row| {
            // SAFETY: a `date` datum is any i32 of days since 2000-01-01; `row.cohort` is the
            // first day of the period of a timestamp Postgres accepted.
            let cohort = unsafe { Date::from_pg_epoch_days(row.cohort) };
            let rate = (row.cohort_size > 0).then_some(row.retention_rate);
            (
                cohort,
                row.period_number,
                bigint("crm.cohort_retention", row.cohort_size),
                bigint("crm.cohort_retention", row.active_customers),
                rate,
            )
        }),
    )
    .or_raise();
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
    bigint("crm.customers", summary.0.customers())
}
