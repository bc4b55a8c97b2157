//! Pareto/NBD (Schmittlein, Morrison & Colombo 1987): while alive a customer buys at Poisson
//! rate λ ~ Gamma(r, α) and leaves after an exponential lifetime of rate μ ~ Gamma(s, β), at any
//! time (not only after a purchase, as in BG/NBD). Likelihood and predictions as Fader, Hardie
//! & Lee (2005), "A note on deriving the Pareto/NBD model and related expressions":
//!
//! L = Γ(r+x)α^r β^s/Γ(r) · [(α+T)^−(r+x) (β+T)^−s + s/(r+s+x) · A₀], with
//! A₀ = F(t_x) − F(T), F(y) = ₂F₁(r+s+x, b; r+s+x+1; |α−β|/(m+y)) / (m+y)^(r+s+x), where
//! m = max(α, β) and b = s + 1 when α >= β, b = r + x when α < β (both regimes keep the
//! argument in [0, 1)). ₂F₁ comes from [`hyp2f1_log_unit`] and everything is summed in log
//! space; A₀ is the integral s∫ (α+y)^−(r+x) (β+y)^−(s+1) dy over [t_x, T], so the difference
//! is positive and, where it cancels (t_x close to T), negligible next to the first term.
//!
//! A Pareto/NBD model is a `crm.bgnbd_model` of kind Pareto/NBD whose third and fourth
//! parameters are s and β ([`super::bgnbd::Kind::ParetoNbd`]). The gradient of the
//! log-likelihood is taken by five-point central differences (the derivatives of ₂F₁ in its parameters
//! have no closed form).
use super::hypergeometric::hyp2f1_log_unit;
use super::optimize::{minimize, Objective, Penalized};
use super::rows::WeightedRows;
use super::special::{ln_gamma, log_add_exp};
use super::uncertainty::standard_errors;
use super::{check_estimate, check_identifiable, fit_failure, invalid_with_hint, FitInfo};
use crate::common::error::MetricResult;
use crate::common::interrupt::checked;

/// The parameters (r, α, s, β).
pub type Parameters = [f64; 4];

/// ln A₀ (−∞ when t_x = T, or where the difference is below the rounding of F); `None` when
/// ₂F₁ does not converge.
fn log_a0([r, alpha, s, beta]: Parameters, x: f64, recency: f64, age: f64) -> Option<f64> {
    if recency >= age {
        return Some(f64::NEG_INFINITY);
    }
    let a = r + s + x;
    let (high, low, b) = if alpha >= beta {
        (alpha, beta, s + 1.0)
    } else {
        (beta, alpha, r + x)
    };
    let log_f = |y: f64| -> Option<f64> {
        let base = high + y;
        let (sign, log) = hyp2f1_log_unit(a, b, a + 1.0, (high - low) / base, (low + y) / base)?;
        (sign > 0.0).then_some(log - a * base.ln())
    };
    let (early, late) = (log_f(recency)?, log_f(age)?);
    Some(if late < early {
        early + (-(late - early).exp_m1()).ln()
    } else {
        f64::NEG_INFINITY
    })
}

/// The two terms of the bracket in logs: (alive at T, left between t_x and T).
fn log_terms(parameters: Parameters, x: f64, recency: f64, age: f64) -> Option<(f64, f64)> {
    let [r, alpha, s, beta] = parameters;
    let alive = -(r + x) * (alpha + age).ln() - s * (beta + age).ln();
    let left = (s / (r + s + x)).ln() + log_a0(parameters, x, recency, age)?;
    Some((alive, left))
}

/// ln L of one customer (x, t_x, T); `None` when ₂F₁ does not converge.
pub fn log_likelihood(parameters: Parameters, x: f64, recency: f64, age: f64) -> Option<f64> {
    let [r, alpha, s, beta] = parameters;
    let (alive, left) = log_terms(parameters, x, recency, age)?;
    let value =
        ln_gamma(r + x) - ln_gamma(r) + r * alpha.ln() + s * beta.ln() + log_add_exp(alive, left);
    value.is_finite().then_some(value)
}

/// P(alive | x, t_x, T) = alive / (alive + left).
pub fn probability_alive(parameters: Parameters, x: f64, recency: f64, age: f64) -> Option<f64> {
    let (alive, left) = log_terms(parameters, x, recency, age)?;
    let log_odds = left - alive;
    Some(if log_odds > 0.0 {
        let inverse = (-log_odds).exp();
        inverse / (1.0 + inverse)
    } else {
        1.0 / (1.0 + log_odds.exp())
    })
}

/// (1 − e^(−k·L))/k, which tends to L as k → 0, without cancellation.
fn power_difference(k: f64, log_ratio: f64) -> f64 {
    if k == 0.0 {
        log_ratio
    } else {
        -(-k * log_ratio).exp_m1() / k
    }
}

/// E[X(t)] = rβ/(α(s−1)) · [1 − (β/(β+t))^(s−1)] (r β/α · ln(1 + t/β) at s = 1).
pub fn expected_purchases([r, alpha, s, beta]: Parameters, horizon: f64) -> f64 {
    r * beta / alpha * power_difference(s - 1.0, (horizon / beta).ln_1p())
}

/// E[Y(t) | x, t_x, T] = P(alive) · (r+x)(β+T)/((α+T)(s−1)) · [1 − ((β+T)/(β+T+t))^(s−1)].
pub fn conditional_expected_purchases(
    parameters: Parameters,
    horizon: f64,
    x: f64,
    recency: f64,
    age: f64,
) -> Option<f64> {
    let [r, alpha, s, beta] = parameters;
    let alive = probability_alive(parameters, x, recency, age)?;
    let rate = (r + x) * (beta + age) / (alpha + age);
    let value = alive * rate * power_difference(s - 1.0, (horizon / (beta + age)).ln_1p());
    value.is_finite().then_some(value.max(0.0))
}

/// The step of the five-point central differences of the gradient, in each log-parameter:
/// truncation error ~h⁴, rounding ~1e-16/h, both far below the optimizer's gradient tolerance.
const GRADIENT_STEP: f64 = 1e-3;

/// The fitting problem: distinct (x, t_x, T) rows with their weights.
struct Problem {
    rows: Vec<(f64, f64, f64, f64)>,
    total_weight: f64,
}

impl Problem {
    fn new(rows: &WeightedRows) -> Self {
        let rows: Vec<(f64, f64, f64, f64)> = rows
            .sorted()
            .iter()
            .map(|(key, weight)| {
                (
                    key[0] as f64,
                    f64::from_bits(key[1]),
                    f64::from_bits(key[2]),
                    *weight as f64,
                )
            })
            .collect();
        let total_weight = rows.iter().map(|row| row.3).sum();
        Problem { rows, total_weight }
    }

    /// Mean negative log-likelihood per customer at log-parameters `point`.
    fn value(&self, point: &[f64; 4]) -> Option<f64> {
        let parameters = point.map(f64::exp);
        let mut total = 0.0;
        for &(x, recency, age, weight) in checked(&self.rows) {
            total += weight * log_likelihood(parameters, x, recency, age)?;
        }
        let value = -total / self.total_weight;
        value.is_finite().then_some(value)
    }
}

impl Objective<4> for Problem {
    /// Mean negative log-likelihood over log-parameters; its gradient by five-point central
    /// differences.
    fn value_and_gradient(&self, point: &[f64; 4]) -> Option<(f64, [f64; 4])> {
        let value = self.value(point)?;
        let mut gradient = [0.0; 4];
        for (index, slot) in gradient.iter_mut().enumerate() {
            let at = |steps: f64| {
                let mut moved = *point;
                moved[index] += steps * GRADIENT_STEP;
                self.value(&moved)
            };
            *slot =
                (8.0 * (at(1.0)? - at(-1.0)?) - (at(2.0)? - at(-2.0)?)) / (12.0 * GRADIENT_STEP);
        }
        Some((value, gradient))
    }
}

/// The fitted parameters with the fit diagnostics; `None` when there are no rows. The rows are
/// `bgnbd::customer_key`'s; the penalty as BG/NBD's, α and β measured against the oldest
/// customer's age.
pub fn fit(
    function: &str,
    penalized_call: &str,
    rows: &WeightedRows,
) -> MetricResult<Option<(Parameters, FitInfo)>> {
    if rows.customers() == 0 {
        return Ok(None);
    }
    let problem = Problem::new(rows);
    if problem.rows.iter().all(|row| row.0 == 0.0) {
        return Err(invalid_with_hint(
            format!(
                "{function}: no customer made a repeat purchase, so the model cannot be fitted"
            ),
            super::FIT_HINT,
        ));
    }
    check_identifiable(function, rows.len())?;
    let mean_age = problem.rows.iter().map(|row| row.2 * row.3).sum::<f64>() / problem.total_weight;
    let scale = mean_age.max(1e-3);
    // β starts away from α: at α = β every ₂F₁ is 1 (z = 0), so the evaluation the optimizer
    // times at the start to size its budget would be far cheaper than the later ones.
    let start = [0.0, scale.ln(), 0.0, (2.0 * scale).ln()];
    let oldest = problem.rows.iter().map(|row| row.2).fold(0.0, f64::max);
    let oldest = if oldest > 0.0 { oldest } else { 1.0 };
    let penalized = Penalized {
        objective: &problem,
        penalizer: rows.penalizer(),
        scales: [1.0, oldest, 1.0, oldest],
    };
    let names = ["r", "alpha", "s", "beta"];
    let minimum = minimize(&penalized, start)
        .map_err(|failure| fit_failure(function, &names, penalized_call, failure))?;
    let log_likelihood = problem
        .value(&minimum.point)
        .map_or(f64::NAN, |value| -value * problem.total_weight);
    let parameters = minimum.point.map(f64::exp);
    let [r, alpha, s, beta] = parameters;
    check_estimate(
        function,
        &[
            ("r", r, 1.0),
            ("alpha", alpha, scale),
            ("s", s, 1.0),
            ("beta", beta, scale),
        ],
    )?;
    Ok(Some((
        parameters,
        FitInfo {
            log_likelihood,
            customers: rows.customers(),
            distinct_rows: rows.len() as u64,
            iterations: minimum.iterations,
            gradient_norm: minimum.gradient_norm,
            converged: true,
            penalizer: rows.penalizer(),
            std_errors: standard_errors(&penalized, &minimum.point, problem.total_weight),
        },
    )))
}

#[cfg(test)]
#[path = "pareto_nbd_tests.rs"]
mod tests;
