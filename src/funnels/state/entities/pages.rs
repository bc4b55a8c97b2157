//! A vector of plain items that grows without copying them once it is large: past 64 KiB its
//! memory is mapped from the kernel (Linux) and grown by remapping (`mremap`), which moves the
//! pages it holds instead of copying them, so neither the items nor their pages are written
//! again (a doubling vector of the allocator copies all its items to fresh pages at every
//! growth). From 2 MiB the mapping asks for transparent huge pages. Elsewhere it is an
//! ordinary allocation, grown by `realloc`. Every growth is fallible: the caller turns a
//! refusal into its 53200 error.
use std::alloc::{self, Layout};
use std::fmt;
use std::ptr::NonNull;

/// Bytes from which the memory is mapped (Linux only).
const MAPPED_FROM: usize = if cfg!(target_os = "linux") {
    64 * 1024
} else {
    usize::MAX
};
/// Mapped sizes are multiples of this.
const PAGE: usize = 4096;
/// Mapped sizes from which huge pages are asked for.
const HUGE_FROM: usize = 2 * 1024 * 1024;

/// See the module documentation. `T` must not be zero-sized.
pub(in crate::funnels::state) struct PageVec<T: Copy> {
    pointer: NonNull<T>,
    len: usize,
    capacity: usize,
    /// Whether the memory is mapped (else allocated, when `capacity` > 0).
    mapped: bool,
}

// SAFETY: the vector owns its memory, as a `Vec` does.
unsafe impl<T: Copy + Send> Send for PageVec<T> {}
// SAFETY: as above; shared access only reads.
unsafe impl<T: Copy + Sync> Sync for PageVec<T> {}

impl<T: Copy> Default for PageVec<T> {
    fn default() -> Self {
        PageVec {
            pointer: NonNull::dangling(),
            len: 0,
            capacity: 0,
            mapped: false,
        }
    }
}

impl<T: Copy + fmt::Debug> fmt::Debug for PageVec<T> {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.debug_list().entries(self.as_slice()).finish()
    }
}

impl<T: Copy> PageVec<T> {
    #[inline(always)]
    pub fn len(&self) -> usize {
        self.len
    }

    #[inline(always)]
    pub fn capacity(&self) -> usize {
        self.capacity
    }

    /// Heap bytes held (mapped or allocated).
    pub fn bytes(&self) -> usize {
        self.capacity * std::mem::size_of::<T>()
    }

    #[inline(always)]
    pub fn as_slice(&self) -> &[T] {
        // SAFETY: `len` items from `pointer` are initialized (dangling and 0 when empty).
        unsafe { std::slice::from_raw_parts(self.pointer.as_ptr(), self.len) }
    }

    #[inline(always)]
    pub fn as_mut_slice(&mut self) -> &mut [T] {
        // SAFETY: as in `as_slice`, and the vector is borrowed mutably.
        unsafe { std::slice::from_raw_parts_mut(self.pointer.as_ptr(), self.len) }
    }

    /// Adds `item` when there is room; gives it back otherwise.
    #[inline(always)]
    pub fn try_push(&mut self, item: T) -> Result<(), T> {
        if self.len == self.capacity {
            return Err(item);
        }
        // SAFETY: `len` < `capacity`: the place is within the memory held.
        unsafe { self.pointer.as_ptr().add(self.len).write(item) };
        self.len += 1;
        Ok(())
    }

    /// The bytes of a capacity of `items` items as this vector would hold them (mapped sizes
    /// are whole pages), or None past what memory can hold.
    pub fn bytes_for(items: usize) -> Option<usize> {
        let bytes = items.checked_mul(std::mem::size_of::<T>())?;
        if bytes >= MAPPED_FROM {
            bytes.checked_next_multiple_of(PAGE)
        } else {
            Some(bytes)
        }
        .filter(|bytes| *bytes <= isize::MAX as usize)
    }

    /// Makes the capacity at least `items` items (mapped sizes round it up to whole pages);
    /// Err when the memory is refused (the vector is then unchanged).
    pub fn try_grow_to(&mut self, items: usize) -> Result<(), ()> {
        if items <= self.capacity {
            return Ok(());
        }
        let size = std::mem::size_of::<T>();
        if size == 0 {
            return Err(());
        }
        let bytes = Self::bytes_for(items).ok_or(())?;
        let old_bytes = self.bytes();
        let pointer = if bytes >= MAPPED_FROM {
            // SAFETY: the memory held is `old_bytes` bytes from `pointer`, mapped when `mapped`.
            unsafe { self.grow_mapped(old_bytes, bytes)? }
        } else {
            let layout =
                Layout::from_size_align(bytes, std::mem::align_of::<T>()).map_err(|_| ())?;
            // SAFETY: an allocation of a non-zero size; `realloc` of the allocation held, whose
            // layout is `old_bytes` with `T`'s alignment (small sizes are never mapped).
            let pointer = unsafe {
                if self.capacity == 0 {
                    alloc::alloc(layout)
                } else {
                    let old = Layout::from_size_align_unchecked(old_bytes, layout.align());
                    alloc::realloc(self.pointer.as_ptr().cast(), old, bytes)
                }
            };
            NonNull::new(pointer.cast::<T>()).ok_or(())?
        };
        self.pointer = pointer;
        self.capacity = bytes / size;
        Ok(())
    }

    /// The memory of `bytes` bytes, mapped, holding the items: the mapping remapped, or a new
    /// mapping with the allocation's items copied and the allocation freed.
    ///
    /// # Safety
    /// The memory held must be `old_bytes` bytes from `pointer`, mapped when `mapped`.
    #[cfg(target_os = "linux")]
    unsafe fn grow_mapped(&mut self, old_bytes: usize, bytes: usize) -> Result<NonNull<T>, ()> {
        // SAFETY: a mapping of the vector's own is remapped (its pages move with it); a new
        // private anonymous mapping is made otherwise, the `len` items copied into it (they fit:
        // `bytes` is above the capacity) and the allocation freed with its layout.
        unsafe {
            let address = if self.mapped {
                libc::mremap(
                    self.pointer.as_ptr().cast(),
                    old_bytes,
                    bytes,
                    libc::MREMAP_MAYMOVE,
                )
            } else {
                libc::mmap(
                    std::ptr::null_mut(),
                    bytes,
                    libc::PROT_READ | libc::PROT_WRITE,
                    libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
                    -1,
                    0,
                )
            };
            if address == libc::MAP_FAILED {
                return Err(());
            }
            if bytes >= HUGE_FROM {
                // Advice only: a kernel without transparent huge pages keeps small ones.
                libc::madvise(address, bytes, libc::MADV_HUGEPAGE);
            }
            let pointer = NonNull::new_unchecked(address.cast::<T>());
            if !self.mapped {
                std::ptr::copy_nonoverlapping(self.pointer.as_ptr(), pointer.as_ptr(), self.len);
                if self.capacity > 0 {
                    alloc::dealloc(
                        self.pointer.as_ptr().cast(),
                        Layout::from_size_align_unchecked(old_bytes, std::mem::align_of::<T>()),
                    );
                }
                self.mapped = true;
            }
            Ok(pointer)
        }
    }

    /// Never called: no size is mapped off Linux.
    #[cfg(not(target_os = "linux"))]
    unsafe fn grow_mapped(&mut self, _old_bytes: usize, _bytes: usize) -> Result<NonNull<T>, ()> {
        Err(())
    }
}

impl<T: Copy> Clone for PageVec<T> {
    /// A copy with room for the items only; aborts when the memory is refused, as cloning a
    /// `Vec` does.
    fn clone(&self) -> Self {
        let mut copy = PageVec::default();
        if copy.try_grow_to(self.len).is_err() {
            let layout = Layout::array::<T>(self.len).unwrap_or(Layout::new::<T>());
            alloc::handle_alloc_error(layout);
        }
        // SAFETY: the copy has room for `len` items; the two vectors do not overlap.
        unsafe {
            std::ptr::copy_nonoverlapping(self.pointer.as_ptr(), copy.pointer.as_ptr(), self.len)
        };
        copy.len = self.len;
        copy
    }
}

impl<T: Copy> Drop for PageVec<T> {
    fn drop(&mut self) {
        let bytes = self.bytes();
        if self.capacity == 0 {
            return;
        }
        // SAFETY: the memory held: a mapping of `bytes` bytes, or an allocation of that layout.
        unsafe {
            if self.mapped {
                #[cfg(target_os = "linux")]
                libc::munmap(self.pointer.as_ptr().cast(), bytes);
            } else {
                alloc::dealloc(
                    self.pointer.as_ptr().cast(),
                    Layout::from_size_align_unchecked(bytes, std::mem::align_of::<T>()),
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{PageVec, HUGE_FROM, MAPPED_FROM};

    #[test]
    fn grows_through_both_memories_keeping_the_items() {
        let mut vector: PageVec<u64> = PageVec::default();
        assert_eq!(vector.try_push(1), Err(1));
        let mut expected = Vec::new();
        let mut next = 0u64;
        // Doubling from 16 items past the mapped and the huge-page sizes.
        while vector.bytes() < 2 * HUGE_FROM {
            let wanted = (vector.capacity() * 2).max(16);
            vector.try_grow_to(wanted).unwrap();
            assert!(vector.capacity() >= wanted);
            assert_eq!(vector.bytes(), vector.capacity() * 8);
            if vector.bytes() >= MAPPED_FROM {
                assert_eq!(vector.bytes() % 4096, 0);
            }
            while vector.try_push(next).is_ok() {
                expected.push(next);
                next = next
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
            }
            assert_eq!(vector.len(), vector.capacity());
            assert_eq!(vector.as_slice(), &expected[..]);
            let copy = vector.clone();
            assert_eq!(copy.as_slice(), vector.as_slice());
        }
        vector.as_mut_slice().sort_unstable();
        expected.sort_unstable();
        assert_eq!(vector.as_slice(), &expected[..]);
        // Growing to less than the capacity changes nothing; sizes past memory are refused.
        let capacity = vector.capacity();
        vector.try_grow_to(3).unwrap();
        assert_eq!(vector.capacity(), capacity);
        assert!(vector.try_grow_to(usize::MAX / 4).is_err());
        assert!(vector.try_grow_to(isize::MAX as usize / 8 + 1).is_err());
        assert_eq!(vector.as_slice(), &expected[..]);
    }
}
