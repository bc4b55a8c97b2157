//! What every metric family needs, written once.
//!
//! Plain Rust, no pgrx (the families' math uses these and no other part of `common`; the
//! `harness::layers` test checks it):
//! - [`error`]: the error type the pure math returns (mapped to SQLSTATEs in [`pg`]).
//! - [`civil`]: civil dates, the range of raw timestamps and their UTC text form.
//! - [`periods`]: period names and calendar period indexes in a time zone.
//! - [`tz`]: time zones with Postgres's rules, as plain-Rust tables of transitions; zones are
//!   found by name through a loader the glue installs.
//! - [`codec`]: the versioned binary encoding of summaries and aggregate states.
//! - [`flat_state`]: fixed-size aggregate states as plain old data, and their two binary forms.
//! - [`keys`]: customer ids of any SQL type as 128-bit keys.
//! - [`money`]: `numeric` bytes read and written as exact `Decimal`s, and checked arithmetic.
//! - [`exact`]: quotients of money computed in big integers and rounded once (to the nearest
//!   double or to 28 significant digits).
//! - [`shares`]: the share-of-true counter (`crm.share_state`).
//! - [`stats`]: statistics helpers.
//! - [`interrupt`]: the hook through which long loops of the math check for a cancel.
//! - [`limits`]: the memory bound of growing aggregate states (`crm.max_state_memory`, 54000).
//! - [`sort`]: in-place sorting of big vectors by spread-out keys (buckets, then comparisons).
//!
//! The pgrx glue:
//! - [`alloc`]: the allocator of the extension's Rust code (glibc's, with a huge-page hint for
//!   large blocks); only `lib.rs` names it.
//! - [`guard`]: the panic guard every entry point Postgres calls runs under.
//! - [`pg`]: raising errors, aggregate state in the aggregate memory context, varlenas and text
//!   arguments, the interrupt hook.
//! - [`summary`]: the `summary_type!` macro that makes a summary a SQL type, and the functions
//!   every summary type shares.
//! - [`raw`]: the helpers of raw V1 functions (arguments, states, results).
//! - [`srf`]: set-returning raw V1 functions, their rows put straight into a tuplestore.
//! - [`settings`]: the extension's settings (`crm.max_state_memory`, `crm.huge_pages`).
//! - [`datum`]: varlena arguments (numeric, text) read in place on the per-row paths.
//! - [`flat`]: flat states as SQL values, changed in place per row.
//! - [`expanded`]: growing aggregate states that are SQL values, kept as expanded objects.
//! - [`costs`]: the planner support function that costs merging growing states.
//! - [`postgres_zones`]: the zone loader that makes [`tz`] read Postgres's own zone code and data.
//! - `tests`, `testing`: `#[pg_test]`s every family must pass (the catalog entries of the
//!   aggregates, every aggregate as a window function) and their helpers.

pub mod alloc;
pub mod civil;
pub mod codec;
pub mod costs;
pub mod datum;
pub mod declare;
pub mod error;
pub mod exact;
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
pub mod raw;
pub mod settings;
pub mod shares;
pub mod sort;
pub mod srf;
pub mod stats;
pub mod summary;
#[cfg(test)]
mod test_zones;
#[cfg(any(test, feature = "pg_test"))]
pub mod testing;
mod tests;
pub mod tz;
