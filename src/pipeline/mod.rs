//! Sales pipeline family: win rate, average deal size, sales cycle and pipeline velocity.
//!
//! `state` holds the counting math (exact decimals for money), `sql` the pgrx surface and the
//! `CREATE AGGREGATE`s.

pub mod sql;
pub mod state;
mod tests;
