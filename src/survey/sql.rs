//! SQL surface of the survey family: `crm.nps`, `crm.nps_agg`, `crm.rollup(crm.nps_summary)`,
//! the summary accessors and `crm.csat`. Aggregates themselves are declared in
//! `sql/survey.sql`; this file holds their support functions.
use super::state::{csat_answer_refused, CsatCounts, NpsCounts, NpsState};
use crate::common::flat::{flat_combine, flat_final, flat_return, flat_state_mut};
use crate::common::pg::{bigint, internal_of, state_or_init, state_ref, OrRaise};
use crate::common::raw::{
    raise_from_raw, raw_arg, raw_return_state, raw_return_unchanged, raw_state,
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

/// Transition state of `crm.csat`: counts of answers and of satisfied answers; text form
/// `{"satisfied":3,"responses":4}`.
#[allow(non_camel_case_types)]
#[derive(PostgresType, Clone, Copy, Debug, PartialEq, Eq)]
#[bikeshed_postgres_type_manually_impl_from_into_datum]
#[inoutfuncs]
pub struct csat_state(pub CsatCounts);

crate::summary_type!(csat_state(CsatCounts));

// ---------------------------------------------------------------------------------------------
// NPS transition, inverse, combine, serialize, deserialize and final functions.
// ---------------------------------------------------------------------------------------------

#[inline(always)]
fn nps_remove(mut state: Internal, score: Option<i32>, function: &str) -> Internal {
    // SAFETY: the state of the NPS aggregates is an `NpsState` made by their transitions.
    if let (Some(score), Some(nps)) = (score, unsafe { state_ref::<NpsState>(&mut state) }) {
        nps.counts.remove(function, score).or_raise();
    }
    state
}

/// Per-row step of `crm.nps` and `crm.nps_agg`: count one score. Returns the state even for a
/// NULL score (a moving-aggregate transition must not return NULL).
///
/// # Safety
/// `fcinfo` must be the call of one of these transition functions.
#[inline(always)]
unsafe fn nps_add(fcinfo: pg_sys::FunctionCallInfo, function: &'static str) -> pg_sys::Datum {
    // SAFETY: argument 0 is this aggregate's `NpsState`, argument 1 its integer score; nothing
    // here needs dropping.
    unsafe {
        let nps = raw_state(fcinfo, function, NpsState::default);
        if let Some(score) = raw_arg(fcinfo, 1) {
            let score = score.value() as i32;
            if !nps.counts.try_add(score) {
                reject_nps_score(function, score);
            }
        }
        raw_return_state(fcinfo, nps)
    }
}

/// # Safety
/// As [`raise_from_raw`]: called from a raw transition that holds nothing needing a drop.
#[cold]
#[inline(never)]
fn reject_nps_score(function: &'static str, score: i32) -> ! {
    raise_from_raw(move || NpsCounts::refusal(function, score))
}

crate::raw_transition! {
    /// Transition function of `crm.nps(integer)`.
    fn crm_nps_trans / pg_finfo_crm_nps_trans (fcinfo)
    sql [
        "crm_internal.nps_trans(internal, integer) RETURNS internal IMMUTABLE PARALLEL SAFE",
    ] {
        // SAFETY: Postgres calls this as the transition of `crm.nps(integer)`.
        unsafe { nps_add(fcinfo, NPS) }
    }
}

crate::raw_transition! {
    /// Transition function of `crm.nps_agg(integer)`.
    fn crm_nps_agg_trans / pg_finfo_crm_nps_agg_trans (fcinfo)
    sql [
        "crm_internal.nps_agg_trans(internal, integer) RETURNS internal IMMUTABLE PARALLEL SAFE",
    ] {
        // SAFETY: Postgres calls this as the transition of `crm.nps_agg(integer)`.
        unsafe { nps_add(fcinfo, NPS_AGG) }
    }
}

/// Inverse transition function of `crm.nps(integer)` (window frames).
#[pg_extern(schema = "crm_internal", immutable, parallel_safe)]
fn nps_inverse(state: Internal, score: Option<i32>) -> Internal {
    nps_remove(state, score, NPS)
}

/// Inverse transition function of `crm.nps_agg(integer)` (window frames).
#[pg_extern(schema = "crm_internal", immutable, parallel_safe)]
fn nps_agg_inverse(state: Internal, score: Option<i32>) -> Internal {
    nps_remove(state, score, NPS_AGG)
}

/// Transition function of `crm.rollup(crm.nps_summary)`.
#[pg_extern(schema = "crm_internal", immutable, parallel_safe)]
fn nps_rollup_trans(
    mut state: Internal,
    summary: Option<nps_summary>,
    fcinfo: pg_sys::FunctionCallInfo,
) -> Internal {
    // SAFETY: the rollup's state is an `NpsState`, created here in the aggregate context; it
    // is returned even for a NULL summary (a moving-aggregate transition must not return NULL).
    let nps = unsafe { state_or_init(&mut state, fcinfo, NPS_ROLLUP, NpsState::default) };
    if let Some(summary) = summary {
        nps.add_summary(NPS_ROLLUP, &summary.0).or_raise();
    }
    internal_of(nps)
}

/// Inverse transition function of `crm.rollup(crm.nps_summary)` (window frames).
#[pg_extern(schema = "crm_internal", immutable, parallel_safe)]
fn nps_rollup_inverse(mut state: Internal, summary: Option<nps_summary>) -> Internal {
    // SAFETY: the rollup's state is an `NpsState` made by its transition.
    if let (Some(summary), Some(nps)) = (summary, unsafe { state_ref::<NpsState>(&mut state) }) {
        nps.remove_summary(NPS_ROLLUP, &summary.0).or_raise();
    }
    state
}

/// Moving-aggregate final function of `crm.nps(integer)` (window frames).
#[pg_extern(schema = "crm_internal", immutable, parallel_safe)]
fn nps_final(mut state: Internal) -> Option<f64> {
    // SAFETY: the state is an `NpsState` made by the NPS aggregates' functions.
    unsafe { state_ref::<NpsState>(&mut state) }.and_then(|nps| nps.counts.nps())
}

/// Moving-aggregate final function of `crm.nps_agg` and `crm.rollup(crm.nps_summary)`: NULL
/// when no usable row is in the window frame.
#[pg_extern(schema = "crm_internal", immutable, parallel_safe)]
fn nps_agg_final(mut state: Internal) -> Option<nps_summary> {
    // SAFETY: the state is an `NpsState` made by the NPS aggregates' functions.
    unsafe { state_ref::<NpsState>(&mut state) }
        .filter(|nps| nps.has_rows())
        .map(|nps| nps_summary(nps.counts))
}

// ---------------------------------------------------------------------------------------------
// The NPS aggregates' transition state crm.nps_summary (a type Citus can ship), changed
// in place per row (common::flat). The functions above with an `internal` state serve the
// moving aggregate of window frames.
// ---------------------------------------------------------------------------------------------

/// Per-row step of `crm.nps` and `crm.nps_agg` on their `crm.nps_summary` state: count one
/// score; a NULL score leaves the state (NULL before the first usable row) as it is.
///
/// # Safety
/// `fcinfo` must be the call of one of these transition functions.
#[inline(always)]
unsafe fn nps_state_add(fcinfo: pg_sys::FunctionCallInfo, function: &'static str) -> pg_sys::Datum {
    // SAFETY: argument 0 is a `crm.nps_summary`, argument 1 an integer; nothing here needs
    // dropping.
    unsafe {
        let Some(score) = raw_arg(fcinfo, 1) else {
            return raw_return_unchanged(fcinfo);
        };
        let score = score.value() as i32;
        let mut state = flat_state_mut::<NpsCounts>(fcinfo);
        if !state.get().try_add(score) {
            reject_nps_score(function, score);
        }
        flat_return(fcinfo, state)
    }
}

crate::raw_transition! {
    /// Transition function of `crm.nps(integer)` (state `crm.nps_summary`).
    fn crm_nps_state_trans / pg_finfo_crm_nps_state_trans (fcinfo)
    sql [
        "crm_internal.nps_trans(crm.nps_summary, integer) RETURNS crm.nps_summary IMMUTABLE PARALLEL SAFE",
    ] {
        // SAFETY: Postgres calls this as the transition of `crm.nps(integer)`.
        unsafe { nps_state_add(fcinfo, NPS) }
    }
}

crate::raw_transition! {
    /// Transition function of `crm.nps_agg(integer)` (state `crm.nps_summary`).
    fn crm_nps_agg_state_trans / pg_finfo_crm_nps_agg_state_trans (fcinfo)
    sql [
        "crm_internal.nps_agg_trans(crm.nps_summary, integer) RETURNS crm.nps_summary IMMUTABLE PARALLEL SAFE",
    ] {
        // SAFETY: Postgres calls this as the transition of `crm.nps_agg(integer)`.
        unsafe { nps_state_add(fcinfo, NPS_AGG) }
    }
}

crate::raw_transition! {
    /// Transition function of `crm.rollup(crm.nps_summary)`: merges one summary (a NULL one
    /// leaves the state as it is; one of zero answers makes the result non-NULL).
    fn crm_nps_rollup_state_trans / pg_finfo_crm_nps_rollup_state_trans (fcinfo)
    sql [
        "crm_internal.nps_rollup_trans(crm.nps_summary, crm.nps_summary) RETURNS crm.nps_summary IMMUTABLE PARALLEL SAFE",
    ] {
        // SAFETY: both arguments are `crm.nps_summary` values.
        unsafe {
            flat_combine::<NpsCounts>(fcinfo, |state, other| state.merge(NPS_ROLLUP, other))
        }
    }
}

crate::raw_transition! {
    /// Combine function of the NPS aggregates (parallel query, Citus).
    fn crm_nps_state_combine / pg_finfo_crm_nps_state_combine (fcinfo)
    sql [
        "crm_internal.nps_combine(crm.nps_summary, crm.nps_summary) RETURNS crm.nps_summary IMMUTABLE PARALLEL SAFE",
    ] {
        // SAFETY: both arguments are `crm.nps_summary` states.
        unsafe { flat_combine::<NpsCounts>(fcinfo, |state, other| state.merge(NPS, other)) }
    }
}

crate::raw_transition! {
    /// Final function of `crm.nps(integer)`: NPS in points, NULL without answers.
    fn crm_nps_state_final / pg_finfo_crm_nps_state_final (fcinfo)
    sql [
        "crm_internal.nps_final(crm.nps_summary) RETURNS double precision IMMUTABLE PARALLEL SAFE",
    ] {
        // SAFETY: argument 0 is a `crm.nps_summary` state; the result a double precision.
        unsafe { flat_final::<NpsCounts, f64>(fcinfo, NpsCounts::nps) }
    }
}

crate::raw_transition! {
    /// Final function of `crm.nps_agg` and `crm.rollup(crm.nps_summary)`: the state in its
    /// canonical stored form; NULL (a NULL state) when no usable row was aggregated.
    fn crm_nps_agg_state_final / pg_finfo_crm_nps_agg_state_final (fcinfo)
    sql [
        "crm_internal.nps_agg_final(crm.nps_summary) RETURNS crm.nps_summary IMMUTABLE PARALLEL SAFE",
    ] {
        // SAFETY: argument 0 is a `crm.nps_summary` state, and so is the result.
        unsafe { flat_final::<NpsCounts, nps_summary>(fcinfo, |counts| Some(nps_summary(*counts))) }
    }
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
    bigint("crm.responses", summary.0.responses())
}

/// Number of promoters (scores 9 and 10) in a summary.
#[pg_extern(immutable, parallel_safe, strict, name = "promoters")]
fn nps_summary_promoters(summary: nps_summary) -> i64 {
    bigint("crm.promoters", summary.0.promoters)
}

/// Number of passives (scores 7 and 8) in a summary.
#[pg_extern(immutable, parallel_safe, strict, name = "passives")]
fn nps_summary_passives(summary: nps_summary) -> i64 {
    bigint("crm.passives", summary.0.passives)
}

/// Number of detractors (scores 0 to 6) in a summary.
#[pg_extern(immutable, parallel_safe, strict, name = "detractors")]
fn nps_summary_detractors(summary: nps_summary) -> i64 {
    bigint("crm.detractors", summary.0.detractors)
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

/// Lower bound of the adjusted Wald interval of the NPS (the `low` of `crm.nps_interval`), in
/// points; NULL when the summary holds no answers.
#[pg_extern(immutable, parallel_safe, strict)]
fn nps_low(summary: nps_summary, confidence: default!(f64, 0.95)) -> Option<f64> {
    let bounds = summary.0.interval("crm.nps_low", confidence).or_raise();
    bounds.map(|(low, _)| low)
}

/// Upper bound of the adjusted Wald interval of the NPS (the `high` of `crm.nps_interval`), in
/// points; NULL when the summary holds no answers.
#[pg_extern(immutable, parallel_safe, strict)]
fn nps_high(summary: nps_summary, confidence: default!(f64, 0.95)) -> Option<f64> {
    let bounds = summary.0.interval("crm.nps_high", confidence).or_raise();
    bounds.map(|(_, high)| high)
}

/// Is the change of NPS from `a` to `b` significant? Difference nps(b) − nps(a) in points,
/// Wald margin at `confidence`, z, two-sided p-value (independent samples) and whether
/// |difference| > margin. Not STRICT: a NULL summary (no answers) gives one row of NULLs, so the
/// row of its group stays. The C entry point keeps its name: a 0.1.0 catalog entry (four result
/// columns) calling it before `ALTER EXTENSION ... UPDATE` gets the first four columns.
#[allow(clippy::type_complexity)] // pgrx reads the column names from this inline tuple
#[pg_extern(immutable, parallel_safe)]
fn nps_difference(
    a: Option<nps_summary>,
    b: Option<nps_summary>,
    confidence: default!(Option<f64>, 0.95),
) -> TableIterator<
    'static,
    (
        name!(difference, Option<f64>),
        name!(margin, Option<f64>),
        name!(z, Option<f64>),
        name!(p_value, Option<f64>),
        name!(significant, Option<bool>),
    ),
> {
    let (Some(a), Some(b), Some(confidence)) = (a, b, confidence) else {
        return TableIterator::once((None, None, None, None, None));
    };
    let result =
        a.0.difference("crm.nps_difference", &b.0, confidence)
            .or_raise();
    TableIterator::once(match result {
        Some(found) => (
            Some(found.difference),
            Some(found.margin),
            found.z,
            found.p_value,
            found.significant,
        ),
        None => (None, None, None, None, None),
    })
}

// ---------------------------------------------------------------------------------------------
// CSAT.
// ---------------------------------------------------------------------------------------------

/// Per-row step of the CSAT aggregates: count one answer, the threshold in argument 2 if any.
/// Returns the state even for a row it skips (a moving-aggregate transition must not return
/// NULL).
///
/// # Safety
/// `fcinfo` must be the call of one of these transition functions (`with_threshold` for the
/// two-argument one).
#[inline(always)]
unsafe fn csat_add(fcinfo: pg_sys::FunctionCallInfo, with_threshold: bool) -> pg_sys::Datum {
    // SAFETY: argument 0 is this aggregate's `CsatCounts`, arguments 1 (and 2) integers.
    unsafe {
        let counts = raw_state(fcinfo, CSAT, CsatCounts::default);
        let score = raw_arg(fcinfo, 1).map(|score| score.value() as i32);
        let threshold = if with_threshold {
            raw_arg(fcinfo, 2).map(|from| Some(from.value() as i32))
        } else {
            Some(None)
        };
        if let (Some(score), Some(threshold)) = (score, threshold) {
            let counted = match threshold {
                Some(from) => counts.try_add_with_threshold(score, from),
                None => counts.try_add(score),
            };
            if !counted {
                reject_csat_answer(score, threshold);
            }
        }
        raw_return_state(fcinfo, counts)
    }
}

/// Raises the error of a CSAT answer the hot path refused.
///
/// # Safety
/// As [`raise_from_raw`]: called from a raw transition that holds nothing needing a drop.
#[cold]
#[inline(never)]
fn reject_csat_answer(score: i32, threshold: Option<i32>) -> ! {
    raise_from_raw(move || csat_answer_refused(CSAT, score, threshold))
}

crate::raw_transition! {
    /// Transition function of `crm.csat(integer)`.
    fn crm_csat_trans / pg_finfo_crm_csat_trans (fcinfo)
    sql [
        "crm_internal.csat_trans(internal, integer) RETURNS internal IMMUTABLE PARALLEL SAFE",
    ] {
        // SAFETY: Postgres calls this as the transition of `crm.csat(integer)`.
        unsafe { csat_add(fcinfo, false) }
    }
}

crate::raw_transition! {
    /// Transition function of `crm.csat(integer, integer)`.
    fn crm_csat_threshold_trans / pg_finfo_crm_csat_threshold_trans (fcinfo)
    sql [
        "crm_internal.csat_threshold_trans(internal, integer, integer) RETURNS internal IMMUTABLE PARALLEL SAFE",
    ] {
        // SAFETY: Postgres calls this as the transition of `crm.csat(integer, integer)`.
        unsafe { csat_add(fcinfo, true) }
    }
}

/// Inverse transition function of `crm.csat(integer)` (window frames).
#[pg_extern(schema = "crm_internal", immutable, parallel_safe)]
fn csat_inverse(mut state: Internal, score: Option<i32>) -> Internal {
    // SAFETY: the state is a `CsatCounts` made by the CSAT transition.
    if let (Some(score), Some(counts)) = (score, unsafe { state_ref::<CsatCounts>(&mut state) }) {
        counts.remove(CSAT, score).or_raise();
    }
    state
}

/// Inverse transition function of `crm.csat(integer, integer)` (window frames).
#[pg_extern(schema = "crm_internal", immutable, parallel_safe)]
fn csat_threshold_inverse(
    mut state: Internal,
    score: Option<i32>,
    satisfied_from: Option<i32>,
) -> Internal {
    // SAFETY: the state is a `CsatCounts` made by the CSAT transition.
    let counts = unsafe { state_ref::<CsatCounts>(&mut state) };
    if let (Some(score), Some(from), Some(counts)) = (score, satisfied_from, counts) {
        counts.remove_with_threshold(CSAT, score, from).or_raise();
    }
    state
}

/// Moving-aggregate final function of the CSAT aggregates (window frames): the satisfied share.
#[pg_extern(schema = "crm_internal", immutable, parallel_safe)]
fn csat_final(mut state: Internal) -> Option<f64> {
    // SAFETY: the state is a `CsatCounts` made by the CSAT aggregates' functions.
    unsafe { state_ref::<CsatCounts>(&mut state) }.and_then(|counts| counts.csat())
}

// ---------------------------------------------------------------------------------------------
// The CSAT aggregates' transition state crm.csat_state, changed in place per row.
// ---------------------------------------------------------------------------------------------

/// Per-row step of the CSAT aggregates on their `crm.csat_state`: count one answer, the
/// threshold in argument 2 if any; a row with a NULL leaves the state as it is.
///
/// # Safety
/// `fcinfo` must be the call of one of these transition functions (`with_threshold` for the
/// two-argument one).
#[inline(always)]
unsafe fn csat_state_add(fcinfo: pg_sys::FunctionCallInfo, with_threshold: bool) -> pg_sys::Datum {
    // SAFETY: argument 0 is a `crm.csat_state`, arguments 1 (and 2) integers; nothing here
    // needs dropping.
    unsafe {
        let score = raw_arg(fcinfo, 1).map(|score| score.value() as i32);
        let threshold = if with_threshold {
            raw_arg(fcinfo, 2).map(|from| Some(from.value() as i32))
        } else {
            Some(None)
        };
        let (Some(score), Some(threshold)) = (score, threshold) else {
            return raw_return_unchanged(fcinfo);
        };
        let mut state = flat_state_mut::<CsatCounts>(fcinfo);
        let counted = match threshold {
            Some(from) => state.get().try_add_with_threshold(score, from),
            None => state.get().try_add(score),
        };
        if !counted {
            reject_csat_answer(score, threshold);
        }
        flat_return(fcinfo, state)
    }
}

crate::raw_transition! {
    /// Transition function of `crm.csat(integer)` (state `crm.csat_state`).
    fn crm_csat_state_trans / pg_finfo_crm_csat_state_trans (fcinfo)
    sql [
        "crm_internal.csat_trans(crm.csat_state, integer) RETURNS crm.csat_state IMMUTABLE PARALLEL SAFE",
    ] {
        // SAFETY: Postgres calls this as the transition of `crm.csat(integer)`.
        unsafe { csat_state_add(fcinfo, false) }
    }
}

crate::raw_transition! {
    /// Transition function of `crm.csat(integer, integer)` (state `crm.csat_state`).
    fn crm_csat_threshold_state_trans / pg_finfo_crm_csat_threshold_state_trans (fcinfo)
    sql [
        "crm_internal.csat_threshold_trans(crm.csat_state, integer, integer) RETURNS crm.csat_state IMMUTABLE PARALLEL SAFE",
    ] {
        // SAFETY: Postgres calls this as the transition of `crm.csat(integer, integer)`.
        unsafe { csat_state_add(fcinfo, true) }
    }
}

crate::raw_transition! {
    /// Combine function of the CSAT aggregates (parallel query, Citus).
    fn crm_csat_state_combine / pg_finfo_crm_csat_state_combine (fcinfo)
    sql [
        "crm_internal.csat_combine(crm.csat_state, crm.csat_state) RETURNS crm.csat_state IMMUTABLE PARALLEL SAFE",
    ] {
        // SAFETY: both arguments are `crm.csat_state` values.
        unsafe {
            flat_combine::<CsatCounts>(fcinfo, |state, other| state.merge(CSAT, other))
        }
    }
}

crate::raw_transition! {
    /// Final function of the CSAT aggregates: the satisfied share, NULL without answers.
    fn crm_csat_state_final / pg_finfo_crm_csat_state_final (fcinfo)
    sql [
        "crm_internal.csat_final(crm.csat_state) RETURNS double precision IMMUTABLE PARALLEL SAFE",
    ] {
        // SAFETY: argument 0 is a `crm.csat_state`; the result a double precision.
        unsafe { flat_final::<CsatCounts, f64>(fcinfo, CsatCounts::csat) }
    }
}
