//! Gamma-Gamma spend model (Fader, Hardie & Lee 2005, "RFM and CLV: using iso-value curves";
//! Fader & Hardie's note "The Gamma-Gamma model of monetary value"): a customer's spend per
//! transaction is Gamma(p, ν) around their mean, ν ~ Gamma(q, v) across customers; fitted on
//! repeat buyers' frequency x and mean spend m_x. Also the discounted CLV over BG/NBD.
use super::bgnbd::BgNbdModel;
use super::optimize::{minimize, Objective, Penalized};
use super::rows::{float_word, WeightedRows, WHAT};
use super::special::{digamma, ln_gamma};
use super::uncertainty::standard_errors;
use super::{
    binary_parameter, check_estimate, check_identifiable, days_per_unit, fit_failure,
    interval_months, invalid, invalid_with_hint, positive_parameter, text_parameter, FitInfo,
    FitText, DAYS_PER_MONTH, FIRST_MODEL_VERSION, STD_ERRORS_MODEL_VERSION,
};
use crate::common::codec::{from_json_object, Reader, Writer};
use crate::common::error::{Float8, MetricError, MetricResult};
use crate::common::interrupt::{self, checked};
use crate::common::limits::reserve;
use serde::{Deserialize, Serialize};
use std::cell::RefCell;

pub const MODEL_TYPE: &str = "crm.gamma_gamma_model";
/// The fit with a penalizer, shown in the hint of a fit that does not converge.
pub const PENALIZED_CALL: &str = "crm.gamma_gamma_fit(frequency, monetary_value, 0.001)";

/// Checks one customer's `(frequency, mean spend)`: `None` for customers without repeat
/// purchases (ignored by the fit), else the merge key.
pub fn customer_key(
    function: &str,
    frequency: i32,
    monetary_value: f64,
) -> MetricResult<Option<[u64; 3]>> {
    if frequency < 0 {
        return Err(invalid(format!(
            "{function}: frequency {frequency} is negative"
        )));
    }
    if frequency == 0 {
        return Ok(None);
    }
    if !monetary_value.is_finite() || monetary_value <= 0.0 {
        return Err(invalid(format!(
            "{function}: monetary_value {} must be positive for a customer with repeat purchases",
            Float8(monetary_value)
        )));
    }
    Ok(Some([frequency as u64, float_word(monetary_value), 0]))
}

struct Problem {
    /// Distinct frequencies x with ln x and the total weight of their rows.
    frequencies: Vec<(f64, f64, f64)>,
    /// Room for (x, p x, p x + q) per distinct frequency, reserved with the rows: an
    /// evaluation of the likelihood allocates nothing.
    per_frequency: RefCell<Vec<(f64, f64, f64)>>,
    /// (frequency index, m, ln m, weight).
    rows: Vec<(u32, f64, f64, f64)>,
    total_weight: f64,
    mean_spend: f64,
}

impl Problem {
    /// The rows of a fit, copied in key order into vectors reserved fallibly (53200 naming
    /// `function`).
    fn new(function: &str, rows: &WeightedRows) -> MetricResult<Self> {
        let sorted = rows.sorted_within(function)?;
        let mut frequencies: Vec<(f64, f64, f64)> = Vec::new();
        let mut problem_rows = Vec::new();
        reserve(&mut problem_rows, sorted.len(), function, WHAT)?;
        let (mut total_weight, mut spend) = (0.0, 0.0);
        // Sorted keys come grouped by frequency.
        for (key, weight) in checked(&sorted) {
            let x = key[0] as f64;
            let weight = *weight as f64;
            if frequencies.last().is_none_or(|last| last.0 != x) {
                reserve(&mut frequencies, 1, function, WHAT)?;
                frequencies.push((x, x.ln(), 0.0));
            }
            let index = frequencies.len() - 1;
            frequencies[index].2 += weight;
            let m = f64::from_bits(key[1]);
            problem_rows.push((index as u32, m, m.ln(), weight));
            total_weight += weight;
            spend += weight * m;
        }
        let mut per_frequency = Vec::new();
        reserve(&mut per_frequency, frequencies.len(), function, WHAT)?;
        Ok(Problem {
            frequencies,
            per_frequency: RefCell::new(per_frequency),
            rows: problem_rows,
            total_weight,
            mean_spend: spend / total_weight,
        })
    }

    /// Log-likelihood and gradient with respect to (p, q, v).
    fn log_likelihood(&self, p: f64, q: f64, v: f64) -> (f64, [f64; 3]) {
        let (ln_v, lg_q, psi_q) = (v.ln(), ln_gamma(q), digamma(q));
        let mut total = 0.0;
        let mut gradient = [0.0; 3];
        let mut per_frequency = self.per_frequency.borrow_mut();
        per_frequency.clear();
        for &(x, ln_x, weight) in checked(&self.frequencies) {
            let (px, pxq) = (p * x, p * x + q);
            let (psi_pxq, psi_px) = (digamma(pxq), digamma(px));
            total += weight * (ln_gamma(pxq) - ln_gamma(px) - lg_q + q * ln_v + px * ln_x);
            gradient[0] += weight * x * (psi_pxq - psi_px + ln_x);
            gradient[1] += weight * (psi_pxq - psi_q + ln_v);
            gradient[2] += weight * q / v;
            per_frequency.push((x, px, pxq));
        }
        for &(index, m, ln_m, weight) in checked(&self.rows) {
            let (x, px, pxq) = per_frequency[index as usize];
            let spend = x * m + v;
            let ln_spend = spend.ln();
            total += weight * ((px - 1.0) * ln_m - pxq * ln_spend);
            gradient[0] += weight * x * (ln_m - ln_spend);
            gradient[1] -= weight * ln_spend;
            gradient[2] -= weight * pxq / spend;
        }
        (total, gradient)
    }
}

impl Objective<3> for Problem {
    fn value_and_gradient(&self, point: &[f64; 3]) -> Option<(f64, [f64; 3])> {
        let parameters = point.map(f64::exp);
        let [p, q, v] = parameters;
        let (value, gradient) = self.log_likelihood(p, q, v);
        let scale = -1.0 / self.total_weight;
        let mut chained = [0.0; 3];
        for index in 0..3 {
            chained[index] = scale * gradient[index] * parameters[index];
        }
        let value = scale * value;
        (value.is_finite() && chained.iter().all(|g| g.is_finite())).then_some((value, chained))
    }
}

/// A Gamma-Gamma model: parameters and, when fitted, the fit diagnostics.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GammaGammaModel {
    pub p: f64,
    pub q: f64,
    pub v: f64,
    pub fit: Option<FitInfo>,
}

/// Maximum-likelihood fit over merged repeat-buyer rows, penalized with the rows' penalizer
/// (on p, q and v as they are, as lifetimes does); `None` when there are none.
pub fn fit(function: &str, rows: &WeightedRows) -> MetricResult<Option<GammaGammaModel>> {
    if rows.customers() == 0 {
        return Ok(None);
    }
    super::check_customers(function, rows.customers())?;
    check_identifiable(function, rows.len())?;
    let problem = Problem::new(function, rows)?;
    // The optimizer works on v / mean spend: its bounds on the log-parameters (e^±25) then
    // hold in the data's own unit, so amounts in any currency unit fit alike (v is equivariant:
    // amounts × c give the same p and q, and v × c). The penalty stays on v as it is.
    let shift = problem.mean_spend.ln();
    let in_data_unit = InDataUnit {
        problem: &problem,
        shift,
    };
    let minimum = minimize(
        &Penalized {
            objective: &in_data_unit,
            penalizer: rows.penalizer(),
            scales: [1.0, 1.0, 1.0 / problem.mean_spend],
        },
        [0.0, 2f64.ln(), 0.0],
    )
    .map_err(|failure| fit_failure(function, &["p", "q", "v"], PENALIZED_CALL, failure))?;
    let mut point = minimum.point;
    point[2] += shift;
    let penalized = Penalized {
        objective: &problem,
        penalizer: rows.penalizer(),
        scales: [1.0; 3],
    };
    let log_likelihood = problem
        .value_and_gradient(&point)
        .map_or(f64::NAN, |(value, _)| -value * problem.total_weight);
    let [p, q, v] = point.map(f64::exp);
    check_estimate(
        function,
        &[("p", p, 1.0), ("q", q, 1.0), ("v", v, problem.mean_spend)],
    )?;
    Ok(Some(GammaGammaModel {
        p,
        q,
        v,
        fit: Some(FitInfo {
            log_likelihood,
            customers: rows.customers(),
            distinct_rows: rows.len() as u64,
            iterations: minimum.iterations,
            gradient_norm: minimum.gradient_norm,
            converged: true,
            penalizer: rows.penalizer(),
            std_errors: standard_errors(&penalized, &point, problem.total_weight),
        }),
    }))
}

/// [`Problem`] with its third coordinate ln(v / mean spend) instead of ln v.
struct InDataUnit<'a> {
    problem: &'a Problem,
    shift: f64,
}

impl Objective<3> for InDataUnit<'_> {
    fn value_and_gradient(&self, point: &[f64; 3]) -> Option<(f64, [f64; 3])> {
        let [p, q, v] = *point;
        self.problem.value_and_gradient(&[p, q, v + self.shift])
    }
}

impl GammaGammaModel {
    pub fn from_parameters(function: &str, p: f64, q: f64, v: f64) -> MetricResult<Self> {
        Ok(GammaGammaModel {
            p: positive_parameter(function, "p", p)?,
            q: positive_parameter(function, "q", q)?,
            v: positive_parameter(function, "v", v)?,
            fit: None,
        })
    }

    /// E[Z | x, m_x] = p(v + x·m_x)/(p·x + q − 1): the expected mean spend per transaction of a
    /// customer with x repeat purchases of mean m_x (x = 0: the population mean p·v/(q − 1)).
    /// It is lifetimes' `conditional_expected_average_profit`, the population mean and m_x
    /// weighted by p·x/(p·x + q − 1); defined for m_x = 0 too (free or fully refunded repeat
    /// orders: p·v/(p·x + q − 1), pulled toward the population mean), so one such customer does
    /// not fail a query over all customers. Only a negative or non-finite m_x is an error.
    pub fn expected_average_value(
        &self,
        function: &str,
        frequency: i32,
        monetary_value: f64,
    ) -> MetricResult<f64> {
        if frequency < 0 {
            return Err(invalid(format!(
                "{function}: frequency {frequency} is negative"
            )));
        }
        if !monetary_value.is_finite() || monetary_value < 0.0 {
            return Err(invalid(format!(
                "{function}: monetary_value {} is negative or not finite",
                Float8(monetary_value)
            )));
        }
        let x = f64::from(frequency);
        let denominator = self.p * x + self.q - 1.0;
        if denominator <= 0.0 {
            return Err(invalid_with_hint(
                format!(
                    "{function}: the expected spend is infinite (p·x + q − 1 = {} <= 0)",
                    Float8(denominator)
                ),
                "The fitted q is at most 1: spend per customer has no finite mean under this model.",
            ));
        }
        let value = self.p * (self.v + x * monetary_value) / denominator;
        if value.is_finite() {
            return Ok(value);
        }
        // A product overflowed (p near the largest double, or a huge spend): the same mean with
        // p divided out, v/(x + c) + m_x·x/(x + c) where c = (q − 1)/p, finite whenever the
        // answer is.
        let c = (self.q - 1.0) / self.p;
        let rescaled = self.v / (x + c) + monetary_value * (x / (x + c));
        if rescaled.is_finite() {
            return Ok(rescaled);
        }
        Err(MetricError::OutOfRange(format!(
            "{function}: the expected spend is not finite at p = {}, q = {}, v = {}, frequency \
             {frequency}, monetary_value {}",
            Float8(self.p),
            Float8(self.q),
            Float8(self.v),
            Float8(monetary_value)
        )))
    }

    pub fn customers(&self) -> u64 {
        self.fit.map_or(0, |fit| fit.customers)
    }

    pub fn encode(&self) -> MetricResult<Vec<u8>> {
        let version = FitInfo::version_of(self.fit);
        let mut writer = Writer::with_version(version);
        writer.f64(self.p).f64(self.q).f64(self.v);
        FitInfo::encode(self.fit, &mut writer, version);
        writer.finish(MODEL_TYPE)
    }

    pub fn decode(bytes: &[u8]) -> MetricResult<Self> {
        let (mut reader, version) = Reader::open_versions(
            bytes,
            FIRST_MODEL_VERSION..=STD_ERRORS_MODEL_VERSION,
            MODEL_TYPE,
        )?;
        let p = binary_parameter(MODEL_TYPE, &mut reader)?;
        let q = binary_parameter(MODEL_TYPE, &mut reader)?;
        let v = binary_parameter(MODEL_TYPE, &mut reader)?;
        let fit = FitInfo::decode(MODEL_TYPE, &mut reader, version, 3)?;
        reader.finish()?;
        Ok(GammaGammaModel { p, q, v, fit })
    }

    /// `{"p":6.25,"q":3.74,"v":15.44,"fit":{...} or null}`.
    pub fn to_text(&self) -> MetricResult<String> {
        let text = ModelText {
            p: self.p,
            q: self.q,
            v: self.v,
            fit: self.fit.map(FitInfo::to_text),
        };
        crate::common::codec::json_text(MODEL_TYPE, &text)
    }

    pub fn from_text(text: &str) -> MetricResult<Self> {
        let parsed: ModelText = from_json_object(MODEL_TYPE, text)?.map_err(|error| {
            MetricError::InvalidText(format!("{MODEL_TYPE}: malformed text: {error}"))
        })?;
        Ok(GammaGammaModel {
            p: text_parameter(MODEL_TYPE, "p", parsed.p)?,
            q: text_parameter(MODEL_TYPE, "q", parsed.q)?,
            v: text_parameter(MODEL_TYPE, "v", parsed.v)?,
            fit: parsed
                .fit
                .map(|fit| FitInfo::from_text(MODEL_TYPE, fit, 3))
                .transpose()?,
        })
    }
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct ModelText {
    p: f64,
    q: f64,
    v: f64,
    fit: Option<FitText>,
}

/// Longest horizon the discounted CLV sums over: 100 years of months. Each month costs one
/// conditional expectation (a ₂F₁ series, up to about a millisecond), so a horizon of 2^31
/// months would keep a backend busy for weeks; 1200 months take under a second.
pub const MAX_HORIZON_MONTHS: i32 = 1_200;

/// Discounted CLV of one customer over `horizon_months`:
/// Σ_{k=1..H} E[Z]·(E[Y(k·f)] − E[Y((k−1)·f)])/(1 + d)^k, f = time units per month.
#[allow(clippy::too_many_arguments)]
pub fn discounted_clv(
    function: &str,
    purchases: &BgNbdModel,
    spend: &GammaGammaModel,
    frequency: i32,
    recency: f64,
    age: f64,
    monetary_value: f64,
    horizon_months: i32,
    monthly_discount_rate: f64,
    time_unit: &str,
) -> MetricResult<f64> {
    let units_per_month = 365.25 / 12.0 / days_per_unit(function, time_unit)?;
    if horizon_months < 0 {
        return Err(invalid(format!(
            "{function}: horizon_months {horizon_months} is negative"
        )));
    }
    if horizon_months > MAX_HORIZON_MONTHS {
        return Err(invalid(format!(
            "{function}: horizon_months {horizon_months} is more than {MAX_HORIZON_MONTHS} (100 years)"
        )));
    }
    discounted_clv_months(
        function,
        purchases,
        spend,
        (frequency, recency, age, monetary_value),
        f64::from(horizon_months),
        monthly_discount_rate,
        units_per_month,
    )
}

/// Discounted CLV of one customer over an `interval` horizon read as months of 365.25/12 days
/// (see [`interval_months`]): whole months as [`discounted_clv`] sums them, then a final
/// partial month, the purchases from the last whole month to the horizon discounted at the
/// horizon, (1 + d)^H with H fractional. A whole number of months gives exactly the
/// `horizon_months` result; over 100 years is 22023, like `horizon_months`.
#[allow(clippy::too_many_arguments)]
pub fn discounted_clv_interval(
    function: &str,
    purchases: &BgNbdModel,
    spend: &GammaGammaModel,
    frequency: i32,
    recency: f64,
    age: f64,
    monetary_value: f64,
    horizon: (i32, i32, i64),
    monthly_discount_rate: f64,
    time_unit: &str,
    shown: impl Fn() -> String,
) -> MetricResult<f64> {
    let units_per_month = DAYS_PER_MONTH / days_per_unit(function, time_unit)?;
    let months = interval_months(function, horizon, &shown)?;
    if months > f64::from(MAX_HORIZON_MONTHS) {
        return Err(invalid(format!(
            "{function}: horizon {} is more than {MAX_HORIZON_MONTHS} months (100 years)",
            shown()
        )));
    }
    discounted_clv_months(
        function,
        purchases,
        spend,
        (frequency, recency, age, monetary_value),
        months,
        monthly_discount_rate,
        units_per_month,
    )
}

/// The sum of [`discounted_clv`] and [`discounted_clv_interval`] over `horizon_months`
/// (non-negative, at most 100 years; a fraction is a final partial month).
fn discounted_clv_months(
    function: &str,
    purchases: &BgNbdModel,
    spend: &GammaGammaModel,
    (frequency, recency, age, monetary_value): (i32, f64, f64, f64),
    horizon_months: f64,
    monthly_discount_rate: f64,
    units_per_month: f64,
) -> MetricResult<f64> {
    if !monthly_discount_rate.is_finite() || monthly_discount_rate <= -1.0 {
        return Err(invalid(format!(
            "{function}: monthly_discount_rate {} must be finite and greater than -1",
            Float8(monthly_discount_rate)
        )));
    }
    let value = spend.expected_average_value(function, frequency, monetary_value)?;
    let whole_months = horizon_months.floor() as i32;
    let mut total = 0.0;
    let mut previous = 0.0;
    for month in 1..=whole_months {
        // Each month sums a hypergeometric series: check every month.
        interrupt::check();
        let cumulative = purchases.conditional_expected_purchases(
            function,
            f64::from(month) * units_per_month,
            frequency,
            recency,
            age,
        )?;
        total += value * (cumulative - previous) / (1.0 + monthly_discount_rate).powi(month);
        previous = cumulative;
    }
    if horizon_months > f64::from(whole_months) {
        let cumulative = purchases.conditional_expected_purchases(
            function,
            horizon_months * units_per_month,
            frequency,
            recency,
            age,
        )?;
        total +=
            value * (cumulative - previous) / (1.0 + monthly_discount_rate).powf(horizon_months);
    }
    if total.is_finite() {
        Ok(total)
    } else {
        Err(invalid(format!("{function}: the CLV is not finite")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clv::state::simulate::{cdnow_sample, Random};

    const F: &str = "crm.test";

    fn cdnow_rows() -> WeightedRows {
        let mut rows = WeightedRows::default();
        for customer in cdnow_sample() {
            let key = customer_key(F, customer.frequency as i32, customer.monetary_value).unwrap();
            if let Some(key) = key {
                rows.add(F, key, 1).unwrap();
            }
        }
        rows
    }

    /// The model's binary and text forms both read back to the model.
    fn assert_forms_round_trip(model: &GammaGammaModel) {
        assert_eq!(
            &GammaGammaModel::decode(&model.encode().unwrap()).unwrap(),
            model
        );
        assert_eq!(
            &GammaGammaModel::from_text(&model.to_text().unwrap()).unwrap(),
            model
        );
    }

    #[test]
    fn extreme_parameters_give_the_finite_mean_or_an_error() {
        let close = |found: f64, expected: f64| (found / expected - 1.0).abs() < 1e-12;
        // p·x and p·(v + x·m) overflow, the mean is v/2 + m.
        let huge_p = GammaGammaModel::from_parameters(F, 1e308, 2.0, 1e10).unwrap();
        let value = huge_p.expected_average_value(F, 2, 10.0).unwrap();
        assert!(close(value, 5e9 + 10.0), "{value}");
        // x·m overflows: p(v + x·m)/(p·x + q − 1) = 8.2e307 or so.
        let paper = GammaGammaModel::from_parameters(F, 6.25, 3.74, 15.44).unwrap();
        let value = paper.expected_average_value(F, 2, 1e308).unwrap();
        let expected = 15.44 / (2.0 + 2.74 / 6.25) + 1e308 * (2.0 / (2.0 + 2.74 / 6.25));
        assert!(close(value, expected), "{value} vs {expected}");
        let huge_v = GammaGammaModel::from_parameters(F, 1e300, 3.74, 1e300).unwrap();
        let value = huge_v.expected_average_value(F, 2, 10.0).unwrap();
        assert!(close(value, 5e299), "{value}");
        // Ordinary values keep the direct formula's bits.
        let direct: f64 = 6.25 * (15.44 + 4.0 * 40.0) / (6.25 * 4.0 + 3.74 - 1.0);
        assert_eq!(
            paper.expected_average_value(F, 4, 40.0).unwrap().to_bits(),
            direct.to_bits()
        );
        // A mean past the largest double is 22003, never infinity.
        let past = GammaGammaModel::from_parameters(F, 1e308, 2.0, 1e308)
            .unwrap()
            .expected_average_value(F, 0, 0.0)
            .unwrap_err();
        assert!(
            matches!(&past, MetricError::OutOfRange(message) if message.contains("not finite")),
            "{past:?}"
        );
    }

    #[test]
    fn cdnow_fit_reproduces_the_paper() {
        let rows = cdnow_rows();
        assert_eq!(rows.customers(), 946);
        let model = fit(F, &rows).unwrap().unwrap();
        // Published: p = 6.25, q = 3.74, v = 15.44; lifetimes: 6.249572, 3.744225, 15.443521.
        assert!((model.p - 6.25).abs() < 5e-3, "{model:?}");
        assert!((model.q - 3.74).abs() < 5e-3, "{model:?}");
        assert!((model.v - 15.44).abs() < 5e-3, "{model:?}");
        assert!((model.p - 6.249_572).abs() < 1e-3);
        assert!((model.q - 3.744_225).abs() < 1e-3);
        assert!((model.v - 15.443_521).abs() < 3e-3);
        assert_forms_round_trip(&model);
    }

    #[test]
    fn amounts_in_any_unit_fit_alike() {
        // Amounts × c: the same p and q, v × c, from wei-sized to sub-cent units.
        let base = fit(F, &cdnow_rows()).unwrap().unwrap();
        for scale in [1e18, 3e9, 1e-13] {
            let mut rows = WeightedRows::default();
            for customer in cdnow_sample() {
                let value = customer.monetary_value * scale;
                if let Some(key) = customer_key(F, customer.frequency as i32, value).unwrap() {
                    rows.add(F, key, 1).unwrap();
                }
            }
            let model = fit(F, &rows).unwrap().unwrap();
            assert!((model.p / base.p - 1.0).abs() < 1e-6, "{scale}: {model:?}");
            assert!((model.q / base.q - 1.0).abs() < 1e-6, "{scale}: {model:?}");
            assert!(
                (model.v / scale / base.v - 1.0).abs() < 1e-6,
                "{scale}: {model:?}"
            );
        }
    }

    #[test]
    fn standard_errors_match_lifetimes_summary() {
        // lifetimes 0.11.3 GammaGammaFitter(penalizer_coef).fit(...).summary, se(coef) of p, q, v.
        for (penalizer, summary) in [
            (0.0, [1.190_055_346, 0.290_133_067_6, 4.159_422_802]),
            (0.01, [0.152_915_728_1, 0.039_491_900_5, 0.152_663_725_7]),
        ] {
            let mut rows = cdnow_rows();
            rows.set_penalizer(F, penalizer).unwrap();
            let model = fit(F, &rows).unwrap().unwrap();
            let errors = model.fit.unwrap().std_errors.unwrap();
            for (error, se) in errors.values().iter().zip(summary) {
                assert!(
                    (error / se - 1.0).abs() < 0.01,
                    "{penalizer}: {error} vs {se}"
                );
            }
            assert_forms_round_trip(&model);
        }
    }

    #[test]
    fn penalized_cdnow_fit_matches_lifetimes() {
        let mut rows = cdnow_rows();
        rows.set_penalizer(F, 0.01).unwrap();
        let model = fit(F, &rows).unwrap().unwrap();
        // lifetimes 0.11.3, GammaGammaFitter(penalizer_coef=0.01) on the same repeat buyers:
        // p 4.109223, q 0.968393, v 3.780768 (the penalty on v is in money units).
        for (found, lifetimes) in [
            (model.p, 4.109_222_930_968_789),
            (model.q, 0.968_392_757_667_921_7),
            (model.v, 3.780_768_070_123_650_6),
        ] {
            assert!(
                (found / lifetimes - 1.0).abs() < 1e-3,
                "{found} vs {lifetimes}: {model:?}"
            );
        }
        let info = model.fit.unwrap();
        assert_eq!((info.penalizer, info.converged), (0.01, true));
        assert_forms_round_trip(&model);
    }

    #[test]
    fn expected_value_and_clv_match_lifetimes() {
        // lifetimes 0.11.3, Gamma-Gamma fitted on cdnow_customers_summary_with_transactions.csv.
        let spend = GammaGammaModel::from_parameters(
            F,
            6.248_802_496_074_264,
            3.744_588_460_923_312,
            15.447_748_064_932_831,
        )
        .unwrap();
        let value = spend.expected_average_value(F, 2, 22.35).unwrap();
        assert!((value - 24.658_616_189_236_923).abs() < 1e-9);
        // Its customer_lifetime_value(time=12, discount 0.01, freq='W') = 36.27850 uses 4.345
        // weeks a month where we use 365.25/12/7 = 4.348: the results agree to 0.1 %.
        let purchases = BgNbdModel::from_parameters(
            F,
            0.242_592_928_279_821_6,
            4.413_532_265_271_803,
            0.792_885_966_440_585_1,
            2.425_752_382_625_45,
        )
        .unwrap();
        let clv = discounted_clv(
            F, &purchases, &spend, 2, 30.43, 38.86, 22.35, 12, 0.01, "week",
        )
        .unwrap();
        assert!((clv / 36.278_495_76 - 1.0).abs() < 1e-3, "{clv}");
        assert_eq!(
            discounted_clv(F, &purchases, &spend, 2, 30.43, 38.86, 22.35, 0, 0.01, "week").unwrap(),
            0.0
        );
        assert!(
            discounted_clv(F, &purchases, &spend, 2, 30.43, 38.86, 22.35, 12, -1.0, "week")
                .is_err()
        );
        assert!(discounted_clv(
            F,
            &purchases,
            &spend,
            2,
            30.43,
            38.86,
            22.35,
            12,
            0.01,
            "fortnight"
        )
        .is_err());
        // A repeat buyer whose mean spend is 0 (free or refunded orders): p·v/(p·x + q − 1),
        // as lifetimes' conditional_expected_average_profit gives it; only negative spend fails.
        let zero = spend.expected_average_value(F, 2, 0.0).unwrap();
        let expected = spend.p * spend.v / (spend.p * 2.0 + spend.q - 1.0);
        assert!(
            (zero - expected).abs() < 1e-12 * expected,
            "{zero} {expected}"
        );
        assert!(spend.expected_average_value(F, 2, -0.01).is_err());
        // lifetimes 0.11.3, GammaGammaFitter with params p 6.25, q 3.74, v 15.44:
        // conditional_expected_average_profit([2, 2, 10], [22.35, 0, 0]).
        let published = GammaGammaModel::from_parameters(F, 6.25, 3.74, 15.44).unwrap();
        for (x, m, lifetimes) in [
            (2, 22.35, 24.663_713_910_761_157),
            (2, 0.0, 6.332_020_997_375_331),
            (10, 0.0, 1.479_153_893_316_98),
        ] {
            let ours = published.expected_average_value(F, x, m).unwrap();
            assert!(
                (ours / lifetimes - 1.0).abs() < 1e-12,
                "{x} {m}: {ours} {lifetimes}"
            );
        }
        assert!(spend.expected_average_value(F, 2, f64::NAN).is_err());
        let zero_clv = discounted_clv(
            F, &purchases, &spend, 2, 30.43, 38.86, 0.0, 12, 0.01, "week",
        )
        .unwrap();
        assert!(
            (zero_clv / clv - zero / value).abs() < 1e-12,
            "{zero_clv} {clv}"
        );
        // Found by the hostile-input tests: a horizon of 2^31 months ran one ₂F₁ per
        // month, for hours; the longest horizon is 100 years (under a second).
        let longest = discounted_clv(
            F,
            &purchases,
            &spend,
            2,
            30.43,
            38.86,
            22.35,
            MAX_HORIZON_MONTHS,
            0.01,
            "week",
        )
        .unwrap();
        assert!(longest > clv && longest.is_finite());
        for horizon in [MAX_HORIZON_MONTHS + 1, i32::MAX] {
            let error = discounted_clv(
                F, &purchases, &spend, 2, 30.43, 38.86, 22.35, horizon, 0.01, "week",
            )
            .unwrap_err();
            assert!(
                matches!(&error, MetricError::InvalidParameter(m) if m.contains("more than 1200 ")),
                "{error:?}"
            );
        }
        // Interval horizons: whole months give exactly the horizon_months sum, a year of days
        // (365 days 6 hours) the same to rounding, 52 weeks falls between 11 and 12 months.
        let over = |fields: (i32, i32, i64)| {
            discounted_clv_interval(
                F,
                &purchases,
                &spend,
                2,
                30.43,
                38.86,
                22.35,
                fields,
                0.01,
                "week",
                || "'x'".to_string(),
            )
        };
        assert_eq!(over((12, 0, 0)).unwrap(), clv);
        assert!((over((0, 365, 21_600_000_000)).unwrap() / clv - 1.0).abs() < 1e-12);
        let eleven = discounted_clv(
            F, &purchases, &spend, 2, 30.43, 38.86, 22.35, 11, 0.01, "week",
        )
        .unwrap();
        let weeks_52 = over((0, 364, 0)).unwrap();
        assert!(
            eleven < weeks_52 && weeks_52 < clv,
            "{eleven} {weeks_52} {clv}"
        );
        assert_eq!(over((0, 0, 0)).unwrap(), 0.0);
        for (fields, message) in [
            (
                (1_200, 1, 0),
                "crm.test: horizon 'x' is more than 1200 months (100 years)",
            ),
            (
                (i32::MAX, 0, 0),
                "crm.test: horizon 'x' is more than 1200 months (100 years)",
            ),
            ((0, -7, 0), "crm.test: horizon 'x' is negative"),
        ] {
            assert_eq!(
                over(fields).unwrap_err(),
                MetricError::InvalidParameter(message.into())
            );
        }
        // 'infinity' on Postgres 17 on (22008); before, a finite horizon past 100 years.
        let most = over((i32::MAX, i32::MAX, i64::MAX)).unwrap_err();
        if crate::common::civil::INFINITE_INTERVALS {
            assert!(matches!(most, MetricError::DatetimeOverflow(_)), "{most:?}");
        } else {
            assert!(matches!(most, MetricError::InvalidParameter(_)), "{most:?}");
        }
        let heavy_tail = GammaGammaModel::from_parameters(F, 1.0, 0.5, 1.0).unwrap();
        assert!(heavy_tail
            .expected_average_value(F, 0, 0.0)
            .unwrap_err()
            .hint()
            .is_some());
    }

    #[test]
    fn recovers_simulated_parameters() {
        let mut random = Random::new(7);
        let (p, q, v) = (4.0, 3.0, 20.0);
        let mut rows = WeightedRows::default();
        for _ in 0..60_000 {
            let frequency = 1 + (random.uniform() * 8.0) as i32;
            let rate = random.gamma(q) / v;
            let total: f64 = (0..frequency).map(|_| random.gamma(p) / rate).sum();
            let key = customer_key(F, frequency, total / f64::from(frequency))
                .unwrap()
                .unwrap();
            rows.add(F, key, 1).unwrap();
        }
        let model = fit(F, &rows).unwrap().unwrap();
        for (found, truth) in [(model.p, p), (model.q, q), (model.v, v)] {
            assert!((found / truth - 1.0).abs() < 0.05, "{model:?}");
        }
    }

    #[test]
    fn analytic_gradient_matches_finite_differences() {
        let problem = Problem::new("crm.t", &cdnow_rows()).unwrap();
        let point = [1.5, 1.2, 2.5];
        let (_, gradient) = problem.value_and_gradient(&point).unwrap();
        for index in 0..3 {
            let (mut up, mut down) = (point, point);
            up[index] += 1e-6;
            down[index] -= 1e-6;
            let numeric = (problem.value_and_gradient(&up).unwrap().0
                - problem.value_and_gradient(&down).unwrap().0)
                / 2e-6;
            assert!((numeric - gradient[index]).abs() < 1e-6, "{index}");
        }
    }

    #[test]
    fn bad_inputs_are_refused() {
        assert!(customer_key(F, -1, 3.0).is_err());
        assert_eq!(customer_key(F, 0, -3.0).unwrap(), None);
        assert!(customer_key(F, 1, 0.0).is_err());
        assert!(customer_key(F, 1, f64::NAN).is_err());
        assert!(GammaGammaModel::from_parameters(F, -1.0, 1.0, 1.0).is_err());
        assert!(GammaGammaModel::from_text(r#"{"p":1,"q":1,"v":"x","fit":null}"#).is_err());
    }

    #[test]
    fn boundary_maxima_are_refused_not_returned() {
        let mut one = WeightedRows::default();
        let key = customer_key(F, 3, 25.0).unwrap().unwrap();
        one.add(F, key, 500).unwrap();
        match fit(F, &one) {
            Err(MetricError::Hinted { error, .. }) => match *error {
                MetricError::InvalidParameter(m) => {
                    assert!(m.contains("cannot identify the model"), "{m}")
                }
                other => panic!("{other:?}"),
            },
            other => panic!("{other:?}"),
        }
    }
}
