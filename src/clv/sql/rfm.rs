//! RFM: `crm.rfm_agg`'s support functions, the `crm.rfm` tuple its final function builds, and
//! the composite type.
use super::{finite_timestamp, RFM_AGG};
use crate::clv::state::rfm_flat::{Amount, FlatAdd, RfmCompact, RfmFlat};
use crate::clv::state::simple::{
    decimal_from_numeric, unit_index, write_numeric, Rfm, RfmState, NUMERIC_BYTES,
};
use crate::common::datum::raw_varlena_bytes;
use crate::common::error::MetricError;
use crate::common::expanded::{
    expanded_combine, expanded_final, expanded_return, expanded_return_new, expanded_state_mut,
};
use crate::common::flat::{
    flat_return, flat_return_new, flat_state_in_place, flat_working_argument,
    prefetch_working_argument,
};
use crate::common::money::read_small_numeric;
use crate::common::pg::{raise, OrRaise};
use crate::common::raw::{raise_from_raw, raw_arg, raw_return_null, raw_return_unchanged};
use pgrx::prelude::*;
use rust_decimal::Decimal;

/// A row of `crm.rfm_agg`: the purchase instant, its amount, the observation end and the time
/// unit's index.
type Row = (i64, Decimal, i64, u8);

/// The transition's result when the compact working form cannot hold `row`: `flat` (the same
/// entries in the larger working form) with the row, or past that the growing state.
///
/// # Safety
/// `fcinfo` must be the running transition's, whose argument 0 is a working form.
#[cold]
#[inline(never)]
unsafe fn outgrown_compact(
    fcinfo: pg_sys::FunctionCallInfo,
    mut flat: RfmFlat,
    row @ (occurred_at, amount, observation_end, unit): Row,
) -> pg_sys::Datum {
    match flat.add(RFM_AGG, occurred_at, amount, observation_end, unit) {
        // SAFETY: `fcinfo` is the running call's (this function's contract).
        Ok(FlatAdd::Done) => unsafe { flat_return_new(fcinfo, flat) },
        // SAFETY: as above; argument 0 is not an object.
        Ok(FlatAdd::Full) => unsafe { grown_state(fcinfo, flat.state(), row) },
        Err(error) => raise_from_raw(move || error),
    }
}

/// The transition's result when a working form cannot hold `row`: `grown` (the same entries)
/// with the row, as a new expanded object.
///
/// # Safety
/// As [`outgrown_compact`].
#[cold]
#[inline(never)]
unsafe fn grown_state(
    fcinfo: pg_sys::FunctionCallInfo,
    mut grown: RfmState,
    (occurred_at, amount, observation_end, unit): Row,
) -> pg_sys::Datum {
    if let Err(error) = grown.add_in_unit(RFM_AGG, occurred_at, amount, observation_end, unit) {
        raise_from_raw(move || error);
    }
    // SAFETY: `fcinfo` is the running call's, whose argument 0 is not an object.
    unsafe { expanded_return_new(fcinfo, grown) }
}

crate::raw_transition! {
    /// Transition function of `crm.rfm_agg(timestamptz, numeric, timestamptz, text)`: merge one
    /// purchase into the customer's daily totals. Reads the `numeric` bytes directly (no text
    /// round trip) and calls into Postgres only to create the state (the compact in-place
    /// working form of `crm.rfm_state`, the larger one and an expanded object once the
    /// customer's days outgrow them), detoast or raise.
    fn crm_rfm_agg_trans / pg_finfo_crm_rfm_agg_trans (fcinfo)
    sql [
        "crm_internal.rfm_agg_trans(crm.rfm_state, timestamptz, numeric, timestamptz, text) RETURNS crm.rfm_state IMMUTABLE PARALLEL SAFE",
    ] {
        // SAFETY: sql/clv.sql declares it with five arguments (crm.rfm_state, timestamptz,
        // numeric, timestamptz, text); `fcinfo` is the running call's.
        unsafe { prefetch_working_argument::<RfmCompact>(fcinfo) };
        // SAFETY: as above.
        let arguments = unsafe {
            (raw_arg(fcinfo, 1), raw_arg(fcinfo, 2), raw_arg(fcinfo, 3), raw_arg(fcinfo, 4))
        };
        let (Some(occurred_at), Some(amount), Some(observation_end), Some(time_unit)) = arguments
        else {
            // SAFETY: `fcinfo` is the running call's.
            return unsafe { raw_return_unchanged(fcinfo) };
        };
        let occurred_at = finite_timestamp(RFM_AGG, "occurred_at", occurred_at.value() as i64);
        let observation_end =
            finite_timestamp(RFM_AGG, "observation_end", observation_end.value() as i64);
        // SAFETY: argument 4 is a non-null text, a varlena.
        let unit = unsafe { raw_varlena_bytes(time_unit, |bytes| unit_index(RFM_AGG, bytes)) };
        let unit = match unit {
            Ok(unit) => unit,
            Err(error) => raise_from_raw(move || error),
        };
        // SAFETY: argument 2 is a non-null numeric, a varlena.
        let amount = unsafe {
            raw_varlena_bytes(amount, |bytes| match read_small_numeric(bytes) {
                Some((mantissa, scale)) => Amount::Small(mantissa, scale),
                None => Amount::of(
                    decimal_from_numeric(RFM_AGG, bytes).unwrap_or_else(|error| raise_from_raw(move || error)),
                ),
            })
        };
        // A customer's state starts in the compact working form, changed in place; a row it
        // cannot hold moves the entries to the larger working form, and past that to a growing
        // state (an expanded object), holding the same entries in the same order.
        // SAFETY: argument 0 is a `crm.rfm_state`; `fcinfo` is the running call's, whose
        // argument 0 is not an object when a working form is.
        if let Some(mut compact) = unsafe { flat_state_in_place::<RfmCompact>(fcinfo) } {
            match compact.get().add(RFM_AGG, occurred_at, amount, observation_end, unit) {
                // SAFETY: as above.
                Ok(FlatAdd::Done) => return unsafe { flat_return(fcinfo, compact) },
                Ok(FlatAdd::Full) => {
                    let row = (occurred_at, amount.decimal(), observation_end, unit);
                    // SAFETY: as above.
                    return unsafe { outgrown_compact(fcinfo, compact.get().flat(), row) };
                }
                Err(error) => raise_from_raw(move || error),
            }
        }
        let amount = amount.decimal();
        // SAFETY: as above.
        if let Some(mut flat) = unsafe { flat_state_in_place::<RfmFlat>(fcinfo) } {
            match flat.get().add(RFM_AGG, occurred_at, amount, observation_end, unit) {
                // SAFETY: as above.
                Ok(FlatAdd::Done) => return unsafe { flat_return(fcinfo, flat) },
                Ok(FlatAdd::Full) => {
                    let row = (occurred_at, amount, observation_end, unit);
                    // SAFETY: as above.
                    return unsafe { grown_state(fcinfo, flat.get().state(), row) };
                }
                Err(error) => raise_from_raw(move || error),
            }
        }
        // SAFETY: argument 0 is a `crm.rfm_state`.
        let mut state = unsafe { expanded_state_mut(fcinfo, RfmState::default) };
        if let Err(error) = state.get().add_in_unit(RFM_AGG, occurred_at, amount, observation_end, unit) {
            raise_from_raw(move || error);
        }
        // SAFETY: `fcinfo` is the running call's; `state` is the object of its argument 0.
        unsafe { expanded_return(fcinfo, state) }
    }
}

crate::raw_transition! {
    /// Combine function of `crm.rfm_agg` (parallel query, Citus).
    fn crm_rfm_agg_combine / pg_finfo_crm_rfm_agg_combine (fcinfo)
    sql [
        "crm_internal.rfm_agg_combine(crm.rfm_state, crm.rfm_state) RETURNS crm.rfm_state IMMUTABLE PARALLEL SAFE",
    ] {
        // SAFETY: both arguments are `crm.rfm_state` values.
        unsafe {
            expanded_combine(fcinfo, |state: &mut RfmState, other| {
                state.merge(RFM_AGG, other)
            })
        }
    }
}

/// A `numeric` varlena with room for any value `write_numeric` writes: the 4-byte header, then
/// the value's bytes.
#[repr(C, align(8))]
struct NumericVarlena([u8; pg_sys::VARHDRSZ + NUMERIC_BYTES]);

/// Builds the `crm.rfm` tuple of one customer. The tuple descriptor is looked up once per
/// query and kept in `fn_extra`.
///
/// # Safety
/// `fcinfo` must be the call info of `crm_internal.rfm_agg_final`; may raise a Postgres error, so it
/// runs under a panic guard.
unsafe fn rfm_tuple(fcinfo: pg_sys::FunctionCallInfo, rfm: &Rfm) -> pg_sys::Datum {
    // SAFETY: `fcinfo` is the call info of `crm_internal.rfm_agg_final` (this function's contract), so
    // its `flinfo` is valid and `fn_extra` is NULL or the descriptor stored below, copied into
    // `fn_mcxt`, which lives as long as `flinfo`; the `numeric` datum is a 4-byte-header
    // varlena of `VARHDRSZ + length` bytes (`length` ≤ `NUMERIC_BYTES`) that outlives the
    // `heap_form_tuple` copying it; errors unwind to the caller's guard.
    unsafe {
        let flinfo = (*fcinfo).flinfo;
        let mut descriptor = (*flinfo).fn_extra as pg_sys::TupleDesc;
        if descriptor.is_null() {
            let mut result: pg_sys::TupleDesc = std::ptr::null_mut();
            let class = pg_sys::get_call_result_type(fcinfo, std::ptr::null_mut(), &mut result);
            if class != pg_sys::TypeFuncClass::TYPEFUNC_COMPOSITE || result.is_null() {
                raise(MetricError::InvalidParameter(format!(
                    "{RFM_AGG}: the result type is not the composite crm.rfm"
                )));
            }
            let previous = pg_sys::MemoryContextSwitchTo((*flinfo).fn_mcxt);
            descriptor = pg_sys::BlessTupleDesc(pg_sys::CreateTupleDescCopy(result));
            pg_sys::MemoryContextSwitchTo(previous);
            (*flinfo).fn_extra = descriptor.cast();
        }
        // The numeric is a varlena on the stack: `heap_form_tuple` copies it into the tuple.
        let mut digits = [0u8; NUMERIC_BYTES];
        let length = write_numeric(rfm.monetary_value, &mut digits);
        let mut numeric = NumericVarlena([0; pg_sys::VARHDRSZ + NUMERIC_BYTES]);
        numeric.0[pg_sys::VARHDRSZ..].copy_from_slice(&digits);
        let numeric_pointer = std::ptr::addr_of_mut!(numeric).cast::<pg_sys::varlena>();
        pgrx::set_varsize_4b(numeric_pointer, (pg_sys::VARHDRSZ + length) as i32);
        let mut values = [
            pg_sys::Datum::from(rfm.frequency),
            pg_sys::Datum::from(rfm.recency.to_bits()),
            pg_sys::Datum::from(rfm.age.to_bits()),
            pg_sys::Datum::from(numeric_pointer),
        ];
        let mut nulls = [false; 4];
        let tuple = pg_sys::heap_form_tuple(descriptor, values.as_mut_ptr(), nulls.as_mut_ptr());
        // No field is stored externally, so the tuple header is the composite datum itself.
        pg_sys::Datum::from((*tuple).t_data)
    }
}

crate::raw_transition! {
    /// Final function of `crm.rfm_agg` (declared in `sql/clv.sql`, after the `crm.rfm` type):
    /// the customer's RFM values, NULL without purchases up to the observation end.
    fn crm_rfm_agg_final / pg_finfo_crm_rfm_agg_final (fcinfo)
    sql [
        "crm_internal.rfm_agg_final(crm.rfm_state) RETURNS crm.rfm IMMUTABLE PARALLEL SAFE",
    ] {
        // SAFETY: argument 0 is NULL or a `crm.rfm_state`; the result a `crm.rfm`.
        unsafe {
            // A working form is finished from a copy of its entries on the stack.
            if let Some(compact) = flat_working_argument::<RfmCompact>(fcinfo, 0) {
                return match compact.and_then(|compact| compact.finish(RFM_AGG)).or_raise() {
                    Some(rfm) => rfm_tuple(fcinfo, &rfm),
                    None => raw_return_null(fcinfo),
                };
            }
            if let Some(flat) = flat_working_argument::<RfmFlat>(fcinfo, 0) {
                return match flat.and_then(|flat| flat.finish(RFM_AGG)).or_raise() {
                    Some(rfm) => rfm_tuple(fcinfo, &rfm),
                    None => raw_return_null(fcinfo),
                };
            }
            expanded_final(fcinfo, |purchases: &mut RfmState| {
                let rfm = purchases.finish(RFM_AGG).or_raise()?;
                Some(rfm_tuple(fcinfo, &rfm))
            })
        }
    }
}

// The composite type crm.rfm_agg returns (and its final function's CREATE FUNCTION names).
extension_sql!(
    r#"CREATE TYPE crm.rfm AS (
    frequency integer,
    recency double precision,
    t double precision,
    monetary_value numeric
);"#,
    name = "rfm_type",
    requires = ["internal_schema"]
);
