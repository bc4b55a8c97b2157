//! The memory bound of the aggregate states that grow with their input (`crm.max_state_memory`).
//!
//! States that keep customers, cohorts, customer-months, ticket durations or model inputs grow
//! with the rows they see. Rust aborts the backend when an allocation fails, and Postgres refuses
//! a value of 1 GB or more, so each such state checks, before it grows, that its heap bytes after
//! growing stay within the bound, and otherwise fails with SQLSTATE 54000 naming the function,
//! what it was keeping, the bound and what to do. The bound is per aggregate state (one group of
//! one aggregate), in kB, read from the `crm.max_state_memory` setting, whose storage is
//! [`MAX_STATE_MEMORY_KB`] (Postgres writes it; the checks only read it, on the cold growth path).
use std::sync::atomic::{AtomicI32, Ordering};

use super::error::{MetricError, MetricResult};

/// Default bound: 1 GB, the size of the largest value Postgres stores.
pub const DEFAULT_MAX_STATE_MEMORY_KB: i32 = 1024 * 1024;
/// Smallest bound the setting accepts.
pub const MIN_MAX_STATE_MEMORY_KB: i32 = 64;

/// The value of `crm.max_state_memory` in kB. `DefineCustomIntVariable` is given its address
/// (an `AtomicI32` has the layout of a C `int`), so `SET` changes it directly.
pub static MAX_STATE_MEMORY_KB: AtomicI32 = AtomicI32::new(DEFAULT_MAX_STATE_MEMORY_KB);

/// The bound in bytes.
pub fn max_state_bytes() -> usize {
    let kb = MAX_STATE_MEMORY_KB
        .load(Ordering::Relaxed)
        .max(MIN_MAX_STATE_MEMORY_KB);
    usize::try_from(kb)
        .unwrap_or(usize::MAX)
        .saturating_mul(1024)
}

/// Heap bytes of a vector's allocation.
pub fn vec_bytes<T>(vector: &Vec<T>) -> usize {
    vector.capacity().saturating_mul(std::mem::size_of::<T>())
}

/// Ok when a state of `function` keeping `what` may hold `bytes` heap bytes; otherwise the
/// 54000 error that says what to do.
#[cold]
#[inline(never)]
pub fn check_state_bytes(function: &str, what: &str, bytes: usize) -> MetricResult<()> {
    let bound = max_state_bytes();
    if bytes <= bound {
        return Ok(());
    }
    Err(MetricError::LimitExceeded(format!(
        "{function}: the aggregate state ({what}) would need {} of memory, more than \
         crm.max_state_memory ({}); aggregate smaller groups (for example one per month or per \
         customer segment) and merge the results with crm.rollup where the summary has one, or \
         raise crm.max_state_memory",
        human_bytes(bytes),
        human_bytes(bound)
    )))
}

/// A copy of `values` in a vector reserved fallibly (53200 naming `function` and `what`, as
/// [`reserve`]).
pub fn copied<T: Copy>(values: &[T], function: &str, what: &str) -> MetricResult<Vec<T>> {
    let mut copy = Vec::new();
    reserve(&mut copy, values.len(), function, what)?;
    copy.extend_from_slice(values);
    Ok(copy)
}

/// Makes room for `additional` more items in `vector` (at least; the vector may double), or
/// fails with 53200 naming `function` and what the state keeps. Rust aborts the process when an
/// infallible allocation fails, so every growth of a state's vectors goes through here after
/// [`check_state_bytes`] allowed it.
#[inline]
pub fn reserve<T>(
    vector: &mut Vec<T>,
    additional: usize,
    function: &str,
    what: &str,
) -> MetricResult<()> {
    grow(vector, additional, false).map_err(|items| out_of_memory(function, what, items))
}

/// Makes room for `additional` more items in `vector`: exactly that many when `exact`, else
/// the vector may double. On a refused allocation, the items it would have held.
#[inline(always)]
fn grow<T>(vector: &mut Vec<T>, additional: usize, exact: bool) -> Result<(), usize> {
    if vector.capacity() - vector.len() >= additional {
        return Ok(());
    }
    let grown = if exact {
        vector.try_reserve_exact(additional)
    } else {
        vector.try_reserve(additional)
    };
    grown.map_err(|_| vector.len().saturating_add(additional))
}

/// The 53200 error of a state whose vector of `items` items could not be allocated.
#[cold]
#[inline(never)]
pub fn out_of_memory(function: &str, what: &str, items: usize) -> MetricError {
    MetricError::OutOfMemory(format!(
        "{function}: out of memory growing the aggregate state ({what}) to {items} items"
    ))
}

/// The 53200 error of a binary or text form of `what` (a SQL type) whose buffer of `bytes`
/// bytes could not be allocated.
#[cold]
#[inline(never)]
pub fn encoding_out_of_memory(what: &str, bytes: usize) -> MetricError {
    MetricError::OutOfMemory(format!(
        "{what}: out of memory encoding a value of {}",
        human_bytes(bytes)
    ))
}

/// An empty vector with room for exactly `count` items of a value being decoded (its binary or
/// text form, a state being deserialized or expanded), or the 53200 error naming `what` (a SQL
/// type). A count read from the data is bounded by the bytes left before it gets here; this
/// makes the allocation itself fallible, as [`reserve`] does for a growing state.
pub fn decoded_vec<T>(count: usize, what: &str) -> MetricResult<Vec<T>> {
    let mut vector = Vec::new();
    reserve_decoded(&mut vector, count, what)?;
    Ok(vector)
}

/// Makes room for exactly `additional` more items in `vector`, a value being decoded, or fails
/// with the 53200 error naming `what` (see [`decoded_vec`]).
pub fn reserve_decoded<T>(vector: &mut Vec<T>, additional: usize, what: &str) -> MetricResult<()> {
    grow(vector, additional, true).map_err(|items| {
        decoding_out_of_memory(what, items.saturating_mul(std::mem::size_of::<T>()))
    })
}

/// The 53200 error of a value of `what` (a SQL type) being decoded whose `bytes` bytes could
/// not be allocated.
#[cold]
#[inline(never)]
pub fn decoding_out_of_memory(what: &str, bytes: usize) -> MetricError {
    MetricError::OutOfMemory(format!(
        "{what}: out of memory decoding a value of {}",
        human_bytes(bytes)
    ))
}

/// The rows of a reader's result (or a working table sized by its input or its arguments:
/// periods, cohorts, bins) collected with every allocation fallible: the 53200 error naming
/// `function` and `what` when one is refused, where `.collect()` would abort the backend. The
/// vector starts at the iterator's lower size hint and doubles.
pub fn collect_result<T>(
    function: &str,
    what: &str,
    items: impl IntoIterator<Item = T>,
) -> MetricResult<Vec<T>> {
    let items = items.into_iter();
    let mut vector = Vec::new();
    reserve_result(&mut vector, items.size_hint().0, function, what)?;
    for item in items {
        reserve_result(&mut vector, 1, function, what)?;
        vector.push(item);
    }
    Ok(vector)
}

/// `count` copies of `value` for a reader's working table, allocated fallibly (see
/// [`collect_result`]).
pub fn filled_result<T: Clone>(
    function: &str,
    what: &str,
    count: usize,
    value: T,
) -> MetricResult<Vec<T>> {
    let mut vector = Vec::new();
    reserve_result(&mut vector, count, function, what)?;
    vector.resize(count, value);
    Ok(vector)
}

/// Makes room for `additional` more items in `vector`, a reader's result or working table (it
/// may double), or fails with the 53200 error naming `function` and `what`.
#[inline]
pub fn reserve_result<T>(
    vector: &mut Vec<T>,
    additional: usize,
    function: &str,
    what: &str,
) -> MetricResult<()> {
    grow(vector, additional, false).map_err(|items| {
        result_out_of_memory(
            function,
            what,
            items.saturating_mul(std::mem::size_of::<T>()),
        )
    })
}

/// The 53200 error of a reader whose result or working table (`what`) of `bytes` bytes could
/// not be allocated.
#[cold]
#[inline(never)]
pub fn result_out_of_memory(function: &str, what: &str, bytes: usize) -> MetricError {
    MetricError::OutOfMemory(format!(
        "{function}: out of memory building {what} ({})",
        human_bytes(bytes)
    ))
}

/// `bytes` as Postgres prints memory settings: whole kB, MB or GB when exact, else rounded MB.
pub fn human_bytes(bytes: usize) -> String {
    const KB: usize = 1024;
    const MB: usize = 1024 * KB;
    const GB: usize = 1024 * MB;
    if bytes >= GB && bytes.is_multiple_of(GB) {
        format!("{}GB", bytes / GB)
    } else if bytes >= MB {
        format!("{}MB", bytes.div_ceil(MB))
    } else {
        format!("{}kB", bytes.div_ceil(KB))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bound_is_inclusive_and_error_names_everything() {
        let bound = max_state_bytes();
        assert_eq!(bound, 1 << 30);
        assert!(check_state_bytes("crm.f", "things", bound).is_ok());
        let error = check_state_bytes("crm.f", "things", bound + 1).unwrap_err();
        let MetricError::LimitExceeded(message) = error else {
            panic!("not a limit error: {error:?}");
        };
        assert!(message.starts_with("crm.f: the aggregate state (things) would need 1025MB"));
        assert!(message.contains("crm.max_state_memory (1GB)"), "{message}");
        assert!(message.contains("crm.rollup"), "{message}");
    }

    #[test]
    fn human_bytes_rounds_up() {
        assert_eq!(human_bytes(64 * 1024), "64kB");
        assert_eq!(human_bytes(1), "1kB");
        assert_eq!(human_bytes(3 << 20), "3MB");
        assert_eq!(human_bytes((3 << 20) + 1), "4MB");
        assert_eq!(human_bytes(2 << 30), "2GB");
    }

    #[test]
    fn refused_decoding_allocation_is_53200() {
        // A count no allocator satisfies and one past what a vector may hold at all: neither
        // aborts, both are 53200 naming the type and the size.
        for count in [(isize::MAX as usize) / 8 - 64, usize::MAX] {
            let error = decoded_vec::<u64>(count, "crm.t").unwrap_err();
            // OutOfMemory is SQLSTATE 53200.
            let MetricError::OutOfMemory(message) = error else {
                panic!("not an out-of-memory error");
            };
            assert!(
                message.starts_with("crm.t: out of memory decoding a value of "),
                "{message}"
            );
        }
        let mut vector = decoded_vec::<u64>(3, "crm.t").unwrap();
        assert_eq!(vector.capacity(), 3);
        vector.push(1);
        assert!(reserve_decoded(&mut vector, usize::MAX - 1, "crm.t").is_err());
        reserve_decoded(&mut vector, 5, "crm.t").unwrap();
        assert_eq!(vector.capacity(), 6);
    }

    #[test]
    fn refused_result_allocation_is_53200() {
        // A count no allocator satisfies: 53200 naming the reader and its table, no abort.
        let huge = (isize::MAX as usize) / 8 - 64;
        for error in [
            filled_result::<u64>("crm.f", "its rows", huge, 0).unwrap_err(),
            collect_result("crm.f", "its rows", (0..huge).map(|i| i as u64)).unwrap_err(),
        ] {
            let MetricError::OutOfMemory(message) = error else {
                panic!("not an out-of-memory error");
            };
            assert!(
                message.starts_with("crm.f: out of memory building its rows ("),
                "{message}"
            );
        }
        assert_eq!(filled_result("crm.f", "t", 3, 7u8).unwrap(), vec![7, 7, 7]);
        let collected = collect_result("crm.f", "t", (0..100).filter(|i| i % 3 == 0)).unwrap();
        assert_eq!(collected, (0..100).step_by(3).collect::<Vec<_>>());
    }

    #[test]
    fn vec_bytes_counts_capacity() {
        let vector: Vec<u64> = Vec::with_capacity(10);
        assert_eq!(vec_bytes(&vector), 80);
    }
}
