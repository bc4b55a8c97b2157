//! Calendar periods in time zones, shared by the metric families.
//!
//! Instants are Postgres raw `timestamptz` values (microseconds since
//! 2000-01-01 00:00:00 UTC; `i64::MIN` / `i64::MAX` are -infinity / +infinity)
//! and dates are Postgres raw `date` values (days since 2000-01-01).
//!
//! A *period index* numbers the calendar periods of one kind so that
//! consecutive periods have consecutive indexes, with index 0 for the period
//! containing 2000-01-01: days since 2000-01-01, ISO weeks (starting Monday)
//! since the week of Monday 1999-12-27, months since January 2000, quarters
//! since 2000-Q1 and years since 2000.
//!
//! Periods are local to a [`Zone`]: UTC is pure integer arithmetic, any other zone has
//! Postgres's rules ([`super::tz`]), so periods agree with `AT TIME ZONE` in every year.
use super::civil::{
    check_finite, civil_from_days, days_from_civil, out_of_range, END_TIMESTAMP, USECS_PER_DAY,
    USECS_PER_SEC,
};
use super::error::{MetricError, MetricResult};
use super::tz::Zone;

/// 2000-01-01 is a Saturday: the Monday starting week 0 is 5 days earlier.
const WEEK_SHIFT: i64 = 5;
/// The earliest date Postgres represents (4714-11-24 BC), days since 2000-01-01.
const MIN_DATE: i64 = -2_451_545;
/// The last local day of a finite timestamp (its UTC day plus a day for zone offsets).
const MAX_LOCAL_DAY: i64 = (END_TIMESTAMP - 1) / USECS_PER_DAY + 1;

/// A kind of calendar period.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Period {
    Day,
    Week,
    Month,
    Quarter,
    Year,
}

impl Period {
    const ALL: [Period; 5] = [
        Period::Day,
        Period::Week,
        Period::Month,
        Period::Quarter,
        Period::Year,
    ];

    /// Parses a period name (ASCII case-insensitive).
    pub fn parse(function: &str, name: &str) -> MetricResult<Self> {
        Self::ALL
            .into_iter()
            .find(|period| period.name().eq_ignore_ascii_case(name))
            .ok_or_else(|| {
                MetricError::InvalidParameter(format!(
                    "{function}: unknown period '{name}' (expected day, week, month, quarter or year)"
                ))
            })
    }

    /// The canonical lower-case name.
    pub fn name(self) -> &'static str {
        match self {
            Period::Day => "day",
            Period::Week => "week",
            Period::Month => "month",
            Period::Quarter => "quarter",
            Period::Year => "year",
        }
    }

    /// Inclusive bounds of the indexes [`period_index`] accepts: periods of finite timestamps
    /// that start on a date Postgres can represent (not before 4714-11-24 BC). Decoders use
    /// them to reject forged indexes.
    pub fn index_range(self) -> (i32, i32) {
        let first = day_to_index(self, MIN_DATE);
        let low = if start_day(self, first) < MIN_DATE {
            first + 1
        } else {
            first
        };
        // Both ends fit an i32 by a wide margin (|day| < 2^27).
        (low as i32, day_to_index(self, MAX_LOCAL_DAY) as i32)
    }

    /// `index` if it is in [`Period::index_range`], else 22008.
    fn check_index(self, function: &str, index: i64) -> MetricResult<i32> {
        let (low, high) = self.index_range();
        if index < i64::from(low) {
            Err(MetricError::DatetimeOverflow(format!(
                "{function}: the {} starts before 4714-11-24 BC, the earliest date",
                self.name()
            )))
        } else {
            i32::try_from(index)
                .ok()
                .filter(|&index| index <= high)
                .ok_or_else(|| out_of_range(function))
        }
    }
}

/// Index of the calendar period containing the instant, in the zone:
/// consecutive periods have consecutive indexes.
pub fn period_index(
    function: &str,
    period: Period,
    zone: &Zone,
    timestamp: i64,
) -> MetricResult<i32> {
    check_finite(function, timestamp)?;
    let (day, _) = local_day(function, zone, timestamp)?;
    period.check_index(function, day_to_index(period, day))
}

/// First day of period `index` as a Postgres date (days since 2000-01-01).
/// Exact for every index [`period_index`] returns; saturates at the `i32`
/// bounds for indexes far outside that range.
pub fn period_start_date(period: Period, index: i32) -> i32 {
    let day = start_day(period, i64::from(index));
    day.clamp(i64::from(i32::MIN), i64::from(i32::MAX)) as i32
}

/// Slots of each memo of an [`Indexer`] (a power of two).
const MEMO_SLOTS: usize = 1024;
/// Days an [`Indexer`] converts the slow way before it allocates its memos,
/// so that small aggregates stay small.
const MEMO_WARMUP: u32 = 256;
/// Offset memo value of a UTC day on which the zone's offset changes.
const VARIES: i32 = i32::MIN;
/// Memo day of an empty slot (no finite timestamp is that far from 2000).
const NO_DAY: i32 = i32::MIN;

/// Computes period indexes for one period kind and zone, with the same results
/// as [`period_index`] but faster on long streams of timestamps.
///
/// After a warm-up it keeps direct-mapped memos of 1024 slots: local day →
/// period index (8 KiB), and for a named zone UTC day → UTC offset (8 KiB)
/// for the days over which the offset is constant, found by asking the zone at
/// both ends of the day; days with an offset change are resolved instant by
/// instant. This assumes that no zone changes its offset and back within one
/// day: an ignored test checks it hour by hour for every zone from 1900 to 2040.
#[derive(Debug, Clone)]
pub struct Indexer {
    period: Period,
    zone: Zone,
    /// Days converted without memos so far (up to `MEMO_WARMUP`).
    warmup: u32,
    /// `(local day, period index)` per slot; empty until warm.
    indexes: Vec<(i32, i32)>,
    /// Named zones: `(utc day, offset in seconds or VARIES)` per slot; empty until warm.
    offsets: Vec<(i32, i32)>,
}

impl Indexer {
    /// An indexer for `period` in `zone`; a zone that is UTC at every instant becomes
    /// [`Zone::utc`] ([`Zone::fold_utc`]), so every alias of UTC indexes and is named as `UTC`.
    pub fn new(period: Period, zone: Zone) -> Self {
        Indexer {
            period,
            zone: zone.fold_utc(),
            warmup: 0,
            indexes: Vec::new(),
            offsets: Vec::new(),
        }
    }

    pub fn period(&self) -> Period {
        self.period
    }

    pub fn zone(&self) -> &Zone {
        &self.zone
    }

    /// Same result as [`period_index`] with this indexer's period and zone.
    #[inline]
    pub fn index(&mut self, function: &str, timestamp: i64) -> MetricResult<i32> {
        check_finite(function, timestamp)?;
        let day = if self.zone.is_utc() {
            timestamp.div_euclid(USECS_PER_DAY)
        } else {
            self.named_local_day(function, timestamp)?
        };
        // Local days of finite timestamps fit an i32 (|day| < 2^27).
        let day = day as i32;
        let slot = day as u32 as usize % MEMO_SLOTS;
        match self.indexes.get(slot) {
            Some(&(memo_day, index)) if memo_day == day => Ok(index),
            _ => self.index_slow(function, day, slot),
        }
    }

    #[cold]
    fn index_slow(&mut self, function: &str, day: i32, slot: usize) -> MetricResult<i32> {
        let index = self
            .period
            .check_index(function, day_to_index(self.period, i64::from(day)))?;
        if let Some(entry) = self.indexes.get_mut(slot) {
            *entry = (day, index);
        } else if self.warmup < MEMO_WARMUP {
            self.warmup += 1;
        } else {
            self.indexes = vec![(NO_DAY, 0); MEMO_SLOTS];
            if !self.zone.is_utc() {
                self.offsets = vec![(NO_DAY, 0); MEMO_SLOTS];
            }
        }
        Ok(index)
    }

    #[inline]
    fn named_local_day(&mut self, function: &str, timestamp: i64) -> MetricResult<i64> {
        // The UTC day of a finite timestamp fits an i32 (|day| < 2^27).
        let utc_day = timestamp.div_euclid(USECS_PER_DAY) as i32;
        let slot = utc_day as u32 as usize % MEMO_SLOTS;
        let offset = match self.offsets.get(slot) {
            Some(&(day, offset)) if day == utc_day && offset != VARIES => {
                i64::from(offset) * USECS_PER_SEC
            }
            _ => self.offset_slow(function, utc_day, slot, timestamp)?,
        };
        let local = timestamp
            .checked_add(offset)
            .ok_or_else(|| out_of_range(function))?;
        Ok(local.div_euclid(USECS_PER_DAY))
    }

    #[cold]
    fn offset_slow(
        &mut self,
        function: &str,
        utc_day: i32,
        slot: usize,
        timestamp: i64,
    ) -> MetricResult<i64> {
        if let Some(entry) = self.offsets.get_mut(slot) {
            if entry.0 != utc_day {
                let start = i64::from(utc_day) * USECS_PER_DAY;
                let end = start.saturating_add(USECS_PER_DAY - 1);
                match (
                    self.zone.offset_at(function, start),
                    self.zone.offset_at(function, end),
                ) {
                    (Ok(a), Ok(b)) if a == b => {
                        // Offsets are whole seconds, less than a day.
                        *entry = (utc_day, (a / USECS_PER_SEC) as i32);
                        return Ok(a);
                    }
                    _ => *entry = (utc_day, VARIES),
                }
            }
        }
        self.zone.offset_at(function, timestamp)
    }
}

/// Local day (days since 2000-01-01) of the instant and the zone's offset there.
fn local_day(function: &str, zone: &Zone, timestamp: i64) -> MetricResult<(i64, i64)> {
    if zone.is_utc() {
        return Ok((timestamp.div_euclid(USECS_PER_DAY), 0));
    }
    let offset = zone.offset_at(function, timestamp)?;
    let local = timestamp
        .checked_add(offset)
        .ok_or_else(|| out_of_range(function))?;
    Ok((local.div_euclid(USECS_PER_DAY), offset))
}

#[inline]
fn day_to_index(period: Period, day: i64) -> i64 {
    match period {
        Period::Day => day,
        Period::Week => (day + WEEK_SHIFT).div_euclid(7),
        Period::Month => {
            let (year, month, _) = civil_from_days(day);
            (year - 2000) * 12 + (month - 1)
        }
        Period::Quarter => {
            let (year, month, _) = civil_from_days(day);
            (year - 2000) * 4 + (month - 1) / 3
        }
        Period::Year => civil_from_days(day).0 - 2000,
    }
}

/// First day of the period (days since 2000-01-01); exact for |index| < 2^33.
fn start_day(period: Period, index: i64) -> i64 {
    match period {
        Period::Day => index,
        Period::Week => index * 7 - WEEK_SHIFT,
        Period::Month => days_from_civil(2000 + index.div_euclid(12), index.rem_euclid(12) + 1, 1),
        Period::Quarter => {
            days_from_civil(2000 + index.div_euclid(4), 3 * index.rem_euclid(4) + 1, 1)
        }
        Period::Year => days_from_civil(2000 + index, 1, 1),
    }
}

#[cfg(test)]
#[path = "periods_tests.rs"]
mod tests;
