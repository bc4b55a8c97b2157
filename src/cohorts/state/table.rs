//! The customer table of a summary: open addressing with linear probing and a short
//! queue of prefetched events.
use std::collections::hash_map::RandomState;
use std::hash::BuildHasher;

use crate::common::limits::vec_bytes;

use super::activity::{merge_activity, record, spill_mut, spill_of, Activity, VACANT, VACANT_SLOT};

/// Smallest table (slots, a power of two).
const MIN_SLOTS: usize = 16;
/// Most customers of one summary: 3/4 of 2^26 slots, a table of 2 GiB. A larger
/// table could fail to allocate, and a failed allocation in Rust aborts the
/// backend, so the summary refuses to grow with a clean error instead.
pub(super) const MAX_CUSTOMERS: usize = 3 << 24;
/// Events queued by `add` between the prefetch of their slot and its update.
pub(super) const PIPELINE: usize = 16;

/// The customers of a summary: an open-addressing table (linear probing,
/// power-of-two size, at most 3/4 full) of [`Activity`] slots, the spilled
/// periods, and a short queue of events whose slots are being prefetched so
/// that `add` overlaps the cache misses of consecutive events.
#[derive(Clone)]
pub(super) struct Customers {
    pub(super) slots: Vec<Activity>,
    /// Occupied slots (queued events not included).
    pub(super) len: usize,
    /// 64 − log2(slots.len()): the top bits of a hash pick its home slot.
    shift: u32,
    /// Per-table random hash keys (bigint ids are sequential, not mixed).
    seed: u64,
    multiplier: u64,
    /// Periods beyond the bitmap window of some customers: sorted and distinct, except the
    /// spills listed in `unsorted` (left by merges until [`Customers::settle_spills`]).
    pub(super) spills: Vec<Vec<i32>>,
    /// One-based indexes (as in `Activity::spill`) of spills that may be unsorted or repeat
    /// periods; an index may be listed more than once.
    pub(super) unsorted: Vec<u32>,
    /// The periods in `spills`, all spills together.
    pub(super) spilled: usize,
    /// `spilled` when the memory bound was last checked.
    pub(super) spilled_checked: usize,
    /// Ring of queued `(key, hash, period)`; once full, the oldest is at `next`.
    queue: [(u128, u64, i32); PIPELINE],
    pub(super) queued: usize,
    next: usize,
}

fn folded_multiply(a: u64, b: u64) -> u64 {
    let product = u128::from(a) * u128::from(b);
    (product as u64) ^ ((product >> 64) as u64)
}

/// Hints the CPU to load the slot's cache line.
#[inline]
fn prefetch(slots: &[Activity], at: usize) {
    #[cfg(target_arch = "x86_64")]
    {
        use std::arch::x86_64::{_mm_prefetch, _MM_HINT_T0};
        let pointer = slots.as_ptr().wrapping_add(at).cast::<i8>();
        // SAFETY: a prefetch is a hint: it never faults, whatever the address,
        // and has no effect visible to the program.
        unsafe { _mm_prefetch::<_MM_HINT_T0>(pointer) };
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = (slots, at);
}

impl Customers {
    /// An empty table of the smallest size.
    pub(super) fn new() -> Self {
        Self::with_slots(vec![VACANT_SLOT; MIN_SLOTS])
    }

    /// A table sized for `customers` (capped at 2^24: larger ones grow as needed), allocated
    /// fallibly: a decoded summary sizes it from its customer count.
    pub(super) fn try_with_capacity(
        customers: usize,
    ) -> Result<Self, std::collections::TryReserveError> {
        let wanted = (customers.min(1 << 24) * 4).div_ceil(3) + 1;
        let size = wanted.next_power_of_two().max(MIN_SLOTS);
        let mut slots = Vec::new();
        slots.try_reserve_exact(size)?;
        slots.resize(size, VACANT_SLOT);
        Ok(Self::with_slots(slots))
    }

    /// A table of the vacant `slots` (a power of two).
    fn with_slots(slots: Vec<Activity>) -> Self {
        let random = RandomState::new();
        Customers {
            shift: 64 - slots.len().trailing_zeros(),
            slots,
            len: 0,
            seed: random.hash_one(0u8),
            multiplier: random.hash_one(1u8) | 1,
            spills: Vec::new(),
            unsorted: Vec::new(),
            spilled: 0,
            spilled_checked: 0,
            queue: [(0, 0, 0); PIPELINE],
            queued: 0,
            next: 0,
        }
    }

    #[inline]
    pub(super) fn hash(&self, key: u128) -> u64 {
        folded_multiply(
            (key as u64) ^ self.seed,
            ((key >> 64) as u64) ^ self.multiplier,
        )
    }

    /// Reserves room, fallibly, for the spills and the unsorted list to take the new entries
    /// that applying the queued events and `more` further events or merged customers may add
    /// (each adds at most one spill and one unsorted entry): the vectors of the whole table
    /// then never grow inside [`Customers::flush`] or a merge, where an allocation cannot fail
    /// cleanly. Only once a spill exists: the first one allocates room for four (96 bytes), so
    /// that a summary without spills (most) holds no reserve. A customer's own spill (its
    /// periods past the window, at most the periods of the timestamp range) still grows there
    /// by doubling. On a refusal, the entries wanted.
    #[inline]
    pub(super) fn reserve_lists(&mut self, more: usize) -> Result<(), usize> {
        let wanted = self.queued + more;
        if self.spills.is_empty()
            || (self.spills.capacity() - self.spills.len() >= wanted
                && self.unsorted.capacity() - self.unsorted.len() >= more)
        {
            return Ok(());
        }
        self.grow_lists(wanted, more)
    }

    #[cold]
    #[inline(never)]
    fn grow_lists(&mut self, spills: usize, unsorted: usize) -> Result<(), usize> {
        // At least doubling, as a push would, so that this is amortized.
        let spills = spills.max(self.spills.len()).max(2 * PIPELINE);
        self.spills
            .try_reserve(spills)
            .map_err(|_| self.spills.len() + spills)?;
        if unsorted > 0 {
            let unsorted = unsorted.max(self.unsorted.len()).max(2 * PIPELINE);
            self.unsorted
                .try_reserve(unsorted)
                .map_err(|_| self.unsorted.len() + unsorted)?;
        }
        Ok(())
    }

    /// Whether `more` customers could still be added.
    pub(super) fn has_room(&self, more: usize) -> bool {
        self.len + more < MAX_CUSTOMERS
    }

    /// Whether inserting `more` customers may double the table.
    #[inline]
    pub(super) fn may_grow(&self, more: usize) -> bool {
        (self.len + more + 1) * 4 > self.slots.len() * 3
    }

    /// Heap bytes of the table, the spill list, the unsorted list and the spills themselves
    /// (the periods of customers active more than 64 periods after their first), those counted
    /// at the most a vector growing by doubling takes: twice their periods, and at least 4 each.
    pub(super) fn heap_bytes(&self) -> usize {
        vec_bytes(&self.slots)
            + vec_bytes(&self.spills)
            + vec_bytes(&self.unsorted)
            + self.spilled.saturating_mul(2 * std::mem::size_of::<i32>())
            + self.spills.len() * 4 * std::mem::size_of::<i32>()
    }

    pub(super) fn iter(&self) -> impl Iterator<Item = &Activity> {
        self.slots.iter().filter(|a| a.spill != VACANT)
    }

    pub(super) fn spill(&self, activity: &Activity) -> &[i32] {
        spill_of(activity, &self.spills)
    }

    /// Queues an event after prefetching its slot, and applies the oldest
    /// queued one. The caller checked `has_room(queued + 1)`.
    #[inline]
    pub(super) fn push(&mut self, key: u128, period: i32) {
        let hash = self.hash(key);
        prefetch(&self.slots, (hash >> self.shift) as usize);
        let oldest = std::mem::replace(&mut self.queue[self.next], (key, hash, period));
        self.next = (self.next + 1) % PIPELINE;
        if self.queued < PIPELINE {
            self.queued += 1;
        } else {
            self.apply(oldest.0, oldest.1, oldest.2);
        }
    }

    /// Applies every queued event.
    pub(super) fn flush(&mut self) {
        while self.queued > 0 {
            let (key, hash, period) = self.queue[(self.next + PIPELINE - self.queued) % PIPELINE];
            self.queued -= 1;
            self.apply(key, hash, period);
        }
    }

    #[inline]
    fn apply(&mut self, key: u128, hash: u64, period: i32) {
        let (at, new) = self.find_or_insert(key, hash);
        let activity = &mut self.slots[at];
        if new {
            activity.bits = 1;
            activity.first = period;
        } else {
            self.spilled += record(activity, &mut self.spills, period);
        }
    }

    /// The slot of `key`; a new one (`true`, with empty periods to fill in
    /// at once) if the key is absent. The caller checked `has_room(1)`.
    #[inline]
    pub(super) fn find_or_insert(&mut self, key: u128, hash: u64) -> (usize, bool) {
        if (self.len + 1) * 4 > self.slots.len() * 3 {
            self.grow();
        }
        let mask = self.slots.len() - 1;
        let mut at = (hash >> self.shift) as usize;
        loop {
            let slot = &mut self.slots[at];
            if slot.spill == VACANT {
                *slot = Activity {
                    key,
                    bits: 0,
                    first: 0,
                    spill: 0,
                };
                self.len += 1;
                return (at, true);
            }
            if slot.key == key {
                return (at, false);
            }
            at = (at + 1) & mask;
        }
    }

    #[cold]
    fn grow(&mut self) {
        self.rehash_into(vec![VACANT_SLOT; self.slots.len() * 2]);
    }

    /// Doubles the table now when inserting `more` customers may need it, allocating the new
    /// table fallibly: the checked paths call this before inserting, so that the infallible
    /// growth in [`Customers::find_or_insert`] is not reached from them.
    #[cold]
    pub(super) fn try_grow_for(
        &mut self,
        more: usize,
    ) -> Result<(), std::collections::TryReserveError> {
        if !self.may_grow(more) {
            return Ok(());
        }
        let size = self.slots.len() * 2;
        let mut slots = Vec::new();
        slots.try_reserve_exact(size)?;
        slots.resize(size, VACANT_SLOT);
        self.rehash_into(slots);
        Ok(())
    }

    /// Moves every customer into `slots` (empty, twice the current size).
    fn rehash_into(&mut self, slots: Vec<Activity>) {
        let size = slots.len();
        let old = std::mem::replace(&mut self.slots, slots);
        self.shift -= 1;
        let mask = size - 1;
        for activity in old.into_iter().filter(|a| a.spill != VACANT) {
            let mut at = (self.hash(activity.key) >> self.shift) as usize;
            while self.slots[at].spill != VACANT {
                at = (at + 1) & mask;
            }
            self.slots[at] = activity;
        }
    }

    /// Adds a customer's periods (exact union). The caller checked `has_room(1)`.
    pub(super) fn merge_customer(&mut self, source: &Activity, source_spill: &[i32]) {
        let (at, new) = self.find_or_insert(source.key, self.hash(source.key));
        let target = &mut self.slots[at];
        if new {
            target.bits = source.bits;
            target.first = source.first;
            if !source_spill.is_empty() {
                spill_mut(target, &mut self.spills).extend_from_slice(source_spill);
                self.spilled += source_spill.len();
            }
        } else {
            self.spilled += merge_activity(
                target,
                &mut self.spills,
                &mut self.unsorted,
                source,
                source_spill,
            );
            // Deduplicated, the list has at most `spills.len()` entries, so it is sorted again
            // only after as many pushes: O(log) per push.
            if self.unsorted.len() > 2 * self.spills.len() + 64 {
                self.unsorted.sort_unstable();
                self.unsorted.dedup();
            }
        }
    }

    /// Sorts and deduplicates the spills merges left unsorted: O(their size · log) once,
    /// instead of a sorted merge per summary.
    pub(super) fn settle_spills(&mut self) {
        for index in self.unsorted.drain(..) {
            if let Some(spill) = self.spills.get_mut((index as usize).wrapping_sub(1)) {
                let before = spill.len();
                spill.sort_unstable();
                spill.dedup();
                self.spilled -= before - spill.len();
            }
        }
    }
}
