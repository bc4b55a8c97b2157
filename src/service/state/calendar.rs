//! The `crm.business_calendar` value: weekly hours, a time zone and holidays, with its hours
//! grammar, its canonical readable text form and its binary form. No Postgres here: the zone is
//! resolved by a function the caller passes (Postgres's zone code in the extension).
//!
//! Hours grammar: `;`-separated entries `<days> <HH:MM>-<HH:MM>[, <HH:MM>-<HH:MM> ...]`, days
//! as `Mon`, `Mon-Fri`, `Sat,Sun` (names of three letters or in full, any case; a range may
//! wrap past Sunday, `Sun-Thu`); `24:00` ends a day; a range whose end is earlier than its start
//! is an overnight shift that belongs to the day it starts.
use serde::{Deserialize, Serialize};

use crate::common::civil::{civil_from_days, days_from_civil};
use crate::common::codec::{from_json_object, json_vec, Reader, Writer};
use crate::common::error::{quoted_text, MetricError, MetricResult};
use crate::common::interrupt::checked;
use crate::common::limits::decoded_vec;
use crate::common::tz::Zone;

/// Version byte of the binary form.
pub const CALENDAR_FORMAT_VERSION: u8 = 1;
/// Names the type in error messages of its text and binary forms.
pub const CALENDAR_TYPE: &str = "crm.business_calendar";

pub const MINUTES_PER_DAY: u16 = 1_440;
const MINUTES_PER_WEEK: u32 = 7 * 1_440;
/// Holidays must lie in years 1 to 9999 (they print as `YYYY-MM-DD`).
const FIRST_HOLIDAY: (i64, i64, i64) = (1, 1, 1);
const LAST_HOLIDAY: (i64, i64, i64) = (9999, 12, 31);

const DAY_NAMES: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
const FULL_DAY_NAMES: [&str; 7] = [
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
    "Sunday",
];

/// One opening of a weekday: `length` minutes from `start` minutes after local midnight
/// (an overnight shift runs past midnight into the next day).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Opening {
    /// 0 = Monday ... 6 = Sunday.
    pub weekday: u8,
    /// Minutes after local midnight, `0..1440`.
    pub start: u16,
    /// Minutes, `1..=1440`.
    pub length: u16,
}

impl Opening {
    /// The opening as it is written: `HH:MM-HH:MM`.
    fn write(&self) -> String {
        let end = self.start + self.length;
        let end = if end > MINUTES_PER_DAY {
            end - MINUTES_PER_DAY
        } else {
            end
        };
        format!("{}-{}", clock(self.start), clock(end))
    }

    /// Minutes of the week `[start, end)` from Monday 00:00 (the end may pass the week's end).
    fn week_minutes(&self) -> (u32, u32) {
        let start = u32::from(self.weekday) * u32::from(MINUTES_PER_DAY) + u32::from(self.start);
        (start, start + u32::from(self.length))
    }
}

fn clock(minutes: u16) -> String {
    format!("{:02}:{:02}", minutes / 60, minutes % 60)
}

/// A business calendar: weekly openings, the zone they are read in, and holidays (local days
/// off, as days since 2000-01-01, sorted and distinct).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Calendar {
    pub openings: Vec<Opening>,
    pub zone: Zone,
    pub holidays: Vec<i32>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct CalendarText {
    hours: String,
    time_zone: String,
    #[serde(deserialize_with = "json_vec")]
    holidays: Vec<String>,
}

impl Calendar {
    /// Builds a calendar from the hours text, a zone and holiday dates (any order, repeats
    /// allowed). Malformed or overlapping hours → 22023 naming the part.
    pub fn new(function: &str, hours: &str, zone: Zone, holidays: &[i32]) -> MetricResult<Self> {
        let openings = parse_hours(function, hours)?;
        // The array may be as large as Postgres allows: copy it fallibly (53200, never an abort).
        let mut copy = Vec::new();
        copy.try_reserve_exact(holidays.len()).map_err(|_| {
            MetricError::OutOfMemory(format!(
                "{function}: out of memory copying {} holidays",
                holidays.len()
            ))
        })?;
        copy.extend_from_slice(holidays);
        let mut holidays = copy;
        let (first, last) = (day_of(FIRST_HOLIDAY) as i32, day_of(LAST_HOLIDAY) as i32);
        if let Some(&bad) = holidays.iter().find(|&&d| d < first || d > last) {
            return Err(MetricError::InvalidParameter(format!(
                "{function}: holiday {} is outside the years 1 to 9999",
                describe_day(bad)
            )));
        }
        holidays.sort_unstable();
        holidays.dedup();
        Ok(Calendar {
            openings,
            zone,
            holidays,
        })
    }

    /// Business minutes in a week (holidays aside).
    pub fn weekly_minutes(&self) -> u32 {
        self.openings.iter().map(|o| u32::from(o.length)).sum()
    }

    /// The hours in canonical form: weekdays with the same openings grouped, Monday first.
    pub fn hours_text(&self) -> String {
        let mut by_day: [Vec<String>; 7] = Default::default();
        for opening in &self.openings {
            if let Some(day) = by_day.get_mut(usize::from(opening.weekday)) {
                day.push(opening.write());
            }
        }
        let mut entries = Vec::new();
        let mut done = [false; 7];
        for day in 0..7 {
            if done[day] || by_day[day].is_empty() {
                continue;
            }
            let same: Vec<usize> = (day..7).filter(|&d| by_day[d] == by_day[day]).collect();
            for &d in &same {
                done[d] = true;
            }
            entries.push(format!("{} {}", day_list(&same), by_day[day].join(", ")));
        }
        entries.join("; ")
    }

    /// The readable text form, e.g.
    /// `{"hours":"Mon-Fri 09:00-17:00","time_zone":"UTC","holidays":["2016-11-24"]}`.
    pub fn to_text(&self) -> MetricResult<String> {
        let text = CalendarText {
            hours: self.hours_text(),
            time_zone: self.zone.name().to_owned(),
            holidays: self.holidays.iter().map(|&d| describe_day(d)).collect(),
        };
        crate::common::codec::json_text(CALENDAR_TYPE, &text)
    }

    /// Parses the text form; `resolve` turns a zone name into a zone.
    pub fn from_text(
        text: &str,
        resolve: impl FnOnce(&str) -> MetricResult<Zone>,
    ) -> MetricResult<Self> {
        let parsed: CalendarText = from_json_object(CALENDAR_TYPE, text)?.map_err(|error| {
            MetricError::InvalidText(format!("{CALENDAR_TYPE}: malformed value: {error}"))
        })?;
        let invalid = |error: MetricError| MetricError::InvalidText(error.to_string());
        let mut holidays = decoded_vec(parsed.holidays.len(), CALENDAR_TYPE)?;
        for text in checked(&parsed.holidays) {
            holidays.push(parse_date(text)?);
        }
        let zone = resolve(&parsed.time_zone).map_err(invalid)?;
        Calendar::new(CALENDAR_TYPE, &parsed.hours, zone, &holidays).map_err(invalid)
    }

    /// The binary form: version, zone name, openings, holidays.
    pub fn encode(&self) -> MetricResult<Vec<u8>> {
        let mut writer = Writer::with_version(CALENDAR_FORMAT_VERSION);
        writer.bytes(self.zone.name().as_bytes());
        writer.u64(self.openings.len() as u64);
        for opening in &self.openings {
            writer
                .u8(opening.weekday)
                .u64(u64::from(opening.start))
                .u64(u64::from(opening.length));
        }
        writer.u64(self.holidays.len() as u64);
        let mut previous = 0i64;
        for &day in checked(&self.holidays) {
            writer.i64(i64::from(day) - previous);
            previous = i64::from(day);
        }
        writer.finish(CALENDAR_TYPE)
    }

    /// Reads the binary form (checked as strictly as the text form); `resolve` turns the zone
    /// name into a zone, and its error is the decoding's.
    pub fn decode(
        bytes: &[u8],
        resolve: impl FnOnce(&str) -> MetricResult<Zone>,
    ) -> MetricResult<Self> {
        let corrupt = |what: &str| {
            MetricError::InvalidBinary(format!("{CALENDAR_TYPE}: corrupt binary value ({what})"))
        };
        let mut reader = Reader::open(bytes, CALENDAR_FORMAT_VERSION, CALENDAR_TYPE)?;
        let name = std::str::from_utf8(reader.bytes()?).map_err(|_| corrupt("zone name"))?;
        let count = reader.u64()?;
        if count > u64::from(MINUTES_PER_WEEK) {
            return Err(corrupt("opening count"));
        }
        let mut openings = Vec::with_capacity(count as usize);
        for _ in 0..count {
            let weekday = reader.u8()?;
            let start = u16::try_from(reader.u64()?).map_err(|_| corrupt("opening"))?;
            let length = u16::try_from(reader.u64()?).map_err(|_| corrupt("opening"))?;
            openings.push(Opening {
                weekday,
                start,
                length,
            });
        }
        let count = reader.u64()?;
        if count > reader.remaining() as u64 {
            return Err(corrupt("holiday count"));
        }
        let mut holidays = reader.vec(count as usize)?;
        let mut day = 0i64;
        for _ in checked(0..count) {
            day = day
                .checked_add(reader.i64()?)
                .ok_or_else(|| corrupt("holiday"))?;
            holidays.push(i32::try_from(day).map_err(|_| corrupt("holiday"))?);
        }
        reader.finish()?;
        let zone = resolve(name)?;
        let calendar = Calendar {
            openings,
            zone,
            holidays,
        };
        calendar
            .check()
            .map_err(|_| corrupt("openings or holidays"))?;
        Ok(calendar)
    }

    /// The invariants `new` establishes: valid, sorted, non-overlapping openings (a whole day
    /// only from midnight: `00:00-24:00` is the one 24-hour range the text form writes);
    /// sorted, distinct holidays in range.
    fn check(&self) -> MetricResult<()> {
        let bad = || MetricError::InvalidBinary(CALENDAR_TYPE.into());
        if self.openings.iter().any(|o| {
            o.weekday > 6
                || o.start >= MINUTES_PER_DAY
                || o.length == 0
                || o.length > MINUTES_PER_DAY
                || (o.length == MINUTES_PER_DAY && o.start != 0)
        }) || !self.openings.windows(2).all(|w| w[0] < w[1])
        {
            return Err(bad());
        }
        check_overlaps("", &self.openings).map_err(|_| bad())?;
        let (first, last) = (day_of(FIRST_HOLIDAY) as i32, day_of(LAST_HOLIDAY) as i32);
        if !self.holidays.windows(2).all(|w| w[0] < w[1])
            || self.holidays.iter().any(|&d| d < first || d > last)
        {
            return Err(bad());
        }
        Ok(())
    }
}

fn day_of((year, month, day): (i64, i64, i64)) -> i64 {
    days_from_civil(year, month, day)
}

/// `YYYY-MM-DD` of a day since 2000-01-01.
pub fn describe_day(day: i32) -> String {
    match day {
        i32::MAX => return "infinity".to_string(),
        i32::MIN => return "-infinity".to_string(),
        _ => {}
    }
    let (year, month, day) = civil_from_days(i64::from(day));
    if year <= 0 {
        // As Postgres prints a date: no year 0, 1 BC before 1 AD.
        return format!("{:04}-{month:02}-{day:02} BC", 1 - year);
    }
    format!("{year:04}-{month:02}-{day:02}")
}

/// Parses `YYYY-MM-DD` (years 1 to 9999, a real date).
fn parse_date(text: &str) -> MetricResult<i32> {
    let malformed = || {
        MetricError::InvalidText(format!(
            "{CALENDAR_TYPE}: malformed holiday {}",
            quoted_text(text)
        ))
    };
    let mut parts = text.splitn(4, '-');
    let (Some(year), Some(month), Some(day), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(malformed());
    };
    let number = |part: &str, width: usize| -> MetricResult<i64> {
        if part.len() != width || !part.bytes().all(|b| b.is_ascii_digit()) {
            return Err(malformed());
        }
        part.parse().map_err(|_| malformed())
    };
    let (year, month, day) = (number(year, 4)?, number(month, 2)?, number(day, 2)?);
    if year < 1 || !(1..=12).contains(&month) || !(1..=31).contains(&day) {
        return Err(malformed());
    }
    let days = days_from_civil(year, month, day);
    if civil_from_days(days) != (year, month, day) {
        return Err(malformed());
    }
    i32::try_from(days).map_err(|_| malformed())
}

/// Weekdays as runs: `Mon-Fri`, `Sat`, `Mon-Wed,Fri`.
fn day_list(days: &[usize]) -> String {
    let mut runs: Vec<(usize, usize)> = Vec::new();
    for &day in days {
        match runs.last_mut() {
            Some((_, end)) if *end + 1 == day => *end = day,
            _ => runs.push((day, day)),
        }
    }
    runs.iter()
        .map(|&(first, last)| match (first, last) {
            (a, b) if a == b => DAY_NAMES[a].to_owned(),
            (a, b) => format!("{}-{}", DAY_NAMES[a], DAY_NAMES[b]),
        })
        .collect::<Vec<_>>()
        .join(",")
}

/// Parses the hours grammar into sorted openings, refusing overlaps.
pub fn parse_hours(function: &str, hours: &str) -> MetricResult<Vec<Opening>> {
    let mut openings = Vec::new();
    if hours.trim_ascii().is_empty() {
        return Ok(openings);
    }
    for entry in hours.split(';') {
        let entry = entry.trim_ascii();
        let malformed = |why: String| {
            MetricError::InvalidParameter(format!(
                "{function}: malformed hours entry {}: {why}",
                quoted_text(entry)
            ))
        };
        let Some(split) = first_time_digit(entry) else {
            return Err(malformed(
                "expected days then HH:MM-HH:MM ranges, e.g. 'Mon-Fri 09:00-17:00'".into(),
            ));
        };
        let (days_text, ranges_text) = entry.split_at(split);
        let days = parse_days(days_text).map_err(&malformed)?;
        for range in ranges_text.split(',') {
            let (start, length) = parse_range(range.trim_ascii()).map_err(&malformed)?;
            for &weekday in &days {
                openings.push(Opening {
                    weekday,
                    start,
                    length,
                });
            }
        }
    }
    openings.sort_unstable();
    check_overlaps(function, &openings)?;
    Ok(openings)
}

/// Where the times of an hours entry start: its first digit, passing over the `\xNN` of a
/// byte that is not UTF-8 (a LATIN1 or SQL_ASCII database's text, as `escaped_text` writes it),
/// which belongs to the days and is named whole when they are refused.
fn first_time_digit(entry: &str) -> Option<usize> {
    let bytes = entry.as_bytes();
    let mut at = 0;
    while let Some(&byte) = bytes.get(at) {
        if byte == b'\\' && bytes.get(at + 1) == Some(&b'x') {
            at += 4;
        } else if byte.is_ascii_digit() {
            return Some(at);
        } else {
            at += 1;
        }
    }
    None
}

fn parse_day(name: &str) -> Result<u8, String> {
    (0u8..7)
        .find(|&d| {
            DAY_NAMES[usize::from(d)].eq_ignore_ascii_case(name)
                || FULL_DAY_NAMES[usize::from(d)].eq_ignore_ascii_case(name)
        })
        .ok_or_else(|| {
            format!(
                "unknown day {} (expected Mon, Tue, Wed, Thu, Fri, Sat or Sun)",
                quoted_text(name)
            )
        })
}

/// `Mon`, `Mon-Fri`, `Sat,Sun`, `Mon-Wed, Fri`: the weekdays named (0 = Monday).
fn parse_days(text: &str) -> Result<Vec<u8>, String> {
    let text = text.trim_ascii();
    if text.is_empty() {
        return Err("no days before the hours".into());
    }
    let mut days = Vec::new();
    for item in text.split(',') {
        let item = item.trim_ascii();
        match item.split_once('-') {
            Some((first, last)) => {
                let (first, last) = (
                    parse_day(first.trim_ascii())?,
                    parse_day(last.trim_ascii())?,
                );
                let mut day = first;
                loop {
                    days.push(day);
                    if day == last {
                        break;
                    }
                    day = (day + 1) % 7;
                }
            }
            None => days.push(parse_day(item)?),
        }
    }
    Ok(days)
}

/// `HH:MM` as minutes after midnight (`24:00` allowed, as an end).
fn parse_clock(text: &str) -> Result<u16, String> {
    let bad = || {
        format!(
            "malformed time {} (expected HH:MM from 00:00 to 24:00)",
            quoted_text(text)
        )
    };
    let (hours, minutes) = text.split_once(':').ok_or_else(bad)?;
    let digits = |s: &str, max_len: usize| {
        !s.is_empty() && s.len() <= max_len && s.bytes().all(|b| b.is_ascii_digit())
    };
    if !digits(hours, 2) || minutes.len() != 2 || !digits(minutes, 2) {
        return Err(bad());
    }
    let (hours, minutes): (u16, u16) = (
        hours.parse().map_err(|_| bad())?,
        minutes.parse().map_err(|_| bad())?,
    );
    if minutes >= 60 || hours > 24 || (hours == 24 && minutes != 0) {
        return Err(bad());
    }
    Ok(hours * 60 + minutes)
}

/// `HH:MM-HH:MM` as (start, length) in minutes; an end before the start runs overnight.
fn parse_range(text: &str) -> Result<(u16, u16), String> {
    let (start, end) = text.split_once('-').ok_or_else(|| {
        format!(
            "malformed range {} (expected HH:MM-HH:MM)",
            quoted_text(text)
        )
    })?;
    let (start, end) = (
        parse_clock(start.trim_ascii())?,
        parse_clock(end.trim_ascii())?,
    );
    if start == MINUTES_PER_DAY {
        return Err(format!("range {} starts at 24:00", quoted_text(text)));
    }
    if start == end {
        return Err(format!(
            "range {} is empty (write 00:00-24:00 for a whole day)",
            quoted_text(text)
        ));
    }
    let length = if end > start {
        end - start
    } else {
        end + MINUTES_PER_DAY - start
    };
    Ok((start, length))
}

/// Refuses openings that overlap anywhere in the week (an overnight shift on Sunday runs into
/// Monday). `openings` must be sorted.
fn check_overlaps(function: &str, openings: &[Opening]) -> MetricResult<()> {
    let overlap = |a: &Opening, b: &Opening| {
        MetricError::InvalidParameter(format!(
            "{function}: hours '{} {}' and '{} {}' overlap",
            DAY_NAMES[usize::from(a.weekday % 7)],
            a.write(),
            DAY_NAMES[usize::from(b.weekday % 7)],
            b.write()
        ))
    };
    for pair in openings.windows(2) {
        if pair[0].week_minutes().1 > pair[1].week_minutes().0 {
            return Err(overlap(&pair[0], &pair[1]));
        }
    }
    if let (Some(first), Some(last)) = (openings.first(), openings.last()) {
        if openings.len() > 1 && last.week_minutes().1 > MINUTES_PER_WEEK + first.week_minutes().0 {
            return Err(overlap(last, first));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const F: &str = "crm.business_calendar";

    fn hours(text: &str) -> MetricResult<Vec<Opening>> {
        parse_hours(F, text)
    }

    fn calendar(text: &str) -> Calendar {
        Calendar::new(F, text, Zone::utc(), &[]).unwrap()
    }

    fn message(error: MetricError) -> String {
        match error {
            MetricError::InvalidParameter(m) => m,
            other => panic!("expected 22023, got {other:?}"),
        }
    }

    #[test]
    fn bytes_written_as_escapes_stay_with_the_days() {
        // A LATIN1 no-break space and a LATIN1 e-acute, as `escaped_text` writes them.
        for (entry, day) in [
            ("Mon\\xa009:00-17:00", "Mon\\xa0"),
            ("Mon\\xe9 09:00-17:00", "Mon\\xe9"),
        ] {
            let refused = message(hours(entry).unwrap_err());
            assert!(refused.contains(&format!("'{day}'")), "{refused}");
        }
    }

    #[test]
    fn parses_the_grammar() {
        let weekdays = hours("Mon-Fri 09:00-17:00").unwrap();
        assert_eq!(weekdays.len(), 5);
        assert_eq!(
            weekdays[0],
            Opening {
                weekday: 0,
                start: 540,
                length: 480
            }
        );
        assert_eq!(
            hours("mon-FRI 9:00-17:00").unwrap(),
            hours("Monday-Friday 09:00 - 17:00").unwrap()
        );
        let split = hours("Mon-Fri 09:00-12:00, 13:00-17:00; Sat,Sun 10:00-14:00").unwrap();
        assert_eq!(split.len(), 12);
        let overnight = hours("Fri 22:00-06:00").unwrap();
        assert_eq!(
            overnight,
            vec![Opening {
                weekday: 4,
                start: 1320,
                length: 480
            }]
        );
        assert_eq!(hours("Mon 00:00-24:00").unwrap()[0].length, 1440);
        assert_eq!(hours("Sun-Tue 08:00-09:00").unwrap().len(), 3);
        assert_eq!(hours("  ").unwrap(), vec![]);
        // Adjacent ranges do not overlap, nor does a Sunday night shift ending at Monday's opening.
        assert!(hours("Mon 09:00-12:00, 12:00-17:00").is_ok());
        assert!(hours("Sun 22:00-09:00; Mon 09:00-17:00").is_ok());
    }

    #[test]
    fn refuses_malformed_and_overlapping_hours() {
        for (text, part) in [
            ("Mon-Fry 09:00-17:00", "unknown day 'Fry'"),
            ("09:00-17:00", "no days before the hours"),
            ("Mon-Fri", "expected days then HH:MM-HH:MM"),
            ("Mon 9-17", "malformed time '9'"),
            ("Mon 09:00-25:00", "malformed time '25:00'"),
            ("Mon 09:60-10:00", "malformed time '09:60'"),
            ("Mon 24:00-10:00", "starts at 24:00"),
            ("Mon 09:00-09:00", "is empty"),
            ("Mon 09:00", "malformed range '09:00'"),
            ("Mon 09:00-17:00;", "expected days then HH:MM-HH:MM"),
            ("Mon 09:00-17:00, ", "malformed range ''"),
        ] {
            let m = message(hours(text).unwrap_err());
            assert!(m.starts_with(F) && m.contains(part), "{text}: {m}");
        }
        for (text, names) in [
            (
                "Mon 09:00-12:00, 11:00-13:00",
                "'Mon 09:00-12:00' and 'Mon 11:00-13:00'",
            ),
            (
                "Mon 22:00-06:00; Tue 05:00-09:00",
                "'Mon 22:00-06:00' and 'Tue 05:00-09:00'",
            ),
            (
                "Sun 22:00-06:00; Mon 05:00-09:00",
                "'Sun 22:00-06:00' and 'Mon 05:00-09:00'",
            ),
            ("Mon,Mon 09:00-10:00", "overlap"),
            ("Mon-Sun 00:00-24:00; Wed 10:00-11:00", "overlap"),
        ] {
            let m = message(hours(text).unwrap_err());
            assert!(m.contains(names) && m.contains("overlap"), "{text}: {m}");
        }
    }

    #[test]
    fn canonical_hours_text() {
        for (input, canonical) in [
            ("Mon-Fri 09:00-17:00", "Mon-Fri 09:00-17:00"),
            ("Fri,Thu,Wed,Tue,Mon 9:00-17:00", "Mon-Fri 09:00-17:00"),
            (
                "Sat 10:00-14:00; Mon-Fri 13:00-17:00, 09:00-12:00",
                "Mon-Fri 09:00-12:00, 13:00-17:00; Sat 10:00-14:00",
            ),
            ("Sun-Tue 22:00-06:00", "Mon-Tue,Sun 22:00-06:00"),
            ("Mon 00:00-24:00", "Mon 00:00-24:00"),
            (
                "Mon,Wed 08:00-09:00; Tue 08:00-10:00",
                "Mon,Wed 08:00-09:00; Tue 08:00-10:00",
            ),
            ("", ""),
        ] {
            let text = calendar(input).hours_text();
            assert_eq!(text, canonical, "{input}");
            assert_eq!(calendar(&text).openings, calendar(input).openings);
        }
        assert_eq!(
            calendar("Mon-Fri 09:00-12:00, 13:00-17:00").weekly_minutes(),
            35 * 60
        );
    }

    #[test]
    fn text_and_binary_forms_round_trip() {
        let holidays = [
            days_from_civil(2016, 11, 24) as i32,
            days_from_civil(2016, 12, 26) as i32,
            days_from_civil(2016, 11, 24) as i32,
        ];
        let value = Calendar::new(
            F,
            "Mon-Fri 09:00-17:00; Sat 22:00-02:00",
            Zone::utc(),
            &holidays,
        )
        .unwrap();
        assert_eq!(value.holidays.len(), 2);
        let text = value.to_text().unwrap();
        assert_eq!(
            text,
            r#"{"hours":"Mon-Fri 09:00-17:00; Sat 22:00-02:00","time_zone":"UTC","holidays":["2016-11-24","2016-12-26"]}"#
        );
        let resolve = |name: &str| {
            assert_eq!(name, "UTC");
            Ok(Zone::utc())
        };
        assert_eq!(Calendar::from_text(&text, resolve).unwrap(), value);
        assert_eq!(
            Calendar::decode(&value.encode().unwrap(), resolve).unwrap(),
            value
        );
        // Golden bytes: version 1, zone "UTC", 6 openings, 2 holidays as deltas.
        let bytes = value.encode().unwrap();
        assert_eq!(&bytes[..5], &[1, 3, b'U', b'T', b'C']);
        assert_eq!(bytes.len(), 5 + 1 + 6 * 5 + 1 + 2 + 1);
    }

    #[test]
    fn malformed_text_and_bytes_are_refused() {
        let resolve = |name: &str| match name {
            "UTC" => Ok(Zone::utc()),
            _ => Err(MetricError::InvalidParameter(format!(
                "unknown time zone '{name}'"
            ))),
        };
        for text in [
            "garbage",
            "{}",
            r#"{"hours":"Mon 09:00-17:00","time_zone":"UTC"}"#,
            r#"{"hours":"Mon 09:00-17:00","time_zone":"UTC","holidays":[],"x":1}"#,
            r#"{"hours":"Mon 09:00-17:00","time_zone":"Mars/Base","holidays":[]}"#,
            r#"{"hours":"Mon 09:00-27:00","time_zone":"UTC","holidays":[]}"#,
            r#"{"hours":"Mon 09:00-17:00","time_zone":"UTC","holidays":["2016-02-30"]}"#,
            r#"{"hours":"Mon 09:00-17:00","time_zone":"UTC","holidays":["16-02-01"]}"#,
            r#"{"hours":"Mon 09:00-17:00","time_zone":"UTC","holidays":["0000-01-01"]}"#,
        ] {
            assert!(
                matches!(
                    Calendar::from_text(text, resolve),
                    Err(MetricError::InvalidText(_))
                ),
                "{text}"
            );
        }
        let good = calendar("Mon-Fri 09:00-17:00").encode().unwrap();
        for cut in 0..good.len() {
            assert!(Calendar::decode(&good[..cut], resolve).is_err());
        }
        let mut extra = good.clone();
        extra.push(0);
        assert!(Calendar::decode(&extra, resolve).is_err());
        // An overlap forged in the bytes: Monday twice.
        let mut forged = good.clone();
        forged[5 + 1 + 5] = 0;
        assert!(matches!(
            Calendar::decode(&forged, resolve),
            Err(MetricError::InvalidBinary(_))
        ));
        assert!(
            Calendar::new(F, "", Zone::utc(), &[days_from_civil(10_000, 1, 1) as i32]).is_err()
        );
    }

    /// Every calendar the binary form accepts has a text form that reads back: a whole day
    /// from midnight does, 24 hours from any other minute has no text (`09:00-09:00` is an
    /// empty range there) and is refused.
    #[test]
    fn a_whole_day_opens_at_midnight() {
        let resolve = |_: &str| Ok(Zone::utc());
        let whole_day = calendar("Wed 00:00-24:00");
        assert_eq!(whole_day.openings[0].length, MINUTES_PER_DAY);
        let bytes = whole_day.encode().unwrap();
        let read = Calendar::decode(&bytes, resolve).unwrap();
        let text = read.to_text().unwrap();
        assert_eq!(Calendar::from_text(&text, resolve).unwrap(), whole_day);
        for start in [1, 540, MINUTES_PER_DAY - 1] {
            let mut forged = whole_day.clone();
            forged.openings[0].start = start;
            assert!(matches!(
                Calendar::decode(&forged.encode().unwrap(), resolve),
                Err(MetricError::InvalidBinary(_))
            ));
        }
    }
}
