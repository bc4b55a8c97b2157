//! The `crm.business_calendar` type and its constructor, the per-backend cache of prepared
//! calendars keyed by their bytes, and `crm.business_time`, `crm.business_add`,
//! `crm.is_business_time`.
use super::{
    business_amount, interval_argument, BUSINESS_ADD, BUSINESS_CALENDAR, BUSINESS_TIME,
    IS_BUSINESS_TIME,
};
use crate::common::raw::{raw_return_null, raw_strict_arguments};
use std::cell::RefCell;
use std::rc::Rc;

use crate::common::civil::require_finite_timestamp;
use crate::common::error::{MetricError, MetricResult};
use crate::common::pg::{with_varlena_bytes, OrRaise, TextArg};
use crate::common::postgres_zones::{abbreviations_generation, fixed_abbreviation};
use crate::common::summary::escaped_text;
use crate::common::tz::Zone;
use crate::service::state::calendar::{Calendar, CALENDAR_TYPE};
use crate::service::state::hours::BusinessHours;
use pgrx::datum::Date;
use pgrx::prelude::*;

const CACHED_CALENDARS: usize = 64;

// ---------------------------------------------------------------------------------------------
// The calendar type.
// ---------------------------------------------------------------------------------------------

/// A calendar as the SQL type stores it (its zone resolved by Postgres).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredCalendar(pub Calendar);

impl StoredCalendar {
    pub fn encode(&mut self) -> MetricResult<Vec<u8>> {
        self.0.encode()
    }

    /// The value as stored, its zone by the stored name: the output, send and receive
    /// functions need no reading of the name, so a calendar whose name this session does not
    /// read (an abbreviation of another `timezone_abbreviations` set, `'SAT'` stored under
    /// `Australia`) still prints, copies and dumps. Computing reads the name
    /// ([`StoredCalendar::decode_for_use`]).
    pub fn decode(bytes: &[u8]) -> MetricResult<Self> {
        Calendar::decode(bytes, |name| {
            Ok(Zone::parse(CALENDAR_TYPE, name).unwrap_or_else(|_| Zone::fixed(name, 0)))
        })
        .map(StoredCalendar)
    }

    /// The value with its zone as this session reads the name, or that reading's 22023 naming
    /// `function` and the zone.
    fn decode_for_use(function: &str, bytes: &[u8]) -> MetricResult<Self> {
        Calendar::decode(bytes, |name| Zone::parse(function, name)).map(StoredCalendar)
    }

    pub fn to_text(&mut self) -> MetricResult<String> {
        self.0.to_text()
    }

    /// The JSON text form; a bare hours text (`'Mon-Fri 09:00-17:00'`) is read as a UTC
    /// calendar without holidays, as `crm.business_calendar(hours)` builds it (Postgres reads
    /// that one-argument call as a cast of its literal).
    pub fn from_text(text: &str) -> MetricResult<Self> {
        if text.trim_start().starts_with('{') {
            Calendar::from_text(text, |name| Zone::parse(CALENDAR_TYPE, name)).map(StoredCalendar)
        } else {
            Calendar::new(BUSINESS_CALENDAR, text, Zone::utc(), &[]).map(StoredCalendar)
        }
    }
}

/// Business hours: weekly openings in an IANA time zone, with holidays; text form
/// `{"hours":"Mon-Fri 09:00-17:00","time_zone":"UTC","holidays":[]}`.
#[allow(non_camel_case_types)]
#[derive(PostgresType, Clone, Debug, PartialEq, Eq)]
#[bikeshed_postgres_type_manually_impl_from_into_datum]
#[inoutfuncs]
pub struct business_calendar(pub StoredCalendar);

crate::summary_type!(business_calendar(StoredCalendar));

/// Builds a business calendar.
#[pg_extern(immutable, parallel_safe, name = "business_calendar")]
fn business_calendar_new(
    hours: default!(TextArg, "'Mon-Fri 09:00-17:00'"),
    time_zone: default!(TextArg, "'UTC'"),
    holidays: default!(Vec<Option<Date>>, "'{}'"),
) -> business_calendar {
    // Text that is not UTF-8 (a LATIN1 database) reaches the hours parser escaped, which
    // names the malformed entry as it does in a UTF-8 database.
    let hours = escaped_text(BUSINESS_CALENDAR, hours.0).or_raise();
    let time_zone = time_zone.name(BUSINESS_CALENDAR, "time zone").or_raise();
    let zone = Zone::parse(BUSINESS_CALENDAR, time_zone).or_raise();
    let days = holidays
        .into_iter()
        .map(|day| match day {
            Some(day) => Ok(day.into_inner()),
            None => Err(MetricError::InvalidParameter(format!(
                "{BUSINESS_CALENDAR}: holidays must not contain NULL"
            ))),
        })
        .collect::<MetricResult<Vec<i32>>>()
        .or_raise();
    let calendar = Calendar::new(BUSINESS_CALENDAR, &hours, zone, &days).or_raise();
    business_calendar(StoredCalendar(calendar))
}

/// A prepared calendar and how the session read its zone's name when it was last checked.
struct Prepared {
    bytes: Vec<u8>,
    hours: Rc<BusinessHours>,
    zone_name: String,
    abbreviation: Option<i32>,
    /// The [`abbreviations_generation`] of that check.
    checked_at: u64,
}

thread_local! {
    /// Prepared calendars by binary form, most recently used first.
    static CALENDARS: RefCell<Vec<Prepared>> = const { RefCell::new(Vec::new()) };
}

/// The prepared calendar of a binary form, decoded once per backend. The session's reading of
/// the zone's name is checked again whenever `timezone_abbreviations` was set since the last
/// check: a name can then read differently (`EST` is -05:00 in `Default`, +10:00 in
/// `Australia`), as it does for `AT TIME ZONE`, and the calendar is then decoded again.
fn prepared(function: &str, bytes: &[u8]) -> Rc<BusinessHours> {
    let generation = abbreviations_generation();
    let found = CALENDARS.with(|cache| {
        let mut cache = cache.borrow_mut();
        let index = cache
            .iter()
            .position(|entry| entry.bytes.as_slice() == bytes)?;
        let entry = &mut cache[index];
        if entry.checked_at != generation {
            if fixed_abbreviation(&entry.zone_name) != entry.abbreviation {
                cache.remove(index);
                return None;
            }
            entry.checked_at = generation;
        }
        if index > 0 {
            let entry = cache.remove(index);
            cache.insert(0, entry);
        }
        cache.first().map(|entry| Rc::clone(&entry.hours))
    });
    if let Some(hours) = found {
        return hours;
    }
    let calendar = StoredCalendar::decode_for_use(function, bytes).or_raise();
    let zone_name = calendar.0.zone.name().to_owned();
    let abbreviation = fixed_abbreviation(&zone_name);
    let hours = Rc::new(BusinessHours::new(calendar.0));
    CALENDARS.with(|cache| {
        let mut cache = cache.borrow_mut();
        cache.truncate(CACHED_CALENDARS - 1);
        cache.insert(
            0,
            Prepared {
                bytes: bytes.to_vec(),
                hours: Rc::clone(&hours),
                zone_name,
                abbreviation,
                checked_at: generation,
            },
        );
    });
    hours
}

/// The prepared calendar in a calendar argument of `function`.
///
/// # Safety
/// `datum` must be a non-null `crm.business_calendar` datum.
pub(super) unsafe fn prepared_argument(function: &str, datum: pg_sys::Datum) -> Rc<BusinessHours> {
    // SAFETY: this function's contract: a varlena datum.
    unsafe { with_varlena_bytes(datum, |bytes| prepared(function, bytes)) }
}

/// An `interval` of `micros` microseconds as a datum palloc'd in the current memory context.
fn interval_datum(micros: i64) -> pg_sys::Datum {
    // SAFETY: palloc returns memory for one Interval in the current context (or raises).
    unsafe {
        let pointer =
            pg_sys::palloc(std::mem::size_of::<pg_sys::Interval>()) as *mut pg_sys::Interval;
        pointer.write(pg_sys::Interval {
            time: micros,
            day: 0,
            month: 0,
        });
        pg_sys::Datum::from(pointer)
    }
}

crate::raw_transition! {
    /// `crm.business_time(cal, from, to)`: business time in [from, to) as an interval.
    fn crm_business_time / pg_finfo_crm_business_time (fcinfo)
    sql [
        "crm.business_time(cal crm.business_calendar, \"from\" timestamptz, \"to\" timestamptz) RETURNS interval IMMUTABLE STRICT PARALLEL SAFE",
    ] {
        // SAFETY: sql/service.sql declares it (crm.business_calendar, timestamptz, timestamptz):
        // three arguments.
        let Some([calendar, from, to]) = (unsafe { raw_strict_arguments::<3>(fcinfo) }) else {
            // SAFETY: `fcinfo` is the running call's.
            return unsafe { raw_return_null(fcinfo) };
        };
        // SAFETY: argument 0 is a non-null `crm.business_calendar`.
        unsafe {
            let hours = prepared_argument(BUSINESS_TIME, calendar);
            let (from, to) = (from.value() as i64, to.value() as i64);
            require_finite_timestamp(BUSINESS_TIME, "from", from).or_raise();
            require_finite_timestamp(BUSINESS_TIME, "to", to).or_raise();
            let micros = hours.business_time(BUSINESS_TIME, from, to).or_raise();
            interval_datum(micros)
        }
    }
}

crate::raw_transition! {
    /// `crm.business_add(cal, from, amount)`: the instant by which `amount` of business time
    /// has passed since `from`.
    fn crm_business_add / pg_finfo_crm_business_add (fcinfo)
    sql [
        "crm.business_add(cal crm.business_calendar, \"from\" timestamptz, amount interval) RETURNS timestamptz IMMUTABLE STRICT PARALLEL SAFE",
    ] {
        // SAFETY: sql/service.sql declares it (crm.business_calendar, timestamptz, interval): three
        // arguments.
        let Some([calendar, from, amount]) = (unsafe { raw_strict_arguments::<3>(fcinfo) }) else {
            // SAFETY: `fcinfo` is the running call's.
            return unsafe { raw_return_null(fcinfo) };
        };
        // SAFETY: argument 0 is a non-null `crm.business_calendar`, argument 2 a non-null
        // interval.
        unsafe {
            let hours = prepared_argument(BUSINESS_ADD, calendar);
            let amount =
                business_amount(BUSINESS_ADD, "amount", interval_argument(amount)).or_raise();
            let from = from.value() as i64;
            require_finite_timestamp(BUSINESS_ADD, "from", from).or_raise();
            let due = hours.business_add(BUSINESS_ADD, from, amount).or_raise();
            pg_sys::Datum::from(due)
        }
    }
}

crate::raw_transition! {
    /// `crm.is_business_time(cal, at)`.
    fn crm_is_business_time / pg_finfo_crm_is_business_time (fcinfo)
    sql [
        "crm.is_business_time(cal crm.business_calendar, at timestamptz) RETURNS boolean IMMUTABLE STRICT PARALLEL SAFE",
    ] {
        // SAFETY: sql/service.sql declares it (crm.business_calendar, timestamptz): two arguments.
        let Some([calendar, at]) = (unsafe { raw_strict_arguments::<2>(fcinfo) }) else {
            // SAFETY: `fcinfo` is the running call's.
            return unsafe { raw_return_null(fcinfo) };
        };
        // SAFETY: argument 0 is a non-null `crm.business_calendar`.
        unsafe {
            let hours = prepared_argument(IS_BUSINESS_TIME, calendar);
            let inside = hours
                .is_business_time(IS_BUSINESS_TIME, at.value() as i64)
                .or_raise();
            pg_sys::Datum::from(inside)
        }
    }
}
