//! State of `crm.survival_agg` (`crm.survival_summary`): for every distinct duration (in
//! microseconds, positive), how many rows ended there with the event (churn, resolution, close)
//! and how many were censored there (still going when observed).
//!
//! Rows append one entry each to a vector; the vector is compacted (sorted by duration, the
//! entries of one duration added up; the entries since the last compaction are sorted apart and
//! merged into the sorted ones) whenever it has grown to twice its size after the last
//! compaction, so it holds at most about twice the distinct durations and a row costs amortized
//! O(log n). Merging appends the other summary's entries the same way. Every reader works on the
//! compacted form ([`SurvivalSummary::settle`]); the total number of rows is kept checked, at
//! most `i64::MAX`, so no sum of counts can overflow and counts always fit a SQL bigint.
//!
//! Files: `forms` (binary and text forms), `estimates` (Kaplan–Meier curve and interval,
//! median, restricted mean, life table, log-rank test), `tests`.

mod estimates;
mod forms;
#[cfg(test)]
mod tests;

pub use estimates::{CurvePoint, LifeTableRow, LogRank, MedianInterval};

use crate::common::error::{MetricError, MetricResult};
use crate::common::interrupt::{checked, Ticker};
use crate::common::limits::{check_state_bytes, max_state_bytes, reserve, vec_bytes};

pub const FORMAT_VERSION: u8 = 1;
const TYPE_NAME: &str = "crm.survival_summary";

/// Most rows one summary counts: every count read from it fits a SQL bigint.
const MAX_ROWS: u64 = i64::MAX as u64;

/// Fewest entries kept before the first compaction.
const MIN_COMPACTION: usize = 64;

/// The rows that ended at one duration.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Entry {
    /// Microseconds, positive.
    pub duration: i64,
    /// Rows whose event happened at `duration`.
    pub events: u64,
    /// Rows still going at `duration` (censored).
    pub censored: u64,
}

/// Counts of events and censorings per duration; see the module documentation.
#[derive(Debug, Clone, Default)]
pub struct SurvivalSummary {
    /// Entries; the first `settled` are sorted by duration with no duration repeated.
    entries: Vec<Entry>,
    settled: usize,
    /// Rows counted (events and censorings), at most [`MAX_ROWS`].
    rows: u64,
}

impl PartialEq for SurvivalSummary {
    fn eq(&self, other: &Self) -> bool {
        self.clone().settled_entries() == other.clone().settled_entries()
    }
}

impl SurvivalSummary {
    pub fn new() -> Self {
        Self::default()
    }

    /// Whether no row was counted.
    pub fn is_empty(&self) -> bool {
        self.rows == 0
    }

    /// Rows counted.
    pub fn rows(&self) -> u64 {
        self.rows
    }

    /// Heap bytes held (charged to the aggregate's memory context).
    pub fn heap_bytes(&self) -> usize {
        vec_bytes(&self.entries)
    }

    /// Counts a row that lasted `duration` microseconds and ended with the event (`event`) or
    /// was censored then. `duration` must be positive (22023 otherwise).
    #[inline]
    pub fn add(&mut self, function: &str, duration: i64, event: bool) -> MetricResult<()> {
        if duration <= 0 {
            return Err(MetricError::InvalidParameter(format!(
                "{function}: duration {duration} microseconds is not positive"
            )));
        }
        let entry = Entry {
            duration,
            events: u64::from(event),
            censored: u64::from(!event),
        };
        self.push(function, entry, 1)
    }

    /// Appends `entry`, which counts `rows` rows.
    #[inline]
    fn push(&mut self, function: &str, entry: Entry, rows: u64) -> MetricResult<()> {
        let total = self
            .rows
            .checked_add(rows)
            .filter(|total| *total <= MAX_ROWS)
            .ok_or_else(|| {
                MetricError::OutOfRange(format!(
                    "{function}: more than {MAX_ROWS} rows in one survival summary"
                ))
            })?;
        if self.entries.len() == self.entries.capacity() {
            self.grow(function)?;
        }
        self.entries.push(entry);
        self.rows = total;
        Ok(())
    }

    /// Makes room for one more entry: compacts first when the entries have doubled since the
    /// last compaction, then grows the vector within `crm.max_state_memory`.
    #[cold]
    fn grow(&mut self, function: &str) -> MetricResult<()> {
        if self.entries.len() >= MIN_COMPACTION.max(2 * self.settled) {
            self.settle();
            if self.entries.len() < self.entries.capacity() {
                return Ok(());
            }
        }
        let wanted = self.entries.capacity().max(MIN_COMPACTION / 2);
        let bytes = vec_bytes(&self.entries)
            .saturating_add(wanted.saturating_mul(std::mem::size_of::<Entry>()));
        check_state_bytes(function, "survival durations", bytes)?;
        reserve(&mut self.entries, wanted, function, "survival durations")
    }

    /// Adds every row of `other` (exact union).
    pub fn merge(&mut self, function: &str, other: &SurvivalSummary) -> MetricResult<()> {
        for entry in checked(&other.entries) {
            self.push(function, *entry, entry.events + entry.censored)?;
        }
        Ok(())
    }

    /// Sorts the entries by duration and adds up those of one duration (no sum can overflow:
    /// they add up to at most [`MAX_ROWS`]). The settled entries are sorted already: only the
    /// newer ones are sorted, then merged into them.
    pub fn settle(&mut self) {
        if self.settled == self.entries.len() {
            return;
        }
        if !self.merge_unsettled() {
            self.entries.sort_unstable_by_key(|entry| entry.duration);
        }
        let mut kept = 0;
        for index in checked(0..self.entries.len()) {
            let entry = self.entries[index];
            if kept > 0 && self.entries[kept - 1].duration == entry.duration {
                let last = &mut self.entries[kept - 1];
                last.events += entry.events;
                last.censored += entry.censored;
            } else {
                self.entries[kept] = entry;
                kept += 1;
            }
        }
        self.entries.truncate(kept);
        self.settled = kept;
    }

    /// Sorts the unsettled entries apart and merges them, from the end, with the settled ones:
    /// all the entries end up sorted by duration. False, with nothing changed, when the copy of
    /// the unsettled entries cannot be had within `crm.max_state_memory` (the caller then
    /// sorts everything in place).
    fn merge_unsettled(&mut self) -> bool {
        let settled = self.settled;
        let Some(newer) = self.entries.get(settled..) else {
            return false;
        };
        let copy_bytes = std::mem::size_of_val(newer);
        let mut sorted = Vec::new();
        if self.heap_bytes().saturating_add(copy_bytes) > max_state_bytes()
            || sorted.try_reserve_exact(newer.len()).is_err()
        {
            return false;
        }
        sorted.extend_from_slice(newer);
        sorted.sort_unstable_by_key(|entry| entry.duration);
        // Take the larger of the two last entries left, writing from the end: the settled
        // entries not yet taken always lie before the next place written.
        let (mut older, mut place) = (settled, self.entries.len());
        let mut ticker = Ticker::new();
        while let Some(newest) = sorted.last().copied() {
            ticker.tick();
            place -= 1;
            match older.checked_sub(1).map(|at| self.entries[at]) {
                Some(entry) if entry.duration > newest.duration => {
                    self.entries[place] = entry;
                    older -= 1;
                }
                _ => {
                    self.entries[place] = newest;
                    sorted.pop();
                }
            }
        }
        true
    }

    /// The entries in duration order, one per distinct duration.
    pub fn settled_entries(&mut self) -> &[Entry] {
        self.settle();
        &self.entries
    }

    /// A summary of already settled `entries` (validated by the caller).
    fn from_settled(entries: Vec<Entry>, rows: u64) -> Self {
        SurvivalSummary {
            settled: entries.len(),
            entries,
            rows,
        }
    }
}
