//! Customer keys shared by the summaries that keep customers (cohorts, recurring revenue, model
//! fits from purchases): a customer id of any of the three SQL types becomes a 128-bit key
//! (bigint and uuid ids exactly, text ids by a 128-bit hash of their bytes), with the SQL type
//! recorded in the summary so that keys of different types never mix.
use super::error::MetricError;
use std::fmt::Write;

/// SQL type of the customer ids of a summary.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyKind {
    BigInt,
    Text,
    Uuid,
}

impl KeyKind {
    pub const ALL: [KeyKind; 3] = [KeyKind::BigInt, KeyKind::Text, KeyKind::Uuid];

    pub fn name(self) -> &'static str {
        match self {
            KeyKind::BigInt => "bigint",
            KeyKind::Text => "text",
            KeyKind::Uuid => "uuid",
        }
    }

    pub fn code(self) -> u8 {
        match self {
            KeyKind::BigInt => 0,
            KeyKind::Text => 1,
            KeyKind::Uuid => 2,
        }
    }

    /// 22023: a row with a `row` id of a `what` (customer, entity) given to a summary (or state)
    /// of `self` ids, as a transition called by hand with another aggregate's state would.
    pub fn mismatch(self, function: &str, what: &str, row: KeyKind) -> MetricError {
        MetricError::InvalidParameter(format!(
            "{function}: cannot add a {} {what} id to a summary of {} {what} ids",
            row.name(),
            self.name()
        ))
    }
}

/// Key of a bigint customer id (exact: the id's two's-complement bits).
pub fn key_from_bigint(id: i64) -> u128 {
    u128::from(id as u64)
}

/// Key of a text customer id: the 128-bit XXH3 hash of its bytes in the database encoding
/// (so ids that are not UTF-8, in a LATIN1 or SQL_ASCII database, hash too).
pub fn key_from_text(id: &[u8]) -> u128 {
    xxhash_rust::xxh3::xxh3_128(id)
}

/// Key of a uuid customer id (exact; keys order like the uuids).
pub fn key_from_uuid(id: [u8; 16]) -> u128 {
    u128::from_be_bytes(id)
}

/// Writes a key in the text form of summaries: the bigint or uuid id itself, the hash of a
/// text id as 32 hex digits.
pub fn write_key(text: &mut impl Write, kind: KeyKind, key: u128) {
    let _ = match kind {
        KeyKind::BigInt => write!(text, "{}", key as u64 as i64),
        KeyKind::Text => write!(text, "{key:032x}"),
        KeyKind::Uuid => write!(
            text,
            "{:08x}-{:04x}-{:04x}-{:04x}-{:012x}",
            (key >> 96) as u32,
            (key >> 80) as u16,
            (key >> 64) as u16,
            (key >> 48) as u16,
            key as u64 & 0xffff_ffff_ffff
        ),
    };
}

/// Reads a key written by [`write_key`]; `None` when `id` is not one.
pub fn parse_key(kind: KeyKind, id: &str) -> Option<u128> {
    let hex = |digits: &str| {
        (digits.len() == 32 && digits.bytes().all(|b| b.is_ascii_hexdigit()))
            .then(|| u128::from_str_radix(digits, 16).ok())
            .flatten()
    };
    match kind {
        KeyKind::BigInt => id.parse::<i64>().ok().map(key_from_bigint),
        KeyKind::Text => hex(id),
        KeyKind::Uuid => {
            let bytes = id.as_bytes();
            let dashes_ok = bytes.len() == 36 && [8, 13, 18, 23].iter().all(|&i| bytes[i] == b'-');
            if !dashes_ok {
                return None;
            }
            hex(&id.replace('-', ""))
        }
    }
}
