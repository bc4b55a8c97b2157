//! SQL surface of the CLV family, by concern: the model and state types with the models'
//! constructors and accessors (`models`), the fit aggregates' support functions over
//! (frequency, recency, t) rows (`fits`) and straight from purchases (`purchases`), RFM
//! (`rfm`), the calibration/holdout split (`holdout`), the seed formulas and predictions
//! (`predict`), and the BG/BB model of discrete transaction opportunities with its fit and
//! predictions (`bgbb`). Aggregates are declared in
//! `sql/clv.sql` (BG/BB: `sql/bgbb.sql`); the raw transition functions declare their own `CREATE FUNCTION`.

use crate::common::error::MetricError;
use crate::common::pg::OrRaise;
use crate::common::raw::{raise_from_raw, raw_arg};
use pgrx::prelude::*;

pub mod bgbb;
pub mod fits;
pub mod holdout;
pub mod models;
pub mod predict;
pub mod purchases;
pub mod rfm;

const BGNBD_FIT: &str = "crm.bgnbd_fit";
const MBG_NBD_FIT: &str = "crm.mbg_nbd_fit";
const PARETO_NBD_FIT: &str = "crm.pareto_nbd_fit";
const GAMMA_GAMMA_FIT: &str = "crm.gamma_gamma_fit";
const SBG_FIT: &str = "crm.sbg_fit";
const RFM_AGG: &str = "crm.rfm_agg";
const RFM_HOLDOUT_AGG: &str = "crm.rfm_holdout_agg";
const CLV: &str = "crm.clv";
const EXPECTED_PURCHASES: &str = "crm.expected_purchases";

/// A `numeric` argument as a float for the model math: NaN and ±Infinity as themselves (the
/// callers refuse them by name); a finite value past the range of double precision, either way,
/// is 22003 naming `function`, `name` and the value, as Postgres's own cast refuses it.
fn float_of(function: &str, name: &str, value: AnyNumeric) -> f64 {
    if value.is_nan() {
        return f64::NAN;
    }
    let text = value.to_string();
    f64::try_from(value)
        .map_err(|_| {
            MetricError::OutOfRange(format!(
                "{function}: {name} {} is out of the range of double precision",
                scientific(&text)
            ))
        })
        .or_raise()
}

/// A decimal number's text (as `numeric` prints it) in scientific notation with at most 17
/// significant digits, for messages about numbers hundreds of digits long: `1e+400`,
/// `-1.5e-401`.
fn scientific(text: &str) -> String {
    let (sign, digits) = match text.strip_prefix('-') {
        Some(rest) => ("-", rest),
        None => ("", text),
    };
    let (whole, fraction) = digits.split_once('.').unwrap_or((digits, ""));
    let all: String = whole.chars().chain(fraction.chars()).collect();
    let Some(first) = all.find(|c: char| c != '0') else {
        return text.to_owned();
    };
    let exponent = whole.len() as i64 - 1 - first as i64;
    let significant = all[first..].trim_end_matches('0');
    let (lead, rest) = significant.split_at(1);
    let rest = &rest[..rest.len().min(16)];
    let mantissa = if rest.is_empty() {
        lead.to_owned()
    } else {
        format!("{lead}.{rest}")
    };
    format!("{sign}{mantissa}e{exponent:+}")
}

/// The penalizer argument of a penalized fit's transition (`at`: its index; `None` for the
/// unpenalized forms), recorded in the state: a NULL penalizer gives none, a negative,
/// NaN or infinite one, or one that differs from an earlier row's, is 22023.
///
/// # Safety
/// `fcinfo` must be the running call's; with `at`, argument `at` must be a double precision.
#[inline(always)]
unsafe fn row_penalizer(fcinfo: pg_sys::FunctionCallInfo, at: Option<usize>) -> Option<f64> {
    // SAFETY: argument `at` exists and is a double precision (this function's contract).
    at.and_then(|at| unsafe { raw_arg(fcinfo, at) })
        .map(|penalizer| f64::from_bits(penalizer.value() as u64))
}

/// A finite timestamp argument, 22008 for ±infinity.
#[inline(always)]
fn finite_timestamp(function: &'static str, name: &'static str, value: i64) -> i64 {
    if value == i64::MAX || value == i64::MIN {
        infinite_timestamp(function, name);
    }
    value
}

#[cold]
#[inline(never)]
fn infinite_timestamp(function: &'static str, name: &'static str) -> ! {
    raise_from_raw(move || {
        MetricError::DatetimeOverflow(format!("{function}: {name} must be finite"))
    })
}

#[cfg(test)]
mod tests {
    use super::scientific;

    #[test]
    fn scientific_notation_of_long_numbers() {
        assert_eq!(scientific(&format!("1{}", "0".repeat(400))), "1e+400");
        assert_eq!(scientific(&format!("-15{}", "0".repeat(399))), "-1.5e+400");
        assert_eq!(scientific(&format!("0.{}1", "0".repeat(399))), "1e-400");
        assert_eq!(
            scientific(&format!("-0.{}25000", "0".repeat(400))),
            "-2.5e-401"
        );
        assert_eq!(
            scientific(&format!("123456789012345678901{}.5", "0".repeat(300))),
            "1.2345678901234567e+320"
        );
        assert_eq!(scientific("12.50"), "1.25e+1");
        assert_eq!(scientific("0.000"), "0.000");
    }
}
