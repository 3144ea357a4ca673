#![doc = include_str!("../README.md")]
#![deny(missing_docs)]
#![forbid(unsafe_code)]

mod catalog;
mod generated;

use aws_server_errors::adapter::{ClassifiedError, ErrorClass};

aws_server_errors::define_adapter!(aws_sdk_backupgateway);

/// Backup Gateway's `InternalServerException` carries an `ErrorCode` member (in its CBOR body).
pub(crate) fn internal_error(x: &aws_sdk_backupgateway::types::error::InternalServerException) -> ClassifiedError<'_> {
    ClassifiedError::modeled(x, ErrorClass::InternalServerError, "InternalServerException")
        .with_detail("ErrorCode", x.error_code())
}
