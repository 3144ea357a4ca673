//! The Signer adapter of [`aws_server_errors`]: classifies the errors of every operation of
//! `aws-sdk-signer` and registers the policy on its clients.
//!
//! ```no_run
//! # async fn example(sdk_config: aws_config::SdkConfig) -> Result<(), aws_server_errors::ConfigError> {
//! use aws_server_errors_signer::ServerErrorPolicyExt as _;
//!
//! let policy = aws_server_errors::PolicyConfig::builder().build()?;
//! let config = aws_sdk_signer::config::Builder::from(&sdk_config).server_error_policy(&policy).build();
//! let client = aws_sdk_signer::Client::from_conf(config);
//! # let _ = client; Ok(()) }
//! ```
#![deny(missing_docs)]
#![forbid(unsafe_code)]

mod generated;

use aws_server_errors::adapter::{ClassifiedError, ErrorClass};

aws_server_errors::define_adapter!(SIGNER, aws_sdk_signer);

/// Signer's `InternalServiceErrorException` carries a `code` member besides the message.
pub(crate) fn internal_error(x: &aws_sdk_signer::types::error::InternalServiceErrorException) -> ClassifiedError<'_> {
    ClassifiedError::modeled(x, ErrorClass::InternalServerError, "InternalServiceErrorException")
        .with_detail("code", x.code())
}
