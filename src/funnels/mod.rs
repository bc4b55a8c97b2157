//! Funnels family: conversion through ordered steps within a window, as ClickHouse's
//! `windowFunnel` defines it (`crm.window_funnel`), and the per-entity work in one aggregate
//! (`crm.funnel_agg`, read with `crm.funnel_steps`).
//!
//! `state` holds the plain-Rust math (the level walk, the states and their forms), `sql` the
//! pgrx surface; the `CREATE AGGREGATE`s are in `sql/funnels.sql`.

pub mod sql;
pub mod state;
mod tests;
