//! Sales pipeline math: counts of won, lost and open opportunities, exact sums of their
//! amounts, and the total time won deals took to close. Every metric of the family is a
//! function of these, so summaries merge exactly under any split of the rows.
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::common::civil::{END_TIMESTAMP, MIN_TIMESTAMP};
use crate::common::codec::{from_json_object, Reader, Writer};
use crate::common::error::{MetricError, MetricResult};
use crate::common::flat_state::{self, FlatState};
use crate::common::money::{self, read_decimal, write_decimal};

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
    pub won_value: Decimal,
    /// Sum of the amounts of open deals.
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
        return Err(closed_before_created(function));
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
fn closed_before_created(function: &str) -> MetricError {
    MetricError::InvalidParameter(format!("{function}: closed_at is before created_at"))
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

    /// Number of opportunities (won, lost and open).
    pub fn opportunities(&self) -> u64 {
        self.won + self.lost + self.open
    }

    /// won / (won + lost); `None` before any deal closed.
    pub fn win_rate(&self) -> Option<f64> {
        let closed = self.won + self.lost;
        (closed > 0).then(|| self.won as f64 / closed as f64)
    }

    /// Mean amount of the won deals; `None` when nothing was won.
    pub fn average_deal_size(&self, function: &str) -> MetricResult<Option<Decimal>> {
        money::div(
            function,
            "average deal size",
            self.won_value,
            Decimal::from(self.won),
        )
    }

    /// Mean time from creation to close of the won deals, in whole microseconds (rounded
    /// half up); `None` when nothing was won. Below the length of the timestamp range (the
    /// sum is checked on input).
    pub fn sales_cycle_microseconds(&self) -> Option<u128> {
        let won = u128::from(self.won);
        (won > 0).then(|| (self.won_cycle_microseconds + won / 2) / won)
    }

    /// The mean sales cycle measured in `per` (microseconds, as [`interval_microseconds`]
    /// counts them): Σ cycles / (won · per). `None` when nothing was won or the cycle is 0.
    fn cycles_per(&self, function: &str, per: i128) -> MetricResult<Option<Decimal>> {
        if per <= 0 {
            return Err(MetricError::InvalidParameter(format!(
                "{function}: per must be a positive interval"
            )));
        }
        if self.won == 0 || self.won_cycle_microseconds == 0 {
            return Ok(None);
        }
        let decimal = |value: i128| {
            Decimal::try_from_i128_with_scale(value, 0)
                .map_err(|_| money::money_out_of_range(function, "the sales cycle", "is too long"))
        };
        let total =
            decimal(i128::try_from(self.won_cycle_microseconds).map_err(|_| {
                money::money_out_of_range(function, "the sales cycle", "is too long")
            })?)?;
        let unit = decimal(i128::from(self.won))?.checked_mul(decimal(per)?);
        match unit {
            Some(unit) => money::div(function, "the sales cycle", total, unit),
            // won · per exceeds 7.9e28 microseconds: divide in two steps.
            None => {
                let mean = money::div(function, "the sales cycle", total, Decimal::from(self.won))?;
                match mean {
                    Some(mean) => money::div(function, "the sales cycle", mean, decimal(per)?),
                    None => Ok(None),
                }
            }
        }
    }

    /// opportunities × win_rate × average_deal_size ÷ (sales_cycle / per): expected won value
    /// per `per` of time. `None` when nothing was won or every won deal closed instantly.
    pub fn pipeline_velocity(&self, function: &str, per: i128) -> MetricResult<Option<Decimal>> {
        self.velocity_of(function, self.opportunities(), per)
    }

    /// Open pipeline velocity, as CRMs show it: open × win_rate × average_deal_size ÷
    /// (sales_cycle / per), the value the deals still open are expected to bring per `per`.
    /// `None` when nothing was won (or every won deal closed instantly).
    pub fn open_pipeline_velocity(
        &self,
        function: &str,
        per: i128,
    ) -> MetricResult<Option<Decimal>> {
        self.velocity_of(function, self.open, per)
    }

    /// `deals` × win_rate × average_deal_size ÷ (sales_cycle / per).
    fn velocity_of(&self, function: &str, deals: u64, per: i128) -> MetricResult<Option<Decimal>> {
        let Some(cycles) = self.cycles_per(function, per)? else {
            return Ok(None);
        };
        let closed = Decimal::from(self.won + self.lost);
        let what = "pipeline velocity";
        let Some(rate) = money::div(function, what, Decimal::from(self.won), closed)? else {
            return Ok(None);
        };
        let Some(average) = self.average_deal_size(function)? else {
            return Ok(None);
        };
        let expected = money::mul(function, what, Decimal::from(deals), rate)?;
        let expected = money::mul(function, what, expected, average)?;
        money::div(function, what, expected, cycles)
    }

    /// won_value ÷ (sales_cycle / per). `None` when nothing was won or every won deal closed
    /// instantly.
    pub fn closed_value_velocity(
        &self,
        function: &str,
        per: i128,
    ) -> MetricResult<Option<Decimal>> {
        let Some(cycles) = self.cycles_per(function, per)? else {
            return Ok(None);
        };
        money::div(function, "closed value velocity", self.won_value, cycles)
    }

    /// Rejects counts whose total does not fit a bigint and inconsistent sums.
    fn check_total(&self, what: &str, error: fn(String) -> MetricError) -> MetricResult<()> {
        let total = self
            .won
            .checked_add(self.lost)
            .and_then(|sum| sum.checked_add(self.open))
            .filter(|&total| total <= i64::MAX as u64);
        if total.is_none() {
            return Err(error(format!("{what}: counts exceed the bigint range")));
        }
        let negative = |value: Decimal| value.is_sign_negative() && !value.is_zero();
        if negative(self.won_value) || negative(self.open_value) {
            return Err(error(format!("{what}: values must not be negative")));
        }
        // At most the length of the timestamp range per won deal (no overflow: won < 2^63).
        if self.won_cycle_microseconds > u128::from(self.won) * MAX_CYCLE {
            return Err(error(format!(
                "{what}: won_cycle_microseconds {} is more than {} won deals can take",
                self.won_cycle_microseconds, self.won
            )));
        }
        let without = |count: u64, value: Decimal| count == 0 && !value.is_zero();
        if without(self.won, self.won_value)
            || without(self.open, self.open_value)
            || (self.won == 0 && self.won_cycle_microseconds != 0)
        {
            return Err(error(format!(
                "{what}: a value or sales cycle without opportunities"
            )));
        }
        Ok(())
    }

    pub fn encode(&self) -> Vec<u8> {
        let mut writer = Writer::with_version(FORMAT_VERSION);
        writer.u64(self.won).u64(self.lost).u64(self.open);
        write_decimal(&mut writer, self.won_value);
        write_decimal(&mut writer, self.open_value);
        writer.u128(self.won_cycle_microseconds);
        writer.finish()
    }

    /// Reads a `crm.pipeline_summary`: its canonical form or the working form of an aggregate
    /// state ([`PipelineFlat`], [`crate::common::flat_state`]).
    pub fn decode(bytes: &[u8]) -> MetricResult<Self> {
        flat_state::decode_any::<PipelineFlat>(bytes).map(|state| state.summary())
    }

    /// Reads the canonical (stored) binary form, validating it.
    fn decode_canonical(bytes: &[u8]) -> MetricResult<Self> {
        let mut reader = Reader::open(bytes, FORMAT_VERSION, TYPE_NAME)?;
        let summary = PipelineSummary {
            won: reader.u64()?,
            lost: reader.u64()?,
            open: reader.u64()?,
            won_value: read_decimal(&mut reader, TYPE_NAME)?,
            open_value: read_decimal(&mut reader, TYPE_NAME)?,
            won_cycle_microseconds: reader.u128()?,
        };
        reader.finish()?;
        summary.check_total(TYPE_NAME, MetricError::InvalidBinary)?;
        Ok(summary)
    }

    /// Readable text form, e.g. `{"won":7,"lost":13,"open":0,"won_value":"70000",
    /// "open_value":"0","won_cycle_microseconds":54432000000000}`.
    pub fn to_text(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }

    pub fn from_text(text: &str) -> MetricResult<Self> {
        let summary: PipelineSummary = from_json_object(text).map_err(|error| {
            MetricError::InvalidText(format!(
                "{TYPE_NAME}: malformed value {text:?} ({error}); expected e.g. \
                 {{\"won\":7,\"lost\":13,\"open\":0,\"won_value\":\"70000\",\"open_value\":\"0\",\
                 \"won_cycle_microseconds\":54432000000000}}"
            ))
        })?;
        summary.check_total(TYPE_NAME, MetricError::InvalidText)?;
        Ok(summary)
    }
}

/// Largest scale of a `Decimal`, and so the number of scales a window state counts.
const SCALES: usize = 29;

/// The moving-aggregate (window frame) state of the pipeline aggregates: the summary of the
/// frame and, for each sum of money, how many of the frame's amounts (or rolled-up summaries'
/// values) have each scale. A sum keeps the largest scale of what it adds, as Postgres's
/// `numeric` does; when the frame drops the rows with the most places, the sum goes back to the
/// largest scale left, so a frame gives the same summary, byte for byte, as `GROUP BY` over its
/// rows (8.50 + 0.25 - 8.50 is 0.25, not 0.25 at the scale of 8.50, and 8.75 - 0.25 over the
/// rows {8.5, 0.25} leaves 8.5, not 8.50).
#[derive(Debug, Clone, Default)]
pub struct PipelineWindow {
    pub summary: PipelineSummary,
    won_scales: [u64; SCALES],
    open_scales: [u64; SCALES],
}

impl PipelineWindow {
    /// Counts one opportunity ([`PipelineSummary::add`]).
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
        self.summary.apply(function, amount, outcome)?;
        self.count_scale(outcome, amount.scale(), true);
        Ok(())
    }

    /// Removes an opportunity counted before (the inverse transition).
    pub fn remove(
        &mut self,
        function: &str,
        amount: Decimal,
        created_at: i64,
        closed_at: Option<i64>,
        won: Option<bool>,
    ) -> MetricResult<()> {
        let outcome = classify(function, amount, created_at, closed_at, won)?;
        let mut single = PipelineSummary::default();
        single.apply(function, amount, outcome)?;
        self.summary.unmerge(function, &single)?;
        self.count_scale(outcome, amount.scale(), false);
        self.rescale();
        Ok(())
    }

    /// Merges a summary ([`PipelineSummary::merge`], the rollup).
    pub fn merge(&mut self, function: &str, other: &PipelineSummary) -> MetricResult<()> {
        self.summary.merge(function, other)?;
        Self::count(&mut self.won_scales, other.won_value.scale(), true);
        Self::count(&mut self.open_scales, other.open_value.scale(), true);
        Ok(())
    }

    /// Removes a summary merged before (the rollup's inverse transition).
    pub fn unmerge(&mut self, function: &str, other: &PipelineSummary) -> MetricResult<()> {
        self.summary.unmerge(function, other)?;
        Self::count(&mut self.won_scales, other.won_value.scale(), false);
        Self::count(&mut self.open_scales, other.open_value.scale(), false);
        self.rescale();
        Ok(())
    }

    #[inline(always)]
    fn count_scale(&mut self, outcome: Outcome, scale: u32, up: bool) {
        match outcome {
            Outcome::Open => Self::count(&mut self.open_scales, scale, up),
            Outcome::Won(_) => Self::count(&mut self.won_scales, scale, up),
            Outcome::Lost => {}
        }
    }

    #[inline(always)]
    fn count(scales: &mut [u64; SCALES], scale: u32, up: bool) {
        if let Some(count) = scales.get_mut(scale as usize) {
            *count = if up {
                count.saturating_add(1)
            } else {
                count.saturating_sub(1)
            };
        }
    }

    /// Puts each sum back at the largest scale of what the frame still holds.
    fn rescale(&mut self) {
        let largest = |scales: &[u64; SCALES]| {
            scales.iter().rposition(|&count| count > 0).unwrap_or(0) as u32
        };
        self.summary.won_value =
            money::with_scale(self.summary.won_value, largest(&self.won_scales));
        self.summary.open_value =
            money::with_scale(self.summary.open_value, largest(&self.open_scales));
    }
}

/// Working form of a [`PipelineSummary`] as the state of the pipeline aggregates (SQL type
/// `crm.pipeline_summary`, changed in place per row: [`crate::common::flat_state`]). Plain old data:
/// the two sums of money in `Decimal`'s 16-byte serialized form, and the sum of sales cycles in
/// two 64-bit halves (a `u128` field would need 16-byte alignment, more than a varlena gives).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, bytemuck::Pod, bytemuck::Zeroable)]
#[repr(C)]
pub struct PipelineFlat {
    won: u64,
    lost: u64,
    open: u64,
    won_value: [u8; 16],
    open_value: [u8; 16],
    won_cycle_low: u64,
    won_cycle_high: u64,
}

impl PipelineFlat {
    /// The working form of `summary`.
    #[inline(always)]
    pub fn of(summary: &PipelineSummary) -> Self {
        PipelineFlat {
            won: summary.won,
            lost: summary.lost,
            open: summary.open,
            won_value: summary.won_value.serialize(),
            open_value: summary.open_value.serialize(),
            won_cycle_low: summary.won_cycle_microseconds as u64,
            won_cycle_high: (summary.won_cycle_microseconds >> 64) as u64,
        }
    }

    /// The summary this working form holds (as written by [`PipelineFlat::of`]; a form read
    /// from elsewhere is checked by [`FlatState::validate`] first).
    #[inline(always)]
    pub fn summary(&self) -> PipelineSummary {
        PipelineSummary {
            won: self.won,
            lost: self.lost,
            open: self.open,
            won_value: Decimal::deserialize(self.won_value),
            open_value: Decimal::deserialize(self.open_value),
            won_cycle_microseconds: u128::from(self.won_cycle_high) << 64
                | u128::from(self.won_cycle_low),
        }
    }

    /// Counts one opportunity as [`PipelineSummary::add`] does, touching only the fields its
    /// outcome changes (the per-row path); an error leaves the state unchanged.
    #[inline(always)]
    pub fn add(
        &mut self,
        function: &str,
        amount: Decimal,
        created_at: i64,
        closed_at: Option<i64>,
        won: Option<bool>,
    ) -> MetricResult<()> {
        check_room(function, self.won, self.lost, self.open)?;
        let count = |count: u64| count.checked_add(1).ok_or_else(|| count_overflow(function));
        match classify(function, amount, created_at, closed_at, won)? {
            Outcome::Open => {
                let sum = Decimal::deserialize(self.open_value);
                let sum = money::add(function, "open value", sum, amount)?;
                self.open = count(self.open)?;
                self.open_value = sum.serialize();
            }
            Outcome::Lost => self.lost = count(self.lost)?,
            Outcome::Won(cycle) => {
                let sum = Decimal::deserialize(self.won_value);
                let sum = money::add(function, "won value", sum, amount)?;
                self.won = count(self.won)?;
                self.won_value = sum.serialize();
                // The u128 addition of `PipelineSummary::add`, in halves.
                let (low, carry) = self.won_cycle_low.overflowing_add(cycle);
                self.won_cycle_low = low;
                self.won_cycle_high = self.won_cycle_high.wrapping_add(u64::from(carry));
            }
        }
        Ok(())
    }

    /// Adds another state or summary ([`PipelineSummary::merge`]: combine and rollup).
    pub fn merge(&mut self, function: &str, other: &PipelineFlat) -> MetricResult<()> {
        let mut summary = self.summary();
        summary.merge(function, &other.summary())?;
        *self = Self::of(&summary);
        Ok(())
    }
}

impl FlatState for PipelineFlat {
    const KIND: u8 = 4;
    fn validate(self) -> MetricResult<Self> {
        // A decimal's serialized form is canonical exactly when it reads back to itself (no
        // unused flag bits, a scale of at most 28).
        let canonical = |bytes: [u8; 16]| Decimal::deserialize(bytes).serialize() == bytes;
        if !canonical(self.won_value) || !canonical(self.open_value) {
            return Err(MetricError::InvalidBinary(format!(
                "{TYPE_NAME}: malformed decimal value"
            )));
        }
        self.summary()
            .check_total(TYPE_NAME, MetricError::InvalidBinary)?;
        Ok(self)
    }

    fn encode_canonical(&self) -> Vec<u8> {
        self.summary().encode()
    }

    fn decode_canonical(bytes: &[u8]) -> MetricResult<Self> {
        PipelineSummary::decode_canonical(bytes).map(|summary| Self::of(&summary))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::str::FromStr;

    const F: &str = "crm.pipeline_agg";
    const DAY: i64 = USECS_PER_DAY;

    fn d(text: &str) -> Decimal {
        Decimal::from_str(text).unwrap()
    }

    /// The worked example: 20 opportunities, 7 won at $10,000 (35 %), 13 lost, every won deal
    /// closing in 90 days (3 months of 30 days).
    fn worked_example() -> PipelineSummary {
        let mut summary = PipelineSummary::default();
        for i in 0..20 {
            let won = i < 7;
            let amount = if won { d("10000") } else { d("2500") };
            summary
                .add(F, amount, 0, Some(90 * DAY), Some(won))
                .unwrap();
        }
        summary
    }

    #[test]
    fn worked_example_is_23333_33_per_month() {
        let summary = worked_example();
        assert_eq!(summary.opportunities(), 20);
        assert_eq!(summary.win_rate(), Some(0.35));
        assert_eq!(summary.average_deal_size(F).unwrap(), Some(d("10000")));
        let month = interval_microseconds(1, 0, 0);
        let velocity = summary.pipeline_velocity(F, month).unwrap().unwrap();
        assert_eq!(velocity.round_dp(2), d("23333.33"));
        let per_day = summary.pipeline_velocity(F, DAY.into()).unwrap().unwrap();
        assert_eq!(per_day.round_dp(6), d("777.777778"));
        let closed = summary.closed_value_velocity(F, month).unwrap().unwrap();
        assert_eq!(closed.round_dp(2), d("23333.33"));
    }

    #[test]
    fn open_pipeline_velocity_counts_the_open_deals() {
        // The worked example's 7 won and 13 lost deals, plus 8 deals still open.
        let mut summary = worked_example();
        for _ in 0..8 {
            summary.add(F, d("4000"), 0, None, None).unwrap();
        }
        let month = interval_microseconds(1, 0, 0);
        // 8 open × 0.35 × 10000 ÷ (90 days / 30 days) = 9333.33 a month; all 28 opportunities
        // give 28 × 0.35 × 10000 ÷ 3 = 32666.67.
        let open = summary.open_pipeline_velocity(F, month).unwrap().unwrap();
        assert_eq!(open.round_dp(2), d("9333.33"));
        let all = summary.pipeline_velocity(F, month).unwrap().unwrap();
        assert_eq!(all.round_dp(2), d("32666.67"));
        let closed_only = worked_example();
        assert_eq!(
            closed_only.open_pipeline_velocity(F, month).unwrap(),
            Some(Decimal::ZERO)
        );
        assert_eq!(
            PipelineSummary::default()
                .open_pipeline_velocity(F, month)
                .unwrap(),
            None
        );
    }

    #[test]
    fn outcomes_and_edge_rows() {
        let mut summary = PipelineSummary::default();
        // open deal with won = false (as many CRMs store it), counted as open
        summary.add(F, d("5"), 0, None, Some(false)).unwrap();
        // closed the instant it was created
        summary.add(F, d("7"), DAY, Some(DAY), Some(true)).unwrap();
        assert_eq!((summary.open, summary.won, summary.lost), (1, 1, 0));
        assert_eq!(summary.open_value, d("5"));
        assert_eq!(summary.sales_cycle_microseconds(), Some(0));
        assert_eq!(summary.pipeline_velocity(F, DAY.into()).unwrap(), None);
        assert!(matches!(
            summary.add(F, d("-1"), 0, None, None),
            Err(MetricError::OutOfRange(_))
        ));
        assert!(matches!(
            summary.add(F, d("1"), DAY, Some(0), Some(true)),
            Err(MetricError::InvalidParameter(_))
        ));
        assert!(matches!(
            summary.add(F, d("1"), 0, Some(DAY), None),
            Err(MetricError::InvalidParameter(_))
        ));
        assert!(matches!(
            summary.add(F, d("1"), i64::MAX, None, None),
            Err(MetricError::DatetimeOverflow(_))
        ));
        assert!(matches!(
            summary.pipeline_velocity(F, 0),
            Err(MetricError::InvalidParameter(_))
        ));
        let mut big = PipelineSummary::default();
        big.add(F, Decimal::MAX, 0, None, None).unwrap();
        assert!(big.add(F, d("1"), 0, None, None).is_err());
        // a deal spanning the whole timestamp range
        let mut long = PipelineSummary::default();
        long.add(
            F,
            d("1"),
            -211_813_488_000_000_000,
            Some(9_223_371_331_200_000_000),
            Some(true),
        )
        .unwrap();
        assert!(long.sales_cycle_microseconds().unwrap() > i64::MAX as u128);
        assert!(long.pipeline_velocity(F, DAY.into()).unwrap().is_some());
    }

    #[test]
    fn interval_seconds_follow_extract_epoch() {
        assert_eq!(interval_microseconds(1, 0, 0), 30 * i128::from(DAY));
        assert_eq!(
            interval_microseconds(12, 0, 0),
            36525 * i128::from(DAY) / 100
        );
        assert_eq!(
            interval_microseconds(13, 1, 1),
            36525 * i128::from(DAY) / 100 + 31 * i128::from(DAY) + 1
        );
        assert_eq!(interval_microseconds(-1, 0, 0), -30 * i128::from(DAY));
    }

    #[test]
    fn text_and_binary_forms_round_trip() {
        let summary = worked_example();
        let text = summary.to_text();
        assert_eq!(
            text,
            r#"{"won":7,"lost":13,"open":0,"won_value":"70000","open_value":"0","won_cycle_microseconds":54432000000000}"#
        );
        assert_eq!(PipelineSummary::from_text(&text).unwrap(), summary);
        assert_eq!(PipelineSummary::decode(&summary.encode()).unwrap(), summary);
        for bad in [
            "",
            "{}",
            r#"{"won":1,"lost":0,"open":0,"won_value":"-1","open_value":"0","won_cycle_microseconds":0}"#,
            r#"{"won":0,"lost":0,"open":0,"won_value":"1","open_value":"0","won_cycle_microseconds":0}"#,
            r#"{"won":9223372036854775807,"lost":1,"open":0,"won_value":"1","open_value":"0","won_cycle_microseconds":0}"#,
        ] {
            assert!(
                matches!(
                    PipelineSummary::from_text(bad),
                    Err(MetricError::InvalidText(_))
                ),
                "{bad}"
            );
        }
        let mut bytes = summary.encode();
        bytes.push(0);
        assert!(PipelineSummary::decode(&bytes).is_err());
    }

    #[test]
    fn golden_binary_form() {
        // Pinned so that a change of the stored form is never silent.
        let hex: String = worked_example()
            .encode()
            .iter()
            .map(|byte| format!("{byte:02x}"))
            .collect();
        assert_eq!(hex, "01070d00e0c50800000000008080998097b00c");
    }

    /// The payload of the working form of `state` (as `crm.pipeline_summary` holds it while an
    /// aggregate runs): the tag, three padding bytes, the struct.
    fn working_payload(state: &PipelineFlat) -> Vec<u8> {
        let mut payload = vec![flat_state::WORKING_TAG, 0, 0, 0];
        payload.extend_from_slice(&state.won.to_ne_bytes());
        payload.extend_from_slice(&state.lost.to_ne_bytes());
        payload.extend_from_slice(&state.open.to_ne_bytes());
        payload.extend_from_slice(&state.won_value);
        payload.extend_from_slice(&state.open_value);
        payload.extend_from_slice(&state.won_cycle_low.to_ne_bytes());
        payload.extend_from_slice(&state.won_cycle_high.to_ne_bytes());
        payload
    }

    #[test]
    fn working_form_holds_the_summary_and_is_validated() {
        let mut summary = worked_example();
        summary.add(F, d("12.50"), 0, None, None).unwrap();
        // A sales cycle sum above 2^64 microseconds uses the high half.
        summary.won_cycle_microseconds += u128::from(u64::MAX);
        let flat = PipelineFlat::of(&summary);
        assert_eq!(flat.summary(), summary);
        assert_eq!(std::mem::size_of::<PipelineFlat>(), 72);
        assert_eq!(
            PipelineSummary::decode(&working_payload(&flat)),
            Ok(summary)
        );
        assert_eq!(
            PipelineSummary::decode(&flat.encode_canonical()),
            Ok(summary)
        );
        // Forged working forms: a scale above 28, unused flag bits, a value without deals.
        let mut bad_scale = flat;
        bad_scale.won_value[2] = 29;
        let mut bad_flags = flat;
        bad_flags.open_value[0] = 1;
        let mut without_deals = flat;
        without_deals.open = 0;
        for bad in [bad_scale, bad_flags, without_deals] {
            assert!(matches!(
                PipelineSummary::decode(&working_payload(&bad)),
                Err(MetricError::InvalidBinary(_))
            ));
        }
        // Adding through the working form equals adding to the summary; an error changes
        // nothing.
        let mut state = PipelineFlat::default();
        state.add(F, d("5"), 0, Some(DAY), Some(true)).unwrap();
        assert!(state.add(F, d("-1"), 0, None, None).is_err());
        let mut expected = PipelineSummary::default();
        expected.add(F, d("5"), 0, Some(DAY), Some(true)).unwrap();
        assert_eq!(state.summary(), expected);
        let mut merged = PipelineFlat::of(&summary);
        merged.merge(F, &state).unwrap();
        summary.merge(F, &expected).unwrap();
        assert_eq!(merged.summary(), summary);
    }

    fn row() -> impl Strategy<Value = (i64, i64, Option<i64>, Option<bool>)> {
        (
            0i64..1_000_000,
            0i64..1000,
            prop::option::of(0i64..400),
            any::<bool>(),
        )
            .prop_map(|(cents, created, cycle, won)| {
                (
                    cents,
                    created * DAY,
                    cycle.map(|c| created * DAY + c * DAY / 3),
                    Some(won),
                )
            })
    }

    #[test]
    fn window_frames_keep_the_scale_group_by_gives() {
        let row = |text: &str| (d(text), 0, Some(DAY), Some(true));
        let rows = [row("0.25"), row("8.5"), row("1"), row("2.000")];
        let mut window = PipelineWindow::default();
        let mut start = 0;
        for end in 0..rows.len() {
            let (amount, created, closed, won) = rows[end];
            window.add(F, amount, created, closed, won).unwrap();
            while end - start >= 2 {
                let (amount, created, closed, won) = rows[start];
                window.remove(F, amount, created, closed, won).unwrap();
                start += 1;
            }
            let mut grouped = PipelineSummary::default();
            for &(amount, created, closed, won) in &rows[start..=end] {
                grouped.add(F, amount, created, closed, won).unwrap();
            }
            assert_eq!(
                window.summary.encode(),
                grouped.encode(),
                "frame {start}..={end}"
            );
            assert_eq!(window.summary.to_text(), grouped.to_text());
        }
        // {8.5, 1}: 8.5 + 1 after 0.25 left, "9.5", never "9.50".
        let mut window = PipelineWindow::default();
        for text in ["0.25", "8.5", "1"] {
            let (amount, created, closed, won) = row(text);
            window.add(F, amount, created, closed, won).unwrap();
        }
        let (amount, created, closed, won) = row("0.25");
        window.remove(F, amount, created, closed, won).unwrap();
        assert_eq!(window.summary.won_value.to_string(), "9.5");
        // Rolling up summaries: the same.
        let summary = |text: &str| {
            let mut summary = PipelineSummary::default();
            summary.add(F, d(text), 0, None, None).unwrap();
            summary
        };
        let mut rolled = PipelineWindow::default();
        rolled.merge(F, &summary("8.50")).unwrap();
        rolled.merge(F, &summary("0.5")).unwrap();
        rolled.unmerge(F, &summary("8.50")).unwrap();
        assert_eq!(rolled.summary.encode(), summary("0.5").encode());
    }

    #[test]
    fn sums_past_28_digits_are_refused_not_rounded() {
        let mut summary = PipelineSummary::default();
        summary
            .add(F, d("1000000000000000000000000000"), 0, None, None)
            .unwrap();
        let error = summary.add(F, d("0.25"), 0, None, None).unwrap_err();
        assert!(
            matches!(&error, MetricError::OutOfRange(message)
            if message.contains("crm.pipeline_agg: open value 1000000000000000000000000000 + 0.25")),
            "{error:?}"
        );
        let mut flat = PipelineFlat::of(&PipelineSummary::default());
        flat.add(
            F,
            d("1000000000000000000000000000"),
            0,
            Some(DAY),
            Some(true),
        )
        .unwrap();
        assert!(flat.add(F, d("0.25"), 0, Some(DAY), Some(true)).is_err());
        let mut other = PipelineSummary::default();
        other.add(F, d("0.25"), 0, None, None).unwrap();
        assert!(summary.clone().merge(F, &other).is_err());
    }

    proptest! {
        #[test]
        fn working_form_adds_as_the_summary(rows in prop::collection::vec(row(), 0..60), start_high in any::<bool>()) {
            let mut summary = PipelineSummary::default();
            if start_high {
                // A cycle sum just below 2^64, so that adding carries into the high half.
                summary.add(F, d("1"), 0, Some(i64::MAX - 1), Some(true)).unwrap();
                summary.add(F, d("1"), 0, Some(i64::MAX - 1), Some(true)).unwrap();
            }
            let mut flat = PipelineFlat::of(&summary);
            for &(cents, created, closed, won) in &rows {
                let amount = Decimal::new(cents, 2);
                summary.add(F, amount, created, closed, won).unwrap();
                flat.add(F, amount, created, closed, won).unwrap();
            }
            prop_assert_eq!(flat.summary(), summary);
        }

        #[test]
        fn split_and_merge_equals_one_pass(rows in prop::collection::vec(row(), 0..60), cut in 0usize..60) {
            let cut = cut.min(rows.len());
            let add_all = |part: &[(i64, i64, Option<i64>, Option<bool>)]| {
                let mut summary = PipelineSummary::default();
                for &(cents, created, closed, won) in part {
                    summary.add(F, Decimal::new(cents, 2), created, closed, won).unwrap();
                }
                summary
            };
            let whole = add_all(&rows);
            let (mut left, right) = (add_all(&rows[..cut]), add_all(&rows[cut..]));
            let mut other_order = right;
            other_order.merge(F, &left).unwrap();
            left.merge(F, &right).unwrap();
            prop_assert_eq!(left, whole);
            prop_assert_eq!(other_order, whole);
            let mut removed = whole;
            for &(cents, created, closed, won) in &rows[cut..] {
                removed.remove(F, Decimal::new(cents, 2), created, closed, won).unwrap();
            }
            prop_assert_eq!(removed, add_all(&rows[..cut]));
        }

        #[test]
        fn sliding_frames_equal_group_by_byte_for_byte(
            rows in prop::collection::vec((row(), 0u32..4), 1..40), width in 1usize..6,
        ) {
            // Amounts with 0 to 3 places (trailing zeros included).
            let rows: Vec<_> = rows.into_iter().map(|((cents, created, closed, won), places)| {
                (Decimal::new(cents * 10i64.pow(places), 2 + places), created, closed, won)
            }).collect();
            let mut window = PipelineWindow::default();
            for end in 0..rows.len() {
                let (amount, created, closed, won) = rows[end];
                window.add(F, amount, created, closed, won).unwrap();
                let start = (end + 1).saturating_sub(width);
                if end >= width {
                    let (amount, created, closed, won) = rows[end - width];
                    window.remove(F, amount, created, closed, won).unwrap();
                }
                let mut grouped = PipelineSummary::default();
                for &(amount, created, closed, won) in &rows[start..=end] {
                    grouped.add(F, amount, created, closed, won).unwrap();
                }
                prop_assert_eq!(window.summary.encode(), grouped.encode());
            }
        }
    }

    #[test]
    fn sums_no_rows_could_reach_are_refused() {
        // One won deal cannot take longer than the timestamp range.
        let text = |won: u64, cycle: u128| {
            format!(
                r#"{{"won":{won},"lost":0,"open":0,"won_value":"1","open_value":"0","won_cycle_microseconds":{cycle}}}"#
            )
        };
        assert!(PipelineSummary::from_text(&text(1, MAX_CYCLE)).is_ok());
        for (won, cycle) in [(1, MAX_CYCLE + 1), (2, u128::MAX), (1, 1 << 127)] {
            assert!(matches!(
                PipelineSummary::from_text(&text(won, cycle)),
                Err(MetricError::InvalidText(_))
            ));
        }
        // A total at the bigint limit: the next opportunity is 22003, the state unchanged.
        let full = PipelineSummary::from_text(&format!(
            r#"{{"won":0,"lost":{},"open":0,"won_value":"0","open_value":"0","won_cycle_microseconds":0}}"#,
            i64::MAX
        ))
        .unwrap();
        let mut summary = full;
        assert!(matches!(
            summary.add(F, d("1"), 0, Some(DAY), Some(true)),
            Err(MetricError::OutOfRange(_))
        ));
        assert_eq!(summary, full);
        let mut flat = PipelineFlat::of(&full);
        assert!(matches!(
            flat.add(F, d("1"), 0, None, None),
            Err(MetricError::OutOfRange(_))
        ));
        assert_eq!(flat.summary(), full);
    }
}
