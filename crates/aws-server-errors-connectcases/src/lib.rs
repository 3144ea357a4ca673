#![doc = include_str!("../README.md")]
#![deny(missing_docs)]
#![forbid(unsafe_code)]

mod catalog;
mod generated;

use aws_server_errors::adapter::{ClassifiedError, ErrorClass};

aws_server_errors::define_adapter!(aws_sdk_connectcases);

/// Connect Cases' `InternalServerException` carries `retryAfterSeconds`, bound to the `Retry-After`
/// header (whole seconds): the server's retry hint. A negative value is ignored.
pub(crate) fn internal_error(x: &aws_sdk_connectcases::types::error::InternalServerException) -> ClassifiedError<'_> {
    let hint = x.retry_after_seconds().and_then(|s| u64::try_from(s).ok()).map(std::time::Duration::from_secs);
    ClassifiedError::modeled(x, ErrorClass::InternalServerError, "InternalServerException").with_retry_hint(hint)
}
