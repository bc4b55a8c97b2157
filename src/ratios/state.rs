//! Math of the plain ratios: exact `Decimal` money, checked counts, NULL (`None`) on a zero
//! denominator.
use rust_decimal::Decimal;

use crate::common::error::{MetricError, MetricResult};
pub use crate::common::shares::{share_count_overflow, ShareCounts};

use crate::common::exact::{count_ratio, Fraction, Significant};
use crate::common::money::{self, ratio};

/// Rejects a negative count (22003).
pub fn check_count(function: &str, what: &str, count: i64) -> MetricResult<u64> {
    u64::try_from(count)
        .map_err(|_| MetricError::OutOfRange(format!("{function}: {what} {count} is negative")))
}

/// Rejects a negative amount of money (22003).
pub fn check_amount(function: &str, what: &str, amount: Decimal) -> MetricResult<Decimal> {
    if amount.is_sign_negative() && !amount.is_zero() {
        Err(MetricError::OutOfRange(format!(
            "{function}: {what} {amount} is negative"
        )))
    } else {
        Ok(amount)
    }
}

/// `part / whole` for counts where the part is a subset of the whole: both non-negative
/// (22003) and part ≤ whole (22023); `None` when whole is 0.
fn share(
    function: &str,
    part_name: &str,
    part: i64,
    whole_name: &str,
    whole: i64,
) -> MetricResult<Option<f64>> {
    let part = check_count(function, part_name, part)?;
    let whole = check_count(function, whole_name, whole)?;
    if part > whole {
        return Err(MetricError::InvalidParameter(format!(
            "{function}: {part_name} {part} exceeds {whole_name} {whole}"
        )));
    }
    Ok(count_ratio(part.into(), whole.into()))
}

/// Money per count: `amount / count`, `None` when count is 0.
fn per_count(
    function: &str,
    amount: Decimal,
    count_name: &str,
    count: i64,
) -> MetricResult<Option<Significant>> {
    let count = check_count(function, count_name, count)?;
    if count == 0 {
        return Ok(None);
    }
    Ok(Some(money::per_count(amount, count)))
}

/// Customer acquisition cost: total_cost / new_customers.
pub fn cac(total_cost: Decimal, new_customers: i64) -> MetricResult<Option<Significant>> {
    const F: &str = "crm.cac";
    let total_cost = check_amount(F, "total_cost", total_cost)?;
    per_count(F, total_cost, "new_customers", new_customers)
}

/// Return on investment: (revenue − cost) / cost.
pub fn roi(revenue: Decimal, cost: Decimal) -> MetricResult<Option<f64>> {
    const F: &str = "crm.roi";
    let cost = check_amount(F, "cost", cost)?;
    Ok(change_over(revenue, cost))
}

/// (a − b) / b as the double nearest to the exact value (the difference is not rounded to 28
/// digits first); `None` when `b` is zero.
fn change_over(a: Decimal, b: Decimal) -> Option<f64> {
    let b = Fraction::of_decimal(b);
    Fraction::of_decimal(a)
        .minus(&b)
        .over(&b)
        .map(|quotient| quotient.to_f64())
}

/// Quota attainment: achieved / target; a negative target (a quota) is 22003, a negative
/// achievement (refunds over sales) is a value like any other.
pub fn quota_attainment(achieved: Decimal, target: Decimal) -> MetricResult<Option<f64>> {
    let target = check_amount("crm.quota_attainment", "target", target)?;
    Ok(ratio(achieved, target))
}

/// Growth rate: (current − previous) / previous.
pub fn growth_rate(current: Decimal, previous: Decimal) -> Option<f64> {
    change_over(current, previous)
}

/// Conversion rate: converted / total.
pub fn conversion_rate(converted: i64, total: i64) -> MetricResult<Option<f64>> {
    share(
        "crm.conversion_rate",
        "converted",
        converted,
        "total",
        total,
    )
}

/// LTV:CAC ratio: ltv / cac.
pub fn ltv_to_cac(ltv: Decimal, cac: Decimal) -> MetricResult<Option<f64>> {
    let cac = check_amount("crm.ltv_to_cac", "cac", cac)?;
    Ok(ratio(ltv, cac))
}

/// Revenue per lead: revenue / leads.
pub fn revenue_per_lead(revenue: Decimal, leads: i64) -> MetricResult<Option<Significant>> {
    per_count("crm.revenue_per_lead", revenue, "leads", leads)
}

/// Cost per lead: cost / leads.
pub fn cost_per_lead(cost: Decimal, leads: i64) -> MetricResult<Option<Significant>> {
    const F: &str = "crm.cost_per_lead";
    let cost = check_amount(F, "cost", cost)?;
    per_count(F, cost, "leads", leads)
}

/// Calls per sale: calls / sales.
pub fn calls_per_sale(calls: i64, sales: i64) -> MetricResult<Option<f64>> {
    const F: &str = "crm.calls_per_sale";
    let calls = check_count(F, "calls", calls)?;
    let sales = check_count(F, "sales", sales)?;
    Ok(count_ratio(calls.into(), sales.into()))
}

/// Renewal rate: renewed / up_for_renewal.
pub fn renewal_rate(renewed: i64, up_for_renewal: i64) -> MetricResult<Option<f64>> {
    share(
        "crm.renewal_rate",
        "renewed",
        renewed,
        "up_for_renewal",
        up_for_renewal,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::str::FromStr;

    fn d(text: &str) -> Decimal {
        Decimal::from_str(text).unwrap()
    }

    #[test]
    fn seed_examples() {
        // Seed 004: 95 of 100 contracts renew.
        assert_eq!(renewal_rate(95, 100).unwrap(), Some(0.95));
        // Quota attainment 85 of 80.
        assert_eq!(quota_attainment(d("85"), d("80")).unwrap(), Some(1.0625));
        // Win rate 33 of 100, as a conversion.
        assert_eq!(conversion_rate(33, 100).unwrap(), Some(0.33));
        assert_eq!(text(cac(d("50000"), 125)), "400");
        assert_eq!(roi(d("150000"), d("100000")).unwrap(), Some(0.5));
        assert_eq!(growth_rate(d("1150"), d("1000")), Some(0.15));
        assert_eq!(ltv_to_cac(d("1200"), d("400")).unwrap(), Some(3.0));
        assert_eq!(text(revenue_per_lead(d("25000"), 500)), "50");
        assert_eq!(text(cost_per_lead(d("5000.00"), 250)), "20.00");
        assert_eq!(calls_per_sale(450, 15).unwrap(), Some(30.0));
    }

    fn text(value: MetricResult<Option<Significant>>) -> String {
        value.unwrap().unwrap().to_string()
    }

    #[test]
    fn count_quotients_are_rounded_once() {
        // 2^53 + 1 has no double: dividing the counts' doubles rounded the quotient again.
        let odd = (1i64 << 53) + 1;
        assert_eq!(calls_per_sale(odd, 3).unwrap(), Some(3002399751580331.0));
        assert_eq!(
            conversion_rate(odd, odd + 1).unwrap(),
            Some(1.0 - f64::EPSILON / 2.0)
        );
        assert_eq!(
            renewal_rate(odd, odd + 1).unwrap(),
            Some(1.0 - f64::EPSILON / 2.0)
        );
    }

    #[test]
    fn quotients_are_rounded_once() {
        // A difference past 28 digits is no error: the quotient is of the exact difference
        // (checked against Python's `float(Fraction(...))`).
        assert_eq!(
            growth_rate(d("9000000000000.00"), d("1.6666666666666667")),
            Some(5399999999999.0)
        );
        assert_eq!(
            roi(d("7329.49"), d("0.000000000000000000000000589")).unwrap(),
            Some(1.2443955857385398e28)
        );
        assert_eq!(
            growth_rate(Decimal::MAX, d("-1")),
            Some(-79228162514264337593543950336.0)
        );
        // Money per count keeps 28 significant digits however small (it was 0).
        assert_eq!(
            text(cac(d("0.0000000000000000000000000001"), 3)),
            "0.00000000000000000000000000003333333333333333333333333333"
        );
        assert_eq!(
            text(cac(d("5"), i64::MAX)),
            "0.000000000000000000542101086242752217062501118"
        );
        assert_eq!(text(cac(d("100"), 3)), "33.33333333333333333333333333");
    }

    #[test]
    fn zero_denominators_are_none() {
        assert_eq!(cac(d("1"), 0).unwrap(), None);
        assert_eq!(roi(d("1"), d("0.00")).unwrap(), None);
        assert_eq!(quota_attainment(d("1"), d("0")).unwrap(), None);
        assert_eq!(quota_attainment(d("-5"), d("10")).unwrap(), Some(-0.5));
        assert!(matches!(
            quota_attainment(d("5"), d("-10")),
            Err(MetricError::OutOfRange(_))
        ));
        assert_eq!(growth_rate(d("1"), d("0")), None);
        assert_eq!(conversion_rate(0, 0).unwrap(), None);
        assert_eq!(ltv_to_cac(d("1"), d("0")).unwrap(), None);
        assert_eq!(revenue_per_lead(d("1"), 0).unwrap(), None);
        assert_eq!(cost_per_lead(d("1"), 0).unwrap(), None);
        assert_eq!(calls_per_sale(3, 0).unwrap(), None);
        assert_eq!(renewal_rate(0, 0).unwrap(), None);
    }

    #[test]
    fn bad_values_are_errors() {
        assert!(matches!(cac(d("1"), -1), Err(MetricError::OutOfRange(_))));
        assert!(matches!(cac(d("-1"), 1), Err(MetricError::OutOfRange(_))));
        assert!(matches!(
            roi(d("1"), d("-2")),
            Err(MetricError::OutOfRange(_))
        ));
        assert!(matches!(
            conversion_rate(11, 10),
            Err(MetricError::InvalidParameter(_))
        ));
        assert!(matches!(
            renewal_rate(-1, 10),
            Err(MetricError::OutOfRange(_))
        ));
        assert!(matches!(
            calls_per_sale(1, -1),
            Err(MetricError::OutOfRange(_))
        ));
        assert!(matches!(revenue_per_lead(Decimal::MAX, 0), Ok(None)));
    }

    #[test]
    fn share_counts_round_trip_and_reject_forgeries() {
        let mut counts = ShareCounts::default();
        for value in [true, false, true] {
            assert!(counts.add(value));
        }
        assert_eq!(
            ShareCounts::decode(&counts.encode().unwrap()).unwrap(),
            counts
        );
        let forged = ShareCounts {
            true_rows: 2,
            rows: 1,
        };
        assert!(ShareCounts::decode(&forged.encode().unwrap()).is_err());
        assert!(counts.remove("f", true).is_ok());
        assert_eq!(counts.share(), Some(0.5));
        let mut empty = ShareCounts::default();
        assert!(empty.remove("f", true).is_err());
        assert_eq!(empty.share(), None);
    }

    proptest! {
        #[test]
        fn split_and_merge_equals_one_pass(values in prop::collection::vec(any::<bool>(), 0..200), cut in 0usize..200) {
            let cut = cut.min(values.len());
            let mut whole = ShareCounts::default();
            values.iter().for_each(|&v| assert!(whole.add(v)));
            let (mut left, mut right) = (ShareCounts::default(), ShareCounts::default());
            values[..cut].iter().for_each(|&v| assert!(left.add(v)));
            values[cut..].iter().for_each(|&v| assert!(right.add(v)));
            let mut merged = right;
            merged.merge("crm.win_rate", &left).unwrap();
            left.merge("crm.win_rate", &right).unwrap();
            prop_assert_eq!(left, whole);
            prop_assert_eq!(merged, whole);
        }
    }

    #[test]
    fn share_counts_never_wrap_or_saturate() {
        const F: &str = "crm.win_rate";
        assert!(matches!(
            ShareCounts::from_text(r#"{"true_rows":0,"rows":9223372036854775808}"#),
            Err(MetricError::InvalidText(_))
        ));
        let full = ShareCounts::from_text(r#"{"true_rows":3,"rows":9223372036854775807}"#).unwrap();
        let mut state = full;
        assert!(!state.add(true));
        assert_eq!(state, full);
        let one = ShareCounts {
            true_rows: 1,
            rows: 1,
        };
        assert_eq!(
            state.merge(F, &one),
            Err(MetricError::OutOfRange(
                "crm.win_rate: count overflows bigint".into()
            ))
        );
        assert_eq!(state, full);
        let mut small = one;
        small.merge(F, &one).unwrap();
        assert!(small.add(false));
        assert_eq!(small.to_text().unwrap(), r#"{"true_rows":2,"rows":3}"#);
    }
}
