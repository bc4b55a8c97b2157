//! The binary and text forms of a survival summary (`crm.survival_summary`).
use std::fmt::Write as _;

use serde::Deserialize;

use super::*;
use crate::common::codec::{from_json_object, JsonVec, Reader, TextWriter, Writer};

/// Fewest bytes one entry takes in the binary form (three one-byte varints).
const MIN_ENTRY_BYTES: usize = 3;

impl SurvivalSummary {
    /// Binary form (settles first): version, the number of entries, then per entry the
    /// duration's increase over the previous one (from 0), the events and the censorings.
    pub fn encode(&mut self) -> MetricResult<Vec<u8>> {
        let entries = self.settled_entries();
        let mut writer = Writer::with_version(FORMAT_VERSION);
        writer.reserve(1 + entries.len() * 4);
        writer.u64(entries.len() as u64);
        let mut previous = 0i64;
        for entry in checked(entries) {
            // Durations increase from a positive first one: the step is positive.
            writer
                .u64(entry.duration.wrapping_sub(previous) as u64)
                .u64(entry.events)
                .u64(entry.censored);
            previous = entry.duration;
        }
        writer.finish(TYPE_NAME)
    }

    pub fn decode(bytes: &[u8]) -> MetricResult<Self> {
        let invalid = |message: &str| MetricError::InvalidBinary(format!("{TYPE_NAME}: {message}"));
        let mut reader = Reader::open(bytes, FORMAT_VERSION, TYPE_NAME)?;
        let count = usize::try_from(reader.u64()?).map_err(|_| invalid("too many entries"))?;
        if count > reader.remaining() / MIN_ENTRY_BYTES {
            return Err(invalid("entry count exceeds the value"));
        }
        let mut entries = reader.vec(count)?;
        let mut previous = 0i64;
        let mut rows = 0u64;
        for _ in checked(0..count) {
            let step = reader.u64()?;
            let duration = i64::try_from(step)
                .ok()
                .filter(|step| *step > 0)
                .and_then(|step| previous.checked_add(step))
                .ok_or_else(|| invalid("durations out of order or out of range"))?;
            let (events, censored) = (reader.u64()?, reader.u64()?);
            rows = count_rows(rows, events, censored).map_err(|m| invalid(&m))?;
            entries.push(Entry {
                duration,
                events,
                censored,
            });
            previous = duration;
        }
        reader.finish()?;
        Ok(Self::from_settled(entries, rows))
    }

    /// Readable JSON form (settles first): the entries in duration order as
    /// `[microseconds, events, censored]`, e.g.
    /// `{"version":1,"durations":[[86400000000,2,0],[172800000000,0,1]]}`.
    pub fn to_text(&mut self) -> MetricResult<String> {
        let entries = self.settled_entries();
        let mut text = TextWriter::with_capacity(32 + 24 * entries.len());
        // Writing to a TextWriter does not fail: `finish` reports a refused growth.
        let _ = write!(text, r#"{{"version":{FORMAT_VERSION},"durations":["#);
        for (n, entry) in checked(entries).enumerate() {
            if n > 0 {
                text.push(',');
            }
            let _ = write!(
                text,
                "[{},{},{}]",
                entry.duration, entry.events, entry.censored
            );
        }
        text.push_str("]}");
        text.finish(TYPE_NAME)
    }

    /// Reads [`SurvivalSummary::to_text`]'s form; durations may come in any order and repeat
    /// (their counts add up).
    pub fn from_text(text: &str) -> MetricResult<Self> {
        let invalid = |message: String| MetricError::InvalidText(format!("{TYPE_NAME}: {message}"));
        let form: TextForm =
            from_json_object(TYPE_NAME, text)?.map_err(|e| invalid(e.to_string()))?;
        if form.version != FORMAT_VERSION {
            return Err(invalid(format!(
                "unsupported version {} (expected {FORMAT_VERSION})",
                form.version
            )));
        }
        let mut rows = 0u64;
        let mut entries = Vec::new();
        entries
            .try_reserve_exact(form.durations.len())
            .map_err(|_| invalid("too many durations".to_owned()))?;
        for &(duration, events, censored) in checked(&form.durations) {
            if duration <= 0 {
                return Err(invalid(format!(
                    "duration {duration} microseconds is not positive"
                )));
            }
            rows = count_rows(rows, events, censored).map_err(invalid)?;
            entries.push(Entry {
                duration,
                events,
                censored,
            });
        }
        let mut summary = SurvivalSummary {
            entries,
            settled: 0,
            rows,
        };
        summary.settle();
        Ok(summary)
    }
}

/// `rows` plus an entry's counts, within [`MAX_ROWS`]; an entry counts at least one row.
fn count_rows(rows: u64, events: u64, censored: u64) -> Result<u64, String> {
    if events == 0 && censored == 0 {
        return Err("an entry without rows".to_owned());
    }
    events
        .checked_add(censored)
        .and_then(|counted| rows.checked_add(counted))
        .filter(|total| *total <= MAX_ROWS)
        .ok_or_else(|| format!("more than {MAX_ROWS} rows"))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TextForm {
    version: u8,
    durations: JsonVec<(i64, u64, u64)>,
}
