//! Elapsed time of one call, measured monotonically.
//!
//! The SDK's time hook (`TimeSource`) reads a wall clock (`SystemTime`): a clock step backwards
//! would give a call several times its time budget, a step forwards would end it at once. So when
//! the client's time source tracks the system clock (it reads within [`SYSTEM_TOLERANCE`] of
//! `SystemTime::now()` when the call starts: the SDK's default), elapsed time comes from a
//! monotonic clock, Tokio's `Instant` (which is `std::time::Instant`, except on a runtime whose
//! clock is paused in a test, where it follows the paused clock). A time source that does not
//! track the system clock is a test's manual or virtual clock: it is used as it is, so the SDK's
//! time and sleep hooks keep driving tests, and it is read as never going backwards.

use std::time::{Duration, SystemTime};

use aws_smithy_async::time::SharedTimeSource;

/// How far a time source may read from `SystemTime::now()` and still count as the system clock.
pub const SYSTEM_TOLERANCE: Duration = Duration::from_secs(1);

/// When a call started, on the clock its elapsed time is read from.
#[derive(Debug, Clone, Copy)]
pub(crate) enum CallClock {
    /// The time source tracks the system clock: measure on the monotonic clock.
    Monotonic(tokio::time::Instant),
    /// A test's clock: measure on it.
    Source(SystemTime),
}

impl CallClock {
    /// Starts measuring now.
    pub fn start(time_source: &SharedTimeSource) -> Self {
        let source = time_source.now();
        #[allow(clippy::disallowed_methods)]
        let system = SystemTime::now();
        let skew = source.duration_since(system).unwrap_or_else(|e| e.duration());
        if skew <= SYSTEM_TOLERANCE {
            Self::Monotonic(tokio::time::Instant::now())
        } else {
            Self::Source(source)
        }
    }

    /// Time since [`start`](Self::start); never negative.
    pub fn elapsed(&self, time_source: &SharedTimeSource) -> Duration {
        match self {
            Self::Monotonic(start) => start.elapsed(),
            Self::Source(start) => time_source.now().duration_since(*start).unwrap_or_default(),
        }
    }
}
