//! Classifies one failed attempt into the shared taxonomy: the adapter's typed classification of
//! the operation's error, completed with what the response headers and the transport say.

use std::time::Duration;

use aws_smithy_runtime_api::client::orchestrator::{HttpResponse, OrchestratorError};

use crate::adapter::{
    class_of_status, known_code, sanitize_error_code, ClassifiedError, ErrorClass, OperationError, Service,
};
use crate::failure::Failure;
use crate::state::Operation;

/// Classifies one failed attempt of `operation`. Never panics: an error response that names no
/// code the service models is classified by its HTTP status ([`class_of_status`]: a bare 500 is
/// an internal-server error, any other 5xx a server error, a 429 throttling), anything else the
/// adapter cannot read is [`ErrorClass::Unknown`]. An operation the catalog does not know has no
/// typed classifier; its error is classified by the error code the response's `x-amzn-ErrorType`
/// header names (for the JSON protocols, whose SDK parsers read it), and by its status and
/// transport failure.
pub(crate) fn classify_attempt<'a>(
    service: &Service,
    operation: &Operation,
    error: &'a OrchestratorError<OperationError>,
    response: Option<&'a HttpResponse>,
) -> ClassifiedError<'a> {
    let catalog = service.catalog();
    let mut record = if let Some(error) = error.as_operation_error() {
        service.classify(operation.index, error).unwrap_or_else(|| ClassifiedError::bare(ErrorClass::Unknown))
    } else {
        let failure = Failure::of_error(error);
        let class = match failure {
            Failure::Other => ErrorClass::Unknown,
            _ => ErrorClass::Transient,
        };
        ClassifiedError::bare(class).with_failure(failure)
    };
    record.service = catalog.service;
    record.operation = operation.name;
    record.retry_safety = operation.retry_safety;
    // A response counts only when the failure is the response's (an error response). A timeout
    // that fires while a response body streams is the timeout's.
    let response = response.filter(|_| error.as_operation_error().is_some() || error.is_response_error());
    if let Some(response) = response {
        let headers = response.headers();
        let status = response.status().as_u16();
        record.http_status = Some(status);
        record.failure = match record.class {
            ErrorClass::Throttling => Failure::Throttled,
            _ => Failure::of_status(status),
        };
        if record.request_id.is_none() {
            record.request_id = headers.get("x-amzn-requestid").or_else(|| headers.get("x-amz-request-id"));
        }
        // An error the SDK could not parse (e.g. Connect Cases with a non-integer Retry-After)
        // reaches us as `Unhandled` without a code; the JSON protocols' header still names it.
        // Only where the service's protocol puts it: the SDK's XML and CBOR parsers never read
        // it, so there it is no fact about the error (a proxy's, or a forged one).
        if record.class == ErrorClass::Unknown && record.shape.is_none() && catalog.protocol.has_error_type_header() {
            if let Some(code) = headers.get("x-amzn-errortype").map(sanitize_error_code) {
                let known = known_code(Some(code), catalog);
                record.class = known.map_or(ErrorClass::Unknown, |(class, _)| class);
                record.known_type = known.map(|(_, name)| name);
                record.shape = Some(code);
            }
        }
        // No code the service models (none at all, or one it does not know): the status says
        // what kind of failure it was.
        if record.class == ErrorClass::Unknown {
            record.class = class_of_status(status);
            record.by_status = record.class != ErrorClass::Unknown;
            if record.class == ErrorClass::Throttling {
                record.failure = Failure::Throttled;
            }
        }
        if record.retry_hint.is_none() {
            record.retry_hint =
                headers.get("x-amz-retry-after").and_then(|ms| ms.trim().parse().ok()).map(Duration::from_millis);
        }
    }
    record
}

/// Whether a failure counts against the circuit breaker: a server-side failure (an internal
/// error, any other 5xx, a transport failure that may have reached the server, an internal error
/// inside a 2xx as S3 sends one). Client errors and throttling do not count.
pub(crate) fn server_side_failure(record: &ClassifiedError<'_>) -> bool {
    if record.class == ErrorClass::Throttling {
        return false;
    }
    match record.http_status {
        Some(200..=299) => matches!(record.class, ErrorClass::InternalServerError | ErrorClass::ServerError),
        Some(status) => status >= 500,
        None => record.class == ErrorClass::InternalServerError || record.may_have_been_applied(),
    }
}
