#![doc = include_str!("../README.md")]
#![deny(missing_docs)]
#![forbid(unsafe_code)]

mod catalog;
mod generated;

aws_server_errors::define_adapter!(aws_sdk_kinesis);

use aws_server_errors::adapter::{ClassifiedError, ErrorClass};

/// Kinesis's `InternalFailureException` (wire code `InternalFailureException`).
pub(crate) fn internal_error(x: &aws_sdk_kinesis::types::error::InternalFailureException) -> ClassifiedError<'_> {
    ClassifiedError::modeled(x, ErrorClass::InternalServerError, "InternalFailureException")
}
