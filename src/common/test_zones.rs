//! The zones of the plain-Rust unit tests, which run without Postgres: chrono-tz's copy of the
//! IANA data (up to 2100), read into transition lists that [`super::tz::Zone`] tables like
//! Postgres's zones. `tz::Zone::parse` uses [`load`] in unit tests.
use std::cell::RefCell;
use std::collections::HashMap;
use std::str::FromStr;

use chrono::{DateTime, Offset, TimeZone};
use chrono_tz::Tz;

use super::tz::{OffsetSource, TransitionList};

thread_local! {
    static LISTS: RefCell<HashMap<String, TransitionList>> = RefCell::new(HashMap::new());
}

/// Offset in seconds of `zone` at Unix second `t`.
pub fn offset(zone: Tz, t: i64) -> i32 {
    let utc = DateTime::from_timestamp(t, 0).expect("a test instant in chrono's range");
    zone.offset_from_utc_datetime(&utc.naive_utc())
        .fix()
        .local_minus_utc()
}

/// The transitions of `zone` from 1800 to 2200, found day by day and then to the second.
fn transitions(zone: Tz) -> TransitionList {
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
    TransitionList {
        initial,
        transitions,
    }
}

/// The zone chrono-tz knows under `name` (exactly, or else case-insensitively): its name and
/// its transitions from 1800 to 2200 (computed once per thread).
pub fn load(name: &str) -> Option<(String, Box<dyn OffsetSource>)> {
    let zone = Tz::from_str(name).ok().or_else(|| {
        chrono_tz::TZ_VARIANTS
            .iter()
            .copied()
            .find(|tz| tz.name().eq_ignore_ascii_case(name))
    })?;
    let list = LISTS.with(|lists| {
        lists
            .borrow_mut()
            .entry(zone.name().to_owned())
            .or_insert_with(|| transitions(zone))
            .clone()
    });
    Some((zone.name().to_owned(), Box::new(list)))
}
