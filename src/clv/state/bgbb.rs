//! BG/BB (Fader, Hardie & Shang 2010, "Customer-base analysis in a discrete-time
//! noncontractual setting"): at each of n discrete transaction opportunities a customer who is
//! still alive transacts with probability p ~ Beta(α, β), and after each opportunity dies with
//! probability θ ~ Beta(γ, δ). Data per customer: x transactions in the n opportunities, the
//! last one at opportunity t_x (0 without transactions).
//!
//! L(x, t_x, n) = B(α+x, β+n−x)/B(α,β) · B(γ, δ+n)/B(γ,δ)
//!   + Σ_{i=0}^{n−t_x−1} B(α+x, β+t_x−x+i)/B(α,β) · B(γ+1, δ+t_x+i)/B(γ,δ).
use super::gamma_gamma::GammaGammaModel;
use super::hypergeometric::hyp2f1_log_unit;
use super::optimize::{minimize, Objective, Penalized};
use super::rows::{WeightedRows, WHAT};
use super::special::{digamma, ln_beta, ln_beta_exact, ln_gamma_ratio, trigamma};
use super::uncertainty::standard_errors;
use super::{
    binary_parameter, check_estimate, check_identifiable, fit_failure, invalid, invalid_with_hint,
    positive_parameter, text_parameter, FitInfo, FitText, FIRST_MODEL_VERSION,
    STD_ERRORS_MODEL_VERSION,
};
use crate::common::codec::{from_json_object, Reader, Writer};
use crate::common::error::{Float8, MetricError, MetricResult};
use crate::common::interrupt::{self, checked};
use crate::common::limits::reserve;
use serde::{Deserialize, Serialize};

pub const MODEL_TYPE: &str = "crm.bgbb_model";
/// The fit with a penalizer, shown in the hint of a fit that does not converge.
pub const PENALIZED_CALL: &str = "crm.bgbb_fit(frequency, recency, n_periods, 0.001)";
/// Most opportunities whose P(alive) ratios the expectations add one by one (a few µs).
const TERMWISE_ALIVE_TERMS: f64 = 1000.0;
/// Within this of γ = 1, longer sums expand their ln Γ ratio in γ − 1 to the second order
/// (the third-order term is below 1e-8 of the first).
const GAMMA_EXPANSION_RADIUS: f64 = 1e-4;

/// Validates one customer's `(frequency, recency, n_periods)`: 0 <= frequency <= recency <=
/// n_periods, and recency 0 exactly when frequency is 0 (a transaction at opportunity
/// recency >= 1 is the last one).
pub fn checked_customer(
    function: &str,
    frequency: i32,
    recency: i32,
    n_periods: i32,
) -> MetricResult<(u32, u32, u32)> {
    let non_negative = |name: &str, value: i32| {
        u32::try_from(value).map_err(|_| invalid(format!("{function}: {name} {value} is negative")))
    };
    let x = non_negative("frequency", frequency)?;
    let t_x = non_negative("recency", recency)?;
    let n = non_negative("n_periods", n_periods)?;
    if t_x > n {
        return Err(invalid(format!(
            "{function}: recency {recency} is greater than n_periods {n_periods}"
        )));
    }
    if x > t_x {
        return Err(invalid(format!(
            "{function}: frequency {frequency} is greater than recency {recency} (at most one \
             transaction per opportunity, the last at opportunity recency)"
        )));
    }
    if x == 0 && t_x != 0 {
        return Err(invalid(format!(
            "{function}: recency {recency} must be 0 when frequency is 0"
        )));
    }
    Ok((x, t_x, n))
}

/// Checks one row and returns its merge key `[x, t_x, n]`.
pub fn customer_key(
    function: &str,
    frequency: i32,
    recency: i32,
    n_periods: i32,
) -> MetricResult<[u64; 3]> {
    let (x, t_x, n) = checked_customer(function, frequency, recency, n_periods)?;
    Ok([u64::from(x), u64::from(t_x), u64::from(n)])
}

/// Whether `key` is one [`customer_key`] makes (a `crm.fit_rows` read from text may hold any).
pub fn is_customer_key(key: &[u64; 3]) -> bool {
    let word = |value: u64| i32::try_from(value).ok();
    match (word(key[0]), word(key[1]), word(key[2])) {
        (Some(x), Some(t_x), Some(n)) => checked_customer("", x, t_x, n).is_ok(),
        _ => false,
    }
}

/// ln B(a, b) and its partial derivatives.
fn ln_beta_with_gradient(a: f64, b: f64) -> (f64, f64, f64) {
    let psi_ab = digamma(a + b);
    (ln_beta(a, b), digamma(a) - psi_ab, digamma(b) - psi_ab)
}

/// The model's parameters, in the order of the optimizer's coordinates.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Parameters {
    alpha: f64,
    beta: f64,
    gamma: f64,
    delta: f64,
}

impl Parameters {
    /// ln L(x, t_x, n) and its gradient in (α, β, γ, δ). The terms of a customer who died
    /// after opportunity t_x + i fall with i; the sum stops once the rest is below 1e-17 of it
    /// (they fall like i^−s, s = α + x + γ + 1, so the rest is about term · (i + t_x + δ) /
    /// (s − 1)), and otherwise runs to i = n − t_x − 1, checking for interrupts.
    fn log_likelihood(&self, x: f64, t_x: f64, n: f64) -> (f64, [f64; 4]) {
        let Parameters {
            alpha,
            beta,
            gamma,
            delta,
        } = *self;
        // The term of a customer alive through opportunity n.
        let (b1, d_alpha, d_beta) = ln_beta_with_gradient(alpha + x, beta + n - x);
        let (b2, d_gamma, d_delta) = ln_beta_with_gradient(gamma, delta + n);
        let mut sum = LogSum::new(b1 + b2, [d_alpha, d_beta, d_gamma, d_delta]);
        let decay = alpha + x + gamma;
        let deaths = (n - t_x) as u64;
        for i in checked(0..deaths) {
            let i = i as f64;
            let (b1, d_alpha, d_beta) = ln_beta_with_gradient(alpha + x, beta + t_x - x + i);
            let (b2, d_gamma, d_delta) = ln_beta_with_gradient(gamma + 1.0, delta + t_x + i);
            let term = b1 + b2;
            sum.add(term, [d_alpha, d_beta, d_gamma, d_delta]);
            let rest = term + ((i + t_x + delta + 1.0) / decay).ln();
            if rest < sum.high + (sum.total.ln() - 39.0) {
                break;
            }
        }
        let (norm_ab, n_alpha, n_beta) = ln_beta_with_gradient(alpha, beta);
        let (norm_gd, n_gamma, n_delta) = ln_beta_with_gradient(gamma, delta);
        let common = [n_alpha, n_beta, n_gamma, n_delta];
        let mut gradient = sum.gradient;
        for (total, c) in gradient.iter_mut().zip(common) {
            *total = *total / sum.total - c;
        }
        (sum.high + sum.total.ln() - norm_ab - norm_gd, gradient)
    }
}

/// Σ e^termᵢ and Σ e^termᵢ · gradientᵢ, both scaled by e^−high (the largest term so far).
struct LogSum {
    high: f64,
    total: f64,
    gradient: [f64; 4],
}

impl LogSum {
    fn new(term: f64, gradient: [f64; 4]) -> Self {
        LogSum {
            high: term,
            total: 1.0,
            gradient,
        }
    }

    fn add(&mut self, term: f64, gradient: [f64; 4]) {
        if term > self.high {
            let rescale = (self.high - term).exp();
            self.total *= rescale;
            for g in &mut self.gradient {
                *g *= rescale;
            }
            self.high = term;
        }
        let share = (term - self.high).exp();
        self.total += share;
        for (total, g) in self.gradient.iter_mut().zip(gradient) {
            *total += share * g;
        }
    }
}

struct Problem {
    /// Distinct rows: (x, t_x, n, weight).
    rows: Vec<(f64, f64, f64, f64)>,
    total_weight: f64,
}

impl Problem {
    /// The rows of a fit, copied in key order into vectors reserved fallibly (53200 naming
    /// `function`).
    fn new(function: &str, rows: &WeightedRows) -> MetricResult<Self> {
        let sorted = rows.sorted_within(function)?;
        let mut problem_rows = Vec::new();
        reserve(&mut problem_rows, sorted.len(), function, WHAT)?;
        problem_rows.extend(
            checked(sorted)
                .map(|(key, weight)| (key[0] as f64, key[1] as f64, key[2] as f64, weight as f64)),
        );
        let total_weight = problem_rows.iter().map(|row| row.3).sum();
        Ok(Problem {
            rows: problem_rows,
            total_weight,
        })
    }

    fn log_likelihood(&self, parameters: &Parameters) -> (f64, [f64; 4]) {
        let mut total = 0.0;
        let mut gradient = [0.0; 4];
        for &(x, t_x, n, weight) in &self.rows {
            let (value, row_gradient) = parameters.log_likelihood(x, t_x, n);
            total += weight * value;
            for (sum, g) in gradient.iter_mut().zip(row_gradient) {
                *sum += weight * g;
            }
        }
        (total, gradient)
    }
}

impl Objective<4> for Problem {
    fn value_and_gradient(&self, point: &[f64; 4]) -> Option<(f64, [f64; 4])> {
        let [alpha, beta, gamma, delta] = point.map(f64::exp);
        let parameters = Parameters {
            alpha,
            beta,
            gamma,
            delta,
        };
        let (value, gradient) = self.log_likelihood(&parameters);
        let scale = -1.0 / self.total_weight;
        let values = [alpha, beta, gamma, delta];
        let mut chained = [0.0; 4];
        for index in 0..4 {
            chained[index] = scale * gradient[index] * values[index];
        }
        let value = scale * value;
        (value.is_finite() && chained.iter().all(|g| g.is_finite())).then_some((value, chained))
    }
}

/// A BG/BB model: parameters and, when fitted, the fit diagnostics.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BgBbModel {
    pub alpha: f64,
    pub beta: f64,
    pub gamma: f64,
    pub delta: f64,
    pub fit: Option<FitInfo>,
}

const NAMES: [&str; 4] = ["alpha", "beta", "gamma", "delta"];

/// Maximum-likelihood fit, penalized with the rows' penalizer (on α, β, γ and δ, as lifetimes'
/// `penalizer_coef`); `None` when there are no customers.
pub fn fit(function: &str, rows: &WeightedRows) -> MetricResult<Option<BgBbModel>> {
    if rows.customers() == 0 {
        return Ok(None);
    }
    super::check_customers(function, rows.customers())?;
    check_identifiable(function, rows.len())?;
    let problem = Problem::new(function, rows)?;
    if problem.rows.iter().all(|&(frequency, ..)| frequency == 0.0) {
        // The likelihood grows toward α → 0 (nobody ever transacts): no estimate exists.
        return Err(invalid_with_hint(
            format!(
                "{function}: no customer made a repeat transaction, so the model cannot be fitted"
            ),
            super::FIT_HINT,
        ));
    }
    let penalized = Penalized {
        objective: &problem,
        penalizer: rows.penalizer(),
        scales: [1.0; 4],
    };
    let minimum = minimize(&penalized, [0.0; 4])
        .map_err(|failure| fit_failure(function, &NAMES, PENALIZED_CALL, failure))?;
    let log_likelihood = problem
        .value_and_gradient(&minimum.point)
        .map_or(f64::NAN, |(value, _)| -value * problem.total_weight);
    let [alpha, beta, gamma, delta] = minimum.point.map(f64::exp);
    check_estimate(
        function,
        &[
            ("alpha", alpha, 1.0),
            ("beta", beta, 1.0),
            ("gamma", gamma, 1.0),
            ("delta", delta, 1.0),
        ],
    )?;
    Ok(Some(BgBbModel {
        alpha,
        beta,
        gamma,
        delta,
        fit: Some(FitInfo {
            log_likelihood,
            customers: rows.customers(),
            distinct_rows: rows.len() as u64,
            iterations: minimum.iterations,
            gradient_norm: minimum.gradient_norm,
            converged: true,
            penalizer: rows.penalizer(),
            std_errors: standard_errors(&penalized, &minimum.point, problem.total_weight),
        }),
    }))
}

/// Terms of [`BgBbModel::discounted_terms`] between exact recomputations (and interrupt
/// checks).
const RESYNC: u32 = 1024;
/// Terms of a discounted sum added one by one before the rest of a longer horizon comes from
/// the closed form (a positive discount rate).
const DIRECT_TERMS: u32 = 1_000_000;

/// Discounted CLV of a customer over the next `horizon` opportunities:
/// `value_per_transaction` × DERT (see [`BgBbModel::discounted_residual_transactions`]);
/// `value_per_transaction` finite and not negative, else 22023.
pub fn clv(
    function: &str,
    model: &BgBbModel,
    value_per_transaction: f64,
    customer: (i32, i32, i32),
    horizon: i32,
    discount_rate: f64,
) -> MetricResult<f64> {
    if !value_per_transaction.is_finite() || value_per_transaction < 0.0 {
        return Err(invalid(format!(
            "{function}: value_per_transaction {} is negative or not finite",
            Float8(value_per_transaction)
        )));
    }
    let transactions =
        model.discounted_residual_transactions(function, customer, horizon, discount_rate)?;
    let value = value_per_transaction * transactions;
    if value.is_finite() {
        Ok(value)
    } else {
        Err(invalid(format!("{function}: the CLV is not finite")))
    }
}

/// Discounted CLV of a customer over the next `horizon` opportunities with the spend of a
/// Gamma-Gamma model: E[Z | x, monetary_value] × DERT (the Gamma-Gamma frequency is the BG/BB
/// frequency, the transactions after the first).
pub fn clv_with_spend(
    function: &str,
    model: &BgBbModel,
    spend: &GammaGammaModel,
    customer: (i32, i32, i32),
    monetary_value: f64,
    horizon: i32,
    discount_rate: f64,
) -> MetricResult<f64> {
    let value = spend.expected_average_value(function, customer.0, monetary_value)?;
    clv(function, model, value, customer, horizon, discount_rate)
}

/// A horizon in opportunities: non-negative, else 22023.
fn checked_horizon(function: &str, horizon: i32) -> MetricResult<f64> {
    if horizon < 0 {
        return Err(invalid(format!(
            "{function}: horizon {horizon} is negative"
        )));
    }
    Ok(f64::from(horizon))
}

impl BgBbModel {
    pub fn from_parameters(
        function: &str,
        alpha: f64,
        beta: f64,
        gamma: f64,
        delta: f64,
    ) -> MetricResult<Self> {
        Ok(BgBbModel {
            alpha: positive_parameter(function, "alpha", alpha)?,
            beta: positive_parameter(function, "beta", beta)?,
            gamma: positive_parameter(function, "gamma", gamma)?,
            delta: positive_parameter(function, "delta", delta)?,
            fit: None,
        })
    }

    fn parameters(&self) -> Parameters {
        Parameters {
            alpha: self.alpha,
            beta: self.beta,
            gamma: self.gamma,
            delta: self.delta,
        }
    }

    /// Σ_{k=1}^{count} P(alive at opportunity start + k) = Σ B(γ, δ+start+k)/B(γ,δ), in closed
    /// form: δ/(γ−1) · Γ(γ+δ)/Γ(1+δ) · R(start) · [1 − R(start+count)/R(start)],
    /// R(m) = Γ(1+δ+m)/Γ(γ+δ+m); at γ = 1 its limit δ Σ_{k<count} 1/(1+δ+start+k).
    /// ln(R(start+count)/R(start)) is taken as Σ_{k<count} ln(1 + (1−γ)/(γ+δ+start+k)) for up to
    /// [`TERMWISE_ALIVE_TERMS`] opportunities (terms of one sign: exact to rounding for any γ);
    /// beyond, near γ = 1 by its expansion in γ − 1 (two digamma and trigamma differences), and
    /// elsewhere as the difference of the ln Γ ratios (which near γ = 1 agree in all but a few
    /// digits).
    /// The sum times e^`ln_scale`: a factor that would overflow a double on its own (a long
    /// history's 1/L) meets the terms' own small scale in the exponent.
    fn alive_sum(&self, start: f64, count: f64, ln_scale: f64) -> f64 {
        if count <= 0.0 {
            // No opportunity: exactly 0 (an empty sum of doubles is −0).
            return 0.0;
        }
        let (gamma, delta) = (self.gamma, self.delta);
        // ln R(m) = ln Γ(1+δ+m) − ln Γ(γ+δ+m), with the offset 1 − γ exact and the sum 1+δ+m
        // taken as it is, not as (γ+δ+m) + (1−γ), which is 0 once γ outgrows 1+δ+m in doubles.
        let ln_ratio = |m: f64| ln_gamma_ratio(gamma + delta + m, 1.0 - gamma, 1.0 + delta + m);
        // ln R(start) − ln R(0) as two ratios over `start`, each small: the difference of the
        // ln R values (−(γ+δ) ln(γ+δ), about −4e10 at γ+δ = 1e9) would absorb ln δ and ln_scale.
        let ln_moved = ln_gamma_ratio(1.0 + delta, start, 1.0 + delta + start)
            - ln_gamma_ratio(gamma + delta, start, gamma + delta + start);
        let ln_leading = ln_scale + delta.ln() + ln_moved;
        let first = 1.0 + delta + start;
        let termwise = count <= TERMWISE_ALIVE_TERMS;
        let terms = || (0..count as u32).map(f64::from);
        if gamma == 1.0 {
            let sum = if termwise {
                terms().map(|k| 1.0 / (first + k)).sum()
            } else {
                digamma(first + count) - digamma(first)
            };
            return ln_leading.exp() * sum;
        }
        let shift = gamma - 1.0;
        let change = if termwise {
            terms()
                .map(|k| (-shift / (gamma + delta + start + k)).ln_1p())
                .sum()
        } else if shift.abs() < GAMMA_EXPANSION_RADIUS {
            // ln R(start+count) − ln R(start) = h(1+δ+start) − h(γ+δ+start) with
            // h(u) = ln Γ(u + count) − ln Γ(u), expanded around the first to the second order.
            let slope = digamma(first + count) - digamma(first);
            let curvature = trigamma(first + count) - trigamma(first);
            -shift * slope - 0.5 * shift * shift * curvature
        } else {
            ln_ratio(start + count) - ln_ratio(start)
        };
        ln_leading.exp() * (-change.exp_m1()) / shift
    }

    /// Σ_{k=1}^{count} P(alive at opportunity start + k) / (1 + d)^k. With d = 0 the closed form
    /// of [`Self::alive_sum`]; otherwise term by term (see [`Self::discounted_terms`]) up to
    /// [`DIRECT_TERMS`] terms, and for d > 0 the rest of a longer horizon from the closed form
    /// of [`Self::discounted_tail`] (term by term again should the hypergeometric function not
    /// be available there). The closed form is needed only below d ≈ 40/[`DIRECT_TERMS`]
    /// (the terms fall under the stopping rule otherwise), and is accurate to about 1e-7
    /// relative there (₂F₁ near z = 1), a few 1e-6 for horizons near `i32::MAX` (ln Γ of
    /// arguments ~2e9).
    /// Times e^`ln_scale`, as [`Self::alive_sum`].
    fn discounted_alive_sum(
        &self,
        start: f64,
        count: u32,
        discount_rate: f64,
        ln_scale: f64,
    ) -> f64 {
        if discount_rate == 0.0 {
            return self.alive_sum(start, f64::from(count), ln_scale);
        }
        let direct = if discount_rate > 0.0 {
            count.min(DIRECT_TERMS)
        } else {
            count
        };
        let (total, finished) = self.discounted_terms(start, 1, direct, discount_rate, ln_scale);
        if finished || direct == count {
            return total;
        }
        let ln_growth = discount_rate.ln_1p();
        match self.discounted_tail(
            start + f64::from(direct),
            count - direct,
            discount_rate,
            ln_scale,
        ) {
            Some(rest) => total + (-f64::from(direct) * ln_growth).exp() * rest,
            None => {
                total
                    + self
                        .discounted_terms(start, direct + 1, count, discount_rate, ln_scale)
                        .0
            }
        }
    }

    /// Σ_{k=first}^{last} P(alive at opportunity start + k) / (1 + d)^k term by term, each term
    /// the previous one times (δ+m)/(γ+δ+m)/(1+d) (m = start + k − 1) and recomputed from ln B
    /// every [`RESYNC`] terms (so the products' rounding never accumulates), with an interrupt
    /// check there; and whether the sum stopped early. As every later term is at most the last
    /// one times (1 + d)^−j, the rest is at most term/d for d > 0: the sum stops once that is
    /// below 1e-17 of the total. A negative d makes the terms grow: the sum stops once it is no
    /// longer finite. Times e^`ln_scale`, as [`Self::alive_sum`].
    fn discounted_terms(
        &self,
        start: f64,
        first: u32,
        last: u32,
        discount_rate: f64,
        ln_scale: f64,
    ) -> (f64, bool) {
        let (gamma, delta) = (self.gamma, self.delta);
        let ln_norm = ln_beta_exact(gamma, delta) - ln_scale;
        let ln_growth = discount_rate.ln_1p();
        let discount = (-ln_growth).exp();
        let (mut total, mut term) = (0.0_f64, 0.0_f64);
        for k in first..=last {
            let before = delta + start + f64::from(k - 1);
            if (k - first).is_multiple_of(RESYNC) {
                interrupt::check();
                term =
                    (ln_beta_exact(gamma, before + 1.0) - ln_norm - f64::from(k) * ln_growth).exp();
            } else {
                term *= before / (gamma + before) * discount;
            }
            total += term;
            if !total.is_finite() || (discount_rate > 0.0 && term <= 1e-17 * total * discount_rate)
            {
                return (total, true);
            }
        }
        (total, false)
    }

    /// Σ_{j=1}^{count} P(alive at opportunity start + j) / (1 + d)^j for d > 0 in closed form:
    /// S(start) − (1 + d)^−count S(start + count), with S(m) = Σ_{j≥1} B(γ, δ+m+j)/B(γ,δ) /
    /// (1+d)^j = B(γ, δ+m+1)/B(γ,δ) / (1+d) · ₂F₁(1, δ+m+1; γ+δ+m+1; 1/(1+d)) (the series of
    /// Fader, Hardie & Shang 2010, eq. 14); `None` when ₂F₁ is not available. Times
    /// e^`ln_scale`, as [`Self::alive_sum`].
    fn discounted_tail(
        &self,
        start: f64,
        count: u32,
        discount_rate: f64,
        ln_scale: f64,
    ) -> Option<f64> {
        let (gamma, delta) = (self.gamma, self.delta);
        let ln_norm = ln_beta_exact(gamma, delta) - ln_scale;
        let ln_growth = discount_rate.ln_1p();
        let z = (-ln_growth).exp();
        let one_minus_z = discount_rate / (1.0 + discount_rate);
        let ln_rest = |m: f64| -> Option<f64> {
            let (sign, ln_value) = hyp2f1_log_unit(
                1.0,
                delta + m + 1.0,
                gamma + delta + m + 1.0,
                z,
                one_minus_z,
            )?;
            (sign > 0.0)
                .then_some(ln_beta_exact(gamma, delta + m + 1.0) - ln_norm - ln_growth + ln_value)
        };
        let near = ln_rest(start)?;
        let far = ln_rest(start + f64::from(count))? - f64::from(count) * ln_growth;
        let value = near.exp() * -(far - near).exp_m1();
        (value.is_finite() && value >= 0.0).then_some(value)
    }

    /// ln L(x, t_x, n) for a prediction: NaN where one of its ln B terms (each pair at both
    /// ends of its range) would lose its digits ([`ln_beta_exact`]), so that the prediction is
    /// refused rather than answered wrongly.
    fn prediction_likelihood(&self, x: f64, t_x: f64, n: f64) -> f64 {
        let (alpha, beta, gamma, delta) = (self.alpha, self.beta, self.gamma, self.delta);
        let pairs = [
            (alpha, beta),
            (gamma, delta),
            (alpha + x, beta + n - x),
            (alpha + x, beta + t_x - x),
            (gamma, delta + n),
            (gamma + 1.0, delta + t_x),
        ];
        if pairs.iter().any(|&(a, b)| ln_beta_exact(a, b).is_nan()) {
            return f64::NAN;
        }
        self.parameters().log_likelihood(x, t_x, n).0
    }

    /// ln of the factor P(transaction at opportunity n + k | x, t_x, n) / P(alive at n + k):
    /// B(α+x+1, β+n−x)/B(α,β) / L(x, t_x, n) (Fader, Hardie & Shang 2010, eq. 13).
    fn ln_transaction_factor(&self, x: f64, t_x: f64, n: f64) -> f64 {
        let ln_likelihood = self.prediction_likelihood(x, t_x, n);
        ln_beta_exact(self.alpha + x + 1.0, self.beta + n - x)
            - ln_beta_exact(self.alpha, self.beta)
            - ln_likelihood
    }

    /// DERT over a horizon: Σ_{k=1}^{horizon} P(transaction at opportunity n + k | x, t_x, n) /
    /// (1 + d)^k, the expected transactions of the next `horizon` opportunities, the first
    /// discounted once (Fader, Hardie & Shang 2010, eq. 14, which is the limit of an infinite
    /// horizon); with d = 0 the conditional expected transactions. `discount_rate` per
    /// opportunity: finite and greater than −1, else 22023; a negative one whose sum is not
    /// finite is 22023 too; parameters so extreme that the value is not finite, 22003.
    pub fn discounted_residual_transactions(
        &self,
        function: &str,
        (frequency, recency, n_periods): (i32, i32, i32),
        horizon: i32,
        discount_rate: f64,
    ) -> MetricResult<f64> {
        let (x, t_x, n) = checked_customer(function, frequency, recency, n_periods)?;
        checked_horizon(function, horizon)?;
        if !discount_rate.is_finite() || discount_rate <= -1.0 {
            return Err(invalid(format!(
                "{function}: discount_rate {} must be finite and greater than -1",
                Float8(discount_rate)
            )));
        }
        let (x, t_x, n) = (f64::from(x), f64::from(t_x), f64::from(n));
        let value = self.discounted_alive_sum(
            n,
            horizon.unsigned_abs(),
            discount_rate,
            self.ln_transaction_factor(x, t_x, n),
        );
        if discount_rate < 0.0 && !value.is_finite() {
            return Err(invalid(format!(
                "{function}: the discounted transactions are not finite (discount_rate \
                 {} over {horizon} opportunities)",
                Float8(discount_rate)
            )));
        }
        self.finite(function, value)
    }

    /// E[X(n)]: expected transactions of a new customer in the first `horizon` opportunities,
    /// α/(α+β) · Σ_{t=1}^{n} P(alive at t) (Fader, Hardie & Shang 2010, eq. 7).
    pub fn expected_purchases(&self, function: &str, horizon: i32) -> MetricResult<f64> {
        let n = checked_horizon(function, horizon)?;
        self.finite(
            function,
            self.alpha / (self.alpha + self.beta) * self.alive_sum(0.0, n, 0.0),
        )
    }

    /// P(alive at opportunity n + 1 | x, t_x, n) (Fader, Hardie & Shang 2010, eq. 11; lifetimes'
    /// `BetaGeoBetaBinomFitter.conditional_probability_alive` with `m_periods_in_future` = 1).
    pub fn probability_alive(
        &self,
        function: &str,
        frequency: i32,
        recency: i32,
        n_periods: i32,
    ) -> MetricResult<f64> {
        let (x, t_x, n) = checked_customer(function, frequency, recency, n_periods)?;
        let (x, t_x, n) = (f64::from(x), f64::from(t_x), f64::from(n));
        let (alpha, beta, gamma, delta) = (self.alpha, self.beta, self.gamma, self.delta);
        let ln_alive = ln_beta_exact(alpha + x, beta + n - x) - ln_beta_exact(alpha, beta)
            + ln_beta_exact(gamma, delta + n + 1.0)
            - ln_beta_exact(gamma, delta);
        let ln_likelihood = self.prediction_likelihood(x, t_x, n);
        self.finite(function, (ln_alive - ln_likelihood).exp())
            .map(|alive| alive.min(1.0))
    }

    /// E[X(n, n + n*) | x, t_x, n]: expected transactions in the next `horizon` opportunities of
    /// a customer with that history (Fader, Hardie & Shang 2010, eq. 13).
    pub fn conditional_expected_purchases(
        &self,
        function: &str,
        frequency: i32,
        recency: i32,
        n_periods: i32,
        horizon: i32,
    ) -> MetricResult<f64> {
        let (x, t_x, n) = checked_customer(function, frequency, recency, n_periods)?;
        let horizon = checked_horizon(function, horizon)?;
        let (x, t_x, n) = (f64::from(x), f64::from(t_x), f64::from(n));
        self.finite(
            function,
            self.alive_sum(n, horizon, self.ln_transaction_factor(x, t_x, n)),
        )
    }

    /// A prediction, or 22003 when it is not finite (parameters so extreme, e.g. 1e308 and
    /// 1e-308 together, that ln Γ overflows).
    fn finite(&self, function: &str, value: f64) -> MetricResult<f64> {
        if value.is_finite() {
            // Not `max(0.0)`, which may keep a −0 (by the instructions the compiler picks).
            return Ok(if value > 0.0 { value } else { 0.0 });
        }
        Err(MetricError::OutOfRange(format!(
            "{function}: the prediction is not finite at alpha = {}, beta = {}, gamma = {}, \
             delta = {} (past the range of double precision, or alpha and beta, or gamma and \
             delta, both past 1e7 with the history, where ln B loses its digits)",
            Float8(self.alpha),
            Float8(self.beta),
            Float8(self.gamma),
            Float8(self.delta)
        )))
    }

    pub fn customers(&self) -> u64 {
        self.fit.map_or(0, |fit| fit.customers)
    }

    pub fn encode(&self) -> MetricResult<Vec<u8>> {
        let version = FitInfo::version_of(self.fit);
        let mut writer = Writer::with_version(version);
        writer
            .f64(self.alpha)
            .f64(self.beta)
            .f64(self.gamma)
            .f64(self.delta);
        FitInfo::encode(self.fit, &mut writer, version);
        writer.finish(MODEL_TYPE)
    }

    pub fn decode(bytes: &[u8]) -> MetricResult<Self> {
        let (mut reader, version) = Reader::open_versions(
            bytes,
            FIRST_MODEL_VERSION..=STD_ERRORS_MODEL_VERSION,
            MODEL_TYPE,
        )?;
        let alpha = binary_parameter(MODEL_TYPE, &mut reader)?;
        let beta = binary_parameter(MODEL_TYPE, &mut reader)?;
        let gamma = binary_parameter(MODEL_TYPE, &mut reader)?;
        let delta = binary_parameter(MODEL_TYPE, &mut reader)?;
        let fit = FitInfo::decode(MODEL_TYPE, &mut reader, version, 4)?;
        reader.finish()?;
        Ok(BgBbModel {
            alpha,
            beta,
            gamma,
            delta,
            fit,
        })
    }

    /// `{"alpha":1.204,"beta":0.750,"gamma":0.657,"delta":2.783,"fit":{...} or null}`.
    pub fn to_text(&self) -> MetricResult<String> {
        let text = ModelText {
            alpha: self.alpha,
            beta: self.beta,
            gamma: self.gamma,
            delta: self.delta,
            fit: self.fit.map(FitInfo::to_text),
        };
        crate::common::codec::json_text(MODEL_TYPE, &text)
    }

    pub fn from_text(text: &str) -> MetricResult<Self> {
        let parsed: ModelText = from_json_object(MODEL_TYPE, text)?.map_err(|error| {
            MetricError::InvalidText(format!("{MODEL_TYPE}: malformed text: {error}"))
        })?;
        Ok(BgBbModel {
            alpha: text_parameter(MODEL_TYPE, "alpha", parsed.alpha)?,
            beta: text_parameter(MODEL_TYPE, "beta", parsed.beta)?,
            gamma: text_parameter(MODEL_TYPE, "gamma", parsed.gamma)?,
            delta: text_parameter(MODEL_TYPE, "delta", parsed.delta)?,
            fit: parsed
                .fit
                .map(|fit| FitInfo::from_text(MODEL_TYPE, fit, 4))
                .transpose()?,
        })
    }
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct ModelText {
    alpha: f64,
    beta: f64,
    gamma: f64,
    delta: f64,
    fit: Option<FitText>,
}

#[cfg(test)]
#[path = "bgbb_tests.rs"]
mod tests;
