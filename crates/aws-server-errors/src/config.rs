//! The policy's configuration: one struct, loadable with serde or built in code, validated once.
//!
//! Durations are written as humantime strings in serialized form (`"100ms"`, `"5s"`).
//! See [configuration.md](https://github.com/aws-server-errors/aws-server-errors/blob/main/docs/configuration.md) for a full reference with examples.

use std::collections::BTreeMap;
use std::time::Duration;

use serde::Deserialize;

use crate::adapter::Service;
use crate::breaker::BreakerSettings;
use crate::catalog::{same_name, significant, ServiceCatalog};

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
/// underscores ([`Service::is_named`]). The services a config names are checked against those
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
    fn as_overrides(&self) -> OperationConfig {
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

/// A rejected configuration. Every variant names the offending field by its path in the
/// serialized form, e.g. `services.pinpoint.operations.SendMessages.max_attempts`.
///
/// ```
/// use aws_server_errors::{ConfigError, PolicyConfig};
///
/// let config: PolicyConfig = toml::from_str("[services.pinpoint.operations.SendMessages]\nmax_attempts = 50")?;
/// let error = config.validate().unwrap_err();
/// assert_eq!(error.field(), "services.pinpoint.operations.SendMessages.max_attempts");
/// assert!(matches!(error, ConfigError::AttemptsOutOfRange { value: 50, .. }));
/// assert_eq!(error.to_string(), "services.pinpoint.operations.SendMessages.max_attempts: 50 is not in 1..=20");
/// # Ok::<(), toml::de::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// `max_attempts` is 0 or above [`MAX_ATTEMPTS_LIMIT`].
    #[error("{field}: {value} is not in 1..={MAX_ATTEMPTS_LIMIT}")]
    AttemptsOutOfRange {
        /// The field's path.
        field: String,
        /// The rejected value.
        value: u32,
    },
    /// A duration that must be positive is zero.
    #[error("{field}: must be greater than zero")]
    ZeroDuration {
        /// The field's path.
        field: String,
    },
    /// `max_backoff` is below `initial_backoff` (after inheritance).
    #[error("{field}: max backoff {max_backoff:?} is below initial backoff {initial_backoff:?}")]
    BackoffOrder {
        /// The path of the `max_backoff` or `initial_backoff` that was set last.
        field: String,
        /// The effective initial backoff.
        initial_backoff: Duration,
        /// The effective max backoff.
        max_backoff: Duration,
    },
    /// A ratio is outside its range (or not a number): `0` or `0.000001..=1` for the retry
    /// budget, `0.01..=1` for the breaker.
    #[error("{field}: {value} is not in {range}")]
    RatioOutOfRange {
        /// The field's path.
        field: String,
        /// The rejected value.
        value: f64,
        /// The accepted range, as the message shows it (e.g. `"0 or 0.000001..=1"`).
        range: &'static str,
    },
    /// A duration is longer than [`MAX_DURATION`].
    #[error("{field}: {value:?} is longer than the limit of {MAX_DURATION:?}")]
    DurationTooLong {
        /// The field's path.
        field: String,
        /// The rejected value.
        value: Duration,
    },
    /// A duration is shorter than its minimum: `circuit_breaker.sampling_duration` must be at
    /// least [`MIN_SAMPLING_DURATION`] (10 ms: ten buckets of at least 1 ms).
    #[error("{field}: {value:?} is shorter than the minimum of {min:?}")]
    DurationTooShort {
        /// The field's path.
        field: String,
        /// The rejected value.
        value: Duration,
        /// The minimum.
        min: Duration,
    },
    /// A count that must be positive is zero.
    #[error("{field}: must be at least 1")]
    ZeroCount {
        /// The field's path.
        field: String,
    },
    /// The policy's `name` is empty, longer than [`MAX_NAME_LEN`], or has a character outside
    /// `[A-Za-z0-9._-]`.
    #[error("{field}: {value:?} is not 1 to 64 characters of A-Z, a-z, 0-9, '.', '_' or '-'")]
    BadName {
        /// The field's path (`name`).
        field: String,
        /// The rejected value, cut to [`MAX_NAME_LEN`] characters.
        value: String,
    },
    /// `services` names no service given to the policy
    /// ([`ServerErrorPolicy::with_services`](crate::ServerErrorPolicy::with_services)). The
    /// message lists the names accepted, and suggests the nearest.
    #[error("{field}: {}", unknown_service_help(*suggestion, accepted))]
    UnknownService {
        /// The field's path.
        field: String,
        /// The key of the service the name nearly spells, if any.
        suggestion: Option<&'static str>,
        /// Each service given to the policy: its key, and its `rpc.service` name where that is
        /// spelled otherwise (`connectcases ("ConnectCases")`).
        accepted: Vec<String>,
    },
    /// `services` names one service twice, under two spellings (e.g. `pinpoint` and `Pinpoint`).
    #[error("{field}: names the same service as services.{other}")]
    DuplicateService {
        /// The field's path (the second spelling, in key order).
        field: String,
        /// The other key.
        other: String,
    },
    /// `operations` names an operation the service's SDK crate does not have. Operation names are
    /// matched exactly, as the SDK spells them (`SendMessages`); unlike service keys, case
    /// matters. The message suggests the operation a typo or a wrong case meant
    /// ([`ServiceCatalog::nearest_operation`](crate::ServiceCatalog::nearest_operation)).
    #[error("{field}: {service} has no such operation (names are case-sensitive){}", suggestion.map(|s| format!("; did you mean {s}?")).unwrap_or_default())]
    UnknownOperation {
        /// The field's path.
        field: String,
        /// The service key.
        service: String,
        /// The operation the name most likely means (a typo or a wrong case), if any.
        suggestion: Option<&'static str>,
    },
}

impl ConfigError {
    /// The path of the offending field, e.g. `"retry_budget.ratio"`.
    pub fn field(&self) -> &str {
        match self {
            Self::AttemptsOutOfRange { field, .. }
            | Self::ZeroDuration { field }
            | Self::BackoffOrder { field, .. }
            | Self::RatioOutOfRange { field, .. }
            | Self::DurationTooLong { field, .. }
            | Self::DurationTooShort { field, .. }
            | Self::ZeroCount { field }
            | Self::UnknownService { field, .. }
            | Self::BadName { field, .. }
            | Self::DuplicateService { field, .. }
            | Self::UnknownOperation { field, .. } => field,
        }
    }
}

/// The settings that apply to one operation, after inheritance. Internal, resolved once.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Settings {
    pub max_attempts: u32,
    pub initial_backoff: Duration,
    pub max_backoff: Duration,
    pub jitter: Jitter,
    pub time_budget: Option<Duration>,
    pub retry_non_idempotent: bool,
    pub retry_by_naming_convention: bool,
    pub honour_retry_hint: bool,
    pub max_retry_hint: Duration,
    /// Whether the operation's calls go through the service's circuit breaker.
    pub breaker: bool,
}

/// A setting and the path of the layer it came from.
struct Layered<T> {
    value: T,
    field: String,
    /// 0 for the top level, 1 for a service, 2 for an operation.
    depth: usize,
}

impl<T: Copy> Layered<T> {
    fn top(value: T, name: &str) -> Self {
        Self { value, field: name.to_owned(), depth: 0 }
    }

    fn apply(&mut self, value: Option<T>, prefix: &str, name: &str, depth: usize) {
        if let Some(value) = value {
            self.value = value;
            self.field = format!("{prefix}.{name}");
            self.depth = depth;
        }
    }
}

impl PolicyConfig {
    /// A builder starting from the defaults.
    pub fn builder() -> PolicyConfigBuilder {
        PolicyConfigBuilder { config: Self::default() }
    }

    /// Validates every value of the configuration, at every level (top, services, operations),
    /// as [`ServerErrorPolicy::new`](crate::ServerErrorPolicy::new) and
    /// [`PolicyConfigBuilder::build`] do. Names are checked by
    /// [`validate_services`](Self::validate_services), which needs the services.
    ///
    /// # Errors
    /// A [`ConfigError`] naming the first offending field: an attempt count outside `1..=20`, a
    /// zero backoff or budget, a `max_backoff` below `initial_backoff`, a duration over
    /// [`MAX_DURATION`], or a ratio out of its range. Settings that are switched off are
    /// validated too.
    ///
    /// ```
    /// let config: aws_server_errors::PolicyConfig = toml::from_str(
    ///     r#"
    ///     max_attempts = 4
    ///     [services.Pinpoint.operations.SendMessages]
    ///     max_attempts = 0
    ///     "#,
    /// )?;
    /// let error = config.validate().unwrap_err();
    /// assert_eq!(error.field(), "services.Pinpoint.operations.SendMessages.max_attempts");
    /// # Ok::<(), toml::de::Error>(())
    /// ```
    pub fn validate(&self) -> Result<(), ConfigError> {
        self.validate_global()?;
        self.resolve_layers(&[])?;
        for (key, service) in &self.services {
            let prefix = format!("services.{key}");
            validate_breaker(
                &self.circuit_breaker.with_overrides(&service.circuit_breaker),
                &format!("{prefix}.circuit_breaker"),
            )?;
            validate_budget(
                &self.retry_budget.with_overrides(&service.retry_budget),
                &format!("{prefix}.retry_budget"),
            )?;
            self.resolve_layers(&[(service.as_overrides(), prefix.as_str())])?;
            for (name, op) in &service.operations {
                let op_prefix = format!("{prefix}.operations.{name}");
                self.resolve_layers(&[(service.as_overrides(), prefix.as_str()), (op.clone(), op_prefix.as_str())])?;
            }
        }
        Ok(())
    }

    /// Checks the names under `services` against `services` (each adapter crate's `SERVICE`):
    /// every key names one of them, no two keys the same one, and every operation key is an
    /// operation of its service. [`ServerErrorPolicy::with_services`](crate::ServerErrorPolicy::with_services)
    /// runs it; run it in a test to check a config file against the services an application
    /// uses.
    ///
    /// # Errors
    /// [`ConfigError::UnknownService`], [`ConfigError::DuplicateService`] or
    /// [`ConfigError::UnknownOperation`], naming the key.
    ///
    /// ```
    /// use aws_server_errors::PolicyConfig;
    /// use aws_server_errors_pinpoint::SERVICE as PINPOINT;
    ///
    /// let config: PolicyConfig = toml::from_str("[services.Pinpoint.operations.sendMessages]\nmax_attempts = 2")?;
    /// let error = config.validate_services(&[&PINPOINT]).unwrap_err();
    /// assert_eq!(
    ///     error.to_string(),
    ///     "services.Pinpoint.operations.sendMessages: Pinpoint has no such operation \
    ///      (names are case-sensitive); did you mean SendMessages?"
    /// );
    /// # Ok::<(), toml::de::Error>(())
    /// ```
    pub fn validate_services(&self, services: &[&'static Service]) -> Result<(), ConfigError> {
        let mut seen: Vec<(&Service, &str)> = Vec::new();
        for (key, config) in &self.services {
            let Some(service) = services.iter().copied().find(|s| s.is_named(key)) else {
                return Err(unknown_service(key, services));
            };
            if let Some((_, other)) = seen.iter().find(|(s, _)| *s == service) {
                return Err(ConfigError::DuplicateService { field: format!("services.{key}"), other: (*other).into() });
            }
            seen.push((service, key));
            let catalog = service.catalog();
            for op in config.operations.keys() {
                if catalog.operation(op).is_none() {
                    let suggestion = catalog.nearest_operation(op);
                    return Err(ConfigError::UnknownOperation {
                        field: format!("services.{key}.operations.{op}"),
                        service: key.clone(),
                        suggestion,
                    });
                }
            }
        }
        Ok(())
    }

    /// The entry of `services` that names `catalog`'s service, with its key.
    pub(crate) fn service_entry(&self, catalog: &ServiceCatalog) -> Option<(&str, &ServiceConfig)> {
        self.services.iter().find(|(key, _)| catalog.is_named(key)).map(|(key, service)| (key.as_str(), service))
    }

    /// Checks the configuration and resolves the settings of every operation of `catalog`, plus
    /// a last entry (the service's own settings) for operations the catalog does not know.
    /// Returns `None` for a service the config disables.
    pub(crate) fn resolve(&self, catalog: &ServiceCatalog) -> Result<Option<Vec<Settings>>, ConfigError> {
        let (key, service) = match self.service_entry(catalog) {
            Some((key, service)) => (key, service.clone()),
            None => (catalog.key(), ServiceConfig::default()),
        };
        let service_prefix = format!("services.{key}");
        let breaker = service.circuit_breaker.enabled.unwrap_or(self.circuit_breaker.enabled);
        // The service's breaker and budget, validated as the top level's are, and named by
        // the service's own fields.
        validate_breaker(
            &self.circuit_breaker.with_overrides(&service.circuit_breaker),
            &format!("{service_prefix}.circuit_breaker"),
        )?;
        validate_budget(
            &self.retry_budget.with_overrides(&service.retry_budget),
            &format!("{service_prefix}.retry_budget"),
        )?;
        // A disabled service's settings are validated too: they are accepted, so they must be
        // valid when someone enables the service.
        let mut settings = catalog
            .operations
            .iter()
            .map(|op| {
                let op_prefix = format!("{service_prefix}.operations.{}", op.name);
                let layers = [
                    (service.as_overrides(), service_prefix.as_str()),
                    (service.operations.get(op.name).cloned().unwrap_or_default(), op_prefix.as_str()),
                ];
                let mut settings = self.resolve_layers(&layers)?;
                settings.breaker =
                    breaker && service.operations.get(op.name).and_then(|o| o.circuit_breaker).unwrap_or(true);
                Ok(settings)
            })
            .collect::<Result<Vec<_>, ConfigError>>()?;
        let mut unknown = self.resolve_layers(&[(service.as_overrides(), service_prefix.as_str())])?;
        unknown.breaker = breaker;
        settings.push(unknown);
        Ok(service.enabled.then_some(settings))
    }

    /// The service's retry budget: the top level's, with the service's overrides.
    pub(crate) fn budget_config(&self, catalog: &ServiceCatalog) -> RetryBudgetConfig {
        match self.service_entry(catalog) {
            Some((_, service)) => self.retry_budget.with_overrides(&service.retry_budget),
            None => self.retry_budget.clone(),
        }
    }

    /// The service's circuit breaker settings (validated): the top level's, with the service's
    /// overrides.
    pub(crate) fn breaker_settings(&self, catalog: &ServiceCatalog) -> BreakerSettings {
        let b = match self.service_entry(catalog) {
            Some((_, service)) => self.circuit_breaker.with_overrides(&service.circuit_breaker),
            None => self.circuit_breaker.clone(),
        };
        BreakerSettings {
            failure_ratio: b.failure_ratio,
            minimum_throughput: b.minimum_throughput,
            sampling_duration: b.sampling_duration,
            break_duration: b.break_duration,
            max_break_duration: b.max_break_duration,
            half_open_probes: b.half_open_probes,
        }
    }

    fn resolve_layers(&self, layers: &[(OperationConfig, &str)]) -> Result<Settings, ConfigError> {
        let mut max_attempts = Layered::top(self.max_attempts, "max_attempts");
        let mut initial = Layered::top(self.initial_backoff, "initial_backoff");
        let mut max = Layered::top(self.max_backoff, "max_backoff");
        let mut budget = Layered::top(self.time_budget, "time_budget");
        let mut non_idempotent = self.retry_non_idempotent;
        for (depth, (layer, prefix)) in (1..).zip(layers) {
            max_attempts.apply(layer.max_attempts, prefix, "max_attempts", depth);
            initial.apply(layer.initial_backoff, prefix, "initial_backoff", depth);
            max.apply(layer.max_backoff, prefix, "max_backoff", depth);
            budget.apply(layer.time_budget.map(Some), prefix, "time_budget", depth);
            non_idempotent = layer.retry_non_idempotent.unwrap_or(non_idempotent);
        }
        if !(1..=MAX_ATTEMPTS_LIMIT).contains(&max_attempts.value) {
            return Err(ConfigError::AttemptsOutOfRange { field: max_attempts.field, value: max_attempts.value });
        }
        if initial.value.is_zero() {
            return Err(ConfigError::ZeroDuration { field: initial.field });
        }
        if max.value < initial.value {
            // Name the layer that set one of the two last: that is where the mistake is.
            let field = if max.depth >= initial.depth { max.field } else { initial.field };
            return Err(ConfigError::BackoffOrder { field, initial_backoff: initial.value, max_backoff: max.value });
        }
        if budget.value.is_some_and(|b| b.is_zero()) {
            return Err(ConfigError::ZeroDuration { field: budget.field });
        }
        check_max(initial.value, &initial.field)?;
        check_max(max.value, &max.field)?;
        if let Some(value) = budget.value {
            check_max(value, &budget.field)?;
        }
        Ok(Settings {
            max_attempts: max_attempts.value,
            initial_backoff: initial.value,
            max_backoff: max.value,
            jitter: self.jitter,
            time_budget: budget.value,
            retry_non_idempotent: non_idempotent,
            retry_by_naming_convention: self.retry_by_naming_convention,
            honour_retry_hint: self.retry_hint.honour,
            max_retry_hint: self.retry_hint.max,
            breaker: false,
        })
    }

    /// Checks the top level's retry hint, retry budget and circuit breaker.
    pub(crate) fn validate_global(&self) -> Result<(), ConfigError> {
        let name_ok = (1..=MAX_NAME_LEN).contains(&self.name.len())
            && self.name.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'));
        if !name_ok {
            let value = self.name.chars().take(MAX_NAME_LEN).collect();
            return Err(ConfigError::BadName { field: "name".into(), value });
        }
        // Everything accepted is validated, whether or not it is switched on.
        if self.retry_hint.max.is_zero() {
            return Err(ConfigError::ZeroDuration { field: "retry_hint.max".into() });
        }
        check_max(self.retry_hint.max, "retry_hint.max")?;
        validate_budget(&self.retry_budget, "retry_budget")?;
        validate_breaker(&self.circuit_breaker, "circuit_breaker")?;
        Ok(())
    }
}

/// The accepted range of a retry budget's `ratio`, as error messages show it.
const BUDGET_RATIO_RANGE: &str = "0 or 0.000001..=1";

/// The error for a `services` key that names none of `services`.
fn unknown_service(key: &str, services: &[&'static Service]) -> ConfigError {
    // The names as `same_name` compares them (only ASCII bytes are dropped or changed).
    let normalized = |s: &str| String::from_utf8_lossy(&significant(s).collect::<Vec<u8>>()).into_owned();
    // A near miss of a key or a name (a typo, a missing letter), never another short name
    // (`sqs` is not `sns`).
    let names = services.iter().flat_map(|s| [s.key(), s.name()]);
    let suggestion = crate::catalog::nearest(key, names, normalized)
        .and_then(|name| services.iter().find(|s| s.is_named(name)))
        .map(|s| s.key());
    let accepted = services
        .iter()
        .map(|s| if s.key() == s.name() { s.key().to_owned() } else { format!("{} ({:?})", s.key(), s.name()) })
        .collect();
    ConfigError::UnknownService { field: format!("services.{key}"), suggestion, accepted }
}

/// The rest of an [`ConfigError::UnknownService`] message: one sentence.
fn unknown_service_help(suggestion: Option<&str>, accepted: &[String]) -> String {
    if accepted.is_empty() {
        return "no services were given to the policy: pass each adapter crate's SERVICE to \
                ServerErrorPolicy::with_services"
            .to_owned();
    }
    let suggestion = suggestion.map(|s| format!("; did you mean {s}?")).unwrap_or_default();
    format!("not one of the services given to the policy ({}){suggestion}", accepted.join(", "))
}

/// Validates a retry budget whose fields are named under `prefix` (`retry_budget`, or
/// `services.<key>.retry_budget`).
fn validate_budget(budget: &RetryBudgetConfig, prefix: &str) -> Result<(), ConfigError> {
    let ratio = budget.ratio;
    if !(ratio == 0.0 || (MIN_RATIO..=1.0).contains(&ratio)) {
        return Err(ConfigError::RatioOutOfRange {
            field: format!("{prefix}.ratio"),
            value: ratio,
            range: BUDGET_RATIO_RANGE,
        });
    }
    if budget.capacity == 0 {
        return Err(ConfigError::ZeroCount { field: format!("{prefix}.capacity") });
    }
    Ok(())
}

/// Validates a circuit breaker whose fields are named under `prefix` (`circuit_breaker`, or
/// `services.<key>.circuit_breaker`).
fn validate_breaker(breaker: &CircuitBreakerConfig, prefix: &str) -> Result<(), ConfigError> {
    let field = |name: &str| format!("{prefix}.{name}");
    if !(0.01..=1.0).contains(&breaker.failure_ratio) {
        return Err(ConfigError::RatioOutOfRange {
            field: field("failure_ratio"),
            value: breaker.failure_ratio,
            range: "0.01..=1",
        });
    }
    for (value, name) in
        [(breaker.minimum_throughput, "minimum_throughput"), (breaker.half_open_probes, "half_open_probes")]
    {
        if value == 0 {
            return Err(ConfigError::ZeroCount { field: field(name) });
        }
    }
    if breaker.sampling_duration < MIN_SAMPLING_DURATION {
        return Err(ConfigError::DurationTooShort {
            field: field("sampling_duration"),
            value: breaker.sampling_duration,
            min: MIN_SAMPLING_DURATION,
        });
    }
    if breaker.break_duration.is_zero() {
        return Err(ConfigError::ZeroDuration { field: field("break_duration") });
    }
    for (value, name) in [
        (breaker.sampling_duration, "sampling_duration"),
        (breaker.break_duration, "break_duration"),
        (breaker.max_break_duration, "max_break_duration"),
    ] {
        check_max(value, &field(name))?;
    }
    if breaker.max_break_duration < breaker.break_duration {
        return Err(ConfigError::BackoffOrder {
            field: field("max_break_duration"),
            initial_backoff: breaker.break_duration,
            max_backoff: breaker.max_break_duration,
        });
    }
    Ok(())
}

/// Rejects a duration longer than [`MAX_DURATION`].
fn check_max(value: Duration, field: &str) -> Result<(), ConfigError> {
    if value > MAX_DURATION {
        return Err(ConfigError::DurationTooLong { field: field.to_owned(), value });
    }
    Ok(())
}

/// Builds a [`PolicyConfig`] in code. [`build`](Self::build) validates it.
///
/// ```
/// use std::time::Duration;
/// use aws_server_errors::{PolicyConfig, ServerErrorPolicy};
///
/// let config = PolicyConfig::builder()
///     .max_attempts(4)
///     .initial_backoff(Duration::from_millis(50))
///     .time_budget(Duration::from_secs(2))
///     // Service keys: the crate's (`pinpoint`) or the metric label's (`Pinpoint`), any case.
///     .operation("Pinpoint", "GetApp", |op| op.max_attempts = Some(5))
///     .disable_service("account")
///     .build()?; // validates the values; the names are validated against the services:
/// let services = [&aws_server_errors_pinpoint::SERVICE, &aws_server_errors_account::SERVICE];
/// let policy = ServerErrorPolicy::with_services(config, services)?;
/// assert_eq!(policy.config().max_attempts, 4);
///
/// // A bad value is a typed error naming the field.
/// let error = PolicyConfig::builder().max_attempts(0).build().unwrap_err();
/// assert_eq!(error.field(), "max_attempts");
/// # Ok::<(), aws_server_errors::ConfigError>(())
/// ```
#[derive(Debug, Clone)]
pub struct PolicyConfigBuilder {
    config: PolicyConfig,
}

impl PolicyConfigBuilder {
    /// Sets [`PolicyConfig::max_attempts`].
    pub fn max_attempts(mut self, attempts: u32) -> Self {
        self.config.max_attempts = attempts;
        self
    }

    /// Sets [`PolicyConfig::initial_backoff`].
    pub fn initial_backoff(mut self, backoff: Duration) -> Self {
        self.config.initial_backoff = backoff;
        self
    }

    /// Sets [`PolicyConfig::max_backoff`].
    pub fn max_backoff(mut self, backoff: Duration) -> Self {
        self.config.max_backoff = backoff;
        self
    }

    /// Sets [`PolicyConfig::jitter`].
    pub fn jitter(mut self, jitter: Jitter) -> Self {
        self.config.jitter = jitter;
        self
    }

    /// Sets [`PolicyConfig::time_budget`].
    pub fn time_budget(mut self, budget: Duration) -> Self {
        self.config.time_budget = Some(budget);
        self
    }

    /// Sets [`PolicyConfig::name`].
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.config.name = name.into();
        self
    }

    /// Sets [`PolicyConfig::client_error_log`].
    pub fn client_error_log(mut self, level: LogLevel) -> Self {
        self.config.client_error_log = level;
        self
    }

    /// Sets [`PolicyConfig::retry_non_idempotent`].
    pub fn retry_non_idempotent(mut self, retry: bool) -> Self {
        self.config.retry_non_idempotent = retry;
        self
    }

    /// Sets [`PolicyConfig::retry_hint`].
    pub fn retry_hint(mut self, hint: RetryHintConfig) -> Self {
        self.config.retry_hint = hint;
        self
    }

    /// Sets [`PolicyConfig::retry_budget`].
    pub fn retry_budget(mut self, budget: RetryBudgetConfig) -> Self {
        self.config.retry_budget = budget;
        self
    }

    /// Changes the settings of one service, starting from what is there already. `key` is the
    /// service's key or name (`"pinpoint"`, `"Pinpoint"`; see [`ServiceConfig`]); a key spelled
    /// like one already there but for ASCII case, spaces, hyphens and underscores edits that entry
    /// (the first spelling is kept).
    pub fn service(mut self, key: &str, edit: impl FnOnce(&mut ServiceConfig)) -> Self {
        let existing = self.config.services.keys().find(|k| same_name(k, key));
        let key = existing.cloned().unwrap_or_else(|| key.to_owned());
        edit(self.config.services.entry(key).or_default());
        self
    }

    /// Sets [`PolicyConfig::circuit_breaker`].
    pub fn circuit_breaker(mut self, breaker: CircuitBreakerConfig) -> Self {
        self.config.circuit_breaker = breaker;
        self
    }

    /// Disables the policy for one service: its clients behave like plain SDK clients.
    pub fn disable_service(self, key: &str) -> Self {
        self.service(key, |s| s.enabled = false)
    }

    /// Changes the overrides of one operation of one service.
    pub fn operation(self, service: &str, operation: &str, edit: impl FnOnce(&mut OperationConfig)) -> Self {
        self.service(service, |s| edit(s.operations.entry(operation.to_owned()).or_default()))
    }

    /// The configuration as built so far, unvalidated.
    pub fn config(&self) -> &PolicyConfig {
        &self.config
    }

    /// The configuration as built, unvalidated (validation happens when a policy is made from it).
    pub fn into_config(self) -> PolicyConfig {
        self.config
    }

    /// Validates the configuration and returns it, ready for
    /// [`ServerErrorPolicy::new`](crate::ServerErrorPolicy::new).
    ///
    /// # Errors
    /// A [`ConfigError`] naming the first offending field (see [`PolicyConfig::validate`]).
    pub fn build(self) -> Result<PolicyConfig, ConfigError> {
        self.config.validate()?;
        Ok(self.config)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{self, ACCOUNT, BACKUPGATEWAY, CONNECTCASES, PINPOINT, SIGNER};
    use crate::ServerErrorPolicy;

    /// A policy validated against the five fixture services, and registered on each (so that each
    /// has its state).
    fn policy(config: PolicyConfig) -> Result<ServerErrorPolicy, ConfigError> {
        let policy = ServerErrorPolicy::with_services(config, testing::ALL)?;
        for service in testing::ALL {
            let _ = policy.interceptor(service);
        }
        Ok(policy)
    }

    fn err(config: PolicyConfig) -> ConfigError {
        policy(config).expect_err("config should be rejected")
    }

    #[test]
    fn defaults_are_valid() {
        policy(PolicyConfig::default()).unwrap();
    }

    #[test]
    fn a_name_that_cannot_be_a_label_value_is_rejected() {
        for bad in ["", "with space", "x".repeat(65).as_str(), "caf\u{e9}", "a\nb"] {
            let e = PolicyConfig::builder().name(bad).build().unwrap_err();
            assert_eq!(e.field(), "name", "{bad:?}");
            assert!(matches!(e, ConfigError::BadName { .. }), "{bad:?}");
        }
        for good in ["default", "batch-jobs", "api.v2_eu", &"x".repeat(64)] {
            PolicyConfig::builder().name(good).build().unwrap();
        }
        let config: PolicyConfig = toml::from_str("name = \"batch\"\nclient_error_log = \"off\"").unwrap();
        assert_eq!((config.name.as_str(), config.client_error_log), ("batch", LogLevel::Off));
        assert!(toml::from_str::<PolicyConfig>("client_error_log = \"loud\"").is_err(), "unknown level");
    }

    #[test]
    fn zero_attempts_is_rejected_with_its_field() {
        let e = err(PolicyConfig { max_attempts: 0, ..Default::default() });
        assert_eq!(e, ConfigError::AttemptsOutOfRange { field: "max_attempts".into(), value: 0 });
        let e = PolicyConfig::builder()
            .operation("pinpoint", "SendMessages", |o| o.max_attempts = Some(0))
            .build()
            .unwrap_err();
        assert_eq!(e.field(), "services.pinpoint.operations.SendMessages.max_attempts");
        assert!(e.to_string().starts_with("services.pinpoint.operations.SendMessages.max_attempts: 0"));
    }

    #[test]
    fn a_sampling_duration_under_10_ms_is_rejected_as_too_short() {
        for value in [Duration::from_nanos(1), Duration::from_nanos(9_999_999)] {
            let breaker = CircuitBreakerConfig { sampling_duration: value, ..Default::default() };
            let e = err(PolicyConfig { circuit_breaker: breaker, ..Default::default() });
            let field = "circuit_breaker.sampling_duration".to_owned();
            assert_eq!(e, ConfigError::DurationTooShort { field, value, min: MIN_SAMPLING_DURATION });
            assert!(e.to_string().contains("shorter than the minimum of 10ms"), "{e}");
        }
        let breaker = CircuitBreakerConfig { sampling_duration: MIN_SAMPLING_DURATION, ..Default::default() };
        policy(PolicyConfig { circuit_breaker: breaker, ..Default::default() }).unwrap();
    }

    #[test]
    fn breaker_and_budget_take_one_shape_at_both_levels_and_inherit_per_field() {
        let config: PolicyConfig = toml::from_str(
            r#"
            [circuit_breaker]
            minimum_throughput = 50
            [retry_budget]
            capacity = 30
            [services.connectcases]
            circuit_breaker = { enabled = true, break_duration = "10s" }
            retry_budget = { capacity = 100 }
            [services.signer]
            circuit_breaker = true
            "#,
        )
        .unwrap();
        let policy = policy(config.clone()).unwrap();
        let cases = config.breaker_settings(CONNECTCASES.catalog());
        assert_eq!((cases.minimum_throughput, cases.break_duration), (50, Duration::from_secs(10)));
        let signer = config.breaker_settings(SIGNER.catalog());
        assert_eq!((signer.minimum_throughput, signer.break_duration), (50, Duration::from_secs(5)));
        assert_eq!(policy.retry_budget_tokens(&CONNECTCASES), Some(100.0));
        assert_eq!(policy.retry_budget_tokens(&PINPOINT), Some(30.0));
        assert!(policy.circuit_state(&CONNECTCASES).is_some());
        assert!(policy.circuit_state(&PINPOINT).is_none(), "no breaker: not enabled");
    }

    #[test]
    fn a_bad_service_breaker_or_budget_names_the_services_field() {
        let e = toml::from_str::<PolicyConfig>("[services.connectcases]\ncircuit_breaker = { minimum_throughput = 0 }")
            .unwrap()
            .validate()
            .unwrap_err();
        assert_eq!(e.field(), "services.connectcases.circuit_breaker.minimum_throughput");
        let e = toml::from_str::<PolicyConfig>("[services.Pinpoint.retry_budget]\nratio = 2.0")
            .unwrap()
            .validate()
            .unwrap_err();
        assert_eq!(e.field(), "services.Pinpoint.retry_budget.ratio");
        // The service's break may not be longer than the inherited cap.
        let e = toml::from_str::<PolicyConfig>("[services.signer.circuit_breaker]\nbreak_duration = \"1m\"")
            .unwrap()
            .validate()
            .unwrap_err();
        assert_eq!(e.field(), "services.signer.circuit_breaker.max_break_duration");
        let e = toml::from_str::<PolicyConfig>("[services.signer]\ncircuit_breaker = { enable = true }").unwrap_err();
        assert!(e.to_string().contains("unknown field `enable`"), "{e}");
    }

    #[test]
    fn too_many_attempts_is_rejected() {
        let e = err(PolicyConfig { max_attempts: MAX_ATTEMPTS_LIMIT + 1, ..Default::default() });
        assert_eq!(e.field(), "max_attempts");
    }

    #[test]
    fn max_backoff_below_initial_is_rejected_naming_the_layer_that_set_it() {
        let e = PolicyConfig::builder().max_backoff(Duration::from_millis(50)).build().unwrap_err();
        assert!(matches!(e, ConfigError::BackoffOrder { ref field, .. } if field == "max_backoff"), "{e}");
        let e = PolicyConfig::builder()
            .service("signer", |s| s.initial_backoff = Some(Duration::from_secs(10)))
            .build()
            .unwrap_err();
        assert_eq!(e.field(), "services.signer.initial_backoff");
    }

    #[test]
    fn ratio_outside_unit_interval_is_rejected() {
        for ratio in [-0.1, 1.5, f64::NAN] {
            let e = PolicyConfig::builder()
                .retry_budget(RetryBudgetConfig { ratio, ..Default::default() })
                .build()
                .unwrap_err();
            assert_eq!(e.field(), "retry_budget.ratio");
        }
    }

    #[test]
    fn zero_durations_and_counts_are_rejected() {
        assert_eq!(
            err(PolicyConfig { initial_backoff: Duration::ZERO, ..Default::default() }).field(),
            "initial_backoff"
        );
        assert_eq!(
            err(PolicyConfig { time_budget: Some(Duration::ZERO), ..Default::default() }).field(),
            "time_budget"
        );
        let hint = RetryHintConfig { honour: true, max: Duration::ZERO };
        assert_eq!(err(PolicyConfig { retry_hint: hint, ..Default::default() }).field(), "retry_hint.max");
        let budget = RetryBudgetConfig { capacity: 0, ..Default::default() };
        assert_eq!(err(PolicyConfig { retry_budget: budget, ..Default::default() }).field(), "retry_budget.capacity");
    }

    #[test]
    fn unknown_service_and_operation_are_rejected() {
        let e = err(PolicyConfig::builder().disable_service("pinponit").build().unwrap());
        assert_eq!(e.field(), "services.pinponit");
        assert_eq!(
            e.to_string(),
            "services.pinponit: not one of the services given to the policy (signer, pinpoint (\"Pinpoint\"), \
             account (\"Account\"), backupgateway (\"Backup Gateway\"), connectcases (\"ConnectCases\")); \
             did you mean pinpoint?"
        );
        // A near miss of a longer name is a typo; a short name one letter from another
        // (`sqs`, `sns`) is another service (catalog's `a_near_miss_is_suggested_...`).
        let e = err(PolicyConfig::builder().disable_service("account2").build().unwrap());
        assert!(e.to_string().ends_with("did you mean account?"), "{e}");
        let e = err(PolicyConfig::builder().disable_service("sgner").build().unwrap());
        assert!(e.to_string().ends_with("did you mean signer?"), "{e}");
        // No near miss: no suggestion. The names compare ignoring case, spaces, hyphens, underscores.
        let e = err(PolicyConfig::builder().disable_service("s3").build().unwrap());
        assert_eq!(e, unknown_service("s3", &testing::ALL));
        assert!(!e.to_string().contains("did you mean"), "{e}");
        for alias in ["Connect Cases", "connect-cases", "CONNECTCASES", "backup_gateway", "Backup Gateway"] {
            policy(PolicyConfig::builder().disable_service(alias).build().unwrap()).unwrap();
        }
        // A policy given no services accepts no service key, and says why.
        let e =
            ServerErrorPolicy::new(PolicyConfig::builder().disable_service("pinpoint").build().unwrap()).unwrap_err();
        assert_eq!(
            e.to_string(),
            "services.pinpoint: no services were given to the policy: pass each adapter crate's SERVICE to \
             ServerErrorPolicy::with_services"
        );
        let e = err(PolicyConfig::builder().operation("pinpoint", "SendMesages", |_| {}).build().unwrap());
        assert_eq!(e.field(), "services.pinpoint.operations.SendMesages");
        assert_eq!(
            e.to_string(),
            "services.pinpoint.operations.SendMesages: pinpoint has no such operation (names are case-sensitive); \
             did you mean SendMessages?"
        );
        let e = err(PolicyConfig::builder().operation("pinpoint", "Frobnicate", |_| {}).build().unwrap());
        assert!(!e.to_string().contains("did you mean"), "nothing near: {e}");
        // Service keys ignore case; operation names do not, and the message says which was meant.
        let e = err(PolicyConfig::builder().operation("PINPOINT", "sendMessages", |_| {}).build().unwrap());
        assert_eq!(
            e.to_string(),
            "services.PINPOINT.operations.sendMessages: PINPOINT has no such operation (names are case-sensitive); \
             did you mean SendMessages?"
        );
    }

    #[test]
    fn a_ratio_error_names_its_range() {
        let budget = RetryBudgetConfig { ratio: 1.5, ..Default::default() };
        let e = err(PolicyConfig { retry_budget: budget, ..Default::default() });
        assert_eq!(e.to_string(), "retry_budget.ratio: 1.5 is not in 0 or 0.000001..=1");
        let breaker = CircuitBreakerConfig { failure_ratio: 0.0, ..Default::default() };
        let e = err(PolicyConfig { circuit_breaker: breaker, ..Default::default() });
        assert_eq!(e.to_string(), "circuit_breaker.failure_ratio: 0 is not in 0.01..=1");
    }

    #[test]
    fn durations_the_sdk_cannot_compute_are_rejected() {
        let huge = Duration::from_secs(u64::MAX);
        let e =
            err(PolicyConfig { initial_backoff: huge, max_backoff: huge, jitter: Jitter::None, ..Default::default() });
        assert!(matches!(e, ConfigError::DurationTooLong { ref field, .. } if field == "initial_backoff"), "{e}");
        let e =
            PolicyConfig::builder().operation("signer", "GetSigningProfile", |o| o.time_budget = Some(huge)).build();
        assert_eq!(e.unwrap_err().field(), "services.signer.operations.GetSigningProfile.time_budget");
        let e = err(PolicyConfig { retry_hint: RetryHintConfig { honour: true, max: huge }, ..Default::default() });
        assert_eq!(e.field(), "retry_hint.max");
        let toml =
            "initial_backoff = \"18446744073709551615s\"\nmax_backoff = \"18446744073709551615s\"\njitter = \"none\"";
        let config: PolicyConfig = toml::from_str(toml).unwrap();
        assert!(matches!(err(config), ConfigError::DurationTooLong { .. }));
        policy(PolicyConfig { max_backoff: MAX_DURATION, ..Default::default() }).unwrap();
    }

    #[test]
    fn settings_that_are_switched_off_are_validated_too() {
        let e = PolicyConfig::builder()
            .service("pinpoint", |s| {
                s.enabled = false;
                s.max_attempts = Some(0);
            })
            .build()
            .unwrap_err();
        assert_eq!(e.field(), "services.pinpoint.max_attempts");
        let off = RetryBudgetConfig { enabled: false, capacity: 0, ratio: 0.2 };
        assert_eq!(err(PolicyConfig { retry_budget: off, ..Default::default() }).field(), "retry_budget.capacity");
        let hint = RetryHintConfig { honour: false, max: Duration::ZERO };
        assert_eq!(err(PolicyConfig { retry_hint: hint, ..Default::default() }).field(), "retry_hint.max");
        let breaker = CircuitBreakerConfig { enabled: false, half_open_probes: 0, ..Default::default() };
        assert_eq!(
            err(PolicyConfig { circuit_breaker: breaker, ..Default::default() }).field(),
            "circuit_breaker.half_open_probes"
        );
    }

    #[test]
    fn a_budget_ratio_below_its_precision_is_rejected_not_rounded_to_zero() {
        let budget = RetryBudgetConfig { ratio: 0.0004, ..Default::default() };
        policy(PolicyConfig { retry_budget: budget, ..Default::default() }).unwrap();
        let budget = RetryBudgetConfig { ratio: 1e-7, ..Default::default() };
        assert_eq!(err(PolicyConfig { retry_budget: budget, ..Default::default() }).field(), "retry_budget.ratio");
    }

    #[test]
    fn the_breaker_is_per_service_with_operation_exclusion() {
        let policy = PolicyConfig::builder()
            .service("signer", |s| s.circuit_breaker = true.into())
            .operation("signer", "ListSigningProfiles", |o| o.circuit_breaker = Some(false))
            .build()
            .and_then(policy)
            .unwrap();
        assert!(policy.circuit_state(&SIGNER).is_some());
        assert!(policy.circuit_state(&PINPOINT).is_none(), "off by default");
        let settings = policy.config().resolve(SIGNER.catalog()).unwrap().unwrap();
        let excluded = SIGNER.catalog().operation_index("ListSigningProfiles").unwrap();
        let included = SIGNER.catalog().operation_index("GetSigningProfile").unwrap();
        assert!(!settings[excluded].breaker && settings[included].breaker);
        let e = PolicyConfig::builder()
            .circuit_breaker(CircuitBreakerConfig { failure_ratio: 0.0, ..Default::default() })
            .build()
            .unwrap_err();
        assert_eq!(e.field(), "circuit_breaker.failure_ratio");
    }

    #[test]
    fn service_keys_accept_the_metric_label_in_any_case() {
        let config: PolicyConfig = toml::from_str(
            r#"
            [services."Backup Gateway"]
            enabled = false
            [services.PINPOINT.operations.SendMessages]
            max_attempts = 2
            "#,
        )
        .unwrap();
        let policy = policy(config).unwrap();
        assert!(!policy.is_enabled(&BACKUPGATEWAY));
        let settings = policy.config().resolve(PINPOINT.catalog()).unwrap().unwrap();
        assert_eq!(settings[PINPOINT.catalog().operation_index("SendMessages").unwrap()].max_attempts, 2);
        let builder =
            PolicyConfig::builder().service("Pinpoint", |s| s.max_attempts = Some(4)).disable_service("pinpoint");
        assert_eq!(builder.config().services.keys().collect::<Vec<_>>(), ["Pinpoint"], "one entry per service");

        let mut twice = PolicyConfig::default();
        twice.services.insert("pinpoint".into(), ServiceConfig::default());
        twice.services.insert("Pinpoint".into(), ServiceConfig::default());
        let e = err(twice);
        assert_eq!(e, ConfigError::DuplicateService { field: "services.pinpoint".into(), other: "Pinpoint".into() });
        let e = PolicyConfig::builder().max_attempts(3).service("Pinpoint", |s| s.max_attempts = Some(0)).build();
        assert_eq!(e.unwrap_err().field(), "services.Pinpoint.max_attempts", "the field as the user spelt it");
    }

    #[test]
    fn unknown_operations_get_the_services_settings() {
        let policy =
            policy(PolicyConfig::builder().service("signer", |s| s.max_attempts = Some(5)).build().unwrap()).unwrap();
        let settings = policy.config().resolve(SIGNER.catalog()).unwrap().unwrap();
        assert_eq!(settings.len(), SIGNER.catalog().operations.len() + 1);
        assert_eq!(settings.last().unwrap().max_attempts, 5);
    }

    #[test]
    fn deserializes_from_toml_with_humantime_durations() {
        let config: PolicyConfig = toml::from_str(
            r#"
            max_attempts = 5
            initial_backoff = "20ms"
            max_backoff = "2s"
            jitter = "none"
            time_budget = "30s"
            [retry_budget]
            ratio = 0.5
            [services.pinpoint]
            retry_non_idempotent = false
            [services.pinpoint.operations.SendMessages]
            max_attempts = 2
            retry_non_idempotent = true
            [services.account]
            enabled = false
            "#,
        )
        .unwrap();
        assert_eq!(config.max_attempts, 5);
        assert_eq!(config.initial_backoff, Duration::from_millis(20));
        assert_eq!(config.jitter, Jitter::None);
        assert_eq!(config.time_budget, Some(Duration::from_secs(30)));
        assert_eq!(config.retry_budget.capacity, 20, "unset fields keep their defaults");
        assert!(!config.services["account"].enabled);
        let settings = config.resolve(PINPOINT.catalog()).unwrap().unwrap();
        let send = PINPOINT.catalog().operation_index("SendMessages").unwrap();
        assert_eq!(settings[send].max_attempts, 2);
        assert!(settings[send].retry_non_idempotent);
        let get_app = PINPOINT.catalog().operation_index("GetApp").unwrap();
        assert_eq!(settings[get_app].max_attempts, 5);
        assert!(!settings[get_app].retry_non_idempotent);
        assert_eq!(config.resolve(ACCOUNT.catalog()).unwrap(), None);
        policy(config).unwrap();
    }

    #[test]
    fn the_documented_example_is_valid() {
        let config: PolicyConfig = toml::from_str(include_str!("../../../docs/example-policy.toml")).unwrap();
        assert_eq!(config.max_attempts, 4);
        assert!(!config.services["account"].enabled);
        // Its values; its names are checked against the real services in the integration tests.
        config.validate().unwrap();
    }

    #[test]
    fn unknown_fields_are_rejected_by_serde() {
        let e = toml::from_str::<PolicyConfig>("max_attempt = 3").unwrap_err();
        assert!(e.to_string().contains("max_attempt"), "{e}");
        let e = toml::from_str::<PolicyConfig>("[services.pinpoint]\nenable = false").unwrap_err();
        assert!(e.to_string().contains("enable"), "{e}");
    }
}
