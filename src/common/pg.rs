//! pgrx glue shared by every family. Nothing here knows about a metric.
use super::error::{more_bytes, MetricError};
use pgrx::datum::{FromDatum, Internal};
use pgrx::prelude::*;
use pgrx::{pg_sys, PgMemoryContexts};

/// The SQLSTATE of `error`.
fn sqlstate(error: &MetricError) -> PgSqlErrorCode {
    match error {
        MetricError::OutOfRange(_) => PgSqlErrorCode::ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE,
        MetricError::InvalidParameter(_) => PgSqlErrorCode::ERRCODE_INVALID_PARAMETER_VALUE,
        MetricError::InvalidText(_) => PgSqlErrorCode::ERRCODE_INVALID_TEXT_REPRESENTATION,
        MetricError::DatetimeOverflow(_) => PgSqlErrorCode::ERRCODE_DATETIME_FIELD_OVERFLOW,
        MetricError::InvalidBinary(_) => PgSqlErrorCode::ERRCODE_INVALID_BINARY_REPRESENTATION,
        MetricError::LimitExceeded(_) => PgSqlErrorCode::ERRCODE_PROGRAM_LIMIT_EXCEEDED,
        MetricError::OutOfMemory(_) => PgSqlErrorCode::ERRCODE_OUT_OF_MEMORY,
        MetricError::Hinted { error, .. } => sqlstate(error),
    }
}

/// Reports `error` to the client as an ERROR with its SQLSTATE (and its hint, if any); never
/// returns.
pub fn raise(error: MetricError) -> ! {
    let code = sqlstate(&error);
    let message = in_database_encoding(error.report_message());
    if let Some(hint) = error.hint() {
        pgrx::pg_sys::panic::ErrorReport::new(code, message.clone(), "crm_metrics")
            .set_hint(in_database_encoding(hint.to_owned()))
            .report(PgLogLevel::ERROR);
    }
    ereport!(ERROR, code, message);
}

/// A message (UTF-8, and it may quote the user's text) as the database encoding can carry it:
/// unchanged in a UTF-8 database; elsewhere its non-ASCII characters escaped (`\u{e9}`), so
/// that the report is never text the encoding refuses (which would replace the error by an
/// encoding error) or mojibake.
fn in_database_encoding(message: String) -> String {
    if message.is_ascii() {
        return message;
    }
    if database_is_utf8() {
        return message;
    }
    message
        .chars()
        .map(|c| {
            if c.is_ascii() {
                c.to_string()
            } else {
                c.escape_unicode().to_string()
            }
        })
        .collect()
}

/// Whether the database's encoding is UTF-8.
fn database_is_utf8() -> bool {
    // SAFETY: reads the database encoding, set for the life of the backend.
    unsafe { pg_sys::GetDatabaseEncoding() == pg_sys::pg_enc::PG_UTF8 as i32 }
}

/// Raises the error for a NULL where Postgres promised a value (the argument of a STRICT
/// function); never returns.
#[cold]
pub fn null_value(message: &str) -> ! {
    let message = message.to_owned();
    ereport!(
        ERROR,
        PgSqlErrorCode::ERRCODE_NULL_VALUE_NOT_ALLOWED,
        message
    );
}

/// A count as a SQL bigint; 22003 naming `function` past the bigint range (a count never
/// saturates).
pub fn bigint(function: &str, count: u64) -> i64 {
    i64::try_from(count)
        .map_err(|_| MetricError::OutOfRange(format!("{function}: count {count} overflows bigint")))
        .or_raise()
}

/// Unwraps a metric result, raising the error as a Postgres ERROR.
pub trait OrRaise<T> {
    fn or_raise(self) -> T;
}

impl<T> OrRaise<T> for Result<T, MetricError> {
    #[inline]
    fn or_raise(self) -> T {
        match self {
            Ok(value) => value,
            Err(error) => raise(error),
        }
    }
}

/// The memory context that lives as long as the aggregate group of the current call.
///
/// # Safety
/// `fcinfo` must be the call info of the running function.
pub unsafe fn aggregate_memory_context(
    fcinfo: pg_sys::FunctionCallInfo,
    function: &str,
) -> pg_sys::MemoryContext {
    let mut context: pg_sys::MemoryContext = std::ptr::null_mut();
    // SAFETY: `fcinfo` is the running call's (this function's contract) and `context` is a
    // valid place for Postgres to write the context to.
    if unsafe { pg_sys::AggCheckCallContext(fcinfo, &mut context) } == 0 || context.is_null() {
        ereport!(
            ERROR,
            PgSqlErrorCode::ERRCODE_FEATURE_NOT_SUPPORTED,
            format!("{function} called outside of an aggregate")
        );
    }
    context
}

/// Moves `value` into the aggregate memory context of this call (dropped when that context is
/// reset or deleted) and returns a pointer to it.
///
/// # Safety
/// `fcinfo` must be the call info of an aggregate support function.
pub unsafe fn new_aggregate_state<T>(
    fcinfo: pg_sys::FunctionCallInfo,
    function: &str,
    value: T,
) -> *mut T {
    // SAFETY: `fcinfo` is the call info of an aggregate support function (this function's
    // contract).
    let context = unsafe { aggregate_memory_context(fcinfo, function) };
    PgMemoryContexts::For(context).leak_and_drop_on_delete(value)
}

/// The state behind an `internal` aggregate argument, or `None` when it was not created yet.
///
/// # Safety
/// `state` must hold a pointer made by this module for the same `T`.
#[inline(always)]
pub unsafe fn state_ref<'a, T>(state: &mut Internal) -> Option<&'a mut T> {
    // SAFETY: the pointer in `state` was made by this module for a `T` (this function's
    // contract), lives in a memory context that outlives the call, and nothing else borrows it
    // while the aggregate support function runs.
    let pointer: *mut T = unsafe { state.get_mut::<T>() }?;
    // SAFETY: `pointer` is the non-null `T` read above, valid and unborrowed for the call.
    Some(unsafe { &mut *pointer })
}

/// The state behind `state`, created with `init` in the aggregate memory context on first use.
/// The only call into Postgres happens at creation, so the per-row path stays in Rust.
///
/// # Safety
/// `fcinfo` must be the call info of an aggregate support function and `state` must hold a
/// pointer made by this module for the same `T`.
#[inline(always)]
pub unsafe fn state_or_init<'a, T>(
    state: &mut Internal,
    fcinfo: pg_sys::FunctionCallInfo,
    function: &str,
    init: impl FnOnce() -> T,
) -> &'a mut T {
    // SAFETY: this function's contract covers both calls; the new state is a valid, unique
    // `T` in the aggregate memory context.
    match unsafe { state_ref::<T>(state) } {
        Some(existing) => existing,
        // SAFETY: `fcinfo` is an aggregate support function's (this function's contract), so
        // the new state lives in the aggregate memory context and nothing else points to it.
        None => unsafe { &mut *new_aggregate_state(fcinfo, function, init()) },
    }
}

/// Wraps a state pointer as the `internal` datum an aggregate support function returns.
#[inline(always)]
pub fn internal_of<T>(state: &mut T) -> Internal {
    Internal::from(Some(pg_sys::Datum::from(state as *mut T)))
}

/// Largest varlena Postgres stores: 1 GB minus one byte, header included (`MaxAllocSize`).
const MAX_VARLENA_BYTES: usize = 0x3fff_ffff;

/// Copies `bytes` into a new `bytea`-shaped varlena in the current memory context; past
/// Postgres's 1 GB value limit, 54000 naming `type_name` (the SQL type of the value).
pub fn varlena_from_bytes(type_name: &str, bytes: &[u8]) -> pg_sys::Datum {
    let total = bytes.len().saturating_add(pg_sys::VARHDRSZ);
    let Some(total_i32) = i32::try_from(total)
        .ok()
        .filter(|_| total <= MAX_VARLENA_BYTES)
    else {
        ereport!(
            ERROR,
            PgSqlErrorCode::ERRCODE_PROGRAM_LIMIT_EXCEEDED,
            format!("{type_name}: a value of {total} bytes exceeds the 1 GB value limit")
        );
    };
    // SAFETY: palloc returns `total` writable bytes (or raises an ERROR); the header is set for
    // that length, and `bytes` fits after it.
    unsafe {
        let pointer = pg_sys::palloc(total) as *mut pg_sys::varlena;
        pgrx::set_varsize_4b(pointer, total_i32);
        std::ptr::copy_nonoverlapping(
            bytes.as_ptr(),
            (pointer as *mut u8).add(pg_sys::VARHDRSZ),
            bytes.len(),
        );
        pg_sys::Datum::from(pointer)
    }
}

/// Runs `read` over the payload of a (possibly toasted or short-header) varlena datum.
///
/// # Safety
/// `datum` must be a non-null varlena datum.
pub unsafe fn with_varlena_bytes<R>(datum: pg_sys::Datum, read: impl FnOnce(&[u8]) -> R) -> R {
    // SAFETY: `datum` is a non-null varlena (this function's contract); detoasting gives a
    // plain varlena whose payload is `length` readable bytes until it is freed below.
    unsafe {
        let original = datum.cast_mut_ptr::<pg_sys::varlena>();
        let detoasted = pg_sys::pg_detoast_datum_packed(original);
        let length = pgrx::varsize_any_exhdr(detoasted);
        let data = pgrx::vardata_any(detoasted) as *const u8;
        let result = read(std::slice::from_raw_parts(data, length));
        if detoasted != original {
            pg_sys::pfree(detoasted as *mut std::ffi::c_void);
        }
        result
    }
}

/// The longest option name [`TextArg::name`] reads: that of a time zone (Postgres's
/// `TZ_STRLEN_MAX`); every other name is shorter.
const LONGEST_NAME: usize = 255;

/// A `text` argument as its bytes in the database encoding. pgrx's `&str` raises a Rust panic
/// (XX000 with a backtrace) on text that is not UTF-8, which a LATIN1 or SQL_ASCII database
/// holds; ids are hashed by these bytes and names go through [`TextArg::name`].
#[derive(Clone, Copy, Debug)]
pub struct TextArg<'a>(pub &'a [u8]);

impl<'a> TextArg<'a> {
    /// The argument as an option name (period, time zone, denominator, mode). Names are
    /// ASCII, so text that is not UTF-8 cannot be one: 22023, the value shown by its bytes
    /// escaped. So is non-ASCII text of a database in another encoding, whose bytes may happen
    /// to be UTF-8 of other characters (LATIN1's `Ã©` is the UTF-8 of `é`), and text longer
    /// than any name (a zone name has at most 255 bytes), which is never copied whole into a
    /// message.
    pub fn name(self, function: &str, what: &str) -> Result<&'a str, MetricError> {
        std::str::from_utf8(self.0)
            .ok()
            .filter(|name| name.len() <= LONGEST_NAME && (name.is_ascii() || database_is_utf8()))
            .ok_or_else(|| {
                // At most 200 bytes of it shown: an argument of hundreds of megabytes would
                // be copied, escaped up to four times over, before the message is cut.
                let shown = &self.0[..self.0.len().min(200)];
                MetricError::InvalidParameter(format!(
                    "{function}: unknown {what} '{}'{}",
                    shown.escape_ascii(),
                    more_bytes(self.0.len() - shown.len())
                ))
            })
    }
}

impl FromDatum for TextArg<'_> {
    unsafe fn from_polymorphic_datum(
        datum: pg_sys::Datum,
        is_null: bool,
        typoid: pg_sys::Oid,
    ) -> Option<Self> {
        // SAFETY: a text datum is a varlena, which `&[u8]`'s conversion detoasts and borrows.
        unsafe { <&[u8] as FromDatum>::from_polymorphic_datum(datum, is_null, typoid) }.map(TextArg)
    }
}

// SAFETY: `TextArg` is read from a text argument with `FromDatum`, like pgrx's own `&str`.
unsafe impl<'fcx> pgrx::callconv::ArgAbi<'fcx> for TextArg<'fcx> {
    unsafe fn unbox_arg_unchecked(arg: pgrx::callconv::Arg<'_, 'fcx>) -> Self {
        let index = arg.index();
        // pgrx declares a function whose arguments are all non-`Option` STRICT, and one with an
        // `Option` argument is STRICT or refuses NULL itself; should a NULL still arrive, it is
        // an ERROR with a SQLSTATE, never a Rust panic.
        // SAFETY: pgrx passes the argument of a `text` parameter, which `FromDatum` above reads.
        unsafe { arg.unbox_arg_using_from_datum() }.unwrap_or_else(|| {
            null_value(&format!(
                "crm_metrics: text argument {} must not be NULL",
                index + 1
            ))
        })
    }

    unsafe fn unbox_nullable_arg(
        arg: pgrx::callconv::Arg<'_, 'fcx>,
    ) -> pgrx::nullable::Nullable<Self> {
        // SAFETY: as in `unbox_arg_unchecked`; a NULL becomes `Nullable::Null`.
        unsafe { arg.unbox_arg_using_from_datum() }.into()
    }
}

// SAFETY: the SQL type is `text`, whose datums `FromDatum` above reads.
unsafe impl pgrx::pgrx_sql_entity_graph::metadata::SqlTranslatable for TextArg<'_> {
    const TYPE_IDENT: &'static str = pgrx::pgrx_resolved_type!(TextArg);
    const TYPE_ORIGIN: pgrx::pgrx_sql_entity_graph::metadata::TypeOrigin =
        pgrx::pgrx_sql_entity_graph::metadata::TypeOrigin::External;
    const ARGUMENT_SQL: Result<
        pgrx::pgrx_sql_entity_graph::metadata::SqlMappingRef,
        pgrx::pgrx_sql_entity_graph::metadata::ArgumentError,
    > = Ok(pgrx::pgrx_sql_entity_graph::metadata::SqlMappingRef::literal("text"));
    const RETURN_SQL: Result<
        pgrx::pgrx_sql_entity_graph::metadata::ReturnsRef,
        pgrx::pgrx_sql_entity_graph::metadata::ReturnsError,
    > = Err(pgrx::pgrx_sql_entity_graph::metadata::ReturnsError::Datum);
}

// ---------------------------------------------------------------------------------------------
// Cancellation: the interrupt hook of the math's long loops.
// ---------------------------------------------------------------------------------------------

/// Postgres's `CHECK_FOR_INTERRUPTS()`: a pending cancel (statement_timeout, pg_cancel_backend,
/// a terminating backend) is raised here. pgrx's binding of `ProcessInterrupts` catches the
/// ERROR's longjmp and turns it into a Rust panic, so the frames of the loop that called this
/// unwind (their memory is freed) before the function's guard raises the ERROR again. Every
/// caller therefore runs under a pgrx guard: a `#[pg_extern]`, or a raw function's `guarded`.
fn check_for_interrupts() {
    pgrx::check_for_interrupts!();
}

/// Installs [`check_for_interrupts`] as the math's interrupt hook; called from `_PG_init`.
pub fn install_interrupt_hook() {
    super::interrupt::install(check_for_interrupts);
}
