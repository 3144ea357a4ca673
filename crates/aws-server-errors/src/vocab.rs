//! The policy's shared vocabulary: how an attempt failed ([`ErrorClass`]), how a call ended
//! (`Outcome`, [`GiveUpReason`]), and what a circuit breaker is and does ([`CircuitState`],
//! [`TransitionReason`], [`CircuitEvent`]). Every other module may import it; it imports no
//! module of this crate (`failure`, how a request failed on the wire, is the other leaf), so
//! the dependencies of the crate's modules run one way (docs/design.md, "Pieces").

use std::time::Duration;

/// The shared taxonomy every attempt's error is sorted into.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorClass {
    /// The service's own internal-server error shape (e.g. Signer's
    /// `InternalServiceErrorException`), modeled or recognised by its error code; or an HTTP 500
    /// with no error code the service models (a bare 500). The only class this crate's retry
    /// policy governs.
    InternalServerError,
    /// A throttling error: a shape with `@retryable(throttling: true)` or HTTP status 429.
    Throttling,
    /// Another modeled server-fault shape (`@error("server")`), e.g. a 503; or any 5xx but 500
    /// with no error code the service models (a load balancer's bare 502, 503 or 504).
    ServerError,
    /// No usable response: a connection failure or a timeout.
    Transient,
    /// A modeled client-fault shape (`@error("client")`), e.g. a validation error.
    ClientError,
    /// An error the adapter cannot attribute: an unknown error code, a malformed error body, or a
    /// failure that is neither a response nor a transport error.
    Unknown,
}

impl ErrorClass {
    /// A stable snake-case name, used as the `error.class` metric label and log field.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::InternalServerError => "internal_server_error",
            Self::Throttling => "throttling",
            Self::ServerError => "server_error",
            Self::Transient => "transient",
            Self::ClientError => "client_error",
            Self::Unknown => "unknown",
        }
    }

    /// Every class, in taxonomy order: [`index`](Self::index) is the position in it.
    pub(crate) const ALL: [Self; 6] = [
        Self::InternalServerError,
        Self::Throttling,
        Self::ServerError,
        Self::Transient,
        Self::ClientError,
        Self::Unknown,
    ];

    /// The class's position in [`ALL`](Self::ALL), for tables indexed by class (sized by
    /// `ALL`). A new class needs an arm here and its entry in `ALL` at that position; the test
    /// `class_and_reason_tables_are_indexed_in_order` checks that the two agree for `ALL`.
    pub(crate) const fn index(self) -> usize {
        match self {
            Self::InternalServerError => 0,
            Self::Throttling => 1,
            Self::ServerError => 2,
            Self::Transient => 3,
            Self::ClientError => 4,
            Self::Unknown => 5,
        }
    }
}

/// Why the policy did not retry, or why a call ended in an error: the values of the `reason` log
/// field and metric label (documented in [metrics.md](https://github.com/aws-server-errors/aws-server-errors/blob/main/docs/metrics.md)). No API returns it.
#[doc(hidden)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum GiveUpReason {
    /// The operation is not retry-safe, the failure may have reached the server (see
    /// [`Failure::may_have_been_applied`](crate::Failure::may_have_been_applied)), and the config
    /// does not allow resending it.
    NotRetrySafe,
    /// The call used its attempts for internal-server errors (`max_attempts`, or 1 when the
    /// call's `RetryConfig` disables retries).
    MaxAttempts,
    /// The next retry would end past the call's time budget.
    TimeBudget,
    /// The service's retry budget is empty.
    RetryBudget,
    /// The service's circuit breaker is open: the call failed fast, or its retry was not made.
    CircuitOpen,
    /// The policy allowed a retry but the SDK did not make it: its classifiers found the error
    /// not retryable, or the request body could not be replayed.
    SdkRefused,
    /// The SDK's operation timeout (or attempt timeout, on the last attempt) ended the call.
    Timeout,
    /// The last failure was left to the client's own retry configuration, and the call ended
    /// with it.
    ClientPolicy,
}

impl GiveUpReason {
    /// A stable snake-case name: the `reason` log field and metric label.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::NotRetrySafe => "not_retry_safe",
            Self::MaxAttempts => "max_attempts",
            Self::TimeBudget => "time_budget",
            Self::RetryBudget => "retry_budget",
            Self::CircuitOpen => "circuit_open",
            Self::SdkRefused => "sdk_refused",
            Self::Timeout => "timeout",
            Self::ClientPolicy => "client_policy",
        }
    }

    /// The reason's position in [`ALL`](Self::ALL), for tables indexed by reason (sized by
    /// `ALL`). A new reason needs an arm here and its entry in `ALL` at that position; the test
    /// `class_and_reason_tables_are_indexed_in_order` checks that the two agree for `ALL`.
    pub(crate) const fn index(self) -> usize {
        match self {
            Self::NotRetrySafe => 0,
            Self::MaxAttempts => 1,
            Self::TimeBudget => 2,
            Self::RetryBudget => 3,
            Self::CircuitOpen => 4,
            Self::SdkRefused => 5,
            Self::Timeout => 6,
            Self::ClientPolicy => 7,
        }
    }

    /// Every reason, in [`index`](Self::index) order.
    pub(crate) const ALL: [Self; 8] = [
        Self::NotRetrySafe,
        Self::MaxAttempts,
        Self::TimeBudget,
        Self::RetryBudget,
        Self::CircuitOpen,
        Self::SdkRefused,
        Self::Timeout,
        Self::ClientPolicy,
    ];
}

/// How a call ended, as the [`CALLS`](crate::telemetry::CALLS) counter's `outcome` label says
/// it. [`Outcome::index`] indexes the telemetry's per-operation table of call series.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Outcome {
    Ok,
    OkAfterRetries,
    Failed,
    FailedFast,
    ClientError,
}

impl Outcome {
    /// Every outcome, in [`index`](Self::index) order.
    pub(crate) const ALL: [Self; 5] =
        [Self::Ok, Self::OkAfterRetries, Self::Failed, Self::FailedFast, Self::ClientError];

    /// The outcome's position in [`ALL`](Self::ALL), for tables indexed by outcome, as
    /// [`ErrorClass::index`] is for classes (checked by the same test).
    pub(crate) const fn index(self) -> usize {
        match self {
            Self::Ok => 0,
            Self::OkAfterRetries => 1,
            Self::Failed => 2,
            Self::FailedFast => 3,
            Self::ClientError => 4,
        }
    }
}

impl Outcome {
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Ok => "ok",
            Self::OkAfterRetries => "ok_after_retries",
            Self::Failed => "failed",
            Self::FailedFast => "failed_fast",
            Self::ClientError => "client_error",
        }
    }
}

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

    pub(crate) const fn from_u8(v: u8) -> Self {
        match v {
            0 => Self::Closed,
            1 => Self::HalfOpen,
            _ => Self::Open,
        }
    }

    pub(crate) const fn to_u8(self) -> u8 {
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

/// A change of state, for logs and metrics.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Transition {
    pub from: CircuitState,
    pub to: CircuitState,
    /// The break duration, when `to` is open.
    pub break_duration: Duration,
    pub reason: TransitionReason,
}
