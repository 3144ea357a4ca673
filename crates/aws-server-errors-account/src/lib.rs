//! The Account adapter of [`aws_server_errors`]: classifies the errors of every operation of
//! `aws-sdk-account` and registers the policy on its clients.
//!
//! ```no_run
//! # async fn example(sdk_config: aws_config::SdkConfig) -> Result<(), aws_server_errors::ConfigError> {
//! use aws_server_errors_account::ServerErrorPolicyExt as _;
//!
//! let policy = aws_server_errors::PolicyConfig::builder().build()?;
//! let config = aws_sdk_account::config::Builder::from(&sdk_config).server_error_policy(&policy).build();
//! let client = aws_sdk_account::Client::from_conf(config);
//! # let _ = client; Ok(()) }
//! ```
#![deny(missing_docs)]
#![forbid(unsafe_code)]

mod generated;

use aws_server_errors::adapter::{ClassifiedError, ErrorClass};

aws_server_errors::define_adapter!(ACCOUNT, aws_sdk_account);

/// Account's `InternalServerException` binds `errorType` to the `x-amzn-ErrorType` header.
pub(crate) fn internal_error(x: &aws_sdk_account::types::error::InternalServerException) -> ClassifiedError<'_> {
    ClassifiedError::modeled(x, ErrorClass::InternalServerError, "InternalServerException")
        .with_detail("errorType", x.error_type())
}
