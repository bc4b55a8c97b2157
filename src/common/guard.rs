//! The guard every entry point Postgres calls runs under.
//!
//! A Rust panic that unwinds into Postgres's C frames cannot be caught there: the unwinder
//! reaches the end of the stack and the process aborts (`failed to initiate panic`), and the
//! postmaster then restarts every session. Inside this extension a panic is how an error
//! travels: `ereport!` at ERROR, a Postgres error caught at a pgrx FFI boundary (a palloc that
//! fails, timestamp arithmetic) and a pending cancel seen by `CHECK_FOR_INTERRUPTS` all unwind
//! as Rust panics. [`guard`] catches them at the entry point, after every Rust frame inside has
//! dropped what it held, and raises the original Postgres error from there.
//!
//! Every entry point is one of:
//! - a `#[pg_extern]` function (pgrx wraps it in its own guard);
//! - a raw V1 function made by [`crate::raw_transition!`], whose body the macro runs under
//!   [`guard`];
//! - a callback Postgres calls through a pointer (expanded-object methods, memory-context reset
//!   callbacks, a type's receive function), whose body starts with [`guard`].
//!
//! The catalog of the last two kinds is checked by a unit test that reads the sources
//! (`every_entry_point_is_guarded` in `src/common/guard_tests.rs`): an `extern "C"` or
//! `extern "C-unwind"` function defined outside that macro whose body does not start with
//! [`guard`] fails it. No path is exempt: the guard costs a `catch_unwind` landing pad, nothing
//! on the path that does not panic.
use pgrx::pg_sys;
use std::any::Any;
use std::panic::{catch_unwind, AssertUnwindSafe};

/// Runs `body` and returns its value; a panic inside it (a Postgres error in transit, a cancel,
/// a bug) is raised as a Postgres ERROR once `body`'s frames have unwound. Call it first thing
/// in every function Postgres calls directly.
#[inline(always)]
pub fn guard<R>(body: impl FnOnce() -> R) -> R {
    match catch_unwind(AssertUnwindSafe(body)) {
        Ok(value) => value,
        Err(payload) => raise_caught(payload),
    }
}

/// Raises a caught panic as the Postgres error it carries (the original SQLSTATE, message,
/// detail and hint of an error Postgres raised, a cancel's 57014 included), or as an internal
/// error for a plain Rust panic. Never returns: the ERROR longjmps to Postgres's handler,
/// whose frames are all C.
#[cold]
#[inline(never)]
fn raise_caught(payload: Box<dyn Any + Send>) -> ! {
    // SAFETY: pgrx's guard catches the resumed panic, turns its payload back into the error
    // report it carries and raises that with `ereport(ERROR)`, which does not return. Nothing
    // is held here that needs dropping.
    unsafe {
        pg_sys::submodules::panic::pgrx_extern_c_guard(move || -> () {
            std::panic::resume_unwind(payload)
        })
    };
    // An error report below ERROR would come back here; this extension raises none.
    std::process::abort()
}

/// Stops the Rust standard library from capturing backtraces in this backend: pgrx's panic
/// hook would otherwise attach one (the `RUST_BACKTRACE` of the server's environment decides)
/// to the DETAIL of every error that crosses a guard, a cancel included, where a built-in
/// function reports only its message. Called from `_PG_init`, before any panic.
pub fn quiet_backtraces() {
    // Backends are single-threaded processes; the standard library reads this variable once,
    // at the first capture, which has not happened yet in this library.
    std::env::set_var("RUST_LIB_BACKTRACE", "0");
}
