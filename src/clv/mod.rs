//! Customer lifetime value: the seed formulas, RFM summaries, BG/NBD + Gamma-Gamma and the
//! contractual sBG model, fitted inside Postgres.
//!
//! `state` holds the math (plain Rust), `sql` the pgrx surface and the `CREATE AGGREGATE`s.

pub mod sql;
pub mod state;
mod tests;
