//! SQL surface of the CLV family: model types, the fit and RFM aggregates' support functions,
//! accessors and predictions. Aggregates, the `crm.rfm` composite type and the raw transition
//! functions are declared in `sql/clv.sql`.
use super::state::bgnbd::{self, BgNbdModel};
use super::state::gamma_gamma::{self, discounted_clv, GammaGammaModel};
use super::state::purchases::PurchaseDays;
use super::state::rows::WeightedRows;
use super::state::sbg::{self, SbgModel};
use super::state::simple::{
    clv_from_churn, clv_from_purchases, decimal_from_numeric, unit_index, write_numeric,
    NumericProblem, Rfm, RfmState, NUMERIC_BYTES,
};
use super::state::{ClvError, ClvResult};
use crate::common::datum::raw_varlena_bytes;
use crate::common::error::MetricError;
use crate::common::pg::{
    aggregate_memory_context, bigint, combine_states, internal_of, new_transient_state, raise,
    raise_from_raw, raw_arg, raw_return_state, raw_return_unchanged, raw_state, state_or_init,
    state_ref, varlena_from_bytes, OrRaise, TextArg,
};
use pgrx::datum::Internal;
use pgrx::prelude::*;
use rust_decimal::Decimal;

const BGNBD_FIT: &str = "crm.bgnbd_fit";
const GAMMA_GAMMA_FIT: &str = "crm.gamma_gamma_fit";
const SBG_FIT: &str = "crm.sbg_fit";
const RFM_AGG: &str = "crm.rfm_agg";
const CLV: &str = "crm.clv";

/// A fitted or built BG/NBD model; text form
/// `{"r":0.243,"alpha":4.414,"a":0.793,"b":2.426,"fit":null}`.
#[allow(non_camel_case_types)]
#[derive(PostgresType, Clone, Debug)]
#[bikeshed_postgres_type_manually_impl_from_into_datum]
#[inoutfuncs]
pub struct bgnbd_model(pub BgNbdModel);

crate::summary_type!(bgnbd_model(BgNbdModel));

/// A fitted or built Gamma-Gamma spend model; text form `{"p":6.25,"q":3.74,"v":15.44,"fit":null}`.
#[allow(non_camel_case_types)]
#[derive(PostgresType, Clone, Debug)]
#[bikeshed_postgres_type_manually_impl_from_into_datum]
#[inoutfuncs]
pub struct gamma_gamma_model(pub GammaGammaModel);

crate::summary_type!(gamma_gamma_model(GammaGammaModel));

/// A fitted or built shifted-beta-geometric retention model; text form
/// `{"alpha":0.704,"beta":1.182,"fit":null}`.
#[allow(non_camel_case_types)]
#[derive(PostgresType, Clone, Debug)]
#[bikeshed_postgres_type_manually_impl_from_into_datum]
#[inoutfuncs]
pub struct sbg_model(pub SbgModel);

crate::summary_type!(sbg_model(SbgModel));

/// Raises a CLV error (with its hint, if any) as a Postgres ERROR.
fn raise_clv(error: ClvError) -> ! {
    let Some(hint) = error.hint else {
        raise(error.error)
    };
    let code = match &error.error {
        MetricError::OutOfRange(_) => PgSqlErrorCode::ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE,
        MetricError::InvalidText(_) => PgSqlErrorCode::ERRCODE_INVALID_TEXT_REPRESENTATION,
        MetricError::DatetimeOverflow(_) => PgSqlErrorCode::ERRCODE_DATETIME_FIELD_OVERFLOW,
        MetricError::InvalidBinary(_) => PgSqlErrorCode::ERRCODE_INVALID_BINARY_REPRESENTATION,
        MetricError::InvalidParameter(_) => PgSqlErrorCode::ERRCODE_INVALID_PARAMETER_VALUE,
    };
    pgrx::pg_sys::panic::ErrorReport::new(code, error.error.report_message(), "crm_metrics")
        .set_hint(hint)
        .report(PgLogLevel::ERROR);
    unreachable!("an ERROR report does not return")
}

trait ClvOrRaise<T> {
    fn or_raise(self) -> T;
}

impl<T> ClvOrRaise<T> for ClvResult<T> {
    fn or_raise(self) -> T {
        match self {
            Ok(value) => value,
            Err(error) => raise_clv(error),
        }
    }
}

/// A `numeric` as an exact decimal: NaN and infinities are 22023, more than 28 significant
/// digits 22003.
fn decimal_of(function: &str, name: &str, value: &AnyNumeric) -> Decimal {
    let text = value.to_string();
    match text.parse::<Decimal>() {
        Ok(decimal) if Decimal::from_str_exact(&text).is_ok() => decimal,
        _ if value.is_nan() || text.contains("Infinity") => raise(MetricError::InvalidParameter(
            format!("{function}: {name} {text} is not a finite number"),
        )),
        _ => raise(MetricError::OutOfRange(format!(
            "{function}: {name} {text} has more than 28 significant digits"
        ))),
    }
}

fn numeric_of(function: &str, value: Decimal) -> AnyNumeric {
    AnyNumeric::try_from(value.to_string().as_str()).unwrap_or_else(|_| {
        raise(MetricError::OutOfRange(format!(
            "{function}: result {value} is out of range"
        )))
    })
}

/// A `numeric` as a float for the model math (non-finite values are refused by the callers).
fn float_of(value: AnyNumeric) -> f64 {
    f64::try_from(value).unwrap_or(f64::NAN)
}

// ---------------------------------------------------------------------------------------------
// Seed formulas.
// ---------------------------------------------------------------------------------------------

/// CLV = average purchase value × purchases per year × lifespan in years.
#[pg_extern(immutable, parallel_safe, strict, name = "clv")]
fn clv_from_purchase_rate(
    average_purchase_value: AnyNumeric,
    purchases_per_year: f64,
    lifespan_years: f64,
) -> AnyNumeric {
    let value = decimal_of(CLV, "average_purchase_value", &average_purchase_value);
    let clv = clv_from_purchases(CLV, value, purchases_per_year, lifespan_years).or_raise();
    numeric_of(CLV, clv)
}

/// CLV = ARPA / churn rate; NULL when the churn rate is 0.
#[pg_extern(immutable, parallel_safe, strict, name = "clv")]
fn clv_from_churn_rate(arpa: AnyNumeric, churn_rate: f64) -> Option<AnyNumeric> {
    let arpa = decimal_of(CLV, "arpa", &arpa);
    clv_from_churn(CLV, arpa, churn_rate)
        .or_raise()
        .map(|clv| numeric_of(CLV, clv))
}

// ---------------------------------------------------------------------------------------------
// Fit aggregates: merged weighted rows, shared support functions.
// ---------------------------------------------------------------------------------------------

/// Per-row step of `crm.bgnbd_fit`: validate and merge one (x, t_x, T[, weight]) row.
#[inline(always)]
unsafe fn bgnbd_add(fcinfo: pg_sys::FunctionCallInfo, weighted: bool) -> pg_sys::Datum {
    let arguments = unsafe { (raw_arg(fcinfo, 1), raw_arg(fcinfo, 2), raw_arg(fcinfo, 3)) };
    let (Some(frequency), Some(recency), Some(age)) = arguments else {
        return unsafe { raw_return_unchanged(fcinfo) };
    };
    let weight = if weighted {
        match unsafe { raw_arg(fcinfo, 4) } {
            Some(weight) => weight.value() as i64,
            None => return unsafe { raw_return_unchanged(fcinfo) },
        }
    } else {
        1
    };
    let rows = unsafe { raw_state(fcinfo, BGNBD_FIT, WeightedRows::default) };
    let frequency = frequency.value() as i32;
    let recency = f64::from_bits(recency.value() as u64);
    let age = f64::from_bits(age.value() as u64);
    let added = match (
        bgnbd::customer_key(BGNBD_FIT, frequency, recency, age),
        u64::try_from(weight),
    ) {
        (Ok(key), Ok(weight)) => rows.add(BGNBD_FIT, key, weight),
        (Err(error), _) => Err(error.error),
        (_, Err(_)) => Err(negative_weight(BGNBD_FIT, weight)),
    };
    if let Err(error) = added {
        // SAFETY: a raw V1 function's step; nothing on this frame needs dropping.
        unsafe { raise_from_raw(move || error) };
    }
    unsafe { raw_return_state(fcinfo, rows) }
}

#[cold]
fn negative_weight(function: &str, weight: i64) -> MetricError {
    MetricError::InvalidParameter(format!("{function}: weight {weight} is negative"))
}

crate::raw_transition! {
    /// Transition function of `crm.bgnbd_fit(integer, double precision, double precision)`.
    fn crm_bgnbd_fit_trans / pg_finfo_crm_bgnbd_fit_trans (fcinfo) {
        unsafe { bgnbd_add(fcinfo, false) }
    }
}

crate::raw_transition! {
    /// Transition function of `crm.bgnbd_fit(integer, double precision, double precision, bigint)`.
    fn crm_bgnbd_fit_weighted_trans / pg_finfo_crm_bgnbd_fit_weighted_trans (fcinfo) {
        unsafe { bgnbd_add(fcinfo, true) }
    }
}

/// Transition function of `crm.gamma_gamma_fit(integer, numeric)`.
#[pg_extern(immutable, parallel_safe)]
fn gamma_gamma_fit_trans(
    mut state: Internal,
    frequency: Option<i32>,
    monetary_value: Option<AnyNumeric>,
    fcinfo: pg_sys::FunctionCallInfo,
) -> Internal {
    let (Some(frequency), Some(monetary_value)) = (frequency, monetary_value) else {
        return state;
    };
    let rows = unsafe { state_or_init(&mut state, fcinfo, GAMMA_GAMMA_FIT, WeightedRows::default) };
    let key =
        gamma_gamma::customer_key(GAMMA_GAMMA_FIT, frequency, float_of(monetary_value)).or_raise();
    if let Some(key) = key {
        rows.add(GAMMA_GAMMA_FIT, key, 1).or_raise();
    }
    internal_of(rows)
}

fn sbg_add(
    mut state: Internal,
    periods_survived: Option<i32>,
    churned: Option<bool>,
    weight: Option<i64>,
    fcinfo: pg_sys::FunctionCallInfo,
) -> Internal {
    let (Some(periods_survived), Some(churned), Some(weight)) = (periods_survived, churned, weight)
    else {
        return state;
    };
    let rows = unsafe { state_or_init(&mut state, fcinfo, SBG_FIT, WeightedRows::default) };
    let key = sbg::customer_key(SBG_FIT, periods_survived, churned).or_raise();
    let weight = u64::try_from(weight).unwrap_or_else(|_| raise(negative_weight(SBG_FIT, weight)));
    rows.add(SBG_FIT, key, weight).or_raise();
    internal_of(rows)
}

/// Transition function of `crm.sbg_fit(integer, boolean)`.
#[pg_extern(immutable, parallel_safe)]
fn sbg_fit_trans(
    state: Internal,
    periods_survived: Option<i32>,
    churned: Option<bool>,
    fcinfo: pg_sys::FunctionCallInfo,
) -> Internal {
    sbg_add(state, periods_survived, churned, Some(1), fcinfo)
}

/// Transition function of `crm.sbg_fit(integer, boolean, bigint)`.
#[pg_extern(immutable, parallel_safe)]
fn sbg_fit_weighted_trans(
    state: Internal,
    periods_survived: Option<i32>,
    churned: Option<bool>,
    weight: Option<i64>,
    fcinfo: pg_sys::FunctionCallInfo,
) -> Internal {
    sbg_add(state, periods_survived, churned, weight, fcinfo)
}

/// Combine function of the fit aggregates (parallel query).
#[pg_extern(immutable, parallel_safe)]
fn clv_fit_combine(
    first: Internal,
    second: Internal,
    fcinfo: pg_sys::FunctionCallInfo,
) -> Internal {
    unsafe {
        combine_states::<WeightedRows>(
            first,
            second,
            fcinfo,
            "crm.clv_fit_combine",
            |rows, other| rows.merge("crm.clv_fit_combine", other).or_raise(),
        )
    }
}

/// Serialize function of the fit aggregates (parallel query).
#[pg_extern(immutable, parallel_safe, strict)]
fn clv_fit_serialize(mut state: Internal) -> Vec<u8> {
    unsafe { state_ref::<WeightedRows>(&mut state) }
        .map(|rows| rows.encode())
        .unwrap_or_else(|| WeightedRows::default().encode())
}

/// Deserialize function of the fit aggregates (parallel query).
#[pg_extern(immutable, parallel_safe, strict)]
fn clv_fit_deserialize(bytes: &[u8], _unused: Internal) -> Internal {
    new_transient_state(WeightedRows::decode(bytes, "crm.clv_fit_deserialize").or_raise())
}

fn fit_rows<'a>(state: &mut Internal) -> Option<&'a mut WeightedRows> {
    unsafe { state_ref::<WeightedRows>(state) }.filter(|rows| rows.customers() > 0)
}

/// Final function of `crm.bgnbd_fit`: the maximum-likelihood model.
#[pg_extern(immutable, parallel_safe)]
fn bgnbd_fit_final(mut state: Internal) -> Option<bgnbd_model> {
    let rows = fit_rows(&mut state)?;
    bgnbd::fit(BGNBD_FIT, rows).or_raise().map(bgnbd_model)
}

/// Final function of `crm.gamma_gamma_fit`: the maximum-likelihood model.
#[pg_extern(immutable, parallel_safe)]
fn gamma_gamma_fit_final(mut state: Internal) -> Option<gamma_gamma_model> {
    let rows = fit_rows(&mut state)?;
    gamma_gamma::fit(GAMMA_GAMMA_FIT, rows)
        .or_raise()
        .map(gamma_gamma_model)
}

/// Final function of `crm.sbg_fit`: the maximum-likelihood model.
#[pg_extern(immutable, parallel_safe)]
fn sbg_fit_final(mut state: Internal) -> Option<sbg_model> {
    let rows = fit_rows(&mut state)?;
    sbg::fit(SBG_FIT, rows).or_raise().map(sbg_model)
}

// ---------------------------------------------------------------------------------------------
// BG/NBD straight from purchases: crm.bgnbd_fit(customer_id, occurred_at, observation_end,
// time_unit), one aggregate over a transactions table.
// ---------------------------------------------------------------------------------------------

/// Per-row step of the purchases form of `crm.bgnbd_fit`: one (customer, day) pair.
///
/// # Safety
/// `fcinfo` must be the call info of one of its transition functions, whose argument 1 is a
/// customer id that `key` reads.
#[inline(always)]
unsafe fn purchases_add(
    fcinfo: pg_sys::FunctionCallInfo,
    key: unsafe fn(pg_sys::Datum) -> u128,
) -> pg_sys::Datum {
    let arguments = unsafe {
        (
            raw_arg(fcinfo, 1),
            raw_arg(fcinfo, 2),
            raw_arg(fcinfo, 3),
            raw_arg(fcinfo, 4),
        )
    };
    let (Some(customer), Some(occurred_at), Some(observation_end), Some(time_unit)) = arguments
    else {
        return unsafe { raw_return_unchanged(fcinfo) };
    };
    let occurred_at = finite_timestamp(BGNBD_FIT, "occurred_at", occurred_at.value() as i64);
    let observation_end =
        finite_timestamp(BGNBD_FIT, "observation_end", observation_end.value() as i64);
    let unit = unsafe { raw_varlena_bytes(time_unit, |bytes| unit_index(BGNBD_FIT, bytes)) };
    let customer = unsafe { key(customer) };
    let days = unsafe { raw_state(fcinfo, BGNBD_FIT, PurchaseDays::default) };
    let added =
        unit.and_then(|unit| days.add(BGNBD_FIT, customer, occurred_at, observation_end, unit));
    if let Err(error) = added {
        // SAFETY: a raw V1 function's step; nothing on this frame needs dropping.
        unsafe { raise_from_raw(move || error.error) };
    }
    unsafe { raw_return_state(fcinfo, days) }
}

/// Key of a bigint customer id.
unsafe fn bigint_customer(datum: pg_sys::Datum) -> u128 {
    u128::from(datum.value() as u64)
}

/// Key of a text customer id: the 128-bit XXH3 hash of its bytes.
unsafe fn text_customer(datum: pg_sys::Datum) -> u128 {
    unsafe { raw_varlena_bytes(datum, xxhash_rust::xxh3::xxh3_128) }
}

/// Key of a uuid customer id: its 128 bits.
unsafe fn uuid_customer(datum: pg_sys::Datum) -> u128 {
    // SAFETY: a non-null uuid datum points to its 16 bytes.
    u128::from_be_bytes(unsafe { *datum.cast_mut_ptr::<[u8; 16]>() })
}

crate::raw_transition! {
    /// Transition function of `crm.bgnbd_fit(bigint, timestamptz, timestamptz, text)`.
    fn crm_bgnbd_fit_purchases_bigint_trans / pg_finfo_crm_bgnbd_fit_purchases_bigint_trans (fcinfo) {
        unsafe { purchases_add(fcinfo, bigint_customer) }
    }
}

crate::raw_transition! {
    /// Transition function of `crm.bgnbd_fit(text, timestamptz, timestamptz, text)`.
    fn crm_bgnbd_fit_purchases_text_trans / pg_finfo_crm_bgnbd_fit_purchases_text_trans (fcinfo) {
        unsafe { purchases_add(fcinfo, text_customer) }
    }
}

crate::raw_transition! {
    /// Transition function of `crm.bgnbd_fit(uuid, timestamptz, timestamptz, text)`.
    fn crm_bgnbd_fit_purchases_uuid_trans / pg_finfo_crm_bgnbd_fit_purchases_uuid_trans (fcinfo) {
        unsafe { purchases_add(fcinfo, uuid_customer) }
    }
}

/// Combine function of the purchases form of `crm.bgnbd_fit` (parallel query).
#[pg_extern(immutable, parallel_safe)]
fn bgnbd_purchases_combine(
    first: Internal,
    second: Internal,
    fcinfo: pg_sys::FunctionCallInfo,
) -> Internal {
    unsafe {
        combine_states::<PurchaseDays>(first, second, fcinfo, BGNBD_FIT, |days, other| {
            days.merge(BGNBD_FIT, other).or_raise()
        })
    }
}

/// Serialize function of the purchases form of `crm.bgnbd_fit` (parallel query).
#[pg_extern(immutable, parallel_safe, strict)]
fn bgnbd_purchases_serialize(mut state: Internal) -> Vec<u8> {
    unsafe { state_ref::<PurchaseDays>(&mut state) }
        .map(|days| days.encode())
        .unwrap_or_else(|| PurchaseDays::default().encode())
}

/// Deserialize function of the purchases form of `crm.bgnbd_fit` (parallel query).
#[pg_extern(immutable, parallel_safe, strict)]
fn bgnbd_purchases_deserialize(bytes: &[u8], _unused: Internal) -> Internal {
    new_transient_state(PurchaseDays::decode(bytes).or_raise())
}

/// Final function of the purchases form of `crm.bgnbd_fit`: the customers' rows, then the
/// maximum-likelihood model (NULL without purchases up to the observation end).
#[pg_extern(immutable, parallel_safe)]
fn bgnbd_purchases_final(mut state: Internal) -> Option<bgnbd_model> {
    let days = unsafe { state_ref::<PurchaseDays>(&mut state) }?;
    let rows = days.weighted_rows(BGNBD_FIT).or_raise();
    if rows.customers() == 0 {
        return None;
    }
    bgnbd::fit(BGNBD_FIT, &rows).or_raise().map(bgnbd_model)
}

// ---------------------------------------------------------------------------------------------
// RFM.
// ---------------------------------------------------------------------------------------------

/// A finite timestamp argument, 22008 for ±infinity.
#[inline(always)]
fn finite_timestamp(function: &'static str, name: &'static str, value: i64) -> i64 {
    if value == i64::MAX || value == i64::MIN {
        infinite_timestamp(function, name);
    }
    value
}

#[cold]
#[inline(never)]
fn infinite_timestamp(function: &'static str, name: &'static str) -> ! {
    // SAFETY: called from a raw V1 function whose frames hold nothing that needs dropping.
    unsafe {
        raise_from_raw(move || {
            MetricError::DatetimeOverflow(format!("{function}: {name} must be finite"))
        })
    }
}

#[cold]
#[inline(never)]
fn reject_amount(problem: NumericProblem) -> ! {
    // SAFETY: called from a raw V1 function whose frames hold nothing that needs dropping.
    unsafe {
        raise_from_raw(move || match problem {
            NumericProblem::NotFinite => {
                MetricError::InvalidParameter(format!("{RFM_AGG}: amount must be a finite number"))
            }
            NumericProblem::OutOfRange => MetricError::OutOfRange(format!(
                "{RFM_AGG}: amount has more than 28 significant digits or decimal places"
            )),
        })
    }
}

// The state is allocated in the aggregate context without the usual drop callback (one
// allocation per customer instead of three, and no callback call at the end): it owns no heap
// memory until a customer has more purchase days than it keeps inline, and the callback that
// drops it is registered at that moment.
const _: () = assert!(std::mem::align_of::<RfmState>() <= 8);
// `SSPACE = 256` of crm.rfm_agg in sql/clv.sql: the state fits the 256-byte chunk it assumes.
const _: () =
    assert!(std::mem::size_of::<RfmState>() > 128 && std::mem::size_of::<RfmState>() <= 256);

/// The `crm.rfm_agg` state of the current group, created on its first row.
///
/// # Safety
/// `fcinfo` must be the call info of `crm.rfm_agg_trans`; a Postgres error at creation longjmps
/// over the callers, which must hold nothing that needs dropping.
#[inline(always)]
unsafe fn rfm_state<'a>(fcinfo: pg_sys::FunctionCallInfo) -> &'a mut RfmState {
    // SAFETY: argument 0 is NULL on a group's first row, then the state `new_rfm_state` made
    // (only this transition function creates states of `crm.rfm_agg` it is given back).
    match unsafe { raw_arg(fcinfo, 0) } {
        Some(datum) if !datum.is_null() => unsafe { &mut *datum.cast_mut_ptr::<RfmState>() },
        _ => unsafe { &mut *new_rfm_state(fcinfo) },
    }
}

#[cold]
#[inline(never)]
unsafe fn new_rfm_state(fcinfo: pg_sys::FunctionCallInfo) -> *mut RfmState {
    // SAFETY: the callers hold nothing that needs dropping (`rfm_state`'s contract), so the
    // guard may turn an error into a longjmp past them. The allocation is MAXALIGNed (8 bytes,
    // enough for `RfmState`, checked above) and sized for it, and is initialised before use.
    unsafe {
        pg_sys::submodules::panic::pgrx_extern_c_guard(|| {
            let context = aggregate_memory_context(fcinfo, RFM_AGG);
            let pointer = pg_sys::MemoryContextAlloc(context, std::mem::size_of::<RfmState>())
                .cast::<RfmState>();
            pointer.write(RfmState::default());
            pointer
        })
    }
}

/// Registers the callback that drops `state` when the group's memory context goes away.
///
/// # Safety
/// `state` must have been made by `new_rfm_state` in the current group's context and not be
/// registered yet (it is registered once, when it first owns heap memory); `fcinfo` as in
/// [`rfm_state`]. If the registration itself fails (out of memory) the error ends the query and
/// the state's heap memory leaks, as any Rust allocation would.
#[cold]
#[inline(never)]
unsafe fn register_rfm_drop(fcinfo: pg_sys::FunctionCallInfo, state: &mut RfmState) {
    #[pg_guard]
    unsafe extern "C-unwind" fn drop_rfm_state(argument: *mut std::ffi::c_void) {
        // SAFETY: `argument` is the registered state, dropped once, before its memory goes.
        unsafe { std::ptr::drop_in_place(argument.cast::<RfmState>()) }
    }
    let state: *mut RfmState = state;
    // SAFETY: the callback lives in the same context as the state and is filled in before it
    // is registered; the guard turns an error into a longjmp past callers that hold nothing
    // that needs dropping.
    unsafe {
        pg_sys::submodules::panic::pgrx_extern_c_guard(|| {
            let context = aggregate_memory_context(fcinfo, RFM_AGG);
            let callback = pg_sys::MemoryContextAlloc(
                context,
                std::mem::size_of::<pg_sys::MemoryContextCallback>(),
            )
            .cast::<pg_sys::MemoryContextCallback>();
            callback.write(pg_sys::MemoryContextCallback {
                func: Some(drop_rfm_state),
                arg: state.cast(),
                next: std::ptr::null_mut(),
            });
            pg_sys::MemoryContextRegisterResetCallback(context, callback);
        })
    }
}

crate::raw_transition! {
    /// Transition function of `crm.rfm_agg(timestamptz, numeric, timestamptz, text)`: merge one
    /// purchase into the customer's daily totals. Reads the `numeric` bytes directly (no text
    /// round trip) and calls into Postgres only to create the state, detoast or raise.
    fn crm_rfm_agg_trans / pg_finfo_crm_rfm_agg_trans (fcinfo) {
        let arguments = unsafe {
            (raw_arg(fcinfo, 1), raw_arg(fcinfo, 2), raw_arg(fcinfo, 3), raw_arg(fcinfo, 4))
        };
        let (Some(occurred_at), Some(amount), Some(observation_end), Some(time_unit)) = arguments
        else {
            return unsafe { raw_return_unchanged(fcinfo) };
        };
        let occurred_at = finite_timestamp(RFM_AGG, "occurred_at", occurred_at.value() as i64);
        let observation_end =
            finite_timestamp(RFM_AGG, "observation_end", observation_end.value() as i64);
        let unit = unsafe { raw_varlena_bytes(time_unit, |bytes| unit_index(RFM_AGG, bytes)) };
        let unit = match unit {
            Ok(unit) => unit,
            // SAFETY: nothing on this frame needs dropping.
            Err(error) => unsafe { raise_from_raw(move || error.error) },
        };
        let amount = unsafe {
            raw_varlena_bytes(amount, |bytes| {
                decimal_from_numeric(bytes).unwrap_or_else(|problem| reject_amount(problem))
            })
        };
        let purchases = unsafe { rfm_state(fcinfo) };
        let owned_heap = purchases.owns_heap();
        if let Err(error) = purchases.add_in_unit(RFM_AGG, occurred_at, amount, observation_end, unit) {
            // SAFETY: nothing on this frame needs dropping.
            unsafe { raise_from_raw(move || error.error) };
        }
        if !owned_heap && purchases.owns_heap() {
            // SAFETY: the state was made by `rfm_state` in this group's context and just
            // took heap memory; nothing on this frame needs dropping.
            unsafe { register_rfm_drop(fcinfo, purchases) };
        }
        unsafe { raw_return_state(fcinfo, purchases) }
    }
}

/// Combine function of `crm.rfm_agg` (parallel query).
#[pg_extern(immutable, parallel_safe)]
fn rfm_agg_combine(
    first: Internal,
    second: Internal,
    fcinfo: pg_sys::FunctionCallInfo,
) -> Internal {
    unsafe {
        combine_states::<RfmState>(first, second, fcinfo, RFM_AGG, |state, other| {
            state.merge(RFM_AGG, other).or_raise()
        })
    }
}

/// Serialize function of `crm.rfm_agg` (parallel query).
#[pg_extern(immutable, parallel_safe, strict)]
fn rfm_agg_serialize(mut state: Internal) -> Vec<u8> {
    unsafe { state_ref::<RfmState>(&mut state) }
        .map(|state| state.encode())
        .unwrap_or_else(|| RfmState::default().encode())
}

/// Deserialize function of `crm.rfm_agg` (parallel query).
#[pg_extern(immutable, parallel_safe, strict)]
fn rfm_agg_deserialize(bytes: &[u8], _unused: Internal) -> Internal {
    new_transient_state(RfmState::decode(bytes).or_raise())
}

/// Builds the `crm.rfm` tuple of one customer. The tuple descriptor is looked up once per
/// query and kept in `fn_extra`.
///
/// # Safety
/// `fcinfo` must be the call info of `crm.rfm_agg_final`; may raise a Postgres error, so it
/// runs under a panic guard.
unsafe fn rfm_tuple(fcinfo: pg_sys::FunctionCallInfo, rfm: &Rfm) -> pg_sys::Datum {
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
        let mut numeric = [0u8; NUMERIC_BYTES];
        let length = write_numeric(rfm.monetary_value, &mut numeric);
        let monetary_value = varlena_from_bytes(numeric.get(..length).unwrap_or(&[]));
        let mut values = [
            pg_sys::Datum::from(rfm.frequency),
            pg_sys::Datum::from(rfm.recency.to_bits()),
            pg_sys::Datum::from(rfm.age.to_bits()),
            monetary_value,
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
    fn crm_rfm_agg_final / pg_finfo_crm_rfm_agg_final (fcinfo) {
        let state = unsafe { raw_arg(fcinfo, 0) }.filter(|datum| !datum.is_null());
        let Some(state) = state else {
            unsafe { (*fcinfo).isnull = true };
            return pg_sys::Datum::from(0);
        };
        // SAFETY: the state of crm.rfm_agg is always an RfmState made by its transition.
        let purchases = unsafe { &mut *state.cast_mut_ptr::<RfmState>() };
        match purchases.finish(RFM_AGG) {
            Ok(Some(rfm)) => {
                unsafe { (*fcinfo).isnull = false };
                // SAFETY: nothing in this frame needs dropping if the guard turns an error
                // into a longjmp.
                unsafe {
                    pg_sys::submodules::panic::pgrx_extern_c_guard(|| rfm_tuple(fcinfo, &rfm))
                }
            }
            Ok(None) => {
                unsafe { (*fcinfo).isnull = true };
                pg_sys::Datum::from(0)
            }
            // SAFETY: nothing on this frame needs dropping.
            Err(error) => unsafe { raise_from_raw(move || error.error) },
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Models from known parameters, accessors, predictions.
// ---------------------------------------------------------------------------------------------

/// A BG/NBD model from known parameters (each positive and finite).
#[pg_extern(immutable, parallel_safe, strict, name = "bgnbd_model")]
fn bgnbd_model_from_parameters(r: f64, alpha: f64, a: f64, b: f64) -> bgnbd_model {
    bgnbd_model(BgNbdModel::from_parameters("crm.bgnbd_model", r, alpha, a, b).or_raise())
}

/// A Gamma-Gamma model from known parameters (each positive and finite).
#[pg_extern(immutable, parallel_safe, strict, name = "gamma_gamma_model")]
fn gamma_gamma_model_from_parameters(p: f64, q: f64, v: f64) -> gamma_gamma_model {
    gamma_gamma_model(GammaGammaModel::from_parameters("crm.gamma_gamma_model", p, q, v).or_raise())
}

/// An sBG model from known parameters (each positive and finite).
#[pg_extern(immutable, parallel_safe, strict, name = "sbg_model")]
fn sbg_model_from_parameters(alpha: f64, beta: f64) -> sbg_model {
    sbg_model(SbgModel::from_parameters("crm.sbg_model", alpha, beta).or_raise())
}

/// Parameters of a BG/NBD model.
#[pg_extern(immutable, parallel_safe, strict, name = "params")]
fn bgnbd_params(
    model: bgnbd_model,
) -> TableIterator<
    'static,
    (
        name!(r, f64),
        name!(alpha, f64),
        name!(a, f64),
        name!(b, f64),
    ),
> {
    let m = model.0;
    TableIterator::once((m.r, m.alpha, m.a, m.b))
}

/// Parameters of a Gamma-Gamma model.
#[pg_extern(immutable, parallel_safe, strict, name = "params")]
fn gamma_gamma_params(
    model: gamma_gamma_model,
) -> TableIterator<'static, (name!(p, f64), name!(q, f64), name!(v, f64))> {
    let m = model.0;
    TableIterator::once((m.p, m.q, m.v))
}

/// Parameters of an sBG model.
#[pg_extern(immutable, parallel_safe, strict, name = "params")]
fn sbg_params(model: sbg_model) -> TableIterator<'static, (name!(alpha, f64), name!(beta, f64))> {
    TableIterator::once((model.0.alpha, model.0.beta))
}

/// Log-likelihood of a fitted BG/NBD model; NULL for a model built from parameters.
#[pg_extern(immutable, parallel_safe, strict, name = "log_likelihood")]
fn bgnbd_log_likelihood(model: bgnbd_model) -> Option<f64> {
    model.0.fit.map(|fit| fit.log_likelihood)
}

/// Log-likelihood of a fitted Gamma-Gamma model; NULL for a model built from parameters.
#[pg_extern(immutable, parallel_safe, strict, name = "log_likelihood")]
fn gamma_gamma_log_likelihood(model: gamma_gamma_model) -> Option<f64> {
    model.0.fit.map(|fit| fit.log_likelihood)
}

/// Log-likelihood of a fitted sBG model; NULL for a model built from parameters.
#[pg_extern(immutable, parallel_safe, strict, name = "log_likelihood")]
fn sbg_log_likelihood(model: sbg_model) -> Option<f64> {
    model.0.fit.map(|fit| fit.log_likelihood)
}

/// Customers a BG/NBD model was fitted on (0 when built from parameters).
#[pg_extern(immutable, parallel_safe, strict, name = "customers")]
fn bgnbd_customers(model: bgnbd_model) -> i64 {
    bigint(model.0.customers())
}

/// Repeat buyers a Gamma-Gamma model was fitted on (0 when built from parameters).
#[pg_extern(immutable, parallel_safe, strict, name = "customers")]
fn gamma_gamma_customers(model: gamma_gamma_model) -> i64 {
    bigint(model.0.customers())
}

/// Customers an sBG model was fitted on (0 when built from parameters).
#[pg_extern(immutable, parallel_safe, strict, name = "customers")]
fn sbg_customers(model: sbg_model) -> i64 {
    bigint(model.0.customers())
}

/// E[X(t)]: expected purchases of a new customer within `horizon` time units.
#[pg_extern(immutable, parallel_safe, strict, name = "expected_purchases")]
fn bgnbd_expected_purchases(model: bgnbd_model, horizon: f64) -> f64 {
    model
        .0
        .expected_purchases("crm.expected_purchases", horizon)
        .or_raise()
}

/// E[Y(t) | x, t_x, T]: expected purchases in the next `horizon` of a customer with that history.
#[pg_extern(immutable, parallel_safe, strict, name = "expected_purchases")]
fn bgnbd_conditional_expected_purchases(
    model: bgnbd_model,
    horizon: f64,
    frequency: i32,
    recency: f64,
    t: f64,
) -> f64 {
    model
        .0
        .conditional_expected_purchases("crm.expected_purchases", horizon, frequency, recency, t)
        .or_raise()
}

/// P(alive | x, t_x, T) under a BG/NBD model.
#[pg_extern(immutable, parallel_safe, strict)]
fn probability_alive(model: bgnbd_model, frequency: i32, recency: f64, t: f64) -> f64 {
    model
        .0
        .probability_alive("crm.probability_alive", frequency, recency, t)
        .or_raise()
}

/// E[Z | x, m_x]: expected mean spend per transaction under a Gamma-Gamma model.
#[pg_extern(immutable, parallel_safe, strict)]
fn expected_average_value(
    model: gamma_gamma_model,
    frequency: i32,
    monetary_value: AnyNumeric,
) -> f64 {
    model
        .0
        .expected_average_value(
            "crm.expected_average_value",
            frequency,
            float_of(monetary_value),
        )
        .or_raise()
}

/// Discounted CLV over `horizon_months` from BG/NBD purchases and Gamma-Gamma spend.
#[allow(clippy::too_many_arguments)]
#[pg_extern(immutable, parallel_safe, strict, name = "clv")]
fn clv_discounted(
    bg: bgnbd_model,
    gg: gamma_gamma_model,
    frequency: i32,
    recency: f64,
    t: f64,
    monetary_value: AnyNumeric,
    horizon_months: i32,
    monthly_discount_rate: f64,
    time_unit: TextArg,
) -> f64 {
    let time_unit = time_unit.name(CLV, "time unit").or_raise();
    discounted_clv(
        CLV,
        &bg.0,
        &gg.0,
        frequency,
        recency,
        t,
        float_of(monetary_value),
        horizon_months,
        monthly_discount_rate,
        time_unit,
    )
    .or_raise()
}

/// S(n): share of a cohort still active after `period` renewals.
#[pg_extern(immutable, parallel_safe, strict)]
fn survival(model: sbg_model, period: i32) -> f64 {
    model.0.survival("crm.survival", period).or_raise()
}

/// r_t = (β + t − 1)/(α + β + t − 1): the share of customers active in period t − 1 who renew.
#[pg_extern(immutable, parallel_safe, strict, name = "retention_rate")]
fn sbg_retention_rate(model: sbg_model, period: i32) -> f64 {
    model
        .0
        .retention_rate("crm.retention_rate", period)
        .or_raise()
}

/// DEL: discounted expected lifetime (in periods) of a new customer.
#[pg_extern(immutable, parallel_safe, strict)]
fn expected_lifetime(model: sbg_model, discount_rate: default!(f64, 0.0)) -> f64 {
    model
        .0
        .expected_lifetime("crm.expected_lifetime", discount_rate)
        .or_raise()
}

/// DERL: discounted expected residual lifetime of a customer who renewed `periods_survived` times.
#[pg_extern(immutable, parallel_safe, strict)]
fn residual_lifetime(
    model: sbg_model,
    periods_survived: i32,
    discount_rate: default!(f64, 0.0),
) -> f64 {
    model
        .0
        .residual_lifetime("crm.residual_lifetime", periods_survived, discount_rate)
        .or_raise()
}

extension_sql_file!(
    "../../sql/clv.sql",
    name = "clv_aggregates",
    requires = [
        bgnbd_model,
        gamma_gamma_model,
        sbg_model,
        clv_from_purchase_rate,
        clv_from_churn_rate,
        gamma_gamma_fit_trans,
        sbg_fit_trans,
        sbg_fit_weighted_trans,
        clv_fit_combine,
        clv_fit_serialize,
        clv_fit_deserialize,
        bgnbd_fit_final,
        gamma_gamma_fit_final,
        sbg_fit_final,
        rfm_agg_combine,
        rfm_agg_serialize,
        rfm_agg_deserialize,
        bgnbd_purchases_combine,
        bgnbd_purchases_serialize,
        bgnbd_purchases_deserialize,
        bgnbd_purchases_final,
        bgnbd_model_from_parameters,
        gamma_gamma_model_from_parameters,
        sbg_model_from_parameters,
        bgnbd_params,
        gamma_gamma_params,
        sbg_params,
        bgnbd_log_likelihood,
        gamma_gamma_log_likelihood,
        sbg_log_likelihood,
        bgnbd_customers,
        gamma_gamma_customers,
        sbg_customers,
        bgnbd_expected_purchases,
        bgnbd_conditional_expected_purchases,
        probability_alive,
        expected_average_value,
        clv_discounted,
        survival,
        sbg_retention_rate,
        expected_lifetime,
        residual_lifetime,
    ]
);
