#![doc = include_str!("../README.md")]
#![deny(missing_docs)]
#![forbid(unsafe_code)]

mod catalog;
mod generated;

use aws_server_errors::adapter::{ClassifiedError, ErrorClass};

aws_server_errors::define_adapter!(aws_sdk_sns);

/// SNS's `InternalErrorException`.
pub(crate) fn internal_error(x: &aws_sdk_sns::types::error::InternalErrorException) -> ClassifiedError<'_> {
    ClassifiedError::modeled(x, ErrorClass::InternalServerError, "InternalErrorException")
}
