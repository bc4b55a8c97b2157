//! The events of `crm.funnel_agg` while aggregating, grouped by entity without a global sort.
//!
//! Each entity key gets a dense id (0, 1, 2, ... in order of first sight) from an
//! open-addressing table, and an event is kept in the *bucket* of its id (bucket b holds the
//! events of ids b·4096 to b·4096 + 4095, in order of arrival). An event is 8 bytes while the
//! bucket's times stay within 2^45 µs (about 407 days) of the bucket's first event: its time
//! less that base (biased, 46 bits), its step (6 bits) and its entity's place in the bucket (the
//! id's low 12 bits), so that one entity's events sort as integers in (time, step) order. A time
//! farther away turns the whole bucket *wide*: 12 bytes an event, its time whole. Reading the
//! events entity by entity groups each bucket on its own, within the CPU's caches (a bucket of
//! 4096 entities of ten events is 320 KiB): one counting pass (events per id, then where each
//! id's events start), a copy of the bucket to a scratch vector and one pass putting each event
//! back into its entity's range, and a sort of each entity's few events by (time, step) (by
//! rank, without branches on the data, for up to 16 events). The events in memory are so read
//! once, and no second vector of them is made; a grouped bucket stays grouped until an event is
//! added to it. The entities are visited in key order through a list of their ids sorted by key
//! (one item per entity, not per event).
//!
//! Memory: 8 bytes per event (12 in a wide bucket), 16 bytes per entity for its key and 8 to 16
//! for its slots in the table (kept at most half full); grouping adds a scratch vector of the
//! largest bucket's events and 20 bytes per entity while it runs.
use crate::common::error::{MetricError, MetricResult};
use crate::common::interrupt::{checked, Ticker};
use crate::common::limits::{check_state_bytes, reserve, vec_bytes};
use crate::common::sort::sort_spread;
use std::cmp::Reverse;
use std::collections::BinaryHeap;

/// One event of an entity as the walk reads it: its time and step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct PendingEvent {
    time: i64,
    step: u8,
}

impl PendingEvent {
    #[inline(always)]
    pub fn time(&self) -> i64 {
        self.time
    }

    #[inline(always)]
    pub fn step(&self) -> u8 {
        self.step
    }
}

/// Entities per bucket, as a power of two.
const BUCKET_LOG: u32 = 12;
const BUCKET_MASK: u32 = (1 << BUCKET_LOG) - 1;

/// A narrow event's bits: the entity's place in its bucket (the low 12), the step (the next 6)
/// and the time's offset from the bucket's base plus 2^45 (the top 46).
const STEP_SHIFT: u32 = BUCKET_LOG;
const TIME_SHIFT: u32 = STEP_SHIFT + 6;
const OFFSET_BIAS: i64 = 1 << 45;
/// Offsets (with the bias) a narrow event holds: 0 to 2^46 − 1.
const OFFSET_END: i128 = 1 << 46;

/// The narrow event of place `id & 4095` in a bucket of base `base`, or None when `time` is not
/// within −2^45 to 2^45 − 1 µs of the base.
#[inline(always)]
fn narrow(base: i64, time: i64, id: u32, step: u8) -> Option<u64> {
    let offset = i128::from(time) - i128::from(base) + i128::from(OFFSET_BIAS);
    if !(0..OFFSET_END).contains(&offset) {
        return None;
    }
    Some(
        (offset as u64) << TIME_SHIFT | u64::from(step) << STEP_SHIFT | u64::from(id & BUCKET_MASK),
    )
}

/// The time of a narrow event of a bucket of base `base` (exact: it was within range).
#[inline(always)]
fn narrow_time(base: i64, event: u64) -> i64 {
    base + ((event >> TIME_SHIFT) as i64 - OFFSET_BIAS)
}

#[inline(always)]
fn narrow_step(event: u64) -> u8 {
    (event >> STEP_SHIFT) as u8 & 63
}

/// One event of a wide bucket, 12 bytes: its time and `tag`, the entity's place in its bucket
/// (the low 12 bits of its dense id) times 64 plus the step (0..32).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(C, packed(4))]
pub(super) struct WideEvent {
    time: i64,
    tag: u32,
}

impl WideEvent {
    #[inline(always)]
    fn new(time: i64, id: u32, step: u8) -> Self {
        WideEvent {
            time,
            tag: (id & BUCKET_MASK) << 6 | u32::from(step),
        }
    }

    #[inline(always)]
    fn time(&self) -> i64 {
        self.time
    }

    #[inline(always)]
    fn step(&self) -> u8 {
        (self.tag & 63) as u8
    }
}

/// An event as a bucket keeps it, narrow or wide: its entity's place in the bucket.
trait Stored: Copy {
    fn local(&self) -> usize;
}

impl Stored for u64 {
    #[inline(always)]
    fn local(&self) -> usize {
        (*self as usize) & BUCKET_MASK as usize
    }
}

impl Stored for WideEvent {
    #[inline(always)]
    fn local(&self) -> usize {
        (self.tag >> 6) as usize
    }
}

/// Entities longer than this are sorted by the comparison sort, shorter ones by rank (see
/// `sort_narrow`).
const RANK_SORT_MAX: usize = 16;

/// The next event of a bucket in the merge of [`EntityEvents::sorted`]: (key, time, step),
/// the bucket and the event's place in it.
type MergeHead = ((u128, i64, u8), usize, usize);

/// The events of up to 4096 consecutive dense ids: narrow (`narrow`, times from `base`) until
/// a time is too far from the base, then wide (`wide`; `narrow` then empty, without room, so
/// that the transition's fast path never takes it).
#[derive(Debug, Clone, Default)]
struct Bucket {
    narrow: Vec<u64>,
    base: i64,
    wide: Vec<WideEvent>,
    is_wide: bool,
    /// Whether each id's events are together and in (time, step) order.
    grouped: bool,
}

impl Bucket {
    fn len(&self) -> usize {
        self.narrow.len() + self.wide.len()
    }

    /// Heap bytes of the bucket's vectors.
    fn bytes(&self) -> usize {
        vec_bytes(&self.narrow) + vec_bytes(&self.wide)
    }

    /// The event at `position`: (place in the bucket, time, step).
    #[inline]
    fn get(&self, position: usize) -> Option<(usize, i64, u8)> {
        if self.is_wide {
            let event = self.wide.get(position)?;
            Some((event.local(), event.time(), event.step()))
        } else {
            let event = *self.narrow.get(position)?;
            Some((
                event.local(),
                narrow_time(self.base, event),
                narrow_step(event),
            ))
        }
    }

    /// Each id's events, in id order: (place in the bucket, events). The bucket must be
    /// grouped.
    fn runs(&self) -> impl Iterator<Item = (usize, Events<'_>)> + '_ {
        let base = self.base;
        let narrow = self
            .narrow
            .chunk_by(|a, b| a.local() == b.local())
            .map(move |run| (run[0].local(), Events::Narrow { base, events: run }));
        let wide = self
            .wide
            .chunk_by(|a, b| a.local() == b.local())
            .map(|run| (run[0].local(), Events::Wide(run)));
        narrow.chain(wide)
    }

    /// The events at `start..end`.
    fn events(&self, start: usize, end: usize) -> Events<'_> {
        if self.is_wide {
            Events::Wide(&self.wide[start..end])
        } else {
            Events::Narrow {
                base: self.base,
                events: &self.narrow[start..end],
            }
        }
    }

    /// Groups the events by id (see `group_bucket`), with scratch vectors holding at least
    /// its events.
    fn group(&mut self, scratch: &mut Scratch) {
        if self.grouped {
            return;
        }
        if self.is_wide {
            group_bucket(
                &mut self.wide,
                &mut scratch.wide,
                &mut scratch.starts,
                sort_wide,
            );
        } else {
            group_bucket(
                &mut self.narrow,
                &mut scratch.narrow,
                &mut scratch.starts,
                sort_narrow,
            );
        }
        self.grouped = true;
    }
}

/// One entity's events in (time, step) order, as [`EntityEvents::for_each_entity`] visits them.
#[derive(Debug, Clone, Copy)]
pub(super) enum Events<'a> {
    Narrow { base: i64, events: &'a [u64] },
    Wide(&'a [WideEvent]),
}

impl<'a> Events<'a> {
    pub fn iter(&self) -> EventsIter<'a> {
        match *self {
            Events::Narrow { base, events } => EventsIter::Narrow {
                base,
                events: events.iter(),
            },
            Events::Wide(events) => EventsIter::Wide(events.iter()),
        }
    }
}

/// The iterator of [`Events::iter`].
#[derive(Debug, Clone)]
pub(super) enum EventsIter<'a> {
    Narrow {
        base: i64,
        events: std::slice::Iter<'a, u64>,
    },
    Wide(std::slice::Iter<'a, WideEvent>),
}

impl Iterator for EventsIter<'_> {
    type Item = PendingEvent;

    #[inline(always)]
    fn next(&mut self) -> Option<PendingEvent> {
        match self {
            EventsIter::Narrow { base, events } => events.next().map(|&event| PendingEvent {
                time: narrow_time(*base, event),
                step: narrow_step(event),
            }),
            EventsIter::Wide(events) => events.next().map(|event| PendingEvent {
                time: event.time(),
                step: event.step(),
            }),
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        match self {
            EventsIter::Narrow { events, .. } => events.size_hint(),
            EventsIter::Wide(events) => events.size_hint(),
        }
    }
}

/// The scratch buffers of grouping: room for a bucket's events and a start per id.
struct Scratch {
    narrow: Vec<u64>,
    wide: Vec<WideEvent>,
    starts: Vec<usize>,
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

/// Makes room for `more` items in `events`, a bucket's vector (doubling), within
/// `crm.max_state_memory` counting the `others` bytes the state holds besides.
fn grow_events<T>(
    function: &str,
    others: usize,
    events: &mut Vec<T>,
    more: usize,
) -> MetricResult<()> {
    if events.capacity() - events.len() >= more {
        return Ok(());
    }
    let wanted = events
        .len()
        .saturating_add(more)
        .max(events.len().saturating_mul(2))
        .max(16);
    check_state_bytes(
        function,
        "funnel events",
        others.saturating_add(wanted.saturating_mul(std::mem::size_of::<T>())),
    )?;
    reserve(events, wanted - events.len(), function, "funnel events")
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
        copy.bucket_bytes = copy.buckets.iter().map(Bucket::bytes).sum();
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
        self.push_id(function, id, time, step)
    }

    /// Adds one event of dense id `id`.
    #[inline(always)]
    fn push_id(&mut self, function: &str, id: u32, time: i64, step: u8) -> MetricResult<()> {
        let index = (id >> BUCKET_LOG) as usize;
        if let Some(bucket) = self.buckets.get_mut(index) {
            // A wide bucket's narrow vector has no room: the slow path takes its events.
            if bucket.narrow.len() < bucket.narrow.capacity() {
                if let Some(event) = narrow(bucket.base, time, id, step) {
                    bucket.narrow.push(event);
                    bucket.grouped = false;
                    self.len += 1;
                    return Ok(());
                }
            }
        }
        self.push_growing(function, index, id, time, step)
    }

    /// [`EntityEvents::push_id`] into a full, wide or new bucket, or of a time too far from
    /// its bucket's base (the bucket turns wide).
    #[cold]
    #[inline(never)]
    fn push_growing(
        &mut self,
        function: &str,
        index: usize,
        id: u32,
        time: i64,
        step: u8,
    ) -> MetricResult<()> {
        if index >= self.buckets.len() {
            // Ids are handed out in order, so the new bucket is the next one; its base is its
            // first event's time.
            reserve(&mut self.buckets, 1, function, "funnel events")?;
            self.buckets.push(Bucket {
                base: time,
                ..Bucket::default()
            });
            self.recount();
        }
        let old_bytes = self.buckets[index].bytes();
        let others = self.heap_bytes() - old_bytes;
        let bucket = &mut self.buckets[index];
        match (bucket.is_wide, narrow(bucket.base, time, id, step)) {
            (false, Some(event)) => {
                grow_events(function, others, &mut bucket.narrow, 1)?;
                bucket.narrow.push(event);
            }
            (false, None) => {
                widen(function, others, bucket, 1)?;
                bucket.wide.push(WideEvent::new(time, id, step));
            }
            (true, _) => {
                grow_events(function, others, &mut bucket.wide, 1)?;
                bucket.wide.push(WideEvent::new(time, id, step));
            }
        }
        bucket.grouped = false;
        let new_bytes = bucket.bytes();
        self.bucket_bytes = self.bucket_bytes - old_bytes + new_bytes;
        self.len += 1;
        self.recount();
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
        let mut ticker = Ticker::new();
        for (base, bucket) in bucket_bases(&other.buckets) {
            for position in 0..bucket.len() {
                ticker.tick();
                if let Some((local, time, step)) = bucket.get(position) {
                    self.push_id(function, ids[base | local], time, step)?;
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
        for (index, bucket) in checked(self.buckets.iter_mut().enumerate()) {
            let key = move |local: usize| keys[index << BUCKET_LOG | local];
            // One key's narrow events sort as integers by (time, step).
            sort_spread(
                &mut bucket.narrow,
                |event| key(event.local()),
                |a, b| (key(a.local()), a).cmp(&(key(b.local()), b)),
            );
            sort_spread(
                &mut bucket.wide,
                |event| key(event.local()),
                |a, b| {
                    (key(a.local()), a.time(), a.step()).cmp(&(key(b.local()), b.time(), b.step()))
                },
            );
            bucket.grouped = true;
        }
        let buckets = &self.buckets;
        // The event at `position` of bucket `index` as (key, time, step).
        let order = move |index: usize, position: usize| {
            buckets[index]
                .get(position)
                .map(|(local, time, step)| (keys[index << BUCKET_LOG | local], time, step))
        };
        let mut heads: BinaryHeap<Reverse<MergeHead>> = (0..buckets.len())
            .filter_map(|index| order(index, 0).map(|item| Reverse((item, index, 0))))
            .collect();
        let mut ticker = Ticker::new();
        std::iter::from_fn(move || {
            ticker.tick();
            let mut top = heads.peek_mut()?;
            let Reverse((item, index, position)) = *top;
            match order(index, position + 1) {
                Some(next) => *top = Reverse((next, index, position + 1)),
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
        mut visit: impl FnMut(u128, Events<'_>) -> MetricResult<()>,
    ) -> MetricResult<()> {
        if !self.keys.is_sorted() {
            for (key, events) in self.grouped(function)?.iter() {
                visit(key, events)?;
            }
            return Ok(());
        }
        let mut scratch = self.grouping_room(function, 0)?;
        let keys = &self.keys;
        for (index, bucket) in self.buckets.iter_mut().enumerate() {
            bucket.group(&mut scratch);
            // The bucket's ids ascend (grouped in id order, or in key order, the same here).
            let base = index << BUCKET_LOG;
            for (local, events) in checked(bucket.runs()) {
                visit(keys[base | local], events)?;
            }
        }
        Ok(())
    }

    /// The scratch buffers grouping a bucket needs (room for the largest ungrouped bucket's
    /// events, and a start per id of a bucket), within `crm.max_state_memory` counting `more`
    /// bytes the caller will also hold.
    fn grouping_room(&self, function: &str, more: usize) -> MetricResult<Scratch> {
        let ungrouped = || self.buckets.iter().filter(|bucket| !bucket.grouped);
        let narrow = ungrouped()
            .map(|bucket| bucket.narrow.len())
            .max()
            .unwrap_or(0);
        let wide = ungrouped()
            .map(|bucket| bucket.wide.len())
            .max()
            .unwrap_or(0);
        check_state_bytes(
            function,
            "funnel events",
            self.heap_bytes()
                .saturating_add(narrow.saturating_mul(std::mem::size_of::<u64>()))
                .saturating_add(wide.saturating_mul(std::mem::size_of::<WideEvent>()))
                .saturating_add(more),
        )?;
        let mut scratch = Scratch {
            narrow: Vec::new(),
            wide: Vec::new(),
            starts: Vec::new(),
        };
        reserve(&mut scratch.narrow, narrow, function, "funnel events")?;
        reserve(&mut scratch.wide, wide, function, "funnel events")?;
        reserve(
            &mut scratch.starts,
            (1 << BUCKET_LOG) + 1,
            function,
            "funnel entities",
        )?;
        Ok(scratch)
    }

    /// Groups the events by entity in place, bucket by bucket, each entity's sorted by (time,
    /// step), and returns the entities in key order: (key, events) for each.
    pub fn grouped(&mut self, function: &str) -> MetricResult<Grouped<'_>> {
        let entities = self.keys.len();
        let mut scratch = self.grouping_room(function, entities.saturating_mul(20))?;
        for bucket in checked(&mut self.buckets) {
            bucket.group(&mut scratch);
        }
        drop(scratch);
        // Where each id's events are in its bucket.
        let mut ranges: Vec<(usize, usize)> = Vec::new();
        reserve(&mut ranges, entities, function, "funnel entities")?;
        ranges.resize(entities, (0, 0));
        for (base, bucket) in bucket_bases(&self.buckets) {
            let mut start = 0;
            for (local, events) in checked(bucket.runs()) {
                let len = match events {
                    Events::Narrow { events, .. } => events.len(),
                    Events::Wide(events) => events.len(),
                };
                if let Some(range) = ranges.get_mut(base | local) {
                    *range = (start, start + len);
                }
                start += len;
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

/// Turns a narrow bucket wide with room for `more` events, within `crm.max_state_memory`
/// counting the `others` bytes the state holds besides the bucket (both forms are held while
/// the events are copied).
#[cold]
#[inline(never)]
fn widen(function: &str, others: usize, bucket: &mut Bucket, more: usize) -> MetricResult<()> {
    let mut wide = Vec::new();
    grow_events(
        function,
        others.saturating_add(vec_bytes(&bucket.narrow)),
        &mut wide,
        bucket.narrow.len().saturating_add(more),
    )?;
    let base = bucket.base;
    wide.extend(bucket.narrow.iter().map(|&event| {
        WideEvent::new(
            narrow_time(base, event),
            event.local() as u32,
            narrow_step(event),
        )
    }));
    bucket.wide = wide;
    bucket.narrow = Vec::new();
    bucket.is_wide = true;
    Ok(())
}

/// Groups the events of one bucket by id (in id order), each id's sorted by (time, step) by
/// `sort`: counted by id, copied to `scratch` and back into each id's range. `scratch` must have
/// room for the events.
fn group_bucket<T: Stored>(
    events: &mut [T],
    scratch: &mut Vec<T>,
    starts: &mut Vec<usize>,
    sort: fn(&mut [T]),
) {
    let mask = BUCKET_MASK as usize;
    starts.clear();
    starts.resize(mask + 2, 0);
    let mut ticker = Ticker::new();
    for event in events.iter() {
        ticker.tick();
        starts[event.local() + 1] += 1;
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
        let head = &mut starts[event.local()];
        events[*head] = *event;
        *head += 1;
    }
    let mut start = 0;
    for end in starts[..=mask].iter().copied() {
        sort(&mut events[start..end]);
        start = end;
    }
}

/// Sorts one entity's narrow events by (time, step): as integers, since they share the place
/// in the bucket. A few events (most entities have about ten) are sorted by rank without
/// branches on the data: each event's key is the event with its place in the entity instead of
/// the (shared) place in the bucket, and its place in the order is the count of smaller keys,
/// so no comparison is mispredicted as an insertion sort's are. Longer entities take the
/// comparison sort.
fn sort_narrow(events: &mut [u64]) {
    let n = events.len();
    if n > RANK_SORT_MAX {
        events.sort_unstable();
        return;
    }
    let mut keys = [0u64; RANK_SORT_MAX];
    for (index, (key, event)) in keys.iter_mut().zip(events.iter()).enumerate() {
        *key = (event & !u64::from(BUCKET_MASK)) | index as u64;
    }
    place_by_rank(events, &keys, 0);
}

/// Sorts one entity's wide events by (time, step): by rank (as [`sort_narrow`]) for a few
/// events whose times span less than 2^54 µs (570 years), each with one 64-bit key (its time
/// less the entity's earliest, its step, its place); else by the comparison sort.
fn sort_wide(events: &mut [WideEvent]) {
    let n = events.len();
    let first = events.first().map_or(0, WideEvent::time);
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
    place_by_rank(events, &keys, WideEvent { time: 0, tag: 0 });
}

/// Puts each of a few events (at most [`RANK_SORT_MAX`]) at its rank among `keys` (distinct,
/// one per event in the same order): the number of keys below its own, without branches on the
/// data. `blank` fills the scratch array's unused places.
#[inline(always)]
fn place_by_rank<T: Copy>(events: &mut [T], keys: &[u64; RANK_SORT_MAX], blank: T) {
    let n = events.len();
    let mut sorted = [blank; RANK_SORT_MAX];
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
    pub fn iter(&self) -> impl Iterator<Item = (u128, Events<'_>)> + '_ {
        checked(&self.order).map(|id| {
            let id = *id as usize;
            let (start, end) = self.ranges[id];
            let events = self.entities.buckets[id >> BUCKET_LOG].events(start, end);
            (self.entities.keys[id], events)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::{
        narrow, narrow_step, narrow_time, sort_narrow, sort_wide, EntityEvents, WideEvent,
        OFFSET_BIAS,
    };
    use crate::common::limits::vec_bytes;
    use crate::common::sort::tests::numbers;
    use proptest::prelude::*;

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
        let buckets: usize = events.buckets.iter().map(|b| b.bytes()).sum();
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
        // Short and long entities of times within the rank sort's span and beyond it (the
        // comparison sort), with equal times and steps; narrow ones within their range.
        let spans = [3_i64, 1 << 40, 1 << 45, 1 << 53, i64::MAX];
        for (seed, span) in spans.iter().enumerate() {
            for n in [2_usize, 7, 16, 17, 40] {
                let rows: Vec<(i64, u8)> = numbers(seed as u64 * 31 + n as u64, n)
                    .into_iter()
                    .map(|v| {
                        (
                            (v % span.unsigned_abs()) as i64 - span / 2,
                            ((v >> 50) % 3) as u8,
                        )
                    })
                    .collect();
                let mut expected = rows.clone();
                expected.sort_unstable();
                let mut wide: Vec<WideEvent> = rows
                    .iter()
                    .map(|&(time, step)| WideEvent::new(time, 5, step))
                    .collect();
                sort_wide(&mut wide);
                let sorted: Vec<(i64, u8)> = wide.iter().map(|e| (e.time(), e.step())).collect();
                assert_eq!(sorted, expected, "wide, span {span}, {n} events");
                let narrowed: Option<Vec<u64>> = rows
                    .iter()
                    .map(|&(time, step)| narrow(0, time, 4096 + 5, step))
                    .collect();
                if let Some(mut narrowed) = narrowed {
                    sort_narrow(&mut narrowed);
                    let sorted: Vec<(i64, u8)> = narrowed
                        .iter()
                        .map(|&e| (narrow_time(0, e), narrow_step(e)))
                        .collect();
                    assert_eq!(sorted, expected, "narrow, span {span}, {n} events");
                }
            }
        }
    }

    #[test]
    fn narrow_events_hold_times_within_two_to_the_45_of_the_base() {
        for base in [0, -7, 1 << 50, i64::MIN + 1, i64::MAX - 1] {
            for offset in [-OFFSET_BIAS, -OFFSET_BIAS + 1, -1, 0, 1, OFFSET_BIAS - 1] {
                let Some(time) = base.checked_add(offset) else {
                    continue;
                };
                for step in [0, 1, 32] {
                    let event = narrow(base, time, 4095, step).unwrap();
                    assert_eq!((narrow_time(base, event), narrow_step(event)), (time, step));
                    assert_eq!(event & 4095, 4095);
                }
            }
            for offset in [-OFFSET_BIAS - 1, OFFSET_BIAS, i64::MIN, i64::MAX] {
                if let Some(time) = base.checked_add(offset) {
                    assert_eq!(narrow(base, time, 1, 1), None, "{base} {offset}");
                }
            }
            // Far beyond the range, where a difference of i64 would wrap.
            for time in [i64::MIN + 1, i64::MAX - 1] {
                if time.abs_diff(base) >= 1 << 45 {
                    assert_eq!(narrow(base, time, 1, 1), None, "{base} {time}");
                }
            }
        }
    }

    /// The events as grouped, visited entity by entity and sorted for the forms (each after
    /// the other, so each sees the previous one's grouping).
    fn all_orders(events: &mut EntityEvents) -> [Vec<(u128, i64, u8)>; 3] {
        let grouped = events
            .grouped("t")
            .unwrap()
            .iter()
            .flat_map(|(key, list)| list.iter().map(move |e| (key, e.time(), e.step())))
            .collect();
        let mut visited = Vec::new();
        events
            .for_each_entity("t", |key, list| {
                visited.extend(list.iter().map(|e| (key, e.time(), e.step())));
                Ok(())
            })
            .unwrap();
        let sorted = events.sorted().collect();
        [grouped, visited, sorted]
    }

    #[test]
    fn buckets_turn_wide_for_times_out_of_range() {
        let base = 1_700_000_000_000_000_i64;
        // The first event of each bucket sets its base; entity 0's bucket gets the times at
        // the range's ends and, for some, one past.
        let edges = [base - OFFSET_BIAS, base + OFFSET_BIAS - 1];
        for past in [
            None,
            Some(base - OFFSET_BIAS - 1),
            Some(base + OFFSET_BIAS),
            Some(i64::MIN + 1),
            Some(i64::MAX - 1),
        ] {
            // Ids 0 to 4095 (bucket 0) from `base`, then bucket 1's from −`base`.
            let mut rows: Vec<(u128, i64, u8)> = (0..4_096).map(|key| (key, base, 1)).collect();
            rows.extend((0..3).map(|i| (5_000 + i, -base, 2)));
            for (i, time) in edges.iter().enumerate() {
                rows.push((i as u128, *time, 3));
                rows.push((5_000 + i as u128, -base - OFFSET_BIAS + 1, 0));
            }
            rows.extend(past.map(|time| (1, time, 4)));
            rows.extend((0..50).map(|i| (i % 7, base + i as i64 * 1_000, (i % 5) as u8)));
            let mut events = events_of(&rows);
            assert_eq!(events.buckets[0].is_wide, past.is_some());
            assert!(!events.buckets[1].is_wide);
            let mut expected = rows.clone();
            expected.sort_unstable();
            for order in all_orders(&mut events) {
                assert_eq!(order, expected, "{past:?}");
            }
            // A copy and a merge keep the times.
            let mut merged = events_of(&rows[..3]);
            merged.extend("t", &events.clone()).unwrap();
            let mut twice: Vec<(u128, i64, u8)> = rows.iter().chain(&rows[..3]).copied().collect();
            twice.sort_unstable();
            assert_eq!(merged.sorted().collect::<Vec<_>>(), twice);
            assert_counted(&merged);
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

    /// A time near a base (`choice` 0), at a narrow range's ends or just past them (1 to 4),
    /// or anywhere (5).
    fn time_of(choice: u8, offset: i64) -> i64 {
        let base = 1_000_000_000_000_000;
        match choice {
            0 => base + offset,
            1 => base - OFFSET_BIAS + offset.rem_euclid(3),
            2 => base + OFFSET_BIAS - 1 - offset.rem_euclid(3),
            3 => base - OFFSET_BIAS - 1,
            4 => base + OFFSET_BIAS,
            _ => offset
                .saturating_mul(1 << 40)
                .clamp(i64::MIN + 1, i64::MAX - 1),
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        /// Narrow and wide buckets (times near each other, at a narrow range's ends, beyond
        /// it, far apart within one entity) group, visit, sort and merge exactly as a sort of
        /// the rows does.
        #[test]
        fn any_times_group_like_a_sort(
            rows in prop::collection::vec(
                (0u128..9_000, prop::sample::select(vec![0u8, 0, 0, 1, 2, 3, 4, 5]), -5_000_000i64..5_000_000, 0u8..=32),
                0..600,
            ),
            split in 0usize..600,
        ) {
            let rows: Vec<(u128, i64, u8)> = rows
                .into_iter()
                .map(|(key, choice, offset, step)| (key * 3, time_of(choice, offset), step))
                .collect();
            let mut expected = rows.clone();
            expected.sort_unstable();
            let mut events = events_of(&rows);
            for order in all_orders(&mut events) {
                prop_assert_eq!(&order, &expected);
            }
            let (first, second) = rows.split_at(split.min(rows.len()));
            let mut merged = events_of(first);
            merged.extend("t", &events_of(second)).unwrap();
            assert_counted(&merged);
            for order in all_orders(&mut merged) {
                prop_assert_eq!(&order, &expected);
            }
        }
    }
}
