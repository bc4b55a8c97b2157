//! Unit tests of the BG/BB math against the published donations numbers, lifetimes and direct
//! sums.
use super::*;
use crate::clv::state::simulate::Random;

const F: &str = "crm.test";

/// The donations data (Fader, Hardie & Shang 2010): (x, t_x, weight), n = 6, as
/// tests/fixtures/donations.csv holds it.
const DONATIONS: [(i32, i32, u64); 22] = [
    (0, 0, 3464),
    (1, 1, 1091),
    (1, 2, 277),
    (1, 3, 129),
    (1, 4, 78),
    (1, 5, 119),
    (1, 6, 129),
    (2, 2, 613),
    (2, 3, 255),
    (2, 4, 155),
    (2, 5, 173),
    (2, 6, 234),
    (3, 3, 322),
    (3, 4, 181),
    (3, 5, 225),
    (3, 6, 357),
    (4, 4, 240),
    (4, 5, 284),
    (4, 6, 512),
    (5, 5, 335),
    (5, 6, 728),
    (6, 6, 1203),
];

fn donations() -> WeightedRows {
    let mut rows = WeightedRows::default();
    for (x, t_x, weight) in DONATIONS {
        rows.add(F, customer_key(F, x, t_x, 6).unwrap(), weight)
            .unwrap();
    }
    rows
}

fn model(alpha: f64, beta: f64, gamma: f64, delta: f64) -> BgBbModel {
    BgBbModel::from_parameters(F, alpha, beta, gamma, delta).unwrap()
}

#[test]
fn donations_fit_reproduces_the_paper() {
    let rows = donations();
    assert_eq!(rows.customers(), 11_104);
    let fitted = fit(F, &rows).unwrap().unwrap();
    // Fader, Hardie & Shang (2010): α 1.204, β 0.750, γ 0.657, δ 2.784, LL −33,225.6.
    for (value, published) in [
        (fitted.alpha, 1.2035),
        (fitted.beta, 0.7497),
        (fitted.gamma, 0.6568),
        (fitted.delta, 2.7838),
    ] {
        assert!((value - published).abs() < 5e-4, "{fitted:?}");
    }
    let info = fitted.fit.unwrap();
    assert!((info.log_likelihood + 33_225.58).abs() < 0.01, "{info:?}");
    assert_eq!((info.customers, info.distinct_rows), (11_104, 22));
    // Expected donations in the next 10 opportunities of a 4-of-6 donor last seen at 5: 3.628.
    let next = fitted
        .conditional_expected_purchases(F, 4, 5, 6, 10)
        .unwrap();
    assert!((next - 3.628).abs() < 5e-4, "{next}");
    assert_eq!(
        BgBbModel::decode(&fitted.encode().unwrap()).unwrap(),
        fitted
    );
    assert_eq!(
        BgBbModel::from_text(&fitted.to_text().unwrap()).unwrap(),
        fitted
    );
}

#[test]
fn standard_errors_match_lifetimes_summary() {
    // lifetimes 0.11.3, BetaGeoBetaBinomFitter().fit(donations).summary, se(coef).
    let fitted = fit(F, &donations()).unwrap().unwrap();
    let errors = fitted.fit.unwrap().std_errors.unwrap();
    let lifetimes = [0.069_391, 0.029_448, 0.051_010, 0.320_819];
    for (error, se) in errors.values().iter().zip(lifetimes) {
        assert!((error / se - 1.0).abs() < 0.01, "{error} vs {se}");
    }
    assert!(fitted.to_text().unwrap().contains(r#""std_errors":["#));
}

#[test]
fn predictions_agree_with_lifetimes() {
    // lifetimes 0.11.3, BetaGeoBetaBinomFitter at these parameters (its fit of the donations):
    // conditional_probability_alive(1, x, t_x, 6) and
    // conditional_expected_number_of_purchases_up_to_time(10, x, t_x, 6).
    let lifetimes = model(
        1.203_522_393_608,
        0.749_716_358_176,
        0.656_718_169_55,
        2.783_441_982_888,
    );
    for (x, t_x, alive, next) in [
        (0, 0, 0.108_133_28, 0.130_218_09),
        (1, 1, 0.069_461_81, 0.153_151_52),
        (4, 5, 0.696_800_12, 3.627_967_72),
        (6, 6, 0.930_433_58, 6.706_378_45),
        (3, 6, 0.930_433_58, 3.913_420_47),
    ] {
        let p = lifetimes.probability_alive(F, x, t_x, 6).unwrap();
        assert!((p - alive).abs() < 1e-7, "{x} {t_x}: {p}");
        let e = lifetimes
            .conditional_expected_purchases(F, x, t_x, 6, 10)
            .unwrap();
        assert!((e - next).abs() < 1e-7, "{x} {t_x}: {e}");
    }
    // E[X(6)] from lifetimes' expected_number_of_transactions_in_first_n_periods(6): the mean
    // of its distribution of x.
    let mean = lifetimes.expected_purchases(F, 6).unwrap();
    assert!((mean - 2.220_169_363_68).abs() < 1e-8, "{mean}");
}

/// P(alive at opportunity t) = B(γ, δ + t)/B(γ, δ).
fn alive_at(m: &BgBbModel, t: f64) -> f64 {
    (ln_beta(m.gamma, m.delta + t) - ln_beta(m.gamma, m.delta)).exp()
}

#[test]
fn closed_forms_agree_with_direct_sums() {
    for m in [
        model(1.2, 0.75, 0.66, 2.8),
        model(0.4, 2.0, 1.0, 1.5),
        model(0.4, 2.0, 1.0 + 3e-7, 1.5),
        model(0.4, 2.0, 1.0 - 5e-8, 1.5),
        model(2.5, 1.1, 3.0, 0.7),
    ] {
        let p = m.alpha / (m.alpha + m.beta);
        let direct: f64 = (1..=25).map(|t| p * alive_at(&m, f64::from(t))).sum();
        let closed = m.expected_purchases(F, 25).unwrap();
        assert!(
            (closed / direct - 1.0).abs() < 2e-7,
            "{m:?}: {closed} {direct}"
        );
        assert_eq!(m.expected_purchases(F, 0).unwrap(), 0.0);
        // Conditional: P(alive at n + k | history) · E[p | x, n] summed over k.
        let (x, t_x, n) = (2, 4, 7);
        let (ln_l, _) = m.parameters().log_likelihood(2.0, 4.0, 7.0);
        let posterior = (ln_beta(m.alpha + 3.0, m.beta + 5.0)
            - ln_beta(m.alpha, m.beta)
            - ln_beta(m.gamma, m.delta)
            - ln_l)
            .exp();
        let direct: f64 = (1..=12)
            .map(|k| posterior * (ln_beta(m.gamma, m.delta + 7.0 + f64::from(k))).exp())
            .sum();
        let closed = m.conditional_expected_purchases(F, x, t_x, n, 12).unwrap();
        assert!(
            (closed / direct - 1.0).abs() < 2e-7,
            "{m:?}: {closed} {direct}"
        );
        // The likelihoods of every history of n opportunities sum to 1.
        let mut total = 0.0;
        for t_x in 0..=5 {
            let xs = if t_x == 0 { 0..=0 } else { 1..=t_x };
            for x in xs {
                // Histories with x transactions, the last at t_x: C(t_x − 1, x − 1) of them.
                let ways = if t_x == 0 {
                    1.0
                } else {
                    binomial(t_x - 1, x - 1)
                };
                let (ln_l, _) = m
                    .parameters()
                    .log_likelihood(f64::from(x), f64::from(t_x), 5.0);
                total += ways * ln_l.exp();
            }
        }
        assert!((total - 1.0).abs() < 1e-12, "{m:?}: {total}");
    }
}

fn binomial(n: i32, k: i32) -> f64 {
    (0..k).fold(1.0, |product, i| {
        product * f64::from(n - i) / f64::from(i + 1)
    })
}

#[test]
fn the_gradient_is_the_likelihood_s_derivative() {
    let problem = Problem::new("crm.t", &donations()).unwrap();
    let point = [0.1, -0.3, -0.4, 1.0];
    let (_, gradient) = problem.value_and_gradient(&point).unwrap();
    for index in 0..4 {
        let step = 1e-6;
        let (mut up, mut down) = (point, point);
        up[index] += step;
        down[index] -= step;
        let numeric = (problem.value_and_gradient(&up).unwrap().0
            - problem.value_and_gradient(&down).unwrap().0)
            / (2.0 * step);
        assert!(
            (numeric - gradient[index]).abs() < 1e-7,
            "{index}: {numeric} {gradient:?}"
        );
    }
}

#[test]
fn a_long_history_stops_summing_once_the_rest_is_negligible() {
    let m = model(1.2, 0.75, 0.66, 2.8);
    // Two hundred thousand opportunities without a transaction: finite, and P(alive) tiny but positive.
    let p = m.probability_alive(F, 0, 0, 200_000).unwrap();
    assert!(p > 0.0 && p < 1e-3, "{p}");
    let e = m
        .conditional_expected_purchases(F, 1, 1, 200_000, 100)
        .unwrap();
    assert!(e.is_finite() && e >= 0.0, "{e}");
    let (ln_l, _) = m.parameters().log_likelihood(0.0, 0.0, 200_000.0);
    assert!(ln_l.is_finite() && ln_l < 0.0);
}

#[test]
fn a_penalizer_pulls_the_parameters_toward_zero() {
    let plain = fit(F, &donations()).unwrap().unwrap();
    let mut rows = donations();
    rows.set_penalizer(F, 0.01).unwrap();
    let penalized = fit(F, &rows).unwrap().unwrap();
    // lifetimes 0.11.3 with penalizer_coef 0.01: α 0.97754, β 0.61813, γ 0.31421, δ 1.01206.
    for (value, lifetimes) in [
        (penalized.alpha, 0.977_54),
        (penalized.beta, 0.618_13),
        (penalized.gamma, 0.314_21),
        (penalized.delta, 1.012_06),
    ] {
        assert!((value - lifetimes).abs() < 1e-3, "{penalized:?}");
    }
    assert!(penalized.delta < plain.delta);
    let info = penalized.fit.unwrap();
    assert_eq!(info.penalizer, 0.01);
    assert!(info.log_likelihood < plain.fit.unwrap().log_likelihood);
    assert_eq!(
        BgBbModel::decode(&penalized.encode().unwrap()).unwrap(),
        penalized
    );
    assert_eq!(
        BgBbModel::from_text(&penalized.to_text().unwrap()).unwrap(),
        penalized
    );
}

#[test]
fn recovers_simulated_parameters() {
    let mut random = Random::new(5);
    let (alpha, beta, gamma, delta) = (1.5, 2.0, 0.8, 3.0);
    let mut rows = WeightedRows::default();
    for _ in 0..40_000 {
        let p = random.beta(alpha, beta);
        let theta = random.beta(gamma, delta);
        let (mut x, mut t_x) = (0, 0);
        // A customer alive before an opportunity dies with probability θ, else transacts with
        // probability p.
        for opportunity in 1..=8 {
            if random.uniform() < theta {
                break;
            }
            if random.uniform() < p {
                x += 1;
                t_x = opportunity;
            }
        }
        rows.add(F, customer_key(F, x, t_x, 8).unwrap(), 1).unwrap();
    }
    let m = fit(F, &rows).unwrap().unwrap();
    for (value, truth) in [
        (m.alpha, alpha),
        (m.beta, beta),
        (m.gamma, gamma),
        (m.delta, delta),
    ] {
        assert!((value / truth - 1.0).abs() < 0.15, "{m:?}");
    }
}

#[test]
fn bad_inputs_are_refused() {
    let message = |result: MetricResult<[u64; 3]>| match result {
        Err(MetricError::InvalidParameter(m)) => m,
        other => panic!("{other:?}"),
    };
    assert!(message(customer_key(F, -1, 0, 6)).contains("frequency -1 is negative"));
    assert!(message(customer_key(F, 0, -1, 6)).contains("recency -1 is negative"));
    assert!(message(customer_key(F, 0, 0, -6)).contains("n_periods -6 is negative"));
    assert!(message(customer_key(F, 2, 7, 6)).contains("recency 7 is greater than n_periods 6"));
    assert!(message(customer_key(F, 3, 2, 6)).contains("frequency 3 is greater than recency 2"));
    assert!(message(customer_key(F, 0, 2, 6)).contains("recency 2 must be 0"));
    assert!(customer_key(F, 0, 0, 0).is_ok());
    assert!(is_customer_key(&[2, 4, 6]));
    assert!(!is_customer_key(&[0, 4, 6]));
    assert!(!is_customer_key(&[1, 1, 1 << 40]));
    let m = model(1.0, 1.0, 1.0, 1.0);
    assert!(m.expected_purchases(F, -1).is_err());
    assert!(m.conditional_expected_purchases(F, 1, 1, 6, -1).is_err());
    assert!(m.probability_alive(F, 1, 7, 6).is_err());
    let extreme = model(1e308, 1e-308, 1e-308, 1e308);
    // p is 1 and θ 0 there: a transaction at every one of 10 opportunities.
    let all = extreme.expected_purchases(F, 10).unwrap();
    assert!((all - 10.0).abs() < 1e-12, "{all}");
    // Every ln B there has one argument near 1e308 and is taken from the ln Γ ratio of it
    // (these were 22003 while ln B summed three ln Γ values near 7e310). mpmath at 800 digits:
    // dying after opportunity 3 is likelier than missing 4 of 6 with p this close to 1.
    for (result, expected) in [
        (extreme.probability_alive(F, 2, 3, 6), 6.0e-308),
        (
            extreme.conditional_expected_purchases(F, 2, 3, 6, 10),
            6.0e-307,
        ),
    ] {
        let value = result.unwrap();
        assert!((value / expected - 1.0).abs() < 1e-9, "{value}");
    }
    assert!(BgBbModel::from_parameters(F, 1.0, 1.0, 0.0, 1.0).is_err());
    assert!(BgBbModel::from_parameters(F, 1.0, f64::NAN, 1.0, 1.0).is_err());
    assert!(BgBbModel::from_text(r#"{"alpha":1,"beta":1,"gamma":1,"fit":null}"#).is_err());
    assert!(BgBbModel::decode(&[1, 0, 0]).is_err());
    // Without customers there is no model; one distinct row cannot identify it.
    assert_eq!(fit(F, &WeightedRows::default()).unwrap(), None);
    let mut one = WeightedRows::default();
    one.add(F, customer_key(F, 2, 3, 6).unwrap(), 100).unwrap();
    let error = fit(F, &one).unwrap_err();
    assert!(error.hint().is_some());
    assert!(
        matches!(error.without_hint(), MetricError::InvalidParameter(m)
        if m.contains("cannot identify the model: 1 distinct row"))
    );
}

#[test]
fn boundary_maxima_are_refused_not_returned() {
    // Everybody transacts at every opportunity: p → 1 and nobody dies.
    let mut loyal = WeightedRows::default();
    loyal.add(F, customer_key(F, 6, 6, 6).unwrap(), 50).unwrap();
    loyal.add(F, customer_key(F, 3, 3, 3).unwrap(), 50).unwrap();
    let error = fit(F, &loyal).unwrap_err();
    assert!(error.hint().is_some());
    assert!(
        matches!(error.without_hint(), MetricError::InvalidParameter(m)
        if m.contains("the fit did not converge"))
    );
    // Nobody transacts again: α → 0, and the likelihood nears 1 on the way; refused even
    // with a penalizer, as BG/NBD refuses data without a repeat purchase.
    let mut silent = WeightedRows::default();
    for n in 5..=7 {
        silent
            .add(F, customer_key(F, 0, 0, n).unwrap(), 1000)
            .unwrap();
    }
    let error = fit(F, &silent).unwrap_err();
    assert!(error.hint().is_some());
    assert!(
        matches!(error.without_hint(), MetricError::InvalidParameter(m)
        if m == "crm.test: no customer made a repeat transaction, so the model cannot be fitted"),
        "{error:?}"
    );
}

/// The lifetimes fit of the donations (see [`predictions_agree_with_lifetimes`]).
fn donations_model() -> BgBbModel {
    model(
        1.203_522_393_608,
        0.749_716_358_176,
        0.656_718_169_55,
        2.783_441_982_888,
    )
}

#[test]
fn discounted_residual_transactions_agree_with_independent_sums() {
    // Python with scipy at the donations model, n = 6, d = 0.1 per opportunity: the plain sum
    // over k of B(α+x+1, β+n−x)/B(α,β) · B(γ, δ+n+k)/B(γ,δ) / L(x, t_x, n) / 1.1^k to k = 10,
    // and the closed form of Fader, Hardie & Shang (2010, eq. 14) with scipy's 2F1 (an
    // infinite horizon; the plain sum to k = 5000 agrees to 1e-15).
    let m = donations_model();
    for (x, t_x, ten, infinite) in [
        (0, 0, 0.083_048_507_701_412_31, 0.114_752_713_307_810_91),
        (1, 1, 0.097_674_643_233_644_75, 0.134_962_453_181_353_72),
        (4, 5, 2.313_790_015_764_497_7, 3.197_091_551_459_43),
        (3, 6, 2.495_841_724_412_021_5, 3.448_642_459_571_304_6),
        (6, 6, 4.277_091_940_807_149, 5.909_894_335_961_015),
    ] {
        let dert = |horizon| {
            m.discounted_residual_transactions(F, (x, t_x, 6), horizon, 0.1)
                .unwrap()
        };
        assert!(
            (dert(10) / ten - 1.0).abs() < 1e-12,
            "{x} {t_x}: {}",
            dert(10)
        );
        assert!(
            (dert(i32::MAX) / infinite - 1.0).abs() < 1e-12,
            "{x} {t_x}: {}",
            dert(i32::MAX)
        );
        // Undiscounted: the conditional expected transactions.
        let plain = m
            .discounted_residual_transactions(F, (x, t_x, 6), 10, 0.0)
            .unwrap();
        let expected = m.conditional_expected_purchases(F, x, t_x, 6, 10).unwrap();
        assert_eq!(plain, expected);
        assert_eq!(
            m.discounted_residual_transactions(F, (x, t_x, 6), 0, 0.1)
                .unwrap(),
            0.0
        );
    }
}

#[test]
fn discounted_sums_resynchronize_and_grow_with_a_negative_rate() {
    // Past RESYNC terms the recurrence is recomputed from ln B: the sum over 5000 opportunities
    // matches one term at a time.
    let m = model(0.4, 2.0, 1.7, 1.5);
    for rate in [0.001, -0.0001] {
        let sum = m.discounted_alive_sum(3.0, 5000, rate, 0.0);
        let direct: f64 = (1..=5000)
            .map(|k| {
                let k = f64::from(k);
                (ln_beta(m.gamma, m.delta + 3.0 + k)
                    - ln_beta(m.gamma, m.delta)
                    - k * f64::ln_1p(rate))
                .exp()
            })
            .sum();
        assert!((sum / direct - 1.0).abs() < 1e-12, "{rate}: {sum} {direct}");
    }
    // A negative rate over a long horizon grows without bound: 22023, not infinity.
    let error = m
        .discounted_residual_transactions(F, (1, 1, 6), 1_000_000, -0.5)
        .unwrap_err();
    assert!(
        matches!(&error, MetricError::InvalidParameter(text) if text.contains("not finite")),
        "{error:?}"
    );
    // A positive rate stops summing early: a huge horizon is as quick as a short one.
    let long = m
        .discounted_residual_transactions(F, (1, 1, 6), i32::MAX, 0.05)
        .unwrap();
    assert!(long.is_finite() && long > 0.0);
}

#[test]
fn clv_is_the_spend_times_the_discounted_transactions() {
    let m = donations_model();
    let spend = GammaGammaModel::from_parameters(F, 6.25, 3.74, 15.44).unwrap();
    let dert = m
        .discounted_residual_transactions(F, (4, 5, 6), 10, 0.1)
        .unwrap();
    let value = spend.expected_average_value(F, 4, 40.0).unwrap();
    let with_spend = clv_with_spend(F, &m, &spend, (4, 5, 6), 40.0, 10, 0.1).unwrap();
    assert!((with_spend / (value * dert) - 1.0).abs() < 1e-15);
    assert_eq!(clv(F, &m, 25.0, (4, 5, 6), 10, 0.1).unwrap(), 25.0 * dert);
    let message = |result: MetricResult<f64>| match result {
        Err(MetricError::InvalidParameter(text)) => text,
        other => panic!("{other:?}"),
    };
    assert!(message(clv(F, &m, -1.0, (4, 5, 6), 10, 0.1)).contains("value_per_transaction -1"));
    assert!(message(clv(F, &m, f64::INFINITY, (4, 5, 6), 10, 0.1)).contains("not finite"));
    assert!(message(clv(F, &m, 1.0, (4, 5, 6), -1, 0.1)).contains("horizon -1 is negative"));
    assert!(message(clv(F, &m, 1.0, (4, 5, 6), 10, -1.0)).contains("discount_rate -1"));
    assert!(message(clv(F, &m, 1.0, (4, 5, 6), 10, f64::NAN)).contains("discount_rate NaN"));
    assert!(message(clv(F, &m, 1.0, (4, 7, 6), 10, 0.1)).contains("recency 7"));
    assert!(message(clv(F, &m, 1e308, (6, 6, 6), 10, 0.0)).contains("the CLV is not finite"));
    assert!(
        message(clv_with_spend(F, &m, &spend, (4, 5, 6), -1.0, 10, 0.1)).contains("monetary_value")
    );
}

#[test]
fn long_horizons_at_small_rates_take_the_closed_form_tail() {
    // Python with numpy and scipy at the donations model, a 4-of-6 donor last seen at 5: every
    // one of the horizon's terms B(α+x+1, β+n−x)/B(α,β) · B(γ, δ+n+k)/B(γ,δ) / L / (1+d)^k
    // summed. At 1e-4 the terms fall below the stopping rule within DIRECT_TERMS; at the
    // smaller rates the rest comes from ₂F₁ near z = 1, accurate to about 1e-7 there.
    let m = donations_model();
    for (horizon, rate, reference, tolerance) in [
        (3_000_000, 1e-4, 111.196_003_476_272_01, 1e-11),
        (20_000_000, 1e-6, 588.220_098_067_476_8, 1e-6),
        (20_000_000, 1e-9, 1_861.628_561_911_491_7, 1e-6),
    ] {
        let dert = m
            .discounted_residual_transactions(F, (4, 5, 6), horizon, rate)
            .unwrap();
        assert!(
            (dert / reference - 1.0).abs() < tolerance,
            "{horizon} {rate}: {dert}"
        );
    }
    // The whole integer horizon at a rate near 0: between the undiscounted sum and that sum
    // discounted by the furthest opportunity's factor.
    let undiscounted = m
        .conditional_expected_purchases(F, 4, 5, 6, i32::MAX)
        .unwrap();
    let dert = m
        .discounted_residual_transactions(F, (4, 5, 6), i32::MAX, 1e-12)
        .unwrap();
    let furthest = (-f64::from(i32::MAX) * 1e-12_f64.ln_1p()).exp();
    assert!(
        dert < undiscounted && dert > undiscounted * furthest,
        "{dert} {undiscounted}"
    );
    // Where the tail starts, the closed form continues the term-by-term sum (to its ₂F₁'s
    // accuracy).
    let (by_terms, _) = m.discounted_terms(6.0, 1, 200_000, 1e-5, 0.0);
    let (head, _) = m.discounted_terms(6.0, 1, 1000, 1e-5, 0.0);
    let tail = m.discounted_tail(6.0 + 1000.0, 199_000, 1e-5, 0.0).unwrap();
    let joined = head + (-1000.0 * 1e-5_f64.ln_1p()).exp() * tail;
    assert!(
        (joined / by_terms - 1.0).abs() < 1e-8,
        "{joined} {by_terms}"
    );
}

#[test]
fn long_histories_with_a_large_gamma_predict_finite_values() {
    // 1/L and the alive terms are each past a double's range here, their product is not
    // (references: mpmath at 40 digits, eq. 13 with eq. 5's likelihood).
    let m = model(1.0, 1.0, 537.0, 8.0);
    for ((x, t_x, n, horizon), expected) in [
        ((270, 540, 540, 5), 0.49408636504990167),
        ((985, 996, 1000, 50), 3.122902334366761e-8),
        ((10, 20, 30, 5), 3.669367350001242e-17),
    ] {
        let value = m
            .conditional_expected_purchases(F, x, t_x, n, horizon)
            .unwrap();
        assert!(
            (value - expected).abs() <= 1e-9 * expected,
            "{x} {t_x} {n} {horizon}: {value} against {expected}"
        );
        let discounted = m
            .discounted_residual_transactions(F, (x, t_x, n), horizon, 0.0)
            .unwrap();
        assert!((discounted - expected).abs() <= 1e-9 * expected);
    }
}

#[test]
fn expectations_near_gamma_one_match_exact_sums() {
    // Exact values: the sums of B(γ, δ + n + k)/B(γ, δ) term by term in mpmath at 40 digits.
    // Near γ = 1 the closed form's two ln Γ ratios agree in all but a few digits.
    for (gamma, one, history, new, long) in [
        (
            1.000_000_1,
            3.535_928_754_557_213e-10,
            8.801_641_717_500_71e-7,
            10.414_242_434_541_052,
            0.000_361_934_044_608_627_65,
        ),
        (
            1.000_01,
            3.535_723_109_882_317e-10,
            8.801_401_188_296_727e-7,
            10.413_972_224_247_024,
            0.000_361_917_233_397_352_3,
        ),
        (
            1.0,
            3.535_930_831_839_058_5e-10,
            8.801_644_147_126_683e-7,
            10.414_245_163_985_972,
            0.000_361_934_214_423_239_87,
        ),
        (
            0.9999,
            3.538_008_743_527_640_5e-10,
            8.804_074_154_070_582e-7,
            10.416_975_089_571_855,
            0.000_362_104_073_061_748_05,
        ),
    ] {
        let m = model(2.0, 3.0, gamma, 5.0);
        let found = [
            m.conditional_expected_purchases(F, 0, 0, 1000, 1).unwrap(),
            m.conditional_expected_purchases(F, 3, 10, 100, 1).unwrap(),
            m.expected_purchases(F, 1000).unwrap(),
            m.conditional_expected_purchases(F, 3, 10, 100, 5000)
                .unwrap(),
        ];
        for (value, exact) in found.into_iter().zip([one, history, new, long]) {
            assert!(
                (value - exact).abs() <= 1e-9 * exact,
                "gamma {gamma}: {value} != {exact}"
            );
        }
    }
}

#[test]
fn no_opportunity_ahead_expects_plus_zero() {
    // An empty sum of doubles is −0, which Postgres prints as "-0".
    let m = model(1.2, 0.75, 0.66, 2.8);
    for value in [
        m.expected_purchases(F, 0).unwrap(),
        m.conditional_expected_purchases(F, 1, 1, 6, 0).unwrap(),
        model(1.2, 0.75, 1.0, 2.8).expected_purchases(F, 0).unwrap(),
    ] {
        assert!(value == 0.0 && value.is_sign_positive(), "{value}");
    }
}

#[test]
fn expectations_over_the_whole_integer_horizon_keep_their_digits_near_gamma_one() {
    // Just outside the band around γ = 1, over horizons up to i32::MAX, the change of the ln Γ
    // ratio was a difference of ln Γ values near 4e10 (2.5e-3 off at the integer maximum).
    // mpmath at 50 digits of eq. 7 and eq. 13 (Fader, Hardie & Shang 2010).
    let model = |alpha, beta, gamma, delta| {
        BgBbModel::from_parameters(F, alpha, beta, gamma, delta).unwrap()
    };
    let close = |got: f64, expected: f64| {
        assert!(
            (got / expected - 1.0).abs() < 1e-9,
            "{got} against {expected}"
        );
    };
    close(
        model(1.2035, 0.7497, 1.0002, 2.7834)
            .conditional_expected_purchases(F, 4, 5, 6, i32::MAX)
            .unwrap(),
        73.120_864_523_736_64,
    );
    close(
        model(71.96, 2623.016, 1.0002, 218.855)
            .expected_purchases(F, i32::MAX)
            .unwrap(),
        93.915_066_547_541_17,
    );
    for (gamma, horizon, expected) in [
        (1.0002, 1_000_000, 21.621_339_093_621_135),
        (1.0002, 10_000_000, 25.559_502_521_880_863),
        (1.0002, 100_000_000, 29.495_857_324_406_75),
        (1.0002, i32::MAX, 34.735_992_073_459_42),
        (0.9998, i32::MAX, 34.877_375_044_213_023),
        (1.002, i32::MAX, 34.109_155_884_947_39),
    ] {
        close(
            model(1.2035, 0.7497, gamma, 2.7834)
                .expected_purchases(F, horizon)
                .unwrap(),
            expected,
        );
    }
    // A large δ: the ln Γ ratios' offset 1 − γ was the difference of 1 + δ and γ + δ, each
    // rounded (3e-3 off at δ = 1e7), and Γ(γ+δ)/Γ(1+δ) a difference of ln Γ values.
    for (delta, expected) in [
        (1e5, 613_995.476_176_005),
        (1e6, 4_723_936.738_054_048),
        (1e7, 33_095_791.732_657_44),
    ] {
        close(
            model(1.2035, 0.7497, 1.0002, delta)
                .expected_purchases(F, i32::MAX)
                .unwrap(),
            expected,
        );
    }
}

#[test]
fn predictions_keep_their_digits_at_a_huge_gamma() {
    // Models built by hand with γ far past a fit's range: 1 + δ + m beside γ + δ + m, the
    // leading factor Γ(γ+δ)/Γ(γ+δ+n) · Γ(1+δ+n)/Γ(1+δ) and B(γ, δ + k)/B(γ, δ) each lost their
    // digits (or the prediction) in the difference of ln Γ values near γ ln γ. mpmath at 60
    // digits of eq. 7, 11 and 13 and of the discounted sum of eq. 13's terms.
    let model = |gamma, delta| BgBbModel::from_parameters(F, 1.0, 1.0, gamma, delta).unwrap();
    let close = |got: f64, expected: f64| {
        assert!(
            (got / expected - 1.0).abs() < 1e-9,
            "{got} against {expected}"
        );
    };
    for (gamma, delta, expected) in [
        (1e17, 1.0, 5e-18),
        (1e17, 2.0, 1e-17),
        (1e16, 0.3, 1.5e-17),
        (1e9, 2e9, 0.982_658_470_850_056_7),
        (1e11, 2e11, 0.982_658_470_091_826_3),
    ] {
        close(
            model(gamma, delta).expected_purchases(F, 10).unwrap(),
            expected,
        );
    }
    for (gamma, expected) in [
        (1e12, 3.599_999_999_958_24e-47),
        (1e15, 3.599_999_999_999_958e-59),
    ] {
        close(
            model(gamma, 1.0)
                .conditional_expected_purchases(F, 2, 3, 6, 10)
                .unwrap(),
            expected,
        );
    }
    for (gamma, (x, t_x, n), expected) in [
        (1e17, (0, 0, 0), 1e-17),
        (1e12, (2, 3, 6), 9.599_999_999_811_84e-47),
        (1e17, (2, 3, 6), 9.599_999_999_999_998e-67),
    ] {
        close(
            model(gamma, 1.0).probability_alive(F, x, t_x, n).unwrap(),
            expected,
        );
    }
    for (gamma, history, expected) in [
        (1e17, (0, 0, 0), 4.545_454_545_454_545e-18),
        (1e12, (2, 3, 6), 3.272_727_272_686_929e-47),
    ] {
        close(
            model(gamma, 1.0)
                .discounted_residual_transactions(F, history, 10, 0.1)
                .unwrap(),
            expected,
        );
    }
}

#[test]
fn predictions_refuse_where_ln_beta_loses_its_digits() {
    // γ and δ (or α and β) both past 1e7 and within 1e3 of each other: every ln B there is a
    // difference of ln Γ values near γ ln γ, which kept none of the answer's digits (P(alive) 1
    // for 0.0099 at 1e17 and 1e15, 3.6e-3 off at 1e12 and 3e9). Refused, never answered.
    let model = |alpha, beta, gamma, delta| {
        BgBbModel::from_parameters(F, alpha, beta, gamma, delta).unwrap()
    };
    for m in [
        model(1.0, 1.0, 1e17, 1e15),
        model(1.0, 1.0, 1e17, 1e14),
        model(1.0, 1.0, 1e12, 3e9),
        model(1.0, 1.0, 1e300, 1e297),
        model(1e17, 1e15, 1.2, 2.8),
    ] {
        for result in [
            m.probability_alive(F, 6, 6, 6),
            m.conditional_expected_purchases(F, 2, 3, 6, 10),
            m.discounted_residual_transactions(F, (2, 3, 6), 10, 0.1),
        ] {
            assert!(
                matches!(&result, Err(MetricError::OutOfRange(m)) if m.contains("ln B loses")),
                "{result:?}"
            );
        }
    }
    // Just past the switch the series keeps the digits: (δ + n)/(γ + δ + n) for a purchase at
    // every opportunity.
    let alive = model(1.0, 1.0, 1e8, 9.9e4)
        .probability_alive(F, 6, 6, 6)
        .unwrap();
    let expected = (9.9e4 + 6.0) / (1e8 + 9.9e4 + 6.0);
    assert!(
        (alive / expected - 1.0).abs() < 1e-9,
        "{alive} against {expected}"
    );
}
