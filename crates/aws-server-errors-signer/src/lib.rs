#![doc = include_str!("../README.md")]
#![deny(missing_docs)]
#![forbid(unsafe_code)]

mod catalog;
mod generated;

use aws_server_errors::adapter::{ClassifiedError, ErrorClass};

aws_server_errors::define_adapter!(aws_sdk_signer);

/// Signer's `InternalServiceErrorException` carries a `code` member besides the message.
pub(crate) fn internal_error(x: &aws_sdk_signer::types::error::InternalServiceErrorException) -> ClassifiedError<'_> {
    ClassifiedError::modeled(x, ErrorClass::InternalServerError, "InternalServiceErrorException")
        .with_detail("code", x.code())
}
