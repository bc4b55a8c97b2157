//! Interrupt checks for the long loops of the plain-Rust math.
//!
//! A loop whose length the caller controls (series, cohort tables, model fits and horizons,
//! business-time spans, merging and decoding big summaries) calls [`check`] once per expensive
//! iteration, or a [`Ticker`] once per cheap one (it calls [`check`] every [`STRIDE`] ticks),
//! or iterates through [`checked`]. [`check`] calls the hook the pgrx layer installs when the
//! library is loaded (`_PG_init`): Postgres's `CHECK_FOR_INTERRUPTS`, which reports a pending
//! cancel (statement_timeout, pg_cancel_backend) as a Rust panic that unwinds the loop's frames
//! and is raised as the ERROR at the function's guard. Outside Postgres (unit tests) no hook is
//! installed and [`check`] does nothing. The math never calls Postgres itself.
use std::sync::OnceLock;

static HOOK: OnceLock<fn()> = OnceLock::new();

/// Installs the interrupt hook (once per process; later calls are ignored).
pub fn install(hook: fn()) {
    let _ = HOOK.set(hook);
}

/// Calls the interrupt hook, if one is installed: may unwind with a cancel.
#[inline]
pub fn check() {
    if let Some(hook) = HOOK.get() {
        hook();
    }
}

/// Cheap iterations between two checks of a [`Ticker`]: a few microseconds of work at most, so
/// a cancel is seen within milliseconds while the check costs nothing measurable per row.
pub const STRIDE: u32 = 1 << 12;

/// Counts the iterations of a loop and checks for interrupts every [`STRIDE`] of them.
#[derive(Debug, Default, Clone)]
pub struct Ticker {
    count: u32,
}

impl Ticker {
    pub const fn new() -> Self {
        Ticker { count: 0 }
    }

    /// One iteration done.
    #[inline(always)]
    pub fn tick(&mut self) {
        self.count = self.count.wrapping_add(1);
        if self.count.is_multiple_of(STRIDE) {
            check();
        }
    }
}

/// `iterable` with a [`Ticker`] ticked for every item.
pub fn checked<I: IntoIterator>(iterable: I) -> Checked<I::IntoIter> {
    Checked {
        inner: iterable.into_iter(),
        ticker: Ticker::new(),
    }
}

/// The iterator [`checked`] returns.
#[derive(Debug, Clone)]
pub struct Checked<I> {
    inner: I,
    ticker: Ticker,
}

impl<I: Iterator> Iterator for Checked<I> {
    type Item = I::Item;

    #[inline(always)]
    fn next(&mut self) -> Option<I::Item> {
        self.ticker.tick();
        self.inner.next()
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        self.inner.size_hint()
    }
}

impl<I: DoubleEndedIterator> DoubleEndedIterator for Checked<I> {
    #[inline(always)]
    fn next_back(&mut self) -> Option<I::Item> {
        self.ticker.tick();
        self.inner.next_back()
    }
}

impl<I: ExactSizeIterator> ExactSizeIterator for Checked<I> {}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicU64, Ordering};

    static CALLS: AtomicU64 = AtomicU64::new(0);

    fn count_call() {
        CALLS.fetch_add(1, Ordering::Relaxed);
    }

    /// The hook is process-wide: this is the only test that installs one (a counter, harmless
    /// to every other test), and it counts calls relative to what it saw before.
    #[test]
    fn ticker_and_checked_call_the_hook_every_stride() {
        install(count_call);
        let before = CALLS.load(Ordering::Relaxed);
        let mut ticker = Ticker::new();
        for _ in 0..3 * STRIDE + 1 {
            ticker.tick();
        }
        let after_ticker = CALLS.load(Ordering::Relaxed);
        assert!(after_ticker - before >= 3);
        let items: Vec<u32> = checked(0..2 * STRIDE).collect();
        assert_eq!(items.len(), (2 * STRIDE) as usize);
        assert!(CALLS.load(Ordering::Relaxed) - after_ticker >= 2);
        check();
        assert!(CALLS.load(Ordering::Relaxed) - after_ticker >= 3);
    }
}
