//! How the batch asks glibc's allocator to keep memory it frees.
//!
//! A seller's inputs are read into buffers of megabytes (each file's bytes,
//! each table's cells and text), freed when the seller is done. With its
//! defaults glibc maps the largest of them anew each time and hands freed
//! memory back to the kernel, so the next seller's buffers page-fault in
//! again: on the 100-seller text workspace the kernel spent about a sixth of
//! the run's CPU zeroing and mapping pages. Raising the two thresholds below
//! lets freed buffers be reused in place; peak memory stays what the largest
//! seller needs (see README, Performance).

/// Allocations below this come from the heap, not from a mapping of their own.
const MMAP_THRESHOLD: i32 = 256 << 20;
/// Free memory at the top of a heap is returned to the kernel beyond this.
const TRIM_THRESHOLD: i32 = 1 << 30;

/// Sets glibc's mmap and trim thresholds (see the module's doc). Must be
/// called before any other thread starts; elsewhere than glibc it does nothing.
pub fn keep_freed_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only changes the allocator's tunables, and is called
    // from main before any other thread exists.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, MMAP_THRESHOLD);
        libc::mallopt(libc::M_TRIM_THRESHOLD, TRIM_THRESHOLD);
    }
    #[cfg(not(all(target_os = "linux", target_env = "gnu")))]
    let _ = (MMAP_THRESHOLD, TRIM_THRESHOLD);
}
