//! Exact quotients of money: a value built from `Decimal`s and counts by products, differences
//! and quotients is kept as a fraction of big integers and rounded once, at the end, to the
//! nearest double or to 28 significant digits. `Decimal` arithmetic rounds every quotient to its
//! 28 decimal places and refuses an intermediate product past 7.9e28 even when the final
//! quotient is small; these do neither. [`compare_products`] decides a comparison of two
//! products of counts exactly where doubles cannot (a Kaplan–Meier survival against a half).
use crate::common::error::MetricResult;
use crate::common::interrupt::{check, checked};
use crate::common::limits::{filled_result, reserve_result, result_out_of_memory};
use num_bigint::{BigInt, BigUint, Sign};
use rust_decimal::Decimal;
use std::cmp::Ordering;
use std::collections::HashMap;
use std::fmt;

/// Compares the product of `numerators` with the product of `denominators` exactly (an empty
/// product is 1). Values on both sides cancel first (a Kaplan–Meier curve's at-risk counts
/// mostly telescope), and what remains is multiplied as a balanced tree. Checks for interrupts.
/// The tables are allocated fallibly (53200 naming `function`); the big integers' own digits
/// cannot be, so room for twice the digits of both products is first allocated fallibly and
/// given back: a server short of that much memory gets the error rather than an abort.
pub fn compare_products(
    function: &str,
    numerators: &[u64],
    denominators: &[u64],
) -> MetricResult<Ordering> {
    let mut net: HashMap<u64, i64> = HashMap::new();
    let values = numerators.len().saturating_add(denominators.len());
    net.try_reserve(values).map_err(|_| {
        result_out_of_memory(
            function,
            "its exact products",
            values.saturating_mul(2 * std::mem::size_of::<(u64, i64)>()),
        )
    })?;
    for &value in checked(numerators) {
        *net.entry(value).or_default() += 1;
    }
    for &value in checked(denominators) {
        *net.entry(value).or_default() -= 1;
    }
    let (mut top, mut bottom) = (Vec::new(), Vec::new());
    for (&value, &count) in checked(&net) {
        let side = if count > 0 { &mut top } else { &mut bottom };
        let count = count.unsigned_abs() as usize;
        reserve_result(side, count, function, "its exact products")?;
        side.extend(std::iter::repeat_n(value, count));
    }
    drop(net);
    // Each factor adds at most one 64-bit digit to its product, and the balanced tree holds
    // about as much again in the operands of its last multiplication.
    let digits = top.len().saturating_add(bottom.len()).saturating_mul(2);
    drop(filled_result(function, "its exact products", digits, 0u64)?);
    Ok(product(&top).cmp(&product(&bottom)))
}

/// Fewest values of a product whose multiplication checks for interrupts first.
const CHECKED_PRODUCT: usize = 1 << 10;

/// The product of `values`, halves multiplied separately so the operands stay balanced.
fn product(values: &[u64]) -> BigUint {
    if values.len() >= CHECKED_PRODUCT {
        check();
    }
    match values {
        [] => BigUint::from(1u8),
        [value] => BigUint::from(*value),
        _ => {
            let (low, high) = values.split_at(values.len() / 2);
            product(low) * product(high)
        }
    }
}

/// Every integer of at most this magnitude (2^53) is an exact double.
const EXACT_IN_DOUBLE: u128 = 1 << 53;

/// `numerator / denominator` as the double nearest to the exact quotient (ties to even);
/// `None` when `denominator` is 0. Counts up to 2^53 are exact doubles, so one IEEE division
/// rounds once; larger ones (counts near 2^63, summed states) are divided exactly and rounded
/// once, where dividing their doubles would round three times.
pub fn count_ratio(numerator: i128, denominator: u128) -> Option<f64> {
    if denominator == 0 {
        None
    } else if numerator.unsigned_abs() <= EXACT_IN_DOUBLE && denominator <= EXACT_IN_DOUBLE {
        Some(numerator as f64 / denominator as f64)
    } else {
        Fraction::of_integer(numerator)
            .over(&Fraction::of_integer(denominator))
            .map(|quotient| quotient.to_f64())
    }
}

/// An exact rational number: `numerator / denominator`, the denominator positive (not reduced).
#[derive(Clone, Debug)]
pub struct Fraction {
    numerator: BigInt,
    denominator: BigUint,
}

impl Fraction {
    /// A `Decimal` exactly: its mantissa over 10^scale.
    pub fn of_decimal(value: Decimal) -> Self {
        Fraction {
            numerator: BigInt::from(value.mantissa()),
            denominator: BigUint::from(10u32).pow(value.scale()),
        }
    }

    /// A finite double as the decimal it prints as, exactly: its shortest representation that
    /// reads back as the same double, the digits Postgres prints (`0.1` is 1/10, not
    /// 0.1000000000000000055…; `5e-324` is 5/10^324). `None` for NaN and ±infinity.
    pub fn of_printed_f64(value: f64) -> Option<Self> {
        if !value.is_finite() {
            return None;
        }
        // `{:e}` writes the shortest round-trip digits: `-1.2345e-20`, `5e-324`, `1e10`.
        let text = format!("{value:e}");
        let (digits, exponent) = text.split_once('e')?;
        let exponent: i64 = exponent.parse().ok()?;
        let (whole, fraction) = digits.split_once('.').unwrap_or((digits, ""));
        let numerator: BigInt = format!("{whole}{fraction}").parse().ok()?;
        let exponent = exponent - fraction.len() as i64;
        let power = BigUint::from(10u32).pow(u32::try_from(exponent.unsigned_abs()).ok()?);
        Some(if exponent >= 0 {
            Fraction {
                numerator: numerator * BigInt::from(power),
                denominator: BigUint::from(1u32),
            }
        } else {
            Fraction {
                numerator,
                denominator: power,
            }
        })
    }

    /// The fraction as a `Decimal` when one holds it exactly (at most 28 decimal places and a
    /// 96-bit mantissa), at the fewest decimal places; `None` otherwise.
    pub fn to_exact_decimal(&self) -> Option<Decimal> {
        let ten = BigUint::from(10u32);
        let mut numerator = self.numerator.magnitude().clone();
        for scale in 0..=28u32 {
            if (&numerator % &self.denominator).bits() == 0 {
                let mantissa = i128::try_from(&numerator / &self.denominator).ok()?;
                let mantissa = if self.numerator.sign() == Sign::Minus {
                    -mantissa
                } else {
                    mantissa
                };
                return Decimal::try_from_i128_with_scale(mantissa, scale).ok();
            }
            numerator *= &ten;
        }
        None
    }

    /// An integer.
    pub fn of_integer(value: impl Into<BigInt>) -> Self {
        Fraction {
            numerator: value.into(),
            denominator: BigUint::from(1u32),
        }
    }

    pub fn is_zero(&self) -> bool {
        self.numerator.sign() == Sign::NoSign
    }

    pub fn times(&self, other: &Fraction) -> Fraction {
        Fraction {
            numerator: &self.numerator * &other.numerator,
            denominator: &self.denominator * &other.denominator,
        }
    }

    pub fn minus(&self, other: &Fraction) -> Fraction {
        Fraction {
            numerator: &self.numerator * BigInt::from(other.denominator.clone())
                - &other.numerator * BigInt::from(self.denominator.clone()),
            denominator: &self.denominator * &other.denominator,
        }
    }

    /// `self / other`; `None` when `other` is zero.
    pub fn over(&self, other: &Fraction) -> Option<Fraction> {
        if other.is_zero() {
            return None;
        }
        let numerator = &self.numerator * BigInt::from(other.denominator.clone());
        let numerator = if other.numerator.sign() == Sign::Minus {
            -numerator
        } else {
            numerator
        };
        Some(Fraction {
            numerator,
            denominator: &self.denominator * other.numerator.magnitude(),
        })
    }

    /// The double nearest to the fraction (ties to even). Within the range of normal doubles
    /// the result is correctly rounded; past it, ±infinity or a subnormal.
    pub fn to_f64(&self) -> f64 {
        let magnitude = self.numerator.magnitude();
        if magnitude.bits() == 0 {
            return 0.0;
        }
        // n / d with 55 or 56 bits of integer quotient.
        let shift = 55 - (magnitude.bits() as i64 - self.denominator.bits() as i64);
        let (n, d) = if shift >= 0 {
            (magnitude << shift as usize, self.denominator.clone())
        } else {
            (magnitude.clone(), &self.denominator << (-shift) as usize)
        };
        let (quotient, remainder) = (&n / &d, &n % &d);
        let quotient = u64::try_from(&quotient).expect("a quotient of at most 56 bits");
        let extra = 64 - quotient.leading_zeros() as i64 - 53;
        let mut mantissa = quotient >> extra;
        let dropped = quotient & ((1u64 << extra) - 1);
        let half = 1u64 << (extra - 1);
        let sticky = remainder.bits() > 0;
        let mut exponent = extra - shift;
        if dropped > half || (dropped == half && (sticky || mantissa & 1 == 1)) {
            mantissa += 1;
            if mantissa == 1 << 53 {
                mantissa >>= 1;
                exponent += 1;
            }
        }
        let value =
            mantissa as f64 * power_of_two(exponent / 2) * power_of_two(exponent - exponent / 2);
        if self.numerator.sign() == Sign::Minus {
            -value
        } else {
            value
        }
    }

    /// The fraction rounded to `digits` significant digits (ties to even), trailing zeros
    /// dropped.
    pub fn to_significant(&self, digits: u32) -> Significant {
        let magnitude = self.numerator.magnitude();
        let negative = self.numerator.sign() == Sign::Minus;
        if magnitude.bits() == 0 {
            return Significant {
                negative: false,
                digits: 0,
                exponent: 0,
            };
        }
        let decimal_digits = |value: &BigUint| value.to_str_radix(10).len() as i64;
        // magnitude / denominator × 10^scale lies in (10^(digits - 1), 10^(digits + 1)).
        let mut scale =
            i64::from(digits) - (decimal_digits(magnitude) - decimal_digits(&self.denominator));
        let limit = BigUint::from(10u32).pow(digits);
        loop {
            let (n, d) = if scale >= 0 {
                (
                    magnitude * BigUint::from(10u32).pow(scale as u32),
                    self.denominator.clone(),
                )
            } else {
                (
                    magnitude.clone(),
                    &self.denominator * BigUint::from(10u32).pow((-scale) as u32),
                )
            };
            let (quotient, remainder) = (&n / &d, &n % &d);
            if quotient >= limit {
                scale -= 1;
                continue;
            }
            let mut quotient = u128::try_from(&quotient).expect("at most 38 digits");
            let twice: BigUint = remainder << 1usize;
            if twice > d || (twice == d && quotient % 2 == 1) {
                quotient += 1;
            }
            let mut exponent = -scale;
            while quotient % 10 == 0 {
                quotient /= 10;
                exponent += 1;
            }
            return Significant {
                negative,
                digits: quotient,
                exponent: exponent as i32,
            };
        }
    }
}

/// 2^exponent for |exponent| ≤ 1023 (exact), saturating beyond.
fn power_of_two(exponent: i64) -> f64 {
    match exponent {
        ..=-1023 => f64::MIN_POSITIVE / 2.0 * power_of_two(exponent + 1022 + 1),
        1024.. => f64::INFINITY,
        _ => f64::from_bits(((exponent + 1023) as u64) << 52),
    }
}

/// A decimal result: `digits` × 10^`exponent` (rounded ones without trailing zeros).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Significant {
    negative: bool,
    digits: u128,
    exponent: i32,
}

impl Significant {
    /// A `Decimal` as it is, its scale kept (`400.00` stays `400.00`).
    pub fn of_decimal(value: Decimal) -> Self {
        Significant {
            negative: value.is_sign_negative() && !value.is_zero(),
            digits: value.mantissa().unsigned_abs(),
            exponent: -(value.scale() as i32),
        }
    }

    /// The number of digits before the decimal point (0 for a value below 1).
    pub fn integer_digits(&self) -> i64 {
        if self.digits == 0 {
            return 0;
        }
        (self.digits.ilog10() as i64 + 1 + i64::from(self.exponent)).max(0)
    }

    /// As a `Decimal` when one holds it exactly.
    pub fn to_decimal(self) -> Option<Decimal> {
        let mut mantissa = i128::try_from(self.digits).ok()?;
        let mut scale = -i64::from(self.exponent);
        while scale < 0 {
            mantissa = mantissa.checked_mul(10)?;
            scale += 1;
        }
        if self.negative {
            mantissa = -mantissa;
        }
        Decimal::try_from_i128_with_scale(mantissa, u32::try_from(scale).ok()?).ok()
    }
}

/// Plain decimal notation, as Postgres prints a `numeric`: `86400`, `-1.5`, `0.000123`.
impl fmt::Display for Significant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.negative {
            f.write_str("-")?;
        }
        let digits = self.digits.to_string();
        if self.exponent >= 0 {
            return write!(f, "{digits}{}", "0".repeat(self.exponent as usize));
        }
        let fraction = (-self.exponent) as usize;
        if digits.len() > fraction {
            let (whole, part) = digits.split_at(digits.len() - fraction);
            write!(f, "{whole}.{part}")
        } else {
            write!(f, "0.{}{digits}", "0".repeat(fraction - digits.len()))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::str::FromStr;

    fn decimal(text: &str) -> Fraction {
        Fraction::of_decimal(Decimal::from_str(text).unwrap())
    }

    #[test]
    fn printed_doubles_and_exact_decimals() {
        let printed = |value: f64| Fraction::of_printed_f64(value).unwrap();
        assert_eq!(
            printed(0.1).to_exact_decimal(),
            Some(Decimal::from_str("0.1").unwrap())
        );
        assert_eq!(
            printed(1e10).to_exact_decimal(),
            Some(Decimal::from(10_000_000_000i64))
        );
        assert_eq!(
            printed(-2.5e-3).to_exact_decimal(),
            Some(Decimal::from_str("-0.0025").unwrap())
        );
        // 1e-29 and 5e-324 are exact fractions no `Decimal` holds.
        assert_eq!(printed(1e-29).to_exact_decimal(), None);
        assert_eq!(printed(5e-324).to_significant(28).to_string().len(), 326);
        assert_eq!(
            printed(1e-29).times(&printed(1e10)).to_exact_decimal(),
            Some(Decimal::from_str("0.0000000000000000001").unwrap())
        );
        assert_eq!(printed(0.0).to_exact_decimal(), Some(Decimal::ZERO));
        assert!(Fraction::of_printed_f64(f64::NAN).is_none());
        assert!(Fraction::of_printed_f64(f64::INFINITY).is_none());
        // Past the 96-bit mantissa.
        assert_eq!(printed(1e29).to_exact_decimal(), None);
    }

    #[test]
    fn nearest_doubles() {
        let third = decimal("1").over(&decimal("3")).unwrap();
        assert_eq!(third.to_f64(), 1.0 / 3.0);
        assert_eq!(
            decimal("-11").over(&decimal("9")).unwrap().to_f64(),
            -11.0 / 9.0
        );
        assert_eq!(decimal("0").to_f64(), 0.0);
        // 1e-28 / 7.9e28 and the reverse: far outside a Decimal, exact here.
        let tiny = decimal("0.0000000000000000000000000001")
            .over(&decimal("79228162514264337593543950335"))
            .unwrap();
        assert_eq!(
            tiny.to_f64(),
            "1.262177448353618888658765383e-57".parse::<f64>().unwrap()
        );
        // A tie between two doubles goes to the even one: 2^53 + 1 and 2^53 + 3.
        let tie = Fraction::of_integer((1i64 << 53) + 1);
        assert_eq!(tie.to_f64(), 9007199254740992.0);
        let tie = Fraction::of_integer((1i64 << 53) + 3);
        assert_eq!(tie.to_f64(), 9007199254740996.0);
        // Just above the tie rounds up.
        let above = Fraction::of_integer(((1i128 << 53) + 1) * 1000 + 1)
            .over(&Fraction::of_integer(1000))
            .unwrap();
        assert_eq!(above.to_f64(), 9007199254740994.0);
    }

    #[test]
    fn significant_digits() {
        let third = decimal("100").over(&decimal("3")).unwrap();
        assert_eq!(
            third.to_significant(28).to_string(),
            "33.33333333333333333333333333"
        );
        let two_thirds = decimal("-2").over(&decimal("3")).unwrap();
        assert_eq!(
            two_thirds.to_significant(28).to_string(),
            "-0.6666666666666666666666666667"
        );
        let small = decimal("0.0000000000000000000000000001")
            .over(&decimal("3"))
            .unwrap();
        assert_eq!(
            small.to_significant(28).to_string(),
            "0.00000000000000000000000000003333333333333333333333333333"
        );
        assert_eq!(decimal("86400.000").to_significant(28).to_string(), "86400");
        assert_eq!(decimal("0").to_significant(28).to_string(), "0");
        // Ties to even at the 28th digit.
        let tie = decimal("1234567890123456789012345678.5");
        assert_eq!(
            tie.to_significant(28).to_string(),
            "1234567890123456789012345678"
        );
        let tie = decimal("1234567890123456789012345677.5");
        assert_eq!(
            tie.to_significant(28).to_string(),
            "1234567890123456789012345678"
        );
        // Rounding up to the next power of ten.
        let nines = decimal("9.99999999999999999999999999999");
        assert_eq!(nines.to_significant(28).to_string(), "10");
        assert_eq!(
            decimal("123.45").to_significant(28).to_decimal(),
            Some(Decimal::from_str("123.45").unwrap())
        );
        assert_eq!(small.to_significant(28).to_decimal(), None);
        assert_eq!(
            decimal("1e20")
                .times(&decimal("1e20"))
                .to_significant(28)
                .integer_digits(),
            41
        );
    }

    #[test]
    fn count_ratios_round_once() {
        // 2^53 + 1 is no double: its double is 2^53, and dividing doubles rounds again.
        let odd = (1i128 << 53) + 1;
        assert_eq!(count_ratio(odd, 3), Some(3002399751580331.0));
        assert_eq!(
            count_ratio(odd, (odd + 1) as u128),
            Some(1.0 - f64::EPSILON / 2.0)
        );
        assert_eq!(count_ratio(-odd, 3), Some(-3002399751580331.0));
        assert_eq!(
            count_ratio(i128::from(i64::MAX), u128::from(u64::MAX)),
            Some(0.5)
        );
        assert_eq!(count_ratio(1, 0), None);
        assert_eq!(count_ratio(0, 7), Some(0.0));
    }

    proptest! {
        /// The nearest double of a quotient of integers below 2^53 is the quotient of the two
        /// doubles (one correctly rounded IEEE division).
        #[test]
        fn doubles_of_integer_quotients(a in -(1i64 << 53)..(1i64 << 53), b in 1i64..(1i64 << 53)) {
            let quotient = Fraction::of_integer(a).over(&Fraction::of_integer(b)).unwrap();
            prop_assert_eq!(quotient.to_f64(), a as f64 / b as f64);
        }

        /// Counts of any size: the exact quotient rounded once, whichever path divides (counts
        /// drawn below 2^53, around it and anywhere, so that both paths and the threshold
        /// between them are taken).
        #[test]
        fn count_ratios_are_nearest(
            a in prop_oneof![
                -(1i64 << 53)..=(1i64 << 53),
                ((1i64 << 53) - 4)..((1i64 << 53) + 4),
                any::<i64>(),
            ],
            b in prop_oneof![1u64..=(1u64 << 53), ((1u64 << 53) - 4)..((1u64 << 53) + 4), 1u64..],
        ) {
            let exact = Fraction::of_integer(a).over(&Fraction::of_integer(b)).unwrap().to_f64();
            prop_assert_eq!(count_ratio(i128::from(a), u128::from(b)), Some(exact));
        }

        /// Rounding to 28 significant digits agrees with long division in `u128`.
        #[test]
        fn significant_digits_of_integer_quotients(a in 1u128..10_000, b in 1u128..10_000) {
            let exact = Fraction::of_integer(a).over(&Fraction::of_integer(b)).unwrap().to_significant(28);
            let mut scale = 0;
            while a * 10u128.pow(scale) / b < 10u128.pow(27) {
                scale += 1;
            }
            let n = a * 10u128.pow(scale);
            let (mut digits, remainder) = (n / b, n % b);
            if 2 * remainder > b || (2 * remainder == b && digits % 2 == 1) {
                digits += 1;
            }
            let mut exponent = -(scale as i32);
            while digits % 10 == 0 {
                digits /= 10;
                exponent += 1;
            }
            prop_assert_eq!(exact, Significant { negative: false, digits, exponent });
        }
    }

    #[test]
    fn products_compare_exactly() {
        assert_eq!(
            compare_products("crm.f", &[], &[]).unwrap(),
            Ordering::Equal
        );
        assert_eq!(
            compare_products("crm.f", &[2, 3], &[6]).unwrap(),
            Ordering::Equal
        );
        assert_eq!(
            compare_products("crm.f", &[0, 5], &[1]).unwrap(),
            Ordering::Less
        );
        // 24 customers leaving one a day: 2 * (23/24 * 22/23 * ... * 12/13) is exactly 1.
        let at_risk: Vec<u64> = (13..=24).collect();
        let mut twice_left: Vec<u64> = (12..=23).collect();
        twice_left.push(2);
        assert_eq!(
            compare_products("crm.f", &twice_left, &at_risk).unwrap(),
            Ordering::Equal
        );
        // 2 * (100000/199997 * 66666/66667) is 1 + 1/13333199999: above a half by 3.75e-11.
        assert_eq!(
            compare_products("crm.f", &[2, 100_000, 66_666], &[199_997, 66_667]).unwrap(),
            Ordering::Greater
        );
        // Past 64 bits: (2^63)^3 against (2^63 - 1)^3, and 2^63 * 2 against (2^63 - 1) * 3.
        let big = 1u64 << 63;
        assert_eq!(
            compare_products("crm.f", &[big, big, big], &[big - 1, big - 1, big - 1]).unwrap(),
            Ordering::Greater
        );
        assert_eq!(
            compare_products("crm.f", &[big, 2], &[big - 1, 3]).unwrap(),
            Ordering::Less
        );
    }

    proptest! {
        /// Products small enough for u128 compare as their u128 values do.
        #[test]
        fn products_compare_as_u128(
            numerators in proptest::collection::vec(0u64..1 << 16, 0..8),
            denominators in proptest::collection::vec(0u64..1 << 16, 0..8),
        ) {
            let plain = |values: &[u64]| values.iter().map(|&v| u128::from(v)).product::<u128>();
            prop_assert_eq!(
                compare_products("crm.f", &numerators, &denominators).unwrap(),
                plain(&numerators).cmp(&plain(&denominators))
            );
        }
    }
}
