//! ₂F₁ near z = 1 with large parameters: the connection formula's two terms (or the nodes of
//! its interpolation) cancel, and a value whose rounding shows is refused, so the callers fall
//! back to a series or report that nothing converged; never a wrong number. References: mpmath
//! at 40 to 60 digits, or the direct sum of the discounted survival.
use super::bgnbd::{customer_log_likelihood, BgNbdModel, Kind};
use super::gamma_gamma::{discounted_clv, GammaGammaModel};
use super::sbg::SbgModel;
use crate::common::error::MetricResult;

const F: &str = "crm.test";

/// E[X(t)] of a new customer, or E[Y(t) | x, t_x, T] of `customer`, of a model of `kind`.
fn expected_purchases(
    kind: Kind,
    parameters: [f64; 4],
    horizon: f64,
    customer: Option<(i32, f64, f64)>,
) -> MetricResult<f64> {
    let model = BgNbdModel::from_kind_parameters(F, kind, parameters).unwrap();
    match customer {
        None => model.expected_purchases(F, horizon),
        Some((x, t_x, t)) => model.conditional_expected_purchases(F, horizon, x, t_x, t),
    }
}

fn close(found: f64, expected: f64) -> bool {
    ((found - expected) / expected).abs() < 1e-6
}

/// sBG DERL and DEL at a discount rate below 1e-4 with β + n large.
#[test]
fn sbg_small_discount_rates_with_a_large_beta_plus_n() {
    // (α, β, periods survived, discount rate, Σ S(k)/S(n)/(1+d)^(k−n−1) summed directly)
    for (alpha, beta, n, rate, reference) in [
        (2.0, 3.0, 100_000, 9.9e-5, 8510.003573087883),
        (1.5, 1.182, 1_000_000, 9.9e-5, 9952.669356437356),
        (2.0, 3.0, 1_000_000, 1e-5, 84367.40750113846),
        (3.0, 0.2, 100_000, 9.9e-5, 7879.780272778619),
    ] {
        let model = SbgModel::from_parameters(F, alpha, beta).unwrap();
        let found = model.residual_lifetime(F, n, rate);
        assert!(
            matches!(found, Ok(value) if close(value, reference)),
            "DERL({alpha}, {beta}, {n}, {rate}) = {found:?}, not {reference}"
        );
    }
    let model = SbgModel::from_parameters(F, 2.0, 1e5).unwrap();
    let found = model.expected_lifetime(F, 9.9e-5);
    assert!(
        matches!(found, Ok(value) if close(value, 8510.123359161682)),
        "{found:?}"
    );
}

/// BG/NBD and MBG/NBD expected purchases with a large b and (α + T)/(α + T + t) below 1e-3,
/// and the CLV built on them.
#[test]
fn bgnbd_with_a_large_b_over_long_horizons() {
    type Case = (Kind, [f64; 4], f64, Option<(i32, f64, f64)>, f64);
    let cases: [Case; 6] = [
        (
            Kind::BgNbd,
            [0.2426, 4.4135, 0.7929, 1e6],
            1e4,
            None,
            549.0654391277601,
        ),
        (
            Kind::BgNbd,
            [0.2426, 4.4135, 0.7929, 3e4],
            4500.0,
            None,
            243.3889168679374,
        ),
        (
            Kind::BgNbd,
            [0.2426, 4.4135, 3.0, 3e4],
            4500.0,
            None,
            233.09122622771295,
        ),
        (
            Kind::MbgNbd,
            [0.2426, 4.4135, 0.891, 3e4],
            44000.0,
            Some((2, 30.43, 38.86)),
            2177.5123201275987,
        ),
        (
            Kind::BgNbd,
            [0.2426, 4.4135, 0.7929, 1e5],
            44000.0,
            Some((2, 30.43, 38.86)),
            2251.157517998104,
        ),
        // b = 1e4 is within the range a fit accepts.
        (
            Kind::BgNbd,
            [0.2426, 4.4135, 3.0, 1e4],
            44000.0,
            Some((2, 30.43, 38.86)),
            1549.6965089379262,
        ),
    ];
    for (kind, parameters, horizon, customer, reference) in cases {
        let found = expected_purchases(kind, parameters, horizon, customer);
        assert!(
            matches!(found, Ok(value) if close(value, reference)),
            "{kind:?} {parameters:?} {horizon} {customer:?}: {found:?}, not {reference}"
        );
    }
    // 12 months at 1 % a month, in days, for a new customer.
    let spend = GammaGammaModel::from_parameters(F, 6.25, 3.74, 15.44).unwrap();
    for (b, reference) in [(1e5, 9700.25861282742), (3e4, 9574.97627887562)] {
        let model =
            BgNbdModel::from_kind_parameters(F, Kind::BgNbd, [0.2426, 0.3, 0.7929, b]).unwrap();
        let clv = discounted_clv(F, &model, &spend, 0, 0.0, 0.0, 0.0, 12, 0.01, "day");
        assert!(
            matches!(clv, Ok(value) if close(value, reference)),
            "b = {b}: {clv:?}, not {reference}"
        );
    }
}

/// Pareto/NBD with α ≫ β and a heavy buyer (s = 1): the connection formula's terms (and the
/// interpolation between them) cancel past use here. It once said P(alive) = 1.0 where the
/// answer is 0.0170, and was then refused; the plain series of positive terms (about 10⁵ of
/// them) now answers. Exact values: mpmath at 50 digits.
#[test]
fn pareto_nbd_heavy_buyer_with_alpha_far_above_beta_matches_mpmath() {
    let model =
        BgNbdModel::from_kind_parameters(F, Kind::ParetoNbd, [0.8, 1e4, 1.0, 0.01]).unwrap();
    let near = |value: f64, exact: f64| (value - exact).abs() <= 1e-9 * exact.abs();
    let alive = model.probability_alive(F, 10_000, 300.0, 310.0).unwrap();
    assert!(near(alive, 0.017_015_341_574_898_008), "{alive}");
    let expected = model
        .conditional_expected_purchases(F, 52.0, 10_000, 300.0, 310.0)
        .unwrap();
    assert!(near(expected, 0.793_437_317_947_684_3), "{expected}");
    let log_likelihood = customer_log_likelihood(&model, 10_000, 300.0, 310.0);
    assert!(
        near(log_likelihood, -10_308.054_627_257_154),
        "{log_likelihood}"
    );
}

/// BG/NBD and MBG/NBD predictions whose value is small against (a + b + x − 1)/(a − 1): a
/// large b (the model tends to the plain NBD, E[X(t)] → rt/α), a tiny r, a horizon short
/// against α + T, a large α. The closed form subtracts a number next to 1 from 1 there (b =
/// 1e14 gave 0.5363 for 0.5505, b = 1e20 gave 53634, r = 1e-15 gave 0); the two series without
/// that subtraction answer to 1e-12. Exact values: mpmath at 80 digits.
#[test]
fn bgnbd_values_small_against_the_closed_forms_factor() {
    type Case = (Kind, [f64; 4], f64, Option<(i32, f64, f64)>, f64);
    let cdnow = |b: f64| [0.243, 4.414, 0.793, b];
    let cases: [Case; 20] = [
        (Kind::BgNbd, cdnow(1e8), 10.0, None, 0.550_521_063_177_978_7),
        (
            Kind::BgNbd,
            cdnow(1e10),
            10.0,
            None,
            0.550_521_069_263_406_4,
        ),
        (
            Kind::BgNbd,
            cdnow(1e14),
            10.0,
            None,
            0.550_521_069_324_869_3,
        ),
        (
            Kind::BgNbd,
            cdnow(1e20),
            10.0,
            None,
            0.550_521_069_324_875_4,
        ),
        (
            Kind::BgNbd,
            cdnow(1e100),
            10.0,
            None,
            0.550_521_069_324_875_4,
        ),
        (
            Kind::MbgNbd,
            cdnow(1e14),
            10.0,
            None,
            0.550_521_069_324_864_9,
        ),
        (
            Kind::MbgNbd,
            cdnow(1e20),
            10.0,
            None,
            0.550_521_069_324_875_4,
        ),
        (
            Kind::BgNbd,
            cdnow(1e8),
            10.0,
            Some((2, 5.0, 10.0)),
            1.556_125_942_655_667,
        ),
        (
            Kind::BgNbd,
            cdnow(1e14),
            10.0,
            Some((2, 5.0, 10.0)),
            1.556_125_988_622_127,
        ),
        (
            Kind::BgNbd,
            cdnow(1e20),
            10.0,
            Some((2, 5.0, 10.0)),
            1.556_125_988_622_173,
        ),
        (
            Kind::BgNbd,
            cdnow(1e8),
            10.0,
            Some((0, 0.0, 10.0)),
            0.168_586_096_273_847_8,
        ),
        (
            Kind::BgNbd,
            cdnow(1e14),
            10.0,
            Some((0, 0.0, 10.0)),
            0.168_586_096_850_283_9,
        ),
        (
            Kind::BgNbd,
            [1e-12, 4.414, 0.793, 2.426],
            10.0,
            None,
            1.856_795_588_770_396e-12,
        ),
        (
            Kind::BgNbd,
            [1e-15, 4.414, 0.793, 2.426],
            10.0,
            None,
            1.856_795_588_770_729e-15,
        ),
        (
            Kind::BgNbd,
            [1e-12, 4.414, 0.793, 2.426],
            10.0,
            Some((0, 0.0, 10.0)),
            6.436_916_587_346_582e-13,
        ),
        (
            Kind::BgNbd,
            cdnow(2.426),
            1e-9,
            None,
            5.505_210_693_057_798e-11,
        ),
        (
            Kind::BgNbd,
            cdnow(2.426),
            1e-12,
            None,
            5.505_210_693_248_563e-14,
        ),
        (
            Kind::BgNbd,
            [0.243, 1e12, 0.793, 2.426],
            10.0,
            None,
            2.429_999_999_996_279e-12,
        ),
        // A tiny b in MBG/NBD's P(alive), at a = 1 (the interpolated form): b + 1 − 1 lost b's
        // digits.
        (
            Kind::MbgNbd,
            [0.5, 3.0, 1.0, 1e-9],
            30.0,
            Some((0, 0.0, 30.0)),
            1.053_280_030_210_333e-10,
        ),
        // Ordinary parameters keep the closed form (the CDNOW fit, 10 weeks).
        (
            Kind::BgNbd,
            cdnow(2.426),
            10.0,
            Some((2, 5.0, 10.0)),
            0.840_501_161_488_407,
        ),
    ];
    for (kind, parameters, horizon, customer, reference) in cases {
        let found = expected_purchases(kind, parameters, horizon, customer);
        assert!(
            matches!(found, Ok(value) if ((value - reference) / reference).abs() < 1e-12),
            "{kind:?} {parameters:?} {horizon} {customer:?}: {found:?}, not {reference}"
        );
    }
}

/// Pareto/NBD's E[X(t)] with parameters near the bottom of the doubles: r·β underflowed before
/// the difference scaled it up (1e-300 everywhere gave 0 for 10, 1e-160 lost five digits).
/// Exact values: mpmath at 60 digits.
#[test]
fn pareto_nbd_expectation_of_tiny_parameters_matches_mpmath() {
    for (parameters, reference) in [
        ([1e-300, 1e-300, 1e-300, 1e-300], 10.0),
        ([1e-160, 1e-160, 0.5, 1e-160], 6.324_555_320_336_759e-80),
        ([1e-170, 1e-170, 0.5, 1e-170], 6.324_555_320_336_759e-85),
        ([0.553, 10.58, 0.606, 11.67], 0.427_526_164_837_229_5),
    ] {
        let model = BgNbdModel::from_kind_parameters(F, Kind::ParetoNbd, parameters).unwrap();
        let found = model.expected_purchases(F, 10.0);
        assert!(
            matches!(found, Ok(value) if ((value - reference) / reference).abs() < 1e-12),
            "{parameters:?}: {found:?}, not {reference}"
        );
    }
}
