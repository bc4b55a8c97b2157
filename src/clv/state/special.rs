//! Special functions the CLV models need, in plain Rust.
//!
//! - `ln_gamma` is the `libm` crate's `lgamma` (a port of the FreeBSD/musl implementation).
//! - `digamma` is written here (recurrence up to x >= 10, then the asymptotic series): no small,
//!   well-kept crate offers it without pulling in a linear-algebra stack, and the gradients of
//!   every log-likelihood need it.
//! - `hyp2f1_log` is a Gauss hypergeometric series written here: the BG/NBD conditional
//!   expectation needs ₂F₁ for every real parameter it can meet (including c < 0 when a + b < 1)
//!   and for heavy buyers whose ₂F₁ exceeds the range of f64, so it sums in log space with a
//!   running scale and a bounded number of terms, and reports non-convergence instead of
//!   returning garbage.
use super::optimize::evaluation_out_of_time;
use crate::common::interrupt::Ticker;

/// ln Γ(x) for x > 0.
#[inline]
pub fn ln_gamma(x: f64) -> f64 {
    libm::lgamma(x)
}

/// Past this argument the sum of three ln Γ values in ln B loses the answer's digits.
const LARGE_BETA_ARGUMENT: f64 = 1e7;

/// How ln B(a, b) is taken: from three ln Γ values (`Ordinary`), from ln Γ(small) and the
/// ln Γ ratio of the large argument (`OneSided`: past 1e7 and at least 1e3 times the other),
/// or not at all (`BothLarge`: past 1e7 and within 1e3 of each other).
enum BetaPair {
    Ordinary,
    OneSided { small: f64, large: f64 },
    BothLarge,
}

fn beta_pair(a: f64, b: f64) -> BetaPair {
    let (small, large) = if a <= b { (a, b) } else { (b, a) };
    if large <= LARGE_BETA_ARGUMENT {
        BetaPair::Ordinary
    } else if large >= 1e3 * small.max(1.0) {
        BetaPair::OneSided { small, large }
    } else {
        BetaPair::BothLarge
    }
}

/// ln B(a, b) for a, b > 0. With one argument above 1e7 and 1e3 times the other (only models
/// built by hand reach it: fits keep their parameters within 1e-4 to 1e4), ln Γ(small) less
/// the ln Γ ratio of the large one ([`ln_gamma_ratio`]): the sum of three ln Γ values would
/// cancel ln Γ(large), about 3.8e18 at 1e17, to the spacing of doubles there (512).
#[inline]
pub fn ln_beta(a: f64, b: f64) -> f64 {
    match beta_pair(a, b) {
        BetaPair::OneSided { small, large } => {
            ln_gamma(small) - ln_gamma_ratio(large, small, large + small)
        }
        _ => ln_gamma(a) + ln_gamma(b) - ln_gamma(a + b),
    }
}

/// [`ln_beta`] where it keeps its digits, NaN where it does not: both arguments large (one past
/// 1e7 and less than 1e3 times the other), where the sum of three ln Γ values near a ln a
/// cancels to the spacing of doubles there (at γ = 1e12 and δ = 3e9 a BG/BB P(alive) came out
/// 3.6e-3 off, at 1e17 and 1e15 it came out 1). Predictions take it, so that such a model or
/// history is refused (not finite, 22003) rather than answered wrongly; the fits' likelihood
/// takes [`ln_beta`], whose parameters stay within 1e-4 to 1e4.
pub fn ln_beta_exact(a: f64, b: f64) -> f64 {
    match beta_pair(a, b) {
        BetaPair::BothLarge => f64::NAN,
        _ => ln_beta(a, b),
    }
}

/// ln Γ(w + h) − ln Γ(w), with `sum` = w + h as exactly as the caller has it. Where w is
/// large beside h, from the asymptotic series of ln Γ (four Bernoulli-polynomial terms, whose
/// rest is below 1e-15 of the result there): the difference of two ln Γ values of size w ln w
/// loses the digits of h ln w (at w = 2e9 and h = 2e-4 an expectation came out 2.5e-3 off).
/// Elsewhere ln Γ(`sum`) − ln Γ(w). The offset comes whole, not as the difference of two
/// arguments: at w = 1e7 the rounding of 1 + δ and γ + δ alone moved h = 1 − γ by 1e-5 of
/// itself; and the sum comes whole too: w + h computed here is 0 when h = 1 − γ, w = γ + δ
/// and γ outgrows 1 + δ in doubles.
pub fn ln_gamma_ratio(w: f64, h: f64, sum: f64) -> f64 {
    if w < 1e3 * h.abs().max(1.0) {
        return ln_gamma(sum) - ln_gamma(w);
    }
    // B₂ to B₅: ln Γ(w + x) ~ (w + x − ½) ln w − w + ½ ln 2π + Σ (−1)^(k+1) B_{k+1}(x) / (k (k+1) w^k),
    // at x = h less at x = 0.
    let bernoulli: [fn(f64) -> f64; 4] = [
        |x| x * x - x + 1.0 / 6.0,
        |x| x * x * x - 1.5 * x * x + 0.5 * x,
        |x| x.powi(4) - 2.0 * x.powi(3) + x * x - 1.0 / 30.0,
        |x| x.powi(5) - 2.5 * x.powi(4) + 5.0 / 3.0 * x.powi(3) - x / 6.0,
    ];
    let (mut series, mut power, mut sign) = (0.0, 1.0, 1.0);
    for (index, polynomial) in bernoulli.iter().enumerate() {
        let k = index as f64 + 1.0;
        power /= w;
        series += sign * (polynomial(h) - polynomial(0.0)) * power / (k * (k + 1.0));
        sign = -sign;
    }
    h * w.ln() + series
}

/// ψ(x) = d/dx ln Γ(x) for x > 0 (absolute error below 1e-13).
pub fn digamma(mut x: f64) -> f64 {
    let mut shift = 0.0;
    while x < 10.0 {
        shift -= 1.0 / x;
        x += 1.0;
    }
    let inverse = 1.0 / x;
    let inverse_squared = inverse * inverse;
    // Bernoulli-number coefficients of the asymptotic expansion.
    let series = inverse_squared
        * (1.0 / 12.0
            - inverse_squared
                * (1.0 / 120.0
                    - inverse_squared
                        * (1.0 / 252.0
                            - inverse_squared * (1.0 / 240.0 - inverse_squared * (1.0 / 132.0)))));
    shift + x.ln() - 0.5 * inverse - series
}

/// ψ′(x) = d²/dx² ln Γ(x) for x > 0 (relative error below 1e-13): the recurrence
/// ψ′(x) = ψ′(x + 1) + 1/x² up to x ≥ 10, then the asymptotic series.
pub fn trigamma(mut x: f64) -> f64 {
    let mut shift = 0.0;
    while x < 10.0 {
        shift += 1.0 / (x * x);
        x += 1.0;
    }
    let inverse = 1.0 / x;
    let inverse_squared = inverse * inverse;
    // 1/x + 1/(2x²) + Σ B₂ₖ / x^(2k+1).
    let series = inverse
        * (1.0
            + inverse
                * (0.5
                    + inverse
                        * (1.0 / 6.0
                            - inverse_squared
                                * (1.0 / 30.0
                                    - inverse_squared
                                        * (1.0 / 42.0
                                            - inverse_squared
                                                * (1.0 / 30.0
                                                    - inverse_squared * (5.0 / 66.0)))))));
    shift + series
}

/// ln(e^a + e^b) without overflow.
#[inline]
pub fn log_add_exp(a: f64, b: f64) -> f64 {
    let (high, low) = if a >= b { (a, b) } else { (b, a) };
    if low == f64::NEG_INFINITY {
        return high;
    }
    high + (low - high).exp().ln_1p()
}

/// The most terms `hyp2f1_log` sums before it gives up.
const MAX_SERIES_TERMS: usize = 20_000_000;
/// `hyp2f1_log` checks the deadline of a running fit every this many terms (about 3 ms).
const DEADLINE_TERMS: usize = 1 << 16;

/// ₂F₁(a, b; c; z) for real a, b > 0, c not a non-positive integer and 0 <= z < 1, as
/// `(sign, ln |value|)`; `None` when the series does not converge within the term budget, c is
/// (numerically) a non-positive integer, or a fit running on this thread is past its deadline.
pub fn hyp2f1_log(a: f64, b: f64, c: f64, z: f64) -> Option<(f64, f64)> {
    if !(0.0..1.0).contains(&z) || !a.is_finite() || !b.is_finite() || !c.is_finite() {
        return None;
    }
    // The sum is kept as `scale_log + ln(accumulated)`, rescaled when terms grow.
    let mut scale_log = 0.0_f64;
    let mut accumulated = 1.0_f64;
    let mut term_log = 0.0_f64;
    let mut term_sign = 1.0_f64;
    let mut ticker = Ticker::new();
    for n in 0..MAX_SERIES_TERMS {
        ticker.tick();
        if n % DEADLINE_TERMS == DEADLINE_TERMS - 1 && evaluation_out_of_time() {
            return None;
        }
        let index = n as f64;
        let denominator = (c + index) * (index + 1.0);
        if (c + index).abs() < 1e-12 {
            return None;
        }
        let ratio = (a + index) * (b + index) / denominator * z;
        if ratio == 0.0 {
            // A terminating series (a or b a non-positive integer) or z = 0.
            return finish(accumulated, scale_log);
        }
        term_log += ratio.abs().ln();
        term_sign *= ratio.signum();
        if term_log > scale_log + 300.0 {
            accumulated *= (scale_log - term_log).exp();
            scale_log = term_log;
        }
        let term = term_sign * (term_log - scale_log).exp();
        accumulated += term;
        // Past the peak the ratios tend to z, so the tail is bounded by a geometric series.
        let bound_ratio = ratio.abs().max(z);
        if ratio.abs() < 1.0 && index + 1.0 > -c {
            let tail = term.abs() * bound_ratio / (1.0 - bound_ratio);
            if tail <= 1e-17 * accumulated.abs() {
                return finish(accumulated, scale_log);
            }
        }
    }
    None
}

fn finish(accumulated: f64, scale_log: f64) -> Option<(f64, f64)> {
    if accumulated == 0.0 || !accumulated.is_finite() {
        return None;
    }
    Some((accumulated.signum(), scale_log + accumulated.abs().ln()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(found: f64, expected: f64, relative: f64) -> bool {
        (found - expected).abs() <= relative * expected.abs().max(1e-300)
    }

    #[test]
    fn trigamma_matches_known_values_and_the_digamma_slope() {
        let pi_squared = std::f64::consts::PI * std::f64::consts::PI;
        // ψ′(1) = π²/6, ψ′(1/2) = π²/2, ψ′(n + 1) = π²/6 − Σₖ≤ₙ 1/k².
        assert!(close(trigamma(1.0), pi_squared / 6.0, 1e-13));
        assert!(close(trigamma(0.5), pi_squared / 2.0, 1e-13));
        let partial: f64 = (1..=20).map(|k| 1.0 / f64::from(k * k)).sum();
        assert!(close(trigamma(21.0), pi_squared / 6.0 - partial, 1e-12));
        for x in [1e-3, 0.07, 0.8, 3.3, 9.99, 10.0, 47.0, 1e4] {
            let step = 1e-5 * x;
            let slope = (digamma(x + step) - digamma(x - step)) / (2.0 * step);
            assert!(close(trigamma(x), slope, 1e-6), "{x}");
        }
    }

    #[test]
    fn digamma_matches_known_values() {
        // ψ(1) = -γ, ψ(1/2) = -γ - 2 ln 2, ψ(10) = H_9 - γ.
        let euler = 0.577_215_664_901_532_9;
        assert!((digamma(1.0) + euler).abs() < 1e-13);
        assert!((digamma(0.5) + euler + 2.0 * 2f64.ln()).abs() < 1e-13);
        let harmonic_9: f64 = (1..=9).map(|k| 1.0 / k as f64).sum();
        assert!((digamma(10.0) - (harmonic_9 - euler)).abs() < 1e-13);
        // The derivative of ln Γ, numerically.
        for x in [0.01, 0.3, 2.5, 17.0, 1234.5] {
            let h = 1e-6 * x;
            let numeric = (ln_gamma(x + h) - ln_gamma(x - h)) / (2.0 * h);
            assert!(close(digamma(x), numeric, 1e-6), "x = {x}");
        }
    }

    #[test]
    fn hyp2f1_matches_closed_forms() {
        // ₂F₁(1, 1; 2; z) = -ln(1 - z)/z.
        for z in [0.1, 0.5, 0.9, 0.999] {
            let (sign, log) = hyp2f1_log(1.0, 1.0, 2.0, z).unwrap();
            assert_eq!(sign, 1.0);
            assert!(close(log.exp(), -(1.0 - z).ln() / z, 1e-12), "z = {z}");
        }
        // ₂F₁(a, b; b; z) = (1 - z)^-a, also far beyond the range of f64.
        let (_, log) = hyp2f1_log(2000.5, 3.25, 3.25, 0.75).unwrap();
        assert!(close(log, -2000.5 * 0.25f64.ln(), 1e-12));
        // ₂F₁(1/2, 1/2; 3/2; z²) = asin(z)/z, and a negative c: ₂F₁(1, 1; -0.5; z) by its
        // recurrence-free series checked against a direct sum.
        let (_, log) = hyp2f1_log(0.5, 0.5, 1.5, 0.25).unwrap();
        assert!(close(log.exp(), 0.5f64.asin() / 0.5, 1e-13));
        let direct: f64 = {
            let (mut term, mut sum) = (1.0, 1.0);
            for n in 0..200 {
                let n = n as f64;
                term *= (1.0 + n) * (1.0 + n) / ((-0.5 + n) * (n + 1.0)) * 0.3;
                sum += term;
            }
            sum
        };
        let (sign, log) = hyp2f1_log(1.0, 1.0, -0.5, 0.3).unwrap();
        assert!(close(sign * log.exp(), direct, 1e-12));
        assert!(hyp2f1_log(1.0, 1.0, -2.0, 0.3).is_none());
        assert!(hyp2f1_log(1.0, 1.0, 2.0, 1.0).is_none());
    }

    #[test]
    fn log_add_exp_is_stable() {
        assert!(close(log_add_exp(0.0, 0.0), 2f64.ln(), 1e-15));
        assert_eq!(log_add_exp(-1e308, f64::NEG_INFINITY), -1e308);
        assert!(close(
            log_add_exp(1000.0, 1000.0),
            1000.0 + 2f64.ln(),
            1e-15
        ));
    }
}
