//! Recurring revenue family: the MRR bridge (new, expansion, contraction, churned and
//! reactivation MRR) and net / gross revenue retention.
//!
//! `state` holds the per-customer-month math (exact decimals), `sql` the pgrx surface and the
//! `CREATE AGGREGATE`s.

pub mod sql;
pub mod state;
mod tests;
