//! The binary and text forms of a cohort summary.
use std::fmt::Write as _;

use serde::Deserialize;

use super::activity::{periods, record, spill_mut, Activity, WINDOW};
use super::retention::RetentionTable;
use super::table::{Customers, MAX_CUSTOMERS};
use super::{too_many_customers, CohortSummary, KeyKind, FORMAT_VERSION};
use crate::common::codec::{from_json_object, JsonVec, Reader, TextWriter, Writer};
use crate::common::error::{MetricError, MetricResult};
use crate::common::interrupt::{checked, Ticker};
use crate::common::keys::{parse_key, write_key};
use crate::common::limits::{decoded_vec, decoding_out_of_memory, reserve, reserve_decoded};
use crate::common::periods::Period;
use crate::common::tz::Zone;

/// SQL name of the type, used in messages about its binary and text forms.
const TYPE_NAME: &str = "crm.cohort_summary";
/// Smallest encoding of one customer: key delta, first period, bitmap and
/// spill length take at least one byte each.
const MIN_CUSTOMER_BYTES: usize = 4;

impl CohortSummary {
    /// Canonical binary form: version byte, period code, zone name, key kind,
    /// customer count, then per customer in key order the key (varint delta
    /// from the previous one), first period, bitmap and spilled periods
    /// (count, then varint gaps).
    pub fn encode(&self) -> MetricResult<Vec<u8>> {
        let customers = self.settled();
        let mut writer = Writer::with_version(FORMAT_VERSION);
        writer
            .u8(period_code(self.period()))
            .bytes(self.zone().name().as_bytes())
            .u8(self.key_kind.code())
            .u64(customers.len as u64);
        let mut previous: Option<u128> = None;
        for activity in checked(sorted(&customers)?) {
            let key = activity.key;
            let delta = match previous {
                None => key,
                Some(previous) => key - previous - 1,
            };
            previous = Some(key);
            writer.u128(delta);
            writer.i64(i64::from(activity.first)).u64(activity.bits);
            let spill = customers.spill(&activity);
            writer.u64(spill.len() as u64);
            let mut last = i64::from(activity.first) + WINDOW - 1;
            for &period in spill {
                writer.u64((i64::from(period) - last - 1) as u64);
                last = i64::from(period);
            }
        }
        writer.finish(TYPE_NAME)
    }

    /// Reads [`CohortSummary::encode`]'s form, validating every field.
    pub fn decode(bytes: &[u8]) -> MetricResult<Self> {
        let mut reader = CustomerReader::open(bytes)?;
        // Bounded by the input size; capped so that growth past it is paid by real entries.
        let mut summary = CohortSummary::with_capacity(
            reader.period,
            reader.zone.clone(),
            reader.key_kind,
            reader.count.min(1 << 20) as usize,
        )
        .map_err(|_| table_out_of_memory(reader.count.min(1 << 20) as usize))?;
        let customers = summary.customers.get_mut();
        while let Some((key, first, bits)) = reader.next_customer()? {
            if customers.may_grow(1) {
                grow_decoded(customers)?;
            }
            // Keys strictly increase: each one is new (and the reader checked there is room).
            let (at, _) = customers.find_or_insert(key, customers.hash(key));
            let activity = &mut customers.slots[at];
            activity.bits = bits;
            activity.first = first;
            if !reader.spill.is_empty() {
                reserve_spills(&mut customers.spills)?;
                let mut spill = decoded_vec(reader.spill.len(), TYPE_NAME)?;
                spill.extend_from_slice(&reader.spill);
                customers.spilled += spill.len();
                *spill_mut(activity, &mut customers.spills) = spill;
            }
        }
        reader.finish()?;
        Ok(summary)
    }

    /// The retention table of a binary form, counted straight from it (no hash table of its
    /// customers built), validating it as [`CohortSummary::decode`] does; past `max_rows`
    /// rows the periods are not kept (see [`RetentionTable::new`]).
    pub(super) fn retention_table_of_binary(
        bytes: &[u8],
        max_rows: u64,
    ) -> MetricResult<RetentionTable> {
        let mut reader = CustomerReader::open(bytes)?;
        let mut table = RetentionTable::new(reader.period, max_rows);
        while let Some((_, first, bits)) = reader.next_customer()? {
            table.add(first, bits, &reader.spill)?;
        }
        reader.finish()?;
        Ok(table)
    }

    /// Readable JSON form, customers in key order with their period indexes, e.g.
    /// `{"version":1,"period":"month","time_zone":"UTC","key":"bigint","customers":[["42",[288,290]]]}`.
    /// Bigint ids print in decimal, uuids in their usual form, text ids as the
    /// 32 hex digits of their hash.
    pub fn to_text(&self) -> MetricResult<String> {
        let customers = self.settled();
        let mut text = TextWriter::with_capacity(96 + 24 * customers.len);
        // Writing to a TextWriter does not fail: `finish` reports a refused growth.
        let _ = write!(
            text,
            r#"{{"version":{FORMAT_VERSION},"period":"{}","time_zone":{},"key":"{}","customers":["#,
            self.period().name(),
            serde_json::Value::from(self.zone().name()),
            self.key_kind.name(),
        );
        for (n, activity) in checked(sorted(&customers)?).enumerate() {
            if n > 0 {
                text.push(',');
            }
            text.push_str("[\"");
            write_key(&mut text, self.key_kind, activity.key);
            text.push_str("\",[");
            let spill = customers.spill(&activity);
            for (m, period) in periods(activity.first, activity.bits, spill).enumerate() {
                if m > 0 {
                    text.push(',');
                }
                let _ = write!(text, "{period}");
            }
            text.push_str("]]");
        }
        text.push_str("]}");
        text.finish(TYPE_NAME)
    }

    /// Reads [`CohortSummary::to_text`]'s form; periods may come in any order.
    pub fn from_text(text: &str) -> MetricResult<Self> {
        let invalid = |message: String| MetricError::InvalidText(format!("{TYPE_NAME}: {message}"));
        let form: TextForm = from_json_object(TYPE_NAME, text)?.map_err(invalid)?;
        if form.version != FORMAT_VERSION {
            return Err(invalid(format!(
                "unsupported version {} (expected {FORMAT_VERSION})",
                form.version
            )));
        }
        let to_text_error = |e: MetricError| MetricError::InvalidText(e.to_string());
        let period = Period::parse(TYPE_NAME, &form.period).map_err(to_text_error)?;
        let zone = Zone::parse(TYPE_NAME, &form.time_zone).map_err(to_text_error)?;
        let key_kind = KeyKind::ALL
            .into_iter()
            .find(|kind| kind.name().eq_ignore_ascii_case(&form.key))
            .ok_or_else(|| {
                invalid(format!(
                    "unknown customer id type '{}' (expected bigint, text or uuid)",
                    form.key
                ))
            })?;
        let mut summary =
            CohortSummary::with_capacity(period, zone, key_kind, form.customers.len())
                .map_err(|_| table_out_of_memory(form.customers.len()))?;
        let customers = summary.customers.get_mut();
        let (low, high) = period.index_range();
        for (id, indexes) in checked(form.customers) {
            let key = parse_key(key_kind, &id).ok_or_else(|| {
                invalid(format!("invalid {} customer id '{id}'", key_kind.name()))
            })?;
            let mut indexes = indexes.into_iter().map(|index| {
                i32::try_from(index)
                    .ok()
                    .filter(|index| (low..=high).contains(index))
                    .ok_or_else(|| {
                        MetricError::DatetimeOverflow(format!(
                            "{TYPE_NAME}: period index {index} is outside the range of dates"
                        ))
                    })
            });
            let first = indexes
                .next()
                .ok_or_else(|| invalid(format!("customer '{id}' has no periods")))??;
            if !customers.has_room(1) {
                return Err(too_many_customers(TYPE_NAME));
            }
            if customers.may_grow(1) {
                grow_decoded(customers)?;
            }
            let (at, new) = customers.find_or_insert(key, customers.hash(key));
            if !new {
                return Err(invalid(format!("duplicate customer '{id}'")));
            }
            let activity = &mut customers.slots[at];
            activity.bits = 1;
            activity.first = first;
            for index in indexes {
                // Room first for what `record` may add: a spill, and in the customer's spill
                // the period and those its bitmap window pushes out. A new spill starts with at
                // most that many periods.
                reserve_spills(&mut customers.spills)?;
                if let Some(spill) = customers
                    .spills
                    .get_mut((activity.spill as usize).wrapping_sub(1))
                {
                    if spill.capacity() - spill.len() <= WINDOW as usize {
                        let more = spill.len().max(WINDOW as usize + 1);
                        reserve_decoded(spill, more, TYPE_NAME)?;
                    }
                }
                customers.spilled += record(activity, &mut customers.spills, index?);
            }
        }
        Ok(summary)
    }
}

/// The 53200 error of a summary being decoded whose table for `customers` customers could not
/// be allocated.
#[cold]
fn table_out_of_memory(customers: usize) -> MetricError {
    decoding_out_of_memory(
        TYPE_NAME,
        customers.saturating_mul(std::mem::size_of::<Activity>() * 2),
    )
}

/// Room for one more spill in the spills of a summary being decoded, doubling when full.
fn reserve_spills(spills: &mut Vec<Vec<i32>>) -> MetricResult<()> {
    if spills.len() < spills.capacity() {
        return Ok(());
    }
    let more = spills.len().max(16);
    reserve_decoded(spills, more, TYPE_NAME)
}

/// Doubles the table of a summary being decoded before an insertion that needs it, fallibly (the
/// growth inside [`Customers::find_or_insert`] is infallible).
#[cold]
fn grow_decoded(customers: &mut Customers) -> MetricResult<()> {
    let slots = customers.slots.len().saturating_mul(2);
    customers
        .try_grow_for(1)
        .map_err(|_| decoding_out_of_memory(TYPE_NAME, slots * std::mem::size_of::<Activity>()))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TextForm {
    version: u8,
    period: String,
    time_zone: String,
    key: String,
    customers: JsonVec<(String, JsonVec<i64>)>,
}

/// Copies of the occupied slots, sorted by key.
/// The customers in key order: a copy of the table, reserved fallibly (53200, not an abort,
/// when the forms of a large summary cannot have it).
fn sorted(customers: &Customers) -> MetricResult<Vec<Activity>> {
    let mut entries: Vec<Activity> = Vec::new();
    reserve(
        &mut entries,
        customers.len,
        TYPE_NAME,
        "customers in key order",
    )?;
    entries.extend(customers.iter().copied());
    entries.sort_unstable_by_key(|a| a.key);
    Ok(entries)
}

fn period_code(period: Period) -> u8 {
    match period {
        Period::Day => 0,
        Period::Week => 1,
        Period::Month => 2,
        Period::Quarter => 3,
        Period::Year => 4,
    }
}

fn period_from_code(code: u8) -> Option<Period> {
    [
        Period::Day,
        Period::Week,
        Period::Month,
        Period::Quarter,
        Period::Year,
    ]
    .into_iter()
    .find(|&period| period_code(period) == code)
}

/// Reads the customers of a binary form one at a time, in key order, validating each as it
/// comes: [`CohortSummary::decode`] fills a table with them, `crm.cohort_retention` counts
/// them without one.
pub(super) struct CustomerReader<'a> {
    reader: Reader<'a>,
    pub(super) period: Period,
    pub(super) zone: Zone,
    pub(super) key_kind: KeyKind,
    /// Customers declared.
    pub(super) count: u64,
    /// Customers read.
    read: u64,
    previous: Option<u128>,
    /// The valid period indexes of `period`.
    range: (i64, i64),
    /// The spilled periods of the last customer read.
    pub(super) spill: Vec<i32>,
    ticker: Ticker,
}

impl<'a> CustomerReader<'a> {
    /// Opens a binary form: version, period, time zone, key kind and customer count (bounded
    /// by the data).
    pub(super) fn open(bytes: &'a [u8]) -> MetricResult<Self> {
        let mut reader = Reader::open(bytes, FORMAT_VERSION, TYPE_NAME)?;
        let period =
            period_from_code(reader.u8()?).ok_or_else(|| invalid("unknown period code"))?;
        let zone_name = std::str::from_utf8(reader.bytes()?)
            .map_err(|_| invalid("time zone name is not UTF-8"))?;
        let zone = Zone::parse(TYPE_NAME, zone_name)
            .map_err(|e| MetricError::InvalidBinary(e.to_string()))?;
        let key_code = reader.u8()?;
        let key_kind = KeyKind::ALL
            .into_iter()
            .find(|kind| kind.code() == key_code)
            .ok_or_else(|| invalid("unknown customer id type code"))?;
        let count = reader.u64()?;
        if count > (reader.remaining() / MIN_CUSTOMER_BYTES) as u64 {
            return Err(invalid("customer count exceeds the data"));
        }
        let (low, high) = period.index_range();
        Ok(CustomerReader {
            reader,
            period,
            zone,
            key_kind,
            count,
            read: 0,
            previous: None,
            range: (i64::from(low), i64::from(high)),
            spill: Vec::new(),
            ticker: Ticker::new(),
        })
    }

    /// The next customer's key, first period and bitmap (its spilled periods in `spill`),
    /// `None` after the last; any malformed field → Err.
    #[inline]
    pub(super) fn next_customer(&mut self) -> MetricResult<Option<(u128, i32, u64)>> {
        if self.read == self.count {
            return Ok(None);
        }
        self.ticker.tick();
        let (low, high) = self.range;
        let in_range = |index: i64| (low..=high).contains(&index);
        let reader = &mut self.reader;
        let delta = reader.u128()?;
        let key = match self.previous {
            None => Some(delta),
            Some(previous) => previous.checked_add(delta).and_then(|k| k.checked_add(1)),
        }
        .ok_or_else(|| invalid("customer key overflows"))?;
        self.previous = Some(key);
        if self.key_kind == KeyKind::BigInt && key > u128::from(u64::MAX) {
            return Err(invalid("customer key is not a bigint"));
        }
        let first = reader.i64()?;
        let bits = reader.u64()?;
        if !in_range(first) {
            return Err(invalid("period index out of range"));
        }
        if bits & 1 == 0 {
            return Err(invalid("first period missing from the activity bitmap"));
        }
        if !in_range(first + 63 - i64::from(bits.leading_zeros())) {
            return Err(invalid("period index out of range"));
        }
        let spill_len = reader.u64()?;
        if spill_len > reader.remaining() as u64 {
            return Err(invalid("period count exceeds the data"));
        }
        self.spill.clear();
        // At most the bytes left: one byte a period at least.
        reserve_decoded(&mut self.spill, spill_len as usize, TYPE_NAME)?;
        let mut last = first + WINDOW - 1;
        for _ in 0..spill_len {
            self.ticker.tick();
            let period = i64::try_from(reader.u64()?)
                .ok()
                .and_then(|gap| last.checked_add(gap))
                .and_then(|p| p.checked_add(1))
                .filter(|&p| in_range(p))
                .ok_or_else(|| invalid("period index out of range"))?;
            self.spill.push(period as i32);
            last = period;
        }
        // As many customers as a summary's table may hold.
        if self.read + 1 >= MAX_CUSTOMERS as u64 {
            return Err(too_many_customers(TYPE_NAME));
        }
        self.read += 1;
        Ok(Some((key, first as i32, bits)))
    }

    /// After the last customer: fails on trailing bytes.
    pub(super) fn finish(self) -> MetricResult<()> {
        self.reader.finish()
    }
}

fn invalid(message: &str) -> MetricError {
    MetricError::InvalidBinary(format!("{TYPE_NAME}: {message}"))
}
