//! Small statistics helpers shared by families.
use super::error::{Float8, MetricError, MetricResult};

/// Two-sided standard-normal critical value for `confidence` (e.g. 0.95 → 1.959963984540054).
/// `function` names the SQL function in the error for a confidence outside (0, 1).
pub fn two_sided_z(function: &str, confidence: f64) -> MetricResult<f64> {
    if !(confidence > 0.0 && confidence < 1.0) {
        return Err(MetricError::OutOfRange(format!(
            "{function}: confidence {} is outside the open interval (0, 1)",
            Float8(confidence)
        )));
    }
    if confidence < SMALL_CONFIDENCE {
        // z = √2·erfinv(c) by its series: `1 - confidence` would drop the digits of a small
        // confidence (11 % off at 1e-16, 2e-5 at 1e-12). The next term, 127π³c⁷/40320, is below
        // 1e-19 of the sum here.
        let pi = std::f64::consts::PI;
        let square = confidence * confidence;
        let series = 1.0 + square * (pi / 12.0 + square * (7.0 * pi * pi / 480.0));
        return Ok((pi / 2.0).sqrt() * confidence * series);
    }
    // From the lower tail: `0.5 + confidence / 2` rounds to 1 (an infinite quantile) for a
    // confidence next to 1, while `1 - confidence` is exact there.
    Ok(-normal_quantile((1.0 - confidence) / 2.0))
}

/// Below this confidence [`two_sided_z`] takes the series of erfinv, whose omitted terms are
/// below 1e-19 relative there; at it, `1 - confidence` has lost about 2e-13 of the value.
const SMALL_CONFIDENCE: f64 = 1e-3;

/// Inverse of the standard normal CDF for `p` in (0, 1): Wichura's algorithm AS 241 (PPND16),
/// accurate to about 1e-16.
#[allow(clippy::excessive_precision, clippy::unreadable_literal)]
pub fn normal_quantile(p: f64) -> f64 {
    debug_assert!(p > 0.0 && p < 1.0);
    let q = p - 0.5;
    if q.abs() <= 0.425 {
        let r = 0.180625 - q * q;
        return q
            * (((((((2509.0809287301227 * r + 33430.575583588128) * r + 67265.7709270087) * r
                + 45921.95393154987)
                * r
                + 13731.693765509461)
                * r
                + 1971.5909503065513)
                * r
                + 133.14166789178438)
                * r
                + 3.3871328727963665)
            / (((((((5226.495278852545 * r + 28729.085735721943) * r + 39307.89580009271) * r
                + 21213.794301586597)
                * r
                + 5394.196021424751)
                * r
                + 687.1870074920579)
                * r
                + 42.31333070160091)
                * r
                + 1.0);
    }
    let tail = if q < 0.0 { p } else { 1.0 - p };
    let mut r = (-tail.ln()).sqrt();
    let value = if r <= 5.0 {
        r -= 1.6;
        (((((((7.745450142783414e-4 * r + 0.022723844989269184) * r + 0.2417807251774506) * r
            + 1.2704582524523684)
            * r
            + 3.6478483247632045)
            * r
            + 5.769497221460691)
            * r
            + 4.630337846156546)
            * r
            + 1.4234371107496835)
            / (((((((1.0507500716444169e-9 * r + 5.475938084995345e-4) * r
                + 0.015198666563616457)
                * r
                + 0.14810397642748008)
                * r
                + 0.6897673349851)
                * r
                + 1.6763848301838038)
                * r
                + 2.053191626637759)
                * r
                + 1.0)
    } else {
        r -= 5.0;
        (((((((2.0103343992922881e-7 * r + 2.7115555687434876e-5) * r + 1.2426609473880784e-3)
            * r
            + 0.026532189526576124)
            * r
            + 0.2965605718285049)
            * r
            + 1.7848265399172913)
            * r
            + 5.463784911164114)
            * r
            + 6.657904643501103)
            / (((((((2.0442631033899397e-15 * r + 1.421511758316446e-7) * r
                + 1.8463183175100548e-5)
                * r
                + 7.868691311456133e-4)
                * r
                + 0.014875361290850615)
                * r
                + 0.1369298809227358)
                * r
                + 0.599832206555888)
                * r
                + 1.0)
    };
    if q < 0.0 {
        -value
    } else {
        value
    }
}

/// Two-sided p-value of a standard-normal statistic: P(|Z| >= |z|) = erfc(|z|/√2).
/// In [0, 1] for every finite `z` (0 once the tail underflows).
pub fn two_sided_p_value(z: f64) -> f64 {
    erfc(z.abs() / std::f64::consts::SQRT_2).clamp(0.0, 1.0)
}

/// Complementary error function for `x >= 0`: below 2 as 1 − erf(x) from the series
/// erf(x) = (2/√π)·e^(−x²)·Σ (2x²)ⁿ·x / (1·3·…·(2n+1)), whose terms are all positive; from 2 on
/// the continued fraction √π·e^(x²)·erfc(x) = 1/(x + (1/2)/(x + 1/(x + (3/2)/(x + …)))),
/// evaluated with Lentz's method. Relative error about 1e-14 or better.
fn erfc(x: f64) -> f64 {
    const TWO_OVER_SQRT_PI: f64 = std::f64::consts::FRAC_2_SQRT_PI;
    if x < 2.0 {
        let mut term = x;
        let mut sum = x;
        let mut n = 0.0;
        while term > sum * 1e-17 {
            n += 1.0;
            term *= 2.0 * x * x / (2.0 * n + 1.0);
            sum += term;
        }
        return 1.0 - TWO_OVER_SQRT_PI * (-x * x).exp() * sum;
    }
    let tiny = 1e-300;
    let mut fraction = x;
    let mut c = x;
    let mut d = 0.0;
    for k in 1..10_000 {
        let a = f64::from(k) / 2.0;
        d = x + a * d;
        if d.abs() < tiny {
            d = tiny;
        }
        d = 1.0 / d;
        c = x + a / c;
        if c.abs() < tiny {
            c = tiny;
        }
        let delta = c * d;
        fraction *= delta;
        if (delta - 1.0).abs() < 1e-16 {
            break;
        }
    }
    TWO_OVER_SQRT_PI / 2.0 * (-x * x).exp() / fraction
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Found by the hostile-input tests: `crm.nps_margin_of_error(s, 1e-300)` was -0, then 0;
    /// z is about 1.2533 times a small confidence.
    #[test]
    fn the_smallest_confidences_give_a_positive_z() {
        for confidence in [1e-300, f64::MIN_POSITIVE, 5e-324, 1e-17] {
            let z = two_sided_z("crm.test", confidence).unwrap();
            assert!(z > 0.0 && z >= confidence, "{confidence}: {z}");
        }
        assert!(two_sided_z("crm.test", 0.95).unwrap() > 1.95);
    }

    #[test]
    fn erfc_matches_published_values() {
        // Reference values of erfc from the C library (they agree with Abramowitz & Stegun 7.1).
        let cases = [
            (0.0, 1.0),
            (0.5, 0.479_500_122_186_953_5),
            (1.0, 0.157_299_207_050_285_13),
            (1.999, 0.004_698_443_348_629_488),
            (2.0, 0.004_677_734_981_047_266),
            (3.0, 2.209_049_699_858_544e-5),
            (5.0, 1.537_459_794_428_035e-12),
            (10.0, 2.088_487_583_762_545e-45),
        ];
        for (x, expected) in cases {
            let got = erfc(x);
            assert!(
                ((got - expected) / expected).abs() < 1e-12,
                "erfc({x}) = {got}, expected {expected}"
            );
        }
        assert_eq!(erfc(40.0), 0.0);
    }

    #[test]
    fn small_confidences_keep_their_digits() {
        // √2·erfinv(c) in mpmath at 40 digits, on both sides of the switch to the series.
        for (confidence, expected) in [
            (1e-300, 1.253_314_137_315_500_3e-300),
            (1e-16, 1.253_314_137_315_500_3e-16),
            (2e-16, 2.506_628_274_631_000_5e-16),
            (1e-12, 1.253_314_137_315_500_3e-12),
            (1e-8, 1.253_314_137_315_500_3e-8),
            (1e-4, 0.000_125_331_414_059_666_9),
            (0.000_999, 0.001_252_061_150_311_871_5),
            (0.001, 0.001_253_314_465_432_554_5),
            (0.0011, 0.001_378_645_987_770_9),
            (0.05, 0.062_706_777_943_213_79),
        ] {
            let z = two_sided_z("f", confidence).unwrap();
            assert!(
                ((z - expected) / expected).abs() < 1e-12,
                "{confidence}: {z} != {expected}"
            );
        }
    }

    #[test]
    fn p_values_invert_the_quantiles() {
        for confidence in [0.5, 0.8, 0.9, 0.95, 0.99, 0.999, 0.999_999] {
            let z = two_sided_z("f", confidence).unwrap();
            let p = two_sided_p_value(z);
            assert!(
                ((p - (1.0 - confidence)) / (1.0 - confidence)).abs() < 1e-9,
                "{confidence}: {p}"
            );
            assert_eq!(two_sided_p_value(-z), p);
        }
        assert_eq!(two_sided_p_value(0.0), 1.0);
        assert_eq!(two_sided_p_value(1e300), 0.0);
    }

    #[test]
    fn quantiles_match_published_values() {
        // Values from standard normal tables (Abramowitz & Stegun 26.2).
        assert!((normal_quantile(0.975) - 1.959_963_984_540_054).abs() < 1e-12);
        assert!((normal_quantile(0.95) - 1.644_853_626_951_472_2).abs() < 1e-12);
        assert!((normal_quantile(0.995) - 2.575_829_303_548_900_4).abs() < 1e-12);
        assert!((normal_quantile(0.5)).abs() < 1e-15);
        assert!((normal_quantile(1e-10) + 6.361_340_902_404_056).abs() < 1e-9);
        assert!((normal_quantile(0.025) + 1.959_963_984_540_054).abs() < 1e-12);
    }

    #[test]
    fn confidence_must_be_inside_zero_one() {
        assert!(two_sided_z("f", 0.0).is_err());
        assert!(two_sided_z("f", 1.0).is_err());
        assert!(two_sided_z("f", f64::NAN).is_err());
        assert!((two_sided_z("f", 0.95).unwrap() - 1.959_963_984_540_054).abs() < 1e-12);
        // Next to 1, where 0.5 + c/2 rounds to 1: still finite (about 8.29 for 1 - 2^-53).
        let z = two_sided_z("f", 1.0 - f64::EPSILON / 2.0).unwrap();
        assert!(z.is_finite() && z > 8.0 && z < 8.5, "{z}");
        assert!(two_sided_z("f", f64::MIN_POSITIVE).unwrap().abs() < 1e-15);
    }
}
