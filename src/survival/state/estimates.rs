//! What a survival summary tells: the Kaplan–Meier curve with its exponential-Greenwood
//! (log-log) interval, the survival at a duration, the median and its interval, the restricted
//! mean, the life table by fixed steps of duration, and the log-rank test of two summaries.
//!
//! Conventions follow lifelines' `KaplanMeierFitter` and `logrank_test`: at a duration with
//! both, events come before censorings (everyone whose duration is at least `t` is at risk at
//! `t`); a step where everyone at risk has the event adds nothing to Greenwood's sum; where the
//! survival is 1 the interval is [1, 1], where it is 0 the interval is [0, 0].
use super::{Entry, SurvivalSummary};
use crate::common::civil::format_interval;
use crate::common::error::{MetricError, MetricResult};
use crate::common::exact::{compare_products, count_ratio};
use crate::common::interrupt::{check, checked};
use crate::common::limits::{collect_result, reserve_result};
use crate::common::stats::{two_sided_p_value, two_sided_z};
use std::cmp::Ordering;

/// One row of `crm.survival_curve`: one distinct duration.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CurvePoint {
    pub duration: i64,
    /// Rows whose duration is at least `duration`.
    pub at_risk: u64,
    pub events: u64,
    pub censored: u64,
    /// Kaplan–Meier survival just after `duration`.
    pub survival: f64,
    pub low: f64,
    pub high: f64,
}

/// The median's interval: where the low and the high curves of the interval reach 0.5
/// (`None`: never).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MedianInterval {
    pub low: Option<i64>,
    pub high: Option<i64>,
}

/// One row of `crm.life_table`: the durations `[start, start + step)`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LifeTableRow {
    pub period: i32,
    pub start: i64,
    /// Rows whose duration is at least `start`.
    pub at_risk: u64,
    pub events: u64,
    pub censored: u64,
    /// `events / at_risk`; `None` when nobody is at risk.
    pub hazard: Option<f64>,
    /// Kaplan–Meier survival at the period's end (the events before `start + step`).
    pub survival: f64,
}

/// The log-rank test of two summaries (chi-square with one degree of freedom).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LogRank {
    pub chi_square: f64,
    pub p_value: f64,
}

/// Most rows `crm.life_table` returns.
pub const MAX_PERIODS: i64 = 1_000_000;

/// The Kaplan–Meier factor of one duration: the share of `at_risk` without the event.
fn step_factor(at_risk: u64, events: u64) -> f64 {
    (at_risk - events) as f64 / at_risk as f64
}

/// Where a survival stands against 0.5, judged from the double product `survival` of its
/// `steps` step factors (the survival is exactly the product of `left / at_risk` over them).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Half {
    Above,
    /// Within rounding of 0.5: the counts decide ([`exactly_at_most_half`]).
    Near,
    AtMost,
}

/// Each factor rounds at most three times (the two counts and the division) and each product
/// once, by at most 2^-53 relative each, so the double is within `steps`·2^-51 relative of the
/// exact value: outside that band it decides, inside it the counts do (24 rows leaving one a
/// day multiply to 0.5000000000000001 on day 12, where exactly 12 of the 24 are left;
/// 0.5 + 3.75e-11 is above a half, however many steps came before).
fn half(survival: f64, steps: usize) -> Half {
    let slack = steps as f64 * 4.0 * f64::EPSILON;
    if survival > 0.5 * (1.0 + slack) {
        Half::Above
    } else if survival < 0.5 * (1.0 - slack) {
        Half::AtMost
    } else {
        Half::Near
    }
}

/// Whether the product of `left / at_risk` over `steps` is at most 0.5, exactly.
fn exactly_at_most_half(function: &str, steps: &[(u64, u64)]) -> MetricResult<bool> {
    let what = "its exact products";
    let left = collect_result(
        function,
        what,
        checked(steps).map(|&(left, _)| left).chain([2]),
    )?;
    let at_risk = collect_result(function, what, checked(steps).map(|&(_, at_risk)| at_risk))?;
    Ok(compare_products(function, &left, &at_risk)? != Ordering::Greater)
}

/// Greenwood's term of one duration; 0 where everyone at risk has the event (lifelines).
fn greenwood_term(at_risk: u64, events: u64) -> f64 {
    if events == at_risk {
        0.0
    } else {
        events as f64 / (at_risk as f64 * (at_risk - events) as f64)
    }
}

/// The exponential-Greenwood (log-log) interval of `survival` with Greenwood sum `variance`
/// and critical value `z`: exp(−exp(ln(−ln S) ∓ z·√variance / ln S)).
fn log_log_interval(survival: f64, variance: f64, z: f64) -> (f64, f64) {
    if survival >= 1.0 {
        return (1.0, 1.0);
    }
    if survival <= 0.0 {
        return (0.0, 0.0);
    }
    let log_survival = survival.ln();
    let spread = z * variance.sqrt() / log_survival;
    let center = (-log_survival).ln();
    let bound = |x: f64| (-(x.exp())).exp();
    (bound(center - spread), bound(center + spread))
}

fn negative(function: &str, what: &str, micros: i64) -> MetricError {
    MetricError::InvalidParameter(format!(
        "{function}: {what} {} is negative",
        format_interval(0, micros)
    ))
}

impl SurvivalSummary {
    /// The Kaplan–Meier curve with its interval at `confidence` (22003 outside (0, 1)).
    pub fn curve(&mut self, function: &str, confidence: f64) -> MetricResult<Vec<CurvePoint>> {
        let z = two_sided_z(function, confidence)?;
        let count = self.settled_entries().len();
        let mut points = Vec::new();
        points
            .try_reserve_exact(count)
            .map_err(|_| crate::common::limits::out_of_memory(function, "curve", count))?;
        self.walk_curve(z, |point| points.push(*point));
        Ok(points)
    }

    /// Calls `visit` with every point of the curve at `confidence` in duration order (22003
    /// outside (0, 1)), without keeping them: what `crm.survival_curve` returns, one pass over
    /// the summary.
    pub fn curve_points(
        &mut self,
        function: &str,
        confidence: f64,
        visit: impl FnMut(&CurvePoint),
    ) -> MetricResult<()> {
        let z = two_sided_z(function, confidence)?;
        self.walk_curve(z, visit);
        Ok(())
    }

    /// Calls `visit` with every point of the curve whose interval has critical value `z`.
    fn walk_curve(&mut self, z: f64, mut visit: impl FnMut(&CurvePoint)) {
        let mut at_risk = self.rows;
        let mut survival = 1.0;
        let mut variance = 0.0;
        for entry in checked(self.settled_entries()) {
            survival *= step_factor(at_risk, entry.events);
            variance += greenwood_term(at_risk, entry.events);
            let (low, high) = log_log_interval(survival, variance, z);
            visit(&CurvePoint {
                duration: entry.duration,
                at_risk,
                events: entry.events,
                censored: entry.censored,
                survival,
                low,
                high,
            });
            at_risk -= entry.events + entry.censored;
        }
    }

    /// Calls `visit` with every entry and the survival just after it; stops when `visit`
    /// returns false.
    fn walk(&mut self, mut visit: impl FnMut(&Entry, u64, f64) -> bool) {
        let mut at_risk = self.rows;
        let mut survival = 1.0;
        for entry in checked(self.settled_entries()) {
            survival *= step_factor(at_risk, entry.events);
            let before = at_risk;
            at_risk -= entry.events + entry.censored;
            if !visit(entry, before, survival) {
                break;
            }
        }
    }

    /// Survival at `at` microseconds (the step function is right-continuous: the events at
    /// `at` count); `None` for an empty summary, 22023 for a negative `at`.
    pub fn survival_at(&mut self, function: &str, at: i64) -> MetricResult<Option<f64>> {
        if at < 0 {
            return Err(negative(function, "at", at));
        }
        if self.is_empty() {
            return Ok(None);
        }
        let mut found = 1.0;
        self.walk(|entry, _, survival| {
            if entry.duration > at {
                return false;
            }
            found = survival;
            true
        });
        Ok(Some(found))
    }

    /// The smallest duration whose survival is at most 0.5, exactly; `None` when the curve
    /// never gets there (or the summary is empty).
    ///
    /// The survival changes only at durations with events, where the double product decides
    /// ([`half`]) unless it is within rounding of 0.5. The durations within rounding come in one
    /// run, between the last one above and the first one at most 0.5 (the survival only falls
    /// and the band only widens); the exact survival falls along the run too, so a binary
    /// search of it compares products of counts a logarithmic number of times.
    pub fn median(&mut self, function: &str) -> MetricResult<Option<i64>> {
        // (duration, left, at_risk) of each duration with events, up to the first one whose
        // double product is measurably at most 0.5.
        let mut steps: Vec<(i64, (u64, u64))> = Vec::new();
        let mut near: Option<usize> = None;
        let mut at_most: Option<i64> = None;
        let mut refused = None;
        self.walk(|entry, at_risk, survival| {
            if entry.events == 0 {
                return true;
            }
            if let Err(error) = reserve_result(&mut steps, 1, function, "its steps") {
                refused = Some(error);
                return false;
            }
            steps.push((entry.duration, (at_risk - entry.events, at_risk)));
            match half(survival, steps.len()) {
                Half::Above => true,
                Half::Near => {
                    near.get_or_insert(steps.len() - 1);
                    true
                }
                Half::AtMost => {
                    at_most = Some(entry.duration);
                    false
                }
            }
        });
        if let Some(error) = refused {
            return Err(error);
        }
        let Some(first_near) = near else {
            return Ok(at_most);
        };
        let counts = collect_result(
            function,
            "its steps",
            checked(&steps).map(|&(_, counts)| counts),
        )?;
        // The run of near durations ends before the one measurably at most 0.5, if any.
        let end = steps.len() - usize::from(at_most.is_some());
        let (mut low, mut high) = (first_near, end);
        while low < high {
            check();
            let middle = low + (high - low) / 2;
            if exactly_at_most_half(function, &counts[..=middle])? {
                high = middle;
            } else {
                low = middle + 1;
            }
        }
        Ok(steps
            .get(low)
            .filter(|_| low < end)
            .map(|&(duration, _)| duration)
            .or(at_most))
    }

    /// Where the interval's low and high curves at `confidence` first reach 0.5 (lifelines'
    /// `median_survival_times(confidence_interval_)`); `None` for an empty summary.
    pub fn median_interval(
        &mut self,
        function: &str,
        confidence: f64,
    ) -> MetricResult<Option<MedianInterval>> {
        let curve = self.curve(function, confidence)?;
        if curve.is_empty() {
            return Ok(None);
        }
        let first = |bound: fn(&CurvePoint) -> f64| {
            checked(&curve)
                .find(|point| bound(point) <= 0.5)
                .map(|point| point.duration)
        };
        Ok(Some(MedianInterval {
            low: first(|point| point.low),
            high: first(|point| point.high),
        }))
    }

    /// The area under the curve from 0 to `horizon` microseconds, in microseconds (lifelines'
    /// `restricted_mean_survival_time`); `None` for an empty summary, 22023 for a negative
    /// horizon.
    pub fn restricted_mean(&mut self, function: &str, horizon: i64) -> MetricResult<Option<f64>> {
        if horizon < 0 {
            return Err(negative(function, "horizon", horizon));
        }
        if self.is_empty() {
            return Ok(None);
        }
        let mut area = 0.0;
        let mut from = 0i64;
        let mut level = 1.0;
        self.walk(|entry, _, survival| {
            if entry.duration >= horizon {
                return false;
            }
            area += level * (entry.duration - from) as f64;
            from = entry.duration;
            level = survival;
            true
        });
        area += level * (horizon - from) as f64;
        Ok(Some(area))
    }

    /// Calls `visit` with every row of the life table of `periods` periods of `step`
    /// microseconds each, in order (22023 for a step that is not positive or a number of
    /// periods outside 0..=[`MAX_PERIODS`]); no row for an empty summary.
    pub fn life_table(
        &mut self,
        function: &str,
        step: i64,
        periods: i64,
        mut visit: impl FnMut(&LifeTableRow),
    ) -> MetricResult<()> {
        if step <= 0 {
            return Err(MetricError::InvalidParameter(format!(
                "{function}: step {} must be positive",
                format_interval(0, step)
            )));
        }
        if !(0..=MAX_PERIODS).contains(&periods) {
            return Err(MetricError::InvalidParameter(format!(
                "{function}: periods {periods} is outside 0..{MAX_PERIODS}"
            )));
        }
        if self.is_empty() {
            return Ok(());
        }
        let mut at_risk = self.rows;
        let mut survival = 1.0;
        let entries = self.settled_entries();
        let mut next = 0;
        for period in checked(0..periods) {
            let start = period.checked_mul(step).ok_or_else(|| {
                MetricError::OutOfRange(format!(
                    "{function}: period {period} starts past the range of interval"
                ))
            })?;
            // None: the period reaches past the largest duration an interval holds.
            let end = start.checked_add(step);
            let at_start = at_risk;
            let (mut events, mut censored) = (0u64, 0u64);
            while let Some(entry) = entries
                .get(next)
                .filter(|entry| end.is_none_or(|end| entry.duration < end))
            {
                survival *= step_factor(at_risk, entry.events);
                at_risk -= entry.events + entry.censored;
                events += entry.events;
                censored += entry.censored;
                next += 1;
            }
            visit(&LifeTableRow {
                // `periods` is at most MAX_PERIODS.
                period: period as i32,
                start,
                at_risk: at_start,
                events,
                censored,
                hazard: count_ratio(events.into(), at_start.into()),
                survival,
            });
        }
        Ok(())
    }

    /// The log-rank test of `self` against `other` (lifelines' `logrank_test`): chi-square
    /// (O − E)² / V of the first group's events with the hypergeometric variance, and its p-value
    /// with one degree of freedom. `None` when either summary is empty or the variance is 0
    /// (no duration where both groups are at risk and someone, but not everyone, has the
    /// event).
    pub fn log_rank(&mut self, other: &mut SurvivalSummary) -> Option<LogRank> {
        if self.is_empty() || other.is_empty() {
            return None;
        }
        let (mut at_risk_a, mut at_risk_b) = (self.rows, other.rows);
        let (a, b) = (self.settled_entries(), other.settled_entries());
        let (mut i, mut j) = (0, 0);
        let (mut difference, mut variance) = (0.0, 0.0);
        let none = Entry {
            duration: i64::MAX,
            events: 0,
            censored: 0,
        };
        let mut ticker = crate::common::interrupt::Ticker::new();
        while i < a.len() || j < b.len() {
            ticker.tick();
            let (x, y) = (a.get(i).unwrap_or(&none), b.get(j).unwrap_or(&none));
            let time = x.duration.min(y.duration);
            let x = if x.duration == time && i < a.len() {
                i += 1;
                *x
            } else {
                none
            };
            let y = if y.duration == time && j < b.len() {
                j += 1;
                *y
            } else {
                none
            };
            let events = x.events + y.events;
            let at_risk = at_risk_a + at_risk_b;
            if events > 0 {
                let (n, n_a, n_b, d) = (
                    at_risk as f64,
                    at_risk_a as f64,
                    at_risk_b as f64,
                    events as f64,
                );
                // O − E at this duration, d_a − n_a·d/n, over an exact numerator: with counts
                // of 10^12 and more the two products agree in their leading digits, and their
                // difference in doubles loses all of them. Counts are below 2^63 and 2^64
                // (the sum of two), so each product fits an i128.
                let numerator = i128::from(x.events) * i128::from(at_risk)
                    - i128::from(at_risk_a) * i128::from(events);
                difference += numerator as f64 / n;
                if at_risk > 1 {
                    // n − d and n − 1 exactly, before they become doubles.
                    let (survivors, others) = ((at_risk - events) as f64, (at_risk - 1) as f64);
                    variance += n_a * n_b * d * survivors / (n * n * others);
                }
            }
            at_risk_a -= x.events + x.censored;
            at_risk_b -= y.events + y.censored;
        }
        if variance <= 0.0 {
            return None;
        }
        let chi_square = difference * difference / variance;
        Some(LogRank {
            chi_square,
            p_value: two_sided_p_value(chi_square.sqrt()),
        })
    }
}
