//! Calendar periods in IANA time zones, shared by the metric families.
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
use super::error::{MetricError, MetricResult};
use super::tz;

const USECS_PER_DAY: i64 = 86_400_000_000;
const USECS_PER_SEC: i64 = 1_000_000;
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

#[derive(Debug, Clone, PartialEq)]
enum ZoneKind {
    Utc,
    Named(tz::Zone),
}

/// A time zone: UTC (pure integer arithmetic) or a zone of Postgres's time-zone data
/// ([`tz::Zone`]: Postgres's own zone code, so periods agree with `AT TIME ZONE` in every year).
#[derive(Debug, Clone, PartialEq)]
pub struct Zone {
    kind: ZoneKind,
}

impl Zone {
    /// The UTC zone.
    pub fn utc() -> Self {
        Zone {
            kind: ZoneKind::Utc,
        }
    }

    /// The zone Postgres knows under `name` (as `AT TIME ZONE` takes full zone names,
    /// case-insensitively), or 22023. Zones that are UTC at every instant (`Etc/UTC`, `GMT`,
    /// `Zulu`, ...) all become [`Zone::utc`], named `UTC`.
    pub fn parse(function: &str, name: &str) -> MetricResult<Self> {
        let zone = load_zone(function, name)?;
        if zone.is_utc() {
            Ok(Zone::utc())
        } else {
            Ok(Zone {
                kind: ZoneKind::Named(zone),
            })
        }
    }

    /// The canonical name (`UTC` for every alias of UTC).
    pub fn name(&self) -> &str {
        match &self.kind {
            ZoneKind::Utc => "UTC",
            ZoneKind::Named(zone) => zone.name(),
        }
    }

    /// UTC offset at the instant, in microseconds.
    fn offset_at(&self, function: &str, timestamp: i64) -> MetricResult<i64> {
        match &self.kind {
            ZoneKind::Utc => Ok(0),
            ZoneKind::Named(zone) => zone.offset_at(function, timestamp),
        }
    }
}

/// The zone from Postgres's time-zone data.
#[cfg(not(test))]
fn load_zone(function: &str, name: &str) -> MetricResult<tz::Zone> {
    tz::Zone::parse(function, name)
}

/// Plain-Rust unit tests run without Postgres: their zones come from chrono-tz's copy of the
/// IANA data (up to 2100), through the same tables as Postgres's zones.
#[cfg(test)]
fn load_zone(function: &str, name: &str) -> MetricResult<tz::Zone> {
    test_zones::load(function, name)
}

#[cfg(test)]
mod test_zones {
    use std::cell::RefCell;
    use std::collections::HashMap;
    use std::str::FromStr;

    use chrono::{DateTime, Offset, TimeZone};
    use chrono_tz::Tz;

    use super::{tz, MetricError, MetricResult};

    thread_local! {
        static LISTS: RefCell<HashMap<String, tz::TransitionList>> = RefCell::new(HashMap::new());
    }

    /// Offset in seconds of `zone` at Unix second `t`.
    pub(super) fn offset(zone: Tz, t: i64) -> i32 {
        let utc = DateTime::from_timestamp(t, 0).expect("a test instant in chrono's range");
        zone.offset_from_utc_datetime(&utc.naive_utc())
            .fix()
            .local_minus_utc()
    }

    /// The transitions of `zone` from 1800 to 2200, found day by day and then to the second.
    fn transitions(zone: Tz) -> tz::TransitionList {
        const DAY: i64 = 86_400;
        let (first, last) = (-5_364_662_400i64, 7_258_118_400i64);
        let initial = offset(zone, first);
        let mut transitions = Vec::new();
        let mut current = initial;
        let mut day = first;
        while day < last {
            let next = offset(zone, day + DAY);
            if next != current {
                // The first second of the new offset, in (day, day + DAY].
                let (mut low, mut high) = (day, day + DAY);
                while high - low > 1 {
                    let middle = low + (high - low) / 2;
                    if offset(zone, middle) == current {
                        low = middle;
                    } else {
                        high = middle;
                    }
                }
                transitions.push((high, next));
                current = next;
            }
            day += DAY;
        }
        tz::TransitionList {
            initial,
            transitions,
        }
    }

    pub(super) fn load(function: &str, name: &str) -> MetricResult<tz::Zone> {
        let zone = Tz::from_str(name)
            .ok()
            .or_else(|| {
                chrono_tz::TZ_VARIANTS
                    .iter()
                    .copied()
                    .find(|tz| tz.name().eq_ignore_ascii_case(name))
            })
            .ok_or_else(|| {
                MetricError::InvalidParameter(format!("{function}: unknown time zone '{name}'"))
            })?;
        let list = LISTS.with(|lists| {
            lists
                .borrow_mut()
                .entry(zone.name().to_owned())
                .or_insert_with(|| transitions(zone))
                .clone()
        });
        tz::Zone::from_source(function, zone.name(), Box::new(list))
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
    pub fn new(period: Period, zone: Zone) -> Self {
        Indexer {
            period,
            zone,
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
        let day = match self.zone.kind {
            ZoneKind::Utc => timestamp.div_euclid(USECS_PER_DAY),
            ZoneKind::Named(_) => self.named_local_day(function, timestamp)?,
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
            if let ZoneKind::Named(_) = self.zone.kind {
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

#[inline]
fn check_finite(function: &str, timestamp: i64) -> MetricResult<()> {
    match timestamp {
        i64::MIN => Err(MetricError::DatetimeOverflow(format!(
            "{function}: timestamp -infinity is not allowed"
        ))),
        i64::MAX => Err(MetricError::DatetimeOverflow(format!(
            "{function}: timestamp infinity is not allowed"
        ))),
        _ => Ok(()),
    }
}

fn out_of_range(function: &str) -> MetricError {
    MetricError::DatetimeOverflow(format!("{function}: timestamp out of range"))
}

/// Local day (days since 2000-01-01) of the instant and the zone's offset there.
fn local_day(function: &str, zone: &Zone, timestamp: i64) -> MetricResult<(i64, i64)> {
    match zone.kind {
        ZoneKind::Utc => Ok((timestamp.div_euclid(USECS_PER_DAY), 0)),
        ZoneKind::Named(_) => {
            let offset = zone.offset_at(function, timestamp)?;
            let local = timestamp
                .checked_add(offset)
                .ok_or_else(|| out_of_range(function))?;
            Ok((local.div_euclid(USECS_PER_DAY), offset))
        }
    }
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

/// Days from 1970-01-01 to 2000-01-01.
const EPOCH_SHIFT: i64 = 10_957;

/// Proleptic Gregorian `(year, month 1..=12, day 1..=31)` of a day since 2000-01-01
/// (H. Hinnant's `civil_from_days`; year 0 is 1 BC).
#[inline]
fn civil_from_days(day: i64) -> (i64, i64, i64) {
    let z = day + EPOCH_SHIFT + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day_of_month = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day_of_month)
}

/// Day since 2000-01-01 of a proleptic Gregorian date (H. Hinnant's `days_from_civil`;
/// inverse of [`civil_from_days`]).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let yoe = year.rem_euclid(400);
    let mp = if month > 2 { month - 3 } else { month + 9 };
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468 - EPOCH_SHIFT
}

fn days_in_month(year: i64, month: i64) -> i64 {
    match month {
        2 if year.rem_euclid(4) == 0
            && (year.rem_euclid(100) != 0 || year.rem_euclid(400) == 0) =>
        {
            29
        }
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

// ---------------------------------------------------------------------------------------------
// Timestamps as text, for the text forms of summaries.
// ---------------------------------------------------------------------------------------------

/// Formats a raw timestamp as UTC `YYYY-MM-DD HH:MM:SS[.ffffff]+00` (Postgres' output with
/// `TimeZone = UTC`: trailing zeros of the fraction dropped, ` BC` after years before 1).
pub fn format_timestamp(value: i64) -> String {
    match value {
        i64::MIN => return "-infinity".to_string(),
        i64::MAX => return "infinity".to_string(),
        _ => {}
    }
    let (year, month, day) = civil_from_days(value.div_euclid(USECS_PER_DAY));
    let micros_of_day = value.rem_euclid(USECS_PER_DAY);
    let seconds = micros_of_day / USECS_PER_SEC;
    let fraction = micros_of_day % USECS_PER_SEC;
    let (hour, minute, second) = (seconds / 3600, seconds / 60 % 60, seconds % 60);
    let shown_year = if year > 0 { year } else { 1 - year };
    let mut text = format!("{shown_year:04}-{month:02}-{day:02} {hour:02}:{minute:02}:{second:02}");
    if fraction != 0 {
        let digits = format!("{fraction:06}");
        text.push('.');
        text.push_str(digits.trim_end_matches('0'));
    }
    text.push_str("+00");
    if year <= 0 {
        text.push_str(" BC");
    }
    text
}

/// Earliest finite `timestamptz` Postgres accepts (4714-11-24 00:00:00+00 BC), raw.
pub const MIN_TIMESTAMP: i64 = -211_813_488_000_000_000;
/// First instant past the finite `timestamptz` range (294277-01-01 00:00:00+00), raw.
pub const END_TIMESTAMP: i64 = 9_223_371_331_200_000_000;

/// Whether a raw timestamp is a finite value Postgres accepts.
pub fn is_valid_timestamp(value: i64) -> bool {
    (MIN_TIMESTAMP..END_TIMESTAMP).contains(&value)
}

/// Parses what [`format_timestamp`] writes for a finite value (the fraction may have 1 to 6
/// digits); `None` for anything else, including instants outside the range of `timestamptz`.
pub fn parse_timestamp(text: &str) -> Option<i64> {
    let (text, before_christ) = match text.strip_suffix(" BC") {
        Some(text) => (text, true),
        None => (text, false),
    };
    let (date, time) = text.strip_suffix("+00")?.split_once(' ')?;
    let (year, month_day) = date.split_once('-')?;
    let (month, day) = month_day.split_once('-')?;
    let (hms, fraction) = match time.split_once('.') {
        Some((hms, fraction)) => (hms, Some(fraction)),
        None => (time, None),
    };
    let (hour, minute_second) = hms.split_once(':')?;
    let (minute, second) = minute_second.split_once(':')?;

    let year = digits(year, 4, 6)?;
    let (month, day) = (digits(month, 2, 2)?, digits(day, 2, 2)?);
    let (hour, minute, second) = (
        digits(hour, 2, 2)?,
        digits(minute, 2, 2)?,
        digits(second, 2, 2)?,
    );
    let micros = match fraction {
        None => 0,
        Some(fraction) => {
            let value = digits(fraction, 1, 6)?;
            let scale = 10i64.pow(u32::try_from(6 - fraction.len()).ok()?);
            value * scale
        }
    };
    if year == 0 || !(1..=12).contains(&month) || hour > 23 || minute > 59 || second > 59 {
        return None;
    }
    let year = if before_christ { 1 - year } else { year };
    if day < 1 || day > days_in_month(year, month) {
        return None;
    }
    let days = days_from_civil(year, month, day);
    let seconds = i128::from(days) * 86_400 + i128::from(hour * 3600 + minute * 60 + second);
    let value = seconds * i128::from(USECS_PER_SEC) + i128::from(micros);
    i64::try_from(value)
        .ok()
        .filter(|&value| is_valid_timestamp(value))
}

/// An unsigned decimal of `min..=max` ASCII digits.
fn digits(text: &str, min: usize, max: usize) -> Option<i64> {
    if (min..=max).contains(&text.len()) && text.bytes().all(|byte| byte.is_ascii_digit()) {
        text.parse().ok()
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{DateTime, Datelike, NaiveDate};
    use chrono_tz::Tz;
    use proptest::prelude::*;

    const F: &str = "crm.cohort_agg";

    fn date(y: i32, m: u32, d: u32) -> i32 {
        let epoch = NaiveDate::from_ymd_opt(2000, 1, 1).unwrap();
        (NaiveDate::from_ymd_opt(y, m, d).unwrap() - epoch).num_days() as i32
    }

    /// Raw timestamptz of a UTC wall-clock time.
    fn ts(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> i64 {
        i64::from(date(y, mo, d)) * USECS_PER_DAY
            + (i64::from(h) * 60 + i64::from(mi)) * 60 * USECS_PER_SEC
    }

    fn zone(name: &str) -> Zone {
        Zone::parse(F, name).unwrap()
    }

    fn start(period: Period, zone_name: &str, t: i64) -> i32 {
        period_start_date(
            period,
            period_index(F, period, &zone(zone_name), t).unwrap(),
        )
    }

    /// Local calendar date of an instant computed independently with chrono.
    fn chrono_local_date(zone_name: &str, t: i64) -> i32 {
        let utc = DateTime::from_timestamp(t.div_euclid(USECS_PER_SEC) + 946_684_800, 0).unwrap();
        let tz: Tz = zone_name.parse().unwrap();
        let local = utc.with_timezone(&tz).date_naive();
        date(local.year(), local.month(), local.day())
    }

    #[test]
    fn parses_periods() {
        assert_eq!(Period::parse(F, "month").unwrap(), Period::Month);
        assert_eq!(Period::parse(F, "Week").unwrap(), Period::Week);
        for period in Period::ALL {
            assert_eq!(Period::parse(F, period.name()).unwrap(), period);
        }
        assert_eq!(
            Period::parse(F, "fortnight").unwrap_err(),
            MetricError::InvalidParameter(
                "crm.cohort_agg: unknown period 'fortnight' (expected day, week, month, quarter or year)".into()
            )
        );
        assert!(Period::parse(F, "").is_err());
    }

    #[test]
    fn parses_zones() {
        assert_eq!(zone("Europe/Berlin").name(), "Europe/Berlin");
        assert_eq!(zone("europe/berlin").name(), "Europe/Berlin");
        assert_eq!(zone("America/New_York"), zone("AMERICA/NEW_YORK"));
        for alias in [
            "UTC",
            "Etc/UTC",
            "UCT",
            "Universal",
            "Zulu",
            "GMT",
            "Etc/GMT",
            "GMT0",
            "Etc/GMT+0",
            "GMT-0",
            "Greenwich",
            "Etc/Greenwich",
        ] {
            assert_eq!(zone(alias), Zone::utc(), "{alias}");
            assert_eq!(zone(alias).name(), "UTC");
        }
        assert_eq!(
            Zone::parse(F, "Mars/Olympus_Mons").unwrap_err(),
            MetricError::InvalidParameter(
                "crm.cohort_agg: unknown time zone 'Mars/Olympus_Mons'".into()
            )
        );
        assert!(Zone::parse(F, "").is_err());
    }

    #[test]
    fn index_zero_is_the_period_of_2000_01_01() {
        for period in Period::ALL {
            assert_eq!(period_index(F, period, &Zone::utc(), 0).unwrap(), 0);
        }
        assert_eq!(period_start_date(Period::Day, 0), 0);
        assert_eq!(period_start_date(Period::Week, 0), date(1999, 12, 27));
        assert_eq!(period_start_date(Period::Month, 0), 0);
        assert_eq!(period_start_date(Period::Month, 288), date(2024, 1, 1));
        assert_eq!(period_start_date(Period::Month, -1), date(1999, 12, 1));
        assert_eq!(period_start_date(Period::Quarter, 0), 0);
        assert_eq!(period_start_date(Period::Year, 24), date(2024, 1, 1));
        assert_eq!(period_start_date(Period::Year, -2000), date(0, 1, 1));
    }

    #[test]
    fn every_period_kind_in_utc() {
        let t = ts(2024, 8, 15, 13, 45); // a Thursday
        assert_eq!(start(Period::Day, "UTC", t), date(2024, 8, 15));
        assert_eq!(start(Period::Week, "UTC", t), date(2024, 8, 12));
        assert_eq!(start(Period::Month, "UTC", t), date(2024, 8, 1));
        assert_eq!(start(Period::Quarter, "UTC", t), date(2024, 7, 1));
        assert_eq!(start(Period::Year, "UTC", t), date(2024, 1, 1));
        let month = |y, m| period_index(F, Period::Month, &Zone::utc(), ts(y, m, 1, 0, 0)).unwrap();
        assert_eq!(month(2024, 1), 288);
        assert_eq!(month(2024, 2), 289);
        assert_eq!(month(1999, 12), -1);
    }

    #[test]
    fn iso_weeks_start_on_monday() {
        // 2024-01-01 is a Monday: it starts its own week.
        assert_eq!(
            start(Period::Week, "UTC", ts(2024, 1, 1, 0, 0)),
            date(2024, 1, 1)
        );
        assert_eq!(
            start(Period::Week, "UTC", ts(2024, 1, 7, 23, 59)),
            date(2024, 1, 1)
        );
        assert_eq!(
            start(Period::Week, "UTC", ts(2024, 1, 8, 0, 0)),
            date(2024, 1, 8)
        );
        // 2023-01-01 is a Sunday: it belongs to the week starting 2022-12-26.
        assert_eq!(
            start(Period::Week, "UTC", ts(2023, 1, 1, 12, 0)),
            date(2022, 12, 26)
        );
        let week = |t| period_index(F, Period::Week, &Zone::utc(), t).unwrap();
        assert_eq!(week(ts(2023, 1, 2, 0, 0)), week(ts(2023, 1, 1, 0, 0)) + 1);
        // Before 2000 too.
        assert_eq!(
            start(Period::Week, "UTC", ts(1999, 12, 26, 0, 0)),
            date(1999, 12, 20)
        );
    }

    #[test]
    fn quarters() {
        let q = |y, m, d| start(Period::Quarter, "UTC", ts(y, m, d, 12, 0));
        assert_eq!(q(2024, 1, 1), date(2024, 1, 1));
        assert_eq!(q(2024, 3, 31), date(2024, 1, 1));
        assert_eq!(q(2024, 4, 1), date(2024, 4, 1));
        assert_eq!(q(2024, 6, 30), date(2024, 4, 1));
        assert_eq!(q(2024, 9, 30), date(2024, 7, 1));
        assert_eq!(q(2024, 10, 1), date(2024, 10, 1));
        assert_eq!(q(2024, 12, 31), date(2024, 10, 1));
        assert_eq!(q(1999, 11, 5), date(1999, 10, 1));
        assert_eq!(
            period_index(F, Period::Quarter, &Zone::utc(), ts(1999, 11, 5, 0, 0)).unwrap(),
            -1
        );
    }

    #[test]
    fn midnight_in_non_utc_zones() {
        // 23:30 UTC is already the next day in Berlin (UTC+1 in winter).
        let t = ts(2023, 12, 31, 23, 30);
        assert_eq!(start(Period::Day, "UTC", t), date(2023, 12, 31));
        assert_eq!(start(Period::Day, "Europe/Berlin", t), date(2024, 1, 1));
        assert_eq!(start(Period::Year, "Europe/Berlin", t), date(2024, 1, 1));
        assert_eq!(start(Period::Year, "UTC", t), date(2023, 1, 1));
        assert_eq!(start(Period::Week, "Europe/Berlin", t), date(2024, 1, 1));
        assert_eq!(start(Period::Week, "UTC", t), date(2023, 12, 25));
        // 03:30 UTC is still the previous day in New York (UTC-5 in winter).
        let t = ts(2024, 1, 1, 3, 30);
        assert_eq!(
            start(Period::Day, "America/New_York", t),
            date(2023, 12, 31)
        );
        assert_eq!(
            start(Period::Quarter, "America/New_York", t),
            date(2023, 10, 1)
        );
        assert_eq!(
            start(Period::Day, "America/New_York", ts(2024, 1, 1, 5, 0)),
            date(2024, 1, 1)
        );
    }

    #[test]
    fn dst_change_days() {
        // Berlin springs forward on 2024-03-31 (UTC+1 → UTC+2 at 01:00 UTC).
        let berlin = |t| start(Period::Day, "Europe/Berlin", t);
        assert_eq!(berlin(ts(2024, 3, 30, 22, 59)), date(2024, 3, 30));
        assert_eq!(berlin(ts(2024, 3, 30, 23, 0)), date(2024, 3, 31));
        assert_eq!(berlin(ts(2024, 3, 31, 21, 59)), date(2024, 3, 31));
        assert_eq!(berlin(ts(2024, 3, 31, 22, 0)), date(2024, 4, 1));
        // Berlin falls back on 2024-10-27: midnight is 22:00 UTC before, 23:00 UTC after.
        assert_eq!(berlin(ts(2024, 10, 26, 21, 59)), date(2024, 10, 26));
        assert_eq!(berlin(ts(2024, 10, 26, 22, 0)), date(2024, 10, 27));
        assert_eq!(berlin(ts(2024, 10, 27, 22, 59)), date(2024, 10, 27));
        assert_eq!(berlin(ts(2024, 10, 27, 23, 0)), date(2024, 10, 28));
        // New York springs forward on 2024-03-10 (EST → EDT at 07:00 UTC).
        let new_york = |t| start(Period::Day, "America/New_York", t);
        assert_eq!(new_york(ts(2024, 3, 10, 4, 59)), date(2024, 3, 9));
        assert_eq!(new_york(ts(2024, 3, 10, 5, 0)), date(2024, 3, 10));
        assert_eq!(new_york(ts(2024, 3, 11, 3, 59)), date(2024, 3, 10));
        assert_eq!(new_york(ts(2024, 3, 11, 4, 0)), date(2024, 3, 11));
        // ... and falls back on 2024-11-03.
        assert_eq!(new_york(ts(2024, 11, 3, 3, 59)), date(2024, 11, 2));
        assert_eq!(new_york(ts(2024, 11, 3, 4, 0)), date(2024, 11, 3));
        assert_eq!(new_york(ts(2024, 11, 4, 4, 59)), date(2024, 11, 3));
        assert_eq!(new_york(ts(2024, 11, 4, 5, 0)), date(2024, 11, 4));
        // The cached indexer agrees across the change.
        let mut indexer = Indexer::new(Period::Day, zone("America/New_York"));
        for minutes in 0..3 * 24 * 60 {
            let t = ts(2024, 11, 2, 0, 0) + minutes * 60 * USECS_PER_SEC;
            assert_eq!(
                indexer.index(F, t).unwrap(),
                period_index(F, Period::Day, &zone("America/New_York"), t).unwrap()
            );
        }
    }

    #[test]
    fn infinite_and_out_of_range_timestamps() {
        for t in [i64::MIN, i64::MAX] {
            for name in ["UTC", "Europe/Berlin"] {
                let err = period_index(F, Period::Day, &zone(name), t).unwrap_err();
                assert!(
                    matches!(err, MetricError::DatetimeOverflow(ref m) if m.starts_with("crm.cohort_agg: "))
                );
                let mut indexer = Indexer::new(Period::Month, zone(name));
                indexer.index(F, 0).unwrap();
                assert!(matches!(
                    indexer.index(F, t),
                    Err(MetricError::DatetimeOverflow(_))
                ));
            }
        }
        // The ends of the timestamptz range. The first instant is on the earliest date, a
        // Monday (Julian day 0): its day and week start on it, its month, quarter and year
        // before it (22008). The last instant works in every period.
        for period in Period::ALL {
            let (low, high) = period.index_range();
            assert!(
                period_start_date(period, low) >= MIN_DATE as i32,
                "{period:?}"
            );
            assert!(
                period_start_date(period, low - 1) < MIN_DATE as i32,
                "{period:?}"
            );
            let last = period_index(F, period, &Zone::utc(), END_TIMESTAMP - 1).unwrap();
            assert!(last <= high, "{period:?}");
            let first = period_index(F, period, &Zone::utc(), MIN_TIMESTAMP);
            let mut indexer = Indexer::new(period, Zone::utc());
            assert_eq!(indexer.index(F, MIN_TIMESTAMP), first);
            match period {
                Period::Day | Period::Week => assert_eq!(first.unwrap(), low),
                _ => assert!(
                    matches!(first, Err(MetricError::DatetimeOverflow(ref m)) if m.starts_with("crm.cohort_agg: the ")),
                    "{period:?} {first:?}"
                ),
            }
        }
        // West of Greenwich, the first instant is on the day before the earliest date.
        assert!(matches!(
            period_index(F, Period::Day, &zone("America/New_York"), MIN_TIMESTAMP),
            Err(MetricError::DatetimeOverflow(_))
        ));
        assert!(period_index(F, Period::Day, &zone("Asia/Tokyo"), MIN_TIMESTAMP).is_ok());
        assert_eq!(
            parse_timestamp("4714-11-24 00:00:00+00 BC"),
            Some(MIN_TIMESTAMP)
        );
        assert_eq!(parse_timestamp("4714-11-23 23:59:59.999999+00 BC"), None);
        assert_eq!(
            parse_timestamp("294276-12-31 23:59:59.999999+00"),
            Some(END_TIMESTAMP - 1)
        );
        assert_eq!(parse_timestamp("294277-01-01 00:00:00+00"), None);
        // Beyond chrono's range, named zones report an overflow.
        assert!(matches!(
            period_index(F, Period::Day, &zone("Europe/Berlin"), i64::MAX - 1),
            Err(MetricError::DatetimeOverflow(_))
        ));
        // Absurd indexes saturate instead of overflowing.
        assert_eq!(period_start_date(Period::Year, i32::MAX), i32::MAX);
        assert_eq!(period_start_date(Period::Week, i32::MIN), i32::MIN);
    }

    #[test]
    fn civil_round_trip() {
        for day in (-800_000..800_000).step_by(997) {
            let (year, month, day_of_month) = civil_from_days(day);
            assert_eq!(days_from_civil(year, month, day_of_month), day);
            let first = days_from_civil(year, month, 1);
            assert!(first <= day && day - first < 31);
            let next = if month == 12 {
                days_from_civil(year + 1, 1, 1)
            } else {
                days_from_civil(year, month + 1, 1)
            };
            assert!(day < next);
        }
    }

    /// Checks the assumption behind [`Indexer`]'s memo: on every UTC day from
    /// 1900 to 2040 where a zone has the same offset at both ends, the offset
    /// is the same at every hour in between. Slow: `cargo test --release -- --ignored`.
    #[test]
    #[ignore]
    fn no_zone_changes_offset_and_back_within_a_day() {
        let hour = 3_600 * USECS_PER_SEC;
        let (first, last) = (i64::from(date(1900, 1, 1)), i64::from(date(2040, 1, 1)));
        let tz_offset = |tz: Tz, t: i64| {
            test_zones::offset(tz, t.div_euclid(USECS_PER_SEC) + EPOCH_SHIFT * 86_400)
        };
        for tz in chrono_tz::TZ_VARIANTS {
            for day in first..last {
                let start = day * USECS_PER_DAY;
                let offset = tz_offset(tz, start);
                if tz_offset(tz, start + USECS_PER_DAY - 1) == offset {
                    for h in 1..24 {
                        assert_eq!(
                            tz_offset(tz, start + h * hour),
                            offset,
                            "{} day {day}",
                            tz.name()
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn warm_indexer_matches_period_index_across_zones() {
        let mut state = 0x2545_F491_4F6C_DD1Du64;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        let hour = 3_600 * USECS_PER_SEC;
        for zone_name in ZONES {
            let zone = zone(zone_name);
            for period in Period::ALL {
                let mut indexer = Indexer::new(period, zone.clone());
                for n in 0..4_000 {
                    // Alternately anywhere in 1900..2100 and around 2024's DST changes.
                    let t = if n % 2 == 0 {
                        (next() % 6_311_520_000_000_000) as i64 - 3_155_760_000_000_000
                    } else {
                        ts(2024, 3, 8, 0, 0) + (next() % (240 * 24)) as i64 * hour / 4
                    };
                    assert_eq!(
                        indexer.index(F, t).unwrap(),
                        period_index(F, period, &zone, t).unwrap()
                    );
                }
                assert_eq!(indexer.indexes.len(), MEMO_SLOTS);
                assert_eq!(
                    indexer.offsets.len(),
                    if zone_name == "UTC" { 0 } else { MEMO_SLOTS }
                );
            }
        }
    }

    const ZONES: [&str; 8] = [
        "UTC",
        "Europe/Berlin",
        "America/New_York",
        "Australia/Lord_Howe",
        "Asia/Kolkata",
        "Pacific/Apia",
        "Africa/Casablanca",
        "America/St_Johns",
    ];

    fn any_period() -> impl Strategy<Value = Period> {
        prop::sample::select(Period::ALL.to_vec())
    }

    /// Timestamps between 1900 and 2100.
    fn any_timestamp() -> impl Strategy<Value = i64> {
        -3_155_760_000_000_000i64..3_155_760_000_000_000i64
    }

    #[test]
    fn timestamps_format_like_postgres_in_utc() {
        assert_eq!(format_timestamp(0), "2000-01-01 00:00:00+00");
        assert_eq!(
            format_timestamp(8766 * USECS_PER_DAY),
            "2024-01-01 00:00:00+00"
        );
        assert_eq!(
            format_timestamp(-10957 * USECS_PER_DAY),
            "1970-01-01 00:00:00+00"
        );
        assert_eq!(format_timestamp(-1), "1999-12-31 23:59:59.999999+00");
        assert_eq!(
            format_timestamp(59 * USECS_PER_DAY + 3_723_500_000),
            "2000-02-29 01:02:03.5+00"
        );
        // Postgres' lowest timestamp.
        assert_eq!(
            format_timestamp(-211_813_488_000_000_000),
            "4714-11-24 00:00:00+00 BC"
        );
        assert_eq!(
            format_timestamp(parse_timestamp("0001-01-01 00:00:00+00 BC").unwrap()),
            "0001-01-01 00:00:00+00 BC"
        );
        assert_eq!(
            parse_timestamp("0001-01-01 00:00:00+00").unwrap()
                - parse_timestamp("0001-12-31 00:00:00+00 BC").unwrap(),
            USECS_PER_DAY
        );
        assert_eq!(format_timestamp(i64::MAX), "infinity");
        assert_eq!(format_timestamp(i64::MIN), "-infinity");
        for bad in [
            "2024-02-30 00:00:00+00",
            "2023-02-29 00:00:00+00",
            "0000-01-01 00:00:00+00",
            "2024-01-01 24:00:00+00",
            "2024-01-01 00:00:00.1234567+00",
            "2024-01-01 00:00:00",
            "2024-1-01 00:00:00+00",
            "infinity",
            "+024-01-01 00:00:00+00",
            "999999-01-01 00:00:00+00",
        ] {
            assert_eq!(parse_timestamp(bad), None, "{bad}");
        }
    }

    proptest! {
        #[test]
        fn index_is_monotone_and_starts_before_the_local_date(
            period in any_period(),
            zone_name in prop::sample::select(vec!["UTC", "Europe/Berlin", "America/New_York", "Asia/Tokyo"]),
            a in any_timestamp(),
            b in any_timestamp(),
        ) {
            let zone = zone(zone_name);
            let (a, b) = (a.min(b), a.max(b));
            let ia = period_index(F, period, &zone, a).unwrap();
            let ib = period_index(F, period, &zone, b).unwrap();
            prop_assert!(ia <= ib);
            let tz_name = if zone_name == "UTC" { "Etc/UTC" } else { zone_name };
            for (t, i) in [(a, ia), (b, ib)] {
                let local = chrono_local_date(tz_name, t);
                prop_assert!(period_start_date(period, i) <= local);
                prop_assert!(local < period_start_date(period, i + 1));
                prop_assert_eq!(period_index(F, period, &Zone::utc(), i64::from(local) * USECS_PER_DAY).unwrap(), i);
            }
        }

        #[test]
        fn start_date_round_trips(period in any_period(), index in -100_000i32..100_000) {
            // Years and quarters that far back start before the earliest date.
            let index = index.max(period.index_range().0 + 1);
            let start = period_start_date(period, index);
            prop_assert_eq!(period_index(F, period, &Zone::utc(), i64::from(start) * USECS_PER_DAY).unwrap(), index);
            prop_assert_eq!(period_index(F, period, &Zone::utc(), i64::from(start) * USECS_PER_DAY - 1).unwrap(), index - 1);
        }

        #[test]
        fn indexer_matches_period_index(
            period in any_period(),
            zone_name in prop::sample::select(ZONES.to_vec()),
            base in any_timestamp(),
            steps in prop::collection::vec(-200_000_000_000i64..200_000_000_000, 1..60),
        ) {
            let zone = zone(zone_name);
            let mut indexer = Indexer::new(period, zone.clone());
            // Past the warm-up, so that the memos are in use.
            for day in 0..=i64::from(MEMO_WARMUP) {
                indexer.index(F, base - day * USECS_PER_DAY).unwrap();
            }
            prop_assert_eq!(indexer.indexes.len(), MEMO_SLOTS);
            let mut t = base;
            for step in steps {
                t += step;
                prop_assert_eq!(indexer.index(F, t).unwrap(), period_index(F, period, &zone, t).unwrap());
            }
        }

        #[test]
        fn parsing_random_text_never_panics(text in ".{0,80}") {
            let _ = parse_timestamp(&text);
        }

        #[test]
        fn timestamps_round_trip(value in MIN_TIMESTAMP..END_TIMESTAMP) {
            prop_assert_eq!(parse_timestamp(&format_timestamp(value)), Some(value));
        }
    }
}
