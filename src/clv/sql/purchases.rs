//! BG/NBD and MBG/NBD straight from purchases: `crm.bgnbd_fit(customer_id, occurred_at,
//! observation_end, time_unit)` and `crm.mbg_nbd_fit(...)`, one aggregate over a transactions
//! table.
use super::models::bgnbd_model;
use super::{finite_timestamp, row_penalizer, BGNBD_FIT, MBG_NBD_FIT, PARETO_NBD_FIT};
use crate::clv::state::bgnbd::{self, Kind};
use crate::clv::state::purchases::PurchaseDays;
use crate::clv::state::simple::unit_index;
use crate::common::datum::{raw_bigint_key, raw_text_key, raw_uuid_key, raw_varlena_bytes};
use crate::common::expanded::{
    expanded_combine, expanded_final, expanded_return, expanded_state_mut,
};
use crate::common::keys::KeyKind;
use crate::common::pg::OrRaise;
use crate::common::raw::{raise_from_raw, raw_arg, raw_return_unchanged};
use pgrx::prelude::*;

/// Per-row step of the purchases forms of `crm.bgnbd_fit` and `crm.mbg_nbd_fit` (`function`,
/// named in errors): one (customer, day) pair.
///
/// # Safety
/// `fcinfo` must be the call info of one of its transition functions, whose argument 1 is a
/// customer id that `key` reads (with `penalizer`, one whose argument of that index is the
/// double precision penalizer).
#[inline(always)]
unsafe fn purchases_add(
    fcinfo: pg_sys::FunctionCallInfo,
    function: &'static str,
    kind: KeyKind,
    key: unsafe fn(pg_sys::Datum) -> u128,
    penalizer: Option<usize>,
) -> pg_sys::Datum {
    // SAFETY: the purchases transitions have five arguments (this function's contract).
    let arguments = unsafe {
        (
            raw_arg(fcinfo, 1),
            raw_arg(fcinfo, 2),
            raw_arg(fcinfo, 3),
            raw_arg(fcinfo, 4),
        )
    };
    let (Some(customer), Some(occurred_at), Some(observation_end), Some(time_unit)) = arguments
    else {
        // SAFETY: `fcinfo` is the running call's.
        return unsafe { raw_return_unchanged(fcinfo) };
    };
    let occurred_at = finite_timestamp(function, "occurred_at", occurred_at.value() as i64);
    let observation_end =
        finite_timestamp(function, "observation_end", observation_end.value() as i64);
    // SAFETY: argument 4 is a non-null text, a varlena.
    let unit = unsafe { raw_varlena_bytes(time_unit, |bytes| unit_index(function, bytes)) };
    // SAFETY: argument 1 is a non-null customer id of the type `key` reads (this function's
    // contract).
    let customer = unsafe { key(customer) };
    // SAFETY: `fcinfo` is the running call's; `penalizer` indexes its penalizer argument.
    let penalizer = unsafe { row_penalizer(fcinfo, penalizer) };
    // SAFETY: argument 0 is a `crm.purchase_days`.
    let mut state = unsafe { expanded_state_mut(fcinfo, PurchaseDays::default) };
    let days = state.get();
    let added = unit.and_then(|unit| {
        days.add(function, kind, customer, occurred_at, observation_end, unit)?;
        penalizer.map_or(Ok(()), |penalizer| days.set_penalizer(function, penalizer))
    });
    if let Err(error) = added {
        raise_from_raw(move || error);
    }
    // SAFETY: `fcinfo` is the running call's; `state` is the object of its argument 0.
    unsafe { expanded_return(fcinfo, state) }
}

crate::raw_transition! {
    /// Transition function of `crm.bgnbd_fit(bigint, timestamptz, timestamptz, text)`.
    fn crm_bgnbd_fit_purchases_bigint_trans / pg_finfo_crm_bgnbd_fit_purchases_bigint_trans (fcinfo)
    sql [
        "crm_internal.bgnbd_fit_purchases_bigint_trans(crm.purchase_days, bigint, timestamptz, timestamptz, text) RETURNS crm.purchase_days IMMUTABLE PARALLEL SAFE",
    ] {
        // SAFETY: sql/clv.sql declares argument 1 a bigint, which `raw_bigint_key` reads.
        unsafe { purchases_add(fcinfo, BGNBD_FIT, KeyKind::BigInt, raw_bigint_key, None) }
    }
}

crate::raw_transition! {
    /// Transition function of `crm.bgnbd_fit(bigint, timestamptz, timestamptz, text, double
    /// precision)`, the penalized form.
    fn crm_bgnbd_fit_purchases_bigint_penalized_trans / pg_finfo_crm_bgnbd_fit_purchases_bigint_penalized_trans (fcinfo)
    sql [
        "crm_internal.bgnbd_fit_purchases_bigint_penalized_trans(crm.purchase_days, bigint, timestamptz, timestamptz, text, double precision) RETURNS crm.purchase_days IMMUTABLE PARALLEL SAFE",
    ] {
        // SAFETY: sql/clv.sql declares argument 1 a bigint, which `raw_bigint_key` reads, and argument 5
        // the double precision penalizer.
        unsafe { purchases_add(fcinfo, BGNBD_FIT, KeyKind::BigInt, raw_bigint_key, Some(5)) }
    }
}

crate::raw_transition! {
    /// Transition function of `crm.bgnbd_fit(text, timestamptz, timestamptz, text)`.
    fn crm_bgnbd_fit_purchases_text_trans / pg_finfo_crm_bgnbd_fit_purchases_text_trans (fcinfo)
    sql [
        "crm_internal.bgnbd_fit_purchases_text_trans(crm.purchase_days, text, timestamptz, timestamptz, text) RETURNS crm.purchase_days IMMUTABLE PARALLEL SAFE",
    ] {
        // SAFETY: sql/clv.sql declares argument 1 a text, which `raw_text_key` reads.
        unsafe { purchases_add(fcinfo, BGNBD_FIT, KeyKind::Text, raw_text_key, None) }
    }
}

crate::raw_transition! {
    /// Transition function of `crm.bgnbd_fit(text, timestamptz, timestamptz, text, double
    /// precision)`, the penalized form.
    fn crm_bgnbd_fit_purchases_text_penalized_trans / pg_finfo_crm_bgnbd_fit_purchases_text_penalized_trans (fcinfo)
    sql [
        "crm_internal.bgnbd_fit_purchases_text_penalized_trans(crm.purchase_days, text, timestamptz, timestamptz, text, double precision) RETURNS crm.purchase_days IMMUTABLE PARALLEL SAFE",
    ] {
        // SAFETY: sql/clv.sql declares argument 1 a text, which `raw_text_key` reads, and argument 5
        // the double precision penalizer.
        unsafe { purchases_add(fcinfo, BGNBD_FIT, KeyKind::Text, raw_text_key, Some(5)) }
    }
}

crate::raw_transition! {
    /// Transition function of `crm.bgnbd_fit(uuid, timestamptz, timestamptz, text)`.
    fn crm_bgnbd_fit_purchases_uuid_trans / pg_finfo_crm_bgnbd_fit_purchases_uuid_trans (fcinfo)
    sql [
        "crm_internal.bgnbd_fit_purchases_uuid_trans(crm.purchase_days, uuid, timestamptz, timestamptz, text) RETURNS crm.purchase_days IMMUTABLE PARALLEL SAFE",
    ] {
        // SAFETY: sql/clv.sql declares argument 1 a uuid, which `raw_uuid_key` reads.
        unsafe { purchases_add(fcinfo, BGNBD_FIT, KeyKind::Uuid, raw_uuid_key, None) }
    }
}

crate::raw_transition! {
    /// Transition function of `crm.bgnbd_fit(uuid, timestamptz, timestamptz, text, double
    /// precision)`, the penalized form.
    fn crm_bgnbd_fit_purchases_uuid_penalized_trans / pg_finfo_crm_bgnbd_fit_purchases_uuid_penalized_trans (fcinfo)
    sql [
        "crm_internal.bgnbd_fit_purchases_uuid_penalized_trans(crm.purchase_days, uuid, timestamptz, timestamptz, text, double precision) RETURNS crm.purchase_days IMMUTABLE PARALLEL SAFE",
    ] {
        // SAFETY: sql/clv.sql declares argument 1 a uuid, which `raw_uuid_key` reads, and argument 5
        // the double precision penalizer.
        unsafe { purchases_add(fcinfo, BGNBD_FIT, KeyKind::Uuid, raw_uuid_key, Some(5)) }
    }
}

crate::raw_transition! {
    /// Combine function of the purchases form of `crm.bgnbd_fit` (parallel query, Citus).
    fn crm_bgnbd_purchases_combine / pg_finfo_crm_bgnbd_purchases_combine (fcinfo)
    sql [
        "crm_internal.bgnbd_purchases_combine(crm.purchase_days, crm.purchase_days) RETURNS crm.purchase_days IMMUTABLE PARALLEL SAFE",
    ] {
        // SAFETY: both arguments are `crm.purchase_days` values.
        unsafe {
            expanded_combine(fcinfo, |days: &mut PurchaseDays, other| {
                days.merge(BGNBD_FIT, other)
            })
        }
    }
}

crate::raw_transition! {
    /// Final function of the purchases form of `crm.bgnbd_fit`: the customers' rows, then the
    /// maximum-likelihood model (NULL without purchases up to the observation end).
    fn crm_bgnbd_purchases_final / pg_finfo_crm_bgnbd_purchases_final (fcinfo)
    sql [
        "crm_internal.bgnbd_purchases_final(crm.purchase_days) RETURNS crm.bgnbd_model IMMUTABLE PARALLEL SAFE",
    ] {
        // SAFETY: argument 0 is NULL or a `crm.purchase_days`; the result a `crm.bgnbd_model`.
        unsafe {
            expanded_final(fcinfo, |days: &mut PurchaseDays| {
                let rows = days.weighted_rows(BGNBD_FIT).or_raise();
                if rows.customers() == 0 {
                    return None;
                }
                bgnbd::fit(BGNBD_FIT, &rows).or_raise().and_then(|model| bgnbd_model(model).into_datum())
            })
        }
    }
}

crate::raw_transition! {
    /// Transition function of `crm.mbg_nbd_fit(bigint, timestamptz, timestamptz, text)`.
    fn crm_mbg_nbd_fit_purchases_bigint_trans / pg_finfo_crm_mbg_nbd_fit_purchases_bigint_trans (fcinfo)
    sql [
        "crm_internal.mbg_nbd_fit_purchases_bigint_trans(crm.purchase_days, bigint, timestamptz, timestamptz, text) RETURNS crm.purchase_days IMMUTABLE PARALLEL SAFE",
    ] {
        // SAFETY: sql/clv.sql declares argument 1 a bigint, which `raw_bigint_key` reads.
        unsafe { purchases_add(fcinfo, MBG_NBD_FIT, KeyKind::BigInt, raw_bigint_key, None) }
    }
}

crate::raw_transition! {
    /// Transition function of `crm.mbg_nbd_fit(bigint, timestamptz, timestamptz, text, double
    /// precision)`, the penalized form.
    fn crm_mbg_nbd_fit_purchases_bigint_penalized_trans / pg_finfo_crm_mbg_nbd_fit_purchases_bigint_penalized_trans (fcinfo)
    sql [
        "crm_internal.mbg_nbd_fit_purchases_bigint_penalized_trans(crm.purchase_days, bigint, timestamptz, timestamptz, text, double precision) RETURNS crm.purchase_days IMMUTABLE PARALLEL SAFE",
    ] {
        // SAFETY: sql/clv.sql declares argument 1 a bigint, which `raw_bigint_key` reads, and argument 5
        // the double precision penalizer.
        unsafe { purchases_add(fcinfo, MBG_NBD_FIT, KeyKind::BigInt, raw_bigint_key, Some(5)) }
    }
}

crate::raw_transition! {
    /// Transition function of `crm.mbg_nbd_fit(text, timestamptz, timestamptz, text)`.
    fn crm_mbg_nbd_fit_purchases_text_trans / pg_finfo_crm_mbg_nbd_fit_purchases_text_trans (fcinfo)
    sql [
        "crm_internal.mbg_nbd_fit_purchases_text_trans(crm.purchase_days, text, timestamptz, timestamptz, text) RETURNS crm.purchase_days IMMUTABLE PARALLEL SAFE",
    ] {
        // SAFETY: sql/clv.sql declares argument 1 a text, which `raw_text_key` reads.
        unsafe { purchases_add(fcinfo, MBG_NBD_FIT, KeyKind::Text, raw_text_key, None) }
    }
}

crate::raw_transition! {
    /// Transition function of `crm.mbg_nbd_fit(text, timestamptz, timestamptz, text, double
    /// precision)`, the penalized form.
    fn crm_mbg_nbd_fit_purchases_text_penalized_trans / pg_finfo_crm_mbg_nbd_fit_purchases_text_penalized_trans (fcinfo)
    sql [
        "crm_internal.mbg_nbd_fit_purchases_text_penalized_trans(crm.purchase_days, text, timestamptz, timestamptz, text, double precision) RETURNS crm.purchase_days IMMUTABLE PARALLEL SAFE",
    ] {
        // SAFETY: sql/clv.sql declares argument 1 a text, which `raw_text_key` reads, and argument 5
        // the double precision penalizer.
        unsafe { purchases_add(fcinfo, MBG_NBD_FIT, KeyKind::Text, raw_text_key, Some(5)) }
    }
}

crate::raw_transition! {
    /// Transition function of `crm.mbg_nbd_fit(uuid, timestamptz, timestamptz, text)`.
    fn crm_mbg_nbd_fit_purchases_uuid_trans / pg_finfo_crm_mbg_nbd_fit_purchases_uuid_trans (fcinfo)
    sql [
        "crm_internal.mbg_nbd_fit_purchases_uuid_trans(crm.purchase_days, uuid, timestamptz, timestamptz, text) RETURNS crm.purchase_days IMMUTABLE PARALLEL SAFE",
    ] {
        // SAFETY: sql/clv.sql declares argument 1 a uuid, which `raw_uuid_key` reads.
        unsafe { purchases_add(fcinfo, MBG_NBD_FIT, KeyKind::Uuid, raw_uuid_key, None) }
    }
}

crate::raw_transition! {
    /// Transition function of `crm.mbg_nbd_fit(uuid, timestamptz, timestamptz, text, double
    /// precision)`, the penalized form.
    fn crm_mbg_nbd_fit_purchases_uuid_penalized_trans / pg_finfo_crm_mbg_nbd_fit_purchases_uuid_penalized_trans (fcinfo)
    sql [
        "crm_internal.mbg_nbd_fit_purchases_uuid_penalized_trans(crm.purchase_days, uuid, timestamptz, timestamptz, text, double precision) RETURNS crm.purchase_days IMMUTABLE PARALLEL SAFE",
    ] {
        // SAFETY: sql/clv.sql declares argument 1 a uuid, which `raw_uuid_key` reads, and argument 5
        // the double precision penalizer.
        unsafe { purchases_add(fcinfo, MBG_NBD_FIT, KeyKind::Uuid, raw_uuid_key, Some(5)) }
    }
}

crate::raw_transition! {
    /// Combine function of the purchases form of `crm.mbg_nbd_fit` (parallel query, Citus).
    fn crm_mbg_nbd_purchases_combine / pg_finfo_crm_mbg_nbd_purchases_combine (fcinfo)
    sql [
        "crm_internal.mbg_nbd_purchases_combine(crm.purchase_days, crm.purchase_days) RETURNS crm.purchase_days IMMUTABLE PARALLEL SAFE",
    ] {
        // SAFETY: both arguments are `crm.purchase_days` values.
        unsafe {
            expanded_combine(fcinfo, |days: &mut PurchaseDays, other| {
                days.merge(MBG_NBD_FIT, other)
            })
        }
    }
}

crate::raw_transition! {
    /// Final function of the purchases form of `crm.mbg_nbd_fit`: the customers' rows, then the
    /// maximum-likelihood MBG/NBD model (NULL without purchases up to the observation end).
    fn crm_mbg_nbd_purchases_final / pg_finfo_crm_mbg_nbd_purchases_final (fcinfo)
    sql [
        "crm_internal.mbg_nbd_purchases_final(crm.purchase_days) RETURNS crm.bgnbd_model IMMUTABLE PARALLEL SAFE",
    ] {
        // SAFETY: argument 0 is NULL or a `crm.purchase_days`; the result a `crm.bgnbd_model`.
        unsafe {
            expanded_final(fcinfo, |days: &mut PurchaseDays| {
                let rows = days.weighted_rows(MBG_NBD_FIT).or_raise();
                if rows.customers() == 0 {
                    return None;
                }
                bgnbd::fit_kind(MBG_NBD_FIT, Kind::MbgNbd, &rows)
                    .or_raise()
                    .and_then(|model| bgnbd_model(model).into_datum())
            })
        }
    }
}

crate::raw_transition! {
    /// Transition function of `crm.pareto_nbd_fit(bigint, timestamptz, timestamptz, text)`.
    fn crm_pareto_nbd_fit_purchases_bigint_trans / pg_finfo_crm_pareto_nbd_fit_purchases_bigint_trans (fcinfo)
    sql [
        "crm_internal.pareto_nbd_fit_purchases_bigint_trans(crm.purchase_days, bigint, timestamptz, timestamptz, text) RETURNS crm.purchase_days IMMUTABLE PARALLEL SAFE",
    ] {
        // SAFETY: sql/clv.sql declares argument 1 a bigint, which `raw_bigint_key` reads.
        unsafe { purchases_add(fcinfo, PARETO_NBD_FIT, KeyKind::BigInt, raw_bigint_key, None) }
    }
}

crate::raw_transition! {
    /// Transition function of `crm.pareto_nbd_fit(bigint, timestamptz, timestamptz, text, double
    /// precision)`, the penalized form.
    fn crm_pareto_nbd_fit_purchases_bigint_penalized_trans / pg_finfo_crm_pareto_nbd_fit_purchases_bigint_penalized_trans (fcinfo)
    sql [
        "crm_internal.pareto_nbd_fit_purchases_bigint_penalized_trans(crm.purchase_days, bigint, timestamptz, timestamptz, text, double precision) RETURNS crm.purchase_days IMMUTABLE PARALLEL SAFE",
    ] {
        // SAFETY: sql/clv.sql declares argument 1 a bigint, which `raw_bigint_key` reads, and argument 5
        // the double precision penalizer.
        unsafe { purchases_add(fcinfo, PARETO_NBD_FIT, KeyKind::BigInt, raw_bigint_key, Some(5)) }
    }
}

crate::raw_transition! {
    /// Transition function of `crm.pareto_nbd_fit(text, timestamptz, timestamptz, text)`.
    fn crm_pareto_nbd_fit_purchases_text_trans / pg_finfo_crm_pareto_nbd_fit_purchases_text_trans (fcinfo)
    sql [
        "crm_internal.pareto_nbd_fit_purchases_text_trans(crm.purchase_days, text, timestamptz, timestamptz, text) RETURNS crm.purchase_days IMMUTABLE PARALLEL SAFE",
    ] {
        // SAFETY: sql/clv.sql declares argument 1 a text, which `raw_text_key` reads.
        unsafe { purchases_add(fcinfo, PARETO_NBD_FIT, KeyKind::Text, raw_text_key, None) }
    }
}

crate::raw_transition! {
    /// Transition function of `crm.pareto_nbd_fit(text, timestamptz, timestamptz, text, double
    /// precision)`, the penalized form.
    fn crm_pareto_nbd_fit_purchases_text_penalized_trans / pg_finfo_crm_pareto_nbd_fit_purchases_text_penalized_trans (fcinfo)
    sql [
        "crm_internal.pareto_nbd_fit_purchases_text_penalized_trans(crm.purchase_days, text, timestamptz, timestamptz, text, double precision) RETURNS crm.purchase_days IMMUTABLE PARALLEL SAFE",
    ] {
        // SAFETY: sql/clv.sql declares argument 1 a text, which `raw_text_key` reads, and argument 5
        // the double precision penalizer.
        unsafe { purchases_add(fcinfo, PARETO_NBD_FIT, KeyKind::Text, raw_text_key, Some(5)) }
    }
}

crate::raw_transition! {
    /// Transition function of `crm.pareto_nbd_fit(uuid, timestamptz, timestamptz, text)`.
    fn crm_pareto_nbd_fit_purchases_uuid_trans / pg_finfo_crm_pareto_nbd_fit_purchases_uuid_trans (fcinfo)
    sql [
        "crm_internal.pareto_nbd_fit_purchases_uuid_trans(crm.purchase_days, uuid, timestamptz, timestamptz, text) RETURNS crm.purchase_days IMMUTABLE PARALLEL SAFE",
    ] {
        // SAFETY: sql/clv.sql declares argument 1 a uuid, which `raw_uuid_key` reads.
        unsafe { purchases_add(fcinfo, PARETO_NBD_FIT, KeyKind::Uuid, raw_uuid_key, None) }
    }
}

crate::raw_transition! {
    /// Transition function of `crm.pareto_nbd_fit(uuid, timestamptz, timestamptz, text, double
    /// precision)`, the penalized form.
    fn crm_pareto_nbd_fit_purchases_uuid_penalized_trans / pg_finfo_crm_pareto_nbd_fit_purchases_uuid_penalized_trans (fcinfo)
    sql [
        "crm_internal.pareto_nbd_fit_purchases_uuid_penalized_trans(crm.purchase_days, uuid, timestamptz, timestamptz, text, double precision) RETURNS crm.purchase_days IMMUTABLE PARALLEL SAFE",
    ] {
        // SAFETY: sql/clv.sql declares argument 1 a uuid, which `raw_uuid_key` reads, and argument 5
        // the double precision penalizer.
        unsafe { purchases_add(fcinfo, PARETO_NBD_FIT, KeyKind::Uuid, raw_uuid_key, Some(5)) }
    }
}

crate::raw_transition! {
    /// Combine function of the purchases form of `crm.pareto_nbd_fit` (parallel query, Citus).
    fn crm_pareto_nbd_purchases_combine / pg_finfo_crm_pareto_nbd_purchases_combine (fcinfo)
    sql [
        "crm_internal.pareto_nbd_purchases_combine(crm.purchase_days, crm.purchase_days) RETURNS crm.purchase_days IMMUTABLE PARALLEL SAFE",
    ] {
        // SAFETY: both arguments are `crm.purchase_days` values.
        unsafe {
            expanded_combine(fcinfo, |days: &mut PurchaseDays, other| {
                days.merge(PARETO_NBD_FIT, other)
            })
        }
    }
}

crate::raw_transition! {
    /// Final function of the purchases form of `crm.pareto_nbd_fit`: the customers' rows, then the
    /// maximum-likelihood Pareto/NBD model (NULL without purchases up to the observation end).
    fn crm_pareto_nbd_purchases_final / pg_finfo_crm_pareto_nbd_purchases_final (fcinfo)
    sql [
        "crm_internal.pareto_nbd_purchases_final(crm.purchase_days) RETURNS crm.bgnbd_model IMMUTABLE PARALLEL SAFE",
    ] {
        // SAFETY: argument 0 is NULL or a `crm.purchase_days`; the result a `crm.bgnbd_model`.
        unsafe {
            expanded_final(fcinfo, |days: &mut PurchaseDays| {
                let rows = days.weighted_rows(PARETO_NBD_FIT).or_raise();
                if rows.customers() == 0 {
                    return None;
                }
                bgnbd::fit_kind(PARETO_NBD_FIT, Kind::ParetoNbd, &rows)
                    .or_raise()
                    .and_then(|model| bgnbd_model(model).into_datum())
            })
        }
    }
}
