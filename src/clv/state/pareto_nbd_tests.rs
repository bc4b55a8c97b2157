use super::*;
use crate::clv::state::bgnbd::{customer_key, fit_kind, BgNbdModel, Kind};
use crate::clv::state::simulate::cdnow_sample;

const F: &str = "crm.test";
/// The published estimates on the CDNOW sample (Fader, Hardie & Lee 2005).
const PAPER: Parameters = [0.553, 10.58, 0.606, 11.67];

fn cdnow_rows(penalizer: f64) -> WeightedRows {
    let mut rows = WeightedRows::default();
    for customer in cdnow_sample() {
        let key =
            customer_key(F, customer.frequency as i32, customer.recency, customer.age).unwrap();
        rows.add(F, key, 1).unwrap();
    }
    if penalizer > 0.0 {
        rows.set_penalizer(F, penalizer).unwrap();
    }
    rows
}

fn model(parameters: Parameters) -> BgNbdModel {
    BgNbdModel::from_kind_parameters(F, Kind::ParetoNbd, parameters).unwrap()
}

fn assert_relative(found: f64, expected: f64, relative: f64, what: &str) {
    assert!(
        (found / expected - 1.0).abs() <= relative,
        "{what}: {found} vs {expected}"
    );
}

/// ln L by the integral form, s∫ (α+y)^−(r+x) (β+y)^−(s+1) dy over [t_x, T] by Simpson's rule
/// on a grid in ln(y + min(α, β)), independent of ₂F₁.
fn integral_log_likelihood([r, alpha, s, beta]: Parameters, x: f64, recency: f64, age: f64) -> f64 {
    let low = alpha.min(beta);
    let (u0, u1) = ((recency + low).ln(), (age + low).ln());
    let steps = 200_000;
    let h = (u1 - u0) / steps as f64;
    let integrand = |u: f64| {
        let y = u.exp() - low;
        (alpha + y).powf(-(r + x)) * (beta + y).powf(-(s + 1.0)) * u.exp()
    };
    let mut sum = integrand(u0) + integrand(u1);
    for i in 1..steps {
        sum += integrand(u0 + i as f64 * h) * if i % 2 == 1 { 4.0 } else { 2.0 };
    }
    let integral = s * sum * h / 3.0;
    let alive = (alpha + age).powf(-(r + x)) * (beta + age).powf(-s);
    ln_gamma(r + x) - ln_gamma(r) + r * alpha.ln() + s * beta.ln() + (alive + integral).ln()
}

#[test]
fn likelihood_matches_the_integral_in_both_regimes() {
    for parameters in [
        PAPER,
        [0.553, 11.67, 0.606, 10.58],
        [0.8, 40.0, 1.7, 0.05],
        [1.3, 0.02, 2.0, 30.0],
        [0.4, 3.0, 1.0, 3.0],
    ] {
        for (x, recency, age) in [
            (0.0, 0.0, 38.86),
            (2.0, 30.43, 38.86),
            (26.0, 30.86, 31.0),
            (5.0, 1.0, 60.0),
        ] {
            let found = log_likelihood(parameters, x, recency, age).unwrap();
            let expected = integral_log_likelihood(parameters, x, recency, age);
            assert!(
                (found - expected).abs() < 1e-9 * expected.abs().max(1.0),
                "{parameters:?} ({x}, {recency}, {age}): {found} vs {expected}"
            );
        }
    }
}

#[test]
fn predictions_match_the_paper_and_lifetimes() {
    let paper = model(PAPER);
    // Fader, Hardie & Lee (2005): P(alive | 26, 30.86, 31) 0.9979, E[Y(52) | same] 25.46.
    assert_relative(
        paper.probability_alive(F, 26, 30.86, 31.0).unwrap(),
        0.997_918_784_406_867_1,
        1e-12,
        "alive",
    );
    let found = paper
        .conditional_expected_purchases(F, 52.0, 26, 30.86, 31.0)
        .unwrap();
    assert_relative(found, 25.457_367_217_517_51, 1e-11, "E[Y(52)]");
    // lifetimes 0.11.3 ParetoNBDFitter with the published parameters.
    for (weeks, lifetimes) in [
        (1.0, 0.050_970_312_679_182_23),
        (3.0, 0.146_034_390_861_817_08),
        (32.0, 1.055_722_575_221_071_3),
        (52.0, 1.472_761_258_884_888_4),
        (78.0, 1.909_099_244_879_796_5),
    ] {
        assert_relative(
            paper.expected_purchases(F, weeks).unwrap(),
            lifetimes,
            1e-12,
            "E[X]",
        );
    }
    for ((x, recency, age), alive, expected, log_likelihood) in [
        (
            (0, 0.0, 38.86),
            0.295_310_904_597_842_5,
            0.107_086_264_790_936_34,
            -0.521_006_470_568_333_5,
        ),
        (
            (2, 30.43, 38.86),
            0.869_171_482_120_260_3,
            1.455_075_199_265_843,
            -9.554_246_553_409_403,
        ),
        (
            (5, 10.0, 38.86),
            0.046_698_830_214_012_756,
            0.170_044_594_378_276_18,
            -14.611_856_858_115_065,
        ),
        (
            (1, 1.71, 38.86),
            0.168_028_829_662_682_34,
            0.171_113_554_725_853_43,
            -4.450_270_415_739_903,
        ),
    ] {
        assert_relative(
            paper.probability_alive(F, x, recency, age).unwrap(),
            alive,
            1e-11,
            "alive",
        );
        let found = paper
            .conditional_expected_purchases(F, 39.0, x, recency, age)
            .unwrap();
        assert_relative(found, expected, 1e-11, "E[Y(39)]");
        let found =
            crate::clv::state::bgnbd::customer_log_likelihood(&paper, x as u32, recency, age);
        assert_relative(found, log_likelihood, 1e-12, "ln L");
    }
    // s = 1, where the closed forms are 0/0: the limit, continuous with its neighbours.
    let at_one = model([0.5, 10.0, 1.0, 12.0]);
    let near = model([0.5, 10.0, 1.0 + 1e-7, 12.0]);
    assert_relative(
        at_one.expected_purchases(F, 52.0).unwrap(),
        near.expected_purchases(F, 52.0).unwrap(),
        1e-6,
        "s = 1",
    );
    let (a, b) = (
        at_one
            .conditional_expected_purchases(F, 52.0, 3, 20.0, 30.0)
            .unwrap(),
        near.conditional_expected_purchases(F, 52.0, 3, 20.0, 30.0)
            .unwrap(),
    );
    assert_relative(a, b, 1e-6, "s = 1, conditional");
}

#[test]
fn cdnow_fit_matches_the_paper_and_lifetimes() {
    let fitted = fit_kind(F, Kind::ParetoNbd, &cdnow_rows(0.0))
        .unwrap()
        .unwrap();
    // Fader, Hardie & Lee (2005): r 0.553, α 10.58, s 0.606, β 11.67, LL −9594.98; lifetimes
    // 0.11.3 ParetoNBDFitter().fit on the same customers.
    let lifetimes = [
        0.553_268_249_628_712_9,
        10.577_424_151_425_41,
        0.606_226_260_891_251_5,
        11.668_210_542_106_376,
    ];
    for (found, (published, lifetimes)) in
        fitted.parameters().iter().zip(PAPER.iter().zip(lifetimes))
    {
        assert_relative(*found, *published, 1e-3, "published");
        assert_relative(*found, lifetimes, 2e-4, "lifetimes");
    }
    // The published log-likelihood, and at least the likelihood at lifetimes' estimates (its
    // Nelder-Mead stops at a tolerance of 1e-4; the fixture's recency has two decimals, ours
    // the exact days / 7).
    let fit = fitted.fit.unwrap();
    assert!(
        (fit.log_likelihood - -9594.98).abs() < 0.01,
        "{}",
        fit.log_likelihood
    );
    let at_lifetimes: f64 = cdnow_sample()
        .iter()
        .map(|c| log_likelihood(lifetimes, f64::from(c.frequency), c.recency, c.age).unwrap())
        .sum();
    assert!(
        fit.log_likelihood >= at_lifetimes,
        "{} {at_lifetimes}",
        fit.log_likelihood
    );
    assert!(fit.std_errors.is_some());
    assert_relative(
        fitted.expected_purchases(F, 52.0).unwrap(),
        1.4734,
        1e-3,
        "E[X(52)]",
    );
    assert_eq!(fitted.kind, Kind::ParetoNbd);
    assert_eq!(
        BgNbdModel::from_text(&fitted.to_text().unwrap()).unwrap(),
        fitted
    );
    assert_eq!(
        BgNbdModel::decode(&fitted.encode().unwrap()).unwrap(),
        fitted
    );
    assert!(fitted
        .to_text()
        .unwrap()
        .starts_with(r#"{"model":"pareto_nbd","r":"#));
    // lifetimes penalizes the total negative log-likelihood (over its mean weight), not the
    // mean: its penalizer_coef 0.01 · 2357 is our 0.01.
    let penalized = fit_kind(F, Kind::ParetoNbd, &cdnow_rows(0.01))
        .unwrap()
        .unwrap();
    let lifetimes = [
        0.523_057_037_733_070_8,
        9.897_690_503_080_035,
        0.389_048_011_515_478_85,
        5.778_712_834_219_283,
    ];
    for (found, lifetimes) in penalized.parameters().iter().zip(lifetimes) {
        assert_relative(*found, lifetimes, 2e-3, "penalized");
    }
}

#[test]
fn forms_round_trip_and_name_s_and_beta() {
    let built = model(PAPER);
    assert_eq!(
        built.to_text().unwrap(),
        r#"{"model":"pareto_nbd","r":0.553,"alpha":10.58,"s":0.606,"beta":11.67,"fit":null}"#
    );
    assert_eq!(
        BgNbdModel::from_text(&built.to_text().unwrap()).unwrap(),
        built
    );
    assert_eq!(BgNbdModel::decode(&built.encode().unwrap()).unwrap(), built);
    for wrong in [
        r#"{"model":"pareto_nbd","r":1,"alpha":1,"a":1,"b":1,"fit":null}"#,
        r#"{"model":"pareto_nbd","r":1,"alpha":1,"s":1,"fit":null}"#,
        r#"{"r":1,"alpha":1,"s":1,"beta":1,"fit":null}"#,
        r#"{"model":"pareto_nbd","r":1,"alpha":1,"s":-1,"beta":1,"fit":null}"#,
    ] {
        assert!(BgNbdModel::from_text(wrong).is_err(), "{wrong}");
    }
    assert_eq!(
        Kind::ParetoNbd.parameter_names(),
        ["r", "alpha", "s", "beta"]
    );
}

#[test]
fn likelihood_is_accurate_where_lifetimes_is_not() {
    // ln L by mpmath at 60 digits (the ₂F₁ form with mpmath.hyp2f1, confirmed by quadrature
    // of the integral form), and what lifetimes 0.11.3 ParetoNBDFitter._conditional_log_likelihood
    // returns: NaN once scipy's ₂F₁ overflows (α < β and many purchases), an error of 2.4e-11 in
    // ln L (3e-4 of it) where z is within 1e-6 of 1 and c − a − b is an integer (s = 1), and
    // where it is right.
    for (parameters, (x, recency, age), expected, lifetimes) in [
        (
            [0.5, 1.0, 0.5, 100.0],
            (1000.0, 30.0, 40.0),
            2_463.232_123_025_820_4,
            f64::NAN,
        ),
        (
            [0.8, 1e4, 1.0, 0.01],
            (0.0, 0.0, 1e-3),
            -7.624_813_999_700_88e-8,
            -7.622_397_868_445_319e-8,
        ),
        (
            [0.5, 100.0, 0.5, 1.0],
            (1000.0, 30.0, 40.0),
            1_032.546_075_593_532,
            1_032.546_075_593_532,
        ),
        (
            [0.5, 1.0, 0.5, 30.0],
            (600.0, 30.0, 40.0),
            1_168.297_513_930_586_3,
            1_168.297_513_930_585_9,
        ),
        (
            [0.5, 500.0, 1.0, 0.5],
            (0.0, 0.0, 2.0),
            -8.032_537_983_314_2e-4,
            -8.032_537_983_337_917e-4,
        ),
    ] {
        // Errors in ln L, i.e. relative errors of L.
        let tolerance = 1e-12 * f64::abs(expected).max(1.0);
        let found = log_likelihood(parameters, x, recency, age).unwrap();
        assert!(
            (found - expected).abs() < tolerance,
            "{parameters:?} {x}: {found}"
        );
        let lifetimes_error = (lifetimes - expected).abs();
        assert!(lifetimes.is_nan() || lifetimes_error < tolerance || lifetimes_error > 1e-11);
    }
}

#[test]
fn the_analytic_gradient_matches_differences_of_the_likelihood() {
    // Rows with t_x < T, t_x = T and no purchase; parameters in both regimes (α ≥ β: b = s + 1,
    // α < β: b = r + x), with z close to 1 (the connection formula, differentiated numerically)
    // and α = β (z = 0).
    let customers = [
        (0, 0.0, 30.0),
        (1, 2.5, 30.0),
        (3, 29.0, 30.0),
        (7, 12.0, 38.0),
        (2, 20.0, 20.0),
        (25, 36.0, 39.0),
    ];
    let mut rows = WeightedRows::default();
    for (index, &(x, recency, age)) in customers.iter().enumerate() {
        rows.add(
            F,
            customer_key(F, x, recency, age).unwrap(),
            1 + index as u64,
        )
        .unwrap();
    }
    let problem = Problem::new("crm.t", &rows).unwrap();
    assert_eq!(problem.rows.len(), 6);
    assert!(problem.points.len() < 12);
    for parameters in [
        PAPER,
        [0.553, 11.67, 0.606, 10.58],
        [0.8, 40.0, 1.7, 0.05],
        [1.3, 0.02, 2.0, 30.0],
        [0.4, 3.0, 1.0, 3.0],
    ] {
        let point = parameters.map(f64::ln);
        let (value, gradient) = problem.value_and_gradient(&point).unwrap();
        assert_relative(value, problem.value(&point).unwrap(), 1e-13, "value");
        for index in 0..4 {
            let at = |step: f64| {
                let mut moved = point;
                moved[index] += step;
                problem.value(&moved).unwrap()
            };
            let h = 1e-4;
            let numeric = (8.0 * (at(h) - at(-h)) - (at(2.0 * h) - at(-2.0 * h))) / (12.0 * h);
            assert!(
                (numeric - gradient[index]).abs() < 1e-8 * gradient[index].abs().max(1.0),
                "{parameters:?} {index}: {numeric} vs {}",
                gradient[index]
            );
        }
    }
}

#[test]
fn expected_purchases_of_extreme_parameters_are_finite_or_an_error() {
    // r·β overflows before the power difference scales it down: r·t/α for t far below β.
    let value = model([0.5, 1e-300, 0.5, 1e300])
        .expected_purchases(F, 1e6)
        .unwrap();
    assert_relative(value, 0.5 * 1e6 / 1e-300, 1e-15, "extreme");
    // β·difference/α overflows too, and r scales it back: the product in logs (r·t/α).
    let value = model([1e-10, 1e-300, 0.5, 1e300])
        .expected_purchases(F, 1e10)
        .unwrap();
    assert_relative(value, 1e300, 1e-12, "logs");
    // Ordinary parameters keep the direct formula's bits.
    let [r, alpha, s, beta] = PAPER;
    let direct = r * beta / alpha * (-(-(s - 1.0) * (52.0 / beta).ln_1p()).exp_m1() / (s - 1.0));
    assert_eq!(
        model(PAPER).expected_purchases(F, 52.0).unwrap().to_bits(),
        direct.to_bits()
    );
    // Past the largest double: 22003.
    let error = model([1e300, 1e-300, 0.5, 1e300])
        .expected_purchases(F, 1e300)
        .unwrap_err();
    assert!(
        matches!(error, crate::common::error::MetricError::OutOfRange(_)),
        "{error:?}"
    );
}

#[test]
fn a_failing_fit_with_slow_evaluations_stops_near_its_budget() {
    // Purchases with recency and age 0 send the optimizer where one evaluation's series needs
    // millions of terms: the fit took 4 to 6 s to fail when the budget was checked only
    // between evaluations.
    let mut rows = WeightedRows::default();
    for (x, recency, age) in [(2, 0.0, 0.0), (0, 0.0, 0.0), (1, 0.0, 52.0)] {
        rows.add(F, customer_key(F, x, recency, age).unwrap(), 1)
            .unwrap();
    }
    let started = std::time::Instant::now();
    let failure = fit_kind(F, Kind::ParetoNbd, &rows).unwrap_err();
    let elapsed = started.elapsed();
    assert!(
        elapsed < std::time::Duration::from_millis(2500),
        "{elapsed:?}: {failure}"
    );
    assert!(
        failure.to_string().contains("1.0 s of optimizer time"),
        "{failure}"
    );
    // The deadline is the fit's only: outside it the same series run to their end.
    assert!(!crate::clv::state::optimize::evaluation_out_of_time());
}

#[test]
fn heavy_buyers_where_the_connection_formula_cancels_are_answered() {
    // β far above α and 500 purchases: ₂F₁(505, 502; 506; z) with 1 − z = 0.004, where the
    // connection formula's terms cancel in about four digits and the series needs ~10⁵ terms.
    // Reference: mpmath quadrature of the likelihood, 0.999940.
    let alive = model([2.0, 0.01, 3.0, 1e4])
        .probability_alive(F, 500, 39.9, 40.0)
        .unwrap();
    assert!((alive - 0.999_940).abs() < 1e-6, "{alive}");
}
