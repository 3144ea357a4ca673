//! The per-service circuit breaker: fails calls fast while a service is failing, and probes it
//! before letting traffic back.
//!
//! Semantics follow Polly v8's `CircuitBreakerStrategyOptions` and Resilience4j's time-based
//! `CircuitBreaker` (sources for each default are on
//! [`CircuitBreakerConfig`](crate::CircuitBreakerConfig)):
//!
//! - **Closed.** Every attempt's outcome is counted over a sliding window of `sampling_duration`
//!   (ten buckets, as Polly's rolling health metrics): server-side failures (internal errors,
//!   other 5xx, transport failures that may have reached the server) against successes. Client
//!   errors and throttling count as neither. When at least `minimum_throughput` outcomes are in
//!   the window and the failure ratio reaches `failure_ratio`, the breaker opens.
//! - **Open.** Calls fail before any attempt is sent, with [`CircuitOpen`]. A retry of a
//!   server-side failure decided while it was closed is admitted again when it is about to be
//!   sent, and refused: the call ends with [`CircuitOpen`] too. After the break duration the next call moves it to half-open.
//! - **Half-open.** At most `half_open_probes` calls are in flight at once (a probe slot is held
//!   by a guard and comes back when the call ends, however it ends); every other call fails
//!   fast. A probe's success closes the breaker and clears the window; a probe's failure reopens
//!   it with the break duration doubled, up to `max_break_duration`.
//!
//! Time follows the same rule as a call's time budget (module `clock`): the monotonic clock when
//! the client's time source tracks the system clock (decided at the breaker's first reading), so a
//! wall-clock step either way changes no timer and [`CircuitOpen::retry_after`] is true; a test's
//! own time source otherwise, read as never going backwards (a forward step of such a clock only
//! ends a break early, and half-open still admits no more than `half_open_probes` calls).

use std::fmt;
use std::sync::atomic::{AtomicU64, AtomicU8, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};
use std::time::Duration;

use aws_smithy_async::time::SharedTimeSource;

use crate::clock::{tracks_system_clock, Tick, TimerTime};
pub(crate) use crate::vocab::Transition;
pub use crate::vocab::{CircuitEvent, CircuitState, TransitionReason};

/// Buckets in the sliding window.
const BUCKETS: usize = 10;

/// The error a call gets when the service's circuit breaker is open: no attempt was sent.
///
/// The SDK returns it inside its own error (`SdkError::ConstructionFailure` when the call ended
/// before its request was built; `SdkError::DispatchFailure` when the breaker stopped a retry
/// before it was sent); find it with [`circuit_open`]. The SDK does not
/// retry it. The SDK's `DisplayErrorContext` prints the whole chain on one line.
///
/// ```
/// use aws_sdk_signer::error::DisplayErrorContext;
/// use aws_server_errors::{circuit_open, PolicyConfig, ServerErrorPolicy};
/// use aws_server_errors_fault::{FaultInjector, FaultPlan};
/// use aws_server_errors_signer::{ServerErrorPolicyExt as _, SERVICE as SIGNER};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let config = PolicyConfig::builder().service("signer", |s| s.circuit_breaker = true.into()).build()?;
/// let policy = ServerErrorPolicy::with_services(config, [&SIGNER])?;
/// policy.isolate(&SIGNER)?; // an operator holds it open
/// let injector = FaultInjector::new(FaultPlan::new());
/// let sdk = aws_server_errors_fault::sdk_config("http://localhost:1");
/// let config = aws_sdk_signer::config::Builder::from(&sdk).http_client(injector.http_client(&SIGNER));
/// let client = aws_sdk_signer::Client::from_conf(config.server_error_policy(&policy).build());
///
/// let err = client.get_signing_profile().profile_name("p").send().await.unwrap_err();
/// let open = circuit_open(&err).expect("failed fast");
/// assert_eq!((open.service, open.operation, open.isolated()), ("signer", "GetSigningProfile", true));
/// assert!(DisplayErrorContext(&err).to_string().contains("circuit breaker open for signer"));
/// assert!(injector.requests().is_empty(), "nothing was sent");
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CircuitOpen {
    /// The service, as logged in `rpc.service` (e.g. `"signer"`).
    pub service: &'static str,
    /// The operation that was not called (e.g. `"GetSigningProfile"`).
    pub operation: &'static str,
    /// Time until the breaker lets a probe call through: `Some(zero)` while half-open probes are
    /// in flight; `None` while an operator holds the service isolated
    /// ([`ServerErrorPolicy::isolate`](crate::ServerErrorPolicy::isolate)), since no probe is
    /// sent until it is reset and no duration would be true. A `Some` is at most the breaker's
    /// `max_break_duration` (at most one day), so it is safe to sleep for or add to an `Instant`.
    pub retry_after: Option<Duration>,
}

impl CircuitOpen {
    /// Whether an operator isolated the service ([`ServerErrorPolicy::isolate`](crate::ServerErrorPolicy::isolate)):
    /// no probe is sent until it is reset (`retry_after` is `None`).
    pub fn isolated(&self) -> bool {
        self.retry_after.is_none()
    }
}

impl fmt::Display for CircuitOpen {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.retry_after {
            None => write!(
                f,
                "circuit breaker open for {}: {} was not sent (isolated until reset)",
                self.service, self.operation
            ),
            Some(after) => write!(
                f,
                "circuit breaker open for {}: {} was not sent (next probe in {after:?})",
                self.service, self.operation
            ),
        }
    }
}

impl std::error::Error for CircuitOpen {}

/// The [`CircuitOpen`] error inside an SDK error, if the call was failed fast by a circuit
/// breaker; `None` for every other error.
///
/// Pass the `SdkError` a client call returned (any `std::error::Error`): the breaker's error sits
/// in its `source()` chain (the SDK reports it as a `ConstructionFailure`, since the call ended
/// before its request was built).
///
/// ```
/// use std::time::Duration;
/// use aws_server_errors::{CircuitBreakerConfig, CircuitState, PolicyConfig, ServerErrorPolicy};
/// use aws_server_errors_fault::{Fault, FaultInjector, FaultPlan};
/// use aws_server_errors_signer::{ServerErrorPolicyExt as _, SERVICE as SIGNER};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let breaker = CircuitBreakerConfig { enabled: true, minimum_throughput: 4, ..Default::default() };
/// let policy = ServerErrorPolicy::new(PolicyConfig::builder().circuit_breaker(breaker).max_attempts(1).build()?)?;
/// let injector = FaultInjector::new(FaultPlan::new().fail_always(Fault::InternalError));
/// let config = aws_sdk_signer::config::Builder::from(&aws_server_errors_fault::sdk_config("http://localhost"))
///     .http_client(injector.http_client(&SIGNER))
///     .server_error_policy(&policy)
///     .build();
/// let signer = aws_sdk_signer::Client::from_conf(config);
///
/// for _ in 0..4 {
///     let err = signer.list_signing_profiles().send().await.unwrap_err();
///     assert!(aws_server_errors::circuit_open(&err).is_none(), "the service's own error");
/// }
/// assert_eq!(policy.circuit_state(&SIGNER), Some(CircuitState::Open));
///
/// let err = signer.list_signing_profiles().send().await.unwrap_err();
/// let open = aws_server_errors::circuit_open(&err).expect("failed fast");
/// assert_eq!((open.service, open.operation), ("signer", "ListSigningProfiles"));
/// assert!(open.retry_after.is_some_and(|after| after <= Duration::from_secs(5)));
/// assert_eq!(injector.attempts(&SIGNER, "ListSigningProfiles"), 4, "nothing sent");
/// # Ok(()) }
/// ```
pub fn circuit_open<'a>(error: &'a (dyn std::error::Error + 'static)) -> Option<&'a CircuitOpen> {
    let mut next = Some(error);
    while let Some(current) = next {
        if let Some(open) = current.downcast_ref::<CircuitOpen>() {
            return Some(open);
        }
        next = current.source();
    }
    None
}

/// The breaker's settings, validated.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct BreakerSettings {
    pub failure_ratio: f64,
    pub minimum_throughput: u32,
    pub sampling_duration: Duration,
    pub break_duration: Duration,
    pub max_break_duration: Duration,
    pub half_open_probes: u32,
}

/// What admission decided for one call.
#[derive(Debug)]
pub(crate) enum Admission {
    /// Closed: the call flows and its outcomes are counted.
    Closed,
    /// Half-open: the call is a probe and holds a probe slot until the guard is dropped.
    Probe(ProbeGuard),
}

/// One service's circuit breaker.
#[derive(Debug, Clone)]
pub(crate) struct CircuitBreaker {
    inner: Arc<Shared>,
}

#[derive(Debug)]
struct Shared {
    settings: BreakerSettings,
    /// The state, readable without the lock (the closed fast path).
    state: AtomicU8,
    /// Whether the breaker runs on the monotonic clock: decided at its first reading.
    monotonic: OnceLock<bool>,
    /// The monotonic clock's reading the breaker's time counts from (its first).
    origin: OnceLock<tokio::time::Instant>,
    /// The closed state's sliding window: written without the lock.
    window: Window,
    /// A window bucket's length, ns (at least 1 ms).
    bucket_nanos: u64,
    locked: Mutex<Inner>,
}

/// Bits of a bucket's word: its epoch (the bucket's index in time, modulo 2^24), then its
/// successes and failures (20 bits each, saturating at 1,048,575 per bucket).
const EPOCH_BITS: u32 = 24;
const COUNT_BITS: u32 = 20;
const EPOCH_MASK: u64 = (1 << EPOCH_BITS) - 1;
const COUNT_MAX: u64 = (1 << COUNT_BITS) - 1;

/// The sliding window of the closed state: [`BUCKETS`] buckets, each one atomic word holding
/// its epoch and counts, so recording an outcome is one compare-and-swap and reading the window
/// ten loads, with no lock. A bucket whose epoch is not within the last [`BUCKETS`] is stale and
/// counts for nothing; the first outcome of a new epoch resets it.
#[derive(Debug, Default)]
struct Window {
    buckets: [AtomicU64; BUCKETS],
}

fn pack(epoch: u64, successes: u64, failures: u64) -> u64 {
    (epoch << (2 * COUNT_BITS)) | (successes << COUNT_BITS) | failures
}

fn unpack(word: u64) -> (u64, u64, u64) {
    (word >> (2 * COUNT_BITS), (word >> COUNT_BITS) & COUNT_MAX, word & COUNT_MAX)
}

impl Window {
    /// Counts one outcome in bucket `index`.
    fn add(&self, index: u64, success: bool) {
        let slot = &self.buckets[(index % BUCKETS as u64) as usize];
        let epoch = index & EPOCH_MASK;
        let mut current = slot.load(Ordering::Relaxed);
        loop {
            let (e, successes, failures) = unpack(current);
            let (successes, failures) = if e == epoch { (successes, failures) } else { (0, 0) };
            let new = if success {
                pack(epoch, (successes + 1).min(COUNT_MAX), failures)
            } else {
                pack(epoch, successes, (failures + 1).min(COUNT_MAX))
            };
            if new == current {
                return; // saturated
            }
            match slot.compare_exchange_weak(current, new, Ordering::AcqRel, Ordering::Relaxed) {
                Ok(_) => return,
                Err(seen) => current = seen,
            }
        }
    }

    /// Outcomes and failures in the window that ends with bucket `index`.
    fn counts(&self, index: u64) -> (u64, u64) {
        let epoch = index & EPOCH_MASK;
        let (mut total, mut failed) = (0, 0);
        for slot in &self.buckets {
            let (e, successes, failures) = unpack(slot.load(Ordering::Acquire));
            if epoch.wrapping_sub(e) & EPOCH_MASK < BUCKETS as u64 {
                total += successes + failures;
                failed += failures;
            }
        }
        (total, failed)
    }

    fn clear(&self) {
        for slot in &self.buckets {
            slot.store(0, Ordering::Release);
        }
    }
}

#[derive(Debug)]
struct Inner {
    /// The breaker's time: never goes back.
    time: TimerTime,
    open_until: Duration,
    break_duration: Duration,
    probes: u32,
    /// Held open by an operator until reset.
    isolated: bool,
}

/// A probe slot; given back when dropped.
#[derive(Debug)]
pub(crate) struct ProbeGuard {
    breaker: Option<Arc<Shared>>,
}

impl Drop for ProbeGuard {
    fn drop(&mut self) {
        if let Some(shared) = self.breaker.take() {
            let mut inner = shared.lock();
            inner.probes = inner.probes.saturating_sub(1);
        }
    }
}

impl CircuitBreaker {
    pub fn new(settings: BreakerSettings) -> Self {
        let inner = Inner {
            time: TimerTime::default(),
            open_until: Duration::ZERO,
            break_duration: settings.break_duration,
            probes: 0,
            isolated: false,
        };
        Self {
            inner: Arc::new(Shared {
                settings,
                state: AtomicU8::new(CircuitState::Closed.to_u8()),
                monotonic: OnceLock::new(),
                origin: OnceLock::new(),
                window: Window::default(),
                bucket_nanos: (settings.sampling_duration / BUCKETS as u32).max(Duration::from_millis(1)).as_nanos()
                    as u64,
                locked: Mutex::new(inner),
            }),
        }
    }

    /// The current state (without advancing the clock: an open breaker whose break has ended
    /// reads open until a call arrives).
    pub fn state(&self) -> CircuitState {
        CircuitState::from_u8(self.inner.state.load(Ordering::Acquire))
    }

    /// A reading of the breaker's clock: the monotonic clock, unless the first time source it
    /// read did not track the system clock (a test's clock), in which case that time source.
    pub fn tick(&self, time_source: &SharedTimeSource) -> Tick {
        let monotonic = *self.inner.monotonic.get_or_init(|| tracks_system_clock(time_source.now()));
        if monotonic {
            Tick::Monotonic(tokio::time::Instant::now())
        } else {
            Tick::Source(time_source.now())
        }
    }

    /// Decides whether a call may start at `now`.
    ///
    /// # Errors
    /// The time until the next probe (zero while probes are in flight; `None` while isolated) when
    /// the call must fail fast; with it, the transition that happened, if any.
    pub fn admit(&self, now: Tick) -> (Result<Admission, Option<Duration>>, Option<Transition>) {
        if self.state() == CircuitState::Closed {
            return (Ok(Admission::Closed), None);
        }
        let mut inner = self.inner.lock();
        let now = self.inner.advance(&mut inner, now);
        let mut transition = None;
        let mut state = self.state();
        if inner.isolated {
            return (Err(None), None);
        }
        if state == CircuitState::Open && now >= inner.open_until {
            transition = Some(self.set(&mut inner, CircuitState::HalfOpen, TransitionReason::BreakElapsed));
            state = CircuitState::HalfOpen;
        }
        let admission = match state {
            CircuitState::Closed => Ok(Admission::Closed),
            CircuitState::HalfOpen if inner.probes < self.inner.settings.half_open_probes => {
                inner.probes += 1;
                Ok(Admission::Probe(ProbeGuard { breaker: Some(self.inner.clone()) }))
            }
            CircuitState::HalfOpen => Err(Some(Duration::ZERO)),
            CircuitState::Open => Err(Some(inner.open_until.saturating_sub(now))),
        };
        (admission, transition)
    }

    /// Whether a retry may be sent now (only while closed: an open or half-open breaker makes no
    /// retries on top of a failing service).
    pub fn allows_retry(&self) -> bool {
        self.state() == CircuitState::Closed
    }

    /// Records one attempt's outcome: `Some(true)` a success, `Some(false)` a server-side
    /// failure, `None` neither. `probe` is whether the call is a half-open probe. Returns the
    /// transition it caused, if any.
    pub fn record(&self, now: Tick, success: Option<bool>, probe: bool) -> Option<Transition> {
        let success = success?;
        // The closed state on the monotonic clock, the common case: no lock, unless the
        // failure opens the breaker.
        if let (CircuitState::Closed, Tick::Monotonic(instant)) = (self.state(), now) {
            let now = self.inner.monotonic_elapsed(instant);
            let index = self.bucket_index(now);
            self.inner.window.add(index, success);
            if success || !self.tripped(index) {
                return None;
            }
            let mut inner = self.inner.lock();
            if self.state() != CircuitState::Closed {
                return None; // another call opened it
            }
            let now = inner.time.advance_to(now);
            inner.break_duration = self.inner.settings.break_duration;
            return Some(self.open(&mut inner, now, TransitionReason::FailureRatio));
        }
        let mut inner = self.inner.lock();
        let now = self.inner.advance(&mut inner, now);
        let state = self.state();
        match (state, probe) {
            (CircuitState::HalfOpen, true) if success => {
                self.inner.window.clear();
                inner.break_duration = self.inner.settings.break_duration;
                Some(self.set(&mut inner, CircuitState::Closed, TransitionReason::ProbeSucceeded))
            }
            (CircuitState::HalfOpen, true) => {
                inner.break_duration =
                    inner.break_duration.saturating_mul(2).min(self.inner.settings.max_break_duration);
                Some(self.open(&mut inner, now, TransitionReason::ProbeFailed))
            }
            (CircuitState::Closed, _) => {
                let index = self.bucket_index(now);
                self.inner.window.add(index, success);
                (!success && self.tripped(index)).then(|| {
                    inner.break_duration = self.inner.settings.break_duration;
                    self.open(&mut inner, now, TransitionReason::FailureRatio)
                })
            }
            // Outcomes of calls admitted before the breaker opened, and of non-probes.
            _ => None,
        }
    }

    /// The window bucket of time `now`.
    fn bucket_index(&self, now: Duration) -> u64 {
        // In u64 nanoseconds (584 years) rather than `as_nanos`' u128: a cheaper division.
        let nanos = now.as_secs().saturating_mul(1_000_000_000).saturating_add(u64::from(now.subsec_nanos()));
        nanos / self.inner.bucket_nanos
    }

    /// Whether the window ending with bucket `index` holds `minimum_throughput` outcomes and
    /// `failure_ratio` of them failed.
    fn tripped(&self, index: u64) -> bool {
        let s = &self.inner.settings;
        let (total, failures) = self.inner.window.counts(index);
        total >= u64::from(s.minimum_throughput) && failures as f64 >= s.failure_ratio * total as f64
    }

    /// Holds the breaker open until [`reset`](Self::reset): every call fails fast, no probe is
    /// sent. `None` when it was already isolated.
    pub fn isolate(&self) -> Option<Transition> {
        let mut inner = self.inner.lock();
        if std::mem::replace(&mut inner.isolated, true) {
            return None;
        }
        self.inner.window.clear();
        Some(self.set(&mut inner, CircuitState::Open, TransitionReason::Isolated))
    }

    /// Closes the breaker (and ends an isolation): the window is cleared and the break goes back
    /// to `break_duration`. `None` when it was closed and not isolated.
    pub fn reset(&self) -> Option<Transition> {
        let mut inner = self.inner.lock();
        let was_isolated = std::mem::replace(&mut inner.isolated, false);
        self.inner.window.clear();
        inner.break_duration = self.inner.settings.break_duration;
        if !was_isolated && self.state() == CircuitState::Closed {
            return None;
        }
        Some(self.set(&mut inner, CircuitState::Closed, TransitionReason::Reset))
    }

    fn open(&self, inner: &mut Inner, now: Duration, reason: TransitionReason) -> Transition {
        inner.open_until = now.saturating_add(inner.break_duration);
        self.inner.window.clear();
        self.set(inner, CircuitState::Open, reason)
    }

    fn set(&self, inner: &mut Inner, to: CircuitState, reason: TransitionReason) -> Transition {
        let from = self.state();
        self.inner.state.store(to.to_u8(), Ordering::Release);
        Transition { from, to, break_duration: inner.break_duration, reason }
    }

    /// Probe calls in flight (for tests).
    #[cfg(test)]
    fn probes(&self) -> u32 {
        self.inner.lock().probes
    }
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, Inner> {
        // Only counters behind the lock: a panic elsewhere leaves them usable.
        self.locked.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Time on the monotonic clock since the breaker's first reading of it.
    fn monotonic_elapsed(&self, instant: tokio::time::Instant) -> Duration {
        instant.saturating_duration_since(*self.origin.get_or_init(|| instant))
    }

    /// The breaker's time at `now`, never earlier than the last reading (under the lock).
    fn advance(&self, inner: &mut Inner, now: Tick) -> Duration {
        match now {
            Tick::Monotonic(instant) => inner.time.advance_to(self.monotonic_elapsed(instant)),
            Tick::Source(reading) => inner.time.advance(reading),
        }
    }
}

#[cfg(test)]
mod tests;
