use super::*;
use crate::common::flat_state::{WORKING_OFFSET, WORKING_TAG};
use proptest::prelude::*;

const F: &str = "crm.test";
const DAY: i64 = 86_400_000_000;

/// The payload of a varlena holding `flat` in the working form.
fn working(flat: &RfmFlat) -> Vec<u8> {
    let mut payload = vec![WORKING_TAG, RfmFlat::KIND, 0, 0];
    payload.extend_from_slice(bytemuck::bytes_of(flat));
    assert_eq!(
        payload.len() + 4,
        WORKING_OFFSET + std::mem::size_of::<RfmFlat>()
    );
    payload
}

/// The amount of a row: cents, or for `i64::MAX` one whose mantissa passes 64 bits (and some
/// of whose sums pass 28 digits).
fn amount(cents: i64) -> Decimal {
    if cents == i64::MAX {
        Decimal::from_i128_with_scale(i128::from(cents) * 1000, 2)
    } else {
        Decimal::new(cents, 2)
    }
}

/// Frequency, recency, age and the monetary value's mantissa and scale.
type ExactRfm = (i32, f64, f64, i128, u32);

/// RFM values with the monetary value as its exact mantissa and scale (`Decimal` equality
/// ignores the scale, which the `numeric` result shows).
fn exact(rfm: &MetricResult<Option<Rfm>>) -> MetricResult<Option<ExactRfm>> {
    rfm.clone().map(|rfm| {
        rfm.map(|rfm| {
            let money = rfm.monetary_value;
            (
                rfm.frequency,
                rfm.recency,
                rfm.age,
                money.mantissa(),
                money.scale(),
            )
        })
    })
}

/// One row: (day, microseconds into it, cents, observation end's day, unit).
type Row = (i64, i64, i64, i64, u8);

/// Adds `rows` through the working form while it has room and through the growing state after,
/// as the transition does; the state it ends in, or the first error.
fn through_working(rows: &[Row]) -> MetricResult<RfmState> {
    let mut flat = RfmFlat::default();
    let mut grown: Option<RfmState> = None;
    for &(day, micros, cents, end_day, unit) in rows {
        let (at, amount, end) = (day * DAY + micros, amount(cents), end_day * DAY);
        match &mut grown {
            Some(state) => state.add_in_unit(F, at, amount, end, unit)?,
            None => {
                if flat.add(F, at, amount, end, unit)? == FlatAdd::Full {
                    let mut state = flat.state();
                    state.add_in_unit(F, at, amount, end, unit)?;
                    grown = Some(state);
                }
            }
        }
    }
    Ok(grown.unwrap_or_else(|| flat.state()))
}

fn through_growing(rows: &[Row]) -> MetricResult<RfmState> {
    let mut state = RfmState::default();
    for &(day, micros, cents, end_day, unit) in rows {
        state.add_in_unit(F, day * DAY + micros, amount(cents), end_day * DAY, unit)?;
    }
    Ok(state)
}

fn row() -> impl Strategy<Value = Row> {
    (
        0i64..30,
        0i64..DAY,
        prop_oneof![20 => -5_000i64..100_000, 1 => Just(i64::MAX)],
        prop_oneof![20 => Just(25i64), 1 => Just(26i64)],
        prop_oneof![20 => Just(1u8), 1 => Just(2u8)],
    )
}

proptest! {
    /// The binary form of the same rows is the same bytes in any order (equality, hashing and
    /// DISTINCT compare binary forms).
    #[test]
    fn the_binary_form_does_not_depend_on_the_order_of_the_rows(
        rows in prop::collection::vec(row(), 0..40),
    ) {
        let mut reversed = rows.clone();
        reversed.reverse();
        for (one, other) in [
            (through_working(&rows), through_working(&reversed)),
            (through_growing(&rows), through_working(&reversed)),
        ] {
            if let (Ok(one), Ok(other)) = (one, other) {
                prop_assert_eq!(one.encode().unwrap(), other.encode().unwrap());
            }
        }
    }

    #[test]
    fn the_working_form_gives_what_the_growing_state_gives(
        rows in prop::collection::vec(row(), 0..40),
    ) {
        let ours = through_working(&rows);
        let growing = through_growing(&rows);
        prop_assert_eq!(ours.as_ref().err(), growing.as_ref().err());
        if let (Ok(mut ours), Ok(mut growing)) = (ours, growing) {
            prop_assert_eq!(ours.encode().unwrap(), growing.encode().unwrap());
            prop_assert_eq!(ours.finish(F), growing.finish(F));
        }
    }

    #[test]
    fn a_working_form_reads_back_and_finishes_alike(
        rows in prop::collection::vec(row(), 0..12),
    ) {
        let mut flat = RfmFlat::default();
        for &(day, micros, cents, _, _) in &rows {
            if flat.add(F, day * DAY + micros, amount(cents), 25 * DAY, 1)
                .unwrap() == FlatAdd::Full
            {
                break;
            }
        }
        let bytes = working(&flat);
        let mut state = RfmState::decode(&bytes).unwrap();
        prop_assert_eq!(state.encode().unwrap(), flat.state().encode().unwrap());
        prop_assert_eq!(RfmFlat::of_state(&state), Some(flat));
        // The binary form is in day order: it reads back as the same value (maybe in another
        // order than the working form kept).
        prop_assert_eq!(
            RfmFlat::decode_canonical(&state.encode().unwrap()).map(|read| read.state().encode().unwrap()),
            Ok(flat.state().encode().unwrap())
        );
        prop_assert_eq!(exact(&flat.finish(F)), exact(&state.finish(F)));
    }
}

#[test]
fn forged_working_forms_are_refused() {
    let mut flat = RfmFlat::default();
    flat.add(F, 3 * DAY, Decimal::new(250, 2), 10 * DAY, 1)
        .unwrap();
    assert!(RfmState::decode(&working(&flat)).is_ok());
    let forge = |change: fn(&mut RfmFlat)| {
        let mut forged = flat;
        change(&mut forged);
        RfmState::decode(&working(&forged))
    };
    let refused: [fn(&mut RfmFlat); 10] = [
        |f| f.len = FLAT_DAYS as u8 + 1,
        |f| f.days[5] = 1,
        |f| f.mantissas[7] = 1,
        |f| f.unit = UNITS.len() as u8,
        |f| f.has_settings = 2,
        |f| f.observation_end = i64::MAX,
        |f| f.days[0] = 11,
        |f| f.scales[0] = 29,
        |f| f.padding[0] = 1,
        |f| {
            f.has_settings = 0;
            f.observation_end = 0;
            f.unit = 0;
        },
    ];
    for change in refused {
        assert!(matches!(forge(change), Err(MetricError::InvalidBinary(_))));
    }
    // An empty working form without settings is the empty state.
    let empty = RfmState::decode(&working(&RfmFlat::default())).unwrap();
    assert_eq!(
        empty.encode().unwrap(),
        RfmState::default().encode().unwrap()
    );
    // A wrong length is read as a binary form, and refused.
    assert!(RfmState::decode(&working(&flat)[..20]).is_err());
}

#[test]
fn a_full_working_form_changes_nothing_but_takes_the_settings() {
    let mut flat = RfmFlat::default();
    for day in 0..FLAT_DAYS as i64 {
        assert_eq!(
            flat.add(F, day * DAY, Decimal::ONE, 100 * DAY, 0),
            Ok(FlatAdd::Done)
        );
    }
    let full = flat;
    // The same last day still merges; a new one does not fit.
    assert_eq!(
        flat.add(
            F,
            (FLAT_DAYS as i64 - 1) * DAY + 5,
            Decimal::ONE,
            100 * DAY,
            0
        ),
        Ok(FlatAdd::Done)
    );
    assert_ne!(flat, full);
    let merged = flat;
    assert_eq!(
        flat.add(F, 50 * DAY, Decimal::ONE, 100 * DAY, 0),
        Ok(FlatAdd::Full)
    );
    assert_eq!(flat, merged);
    // Other settings are refused, as the growing state refuses them.
    assert!(flat.add(F, 50 * DAY, Decimal::ONE, 99 * DAY, 0).is_err());
    assert_eq!(flat, merged);
}

/// The payload of a varlena holding `compact` in the working form.
fn compact_working(compact: &RfmCompact) -> Vec<u8> {
    let mut payload = vec![WORKING_TAG, RfmCompact::KIND, 0, 0];
    payload.extend_from_slice(bytemuck::bytes_of(compact));
    assert_eq!(payload.len() + 4, 64);
    payload
}

/// One row for the compact form: (day, microseconds into it, amount, observation end's day,
/// unit), with days far apart, amounts of several scales and past 32 bits.
type CompactRow = (i64, i64, Decimal, i64, u8);

fn compact_row() -> impl Strategy<Value = CompactRow> {
    (
        prop_oneof![20 => 0i64..30, 1 => Just(-40_000i64), 1 => Just(-32_000i64)],
        0i64..DAY,
        prop_oneof![
            20 => (-5_000i64..100_000).prop_map(|cents| Decimal::new(cents, 2)),
            2 => (-50i64..500, 0u32..4).prop_map(|(mantissa, scale)| Decimal::new(mantissa, scale)),
            1 => Just(Decimal::new(2_000_000_000, 2)),
            1 => Just(amount(i64::MAX)),
        ],
        prop_oneof![20 => Just(25i64), 1 => Just(26i64)],
        prop_oneof![20 => Just(1u8), 1 => Just(3u8)],
    )
}

/// Adds `rows` as the transition does: the compact form while it holds them, then the larger
/// working form, then the growing state; the state it ends in and the compact form if it held
/// every row, or the first error.
fn through_compact(rows: &[CompactRow]) -> MetricResult<(RfmState, Option<RfmCompact>)> {
    let mut compact = Some(RfmCompact::default());
    let mut flat: Option<RfmFlat> = None;
    let mut grown: Option<RfmState> = None;
    for &(day, micros, value, end_day, unit) in rows {
        let (at, end) = (day * DAY + micros, end_day * DAY);
        if let Some(state) = &mut grown {
            state.add_in_unit(F, at, value, end, unit)?;
        } else if let Some(working) = &mut flat {
            if working.add(F, at, value, end, unit)? == FlatAdd::Full {
                let mut state = working.state();
                state.add_in_unit(F, at, value, end, unit)?;
                grown = Some(state);
            }
        } else if let Some(small) = &mut compact {
            if small.add(F, at, Amount::of(value), end, unit)? == FlatAdd::Full {
                let mut working = small.flat();
                if working.add(F, at, value, end, unit)? == FlatAdd::Full {
                    let mut state = working.state();
                    state.add_in_unit(F, at, value, end, unit)?;
                    grown = Some(state);
                } else {
                    flat = Some(working);
                }
                compact = None;
            }
        }
    }
    let state = match (grown, flat, compact) {
        (Some(state), _, _) => state,
        (None, Some(working), _) => working.state(),
        (None, None, Some(small)) => small.state(),
        (None, None, None) => unreachable!("one form holds the rows"),
    };
    Ok((state, compact))
}

proptest! {
    #[test]
    fn the_compact_form_gives_what_the_growing_state_gives(
        rows in prop::collection::vec(compact_row(), 0..14),
    ) {
        let ours = through_compact(&rows);
        let mut growing = RfmState::default();
        let growing = rows.iter().try_for_each(|&(day, micros, value, end_day, unit)| {
            growing.add_in_unit(F, day * DAY + micros, value, end_day * DAY, unit)
        }).map(|()| growing);
        prop_assert_eq!(ours.as_ref().err(), growing.as_ref().err());
        if let (Ok((mut ours, compact)), Ok(mut growing)) = (ours, growing) {
            prop_assert_eq!(ours.encode().unwrap(), growing.encode().unwrap());
            let expected = growing.finish(F);
            if let Some(compact) = compact {
                // The compact form reads back, as a working form and as the binary form.
                let read = RfmState::decode(&compact_working(&compact)).unwrap();
                prop_assert_eq!(read.encode().unwrap(), ours.encode().unwrap());
                prop_assert_eq!(RfmCompact::of_state(&read), Some(compact));
                // In day order the days may not fit the compact form (offsets from the first
                // day); when they do, they read back as the same value.
                if let Ok(again) = RfmCompact::decode_canonical(&read.encode().unwrap()) {
                    prop_assert_eq!(again.flat().state().encode().unwrap(), ours.encode().unwrap());
                }
                prop_assert_eq!(compact.flat().state().encode().unwrap(), ours.encode().unwrap());
                prop_assert_eq!(exact(&compact.finish(F)), exact(&expected));
            }
            prop_assert_eq!(ours.finish(F), expected);
        }
    }
}

#[test]
fn forged_compact_forms_are_refused() {
    let mut compact = RfmCompact::default();
    for day in [3, 1] {
        compact
            .add(F, day * DAY, Amount::Small(250, 2), 10 * DAY, 1)
            .unwrap();
    }
    assert!(RfmState::decode(&compact_working(&compact)).is_ok());
    let forge = |change: fn(&mut RfmCompact)| {
        let mut forged = compact;
        change(&mut forged);
        RfmState::decode(&compact_working(&forged))
    };
    let refused: [fn(&mut RfmCompact); 9] = [
        |c| c.len = COMPACT_DAYS as u8 + 1,
        |c| c.offsets[3] = 1,
        |c| c.mantissas[6] = 1,
        |c| c.unit = UNITS.len() as u8,
        |c| c.has_settings = 2,
        |c| c.observation_end = i64::MIN,
        |c| c.offsets[0] = 8,
        |c| c.scale = 29,
        |c| {
            c.has_settings = 0;
            c.observation_end = 0;
            c.unit = 0;
        },
    ];
    for change in refused {
        assert!(matches!(forge(change), Err(MetricError::InvalidBinary(_))));
    }
    // Without entries, the first day and the scale are zero.
    let empty = RfmCompact {
        scale: 2,
        ..RfmCompact::default()
    };
    assert!(RfmState::decode(&compact_working(&empty)).is_err());
    let empty = RfmState::decode(&compact_working(&RfmCompact::default())).unwrap();
    assert_eq!(
        empty.encode().unwrap(),
        RfmState::default().encode().unwrap()
    );
}

#[test]
fn a_full_compact_form_changes_nothing_but_takes_the_settings() {
    let mut compact = RfmCompact::default();
    for day in 0..COMPACT_DAYS as i64 {
        let added = compact.add(F, day * DAY, Amount::Small(100, 2), 100 * DAY, 0);
        assert_eq!(added, Ok(FlatAdd::Done));
    }
    let full = compact;
    let refused = [
        // An eighth day, another scale, a total past 32 bits, a day too far from the first.
        (50 * DAY, Amount::Small(100, 2)),
        (6 * DAY, Amount::Small(100, 3)),
        (6 * DAY, Amount::Small(i64::from(i32::MAX), 2)),
        (6 * DAY, Amount::Large(amount(i64::MAX))),
    ];
    for (at, value) in refused {
        assert_eq!(compact.add(F, at, value, 100 * DAY, 0), Ok(FlatAdd::Full));
        assert_eq!(compact, full);
    }
    let mut far = RfmCompact::default();
    far.add(F, 0, Amount::Small(1, 0), 100 * DAY, 0).unwrap();
    assert_eq!(
        far.add(F, -40_000 * DAY, Amount::Small(1, 0), 100 * DAY, 0),
        Ok(FlatAdd::Full)
    );
    // Other settings are refused, as the growing state refuses them.
    assert!(compact
        .add(F, DAY, Amount::Small(1, 2), 99 * DAY, 0)
        .is_err());
    assert_eq!(compact, full);
}

proptest! {
    #[test]
    fn the_64_bit_mean_is_the_decimal_mean(
        total in prop_oneof![any::<i64>(), -1_000_000i64..1_000_000],
        scale in 0u32..20,
        count in 1i64..12,
    ) {
        let decimal = Decimal::try_new(total, scale).unwrap();
        let expected = mean_to_16_places(decimal, count as u64).map(|mean| mean.normalize());
        if let Some(mean) = mean_in_64_bits(total, scale, count) {
            prop_assert_eq!(Some(mean.serialize()), expected.map(|mean| mean.serialize()));
        } else {
            prop_assert!(scale > 16 || total.checked_mul(10i64.pow(16 - scale)).is_none());
        }
    }
}

proptest! {
    #[test]
    fn the_one_scale_values_are_the_decimal_values(
        entries in prop::collection::vec(
            (0i64..12, prop_oneof![4 => -100_000i64..100_000, 1 => any::<i64>()]),
            0..10,
        ),
        scale in 0u32..=28,
        end_day in 11i64..40,
        unit in 0u8..UNITS.len() as u8,
    ) {
        let settings = (end_day * DAY, unit);
        let mut decimals: Vec<(i64, Decimal)> = entries
            .iter()
            .map(|&(day, mantissa)| (day, Decimal::try_new(mantissa, scale).unwrap()))
            .collect();
        let expected = rfm_of_days(F, settings, &mut decimals).map(|(_, rfm)| rfm);
        match rfm_at_one_scale(settings, &entries, scale) {
            Some(ours) => prop_assert_eq!(exact(&Ok(ours)), exact(&expected)),
            // Only large amounts (a sum past 64 bits, a mean past 16 places or past the 28
            // digits of a `Decimal` at 16 places) leave it to the Decimal path: amounts of up to
            // five digits at most 16 places always take the 64-bit one.
            None => prop_assert!(
                scale > 16 || entries.iter().any(|&(_, mantissa)| mantissa.unsigned_abs() >= 100_000)
            ),
        }
    }
}

proptest! {
    #[test]
    fn dropping_trailing_zeros_is_normalizing(
        mantissa in prop_oneof![any::<i64>(), (-1_000i64..1_000).prop_map(|m| m * 10i64.pow(12))],
        places in 0u32..=28,
    ) {
        let expected = Decimal::try_new(mantissa, places).unwrap().normalize();
        let (ours, ours_places) = without_trailing_zeros(mantissa, places);
        prop_assert_eq!((i128::from(ours), ours_places), (expected.mantissa(), expected.scale()));
    }
}
