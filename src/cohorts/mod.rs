//! Cohorts family (non-contractual activity): cohort retention tables and repeat rate.
//!
//! `state` holds the per-customer activity math (calendar periods come from
//! `common::periods`), `sql` the pgrx surface;
//! the `CREATE AGGREGATE`s are in `sql/cohorts.sql`.

pub mod sql;
pub mod state;
mod tests;
