//! Reading varlena arguments (numeric, text) and customer ids on the per-row paths without
//! calling into Postgres, and `numeric` <-> `Decimal` at the SQL boundary.
use pgrx::prelude::*;
use pgrx::AnyNumeric;
use rust_decimal::Decimal;

use super::error::{MetricError, MetricResult};
use super::keys::{key_from_bigint, key_from_text, key_from_uuid};
use super::money::decimal_from_numeric_bytes;
use super::pg::{raise, with_varlena_bytes, OrRaise};

/// Runs `read` over the payload of a varlena datum. A plain value (1- or 4-byte header, not
/// compressed, not out of line: nearly every small value) is read in place without any call
/// into Postgres; other values are detoasted under a guard that turns a Postgres error into an
/// ERROR of the calling function.
///
/// # Safety
/// `datum` must be a non-null varlena datum.
#[inline(always)]
pub unsafe fn raw_varlena_bytes<R>(datum: pg_sys::Datum, read: impl FnOnce(&[u8]) -> R) -> R {
    let pointer = datum.cast_mut_ptr::<pg_sys::varlena>() as *const pg_sys::varlena;
    // SAFETY: `pointer` is a valid varlena (caller's contract); the header tells its layout,
    // and for the two plain layouts the payload follows the header in place.
    unsafe {
        if pgrx::varatt_is_1b(pointer) && !pgrx::varatt_is_1b_e(pointer) {
            let length = pgrx::varsize_1b(pointer) - pg_sys::VARHDRSZ_SHORT;
            let data = (pointer as *const u8).add(pg_sys::VARHDRSZ_SHORT);
            read(std::slice::from_raw_parts(data, length))
        } else if pgrx::varatt_is_4b_u(pointer) {
            let length = pgrx::varsize_4b(pointer) - pg_sys::VARHDRSZ;
            let data = (pointer as *const u8).add(pg_sys::VARHDRSZ);
            read(std::slice::from_raw_parts(data, length))
        } else {
            detoasted_bytes(datum, read)
        }
    }
}

#[cold]
#[inline(never)]
unsafe fn detoasted_bytes<R>(datum: pg_sys::Datum, read: impl FnOnce(&[u8]) -> R) -> R {
    // SAFETY: `datum` is a non-null varlena (this function's contract); a Postgres error while
    // detoasting unwinds to the caller's guard.
    unsafe { with_varlena_bytes(datum, read) }
}

/// Key of a bigint customer id datum ([`key_from_bigint`]).
///
/// # Safety
/// `datum` must be a non-null bigint datum.
#[inline(always)]
pub unsafe fn raw_bigint_key(datum: pg_sys::Datum) -> u128 {
    key_from_bigint(datum.value() as i64)
}

/// Key of a text customer id datum ([`key_from_text`]: the 128-bit XXH3 hash of its bytes),
/// read in place.
///
/// # Safety
/// `datum` must be a non-null text datum.
#[inline(always)]
pub unsafe fn raw_text_key(datum: pg_sys::Datum) -> u128 {
    // SAFETY: a non-null text datum is a varlena (this function's contract).
    unsafe { raw_varlena_bytes(datum, key_from_text) }
}

/// Key of a uuid customer id datum ([`key_from_uuid`]).
///
/// # Safety
/// `datum` must be a non-null uuid datum.
#[inline(always)]
pub unsafe fn raw_uuid_key(datum: pg_sys::Datum) -> u128 {
    // SAFETY: a non-null uuid datum points to its 16 bytes (this function's contract).
    key_from_uuid(unsafe { *datum.cast_mut_ptr::<[u8; 16]>() })
}

/// The exact `Decimal` of a non-null `numeric` datum (22003 when it does not fit).
///
/// # Safety
/// As [`raw_varlena_bytes`]: `datum` must be a non-null numeric datum.
#[inline(always)]
pub unsafe fn raw_decimal(
    function: &str,
    what: &str,
    datum: pg_sys::Datum,
) -> MetricResult<Decimal> {
    // SAFETY: `datum` is a non-null numeric datum (this function's contract), a varlena.
    unsafe {
        raw_varlena_bytes(datum, |bytes| {
            decimal_from_numeric_bytes(function, what, bytes)
        })
    }
}

/// The exact `Decimal` of a `numeric` argument of a `#[pg_extern]` function, its text read
/// by `read` (`money::decimal_from_text` for amounts, `money::finite_decimal_from_text` for
/// model inputs); raises the error `read` gives for NaN, ±Infinity or more than 28 digits.
pub fn decimal_of(
    function: &str,
    what: &str,
    value: &AnyNumeric,
    read: fn(&str, &str, &str) -> MetricResult<Decimal>,
) -> Decimal {
    read(function, what, &value.to_string()).or_raise()
}

/// A decimal result (a `Decimal`, or an `exact::Significant`) as a SQL `numeric`, the result of
/// `function` (both print as valid numerics).
pub fn numeric_of(function: &str, value: impl std::fmt::Display) -> AnyNumeric {
    AnyNumeric::try_from(value.to_string().as_str()).unwrap_or_else(|_| {
        raise(MetricError::OutOfRange(format!(
            "{function}: result {value} is out of range"
        )))
    })
}
