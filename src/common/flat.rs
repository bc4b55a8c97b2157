//! Fixed-size aggregate states that are SQL values ("transition states Citus can
//! ship").
//!
//! Citus pushes an aggregate down to its workers only when its transition type is a real type
//! (not `internal`) and it has a combine function; a worker's partial state travels as the
//! type's text form. An aggregate whose state is small and of fixed size therefore declares
//! `STYPE = crm.<type>`, a varlena type of the extension, and keeps its per-row speed by
//! changing that varlena in place, the way Postgres's own `int8_avg_accum` changes its
//! pass-by-reference state once `AggCheckCallContext` says it runs as an aggregate.
//!
//! Two binary forms of such a type exist:
//! - the canonical form (the type's stored form, a versioned varint encoding from
//!   [`super::codec`]), which the final functions and every other function returning the type
//!   produce, so stored values stay comparable byte by byte;
//! - the working form of an aggregate state: [`WORKING_TAG`], three padding bytes and the
//!   state's plain-old-data struct, at a fixed offset so the transition function can address
//!   the struct in place. Postgres copies the first state a transition returns into the
//!   aggregate memory context (`ExecAggTransReparent`) and keeps it as long as the transition
//!   returns that same pointer, so each group costs one small allocation and no copy per row.
//!
//! Every reader of the type ([`decode_any`]) accepts both forms and validates what it reads,
//! so a working state shipped between processes (a parallel worker's partial state) or shown as
//! text (Citus, `EXPLAIN`) behaves like any value of the type. Only a transition running as an
//! aggregate writes in place; called directly from SQL it returns a new canonical value.
//!
//! A working form can still escape as a value: an aggregate a user declares with one of these
//! transitions and no final function returns its state as it is. The byte-wise support
//! functions every type shares (send, `=`, `<>`, hashing, ordering: src/common/summary.rs) do not
//! know the type, so the working form carries its type's [`FlatState::KIND`] in its first
//! padding byte, and [`canonical_of_working`] turns it into the canonical form they compare.
//!
//! This module is the glue; the plain-old-data side (the [`FlatState`] trait, the working
//! layout, reading either form from bytes) is [`super::flat_state`], which the families' math
//! uses without pgrx.
use super::error::MetricResult;
use super::flat_state::{
    assert_working_layout, decode_any, Canonicalize, FlatState, HEADER_BYTES, WORKING_OFFSET,
    WORKING_TAG,
};
use super::pg::{raise, varlena_from_bytes, with_varlena_bytes, OrRaise};
use super::raw::{named_for_running_aggregate, raw_arg, raw_return_unchanged};
use pgrx::datum::IntoDatum;
use pgrx::pg_sys;

// The working layout of `flat_state` counts a 4-byte varlena header.
const _: () = assert!(HEADER_BYTES == pg_sys::VARHDRSZ);

/// Every flat state type of the extension, by [`FlatState::KIND`]: registered once per process
/// by the crate root (which knows the families), so that this module depends on none.
static FLAT_TYPES: std::sync::OnceLock<&'static [(u8, Canonicalize)]> = std::sync::OnceLock::new();

/// Registers the flat state types (`_PG_init`); later calls are ignored.
pub fn register_flat_types(types: &'static [(u8, Canonicalize)]) {
    let _ = FLAT_TYPES.set(types);
}

/// The canonical form of the payload of a working form (of any flat state type): `None` when
/// `bytes` is not a working form (canonical forms start with a format version, never with
/// [`WORKING_TAG`]), a 22P03 error when it is a malformed one.
pub fn canonical_of_working(bytes: &[u8]) -> Option<MetricResult<Vec<u8>>> {
    if bytes.first() != Some(&WORKING_TAG) {
        return None;
    }
    let kind = bytes.get(1).copied();
    let canonicalize = FLAT_TYPES
        .get()
        .copied()
        .unwrap_or_default()
        .iter()
        .find(|(known, _)| Some(*known) == kind)
        .map(|(_, canonicalize)| canonicalize);
    Some(match canonicalize {
        Some(canonicalize) => canonicalize(bytes),
        None => Err(super::error::MetricError::InvalidBinary(
            "crm_metrics: malformed working form of an aggregate state".to_owned(),
        )),
    })
}

/// Whether Postgres runs the current function as an aggregate or window aggregate support
/// function (what `AggCheckCallContext` tests, read inline on the per-row path).
///
/// # Safety
/// `fcinfo` must be the call info of the running function.
#[inline(always)]
unsafe fn called_as_aggregate(fcinfo: pg_sys::FunctionCallInfo) -> bool {
    // SAFETY: `fcinfo` is valid (this function's contract); a non-null context is a Node.
    unsafe {
        let context = (*fcinfo).context;
        !context.is_null()
            && matches!(
                (*context).type_,
                pg_sys::NodeTag::T_AggState | pg_sys::NodeTag::T_WindowAggState
            )
    }
}

/// The state of a transition or combine function, ready to be changed, and where it lives.
pub struct FlatMut<T: FlatState> {
    /// The working varlena holding the state.
    varlena: *mut u8,
    /// Whether Postgres runs the function as an aggregate (else the result is made canonical).
    in_aggregate: bool,
    marker: std::marker::PhantomData<T>,
}

impl<T: FlatState> FlatMut<T> {
    /// The state.
    #[inline(always)]
    pub fn get(&mut self) -> &mut T {
        assert_working_layout::<T>();
        // SAFETY: `varlena` is a working varlena of `T` (made or checked by `flat_state_mut`),
        // 8-byte aligned, so the struct at `WORKING_OFFSET` is aligned (`T`'s alignment is at
        // most 8, checked above) and a valid `T` (`T: Pod`, any bytes are one); `self` is the
        // only handle to it during the call.
        unsafe { &mut *self.varlena.add(WORKING_OFFSET).cast::<T>() }
    }
}

/// The state in argument 0 of a transition or combine function, ready to be changed: when
/// Postgres runs the function as an aggregate and argument 0 is a working varlena, that very
/// value (Postgres's own copy in the aggregate memory context), changed in place; otherwise a
/// new working copy in the current memory context, of the argument (decoded and validated)
/// or, for NULL, of `T::default()`.
///
/// # Safety
/// `fcinfo` must be the call info of a function whose argument 0 is of `T`'s SQL type.
#[inline(always)]
pub unsafe fn flat_state_mut<T: FlatState>(fcinfo: pg_sys::FunctionCallInfo) -> FlatMut<T> {
    // SAFETY: `fcinfo` is the running call's with an argument 0 (this function's contract).
    unsafe {
        let in_aggregate = called_as_aggregate(fcinfo);
        if let (true, Some(datum)) = (in_aggregate, raw_arg(fcinfo, 0)) {
            let pointer = datum.cast_mut_ptr::<u8>();
            if is_working::<T>(pointer) {
                return FlatMut {
                    varlena: pointer,
                    in_aggregate,
                    marker: std::marker::PhantomData,
                };
            }
        }
        FlatMut {
            varlena: new_working_copy::<T>(fcinfo),
            in_aggregate,
            marker: std::marker::PhantomData,
        }
    }
}

/// The state in argument 0 of a transition when it can be changed in place: Postgres runs the
/// function as an aggregate and argument 0 is a working varlena of `T` (as
/// [`flat_state_mut`]), or argument 0 is NULL (a new working copy of `T::default()`); `None`
/// for any other argument 0 (a value of another form of the same SQL type, which the caller
/// reads its own way).
///
/// # Safety
/// As [`flat_state_mut`].
#[inline(always)]
pub unsafe fn flat_state_in_place<T: FlatState>(
    fcinfo: pg_sys::FunctionCallInfo,
) -> Option<FlatMut<T>> {
    // SAFETY: `fcinfo` is the running call's with an argument 0 (this function's contract).
    unsafe {
        let in_aggregate = called_as_aggregate(fcinfo);
        match raw_arg(fcinfo, 0) {
            None => Some(FlatMut {
                varlena: new_working(T::default()),
                in_aggregate,
                marker: std::marker::PhantomData,
            }),
            Some(datum) if in_aggregate && is_working::<T>(datum.cast_mut_ptr()) => Some(FlatMut {
                varlena: datum.cast_mut_ptr(),
                in_aggregate,
                marker: std::marker::PhantomData,
            }),
            Some(_) => None,
        }
    }
}

/// Starts loading the cache lines of a working form of `T` in argument 0 (when argument 0 is
/// one), so that their memory latency overlaps the reading of the other arguments: a
/// `GROUP BY` over many groups meets each group's state in no cache. A prefetch never faults,
/// so any argument (NULL, another form) is harmless.
///
/// # Safety
/// `fcinfo` must be a valid call info with an argument 0.
#[inline(always)]
pub unsafe fn prefetch_working_argument<T: FlatState>(fcinfo: pg_sys::FunctionCallInfo) {
    // SAFETY: `fcinfo` has an argument 0 (this function's contract); nothing is dereferenced.
    let pointer = unsafe { pgrx::fcinfo::pg_get_nullable_datum(fcinfo, 0) }
        .value
        .cast_mut_ptr::<i8>();
    #[cfg(target_arch = "x86_64")]
    {
        use std::arch::x86_64::{_mm_prefetch, _MM_HINT_T0};
        let last = pointer.wrapping_add(WORKING_OFFSET + std::mem::size_of::<T>() - 1);
        // SAFETY: a prefetch reads nothing the program sees and never faults.
        unsafe {
            _mm_prefetch::<_MM_HINT_T0>(pointer);
            _mm_prefetch::<_MM_HINT_T0>(last);
        }
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = pointer;
}

/// Argument `index` read as a `T` when it is a working varlena of `T` (validated, since a
/// working form may come from elsewhere: a user's call, a parallel worker), `None` for NULL or
/// any other form.
///
/// # Safety
/// `fcinfo` must be the running call's, with a varlena argument `index`.
#[inline]
pub unsafe fn flat_working_argument<T: FlatState>(
    fcinfo: pg_sys::FunctionCallInfo,
    index: usize,
) -> Option<MetricResult<T>> {
    // SAFETY: argument `index` is a varlena (this function's contract); a working varlena has
    // `size_of::<T>()` bytes after `WORKING_OFFSET`, the payload read here.
    unsafe {
        let pointer = raw_arg(fcinfo, index)?.cast_mut_ptr::<u8>();
        if !is_working::<T>(pointer) {
            return None;
        }
        let payload = std::slice::from_raw_parts(
            pointer.add(pg_sys::VARHDRSZ),
            WORKING_OFFSET - pg_sys::VARHDRSZ + std::mem::size_of::<T>(),
        );
        Some(decode_any::<T>(payload))
    }
}

/// Whether `pointer` is an 8-byte aligned, uncompressed 4-byte-header varlena in the working
/// form of `T`, which the transition may change in place.
///
/// # Safety
/// `pointer` must be a non-null varlena datum.
#[inline(always)]
unsafe fn is_working<T: FlatState>(pointer: *mut u8) -> bool {
    // SAFETY: a varlena has at least its header byte; a 4-byte uncompressed header gives the
    // length, which covers the tag at offset 4 when it equals the working size.
    unsafe {
        (pointer as usize).is_multiple_of(8)
            && pgrx::varatt_is_4b_u(pointer.cast())
            && pgrx::varsize_4b(pointer.cast()) == WORKING_OFFSET + std::mem::size_of::<T>()
            && *pointer.add(pg_sys::VARHDRSZ) == WORKING_TAG
    }
}

/// A new working varlena in the current memory context holding argument 0's state (or the
/// default for NULL).
///
/// # Safety
/// As [`flat_state_mut`].
#[cold]
#[inline(never)]
unsafe fn new_working_copy<T: FlatState>(fcinfo: pg_sys::FunctionCallInfo) -> *mut u8 {
    // SAFETY: argument 0 is of `T`'s type (the caller's contract); the guard turns an error
    // (a malformed value, out of memory) into a Postgres ERROR, and the callers hold nothing
    // that needs dropping.
    unsafe {
        let state = match raw_arg(fcinfo, 0) {
            Some(datum) => with_varlena_bytes(datum, decode_any::<T>).or_raise(),
            None => T::default(),
        };
        new_working(state)
    }
}

/// `palloc`s a working varlena holding `state` in the current memory context.
fn new_working<T: FlatState>(state: T) -> *mut u8 {
    assert_working_layout::<T>();
    let total = WORKING_OFFSET + std::mem::size_of::<T>();
    // SAFETY: palloc returns `total` writable, MAXALIGN'd bytes (or raises an ERROR); the
    // header is set for that length, the tag and padding written, and the struct stored at
    // an 8-byte aligned offset (`T`'s alignment is at most 8, checked above).
    unsafe {
        let pointer = pg_sys::palloc0(total).cast::<u8>();
        pgrx::set_varsize_4b(pointer.cast(), total as i32);
        *pointer.add(pg_sys::VARHDRSZ) = WORKING_TAG;
        *pointer.add(pg_sys::VARHDRSZ + 1) = T::KIND;
        pointer.add(WORKING_OFFSET).cast::<T>().write(state);
        pointer
    }
}

/// Returns the state from a transition or combine function: the working varlena itself when
/// running as an aggregate (the same pointer as argument 0 after the first row, so Postgres
/// copies nothing), else a new canonical value.
///
/// # Safety
/// `fcinfo` must be the call info of the running function; as [`flat_state_mut`] for errors.
#[inline(always)]
pub unsafe fn flat_return<T: FlatState>(
    fcinfo: pg_sys::FunctionCallInfo,
    mut state: FlatMut<T>,
) -> pg_sys::Datum {
    // SAFETY: `fcinfo` is valid for writes (this function's contract).
    unsafe { (*fcinfo).isnull = false };
    if state.in_aggregate {
        pg_sys::Datum::from(state.varlena)
    } else {
        let value = *state.get();
        canonical_datum(value)
    }
}

/// Returns a new state from a transition, in place of argument 0's (a working form outgrown by
/// its rows): a new working varlena in the current memory context when running as an aggregate
/// (Postgres copies it into the aggregate memory context and frees argument 0), else a new
/// canonical value.
///
/// # Safety
/// As [`flat_return`].
#[cold]
#[inline(never)]
pub unsafe fn flat_return_new<T: FlatState>(
    fcinfo: pg_sys::FunctionCallInfo,
    state: T,
) -> pg_sys::Datum {
    // SAFETY: `fcinfo` is valid for reads and writes (this function's contract).
    unsafe {
        (*fcinfo).isnull = false;
        if called_as_aggregate(fcinfo) {
            pg_sys::Datum::from(new_working(state))
        } else {
            canonical_datum(state)
        }
    }
}

/// The canonical varlena of `value` in the current memory context.
#[cold]
#[inline(never)]
fn canonical_datum<T: FlatState>(value: T) -> pg_sys::Datum {
    varlena_from_bytes(T::TYPE_NAME, &value.encode_canonical().or_raise())
}

/// Combine function of a flat state: merges argument 1 (not changed; any form) into argument
/// 0 (changed in place when running as an aggregate) and returns it; a NULL argument 1 returns
/// argument 0 unchanged, a NULL argument 0 starts from `T::default()`.
///
/// # Safety
/// `fcinfo` must be the call info of a function whose two arguments are of `T`'s SQL type.
pub unsafe fn flat_combine<T: FlatState>(
    fcinfo: pg_sys::FunctionCallInfo,
    merge: fn(&mut T, &T) -> MetricResult<()>,
) -> pg_sys::Datum {
    // SAFETY: the guard turns errors and panics into Postgres ERRORs at this boundary; the
    // arguments are of `T`'s type (this function's contract).
    unsafe {
        let Some(second) = raw_arg(fcinfo, 1) else {
            return raw_return_unchanged(fcinfo);
        };
        let other = with_varlena_bytes(second, decode_any::<T>).or_raise();
        let mut state = flat_state_mut::<T>(fcinfo);
        if let Err(error) = merge(state.get(), &other) {
            raise(named_for_running_aggregate(fcinfo, error));
        }
        flat_return(fcinfo, state)
    }
}

/// Final function of a flat state: `finish` of argument 0 (any form, not changed), NULL for
/// a NULL state or when `finish` gives `None`.
///
/// # Safety
/// `fcinfo` must be the call info of a function whose argument 0 is of `T`'s SQL type and
/// whose result type is `R`'s.
pub unsafe fn flat_final<T: FlatState, R: IntoDatum>(
    fcinfo: pg_sys::FunctionCallInfo,
    finish: impl FnOnce(&T) -> Option<R>,
) -> pg_sys::Datum {
    // SAFETY: as `flat_combine`.
    unsafe {
        let result = raw_arg(fcinfo, 0)
            .map(|datum| with_varlena_bytes(datum, decode_any::<T>).or_raise())
            .and_then(|state| finish(&state))
            .and_then(IntoDatum::into_datum);
        (*fcinfo).isnull = result.is_none();
        result.unwrap_or(pg_sys::Datum::from(0usize))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::common::error::MetricError;

    #[test]
    fn every_flat_type_has_its_own_kind() {
        let mut kinds: Vec<u8> = crate::FLAT_TYPES.iter().map(|(kind, _)| *kind).collect();
        kinds.sort_unstable();
        kinds.dedup();
        assert_eq!(kinds.len(), crate::FLAT_TYPES.len());
        assert!(!kinds.contains(&0));
        // Not a working form: None; a working form of no known type: 22P03.
        assert_eq!(canonical_of_working(&[1, 2, 3]), None);
        assert!(matches!(
            canonical_of_working(&[WORKING_TAG, 0, 0, 0]),
            Some(Err(MetricError::InvalidBinary(_)))
        ));
    }
}
