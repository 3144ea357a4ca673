#![doc = include_str!("../README.md")]
#![deny(missing_docs)]
#![forbid(unsafe_code)]

mod catalog;
mod generated;

aws_server_errors::define_adapter!(aws_sdk_kms);

use aws_server_errors::adapter::{ClassifiedError, ErrorClass};

/// KMS's `KMSInternalException` (wire code `KMSInternalException`).
pub(crate) fn internal_error(x: &aws_sdk_kms::types::error::KmsInternalException) -> ClassifiedError<'_> {
    ClassifiedError::modeled(x, ErrorClass::InternalServerError, "KMSInternalException")
}
