//! Where "now" comes from. Production reads the system clock; tests set it by hand.

use jiff::Timestamp;
use std::sync::atomic::{AtomicI64, Ordering};

/// A source of the current instant.
pub trait Clock: Send + Sync {
    /// Now.
    fn now(&self) -> Timestamp;
}

/// The system clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Timestamp {
        Timestamp::now()
    }
}

/// A clock moved by hand, for tests.
#[derive(Debug)]
pub struct ManualClock(AtomicI64);

impl ManualClock {
    /// A clock standing at `at`.
    pub fn new(at: Timestamp) -> ManualClock {
        ManualClock(AtomicI64::new(at.as_millisecond()))
    }

    /// Moves the clock forward by `ms` milliseconds.
    pub fn advance_ms(&self, ms: i64) {
        self.0.fetch_add(ms, Ordering::SeqCst);
    }

    /// Sets the clock.
    pub fn set(&self, at: Timestamp) {
        self.0.store(at.as_millisecond(), Ordering::SeqCst);
    }
}

impl Clock for ManualClock {
    fn now(&self) -> Timestamp {
        Timestamp::from_millisecond(self.0.load(Ordering::SeqCst)).unwrap_or(Timestamp::UNIX_EPOCH)
    }
}

/// The demo server's clock: the system clock plus an offset that only grows, so a
/// browser test can move the server into day 6 of a repair or past a complaint's
/// first-response target without waiting. It keeps ticking with the system clock
/// (countdowns stay live); [`DemoClock::reset`] brings it back to real time so the
/// next test file sees the day the browser sees. Only `aftersales demo` builds one.
#[derive(Debug, Default)]
pub struct DemoClock {
    offset_ms: AtomicI64,
}

impl DemoClock {
    /// A clock at real time.
    pub fn new() -> DemoClock {
        DemoClock::default()
    }

    /// Moves the clock forward by `ms` milliseconds (a negative value is ignored: time
    /// that has passed stays passed while the clock is moved).
    pub fn advance_ms(&self, ms: i64) {
        self.offset_ms.fetch_add(ms.max(0), Ordering::SeqCst);
    }

    /// How far ahead of the system clock it stands, in milliseconds.
    pub fn offset_ms(&self) -> i64 {
        self.offset_ms.load(Ordering::SeqCst)
    }

    /// Back to the system clock.
    pub fn reset(&self) {
        self.offset_ms.store(0, Ordering::SeqCst);
    }
}

impl Clock for DemoClock {
    fn now(&self) -> Timestamp {
        let ms = Timestamp::now().as_millisecond() + self.offset_ms();
        Timestamp::from_millisecond(ms).unwrap_or(Timestamp::UNIX_EPOCH)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn demo_clock_moves_forward_only_and_resets() {
        let c = DemoClock::new();
        let real = Timestamp::now().as_millisecond();
        c.advance_ms(3_600_000);
        c.advance_ms(-7_200_000);
        assert_eq!(c.offset_ms(), 3_600_000);
        let ahead = c.now().as_millisecond() - real;
        assert!((3_600_000..3_700_000).contains(&ahead), "{ahead}");
        c.reset();
        assert!(c.now().as_millisecond() - real < 100_000);
    }
}
