//! Reading varlena arguments (numeric, text) on the per-row paths without calling into Postgres,
//! and `numeric` <-> `Decimal` at the SQL boundary.
use pgrx::prelude::*;
use pgrx::AnyNumeric;
use rust_decimal::Decimal;

use super::error::MetricResult;
use super::money::{decimal_from_numeric_bytes, decimal_from_text};
use super::pg::{raise, with_varlena_bytes};

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

/// The exact `Decimal` of a `numeric` argument of a `#[pg_extern]` function; raises 22003
/// when it does not fit (NaN, ±Infinity, more than 28 digits).
pub fn decimal_of(function: &str, what: &str, value: &AnyNumeric) -> Decimal {
    match decimal_from_text(function, what, &value.to_string()) {
        Ok(decimal) => decimal,
        Err(error) => raise(error),
    }
}

/// A `Decimal` as a SQL `numeric` (every `Decimal` is a valid numeric).
pub fn numeric_of(value: Decimal) -> AnyNumeric {
    match AnyNumeric::try_from(value.to_string().as_str()) {
        Ok(numeric) => numeric,
        Err(error) => raise(super::error::MetricError::OutOfRange(format!(
            "crm_metrics: {value} is not a numeric value ({error})"
        ))),
    }
}
