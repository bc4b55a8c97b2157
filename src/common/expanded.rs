//! Growing aggregate states that are SQL values ("transition states Citus can ship").
//!
//! A state that grows with its input (customer lifetimes, cohort activity, MRR months, ticket
//! durations, model inputs) cannot be changed in place inside a varlena the way a fixed-size
//! state is ([`super::flat`]). Postgres's answer is the *expanded object*
//! (`src/include/utils/expandeddatum.h`): a datum that points to an in-memory structure with a
//! header, which Postgres flattens into the type's ordinary binary form whenever it needs a flat
//! value (storing it in a tuple, shipping it to a parallel leader, calling the type's output
//! function for Citus). The aggregate machinery keeps a read-write expanded datum as the
//! transition value without copying it, as long as the object's memory context is a child of
//! the aggregate context (`ExecAggTransReparent`, `advance_windowaggregate`), and a transition
//! that returns the pointer it was given costs nothing more. This is how Postgres's own
//! `array_append` accumulates arrays in an aggregate.
//!
//! Here an object is a Rust value ([`Object`]): the Postgres header, the state, and the bytes of
//! its binary form cached between the two flatten calls. It is a chunk of a memory context (so
//! that Postgres counts it, as hash aggregation's memory limit needs, and allocates it as fast
//! as the `internal` states it replaces), a child of the aggregate context shared by the
//! aggregate's objects ([`states_context`]): resetting or deleting that context drops the Rust
//! values (and the heap memory they own) through reset callbacks before it frees the chunks.
//!
//! Every reader ([`with_state`]) accepts the three forms a value of the type can arrive in: a
//! read-write or read-only pointer to one of these objects (borrowed, not copied) and the flat
//! binary form (decoded and validated like any stored value).
use super::error::{MetricError, MetricResult};
use super::pg::{raise, with_varlena_bytes, OrRaise};
use super::raw::{named_for_running_aggregate, raw_arg, raw_return_unchanged};
use pgrx::pg_sys;

/// A growing aggregate state kept as an expanded object of its SQL type.
///
/// # Safety
/// [`ExpandedState::methods`] must return a `static` used by this type alone (made by
/// [`crate::expanded_state!`]): the address identifies the type of an object.
pub unsafe trait ExpandedState: Clone + 'static {
    /// The SQL type of the state (`crm.customer_summary`), which errors about it name.
    const TYPE_NAME: &'static str;

    /// The binary form: the payload of the SQL type's varlena; 53200 when its buffer cannot be
    /// allocated.
    fn encode_state(&mut self) -> MetricResult<Vec<u8>>;

    /// Reads the binary form, validating it.
    fn decode_state(bytes: &[u8]) -> MetricResult<Self>;

    /// The heap bytes the state holds outside its object: charged to the memory context that
    /// owns the object, so that Postgres counts them (hash aggregation's memory limit).
    fn heap_bytes(&self) -> usize;

    /// The flatten methods of this type's objects.
    fn methods() -> &'static pg_sys::ExpandedObjectMethods;
}

/// Makes `$state` (with an inherent `decode` of its SQL type `$type_name`'s binary form, and
/// an inherent `encode` or the given `$encode` closure writing it) an [`ExpandedState`].
#[macro_export]
macro_rules! expanded_state {
    ($state:ty, $type_name:literal) => {
        $crate::expanded_state!($state, $type_name, |state: &mut $state| state.encode());
    };
    ($state:ty, $type_name:literal, $encode:expr) => {
        // SAFETY: `methods` returns a static of this impl alone.
        unsafe impl $crate::common::expanded::ExpandedState for $state {
            const TYPE_NAME: &'static str = $type_name;
            fn encode_state(&mut self) -> $crate::common::error::MetricResult<Vec<u8>> {
                ($encode)(self)
            }
            fn decode_state(bytes: &[u8]) -> $crate::common::error::MetricResult<Self> {
                <$state>::decode(bytes)
            }
            #[inline(always)]
            fn heap_bytes(&self) -> usize {
                <$state>::heap_bytes(self)
            }
            fn methods() -> &'static ::pgrx::pg_sys::ExpandedObjectMethods {
                static METHODS: ::pgrx::pg_sys::ExpandedObjectMethods =
                    ::pgrx::pg_sys::ExpandedObjectMethods {
                        get_flat_size: Some($crate::common::expanded::get_flat_size::<$state>),
                        flatten_into: Some($crate::common::expanded::flatten_into::<$state>),
                    };
                &METHODS
            }
        }
    };
}

/// An expanded object: Postgres's header first (Postgres reaches the object through a pointer
/// to it), the state, the reset callback that drops the object, the heap bytes of the state
/// charged to the owning context, and the state's binary form between `get_flat_size` and
/// `flatten_into` (the per-row path only checks that there is none).
#[repr(C)]
struct Object<S> {
    header: pg_sys::ExpandedObjectHeader,
    // The state right after the header: the per-row step reads the header (through Postgres's
    // pointer) and then the state, so they share cache lines as far as the state's size allows.
    state: S,
    callback: pg_sys::MemoryContextCallback,
    charged: usize,
    flat: Option<Vec<u8>>,
}

/// Largest varlena Postgres stores (`MaxAllocSize`), header included.
const MAX_VARLENA_BYTES: usize = 0x3fff_ffff;

/// Name of the context that owns the objects of one aggregate context (compared by address).
static STATES_CONTEXT_NAME: &std::ffi::CStr = c"crm_metrics states";

/// How many of an aggregate context's children [`states_context`] looks through for its own
/// before making another (children are listed newest first, and ours is made once).
const CHILDREN_SEARCHED: usize = 8;

/// The child of the aggregate context `parent` that owns this aggregate's objects: found among
/// the newest children, else made.
///
/// One context per object would make Postgres's hash aggregation quadratic: it measures the
/// memory of the aggregate context and all its children (`hash_agg_check_limits`) each time it
/// adds a group. So the objects of one aggregate context share one child context, whose reset
/// or deletion (Postgres does both, at the end of a group, of a hash table, or of a window
/// frame) drops them all. Postgres deletes a single transition value only when a transition
/// returns a pointer other than the state it was given, which the functions of this module
/// never do once a group has an object.
///
/// # Safety
/// `parent` must be a valid memory context.
unsafe fn states_context(parent: pg_sys::MemoryContext) -> pg_sys::MemoryContext {
    // SAFETY: `parent` is valid (this function's contract); its children form a valid list.
    unsafe {
        let mut child = (*parent).firstchild;
        for _ in 0..CHILDREN_SEARCHED {
            if child.is_null() {
                break;
            }
            if std::ptr::eq((*child).name, STATES_CONTEXT_NAME.as_ptr()) {
                return child;
            }
            child = (*child).nextchild;
        }
        pg_sys::AllocSetContextCreateInternal(
            parent,
            STATES_CONTEXT_NAME.as_ptr(),
            pg_sys::ALLOCSET_SMALL_MINSIZE as usize,
            pg_sys::ALLOCSET_SMALL_INITSIZE as usize,
            pg_sys::ALLOCSET_SMALL_MAXSIZE as usize,
        )
    }
}

/// Creates an object holding `state`, owned by `context` (dropped when it is reset or deleted).
///
/// # Safety
/// `context` must be a valid memory context.
unsafe fn new_object<S: ExpandedState>(context: pg_sys::MemoryContext, state: S) -> *mut Object<S> {
    // A chunk is MAXALIGNed (8 bytes); an object aligned more (a state holding `u128`s) takes
    // the slack it needs and starts at the first aligned address in its chunk. The chunk is
    // freed with the context, never through this pointer.
    let align = std::mem::align_of::<Object<S>>();
    let slack = align.saturating_sub(pg_sys::MAXIMUM_ALIGNOF as usize);
    // SAFETY: `context` is valid; the object fits in the chunk from its aligned start and is
    // written before use. An error (out of memory) drops `state` as it unwinds.
    let object = unsafe {
        let chunk = pg_sys::MemoryContextAlloc(context, std::mem::size_of::<Object<S>>() + slack);
        let object = chunk
            .cast::<u8>()
            .add(chunk.cast::<u8>().align_offset(align))
            .cast::<Object<S>>();
        object.write(Object {
            header: pg_sys::ExpandedObjectHeader::default(),
            callback: pg_sys::MemoryContextCallback::default(),
            state,
            charged: 0,
            flat: None,
        });
        object
    };
    // SAFETY: `object` is a valid, unique allocation; the header and callback stay at their
    // address until the context's reset callback drops the object, which is the only owner,
    // and the context frees the chunk after its callbacks ran.
    unsafe {
        pg_sys::EOH_init_header(&mut (*object).header, S::methods(), context);
        (*object).callback.func = Some(drop_object::<S>);
        (*object).callback.arg = object.cast();
        pg_sys::MemoryContextRegisterResetCallback(context, &mut (*object).callback);
        charge_heap(object);
    }
    object
}

/// Charges the heap bytes of an object's state to the memory context that owns it.
///
/// The state's vectors live on the Rust heap, which Postgres does not see: hash aggregation
/// (`hash_agg_check_limits`) and `MemoryContextMemAllocated` would count only the object's
/// chunk, so a `GROUP BY` over many groups could grow far past `work_mem` without spilling.
/// The context's `mem_allocated` (what Postgres adds up) is therefore kept at its own blocks
/// plus the heap bytes of its objects' states: changed after every step that may grow a state,
/// and given back by the reset callback before the context frees its blocks (Postgres then
/// finds the count it expects).
///
/// # Safety
/// `object` must be a live object made by [`new_object`].
#[inline(always)]
unsafe fn charge_heap<S: ExpandedState>(object: *mut Object<S>) {
    // SAFETY: a live object (this function's contract).
    let (bytes, charged) = unsafe { ((*object).state.heap_bytes(), (*object).charged) };
    if bytes != charged {
        // SAFETY: as above.
        unsafe {
            recharge(
                object.cast(),
                std::ptr::addr_of_mut!((*object).charged),
                bytes,
            )
        };
    }
}

/// Moves the charge of an object from `*charged` to `bytes`.
///
/// # Safety
/// `header` must be an object's header and `charged` its charge.
#[cold]
#[inline(never)]
unsafe fn recharge(header: *mut pg_sys::ExpandedObjectHeader, charged: *mut usize, bytes: usize) {
    // SAFETY: the header's context is the live context that owns the object.
    unsafe {
        let context = (*header).eoh_context;
        (*context).mem_allocated = (*context)
            .mem_allocated
            .wrapping_sub(*charged)
            .wrapping_add(bytes);
        *charged = bytes;
    }
}

/// Creates an object holding `state` for the running function: in an aggregate, owned by the
/// aggregate's shared [`states_context`] (so Postgres keeps it as the transition value, whose
/// context must be a child of the aggregate context); called directly, owned by a context of
/// its own under the current one, so that Postgres may delete it alone.
///
/// # Safety
/// `fcinfo` must be the call info of the running function. May raise a Postgres error (out of
/// memory) before the object is made.
unsafe fn new_object_for<S: ExpandedState>(
    fcinfo: pg_sys::FunctionCallInfo,
    state: S,
) -> *mut Object<S> {
    let mut aggregate: pg_sys::MemoryContext = std::ptr::null_mut();
    // SAFETY: `fcinfo` is the running call's and `aggregate` a valid place to write; the
    // contexts made here are valid.
    unsafe {
        let context =
            if pg_sys::AggCheckCallContext(fcinfo, &mut aggregate) != 0 && !aggregate.is_null() {
                states_context(aggregate)
            } else {
                pg_sys::AllocSetContextCreateInternal(
                    pg_sys::CurrentMemoryContext,
                    c"crm_metrics state".as_ptr(),
                    pg_sys::ALLOCSET_SMALL_MINSIZE as usize,
                    pg_sys::ALLOCSET_SMALL_INITSIZE as usize,
                    pg_sys::ALLOCSET_SMALL_MAXSIZE as usize,
                )
            };
        new_object(context, state)
    }
}

/// Reset callback of an object's context: drops the object in place (the context frees its
/// chunk afterwards). Postgres reads the callback's `next` link before calling it.
unsafe extern "C-unwind" fn drop_object<S>(arg: *mut std::ffi::c_void) {
    // SAFETY: `arg` is the object `new_object` wrote, and Postgres calls a reset callback once
    // (it unlinks it first).
    super::guard::guard(|| unsafe {
        let object = arg.cast::<Object<S>>();
        recharge(object.cast(), std::ptr::addr_of_mut!((*object).charged), 0);
        std::ptr::drop_in_place(object)
    });
}

/// `get_flat_size` method: the varlena size of the state's binary form, which is encoded here
/// once and kept for `flatten_into`. Postgres may measure an object more than once before it
/// flattens it (building a tuple measures every value, then measures and flattens each again:
/// `heap_compute_data_size`, then `fill_val`), so a kept form is reused; every step that may
/// change the state ([`expanded_state_mut`]) drops it first, so a kept form always matches the
/// state.
///
/// # Safety
/// Called by Postgres with the header of an object of `S`.
pub unsafe extern "C-unwind" fn get_flat_size<S: ExpandedState>(
    header: *mut pg_sys::ExpandedObjectHeader,
) -> pg_sys::Size {
    // SAFETY: the guard turns an error into a Postgres ERROR; `header` starts an `Object<S>`
    // (this function's contract) that nothing else borrows during the call.
    super::guard::guard(|| unsafe {
        let object = &mut *header.cast::<Object<S>>();
        let length = match &object.flat {
            Some(bytes) => bytes.len(),
            None => {
                let bytes = object.state.encode_state().or_raise();
                let length = bytes.len();
                object.flat = Some(bytes);
                length
            }
        };
        let total = length.saturating_add(pg_sys::VARHDRSZ);
        if total > MAX_VARLENA_BYTES {
            object.flat = None;
            Err::<(), _>(MetricError::LimitExceeded(format!(
                "{}: a state of {total} bytes exceeds the 1 GB value limit; aggregate smaller \
                 groups (per month or segment) and merge them with crm.rollup",
                S::TYPE_NAME
            )))
            .or_raise();
        }
        total
    })
}

/// `flatten_into` method: writes the binary form `get_flat_size` encoded, and drops it (a
/// flattened object is seldom flattened again; when it is, it is encoded again).
///
/// # Safety
/// Called by Postgres with the header of an object of `S` and `size` writable bytes at
/// `result`, after `get_flat_size` returned `size`.
pub unsafe extern "C-unwind" fn flatten_into<S: ExpandedState>(
    header: *mut pg_sys::ExpandedObjectHeader,
    result: *mut std::ffi::c_void,
    size: pg_sys::Size,
) {
    // SAFETY: as `get_flat_size`; `result` has `size` writable bytes (this function's
    // contract), checked against the encoded length before writing.
    super::guard::guard(|| unsafe {
        let object = &mut *header.cast::<Object<S>>();
        let bytes = match object.flat.take() {
            Some(bytes) => bytes,
            None => object.state.encode_state().or_raise(),
        };
        let total = bytes.len() + pg_sys::VARHDRSZ;
        if total != size {
            pgrx::error!(
                "{}: a state changed between measuring and flattening it",
                S::TYPE_NAME
            );
        }
        pgrx::set_varsize_4b(result.cast(), total as i32);
        std::ptr::copy_nonoverlapping(
            bytes.as_ptr(),
            result.cast::<u8>().add(pg_sys::VARHDRSZ),
            bytes.len(),
        );
    })
}

/// The object of `S` a datum points to, and whether the pointer is read-write; `None` for a
/// flat value.
///
/// # Safety
/// `datum` must be a non-null varlena datum.
#[inline(always)]
unsafe fn object_of<S: ExpandedState>(datum: pg_sys::Datum) -> Option<(*mut Object<S>, bool)> {
    let pointer = datum.cast_mut_ptr::<pg_sys::varlena>();
    // SAFETY: a varlena has a header byte; a 1-byte external header is followed by its tag and,
    // for an expanded tag, the (unaligned) header pointer.
    unsafe {
        if !pgrx::varatt_is_1b_e(pointer) {
            return None;
        }
        let read_write = match u32::from(pgrx::vartag_external(pointer)) {
            pg_sys::vartag_external::VARTAG_EXPANDED_RW => true,
            pg_sys::vartag_external::VARTAG_EXPANDED_RO => false,
            _ => return None,
        };
        let header = pointer
            .cast::<u8>()
            .add(2)
            .cast::<*mut pg_sys::ExpandedObjectHeader>()
            .read_unaligned();
        std::ptr::eq((*header).eoh_methods, S::methods())
            .then_some((header.cast::<Object<S>>(), read_write))
    }
}

/// Runs `read` over the state in `datum`: an object's own state, else the flat binary form
/// decoded and validated.
///
/// # Safety
/// `datum` must be a non-null datum of `S`'s SQL type. Raises a Postgres error for a malformed
/// value: call it inside a guard.
pub unsafe fn with_state<S: ExpandedState, R>(
    datum: pg_sys::Datum,
    read: impl FnOnce(&mut S) -> R,
) -> R {
    // SAFETY: `datum` is a non-null value of the type (this function's contract); an object it
    // points to is alive for the call and not borrowed elsewhere.
    unsafe {
        match object_of::<S>(datum) {
            Some((object, _)) => read(&mut (*object).state),
            None => {
                let mut state = with_varlena_bytes(datum, S::decode_state).or_raise();
                read(&mut state)
            }
        }
    }
}

/// The state in `datum` as a value of its own: a copy of an object's state ([`copy_state`]),
/// else the flat binary form decoded and validated (no copy of the decoded value).
///
/// # Safety
/// As [`with_state`].
unsafe fn owned_state<S: ExpandedState>(datum: pg_sys::Datum) -> S {
    // SAFETY: as `with_state` (this function's contract).
    unsafe {
        match object_of::<S>(datum) {
            Some((object, _)) => copy_state(&mut (*object).state).or_raise(),
            None => with_varlena_bytes(datum, S::decode_state).or_raise(),
        }
    }
}

/// Heap bytes up to which an object's state is copied with `clone`.
const CLONED_STATE_BYTES: usize = 1 << 20;

/// A copy of an object's state: a clone while the state is small, else its binary form decoded,
/// whose allocations are fallible (a state-sized clone would abort the backend when memory runs
/// out; encoding and decoding end in 53200). Encoding may normalize the state in place, as
/// flattening the object does.
#[cold]
fn copy_state<S: ExpandedState>(state: &mut S) -> MetricResult<S> {
    if state.heap_bytes() <= CLONED_STATE_BYTES {
        return Ok(state.clone());
    }
    S::decode_state(&state.encode_state()?)
}

/// The state of a transition or combine function, ready to be changed.
pub struct ExpandedMut<S: ExpandedState> {
    object: *mut Object<S>,
}

impl<S: ExpandedState> ExpandedMut<S> {
    /// The state.
    #[inline(always)]
    pub fn get(&mut self) -> &mut S {
        // SAFETY: `object` is a live object this call owns (made or checked by
        // `expanded_state_mut`), not borrowed elsewhere during the call.
        unsafe { &mut (*self.object).state }
    }
}

/// The state in argument 0 of a transition or combine function, ready to be changed: the
/// object a read-write pointer in argument 0 points to (after the first row, Postgres passes
/// back the pointer the transition returned), else a new object, owned by the aggregate
/// context when running as an aggregate, holding a copy of argument 0's state or, for NULL,
/// `init()`.
///
/// # Safety
/// `fcinfo` must be the call info of a function whose argument 0 is of `S`'s SQL type.
#[inline(always)]
pub unsafe fn expanded_state_mut<S: ExpandedState>(
    fcinfo: pg_sys::FunctionCallInfo,
    init: impl FnOnce() -> S,
) -> ExpandedMut<S> {
    // SAFETY: argument 0 is a value of `S`'s type (this function's contract).
    unsafe {
        if let Some(datum) = raw_arg(fcinfo, 0) {
            if let Some((object, true)) = object_of::<S>(datum) {
                if (*object).flat.is_some() {
                    forget_flat(object);
                }
                return ExpandedMut { object };
            }
        }
        ExpandedMut {
            object: new_state_object(fcinfo, init),
        }
    }
}

/// Drops the binary form kept by `get_flat_size`: the state is about to change.
///
/// # Safety
/// `object` must be a live object made by [`new_object`].
#[cold]
#[inline(never)]
unsafe fn forget_flat<S: ExpandedState>(object: *mut Object<S>) {
    // SAFETY: a live object (this function's contract), not borrowed during the call.
    unsafe { (*object).flat = None };
}

/// The new object of [`expanded_state_mut`].
///
/// # Safety
/// As [`expanded_state_mut`].
#[cold]
#[inline(never)]
unsafe fn new_state_object<S: ExpandedState>(
    fcinfo: pg_sys::FunctionCallInfo,
    init: impl FnOnce() -> S,
) -> *mut Object<S> {
    // SAFETY: the guard turns an error into a Postgres ERROR and the callers hold nothing that
    // needs dropping (this function's contract).
    unsafe {
        let state = match raw_arg(fcinfo, 0) {
            Some(datum) => owned_state::<S>(datum),
            None => init(),
        };
        new_object_for(fcinfo, state)
    }
}

/// Returns the state from a transition or combine function as a read-write pointer to its
/// object (the same pointer as argument 0 after the first row, so Postgres copies nothing).
///
/// # Safety
/// `fcinfo` must be the call info of the running function.
#[inline(always)]
pub unsafe fn expanded_return<S: ExpandedState>(
    fcinfo: pg_sys::FunctionCallInfo,
    state: ExpandedMut<S>,
) -> pg_sys::Datum {
    // SAFETY: `fcinfo` is valid for writes and `state.object` a live object (this function's
    // contract and `ExpandedMut`'s invariant).
    unsafe {
        debug_assert!(
            returns_argument_object(fcinfo, state.object),
            "an expanded transition returned another object than its argument 0's"
        );
        charge_heap(state.object);
        (*fcinfo).isnull = false;
        pg_sys::Datum::from((*state.object).header.eoh_rw_ptr.as_mut_ptr())
    }
}

/// Returns `state` from a transition whose argument 0 is not an object of `S` (NULL or a flat
/// value, which Postgres frees once it has the new value) as a new object: owned by the
/// aggregate's objects' context in an aggregate, by a context of its own otherwise.
///
/// # Safety
/// `fcinfo` must be the call info of the running function, whose argument 0 is not an object
/// of `S`. May raise a Postgres error (out of memory) before the object is made.
pub unsafe fn expanded_return_new<S: ExpandedState>(
    fcinfo: pg_sys::FunctionCallInfo,
    state: S,
) -> pg_sys::Datum {
    // SAFETY: as this function's contract; the new object is not argument 0's.
    unsafe {
        let object = new_object_for(fcinfo, state);
        expanded_return(fcinfo, ExpandedMut { object })
    }
}

/// Whether `object` is the object of argument 0 when argument 0 is a read-write object of `S`.
/// Postgres deletes the transition value it passed when a transition returns another pointer
/// (`ExecAggTransReparent`), and deleting an object deletes its context, which the objects of
/// one aggregate share: a transition must return the object it was given.
///
/// # Safety
/// `fcinfo` must be the call info of the running function.
unsafe fn returns_argument_object<S: ExpandedState>(
    fcinfo: pg_sys::FunctionCallInfo,
    object: *mut Object<S>,
) -> bool {
    // SAFETY: argument 0 is a value of `S`'s type (the caller's contract).
    match unsafe { raw_arg(fcinfo, 0).and_then(|datum| object_of::<S>(datum)) } {
        Some((argument, true)) => std::ptr::eq(argument, object),
        _ => true,
    }
}

/// Combine function of an expanded state, and transition of a rollup (whose input is a value of
/// the state's own type): merges argument 1 (any form, not changed) into argument 0 and returns
/// it; a NULL argument 1 returns argument 0 unchanged, a NULL argument 0 starts from a copy of
/// argument 1.
///
/// # Safety
/// `fcinfo` must be the call info of a function whose two arguments are of `S`'s SQL type.
pub unsafe fn expanded_combine<S: ExpandedState>(
    fcinfo: pg_sys::FunctionCallInfo,
    merge: impl FnOnce(&mut S, &S) -> MetricResult<()>,
) -> pg_sys::Datum {
    // SAFETY: the guard turns errors and panics into Postgres ERRORs at this boundary; the
    // arguments are of `S`'s type (this function's contract) and are distinct values, so the
    // two states do not alias.
    unsafe {
        let Some(second) = raw_arg(fcinfo, 1) else {
            return raw_return_unchanged(fcinfo);
        };
        if raw_arg(fcinfo, 0).is_none() {
            let object = new_object_for(fcinfo, owned_state::<S>(second));
            return expanded_return(fcinfo, ExpandedMut { object });
        }
        let mut state = expanded_state_mut::<S>(fcinfo, unreachable_init);
        if let Err(error) = with_state::<S, _>(second, |other| merge(state.get(), other)) {
            raise(named_for_running_aggregate(fcinfo, error));
        }
        expanded_return(fcinfo, state)
    }
}

/// The `init` of a state that is never NULL where it is asked for.
#[cold]
fn unreachable_init<S>() -> S {
    pgrx::error!("crm_metrics: a combine function lost its first state")
}

/// Final function of an expanded state: `finish` of argument 0 (any form; `finish` may fold
/// the state but must not change what it means), NULL for a NULL state or when `finish` gives
/// `None`.
///
/// # Safety
/// `fcinfo` must be the call info of a function whose argument 0 is of `S`'s SQL type and whose
/// result `finish` returns.
pub unsafe fn expanded_final<S: ExpandedState>(
    fcinfo: pg_sys::FunctionCallInfo,
    finish: impl FnOnce(&mut S) -> Option<pg_sys::Datum>,
) -> pg_sys::Datum {
    // SAFETY: as `expanded_combine`.
    unsafe {
        let result = raw_arg(fcinfo, 0).and_then(|datum| with_state::<S, _>(datum, finish));
        (*fcinfo).isnull = result.is_none();
        result.unwrap_or(pg_sys::Datum::from(0usize))
    }
}
