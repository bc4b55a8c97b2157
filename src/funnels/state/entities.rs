//! The events of `crm.funnel_agg` while aggregating, grouped by entity without a global sort.
//!
//! Each entity key gets a dense id (0, 1, 2, ... in order of first sight) from an
//! open-addressing table, and an event is kept in the *bucket* of its id (bucket b holds the
//! events of ids b·4096 to b·4096 + 4095, in order of arrival) as 12 bytes: its time, and its
//! entity's place in the bucket (the id's low 12 bits) with its step. Reading the events entity
//! by entity groups each bucket on its own, within the CPU's caches (a bucket of 4096 entities
//! of ten events is 480 KiB): one counting pass (events per
//! id, then where each id's events start), a copy of the bucket to a scratch vector and one pass
//! putting each event back into its entity's range, and a sort of each entity's few events by (time, step) (by rank, without
//! branches on the data, for up to 16 events). The
//! events in memory are so read once, and no second vector of them is made; a grouped bucket
//! stays grouped until an event is added to it. The entities are visited in key order through
//! a list of their ids sorted by key (one item per entity, not per event).
//!
//! Memory: 12 bytes per event, 16 bytes per entity for its key and 8 to 16 for its slots in the
//! table (kept at most half full); grouping adds a scratch vector of the largest bucket's events
//! and 20 bytes per entity while it runs.
use crate::common::error::{MetricError, MetricResult};
use crate::common::interrupt::{checked, Ticker};
use crate::common::limits::{check_state_bytes, reserve, vec_bytes};
use crate::common::sort::sort_spread;
use std::cmp::Reverse;
use std::collections::BinaryHeap;

/// One event of an entity while aggregating, 12 bytes: its time and `tag`, the entity's place
/// in its bucket (the low 12 bits of its dense id) times 64 plus the step (0..32).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(C, packed(4))]
pub(super) struct PendingEvent {
    time: i64,
    tag: u32,
}

impl PendingEvent {
    #[inline(always)]
    fn new(time: i64, id: u32, step: u8) -> Self {
        PendingEvent {
            time,
            tag: (id & BUCKET_MASK) << 6 | u32::from(step),
        }
    }

    #[inline(always)]
    pub fn time(&self) -> i64 {
        self.time
    }

    #[inline(always)]
    pub fn step(&self) -> u8 {
        (self.tag & 63) as u8
    }

    /// The entity's place in its bucket.
    #[inline(always)]
    fn local(&self) -> u32 {
        self.tag >> 6
    }
}

/// Entities longer than this are sorted by the comparison sort, shorter ones by rank (see
/// `sort_entity`).
const RANK_SORT_MAX: usize = 16;

/// The next event of a bucket in the merge of [`EntityEvents::sorted`]: (key, time, step),
/// the bucket and the event's place in it.
type MergeHead = ((u128, i64, u8), usize, usize);

/// Entities per bucket, as a power of two.
const BUCKET_LOG: u32 = 12;
const BUCKET_MASK: u32 = (1 << BUCKET_LOG) - 1;

/// The events of up to 4096 consecutive dense ids.
#[derive(Debug, Clone, Default)]
struct Bucket {
    events: Vec<PendingEvent>,
    /// Whether each id's events are together and in (time, step) order.
    grouped: bool,
}

/// The events of the entities seen so far, by dense id; see the module documentation.
#[derive(Debug, Default)]
pub(super) struct EntityEvents {
    /// The key of each dense id.
    keys: Vec<u128>,
    /// Open addressing (linear probing): 0 for an empty slot, else dense id + 1. Empty or a
    /// power of two long, at most half full.
    slots: Vec<u32>,
    /// Bucket b: the events of ids b·4096 to b·4096 + 4095.
    buckets: Vec<Bucket>,
    /// Events held, in all buckets.
    len: usize,
    /// Heap bytes of the buckets (their vectors' capacities).
    bucket_bytes: usize,
    /// Heap bytes of all the vectors above, counted again whenever one of them grows (the
    /// transition reads it after every row).
    heap: usize,
    /// Whether the slots are placed by the mixed hash (see `home`), once keys crowded.
    mixed: bool,
}

/// Most slots a lookup or an insertion probes before the table switches to mixed homes.
const MAX_PROBES: usize = 48;

/// The slot where a key's probe starts. Unmixed: the low bits of the key's halves, so that
/// nearby integer ids (and the hashes of text ids, already spread) land in nearby slots, a
/// lookup touching memory that the previous lookups brought into the caches; mixed: a
/// multiplicative hash of both halves, for keys that crowd the unmixed slots (ids of one stride,
/// several ranges that overlap once masked).
#[inline(always)]
fn home(key: u128, mask: usize, mixed: bool) -> usize {
    let folded = (key as u64) ^ ((key >> 64) as u64).rotate_left(29);
    if !mixed {
        return folded as usize & mask;
    }
    let hashed = folded.wrapping_mul(0x9E37_79B9_7F4A_7C15);
    ((hashed ^ (hashed >> 32)) as usize) & mask
}

impl Clone for EntityEvents {
    fn clone(&self) -> Self {
        // The copies' capacities may differ from the originals': counted again.
        let mut copy = EntityEvents {
            keys: self.keys.clone(),
            slots: self.slots.clone(),
            buckets: self.buckets.clone(),
            len: self.len,
            bucket_bytes: 0,
            heap: 0,
            mixed: self.mixed,
        };
        copy.bucket_bytes = copy
            .buckets
            .iter()
            .map(|bucket| vec_bytes(&bucket.events))
            .sum();
        copy.recount();
        copy
    }
}

impl EntityEvents {
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    pub fn len(&self) -> usize {
        self.len
    }

    /// Entities seen.
    pub fn entities(&self) -> usize {
        self.keys.len()
    }

    /// Heap bytes held (kept counted: no sum per row).
    #[inline(always)]
    pub fn heap_bytes(&self) -> usize {
        self.heap
    }

    /// Counts the heap bytes again after a vector grew.
    fn recount(&mut self) {
        self.heap = vec_bytes(&self.keys)
            + vec_bytes(&self.slots)
            + vec_bytes(&self.buckets)
            + self.bucket_bytes;
    }

    /// Adds one event of entity `key`.
    #[inline]
    pub fn push(&mut self, function: &str, key: u128, time: i64, step: u8) -> MetricResult<()> {
        let id = self.id_of(function, key)?;
        let index = (id >> BUCKET_LOG) as usize;
        match self.buckets.get_mut(index) {
            Some(bucket) if bucket.events.len() < bucket.events.capacity() => {
                bucket.events.push(PendingEvent::new(time, id, step));
                bucket.grouped = false;
                self.len += 1;
                Ok(())
            }
            _ => self.push_growing(function, index, PendingEvent::new(time, id, step)),
        }
    }

    /// [`EntityEvents::push`] into a full or new bucket.
    #[cold]
    #[inline(never)]
    fn push_growing(
        &mut self,
        function: &str,
        index: usize,
        event: PendingEvent,
    ) -> MetricResult<()> {
        if index >= self.buckets.len() {
            // Ids are handed out in order, so the new bucket is the next one.
            reserve(&mut self.buckets, 1, function, "funnel events")?;
            self.buckets.push(Bucket::default());
            self.recount();
        }
        self.grow_bucket(function, index, 1)?;
        self.recount();
        let bucket = &mut self.buckets[index];
        bucket.events.push(event);
        bucket.grouped = false;
        self.len += 1;
        Ok(())
    }

    /// Makes room for `more` events in bucket `index`, within `crm.max_state_memory`.
    fn grow_bucket(&mut self, function: &str, index: usize, more: usize) -> MetricResult<()> {
        let events = &self.buckets[index].events;
        if events.capacity() - events.len() >= more {
            return Ok(());
        }
        let wanted = events
            .len()
            .saturating_add(more)
            .max(events.len().saturating_mul(2))
            .max(16);
        let size = std::mem::size_of::<PendingEvent>();
        let old_bytes = vec_bytes(events);
        let bytes = wanted.saturating_mul(size);
        check_state_bytes(
            function,
            "funnel events",
            (self.heap_bytes() - old_bytes).saturating_add(bytes),
        )?;
        let events = &mut self.buckets[index].events;
        reserve(events, wanted - events.len(), function, "funnel events")?;
        self.bucket_bytes = self.bucket_bytes - old_bytes + vec_bytes(events);
        Ok(())
    }

    /// Adds every event of `other` (combine and rollup).
    pub fn extend(&mut self, function: &str, other: &EntityEvents) -> MetricResult<()> {
        if other.is_empty() {
            return Ok(());
        }
        let mut ids = Vec::new();
        reserve(&mut ids, other.keys.len(), function, "funnel entities")?;
        for key in checked(&other.keys) {
            ids.push(self.id_of(function, *key)?);
        }
        for (base, bucket) in bucket_bases(&other.buckets) {
            for event in checked(&bucket.events) {
                let id = ids[base | event.local() as usize];
                let index = (id >> BUCKET_LOG) as usize;
                let moved = PendingEvent::new(event.time(), id, event.step());
                match self.buckets.get_mut(index) {
                    Some(bucket) if bucket.events.len() < bucket.events.capacity() => {
                        bucket.events.push(moved);
                        bucket.grouped = false;
                        self.len += 1;
                    }
                    _ => self.push_growing(function, index, moved)?,
                }
            }
        }
        Ok(())
    }

    /// The dense id of `key`, a new one for a key not seen yet.
    #[inline(always)]
    fn id_of(&mut self, function: &str, key: u128) -> MetricResult<u32> {
        // A key found at its home slot (most, in a table at most half full).
        if let Some(mask) = self.slots.len().checked_sub(1) {
            let held = self.slots[home(key, mask, self.mixed)];
            if let Some(id) = held.checked_sub(1) {
                if self.keys.get(id as usize) == Some(&key) {
                    return Ok(id);
                }
            }
        }
        self.probe(function, key)
    }

    /// [`EntityEvents::id_of`] past the home slot: probes on, adds a new key.
    #[inline(never)]
    fn probe(&mut self, function: &str, key: u128) -> MetricResult<u32> {
        if self.slots.len() < 2 * (self.keys.len() + 1) {
            self.grow_table(function)?;
        }
        let mask = self.slots.len() - 1;
        let mut slot = home(key, mask, self.mixed);
        let mut probes = 0;
        loop {
            let held = self.slots[slot];
            if held == 0 {
                break;
            }
            let id = held - 1;
            if self.keys[id as usize] == key {
                return Ok(id);
            }
            slot = (slot + 1) & mask;
            probes += 1;
            if probes > MAX_PROBES && !self.mixed {
                self.mixed = true;
                self.rebuild(function, self.slots.len())?;
                return self.probe(function, key);
            }
        }
        // The table is at most half full, so the new id fits a u32 below u32::MAX.
        let id = u32::try_from(self.keys.len())
            .ok()
            .filter(|id| *id < u32::MAX)
            .ok_or_else(|| {
                MetricError::LimitExceeded(format!("{function}: too many entities in one group"))
            })?;
        reserve(&mut self.keys, 1, function, "funnel entities")?;
        self.keys.push(key);
        self.slots[slot] = id + 1;
        self.recount();
        Ok(id)
    }

    /// Doubles the table (or starts it) and puts every key back.
    #[cold]
    #[inline(never)]
    fn grow_table(&mut self, function: &str) -> MetricResult<()> {
        let size = (self.slots.len() * 2).max(64);
        let keys_wanted = (self.keys.len() + 1).max(size / 2);
        check_state_bytes(
            function,
            "funnel entities",
            size * std::mem::size_of::<u32>()
                + keys_wanted * std::mem::size_of::<u128>()
                + self.bucket_bytes,
        )?;
        self.rebuild(function, size)?;
        let more = keys_wanted - self.keys.len();
        reserve(&mut self.keys, more, function, "funnel entities")?;
        self.recount();
        Ok(())
    }

    /// Puts every key into a new table of `size` slots (a power of two above twice the keys),
    /// switching to mixed homes when keys crowd.
    #[cold]
    #[inline(never)]
    fn rebuild(&mut self, function: &str, size: usize) -> MetricResult<()> {
        let mut slots = Vec::new();
        reserve(&mut slots, size, function, "funnel entities")?;
        let mask = size - 1;
        'placing: loop {
            slots.clear();
            slots.resize(size, 0u32);
            for (id, key) in checked(self.keys.iter().enumerate()) {
                let mut slot = home(*key, mask, self.mixed);
                let mut probes = 0;
                while slots[slot] != 0 {
                    slot = (slot + 1) & mask;
                    probes += 1;
                    if probes > MAX_PROBES && !self.mixed {
                        self.mixed = true;
                        continue 'placing;
                    }
                }
                slots[slot] = id as u32 + 1;
            }
            break;
        }
        self.slots = slots;
        self.recount();
        Ok(())
    }

    /// Sorts each bucket by (key, time, step) in place (no memory but the sorts' own) and lists
    /// all the events in that order, as (key, time, step): the order of the binary and text
    /// forms. The buckets are merged through a heap of one event per bucket.
    pub fn sorted(&mut self) -> impl Iterator<Item = (u128, i64, u8)> + '_ {
        let keys = &self.keys;
        // An event of bucket `index` as (key, time, step).
        let order = move |index: usize, event: &PendingEvent| {
            let key = keys[index << BUCKET_LOG | event.local() as usize];
            (key, event.time(), event.step())
        };
        for (index, bucket) in checked(self.buckets.iter_mut().enumerate()) {
            sort_spread(
                &mut bucket.events,
                |event| order(index, event).0,
                |a, b| order(index, a).cmp(&order(index, b)),
            );
            bucket.grouped = true;
        }
        let buckets = &self.buckets;
        let mut heads: BinaryHeap<Reverse<MergeHead>> = buckets
            .iter()
            .enumerate()
            .filter_map(|(index, bucket)| {
                bucket
                    .events
                    .first()
                    .map(|event| Reverse((order(index, event), index, 0)))
            })
            .collect();
        let mut ticker = Ticker::new();
        std::iter::from_fn(move || {
            ticker.tick();
            let mut top = heads.peek_mut()?;
            let Reverse((item, index, position)) = *top;
            match buckets[index].events.get(position + 1) {
                Some(next) => *top = Reverse((order(index, next), index, position + 1)),
                None => {
                    std::collections::binary_heap::PeekMut::pop(top);
                }
            }
            Some(item)
        })
    }

    /// Visits the entities in key order, each with its events in (time, step) order, grouping
    /// them as [`EntityEvents::grouped`] does. When the ids arrived in key order (their keys
    /// ascend with them), each bucket is visited right after it is grouped, while its events
    /// are in the CPU's caches; else through [`EntityEvents::grouped`].
    pub fn for_each_entity(
        &mut self,
        function: &str,
        mut visit: impl FnMut(u128, &[PendingEvent]) -> MetricResult<()>,
    ) -> MetricResult<()> {
        if !self.keys.is_sorted() {
            for (key, events) in self.grouped(function)?.iter() {
                visit(key, events)?;
            }
            return Ok(());
        }
        let (mut scratch, mut starts) = self.grouping_room(function, 0)?;
        let keys = &self.keys;
        for (index, bucket) in self.buckets.iter_mut().enumerate() {
            if !bucket.grouped {
                group_bucket(&mut bucket.events, &mut scratch, &mut starts);
                bucket.grouped = true;
            }
            // The bucket's ids ascend (grouped in id order, or in key order, the same here).
            let base = index << BUCKET_LOG;
            for run in checked(bucket.events.chunk_by(|a, b| a.local() == b.local())) {
                visit(keys[base | run[0].local() as usize], run)?;
            }
        }
        Ok(())
    }

    /// The scratch buffers grouping a bucket needs (room for the largest ungrouped bucket's
    /// events, and a start per id of a bucket), within `crm.max_state_memory` counting `more`
    /// bytes the caller will also hold.
    fn grouping_room(
        &self,
        function: &str,
        more: usize,
    ) -> MetricResult<(Vec<PendingEvent>, Vec<usize>)> {
        let largest = self
            .buckets
            .iter()
            .filter(|bucket| !bucket.grouped)
            .map(|bucket| bucket.events.len())
            .max()
            .unwrap_or(0);
        check_state_bytes(
            function,
            "funnel events",
            self.heap_bytes()
                .saturating_add(largest.saturating_mul(std::mem::size_of::<PendingEvent>()))
                .saturating_add(more),
        )?;
        let mut scratch: Vec<PendingEvent> = Vec::new();
        reserve(&mut scratch, largest, function, "funnel events")?;
        let mut starts: Vec<usize> = Vec::new();
        reserve(
            &mut starts,
            (1 << BUCKET_LOG) + 1,
            function,
            "funnel entities",
        )?;
        Ok((scratch, starts))
    }

    /// Groups the events by entity in place, bucket by bucket, each entity's sorted by (time,
    /// step), and returns the entities in key order: (key, events) for each.
    pub fn grouped(&mut self, function: &str) -> MetricResult<Grouped<'_>> {
        let entities = self.keys.len();
        let (mut scratch, mut starts) =
            self.grouping_room(function, entities.saturating_mul(20))?;
        for bucket in checked(&mut self.buckets) {
            if !bucket.grouped {
                group_bucket(&mut bucket.events, &mut scratch, &mut starts);
                bucket.grouped = true;
            }
        }
        drop(scratch);
        drop(starts);
        // Where each id's events are in its bucket.
        let mut ranges: Vec<(usize, usize)> = Vec::new();
        reserve(&mut ranges, entities, function, "funnel entities")?;
        ranges.resize(entities, (0, 0));
        for (base, bucket) in bucket_bases(&self.buckets) {
            let mut start = 0;
            for run in checked(bucket.events.chunk_by(|a, b| a.local() == b.local())) {
                if let Some(range) = ranges.get_mut(base | run[0].local() as usize) {
                    *range = (start, start + run.len());
                }
                start += run.len();
            }
        }
        // The ids in key order.
        let mut order: Vec<u32> = Vec::new();
        reserve(&mut order, entities, function, "funnel entities")?;
        order.extend(0..entities as u32);
        let keys = &self.keys;
        sort_spread(
            &mut order,
            |id| keys[*id as usize],
            |a, b| keys[*a as usize].cmp(&keys[*b as usize]),
        );
        Ok(Grouped {
            entities: self,
            ranges,
            order,
        })
    }
}

/// The buckets with the first dense id of each.
fn bucket_bases(buckets: &[Bucket]) -> impl Iterator<Item = (usize, &Bucket)> {
    buckets
        .iter()
        .enumerate()
        .map(|(index, bucket)| (index << BUCKET_LOG, bucket))
}

/// Groups the events of one bucket by id (in id order), each id's sorted by (time, step):
/// counted by id, copied to `scratch` and back into each id's range. `scratch` must have room
/// for the events.
fn group_bucket(
    events: &mut [PendingEvent],
    scratch: &mut Vec<PendingEvent>,
    starts: &mut Vec<usize>,
) {
    let mask = BUCKET_MASK as usize;
    let local = |event: &PendingEvent| event.local() as usize;
    starts.clear();
    starts.resize(mask + 2, 0);
    let mut ticker = Ticker::new();
    for event in events.iter() {
        ticker.tick();
        starts[local(event) + 1] += 1;
    }
    for id in 0..=mask {
        starts[id + 1] += starts[id];
    }
    // The events to `scratch`, then each back to the next free place of its id's range
    // (`starts[id]`; once every event is placed, the range's end).
    scratch.clear();
    scratch.extend_from_slice(events);
    for event in scratch.iter() {
        ticker.tick();
        let head = &mut starts[local(event)];
        events[*head] = *event;
        *head += 1;
    }
    let mut start = 0;
    for end in starts[..=mask].iter().copied() {
        sort_entity(&mut events[start..end]);
        start = end;
    }
}

/// Sorts one entity's events by (time, step). A few events (most entities have about ten) whose
/// times span less than 2^54 µs (570 years) are sorted by rank without branches on the data:
/// each event gets one 64-bit key (its time less the entity's earliest, its step, its place), and
/// its place in the order is the count of smaller keys, so no comparison is mispredicted as an
/// insertion sort's are. Other entities take the comparison sort.
fn sort_entity(events: &mut [PendingEvent]) {
    let n = events.len();
    let first = events.first().map_or(0, PendingEvent::time);
    let (low, high) = events.iter().fold((first, first), |(low, high), event| {
        (low.min(event.time()), high.max(event.time()))
    });
    if n > RANK_SORT_MAX || i128::from(high) - i128::from(low) >= 1 << 54 {
        events.sort_unstable_by_key(|event| (event.time(), event.step()));
        return;
    }
    // The time since the earliest, then the step (6 bits), then the place (4 bits): distinct
    // keys in (time, step) order.
    let mut keys = [0u64; RANK_SORT_MAX];
    for (index, (key, event)) in keys.iter_mut().zip(events.iter()).enumerate() {
        *key = (event.time().wrapping_sub(low) as u64) << 10
            | u64::from(event.step()) << 4
            | index as u64;
    }
    let mut sorted = [PendingEvent { time: 0, tag: 0 }; RANK_SORT_MAX];
    for (&key, event) in keys.iter().zip(events.iter()) {
        let rank: usize = keys[..n]
            .iter()
            .map(|&other| usize::from(other < key))
            .sum();
        sorted[rank] = *event;
    }
    events.copy_from_slice(&sorted[..n]);
}

/// The events grouped by entity ([`EntityEvents::grouped`]).
pub(super) struct Grouped<'a> {
    entities: &'a EntityEvents,
    /// Per id: where its events are in its bucket.
    ranges: Vec<(usize, usize)>,
    order: Vec<u32>,
}

impl Grouped<'_> {
    /// The entities in key order, each with its events in (time, step) order.
    pub fn iter(&self) -> impl Iterator<Item = (u128, &[PendingEvent])> + '_ {
        checked(&self.order).map(|id| {
            let id = *id as usize;
            let (start, end) = self.ranges[id];
            let events = &self.entities.buckets[id >> BUCKET_LOG].events[start..end];
            (self.entities.keys[id], events)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::{sort_entity, EntityEvents, PendingEvent};
    use crate::common::limits::vec_bytes;
    use crate::common::sort::tests::numbers;

    fn rows(seed: u64, n: usize, entities: u64) -> Vec<(u128, i64, u8)> {
        numbers(seed, n)
            .into_iter()
            .map(|v| {
                // Keys of both halves, some far apart; times with repeats; steps 0..5.
                let id = v % entities;
                let key = if id.is_multiple_of(3) {
                    u128::from(id) << 64 | u128::from(id)
                } else {
                    u128::from(id)
                };
                (key, ((v >> 20) % 50) as i64 - 25, ((v >> 40) % 5) as u8)
            })
            .collect()
    }

    fn events_of(rows: &[(u128, i64, u8)]) -> EntityEvents {
        let mut events = EntityEvents::default();
        for &(key, time, step) in rows {
            events.push("t", key, time, step).unwrap();
            assert_counted(&events);
        }
        events
    }

    /// The kept count of heap bytes is that of the vectors' capacities.
    fn assert_counted(events: &EntityEvents) {
        let buckets: usize = events.buckets.iter().map(|b| vec_bytes(&b.events)).sum();
        assert_eq!(events.bucket_bytes, buckets);
        assert_eq!(
            events.heap_bytes(),
            vec_bytes(&events.keys)
                + vec_bytes(&events.slots)
                + vec_bytes(&events.buckets)
                + buckets
        );
    }

    #[test]
    fn groups_like_a_sort_by_key_time_and_step() {
        // Few and many entities (the table grows many times), short and long entities (the rank
        // sort, with equal times and steps, and the comparison sort).
        for (n, entities) in [
            (0, 1),
            (1, 1),
            (500, 3),
            (3_000, 300),
            (5_000, 2_000),
            (20_000, 50_000),
        ] {
            let rows = rows(n as u64 + 11, n, entities);
            let mut expected = rows.clone();
            expected.sort_unstable();
            let mut events = events_of(&rows);
            let grouped: Vec<(u128, i64, u8)> = events
                .grouped("t")
                .unwrap()
                .iter()
                .flat_map(|(key, events)| events.iter().map(move |e| (key, e.time(), e.step())))
                .collect();
            assert_eq!(grouped, expected);
            // Grouped twice (a window frame finished again), then sorted for the forms.
            let again: Vec<(u128, i64, u8)> = events
                .grouped("t")
                .unwrap()
                .iter()
                .flat_map(|(key, events)| events.iter().map(move |e| (key, e.time(), e.step())))
                .collect();
            assert_eq!(again, expected);
            assert_eq!(events.sorted().collect::<Vec<_>>(), expected);
            // Keys stay found after the events moved; events added to buckets sorted for the
            // forms (some buckets touched, the others left grouped) group with the rest.
            let mut all = rows.clone();
            for &(key, time, step) in rows.iter().step_by(997) {
                let entities_before = events.keys.len();
                events.push("t", key, time - 1, step).unwrap();
                assert_eq!(events.keys.len(), entities_before);
                all.push((key, time - 1, step));
            }
            all.sort_unstable();
            let regrouped: Vec<(u128, i64, u8)> = events
                .grouped("t")
                .unwrap()
                .iter()
                .flat_map(|(key, events)| events.iter().map(move |e| (key, e.time(), e.step())))
                .collect();
            assert_eq!(regrouped, all);
            assert_eq!(events.len(), all.len());
            assert_counted(&events);
            assert_counted(&events.clone());
        }
    }

    #[test]
    fn sorts_an_entity_by_time_and_step_at_any_span() {
        // Short entities of times within the rank sort's span and beyond it (the comparison
        // sort), with equal times and steps.
        let spans = [3_i64, 1 << 40, 1 << 53, i64::MAX];
        for (seed, span) in spans.iter().enumerate() {
            for n in [2_usize, 7, 16, 17] {
                let mut events: Vec<PendingEvent> = numbers(seed as u64 * 31 + n as u64, n)
                    .into_iter()
                    .map(|v| {
                        let time = (v % span.unsigned_abs()) as i64 - span / 2;
                        PendingEvent::new(time, 5, ((v >> 50) % 3) as u8)
                    })
                    .collect();
                let mut expected: Vec<(i64, u8)> =
                    events.iter().map(|e| (e.time(), e.step())).collect();
                expected.sort_unstable();
                sort_entity(&mut events);
                let sorted: Vec<(i64, u8)> = events.iter().map(|e| (e.time(), e.step())).collect();
                assert_eq!(sorted, expected, "span {span}, {n} events");
            }
        }
    }

    #[test]
    fn visits_entities_in_key_order() {
        // Keys first seen in key order, their events interleaved (bucket by bucket), and keys
        // in no order (through `grouped`); each visited twice (a frame finished again).
        let ordered: Vec<(u128, i64, u8)> = numbers(3, 30_000)
            .into_iter()
            .enumerate()
            .map(|(i, v)| {
                (
                    (i % 10_000) as u128,
                    (v % 100) as i64,
                    ((v >> 40) % 5) as u8,
                )
            })
            .collect();
        for rows in [ordered, rows(7, 30_000, 9_000)] {
            let mut expected = rows.clone();
            expected.sort_unstable();
            let mut events = events_of(&rows);
            for _ in 0..2 {
                let mut visited = Vec::new();
                events
                    .for_each_entity("t", |key, list| {
                        visited.extend(list.iter().map(|e| (key, e.time(), e.step())));
                        Ok(())
                    })
                    .unwrap();
                assert_eq!(visited, expected);
            }
        }
    }

    #[test]
    fn crowded_keys_switch_to_mixed_homes() {
        // Ids of one stride land in the same unmixed slot of any table smaller than the
        // stride; two overlapping ranges; the stride in the high half of the key.
        for (stride, shift) in [(1u128 << 20, 0), (1 << 40, 0), (1, 64)] {
            let rows: Vec<(u128, i64, u8)> = (0..5_000u128)
                .map(|i| {
                    (
                        ((i % 2_500) * stride) << shift | (i / 2_500) << 100,
                        i as i64,
                        1,
                    )
                })
                .collect();
            let mut events = events_of(&rows);
            assert!(events.mixed);
            assert_eq!(events.keys.len(), 5_000);
            let mut expected = rows.clone();
            expected.sort_unstable();
            assert_eq!(events.sorted().collect::<Vec<_>>(), expected);
        }
        // Dense ids stay unmixed.
        let dense: Vec<(u128, i64, u8)> = (0..5_000u128).map(|i| (i, 0, 1)).collect();
        assert!(!events_of(&dense).mixed);
    }

    #[test]
    fn extend_maps_the_other_ids() {
        let all = rows(5, 3_000, 700);
        let (first, second) = all.split_at(1_234);
        let mut left = events_of(first);
        left.extend("t", &events_of(second)).unwrap();
        let mut expected = all.clone();
        expected.sort_unstable();
        assert_eq!(left.sorted().collect::<Vec<_>>(), expected);
        assert_eq!(left.keys.len(), events_of(&all).keys.len());
        assert_counted(&left);
        // Extending by nothing changes nothing.
        left.extend("t", &EntityEvents::default()).unwrap();
        assert_eq!(left.len(), all.len());
    }
}
