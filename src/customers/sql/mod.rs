//! SQL surface of the customers family: `crm.retention_rate`, `crm.churn_rate`,
//! `crm.customer_agg`, `crm.rollup(crm.customer_summary)`, `crm.active_customers` and
//! `crm.churn_series`. Aggregates are declared in `sql/customers.sql`. One file per concern:
//! the types here, `one_step` (retention and churn rates over a period), `customer_agg` (the
//! summary aggregate, its rollup and accessors), `churn_series` (the series over periods and
//! its calendar arithmetic).
use crate::customers::state::{CustomerSummary, PeriodState};
use pgrx::prelude::*;

pub mod churn_series;
pub mod customer_agg;
pub mod one_step;

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
/// counts, the rows, the denominator and the period they named; text form
/// `{"customers_at_start":3,"customers_at_end":2,"new_customers":1,"churned_customers":2,"started_in_period":1,"ended_in_period":2,"rows":4,"denominator":null,"period":["2025-01-01 00:00:00+00","2025-02-01 00:00:00+00"]}`.
#[allow(non_camel_case_types)]
#[derive(PostgresType, Clone, Copy, Debug, PartialEq, Eq)]
#[bikeshed_postgres_type_manually_impl_from_into_datum]
#[inoutfuncs]
pub struct customer_period_state(pub PeriodState);

crate::summary_type!(customer_period_state(PeriodState));

fn instant(value: TimestampWithTimeZone) -> i64 {
    pg_sys::TimestampTz::from(value)
}
