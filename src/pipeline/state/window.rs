//! The moving-aggregate (window frame) state of the pipeline aggregates.
use super::*;

/// Largest scale of a `Decimal`, and so the number of scales a window state counts.
const SCALES: usize = 29;

/// The moving-aggregate (window frame) state of the pipeline aggregates: the summary of the
/// frame and, for each sum of money, how many of the frame's amounts (or rolled-up summaries'
/// values) have each scale. A sum keeps the largest scale of what it adds, as Postgres's
/// `numeric` does; when the frame drops the rows with the most places, the sum goes back to the
/// largest scale left, so a frame gives the same summary, byte for byte, as `GROUP BY` over its
/// rows (8.50 + 0.25 - 8.50 is 0.25, not 0.25 at the scale of 8.50, and 8.75 - 0.25 over the
/// rows {8.5, 0.25} leaves 8.5, not 8.50).
#[derive(Debug, Clone, Default)]
pub struct PipelineWindow {
    pub summary: PipelineSummary,
    won_scales: [u64; SCALES],
    open_scales: [u64; SCALES],
}

impl PipelineWindow {
    /// Counts one opportunity ([`PipelineSummary::add`]).
    #[inline(always)]
    pub fn add(
        &mut self,
        function: &str,
        amount: Decimal,
        created_at: i64,
        closed_at: Option<i64>,
        won: Option<bool>,
    ) -> MetricResult<()> {
        let outcome = classify(function, amount, created_at, closed_at, won)?;
        self.summary.apply(function, amount, outcome)?;
        self.count_scale(outcome, amount.scale(), true);
        Ok(())
    }

    /// Removes an opportunity counted before (the inverse transition).
    pub fn remove(
        &mut self,
        function: &str,
        amount: Decimal,
        created_at: i64,
        closed_at: Option<i64>,
        won: Option<bool>,
    ) -> MetricResult<()> {
        let outcome = classify(function, amount, created_at, closed_at, won)?;
        let mut single = PipelineSummary::default();
        single.apply(function, amount, outcome)?;
        self.summary.unmerge(function, &single)?;
        self.count_scale(outcome, amount.scale(), false);
        self.rescale();
        Ok(())
    }

    /// Merges a summary ([`PipelineSummary::merge`], the rollup).
    pub fn merge(&mut self, function: &str, other: &PipelineSummary) -> MetricResult<()> {
        self.summary.merge(function, other)?;
        Self::count(&mut self.won_scales, other.won_value.scale(), true);
        Self::count(&mut self.open_scales, other.open_value.scale(), true);
        Ok(())
    }

    /// Removes a summary merged before (the rollup's inverse transition).
    pub fn unmerge(&mut self, function: &str, other: &PipelineSummary) -> MetricResult<()> {
        self.summary.unmerge(function, other)?;
        Self::count(&mut self.won_scales, other.won_value.scale(), false);
        Self::count(&mut self.open_scales, other.open_value.scale(), false);
        self.rescale();
        Ok(())
    }

    #[inline(always)]
    fn count_scale(&mut self, outcome: Outcome, scale: u32, up: bool) {
        match outcome {
            Outcome::Open => Self::count(&mut self.open_scales, scale, up),
            Outcome::Won(_) => Self::count(&mut self.won_scales, scale, up),
            Outcome::Lost => {}
        }
    }

    #[inline(always)]
    fn count(scales: &mut [u64; SCALES], scale: u32, up: bool) {
        if let Some(count) = scales.get_mut(scale as usize) {
            *count = if up {
                count.saturating_add(1)
            } else {
                count.saturating_sub(1)
            };
        }
    }

    /// Puts each sum back at the largest scale of what the frame still holds.
    fn rescale(&mut self) {
        let largest = |scales: &[u64; SCALES]| {
            scales.iter().rposition(|&count| count > 0).unwrap_or(0) as u32
        };
        self.summary.won_value =
            money::with_scale(self.summary.won_value, largest(&self.won_scales));
        self.summary.open_value =
            money::with_scale(self.summary.open_value, largest(&self.open_scales));
    }
}
