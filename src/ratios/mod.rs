//! Plain ratios named in the seeds: CAC, ROI, quota attainment, growth, conversion, LTV:CAC,
//! revenue and cost per lead, calls per sale and renewal rate (scalar functions), and the
//! share-of-true state behind `crm.renewal_rate(boolean)`, `crm.win_rate(boolean)` and
//! `crm.conversion_rate(boolean)`.
//!
//! `state` holds the math, `sql` the pgrx surface.

pub mod sql;
pub mod state;
mod tests;
