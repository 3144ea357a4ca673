#![doc = include_str!("../README.md")]
#![deny(missing_docs)]
#![forbid(unsafe_code)]

mod catalog;
mod generated;

use aws_server_errors::adapter::{ClassifiedError, ErrorClass};

aws_server_errors::define_adapter!(aws_sdk_pinpoint);

/// Pinpoint's `InternalServerErrorException` puts the request id in its body, as `RequestID`.
pub(crate) fn internal_error(x: &aws_sdk_pinpoint::types::error::InternalServerErrorException) -> ClassifiedError<'_> {
    let request_id = x.request_id.as_deref();
    ClassifiedError::modeled(x, ErrorClass::InternalServerError, "InternalServerErrorException")
        .with_detail("RequestID", request_id)
        .with_body_request_id(request_id)
}
