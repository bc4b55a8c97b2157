//! The seed CLV formulas and the RFM summary of one customer's transactions. Money is
//! `rust_decimal` (exact sums; overflow is an error, never a wrap).
use super::rfm_flat::{RfmCompact, RfmFlat};
use super::{days_per_unit, invalid};
use crate::common::civil::format_timestamp;
use crate::common::codec::{Reader, Writer};
use crate::common::error::{Float8, MetricError, MetricResult};
use crate::common::exact::{Fraction, Significant};
use crate::common::flat_state::{decode_any, is_working_payload};
use crate::common::limits::{check_state_bytes, copied, reserve, vec_bytes};
use crate::common::money::{self, NumericError};
/// The `numeric` writer of `crm.rfm_agg`'s final function (the SQL surface imports it here).
pub use crate::common::money::{write_numeric, NUMERIC_BYTES};
use rust_decimal::Decimal;

fn overflow(function: &str) -> MetricError {
    MetricError::OutOfRange(format!("{function}: result is out of range"))
}

fn non_negative(function: &str, name: &str, value: f64) -> MetricResult<f64> {
    if value.is_finite() && value >= 0.0 {
        Ok(value)
    } else {
        Err(invalid(format!(
            "{function}: {name} {} must be finite and non-negative",
            Float8(value)
        )))
    }
}

/// A float argument as the exact decimal it prints as (0.1 is 1/10, not 0.1000000000000000055…;
/// 1e-29 is 1/10^29, where a `Decimal` would round it to 0).
fn printed(value: f64) -> Fraction {
    Fraction::of_printed_f64(value).unwrap_or_else(|| Fraction::of_integer(0))
}

/// CLV = average purchase value × purchases per year × lifespan in years, exactly: the floats
/// are the decimals they print as, and a product a `Decimal` cannot hold exactly (more than 28
/// decimal places, or more digits than its 96-bit mantissa) is 22003, never a rounded amount.
pub fn clv_from_purchases(
    function: &str,
    average_purchase_value: Decimal,
    purchases_per_year: f64,
    lifespan_years: f64,
) -> MetricResult<Decimal> {
    if average_purchase_value.is_sign_negative() && !average_purchase_value.is_zero() {
        return Err(invalid(format!(
            "{function}: average_purchase_value {average_purchase_value} is negative"
        )));
    }
    let purchases = non_negative(function, "purchases_per_year", purchases_per_year)?;
    let years = non_negative(function, "lifespan_years", lifespan_years)?;
    Fraction::of_decimal(average_purchase_value)
        .times(&printed(purchases))
        .times(&printed(years))
        .to_exact_decimal()
        .map(|value| value.normalize())
        .ok_or_else(|| {
            MetricError::OutOfRange(format!(
                "{function}: {average_purchase_value} × {} × {} needs more than 28 significant \
                 digits or 28 decimal places",
                Float8(purchases),
                Float8(years)
            ))
        })
}

/// Most digits before the decimal point of `crm.clv(arpa, churn_rate)`.
const MAX_INTEGER_DIGITS: i64 = 28;

/// CLV = ARPA / churn rate, the churn rate the decimal it prints as, rounded once to 28
/// significant digits however small (trailing zeros dropped); `None` when the churn rate is 0.
/// A quotient of more than 28 digits before the point is 22003.
pub fn clv_from_churn(
    function: &str,
    arpa: Decimal,
    churn_rate: f64,
) -> MetricResult<Option<Significant>> {
    if arpa.is_sign_negative() && !arpa.is_zero() {
        return Err(invalid(format!("{function}: arpa {arpa} is negative")));
    }
    if !churn_rate.is_finite() || !(0.0..=1.0).contains(&churn_rate) {
        return Err(invalid(format!(
            "{function}: churn_rate {} is outside [0, 1]",
            Float8(churn_rate)
        )));
    }
    if churn_rate == 0.0 {
        return Ok(None);
    }
    let quotient = Fraction::of_decimal(arpa)
        .over(&printed(churn_rate))
        .map(|exact| exact.to_significant(28))
        .filter(|quotient| quotient.integer_digits() <= MAX_INTEGER_DIGITS);
    quotient.map(Some).ok_or_else(|| {
        MetricError::OutOfRange(format!(
            "{function}: arpa {arpa} / churn_rate {} is out of range (more than 28 digits \
             before the decimal point)",
            Float8(churn_rate)
        ))
    })
}

/// An amount of `crm.rfm_agg` or `crm.rfm_holdout_agg` (`function`): the bytes of a `numeric`
/// read by [`money::read_numeric`] (the per-row path reads them in place, with no round trip
/// through the text form). NaN and ±Infinity are 22023, an amount past 28 decimal places or
/// outside the range of exact money 22003, each naming the amount.
#[inline]
pub fn decimal_from_numeric(function: &str, bytes: &[u8]) -> MetricResult<Decimal> {
    money::read_numeric(bytes).map_err(|error| amount_error(function, error, bytes))
}

#[cold]
#[inline(never)]
fn amount_error(function: &str, error: NumericError, bytes: &[u8]) -> MetricError {
    let special = match error {
        NumericError::NotANumber => "NaN",
        NumericError::Infinity => "Infinity",
        NumericError::NegativeInfinity => "-Infinity",
        NumericError::Malformed | NumericError::TooManyDigits | NumericError::TooManyPlaces => {
            let amount = format!(
                "amount {}",
                money::numeric_text(bytes).unwrap_or_else(|| "(unreadable bytes)".into())
            );
            // Bytes no numeric has read as out of range here, as a value too wide does.
            let error = match error {
                NumericError::Malformed => NumericError::TooManyDigits,
                wide => wide,
            };
            return error.error(function, &amount);
        }
    };
    MetricError::InvalidParameter(format!(
        "{function}: amount {special} must be a finite number"
    ))
}

const MICROSECONDS_PER_DAY: i64 = 86_400_000_000;

/// The UTC day of a Postgres timestamp (microseconds since 2000-01-01).
pub fn utc_day(timestamp: i64) -> i64 {
    timestamp.div_euclid(MICROSECONDS_PER_DAY)
}

pub const UNITS: [&str; 4] = ["day", "week", "month", "year"];
/// Days per time unit, by unit index.
pub const DAYS_PER_UNIT: [f64; UNITS.len()] = [1.0, 7.0, 365.25 / 12.0, 365.25];

/// The name of a time unit index of a state (taken modulo [`UNITS`]: every index a state holds
/// was checked on the way in).
pub fn unit_name(unit: u8) -> &'static str {
    UNITS[usize::from(unit) % UNITS.len()]
}

/// The observation end (a timestamp) and time unit (an index into [`UNITS`]) of a CLV state,
/// the same on every row it sees.
pub type Settings = (i64, u8);

/// Takes `settings` as the state's own, or checks that they equal those it has; `rows` names
/// the rows that must agree in the error ("every row of a group").
pub fn agree_settings(
    function: &str,
    current: &mut Option<Settings>,
    settings: Settings,
    rows: &str,
) -> MetricResult<()> {
    match *current {
        None => {
            *current = Some(settings);
            Ok(())
        }
        Some(existing) if existing == settings => Ok(()),
        Some(existing) => {
            let shown = |(end, unit): Settings| {
                format!("{} and '{}'", format_timestamp(end), unit_name(unit))
            };
            Err(invalid(format!(
                "{function}: observation_end and time_unit must be the same on {rows} ({} against {})",
                shown(existing),
                shown(settings)
            )))
        }
    }
}

/// Writes settings in the binary form of a state (0xff for none yet).
pub fn write_settings(writer: &mut Writer, settings: Option<Settings>) {
    match settings {
        None => writer.u8(0xff),
        Some((observation_end, unit)) => writer.u8(unit).i64(observation_end),
    };
}

/// Reads what [`write_settings`] wrote; `corrupt` for an unknown unit.
pub fn read_settings(
    reader: &mut Reader,
    corrupt: impl Fn() -> MetricError,
) -> MetricResult<Option<Settings>> {
    match reader.u8()? {
        0xff => Ok(None),
        unit if usize::from(unit) < UNITS.len() => match reader.i64()? {
            // The transitions refuse an infinite observation end.
            i64::MIN | i64::MAX => Err(corrupt()),
            observation_end => Ok(Some((observation_end, unit))),
        },
        _ => Err(corrupt()),
    }
}

/// The UTC day of the earliest finite timestamp: no purchase day of a state is earlier.
pub fn first_finite_day() -> i64 {
    utc_day(i64::MIN + 1)
}

/// The index of a CLV time unit name (bytes of a SQL text, in any case), 22023 for an unknown
/// one.
#[inline]
pub fn unit_index(function: &str, time_unit: &[u8]) -> MetricResult<u8> {
    match UNITS
        .iter()
        .position(|name| name.as_bytes().eq_ignore_ascii_case(time_unit))
    {
        Some(index) => Ok(index as u8),
        // The name as it is when it is UTF-8, its bytes escaped when not (a LATIN1 database's
        // 'ä' is \xe4, as the other functions show an unknown name).
        None => Err(invalid(match std::str::from_utf8(time_unit) {
            Ok(name) => format!(
                "{function}: unknown time unit \"{name}\" (expected day, week, month or year)"
            ),
            Err(_) => format!(
                "{function}: unknown time unit \"{}\" (expected day, week, month or year)",
                time_unit.escape_ascii()
            ),
        })),
    }
}

/// `total / count` rounded half-to-even to 16 decimal places in integer arithmetic (exactly
/// rounded, and several times faster than a `Decimal` division); `None` when the scaled total
/// does not fit in 128 bits or the total has more than 16 decimal places.
pub fn mean_to_16_places(total: Decimal, count: u64) -> Option<Decimal> {
    let scale = total.scale();
    if scale > 16 || count == 0 {
        return None;
    }
    let numerator = total
        .mantissa()
        .checked_mul(10i128.checked_pow(16 - scale)?)?;
    let count = i128::from(count);
    let (quotient, remainder) = (numerator / count, numerator % count);
    let twice = remainder.unsigned_abs() * 2;
    let count_abs = count.unsigned_abs();
    let round_away = twice > count_abs || (twice == count_abs && quotient % 2 != 0);
    let rounded = if round_away {
        quotient + numerator.signum()
    } else {
        quotient
    };
    Decimal::try_from_i128_with_scale(rounded, 16).ok()
}

/// One customer's RFM values (`crm.rfm`).
#[derive(Debug, Clone, PartialEq)]
pub struct Rfm {
    pub frequency: i32,
    pub recency: f64,
    pub age: f64,
    pub monetary_value: Decimal,
}

/// Purchase days a [`RfmState`] keeps inline, without a heap allocation (most customers have
/// few purchase days).
const INLINE_DAYS: usize = 4;

/// Aggregate state of `crm.rfm_agg`: daily totals of one customer's purchases. The mean over
/// several repeat days is rounded to 16 decimal places (fewer past 12 integer digits: 28 to 29
/// significant digits in all).
///
/// (UTC day, total) pairs; consecutive rows of one day are merged on arrival, the rest at the
/// end. The first [`INLINE_DAYS`] live in `inline`; past that all of them move to `spilled`,
/// which owns heap memory only from then on ([`RfmState::owns_heap`]).
#[derive(Debug, Clone, Default)]
pub struct RfmState {
    inline: [(i64, Decimal); INLINE_DAYS],
    inline_len: u8,
    spilled: Vec<(i64, Decimal)>,
    /// Observation end (timestamp) and time unit (index into `UNITS`), the same on every row.
    settings: Option<Settings>,
}

const RFM_FORMAT_VERSION: u8 = 1;
const RFM_STATE: &str = "crm.rfm_agg state";

impl RfmState {
    /// Heap bytes held (charged to the aggregate's memory context).
    #[inline(always)]
    pub fn heap_bytes(&self) -> usize {
        vec_bytes(&self.spilled)
    }

    /// Whether the state holds heap memory (more than [`INLINE_DAYS`] days were pushed), so
    /// that dropping it matters; before that, forgetting it without a drop leaks nothing.
    #[inline(always)]
    pub fn owns_heap(&self) -> bool {
        self.spilled.capacity() > 0
    }

    #[inline(always)]
    fn days(&self) -> &[(i64, Decimal)] {
        if self.owns_heap() {
            &self.spilled
        } else {
            self.inline
                .get(..usize::from(self.inline_len))
                .unwrap_or(&[])
        }
    }

    #[inline(always)]
    fn days_mut(&mut self) -> &mut [(i64, Decimal)] {
        if self.owns_heap() {
            &mut self.spilled
        } else {
            self.inline
                .get_mut(..usize::from(self.inline_len))
                .unwrap_or(&mut [])
        }
    }

    #[inline(always)]
    fn push(&mut self, entry: (i64, Decimal)) {
        let len = usize::from(self.inline_len);
        if !self.owns_heap() {
            if let Some(slot) = self.inline.get_mut(len) {
                *slot = entry;
                self.inline_len += 1;
                return;
            }
            self.spill();
        }
        self.spilled.push(entry);
    }

    #[cold]
    #[inline(never)]
    fn spill(&mut self) {
        let mut spilled = Vec::with_capacity(INLINE_DAYS * 4);
        spilled.extend_from_slice(self.days());
        self.spilled = spilled;
        self.inline_len = 0;
    }

    /// Keeps the first `len` days.
    fn truncate(&mut self, len: usize) {
        if self.owns_heap() {
            self.spilled.truncate(len);
        } else {
            self.inline_len = self.inline_len.min(u8::try_from(len).unwrap_or(u8::MAX));
        }
    }

    /// Adds one purchase; rows after the observation end's day are ignored.
    pub fn add(
        &mut self,
        function: &str,
        occurred_at: i64,
        amount: Decimal,
        observation_end: i64,
        time_unit: &str,
    ) -> MetricResult<()> {
        let unit = unit_index(function, time_unit.as_bytes())?;
        self.add_in_unit(function, occurred_at, amount, observation_end, unit)
    }

    /// [`RfmState::add`] with the time unit already looked up by [`unit_index`].
    #[inline]
    pub fn add_in_unit(
        &mut self,
        function: &str,
        occurred_at: i64,
        amount: Decimal,
        observation_end: i64,
        unit: u8,
    ) -> MetricResult<()> {
        if self.settings != Some((observation_end, unit)) {
            self.check_settings(function, (observation_end, unit))?;
        }
        let day = utc_day(occurred_at);
        if day > utc_day(observation_end) {
            return Ok(());
        }
        match self.days_mut().last_mut() {
            Some((last_day, total)) if *last_day == day => {
                *total = money::add(function, "a day's purchases", *total, amount)?;
            }
            _ => {
                self.check_growth(function)?;
                self.push((day, amount))
            }
        }
        Ok(())
    }

    /// Fails with 54000 when the next push would double the purchase days past
    /// `crm.max_state_memory`.
    #[inline(always)]
    fn check_growth(&mut self, function: &str) -> MetricResult<()> {
        if self.owns_heap() && self.spilled.len() == self.spilled.capacity() {
            let doubled = vec_bytes(&self.spilled).saturating_mul(2);
            check_state_bytes(function, "purchase days", doubled)?;
            reserve(&mut self.spilled, 1, function, "purchase days")?;
        }
        Ok(())
    }

    fn check_settings(&mut self, function: &str, settings: Settings) -> MetricResult<()> {
        agree_settings(
            function,
            &mut self.settings,
            settings,
            "every row of a group",
        )
    }

    pub fn merge(&mut self, function: &str, other: &RfmState) -> MetricResult<()> {
        if let Some(settings) = other.settings {
            self.check_settings(function, settings)?;
        }
        for entry in other.days() {
            self.check_growth(function)?;
            self.push(*entry);
        }
        Ok(())
    }

    /// The RFM values, `None` without purchases up to the observation end. Sorts and merges
    /// the daily totals in place (the same purchases, so calling it again gives the same).
    pub fn finish(&mut self, function: &str) -> MetricResult<Option<Rfm>> {
        let Some(settings) = self.settings else {
            return Ok(None);
        };
        let (merged, rfm) = rfm_of_days(function, settings, self.days_mut())?;
        self.truncate(merged);
        Ok(rfm)
    }

    /// The observation end and time unit the rows named, if any.
    pub fn settings(&self) -> Option<Settings> {
        self.settings
    }

    /// The (UTC day, total) entries, in the order they were kept.
    pub fn entries(&self) -> &[(i64, Decimal)] {
        self.days()
    }

    /// A state of `settings` holding `entries` as they are (a working form read back).
    pub fn of_entries(settings: Option<Settings>, entries: &[(i64, Decimal)]) -> Self {
        let mut state = RfmState {
            settings,
            ..RfmState::default()
        };
        for entry in entries {
            state.push(*entry);
        }
        state
    }

    /// Canonical binary form: the settings, then one entry per day in day order (the totals of
    /// a day added up), so that every order and split of the same rows writes the same bytes;
    /// never an error for a state the transitions or the reader made.
    pub fn encode(&self) -> MetricResult<Vec<u8>> {
        let mut days = copied(self.days(), RFM_STATE, "purchase days")?;
        let merged = match merge_days(RFM_STATE, &mut days) {
            Ok(merged) => merged,
            Err(_) => {
                // A day's totals past the money range (the final function refuses them): the
                // entries as they are, in day and amount order, so the state still writes.
                days.clear();
                days.extend_from_slice(self.days());
                days.sort_unstable_by_key(|(day, amount)| (*day, amount.serialize()));
                days.len()
            }
        };
        let mut writer = Writer::with_version(RFM_FORMAT_VERSION);
        write_settings(&mut writer, self.settings);
        writer.u64(merged as u64);
        for (day, amount) in &days[..merged] {
            writer.i64(*day).bytes(&amount.serialize());
        }
        writer.finish(RFM_STATE)
    }

    /// Reads a `crm.rfm_state`: its binary form ([`RfmState::encode`]) or the working form of
    /// an aggregate state ([`RfmCompact`] or [`RfmFlat`], `common::flat_state`), validating
    /// either.
    pub fn decode(bytes: &[u8]) -> MetricResult<Self> {
        if is_working_payload::<RfmCompact>(bytes) {
            return decode_any::<RfmCompact>(bytes).map(|compact| compact.state());
        }
        if is_working_payload::<RfmFlat>(bytes) {
            return decode_any::<RfmFlat>(bytes).map(|flat| flat.state());
        }
        Self::decode_canonical(bytes)
    }

    /// Reads the binary form ([`RfmState::encode`]), validating it.
    pub fn decode_canonical(bytes: &[u8]) -> MetricResult<Self> {
        let corrupt = || MetricError::InvalidBinary(format!("{RFM_STATE}: corrupt"));
        let mut reader = Reader::open(bytes, RFM_FORMAT_VERSION, RFM_STATE)?;
        let settings = read_settings(&mut reader, corrupt)?;
        let count = usize::try_from(reader.u64()?)
            .ok()
            .filter(|&count| count <= reader.remaining() / 18)
            .ok_or_else(corrupt)?;
        // What the transition can hold: days only with settings, none after the observation
        // end's day nor before the first finite timestamp's, amounts in canonical form.
        let last_day = match settings {
            Some((observation_end, _)) => utc_day(observation_end),
            None if count == 0 => i64::MIN,
            None => return Err(corrupt()),
        };
        let mut state = RfmState {
            settings,
            ..RfmState::default()
        };
        if count > INLINE_DAYS {
            // Past the inline days: every day in the heap, reserved fallibly at once.
            state.spilled = reader.vec(count)?;
        }
        for _ in 0..count {
            let day = reader.i64()?;
            let bytes: [u8; 16] = reader.bytes()?.try_into().map_err(|_| corrupt())?;
            let amount = Decimal::deserialize(bytes);
            if !(first_finite_day()..=last_day).contains(&day) || amount.serialize() != bytes {
                return Err(corrupt());
            }
            state.push((day, amount));
        }
        reader.finish()?;
        Ok(state)
    }

    /// Text form of `crm.rfm_state`: [`super::hex_text`] of the binary form.
    pub fn to_text(&self) -> MetricResult<String> {
        super::hex_text("crm.rfm_state", &self.encode()?)
    }

    /// Reads [`RfmState::to_text`], validating the state.
    pub fn from_text(text: &str) -> MetricResult<Self> {
        super::state_from_text("crm.rfm_state", text, RfmState::decode)
    }
}

/// Sorts (UTC day, total) entries by day and merges those of one day (their totals added
/// exactly) at the front of `purchases`; returns how many merged days lead it.
pub fn merge_days(function: &str, purchases: &mut [(i64, Decimal)]) -> MetricResult<usize> {
    if !purchases.is_sorted_by_key(|(day, _)| *day) {
        purchases.sort_unstable_by_key(|(day, _)| *day);
    }
    let mut merged = 0;
    for index in 0..purchases.len() {
        let (day, amount) = purchases[index];
        if merged > 0 && purchases[merged - 1].0 == day {
            let total = &mut purchases[merged - 1].1;
            *total = money::add(function, "a day's purchases", *total, amount)?;
        } else {
            purchases[merged] = (day, amount);
            merged += 1;
        }
    }
    Ok(merged)
}

/// The RFM values of one customer's (UTC day, total) entries under `settings`, `None` without
/// entries: sorts the entries by day and merges those of one day at the front of `purchases`
/// (so a second call gives the same); returns how many merged days lead `purchases`.
pub fn rfm_of_days(
    function: &str,
    (observation_end, unit): Settings,
    purchases: &mut [(i64, Decimal)],
) -> MetricResult<(usize, Option<Rfm>)> {
    if purchases.is_empty() {
        return Ok((0, None));
    }
    let days_per = days_per_unit(function, unit_name(unit))?;
    let merged = merge_days(function, purchases)?;
    let daily = &purchases[..merged];
    let (first, last) = match (daily.first(), daily.last()) {
        (Some(first), Some(last)) => (first.0, last.0),
        _ => return Ok((merged, None)),
    };
    let repeat_days = daily.len() - 1;
    let frequency = i32::try_from(repeat_days).map_err(|_| overflow(function))?;
    let monetary_value = if repeat_days == 0 {
        Decimal::ZERO
    } else if let [_, (_, only)] = daily {
        // One repeat day: its total, exactly as summed (no division).
        *only
    } else {
        let mut total = Decimal::ZERO;
        for (_, amount) in &daily[1..] {
            total = money::add(function, "the repeat purchases' total", total, *amount)?;
        }
        match mean_to_16_places(total, repeat_days as u64) {
            Some(mean) => mean,
            None => total
                .checked_div(Decimal::from(repeat_days as u64))
                .ok_or_else(|| overflow(function))?
                .round_dp(16),
        }
        .normalize()
    };
    Ok((
        merged,
        Some(Rfm {
            frequency,
            recency: (last - first) as f64 / days_per,
            age: (utc_day(observation_end) - first) as f64 / days_per,
            monetary_value,
        }),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::str::FromStr;

    const F: &str = "crm.test";

    fn dec(text: &str) -> Decimal {
        Decimal::from_str(text).unwrap()
    }

    /// A state whose totals of one day pass the money range (the reader takes such entries)
    /// still writes, its entries in day and amount order, and reads back to the same bytes; the
    /// final function is what refuses it.
    #[test]
    fn a_day_past_the_money_range_still_writes() {
        let settings = Some((1_000 * 86_400_000_000, 1));
        let entries = [(3, Decimal::MAX), (1, dec("2.5")), (3, Decimal::MAX)];
        let mut reversed = entries;
        reversed.reverse();
        let bytes = RfmState::of_entries(settings, &entries).encode().unwrap();
        assert_eq!(
            RfmState::of_entries(settings, &reversed).encode().unwrap(),
            bytes
        );
        let mut read = RfmState::decode(&bytes).unwrap();
        assert_eq!(read.encode().unwrap(), bytes);
        assert!(read.finish(F).is_err());
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
            clv_from_churn(F, dec("100"), 0.04)
                .unwrap()
                .map(|clv| clv.to_string()),
            Some("2500".to_string())
        );
        assert_eq!(clv_from_churn(F, dec("100"), 0.0).unwrap(), None);
        assert!(clv_from_churn(F, dec("100"), 1.5).is_err());
        assert!(clv_from_churn(F, dec("-1"), 0.5).is_err());
        assert!(clv_from_purchases(F, dec("1"), -1.0, 1.0).is_err());
        assert!(clv_from_purchases(F, dec("1"), f64::NAN, 1.0).is_err());
        assert!(matches!(
            clv_from_purchases(F, Decimal::MAX, 10.0, 10.0).unwrap_err(),
            MetricError::OutOfRange(_)
        ));
        // Exact or refused, never rounded: 28 nines × 1.5 needs 29 digits and a half; × 1.5 × 2
        // is exact whatever the order of the factors; 1e-40 needs 40 decimal places.
        let nines = dec("9999999999999999999999999999");
        assert!(matches!(
            clv_from_purchases(F, nines, 1.5, 1.0).unwrap_err(),
            MetricError::OutOfRange(_)
        ));
        assert_eq!(
            clv_from_purchases(F, nines, 1.5, 2.0).unwrap(),
            dec("29999999999999999999999999997")
        );
        assert!(matches!(
            clv_from_purchases(F, dec("1"), 1e-20, 1e-20).unwrap_err(),
            MetricError::OutOfRange(_)
        ));
        assert!(matches!(
            clv_from_churn(F, Decimal::MAX, 0.1).unwrap_err(),
            MetricError::OutOfRange(_)
        ));
        // Rounded to 28 significant digits where the division does not end (the division of
        // `Decimal`s alone gave 29 when the mantissa had room).
        for (arpa, churn, expected) in [
            ("1", 0.03, "33.33333333333333333333333333"),
            ("100", 0.07, "1428.571428571428571428571429"),
            ("1", 6e-28, "1666666666666666666666666667"),
            ("5", 0.6, "8.333333333333333333333333333"),
            // The churn rate is the decimal it prints as, however small: 1 / 1.5e-28 and
            // 1 / 1.234567891234e-20 (a churn rate cut to 28 decimal places gave 5e27 and
            // 81000000737100006707.61006104).
            ("1", 1.5e-28, "6666666666666666666666666667"),
            ("1", 1.234567891234e-20, "81000000656137265315.01367219"),
            // Small quotients keep 28 significant digits (they were 22003).
            (
                "0.0000000000000000000000000001",
                0.3,
                "0.0000000000000000000000000003333333333333333333333333333",
            ),
            ("0", 1e-29, "0"),
        ] {
            assert_eq!(
                clv_from_churn(F, dec(arpa), churn)
                    .unwrap()
                    .map(|clv| clv.to_string()),
                Some(expected.to_string()),
                "{arpa} / {churn}"
            );
        }
        // The factors are the decimals they print as, exactly: 10 × 5e-29 × 1e10 is 5e-18 (5e-29
        // as a `Decimal` was 0.0000000000000000000000000001, so the product 1e-17), and 1 ×
        // 1e-29 × 1 needs 29 decimal places.
        assert_eq!(
            clv_from_purchases(F, dec("10"), 5e-29, 1e10).unwrap(),
            dec("0.000000000000000005")
        );
        assert_eq!(
            clv_from_purchases(F, dec("1"), 1.234567891234e-20, 1e10).unwrap(),
            dec("0.0000000001234567891234")
        );
        for tiny in [1e-29, 5e-324] {
            assert!(matches!(
                clv_from_purchases(F, dec("1"), tiny, 1.0).unwrap_err(),
                MetricError::OutOfRange(_)
            ));
        }
        assert_eq!(
            clv_from_purchases(F, dec("0"), 5e-324, 1.0).unwrap(),
            dec("0")
        );
    }

    const DAY: i64 = MICROSECONDS_PER_DAY;

    proptest! {
        #[test]
        fn fast_mean_equals_decimal_division(cents in proptest::collection::vec(-10_000_000i64..10_000_000, 2..12), scale in 0u32..5) {
            let total: Decimal = cents.iter().map(|c| Decimal::new(*c, scale)).sum();
            let count = cents.len() as u64;
            let reference = total.checked_div(Decimal::from(count)).unwrap().round_dp(16);
            prop_assert_eq!(mean_to_16_places(total, count).unwrap().normalize(), reference.normalize());
        }
    }

    #[test]
    fn amounts_tell_not_finite_from_out_of_range() {
        const F: &str = "crm.rfm_agg";
        let amount = money::numeric_from_decimal(dec("22.345"));
        assert_eq!(decimal_from_numeric(F, &amount), Ok(dec("22.345")));
        for (bytes, shown) in [
            (0xC000u16, "NaN"),
            (0xD000, "Infinity"),
            (0xF000, "-Infinity"),
        ] {
            assert_eq!(
                decimal_from_numeric(F, &bytes.to_ne_bytes()),
                Err(MetricError::InvalidParameter(format!(
                    "crm.rfm_agg: amount {shown} must be a finite number"
                )))
            );
        }
        assert_eq!(
            decimal_from_numeric(F, &[0x80]),
            Err(MetricError::OutOfRange(format!(
                "crm.rfm_agg: amount (unreadable bytes) {}",
                money::OUT_OF_MONEY_RANGE
            )))
        );
    }

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
            let mut decoded = RfmState::decode(&build(&rows).encode().unwrap()).unwrap();
            prop_assert_eq!(decoded.finish(F).unwrap(), whole);
        }
    }
}
