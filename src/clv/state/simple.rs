//! The seed CLV formulas and the RFM summary of one customer's transactions. Money is
//! `rust_decimal` (exact sums; overflow is an error, never a wrap).
use super::{days_per_unit, invalid, ClvResult};
use crate::common::codec::{Reader, Writer};
use crate::common::error::{MetricError, MetricResult};
use rust_decimal::Decimal;
use std::str::FromStr;

/// A float argument as the decimal it prints as (0.1 is 0.1, not 0.1000000000000000055…).
pub fn decimal_from_f64(function: &str, name: &str, value: f64) -> ClvResult<Decimal> {
    if !value.is_finite() {
        return Err(invalid(format!(
            "{function}: {name} {value} must be finite"
        )));
    }
    Decimal::from_str(&format!("{value}"))
        .or_else(|_| Decimal::from_scientific(&format!("{value:e}")))
        .map_err(|_| {
            MetricError::OutOfRange(format!("{function}: {name} {value} is out of range")).into()
        })
}

fn overflow(function: &str) -> MetricError {
    MetricError::OutOfRange(format!("{function}: result is out of range"))
}

fn non_negative(function: &str, name: &str, value: f64) -> ClvResult<f64> {
    if value.is_finite() && value >= 0.0 {
        Ok(value)
    } else {
        Err(invalid(format!(
            "{function}: {name} {value} must be finite and non-negative"
        )))
    }
}

/// CLV = average purchase value × purchases per year × lifespan in years.
pub fn clv_from_purchases(
    function: &str,
    average_purchase_value: Decimal,
    purchases_per_year: f64,
    lifespan_years: f64,
) -> ClvResult<Decimal> {
    if average_purchase_value.is_sign_negative() && !average_purchase_value.is_zero() {
        return Err(invalid(format!(
            "{function}: average_purchase_value {average_purchase_value} is negative"
        )));
    }
    let purchases = decimal_from_f64(
        function,
        "purchases_per_year",
        non_negative(function, "purchases_per_year", purchases_per_year)?,
    )?;
    let years = decimal_from_f64(
        function,
        "lifespan_years",
        non_negative(function, "lifespan_years", lifespan_years)?,
    )?;
    average_purchase_value
        .checked_mul(purchases)
        .and_then(|value| value.checked_mul(years))
        .map(|value| value.normalize())
        .ok_or_else(|| overflow(function).into())
}

/// CLV = ARPA / churn rate; `None` when the churn rate is 0.
pub fn clv_from_churn(
    function: &str,
    arpa: Decimal,
    churn_rate: f64,
) -> ClvResult<Option<Decimal>> {
    if arpa.is_sign_negative() && !arpa.is_zero() {
        return Err(invalid(format!("{function}: arpa {arpa} is negative")));
    }
    if !churn_rate.is_finite() || !(0.0..=1.0).contains(&churn_rate) {
        return Err(invalid(format!(
            "{function}: churn_rate {churn_rate} is outside [0, 1]"
        )));
    }
    if churn_rate == 0.0 {
        return Ok(None);
    }
    let churn = decimal_from_f64(function, "churn_rate", churn_rate)?;
    arpa.checked_div(churn)
        .map(|value| Some(value.normalize()))
        .ok_or_else(|| overflow(function).into())
}

const MICROSECONDS_PER_DAY: i64 = 86_400_000_000;

/// The UTC day of a Postgres timestamp (microseconds since 2000-01-01).
pub fn utc_day(timestamp: i64) -> i64 {
    timestamp.div_euclid(MICROSECONDS_PER_DAY)
}

const UNITS: [&str; 4] = ["day", "week", "month", "year"];

/// One customer's RFM values (`crm.rfm`).
#[derive(Debug, Clone, PartialEq)]
pub struct Rfm {
    pub frequency: i32,
    pub recency: f64,
    pub age: f64,
    pub monetary_value: Decimal,
}

/// Aggregate state of `crm.rfm_agg`: daily totals of one customer's purchases.
#[derive(Debug, Clone, Default)]
pub struct RfmState {
    /// (UTC day, total); consecutive rows of one day are merged on arrival, the rest at the end.
    purchases: Vec<(i64, Decimal)>,
    /// Observation end (timestamp) and time unit (index into `UNITS`), the same on every row.
    settings: Option<(i64, u8)>,
}

const RFM_FORMAT_VERSION: u8 = 1;
const RFM_STATE: &str = "crm.rfm_agg state";

impl RfmState {
    /// Adds one purchase; rows after the observation end's day are ignored.
    pub fn add(
        &mut self,
        function: &str,
        occurred_at: i64,
        amount: Decimal,
        observation_end: i64,
        time_unit: &str,
    ) -> ClvResult<()> {
        days_per_unit(function, time_unit)?;
        let unit = UNITS
            .iter()
            .position(|name| *name == time_unit)
            .unwrap_or(0) as u8;
        self.check_settings(function, (observation_end, unit))?;
        let day = utc_day(occurred_at);
        if day > utc_day(observation_end) {
            return Ok(());
        }
        match self.purchases.last_mut() {
            Some((last_day, total)) if *last_day == day => {
                *total = total
                    .checked_add(amount)
                    .ok_or_else(|| overflow(function))?;
            }
            _ => self.purchases.push((day, amount)),
        }
        Ok(())
    }

    fn check_settings(&mut self, function: &str, settings: (i64, u8)) -> ClvResult<()> {
        match self.settings {
            None => {
                self.settings = Some(settings);
                Ok(())
            }
            Some(existing) if existing == settings => Ok(()),
            Some(_) => Err(invalid(format!(
                "{function}: observation_end and time_unit must be the same on every row of a group"
            ))),
        }
    }

    pub fn merge(&mut self, function: &str, other: &RfmState) -> ClvResult<()> {
        if let Some(settings) = other.settings {
            self.check_settings(function, settings)?;
        }
        self.purchases.extend_from_slice(&other.purchases);
        Ok(())
    }

    /// The RFM values, `None` without purchases up to the observation end.
    pub fn finish(&self, function: &str) -> ClvResult<Option<Rfm>> {
        let Some((observation_end, unit)) = self.settings else {
            return Ok(None);
        };
        if self.purchases.is_empty() {
            return Ok(None);
        }
        let days_per = days_per_unit(function, UNITS[usize::from(unit) % UNITS.len()])?;
        let mut sorted = self.purchases.clone();
        sorted.sort_unstable_by_key(|(day, _)| *day);
        let mut daily: Vec<(i64, Decimal)> = Vec::with_capacity(sorted.len());
        for (day, amount) in sorted {
            match daily.last_mut() {
                Some((last_day, total)) if *last_day == day => {
                    *total = total
                        .checked_add(amount)
                        .ok_or_else(|| overflow(function))?;
                }
                _ => daily.push((day, amount)),
            }
        }
        let (first, last) = match (daily.first(), daily.last()) {
            (Some(first), Some(last)) => (first.0, last.0),
            _ => return Ok(None),
        };
        let repeat_days = daily.len() - 1;
        let frequency = i32::try_from(repeat_days).map_err(|_| overflow(function))?;
        let monetary_value = if repeat_days == 0 {
            Decimal::ZERO
        } else {
            let mut total = Decimal::ZERO;
            for (_, amount) in &daily[1..] {
                total = total
                    .checked_add(*amount)
                    .ok_or_else(|| overflow(function))?;
            }
            total
                .checked_div(Decimal::from(repeat_days as u64))
                .ok_or_else(|| overflow(function))?
                .normalize()
        };
        Ok(Some(Rfm {
            frequency,
            recency: (last - first) as f64 / days_per,
            age: (utc_day(observation_end) - first) as f64 / days_per,
            monetary_value,
        }))
    }

    pub fn encode(&self) -> Vec<u8> {
        let mut writer = Writer::with_version(RFM_FORMAT_VERSION);
        match self.settings {
            None => {
                writer.u8(0xff);
            }
            Some((observation_end, unit)) => {
                writer.u8(unit).i64(observation_end);
            }
        }
        writer.u64(self.purchases.len() as u64);
        for (day, amount) in &self.purchases {
            writer.i64(*day).bytes(&amount.serialize());
        }
        writer.finish()
    }

    pub fn decode(bytes: &[u8]) -> MetricResult<Self> {
        let corrupt = || MetricError::InvalidBinary(format!("{RFM_STATE}: corrupt"));
        let mut reader = Reader::open(bytes, RFM_FORMAT_VERSION, RFM_STATE)?;
        let settings = match reader.u8()? {
            0xff => None,
            unit if usize::from(unit) < UNITS.len() => Some((reader.i64()?, unit)),
            _ => return Err(corrupt()),
        };
        let count = usize::try_from(reader.u64()?)
            .ok()
            .filter(|&count| count <= reader.remaining() / 18)
            .ok_or_else(corrupt)?;
        let mut purchases = Vec::with_capacity(count);
        for _ in 0..count {
            let day = reader.i64()?;
            let bytes: [u8; 16] = reader.bytes()?.try_into().map_err(|_| corrupt())?;
            purchases.push((day, Decimal::deserialize(bytes)));
        }
        reader.finish()?;
        Ok(RfmState {
            purchases,
            settings,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const F: &str = "crm.test";

    fn dec(text: &str) -> Decimal {
        Decimal::from_str(text).unwrap()
    }

    #[test]
    fn seed_formulas() {
        assert_eq!(
            clv_from_purchases(F, dec("45.50"), 4.0, 3.0).unwrap(),
            dec("546")
        );
        assert_eq!(
            clv_from_purchases(F, dec("10"), 0.1, 3.0).unwrap(),
            dec("3")
        );
        assert_eq!(
            clv_from_churn(F, dec("100"), 0.04).unwrap(),
            Some(dec("2500"))
        );
        assert_eq!(clv_from_churn(F, dec("100"), 0.0).unwrap(), None);
        assert!(clv_from_churn(F, dec("100"), 1.5).is_err());
        assert!(clv_from_churn(F, dec("-1"), 0.5).is_err());
        assert!(clv_from_purchases(F, dec("1"), -1.0, 1.0).is_err());
        assert!(clv_from_purchases(F, dec("1"), f64::NAN, 1.0).is_err());
        assert!(matches!(
            clv_from_purchases(F, Decimal::MAX, 10.0, 10.0)
                .unwrap_err()
                .error,
            MetricError::OutOfRange(_)
        ));
        assert!(matches!(
            clv_from_churn(F, Decimal::MAX, 0.1).unwrap_err().error,
            MetricError::OutOfRange(_)
        ));
    }

    const DAY: i64 = MICROSECONDS_PER_DAY;

    #[test]
    fn rfm_follows_the_lifetimes_definitions() {
        let mut state = RfmState::default();
        let end = 100 * DAY;
        // Day 0 twice (merged), day 7, day 14 twice, day 101 (after the end, ignored).
        for (at, amount) in [
            (0, "5"),
            (DAY / 2, "5"),
            (7 * DAY, "10"),
            (14 * DAY + 1, "20"),
            (14 * DAY + 5, "1"),
            (101 * DAY, "999"),
        ] {
            state.add(F, at, dec(amount), end, "week").unwrap();
        }
        let rfm = state.finish(F).unwrap().unwrap();
        assert_eq!(rfm.frequency, 2);
        assert_eq!(rfm.recency, 2.0);
        assert_eq!(rfm.age, 100.0 / 7.0);
        assert_eq!(rfm.monetary_value, dec("15.5"));
        assert!(state.add(F, 0, dec("1"), end + 1, "week").is_err());
        assert!(state.add(F, 0, dec("1"), end, "weeks").is_err());
        let mut only_late = RfmState::default();
        only_late.add(F, 200 * DAY, dec("1"), end, "day").unwrap();
        assert_eq!(only_late.finish(F).unwrap(), None);
        let mut single = RfmState::default();
        single.add(F, -DAY + 1, dec("3"), end, "day").unwrap();
        assert_eq!(
            single.finish(F).unwrap().unwrap(),
            Rfm {
                frequency: 0,
                recency: 0.0,
                age: 101.0,
                monetary_value: Decimal::ZERO
            }
        );
    }

    proptest! {
        #[test]
        fn split_and_merge_equals_one_pass(rows in proptest::collection::vec((0i64..40, 0i64..100_000), 1..40), cut in 0usize..40) {
            let cut = cut.min(rows.len());
            let build = |rows: &[(i64, i64)]| {
                let mut state = RfmState::default();
                for (day, cents) in rows {
                    state.add(F, day * DAY + 3, Decimal::new(*cents, 2), 30 * DAY, "day").unwrap();
                }
                state
            };
            let whole = build(&rows).finish(F).unwrap();
            let mut first = build(&rows[..cut]);
            first.merge(F, &build(&rows[cut..])).unwrap();
            prop_assert_eq!(first.finish(F).unwrap(), whole.clone());
            let mut reversed = build(&rows[cut..]);
            reversed.merge(F, &build(&rows[..cut])).unwrap();
            prop_assert_eq!(reversed.finish(F).unwrap(), whole.clone());
            let decoded = RfmState::decode(&build(&rows).encode()).unwrap();
            prop_assert_eq!(decoded.finish(F).unwrap(), whole);
        }
    }
}
