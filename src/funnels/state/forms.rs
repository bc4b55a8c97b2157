//! Binary and text forms of `crm.funnel_state` and `crm.funnel_summary`. Both write their
//! events (and results) sorted, so equal values have equal bytes; the binary form must be in
//! that order, the text form may list events in any order.
use serde::Deserialize;
use std::fmt::Write as _;

use super::entities::EntityEvents;
use super::summary::{step_rows_of_times, KeyedEvent, Reached, TYPE_NAME as SUMMARY_TYPE};
use super::StepRow;
use super::*;
use crate::common::civil::{format_timestamp, is_valid_timestamp, parse_timestamp};
use crate::common::codec::{
    from_json_object, pack_varint_groups, varint_len, JsonVec, Reader, TextWriter, Writer,
};
use crate::common::interrupt::checked;
use crate::common::keys::{parse_key, write_key, KeyKind};
use crate::common::limits::{decoded_vec, reserve_result};
use crate::common::sort::sort_spread;

const STATE_TYPE: &str = "crm.funnel_state";
/// Fewest bytes an encoded event or result takes (a varint each for time or key and step).
const MIN_ITEM_BYTES: usize = 2;

fn write_setting(writer: &mut Writer, setting: Option<Setting>) {
    match setting {
        None => writer.u8(0),
        Some(setting) => writer.u8(1).i64(setting.window).u8(setting.mode.code()),
    };
}

fn read_setting(reader: &mut Reader, what: &str) -> MetricResult<Option<Setting>> {
    let invalid = |message: &str| MetricError::InvalidBinary(format!("{what}: {message}"));
    match reader.u8()? {
        0 => Ok(None),
        1 => {
            let window = reader.i64()?;
            let mode = Mode::from_code(reader.u8()?).ok_or_else(|| invalid("unknown mode"))?;
            Ok(Some(Setting { window, mode }))
        }
        _ => Err(invalid("malformed setting")),
    }
}

fn read_count(reader: &mut Reader, what: &str) -> MetricResult<usize> {
    let count = usize::try_from(reader.u64()?).unwrap_or(usize::MAX);
    if count > reader.remaining() / MIN_ITEM_BYTES || count > MAX_ITEMS {
        return Err(MetricError::InvalidBinary(format!(
            "{what}: item count exceeds the value"
        )));
    }
    Ok(count)
}

/// Checks what both types require of a setting and of an event.
fn check_setting(setting: Option<Setting>) -> Result<(), &'static str> {
    match setting {
        Some(setting) if setting.window <= 0 => Err("conversion window must be positive"),
        _ => Ok(()),
    }
}

fn check_event(setting: Option<Setting>, time: i64, step: u8) -> Result<(), &'static str> {
    let Some(setting) = setting else {
        return Err("events without a window and mode");
    };
    if !is_valid_timestamp(time) {
        return Err("event time out of range");
    }
    if step > MAX_STEP {
        return Err("step outside 0..32");
    }
    if step == 0 && !setting.mode.keeps_other_events() {
        return Err("step-0 events are kept only under strict_order");
    }
    Ok(())
}

fn mode_of_text(name: Option<&str>, window: Option<i64>) -> Result<Option<Setting>, String> {
    match (window, name) {
        (None, None) => Ok(None),
        (Some(window), Some(name)) => Ok(Some(Setting {
            window,
            mode: Mode::named(name)?,
        })),
        _ => Err("window_us and mode go together".to_owned()),
    }
}

fn write_setting_text(text: &mut impl std::fmt::Write, setting: Option<Setting>) {
    let _ = match setting {
        None => write!(text, r#""window_us":null,"mode":null"#),
        Some(setting) => write!(
            text,
            r#""window_us":{},"mode":"{}""#,
            setting.window,
            setting.mode.name()
        ),
    };
}

fn time_of_text(text: &str) -> Result<i64, String> {
    parse_timestamp(text).ok_or_else(|| format!("malformed timestamp '{text}'"))
}

impl FunnelState {
    /// Binary form: version, setting, then the sorted events (times delta-coded).
    pub fn encode(&mut self) -> MetricResult<Vec<u8>> {
        self.sort();
        let mut writer = Writer::with_version(FORMAT_VERSION);
        write_setting(&mut writer, self.setting);
        writer.u64(self.events.len() as u64);
        let mut previous = 0i64;
        for event in checked(&self.events) {
            writer
                .u64(event.time.wrapping_sub(previous) as u64)
                .u8(event.step);
            previous = event.time;
        }
        writer.finish(STATE_TYPE)
    }

    pub fn decode(bytes: &[u8]) -> MetricResult<Self> {
        let invalid =
            |message: &str| MetricError::InvalidBinary(format!("{STATE_TYPE}: {message}"));
        let mut reader = Reader::open(bytes, FORMAT_VERSION, STATE_TYPE)?;
        let setting = read_setting(&mut reader, STATE_TYPE)?;
        check_setting(setting).map_err(invalid)?;
        let count = read_count(&mut reader, STATE_TYPE)?;
        let mut events = reader.vec(count)?;
        let mut previous = 0i64;
        for index in checked(0..count) {
            let delta = reader.u64()?;
            // The first time is written as is; each later one as its (unsigned) gap from the
            // one before, which for times at the two ends of the timestamp range passes
            // `i64::MAX`.
            let time = if index == 0 {
                delta as i64
            } else {
                previous
                    .checked_add_unsigned(delta)
                    .ok_or_else(|| invalid("events out of order"))?
            };
            let step = reader.u8()?;
            check_event(setting, time, step).map_err(invalid)?;
            let event = Event { time, step };
            if events.last().is_some_and(|last: &Event| *last > event) {
                return Err(invalid("events out of order"));
            }
            events.push(event);
            previous = time;
        }
        reader.finish()?;
        Ok(FunnelState {
            setting,
            events,
            sorted: true,
        })
    }

    /// Readable form, e.g. `{"version":1,"window_us":86400000000,"mode":"ordered",
    /// "events":[["2025-01-01 00:00:00+00",1],["2025-01-01 10:00:00+00",2]]}`.
    pub fn to_text(&mut self) -> MetricResult<String> {
        self.sort();
        let mut text = TextWriter::with_capacity(64 + 32 * self.events.len());
        let _ = write!(text, r#"{{"version":{FORMAT_VERSION},"#);
        write_setting_text(&mut text, self.setting);
        text.push_str(r#","events":["#);
        for (index, event) in checked(self.events.iter().enumerate()) {
            if index > 0 {
                text.push(',');
            }
            let _ = write!(
                text,
                r#"["{}",{}]"#,
                format_timestamp(event.time),
                event.step
            );
        }
        text.push_str("]}");
        text.finish(STATE_TYPE)
    }

    /// Reads [`FunnelState::to_text`]'s form (events in any order).
    pub fn from_text(text: &str) -> MetricResult<Self> {
        let invalid =
            |message: String| MetricError::InvalidText(format!("{STATE_TYPE}: {message}"));
        let form: StateText = from_json_object(STATE_TYPE, text)?.map_err(invalid)?;
        if form.version != FORMAT_VERSION {
            return Err(invalid(format!("unsupported version {}", form.version)));
        }
        let setting = mode_of_text(form.mode.as_deref(), form.window_us).map_err(invalid)?;
        check_setting(setting).map_err(|e| invalid(e.to_owned()))?;
        let mut events = decoded_vec(form.events.len().min(MAX_ITEMS), STATE_TYPE)?;
        for (time, step) in checked(&form.events) {
            let time = time_of_text(time).map_err(invalid)?;
            check_event(setting, time, *step).map_err(|e| invalid(e.to_owned()))?;
            events.push(Event { time, step: *step });
        }
        let mut state = FunnelState {
            setting,
            events,
            sorted: false,
        };
        state.sort();
        Ok(state)
    }
}

impl FunnelSummary {
    /// Binary form: version, id type, setting, steps, then the sorted events and results
    /// (keys delta-coded; an event's time delta-coded within its entity).
    pub fn encode(&mut self) -> MetricResult<Vec<u8>> {
        self.sort();
        let mut writer = Writer::with_version(FORMAT_VERSION);
        writer.u8(self.key_kind.code());
        write_setting(&mut writer, self.setting);
        writer.u8(self.steps);
        writer.u64(self.events.len() as u64);
        let mut previous: Option<(u128, i64)> = None;
        for (key, time, step) in self.events.sorted() {
            let previous_key = previous.map_or(0, |(key, _)| key);
            writer.u128(key.wrapping_sub(previous_key));
            let base = match previous {
                Some((previous_key, previous_time)) if previous_key == key => previous_time,
                _ => 0,
            };
            writer.u64(time.wrapping_sub(base) as u64).u8(step);
            previous = Some((key, time));
        }
        writer.u64(self.reached.len() as u64);
        let mut previous_key = 0u128;
        for row in checked(&self.reached) {
            let key_delta = row.key().wrapping_sub(previous_key);
            write_result(&mut writer, key_delta, row.step, row.time_from_first);
            previous_key = row.key();
        }
        writer.finish(SUMMARY_TYPE)
    }

    pub fn decode(bytes: &[u8]) -> MetricResult<Self> {
        let invalid =
            |message: &str| MetricError::InvalidBinary(format!("{SUMMARY_TYPE}: {message}"));
        let mut reader = Reader::open(bytes, FORMAT_VERSION, SUMMARY_TYPE)?;
        let code = reader.u8()?;
        let key_kind = KeyKind::ALL
            .into_iter()
            .find(|kind| kind.code() == code)
            .ok_or_else(|| invalid("unknown entity id type"))?;
        let setting = read_setting(&mut reader, SUMMARY_TYPE)?;
        let steps = reader.u8()?;
        let count = read_count(&mut reader, SUMMARY_TYPE)?;
        let mut events: Vec<KeyedEvent> = reader.vec(count)?;
        for _ in checked(0..count) {
            let previous = events.last().copied();
            let key = previous.map_or(0, |p| p.key()).wrapping_add(reader.u128()?);
            let base = match previous {
                Some(p) if p.key() == key => p.time,
                _ => 0,
            };
            let time = base.wrapping_add(reader.u64()? as i64);
            let step = reader.u8()?;
            events.push(KeyedEvent {
                key_high: (key >> 64) as u64,
                key_low: key as u64,
                time,
                step,
            });
        }
        let count = read_count(&mut reader, SUMMARY_TYPE)?;
        let mut reached: Vec<Reached> = reader.vec(count)?;
        for _ in checked(0..count) {
            let key = reached
                .last()
                .map_or(0, Reached::key)
                .wrapping_add(reader.u128()?);
            let step = reader.u8()?;
            let time_from_first = reader.i64()?;
            reached.push(Reached {
                key_high: (key >> 64) as u64,
                key_low: key as u64,
                step,
                time_from_first,
            });
        }
        reader.finish()?;
        let read = ReadSummary {
            key_kind,
            setting,
            steps,
            events,
            reached,
        };
        read.validated(true).map_err(invalid)?.into_summary()
    }

    /// Readable form, e.g. `{"version":1,"key":"bigint","window_us":86400000000,
    /// "mode":"ordered","steps":3,"events":[],"entities":[["42",[0,3600000000]]]}`: pending
    /// events as [id, time, step] and each entity's results as [id, [microseconds from step 1
    /// to step 1, 2, ...]].
    pub fn to_text(&mut self) -> MetricResult<String> {
        self.sort();
        let mut text =
            TextWriter::with_capacity(96 + 40 * (self.events.len() + self.reached.len()));
        let _ = write!(
            text,
            r#"{{"version":{FORMAT_VERSION},"key":"{}","#,
            self.key_kind.name()
        );
        write_setting_text(&mut text, self.setting);
        let _ = write!(text, r#","steps":{},"events":["#, self.steps);
        let key_kind = self.key_kind;
        for (index, (key, time, step)) in self.events.sorted().enumerate() {
            if index > 0 {
                text.push(',');
            }
            text.push_str("[\"");
            write_key(&mut text, key_kind, key);
            let _ = write!(text, r#"","{}",{}]"#, format_timestamp(time), step);
        }
        text.push_str(r#"],"entities":["#);
        let mut first = true;
        for entity in checked(self.reached.chunk_by(|a, b| a.key() == b.key())) {
            // Each copy of the entity's result (see `validated`) as an entry of its own.
            let groups: Vec<&[Reached]> = entity.chunk_by(|a, b| a.step == b.step).collect();
            for copy in 0..groups[0].len() {
                if !first {
                    text.push(',');
                }
                first = false;
                text.push_str("[\"");
                write_key(&mut text, self.key_kind, entity[0].key());
                text.push_str("\",[");
                for (n, group) in groups.iter().take_while(|g| copy < g.len()).enumerate() {
                    if n > 0 {
                        text.push(',');
                    }
                    let _ = write!(text, "{}", group[copy].time_from_first);
                }
                text.push_str("]]");
            }
        }
        text.push_str("]}");
        text.finish(SUMMARY_TYPE)
    }

    /// Reads [`FunnelSummary::to_text`]'s form (events and entities in any order).
    pub fn from_text(text: &str) -> MetricResult<Self> {
        let invalid =
            |message: String| MetricError::InvalidText(format!("{SUMMARY_TYPE}: {message}"));
        let form: SummaryText = from_json_object(SUMMARY_TYPE, text)?.map_err(invalid)?;
        if form.version != FORMAT_VERSION {
            return Err(invalid(format!("unsupported version {}", form.version)));
        }
        let key_kind = KeyKind::ALL
            .into_iter()
            .find(|kind| kind.name().eq_ignore_ascii_case(&form.key))
            .ok_or_else(|| invalid(format!("unknown entity id type '{}'", form.key)))?;
        let setting = mode_of_text(form.mode.as_deref(), form.window_us).map_err(invalid)?;
        let key = |id: &str| {
            parse_key(key_kind, id)
                .ok_or_else(|| invalid(format!("malformed {} entity id '{id}'", key_kind.name())))
        };
        let mut events = decoded_vec(form.events.len().min(MAX_ITEMS), SUMMARY_TYPE)?;
        for (id, time, step) in checked(&form.events) {
            let key = key(id)?;
            events.push(KeyedEvent {
                key_high: (key >> 64) as u64,
                key_low: key as u64,
                time: time_of_text(time).map_err(invalid)?,
                step: *step,
            });
        }
        // Each entity lists at most 32 times (checked below), so this is room for all of them.
        let listed = form
            .entities
            .iter()
            .map(|(_, times)| times.len().min(usize::from(MAX_STEP)))
            .fold(0usize, usize::saturating_add);
        let mut reached = decoded_vec(listed.min(MAX_ITEMS), SUMMARY_TYPE)?;
        for (id, times) in checked(&form.entities) {
            let key = key(id)?;
            if times.is_empty() || times.len() > usize::from(MAX_STEP) {
                return Err(invalid(format!("entity '{id}' must list 1 to 32 times")));
            }
            for (index, time) in times.iter().enumerate() {
                reached.push(Reached {
                    key_high: (key >> 64) as u64,
                    key_low: key as u64,
                    step: index as u8 + 1,
                    time_from_first: *time,
                });
            }
        }
        let read = ReadSummary {
            key_kind,
            setting,
            steps: form.steps,
            events,
            reached,
        };
        read.validated(false)
            .map_err(|message| invalid(message.to_owned()))?
            .into_summary()
    }
}

impl FunnelSummary {
    /// The rows of `crm.funnel_steps` straight from a binary form. A finished summary that
    /// holds each entity once (what the final functions return) is read in one pass, checked
    /// as it is read, without building the summary; any other value (pending events, copies of
    /// entities, a malformed form) goes the long way: decoded, finished and read, so that its
    /// rows and errors are exactly those.
    pub fn step_rows_of_binary(function: &str, bytes: &[u8]) -> MetricResult<Vec<StepRow>> {
        if let Some((steps, entities, times)) = finished_times(function, bytes)? {
            return Ok(step_rows_of_times(steps, entities, times));
        }
        let summary = FunnelSummary::decode(bytes)?.into_finished(function)?;
        summary.step_rows(function)
    }
}

/// One result row of the binary form: the key's delta from the previous row's, the step and
/// the time from step 1 (a delta within 64 bits as a `u64`: the same varint, written faster).
#[inline(always)]
fn write_result(writer: &mut Writer, key_delta: u128, step: u8, time_from_first: i64) {
    match u64::try_from(key_delta) {
        Ok(delta) => writer.u64(delta),
        Err(_) => writer.u128(key_delta),
    }
    .u8(step)
    .i64(time_from_first);
}

/// The binary form of a finished summary written entity by entity, as the final function walks
/// them ([`FunnelSummary::finished_form`]): the bytes [`FunnelSummary::encode`] writes for the
/// same results, which must come in key order, each entity once, with no pending events.
pub(super) struct FinishedForm {
    writer: Writer,
    /// Where the count of results goes, and the width left for it (that of the most results
    /// the summary can have).
    count_at: usize,
    count_width: usize,
    count: u64,
    previous_key: u128,
}

impl FinishedForm {
    /// Starts the form of a summary of `key_kind`, `setting` and `steps` with at most `most`
    /// results.
    pub fn new(key_kind: KeyKind, setting: Option<Setting>, steps: u8, most: u64) -> Self {
        let mut writer = Writer::with_version(FORMAT_VERSION);
        writer.u8(key_kind.code());
        write_setting(&mut writer, setting);
        writer.u8(steps).u64(0);
        let count_at = writer.len();
        let count_width = varint_len(most);
        writer.gap(count_width);
        FinishedForm {
            writer,
            count_at,
            count_width,
            count: 0,
            previous_key: 0,
        }
    }

    /// Bytes written so far.
    pub fn len(&self) -> usize {
        self.writer.len()
    }

    /// The results of entity `key` (after every key written): `times[k - 1]` is the time of
    /// its chain's step k.
    #[inline]
    pub fn entity(&mut self, key: u128, times: &[i64]) {
        let Some((&first, later)) = times.split_first() else {
            return;
        };
        // Step 1 at 0 from itself (a varint below 128 is its byte), then the later steps of
        // the same key (a key delta of 0).
        let delta = key.wrapping_sub(self.previous_key);
        match u64::try_from(delta) {
            Ok(delta) if delta < 0x80 => self.writer.u8(delta as u8),
            Ok(delta) => self.writer.u64(delta),
            Err(_) => self.writer.u128(delta),
        }
        .u8(1)
        .u8(0);
        for (index, time) in later.iter().enumerate() {
            self.writer.u8(0).u8(index as u8 + 2).i64(time - first);
        }
        self.previous_key = key;
        self.count += times.len() as u64;
    }

    /// The binary form.
    pub fn finish(mut self) -> MetricResult<Vec<u8>> {
        if varint_len(self.count) == self.count_width {
            self.writer.fill_u64(self.count_at, self.count);
            return self.writer.finish(SUMMARY_TYPE);
        }
        // A count of another width (fewer results than the most): the gap becomes its varint.
        let mut count = Writer::default();
        count.u64(self.count);
        let at = self.count_at;
        let mut bytes = self.writer.finish(SUMMARY_TYPE)?;
        bytes.splice(at..at + self.count_width, count.finish(SUMMARY_TYPE)?);
        Ok(bytes)
    }
}

/// The steps, the entities that reached step 1 and the times to each later step of a finished
/// summary (see [`finished_times`]).
type StepTimes = (u8, u64, Vec<Vec<i64>>);

/// The steps, the entities that reached step 1 and the times to each later step
/// (`times[k - 2]` for step k; step 1's are all 0) of a binary form without events whose entities each appear once,
/// checked as [`FunnelSummary::decode`] checks them; `None` for any other value; 53200 when the
/// times do not fit in memory.
pub(super) fn finished_times(function: &str, bytes: &[u8]) -> MetricResult<Option<StepTimes>> {
    let mut refused = None;
    let times = read_finished_times(function, bytes, &mut refused);
    refused.map_or(Ok(times), Err)
}

/// [`finished_times`], with `refused` set (and `None` returned) when the lists of times do not
/// fit in memory.
fn read_finished_times(
    function: &str,
    bytes: &[u8],
    refused: &mut Option<MetricError>,
) -> Option<StepTimes> {
    let mut reader = Reader::open(bytes, FORMAT_VERSION, SUMMARY_TYPE).ok()?;
    let code = reader.u8().ok()?;
    let key_kind = KeyKind::ALL.into_iter().find(|kind| kind.code() == code)?;
    let setting = read_setting(&mut reader, SUMMARY_TYPE).ok()?;
    check_setting(setting).ok()?;
    let steps = reader.u8().ok()?;
    if steps > MAX_STEP || read_count(&mut reader, SUMMARY_TYPE).ok()? != 0 {
        return None;
    }
    let count = read_count(&mut reader, SUMMARY_TYPE).ok()?;
    let Some(setting) = setting else {
        return (steps == 0 && count == 0 && reader.finish().is_ok()).then(|| (0, 0, Vec::new()));
    };
    let mut entities = 0u64;
    let mut times: Vec<Vec<i64>> = vec![Vec::new(); usize::from(steps.saturating_sub(1))];
    let bigint = key_kind == KeyKind::BigInt;
    let mut rows = Rows {
        bytes: bytes.get(bytes.len() - reader.remaining()..)?,
        at: 0,
    };
    // The previous row's key, step and time (step 0 before the first row).
    let (mut key, mut last_step, mut last_time) = (0u128, 0u8, 0i64);
    for _ in checked(0..count) {
        let delta = rows.key_delta()?;
        let step = rows.byte()?;
        let raw = rows.varint()?;
        let time = ((raw >> 1) as i64) ^ -((raw & 1) as i64);
        let (next_key, wrapped) = key.overflowing_add(delta);
        let follows = if delta == 0 && last_step > 0 {
            // The next step of the same entity, no sooner.
            step == last_step + 1 && time >= last_time
        } else {
            // A new entity, after the previous one: its step 1, at 0.
            step == 1 && time == 0 && !wrapped
        };
        if !follows || time > setting.window || (bigint && next_key >> 64 != 0) || step > steps {
            return None;
        }
        match times.get_mut(usize::from(step).wrapping_sub(2)) {
            Some(list) => {
                if let Err(error) = reserve_result(list, 1, function, "its times") {
                    *refused = Some(error);
                    return None;
                }
                list.push(time);
            }
            None => entities += 1,
        }
        (key, last_step, last_time) = (next_key, step, time);
    }
    (rows.at == rows.bytes.len()).then_some((steps, entities, times))
}

/// The result rows of a binary form as [`finished_times`] reads them: the varints of
/// [`Writer::u64`] and [`Writer::u128`], each read as [`Reader`] reads it, except those
/// [`Reader`] could refuse or read otherwise (a time's of 10 bytes, a key's of 19), which are
/// `None` here (the long way reads them).
struct Rows<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl Rows<'_> {
    #[inline(always)]
    fn byte(&mut self) -> Option<u8> {
        let byte = *self.bytes.get(self.at)?;
        self.at += 1;
        Some(byte)
    }

    /// A varint of one byte (every key delta of consecutive ids and the rows of one entity,
    /// every time of step 1), else of up to 8 bytes from one 8-byte load (as [`Reader::u64`]
    /// reads it), else byte by byte up to `most` bytes.
    #[inline(always)]
    fn leb(&mut self, most: usize) -> Option<u128> {
        if let Some(&byte) = self.bytes.get(self.at) {
            if byte < 0x80 {
                self.at += 1;
                return Some(u128::from(byte));
            }
        }
        if let Some(word) = self
            .bytes
            .get(self.at..self.at.wrapping_add(8))
            .and_then(|bytes| <[u8; 8]>::try_from(bytes).ok())
        {
            let word = u64::from_le_bytes(word);
            let stops = !word & 0x8080_8080_8080_8080;
            if stops != 0 {
                let length = (stops.trailing_zeros() / 8 + 1) as usize;
                if (word >> (8 * (length - 1))) as u8 == 0 {
                    // A longer spelling of a shorter varint, which [`Reader`] refuses.
                    return None;
                }
                self.at += length;
                return Some(u128::from(pack_varint_groups(word, length)));
            }
        }
        self.leb_bytewise(most)
    }

    #[cold]
    fn leb_bytewise(&mut self, most: usize) -> Option<u128> {
        let rest = self.bytes.get(self.at..)?;
        let mut value = 0u128;
        for (index, &byte) in rest.iter().take(most).enumerate() {
            value |= u128::from(byte & 0x7f) << (7 * index);
            if byte & 0x80 == 0 {
                if index > 0 && byte == 0 {
                    return None;
                }
                self.at += index + 1;
                return Some(value);
            }
        }
        None
    }

    /// A key delta: [`Writer::u128`]'s varint of up to 18 bytes (126 bits).
    #[inline(always)]
    fn key_delta(&mut self) -> Option<u128> {
        self.leb(18)
    }

    /// [`Writer::u64`]'s varint of up to 9 bytes (63 bits).
    #[inline(always)]
    fn varint(&mut self) -> Option<u64> {
        self.leb(9).map(|value| value as u64)
    }
}

/// A summary as read from a form, before it is checked: its events as the forms list them.
struct ReadSummary {
    key_kind: KeyKind,
    setting: Option<Setting>,
    steps: u8,
    events: Vec<KeyedEvent>,
    reached: Vec<Reached>,
}

impl ReadSummary {
    /// Checks a summary read from a form: the setting, events in range (and sorted when
    /// `sorted`), each entity's results (one or more copies) steps 1..level with times from 0,
    /// non-decreasing and within the window.
    fn validated(mut self, sorted: bool) -> Result<Self, &'static str> {
        check_setting(self.setting)?;
        if self.steps > MAX_STEP {
            return Err("steps outside 0..32");
        }
        if self.setting.is_none() && (self.steps > 0 || !self.reached.is_empty()) {
            return Err("results without a window and mode");
        }
        let bigint = self.key_kind == KeyKind::BigInt;
        for event in checked(&self.events) {
            check_event(self.setting, event.time, event.step)?;
            if event.step > self.steps {
                return Err("an event past the funnel's steps");
            }
            if bigint && event.key_high != 0 {
                return Err("entity key is not a bigint");
            }
        }
        if sorted && self.events.windows(2).any(|pair| pair[0] > pair[1]) {
            return Err("events out of order");
        }
        if !sorted {
            sort_spread(&mut self.reached, Reached::key, Reached::cmp);
        }
        let window = self.setting.map_or(0, |setting| setting.window);
        if sorted && self.reached.windows(2).any(|pair| pair[0] > pair[1]) {
            return Err("results out of order");
        }
        for entity in checked(self.reached.chunk_by(|a, b| a.key() == b.key())) {
            if bigint && entity[0].key_high != 0 {
                return Err("entity key is not a bigint");
            }
            // One or more copies of the entity's result (a partial state of crm.rollup may hold
            // the same entity from several summaries): the rows of step k, sorted by time, are
            // the times to step k of the copies that reached it.
            let mut previous: Option<&[Reached]> = None;
            for (index, group) in entity.chunk_by(|a, b| a.step == b.step).enumerate() {
                if usize::from(group[0].step) != index + 1 || group[0].step > self.steps {
                    return Err("an entity's results must be steps 1, 2, ... up to steps");
                }
                if group.iter().any(|row| row.time_from_first > window) {
                    return Err("times must be within the window");
                }
                let Some(previous) = previous.replace(group) else {
                    if group.iter().any(|row| row.time_from_first != 0) {
                        return Err("the time to step 1 must be 0");
                    }
                    continue;
                };
                if group.len() > previous.len() {
                    return Err("an entity reaches a step more often than the step before");
                }
                if group
                    .iter()
                    .zip(previous.iter())
                    .any(|(row, before)| row.time_from_first < before.time_from_first)
                {
                    return Err("times must be non-decreasing");
                }
            }
        }
        Ok(self)
    }

    /// The summary of the checked form: its events by entity.
    fn into_summary(self) -> MetricResult<FunnelSummary> {
        let mut summary = FunnelSummary {
            key_kind: self.key_kind,
            setting: self.setting,
            steps: self.steps,
            events: EntityEvents::default(),
            reached: self.reached,
        };
        for event in checked(&self.events) {
            summary
                .events
                .push(SUMMARY_TYPE, event.key(), event.time, event.step)?;
        }
        Ok(summary)
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct StateText {
    version: u8,
    window_us: Option<i64>,
    mode: Option<String>,
    events: JsonVec<(String, u8)>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SummaryText {
    version: u8,
    key: String,
    window_us: Option<i64>,
    mode: Option<String>,
    steps: u8,
    events: JsonVec<(String, String, u8)>,
    entities: JsonVec<(String, JsonVec<i64>)>,
}
