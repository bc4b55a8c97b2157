//! Time zones from Postgres's own zone code and data (`pg_tzset`, `pg_localtime`,
//! `pg_next_dst_boundary`): the zone loader `_PG_init` installs for [`super::tz`], whose tables
//! and conversion rules are plain Rust.
use super::tz::{Next, OffsetSource, Refused, TransitionList};

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
                    // Two transitions at one instant (a POSIX rule whose summer time covers the
                    // whole year, `EST5EDT,0/0,J365/25`, ends and restarts it at the same
                    // second): the boundary reports the first one, `pg_localtime` and so `AT
                    // TIME ZONE` the last, which is the offset from the boundary on.
                    let after = self.offset_at(boundary).map_or(after_offset, i64::from);
                    return match i32::try_from(after) {
                        Ok(offset) if boundary > t => Next::At {
                            at: boundary,
                            offset,
                        },
                        _ => Next::Unknown,
                    };
                }
                _ => return Next::Unknown,
            }
        }
        Next::Never
    }
}

/// The longest zone name `pg_tzset` reads (Postgres's `TZ_STRLEN_MAX`): a longer one is no
/// zone, and is refused before it is copied.
const LONGEST_ZONE_NAME: usize = 255;

/// The zone Postgres's `AT TIME ZONE` reads `name` as: first a fixed-offset abbreviation of
/// the session's `timezone_abbreviations` (`CET` is +01:00 all year there, not the zone file
/// `CET` with its summer time; `PST`, `EDT`), then a full zone name (`pg_tzset`,
/// case-insensitively). Its canonical name and the source of its offsets. Zones that count
/// leap seconds are refused, as `SET TIME ZONE` refuses them, and so are abbreviations whose
/// offset follows a zone's history (`MSK`): name the zone instead.
fn load(name: &str) -> Option<(String, Box<dyn OffsetSource>)> {
    if name.len() > LONGEST_ZONE_NAME {
        return None;
    }
    if let Some(offset) = fixed_abbreviation(name) {
        let source = TransitionList {
            initial: offset,
            transitions: Vec::new(),
        };
        return Some((name.to_ascii_uppercase(), Box::new(source)));
    }
    let c_name = std::ffi::CString::new(name).ok()?;
    // SAFETY: `pg_tzset` reads the NUL-terminated name and returns a zone cached for the
    // life of the backend, or NULL for a name it does not know.
    let tz = unsafe { pgrx::pg_sys::pg_tzset(c_name.as_ptr()) };
    // SAFETY: `tz` is a live zone from `pg_tzset` (checked non-null first).
    if tz.is_null() || !unsafe { pgrx::pg_sys::pg_tz_acceptable(tz) } {
        return None;
    }
    // SAFETY: as above; the name is a NUL-terminated string inside the cached zone.
    let canonical = unsafe {
        std::ffi::CStr::from_ptr(pgrx::pg_sys::pg_get_timezone_name(tz))
            .to_string_lossy()
            .into_owned()
    };
    Some((canonical, Box::new(PostgresZone(tz))))
}

/// The UTC offset (seconds east) of `name` as a fixed-offset time zone abbreviation, the way
/// `AT TIME ZONE` looks it up (`DecodeTimezoneAbbrev` of the lowercased name); `None` for any
/// other name, a dynamic abbreviation included.
pub fn fixed_abbreviation(name: &str) -> Option<i32> {
    match abbreviation(name)? {
        (pgrx::pg_sys::TZ | pgrx::pg_sys::DTZ, offset, _) => Some(offset),
        _ => None,
    }
}

/// Why a name Postgres knows is refused by [`load`]: a dynamic abbreviation of the session's
/// `timezone_abbreviations` (`MSK`: it follows `Europe/Moscow`), or a zone that counts leap
/// seconds (`right/UTC`); `None` for any other name.
fn refused(name: &str) -> Option<Refused> {
    if let Some((kind, _, tz)) = abbreviation(name) {
        if kind != pgrx::pg_sys::DYNTZ || tz.is_null() {
            return None;
        }
        // SAFETY: a zone `DecodeTimezoneAbbrev` loaded, cached for the life of the backend; its
        // name is a NUL-terminated string inside it.
        let zone = unsafe { std::ffi::CStr::from_ptr(pgrx::pg_sys::pg_get_timezone_name(tz)) };
        return Some(Refused::FollowsZone(zone.to_string_lossy().into_owned()));
    }
    counts_leap_seconds(name).then_some(Refused::LeapSeconds)
}

/// Whether `name` is no abbreviation and names a zone that counts leap seconds (`right/UTC`),
/// which `SET TIME ZONE` refuses: Postgres's `AT TIME ZONE` reads an instant in such a zone
/// 27 seconds off (in 2017 and after) but a local time back without them.
pub fn counts_leap_seconds(name: &str) -> bool {
    if abbreviation(name).is_some() || name.len() > LONGEST_ZONE_NAME {
        return false;
    }
    let Ok(c_name) = std::ffi::CString::new(name) else {
        return false;
    };
    // SAFETY: `pg_tzset` reads the NUL-terminated name and returns a zone cached for the life
    // of the backend, or NULL for a name it does not know.
    let tz = unsafe { pgrx::pg_sys::pg_tzset(c_name.as_ptr()) };
    // SAFETY: `tz` is a live zone from `pg_tzset` (checked non-null first).
    !tz.is_null() && !unsafe { pgrx::pg_sys::pg_tz_acceptable(tz) }
}

/// Whether a kind `DecodeTimezoneAbbrev` gives is a time zone abbreviation (fixed or dynamic),
/// not a name the session's table lacks.
fn is_abbreviation(kind: u32) -> bool {
    matches!(
        kind,
        pgrx::pg_sys::TZ | pgrx::pg_sys::DTZ | pgrx::pg_sys::DYNTZ
    )
}

/// `name` as `DecodeTimezoneAbbrev` reads it (lowercased): its kind (`TZ`, `DTZ`, `DYNTZ`),
/// offset and, for a dynamic one, zone; `None` for a name that is no abbreviation.
fn abbreviation(name: &str) -> Option<(u32, i32, *mut pgrx::pg_sys::pg_tz)> {
    // Abbreviations are short ASCII tokens: anything else is no abbreviation.
    if name.is_empty() || name.len() > 63 || !name.bytes().all(|b| b.is_ascii_graphic()) {
        return None;
    }
    let mut lower = [0u8; 64];
    for (to, from) in lower.iter_mut().zip(name.bytes()) {
        *to = from.to_ascii_lowercase();
    }
    let (mut offset, mut tz) = (0, std::ptr::null_mut());
    #[cfg(any(feature = "pg13", feature = "pg14", feature = "pg15"))]
    // SAFETY: a NUL-terminated token the call only reads; the out-pointers are live locals.
    let kind = unsafe {
        pgrx::pg_sys::DecodeTimezoneAbbrev(0, lower.as_mut_ptr().cast(), &mut offset, &mut tz)
    };
    #[cfg(not(any(feature = "pg13", feature = "pg14", feature = "pg15")))]
    let kind = {
        let mut kind = 0;
        // SAFETY: as above; `extra` is plain data the call may fill in.
        let code = unsafe {
            let mut extra: pgrx::pg_sys::DateTimeErrorExtra = std::mem::zeroed();
            pgrx::pg_sys::DecodeTimezoneAbbrev(
                0,
                lower.as_ptr().cast(),
                &mut kind,
                &mut offset,
                &mut tz,
                &mut extra,
            )
        };
        if code != 0 {
            return None;
        }
        kind
    };
    let kind = u32::try_from(kind).ok()?;
    is_abbreviation(kind).then_some((kind, offset, tz))
}

/// Where the session's `timezone_abbreviations` keeps its value, found once per backend; the
/// value last seen there (its address and text), and a number that changes with it.
struct AbbreviationsSetting {
    variable: Option<*mut *mut std::ffi::c_char>,
    seen_at: *const std::ffi::c_char,
    seen: Vec<u8>,
    generation: u64,
}

thread_local! {
    static ABBREVIATIONS: std::cell::RefCell<Option<AbbreviationsSetting>> =
        const { std::cell::RefCell::new(None) };
}

/// The value slot of the setting `timezone_abbreviations` (a static of Postgres's, for the life
/// of the backend), or `None` where this Postgres has no such string setting.
fn abbreviations_variable() -> Option<*mut *mut std::ffi::c_char> {
    use pgrx::pg_sys;
    const NAME: &std::ffi::CStr = c"timezone_abbreviations";
    // SAFETY: the setting records Postgres keeps for the life of the backend; a record's name
    // is a NUL-terminated string, and a record of type PGC_STRING is a `config_string`.
    unsafe {
        #[cfg(any(feature = "pg13", feature = "pg14", feature = "pg15"))]
        let record = {
            let records = pg_sys::get_guc_variables();
            let count = usize::try_from(pg_sys::GetNumConfigOptions()).ok()?;
            if records.is_null() {
                return None;
            }
            (0..count).map(|i| *records.add(i)).find(|&record| {
                !record.is_null()
                    && !(*record).name.is_null()
                    && std::ffi::CStr::from_ptr((*record).name) == NAME
            })?
        };
        #[cfg(not(any(feature = "pg13", feature = "pg14", feature = "pg15")))]
        let record = pg_sys::find_option(NAME.as_ptr(), false, true, pg_sys::PGERROR as i32);
        if record.is_null() || (*record).vartype != pg_sys::config_type::PGC_STRING {
            return None;
        }
        let variable = (*record.cast::<pg_sys::config_string>()).variable;
        (!variable.is_null()).then_some(variable)
    }
}

/// A number that stays the same while the session's `timezone_abbreviations` does and changes
/// when it is set again (to another table, or to the same name: a `SET` reads the table's file
/// anew). A zone name read earlier is read again when it changed: `AT TIME ZONE` reads the
/// setting at every call, and so does everything that keeps a reading (the calendar cache).
/// Costs a load and a comparison of the short setting text.
pub fn abbreviations_generation() -> u64 {
    ABBREVIATIONS.with(|setting| {
        let mut setting = setting.borrow_mut();
        let setting = setting.get_or_insert_with(|| AbbreviationsSetting {
            variable: abbreviations_variable(),
            seen_at: std::ptr::null(),
            seen: Vec::new(),
            generation: 0,
        });
        let Some(variable) = setting.variable else {
            // No setting to watch: every use is a new reading.
            setting.generation += 1;
            return setting.generation;
        };
        // SAFETY: the setting's slot lives for the backend; its value is NULL or a
        // NUL-terminated string that the setting code owns until it is set again.
        let value = unsafe { (*variable).cast_const() };
        let text: &[u8] = if value.is_null() {
            &[]
        } else {
            // SAFETY: as above.
            unsafe { std::ffi::CStr::from_ptr(value) }.to_bytes()
        };
        // The text is compared too: a new value can take the address of a freed one.
        if value != setting.seen_at || text != setting.seen.as_slice() {
            setting.seen_at = value;
            setting.seen.clear();
            setting.seen.extend_from_slice(text);
            setting.generation += 1;
        }
        setting.generation
    })
}

/// Makes [`Zone::parse`](super::tz::Zone::parse) read Postgres's zones (`_PG_init`).
pub fn install() {
    super::tz::install_loader(load, refused);
}

#[cfg(any(test, feature = "pg_test"))]
#[pgrx::pg_schema]
mod tests {
    use crate::common::pg::OrRaise;
    use crate::common::tz::Zone;
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
    const ZONES: [&str; 31] = [
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
        // Names AT TIME ZONE reads as fixed-offset abbreviations first.
        "CET",
        "WET",
        "pst",
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
