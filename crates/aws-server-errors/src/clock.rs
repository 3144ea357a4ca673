//! Time, measured monotonically: a call's elapsed time (its time budget) and the circuit
//! breaker's timers follow one rule.
//!
//! The SDK's time hook (`TimeSource`) reads a wall clock (`SystemTime`): a clock step backwards
//! would give a call several times its time budget or hold a breaker open for the length of the
//! step; a step forwards would end either at once. So when the client's time source tracks the
//! system clock (it reads within [`SYSTEM_TOLERANCE`] of `SystemTime::now()` when the measure
//! starts: the SDK's default), time comes from a monotonic clock, Tokio's `Instant` (which is
//! `std::time::Instant`, except on a runtime whose clock is paused in a test, where it follows the
//! paused clock). A time source that does not track the system clock is a test's manual or
//! virtual clock: it is used as it is, so the SDK's time and sleep hooks keep driving tests, and
//! it is read as never going backwards: a step back adds nothing, and the time after it counts
//! from the new reading ([`SourceTime`]). A call's elapsed time also counts the waits it is known
//! to have made ([`CallClock::expect_wait`]), so a step back during a wait cannot stretch its
//! time budget.

use std::time::{Duration, SystemTime};

use aws_smithy_async::time::SharedTimeSource;

/// How far a time source may read from `SystemTime::now()` and still count as the system clock.
pub const SYSTEM_TOLERANCE: Duration = Duration::from_secs(1);

/// Whether a reading of a time source is the system clock's (within [`SYSTEM_TOLERANCE`]).
pub(crate) fn tracks_system_clock(reading: SystemTime) -> bool {
    #[allow(clippy::disallowed_methods)]
    let system = SystemTime::now();
    let skew = reading.duration_since(system).unwrap_or_else(|e| e.duration());
    skew <= SYSTEM_TOLERANCE
}

/// Time read from a test's clock, never going backwards: the sum of the forward steps between
/// readings.
#[derive(Debug, Clone, Copy)]
pub(crate) struct SourceTime {
    last: SystemTime,
    elapsed: Duration,
}

impl SourceTime {
    /// Starts at `elapsed`, with `reading` as the last reading.
    pub fn new(reading: SystemTime, elapsed: Duration) -> Self {
        Self { last: reading, elapsed }
    }

    /// Adds the time since the last reading (nothing when the clock stepped back) and returns the
    /// total: never less than the previous total.
    pub fn advance(&mut self, reading: SystemTime) -> Duration {
        if let Ok(step) = reading.duration_since(self.last) {
            self.elapsed = self.elapsed.saturating_add(step);
        }
        self.last = reading;
        self.elapsed
    }
}

/// When a call's first attempt was about to start, on the clock its elapsed time is read from.
#[derive(Debug, Clone, Copy)]
pub(crate) enum CallClock {
    /// The time source tracks the system clock: measure on the monotonic clock.
    Monotonic(tokio::time::Instant),
    /// A test's clock: measure on it, never going backwards. `floor` is the least the call has
    /// spent once its last decided wait is over, `exact` whether that wait is known to the
    /// nanosecond (see [`CallClock::expect_wait`]).
    Source { time: SourceTime, floor: Duration, exact: bool },
}

impl CallClock {
    /// Starts measuring now.
    pub fn start(time_source: &SharedTimeSource) -> Self {
        let source = time_source.now();
        if tracks_system_clock(source) {
            Self::Monotonic(tokio::time::Instant::now())
        } else {
            Self::Source { time: SourceTime::new(source, Duration::ZERO), floor: Duration::ZERO, exact: false }
        }
    }

    /// Time since [`start`](Self::start); never less than the last value it returned, nor than
    /// the waits the call is known to have made: on a test clock, a wait of known length (a
    /// policy retry's exact delay) counts in full even when the clock shows less (it stepped back
    /// during the wait, or stood still: `aws-smithy-mocks`' fixed clock); after a wait of unknown
    /// length (the client's own backoff), a clock that stepped back counts the longest the wait
    /// could have been ([`expect_wait`](Self::expect_wait)). So no clock step lets a call overrun
    /// its time budget.
    pub fn elapsed(&mut self, time_source: &SharedTimeSource) -> Duration {
        match self {
            Self::Monotonic(start) => start.elapsed(),
            Self::Source { time, floor, exact } => {
                let reading = time_source.now();
                let stepped_back = reading < time.last;
                let elapsed = time.advance(reading);
                if (*exact || stepped_back) && elapsed < *floor {
                    time.elapsed = *floor;
                    return *floor;
                }
                elapsed
            }
        }
    }

    /// Records that the call now waits `longest` before its next attempt (exactly, when `exact`;
    /// at most, otherwise), at `elapsed` into it (the value [`elapsed`](Self::elapsed) just
    /// returned). Only a test clock needs it: the monotonic clock measures the wait itself.
    pub fn expect_wait(&mut self, elapsed: Duration, longest: Duration, exact: bool) {
        if let Self::Source { floor, exact: known, .. } = self {
            *floor = elapsed.saturating_add(longest);
            *known = exact;
        }
    }
}

/// One reading of the clock a shared timer (the circuit breaker) runs on; which clock is decided
/// once per timer, at its first reading, by the rule above.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Tick {
    /// The monotonic clock.
    Monotonic(tokio::time::Instant),
    /// A test's time source.
    Source(SystemTime),
}

/// A shared timer's time, never going backwards: a test clock's time since the Unix epoch (0 for
/// a clock set before it), read with [`advance`](Self::advance), or a time the timer measured
/// itself on the monotonic clock (the breaker's, from its first reading), given to
/// [`advance_to`](Self::advance_to).
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct TimerTime {
    source: Option<SourceTime>,
    now: Duration,
}

impl TimerTime {
    /// Moves the timer's time to `now` if that is later; returns it (never less than the last
    /// value returned). For a time measured elsewhere (the breaker's lock-free monotonic reading).
    pub fn advance_to(&mut self, now: Duration) -> Duration {
        self.now = self.now.max(now);
        self.now
    }

    /// The timer's time at a test clock's `reading`: never less than the last value it returned.
    pub fn advance(&mut self, reading: SystemTime) -> Duration {
        let now = match &mut self.source {
            Some(source) => source.advance(reading),
            None => {
                let since_epoch = reading.duration_since(SystemTime::UNIX_EPOCH).unwrap_or_default();
                self.source.insert(SourceTime::new(reading, since_epoch)).elapsed
            }
        };
        self.advance_to(now)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(secs: u64) -> SystemTime {
        SystemTime::UNIX_EPOCH + Duration::from_secs(secs)
    }

    #[test]
    fn a_test_clock_stepped_back_adds_nothing_and_counts_on_from_the_new_reading() {
        let mut time = SourceTime::new(at(100), Duration::ZERO);
        assert_eq!(time.advance(at(101)), Duration::from_secs(1));
        assert_eq!(time.advance(at(40)), Duration::from_secs(1), "a step back adds nothing");
        assert_eq!(time.advance(at(42)), Duration::from_secs(3), "and time after it counts");
    }

    #[test]
    fn a_call_clock_stepped_back_during_a_wait_counts_the_whole_wait() {
        /// A test clock that can be set anywhere, backwards included.
        #[derive(Debug, Clone)]
        struct Settable(std::sync::Arc<std::sync::Mutex<SystemTime>>);
        impl Settable {
            fn set_time(&self, time: SystemTime) {
                *self.0.lock().unwrap() = time;
            }
            fn advance(&self, by: Duration) {
                *self.0.lock().unwrap() += by;
            }
        }
        impl aws_smithy_async::time::TimeSource for Settable {
            fn now(&self) -> SystemTime {
                *self.0.lock().unwrap()
            }
        }
        let source = Settable(std::sync::Arc::new(std::sync::Mutex::new(at(1_000))));
        let shared = SharedTimeSource::new(source.clone());
        let mut clock = CallClock::start(&shared);
        source.advance(Duration::from_millis(100));
        let elapsed = clock.elapsed(&shared);
        assert_eq!(elapsed, Duration::from_millis(100));
        clock.expect_wait(elapsed, Duration::from_millis(600), false);
        // The clock steps back an hour during a wait of unknown length: the longest counts.
        source.set_time(at(1_000) - Duration::from_secs(3_600));
        assert_eq!(clock.elapsed(&shared), Duration::from_millis(700));
        source.advance(Duration::from_millis(50));
        assert_eq!(clock.elapsed(&shared), Duration::from_millis(750), "and time after it counts");
        // A wait of unknown length on a clock that did not step back: the clock's reading.
        clock.expect_wait(Duration::from_millis(750), Duration::from_secs(5), false);
        source.advance(Duration::from_millis(10));
        assert_eq!(clock.elapsed(&shared), Duration::from_millis(760));
        // An exact wait counts in full on a clock that stepped back by less than it (the reading
        // is still later than the last) or stood still (a fixed test clock).
        clock.expect_wait(Duration::from_millis(760), Duration::from_millis(600), true);
        source.advance(Duration::from_millis(100)); // 600 ms waited, the clock stepped back 500 ms
        assert_eq!(clock.elapsed(&shared), Duration::from_millis(1_360));
        let mut fixed = CallClock::start(&shared);
        fixed.expect_wait(Duration::ZERO, Duration::from_millis(300), true);
        assert_eq!(fixed.elapsed(&shared), Duration::from_millis(300), "a fixed clock: the exact wait counts");
    }

    #[test]
    fn a_timer_on_a_clock_set_before_1970_still_advances() {
        let before = SystemTime::UNIX_EPOCH - Duration::from_secs(3600);
        let mut timer = TimerTime::default();
        assert_eq!(timer.advance(before), Duration::ZERO);
        assert_eq!(timer.advance(before + Duration::from_secs(5)), Duration::from_secs(5));
        let mut timer = TimerTime::default();
        assert_eq!(timer.advance(at(7)), Duration::from_secs(7), "since the epoch");
        assert_eq!(timer.advance_to(Duration::from_secs(3)), Duration::from_secs(7), "never backwards");
    }
}
