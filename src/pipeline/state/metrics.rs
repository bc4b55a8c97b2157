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

    /// `value` ÷ (sales_cycle / per) = `value` × won · per ÷ Σ cycles, with `per` in
    /// microseconds (as [`interval_microseconds`] counts them). `None` when nothing was won or
    /// the cycle is 0. The ratio of won · per to Σ cycles is taken the way round that is at
    /// least 1, so that it keeps 28 significant digits, and `value` multiplied or divided by it:
    /// a quotient below 1 would keep only its 28 decimal places. Trailing zeros are dropped
    /// (86400, not 86400.000000000000000000000000).
    fn over_cycles(
        &self,
        function: &str,
        what: &str,
        value: Decimal,
        per: i128,
    ) -> MetricResult<Option<Decimal>> {
        if per <= 0 {
            return Err(MetricError::InvalidParameter(format!(
                "{function}: per must be a positive interval"
            )));
        }
        if self.won == 0 || self.won_cycle_microseconds == 0 {
            return Ok(None);
        }
        let too_long = || money::money_out_of_range(function, "the sales cycle", "is too long");
        let decimal =
            |value: i128| Decimal::try_from_i128_with_scale(value, 0).map_err(|_| too_long());
        let total = decimal(i128::try_from(self.won_cycle_microseconds).map_err(|_| too_long())?)?;
        let per = decimal(per)?;
        let won = decimal(i128::from(self.won))?;
        let cycle = "the sales cycle";
        // won · per past 7.9e28 microseconds: per over the mean cycle instead.
        let (numerator, denominator) = match won.checked_mul(per) {
            Some(unit) => (unit, total),
            None => match money::div(function, cycle, total, won)? {
                Some(mean) => (per, mean),
                None => return Ok(None),
            },
        };
        if numerator >= denominator {
            let Some(factor) = money::div(function, cycle, numerator, denominator)? else {
                return Ok(None);
            };
            money::mul(function, what, value, factor).map(|velocity| Some(velocity.normalize()))
        } else {
            let Some(cycles) = money::div(function, cycle, denominator, numerator)? else {
                return Ok(None);
            };
            Ok(money::div(function, what, value, cycles)?.map(|velocity| velocity.normalize()))
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

    /// `deals` × win_rate × average_deal_size ÷ (sales_cycle / per), as `deals` × won_value ÷
    /// closed ÷ (sales_cycle / per): win_rate × average_deal_size is won_value ÷ closed.
    fn velocity_of(&self, function: &str, deals: u64, per: i128) -> MetricResult<Option<Decimal>> {
        let closed = Decimal::from(self.won + self.lost);
        let what = "pipeline velocity";
        let value = money::mul(function, what, Decimal::from(deals), self.won_value)?;
        let Some(expected) = money::div(function, what, value, closed)? else {
            return Ok(None);
        };
        self.over_cycles(function, what, expected, per)
    }

    /// won_value ÷ (sales_cycle / per). `None` when nothing was won or every won deal closed
    /// instantly.
    pub fn closed_value_velocity(
        &self,
        function: &str,
        per: i128,
    ) -> MetricResult<Option<Decimal>> {
        self.over_cycles(function, "closed value velocity", self.won_value, per)
    }
}
