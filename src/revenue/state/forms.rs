//! The binary and text forms of a recurring-revenue summary (`crm.mrr_summary`).
use std::fmt::Write as _;

use serde::Deserialize;

use super::*;
use crate::common::codec::{from_json_object, JsonVec, Reader, TextWriter, Writer};
use crate::common::keys::{parse_key, write_key};
use crate::common::limits::reserve_decoded;
use crate::common::money::{read_decimal, write_decimal};
use crate::common::periods::{period_start_date, Period};

impl MrrSummary {
    /// Settles for writing. The aggregates' final functions settle (and raise an overflow)
    /// before a summary can be written, so this never fails on a summary that reaches SQL; if
    /// it did, the rows would stay unsettled and the written form would be refused on reading.
    fn settle_for_writing(&mut self) {
        if self.settle(TYPE_NAME).is_err() {
            self.settled = false;
        }
    }

    /// Binary form (settles first): version, id type, months, then the rows with keys, months
    /// and amounts delta-coded.
    pub fn encode(&mut self) -> MetricResult<Vec<u8>> {
        self.settle_for_writing();
        let mut writer = Writer::with_version(FORMAT_VERSION);
        writer.u8(self.key_kind.code());
        let (first, last) = self.months.unwrap_or((0, -1));
        writer.u8(u8::from(self.months.is_some()));
        writer.i64(i64::from(first)).i64(i64::from(last));
        writer.u64(self.rows.len() as u64);
        let mut previous: Option<MrrRow> = None;
        for row in checked(&self.rows) {
            let same_customer = previous.is_some_and(|p| p.key() == row.key());
            let delta = row.key().wrapping_sub(previous.map_or(0, |p| p.key()));
            writer.u64(delta as u64).u64((delta >> 64) as u64);
            let base = match previous {
                Some(p) if same_customer => p.month,
                _ => first,
            };
            writer.u64((i64::from(row.month) - i64::from(base)) as u64);
            write_decimal(&mut writer, row.mrr);
            previous = Some(*row);
        }
        writer.finish(TYPE_NAME)
    }

    pub fn decode(bytes: &[u8]) -> MetricResult<Self> {
        let invalid = |message: &str| MetricError::InvalidBinary(format!("{TYPE_NAME}: {message}"));
        let mut reader = Reader::open(bytes, FORMAT_VERSION, TYPE_NAME)?;
        let code = reader.u8()?;
        let key_kind = KeyKind::ALL
            .into_iter()
            .find(|kind| kind.code() == code)
            .ok_or_else(|| invalid("unknown customer id type"))?;
        let has_months = reader.u8()?;
        let first = i32::try_from(reader.i64()?).map_err(|_| invalid("month out of range"))?;
        let last = i32::try_from(reader.i64()?).map_err(|_| invalid("month out of range"))?;
        let months = match has_months {
            0 => None,
            1 => Some((first, last)),
            _ => return Err(invalid("malformed month range")),
        };
        let count = usize::try_from(reader.u64()?).map_err(|_| invalid("too many rows"))?;
        if count > reader.remaining() / MIN_ROW_BYTES || count > MAX_ROWS {
            return Err(invalid("row count exceeds the value"));
        }
        let mut rows = reader.vec(count)?;
        let mut previous: Option<MrrRow> = None;
        for _ in checked(0..count) {
            let delta = u128::from(reader.u64()?) | (u128::from(reader.u64()?) << 64);
            let key = previous.map_or(0, |p| p.key()).wrapping_add(delta);
            let same_customer = previous.is_some() && delta == 0;
            let base = match previous {
                Some(p) if same_customer => p.month,
                _ => first,
            };
            let month = i64::from(base)
                .checked_add(
                    i64::try_from(reader.u64()?).map_err(|_| invalid("month out of range"))?,
                )
                .and_then(|month| i32::try_from(month).ok())
                .ok_or_else(|| invalid("month out of range"))?;
            let mrr = read_decimal(&mut reader, TYPE_NAME)?;
            let row = MrrRow {
                key_high: (key >> 64) as u64,
                key_low: key as u64,
                month,
                mrr,
            };
            rows.push(row);
            previous = Some(row);
        }
        reader.finish()?;
        Self::validated(key_kind, months, rows, MetricError::InvalidBinary)
    }

    /// Checks that settled rows are in order, positive and inside the month range.
    fn validated(
        key_kind: KeyKind,
        months: Option<(i32, i32)>,
        rows: Vec<MrrRow>,
        error: fn(String) -> MetricError,
    ) -> MetricResult<Self> {
        let fail = |message: &str| Err(error(format!("{TYPE_NAME}: {message}")));
        let (low, high) = Period::Month.index_range();
        match months {
            Some((first, last)) if first > last || first < low || last > high => {
                return fail("malformed month range")
            }
            None if !rows.is_empty() => return fail("rows without a month range"),
            _ => {}
        }
        let (first, last) = months.unwrap_or((0, -1));
        for (index, row) in rows.iter().enumerate() {
            if index > 0 && rows[index - 1].order() >= row.order() {
                return fail("rows out of order or repeated");
            }
            if row.month < first || row.month > last {
                return fail("a row outside the month range");
            }
            if row.mrr.is_sign_negative() || row.mrr.is_zero() {
                return fail("amounts must be positive");
            }
            if key_kind == KeyKind::BigInt && row.key_high != 0 {
                return fail("customer key is not a bigint");
            }
        }
        Ok(MrrSummary {
            key_kind,
            months,
            rows,
            settled: true,
        })
    }

    /// Readable JSON form (settles first): customers in key order with their months and
    /// amounts, e.g. `{"version":1,"key":"bigint","first_month":"2025-01-01",
    /// "last_month":"2025-03-01","customers":[["42",[["2025-01-01","100.00"],["2025-02-01","120.00"]]]]}`.
    pub fn to_text(&mut self) -> MetricResult<String> {
        self.settle_for_writing();
        let month_text = |month: i32| date_text(period_start_date(Period::Month, month));
        let mut text = TextWriter::with_capacity(96 + 32 * self.rows.len());
        let (first, last) = match self.months {
            Some((first, last)) => (
                format!("\"{}\"", month_text(first)),
                format!("\"{}\"", month_text(last)),
            ),
            None => ("null".to_owned(), "null".to_owned()),
        };
        // Writing to a TextWriter does not fail: `finish` reports a refused growth.
        let _ = write!(
            text,
            r#"{{"version":{FORMAT_VERSION},"key":"{}","first_month":{first},"last_month":{last},"customers":["#,
            self.key_kind.name()
        );
        for (n, rows) in checked(self.customers()).enumerate() {
            if n > 0 {
                text.push(',');
            }
            text.push_str("[\"");
            write_key(&mut text, self.key_kind, rows[0].key());
            text.push_str("\",[");
            for (m, row) in rows.iter().enumerate() {
                if m > 0 {
                    text.push(',');
                }
                let _ = write!(text, "[\"{}\",\"{}\"]", month_text(row.month), row.mrr);
            }
            text.push_str("]]");
        }
        text.push_str("]}");
        text.finish(TYPE_NAME)
    }

    /// Reads [`MrrSummary::to_text`]'s form; customers and months may come in any order and
    /// repeat (they add up).
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
        let key_kind = KeyKind::ALL
            .into_iter()
            .find(|kind| kind.name().eq_ignore_ascii_case(&form.key))
            .ok_or_else(|| {
                invalid(format!(
                    "unknown customer id type '{}' (expected bigint, text or uuid)",
                    form.key
                ))
            })?;
        let month = |text: &str| -> MetricResult<i32> {
            let day = parse_date_text(text)
                .ok_or_else(|| invalid(format!("malformed month '{text}'")))?;
            let day =
                i32::try_from(day).map_err(|_| invalid(format!("month '{text}' out of range")))?;
            month_of_date(TYPE_NAME, "month", day).map_err(as_text_error)
        };
        let months = match (form.first_month.as_deref(), form.last_month.as_deref()) {
            (Some(first), Some(last)) => Some((month(first)?, month(last)?)),
            (None, None) => None,
            _ => return Err(invalid("first_month and last_month go together".to_owned())),
        };
        let mut summary = MrrSummary::new(key_kind);
        // Room for every amount at once (as the binary form reads): a stored value reads back
        // whatever `crm.max_state_memory` the reading session has, as an aggregate's growth
        // does not.
        let listed = form
            .customers
            .iter()
            .map(|(_, amounts)| amounts.len())
            .fold(0usize, usize::saturating_add);
        reserve_decoded(&mut summary.rows, listed.min(MAX_ROWS), TYPE_NAME)?;
        for (id, amounts) in checked(&form.customers) {
            let key = parse_key(key_kind, id).ok_or_else(|| {
                invalid(format!("malformed {} customer id '{id}'", key_kind.name()))
            })?;
            for (month_text, amount) in amounts {
                let mrr =
                    money::decimal_from_text(TYPE_NAME, "mrr", amount).map_err(as_text_error)?;
                let day = period_start_date(Period::Month, month(month_text)?);
                summary
                    .add(TYPE_NAME, key, day, mrr)
                    .map_err(as_text_error)?;
            }
        }
        summary.settle(TYPE_NAME).map_err(as_text_error)?;
        match (months, summary.months) {
            (Some((first, last)), Some((low, high))) if first > low || last < high => {
                let shown = |month: i32| date_text(period_start_date(Period::Month, month));
                let outside = if first > low { low } else { high };
                return Err(invalid(format!(
                    "month {} is outside first_month {} .. last_month {}",
                    shown(outside),
                    shown(first),
                    shown(last)
                )));
            }
            (None, Some(_)) => return Err(invalid("customers without a month range".to_owned())),
            _ => {}
        }
        let MrrSummary { rows, .. } = summary;
        Self::validated(key_kind, months, rows, MetricError::InvalidText)
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TextForm {
    version: u8,
    key: String,
    first_month: Option<String>,
    last_month: Option<String>,
    customers: JsonVec<(String, JsonVec<(String, String)>)>,
}
