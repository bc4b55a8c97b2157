//! What every metric family needs, written once.
//!
//! - [`error`]: the error type the pure math returns (mapped to SQLSTATEs in [`pg`]).
//! - [`civil`]: civil dates, the range of raw timestamps and their UTC text form.
//! - [`periods`]: period names and calendar period indexes in a time zone.
//! - [`tz`]: time zones with Postgres's rules, as plain-Rust tables of transitions.
//! - [`guard`]: the panic guard every entry point Postgres calls runs under.
//! - [`keys`]: customer ids of any SQL type as 128-bit keys.
//! - [`interrupt`]: the hook through which long loops of the math check for a cancel.
//! - [`codec`]: the versioned binary encoding of summaries and aggregate states.
//! - [`expanded`]: growing aggregate states that are SQL values, kept as expanded objects.
//! - [`flat_state`]: fixed-size aggregate states as plain old data, and their two binary forms.
//! - [`flat`]: such states as SQL values, changed in place per row.
//! - [`limits`]: the memory bound of growing aggregate states (`crm.max_state_memory`, 54000).
//! - [`pg`]: the pgrx glue: raising errors, aggregate state in the aggregate memory
//!   context, and the `summary_type!` macro that makes a summary a SQL type.
//! - [`shares`]: the share-of-true counter (`crm.share_state`).
//! - [`postgres_zones`]: the zone loader that makes [`tz`] read Postgres's own zone code and data.
//! - `tests`: `#[pg_test]`s every family must pass: the catalog entries of the aggregates and
//!   every aggregate as a window function.

pub mod civil;
pub mod codec;
pub mod datum;
pub mod error;
pub mod expanded;
pub mod flat;
pub mod flat_state;
pub mod guard;
#[cfg(test)]
mod guard_tests;
pub mod interrupt;
pub mod keys;
mod limit_tests;
pub mod limits;
pub mod money;
pub mod periods;
pub mod pg;
pub mod postgres_zones;
pub mod shares;
pub mod stats;
#[cfg(test)]
mod test_zones;
#[cfg(any(test, feature = "pg_test"))]
pub mod testing;
mod tests;
pub mod tz;
