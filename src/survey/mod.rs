//! Survey family: NPS (Net Promoter Score) and CSAT (customer satisfaction).
//!
//! `state` holds the counting math, `sql` the pgrx surface;
//! the `CREATE AGGREGATE`s are in `sql/survey.sql`.

pub mod sql;
pub mod state;
mod tests;
