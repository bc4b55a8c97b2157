//! Calibration/holdout split of one customer's purchases (`crm.rfm_holdout_agg`): the RFM
//! summary up to the calibration end, and what the customer bought after it up to the
//! observation end, the columns a model is fitted on and then checked against.
//!
//! Purchases are grouped by UTC day as in `crm.rfm_agg`: a purchase belongs to the calibration
//! period when its day is at most the calibration end's day, to the holdout period when its day
//! is after that and at most the observation end's day; later ones are ignored.
use super::invalid;
use super::simple::{mean_to_16_places, unit_index, unit_name, utc_day, Rfm, RfmState, UNITS};
use crate::common::civil::format_timestamp;
use crate::common::codec::{Reader, Writer};
use crate::common::error::{MetricError, MetricResult};
use crate::common::interrupt::checked;
use crate::common::limits::{check_state_bytes, copied, reserve, vec_bytes};
use crate::common::money;
use rust_decimal::Decimal;

const MICROSECONDS_PER_DAY: i64 = 86_400_000_000;
const FORMAT_VERSION: u8 = 1;
const WHAT: &str = "crm.rfm_holdout_agg state";

/// Calibration end, observation end (timestamps) and time unit (index into [`UNITS`]), the
/// same on every row of a group.
pub type HoldoutSettings = (i64, i64, u8);

/// One customer's calibration and holdout values (`crm.rfm_holdout`).
#[derive(Debug, Clone, PartialEq)]
pub struct RfmHoldout {
    /// The RFM summary at the calibration end.
    pub calibration: Rfm,
    /// Days with purchases in the holdout period.
    pub frequency_holdout: i32,
    /// Mean amount of the holdout purchases (each row, not each day; 0 without any).
    pub monetary_value_holdout: Decimal,
    /// Length of the holdout period in time units.
    pub duration_holdout: f64,
}

/// Aggregate state of `crm.rfm_holdout_agg`: (UTC day, total, purchases) of one customer up
/// to the observation end; consecutive rows of one day merge on arrival, the rest at the end.
#[derive(Debug, Clone, Default)]
pub struct HoldoutState {
    days: Vec<(i64, Decimal, u64)>,
    settings: Option<HoldoutSettings>,
}

impl HoldoutState {
    /// Heap bytes held (charged to the aggregate's memory context).
    pub fn heap_bytes(&self) -> usize {
        vec_bytes(&self.days)
    }

    /// Adds one purchase; `time_unit` is a name of [`UNITS`].
    pub fn add(
        &mut self,
        function: &str,
        occurred_at: i64,
        amount: Decimal,
        settings: (i64, i64, &str),
    ) -> MetricResult<()> {
        let unit = unit_index(function, settings.2.as_bytes())?;
        self.add_in_unit(
            function,
            occurred_at,
            amount,
            (settings.0, settings.1, unit),
        )
    }

    /// [`HoldoutState::add`] with the time unit already looked up by [`unit_index`].
    pub fn add_in_unit(
        &mut self,
        function: &str,
        occurred_at: i64,
        amount: Decimal,
        settings: HoldoutSettings,
    ) -> MetricResult<()> {
        if self.settings != Some(settings) {
            self.agree(function, settings)?;
        }
        let day = utc_day(occurred_at);
        if day > utc_day(settings.1) {
            return Ok(());
        }
        match self.days.last_mut() {
            Some((last_day, total, rows)) if *last_day == day => {
                *total = money::add(function, "a day's purchases", *total, amount)?;
                *rows = rows.saturating_add(1);
            }
            _ => {
                self.grow(function, 1)?;
                self.days.push((day, amount, 1));
            }
        }
        Ok(())
    }

    /// Takes `settings` as the state's own or checks that they equal its own (22023 when they
    /// differ, or when the calibration end is after the observation end).
    fn agree(&mut self, function: &str, settings: HoldoutSettings) -> MetricResult<()> {
        let shown = |(calibration_end, observation_end, unit): HoldoutSettings| {
            format!(
                "{}, {} and '{}'",
                format_timestamp(calibration_end),
                format_timestamp(observation_end),
                unit_name(unit)
            )
        };
        match self.settings {
            None if settings.0 > settings.1 => Err(invalid(format!(
                "{function}: calibration_end {} must not be after observation_end {}",
                format_timestamp(settings.0),
                format_timestamp(settings.1)
            ))),
            None => {
                self.settings = Some(settings);
                Ok(())
            }
            Some(existing) if existing == settings => Ok(()),
            Some(existing) => Err(invalid(format!(
                "{function}: calibration_end, observation_end and time_unit must be the same on \
                 every row of a group ({} against {})",
                shown(existing),
                shown(settings)
            ))),
        }
    }

    /// Room for `additional` more days, 54000 past `crm.max_state_memory`.
    fn grow(&mut self, function: &str, additional: usize) -> MetricResult<()> {
        if self.days.capacity() - self.days.len() < additional {
            let wanted = (self.days.len() + additional).max(self.days.capacity() * 2);
            let bytes = wanted.saturating_mul(std::mem::size_of::<(i64, Decimal, u64)>());
            check_state_bytes(function, "purchase days", bytes)?;
            let more = wanted - self.days.len();
            reserve(&mut self.days, more, function, "purchase days")?;
        }
        Ok(())
    }

    /// Adds the days of `other` (a partial state of the same group).
    pub fn merge(&mut self, function: &str, other: &HoldoutState) -> MetricResult<()> {
        if let Some(settings) = other.settings {
            self.agree(function, settings)?;
        }
        self.grow(function, other.days.len())?;
        self.days.extend_from_slice(&other.days);
        Ok(())
    }

    /// The customer's calibration and holdout values; `None` without a purchase on or before
    /// the calibration end's day (such a customer is not in lifetimes' calibration data).
    pub fn finish(&mut self, function: &str) -> MetricResult<Option<RfmHoldout>> {
        let Some((calibration_end, observation_end, unit)) = self.settings else {
            return Ok(None);
        };
        let calibration_day = utc_day(calibration_end);
        let mut calibration = RfmState::default();
        let (mut holdout_rows, mut holdout_total) = (0u64, Decimal::ZERO);
        let mut holdout: Vec<i64> = Vec::new();
        for &(day, amount, rows) in checked(&self.days) {
            if day <= calibration_day {
                let at = day.saturating_mul(MICROSECONDS_PER_DAY);
                calibration.add_in_unit(function, at, amount, calibration_end, unit)?;
            } else {
                holdout_rows = holdout_rows.saturating_add(rows);
                holdout_total =
                    money::add(function, "the holdout purchases", holdout_total, amount)?;
                reserve(&mut holdout, 1, function, "purchase days")?;
                holdout.push(day);
            }
        }
        let Some(rfm) = calibration.finish(function)? else {
            return Ok(None);
        };
        holdout.sort_unstable();
        holdout.dedup();
        let frequency_holdout = i32::try_from(holdout.len()).map_err(|_| {
            MetricError::OutOfRange(format!("{function}: too many holdout purchase days"))
        })?;
        let monetary_value_holdout = if holdout_rows == 0 {
            Decimal::ZERO
        } else {
            match mean_to_16_places(holdout_total, holdout_rows) {
                Some(mean) => mean,
                None => holdout_total
                    .checked_div(Decimal::from(holdout_rows))
                    .ok_or_else(|| {
                        MetricError::OutOfRange(format!("{function}: numeric overflow"))
                    })?
                    .round_dp(16),
            }
            .normalize()
        };
        let days_per = super::days_per_unit(function, unit_name(unit))?;
        Ok(Some(RfmHoldout {
            calibration: rfm,
            frequency_holdout,
            monetary_value_holdout,
            duration_holdout: (utc_day(observation_end) - calibration_day) as f64 / days_per,
        }))
    }

    /// Version byte, settings (unit, or 0xff for none yet; then the two ends), day count, then
    /// per day the day, the total's 16 bytes and the number of purchases.
    /// Canonical binary form: the settings, then one entry per day in day order (the totals
    /// and row counts of a day added up), so that every order and split of the same rows
    /// writes the same bytes.
    pub fn encode(&self) -> MetricResult<Vec<u8>> {
        let mut days = copied(&self.days, WHAT, "purchase days")?;
        let order = |(day, amount, rows): &(i64, Decimal, u64)| (*day, amount.serialize(), *rows);
        if !days.is_sorted_by_key(order) {
            days.sort_unstable_by_key(order);
        }
        let mut merged: usize = 0;
        for index in 0..days.len() {
            let (day, amount, rows) = days[index];
            let total = merged
                .checked_sub(1)
                .filter(|&last| days[last].0 == day)
                .and_then(|last| {
                    money::exact_sum(days[last].1, amount, false).map(|sum| (last, sum))
                });
            match total {
                // Rows count as the transitions count them (saturating).
                Some((last, sum)) => days[last] = (day, sum, days[last].2.saturating_add(rows)),
                // A new day, or a day's totals past the money range (the final function refuses
                // them): kept as its own entry, so the state still writes.
                None => {
                    days[merged] = (day, amount, rows);
                    merged += 1;
                }
            }
        }
        let mut writer = Writer::with_version(FORMAT_VERSION);
        match self.settings {
            None => writer.u8(0xff),
            Some((calibration_end, observation_end, unit)) => {
                writer.u8(unit).i64(calibration_end).i64(observation_end)
            }
        };
        writer.u64(merged as u64);
        for (day, amount, rows) in &days[..merged] {
            writer.i64(*day).bytes(&amount.serialize()).u64(*rows);
        }
        writer.finish(WHAT)
    }

    /// Inverse of [`HoldoutState::encode`], accepting only what the transitions can make.
    pub fn decode(bytes: &[u8]) -> MetricResult<Self> {
        let corrupt = || MetricError::InvalidBinary(format!("{WHAT}: corrupt"));
        let mut reader = Reader::open(bytes, FORMAT_VERSION, WHAT)?;
        let settings = match reader.u8()? {
            0xff => None,
            unit if usize::from(unit) < UNITS.len() => {
                let (calibration_end, observation_end) = (reader.i64()?, reader.i64()?);
                let finite = |at: i64| at != i64::MIN && at != i64::MAX;
                if !finite(calibration_end)
                    || !finite(observation_end)
                    || calibration_end > observation_end
                {
                    return Err(corrupt());
                }
                Some((calibration_end, observation_end, unit))
            }
            _ => return Err(corrupt()),
        };
        let count = usize::try_from(reader.u64()?)
            .ok()
            .filter(|&count| count <= reader.remaining() / 19)
            .ok_or_else(corrupt)?;
        let last_day = match settings {
            Some((_, observation_end, _)) => utc_day(observation_end),
            None if count == 0 => i64::MIN,
            None => return Err(corrupt()),
        };
        let mut state = HoldoutState {
            settings,
            days: Vec::new(),
        };
        state.grow(WHAT, count)?;
        for _ in checked(0..count) {
            let day = reader.i64()?;
            let bytes: [u8; 16] = reader.bytes()?.try_into().map_err(|_| corrupt())?;
            let amount = Decimal::deserialize(bytes);
            let rows = reader.u64()?;
            if !(super::simple::first_finite_day()..=last_day).contains(&day)
                || amount.serialize() != bytes
                || rows == 0
            {
                return Err(corrupt());
            }
            state.days.push((day, amount, rows));
        }
        reader.finish()?;
        Ok(state)
    }

    /// Text form of `crm.rfm_holdout_state`: [`super::hex_text`] of the binary form.
    pub fn to_text(&self) -> MetricResult<String> {
        super::hex_text("crm.rfm_holdout_state", &self.encode()?)
    }

    /// Reads [`HoldoutState::to_text`], validating the state.
    pub fn from_text(text: &str) -> MetricResult<Self> {
        super::state_from_text("crm.rfm_holdout_state", text, HoldoutState::decode)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::str::FromStr;

    const F: &str = "crm.rfm_holdout_agg";

    fn at(day: i64) -> i64 {
        day * MICROSECONDS_PER_DAY + 3_600_000_000
    }

    fn dec(text: &str) -> Decimal {
        Decimal::from_str(text).unwrap()
    }

    #[test]
    fn splits_at_the_calibration_day_as_lifetimes_does() {
        let mut state = HoldoutState::default();
        // Calibration end day 10 (late in the day: the whole day counts), observation end day 30.
        let settings = (at(10) + 3_600_000_000, at(30), "day");
        for (day, amount) in [
            (2, "5"),
            (2, "1"),
            (6, "10"),
            (10, "20"),
            (12, "3"),
            (12, "4"),
            (20, "8"),
            (31, "100"),
        ] {
            state.add(F, at(day), dec(amount), settings).unwrap();
        }
        let result = state.finish(F).unwrap().unwrap();
        assert_eq!(
            result.calibration,
            Rfm {
                frequency: 2,
                recency: 8.0,
                age: 8.0,
                monetary_value: dec("15"),
            }
        );
        assert_eq!(result.frequency_holdout, 2);
        // (3 + 4 + 8) / 3 purchases, rounded to 16 places.
        assert_eq!(result.monetary_value_holdout, dec("5"));
        assert_eq!(result.duration_holdout, 20.0);
        // Again: finishing twice gives the same.
        assert_eq!(state.finish(F).unwrap().unwrap(), result);

        // In weeks, a customer without holdout purchases, one first seen after the calibration
        // end (excluded: None), and one without rows.
        let mut quiet = HoldoutState::default();
        quiet
            .add(F, at(0), dec("2.5"), (at(14), at(28), "week"))
            .unwrap();
        let quiet = quiet.finish(F).unwrap().unwrap();
        assert_eq!(
            (
                quiet.calibration.age,
                quiet.frequency_holdout,
                quiet.monetary_value_holdout,
                quiet.duration_holdout
            ),
            (2.0, 0, Decimal::ZERO, 2.0)
        );
        let mut late = HoldoutState::default();
        late.add(F, at(20), dec("1"), settings).unwrap();
        assert_eq!(late.finish(F).unwrap(), None);
        assert_eq!(HoldoutState::default().finish(F).unwrap(), None);
    }

    #[test]
    fn refuses_bad_settings_and_corrupt_bytes() {
        let mut state = HoldoutState::default();
        let error = state
            .add(F, at(0), dec("1"), (at(5), at(4), "day"))
            .unwrap_err();
        assert!(
            matches!(&error, MetricError::InvalidParameter(m) if m.contains("calibration_end 2000-01-06 01:00:00+00 must not be after observation_end 2000-01-05 01:00:00+00")),
            "{error:?}"
        );
        assert!(state
            .add(F, at(0), dec("1"), (at(4), at(5), "fortnight"))
            .is_err());
        state
            .add(F, at(0), dec("1"), (at(4), at(5), "day"))
            .unwrap();
        assert!(state
            .add(F, at(0), dec("1"), (at(4), at(6), "day"))
            .is_err());
        assert!(state
            .add(F, at(0), dec("1"), (at(3), at(5), "day"))
            .is_err());
        // Equal ends: an empty holdout period.
        let mut equal = HoldoutState::default();
        equal
            .add(F, at(1), dec("1"), (at(4), at(4), "day"))
            .unwrap();
        assert_eq!(equal.finish(F).unwrap().unwrap().duration_holdout, 0.0);
        assert!(HoldoutState::decode(&[]).is_err());
        assert!(HoldoutState::decode(&[2, 0xff, 0]).is_err());
        assert!(HoldoutState::decode(&[1, 0xff, 1]).is_err());
        assert!(HoldoutState::decode(&[1, 7, 0]).is_err());
        let good = state.encode().unwrap();
        let mut zero_rows = good.clone();
        *zero_rows.last_mut().unwrap() = 0;
        assert!(HoldoutState::decode(&zero_rows).is_err());
        let swapped = HoldoutState {
            settings: Some((at(5), at(4), 0)),
            ..HoldoutState::default()
        };
        assert!(HoldoutState::decode(&swapped.encode().unwrap()).is_err());
        assert_eq!(
            HoldoutState::from_text(&state.to_text().unwrap())
                .unwrap()
                .encode()
                .unwrap(),
            good
        );
    }

    /// Entries of one day whose totals pass the money range, or whose row counts pass u64,
    /// still write (rows saturate as the transitions count them), in one order.
    #[test]
    fn a_day_past_the_ranges_still_writes() {
        let state = |days: Vec<(i64, Decimal, u64)>| HoldoutState {
            settings: Some((at(20), at(35), 0)),
            days,
        };
        let days = vec![
            (3, Decimal::MAX, 1),
            (1, dec("2.5"), u64::MAX),
            (3, Decimal::MAX, 2),
            (1, dec("1"), 5),
        ];
        let mut reversed = days.clone();
        reversed.reverse();
        let bytes = state(days).encode().unwrap();
        assert_eq!(state(reversed).encode().unwrap(), bytes);
        let read = HoldoutState::decode(&bytes).unwrap();
        assert_eq!(read.days[0], (1, dec("3.5"), u64::MAX));
        assert_eq!(read.encode().unwrap(), bytes);
    }

    proptest! {
        #[test]
        fn split_and_merge_equals_one_pass(rows in proptest::collection::vec((0i64..40, 0i64..100_000), 1..40), cut in 0usize..40) {
            let settings = (at(20), at(35), "week");
            let build = |rows: &[(i64, i64)]| {
                let mut state = HoldoutState::default();
                for &(day, cents) in rows {
                    state.add(F, at(day), Decimal::new(cents, 2), settings).unwrap();
                }
                state
            };
            let cut = cut.min(rows.len());
            let mut whole = build(&rows);
            let mut first = build(&rows[..cut]);
            first.merge(F, &build(&rows[cut..])).unwrap();
            let expected = whole.finish(F).unwrap();
            prop_assert_eq!(first.finish(F).unwrap(), expected.clone());
            let mut decoded = HoldoutState::decode(&build(&rows).encode().unwrap()).unwrap();
            prop_assert_eq!(decoded.finish(F).unwrap(), expected);
            // One binary form whatever the order and split of the rows.
            let mut reversed = rows.clone();
            reversed.reverse();
            let mut split = build(&rows[cut..]);
            split.merge(F, &build(&rows[..cut])).unwrap();
            prop_assert_eq!(build(&reversed).encode().unwrap(), build(&rows).encode().unwrap());
            prop_assert_eq!(split.encode().unwrap(), build(&rows).encode().unwrap());
        }
    }
}
