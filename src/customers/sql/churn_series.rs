//! `crm.churn_series`: the churn of a customer summary over consecutive periods, with the
//! calendar arithmetic of its steps in a time zone.
use super::{customer_summary, instant, CHURN_SERIES, MAX_SERIES_PERIODS};
use crate::common::civil::{
    civil_from_days, format_timestamp, interval_text, is_valid_timestamp, require_finite_interval,
};
use crate::common::error::{MetricError, MetricResult};
use crate::common::interrupt::Ticker;
use crate::common::limits::{collect_result, reserve_result};
use crate::common::pg::{bigint, raise, OrRaise, TextArg};
use crate::common::postgres_zones::counts_leap_seconds;
use crate::common::summary::SummaryBytes;
use crate::common::tz::{unknown_zone, USECS_PER_DAY};
use crate::customers::state::{require_finite, CustomerSummary, Denominator};
use pgrx::datum::Date;
use pgrx::prelude::*;

/// A Postgres date/time function, called directly.
type DatetimeFunction = unsafe fn(pg_sys::FunctionCallInfo) -> pg_sys::Datum;

/// Calls a Postgres date/time function; the errors it raises on user input (a timestamp out
/// of range, an unknown time zone) become `crm.churn_series:` errors with the contract
/// SQLSTATEs and no backtrace, a timestamp out of range saying what passed the range
/// (`overflow`, called only then). Other errors (query cancel, out of memory) propagate as
/// they are. The functions called hold no resources, so catching their error leaves nothing to
/// clean up.
fn datetime_call(
    function: DatetimeFunction,
    arguments: &[pg_sys::Datum],
    time_zone: &str,
    overflow: &(dyn Fn() -> String + std::panic::RefUnwindSafe),
) -> pg_sys::Datum {
    let out_of_range = || -> ! {
        raise(MetricError::DatetimeOverflow(format!(
            "{CHURN_SERIES}: {}",
            overflow()
        )))
    };
    let arguments: Vec<Option<pg_sys::Datum>> = arguments.iter().copied().map(Some).collect();
    PgTryBuilder::new(|| {
        // SAFETY: `function` is a built-in of non-NULL arguments of the types given by its
        // callers below; pgrx turns a Postgres ERROR inside it into a Rust panic.
        unsafe { pgrx::fcinfo::direct_function_call_as_datum(function, &arguments) }
    })
    .catch_when(PgSqlErrorCode::ERRCODE_DATETIME_FIELD_OVERFLOW, |_| {
        out_of_range()
    })
    .catch_when(PgSqlErrorCode::ERRCODE_INVALID_PARAMETER_VALUE, |_| {
        raise(MetricError::InvalidParameter(format!(
            "{CHURN_SERIES}: unknown time zone '{time_zone}'"
        )))
    })
    .execute()
    .unwrap_or_else(|| out_of_range())
}

/// The time zone of a series, and how its local times are read.
#[derive(Clone, Copy)]
struct SeriesZone<'a> {
    /// The `time_zone` argument, for messages.
    name: &'a str,
    reading: ZoneReading,
}

#[derive(Clone, Copy)]
enum ZoneReading {
    /// The session's own zone, as `timestamptz::timestamp` and `timestamp::timestamptz` read
    /// it: `time_zone` names the zone of the session's `TimeZone` (the default is
    /// `current_setting('TimeZone')`). `AT TIME ZONE` would read some such names otherwise:
    /// `'CET'` as the abbreviation (+01:00 all year) where the session follows the zone file
    /// `CET` with its summer time.
    Session,
    /// Any other name, as `AT TIME ZONE` reads it (this datum, the name as text).
    Named(pg_sys::Datum),
}

/// The name of the session's time zone, as `current_setting('TimeZone')` shows it.
fn session_zone_name() -> Option<String> {
    // SAFETY: Postgres sets `session_timezone` when the backend starts, before any query, to a
    // zone cached for the life of the backend; its name is a NUL-terminated string inside it.
    unsafe {
        let tz = pg_sys::session_timezone;
        if tz.is_null() {
            return None;
        }
        let name = std::ffi::CStr::from_ptr(pg_sys::pg_get_timezone_name(tz));
        Some(name.to_string_lossy().into_owned())
    }
}

impl<'a> SeriesZone<'a> {
    /// The zone `time_zone` names: the session's own when it names the session's zone (zone
    /// names are case-insensitive), else the name as `AT TIME ZONE` reads it. A zone that
    /// counts leap seconds is refused (22023), as `SET TIME ZONE` and `crm.cohort_agg` refuse
    /// it: `AT TIME ZONE` reads instants in it 27 seconds off but local times back without
    /// them, which would move every boundary. An unknown name is reported at its first use.
    fn new(time_zone: &'a str) -> MetricResult<Self> {
        let is_session =
            session_zone_name().is_some_and(|session| session.eq_ignore_ascii_case(time_zone));
        let reading = if is_session {
            ZoneReading::Session
        } else if counts_leap_seconds(time_zone) {
            return Err(unknown_zone(CHURN_SERIES, time_zone));
        } else {
            ZoneReading::Named(datum_of(time_zone))
        };
        Ok(SeriesZone {
            name: time_zone,
            reading,
        })
    }

    /// The local date and time of `instant` (`instant AT TIME ZONE zone`).
    fn local_of(
        &self,
        instant: i64,
        overflow: &(dyn Fn() -> String + std::panic::RefUnwindSafe),
    ) -> i64 {
        self.convert(
            pg_sys::timestamptz_timestamp,
            pg_sys::timestamptz_zone,
            instant,
            overflow,
        )
    }

    /// The instant of the local date and time `local` (`local AT TIME ZONE zone`: a local time
    /// the clocks show twice is the later instant, one in a spring-forward gap moves forward by
    /// the gap).
    fn instant_of(
        &self,
        local: i64,
        overflow: &(dyn Fn() -> String + std::panic::RefUnwindSafe),
    ) -> i64 {
        self.convert(
            pg_sys::timestamp_timestamptz,
            pg_sys::timestamp_zone,
            local,
            overflow,
        )
    }

    /// `value` through `session` (one argument, the session's zone) or `named` (the zone's
    /// name, then the value), as the zone is read.
    fn convert(
        &self,
        session: DatetimeFunction,
        named: DatetimeFunction,
        value: i64,
        overflow: &(dyn Fn() -> String + std::panic::RefUnwindSafe),
    ) -> i64 {
        let value = pg_sys::Datum::from(value);
        let converted = match self.reading {
            ZoneReading::Session => datetime_call(session, &[value], self.name, overflow),
            ZoneReading::Named(zone) => datetime_call(named, &[zone, value], self.name, overflow),
        };
        converted.value() as i64
    }

    /// An expression of the local midnight of `date` (as Postgres prints a date: `YYYY-MM-DD`,
    /// with more digits past 9999 and ` BC` before year 1), for messages.
    fn midnight_literal(&self, date: &str) -> String {
        match self.reading {
            ZoneReading::Session => format!("timestamptz '{date}'"),
            ZoneReading::Named(_) => format!(
                "timestamp '{date}' AT TIME ZONE '{}'",
                self.name.replace('\'', "''")
            ),
        }
    }
}

/// The message of a period whose end passes the timestamp range: the step, its start and zone.
fn period_overflow(start: i64, step: &Interval, time_zone: &str) -> String {
    format!(
        "the period of step '{}' from {} in {time_zone} ends past the range of timestamps",
        interval_text((step.months(), step.days(), step.micros())),
        format_timestamp(start)
    )
}

/// `value` as a datum for a direct call (the types used here never convert to NULL).
fn datum_of(value: impl IntoDatum) -> pg_sys::Datum {
    value.into_datum().unwrap_or_else(|| {
        raise(MetricError::InvalidParameter(format!(
            "{CHURN_SERIES}: NULL argument"
        )))
    })
}

/// Adds `step` to the instant `at` as `timestamptz + interval` does with the session time zone
/// set to the series' zone: the months in local time (the day clamped to the month's last),
/// then the days in local time, each time resolving the local time in the zone with Postgres's
/// own rules and data, then the time part as elapsed microseconds.
fn add_interval_in_zone(start: i64, step: &Interval, zone: SeriesZone) -> i64 {
    let overflow = || period_overflow(start, step, zone.name);
    let mut at = start;
    let local_parts = [
        Interval::new(step.months(), 0, 0),
        Interval::new(0, step.days(), 0),
    ];
    for part in local_parts.into_iter().flatten() {
        if part.months() == 0 && part.days() == 0 {
            continue;
        }
        let local = pg_sys::Datum::from(zone.local_of(at, &overflow));
        let moved = datetime_call(
            pg_sys::timestamp_pl_interval,
            &[local, datum_of(part)],
            zone.name,
            &overflow,
        );
        at = zone.instant_of(moved.value() as i64, &overflow);
    }
    if step.micros() != 0 {
        let time = datum_of(Interval::from_micros(step.micros()));
        at = datetime_call(
            pg_sys::timestamptz_pl_interval,
            &[pg_sys::Datum::from(at), time],
            zone.name,
            &overflow,
        )
        .value() as i64;
    }
    at
}

/// The bounds of a `crm.churn_series` call: instants (`timestamptz`), or local dates read in
/// the series' time zone (`date`).
#[derive(Clone, Copy)]
enum Bounds {
    Instants { from: i64, to: i64 },
    LocalDates { from: i32, to: i32 },
}

/// Whether a step is made of whole days, weeks or months only (no time part).
fn whole_day_step(step: &Interval) -> bool {
    step.micros() == 0 && (step.months() != 0 || step.days() != 0)
}

/// Local midnight of a date (Postgres days since 2000-01-01) in `zone`, as `timestamp AT TIME
/// ZONE zone` reads it (a midnight in a spring-forward gap moves forward by the gap).
fn local_midnight(what: &str, days: i32, zone: SeriesZone) -> MetricResult<i64> {
    if days == i32::MIN || days == i32::MAX {
        return Err(MetricError::DatetimeOverflow(format!(
            "{CHURN_SERIES}: {what} cannot be infinite"
        )));
    }
    let local = i64::from(days)
        .checked_mul(USECS_PER_DAY)
        .filter(|&local| is_valid_timestamp(local))
        .ok_or_else(|| {
            MetricError::DatetimeOverflow(format!(
                "{CHURN_SERIES}: {what} {} is outside the range of timestamps",
                date_text(days)
            ))
        })?;
    Ok(first_instant_of_local(local, zone, &|| {
        format!(
            "{what} {} at midnight in {} is outside the range of timestamps",
            date_text(days),
            zone.name
        )
    }))
}

/// A date (Postgres days since 2000-01-01) as Postgres prints it.
fn date_text(days: i32) -> String {
    let (year, month, day) = civil_from_days(i64::from(days));
    if year > 0 {
        format!("{year:04}-{month:02}-{day:02}")
    } else {
        format!("{:04}-{month:02}-{day:02} BC", 1 - year)
    }
}

/// `from` as the session prints it, and its date in the session's time zone (what the caller
/// most likely meant as a local date).
fn session_reading(from: i64) -> (String, String) {
    // SAFETY: `from` is a finite timestamptz; both built-ins take one by value and cannot fail
    // on a finite one (timestamptz_out returns a palloc'd C string).
    unsafe {
        let text = pgrx::fcinfo::direct_function_call_as_datum(
            pg_sys::timestamptz_out,
            &[Some(pg_sys::Datum::from(from))],
        )
        .map(|datum| {
            std::ffi::CStr::from_ptr(datum.cast_mut_ptr::<std::ffi::c_char>())
                .to_string_lossy()
                .into_owned()
        })
        .unwrap_or_default();
        let date = pgrx::fcinfo::direct_function_call_as_datum(
            pg_sys::timestamptz_date,
            &[Some(pg_sys::Datum::from(from))],
        )
        .map(|datum| date_text(datum.value() as i32))
        .unwrap_or_default();
        (text, date)
    }
}

/// The local date and time of the instant `from` in `zone` (`timestamptz AT TIME ZONE zone`).
fn local_time(from: i64, zone: SeriesZone) -> i64 {
    zone.local_of(from, &|| {
        format!(
            "from {} read in {} is outside the range of timestamps",
            format_timestamp(from),
            zone.name
        )
    })
}

/// Midnight of the date of a local date and time.
fn local_midnight_of(local: i64) -> i64 {
    local.div_euclid(USECS_PER_DAY) * USECS_PER_DAY
}

/// The first instant at which the local clock of `zone` shows `local`, a period boundary.
/// `timestamp AT TIME ZONE` reads a local time the clocks show twice (they went back from 01:00
/// to 00:00, as Cuba's do in November) as the later instant; a boundary there would leave the
/// first hour of the local day in the period before it, where `date_trunc(period, ts AT TIME
/// ZONE zone)` puts it in the new one. So when the instant just before the later reading already
/// shows `local` or after, the boundary is the earlier reading, at the offset of the hour
/// before. A local time in a spring-forward gap stays moved forward by the gap, as `AT TIME
/// ZONE` reads it.
fn first_instant_of_local(
    local: i64,
    zone: SeriesZone,
    overflow: &(dyn Fn() -> String + std::panic::RefUnwindSafe),
) -> i64 {
    let later = zone.instant_of(local, overflow);
    // At the first local day of the timestamp range (4714-11-24 BC) no local time comes before
    // `local`, and the instant before has none in range.
    let before = later - 1;
    if !is_valid_timestamp(before) || !is_valid_timestamp(local - 1) {
        return later;
    }
    let local_before = zone.local_of(before, overflow);
    if local_before < local {
        return later;
    }
    // The offset (local minus UTC) of the instant before, where the earlier reading lies.
    let earlier = local - (local_before - before);
    let shows_local = is_valid_timestamp(earlier) && zone.local_of(earlier, overflow) == local;
    if earlier < later && shows_local {
        earlier
    } else {
        later
    }
}

/// With whole-day steps, `from` must be local midnight in the series' zone: otherwise every
/// row would start at another hour of the local day (and a `from` typed as a date in another
/// zone, such as the session's UTC, is read as that zone's midnight). 22023 naming both readings.
fn require_local_midnight(from: i64, zone: SeriesZone) -> MetricResult<()> {
    let local = local_time(from, zone);
    // A midnight the clocks show twice is local midnight at both instants.
    if local == local_midnight_of(local) {
        return Ok(());
    }
    let midnight = first_instant_of_local(local_midnight_of(local), zone, &|| {
        format!(
            "the local midnight of from {} in {} is outside the range of timestamps",
            format_timestamp(from),
            zone.name
        )
    });
    if from == midnight {
        return Ok(());
    }
    let local_text = format_timestamp(local);
    let local_text = local_text.replacen("+00", "", 1);
    let (instant, date) = session_reading(from);
    let time_zone = zone.name;
    Err(MetricError::InvalidParameter(format!(
        "{CHURN_SERIES}: \"from\" {instant} is {local_text} in {time_zone}, not local midnight, \
         and whole-day steps would start every row at that hour; pass dates, which are read as \
         local dates in {time_zone} (date '{date}'), or a local midnight ({})",
        zone.midnight_literal(&date)
    )))
}

/// Periods [start, start + step) from `from` while start + step <= `to`, stepping like
/// generate_series with calendar steps in `time_zone`: no row covers less than its step, so a
/// `to` off the step grid ends the series at the last whole period before it.
fn series_periods(
    bounds: Bounds,
    step: &Interval,
    time_zone: &str,
) -> MetricResult<Vec<(i64, i64)>> {
    require_finite_interval(
        CHURN_SERIES,
        "step",
        (step.months(), step.days(), step.micros()),
    )?;
    // A step with no positive part never moves forward, even where the series is empty; one
    // with parts of both signs is judged as it is taken.
    if step.months() <= 0 && step.days() <= 0 && step.micros() <= 0 {
        return Err(MetricError::InvalidParameter(format!(
            "{CHURN_SERIES}: step '{}' must be a positive interval",
            interval_text((step.months(), step.days(), step.micros()))
        )));
    }
    let zone = SeriesZone::new(time_zone)?;
    let (from, to) = match bounds {
        Bounds::Instants { from, to } => {
            require_finite(CHURN_SERIES, "from", from)?;
            require_finite(CHURN_SERIES, "to", to)?;
            // An unknown zone is an error even when the series is empty.
            local_time(from, zone);
            if whole_day_step(step) {
                require_local_midnight(from, zone)?;
            }
            (from, to)
        }
        Bounds::LocalDates { from, to } => (
            local_midnight("from", from, zone)?,
            local_midnight("to", to, zone)?,
        ),
    };
    // Whole-day steps go from local midnight to local midnight: the steps are added to the
    // local date and time, each boundary read in the zone, so that a midnight that does not
    // exist (the clocks jump from 00:00 to 01:00) moves only its own boundary to 01:00, as
    // `date_trunc(period, ts AT TIME ZONE zone)` does, not every boundary after it.
    let mut local = whole_day_step(step)
        .then(|| pg_sys::Datum::from(local_midnight_of(local_time(from, zone))));
    let step_datum = datum_of(*step);
    let mut periods = Vec::new();
    let mut start = from;
    let mut ticker = Ticker::new();
    while start < to {
        ticker.tick();
        // Whether the local date moved forward (a whole-day step such as '1 month -31 days'
        // can move it back, or not at all).
        let mut local_forward = false;
        let end = match local.as_mut() {
            Some(local) => {
                let overflow = || period_overflow(start, step, time_zone);
                let next = datetime_call(
                    pg_sys::timestamp_pl_interval,
                    &[*local, step_datum],
                    time_zone,
                    &overflow,
                );
                local_forward = (next.value() as i64) > (local.value() as i64);
                *local = next;
                first_instant_of_local(next.value() as i64, zone, &overflow)
            }
            None => add_interval_in_zone(start, step, zone),
        };
        if end <= start {
            if local_forward {
                // A local day the zone skips (Samoa went from 2011-12-29 to 2011-12-31): no
                // instant belongs to it, so it has no row; the next boundary is later.
                continue;
            }
            return Err(MetricError::InvalidParameter(format!(
                "{CHURN_SERIES}: step '{}' must be a positive interval (from {} it does not \
                 move forward)",
                interval_text((step.months(), step.days(), step.micros())),
                format_timestamp(start)
            )));
        }
        if end > to {
            // A shorter last period would not be comparable with the others.
            break;
        }
        if periods.len() == MAX_SERIES_PERIODS {
            return Err(MetricError::InvalidParameter(format!(
                "{CHURN_SERIES}: more than {MAX_SERIES_PERIODS} periods; use a larger step"
            )));
        }
        reserve_result(&mut periods, 1, CHURN_SERIES, "its periods")?;
        periods.push((start, end));
        start = end;
    }
    Ok(periods)
}

fn timestamp_of(value: i64) -> TimestampWithTimeZone {
    TimestampWithTimeZone::try_from(value)
        .map_err(|_| {
            MetricError::DatetimeOverflow(format!("{CHURN_SERIES}: timestamp out of range"))
        })
        .or_raise()
}

/// One row of `crm.churn_series`.
type ChurnSeriesRow = (
    TimestampWithTimeZone,
    TimestampWithTimeZone,
    i64,
    i64,
    i64,
    i64,
    Option<f64>,
    Option<f64>,
);

/// The rows of `crm.churn_series` for either form of bounds.
fn churn_series_rows(
    summary: SummaryBytes<customer_summary>,
    bounds: Bounds,
    step: Interval,
    denominator: TextArg,
    time_zone: TextArg,
) -> Vec<ChurnSeriesRow> {
    // The summary is read straight from its binary form (no decoded copy of its lifetimes); a
    // malformed one is reported before a bad option, as when it was decoded first (except the
    // errors Postgres raises inside a calendar step, such as an unknown time zone).
    let options = denominator
        .name(CHURN_SERIES, "denominator")
        .and_then(|name| Denominator::parse(CHURN_SERIES, name))
        .and_then(|denominator| Ok((denominator, time_zone.name(CHURN_SERIES, "time zone")?)))
        .and_then(|(denominator, time_zone)| {
            let periods = series_periods(bounds, &step, time_zone)?;
            Ok((denominator, periods))
        });
    let (denominator, periods) = options
        .or_else(|error| {
            CustomerSummary::validate_binary(summary.bytes)?;
            Err(error)
        })
        .or_raise();
    let counts =
        CustomerSummary::periods_of_binary(CHURN_SERIES, summary.bytes, &periods).or_raise();
    let rows = periods.iter().zip(counts).map(|(&(start, end), counts)| {
        (
            timestamp_of(start),
            timestamp_of(end),
            bigint(CHURN_SERIES, counts.customers_at_start),
            bigint(CHURN_SERIES, counts.customers_at_end),
            bigint(CHURN_SERIES, counts.new_customers),
            bigint(CHURN_SERIES, counts.churned_customers),
            counts.retention_rate(),
            counts.churn_rate(denominator),
        )
    });
    collect_result(CHURN_SERIES, "its rows", rows).or_raise()
}

/// Retention and churn for each period [start, start + step) from `from` while start + step
/// <= `to`, calendar steps taken in `time_zone`; each row equals crm.retention_rate and
/// crm.churn_rate(..., denominator) over that period, from one scan. With whole-day steps,
/// `from` must be local midnight in `time_zone` (22023 otherwise). IMMUTABLE: the session time
/// zone only enters through the default of `time_zone`, evaluated by the caller.
#[allow(clippy::type_complexity)] // pgrx reads the column names from this inline tuple
#[pg_extern(immutable, parallel_safe, strict)]
fn churn_series(
    summary: SummaryBytes<customer_summary>,
    from: TimestampWithTimeZone,
    to: TimestampWithTimeZone,
    step: Interval,
    denominator: default!(TextArg, "'start'"),
    time_zone: default!(TextArg, "current_setting('TimeZone')"),
) -> TableIterator<
    'static,
    (
        name!(period_start, TimestampWithTimeZone),
        name!(period_end, TimestampWithTimeZone),
        name!(customers_at_start, i64),
        name!(customers_at_end, i64),
        name!(new_customers, i64),
        name!(churned_customers, i64),
        name!(retention_rate, Option<f64>),
        name!(churn_rate, Option<f64>),
    ),
> {
    let bounds = Bounds::Instants {
        from: instant(from),
        to: instant(to),
    };
    TableIterator::new(churn_series_rows(
        summary,
        bounds,
        step,
        denominator,
        time_zone,
    ))
}

/// `crm.churn_series` with `date` bounds, read as local dates in `time_zone`: the first row
/// starts at local midnight of `from` there, and the series ends at local midnight of `to`.
#[allow(clippy::type_complexity)] // pgrx reads the column names from this inline tuple
#[pg_extern(immutable, parallel_safe, strict, name = "churn_series")]
fn churn_series_dates(
    summary: SummaryBytes<customer_summary>,
    from: Date,
    to: Date,
    step: Interval,
    denominator: default!(TextArg, "'start'"),
    time_zone: default!(TextArg, "current_setting('TimeZone')"),
) -> TableIterator<
    'static,
    (
        name!(period_start, TimestampWithTimeZone),
        name!(period_end, TimestampWithTimeZone),
        name!(customers_at_start, i64),
        name!(customers_at_end, i64),
        name!(new_customers, i64),
        name!(churned_customers, i64),
        name!(retention_rate, Option<f64>),
        name!(churn_rate, Option<f64>),
    ),
> {
    let bounds = Bounds::LocalDates {
        from: from.into_inner(),
        to: to.into_inner(),
    };
    TableIterator::new(churn_series_rows(
        summary,
        bounds,
        step,
        denominator,
        time_zone,
    ))
}
