#![doc = include_str!("../README.md")]
#![deny(missing_docs)]
#![forbid(unsafe_code)]

mod catalog;
mod generated;

aws_server_errors::define_adapter!(aws_sdk_lambda);

use aws_server_errors::adapter::{ClassifiedError, ErrorClass};

/// Lambda's `ServiceException` (wire code `ServiceException`).
pub(crate) fn internal_error(x: &aws_sdk_lambda::types::error::ServiceException) -> ClassifiedError<'_> {
    ClassifiedError::modeled(x, ErrorClass::InternalServerError, "ServiceException")
}
