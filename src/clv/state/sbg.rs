//! Shifted-beta-geometric contractual retention (Fader & Hardie 2007, "How to project customer
//! retention"; 2010, "Customer-base valuation in a contractual setting"): each customer churns
//! at the end of every period with probability θ ~ Beta(α, β).
//!
//! S(n) = B(α, β + n)/B(α, β) is the share still active after n renewals; a customer who left
//! after n renewals has probability P(T = n + 1) = α/(α + β + n) · S(n).
use super::hypergeometric::hyp2f1_log_unit;
use super::optimize::{minimize, Objective, Penalized};
use super::rows::{WeightedRows, WHAT};
use super::special::{digamma, hyp2f1_log, ln_gamma};
use super::uncertainty::standard_errors;
use super::{
    binary_parameter, check_estimate, check_identifiable, fit_failure, invalid, invalid_with_hint,
    positive_parameter, text_parameter, FitInfo, FitText, FIRST_MODEL_VERSION,
    STD_ERRORS_MODEL_VERSION,
};
use crate::common::codec::{from_json_object, Reader, Writer};
use crate::common::error::{Float8, MetricError, MetricResult};
use crate::common::interrupt::checked;
use crate::common::limits::reserve;
use serde::{Deserialize, Serialize};

pub const MODEL_TYPE: &str = "crm.sbg_model";
/// The fit with a penalizer, shown in the hint of a fit that does not converge.
pub const PENALIZED_CALL: &str = "crm.sbg_fit(periods_survived, churned, 0.001)";

/// Checks one row (renewals made, churned or still active) and returns its merge key.
pub fn customer_key(
    function: &str,
    periods_survived: i32,
    churned: bool,
) -> MetricResult<[u64; 3]> {
    match u64::try_from(periods_survived) {
        Ok(periods) => Ok([periods, u64::from(churned), 0]),
        Err(_) => Err(invalid(format!(
            "{function}: periods_survived {periods_survived} is negative"
        ))),
    }
}

struct Problem {
    /// (n, weight of customers who churned after n renewals, weight still active after n).
    groups: Vec<(f64, f64, f64)>,
    total_weight: f64,
}

impl Problem {
    /// The rows of a fit grouped by periods; the copy in key order and the groups are reserved
    /// fallibly (53200 naming `function`).
    fn new(function: &str, rows: &WeightedRows) -> MetricResult<Self> {
        let mut groups: Vec<(f64, f64, f64)> = Vec::new();
        let mut total_weight = 0.0;
        for (key, weight) in checked(rows.sorted_within(function)?) {
            let periods = key[0] as f64;
            let weight = weight as f64;
            total_weight += weight;
            if groups.last().is_none_or(|last| last.0 != periods) {
                reserve(&mut groups, 1, function, WHAT)?;
                groups.push((periods, 0.0, 0.0));
            }
            if let Some(group) = groups.last_mut() {
                if key[1] == 1 {
                    group.1 += weight;
                } else {
                    group.2 += weight;
                }
            }
        }
        Ok(Problem {
            groups,
            total_weight,
        })
    }

    fn log_likelihood(&self, alpha: f64, beta: f64) -> (f64, [f64; 2]) {
        let ab = alpha + beta;
        let (lg_b, lg_ab, psi_b, psi_ab) =
            (ln_gamma(beta), ln_gamma(ab), digamma(beta), digamma(ab));
        let mut total = 0.0;
        let mut gradient = [0.0; 2];
        for &(n, churned, active) in checked(&self.groups) {
            let ln_survival = ln_gamma(beta + n) - lg_b + lg_ab - ln_gamma(ab + n);
            let psi_abn = digamma(ab + n);
            let d_alpha = psi_ab - psi_abn;
            let d_beta = digamma(beta + n) - psi_b + psi_ab - psi_abn;
            let weight = churned + active;
            total += weight * ln_survival;
            gradient[0] += weight * d_alpha;
            gradient[1] += weight * d_beta;
            if churned > 0.0 {
                total += churned * (alpha.ln() - (ab + n).ln());
                gradient[0] += churned * (1.0 / alpha - 1.0 / (ab + n));
                gradient[1] -= churned / (ab + n);
            }
        }
        (total, gradient)
    }
}

impl Objective<2> for Problem {
    fn value_and_gradient(&self, point: &[f64; 2]) -> Option<(f64, [f64; 2])> {
        let parameters = point.map(f64::exp);
        let (value, gradient) = self.log_likelihood(parameters[0], parameters[1]);
        let scale = -1.0 / self.total_weight;
        let chained = [
            scale * gradient[0] * parameters[0],
            scale * gradient[1] * parameters[1],
        ];
        let value = scale * value;
        (value.is_finite() && chained.iter().all(|g| g.is_finite())).then_some((value, chained))
    }
}

/// An sBG model: parameters and, when fitted, the fit diagnostics.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SbgModel {
    pub alpha: f64,
    pub beta: f64,
    pub fit: Option<FitInfo>,
}

/// Maximum-likelihood fit, penalized with the rows' penalizer (on α and β); `None` when there
/// are no rows.
pub fn fit(function: &str, rows: &WeightedRows) -> MetricResult<Option<SbgModel>> {
    if rows.customers() == 0 {
        return Ok(None);
    }
    super::check_customers(function, rows.customers())?;
    check_identifiable(function, rows.len())?;
    let problem = Problem::new(function, rows)?;
    let penalized = Penalized {
        objective: &problem,
        penalizer: rows.penalizer(),
        scales: [1.0; 2],
    };
    let minimum = minimize(&penalized, [0.0, 0.0])
        .map_err(|failure| fit_failure(function, &["alpha", "beta"], PENALIZED_CALL, failure))?;
    let log_likelihood = problem
        .value_and_gradient(&minimum.point)
        .map_or(f64::NAN, |(value, _)| -value * problem.total_weight);
    let [alpha, beta] = minimum.point.map(f64::exp);
    check_estimate(function, &[("alpha", alpha, 1.0), ("beta", beta, 1.0)])?;
    Ok(Some(SbgModel {
        alpha,
        beta,
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

fn checked_period(function: &str, name: &str, period: i32) -> MetricResult<f64> {
    if period < 0 {
        return Err(invalid(format!("{function}: {name} {period} is negative")));
    }
    Ok(f64::from(period))
}

fn checked_discount(function: &str, discount_rate: f64) -> MetricResult<f64> {
    if !discount_rate.is_finite() || discount_rate < 0.0 {
        return Err(invalid(format!(
            "{function}: discount_rate {} must be finite and non-negative (a \
             negative rate makes the sum diverge: survival falls only polynomially)",
            Float8(discount_rate)
        )));
    }
    Ok(discount_rate)
}

/// Renewals whose factors ln S(n) adds one by one before the rest is summed by Euler–Maclaurin.
const TERMWISE_RENEWALS: f64 = 1000.0;

/// ln S(n) = Σ_{k<n} ln((β + k)/(α + β + k)) = −Σ_{k<n} ln(1 + α/(β + k)): terms of one sign,
/// each exact to rounding for any α and β, where the ln Γ form (ln Γ(β + n) − ln Γ(β) + ...)
/// subtracts values of the size of (α + β) ln(α + β) and keeps nothing of them past 1e15.
/// The first [`TERMWISE_RENEWALS`] terms are added one by one; the rest, a smooth function of
/// k there, by Euler–Maclaurin: its integral by 10-point Gauss–Legendre on pieces each at most
/// half again as long as where it starts (each piece's nodes far from the singularity at 0:
/// error below 1e-18 of the piece), plus the end corrections up to the third derivative.
fn ln_survival(alpha: f64, beta: f64, n: f64) -> f64 {
    let term = |u: f64| -(alpha / u).ln_1p();
    let head = n.min(TERMWISE_RENEWALS) as u32;
    let sum: f64 = (0..head).map(|k| term(beta + f64::from(k))).sum();
    if n <= TERMWISE_RENEWALS {
        return sum;
    }
    // The rest, Σ_{k=K}^{n−1} f(β + k) with f(u) = −ln(1 + α/u): its first derivative
    // 1/u − 1/(u + α) and third 2/u³ − 2/(u + α)³, written in t = α/u so that neither
    // cancels nor overflows.
    let first_derivative = |u: f64| {
        let t = alpha / u;
        t / (1.0 + t) / u
    };
    let third_derivative = |u: f64| {
        let t = alpha / u;
        let s = 1.0 / (1.0 + t);
        let difference = if t < 1.0 {
            t * (3.0 + t * (3.0 + t)) * s * s * s
        } else {
            1.0 - s * s * s
        };
        2.0 * difference / (u * u * u)
    };
    // Integrated in k, not in u = β + k: with β past about 1e16, β + k rounds the k away and
    // an integral from β + K to β + n − 1 was empty (the survival stopped falling after K).
    let (k0, k1) = (TERMWISE_RENEWALS, n - 1.0);
    let (u0, u1) = (beta + k0, beta + k1);
    let term_at = |k: f64| term(beta + k);
    let mut integral = 0.0;
    let mut start = k0;
    while start < k1 {
        let end = (start + 0.5 * (beta + start)).min(k1);
        integral += gauss_legendre(&term_at, start, end);
        start = end;
    }
    sum + integral
        + (term(u0) + term(u1)) / 2.0
        + (first_derivative(u1) - first_derivative(u0)) / 12.0
        - (third_derivative(u1) - third_derivative(u0)) / 720.0
}

/// ∫_a^b f by 10-point Gauss–Legendre.
fn gauss_legendre(f: &impl Fn(f64) -> f64, a: f64, b: f64) -> f64 {
    let (nodes, weights) = legendre_nodes();
    let (middle, half) = ((a + b) / 2.0, (b - a) / 2.0);
    let sum: f64 = nodes
        .iter()
        .zip(weights)
        .map(|(&x, &w)| w * f(middle + half * x))
        .sum();
    half * sum
}

/// Points of the Gauss–Legendre rule.
const LEGENDRE_POINTS: usize = 10;

/// The nodes and weights of the 10-point Gauss–Legendre rule on [−1, 1]: the roots of P₁₀ by
/// Newton's method from the usual first guesses, computed once.
fn legendre_nodes() -> &'static ([f64; LEGENDRE_POINTS], [f64; LEGENDRE_POINTS]) {
    static NODES: std::sync::OnceLock<([f64; LEGENDRE_POINTS], [f64; LEGENDRE_POINTS])> =
        std::sync::OnceLock::new();
    NODES.get_or_init(|| {
        let points = LEGENDRE_POINTS as f64;
        let mut nodes = [0.0; LEGENDRE_POINTS];
        let mut weights = [0.0; LEGENDRE_POINTS];
        for i in 0..LEGENDRE_POINTS / 2 {
            let mut x = (std::f64::consts::PI * (i as f64 + 0.75) / (points + 0.5)).cos();
            let mut derivative = 1.0;
            for _ in 0..100 {
                // P_N(x) by the three-term recurrence, and P_N'(x) from P_N and P_{N−1}.
                let (mut p, mut previous) = (1.0, 0.0);
                for j in 1..=LEGENDRE_POINTS {
                    let j = j as f64;
                    (p, previous) = (((2.0 * j - 1.0) * x * p - (j - 1.0) * previous) / j, p);
                }
                derivative = points * (x * p - previous) / (x * x - 1.0);
                let step = p / derivative;
                x -= step;
                if step.abs() < 1e-16 {
                    break;
                }
            }
            let weight = 2.0 / ((1.0 - x * x) * derivative * derivative);
            nodes[i] = x;
            nodes[LEGENDRE_POINTS - 1 - i] = -x;
            weights[i] = weight;
            weights[LEGENDRE_POINTS - 1 - i] = weight;
        }
        (nodes, weights)
    })
}

impl SbgModel {
    pub fn from_parameters(function: &str, alpha: f64, beta: f64) -> MetricResult<Self> {
        Ok(SbgModel {
            alpha: positive_parameter(function, "alpha", alpha)?,
            beta: positive_parameter(function, "beta", beta)?,
            fit: None,
        })
    }

    /// S(n): share of a cohort still active after `period` renewals.
    pub fn survival(&self, function: &str, period: i32) -> MetricResult<f64> {
        let n = checked_period(function, "period", period)?;
        Ok(ln_survival(self.alpha, self.beta, n).exp().min(1.0))
    }

    /// r_t = (β + t − 1)/(α + β + t − 1): share of those active in period t − 1 who renew
    /// into period t; `period` >= 1. Taken as 1/(1 + α/(β + (t − 1))): β + t − 1 in that order
    /// loses a tiny β to the 1 (0/0 at β = 1e-300), and α + β can overflow.
    pub fn retention_rate(&self, function: &str, period: i32) -> MetricResult<f64> {
        if period < 1 {
            return Err(invalid(format!(
                "{function}: period {period} must be at least 1 (the first renewal)"
            )));
        }
        let renewals = f64::from(period) - 1.0;
        Ok(1.0 / (1.0 + self.alpha / (self.beta + renewals)))
    }

    /// DEL: Σ_{k>=0} S(k)/(1 + d)^k (the first period counts, undiscounted).
    pub fn expected_lifetime(&self, function: &str, discount_rate: f64) -> MetricResult<f64> {
        self.discounted_sum(function, discount_rate, self.beta, 1.0)
    }

    /// DERL(n): Σ_{k>n} S(k)/S(n)/(1 + d)^(k−n−1) for a customer who renewed n times.
    pub fn residual_lifetime(
        &self,
        function: &str,
        periods_survived: i32,
        discount_rate: f64,
    ) -> MetricResult<f64> {
        let n = checked_period(function, "periods_survived", periods_survived)?;
        // (β + n)/(α + β + n), without forming α + β (which can overflow).
        let leading = 1.0 / (1.0 + self.alpha / (self.beta + n));
        self.discounted_sum(function, discount_rate, self.beta + n + 1.0, leading)
    }

    /// leading · ₂F₁(1, b; c; 1/(1 + d)) with c = α + b (Fader & Hardie 2010), with the closed
    /// form leading · (c − 1)/(c − 1 − b) = leading · (1 + b/(α − 1)) at d = 0, finite only
    /// when α > 1.
    fn discounted_sum(
        &self,
        function: &str,
        discount_rate: f64,
        b: f64,
        leading: f64,
    ) -> MetricResult<f64> {
        let c = self.alpha + b;
        let discount_rate = checked_discount(function, discount_rate)?;
        if discount_rate == 0.0 {
            if self.alpha <= 1.0 {
                return Err(invalid_with_hint(
                    format!(
                        "{function}: the undiscounted expected lifetime is infinite (alpha = {} <= 1)",
                        Float8(self.alpha)
                    ),
                    "Pass a positive discount_rate.",
                ));
            }
            return Ok(leading * (1.0 + b / (self.alpha - 1.0)));
        }
        // The series needs about 1/d terms: from d = 1e-4 down the connection formulas of
        // `hyp2f1_log_unit` (with 1 − z = d/(1 + d) to full precision) come first, each way
        // the other as the fallback (the connection formulas fail for a huge b, a residual
        // lifetime after billions of periods).
        let z = 1.0 / (1.0 + discount_rate);
        let one_minus_z = discount_rate / (1.0 + discount_rate);
        let series = || hyp2f1_log(1.0, b, c, z);
        let connection = || hyp2f1_log_unit(1.0, b, c, z, one_minus_z);
        let value = if one_minus_z >= 1e-4 {
            series().or_else(connection)
        } else {
            connection().or_else(series)
        };
        match value {
            Some((sign, ln_value)) if sign > 0.0 => Ok(leading * ln_value.exp()),
            _ => Err(MetricError::InvalidParameter(format!(
                "{function}: the discounted sum did not converge for discount_rate {} \
                 (alpha = {}, beta = {})",
                Float8(discount_rate),
                Float8(self.alpha),
                Float8(self.beta)
            ))),
        }
    }

    pub fn customers(&self) -> u64 {
        self.fit.map_or(0, |fit| fit.customers)
    }

    pub fn encode(&self) -> MetricResult<Vec<u8>> {
        let version = FitInfo::version_of(self.fit);
        let mut writer = Writer::with_version(version);
        writer.f64(self.alpha).f64(self.beta);
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
        let fit = FitInfo::decode(MODEL_TYPE, &mut reader, version, 2)?;
        reader.finish()?;
        Ok(SbgModel { alpha, beta, fit })
    }

    /// `{"alpha":0.704,"beta":1.182,"fit":{...} or null}`.
    pub fn to_text(&self) -> MetricResult<String> {
        let text = ModelText {
            alpha: self.alpha,
            beta: self.beta,
            fit: self.fit.map(FitInfo::to_text),
        };
        crate::common::codec::json_text(MODEL_TYPE, &text)
    }

    pub fn from_text(text: &str) -> MetricResult<Self> {
        let parsed: ModelText = from_json_object(MODEL_TYPE, text)?.map_err(|error| {
            MetricError::InvalidText(format!("{MODEL_TYPE}: malformed text: {error}"))
        })?;
        Ok(SbgModel {
            alpha: text_parameter(MODEL_TYPE, "alpha", parsed.alpha)?,
            beta: text_parameter(MODEL_TYPE, "beta", parsed.beta)?,
            fit: parsed
                .fit
                .map(|fit| FitInfo::from_text(MODEL_TYPE, fit, 2))
                .transpose()?,
        })
    }
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct ModelText {
    alpha: f64,
    beta: f64,
    fit: Option<FitText>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clv::state::simulate::Random;

    const F: &str = "crm.test";

    /// Rows of a cohort from its survivors at years 0..7 (Fader & Hardie 2007, table 1).
    fn cohort(survivors: &[u64]) -> WeightedRows {
        let mut rows = WeightedRows::default();
        for (year, pair) in survivors.windows(2).enumerate() {
            rows.add(
                F,
                customer_key(F, year as i32, true).unwrap(),
                pair[0] - pair[1],
            )
            .unwrap();
        }
        let last = survivors.len() as i32 - 1;
        rows.add(
            F,
            customer_key(F, last, false).unwrap(),
            survivors[survivors.len() - 1],
        )
        .unwrap();
        rows
    }

    #[test]
    fn a_penalizer_pulls_the_parameters_toward_zero() {
        let plain = fit(F, &cohort(&[1000, 631, 468, 382, 326, 289, 262, 241]))
            .unwrap()
            .unwrap();
        let mut rows = cohort(&[1000, 631, 468, 382, 326, 289, 262, 241]);
        rows.set_penalizer(F, 0.1).unwrap();
        let model = fit(F, &rows).unwrap().unwrap();
        assert!(
            model.alpha < plain.alpha && model.beta < plain.beta,
            "{model:?}"
        );
        let info = model.fit.unwrap();
        assert_eq!((info.penalizer, info.converged), (0.1, true));
        assert!(info.log_likelihood < plain.fit.unwrap().log_likelihood);
        // The estimate is the minimum of the mean negative log-likelihood + 0.1 (α² + β²).
        let problem = Problem::new("crm.t", &rows).unwrap();
        let objective = Penalized {
            objective: &problem,
            penalizer: 0.1,
            scales: [1.0; 2],
        };
        let (_, gradient) = objective
            .value_and_gradient(&[model.alpha.ln(), model.beta.ln()])
            .unwrap();
        assert!(gradient.iter().all(|g| g.abs() < 1e-8), "{gradient:?}");
        assert_eq!(SbgModel::decode(&model.encode().unwrap()).unwrap(), model);
        assert_eq!(
            SbgModel::from_text(&model.to_text().unwrap()).unwrap(),
            model
        );
    }

    /// The total log-likelihood of a cohort straight from the survival function: churned
    /// after n renewals has probability S(n) − S(n + 1), still active S(n).
    fn cohort_log_likelihood(rows: &WeightedRows, alpha: f64, beta: f64) -> f64 {
        let model = SbgModel::from_parameters(F, alpha, beta).unwrap();
        let survival = |n: u64| model.survival(F, n as i32).unwrap();
        rows.sorted()
            .iter()
            .map(|(key, weight)| {
                let probability = if key[1] == 1 {
                    survival(key[0]) - survival(key[0] + 1)
                } else {
                    survival(key[0])
                };
                *weight as f64 * probability.ln()
            })
            .sum()
    }

    #[test]
    fn standard_errors_match_a_direct_numeric_hessian() {
        for penalizer in [0.0, 0.1] {
            let mut rows = cohort(&[1000, 631, 468, 382, 326, 289, 262, 241]);
            rows.set_penalizer(F, penalizer).unwrap();
            let model = fit(F, &rows).unwrap().unwrap();
            let errors = model.fit.unwrap().std_errors.unwrap();
            // The penalized total: LL − customers · penalizer · (α² + β²), its Hessian in (α, β)
            // by second differences, inverted as a 2×2 matrix.
            let total = |alpha: f64, beta: f64| {
                cohort_log_likelihood(&rows, alpha, beta)
                    - 1000.0 * penalizer * (alpha * alpha + beta * beta)
            };
            let (alpha, beta, h) = (model.alpha, model.beta, 1e-4);
            let d_aa = (total(alpha + h, beta) - 2.0 * total(alpha, beta) + total(alpha - h, beta))
                / (h * h);
            let d_bb = (total(alpha, beta + h) - 2.0 * total(alpha, beta) + total(alpha, beta - h))
                / (h * h);
            let d_ab = (total(alpha + h, beta + h)
                - total(alpha + h, beta - h)
                - total(alpha - h, beta + h)
                + total(alpha - h, beta - h))
                / (4.0 * h * h);
            let determinant = d_aa * d_bb - d_ab * d_ab;
            let expected = [(-d_bb / determinant).sqrt(), (-d_aa / determinant).sqrt()];
            for (error, want) in errors.values().iter().zip(expected) {
                assert!(
                    (error / want - 1.0).abs() < 1e-3,
                    "{penalizer}: {error} vs {want}"
                );
            }
        }
    }

    #[test]
    fn reproduces_the_paper() {
        let regular = fit(F, &cohort(&[1000, 631, 468, 382, 326, 289, 262, 241]))
            .unwrap()
            .unwrap();
        assert!((regular.alpha - 0.704).abs() < 5e-4, "{regular:?}");
        assert!((regular.beta - 1.182).abs() < 5e-4, "{regular:?}");
        let high_end = fit(F, &cohort(&[1000, 869, 743, 653, 593, 551, 517, 491]))
            .unwrap()
            .unwrap();
        assert!((high_end.alpha - 0.668).abs() < 5e-4, "{high_end:?}");
        assert!((high_end.beta - 3.806).abs() < 5e-4, "{high_end:?}");
        assert_eq!(regular.customers(), 1000);
        // The survival curve projects the cohort: S(1) at the estimates ≈ 631/1000.
        assert!((regular.survival(F, 1).unwrap() - 0.631).abs() < 0.01);
        assert_eq!(
            SbgModel::from_text(&regular.to_text().unwrap()).unwrap(),
            regular
        );
        assert_eq!(
            SbgModel::decode(&regular.encode().unwrap()).unwrap(),
            regular
        );
    }

    #[test]
    fn lifetimes_agree_with_direct_sums() {
        let model = SbgModel::from_parameters(F, 1.8, 2.5).unwrap();
        let survival = |k: i32| model.survival(F, k).unwrap();
        for discount in [0.0, 0.1] {
            let direct: f64 = (0..20_000)
                .map(|k| survival(k) / (1.0f64 + discount).powi(k))
                .sum();
            let del = model.expected_lifetime(F, discount).unwrap();
            // At d = 0 the terms fall like k^-1.8: add the tail of the direct sum's integral.
            let tail = if discount == 0.0 {
                survival(20_000) * 20_000.0 / 0.8
            } else {
                0.0
            };
            assert!(
                ((direct + tail) / del - 1.0).abs() < 1e-4,
                "{discount}: {direct} {del}"
            );
            let n = 3;
            let direct: f64 = (n + 1..20_000)
                .map(|k| survival(k) / survival(n) / (1.0f64 + discount).powi(k - n - 1))
                .sum();
            let tail = if discount == 0.0 {
                survival(20_000) / survival(n) * 20_000.0 / 0.8
            } else {
                0.0
            };
            let derl = model.residual_lifetime(F, n, discount).unwrap();
            assert!(
                ((direct + tail) / derl - 1.0).abs() < 1e-4,
                "{discount}: {direct} {derl}"
            );
        }
        assert!((model.retention_rate(F, 1).unwrap() - 2.5 / 4.3).abs() < 1e-15);
        assert!((model.survival(F, 1).unwrap() - 2.5 / 4.3).abs() < 1e-12);
    }

    #[test]
    fn small_discount_rates_are_finite_sums() {
        // The paper's regular cohort (α < 1: infinite undiscounted) against mpmath's
        // hyp2f1(1, β, α + β, 1/(1 + d)) at 40 digits (scipy, given z rounded to a double,
        // is 2.6e-5 off at d = 1e-12).
        let model = SbgModel::from_parameters(F, 0.704, 1.182).unwrap();
        for (discount, mpmath) in [
            (1e-5, 91.99999561182157),
            (1e-6, 184.80355944734142),
            (1e-8, 730.9926144089438),
            (1e-12, 11209.125458422206),
        ] {
            let del = model.expected_lifetime(F, discount).unwrap();
            assert!(
                (del / mpmath - 1.0).abs() < 1e-10,
                "{discount}: {del} {mpmath}"
            );
        }
        let derl = model.residual_lifetime(F, 7, 1e-8).unwrap();
        assert!(derl.is_finite() && derl > 0.0, "{derl}");
    }

    #[test]
    fn bad_inputs_are_refused() {
        let model = SbgModel::from_parameters(F, 0.7, 1.2).unwrap();
        assert!(model
            .expected_lifetime(F, 0.0)
            .unwrap_err()
            .hint()
            .is_some());
        assert!(model.expected_lifetime(F, 0.1).unwrap() > 1.0);
        assert!(model.expected_lifetime(F, -1.0).is_err());
        assert!(model.residual_lifetime(F, -1, 0.1).is_err());
        assert!(model.survival(F, -1).is_err());
        assert!(model.retention_rate(F, 0).is_err());
        assert!(customer_key(F, -1, true).is_err());
        assert!(SbgModel::from_parameters(F, 0.0, 1.0).is_err());
        assert!(SbgModel::from_text(r#"{"alpha":1}"#).is_err());
    }

    #[test]
    fn recovers_simulated_parameters() {
        let mut random = Random::new(11);
        let (alpha, beta) = (1.3, 2.7);
        let mut rows = WeightedRows::default();
        for _ in 0..60_000 {
            let churn = random.beta(alpha, beta);
            let mut renewals = 0;
            let churned = loop {
                if random.uniform() < churn {
                    break true;
                }
                renewals += 1;
                if renewals == 12 {
                    break false;
                }
            };
            rows.add(F, customer_key(F, renewals, churned).unwrap(), 1)
                .unwrap();
        }
        let model = fit(F, &rows).unwrap().unwrap();
        assert!((model.alpha / alpha - 1.0).abs() < 0.05, "{model:?}");
        assert!((model.beta / beta - 1.0).abs() < 0.05, "{model:?}");
    }

    #[test]
    fn boundary_maxima_are_refused_not_returned() {
        let message = |rows: &WeightedRows| match fit(F, rows) {
            Err(MetricError::Hinted { error, .. }) => match *error {
                MetricError::InvalidParameter(m) => m,
                other => panic!("{other:?}"),
            },
            other => panic!("{other:?}"),
        };
        // One distinct row (3 periods, churned, 1000 customers): α, β ran to ~1e7 before.
        let mut one = WeightedRows::default();
        one.add(F, customer_key(F, 3, true).unwrap(), 1000).unwrap();
        assert!(message(&one).contains("cannot identify the model: 1 distinct row"));
        // Nobody churned: the likelihood grows as the churn probability goes to 0.
        let mut loyal = WeightedRows::default();
        loyal
            .add(F, customer_key(F, 2, false).unwrap(), 10)
            .unwrap();
        loyal
            .add(F, customer_key(F, 5, false).unwrap(), 10)
            .unwrap();
        let text = message(&loyal);
        assert!(
            text.contains("the fit did not converge: parameter"),
            "{text}"
        );
    }

    /// ln S(n) summed term by term with compensation: the reference for long sums.
    fn termwise_ln_survival(alpha: f64, beta: f64, n: u32) -> f64 {
        let (mut sum, mut carry) = (0.0f64, 0.0f64);
        for k in 0..n {
            let term = -(alpha / (beta + f64::from(k))).ln_1p() - carry;
            let next = sum + term;
            carry = (next - sum) - term;
            sum = next;
        }
        sum
    }

    #[test]
    fn survival_of_large_parameters_is_exact_to_rounding() {
        let model = |alpha, beta| SbgModel::from_parameters(F, alpha, beta).unwrap();
        let close = |got: f64, expected: f64, tolerance: f64| {
            assert!(
                ((got - expected) / expected).abs() <= tolerance,
                "{got} against {expected}"
            )
        };
        // S(1) = β/(α + β) whatever their size (the ln Γ form gave 1.0 for 0.75 at 1e15).
        close(model(1e15, 3e15).survival(F, 1).unwrap(), 0.75, 1e-15);
        close(model(1e12, 3e12).survival(F, 1).unwrap(), 0.75, 1e-15);
        // (exp of a logarithm near −230: its rounding is 230 ulps of the result.)
        close(model(1e100, 1.0).survival(F, 1).unwrap(), 1e-100, 1e-13);
        close(
            model(1.0, 1e10).survival(F, 1).unwrap(),
            0.9999999999,
            1e-15,
        );
        // Π_{k<12} (3e16 + k)/(4e16 + k) = 0.75^12 to 16 digits.
        close(
            model(1e16, 3e16).survival(F, 12).unwrap(),
            0.75f64.powi(12),
            1e-14,
        );
        // Past the terms added one by one: the Euler–Maclaurin rest against a compensated sum.
        for (alpha, beta, n) in [
            (1.0, 1e10, 5_000u32),
            (0.5, 3.0, 1_001),
            (0.5, 3.0, 1_002),
            (0.7, 1.2, 250_000),
            (2.0, 1e-300, 20_000),
            (1e-300, 1.0, 20_000),
            (1e4, 1e4, 3_000),
            (1e9, 1e12, 100_000),
            (3.0, 1e6, 2_000_000),
            // β so large that β + k rounds k away (the rest was an empty integral).
            (1e20, 1e22, 2_000),
            (1e16, 1e18, 2_000),
            (1e15, 1e17, 5_000),
            (1e20, 1e22, 10_000),
        ] {
            let expected = termwise_ln_survival(alpha, beta, n);
            let got = ln_survival(alpha, beta, f64::from(n));
            assert!(
                (got - expected).abs() <= 1e-12 * expected.abs().max(1e-300),
                "α {alpha}, β {beta}, n {n}: {got} against {expected}"
            );
        }
    }

    #[test]
    fn survival_keeps_falling_past_the_terms_added_one_by_one_at_huge_beta() {
        // mpmath, ln Γ at 60 digits: S(n) = Γ(β + n) Γ(α + β) / (Γ(β) Γ(α + β + n)).
        let model = |alpha, beta| SbgModel::from_parameters(F, alpha, beta).unwrap();
        for (alpha, beta, n, expected) in [
            (1e20, 1e22, 1_001, 4.723_945_119_786_665e-5),
            (1e20, 1e22, 2_000, 2.276_420_221_040_085e-9),
            (1e20, 1e22, 10_000, 6.113_109_478_762_082e-44),
            (1e16, 1e18, 2_000, 2.276_420_221_040_13e-9),
            (1e15, 1e17, 5_000, 2.472_470_319_089_232e-22),
        ] {
            let got = model(alpha, beta).survival(F, n).unwrap();
            assert!(
                ((got - expected) / expected).abs() <= 1e-10,
                "α {alpha}, β {beta}, n {n}: {got} against {expected}"
            );
        }
    }

    #[test]
    fn rates_and_lifetimes_of_extreme_parameters() {
        let model = |alpha, beta| SbgModel::from_parameters(F, alpha, beta).unwrap();
        // r₁ = β/(α + β): 0.5 at tiny and huge equal parameters (NaN and 0 before).
        assert_eq!(model(1e-300, 1e-300).retention_rate(F, 1).unwrap(), 0.5);
        assert_eq!(model(1e308, 1e308).retention_rate(F, 1).unwrap(), 0.5);
        let r = model(1.0, 1e-300).retention_rate(F, 1).unwrap();
        assert!((r / 1e-300 - 1.0).abs() < 1e-15, "{r}");
        let r = model(1.0, 1e-10).retention_rate(F, 1).unwrap();
        assert!((r / 9.999999999e-11 - 1.0).abs() < 1e-15, "{r}");
        // Undiscounted: (α + β − 1)/(α − 1) and (β + n)/(α − 1), without forming α + β.
        let huge = model(1e308, 1e308);
        assert_eq!(huge.expected_lifetime(F, 0.0).unwrap(), 2.0);
        assert_eq!(huge.residual_lifetime(F, 3, 0.0).unwrap(), 1.0);
        let ordinary = model(3.0, 2.0);
        assert!((ordinary.expected_lifetime(F, 0.0).unwrap() - 2.0).abs() < 1e-15);
        assert!((ordinary.residual_lifetime(F, 3, 0.0).unwrap() - 2.5).abs() < 1e-15);
    }
}
