//! One policy for the internal-server errors of AWS services, for the AWS SDK for Rust.
//!
//! Each service reports "something broke on our side" with its own error shape: Signer's
//! `InternalServiceErrorException`, Pinpoint's `InternalServerErrorException`, the
//! `InternalServerException` of Account, Backup Gateway and Connect Cases, each with different
//! members. This crate gives them one taxonomy ([`ErrorClass`]), one record ([`ClassifiedError`])
//! and one policy ([`ServerErrorPolicy`]): bounded retries with backoff and jitter, no retry of
//! operations that are not retry-safe, server retry hints honoured within bounds, a retry budget
//! per service, and logs and metrics named after OpenTelemetry's conventions.
//!
//! The policy plugs into each SDK client as an interceptor ([`ServerErrorInterceptor`]). The
//! adapter crates (`aws-server-errors-signer`, `-pinpoint`, `-account`, `-backupgateway`,
//! `-connectcases`) classify their service's typed errors and give the one-call registration:
//!
//! ```ignore
//! use aws_server_errors::PolicyConfig;
//! use aws_server_errors_signer::SignerServerErrorsExt as _;
//!
//! let policy = PolicyConfig::builder().max_attempts(4).build()?;
//! let config = aws_sdk_signer::config::Builder::from(&sdk_config).server_error_policy(&policy).build();
//! ```
//!
//! Only internal-server errors follow this policy. Throttling, client and transport errors keep
//! the client's own retry configuration, and the caller always gets the SDK's own typed error.
//!
//! Where things are: [`adapter`] (the taxonomy and record), [`failure`] (whether a failed request
//! may have been applied), `classify` (one attempt into the taxonomy), `decide` (the decision
//! rule), `budget` (the retry budget), `call` (per-call control, [`CallOverride`]), [`breaker`] (the circuit breaker), [`config`],
//! [`policy`] (the object users register), `interceptor` (where the SDK is steered),
//! [`telemetry`] (metric and log names), [`catalog`] (generated per-operation facts).
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
#[doc(hidden)]
pub mod interceptor;
pub mod policy;
mod state;
pub mod telemetry;

pub use adapter::{ClassifiedError, ErrorClass, ServiceAdapter, ServiceDetail};
pub use breaker::{CircuitOpen, CircuitState};
pub use call::CallOverride;
pub use catalog::{RetrySafety, ServiceCatalog};
pub use config::{
    CircuitBreakerConfig, ConfigError, Jitter, OperationConfig, PolicyConfig, PolicyConfigBuilder, RetryBudgetConfig,
    RetryHintConfig, ServiceConfig,
};
pub use decide::GiveUpReason;
pub use failure::Failure;
#[doc(hidden)]
pub use interceptor::ServerErrorInterceptor;
pub use policy::ServerErrorPolicy;

/// The [`CircuitOpen`] error inside an SDK error, if the call was failed fast by a circuit
/// breaker; `None` for every other error.
///
/// Pass the `SdkError` a client call returned (any `std::error::Error`): the breaker's error sits
/// in its `source()` chain (the SDK reports it as a `ConstructionFailure`, since the call ended
/// before its request was built).
///
/// ```
/// # fn handle(err: &(dyn std::error::Error + 'static)) {
/// if let Some(open) = aws_server_errors::circuit_open(err) {
///     eprintln!("{} is failing; next probe in {:?}", open.service, open.retry_after);
/// }
/// # }
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
