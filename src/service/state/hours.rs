//! Business time over a [`Calendar`]: `business_time`, `business_add`, `is_business_time`.
//!
//! The business instants are the union, over local days `d` that are not holidays, of the
//! intervals `[from_local(d + open), from_local(d + close))` of the day's openings, local times
//! read as `timestamp AT TIME ZONE zone` reads them. Durations are elapsed time.
//!
//! Away from the zone's offset changes the offset is constant, so business time in `[a, b)` is
//! the business time of the local weekly pattern in `[a + offset, b + offset)` minus holidays:
//! whole weeks times the weekly total plus a binary search in the week, and prefix sums over
//! the holidays. Within [`MARGIN`] of a transition (a *block*) the intervals are built
//! explicitly from the days' openings; a block that lies wholly inside a span is measured once
//! per calendar and remembered. So the cost of a span grows with the holidays inside it (by a
//! binary search) and with the DST changes inside it (by a lookup), never with its days.
//!
//! A zone's offset changes follow its yearly rule once its data's explicit transitions are over,
//! and a yearly rule repeats every [`ERA`] (400 Gregorian years, a whole number of weeks). So
//! past the last holiday and [`RULES_FROM`], business time repeats every era too: once checked
//! that the zone's changes do (an [`Era`]), a span or an amount of more than two eras is
//! skipped through whole eras at once, and the DST changes walked are those of at most three
//! eras, wherever in the timestamp range the span lies.
use std::cell::RefCell;
use std::collections::HashMap;

use super::calendar::Calendar;
use crate::common::civil::{
    check_finite, format_timestamp, interval_text, weekday, END_TIMESTAMP, USECS_PER_DAY,
    USECS_PER_SEC,
};
use crate::common::error::{MetricError, MetricResult};
use crate::common::interrupt::{self, Ticker};

const DAY: i64 = USECS_PER_DAY;
const WEEK: i64 = 7 * DAY;
const MINUTE: i64 = 60 * USECS_PER_SEC;
/// Local midnight of Monday 2000-01-03: weeks of the local pattern start there.
const FIRST_MONDAY: i64 = 2 * DAY;
/// The openings of local days within this distance of an offset change may be read with
/// either offset, or moved by a gap: they are built explicitly (openings last less than two
/// days from their day's midnight and offsets are less than a day).
const MARGIN: i64 = 4 * DAY;
/// `business_add` looks this far ahead for offset changes at a time.
const ADD_HORIZON: i64 = 400 * DAY;
/// Blocks remembered per calendar before the memo is cleared.
const MAX_REMEMBERED_BLOCKS: usize = 4_096;
/// 400 Gregorian years: 146 097 days, exactly 20 871 weeks, after which both the weekdays of the
/// dates and a zone's yearly DST rule repeat.
const ERA: i64 = 146_097 * DAY;
/// 2200-01-01 00:00 UTC: past the explicit transitions of every zone's data (the last ones,
/// Morocco's, are in 2087), so offsets follow the zones' yearly rules; business time is looked
/// at for repetition from here on.
const RULES_FROM: i64 = 73_049 * DAY;

/// Business time repeats every [`ERA`] from `start` on: any `[t, t + ERA)` with `t >= start`
/// holds `measure` business microseconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Era {
    start: i64,
    measure: i128,
}

/// A calendar ready for computing: its openings as microsecond intervals, weekly prefix sums and
/// holiday prefix sums, and a memo of measured blocks.
#[derive(Debug)]
pub struct BusinessHours {
    calendar: Calendar,
    /// Per weekday (0 = Monday), `[open, close)` in microseconds after local midnight.
    day_openings: [Vec<(i64, i64)>; 7],
    /// Per weekday, total business microseconds.
    day_total: [i64; 7],
    /// The weekly pattern from Monday 00:00 as sorted disjoint intervals in `[0, WEEK)`
    /// (a Sunday night shift wraps into Monday).
    weekly: Vec<(i64, i64)>,
    /// Business microseconds of the week before each interval of `weekly`.
    weekly_before: Vec<i64>,
    week_total: i64,
    /// Holidays (local days since 2000-01-01), sorted.
    holidays: Vec<i64>,
    /// `holidays_before[i]`: business microseconds of the weekly pattern on `holidays[..i]`.
    holidays_before: Vec<i64>,
    /// Measure of each block `[start, end)` met wholly inside a span.
    blocks: RefCell<HashMap<(i64, i64), i128>>,
    /// Reused buffer of explicit intervals.
    scratch: RefCell<Vec<(i64, i64)>>,
    /// The era of the calendar once looked for (`Some(None)`: business time was not found to
    /// repeat).
    era: RefCell<Option<Option<Era>>>,
}

impl BusinessHours {
    pub fn new(calendar: Calendar) -> Self {
        let mut day_openings: [Vec<(i64, i64)>; 7] = Default::default();
        let mut day_total = [0i64; 7];
        let mut weekly = Vec::new();
        for opening in &calendar.openings {
            let day = usize::from(opening.weekday) % 7;
            let open = i64::from(opening.start) * MINUTE;
            let length = i64::from(opening.length) * MINUTE;
            day_openings[day].push((open, open + length));
            day_total[day] += length;
            let start = day as i64 * DAY + open;
            let end = start + length;
            if end <= WEEK {
                weekly.push((start, end));
            } else {
                weekly.push((start, WEEK));
                weekly.push((0, end - WEEK));
            }
        }
        weekly.sort_unstable();
        let mut weekly_before = Vec::with_capacity(weekly.len());
        let mut week_total = 0;
        for &(start, end) in &weekly {
            weekly_before.push(week_total);
            week_total += end - start;
        }
        let holidays: Vec<i64> = calendar.holidays.iter().map(|&d| i64::from(d)).collect();
        let mut holidays_before = Vec::with_capacity(holidays.len() + 1);
        let mut sum = 0;
        holidays_before.push(sum);
        for &day in interrupt::checked(&holidays) {
            sum += day_total[weekday(day)];
            holidays_before.push(sum);
        }
        BusinessHours {
            calendar,
            day_openings,
            day_total,
            weekly,
            weekly_before,
            week_total,
            holidays,
            holidays_before,
            blocks: RefCell::new(HashMap::new()),
            scratch: RefCell::new(Vec::new()),
            era: RefCell::new(None),
        }
    }

    pub fn calendar(&self) -> &Calendar {
        &self.calendar
    }

    /// Business time in `[from, to)` in microseconds; negative when `to < from`.
    pub fn business_time(&self, function: &str, from: i64, to: i64) -> MetricResult<i64> {
        check_finite(function, from)?;
        check_finite(function, to)?;
        let measure = if to >= from {
            self.measure(function, from, to)?
        } else {
            -self.measure(function, to, from)?
        };
        i64::try_from(measure).map_err(|_| {
            MetricError::DatetimeOverflow(format!(
                "{function}: the business time from {} to {} is out of range of an interval",
                format_timestamp(from),
                format_timestamp(to)
            ))
        })
    }

    /// Whether instant `at` is business time.
    pub fn is_business_time(&self, function: &str, at: i64) -> MetricResult<bool> {
        check_finite(function, at)?;
        Ok(self.measure(function, at, at.saturating_add(1))? > 0)
    }

    /// The first instant at which `amount` microseconds (≥ 0) of business time have passed
    /// since `from`.
    pub fn business_add(&self, function: &str, from: i64, amount: i64) -> MetricResult<i64> {
        check_finite(function, from)?;
        if amount < 0 {
            return Err(MetricError::InvalidParameter(format!(
                "{function}: amount must not be negative"
            )));
        }
        // Refused for every amount, zero too: no business time ever passes.
        if self.week_total == 0 {
            return Err(MetricError::InvalidParameter(format!(
                "{function}: the calendar has no business hours"
            )));
        }
        if amount == 0 {
            return Ok(from);
        }
        let zone = &self.calendar.zone;
        let last = END_TIMESTAMP - 1;
        let out_of_range = || {
            MetricError::DatetimeOverflow(format!(
                "{function}: {} plus {} of business time is past the range of timestamps",
                format_timestamp(from),
                interval_text((0, 0, amount))
            ))
        };
        let mut remaining = i128::from(amount);
        let mut position = from;
        // An amount this large spans more than about two eras: worth finding the era.
        let era_worth = 2 * i128::from(ERA / WEEK) * i128::from(self.week_total);
        while position < last {
            // An iteration can walk the openings of a block of days: check every time.
            interrupt::check();
            if position >= RULES_FROM && remaining >= era_worth && zone.fixed_offset().is_none() {
                if let Some(era) = self.era(function)? {
                    if position >= era.start && remaining > era.measure {
                        // Whole eras, leaving between 1 and one era's measure to walk.
                        let eras = (remaining - 1) / era.measure;
                        let target = i128::from(position) + eras * i128::from(ERA);
                        if target >= i128::from(last) {
                            // Less than `remaining` passes before `target`.
                            return Err(out_of_range());
                        }
                        // Below `last`, so it fits an i64.
                        position = target as i64;
                        remaining -= eras * era.measure;
                    }
                }
            }
            let horizon = position.saturating_add(ADD_HORIZON).min(last);
            let next = match zone.fixed_offset() {
                Some(_) => None,
                None => zone.next_transition(function, position - MARGIN, horizon)?,
            };
            match next {
                Some((transition, _)) if transition - MARGIN <= position => {
                    let (start, end) = self.block_around(function, transition, horizon)?;
                    let end = end.min(last);
                    if position == start && end < horizon {
                        let measure = self.block_measure(function, start, end)?;
                        if measure < remaining {
                            remaining -= measure;
                            position = end;
                            continue;
                        }
                    }
                    let mut intervals = self.scratch.borrow_mut();
                    self.explicit_intervals(function, position, end, &mut intervals)?;
                    for &(open, close) in intervals.iter() {
                        let length = i128::from(close - open);
                        if length >= remaining {
                            // remaining ≤ length, which fits an i64.
                            return Ok(open + remaining as i64);
                        }
                        remaining -= length;
                    }
                    position = end;
                }
                other => {
                    let end = match (other, zone.fixed_offset()) {
                        (Some((transition, _)), _) => transition - MARGIN,
                        // No change before the end of the range: the offset holds to it.
                        (None, Some(_)) => last,
                        (None, None) if horizon >= last => last,
                        (None, None) => horizon - MARGIN,
                    }
                    .max(position + 1);
                    let offset = zone.offset_at(function, position)?;
                    let (local_start, local_end) = (position + offset, end + offset);
                    let base = self.local_cumulative(local_start);
                    let measure = self.local_cumulative(local_end) - base;
                    if measure >= remaining {
                        // The smallest local time by which `remaining` has passed.
                        let (mut low, mut high) = (local_start, local_end);
                        while high.abs_diff(low) > 1 {
                            // Between two i64s, so it fits one.
                            let middle = ((i128::from(low) + i128::from(high)) / 2) as i64;
                            if self.local_cumulative(middle) - base >= remaining {
                                high = middle;
                            } else {
                                low = middle;
                            }
                        }
                        return Ok(high - offset);
                    }
                    remaining -= measure;
                    position = end;
                }
            }
        }
        Err(out_of_range())
    }

    /// Business microseconds in `[a, b)`, `a <= b`.
    fn measure(&self, function: &str, a: i64, b: i64) -> MetricResult<i128> {
        if a >= b {
            return Ok(0);
        }
        let zone = &self.calendar.zone;
        if let Some(offset) = zone.fixed_offset() {
            let offset = i64::from(offset) * USECS_PER_SEC;
            return Ok(self.local_cumulative(b + offset) - self.local_cumulative(a + offset));
        }
        if i128::from(b) - i128::from(a) > i128::from(2 * ERA) {
            if let Some(era) = self.era(function)? {
                let start = a.max(era.start);
                // `start` is after 2200, so `b - start` fits.
                if b > start && b - start >= 2 * ERA {
                    let eras = (b - start) / ERA;
                    let rest = start + eras * ERA;
                    return Ok(self.walk(function, a, start)?
                        + i128::from(eras) * era.measure
                        + self.walk(function, rest, b)?);
                }
            }
        }
        self.walk(function, a, b)
    }

    /// The calendar's [`Era`], looked for once: `None` when business time was not found to
    /// repeat early enough in the range.
    fn era(&self, function: &str) -> MetricResult<Option<Era>> {
        if let Some(known) = *self.era.borrow() {
            return Ok(known);
        }
        let era = self.find_era(function)?;
        *self.era.borrow_mut() = Some(era);
        Ok(era)
    }

    /// Business time repeats every era from `start` on when no holiday is left (a holiday's
    /// openings are over two days after it, plus an offset of less than a day) and the zone's
    /// offsets repeat from `start - MARGIN` on (what the local days reaching into the span see):
    /// checked over two eras, the zone's rule being yearly from [`RULES_FROM`] on.
    fn find_era(&self, function: &str) -> MetricResult<Option<Era>> {
        let zone = &self.calendar.zone;
        let after_holidays = self
            .holidays
            .last()
            .map_or(i64::MIN, |&day| (day + 4) * DAY);
        let start = RULES_FROM.max(after_holidays);
        let from = start - MARGIN;
        let to = from + 2 * ERA;
        if to >= END_TIMESTAMP - 2 * MARGIN
            || zone.offset_at(function, from)? != zone.offset_at(function, from + ERA)?
        {
            return Ok(None);
        }
        let mut changes = Vec::new();
        let mut at = from;
        let mut ticker = Ticker::new();
        while let Some(change) = zone.next_transition(function, at, to)? {
            ticker.tick();
            changes.push(change);
            at = change.0;
        }
        let split = changes.partition_point(|&(at, _)| at <= from + ERA);
        let (first, second) = changes.split_at(split);
        let repeats = first.len() == second.len()
            && first
                .iter()
                .zip(second)
                .all(|(&(at, offset), &(later, same))| later == at + ERA && same == offset);
        if !repeats {
            return Ok(None);
        }
        Ok(Some(Era {
            start,
            measure: self.walk(function, start, start + ERA)?,
        }))
    }

    /// Business microseconds in `[a, b)`, `a <= b`, walking the zone's changes in between.
    fn walk(&self, function: &str, a: i64, b: i64) -> MetricResult<i128> {
        if a >= b {
            return Ok(0);
        }
        let zone = &self.calendar.zone;
        let limit = b + MARGIN;
        let mut next = zone.next_transition(function, a - MARGIN, limit)?;
        let mut total = 0i128;
        let mut position = a;
        while position < b {
            // An iteration can walk the openings of a block of days: check every time.
            interrupt::check();
            match next {
                Some((transition, _)) if transition - MARGIN <= position => {
                    let (start, end) = self.block_around(function, transition, limit)?;
                    next = zone.next_transition(function, end - MARGIN, limit)?;
                    let piece_end = end.min(b);
                    total += if position == start && end <= b {
                        self.block_measure(function, start, end)?
                    } else {
                        self.explicit_measure(function, position, piece_end)?
                    };
                    position = piece_end;
                }
                _ => {
                    let end = match next {
                        Some((transition, _)) => (transition - MARGIN).min(b),
                        None => b,
                    };
                    let offset = zone.offset_at(function, position)?;
                    total += self.local_cumulative(end + offset)
                        - self.local_cumulative(position + offset);
                    position = end;
                }
            }
        }
        Ok(total)
    }

    /// The block of the transition at `first`: `[first - MARGIN, last + MARGIN)` where `last`
    /// is the last of the transitions that follow each other within `2 * MARGIN` (looked for up
    /// to `limit`).
    fn block_around(&self, function: &str, first: i64, limit: i64) -> MetricResult<(i64, i64)> {
        let mut last = first;
        let mut ticker = Ticker::new();
        while let Some((transition, _)) =
            self.calendar
                .zone
                .next_transition(function, last, limit.max(last + 1))?
        {
            if transition - MARGIN > last + MARGIN {
                break;
            }
            ticker.tick();
            last = transition;
        }
        Ok((first - MARGIN, last + MARGIN))
    }

    /// Measure of a whole block, remembered.
    fn block_measure(&self, function: &str, start: i64, end: i64) -> MetricResult<i128> {
        if let Some(&measure) = self.blocks.borrow().get(&(start, end)) {
            return Ok(measure);
        }
        let measure = self.explicit_measure(function, start, end)?;
        let mut blocks = self.blocks.borrow_mut();
        if blocks.len() >= MAX_REMEMBERED_BLOCKS {
            blocks.clear();
        }
        blocks.insert((start, end), measure);
        Ok(measure)
    }

    fn explicit_measure(&self, function: &str, x: i64, y: i64) -> MetricResult<i128> {
        let mut intervals = self.scratch.borrow_mut();
        self.explicit_intervals(function, x, y, &mut intervals)?;
        Ok(intervals
            .iter()
            .map(|&(open, close)| i128::from(close - open))
            .sum())
    }

    /// The business instants in `[x, y)` as sorted disjoint intervals, built from the openings
    /// of every local day that can reach into it.
    fn explicit_intervals(
        &self,
        function: &str,
        x: i64,
        y: i64,
        out: &mut Vec<(i64, i64)>,
    ) -> MetricResult<()> {
        out.clear();
        if x >= y {
            return Ok(());
        }
        let zone = &self.calendar.zone;
        let first = zone.to_local(function, x)?.div_euclid(DAY) - 2;
        let last = zone.to_local(function, y - 1)?.div_euclid(DAY) + 1;
        for day in first..=last {
            // A day can hold hundreds of openings: check every day.
            interrupt::check();
            if self.holidays.binary_search(&day).is_ok() {
                continue;
            }
            let midnight = day * DAY;
            for &(open, close) in self.day_openings.get(weekday(day)).into_iter().flatten() {
                let open = zone.from_local(function, midnight + open)?.max(x);
                let close = zone.from_local(function, midnight + close)?.min(y);
                if close > open {
                    out.push((open, close));
                }
            }
        }
        out.sort_unstable();
        let mut merged: usize = 0;
        for index in 0..out.len() {
            let Some(&(open, close)) = out.get(index) else {
                break;
            };
            match merged.checked_sub(1).and_then(|last| out.get_mut(last)) {
                Some(previous) if open <= previous.1 => previous.1 = previous.1.max(close),
                _ => {
                    if let Some(slot) = out.get_mut(merged) {
                        *slot = (open, close);
                    }
                    merged += 1;
                }
            }
        }
        out.truncate(merged);
        Ok(())
    }

    /// Business microseconds of the local pattern before local time `local`, holidays taken
    /// out, counted from Monday 2000-01-03 (negative before it): nondecreasing in `local`.
    #[inline]
    fn local_cumulative(&self, local: i64) -> i128 {
        self.weekly_cumulative(local) - self.holidays_cumulative(local)
    }

    #[inline]
    fn weekly_cumulative(&self, local: i64) -> i128 {
        let relative = i128::from(local) - i128::from(FIRST_MONDAY);
        let weeks = relative.div_euclid(i128::from(WEEK));
        // In 0..WEEK.
        let position = relative.rem_euclid(i128::from(WEEK)) as i64;
        let index = self.weekly.partition_point(|&(start, _)| start < position);
        let within = match index
            .checked_sub(1)
            .and_then(|last| Some((*self.weekly.get(last)?, *self.weekly_before.get(last)?)))
        {
            Some(((start, end), before)) => before + position.min(end) - start,
            None => 0,
        };
        weeks * i128::from(self.week_total) + i128::from(within)
    }

    /// Business microseconds of the weekly pattern on holidays before local time `local`.
    #[inline]
    fn holidays_cumulative(&self, local: i64) -> i128 {
        if self.holidays.is_empty() {
            return 0;
        }
        let day = local.div_euclid(DAY);
        // Holidays before yesterday are over by `local` (openings end within two days).
        let over = self.holidays.partition_point(|&h| h < day - 1);
        let mut total = i128::from(self.holidays_before.get(over).copied().unwrap_or(0));
        for &holiday in self.holidays.get(over..).unwrap_or_default() {
            if holiday > day {
                break;
            }
            let midnight = holiday * DAY;
            for &(open, close) in self
                .day_openings
                .get(weekday(holiday))
                .into_iter()
                .flatten()
            {
                total += i128::from(((midnight + close).min(local) - (midnight + open)).max(0));
            }
        }
        total
    }

    /// Business microseconds of a local weekday (0 = Monday), holidays aside.
    pub fn day_total(&self, weekday: usize) -> i64 {
        self.day_total.get(weekday).copied().unwrap_or(0)
    }
}

#[cfg(test)]
#[path = "hours_tests.rs"]
mod tests;
