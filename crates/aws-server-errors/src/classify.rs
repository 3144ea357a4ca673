//! Classifies one failed attempt into the shared taxonomy: the adapter's typed classification of
//! the operation's error, completed with what the response headers and the transport say.

use std::borrow::Cow;
use std::time::Duration;

use aws_smithy_runtime_api::client::orchestrator::{HttpResponse, OrchestratorError};
use http::HeaderName;

use crate::adapter::{
    class_of_status, known_code, sanitize_error_code, ClassifiedError, ErrorClass, OperationError, Service,
};
use crate::catalog::{RetrySafety, ServiceCatalog};
use crate::failure::Failure;
use crate::state::Operation;
use crate::wire_code::error_code;
pub(crate) use crate::wire_code::header;

/// The headers read from an error response, parsed once: a lookup by a `&str` name parses and
/// validates the name every time (about 150 instructions each).
const REQUEST_ID: HeaderName = HeaderName::from_static("x-amzn-requestid");
const S3_REQUEST_ID: HeaderName = HeaderName::from_static("x-amz-request-id");
const ERROR_TYPE: HeaderName = HeaderName::from_static("x-amzn-errortype");
const RETRY_AFTER: HeaderName = HeaderName::from_static("x-amz-retry-after");
/// S3's extended request id, for the incident report.
pub(crate) const EXTENDED_REQUEST_ID: HeaderName = HeaderName::from_static("x-amz-id-2");

/// Classifies one failed attempt of `operation`. Never panics: an error response that names no
/// code the service models is classified by its HTTP status ([`class_of_status`]: a bare 500 is
/// an internal-server error, any other 5xx a server error, a 429 throttling), anything else the
/// adapter cannot read is [`ErrorClass::Unknown`]. An operation the catalog does not know has no
/// typed classifier; its error is classified by the error code the response's `x-amzn-ErrorType`
/// header names (for the JSON protocols, whose SDK parsers read it), and by its status and
/// transport failure.
///
/// A [`generic`](Service::generic) service has no typed classifiers: its error responses are
/// classified by the code their protocol carries ([`crate::wire_code`]) and their status, and an
/// operation its catalog does not know (an SDK crate newer than the table) is retry-safe only when
/// `request_method` is one HTTP defines as idempotent (RFC 9110 §9.2.2: GET, HEAD, PUT, DELETE,
/// OPTIONS, TRACE).
pub(crate) fn classify_attempt<'a>(
    service: &Service,
    operation: &Operation,
    error: &'a OrchestratorError<OperationError>,
    response: Option<&'a HttpResponse>,
    request_method: Option<&str>,
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
    let generic = service.generic_throttling();
    if generic.is_some()
        && operation.retry_safety == RetrySafety::Unmodeled
        && request_method.and_then(idempotent_method).is_some()
    {
        record.retry_safety = RetrySafety::SafeHttpMethod;
    }
    // A response counts only when the failure is the response's: an error response, or an error
    // response the SDK could not read (smithy-rs's schema-based crates, Kinesis 1.130 and newer,
    // report a body that does not parse as an `other` error, not a response error). A success
    // whose body does not parse stays an `other` failure: the request was applied. A timeout that
    // fires while a response body streams is the timeout's; a connector or interceptor failure is
    // its own.
    let response = response.filter(|response| {
        error.as_operation_error().is_some()
            || error.is_response_error()
            || !(response.status().is_success()
                || error.is_timeout_error()
                || error.is_connector_error()
                || error.is_interceptor_error())
    });
    if let Some(response) = response {
        let headers = response.headers();
        let status = response.status().as_u16();
        record.http_status = Some(status);
        record.failure = match record.class {
            ErrorClass::Throttling => Failure::Throttled,
            _ => Failure::of_status(status),
        };
        if record.request_id.is_none() {
            record.request_id = header(headers, &REQUEST_ID).or_else(|| header(headers, &S3_REQUEST_ID));
        }
        // An error the SDK could not parse (e.g. Connect Cases with a non-integer Retry-After)
        // reaches us as `Unhandled` without a code; the JSON protocols' header still names it.
        // Only where the service's protocol puts it: the SDK's XML and CBOR parsers never read
        // it, so there it is no fact about the error (a proxy's, or a forged one).
        if let Some(throttling) = generic.filter(|_| record.class == ErrorClass::Unknown && record.shape.is_none()) {
            if let Some(code) = error_code(catalog.protocol, catalog.query_compatible, response) {
                let known = known_generic_code(&code, catalog, throttling, status);
                record.class = known.map_or(ErrorClass::Unknown, |(class, _)| class);
                record.known_type = known.map(|(_, name)| name);
                if let Cow::Borrowed(code) = code {
                    record.shape = Some(code);
                }
            }
        } else if record.class == ErrorClass::Unknown
            && record.shape.is_none()
            && catalog.protocol.has_error_type_header()
        {
            if let Some(code) = header(headers, &ERROR_TYPE).map(sanitize_error_code) {
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
                header(headers, &RETRY_AFTER).and_then(|ms| ms.trim().parse().ok()).map(Duration::from_millis);
        }
    }
    record
}

/// `method` as a `&'static str` when RFC 9110 (§9.2.2) defines it as idempotent: GET, HEAD, PUT,
/// DELETE, OPTIONS, TRACE.
pub(crate) fn idempotent_method(method: &str) -> Option<&'static str> {
    ["GET", "HEAD", "PUT", "DELETE", "OPTIONS", "TRACE"].into_iter().find(|m| *m == method)
}

/// The class of an error code of a [`generic`](Service::generic) service, with the catalog's
/// spelling of it: its internal-error code; one of its throttling codes (`throttling`: modeled,
/// named, or documented for it); one of the SDK's own throttling codes (aws-runtime's
/// `THROTTLING_ERRORS`) below status 500. At 5xx an SDK code the service does not list is left to
/// the status: Lambda's `EC2ThrottledException` is a 502 the function may have run behind, which
/// its model calls a server fault, not throttling.
fn known_generic_code(
    code: &str,
    catalog: &ServiceCatalog,
    throttling: &'static [&'static str],
    status: u16,
) -> Option<(ErrorClass, &'static str)> {
    if code == catalog.wire_codes.0 || code == catalog.internal_error_shape {
        return Some((ErrorClass::InternalServerError, catalog.internal_error_shape));
    }
    if code == catalog.wire_codes.1 || code == catalog.throttling_shape {
        return Some((ErrorClass::Throttling, catalog.throttling_shape));
    }
    if let Some(name) = throttling.iter().find(|t| **t == code) {
        return Some((ErrorClass::Throttling, name));
    }
    known_code(Some(code), catalog).filter(|(class, _)| *class == ErrorClass::Throttling && status < 500)
}

/// The class the error code of `response` names for a [`generic`](Service::generic) service
/// (`None` for a typed service, a response without a code, or a code it does not know): what
/// the retry classifier reads, where a typed service's classifiers read the typed error.
pub(crate) fn generic_response_class(service: &Service, response: &HttpResponse) -> Option<ErrorClass> {
    let throttling = service.generic_throttling()?;
    let catalog = service.catalog();
    let code = error_code(catalog.protocol, catalog.query_compatible, response)?;
    known_generic_code(&code, catalog, throttling, response.status().as_u16()).map(|(class, _)| class)
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{response, Unmodeled, SIGNER};
    use aws_smithy_runtime_api::client::interceptors::context::Error;
    use aws_smithy_runtime_api::client::result::ConnectorError;

    fn get_signing_profile() -> Operation {
        Operation {
            index: 0,
            name: "GetSigningProfile",
            retry_safety: crate::RetrySafety::SafeHttpMethod,
            first_seen: false,
        }
    }

    /// An error response the fixture's classifier cannot read (an unmodeled code), classified.
    fn classify(status: u16, headers: &[(&str, &str)]) -> (ErrorClass, bool, Option<String>, Option<Duration>) {
        let error = OrchestratorError::operation(Error::erase(Unmodeled));
        let response = response(status, headers);
        let record = classify_attempt(&SIGNER, &get_signing_profile(), &error, Some(&response), None);
        assert_eq!(
            (record.service, record.operation, record.http_status),
            ("signer", "GetSigningProfile", Some(status))
        );
        (record.class, record.by_status, record.request_id.map(str::to_owned), record.retry_hint)
    }

    #[test]
    fn an_unmodeled_error_is_classified_by_its_status() {
        assert_eq!(classify(500, &[]).0, ErrorClass::InternalServerError, "a bare 500");
        assert_eq!(classify(503, &[]).0, ErrorClass::ServerError);
        assert_eq!(classify(429, &[]).0, ErrorClass::Throttling);
        assert_eq!(classify(412, &[]).0, ErrorClass::ClientError, "any 4xx but 429");
        assert!(classify(500, &[]).1, "by_status says so");
    }

    #[test]
    fn the_headers_give_the_request_id_the_retry_hint_and_a_json_protocols_code() {
        let (_, _, id, hint) = classify(500, &[("x-amzn-requestid", "req-1"), ("x-amz-retry-after", "250")]);
        assert_eq!((id.as_deref(), hint), (Some("req-1"), Some(Duration::from_millis(250))));
        assert_eq!(classify(500, &[("x-amz-request-id", "s3-style")]).2.as_deref(), Some("s3-style"));
        assert_eq!(classify(500, &[("x-amz-retry-after", "soon")]).3, None, "an unreadable hint is no hint");
        // restJson1 names the code in a header the SDK reads: the service's throttling code wins
        // over the status.
        let (class, by_status, ..) = classify(500, &[("x-amzn-errortype", "TooManyRequestsException:http://x")]);
        assert_eq!((class, by_status), (ErrorClass::Throttling, false));
    }

    #[test]
    fn a_transport_failure_is_transient_and_a_timeout_ignores_the_response_it_cut_short() {
        let refused = std::io::Error::from(std::io::ErrorKind::ConnectionRefused);
        let error = OrchestratorError::connector(ConnectorError::io(refused.into()));
        let record = classify_attempt(&SIGNER, &get_signing_profile(), &error, None, None);
        assert_eq!(
            (record.class, record.failure, record.http_status),
            (ErrorClass::Transient, Failure::ConnectFailed, None)
        );
        assert!(!server_side_failure(&record), "never sent: not the server's failure");

        let error = OrchestratorError::timeout("read timeout".into());
        let streaming = response(200, &[("x-amzn-requestid", "req-2")]);
        let record = classify_attempt(&SIGNER, &get_signing_profile(), &error, Some(&streaming), None);
        assert_eq!((record.class, record.failure, record.http_status), (ErrorClass::Transient, Failure::Timeout, None));
        assert_eq!(record.request_id, None, "the response is not the failure's");
    }

    /// smithy-rs's schema-based crates (Kinesis 1.130 and newer) report an error body they cannot
    /// read as an `other` error, not an operation or response error: the response still says what
    /// failed.
    #[test]
    fn an_unreadable_response_reported_as_other_is_classified_by_its_status() {
        let error = OrchestratorError::other("failed to deserialize the error body");
        let internal = response(500, &[]);
        let record = classify_attempt(&SIGNER, &get_signing_profile(), &error, Some(&internal), None);
        assert_eq!(
            (record.class, record.http_status, record.by_status),
            (ErrorClass::InternalServerError, Some(500), true)
        );
        let interceptor = OrchestratorError::interceptor(
            aws_smithy_runtime_api::client::interceptors::error::InterceptorError::read_after_deserialization(
                "x",
                aws_smithy_runtime_api::box_error::BoxError::from("failed"),
            ),
        );
        let record = classify_attempt(&SIGNER, &get_signing_profile(), &interceptor, Some(&internal), None);
        assert_eq!(
            (record.class, record.http_status),
            (ErrorClass::Unknown, None),
            "an interceptor's failure is its own"
        );
        // A success the SDK could not read was applied: its status does not make it "not applied".
        let ok = response(200, &[]);
        let record = classify_attempt(&SIGNER, &get_signing_profile(), &error, Some(&ok), None);
        assert_eq!((record.class, record.failure, record.http_status), (ErrorClass::Unknown, Failure::Other, None));
        assert!(record.may_have_been_applied());
    }

    #[test]
    fn the_breaker_counts_server_side_failures_only() {
        let error = OrchestratorError::operation(Error::erase(Unmodeled));
        let side = |status| {
            let response = response(status, &[]);
            server_side_failure(&classify_attempt(&SIGNER, &get_signing_profile(), &error, Some(&response), None))
        };
        assert!(side(500) && side(503));
        assert!(!side(429) && !side(400), "throttling and client errors are not the service's health");
    }
}
