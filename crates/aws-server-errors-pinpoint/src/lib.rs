//! The Pinpoint adapter of [`aws_server_errors`]: classifies the errors of every operation of
//! `aws-sdk-pinpoint` and registers the policy on its clients.
//!
//! ```no_run
//! # async fn example(sdk_config: aws_config::SdkConfig) -> Result<(), aws_server_errors::ConfigError> {
//! use aws_server_errors_pinpoint::ServerErrorPolicyExt as _;
//!
//! let policy = aws_server_errors::PolicyConfig::builder().build()?;
//! let config = aws_sdk_pinpoint::config::Builder::from(&sdk_config).server_error_policy(&policy).build();
//! let client = aws_sdk_pinpoint::Client::from_conf(config);
//! # let _ = client; Ok(()) }
//! ```
#![deny(missing_docs)]
#![forbid(unsafe_code)]

mod generated;

use aws_server_errors::adapter::{ClassifiedError, ErrorClass};

aws_server_errors::define_adapter!(PINPOINT, aws_sdk_pinpoint);

/// Pinpoint's `InternalServerErrorException` puts the request id in its body, as `RequestID`.
pub(crate) fn internal_error(x: &aws_sdk_pinpoint::types::error::InternalServerErrorException) -> ClassifiedError<'_> {
    let request_id = x.request_id.as_deref();
    ClassifiedError::modeled(x, ErrorClass::InternalServerError, "InternalServerErrorException")
        .with_detail("RequestID", request_id)
        .with_body_request_id(request_id)
}
