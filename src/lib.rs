//! crm_metrics: CRM metrics computed inside PostgreSQL.
//!
//! Each metric family lives in its own module with the same shape:
//! `state.rs` (or a `state/` folder) holds the plain-Rust math (no pgrx, unit and property
//! tests), `sql.rs` (or a `sql/` folder split by concern) the pgrx surface (type conversion,
//! errors), `sql/<family>.sql` the `CREATE AGGREGATE`s. Shared helpers (errors, periods, time zones, binary codec, aggregate
//! state handling) live in `common`; docs/architecture.md describes the layers.
//!
//! Every `unsafe` operation sits in its own `unsafe` block, also inside an `unsafe fn`, and
//! every `unsafe` block and `unsafe impl` has a `// SAFETY:` comment saying why it is sound
//! (docs/architecture.md, "Rules every layer follows"); the two lints below hold that rule.
#![deny(unsafe_op_in_unsafe_fn)]
#![deny(clippy::undocumented_unsafe_blocks)]

use pgrx::prelude::*;

pgrx::pg_module_magic!(name, version);

/// Large blocks of the extension's Rust code ask for transparent huge pages (common::alloc). The
/// plain unit tests count allocations with an allocator of their own (tests/harness/fuzz.rs).
#[cfg(not(test))]
#[global_allocator]
static ALLOCATOR: common::alloc::HugePageHint = common::alloc::HugePageHint;

pub mod clv;
pub mod cohorts;
pub mod common;
pub mod customers;
// Cross-family test harnesses live above the families, with the other tests.
#[cfg(test)]
#[path = "../tests/harness/mod.rs"]
mod harness;
pub mod survey;
// Sales pipeline, recurring revenue and plain ratios.
pub mod pipeline;
pub mod ratios;
pub mod revenue;
// Service family.
pub mod service;
// Survival: how long customers stay.
pub mod survival;
// Funnels family.
pub mod funnels;

#[cfg(test)]
pub mod pg_test {
    pub fn setup(_options: Vec<&str>) {}

    pub fn postgresql_conf_options() -> Vec<&'static str> {
        vec![]
    }
}

/// Every flat (in-place) aggregate state type, by its working-form byte: what the shared send,
/// equality, hash and ordering functions of the summary types need to read a working form that
/// escaped an aggregate (common::flat, which knows no family, gets it at load time).
pub const FLAT_TYPES: [(u8, common::flat_state::Canonicalize); 7] = {
    use common::flat_state::{canonical_of, FlatState};
    [
        (
            survey::state::NpsCounts::KIND,
            canonical_of::<survey::state::NpsCounts>,
        ),
        (
            survey::state::CsatCounts::KIND,
            canonical_of::<survey::state::CsatCounts>,
        ),
        (
            ratios::state::ShareCounts::KIND,
            canonical_of::<ratios::state::ShareCounts>,
        ),
        (
            pipeline::state::PipelineFlat::KIND,
            canonical_of::<pipeline::state::PipelineFlat>,
        ),
        (
            customers::state::PeriodFlat::KIND,
            canonical_of::<customers::state::PeriodFlat>,
        ),
        (
            clv::state::rfm_flat::RfmFlat::KIND,
            canonical_of::<clv::state::rfm_flat::RfmFlat>,
        ),
        (
            clv::state::rfm_flat::RfmCompact::KIND,
            canonical_of::<clv::state::rfm_flat::RfmCompact>,
        ),
    ]
};

// Schema `crm` exists before this script runs (Postgres makes it, or takes the one there). One
// owned by another role who is not a superuser could later add same-named functions that win
// over the extension's for users' calls (and run with the caller's rights), so it is refused.
extension_sql!(
    r#"DO $crm_owner$
DECLARE
    owner_name name;
BEGIN
    SELECT r.rolname INTO owner_name
    FROM pg_catalog.pg_namespace n JOIN pg_catalog.pg_roles r ON r.oid = n.nspowner
    WHERE n.nspname = 'crm';
    IF owner_name IS DISTINCT FROM current_user
       AND NOT (SELECT r.rolsuper FROM pg_catalog.pg_roles r WHERE r.rolname = owner_name) THEN
        RAISE EXCEPTION 'crm_metrics: schema crm is owned by role %, who could add functions that users'' calls would reach instead of the extension''s', owner_name
            USING ERRCODE = 'insufficient_privilege',
                  HINT = 'Drop the schema before CREATE EXTENSION crm_metrics, or make it owned by the role installing the extension (ALTER SCHEMA crm OWNER TO ...).';
    END IF;
END
$crm_owner$;
COMMENT ON SCHEMA crm IS 'crm_metrics: CRM metrics (NPS, CSAT, retention, churn, cohorts, CLV, pipeline, MRR) computed inside PostgreSQL';"#,
    name = "schema_comment",
    bootstrap
);

/// Schema `crm_internal`: the support functions of the aggregates and types of schema `crm`
/// (transition, combine, final, text and binary forms, comparison helpers), so `\df crm.*` lists
/// what users call. Aggregates, types and operators reach their support functions by OID: a role
/// granted USAGE on `crm` needs no privilege on this schema.
#[pg_schema]
mod crm_internal {}

extension_sql!(
    r#"COMMENT ON SCHEMA crm_internal IS 'crm_metrics: support functions of the aggregates and types in schema crm (not called by users)';"#,
    name = "internal_schema",
    requires = [crm_internal]
);

// Every SQL type of the extension (and schema crm_internal) exists before the raw functions'
// CREATE FUNCTIONs run: they require this entity (common::declare).
extension_sql!(
    "-- every SQL type of crm_metrics exists from here on",
    name = "types_declared",
    requires = [
        "internal_schema",
        "rfm_type",
        nps_summary,
        csat_state,
        customer_summary,
        customer_period_state,
        cohort_summary,
        bgnbd_model,
        gamma_gamma_model,
        sbg_model,
        bgbb_model,
        rfm_state,
        fit_rows,
        purchase_days,
        pipeline_summary,
        mrr_summary,
        service_summary,
        business_calendar,
        share_state,
        survival_summary,
        funnel_state,
        funnel_summary,
        "rfm_holdout_type",
        rfm_holdout_state,
    ]
);

// The hand-written SQL of the families (aggregates, operators, operator classes, comments) runs
// last, after every function it names: the finalize step of the install script.
crate::sql_entity! {
    name: "family_sql",
    sql: concat!(
        include_str!("../sql/survey.sql"),
        include_str!("../sql/customers.sql"),
        include_str!("../sql/cohorts.sql"),
        include_str!("../sql/clv.sql"),
        include_str!("../sql/bgbb.sql"),
        include_str!("../sql/pipeline.sql"),
        include_str!("../sql/ratios.sql"),
        include_str!("../sql/revenue.sql"),
        include_str!("../sql/service.sql"),
        include_str!("../sql/survival.sql"),
        include_str!("../sql/funnels.sql"),
    ),
    finalize: true,
    requires: [],
}

// Settings: crm.max_state_memory. Cancellation: long loops of the math
// check for interrupts through the hook installed here.
#[pg_guard]
pub extern "C-unwind" fn _PG_init() {
    common::guard::quiet_backtraces();
    common::settings::register_settings();
    common::flat::register_flat_types(&FLAT_TYPES);
    common::pg::install_interrupt_hook();
    common::postgres_zones::install();
}
