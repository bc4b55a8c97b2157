//! Calibration/holdout split: `crm.rfm_holdout_agg`'s support functions, its state type
//! `crm.rfm_holdout_state` and the composite `crm.rfm_holdout` its final function builds.
use super::{finite_timestamp, RFM_HOLDOUT_AGG};
use crate::clv::state::holdout::{HoldoutState, RfmHoldout};
use crate::clv::state::simple::{decimal_from_numeric, unit_index, write_numeric, NUMERIC_BYTES};
use crate::common::datum::raw_varlena_bytes;
use crate::common::error::MetricError;
use crate::common::expanded::{
    expanded_combine, expanded_final, expanded_return, expanded_state_mut,
};
use crate::common::pg::{raise, varlena_from_bytes, OrRaise};
use crate::common::raw::{raise_from_raw, raw_arg, raw_return_unchanged};
use pgrx::prelude::*;

/// Transition state of `crm.rfm_holdout_agg`: one customer's daily purchase totals and counts
/// with the calibration end, observation end and time unit; opaque text form `\x` + the hex of
/// the binary form (Citus ships partial states in this form).
#[allow(non_camel_case_types)]
#[derive(PostgresType, Clone, Debug)]
#[bikeshed_postgres_type_manually_impl_from_into_datum]
#[inoutfuncs]
pub struct rfm_holdout_state(pub HoldoutState);

crate::summary_type!(rfm_holdout_state(HoldoutState));
crate::expanded_state!(HoldoutState, "crm.rfm_holdout_state");

crate::raw_transition! {
    /// Transition function of `crm.rfm_holdout_agg(timestamptz, numeric, timestamptz,
    /// timestamptz, text)`: merge one purchase into the customer's daily totals.
    fn crm_rfm_holdout_agg_trans / pg_finfo_crm_rfm_holdout_agg_trans (fcinfo)
    sql [
        "crm_internal.rfm_holdout_agg_trans(crm.rfm_holdout_state, timestamptz, numeric, timestamptz, timestamptz, text) RETURNS crm.rfm_holdout_state IMMUTABLE PARALLEL SAFE",
    ] {
        // SAFETY: declared with six arguments (crm.rfm_holdout_state, timestamptz, numeric,
        // timestamptz, timestamptz, text); `fcinfo` is the running call's.
        let arguments = unsafe {
            (
                raw_arg(fcinfo, 1),
                raw_arg(fcinfo, 2),
                raw_arg(fcinfo, 3),
                raw_arg(fcinfo, 4),
                raw_arg(fcinfo, 5),
            )
        };
        let (Some(occurred_at), Some(amount), Some(calibration_end), Some(observation_end), Some(time_unit)) =
            arguments
        else {
            // SAFETY: `fcinfo` is the running call's.
            return unsafe { raw_return_unchanged(fcinfo) };
        };
        let occurred_at = finite_timestamp(RFM_HOLDOUT_AGG, "occurred_at", occurred_at.value() as i64);
        let calibration_end =
            finite_timestamp(RFM_HOLDOUT_AGG, "calibration_end", calibration_end.value() as i64);
        let observation_end =
            finite_timestamp(RFM_HOLDOUT_AGG, "observation_end", observation_end.value() as i64);
        // SAFETY: argument 5 is a non-null text, a varlena.
        let unit = unsafe { raw_varlena_bytes(time_unit, |bytes| unit_index(RFM_HOLDOUT_AGG, bytes)) };
        let unit = match unit {
            Ok(unit) => unit,
            Err(error) => raise_from_raw(move || error),
        };
        // SAFETY: argument 2 is a non-null numeric, a varlena.
        let amount = unsafe {
            raw_varlena_bytes(amount, |bytes| {
                decimal_from_numeric(RFM_HOLDOUT_AGG, bytes).unwrap_or_else(|error| raise_from_raw(move || error))
            })
        };
        // SAFETY: argument 0 is a `crm.rfm_holdout_state`.
        let mut state = unsafe { expanded_state_mut(fcinfo, HoldoutState::default) };
        let settings = (calibration_end, observation_end, unit);
        if let Err(error) = state.get().add_in_unit(RFM_HOLDOUT_AGG, occurred_at, amount, settings) {
            raise_from_raw(move || error);
        }
        // SAFETY: `fcinfo` is the running call's; `state` is the object of its argument 0.
        unsafe { expanded_return(fcinfo, state) }
    }
}

crate::raw_transition! {
    /// Combine function of `crm.rfm_holdout_agg` (parallel query, Citus).
    fn crm_rfm_holdout_agg_combine / pg_finfo_crm_rfm_holdout_agg_combine (fcinfo)
    sql [
        "crm_internal.rfm_holdout_agg_combine(crm.rfm_holdout_state, crm.rfm_holdout_state) RETURNS crm.rfm_holdout_state IMMUTABLE PARALLEL SAFE",
    ] {
        // SAFETY: both arguments are `crm.rfm_holdout_state` values.
        unsafe {
            expanded_combine(fcinfo, |state: &mut HoldoutState, other| {
                state.merge(RFM_HOLDOUT_AGG, other)
            })
        }
    }
}

/// A `numeric` datum of `value`, allocated in the current memory context.
fn numeric_datum(value: rust_decimal::Decimal) -> pg_sys::Datum {
    let mut numeric = [0u8; NUMERIC_BYTES];
    let length = write_numeric(value, &mut numeric);
    varlena_from_bytes("numeric", numeric.get(..length).unwrap_or(&[]))
}

/// Builds the `crm.rfm_holdout` tuple of one customer; the tuple descriptor is looked up once
/// per query and kept in `fn_extra`.
///
/// # Safety
/// `fcinfo` must be the call info of `crm_internal.rfm_holdout_agg_final`; may raise a Postgres
/// error, so it runs under a panic guard.
unsafe fn holdout_tuple(fcinfo: pg_sys::FunctionCallInfo, row: &RfmHoldout) -> pg_sys::Datum {
    // SAFETY: `fcinfo` is the final function's call info (this function's contract), so its
    // `flinfo` is valid and `fn_extra` is NULL or the descriptor stored below, copied into
    // `fn_mcxt`, which lives as long as `flinfo`; errors unwind to the caller's guard.
    unsafe {
        let flinfo = (*fcinfo).flinfo;
        let mut descriptor = (*flinfo).fn_extra as pg_sys::TupleDesc;
        if descriptor.is_null() {
            let mut result: pg_sys::TupleDesc = std::ptr::null_mut();
            let class = pg_sys::get_call_result_type(fcinfo, std::ptr::null_mut(), &mut result);
            if class != pg_sys::TypeFuncClass::TYPEFUNC_COMPOSITE || result.is_null() {
                raise(MetricError::InvalidParameter(format!(
                    "{RFM_HOLDOUT_AGG}: the result type is not the composite crm.rfm_holdout"
                )));
            }
            let previous = pg_sys::MemoryContextSwitchTo((*flinfo).fn_mcxt);
            descriptor = pg_sys::BlessTupleDesc(pg_sys::CreateTupleDescCopy(result));
            pg_sys::MemoryContextSwitchTo(previous);
            (*flinfo).fn_extra = descriptor.cast();
        }
        let calibration = &row.calibration;
        let mut values = [
            pg_sys::Datum::from(calibration.frequency),
            pg_sys::Datum::from(calibration.recency.to_bits()),
            pg_sys::Datum::from(calibration.age.to_bits()),
            numeric_datum(calibration.monetary_value),
            pg_sys::Datum::from(row.frequency_holdout),
            numeric_datum(row.monetary_value_holdout),
            pg_sys::Datum::from(row.duration_holdout.to_bits()),
        ];
        let mut nulls = [false; 7];
        let tuple = pg_sys::heap_form_tuple(descriptor, values.as_mut_ptr(), nulls.as_mut_ptr());
        // No field is stored externally, so the tuple header is the composite datum itself.
        pg_sys::Datum::from((*tuple).t_data)
    }
}

crate::raw_transition! {
    /// Final function of `crm.rfm_holdout_agg`: the customer's calibration and holdout values,
    /// NULL without a purchase on or before the calibration end's day.
    fn crm_rfm_holdout_agg_final / pg_finfo_crm_rfm_holdout_agg_final (fcinfo)
    sql [
        "crm_internal.rfm_holdout_agg_final(crm.rfm_holdout_state) RETURNS crm.rfm_holdout IMMUTABLE PARALLEL SAFE",
    ] {
        // SAFETY: argument 0 is NULL or a `crm.rfm_holdout_state`; the result a `crm.rfm_holdout`.
        unsafe {
            expanded_final(fcinfo, |state: &mut HoldoutState| {
                let row = state.finish(RFM_HOLDOUT_AGG).or_raise()?;
                Some(holdout_tuple(fcinfo, &row))
            })
        }
    }
}

// The composite type crm.rfm_holdout_agg returns, with lifetimes' column names.
extension_sql!(
    r#"CREATE TYPE crm.rfm_holdout AS (
    frequency_cal integer,
    recency_cal double precision,
    t_cal double precision,
    monetary_value_cal numeric,
    frequency_holdout integer,
    monetary_value_holdout numeric,
    duration_holdout double precision
);"#,
    name = "rfm_holdout_type",
    requires = ["internal_schema"]
);
