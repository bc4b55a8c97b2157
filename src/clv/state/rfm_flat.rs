//! The in-place working forms of `crm.rfm_agg`'s state (`crm.rfm_state`) for a customer with
//! few purchase days.
//!
//! A `GROUP BY customer` holds one state per customer, and most customers have a handful of
//! purchase days. Such a state is a fixed-size plain-old-data struct changed in place in a
//! small varlena (`common::flat_state`): one allocation per customer, no expanded object, no
//! reset callback, no heap vector. Every customer starts in the 64-byte [`RfmCompact`] (one
//! cache line's worth: up to [`COMPACT_DAYS`] days as offsets from the first, totals as 32-bit
//! mantissas of one scale), moves to the 128-byte [`RfmFlat`] (up to [`FLAT_DAYS`] days, each
//! total's own 64-bit mantissa and scale) when a row does not fit it, and past that to the
//! growing [`RfmState`] (an expanded object). The customer's purchase days cannot be reduced
//! to a fixed summary (frequency counts distinct UTC days, and rows arrive in any order), so
//! each form holds the same entries in the same order: every result is the one the growing
//! state alone gives.
use super::simple::{
    first_finite_day, mean_to_16_places, rfm_of_days, utc_day, Rfm, RfmState, Settings,
    DAYS_PER_UNIT, UNITS,
};
use crate::common::error::{MetricError, MetricResult};
use crate::common::flat_state::FlatState;
use crate::common::money;
use rust_decimal::Decimal;

/// Purchase days (distinct UTC days, as they arrive) the working form holds: with the header
/// and the settings, the varlena takes 128 bytes (two cache lines, one 128-byte chunk of a
/// memory context).
pub const FLAT_DAYS: usize = 8;

/// The working form of a [`RfmState`] of at most [`FLAT_DAYS`] entries whose totals have
/// mantissas within 64 bits. Plain old data: days as `i32` (every finite `timestamptz` is
/// within ±2^31 days of 2000-01-01), each total as its mantissa and scale (the exact `Decimal`,
/// its scale included), the settings as a flag, the unit and the observation end; entries past
/// `len` and the padding are zero. The days and scales share the header's cache line, the
/// mantissas take the next one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, bytemuck::Pod, bytemuck::Zeroable)]
#[repr(C)]
pub struct RfmFlat {
    observation_end: i64,
    /// 1 once a row named the settings, else 0.
    has_settings: u8,
    unit: u8,
    len: u8,
    padding: [u8; 5],
    days: [i32; FLAT_DAYS],
    scales: [u8; FLAT_DAYS],
    mantissas: [i64; FLAT_DAYS],
}

// The working varlena (8 bytes of header and tag, then the struct) is one 128-byte chunk.
const _: () = assert!(std::mem::size_of::<RfmFlat>() == 120);

/// The (mantissa, scale) of `amount` when its mantissa fits 64 bits.
#[inline(always)]
fn compact(amount: Decimal) -> Option<(i64, u8)> {
    let mantissa = i64::try_from(amount.mantissa()).ok()?;
    // A scale is at most 28; a zero is stored as +0 (a Decimal -0 is kept by the growing state).
    let exact = Decimal::try_new(mantissa, amount.scale())
        .is_ok_and(|back| back.serialize() == amount.serialize());
    exact.then_some((mantissa, amount.scale() as u8))
}

/// Takes the settings of a working form's first row, or refuses others (as the growing state
/// does); `fields` are the form's `has_settings`, `observation_end` and `unit`.
#[cold]
#[inline(never)]
fn take_settings(
    function: &str,
    (has_settings, observation_end, unit): (&mut u8, &mut i64, &mut u8),
    settings: Settings,
) -> MetricResult<()> {
    let mut current = (*has_settings != 0).then_some((*observation_end, *unit));
    super::simple::agree_settings(function, &mut current, settings, "every row of a group")?;
    if let Some((end, current_unit)) = current {
        (*has_settings, *observation_end, *unit) = (1, end, current_unit);
    }
    Ok(())
}

impl Default for RfmFlat {
    fn default() -> Self {
        bytemuck::Zeroable::zeroed()
    }
}

/// What [`RfmFlat::add`] did with a row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FlatAdd {
    /// Counted (or ignored, past the observation end's day).
    Done,
    /// The row needs a day the working form has no room for: nothing but the settings was
    /// changed, and the row goes to the growing state ([`RfmFlat::state`]).
    Full,
}

impl RfmFlat {
    fn settings(&self) -> Option<Settings> {
        (self.has_settings != 0).then_some((self.observation_end, self.unit))
    }

    /// Entry `index` (< `len`, scale at most 28 in any state made or validated here).
    #[inline(always)]
    fn entry(&self, index: usize) -> (i64, Decimal) {
        let amount = Decimal::try_new(self.mantissas[index], u32::from(self.scales[index]));
        (i64::from(self.days[index]), amount.unwrap_or(Decimal::ZERO))
    }

    /// The growing state holding the same settings and entries in the same order.
    pub fn state(&self) -> RfmState {
        let len = usize::from(self.len).min(FLAT_DAYS);
        let mut entries = [(0i64, Decimal::ZERO); FLAT_DAYS];
        for (index, slot) in entries.iter_mut().enumerate().take(len) {
            *slot = self.entry(index);
        }
        RfmState::of_entries(self.settings(), &entries[..len])
    }

    /// The working form of `state`, `None` when it has more entries than [`FLAT_DAYS`].
    pub fn of_state(state: &RfmState) -> Option<Self> {
        let entries = state.entries();
        if entries.len() > FLAT_DAYS {
            return None;
        }
        let mut flat = RfmFlat::default();
        if let Some((observation_end, unit)) = state.settings() {
            flat.has_settings = 1;
            flat.observation_end = observation_end;
            flat.unit = unit;
        }
        for (index, (day, amount)) in entries.iter().enumerate() {
            flat.days[index] = i32::try_from(*day).ok()?;
            (flat.mantissas[index], flat.scales[index]) = compact(*amount)?;
        }
        flat.len = entries.len() as u8;
        Some(flat)
    }

    /// [`RfmState::add_in_unit`] in place: the same checks and errors in the same order, and
    /// the same entries; [`FlatAdd::Full`] when the row needs a day past [`FLAT_DAYS`] (or one
    /// outside the `i32` days, which no finite timestamp gives, or a total whose mantissa
    /// passes 64 bits).
    #[inline]
    pub fn add(
        &mut self,
        function: &str,
        occurred_at: i64,
        amount: Decimal,
        observation_end: i64,
        unit: u8,
    ) -> MetricResult<FlatAdd> {
        if self.settings() != Some((observation_end, unit)) {
            let fields = (
                &mut self.has_settings,
                &mut self.observation_end,
                &mut self.unit,
            );
            take_settings(function, fields, (observation_end, unit))?;
        }
        let day = utc_day(occurred_at);
        if day > utc_day(observation_end) {
            return Ok(FlatAdd::Done);
        }
        let len = usize::from(self.len);
        if let Some(last) = len.checked_sub(1).filter(|&last| last < FLAT_DAYS) {
            if i64::from(self.days[last]) == day {
                let (_, total) = self.entry(last);
                let total = money::add(function, "a day's purchases", total, amount)?;
                let Some((mantissa, scale)) = compact(total) else {
                    return Ok(FlatAdd::Full);
                };
                (self.mantissas[last], self.scales[last]) = (mantissa, scale);
                return Ok(FlatAdd::Done);
            }
        }
        match (i32::try_from(day), compact(amount)) {
            (Ok(day), Some((mantissa, scale))) if len < FLAT_DAYS => {
                self.days[len] = day;
                (self.mantissas[len], self.scales[len]) = (mantissa, scale);
                self.len += 1;
                Ok(FlatAdd::Done)
            }
            _ => Ok(FlatAdd::Full),
        }
    }

    /// The RFM values ([`RfmState::finish`]): in integer arithmetic when the totals share one
    /// scale ([`rfm_at_one_scale`]), else from a copy of the entries as `Decimal`s.
    pub fn finish(&self, function: &str) -> MetricResult<Option<Rfm>> {
        let Some(settings) = self.settings() else {
            return Ok(None);
        };
        let len = usize::from(self.len).min(FLAT_DAYS);
        let scale = self.scales[0];
        if self.scales[..len].iter().all(|&other| other == scale) {
            let mut entries = [(0i64, 0i64); FLAT_DAYS];
            for (index, slot) in entries.iter_mut().enumerate().take(len) {
                *slot = (i64::from(self.days[index]), self.mantissas[index]);
            }
            if let Some(rfm) = rfm_at_one_scale(settings, &entries[..len], u32::from(scale)) {
                return Ok(rfm);
            }
        }
        let mut entries = [(0i64, Decimal::ZERO); FLAT_DAYS];
        for (index, slot) in entries.iter_mut().enumerate().take(len) {
            *slot = self.entry(index);
        }
        rfm_of_days(function, settings, &mut entries[..len]).map(|(_, rfm)| rfm)
    }
}

impl FlatState for RfmFlat {
    const KIND: u8 = 6;
    const TYPE_NAME: &'static str = "crm.rfm_state";

    /// What the transition can hold (as the binary form's reader checks): settings with a known
    /// unit and a finite observation end, entries only with settings, days from the first
    /// finite timestamp's to the observation end's, amounts of a scale up to 28, zeros
    /// elsewhere.
    fn validate(self) -> MetricResult<Self> {
        let corrupt = || MetricError::InvalidBinary("crm.rfm_agg state: corrupt".to_owned());
        let len = usize::from(self.len);
        let last_day = match (self.has_settings, self.observation_end) {
            (0, 0) if self.unit == 0 => i64::MIN,
            (1, i64::MIN | i64::MAX) => return Err(corrupt()),
            (1, observation_end) if usize::from(self.unit) < UNITS.len() => {
                utc_day(observation_end)
            }
            _ => return Err(corrupt()),
        };
        let entries_valid = len <= FLAT_DAYS
            && (0..len).all(|index| {
                let (day, amount) = self.entry(index);
                (first_finite_day()..=last_day).contains(&day)
                    && compact(amount) == Some((self.mantissas[index], self.scales[index]))
            })
            && self.days[len.min(FLAT_DAYS)..].iter().all(|&day| day == 0)
            && self.scales[len.min(FLAT_DAYS)..]
                .iter()
                .all(|&scale| scale == 0)
            && self.mantissas[len.min(FLAT_DAYS)..]
                .iter()
                .all(|&mantissa| mantissa == 0)
            && self.padding == [0; 5];
        if entries_valid {
            Ok(self)
        } else {
            Err(corrupt())
        }
    }

    fn encode_canonical(&self) -> MetricResult<Vec<u8>> {
        self.state().encode()
    }

    fn decode_canonical(bytes: &[u8]) -> MetricResult<Self> {
        let state = RfmState::decode_canonical(bytes)?;
        RfmFlat::of_state(&state).ok_or_else(|| {
            MetricError::InvalidBinary(format!(
                "crm.rfm_agg state: more than {FLAT_DAYS} purchase days for the working form"
            ))
        })
    }
}

/// Purchase days (distinct UTC days, as they arrive) the compact working form holds: with the
/// header and the settings, its varlena takes 64 bytes, one cache line of a 64-byte chunk.
pub const COMPACT_DAYS: usize = 7;

/// A row's amount as the transition reads it: a `Decimal` whose mantissa fits 64 bits as that
/// mantissa and its scale (at most 28), any other as the `Decimal`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Amount {
    Small(i64, u32),
    Large(Decimal),
}

impl Amount {
    /// The amount of `value`.
    pub fn of(value: Decimal) -> Self {
        match i64::try_from(value.mantissa()) {
            Ok(mantissa) => Amount::Small(mantissa, value.scale()),
            Err(_) => Amount::Large(value),
        }
    }

    /// The amount as a `Decimal` (a small amount's scale is at most 28).
    #[inline]
    pub fn decimal(self) -> Decimal {
        match self {
            Amount::Small(mantissa, scale) => {
                Decimal::try_new(mantissa, scale).unwrap_or(Decimal::ZERO)
            }
            Amount::Large(value) => value,
        }
    }
}

/// The compact working form of a [`RfmState`] of at most [`COMPACT_DAYS`] entries whose
/// totals share one scale and have 32-bit mantissas, and whose days are within ±32767 days of
/// the first: the first form of every customer's state ([`RfmFlat`] takes the entries over when
/// a row does not fit). Plain old data: the settings as in [`RfmFlat`], the first entry's day,
/// the other days as offsets from it, the totals as mantissas at `scale`; entries past `len` and
/// a state without entries are zero.
#[derive(Debug, Clone, Copy, PartialEq, Eq, bytemuck::Pod, bytemuck::Zeroable)]
#[repr(C)]
pub struct RfmCompact {
    observation_end: i64,
    /// 1 once a row named the settings, else 0.
    has_settings: u8,
    unit: u8,
    len: u8,
    /// The scale of every total.
    scale: u8,
    first_day: i32,
    mantissas: [i32; COMPACT_DAYS],
    /// Day of entry `i + 1` minus the first entry's day.
    offsets: [i16; COMPACT_DAYS - 1],
}

// The working varlena (8 bytes of header and tag, then the struct) is one 64-byte chunk.
const _: () = assert!(std::mem::size_of::<RfmCompact>() == 56);

impl Default for RfmCompact {
    fn default() -> Self {
        bytemuck::Zeroable::zeroed()
    }
}

impl RfmCompact {
    fn settings(&self) -> Option<Settings> {
        (self.has_settings != 0).then_some((self.observation_end, self.unit))
    }

    /// The day of entry `index` (0 for an index past the offsets).
    #[inline(always)]
    fn day(&self, index: usize) -> i64 {
        let offset = index
            .checked_sub(1)
            .and_then(|at| self.offsets.get(at))
            .copied()
            .unwrap_or(0);
        i64::from(self.first_day) + i64::from(offset)
    }

    /// The (day, total mantissa) entries, at most [`COMPACT_DAYS`].
    #[inline(always)]
    fn entries(&self) -> ([(i64, i64); COMPACT_DAYS], usize) {
        let len = usize::from(self.len).min(COMPACT_DAYS);
        let mut entries = [(0i64, 0i64); COMPACT_DAYS];
        for (index, slot) in entries.iter_mut().enumerate().take(len) {
            *slot = (self.day(index), i64::from(self.mantissas[index]));
        }
        (entries, len)
    }

    /// The [`RfmFlat`] holding the same settings and entries in the same order.
    pub fn flat(&self) -> RfmFlat {
        let mut flat = RfmFlat {
            observation_end: self.observation_end,
            has_settings: self.has_settings,
            unit: self.unit,
            ..RfmFlat::default()
        };
        let (entries, len) = self.entries();
        for (index, (day, mantissa)) in entries.iter().enumerate().take(len) {
            // A validated or self-made state's days are finite timestamps' days, within `i32`.
            flat.days[index] = *day as i32;
            flat.mantissas[index] = *mantissa;
            flat.scales[index] = self.scale;
        }
        flat.len = len as u8;
        flat
    }

    /// The growing state holding the same settings and entries in the same order.
    pub fn state(&self) -> RfmState {
        self.flat().state()
    }

    /// The compact form of `state`, `None` when its entries do not fit one.
    pub fn of_state(state: &RfmState) -> Option<Self> {
        let entries = state.entries();
        if entries.len() > COMPACT_DAYS {
            return None;
        }
        let mut compact = RfmCompact::default();
        if let Some((observation_end, unit)) = state.settings() {
            compact.has_settings = 1;
            compact.observation_end = observation_end;
            compact.unit = unit;
        }
        for (index, (day, amount)) in entries.iter().enumerate() {
            let mantissa = i32::try_from(amount.mantissa()).ok()?;
            let exact = Decimal::try_new(i64::from(mantissa), amount.scale())
                .is_ok_and(|back| back.serialize() == amount.serialize());
            if !exact || (index > 0 && u32::from(compact.scale) != amount.scale()) {
                return None;
            }
            compact.mantissas[index] = mantissa;
            if index == 0 {
                compact.first_day = i32::try_from(*day).ok()?;
                compact.scale = amount.scale() as u8;
            } else {
                compact.offsets[index - 1] =
                    i16::try_from(day - i64::from(compact.first_day)).ok()?;
            }
        }
        compact.len = entries.len() as u8;
        Some(compact)
    }

    /// [`RfmFlat::add`] for the compact form: the same checks and errors in the same order, and
    /// the same entries; [`FlatAdd::Full`] (nothing but the settings changed) when the row
    /// needs a day past [`COMPACT_DAYS`] or more than ±32767 days from the first, or a total of
    /// another scale or past 32 bits.
    #[inline(always)]
    pub fn add(
        &mut self,
        function: &str,
        occurred_at: i64,
        amount: Amount,
        observation_end: i64,
        unit: u8,
    ) -> MetricResult<FlatAdd> {
        if self.has_settings == 0 || self.observation_end != observation_end || self.unit != unit {
            let fields = (
                &mut self.has_settings,
                &mut self.observation_end,
                &mut self.unit,
            );
            take_settings(function, fields, (observation_end, unit))?;
        }
        let day = utc_day(occurred_at);
        if day > utc_day(observation_end) {
            return Ok(FlatAdd::Done);
        }
        let Amount::Small(mantissa, scale) = amount else {
            return Ok(FlatAdd::Full);
        };
        let Ok(mantissa) = i32::try_from(mantissa) else {
            return Ok(FlatAdd::Full);
        };
        let len = usize::from(self.len);
        let Some(last) = len.checked_sub(1) else {
            let Ok(day) = i32::try_from(day) else {
                return Ok(FlatAdd::Full);
            };
            (self.first_day, self.scale, self.mantissas[0]) = (day, scale as u8, mantissa);
            self.len = 1;
            return Ok(FlatAdd::Done);
        };
        if u32::from(self.scale) != scale {
            return Ok(FlatAdd::Full);
        }
        if self.day(last) == day {
            // Equal scales: the exact total is the sum of the mantissas.
            return Ok(match self.mantissas.get_mut(last) {
                Some(total) => match total.checked_add(mantissa) {
                    Some(sum) => {
                        *total = sum;
                        FlatAdd::Done
                    }
                    None => FlatAdd::Full,
                },
                None => FlatAdd::Full,
            });
        }
        let offset = i16::try_from(day - i64::from(self.first_day));
        match (
            offset,
            self.offsets.get_mut(last),
            self.mantissas.get_mut(len),
        ) {
            (Ok(offset), Some(offset_slot), Some(mantissa_slot)) => {
                (*offset_slot, *mantissa_slot) = (offset, mantissa);
                self.len += 1;
                Ok(FlatAdd::Done)
            }
            _ => Ok(FlatAdd::Full),
        }
    }

    /// The RFM values ([`RfmState::finish`]) in integer arithmetic: the totals share one
    /// scale ([`rfm_at_one_scale`]); past 64 bits or 16 places, the `Decimal` path.
    pub fn finish(&self, function: &str) -> MetricResult<Option<Rfm>> {
        let Some(settings) = self.settings() else {
            return Ok(None);
        };
        let (entries, len) = self.entries();
        match rfm_at_one_scale(settings, &entries[..len], u32::from(self.scale)) {
            Some(rfm) => Ok(rfm),
            None => self.state().finish(function),
        }
    }
}

/// The RFM values ([`RfmState::finish`]) of `entries`, each a (day, total's mantissa at
/// `scale`) in the order they were kept, in integer arithmetic and without sorting: the first
/// and last days are the least and the greatest, the frequency is the distinct days less one,
/// and the repeat days' total is every total but the first day's, exactly what merging the
/// days and summing the `Decimal`s give. `None` when a sum passes 64 bits or the scale passes
/// 28 (or 16 places for a mean): the `Decimal` path then gives the values.
#[inline]
fn rfm_at_one_scale(
    (observation_end, unit): Settings,
    entries: &[(i64, i64)],
    scale: u32,
) -> Option<Option<Rfm>> {
    let days = entries.iter().map(|&(day, _)| day);
    let (Some(first), Some(last)) = (days.clone().min(), days.max()) else {
        return Some(None);
    };
    let mut distinct_days = 0usize;
    let mut repeat_total = 0i64;
    for (index, &(day, mantissa)) in entries.iter().enumerate() {
        let earlier = entries.get(..index).unwrap_or_default();
        distinct_days += usize::from(earlier.iter().all(|&(seen, _)| seen != day));
        if day != first {
            repeat_total = repeat_total.checked_add(mantissa)?;
        }
    }
    let repeat_days = distinct_days.saturating_sub(1);
    let monetary_value = match repeat_days {
        0 => Decimal::ZERO,
        // One repeat day: its total, exactly as summed (no division).
        1 => Decimal::try_new(repeat_total, scale).ok()?,
        _ => match mean_in_64_bits(repeat_total, scale, repeat_days as i64) {
            Some(mean) => mean,
            None => {
                let total = Decimal::try_new(repeat_total, scale).ok()?;
                normalized(mean_to_16_places(total, repeat_days as u64)?)
            }
        },
    };
    let days_per = DAYS_PER_UNIT[usize::from(unit) % UNITS.len()];
    Some(Some(Rfm {
        frequency: i32::try_from(repeat_days).ok()?,
        recency: (last - first) as f64 / days_per,
        age: (utc_day(observation_end) - first) as f64 / days_per,
        monetary_value,
    }))
}

/// `mean_to_16_places(total · 10^-scale, count).normalize()` in 64-bit arithmetic (the same
/// rounding, half to even), `None` when `total` at 16 places passes 64 bits.
#[inline]
fn mean_in_64_bits(total: i64, scale: u32, count: i64) -> Option<Decimal> {
    let numerator = total.checked_mul(10i64.checked_pow(16u32.checked_sub(scale)?)?)?;
    let (quotient, remainder) = (numerator / count, numerator % count);
    let twice = remainder.unsigned_abs() * 2;
    let count_abs = count.unsigned_abs();
    let round_away = twice > count_abs || (twice == count_abs && quotient % 2 != 0);
    let (mantissa, places) =
        without_trailing_zeros(quotient + i64::from(round_away) * numerator.signum(), 16);
    Decimal::try_new(mantissa, places).ok()
}

/// `(mantissa, places)` with the trailing zeros of the fraction `mantissa · 10^-places`
/// dropped (zero gives no places), eight, four, two and one at a time: a mean of a few
/// amounts in cents has about a dozen.
#[inline]
fn without_trailing_zeros(mut mantissa: i64, mut places: u32) -> (i64, u32) {
    for (step, power) in [(8, 100_000_000i64), (4, 10_000), (2, 100), (1, 10)] {
        while places >= step && mantissa % power == 0 {
            mantissa /= power;
            places -= step;
        }
    }
    (mantissa, places)
}

/// `value.normalize()` (trailing zeros of the fraction dropped), in 64-bit arithmetic when the
/// mantissa fits.
#[inline]
fn normalized(value: Decimal) -> Decimal {
    let Ok(mantissa) = i64::try_from(value.mantissa()) else {
        return value.normalize();
    };
    let (mantissa, scale) = without_trailing_zeros(mantissa, value.scale());
    Decimal::try_new(mantissa, scale).unwrap_or_else(|_| value.normalize())
}

impl FlatState for RfmCompact {
    const KIND: u8 = 7;
    const TYPE_NAME: &'static str = "crm.rfm_state";

    /// What the transition can hold: the settings as [`RfmFlat`] checks them, a scale up to
    /// 28, days from the first finite timestamp's to the observation end's, zeros elsewhere.
    fn validate(self) -> MetricResult<Self> {
        let corrupt = || MetricError::InvalidBinary("crm.rfm_agg state: corrupt".to_owned());
        let len = usize::from(self.len);
        let last_day = match (self.has_settings, self.observation_end) {
            (0, 0) if self.unit == 0 => i64::MIN,
            (1, i64::MIN | i64::MAX) => return Err(corrupt()),
            (1, observation_end) if usize::from(self.unit) < UNITS.len() => {
                utc_day(observation_end)
            }
            _ => return Err(corrupt()),
        };
        let days = first_finite_day()..=last_day;
        let valid = len <= COMPACT_DAYS
            && self.scale <= 28
            && (len > 0 || (self.first_day == 0 && self.scale == 0))
            && (0..len).all(|index| days.contains(&self.day(index)))
            && self.mantissas[len.min(COMPACT_DAYS)..]
                .iter()
                .all(|&mantissa| mantissa == 0)
            && self.offsets[len.saturating_sub(1).min(COMPACT_DAYS - 1)..]
                .iter()
                .all(|&offset| offset == 0);
        if valid {
            Ok(self)
        } else {
            Err(corrupt())
        }
    }

    fn encode_canonical(&self) -> MetricResult<Vec<u8>> {
        self.state().encode()
    }

    fn decode_canonical(bytes: &[u8]) -> MetricResult<Self> {
        let state = RfmState::decode_canonical(bytes)?;
        RfmCompact::of_state(&state).ok_or_else(|| {
            MetricError::InvalidBinary(
                "crm.rfm_agg state: purchase days that do not fit the compact working form"
                    .to_owned(),
            )
        })
    }
}

#[cfg(test)]
#[path = "rfm_flat_tests.rs"]
mod tests;
