//! The working form of a pipeline summary as the in-place state of the pipeline aggregates.
use super::*;

/// Working form of a [`PipelineSummary`] as the state of the pipeline aggregates (SQL type
/// `crm.pipeline_summary`, changed in place per row: [`crate::common::flat_state`]). Plain old data:
/// the two sums of money in `Decimal`'s 16-byte serialized form, and the sum of sales cycles in
/// two 64-bit halves (a `u128` field would need 16-byte alignment, more than a varlena gives).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, bytemuck::Pod, bytemuck::Zeroable)]
#[repr(C)]
pub struct PipelineFlat {
    pub(super) won: u64,
    pub(super) lost: u64,
    pub(super) open: u64,
    pub(super) won_value: [u8; 16],
    pub(super) open_value: [u8; 16],
    pub(super) won_cycle_low: u64,
    pub(super) won_cycle_high: u64,
}

impl PipelineFlat {
    /// The working form of `summary`.
    #[inline(always)]
    pub fn of(summary: &PipelineSummary) -> Self {
        PipelineFlat {
            won: summary.won,
            lost: summary.lost,
            open: summary.open,
            won_value: summary.won_value.serialize(),
            open_value: summary.open_value.serialize(),
            won_cycle_low: summary.won_cycle_microseconds as u64,
            won_cycle_high: (summary.won_cycle_microseconds >> 64) as u64,
        }
    }

    /// The summary this working form holds (as written by [`PipelineFlat::of`]; a form read
    /// from elsewhere is checked by [`FlatState::validate`] first).
    #[inline(always)]
    pub fn summary(&self) -> PipelineSummary {
        PipelineSummary {
            won: self.won,
            lost: self.lost,
            open: self.open,
            won_value: Decimal::deserialize(self.won_value),
            open_value: Decimal::deserialize(self.open_value),
            won_cycle_microseconds: u128::from(self.won_cycle_high) << 64
                | u128::from(self.won_cycle_low),
        }
    }

    /// Counts one opportunity as [`PipelineSummary::add`] does, touching only the fields its
    /// outcome changes (the per-row path); an error leaves the state unchanged.
    #[inline(always)]
    pub fn add(
        &mut self,
        function: &str,
        amount: Decimal,
        created_at: i64,
        closed_at: Option<i64>,
        won: Option<bool>,
    ) -> MetricResult<()> {
        check_room(function, self.won, self.lost, self.open)?;
        let count = |count: u64| count.checked_add(1).ok_or_else(|| count_overflow(function));
        match classify(function, amount, created_at, closed_at, won)? {
            Outcome::Open => {
                let sum = Decimal::deserialize(self.open_value);
                let sum = money::add(function, "open value", sum, amount)?;
                self.open = count(self.open)?;
                self.open_value = sum.serialize();
            }
            Outcome::Lost => self.lost = count(self.lost)?,
            Outcome::Won(cycle) => {
                let sum = Decimal::deserialize(self.won_value);
                let sum = money::add(function, "won value", sum, amount)?;
                self.won = count(self.won)?;
                self.won_value = sum.serialize();
                // The u128 addition of `PipelineSummary::add`, in halves.
                let (low, carry) = self.won_cycle_low.overflowing_add(cycle);
                self.won_cycle_low = low;
                self.won_cycle_high = self.won_cycle_high.wrapping_add(u64::from(carry));
            }
        }
        Ok(())
    }

    /// Adds another state or summary ([`PipelineSummary::merge`]: combine and rollup).
    pub fn merge(&mut self, function: &str, other: &PipelineFlat) -> MetricResult<()> {
        let mut summary = self.summary();
        summary.merge(function, &other.summary())?;
        *self = Self::of(&summary);
        Ok(())
    }
}

impl FlatState for PipelineFlat {
    const KIND: u8 = 4;
    const TYPE_NAME: &'static str = super::TYPE_NAME;
    fn validate(self) -> MetricResult<Self> {
        // A decimal's serialized form is canonical exactly when it reads back to itself (no
        // unused flag bits, a scale of at most 28).
        let canonical = |bytes: [u8; 16]| Decimal::deserialize(bytes).serialize() == bytes;
        if !canonical(self.won_value) || !canonical(self.open_value) {
            return Err(MetricError::InvalidBinary(format!(
                "{TYPE_NAME}: malformed decimal value"
            )));
        }
        self.summary()
            .check_total(TYPE_NAME, MetricError::InvalidBinary)?;
        Ok(self)
    }

    fn encode_canonical(&self) -> MetricResult<Vec<u8>> {
        self.summary().encode()
    }

    fn decode_canonical(bytes: &[u8]) -> MetricResult<Self> {
        PipelineSummary::decode_canonical(bytes).map(|summary| Self::of(&summary))
    }
}
