//! Property tests that every family's combine is associative and commutative and that any
//! three-way split merged in any order equals one pass, and that the text and binary forms of
//! every summary and model type round-trip. They complete the per-family properties
//! next to each state (which cover the two-way split of each, and the cohort, customer and NPS
//! merges in full).
use proptest::prelude::*;
use rust_decimal::Decimal;

use crate::clv::state::bgbb::BgBbModel;
use crate::clv::state::bgnbd::BgNbdModel;
use crate::clv::state::gamma_gamma::GammaGammaModel;
use crate::clv::state::rows::{float_word, WeightedRows};
use crate::clv::state::sbg::SbgModel;
use crate::clv::state::simple::RfmState;
use crate::common::keys::{key_from_bigint, KeyKind};
use crate::common::periods::{period_start_date, Period};
use crate::common::tz::Zone;
use crate::funnels::state::{Event, FunnelState, FunnelSummary, Mode, Setting};
use crate::pipeline::state::PipelineSummary;
use crate::ratios::state::ShareCounts;
use crate::revenue::state::MrrSummary;
use crate::service::state::calendar::Calendar;
use crate::service::state::tickets::{ServiceSummary, Ticket, TimeKind};
use crate::survey::state::CsatCounts;
use crate::survival::state::SurvivalSummary;

const F: &str = "crm.test";
const DAY: i64 = 86_400_000_000;

/// Rows dealt to three parts by `parts` (one part index per row, cycled).
fn deal<T: Clone>(rows: &[T], parts: &[usize]) -> [Vec<T>; 3] {
    let mut dealt = [Vec::new(), Vec::new(), Vec::new()];
    for (i, row) in rows.iter().enumerate() {
        dealt[parts[i % parts.len()] % 3].push(row.clone());
    }
    dealt
}

/// Checks, for the states built from three parts: (a·b)·c = a·(b·c) = c·b·a = one pass, and
/// a·b = b·a, comparing what `key` reads from a state.
fn check_merges<S: Clone, K: PartialEq + std::fmt::Debug>(
    parts: [S; 3],
    whole: &S,
    merge: impl Fn(&mut S, &S),
    key: impl Fn(&S) -> K,
) -> Result<(), TestCaseError> {
    let [a, b, c] = parts;
    let mut left = a.clone();
    merge(&mut left, &b);
    merge(&mut left, &c);
    let mut bc = b.clone();
    merge(&mut bc, &c);
    let mut right = a.clone();
    merge(&mut right, &bc);
    let mut reversed = c.clone();
    merge(&mut reversed, &b);
    merge(&mut reversed, &a);
    let expected = key(whole);
    prop_assert_eq!(key(&left), key(whole));
    prop_assert_eq!(key(&right), key(whole));
    prop_assert_eq!(key(&reversed), expected);
    let mut ab = a.clone();
    merge(&mut ab, &b);
    let mut ba = b;
    merge(&mut ba, &a);
    prop_assert_eq!(key(&ab), key(&ba));
    Ok(())
}

fn parts() -> impl Strategy<Value = Vec<usize>> {
    prop::collection::vec(0usize..3, 1..16)
}

/// An opportunity: amount in cents, created day, days to close (open when None), won.
fn opportunity() -> impl Strategy<Value = (i64, i64, Option<i64>, bool)> {
    (
        0i64..10_000_000,
        0i64..2_000,
        prop::option::of(0i64..400),
        any::<bool>(),
    )
}

fn pipeline_of(rows: &[(i64, i64, Option<i64>, bool)]) -> PipelineSummary {
    let mut summary = PipelineSummary::default();
    for &(cents, created, days, won) in rows {
        let closed = days.map(|d| created * DAY + d * DAY / 7);
        let won = days.map(|_| won);
        summary
            .add(F, Decimal::new(cents, 2), created * DAY, closed, won)
            .unwrap();
    }
    summary
}

/// A funnel event: entity, time (hours), step (0 another event).
fn funnel_row() -> impl Strategy<Value = (i64, i64, u8)> {
    (0i64..6, 0i64..48, 0u8..6)
}

const FUNNEL_SETTING: Setting = Setting {
    window: 6 * 3_600_000_000,
    mode: Mode::StrictOrder,
};

fn funnel_state_of(rows: &[(i64, i64, u8)]) -> FunnelState {
    let mut state = FunnelState::new();
    for &(_, hours, step) in rows {
        let event = Event {
            time: hours * 3_600_000_000,
            step,
        };
        state.add(F, FUNNEL_SETTING, event).unwrap();
    }
    state
}

fn funnel_summary_of(rows: &[(i64, i64, u8)]) -> FunnelSummary {
    let mut summary = FunnelSummary::new(KeyKind::BigInt);
    for &(id, hours, step) in rows {
        let event = Event {
            time: hours * 3_600_000_000,
            step,
        };
        summary
            .add(F, key_from_bigint(id), FUNNEL_SETTING, event)
            .unwrap();
    }
    summary
}

/// A month of MRR: customer, month index, amount in cents (0: a month without revenue).
fn mrr_row() -> impl Strategy<Value = (i64, i32, u32)> {
    (0i64..10, 0i32..24, prop_oneof![Just(0u32), 1u32..1_000_000])
}

fn mrr_of(rows: &[(i64, i32, u32)]) -> MrrSummary {
    let mut summary = MrrSummary::new(KeyKind::BigInt);
    for &(id, month, cents) in rows {
        let day = period_start_date(Period::Month, month + 290);
        summary
            .add(
                F,
                key_from_bigint(id),
                day,
                Decimal::new(i64::from(cents), 2),
            )
            .unwrap();
    }
    summary
}

fn ticket() -> impl Strategy<Value = Ticket> {
    (
        prop::option::of(0i64..1_000_000_000),
        prop::option::of(0i64..10_000_000_000),
        prop::option::of(0i32..4),
        any::<bool>(),
    )
        .prop_map(
            |(first_response, resolution, agent_replies, reopened)| Ticket {
                first_response,
                resolution,
                agent_replies,
                reopened,
                waiting_response: None,
                waiting_resolution: None,
            },
        )
}

fn service_of(tickets: &[Ticket]) -> ServiceSummary {
    let mut summary = ServiceSummary::new(TimeKind::Elapsed);
    for ticket in tickets {
        summary.add(F, *ticket).unwrap();
    }
    summary
}

/// A row of a survival summary: duration in microseconds (few distinct ones, so ties), event.
fn survival_row() -> impl Strategy<Value = (i64, bool)> {
    (prop_oneof![1i64..10, 1i64..i64::MAX], any::<bool>())
}

fn survival_of(rows: &[(i64, bool)]) -> SurvivalSummary {
    let mut summary = SurvivalSummary::new();
    for &(duration, event) in rows {
        summary.add(F, duration, event).unwrap();
    }
    summary
}

/// A purchase: day, amount in cents.
fn rfm_of(rows: &[(i64, i64)]) -> RfmState {
    let mut state = RfmState::default();
    for &(day, cents) in rows {
        state
            .add(F, day * DAY + 7, Decimal::new(cents, 2), 400 * DAY, "week")
            .unwrap();
    }
    state
}

fn fit_rows_of(rows: &[(u8, u8, u8)]) -> WeightedRows {
    let mut fit = WeightedRows::default();
    for &(frequency, recency, weight) in rows {
        let key = [
            u64::from(frequency % 5),
            float_word(f64::from(recency % 9)),
            float_word(10.0),
        ];
        fit.add(F, key, u64::from(weight)).unwrap();
    }
    fit
}

/// A business-hours entry: days, start and length in minutes.
fn hours_entry() -> impl Strategy<Value = String> {
    let days = prop::sample::select(vec!["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]);
    (days.clone(), days, 0u32..24 * 60, 1u32..24 * 60).prop_map(|(first, last, start, length)| {
        let end = (start + length) % (24 * 60);
        format!(
            "{first}-{last} {:02}:{:02}-{:02}:{:02}",
            start / 60,
            start % 60,
            end / 60,
            end % 60
        )
    })
}

proptest! {
    #[test]
    fn pipeline_merges_in_any_split_and_order(rows in prop::collection::vec(opportunity(), 0..60), parts in parts()) {
        let dealt = deal(&rows, &parts).map(|part| pipeline_of(&part));
        check_merges(dealt, &pipeline_of(&rows), |a, b| a.merge(F, b).unwrap(), |s| *s)?;
    }

    #[test]
    fn pipeline_forms_round_trip(rows in prop::collection::vec(opportunity(), 0..60)) {
        let summary = pipeline_of(&rows);
        prop_assert_eq!(PipelineSummary::from_text(&summary.to_text().unwrap()).unwrap(), summary);
        prop_assert_eq!(PipelineSummary::decode(&summary.encode().unwrap()).unwrap(), summary);
    }

    #[test]
    fn funnel_state_merges_in_any_split_and_order(rows in prop::collection::vec(funnel_row(), 0..60), parts in parts()) {
        let dealt = deal(&rows, &parts).map(|part| funnel_state_of(&part));
        check_merges(dealt, &funnel_state_of(&rows), |a, b| a.merge(F, b).unwrap(), |s| s.clone().encode().unwrap())?;
    }

    #[test]
    fn funnel_summary_merges_in_any_split_and_order(rows in prop::collection::vec(funnel_row(), 0..60), parts in parts()) {
        let dealt = deal(&rows, &parts).map(|part| funnel_summary_of(&part));
        check_merges(dealt, &funnel_summary_of(&rows), |a, b| a.merge(F, b).unwrap(), |s| {
            s.clone().finished(F).unwrap().encode().unwrap()
        })?;
    }

    #[test]
    fn mrr_merges_in_any_split_and_order(rows in prop::collection::vec(mrr_row(), 0..60), parts in parts()) {
        let dealt = deal(&rows, &parts).map(|part| mrr_of(&part));
        check_merges(dealt, &mrr_of(&rows), |a, b| a.merge(F, b).unwrap(), |s| s.clone().encode().unwrap())?;
    }

    #[test]
    fn mrr_forms_round_trip(rows in prop::collection::vec(mrr_row(), 0..60)) {
        let mut summary = mrr_of(&rows);
        let (text, bytes) = (summary.to_text().unwrap(), summary.encode().unwrap());
        prop_assert_eq!(MrrSummary::from_text(&text).unwrap().encode().unwrap(), bytes.clone());
        let mut decoded = MrrSummary::decode(&bytes).unwrap();
        prop_assert_eq!(decoded.to_text().unwrap(), text);
    }

    #[test]
    fn service_merges_in_any_split_and_order(tickets in prop::collection::vec(ticket(), 0..80), parts in parts()) {
        let dealt = deal(&tickets, &parts).map(|part| service_of(&part));
        check_merges(dealt, &service_of(&tickets), |a, b| a.merge(F, b).unwrap(), |s| s.clone().encode().unwrap())?;
    }

    #[test]
    fn service_forms_round_trip(tickets in prop::collection::vec(ticket(), 0..80)) {
        let mut summary = service_of(&tickets);
        let (text, bytes) = (summary.to_text().unwrap(), summary.encode().unwrap());
        prop_assert_eq!(ServiceSummary::from_text(&text).unwrap().encode().unwrap(), bytes.clone());
        prop_assert_eq!(ServiceSummary::decode(&bytes).unwrap().to_text().unwrap(), text);
    }

    #[test]
    fn survival_merges_in_any_split_and_order(rows in prop::collection::vec(survival_row(), 0..100), parts in parts()) {
        let dealt = deal(&rows, &parts).map(|part| survival_of(&part));
        check_merges(dealt, &survival_of(&rows), |a, b| a.merge(F, b).unwrap(), |s| s.clone().encode().unwrap())?;
    }

    #[test]
    fn survival_forms_round_trip(rows in prop::collection::vec(survival_row(), 0..100)) {
        let mut summary = survival_of(&rows);
        let (text, bytes) = (summary.to_text().unwrap(), summary.encode().unwrap());
        prop_assert_eq!(SurvivalSummary::from_text(&text).unwrap().encode().unwrap(), bytes.clone());
        prop_assert_eq!(SurvivalSummary::decode(&bytes).unwrap().to_text().unwrap(), text);
    }

    #[test]
    fn share_counts_merge_in_any_split_and_order(values in prop::collection::vec(any::<bool>(), 0..100), parts in parts()) {
        let share = |part: &[bool]| {
            let mut counts = ShareCounts::default();
            part.iter().for_each(|&v| assert!(counts.add(v)));
            counts
        };
        let dealt = deal(&values, &parts).map(|part| share(&part));
        check_merges(dealt, &share(&values), |a, b| a.merge("crm.win_rate", b).unwrap(), |s| s.encode().unwrap())?;
    }

    #[test]
    fn csat_merges_in_any_split_and_order(scores in prop::collection::vec(1i32..=5, 0..100), parts in parts()) {
        let csat = |part: &[i32]| {
            let mut counts = CsatCounts::default();
            part.iter().for_each(|&score| assert!(counts.try_add(score)));
            counts
        };
        let dealt = deal(&scores, &parts).map(|part| csat(&part));
        check_merges(dealt, &csat(&scores), |a, b| a.merge("crm.csat", b).unwrap(), |s| s.encode().unwrap())?;
    }

    #[test]
    fn rfm_merges_in_any_split_and_order(rows in prop::collection::vec((0i64..300, 1i64..100_000), 0..40), parts in parts()) {
        let dealt = deal(&rows, &parts).map(|part| rfm_of(&part));
        check_merges(dealt, &rfm_of(&rows), |a, b| a.merge(F, b).unwrap(), |s| s.clone().finish(F).unwrap())?;
    }

    #[test]
    fn fit_rows_merge_in_any_split_and_order(rows in prop::collection::vec((any::<u8>(), any::<u8>(), 1u8..9), 0..60), parts in parts()) {
        let dealt = deal(&rows, &parts).map(|part| fit_rows_of(&part));
        check_merges(dealt, &fit_rows_of(&rows), |a, b| a.merge(F, b).unwrap(), |s| (s.sorted(), s.customers()))?;
    }

    #[test]
    fn model_forms_round_trip(
        parameters in prop::collection::vec(prop_oneof![1e-12f64..1e-3, 1e-3f64..1e3, 1e3f64..1e12], 4),
    ) {
        let [r, alpha, a, b] = [parameters[0], parameters[1], parameters[2], parameters[3]];
        let bgnbd = BgNbdModel::from_parameters(F, r, alpha, a, b).unwrap();
        prop_assert_eq!(BgNbdModel::from_text(&bgnbd.to_text().unwrap()).unwrap(), bgnbd);
        prop_assert_eq!(BgNbdModel::decode(&bgnbd.encode().unwrap()).unwrap(), bgnbd);
        let gamma_gamma = GammaGammaModel::from_parameters(F, r, alpha, a).unwrap();
        let text = gamma_gamma.to_text().unwrap();
        prop_assert_eq!(GammaGammaModel::from_text(&text).unwrap().to_text().unwrap(), text.clone());
        prop_assert_eq!(GammaGammaModel::decode(&gamma_gamma.encode().unwrap()).unwrap().to_text().unwrap(), text);
        let sbg = SbgModel::from_parameters(F, alpha, b).unwrap();
        let text = sbg.to_text().unwrap();
        prop_assert_eq!(SbgModel::from_text(&text).unwrap().to_text().unwrap(), text.clone());
        prop_assert_eq!(SbgModel::decode(&sbg.encode().unwrap()).unwrap().to_text().unwrap(), text);
        let bgbb = BgBbModel::from_parameters(F, r, alpha, a, b).unwrap();
        prop_assert_eq!(BgBbModel::from_text(&bgbb.to_text().unwrap()).unwrap(), bgbb);
        prop_assert_eq!(BgBbModel::decode(&bgbb.encode().unwrap()).unwrap(), bgbb);
    }

    #[test]
    fn calendar_forms_round_trip(
        entries in prop::collection::vec(hours_entry(), 0..4),
        holidays in prop::collection::vec(-2_451_545i32..100_000_000, 0..10),
    ) {
        let utc = |name: &str| {
            assert_eq!(name, "UTC");
            Ok(Zone::utc())
        };
        // Random entries often overlap: those calendars are refused, the others must round-trip.
        if let Ok(calendar) = Calendar::new(F, &entries.join("; "), Zone::utc(), &holidays) {
            prop_assert_eq!(Calendar::from_text(&calendar.to_text().unwrap(), utc).unwrap(), calendar.clone());
            prop_assert_eq!(Calendar::decode(&calendar.encode().unwrap(), utc).unwrap(), calendar);
        }
    }
}
