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
//! log-likelihood is analytic: ₂F₁(a, b; a + 1; z) is, wherever the plain series sums it, the
//! series of a/(a+n) · (b)ₙ/n! · zⁿ, whose derivatives in a, b and z are series of the same terms
//! summed in the same loop; elsewhere (z close to 1) ln F alone is differentiated numerically.
//! F is computed once per distinct (x, y) point, y a recency or an age, not twice per row.
use super::hypergeometric::{hyp2f1_log_series_gradient, hyp2f1_log_unit};
use super::optimize::{minimize, Objective, Penalized};
use super::rows::{WeightedRows, WHAT};
use super::special::{digamma, ln_gamma, log_add_exp};
use super::uncertainty::standard_errors;
use super::{check_estimate, check_identifiable, fit_failure, invalid_with_hint, FitInfo};
use crate::common::error::MetricResult;
use crate::common::interrupt::checked;
use crate::common::limits::reserve;
use std::cell::RefCell;

/// The parameters (r, α, s, β).
pub type Parameters = [f64; 4];

/// ln F(y) (see the module's notes) of a customer with x purchases; `None` when ₂F₁ does not
/// converge.
fn log_f([r, alpha, s, beta]: Parameters, x: f64, y: f64) -> Option<f64> {
    let (high, low, b) = regime([r, alpha, s, beta], x);
    let a = r + s + x;
    let base = high + y;
    let (sign, log) = hyp2f1_log_unit(a, b, a + 1.0, (high - low) / base, (low + y) / base)?;
    (sign > 0.0).then_some(log - a * base.ln())
}

/// (max(α, β), min(α, β), the second parameter b of ₂F₁).
fn regime([r, alpha, s, beta]: Parameters, x: f64) -> (f64, f64, f64) {
    if alpha >= beta {
        (alpha, beta, s + 1.0)
    } else {
        (beta, alpha, r + x)
    }
}

/// ln A₀ from ln F(t_x) and ln F(T): −∞ where the difference is below the rounding of F.
fn log_difference(early: f64, late: f64) -> f64 {
    if late < early {
        early + (-(late - early).exp_m1()).ln()
    } else {
        f64::NEG_INFINITY
    }
}

/// ln A₀ (−∞ when t_x = T, or where the difference is below the rounding of F); `None` when
/// ₂F₁ does not converge.
fn log_a0(parameters: Parameters, x: f64, recency: f64, age: f64) -> Option<f64> {
    if recency >= age {
        return Some(f64::NEG_INFINITY);
    }
    Some(log_difference(
        log_f(parameters, x, recency)?,
        log_f(parameters, x, age)?,
    ))
}

/// ln F(y) and its gradient in the log-parameters (ln r, ln α, ln s, ln β): analytic where ₂F₁
/// is its plain series ([`hyp2f1_log_series_gradient`]), else by five-point central differences
/// of [`log_f`].
fn log_f_gradient(parameters: Parameters, x: f64, y: f64) -> Option<(f64, [f64; 4])> {
    let [r, alpha, s, beta] = parameters;
    let (high, low, b) = regime(parameters, x);
    let a = r + s + x;
    let base = high + y;
    let z = (high - low) / base;
    let Some(series) = hyp2f1_log_series_gradient(a, b, z, (low + y) / base) else {
        let value = log_f(parameters, x, y)?;
        let mut gradient = [0.0; 4];
        for (index, slot) in gradient.iter_mut().enumerate() {
            let at = |steps: f64| {
                let mut moved = parameters;
                moved[index] *= (steps * GRADIENT_STEP).exp();
                log_f(moved, x, y)
            };
            *slot =
                (8.0 * (at(1.0)? - at(-1.0)?) - (at(2.0)? - at(-2.0)?)) / (12.0 * GRADIENT_STEP);
        }
        return Some((value, gradient));
    };
    let log_base = base.ln();
    let value = series.log - a * log_base;
    // ln F = ln ₂F₁(a, b; a + 1; z) − a ln(high + y), z = (high − low)/(high + y).
    let d_a = series.d_a - log_base;
    let d_high = series.d_z * (low + y) / (base * base) - a / base;
    let d_low = -series.d_z / base;
    let [d_r, d_alpha, d_s, d_beta] = if alpha >= beta {
        [d_a, d_high, d_a + series.d_b, d_low]
    } else {
        [d_a + series.d_b, d_low, d_a, d_high]
    };
    Some((value, [d_r * r, d_alpha * alpha, d_s * s, d_beta * beta]))
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

/// E[X(t)] = rβ/(α(s−1)) · [1 − (β/(β+t))^(s−1)] (r β/α · ln(1 + t/β) at s = 1); `None`
/// when it is not finite.
pub fn expected_purchases([r, alpha, s, beta]: Parameters, horizon: f64) -> Option<f64> {
    let difference = power_difference(s - 1.0, (horizon / beta).ln_1p());
    // r·β may overflow before the (small) difference scales it down, or underflow before a
    // large one scales it up (r = α = s = β = 1e-300 gave 0 for 10): β times the difference
    // first (about t for t far below β), else the product in logs. A step that is not a normal
    // number lost digits (or all of them), even where a later step makes it normal again.
    let normal = |value: f64| value.is_normal().then_some(value);
    let in_order = |first: f64, second: f64, divided: f64, third: f64| {
        normal(first * second)
            .and_then(|product| normal(product / divided))
            .and_then(|quotient| normal(quotient * third))
    };
    if let Some(value) =
        in_order(r, beta, alpha, difference).or_else(|| in_order(beta, difference, alpha, r))
    {
        return Some(value);
    }
    let value = (r.ln() + beta.ln() - alpha.ln() + difference.ln()).exp();
    value.is_finite().then_some(value)
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
    // Not `max(0.0)`, which may keep a −0 (by the instructions the compiler picks).
    value
        .is_finite()
        .then_some(if value > 0.0 { value } else { 0.0 })
}

/// The step of the five-point central differences of ln F where ₂F₁ is not its plain series, in
/// each log-parameter: truncation error ~h⁴, rounding ~1e-16/h, both far below the optimizer's
/// gradient tolerance.
const GRADIENT_STEP: f64 = 1e-3;

/// One distinct customer row: x, t_x, T, its weight, and the indices of F(t_x) and F(T) in
/// [`Problem::points`].
struct Row {
    x: f64,
    recency: f64,
    age: f64,
    weight: f64,
    early: usize,
    late: usize,
}

/// The fitting problem: distinct (x, t_x, T) rows with their weights, and the distinct (x, y)
/// points where F is needed (y a recency or an age): far fewer than two per row (CDNOW's 11,104
/// rows need 5,119), since customers who joined the same day with as many purchases share F(T).
struct Problem {
    rows: Vec<Row>,
    points: Vec<(f64, f64)>,
    total_weight: f64,
    /// Room for ln F and its gradient at every point, reserved with the rows: an evaluation
    /// of the likelihood allocates nothing.
    log_f: RefCell<Vec<(f64, [f64; 4])>>,
}

impl Problem {
    /// The rows of a fit, copied in key order into vectors reserved fallibly (53200 naming
    /// `function`).
    fn new(function: &str, rows: &WeightedRows) -> MetricResult<Self> {
        let sorted = rows.sorted_within(function)?;
        let mut points: Vec<(f64, f64)> = Vec::new();
        reserve(&mut points, sorted.len().saturating_mul(2), function, WHAT)?;
        points.extend(sorted.iter().flat_map(|(key, _)| {
            [
                (key[0] as f64, f64::from_bits(key[1])),
                (key[0] as f64, f64::from_bits(key[2])),
            ]
        }));
        // Unstable: the standard sort would allocate a buffer of half the points infallibly.
        points.sort_unstable_by(|left, right| {
            left.0.total_cmp(&right.0).then(left.1.total_cmp(&right.1))
        });
        points.dedup();
        let index_of = |point: (f64, f64)| {
            points
                .binary_search_by(|probe| {
                    probe
                        .0
                        .total_cmp(&point.0)
                        .then(probe.1.total_cmp(&point.1))
                })
                .unwrap_or(0)
        };
        let mut problem_rows: Vec<Row> = Vec::new();
        reserve(&mut problem_rows, sorted.len(), function, WHAT)?;
        problem_rows.extend(sorted.iter().map(|(key, weight)| {
            let (x, recency, age) = (
                key[0] as f64,
                f64::from_bits(key[1]),
                f64::from_bits(key[2]),
            );
            Row {
                x,
                recency,
                age,
                weight: *weight as f64,
                early: index_of((x, recency)),
                late: index_of((x, age)),
            }
        }));
        let total_weight = problem_rows.iter().map(|row| row.weight).sum();
        let mut log_f = Vec::new();
        reserve(&mut log_f, points.len(), function, WHAT)?;
        Ok(Problem {
            rows: problem_rows,
            points,
            total_weight,
            log_f: RefCell::new(log_f),
        })
    }

    /// Mean negative log-likelihood per customer at log-parameters `point`.
    fn value(&self, point: &[f64; 4]) -> Option<f64> {
        let parameters = point.map(f64::exp);
        let mut total = 0.0;
        for row in checked(&self.rows) {
            total += row.weight * log_likelihood(parameters, row.x, row.recency, row.age)?;
        }
        let value = -total / self.total_weight;
        value.is_finite().then_some(value)
    }
}

impl Objective<4> for Problem {
    /// Mean negative log-likelihood over log-parameters and its gradient: ln F and its gradient
    /// once per distinct point, then per row ln L = ln Γ(r+x) − ln Γ(r) + r ln α + s ln β +
    /// ln(e^alive + e^left) differentiated term by term.
    fn value_and_gradient(&self, point: &[f64; 4]) -> Option<(f64, [f64; 4])> {
        let parameters = point.map(f64::exp);
        let [r, alpha, s, beta] = parameters;
        let mut f = self.log_f.borrow_mut();
        f.clear();
        for &(x, y) in checked(&self.points) {
            f.push(log_f_gradient(parameters, x, y)?);
        }
        let (mut total, mut gradient) = (0.0, [0.0; 4]);
        // ln Γ(r+x) − ln Γ(r) and ψ(r+x) − ψ(r), per x (the rows are sorted by x).
        let mut cached_x = f64::NAN;
        let (mut log_gamma_ratio, mut digamma_difference) = (0.0, 0.0);
        for row in checked(&self.rows) {
            let x = row.x;
            if x != cached_x {
                cached_x = x;
                log_gamma_ratio = ln_gamma(r + x) - ln_gamma(r);
                digamma_difference = digamma(r + x) - digamma(r);
            }
            let alive = -(r + x) * (alpha + row.age).ln() - s * (beta + row.age).ln();
            let (log_a0, d_log_a0) = if row.recency >= row.age {
                (f64::NEG_INFINITY, [0.0; 4])
            } else {
                let ((early, d_early), (late, d_late)) = (f[row.early], f[row.late]);
                let log_a0 = log_difference(early, late);
                // d ln(e^early − e^late) = (d early − q d late)/(1 − q), q = e^(late − early).
                let q = (late - early).exp();
                let mut d = [0.0; 4];
                for index in 0..4 {
                    d[index] = (d_early[index] - q * d_late[index]) / (1.0 - q);
                }
                (log_a0, d)
            };
            let left = (s / (r + s + x)).ln() + log_a0;
            let value = log_gamma_ratio + r * alpha.ln() + s * beta.ln() + log_add_exp(alive, left);
            if !value.is_finite() {
                return None;
            }
            // The shares of the two terms in e^alive + e^left.
            let share_left = if left == f64::NEG_INFINITY {
                0.0
            } else if left > alive {
                1.0 / (1.0 + (alive - left).exp())
            } else {
                let odds = (left - alive).exp();
                odds / (1.0 + odds)
            };
            let share_alive = 1.0 - share_left;
            let rsx = r + s + x;
            let d_alive = [
                -r * (alpha + row.age).ln(),
                -alpha * (r + x) / (alpha + row.age),
                -s * (beta + row.age).ln(),
                -beta * s / (beta + row.age),
            ];
            let d_left = [
                -r / rsx + d_log_a0[0],
                d_log_a0[1],
                1.0 - s / rsx + d_log_a0[2],
                d_log_a0[3],
            ];
            let d_rest = [r * (digamma_difference + alpha.ln()), r, s * beta.ln(), s];
            total += row.weight * value;
            for index in 0..4 {
                let d_row = d_rest[index]
                    + share_alive * d_alive[index]
                    + if share_left > 0.0 {
                        share_left * d_left[index]
                    } else {
                        0.0
                    };
                gradient[index] += row.weight * d_row;
            }
        }
        let value = -total / self.total_weight;
        let gradient = gradient.map(|component| -component / self.total_weight);
        (value.is_finite() && gradient.iter().all(|component| component.is_finite()))
            .then_some((value, gradient))
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
    let problem = Problem::new(function, rows)?;
    if problem.rows.iter().all(|row| row.x == 0.0) {
        return Err(invalid_with_hint(
            format!(
                "{function}: no customer made a repeat purchase, so the model cannot be fitted"
            ),
            super::FIT_HINT,
        ));
    }
    check_identifiable(function, rows.len())?;
    let mean_age = problem
        .rows
        .iter()
        .map(|row| row.age * row.weight)
        .sum::<f64>()
        / problem.total_weight;
    let scale = mean_age.max(1e-3);
    // β starts away from α: at α = β every ₂F₁ is 1 (z = 0), so the evaluation the optimizer
    // times at the start to size its budget would be far cheaper than the later ones.
    let start = [0.0, scale.ln(), 0.0, (2.0 * scale).ln()];
    let oldest = problem.rows.iter().map(|row| row.age).fold(0.0, f64::max);
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
