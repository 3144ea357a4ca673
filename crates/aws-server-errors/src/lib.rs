//! One policy for the internal-server errors of AWS services, for the AWS SDK for Rust.
//!
//! Each service reports "something broke on our side" with its own error shape: Signer's
//! `InternalServiceErrorException`, Pinpoint's `InternalServerErrorException`, the
//! `InternalServerException` of Account, Backup Gateway and Connect Cases, DynamoDB's
//! `InternalServerError`, SNS's `InternalError`, S3's unmodeled `InternalError`, each with
//! different members and protocols. This crate gives them one taxonomy ([`ErrorClass`]), one record ([`ClassifiedError`])
//! and one policy ([`ServerErrorPolicy`]): bounded retries with backoff and jitter, no resend of
//! an operation that is not retry-safe after a failure that may have reached the server, server
//! retry hints honoured within bounds, a retry budget and an optional circuit breaker per
//! service, and logs and metrics named after OpenTelemetry's conventions ([`telemetry`]).
//!
//! Only internal-server errors follow this policy's retries. Throttling, client and transport
//! errors keep the client's own retry configuration (throttling is recognised as every modeled
//! throttling error and any 429, also where the SDK's own classifiers miss it, as SNS's
//! `Throttled`: such an error is retried as throttling where the plain SDK would not retry it),
//! and the caller always gets the SDK's own typed error; the one exception is a call the circuit
//! breaker fails fast ([`circuit_open`]).
//!
//! # Use it
//!
//! Build a [`PolicyConfig`] (in code, or deserialized from your application's config), make a
//! [`ServerErrorPolicy`] of it, and register the policy on each client with the adapter crate of
//! its service: `aws-server-errors-signer`, `-pinpoint`, `-account`, `-backupgateway`,
//! `-connectcases`, `-dynamodb`, `-sns`, `-s3`. This crate names no service: each adapter crate carries its service's
//! tables and exports its [`Service`] handle as `SERVICE`. Here a Signer client meets two
//! internal errors, injected by the fault kit (`aws-server-errors-fault`), and the policy
//! retries them:
//!
//! ```
//! use aws_server_errors::{PolicyConfig, ServerErrorPolicy};
//! use aws_server_errors_fault::{Fault, FaultInjector, FaultPlan};
//! use aws_server_errors_signer::{ServerErrorPolicyExt as _, SERVICE as SIGNER};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let policy = ServerErrorPolicy::new(PolicyConfig::builder().max_attempts(4).build()?)?;
//!
//! // In an application: `aws_config::load_defaults(BehaviorVersion::latest()).await`.
//! let injector = FaultInjector::new(FaultPlan::new().fail_first(2, Fault::InternalError));
//! let sdk_config = aws_server_errors_fault::sdk_config("http://localhost");
//! let config = aws_sdk_signer::config::Builder::from(&sdk_config)
//!     .http_client(injector.http_client(&SIGNER))
//!     .server_error_policy(&policy) // the one-call registration
//!     .build();
//! let signer = aws_sdk_signer::Client::from_conf(config);
//!
//! signer.get_signing_profile().profile_name("release").send().await?;
//! assert_eq!(injector.attempts(&SIGNER, "GetSigningProfile"), 3);
//! // Each service has its own retry budget (default capacity 20 tokens; a retry that was sent
//! // and failed again keeps its token, so one is spent here).
//! let tokens = policy.retry_budget_tokens(&SIGNER);
//! assert!(tokens.is_some_and(|t| t < 20.0));
//! # Ok(()) }
//! ```
//!
//! The same configuration from TOML (any serde format works; durations are humantime strings,
//! service keys are the crate's `pinpoint` or the metric label's `Pinpoint`). A config that names
//! services is checked against the services passed to [`ServerErrorPolicy::with_services`]:
//!
//! ```
//! use aws_server_errors::{PolicyConfig, ServerErrorPolicy};
//! use aws_server_errors_backupgateway::SERVICE as BACKUPGATEWAY;
//! use aws_server_errors_pinpoint::SERVICE as PINPOINT;
//!
//! let config: PolicyConfig = toml::from_str(r#"
//!     max_attempts = 4
//!     initial_backoff = "50ms"
//!     time_budget = "2s"
//!
//!     [circuit_breaker]
//!     enabled = true
//!     max_break_duration = "10s"
//!
//!     [services."Backup Gateway"]
//!     enabled = false
//!
//!     [services.Pinpoint.operations.SendMessages]
//!     max_attempts = 1
//! "#)?;
//! // Validated: a bad value or an unknown name is an error naming its field.
//! let policy = ServerErrorPolicy::with_services(config, [&PINPOINT, &BACKUPGATEWAY])?;
//! assert!(!policy.is_enabled(&BACKUPGATEWAY));
//! assert!(policy.is_enabled(&PINPOINT));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! Per call, [`CallOverride`] changes the attempts of one call, and [`circuit_open`] tells a
//! call the breaker failed fast from the service's own errors.
//!
//! # Where things are
//!
//! [`adapter`] (the taxonomy and record), [`failure`] (whether a failed request may have been
//! applied), `classify` (one attempt into the taxonomy), `decide` (the decision rule), `budget`
//! (the retry budget), `call` (per-call control, [`CallOverride`]), [`breaker`] (the circuit
//! breaker), [`config`], [`policy`] (the object users register), `interceptor` (where the SDK is
//! steered), [`telemetry`] (metric and log names), [`catalog`] (the shape of the per-operation
//! facts each adapter crate generates), [`Service`] (the handle each adapter crate exports).
//! The guides: [configuration](https://github.com/aws-server-errors/aws-server-errors/blob/main/docs/configuration.md),
//! [metrics](https://github.com/aws-server-errors/aws-server-errors/blob/main/docs/metrics.md) and
//! [alerts](https://github.com/aws-server-errors/aws-server-errors/tree/main/docs/alerts),
//! [design](https://github.com/aws-server-errors/aws-server-errors/blob/main/docs/design.md), and the
//! [retry safety of every operation](https://github.com/aws-server-errors/aws-server-errors/blob/main/docs/retry-safety.md).
//!
//! # SDK features
//!
//! The crate switches on no feature of the SDK crates but one: `aws-smithy-types/test-util`.
//! It un-hides a single setter, `RetryConfig::with_use_static_exponential_base`, and adds no
//! dependency and no code path of its own. The interceptor sets it on the `RetryConfig` it stores
//! for one call when it decides a retry, so that the SDK's standard retry strategy waits exactly
//! the delay the policy chose (`min(d * 2^k, d) * 1 = d`) instead of a random fraction of it.
//! There is no other way to get an exact delay from the strategy: without it the strategy draws
//! its own jitter, and a server retry hint (`x-amz-retry-after`, through a retry classifier)
//! is clamped to `[t, t + 5 s]` around that random `t` under retry behaviour 2.1. The setter
//! changes nothing for anyone who does not call it, so enabling the feature in your build is
//! harmless: no default of `RetryConfig` or of any client changes.
#![deny(missing_docs)]
#![forbid(unsafe_code)]

pub mod adapter;
pub mod breaker;
mod budget;
mod call;
pub mod catalog;
mod classify;
mod clock;
pub mod config;
mod decide;
pub mod failure;
pub mod incident;
#[doc(hidden)]
pub mod interceptor;
pub mod policy;
mod retry_classifier;
mod state;
pub mod telemetry;
#[cfg(test)]
mod testing;

pub use adapter::{ClassifiedError, ErrorClass, Service, ServiceDetail};
pub use breaker::{CircuitEvent, CircuitOpen, CircuitState, TransitionReason};
pub use call::CallOverride;
pub use catalog::{RetrySafety, ServiceCatalog};
pub use config::{
    CircuitBreakerConfig, CircuitBreakerOverrides, ConfigError, Jitter, LogLevel, OperationConfig, PolicyConfig,
    PolicyConfigBuilder, RetryBudgetConfig, RetryBudgetOverrides, RetryHintConfig, ServiceConfig,
};
#[doc(hidden)]
pub use decide::GiveUpReason;
pub use failure::Failure;
pub use incident::{IncidentReport, IncidentSample};
#[doc(hidden)]
pub use interceptor::ServerErrorInterceptor;
pub use policy::{NoCircuitBreaker, ServerErrorPolicy};

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
