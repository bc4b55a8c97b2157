//! SQL surface of the CLV family, by concern: the model and state types with the models'
//! constructors and accessors (`models`), the fit aggregates' support functions over
//! (frequency, recency, t) rows (`fits`) and straight from purchases (`purchases`), RFM
//! (`rfm`), the calibration/holdout split (`holdout`), the seed formulas and predictions
//! (`predict`), and the BG/BB model of discrete transaction opportunities with its fit and
//! predictions (`bgbb`). Aggregates are declared in
//! `sql/clv.sql` (BG/BB: `sql/bgbb.sql`); the raw transition functions declare their own `CREATE FUNCTION`.

use crate::common::error::MetricError;
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

/// A `numeric` as a float for the model math (non-finite values are refused by the callers).
fn float_of(value: AnyNumeric) -> f64 {
    f64::try_from(value).unwrap_or(f64::NAN)
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
