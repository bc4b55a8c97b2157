//! Compact binary encoding shared by every summary and aggregate state.
//!
//! Every encoded value starts with a format version byte; integers are LEB128
//! varints (signed ones zigzag-encoded) so small counts take one byte.
use super::error::{MetricError, MetricResult};
use super::limits::decoding_out_of_memory;
use std::fmt;

/// Appends values to a byte buffer.
///
/// The buffer grows only through fallible allocations: Rust aborts the process (the whole
/// Postgres backend) when an infallible allocation fails, and a finished state's binary form can
/// be as large as the state. A refused growth is sticky: the writes after it are dropped, and
/// [`Writer::finish`] reports it as SQLSTATE 53200, so the writes stay chainable and an encoder
/// checks once, at the end.
#[derive(Debug, Default)]
pub struct Writer {
    bytes: Vec<u8>,
    /// The buffer length a growth was refused for, once one was.
    refused: Option<usize>,
}

impl Writer {
    /// Starts a buffer with the given format version byte.
    pub fn with_version(version: u8) -> Self {
        let mut writer = Writer::default();
        writer.u8(version);
        writer
    }

    /// Bytes written so far (the version byte included).
    pub fn len(&self) -> usize {
        self.bytes.len()
    }

    /// Whether nothing is written, not even a version byte (never, for a writer made by
    /// [`Writer::with_version`]).
    pub fn is_empty(&self) -> bool {
        self.bytes.is_empty()
    }

    /// Whether the buffer has room for `additional` more bytes, growing it if not; false once a
    /// growth was refused (then the caller writes nothing).
    #[inline(always)]
    fn room(&mut self, additional: usize) -> bool {
        self.bytes.capacity() - self.bytes.len() >= additional || self.grow(additional)
    }

    /// [`Writer::room`]'s growth: at least doubling, fallible, and never tried again after a
    /// refusal.
    #[cold]
    #[inline(never)]
    fn grow(&mut self, additional: usize) -> bool {
        if self.refused.is_some() {
            return false;
        }
        match self.bytes.try_reserve(additional) {
            Ok(()) => true,
            Err(_) => {
                self.refused = Some(self.bytes.len().saturating_add(additional));
                false
            }
        }
    }

    /// Leaves `width` zero bytes to be filled later by [`Writer::fill_u64`].
    pub fn gap(&mut self, width: usize) -> &mut Self {
        if self.room(width) {
            // Within capacity: no allocation.
            self.bytes.resize(self.bytes.len() + width, 0);
        }
        self
    }

    /// Writes `value`'s varint over the gap left at `at`, which must be exactly
    /// [`varint_len`]`(value)` bytes (so the result equals writing it there in order). Does
    /// nothing when the gap was never written (a refused growth, which `finish` reports).
    pub fn fill_u64(&mut self, at: usize, mut value: u64) {
        let Some(gap) = self.bytes.get_mut(at..at.saturating_add(varint_len(value))) else {
            debug_assert!(self.refused.is_some(), "a gap past the written bytes");
            return;
        };
        for byte in gap {
            *byte = if value >= 0x80 {
                (value as u8) | 0x80
            } else {
                value as u8
            };
            value >>= 7;
        }
    }

    /// Reserves room for at least `additional` more bytes (the buffer may double).
    pub fn reserve(&mut self, additional: usize) -> &mut Self {
        self.room(additional);
        self
    }

    pub fn u8(&mut self, value: u8) -> &mut Self {
        if self.room(1) {
            // Within capacity: no allocation.
            self.bytes.push(value);
        }
        self
    }

    #[inline(always)]
    pub fn u64(&mut self, mut value: u64) -> &mut Self {
        // One capacity check for the whole varint (at most 10 bytes), written straight into the
        // spare capacity: appending a stack buffer calls memmove for every value, and pushing
        // byte by byte checks the capacity for every byte.
        if !self.room(10) {
            return self;
        }
        let len = self.bytes.len();
        let spare = &mut self.bytes.spare_capacity_mut()[..10];
        if value < 1 << 56 {
            // A varint of up to 8 bytes (every instant delta and count of the summaries) as one
            // 8-byte store, without a branch per byte: the 7-bit groups spread one per byte, the
            // continuation bit set on every byte before the last; the bytes past the varint are
            // written too but stay outside the length.
            let length = varint_len(value);
            let continuation = 0x8080_8080_8080_8080 & ((1u64 << (8 * (length - 1))) - 1);
            let word = spread_varint_groups(value) | continuation;
            // SAFETY: `spare` holds 10 bytes of capacity after `len`: the 8-byte unaligned store
            // (one store, where writing byte by byte compiles to eight) fits, and initializes the
            // `length` (at most 8) bytes the new length covers.
            unsafe {
                spare
                    .as_mut_ptr()
                    .cast::<u64>()
                    .write_unaligned(word.to_le());
                self.bytes.set_len(len + length);
            }
            return self;
        }
        let mut written = 0;
        while value >= 0x80 {
            spare[written].write((value as u8) | 0x80);
            value >>= 7;
            written += 1;
        }
        spare[written].write(value as u8);
        // SAFETY: the `written + 1` bytes after `len` were just initialized, within capacity.
        unsafe { self.bytes.set_len(len + written + 1) };
        self
    }

    #[inline]
    pub fn i64(&mut self, value: i64) -> &mut Self {
        self.u64(((value << 1) ^ (value >> 63)) as u64)
    }

    /// A 128-bit value as a LEB128 varint (up to 19 bytes).
    pub fn u128(&mut self, mut value: u128) -> &mut Self {
        if !self.room(19) {
            return self;
        }
        // Within capacity from here: the pushes do not allocate.
        while value >= 0x80 {
            self.bytes.push((value as u8) | 0x80);
            value >>= 7;
        }
        self.bytes.push(value as u8);
        self
    }

    pub fn f64(&mut self, value: f64) -> &mut Self {
        if self.room(8) {
            // Within capacity: no allocation.
            self.bytes.extend_from_slice(&value.to_le_bytes());
        }
        self
    }

    pub fn bytes(&mut self, value: &[u8]) -> &mut Self {
        self.u64(value.len() as u64);
        if self.room(value.len()) {
            // Within capacity: no allocation.
            self.bytes.extend_from_slice(value);
        }
        self
    }

    /// The bytes written, or the 53200 error of a refused growth; `what` names the value
    /// encoded (its SQL type, e.g. `"crm.nps_summary"`), as in [`Reader::open`].
    pub fn finish(self, what: &str) -> MetricResult<Vec<u8>> {
        match self.refused {
            None => Ok(self.bytes),
            Some(bytes) => Err(super::limits::encoding_out_of_memory(what, bytes)),
        }
    }
}

/// Builds a text form (JSON, hex digits) with fallible growth, as [`Writer`] builds a binary
/// form: a text form is as large as its summary. A refused growth is sticky (the writes after
/// it are dropped) and [`TextWriter::finish`] reports it as SQLSTATE 53200. Written through
/// `write!` ([`std::fmt::Write`], which never fails here), [`TextWriter::push_str`], or by
/// serde_json ([`json_text`]).
#[derive(Debug, Default)]
pub struct TextWriter {
    /// UTF-8: only `str`s and serde_json's output are written.
    text: Vec<u8>,
    refused: Option<usize>,
}

impl TextWriter {
    /// An empty text with room for `bytes` bytes (the text may grow past it).
    pub fn with_capacity(bytes: usize) -> Self {
        let mut text = TextWriter::default();
        text.room(bytes);
        text
    }

    fn room(&mut self, additional: usize) -> bool {
        if self.text.capacity() - self.text.len() >= additional {
            return true;
        }
        if self.refused.is_some() {
            return false;
        }
        match self.text.try_reserve(additional) {
            Ok(()) => true,
            Err(_) => {
                self.refused = Some(self.text.len().saturating_add(additional));
                false
            }
        }
    }

    pub fn push_str(&mut self, value: &str) {
        if self.room(value.len()) {
            // Within capacity: no allocation.
            self.text.extend_from_slice(value.as_bytes());
        }
    }

    pub fn push(&mut self, value: char) {
        self.push_str(value.encode_utf8(&mut [0; 4]));
    }

    /// The text written, or the 53200 error of a refused growth; `what` names the value
    /// written (its SQL type).
    pub fn finish(self, what: &str) -> MetricResult<String> {
        if let Some(bytes) = self.refused {
            return Err(super::limits::encoding_out_of_memory(what, bytes));
        }
        String::from_utf8(self.text)
            .map_err(|_| MetricError::InvalidText(format!("{what}: a text form that is not UTF-8")))
    }
}

impl std::fmt::Write for TextWriter {
    fn write_str(&mut self, value: &str) -> std::fmt::Result {
        self.push_str(value);
        Ok(())
    }
}

impl std::io::Write for TextWriter {
    /// serde_json's output: fails (stopping the serializer) once a growth was refused.
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        if !self.room(bytes.len()) {
            return Err(std::io::ErrorKind::OutOfMemory.into());
        }
        self.text.extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// `value` as JSON text, written with fallible growth ([`TextWriter`]); `what` names the value
/// (its SQL type) in the error.
pub fn json_text<T: serde::Serialize + ?Sized>(what: &str, value: &T) -> MetricResult<String> {
    let mut text = TextWriter::default();
    let written = serde_json::to_writer(&mut text, value);
    let text = text.finish(what)?;
    written.map_err(|error| MetricError::InvalidText(format!("{what}: {error}")))?;
    Ok(text)
}

/// The value of the varint of `length` bytes (1 to 8) that starts `word` (little-endian): the
/// bytes past it masked off, the continuation bits cleared, and the 7-bit groups packed
/// together in three shift steps (pairs of groups, then pairs of pairs, then halves).
#[inline(always)]
pub fn pack_varint_groups(word: u64, length: usize) -> u64 {
    let kept = u64::MAX >> (64 - 8 * length);
    let groups = word & kept & 0x7f7f_7f7f_7f7f_7f7f;
    let pairs = (groups & 0x007f_007f_007f_007f) | ((groups & 0x7f00_7f00_7f00_7f00) >> 1);
    let quads = (pairs & 0x0000_3fff_0000_3fff) | ((pairs & 0x3fff_0000_3fff_0000) >> 2);
    (quads & 0x0000_0000_0fff_ffff) | ((quads & 0x0fff_ffff_0000_0000) >> 4)
}

/// Inverse of [`pack_varint_groups`] for a value below 2^56: its 7-bit groups one per byte
/// (little-endian), the continuation bits clear.
#[inline(always)]
fn spread_varint_groups(value: u64) -> u64 {
    let quads = (value & 0x0fff_ffff) | ((value & 0x00ff_ffff_f000_0000) << 4);
    let pairs = (quads & 0x0000_3fff_0000_3fff) | ((quads & 0x0fff_c000_0fff_c000) << 2);
    (pairs & 0x007f_007f_007f_007f) | ((pairs & 0x3f80_3f80_3f80_3f80) << 1)
}

/// Bytes of the varint [`Writer::u64`] writes for `value` (1 to 10).
pub fn varint_len(value: u64) -> usize {
    (64 - value.leading_zeros() as usize).max(1).div_ceil(7)
}

/// Reads values written by [`Writer`]; every read checks bounds.
#[derive(Debug, Clone)]
pub struct Reader<'a> {
    bytes: &'a [u8],
    position: usize,
    what: &'static str,
}

impl<'a> Reader<'a> {
    /// Opens `bytes` whose version byte is any of `versions` (a type whose format changed reads
    /// every version released), returning the version found.
    pub fn open_versions(
        bytes: &'a [u8],
        versions: std::ops::RangeInclusive<u8>,
        what: &'static str,
    ) -> MetricResult<(Self, u8)> {
        match bytes.first() {
            Some(&found) if versions.contains(&found) => Ok((
                Reader {
                    bytes,
                    position: 1,
                    what,
                },
                found,
            )),
            Some(&found) if versions.start() != versions.end() => {
                Err(MetricError::InvalidBinary(format!(
                    "{what}: unsupported binary format version {found} (expected {} to {})",
                    versions.start(),
                    versions.end()
                )))
            }
            _ => Reader::open(bytes, *versions.end(), what).map(|reader| (reader, *versions.end())),
        }
    }

    /// Opens `bytes`, checking that the version byte is `version`.
    /// `what` names the type in error messages (e.g. `"crm.nps_summary"`).
    pub fn open(bytes: &'a [u8], version: u8, what: &'static str) -> MetricResult<Self> {
        match bytes.first() {
            Some(&found) if found == version => Ok(Reader {
                bytes,
                position: 1,
                what,
            }),
            Some(&found) => Err(MetricError::InvalidBinary(format!(
                "{what}: unsupported binary format version {found} (expected {version})"
            ))),
            None => Err(MetricError::InvalidBinary(format!(
                "{what}: empty binary value"
            ))),
        }
    }

    /// A varint whose last byte adds nothing (`81 00` for 1): a longer spelling of a shorter
    /// varint, which no writer makes, so a binary form stays the one form of its value.
    #[cold]
    fn overlong(&self) -> MetricError {
        MetricError::InvalidBinary(format!(
            "{}: malformed varint (a longer spelling of a shorter one)",
            self.what
        ))
    }

    fn truncated(&self) -> MetricError {
        MetricError::InvalidBinary(format!("{}: truncated binary value", self.what))
    }

    pub fn u8(&mut self) -> MetricResult<u8> {
        let value = *self
            .bytes
            .get(self.position)
            .ok_or_else(|| self.truncated())?;
        self.position += 1;
        Ok(value)
    }

    #[inline]
    pub fn u64(&mut self) -> MetricResult<u64> {
        // A varint of up to 8 bytes (values below 2^56: every instant delta and count of the
        // summaries) is read from one 8-byte load without a branch per byte: its length is the
        // first byte without the continuation bit, and its 7-bit groups are packed by shifts.
        if let Some(word) = self
            .bytes
            .get(self.position..self.position.wrapping_add(8))
            .and_then(|bytes| <[u8; 8]>::try_from(bytes).ok())
        {
            let word = u64::from_le_bytes(word);
            let stops = !word & 0x8080_8080_8080_8080;
            if stops != 0 {
                let length = (stops.trailing_zeros() / 8 + 1) as usize;
                if length > 1 && (word >> (8 * (length - 1))) as u8 == 0 {
                    return Err(self.overlong());
                }
                self.position += length;
                return Ok(pack_varint_groups(word, length));
            }
        }
        self.u64_bytewise()
    }

    /// [`Reader::u64`] one byte at a time: the varints near the end of the data and those of
    /// 9 or 10 bytes.
    #[cold]
    fn u64_bytewise(&mut self) -> MetricResult<u64> {
        // One bounds check for the whole varint (at most 10 bytes).
        let rest = self.bytes.get(self.position..).unwrap_or(&[]);
        let mut value: u64 = 0;
        for (index, &byte) in rest.iter().take(10).enumerate() {
            // The tenth byte holds bit 63 only: any other bit of it is past 64 bits.
            if index == 9 && byte > 1 {
                break;
            }
            value |= u64::from(byte & 0x7f) << (7 * index);
            if byte & 0x80 == 0 {
                if index > 0 && byte == 0 {
                    return Err(self.overlong());
                }
                self.position += index + 1;
                return Ok(value);
            }
        }
        Err(if rest.len() < 10 {
            self.truncated()
        } else {
            MetricError::InvalidBinary(format!("{}: malformed varint", self.what))
        })
    }

    pub fn i64(&mut self) -> MetricResult<i64> {
        let raw = self.u64()?;
        Ok(((raw >> 1) as i64) ^ -((raw & 1) as i64))
    }

    fn array<const N: usize>(&mut self) -> MetricResult<[u8; N]> {
        let end = self
            .position
            .checked_add(N)
            .ok_or_else(|| self.truncated())?;
        let array = self
            .bytes
            .get(self.position..end)
            .and_then(|slice| <[u8; N]>::try_from(slice).ok())
            .ok_or_else(|| self.truncated())?;
        self.position = end;
        Ok(array)
    }

    /// Reads [`Writer::u128`]'s varint; rejects values past 128 bits.
    pub fn u128(&mut self) -> MetricResult<u128> {
        let mut value: u128 = 0;
        for shift in (0..128).step_by(7) {
            let byte = self.u8()?;
            let chunk = u128::from(byte & 0x7f);
            if shift == 126 && chunk > 3 {
                break;
            }
            value |= chunk << shift;
            if byte & 0x80 == 0 {
                if shift > 0 && byte == 0 {
                    return Err(self.overlong());
                }
                return Ok(value);
            }
        }
        Err(MetricError::InvalidBinary(format!(
            "{}: malformed varint",
            self.what
        )))
    }

    pub fn f64(&mut self) -> MetricResult<f64> {
        Ok(f64::from_le_bytes(self.array::<8>()?))
    }

    pub fn bytes(&mut self) -> MetricResult<&'a [u8]> {
        let len = usize::try_from(self.u64()?).map_err(|_| self.truncated())?;
        let end = self
            .position
            .checked_add(len)
            .ok_or_else(|| self.truncated())?;
        let slice = self
            .bytes
            .get(self.position..end)
            .ok_or_else(|| self.truncated())?;
        self.position = end;
        Ok(slice)
    }

    /// An empty vector with room for `count` items of the value read (a count already bounded
    /// by [`Reader::remaining`]), or the 53200 error naming the type: the allocation is
    /// fallible, as every growth of a state is.
    pub fn vec<T>(&self, count: usize) -> MetricResult<Vec<T>> {
        super::limits::decoded_vec(count, self.what)
    }

    /// The name of the type read (in error messages).
    pub fn what(&self) -> &'static str {
        self.what
    }

    /// Number of bytes not read yet: lets decoders bound a declared element count.
    pub fn remaining(&self) -> usize {
        self.bytes.len() - self.position
    }

    /// Fails unless every byte was consumed.
    pub fn finish(self) -> MetricResult<()> {
        if self.position == self.bytes.len() {
            Ok(())
        } else {
            Err(MetricError::InvalidBinary(format!(
                "{}: trailing bytes",
                self.what
            )))
        }
    }
}

/// Reads the text form of a summary: a JSON object, nothing else (serde alone would also read
/// a struct from a JSON array of its fields). `Ok(Err(message))` is malformed text, a message
/// for an `InvalidText`; `Err` is 53200 naming `what` (a SQL type) when a [`JsonVec`] of the
/// text could not be allocated.
pub fn from_json_object<T: serde::de::DeserializeOwned>(
    what: &str,
    text: &str,
) -> MetricResult<Result<T, String>> {
    if !text
        .trim_start_matches([' ', '\t', '\n', '\r'])
        .starts_with('{')
    {
        return Ok(Err("expected a JSON object".to_string()));
    }
    if let Some(why) = overlong_token(text) {
        return Ok(Err(why));
    }
    match serde_json::from_str(text) {
        Ok(value) => Ok(Ok(value)),
        Err(error) => {
            let message = display_prefix(&error, LONGEST_SERDE_MESSAGE);
            match refused_bytes(&message) {
                Some(bytes) => Err(decoding_out_of_memory(what, bytes)),
                None => Ok(Err(in_sql_words(&message))),
            }
        }
    }
}

/// The longest JSON string a text form may hold. None of the forms writes one of more than a
/// few hundred kilobytes (a calendar's hours); serde quotes a string it refuses whole, and
/// escaped (up to six bytes per byte), in its message, so a longer one is refused before
/// serde reads it.
const LONGEST_TEXT_STRING: usize = 1 << 20;

/// The longest JSON number a text form may hold (the forms write at most a few dozen digits):
/// serde copies the digits of a number too long for 64 bits into a buffer of their size.
const LONGEST_TEXT_NUMBER: usize = 1024;

/// The most of a serde message kept: it quotes the input it refuses.
const LONGEST_SERDE_MESSAGE: usize = 1024;

/// Why `text` is refused before serde reads it: its first JSON string longer than
/// [`LONGEST_TEXT_STRING`] bytes (to the end of the text when it is not closed) or number
/// longer than [`LONGEST_TEXT_NUMBER`], with the byte it starts at. Only lengths are measured;
/// malformed JSON is left to serde.
fn overlong_token(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let is_number =
        |byte: u8| byte.is_ascii_digit() || matches!(byte, b'+' | b'-' | b'.' | b'e' | b'E');
    let mut index = 0;
    while index < bytes.len() {
        let start = index;
        if bytes[index] == b'"' {
            let mut end = start + 1;
            while end < bytes.len() && bytes[end] != b'"' {
                // An escape's next byte is part of it (`\"` does not end the string).
                end += if bytes[end] == b'\\' { 2 } else { 1 };
            }
            let length = end.min(bytes.len()) - (start + 1);
            if length > LONGEST_TEXT_STRING {
                return Some(format!(
                    "a string of {length} bytes at byte {start} (a text form holds none longer \
                     than {LONGEST_TEXT_STRING} bytes)"
                ));
            }
            index = end + 1;
        } else if is_number(bytes[index]) {
            let length = bytes[start..]
                .iter()
                .take_while(|&&byte| is_number(byte))
                .count();
            if length > LONGEST_TEXT_NUMBER {
                return Some(format!(
                    "a number of {length} bytes at byte {start} (a text form holds none longer \
                     than {LONGEST_TEXT_NUMBER} bytes)"
                ));
            }
            index += length;
        } else {
            index += 1;
        }
    }
    None
}

/// The first `limit` bytes (to a character boundary) of `value` displayed, with "..." when it
/// is cut: the rest is never written, so nothing of its size is allocated.
fn display_prefix(value: &impl fmt::Display, limit: usize) -> String {
    struct Prefix {
        text: String,
        limit: usize,
        cut: bool,
    }
    impl fmt::Write for Prefix {
        fn write_str(&mut self, part: &str) -> fmt::Result {
            let room = self.limit - self.text.len();
            if part.len() <= room {
                self.text.push_str(part);
                return Ok(());
            }
            let mut end = room;
            while !part.is_char_boundary(end) {
                end -= 1;
            }
            self.text.push_str(&part[..end]);
            self.cut = true;
            Err(fmt::Error)
        }
    }
    let mut prefix = Prefix {
        text: String::new(),
        limit,
        cut: false,
    };
    // An error only says the prefix is full.
    let _ = fmt::write(&mut prefix, format_args!("{value}"));
    if prefix.cut {
        prefix.text.push_str("...");
    }
    prefix.text
}

/// The Rust types serde names after "expected", in the words of a user of SQL.
const RUST_TYPES: [(&str, &str); 12] = [
    ("u8", "an integer from 0 to 255"),
    ("u16", "an integer from 0 to 65535"),
    ("u32", "an integer from 0 to 4294967295"),
    ("u64", "a non-negative integer"),
    ("usize", "a non-negative integer"),
    ("i8", "an integer from -128 to 127"),
    ("i16", "an integer from -32768 to 32767"),
    ("i32", "an integer from -2147483648 to 2147483647"),
    (
        "i64",
        "an integer from -9223372036854775808 to 9223372036854775807",
    ),
    ("f32", "a number"),
    ("f64", "a number"),
    ("bool", "true or false"),
];

/// A serde error message with each Rust type after "expected " in SQL's words: `invalid value:
/// integer `-1`, expected u8` reads `..., expected an integer from 0 to 255`.
fn in_sql_words(message: &str) -> String {
    const EXPECTED: &str = "expected ";
    let mut words = String::with_capacity(message.len());
    let mut rest = message;
    while let Some(at) = rest.find(EXPECTED) {
        let (head, tail) = rest.split_at(at + EXPECTED.len());
        words.push_str(head);
        let end = tail
            .find(|c: char| !c.is_ascii_alphanumeric())
            .unwrap_or(tail.len());
        let word = &tail[..end];
        match RUST_TYPES.iter().find(|(rust, _)| *rust == word) {
            Some((_, sql)) => words.push_str(sql),
            None => words.push_str(word),
        }
        rest = &tail[end..];
    }
    words.push_str(rest);
    words
}

/// How the error of a refused [`JsonVec`] reservation starts, followed by the bytes asked for.
/// Every other deserialization error starts with serde's or serde_json's own words, never
/// with text from the input.
const REFUSED: &str = "refused a reservation of ";

/// The bytes a refused [`JsonVec`] reservation asked for, if `message` reports one.
fn refused_bytes(message: &str) -> Option<usize> {
    let digits = message.strip_prefix(REFUSED)?;
    let end = digits
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(digits.len());
    digits[..end].parse().ok()
}

/// A state-sized array of a text form (the customers, events, rows of a summary), read with
/// fallible reservations: serde's `Vec` grows infallibly, and a refused growth would abort the
/// backend. A refusal is the error [`from_json_object`] reports as 53200; anything else reads
/// (and fails, with the same messages) as a `Vec` does.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct JsonVec<T>(pub Vec<T>);

impl<T> std::ops::Deref for JsonVec<T> {
    type Target = Vec<T>;

    fn deref(&self) -> &Vec<T> {
        &self.0
    }
}

impl<T> IntoIterator for JsonVec<T> {
    type Item = T;
    type IntoIter = std::vec::IntoIter<T>;

    fn into_iter(self) -> Self::IntoIter {
        self.0.into_iter()
    }
}

impl<'a, T> IntoIterator for &'a JsonVec<T> {
    type Item = &'a T;
    type IntoIter = std::slice::Iter<'a, T>;

    fn into_iter(self) -> Self::IntoIter {
        self.0.iter()
    }
}

/// A `Vec` field of a text form read as a [`JsonVec`]
/// (`#[serde(deserialize_with = "json_vec")]`, for a form also written with serde).
pub fn json_vec<'de, D, T>(deserializer: D) -> Result<Vec<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: serde::Deserialize<'de>,
{
    <JsonVec<T> as serde::Deserialize>::deserialize(deserializer).map(|items| items.0)
}

/// A `Decimal` field of a text form, exactly: a string of plain decimal digits (`"70000.50"`) or
/// a JSON integer; more than 28 decimal places or a mantissa past 96 bits is an error, never a
/// rounded value (`Decimal`'s own reader rounds extra decimal places away), and so is a JSON
/// fraction (a binary double, `70000.5`).
pub fn exact_decimal<'de, D>(deserializer: D) -> Result<rust_decimal::Decimal, D::Error>
where
    D: serde::Deserializer<'de>,
{
    struct Exact;
    impl serde::de::Visitor<'_> for Exact {
        type Value = rust_decimal::Decimal;

        fn expecting(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            formatter.write_str(
                "a decimal number as a string, at most 28 digits after the point and 29 in all",
            )
        }

        fn visit_str<E: serde::de::Error>(self, text: &str) -> Result<Self::Value, E> {
            let plain = !text.is_empty()
                && text
                    .strip_prefix('-')
                    .unwrap_or(text)
                    .bytes()
                    .all(|byte| byte.is_ascii_digit() || byte == b'.');
            plain
                .then(|| rust_decimal::Decimal::from_str_exact(text).ok())
                .flatten()
                .ok_or_else(|| E::invalid_value(serde::de::Unexpected::Str(text), &self))
        }

        fn visit_u64<E: serde::de::Error>(self, value: u64) -> Result<Self::Value, E> {
            Ok(rust_decimal::Decimal::from(value))
        }

        fn visit_i64<E: serde::de::Error>(self, value: i64) -> Result<Self::Value, E> {
            Ok(rust_decimal::Decimal::from(value))
        }
    }
    deserializer.deserialize_any(Exact)
}

/// An `Option<Vec>` field of a text form read as an optional [`JsonVec`] (with
/// `#[serde(default)]` when the field may be left out).
pub fn json_optional_vec<'de, D, T>(deserializer: D) -> Result<Option<Vec<T>>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: serde::Deserialize<'de>,
{
    <Option<JsonVec<T>> as serde::Deserialize>::deserialize(deserializer)
        .map(|items| items.map(|items| items.0))
}

/// Bytes of room a [`JsonVec`] takes before its first item, whatever length the input
/// claims; past it the vector doubles as items arrive.
const FIRST_ROOM_BYTES: usize = 1 << 16;

/// Makes room for `additional` more items in `items` (a [`JsonVec`] being read), or the
/// [`REFUSED`] error.
fn reserve_items<T, E: serde::de::Error>(items: &mut Vec<T>, additional: usize) -> Result<(), E> {
    items.try_reserve(additional).map_err(|_| {
        E::custom(format_args!(
            "{REFUSED}{}",
            items
                .len()
                .saturating_add(additional)
                .saturating_mul(std::mem::size_of::<T>())
        ))
    })
}

impl<'de, T: serde::Deserialize<'de>> serde::Deserialize<'de> for JsonVec<T> {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Items<T>(std::marker::PhantomData<T>);

        impl<'de, T: serde::Deserialize<'de>> serde::de::Visitor<'de> for Items<T> {
            type Value = JsonVec<T>;

            fn expecting(&self, formatter: &mut std::fmt::Formatter) -> std::fmt::Result {
                // serde's words for a `Vec`, so malformed text reads as it did.
                formatter.write_str("a sequence")
            }

            fn visit_seq<A: serde::de::SeqAccess<'de>>(
                self,
                mut sequence: A,
            ) -> Result<JsonVec<T>, A::Error> {
                let mut items = Vec::new();
                let first = FIRST_ROOM_BYTES / std::mem::size_of::<T>().max(1);
                reserve_items(&mut items, sequence.size_hint().unwrap_or(0).min(first))?;
                while let Some(item) = sequence.next_element()? {
                    if items.len() == items.capacity() {
                        let more = items.len().max(4);
                        reserve_items(&mut items, more)?;
                    }
                    items.push(item);
                }
                Ok(JsonVec(items))
            }
        }

        deserializer.deserialize_seq(Items(std::marker::PhantomData))
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn longer_spellings_of_varints_are_refused() {
        use crate::common::codec::{Reader, Writer};
        let read = |bytes: &[u8]| {
            let mut form = vec![1u8];
            form.extend_from_slice(bytes);
            // Padding past the varint, so that the 8-byte load is taken too.
            form.extend_from_slice(&[0; 8]);
            let mut reader = Reader::open(&form, 1, "test").unwrap();
            reader.u64()
        };
        assert_eq!(read(&[0x01]).unwrap(), 1);
        assert_eq!(read(&[0x80, 0x01]).unwrap(), 128);
        assert_eq!(read(&[0x00]).unwrap(), 0);
        for overlong in [&[0x81, 0x00][..], &[0x80, 0x00], &[0xff, 0x80, 0x00]] {
            assert!(read(overlong).is_err(), "{overlong:?}");
        }
        // Near the end of the data (the byte-by-byte reader) and for u128.
        let mut reader = Reader::open(&[1, 0x81, 0x00], 1, "test").unwrap();
        assert!(reader.u64().is_err());
        let mut reader = Reader::open(&[1, 0x81, 0x00], 1, "test").unwrap();
        assert!(reader.u128().is_err());
        let mut writer = Writer::with_version(1);
        writer.u64(300).u128(1 << 100);
        let bytes = writer.finish("test").unwrap();
        let mut reader = Reader::open(&bytes, 1, "test").unwrap();
        assert_eq!(reader.u64().unwrap(), 300);
        assert_eq!(reader.u128().unwrap(), 1 << 100);
    }

    #[test]
    fn serde_errors_name_sql_not_rust_types() {
        assert_eq!(
            in_sql_words("invalid value: integer `-1`, expected u8 at line 1 column 80"),
            "invalid value: integer `-1`, expected an integer from 0 to 255 at line 1 column 80"
        );
        assert_eq!(
            in_sql_words("invalid type: string \"x\", expected f64"),
            "invalid type: string \"x\", expected a number"
        );
        assert_eq!(
            in_sql_words("invalid length 2, expected a tuple of size 3"),
            "invalid length 2, expected a tuple of size 3"
        );
        assert_eq!(in_sql_words("expected u64expected"), "expected u64expected");
    }

    use super::*;

    #[test]
    fn unsupported_versions_name_the_versions_read() {
        let message = |versions: std::ops::RangeInclusive<u8>| match Reader::open_versions(
            &[9, 0],
            versions,
            "crm.t",
        ) {
            Err(MetricError::InvalidBinary(message)) => message,
            other => panic!("{other:?}"),
        };
        assert_eq!(
            message(1..=2),
            "crm.t: unsupported binary format version 9 (expected 1 to 2)"
        );
        assert_eq!(
            message(1..=1),
            "crm.t: unsupported binary format version 9 (expected 1)"
        );
        assert!(Reader::open_versions(&[1, 0], 1..=2, "crm.t").is_ok());
    }

    #[test]
    fn round_trips_every_kind() {
        let mut writer = Writer::with_version(3);
        writer
            .u8(7)
            .u64(0)
            .u64(u64::MAX)
            .i64(-1)
            .i64(i64::MIN)
            .u128(u128::MAX)
            .f64(1.5);
        writer.bytes(b"abc");
        let bytes = writer.finish("t").unwrap();
        let mut reader = Reader::open(&bytes, 3, "t").unwrap();
        assert_eq!(reader.u8().unwrap(), 7);
        assert_eq!(reader.u64().unwrap(), 0);
        assert_eq!(reader.u64().unwrap(), u64::MAX);
        assert_eq!(reader.i64().unwrap(), -1);
        assert_eq!(reader.i64().unwrap(), i64::MIN);
        assert_eq!(reader.u128().unwrap(), u128::MAX);
        assert_eq!(reader.f64().unwrap(), 1.5);
        assert_eq!(reader.bytes().unwrap(), b"abc");
        reader.finish().unwrap();
    }

    #[test]
    fn rejects_bad_version_and_truncation() {
        assert!(Reader::open(&[], 1, "t").is_err());
        assert!(Reader::open(&[2], 1, "t").is_err());
        let mut reader = Reader::open(&[1, 0x80], 1, "t").unwrap();
        assert!(reader.u64().is_err());
        let mut reader = Reader::open(&[1, 5, 1], 1, "t").unwrap();
        assert!(reader.bytes().is_err());
        assert!(Reader::open(&[1, 0], 1, "t").unwrap().finish().is_err());
        // A 128-bit varint whose 19th byte carries bits past 2^128.
        let mut too_long = vec![1];
        too_long.extend([0xff; 18]);
        too_long.push(0x04);
        assert!(Reader::open(&too_long, 1, "t").unwrap().u128().is_err());
        let mut longest = vec![1];
        longest.extend([0xff; 18]);
        longest.push(0x03);
        assert_eq!(
            Reader::open(&longest, 1, "t").unwrap().u128().unwrap(),
            u128::MAX
        );
        // A 64-bit varint whose tenth byte carries bits past 2^64 (2^64 + 2^63 - 1).
        let mut too_long = vec![1];
        too_long.extend([0xff; 9]);
        too_long.push(0x02);
        let error = Reader::open(&too_long, 1, "t").unwrap().u64().unwrap_err();
        assert!(error.to_string().contains("malformed varint"), "{error}");
        let mut longest = vec![1];
        longest.extend([0xff; 9]);
        longest.push(0x01);
        assert_eq!(
            Reader::open(&longest, 1, "t").unwrap().u64().unwrap(),
            u64::MAX
        );
    }

    proptest::proptest! {
        /// The 8-byte path of `Reader::u64` reads what the byte-by-byte one reads (value, length,
        /// or error), on any bytes: canonical, padded, truncated or malformed varints.
        #[test]
        fn word_and_bytewise_varint_reads_agree(
            bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..24),
            shift in 0u32..64,
            ones in proptest::prelude::any::<bool>(),
        ) {
            let mut data = vec![1u8];
            // Arbitrary bytes, then a written varint followed by the arbitrary bytes again.
            data.extend(&bytes);
            let mut writer = Writer::with_version(1);
            writer.u64(if ones { u64::MAX >> shift } else { 1u64 << shift });
            data.extend(&writer.finish("t").unwrap()[1..]);
            data.extend(&bytes);
            for start in 1..data.len() {
                let mut word = Reader::open(&data, 1, "t").unwrap();
                let mut bytewise = Reader::open(&data, 1, "t").unwrap();
                word.position = start;
                bytewise.position = start;
                let (fast, slow) = (word.u64().ok(), bytewise.u64_bytewise().ok());
                proptest::prop_assert_eq!(fast, slow);
                proptest::prop_assert_eq!(word.position, bytewise.position);
            }
        }
    }

    proptest::proptest! {
        /// The one-store path of `Writer::u64` writes the varint the byte-by-byte
        /// `Writer::fill_u64` writes, for values of every width.
        #[test]
        fn word_and_bytewise_varint_writes_agree(
            value in proptest::prelude::any::<u64>(),
            shift in 0u32..64,
        ) {
            let value = value >> shift;
            let mut direct = Writer::with_version(1);
            direct.u64(value).u8(9);
            let mut filled = Writer::with_version(1);
            let at = filled.len();
            filled.gap(varint_len(value)).u8(9);
            filled.fill_u64(at, value);
            proptest::prop_assert_eq!(direct.finish("t").unwrap(), filled.finish("t").unwrap());
        }
    }

    #[test]
    fn refused_decoding_vector_is_53200_naming_the_type() {
        // A count no allocator satisfies: 53200 naming the type being decoded, not an abort.
        let reader = Reader::open(&[1], 1, "crm.t").unwrap();
        let error = reader
            .vec::<[u64; 4]>(isize::MAX as usize / 32 - 1)
            .unwrap_err();
        let MetricError::OutOfMemory(message) = error else {
            panic!("not 53200: {error:?}");
        };
        assert!(
            message.starts_with("crm.t: out of memory decoding a value of "),
            "{message}"
        );
        assert_eq!(reader.vec::<u64>(4).unwrap().capacity(), 4);
    }

    #[test]
    fn refused_growth_is_53200_and_sticky() {
        // A reservation no allocator satisfies (near `isize::MAX` bytes) and one past what a
        // vector may hold at all: neither aborts, both end in `finish` as 53200.
        for wanted in [isize::MAX as usize - 64, usize::MAX] {
            let mut writer = Writer::with_version(1);
            writer.u8(7).reserve(wanted);
            // Writes after the refusal are dropped without growing again; a gap left after it
            // is not filled.
            writer
                .u64(u64::MAX)
                .u128(u128::MAX)
                .f64(1.0)
                .bytes(&[1; 64]);
            let at = writer.len();
            writer.gap(9);
            writer.fill_u64(at + 40, u64::MAX);
            let error = writer.finish("crm.t").unwrap_err();
            // The variant raised as SQLSTATE 53200 (`common::pg`).
            let MetricError::OutOfMemory(message) = error else {
                panic!("not an out-of-memory error: {error:?}");
            };
            assert!(
                message.starts_with("crm.t: out of memory encoding a value of "),
                "{message}"
            );
        }
    }

    #[test]
    fn refused_text_growth_is_53200_and_sticky() {
        use std::fmt::Write as _;
        let mut text = TextWriter::with_capacity(isize::MAX as usize - 64);
        text.push_str("{");
        let _ = write!(text, "{}", 42);
        let error = text.finish("crm.t").unwrap_err();
        let MetricError::OutOfMemory(message) = error else {
            panic!("not an out-of-memory error: {error:?}");
        };
        assert!(
            message.starts_with("crm.t: out of memory encoding"),
            "{message}"
        );
        let mut text = TextWriter::with_capacity(4);
        text.push('{');
        let _ = write!(text, r#""a":{}"#, 1.5);
        text.push_str("}");
        assert_eq!(text.finish("t").unwrap(), r#"{"a":1.5}"#);
        assert_eq!(json_text("t", &[1, 2]).unwrap(), "[1,2]");
    }

    #[test]
    fn refused_text_array_is_53200_naming_the_type() {
        // An item whose reading asks a reservation no allocator satisfies, as a huge array's
        // growth would: the error travels out of the `JsonVec` and serde_json (which appends
        // the place in the text) and is 53200 naming the type, not an abort.
        struct Impossible;
        impl<'de> serde::Deserialize<'de> for Impossible {
            fn deserialize<D: serde::Deserializer<'de>>(input: D) -> Result<Self, D::Error> {
                <serde::de::IgnoredAny as serde::Deserialize>::deserialize(input)?;
                reserve_items::<[u64; 4], D::Error>(&mut Vec::new(), isize::MAX as usize / 32 - 1)?;
                Ok(Impossible)
            }
        }
        type Form = std::collections::BTreeMap<String, JsonVec<Impossible>>;
        let Err(MetricError::OutOfMemory(message)) =
            from_json_object::<Form>("crm.t", r#"{"rows":[1]}"#)
        else {
            panic!("not 53200");
        };
        assert!(
            message.starts_with("crm.t: out of memory decoding a value of "),
            "{message}"
        );
        // The bytes asked for, read back from serde_json's message.
        let refused: serde_json::Error =
            reserve_items::<u64, _>(&mut Vec::new(), usize::MAX / 16).unwrap_err();
        assert_eq!(
            refused_bytes(&format!("{refused} at line 1 column 9")),
            Some(usize::MAX / 16 * 8)
        );
        reserve_items::<u64, serde_json::Error>(&mut Vec::new(), 8).unwrap();
    }

    #[test]
    fn messages_of_malformed_text_never_quote_a_long_string_whole() {
        use crate::common::codec::{display_prefix, from_json_object, overlong_token};
        use crate::common::codec::{LONGEST_TEXT_NUMBER, LONGEST_TEXT_STRING};
        #[derive(serde::Deserialize, Debug)]
        struct Counts {
            #[allow(dead_code)]
            promoters: u64,
        }
        // A wrong-typed string: serde quotes it, escaped; the message keeps its first kilobyte.
        let long = format!("{{\"promoters\":\"{}\"}}", "\\u0001".repeat(100_000));
        let message = from_json_object::<Counts>("crm.t", &long)
            .unwrap()
            .unwrap_err();
        assert!(message.starts_with("invalid type: string"), "{message}");
        assert!(
            message.len() < 1100 && message.ends_with("..."),
            "{}",
            message.len()
        );
        // Past the longest string or number of a text form, serde never sees it.
        let huge = format!(
            "{{\"promoters\":\"{}\"}}",
            "a\\\"".repeat(LONGEST_TEXT_STRING / 3 + 1)
        );
        let message = from_json_object::<Counts>("crm.t", &huge)
            .unwrap()
            .unwrap_err();
        assert!(
            message.starts_with("a string of 1048578 bytes at byte 13"),
            "{message}"
        );
        let digits = format!("{{\"promoters\":{}}}", "1".repeat(LONGEST_TEXT_NUMBER + 1));
        let message = from_json_object::<Counts>("crm.t", &digits)
            .unwrap()
            .unwrap_err();
        assert!(
            message.starts_with("a number of 1025 bytes at byte 13"),
            "{message}"
        );
        // Unclosed, escaped quotes inside, and tokens at the limits.
        let open = format!("{{\"promoters\":\"{}", "b".repeat(LONGEST_TEXT_STRING + 1));
        assert!(overlong_token(&open)
            .unwrap()
            .starts_with("a string of 1048577 bytes at byte 13"));
        let at_limit = format!(
            "[\"{}\",\"\\\"\",-{}]",
            "c".repeat(LONGEST_TEXT_STRING),
            "9".repeat(LONGEST_TEXT_NUMBER - 1)
        );
        assert_eq!(overlong_token(&at_limit), None);
        assert_eq!(overlong_token("{\"a\\"), None);
        // A prefix cut inside a character keeps whole characters.
        assert_eq!(display_prefix(&"ab\u{e9}cd", 3), "ab...");
        assert_eq!(display_prefix(&"abc", 3), "abc");
    }

    #[test]
    fn text_arrays_read_and_fail_as_vectors_do() {
        #[derive(serde::Deserialize, Debug, PartialEq)]
        struct Fallible {
            rows: JsonVec<(String, JsonVec<i64>)>,
        }
        #[derive(serde::Deserialize, Debug, PartialEq)]
        struct Plain {
            rows: Vec<(String, Vec<i64>)>,
        }
        let rows: Vec<(String, Vec<i64>)> = (0..5000)
            .map(|n| (n.to_string(), (0..n % 7).collect()))
            .collect();
        let text = format!(r#"{{"rows":{}}}"#, serde_json::to_string(&rows).unwrap());
        let read: Fallible = from_json_object("crm.t", &text).unwrap().unwrap();
        assert_eq!(read.rows.len(), rows.len());
        for ((id, periods), (plain_id, plain_periods)) in read.rows.into_iter().zip(&rows) {
            assert_eq!((&id, &periods.0), (plain_id, plain_periods));
        }
        // Malformed text: the messages a `Vec` gives, 22P02 in the callers.
        for malformed in [
            r#"{"rows":[["a",[1,"x"]]]}"#,
            r#"{"rows":{"a":1}}"#,
            r#"{"rows":[["a",7]]}"#,
            r#"{"rows":[["a",[1,2]],]}"#,
            r#"{"rows":[["a",[1,2]]"#,
            r#"{"rows":"refused a reservation of 12"}"#,
            r#"[1]"#,
        ] {
            let fallible = from_json_object::<Fallible>("crm.t", malformed).unwrap();
            let plain = from_json_object::<Plain>("crm.t", malformed).unwrap();
            assert_eq!(fallible.unwrap_err(), plain.unwrap_err(), "{malformed}");
        }
    }

    #[test]
    fn reserved_room_is_written_without_refusal() {
        let mut writer = Writer::with_version(1);
        writer.reserve(1 << 20).bytes(&[5; 1000]);
        assert_eq!(writer.len(), 1 + 2 + 1000);
        assert_eq!(writer.finish("t").unwrap()[3..], [5; 1000]);
    }

    #[test]
    fn varint_widths_and_filled_gaps_match_written_varints() {
        for shift in 0..64 {
            for value in [
                1u64 << shift,
                (1u64 << shift) - 1,
                (1u64 << shift) + 1,
                u64::MAX,
            ] {
                let mut direct = Writer::with_version(1);
                direct.u8(9).u64(value).u8(9);
                let mut filled = Writer::with_version(1);
                filled.u8(9);
                let at = filled.len();
                filled.gap(varint_len(value)).u8(9);
                filled.fill_u64(at, value);
                assert_eq!(direct.len(), 3 + varint_len(value), "{value}");
                assert_eq!(
                    filled.finish("t").unwrap(),
                    direct.finish("t").unwrap(),
                    "{value}"
                );
            }
        }
    }
}
