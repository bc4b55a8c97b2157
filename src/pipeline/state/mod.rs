//! Sales pipeline math: counts of won, lost and open opportunities, exact sums of their
//! amounts, and the total time won deals took to close. Every metric of the family is a
//! function of these, so summaries merge exactly under any split of the rows.
//!
//! Files by concern: this one holds the summary and how rows and summaries change it; `metrics`
//! what is read from it (win rate, deal size, cycle, velocities), `forms` its binary and text
//! forms, `window` the moving-aggregate state, `working` the in-place aggregate state.
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::common::civil::{format_timestamp, END_TIMESTAMP, MIN_TIMESTAMP};
use crate::common::codec::{from_json_object, Reader, Writer};
use crate::common::error::{MetricError, MetricResult};
use crate::common::flat_state::{self, FlatState};
use crate::common::money::{self, read_decimal, write_decimal};

mod forms;
mod metrics;
mod window;
mod working;

pub use metrics::Per;
pub use window::PipelineWindow;
pub use working::PipelineFlat;
/// Binary format version of [`PipelineSummary`].
pub const FORMAT_VERSION: u8 = 1;
/// SQL name of the summary type, used in messages about its binary and text forms.
const TYPE_NAME: &str = "crm.pipeline_summary";
pub const USECS_PER_DAY: i64 = 86_400_000_000;
/// `extract(epoch FROM interval)` counts a year as 365.25 days and a month as 30 days.
const USECS_PER_YEAR: i128 = 31_557_600_000_000;
const USECS_PER_MONTH: i128 = 2_592_000_000_000;
/// The largest count a summary holds: counts are bigints in SQL.
const MAX_COUNT: u64 = i64::MAX as u64;
/// A won deal's cycle is shorter than the timestamp range.
const MAX_CYCLE: u128 = (END_TIMESTAMP as i128 - MIN_TIMESTAMP as i128) as u128;

/// Opportunities seen, by outcome; amounts and closing times in exact integers and decimals.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PipelineSummary {
    pub won: u64,
    pub lost: u64,
    pub open: u64,
    /// Sum of the amounts of won deals.
    #[serde(deserialize_with = "crate::common::codec::exact_decimal")]
    pub won_value: Decimal,
    /// Sum of the amounts of open deals.
    #[serde(deserialize_with = "crate::common::codec::exact_decimal")]
    pub open_value: Decimal,
    /// Sum over won deals of closed_at − created_at, in microseconds.
    pub won_cycle_microseconds: u128,
}

/// How one opportunity row counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Open,
    Lost,
    /// Won, with the microseconds from creation to close.
    Won(u64),
}

/// Checks one opportunity row and says how it counts: open while `closed_at` is NULL (`won`
/// is then ignored, as CRMs often store false for open deals), else won or lost by `won`.
/// Timestamps are raw `timestamptz` values.
#[inline(always)]
pub fn classify(
    function: &str,
    amount: Decimal,
    created_at: i64,
    closed_at: Option<i64>,
    won: Option<bool>,
) -> MetricResult<Outcome> {
    if amount.is_sign_negative() && !amount.is_zero() {
        return Err(negative_amount(function, amount));
    }
    if created_at == i64::MIN || created_at == i64::MAX {
        return Err(infinite(function, "created_at"));
    }
    let Some(closed_at) = closed_at else {
        return Ok(Outcome::Open);
    };
    if closed_at == i64::MIN || closed_at == i64::MAX {
        return Err(infinite(function, "closed_at"));
    }
    if closed_at < created_at {
        return Err(closed_before_created(function, closed_at, created_at));
    }
    match won {
        // Both finite: the difference is below 2^64.
        Some(true) => Ok(Outcome::Won(
            (i128::from(closed_at) - i128::from(created_at)) as u64,
        )),
        Some(false) => Ok(Outcome::Lost),
        None => Err(closed_without_outcome(function)),
    }
}

#[cold]
#[inline(never)]
fn negative_amount(function: &str, amount: Decimal) -> MetricError {
    MetricError::OutOfRange(format!("{function}: amount {amount} is negative"))
}

#[cold]
#[inline(never)]
fn infinite(function: &str, what: &str) -> MetricError {
    MetricError::DatetimeOverflow(format!("{function}: {what} must be a finite timestamp"))
}

#[cold]
#[inline(never)]
fn closed_before_created(function: &str, closed_at: i64, created_at: i64) -> MetricError {
    MetricError::InvalidParameter(format!(
        "{function}: closed_at {} is before created_at {}",
        format_timestamp(closed_at),
        format_timestamp(created_at)
    ))
}

#[cold]
#[inline(never)]
fn closed_without_outcome(function: &str) -> MetricError {
    MetricError::InvalidParameter(format!(
        "{function}: a closed opportunity (closed_at not NULL) needs won true or false"
    ))
}

fn count_overflow(function: &str) -> MetricError {
    MetricError::OutOfRange(format!("{function}: count overflows bigint"))
}

/// Microseconds of an interval as `extract(epoch FROM interval)` counts them: a year of months
/// is 365.25 days, a remaining month 30 days, a day 24 hours.
pub fn interval_microseconds(months: i32, days: i32, microseconds: i64) -> i128 {
    let months = i128::from(months);
    (months / 12) * USECS_PER_YEAR
        + (months % 12) * USECS_PER_MONTH
        + i128::from(days) * i128::from(USECS_PER_DAY)
        + i128::from(microseconds)
}

/// Ok when one more opportunity keeps the total within the bigint range (the counts of a
/// summary are checked to be, so the sum does not wrap).
#[inline(always)]
fn check_room(function: &str, won: u64, lost: u64, open: u64) -> MetricResult<()> {
    if won + lost + open >= MAX_COUNT {
        return Err(count_overflow(function));
    }
    Ok(())
}

impl PipelineSummary {
    /// Counts one opportunity (see [`classify`]).
    #[inline(always)]
    pub fn add(
        &mut self,
        function: &str,
        amount: Decimal,
        created_at: i64,
        closed_at: Option<i64>,
        won: Option<bool>,
    ) -> MetricResult<()> {
        let outcome = classify(function, amount, created_at, closed_at, won)?;
        self.apply(function, amount, outcome)
    }

    /// Counts one opportunity already classified.
    #[inline(always)]
    fn apply(&mut self, function: &str, amount: Decimal, outcome: Outcome) -> MetricResult<()> {
        check_room(function, self.won, self.lost, self.open)?;
        match outcome {
            Outcome::Open => {
                self.open_value = money::add(function, "open value", self.open_value, amount)?;
                self.open = self
                    .open
                    .checked_add(1)
                    .ok_or_else(|| count_overflow(function))?;
            }
            Outcome::Lost => {
                self.lost = self
                    .lost
                    .checked_add(1)
                    .ok_or_else(|| count_overflow(function))?;
            }
            Outcome::Won(cycle) => {
                self.won_value = money::add(function, "won value", self.won_value, amount)?;
                self.won = self
                    .won
                    .checked_add(1)
                    .ok_or_else(|| count_overflow(function))?;
                self.won_cycle_microseconds += u128::from(cycle);
            }
        }
        Ok(())
    }

    /// Removes an opportunity counted before (the inverse transition of window frames).
    pub fn remove(
        &mut self,
        function: &str,
        amount: Decimal,
        created_at: i64,
        closed_at: Option<i64>,
        won: Option<bool>,
    ) -> MetricResult<()> {
        let mut single = PipelineSummary::default();
        single.add(function, amount, created_at, closed_at, won)?;
        self.unmerge(function, &single)
    }

    /// Adds another summary (combine and rollup).
    pub fn merge(&mut self, function: &str, other: &PipelineSummary) -> MetricResult<()> {
        let count = |a: u64, b: u64| a.checked_add(b).ok_or_else(|| count_overflow(function));
        let merged = PipelineSummary {
            won: count(self.won, other.won)?,
            lost: count(self.lost, other.lost)?,
            open: count(self.open, other.open)?,
            won_value: money::add(function, "won value", self.won_value, other.won_value)?,
            open_value: money::add(function, "open value", self.open_value, other.open_value)?,
            won_cycle_microseconds: self
                .won_cycle_microseconds
                .checked_add(other.won_cycle_microseconds)
                .ok_or_else(|| count_overflow(function))?,
        };
        if merged.total().is_none() {
            return Err(MetricError::OutOfRange(format!(
                "{function}: counts exceed the bigint range"
            )));
        }
        merged.check_total(function, MetricError::OutOfRange)?;
        *self = merged;
        Ok(())
    }

    /// Removes a summary merged before (the inverse transition of a rollup window).
    pub fn unmerge(&mut self, function: &str, other: &PipelineSummary) -> MetricResult<()> {
        let never_added =
            || MetricError::OutOfRange(format!("{function}: removing opportunities never added"));
        let count = |a: u64, b: u64| a.checked_sub(b).ok_or_else(never_added);
        *self = PipelineSummary {
            won: count(self.won, other.won)?,
            lost: count(self.lost, other.lost)?,
            open: count(self.open, other.open)?,
            won_value: money::sub(function, "won value", self.won_value, other.won_value)?,
            open_value: money::sub(function, "open value", self.open_value, other.open_value)?,
            won_cycle_microseconds: self
                .won_cycle_microseconds
                .checked_sub(other.won_cycle_microseconds)
                .ok_or_else(never_added)?,
        };
        Ok(())
    }

    /// Rejects counts whose total does not fit a bigint and inconsistent sums, naming the
    /// values (a merge's overflow names none: where a parallel plan's partial sums pass the
    /// range depends on the order it merges them in).
    fn check_total(&self, what: &str, error: fn(String) -> MetricError) -> MetricResult<()> {
        if self.total().is_none() {
            return Err(error(format!(
                "{what}: counts exceed the bigint range (won {}, lost {}, open {})",
                self.won, self.lost, self.open
            )));
        }
        for (name, value) in [
            ("won_value", self.won_value),
            ("open_value", self.open_value),
        ] {
            if value.is_sign_negative() && !value.is_zero() {
                return Err(error(format!("{what}: {name} {value} is negative")));
            }
        }
        // At most the length of the timestamp range per won deal (no overflow: won < 2^63).
        if self.won_cycle_microseconds > u128::from(self.won) * MAX_CYCLE {
            return Err(error(format!(
                "{what}: won_cycle_microseconds {} is more than {} won deals can take",
                self.won_cycle_microseconds, self.won
            )));
        }
        let without = [
            (self.won == 0 && !self.won_value.is_zero())
                .then(|| format!("won_value {} without won deals", self.won_value)),
            (self.open == 0 && !self.open_value.is_zero())
                .then(|| format!("open_value {} without open deals", self.open_value)),
        ];
        if let Some(problem) = without.into_iter().flatten().next() {
            return Err(error(format!("{what}: {problem}")));
        }
        Ok(())
    }

    /// The number of opportunities, `None` past the bigint range.
    fn total(&self) -> Option<u64> {
        self.won
            .checked_add(self.lost)
            .and_then(|sum| sum.checked_add(self.open))
            .filter(|&total| total <= i64::MAX as u64)
    }
}

#[cfg(test)]
mod tests;
