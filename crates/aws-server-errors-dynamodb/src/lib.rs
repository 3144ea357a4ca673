#![doc = include_str!("../README.md")]
#![deny(missing_docs)]
#![forbid(unsafe_code)]

mod catalog;
mod generated;

use aws_server_errors::adapter::{ClassifiedError, ErrorClass};

aws_server_errors::define_adapter!(aws_sdk_dynamodb);

/// DynamoDB's `InternalServerError`.
pub(crate) fn internal_error(x: &aws_sdk_dynamodb::types::error::InternalServerError) -> ClassifiedError<'_> {
    ClassifiedError::modeled(x, ErrorClass::InternalServerError, "InternalServerError")
}
