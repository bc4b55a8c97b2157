//! BG/NBD (Fader, Hardie & Lee 2005, "Counting your customers the easy way"): while alive a
//! customer buys at Poisson rate λ ~ Gamma(r, α); after each repeat purchase they drop out with
//! probability p ~ Beta(a, b). Data per customer: x repeat purchases, recency t_x (time of the
//! last one since the first purchase) and age T, in one time unit.
//!
//! MBG/NBD (Batislam, Denizel & Filiztekin 2007), the same model with one more dropout
//! opportunity at time 0, right after the first purchase: a customer with no repeat purchase
//! may have left too. Its formulas are BG/NBD's with b + x − 1 shifted to b + x ([`Kind`]); a
//! `crm.bgnbd_model` is either, and every prediction follows its kind.
//!
//! Pareto/NBD ([`super::pareto_nbd`]) is a third kind, with parameters r, α, s, β held as
//! r, alpha, a, b: one model type for the three counting models, so that every prediction,
//! `crm.clv` and the accessors take any of them.
use super::optimize::{minimize, minimize_from, Failure, Minimum, Objective, Penalized};
use super::pareto_nbd;
use super::rows::{float_word, KeyHasher, WeightedRows, WHAT};
use std::cell::RefCell;
use std::collections::HashMap;
use std::hash::BuildHasherDefault;

type KeyHashing = BuildHasherDefault<KeyHasher>;
use super::hypergeometric::hyp2f1_log_unit;
use super::special::{digamma, hyp2f1_log, ln_gamma, log_add_exp, trigamma};
use super::uncertainty::{from_hessian, inverse};
use super::{
    binary_parameter, check_estimate, check_identifiable, fit_failure, invalid, invalid_with_hint,
    positive_parameter, text_parameter, FitInfo, FitText, FIRST_MODEL_VERSION, KIND_MODEL_VERSION,
};
use crate::common::codec::{from_json_object, Reader, Writer};
use crate::common::error::{Float8, MetricError, MetricResult};
use crate::common::interrupt::{checked, Ticker};
use crate::common::limits::{copied, out_of_memory, reserve};
use serde::{Deserialize, Serialize};

pub const MODEL_TYPE: &str = "crm.bgnbd_model";

/// The model of the BG/NBD family a `crm.bgnbd_model` is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// BG/NBD: dropout after each repeat purchase.
    #[default]
    BgNbd,
    /// MBG/NBD: dropout also right after the first purchase.
    MbgNbd,
    /// Pareto/NBD: dropout at any time; a and b hold s and β.
    ParetoNbd,
}

impl Kind {
    /// The shift k of b in the formulas: b + x − 1 + k, b + x + k, a + b + x − 1 + k.
    fn shift(self) -> f64 {
        match self {
            Kind::BgNbd | Kind::ParetoNbd => 0.0,
            Kind::MbgNbd => 1.0,
        }
    }

    /// Whether a customer with no repeat purchase may have dropped out (MBG/NBD).
    fn drops_at_first_purchase(self) -> bool {
        self == Kind::MbgNbd
    }

    /// The fit with a penalizer, shown in the hint of a fit that does not converge.
    fn penalized_call(self) -> &'static str {
        match self {
            Kind::BgNbd => "crm.bgnbd_fit(frequency, recency, t, 0.001)",
            Kind::MbgNbd => "crm.mbg_nbd_fit(frequency, recency, t, 0.001)",
            Kind::ParetoNbd => "crm.pareto_nbd_fit(frequency, recency, t, 0.001)",
        }
    }

    /// The names of the four parameters, as `crm.params_se` and the text form show them.
    pub fn parameter_names(self) -> [&'static str; 4] {
        match self {
            Kind::BgNbd | Kind::MbgNbd => ["r", "alpha", "a", "b"],
            Kind::ParetoNbd => ["r", "alpha", "s", "beta"],
        }
    }

    fn is_bg_nbd(&self) -> bool {
        *self == Kind::BgNbd
    }
}

/// Checks one customer's `(frequency, recency, T)` and returns the merge key of the row
/// (recency is irrelevant, and set to 0, when there are no repeat purchases).
pub fn customer_key(
    function: &str,
    frequency: i32,
    recency: f64,
    age: f64,
) -> MetricResult<[u64; 3]> {
    let (frequency, recency, age) = checked_customer(function, frequency, recency, age)?;
    let recency = if frequency == 0 { 0.0 } else { recency };
    Ok([u64::from(frequency), float_word(recency), float_word(age)])
}

/// Validates `(frequency, recency, T)`: frequency >= 0, 0 <= recency <= T, both finite.
pub fn checked_customer(
    function: &str,
    frequency: i32,
    recency: f64,
    age: f64,
) -> MetricResult<(u32, f64, f64)> {
    let Ok(frequency) = u32::try_from(frequency) else {
        return Err(invalid(format!(
            "{function}: frequency {frequency} is negative"
        )));
    };
    if !recency.is_finite() || recency < 0.0 {
        return Err(invalid(format!(
            "{function}: recency {} must be finite and non-negative",
            Float8(recency)
        )));
    }
    if !age.is_finite() || age < 0.0 {
        return Err(invalid(format!(
            "{function}: t {} must be finite and non-negative",
            Float8(age)
        )));
    }
    if recency > age {
        return Err(invalid(format!(
            "{function}: recency {recency} is greater than t {age}"
        )));
    }
    Ok((frequency, recency, age))
}

/// The fitting problem: distinct frequencies, ages and recencies, and rows pointing at them.
struct Problem {
    /// The shift of b ([`Kind::shift`]).
    shift: f64,
    /// Whether some row has a repeat purchase.
    has_repeat: bool,
    /// Distinct frequencies with the total weight of their rows.
    frequencies: Vec<(f64, f64)>,
    ages: Vec<f64>,
    recencies: Vec<f64>,
    /// Rows with no repeat purchase (BG/NBD): (age index, weight).
    zero_rows: Vec<(u32, f64)>,
    /// Rows with repeat purchases (and, for MBG/NBD, every row): (frequency index, age index,
    /// recency index, weight).
    repeat_rows: Vec<(u32, u32, u32, f64)>,
    total_weight: f64,
    /// Room for the per-evaluation tables, reserved with the rows: an evaluation of the
    /// likelihood allocates nothing.
    scratch: RefCell<Scratch>,
}

/// Terms of the likelihood that depend on the frequency only (A₁ + A₂ of the paper), once per
/// distinct x.
struct PerFrequency {
    r_x: f64,
    ln_b_x1: f64,
    inverse_b_x1: f64,
}

impl PerFrequency {
    /// The terms at (r, b) of frequency `x` with b's shift `k` (ln and inverse of b + x − 1 + k
    /// are 0 where no dropout can follow: x = 0 of BG/NBD).
    fn new(r: f64, b: f64, x: f64, k: f64) -> Self {
        // b plus a whole number, rounded once ((b − 1) + 1 would lose a small b's digits).
        let b_x1 = b + (x - 1.0 + k);
        let may_drop = x > 0.0 || k > 0.0;
        PerFrequency {
            r_x: r + x,
            ln_b_x1: if may_drop { b_x1.ln() } else { 0.0 },
            inverse_b_x1: if may_drop { 1.0 / b_x1 } else { 0.0 },
        }
    }
}

/// The tables one evaluation of the likelihood fills: a [`PerFrequency`] per distinct
/// frequency, and ln(α + y) with 1/(α + y) per distinct age and recency.
#[derive(Default)]
struct Scratch {
    per_frequency: Vec<PerFrequency>,
    age_logs: Vec<(f64, f64)>,
    recency_logs: Vec<(f64, f64)>,
}

impl Scratch {
    /// Room for `frequencies`, `ages` and `recencies` entries, reserved fallibly (53200
    /// naming `function`).
    fn within(
        function: &str,
        frequencies: usize,
        ages: usize,
        recencies: usize,
    ) -> MetricResult<RefCell<Self>> {
        let mut scratch = Scratch::default();
        reserve(&mut scratch.per_frequency, frequencies, function, WHAT)?;
        reserve(&mut scratch.age_logs, ages, function, WHAT)?;
        reserve(&mut scratch.recency_logs, recencies, function, WHAT)?;
        Ok(RefCell::new(scratch))
    }
}

/// `into` cleared and filled with ln(α + y) and 1/(α + y) for each of `values`; within its
/// reserved room, so nothing is allocated.
fn fill_logs(into: &mut Vec<(f64, f64)>, values: &[f64], alpha: f64) {
    into.clear();
    into.extend(checked(values).map(|value| ((alpha + value).ln(), 1.0 / (alpha + value))));
}

/// The distinct values among `values`, sorted, and each one's index among them by its bits
/// (hashed: millions of rows, a few hundred distinct ages or recencies when day-grained). The
/// table and the list grow fallibly (53200 naming `function`).
fn distinct(
    function: &str,
    values: impl Iterator<Item = f64>,
) -> MetricResult<(Vec<f64>, HashMap<u64, u32, KeyHashing>)> {
    let mut indexes: HashMap<u64, u32, KeyHashing> = HashMap::default();
    for value in checked(values) {
        if indexes.len() == indexes.capacity() {
            let more = indexes.len().max(64);
            indexes
                .try_reserve(more)
                .map_err(|_| out_of_memory(function, WHAT, indexes.len().saturating_add(more)))?;
        }
        indexes.insert(value.to_bits(), 0);
    }
    let mut sorted: Vec<f64> = Vec::new();
    reserve(&mut sorted, indexes.len(), function, WHAT)?;
    sorted.extend(indexes.keys().map(|bits| f64::from_bits(*bits)));
    sorted.sort_unstable_by(f64::total_cmp);
    for (index, value) in sorted.iter().enumerate() {
        indexes.insert(value.to_bits(), index as u32);
    }
    Ok((sorted, indexes))
}

impl Problem {
    /// The rows of a fit, copied in key order into vectors reserved fallibly (53200 naming
    /// `function`).
    fn new(function: &str, rows: &WeightedRows, kind: Kind) -> MetricResult<Self> {
        let may_drop = |key: &[u64; 3]| key[0] > 0 || kind.drops_at_first_purchase();
        let sorted = rows.sorted_within(function)?;
        // Keys are distinct rows in key order: the frequency (the first word) is sorted.
        let mut frequencies: Vec<f64> = Vec::new();
        reserve(&mut frequencies, sorted.len(), function, WHAT)?;
        frequencies.extend(sorted.iter().map(|(key, _)| key[0] as f64));
        frequencies.dedup();
        let (ages, age_indexes) = distinct(
            function,
            sorted.iter().map(|(key, _)| f64::from_bits(key[2])),
        )?;
        let (recencies, recency_indexes) = distinct(
            function,
            sorted
                .iter()
                .filter(|(key, _)| may_drop(key))
                .map(|(key, _)| f64::from_bits(key[1])),
        )?;
        let index = |indexes: &HashMap<u64, u32, KeyHashing>, word: u64| {
            indexes.get(&word).copied().unwrap_or(0)
        };
        let mut frequency_weights: Vec<f64> = Vec::new();
        reserve(&mut frequency_weights, frequencies.len(), function, WHAT)?;
        frequency_weights.resize(frequencies.len(), 0.0);
        let zero = sorted.iter().filter(|(key, _)| !may_drop(key)).count();
        let (mut zero_rows, mut repeat_rows) = (Vec::new(), Vec::new());
        reserve(&mut zero_rows, zero, function, WHAT)?;
        reserve(&mut repeat_rows, sorted.len() - zero, function, WHAT)?;
        let mut total_weight = 0.0;
        let mut frequency_index = 0;
        for (key, weight) in checked(&sorted) {
            let weight = *weight as f64;
            total_weight += weight;
            while frequencies
                .get(frequency_index)
                .is_some_and(|&frequency| frequency != key[0] as f64)
            {
                frequency_index += 1;
            }
            frequency_weights[frequency_index] += weight;
            let age_index = index(&age_indexes, key[2]);
            if !may_drop(key) {
                zero_rows.push((age_index, weight));
            } else {
                let recency_index = index(&recency_indexes, key[1]);
                repeat_rows.push((frequency_index as u32, age_index, recency_index, weight));
            }
        }
        let scratch = Scratch::within(function, frequencies.len(), ages.len(), recencies.len())?;
        let mut weighted_frequencies = Vec::new();
        reserve(&mut weighted_frequencies, frequencies.len(), function, WHAT)?;
        weighted_frequencies.extend(frequencies.into_iter().zip(frequency_weights));
        Ok(Problem {
            shift: kind.shift(),
            has_repeat: sorted.iter().any(|(key, _)| key[0] > 0),
            frequencies: weighted_frequencies,
            ages,
            recencies,
            zero_rows,
            repeat_rows,
            total_weight,
            scratch,
        })
    }

    /// Log-likelihood and its gradient with respect to (r, α, a, b).
    fn log_likelihood(&self, r: f64, alpha: f64, a: f64, b: f64) -> (f64, [f64; 4]) {
        let (ln_alpha, ln_a) = (alpha.ln(), a.ln());
        let (psi_r, psi_b, psi_ab) = (digamma(r), digamma(b), digamma(a + b));
        let (lg_r, lg_b, lg_ab) = (ln_gamma(r), ln_gamma(b), ln_gamma(a + b));
        let mut total = 0.0;
        let mut gradient = [0.0; 4];
        let mut scratch = self.scratch.borrow_mut();
        let Scratch {
            per_frequency,
            age_logs,
            recency_logs,
        } = &mut *scratch;
        per_frequency.clear();
        // k: BG/NBD 0, MBG/NBD 1 (b + x − 1 + k, b + x + k, a + b + x + k).
        let k = self.shift;
        for &(x, weight) in checked(&self.frequencies) {
            let term = ln_gamma(r + x) - lg_r + r * ln_alpha + lg_ab + ln_gamma(b + x + k)
                - lg_b
                - ln_gamma(a + b + x + k);
            total += weight * term;
            let psi_abx = digamma(a + b + x + k);
            gradient[0] += weight * (digamma(r + x) - psi_r + ln_alpha);
            gradient[1] += weight * r / alpha;
            gradient[2] += weight * (psi_ab - psi_abx);
            gradient[3] += weight * (psi_ab + digamma(b + x + k) - psi_b - psi_abx);
            per_frequency.push(PerFrequency::new(r, b, x, k));
        }
        fill_logs(age_logs, &self.ages, alpha);
        fill_logs(recency_logs, &self.recencies, alpha);
        // No repeat purchase: ln L = A₁ + A₂ − r ln(α + T).
        for &(age_index, weight) in checked(&self.zero_rows) {
            let (ln_age, inverse_age) = age_logs[age_index as usize];
            total -= weight * r * ln_age;
            gradient[0] -= weight * ln_age;
            gradient[1] -= weight * r * inverse_age;
        }
        // Repeat buyers (MBG/NBD: everyone): ln L = A₁ + A₂ + ln(e^A₃ + e^A₄), weights w₃ + w₄ = 1
        // of the two terms. The factors (1 + ratio)^weight (1 + ratio in [1, 2]) of rows of
        // weight up to `PRODUCT_BLOCK`, nearly all of them, are multiplied together and their
        // product's logarithm taken once per `PRODUCT_BLOCK` customers: one `ln` per block
        // instead of one per row (the product stays below 2^512), at a rounding error of the
        // block's size times the unit roundoff.
        const PRODUCT_BLOCK: f64 = 512.0;
        let (mut product, mut in_product) = (1.0_f64, 0.0_f64);
        for &(frequency_index, age_index, recency_index, weight) in checked(&self.repeat_rows) {
            let frequency = &per_frequency[frequency_index as usize];
            let (ln_age, inverse_age) = age_logs[age_index as usize];
            let (ln_recency, inverse_recency) = recency_logs[recency_index as usize];
            let alive_term = -frequency.r_x * ln_age;
            let dropped_term = ln_a - frequency.ln_b_x1 - frequency.r_x * ln_recency;
            let (high, low) = if alive_term >= dropped_term {
                (alive_term, dropped_term)
            } else {
                (dropped_term, alive_term)
            };
            let ratio = (low - high).exp();
            // ln(1 + ratio) with ratio in [0, 1]: `ln` is exact enough here and cheaper than `ln_1p`.
            if weight <= PRODUCT_BLOCK {
                if in_product + weight > PRODUCT_BLOCK {
                    total += product.ln();
                    (product, in_product) = (1.0, 0.0);
                }
                total += weight * high;
                product *= if weight == 1.0 {
                    1.0 + ratio
                } else {
                    (1.0 + ratio).powi(weight as i32)
                };
                in_product += weight;
            } else {
                total += weight * (high + (1.0 + ratio).ln());
            }
            let low_share = ratio / (1.0 + ratio);
            let (alive_share, dropped_share) = if alive_term >= dropped_term {
                (1.0 - low_share, low_share)
            } else {
                (low_share, 1.0 - low_share)
            };
            gradient[0] -= weight * (alive_share * ln_age + dropped_share * ln_recency);
            gradient[1] -= weight
                * frequency.r_x
                * (alive_share * inverse_age + dropped_share * inverse_recency);
            gradient[2] += weight * dropped_share / a;
            gradient[3] -= weight * dropped_share * frequency.inverse_b_x1;
        }
        total += product.ln();
        (total, gradient)
    }

    /// Gradient and Hessian of the log-likelihood with respect to (r, α, a, b), in one pass.
    ///
    /// Per distinct frequency the ln Γ terms give trigamma differences; a customer without
    /// repeat purchase (BG/NBD) adds −r ln(α + T); a repeat buyer adds ln(e^A₃ + e^A₄), whose
    /// Hessian is w₃ ∇²A₃ + w₄ ∇²A₄ + w₃ w₄ (∇A₃ − ∇A₄)(∇A₃ − ∇A₄)ᵀ with the two terms' shares
    /// w₃ + w₄ = 1 as weights.
    fn log_likelihood_hessian(
        &self,
        r: f64,
        alpha: f64,
        a: f64,
        b: f64,
    ) -> ([f64; 4], [[f64; 4]; 4]) {
        let ln_alpha = alpha.ln();
        let (psi_r, psi_b, psi_ab) = (digamma(r), digamma(b), digamma(a + b));
        let (tri_r, tri_b, tri_ab) = (trigamma(r), trigamma(b), trigamma(a + b));
        let k = self.shift;
        let mut gradient = [0.0; 4];
        // The upper triangle, in the order of `CELLS` below.
        let mut upper = [0.0; 10];
        let mut scratch = self.scratch.borrow_mut();
        let per_frequency = &mut scratch.per_frequency;
        per_frequency.clear();
        for &(x, weight) in checked(&self.frequencies) {
            let (psi_abx, tri_abx) = (digamma(a + b + x + k), trigamma(a + b + x + k));
            gradient[0] += weight * (digamma(r + x) - psi_r + ln_alpha);
            gradient[1] += weight * r / alpha;
            gradient[2] += weight * (psi_ab - psi_abx);
            gradient[3] += weight * (psi_ab + digamma(b + x + k) - psi_b - psi_abx);
            upper[0] += weight * (trigamma(r + x) - tri_r);
            upper[1] += weight / alpha;
            upper[4] -= weight * r / (alpha * alpha);
            upper[7] += weight * (tri_ab - tri_abx);
            upper[8] += weight * (tri_ab - tri_abx);
            upper[9] += weight * (tri_ab + trigamma(b + x + k) - tri_b - tri_abx);
            per_frequency.push(PerFrequency::new(r, b, x, k));
        }
        for &(age_index, weight) in checked(&self.zero_rows) {
            let age = alpha + self.ages[age_index as usize];
            gradient[0] -= weight * age.ln();
            gradient[1] -= weight * r / age;
            upper[1] -= weight / age;
            upper[4] += weight * r / (age * age);
        }
        for &(frequency_index, age_index, recency_index, weight) in checked(&self.repeat_rows) {
            let x = self.frequencies[frequency_index as usize].0;
            let inverse_b_x1 = per_frequency[frequency_index as usize].inverse_b_x1;
            let age = alpha + self.ages[age_index as usize];
            let recency = alpha + self.recencies[recency_index as usize];
            let (ln_age, ln_recency) = (age.ln(), recency.ln());
            let alive_term = -(r + x) * ln_age;
            let dropped_term = a.ln() + inverse_b_x1.ln() - (r + x) * ln_recency;
            let dropped_share = 1.0 / (1.0 + (alive_term - dropped_term).exp());
            let alive_share = 1.0 - dropped_share;
            // ∇A₃ = (−ln(α+T), −(r+x)/(α+T), 0, 0); ∇A₄ = (−ln(α+t), −(r+x)/(α+t), 1/a, −1/(b+x−1)).
            let alive_gradient = [-ln_age, -(r + x) / age];
            let dropped_gradient = [-ln_recency, -(r + x) / recency, 1.0 / a, -inverse_b_x1];
            gradient[0] +=
                weight * (alive_share * alive_gradient[0] + dropped_share * dropped_gradient[0]);
            gradient[1] +=
                weight * (alive_share * alive_gradient[1] + dropped_share * dropped_gradient[1]);
            gradient[2] += weight * dropped_share * dropped_gradient[2];
            gradient[3] += weight * dropped_share * dropped_gradient[3];
            let d = [
                alive_gradient[0] - dropped_gradient[0],
                alive_gradient[1] - dropped_gradient[1],
                -dropped_gradient[2],
                -dropped_gradient[3],
            ];
            let both = weight * alive_share * dropped_share;
            upper[0] += both * d[0] * d[0];
            upper[1] +=
                weight * (-alive_share / age - dropped_share / recency) + both * d[0] * d[1];
            upper[2] += both * d[0] * d[2];
            upper[3] += both * d[0] * d[3];
            upper[4] += weight
                * (r + x)
                * (alive_share / (age * age) + dropped_share / (recency * recency))
                + both * d[1] * d[1];
            upper[5] += both * d[1] * d[2];
            upper[6] += both * d[1] * d[3];
            upper[7] += -weight * dropped_share / (a * a) + both * d[2] * d[2];
            upper[8] += both * d[2] * d[3];
            upper[9] += weight * dropped_share * inverse_b_x1 * inverse_b_x1 + both * d[3] * d[3];
        }
        const CELLS: [(usize, usize); 10] = [
            (0, 0),
            (0, 1),
            (0, 2),
            (0, 3),
            (1, 1),
            (1, 2),
            (1, 3),
            (2, 2),
            (2, 3),
            (3, 3),
        ];
        let mut hessian = [[0.0; 4]; 4];
        for (&(i, j), &value) in CELLS.iter().zip(&upper) {
            hessian[i][j] = value;
            hessian[j][i] = value;
        }
        (gradient, hessian)
    }

    /// The Hessian of the total penalized objective (the negative log-likelihood plus the
    /// penalty times the customers) in the log-parameters `point`: with θ = e^point,
    /// −(θᵢθⱼ ∂²ln L/∂θᵢ∂θⱼ + δᵢⱼ θᵢ ∂ln L/∂θᵢ) plus the penalty's 4·penalizer·(θᵢ/scaleᵢ)²
    /// on the diagonal, per customer.
    fn objective_hessian(
        &self,
        penalized: &Penalized<'_, Problem, 4>,
        point: &[f64; 4],
    ) -> [[f64; 4]; 4] {
        let theta = point.map(f64::exp);
        let [r, alpha, a, b] = theta;
        let (gradient, hessian) = self.log_likelihood_hessian(r, alpha, a, b);
        let mut result = [[0.0; 4]; 4];
        for i in 0..4 {
            for j in 0..4 {
                result[i][j] = -theta[i] * theta[j] * hessian[i][j];
            }
            let scaled = theta[i] / penalized.scales[i];
            result[i][i] += -theta[i] * gradient[i]
                + self.total_weight * 4.0 * penalized.penalizer * scaled * scaled;
        }
        result
    }

    /// A stratified sample of the rows: every row without repeat purchase (few distinct ones,
    /// of large weights) and every `stride`-th repeat buyer's row (in key order, so every
    /// frequency is sampled along its recencies and ages), weighted `stride` times, standing for
    /// the rows skipped; the frequencies' weights are those of the sample.
    fn subsample(&self, function: &str, stride: usize) -> MetricResult<Problem> {
        let mut frequencies = Vec::new();
        reserve(&mut frequencies, self.frequencies.len(), function, WHAT)?;
        frequencies.extend(self.frequencies.iter().map(|&(x, _)| (x, 0.0)));
        let mut total_weight = 0.0;
        for &(_, weight) in checked(&self.zero_rows) {
            // Rows without repeat purchase have frequency 0, the first one.
            frequencies[0].1 += weight;
            total_weight += weight;
        }
        let sampled = self.repeat_rows.iter().step_by(stride.max(1));
        let mut repeat_rows = Vec::new();
        reserve(&mut repeat_rows, sampled.len(), function, WHAT)?;
        for &(frequency, age, recency, weight) in checked(sampled) {
            let weight = weight * stride as f64;
            frequencies[frequency as usize].1 += weight;
            total_weight += weight;
            repeat_rows.push((frequency, age, recency, weight));
        }
        Ok(Problem {
            shift: self.shift,
            has_repeat: self.has_repeat,
            scratch: Scratch::within(
                function,
                frequencies.len(),
                self.ages.len(),
                self.recencies.len(),
            )?,
            frequencies,
            ages: copied(&self.ages, function, WHAT)?,
            recencies: copied(&self.recencies, function, WHAT)?,
            zero_rows: copied(&self.zero_rows, function, WHAT)?,
            repeat_rows,
            total_weight,
        })
    }
}

impl Objective<4> for Problem {
    /// Mean negative log-likelihood per customer over log-parameters.
    fn value_and_gradient(&self, point: &[f64; 4]) -> Option<(f64, [f64; 4])> {
        let parameters = point.map(f64::exp);
        let [r, alpha, a, b] = parameters;
        let (value, gradient) = self.log_likelihood(r, alpha, a, b);
        let scale = -1.0 / self.total_weight;
        let mut chained = [0.0; 4];
        for index in 0..4 {
            chained[index] = scale * gradient[index] * parameters[index];
        }
        let value = scale * value;
        (value.is_finite() && chained.iter().all(|g| g.is_finite())).then_some((value, chained))
    }
}

/// A BG/NBD or MBG/NBD model: parameters and, when fitted, the fit diagnostics.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BgNbdModel {
    pub kind: Kind,
    pub r: f64,
    pub alpha: f64,
    pub a: f64,
    pub b: f64,
    pub fit: Option<FitInfo>,
}

/// Maximum-likelihood BG/NBD fit over merged rows (penalized with the rows' penalizer, α
/// measured against the oldest customer's age as lifetimes does); `None` when there are no rows.
pub fn fit(function: &str, rows: &WeightedRows) -> MetricResult<Option<BgNbdModel>> {
    fit_kind(function, Kind::BgNbd, rows)
}

/// [`fit`] of a model of either kind.
pub fn fit_kind(
    function: &str,
    kind: Kind,
    rows: &WeightedRows,
) -> MetricResult<Option<BgNbdModel>> {
    if rows.customers() == 0 {
        return Ok(None);
    }
    super::check_customers(function, rows.customers())?;
    if kind == Kind::ParetoNbd {
        let fitted = pareto_nbd::fit(function, kind.penalized_call(), rows)?;
        return Ok(fitted.map(|([r, alpha, a, b], fit)| BgNbdModel {
            kind,
            r,
            alpha,
            a,
            b,
            fit: Some(fit),
        }));
    }
    let problem = Problem::new(function, rows, kind)?;
    if !problem.has_repeat {
        return Err(invalid_with_hint(
            format!(
                "{function}: no customer made a repeat purchase, so the model cannot be fitted"
            ),
            super::FIT_HINT,
        ));
    }
    check_identifiable(function, rows.len())?;
    let mean_age = problem
        .zero_rows
        .iter()
        .map(|&(index, weight)| problem.ages[index as usize] * weight)
        .chain(
            problem
                .repeat_rows
                .iter()
                .map(|&(_, index, _, weight)| problem.ages[index as usize] * weight),
        )
        .sum::<f64>()
        / problem.total_weight;
    let start = [0.0, mean_age.max(1e-3).ln(), 0.0, 0.0];
    // lifetimes fits in a time scale where the oldest customer's age is 1: its penalty on α is
    // on α / max T (which also makes it independent of the time unit).
    let oldest = problem
        .ages
        .last()
        .copied()
        .filter(|age| *age > 0.0)
        .unwrap_or(1.0);
    let penalized = Penalized {
        objective: &problem,
        penalizer: rows.penalizer(),
        scales: [1.0, oldest, 1.0, 1.0],
    };
    let names = ["r", "alpha", "a", "b"];
    let minimum = minimize_problem(function, &problem, &penalized, start)?
        .map_err(|failure| fit_failure(function, &names, kind.penalized_call(), failure))?;
    let log_likelihood = problem
        .value_and_gradient(&minimum.point)
        .map_or(f64::NAN, |(value, _)| -value * problem.total_weight);
    let [r, alpha, a, b] = minimum.point.map(f64::exp);
    check_estimate(
        function,
        &[
            ("r", r, 1.0),
            ("alpha", alpha, mean_age.max(1e-3)),
            ("a", a, 1.0),
            ("b", b, 1.0),
        ],
    )?;
    Ok(Some(BgNbdModel {
        kind,
        r,
        alpha,
        a,
        b,
        fit: Some(FitInfo {
            log_likelihood,
            customers: rows.customers(),
            distinct_rows: rows.len() as u64,
            iterations: minimum.iterations,
            gradient_norm: minimum.gradient_norm,
            converged: true,
            penalizer: rows.penalizer(),
            std_errors: from_hessian(
                &problem.objective_hessian(&penalized, &minimum.point),
                &minimum.point,
            ),
        }),
    }))
}

/// Repeat buyers' distinct rows above which a fit starts on a sample of them.
const SAMPLED_ABOVE: usize = 100_000;
/// Repeat buyers' distinct rows the sample holds, about.
const SAMPLE_ROWS: usize = 40_000;

/// The minimum of `penalized`, the penalized objective of `problem`. Up to [`SAMPLED_ABOVE`]
/// distinct repeat buyers' rows, BFGS from `start`; above, BFGS from `start` over a stratified
/// sample of the rows ([`Problem::subsample`]) first, then BFGS over all the rows from the
/// sample's minimum, with the inverse of the sample's Hessian there as the first inverse
/// Hessian. Both end on the same rule, applied to the whole data's objective, so both give its
/// minimum; the second needs a few evaluations over all the rows instead of a few dozen.
/// The sample's copy is reserved fallibly (53200 naming `function`, the outer error).
fn minimize_problem(
    function: &str,
    problem: &Problem,
    penalized: &Penalized<'_, Problem, 4>,
    start: [f64; 4],
) -> MetricResult<Result<Minimum<4>, Failure>> {
    if problem.repeat_rows.len() <= SAMPLED_ABOVE {
        return Ok(minimize(penalized, start));
    }
    minimize_sampled(
        function,
        problem,
        penalized,
        start,
        problem.repeat_rows.len() / SAMPLE_ROWS,
    )
}

/// [`minimize_problem`] through the sample of every `stride`-th repeat buyer's row.
fn minimize_sampled(
    function: &str,
    problem: &Problem,
    penalized: &Penalized<'_, Problem, 4>,
    start: [f64; 4],
    stride: usize,
) -> MetricResult<Result<Minimum<4>, Failure>> {
    let sample = problem.subsample(function, stride)?;
    let sampled = Penalized {
        objective: &sample,
        penalizer: penalized.penalizer,
        scales: penalized.scales,
    };
    let Ok(near) = minimize(&sampled, start) else {
        // The sample does not determine the parameters: fit the whole data from the start.
        return Ok(minimize(penalized, start));
    };
    // The Hessian of the sample's mean objective, inverted.
    let hessian = sample
        .objective_hessian(&sampled, &near.point)
        .map(|row| row.map(|cell| cell / sample.total_weight));
    Ok(match inverse(&hessian) {
        Some(inverse_hessian) => minimize_from(penalized, &near, inverse_hessian),
        None => minimize(penalized, near.point),
    })
}

/// A horizon must be finite and non-negative.
fn check_horizon(function: &str, horizon: f64) -> MetricResult<()> {
    if !horizon.is_finite() || horizon < 0.0 {
        return Err(invalid(format!(
            "{function}: horizon {} must be finite and non-negative",
            Float8(horizon)
        )));
    }
    Ok(())
}

/// Log-likelihood of one customer under given parameters (tests and documentation).
pub fn customer_log_likelihood(model: &BgNbdModel, frequency: u32, recency: f64, age: f64) -> f64 {
    let (r, alpha, a, b, x) = (model.r, model.alpha, model.a, model.b, f64::from(frequency));
    if model.kind == Kind::ParetoNbd {
        let recency = if frequency == 0 { 0.0 } else { recency };
        return pareto_nbd::log_likelihood([r, alpha, a, b], x, recency, age).unwrap_or(f64::NAN);
    }
    let k = model.kind.shift();
    let common =
        ln_gamma(r + x) - ln_gamma(r) + r * alpha.ln() + ln_gamma(a + b) + ln_gamma(b + x + k)
            - ln_gamma(b)
            - ln_gamma(a + b + x + k);
    let alive = -(r + x) * (alpha + age).ln();
    if frequency == 0 && !model.kind.drops_at_first_purchase() {
        return common + alive;
    }
    let recency = if frequency == 0 { 0.0 } else { recency };
    let dropped = a.ln() - (b + x - 1.0 + k).ln() - (r + x) * (alpha + recency).ln();
    common + log_add_exp(alive, dropped)
}

impl BgNbdModel {
    /// A BG/NBD model from known parameters (each positive and finite, else 22023).
    pub fn from_parameters(
        function: &str,
        r: f64,
        alpha: f64,
        a: f64,
        b: f64,
    ) -> MetricResult<Self> {
        Self::from_kind_parameters(function, Kind::BgNbd, [r, alpha, a, b])
    }

    /// A model of `kind` from known parameters (r, α, a, b; each positive and finite, else
    /// 22023).
    pub fn from_kind_parameters(
        function: &str,
        kind: Kind,
        [r, alpha, a, b]: [f64; 4],
    ) -> MetricResult<Self> {
        let [_, _, third, fourth] = kind.parameter_names();
        Ok(BgNbdModel {
            kind,
            r: positive_parameter(function, "r", r)?,
            alpha: positive_parameter(function, "alpha", alpha)?,
            a: positive_parameter(function, third, a)?,
            b: positive_parameter(function, fourth, b)?,
            fit: None,
        })
    }

    /// ln of the odds that a customer has dropped out, against alive; `None` when they cannot
    /// have (BG/NBD without repeat purchases).
    fn log_dropout_odds(&self, frequency: u32, recency: f64, age: f64) -> Option<f64> {
        let x = f64::from(frequency);
        let recency = if frequency == 0 { 0.0 } else { recency };
        // b plus a whole number (x − 1, or x for MBG/NBD), rounded once: (b + x − 1) + 1 would
        // lose the digits of a small b (b = 1e-9 came out 8e-8 off).
        (frequency > 0 || self.kind.drops_at_first_purchase()).then(|| {
            // ln((α + T) / (α + t_x)) as ln(1 + (T − t_x) / (α + t_x)): the difference of the
            // two logarithms loses the digits of T − t_x when α is large (at α = 1e15 the odds
            // came out 300 times too large). The quotient overflows when α + t_x is tiny
            // against T − t_x (α = 1e-308, t_x = 0): then the difference of the logarithms,
            // exact enough there, is taken.
            let ratio = (age - recency) / (self.alpha + recency);
            let log_ratio = if ratio.is_finite() {
                ratio.ln_1p()
            } else {
                (self.alpha + age).ln() - (self.alpha + recency).ln()
            };
            self.a.ln() - (self.b + (x - 1.0 + self.kind.shift())).ln() + (self.r + x) * log_ratio
        })
    }

    /// P(alive | x, t_x, T).
    pub fn probability_alive(
        &self,
        function: &str,
        frequency: i32,
        recency: f64,
        age: f64,
    ) -> MetricResult<f64> {
        let (frequency, recency, age) = checked_customer(function, frequency, recency, age)?;
        if self.kind == Kind::ParetoNbd {
            let recency = if frequency == 0 { 0.0 } else { recency };
            return pareto_nbd::probability_alive(
                self.parameters(),
                f64::from(frequency),
                recency,
                age,
            )
            .ok_or_else(|| self.not_converged(function));
        }
        Ok(match self.log_dropout_odds(frequency, recency, age) {
            None => 1.0,
            Some(log_odds) if log_odds > 0.0 => {
                let inverse = (-log_odds).exp();
                inverse / (1.0 + inverse)
            }
            Some(log_odds) => 1.0 / (1.0 + log_odds.exp()),
        })
    }

    /// E[X(t)]: expected purchases of a new customer in a period of length `horizon`.
    pub fn expected_purchases(&self, function: &str, horizon: f64) -> MetricResult<f64> {
        if self.kind == Kind::ParetoNbd {
            check_horizon(function, horizon)?;
            return pareto_nbd::expected_purchases(self.parameters(), horizon).ok_or_else(|| {
                MetricError::OutOfRange(format!(
                    "{function}: the expectation for horizon {} is not finite at r = {}, alpha \
                     = {}, s = {}, beta = {}",
                    Float8(horizon),
                    Float8(self.r),
                    Float8(self.alpha),
                    Float8(self.a),
                    Float8(self.b)
                ))
            });
        }
        self.conditional_expected_purchases(function, horizon, 0, 0.0, 0.0)
    }

    /// (r, α, a, b): for Pareto/NBD (r, α, s, β).
    pub fn parameters(&self) -> [f64; 4] {
        [self.r, self.alpha, self.a, self.b]
    }

    /// The error of a Pareto/NBD prediction whose ₂F₁ did not converge.
    fn not_converged(&self, function: &str) -> MetricError {
        invalid_with_hint(
            format!("{function}: the Pareto/NBD likelihood did not converge for this customer"),
            "Check that recency and t are in the time unit the model was fitted in, and that \
             the parameters are those of a fitted model (extreme ones can prevent it too).",
        )
    }

    /// E[Y(t) | x, t_x, T]: expected purchases in the next `horizon` of a customer with history
    /// (x, t_x, T) (Fader, Hardie & Lee 2005, eq. 10; Batislam et al. 2007 for MBG/NBD).
    pub fn conditional_expected_purchases(
        &self,
        function: &str,
        horizon: f64,
        frequency: i32,
        recency: f64,
        age: f64,
    ) -> MetricResult<f64> {
        check_horizon(function, horizon)?;
        let (frequency, recency, age) = checked_customer(function, frequency, recency, age)?;
        if self.kind == Kind::ParetoNbd {
            let recency = if frequency == 0 { 0.0 } else { recency };
            let x = f64::from(frequency);
            return pareto_nbd::conditional_expected_purchases(
                self.parameters(),
                horizon,
                x,
                recency,
                age,
            )
            .ok_or_else(|| self.not_converged(function));
        }
        let alive = self.probability_alive(function, frequency as i32, recency, age)?;
        if horizon == 0.0 || alive == 0.0 {
            return Ok(0.0);
        }
        let x = f64::from(frequency);
        let c = self.a + self.b + x - 1.0 + self.kind.shift();
        // At a = 1 (and at c = 0) the closed form is 0/0, and near there it loses digits: a
        // value at distance d from that a carries the hypergeometric's rounding divided by d.
        // The function of a is smooth there, so it is read off the cubic through four points
        // at ±STEP and ±2·STEP around that a: far enough that the rounding stays small, and
        // the cubic's error ~(STEP/scale)⁴ with it. Heavy buyers over far horizons (x = 1000,
        // a horizon 3,000 times the age) land within about 2e-8 of the limit.
        const STEP: f64 = 1e-3;
        let singular = if (self.a - 1.0).abs() < STEP {
            Some(1.0)
        } else if c.abs() < STEP {
            Some(self.a - c)
        } else {
            None
        };
        let alive_part = match singular {
            Some(center) => {
                let nodes = [-2.0, -1.0, 1.0, 2.0];
                // The other point where the closed form is 0/0 (c = 0 around a = 1, a = 1
                // around c = 0) may fall on a node when b is within 2·STEP of a whole number
                // (b = 0.001 at a = 1 put a node at c = 0): the nodes are then spread by another
                // scale, one that keeps every node a quarter step or more away from it.
                let other = (if center == 1.0 { self.a - c } else { 1.0 } - center) / STEP;
                let clearance = |scale: f64| {
                    nodes
                        .iter()
                        .map(|&node| (node * scale - other).abs())
                        .fold(f64::INFINITY, f64::min)
                };
                let step = STEP
                    * [1.0, 1.25, 0.8, 1.5]
                        .into_iter()
                        .find(|&scale| clearance(scale) >= 0.25)
                        .unwrap_or(1.0);
                let at = (self.a - center) / step;
                nodes.iter().enumerate().try_fold(0.0, |total, (i, &node)| {
                    let weight: f64 = nodes
                        .iter()
                        .enumerate()
                        .filter(|&(j, _)| j != i)
                        .map(|(_, &other)| (at - other) / (node - other))
                        .product();
                    let value = self.alive_part(center + node * step, x, age, horizon)?;
                    Some(total + weight * value)
                })
            }
            None => self.alive_part(self.a, x, age, horizon),
        };
        match alive_part {
            // Not `max(0.0)`, which may keep a −0 (by the instructions the compiler picks).
            Some(value) if value.is_finite() => Ok(if value * alive > 0.0 {
                value * alive
            } else {
                0.0
            }),
            _ => Err(invalid_with_hint(
                format!(
                    "{function}: the expectation for horizon {} did not converge",
                    Float8(horizon)
                ),
                "Use a horizon of the order of the customers' observed age, in the model's time \
                 unit, and the parameters of a fitted model (extreme ones can prevent it too).",
            )),
        }
    }

    /// E[Y(t) | alive, x, T] = (a+b+x−1)/(a−1) · [1 − ((α+T)/(α+T+t))^(r+x) ₂F₁(r+x, b+x; a+b+x−1; t/(α+T+t))],
    /// with b shifted to b + 1 for MBG/NBD.
    fn alive_part(&self, a: f64, x: f64, age: f64, horizon: f64) -> Option<f64> {
        let k = self.r + x;
        let b = self.b + self.kind.shift();
        let c = a + b + x - 1.0;
        let base = self.alpha + age;
        let z = horizon / (base + horizon);
        let ln_one_minus_z = -(horizon / base).ln_1p();
        // Far horizons put z next to 1, where the plain series needs ~1/(1 − z) terms: the
        // connection formulas in 1 − z take over past 1 − z = 1e-3 (about 50,000 terms).
        let one_minus_z = base / (base + horizon);
        let (sign, ln_f) = if one_minus_z < 1e-3 {
            hyp2f1_log_unit(k, b + x, c, z, one_minus_z).or_else(|| hyp2f1_log(k, b + x, c, z))?
        } else {
            hyp2f1_log(k, b + x, c, z)?
        };
        let scaled = k * ln_one_minus_z + ln_f;
        let bracket = if sign > 0.0 {
            -scaled.exp_m1()
        } else {
            1.0 + scaled.exp()
        };
        let factor = c / (a - 1.0);
        let value = factor * bracket;
        // The bracket is 1 less a number next to 1 when the value is small against c / (a − 1)
        // (a large b, a small r, a horizon short against α + T): its digits go in the
        // subtraction. Two forms without that subtraction take over there, each where it is
        // exact to about 1e-15 and the form above loses more than three digits.
        let lost = factor.abs() / value.abs();
        if sign > 0.0 && (lost.is_nan() || lost >= LOST_DIGITS_BOUND) {
            let u = horizon / base;
            if let Some(transformed) = alive_part_transformed(k, a, c, u) {
                return Some(transformed);
            }
            if let Some(expanded) = alive_part_expanded(k, b + x, c, z, ln_one_minus_z, a) {
                return Some(expanded);
            }
        }
        Some(value)
    }

    pub fn customers(&self) -> u64 {
        self.fit.map_or(0, |fit| fit.customers)
    }

    /// Version byte, the four parameters, then the optional fit diagnostics; an MBG/NBD model
    /// in [`KIND_MODEL_VERSION`], with its kind byte (1) after the version.
    pub fn encode(&self) -> MetricResult<Vec<u8>> {
        let (version, kind_byte) = match self.kind {
            Kind::BgNbd => (FitInfo::version_of(self.fit), 0),
            Kind::MbgNbd => (KIND_MODEL_VERSION, 1),
            Kind::ParetoNbd => (KIND_MODEL_VERSION, 2),
        };
        let mut writer = Writer::with_version(version);
        if version == KIND_MODEL_VERSION {
            writer.u8(kind_byte);
        }
        writer.f64(self.r).f64(self.alpha).f64(self.a).f64(self.b);
        FitInfo::encode(self.fit, &mut writer, version);
        writer.finish(MODEL_TYPE)
    }

    pub fn decode(bytes: &[u8]) -> MetricResult<Self> {
        let (mut reader, version) =
            Reader::open_versions(bytes, FIRST_MODEL_VERSION..=KIND_MODEL_VERSION, MODEL_TYPE)?;
        let kind = if version == KIND_MODEL_VERSION {
            // BG/NBD models are never written in this version: one binary form per value.
            match reader.u8()? {
                1 => Kind::MbgNbd,
                2 => Kind::ParetoNbd,
                other => {
                    return Err(MetricError::InvalidBinary(format!(
                        "{MODEL_TYPE}: unknown model kind {other}"
                    )))
                }
            }
        } else {
            Kind::BgNbd
        };
        let r = binary_parameter(MODEL_TYPE, &mut reader)?;
        let alpha = binary_parameter(MODEL_TYPE, &mut reader)?;
        let a = binary_parameter(MODEL_TYPE, &mut reader)?;
        let b = binary_parameter(MODEL_TYPE, &mut reader)?;
        let fit = FitInfo::decode(MODEL_TYPE, &mut reader, version, 4)?;
        reader.finish()?;
        Ok(BgNbdModel {
            kind,
            r,
            alpha,
            a,
            b,
            fit,
        })
    }

    /// `{"r":0.2426,"alpha":4.4135,"a":0.7929,"b":2.4259,"fit":{...} or null}`; an MBG/NBD
    /// model starts with `"model":"mbg_nbd",`, a Pareto/NBD one with `"model":"pareto_nbd",`
    /// and names its parameters r, alpha, s, beta.
    pub fn to_text(&self) -> MetricResult<String> {
        let pareto = self.kind == Kind::ParetoNbd;
        let text = ModelText {
            model: self.kind,
            r: self.r,
            alpha: self.alpha,
            a: (!pareto).then_some(self.a),
            b: (!pareto).then_some(self.b),
            s: pareto.then_some(self.a),
            beta: pareto.then_some(self.b),
            fit: self.fit.map(FitInfo::to_text),
        };
        crate::common::codec::json_text(MODEL_TYPE, &text)
    }

    pub fn from_text(text: &str) -> MetricResult<Self> {
        let parsed: ModelText = from_json_object(MODEL_TYPE, text)?.map_err(|error| {
            MetricError::InvalidText(format!("{MODEL_TYPE}: malformed text: {error}"))
        })?;
        let [_, _, third, fourth] = parsed.model.parameter_names();
        let (a, b) = match parsed.model {
            Kind::ParetoNbd => (parsed.s, parsed.beta),
            Kind::BgNbd | Kind::MbgNbd => (parsed.a, parsed.b),
        };
        let (other_a, other_b) = match parsed.model {
            Kind::ParetoNbd => (parsed.a, parsed.b),
            Kind::BgNbd | Kind::MbgNbd => (parsed.s, parsed.beta),
        };
        let (Some(a), Some(b), None, None) = (a, b, other_a, other_b) else {
            return Err(MetricError::InvalidText(format!(
                "{MODEL_TYPE}: malformed text: this kind of model has parameters r, alpha, \
                 {third}, {fourth}"
            )));
        };
        Ok(BgNbdModel {
            kind: parsed.model,
            r: text_parameter(MODEL_TYPE, "r", parsed.r)?,
            alpha: text_parameter(MODEL_TYPE, "alpha", parsed.alpha)?,
            a: text_parameter(MODEL_TYPE, third, a)?,
            b: text_parameter(MODEL_TYPE, fourth, b)?,
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
    #[serde(default, skip_serializing_if = "Kind::is_bg_nbd")]
    model: Kind,
    r: f64,
    alpha: f64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    a: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    b: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    s: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    beta: Option<f64>,
    fit: Option<FitText>,
}

#[cfg(test)]
#[path = "bgnbd_tests.rs"]
mod tests;

/// How much larger than the value the factor c / (a − 1) of [`BgNbdModel::alive_part`] may be
/// before the closed form's subtraction is judged to lose digits (three).
const LOST_DIGITS_BOUND: f64 = 1e3;
/// Most terms of the two series of [`BgNbdModel::alive_part`]'s small values.
const SMALL_VALUE_TERMS: usize = 10_000;

/// E[Y(t) | alive, x, T] by Pfaff's transformation, with u = t/(α + T): (1 − z)^k ₂F₁(k, b′; c;
/// z) = ₂F₁(k, a − 1; c; −u), where c = a + b′ − 1, so the value is
/// Σ_{n≥1} (−1)^(n+1) (k)_n (a)_(n−1) / ((c + 1)_(n−1) n!) uⁿ: the factor a − 1 cancels and no
/// term is next to 1. Taken only where it is exact: the terms alternate and shrink from the
/// first, so the error is below the first term left out, which is below 1e-17 of the sum, and
/// the terms' magnitudes add up to at most four times the sum. For u < 1 the series converges;
/// past it only while c is so large (a large b) that the terms fall below 1e-17 of the sum at
/// once (the expansion in 1/c); else `None`.
fn alive_part_transformed(k: f64, a: f64, c: f64, u: f64) -> Option<f64> {
    let usable = u > 0.0 && (u < 1.0 || c > 1e4 * u * (k + 1.0) * (a + 1.0));
    if !usable {
        return None;
    }
    let mut term = k * u;
    let (mut sum, mut magnitude) = (term, term.abs());
    let mut ticker = Ticker::new();
    for n in 1..SMALL_VALUE_TERMS {
        ticker.tick();
        let index = n as f64;
        let next = -term * (k + index) * (a + index - 1.0) * u / ((c + index) * (index + 1.0));
        let shrinks = next.abs() < term.abs();
        if !shrinks {
            return None;
        }
        term = next;
        sum += term;
        magnitude += term.abs();
        if term.abs() <= 1e-17 * sum.abs() {
            return (sum.is_finite() && sum > 0.0 && magnitude <= 4.0 * sum).then_some(sum);
        }
    }
    None
}

/// E[Y(t) | alive, x, T] as c / (a − 1) · (1 − e^s), s = k ln(1 − z) + ln(1 + G), with G = ₂F₁
/// − 1 summed on its own (positive terms, for c > 0), so that a small s (a small r) keeps its
/// digits where ln ₂F₁ of a sum next to 1 loses them. Taken where the two parts of s cancel
/// less than the closed form's subtraction loses (at least a thousand times less); else
/// `None`.
fn alive_part_expanded(k: f64, b: f64, c: f64, z: f64, ln_one_minus_z: f64, a: f64) -> Option<f64> {
    let usable = c > 0.0 && z > 0.0 && z < 1.0;
    if !usable {
        return None;
    }
    let mut term = k * b / c * z;
    let mut sum = term;
    let mut ticker = Ticker::new();
    for n in 1..SMALL_VALUE_TERMS {
        ticker.tick();
        let index = n as f64;
        let ratio = (k + index) * (b + index) / ((c + index) * (index + 1.0)) * z;
        term *= ratio;
        sum += term;
        // Past the peak the ratios only fall towards z: the tail is below a geometric series.
        let bound = ratio.max(z);
        if ratio < 1.0 && term * bound / (1.0 - bound) <= 1e-17 * sum {
            // The closed form's ln ₂F₁ is off by about one rounding of 1, so relative to s by
            // 1/|s|; this one by about |parts|/|s| roundings: a thousand times better where
            // |parts| < 1e-3, and exact to 1e-12 where the parts cancel by at most 1e4.
            let (first, second) = (k * ln_one_minus_z, sum.ln_1p());
            let exponent = first + second;
            let parts = first.abs() + second.abs();
            let exact = parts < 1.0 / LOST_DIGITS_BOUND && parts <= 1e4 * exponent.abs();
            if !exact {
                return None;
            }
            let value = c / (a - 1.0) * -exponent.exp_m1();
            return (value.is_finite() && value > 0.0).then_some(value);
        }
    }
    None
}
