//! Unit tests of the BG/NBD math against the published CDNOW numbers and simulated data.
use super::*;
use crate::clv::state::simulate::{cdnow_sample, Random};

const F: &str = "crm.test";

fn paper_model() -> BgNbdModel {
    BgNbdModel::from_parameters(F, 0.243, 4.414, 0.793, 2.426).unwrap()
}

fn cdnow_rows() -> WeightedRows {
    let mut rows = WeightedRows::default();
    for customer in cdnow_sample() {
        let key =
            customer_key(F, customer.frequency as i32, customer.recency, customer.age).unwrap();
        rows.add(F, key, 1).unwrap();
    }
    rows
}

/// The distinct ages or recencies of a fit, sorted and indexed, past the table's first
/// reservations.
#[test]
fn distinct_values_are_sorted_and_indexed() {
    let values = (0..1000).rev().chain(0..1000).map(|n| f64::from(n) / 4.0);
    let (sorted, indexes) = distinct("crm.bgnbd_fit", values).unwrap();
    assert_eq!(sorted.len(), 1000);
    for (index, value) in sorted.iter().enumerate() {
        assert_eq!(*value, index as f64 / 4.0);
        assert_eq!(indexes[&value.to_bits()], index as u32);
    }
}

#[test]
fn cdnow_fit_reproduces_the_paper() {
    let rows = cdnow_rows();
    assert_eq!(rows.customers(), 2357);
    let model = fit(F, &rows).unwrap().unwrap();
    // Fader, Hardie & Lee (2005): r = 0.243, α = 4.414, a = 0.793, b = 2.426, LL = −9582.4.
    assert!((model.r - 0.243).abs() < 5e-4, "{model:?}");
    assert!((model.alpha - 4.414).abs() < 5e-4, "{model:?}");
    assert!((model.a - 0.793).abs() < 5e-4, "{model:?}");
    assert!((model.b - 2.426).abs() < 5e-4, "{model:?}");
    let fit = model.fit.unwrap();
    assert!((fit.log_likelihood + 9582.43).abs() < 0.005, "{fit:?}");
    // lifetimes 0.11.3 on the same data: r 0.242595, α 4.413603, a 0.792922, b 2.425906.
    assert!((model.r - 0.242_595).abs() < 2e-5);
    assert!((model.alpha - 4.413_603).abs() < 2e-4);
    assert!((model.a - 0.792_922).abs() < 5e-5);
    assert!((model.b - 2.425_906).abs() < 2e-4);
    // The likelihood at the paper's rounded estimates, summed customer by customer.
    let paper = paper_model();
    let direct: f64 = cdnow_sample()
        .iter()
        .map(|c| customer_log_likelihood(&paper, c.frequency, c.recency, c.age))
        .sum();
    assert!((direct + 9582.4305).abs() < 1e-3, "{direct}");
}

#[test]
fn expected_purchases_match_the_paper() {
    // The published values come from the unrounded estimates: use the fit on the exact data.
    let model = fit(F, &cdnow_rows()).unwrap().unwrap();
    for (weeks, published) in [(1.0, 0.0532), (3.0, 0.1506), (32.0, 1.0437), (78.0, 1.8576)] {
        let found = model.expected_purchases(F, weeks).unwrap();
        assert!((found - published).abs() < 5e-4, "t = {weeks}: {found}");
    }
    // x = 2, t_x = 30.43, T = 38.86: 1.226 purchases expected in the next 39 weeks.
    let conditional = model
        .conditional_expected_purchases(F, 39.0, 2, 30.43, 38.86)
        .unwrap();
    assert!((conditional - 1.226).abs() < 5e-4, "{conditional}");
    // lifetimes at its own estimates: 1.2259068 and P(alive) 0.7266092.
    let lifetimes = BgNbdModel::from_parameters(
        F,
        0.242_594_543_421_067_32,
        4.413_602_716_077_375,
        0.792_921_833_347_856_4,
        2.425_905_728_721_675,
    )
    .unwrap();
    let conditional = lifetimes
        .conditional_expected_purchases(F, 39.0, 2, 30.43, 38.86)
        .unwrap();
    assert!(
        (conditional - 1.225_906_809_814_843_3).abs() < 1e-9,
        "{conditional}"
    );
    let alive = lifetimes.probability_alive(F, 2, 30.43, 38.86).unwrap();
    assert!((alive - 0.726_609_15).abs() < 1e-7, "{alive}");
    let unconditional = lifetimes.expected_purchases(F, 78.0).unwrap();
    assert!((unconditional - 1.857_958_317_009_320_3).abs() < 1e-9);
    // lifetimes at the paper's rounded parameters.
    let paper = paper_model();
    for (weeks, expected) in [
        (1.0, 0.053_267_891_171_656_27),
        (32.0, 1.045_243_328_374_436),
        (78.0, 1.860_519_057_942_745_5),
    ] {
        let found = paper.expected_purchases(F, weeks).unwrap();
        assert!((found - expected).abs() < 1e-9, "t = {weeks}: {found}");
    }
    let conditional = paper
        .conditional_expected_purchases(F, 39.0, 2, 30.43, 38.86)
        .unwrap();
    assert!((conditional - 1.226_028_174_767_131_8).abs() < 1e-9);
}

#[test]
fn analytic_gradient_matches_finite_differences() {
    let problem = Problem::new("crm.t", &cdnow_rows(), Kind::BgNbd).unwrap();
    let point = [0.3f64.ln(), 5.0f64.ln(), 0.7f64.ln(), 2.0f64.ln()];
    let (_, gradient) = problem.value_and_gradient(&point).unwrap();
    for index in 0..4 {
        let mut up = point;
        let mut down = point;
        up[index] += 1e-6;
        down[index] -= 1e-6;
        let numeric = (problem.value_and_gradient(&up).unwrap().0
            - problem.value_and_gradient(&down).unwrap().0)
            / 2e-6;
        assert!(
            (numeric - gradient[index]).abs() < 1e-7,
            "{index}: {numeric} {}",
            gradient[index]
        );
    }
}

#[test]
fn small_a_and_b_with_far_horizons_match_exact_values() {
    // a + b near 0 puts the hypergeometric's c = a + b − 1 next to the pole at −1, and its
    // c − a − b = a − 1 − r next to an integer. Exact values: mpmath at 50 digits.
    for (r, alpha, a, b, horizon, exact) in [
        (1.0, 10.0, 0.001, 0.002, 10_000.0, 662.417_533_043_228_6),
        (1.0, 10.0, 0.001, 0.002, 5_000.0, 331.605_965_064_066),
        (1.0, 10.0, 0.001, 0.003, 10_000.0, 745.096_062_296_884_8),
        (1.0, 10.0, 0.0011, 0.001, 10_000.0, 473.113_992_680_033_2),
    ] {
        let model = BgNbdModel::from_parameters(F, r, alpha, a, b).unwrap();
        let value = model.expected_purchases(F, horizon).unwrap();
        assert!(
            (value - exact).abs() <= 1e-7 * exact,
            "({r}, {alpha}, {a}, {b}) at {horizon}: {value} != {exact}"
        );
    }
    let model = BgNbdModel::from_parameters(F, 3.0, 0.2, 0.001, 0.001).unwrap();
    let value = model
        .conditional_expected_purchases(F, 1000.0, 0, 0.0, 0.5)
        .unwrap();
    let exact = 2_126.085_320_817_860_5;
    assert!((value - exact).abs() <= 1e-7 * exact, "{value} != {exact}");
}

#[test]
fn a_next_to_one_matches_the_exact_limit_for_heavy_buyers() {
    // A heavy buyer over a far horizon: each value of the closed form near a = 1 carries the
    // hypergeometric's rounding (about 3e-10) divided by its distance from 1, so the nodes
    // must not be too close, and the function curves on a scale of about 0.005, so they must
    // not be too far. Exact values: mpmath at 60 digits (the limit as the mean at
    // a = 1 ± 1e-25); the mean of the two points at 1 ± 1e-5 was off by 4.6e-6.
    let customer = (1_000, 300.0, 300.0);
    for (kind, r, alpha, a, b, exact) in [
        (Kind::BgNbd, 5.0, 100.0, 1.0, 2.0, 7_835.263_200_802_305),
        (Kind::MbgNbd, 5.0, 100.0, 1.0, 2.0, 7_842.091_035_611_23),
        (
            Kind::BgNbd,
            1.0,
            1.0,
            1.000_000_1,
            0.5,
            8_105.143_085_571_017,
        ),
    ] {
        let model = BgNbdModel::from_kind_parameters(F, kind, [r, alpha, a, b]).unwrap();
        let value = model
            .conditional_expected_purchases(F, 1e6, customer.0, customer.1, customer.2)
            .unwrap();
        assert!(
            (value - exact).abs() <= 1e-7 * exact,
            "{kind:?} a = {a}: {value} != {exact}"
        );
    }
    let at_one = BgNbdModel::from_parameters(F, 0.5, 3.0, 1.0, 2.0).unwrap();
    let value = at_one
        .conditional_expected_purchases(F, 30.0, 3, 20.0, 30.0)
        .unwrap();
    assert!(
        (value - 1.291_473_692_272_462_5).abs() <= 1e-10 * value,
        "{value}"
    );
}

#[test]
fn a_equal_to_one_and_tiny_b_are_handled() {
    let at_one = BgNbdModel::from_parameters(F, 0.5, 3.0, 1.0, 2.0).unwrap();
    let near = BgNbdModel::from_parameters(F, 0.5, 3.0, 1.0 + 1e-3, 2.0).unwrap();
    let below = BgNbdModel::from_parameters(F, 0.5, 3.0, 1.0 - 1e-3, 2.0).unwrap();
    for (x, recency, age) in [(0, 0.0, 0.0), (3, 20.0, 30.0)] {
        let value = at_one
            .conditional_expected_purchases(F, 30.0, x, recency, age)
            .unwrap();
        let neighbours = 0.5
            * (near
                .conditional_expected_purchases(F, 30.0, x, recency, age)
                .unwrap()
                + below
                    .conditional_expected_purchases(F, 30.0, x, recency, age)
                    .unwrap());
        assert!(
            (value - neighbours).abs() < 1e-5 * value,
            "{value} {neighbours}"
        );
    }
    // a + b = 1 makes c = 0 for new customers.
    let c_zero = BgNbdModel::from_parameters(F, 0.5, 3.0, 0.4, 0.6).unwrap();
    let value = c_zero.expected_purchases(F, 10.0).unwrap();
    let nearby = BgNbdModel::from_parameters(F, 0.5, 3.0, 0.4, 0.6 + 1e-3)
        .unwrap()
        .expected_purchases(F, 10.0)
        .unwrap();
    assert!(value.is_finite() && (value - nearby).abs() < 1e-3 * value);
    let tiny_b = BgNbdModel::from_parameters(F, 0.5, 3.0, 0.8, 1e-9).unwrap();
    assert!(tiny_b
        .probability_alive(F, 1, 5.0, 30.0)
        .unwrap()
        .is_finite());
    assert!(tiny_b
        .conditional_expected_purchases(F, 30.0, 1, 5.0, 30.0)
        .unwrap()
        .is_finite());
}

#[test]
fn heavy_buyers_stay_finite() {
    let model = BgNbdModel::from_parameters(F, 0.243, 4.414 * 7.0, 0.793, 2.426).unwrap();
    let value = model
        .conditional_expected_purchases(F, 365.0, 600, 2990.0, 3000.0)
        .unwrap();
    let alive = model.probability_alive(F, 600, 2990.0, 3000.0).unwrap();
    assert!(value.is_finite() && value > 0.0 && (0.0..=1.0).contains(&alive));
    // A long-gone heavy buyer: P(alive) underflows to 0, never NaN.
    let gone = model.probability_alive(F, 600, 10.0, 3000.0).unwrap();
    assert_eq!(gone, 0.0);
    assert_eq!(
        model
            .conditional_expected_purchases(F, 365.0, 600, 10.0, 3000.0)
            .unwrap(),
        0.0
    );
    let ll = customer_log_likelihood(&model, 600, 2990.0, 3000.0);
    assert!(ll.is_finite());
}

#[test]
fn bad_inputs_are_refused() {
    let model = paper_model();
    assert!(customer_key(F, -1, 0.0, 1.0).is_err());
    assert!(customer_key(F, 1, 2.0, 1.0).is_err());
    assert!(customer_key(F, 1, f64::NAN, 1.0).is_err());
    assert!(customer_key(F, 1, 0.0, f64::INFINITY).is_err());
    assert!(model.expected_purchases(F, -1.0).is_err());
    assert!(BgNbdModel::from_parameters(F, 0.0, 1.0, 1.0, 1.0).is_err());
    assert!(BgNbdModel::from_parameters(F, 1.0, f64::NAN, 1.0, 1.0).is_err());
    // x = 0 rows merge whatever their recency.
    assert_eq!(
        customer_key(F, 0, 0.0, 5.0).unwrap(),
        customer_key(F, 0, 0.0, 5.0).unwrap()
    );
}

/// The model's binary and text forms both read back to the model.
fn assert_forms_round_trip(model: &BgNbdModel) {
    assert_eq!(
        &BgNbdModel::decode(&model.encode().unwrap()).unwrap(),
        model
    );
    assert_eq!(
        &BgNbdModel::from_text(&model.to_text().unwrap()).unwrap(),
        model
    );
}

#[test]
fn text_and_binary_forms_round_trip() {
    let model = fit(F, &cdnow_rows()).unwrap().unwrap();
    assert_forms_round_trip(&model);
    let built = paper_model();
    assert_eq!(
        built.to_text().unwrap(),
        r#"{"r":0.243,"alpha":4.414,"a":0.793,"b":2.426,"fit":null}"#
    );
    assert_eq!(
        BgNbdModel::from_text(&built.to_text().unwrap()).unwrap(),
        built
    );
    assert!(BgNbdModel::from_text(r#"{"r":0,"alpha":1,"a":1,"b":1}"#).is_err());
    assert!(BgNbdModel::from_text(r#"{"r":1,"alpha":1,"a":1}"#).is_err());
    assert!(BgNbdModel::from_text("garbage").is_err());
    assert!(BgNbdModel::decode(&[1, 2, 3]).is_err());
}

/// Found by the generators: the binary form accepted fit diagnostics the text form
/// refuses (a NaN log-likelihood, a negative gradient norm, more than 2^32 iterations), so a
/// value read from COPY BINARY could not be dumped and restored as text.
#[test]
fn binary_fit_diagnostics_are_checked_as_the_text_ones() {
    // A penalized model: binary form version 3, with the converged byte, the penalizer and
    // the standard errors.
    let model = fit(F, &penalized(&cdnow_rows(), 0.01)).unwrap().unwrap();
    let bytes = model.encode().unwrap();
    assert_eq!(bytes[0], crate::clv::state::STD_ERRORS_MODEL_VERSION);
    // Version, four parameters, the fit flag, then the log-likelihood; the gradient norm, the
    // converged byte, the penalizer, then the count and the four standard errors last.
    let log_likelihood = 1 + 4 * 8 + 1;
    let std_errors = bytes.len() - 4 * 8;
    let gradient_norm = std_errors - 1 - 17;
    let penalizer = std_errors - 1 - 8;
    for (at, value) in [
        (std_errors, 0.0),
        (std_errors + 8, -1.0),
        (std_errors + 24, f64::NAN),
        (std_errors + 16, f64::INFINITY),
        (log_likelihood, f64::NAN),
        (log_likelihood, f64::NEG_INFINITY),
        (gradient_norm, -1.0),
        (gradient_norm, f64::INFINITY),
        (penalizer, -1.0),
        (penalizer, -0.0),
        (penalizer, f64::NAN),
    ] {
        let mut forged = bytes.clone();
        forged[at..at + 8].copy_from_slice(&value.to_le_bytes());
        assert!(
            matches!(
                BgNbdModel::decode(&forged),
                Err(MetricError::InvalidBinary(_))
            ),
            "{value} at {at}"
        );
    }
    let mut converged = bytes.clone();
    converged[gradient_norm + 8] = 2;
    assert!(BgNbdModel::decode(&converged).is_err());
    // A count of standard errors other than the four parameters.
    for count in [0, 3, 5, 255] {
        let mut forged = bytes.clone();
        forged[std_errors - 1] = count;
        assert!(BgNbdModel::decode(&forged).is_err(), "{count}");
    }
    let mut writer = Writer::with_version(crate::clv::state::FIRST_MODEL_VERSION);
    writer.f64(1.0).f64(1.0).f64(1.0).f64(1.0);
    writer
        .u8(1)
        .f64(-1.0)
        .u64(1)
        .u64(1)
        .u64(u64::from(u32::MAX) + 1)
        .f64(0.0);
    assert!(BgNbdModel::decode(&writer.finish("t").unwrap()).is_err());
    for text in [
        r#"{"r":1,"alpha":1,"a":1,"b":1,"fit":{"log_likelihood":-1,"customers":1,"distinct_rows":1,"iterations":1,"gradient_norm":-0.5}}"#,
        r#"{"r":1,"alpha":1,"a":1,"b":1,"fit":{"log_likelihood":-1,"customers":1,"distinct_rows":1,"iterations":4294967296,"gradient_norm":0}}"#,
    ] {
        assert!(
            matches!(
                BgNbdModel::from_text(text),
                Err(MetricError::InvalidText(_))
            ),
            "{text}"
        );
    }
}

/// Simulates `customers` BG/NBD customers (continuous time) with the given parameters.
fn simulate(random: &mut Random, customers: usize, parameters: [f64; 4]) -> WeightedRows {
    let [r, alpha, a, b] = parameters;
    let mut rows = WeightedRows::default();
    for _ in 0..customers {
        let rate = random.gamma(r) / alpha;
        let dropout = random.beta(a, b);
        let age = 26.0 + 26.0 * random.uniform();
        let (mut now, mut frequency, mut recency) = (0.0, 0, 0.0);
        loop {
            now += random.exponential(rate);
            if now > age {
                break;
            }
            frequency += 1;
            recency = now;
            if random.uniform() < dropout {
                break;
            }
        }
        rows.add(F, customer_key(F, frequency, recency, age).unwrap(), 1)
            .unwrap();
    }
    rows
}

#[test]
fn recovers_simulated_parameters() {
    let mut random = Random::new(20_260_124);
    let truth = [0.75, 6.0, 0.9, 3.0];
    let rows = simulate(&mut random, 60_000, truth);
    let model = fit(F, &rows).unwrap().unwrap();
    let found = [model.r, model.alpha, model.a, model.b];
    for (found, truth) in found.iter().zip(truth) {
        assert!(
            (found / truth - 1.0).abs() < 0.06,
            "{found} vs {truth}: {model:?}"
        );
    }
    // Weighted rows give the same fit as repeated rows.
    let mut doubled = WeightedRows::default();
    for (key, weight) in rows.sorted() {
        doubled.add(F, key, weight * 2).unwrap();
    }
    let twice = fit(F, &doubled).unwrap().unwrap();
    assert!((twice.r / model.r - 1.0).abs() < 1e-6);
    assert!(
        (twice.fit.unwrap().log_likelihood / model.fit.unwrap().log_likelihood - 2.0).abs() < 1e-9
    );
}

#[test]
fn no_repeat_purchases_is_an_error_not_nan() {
    let mut rows = WeightedRows::default();
    for age in 1..50 {
        rows.add(F, customer_key(F, 0, 0.0, f64::from(age)).unwrap(), 3)
            .unwrap();
    }
    let error = fit(F, &rows).unwrap_err();
    assert!(matches!(
        error.without_hint(),
        MetricError::InvalidParameter(_)
    ));
    assert!(error.hint().is_some());
    assert_eq!(fit(F, &WeightedRows::default()).unwrap(), None);
}

#[test]
fn boundary_maxima_are_refused_not_returned() {
    // One distinct row: b ran to ~1e-8 before.
    let mut one = WeightedRows::default();
    one.add(F, customer_key(F, 2, 10.0, 30.0).unwrap(), 40)
        .unwrap();
    match fit(F, &one) {
        Err(MetricError::Hinted { error, .. }) => match *error {
            MetricError::InvalidParameter(m) => {
                assert!(m.contains("cannot identify the model"), "{m}")
            }
            other => panic!("{other:?}"),
        },
        other => panic!("{other:?}"),
    }
    // The published CDNOW fit is well inside the limits.
    assert!(fit(F, &cdnow_rows()).unwrap().is_some());
}

#[test]
fn interval_horizons_match_horizons_in_units() {
    use crate::clv::state::interval_in_units;
    let model = paper_model();
    let shown = || "'x'".to_string();
    // interval '52 weeks' is stored as 364 days: exactly horizon 52 in weeks.
    let weeks_52 = interval_in_units(F, (0, 364, 0), "week", shown).unwrap();
    assert_eq!(
        model.expected_purchases(F, weeks_52).unwrap(),
        model.expected_purchases(F, 52.0).unwrap()
    );
    assert_eq!(
        model
            .conditional_expected_purchases(F, weeks_52, 2, 30.43, 38.86)
            .unwrap(),
        model
            .conditional_expected_purchases(F, 52.0, 2, 30.43, 38.86)
            .unwrap()
    );
    // interval '1 year' in weeks: 365.25/7.
    let year = interval_in_units(F, (12, 0, 0), "week", shown).unwrap();
    assert_eq!(
        model.expected_purchases(F, year).unwrap(),
        model.expected_purchases(F, 365.25 / 7.0).unwrap()
    );
}

fn penalized(rows: &WeightedRows, penalizer: f64) -> WeightedRows {
    let mut rows = rows.clone();
    rows.set_penalizer(F, penalizer).unwrap();
    rows
}

#[test]
fn penalized_cdnow_fit_matches_lifetimes() {
    let rows = penalized(&cdnow_rows(), 0.01);
    let model = fit(F, &rows).unwrap().unwrap();
    // lifetimes 0.11.3, BetaGeoFitter(penalizer_coef=0.01) on the same customers (recency and
    // T in days / 7): r 0.242942, α 4.432506, a 0.285643, b 0.658459.
    for (found, lifetimes) in [
        (model.r, 0.242_942_002_721_592_86),
        (model.alpha, 4.432_506_424_475_03),
        (model.a, 0.285_642_801_315_569_46),
        (model.b, 0.658_459_386_101_183),
    ] {
        assert!(
            (found / lifetimes - 1.0).abs() < 1e-3,
            "{found} vs {lifetimes}: {model:?}"
        );
    }
    let info = model.fit.unwrap();
    assert_eq!((info.penalizer, info.converged), (0.01, true));
    // The log-likelihood reported is the data's, without the penalty: below the unpenalized
    // maximum (−9582.43), and equal to the customers' sum at the estimate.
    let direct: f64 = cdnow_sample()
        .iter()
        .map(|c| customer_log_likelihood(&model, c.frequency, c.recency, c.age))
        .sum();
    assert!(
        (info.log_likelihood - direct).abs() < 1e-6 * direct.abs(),
        "{info:?} {direct}"
    );
    assert!(info.log_likelihood < -9582.43);
    // lifetimes' objective (mean negative log-likelihood + penalty, in its time scale, which
    // shifts the log-likelihood by a constant) is 0.2621023 here and 0.2503499 at the plain
    // fit: the penalized optimum is 0.0117523 above the plain one, here too.
    let scaled_alpha = model.alpha / cdnow_sample().iter().map(|c| c.age).fold(0.0, f64::max);
    let objective = -info.log_likelihood / 2357.0
        + 0.01 * (model.r.powi(2) + scaled_alpha.powi(2) + model.a.powi(2) + model.b.powi(2));
    let plain = -fit(F, &cdnow_rows())
        .unwrap()
        .unwrap()
        .fit
        .unwrap()
        .log_likelihood
        / 2357.0;
    let above = objective - plain;
    assert!(
        (above - (0.262_102_270_377_716_6 - 0.250_349_921_940_422_1)).abs() < 1e-7,
        "{above}"
    );
    // Penalizer 0 is the plain fit.
    assert_eq!(
        fit(F, &penalized(&cdnow_rows(), 0.0)).unwrap(),
        fit(F, &cdnow_rows()).unwrap()
    );
}

#[test]
fn penalized_gradient_matches_finite_differences() {
    let problem = Problem::new("crm.t", &cdnow_rows(), Kind::BgNbd).unwrap();
    let objective = Penalized {
        objective: &problem,
        penalizer: 0.05,
        scales: [1.0, 38.86, 1.0, 1.0],
    };
    let point = [0.3f64.ln(), 5.0f64.ln(), 0.7f64.ln(), 2.0f64.ln()];
    let (value, gradient) = objective.value_and_gradient(&point).unwrap();
    let (plain, _) = problem.value_and_gradient(&point).unwrap();
    let penalty = 0.05 * (0.09 + (5.0f64 / 38.86).powi(2) + 0.49 + 4.0);
    assert!((value - plain - penalty).abs() < 1e-12);
    for index in 0..4 {
        let (mut up, mut down) = (point, point);
        up[index] += 1e-6;
        down[index] -= 1e-6;
        let numeric = (objective.value_and_gradient(&up).unwrap().0
            - objective.value_and_gradient(&down).unwrap().0)
            / 2e-6;
        assert!(
            (numeric - gradient[index]).abs() < 1e-7,
            "{index}: {numeric} {}",
            gradient[index]
        );
    }
}

fn rows_of(customers: &[(i32, f64, f64)]) -> WeightedRows {
    let mut rows = WeightedRows::default();
    for &(frequency, recency, age) in customers {
        rows.add(F, customer_key(F, frequency, recency, age).unwrap(), 1)
            .unwrap();
    }
    rows
}

fn assert_no_convergence(error: MetricError, within: &str) {
    match error.without_hint() {
        MetricError::InvalidParameter(message) => {
            assert!(
                message.starts_with("crm.test: the fit did not converge within "),
                "{message}"
            );
            assert!(message.contains(&format!("{within} (")), "{message}");
            assert!(message.contains("gradient norm "), "{message}");
            assert!(message.contains("last parameters r = "), "{message}");
        }
        other => panic!("{other:?}"),
    }
    let hint = error.hint().unwrap();
    assert!(
        hint.starts_with(
            "Try a penalized fit, the penalizer as the last argument: crm.bgnbd_fit(frequency, recency, t, 0.001)"
        ),
        "{hint}"
    );
}

#[test]
fn a_fit_without_a_stationary_point_suggests_a_penalizer() {
    // Two buyers of two repeat purchases, one early and one recent, and a one-off buyer: the
    // likelihood rises forever along a ridge of ever larger a and b.
    let rows = rows_of(&[(2, 1.0, 10.0), (2, 9.0, 10.0), (0, 0.0, 10.0)]);
    assert_no_convergence(fit(F, &rows).unwrap_err(), "the iteration budget");
    // A penalizer gives it a maximum.
    let model = fit(F, &penalized(&rows, 0.001)).unwrap().unwrap();
    assert!(model.a < 10.0 && model.b < 10.0, "{model:?}");
}

#[test]
fn a_slow_fit_without_a_stationary_point_stops_after_a_second() {
    // The ridge above over 60,000 distinct customers: each step costs milliseconds, so the
    // iteration limits alone could take minutes; the time budget stops it after a second (or
    // 200 evaluations, in a slow test build or on a loaded machine), unless the searches stall
    // first. Checked on what stopped it, not on wall time, which depends on the machine's load:
    // a budget of at least a second before BFGS's limit of 1000 iterations, or the searches
    // ending by themselves.
    let customers: Vec<(i32, f64, f64)> = (0..20_000)
        .flat_map(|index| {
            let age = 10.0 + f64::from(index) * 1e-4;
            [(2, 1.0, age), (2, age - 1.0, age), (0, 0.0, age)]
        })
        .collect();
    let rows = rows_of(&customers);
    let error = fit(F, &rows).unwrap_err();
    let MetricError::InvalidParameter(message) = error.without_hint() else {
        panic!("{error:?}");
    };
    let number_before = |marker: &str| -> f64 {
        let end = message.find(marker).unwrap_or_else(|| panic!("{message}"));
        let start = message[..end].rfind(['(', ' ']).map_or(0, |at| at + 1);
        message[start..end]
            .parse()
            .unwrap_or_else(|_| panic!("{message}"))
    };
    if message.contains(" s of optimizer time (") {
        assert!(number_before(" s of optimizer time") >= 1.0, "{message}");
        assert!(
            number_before(" iterations, gradient norm") < 1000.0,
            "{message}"
        );
        assert_no_convergence(error.clone(), " s of optimizer time");
    } else {
        assert_no_convergence(error.clone(), "the iteration budget");
    }
    assert!(fit(F, &penalized(&rows, 0.001)).unwrap().is_some());
}

#[test]
fn models_of_the_first_forms_still_read() {
    // A fitted model as 0.2.0 wrote it: version 1, no converged flag nor penalizer.
    let mut writer = Writer::with_version(crate::clv::state::FIRST_MODEL_VERSION);
    writer.f64(0.243).f64(4.414).f64(0.793).f64(2.426);
    writer
        .u8(1)
        .f64(-9582.43)
        .u64(2357)
        .u64(1000)
        .u64(24)
        .f64(1e-10);
    let writer_bytes = writer.finish("t").unwrap();
    let old = BgNbdModel::decode(&writer_bytes).unwrap();
    let info = old.fit.unwrap();
    assert_eq!((info.converged, info.penalizer), (true, 0.0));
    assert_eq!((info.customers, info.iterations), (2357, 24));
    // ... and its text form.
    let text = r#"{"r":0.243,"alpha":4.414,"a":0.793,"b":2.426,"fit":{"log_likelihood":-9582.43,"customers":2357,"distinct_rows":1000,"iterations":24,"gradient_norm":1e-10}}"#;
    assert_eq!(BgNbdModel::from_text(text).unwrap(), old);
    // Written again exactly as it was: an unpenalized model keeps the first forms.
    assert_eq!(old.to_text().unwrap(), text);
    assert_eq!(old.encode().unwrap(), writer_bytes);
    assert_eq!(
        old.encode().unwrap()[0],
        crate::clv::state::FIRST_MODEL_VERSION
    );
    // A penalized fit keeps its penalizer in both forms.
    let model = fit(F, &penalized(&cdnow_rows(), 0.01)).unwrap().unwrap();
    assert!(
        model
            .to_text()
            .unwrap()
            .contains(r#","penalizer":0.01,"std_errors":["#),
        "{}",
        model.to_text().unwrap()
    );
    assert_forms_round_trip(&model);
    assert_eq!(
        model.encode().unwrap()[0],
        crate::clv::state::STD_ERRORS_MODEL_VERSION
    );
    // A version 2 form (penalized, before standard errors were recorded) reads without them.
    let without = BgNbdModel {
        fit: model.fit.map(|fit| FitInfo {
            std_errors: None,
            ..fit
        }),
        ..model
    };
    assert_eq!(
        without.encode().unwrap()[0],
        crate::clv::state::MODEL_VERSION
    );
    assert_eq!(
        BgNbdModel::decode(&without.encode().unwrap()).unwrap(),
        without
    );
    assert!(!without.to_text().unwrap().contains("std_errors"));
    assert_eq!(
        BgNbdModel::from_text(&without.to_text().unwrap()).unwrap(),
        without
    );
    // A negative penalizer is not a fit diagnostic.
    let negative = text.replace("1e-10}", r#"1e-10,"penalizer":-1}"#);
    assert!(matches!(
        BgNbdModel::from_text(&negative),
        Err(MetricError::InvalidText(_))
    ));
}

/// lifetimes 0.11.3 `BetaGeoFitter(penalizer_coef).fit(...).summary` on the same customers:
/// (coef, se(coef)) of r, alpha, a, b.
const LIFETIMES_SUMMARIES: [(f64, [(f64, f64); 4]); 2] = [
    (
        0.0,
        [
            (0.242_594_543_4, 0.012_557_379_18),
            (4.413_602_716, 0.378_224_101_3),
            (0.792_921_833_3, 0.185_733_749_7),
            (2.425_905_729, 0.705_413_849_7),
        ],
    ),
    (
        0.01,
        [
            (0.242_942_002_7, 0.012_564_644_22),
            (4.432_506_424, 0.380_575_790_5),
            (0.285_642_801_3, 0.035_480_996_56),
            (0.658_459_386_1, 0.080_481_773_49),
        ],
    ),
];

#[test]
fn standard_errors_match_lifetimes_summary() {
    for (penalizer, summary) in LIFETIMES_SUMMARIES {
        let model = fit(F, &penalized(&cdnow_rows(), penalizer))
            .unwrap()
            .unwrap();
        let errors = model.fit.unwrap().std_errors.unwrap();
        let estimates = [model.r, model.alpha, model.a, model.b];
        for ((estimate, error), (coef, se)) in estimates.iter().zip(errors.values()).zip(summary) {
            assert!((estimate / coef - 1.0).abs() < 1e-3, "{estimate} {coef}");
            assert!(
                (error / se - 1.0).abs() < 0.01,
                "{penalizer}: {error} vs {se}"
            );
        }
    }
}

/// The standard errors by central differences of the analytic gradient, as the other fits take
/// them ([`super::super::uncertainty::standard_errors`]).
fn finite_difference_errors(kind: Kind, rows: &WeightedRows) -> (BgNbdModel, Vec<f64>) {
    let model = fit_kind(F, kind, rows).unwrap().unwrap();
    let problem = Problem::new("crm.t", rows, kind).unwrap();
    let penalized = Penalized {
        objective: &problem,
        penalizer: rows.penalizer(),
        scales: [1.0, problem.ages.last().copied().unwrap(), 1.0, 1.0],
    };
    let point = model.parameters().map(f64::ln);
    let errors =
        super::super::uncertainty::standard_errors(&penalized, &point, problem.total_weight)
            .unwrap();
    (model, errors.values().to_vec())
}

#[test]
fn analytic_hessian_matches_finite_differences() {
    let mut random = Random::new(7);
    let simulated = simulate(&mut random, 5_000, [0.75, 6.0, 0.9, 3.0]);
    for kind in [Kind::BgNbd, Kind::MbgNbd] {
        for rows in [
            cdnow_rows(),
            penalized(&cdnow_rows(), 0.01),
            simulated.clone(),
        ] {
            let (model, numeric) = finite_difference_errors(kind, &rows);
            let analytic = model.fit.unwrap().std_errors.unwrap();
            for (analytic, numeric) in analytic.values().iter().zip(&numeric) {
                assert!(
                    (analytic / numeric - 1.0).abs() < 1e-5,
                    "{kind:?}: {analytic} vs {numeric}"
                );
            }
        }
    }
    // Away from the estimate too (where the gradient term of the chain rule counts): the
    // Hessian against central differences of the analytic gradient, per entry.
    let rows = penalized(&cdnow_rows(), 0.05);
    for kind in [Kind::BgNbd, Kind::MbgNbd] {
        let problem = Problem::new("crm.t", &rows, kind).unwrap();
        let objective = Penalized {
            objective: &problem,
            penalizer: 0.05,
            scales: [1.0, 38.86, 1.0, 1.0],
        };
        let point = [0.3f64.ln(), 5.0f64.ln(), 0.7f64.ln(), 2.0f64.ln()];
        let analytic = problem.objective_hessian(&objective, &point);
        for i in 0..4 {
            let (mut up, mut down) = (point, point);
            up[i] += 1e-5;
            down[i] -= 1e-5;
            let upper = objective.value_and_gradient(&up).unwrap().1;
            let lower = objective.value_and_gradient(&down).unwrap().1;
            for j in 0..4 {
                let numeric = problem.total_weight * (upper[j] - lower[j]) / 2e-5;
                let scale = analytic[i][i].abs().max(analytic[j][j].abs()).sqrt()
                    * analytic[i][i].abs().min(analytic[j][j].abs()).sqrt();
                assert!(
                    (analytic[i][j] - numeric).abs() < 1e-6 * scale,
                    "{kind:?} ({i}, {j}): {} vs {numeric}",
                    analytic[i][j]
                );
            }
        }
    }
}

#[test]
fn a_fit_started_on_a_sample_ends_at_the_whole_datas_minimum() {
    let mut random = Random::new(20_261_205);
    let rows = simulate(&mut random, 30_000, [0.25, 4.0, 0.8, 2.5]);
    for kind in [Kind::BgNbd, Kind::MbgNbd] {
        for penalizer in [0.0, 0.01] {
            let rows = penalized(&rows, penalizer);
            let problem = Problem::new("crm.t", &rows, kind).unwrap();
            assert!(problem.repeat_rows.len() > 5_000);
            let objective = Penalized {
                objective: &problem,
                penalizer,
                scales: [1.0, problem.ages.last().copied().unwrap(), 1.0, 1.0],
            };
            let start = [0.0, 3.0f64.ln(), 0.0, 0.0];
            let cold = minimize(&objective, start).unwrap();
            for stride in [2, 10, 40] {
                let warm = minimize_sampled("test", &problem, &objective, start, stride)
                    .unwrap()
                    .unwrap();
                // Both stop on the same rule (the gradient's largest entry below 1e-9, or below
                // 1e-6 where the value no longer changes): the same minimum, to what that leaves
                // undetermined (the value to its rounding; on 30,000 customers up to about 1e-6
                // of a parameter along MBG/NBD's flat (a, b) ridge, far below its
                // standard error).
                assert!(warm.gradient_norm < 1e-6, "{warm:?}");
                assert!(
                    (warm.value / cold.value - 1.0).abs() < 1e-12,
                    "{warm:?} {cold:?}"
                );
                for (warm, cold) in warm.point.iter().zip(cold.point) {
                    assert!(
                        (warm - cold).abs() < 1e-5,
                        "{kind:?} {penalizer} {stride}: {warm} vs {cold}"
                    );
                }
            }
        }
    }
}

#[test]
fn the_sample_stands_for_every_customer() {
    let mut random = Random::new(3);
    let rows = simulate(&mut random, 4_000, [0.25, 4.0, 0.8, 2.5]);
    let problem = Problem::new("crm.t", &rows, Kind::BgNbd).unwrap();
    let sample = problem.subsample("test", 7).unwrap();
    assert_eq!(sample.zero_rows, problem.zero_rows);
    assert_eq!(
        sample.repeat_rows.len(),
        problem.repeat_rows.len().div_ceil(7)
    );
    let sampled_weight: f64 = sample.frequencies.iter().map(|(_, weight)| weight).sum();
    assert_eq!(sampled_weight, sample.total_weight);
    assert!((sample.total_weight / problem.total_weight - 1.0).abs() < 0.05);
    // A stride of 1 is the whole problem.
    let whole = problem.subsample("test", 1).unwrap();
    assert_eq!(whole.frequencies, problem.frequencies);
    assert_eq!(whole.repeat_rows, problem.repeat_rows);
    assert_eq!(whole.total_weight, problem.total_weight);
}

// ---------------------------------------------------------------------------------------------
// MBG/NBD.
// ---------------------------------------------------------------------------------------------

fn mbg_model(r: f64, alpha: f64, a: f64, b: f64) -> BgNbdModel {
    BgNbdModel::from_kind_parameters(F, Kind::MbgNbd, [r, alpha, a, b]).unwrap()
}

#[test]
fn mbg_analytic_gradient_matches_finite_differences() {
    let problem = Problem::new("crm.t", &cdnow_rows(), Kind::MbgNbd).unwrap();
    let point = [0.5f64.ln(), 6.0f64.ln(), 0.9f64.ln(), 1.6f64.ln()];
    let (value, gradient) = problem.value_and_gradient(&point).unwrap();
    for index in 0..4 {
        let (mut up, mut down) = (point, point);
        up[index] += 1e-6;
        down[index] -= 1e-6;
        let numeric = (problem.value_and_gradient(&up).unwrap().0
            - problem.value_and_gradient(&down).unwrap().0)
            / 2e-6;
        assert!(
            (numeric - gradient[index]).abs() < 1e-7,
            "{index}: {numeric} {}",
            gradient[index]
        );
    }
    // The merged problem is the sum of the customers' likelihoods.
    let model = mbg_model(0.5, 6.0, 0.9, 1.6);
    let direct: f64 = cdnow_sample()
        .iter()
        .map(|c| customer_log_likelihood(&model, c.frequency, c.recency, c.age))
        .sum();
    assert!(
        (-value * 2357.0 - direct).abs() < 1e-6 * direct.abs(),
        "{value} {direct}"
    );
}

#[test]
fn mbg_cdnow_fit_matches_the_paper_and_lifetimes() {
    // Batislam et al. (2007) on the CDNOW sample: r 0.525, α 6.183, a 0.891, b 1.614; lifetimes
    // 0.11.3 ModifiedBetaGeoFitter(penalizer_coef).fit(...).summary on the same customers.
    for (penalizer, summary) in [
        (
            0.0,
            [
                (0.524_842_903_1, 0.083_268_088_68),
                (6.183_081_764, 0.695_619_909),
                (0.891_359_517_3, 0.154_789_938),
                (1.614_002_931, 0.537_494_794),
            ],
        ),
        (
            0.01,
            [
                (0.615_250_621_9, 0.055_606_989_9),
                (6.738_559_37, 0.583_742_480_9),
                (0.499_080_008_5, 0.045_041_557_2),
                (0.672_275_215_4, 0.070_752_368_33),
            ],
        ),
    ] {
        let model = fit_kind(F, Kind::MbgNbd, &penalized(&cdnow_rows(), penalizer))
            .unwrap()
            .unwrap();
        assert_eq!(model.kind, Kind::MbgNbd);
        let errors = model.fit.unwrap().std_errors.unwrap();
        let estimates = [model.r, model.alpha, model.a, model.b];
        for ((estimate, error), (coef, se)) in estimates.iter().zip(errors.values()).zip(summary) {
            assert!(
                (estimate / coef - 1.0).abs() < 1e-3,
                "{penalizer}: {estimate} {coef}"
            );
            assert!(
                (error / se - 1.0).abs() < 0.01,
                "{penalizer}: {error} vs {se}"
            );
        }
        assert_forms_round_trip(&model);
        assert_eq!(
            model.encode().unwrap()[0],
            crate::clv::state::KIND_MODEL_VERSION
        );
        assert!(model
            .to_text()
            .unwrap()
            .starts_with(r#"{"model":"mbg_nbd","r":"#));
    }
    // The plain fit's log-likelihood: lifetimes' mean negative log-likelihood 0.2502254030 is
    // in its time scale (T / max T), where a customer's likelihood is (max T)^x times ours.
    let model = fit_kind(F, Kind::MbgNbd, &cdnow_rows()).unwrap().unwrap();
    let oldest = cdnow_sample().iter().map(|c| c.age).fold(0.0, f64::max);
    let repeats: f64 = cdnow_sample().iter().map(|c| f64::from(c.frequency)).sum();
    let lifetimes = -0.250_225_403_009_505_7 * 2357.0 - repeats * oldest.ln();
    let found = model.fit.unwrap().log_likelihood;
    assert!((found - lifetimes).abs() < 0.05, "{found} {lifetimes}");
}

#[test]
fn mbg_predictions_match_lifetimes() {
    // lifetimes 0.11.3 ModifiedBetaGeoFitter with params r 0.525, α 6.183, a 0.891, b 1.614.
    let model = mbg_model(0.525, 6.183, 0.891, 1.614);
    for (weeks, lifetimes) in [
        (1.0, 0.053_084_795_263_698_685),
        (3.0, 0.150_863_288_606_647_94),
        (32.0, 1.037_182_832_428_618_5),
        (78.0, 1.804_757_577_553_131_3),
    ] {
        let found = model.expected_purchases(F, weeks).unwrap();
        assert!((found / lifetimes - 1.0).abs() < 1e-9, "{weeks}: {found}");
    }
    for ((x, recency, age), expected, alive) in [
        (
            (2, 30.43, 38.86),
            1.262_960_623_267_343_2,
            0.706_202_265_118_487_3,
        ),
        (
            (0, 0.0, 38.86),
            0.154_012_746_675_145_53,
            0.389_735_080_918_762_9,
        ),
        (
            (5, 10.0, 38.86),
            0.095_619_447_589_239_83,
            0.025_305_520_749_527_75,
        ),
    ] {
        let found = model
            .conditional_expected_purchases(F, 39.0, x, recency, age)
            .unwrap();
        assert!((found / expected - 1.0).abs() < 1e-9, "{x}: {found}");
        let found = model.probability_alive(F, x, recency, age).unwrap();
        assert!((found / alive - 1.0).abs() < 1e-12, "{x}: {found}");
    }
    // Unlike BG/NBD, a one-off buyer may have left, and the more so the older.
    assert!(model.probability_alive(F, 0, 0.0, 0.0).unwrap() < 1.0);
    assert!(
        model.probability_alive(F, 0, 0.0, 50.0).unwrap()
            < model.probability_alive(F, 0, 0.0, 5.0).unwrap()
    );
    // a = 1 (the closed form's 0/0) is handled as for BG/NBD.
    let at_one = mbg_model(0.5, 3.0, 1.0, 2.0);
    let (near, below) = (
        mbg_model(0.5, 3.0, 1.001, 2.0),
        mbg_model(0.5, 3.0, 0.999, 2.0),
    );
    let value = at_one
        .conditional_expected_purchases(F, 30.0, 3, 20.0, 30.0)
        .unwrap();
    let neighbours = 0.5
        * (near
            .conditional_expected_purchases(F, 30.0, 3, 20.0, 30.0)
            .unwrap()
            + below
                .conditional_expected_purchases(F, 30.0, 3, 20.0, 30.0)
                .unwrap());
    assert!((value - neighbours).abs() < 1e-5, "{value} {neighbours}");
}

#[test]
fn mbg_forms_round_trip_and_refuse_bad_kinds() {
    let built = mbg_model(0.525, 6.183, 0.891, 1.614);
    assert_eq!(
        built.to_text().unwrap(),
        r#"{"model":"mbg_nbd","r":0.525,"alpha":6.183,"a":0.891,"b":1.614,"fit":null}"#
    );
    assert_eq!(
        BgNbdModel::from_text(&built.to_text().unwrap()).unwrap(),
        built
    );
    assert_eq!(BgNbdModel::decode(&built.encode().unwrap()).unwrap(), built);
    // "bg_nbd" spelled out reads as the BG/NBD model, which prints without it.
    let spelled = BgNbdModel::from_text(
        r#"{"model":"bg_nbd","r":0.243,"alpha":4.414,"a":0.793,"b":2.426,"fit":null}"#,
    )
    .unwrap();
    assert_eq!(spelled, paper_model());
    assert!(
        BgNbdModel::from_text(r#"{"model":"pareto","r":1,"alpha":1,"a":1,"b":1,"fit":null}"#)
            .is_err()
    );
    // A kind byte other than MBG/NBD's, and a fitted model without standard errors (count 0).
    let mut bytes = built.encode().unwrap();
    bytes[1] = 0;
    assert!(matches!(
        BgNbdModel::decode(&bytes),
        Err(MetricError::InvalidBinary(_))
    ));
    let fitted = fit_kind(F, Kind::MbgNbd, &cdnow_rows()).unwrap().unwrap();
    let without = BgNbdModel {
        fit: fitted.fit.map(|fit| FitInfo {
            std_errors: None,
            ..fit
        }),
        ..fitted
    };
    assert_eq!(
        BgNbdModel::decode(&without.encode().unwrap()).unwrap(),
        without
    );
    assert_eq!(
        BgNbdModel::from_text(&without.to_text().unwrap()).unwrap(),
        without
    );
}

#[test]
fn far_horizons_converge() {
    // z = t/(α+t) next to 1, where the connection formulas in 1 − z take over (references:
    // mpmath at 50 digits; 1000 Julian years in weeks; 9,287,785,714 weeks).
    for (model, horizon, expected) in [
        ((0.243, 4.41, 0.793, 2.43), 1e7, 92.524_190_116_530_87),
        (
            (0.243, 4.414, 0.793, 2.426),
            365_250.0 / 7.0,
            24.725_286_143_814_82,
        ),
        (
            (0.243, 4.414, 0.793, 2.426),
            9_287_785_714.285_715,
            412.683_784_423_192_45,
        ),
    ] {
        let (r, alpha, a, b) = model;
        let model = BgNbdModel::from_parameters(F, r, alpha, a, b).unwrap();
        let value = model.expected_purchases(F, horizon).unwrap();
        assert!(
            (value - expected).abs() <= 1e-12 * expected,
            "{horizon}: {value} against {expected}"
        );
    }
}

#[test]
fn a_next_to_one_with_b_on_a_node_of_the_read_off() {
    // b = 0.001 or 0.002 put a node of the read-off around a = 1 (at 1 − b) where c = 0 for a
    // new customer: the expectation was refused as not converging. mpmath at a = 1 + 1e-40.
    for (b, expected) in [
        (0.001, 0.443_304_177_222_053_8),
        (0.002, 0.443_693_758_951_657_1),
    ] {
        let model = BgNbdModel::from_parameters(F, 0.5, 4.5, 1.0, b).unwrap();
        let value = model.expected_purchases(F, 10.0).unwrap();
        assert!(
            (value - expected).abs() < 1e-7 * expected,
            "b = {b}: {value}"
        );
    }
    let model = BgNbdModel::from_parameters(F, 0.5, 4.5, 1.0, 0.001).unwrap();
    let value = model
        .conditional_expected_purchases(F, 10.0, 0, 0.0, 10.0)
        .unwrap();
    let expected = 0.230_781_499_104_673_83;
    assert!((value - expected).abs() < 1e-7 * expected, "{value}");
    // Across the band around a = 1 the answer moves smoothly (a = 0.999: 0.44330467367026).
    for a in [0.998, 0.9985, 0.999, 0.9995, 1.0005, 1.0009] {
        for b in [0.001, 0.002, 0.0015, 0.0025] {
            let model = BgNbdModel::from_parameters(F, 0.5, 4.5, a, b).unwrap();
            let value = model.expected_purchases(F, 10.0).unwrap();
            assert!((value - 0.4433).abs() < 1e-3, "a = {a}, b = {b}: {value}");
        }
    }
    let below = BgNbdModel::from_parameters(F, 0.5, 4.5, 0.999, 0.001).unwrap();
    let value = below.expected_purchases(F, 10.0).unwrap();
    assert!(
        (value - 0.443_304_673_670_260_1).abs() < 1e-7 * value,
        "{value}"
    );
}

#[test]
fn dropout_odds_keep_their_digits_at_large_alpha() {
    // (α + T) / (α + t_x) at α = 1e15 is 1 + 8.4e-15: its logarithm taken as a difference of
    // logarithms made P(alive) 1.35e-6 for 4.36e-4 (mpmath, 50 digits).
    let model = BgNbdModel::from_parameters(F, 1e15, 1e15, 1.0, 1.0).unwrap();
    let alive = model.probability_alive(F, 2, 30.43, 38.86).unwrap();
    let expected = 4.362_525_814_038_545e-4;
    assert!((alive - expected).abs() < 1e-9 * expected, "{alive}");
    let model = BgNbdModel::from_parameters(F, 1e15, 1e15, 2.0, 3.0).unwrap();
    let value = model
        .conditional_expected_purchases(F, 10.0, 2, 30.43, 38.86)
        .unwrap();
    let expected = 1.703_479_222_467_771e-3;
    assert!((value - expected).abs() < 1e-6 * expected, "{value}");
}

#[test]
fn dropout_odds_stay_finite_at_tiny_alpha() {
    // (T − t_x) / (α + t_x) overflows at α = 1e-308, t_x = 0: the odds come from the logarithms
    // of α + T and α + t_x then. MBG/NBD, no repeat purchase, T = 2 (mpmath, 50 digits).
    let model =
        BgNbdModel::from_kind_parameters(F, Kind::MbgNbd, [0.001, 1e-308, 1.0, 1.0]).unwrap();
    let alive = model.probability_alive(F, 0, 0.0, 2.0).unwrap();
    let expected = 0.329_623_288_970_611_6;
    assert!((alive - expected).abs() < 1e-12, "{alive}");
}
