//! The in-place working form of `crm.rfm_agg`'s state (`crm.rfm_state`) for a customer with
//! few purchase days.
//!
//! A `GROUP BY customer` holds one state per customer, and most customers have a handful of
//! purchase days. Such a state is a fixed-size plain-old-data struct ([`RfmFlat`]) changed in
//! place in a small varlena (`common::flat_state`): one allocation per customer, no expanded
//! object, no reset callback, no heap vector. The customer's purchase days cannot be reduced to
//! a fixed summary (frequency counts distinct UTC days, and rows arrive in any order), so a
//! customer whose distinct days outgrow [`FLAT_DAYS`] moves to the growing [`RfmState`] (an
//! expanded object), holding the same entries in the same order: every result is the one the
//! growing state alone gives.
use super::simple::{first_finite_day, rfm_of_days, utc_day, Rfm, RfmState, Settings, UNITS};
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
            self.take_settings(function, (observation_end, unit))?;
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

    /// Takes the settings of the first row, or refuses others (as the growing state does).
    #[cold]
    #[inline(never)]
    fn take_settings(&mut self, function: &str, settings: Settings) -> MetricResult<()> {
        let mut current = self.settings();
        super::simple::agree_settings(function, &mut current, settings, "every row of a group")?;
        if let Some((observation_end, unit)) = current {
            self.has_settings = 1;
            self.observation_end = observation_end;
            self.unit = unit;
        }
        Ok(())
    }

    /// The RFM values ([`RfmState::finish`]), from a copy of the entries.
    pub fn finish(&self, function: &str) -> MetricResult<Option<Rfm>> {
        let Some(settings) = self.settings() else {
            return Ok(None);
        };
        let len = usize::from(self.len).min(FLAT_DAYS);
        let mut entries = [(0i64, Decimal::ZERO); FLAT_DAYS];
        for (index, slot) in entries.iter_mut().enumerate().take(len) {
            *slot = self.entry(index);
        }
        rfm_of_days(function, settings, &mut entries[..len]).map(|(_, rfm)| rfm)
    }
}

impl FlatState for RfmFlat {
    const KIND: u8 = 6;

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

#[cfg(test)]
#[path = "rfm_flat_tests.rs"]
mod tests;
