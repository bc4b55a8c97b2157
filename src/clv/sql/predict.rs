//! The seed CLV formulas, and the models' predictions: expected purchases, probability alive,
//! expected average value, discounted CLV, survival, retention and lifetimes.
use super::models::{bgnbd_model, gamma_gamma_model, sbg_model};
use super::{float_of, CLV, EXPECTED_PURCHASES};
use crate::clv::state::gamma_gamma::{discounted_clv, discounted_clv_interval};
use crate::clv::state::interval_in_units;
use crate::clv::state::simple::{clv_from_churn, clv_from_purchases};
use crate::common::datum::{decimal_of, numeric_of};
use crate::common::money::finite_decimal_from_text;
use crate::common::pg::{OrRaise, TextArg};
use pgrx::datum::Interval;
use pgrx::prelude::*;

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
            float_of(
                "crm.expected_average_value",
                "monetary_value",
                monetary_value,
            ),
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
        float_of(CLV, "monetary_value", monetary_value),
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
        float_of(CLV, "monetary_value", monetary_value),
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
