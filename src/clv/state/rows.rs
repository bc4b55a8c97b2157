//! Fitting inputs merged into distinct rows with weights: a million customers with the same
//! `(frequency, recency, T)` are one row of weight 1,000,000, which is what keeps the fits cheap.
use crate::common::codec::{Reader, Writer};
use crate::common::error::{Float8, MetricError, MetricResult};
use crate::common::interrupt::checked;
use crate::common::limits::{check_state_bytes, decoding_out_of_memory, out_of_memory, reserve};

/// What the rows are, for the memory errors.
pub(super) const WHAT: &str = "distinct model input rows";
use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

/// A distinct input row: three 64-bit words (integers, or the bits of finite floats).
pub type RowKey = [u64; 3];

/// A small hasher for [`RowKey`]s (the per-row path of every fit aggregate): folded
/// multiplies, the high and low halves of a 128-bit product xored, which mix every input bit
/// into both the low bits (the table's bucket) and the high ones (its tag), also for keys that
/// differ only in a few bits of a float, such as day-grained ages and recencies in weeks.
#[derive(Default)]
pub struct KeyHasher(u64);

const MIX: u64 = 0x9e37_79b9_7f4a_7c15;
const LOW_SEED: u64 = 0x243f_6a88_85a3_08d3;
const HIGH_SEED: u64 = 0x1319_8a2e_0370_7344;

#[inline]
fn folded_multiply(left: u64, right: u64) -> u64 {
    let product = u128::from(left) * u128::from(right);
    (product as u64) ^ ((product >> 64) as u64)
}

#[inline]
fn word_at(bytes: &[u8]) -> u64 {
    let mut word = [0u8; 8];
    word.copy_from_slice(bytes);
    u64::from_ne_bytes(word)
}

impl Hasher for KeyHasher {
    #[inline]
    fn finish(&self) -> u64 {
        self.0
    }

    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        // A `RowKey` arrives here as its 24 bytes (`u64::hash_slice`): two words multiplied
        // together, then the third.
        let mut pairs = bytes.chunks_exact(16);
        for pair in &mut pairs {
            let (low, high) = pair.split_at(8);
            self.0 = folded_multiply(self.0 ^ word_at(low) ^ LOW_SEED, word_at(high) ^ HIGH_SEED);
        }
        let mut words = pairs.remainder().chunks_exact(8);
        for word in &mut words {
            self.write_u64(word_at(word));
        }
        for &byte in words.remainder() {
            self.write_u64(u64::from(byte));
        }
    }

    #[inline]
    fn write_u64(&mut self, word: u64) {
        self.0 = folded_multiply(self.0 ^ word, MIX);
    }

    #[inline]
    fn write_usize(&mut self, word: usize) {
        self.write_u64(word as u64);
    }
}

/// Distinct rows and how many customers each stands for, with the fit's penalizer.
#[derive(Debug, Clone, Default)]
pub struct WeightedRows {
    counts: HashMap<RowKey, u64, BuildHasherDefault<KeyHasher>>,
    customers: u64,
    /// The penalizer of the rows that gave one (`None`: none did, the fit is unpenalized).
    penalizer: Option<f64>,
}

/// The bits of a finite float as a key word; -0.0 and 0.0 are one key.
#[inline]
pub fn float_word(value: f64) -> u64 {
    (value + 0.0).to_bits()
}

/// Distinct rows one fit holds at most (about 40 bytes each): a failed allocation in Rust
/// aborts the backend, so the state stops with a clean error before memory runs out.
const MAX_DISTINCT_ROWS: usize = 100_000_000;

/// Binary format version of [`WeightedRows`] (the aggregate states' serial form) without a
/// penalizer: the form of 0.2.0, still written for an unpenalized fit so that nodes of either
/// release read it.
const FORMAT_VERSION: u8 = 1;
/// The binary form with a penalizer (after the version byte, before the rows).
const PENALIZED_VERSION: u8 = 2;

impl WeightedRows {
    /// Adds `weight` customers with row `key`; the caller validated the row.
    #[inline]
    pub fn add(&mut self, function: &str, key: RowKey, weight: u64) -> MetricResult<()> {
        if weight == 0 {
            // A row standing for no customer: nothing to fit, and no distinct row either.
            return Ok(());
        }
        let overflow = || MetricError::OutOfRange(format!("{function}: more than 2^64 customers"));
        use std::collections::hash_map::Entry;
        let customers = self.customers.checked_add(weight).ok_or_else(overflow)?;
        let held = self.counts.len();
        // A new row when the table is full doubles it.
        if held == self.counts.capacity() && !self.counts.contains_key(&key) {
            check_state_bytes(function, WHAT, (self.heap_bytes() * 2).max(64))?;
            self.counts
                .try_reserve(1)
                .map_err(|_| out_of_memory(function, WHAT, held.saturating_add(1)))?;
        }
        match self.counts.entry(key) {
            Entry::Occupied(mut entry) => {
                let count = entry.get_mut();
                *count = count.checked_add(weight).ok_or_else(overflow)?;
            }
            Entry::Vacant(entry) => {
                if held >= MAX_DISTINCT_ROWS {
                    return Err(MetricError::OutOfRange(format!(
                        "{function}: more than {MAX_DISTINCT_ROWS} distinct input rows; fit on \
                         rounded inputs (e.g. whole days) or on a sample"
                    )));
                }
                entry.insert(weight);
            }
        }
        self.customers = customers;
        Ok(())
    }

    /// Records the penalizer of a row (validated: finite, non-negative); 22023 when an earlier
    /// row gave another.
    pub fn set_penalizer(&mut self, function: &str, penalizer: f64) -> MetricResult<()> {
        let penalizer = super::checked_penalizer(function, penalizer)?;
        if self.penalizer == Some(penalizer) {
            return Ok(());
        }
        super::agree_penalizer(function, &mut self.penalizer, penalizer, "an earlier row")
    }

    /// The penalizer of the fit: the one the rows gave, else 0.
    pub fn penalizer(&self) -> f64 {
        self.penalizer.unwrap_or(0.0)
    }

    /// Sets the penalizer as given (`None`: none given), e.g. the one of the purchases the rows
    /// come from.
    pub fn with_penalizer(mut self, penalizer: Option<f64>) -> Self {
        self.penalizer = penalizer;
        self
    }

    /// Adds every row of `other`; both must have the same penalizer, or one none.
    pub fn merge(&mut self, function: &str, other: &WeightedRows) -> MetricResult<()> {
        if let Some(penalizer) = other.penalizer {
            super::agree_penalizer(
                function,
                &mut self.penalizer,
                penalizer,
                "another partial state",
            )?;
        }
        let entry = std::mem::size_of::<(RowKey, u64)>() + 1;
        let wanted = (self.counts.len() + other.counts.len()).saturating_mul(entry);
        check_state_bytes(function, "distinct model input rows", wanted)?;
        let wanted = self.counts.len().saturating_add(other.counts.len());
        self.counts
            .try_reserve(other.counts.len())
            .map_err(|_| out_of_memory(function, WHAT, wanted))?;
        for (key, &weight) in checked(&other.counts) {
            self.add(function, *key, weight)?;
        }
        Ok(())
    }

    /// Total weight (customers) over all rows.
    pub fn customers(&self) -> u64 {
        self.customers
    }

    /// Number of distinct rows.
    pub fn len(&self) -> usize {
        self.counts.len()
    }

    pub fn is_empty(&self) -> bool {
        self.counts.is_empty()
    }

    /// Rows with their weights, in key order (deterministic fits whatever the arrival order).
    #[cfg(test)]
    pub fn sorted(&self) -> Vec<(RowKey, u64)> {
        self.sorted_into(Vec::with_capacity(self.counts.len()))
    }

    /// [`WeightedRows::sorted`] in a copy reserved fallibly: 53200 naming `function` when it
    /// cannot be allocated (a fit's input and the binary form copy every row).
    pub fn sorted_within(&self, function: &str) -> MetricResult<Vec<(RowKey, u64)>> {
        let mut sorted = Vec::new();
        reserve(&mut sorted, self.counts.len(), function, WHAT)?;
        Ok(self.sorted_into(sorted))
    }

    /// [`WeightedRows::sorted`] written into `rows`, which allocates nothing more when it has
    /// room for every row.
    fn sorted_into(&self, mut rows: Vec<(RowKey, u64)>) -> Vec<(RowKey, u64)> {
        rows.extend(self.counts.iter().map(|(k, w)| (*k, *w)));
        rows.sort_unstable_by_key(|(key, _)| *key);
        rows
    }

    /// Approximate heap bytes held (reported by the benchmarks as peak memory).
    pub fn heap_bytes(&self) -> usize {
        self.counts.capacity() * (std::mem::size_of::<(RowKey, u64)>() + 1)
    }

    /// Version byte, the penalizer when one was given (version 2; without one, version 1),
    /// row count, then per row (in key order, so that equal states have one binary form) the
    /// three key words and the weight as varints.
    pub fn encode(&self) -> MetricResult<Vec<u8>> {
        let mut writer = match self.penalizer {
            None => Writer::with_version(FORMAT_VERSION),
            Some(penalizer) => {
                let mut writer = Writer::with_version(PENALIZED_VERSION);
                writer.f64(penalizer);
                writer
            }
        };
        writer.u64(self.counts.len() as u64);
        // The copy in key order is reserved fallibly, as the buffer is.
        for (key, weight) in checked(self.sorted_within("crm.fit_rows")?) {
            writer.u64(key[0]).u64(key[1]).u64(key[2]).u64(weight);
        }
        writer.finish("crm.fit_rows")
    }

    /// The rows' keys, in no particular order.
    pub fn keys(&self) -> impl Iterator<Item = &RowKey> {
        self.counts.keys()
    }

    /// Text form of `crm.fit_rows`: [`super::hex_text`] of the binary form.
    pub fn to_text(&self) -> MetricResult<String> {
        super::hex_text("crm.fit_rows", &self.encode()?)
    }

    /// Reads [`WeightedRows::to_text`] (rows of any model: each fit checks its own).
    pub fn from_text(text: &str) -> MetricResult<Self> {
        super::state_from_text("crm.fit_rows", text, WeightedRows::decode)
    }

    /// Inverse of [`WeightedRows::encode`]: the binary form of `crm.fit_rows` read back.
    pub fn decode(bytes: &[u8]) -> MetricResult<Self> {
        let what = "crm.fit_rows";
        let (mut reader, version) =
            Reader::open_versions(bytes, FORMAT_VERSION..=PENALIZED_VERSION, what)?;
        let penalizer = if version == PENALIZED_VERSION {
            let penalizer = reader.f64()?;
            // Only what set_penalizer keeps: finite, non-negative, never -0.0.
            if !penalizer.is_finite() || penalizer.is_sign_negative() {
                return Err(MetricError::InvalidBinary(format!(
                    "{what}: penalizer {} must be finite and non-negative",
                    Float8(penalizer)
                )));
            }
            Some(penalizer)
        } else {
            None
        };
        let declared = reader.u64()?;
        let rows = usize::try_from(declared)
            .ok()
            .filter(|&rows| rows <= reader.remaining() / 4)
            .ok_or_else(|| {
                MetricError::InvalidBinary(format!("{what}: row count exceeds the data"))
            })?;
        let mut decoded = WeightedRows {
            penalizer,
            ..WeightedRows::default()
        };
        decoded.counts.try_reserve(rows).map_err(|_| {
            decoding_out_of_memory(
                what,
                rows.saturating_mul(std::mem::size_of::<(RowKey, u64)>()),
            )
        })?;
        let mut previous: Option<RowKey> = None;
        for _ in checked(0..rows) {
            let key = [reader.u64()?, reader.u64()?, reader.u64()?];
            let weight = reader.u64()?;
            // Rows in strictly increasing key order, each of a positive weight: the one binary
            // form of a state (a row of weight 0 is never kept).
            if previous.is_some_and(|previous| previous >= key) {
                return Err(MetricError::InvalidBinary(format!(
                    "{what}: rows out of order or repeated"
                )));
            }
            if weight == 0 {
                return Err(MetricError::InvalidBinary(format!(
                    "{what}: a row of weight 0"
                )));
            }
            previous = Some(key);
            decoded
                .add(what, key, weight)
                .map_err(|error| MetricError::InvalidBinary(error.to_string()))?;
        }
        reader.finish()?;
        Ok(decoded)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn rows_of_weight_zero_are_no_rows() {
        let mut rows = WeightedRows::default();
        rows.add("t", [1, 2, 3], 0).unwrap();
        assert_eq!(rows.len(), 0);
        assert_eq!(rows.customers(), 0);
        rows.add("t", [1, 2, 3], 2).unwrap();
        rows.add("t", [4, 5, 6], 0).unwrap();
        assert_eq!(rows.len(), 1);
        assert_eq!(rows.customers(), 2);
    }

    fn rows_of(keys: &[(u8, u8)]) -> WeightedRows {
        let mut rows = WeightedRows::default();
        for &(key, weight) in keys {
            rows.add(
                "t",
                [u64::from(key % 7), float_word(f64::from(key)), 0],
                u64::from(weight),
            )
            .unwrap();
        }
        rows
    }

    proptest! {
        #[test]
        fn split_and_merge_equals_one_pass(keys in proptest::collection::vec((0u8..20, 0u8..5), 0..60), cut in 0usize..60) {
            let cut = cut.min(keys.len());
            let whole = rows_of(&keys);
            let mut first = rows_of(&keys[..cut]);
            let second = rows_of(&keys[cut..]);
            first.merge("t", &second).unwrap();
            prop_assert_eq!(first.sorted(), whole.sorted());
            prop_assert_eq!(first.customers(), whole.customers());
            let mut other_order = second.clone();
            other_order.merge("t", &rows_of(&keys[..cut])).unwrap();
            prop_assert_eq!(other_order.sorted(), whole.sorted());
            let decoded = WeightedRows::decode(&whole.encode().unwrap()).unwrap();
            prop_assert_eq!(decoded.sorted(), whole.sorted());
        }
    }

    #[test]
    fn the_penalizer_is_kept_merged_and_shipped() {
        let mut rows = rows_of(&[(1, 1), (2, 3)]);
        // Without a penalizer the binary form is the first one, as 0.2.0 wrote it.
        let plain = rows.encode().unwrap();
        assert_eq!(plain[0], FORMAT_VERSION);
        assert_eq!(rows.penalizer(), 0.0);
        rows.set_penalizer("crm.f", 0.01).unwrap();
        rows.set_penalizer("crm.f", 0.01).unwrap();
        let error = rows.set_penalizer("crm.f", 0.02).unwrap_err();
        assert_eq!(
            error,
            MetricError::InvalidParameter(
                "crm.f: penalizer 0.02 differs from penalizer 0.01 of an earlier row; the \
                 penalizer must be the same on every row of a fit"
                    .into()
            )
        );
        for bad in [-1.0, f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
            let error = WeightedRows::default()
                .set_penalizer("crm.f", bad)
                .unwrap_err();
            assert!(
                matches!(&error, MetricError::InvalidParameter(m) if m.starts_with("crm.f: penalizer")),
                "{error:?}"
            );
        }
        // -0.0 is 0.
        let mut zero = WeightedRows::default();
        zero.set_penalizer("crm.f", -0.0).unwrap();
        assert!(zero.penalizer().is_sign_positive());
        // The penalized form round-trips; the old form reads as unpenalized.
        let shipped = rows.encode().unwrap();
        assert_eq!(shipped[0], PENALIZED_VERSION);
        let decoded = WeightedRows::decode(&shipped).unwrap();
        assert_eq!(decoded.penalizer(), 0.01);
        assert_eq!(decoded.sorted(), rows.sorted());
        assert_eq!(
            WeightedRows::from_text(&rows.to_text().unwrap())
                .unwrap()
                .penalizer(),
            0.01
        );
        let old = WeightedRows::decode(&plain).unwrap();
        assert_eq!((old.penalizer, old.sorted()), (None, rows.sorted()));
        // Merging: an empty (or unpenalized) side takes the other's; two penalizers must agree.
        let mut empty = WeightedRows::default();
        empty.merge("crm.f", &rows).unwrap();
        assert_eq!(empty.penalizer(), 0.01);
        let mut unpenalized = rows_of(&[(5, 1)]);
        unpenalized.merge("crm.f", &rows).unwrap();
        assert_eq!(unpenalized.penalizer(), 0.01);
        let mut other = rows_of(&[(5, 1)]);
        other.set_penalizer("crm.f", 0.5).unwrap();
        let error = other.merge("crm.f", &rows).unwrap_err();
        assert!(
            matches!(&error, MetricError::InvalidParameter(m) if m.contains("penalizer 0.01 differs from penalizer 0.5 of another partial state")),
            "{error:?}"
        );
        // A penalizer the transitions cannot make is corrupt.
        for bad in [-1.0, -0.0, f64::NAN, f64::INFINITY] {
            let mut bytes = vec![PENALIZED_VERSION];
            bytes.extend_from_slice(&bad.to_le_bytes());
            bytes.push(0);
            assert!(WeightedRows::decode(&bytes).is_err(), "{bad}");
        }
    }

    #[test]
    fn rejects_corrupt_bytes_and_overflow() {
        assert!(WeightedRows::decode(&[]).is_err());
        assert!(WeightedRows::decode(&[1, 200]).is_err());
        let mut rows = WeightedRows::default();
        rows.add("t", [0; 3], u64::MAX).unwrap();
        assert!(matches!(
            rows.add("t", [1, 0, 0], 1),
            Err(MetricError::OutOfRange(_))
        ));
        assert_eq!(float_word(-0.0), float_word(0.0));
    }
}
