//! The CLV model types (`crm.bgnbd_model`, `crm.gamma_gamma_model`, `crm.sbg_model`) and the
//! fit and RFM states as SQL types; models from known parameters and their accessors
//! (parameters, log-likelihood, customers, fit diagnostics).
use crate::clv::state::bgnbd::{BgNbdModel, Kind};
use crate::clv::state::gamma_gamma::GammaGammaModel;
use crate::clv::state::purchases::PurchaseDays;
use crate::clv::state::rows::WeightedRows;
use crate::clv::state::sbg::SbgModel;
use crate::clv::state::simple::RfmState;
use crate::clv::state::uncertainty::wald_interval;
use crate::clv::state::FitInfo;
use crate::common::error::{Float8, MetricError};
use crate::common::pg::{bigint, raise, OrRaise};
use pgrx::prelude::*;

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
crate::expanded_state!(RfmState, "crm.rfm_state");

/// Transition state of the model fits (`crm.bgnbd_fit` over (frequency, recency, t),
/// `crm.gamma_gamma_fit`, `crm.sbg_fit`): distinct input rows with their weights; opaque text
/// form `\x` + the hex of the binary form.
#[allow(non_camel_case_types)]
#[derive(PostgresType, Clone, Debug)]
#[bikeshed_postgres_type_manually_impl_from_into_datum]
#[inoutfuncs]
pub struct fit_rows(pub WeightedRows);

crate::summary_type!(fit_rows(WeightedRows));
crate::expanded_state!(WeightedRows, "crm.fit_rows");

/// Transition state of `crm.bgnbd_fit` straight from purchases: (customer, purchase day)
/// pairs; opaque text form `\x` + the hex of the binary form.
#[allow(non_camel_case_types)]
#[derive(PostgresType, Clone, Debug)]
#[bikeshed_postgres_type_manually_impl_from_into_datum]
#[inoutfuncs]
pub struct purchase_days(pub PurchaseDays);

crate::summary_type!(purchase_days(PurchaseDays));
crate::expanded_state!(
    PurchaseDays,
    "crm.purchase_days",
    |state: &mut PurchaseDays| {
        state.make_canonical();
        state.encode()
    }
);

// ---------------------------------------------------------------------------------------------
// Models from known parameters, accessors.
// ---------------------------------------------------------------------------------------------

/// A BG/NBD model from known parameters (each positive and finite).
#[pg_extern(immutable, parallel_safe, strict, name = "bgnbd_model")]
fn bgnbd_model_from_parameters(r: f64, alpha: f64, a: f64, b: f64) -> bgnbd_model {
    bgnbd_model(BgNbdModel::from_parameters("crm.bgnbd_model", r, alpha, a, b).or_raise())
}

/// An MBG/NBD model (a `crm.bgnbd_model` of that kind) from known parameters (each positive
/// and finite).
#[pg_extern(immutable, parallel_safe, strict, name = "mbg_nbd_model")]
fn mbg_nbd_model_from_parameters(r: f64, alpha: f64, a: f64, b: f64) -> bgnbd_model {
    bgnbd_model(
        BgNbdModel::from_kind_parameters("crm.mbg_nbd_model", Kind::MbgNbd, [r, alpha, a, b])
            .or_raise(),
    )
}

/// A Pareto/NBD model (a `crm.bgnbd_model` of that kind) from known parameters r, α, s, β
/// (each positive and finite).
#[pg_extern(immutable, parallel_safe, strict, name = "pareto_nbd_model")]
fn pareto_nbd_model_from_parameters(r: f64, alpha: f64, s: f64, beta: f64) -> bgnbd_model {
    bgnbd_model(
        BgNbdModel::from_kind_parameters(
            "crm.pareto_nbd_model",
            Kind::ParetoNbd,
            [r, alpha, s, beta],
        )
        .or_raise(),
    )
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
pub(super) type FitDiagnosticsRow = (
    Option<bool>,
    Option<i32>,
    Option<f64>,
    Option<f64>,
    i64,
    Option<f64>,
);

pub(super) fn fit_diagnostics_row(fit: Option<FitInfo>) -> FitDiagnosticsRow {
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

/// A row of `crm.params_se`: name, estimate, standard error and the 95 % interval.
type ParamsSeRow = (String, f64, Option<f64>, Option<f64>, Option<f64>);

/// The rows of `crm.params_se`: standard errors as the fit recorded them, NULL (with the
/// interval) when it recorded none (a model built from parameters or stored before they were
/// recorded, or a singular Hessian). An interval past the range of `double precision` (a model
/// typed by hand with a standard error near 1e308) is a 22003, as Postgres's own `float8`
/// arithmetic reports an overflow, never an infinite bound.
pub(super) fn params_se_rows(
    names: &[&str],
    estimates: &[f64],
    fit: Option<FitInfo>,
) -> Vec<ParamsSeRow> {
    let errors = fit.and_then(|fit| fit.std_errors);
    names
        .iter()
        .zip(estimates)
        .enumerate()
        .map(|(index, (name, estimate))| {
            let error = errors.and_then(|errors| errors.values().get(index).copied());
            let interval = error.map(|error| {
                let (low, high) = wald_interval(*estimate, error);
                if !(low.is_finite() && high.is_finite()) {
                    raise(MetricError::OutOfRange(format!(
                        "crm.params_se: the 95 % interval of {name} (estimate {}, std_error {}) \
                         is out of the range of double precision",
                        Float8(*estimate),
                        Float8(error)
                    )));
                }
                (low, high)
            });
            (
                (*name).to_string(),
                *estimate,
                error,
                interval.map(|(low, _)| low),
                interval.map(|(_, high)| high),
            )
        })
        .collect()
}

/// Standard errors and 95 % Wald intervals of a BG/NBD model's parameters.
#[allow(clippy::type_complexity)] // pgrx reads the column names from this inline tuple
#[pg_extern(immutable, parallel_safe, strict, name = "params_se")]
fn bgnbd_params_se(
    model: bgnbd_model,
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
    TableIterator::new(params_se_rows(
        &m.kind.parameter_names(),
        &[m.r, m.alpha, m.a, m.b],
        m.fit,
    ))
}

/// Standard errors and 95 % Wald intervals of a Gamma-Gamma model's parameters.
#[allow(clippy::type_complexity)] // pgrx reads the column names from this inline tuple
#[pg_extern(immutable, parallel_safe, strict, name = "params_se")]
fn gamma_gamma_params_se(
    model: gamma_gamma_model,
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
    TableIterator::new(params_se_rows(&["p", "q", "v"], &[m.p, m.q, m.v], m.fit))
}

/// Standard errors and 95 % Wald intervals of an sBG model's parameters.
#[allow(clippy::type_complexity)] // pgrx reads the column names from this inline tuple
#[pg_extern(immutable, parallel_safe, strict, name = "params_se")]
fn sbg_params_se(
    model: sbg_model,
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
    TableIterator::new(params_se_rows(
        &["alpha", "beta"],
        &[m.alpha, m.beta],
        m.fit,
    ))
}
