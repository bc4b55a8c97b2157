//! Survival family: how long customers (tickets, deals) stay, with censoring.
//!
//! `state` holds the plain-Rust math (the summary of durations, Kaplan–Meier, its interval,
//! median, restricted mean, life table and log-rank test), `sql` the pgrx surface; the
//! `CREATE AGGREGATE`s are in `sql/survival.sql`.

pub mod sql;
pub mod state;
mod tests;
