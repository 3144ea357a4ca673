//! The Backup Gateway adapter of [`aws_server_errors`]: classifies the errors of every operation of
//! `aws-sdk-backupgateway` and registers the policy on its clients.
//!
//! ```no_run
//! # async fn example(sdk_config: aws_config::SdkConfig) -> Result<(), aws_server_errors::ConfigError> {
//! use aws_server_errors_backupgateway::ServerErrorPolicyExt as _;
//!
//! let policy = aws_server_errors::PolicyConfig::builder().build()?;
//! let config = aws_sdk_backupgateway::config::Builder::from(&sdk_config).server_error_policy(&policy).build();
//! let client = aws_sdk_backupgateway::Client::from_conf(config);
//! # let _ = client; Ok(()) }
//! ```
#![deny(missing_docs)]
#![forbid(unsafe_code)]

mod generated;

use aws_server_errors::adapter::{ClassifiedError, ErrorClass};

aws_server_errors::define_adapter!(BACKUPGATEWAY, aws_sdk_backupgateway);

/// Backup Gateway's `InternalServerException` carries an `ErrorCode` member (in its CBOR body).
pub(crate) fn internal_error(x: &aws_sdk_backupgateway::types::error::InternalServerException) -> ClassifiedError<'_> {
    ClassifiedError::modeled(x, ErrorClass::InternalServerError, "InternalServerException")
        .with_detail("ErrorCode", x.error_code())
}
