//! The binary and text forms of a customer summary.
use std::fmt::Write as _;

use serde::Deserialize;

use super::summary::{for_each_merged, merged_len, push_span, Span, MAX_CUSTOMERS};
use super::{CustomerSummary, FORMAT_VERSION, POS_INFINITY};
use crate::common::civil::{format_timestamp, is_valid_timestamp, parse_timestamp};
use crate::common::codec::{
    from_json_object, pack_varint_groups, varint_len, JsonVec, Reader, TextWriter, Writer,
};
use crate::common::error::{MetricError, MetricResult};
use crate::common::interrupt::{checked, Ticker};
use crate::common::limits::{decoded_vec, reserve};

/// Names [`CustomerSummary`] in error messages of its binary and text forms.
const SUMMARY_TYPE: &str = "crm.customer_summary";

/// Bytes a span typically takes in the binary form (the buffer's first size).
const TYPICAL_SPAN_BYTES: usize = 12;

/// What `crm.customer_summary` holds in text form.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SummaryText {
    version: u64,
    customers: u64,
    /// `[started_at, ended_at or null, count]`, sorted.
    spans: JsonVec<(String, Option<String>, u64)>,
}

impl CustomerSummary {
    /// Canonical binary form: version byte, span count, then per span the start (the first
    /// zigzag, the others as the unsigned delta from the previous start), the end
    /// (0 = never, else `ended_at - started_at + 1`) and the count, all varints.
    pub fn encode(&mut self) -> MetricResult<Vec<u8>> {
        if let Some(runs) = self.sorted_rows() {
            // Only rows, now sorted: their runs are the spans. The span count comes first: a
            // gap of the width of the row count, filled in after the spans when the count has
            // that width (rows that are distinct, or repeat little); otherwise the spans are
            // counted first and written again.
            let rows = runs.rows();
            let mut form = FormWriter::new(rows);
            let width = varint_len(rows as u64);
            let count_at = form.writer.len();
            form.writer.gap(width);
            form.spans(runs.clone());
            if varint_len(form.written) == width {
                form.writer.fill_u64(count_at, form.written);
            } else {
                form = FormWriter::new(rows);
                form.writer.u64(runs.span_count() as u64);
                form.spans(runs);
            }
            return form.writer.finish(SUMMARY_TYPE);
        }
        // The queue of pending spans grows by at most a span per pending row (`read_sorted`).
        reserve(
            &mut self.pending_spans,
            self.pending.len(),
            SUMMARY_TYPE,
            "customer lifetimes",
        )?;
        self.read_sorted(|spans, queued| {
            let most = spans.len() + queued.len();
            let mut form = FormWriter::new(most);
            // The span count comes first. When every count between the larger part and the
            // sum of both has the varint width of the sum, the merge below counts the spans
            // and the count is filled in after; otherwise it is counted first (a second merge).
            let least = spans.len().max(queued.len());
            let width = varint_len(most as u64);
            let count_at = form.writer.len();
            if varint_len(least as u64) == width {
                form.writer.gap(width);
            } else {
                form.writer.u64(merged_len(spans, queued) as u64);
            }
            for_each_merged(spans, queued, |span| form.span(span));
            if varint_len(least as u64) == width {
                form.writer.fill_u64(count_at, form.written);
            }
            form.writer.finish(SUMMARY_TYPE)
        })
    }

    /// Inverse of [`CustomerSummary::encode`]: any malformed/truncated input → Err.
    pub fn decode(bytes: &[u8]) -> MetricResult<Self> {
        let reader = SpanReader::open(bytes)?;
        let mut spans: Vec<Span> = decoded_vec(reader.remaining_spans(), SUMMARY_TYPE)?;
        // Within the capacity reserved for the declared span count: no allocation.
        let customers = reader.for_each_span(|span| spans.push(*span))?;
        Ok(CustomerSummary {
            spans,
            pending: Vec::new(),
            pending_spans: Vec::new(),
            customers,
        })
    }

    /// Readable JSON, e.g.
    /// `{"version":1,"customers":3,"spans":[["2024-01-01 00:00:00+00",null,2],...]}`.
    pub fn to_text(&mut self) -> MetricResult<String> {
        self.fold_within(SUMMARY_TYPE)?;
        let mut text = TextWriter::with_capacity(48 + 56 * self.spans.len());
        // Writing to a TextWriter does not fail (`finish` reports a refused growth); timestamps are plain ASCII, so they need no escaping.
        let _ = write!(
            text,
            r#"{{"version":{FORMAT_VERSION},"customers":{},"spans":["#,
            self.customers
        );
        for (n, span) in checked(&self.spans).enumerate() {
            let separator = if n == 0 { "" } else { "," };
            let _ = write!(
                text,
                r#"{separator}["{}","#,
                format_timestamp(span.started_at)
            );
            let _ = if span.ended_at == POS_INFINITY {
                write!(text, "null,{}]", span.count)
            } else {
                write!(
                    text,
                    r#""{}",{}]"#,
                    format_timestamp(span.ended_at),
                    span.count
                )
            };
        }
        text.push_str("]}");
        text.finish(SUMMARY_TYPE)
    }

    /// Inverse of [`CustomerSummary::to_text`]. Spans may come in any order (repeats add up);
    /// malformed input → `MetricError::InvalidText`.
    pub fn from_text(text: &str) -> MetricResult<Self> {
        let invalid = |what: String| MetricError::InvalidText(format!("{SUMMARY_TYPE}: {what}"));
        let parsed: SummaryText = from_json_object(SUMMARY_TYPE, text)?
            .map_err(|error| invalid(format!("malformed text: {error}")))?;
        if parsed.version != u64::from(FORMAT_VERSION) {
            return Err(invalid(format!(
                "unsupported version {} (expected {FORMAT_VERSION})",
                parsed.version
            )));
        }
        let timestamp = |text: &str| {
            parse_timestamp(text).ok_or_else(|| {
                invalid(format!(
                    "invalid timestamp \"{text}\" (expected YYYY-MM-DD HH:MM:SS[.ffffff]+00)"
                ))
            })
        };
        let mut rows = decoded_vec(parsed.spans.len(), SUMMARY_TYPE)?;
        let mut customers = 0u64;
        for (started_at, ended_at, count) in checked(&parsed.spans) {
            let started_at = timestamp(started_at)?;
            let ended_at = match ended_at {
                None => POS_INFINITY,
                Some(ended_at) => timestamp(ended_at)?,
            };
            if ended_at <= started_at {
                return Err(invalid(format!(
                    "ended_at {} is not after started_at {}",
                    format_timestamp(ended_at),
                    format_timestamp(started_at)
                )));
            }
            if *count == 0 {
                return Err(invalid("span with zero customers".to_string()));
            }
            customers = customers
                .checked_add(*count)
                .filter(|&total| total <= MAX_CUSTOMERS)
                .ok_or_else(|| invalid("customer count overflows a bigint".to_string()))?;
            rows.push(Span {
                started_at,
                ended_at,
                count: *count,
            });
        }
        if customers != parsed.customers {
            return Err(invalid(format!(
                "\"customers\" is {} but the spans hold {customers}",
                parsed.customers
            )));
        }
        rows.sort_unstable_by_key(Span::key);
        let mut spans = decoded_vec(rows.len(), SUMMARY_TYPE)?;
        for span in rows {
            push_span(&mut spans, span);
        }
        Ok(CustomerSummary {
            spans,
            pending: Vec::new(),
            pending_spans: Vec::new(),
            customers,
        })
    }
}

/// Writes the spans of a binary form, given in key order, after its span count.
struct FormWriter {
    writer: Writer,
    previous_start: Option<i64>,
    /// Spans written.
    written: u64,
}

impl FormWriter {
    /// A binary form of at most `most` spans, its version byte written.
    fn new(most: usize) -> Self {
        let mut writer = Writer::with_version(FORMAT_VERSION);
        // Sized for typical spans (about 10 bytes: a start delta of a few days in
        // microseconds, a lifetime of months, a count of 1), so the buffer rarely moves.
        writer.reserve(most.saturating_mul(TYPICAL_SPAN_BYTES).saturating_add(16));
        FormWriter {
            writer,
            previous_start: None,
            written: 0,
        }
    }

    /// Writes every span of `spans`.
    fn spans(&mut self, spans: impl Iterator<Item = Span>) {
        let mut ticker = Ticker::new();
        for span in spans {
            ticker.tick();
            self.span(&span);
        }
    }

    #[inline(always)]
    fn span(&mut self, span: &Span) {
        match self.previous_start {
            None => self.writer.i64(span.started_at),
            Some(previous) => self.writer.u64(span.started_at.abs_diff(previous)),
        };
        let end_code = if span.ended_at == POS_INFINITY {
            0
        } else {
            span.ended_at.abs_diff(span.started_at) + 1
        };
        self.writer.u64(end_code).u64(span.count);
        self.previous_start = Some(span.started_at);
        self.written += 1;
    }
}

/// Reads the spans of a binary form one at a time, in order, validating each as it comes, so
/// that a reader of the summary (`crm.churn_series`) needs no decoded copy of its spans.
/// [`CustomerSummary::decode`] is this reader collected.
pub(super) struct SpanReader<'a> {
    /// The whole binary form.
    bytes: &'a [u8],
    /// Where the next span starts in `bytes`.
    position: usize,
    /// Spans declared and not read yet.
    remaining: usize,
    previous: Option<Span>,
    customers: u64,
    ticker: Ticker,
}

impl<'a> SpanReader<'a> {
    /// Opens a binary form: its version and span count (bounded by the data: each span takes at
    /// least three bytes).
    pub(super) fn open(bytes: &'a [u8]) -> MetricResult<Self> {
        let mut reader = Reader::open(bytes, FORMAT_VERSION, SUMMARY_TYPE)?;
        let declared = reader.u64()?;
        let remaining = usize::try_from(declared)
            .ok()
            .filter(|&count| count <= reader.remaining() / 3)
            .ok_or_else(|| corrupt("span count exceeds the data"))?;
        Ok(SpanReader {
            bytes,
            position: bytes.len() - reader.remaining(),
            remaining,
            previous: None,
            customers: 0,
            ticker: Ticker::new(),
        })
    }

    /// Spans not read yet.
    pub(super) fn remaining_spans(&self) -> usize {
        self.remaining
    }

    /// A [`Reader`] of the bytes from `position` on: opened on the byte before (the version
    /// byte, or the last byte of the span before), with every byte value accepted as its
    /// version, so it reads from `position` and reports errors as the reader of the whole form.
    fn reader(&self) -> MetricResult<Reader<'a>> {
        let rest = self
            .bytes
            .get(self.position.saturating_sub(1)..)
            .unwrap_or_default();
        Reader::open_versions(rest, 0..=u8::MAX, SUMMARY_TYPE).map(|(reader, _)| reader)
    }

    /// The next span when it is a well-formed successor of the previous one (every span of a
    /// valid form but the first) whose three varints lie within the next [`WINDOW_BYTES`]
    /// bytes and take at most 8 bytes each (every span of a typical form but the first and the
    /// last one or two), checked by [`successor`]: the ends of its varints are found together
    /// in one 16-byte load, so reading a span waits for one load where reading its varints in
    /// turn waits for three. `None`, with nothing read, for any other span:
    /// [`SpanReader::next_checked`] then reads it and reports the first of its problems.
    #[inline(always)]
    fn next_window(&mut self) -> Option<Span> {
        if self.remaining == 0 {
            return None;
        }
        let previous = self.previous?;
        let window = self
            .bytes
            .get(self.position..self.position.wrapping_add(WINDOW_BYTES))?;
        let word = u128::from_le_bytes(<[u8; WINDOW_BYTES]>::try_from(window).ok()?);
        // The last byte of each varint is one without the continuation bit: the first three.
        let stops = !word & STOP_BITS;
        let after_first = stops & stops.wrapping_sub(1);
        let after_second = after_first & after_first.wrapping_sub(1);
        let (first_stop, second_stop, third_stop) = (
            stops.trailing_zeros(),
            after_first.trailing_zeros(),
            after_second.trailing_zeros(),
        );
        // The continuation bit of byte k is bit 8k + 7, so a varint's length is its stop's
        // distance from the previous one in bits, over 8 (a missing stop counts as bit 128).
        let lengths = [
            (first_stop + 1) / 8,
            (second_stop - first_stop) / 8,
            (third_stop - second_stop) / 8,
        ];
        if third_stop >= 128 || lengths.iter().any(|&length| length > 8) {
            return None;
        }
        // A varint of more than one byte whose last byte is 0 is a longer spelling of a shorter
        // one, which [`Reader`] refuses: the checked path reports it. Found for the three at once:
        // the stops of zero bytes that do not follow a stop (or start the window).
        let nonzero = (((word & LOW_BITS) + LOW_BITS) | word) & STOP_BITS;
        let first_bytes = stops << 8 | 0x80;
        let shortest = stops & !nonzero & !first_bytes & (u128::MAX >> (127 - third_stop)) == 0;
        let delta = pack_varint_groups(word as u64, lengths[0] as usize);
        let end_code = pack_varint_groups((word >> (first_stop + 1)) as u64, lengths[1] as usize);
        let count = pack_varint_groups((word >> (second_stop + 1)) as u64, lengths[2] as usize);
        let (span, customers) =
            successor(previous, self.customers, delta, end_code, count, shortest)?;
        self.position += (third_stop as usize + 1) / 8;
        self.remaining -= 1;
        self.ticker.tick();
        self.customers = customers;
        self.previous = Some(span);
        Some(span)
    }

    /// The next span, `None` after the last, with every check in turn, each with its error:
    /// any malformed or out-of-order span → Err.
    #[cold]
    #[inline(never)]
    fn next_checked(&mut self) -> MetricResult<Option<Span>> {
        if self.remaining == 0 {
            return Ok(None);
        }
        self.remaining -= 1;
        self.ticker.tick();
        let mut reader = self.reader()?;
        let started_at = match self.previous {
            None => reader.i64()?,
            Some(previous) => {
                let started_at = i128::from(previous.started_at) + i128::from(reader.u64()?);
                i64::try_from(started_at).map_err(|_| corrupt("started_at out of range"))?
            }
        };
        if !is_valid_timestamp(started_at) {
            return Err(corrupt("started_at out of range"));
        }
        let ended_at = match reader.u64()? {
            0 => POS_INFINITY,
            1 => return Err(corrupt("span with ended_at = started_at")),
            code => i64::try_from(i128::from(started_at) + i128::from(code) - 1)
                .ok()
                .filter(|&ended_at| is_valid_timestamp(ended_at))
                .ok_or_else(|| corrupt("ended_at out of range"))?,
        };
        let count = reader.u64()?;
        if count == 0 {
            return Err(corrupt("span with zero customers"));
        }
        self.position = self.bytes.len() - reader.remaining();
        let span = Span {
            started_at,
            ended_at,
            count,
        };
        if self
            .previous
            .is_some_and(|previous| previous.key() >= span.key())
        {
            return Err(corrupt("spans out of order"));
        }
        self.customers = self
            .customers
            .checked_add(count)
            .filter(|&total| total <= MAX_CUSTOMERS)
            .ok_or_else(|| corrupt("customer count overflows a bigint"))?;
        self.previous = Some(span);
        Ok(Some(span))
    }

    /// Calls `each` with every span left, in order, then [`SpanReader::finish`]es: the spans
    /// that [`SpanReader::next_window`] reads in a tight loop, any other one (the first, the
    /// last one or two, and malformed ones) through [`SpanReader::next_checked`]. `each` is
    /// called from one place, so it is inlined into the loop.
    #[inline]
    pub(super) fn for_each_span(mut self, mut each: impl FnMut(&Span)) -> MetricResult<u64> {
        loop {
            let span = match self.next_window() {
                Some(span) => span,
                None => match self.next_checked()? {
                    Some(span) => span,
                    None => return self.finish(),
                },
            };
            each(&span);
        }
    }

    /// After the last span: fails on trailing bytes, else gives the customer count.
    pub(super) fn finish(self) -> MetricResult<u64> {
        self.reader()?.finish()?;
        Ok(self.customers)
    }

    /// Reads every span left, for validation only.
    pub(super) fn validate(self) -> MetricResult<()> {
        self.for_each_span(|_| {}).map(|_| ())
    }
}

/// Bytes [`SpanReader::next_window`] loads at a time: a span of a typical form (a start delta
/// of a few bytes, an end code of up to 7, a count of 1) and the start of the next.
const WINDOW_BYTES: usize = 16;
/// The continuation bit of each byte of a window.
const STOP_BITS: u128 = 0x8080_8080_8080_8080_8080_8080_8080_8080;
/// The other seven bits of each byte of a window.
const LOW_BITS: u128 = !STOP_BITS;

/// The span after `previous` given its three varints (`shortest`: each spelled in its fewest
/// bytes), and the customer total with it, when it passes every check of
/// [`SpanReader::next_checked`] (no overflow of the start or the end,
/// both timestamps in range, a positive count, the key after the previous one, the total
/// within a bigint), all made in one combined test without a branch per check; else `None`.
#[inline(always)]
fn successor(
    previous: Span,
    customers: u64,
    delta: u64,
    end_code: u64,
    count: u64,
    shortest: bool,
) -> Option<(Span, u64)> {
    let (started_at, start_overflows) = previous.started_at.overflowing_add_unsigned(delta);
    let (finite_end, end_overflows) = started_at.overflowing_add_unsigned(end_code.wrapping_sub(1));
    let ended_at = if end_code == 0 {
        POS_INFINITY
    } else {
        finite_end
    };
    let customers = customers.wrapping_add(count);
    let plain = shortest
        & !start_overflows
        & is_valid_timestamp(started_at)
        & ((end_code == 0) | ((end_code >= 2) & !end_overflows & is_valid_timestamp(ended_at)))
        & (count != 0)
        & ((delta != 0) | (ended_at > previous.ended_at))
        & (count <= MAX_CUSTOMERS)
        & (customers <= MAX_CUSTOMERS);
    plain.then_some((
        Span {
            started_at,
            ended_at,
            count,
        },
        customers,
    ))
}

fn corrupt(what: &str) -> MetricError {
    MetricError::InvalidBinary(format!("{SUMMARY_TYPE}: {what}"))
}

#[cfg(test)]
mod reader_tests {
    use super::{
        corrupt, is_valid_timestamp, CustomerSummary, Reader, Span, SpanReader, FORMAT_VERSION,
        MAX_CUSTOMERS, POS_INFINITY, SUMMARY_TYPE,
    };
    use crate::common::error::MetricResult;
    use proptest::prelude::*;

    /// Every span and the customer count, read one varint at a time by a [`Reader`] of the
    /// whole form with every check in turn (the reader before the windows): the reference.
    fn read_reference(bytes: &[u8]) -> MetricResult<(Vec<Span>, u64)> {
        let mut reader = Reader::open(bytes, FORMAT_VERSION, SUMMARY_TYPE)?;
        let declared = reader.u64()?;
        let declared = usize::try_from(declared)
            .ok()
            .filter(|&count| count <= reader.remaining() / 3)
            .ok_or_else(|| corrupt("span count exceeds the data"))?;
        let (mut spans, mut customers) = (Vec::<Span>::new(), 0u64);
        for _ in 0..declared {
            let started_at = match spans.last() {
                None => reader.i64()?,
                Some(previous) => {
                    let started_at = i128::from(previous.started_at) + i128::from(reader.u64()?);
                    i64::try_from(started_at).map_err(|_| corrupt("started_at out of range"))?
                }
            };
            if !is_valid_timestamp(started_at) {
                return Err(corrupt("started_at out of range"));
            }
            let ended_at = match reader.u64()? {
                0 => POS_INFINITY,
                1 => return Err(corrupt("span with ended_at = started_at")),
                code => i64::try_from(i128::from(started_at) + i128::from(code) - 1)
                    .ok()
                    .filter(|&ended_at| is_valid_timestamp(ended_at))
                    .ok_or_else(|| corrupt("ended_at out of range"))?,
            };
            let count = reader.u64()?;
            if count == 0 {
                return Err(corrupt("span with zero customers"));
            }
            let span = Span {
                started_at,
                ended_at,
                count,
            };
            if spans
                .last()
                .is_some_and(|previous| previous.key() >= span.key())
            {
                return Err(corrupt("spans out of order"));
            }
            customers = customers
                .checked_add(count)
                .filter(|&total| total <= MAX_CUSTOMERS)
                .ok_or_else(|| corrupt("customer count overflows a bigint"))?;
            spans.push(span);
        }
        reader.finish()?;
        Ok((spans, customers))
    }

    /// The same with every reader of [`SpanReader::for_each_span`].
    fn read_fast(bytes: &[u8]) -> MetricResult<(Vec<Span>, u64)> {
        let mut spans = Vec::new();
        let customers = SpanReader::open(bytes)?.for_each_span(|span| spans.push(*span))?;
        Ok((spans, customers))
    }

    /// Lifetimes in microseconds around 2024 whose start deltas, end codes and counts take
    /// varints of one to eight bytes (and beyond, through `extreme`).
    fn row() -> impl Strategy<Value = (i64, Option<i64>)> {
        let start = 757_382_400_000_000i64;
        (0u32..48, 0u32..56, 0u8..4, any::<u64>()).prop_map(
            move |(start_bits, length_bits, kind, random)| {
                let started_at = start + (random % (1u64 << start_bits)) as i64;
                let ended_at = match kind {
                    0 => None,
                    1 => Some(i64::MAX),
                    _ => Some(
                        started_at + 1 + (random.rotate_left(17) % (1u64 << length_bits)) as i64,
                    ),
                };
                (started_at, ended_at)
            },
        )
    }

    proptest! {
        #[test]
        fn windowed_reading_equals_checked_reading(
            rows in prop::collection::vec(row(), 0..120),
            repeats in prop::collection::vec(0usize..120, 0..20),
            corruption in prop::option::of((any::<prop::sample::Index>(), any::<u8>())),
            cut in prop::option::of(any::<prop::sample::Index>()),
        ) {
            let mut summary = CustomerSummary::new();
            for &(started_at, ended_at) in rows.iter().chain(repeats.iter().filter_map(|&at| rows.get(at))) {
                summary.add("test", started_at, ended_at).unwrap();
            }
            let mut bytes = summary.encode().unwrap();
            if let Some((at, value)) = corruption {
                let at = at.index(bytes.len());
                bytes[at] = value;
            }
            if let Some(cut) = cut {
                bytes.truncate(cut.index(bytes.len() + 1));
            }
            let expected = read_reference(&bytes);
            prop_assert_eq!(read_fast(&bytes), expected.clone());
            prop_assert_eq!(
                CustomerSummary::decode(&bytes).map(|decoded| (decoded.spans, decoded.customers)),
                expected
            );
        }
    }
}
