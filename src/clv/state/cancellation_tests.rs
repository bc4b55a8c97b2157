//! ₂F₁ near z = 1 with large parameters: the connection formula's two terms (or the nodes of
//! its interpolation) cancel, and a value whose rounding shows is refused, so the callers fall
//! back to a series or report that nothing converged; never a wrong number. References: mpmath
//! at 40 to 60 digits, or the direct sum of the discounted survival.
use super::bgnbd::{customer_log_likelihood, BgNbdModel, Kind};
use super::gamma_gamma::{discounted_clv, GammaGammaModel};
use super::sbg::SbgModel;

const F: &str = "crm.test";

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
        let model = BgNbdModel::from_kind_parameters(F, kind, parameters).unwrap();
        let found = match customer {
            None => model.expected_purchases(F, horizon),
            Some((x, t_x, t)) => model.conditional_expected_purchases(F, horizon, x, t_x, t),
        };
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
