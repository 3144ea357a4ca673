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
#![deny(missing_docs)]
#![forbid(unsafe_code)]

pub mod adapter;
pub mod catalog;
pub mod config;
pub mod interceptor;
pub mod policy;
pub mod telemetry;

pub use adapter::{ClassifiedError, ErrorClass, ServiceAdapter, ServiceDetail};
pub use catalog::{RetrySafety, ServiceCatalog};
pub use config::{
    ConfigError, Jitter, OperationConfig, PolicyConfig, PolicyConfigBuilder, RetryBudgetConfig, RetryHintConfig,
    ServiceConfig,
};
pub use interceptor::ServerErrorInterceptor;
pub use policy::{GiveUpReason, ServerErrorPolicy};
