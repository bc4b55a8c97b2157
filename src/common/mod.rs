//! What every metric family needs, written once.
//!
//! - [`error`]: the error type the pure math returns (mapped to SQLSTATEs in [`pg`]).
//! - [`calendar`]: period names, IANA time zones and calendar period indexes.
//! - [`codec`]: the versioned binary encoding of summaries and aggregate states.
//! - [`pg`]: the pgrx glue: raising errors, aggregate state in the aggregate memory
//!   context, and the `summary_type!` macro that makes a summary a SQL type.

pub mod calendar;
pub mod codec;
pub mod error;
pub mod pg;
pub mod stats;
#[cfg(any(test, feature = "pg_test"))]
pub mod testing;
pub mod tz;
