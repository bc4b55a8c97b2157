//! Money: Postgres `numeric` values read into `rust_decimal::Decimal` exactly, and the checked
//! arithmetic every family uses on them. A value that does not fit a `Decimal` (more than 28
//! significant digits or decimal places, NaN, ±Infinity) is an out-of-range error (22003),
//! never rounded.
//!
//! The reader works on the bytes of a `numeric` datum (after its varlena header), so the
//! per-row paths of the aggregates decode amounts without calling into Postgres.
use rust_decimal::Decimal;

use super::codec::{Reader, Writer};
use super::error::{MetricError, MetricResult};
use super::exact::{Fraction, Significant};

/// Largest scale (decimal places) a `Decimal` holds.
const MAX_SCALE: u32 = 28;
/// Mantissas of a `Decimal` are below 2^96.
const MANTISSA_LIMIT: u128 = 1 << 96;

const NUMERIC_SIGN_MASK: u16 = 0xC000;
const NUMERIC_NEG: u16 = 0x4000;
const NUMERIC_SHORT: u16 = 0x8000;
const NUMERIC_SPECIAL: u16 = 0xC000;
const NUMERIC_EXT_SIGN_MASK: u16 = 0xF000;
const NUMERIC_NAN: u16 = 0xC000;
const NUMERIC_PINF: u16 = 0xD000;
const NUMERIC_DSCALE_MASK: u16 = 0x3FFF;
const NUMERIC_SHORT_SIGN_MASK: u16 = 0x2000;
const NUMERIC_SHORT_DSCALE_MASK: u16 = 0x1F80;
const NUMERIC_SHORT_DSCALE_SHIFT: u16 = 7;
const NUMERIC_SHORT_WEIGHT_SIGN_MASK: u16 = 0x0040;
const NUMERIC_SHORT_WEIGHT_MASK: u16 = 0x003F;
/// Base of a numeric digit.
const NBASE: u128 = 10_000;

/// The error for a value that does not fit.
#[cold]
#[inline(never)]
pub fn money_out_of_range(function: &str, what: &str, detail: &str) -> MetricError {
    MetricError::OutOfRange(format!("{function}: {what} {detail}"))
}

fn power_of_ten(exponent: u32) -> Option<u128> {
    10u128.checked_pow(exponent)
}

/// `(value / 10, value % 10)`, in 64-bit arithmetic (a multiply, not a division) when the value
/// fits, as amounts nearly always do.
#[inline(always)]
fn div_rem_10(value: u128) -> (u128, u128) {
    match u64::try_from(value) {
        Ok(small) => (u128::from(small / 10), u128::from(small % 10)),
        Err(_) => (value / 10, value % 10),
    }
}

/// Why the bytes of a `numeric` have no exact `Decimal`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NumericError {
    /// Too short for its header.
    Malformed,
    NotANumber,
    Infinity,
    NegativeInfinity,
    /// More than 28 significant digits.
    TooManyDigits,
    /// More than 28 decimal places.
    TooManyPlaces,
}

/// Why a value is not exact money: a `Decimal` is digits × 10^-places with the digits below
/// 2^96 (28 or 29 significant digits) and at most 28 places, so 8e28 (one significant digit)
/// is out as much as 29 significant digits are.
pub const OUT_OF_MONEY_RANGE: &str = "is out of the range of exact money (28 to 29 significant \
     digits, at most 79228162514264337593543950335 in magnitude)";

impl NumericError {
    /// Why a value with `places` decimal places has no exact `Decimal`: too many places, or
    /// digits past its range.
    pub fn too_wide(places: usize) -> Self {
        if places > MAX_SCALE as usize {
            NumericError::TooManyPlaces
        } else {
            NumericError::TooManyDigits
        }
    }

    /// The error of `function` reading the value `what` (22P03 for a malformed value, else
    /// 22003).
    #[cold]
    #[inline(never)]
    pub fn error(self, function: &str, what: &str) -> MetricError {
        let detail = match self {
            NumericError::Malformed => {
                return MetricError::InvalidBinary(format!(
                    "{function}: {what} is a malformed numeric value"
                ))
            }
            NumericError::NotANumber => "NaN is not a number",
            NumericError::Infinity => "Infinity is out of range",
            NumericError::NegativeInfinity => "-Infinity is out of range",
            NumericError::TooManyDigits => OUT_OF_MONEY_RANGE,
            NumericError::TooManyPlaces => "has more than 28 decimal places",
        };
        money_out_of_range(function, what, detail)
    }
}

/// One base-10000 digit (or header word) of a numeric's payload at byte `at`.
fn numeric_word(bytes: &[u8], at: usize) -> Result<u16, NumericError> {
    match bytes.get(at..at + 2) {
        Some(&[low, high]) => Ok(u16::from_ne_bytes([low, high])),
        _ => Err(NumericError::Malformed),
    }
}

/// A numeric payload's sign, display scale, weight (of its first base-10000 digit) and the
/// offset of its digits; NaN and ±Infinity as their errors.
fn numeric_header(bytes: &[u8]) -> Result<(bool, u32, i32, usize), NumericError> {
    let word = |at: usize| numeric_word(bytes, at);
    let header = word(0)?;
    Ok(match header & NUMERIC_SIGN_MASK {
        NUMERIC_SPECIAL => {
            return Err(match header & NUMERIC_EXT_SIGN_MASK {
                NUMERIC_NAN => NumericError::NotANumber,
                NUMERIC_PINF => NumericError::Infinity,
                _ => NumericError::NegativeInfinity,
            });
        }
        NUMERIC_SHORT => {
            let magnitude = i32::from(header & NUMERIC_SHORT_WEIGHT_MASK);
            let weight = if header & NUMERIC_SHORT_WEIGHT_SIGN_MASK != 0 {
                magnitude - 64
            } else {
                magnitude
            };
            (
                header & NUMERIC_SHORT_SIGN_MASK != 0,
                u32::from((header & NUMERIC_SHORT_DSCALE_MASK) >> NUMERIC_SHORT_DSCALE_SHIFT),
                weight,
                2,
            )
        }
        sign => (
            sign == NUMERIC_NEG,
            u32::from(header & NUMERIC_DSCALE_MASK),
            i32::from(word(2)? as i16),
            4,
        ),
    })
}

/// A numeric payload as Postgres prints it, for messages (`None` when malformed or special).
pub fn numeric_text(bytes: &[u8]) -> Option<String> {
    let (negative, display_scale, weight, digits_at) = numeric_header(bytes).ok()?;
    let count = bytes.len().saturating_sub(digits_at) / 2;
    let digit = |index: i64| -> u16 {
        usize::try_from(index)
            .ok()
            .filter(|&index| index < count)
            .and_then(|index| numeric_word(bytes, digits_at + 2 * index).ok())
            .unwrap_or(0)
    };
    let mut text = String::from(if negative { "-" } else { "" });
    if weight < 0 {
        text.push('0');
    } else {
        text.push_str(&digit(0).to_string());
        for index in 1..=i64::from(weight) {
            text.push_str(&format!("{:04}", digit(index)));
        }
    }
    if display_scale > 0 {
        let mut fraction = String::new();
        let mut index = i64::from(weight) + 1;
        while fraction.len() < display_scale as usize {
            fraction.push_str(&format!("{:04}", digit(index)));
            index += 1;
        }
        fraction.truncate(display_scale as usize);
        text.push('.');
        text.push_str(&fraction);
    }
    Some(text)
}

/// Reads the payload of a Postgres `numeric` (the bytes after the varlena header) as an exact
/// `Decimal`, keeping the numeric's display scale where a `Decimal` can (so `10.50` stays
/// `10.50`). `what` names the value in errors, e.g. `amount`.
#[inline]
pub fn decimal_from_numeric_bytes(
    function: &str,
    what: &str,
    bytes: &[u8],
) -> MetricResult<Decimal> {
    read_numeric(bytes).map_err(|error| numeric_error(error, function, what, bytes))
}

/// The error of [`decimal_from_numeric_bytes`]: a value too wide for a `Decimal` shown as
/// Postgres prints it (`crm.mrr_agg: mrr 1000000000000000000000000000000 is out of the range of
/// exact money (...)`).
#[cold]
#[inline(never)]
fn numeric_error(error: NumericError, function: &str, what: &str, bytes: &[u8]) -> MetricError {
    match (error, numeric_text(bytes)) {
        (NumericError::TooManyDigits | NumericError::TooManyPlaces, Some(value)) => {
            error.error(function, &format!("{what} {value}"))
        }
        _ => error.error(function, what),
    }
}

/// Decodes the on-disk form of a Postgres `numeric` (the bytes after the varlena header: a
/// 16-bit header, a 16-bit weight in the long form, then base-10000 digits) into an exact
/// `Decimal`, keeping its display scale where a `Decimal` can.
#[inline]
pub fn read_numeric(bytes: &[u8]) -> Result<Decimal, NumericError> {
    let word = |at: usize| numeric_word(bytes, at);
    let (negative, display_scale, weight, digits_at) = numeric_header(bytes)?;
    let digit_count = (bytes.len().saturating_sub(digits_at) / 2) as i32;
    let too_large = || NumericError::TooManyDigits;
    let mut mantissa: u128 = 0;
    for index in 0..digit_count {
        let digit = u128::from(word(digits_at + 2 * index as usize)?);
        mantissa = mantissa
            .checked_mul(NBASE)
            .and_then(|m| m.checked_add(digit))
            .filter(|&m| m < MANTISSA_LIMIT * NBASE)
            .ok_or_else(too_large)?;
    }
    // value = mantissa · 10^exponent
    let exponent = 4 * (weight + 1 - digit_count);
    let (mut mantissa, mut scale) = if exponent >= 0 {
        let factor = power_of_ten(exponent as u32).ok_or_else(too_large)?;
        (mantissa.checked_mul(factor).ok_or_else(too_large)?, 0)
    } else {
        (mantissa, (-exponent) as u32)
    };
    let target = display_scale.min(MAX_SCALE);
    // Digits past the display scale are zeros in a Postgres numeric; past 28 places they must be.
    while scale > target {
        let (quotient, remainder) = div_rem_10(mantissa);
        if remainder != 0 {
            break;
        }
        mantissa = quotient;
        scale -= 1;
    }
    if scale > MAX_SCALE {
        return Err(NumericError::TooManyPlaces);
    }
    while scale < target && mantissa.checked_mul(10).is_some_and(|m| m < MANTISSA_LIMIT) {
        mantissa *= 10;
        scale += 1;
    }
    // Zeros at the end of the digits, within the display scale, go too when the value does not
    // fit with them (1000000000000000000000000000.5000 is 1000000000000000000000000000.5).
    while mantissa >= MANTISSA_LIMIT && scale > 0 {
        let (quotient, remainder) = div_rem_10(mantissa);
        if remainder != 0 {
            break;
        }
        mantissa = quotient;
        scale -= 1;
    }
    if mantissa >= MANTISSA_LIMIT {
        return Err(too_large());
    }
    let signed = if negative {
        -(mantissa as i128)
    } else {
        mantissa as i128
    };
    Decimal::try_from_i128_with_scale(signed, scale).map_err(|_| too_large())
}

/// [`read_numeric`] for the common amount: a short-form `numeric` of at most four base-10000
/// digits whose value has a 64-bit mantissa at its display scale. The signed mantissa and scale
/// of exactly the `Decimal` [`read_numeric`] reads (a zero is +0), in 64-bit arithmetic; `None`
/// for any other bytes, which the caller reads with [`read_numeric`].
#[inline(always)]
pub fn read_small_numeric(bytes: &[u8]) -> Option<(i64, u32)> {
    let (&header, digits) = bytes.split_first_chunk::<2>()?;
    let header = u16::from_ne_bytes(header);
    if header & NUMERIC_SIGN_MASK != NUMERIC_SHORT || digits.len() > 8 || digits.len() % 2 != 0 {
        return None;
    }
    let magnitude = i32::from(header & NUMERIC_SHORT_WEIGHT_MASK);
    let weight = if header & NUMERIC_SHORT_WEIGHT_SIGN_MASK != 0 {
        magnitude - 64
    } else {
        magnitude
    };
    // At most four digits below 2^16 each: below 2^16 · 10^12 · 1.0002, no overflow.
    let mut mantissa = digits.chunks_exact(2).fold(0u64, |mantissa, pair| {
        let digit = pair
            .first_chunk::<2>()
            .map_or(0, |&pair| u16::from_ne_bytes(pair));
        mantissa * 10_000 + u64::from(digit)
    });
    let exponent = 4 * (weight + 1 - (digits.len() / 2) as i32);
    let mut scale = if exponent >= 0 {
        mantissa = 10u64
            .checked_pow(exponent as u32)
            .and_then(|factor| mantissa.checked_mul(factor))?;
        0
    } else {
        (-exponent) as u32
    };
    let target = u32::from((header & NUMERIC_SHORT_DSCALE_MASK) >> NUMERIC_SHORT_DSCALE_SHIFT)
        .min(MAX_SCALE);
    while scale > target && mantissa % 10 == 0 {
        mantissa /= 10;
        scale -= 1;
    }
    if scale > MAX_SCALE {
        return None;
    }
    while scale < target {
        mantissa = mantissa.checked_mul(10)?;
        scale += 1;
    }
    let mantissa = i64::try_from(mantissa).ok()?;
    let negative = header & NUMERIC_SHORT_SIGN_MASK != 0;
    Some((if negative { -mantissa } else { mantissa }, scale))
}

/// Encodes a `Decimal` in the on-disk form of a Postgres `numeric` (without the varlena header):
/// the short form (as Postgres itself writes it), base-10000 digits with no leading or trailing
/// zero digit, display scale = the decimal's scale. (The tests' form of [`write_numeric`].)
#[cfg(test)]
pub fn numeric_from_decimal(value: Decimal) -> Vec<u8> {
    let mut buffer = [0u8; NUMERIC_BYTES];
    let length = write_numeric(value, &mut buffer);
    buffer.get(..length).unwrap_or(&[]).to_vec()
}

/// Longest short-form `numeric` body of a `Decimal`: a 2-byte header and at most 8 base-10000
/// digits (a 96-bit mantissa padded by up to 1000 has at most 32 decimal digits).
pub const NUMERIC_BYTES: usize = 2 + 2 * 8;

/// [`numeric_from_decimal`] into a buffer, without allocating; returns the length written.
pub fn write_numeric(value: Decimal, buffer: &mut [u8; NUMERIC_BYTES]) -> usize {
    let scale = value.scale();
    let negative = value.is_sign_negative() && !value.is_zero();
    // Pad the fraction to whole base-10000 digits: mantissa < 2^96, times at most 1000.
    let pad = (4 - scale % 4) % 4;
    let mut mantissa = value.mantissa().unsigned_abs() * 10u128.pow(pad);
    let fraction_digits = ((scale + pad) / 4) as i32;
    // Base-10000 digits, least significant first (u64 arithmetic once the rest fits).
    let mut digits = [0u16; 8];
    let mut count = 0;
    while mantissa > u128::from(u64::MAX) {
        if let Some(slot) = digits.get_mut(count) {
            *slot = (mantissa % 10_000) as u16;
        }
        mantissa /= 10_000;
        count += 1;
    }
    let mut small = mantissa as u64;
    while small > 0 {
        if let Some(slot) = digits.get_mut(count) {
            *slot = (small % 10_000) as u16;
        }
        small /= 10_000;
        count += 1;
    }
    let count = count.min(digits.len());
    let mut weight = count as i32 - fraction_digits - 1;
    // Drop leading zero digits (none: the most significant digit is non-zero) and trailing ones.
    let trailing = digits
        .iter()
        .take(count)
        .take_while(|&&digit| digit == 0)
        .count();
    let significant = digits.get(trailing..count).unwrap_or(&[]);
    if significant.is_empty() {
        weight = 0;
    }
    // Weights of a Decimal lie within -8..8, always in the short form's range.
    let weight_bits = if weight < 0 {
        NUMERIC_SHORT_WEIGHT_SIGN_MASK | ((weight + 64) as u16 & NUMERIC_SHORT_WEIGHT_MASK)
    } else {
        weight as u16 & NUMERIC_SHORT_WEIGHT_MASK
    };
    let sign = if negative { NUMERIC_SHORT_SIGN_MASK } else { 0 };
    let header =
        NUMERIC_SHORT | sign | ((scale as u16) << NUMERIC_SHORT_DSCALE_SHIFT) | weight_bits;
    let mut chunks = buffer.chunks_exact_mut(2);
    let mut length = 0;
    for word in std::iter::once(header).chain(significant.iter().rev().copied()) {
        if let Some(chunk) = chunks.next() {
            chunk.copy_from_slice(&word.to_ne_bytes());
            length += 2;
        }
    }
    length
}

/// Whether `text` is digits with an optional sign and decimal point (no exponent, no spaces).
fn is_plain_decimal(text: &str) -> bool {
    let unsigned = text.strip_prefix(['-', '+']).unwrap_or(text);
    let (whole, fraction) = unsigned.split_once('.').unwrap_or((unsigned, ""));
    !(whole.is_empty() && fraction.is_empty())
        && whole.bytes().all(|byte| byte.is_ascii_digit())
        && fraction.bytes().all(|byte| byte.is_ascii_digit())
}

/// Parses the text of a numeric (as `numeric_out` prints it) exactly.
pub fn decimal_from_text(function: &str, what: &str, text: &str) -> MetricResult<Decimal> {
    match text {
        "NaN" => Err(money_out_of_range(function, what, "NaN is not a number")),
        "Infinity" => Err(money_out_of_range(
            function,
            what,
            "Infinity is out of range",
        )),
        "-Infinity" => Err(money_out_of_range(
            function,
            what,
            "-Infinity is out of range",
        )),
        _ => Decimal::from_str_exact(text)
            .or_else(|error| {
                // Zeros at the end of the fraction (a numeric's display scale) change nothing:
                // those past 28 places are dropped, then more one at a time until the value
                // fits, so the scale is the one `read_numeric` gives the same numeric's bytes
                // (its display scale, at most 28, or the largest below it that fits).
                let Some((whole, fraction)) = text.split_once('.') else {
                    return Err(error);
                };
                let mut fraction = fraction;
                while fraction.len() > MAX_SCALE as usize && fraction.ends_with('0') {
                    fraction = &fraction[..fraction.len() - 1];
                }
                loop {
                    let parsed = if fraction.is_empty() {
                        Decimal::from_str_exact(whole)
                    } else {
                        Decimal::from_str_exact(&format!("{whole}.{fraction}"))
                    };
                    match fraction.strip_suffix('0') {
                        Some(shorter) if parsed.is_err() => fraction = shorter,
                        _ => return parsed,
                    }
                }
            })
            .map_err(|_| {
                let what = format!("{what} {text}");
                if !is_plain_decimal(text) {
                    return money_out_of_range(
                        function,
                        &what,
                        "is not a plain decimal (digits with an optional sign and point, no exponent)",
                    );
                }
                let places = text
                    .split_once('.')
                    .map_or(0, |(_, fraction)| fraction.trim_end_matches('0').len());
                NumericError::too_wide(places).error(function, &what)
            }),
    }
}

/// Parses the text of a numeric model input exactly, as it is: NaN and ±Infinity are 22023
/// (`{function}: {what} NaN is not a finite number`), a value a `Decimal` does not hold
/// (more than 28 decimal places, even zeros, or digits past 96 bits) 22003.
pub fn finite_decimal_from_text(function: &str, what: &str, text: &str) -> MetricResult<Decimal> {
    match Decimal::from_str_exact(text) {
        Ok(decimal) => Ok(decimal),
        Err(_) if matches!(text, "NaN" | "Infinity" | "-Infinity") => {
            Err(MetricError::InvalidParameter(format!(
                "{function}: {what} {text} is not a finite number"
            )))
        }
        Err(_) => {
            let places = text
                .split_once('.')
                .map_or(0, |(_, fraction)| fraction.len());
            Err(NumericError::too_wide(places).error(function, &format!("{what} {text}")))
        }
    }
}

/// `a + b` exactly, or 22003 naming `what` and both values. The result has the larger of the
/// two scales, as Postgres's `numeric` addition gives (so a sum keeps the display scale of its
/// amounts whatever order they come in); when the mantissa at that scale passes 96 bits, zeros
/// at the end of the fraction are dropped, and when it still does not fit, the sum needs more
/// than 28 significant digits and is refused. Never rounded: `rust_decimal`'s own `checked_add`
/// rounds the fraction in that case (1e27 + 0.25 gave 1e27 + 0.2).
#[inline]
pub fn add(function: &str, what: &str, a: Decimal, b: Decimal) -> MetricResult<Decimal> {
    exact_sum(a, b, false).ok_or_else(|| inexact(function, what, a, "+", b))
}

/// `a - b` exactly (as [`add`]), or 22003 naming `what` and both values.
#[inline]
pub fn sub(function: &str, what: &str, a: Decimal, b: Decimal) -> MetricResult<Decimal> {
    exact_sum(a, b, true).ok_or_else(|| inexact(function, what, a, "-", b))
}

#[cold]
#[inline(never)]
fn inexact(function: &str, what: &str, a: Decimal, operator: &str, b: Decimal) -> MetricError {
    money_out_of_range(
        function,
        what,
        &format!("{a} {operator} {b} {OUT_OF_MONEY_RANGE}"),
    )
}

/// `a + b` (or `a - b`) as an exact `Decimal` at the larger scale of the two (fewer places only
/// when the last ones are zeros and the mantissa would not fit otherwise); `None` when no
/// `Decimal` holds the exact result.
#[inline]
pub fn exact_sum(a: Decimal, b: Decimal, subtract: bool) -> Option<Decimal> {
    let (scale_a, scale_b) = (a.scale(), b.scale());
    let right = if subtract {
        -b.mantissa()
    } else {
        b.mantissa()
    };
    if scale_a == scale_b {
        // Mantissas are below 2^96: the i128 sum cannot overflow.
        return fit(a.mantissa() + right, scale_a);
    }
    let scale = scale_a.max(scale_b);
    let widen = |mantissa: i128, from: u32| {
        10i128
            .checked_pow(scale - from)
            .and_then(|factor| mantissa.checked_mul(factor))
    };
    match (widen(a.mantissa(), scale_a), widen(right, scale_b)) {
        (Some(left), Some(right)) => fit(left.checked_add(right)?, scale),
        _ => {
            // A mantissa past 2^127 at the common scale: without zeros at the end of the
            // fractions (normalized), the exact sum's last digit is at the larger remaining
            // scale, and if a mantissa still passes 2^127 there, the sum passes 2^96 there.
            // The sum at the scale the direct way gives: the larger scale, less only the zeros
            // at the end that the mantissa cannot hold (else a sum's scale would depend on the
            // order of its amounts).
            let (a_normal, b_normal) = (a.normalize(), b.normalize());
            if (a_normal.scale(), b_normal.scale()) == (scale_a, scale_b) {
                return None;
            }
            exact_sum(a_normal, b_normal, subtract).map(|sum| with_scale(sum, scale))
        }
    }
}

/// `mantissa · 10^-scale` as a `Decimal`, dropping zeros at the end of the fraction only while
/// the mantissa does not fit 96 bits; `None` when it cannot fit without rounding.
#[inline(always)]
fn fit(mut mantissa: i128, mut scale: u32) -> Option<Decimal> {
    const LIMIT: u128 = MANTISSA_LIMIT;
    while mantissa.unsigned_abs() >= LIMIT {
        if scale == 0 || mantissa % 10 != 0 {
            return None;
        }
        mantissa /= 10;
        scale -= 1;
    }
    Decimal::try_from_i128_with_scale(mantissa, scale).ok()
}

/// `value` at `scale` places when that is exact and fits (the display scale a sum of amounts of
/// at most `scale` places has), else at the nearest scale that is; used when a window frame
/// drops the rows that had the most places.
pub fn with_scale(value: Decimal, scale: u32) -> Decimal {
    let mut mantissa = value.mantissa();
    let mut current = value.scale();
    while current > scale && mantissa % 10 == 0 {
        mantissa /= 10;
        current -= 1;
    }
    while current < scale {
        match mantissa
            .checked_mul(10)
            .filter(|m| m.unsigned_abs() < MANTISSA_LIMIT)
        {
            Some(wider) => {
                mantissa = wider;
                current += 1;
            }
            None => break,
        }
    }
    Decimal::try_from_i128_with_scale(mantissa, current).unwrap_or(value)
}

/// `a * b`, or 22003 naming `what`.
#[inline]
pub fn mul(function: &str, what: &str, a: Decimal, b: Decimal) -> MetricResult<Decimal> {
    a.checked_mul(b)
        .ok_or_else(|| money_out_of_range(function, what, "overflows (more than 28 digits)"))
}

/// Money per count, `amount / count` (count above 0): an exact `Decimal` quotient keeps its
/// scale (50000.00 / 125 = 400.00); any other is rounded once to 28 significant digits,
/// however small (1 / 3 = 0.3333333333333333333333333333, 1e-28 / 3 = 3.333...e-29).
pub fn per_count(amount: Decimal, count: u64) -> Significant {
    let count = Decimal::from(count);
    match amount.checked_div(count) {
        Some(quotient) if mul_exact(quotient, count) == Some(amount) => {
            Significant::of_decimal(quotient)
        }
        _ => Fraction::of_decimal(amount)
            .over(&Fraction::of_decimal(count))
            .expect("a nonzero count")
            .to_significant(28),
    }
}

/// `a · b` when a `Decimal` holds it exactly; `None` when the product needs more than its
/// 96-bit mantissa and 28 decimal places (`checked_mul` would round it:
/// 9999999999999999999999999999 × 1.5 is 14999999999999999999999999998.5, which it gives as
/// ...998, and 1e-20 × 1e-20 as 0).
pub fn mul_exact(a: Decimal, b: Decimal) -> Option<Decimal> {
    let product = a.checked_mul(b)?;
    let natural = a.scale() + b.scale();
    if product.scale() == natural {
        return Some(product);
    }
    // Digits were dropped: exact only when the full product, a 192-bit integer at scale
    // `natural`, equals the result's mantissa times 10^(natural - its scale).
    let (a0, a1) = (
        a.mantissa().unsigned_abs() as u64,
        (a.mantissa().unsigned_abs() >> 64) as u64,
    );
    let (b0, b1) = (
        b.mantissa().unsigned_abs() as u64,
        (b.mantissa().unsigned_abs() >> 64) as u64,
    );
    let wide = |x: u64, y: u64| u128::from(x) * u128::from(y);
    let low = wide(a0, b0);
    let middle = wide(a1, b0) + wide(a0, b1); // both below 2^96: no overflow
    let high = wide(a1, b1);
    let limb0 = low as u64;
    let carry = (low >> 64) + (middle & u128::from(u64::MAX));
    let limb1 = carry as u64;
    let carry = (carry >> 64) + (middle >> 64) + high;
    let mut full = [limb0, limb1, carry as u64, (carry >> 64) as u64];
    let mut shift = natural.checked_sub(product.scale())?;
    while shift > 0 {
        // full /= 10, refusing a nonzero remainder.
        let mut remainder = 0u128;
        for limb in full.iter_mut().rev() {
            let value = (remainder << 64) | u128::from(*limb);
            *limb = (value / 10) as u64;
            remainder = value % 10;
        }
        if remainder != 0 {
            return None;
        }
        shift -= 1;
    }
    let mantissa = product.mantissa().unsigned_abs();
    (full == [mantissa as u64, (mantissa >> 64) as u64, 0, 0]).then_some(product)
}

/// `a / b` rounded to 28 significant digits; `None` when `b` is zero; 22003 on overflow.
#[inline]
pub fn div(function: &str, what: &str, a: Decimal, b: Decimal) -> MetricResult<Option<Decimal>> {
    if b.is_zero() {
        return Ok(None);
    }
    a.checked_div(b)
        .map(Some)
        .ok_or_else(|| money_out_of_range(function, what, "overflows (more than 28 digits)"))
}

/// `a / b` as a double; `None` when `b` is zero: the double nearest to the exact quotient (ties
/// to even), for every pair of decimals (`1 / 3` is 0.3333333333333333, not 0.33333333333333337;
/// Postgres's `(a::numeric / b)::float8` keeps 16 digits after the point and misses by a unit of
/// the last place for 11 / 9).
pub fn ratio(a: Decimal, b: Decimal) -> Option<f64> {
    Fraction::of_decimal(a)
        .over(&Fraction::of_decimal(b))
        .map(|quotient| quotient.to_f64())
}

/// Appends a `Decimal` to a binary form: its mantissa (zigzag, as two varints) and its scale.
pub fn write_decimal(writer: &mut Writer, value: Decimal) {
    let mantissa = value.mantissa();
    let zigzag = ((mantissa << 1) ^ (mantissa >> 127)) as u128;
    writer
        .u64(zigzag as u64)
        .u64((zigzag >> 64) as u64)
        .u8(value.scale() as u8);
}

/// Reads a `Decimal` written by [`write_decimal`], rejecting mantissas or scales a `Decimal`
/// cannot hold.
pub fn read_decimal(reader: &mut Reader<'_>, what: &str) -> MetricResult<Decimal> {
    let zigzag = u128::from(reader.u64()?) | (u128::from(reader.u64()?) << 64);
    let mantissa = ((zigzag >> 1) as i128) ^ -((zigzag & 1) as i128);
    let scale = u32::from(reader.u8()?);
    Decimal::try_from_i128_with_scale(mantissa, scale)
        .map_err(|_| MetricError::InvalidBinary(format!("{what}: malformed decimal value")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    /// The payload of a long-format numeric.
    fn long(negative: bool, dscale: u16, weight: i16, digits: &[u16]) -> Vec<u8> {
        let mut bytes = Vec::new();
        let sign = if negative { NUMERIC_NEG } else { 0 };
        bytes.extend_from_slice(&(sign | dscale).to_ne_bytes());
        bytes.extend_from_slice(&weight.to_ne_bytes());
        for digit in digits {
            bytes.extend_from_slice(&digit.to_ne_bytes());
        }
        bytes
    }

    /// The payload of a short-format numeric.
    fn short(negative: bool, dscale: u16, weight: i16, digits: &[u16]) -> Vec<u8> {
        let mut header = NUMERIC_SHORT | (dscale << NUMERIC_SHORT_DSCALE_SHIFT);
        if negative {
            header |= NUMERIC_SHORT_SIGN_MASK;
        }
        if weight < 0 {
            header |= NUMERIC_SHORT_WEIGHT_SIGN_MASK | ((weight + 64) as u16);
        } else {
            header |= weight as u16;
        }
        let mut bytes = header.to_ne_bytes().to_vec();
        for digit in digits {
            bytes.extend_from_slice(&digit.to_ne_bytes());
        }
        bytes
    }

    fn d_str(text: &str) -> Decimal {
        Decimal::from_str(text).unwrap()
    }

    fn read(bytes: &[u8]) -> MetricResult<Decimal> {
        decimal_from_numeric_bytes("crm.f", "amount", bytes)
    }

    #[test]
    fn reads_both_formats_with_their_display_scale() {
        // 10000.00: one digit 1 of weight 1, dscale 2.
        assert_eq!(
            read(&short(false, 2, 1, &[1])).unwrap().to_string(),
            "10000.00"
        );
        assert_eq!(
            read(&long(false, 2, 1, &[1])).unwrap().to_string(),
            "10000.00"
        );
        // -1.5: digits 1, 5000, weight 0, dscale 1.
        assert_eq!(
            read(&short(true, 1, 0, &[1, 5000])).unwrap().to_string(),
            "-1.5"
        );
        // 0.0001234: weight -1, digits 1, 2340, dscale 7.
        assert_eq!(
            read(&short(false, 7, -1, &[1, 2340])).unwrap().to_string(),
            "0.0001234"
        );
        // zero with and without scale
        assert_eq!(read(&short(false, 0, 0, &[])).unwrap().to_string(), "0");
        assert_eq!(read(&short(false, 3, 0, &[])).unwrap().to_string(), "0.000");
        // 123456789012.34
        assert_eq!(
            read(&long(false, 2, 2, &[1234, 5678, 9012, 3400])).unwrap(),
            Decimal::from_str("123456789012.34").unwrap()
        );
    }

    #[test]
    fn writes_the_short_form_postgres_writes() {
        assert_eq!(
            numeric_from_decimal(d_str("22.345")),
            short(false, 3, 0, &[22, 3450])
        );
        assert_eq!(
            numeric_from_decimal(d_str("-0.0012")),
            short(true, 4, -1, &[12])
        );
        assert_eq!(numeric_from_decimal(d_str("0.00")), short(false, 2, 0, &[]));
        // Unnormalized digits (a trailing zero digit) read too: -50000.0.
        assert_eq!(
            read_numeric(&long(true, 1, 1, &[5, 0])),
            Ok(d_str("-50000.0"))
        );
        assert_eq!(read_numeric(&[0x80]), Err(NumericError::Malformed));
        assert_eq!(
            read_numeric(&short(false, 0, 30, &[1])),
            Err(NumericError::TooManyDigits)
        );
    }

    #[test]
    fn values_too_wide_are_named_as_postgres_prints_them() {
        for (bytes, text) in [
            (
                short(false, 0, 7, &[100]),
                "1000000000000000000000000000000",
            ),
            (
                long(true, 0, 7, &[12, 3456]),
                "-123456000000000000000000000000",
            ),
            (
                short(false, 32, -8, &[1]),
                "0.00000000000000000000000000000001",
            ),
            (long(false, 6, 0, &[7, 1200]), "7.120000"),
            (short(false, 2, -1, &[5000]), "0.50"),
            (short(false, 0, 0, &[]), "0"),
        ] {
            assert_eq!(numeric_text(&bytes).as_deref(), Some(text));
        }
        assert_eq!(numeric_text(&[0x80]), None);
        assert_eq!(
            decimal_from_numeric_bytes("crm.f", "mrr", &short(false, 0, 7, &[100])),
            Err(MetricError::OutOfRange(format!(
                "crm.f: mrr 1000000000000000000000000000000 {OUT_OF_MONEY_RANGE}"
            )))
        );
    }

    proptest::proptest! {
        #[test]
        fn numeric_bytes_round_trip(
            mantissa in proptest::prelude::any::<i64>(),
            scale in 0u32..=28,
            wide in proptest::prelude::any::<bool>(),
        ) {
            let value = if wide {
                Decimal::from_i128_with_scale(i128::from(mantissa) * 1_000_000_007, scale)
            } else {
                Decimal::new(mantissa, scale.min(18))
            };
            let decoded = read_numeric(&numeric_from_decimal(value)).unwrap();
            proptest::prop_assert_eq!(decoded, value);
            proptest::prop_assert_eq!(decoded.scale(), value.scale());
        }
    }

    proptest::proptest! {
        #[test]
        fn the_small_reader_reads_what_read_numeric_reads(
            negative in proptest::prelude::any::<bool>(),
            dscale in 0u16..40,
            weight in -8i16..8,
            digits in proptest::collection::vec(
                proptest::prop_oneof![8 => 0u16..10_000, 1 => proptest::prelude::any::<u16>()],
                0..6,
            ),
            odd in proptest::prelude::any::<bool>(),
        ) {
            let mut bytes = short(negative, dscale.min(63), weight, &digits);
            if odd {
                bytes.push(7);
            }
            if let Some((mantissa, scale)) = read_small_numeric(&bytes) {
                let read = read_numeric(&bytes).unwrap();
                proptest::prop_assert_eq!(
                    read.serialize(),
                    Decimal::from_i128_with_scale(i128::from(mantissa), scale).serialize()
                );
            } else {
                // Only what the small reader cannot hold is left to read_numeric (a zero of
                // a large weight included: 10^20 passes 64 bits).
                let long_form = digits.len() > 4 || odd;
                let exponent = 4 * (i32::from(weight) + 1 - digits.len() as i32);
                let wide = read_numeric(&bytes).map_or(true, |read| {
                    i64::try_from(read.mantissa()).is_err() || read.scale() > 28
                });
                proptest::prop_assert!(long_form || wide || exponent >= 20);
            }
        }
    }

    #[test]
    fn refuses_what_does_not_fit() {
        // 10^28 · 10 = 10^29 > 7.9e28
        assert!(read(&long(false, 0, 7, &[10])).is_err());
        // 28 nines fit; 30 nines do not
        let nines = [99u16, 9999, 9999, 9999, 9999, 9999, 9999];
        assert!(read(&long(false, 0, 6, &nines)).is_ok());
        assert!(read(&long(
            false,
            0,
            7,
            &[9, 9999, 9999, 9999, 9999, 9999, 9999, 9999]
        ))
        .is_err());
        // 1e-32: more than 28 places
        assert!(read(&long(false, 32, -8, &[1])).is_err());
        // 1e-28 fits
        assert_eq!(read(&long(false, 28, -7, &[1])).unwrap().scale(), 28);
        // dscale 40 with few digits: kept exact at scale 28
        assert_eq!(
            read(&long(false, 40, -1, &[5000])).unwrap().to_string(),
            format!("0.5{}", "0".repeat(27))
        );
        for special in [0xC000u16, 0xD000, 0xF000] {
            let error = read(&special.to_ne_bytes()).unwrap_err();
            assert!(matches!(error, MetricError::OutOfRange(_)), "{error:?}");
        }
        assert!(matches!(read(&[1]), Err(MetricError::InvalidBinary(_))));
        // a huge weight with many digits
        assert!(read(&long(false, 0, 1000, &[1; 40])).is_err());
    }

    #[test]
    fn decimals_round_trip_through_the_codec() {
        for text in [
            "0",
            "-0.00",
            "12.34",
            "-79228162514264337593543950335",
            "0.0000000000000000000000000001",
        ] {
            let value = Decimal::from_str(text).unwrap();
            let mut writer = Writer::with_version(1);
            write_decimal(&mut writer, value);
            let bytes = writer.finish("t").unwrap();
            let mut reader = Reader::open(&bytes, 1, "t").unwrap();
            let back = read_decimal(&mut reader, "t").unwrap();
            assert_eq!((back, back.scale()), (value, value.scale()));
            reader.finish().unwrap();
        }
        let mut writer = Writer::with_version(1);
        writer.u64(2).u64(0).u8(29);
        let bytes = writer.finish("t").unwrap();
        assert!(read_decimal(&mut Reader::open(&bytes, 1, "t").unwrap(), "t").is_err());
        let mut writer = Writer::with_version(1);
        writer.u64(0).u64(1 << 40).u8(0);
        let bytes = writer.finish("t").unwrap();
        assert!(read_decimal(&mut Reader::open(&bytes, 1, "t").unwrap(), "t").is_err());
    }

    /// The text of a numeric reads as its bytes do, scale included: a window's inverse
    /// transition reads the text of the amount its forward transition read from the bytes.
    #[test]
    fn text_reads_as_the_numeric_bytes_do() {
        // (dscale, weight, base-10000 digits): 0.1 at 30 places, 5 at 35, 1e27 + 0.5 at 30 (room
        // for one place), 79228162514264337593543950335 at 2 (room for none), 12.5 at 1.
        for (dscale, weight, digits) in [
            (30, -1, &[1000][..]),
            (35, 0, &[5][..]),
            (30, 6, &[1000, 0, 0, 0, 0, 0, 0, 5000][..]),
            (2, 7, &[7, 9228, 1625, 1426, 4337, 5935, 4395, 335][..]),
            (1, 0, &[12, 5000][..]),
        ] {
            let bytes = long(false, dscale, weight, digits);
            let text = numeric_text(&bytes).unwrap();
            let from_bytes = read_numeric(&bytes).unwrap();
            let from_text = decimal_from_text("f", "x", &text).unwrap();
            assert_eq!(
                (from_text, from_text.scale()),
                (from_bytes, from_bytes.scale()),
                "{text}"
            );
        }
    }

    #[test]
    fn text_and_arithmetic() {
        assert_eq!(
            decimal_from_text("f", "x", "12.50").unwrap().to_string(),
            "12.50"
        );
        assert!(decimal_from_text("f", "x", "NaN").is_err());
        assert!(decimal_from_text("f", "x", "1e40").is_err());
        for malformed in ["5e3", " 5", "5 ", "1.2.3", ".", "-", "0x10"] {
            let error = decimal_from_text("f", "x", malformed).unwrap_err();
            assert!(
                error.to_string().contains("is not a plain decimal"),
                "{malformed}: {error}"
            );
        }
        let long = decimal_from_text("f", "x", &"9".repeat(30)).unwrap_err();
        assert!(long.to_string().contains(OUT_OF_MONEY_RANGE), "{long}");
        // One significant digit past 2^96 is as far out as 29 digits: the message says why.
        let wide = decimal_from_text("f", "x", "80000000000000000000000000000").unwrap_err();
        assert!(wide.to_string().contains(OUT_OF_MONEY_RANGE), "{wide}");
        let zeros = format!("1.5{}", "0".repeat(40));
        assert_eq!(decimal_from_text("f", "x", &zeros).unwrap(), d_str("1.5"));
        assert!(decimal_from_text("f", "x", &format!("0.{}1", "0".repeat(40))).is_err());
        assert_eq!(
            finite_decimal_from_text("f", "x", "12.50")
                .unwrap()
                .to_string(),
            "12.50"
        );
        for (text, refused) in [
            (
                "NaN",
                MetricError::InvalidParameter("f: x NaN is not a finite number".into()),
            ),
            (
                "-Infinity",
                MetricError::InvalidParameter("f: x -Infinity is not a finite number".into()),
            ),
            (
                &zeros,
                MetricError::OutOfRange(format!("f: x {zeros} has more than 28 decimal places")),
            ),
            (
                "80000000000000000000000000000",
                MetricError::OutOfRange(format!(
                    "f: x 80000000000000000000000000000 {OUT_OF_MONEY_RANGE}"
                )),
            ),
        ] {
            assert_eq!(finite_decimal_from_text("f", "x", text), Err(refused));
        }
        let max = Decimal::MAX;
        assert!(add("f", "x", max, Decimal::ONE).is_err());
        assert!(sub("f", "x", Decimal::MIN, Decimal::ONE).is_err());
        assert!(mul("f", "x", max, Decimal::TWO).is_err());
        assert_eq!(div("f", "x", Decimal::ONE, Decimal::ZERO).unwrap(), None);
        assert_eq!(ratio(Decimal::from(85), Decimal::from(80)), Some(1.0625));
        assert_eq!(ratio(Decimal::ONE, Decimal::ZERO), None);
    }

    #[test]
    fn exact_products_or_none() {
        let d = |text: &str| Decimal::from_str(text).unwrap();
        let nines = d("9999999999999999999999999999");
        assert_eq!(mul_exact(nines, d("1.5")), None);
        assert_eq!(
            mul_exact(nines, d("3")),
            Some(d("29999999999999999999999999997"))
        );
        assert_eq!(mul_exact(d("1e-20"), d("1e-20")), None);
        assert_eq!(mul_exact(d("0.5"), d("0.2")), Some(d("0.1")));
        assert_eq!(mul_exact(d("-2.5"), d("4")), Some(d("-10")));
        // Trailing zeros past 28 places are dropped exactly.
        assert_eq!(
            mul_exact(d("0.10000000000000000000"), d("0.1000000000000000000")),
            Some(d("0.01"))
        );
        assert_eq!(mul_exact(Decimal::MAX, d("2")), None);
        assert_eq!(mul_exact(Decimal::MAX, d("1.0")), Some(Decimal::MAX));
    }

    proptest::proptest! {
        #[test]
        fn exact_products_agree_with_integer_arithmetic(
            a in -1_000_000_000_000i64..1_000_000_000_000,
            b in -1_000_000_000_000i64..1_000_000_000_000,
            sa in 0u32..20,
            sb in 0u32..20,
        ) {
            let (x, y) = (Decimal::new(a, sa), Decimal::new(b, sb));
            // The exact product is a·b at scale sa + sb; it fits when that scale is at most 28
            // or its trailing digits past 28 places are zeros.
            let mut mantissa = i128::from(a) * i128::from(b);
            let mut scale = sa + sb;
            while scale > 28 && mantissa % 10 == 0 {
                mantissa /= 10;
                scale -= 1;
            }
            let expected = (scale <= 28).then(|| Decimal::from_i128_with_scale(mantissa, scale));
            proptest::prop_assert_eq!(mul_exact(x, y), expected);
        }
    }

    #[test]
    fn ratios_are_the_nearest_double() {
        // Integers below 2^53 are exact doubles, so their float quotient is the nearest double
        // to a / b.
        for a in -100i64..=100 {
            for b in (1i64..=100).chain(-7..=-1) {
                let expected = a as f64 / b as f64;
                assert_eq!(
                    ratio(Decimal::from(a), Decimal::from(b)),
                    Some(expected),
                    "{a} / {b}"
                );
            }
        }
        // Past what a `Decimal` quotient holds: exact (checked against Python's
        // `float(Fraction(...))`).
        let tiny = ratio(Decimal::new(1, 28), Decimal::from(3)).unwrap();
        assert_eq!(tiny, 3.3333333333333334e-29);
        let huge = ratio(Decimal::MAX, Decimal::new(1, 28)).unwrap();
        assert_eq!(huge, 7.922816251426433e56);
        assert_eq!(ratio(Decimal::new(5, 1), Decimal::new(2, 0)), Some(0.25));
    }

    #[test]
    fn sums_are_exact_or_refused() {
        let big = d_str("1000000000000000000000000000");
        // 1e27 + 0.25 needs 30 digits: refused, never rounded to 1e27 + 0.2.
        let error = add("crm.f", "won value", big, d_str("0.25")).unwrap_err();
        assert!(
            matches!(&error, MetricError::OutOfRange(message)
            if message.starts_with("crm.f: won value 1000000000000000000000000000 + 0.25")),
            "{error:?}"
        );
        assert!(sub("crm.f", "x", big, d_str("0.25")).is_err());
        // 1e27 + 0.2 fits (29 digits below 2^96).
        assert_eq!(
            add("f", "x", big, d_str("0.2")).unwrap(),
            d_str("1000000000000000000000000000.2")
        );
        // Zeros at the end are dropped when the mantissa would not fit otherwise.
        let sum = add("f", "x", big, d_str("0.20")).unwrap();
        assert_eq!(
            (sum, sum.scale()),
            (d_str("1000000000000000000000000000.2"), 1)
        );
        // The larger scale is kept: 8.50 - 0.25 is 8.25, 8.75 - 0.25 is 8.50.
        assert_eq!(
            sub("f", "x", d_str("8.75"), d_str("0.25"))
                .unwrap()
                .to_string(),
            "8.50"
        );
        assert_eq!(
            add("f", "x", d_str("8.5"), d_str("0.25"))
                .unwrap()
                .to_string(),
            "8.75"
        );
        assert_eq!(
            add("f", "x", d_str("8"), d_str("0.0")).unwrap().to_string(),
            "8.0"
        );
        // Scales 0 and 28 far apart.
        assert!(add(
            "f",
            "x",
            Decimal::MAX,
            d_str("0.0000000000000000000000000001")
        )
        .is_err());
        assert_eq!(
            add(
                "f",
                "x",
                Decimal::MAX,
                d_str("0.0000000000000000000000000000")
            )
            .unwrap(),
            Decimal::MAX
        );
        assert_eq!(
            add("f", "x", Decimal::MAX, Decimal::MIN).unwrap(),
            Decimal::ZERO
        );
        assert_eq!(
            sub(
                "f",
                "x",
                d_str("0.0000000000000000000000000001"),
                d_str("0.0000000000000000000000000001")
            )
            .unwrap(),
            Decimal::ZERO
        );
        // A sum that passes 2^127 at the larger scale keeps as many places as fit there too:
        // 100000000001.0 + 1.0000000000000000000000000000 has 17 (not 0, as normalized).
        assert_eq!(
            add(
                "f",
                "x",
                d_str("100000000001.0"),
                d_str("1.0000000000000000000000000000")
            )
            .unwrap()
            .to_string(),
            "100000000002.00000000000000000"
        );
        // Cancelling amounts after a partial sum dropped places: the places stay dropped (the
        // order then shows in the trailing zeros, docs/types.md).
        let (one, big) = (d_str("1.0000000000000000000000000000"), d_str("1e20"));
        let cancelled_first = add("f", "x", sub("f", "x", big, big).unwrap(), one).unwrap();
        let cancelled_last = sub("f", "x", add("f", "x", one, big).unwrap(), big).unwrap();
        assert_eq!((cancelled_first.scale(), cancelled_last.scale()), (28, 8));
        assert_eq!(with_scale(d_str("8.50"), 1).to_string(), "8.5");
        assert_eq!(with_scale(d_str("8.5"), 2).to_string(), "8.50");
        assert_eq!(with_scale(d_str("8.25"), 1).to_string(), "8.25");
        assert_eq!(with_scale(Decimal::MAX, 2), Decimal::MAX);
    }

    proptest::proptest! {
        #[test]
        fn sums_equal_exact_integer_arithmetic(
            a in proptest::num::i128::ANY, sa in 0u32..=28,
            b in proptest::num::i128::ANY, sb in 0u32..=28,
            shift_a in 0u32..100, shift_b in 0u32..100,
        ) {
            let a = Decimal::from_i128_with_scale((a >> 32) >> (shift_a % 97), sa);
            let b = Decimal::from_i128_with_scale((b >> 32) >> (shift_b % 97), sb);
            for subtract in [false, true] {
                let result = exact_sum(a, b, subtract);
                // Reference: both at scale 28 in i256-free arithmetic via text-free checks.
                if let Some(result) = result {
                    // The larger scale, or as many places as the mantissa holds.
                    proptest::prop_assert!(result.scale() <= sa.max(sb));
                    proptest::prop_assert!(
                        result.scale() == sa.max(sb)
                            || result.mantissa().unsigned_abs() * 10 >= MANTISSA_LIMIT
                    );
                    let back = exact_sum(result, b, !subtract).unwrap();
                    proptest::prop_assert_eq!(back, a);
                    // rust_decimal agrees when its own sum is exact.
                    let theirs = if subtract { a.checked_sub(b) } else { a.checked_add(b) };
                    proptest::prop_assert_eq!(theirs, Some(result));
                } else {
                    // rust_decimal's sum then differs from the exact one (rounded) or overflows.
                    let theirs = if subtract { a.checked_sub(b) } else { a.checked_add(b) };
                    if let Some(theirs) = theirs {
                        let back = if subtract { theirs.checked_add(b) } else { theirs.checked_sub(b) };
                        proptest::prop_assert!(back != Some(a) || theirs.scale() < sa.max(sb));
                    }
                }
            }
        }
    }

    proptest::proptest! {
        /// Amounts of one sign add up to one value at one scale in any order (sums of amounts,
        /// partial sums merged in any order, give equal summaries).
        #[test]
        fn sums_of_one_sign_keep_one_scale_in_any_order(
            amounts in proptest::collection::vec((0u64..1 << 40, 0u32..=28, 0u32..=28), 2..6),
            negative in proptest::bool::ANY,
        ) {
            // Digits, then zeros at the end of the fraction (what makes scales drop), at a scale.
            let amounts: Vec<Decimal> = amounts
                .into_iter()
                .map(|(digits, zeros, scale)| {
                    let mut mantissa = i128::from(digits);
                    for _ in 0..zeros {
                        if (mantissa * 10).unsigned_abs() < MANTISSA_LIMIT {
                            mantissa *= 10;
                        }
                    }
                    let value = Decimal::from_i128_with_scale(mantissa, scale);
                    if negative { -value } else { value }
                })
                .collect();
            let sum = |order: &[Decimal]| {
                order.iter().try_fold(Decimal::ZERO, |sum, amount| exact_sum(sum, *amount, false))
            };
            let forward = sum(&amounts);
            let mut reversed = amounts.clone();
            reversed.reverse();
            let backward = sum(&reversed);
            let mut rotated = amounts.clone();
            rotated.rotate_left(1);
            let rotated = sum(&rotated);
            for other in [backward, rotated] {
                if let (Some(forward), Some(other)) = (forward, other) {
                    proptest::prop_assert_eq!(forward, other);
                    proptest::prop_assert_eq!(forward.scale(), other.scale());
                }
            }
        }
    }
}
