//! The Gauss hypergeometric function ₂F₁(a, b; c; z) on the whole interval 0 <= z < 1, in log
//! space, as the Pareto/NBD likelihood needs it (parameters that grow with a customer's
//! purchases, arguments that approach 1 when one of α, β is much larger than the other).
//!
//! - For 1 − z >= [`SERIES_LIMIT`] the Gauss series, which needs about 36/(1 − z) terms:
//!   with a, b, c > 0 (the likelihood's case) every term is positive and it is summed in plain
//!   arithmetic, rescaled so that values beyond the range of f64 stay finite in log space;
//!   otherwise by [`hyp2f1_log`].
//! - Closer to 1 the value comes from the connection
//!   formula to 1 − z (Abramowitz & Stegun 15.3.6), with m = c − a − b:
//!   ₂F₁(a, b; c; z) = Γ(c)Γ(m)/(Γ(c−a)Γ(c−b)) ₂F₁(a, b; 1−m; 1−z) +
//!   (1−z)^m Γ(c)Γ(−m)/(Γ(a)Γ(b)) ₂F₁(c−a, c−b; 1+m; 1−z),
//!   both series in 1 − z < 0.25. The caller passes 1 − z
//!   computed from the data (not as 1 − z, which loses the digits that matter near 1).
//! - When m is an integer the two terms have poles that cancel (the limit holds logarithms); near
//!   one, the function, smooth in c, is interpolated by the polynomial through eight points
//!   with m shifted to ±h, ±2h, ±3h, ±4h around the integer, h = [`INTEGER_STEP`] times the
//!   smallest of 1/|ln(1 − z)|, c's distance to the nearest non-positive integer, and 1.
//! - For large a + b the connection formula's terms cancel (by ~(a + b)(1 − z) digits' worth):
//!   there the plain series is used as long as it needs no more than 100,000 terms. Wherever
//!   the terms (or the interpolation's nodes) cancel so far that their rounding would show past
//!   [`MAX_RELATIVE_ERROR`], the connection formula's value is not used: where every term of the
//!   plain series is positive (a, b, c > 0) that series is summed, up to
//!   [`FALLBACK_POSITIVE_TERMS`] terms; otherwise the value is refused (`None`) rather than
//!   returned wrong.
use super::optimize::evaluation_out_of_time;
use super::special::hyp2f1_log;
use crate::common::interrupt;

/// Smallest 1 − z summed by the plain series (at most ~150 terms).
pub const SERIES_LIMIT: f64 = 0.25;
/// The terms of the positive series are rescaled beyond this size.
const RESCALE: f64 = 1e250;
/// The spacing, times |ln(1 − z)|, of the nodes the connection formula is interpolated from
/// when m = c − a − b is within one spacing of an integer (its terms would cancel in more than
/// ~|ln(1 − z)|/0.01 parts).
const INTEGER_STEP: f64 = 0.01;
/// The most terms of the positive series where it is preferred to the connection formula.
const MAX_POSITIVE_TERMS: u32 = 100_000;
/// The most terms of the positive series where the connection formula's value is refused (about
/// 40 ms).
const FALLBACK_POSITIVE_TERMS: u32 = 20_000_000;
/// The positive series checks for interrupts and the deadline of a running fit every this many
/// terms.
const CHECK_TERMS: u32 = 1 << 16;
/// The largest relative error the connection formula's value may carry (estimated from the
/// rounding of its terms and how much they cancel); past it the value is refused and the
/// caller falls back to a series, or reports that nothing converged.
const MAX_RELATIVE_ERROR: f64 = 1e-7;

/// ₂F₁(a, b; c; z) for 0 <= z < 1 as `(sign, ln |value|)`, with `one_minus_z` = 1 − z computed
/// by the caller without cancellation; `None` when a series does not converge, c is a
/// non-positive integer, or the connection formula's value would be off by more than
/// [`MAX_RELATIVE_ERROR`].
pub fn hyp2f1_log_unit(a: f64, b: f64, c: f64, z: f64, one_minus_z: f64) -> Option<(f64, f64)> {
    if !((0.0..1.0).contains(&z) && one_minus_z > 0.0 && one_minus_z <= 1.0) {
        return None;
    }
    if one_minus_z >= SERIES_LIMIT || prefers_series(a, b, c, one_minus_z) {
        return if a > 0.0 && b > 0.0 && c > 0.0 {
            positive_series_log(a, b, c, z, MAX_POSITIVE_TERMS)
        } else {
            hyp2f1_log(a, b, c, z)
        };
    }
    let m = c - a - b;
    let offset = m - m.round();
    // The nodes' spacing: the function varies in c on the scale 1/|ln(1 − z)| (through
    // (1 − z)^m) and on the scale of c's distance to the poles of the Pochhammer symbols (c)ₙ
    // at 0, −1, −2, ..., and the interpolation error is ~(h/scale)⁸. Nodes as far apart as
    // that distance would straddle a pole (a + b near 0 puts c = a + b − 1 next to −1).
    let pole_distance = if c > 0.0 { c } else { (c - c.round()).abs() };
    let step = INTEGER_STEP * (1.0 / one_minus_z.ln().abs()).min(pole_distance).min(1.0);
    let connected = if offset.abs() >= step {
        connection(a, b, c, one_minus_z)
            .and_then(|(sign, log, error)| (error <= MAX_RELATIVE_ERROR).then_some((sign, log)))
    } else {
        interpolated(a, b, c, one_minus_z, offset, step)
    };
    // Refused (its terms cancel): with every term of the series positive, the series itself,
    // however many terms that takes within [`FALLBACK_POSITIVE_TERMS`].
    connected.or_else(|| {
        (a > 0.0 && b > 0.0 && c > 0.0)
            .then(|| positive_series_log(a, b, c, z, FALLBACK_POSITIVE_TERMS))
            .flatten()
    })
}

/// The connection formula at `c` with m = c − a − b within `step` of an integer (`offset` from
/// it), as the polynomial through its values at eight nodes around the integer.
fn interpolated(
    a: f64,
    b: f64,
    c: f64,
    one_minus_z: f64,
    offset: f64,
    step: f64,
) -> Option<(f64, f64)> {
    // Lagrange interpolation in the shift of c, from eight nodes at ±h, ±2h, ±3h, ±4h around
    // the integer, to the actual offset.
    let nodes = [-4.0, -3.0, -2.0, -1.0, 1.0, 2.0, 3.0, 4.0].map(|k| k * step);
    let (mut value, mut error) = (0.0, 0.0);
    for (i, node) in nodes.iter().enumerate() {
        let (sign, log, node_error) = connection(a, b, c - offset + node, one_minus_z)?;
        let mut weight = 1.0;
        for (j, other) in nodes.iter().enumerate() {
            if i != j {
                weight *= (offset - other) / (node - other);
            }
        }
        let term = weight * sign * log.exp();
        value += term;
        error += term.abs() * (node_error + f64::EPSILON);
    }
    // The nodes' values may cancel too: refused (the caller's fallback, or an error) where
    // their rounding would show in the sum.
    (value.is_finite() && value != 0.0 && error <= MAX_RELATIVE_ERROR * value.abs())
        .then(|| (value.signum(), value.abs().ln()))
}

/// Whether the plain series is the better way for z close to 1: its terms are all positive and
/// it needs about (a + b + 40)/(1 − z) of them, while the connection formula's two terms cancel
/// in about (a + b)(1 − z) digits' worth.
fn prefers_series(a: f64, b: f64, c: f64, one_minus_z: f64) -> bool {
    a > 0.0
        && b > 0.0
        && c > 0.0
        && (a + b) * one_minus_z > 1.0
        && (a + b + 40.0) / one_minus_z <= f64::from(MAX_POSITIVE_TERMS)
}

/// The Gauss series for a, b, c > 0 and 0 <= z < 1, at most `max_terms` of them: positive terms whose
/// ratios tend to z, summed until the geometric bound of the tail is below the rounding.
fn positive_series_log(a: f64, b: f64, c: f64, z: f64, max_terms: u32) -> Option<(f64, f64)> {
    let (mut term, mut sum, mut scale_log) = (1.0_f64, 1.0_f64, 0.0_f64);
    // The terms grow while (a+n)(b+n) z > (c+n)(n+1), at most to n ≈ (a + b) z/(1 − z), then
    // decay at least as fast as the ratio bound.
    for n in 0..max_terms {
        if n % CHECK_TERMS == CHECK_TERMS - 1 {
            interrupt::check();
            if evaluation_out_of_time() {
                return None;
            }
        }
        let index = f64::from(n);
        let ratio = (a + index) * (b + index) / ((c + index) * (index + 1.0)) * z;
        term *= ratio;
        sum += term;
        if sum > RESCALE {
            term /= RESCALE;
            sum /= RESCALE;
            scale_log += RESCALE.ln();
        }
        let bound = ratio.max(z);
        if bound < 1.0 && term * bound <= 1e-17 * (1.0 - bound) * sum {
            return Some((1.0, scale_log + sum.ln()));
        }
    }
    None
}

/// ln ₂F₁(a, b; a + 1; z) with its derivatives in a, b and z, for a, b > 0 where
/// [`hyp2f1_log_unit`] sums the plain series (`None` elsewhere: the caller differentiates
/// numerically). With c = a + 1 the terms are a/(a+n) · (b)ₙ/n! · zⁿ, so the derivatives are
/// series of the same terms times n/(a(a+n)) (in a), ψₙ = Σ 1/(b+k) over k < n (in b) and n/z
/// (in z), all positive and summed in the same loop.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LogSeries {
    pub log: f64,
    pub d_a: f64,
    pub d_b: f64,
    pub d_z: f64,
}

/// See [`LogSeries`].
pub fn hyp2f1_log_series_gradient(a: f64, b: f64, z: f64, one_minus_z: f64) -> Option<LogSeries> {
    let c = a + 1.0;
    let valid =
        (0.0..1.0).contains(&z) && one_minus_z > 0.0 && one_minus_z <= 1.0 && a > 0.0 && b > 0.0;
    if !(valid && (one_minus_z >= SERIES_LIMIT || prefers_series(a, b, c, one_minus_z))) {
        return None;
    }
    // term = (b)ₙ/n! · zⁿ · a/(a+n); the sums of term, term·n/(a(a+n)), term·ψₙ and term·n.
    let (mut power, mut sum, mut sum_a, mut sum_b, mut sum_z) = (1.0_f64, 1.0, 0.0, 0.0, 0.0);
    let (mut psi, mut scale_log) = (0.0_f64, 0.0_f64);
    for n in 1..MAX_POSITIVE_TERMS {
        let index = f64::from(n);
        let ratio = (b + index - 1.0) / index * z;
        power *= ratio;
        psi += 1.0 / (b + index - 1.0);
        let term = power * a / (a + index);
        sum += term;
        sum_a += term * index / (a * (a + index));
        sum_b += term * psi;
        sum_z += term * index;
        if sum > RESCALE {
            for value in [&mut power, &mut sum, &mut sum_a, &mut sum_b, &mut sum_z] {
                *value /= RESCALE;
            }
            scale_log += RESCALE.ln();
        }
        // The terms decay at least as fast as `bound` from here; the derivative series' terms
        // are the value's times factors growing at most linearly in n (ψₙ grows like ln n), so
        // their tails are bounded by the value's times (n + 1/(1 − bound))/(1 − bound).
        let bound = (ratio * (a + index) / (a + index + 1.0)).max(z);
        if bound < 1.0 {
            let tail = term * bound / (1.0 - bound);
            let linear = index + 1.0 / (1.0 - bound);
            if tail <= 1e-17 * sum
                && tail * linear * (psi + 1.0 / b) <= 1e-17 * sum_b.max(f64::MIN_POSITIVE)
                && tail * linear <= 1e-17 * sum_z.max(f64::MIN_POSITIVE)
                && tail * linear / a <= 1e-17 * sum_a.max(f64::MIN_POSITIVE)
            {
                let d_z = if z > 0.0 { sum_z / z / sum } else { a * b / c };
                return Some(LogSeries {
                    log: scale_log + sum.ln(),
                    d_a: sum_a / sum,
                    d_b: sum_b / sum,
                    d_z,
                });
            }
        }
    }
    None
}

/// ln |Γ(x)| and its sign; `None` at a pole (x a non-positive integer), where 1/Γ(x) = 0.
fn ln_gamma_signed(x: f64) -> Option<(f64, f64)> {
    if x <= 0.0 && x == x.floor() {
        return None;
    }
    let (log, sign) = libm::lgamma_r(x);
    log.is_finite().then_some((f64::from(sign), log))
}

/// The connection formula for a non-integer m = c − a − b: `(sign, ln |value|, relative
/// error)`. Each term's logarithm is a sum of logarithms of Gamma functions and a series, each
/// rounded by about a unit of its last place: the term is off by about the sum of their
/// magnitudes times ε, relatively. Where the two terms have opposite signs, their difference
/// is off by that times how much larger the larger term is than the difference.
fn connection(a: f64, b: f64, c: f64, w: f64) -> Option<(f64, f64, f64)> {
    let m = c - a - b;
    let (sign_c, log_c) = ln_gamma_signed(c)?;
    let (sign_m, log_m) = ln_gamma_signed(m)?;
    let (sign_minus_m, log_minus_m) = ln_gamma_signed(-m)?;
    let rounding = |logs: &[f64]| f64::EPSILON * (1.0 + logs.iter().map(|x| x.abs()).sum::<f64>());
    // A pole of Γ(c − a) or Γ(c − b) (Γ(a), Γ(b)) makes the first (second) term vanish.
    let first = match (ln_gamma_signed(c - a), ln_gamma_signed(c - b)) {
        (Some((sign_ca, log_ca)), Some((sign_cb, log_cb))) => {
            let (sign_f, log_f) = hyp2f1_log(a, b, 1.0 - m, w)?;
            Some((
                (
                    sign_c * sign_m * sign_ca * sign_cb * sign_f,
                    log_c + log_m - log_ca - log_cb + log_f,
                ),
                rounding(&[log_c, log_m, log_ca, log_cb, log_f]),
            ))
        }
        _ => None,
    };
    let second = match (ln_gamma_signed(a), ln_gamma_signed(b)) {
        (Some((sign_a, log_a)), Some((sign_b, log_b))) => {
            let (sign_f, log_f) = hyp2f1_log(c - a, c - b, 1.0 + m, w)?;
            let power = m * w.ln();
            Some((
                (
                    sign_c * sign_minus_m * sign_a * sign_b * sign_f,
                    log_c + log_minus_m - log_a - log_b + power + log_f,
                ),
                rounding(&[log_c, log_minus_m, log_a, log_b, power, log_f]),
            ))
        }
        _ => None,
    };
    match (first, second) {
        (Some((first, first_error)), Some((second, second_error))) => {
            let (sign, log) = signed_log_add(first, second)?;
            // |first| + |second| over |first + second|: 1 unless they cancel.
            let amplification = (first.1 - log).exp() + (second.1 - log).exp();
            Some((sign, log, first_error.max(second_error) * amplification))
        }
        (Some((only, error)), None) | (None, Some((only, error))) => Some((only.0, only.1, error)),
        (None, None) => None,
    }
}

/// ln |x + y| and its sign from signed logs; `None` when they cancel exactly.
fn signed_log_add((sign_x, log_x): (f64, f64), (sign_y, log_y): (f64, f64)) -> Option<(f64, f64)> {
    let ((sign_high, high), (sign_low, low)) = if log_x >= log_y {
        ((sign_x, log_x), (sign_y, log_y))
    } else {
        ((sign_y, log_y), (sign_x, log_x))
    };
    let ratio = (low - high).exp();
    let scaled = if sign_high == sign_low {
        ratio.ln_1p()
    } else if ratio < 1.0 {
        (-ratio).ln_1p()
    } else {
        return None;
    };
    let log = high + scaled;
    log.is_finite().then_some((sign_high, log))
}

#[cfg(test)]
#[path = "hypergeometric_tests.rs"]
mod tests;
