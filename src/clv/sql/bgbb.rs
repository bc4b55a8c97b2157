//! The BG/BB model of discrete transaction opportunities: the type `crm.bgbb_model`, the
//! support functions of `crm.bgbb_fit` over (frequency, recency, n_periods) rows, the model
//! from known parameters, its accessors and predictions, and its discounted CLV. The aggregates are declared in
//! `sql/bgbb.sql`.
use super::fits::{model_rows, negative_weight, Weight};
use super::models::gamma_gamma_model;
use super::{float_of, row_penalizer, CLV};
use crate::clv::state::bgbb::{self, BgBbModel};
use crate::clv::state::rows::WeightedRows;
use crate::common::expanded::{expanded_final, expanded_return, expanded_state_mut};
use crate::common::pg::{bigint, raise, OrRaise};
use crate::common::raw::{raw_arg, raw_return_unchanged};
use pgrx::prelude::*;

const BGBB_FIT: &str = "crm.bgbb_fit";

/// A fitted or built BG/BB model; text form
/// `{"alpha":1.204,"beta":0.75,"gamma":0.657,"delta":2.784,"fit":null}`.
#[allow(non_camel_case_types)]
#[derive(PostgresType, Clone, Debug)]
#[bikeshed_postgres_type_manually_impl_from_into_datum]
#[inoutfuncs]
pub struct bgbb_model(pub BgBbModel);

crate::summary_type!(bgbb_model(BgBbModel));

/// Per-row step of `crm.bgbb_fit`: validate and merge one (frequency, recency, n_periods
/// [, weight][, penalizer]) row.
///
/// # Safety
/// `fcinfo` must be the call info of one of its transition functions (unless `weight` is
/// [`Weight::One`], the one whose argument 4 is a weight of that type; with `penalizer`, the
/// one whose argument of that index is the double precision penalizer).
unsafe fn bgbb_add(
    fcinfo: pg_sys::FunctionCallInfo,
    weight: Weight,
    penalizer: Option<usize>,
) -> pg_sys::Datum {
    // SAFETY: argument 0 is a `crm.fit_rows`, 1 to 3 integers, 4 (weighted) a weight of that
    // type; the body runs under the guard.
    unsafe {
        let weight = weight.read(fcinfo, 4);
        let (Some(frequency), Some(recency), Some(n_periods), Some(weight)) = (
            raw_arg(fcinfo, 1),
            raw_arg(fcinfo, 2),
            raw_arg(fcinfo, 3),
            weight,
        ) else {
            return raw_return_unchanged(fcinfo);
        };
        let penalizer = row_penalizer(fcinfo, penalizer);
        let mut state = expanded_state_mut(fcinfo, WeightedRows::default);
        let key = bgbb::customer_key(
            BGBB_FIT,
            frequency.value() as i32,
            recency.value() as i32,
            n_periods.value() as i32,
        )
        .or_raise();
        let weight =
            u64::try_from(weight).unwrap_or_else(|_| raise(negative_weight(BGBB_FIT, weight)));
        let rows = state.get();
        rows.add(BGBB_FIT, key, weight).or_raise();
        if let Some(penalizer) = penalizer {
            rows.set_penalizer(BGBB_FIT, penalizer).or_raise();
        }
        expanded_return(fcinfo, state)
    }
}

crate::raw_transition! {
    /// Transition function of `crm.bgbb_fit(integer, integer, integer)`.
    fn crm_bgbb_fit_trans / pg_finfo_crm_bgbb_fit_trans (fcinfo)
    sql [
        "crm_internal.bgbb_fit_trans(crm.fit_rows, integer, integer, integer) RETURNS crm.fit_rows IMMUTABLE PARALLEL SAFE",
    ] {
        // SAFETY: sql/bgbb.sql declares it with (crm.fit_rows, integer, integer, integer).
        unsafe { bgbb_add(fcinfo, Weight::One, None) }
    }
}

crate::raw_transition! {
    /// Transition function of `crm.bgbb_fit(integer, integer, integer, bigint)`.
    fn crm_bgbb_fit_weighted_trans / pg_finfo_crm_bgbb_fit_weighted_trans (fcinfo)
    sql [
        "crm_internal.bgbb_fit_weighted_trans(crm.fit_rows, integer, integer, integer, bigint) RETURNS crm.fit_rows IMMUTABLE PARALLEL SAFE",
    ] {
        // SAFETY: sql/bgbb.sql declares it with (crm.fit_rows, integer, integer, integer,
        // bigint).
        unsafe { bgbb_add(fcinfo, Weight::BigInt, None) }
    }
}

crate::raw_transition! {
    /// Transition function of `crm.bgbb_fit(integer, integer, integer, integer)`, the weighted
    /// form with an integer weight.
    fn crm_bgbb_fit_integer_weighted_trans / pg_finfo_crm_bgbb_fit_integer_weighted_trans (fcinfo)
    sql [
        "crm_internal.bgbb_fit_integer_weighted_trans(crm.fit_rows, integer, integer, integer, integer) RETURNS crm.fit_rows IMMUTABLE PARALLEL SAFE",
    ] {
        // SAFETY: sql/bgbb.sql declares it with (crm.fit_rows, integer, integer, integer,
        // integer).
        unsafe { bgbb_add(fcinfo, Weight::Integer, None) }
    }
}

crate::raw_transition! {
    /// Transition function of `crm.bgbb_fit(integer, integer, integer, double precision)`, the
    /// penalized form.
    fn crm_bgbb_fit_penalized_trans / pg_finfo_crm_bgbb_fit_penalized_trans (fcinfo)
    sql [
        "crm_internal.bgbb_fit_penalized_trans(crm.fit_rows, integer, integer, integer, double precision) RETURNS crm.fit_rows IMMUTABLE PARALLEL SAFE",
    ] {
        // SAFETY: sql/bgbb.sql declares it with (crm.fit_rows, integer, integer, integer,
        // double precision), the penalizer last.
        unsafe { bgbb_add(fcinfo, Weight::One, Some(4)) }
    }
}

crate::raw_transition! {
    /// Transition function of `crm.bgbb_fit(integer, integer, integer, bigint, double
    /// precision)`, the weighted penalized form.
    fn crm_bgbb_fit_weighted_penalized_trans / pg_finfo_crm_bgbb_fit_weighted_penalized_trans (fcinfo)
    sql [
        "crm_internal.bgbb_fit_weighted_penalized_trans(crm.fit_rows, integer, integer, integer, bigint, double precision) RETURNS crm.fit_rows IMMUTABLE PARALLEL SAFE",
    ] {
        // SAFETY: sql/bgbb.sql declares it with (crm.fit_rows, integer, integer, integer,
        // bigint, double precision), the penalizer last.
        unsafe { bgbb_add(fcinfo, Weight::BigInt, Some(5)) }
    }
}

crate::raw_transition! {
    /// Final function of `crm.bgbb_fit`: the maximum-likelihood model, NULL without customers.
    fn crm_bgbb_fit_final / pg_finfo_crm_bgbb_fit_final (fcinfo)
    sql [
        "crm_internal.bgbb_fit_final(crm.fit_rows) RETURNS crm.bgbb_model IMMUTABLE PARALLEL SAFE",
    ] {
        // SAFETY: argument 0 is NULL or a `crm.fit_rows`; the result a `crm.bgbb_model`.
        unsafe {
            expanded_final(fcinfo, |rows: &mut WeightedRows| {
                let rows = model_rows(BGBB_FIT, "BG/BB", rows, bgbb::is_customer_key)?;
                bgbb::fit(BGBB_FIT, rows).or_raise().and_then(|model| bgbb_model(model).into_datum())
            })
        }
    }
}

/// A BG/BB model from known parameters (each positive and finite).
#[pg_extern(immutable, parallel_safe, strict, name = "bgbb_model")]
fn bgbb_model_from_parameters(alpha: f64, beta: f64, gamma: f64, delta: f64) -> bgbb_model {
    bgbb_model(BgBbModel::from_parameters("crm.bgbb_model", alpha, beta, gamma, delta).or_raise())
}

/// Parameters of a BG/BB model.
#[pg_extern(immutable, parallel_safe, strict, name = "params")]
fn bgbb_params(
    model: bgbb_model,
) -> TableIterator<
    'static,
    (
        name!(alpha, f64),
        name!(beta, f64),
        name!(gamma, f64),
        name!(delta, f64),
    ),
> {
    let m = model.0;
    TableIterator::once((m.alpha, m.beta, m.gamma, m.delta))
}

/// Log-likelihood of a fitted BG/BB model; NULL for a model built from parameters.
#[pg_extern(immutable, parallel_safe, strict, name = "log_likelihood")]
fn bgbb_log_likelihood(model: bgbb_model) -> Option<f64> {
    model.0.fit.map(|fit| fit.log_likelihood)
}

/// Customers a BG/BB model was fitted on (0 when built from parameters).
#[pg_extern(immutable, parallel_safe, strict, name = "customers")]
fn bgbb_customers(model: bgbb_model) -> i64 {
    bigint("crm.customers", model.0.customers())
}

/// Fit diagnostics of a BG/BB model.
#[allow(clippy::type_complexity)] // pgrx reads the column names from this inline tuple
#[pg_extern(immutable, parallel_safe, strict, name = "fit_diagnostics")]
fn bgbb_fit_diagnostics(
    model: bgbb_model,
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
    TableIterator::once(super::models::fit_diagnostics_row(model.0.fit))
}

/// Standard errors and 95 % Wald intervals of a BG/BB model's parameters.
#[allow(clippy::type_complexity)] // pgrx reads the column names from this inline tuple
#[pg_extern(immutable, parallel_safe, strict, name = "params_se")]
fn bgbb_params_se(
    model: bgbb_model,
) -> TableIterator<
    'static,
    (
        name!(name, String),
        name!(estimate, f64),
        name!(std_error, Option<f64>),
        name!(low, Option<f64>),
        name!(high, Option<f64>),
    ),
> {
    let m = model.0;
    TableIterator::new(super::models::params_se_rows(
        &["alpha", "beta", "gamma", "delta"],
        &[m.alpha, m.beta, m.gamma, m.delta],
        m.fit,
    ))
}

/// E[X(n)]: expected transactions of a new customer in the first `horizon` transaction
/// opportunities.
#[pg_extern(immutable, parallel_safe, strict, name = "expected_purchases")]
fn bgbb_expected_purchases(model: bgbb_model, horizon: i32) -> f64 {
    model
        .0
        .expected_purchases("crm.expected_purchases", horizon)
        .or_raise()
}

/// E[X(n, n + n*) | x, t_x, n]: expected transactions in the next `horizon` opportunities of a
/// customer with that history (the argument order of the BG/NBD form: horizon first).
#[pg_extern(immutable, parallel_safe, strict, name = "expected_purchases")]
fn bgbb_conditional_expected_purchases(
    model: bgbb_model,
    horizon: i32,
    frequency: i32,
    recency: i32,
    n_periods: i32,
) -> f64 {
    model
        .0
        .conditional_expected_purchases(
            "crm.expected_purchases",
            frequency,
            recency,
            n_periods,
            horizon,
        )
        .or_raise()
}

/// P(alive at opportunity n_periods + 1 | x, t_x, n) under a BG/BB model.
#[pg_extern(immutable, parallel_safe, strict, name = "probability_alive")]
fn bgbb_probability_alive(model: bgbb_model, frequency: i32, recency: i32, n_periods: i32) -> f64 {
    model
        .0
        .probability_alive("crm.probability_alive", frequency, recency, n_periods)
        .or_raise()
}

/// Discounted CLV of a customer over the next `horizon` opportunities, with the spend per
/// transaction of a Gamma-Gamma model: E[Z | frequency, monetary_value] × Σ_{k=1}^{horizon}
/// P(transaction at opportunity n_periods + k | history) / (1 + discount_rate)^k.
#[allow(clippy::too_many_arguments)]
#[pg_extern(immutable, parallel_safe, strict, name = "clv")]
fn bgbb_clv(
    bg: bgbb_model,
    gg: gamma_gamma_model,
    frequency: i32,
    recency: i32,
    n_periods: i32,
    monetary_value: AnyNumeric,
    horizon: i32,
    discount_rate: f64,
) -> f64 {
    bgbb::clv_with_spend(
        CLV,
        &bg.0,
        &gg.0,
        (frequency, recency, n_periods),
        float_of(CLV, "monetary_value", monetary_value),
        horizon,
        discount_rate,
    )
    .or_raise()
}

/// Discounted CLV of a customer over the next `horizon` opportunities at a known value per
/// transaction: value_per_transaction × DERT (with 1, the discounted expected residual
/// transactions themselves).
#[pg_extern(immutable, parallel_safe, strict, name = "clv")]
fn bgbb_clv_value(
    bg: bgbb_model,
    frequency: i32,
    recency: i32,
    n_periods: i32,
    value_per_transaction: AnyNumeric,
    horizon: i32,
    discount_rate: f64,
) -> f64 {
    bgbb::clv(
        CLV,
        &bg.0,
        float_of(CLV, "value_per_transaction", value_per_transaction),
        (frequency, recency, n_periods),
        horizon,
        discount_rate,
    )
    .or_raise()
}
