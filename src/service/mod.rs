//! Service family: business-hours calendars, business time, and support-ticket metrics
//! (first response and resolution times, SLA attainment, FCR and reopen rates).
//!
//! `state` holds the math without Postgres, `sql` the pgrx surface and the `CREATE AGGREGATE`s.

pub mod sql;
pub mod state;
mod tests;
