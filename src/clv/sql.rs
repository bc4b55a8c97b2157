//! SQL surface of the CLV family: model types, the fit and RFM aggregates' support functions,
//! accessors and predictions. Aggregates, the `crm.rfm` composite type and the raw transition
//! functions are declared in `sql/clv.sql`.
use super::state::bgnbd::{self, BgNbdModel};
use super::state::gamma_gamma::{self, discounted_clv, discounted_clv_interval, GammaGammaModel};
use super::state::interval_in_units;
use super::state::purchases::PurchaseDays;
use super::state::rows::WeightedRows;
use super::state::sbg::{self, SbgModel};
use super::state::simple::{
    clv_from_churn, clv_from_purchases, decimal_from_numeric, unit_index, write_numeric,
    NumericProblem, Rfm, RfmState, NUMERIC_BYTES,
};
use super::state::FitInfo;
use crate::common::datum::{
    decimal_of, numeric_of, raw_bigint_key, raw_text_key, raw_uuid_key, raw_varlena_bytes,
};
use crate::common::error::MetricError;
use crate::common::expanded::{
    expanded_combine, expanded_final, expanded_return, expanded_state_mut,
};
use crate::common::keys::KeyKind;
use crate::common::money::finite_decimal_from_text;
use crate::common::pg::{
    bigint, raise, raise_from_raw, raw_arg, raw_return_unchanged, varlena_from_bytes, OrRaise,
    TextArg,
};
use pgrx::datum::Interval;
use pgrx::prelude::*;

const BGNBD_FIT: &str = "crm.bgnbd_fit";
const GAMMA_GAMMA_FIT: &str = "crm.gamma_gamma_fit";
const SBG_FIT: &str = "crm.sbg_fit";
const RFM_AGG: &str = "crm.rfm_agg";
const CLV: &str = "crm.clv";
const EXPECTED_PURCHASES: &str = "crm.expected_purchases";

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

/// Transition state of `crm.rfm_agg`: one customer's daily purchase totals; opaque text form
/// `\x` + the hex of the binary form (Citus ships partial states in this form).
#[allow(non_camel_case_types)]
#[derive(PostgresType, Clone, Debug)]
#[bikeshed_postgres_type_manually_impl_from_into_datum]
#[inoutfuncs]
pub struct rfm_state(pub RfmState);

crate::summary_type!(rfm_state(RfmState));
crate::expanded_state!(RfmState);

/// Transition state of the model fits (`crm.bgnbd_fit` over (frequency, recency, t),
/// `crm.gamma_gamma_fit`, `crm.sbg_fit`): distinct input rows with their weights; opaque text
/// form `\x` + the hex of the binary form.
#[allow(non_camel_case_types)]
#[derive(PostgresType, Clone, Debug)]
#[bikeshed_postgres_type_manually_impl_from_into_datum]
#[inoutfuncs]
pub struct fit_rows(pub WeightedRows);

crate::summary_type!(fit_rows(WeightedRows));
crate::expanded_state!(WeightedRows);

/// Transition state of `crm.bgnbd_fit` straight from purchases: (customer, purchase day)
/// pairs; opaque text form `\x` + the hex of the binary form.
#[allow(non_camel_case_types)]
#[derive(PostgresType, Clone, Debug)]
#[bikeshed_postgres_type_manually_impl_from_into_datum]
#[inoutfuncs]
pub struct purchase_days(pub PurchaseDays);

crate::summary_type!(purchase_days(PurchaseDays));
crate::expanded_state!(PurchaseDays);

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
    let value = decimal_of(
        CLV,
        "average_purchase_value",
        &average_purchase_value,
        finite_decimal_from_text,
    );
    let clv = clv_from_purchases(CLV, value, purchases_per_year, lifespan_years).or_raise();
    numeric_of(CLV, clv)
}

/// CLV = ARPA / churn rate; NULL when the churn rate is 0.
#[pg_extern(immutable, parallel_safe, strict, name = "clv")]
fn clv_from_churn_rate(arpa: AnyNumeric, churn_rate: f64) -> Option<AnyNumeric> {
    let arpa = decimal_of(CLV, "arpa", &arpa, finite_decimal_from_text);
    clv_from_churn(CLV, arpa, churn_rate)
        .or_raise()
        .map(|clv| numeric_of(CLV, clv))
}

// ---------------------------------------------------------------------------------------------
// Fit aggregates: merged weighted rows, shared support functions.
// ---------------------------------------------------------------------------------------------

/// The penalizer argument of a penalized fit's transition (`at`: its index; `None` for the
/// unpenalized forms), recorded in the state: a NULL penalizer gives none, a negative,
/// NaN or infinite one, or one that differs from an earlier row's, is 22023.
///
/// # Safety
/// `fcinfo` must be the running call's; with `at`, argument `at` must be a double precision.
#[inline(always)]
unsafe fn row_penalizer(fcinfo: pg_sys::FunctionCallInfo, at: Option<usize>) -> Option<f64> {
    // SAFETY: argument `at` exists and is a double precision (this function's contract).
    at.and_then(|at| unsafe { raw_arg(fcinfo, at) })
        .map(|penalizer| f64::from_bits(penalizer.value() as u64))
}

/// The weight argument of a fit's transition: none (every row one customer), a bigint, or an
/// integer (its own forms, so that an integer weight never resolves to the penalized form,
/// whose double precision penalizer Postgres would prefer over a bigint weight).
#[derive(Clone, Copy)]
enum Weight {
    One,
    BigInt,
    Integer,
}

impl Weight {
    /// The weight of the row: `Some(1)` for [`Weight::One`], `None` when the argument is NULL.
    ///
    /// # Safety
    /// `fcinfo` must be the running call's and, unless `self` is [`Weight::One`], argument `at`
    /// must be of the type `self` names.
    #[inline(always)]
    unsafe fn read(self, fcinfo: pg_sys::FunctionCallInfo, at: usize) -> Option<i64> {
        match self {
            Weight::One => Some(1),
            // SAFETY: argument `at` is a bigint (this function's contract).
            Weight::BigInt => unsafe { raw_arg(fcinfo, at) }.map(|weight| weight.value() as i64),
            Weight::Integer => {
                // SAFETY: argument `at` is an integer (this function's contract).
                unsafe { raw_arg(fcinfo, at) }.map(|weight| i64::from(weight.value() as i32))
            }
        }
    }
}

/// Per-row step of `crm.bgnbd_fit`: validate and merge one (x, t_x, T[, weight][, penalizer])
/// row.
///
/// # Safety
/// `fcinfo` must be the call info of one of its transition functions (unless `weight` is
/// [`Weight::One`], the one whose argument 4 is a weight of that type; with `penalizer`, the
/// one whose argument of that index is the double precision penalizer).
#[inline(always)]
unsafe fn bgnbd_add(
    fcinfo: pg_sys::FunctionCallInfo,
    weight: Weight,
    penalizer: Option<usize>,
) -> pg_sys::Datum {
    // SAFETY: a transition of `crm.bgnbd_fit` has arguments 0 to 3 (4 when weighted).
    let arguments = unsafe { (raw_arg(fcinfo, 1), raw_arg(fcinfo, 2), raw_arg(fcinfo, 3)) };
    let (Some(frequency), Some(recency), Some(age)) = arguments else {
        // SAFETY: `fcinfo` is the running call's (this function's contract).
        return unsafe { raw_return_unchanged(fcinfo) };
    };
    // SAFETY: a weighted transition has a fifth argument, the weight of that type.
    let Some(weight) = (unsafe { weight.read(fcinfo, 4) }) else {
        // SAFETY: `fcinfo` is the running call's.
        return unsafe { raw_return_unchanged(fcinfo) };
    };
    // SAFETY: argument 0 is a `crm.fit_rows`.
    let mut state = unsafe { expanded_state_mut(fcinfo, WeightedRows::default) };
    let frequency = frequency.value() as i32;
    let recency = f64::from_bits(recency.value() as u64);
    let age = f64::from_bits(age.value() as u64);
    // SAFETY: `fcinfo` is the running call's; `penalizer` indexes its penalizer argument.
    let penalizer = unsafe { row_penalizer(fcinfo, penalizer) };
    let rows = state.get();
    let added = match (
        bgnbd::customer_key(BGNBD_FIT, frequency, recency, age),
        u64::try_from(weight),
    ) {
        (Ok(key), Ok(weight)) => rows.add(BGNBD_FIT, key, weight).and_then(|()| {
            penalizer.map_or(Ok(()), |penalizer| rows.set_penalizer(BGNBD_FIT, penalizer))
        }),
        (Err(error), _) => Err(error),
        (_, Err(_)) => Err(negative_weight(BGNBD_FIT, weight)),
    };
    if let Err(error) = added {
        raise_from_raw(move || error);
    }
    // SAFETY: `fcinfo` is the running call's; `state` is the object of its argument 0.
    unsafe { expanded_return(fcinfo, state) }
}

#[cold]
fn negative_weight(function: &str, weight: i64) -> MetricError {
    MetricError::InvalidParameter(format!("{function}: weight {weight} is negative"))
}

crate::raw_transition! {
    /// Transition function of `crm.bgnbd_fit(integer, double precision, double precision)`.
    fn crm_bgnbd_fit_trans / pg_finfo_crm_bgnbd_fit_trans (fcinfo)
    sql [
        "crm_internal.bgnbd_fit_trans(crm.fit_rows, integer, double precision, double precision) RETURNS crm.fit_rows IMMUTABLE PARALLEL SAFE",
    ] {
        // SAFETY: sql/clv.sql declares it with (crm.fit_rows, integer, double precision,
        // double precision), the unweighted form.
        unsafe { bgnbd_add(fcinfo, Weight::One, None) }
    }
}

crate::raw_transition! {
    /// Transition function of `crm.bgnbd_fit(integer, double precision, double precision,
    /// double precision)`, the penalized form.
    fn crm_bgnbd_fit_penalized_trans / pg_finfo_crm_bgnbd_fit_penalized_trans (fcinfo)
    sql [
        "crm_internal.bgnbd_fit_penalized_trans(crm.fit_rows, integer, double precision, double precision, double precision) RETURNS crm.fit_rows IMMUTABLE PARALLEL SAFE",
    ] {
        // SAFETY: sql/clv.sql declares it with (crm.fit_rows, integer, double precision,
        // double precision, double precision), the penalizer last.
        unsafe { bgnbd_add(fcinfo, Weight::One, Some(4)) }
    }
}

crate::raw_transition! {
    /// Transition function of `crm.bgnbd_fit(integer, double precision, double precision, bigint)`.
    fn crm_bgnbd_fit_weighted_trans / pg_finfo_crm_bgnbd_fit_weighted_trans (fcinfo)
    sql [
        "crm_internal.bgnbd_fit_weighted_trans(crm.fit_rows, integer, double precision, double precision, bigint) RETURNS crm.fit_rows IMMUTABLE PARALLEL SAFE",
    ] {
        // SAFETY: sql/clv.sql declares it with (crm.fit_rows, integer, double precision,
        // double precision, bigint), the weighted form.
        unsafe { bgnbd_add(fcinfo, Weight::BigInt, None) }
    }
}

crate::raw_transition! {
    /// Transition function of `crm.bgnbd_fit(integer, double precision, double precision,
    /// integer)`, the weighted form with an integer weight.
    fn crm_bgnbd_fit_integer_weighted_trans / pg_finfo_crm_bgnbd_fit_integer_weighted_trans (fcinfo)
    sql [
        "crm_internal.bgnbd_fit_integer_weighted_trans(crm.fit_rows, integer, double precision, double precision, integer) RETURNS crm.fit_rows IMMUTABLE PARALLEL SAFE",
    ] {
        // SAFETY: sql/clv.sql declares it with (crm.fit_rows, integer, double precision,
        // double precision, integer).
        unsafe { bgnbd_add(fcinfo, Weight::Integer, None) }
    }
}

crate::raw_transition! {
    /// Transition function of `crm.bgnbd_fit(integer, double precision, double precision,
    /// bigint, double precision)`, the weighted penalized form.
    fn crm_bgnbd_fit_weighted_penalized_trans / pg_finfo_crm_bgnbd_fit_weighted_penalized_trans (fcinfo)
    sql [
        "crm_internal.bgnbd_fit_weighted_penalized_trans(crm.fit_rows, integer, double precision, double precision, bigint, double precision) RETURNS crm.fit_rows IMMUTABLE PARALLEL SAFE",
    ] {
        // SAFETY: sql/clv.sql declares it with (crm.fit_rows, integer, double precision,
        // double precision, bigint, double precision), the penalizer last.
        unsafe { bgnbd_add(fcinfo, Weight::BigInt, Some(5)) }
    }
}

/// Per-row step of `crm.gamma_gamma_fit`: one (frequency, monetary value[, penalizer]) row.
///
/// # Safety
/// `fcinfo` must be the call info of one of its transition functions (with `penalizer`, the
/// one whose argument 3 is the double precision penalizer).
unsafe fn gamma_gamma_add(
    fcinfo: pg_sys::FunctionCallInfo,
    penalizer: Option<usize>,
) -> pg_sys::Datum {
    // SAFETY: argument 0 is a `crm.fit_rows`, 1 an integer, 2 a numeric, 3 (penalized) a double
    // precision; the body runs under the guard.
    unsafe {
        let (Some(frequency), Some(monetary_value)) = (raw_arg(fcinfo, 1), raw_arg(fcinfo, 2))
        else {
            return raw_return_unchanged(fcinfo);
        };
        let monetary_value =
            AnyNumeric::from_datum(monetary_value, false).map_or(f64::NAN, float_of);
        let penalizer = row_penalizer(fcinfo, penalizer);
        let mut state = expanded_state_mut(fcinfo, WeightedRows::default);
        let key =
            gamma_gamma::customer_key(GAMMA_GAMMA_FIT, frequency.value() as i32, monetary_value)
                .or_raise();
        let rows = state.get();
        if let Some(key) = key {
            rows.add(GAMMA_GAMMA_FIT, key, 1).or_raise();
        }
        // A row the fit ignores (no repeat purchase) still has its penalizer checked.
        if let Some(penalizer) = penalizer {
            rows.set_penalizer(GAMMA_GAMMA_FIT, penalizer).or_raise();
        }
        expanded_return(fcinfo, state)
    }
}

crate::raw_transition! {
    /// Transition function of `crm.gamma_gamma_fit(integer, numeric)`.
    fn crm_gamma_gamma_fit_trans / pg_finfo_crm_gamma_gamma_fit_trans (fcinfo)
    sql [
        "crm_internal.gamma_gamma_fit_trans(crm.fit_rows, integer, numeric) RETURNS crm.fit_rows IMMUTABLE PARALLEL SAFE",
    ] {
        // SAFETY: sql/clv.sql declares it with (crm.fit_rows, integer, numeric).
        unsafe { gamma_gamma_add(fcinfo, None) }
    }
}

crate::raw_transition! {
    /// Transition function of `crm.gamma_gamma_fit(integer, numeric, double precision)`, the
    /// penalized form.
    fn crm_gamma_gamma_fit_penalized_trans / pg_finfo_crm_gamma_gamma_fit_penalized_trans (fcinfo)
    sql [
        "crm_internal.gamma_gamma_fit_penalized_trans(crm.fit_rows, integer, numeric, double precision) RETURNS crm.fit_rows IMMUTABLE PARALLEL SAFE",
    ] {
        // SAFETY: sql/clv.sql declares it with (crm.fit_rows, integer, numeric, double
        // precision), the penalizer last.
        unsafe { gamma_gamma_add(fcinfo, Some(3)) }
    }
}

/// Per-row step of `crm.sbg_fit`: one (periods survived, churned[, weight][, penalizer]) row.
///
/// # Safety
/// `fcinfo` must be the call info of one of its transition functions (unless `weight` is
/// [`Weight::One`], the one whose argument 3 is a weight of that type; with `penalizer`, the
/// one whose argument of that index is the double precision penalizer).
unsafe fn sbg_add(
    fcinfo: pg_sys::FunctionCallInfo,
    weight: Weight,
    penalizer: Option<usize>,
) -> pg_sys::Datum {
    // SAFETY: argument 0 is a `crm.fit_rows`, 1 an integer, 2 a boolean, 3 (weighted) a
    // weight of that type; the body runs under the guard.
    unsafe {
        let weight = weight.read(fcinfo, 3);
        let (Some(periods_survived), Some(churned), Some(weight)) =
            (raw_arg(fcinfo, 1), raw_arg(fcinfo, 2), weight)
        else {
            return raw_return_unchanged(fcinfo);
        };
        let penalizer = row_penalizer(fcinfo, penalizer);
        let mut state = expanded_state_mut(fcinfo, WeightedRows::default);
        let key = sbg::customer_key(
            SBG_FIT,
            periods_survived.value() as i32,
            churned.value() != 0,
        )
        .or_raise();
        let weight =
            u64::try_from(weight).unwrap_or_else(|_| raise(negative_weight(SBG_FIT, weight)));
        let rows = state.get();
        rows.add(SBG_FIT, key, weight).or_raise();
        if let Some(penalizer) = penalizer {
            rows.set_penalizer(SBG_FIT, penalizer).or_raise();
        }
        expanded_return(fcinfo, state)
    }
}

crate::raw_transition! {
    /// Transition function of `crm.sbg_fit(integer, boolean)`.
    fn crm_sbg_fit_trans / pg_finfo_crm_sbg_fit_trans (fcinfo)
    sql [
        "crm_internal.sbg_fit_trans(crm.fit_rows, integer, boolean) RETURNS crm.fit_rows IMMUTABLE PARALLEL SAFE",
    ] {
        // SAFETY: sql/clv.sql declares it with (crm.fit_rows, integer, boolean).
        unsafe { sbg_add(fcinfo, Weight::One, None) }
    }
}

crate::raw_transition! {
    /// Transition function of `crm.sbg_fit(integer, boolean, double precision)`, the penalized
    /// form.
    fn crm_sbg_fit_penalized_trans / pg_finfo_crm_sbg_fit_penalized_trans (fcinfo)
    sql [
        "crm_internal.sbg_fit_penalized_trans(crm.fit_rows, integer, boolean, double precision) RETURNS crm.fit_rows IMMUTABLE PARALLEL SAFE",
    ] {
        // SAFETY: sql/clv.sql declares it with (crm.fit_rows, integer, boolean, double
        // precision), the penalizer last.
        unsafe { sbg_add(fcinfo, Weight::One, Some(3)) }
    }
}

crate::raw_transition! {
    /// Transition function of `crm.sbg_fit(integer, boolean, bigint)`.
    fn crm_sbg_fit_weighted_trans / pg_finfo_crm_sbg_fit_weighted_trans (fcinfo)
    sql [
        "crm_internal.sbg_fit_weighted_trans(crm.fit_rows, integer, boolean, bigint) RETURNS crm.fit_rows IMMUTABLE PARALLEL SAFE",
    ] {
        // SAFETY: sql/clv.sql declares it with (crm.fit_rows, integer, boolean, bigint).
        unsafe { sbg_add(fcinfo, Weight::BigInt, None) }
    }
}

crate::raw_transition! {
    /// Transition function of `crm.sbg_fit(integer, boolean, integer)`, the weighted form with
    /// an integer weight.
    fn crm_sbg_fit_integer_weighted_trans / pg_finfo_crm_sbg_fit_integer_weighted_trans (fcinfo)
    sql [
        "crm_internal.sbg_fit_integer_weighted_trans(crm.fit_rows, integer, boolean, integer) RETURNS crm.fit_rows IMMUTABLE PARALLEL SAFE",
    ] {
        // SAFETY: sql/clv.sql declares it with (crm.fit_rows, integer, boolean, integer).
        unsafe { sbg_add(fcinfo, Weight::Integer, None) }
    }
}

crate::raw_transition! {
    /// Transition function of `crm.sbg_fit(integer, boolean, bigint, double precision)`, the
    /// weighted penalized form.
    fn crm_sbg_fit_weighted_penalized_trans / pg_finfo_crm_sbg_fit_weighted_penalized_trans (fcinfo)
    sql [
        "crm_internal.sbg_fit_weighted_penalized_trans(crm.fit_rows, integer, boolean, bigint, double precision) RETURNS crm.fit_rows IMMUTABLE PARALLEL SAFE",
    ] {
        // SAFETY: sql/clv.sql declares it with (crm.fit_rows, integer, boolean, bigint, double
        // precision), the penalizer last.
        unsafe { sbg_add(fcinfo, Weight::BigInt, Some(4)) }
    }
}

crate::raw_transition! {
    /// Combine function of the fit aggregates (parallel query, Citus).
    fn crm_clv_fit_combine / pg_finfo_crm_clv_fit_combine (fcinfo)
    sql [
        "crm_internal.clv_fit_combine(crm.fit_rows, crm.fit_rows) RETURNS crm.fit_rows IMMUTABLE PARALLEL SAFE",
    ] {
        // SAFETY: both arguments are `crm.fit_rows` values.
        unsafe {
            expanded_combine(fcinfo, |rows: &mut WeightedRows, other| {
                rows.merge("crm_internal.clv_fit_combine", other)
            })
        }
    }
}

/// The rows of a fit, checked to be inputs of this model (a `crm.fit_rows` read from text may
/// hold any rows): 22023 for a row `valid` refuses.
fn model_rows<'a>(
    function: &str,
    model: &str,
    rows: &'a WeightedRows,
    valid: impl Fn(&[u64; 3]) -> bool,
) -> Option<&'a WeightedRows> {
    if let Some(key) = rows.keys().find(|key| !valid(key)) {
        raise(MetricError::InvalidParameter(format!(
            "{function}: the state holds a row the {model} model does not take ({key:?}); a \
             crm.fit_rows value must come from {function} itself"
        )));
    }
    (rows.customers() > 0).then_some(rows)
}

/// A BG/NBD row: the key `bgnbd::customer_key` makes of its (frequency, recency, t).
fn bgnbd_row(key: &[u64; 3]) -> bool {
    i32::try_from(key[0]).is_ok_and(|frequency| {
        let (recency, age) = (f64::from_bits(key[1]), f64::from_bits(key[2]));
        bgnbd::customer_key(BGNBD_FIT, frequency, recency, age).is_ok_and(|made| made == *key)
    })
}

/// A Gamma-Gamma row: the key `gamma_gamma::customer_key` makes of a repeat buyer.
fn gamma_gamma_row(key: &[u64; 3]) -> bool {
    i32::try_from(key[0]).is_ok_and(|frequency| {
        gamma_gamma::customer_key(GAMMA_GAMMA_FIT, frequency, f64::from_bits(key[1]))
            .is_ok_and(|made| made == Some(*key))
    })
}

/// An sBG row: the key `sbg::customer_key` makes of (periods survived, churned).
fn sbg_row(key: &[u64; 3]) -> bool {
    i32::try_from(key[0]).is_ok() && key[1] <= 1 && key[2] == 0
}

crate::raw_transition! {
    /// Final function of `crm.bgnbd_fit` over (frequency, recency, t): the maximum-likelihood
    /// model, NULL without customers.
    fn crm_bgnbd_fit_final / pg_finfo_crm_bgnbd_fit_final (fcinfo)
    sql [
        "crm_internal.bgnbd_fit_final(crm.fit_rows) RETURNS crm.bgnbd_model IMMUTABLE PARALLEL SAFE",
    ] {
        // SAFETY: argument 0 is NULL or a `crm.fit_rows`; the result a `crm.bgnbd_model`.
        unsafe {
            expanded_final(fcinfo, |rows: &mut WeightedRows| {
                let rows = model_rows(BGNBD_FIT, "BG/NBD", rows, bgnbd_row)?;
                bgnbd::fit(BGNBD_FIT, rows).or_raise().and_then(|model| bgnbd_model(model).into_datum())
            })
        }
    }
}

crate::raw_transition! {
    /// Final function of `crm.gamma_gamma_fit`: the maximum-likelihood model, NULL without
    /// repeat buyers.
    fn crm_gamma_gamma_fit_final / pg_finfo_crm_gamma_gamma_fit_final (fcinfo)
    sql [
        "crm_internal.gamma_gamma_fit_final(crm.fit_rows) RETURNS crm.gamma_gamma_model IMMUTABLE PARALLEL SAFE",
    ] {
        // SAFETY: argument 0 is NULL or a `crm.fit_rows`; the result a `crm.gamma_gamma_model`.
        unsafe {
            expanded_final(fcinfo, |rows: &mut WeightedRows| {
                let rows = model_rows(GAMMA_GAMMA_FIT, "Gamma-Gamma", rows, gamma_gamma_row)?;
                gamma_gamma::fit(GAMMA_GAMMA_FIT, rows)
                    .or_raise()
                    .and_then(|model| gamma_gamma_model(model).into_datum())
            })
        }
    }
}

crate::raw_transition! {
    /// Final function of `crm.sbg_fit`: the maximum-likelihood model, NULL without customers.
    fn crm_sbg_fit_final / pg_finfo_crm_sbg_fit_final (fcinfo)
    sql [
        "crm_internal.sbg_fit_final(crm.fit_rows) RETURNS crm.sbg_model IMMUTABLE PARALLEL SAFE",
    ] {
        // SAFETY: argument 0 is NULL or a `crm.fit_rows`; the result a `crm.sbg_model`.
        unsafe {
            expanded_final(fcinfo, |rows: &mut WeightedRows| {
                let rows = model_rows(SBG_FIT, "sBG", rows, sbg_row)?;
                sbg::fit(SBG_FIT, rows).or_raise().and_then(|model| sbg_model(model).into_datum())
            })
        }
    }
}

// ---------------------------------------------------------------------------------------------
// BG/NBD straight from purchases: crm.bgnbd_fit(customer_id, occurred_at, observation_end,
// time_unit), one aggregate over a transactions table.
// ---------------------------------------------------------------------------------------------

/// Per-row step of the purchases form of `crm.bgnbd_fit`: one (customer, day) pair.
///
/// # Safety
/// `fcinfo` must be the call info of one of its transition functions, whose argument 1 is a
/// customer id that `key` reads (with `penalizer`, one whose argument of that index is the
/// double precision penalizer).
#[inline(always)]
unsafe fn purchases_add(
    fcinfo: pg_sys::FunctionCallInfo,
    kind: KeyKind,
    key: unsafe fn(pg_sys::Datum) -> u128,
    penalizer: Option<usize>,
) -> pg_sys::Datum {
    // SAFETY: the purchases transitions have five arguments (this function's contract).
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
        // SAFETY: `fcinfo` is the running call's.
        return unsafe { raw_return_unchanged(fcinfo) };
    };
    let occurred_at = finite_timestamp(BGNBD_FIT, "occurred_at", occurred_at.value() as i64);
    let observation_end =
        finite_timestamp(BGNBD_FIT, "observation_end", observation_end.value() as i64);
    // SAFETY: argument 4 is a non-null text, a varlena.
    let unit = unsafe { raw_varlena_bytes(time_unit, |bytes| unit_index(BGNBD_FIT, bytes)) };
    // SAFETY: argument 1 is a non-null customer id of the type `key` reads (this function's
    // contract).
    let customer = unsafe { key(customer) };
    // SAFETY: `fcinfo` is the running call's; `penalizer` indexes its penalizer argument.
    let penalizer = unsafe { row_penalizer(fcinfo, penalizer) };
    // SAFETY: argument 0 is a `crm.purchase_days`.
    let mut state = unsafe { expanded_state_mut(fcinfo, PurchaseDays::default) };
    let days = state.get();
    let added = unit.and_then(|unit| {
        days.add(
            BGNBD_FIT,
            kind,
            customer,
            occurred_at,
            observation_end,
            unit,
        )?;
        penalizer.map_or(Ok(()), |penalizer| days.set_penalizer(BGNBD_FIT, penalizer))
    });
    if let Err(error) = added {
        raise_from_raw(move || error);
    }
    // SAFETY: `fcinfo` is the running call's; `state` is the object of its argument 0.
    unsafe { expanded_return(fcinfo, state) }
}

crate::raw_transition! {
    /// Transition function of `crm.bgnbd_fit(bigint, timestamptz, timestamptz, text)`.
    fn crm_bgnbd_fit_purchases_bigint_trans / pg_finfo_crm_bgnbd_fit_purchases_bigint_trans (fcinfo)
    sql [
        "crm_internal.bgnbd_fit_purchases_bigint_trans(crm.purchase_days, bigint, timestamptz, timestamptz, text) RETURNS crm.purchase_days IMMUTABLE PARALLEL SAFE",
    ] {
        // SAFETY: sql/clv.sql declares argument 1 a bigint, which `raw_bigint_key` reads.
        unsafe { purchases_add(fcinfo, KeyKind::BigInt, raw_bigint_key, None) }
    }
}

crate::raw_transition! {
    /// Transition function of `crm.bgnbd_fit(bigint, timestamptz, timestamptz, text, double
    /// precision)`, the penalized form.
    fn crm_bgnbd_fit_purchases_bigint_penalized_trans / pg_finfo_crm_bgnbd_fit_purchases_bigint_penalized_trans (fcinfo)
    sql [
        "crm_internal.bgnbd_fit_purchases_bigint_penalized_trans(crm.purchase_days, bigint, timestamptz, timestamptz, text, double precision) RETURNS crm.purchase_days IMMUTABLE PARALLEL SAFE",
    ] {
        // SAFETY: sql/clv.sql declares argument 1 a bigint, which `raw_bigint_key` reads, and argument 5
        // the double precision penalizer.
        unsafe { purchases_add(fcinfo, KeyKind::BigInt, raw_bigint_key, Some(5)) }
    }
}

crate::raw_transition! {
    /// Transition function of `crm.bgnbd_fit(text, timestamptz, timestamptz, text)`.
    fn crm_bgnbd_fit_purchases_text_trans / pg_finfo_crm_bgnbd_fit_purchases_text_trans (fcinfo)
    sql [
        "crm_internal.bgnbd_fit_purchases_text_trans(crm.purchase_days, text, timestamptz, timestamptz, text) RETURNS crm.purchase_days IMMUTABLE PARALLEL SAFE",
    ] {
        // SAFETY: sql/clv.sql declares argument 1 a text, which `raw_text_key` reads.
        unsafe { purchases_add(fcinfo, KeyKind::Text, raw_text_key, None) }
    }
}

crate::raw_transition! {
    /// Transition function of `crm.bgnbd_fit(text, timestamptz, timestamptz, text, double
    /// precision)`, the penalized form.
    fn crm_bgnbd_fit_purchases_text_penalized_trans / pg_finfo_crm_bgnbd_fit_purchases_text_penalized_trans (fcinfo)
    sql [
        "crm_internal.bgnbd_fit_purchases_text_penalized_trans(crm.purchase_days, text, timestamptz, timestamptz, text, double precision) RETURNS crm.purchase_days IMMUTABLE PARALLEL SAFE",
    ] {
        // SAFETY: sql/clv.sql declares argument 1 a text, which `raw_text_key` reads, and argument 5
        // the double precision penalizer.
        unsafe { purchases_add(fcinfo, KeyKind::Text, raw_text_key, Some(5)) }
    }
}

crate::raw_transition! {
    /// Transition function of `crm.bgnbd_fit(uuid, timestamptz, timestamptz, text)`.
    fn crm_bgnbd_fit_purchases_uuid_trans / pg_finfo_crm_bgnbd_fit_purchases_uuid_trans (fcinfo)
    sql [
        "crm_internal.bgnbd_fit_purchases_uuid_trans(crm.purchase_days, uuid, timestamptz, timestamptz, text) RETURNS crm.purchase_days IMMUTABLE PARALLEL SAFE",
    ] {
        // SAFETY: sql/clv.sql declares argument 1 a uuid, which `raw_uuid_key` reads.
        unsafe { purchases_add(fcinfo, KeyKind::Uuid, raw_uuid_key, None) }
    }
}

crate::raw_transition! {
    /// Transition function of `crm.bgnbd_fit(uuid, timestamptz, timestamptz, text, double
    /// precision)`, the penalized form.
    fn crm_bgnbd_fit_purchases_uuid_penalized_trans / pg_finfo_crm_bgnbd_fit_purchases_uuid_penalized_trans (fcinfo)
    sql [
        "crm_internal.bgnbd_fit_purchases_uuid_penalized_trans(crm.purchase_days, uuid, timestamptz, timestamptz, text, double precision) RETURNS crm.purchase_days IMMUTABLE PARALLEL SAFE",
    ] {
        // SAFETY: sql/clv.sql declares argument 1 a uuid, which `raw_uuid_key` reads, and argument 5
        // the double precision penalizer.
        unsafe { purchases_add(fcinfo, KeyKind::Uuid, raw_uuid_key, Some(5)) }
    }
}

crate::raw_transition! {
    /// Combine function of the purchases form of `crm.bgnbd_fit` (parallel query, Citus).
    fn crm_bgnbd_purchases_combine / pg_finfo_crm_bgnbd_purchases_combine (fcinfo)
    sql [
        "crm_internal.bgnbd_purchases_combine(crm.purchase_days, crm.purchase_days) RETURNS crm.purchase_days IMMUTABLE PARALLEL SAFE",
    ] {
        // SAFETY: both arguments are `crm.purchase_days` values.
        unsafe {
            expanded_combine(fcinfo, |days: &mut PurchaseDays, other| {
                days.merge(BGNBD_FIT, other)
            })
        }
    }
}

crate::raw_transition! {
    /// Final function of the purchases form of `crm.bgnbd_fit`: the customers' rows, then the
    /// maximum-likelihood model (NULL without purchases up to the observation end).
    fn crm_bgnbd_purchases_final / pg_finfo_crm_bgnbd_purchases_final (fcinfo)
    sql [
        "crm_internal.bgnbd_purchases_final(crm.purchase_days) RETURNS crm.bgnbd_model IMMUTABLE PARALLEL SAFE",
    ] {
        // SAFETY: argument 0 is NULL or a `crm.purchase_days`; the result a `crm.bgnbd_model`.
        unsafe {
            expanded_final(fcinfo, |days: &mut PurchaseDays| {
                let rows = days.weighted_rows(BGNBD_FIT).or_raise();
                if rows.customers() == 0 {
                    return None;
                }
                bgnbd::fit(BGNBD_FIT, &rows).or_raise().and_then(|model| bgnbd_model(model).into_datum())
            })
        }
    }
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
    raise_from_raw(move || {
        MetricError::DatetimeOverflow(format!("{function}: {name} must be finite"))
    })
}

#[cold]
#[inline(never)]
fn reject_amount(problem: NumericProblem) -> ! {
    raise_from_raw(move || match problem {
        NumericProblem::NotFinite => {
            MetricError::InvalidParameter(format!("{RFM_AGG}: amount must be a finite number"))
        }
        NumericProblem::OutOfRange => MetricError::OutOfRange(format!(
            "{RFM_AGG}: amount has more than 28 significant digits or decimal places"
        )),
    })
}

crate::raw_transition! {
    /// Transition function of `crm.rfm_agg(timestamptz, numeric, timestamptz, text)`: merge one
    /// purchase into the customer's daily totals. Reads the `numeric` bytes directly (no text
    /// round trip) and calls into Postgres only to create the state (an expanded
    /// `crm.rfm_state` object), detoast or raise.
    fn crm_rfm_agg_trans / pg_finfo_crm_rfm_agg_trans (fcinfo)
    sql [
        "crm_internal.rfm_agg_trans(crm.rfm_state, timestamptz, numeric, timestamptz, text) RETURNS crm.rfm_state IMMUTABLE PARALLEL SAFE",
    ] {
        // SAFETY: sql/clv.sql declares it with five arguments (crm.rfm_state, timestamptz,
        // numeric, timestamptz, text); `fcinfo` is the running call's.
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
            raw_varlena_bytes(amount, |bytes| {
                decimal_from_numeric(bytes).unwrap_or_else(|problem| reject_amount(problem))
            })
        };
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

/// Builds the `crm.rfm` tuple of one customer. The tuple descriptor is looked up once per
/// query and kept in `fn_extra`.
///
/// # Safety
/// `fcinfo` must be the call info of `crm_internal.rfm_agg_final`; may raise a Postgres error, so it
/// runs under a panic guard.
unsafe fn rfm_tuple(fcinfo: pg_sys::FunctionCallInfo, rfm: &Rfm) -> pg_sys::Datum {
    // SAFETY: `fcinfo` is the call info of `crm_internal.rfm_agg_final` (this function's contract), so
    // its `flinfo` is valid and `fn_extra` is NULL or the descriptor stored below, copied into
    // `fn_mcxt`, which lives as long as `flinfo`; errors unwind to the caller's guard.
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
    fn crm_rfm_agg_final / pg_finfo_crm_rfm_agg_final (fcinfo)
    sql [
        "crm_internal.rfm_agg_final(crm.rfm_state) RETURNS crm.rfm IMMUTABLE PARALLEL SAFE",
    ] {
        // SAFETY: argument 0 is NULL or a `crm.rfm_state`; the result a `crm.rfm`.
        unsafe {
            expanded_final(fcinfo, |purchases: &mut RfmState| {
                let rfm = purchases.finish(RFM_AGG).or_raise()?;
                Some(rfm_tuple(fcinfo, &rfm))
            })
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
    bigint("crm.customers", model.0.customers())
}

/// Repeat buyers a Gamma-Gamma model was fitted on (0 when built from parameters).
#[pg_extern(immutable, parallel_safe, strict, name = "customers")]
fn gamma_gamma_customers(model: gamma_gamma_model) -> i64 {
    bigint("crm.customers", model.0.customers())
}

/// Customers an sBG model was fitted on (0 when built from parameters).
#[pg_extern(immutable, parallel_safe, strict, name = "customers")]
fn sbg_customers(model: sbg_model) -> i64 {
    bigint("crm.customers", model.0.customers())
}

/// The row of `crm.fit_diagnostics`: converged, iterations, gradient norm, log-likelihood,
/// customers and penalizer of a fit; NULLs (and 0 customers) for a model built from parameters.
type FitDiagnosticsRow = (
    Option<bool>,
    Option<i32>,
    Option<f64>,
    Option<f64>,
    i64,
    Option<f64>,
);

fn fit_diagnostics_row(fit: Option<FitInfo>) -> FitDiagnosticsRow {
    const FUNCTION: &str = "crm.fit_diagnostics";
    let Some(fit) = fit else {
        return (None, None, None, None, 0, None);
    };
    let iterations = i32::try_from(fit.iterations).unwrap_or_else(|_| {
        raise(MetricError::OutOfRange(format!(
            "{FUNCTION}: iterations {} is out of range for integer",
            fit.iterations
        )))
    });
    (
        Some(fit.converged),
        Some(iterations),
        Some(fit.gradient_norm),
        Some(fit.log_likelihood),
        bigint(FUNCTION, fit.customers),
        Some(fit.penalizer),
    )
}

/// Fit diagnostics of a BG/NBD model.
#[allow(clippy::type_complexity)] // pgrx reads the column names from this inline tuple
#[pg_extern(immutable, parallel_safe, strict, name = "fit_diagnostics")]
fn bgnbd_fit_diagnostics(
    model: bgnbd_model,
) -> TableIterator<
    'static,
    (
        name!(converged, Option<bool>),
        name!(iterations, Option<i32>),
        name!(gradient_norm, Option<f64>),
        name!(log_likelihood, Option<f64>),
        name!(customers, i64),
        name!(penalizer, Option<f64>),
    ),
> {
    TableIterator::once(fit_diagnostics_row(model.0.fit))
}

/// Fit diagnostics of a Gamma-Gamma model.
#[allow(clippy::type_complexity)] // pgrx reads the column names from this inline tuple
#[pg_extern(immutable, parallel_safe, strict, name = "fit_diagnostics")]
fn gamma_gamma_fit_diagnostics(
    model: gamma_gamma_model,
) -> TableIterator<
    'static,
    (
        name!(converged, Option<bool>),
        name!(iterations, Option<i32>),
        name!(gradient_norm, Option<f64>),
        name!(log_likelihood, Option<f64>),
        name!(customers, i64),
        name!(penalizer, Option<f64>),
    ),
> {
    TableIterator::once(fit_diagnostics_row(model.0.fit))
}

/// Fit diagnostics of an sBG model.
#[allow(clippy::type_complexity)] // pgrx reads the column names from this inline tuple
#[pg_extern(immutable, parallel_safe, strict, name = "fit_diagnostics")]
fn sbg_fit_diagnostics(
    model: sbg_model,
) -> TableIterator<
    'static,
    (
        name!(converged, Option<bool>),
        name!(iterations, Option<i32>),
        name!(gradient_norm, Option<f64>),
        name!(log_likelihood, Option<f64>),
        name!(customers, i64),
        name!(penalizer, Option<f64>),
    ),
> {
    TableIterator::once(fit_diagnostics_row(model.0.fit))
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

/// The fields (months, days, microseconds) of an `interval` argument.
fn interval_fields(value: &Interval) -> (i32, i32, i64) {
    (value.months(), value.days(), value.micros())
}

/// A `horizon` interval in `time_unit` (day, week, month, year: the unit the model was fitted
/// in; a month of the interval is 365.25/12 days).
fn horizon_in_units(function: &str, horizon: &Interval, time_unit: TextArg) -> f64 {
    let time_unit = time_unit.name(function, "time unit").or_raise();
    interval_in_units(function, interval_fields(horizon), time_unit, || {
        format!("'{horizon}'")
    })
    .or_raise()
}

/// E[X(t)]: expected purchases of a new customer within the `horizon` interval, read in
/// `time_unit` (the unit the model was fitted in; `interval '1 year'` is 365.25 days, a month
/// 365.25/12 days).
#[pg_extern(immutable, parallel_safe, strict, name = "expected_purchases")]
fn bgnbd_expected_purchases_interval(
    model: bgnbd_model,
    horizon: Interval,
    time_unit: TextArg,
) -> f64 {
    let horizon = horizon_in_units(EXPECTED_PURCHASES, &horizon, time_unit);
    model
        .0
        .expected_purchases(EXPECTED_PURCHASES, horizon)
        .or_raise()
}

/// E[Y(t) | x, t_x, T]: expected purchases within the `horizon` interval of a customer with
/// that history, the interval read in `time_unit` (the unit of the model and of recency and t).
#[pg_extern(immutable, parallel_safe, strict, name = "expected_purchases")]
fn bgnbd_conditional_expected_purchases_interval(
    model: bgnbd_model,
    horizon: Interval,
    time_unit: TextArg,
    frequency: i32,
    recency: f64,
    t: f64,
) -> f64 {
    let horizon = horizon_in_units(EXPECTED_PURCHASES, &horizon, time_unit);
    model
        .0
        .conditional_expected_purchases(EXPECTED_PURCHASES, horizon, frequency, recency, t)
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

/// Discounted CLV over the `horizon` interval from BG/NBD purchases and Gamma-Gamma spend: whole
/// months of 365.25/12 days as the `horizon_months` form sums them, then a final partial month
/// discounted at the horizon; at most 100 years.
#[allow(clippy::too_many_arguments)]
#[pg_extern(immutable, parallel_safe, strict, name = "clv")]
fn clv_discounted_interval(
    bg: bgnbd_model,
    gg: gamma_gamma_model,
    frequency: i32,
    recency: f64,
    t: f64,
    monetary_value: AnyNumeric,
    horizon: Interval,
    monthly_discount_rate: f64,
    time_unit: TextArg,
) -> f64 {
    let time_unit = time_unit.name(CLV, "time unit").or_raise();
    discounted_clv_interval(
        CLV,
        &bg.0,
        &gg.0,
        frequency,
        recency,
        t,
        float_of(monetary_value),
        interval_fields(&horizon),
        monthly_discount_rate,
        time_unit,
        || format!("'{horizon}'"),
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
