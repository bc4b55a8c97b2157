//! The allocator of the extension's Rust code: the system allocator (glibc's `malloc`), which
//! also asks the kernel to back the large blocks with transparent huge pages.
//!
//! A summary of a million customers or funnel events holds tens of megabytes of fresh memory;
//! a backend that touches it page by page takes a page fault per 4 KiB (about 2 µs each here,
//! some 10 % of such a query). The pages of a block of at least [`LARGE`] bytes are marked
//! `madvise(MADV_HUGEPAGE)` before they are first written, so the kernel backs the block's
//! 2 MiB-aligned parts with 2 MiB pages when it can (one fault each) and everything else with
//! ordinary pages. The hint is only that: the memory, its accounting (`crm.max_state_memory`)
//! and every answer are the same; a kernel whose transparent huge pages are `never` ignores it,
//! and an `madvise` that fails changes nothing. A block glibc grows by remapping keeps the mark
//! and one it moves gets it afresh. Only the extension's own Rust allocations go through here;
//! Postgres's memory contexts are untouched.
use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicBool, Ordering};

/// The storage of `crm.huge_pages` (a C `bool`: Postgres writes it on SET; the allocator reads
/// it for large blocks only).
pub static HUGE_PAGES: AtomicBool = AtomicBool::new(true);

/// Smallest block marked: one huge page.
pub const LARGE: usize = 2 << 20;
/// The page size the range marked is rounded to: the base page of x86-64 Linux and of most
/// arm64 kernels (with larger pages the range is misaligned and `madvise` refuses the hint).
const PAGE: usize = 4096;

/// The system allocator with the huge-page hint on large blocks.
pub struct HugePageHint;

/// The whole pages that hold the block at `address` of `size` bytes: from the page of its first
/// byte to the end of the page of its last. For a block glibc maps on its own this is exactly
/// its mapping (the block's header included), so the mark never splits the mapping and glibc
/// can still grow it in place by remapping (`mremap` moves only whole mappings).
pub fn pages_of(address: usize, size: usize) -> Option<(usize, usize)> {
    let start = address & !(PAGE - 1);
    let end = address.checked_add(size)?.checked_next_multiple_of(PAGE)?;
    (size > 0).then_some((start, end - start))
}

/// Marks the pages of a freshly allocated or grown block of `size` bytes at `block`.
fn advise(block: *mut u8, size: usize) {
    if size < LARGE || block.is_null() || !HUGE_PAGES.load(Ordering::Relaxed) {
        return;
    }
    if let Some((start, len)) = pages_of(block as usize, size) {
        // SAFETY: the range is the block's own pages, mapped since the allocator just handed
        // the block out; its first and last page may also hold bytes of the allocator's
        // bookkeeping or of a neighbouring block, which is sound because MADV_HUGEPAGE changes
        // only how the kernel backs pages not yet touched, never any contents, mapping or
        // protection. Its result is a hint's: ignored.
        unsafe {
            libc::madvise(start as *mut libc::c_void, len, libc::MADV_HUGEPAGE);
        }
    }
}

// SAFETY: every method forwards to `System` with the same arguments and returns its result
// unchanged; the hint only changes how the kernel backs pages of a block just returned.
unsafe impl GlobalAlloc for HugePageHint {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: the caller's contract for `alloc` is `System.alloc`'s.
        let block = unsafe { System.alloc(layout) };
        advise(block, layout.size());
        block
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: the caller's contract for `alloc_zeroed` is `System.alloc_zeroed`'s.
        let block = unsafe { System.alloc_zeroed(layout) };
        advise(block, layout.size());
        block
    }

    unsafe fn dealloc(&self, block: *mut u8, layout: Layout) {
        // SAFETY: `block` came from `System` (every method here allocates through it) with
        // this layout.
        unsafe { System.dealloc(block, layout) }
    }

    unsafe fn realloc(&self, block: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: as `dealloc`; the caller's contract for `realloc` is `System.realloc`'s.
        let grown = unsafe { System.realloc(block, layout, new_size) };
        advise(grown, new_size);
        grown
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_cover_the_block_whole_pages_only() {
        for (address, size) in [
            (0usize, 4 << 20),
            (16, 4 << 20),
            (4096, 1),
            ((2 << 20) - 16, (2 << 20) + 32),
            (12345 * 4096 + 16, 7 << 20),
        ] {
            let (start, len) = pages_of(address, size).unwrap();
            assert_eq!(start % PAGE, 0);
            assert_eq!(len % PAGE, 0);
            assert!(start <= address && start + len >= address + size);
            assert!(address - start < PAGE && start + len - (address + size) < PAGE);
        }
        assert_eq!(pages_of(16, (4 << 20) - 16), Some((0, 4 << 20)));
        assert_eq!(pages_of(4096, 0), None);
        assert_eq!(pages_of(usize::MAX - 100, 4 << 20), None);
    }

    #[test]
    fn blocks_keep_their_contents() {
        let words = |bytes: usize| bytes / 8;
        for (first, grown) in [(64usize, 4096usize), (3 << 20, 9 << 20), (5 << 20, 6 << 20)] {
            let layout = Layout::from_size_align(first, 8).unwrap();
            // SAFETY: the layout has a non-zero size; every block is written within its size,
            // grown with its own layout and freed once with the layout of its size.
            unsafe {
                let block = HugePageHint.alloc(layout) as *mut u64;
                assert!(!block.is_null());
                for i in 0..words(first) {
                    block.add(i).write(i as u64 * 3);
                }
                let grown_block = HugePageHint.realloc(block as *mut u8, layout, grown) as *mut u64;
                assert!(!grown_block.is_null());
                for i in 0..words(first) {
                    assert_eq!(grown_block.add(i).read(), i as u64 * 3);
                }
                for i in words(first)..words(grown) {
                    grown_block.add(i).write(i as u64);
                }
                assert_eq!(
                    grown_block.add(words(grown) - 1).read(),
                    words(grown) as u64 - 1
                );
                HugePageHint.dealloc(
                    grown_block as *mut u8,
                    Layout::from_size_align(grown, 8).unwrap(),
                );
                let zeroed = HugePageHint.alloc_zeroed(layout);
                assert!(!zeroed.is_null());
                assert!(std::slice::from_raw_parts(zeroed, first)
                    .iter()
                    .all(|&b| b == 0));
                HugePageHint.dealloc(zeroed, layout);
            }
        }
    }
}
