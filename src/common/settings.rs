//! The extension's settings: `crm.max_state_memory`, the memory bound of growing aggregate
//! states, whose storage is the variable of `limits`.
use pgrx::pg_sys;

/// Declares the extension's settings; called once per backend from `_PG_init`.
pub fn register_settings() {
    use super::limits::{
        DEFAULT_MAX_STATE_MEMORY_KB, MAX_STATE_MEMORY_KB, MIN_MAX_STATE_MEMORY_KB,
    };
    // SAFETY: the name and descriptions are static C strings; the variable is a static
    // `AtomicI32` (the layout of a C `int`) that lives as long as the backend, which Postgres
    // writes on SET and the growth checks read.
    unsafe {
        pg_sys::DefineCustomIntVariable(
            c"crm.max_state_memory".as_ptr(),
            c"Most memory one growing aggregate state of crm_metrics may use.".as_ptr(),
            c"A state that keeps customers, cohorts, customer-months, ticket durations or model \
              inputs and would grow past this bound fails with SQLSTATE 54000 instead of \
              exhausting memory."
                .as_ptr(),
            MAX_STATE_MEMORY_KB.as_ptr(),
            DEFAULT_MAX_STATE_MEMORY_KB,
            MIN_MAX_STATE_MEMORY_KB,
            i32::MAX,
            pg_sys::GucContext::PGC_USERSET,
            pg_sys::GUC_UNIT_KB as i32,
            None,
            None,
            None,
        );
    }
}
