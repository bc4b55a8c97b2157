//! The binary and text forms of a support-ticket summary (`crm.service_summary`), versions 1
//! and 2, and the checks every decoded or parsed summary passes.
use std::borrow::Cow;

use serde::{Deserialize, Serialize};

use super::*;
use crate::common::codec::{json_optional_vec, json_vec};
use crate::common::limits::reserve_decoded;

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
/// The durations are borrowed when writing (a text form copies no state-sized vector) and
/// owned when reading.
struct SummaryText<'a> {
    version: u8,
    time: String,
    tickets: u64,
    reopened: u64,
    first_contact_resolved: u64,
    #[serde(default, skip_serializing_if = "is_zero")]
    unknown_replies: u64,
    #[serde(deserialize_with = "owned")]
    first_response_us: Cow<'a, [i64]>,
    #[serde(deserialize_with = "owned")]
    resolution_us: Cow<'a, [i64]>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "owned_optional"
    )]
    waiting_first_response_us: Option<Cow<'a, [i64]>>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "owned_optional"
    )]
    waiting_resolution_us: Option<Cow<'a, [i64]>>,
}

/// Durations read fallibly ([`json_vec`]: a refusal is 53200, not an abort).
fn owned<'de, 'a, D: serde::Deserializer<'de>>(
    deserializer: D,
) -> Result<Cow<'a, [i64]>, D::Error> {
    json_vec(deserializer).map(Cow::Owned)
}

/// Optional durations read fallibly ([`json_optional_vec`]).
fn owned_optional<'de, 'a, D: serde::Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<Cow<'a, [i64]>>, D::Error> {
    json_optional_vec(deserializer).map(|durations| durations.map(Cow::Owned))
}

fn is_zero(value: &u64) -> bool {
    *value == 0
}

impl ServiceSummary {
    /// Checks the invariants of a decoded or parsed summary.
    fn validate(self, error: impl Fn(&str) -> MetricError) -> MetricResult<Self> {
        // What `crm.tickets` returns, and what adding and merging never pass.
        if self.tickets > i64::MAX as u64 {
            return Err(error("more tickets than a bigint holds"));
        }
        if self.tickets < self.responded() || self.tickets < self.resolved() {
            return Err(error("more answered or resolved tickets than tickets"));
        }
        if self
            .reopened
            .checked_add(self.first_contact_resolved)
            .is_none_or(|n| n > self.resolved())
        {
            return Err(error(
                "more reopened and first-contact tickets than resolved",
            ));
        }
        if self
            .unknown_replies
            .checked_add(self.first_contact_resolved)
            .is_none_or(|n| n > self.resolved())
        {
            return Err(error(
                "more first-contact tickets and tickets of unknown replies than resolved",
            ));
        }
        if self
            .first_responses
            .iter()
            .chain(&self.resolutions)
            .chain(&self.waiting_responses)
            .chain(&self.waiting_resolutions)
            .any(|&d| d < 0)
        {
            return Err(error("negative duration"));
        }
        if self.durations_held() > MAX_DURATIONS {
            return Err(error("too many durations"));
        }
        if self.as_of {
            // `crm.service_agg` takes `as_of` only with a calendar.
            if self.kind == TimeKind::Elapsed {
                return Err(error("as_of in elapsed time"));
            }
            // Every ticket is answered or waiting at as_of, and resolved or waiting.
            if self.responded() + self.waiting_responses.len() as u64 != self.tickets
                || self.resolved() + self.waiting_resolutions.len() as u64 != self.tickets
            {
                return Err(error("waiting tickets do not add up to the tickets"));
            }
        } else if !(self.waiting_responses.is_empty() && self.waiting_resolutions.is_empty()) {
            return Err(error("waiting tickets without as_of"));
        }
        Ok(self)
    }

    pub fn encode(&mut self) -> MetricResult<Vec<u8>> {
        self.sort();
        let version = self.format_version();
        let mut writer = Writer::with_version(version);
        writer
            .u8(match self.kind {
                TimeKind::Elapsed => 0,
                TimeKind::Business => 1,
            })
            .u64(self.tickets)
            .u64(self.reopened)
            .u64(self.first_contact_resolved);
        write_sorted(&mut writer, &[&self.first_responses, &self.resolutions]);
        if version >= 2 {
            writer.u64(self.unknown_replies).u8(u8::from(self.as_of));
            if self.as_of {
                write_sorted(
                    &mut writer,
                    &[&self.waiting_responses, &self.waiting_resolutions],
                );
            }
        }
        writer.finish(SUMMARY_TYPE)
    }

    pub fn decode(bytes: &[u8]) -> MetricResult<Self> {
        let corrupt = |what: &str| {
            MetricError::InvalidBinary(format!("{SUMMARY_TYPE}: corrupt value ({what})"))
        };
        let (mut reader, version) = Reader::open_versions(
            bytes,
            FORMAT_VERSION_1..=SUMMARY_FORMAT_VERSION,
            SUMMARY_TYPE,
        )?;
        let kind = match reader.u8()? {
            0 => TimeKind::Elapsed,
            1 => TimeKind::Business,
            _ => return Err(corrupt("time kind")),
        };
        let mut summary = ServiceSummary::new(kind);
        summary.tickets = reader.u64()?;
        summary.reopened = reader.u64()?;
        summary.first_contact_resolved = reader.u64()?;
        read_sorted(&mut reader, &mut summary.first_responses, corrupt)?;
        read_sorted(&mut reader, &mut summary.resolutions, corrupt)?;
        if version >= 2 {
            summary.unknown_replies = reader.u64()?;
            summary.as_of = match reader.u8()? {
                0 => false,
                1 => true,
                _ => return Err(corrupt("as_of flag")),
            };
            if summary.as_of {
                read_sorted(&mut reader, &mut summary.waiting_responses, corrupt)?;
                read_sorted(&mut reader, &mut summary.waiting_resolutions, corrupt)?;
            }
        }
        reader.finish()?;
        summary.validate(corrupt)
    }

    pub fn to_text(&mut self) -> MetricResult<String> {
        self.sort();
        let text = SummaryText {
            version: self.format_version(),
            time: self.kind.name().to_owned(),
            tickets: self.tickets,
            reopened: self.reopened,
            first_contact_resolved: self.first_contact_resolved,
            unknown_replies: self.unknown_replies,
            first_response_us: Cow::Borrowed(&self.first_responses),
            resolution_us: Cow::Borrowed(&self.resolutions),
            waiting_first_response_us: self.as_of.then_some(Cow::Borrowed(&self.waiting_responses)),
            waiting_resolution_us: self
                .as_of
                .then_some(Cow::Borrowed(&self.waiting_resolutions)),
        };
        crate::common::codec::json_text(SUMMARY_TYPE, &text)
    }

    pub fn from_text(text: &str) -> MetricResult<Self> {
        let malformed =
            |why: &str| MetricError::InvalidText(format!("{SUMMARY_TYPE}: malformed value: {why}"));
        let parsed: SummaryText =
            from_json_object(SUMMARY_TYPE, text)?.map_err(|error| malformed(&error.to_string()))?;
        if !(FORMAT_VERSION_1..=SUMMARY_FORMAT_VERSION).contains(&parsed.version) {
            return Err(malformed("unsupported version"));
        }
        let later_fields = parsed.unknown_replies > 0
            || parsed.waiting_first_response_us.is_some()
            || parsed.waiting_resolution_us.is_some();
        if parsed.version == FORMAT_VERSION_1 && later_fields {
            return Err(malformed(
                "unknown_replies and waiting times need version 2",
            ));
        }
        let kind = match parsed.time.as_str() {
            "elapsed" => TimeKind::Elapsed,
            "business" => TimeKind::Business,
            _ => return Err(malformed("time must be \"elapsed\" or \"business\"")),
        };
        let (as_of, waiting_responses, waiting_resolutions) = match (
            parsed.waiting_first_response_us,
            parsed.waiting_resolution_us,
        ) {
            (None, None) => (false, Vec::new(), Vec::new()),
            (Some(responses), Some(resolutions)) => {
                (true, responses.into_owned(), resolutions.into_owned())
            }
            _ => {
                return Err(malformed(
                    "waiting_first_response_us and waiting_resolution_us go together",
                ))
            }
        };
        let summary = ServiceSummary {
            kind,
            tickets: parsed.tickets,
            reopened: parsed.reopened,
            first_contact_resolved: parsed.first_contact_resolved,
            unknown_replies: parsed.unknown_replies,
            as_of,
            first_responses: parsed.first_response_us.into_owned(),
            resolutions: parsed.resolution_us.into_owned(),
            waiting_responses,
            waiting_resolutions,
            sorted: false,
        };
        let mut summary = summary.validate(malformed)?;
        summary.sort();
        Ok(summary)
    }
}

/// Writes sorted, non-negative lists as a count and varint deltas each.
fn write_sorted(writer: &mut Writer, lists: &[&Vec<i64>]) {
    for list in lists {
        writer.u64(list.len() as u64);
        let mut previous = 0;
        for &duration in interrupt::checked(list.iter()) {
            // Sorted and non-negative: the deltas are non-negative.
            writer.u64((duration - previous) as u64);
            previous = duration;
        }
    }
}

/// Reads one list written by [`write_sorted`].
fn read_sorted(
    reader: &mut Reader,
    list: &mut Vec<i64>,
    corrupt: impl Fn(&str) -> MetricError,
) -> MetricResult<()> {
    let count = reader.u64()?;
    if count > reader.remaining() as u64 {
        return Err(corrupt("duration count"));
    }
    reserve_decoded(list, count as usize, reader.what())?;
    let mut value = 0i64;
    for _ in interrupt::checked(0..count) {
        let delta = i64::try_from(reader.u64()?).map_err(|_| corrupt("duration"))?;
        value = value
            .checked_add(delta)
            .ok_or_else(|| corrupt("duration"))?;
        list.push(value);
    }
    Ok(())
}
