//! Raw V1 functions: their argument, state and return helpers.
//!
//! A `#[pg_extern]` wrapper costs about 40 ns per call (memory-context switch, argument
//! iterator, result boxing), more than a counting aggregate's whole per-row budget. The per-row
//! transition functions of the simplest aggregates, and the support functions of the state
//! types, are therefore plain V1 C functions declared with `raw_transition!` (common::declare):
//! they read their arguments straight from `fcinfo`. The macro runs every body under the guard
//! (`common::guard`), so a body may raise errors, check for interrupts and allocate like any Rust
//! code: whatever it holds is dropped while the error unwinds to the guard. A moving-aggregate
//! transition always returns a state (`raw_state` + `raw_return_state`), even for a row it
//! skips: Postgres refuses a NULL moving state.
use super::error::MetricError;
use super::pg::{new_aggregate_state, raise};
use pgrx::pg_sys;

/// Argument `index` of a V1 call, `None` when NULL.
///
/// # Safety
/// `fcinfo` must be a valid call info with more than `index` arguments.
#[inline(always)]
pub unsafe fn raw_arg(fcinfo: pg_sys::FunctionCallInfo, index: usize) -> Option<pg_sys::Datum> {
    // SAFETY: `fcinfo` has more than `index` arguments (this function's contract).
    let argument = unsafe { pgrx::fcinfo::pg_get_nullable_datum(fcinfo, index) };
    (!argument.isnull).then_some(argument.value)
}

/// Arguments of a strict V1 function, all present.
///
/// # Safety
/// `fcinfo` must be a valid call info with at least `N` arguments.
pub unsafe fn raw_strict_arguments<const N: usize>(
    fcinfo: pg_sys::FunctionCallInfo,
) -> Option<[pg_sys::Datum; N]> {
    let mut arguments = [pg_sys::Datum::from(0usize); N];
    for (index, slot) in arguments.iter_mut().enumerate() {
        // SAFETY: `index` < `N`, and the call has at least `N` arguments (this function's
        // contract).
        *slot = unsafe { raw_arg(fcinfo, index) }?;
    }
    Some(arguments)
}

/// Returns SQL NULL from a V1 function.
///
/// # Safety
/// `fcinfo` must be the call info of the running function.
pub unsafe fn raw_return_null(fcinfo: pg_sys::FunctionCallInfo) -> pg_sys::Datum {
    // SAFETY: `fcinfo` is the running call's, valid for writes (this function's contract).
    unsafe { (*fcinfo).isnull = true };
    pg_sys::Datum::from(0usize)
}

/// The `internal` state in argument 0 of a raw transition function, created with `init` in the
/// aggregate memory context on the first call.
///
/// # Safety
/// `fcinfo` must be the call info of an aggregate transition function whose state is a `T`
/// made by this module.
#[inline(always)]
pub unsafe fn raw_state<'a, T>(
    fcinfo: pg_sys::FunctionCallInfo,
    function: &'static str,
    init: fn() -> T,
) -> &'a mut T {
    // SAFETY: argument 0 of a transition function is its state: NULL on the first call, then the
    // `T` this function made in the aggregate memory context (this function's contract), which
    // nothing else borrows during the call.
    match unsafe { raw_arg(fcinfo, 0) } {
        // SAFETY: a non-null state is the `T` made by `raw_new_state` on an earlier row.
        Some(datum) if !datum.is_null() => unsafe { &mut *datum.cast_mut_ptr::<T>() },
        // SAFETY: `fcinfo` is a transition function's; the new `T` is unique and lives in the
        // aggregate memory context.
        _ => unsafe { &mut *raw_new_state(fcinfo, function, init) },
    }
}

/// Creates the state of a raw transition function in the aggregate memory context.
///
/// # Safety
/// `fcinfo` must be the call info of an aggregate transition function.
#[cold]
#[inline(never)]
unsafe fn raw_new_state<T>(
    fcinfo: pg_sys::FunctionCallInfo,
    function: &'static str,
    init: fn() -> T,
) -> *mut T {
    // SAFETY: `fcinfo` is an aggregate transition function's (this function's contract).
    unsafe { new_aggregate_state(fcinfo, function, init()) }
}

/// `error` of a support function several aggregates share (a combine function), named after
/// the extension's aggregate that runs it when that is not the one the shared code names
/// (`crm.nps_agg` or `crm.rollup`, not `crm.nps`), or after the support function itself when
/// it is called outside an aggregate (`crm_internal.service_share_combine`). The catalog is read
/// only here, on the way to an ERROR.
///
/// # Safety
/// `fcinfo` must be the call info of the running function.
pub unsafe fn named_for_running_aggregate(
    fcinfo: pg_sys::FunctionCallInfo,
    error: MetricError,
) -> MetricError {
    // SAFETY: the running call's info; `AggGetAggref` returns NULL outside an aggregate and in
    // a window aggregate, `AggCheckCallContext` only reads the call's context.
    let function = unsafe {
        let aggref = pg_sys::AggGetAggref(fcinfo);
        if !aggref.is_null() {
            (*aggref).aggfnoid
        } else if pg_sys::AggCheckCallContext(fcinfo, std::ptr::null_mut())
            == pg_sys::AGG_CONTEXT_WINDOW as i32
        {
            // A window aggregate: the crm aggregate of its window clause, when there is one
            // name to give; else the name the shared code gave (never the support function's).
            match window_aggregate(fcinfo) {
                Some(function) => function,
                None => return error,
            }
        } else if !(*fcinfo).flinfo.is_null() {
            (*(*fcinfo).flinfo).fn_oid
        } else {
            return error;
        }
    };
    match qualified_crm_name(function) {
        Some(running) if error.function().is_some_and(|named| named != running) => {
            error.renamed(&running)
        }
        _ => error,
    }
}

/// `schema.name` of function `function` when its schema is `crm` or `crm_internal`.
fn qualified_crm_name(function: pg_sys::Oid) -> Option<String> {
    // SAFETY: the catalog lookups return NULL or palloc'd NUL-terminated strings.
    let (schema, name) = unsafe {
        let schema = pg_sys::get_namespace_name(pg_sys::get_func_namespace(function));
        let name = pg_sys::get_func_name(function);
        if schema.is_null() || name.is_null() {
            return None;
        }
        (
            std::ffi::CStr::from_ptr(schema).to_string_lossy(),
            std::ffi::CStr::from_ptr(name).to_string_lossy(),
        )
    };
    (schema == "crm" || schema == "crm_internal").then(|| format!("{schema}.{name}"))
}

/// The crm aggregate a support function runs for as a window aggregate: the window clause's
/// aggregates when they are all in schema `crm` and have one name (`crm.rollup` over summaries
/// of several types included), else `None` (an aggregate of another schema may be the one
/// running, built on the extension's support functions).
///
/// # Safety
/// `fcinfo` must be the call info of the running function.
unsafe fn window_aggregate(fcinfo: pg_sys::FunctionCallInfo) -> Option<pg_sys::Oid> {
    // SAFETY: a window aggregate's context is its WindowAggState, whose `funcs` lists the
    // WindowFuncExprStates of the clause (a List of pointers) for the life of the query.
    unsafe {
        let context = (*fcinfo).context;
        if context.is_null() || (*context).type_ != pg_sys::NodeTag::T_WindowAggState {
            return None;
        }
        let funcs = (*context.cast::<pg_sys::WindowAggState>()).funcs;
        if funcs.is_null() {
            return None;
        }
        let mut found: Option<(pg_sys::Oid, String)> = None;
        for index in 0..usize::try_from((*funcs).length).ok()? {
            let state = (*(*funcs).elements.add(index))
                .ptr_value
                .cast::<pg_sys::WindowFuncExprState>();
            let call = if state.is_null() {
                continue;
            } else {
                (*state).wfunc
            };
            if call.is_null() || !(*call).winagg {
                continue;
            }
            let name = qualified_crm_name((*call).winfnoid).filter(|n| n.starts_with("crm."))?;
            match &found {
                None => found = Some(((*call).winfnoid, name)),
                Some((_, seen)) if *seen == name => {}
                Some(_) => return None,
            }
        }
        found.map(|(function, _)| function)
    }
}

/// Raises the error `make` builds, from a raw function: the error unwinds to the function's
/// guard, which raises it as a Postgres ERROR.
#[cold]
#[inline(never)]
pub fn raise_from_raw(make: impl FnOnce() -> MetricError) -> ! {
    raise(make())
}

/// Returns the state pointer from a raw transition function.
///
/// # Safety
/// `fcinfo` must be the call info of the running function.
#[inline(always)]
pub unsafe fn raw_return_state<T>(
    fcinfo: pg_sys::FunctionCallInfo,
    state: &mut T,
) -> pg_sys::Datum {
    // SAFETY: `fcinfo` is the running call's, valid for writes (this function's contract).
    unsafe { (*fcinfo).isnull = false };
    pg_sys::Datum::from(state as *mut T)
}

/// Returns argument 0 (the state, possibly NULL) unchanged from a raw transition function.
/// Only for aggregates without moving-aggregate support: a moving transition must always
/// return a state ([`raw_return_state`]).
///
/// # Safety
/// `fcinfo` must be the call info of the running function.
#[inline(always)]
pub unsafe fn raw_return_unchanged(fcinfo: pg_sys::FunctionCallInfo) -> pg_sys::Datum {
    // SAFETY: argument 0 exists in every transition function's call info.
    let argument = unsafe { pgrx::fcinfo::pg_get_nullable_datum(fcinfo, 0) };
    // SAFETY: `fcinfo` is the running function's call info (the caller's contract).
    unsafe { (*fcinfo).isnull = argument.isnull };
    argument.value
}
