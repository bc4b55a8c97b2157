//! BG/NBD inputs straight from purchases: the state of `crm.bgnbd_fit(customer_id, occurred_at,
//! observation_end, time_unit)`, which fits from a transactions table in one aggregate instead
//! of `crm.rfm_agg` per customer (`GROUP BY customer_id`) followed by `crm.bgnbd_fit` over the
//! summaries.
//!
//! The state is one flat list of (customer, UTC day) pairs, sorted and deduplicated in place
//! whenever it has doubled since the last time, so it holds at most about twice the distinct
//! purchase days. At the end each customer's run of days gives exactly what `crm.rfm_agg` gives
//! (frequency = distinct days − 1, recency = last − first day, T = observation end − first day,
//! in the time unit), so both ways produce the same merged rows and the same model.
use super::bgnbd;
use super::days_per_unit;
use super::rows::WeightedRows;
use super::simple::{
    agree_settings, first_finite_day, read_settings, unit_name, utc_day, write_settings, Settings,
};
use crate::common::codec::{Reader, Writer};
use crate::common::error::{MetricError, MetricResult};
use crate::common::interrupt::checked;
use crate::common::keys::KeyKind;
use crate::common::limits::{check_state_bytes, copied, reserve};

/// One purchase day of one customer; `key` is the customer id (a bigint as is, a uuid's
/// 128 bits, or a 128-bit hash of a text id's bytes).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct CustomerDay {
    key_high: u64,
    key_low: u64,
    day: i32,
}

/// Purchase days of many customers, with the observation end and time unit of the fit.
#[derive(Debug, Clone, Default)]
pub struct PurchaseDays {
    days: Vec<CustomerDay>,
    /// Length of `days` after the last sort-and-deduplicate pass.
    compacted: usize,
    /// Observation end (timestamp) and time unit (index into `UNITS`), the same on every row.
    settings: Option<Settings>,
    /// The type of the customer ids, the same on every row: `None` before the first row, and in
    /// a state of the first binary form (which did not record it) until a row or a merge sets it.
    key_kind: Option<KeyKind>,
    /// The penalizer of the rows that gave one (`None`: none did).
    penalizer: Option<f64>,
}

/// The list is compacted when it reaches twice its compacted length, and not below this.
const FIRST_COMPACTION: usize = 1 << 16;
/// What the state keeps, for the `crm.max_state_memory` error.
const WHAT: &str = "purchase days of customers, 24 bytes each";
/// Version 2 records the customer-id type after the settings; version 1 (no type) still decodes.
/// Version 2 is still written for a state without a penalizer, as 0.2.0 wrote it.
const FORMAT_VERSION: u8 = 2;
/// Version 3: version 2 followed by the penalizer, for a state that has one.
const PENALIZED_VERSION: u8 = 3;
/// The first binary form, without the customer-id type.
const UNTYPED_VERSION: u8 = 1;
/// The customer-id type byte of a state without one.
const NO_KEY_KIND: u8 = 0xff;
const STATE: &str = "crm.bgnbd_fit purchases state";
/// Bytes of one pair in the binary form at least (two varints of one byte: a customer key below
/// 128 and a day within 63 days of 2000-01-01).
const MIN_PAIR_BYTES: usize = 2;

impl PurchaseDays {
    /// Adds one purchase of customer `key` (an id of type `kind`) at `occurred_at` (a finite timestamp); purchases after
    /// the observation end's UTC day are ignored, as `crm.rfm_agg` ignores them.
    #[inline]
    pub fn add(
        &mut self,
        function: &str,
        kind: KeyKind,
        key: u128,
        occurred_at: i64,
        observation_end: i64,
        unit: u8,
    ) -> MetricResult<()> {
        if self.key_kind != Some(kind) {
            self.expect_key_kind(function, kind)?;
        }
        if self.settings != Some((observation_end, unit)) {
            self.check_settings(function, (observation_end, unit))?;
        }
        let day = utc_day(occurred_at);
        if day > utc_day(observation_end) {
            return Ok(());
        }
        let pair = CustomerDay {
            key_high: (key >> 64) as u64,
            key_low: key as u64,
            // Finite timestamps are within ±2^28 days of 2000-01-01.
            day: day as i32,
        };
        if self.days.last() != Some(&pair) {
            if self.days.len() == self.days.capacity() {
                self.check_growth(function, 1)?;
            }
            self.days.push(pair);
            if self.days.len() >= (2 * self.compacted).max(FIRST_COMPACTION) {
                self.compact();
            }
        }
        Ok(())
    }

    /// Ok when the state holds customer ids of type `kind` or none yet (then it does from now
    /// on), else 22023: a transition called by hand with a state of another id type.
    fn expect_key_kind(&mut self, function: &str, kind: KeyKind) -> MetricResult<()> {
        match self.key_kind {
            Some(known) if known == kind => Ok(()),
            Some(known) => Err(known.mismatch(function, "customer", kind)),
            None => {
                self.key_kind = Some(kind);
                Ok(())
            }
        }
    }

    /// Records the penalizer of a row (validated: finite, non-negative); 22023 when an earlier
    /// row gave another.
    pub fn set_penalizer(&mut self, function: &str, penalizer: f64) -> MetricResult<()> {
        let penalizer = super::checked_penalizer(function, penalizer)?;
        if self.penalizer == Some(penalizer) {
            return Ok(());
        }
        super::agree_penalizer(function, &mut self.penalizer, penalizer, "an earlier row")
    }

    fn check_settings(&mut self, function: &str, settings: Settings) -> MetricResult<()> {
        agree_settings(function, &mut self.settings, settings, "every row")
    }

    /// Ok when the list may grow to hold `more` pairs (a vector doubles when it grows), else
    /// the 54000 error of `crm.max_state_memory`.
    #[cold]
    fn check_growth(&mut self, function: &str, more: usize) -> MetricResult<()> {
        let needed = (self.days.len().saturating_add(more))
            .max(self.days.capacity().saturating_mul(2))
            .saturating_mul(std::mem::size_of::<CustomerDay>());
        check_state_bytes(function, WHAT, needed)?;
        reserve(&mut self.days, more, function, WHAT)
    }

    /// Heap bytes held (charged to the aggregate's memory context).
    pub fn heap_bytes(&self) -> usize {
        self.days.capacity() * std::mem::size_of::<CustomerDay>()
    }

    /// Whether the pairs are sorted and each once (as the binary form writes them).
    fn is_canonical(&self) -> bool {
        self.days.windows(2).all(|pair| pair[0] < pair[1])
    }

    /// Sorts and deduplicates the pairs unless they are already: the flattening of the
    /// aggregate's state then writes them without a copy.
    pub fn make_canonical(&mut self) {
        if !self.is_canonical() {
            self.compact();
        }
    }

    /// Sorts and deduplicates the pairs.
    fn compact(&mut self) {
        self.days.sort_unstable();
        self.days.dedup();
        self.compacted = self.days.len();
    }

    /// Adds every purchase day of `other` (parallel query).
    pub fn merge(&mut self, function: &str, other: &PurchaseDays) -> MetricResult<()> {
        match (self.key_kind, other.key_kind) {
            (Some(mine), Some(theirs)) if mine != theirs => {
                return Err(MetricError::InvalidParameter(format!(
                    "{function}: cannot merge states of {} and {} customer ids",
                    mine.name(),
                    theirs.name()
                )));
            }
            (None, theirs) => self.key_kind = theirs,
            _ => {}
        }
        if let Some(settings) = other.settings {
            self.check_settings(function, settings)?;
        }
        if let Some(penalizer) = other.penalizer {
            super::agree_penalizer(
                function,
                &mut self.penalizer,
                penalizer,
                "another partial state",
            )?;
        }
        if self.days.capacity() - self.days.len() < other.days.len() {
            self.check_growth(function, other.days.len())?;
        }
        self.days.extend_from_slice(&other.days);
        if self.days.len() >= (2 * self.compacted).max(FIRST_COMPACTION) {
            self.compact();
        }
        Ok(())
    }

    /// The customers' (frequency, recency, T) rows, merged; empty without purchases.
    pub fn weighted_rows(&mut self, function: &str) -> MetricResult<WeightedRows> {
        let mut rows = WeightedRows::default().with_penalizer(self.penalizer);
        let Some((observation_end, unit)) = self.settings else {
            return Ok(rows);
        };
        let days_per = days_per_unit(function, unit_name(unit))?;
        let end_day = utc_day(observation_end);
        self.compact();
        for customer in self.days.chunk_by(|left, right| {
            (left.key_high, left.key_low) == (right.key_high, right.key_low)
        }) {
            let (Some(first), Some(last)) = (customer.first(), customer.last()) else {
                continue;
            };
            let frequency = i32::try_from(customer.len() - 1).map_err(|_| {
                MetricError::OutOfRange(format!("{function}: result is out of range"))
            })?;
            let recency = f64::from(last.day - first.day) / days_per;
            let age = (end_day - i64::from(first.day)) as f64 / days_per;
            let key = bgnbd::customer_key(function, frequency, recency, age)?;
            rows.add(function, key, 1)?;
        }
        Ok(rows)
    }

    /// Binary form (parallel query, stored states): version, settings, customer-id type, the
    /// penalizer (version 3, when one was given), then the pairs as varints, sorted and each
    /// once (compacted first), so that every order and split of the same rows writes the same
    /// bytes.
    pub fn encode(&self) -> MetricResult<Vec<u8>> {
        if !self.is_canonical() {
            let mut copy = PurchaseDays {
                days: copied(&self.days, STATE, WHAT)?,
                ..*self
            };
            copy.compact();
            return copy.encode();
        }
        let version = match self.penalizer {
            None => FORMAT_VERSION,
            Some(_) => PENALIZED_VERSION,
        };
        let mut writer = Writer::with_version(version);
        write_settings(&mut writer, self.settings);
        writer.u8(self.key_kind.map_or(NO_KEY_KIND, KeyKind::code));
        if let Some(penalizer) = self.penalizer {
            writer.f64(penalizer);
        }
        writer.u64(self.days.len() as u64);
        for pair in &self.days {
            writer
                .u128((u128::from(pair.key_high) << 64) | u128::from(pair.key_low))
                .i64(i64::from(pair.day));
        }
        writer.finish(STATE)
    }

    pub fn decode(bytes: &[u8]) -> MetricResult<Self> {
        let corrupt = || MetricError::InvalidBinary(format!("{STATE}: corrupt"));
        let (mut reader, version) =
            Reader::open_versions(bytes, UNTYPED_VERSION..=PENALIZED_VERSION, STATE)?;
        let settings = read_settings(&mut reader, corrupt)?;
        let key_kind = if version == UNTYPED_VERSION {
            None
        } else {
            match reader.u8()? {
                NO_KEY_KIND => None,
                code => Some(
                    KeyKind::ALL
                        .into_iter()
                        .find(|kind| kind.code() == code)
                        .ok_or_else(corrupt)?,
                ),
            }
        };
        let penalizer = if version == PENALIZED_VERSION {
            let penalizer = reader.f64()?;
            // Only what set_penalizer keeps: finite, non-negative, never -0.0.
            if !penalizer.is_finite() || penalizer.is_sign_negative() {
                return Err(corrupt());
            }
            Some(penalizer)
        } else {
            None
        };
        let count = usize::try_from(reader.u64()?)
            .ok()
            .filter(|&count| count <= reader.remaining() / MIN_PAIR_BYTES)
            .ok_or_else(corrupt)?;
        // What the transition can hold: days only with settings, none after the observation
        // end's day nor before the first finite timestamp's.
        let last_day = match settings {
            Some((observation_end, _)) => utc_day(observation_end),
            None if count == 0 => i64::MIN,
            None => return Err(corrupt()),
        };
        // Pairs without a type come from the first form (which had none) and keep none until a
        // row of a known type is added; they are written back untyped.
        let mut days = reader.vec(count)?;
        for _ in checked(0..count) {
            let key = reader.u128()?;
            let day = reader.i64()?;
            if !(first_finite_day()..=last_day).contains(&day) {
                return Err(corrupt());
            }
            let day = i32::try_from(day).map_err(|_| corrupt())?;
            days.push(CustomerDay {
                key_high: (key >> 64) as u64,
                key_low: key as u64,
                day,
            });
        }
        reader.finish()?;
        Ok(PurchaseDays {
            days,
            compacted: 0,
            settings,
            key_kind,
            penalizer,
        })
    }

    /// Text form of `crm.purchase_days`: [`super::hex_text`] of the binary form.
    pub fn to_text(&self) -> MetricResult<String> {
        super::hex_text("crm.purchase_days", &self.encode()?)
    }

    /// Reads [`PurchaseDays::to_text`], validating the state.
    pub fn from_text(text: &str) -> MetricResult<Self> {
        super::state_from_text("crm.purchase_days", text, PurchaseDays::decode)
    }
}

#[cfg(test)]
mod tests {
    use super::super::simple::RfmState;
    use super::*;
    use proptest::prelude::*;
    use rust_decimal::Decimal;

    const F: &str = "crm.bgnbd_fit";
    const DAY: i64 = 86_400_000_000;
    /// 2024-01-01 00:00 UTC and a week unit.
    const END: i64 = 8766 * DAY;
    const WEEK: u8 = 1;

    /// Purchases as (customer, timestamp): the merged rows of the one-aggregate path.
    fn rows_of(purchases: &[(u8, i64)]) -> WeightedRows {
        let mut state = PurchaseDays::default();
        for &(customer, at) in purchases {
            state
                .add(F, KeyKind::BigInt, u128::from(customer), at, END, WEEK)
                .unwrap();
        }
        state.weighted_rows(F).unwrap()
    }

    /// The same rows the way the two-step SQL makes them: crm.rfm_agg per customer, then
    /// bgnbd::customer_key of each summary.
    fn rows_through_rfm(purchases: &[(u8, i64)]) -> WeightedRows {
        let mut rows = WeightedRows::default();
        for customer in 0..=u8::MAX {
            let mut rfm = RfmState::default();
            for &(_, at) in purchases.iter().filter(|(id, _)| *id == customer) {
                rfm.add_in_unit(F, at, Decimal::ONE, END, WEEK).unwrap();
            }
            if let Some(summary) = rfm.finish(F).unwrap() {
                let key = bgnbd::customer_key(F, summary.frequency, summary.recency, summary.age)
                    .unwrap();
                rows.add(F, key, 1).unwrap();
            }
        }
        rows
    }

    fn purchases() -> impl Strategy<Value = Vec<(u8, i64)>> {
        // Up to 40 customers, times in the 400 days before END plus some after it, any hour.
        proptest::collection::vec((0u8..40, -400 * DAY..10 * DAY), 0..300)
            .prop_map(|list| list.into_iter().map(|(c, at)| (c, END + at)).collect())
    }

    proptest! {
        #[test]
        fn equals_rfm_agg_then_rows(purchases in purchases()) {
            prop_assert_eq!(rows_of(&purchases).sorted(), rows_through_rfm(&purchases).sorted());
        }

        #[test]
        fn split_merge_and_binary_form_equal_one_pass(purchases in purchases(), cut in 0usize..300) {
            let cut = cut.min(purchases.len());
            let mut first = PurchaseDays::default();
            let mut second = PurchaseDays::default();
            for &(customer, at) in &purchases[..cut] {
                first.add(F, KeyKind::BigInt, u128::from(customer), at, END, WEEK).unwrap();
            }
            for &(customer, at) in &purchases[cut..] {
                second.add(F, KeyKind::BigInt, u128::from(customer), at, END, WEEK).unwrap();
            }
            let mut merged = PurchaseDays::decode(&second.encode().unwrap()).unwrap();
            merged.merge(F, &PurchaseDays::decode(&first.encode().unwrap()).unwrap()).unwrap();
            // One binary form whatever the order and split of the rows, before and after the
            // flattening sorts the state in place.
            let mut whole = PurchaseDays::default();
            for &(customer, at) in purchases.iter().rev() {
                whole.add(F, KeyKind::BigInt, u128::from(customer), at, END, WEEK).unwrap();
            }
            let bytes = whole.encode().unwrap();
            prop_assert_eq!(merged.encode().unwrap(), bytes.clone());
            merged.make_canonical();
            prop_assert_eq!(merged.encode().unwrap(), bytes);
            prop_assert_eq!(merged.weighted_rows(F).unwrap().sorted(), rows_of(&purchases).sorted());
        }
    }

    /// A pair takes two bytes for a key below 128 and a day near 2000-01-01 (day 0 of the
    /// form): such states read back from both forms.
    #[test]
    fn pairs_of_two_bytes_read_back() {
        for purchases in [1, 3] {
            let mut state = PurchaseDays::default();
            for day in 0..purchases {
                state
                    .add(F, KeyKind::BigInt, 7, day * DAY + 5, 31 * DAY, WEEK)
                    .unwrap();
            }
            let bytes = state.encode().unwrap();
            let decoded = PurchaseDays::decode(&bytes).unwrap();
            assert_eq!(decoded.encode().unwrap(), bytes);
            let text = state.to_text().unwrap();
            assert_eq!(
                PurchaseDays::from_text(&text).unwrap().encode().unwrap(),
                bytes
            );
            // One pair fewer than the count declares is refused.
            assert!(PurchaseDays::decode(&bytes[..bytes.len() - 2]).is_err());
        }
    }

    #[test]
    fn same_day_purchases_merge_and_later_ones_are_ignored() {
        // Customer 1: two purchases on one day, one a week later, one after the end.
        let rows = rows_of(&[
            (1, END - 14 * DAY),
            (1, END - 14 * DAY + 3_600_000_000),
            (1, END - 7 * DAY),
            (1, END + 2 * DAY),
        ]);
        let key = bgnbd::customer_key(F, 1, 1.0, 2.0).unwrap();
        assert_eq!(rows.sorted(), vec![(key, 1)]);
        assert_eq!(rows_of(&[(3, END + DAY)]).customers(), 0);
    }

    #[test]
    fn compaction_keeps_distinct_days_only() {
        let mut state = PurchaseDays::default();
        for round in 0..3 * FIRST_COMPACTION as i64 {
            // 1000 customers, each buying on 5 distinct days, over and over.
            let customer = (round % 1000) as u128;
            let at = END - ((round / 1000) % 5 + 1) * DAY;
            state
                .add(F, KeyKind::BigInt, customer, at, END, WEEK)
                .unwrap();
        }
        assert!(state.days.len() <= 2 * 5000 + FIRST_COMPACTION);
        let rows = state.weighted_rows(F).unwrap();
        assert_eq!(state.days.len(), 5000);
        assert_eq!(rows.customers(), 1000);
    }

    #[test]
    fn the_customer_id_type_is_recorded_and_must_agree() {
        let mut bigints = PurchaseDays::default();
        bigints
            .add(F, KeyKind::BigInt, 5, END - DAY, END, WEEK)
            .unwrap();
        // A uuid row into a state of bigint ids (a transition called by hand).
        let error = bigints
            .add(F, KeyKind::Uuid, 5, END - DAY, END, WEEK)
            .unwrap_err();
        assert_eq!(
            error,
            MetricError::InvalidParameter(
                "crm.bgnbd_fit: cannot add a uuid customer id to a summary of bigint customer ids"
                    .into()
            )
        );
        let mut uuids = PurchaseDays::default();
        uuids
            .add(F, KeyKind::Uuid, 5, END - 2 * DAY, END, WEEK)
            .unwrap();
        let error = bigints.merge(F, &uuids).unwrap_err();
        assert_eq!(
            error,
            MetricError::InvalidParameter(
                "crm.bgnbd_fit: cannot merge states of bigint and uuid customer ids".into()
            )
        );
        // The type survives the binary form; an empty state takes the other's.
        let decoded = PurchaseDays::decode(&bigints.encode().unwrap()).unwrap();
        assert_eq!(decoded.key_kind, Some(KeyKind::BigInt));
        assert!(decoded.clone().merge(F, &uuids).is_err());
        let mut empty = PurchaseDays::default();
        empty.merge(F, &uuids).unwrap();
        assert_eq!(empty.key_kind, Some(KeyKind::Uuid));
        assert!(empty
            .add(F, KeyKind::BigInt, 1, END - DAY, END, WEEK)
            .is_err());
        // Pairs without a type (those of the first form) read back untyped; an unknown type
        // byte is corrupt.
        let mut untyped = bigints.encode().unwrap();
        // The type byte comes right before the pair count (one byte for 0).
        let mut bare = bigints.clone();
        bare.days.clear();
        let at = bare.encode().unwrap().len() - 2;
        assert_eq!(untyped[at], KeyKind::BigInt.code());
        untyped[at] = NO_KEY_KIND;
        let decoded = PurchaseDays::decode(&untyped).unwrap();
        assert_eq!(decoded.key_kind, None);
        assert_eq!(decoded.encode().unwrap(), untyped);
        untyped[at] = 7;
        assert!(PurchaseDays::decode(&untyped).is_err());
    }

    #[test]
    fn the_first_binary_form_still_decodes_without_a_type() {
        // crm_internal.bgnbd_fit_purchases_bigint_trans(NULL, 7, '2024-01-01', '2024-12-31', 'day') as
        // the first form printed it.
        let text = "\\x01008080e98f8ce1e6020107fc8801";
        let mut old = PurchaseDays::from_text(text).unwrap();
        assert_eq!(old.key_kind, None);
        assert_eq!(old.days.len(), 1);
        // Written back as it is (untyped), it reads back.
        let written = PurchaseDays::from_text(&old.to_text().unwrap()).unwrap();
        assert_eq!((written.key_kind, written.days.len()), (None, 1));
        // It takes the type of the first row added to it.
        let (end, unit) = old.settings.unwrap();
        old.add(F, KeyKind::BigInt, 7, end - DAY, end, unit)
            .unwrap();
        assert_eq!(old.key_kind, Some(KeyKind::BigInt));
        let again = PurchaseDays::decode(&old.encode().unwrap()).unwrap();
        assert_eq!(again.key_kind, Some(KeyKind::BigInt));
        assert_eq!(again.days.len(), 2);
    }

    #[test]
    fn the_penalizer_is_kept_merged_and_shipped() {
        let mut state = PurchaseDays::default();
        state
            .add(F, KeyKind::BigInt, 1, END - 3 * DAY, END, WEEK)
            .unwrap();
        state
            .add(F, KeyKind::BigInt, 1, END - DAY, END, WEEK)
            .unwrap();
        // Without a penalizer: the 0.2.0 form.
        let plain = state.encode().unwrap();
        assert_eq!(plain[0], FORMAT_VERSION);
        state.set_penalizer(F, 0.01).unwrap();
        let error = state.set_penalizer(F, 0.1).unwrap_err();
        assert_eq!(
            error,
            MetricError::InvalidParameter(
                "crm.bgnbd_fit: penalizer 0.1 differs from penalizer 0.01 of an earlier row; \
                 the penalizer must be the same on every row of a fit"
                    .into()
            )
        );
        assert!(PurchaseDays::default().set_penalizer(F, f64::NAN).is_err());
        let shipped = state.encode().unwrap();
        assert_eq!(shipped[0], PENALIZED_VERSION);
        let mut decoded = PurchaseDays::from_text(&state.to_text().unwrap()).unwrap();
        assert_eq!(decoded.penalizer, Some(0.01));
        assert_eq!(decoded.weighted_rows(F).unwrap().penalizer(), 0.01);
        assert_eq!(PurchaseDays::decode(&plain).unwrap().penalizer, None);
        // An empty side takes the other's; two penalizers must agree.
        let mut empty = PurchaseDays::default();
        empty.merge(F, &decoded).unwrap();
        assert_eq!(empty.penalizer, Some(0.01));
        let mut other = PurchaseDays::default();
        other.set_penalizer(F, 0.2).unwrap();
        assert!(other.merge(F, &decoded).is_err());
        // A corrupt penalizer: it sits right before the pair count (one byte for 0).
        let mut bare = state.clone();
        bare.days.clear();
        let at = bare.encode().unwrap().len() - 1 - 8;
        for bad in [f64::NAN, -1.0, -0.0, f64::INFINITY] {
            let mut corrupt = shipped.clone();
            corrupt[at..at + 8].copy_from_slice(&bad.to_le_bytes());
            assert!(PurchaseDays::decode(&corrupt).is_err(), "{bad}");
        }
        for cut in 0..shipped.len() {
            assert!(
                PurchaseDays::decode(&shipped[..cut]).is_err(),
                "prefix {cut}"
            );
        }
    }

    #[test]
    fn settings_must_agree_and_bytes_must_be_sound() {
        let mut state = PurchaseDays::default();
        state
            .add(F, KeyKind::BigInt, 1, END - DAY, END, WEEK)
            .unwrap();
        let error = state
            .add(F, KeyKind::BigInt, 1, END - DAY, END + DAY, WEEK)
            .unwrap_err();
        assert!(matches!(error, MetricError::InvalidParameter(_)));
        let mut other = PurchaseDays::default();
        other.add(F, KeyKind::BigInt, 2, END - DAY, END, 0).unwrap();
        assert!(state.merge(F, &other).is_err());

        let bytes = state.encode().unwrap();
        for cut in 0..bytes.len() {
            assert!(PurchaseDays::decode(&bytes[..cut]).is_err(), "prefix {cut}");
        }
        let mut trailing = bytes.clone();
        trailing.push(0);
        assert!(PurchaseDays::decode(&trailing).is_err());
        assert!(PurchaseDays::decode(&PurchaseDays::default().encode().unwrap()).is_ok());
    }
}
