//! The extension's settings: `crm.max_state_memory`, the memory bound of growing aggregate
//! states, whose storage is the variable of `limits`, and `crm.huge_pages`, the huge-page hint
//! of the allocator (`alloc`).
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
    // SAFETY: as above; the variable is a static `AtomicBool` (the layout of a C `bool`).
    unsafe {
        pg_sys::DefineCustomBoolVariable(
            c"crm.huge_pages".as_ptr(),
            c"Whether crm_metrics asks the kernel for huge pages for its large working memory."
                .as_ptr(),
            c"Blocks of 2 MB and more that summaries and aggregate states allocate are marked \
              for transparent huge pages (madvise), which saves most of their page faults. \
              Turn off where the kernel's compaction for such memory is unwanted."
                .as_ptr(),
            super::alloc::HUGE_PAGES.as_ptr(),
            true,
            pg_sys::GucContext::PGC_USERSET,
            0,
            None,
            None,
            None,
        );
    }
}
