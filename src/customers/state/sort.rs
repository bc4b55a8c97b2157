//! Sorting the rows a summary collects, `(started_at, ended_at)` pairs, faster than a
//! comparison sort: a least-significant-digit radix sort on `started_at` (11-bit digits, one
//! counting pass for all digits, the digits on which every row agrees skipped), then the rows
//! of equal `started_at` (rare among real lifetimes) sorted by `ended_at`. The order is exactly
//! that of `sort_unstable` on the pairs.
use crate::common::interrupt::{check, checked, STRIDE};

/// Bits of one radix digit: 2,048 buckets, so the counts of a digit stay in the L1 cache.
const DIGIT_BITS: u32 = 11;
const BUCKETS: usize = 1 << DIGIT_BITS;
const DIGIT_MASK: u64 = (BUCKETS as u64) - 1;
/// Digits of a 64-bit key (the last one 9 bits wide).
const DIGITS: usize = 64_usize.div_ceil(DIGIT_BITS as usize);
/// Below this many rows a comparison sort is as fast, and needs no second buffer.
const RADIX_MIN_ROWS: usize = 512;

/// Rows as the summary collects them: `(started_at, ended_at)`.
pub(super) type Row = (i64, i64);

/// The start as an unsigned key of the same order.
#[inline(always)]
fn start_key(row: &Row) -> u64 {
    (row.0 as u64) ^ (1 << 63)
}

#[inline(always)]
fn digit(key: u64, position: usize) -> usize {
    ((key >> (position as u32 * DIGIT_BITS)) & DIGIT_MASK) as usize
}

/// Sorts `rows` as `rows.sort_unstable()` does. `scratch` must be empty; when its capacity
/// holds `rows` (the caller reserves it within its memory bounds) the rows are radix-sorted
/// through it, else (or for few rows) compared. `scratch` is left empty.
pub(super) fn sort_rows(rows: &mut [Row], scratch: &mut Vec<Row>) {
    debug_assert!(scratch.is_empty());
    if rows.len() < RADIX_MIN_ROWS || scratch.capacity() < rows.len() {
        rows.sort_unstable();
        return;
    }
    scratch.extend_from_slice(rows);
    radix_sort_by_start(rows, scratch);
    scratch.clear();
    sort_equal_starts(rows);
}

/// Sorts `rows` by `started_at` only (stable); `scratch` is a buffer of the same length.
fn radix_sort_by_start(rows: &mut [Row], scratch: &mut [Row]) {
    let len = rows.len();
    let mut counts = vec![[0usize; BUCKETS]; DIGITS];
    for chunk in rows.chunks(STRIDE as usize) {
        check();
        for row in chunk {
            let key = start_key(row);
            for (position, count) in counts.iter_mut().enumerate() {
                count[digit(key, position)] += 1;
            }
        }
    }
    // Whether the rows are in `rows` (else in `scratch`) before the next pass.
    let mut in_rows = true;
    for (position, count) in counts.iter_mut().enumerate() {
        let Some(first) = rows.first() else {
            return;
        };
        // A digit on which every row agrees leaves the order as it is (the first row's digit
        // is the same in both buffers).
        if count[digit(start_key(first), position)] == len {
            continue;
        }
        let mut offset = 0;
        for bucket in count.iter_mut() {
            let rows_in_bucket = *bucket;
            *bucket = offset;
            offset += rows_in_bucket;
        }
        let (source, target): (&[Row], &mut [Row]) = if in_rows {
            (rows, scratch)
        } else {
            (scratch, rows)
        };
        for chunk in source.chunks(STRIDE as usize) {
            check();
            for &row in chunk {
                let bucket = &mut count[digit(start_key(&row), position)];
                target[*bucket] = row;
                *bucket += 1;
            }
        }
        in_rows = !in_rows;
    }
    if !in_rows {
        rows.copy_from_slice(scratch);
    }
}

/// Sorts each run of equal `started_at` in rows sorted by it by `ended_at`.
fn sort_equal_starts(rows: &mut [Row]) {
    for run in checked(rows.chunk_by_mut(|a, b| a.0 == b.0)) {
        if run.len() > 1 {
            run.sort_unstable_by_key(|row| row.1);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{sort_rows, Row, RADIX_MIN_ROWS};
    use proptest::prelude::*;

    /// Sorts `rows` both ways and compares; the radix path whenever there are enough rows.
    fn sorts_like_the_standard_sort(rows: &[Row]) {
        let mut expected = rows.to_vec();
        expected.sort_unstable();
        let mut sorted = rows.to_vec();
        let mut scratch = Vec::with_capacity(rows.len());
        sort_rows(&mut sorted, &mut scratch);
        assert!(scratch.is_empty());
        assert_eq!(sorted, expected);
        // Without room for the second buffer: the comparison sort.
        let mut compared = rows.to_vec();
        sort_rows(&mut compared, &mut Vec::new());
        assert_eq!(compared, expected);
    }

    /// Deterministic pseudo-random numbers (SplitMix64).
    fn random(seed: &mut u64) -> u64 {
        *seed = seed.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = *seed;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    #[test]
    fn adversarial_inputs_sort_like_the_standard_sort() {
        let n = 4 * RADIX_MIN_ROWS;
        let mut seed = 7;
        let lifetimes: Vec<Row> = (0..n)
            .map(|_| {
                let start = (random(&mut seed) % (1 << 47)) as i64 + 7 * (1 << 56);
                let end = if random(&mut seed) % 3 == 0 {
                    i64::MAX
                } else {
                    start + (random(&mut seed) % (1 << 46)) as i64
                };
                (start, end)
            })
            .collect();
        let extremes = [i64::MIN, i64::MIN + 1, -1, 0, 1, i64::MAX - 1, i64::MAX];
        let full_range: Vec<Row> = (0..n)
            .map(|_| (random(&mut seed) as i64, random(&mut seed) as i64))
            .collect();
        let mut cases: Vec<Vec<Row>> = vec![
            lifetimes.clone(),
            full_range.clone(),
            // Every key equal, every start equal, starts equal in runs.
            vec![(5, 9); n],
            (0..n as i64).map(|i| (42, (i * 7919) % 1000)).collect(),
            (0..n as i64).map(|i| (i % 5, -i)).collect(),
            // The range ends of i64, alone and mixed with ordinary keys.
            (0..n)
                .map(|i| (extremes[i % 7], extremes[(i / 7) % 7]))
                .collect(),
            lifetimes
                .iter()
                .enumerate()
                .map(|(i, &(start, end))| {
                    if i % 3 == 0 {
                        (extremes[i % 7], end)
                    } else {
                        (start, end)
                    }
                })
                .collect(),
            // Keys differing only in the last digit, or only in the top bit.
            (0..n as i64).map(|i| (i % 3, 0)).collect(),
            (0..n)
                .map(|i| (if i % 2 == 0 { i64::MIN } else { 0 }, 1))
                .collect(),
            // Exactly at and below the radix threshold.
            lifetimes[..RADIX_MIN_ROWS].to_vec(),
            lifetimes[..RADIX_MIN_ROWS - 1].to_vec(),
            Vec::new(),
        ];
        let mut sorted = lifetimes.clone();
        sorted.sort_unstable();
        let mut reversed = sorted.clone();
        reversed.reverse();
        let mut full_sorted = full_range;
        full_sorted.sort_unstable();
        cases.extend([sorted, reversed, full_sorted]);
        for case in &cases {
            sorts_like_the_standard_sort(case);
        }
    }

    proptest! {
        #[test]
        fn random_rows_sort_like_the_standard_sort(
            rows in prop::collection::vec(
                (
                    prop_oneof![any::<i64>(), -3i64..3, Just(i64::MIN), Just(i64::MAX)],
                    prop_oneof![any::<i64>(), -3i64..3, Just(i64::MIN), Just(i64::MAX)],
                ),
                0..3 * RADIX_MIN_ROWS,
            ),
        ) {
            sorts_like_the_standard_sort(&rows);
        }

        #[test]
        fn near_keys_sort_like_the_standard_sort(
            base in any::<i64>(),
            offsets in prop::collection::vec((0i64..1 << 24, 0i64..4), RADIX_MIN_ROWS..3 * RADIX_MIN_ROWS),
        ) {
            let rows: Vec<Row> = offsets
                .iter()
                .map(|&(start, end)| (base.wrapping_add(start), end))
                .collect();
            sorts_like_the_standard_sort(&rows);
        }
    }
}
