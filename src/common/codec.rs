//! Compact binary encoding shared by every summary and aggregate state.
//!
//! Every encoded value starts with a format version byte; integers are LEB128
//! varints (signed ones zigzag-encoded) so small counts take one byte.
use super::error::{MetricError, MetricResult};

/// Appends values to a byte buffer.
#[derive(Debug, Default)]
pub struct Writer {
    bytes: Vec<u8>,
}

impl Writer {
    /// Starts a buffer with the given format version byte.
    pub fn with_version(version: u8) -> Self {
        Writer {
            bytes: vec![version],
        }
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

    /// Leaves `width` zero bytes to be filled later by [`Writer::fill_u64`].
    pub fn gap(&mut self, width: usize) -> &mut Self {
        self.bytes.resize(self.bytes.len() + width, 0);
        self
    }

    /// Writes `value`'s varint over the gap left at `at`, which must be exactly
    /// [`varint_len`]`(value)` bytes (so the result equals writing it there in order).
    pub fn fill_u64(&mut self, at: usize, mut value: u64) {
        for byte in &mut self.bytes[at..at + varint_len(value)] {
            *byte = if value >= 0x80 {
                (value as u8) | 0x80
            } else {
                value as u8
            };
            value >>= 7;
        }
    }

    /// Reserves room for at least `additional` more bytes.
    pub fn reserve(&mut self, additional: usize) -> &mut Self {
        self.bytes.reserve(additional);
        self
    }

    pub fn u8(&mut self, value: u8) -> &mut Self {
        self.bytes.push(value);
        self
    }

    #[inline(always)]
    pub fn u64(&mut self, mut value: u64) -> &mut Self {
        // One capacity check for the whole varint (at most 10 bytes), written straight into the
        // spare capacity: appending a stack buffer calls memmove for every value, and pushing
        // byte by byte checks the capacity for every byte.
        self.bytes.reserve(10);
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
        while value >= 0x80 {
            self.bytes.push((value as u8) | 0x80);
            value >>= 7;
        }
        self.bytes.push(value as u8);
        self
    }

    pub fn f64(&mut self, value: f64) -> &mut Self {
        self.bytes.extend_from_slice(&value.to_le_bytes());
        self
    }

    pub fn bytes(&mut self, value: &[u8]) -> &mut Self {
        self.u64(value.len() as u64);
        self.bytes.extend_from_slice(value);
        self
    }

    pub fn finish(self) -> Vec<u8> {
        self.bytes
    }
}

/// The value of the varint of `length` bytes (1 to 8) that starts `word` (little-endian): the
/// bytes past it masked off, the continuation bits cleared, and the 7-bit groups packed
/// together in three shift steps (pairs of groups, then pairs of pairs, then halves).
#[inline(always)]
fn pack_varint_groups(word: u64, length: usize) -> u64 {
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
            value |= u64::from(byte & 0x7f) << (7 * index);
            if byte & 0x80 == 0 {
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
/// a struct from a JSON array of its fields). The error is a message for an `InvalidText`.
pub fn from_json_object<T: serde::de::DeserializeOwned>(text: &str) -> Result<T, String> {
    if !text
        .trim_start_matches([' ', '\t', '\n', '\r'])
        .starts_with('{')
    {
        return Err("expected a JSON object".to_string());
    }
    serde_json::from_str(text).map_err(|error| error.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

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
        let bytes = writer.finish();
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
            data.extend(&writer.finish()[1..]);
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
            proptest::prop_assert_eq!(direct.finish(), filled.finish());
        }
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
                assert_eq!(filled.finish(), direct.finish(), "{value}");
            }
        }
    }
}
