//! The state and summary of `crm.funnel_agg` (`crm.funnel_summary`).
//!
//! While aggregating, a summary keeps every usable event with its entity (step-0 events only
//! under `strict_order`) in `EntityEvents`: a dense id per entity key and 8 bytes per event
//! (12 in a bucket whose times spread too far); partial states from parallel workers or shards
//! add up their events, since one entity's
//! events may be split among them. The final function *reduces* the events: grouped by entity
//! (one counting pass, no global sort) and visited in key order, each entity's events are
//! walked (`Walker`) in (time, step) order and the entity becomes one row per step its chain
//! reached, with the time from the chain's step-1 event to that step (32 bytes a row; the final
//! function writes the rows straight into the binary form as it walks, without keeping them). A
//! finished summary holds only these rows, so `crm.rollup` of summaries of disjoint entity sets
//! concatenates them; an entity found with the same result in several summaries (one summary
//! rolled up twice) is kept once, one with different results is 22023 (its events were split,
//! and its level cannot be recovered from two results).
//!
//! Memory: 8 bytes per event (12 in a wide bucket) and 24 to 32 per entity while aggregating
//! (see `entities`); the final function's binary form, a few bytes per step reached per entity (at most 30: a varint
//! key delta, the step and a varint time); a summary read back, 32 bytes per step reached per
//! entity (at most 32 steps: 1 KiB an entity). `crm.max_state_memory` bounds each.
use super::entities::EntityEvents;
use super::forms::FinishedForm;
use super::{Event, Outcome, Setting, Walker, MAX_STEP};
use crate::common::error::{MetricError, MetricResult};
use crate::common::exact::count_ratio;
use crate::common::interrupt::checked;
use crate::common::keys::{write_key, KeyKind};
use crate::common::limits::{check_state_bytes, reserve, reserve_result, vec_bytes};
use crate::common::sort::sort_spread;

/// SQL name of the type, in messages about its forms.
pub(super) const TYPE_NAME: &str = "crm.funnel_summary";

/// One event of an entity as the forms list it (key halves kept apart so that a row is 32
/// bytes, not 48).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(super) struct KeyedEvent {
    pub key_high: u64,
    pub key_low: u64,
    pub time: i64,
    pub step: u8,
}

impl KeyedEvent {
    pub fn key(&self) -> u128 {
        (u128::from(self.key_high) << 64) | u128::from(self.key_low)
    }
}

/// One step an entity's chain reached, with the time from the chain's step-1 event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(super) struct Reached {
    pub key_high: u64,
    pub key_low: u64,
    pub step: u8,
    pub time_from_first: i64,
}

impl Reached {
    pub fn key(&self) -> u128 {
        (u128::from(self.key_high) << 64) | u128::from(self.key_low)
    }
}

/// One row of `crm.funnel_steps`.
#[derive(Debug, Clone, PartialEq)]
pub struct StepRow {
    pub step: u8,
    /// Entities whose level is at least `step`.
    pub entities: u64,
    /// entities / entities of the previous step (of this step for step 1); NULL on a zero
    /// denominator.
    pub conversion_from_previous: Option<f64>,
    /// entities / entities of step 1; NULL on a zero denominator.
    pub conversion_from_first: Option<f64>,
    /// `percentile_disc(0.5)` of the times from step 1 to this step, in microseconds.
    pub median_time_from_first: Option<i64>,
}

/// Per-entity funnel events and results; see the module documentation.
#[derive(Debug, Clone)]
pub struct FunnelSummary {
    pub(super) key_kind: KeyKind,
    pub(super) setting: Option<Setting>,
    /// The highest step of any event: the funnel's length, the rows `crm.funnel_steps` gives.
    pub(super) steps: u8,
    pub(super) events: EntityEvents,
    pub(super) reached: Vec<Reached>,
}

/// Summaries are equal when their binary forms are (events in any order of arrival).
impl PartialEq for FunnelSummary {
    fn eq(&self, other: &Self) -> bool {
        self.clone().encode() == other.clone().encode()
    }
}

impl Eq for FunnelSummary {}

impl FunnelSummary {
    pub fn new(key_kind: KeyKind) -> Self {
        FunnelSummary {
            key_kind,
            setting: None,
            steps: 0,
            events: EntityEvents::default(),
            reached: Vec::new(),
        }
    }

    /// Whether no usable row was added.
    pub fn is_empty(&self) -> bool {
        self.setting.is_none()
    }

    pub fn steps(&self) -> u8 {
        self.steps
    }

    /// Ok when the summary holds entity ids of type `kind`, else 22023.
    pub fn expect_key_kind(&self, function: &str, kind: KeyKind) -> MetricResult<()> {
        if self.key_kind == kind {
            Ok(())
        } else {
            Err(self.key_kind.mismatch(function, "entity", kind))
        }
    }

    #[inline]
    fn settle_setting(&mut self, function: &str, setting: Setting) -> MetricResult<()> {
        match &self.setting {
            Some(current) if *current == setting => Ok(()),
            None => {
                self.setting = Some(setting);
                Ok(())
            }
            Some(current) => current.expect_same(function, &setting),
        }
    }

    /// Adds one usable row of entity `key` (its step and time already checked).
    #[inline]
    pub fn add(
        &mut self,
        function: &str,
        key: u128,
        setting: Setting,
        event: Event,
    ) -> MetricResult<()> {
        if self.key_kind == KeyKind::BigInt && key > u128::from(u64::MAX) {
            return Err(MetricError::InvalidParameter(format!(
                "{function}: key {key:#x} is not a bigint entity id"
            )));
        }
        self.settle_setting(function, setting)?;
        self.steps = self.steps.max(event.step);
        if event.step == 0 && !setting.mode.keeps_other_events() {
            return Ok(());
        }
        self.events.push(function, key, event.time, event.step)
    }

    /// Adds another summary's events and results (combine and rollup): the same id type,
    /// window and mode.
    pub fn merge(&mut self, function: &str, other: &FunnelSummary) -> MetricResult<()> {
        if other.key_kind != self.key_kind {
            return Err(MetricError::InvalidParameter(format!(
                "{function}: cannot merge funnel summaries of {} and {} entity ids",
                self.key_kind.name(),
                other.key_kind.name()
            )));
        }
        let Some(setting) = other.setting else {
            return Ok(());
        };
        self.settle_setting(function, setting)?;
        self.steps = self.steps.max(other.steps);
        self.events.extend(function, &other.events)?;
        if !other.reached.is_empty() {
            grow(
                function,
                &mut self.reached,
                other.reached.len(),
                "funnel results",
            )?;
            self.reached.extend_from_slice(&other.reached);
        }
        Ok(())
    }

    /// Heap bytes held (charged to the aggregate's memory context).
    pub fn heap_bytes(&self) -> usize {
        self.events.heap_bytes() + vec_bytes(&self.reached)
    }

    /// Sorts the results into their canonical order (the binary and text forms; the events
    /// are put in order as they are written).
    pub(super) fn sort(&mut self) {
        sort_spread(&mut self.reached, Reached::key, Reached::cmp);
    }

    /// The finished summary (what the final functions return): the events reduced to
    /// per-entity results, added to the results already held; an entity with two different
    /// results is 22023. The summary itself keeps its events (only grouped), so a window frame
    /// that grows can be finished again.
    pub fn finished(&mut self, function: &str) -> MetricResult<FunnelSummary> {
        let mut finished = FunnelSummary {
            key_kind: self.key_kind,
            setting: self.setting,
            steps: self.steps,
            events: EntityEvents::default(),
            reached: Vec::new(),
        };
        grow(
            function,
            &mut finished.reached,
            self.reached.len(),
            "funnel results",
        )?;
        finished.reached.extend_from_slice(&self.reached);
        if let Some(setting) = self.setting {
            let mut walker = Walker::for_steps(self.steps);
            self.events.for_each_entity(function, |key, events| {
                let outcome = walker.walk(events.iter().map(|e| (e.time(), e.step())), setting);
                finished.push_outcome(function, key, outcome)
            })?;
        }
        sort_spread(&mut finished.reached, Reached::key, Reached::cmp);
        finished.merge_copies(function)?;
        Ok(finished)
    }

    /// The binary form of [`FunnelSummary::finished`]. A summary that holds no results yet (what
    /// `crm.funnel_agg`'s final function finds) writes each entity's results as it walks it:
    /// the entities come in key order, each once (the order of the form), so no result is
    /// kept, sorted or checked for copies. The form is bounded as the results are
    /// (`crm.max_state_memory`).
    pub fn finished_form(&mut self, function: &str) -> MetricResult<Vec<u8>> {
        let Some(setting) = self.setting.filter(|_| self.reached.is_empty()) else {
            return self.finished(function)?.encode();
        };
        // Each result is a step of an entity with an event of that step.
        let most = self.events.len().min(
            self.events
                .entities()
                .saturating_mul(usize::from(self.steps)),
        );
        let mut form = FinishedForm::new(self.key_kind, self.setting, self.steps, most as u64);
        let mut checked_at = 0;
        let mut walker = Walker::for_steps(self.steps);
        self.events.for_each_entity(function, |key, events| {
            let outcome = walker.walk(events.iter().map(|e| (e.time(), e.step())), setting);
            form.entity(key, &outcome.times[..usize::from(outcome.level)]);
            if form.len() >= checked_at.max(1 << 20) {
                check_state_bytes(function, "funnel results", form.len())?;
                checked_at = form.len() * 2;
            }
            Ok(())
        })?;
        form.finish()
    }

    /// [`FunnelSummary::finished`] for a summary used once (`crm.funnel_steps`): one without
    /// events (what the final functions return) is finished where it is, its results not
    /// copied.
    pub fn into_finished(mut self, function: &str) -> MetricResult<FunnelSummary> {
        if !self.events.is_empty() {
            return self.finished(function);
        }
        sort_spread(&mut self.reached, Reached::key, Reached::cmp);
        self.merge_copies(function)?;
        Ok(self)
    }

    /// Keeps one copy of an entity found with the same result in several summaries (the same
    /// summary rolled up twice); different results for one entity are 22023: its events were
    /// split between summaries, and its level cannot be recovered from two results. The
    /// results must be sorted.
    fn merge_copies(&mut self, function: &str) -> MetricResult<()> {
        let has_copies = self
            .reached
            .windows(2)
            .any(|pair| pair[0].key() == pair[1].key() && pair[0].step == pair[1].step);
        if !has_copies {
            return Ok(());
        }
        let mut kept = Vec::new();
        grow(function, &mut kept, self.reached.len(), "funnel results")?;
        for entity in checked(self.reached.chunk_by(|a, b| a.key() == b.key())) {
            let groups: Vec<&[Reached]> = entity.chunk_by(|a, b| a.step == b.step).collect();
            let copies = groups[0].len();
            let same = groups
                .iter()
                .all(|group| group.len() == copies && group.iter().all(|row| row == &group[0]));
            if !same {
                let mut id = String::new();
                write_key(&mut id, self.key_kind, entity[0].key());
                return Err(MetricError::InvalidParameter(format!(
                    "{function}: entity {id} has different results in the summaries merged \
                     (crm.rollup merges summaries of disjoint entity sets)"
                )));
            }
            kept.extend(groups.iter().map(|group| group[0]));
        }
        self.reached = kept;
        Ok(())
    }

    fn push_outcome(&mut self, function: &str, key: u128, outcome: &Outcome) -> MetricResult<()> {
        let level = usize::from(outcome.level);
        if self.reached.capacity() - self.reached.len() < level {
            grow(function, &mut self.reached, level, "funnel results")?;
        }
        let first = outcome.times[0];
        for (index, time) in outcome.times[..level].iter().enumerate() {
            self.reached.push(Reached {
                key_high: (key >> 64) as u64,
                key_low: key as u64,
                step: index as u8 + 1,
                time_from_first: time - first,
            });
        }
        Ok(())
    }

    /// The rows of `crm.funnel_steps`: steps 1 to the highest step in the data (reduced
    /// summary required: the final functions reduce); 53200 when the times do not fit in memory.
    pub fn step_rows(&self, function: &str) -> MetricResult<Vec<StepRow>> {
        let later = usize::from(self.steps.min(MAX_STEP)).saturating_sub(1);
        let mut times: Vec<Vec<i64>> = vec![Vec::new(); later];
        let mut entities = 0u64;
        for row in checked(&self.reached) {
            match usize::from(row.step).checked_sub(2) {
                Some(index) => {
                    if let Some(list) = times.get_mut(index) {
                        reserve_result(list, 1, function, "its times")?;
                        list.push(row.time_from_first);
                    }
                }
                None => entities += u64::from(row.step == 1),
            }
        }
        Ok(step_rows_of_times(self.steps, entities, times))
    }
}

/// The rows of `crm.funnel_steps` of a funnel of `steps` steps from the entities that reached
/// step 1 (at time 0 from step 1) and the times to each later step of the entities that
/// reached it (`times[k - 2]` for step k).
pub(super) fn step_rows_of_times(steps: u8, entities: u64, times: Vec<Vec<i64>>) -> Vec<StepRow> {
    if steps == 0 {
        return Vec::new();
    }
    let first = entities;
    let ratio = |part: u64, whole: u64| count_ratio(part.into(), whole.into());
    let mut rows = Vec::with_capacity(times.len() + 1);
    rows.push(StepRow {
        step: 1,
        entities: first,
        conversion_from_previous: ratio(first, first),
        conversion_from_first: ratio(first, first),
        median_time_from_first: (first > 0).then_some(0),
    });
    let mut previous = first;
    for (index, mut list) in checked(times.into_iter().enumerate()) {
        let entities = list.len() as u64;
        let median = (!list.is_empty()).then(|| {
            let middle = (list.len() - 1) / 2;
            *list.select_nth_unstable(middle).1
        });
        rows.push(StepRow {
            step: index as u8 + 2,
            entities,
            conversion_from_previous: ratio(entities, previous),
            conversion_from_first: ratio(entities, first),
            median_time_from_first: median,
        });
        previous = entities;
    }
    rows
}

/// Makes room for `more` items, within `crm.max_state_memory` (54000) and the allocator (53200).
fn grow<T>(function: &str, items: &mut Vec<T>, more: usize, what: &str) -> MetricResult<()> {
    if items.capacity() - items.len() >= more {
        return Ok(());
    }
    let wanted = items
        .len()
        .saturating_add(more)
        .max(items.len().saturating_mul(2))
        .max(16);
    check_state_bytes(
        function,
        what,
        wanted.saturating_mul(std::mem::size_of::<T>()),
    )?;
    reserve(items, wanted - items.len(), function, what)
}
