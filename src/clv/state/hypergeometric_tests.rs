use super::*;

fn value(a: f64, b: f64, c: f64, z: f64, one_minus_z: f64) -> f64 {
    let (sign, log) = hyp2f1_log_unit(a, b, c, z, one_minus_z).unwrap();
    sign * log.exp()
}

fn assert_close(found: f64, expected: f64, relative: f64, what: &str) {
    assert!(
        (found - expected).abs() <= relative * expected.abs(),
        "{what}: {found} vs {expected} (relative error {:e})",
        (found / expected - 1.0).abs()
    );
}

/// z close to 1 as a pair (z, 1 − z) with 1 − z exact.
fn near_one(one_minus_z: f64) -> (f64, f64) {
    (1.0 - one_minus_z, one_minus_z)
}

#[test]
fn logarithm_closed_form_on_the_whole_interval() {
    // ₂F₁(1, 1; 2; z) = −ln(1 − z)/z: c − a − b = 0, the integer case of the connection formula.
    for w in [0.9, 0.5, 0.3, 0.25, 0.2, 0.1, 1e-2, 1e-4, 1e-8, 1e-12] {
        let (z, w) = near_one(w);
        assert_close(
            value(1.0, 1.0, 2.0, z, w),
            -w.ln() / z,
            1e-10,
            &format!("z = {z}"),
        );
    }
}

#[test]
fn power_closed_form_in_both_regimes() {
    // ₂F₁(a, b; b; z) = (1 − z)^−a, for a non-integer and an integer c − a − b = −a, and far
    // beyond the range of f64 (compared in log space).
    for a in [2.5, 3.0, 0.606, 26.553] {
        for w in [0.6, 0.24, 1e-3, 1e-9] {
            let (z, w) = near_one(w);
            let (sign, log) =
                hyp2f1_log_unit(a, 0.7, 0.7, z, w).unwrap_or_else(|| panic!("a = {a}, z = {z}"));
            assert_eq!(sign, 1.0);
            assert_close(log, -a * w.ln(), 1e-10, &format!("a = {a}, z = {z}"));
        }
    }
    let (_, log) = hyp2f1_log_unit(400.5, 1.2, 1.2, 0.999, 0.001).unwrap();
    assert_close(log, -400.5 * 0.001f64.ln(), 1e-12, "a = 400.5");
}

#[test]
fn pareto_nbd_form_matches_its_closed_form() {
    // The likelihood's form ₂F₁(a, b; a + 1; z) at a = 1: ₂F₁(1, b; 2; z) =
    // ((1 − z)^(1−b) − 1)/((b − 1) z), for b = s + 1 with s non-integer and integer, and for
    // b < 1 (the α < β regime's r + x).
    for b in [1.606, 3.0, 2.0, 0.553, 1.0 + 1e-5] {
        for w in [0.7, 0.26, 0.2, 1e-3, 1e-7, 1e-11] {
            let (z, w) = near_one(w);
            let expected = (w.powf(1.0 - b) - 1.0) / ((b - 1.0) * z);
            assert_close(
                value(1.0, b, 2.0, z, w),
                expected,
                1e-9,
                &format!("b = {b}, z = {z}"),
            );
        }
    }
}

#[test]
fn pareto_nbd_form_matches_mpmath() {
    // ln ₂F₁(a, b; a + 1; z) by mpmath.hyp2f1 at 40 digits.
    for (a, b, z, expected) in [
        (27.159, 1.606, 0.95, 4.204664712468569),
        (27.159, 1.606, 0.999_999, 12.171060972815644),
        (1.159, 1.606, 0.9999, 6.225117951669873),
        (1.159, 1.606, 0.5, 0.5809521815686978),
        (3.0, 2.0, 0.99, 5.637198543833995),
        (150.5, 1.606, 0.98, 5.92240703243672),
        (1.2, 26.553, 0.97, 86.57484776366233),
        (0.7, 3.0, 0.999, 12.766990532032766),
    ] {
        let (sign, log) = hyp2f1_log_unit(a, b, a + 1.0, z, 1.0 - z).unwrap();
        assert_eq!(sign, 1.0);
        assert_close(log, expected, 1e-11, &format!("{a} {b} {z}"));
    }
}

#[test]
fn refuses_arguments_outside_the_interval() {
    assert!(hyp2f1_log_unit(1.0, 1.0, 2.0, 1.0, 0.0).is_none());
    assert!(hyp2f1_log_unit(1.0, 1.0, 2.0, -0.1, 1.1).is_none());
    assert!(hyp2f1_log_unit(1.0, 1.0, 2.0, f64::NAN, 0.5).is_none());
}

#[test]
fn series_gradient_matches_the_value_and_its_differences() {
    // (a, b, z): small and large a and b, z = 0, and z where the plain series is chosen past
    // 1 − z < 0.25 because a + b is large.
    for (a, b, z) in [
        (1.0, 1.0, 0.5),
        (0.9, 1.3, 0.55),
        (40.0, 1.6, 0.7),
        (3.5, 0.004, 0.2),
        (2.0, 25.0, 0.1),
        (0.3, 1.2, 0.0),
        (120.0, 80.0, 0.9),
    ] {
        let series = hyp2f1_log_series_gradient(a, b, z, 1.0 - z).unwrap();
        let (_, log) = hyp2f1_log_unit(a, b, a + 1.0, z, 1.0 - z).unwrap();
        assert!(
            (series.log - log).abs() < 1e-13 * log.abs().max(1.0),
            "{a} {b} {z}"
        );
        let log_at = |a: f64, b: f64, z: f64| hyp2f1_log_unit(a, b, a + 1.0, z, 1.0 - z).unwrap().1;
        let h = 1e-5;
        let numeric = [
            (log_at(a + h, b, z) - log_at(a - h, b, z)) / (2.0 * h),
            (log_at(a, b + h * b, z) - log_at(a, b - h * b, z)) / (2.0 * h * b),
            if z > 0.0 {
                (log_at(a, b, z + h) - log_at(a, b, z - h)) / (2.0 * h)
            } else {
                (4.0 * log_at(a, b, h) - 3.0 * log_at(a, b, 0.0) - log_at(a, b, 2.0 * h))
                    / (2.0 * h)
            },
        ];
        for (found, expected) in [series.d_a, series.d_b, series.d_z].iter().zip(numeric) {
            assert!(
                (found - expected).abs() < 1e-6 * expected.abs().max(1e-3),
                "{a} {b} {z}: {found} vs {expected}"
            );
        }
    }
    // Near 1 with small parameters the connection formula is used: no series gradient.
    assert!(hyp2f1_log_series_gradient(0.8, 1.3, 0.99, 0.01).is_none());
}
