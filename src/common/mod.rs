//! What every metric family needs, written once.
//!
//! - [`error`]: the error type the pure math returns (mapped to SQLSTATEs in [`pg`]).
//! - [`calendar`]: period names, IANA time zones, calendar period indexes, civil dates and the
//!   UTC text form of timestamps.
//! - [`guard`]: the panic guard every entry point Postgres calls runs under.
//! - [`keys`]: customer ids of any SQL type as 128-bit keys.
//! - [`interrupt`]: the hook through which long loops of the math check for a cancel.
//! - [`codec`]: the versioned binary encoding of summaries and aggregate states.
//! - [`expanded`]: growing aggregate states that are SQL values, kept as expanded objects.
//! - [`flat`]: fixed-size aggregate states that are SQL values, changed in place per row.
//! - [`limits`]: the memory bound of growing aggregate states (`crm.max_state_memory`, 54000).
//! - [`pg`]: the pgrx glue: raising errors, aggregate state in the aggregate memory
//!   context, and the `summary_type!` macro that makes a summary a SQL type.
//! - [`shares`]: the share-of-true counter (`crm.share_state`).
//! - [`tz`]: time zones read with Postgres's own zone code and data, cached in Rust.
//! - `tests`: `#[pg_test]`s every family must pass: the catalog entries of the aggregates and
//!   every aggregate as a window function.

pub mod calendar;
pub mod codec;
pub mod datum;
pub mod declare;
pub mod error;
pub mod expanded;
pub mod flat;
pub mod guard;
#[cfg(test)]
mod guard_tests;
pub mod interrupt;
pub mod keys;
mod limit_tests;
pub mod limits;
pub mod money;
pub mod pg;
pub mod shares;
pub mod stats;
#[cfg(any(test, feature = "pg_test"))]
pub mod testing;
mod tests;
pub mod tz;
