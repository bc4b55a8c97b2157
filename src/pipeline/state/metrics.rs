//! What is read from a pipeline summary: opportunities, win rate, average deal size, sales
//! cycle and the velocities.
use super::*;
use crate::common::exact::{count_ratio, Fraction, Significant};

/// The `per` of the velocities: a positive number of microseconds, checked once where it is
/// read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Per(i128);

impl Per {
    /// A day, the velocities' default.
    pub const DAY: Per = Per(USECS_PER_DAY as i128);

    /// `micros` as a `per`: 22023 unless positive, naming it as `shown` gives it.
    pub fn new(function: &str, micros: i128, shown: impl FnOnce() -> String) -> MetricResult<Self> {
        if micros > 0 {
            Ok(Per(micros))
        } else {
            Err(MetricError::InvalidParameter(format!(
                "{function}: per '{}' must be a positive interval",
                shown()
            )))
        }
    }
}

impl PipelineSummary {
    /// Number of opportunities (won, lost and open).
    pub fn opportunities(&self) -> u64 {
        self.won + self.lost + self.open
    }

    /// won / (won + lost); `None` before any deal closed.
    pub fn win_rate(&self) -> Option<f64> {
        let closed = self.won + self.lost;
        count_ratio(self.won.into(), closed.into())
    }

    /// Mean amount of the won deals, as money per count is everywhere (exact, else rounded
    /// once to 28 significant digits, however small); `None` when nothing was won.
    pub fn average_deal_size(&self) -> Option<Significant> {
        (self.won > 0).then(|| money::per_count(self.won_value, self.won))
    }

    /// Mean time from creation to close of the won deals, in whole microseconds (rounded
    /// half up); `None` when nothing was won. Below the length of the timestamp range (the
    /// sum is checked on input).
    pub fn sales_cycle_microseconds(&self) -> Option<u128> {
        let won = u128::from(self.won);
        (won > 0).then(|| (self.won_cycle_microseconds + won / 2) / won)
    }

    /// `value` ÷ (sales_cycle / per) = `value` × won · per ÷ Σ cycles, with `per` in
    /// microseconds (as [`interval_microseconds`] counts them),
    /// computed exactly and rounded once to 28 significant digits, trailing zeros dropped
    /// (86400, not 86400.0000). `None`
    /// when nothing was won or the cycle is 0; a result of more than 28 digits before the
    /// point is 22003.
    fn over_cycles(
        &self,
        function: &str,
        what: &str,
        value: Fraction,
        per: Per,
    ) -> MetricResult<Option<Significant>> {
        if self.won == 0 || self.won_cycle_microseconds == 0 {
            return Ok(None);
        }
        let velocity = value
            .times(&Fraction::of_integer(self.won))
            .times(&Fraction::of_integer(per.0))
            .over(&Fraction::of_integer(self.won_cycle_microseconds))
            .expect("a nonzero cycle")
            .to_significant(28);
        if velocity.integer_digits() > 28 {
            return Err(money::money_out_of_range(
                function,
                what,
                "overflows (more than 28 digits)",
            ));
        }
        Ok(Some(velocity))
    }

    /// opportunities × win_rate × average_deal_size ÷ (sales_cycle / per): expected won value
    /// per `per` of time. `None` when nothing was won or every won deal closed instantly.
    pub fn pipeline_velocity(&self, function: &str, per: Per) -> MetricResult<Option<Significant>> {
        self.velocity_of(function, self.opportunities(), per)
    }

    /// Open pipeline velocity, as CRMs show it: open × win_rate × average_deal_size ÷
    /// (sales_cycle / per), the value the deals still open are expected to bring per `per`.
    /// `None` when nothing was won (or every won deal closed instantly).
    pub fn open_pipeline_velocity(
        &self,
        function: &str,
        per: Per,
    ) -> MetricResult<Option<Significant>> {
        self.velocity_of(function, self.open, per)
    }

    /// `deals` × win_rate × average_deal_size ÷ (sales_cycle / per), as `deals` × won_value ÷
    /// closed ÷ (sales_cycle / per): win_rate × average_deal_size is won_value ÷ closed.
    fn velocity_of(
        &self,
        function: &str,
        deals: u64,
        per: Per,
    ) -> MetricResult<Option<Significant>> {
        let closed = self.won + self.lost;
        if closed == 0 {
            return Ok(None);
        }
        let expected = Fraction::of_integer(deals)
            .times(&Fraction::of_decimal(self.won_value))
            .over(&Fraction::of_integer(closed))
            .expect("closed deals");
        self.over_cycles(function, "pipeline velocity", expected, per)
    }

    /// won_value ÷ (sales_cycle / per). `None` when nothing was won or every won deal closed
    /// instantly.
    pub fn closed_value_velocity(
        &self,
        function: &str,
        per: Per,
    ) -> MetricResult<Option<Significant>> {
        self.over_cycles(
            function,
            "closed value velocity",
            Fraction::of_decimal(self.won_value),
            per,
        )
    }
}
