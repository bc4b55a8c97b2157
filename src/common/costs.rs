//! The planner's cost of merging growing aggregate states (`crm_internal.merged_state_cost`).
//!
//! Postgres costs a combine function per call, the same for any state: a `COST` of a few
//! operators. The combine of a growing state (customer lifetimes, cohort customers,
//! customer-months, ticket durations, funnel events, the purchase days of the fits straight from
//! purchases) merges a partial state that holds about as many entries as the rows its process
//! scanned, and before that each partial state is encoded to its binary form by a worker and
//! decoded by the leader. With the per-call default, the
//! planner sees a parallel plan as the scan divided among the processes plus nothing, and picks
//! it where the merging costs about what the division saves (a 2-core machine: slower than the
//! serial plan).
//!
//! This planner support function (`SupportRequestCost`) gives the combine functions of those
//! states a cost that grows with the rows the query aggregates: each call is charged
//! [`MERGE_OPERATORS_PER_ROW`] operator costs for every row of a half of the query's base
//! relations (after their conditions), a partial state of a plan with at least two of them.
//! The serial plan pays nothing of it (Postgres costs combine functions only in parallel plans).
use pgrx::pg_sys;

/// Operator costs (`cpu_operator_cost`) charged per merged row: the worker encodes the entry
/// (a varint or three), the leader checks and decodes it, merges it with its own, and the final
/// step reads it again; about what scanning and aggregating the row costs in the planner's
/// units (`cpu_tuple_cost` + one transition), so that dividing the scan among processes does
/// not pay for merging what they produced.
const MERGE_OPERATORS_PER_ROW: f64 = 6.0;

/// Rows a partial state holds, as a share of the rows aggregated: a parallel plan has at least
/// two processes (a worker and the leader, or two workers).
const PARTIAL_SHARE: f64 = 0.5;

/// The rows of the query's base relations after their conditions (0 without a planner).
///
/// # Safety
/// `root` must be null or the planner's valid `PlannerInfo`.
unsafe fn base_rows(root: *mut pg_sys::PlannerInfo) -> f64 {
    if root.is_null() {
        return 0.0;
    }
    // SAFETY: a valid `PlannerInfo` (this function's contract) whose `simple_rel_array` holds
    // `simple_rel_array_size` entries, each null or a valid relation.
    unsafe {
        let relations = (*root).simple_rel_array;
        if relations.is_null() {
            return 0.0;
        }
        let count = usize::try_from((*root).simple_rel_array_size).unwrap_or(0);
        (0..count)
            .map(|index| *relations.add(index))
            .filter(|relation| {
                !relation.is_null() && (**relation).reloptkind == pg_sys::RelOptKind::RELOPT_BASEREL
            })
            .map(|relation| (*relation).rows.max(0.0))
            .sum()
    }
}

crate::raw_transition! {
    /// Planner support function of the combine functions of growing states: answers
    /// `SupportRequestCost` with a per-call cost proportional to the rows the query aggregates
    /// (see the module), any other request with NULL (no help).
    fn crm_merged_state_cost / pg_finfo_crm_merged_state_cost (fcinfo)
    sql [
        "crm_internal.merged_state_cost(internal) RETURNS internal IMMUTABLE STRICT PARALLEL SAFE",
    ] {
        // SAFETY: Postgres calls a support function with one non-NULL `internal` argument, a
        // pointer to a planner support request node.
        unsafe {
            let request = crate::common::raw::raw_arg(fcinfo, 0)
                .map(|datum| datum.cast_mut_ptr::<pg_sys::Node>())
                .filter(|node| {
                    !node.is_null() && (**node).type_ == pg_sys::NodeTag::T_SupportRequestCost
                });
            match request {
                Some(node) => {
                    let request = node.cast::<pg_sys::SupportRequestCost>();
                    let rows = base_rows((*request).root);
                    (*request).startup = 0.0;
                    (*request).per_tuple =
                        MERGE_OPERATORS_PER_ROW * pg_sys::cpu_operator_cost * rows * PARTIAL_SHARE;
                    pg_sys::Datum::from(request)
                }
                None => pg_sys::Datum::from(0usize),
            }
        }
    }
}
