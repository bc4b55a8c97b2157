//! What reads a `crm.survival_summary`: `crm.survival_curve`, `crm.survival_at`,
//! `crm.median_survival`, `crm.median_survival_interval`, `crm.restricted_mean_survival`,
//! `crm.life_table` and `crm.logrank_test`.
use super::summary::survival_summary;
use super::{interval_of, micros_of, raw_interval_of};
use crate::common::pg::{bigint, with_varlena_bytes, OrRaise};
use crate::common::raw::raw_strict_arguments;
use crate::common::srf::MaterializedRows;
use crate::survival::state::{MedianInterval, SurvivalSummary};
use pgrx::datum::Interval;
use pgrx::prelude::*;

const SURVIVAL_CURVE: &str = "crm.survival_curve";
const SURVIVAL_AT: &str = "crm.survival_at";
const MEDIAN_SURVIVAL: &str = "crm.median_survival";
const MEDIAN_SURVIVAL_INTERVAL: &str = "crm.median_survival_interval";
const RESTRICTED_MEAN_SURVIVAL: &str = "crm.restricted_mean_survival";
const LIFE_TABLE: &str = "crm.life_table";

crate::raw_transition! {
    /// `crm.survival_curve`: the Kaplan–Meier curve, one row per distinct duration, with its
    /// exponential-Greenwood (log-log) interval at `confidence`, as lifelines'
    /// KaplanMeierFitter reports it. A raw function in materialize mode (`common::srf`): the
    /// rows go straight from the summary into the result's tuplestore.
    fn crm_survival_curve / pg_finfo_crm_survival_curve (fcinfo)
    sql [
        "crm.survival_curve(\n    \"summary\" crm.survival_summary,\n    \"confidence\" double precision DEFAULT 0.95\n) RETURNS TABLE (\n    \"time\" interval,\n    \"at_risk\" bigint,\n    \"events\" bigint,\n    \"censored\" bigint,\n    \"survival\" double precision,\n    \"low\" double precision,\n    \"high\" double precision\n)\nIMMUTABLE STRICT PARALLEL SAFE",
    ] {
        // SAFETY: declared above as (crm.survival_summary, double precision) returning a set
        // of seven columns, STRICT: both arguments are present (no rows otherwise, as Postgres
        // answers a STRICT set-returning function's NULL argument), the first a summary
        // varlena, the second a float8 passed by value.
        unsafe {
            let Some([summary, confidence]) = raw_strict_arguments::<2>(fcinfo) else {
                return MaterializedRows::<7>::begin(fcinfo, SURVIVAL_CURVE).finish();
            };
            let mut summary = with_varlena_bytes(summary, SurvivalSummary::decode).or_raise();
            let confidence = f64::from_bits(confidence.value() as u64);
            let mut rows = MaterializedRows::<7>::begin(fcinfo, SURVIVAL_CURVE);
            let nulls = [false; 7];
            summary
                .curve_points(SURVIVAL_CURVE, confidence, |point| {
                    let mut time = raw_interval_of(point.duration);
                    rows.push(
                        &[
                            pg_sys::Datum::from(&mut time as *mut pg_sys::Interval),
                            pg_sys::Datum::from(bigint(SURVIVAL_CURVE, point.at_risk)),
                            pg_sys::Datum::from(bigint(SURVIVAL_CURVE, point.events)),
                            pg_sys::Datum::from(bigint(SURVIVAL_CURVE, point.censored)),
                            float8(point.survival),
                            float8(point.low),
                            float8(point.high),
                        ],
                        &nulls,
                    );
                })
                .or_raise();
            rows.finish()
        }
    }
}

/// A float8 datum (passed by value).
fn float8(value: f64) -> pg_sys::Datum {
    pg_sys::Datum::from(value.to_bits())
}

/// The Kaplan–Meier survival at a duration (the events at `at` count).
#[pg_extern(immutable, parallel_safe, strict)]
fn survival_at(summary: survival_summary, at: Interval) -> Option<f64> {
    let at = micros_of(SURVIVAL_AT, "at", at.into_inner()).or_raise();
    let mut summary = summary.0;
    summary.survival_at(SURVIVAL_AT, at).or_raise()
}

/// The smallest duration whose survival is at most 0.5; NULL when the curve never gets there.
#[pg_extern(immutable, parallel_safe, strict)]
fn median_survival(summary: survival_summary) -> Option<Interval> {
    let mut summary = summary.0;
    summary.median(MEDIAN_SURVIVAL).or_raise().map(interval_of)
}

/// The median's interval at `confidence`: where the low and the high curves of the interval
/// reach 0.5 (lifelines' `median_survival_times(confidence_interval_)`); NULL where a curve
/// never gets there.
#[pg_extern(immutable, parallel_safe, strict)]
fn median_survival_interval(
    summary: survival_summary,
    confidence: default!(f64, 0.95),
) -> TableIterator<'static, (name!(low, Option<Interval>), name!(high, Option<Interval>))> {
    let mut summary = summary.0;
    let interval = summary
        .median_interval(MEDIAN_SURVIVAL_INTERVAL, confidence)
        .or_raise();
    // A summary of no durations (typed in as text) is read as a NULL one is: no rows.
    if summary.is_empty() {
        return TableIterator::new(Vec::new());
    }
    let interval = interval.unwrap_or(MedianInterval {
        low: None,
        high: None,
    });
    TableIterator::once((
        interval.low.map(interval_of),
        interval.high.map(interval_of),
    ))
}

/// The restricted mean survival time: the area under the curve from 0 to `horizon`.
#[pg_extern(immutable, parallel_safe, strict)]
fn restricted_mean_survival(summary: survival_summary, horizon: Interval) -> Option<Interval> {
    let horizon = micros_of(RESTRICTED_MEAN_SURVIVAL, "horizon", horizon.into_inner()).or_raise();
    let mut summary = summary.0;
    let area = summary
        .restricted_mean(RESTRICTED_MEAN_SURVIVAL, horizon)
        .or_raise()?;
    // The area is between 0 and the horizon, so it fits an i64 of microseconds.
    Some(interval_of(area.round() as i64))
}

crate::raw_transition! {
    /// `crm.life_table`: `periods` rows of durations [k·step, (k+1)·step), in materialize
    /// mode as `crm.survival_curve`.
    fn crm_life_table / pg_finfo_crm_life_table (fcinfo)
    sql [
        "crm.life_table(\n    \"summary\" crm.survival_summary,\n    \"step\" interval,\n    \"periods\" INT\n) RETURNS TABLE (\n    \"period\" INT,\n    \"period_start\" interval,\n    \"at_risk\" bigint,\n    \"events\" bigint,\n    \"censored\" bigint,\n    \"hazard\" double precision,\n    \"survival\" double precision\n)\nIMMUTABLE STRICT PARALLEL SAFE",
    ] {
        // SAFETY: declared above as (crm.survival_summary, interval, integer) returning a set
        // of seven columns, STRICT: every argument is present (no rows otherwise), the first a
        // summary varlena, the second a pointer to an interval, the third an int4 passed by
        // value.
        unsafe {
            let Some([summary, step, periods]) = raw_strict_arguments::<3>(fcinfo) else {
                return MaterializedRows::<7>::begin(fcinfo, LIFE_TABLE).finish();
            };
            let mut summary = with_varlena_bytes(summary, SurvivalSummary::decode).or_raise();
            let step = micros_of(LIFE_TABLE, "step", *step.cast_mut_ptr::<pg_sys::Interval>())
                .or_raise();
            let periods = i64::from(periods.value() as i32);
            let mut rows = MaterializedRows::<7>::begin(fcinfo, LIFE_TABLE);
            summary
                .life_table(LIFE_TABLE, step, periods, |row| {
                    let mut start = raw_interval_of(row.start);
                    rows.push(
                        &[
                            pg_sys::Datum::from(row.period),
                            pg_sys::Datum::from(&mut start as *mut pg_sys::Interval),
                            pg_sys::Datum::from(bigint(LIFE_TABLE, row.at_risk)),
                            pg_sys::Datum::from(bigint(LIFE_TABLE, row.events)),
                            pg_sys::Datum::from(bigint(LIFE_TABLE, row.censored)),
                            float8(row.hazard.unwrap_or(0.0)),
                            float8(row.survival),
                        ],
                        &[false, false, false, false, false, row.hazard.is_none(), false],
                    );
                })
                .or_raise();
            rows.finish()
        }
    }
}

/// The log-rank test of two summaries (lifelines' `logrank_test`): chi-square with one degree
/// of freedom and its p-value; NULLs when either summary is empty or the variance is 0.
#[pg_extern(immutable, parallel_safe, strict)]
fn logrank_test(
    a: survival_summary,
    b: survival_summary,
) -> TableIterator<'static, (name!(chi_square, Option<f64>), name!(p_value, Option<f64>))> {
    let (mut a, mut b) = (a.0, b.0);
    // A summary of no durations (typed in as text) is read as a NULL one is: no rows.
    if a.is_empty() || b.is_empty() {
        return TableIterator::new(Vec::new());
    }
    let result = a.log_rank(&mut b);
    TableIterator::once((result.map(|r| r.chi_square), result.map(|r| r.p_value)))
}
