//! Time zones in plain Rust, with Postgres's rules, so that every conversion agrees with
//! `AT TIME ZONE` in every year Postgres accepts (its zone rules go on past the end of any
//! table; see the defects issue on DST after 2099).
//!
//! A [`Zone`] asks its [`OffsetSource`] for the instants at which its UTC offset changes and
//! keeps them in a Rust-side table, extended lazily around the instants asked for; lookups are
//! a binary search in that table, so the per-row path asks the source nothing. The conversion
//! rules are plain Rust:
//!
//! - instant → local civil time ([`Zone::to_local`]) adds the offset in force at the instant,
//!   as `timestamptz AT TIME ZONE zone` does;
//! - local civil time → instant ([`Zone::from_local`]) follows `timestamp AT TIME ZONE zone`
//!   (Postgres's `DetermineTimeZoneOffset`): a local time in a spring-forward gap moves forward
//!   by the gap, and an ambiguous one in a fall-back overlap is the later instant.
//!
//! [`Zone::parse`] finds a zone by name through the [`ZoneLoader`] the extension installs when
//! it is loaded (`_PG_init`: Postgres's own zone code and data, `super::postgres_zones`); the
//! unit tests read chrono-tz's copy of the IANA data instead (`super::test_zones`), so this
//! module never calls Postgres.
//!
//! Instants are raw `timestamptz` values and local civil times raw `timestamp` values
//! (microseconds since 2000-01-01 00:00:00); `i64::MIN` / `i64::MAX` are -infinity / infinity
//! and are refused. Offsets are seconds east of UTC. Zone sources speak Unix seconds, as
//! Postgres's `pg_time_t` does.
use std::cell::RefCell;
use std::collections::HashMap;
use std::fmt;
use std::rc::Rc;
use std::sync::OnceLock;

use super::civil::{check_finite, out_of_range, END_TIMESTAMP, MIN_TIMESTAMP, USECS_PER_SEC};
use super::error::{more_bytes, shown_prefix, MetricError, MetricResult};

/// Microseconds per day (defined in `super::civil`), for the callers that convert zone-local
/// days.
pub use super::civil::USECS_PER_DAY;

const SECS_PER_DAY: i64 = 86_400;
/// Seconds from 1970-01-01 (the `pg_time_t` epoch) to 2000-01-01 (the timestamp epoch).
const UNIX_TO_POSTGRES_SECS: i64 = 946_684_800;
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

/// `value` when it is a valid timestamp (Postgres's `IS_VALID_TIMESTAMP`), else 22008.
#[inline]
fn checked_timestamp(function: &str, value: Option<i64>) -> MetricResult<i64> {
    match value {
        Some(t) if (MIN_TIMESTAMP..END_TIMESTAMP).contains(&t) => Ok(t),
        _ => Err(out_of_range(function)),
    }
}

// ---------------------------------------------------------------------------------------------
// Zones by name.
// ---------------------------------------------------------------------------------------------

/// Finds the data of a zone name: its canonical spelling and the source of its offsets, `None`
/// for a name it does not know.
pub type ZoneLoader = fn(&str) -> Option<(String, Box<dyn OffsetSource>)>;

/// Why the loader refuses a name that Postgres itself knows, for the message of a zone name
/// refused; `None` for a name Postgres does not know either.
pub type ZoneRefusal = fn(&str) -> Option<Refused>;

/// A zone name Postgres knows that the extension refuses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refused {
    /// An abbreviation whose offset follows the history of this zone (`MSK`: `Europe/Moscow`).
    FollowsZone(String),
    /// A zone that counts leap seconds (`right/UTC`), which Postgres's timestamps do not.
    LeapSeconds,
}

static LOADER: OnceLock<ZoneLoader> = OnceLock::new();
static ZONE_REFUSAL: OnceLock<ZoneRefusal> = OnceLock::new();

/// Installs the zone loader and its lookup of refused names (once per process, `_PG_init`;
/// later calls are ignored).
pub fn install_loader(loader: ZoneLoader, refusal: ZoneRefusal) {
    let _ = LOADER.set(loader);
    let _ = ZONE_REFUSAL.set(refusal);
}

/// The 22023 of a zone name the loader does not know: an abbreviation whose offset follows a
/// zone's history says which zone to name instead, and a zone that counts leap seconds says
/// so, with the name of the same zone without them.
pub fn unknown_zone(function: &str, name: &str) -> MetricError {
    let (prefix, more) = shown_prefix(name);
    let shown = format!("'{}'{}", prefix.escape_debug(), more_bytes(more));
    match ZONE_REFUSAL.get().and_then(|refusal| refusal(name)) {
        Some(Refused::FollowsZone(zone)) => MetricError::InvalidParameter(format!(
            "{function}: time zone {shown} is an abbreviation whose UTC offset follows the \
             history of {zone}; name that zone ('{zone}')"
        )),
        Some(Refused::LeapSeconds) => {
            let plain = name.get(6..).filter(|_| {
                name.get(..6)
                    .is_some_and(|prefix| prefix.eq_ignore_ascii_case("right/"))
            });
            let instead = match plain {
                Some(plain) => format!("name the zone without them ('{}')", plain.escape_debug()),
                None => "name a zone without them".to_string(),
            };
            MetricError::InvalidParameter(format!(
                "{function}: time zone {shown} counts leap seconds, which Postgres's \
                 timestamps do not (SET TIME ZONE refuses it too); {instead}"
            ))
        }
        None => MetricError::InvalidParameter(format!("{function}: unknown time zone {shown}")),
    }
}

/// The installed loader's data for `name`; every name is unknown when none is installed.
#[cfg(not(test))]
fn load(name: &str) -> Option<(String, Box<dyn OffsetSource>)> {
    LOADER.get().and_then(|loader| loader(name))
}

/// Plain-Rust unit tests run without Postgres: their zones come from chrono-tz's copy of the
/// IANA data (up to 2100), through the same tables as Postgres's zones.
#[cfg(test)]
fn load(name: &str) -> Option<(String, Box<dyn OffsetSource>)> {
    super::test_zones::load(name)
}

thread_local! {
    /// Zones with transitions loaded by this backend, by canonical name: their tables are
    /// shared by every function and aggregate that uses the zone.
    static ZONES: RefCell<HashMap<String, Zone>> = RefCell::new(HashMap::new());
}

impl Zone {
    /// The zone the loader knows under `name` (in the extension, spelled as `SET TIME ZONE`
    /// and `AT TIME ZONE` take full zone names, case-insensitively), or 22023 naming it. A
    /// backend builds each zone once and shares it.
    pub fn parse(function: &str, name: &str) -> MetricResult<Self> {
        let (canonical, source) = load(name).ok_or_else(|| unknown_zone(function, name))?;
        let zone = Zone::from_source(function, &canonical, source)?;
        // Fixed offsets are not cached: an abbreviation's offset follows the session's
        // `timezone_abbreviations` (`EST` is -05:00 in `Default`, +10:00 in `Australia`; `CET`
        // is the zone file with summer time when the table has no `CET`), and a fixed zone has
        // no table worth sharing.
        if zone.fixed_offset().is_some() {
            return Ok(zone);
        }
        if let Some(cached) = ZONES.with(|zones| zones.borrow().get(&canonical).cloned()) {
            return Ok(cached);
        }
        ZONES.with(|zones| zones.borrow_mut().insert(canonical, zone.clone()));
        Ok(zone)
    }

    /// This zone, or [`Zone::utc`] when it is UTC at every instant (`Etc/UTC`, `GMT`, `Zulu`,
    /// ...): what period summaries keep, so that every alias of UTC has one name, `UTC`.
    pub fn fold_utc(self) -> Self {
        if self.is_utc() {
            Zone::utc()
        } else {
            self
        }
    }
}

#[cfg(test)]
#[path = "tz_tests.rs"]
mod tests;
