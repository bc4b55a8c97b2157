//! One customer's activity: its first period (the cohort), a 64-bit bitmap of the
//! periods `first .. first + 64`, and the sorted periods beyond that window (its spill).

/// Bits of the per-customer bitmap window.
pub(super) const WINDOW: i64 = 64;
/// `spill` of a vacant slot.
pub(super) const VACANT: u32 = u32::MAX;
pub(super) const VACANT_SLOT: Activity = Activity {
    key: 0,
    bits: 0,
    first: 0,
    spill: VACANT,
};

/// One slot of the customer table: the customer's key and periods — `first`
/// (its cohort, always bit 0 of `bits`), the bitmap of periods
/// `first .. first + 64`, and `spill`: 0, or one plus the index in
/// `Customers::spills` of its sorted periods `>= first + 64` — or `VACANT`.
#[derive(Debug, Clone, Copy)]
pub(super) struct Activity {
    pub(super) key: u128,
    pub(super) bits: u64,
    pub(super) first: i32,
    pub(super) spill: u32,
}

pub(super) fn spill_of<'a>(activity: &Activity, spills: &'a [Vec<i32>]) -> &'a [i32] {
    match activity.spill {
        0 | VACANT => &[],
        n => &spills[n as usize - 1],
    }
}

/// The spill vector of the customer, allocated on first use (callers always
/// put a period in it: a spill is never empty).
pub(super) fn spill_mut<'a>(
    activity: &mut Activity,
    spills: &'a mut Vec<Vec<i32>>,
) -> &'a mut Vec<i32> {
    if activity.spill == 0 {
        spills.push(Vec::new());
        // At most one spill per customer and fewer than MAX_CUSTOMERS < u32::MAX
        // customers: the index fits and never reaches VACANT.
        activity.spill = spills.len() as u32;
    }
    &mut spills[activity.spill as usize - 1]
}

/// The periods of a bitmap starting at `first`, then `spill`, in ascending order.
pub(super) fn periods(first: i32, bits: u64, spill: &[i32]) -> impl Iterator<Item = i32> + '_ {
    let mut bits = bits;
    std::iter::from_fn(move || {
        (bits != 0).then(|| {
            let bit = bits.trailing_zeros() as i32;
            bits &= bits - 1;
            first + bit
        })
    })
    .chain(spill.iter().copied())
}

/// Marks `period` active for the customer; returns how many periods it put in the customer's
/// spill (0 on the common path).
#[inline]
pub(super) fn record(activity: &mut Activity, spills: &mut Vec<Vec<i32>>, period: i32) -> usize {
    let first = i64::from(activity.first);
    let new_first = first.min(i64::from(period));
    let shift = (first - new_first) as u64;
    let offset = (i64::from(period) - new_first) as u64;
    // Common case, in any event order: the period fits the bitmap window, even
    // after moving the window down to it, without pushing periods out. Tested
    // without short-circuits so that random event orders mispredict no branch.
    if (shift < 64) & (offset < 64) & (u64::from(activity.bits.leading_zeros()) >= shift) {
        activity.bits = (activity.bits << shift) | (1 << offset);
        activity.first = new_first as i32;
        0
    } else {
        record_outside_window(activity, spills, period, i64::from(period) - first)
    }
}

#[cold]
fn record_outside_window(
    activity: &mut Activity,
    spills: &mut Vec<Vec<i32>>,
    period: i32,
    offset: i64,
) -> usize {
    if offset >= WINDOW {
        let spill = spill_mut(activity, spills);
        return match spill.binary_search(&period) {
            Ok(_) => 0,
            Err(position) => {
                spill.insert(position, period);
                1
            }
        };
    }
    let moved = lower_window(activity, period);
    let count = moved.len();
    if count > 0 {
        spill_mut(activity, spills).splice(0..0, moved);
    }
    count
}

/// Makes `period` (before the customer's first period) its first one; returns the periods
/// pushed out of the top of the bitmap window, ascending (all before the spilled ones).
fn lower_window(activity: &mut Activity, period: i32) -> Vec<i32> {
    let shift = i64::from(activity.first) - i64::from(period);
    let (kept, moved_from) = if shift >= WINDOW {
        (0, 0)
    } else {
        (activity.bits << shift, WINDOW - shift)
    };
    let moved_bits = if moved_from == 0 {
        activity.bits
    } else {
        activity.bits >> moved_from
    };
    let moved: Vec<i32> = periods(activity.first + moved_from as i32, moved_bits, &[]).collect();
    activity.first = period;
    activity.bits = kept | 1;
    moved
}

/// Adds the periods of `source` (with its spilled periods) to `target`.
///
/// Periods that do not come after the target's spill are appended anyway and the spill's
/// index is pushed to `unsorted` (to be sorted and deduplicated by the reader, see
/// `Customers::settle_spills`), so a merge costs O(source periods) whatever the target holds:
/// a rollup of N summaries is one pass. Returns how many periods it put in the target's spill.
pub(super) fn merge_activity(
    target: &mut Activity,
    spills: &mut Vec<Vec<i32>>,
    unsorted: &mut Vec<u32>,
    source: &Activity,
    source_spill: &[i32],
) -> usize {
    let mut added = 0;
    if source.first < target.first {
        let moved = lower_window(target, source.first);
        if !moved.is_empty() {
            let spill = spill_mut(target, spills);
            if !spill.is_empty() {
                unsorted.push(target.spill);
            }
            added += moved.len();
            spill.extend(moved);
        }
    }
    // Now target.first <= source.first.
    let distance = i64::from(source.first) - i64::from(target.first);
    let overflow = if distance < WINDOW {
        target.bits |= source.bits << distance;
        if distance == 0 {
            0
        } else {
            source.bits >> (WINDOW - distance)
        }
    } else {
        source.bits
    };
    if overflow == 0 && source_spill.is_empty() {
        return added;
    }
    let overflow_first = if distance < WINDOW {
        target.first + WINDOW as i32
    } else {
        source.first
    };
    let mut extra = periods(overflow_first, overflow, source_spill).peekable();
    let spill = spill_mut(target, spills);
    if let Some(&last) = spill.last() {
        while extra
            .next_if(|&period| period <= last && spill.binary_search(&period).is_ok())
            .is_some()
        {}
        if extra.peek().is_some_and(|&period| period <= last) {
            unsorted.push(target.spill);
        }
    }
    let before = spill.len();
    spill.extend(extra);
    added + (spill.len() - before)
}
