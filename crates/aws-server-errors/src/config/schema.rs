//! The configuration's shape: the structs users build or deserialize, their defaults and limits.

use std::collections::BTreeMap;
use std::time::Duration;

use serde::Deserialize;

#[cfg(doc)]
use super::ConfigError;

/// How the backoff before a retry is randomised.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Jitter {
    /// "Full jitter": the delay is drawn uniformly from `[0, cap)`, where
    /// `cap = min(initial_backoff * 2^(n-1), max_backoff)` for the n-th internal-server error of
    /// the call. The SDK's own standard retry mode uses the same formula. The default.
    #[default]
    Full,
    /// No randomisation: the delay is `cap`. Meant for tests and simulations.
    None,
}

/// How the server's retry hint is honoured.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RetryHintConfig {
    /// Whether to wait as the server asks (Connect Cases' `Retry-After`, or `x-amz-retry-after`)
    /// instead of the computed backoff. Default `true`.
    pub honour: bool,
    /// The longest hint honoured; a longer hint is cut to this. Default 20 s (the SDK's own
    /// `max_backoff`). Must be greater than zero.
    #[serde(with = "humantime_serde")]
    pub max: Duration,
}

impl Default for RetryHintConfig {
    fn default() -> Self {
        Self { honour: true, max: Duration::from_secs(20) }
    }
}

/// The retry budget kept per service: a token bucket that limits *wasted* retries of
/// internal-server errors (retries that fail again) to a share of the calls that succeed.
///
/// Every successful call deposits `ratio` tokens (up to `capacity`), as in gRPC's retry
/// throttling; every retry of an internal-server error takes one token, and is refused when none
/// is left; a retry that succeeds gives its token back, as the SDK's own retry quota refunds a
/// successful retry. So in steady state the retries that fail are at most `ratio` times the
/// successful calls, a burst of `capacity` retries is always allowed, and retries that work cost
/// nothing: at an i.i.d. 30 % error rate the default budget does not refuse any (with the pure
/// gRPC rule it refused enough to cut the success rate from 95 % to 81 %; see
/// [benchmarks.md](https://github.com/aws-server-errors/aws-server-errors/blob/main/docs/benchmarks.md)). While a service fails everything, no retry succeeds, the budget empties
/// and the policy stops adding retries on top of the outage (a retry circuit breaker); first
/// attempts are never blocked, and once they succeed again they refill it.
///
/// ```
/// use aws_server_errors::{PolicyConfig, RetryBudgetConfig, ServerErrorPolicy};
///
/// // A larger burst, and failed retries at most 10 % of successful calls.
/// let budget = RetryBudgetConfig { capacity: 50, ratio: 0.1, ..Default::default() };
/// let policy = ServerErrorPolicy::new(PolicyConfig::builder().retry_budget(budget).build()?)?;
///
/// // Each service's budget is created, full, when the policy is registered on its first client.
/// use aws_server_errors_pinpoint::{ServerErrorPolicyExt as _, SERVICE as PINPOINT};
/// let sdk = aws_server_errors_fault::sdk_config("http://localhost");
/// let _ = aws_sdk_pinpoint::config::Builder::from(&sdk).server_error_policy(&policy).build();
/// assert_eq!(policy.retry_budget_tokens(&PINPOINT), Some(50.0));
/// # Ok::<(), aws_server_errors::ConfigError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RetryBudgetConfig {
    /// Whether the budget applies. Default `true`.
    pub enabled: bool,
    /// Tokens the bucket holds when full (and at start). Default 20. Must be at least 1.
    pub capacity: u32,
    /// Tokens each successful call deposits (a ratio of failed retries to successful calls).
    /// Default 0.2. Must be 0 or in `0.000001..=1` (the budget counts millionths of a token).
    pub ratio: f64,
}

impl Default for RetryBudgetConfig {
    fn default() -> Self {
        Self { enabled: true, capacity: 20, ratio: 0.2 }
    }
}

/// The per-service circuit breaker (see [`crate::breaker`] for its states). Off by default;
/// switched on here for every service, or per service and operation with
/// [`ServiceConfig::circuit_breaker`] and [`OperationConfig::circuit_breaker`].
///
/// Defaults and their sources: `failure_ratio` 0.5 (Resilience4j's `failureRateThreshold`, 50 %;
/// Polly v8's 0.1 would open at the 10 % error rates the retry policy is meant to absorb),
/// `minimum_throughput` 100 (Polly v8 `MinimumThroughput`, Resilience4j `minimumNumberOfCalls`),
/// `sampling_duration` 30 s (Polly v8 `SamplingDuration`), `break_duration` 5 s (Polly v8
/// `BreakDuration`), `max_break_duration` 30 s (half of Resilience4j's fixed
/// `waitDurationInOpenState` of 60 s: the cap is also the longest a recovered service waits for
/// its next probe; the fault simulation measured 29.7 s to first success after a 60 s outage with
/// a 60 s cap), `half_open_probes` 1 (Polly v8 lets one probe through;
/// Resilience4j's `permittedNumberOfCallsInHalfOpenState` is 10).
///
/// ```
/// use std::time::Duration;
/// use aws_server_errors::{CircuitBreakerConfig, PolicyConfig, ServerErrorPolicy};
///
/// // Every service gets a breaker of its own; opens at half of 20 outcomes failing.
/// let breaker = CircuitBreakerConfig { enabled: true, minimum_throughput: 20, ..Default::default() };
/// assert_eq!(breaker.break_duration, Duration::from_secs(5));
/// let policy = ServerErrorPolicy::new(PolicyConfig::builder().circuit_breaker(breaker).build()?)?;
/// policy.isolate(&aws_server_errors_signer::SERVICE)?; // an operator holds Signer's open
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CircuitBreakerConfig {
    /// Whether every service has a breaker (each its own). Default `false`.
    pub enabled: bool,
    /// The share of server-side failures among counted outcomes that opens the breaker.
    /// Default 0.5. Must be in `0.01..=1`.
    pub failure_ratio: f64,
    /// Outcomes the window must hold before the ratio is judged. Default 100. Must be at least 1.
    pub minimum_throughput: u32,
    /// The sliding window's length. Default 30 s. At least 10 ms
    /// ([`MIN_SAMPLING_DURATION`]); shorter is [`ConfigError::DurationTooShort`].
    #[serde(with = "humantime_serde")]
    pub sampling_duration: Duration,
    /// How long the breaker stays open the first time. Default 5 s. Greater than zero.
    #[serde(with = "humantime_serde")]
    pub break_duration: Duration,
    /// The longest break: each failed probe doubles the break up to this. Default 30 s. Not below
    /// `break_duration`. It bounds how long a recovered service waits for its next probe.
    #[serde(with = "humantime_serde")]
    pub max_break_duration: Duration,
    /// Probe calls allowed in flight at once while half-open. Default 1. Must be at least 1.
    pub half_open_probes: u32,
}

impl Default for CircuitBreakerConfig {
    fn default() -> Self {
        Self {
            enabled: false,
            failure_ratio: 0.5,
            minimum_throughput: 100,
            sampling_duration: Duration::from_secs(30),
            break_duration: Duration::from_secs(5),
            max_break_duration: Duration::from_secs(30),
            half_open_probes: 1,
        }
    }
}

/// A service's circuit breaker: the fields of [`CircuitBreakerConfig`], each optional; an unset
/// field inherits the top level's. In TOML, a table with the top level's keys
/// (`[services.connectcases.circuit_breaker]`, `circuit_breaker = { enabled = true,
/// minimum_throughput = 20 }`) or, as a shorthand, a bool for `enabled` alone
/// (`circuit_breaker = true`).
///
/// ```
/// use aws_server_errors::{CircuitBreakerOverrides, PolicyConfig};
///
/// let config: PolicyConfig = toml::from_str(
///     r#"
///     [circuit_breaker]
///     minimum_throughput = 50
///     [services.connectcases]
///     circuit_breaker = { enabled = true, break_duration = "10s" }
///     [services.pinpoint]
///     circuit_breaker = true
///     "#,
/// )?;
/// config.validate()?;
/// let cases = &config.services["connectcases"].circuit_breaker;
/// assert_eq!(cases.enabled, Some(true));
/// assert_eq!(cases.minimum_throughput, None, "inherited: 50");
/// assert_eq!(config.services["pinpoint"].circuit_breaker, CircuitBreakerOverrides::from(true));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CircuitBreakerOverrides {
    /// See [`CircuitBreakerConfig::enabled`]: whether this service has a breaker.
    pub enabled: Option<bool>,
    /// See [`CircuitBreakerConfig::failure_ratio`].
    pub failure_ratio: Option<f64>,
    /// See [`CircuitBreakerConfig::minimum_throughput`].
    pub minimum_throughput: Option<u32>,
    /// See [`CircuitBreakerConfig::sampling_duration`].
    #[serde(with = "humantime_serde")]
    pub sampling_duration: Option<Duration>,
    /// See [`CircuitBreakerConfig::break_duration`].
    #[serde(with = "humantime_serde")]
    pub break_duration: Option<Duration>,
    /// See [`CircuitBreakerConfig::max_break_duration`].
    #[serde(with = "humantime_serde")]
    pub max_break_duration: Option<Duration>,
    /// See [`CircuitBreakerConfig::half_open_probes`].
    pub half_open_probes: Option<u32>,
}

impl From<bool> for CircuitBreakerOverrides {
    /// `enabled` alone, as `circuit_breaker = true` in TOML.
    fn from(enabled: bool) -> Self {
        Self { enabled: Some(enabled), ..Self::default() }
    }
}

impl CircuitBreakerConfig {
    /// This config with `overrides` applied.
    pub fn with_overrides(&self, overrides: &CircuitBreakerOverrides) -> Self {
        let o = overrides;
        Self {
            enabled: o.enabled.unwrap_or(self.enabled),
            failure_ratio: o.failure_ratio.unwrap_or(self.failure_ratio),
            minimum_throughput: o.minimum_throughput.unwrap_or(self.minimum_throughput),
            sampling_duration: o.sampling_duration.unwrap_or(self.sampling_duration),
            break_duration: o.break_duration.unwrap_or(self.break_duration),
            max_break_duration: o.max_break_duration.unwrap_or(self.max_break_duration),
            half_open_probes: o.half_open_probes.unwrap_or(self.half_open_probes),
        }
    }
}

/// A service's retry budget: the fields of [`RetryBudgetConfig`], each optional; an unset field
/// inherits the top level's. Each service has its own budget either way; this changes its size.
///
/// ```
/// let config: aws_server_errors::PolicyConfig = toml::from_str(
///     r#"
///     [services.pinpoint.retry_budget]
///     capacity = 100
///     "#,
/// )?;
/// config.validate()?;
/// assert_eq!(config.services["pinpoint"].retry_budget.capacity, Some(100));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RetryBudgetOverrides {
    /// See [`RetryBudgetConfig::enabled`].
    pub enabled: Option<bool>,
    /// See [`RetryBudgetConfig::capacity`].
    pub capacity: Option<u32>,
    /// See [`RetryBudgetConfig::ratio`].
    pub ratio: Option<f64>,
}

impl RetryBudgetConfig {
    /// This config with `overrides` applied.
    pub fn with_overrides(&self, overrides: &RetryBudgetOverrides) -> Self {
        Self {
            enabled: overrides.enabled.unwrap_or(self.enabled),
            capacity: overrides.capacity.unwrap_or(self.capacity),
            ratio: overrides.ratio.unwrap_or(self.ratio),
        }
    }
}

/// Deserializes a service's `circuit_breaker`: a table of [`CircuitBreakerOverrides`], or a bool
/// for `enabled` alone.
fn breaker_overrides<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<CircuitBreakerOverrides, D::Error> {
    struct Visitor;
    impl<'de> serde::de::Visitor<'de> for Visitor {
        type Value = CircuitBreakerOverrides;
        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("a circuit breaker table or a bool")
        }
        fn visit_bool<E: serde::de::Error>(self, enabled: bool) -> Result<Self::Value, E> {
            Ok(enabled.into())
        }
        fn visit_map<A: serde::de::MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
            CircuitBreakerOverrides::deserialize(serde::de::value::MapAccessDeserializer::new(map))
        }
    }
    deserializer.deserialize_any(Visitor)
}

/// Overrides for one operation. Every field is optional; unset fields inherit from the service,
/// then from the top level of [`PolicyConfig`].
///
/// ```
/// use aws_server_errors::{PolicyConfig, ServerErrorPolicy};
///
/// let config = PolicyConfig::builder()
///     // A read that may wait longer...
///     .operation("pinpoint", "GetApp", |op| op.max_attempts = Some(5))
///     // ...and a health check the breaker leaves alone.
///     .operation("signer", "ListSigningProfiles", |op| op.circuit_breaker = Some(false))
///     .build()?;
/// assert_eq!(config.services["pinpoint"].operations["GetApp"].max_attempts, Some(5));
/// let services = [&aws_server_errors_pinpoint::SERVICE, &aws_server_errors_signer::SERVICE];
/// ServerErrorPolicy::with_services(config, services)?;
/// # Ok::<(), aws_server_errors::ConfigError>(())
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct OperationConfig {
    /// See [`PolicyConfig::max_attempts`].
    pub max_attempts: Option<u32>,
    /// See [`PolicyConfig::initial_backoff`].
    #[serde(with = "humantime_serde")]
    pub initial_backoff: Option<Duration>,
    /// See [`PolicyConfig::max_backoff`].
    #[serde(with = "humantime_serde")]
    pub max_backoff: Option<Duration>,
    /// See [`PolicyConfig::time_budget`].
    #[serde(with = "humantime_serde")]
    pub time_budget: Option<Duration>,
    /// See [`PolicyConfig::retry_non_idempotent`].
    pub retry_non_idempotent: Option<bool>,
    /// `false` excludes the operation from its service's circuit breaker (a health check, say):
    /// its calls are never failed fast and their outcomes are not counted. `true` has no effect
    /// unless the service has a breaker.
    pub circuit_breaker: Option<bool>,
}

/// Settings for one service, keyed in [`PolicyConfig::services`] by the service's name: its key,
/// the SDK crate's name without `aws-sdk-` (`signer`, `pinpoint`, `backupgateway`,
/// `connectcases`), or the name logs and metrics show as `rpc.service`, the SDK's own (`signer`,
/// `Pinpoint`, `Backup Gateway`, `ConnectCases`), ignoring ASCII case, spaces, hyphens and
/// underscores ([`Service::is_named`](crate::Service::is_named)). The services a config names are checked against those
/// given to [`ServerErrorPolicy::with_services`](crate::ServerErrorPolicy::with_services).
///
/// ```
/// use std::time::Duration;
/// use aws_server_errors::{PolicyConfig, ServerErrorPolicy};
/// use aws_server_errors_account::SERVICE as ACCOUNT;
/// use aws_server_errors_connectcases::SERVICE as CONNECTCASES;
///
/// let config = PolicyConfig::builder()
///     .service("connectcases", |s| {
///         s.max_attempts = Some(4);
///         s.time_budget = Some(Duration::from_secs(2));
///         s.circuit_breaker = true.into();
///     })
///     .service("Account", |s| s.enabled = false)
///     .build()?;
/// let policy = ServerErrorPolicy::with_services(config, [&CONNECTCASES, &ACCOUNT])?;
/// policy.isolate(&CONNECTCASES)?; // it has a breaker
/// assert!(!policy.is_enabled(&ACCOUNT));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ServiceConfig {
    /// Whether the policy acts on this service's clients. Default `true`. When `false`, a client
    /// with the policy registered behaves exactly like a plain SDK client: no classification,
    /// no retry changes, no logs, no metrics.
    pub enabled: bool,
    /// See [`PolicyConfig::max_attempts`].
    pub max_attempts: Option<u32>,
    /// See [`PolicyConfig::initial_backoff`].
    #[serde(with = "humantime_serde")]
    pub initial_backoff: Option<Duration>,
    /// See [`PolicyConfig::max_backoff`].
    #[serde(with = "humantime_serde")]
    pub max_backoff: Option<Duration>,
    /// See [`PolicyConfig::time_budget`].
    #[serde(with = "humantime_serde")]
    pub time_budget: Option<Duration>,
    /// See [`PolicyConfig::retry_non_idempotent`].
    pub retry_non_idempotent: Option<bool>,
    /// The service's circuit breaker: whether it has one (unset follows
    /// [`CircuitBreakerConfig::enabled`]) and its settings, each inherited from the top level
    /// when unset. The same keys as the top level's `circuit_breaker`; `circuit_breaker = true`
    /// is a shorthand for `{ enabled = true }`.
    #[serde(deserialize_with = "breaker_overrides")]
    pub circuit_breaker: CircuitBreakerOverrides,
    /// The size of the service's retry budget, each field inherited from the top level's
    /// `retry_budget` when unset.
    pub retry_budget: RetryBudgetOverrides,
    /// Per-operation overrides, keyed by operation name as the SDK spells it (`"SendMessages"`).
    pub operations: BTreeMap<String, OperationConfig>,
}

impl Default for ServiceConfig {
    fn default() -> Self {
        Self {
            enabled: true,
            max_attempts: None,
            initial_backoff: None,
            max_backoff: None,
            time_budget: None,
            retry_non_idempotent: None,
            circuit_breaker: CircuitBreakerOverrides::default(),
            retry_budget: RetryBudgetOverrides::default(),
            operations: BTreeMap::new(),
        }
    }
}

impl ServiceConfig {
    /// The service's own values of the settings an operation inherits, as one layer.
    pub(super) fn as_overrides(&self) -> OperationConfig {
        OperationConfig {
            max_attempts: self.max_attempts,
            initial_backoff: self.initial_backoff,
            max_backoff: self.max_backoff,
            time_budget: self.time_budget,
            retry_non_idempotent: self.retry_non_idempotent,
            circuit_breaker: None,
        }
    }
}

/// The policy for internal-server errors. Everything else (throttling, client errors, transport
/// errors) keeps the SDK client's own retry configuration.
///
/// Build it with [`PolicyConfig::builder`], or deserialize it (for example from a TOML or YAML
/// application config) and pass it to [`ServerErrorPolicy::new`](crate::ServerErrorPolicy::new). Either way it is validated
/// before a [`ServerErrorPolicy`](crate::ServerErrorPolicy) exists.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PolicyConfig {
    /// Attempts a call may make while it fails with internal-server errors, the first included.
    /// Default 3 (the SDK's own default). Must be in `1..=20`.
    pub max_attempts: u32,
    /// The backoff cap before the first retry. Default 100 ms. Must be greater than zero.
    #[serde(with = "humantime_serde")]
    pub initial_backoff: Duration,
    /// The largest backoff cap. Default 5 s. Must not be below `initial_backoff`.
    #[serde(with = "humantime_serde")]
    pub max_backoff: Duration,
    /// How the backoff is randomised. Default [`Jitter::Full`].
    pub jitter: Jitter,
    /// The most time one call may spend, from its first attempt, before the policy stops retrying:
    /// a retry whose delay would end past the budget is not made. Default: none. When set, must be
    /// greater than zero.
    #[serde(with = "humantime_serde")]
    pub time_budget: Option<Duration>,
    /// Whether to retry an internal-server error on an operation that is not retry-safe (see
    /// [`RetrySafety`](crate::catalog::RetrySafety)). Default `false`: such a call is sent once,
    /// because the server may have applied it before failing.
    pub retry_non_idempotent: bool,
    /// Whether an operation that only AWS's naming conventions call a read (`Get*`, `List*`,
    /// `Describe*`, `BatchGet*`, `Query`, `Scan`, where neither the model, the HTTP method nor a
    /// reviewed source says anything: [`RetrySafety::NamingConvention`](crate::catalog::RetrySafety::NamingConvention))
    /// is retried after an internal-server error. Default `true`: DynamoDB and SNS bind every
    /// operation to POST and their models carry no `@readonly`, so without it `GetItem`, `Query`
    /// or `ListTopics` would never be retried after a 500. `false` treats such operations as not
    /// retry-safe.
    pub retry_by_naming_convention: bool,
    /// How the server's retry hint is honoured.
    pub retry_hint: RetryHintConfig,
    /// The per-service retry budget.
    pub retry_budget: RetryBudgetConfig,
    /// The per-service circuit breaker (off by default).
    pub circuit_breaker: CircuitBreakerConfig,
    /// Per-service settings. A service not listed here is enabled with the top-level settings.
    pub services: BTreeMap<String, ServiceConfig>,
    /// The level of the log events of a client error (a modeled client fault such as DynamoDB's
    /// `ConditionalCheckFailedException`, or any other 4xx but 429, as S3's `PreconditionFailed`:
    /// the caller's input or the resource's state, not the service's health): its `attempt
    /// failed`, and the call's `call failed with a client error`. Default [`LogLevel::Debug`].
    /// Such a call is counted with the outcome `client_error`, not as a give-up (see
    /// [`telemetry::CALLS`](crate::telemetry::CALLS)); every other failed call logs
    /// `WARN call failed`.
    pub client_error_log: LogLevel,
    /// The policy's name: the `policy` label of its gauges
    /// ([`RETRY_BUDGET_TOKENS`](crate::telemetry::RETRY_BUDGET_TOKENS),
    /// [`CIRCUIT_STATE`](crate::telemetry::CIRCUIT_STATE)), so that two policies in one process
    /// that act on one service report two series instead of overwriting one. Default `"default"`.
    /// 1 to 64 characters of `[A-Za-z0-9._-]` (it becomes a metric label value).
    pub name: String,
}

/// The level of a log event, as the config spells it: `off`, `error`, `warn`, `info`, `debug`
/// or `trace`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogLevel {
    /// No event.
    Off,
    /// `tracing::Level::ERROR`.
    Error,
    /// `tracing::Level::WARN`.
    Warn,
    /// `tracing::Level::INFO`.
    Info,
    /// `tracing::Level::DEBUG`.
    #[default]
    Debug,
    /// `tracing::Level::TRACE`.
    Trace,
}

impl LogLevel {
    /// The `tracing` level; `None` for [`Off`](Self::Off).
    pub const fn as_tracing(self) -> Option<tracing::Level> {
        match self {
            Self::Off => None,
            Self::Error => Some(tracing::Level::ERROR),
            Self::Warn => Some(tracing::Level::WARN),
            Self::Info => Some(tracing::Level::INFO),
            Self::Debug => Some(tracing::Level::DEBUG),
            Self::Trace => Some(tracing::Level::TRACE),
        }
    }
}

/// The longest [`PolicyConfig::name`] accepted, in characters.
pub const MAX_NAME_LEN: usize = 64;

impl Default for PolicyConfig {
    fn default() -> Self {
        Self {
            max_attempts: 3,
            initial_backoff: Duration::from_millis(100),
            max_backoff: Duration::from_secs(5),
            jitter: Jitter::Full,
            time_budget: None,
            retry_non_idempotent: false,
            retry_by_naming_convention: true,
            retry_hint: RetryHintConfig::default(),
            retry_budget: RetryBudgetConfig::default(),
            circuit_breaker: CircuitBreakerConfig::default(),
            services: BTreeMap::new(),
            client_error_log: LogLevel::Debug,
            name: "default".to_owned(),
        }
    }
}

/// The highest `max_attempts` accepted: beyond it a retry storm is more likely than a success.
pub const MAX_ATTEMPTS_LIMIT: u32 = 20;

/// The longest duration any setting accepts: one day. The SDK's backoff arithmetic converts
/// durations through `f64` seconds and panics past `u64::MAX` seconds; one day keeps every
/// product it computes (up to `2^31` times a backoff) far from that, and no retry or break
/// should be longer.
pub const MAX_DURATION: Duration = Duration::from_secs(86_400);

/// The smallest non-zero `retry_budget.ratio` accepted: 0.000001 (the retry budget counts
/// millionths of a token).
pub const MIN_RATIO: f64 = 0.000_001;

/// The shortest `circuit_breaker.sampling_duration` accepted: 10 ms. The window has ten buckets,
/// each at least 1 ms long.
pub const MIN_SAMPLING_DURATION: Duration = Duration::from_millis(10);
