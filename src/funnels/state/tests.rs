//! Unit and property tests of the funnel math.
use super::*;
use crate::common::keys::{key_from_bigint, KeyKind};
use proptest::prelude::*;

const F: &str = "crm.window_funnel";
const HOUR: i64 = 3_600_000_000;
const DAY: i64 = 24 * HOUR;

fn setting(window: i64, mode: Mode) -> Setting {
    Setting { window, mode }
}

/// The level of one group's events (time, step) in any order.
fn level(events: &[(i64, u8)], window: i64, mode: Mode) -> u8 {
    let mut state = FunnelState::new();
    for &(time, step) in events {
        state
            .add(F, setting(window, mode), Event { time, step })
            .unwrap();
    }
    state.level().unwrap()
}

fn levels(events: &[(i64, u8)], window: i64) -> [u8; 4] {
    Mode::ALL.map(|mode| level(events, window, mode))
}

/// ClickHouse's documented example: a phone bought in January-February 2019 (events 1003,
/// 1009, 1007, 1010 as steps 1..4, rows out of time order), window 6048000000000000 seconds
/// (here the largest window an interval holds): level 4 in every mode.
#[test]
fn documented_phone_example() {
    let at = |day: i64, hour: i64| (6967 + day) * DAY + hour * HOUR; // 2019-01-28 + day
    let events = [(at(1, 10), 1), (at(3, 9), 3), (at(2, 8), 2), (at(4, 8), 4)];
    assert_eq!(levels(&events, i64::MAX), [4, 4, 4, 4]);
    // A one-day window stops the chain after step 1: step 2 comes 22 hours later, step 3 47.
    assert_eq!(levels(&events, DAY), [2, 2, 2, 2]);
}

/// The documented meaning of the modes: 'strict_order' stops A->B->D->C at D (level 2);
/// 'strict_deduplication' stops A->B->C->B->D at the second B (level 3).
#[test]
fn documented_modes() {
    let abdc = [(1, 1), (2, 2), (3, 4), (4, 3)];
    assert_eq!(levels(&abdc, HOUR), [3, 2, 3, 3]);
    let abcbd = [(1, 1), (2, 2), (3, 3), (4, 2), (5, 4)];
    assert_eq!(levels(&abcbd, HOUR), [4, 4, 3, 4]);
}

#[test]
fn strict_increase_needs_later_steps() {
    let same_time = [(10, 1), (10, 2), (20, 3)];
    assert_eq!(levels(&same_time, HOUR), [3, 3, 3, 1]);
}

#[test]
fn other_events_matter_to_strict_order_only() {
    let events = [(1, 1), (2, 0), (3, 2)];
    assert_eq!(levels(&events, HOUR), [2, 1, 2, 2]);
    // Before the first step-1 event an other event changes nothing.
    assert_eq!(levels(&[(0, 0), (1, 1), (3, 2)], HOUR), [2, 2, 2, 2]);
    // Only other events: level 0, not NULL.
    assert_eq!(levels(&[(0, 0)], HOUR), [0, 0, 0, 0]);
}

#[test]
fn the_window_is_inclusive_and_restarts_with_step_one() {
    assert_eq!(level(&[(0, 1), (HOUR, 2)], HOUR, Mode::Ordered), 2);
    assert_eq!(level(&[(0, 1), (HOUR + 1, 2)], HOUR, Mode::Ordered), 1);
    // A later step 1 starts a chain that reaches step 2 in time.
    assert_eq!(
        level(&[(0, 1), (HOUR, 1), (2 * HOUR, 2)], HOUR, Mode::Ordered),
        2
    );
    // Ties order by step: step 2 at the same instant as step 1 follows it.
    assert_eq!(level(&[(5, 2), (5, 1)], HOUR, Mode::Ordered), 2);
}

#[test]
fn the_times_come_from_the_chain_that_first_got_furthest() {
    let mut walker = Walker::default();
    // Chain A: 1 at 0, 2 at 10 (level 2). Chain B: 1 at 100, 2 at 105, 3 at 107 (level 3).
    let events = [
        (0, 1),
        (10, 2),
        (100, 1),
        (105, 2),
        (107, 3),
        (200, 1),
        (201, 2),
    ];
    let outcome = walker.walk(events.into_iter(), setting(50, Mode::Ordered));
    assert_eq!(outcome.level, 3);
    assert_eq!(&outcome.times[..3], &[100, 105, 107]);
    // Two chains reach level 2: the earlier one's times are kept.
    let events = [(0, 1), (10, 2), (100, 1), (101, 2)];
    let outcome = walker.walk(events.into_iter(), setting(50, Mode::Ordered));
    assert_eq!((outcome.level, &outcome.times[..2]), (2, &[0, 10][..]));
    // Step 2 twice before step 3: the chain's time to step 2 is the earlier one.
    let events = [(0, 1), (1, 2), (5, 2), (6, 3)];
    let outcome = walker.walk(events.into_iter(), setting(50, Mode::Ordered));
    assert_eq!(&outcome.times[..3], &[0, 1, 6]);
    // Under strict_increase, step 3 at the instant of the first step 2 cannot follow it.
    let events = [(0, 1), (1, 2), (1, 3), (2, 2), (3, 3)];
    let outcome = walker.walk(events.into_iter(), setting(50, Mode::StrictIncrease));
    assert_eq!(&outcome.times[..3], &[0, 1, 3]);
    let outcome = walker.walk(events.into_iter(), setting(50, Mode::Ordered));
    assert_eq!(&outcome.times[..3], &[0, 1, 1]);
}

#[test]
fn bad_arguments_are_22023() {
    assert!(
        matches!(check_step(F, 33), Err(MetricError::InvalidParameter(m)) if m.contains("step 33"))
    );
    assert!(check_step(F, -1).is_err());
    assert_eq!(check_step(F, 32), Ok(32));
    assert!(window_micros(F, 1, 0, 0).is_err());
    assert!(window_micros(F, 0, 0, 0).is_err());
    assert!(window_micros(F, 0, -1, 0).is_err());
    assert_eq!(window_micros(F, 0, 30, 0), Ok(30 * DAY));
    assert!(Mode::parse(F, "strict").is_err());
    assert_eq!(Mode::parse(F, "Strict_Order"), Ok(Mode::StrictOrder));
    assert!(matches!(
        check_time(F, i64::MAX),
        Err(MetricError::DatetimeOverflow(_))
    ));
    let mut state = FunnelState::new();
    state
        .add(F, setting(HOUR, Mode::Ordered), Event { time: 0, step: 1 })
        .unwrap();
    assert!(state
        .add(F, setting(DAY, Mode::Ordered), Event { time: 0, step: 1 })
        .is_err());
    assert!(state
        .add(
            F,
            setting(HOUR, Mode::StrictOrder),
            Event { time: 0, step: 1 }
        )
        .is_err());
}

#[test]
fn state_forms() {
    let mut state = FunnelState::new();
    assert_eq!(state.level(), None);
    assert_eq!(
        state.to_text().unwrap(),
        r#"{"version":1,"window_us":null,"mode":null,"events":[]}"#
    );
    for (time, step) in [(DAY, 2), (0, 1), (0, 0)] {
        state
            .add(F, setting(DAY, Mode::StrictOrder), Event { time, step })
            .unwrap();
    }
    let text = state.to_text().unwrap();
    assert_eq!(
        text,
        r#"{"version":1,"window_us":86400000000,"mode":"strict_order","events":[["2000-01-01 00:00:00+00",0],["2000-01-01 00:00:00+00",1],["2000-01-02 00:00:00+00",2]]}"#
    );
    let bytes = state.encode().unwrap();
    assert_eq!(
        FunnelState::from_text(&text).unwrap().encode().unwrap(),
        bytes
    );
    assert_eq!(
        FunnelState::decode(&bytes).unwrap().to_text().unwrap(),
        text
    );
    assert!(FunnelState::from_text(
        r#"{"version":1,"window_us":5,"mode":"ordered","events":[["2000-01-01 00:00:00+00",0]]}"#
    )
    .is_err());
    assert!(
        FunnelState::from_text(r#"{"version":1,"window_us":0,"mode":"ordered","events":[]}"#)
            .is_err()
    );
}

/// Events at the two ends of the timestamp range are more than `i64::MAX` microseconds apart:
/// the binary form reads them back as the text form does, and a gap past the range is refused.
#[test]
fn state_forms_span_the_whole_timestamp_range() {
    use crate::common::civil::{END_TIMESTAMP, MIN_TIMESTAMP};
    let mut state = FunnelState::new();
    for (time, step) in [(MIN_TIMESTAMP, 1), (END_TIMESTAMP - 1, 2)] {
        state
            .add(F, setting(1, Mode::Ordered), Event { time, step })
            .unwrap();
    }
    let text = state.to_text().unwrap();
    let bytes = state.encode().unwrap();
    assert_eq!(
        FunnelState::decode(&bytes).unwrap().to_text().unwrap(),
        text
    );
    assert_eq!(
        FunnelState::from_text(&text).unwrap().encode().unwrap(),
        bytes
    );
    assert_eq!(FunnelState::decode(&bytes).unwrap().level(), Some(1));
    // The same form written by hand, with the second time given as its gap from the first:
    // the real gap reads back, a gap past the last representable instant does not.
    let form = |gap: u64| {
        let mut writer = crate::common::codec::Writer::with_version(FORMAT_VERSION);
        writer.u8(1).i64(1).u8(Mode::Ordered.code()).u64(2);
        writer.u64(MIN_TIMESTAMP as u64).u8(1).u64(gap).u8(2);
        writer.finish(F).unwrap()
    };
    let gap = (END_TIMESTAMP - 1).abs_diff(MIN_TIMESTAMP);
    assert!(gap > i64::MAX as u64);
    assert_eq!(form(gap), bytes);
    let past = i64::MAX.abs_diff(MIN_TIMESTAMP) + 1;
    assert!(FunnelState::decode(&form(past)).is_err());
}

fn summary_of(rows: &[(i64, i64, u8)], mode: Mode) -> FunnelSummary {
    let mut summary = FunnelSummary::new(KeyKind::BigInt);
    for &(id, time, step) in rows {
        summary
            .add(
                F,
                key_from_bigint(id),
                setting(10, mode),
                Event { time, step },
            )
            .unwrap();
    }
    summary
}

/// Entity 1: steps 1, 2, 3 (times 0, 4, 6); 2: steps 1, 2 (times 10, 12); 3: step 1 only;
/// 4: step 2 only (level 0); 5: step 1 then step 2 too late (with a window of 10).
const FIVE_ENTITIES: [(i64, i64, u8); 9] = [
    (1, 0, 1),
    (1, 4, 2),
    (1, 6, 3),
    (2, 10, 1),
    (2, 12, 2),
    (3, 0, 1),
    (4, 0, 2),
    (5, 0, 1),
    (5, 11, 2),
];

#[test]
fn steps_count_entities_and_take_the_lower_median() {
    let mut summary = summary_of(&FIVE_ENTITIES, Mode::Ordered)
        .finished(F)
        .unwrap();
    let steps = summary.step_rows("crm.funnel_steps").unwrap();
    let row = |step: u8, entities: u64, previous: f64, first: f64, median: i64| StepRow {
        step,
        entities,
        conversion_from_previous: Some(previous),
        conversion_from_first: Some(first),
        median_time_from_first: Some(median),
    };
    assert_eq!(
        steps,
        vec![
            row(1, 4, 1.0, 1.0, 0),
            row(2, 2, 0.5, 0.5, 2),
            row(3, 1, 0.5, 0.25, 6)
        ]
    );
    assert_eq!(
        summary.to_text().unwrap(),
        r#"{"version":1,"key":"bigint","window_us":10,"mode":"ordered","steps":3,"events":[],"entities":[["1",[0,4,6]],["2",[0,2]],["3",[0]],["5",[0]]]}"#
    );
    // Nobody reaches step 1: no ratios, no medians.
    let nobody = summary_of(&[(1, 0, 2)], Mode::Ordered).finished(F).unwrap();
    assert_eq!(
        nobody.step_rows("crm.funnel_steps").unwrap(),
        vec![
            StepRow {
                step: 1,
                entities: 0,
                conversion_from_previous: None,
                conversion_from_first: None,
                median_time_from_first: None
            },
            StepRow {
                step: 2,
                entities: 0,
                conversion_from_previous: None,
                conversion_from_first: None,
                median_time_from_first: None
            },
        ]
    );
}

#[test]
fn finished_form_counts_results_of_any_width() {
    // At most 300 results announced (two bytes of count), from none to 300 (one, two bytes),
    // keys of both halves.
    for (reaching, high) in [(0u64, false), (100, false), (150, true), (150, false)] {
        let mut summary = FunnelSummary::new(KeyKind::Uuid);
        for id in 0..150u64 {
            let key = if high {
                u128::from(id) << 70
            } else {
                u128::from(id)
            };
            let first = if id < reaching { 1 } else { 2 };
            let event = |time, step| Event { time, step };
            let setting = setting(10, Mode::Ordered);
            summary.add(F, key, setting, event(1, first)).unwrap();
            summary.add(F, key, setting, event(2, 2)).unwrap();
        }
        let form = summary.clone().finished_form(F).unwrap();
        assert_eq!(form, summary.finished(F).unwrap().encode().unwrap());
    }
}

#[test]
fn rollup_keeps_one_copy_and_refuses_split_entities() {
    let one = summary_of(&[(1, 0, 1), (1, 3, 2), (2, 0, 1)], Mode::Ordered)
        .finished(F)
        .unwrap();
    // The same summary twice: each entity once.
    let mut twice = one.clone();
    twice.merge(F, &one).unwrap();
    assert_eq!(twice.finished(F).unwrap(), one);
    // A partial state holding copies (as a parallel worker's rollup does) is a value too.
    let text = twice.to_text().unwrap();
    assert_eq!(
        text,
        r#"{"version":1,"key":"bigint","window_us":10,"mode":"ordered","steps":2,"events":[],"entities":[["1",[0,3]],["1",[0,3]],["2",[0]],["2",[0]]]}"#
    );
    let mut decoded = FunnelSummary::decode(&twice.encode().unwrap()).unwrap();
    assert_eq!(decoded.to_text().unwrap(), text);
    assert_eq!(
        FunnelSummary::from_text(&text)
            .unwrap()
            .finished(F)
            .unwrap(),
        one
    );
    // Entity 1 with another result (its events split between summaries): 22023.
    let mut split = one.clone();
    split
        .merge(
            F,
            &summary_of(&[(1, 5, 1)], Mode::Ordered).finished(F).unwrap(),
        )
        .unwrap();
    assert!(
        matches!(split.finished(F), Err(MetricError::InvalidParameter(m)) if m.contains("entity 1"))
    );
    let mut copies = FunnelSummary::decode(&split.encode().unwrap()).unwrap();
    assert_eq!(
        FunnelSummary::from_text(&copies.to_text().unwrap())
            .unwrap()
            .encode()
            .unwrap(),
        split.encode().unwrap()
    );
    let other = summary_of(&[(1, 0, 1)], Mode::StrictOrder);
    assert!(one.clone().merge(F, &other).is_err());
}

fn mode() -> impl Strategy<Value = Mode> {
    prop::sample::select(Mode::ALL.to_vec())
}

fn event() -> impl Strategy<Value = (i64, i64, u8)> {
    (0i64..4, 0i64..30, 0u8..5)
}

/// Splits `rows` into parts by the given cut points.
fn split<T: Clone>(rows: &[T], cuts: &[usize]) -> Vec<Vec<T>> {
    let mut cuts: Vec<usize> = cuts.iter().map(|c| c % (rows.len() + 1)).collect();
    cuts.sort_unstable();
    let mut parts = Vec::new();
    let mut start = 0;
    for cut in cuts {
        parts.push(rows[start..cut].to_vec());
        start = cut;
    }
    parts.push(rows[start..].to_vec());
    parts
}

proptest! {
    #[test]
    fn a_state_merged_from_parts_equals_one_pass(
        rows in prop::collection::vec(event(), 0..60),
        cuts in prop::collection::vec(0usize..64, 0..4),
        mode in mode(),
        reversed in any::<bool>(),
    ) {
        let state_of = |rows: &[(i64, i64, u8)]| {
            let mut state = FunnelState::new();
            for &(_, time, step) in rows {
                state.add(F, setting(10, mode), Event { time, step }).unwrap();
            }
            state
        };
        let mut whole = state_of(&rows);
        let mut parts: Vec<FunnelState> = split(&rows, &cuts).iter().map(|p| state_of(p)).collect();
        if reversed {
            parts.reverse();
        }
        let mut merged = FunnelState::new();
        for part in &parts {
            merged.merge(F, part).unwrap();
        }
        prop_assert_eq!(merged.encode().unwrap(), whole.encode().unwrap());
        prop_assert_eq!(merged.level(), whole.level());
        let text = whole.to_text().unwrap();
        prop_assert_eq!(FunnelState::from_text(&text).unwrap().encode().unwrap(), whole.encode().unwrap());
        prop_assert_eq!(FunnelState::decode(&whole.encode().unwrap()).unwrap().to_text().unwrap(), text);
    }

    #[test]
    fn a_summary_merged_from_parts_equals_one_pass(
        rows in prop::collection::vec(event(), 0..60),
        cuts in prop::collection::vec(0usize..64, 0..4),
        mode in mode(),
        reversed in any::<bool>(),
    ) {
        let rows_in = rows.clone();
        let mut whole = summary_of(&rows, mode);
        let mut parts: Vec<FunnelSummary> = split(&rows, &cuts).iter().map(|p| summary_of(p, mode)).collect();
        if reversed {
            parts.reverse();
        }
        // Merging is associative: (a + b) + c = a + (b + c).
        let mut left = FunnelSummary::new(KeyKind::BigInt);
        for part in &parts {
            left.merge(F, part).unwrap();
        }
        let mut right = FunnelSummary::new(KeyKind::BigInt);
        for part in parts.iter().rev() {
            let mut next = part.clone();
            next.merge(F, &right).unwrap();
            right = next;
        }
        prop_assert_eq!(left.encode().unwrap(), whole.encode().unwrap());
        prop_assert_eq!(right.encode().unwrap(), whole.encode().unwrap());
        // Partial states round-trip in both forms.
        let text = whole.to_text().unwrap();
        prop_assert_eq!(FunnelSummary::from_text(&text).unwrap().encode().unwrap(), whole.encode().unwrap());
        prop_assert_eq!(FunnelSummary::decode(&whole.encode().unwrap()).unwrap().to_text().unwrap(), text);
        // The final function's form is that of the finished summary.
        prop_assert_eq!(left.clone().finished_form(F).unwrap(), left.clone().finished(F).unwrap().encode().unwrap());
        // Each entity's level is that of crm.window_funnel over its rows.
        let mut left = left.finished(F).unwrap();
        let mut whole = whole.finished(F).unwrap();
        prop_assert_eq!(left.encode().unwrap(), whole.encode().unwrap());
        for id in 0..4 {
            let own: Vec<(i64, u8)> = rows.iter().filter(|r| r.0 == id).map(|r| (r.1, r.2)).collect();
            let reached = whole.reached.iter().filter(|r| r.key() == key_from_bigint(id)).count();
            if !own.is_empty() {
                prop_assert_eq!(reached, usize::from(level(&own, 10, mode)));
            }
        }
        // Finished summaries of disjoint entity sets roll up to the whole one.
        let by_entity: Vec<FunnelSummary> = (0..4)
            .map(|id| {
                let own: Vec<_> = rows.iter().copied().filter(|r| r.0 == id).collect();
                summary_of(&own, mode).finished(F).unwrap()
            })
            .collect();
        let mut rolled = FunnelSummary::new(KeyKind::BigInt);
        for summary in &by_entity {
            rolled.merge(F, summary).unwrap();
        }
        // A summary rolled up twice is the summary; the partial state round-trips.
        let mut doubled = rolled.clone();
        doubled.merge(F, &rolled).unwrap();
        let text = doubled.to_text().unwrap();
        prop_assert_eq!(FunnelSummary::from_text(&text).unwrap().encode().unwrap(), doubled.encode().unwrap());
        prop_assert_eq!(FunnelSummary::decode(&doubled.encode().unwrap()).unwrap().to_text().unwrap(), text);
        prop_assert_eq!(doubled.clone().finished_form(F).unwrap(), rolled.clone().finished(F).unwrap().encode().unwrap());
        let mut rolled = rolled.finished(F).unwrap();
        prop_assert_eq!(doubled.finished(F).unwrap().encode().unwrap(), rolled.encode().unwrap());
        // crm.funnel_steps reads a finished summary in one pass, copies and events the long way.
        let rows = rolled.step_rows("crm.funnel_steps").unwrap();
        prop_assert!(forms::finished_times("crm.funnel_steps", &rolled.encode().unwrap()).unwrap().is_some());
        prop_assert_eq!(FunnelSummary::step_rows_of_binary(F, &rolled.encode().unwrap()).unwrap(), rows.clone());
        if !rolled.reached.is_empty() {
            prop_assert!(forms::finished_times("crm.funnel_steps", &doubled.encode().unwrap()).unwrap().is_none());
        }
        prop_assert_eq!(FunnelSummary::step_rows_of_binary(F, &doubled.encode().unwrap()).unwrap(), rows.clone());
        prop_assert_eq!(FunnelSummary::step_rows_of_binary(F, &summary_of(&rows_in, mode).encode().unwrap()).unwrap(), rows);
        prop_assert_eq!(rolled.encode().unwrap(), whole.encode().unwrap());
        let text = whole.to_text().unwrap();
        prop_assert_eq!(FunnelSummary::from_text(&text).unwrap().encode().unwrap(), whole.encode().unwrap());
        prop_assert_eq!(FunnelSummary::decode(&whole.encode().unwrap()).unwrap().to_text().unwrap(), text);
    }
}

/// `crm.funnel_steps`'s one-pass reading of a finished summary answers exactly as decoding,
/// finishing and reading it, for every value: each byte of a finished summary's form (with and
/// without pending events, with copies of entities) changed to other values.
#[test]
fn step_rows_of_binary_answer_as_the_long_way() {
    let long_way = |bytes: &[u8]| {
        FunnelSummary::decode(bytes)
            .and_then(|summary| summary.into_finished(F))
            .map(|summary| summary.step_rows("crm.funnel_steps").unwrap())
    };
    let mut pending = summary_of(&FIVE_ENTITIES, Mode::Ordered);
    let mut finished = pending.finished(F).unwrap();
    let mut doubled = finished.clone();
    doubled.merge(F, &finished.clone()).unwrap();
    let mut read_in_one_pass = 0;
    for mut bytes in [
        finished.encode().unwrap(),
        pending.encode().unwrap(),
        doubled.encode().unwrap(),
    ] {
        for at in 0..bytes.len() {
            let original = bytes[at];
            for value in [0u8, 1, 2, 3, 0x7f, 0x80, 0xff, original.wrapping_add(1)] {
                bytes[at] = value;
                if forms::finished_times("crm.funnel_steps", &bytes)
                    .unwrap()
                    .is_some()
                {
                    read_in_one_pass += 1;
                }
                assert_eq!(
                    FunnelSummary::step_rows_of_binary(F, &bytes),
                    long_way(&bytes),
                    "byte {at} set to {value}"
                );
            }
            bytes[at] = original;
        }
        assert_eq!(
            FunnelSummary::step_rows_of_binary(F, &bytes),
            long_way(&bytes)
        );
        // Cut short.
        for end in 0..bytes.len() {
            assert_eq!(
                FunnelSummary::step_rows_of_binary(F, &bytes[..end]),
                long_way(&bytes[..end])
            );
        }
    }
    assert!(read_in_one_pass > 0);
    // Without a usable row.
    let mut empty = FunnelSummary::new(KeyKind::Text);
    assert_eq!(
        FunnelSummary::step_rows_of_binary(F, &empty.encode().unwrap()),
        Ok(Vec::new())
    );
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}

#[test]
fn golden_binary_forms() {
    // Pinned so that a change of the stored forms is never silent.
    let mut state = FunnelState::new();
    for (time, step) in [(HOUR, 2), (0, 1), (0, 0)] {
        state
            .add(F, setting(DAY, Mode::StrictOrder), Event { time, step })
            .unwrap();
    }
    assert_eq!(
        hex(&state.encode().unwrap()),
        "01018080bbdd830501030000000180c8ceb40d02"
    );
    let mut summary = summary_of(&[(42, 0, 1), (42, 4, 2), (7, 1, 1)], Mode::Ordered);
    assert_eq!(
        hex(&summary.encode().unwrap()),
        "0100011400020307010123000100040200"
    );
    assert_eq!(
        hex(&summary.finished(F).unwrap().encode().unwrap()),
        "0100011400020003070100230100000208"
    );
}

/// The walk as it was written first (kept as the reference the walk must answer as): every
/// level's chain with all its step times, the outcome's times those of the chain that first
/// reached the final level, then replaced by the earliest events of that chain.
fn reference_walk(events: &[(i64, u8)], setting: Setting) -> (u8, Vec<i64>) {
    let Setting { window, mode } = setting;
    let levels = usize::from(MAX_STEP);
    let mut chains: Vec<Option<(i64, i64)>> = vec![None; levels];
    let mut paths: Vec<Vec<i64>> = vec![Vec::new(); levels];
    let mut level = 0usize;
    let mut times: Vec<i64> = Vec::new();
    let mut started = false;
    for &(time, step) in events {
        let Some(index) = usize::from(step).checked_sub(1) else {
            if mode == Mode::StrictOrder && started {
                break;
            }
            continue;
        };
        if index == 0 {
            chains[0] = Some((time, time));
            paths[0] = vec![time];
            started = true;
            if level == 0 {
                level = 1;
                times = vec![time];
            }
            continue;
        }
        if mode == Mode::StrictDeduplication && chains[index].is_some() {
            break;
        }
        let Some((start, last)) = chains[index - 1] else {
            if mode == Mode::StrictOrder && started {
                break;
            }
            continue;
        };
        let mut matched = i128::from(time) <= i128::from(start) + i128::from(window);
        if mode == Mode::StrictIncrease {
            matched = matched && last < time;
        }
        if !matched {
            continue;
        }
        chains[index] = Some((start, time));
        let mut path = paths[index - 1].clone();
        path.push(time);
        paths[index] = path;
        if level <= index {
            level = index + 1;
            times = paths[index].clone();
            if level == levels {
                break;
            }
        }
    }
    if level >= 3 {
        // The earliest events of the chain, if they reach the level (they always do).
        let end = i128::from(times[0]) + i128::from(window);
        let mut earliest = vec![times[0]];
        for &(time, step) in events {
            if earliest.len() == level {
                break;
            }
            let previous = earliest[earliest.len() - 1];
            let after = if mode == Mode::StrictIncrease {
                time > previous
            } else {
                time >= previous
            };
            if usize::from(step) == earliest.len() + 1 && after && i128::from(time) <= end {
                earliest.push(time);
            }
        }
        if earliest.len() == level {
            times = earliest;
        }
    }
    (level as u8, times)
}

/// Streams of one entity: steps 0..=`steps` at times with ties, repeats and steps out of
/// order; windows short and long (and the largest, whose chain ends saturate).
fn stream(steps: u8) -> impl Strategy<Value = (Vec<(i64, u8)>, i64)> {
    (
        prop::collection::vec((0i64..40, 0u8..=steps), 0..40),
        prop::sample::select(vec![1i64, 3, 10, 25, i64::MAX]),
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]
    #[test]
    fn the_walk_answers_as_the_reference_walk(
        (mut events, window) in stream(6),
        far in prop::collection::vec((0i64..3, 0u8..=32), 0..8),
        shift in prop::sample::select(vec![0i64, 1 << 40, -(1 << 60)]),
        mode in mode(),
    ) {
        // Some events of high steps (up to 32), times shifted far from zero.
        events.extend(far);
        let mut events: Vec<(i64, u8)> = events.into_iter().map(|(t, s)| (t + shift, s)).collect();
        events.sort_unstable();
        let setting = setting(window, mode);
        let expected = reference_walk(&events, setting);
        // One walker for many entities (buffers reused), and a fresh one.
        let mut walker = Walker::for_steps(MAX_STEP);
        for _ in 0..2 {
            let outcome = walker.walk(events.iter().copied(), setting);
            prop_assert_eq!(outcome.level, expected.0);
            prop_assert_eq!(&outcome.times[..usize::from(outcome.level)], &expected.1[..]);
        }
        prop_assert_eq!(Walker::default().walk(events.iter().copied(), setting).level, expected.0);
    }

    #[test]
    fn a_walk_of_all_32_steps_answers_as_the_reference_walk(
        steps in prop::collection::vec(1u8..=32, 0..80),
        gaps in prop::collection::vec(0i64..2, 80),
        mode in mode(),
    ) {
        // Mostly ascending steps, so that chains get long (up to the 32nd level).
        let mut time = 0;
        let mut events: Vec<(i64, u8)> = steps
            .iter()
            .enumerate()
            .map(|(index, &step)| {
                time += gaps[index];
                (time, if index % 3 == 0 { step } else { (index as u8 % 32) + 1 })
            })
            .collect();
        events.sort_unstable();
        let setting = setting(100, mode);
        let expected = reference_walk(&events, setting);
        let outcome = Walker::default().walk(events.iter().copied(), setting).clone();
        prop_assert_eq!(outcome.level, expected.0);
        prop_assert_eq!(&outcome.times[..usize::from(outcome.level)], &expected.1[..]);
    }
}

/// Wide varints in a finished form (uuid keys of 128 bits, times from step 1 of 9 and 10
/// bytes): `crm.funnel_steps` reads keys of up to 18 bytes and times of up to 9 in one pass,
/// the rest the long way, answering the same.
#[test]
fn step_rows_of_wide_varints_answer_as_the_long_way() {
    let long_way = |bytes: &[u8]| {
        FunnelSummary::decode(bytes)
            .and_then(|summary| summary.into_finished(F))
            .map(|summary| summary.step_rows("crm.funnel_steps").unwrap())
    };
    // Times 2^57 (9 bytes once zigzagged) and 2^62 (10 bytes) after step 1.
    for (far, one_pass) in [(1i64 << 57, true), (1 << 62, false)] {
        let mut summary = FunnelSummary::new(KeyKind::Uuid);
        for id in 0..4u128 {
            let key = id << 120 | id << 64 | id;
            // From Postgres's earliest instant, so that 2^62 µs later is still one.
            let start = crate::common::civil::MIN_TIMESTAMP + id as i64;
            for (time, step) in [(start, 1), (start + 5, 2), (start + far, 3)] {
                summary
                    .add(
                        F,
                        key,
                        setting(i64::MAX, Mode::Ordered),
                        Event { time, step },
                    )
                    .unwrap();
            }
        }
        let mut finished = summary.finished(F).unwrap();
        let mut bytes = finished.encode().unwrap();
        assert_eq!(
            forms::finished_times("crm.funnel_steps", &bytes)
                .unwrap()
                .is_some(),
            one_pass
        );
        assert_eq!(
            FunnelSummary::step_rows_of_binary(F, &bytes),
            long_way(&bytes)
        );
        assert_eq!(
            FunnelSummary::step_rows_of_binary(F, &bytes).unwrap()[2].entities,
            4
        );
        for at in 0..bytes.len() {
            let original = bytes[at];
            for value in [0u8, 1, 0x7f, 0x80, 0xff, original.wrapping_add(1)] {
                bytes[at] = value;
                assert_eq!(
                    FunnelSummary::step_rows_of_binary(F, &bytes),
                    long_way(&bytes),
                    "byte {at} set to {value}"
                );
            }
            bytes[at] = original;
        }
    }
}
