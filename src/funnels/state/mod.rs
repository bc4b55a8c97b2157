//! The funnel math: ClickHouse's `windowFunnel` level walk over one entity's events, the state
//! of `crm.window_funnel` (`crm.funnel_state`: the events of one group) and, in `summary`, the
//! state and summary of `crm.funnel_agg` (`crm.funnel_summary`).
//!
//! The walk (ClickHouse's algorithm, learnt from its documentation and source): events are
//! ordered by (time, step); a step-1 event (re)starts level 1 with itself as the chain's start; a
//! step-k event (k > 1) sets level k when level k−1 is set and the event is at most `window`
//! after the start of level k−1's chain (and, under `strict_increase`, strictly after level
//! k−1's last event). The answer is the highest level set. `strict_order` stops at the first
//! event that breaks the order after a chain started (a step whose previous level is unset, or
//! a step-0 "other" event); `strict_deduplication` stops at a step (other than 1) whose level is
//! already set. Both answer the highest level set when they stop, as current ClickHouse does.
//!
//! ClickHouse's result also depends on the number of conditions it is given (it stops once the
//! last one is reached); here the funnel has 32 steps and a stop only ever answers the highest
//! level set, so the answer is the same for every funnel length at least the highest step in
//! the data.
//!
//! Time to a step (`crm.funnel_agg`): the chain is the one that first attained the entity's
//! final level (the earliest chain to get that far), and its step-k event the earliest one
//! that can follow its step k − 1: the first step-k event after it (strictly later under
//! `strict_increase`) within the window of the chain's step-1 event. These earliest events
//! reach the final level whenever any do, no later than the walk did, so they are what the
//! plain SQL "earliest step k after step k − 1" finds when an entity has one step-1 event. An
//! entity's times all come from that one chain.
//!
//! Files: this one (modes, windows, the walk, `crm.funnel_state`), `summary` (the keyed events
//! and per-entity results of `crm.funnel_agg`, the rows of `crm.funnel_steps`), `forms` (binary
//! and text forms of both), `tests`.

mod entities;
mod forms;
mod summary;
#[cfg(test)]
mod tests;

pub use summary::{FunnelSummary, StepRow};

use crate::common::civil::{check_finite, format_interval, require_finite_interval, USECS_PER_DAY};
use crate::common::error::{MetricError, MetricResult};
use crate::common::interrupt::Ticker;
use crate::common::limits::{check_state_bytes, reserve, vec_bytes};

pub const FORMAT_VERSION: u8 = 1;
/// Highest funnel step (ClickHouse's limit of 32 conditions).
pub const MAX_STEP: u8 = 32;
/// Most events or result rows a value's binary or text form may announce (a sanity bound for
/// decoding; growth is bounded by `crm.max_state_memory`).
const MAX_ITEMS: usize = 1 << 28;

/// How the walk treats events that break the order, as ClickHouse's options of the same names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// ClickHouse's default: other events and out-of-order steps are ignored.
    Ordered,
    /// Stops at the first event that breaks the order once a chain started.
    StrictOrder,
    /// Stops at a step (other than 1) whose level is already set.
    StrictDeduplication,
    /// A step counts only strictly after the previous step of its chain.
    StrictIncrease,
}

impl Mode {
    pub const ALL: [Mode; 4] = [
        Mode::Ordered,
        Mode::StrictOrder,
        Mode::StrictDeduplication,
        Mode::StrictIncrease,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Mode::Ordered => "ordered",
            Mode::StrictOrder => "strict_order",
            Mode::StrictDeduplication => "strict_deduplication",
            Mode::StrictIncrease => "strict_increase",
        }
    }

    pub fn code(self) -> u8 {
        match self {
            Mode::Ordered => 0,
            Mode::StrictOrder => 1,
            Mode::StrictDeduplication => 2,
            Mode::StrictIncrease => 3,
        }
    }

    fn from_code(code: u8) -> Option<Mode> {
        Mode::ALL.into_iter().find(|mode| mode.code() == code)
    }

    /// Parses a mode name (ASCII case-insensitive); 22023 for any other text.
    pub fn parse(function: &str, name: &str) -> MetricResult<Mode> {
        Mode::named(name)
            .map_err(|unknown| MetricError::InvalidParameter(format!("{function}: {unknown}")))
    }

    /// The mode of a name (any case), or what is wrong with the name.
    fn named(name: &str) -> Result<Mode, String> {
        Mode::ALL
            .into_iter()
            .find(|mode| mode.name().eq_ignore_ascii_case(name))
            .ok_or_else(|| {
                format!(
                    "unknown mode '{name}' (expected ordered, strict_order, \
                     strict_deduplication or strict_increase)"
                )
            })
    }

    /// Whether step-0 ("other") events matter: only to `strict_order`.
    fn keeps_other_events(self) -> bool {
        self == Mode::StrictOrder
    }
}

/// The conversion window in microseconds from an interval's fields: a day counts 24 hours; a
/// window with months (no fixed length) or of zero or negative length is 22023, an infinite one
/// (Postgres 17 on) 22008.
#[inline]
pub fn window_micros(function: &str, months: i32, days: i32, micros: i64) -> MetricResult<i64> {
    if months == 0 {
        let total = i128::from(days) * i128::from(USECS_PER_DAY) + i128::from(micros);
        if let Ok(window) = i64::try_from(total) {
            if window > 0 {
                return Ok(window);
            }
        }
    }
    Err(window_error(function, months, days, micros))
}

/// The error of a window [`window_micros`] refuses.
#[cold]
#[inline(never)]
fn window_error(function: &str, months: i32, days: i32, micros: i64) -> MetricError {
    if let Err(infinite) =
        require_finite_interval(function, "conversion_window", (months, days, micros))
    {
        return infinite;
    }
    let invalid =
        |why: &str| MetricError::InvalidParameter(format!("{function}: conversion_window {why}"));
    if months != 0 {
        return invalid(
            "must not have months or years (they have no fixed length): write days, e.g. '30 days'",
        );
    }
    let total = i128::from(days) * i128::from(USECS_PER_DAY) + i128::from(micros);
    // Refused and with no months: at most 0 (however far below), or past 2^63 - 1 µs.
    if total <= i128::from(i64::MAX) {
        invalid(&format!(
            "{} must be positive",
            format_interval(days.into(), micros)
        ))
    } else {
        MetricError::OutOfRange(format!(
            "{function}: conversion_window of {days} days and {micros} microseconds is out of range"
        ))
    }
}

/// Checks a step (0..32) and returns it as a byte.
#[inline]
pub fn check_step(function: &str, step: i32) -> MetricResult<u8> {
    match u8::try_from(step) {
        Ok(step) if step <= MAX_STEP => Ok(step),
        _ => Err(step_error(function, step)),
    }
}

#[cold]
#[inline(never)]
fn step_error(function: &str, step: i32) -> MetricError {
    MetricError::InvalidParameter(format!(
        "{function}: step {step} is outside 0..{MAX_STEP} (1..{MAX_STEP} are funnel \
         steps, 0 is another event)"
    ))
}

/// Checks an event's time: infinite timestamps are 22008, as in every family.
#[inline]
pub fn check_time(function: &str, occurred_at: i64) -> MetricResult<()> {
    if occurred_at == i64::MIN || occurred_at == i64::MAX {
        return check_finite(function, occurred_at);
    }
    Ok(())
}

/// The window and mode every row of a group names, fixed by its first usable row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Setting {
    pub window: i64,
    pub mode: Mode,
}

impl Setting {
    /// Ok when a row (or another state) names the same window and mode, else 22023.
    #[cold]
    #[inline(never)]
    fn expect_same(&self, function: &str, other: &Setting) -> MetricResult<()> {
        if self.window != other.window {
            return Err(MetricError::InvalidParameter(format!(
                "{function}: conversion_window must be the same on every row \
                 ({} and {} microseconds)",
                self.window, other.window
            )));
        }
        if self.mode != other.mode {
            return Err(MetricError::InvalidParameter(format!(
                "{function}: mode must be the same on every row ('{}' and '{}')",
                self.mode.name(),
                other.mode.name()
            )));
        }
        Ok(())
    }
}

/// Where the walk ended: the level reached and the chain's step times (`times[k - 1]` is the
/// time of step k, for k in 1..=level; the times past the level are left from earlier walks).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    pub level: u8,
    pub times: [i64; MAX_STEP as usize],
}

/// A level no chain set yet, as the end of its chain's window: no event time is `i64::MIN`
/// (the transitions refuse infinite times, the forms times out of Postgres's range).
const UNSET: i64 = i64::MIN;

/// Levels of the walk's buffers: the 32 levels and, first, the level before step 1, which
/// every step-1 event follows.
const SLOTS: usize = MAX_STEP as usize + 1;

/// The working buffers of the walk, reused from one entity to the next.
pub struct Walker {
    /// Per level k (slot k), of the latest chain that set it: the time of its step-1 event,
    /// the end of its window (that time plus the window, saturated; [`UNSET`] while no chain
    /// set the level) and its last event. Slot 0 is the level before step 1: always set,
    /// never ending, its last event before any.
    starts: [i64; SLOTS],
    ends: [i64; SLOTS],
    lasts: [i64; SLOTS],
    /// Levels the walk keeps: at least the highest step of the events walked (each walk resets
    /// only these).
    levels: usize,
    /// The outcome of the latest walk.
    outcome: Outcome,
}

impl Default for Walker {
    fn default() -> Self {
        Walker::for_steps(MAX_STEP)
    }
}

/// `when` (all ones or zero) ? `yes` : `no`, without a branch on the data.
#[inline(always)]
fn pick(when: i64, yes: i64, no: i64) -> i64 {
    (yes & when) | (no & !when)
}

impl Walker {
    /// A walker for events of steps up to `steps` (at most 32).
    pub fn for_steps(steps: u8) -> Self {
        let mut ends = [UNSET; SLOTS];
        ends[0] = i64::MAX;
        let mut lasts = [0; SLOTS];
        lasts[0] = i64::MIN;
        Walker {
            starts: [0; SLOTS],
            ends,
            lasts,
            levels: usize::from(steps.min(MAX_STEP)),
            outcome: Outcome {
                level: 0,
                times: [0; MAX_STEP as usize],
            },
        }
    }

    /// Walks one entity's events, in (time, step) order, under `setting`.
    ///
    /// The walk keeps, per level, only the start, window end and last event of the latest
    /// chain that set it, and notes the start of the chain that first set each new level. An
    /// event of step k follows the chain of level k − 1 (a step-1 event the level before step
    /// 1, starting its own chain) and is written to level k whether it matched or not (the
    /// level's own values when not): no branch depends on the steps and times, which follow no
    /// pattern a processor could predict. The times come after, from the start noted (see
    /// [`earliest_steps`]): the walk's chain is one of the chains from that start that reach
    /// the level, so the earliest events do too; a level-2 chain's step-2 event is already
    /// the earliest (any earlier step-2 event after the same step-1 event would have set level
    /// 2 first).
    pub fn walk<I>(&mut self, events: I, setting: Setting) -> &Outcome
    where
        I: Iterator<Item = (i64, u8)> + Clone,
    {
        let Setting { window, mode } = setting;
        let Walker {
            starts,
            ends,
            lasts,
            levels,
            outcome,
        } = self;
        let levels = *levels;
        ends[1..=levels].fill(UNSET);
        // The level reached, the start of the chain that first reached it and the time of the
        // event that did.
        let mut level = 0usize;
        let mut first = 0i64;
        let mut reached_at = 0i64;
        let mut ticker = Ticker::new();
        for (time, step) in events.clone() {
            ticker.tick();
            debug_assert!(time != UNSET, "an event time of i64::MIN");
            let k = usize::from(step);
            // Step 0 wraps past every level.
            if k.wrapping_sub(1) >= levels {
                if step == 0 && mode == Mode::StrictOrder && ends[1] != UNSET {
                    break;
                }
                continue;
            }
            let end = ends[k - 1];
            match mode {
                Mode::StrictOrder if end == UNSET && ends[1] != UNSET => break,
                Mode::StrictDeduplication if k > 1 && ends[k] != UNSET => break,
                _ => {}
            }
            let mut matched = time <= end;
            if mode == Mode::StrictIncrease {
                matched &= lasts[k - 1] < time;
            }
            let starting = i64::from(k == 1).wrapping_neg();
            let start = pick(starting, time, starts[k - 1]);
            let chain_end = pick(starting, time.saturating_add(window), end);
            let matched_mask = i64::from(matched).wrapping_neg();
            starts[k] = pick(matched_mask, start, starts[k]);
            ends[k] = pick(matched_mask, chain_end, ends[k]);
            lasts[k] = pick(matched_mask, time, lasts[k]);
            let further = matched && level < k;
            let further_mask = i64::from(further).wrapping_neg();
            first = pick(further_mask, start, first);
            reached_at = pick(further_mask, time, reached_at);
            level = level.max(k & usize::from(matched).wrapping_neg());
            if level == usize::from(MAX_STEP) {
                break;
            }
        }
        outcome.level = level as u8;
        outcome.times[0] = first;
        outcome.times[1] = reached_at;
        if level >= 3 {
            earliest_steps(events, setting, outcome);
        }
        outcome
    }
}

/// Sets the times of steps 2.. of `outcome` (level 3 or more, step 1's time set) to the
/// earliest events of its chain: from the chain's step-1 event, the first step-k event after
/// step k − 1 (strictly later under `strict_increase`) within the window. They reach the
/// outcome's level, as the walk's chain from the same start did, each no later than the walk's
/// event of its step.
fn earliest_steps(
    events: impl Iterator<Item = (i64, u8)>,
    setting: Setting,
    outcome: &mut Outcome,
) {
    let level = outcome.level;
    let times = &mut outcome.times;
    let end = times[0].saturating_add(setting.window);
    let strict = setting.mode == Mode::StrictIncrease;
    let mut next = 2u8;
    let mut previous = times[0];
    let mut ticker = Ticker::new();
    for (time, step) in events {
        ticker.tick();
        if step == next && (time > previous || (!strict && time == previous)) && time <= end {
            times[usize::from(next) - 1] = time;
            previous = time;
            next += 1;
            if next > level {
                break;
            }
        }
    }
    debug_assert!(
        next > level,
        "the earliest events fall short of the walk's level"
    );
}

/// One event of a group: its time (raw timestamptz) and step (0..32).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Event {
    pub time: i64,
    pub step: u8,
}

/// The state of `crm.window_funnel`: the window and mode, and the events of one group
/// (step-0 events only under `strict_order`), sorted when read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FunnelState {
    setting: Option<Setting>,
    events: Vec<Event>,
    sorted: bool,
}

impl Default for FunnelState {
    fn default() -> Self {
        Self::new()
    }
}

impl FunnelState {
    pub fn new() -> Self {
        FunnelState {
            setting: None,
            events: Vec::new(),
            sorted: true,
        }
    }

    /// The window and mode; `None` until a usable row was added.
    pub fn setting(&self) -> Option<Setting> {
        self.setting
    }

    /// Fixes the setting with the first usable row, or checks that a row names the same.
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

    /// Adds one usable row (its step and time already checked).
    #[inline]
    pub fn add(&mut self, function: &str, setting: Setting, event: Event) -> MetricResult<()> {
        self.settle_setting(function, setting)?;
        if event.step == 0 && !setting.mode.keeps_other_events() {
            return Ok(());
        }
        if self.events.len() == self.events.capacity() {
            self.grow(function, 1)?;
        }
        if self.sorted {
            self.sorted = self.events.last().is_none_or(|last| *last <= event);
        }
        self.events.push(event);
        Ok(())
    }

    #[cold]
    fn grow(&mut self, function: &str, more: usize) -> MetricResult<()> {
        let wanted = self
            .events
            .len()
            .saturating_add(more)
            .max(self.events.len().saturating_mul(2))
            .max(16);
        check_state_bytes(
            function,
            "funnel events",
            wanted.saturating_mul(std::mem::size_of::<Event>()),
        )?;
        let more = wanted - self.events.len();
        reserve(&mut self.events, more, function, "funnel events")
    }

    /// Adds another state's events (combine): both must name the same window and mode.
    pub fn merge(&mut self, function: &str, other: &FunnelState) -> MetricResult<()> {
        let Some(setting) = other.setting else {
            return Ok(());
        };
        self.settle_setting(function, setting)?;
        if other.events.is_empty() {
            return Ok(());
        }
        if self.events.capacity() - self.events.len() < other.events.len() {
            self.grow(function, other.events.len())?;
        }
        self.events.extend_from_slice(&other.events);
        self.sorted = false;
        Ok(())
    }

    /// Heap bytes held (charged to the aggregate's memory context).
    pub fn heap_bytes(&self) -> usize {
        vec_bytes(&self.events)
    }

    fn sort(&mut self) {
        if !self.sorted {
            self.events.sort_unstable();
            self.sorted = true;
        }
    }

    /// The funnel level of the group: the highest step a chain reached; `None` without a
    /// usable row.
    pub fn level(&mut self) -> Option<u8> {
        let setting = self.setting?;
        self.sort();
        let events = self.events.iter().map(|event| (event.time, event.step));
        Some(Walker::default().walk(events, setting).level)
    }
}
