//! SQL surface of the survey family: `crm.nps`, `crm.nps_agg`, `crm.rollup(crm.nps_summary)`,
//! the summary accessors and `crm.csat`. Aggregates themselves are declared in
//! `sql/survey.sql`; this file holds their support functions.
use super::state::{nps_score_out_of_range, CsatCounts, NpsCounts};
use crate::common::pg::{
    bigint, combine_states, internal_of, new_transient_state, raise_from_raw, raw_arg,
    raw_return_state, raw_return_unchanged, raw_state, state_or_init, state_ref, OrRaise,
};
use pgrx::datum::Internal;
use pgrx::prelude::*;

const NPS: &str = "crm.nps";
const NPS_AGG: &str = "crm.nps_agg";
const NPS_ROLLUP: &str = "crm.rollup";
const CSAT: &str = "crm.csat";

/// Counts of promoters, passives and detractors; text form
/// `{"promoters":250,"passives":675,"detractors":75}`.
#[allow(non_camel_case_types)]
#[derive(PostgresType, Clone, Copy, Debug, PartialEq, Eq)]
#[bikeshed_postgres_type_manually_impl_from_into_datum]
#[inoutfuncs]
pub struct nps_summary(pub NpsCounts);

crate::summary_type!(nps_summary(NpsCounts));

// ---------------------------------------------------------------------------------------------
// NPS transition, inverse, combine, serialize, deserialize and final functions.
// ---------------------------------------------------------------------------------------------

#[inline(always)]
fn nps_remove(mut state: Internal, score: Option<i32>, function: &str) -> Internal {
    if let (Some(score), Some(counts)) = (score, unsafe { state_ref::<NpsCounts>(&mut state) }) {
        counts.remove(function, score).or_raise();
    }
    state
}

/// Per-row step of `crm.nps` and `crm.nps_agg`: count one score.
#[inline(always)]
unsafe fn nps_add(fcinfo: pg_sys::FunctionCallInfo, function: &'static str) -> pg_sys::Datum {
    let Some(score) = (unsafe { raw_arg(fcinfo, 1) }) else {
        return unsafe { raw_return_unchanged(fcinfo) };
    };
    let counts = unsafe { raw_state(fcinfo, function, NpsCounts::default) };
    let score = score.value() as i32;
    if !counts.try_add(score) {
        reject_nps_score(function, score);
    }
    unsafe { raw_return_state(fcinfo, counts) }
}

#[cold]
#[inline(never)]
fn reject_nps_score(function: &str, score: i32) -> ! {
    raise_from_raw(nps_score_out_of_range(function, score))
}

crate::raw_transition! {
    /// Transition function of `crm.nps(integer)`.
    fn crm_nps_trans / pg_finfo_crm_nps_trans (fcinfo) {
        unsafe { nps_add(fcinfo, NPS) }
    }
}

crate::raw_transition! {
    /// Transition function of `crm.nps_agg(integer)`.
    fn crm_nps_agg_trans / pg_finfo_crm_nps_agg_trans (fcinfo) {
        unsafe { nps_add(fcinfo, NPS_AGG) }
    }
}

/// Inverse transition function of `crm.nps(integer)` (window frames).
#[pg_extern(immutable, parallel_safe)]
fn nps_inverse(state: Internal, score: Option<i32>) -> Internal {
    nps_remove(state, score, NPS)
}

/// Inverse transition function of `crm.nps_agg(integer)` (window frames).
#[pg_extern(immutable, parallel_safe)]
fn nps_agg_inverse(state: Internal, score: Option<i32>) -> Internal {
    nps_remove(state, score, NPS_AGG)
}

/// Transition function of `crm.rollup(crm.nps_summary)`.
#[pg_extern(immutable, parallel_safe)]
fn nps_rollup_trans(
    mut state: Internal,
    summary: Option<nps_summary>,
    fcinfo: pg_sys::FunctionCallInfo,
) -> Internal {
    let Some(summary) = summary else { return state };
    let counts = unsafe { state_or_init(&mut state, fcinfo, NPS_ROLLUP, NpsCounts::default) };
    counts.merge(NPS_ROLLUP, &summary.0).or_raise();
    internal_of(counts)
}

/// Inverse transition function of `crm.rollup(crm.nps_summary)` (window frames).
#[pg_extern(immutable, parallel_safe)]
fn nps_rollup_inverse(mut state: Internal, summary: Option<nps_summary>) -> Internal {
    if let (Some(summary), Some(counts)) = (summary, unsafe { state_ref::<NpsCounts>(&mut state) })
    {
        counts.unmerge(NPS_ROLLUP, &summary.0).or_raise();
    }
    state
}

/// Combine function of the NPS aggregates (parallel query).
#[pg_extern(immutable, parallel_safe)]
fn nps_combine(first: Internal, second: Internal, fcinfo: pg_sys::FunctionCallInfo) -> Internal {
    unsafe {
        combine_states::<NpsCounts>(first, second, fcinfo, NPS, |state, other| {
            state.merge(NPS, other).or_raise()
        })
    }
}

/// Serialize function of the NPS aggregates (parallel query).
#[pg_extern(immutable, parallel_safe, strict)]
fn nps_serialize(mut state: Internal) -> Vec<u8> {
    unsafe { state_ref::<NpsCounts>(&mut state) }
        .copied()
        .unwrap_or_default()
        .encode()
}

/// Deserialize function of the NPS aggregates (parallel query).
#[pg_extern(immutable, parallel_safe, strict)]
fn nps_deserialize(bytes: &[u8], _unused: Internal) -> Internal {
    new_transient_state(NpsCounts::decode(bytes).or_raise())
}

/// Final function of `crm.nps(integer)`.
#[pg_extern(immutable, parallel_safe)]
fn nps_final(mut state: Internal) -> Option<f64> {
    unsafe { state_ref::<NpsCounts>(&mut state) }.and_then(|counts| counts.nps())
}

/// Final function of `crm.nps_agg` and `crm.rollup(crm.nps_summary)`.
#[pg_extern(immutable, parallel_safe)]
fn nps_agg_final(mut state: Internal) -> Option<nps_summary> {
    unsafe { state_ref::<NpsCounts>(&mut state) }.map(|counts| nps_summary(*counts))
}

// ---------------------------------------------------------------------------------------------
// Accessors on crm.nps_summary.
// ---------------------------------------------------------------------------------------------

/// NPS in points (-100..100) of a summary; NULL when it holds no answers.
#[pg_extern(immutable, parallel_safe, strict, name = "nps")]
fn nps_summary_nps(summary: nps_summary) -> Option<f64> {
    summary.0.nps()
}

/// Number of answers in a summary (passives included).
#[pg_extern(immutable, parallel_safe, strict, name = "responses")]
fn nps_summary_responses(summary: nps_summary) -> i64 {
    bigint(summary.0.responses())
}

/// Number of promoters (scores 9 and 10) in a summary.
#[pg_extern(immutable, parallel_safe, strict, name = "promoters")]
fn nps_summary_promoters(summary: nps_summary) -> i64 {
    bigint(summary.0.promoters)
}

/// Number of passives (scores 7 and 8) in a summary.
#[pg_extern(immutable, parallel_safe, strict, name = "passives")]
fn nps_summary_passives(summary: nps_summary) -> i64 {
    bigint(summary.0.passives)
}

/// Number of detractors (scores 0 to 6) in a summary.
#[pg_extern(immutable, parallel_safe, strict, name = "detractors")]
fn nps_summary_detractors(summary: nps_summary) -> i64 {
    bigint(summary.0.detractors)
}

/// Wald margin of error of the NPS, in points, at the given confidence.
#[pg_extern(immutable, parallel_safe, strict)]
fn nps_margin_of_error(summary: nps_summary, confidence: default!(f64, 0.95)) -> Option<f64> {
    summary
        .0
        .margin_of_error("crm.nps_margin_of_error", confidence)
        .or_raise()
}

/// Adjusted Wald confidence interval of the NPS, in points, clamped to [-100, 100].
#[pg_extern(immutable, parallel_safe, strict)]
fn nps_interval(
    summary: nps_summary,
    confidence: default!(f64, 0.95),
) -> TableIterator<'static, (name!(low, Option<f64>), name!(high, Option<f64>))> {
    let bounds = summary
        .0
        .interval("crm.nps_interval", confidence)
        .or_raise();
    let (low, high) = bounds.map_or((None, None), |(low, high)| (Some(low), Some(high)));
    TableIterator::once((low, high))
}

// ---------------------------------------------------------------------------------------------
// CSAT.
// ---------------------------------------------------------------------------------------------

/// Per-row step of the CSAT aggregates: count one answer, the threshold in argument 2 if any.
#[inline(always)]
unsafe fn csat_add(fcinfo: pg_sys::FunctionCallInfo, with_threshold: bool) -> pg_sys::Datum {
    let Some(score) = (unsafe { raw_arg(fcinfo, 1) }) else {
        return unsafe { raw_return_unchanged(fcinfo) };
    };
    let score = score.value() as i32;
    let threshold = if with_threshold {
        match unsafe { raw_arg(fcinfo, 2) } {
            Some(from) => Some(from.value() as i32),
            None => return unsafe { raw_return_unchanged(fcinfo) },
        }
    } else {
        None
    };
    let counts = unsafe { raw_state(fcinfo, CSAT, CsatCounts::default) };
    let counted = match threshold {
        Some(from) => counts.try_add_with_threshold(score, from),
        None => counts.try_add(score),
    };
    if !counted {
        reject_csat_answer(score, threshold);
    }
    unsafe { raw_return_state(fcinfo, counts) }
}

/// Raises the error of a CSAT answer the hot path refused (the message comes from the checked
/// `add` functions, so it is written once).
#[cold]
#[inline(never)]
fn reject_csat_answer(score: i32, threshold: Option<i32>) -> ! {
    let mut scratch = CsatCounts::default();
    let refused = match threshold {
        Some(from) => scratch.add_with_threshold(CSAT, score, from),
        None => scratch.add(CSAT, score),
    };
    match refused {
        Err(error) => raise_from_raw(error),
        Ok(()) => unreachable!("the hot path refuses only answers the checked path refuses"),
    }
}

crate::raw_transition! {
    /// Transition function of `crm.csat(integer)`.
    fn crm_csat_trans / pg_finfo_crm_csat_trans (fcinfo) {
        unsafe { csat_add(fcinfo, false) }
    }
}

crate::raw_transition! {
    /// Transition function of `crm.csat(integer, integer)`.
    fn crm_csat_threshold_trans / pg_finfo_crm_csat_threshold_trans (fcinfo) {
        unsafe { csat_add(fcinfo, true) }
    }
}

/// Inverse transition function of `crm.csat(integer)` (window frames).
#[pg_extern(immutable, parallel_safe)]
fn csat_inverse(mut state: Internal, score: Option<i32>) -> Internal {
    if let (Some(score), Some(counts)) = (score, unsafe { state_ref::<CsatCounts>(&mut state) }) {
        counts.remove(CSAT, score).or_raise();
    }
    state
}

/// Inverse transition function of `crm.csat(integer, integer)` (window frames).
#[pg_extern(immutable, parallel_safe)]
fn csat_threshold_inverse(
    mut state: Internal,
    score: Option<i32>,
    satisfied_from: Option<i32>,
) -> Internal {
    if let (Some(score), Some(from), Some(counts)) = (score, satisfied_from, unsafe {
        state_ref::<CsatCounts>(&mut state)
    }) {
        counts.remove_with_threshold(CSAT, score, from).or_raise();
    }
    state
}

/// Combine function of the CSAT aggregates (parallel query).
#[pg_extern(immutable, parallel_safe)]
fn csat_combine(first: Internal, second: Internal, fcinfo: pg_sys::FunctionCallInfo) -> Internal {
    unsafe { combine_states::<CsatCounts>(first, second, fcinfo, CSAT, CsatCounts::merge) }
}

/// Serialize function of the CSAT aggregates (parallel query).
#[pg_extern(immutable, parallel_safe, strict)]
fn csat_serialize(mut state: Internal) -> Vec<u8> {
    unsafe { state_ref::<CsatCounts>(&mut state) }
        .copied()
        .unwrap_or_default()
        .encode()
}

/// Deserialize function of the CSAT aggregates (parallel query).
#[pg_extern(immutable, parallel_safe, strict)]
fn csat_deserialize(bytes: &[u8], _unused: Internal) -> Internal {
    new_transient_state(CsatCounts::decode(bytes).or_raise())
}

/// Final function of the CSAT aggregates: the satisfied share.
#[pg_extern(immutable, parallel_safe)]
fn csat_final(mut state: Internal) -> Option<f64> {
    unsafe { state_ref::<CsatCounts>(&mut state) }.and_then(|counts| counts.csat())
}

extension_sql_file!(
    "../../sql/survey.sql",
    name = "survey_aggregates",
    requires = [
        nps_summary,
        nps_inverse,
        nps_agg_inverse,
        nps_rollup_trans,
        nps_rollup_inverse,
        nps_combine,
        nps_serialize,
        nps_deserialize,
        nps_final,
        nps_agg_final,
        nps_summary_nps,
        nps_summary_responses,
        nps_summary_promoters,
        nps_summary_passives,
        nps_summary_detractors,
        nps_margin_of_error,
        nps_interval,
        csat_inverse,
        csat_threshold_inverse,
        csat_combine,
        csat_serialize,
        csat_deserialize,
        csat_final,
    ]
);
