//! The fit aggregates over (frequency, recency, t), (frequency, monetary value) and (periods
//! survived, churned) rows: `crm.bgnbd_fit`, `crm.mbg_nbd_fit`, `crm.gamma_gamma_fit`,
//! `crm.sbg_fit`, merged
//! weighted rows with shared combine and per-model final functions.
use super::models::{bgnbd_model, gamma_gamma_model, sbg_model};
use super::{
    float_of, row_penalizer, BGNBD_FIT, GAMMA_GAMMA_FIT, MBG_NBD_FIT, PARETO_NBD_FIT, SBG_FIT,
};
use crate::clv::state::bgnbd::{self, Kind};
use crate::clv::state::gamma_gamma;
use crate::clv::state::rows::WeightedRows;
use crate::clv::state::sbg;
use crate::common::error::MetricError;
use crate::common::expanded::{
    expanded_combine, expanded_final, expanded_return, expanded_state_mut,
};
use crate::common::pg::{raise, OrRaise};
use crate::common::raw::{raise_from_raw, raw_arg, raw_return_unchanged};
use pgrx::prelude::*;

/// The weight argument of a fit's transition: none (every row one customer), a bigint, or an
/// integer (its own forms, so that an integer weight never resolves to the penalized form,
/// whose double precision penalizer Postgres would prefer over a bigint weight).
#[derive(Clone, Copy)]
pub(super) enum Weight {
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
    pub(super) unsafe fn read(self, fcinfo: pg_sys::FunctionCallInfo, at: usize) -> Option<i64> {
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

/// Per-row step of `crm.bgnbd_fit` and `crm.mbg_nbd_fit` (`function`, named in errors):
/// validate and merge one (x, t_x, T[, weight][, penalizer]) row.
///
/// # Safety
/// `fcinfo` must be the call info of one of its transition functions (unless `weight` is
/// [`Weight::One`], the one whose argument 4 is a weight of that type; with `penalizer`, the
/// one whose argument of that index is the double precision penalizer).
#[inline(always)]
unsafe fn bgnbd_add(
    fcinfo: pg_sys::FunctionCallInfo,
    function: &'static str,
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
        bgnbd::customer_key(function, frequency, recency, age),
        u64::try_from(weight),
    ) {
        (Ok(key), Ok(weight)) => rows.add(function, key, weight).and_then(|()| {
            penalizer.map_or(Ok(()), |penalizer| rows.set_penalizer(function, penalizer))
        }),
        (Err(error), _) => Err(error),
        (_, Err(_)) => Err(negative_weight(function, weight)),
    };
    if let Err(error) = added {
        raise_from_raw(move || error);
    }
    // SAFETY: `fcinfo` is the running call's; `state` is the object of its argument 0.
    unsafe { expanded_return(fcinfo, state) }
}

#[cold]
pub(super) fn negative_weight(function: &str, weight: i64) -> MetricError {
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
        unsafe { bgnbd_add(fcinfo, BGNBD_FIT, Weight::One, None) }
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
        unsafe { bgnbd_add(fcinfo, BGNBD_FIT, Weight::One, Some(4)) }
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
        unsafe { bgnbd_add(fcinfo, BGNBD_FIT, Weight::BigInt, None) }
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
        unsafe { bgnbd_add(fcinfo, BGNBD_FIT, Weight::Integer, None) }
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
        unsafe { bgnbd_add(fcinfo, BGNBD_FIT, Weight::BigInt, Some(5)) }
    }
}

crate::raw_transition! {
    /// Transition function of `crm.mbg_nbd_fit(integer, double precision, double precision)`.
    fn crm_mbg_nbd_fit_trans / pg_finfo_crm_mbg_nbd_fit_trans (fcinfo)
    sql [
        "crm_internal.mbg_nbd_fit_trans(crm.fit_rows, integer, double precision, double precision) RETURNS crm.fit_rows IMMUTABLE PARALLEL SAFE",
    ] {
        // SAFETY: sql/clv.sql declares it with (crm.fit_rows, integer, double precision,
        // double precision), the unweighted form.
        unsafe { bgnbd_add(fcinfo, MBG_NBD_FIT, Weight::One, None) }
    }
}

crate::raw_transition! {
    /// Transition function of `crm.mbg_nbd_fit(integer, double precision, double precision,
    /// double precision)`, the penalized form.
    fn crm_mbg_nbd_fit_penalized_trans / pg_finfo_crm_mbg_nbd_fit_penalized_trans (fcinfo)
    sql [
        "crm_internal.mbg_nbd_fit_penalized_trans(crm.fit_rows, integer, double precision, double precision, double precision) RETURNS crm.fit_rows IMMUTABLE PARALLEL SAFE",
    ] {
        // SAFETY: sql/clv.sql declares it with (crm.fit_rows, integer, double precision,
        // double precision, double precision), the penalizer last.
        unsafe { bgnbd_add(fcinfo, MBG_NBD_FIT, Weight::One, Some(4)) }
    }
}

crate::raw_transition! {
    /// Transition function of `crm.mbg_nbd_fit(integer, double precision, double precision,
    /// bigint)`.
    fn crm_mbg_nbd_fit_weighted_trans / pg_finfo_crm_mbg_nbd_fit_weighted_trans (fcinfo)
    sql [
        "crm_internal.mbg_nbd_fit_weighted_trans(crm.fit_rows, integer, double precision, double precision, bigint) RETURNS crm.fit_rows IMMUTABLE PARALLEL SAFE",
    ] {
        // SAFETY: sql/clv.sql declares it with (crm.fit_rows, integer, double precision,
        // double precision, bigint), the weighted form.
        unsafe { bgnbd_add(fcinfo, MBG_NBD_FIT, Weight::BigInt, None) }
    }
}

crate::raw_transition! {
    /// Transition function of `crm.mbg_nbd_fit(integer, double precision, double precision,
    /// integer)`, the weighted form with an integer weight.
    fn crm_mbg_nbd_fit_integer_weighted_trans / pg_finfo_crm_mbg_nbd_fit_integer_weighted_trans (fcinfo)
    sql [
        "crm_internal.mbg_nbd_fit_integer_weighted_trans(crm.fit_rows, integer, double precision, double precision, integer) RETURNS crm.fit_rows IMMUTABLE PARALLEL SAFE",
    ] {
        // SAFETY: sql/clv.sql declares it with (crm.fit_rows, integer, double precision,
        // double precision, integer).
        unsafe { bgnbd_add(fcinfo, MBG_NBD_FIT, Weight::Integer, None) }
    }
}

crate::raw_transition! {
    /// Transition function of `crm.mbg_nbd_fit(integer, double precision, double precision,
    /// bigint, double precision)`, the weighted penalized form.
    fn crm_mbg_nbd_fit_weighted_penalized_trans / pg_finfo_crm_mbg_nbd_fit_weighted_penalized_trans (fcinfo)
    sql [
        "crm_internal.mbg_nbd_fit_weighted_penalized_trans(crm.fit_rows, integer, double precision, double precision, bigint, double precision) RETURNS crm.fit_rows IMMUTABLE PARALLEL SAFE",
    ] {
        // SAFETY: sql/clv.sql declares it with (crm.fit_rows, integer, double precision,
        // double precision, bigint, double precision), the penalizer last.
        unsafe { bgnbd_add(fcinfo, MBG_NBD_FIT, Weight::BigInt, Some(5)) }
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
        let monetary_value = AnyNumeric::from_datum(monetary_value, false)
            .map_or(f64::NAN, |value| {
                float_of(GAMMA_GAMMA_FIT, "monetary_value", value)
            });
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
pub(super) fn model_rows<'a>(
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
    /// Final function of `crm.mbg_nbd_fit` over (frequency, recency, t): the maximum-likelihood
    /// MBG/NBD model, NULL without customers.
    fn crm_mbg_nbd_fit_final / pg_finfo_crm_mbg_nbd_fit_final (fcinfo)
    sql [
        "crm_internal.mbg_nbd_fit_final(crm.fit_rows) RETURNS crm.bgnbd_model IMMUTABLE PARALLEL SAFE",
    ] {
        // SAFETY: argument 0 is NULL or a `crm.fit_rows`; the result a `crm.bgnbd_model`.
        unsafe {
            expanded_final(fcinfo, |rows: &mut WeightedRows| {
                let rows = model_rows(MBG_NBD_FIT, "MBG/NBD", rows, bgnbd_row)?;
                bgnbd::fit_kind(MBG_NBD_FIT, Kind::MbgNbd, rows)
                    .or_raise()
                    .and_then(|model| bgnbd_model(model).into_datum())
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

crate::raw_transition! {
    /// Transition function of `crm.pareto_nbd_fit(integer, double precision, double precision)`.
    fn crm_pareto_nbd_fit_trans / pg_finfo_crm_pareto_nbd_fit_trans (fcinfo)
    sql [
        "crm_internal.pareto_nbd_fit_trans(crm.fit_rows, integer, double precision, double precision) RETURNS crm.fit_rows IMMUTABLE PARALLEL SAFE",
    ] {
        // SAFETY: sql/clv.sql declares it with (crm.fit_rows, integer, double precision,
        // double precision), the unweighted form.
        unsafe { bgnbd_add(fcinfo, PARETO_NBD_FIT, Weight::One, None) }
    }
}

crate::raw_transition! {
    /// Transition function of `crm.pareto_nbd_fit(integer, double precision, double precision,
    /// double precision)`, the penalized form.
    fn crm_pareto_nbd_fit_penalized_trans / pg_finfo_crm_pareto_nbd_fit_penalized_trans (fcinfo)
    sql [
        "crm_internal.pareto_nbd_fit_penalized_trans(crm.fit_rows, integer, double precision, double precision, double precision) RETURNS crm.fit_rows IMMUTABLE PARALLEL SAFE",
    ] {
        // SAFETY: sql/clv.sql declares it with (crm.fit_rows, integer, double precision,
        // double precision, double precision), the penalizer last.
        unsafe { bgnbd_add(fcinfo, PARETO_NBD_FIT, Weight::One, Some(4)) }
    }
}

crate::raw_transition! {
    /// Transition function of `crm.pareto_nbd_fit(integer, double precision, double precision,
    /// bigint)`.
    fn crm_pareto_nbd_fit_weighted_trans / pg_finfo_crm_pareto_nbd_fit_weighted_trans (fcinfo)
    sql [
        "crm_internal.pareto_nbd_fit_weighted_trans(crm.fit_rows, integer, double precision, double precision, bigint) RETURNS crm.fit_rows IMMUTABLE PARALLEL SAFE",
    ] {
        // SAFETY: sql/clv.sql declares it with (crm.fit_rows, integer, double precision,
        // double precision, bigint), the weighted form.
        unsafe { bgnbd_add(fcinfo, PARETO_NBD_FIT, Weight::BigInt, None) }
    }
}

crate::raw_transition! {
    /// Transition function of `crm.pareto_nbd_fit(integer, double precision, double precision,
    /// integer)`, the weighted form with an integer weight.
    fn crm_pareto_nbd_fit_integer_weighted_trans / pg_finfo_crm_pareto_nbd_fit_integer_weighted_trans (fcinfo)
    sql [
        "crm_internal.pareto_nbd_fit_integer_weighted_trans(crm.fit_rows, integer, double precision, double precision, integer) RETURNS crm.fit_rows IMMUTABLE PARALLEL SAFE",
    ] {
        // SAFETY: sql/clv.sql declares it with (crm.fit_rows, integer, double precision,
        // double precision, integer).
        unsafe { bgnbd_add(fcinfo, PARETO_NBD_FIT, Weight::Integer, None) }
    }
}

crate::raw_transition! {
    /// Transition function of `crm.pareto_nbd_fit(integer, double precision, double precision,
    /// bigint, double precision)`, the weighted penalized form.
    fn crm_pareto_nbd_fit_weighted_penalized_trans / pg_finfo_crm_pareto_nbd_fit_weighted_penalized_trans (fcinfo)
    sql [
        "crm_internal.pareto_nbd_fit_weighted_penalized_trans(crm.fit_rows, integer, double precision, double precision, bigint, double precision) RETURNS crm.fit_rows IMMUTABLE PARALLEL SAFE",
    ] {
        // SAFETY: sql/clv.sql declares it with (crm.fit_rows, integer, double precision,
        // double precision, bigint, double precision), the penalizer last.
        unsafe { bgnbd_add(fcinfo, PARETO_NBD_FIT, Weight::BigInt, Some(5)) }
    }
}

crate::raw_transition! {
    /// Final function of `crm.pareto_nbd_fit` over (frequency, recency, t): the maximum-likelihood
    /// Pareto/NBD model, NULL without customers.
    fn crm_pareto_nbd_fit_final / pg_finfo_crm_pareto_nbd_fit_final (fcinfo)
    sql [
        "crm_internal.pareto_nbd_fit_final(crm.fit_rows) RETURNS crm.bgnbd_model IMMUTABLE PARALLEL SAFE",
    ] {
        // SAFETY: argument 0 is NULL or a `crm.fit_rows`; the result a `crm.bgnbd_model`.
        unsafe {
            expanded_final(fcinfo, |rows: &mut WeightedRows| {
                let rows = model_rows(PARETO_NBD_FIT, "Pareto/NBD", rows, bgnbd_row)?;
                bgnbd::fit_kind(PARETO_NBD_FIT, Kind::ParetoNbd, rows)
                    .or_raise()
                    .and_then(|model| bgnbd_model(model).into_datum())
            })
        }
    }
}
