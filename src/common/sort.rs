//! Sorting the big vectors of summaries (millions of events or durations) in place, faster than
//! a comparison sort when their keys are spread out.
//!
//! [`sort_spread`] distributes the items into up to 4096 buckets by the top bits of a *rank*
//! (an unsigned number that never decreases along the items' order: a key, a duration), moving
//! each item once, in place (American flag sort), then distributes each bucket again the same
//! way (within the CPU's caches) until buckets hold a few items, which the comparison sort
//! orders; a comparison sort of the whole vector would walk it about log2(n) times. An already
//! sorted vector is only checked. The result is exactly the comparison sort's:
//! the buckets are in rank order, so in the items' order, and each is sorted. Ranks crowded
//! into a few buckets (a few outliers far from the rest) make those buckets larger, never the
//! result different; at worst the sort costs one more pass than the comparison sort.
use super::interrupt::Ticker;
use std::cmp::Ordering;

/// Fewest items for which the buckets pay; smaller vectors are comparison-sorted directly.
const MIN_ITEMS: usize = 64;
/// Items per bucket aimed at, as a power of two: a bucket of one or two entities' events.
const ITEMS_PER_BUCKET_LOG: u32 = 3;
/// Most buckets of one pass, as a power of two: 4096 write positions stay in the CPU's caches.
/// Larger buckets are distributed again, within the caches.
const MAX_BUCKETS_LOG: u32 = 12;

/// Sorts `items` by `compare`, given `rank`, which must never decrease along that order
/// (`compare(a, b) == Less` implies `rank(a) <= rank(b)`). Checks for interrupts.
pub fn sort_spread<T: Copy>(
    items: &mut [T],
    rank: impl Fn(&T) -> u128 + Copy,
    compare: impl Fn(&T, &T) -> Ordering + Copy,
) {
    if items.is_sorted_by(|a, b| compare(a, b) != Ordering::Greater) {
        return;
    }
    let mut ticker = Ticker::new();
    distribute(items, rank, compare, &mut ticker);
}

/// One pass of [`sort_spread`]: buckets by the top bits of the ranks' span, each then
/// distributed again or comparison-sorted.
fn distribute<T: Copy>(
    items: &mut [T],
    rank: impl Fn(&T) -> u128 + Copy,
    compare: impl Fn(&T, &T) -> Ordering + Copy,
    ticker: &mut Ticker,
) {
    let n = items.len();
    let spread = if n >= MIN_ITEMS {
        bounds(items, &rank, ticker).filter(|(low, high)| low < high)
    } else {
        None
    };
    let Some((low, high)) = spread else {
        items.sort_unstable_by(compare);
        return;
    };
    let wanted_log = (usize::BITS - 1 - n.leading_zeros())
        .saturating_sub(ITEMS_PER_BUCKET_LOG)
        .min(MAX_BUCKETS_LOG);
    let span_bits = 128 - (high - low).leading_zeros();
    let shift = span_bits.saturating_sub(wanted_log);
    let buckets = ((high - low) >> shift) as usize + 1;
    let bucket = |item: &T| ((rank(item) - low) >> shift) as usize;

    let mut ends = vec![0usize; buckets];
    for item in items.iter() {
        ticker.tick();
        ends[bucket(item)] += 1;
    }
    let mut total = 0;
    for end in ends.iter_mut() {
        total += *end;
        *end = total;
    }
    // heads[b]: the next position of bucket b not yet holding one of its items.
    let mut heads: Vec<usize> = std::iter::once(0)
        .chain(ends[..buckets - 1].iter().copied())
        .collect();
    for current in 0..buckets {
        while heads[current] < ends[current] {
            // Carry the item found at the head of this bucket to its own bucket, taking the
            // item there along, until one belongs here.
            let mut carried = items[heads[current]];
            loop {
                ticker.tick();
                let target = bucket(&carried);
                if target == current {
                    break;
                }
                std::mem::swap(&mut carried, &mut items[heads[target]]);
                heads[target] += 1;
            }
            items[heads[current]] = carried;
            heads[current] += 1;
        }
    }
    let mut start = 0;
    for end in ends {
        ticker.tick();
        distribute(&mut items[start..end], rank, compare, ticker);
        start = end;
    }
}

/// The lowest and highest rank; `None` for no items.
fn bounds<T>(items: &[T], rank: &impl Fn(&T) -> u128, ticker: &mut Ticker) -> Option<(u128, u128)> {
    let mut ranks = items.iter().map(|item| {
        ticker.tick();
        rank(item)
    });
    let first = ranks.next()?;
    Some(ranks.fold((first, first), |(low, high), r| (low.min(r), high.max(r))))
}

#[cfg(test)]
pub(crate) mod tests {
    use crate::common::sort::sort_spread;

    /// A small deterministic generator (xorshift) for the test vectors.
    pub(crate) fn numbers(seed: u64, n: usize) -> Vec<u64> {
        let mut state = seed | 1;
        (0..n)
            .map(|_| {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                state
            })
            .collect()
    }

    fn check(items: Vec<(u64, u32)>) {
        let mut expected = items.clone();
        expected.sort_unstable();
        let mut sorted = items;
        sort_spread(&mut sorted, |item| u128::from(item.0), |a, b| a.cmp(b));
        assert_eq!(sorted, expected);
    }

    #[test]
    fn sorts_like_the_comparison_sort() {
        for n in [0, 1, 2, 63, 64, 65, 100, 4096, 5000, 100_000] {
            let values = numbers(n as u64 + 7, n);
            // Spread keys, keys with many repeats, a narrow range, outliers, all equal.
            check(values.iter().map(|v| (*v, (*v >> 40) as u32)).collect());
            check(values.iter().map(|v| (*v % 97, *v as u32)).collect());
            check(
                values
                    .iter()
                    .map(|v| (1_000 + *v % 5_000, *v as u32 % 3))
                    .collect(),
            );
            check(
                values
                    .iter()
                    .enumerate()
                    .map(|(i, v)| {
                        (
                            if i % 1000 == 0 {
                                u64::MAX - *v % 3
                            } else {
                                *v % 300
                            },
                            0,
                        )
                    })
                    .collect(),
            );
            check(values.iter().map(|v| (42, *v as u32)).collect());
        }
    }

    #[test]
    fn full_width_ranks() {
        let values = numbers(3, 20_000);
        let mut items: Vec<u128> = values
            .iter()
            .map(|v| (u128::from(*v) << 64) | u128::from(v.rotate_left(7)))
            .chain([0, u128::MAX])
            .collect();
        let mut expected = items.clone();
        expected.sort_unstable();
        sort_spread(&mut items, |item| *item, |a, b| a.cmp(b));
        assert_eq!(items, expected);
    }
}
