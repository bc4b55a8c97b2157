//! The MRR bridge of a recurring-revenue summary: per month, starting and ending MRR and its
//! movements (new, expansion, contraction, churned, reactivation) with their customer counts.
use super::*;
use crate::common::limits::collect_result;
use crate::common::periods::{period_start_date, Period};

impl MrrSummary {
    /// The MRR bridge: one row per month from the first to the last month of the data.
    pub fn movements(&mut self, function: &str) -> MetricResult<Vec<Movement>> {
        self.settle(function)?;
        let Some((first, last)) = self.months else {
            return Ok(Vec::new());
        };
        let span = i64::from(last) - i64::from(first) + 1;
        if span > MAX_MONTHS {
            return Err(MetricError::InvalidParameter(format!(
                "{function}: the data spans {span} months, more than {MAX_MONTHS}"
            )));
        }
        let mut months: Vec<Movement> = collect_result(
            function,
            "its months",
            (first..=last).map(|month| Movement {
                month: period_start_date(Period::Month, month),
                ..Movement::default()
            }),
        )?;
        let slot = |month: i32| (month - first) as usize;
        let add = |total: &mut Decimal, amount: Decimal| -> MetricResult<()> {
            *total = money::add(function, "a month's total", *total, amount)?;
            Ok(())
        };
        let count = |total: &mut u64| -> MetricResult<()> {
            *total = total
                .checked_add(1)
                .ok_or_else(|| count_overflow(function))?;
            Ok(())
        };
        let mut ticker = Ticker::new();
        for rows in self.customers() {
            let mut previous: Option<(i32, Decimal)> = None;
            for row in rows {
                ticker.tick();
                match previous {
                    None => {
                        let this = &mut months[slot(row.month)];
                        add(&mut this.new_mrr, row.mrr)?;
                        count(&mut this.new_customers)?;
                    }
                    Some((month, mrr)) if month + 1 == row.month => {
                        let this = &mut months[slot(row.month)];
                        if row.mrr > mrr {
                            let change = money::sub(function, "an expansion", row.mrr, mrr)?;
                            add(&mut this.expansion_mrr, change)?;
                        } else if row.mrr < mrr {
                            let change = money::sub(function, "a contraction", mrr, row.mrr)?;
                            add(&mut this.contraction_mrr, change)?;
                        }
                    }
                    Some((month, mrr)) => {
                        let churned = &mut months[slot(month + 1)];
                        add(&mut churned.churned_mrr, mrr)?;
                        count(&mut churned.churned_customers)?;
                        let this = &mut months[slot(row.month)];
                        add(&mut this.reactivation_mrr, row.mrr)?;
                        count(&mut this.reactivated_customers)?;
                    }
                }
                let this = &mut months[slot(row.month)];
                add(&mut this.ending_mrr, row.mrr)?;
                count(&mut this.customers_at_end)?;
                previous = Some((row.month, row.mrr));
            }
            if let Some((month, mrr)) = previous.filter(|&(month, _)| month < last) {
                let churned = &mut months[slot(month + 1)];
                add(&mut churned.churned_mrr, mrr)?;
                count(&mut churned.churned_customers)?;
            }
        }
        for index in checked(1..months.len()) {
            months[index].starting_mrr = months[index - 1].ending_mrr;
            months[index].customers_at_start = months[index - 1].customers_at_end;
        }
        Ok(months)
    }
}
