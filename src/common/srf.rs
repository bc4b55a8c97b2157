//! Set-returning raw V1 functions in materialize mode: the rows go straight into the
//! tuplestore the executor reads.
//!
//! A `#[pg_extern]` returning a `TableIterator` answers one row per call (value-per-call): per
//! row a function call, a heap tuple formed, then taken apart again and copied into the
//! function scan's own tuplestore. For a function that returns a million rows (a survival
//! curve) that is most of the server's time. [`MaterializedRows`] forms each row once, as the
//! minimal tuple the tuplestore keeps, inside the one call of a raw function
//! ([`crate::raw_transition!`], so under the guard).
use pgrx::pg_sys;

/// The result set of the running call of a set-returning raw V1 function, in materialize mode.
pub struct MaterializedRows<const N: usize> {
    store: *mut pg_sys::Tuplestorestate,
    descriptor: pg_sys::TupleDesc,
}

impl<const N: usize> MaterializedRows<N> {
    /// Starts the result set of `fcinfo`'s call: the row type is the function's declared result
    /// (`N` columns), the tuplestore lives in the query's memory and spills to disk past
    /// `work_mem`. 0A000 when the caller cannot take a materialized set (Postgres's message).
    ///
    /// # Safety
    /// `fcinfo` must be the call info of the running function, declared in SQL as returning a
    /// set of a row type with `N` columns.
    pub unsafe fn begin(fcinfo: pg_sys::FunctionCallInfo, function: &str) -> Self {
        // SAFETY: `fcinfo` is the running call's (this function's contract); `resultinfo` is
        // NULL or a node, and a `ReturnSetInfo` node when its tag says so.
        unsafe {
            let info = (*fcinfo).resultinfo as *mut pg_sys::ReturnSetInfo;
            if info.is_null()
                || !pgrx::is_a(info as *mut pg_sys::Node, pg_sys::NodeTag::T_ReturnSetInfo)
            {
                refuse(
                    pgrx::PgSqlErrorCode::ERRCODE_FEATURE_NOT_SUPPORTED,
                    function,
                    "set-valued function called in context that cannot accept a set",
                );
            }
            let modes = (*info).allowedModes;
            if modes & pg_sys::SetFunctionReturnMode::SFRM_Materialize as i32 == 0 {
                refuse(
                    pgrx::PgSqlErrorCode::ERRCODE_FEATURE_NOT_SUPPORTED,
                    function,
                    "materialize mode required, but it is not allowed in this context",
                );
            }
            let query_memory = (*(*info).econtext).ecxt_per_query_memory;
            let previous = pg_sys::MemoryContextSwitchTo(query_memory);
            let mut declared: pg_sys::TupleDesc = std::ptr::null_mut();
            let kind = pg_sys::get_call_result_type(fcinfo, std::ptr::null_mut(), &mut declared);
            if kind != pg_sys::TypeFuncClass::TYPEFUNC_COMPOSITE
                || declared.is_null()
                || (*declared).natts as usize != N
            {
                pg_sys::MemoryContextSwitchTo(previous);
                refuse(
                    pgrx::PgSqlErrorCode::ERRCODE_DATATYPE_MISMATCH,
                    function,
                    "the declared result is not a row of the columns this function returns",
                );
            }
            let descriptor = pg_sys::CreateTupleDescCopy(declared);
            let random = modes & pg_sys::SetFunctionReturnMode::SFRM_Materialize_Random as i32 != 0;
            let store = pg_sys::tuplestore_begin_heap(random, false, pg_sys::work_mem);
            (*info).returnMode = pg_sys::SetFunctionReturnMode::SFRM_Materialize;
            (*info).setResult = store;
            (*info).setDesc = descriptor;
            pg_sys::MemoryContextSwitchTo(previous);
            MaterializedRows { store, descriptor }
        }
    }

    /// Appends one row: `values[i]` is column `i`'s datum (ignored where `nulls[i]`); datums
    /// passed by reference need only live for this call (the row is copied).
    pub fn push(&mut self, values: &[pg_sys::Datum; N], nulls: &[bool; N]) {
        // SAFETY: `store` and `descriptor` were made by `begin` in the query's memory and the
        // descriptor has `N` columns; `tuplestore_putvalues` copies the row (a by-reference
        // datum is read, not kept) and does not write through the pointers it is given.
        unsafe {
            pg_sys::tuplestore_putvalues(
                self.store,
                self.descriptor,
                values.as_ptr() as *mut pg_sys::Datum,
                nulls.as_ptr() as *mut bool,
            )
        }
    }

    /// The function's return value once every row is in: in materialize mode the result is
    /// the tuplestore, and the datum itself is unused.
    pub fn finish(self) -> pg_sys::Datum {
        pg_sys::Datum::from(0usize)
    }
}

/// Raises `code` with Postgres's own message for a set-returning function called where its
/// rows cannot go.
#[cold]
fn refuse(code: pgrx::PgSqlErrorCode, function: &str, message: &str) -> ! {
    pgrx::ereport!(ERROR, code, format!("{function}: {message}"));
}
