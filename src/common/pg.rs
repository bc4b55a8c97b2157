//! pgrx glue shared by every family. Nothing here knows about a metric.
use super::error::MetricError;
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
    if let Some(hint) = error.hint() {
        pgrx::pg_sys::panic::ErrorReport::new(code, error.report_message(), "crm_metrics")
            .set_hint(hint)
            .report(PgLogLevel::ERROR);
    }
    ereport!(ERROR, code, error.report_message());
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

/// Copies `bytes` into a new `bytea`-shaped varlena in the current memory context.
pub fn varlena_from_bytes(bytes: &[u8]) -> pg_sys::Datum {
    let total = bytes.len().saturating_add(pg_sys::VARHDRSZ);
    let Some(total_i32) = i32::try_from(total)
        .ok()
        .filter(|_| total <= MAX_VARLENA_BYTES)
    else {
        ereport!(
            ERROR,
            PgSqlErrorCode::ERRCODE_PROGRAM_LIMIT_EXCEEDED,
            format!("crm_metrics: a summary of {total} bytes exceeds the 1 GB value limit")
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

/// A `text` argument as its bytes in the database encoding. pgrx's `&str` raises a Rust panic
/// (XX000 with a backtrace) on text that is not UTF-8, which a LATIN1 or SQL_ASCII database
/// holds; ids are hashed by these bytes and names go through [`TextArg::name`].
#[derive(Clone, Copy, Debug)]
pub struct TextArg<'a>(pub &'a [u8]);

impl<'a> TextArg<'a> {
    /// The argument as an option name (period, time zone, denominator, mode). Names are
    /// ASCII, so text that is not UTF-8 cannot be one: 22023, the value shown escaped.
    pub fn name(self, function: &str, what: &str) -> Result<&'a str, MetricError> {
        std::str::from_utf8(self.0).map_err(|_| {
            MetricError::InvalidParameter(format!(
                "{function}: unknown {what} '{}'",
                self.0.escape_ascii()
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

/// A summary value that is also a SQL type (`crm.<family>_summary`): a versioned binary form
/// for storage and a readable text form for dumps and humans.
/// `encode` and `to_text` take `&mut self` so a summary may normalize itself (sort, merge)
/// before writing; the canonical form is the same whatever order rows arrived in.
pub trait SummaryType: Sized + Clone {
    fn encode(&mut self) -> Vec<u8>;
    fn decode(bytes: &[u8]) -> Result<Self, MetricError>;
    fn to_text(&mut self) -> String;
    fn from_text(text: &str) -> Result<Self, MetricError>;
}

/// Makes a `#[derive(PostgresType)]` wrapper struct `$name($inner)` (declared with
/// `#[bikeshed_postgres_type_manually_impl_from_into_datum]` and `#[inoutfuncs]`) store itself
/// with the inner type's `encode`/`decode` and `to_text`/`from_text` instead of pgrx's default
/// CBOR.
#[macro_export]
macro_rules! summary_type {
    ($name:ident($inner:ty)) => {
        impl $crate::common::pg::SummaryType for $name {
            fn encode(&mut self) -> Vec<u8> {
                self.0.encode()
            }
            fn decode(bytes: &[u8]) -> $crate::common::error::MetricResult<Self> {
                <$inner>::decode(bytes).map($name)
            }
            fn to_text(&mut self) -> String {
                self.0.to_text()
            }
            fn from_text(text: &str) -> $crate::common::error::MetricResult<Self> {
                <$inner>::from_text(text).map($name)
            }
        }

        impl ::pgrx::inoutfuncs::InOutFuncs for $name {
            fn input(input: &::core::ffi::CStr) -> Self {
                use $crate::common::pg::{OrRaise, SummaryType};
                let text = input.to_str().map_err(|_| {
                    $crate::common::error::MetricError::InvalidText(format!(
                        "crm.{}: input is not valid UTF-8",
                        stringify!($name)
                    ))
                });
                <$name as SummaryType>::from_text(text.or_raise()).or_raise()
            }

            fn output(&self, buffer: &mut ::pgrx::StringInfo) {
                let mut copy = self.clone();
                buffer.push_str(&<$name as $crate::common::pg::SummaryType>::to_text(
                    &mut copy,
                ));
            }
        }

        impl ::pgrx::datum::IntoDatum for $name {
            fn into_datum(mut self) -> Option<::pgrx::pg_sys::Datum> {
                let bytes = <$name as $crate::common::pg::SummaryType>::encode(&mut self);
                Some($crate::common::pg::varlena_from_bytes(&bytes))
            }

            fn type_oid() -> ::pgrx::pg_sys::Oid {
                ::pgrx::wrappers::rust_regtypein::<Self>()
            }
        }

        impl ::pgrx::datum::FromDatum for $name {
            unsafe fn from_polymorphic_datum(
                datum: ::pgrx::pg_sys::Datum,
                is_null: bool,
                _typoid: ::pgrx::pg_sys::Oid,
            ) -> Option<Self> {
                use $crate::common::pg::{OrRaise, SummaryType};
                if is_null {
                    return None;
                }
                // SAFETY: a non-null datum of this type is a varlena made by `into_datum`.
                let decoded = unsafe {
                    $crate::common::pg::with_varlena_bytes(datum, <$name as SummaryType>::decode)
                };
                Some(decoded.or_raise())
            }
        }

        // SAFETY: `box_into` returns either NULL or the varlena `into_datum` made of this type,
        // the function's declared return type.
        unsafe impl ::pgrx::callconv::BoxRet for $name {
            unsafe fn box_into<'fcx>(
                self,
                fcinfo: &mut ::pgrx::callconv::FcInfo<'fcx>,
            ) -> ::pgrx::datum::Datum<'fcx> {
                match ::pgrx::datum::IntoDatum::into_datum(self) {
                    None => fcinfo.return_null(),
                    // SAFETY: `datum` is a varlena of this function's return type, palloc'd in
                    // the current memory context.
                    Some(datum) => unsafe { fcinfo.return_raw_datum(datum) },
                }
            }
        }

        // SAFETY: `unbox` decodes a copy (`Self` borrows nothing from the datum), validating it
        // as `decode` does; a malformed datum is an ERROR, never undefined behavior.
        unsafe impl ::pgrx::datum::UnboxDatum for $name {
            type As<'dat>
                = Self
            where
                Self: 'dat;
            unsafe fn unbox<'dat>(datum: ::pgrx::datum::Datum<'dat>) -> Self::As<'dat>
            where
                Self: 'dat,
            {
                use $crate::common::pg::{OrRaise, SummaryType};
                // SAFETY: pgrx unboxes only non-null datums of this type: varlenas made by
                // `into_datum`.
                unsafe {
                    $crate::common::pg::with_varlena_bytes(
                        datum.sans_lifetime(),
                        <$name as SummaryType>::decode,
                    )
                }
                .or_raise()
            }
        }

        // SAFETY: arguments are read with `FromDatum` above (a decoded copy); a NULL where a
        // value is required is an ERROR with a SQLSTATE, never a Rust panic.
        unsafe impl<'fcx> ::pgrx::callconv::ArgAbi<'fcx> for $name {
            unsafe fn unbox_arg_unchecked(arg: ::pgrx::callconv::Arg<'_, 'fcx>) -> Self {
                let index = arg.index();
                // SAFETY: pgrx passes an argument declared with this type.
                match unsafe { arg.unbox_arg_using_from_datum() } {
                    Some(value) => value,
                    None => $crate::common::pg::null_value(&format!(
                        "{}: argument {index} must not be NULL",
                        stringify!($name)
                    )),
                }
            }
        }

        // The type's support functions in SQL: its text functions (pgrx declares them beside the
        // type) moved to crm_internal; the binary receive function `crm_<type>_recv` below and
        // the send, equality, hash and order functions every type shares (`crm_summary_*`);
        // the operators = <> < <= > >= and the default hash and btree operator classes.
        $crate::sql_entity! {
            name: concat!("summary type ", stringify!($name)),
            sql: concat!(
                "CREATE FUNCTION crm_internal.", stringify!($name), "_recv(internal) RETURNS crm.", stringify!($name), "\n",
                "    IMMUTABLE STRICT PARALLEL SAFE LANGUAGE c AS 'MODULE_PATHNAME', 'crm_", stringify!($name), "_recv';\n",
                "CREATE FUNCTION crm_internal.", stringify!($name), "_send(crm.", stringify!($name), ") RETURNS bytea\n",
                "    IMMUTABLE STRICT PARALLEL SAFE LANGUAGE c AS 'MODULE_PATHNAME', '", stringify!(crm_summary_send), "';\n",
                "ALTER TYPE crm.", stringify!($name), " SET (RECEIVE = crm_internal.", stringify!($name), "_recv, SEND = crm_internal.", stringify!($name), "_send);\n",
                "COMMENT ON FUNCTION crm_internal.", stringify!($name), "_recv(internal) IS\n",
                "    'Binary receive function of crm.", stringify!($name), ": reads and validates the binary form';\n",
                "COMMENT ON FUNCTION crm_internal.", stringify!($name), "_send(crm.", stringify!($name), ") IS\n",
                "    'Binary send function of crm.", stringify!($name), ": the stored binary form';\n",
                "ALTER FUNCTION crm.", stringify!($name), "_in(cstring) SET SCHEMA crm_internal;\n",
                "ALTER FUNCTION crm.", stringify!($name), "_out(crm.", stringify!($name), ") SET SCHEMA crm_internal;\n",
                "COMMENT ON FUNCTION crm_internal.", stringify!($name), "_in(cstring) IS 'Text input of crm.", stringify!($name), ".';\n",
                "COMMENT ON FUNCTION crm_internal.", stringify!($name), "_out(crm.", stringify!($name), ") IS 'Text output of crm.", stringify!($name), ".';\n",
                "CREATE FUNCTION crm_internal.", stringify!($name), "_eq(crm.", stringify!($name), ", crm.", stringify!($name), ") RETURNS boolean\n",
                "    IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF LANGUAGE c AS 'MODULE_PATHNAME', '", stringify!(crm_summary_eq), "';\n",
                "CREATE FUNCTION crm_internal.", stringify!($name), "_ne(crm.", stringify!($name), ", crm.", stringify!($name), ") RETURNS boolean\n",
                "    IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF LANGUAGE c AS 'MODULE_PATHNAME', '", stringify!(crm_summary_ne), "';\n",
                "CREATE FUNCTION crm_internal.", stringify!($name), "_hash(crm.", stringify!($name), ") RETURNS integer\n",
                "    IMMUTABLE STRICT PARALLEL SAFE LANGUAGE c AS 'MODULE_PATHNAME', '", stringify!(crm_summary_hash), "';\n",
                "CREATE FUNCTION crm_internal.", stringify!($name), "_hash_extended(crm.", stringify!($name), ", bigint) RETURNS bigint\n",
                "    IMMUTABLE STRICT PARALLEL SAFE LANGUAGE c AS 'MODULE_PATHNAME', '", stringify!(crm_summary_hash_extended), "';\n",
                "CREATE OPERATOR crm.= (\n",
                "    LEFTARG = crm.", stringify!($name), ", RIGHTARG = crm.", stringify!($name), ", FUNCTION = crm_internal.", stringify!($name), "_eq,\n",
                "    COMMUTATOR = OPERATOR(crm.=), NEGATOR = OPERATOR(crm.<>),\n",
                "    RESTRICT = eqsel, JOIN = eqjoinsel, HASHES\n",
                ");\n",
                "CREATE OPERATOR crm.<> (\n",
                "    LEFTARG = crm.", stringify!($name), ", RIGHTARG = crm.", stringify!($name), ", FUNCTION = crm_internal.", stringify!($name), "_ne,\n",
                "    COMMUTATOR = OPERATOR(crm.<>), NEGATOR = OPERATOR(crm.=),\n",
                "    RESTRICT = neqsel, JOIN = neqjoinsel\n",
                ");\n",
                "CREATE OPERATOR CLASS crm.", stringify!($name), "_hash_ops DEFAULT FOR TYPE crm.", stringify!($name), " USING hash AS\n",
                "    OPERATOR 1 crm.= (crm.", stringify!($name), ", crm.", stringify!($name), "),\n",
                "    FUNCTION 1 crm_internal.", stringify!($name), "_hash(crm.", stringify!($name), "),\n",
                "    FUNCTION 2 crm_internal.", stringify!($name), "_hash_extended(crm.", stringify!($name), ", bigint);\n",
                "COMMENT ON FUNCTION crm_internal.", stringify!($name), "_eq(crm.", stringify!($name), ", crm.", stringify!($name), ") IS\n",
                "    'Whether two crm.", stringify!($name), " values have the same binary form (operator =)';\n",
                "COMMENT ON FUNCTION crm_internal.", stringify!($name), "_ne(crm.", stringify!($name), ", crm.", stringify!($name), ") IS\n",
                "    'Whether two crm.", stringify!($name), " values have different binary forms (operator <>)';\n",
                "COMMENT ON FUNCTION crm_internal.", stringify!($name), "_hash(crm.", stringify!($name), ") IS\n",
                "    'Hash of the binary form of a crm.", stringify!($name), " (hash operator class)';\n",
                "COMMENT ON FUNCTION crm_internal.", stringify!($name), "_hash_extended(crm.", stringify!($name), ", bigint) IS\n",
                "    'Seeded 64-bit hash of the binary form of a crm.", stringify!($name), " (hash operator class)';\n",
                "COMMENT ON OPERATOR crm.= (crm.", stringify!($name), ", crm.", stringify!($name), ") IS\n",
                "    'Equal crm.", stringify!($name), " values: the same binary form';\n",
                "COMMENT ON OPERATOR crm.<> (crm.", stringify!($name), ", crm.", stringify!($name), ") IS\n",
                "    'Different crm.", stringify!($name), " values: different binary forms';\n",
                "COMMENT ON OPERATOR CLASS crm.", stringify!($name), "_hash_ops USING hash IS\n",
                "    'Default hash operator class of crm.", stringify!($name), " (DISTINCT, GROUP BY, UNION, IN, hash joins)';\n",
                "COMMENT ON OPERATOR FAMILY crm.", stringify!($name), "_hash_ops USING hash IS\n",
                "    'Hash operator family of crm.", stringify!($name), "';\n",
                "CREATE FUNCTION crm_internal.", stringify!($name), "_lt(crm.", stringify!($name), ", crm.", stringify!($name), ") RETURNS boolean\n",
                "    IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF LANGUAGE c AS 'MODULE_PATHNAME', '", stringify!(crm_summary_lt), "';\n",
                "CREATE FUNCTION crm_internal.", stringify!($name), "_le(crm.", stringify!($name), ", crm.", stringify!($name), ") RETURNS boolean\n",
                "    IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF LANGUAGE c AS 'MODULE_PATHNAME', '", stringify!(crm_summary_le), "';\n",
                "CREATE FUNCTION crm_internal.", stringify!($name), "_gt(crm.", stringify!($name), ", crm.", stringify!($name), ") RETURNS boolean\n",
                "    IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF LANGUAGE c AS 'MODULE_PATHNAME', '", stringify!(crm_summary_gt), "';\n",
                "CREATE FUNCTION crm_internal.", stringify!($name), "_ge(crm.", stringify!($name), ", crm.", stringify!($name), ") RETURNS boolean\n",
                "    IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF LANGUAGE c AS 'MODULE_PATHNAME', '", stringify!(crm_summary_ge), "';\n",
                "CREATE FUNCTION crm_internal.", stringify!($name), "_cmp(crm.", stringify!($name), ", crm.", stringify!($name), ") RETURNS integer\n",
                "    IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF LANGUAGE c AS 'MODULE_PATHNAME', '", stringify!(crm_summary_cmp), "';\n",
                "CREATE OPERATOR crm.< (\n",
                "    LEFTARG = crm.", stringify!($name), ", RIGHTARG = crm.", stringify!($name), ", FUNCTION = crm_internal.", stringify!($name), "_lt,\n",
                "    COMMUTATOR = OPERATOR(crm.>), NEGATOR = OPERATOR(crm.>=),\n",
                "    RESTRICT = scalarltsel, JOIN = scalarltjoinsel\n",
                ");\n",
                "CREATE OPERATOR crm.<= (\n",
                "    LEFTARG = crm.", stringify!($name), ", RIGHTARG = crm.", stringify!($name), ", FUNCTION = crm_internal.", stringify!($name), "_le,\n",
                "    COMMUTATOR = OPERATOR(crm.>=), NEGATOR = OPERATOR(crm.>),\n",
                "    RESTRICT = scalarlesel, JOIN = scalarlejoinsel\n",
                ");\n",
                "CREATE OPERATOR crm.> (\n",
                "    LEFTARG = crm.", stringify!($name), ", RIGHTARG = crm.", stringify!($name), ", FUNCTION = crm_internal.", stringify!($name), "_gt,\n",
                "    COMMUTATOR = OPERATOR(crm.<), NEGATOR = OPERATOR(crm.<=),\n",
                "    RESTRICT = scalargtsel, JOIN = scalargtjoinsel\n",
                ");\n",
                "CREATE OPERATOR crm.>= (\n",
                "    LEFTARG = crm.", stringify!($name), ", RIGHTARG = crm.", stringify!($name), ", FUNCTION = crm_internal.", stringify!($name), "_ge,\n",
                "    COMMUTATOR = OPERATOR(crm.<=), NEGATOR = OPERATOR(crm.<),\n",
                "    RESTRICT = scalargesel, JOIN = scalargejoinsel\n",
                ");\n",
                "CREATE OPERATOR CLASS crm.", stringify!($name), "_btree_ops DEFAULT FOR TYPE crm.", stringify!($name), " USING btree AS\n",
                "    OPERATOR 1 crm.< (crm.", stringify!($name), ", crm.", stringify!($name), "),\n",
                "    OPERATOR 2 crm.<= (crm.", stringify!($name), ", crm.", stringify!($name), "),\n",
                "    OPERATOR 3 crm.= (crm.", stringify!($name), ", crm.", stringify!($name), "),\n",
                "    OPERATOR 4 crm.>= (crm.", stringify!($name), ", crm.", stringify!($name), "),\n",
                "    OPERATOR 5 crm.> (crm.", stringify!($name), ", crm.", stringify!($name), "),\n",
                "    FUNCTION 1 crm_internal.", stringify!($name), "_cmp(crm.", stringify!($name), ", crm.", stringify!($name), ");\n",
                "COMMENT ON FUNCTION crm_internal.", stringify!($name), "_lt(crm.", stringify!($name), ", crm.", stringify!($name), ") IS\n",
                "    'Whether the binary form of a crm.", stringify!($name), " sorts before another''s (operator <, btree operator class)';\n",
                "COMMENT ON FUNCTION crm_internal.", stringify!($name), "_le(crm.", stringify!($name), ", crm.", stringify!($name), ") IS\n",
                "    'Whether the binary form of a crm.", stringify!($name), " sorts before or equals another''s (operator <=, btree operator class)';\n",
                "COMMENT ON FUNCTION crm_internal.", stringify!($name), "_gt(crm.", stringify!($name), ", crm.", stringify!($name), ") IS\n",
                "    'Whether the binary form of a crm.", stringify!($name), " sorts after another''s (operator >, btree operator class)';\n",
                "COMMENT ON FUNCTION crm_internal.", stringify!($name), "_ge(crm.", stringify!($name), ", crm.", stringify!($name), ") IS\n",
                "    'Whether the binary form of a crm.", stringify!($name), " sorts after or equals another''s (operator >=, btree operator class)';\n",
                "COMMENT ON FUNCTION crm_internal.", stringify!($name), "_cmp(crm.", stringify!($name), ", crm.", stringify!($name), ") IS\n",
                "    'Compares the binary forms of two crm.", stringify!($name), " values: -1, 0 or 1 (btree operator class)';\n",
                "COMMENT ON OPERATOR crm.< (crm.", stringify!($name), ", crm.", stringify!($name), ") IS\n",
                "    'crm.", stringify!($name), " sort order: the binary form sorts before (a total order agreeing with =, not a comparison of metrics)';\n",
                "COMMENT ON OPERATOR crm.<= (crm.", stringify!($name), ", crm.", stringify!($name), ") IS\n",
                "    'crm.", stringify!($name), " sort order: the binary form sorts before or is equal';\n",
                "COMMENT ON OPERATOR crm.> (crm.", stringify!($name), ", crm.", stringify!($name), ") IS\n",
                "    'crm.", stringify!($name), " sort order: the binary form sorts after';\n",
                "COMMENT ON OPERATOR crm.>= (crm.", stringify!($name), ", crm.", stringify!($name), ") IS\n",
                "    'crm.", stringify!($name), " sort order: the binary form sorts after or is equal';\n",
                "COMMENT ON OPERATOR CLASS crm.", stringify!($name), "_btree_ops USING btree IS\n",
                "    'Default btree operator class of crm.", stringify!($name), " (ORDER BY, count(DISTINCT ...), sort-based GROUP BY, merge joins): the binary forms compared byte by byte';\n",
                "COMMENT ON OPERATOR FAMILY crm.", stringify!($name), "_btree_ops USING btree IS\n",
                "    'Btree operator family of crm.", stringify!($name), "';\n",
            ),
            finalize: false,
            requires: [name "internal_schema", path stringify!($name)],
        }

        // The binary receive function `crm_<type>_recv`.
        const _: () = {
            /// Binary receive function of the type: decodes (validates) and re-encodes.
            ///
            /// # Safety
            /// Called by Postgres through the V1 calling convention only.
            #[unsafe(export_name = concat!("crm_", stringify!($name), "_recv"))]
            pub unsafe extern "C-unwind" fn receive(
                fcinfo: ::pgrx::pg_sys::FunctionCallInfo,
            ) -> ::pgrx::pg_sys::Datum {
                // SAFETY: Postgres calls this as the type's receive function (declared so
                // above), so argument 0 is the message buffer.
                $crate::common::guard::guard(|| unsafe {
                    $crate::common::pg::receive_summary::<$name>(fcinfo)
                })
            }

            #[unsafe(export_name = concat!("pg_finfo_crm_", stringify!($name), "_recv"))]
            pub extern "C" fn receive_finfo() -> &'static ::pgrx::pg_sys::Pg_finfo_record {
                const V1_API: ::pgrx::pg_sys::Pg_finfo_record =
                    ::pgrx::pg_sys::Pg_finfo_record { api_version: 1 };
                &V1_API
            }
        };
    };
}

// ---------------------------------------------------------------------------------------------
// Binary send/receive, equality, hashing and ordering of summary types. The stored form of a
// summary is canonical (`encode` normalizes), so equal values have equal bytes and the shared
// functions below compare, hash and order bytes (of the canonical form, also for the working form
// of an in-place aggregate state). summary_type! declares them for every type.
// ---------------------------------------------------------------------------------------------

/// The receive function of summary type `T`: the rest of the message buffer is a binary form,
/// which must decode (else 22P03); returns it re-encoded.
///
/// # Safety
/// `fcinfo` must be the call info of a type receive function (argument 0 a `StringInfo`).
pub unsafe fn receive_summary<T: SummaryType>(fcinfo: pg_sys::FunctionCallInfo) -> pg_sys::Datum {
    // SAFETY: `fcinfo` is a receive function's call info, whose argument 0 is the message
    // buffer (this function's contract); the caller's guard turns a panic or Postgres error
    // raised inside into a Postgres error once everything here has been dropped.
    unsafe {
        let Some(argument) = raw_arg(fcinfo, 0) else {
            raise(MetricError::InvalidBinary(
                "crm_metrics: receive without a buffer".to_string(),
            ))
        };
        // SAFETY: Postgres passes the message buffer as argument 0 of a receive function.
        let buffer = &mut *argument.cast_mut_ptr::<pg_sys::StringInfoData>();
        let start = usize::try_from(buffer.cursor).unwrap_or(0);
        let end = usize::try_from(buffer.len).unwrap_or(0).max(start);
        // SAFETY: `data[cursor..len]` is the unread part of the buffer.
        let bytes = std::slice::from_raw_parts((buffer.data as *const u8).add(start), end - start);
        let mut value = T::decode(bytes).or_raise();
        buffer.cursor = buffer.len;
        let encoded = value.encode();
        (*fcinfo).isnull = false;
        varlena_from_bytes(&encoded)
    }
}

/// Runs `body` under a panic guard on the payload of argument 0 and, when the function has a
/// second argument, on the payload of argument 1 (`second_is_varlena`) or on its datum.
///
/// # Safety
/// `fcinfo` must be the call info of a STRICT V1 function whose argument 0 (and argument 1 when
/// `second_is_varlena`) is a varlena.
unsafe fn with_varlena_arguments(
    fcinfo: pg_sys::FunctionCallInfo,
    body: impl FnOnce(&[u8], Option<&[u8]>, Option<pg_sys::Datum>) -> pg_sys::Datum,
    second_is_varlena: bool,
) -> pg_sys::Datum {
    // SAFETY: as in `receive_summary`; STRICT functions never see NULL arguments.
    unsafe {
        let first = pgrx::fcinfo::pg_get_nullable_datum(fcinfo, 0).value;
        let second = (*fcinfo).nargs > 1;
        let second = second.then(|| pgrx::fcinfo::pg_get_nullable_datum(fcinfo, 1).value);
        (*fcinfo).isnull = false;
        with_varlena_bytes(first, |left| {
            let left = canonical_payload(left);
            match second {
                Some(datum) if second_is_varlena => with_varlena_bytes(datum, |right| {
                    body(&left, Some(&canonical_payload(right)), None)
                }),
                other => body(&left, None, other),
            }
        })
    }
}

/// The canonical binary form of a value of a summary or state type, from its payload: the
/// payload itself, or for the working form of an in-place aggregate state (which an aggregate
/// without a final function returns as it is; src/common/flat.rs) its canonical form, so that
/// send, equality, hashing and ordering see one form per value. A malformed working form is
/// 22P03.
fn canonical_payload(bytes: &[u8]) -> std::borrow::Cow<'_, [u8]> {
    match super::flat::canonical_of_working(bytes) {
        None => std::borrow::Cow::Borrowed(bytes),
        Some(Ok(canonical)) => std::borrow::Cow::Owned(canonical),
        Some(Err(error)) => raise(error),
    }
}

crate::raw_transition! {
    /// Send function of every summary type: its binary form as the message bytes.
    fn crm_summary_send / pg_finfo_crm_summary_send (fcinfo) {
        // SAFETY: summary_type! declares it STRICT with one argument of a summary type
        // (a varlena); `fcinfo` is the running call's.
        unsafe { with_varlena_arguments(fcinfo, |bytes, _, _| varlena_from_bytes(bytes), false) }
    }
}

crate::raw_transition! {
    /// `=` of every summary type: the binary forms are equal.
    fn crm_summary_eq / pg_finfo_crm_summary_eq (fcinfo) {
        // SAFETY: summary_type! declares it STRICT with two arguments of one summary
        // type (varlenas); `fcinfo` is the running call's.
        unsafe {
            with_varlena_arguments(
                fcinfo,
                |left, right, _| pg_sys::Datum::from(Some(left) == right),
                true,
            )
        }
    }
}

crate::raw_transition! {
    /// `<>` of every summary type: the binary forms differ.
    fn crm_summary_ne / pg_finfo_crm_summary_ne (fcinfo) {
        // SAFETY: summary_type! declares it STRICT with two arguments of one summary
        // type (varlenas); `fcinfo` is the running call's.
        unsafe {
            with_varlena_arguments(
                fcinfo,
                |left, right, _| pg_sys::Datum::from(Some(left) != right),
                true,
            )
        }
    }
}

/// The order of the btree operator class of every summary type: the canonical binary forms
/// compared byte by byte (a shorter form that is a prefix of a longer one first). A total
/// order that agrees with `=`; it says nothing about the metrics the values hold.
fn compare_forms(
    fcinfo: pg_sys::FunctionCallInfo,
    answer: fn(std::cmp::Ordering) -> pg_sys::Datum,
) -> pg_sys::Datum {
    // SAFETY: the caller is a STRICT V1 function of two values of one summary type.
    unsafe {
        with_varlena_arguments(
            fcinfo,
            |left, right, _| {
                answer(right.map_or(std::cmp::Ordering::Equal, |right| left.cmp(right)))
            },
            true,
        )
    }
}

crate::raw_transition! {
    /// Btree support function 1 of every summary type: -1, 0 or 1 as the canonical binary
    /// forms compare.
    fn crm_summary_cmp / pg_finfo_crm_summary_cmp (fcinfo) {
        compare_forms(fcinfo, |order| pg_sys::Datum::from(order as i32))
    }
}

crate::raw_transition! {
    /// `<` of every summary type (btree operator class order).
    fn crm_summary_lt / pg_finfo_crm_summary_lt (fcinfo) {
        compare_forms(fcinfo, |order| pg_sys::Datum::from(order.is_lt()))
    }
}

crate::raw_transition! {
    /// `<=` of every summary type (btree operator class order).
    fn crm_summary_le / pg_finfo_crm_summary_le (fcinfo) {
        compare_forms(fcinfo, |order| pg_sys::Datum::from(order.is_le()))
    }
}

crate::raw_transition! {
    /// `>` of every summary type (btree operator class order).
    fn crm_summary_gt / pg_finfo_crm_summary_gt (fcinfo) {
        compare_forms(fcinfo, |order| pg_sys::Datum::from(order.is_gt()))
    }
}

crate::raw_transition! {
    /// `>=` of every summary type (btree operator class order).
    fn crm_summary_ge / pg_finfo_crm_summary_ge (fcinfo) {
        compare_forms(fcinfo, |order| pg_sys::Datum::from(order.is_ge()))
    }
}

crate::raw_transition! {
    /// Hash support function 1 of every summary type: the low 32 bits of the seed-0 hash.
    fn crm_summary_hash / pg_finfo_crm_summary_hash (fcinfo) {
        // SAFETY: summary_type! declares it STRICT with one argument of a summary type
        // (a varlena); `fcinfo` is the running call's.
        unsafe {
            with_varlena_arguments(
                fcinfo,
                |bytes, _, _| pg_sys::Datum::from(xxhash_rust::xxh3::xxh3_64(bytes) as u32 as i32),
                false,
            )
        }
    }
}

crate::raw_transition! {
    /// Hash support function 2 of every summary type: a seeded 64-bit hash (seed 0 agrees with
    /// function 1 in its low 32 bits, as Postgres requires).
    fn crm_summary_hash_extended / pg_finfo_crm_summary_hash_extended (fcinfo) {
        // SAFETY: summary_type! declares it STRICT with a summary (a varlena) and a
        // bigint seed, which is read as a plain datum (`second_is_varlena` false).
        unsafe {
            with_varlena_arguments(
                fcinfo,
                |bytes, _, seed| {
                    let seed = seed.map_or(0, |seed| seed.value() as u64);
                    pg_sys::Datum::from(xxhash_rust::xxh3::xxh3_64_with_seed(bytes, seed) as i64)
                },
                false,
            )
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Raw V1 functions.
//
// A `#[pg_extern]` wrapper costs about 40 ns per call here (memory-context switch, argument
// iterator, result boxing), more than a counting aggregate's whole per-row budget. The per-row
// transition functions of the simplest aggregates, and the support functions of the state types,
// are therefore plain V1 C functions declared with `raw_transition!` (common::declare): they read their arguments
// straight from `fcinfo`. The macro runs every body under the guard (`common::guard`), so a body
// may raise errors, check for interrupts and allocate like any Rust code: whatever it holds is
// dropped while the error unwinds to the guard. A moving-aggregate transition always returns a
// state (`raw_state` + `raw_return_state`), even for a row it skips: Postgres refuses a NULL
// moving state.
// ---------------------------------------------------------------------------------------------

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

// ---------------------------------------------------------------------------------------------
// Settings: `crm.max_state_memory`, the memory bound of growing aggregate states.
// ---------------------------------------------------------------------------------------------

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

// ---------------------------------------------------------------------------------------------
// Summaries read in place (speed): a summary argument as its binary form.
// ---------------------------------------------------------------------------------------------

/// A summary argument (SQL type of `T`, a `summary_type!`) as the bytes of its binary form,
/// detoasted but not decoded: for readers that stream over the form (`crm.churn_series`,
/// `crm.cohort_retention`) instead of building the summary's state first. The reader must
/// validate what it reads as `T::decode` does.
#[derive(Clone, Copy, Debug)]
pub struct SummaryBytes<'a, T> {
    pub bytes: &'a [u8],
    summary: std::marker::PhantomData<T>,
}

impl<T> FromDatum for SummaryBytes<'_, T> {
    unsafe fn from_polymorphic_datum(
        datum: pg_sys::Datum,
        is_null: bool,
        typoid: pg_sys::Oid,
    ) -> Option<Self> {
        // SAFETY: a summary datum is a varlena, which `&[u8]`'s conversion detoasts (into the
        // current memory context, which outlives the call) and borrows.
        unsafe { <&[u8] as FromDatum>::from_polymorphic_datum(datum, is_null, typoid) }.map(
            |bytes| SummaryBytes {
                bytes,
                summary: std::marker::PhantomData,
            },
        )
    }
}

// SAFETY: read with `FromDatum` above, like pgrx's own `&[u8]`; a NULL argument of a function
// that is not STRICT is an error with a message, never a Rust panic.
unsafe impl<'fcx, T> pgrx::callconv::ArgAbi<'fcx> for SummaryBytes<'fcx, T> {
    unsafe fn unbox_arg_unchecked(arg: pgrx::callconv::Arg<'_, 'fcx>) -> Self {
        let index = arg.index();
        // SAFETY: pgrx passes the argument of a parameter of `T`'s SQL type, a varlena that
        // `FromDatum` above reads.
        unsafe { arg.unbox_arg_using_from_datum() }.unwrap_or_else(|| {
            null_value(&format!(
                "crm_metrics: summary argument {index} must not be NULL"
            ))
        })
    }
}

// SAFETY: the SQL type is `T`'s (every constant is `T`'s), whose datums are the varlenas
// `FromDatum` above reads.
unsafe impl<T: pgrx::pgrx_sql_entity_graph::metadata::SqlTranslatable>
    pgrx::pgrx_sql_entity_graph::metadata::SqlTranslatable for SummaryBytes<'_, T>
{
    const TYPE_IDENT: &'static str = T::TYPE_IDENT;
    const TYPE_ORIGIN: pgrx::pgrx_sql_entity_graph::metadata::TypeOrigin = T::TYPE_ORIGIN;
    const ARGUMENT_SQL: Result<
        pgrx::pgrx_sql_entity_graph::metadata::SqlMappingRef,
        pgrx::pgrx_sql_entity_graph::metadata::ArgumentError,
    > = T::ARGUMENT_SQL;
    const RETURN_SQL: Result<
        pgrx::pgrx_sql_entity_graph::metadata::ReturnsRef,
        pgrx::pgrx_sql_entity_graph::metadata::ReturnsError,
    > = T::RETURN_SQL;
}
