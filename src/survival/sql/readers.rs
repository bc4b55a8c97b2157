//! What reads a `crm.survival_summary`: `crm.survival_curve`, `crm.survival_at`,
//! `crm.median_survival`, `crm.median_survival_interval`, `crm.restricted_mean_survival`,
//! `crm.life_table` and `crm.logrank_test`.
use super::summary::survival_summary;
use super::{interval_of, micros_of};
use crate::common::pg::{bigint, OrRaise};
use crate::survival::state::MedianInterval;
use pgrx::datum::Interval;
use pgrx::prelude::*;

const SURVIVAL_CURVE: &str = "crm.survival_curve";
const SURVIVAL_AT: &str = "crm.survival_at";
const MEDIAN_SURVIVAL_INTERVAL: &str = "crm.median_survival_interval";
const RESTRICTED_MEAN_SURVIVAL: &str = "crm.restricted_mean_survival";
const LIFE_TABLE: &str = "crm.life_table";

/// The Kaplan–Meier curve, one row per distinct duration, with its exponential-Greenwood
/// (log-log) interval at `confidence`, as lifelines' KaplanMeierFitter reports it.
#[pg_extern(immutable, parallel_safe, strict)]
#[allow(clippy::type_complexity)]
fn survival_curve(
    summary: survival_summary,
    confidence: default!(f64, 0.95),
) -> TableIterator<
    'static,
    (
        name!(time, Interval),
        name!(at_risk, i64),
        name!(events, i64),
        name!(censored, i64),
        name!(survival, f64),
        name!(low, f64),
        name!(high, f64),
    ),
> {
    let mut summary = summary.0;
    let rows: Vec<_> = summary
        .curve(SURVIVAL_CURVE, confidence)
        .or_raise()
        .into_iter()
        .map(|point| {
            (
                interval_of(point.duration),
                bigint(SURVIVAL_CURVE, point.at_risk),
                bigint(SURVIVAL_CURVE, point.events),
                bigint(SURVIVAL_CURVE, point.censored),
                point.survival,
                point.low,
                point.high,
            )
        })
        .collect();
    TableIterator::new(rows)
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
    summary.median().map(interval_of)
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

/// The life table: `periods` rows of durations [k·step, (k+1)·step).
#[pg_extern(immutable, parallel_safe, strict)]
#[allow(clippy::type_complexity)]
fn life_table(
    summary: survival_summary,
    step: Interval,
    periods: i32,
) -> TableIterator<
    'static,
    (
        name!(period, i32),
        name!(period_start, Interval),
        name!(at_risk, i64),
        name!(events, i64),
        name!(censored, i64),
        name!(hazard, Option<f64>),
        name!(survival, f64),
    ),
> {
    let step = micros_of(LIFE_TABLE, "step", step.into_inner()).or_raise();
    let mut summary = summary.0;
    let rows: Vec<_> = summary
        .life_table(LIFE_TABLE, step, i64::from(periods))
        .or_raise()
        .into_iter()
        .map(|row| {
            (
                row.period,
                interval_of(row.start),
                bigint(LIFE_TABLE, row.at_risk),
                bigint(LIFE_TABLE, row.events),
                bigint(LIFE_TABLE, row.censored),
                row.hazard,
                row.survival,
            )
        })
        .collect();
    TableIterator::new(rows)
}

/// The log-rank test of two summaries (lifelines' `logrank_test`): chi-square with one degree
/// of freedom and its p-value; NULLs when either summary is empty or the variance is 0.
#[pg_extern(immutable, parallel_safe, strict)]
fn logrank_test(
    a: survival_summary,
    b: survival_summary,
) -> TableIterator<'static, (name!(chi_square, Option<f64>), name!(p_value, Option<f64>))> {
    let (mut a, mut b) = (a.0, b.0);
    let result = a.log_rank(&mut b);
    TableIterator::once((result.map(|r| r.chi_square), result.map(|r| r.p_value)))
}
