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
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};
use std::time::Duration;

use aws_smithy_async::time::SharedTimeSource;

use crate::clock::{tracks_system_clock, Tick, TimerTime};

/// Buckets in the sliding window.
const BUCKETS: usize = 10;

/// The state of a circuit breaker, as the `aws.server_errors.circuit.state` gauge shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum CircuitState {
    /// Calls flow; outcomes are counted.
    Closed,
    /// Calls fail fast.
    Open,
    /// A limited number of probe calls flow.
    HalfOpen,
}

impl CircuitState {
    /// A stable snake-case name, for logs and labels.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Closed => "closed",
            Self::Open => "open",
            Self::HalfOpen => "half_open",
        }
    }

    /// The gauge value: 0 closed, 1 half-open, 2 open.
    pub const fn gauge_value(self) -> f64 {
        match self {
            Self::Closed => 0.0,
            Self::HalfOpen => 1.0,
            Self::Open => 2.0,
        }
    }

    const fn from_u8(v: u8) -> Self {
        match v {
            0 => Self::Closed,
            1 => Self::HalfOpen,
            _ => Self::Open,
        }
    }

    const fn to_u8(self) -> u8 {
        match self {
            Self::Closed => 0,
            Self::HalfOpen => 1,
            Self::Open => 2,
        }
    }
}

/// Why a circuit breaker changed state, in a [`CircuitEvent`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TransitionReason {
    /// Closed → open: the window held `minimum_throughput` outcomes and `failure_ratio` of them
    /// were server-side failures.
    FailureRatio,
    /// Open → half-open: the break is over; the next call is a probe.
    BreakElapsed,
    /// Half-open → closed: a probe succeeded.
    ProbeSucceeded,
    /// Half-open → open: a probe failed; the break doubles, up to `max_break_duration`.
    ProbeFailed,
    /// → open, held open until reset: an operator isolated the service
    /// ([`ServerErrorPolicy::isolate`](crate::ServerErrorPolicy::isolate)).
    Isolated,
    /// → closed, window cleared: an operator reset the breaker
    /// ([`ServerErrorPolicy::reset`](crate::ServerErrorPolicy::reset)).
    Reset,
}

impl TransitionReason {
    /// A stable snake-case name, for logs.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::FailureRatio => "failure_ratio",
            Self::BreakElapsed => "break_elapsed",
            Self::ProbeSucceeded => "probe_succeeded",
            Self::ProbeFailed => "probe_failed",
            Self::Isolated => "isolated",
            Self::Reset => "reset",
        }
    }
}

/// A change of a service's circuit breaker state, given to the listeners registered with
/// [`ServerErrorPolicy::on_circuit_event`](crate::ServerErrorPolicy::on_circuit_event).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct CircuitEvent {
    /// The service, as logged in `rpc.service` (e.g. `"signer"`).
    pub service: &'static str,
    /// The state before.
    pub from: CircuitState,
    /// The state after.
    pub to: CircuitState,
    /// Why.
    pub reason: TransitionReason,
    /// How long the breaker stays open, when `to` is [`CircuitState::Open`] (`None` when it was
    /// isolated: open until reset, and for the other states).
    pub break_duration: Option<Duration>,
}

/// The error a call gets when the service's circuit breaker is open: no attempt was sent.
///
/// The SDK returns it inside its own error (`SdkError::ConstructionFailure` when the call ended
/// before its request was built; `SdkError::DispatchFailure` when the breaker stopped a retry
/// before it was sent); find it with [`circuit_open`](crate::circuit_open). The SDK does not
/// retry it. The SDK's `DisplayErrorContext` prints the whole chain on one line.
///
/// ```
/// use aws_sdk_signer::error::DisplayErrorContext;
/// use aws_server_errors::catalog::SIGNER;
/// use aws_server_errors::{circuit_open, PolicyConfig, ServerErrorPolicy};
/// use aws_server_errors_fault::{FaultInjector, FaultPlan, Service};
/// use aws_server_errors_signer::ServerErrorPolicyExt as _;
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let policy = ServerErrorPolicy::new(PolicyConfig::builder().service("signer", |s| s.circuit_breaker = true.into()).build()?)?;
/// policy.isolate(&SIGNER)?; // an operator holds it open
/// let injector = FaultInjector::new(FaultPlan::new());
/// let sdk = aws_server_errors_fault::sdk_config("http://localhost:1");
/// let config = aws_sdk_signer::config::Builder::from(&sdk).http_client(injector.http_client(Service::Signer));
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
    /// Time until the breaker lets a probe call through; zero while half-open probes are in
    /// flight; [`Duration::MAX`] while the service is isolated (until an operator resets it).
    pub retry_after: Duration,
}

impl CircuitOpen {
    /// Whether an operator isolated the service ([`ServerErrorPolicy::isolate`](crate::ServerErrorPolicy::isolate)):
    /// no probe is sent until it is reset.
    pub fn isolated(&self) -> bool {
        self.retry_after == Duration::MAX
    }
}

impl fmt::Display for CircuitOpen {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.isolated() {
            return write!(
                f,
                "circuit breaker open for {}: {} was not sent (isolated until reset)",
                self.service, self.operation
            );
        }
        write!(
            f,
            "circuit breaker open for {}: {} was not sent (next probe in {:?})",
            self.service, self.operation, self.retry_after
        )
    }
}

impl std::error::Error for CircuitOpen {}

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

/// A change of state, for logs and metrics.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Transition {
    pub from: CircuitState,
    pub to: CircuitState,
    /// The break duration, when `to` is open.
    pub break_duration: Duration,
    pub reason: TransitionReason,
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
    locked: Mutex<Inner>,
}

#[derive(Debug)]
struct Inner {
    /// The breaker's time: never goes back.
    time: TimerTime,
    buckets: [Bucket; BUCKETS],
    open_until: Duration,
    break_duration: Duration,
    probes: u32,
    /// Held open by an operator until reset.
    isolated: bool,
}

#[derive(Debug, Clone, Copy, Default)]
struct Bucket {
    index: u64,
    successes: u32,
    failures: u32,
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
            buckets: [Bucket::default(); BUCKETS],
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
    /// The time until the next probe (zero while probes are in flight) when the call must fail
    /// fast; with it, the transition that happened, if any.
    pub fn admit(&self, now: Tick) -> (Result<Admission, Duration>, Option<Transition>) {
        if self.state() == CircuitState::Closed {
            return (Ok(Admission::Closed), None);
        }
        let mut inner = self.inner.lock();
        let now = inner.advance(now);
        let mut transition = None;
        let mut state = self.state();
        if inner.isolated {
            return (Err(Duration::MAX), None);
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
            CircuitState::HalfOpen => Err(Duration::ZERO),
            CircuitState::Open => Err(inner.open_until.saturating_sub(now)),
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
        let mut inner = self.inner.lock();
        let now = inner.advance(now);
        let state = self.state();
        match (state, probe) {
            (CircuitState::HalfOpen, true) if success => {
                inner.buckets = [Bucket::default(); BUCKETS];
                inner.break_duration = self.inner.settings.break_duration;
                Some(self.set(&mut inner, CircuitState::Closed, TransitionReason::ProbeSucceeded))
            }
            (CircuitState::HalfOpen, true) => {
                inner.break_duration =
                    inner.break_duration.saturating_mul(2).min(self.inner.settings.max_break_duration);
                Some(self.open(&mut inner, now, TransitionReason::ProbeFailed))
            }
            (CircuitState::Closed, _) => {
                let s = &self.inner.settings;
                let bucket_len = (s.sampling_duration / BUCKETS as u32).max(Duration::from_millis(1));
                let index = (now.as_nanos() / bucket_len.as_nanos()) as u64;
                let bucket = &mut inner.buckets[(index % BUCKETS as u64) as usize];
                if bucket.index != index {
                    *bucket = Bucket { index, successes: 0, failures: 0 };
                }
                if success {
                    bucket.successes = bucket.successes.saturating_add(1);
                    return None;
                }
                bucket.failures = bucket.failures.saturating_add(1);
                let (mut total, mut failures) = (0u64, 0u64);
                for b in &inner.buckets {
                    if b.index + (BUCKETS as u64) > index && b.index <= index {
                        total += u64::from(b.successes) + u64::from(b.failures);
                        failures += u64::from(b.failures);
                    }
                }
                let tripped =
                    total >= u64::from(s.minimum_throughput) && failures as f64 >= s.failure_ratio * total as f64;
                tripped.then(|| {
                    inner.break_duration = s.break_duration;
                    self.open(&mut inner, now, TransitionReason::FailureRatio)
                })
            }
            // Outcomes of calls admitted before the breaker opened, and of non-probes.
            _ => None,
        }
    }

    /// Holds the breaker open until [`reset`](Self::reset): every call fails fast, no probe is
    /// sent. `None` when it was already isolated.
    pub fn isolate(&self) -> Option<Transition> {
        let mut inner = self.inner.lock();
        if std::mem::replace(&mut inner.isolated, true) {
            return None;
        }
        inner.buckets = [Bucket::default(); BUCKETS];
        Some(self.set(&mut inner, CircuitState::Open, TransitionReason::Isolated))
    }

    /// Closes the breaker (and ends an isolation): the window is cleared and the break goes back
    /// to `break_duration`. `None` when it was closed and not isolated.
    pub fn reset(&self) -> Option<Transition> {
        let mut inner = self.inner.lock();
        let was_isolated = std::mem::replace(&mut inner.isolated, false);
        inner.buckets = [Bucket::default(); BUCKETS];
        inner.break_duration = self.inner.settings.break_duration;
        if !was_isolated && self.state() == CircuitState::Closed {
            return None;
        }
        Some(self.set(&mut inner, CircuitState::Closed, TransitionReason::Reset))
    }

    fn open(&self, inner: &mut Inner, now: Duration, reason: TransitionReason) -> Transition {
        inner.open_until = now.saturating_add(inner.break_duration);
        inner.buckets = [Bucket::default(); BUCKETS];
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
}

impl Inner {
    /// The breaker's time at `now`, never earlier than the last reading.
    fn advance(&mut self, now: Tick) -> Duration {
        self.time.advance(now)
    }
}

#[cfg(test)]
mod tests;
