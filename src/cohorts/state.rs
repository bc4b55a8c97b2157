//! State of `crm.cohort_agg` (`crm.cohort_summary`): for every customer, the
//! set of calendar periods it was active in.
//!
//! Each customer is one 32-byte slot of an open-addressing table: its 128-bit
//! key, its first period (the cohort), a 64-bit bitmap of the periods
//! `first .. first + 64`, and an index into a side arena of sorted periods
//! beyond that window, used only by customers active over more than 64
//! periods. The table is a power of two of slots, at most 3/4 full, so a
//! customer costs 43 to 85 bytes (about 56 in the benchmark), plus 4 bytes per
//! distinct period beyond the bitmap window and a 24-byte vector header for
//! customers that need it. Fixed costs: a 16-slot (512-byte) table to start,
//! a 512-byte event queue, and the [`Indexer`]'s memos once warm (8 KiB, or
//! 16 KiB for a named zone).
//!
//! `add` queues each event for a few calls after prefetching its slot, so that
//! the cache misses of consecutive events overlap; every reader applies the
//! queue first (through a `RefCell`, so readers keep taking `&self`).
//!
//! The binary form takes about 7 bytes per customer for bigint ids active over
//! a few months (keys are delta-coded), 22 or so for text and uuid ids.
use std::cell::{Ref, RefCell};
use std::collections::btree_map::BTreeMap;
use std::collections::hash_map::RandomState;
use std::fmt::{self, Write as _};
use std::hash::BuildHasher;

use serde::Deserialize;

use crate::common::calendar::{period_start_date, Indexer, Period, Zone};
use crate::common::codec::{Reader, Writer};
use crate::common::error::{MetricError, MetricResult};

pub const FORMAT_VERSION: u8 = 1;

/// SQL name of the type, used in messages about its binary and text forms.
const TYPE_NAME: &str = "crm.cohort_summary";
/// Smallest encoding of one customer: key delta, first period, bitmap and
/// spill length take at least one byte each.
const MIN_CUSTOMER_BYTES: usize = 4;

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
}

/// Key of a bigint customer id (exact: the id's two's-complement bits).
pub fn key_from_bigint(id: i64) -> u128 {
    u128::from(id as u64)
}

/// Key of a text customer id: its 128-bit XXH3 hash.
pub fn key_from_text(id: &str) -> u128 {
    xxhash_rust::xxh3::xxh3_128(id.as_bytes())
}

/// Key of a uuid customer id (exact; keys order like the uuids).
pub fn key_from_uuid(id: [u8; 16]) -> u128 {
    u128::from_be_bytes(id)
}

/// How `crm.cohort_retention` counts a customer as retained in period `k`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RetentionMode {
    /// Active in period `cohort + k` itself.
    Classic,
    /// Active in period `cohort + k` or any later one.
    Unbounded,
}

impl RetentionMode {
    /// Parses `classic` or `unbounded` (ASCII case-insensitive).
    pub fn parse(function: &str, name: &str) -> MetricResult<Self> {
        if name.eq_ignore_ascii_case("classic") {
            Ok(RetentionMode::Classic)
        } else if name.eq_ignore_ascii_case("unbounded") {
            Ok(RetentionMode::Unbounded)
        } else {
            Err(MetricError::InvalidParameter(format!(
                "{function}: unknown retention mode '{name}' (expected classic or unbounded)"
            )))
        }
    }
}

/// One row of `crm.cohort_retention`.
#[derive(Debug, Clone, PartialEq)]
pub struct CohortRow {
    /// First day of the cohort's period, as a Postgres date.
    pub cohort: i32,
    pub period_number: i32,
    pub cohort_size: u64,
    pub active_customers: u64,
    pub retention_rate: f64,
}

/// Bits of the per-customer bitmap window.
const WINDOW: i64 = 64;
/// `spill` of a vacant slot.
const VACANT: u32 = u32::MAX;
const VACANT_SLOT: Activity = Activity {
    key: 0,
    bits: 0,
    first: 0,
    spill: VACANT,
};
/// Smallest table (slots, a power of two).
const MIN_SLOTS: usize = 16;
/// Most customers of one summary: 3/4 of 2^26 slots, a table of 2 GiB. A larger
/// table could fail to allocate, and a failed allocation in Rust aborts the
/// backend, so the summary refuses to grow with a clean error instead.
const MAX_CUSTOMERS: usize = 3 << 24;
/// Events queued by `add` between the prefetch of their slot and its update.
const PIPELINE: usize = 16;

/// One slot of the customer table: the customer's key and periods — `first`
/// (its cohort, always bit 0 of `bits`), the bitmap of periods
/// `first .. first + 64`, and `spill`: 0, or one plus the index in
/// `Customers::spills` of its sorted periods `>= first + 64` — or `VACANT`.
#[derive(Debug, Clone, Copy)]
struct Activity {
    key: u128,
    bits: u64,
    first: i32,
    spill: u32,
}

/// The customers of a summary: an open-addressing table (linear probing,
/// power-of-two size, at most 3/4 full) of [`Activity`] slots, the spilled
/// periods, and a short queue of events whose slots are being prefetched so
/// that `add` overlaps the cache misses of consecutive events.
#[derive(Clone)]
struct Customers {
    slots: Vec<Activity>,
    /// Occupied slots (queued events not included).
    len: usize,
    /// 64 − log2(slots.len()): the top bits of a hash pick its home slot.
    shift: u32,
    /// Per-table random hash keys (bigint ids are sequential, not mixed).
    seed: u64,
    multiplier: u64,
    /// Sorted, distinct periods beyond the bitmap window of some customers.
    spills: Vec<Vec<i32>>,
    /// Ring of queued `(key, hash, period)`; once full, the oldest is at `next`.
    queue: [(u128, u64, i32); PIPELINE],
    queued: usize,
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
    /// A table sized for `customers` (capped at 2^24: larger ones grow as needed).
    fn with_capacity(customers: usize) -> Self {
        let wanted = (customers.min(1 << 24) * 4).div_ceil(3) + 1;
        let slots = wanted.next_power_of_two().max(MIN_SLOTS);
        let random = RandomState::new();
        Customers {
            slots: vec![VACANT_SLOT; slots],
            len: 0,
            shift: 64 - slots.trailing_zeros(),
            seed: random.hash_one(0u8),
            multiplier: random.hash_one(1u8) | 1,
            spills: Vec::new(),
            queue: [(0, 0, 0); PIPELINE],
            queued: 0,
            next: 0,
        }
    }

    #[inline]
    fn hash(&self, key: u128) -> u64 {
        folded_multiply(
            (key as u64) ^ self.seed,
            ((key >> 64) as u64) ^ self.multiplier,
        )
    }

    /// Whether `more` customers could still be added.
    fn has_room(&self, more: usize) -> bool {
        self.len + more < MAX_CUSTOMERS
    }

    fn iter(&self) -> impl Iterator<Item = &Activity> {
        self.slots.iter().filter(|a| a.spill != VACANT)
    }

    fn spill(&self, activity: &Activity) -> &[i32] {
        spill_of(activity, &self.spills)
    }

    /// Queues an event after prefetching its slot, and applies the oldest
    /// queued one. The caller checked `has_room(queued + 1)`.
    #[inline]
    fn push(&mut self, key: u128, period: i32) {
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
    fn flush(&mut self) {
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
            record(activity, &mut self.spills, period);
        }
    }

    /// The slot of `key`; a new one (`true`, with empty periods to fill in
    /// at once) if the key is absent. The caller checked `has_room(1)`.
    #[inline]
    fn find_or_insert(&mut self, key: u128, hash: u64) -> (usize, bool) {
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
        let size = self.slots.len() * 2;
        let old = std::mem::replace(&mut self.slots, vec![VACANT_SLOT; size]);
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
    fn merge_customer(&mut self, source: &Activity, source_spill: &[i32]) {
        let (at, new) = self.find_or_insert(source.key, self.hash(source.key));
        let target = &mut self.slots[at];
        if new {
            target.bits = source.bits;
            target.first = source.first;
            if !source_spill.is_empty() {
                spill_mut(target, &mut self.spills).extend_from_slice(source_spill);
            }
        } else {
            merge_activity(target, &mut self.spills, source, source_spill);
        }
    }
}

/// Per-customer activity periods; see the module documentation.
#[derive(Clone)]
pub struct CohortSummary {
    indexer: Indexer,
    key_kind: KeyKind,
    /// Behind a `RefCell` so that readers taking `&self` can apply the queued events.
    customers: RefCell<Customers>,
}

impl fmt::Debug for CohortSummary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CohortSummary")
            .field("period", &self.period())
            .field("zone", &self.zone().name())
            .field("key_kind", &self.key_kind)
            .field("customers", &self.customers())
            .finish()
    }
}

fn too_many_customers(function: &str) -> MetricError {
    MetricError::OutOfRange(format!(
        "{function}: more than {MAX_CUSTOMERS} customers in one summary"
    ))
}

impl CohortSummary {
    pub fn new(period: Period, zone: Zone, key_kind: KeyKind) -> Self {
        Self::with_capacity(period, zone, key_kind, 0)
    }

    fn with_capacity(period: Period, zone: Zone, key_kind: KeyKind, customers: usize) -> Self {
        CohortSummary {
            indexer: Indexer::new(period, zone),
            key_kind,
            customers: RefCell::new(Customers::with_capacity(customers)),
        }
    }

    pub fn period(&self) -> Period {
        self.indexer.period()
    }

    pub fn zone(&self) -> &Zone {
        self.indexer.zone()
    }

    pub fn key_kind(&self) -> KeyKind {
        self.key_kind
    }

    /// The customers with every queued event applied.
    fn settled(&self) -> Ref<'_, Customers> {
        // Borrows end with each public method, so these borrows always succeed.
        if let Ok(mut customers) = self.customers.try_borrow_mut() {
            customers.flush();
        }
        self.customers.borrow()
    }

    /// Records that customer `key` was active at `occurred_at` (raw timestamptz).
    #[inline]
    pub fn add(&mut self, function: &str, key: u128, occurred_at: i64) -> MetricResult<()> {
        if self.key_kind == KeyKind::BigInt && key > u128::from(u64::MAX) {
            return Err(MetricError::InvalidParameter(format!(
                "{function}: key {key:#x} is not a bigint customer id"
            )));
        }
        let period = self.indexer.index(function, occurred_at)?;
        let customers = self.customers.get_mut();
        if !customers.has_room(customers.queued + 1) {
            return Err(too_many_customers(function));
        }
        customers.push(key, period);
        Ok(())
    }

    /// Adds every customer activity of `other` (exact union).
    pub fn merge(&mut self, function: &str, other: &CohortSummary) -> MetricResult<()> {
        self.check_compatible(function, other)?;
        let source = other.settled();
        let target = self.customers.get_mut();
        target.flush();
        for activity in source.iter() {
            if !target.has_room(1) {
                return Err(too_many_customers(function));
            }
            target.merge_customer(activity, source.spill(activity));
        }
        Ok(())
    }

    fn check_compatible(&self, function: &str, other: &CohortSummary) -> MetricResult<()> {
        let mismatch = |what: &str, mine: &str, theirs: &str| {
            Err(MetricError::InvalidParameter(format!(
                "{function}: cannot merge cohort summaries with different {what} ({mine} and {theirs})"
            )))
        };
        if self.period() != other.period() {
            return mismatch("periods", self.period().name(), other.period().name());
        }
        if self.zone() != other.zone() {
            return mismatch("time zones", self.zone().name(), other.zone().name());
        }
        if self.key_kind != other.key_kind {
            return mismatch(
                "customer id types",
                self.key_kind.name(),
                other.key_kind.name(),
            );
        }
        Ok(())
    }

    /// Number of distinct customers.
    pub fn customers(&self) -> u64 {
        self.settled().len as u64
    }

    /// Retention triangle: for each cohort (ascending) the rows for
    /// `k = 0 ..= last period present − cohort`, zeros included.
    pub fn retention(&self, mode: RetentionMode) -> Vec<CohortRow> {
        let customers = self.settled();
        let Some(last) = last_period(&customers) else {
            return Vec::new();
        };
        // Per cohort: classic → customers active at offset k;
        // unbounded → customers whose last activity is at offset k, then suffix sums.
        // Spilled periods are read in a second, sequential pass over the spills.
        let mut cohorts: BTreeMap<i32, Vec<u64>> = BTreeMap::new();
        let mut spill_firsts = vec![0; customers.spills.len()];
        for activity in customers.iter() {
            let first = activity.first;
            let counts = cohorts
                .entry(first)
                .or_insert_with(|| vec![0; steps(first, last) + 1]);
            if let Some(spill_first) =
                spill_firsts.get_mut((activity.spill as usize).wrapping_sub(1))
            {
                *spill_first = first;
            }
            match mode {
                RetentionMode::Classic => {
                    let mut bits = activity.bits;
                    while bits != 0 {
                        counts[bits.trailing_zeros() as usize] += 1;
                        bits &= bits - 1;
                    }
                }
                RetentionMode::Unbounded if activity.spill == 0 => {
                    counts[steps(first, last_of(activity, &[]))] += 1;
                }
                RetentionMode::Unbounded => {}
            }
        }
        for (spill, &first) in customers.spills.iter().zip(&spill_firsts) {
            let Some(counts) = cohorts.get_mut(&first) else {
                continue;
            };
            match mode {
                RetentionMode::Classic => {
                    for &period in spill {
                        counts[steps(first, period)] += 1;
                    }
                }
                RetentionMode::Unbounded => {
                    if let Some(&period) = spill.last() {
                        counts[steps(first, period)] += 1;
                    }
                }
            }
        }
        let period = self.period();
        let mut rows = Vec::with_capacity(cohorts.values().map(Vec::len).sum());
        for (first, mut counts) in cohorts {
            if mode == RetentionMode::Unbounded {
                let mut running = 0;
                for count in counts.iter_mut().rev() {
                    running += *count;
                    *count = running;
                }
            }
            let size = counts[0];
            let cohort = period_start_date(period, first);
            rows.extend(counts.iter().enumerate().map(|(k, &active)| CohortRow {
                cohort,
                period_number: k as i32,
                cohort_size: size,
                active_customers: active,
                retention_rate: active as f64 / size as f64,
            }));
        }
        rows
    }

    /// Number of rows [`CohortSummary::retention`] returns (in either mode),
    /// to refuse absurdly large triangles before building them.
    pub fn retention_row_count(&self) -> u64 {
        let customers = self.settled();
        let Some(last) = last_period(&customers) else {
            return 0;
        };
        let mut cohorts: Vec<i32> = customers.iter().map(|a| a.first).collect();
        cohorts.sort_unstable();
        cohorts.dedup();
        cohorts
            .iter()
            .map(|&first| steps(first, last) as u64 + 1)
            .sum()
    }

    /// Share of customers active in at least two distinct periods.
    pub fn repeat_rate(&self) -> Option<f64> {
        let customers = self.settled();
        if customers.len == 0 {
            return None;
        }
        let repeat = customers
            .iter()
            // A spill, once created, is never empty.
            .filter(|a| a.bits.count_ones() >= 2 || a.spill != 0)
            .count();
        Some(repeat as f64 / customers.len as f64)
    }

    /// Canonical binary form: version byte, period code, zone name, key kind,
    /// customer count, then per customer in key order the key (varint delta
    /// from the previous one), first period, bitmap and spilled periods
    /// (count, then varint gaps).
    pub fn encode(&self) -> Vec<u8> {
        let customers = self.settled();
        let mut writer = Writer::with_version(FORMAT_VERSION);
        writer
            .u8(period_code(self.period()))
            .bytes(self.zone().name().as_bytes())
            .u8(self.key_kind.code())
            .u64(customers.len as u64);
        let mut previous: Option<u128> = None;
        for activity in sorted(&customers) {
            let key = activity.key;
            let delta = match previous {
                None => key,
                Some(previous) => key - previous - 1,
            };
            previous = Some(key);
            write_u128_varint(&mut writer, delta);
            writer.i64(i64::from(activity.first)).u64(activity.bits);
            let spill = customers.spill(&activity);
            writer.u64(spill.len() as u64);
            let mut last = i64::from(activity.first) + WINDOW - 1;
            for &period in spill {
                writer.u64((i64::from(period) - last - 1) as u64);
                last = i64::from(period);
            }
        }
        writer.finish()
    }

    /// Reads [`CohortSummary::encode`]'s form, validating every field.
    pub fn decode(bytes: &[u8]) -> MetricResult<Self> {
        let invalid = |message: &str| MetricError::InvalidBinary(format!("{TYPE_NAME}: {message}"));
        let mut reader = Reader::open(bytes, FORMAT_VERSION, TYPE_NAME)?;
        let period =
            period_from_code(reader.u8()?).ok_or_else(|| invalid("unknown period code"))?;
        let zone_name = std::str::from_utf8(reader.bytes()?)
            .map_err(|_| invalid("time zone name is not UTF-8"))?;
        let zone = Zone::parse(TYPE_NAME, zone_name)
            .map_err(|e| MetricError::InvalidBinary(e.to_string()))?;
        let key_code = reader.u8()?;
        let key_kind = KeyKind::ALL
            .into_iter()
            .find(|kind| kind.code() == key_code)
            .ok_or_else(|| invalid("unknown customer id type code"))?;
        let count = reader.u64()?;
        if count > (reader.remaining() / MIN_CUSTOMER_BYTES) as u64 {
            return Err(invalid("customer count exceeds the data"));
        }
        // Bounded by the input size; capped so that growth past it is paid by real entries.
        let mut summary =
            CohortSummary::with_capacity(period, zone, key_kind, count.min(1 << 20) as usize);
        let customers = summary.customers.get_mut();
        let (low, high) = period.index_range();
        let in_range = |index: i64| (i64::from(low)..=i64::from(high)).contains(&index);
        let mut previous: Option<u128> = None;
        for _ in 0..count {
            let delta = read_u128_varint(&mut reader)?;
            let key = match previous {
                None => Some(delta),
                Some(previous) => previous.checked_add(delta).and_then(|k| k.checked_add(1)),
            }
            .ok_or_else(|| invalid("customer key overflows"))?;
            previous = Some(key);
            if key_kind == KeyKind::BigInt && key > u128::from(u64::MAX) {
                return Err(invalid("customer key is not a bigint"));
            }
            let first = reader.i64()?;
            let bits = reader.u64()?;
            if !in_range(first) {
                return Err(invalid("period index out of range"));
            }
            if bits & 1 == 0 {
                return Err(invalid("first period missing from the activity bitmap"));
            }
            if !in_range(first + 63 - i64::from(bits.leading_zeros())) {
                return Err(invalid("period index out of range"));
            }
            let spill_len = reader.u64()?;
            if spill_len > reader.remaining() as u64 {
                return Err(invalid("period count exceeds the data"));
            }
            let mut spill = Vec::with_capacity(spill_len as usize);
            let mut last = first + WINDOW - 1;
            for _ in 0..spill_len {
                let period = i64::try_from(reader.u64()?)
                    .ok()
                    .and_then(|gap| last.checked_add(gap))
                    .and_then(|p| p.checked_add(1))
                    .filter(|&p| in_range(p))
                    .ok_or_else(|| invalid("period index out of range"))?;
                spill.push(period as i32);
                last = period;
            }
            if !customers.has_room(1) {
                return Err(too_many_customers(TYPE_NAME));
            }
            // Keys strictly increase: each one is new.
            let (at, _) = customers.find_or_insert(key, customers.hash(key));
            let activity = &mut customers.slots[at];
            activity.bits = bits;
            activity.first = first as i32;
            if !spill.is_empty() {
                *spill_mut(activity, &mut customers.spills) = spill;
            }
        }
        reader.finish()?;
        Ok(summary)
    }

    /// Readable JSON form, customers in key order with their period indexes, e.g.
    /// `{"version":1,"period":"month","time_zone":"UTC","key":"bigint","customers":[["42",[288,290]]]}`.
    /// Bigint ids print in decimal, uuids in their usual form, text ids as the
    /// 32 hex digits of their hash.
    pub fn to_text(&self) -> String {
        let customers = self.settled();
        let mut text = String::with_capacity(96 + 24 * customers.len);
        // Writing to a String cannot fail.
        let _ = write!(
            text,
            r#"{{"version":{FORMAT_VERSION},"period":"{}","time_zone":{},"key":"{}","customers":["#,
            self.period().name(),
            serde_json::Value::from(self.zone().name()),
            self.key_kind.name(),
        );
        for (n, activity) in sorted(&customers).into_iter().enumerate() {
            if n > 0 {
                text.push(',');
            }
            text.push_str("[\"");
            write_key(&mut text, self.key_kind, activity.key);
            text.push_str("\",[");
            let spill = customers.spill(&activity);
            for (m, period) in periods(activity.first, activity.bits, spill).enumerate() {
                if m > 0 {
                    text.push(',');
                }
                let _ = write!(text, "{period}");
            }
            text.push_str("]]");
        }
        text.push_str("]}");
        text
    }

    /// Reads [`CohortSummary::to_text`]'s form; periods may come in any order.
    pub fn from_text(text: &str) -> MetricResult<Self> {
        let invalid = |message: String| MetricError::InvalidText(format!("{TYPE_NAME}: {message}"));
        let form: TextForm = serde_json::from_str(text).map_err(|e| invalid(e.to_string()))?;
        if form.version != FORMAT_VERSION {
            return Err(invalid(format!(
                "unsupported version {} (expected {FORMAT_VERSION})",
                form.version
            )));
        }
        let to_text_error = |e: MetricError| MetricError::InvalidText(e.to_string());
        let period = Period::parse(TYPE_NAME, &form.period).map_err(to_text_error)?;
        let zone = Zone::parse(TYPE_NAME, &form.time_zone).map_err(to_text_error)?;
        let key_kind = KeyKind::ALL
            .into_iter()
            .find(|kind| kind.name().eq_ignore_ascii_case(&form.key))
            .ok_or_else(|| {
                invalid(format!(
                    "unknown customer id type '{}' (expected bigint, text or uuid)",
                    form.key
                ))
            })?;
        let mut summary =
            CohortSummary::with_capacity(period, zone, key_kind, form.customers.len());
        let customers = summary.customers.get_mut();
        let (low, high) = period.index_range();
        for (id, indexes) in form.customers {
            let key = parse_key(key_kind, &id).ok_or_else(|| {
                invalid(format!("invalid {} customer id '{id}'", key_kind.name()))
            })?;
            let mut indexes = indexes.into_iter().map(|index| {
                i32::try_from(index)
                    .ok()
                    .filter(|index| (low..=high).contains(index))
                    .ok_or_else(|| invalid(format!("period index {index} out of range")))
            });
            let first = indexes
                .next()
                .ok_or_else(|| invalid(format!("customer '{id}' has no periods")))??;
            if !customers.has_room(1) {
                return Err(too_many_customers(TYPE_NAME));
            }
            let (at, new) = customers.find_or_insert(key, customers.hash(key));
            if !new {
                return Err(invalid(format!("duplicate customer '{id}'")));
            }
            let activity = &mut customers.slots[at];
            activity.bits = 1;
            activity.first = first;
            for index in indexes {
                record(activity, &mut customers.spills, index?);
            }
        }
        Ok(summary)
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TextForm {
    version: u8,
    period: String,
    time_zone: String,
    key: String,
    customers: Vec<(String, Vec<i64>)>,
}

/// Copies of the occupied slots, sorted by key.
fn sorted(customers: &Customers) -> Vec<Activity> {
    let mut entries: Vec<Activity> = customers.iter().copied().collect();
    entries.sort_unstable_by_key(|a| a.key);
    entries
}

fn last_period(customers: &Customers) -> Option<i32> {
    // A customer's spilled periods all come after its bitmap's.
    let in_bitmaps = customers.iter().map(|a| last_of(a, &[])).max();
    let in_spills = customers
        .spills
        .iter()
        .filter_map(|s| s.last().copied())
        .max();
    in_bitmaps.max(in_spills)
}

/// `to - from` as an index, for `from <= to` (guaranteed by the callers).
fn steps(from: i32, to: i32) -> usize {
    (i64::from(to) - i64::from(from)) as usize
}

fn spill_of<'a>(activity: &Activity, spills: &'a [Vec<i32>]) -> &'a [i32] {
    match activity.spill {
        0 | VACANT => &[],
        n => &spills[n as usize - 1],
    }
}

/// The spill vector of the customer, allocated on first use (callers always
/// put a period in it: a spill is never empty).
fn spill_mut<'a>(activity: &mut Activity, spills: &'a mut Vec<Vec<i32>>) -> &'a mut Vec<i32> {
    if activity.spill == 0 {
        spills.push(Vec::new());
        // At most one spill per customer and fewer than MAX_CUSTOMERS < u32::MAX
        // customers: the index fits and never reaches VACANT.
        activity.spill = spills.len() as u32;
    }
    &mut spills[activity.spill as usize - 1]
}

fn last_of(activity: &Activity, spill: &[i32]) -> i32 {
    match spill.last() {
        Some(&last) => last,
        None => activity.first + 63 - activity.bits.leading_zeros() as i32,
    }
}

/// The periods of a bitmap starting at `first`, then `spill`, in ascending order.
fn periods(first: i32, bits: u64, spill: &[i32]) -> impl Iterator<Item = i32> + '_ {
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

/// Marks `period` active for the customer.
#[inline]
fn record(activity: &mut Activity, spills: &mut Vec<Vec<i32>>, period: i32) {
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
    } else {
        record_outside_window(activity, spills, period, i64::from(period) - first);
    }
}

#[cold]
fn record_outside_window(
    activity: &mut Activity,
    spills: &mut Vec<Vec<i32>>,
    period: i32,
    offset: i64,
) {
    if offset >= WINDOW {
        let spill = spill_mut(activity, spills);
        if let Err(position) = spill.binary_search(&period) {
            spill.insert(position, period);
        }
        return;
    }
    // An earlier period: it becomes the first one, and the periods pushed out
    // of the bitmap window move to the front of the spill.
    let shift = -offset;
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
    if !moved.is_empty() {
        spill_mut(activity, spills).splice(0..0, moved);
    }
}

/// Adds the periods of `source` (with its spilled periods) to `target`.
fn merge_activity(
    target: &mut Activity,
    spills: &mut Vec<Vec<i32>>,
    source: &Activity,
    source_spill: &[i32],
) {
    record(target, spills, source.first);
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
        return;
    }
    let overflow_first = if distance < WINDOW {
        target.first + WINDOW as i32
    } else {
        source.first
    };
    let extra = periods(overflow_first, overflow, source_spill);
    let spill = spill_mut(target, spills);
    let mut merged = Vec::with_capacity(spill.len() + source_spill.len() + 64);
    let mut mine = spill.iter().copied().peekable();
    let mut theirs = extra.peekable();
    loop {
        let next = match (mine.peek(), theirs.peek()) {
            (Some(&a), Some(&b)) if a < b => mine.next(),
            (Some(&a), Some(&b)) if a > b => theirs.next(),
            (Some(_), Some(_)) => {
                theirs.next();
                mine.next()
            }
            (Some(_), None) => mine.next(),
            (None, _) => theirs.next(),
        };
        match next {
            Some(period) => merged.push(period),
            None => break,
        }
    }
    *spill = merged;
}

fn period_code(period: Period) -> u8 {
    match period {
        Period::Day => 0,
        Period::Week => 1,
        Period::Month => 2,
        Period::Quarter => 3,
        Period::Year => 4,
    }
}

fn period_from_code(code: u8) -> Option<Period> {
    [
        Period::Day,
        Period::Week,
        Period::Month,
        Period::Quarter,
        Period::Year,
    ]
    .into_iter()
    .find(|&period| period_code(period) == code)
}

fn write_u128_varint(writer: &mut Writer, mut value: u128) {
    while value >= 0x80 {
        writer.u8((value as u8) | 0x80);
        value >>= 7;
    }
    writer.u8(value as u8);
}

fn read_u128_varint(reader: &mut Reader<'_>) -> MetricResult<u128> {
    let mut value: u128 = 0;
    for shift in (0..128).step_by(7) {
        let byte = reader.u8()?;
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
        "{TYPE_NAME}: malformed customer key"
    )))
}

pub fn write_key(text: &mut String, kind: KeyKind, key: u128) {
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

#[cfg(test)]
mod tests {
    use std::collections::{BTreeMap, BTreeSet};

    use proptest::prelude::*;

    use super::*;
    use crate::common::calendar::period_index;

    const F: &str = "crm.cohort_agg";
    const DAY: i64 = 86_400_000_000;
    const HOUR: i64 = 3_600_000_000;
    const PERIODS: [Period; 5] = [
        Period::Day,
        Period::Week,
        Period::Month,
        Period::Quarter,
        Period::Year,
    ];

    /// Days since 2000-01-01 of a date.
    fn date(y: i32, m: u32, d: u32) -> i32 {
        let epoch = chrono::NaiveDate::from_ymd_opt(2000, 1, 1).unwrap();
        (chrono::NaiveDate::from_ymd_opt(y, m, d).unwrap() - epoch).num_days() as i32
    }

    /// Raw timestamptz of a UTC wall-clock time.
    fn ts(y: i32, m: u32, d: u32, h: i64) -> i64 {
        i64::from(date(y, m, d)) * DAY + h * HOUR
    }

    fn zone(name: &str) -> Zone {
        Zone::parse(F, name).unwrap()
    }

    fn summary(period: Period, zone_name: &str, events: &[(i64, i64)]) -> CohortSummary {
        let mut s = CohortSummary::new(period, zone(zone_name), KeyKind::BigInt);
        for &(id, t) in events {
            s.add(F, key_from_bigint(id), t).unwrap();
        }
        s
    }

    fn row(cohort: i32, k: i32, size: u64, active: u64) -> CohortRow {
        CohortRow {
            cohort,
            period_number: k,
            cohort_size: size,
            active_customers: active,
            retention_rate: active as f64 / size as f64,
        }
    }

    /// Five customers over January to April 2024, added out of order:
    /// 1: Jan Feb Mar · 2: Jan Mar (skips Feb) · 3: Jan · 4: Feb Feb Apr · 5: Mar.
    fn triangle() -> CohortSummary {
        summary(
            Period::Month,
            "UTC",
            &[
                (4, ts(2024, 4, 2, 9)),
                (1, ts(2024, 2, 10, 0)),
                (1, ts(2024, 1, 31, 23)),
                (2, ts(2024, 3, 1, 0)),
                (3, ts(2024, 1, 15, 12)),
                (4, ts(2024, 2, 3, 0)),
                (4, ts(2024, 2, 28, 0)),
                (2, ts(2024, 1, 2, 0)),
                (1, ts(2024, 3, 31, 23)),
                (5, ts(2024, 3, 5, 0)),
            ],
        )
    }

    #[test]
    fn classic_retention_triangle() {
        let (jan, feb, mar) = (date(2024, 1, 1), date(2024, 2, 1), date(2024, 3, 1));
        assert_eq!(
            triangle().retention(RetentionMode::Classic),
            vec![
                row(jan, 0, 3, 3),
                row(jan, 1, 3, 1),
                row(jan, 2, 3, 2),
                row(jan, 3, 3, 0),
                row(feb, 0, 1, 1),
                row(feb, 1, 1, 0),
                row(feb, 2, 1, 1),
                row(mar, 0, 1, 1),
                row(mar, 1, 1, 0),
            ]
        );
        assert_eq!(triangle().retention_row_count(), 9);
    }

    #[test]
    fn unbounded_retention_triangle() {
        let (jan, feb, mar) = (date(2024, 1, 1), date(2024, 2, 1), date(2024, 3, 1));
        assert_eq!(
            triangle().retention(RetentionMode::Unbounded),
            vec![
                row(jan, 0, 3, 3),
                row(jan, 1, 3, 2),
                row(jan, 2, 3, 2),
                row(jan, 3, 3, 0),
                row(feb, 0, 1, 1),
                row(feb, 1, 1, 1),
                row(feb, 2, 1, 1),
                row(mar, 0, 1, 1),
                row(mar, 1, 1, 0),
            ]
        );
    }

    #[test]
    fn repeat_rate_and_customers() {
        let s = triangle();
        assert_eq!(s.customers(), 5);
        assert_eq!(s.repeat_rate(), Some(0.6));
        let empty = CohortSummary::new(Period::Month, Zone::utc(), KeyKind::BigInt);
        assert_eq!(empty.customers(), 0);
        assert_eq!(empty.repeat_rate(), None);
        assert!(empty.retention(RetentionMode::Classic).is_empty());
        assert_eq!(empty.retention_row_count(), 0);
        // Two events in the same period are not a repeat.
        let same = summary(
            Period::Week,
            "UTC",
            &[(1, ts(2024, 1, 1, 0)), (1, ts(2024, 1, 7, 23))],
        );
        assert_eq!(same.repeat_rate(), Some(0.0));
    }

    #[test]
    fn every_period_kind() {
        // 2023-01-01 (a Sunday) and 2023-01-02 (a Monday).
        let events = [(1, ts(2023, 1, 1, 12)), (2, ts(2023, 1, 2, 12))];
        let cohorts = |period| {
            summary(period, "UTC", &events)
                .retention(RetentionMode::Classic)
                .iter()
                .map(|r| (r.cohort, r.period_number, r.cohort_size, r.active_customers))
                .collect::<Vec<_>>()
        };
        let (sun, mon) = (date(2023, 1, 1), date(2023, 1, 2));
        assert_eq!(
            cohorts(Period::Day),
            vec![(sun, 0, 1, 1), (sun, 1, 1, 0), (mon, 0, 1, 1)]
        );
        let week = date(2022, 12, 26);
        assert_eq!(
            cohorts(Period::Week),
            vec![(week, 0, 1, 1), (week, 1, 1, 0), (mon, 0, 1, 1)]
        );
        assert_eq!(cohorts(Period::Month), vec![(sun, 0, 2, 2)]);
        assert_eq!(cohorts(Period::Quarter), vec![(sun, 0, 2, 2)]);
        assert_eq!(cohorts(Period::Year), vec![(sun, 0, 2, 2)]);
        // Quarters: a customer seen in February and in November.
        let s = summary(
            Period::Quarter,
            "UTC",
            &[(1, ts(2024, 2, 1, 0)), (1, ts(2024, 11, 30, 0))],
        );
        let rows = s.retention(RetentionMode::Classic);
        assert_eq!(rows.len(), 4);
        assert_eq!(rows[0].cohort, date(2024, 1, 1));
        assert_eq!(
            rows.iter().map(|r| r.active_customers).collect::<Vec<_>>(),
            vec![1, 0, 0, 1]
        );
    }

    #[test]
    fn binary_and_text_forms_are_pinned() {
        let s = summary(
            Period::Month,
            "UTC",
            &[
                (2, ts(2024, 1, 5, 0)),
                (1, ts(2024, 1, 6, 0)),
                (1, ts(2024, 3, 1, 0)),
            ],
        );
        assert_eq!(
            s.to_text(),
            r#"{"version":1,"period":"month","time_zone":"UTC","key":"bigint","customers":[["1",[288,290]],["2",[288]]]}"#
        );
        // Version, period, zone name, key kind, customer count, then per customer (sorted by key)
        // the key delta, first period (zigzag), bitmap of later periods and spill length.
        assert_eq!(
            s.encode(),
            vec![1, 2, 3, 85, 84, 67, 0, 2, 1, 192, 4, 5, 0, 0, 192, 4, 1, 0]
        );
    }

    #[test]
    fn time_zone_decides_the_cohort() {
        // 23:30 UTC on New Year's Eve is already January in Berlin.
        let events = [
            (1, ts(2023, 12, 31, 23) + HOUR / 2),
            (2, ts(2024, 1, 1, 12)),
        ];
        let utc = summary(Period::Month, "UTC", &events).retention(RetentionMode::Classic);
        assert_eq!(utc[0].cohort, date(2023, 12, 1));
        assert_eq!(utc.len(), 3);
        let berlin =
            summary(Period::Month, "Europe/Berlin", &events).retention(RetentionMode::Classic);
        assert_eq!(berlin, vec![row(date(2024, 1, 1), 0, 2, 2)]);
        // 03:00 UTC on 2024-03-10 is still March 9th in New York; 05:00 is the 10th (EST).
        let ny = summary(
            Period::Day,
            "America/New_York",
            &[
                (1, ts(2024, 3, 10, 3)),
                (1, ts(2024, 3, 10, 5)),
                (2, ts(2024, 3, 11, 3)),
            ],
        );
        let rows = ny.retention(RetentionMode::Classic);
        assert_eq!(rows[0].cohort, date(2024, 3, 9));
        assert_eq!(
            rows.iter().map(|r| r.active_customers).collect::<Vec<_>>(),
            vec![1, 1, 1]
        );
        // ... and 03:00 UTC on the 11th is the 10th (EDT started on the 10th).
        assert_eq!(rows[2].cohort, date(2024, 3, 10));
    }

    #[test]
    fn key_kinds() {
        assert_eq!(key_from_bigint(42), 42);
        assert_eq!(key_from_bigint(-1), u128::from(u64::MAX));
        assert_eq!(key_from_text("alice"), key_from_text("alice"));
        assert_ne!(key_from_text("alice"), key_from_text("alicf"));
        assert_eq!(key_from_text(""), xxhash_rust::xxh3::xxh3_128(b""));
        let uuid = [
            0x12, 0x3e, 0x45, 0x67, 0xe8, 0x9b, 0x12, 0xd3, 0xa4, 0x56, 0x42, 0x66, 0x14, 0x17,
            0x40, 0x00,
        ];
        assert_eq!(key_from_uuid(uuid), 0x123e4567_e89b_12d3_a456_426614174000);
        assert!(key_from_uuid([0; 16]) < key_from_uuid(uuid));

        let t = ts(2024, 1, 5, 0);
        let mut big = CohortSummary::new(Period::Month, Zone::utc(), KeyKind::BigInt);
        big.add(F, key_from_bigint(-7), t).unwrap();
        big.add(F, key_from_bigint(42), t + 40 * DAY).unwrap();
        assert_eq!(
            big.to_text(),
            r#"{"version":1,"period":"month","time_zone":"UTC","key":"bigint","customers":[["42",[289]],["-7",[288]]]}"#
        );
        let err = big.add(F, key_from_uuid(uuid), t).unwrap_err();
        assert!(
            matches!(err, MetricError::InvalidParameter(m) if m.starts_with("crm.cohort_agg: "))
        );

        let mut by_uuid = CohortSummary::new(Period::Year, zone("Europe/Berlin"), KeyKind::Uuid);
        by_uuid.add(F, key_from_uuid(uuid), t).unwrap();
        assert_eq!(
            by_uuid.to_text(),
            r#"{"version":1,"period":"year","time_zone":"Europe/Berlin","key":"uuid","customers":[["123e4567-e89b-12d3-a456-426614174000",[24]]]}"#
        );
        let mut by_text = CohortSummary::new(Period::Day, Zone::utc(), KeyKind::Text);
        by_text.add(F, key_from_text("alice"), t).unwrap();
        by_text.add(F, key_from_text("bob"), t).unwrap();
        by_text.add(F, key_from_text("alice"), t).unwrap();
        assert_eq!(by_text.customers(), 2);
        assert!(by_text
            .to_text()
            .contains(&format!("{:032x}", key_from_text("alice"))));
        for s in [&big, &by_uuid, &by_text] {
            let text = s.to_text();
            assert_eq!(CohortSummary::from_text(&text).unwrap().to_text(), text);
            assert_eq!(
                CohortSummary::decode(&s.encode()).unwrap().encode(),
                s.encode()
            );
        }
    }

    #[test]
    fn customers_spanning_many_periods() {
        // Every third day for 400 days, added backwards, then forwards again.
        let days: Vec<i64> = (0..400).step_by(3).collect();
        let mut s = CohortSummary::new(Period::Day, Zone::utc(), KeyKind::BigInt);
        for &d in days.iter().rev() {
            s.add(F, 9, d * DAY + HOUR).unwrap();
        }
        for &d in &days {
            s.add(F, 9, d * DAY).unwrap();
        }
        let expected: Vec<String> = days.iter().map(|d| d.to_string()).collect();
        assert_eq!(
            s.to_text(),
            format!(
                r#"{{"version":1,"period":"day","time_zone":"UTC","key":"bigint","customers":[["9",[{}]]]}}"#,
                expected.join(",")
            )
        );
        let rows = s.retention(RetentionMode::Classic);
        assert_eq!(rows.len(), 400);
        assert!(rows
            .iter()
            .all(|r| r.active_customers == u64::from(r.period_number % 3 == 0)));
        assert_eq!(s.repeat_rate(), Some(1.0));
        let back = CohortSummary::decode(&s.encode()).unwrap();
        assert_eq!(back.to_text(), s.to_text());
        // Merging a shifted copy interleaves the periods.
        let mut other = CohortSummary::new(Period::Day, Zone::utc(), KeyKind::BigInt);
        for &d in &days {
            other.add(F, 9, (d - 200) * DAY).unwrap();
        }
        s.merge("crm.rollup", &other).unwrap();
        let mut all: BTreeSet<i64> = days.iter().copied().collect();
        all.extend(days.iter().map(|d| d - 200));
        let expected: Vec<String> = all.iter().map(|d| d.to_string()).collect();
        assert!(s
            .to_text()
            .ends_with(&format!("[{}]]]}}", expected.join(","))));
    }

    #[test]
    fn error_cases() {
        assert_eq!(
            RetentionMode::parse("crm.cohort_retention", "classic").unwrap(),
            RetentionMode::Classic
        );
        assert_eq!(
            RetentionMode::parse("crm.cohort_retention", "UNBOUNDED").unwrap(),
            RetentionMode::Unbounded
        );
        assert_eq!(
            RetentionMode::parse("crm.cohort_retention", "rolling").unwrap_err(),
            MetricError::InvalidParameter(
                "crm.cohort_retention: unknown retention mode 'rolling' (expected classic or unbounded)".into()
            )
        );
        assert!(matches!(
            Period::parse(F, "fortnight"),
            Err(MetricError::InvalidParameter(_))
        ));
        assert!(matches!(
            Zone::parse(F, "Europe/Atlantis"),
            Err(MetricError::InvalidParameter(_))
        ));

        let mut s = CohortSummary::new(Period::Month, zone("Europe/Berlin"), KeyKind::BigInt);
        for t in [i64::MIN, i64::MAX] {
            let err = s.add(F, 1, t).unwrap_err();
            assert!(
                matches!(err, MetricError::DatetimeOverflow(m) if m.starts_with("crm.cohort_agg: "))
            );
        }
        assert_eq!(s.customers(), 0);

        let base = CohortSummary::new(Period::Month, Zone::utc(), KeyKind::BigInt);
        let others = [
            CohortSummary::new(Period::Week, Zone::utc(), KeyKind::BigInt),
            CohortSummary::new(Period::Month, zone("Europe/Berlin"), KeyKind::BigInt),
            CohortSummary::new(Period::Month, Zone::utc(), KeyKind::Text),
        ];
        for other in &others {
            let err = base.clone().merge("crm.rollup", other).unwrap_err();
            assert!(
                matches!(err, MetricError::InvalidParameter(ref m) if m.starts_with("crm.rollup: cannot merge")),
                "{err}"
            );
        }
        assert_eq!(
            base.clone().merge("crm.rollup", &others[1]).unwrap_err().to_string(),
            "crm.rollup: cannot merge cohort summaries with different time zones (UTC and Europe/Berlin)"
        );
        // Aliases of a zone are the same zone.
        let mut gmt = CohortSummary::new(Period::Month, zone("Etc/GMT"), KeyKind::BigInt);
        gmt.merge("crm.rollup", &base).unwrap();
    }

    #[test]
    fn malformed_binary() {
        let good = triangle().encode();
        let bad = |bytes: &[u8]| {
            matches!(
                CohortSummary::decode(bytes),
                Err(MetricError::InvalidBinary(_))
            )
        };
        assert!(bad(&[]));
        assert!(bad(&[2]));
        for len in 1..good.len() {
            assert!(bad(&good[..len]), "truncated at {len}");
        }
        let mut trailing = good.clone();
        trailing.push(0);
        assert!(bad(&trailing));
        let mut period = good.clone();
        period[1] = 9;
        assert!(bad(&period));
        let mut forged = Writer::with_version(FORMAT_VERSION);
        forged.u8(2).bytes(b"UTC").u8(0).u64(u64::MAX);
        assert!(bad(&forged.finish()));
        let mut zone = Writer::with_version(FORMAT_VERSION);
        zone.u8(2).bytes(b"Mars/Base").u8(0).u64(0);
        assert!(bad(&zone.finish()));
        let mut kind = Writer::with_version(FORMAT_VERSION);
        kind.u8(2).bytes(b"UTC").u8(7).u64(0);
        assert!(bad(&kind.finish()));
        let customer = |first: i64, bits: u64, spill: &[u64]| {
            let mut w = Writer::with_version(FORMAT_VERSION);
            w.u8(2)
                .bytes(b"UTC")
                .u8(0)
                .u64(1)
                .u8(5)
                .i64(first)
                .u64(bits)
                .u64(spill.len() as u64);
            for &gap in spill {
                w.u64(gap);
            }
            CohortSummary::decode(&w.finish())
        };
        assert!(customer(288, 0b101, &[]).is_ok());
        assert!(customer(288, 0b101, &[0, 7]).is_ok());
        assert!(customer(288, 0b100, &[]).is_err());
        assert!(customer(i64::from(i32::MAX), 1, &[]).is_err());
        assert!(customer(Period::Month.index_range().1.into(), 0b11, &[]).is_err());
        assert!(customer(288, 1, &[u64::MAX]).is_err());
        assert!(customer(288, 1, &[1 << 40]).is_err());
        let mut big_key = Writer::with_version(FORMAT_VERSION);
        big_key.u8(2).bytes(b"UTC").u8(0).u64(1);
        write_u128_varint(&mut big_key, 1 << 64);
        big_key.i64(0).u64(1).u64(0);
        assert!(bad(&big_key.finish()));
        let mut long_key = Writer::with_version(FORMAT_VERSION);
        long_key.u8(2).bytes(b"UTC").u8(1).u64(1);
        for _ in 0..19 {
            long_key.u8(0xff);
        }
        long_key.u8(0).i64(0).u64(1).u64(0);
        assert!(bad(&long_key.finish()));
    }

    #[test]
    fn malformed_text() {
        let bad = |text: &str| match CohortSummary::from_text(text) {
            Err(MetricError::InvalidText(m)) => {
                assert!(m.starts_with("crm.cohort_summary: "), "{m}")
            }
            other => panic!("{text}: {other:?}"),
        };
        let ok = r#"{"version":1,"period":"month","time_zone":"UTC","key":"bigint","customers":[["42",[290,288]]]}"#;
        assert_eq!(
            CohortSummary::from_text(ok).unwrap().to_text(),
            r#"{"version":1,"period":"month","time_zone":"UTC","key":"bigint","customers":[["42",[288,290]]]}"#
        );
        bad("");
        bad("{}");
        bad("[1]");
        bad(&ok.replace("\"version\":1", "\"version\":2"));
        bad(&ok.replace("month", "fortnight"));
        bad(&ok.replace("UTC", "Mars/Base"));
        bad(&ok.replace("bigint", "float"));
        bad(&ok.replace("\"42\"", "\"4x2\""));
        bad(&ok.replace("[290,288]", "[]"));
        bad(&ok.replace("[290,288]", "[290,99999999999]"));
        bad(&ok.replace("[290,288]", "[290,\"a\"]"));
        bad(&ok.replace("]]]}", "]],[\"42\",[1]]]}"));
        bad(&ok.replace("}", ",\"extra\":0}"));
        bad(&ok.replace("bigint", "uuid"));
        bad(&ok.replace("bigint", "text"));
        let uuid = ok.replace("bigint", "uuid");
        assert!(CohortSummary::from_text(
            &uuid.replace("\"42\"", "\"123e4567-e89b-12d3-a456-426614174000\"")
        )
        .is_ok());
        bad(&uuid.replace("\"42\"", "\"123e4567+e89b-12d3-a456-426614174000\""));
        bad(&uuid.replace("\"42\"", "\"123e4567-e89b-12d3-a456-42661417400g\""));
        bad(&uuid.replace("\"42\"", "\"+23e4567-e89b-12d3-a456-426614174000\""));
    }

    #[test]
    fn many_customers_match_the_model() {
        let mut state = 0x1234_5678_9ABC_DEF1u64;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        for (period, customers, days) in [(Period::Month, 5_000, 1_100), (Period::Day, 300, 150)] {
            let events: Vec<(u128, i64)> = (0..30_000)
                .map(|_| {
                    let id = (next() % customers) as i64 - 100;
                    (key_from_bigint(id), (next() % (days * DAY as u64)) as i64)
                })
                .collect();
            let zone = zone("America/New_York");
            let s = build(period, &zone, KeyKind::BigInt, &events);
            let m = model(period, &zone, &events);
            assert_eq!(s.customers(), m.len() as u64);
            for mode in [RetentionMode::Classic, RetentionMode::Unbounded] {
                assert_eq!(s.retention(mode), model_rows(period, &m, mode));
            }
            let back = CohortSummary::decode(&s.encode()).unwrap();
            assert_eq!(back.to_text(), s.to_text());
            let mut doubled = back.clone();
            doubled.merge(F, &s).unwrap();
            assert_eq!(doubled.encode(), s.encode());
        }
    }

    // ---- property tests against a brute-force model ----

    type Model = BTreeMap<u128, BTreeSet<i32>>;

    fn model(period: Period, zone: &Zone, events: &[(u128, i64)]) -> Model {
        let mut m = Model::new();
        for &(key, t) in events {
            m.entry(key)
                .or_default()
                .insert(period_index(F, period, zone, t).unwrap());
        }
        m
    }

    fn model_rows(period: Period, m: &Model, mode: RetentionMode) -> Vec<CohortRow> {
        let Some(last) = m.values().filter_map(|s| s.last().copied()).max() else {
            return Vec::new();
        };
        let cohorts: BTreeSet<i32> = m.values().map(|s| *s.first().unwrap()).collect();
        let mut rows = Vec::new();
        for c in cohorts {
            let members: Vec<&BTreeSet<i32>> =
                m.values().filter(|s| *s.first().unwrap() == c).collect();
            for k in 0..=(last - c) {
                let active = members
                    .iter()
                    .filter(|s| match mode {
                        RetentionMode::Classic => s.contains(&(c + k)),
                        RetentionMode::Unbounded => *s.last().unwrap() >= c + k,
                    })
                    .count() as u64;
                rows.push(row(
                    period_start_date(period, c),
                    k,
                    members.len() as u64,
                    active,
                ));
            }
        }
        rows
    }

    fn build(period: Period, zone: &Zone, kind: KeyKind, events: &[(u128, i64)]) -> CohortSummary {
        let mut s = CohortSummary::new(period, zone.clone(), kind);
        for &(key, t) in events {
            s.add(F, key, t).unwrap();
        }
        s
    }

    fn any_period() -> impl Strategy<Value = Period> {
        prop::sample::select(PERIODS.to_vec())
    }

    fn any_zone() -> impl Strategy<Value = Zone> {
        prop::sample::select(vec!["UTC", "Europe/Berlin", "America/New_York"]).prop_map(zone)
    }

    /// Events of a few customers (bigint keys, negatives included) within ±400 days
    /// of 2000-01-01, so that day periods spill past the 64-bit window.
    fn any_events() -> impl Strategy<Value = Vec<(u128, i64)>> {
        prop::collection::vec(
            (-6i64..20, -400 * DAY..400 * DAY).prop_map(|(id, t)| (key_from_bigint(id), t)),
            0..120,
        )
    }

    proptest! {
        #[test]
        fn retention_matches_brute_force(period in any_period(), zone in any_zone(), events in any_events()) {
            let s = build(period, &zone, KeyKind::BigInt, &events);
            let m = model(period, &zone, &events);
            for mode in [RetentionMode::Classic, RetentionMode::Unbounded] {
                let rows = s.retention(mode);
                prop_assert_eq!(rows.len() as u64, s.retention_row_count());
                prop_assert_eq!(rows, model_rows(period, &m, mode));
            }
            prop_assert_eq!(s.customers(), m.len() as u64);
            let repeat = m.values().filter(|p| p.len() >= 2).count();
            prop_assert_eq!(s.repeat_rate(), (!m.is_empty()).then(|| repeat as f64 / m.len() as f64));
        }

        #[test]
        fn split_and_merge_equals_one_pass(
            period in any_period(),
            zone in any_zone(),
            events in any_events(),
            parts in prop::collection::vec(0usize..3, 120),
        ) {
            let mut split = [Vec::new(), Vec::new(), Vec::new()];
            for (i, &event) in events.iter().enumerate() {
                split[parts[i]].push(event);
            }
            let [a, b, c] = split.map(|e| build(period, &zone, KeyKind::BigInt, &e));
            let whole = build(period, &zone, KeyKind::BigInt, &events).encode();
            // (a ∪ b) ∪ c
            let mut left = a.clone();
            left.merge(F, &b).unwrap();
            left.merge(F, &c).unwrap();
            // a ∪ (b ∪ c)
            let mut bc = b.clone();
            bc.merge(F, &c).unwrap();
            let mut right = a.clone();
            right.merge(F, &bc).unwrap();
            // c ∪ b ∪ a
            let mut reversed = c.clone();
            reversed.merge(F, &b).unwrap();
            reversed.merge(F, &a).unwrap();
            prop_assert_eq!(&left.encode(), &whole);
            prop_assert_eq!(&right.encode(), &whole);
            prop_assert_eq!(&reversed.encode(), &whole);
            // Commutativity of a single merge.
            let mut ab = a.clone();
            ab.merge(F, &b).unwrap();
            let mut ba = b.clone();
            ba.merge(F, &a).unwrap();
            prop_assert_eq!(ab.encode(), ba.encode());
            // Merging into an empty summary and with itself changes nothing.
            let mut empty = CohortSummary::new(period, zone.clone(), KeyKind::BigInt);
            empty.merge(F, &left).unwrap();
            empty.merge(F, &left.clone()).unwrap();
            prop_assert_eq!(empty.encode(), whole);
        }

        #[test]
        fn binary_and_text_round_trip(
            period in any_period(),
            zone in any_zone(),
            kind in prop::sample::select(vec![KeyKind::BigInt, KeyKind::Text, KeyKind::Uuid]),
            keys in prop::collection::vec(any::<u128>(), 1..8),
            events in prop::collection::vec((0usize..8, -400 * DAY..400 * DAY), 0..80),
        ) {
            let key = |i: usize| {
                let k = keys[i % keys.len()];
                if kind == KeyKind::BigInt { k & u128::from(u64::MAX) } else { k }
            };
            let events: Vec<(u128, i64)> = events.iter().map(|&(i, t)| (key(i), t)).collect();
            let s = build(period, &zone, kind, &events);
            let bytes = s.encode();
            let decoded = CohortSummary::decode(&bytes).unwrap();
            prop_assert_eq!(decoded.encode(), bytes.clone());
            prop_assert_eq!(decoded.retention(RetentionMode::Classic), s.retention(RetentionMode::Classic));
            let text = s.to_text();
            let parsed = CohortSummary::from_text(&text).unwrap();
            prop_assert_eq!(parsed.to_text(), text);
            prop_assert_eq!(parsed.encode(), bytes);
        }

        #[test]
        fn decode_of_random_bytes_never_panics(bytes in prop::collection::vec(any::<u8>(), 0..200)) {
            let _ = CohortSummary::decode(&bytes);
            let mut versioned = bytes.clone();
            versioned.insert(0, FORMAT_VERSION);
            if let Ok(s) = CohortSummary::decode(&versioned) {
                let _ = (s.retention(RetentionMode::Unbounded), s.to_text(), s.repeat_rate());
            }
        }

        #[test]
        fn decode_of_corrupted_states_never_panics(
            events in any_events(),
            flips in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..4),
        ) {
            let mut bytes = build(Period::Day, &Zone::utc(), KeyKind::BigInt, &events).encode();
            for (at, value) in flips {
                let i = at.index(bytes.len());
                bytes[i] = value;
            }
            if let Ok(s) = CohortSummary::decode(&bytes) {
                // Whatever decodes is a consistent state.
                prop_assert_eq!(CohortSummary::decode(&s.encode()).unwrap().encode(), s.encode());
                prop_assert_eq!(CohortSummary::from_text(&s.to_text()).unwrap().encode(), s.encode());
                let _ = s.retention(RetentionMode::Classic);
            }
        }

        #[test]
        fn from_text_of_random_text_never_panics(text in ".{0,200}") {
            let _ = CohortSummary::from_text(&text);
        }
    }
}
