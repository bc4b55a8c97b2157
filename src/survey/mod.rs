//! Survey family: NPS (Net Promoter Score) and CSAT (customer satisfaction).
//!
//! `state` holds the counting math, `sql` the pgrx surface and the `CREATE AGGREGATE`s.

pub mod sql;
pub mod state;
mod tests;
