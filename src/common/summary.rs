//! Summaries as SQL types: the `SummaryType` trait and the `summary_type!` macro (binary and
//! text forms, the generated SQL of each type's support functions, operators and operator
//! classes), the send, equality, hash and order functions every summary type shares, and
//! summary arguments read in place (`SummaryBytes`).
use super::error::{MetricError, MetricResult};
use super::limits::result_out_of_memory;
use super::pg::{null_value, raise, varlena_from_bytes, with_varlena_bytes, OrRaise};
use super::raw::raw_arg;
use pgrx::datum::FromDatum;
use pgrx::pg_sys;

/// A summary value that is also a SQL type (`crm.<family>_summary`): a versioned binary form
/// for storage and a readable text form for dumps and humans.
/// `encode` and `to_text` take `&mut self` so a summary may normalize itself (sort, merge)
/// before writing; the canonical form is the same whatever order rows arrived in.
pub trait SummaryType: Sized + Clone {
    /// The SQL type (`crm.customer_summary`), which errors about the value name.
    const TYPE_NAME: &'static str;
    /// The binary form; 53200 when its buffer cannot be allocated.
    fn encode(&mut self) -> Result<Vec<u8>, MetricError>;
    fn decode(bytes: &[u8]) -> Result<Self, MetricError>;
    /// The text form; 53200 when its buffer cannot be allocated.
    fn to_text(&mut self) -> Result<String, MetricError>;
    fn from_text(text: &str) -> Result<Self, MetricError>;
}

/// `bytes` as text (a type's input, a text argument): as is when they are UTF-8 (every
/// database whose text is), else with each byte that is not part of a UTF-8
/// character written `\xNN` (a LATIN1 `ü` is `\xfc`), so that the form's own parser refuses
/// it naming the part, as it does in a UTF-8 database. No valid form holds a character outside
/// ASCII. The escaped copy (the bytes, and three more per byte escaped) is allocated fallibly:
/// 53200 naming `what` (the type or function reading it).
pub fn escaped_text<'a>(what: &str, bytes: &'a [u8]) -> MetricResult<std::borrow::Cow<'a, str>> {
    if let Ok(text) = std::str::from_utf8(bytes) {
        return Ok(std::borrow::Cow::Borrowed(text));
    }
    let escaped: usize = bytes.utf8_chunks().map(|chunk| chunk.invalid().len()).sum();
    let size = bytes.len().saturating_add(escaped.saturating_mul(3));
    let mut text = String::new();
    text.try_reserve_exact(size)
        .map_err(|_| result_out_of_memory(what, "an escaped copy of its text", size))?;
    const HEX: &[u8; 16] = b"0123456789abcdef";
    for chunk in bytes.utf8_chunks() {
        text.push_str(chunk.valid());
        for &byte in chunk.invalid() {
            text.push_str("\\x");
            text.push(char::from(HEX[usize::from(byte >> 4)]));
            text.push(char::from(HEX[usize::from(byte & 15)]));
        }
    }
    Ok(std::borrow::Cow::Owned(text))
}

/// Makes a `#[derive(PostgresType)]` wrapper struct `$name($inner)` (declared with
/// `#[bikeshed_postgres_type_manually_impl_from_into_datum]` and `#[inoutfuncs]`) store itself
/// with the inner type's `encode`/`decode` and `to_text`/`from_text` instead of pgrx's default
/// CBOR.
#[macro_export]
macro_rules! summary_type {
    ($name:ident($inner:ty)) => {
        impl $crate::common::summary::SummaryType for $name {
            const TYPE_NAME: &'static str = concat!("crm.", stringify!($name));
            fn encode(&mut self) -> $crate::common::error::MetricResult<Vec<u8>> {
                self.0.encode()
            }
            fn decode(bytes: &[u8]) -> $crate::common::error::MetricResult<Self> {
                <$inner>::decode(bytes).map($name)
            }
            fn to_text(&mut self) -> $crate::common::error::MetricResult<String> {
                self.0.to_text()
            }
            fn from_text(text: &str) -> $crate::common::error::MetricResult<Self> {
                <$inner>::from_text(text).map($name)
            }
        }

        impl ::pgrx::inoutfuncs::InOutFuncs for $name {
            fn input(input: &::core::ffi::CStr) -> Self {
                use $crate::common::pg::OrRaise;
                use $crate::common::summary::SummaryType;
                let text = $crate::common::summary::escaped_text(
                    <$name as SummaryType>::TYPE_NAME,
                    input.to_bytes(),
                )
                .or_raise();
                <$name as SummaryType>::from_text(&text).or_raise()
            }

            /// Not called from SQL: the type's output function is `crm_<type>_out` (below),
            /// which writes the decoded value's text form without copying the value.
            fn output(&self, buffer: &mut ::pgrx::StringInfo) {
                use $crate::common::pg::OrRaise;
                let mut copy = self.clone();
                let text = <$name as $crate::common::summary::SummaryType>::to_text(&mut copy);
                buffer.push_str(&text.or_raise());
            }
        }

        impl ::pgrx::datum::IntoDatum for $name {
            fn into_datum(mut self) -> Option<::pgrx::pg_sys::Datum> {
                use $crate::common::pg::OrRaise;
                let bytes = <$name as $crate::common::summary::SummaryType>::encode(&mut self);
                Some($crate::common::pg::varlena_from_bytes(
                    <$name as $crate::common::summary::SummaryType>::TYPE_NAME,
                    &bytes.or_raise(),
                ))
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
                use $crate::common::pg::OrRaise;
                use $crate::common::summary::SummaryType;
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
                use $crate::common::pg::OrRaise;
                use $crate::common::summary::SummaryType;
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
                "CREATE OR REPLACE FUNCTION crm_internal.", stringify!($name), "_out(\"input\" crm.", stringify!($name), ") RETURNS cstring\n",
                "    IMMUTABLE STRICT PARALLEL SAFE LANGUAGE c AS 'MODULE_PATHNAME', 'crm_", stringify!($name), "_out';\n",
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
                "    'Default btree operator class of crm.", stringify!($name), " (ORDER BY, count(DISTINCT ...), sort-based GROUP BY): the binary forms compared byte by byte';\n",
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
                    $crate::common::summary::receive_summary::<$name>(fcinfo)
                })
            }

            #[unsafe(export_name = concat!("pg_finfo_crm_", stringify!($name), "_recv"))]
            pub extern "C" fn receive_finfo() -> &'static ::pgrx::pg_sys::Pg_finfo_record {
                const V1_API: ::pgrx::pg_sys::Pg_finfo_record =
                    ::pgrx::pg_sys::Pg_finfo_record { api_version: 1 };
                &V1_API
            }

            /// Text output function of the type: the text form of the decoded value.
            ///
            /// # Safety
            /// Called by Postgres through the V1 calling convention only.
            #[unsafe(export_name = concat!("crm_", stringify!($name), "_out"))]
            pub unsafe extern "C-unwind" fn output(
                fcinfo: ::pgrx::pg_sys::FunctionCallInfo,
            ) -> ::pgrx::pg_sys::Datum {
                // SAFETY: Postgres calls this as the type's output function (declared so above,
                // STRICT), so argument 0 is a value of the type.
                $crate::common::guard::guard(|| unsafe {
                    $crate::common::summary::output_summary::<$name>(fcinfo)
                })
            }

            #[unsafe(export_name = concat!("pg_finfo_crm_", stringify!($name), "_out"))]
            pub extern "C" fn output_finfo() -> &'static ::pgrx::pg_sys::Pg_finfo_record {
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
            raise(MetricError::InvalidBinary(format!(
                "{}: receive without a buffer",
                T::TYPE_NAME
            )))
        };
        // SAFETY: Postgres passes the message buffer as argument 0 of a receive function.
        let buffer = &mut *argument.cast_mut_ptr::<pg_sys::StringInfoData>();
        let start = usize::try_from(buffer.cursor).unwrap_or(0);
        let end = usize::try_from(buffer.len).unwrap_or(0).max(start);
        // SAFETY: `data[cursor..len]` is the unread part of the buffer.
        let bytes = std::slice::from_raw_parts((buffer.data as *const u8).add(start), end - start);
        let mut value = T::decode(bytes).or_raise();
        buffer.cursor = buffer.len;
        let encoded = value.encode().or_raise();
        (*fcinfo).isnull = false;
        varlena_from_bytes(T::TYPE_NAME, &encoded)
    }
}

/// The text output function of summary type `T`: the value decoded (fallibly), its text form
/// written from it without a copy of the value (pgrx's output function clones the value and
/// copies the text with infallible Rust allocations), then copied once into palloc'd memory, so
/// that running out of memory is 53200 or Postgres's own error, never an aborted backend.
///
/// # Safety
/// `fcinfo` must be the call info of a STRICT type output function (argument 0 a value of `T`).
pub unsafe fn output_summary<T: SummaryType>(fcinfo: pg_sys::FunctionCallInfo) -> pg_sys::Datum {
    // SAFETY: `fcinfo` is an output function's call info, whose argument 0 is a varlena of `T`
    // (this function's contract); as in `receive_summary`, the caller's guard turns an error
    // raised here into a Postgres error once everything here has been dropped.
    unsafe {
        let Some(datum) = raw_arg(fcinfo, 0) else {
            raise(MetricError::InvalidText(format!(
                "{}: text output of a NULL value",
                T::TYPE_NAME
            )))
        };
        let text = {
            let mut value = with_varlena_bytes(datum, T::decode).or_raise();
            value.to_text().or_raise()
        };
        // Postgres allocates at most 1 GB at once (MaxAllocSize, as a string buffer grows).
        if text.len() >= 0x3fff_ffff {
            raise(MetricError::LimitExceeded(format!(
                "{}: a text form of {} bytes exceeds the 1 GB value limit",
                T::TYPE_NAME,
                text.len()
            )));
        }
        // SAFETY: palloc returns `len + 1` writable bytes (or raises an ERROR): the text and
        // its terminating NUL (a text form holds no NUL: JSON escapes it).
        let pointer = pg_sys::palloc(text.len() + 1) as *mut u8;
        std::ptr::copy_nonoverlapping(text.as_ptr(), pointer, text.len());
        *pointer.add(text.len()) = 0;
        (*fcinfo).isnull = false;
        pg_sys::Datum::from(pointer)
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
        unsafe { with_varlena_arguments(fcinfo, |bytes, _, _| varlena_from_bytes("bytea", bytes), false) }
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

#[cfg(test)]
mod tests {
    use super::escaped_text;

    #[test]
    fn escaped_text_writes_each_byte_that_is_not_utf8_as_hex() {
        assert_eq!(escaped_text("crm.t", b"ab").unwrap(), "ab");
        assert_eq!(
            escaped_text("crm.t", b"a\xfc\xa0b").unwrap(),
            "a\\xfc\\xa0b"
        );
        // Reserved exactly: the bytes and three more per escaped byte.
        let escaped = escaped_text("crm.t", b"ab\xfc\xe2\x82").unwrap();
        assert_eq!(escaped, "ab\\xfc\\xe2\\x82");
        assert_eq!(escaped.len(), 5 + 3 * 3);
        assert!(
            matches!(escaped, std::borrow::Cow::Owned(ref text) if text.capacity() == text.len())
        );
    }
}
