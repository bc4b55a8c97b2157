//! Customers family (contractual): retention and churn over periods, active customers, and the
//! one-scan churn series.
//!
//! `state` holds the counting math, `sql` the pgrx surface;
//! the `CREATE AGGREGATE`s are in `sql/customers.sql`.

pub mod sql;
pub mod state;
mod tests;
