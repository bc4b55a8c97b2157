//! Time zones read with Postgres's own time-zone code and data, so that every conversion agrees
//! with `AT TIME ZONE` in every year Postgres accepts (its zone rules go on past the end of any
//! table; see the defects issue on DST after 2099).
//!
//! A [`Zone`] asks Postgres (`pg_localtime`, `pg_next_dst_boundary`) for the instants at which
//! its UTC offset changes and keeps them in a Rust-side table, extended lazily around the
//! instants asked for; lookups are a binary search in that table, so the per-row path does not
//! call into Postgres. The conversion rules are plain Rust over an [`OffsetSource`] (a list of
//! transitions in the unit tests, Postgres in the extension):
//!
//! - instant → local civil time ([`Zone::to_local`]) adds the offset in force at the instant,
//!   as `timestamptz AT TIME ZONE zone` does;
//! - local civil time → instant ([`Zone::from_local`]) follows `timestamp AT TIME ZONE zone`
//!   (Postgres's `DetermineTimeZoneOffset`): a local time in a spring-forward gap moves forward
//!   by the gap, and an ambiguous one in a fall-back overlap is the later instant.
//!
//! Instants are raw `timestamptz` values and local civil times raw `timestamp` values
//! (microseconds since 2000-01-01 00:00:00); `i64::MIN` / `i64::MAX` are -infinity / infinity
//! and are refused. Offsets are seconds east of UTC. Zone sources speak Unix seconds, as
//! Postgres's `pg_time_t` does.
use std::cell::RefCell;
use std::collections::HashMap;
use std::fmt;
use std::rc::Rc;

use super::error::{MetricError, MetricResult};

pub const USECS_PER_SEC: i64 = 1_000_000;
pub const USECS_PER_DAY: i64 = 86_400 * USECS_PER_SEC;
const SECS_PER_DAY: i64 = 86_400;
/// Seconds from 1970-01-01 (the `pg_time_t` epoch) to 2000-01-01 (the timestamp epoch).
const UNIX_TO_POSTGRES_SECS: i64 = 946_684_800;
/// First valid timestamp, 4714-11-24 BC 00:00 (Postgres's `MIN_TIMESTAMP`).
pub const MIN_TIMESTAMP: i64 = -211_813_488_000_000_000;
/// First timestamp past the valid range, 294277-01-01 00:00 (Postgres's `END_TIMESTAMP`).
pub const END_TIMESTAMP: i64 = 9_223_371_331_200_000_000;
/// Unix second of `MIN_TIMESTAMP`, minus two days of margin for zone offsets.
const MIN_SOURCE_SECS: i64 =
    MIN_TIMESTAMP / USECS_PER_SEC + UNIX_TO_POSTGRES_SECS - 2 * SECS_PER_DAY;

/// How far a table is extended beyond the instant asked for (about a year each side), so that
/// neighbouring rows hit the table.
const EXTEND_SECS: i64 = 366 * SECS_PER_DAY;
/// An instant farther than this from the table (about 200 years) rebuilds the table around it
/// instead of filling the gap, so a stray instant costs a bounded amount of work.
const MAX_GAP_SECS: i64 = 200 * 366 * SECS_PER_DAY;
/// [`Zone::next_transition`] searches ahead this far at a time (about 50 years).
const SEARCH_STEP_SECS: i64 = 50 * 366 * SECS_PER_DAY;
/// A table never holds more transitions than this (a few thousand years of DST); past it the
/// table is rebuilt around the instant asked for.
const MAX_TRANSITIONS: usize = 8_192;

/// What a zone's source says about the transitions after an instant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Next {
    /// The first transition strictly after the instant: at Unix second `at` the offset becomes
    /// `offset`. Transitions that change only the DST flag or the abbreviation are reported
    /// too (Postgres's local-time rule looks at them).
    At { at: i64, offset: i32 },
    /// No transition follows.
    Never,
    /// The zone code cannot say (far outside its range).
    Unknown,
}

/// Where a zone's offsets come from: Postgres in the extension, a list in the unit tests.
pub trait OffsetSource {
    /// UTC offset in seconds at Unix second `t` (`pg_localtime`), `None` when unknown.
    fn offset_at(&self, t: i64) -> Option<i32>;
    /// The first transition strictly after Unix second `t` (`pg_next_dst_boundary`).
    fn next_transition(&self, t: i64) -> Next;
}

/// A list of transitions: the offset before the first one and `(at, offset)` pairs in
/// ascending order of `at`. Used by the unit tests and as the model of what a table holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TransitionList {
    pub initial: i32,
    pub transitions: Vec<(i64, i32)>,
}

impl OffsetSource for TransitionList {
    fn offset_at(&self, t: i64) -> Option<i32> {
        let index = self.transitions.partition_point(|&(at, _)| at <= t);
        Some(match index.checked_sub(1) {
            Some(last) => self.transitions.get(last).map_or(self.initial, |&(_, o)| o),
            None => self.initial,
        })
    }

    fn next_transition(&self, t: i64) -> Next {
        let index = self.transitions.partition_point(|&(at, _)| at <= t);
        match self.transitions.get(index) {
            Some(&(at, offset)) => Next::At { at, offset },
            None => Next::Never,
        }
    }
}

/// The transitions a zone is known to have in the window `[start, end]` (Unix seconds):
/// the offset at `start` and every transition with `start < at <= end`.
#[derive(Debug, Clone, Default)]
struct Table {
    start: i64,
    end: i64,
    initial: i32,
    transitions: Vec<(i64, i32)>,
    /// The source said that no transition follows the last one: the table is exact up to
    /// the end of time.
    tail_known: bool,
    /// False until the first fill.
    filled: bool,
}

impl Table {
    fn covers(&self, from: i64, to: i64) -> bool {
        self.filled && self.start <= from && (to <= self.end || self.tail_known)
    }

    /// Offset at `t`, which the window must cover.
    #[inline]
    fn offset_at(&self, t: i64) -> i32 {
        let index = self.transitions.partition_point(|&(at, _)| at <= t);
        match index
            .checked_sub(1)
            .and_then(|last| self.transitions.get(last))
        {
            Some(&(_, offset)) => offset,
            None => self.initial,
        }
    }

    /// The first transition strictly after `t` inside the window.
    #[inline]
    fn next_after(&self, t: i64) -> Option<(i64, i32)> {
        let index = self.transitions.partition_point(|&(at, _)| at <= t);
        self.transitions.get(index).copied()
    }
}

/// Every transition with `from < at <= to`, in order, and whether the source said that none
/// follows the last one.
fn transitions_in(
    source: &dyn OffsetSource,
    function: &str,
    from: i64,
    to: i64,
) -> MetricResult<(Vec<(i64, i32)>, bool)> {
    let mut found = Vec::new();
    let mut t = from;
    loop {
        match source.next_transition(t) {
            Next::At { at, offset } if at > t => {
                if at > to {
                    return Ok((found, false));
                }
                found.push((at, offset));
                t = at;
            }
            Next::Never => return Ok((found, true)),
            Next::At { .. } | Next::Unknown => return Err(out_of_range(function)),
        }
    }
}

struct ZoneData {
    name: String,
    /// `Some(offset)` for a zone without transitions (UTC, fixed offsets): no table needed.
    fixed: Option<i32>,
    source: Box<dyn OffsetSource>,
    table: RefCell<Table>,
}

/// A time zone. Cloning is cheap and clones share one transition table.
#[derive(Clone)]
pub struct Zone {
    data: Rc<ZoneData>,
}

impl fmt::Debug for Zone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Zone({})", self.data.name)
    }
}

/// Two zones are equal when they have the same canonical name.
impl PartialEq for Zone {
    fn eq(&self, other: &Self) -> bool {
        self.data.name == other.data.name
    }
}

impl Eq for Zone {}

impl Zone {
    /// UTC, named `UTC`.
    pub fn utc() -> Self {
        Zone::fixed("UTC", 0)
    }

    /// A zone that is always `offset` seconds east of UTC.
    pub fn fixed(name: &str, offset: i32) -> Self {
        Zone {
            data: Rc::new(ZoneData {
                name: name.to_owned(),
                fixed: Some(offset),
                source: Box::new(TransitionList {
                    initial: offset,
                    transitions: Vec::new(),
                }),
                table: RefCell::new(Table::default()),
            }),
        }
    }

    /// A zone whose offsets come from `source`.
    pub fn from_source(
        function: &str,
        name: &str,
        source: Box<dyn OffsetSource>,
    ) -> MetricResult<Self> {
        let fixed = match source.next_transition(MIN_SOURCE_SECS) {
            Next::Never => Some(
                source
                    .offset_at(MIN_SOURCE_SECS)
                    .ok_or_else(|| out_of_range(function))?,
            ),
            _ => None,
        };
        Ok(Zone {
            data: Rc::new(ZoneData {
                name: name.to_owned(),
                fixed,
                source,
                table: RefCell::new(Table::default()),
            }),
        })
    }

    /// The zone's canonical name (as Postgres spells it).
    pub fn name(&self) -> &str {
        &self.data.name
    }

    /// True for a zone that is UTC at every instant (`UTC`, `Etc/GMT`, ...).
    pub fn is_utc(&self) -> bool {
        self.data.fixed == Some(0)
    }

    /// The fixed offset in seconds of a zone without transitions.
    pub fn fixed_offset(&self) -> Option<i32> {
        self.data.fixed
    }

    /// UTC offset in microseconds at instant `t`.
    #[inline]
    pub fn offset_at(&self, function: &str, t: i64) -> MetricResult<i64> {
        check_finite(function, t)?;
        if let Some(offset) = self.data.fixed {
            return Ok(i64::from(offset) * USECS_PER_SEC);
        }
        let seconds = unix_seconds(t);
        let offset =
            self.with_table(function, seconds, seconds, |table| table.offset_at(seconds))?;
        Ok(i64::from(offset) * USECS_PER_SEC)
    }

    /// Local civil time of instant `t`, as `t AT TIME ZONE zone` gives it.
    #[inline]
    pub fn to_local(&self, function: &str, t: i64) -> MetricResult<i64> {
        let offset = self.offset_at(function, t)?;
        checked_timestamp(function, t.checked_add(offset))
    }

    /// Instant of local civil time `local`, as `local AT TIME ZONE zone` gives it: a local time
    /// in a spring-forward gap moves forward by the gap, an ambiguous one is the later instant.
    #[inline]
    pub fn from_local(&self, function: &str, local: i64) -> MetricResult<i64> {
        check_finite(function, local)?;
        let offset = match self.data.fixed {
            Some(offset) => offset,
            None => self.offset_for_local(function, unix_seconds(local))?,
        };
        checked_timestamp(
            function,
            local.checked_sub(i64::from(offset) * USECS_PER_SEC),
        )
    }

    /// The first transition strictly after instant `t` and no later than `limit`: its
    /// instant and the offset in microseconds that starts there. `None` for a zone without
    /// transitions. The table is searched ahead in steps of about 50 years.
    pub fn next_transition(
        &self,
        function: &str,
        t: i64,
        limit: i64,
    ) -> MetricResult<Option<(i64, i64)>> {
        check_finite(function, t)?;
        if self.data.fixed.is_some() || limit <= t {
            return Ok(None);
        }
        let end = unix_seconds(limit);
        let mut from = unix_seconds(t);
        loop {
            let to = from.saturating_add(SEARCH_STEP_SECS).min(end);
            let (found, tail_known) = self.with_table(function, from, to, |table| {
                (table.next_after(from), table.tail_known)
            })?;
            match found {
                Some((at, offset)) if at <= end => {
                    return Ok(Some((
                        (at - UNIX_TO_POSTGRES_SECS) * USECS_PER_SEC,
                        i64::from(offset) * USECS_PER_SEC,
                    )))
                }
                Some(_) => return Ok(None),
                None if tail_known || to >= end => return Ok(None),
                None => from = to,
            }
        }
    }

    /// Postgres's `DetermineTimeZoneOffset` for the local time `local` (Unix seconds read as
    /// local civil time): the first transition after `local` − 1 day decides; when the local
    /// time falls between its two readings (gap or overlap), the later instant wins.
    fn offset_for_local(&self, function: &str, local: i64) -> MetricResult<i32> {
        let previous = local - SECS_PER_DAY;
        let horizon = previous + 2 * SECS_PER_DAY;
        let (before, next) = self.with_table(function, previous, horizon, |table| {
            (table.offset_at(previous), table.next_after(previous))
        })?;
        Ok(match next {
            Some((boundary, after)) if boundary <= horizon => {
                let before_time = local - i64::from(before);
                let after_time = local - i64::from(after);
                if before_time < boundary && after_time < boundary {
                    before
                } else if before_time >= boundary && after_time >= boundary {
                    after
                } else if before_time > after_time {
                    before
                } else {
                    after
                }
            }
            // Offsets are less than a day, so a boundary past the horizon cannot matter.
            _ => before,
        })
    }

    /// Runs `read` on the table once it covers `[from, to]` (Unix seconds).
    #[inline]
    fn with_table<R>(
        &self,
        function: &str,
        from: i64,
        to: i64,
        read: impl FnOnce(&Table) -> R,
    ) -> MetricResult<R> {
        {
            let table = self.data.table.borrow();
            if table.covers(from, to) {
                return Ok(read(&table));
            }
        }
        self.extend(function, from, to)?;
        Ok(read(&self.data.table.borrow()))
    }

    #[cold]
    #[inline(never)]
    fn extend(&self, function: &str, from: i64, to: i64) -> MetricResult<()> {
        let source = self.data.source.as_ref();
        let mut table = self.data.table.borrow_mut();
        let rebuild = !table.filled
            || from < table.start.saturating_sub(MAX_GAP_SECS)
            || (to > table.end.saturating_add(MAX_GAP_SECS) && !table.tail_known)
            || table.transitions.len() > MAX_TRANSITIONS;
        if rebuild {
            let start = from.saturating_sub(EXTEND_SECS);
            let end = to.saturating_add(EXTEND_SECS);
            let (transitions, tail_known) = transitions_in(source, function, start, end)?;
            *table = Table {
                start,
                end,
                initial: source
                    .offset_at(start)
                    .ok_or_else(|| out_of_range(function))?,
                transitions,
                tail_known,
                filled: true,
            };
            return Ok(());
        }
        if from < table.start {
            let start = from.saturating_sub(EXTEND_SECS);
            let (mut earlier, _) = transitions_in(source, function, start, table.start)?;
            table.initial = source
                .offset_at(start)
                .ok_or_else(|| out_of_range(function))?;
            earlier.append(&mut table.transitions);
            table.transitions = earlier;
            table.start = start;
        }
        if to > table.end && !table.tail_known {
            let end = to.saturating_add(EXTEND_SECS);
            let (later, tail_known) = transitions_in(source, function, table.end, end)?;
            table.transitions.extend(later);
            table.end = end;
            table.tail_known = tail_known;
        }
        Ok(())
    }
}

/// Unix second (floor) of a raw timestamp.
#[inline]
fn unix_seconds(t: i64) -> i64 {
    t.div_euclid(USECS_PER_SEC) + UNIX_TO_POSTGRES_SECS
}

#[inline]
fn check_finite(function: &str, t: i64) -> MetricResult<()> {
    match t {
        i64::MIN => Err(MetricError::DatetimeOverflow(format!(
            "{function}: timestamp -infinity is not allowed"
        ))),
        i64::MAX => Err(MetricError::DatetimeOverflow(format!(
            "{function}: timestamp infinity is not allowed"
        ))),
        _ => Ok(()),
    }
}

/// `value` when it is a valid timestamp (Postgres's `IS_VALID_TIMESTAMP`), else 22008.
#[inline]
fn checked_timestamp(function: &str, value: Option<i64>) -> MetricResult<i64> {
    match value {
        Some(t) if (MIN_TIMESTAMP..END_TIMESTAMP).contains(&t) => Ok(t),
        _ => Err(out_of_range(function)),
    }
}

pub fn out_of_range(function: &str) -> MetricError {
    MetricError::DatetimeOverflow(format!("{function}: timestamp out of range"))
}

// ---------------------------------------------------------------------------------------------
// Civil dates (proleptic Gregorian, as Postgres counts them).
// ---------------------------------------------------------------------------------------------

/// Days since 2000-01-01 of a civil date (H. Hinnant's `days_from_civil`); exact for every
/// year a timestamp can hold.
pub fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let month_index = (month + 9) % 12;
    let day_of_year = (153 * month_index + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 730_425
}

/// Civil date (year, month 1..=12, day 1..=31) of a day since 2000-01-01.
pub fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 730_425;
    let era = z.div_euclid(146_097);
    let day_of_era = z - era * 146_097;
    let year_of_era =
        (day_of_era - day_of_era / 1_460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_index = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * month_index + 2) / 5 + 1;
    let month = if month_index < 10 {
        month_index + 3
    } else {
        month_index - 9
    };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// ISO weekday of a day since 2000-01-01: 0 = Monday ... 6 = Sunday (2000-01-01 was a Saturday).
pub fn weekday(days: i64) -> usize {
    (days + 5).rem_euclid(7) as usize
}

// ---------------------------------------------------------------------------------------------
// Zones from Postgres.
// ---------------------------------------------------------------------------------------------

/// A zone loaded by Postgres's `pg_tzset` (valid for the life of the backend).
struct PostgresZone(*const pgrx::pg_sys::pg_tz);

impl OffsetSource for PostgresZone {
    fn offset_at(&self, t: i64) -> Option<i32> {
        // SAFETY: `self.0` came from `pg_tzset`, whose zones live as long as the backend;
        // `pg_localtime` only reads it and returns NULL or a pointer to static storage.
        let tm = unsafe { pgrx::pg_sys::pg_localtime(&t, self.0) };
        if tm.is_null() {
            return None;
        }
        // SAFETY: non-null result of `pg_localtime`, read before any other call.
        let offset = unsafe { (*tm).tm_gmtoff };
        i32::try_from(offset).ok()
    }

    fn next_transition(&self, t: i64) -> Next {
        // `pg_next_dst_boundary` answers "no boundary" at exactly the last transition of its
        // table even when the zone's rule goes on past it, so one second later is asked too.
        for probe in [t, t.saturating_add(1)] {
            let (mut before_offset, mut before_dst) = (0, 0);
            let (mut boundary, mut after_offset, mut after_dst) = (0, 0, 0);
            // SAFETY: as in `offset_at`; every out-pointer is a live local.
            let found = unsafe {
                pgrx::pg_sys::pg_next_dst_boundary(
                    &probe,
                    &mut before_offset,
                    &mut before_dst,
                    &mut boundary,
                    &mut after_offset,
                    &mut after_dst,
                    self.0,
                )
            };
            match found {
                0 => continue,
                1 => {
                    return match i32::try_from(after_offset) {
                        Ok(offset) if boundary > t => Next::At {
                            at: boundary,
                            offset,
                        },
                        _ => Next::Unknown,
                    }
                }
                _ => return Next::Unknown,
            }
        }
        Next::Never
    }
}

thread_local! {
    /// Zones loaded by this backend, by canonical name: their tables are shared by every
    /// function and aggregate that uses the zone.
    static ZONES: RefCell<HashMap<String, Zone>> = RefCell::new(HashMap::new());
}

impl Zone {
    /// The zone Postgres knows under `name` (spelled as `SET TIME ZONE` and `AT TIME ZONE` take
    /// full zone names, case-insensitively), or 22023 naming it. Calls into Postgres the first
    /// time a backend sees a zone only.
    pub fn parse(function: &str, name: &str) -> MetricResult<Self> {
        let unknown = || {
            MetricError::InvalidParameter(format!(
                "{function}: unknown time zone '{}'",
                name.escape_debug()
            ))
        };
        let c_name = std::ffi::CString::new(name).map_err(|_| unknown())?;
        // SAFETY: `pg_tzset` reads the NUL-terminated name and returns a zone cached for the
        // life of the backend, or NULL for a name it does not know.
        let tz = unsafe { pgrx::pg_sys::pg_tzset(c_name.as_ptr()) };
        // Zones that count leap seconds are refused, as `SET TIME ZONE` refuses them.
        // SAFETY: `tz` is a live zone from `pg_tzset` (checked non-null first).
        if tz.is_null() || !unsafe { pgrx::pg_sys::pg_tz_acceptable(tz) } {
            return Err(unknown());
        }
        // SAFETY: as above; the name is a NUL-terminated string inside the cached zone.
        let canonical = unsafe {
            std::ffi::CStr::from_ptr(pgrx::pg_sys::pg_get_timezone_name(tz))
                .to_string_lossy()
                .into_owned()
        };
        if let Some(zone) = ZONES.with(|zones| zones.borrow().get(&canonical).cloned()) {
            return Ok(zone);
        }
        let zone = Zone::from_source(function, &canonical, Box::new(PostgresZone(tz)))?;
        ZONES.with(|zones| zones.borrow_mut().insert(canonical, zone.clone()));
        Ok(zone)
    }
}

#[cfg(test)]
mod unit_tests {
    use super::*;
    use proptest::prelude::*;

    const F: &str = "crm.test";
    const HOUR: i64 = 3_600;

    /// Raw timestamp of a UTC civil time.
    fn ts(year: i64, month: i64, day: i64, hour: i64, minute: i64) -> i64 {
        (days_from_civil(year, month, day) * 86_400 + hour * HOUR + minute * 60) * USECS_PER_SEC
    }

    fn unix(year: i64, month: i64, day: i64, hour: i64) -> i64 {
        ts(year, month, day, hour, 0) / USECS_PER_SEC + UNIX_TO_POSTGRES_SECS
    }

    /// New York's rule since 2007 for the years given: EST −5, EDT −4 from the second Sunday of
    /// March 02:00 EST to the first Sunday of November 02:00 EDT.
    fn new_york(years: std::ops::Range<i64>) -> TransitionList {
        let mut transitions = Vec::new();
        for year in years {
            let march = days_from_civil(year, 3, 1);
            let second_sunday = march + (6 + 7 - weekday(march) as i64) % 7 + 7;
            let november = days_from_civil(year, 11, 1);
            let first_sunday = november + (6 + 7 - weekday(november) as i64) % 7;
            transitions.push((
                (second_sunday * 86_400 + 7 * HOUR) + UNIX_TO_POSTGRES_SECS,
                -4 * 3600,
            ));
            transitions.push((
                (first_sunday * 86_400 + 6 * HOUR) + UNIX_TO_POSTGRES_SECS,
                -5 * 3600,
            ));
        }
        TransitionList {
            initial: -5 * 3600,
            transitions,
        }
    }

    fn zone(list: TransitionList) -> Zone {
        Zone::from_source(F, "Test/Zone", Box::new(list)).unwrap()
    }

    /// Postgres's `DetermineTimeZoneOffset`, written directly over a source (no table).
    fn reference_offset_for_local(source: &dyn OffsetSource, local: i64) -> i32 {
        let previous = local - SECS_PER_DAY;
        let before = source.offset_at(previous).unwrap();
        match source.next_transition(previous) {
            Next::At { at, offset } => {
                let (b, a) = (local - i64::from(before), local - i64::from(offset));
                if b < at && a < at {
                    before
                } else if b >= at && a >= at {
                    offset
                } else if b > a {
                    before
                } else {
                    offset
                }
            }
            _ => before,
        }
    }

    #[test]
    fn civil_dates() {
        assert_eq!(days_from_civil(2000, 1, 1), 0);
        assert_eq!(civil_from_days(0), (2000, 1, 1));
        assert_eq!(weekday(0), 5); // Saturday
        assert_eq!(weekday(days_from_civil(2026, 3, 9)), 0); // Monday
        for day in (-2_000_000..2_000_000).step_by(331) {
            let (y, m, d) = civil_from_days(day);
            assert_eq!(days_from_civil(y, m, d), day);
            assert!((1..=12).contains(&m) && (1..=31).contains(&d));
        }
        assert_eq!(
            civil_from_days(days_from_civil(-4713, 11, 24)),
            (-4713, 11, 24)
        );
    }

    #[test]
    fn new_york_spring_forward_and_fall_back() {
        let z = zone(new_york(2020..2030));
        // 2026-03-08: 02:00 EST → 03:00 EDT at 07:00 UTC.
        let local = |h, m| ts(2026, 3, 8, h, m);
        assert_eq!(
            z.from_local(F, local(1, 59)).unwrap(),
            ts(2026, 3, 8, 6, 59)
        );
        // In the gap: moves forward by the gap (02:30 EST = 03:30 EDT).
        assert_eq!(
            z.from_local(F, local(2, 30)).unwrap(),
            ts(2026, 3, 8, 7, 30)
        );
        assert_eq!(z.from_local(F, local(2, 0)).unwrap(), ts(2026, 3, 8, 7, 0));
        assert_eq!(z.from_local(F, local(3, 0)).unwrap(), ts(2026, 3, 8, 7, 0));
        assert_eq!(
            z.from_local(F, local(3, 30)).unwrap(),
            ts(2026, 3, 8, 7, 30)
        );
        assert_eq!(z.to_local(F, ts(2026, 3, 8, 6, 59)).unwrap(), local(1, 59));
        assert_eq!(z.to_local(F, ts(2026, 3, 8, 7, 0)).unwrap(), local(3, 0));
        // 2026-11-01: 02:00 EDT → 01:00 EST at 06:00 UTC; 01:30 is ambiguous → the later (EST).
        let local = |h, m| ts(2026, 11, 1, h, m);
        assert_eq!(
            z.from_local(F, local(0, 59)).unwrap(),
            ts(2026, 11, 1, 4, 59)
        );
        assert_eq!(z.from_local(F, local(1, 0)).unwrap(), ts(2026, 11, 1, 6, 0));
        assert_eq!(
            z.from_local(F, local(1, 30)).unwrap(),
            ts(2026, 11, 1, 6, 30)
        );
        assert_eq!(z.from_local(F, local(2, 0)).unwrap(), ts(2026, 11, 1, 7, 0));
        assert_eq!(z.to_local(F, ts(2026, 11, 1, 5, 30)).unwrap(), local(1, 30));
        assert_eq!(z.to_local(F, ts(2026, 11, 1, 6, 30)).unwrap(), local(1, 30));
        // Microseconds are kept.
        assert_eq!(
            z.from_local(F, local(12, 0) + 7).unwrap(),
            ts(2026, 11, 1, 17, 0) + 7
        );
        assert_eq!(
            z.to_local(F, ts(2026, 11, 1, 17, 0) - 1).unwrap(),
            local(12, 0) - 1
        );
    }

    #[test]
    fn next_transitions() {
        let z = zone(new_york(2020..2030));
        let spring = (ts(2026, 3, 8, 7, 0), -4 * HOUR * USECS_PER_SEC);
        let fall = (ts(2026, 11, 1, 6, 0), -5 * HOUR * USECS_PER_SEC);
        let year_end = ts(2027, 1, 1, 0, 0);
        let next = |z: &Zone, t, limit| z.next_transition(F, t, limit).unwrap();
        assert_eq!(next(&z, ts(2026, 1, 1, 0, 0), year_end), Some(spring));
        // Strictly after `t`, no later than `limit`.
        assert_eq!(next(&z, spring.0 - 1, spring.0), Some(spring));
        assert_eq!(next(&z, spring.0 - 1, spring.0 - 1), None);
        assert_eq!(next(&z, spring.0, year_end), Some(fall));
        assert_eq!(next(&z, fall.0, year_end), None);
        // Past the last transition of the list: none, however far the search goes.
        assert_eq!(next(&z, ts(2029, 12, 1, 0, 0), END_TIMESTAMP - 1), None);
        // Far ahead: found in steps.
        let far = zone(new_york(2400..2401));
        let found = next(&far, ts(2000, 1, 1, 0, 0), END_TIMESTAMP - 1);
        assert_eq!(found.map(|n| n.1), Some(-4 * HOUR * USECS_PER_SEC));
        assert_eq!(next(&Zone::utc(), 0, END_TIMESTAMP - 1), None);
    }

    #[test]
    fn fixed_zones_and_infinities() {
        let utc = Zone::utc();
        assert!(utc.is_utc());
        assert_eq!(utc.to_local(F, 123).unwrap(), 123);
        assert_eq!(utc.from_local(F, 123).unwrap(), 123);
        let plus_five = zone(TransitionList {
            initial: 5 * 3600,
            transitions: vec![],
        });
        assert_eq!(plus_five.fixed_offset(), Some(18_000));
        assert!(!plus_five.is_utc());
        assert_eq!(plus_five.to_local(F, 0).unwrap(), 5 * HOUR * USECS_PER_SEC);
        assert_eq!(
            plus_five.from_local(F, 0).unwrap(),
            -5 * HOUR * USECS_PER_SEC
        );
        for t in [i64::MIN, i64::MAX] {
            assert!(matches!(
                utc.to_local(F, t),
                Err(MetricError::DatetimeOverflow(_))
            ));
            assert!(matches!(
                plus_five.from_local(F, t),
                Err(MetricError::DatetimeOverflow(_))
            ));
        }
        // Past the valid range.
        assert!(plus_five.to_local(F, END_TIMESTAMP - 1).is_err());
        assert!(plus_five.from_local(F, MIN_TIMESTAMP).is_err());
        assert_eq!(utc.to_local(F, MIN_TIMESTAMP).unwrap(), MIN_TIMESTAMP);
        assert_eq!(Zone::utc(), Zone::fixed("UTC", 0));
        assert_ne!(Zone::utc(), plus_five);
    }

    #[test]
    fn table_grows_lazily_and_rebuilds_far_away() {
        let z = zone(new_york(1900..2300));
        z.to_local(F, ts(2026, 6, 1, 0, 0)).unwrap();
        let len = |z: &Zone| z.data.table.borrow().transitions.len();
        assert!(len(&z) <= 6, "{}", len(&z));
        // Ten years later: the table is extended, not rebuilt.
        z.to_local(F, ts(2036, 6, 1, 0, 0)).unwrap();
        let start = z.data.table.borrow().start;
        assert!(start < unix(2026, 1, 1, 0));
        assert!((20..=26).contains(&len(&z)));
        // Earlier too.
        z.to_local(F, ts(2016, 6, 1, 0, 0)).unwrap();
        assert!((40..=46).contains(&len(&z)));
        // Centuries away: rebuilt around the new instant.
        z.from_local(F, ts(2290, 6, 1, 0, 0)).unwrap();
        assert!(len(&z) <= 6);
        // Clones share the table.
        let copy = z.clone();
        copy.to_local(F, ts(2291, 6, 1, 0, 0)).unwrap();
        assert_eq!(len(&z), len(&copy));
    }

    /// A zone with transitions that change nothing but the DST flag, and with two offset
    /// changes within two days (Postgres looks at the first boundary only).
    fn odd_zone() -> TransitionList {
        let d = |y, m, day, h| unix(y, m, day, h);
        TransitionList {
            initial: 3 * 3600 + 1_234,
            transitions: vec![
                (d(1990, 1, 1, 0), 3 * 3600),
                (d(1990, 5, 1, 0), 3 * 3600),
                (d(1990, 5, 1, 12), 4 * 3600),
                (d(1990, 9, 1, 0), 2 * 3600),
                (d(1990, 9, 2, 0), 5 * 3600),
                (d(1991, 1, 1, 0), -11 * 3600),
                (d(1991, 1, 1, 1), 13 * 3600),
            ],
        }
    }

    proptest! {
        #[test]
        fn cached_conversions_match_the_rules_written_directly(
            local in -3_000_000_000i64..6_000_000_000,
            jumps in prop::collection::vec(-3_000_000_000i64..6_000_000_000, 0..8),
            odd in any::<bool>(),
        ) {
            let list = if odd { odd_zone() } else { new_york(1950..2100) };
            let z = zone(list.clone());
            // Visit other instants first so the table has grown and moved.
            for jump in jumps {
                z.to_local(F, jump * USECS_PER_SEC).unwrap();
            }
            let expected = reference_offset_for_local(&list, local + UNIX_TO_POSTGRES_SECS);
            let micros = local * USECS_PER_SEC + 123_456;
            prop_assert_eq!(
                z.from_local(F, micros).unwrap(),
                micros - i64::from(expected) * USECS_PER_SEC
            );
            let instant = micros;
            let offset = list.offset_at(local + UNIX_TO_POSTGRES_SECS).unwrap();
            prop_assert_eq!(
                z.to_local(F, instant).unwrap(),
                instant + i64::from(offset) * USECS_PER_SEC
            );
        }

        #[test]
        fn from_local_inverts_to_local_outside_overlaps(t in -3_000_000_000i64..6_000_000_000) {
            let z = zone(new_york(1950..2100));
            let instant = t * USECS_PER_SEC;
            let local = z.to_local(F, instant).unwrap();
            let back = z.from_local(F, local).unwrap();
            // Equal, except in a fall-back hour where the earlier reading maps to the later one.
            prop_assert!(back == instant || back == instant + HOUR * USECS_PER_SEC);
        }
    }
}

#[cfg(any(test, feature = "pg_test"))]
#[pgrx::pg_schema]
mod tests {
    use super::Zone;
    use crate::common::pg::OrRaise;
    use pgrx::prelude::*;

    const F: &str = "tests.tz";

    /// `t AT TIME ZONE zone` computed by [`Zone::to_local`].
    #[pg_extern(immutable, parallel_safe)]
    fn tz_to_local(zone: &str, t: TimestampWithTimeZone) -> Timestamp {
        let zone = Zone::parse(F, zone).or_raise();
        let local = zone.to_local(F, t.into()).or_raise();
        Timestamp::try_from(local).unwrap_or_else(|_| panic!("{local} is a valid timestamp"))
    }

    /// `local AT TIME ZONE zone` computed by [`Zone::from_local`].
    #[pg_extern(immutable, parallel_safe)]
    fn tz_from_local(zone: &str, local: Timestamp) -> TimestampWithTimeZone {
        let zone = Zone::parse(F, zone).or_raise();
        let t = zone.from_local(F, local.into()).or_raise();
        TimestampWithTimeZone::try_from(t).unwrap_or_else(|_| panic!("{t} is a valid timestamp"))
    }

    /// The transitions of `zone` in `(from, to]`.
    #[pg_extern(immutable, parallel_safe)]
    fn tz_transitions(
        zone: &str,
        from: TimestampWithTimeZone,
        to: TimestampWithTimeZone,
    ) -> SetOfIterator<'static, TimestampWithTimeZone> {
        let zone = Zone::parse(F, zone).or_raise();
        let (mut t, to) = (from.into(), to.into());
        let mut found = Vec::new();
        while let Some((at, _)) = zone.next_transition(F, t, to).or_raise() {
            found.extend(TimestampWithTimeZone::try_from(at).ok());
            t = at;
        }
        SetOfIterator::new(found)
    }

    /// Zones with every kind of rule: northern and southern DST, 30-minute and 2-hour DST,
    /// negative DST (Dublin), DST by religious calendar (Casablanca, Tehran, Gaza), a skipped
    /// day (Apia), odd offsets (Kathmandu, Chatham), fixed zones and POSIX-style names.
    const ZONES: [&str; 28] = [
        "America/New_York",
        "America/Los_Angeles",
        "America/St_Johns",
        "America/Santiago",
        "America/Sao_Paulo",
        "America/Havana",
        "America/Nuuk",
        "Europe/Berlin",
        "Europe/London",
        "Europe/Dublin",
        "Europe/Lisbon",
        "Europe/Moscow",
        "Africa/Casablanca",
        "Africa/Cairo",
        "Asia/Tehran",
        "Asia/Jerusalem",
        "Asia/Gaza",
        "Asia/Kolkata",
        "Asia/Kathmandu",
        "Australia/Lord_Howe",
        "Australia/Sydney",
        "Pacific/Auckland",
        "Pacific/Chatham",
        "Pacific/Apia",
        "Antarctica/Troll",
        "UTC",
        "Etc/GMT+5",
        "EST5EDT",
    ];

    /// The description a comparison query gives of its mismatches, `None` when it finds none.
    fn mismatches(query: &str) -> Option<String> {
        Spi::get_one::<String>(&format!("SELECT ({query})")).expect("comparison runs")
    }

    #[pg_test]
    fn tz_agrees_with_at_time_zone_1900_to_2300() {
        for zone in ZONES {
            // Instants every 2 days 7 hours (and odd seconds), plus each transition ±1 s and µs.
            let instants = format!(
                "SELECT t FROM generate_series(timestamptz '1900-01-01 00:00:00+00',
                                               timestamptz '2300-12-31 00:00:00+00',
                                               interval '2 days 7 hours 13 minutes 17.123457 seconds') t
                 UNION ALL
                 SELECT at + d FROM tests.tz_transitions('{zone}', '1899-12-01+00', '2301-02-01+00') at,
                   (VALUES (interval '-1 second'), (interval '-1 microsecond'), (interval '0'),
                           (interval '1 microsecond'), (interval '1 second')) v(d)"
            );
            let bad = mismatches(&format!(
                "SELECT count(*) || ' instants, first ' || min(t)
                 FROM ({instants}) s
                 WHERE tests.tz_to_local('{zone}', t) IS DISTINCT FROM (t AT TIME ZONE '{zone}')
                 HAVING count(*) > 0"
            ));
            assert_eq!(bad, None, "{zone}: instant → local");
            // Local times every 2 days 7 hours, plus the two local readings of each transition
            // ±2 hours every 10 minutes and ±1 s and µs: gaps, overlaps and their edges.
            let locals = format!(
                "SELECT l FROM generate_series(timestamp '1900-01-01 00:00:00',
                                               timestamp '2300-12-31 00:00:00',
                                               interval '2 days 7 hours 13 minutes 17.123457 seconds') l
                 UNION ALL
                 SELECT r + d FROM tests.tz_transitions('{zone}', '1899-12-01+00', '2301-02-01+00') at,
                   LATERAL (VALUES ((at - interval '1 microsecond') AT TIME ZONE '{zone}'),
                                   (at AT TIME ZONE '{zone}')) readings(r),
                   LATERAL (SELECT g * interval '10 minutes' FROM generate_series(-12, 12) g
                            UNION ALL VALUES (interval '-1 second'), (interval '-1 microsecond'),
                                             (interval '1 microsecond'), (interval '1 second')) v(d)"
            );
            let bad = mismatches(&format!(
                "SELECT count(*) || ' local times, first ' || min(l)
                 FROM ({locals}) s
                 WHERE tests.tz_from_local('{zone}', l) IS DISTINCT FROM (l AT TIME ZONE '{zone}')
                 HAVING count(*) > 0"
            ));
            assert_eq!(bad, None, "{zone}: local → instant");
        }
    }

    #[pg_test]
    fn tz_agrees_with_at_time_zone_in_far_years() {
        for zone in [
            "America/New_York",
            "Europe/Berlin",
            "Australia/Lord_Howe",
            "Asia/Tehran",
        ] {
            let bad = mismatches(&format!(
                "SELECT count(*) || ' mismatches, first ' || min(t)
                 FROM generate_series(timestamptz '4000-01-01 00:00:00+00 BC',
                                      timestamptz '290000-01-01 00:00:00+00',
                                      interval '3331 days 5 hours 17 minutes') t
                 WHERE tests.tz_to_local('{zone}', t) IS DISTINCT FROM (t AT TIME ZONE '{zone}')
                    OR tests.tz_from_local('{zone}', t::timestamp) IS DISTINCT FROM
                       (t::timestamp AT TIME ZONE '{zone}')
                 HAVING count(*) > 0"
            ));
            assert_eq!(bad, None, "{zone}");
        }
        // DST goes on after 2099 (the defects issue): New York is on EDT in July 2100.
        assert_eq!(
            Spi::get_one::<String>(
                "SELECT tests.tz_to_local('America/New_York', '2100-07-15 04:30+00')::text"
            )
            .unwrap()
            .as_deref(),
            Some("2100-07-15 00:30:00")
        );
    }

    #[pg_test]
    fn tz_names_are_read_as_postgres_reads_them() {
        let canonical = |name: &str| Zone::parse(F, name).map(|zone| zone.name().to_owned());
        assert_eq!(canonical("america/new_york").unwrap(), "America/New_York");
        assert_eq!(canonical("UTC").unwrap(), "UTC");
        assert!(Zone::parse(F, "UTC").unwrap().is_utc());
        assert!(Zone::parse(F, "Etc/GMT").unwrap().is_utc());
        assert!(!Zone::parse(F, "Europe/Paris").unwrap().is_utc());
        assert_eq!(
            Zone::parse(F, "Etc/GMT-3").unwrap().fixed_offset(),
            Some(3 * 3600)
        );
        for bad in ["Mars/Olympus_Mons", "", "nul\0byte", &"x".repeat(300)] {
            let error = Zone::parse(F, bad).unwrap_err();
            assert!(
                matches!(error, crate::common::error::MetricError::InvalidParameter(ref m)
                    if m.starts_with("tests.tz: unknown time zone")),
                "{bad}: {error:?}"
            );
        }
    }
}
