//! What is read from a pipeline summary: opportunities, win rate, average deal size, sales
//! cycle and the velocities.
use super::*;

impl PipelineSummary {
    /// Number of opportunities (won, lost and open).
    pub fn opportunities(&self) -> u64 {
        self.won + self.lost + self.open
    }

    /// won / (won + lost); `None` before any deal closed.
    pub fn win_rate(&self) -> Option<f64> {
        let closed = self.won + self.lost;
        (closed > 0).then(|| self.won as f64 / closed as f64)
    }

    /// Mean amount of the won deals; `None` when nothing was won.
    pub fn average_deal_size(&self, function: &str) -> MetricResult<Option<Decimal>> {
        money::div(
            function,
            "average deal size",
            self.won_value,
            Decimal::from(self.won),
        )
    }

    /// Mean time from creation to close of the won deals, in whole microseconds (rounded
    /// half up); `None` when nothing was won. Below the length of the timestamp range (the
    /// sum is checked on input).
    pub fn sales_cycle_microseconds(&self) -> Option<u128> {
        let won = u128::from(self.won);
        (won > 0).then(|| (self.won_cycle_microseconds + won / 2) / won)
    }

    /// The mean sales cycle measured in `per` (microseconds, as [`interval_microseconds`]
    /// counts them): Σ cycles / (won · per). `None` when nothing was won or the cycle is 0.
    fn cycles_per(&self, function: &str, per: i128) -> MetricResult<Option<Decimal>> {
        if per <= 0 {
            return Err(MetricError::InvalidParameter(format!(
                "{function}: per must be a positive interval"
            )));
        }
        if self.won == 0 || self.won_cycle_microseconds == 0 {
            return Ok(None);
        }
        let decimal = |value: i128| {
            Decimal::try_from_i128_with_scale(value, 0)
                .map_err(|_| money::money_out_of_range(function, "the sales cycle", "is too long"))
        };
        let total =
            decimal(i128::try_from(self.won_cycle_microseconds).map_err(|_| {
                money::money_out_of_range(function, "the sales cycle", "is too long")
            })?)?;
        let unit = decimal(i128::from(self.won))?.checked_mul(decimal(per)?);
        match unit {
            Some(unit) => money::div(function, "the sales cycle", total, unit),
            // won · per exceeds 7.9e28 microseconds: divide in two steps.
            None => {
                let mean = money::div(function, "the sales cycle", total, Decimal::from(self.won))?;
                match mean {
                    Some(mean) => money::div(function, "the sales cycle", mean, decimal(per)?),
                    None => Ok(None),
                }
            }
        }
    }

    /// opportunities × win_rate × average_deal_size ÷ (sales_cycle / per): expected won value
    /// per `per` of time. `None` when nothing was won or every won deal closed instantly.
    pub fn pipeline_velocity(&self, function: &str, per: i128) -> MetricResult<Option<Decimal>> {
        self.velocity_of(function, self.opportunities(), per)
    }

    /// Open pipeline velocity, as CRMs show it: open × win_rate × average_deal_size ÷
    /// (sales_cycle / per), the value the deals still open are expected to bring per `per`.
    /// `None` when nothing was won (or every won deal closed instantly).
    pub fn open_pipeline_velocity(
        &self,
        function: &str,
        per: i128,
    ) -> MetricResult<Option<Decimal>> {
        self.velocity_of(function, self.open, per)
    }

    /// `deals` × win_rate × average_deal_size ÷ (sales_cycle / per).
    fn velocity_of(&self, function: &str, deals: u64, per: i128) -> MetricResult<Option<Decimal>> {
        let Some(cycles) = self.cycles_per(function, per)? else {
            return Ok(None);
        };
        let closed = Decimal::from(self.won + self.lost);
        let what = "pipeline velocity";
        let Some(rate) = money::div(function, what, Decimal::from(self.won), closed)? else {
            return Ok(None);
        };
        let Some(average) = self.average_deal_size(function)? else {
            return Ok(None);
        };
        let expected = money::mul(function, what, Decimal::from(deals), rate)?;
        let expected = money::mul(function, what, expected, average)?;
        money::div(function, what, expected, cycles)
    }

    /// won_value ÷ (sales_cycle / per). `None` when nothing was won or every won deal closed
    /// instantly.
    pub fn closed_value_velocity(
        &self,
        function: &str,
        per: i128,
    ) -> MetricResult<Option<Decimal>> {
        let Some(cycles) = self.cycles_per(function, per)? else {
            return Ok(None);
        };
        money::div(function, "closed value velocity", self.won_value, cycles)
    }
}
