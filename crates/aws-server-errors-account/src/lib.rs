#![doc = include_str!("../README.md")]
#![deny(missing_docs)]
#![forbid(unsafe_code)]

mod catalog;
mod generated;

use aws_server_errors::adapter::{ClassifiedError, ErrorClass};

aws_server_errors::define_adapter!(aws_sdk_account);

/// Account's `InternalServerException` binds `errorType` to the `x-amzn-ErrorType` header.
pub(crate) fn internal_error(x: &aws_sdk_account::types::error::InternalServerException) -> ClassifiedError<'_> {
    ClassifiedError::modeled(x, ErrorClass::InternalServerError, "InternalServerException")
        .with_detail("errorType", x.error_type())
}
