//! Net and gross revenue retention of a recurring-revenue summary between two months.
use super::*;

impl MrrSummary {
    /// Σ mrr in `from` and in `to`, and Σ min of the two, over the customers with mrr > 0 in
    /// `from` (month indexes).
    fn retained(
        &mut self,
        function: &str,
        from: i32,
        to: i32,
    ) -> MetricResult<(Decimal, Decimal, Decimal)> {
        self.settle(function)?;
        let amount_in = |rows: &[MrrRow], month: i32| {
            rows.binary_search_by_key(&month, |row| row.month)
                .map_or(Decimal::ZERO, |at| rows[at].mrr)
        };
        let (mut from_total, mut to_total, mut kept_total) =
            (Decimal::ZERO, Decimal::ZERO, Decimal::ZERO);
        for rows in checked(self.customers()) {
            let from_mrr = amount_in(rows, from);
            if from_mrr.is_zero() {
                continue;
            }
            let to_mrr = amount_in(rows, to);
            from_total = money::add(function, "mrr total", from_total, from_mrr)?;
            to_total = money::add(function, "mrr total", to_total, to_mrr)?;
            kept_total = money::add(function, "mrr total", kept_total, to_mrr.min(from_mrr))?;
        }
        Ok((from_total, to_total, kept_total))
    }

    fn retention_months(function: &str, from_day: i32, to_day: i32) -> MetricResult<(i32, i32)> {
        let from = month_of_date(function, "from_month", from_day)?;
        let to = month_of_date(function, "to_month", to_day)?;
        if to < from {
            return Err(MetricError::InvalidParameter(format!(
                "{function}: to_month {} is before from_month {}",
                date_text(to_day),
                date_text(from_day)
            )));
        }
        Ok((from, to))
    }

    /// Net revenue retention: Σ mrr in to_month / Σ mrr in from_month over the customers with
    /// mrr > 0 in from_month; `None` without such customers.
    pub fn net_revenue_retention(
        &mut self,
        from_day: i32,
        to_day: i32,
    ) -> MetricResult<Option<f64>> {
        const F: &str = "crm.net_revenue_retention";
        let (from, to) = Self::retention_months(F, from_day, to_day)?;
        let (from_total, to_total, _) = self.retained(F, from, to)?;
        Ok(money::ratio(to_total, from_total))
    }

    /// Gross revenue retention: Σ min(mrr in to_month, mrr in from_month) / Σ mrr in from_month
    /// over the customers with mrr > 0 in from_month; `None` without such customers.
    pub fn gross_revenue_retention(
        &mut self,
        from_day: i32,
        to_day: i32,
    ) -> MetricResult<Option<f64>> {
        const F: &str = "crm.gross_revenue_retention";
        let (from, to) = Self::retention_months(F, from_day, to_day)?;
        let (from_total, _, kept_total) = self.retained(F, from, to)?;
        Ok(money::ratio(kept_total, from_total))
    }
}
