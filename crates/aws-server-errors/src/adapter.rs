//! The shared taxonomy, the classified-error record, and the [`Service`] handle an adapter crate
//! exports.
//!
//! An adapter crate (one per service) turns the `OperationError` of each of its operations
//! into a [`ClassifiedError`]. The interceptor finds the operation once per call by name and
//! then calls that operation's [`ClassifyFn`] directly, so the cost of a classification does not
//! grow with the number of operations.

use std::time::Duration;

/// The type-erased error of one operation, as interceptors see it. Generated-code support.
#[doc(hidden)]
pub use aws_smithy_runtime_api::client::interceptors::context::Error as OperationError;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;

use crate::catalog::{OperationSpec, RetrySafety, ServiceCatalog};
use crate::failure::Failure;
pub use crate::vocab::ErrorClass;

/// A service-specific member of an internal-server error shape, kept by name and value.
#[doc(hidden)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ServiceDetail<'a> {
    /// The member's name in the model, e.g. `"code"` (Signer), `"RequestID"` (Pinpoint),
    /// `"errorType"` (Account), `"ErrorCode"` (Backup Gateway).
    pub member: &'static str,
    /// Its value as the service sent it.
    pub value: &'a str,
}

/// One failed attempt, classified. Adapters fill the error-specific part; the interceptor fills
/// service, operation, HTTP status, header request id and retry safety.
///
/// Borrows from the SDK's error and response: it lives for one hook call and is never stored.
/// Generated-code support: no user-facing API hands one out (logs and metrics carry its fields).
#[doc(hidden)]
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct ClassifiedError<'a> {
    /// The SDK's service name, e.g. `"signer"`. Empty until the interceptor fills it.
    pub service: &'static str,
    /// The operation name, e.g. `"GetSigningProfile"`. Empty until the interceptor fills it.
    pub operation: &'static str,
    /// Where the error falls in the shared taxonomy.
    pub class: ErrorClass,
    /// The modeled error shape's name (e.g. `"InternalServerException"`), or for an error the
    /// crate does not model, the error code the service sent; `None` when there is neither. Set
    /// by the constructors, which also record the name [`error_type`](Self::error_type) returns.
    pub shape: Option<&'a str>,
    /// `true` when `shape` is a shape the SDK crate models for this operation.
    pub modeled: bool,
    /// The error message the service sent.
    pub message: Option<&'a str>,
    /// The HTTP status code of the response, if there was one.
    pub http_status: Option<u16>,
    /// The request id: the `x-amzn-RequestId` (or `x-amz-request-id`) header, or where a service
    /// puts it in the error body instead (Pinpoint's `RequestID`), that value.
    pub request_id: Option<&'a str>,
    /// The service-specific member of the internal-server error shape, if it was sent.
    pub detail: Option<ServiceDetail<'a>>,
    /// The server's retry hint: Connect Cases' `retryAfterSeconds` (`Retry-After` header, s) or
    /// the generic `x-amz-retry-after` header (ms).
    pub retry_hint: Option<Duration>,
    /// The operation's retry safety, from the catalog.
    pub retry_safety: RetrySafety,
    /// How the attempt failed (a response, a timeout, a refused connection, ...): with
    /// `http_status`, what decides whether the request may have been applied.
    pub failure: Failure,
    /// The class comes from the HTTP status: the response named no code the service models.
    pub(crate) by_status: bool,
    /// `shape` as a name of the crate or catalog (a modeled shape, or the catalog's spelling of a
    /// code it knows): what [`error_type`](Self::error_type) may return, never a server-sent
    /// string, so that it can be kept and used as a label without a copy.
    pub(crate) known_type: Option<&'static str>,
}

impl<'a> ClassifiedError<'a> {
    #[doc(hidden)] // generated-code support
    /// A record of `class` for a modeled shape, with the message taken from the SDK error.
    pub fn modeled<E: ProvideErrorMetadata>(error: &'a E, class: ErrorClass, shape: &'static str) -> Self {
        let mut record = Self::new(class, Some(shape), true, error.message());
        record.known_type = Some(shape);
        record
    }

    #[doc(hidden)] // generated-code support
    /// A record for an error the crate does not model for this operation (the SDK's `Unhandled`
    /// variant). It is classified by its error code: the service's internal-server error code
    /// gives [`ErrorClass::InternalServerError`] (Pinpoint's tag operations list no errors, so
    /// their internal errors arrive this way), its throttling code or one of the SDK's own
    /// throttling codes gives [`ErrorClass::Throttling`], anything else, including no code,
    /// [`ErrorClass::Unknown`].
    pub fn unmodeled<E: ProvideErrorMetadata>(error: &'a E, catalog: &ServiceCatalog) -> Self {
        let code = error.code();
        let known = known_code(code, catalog);
        let mut record = Self::new(known.map_or(ErrorClass::Unknown, |(class, _)| class), code, false, error.message());
        record.known_type = known.map(|(_, name)| name);
        record
    }

    #[doc(hidden)] // generated-code support
    /// A record with no error-specific data, for failures that are not a service error.
    pub fn bare(class: ErrorClass) -> Self {
        Self::new(class, None, false, None)
    }

    fn new(class: ErrorClass, shape: Option<&'a str>, modeled: bool, message: Option<&'a str>) -> Self {
        Self {
            service: "",
            operation: "",
            class,
            shape,
            modeled,
            message,
            http_status: None,
            request_id: None,
            detail: None,
            retry_hint: None,
            retry_safety: RetrySafety::Unmodeled,
            failure: Failure::Other,
            by_status: false,
            known_type: None,
        }
    }

    #[doc(hidden)] // generated-code support
    /// Sets how the attempt failed.
    pub fn with_failure(mut self, failure: Failure) -> Self {
        self.failure = failure;
        self
    }

    /// Whether the request may have been applied by the server: see
    /// [`Failure::may_have_been_applied`]. A throttling error never was.
    ///
    /// An internal-server error response may always have been applied, whatever its status: the
    /// models bind every internal-error shape to 500 (a server fault), and only a test double
    /// (`aws-smithy-mocks` attaches modeled errors to a 418) sends it with another status, where
    /// the policy must decide as it would over the wire.
    pub fn may_have_been_applied(&self) -> bool {
        match self.class {
            ErrorClass::Throttling => false,
            ErrorClass::InternalServerError if self.failure == Failure::ErrorResponse => true,
            _ => self.failure.may_have_been_applied(self.http_status),
        }
    }

    #[doc(hidden)] // generated-code support
    /// Sets the service-specific member (ignored when `value` is `None`).
    pub fn with_detail(mut self, member: &'static str, value: Option<&'a str>) -> Self {
        self.detail = value.map(|value| ServiceDetail { member, value });
        self
    }

    #[doc(hidden)] // generated-code support
    /// Sets the request id found in the error body (it takes precedence over the header).
    pub fn with_body_request_id(mut self, request_id: Option<&'a str>) -> Self {
        if request_id.is_some() {
            self.request_id = request_id;
        }
        self
    }

    #[doc(hidden)] // generated-code support
    /// Sets the server's retry hint.
    pub fn with_retry_hint(mut self, hint: Option<Duration>) -> Self {
        self.retry_hint = hint.or(self.retry_hint);
        self
    }

    /// The `error.type` value for logs and metrics: the shape name when modeled or when the code
    /// matched one of the service's known shapes; for a response with no usable code, its HTTP
    /// status code (`"500"`, `"502"`: OpenTelemetry's `error.type` for HTTP, "the status code" when
    /// nothing better is known); otherwise the class name. Never an arbitrary server-sent code,
    /// which would be unbounded as a label.
    pub fn error_type(&self) -> &'static str {
        match (self.known_type, self.http_status) {
            (Some(name), _) if self.modeled || (self.class != ErrorClass::Unknown && !self.by_status) => name,
            (_, Some(status)) => status_code_str(status).unwrap_or(self.class.as_str()),
            _ => self.class.as_str(),
        }
    }
}

/// The status codes 400 to 599, three characters each.
const STATUS_CODES: &str = "400401402403404405406407408409410411412413414415416417418419420421422423424425426427428429430431432433434435436437438439440441442443444445446447448449450451452453454455456457458459460461462463464465466467468469470471472473474475476477478479480481482483484485486487488489490491492493494495496497498499500501502503504505506507508509510511512513514515516517518519520521522523524525526527528529530531532533534535536537538539540541542543544545546547548549550551552553554555556557558559560561562563564565566567568569570571572573574575576577578579580581582583584585586587588589590591592593594595596597598599";

/// An error status code (400 to 599) as a `&'static str`; `None` for any other.
fn status_code_str(status: u16) -> Option<&'static str> {
    let offset = usize::from(status.checked_sub(400).filter(|s| *s < 200)?) * 3;
    STATUS_CODES.get(offset..offset + 3)
}

/// The class of an error response that names no code the service models (a load balancer's
/// bare 502, a 500 with an HTML body, an unparseable error body), by its status (RFC 9110
/// §15.6): a 500 is an internal-server error, since that is what the status means ("the server
/// encountered an unexpected condition"), and what every service here models as its internal
/// error; any other 5xx (502, 503, 504, ...) is a server error; a 429 is throttling (RFC 6585
/// §4); any other 4xx is a client error (RFC 9110 §15.5: "the client seems to have erred", as
/// S3's unmodeled `AccessDenied` or its 412 `PreconditionFailed` of a conditional write);
/// anything else is unknown.
pub(crate) fn class_of_status(status: u16) -> ErrorClass {
    match status {
        500 => ErrorClass::InternalServerError,
        501..=599 => ErrorClass::ServerError,
        429 => ErrorClass::Throttling,
        400..=499 => ErrorClass::ClientError,
        _ => ErrorClass::Unknown,
    }
}

#[doc(hidden)]
/// The class an error code names: the service's internal-server error shape (or the code it is
/// sent with, e.g. SNS `InternalError`), its throttling shape (or code, SNS `Throttled`), one of
/// the SDK's own throttling codes, or [`ErrorClass::Unknown`] for anything else.
pub fn class_of_code(code: Option<&str>, catalog: &ServiceCatalog) -> ErrorClass {
    known_code(code, catalog).map_or(ErrorClass::Unknown, |(class, _)| class)
}

/// The class of an error code the service's catalog knows (its internal-server error or its
/// throttling error, by shape name or wire code), with the catalog's own spelling of it; else
/// [`ErrorClass::Throttling`] for one of the SDK's own throttling codes (aws-runtime's
/// `THROTTLING_ERRORS`: `ThrottlingException`, `SlowDown`, ...), which the SDK's standard retry
/// treats as throttling whatever the service models, as KMS's and Secrets Manager's unmodeled
/// `ThrottlingException`.
pub(crate) fn known_code(code: Option<&str>, catalog: &ServiceCatalog) -> Option<(ErrorClass, &'static str)> {
    let (internal, throttling) = catalog.wire_codes;
    let code = code?;
    [
        (ErrorClass::InternalServerError, catalog.internal_error_shape),
        (ErrorClass::InternalServerError, internal),
        (ErrorClass::Throttling, catalog.throttling_shape),
        (ErrorClass::Throttling, throttling),
    ]
    .into_iter()
    .find(|(_, name)| *name == code)
    .or_else(|| {
        let sdk_codes = aws_runtime::retries::classifiers::THROTTLING_ERRORS;
        sdk_codes.iter().find(|c| **c == code).map(|c| (ErrorClass::Throttling, *c))
    })
}

#[doc(hidden)]
/// The shape name in an `x-amzn-ErrorType` value, as the SDK's restJson1 parser reads it: what
/// precedes `:` and follows `#` (e.g. `"InternalServerException"` from
/// `"com.amazonaws.x#InternalServerException:http://internal.amazon.com/..."`).
pub fn sanitize_error_code(raw: &str) -> &str {
    let before_colon = raw.split(':').next().unwrap_or(raw);
    before_colon.rsplit('#').next().unwrap_or(before_colon).trim()
}

#[doc(hidden)]
/// Classifies the `OperationError` of one operation. Returns `None` when the error is not that
/// operation's error type (which the interceptor reports as [`ErrorClass::Unknown`]).
pub type ClassifyFn = for<'a> fn(&'a OperationError) -> Option<ClassifiedError<'a>>;

/// One AWS service, as its adapter crate describes it: the operations of its SDK crate, whether
/// each may be retried, and how to read each operation's errors. The one handle by which code
/// names a service: each adapter crate exports it as `SERVICE` (e.g.
/// `aws_server_errors_signer::SERVICE`), and the policy's inspection and control
/// ([`retry_budget_tokens`](crate::ServerErrorPolicy::retry_budget_tokens),
/// [`circuit_state`](crate::ServerErrorPolicy::circuit_state),
/// [`isolate`](crate::ServerErrorPolicy::isolate), ...), the config's validation and the fault
/// kit take it. Its [`key`](Self::key) names it in configuration, its [`name`](Self::name) in
/// metrics and logs.
///
/// ```
/// use aws_server_errors_connectcases::SERVICE as CONNECTCASES;
///
/// assert_eq!(CONNECTCASES.key(), "connectcases"); // config: `[services.connectcases]`
/// assert_eq!(CONNECTCASES.name(), "ConnectCases"); // metrics and logs: `rpc.service`
/// assert_eq!(CONNECTCASES.to_string(), "ConnectCases");
/// assert!(CONNECTCASES.is_named("Connect Cases"));
/// assert!(CONNECTCASES.operation("CreateCase").unwrap().retry_safety.is_retry_safe());
/// ```
pub struct Service {
    catalog: &'static ServiceCatalog,
    classifiers: &'static [ClassifyFn],
    /// `Some` for a service classified without the SDK's types ([`generic`](Self::generic)):
    /// every throttling code it is known to send.
    generic_throttling: Option<&'static [&'static str]>,
}

impl Service {
    /// Pairs a catalog with its classifiers, one per operation in catalog order. Generated-code
    /// support: adapter crates build their `SERVICE` with it (through `define_adapter!`).
    ///
    /// # Panics
    /// When the two tables differ in length, which means the generated code is out of step with
    /// the catalog. Adapter crates build it in a `static`, where that panic is a compile error.
    #[doc(hidden)]
    pub const fn new(catalog: &'static ServiceCatalog, classifiers: &'static [ClassifyFn]) -> Self {
        assert!(catalog.operations.len() == classifiers.len(), "classifier table and catalog differ in length");
        Self { catalog, classifiers, generic_throttling: None }
    }

    /// A service known by its facts alone, with no typed classifiers: each failed attempt is
    /// classified from the raw response (its status and the error code its protocol carries, see
    /// `crate::wire_code`). `throttling_codes` are every code the service throttles with (the
    /// catalog's first among them). Generated-code support: `aws-server-errors-services` builds
    /// one per service of the SDK.
    #[doc(hidden)]
    pub const fn generic(catalog: &'static ServiceCatalog, throttling_codes: &'static [&'static str]) -> Self {
        Self { catalog, classifiers: &[], generic_throttling: Some(throttling_codes) }
    }

    /// Whether the service's errors are classified from the raw response (a [`generic`](Self::generic)
    /// service), not by the SDK's typed errors: `"generic"`, else `"typed"`. The value of the
    /// `classifier` label and log field.
    pub fn classifier(&self) -> &'static str {
        if self.generic_throttling.is_some() {
            "generic"
        } else {
            "typed"
        }
    }

    /// The throttling codes of a [`generic`](Self::generic) service; `None` for a typed one.
    pub(crate) fn generic_throttling(&self) -> Option<&'static [&'static str]> {
        self.generic_throttling
    }

    /// The key that names the service in a [`PolicyConfig`](crate::PolicyConfig)'s `services`:
    /// the SDK crate's name without `aws-sdk-`, e.g. `"backupgateway"`.
    pub fn key(&self) -> &'static str {
        self.catalog.key()
    }

    /// The service's name in metrics and logs (`rpc.service`): the name the SDK reports in its
    /// operations' `Metadata` (the model's `sdkId`), e.g. `"signer"`, `"Backup Gateway"`. Also
    /// accepted as a config key.
    pub fn name(&self) -> &'static str {
        self.catalog.service
    }

    /// Whether `name` means this service: its [`key`](Self::key) or its [`name`](Self::name),
    /// ignoring ASCII case, spaces, hyphens and underscores (see [`ServiceCatalog::is_named`]).
    pub fn is_named(&self, name: &str) -> bool {
        self.catalog.is_named(name)
    }

    /// The service's catalog: its operations and the SDK crate they were generated from.
    pub fn catalog(&self) -> &'static ServiceCatalog {
        self.catalog
    }

    /// An operation by its name as the SDK spells it (`"GetApp"`), with its retry safety.
    pub fn operation(&self, name: &str) -> Option<&'static OperationSpec> {
        self.catalog.operation(name)
    }

    /// Classifies an error of the operation at `operation` (an index into the catalog's
    /// operations). `None` when `operation` is out of range or the error is not that operation's
    /// type. Never panics. Generated-code support (the adapter crates' tests call it).
    #[doc(hidden)]
    pub fn classify<'a>(&self, operation: usize, error: &'a OperationError) -> Option<ClassifiedError<'a>> {
        self.classifiers.get(operation).and_then(|f| f(error))
    }
}

impl std::fmt::Debug for Service {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Service")
            .field("key", &self.key())
            .field("name", &self.name())
            .field("sdk_crate", &self.catalog.sdk_crate)
            .field("sdk_version", &self.catalog.sdk_version)
            .field("operations", &self.catalog.operations.len())
            .finish()
    }
}

impl std::fmt::Display for Service {
    /// The service's [`name`](Self::name).
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// Two handles are the same service when their keys are (two versions of one adapter crate in
/// one build are one service).
impl PartialEq for Service {
    fn eq(&self, other: &Self) -> bool {
        self.key() == other.key()
    }
}

impl Eq for Service {}

/// Defines what every adapter crate exports: `SERVICE` (the [`Service`] handle over the
/// generated `catalog::CATALOG` and `generated::CLASSIFIERS`) and the `ServerErrorPolicyExt`
/// trait with the one-call registration on the SDK crate's `config::Builder`.
///
/// `define_adapter!(aws_sdk_signer)` names the SDK crate.
#[doc(hidden)]
#[macro_export]
macro_rules! define_adapter {
    ($sdk:ident) => {
        #[doc = concat!("The service of `", stringify!($sdk), "`, as the policy knows it: its operations, their retry \
            safety and the classification of their errors. Pass it wherever code names the service: \
            `ServerErrorPolicy::with_services`, `retry_budget_tokens`, `circuit_state`, `isolate`, the fault kit.")]
        pub static SERVICE: $crate::Service = $crate::Service::new(&catalog::CATALOG, &generated::CLASSIFIERS);

        /// Registers a [`ServerErrorPolicy`](aws_server_errors::ServerErrorPolicy) on this service's
        /// client config in one call.
        pub trait ServerErrorPolicyExt: Sized {
            /// Adds the policy's interceptor for this service to the client config (as a permanent
            /// interceptor: see `ServerErrorPolicy::shared_interceptor`), and, when the policy acts
            /// on the service, a retry classifier that calls its internal-server errors retryable
            /// whatever status carried them (as the 500 does over the wire; under
            /// `aws-smithy-mocks` it is a 418). The same policy may be
            /// registered on clients of every service; each service keeps its own state, created
            /// at its first registration. Registering a policy twice on one config (as
            /// `config.to_builder()` followed by this call does) is harmless: the first
            /// registration decides and counts, the others stand aside.
            fn server_error_policy(self, policy: &$crate::ServerErrorPolicy) -> Self;
        }

        impl ServerErrorPolicyExt for $sdk::config::Builder {
            fn server_error_policy(mut self, policy: &$crate::ServerErrorPolicy) -> Self {
                self.push_interceptor(policy.shared_interceptor(&SERVICE));
                if let Some(classifier) = policy.shared_retry_classifier(&SERVICE) {
                    self.push_retry_classifier(classifier);
                }
                self
            }
        }
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_codes_are_sanitized_like_the_sdk_does() {
        assert_eq!(sanitize_error_code("InternalServerException"), "InternalServerException");
        assert_eq!(
            sanitize_error_code("InternalServerException:http://internal.amazon.com/coral/x/"),
            "InternalServerException"
        );
        assert_eq!(sanitize_error_code("aws.protocoltests#FooError:http://x"), "FooError");
    }

    #[test]
    fn a_response_without_a_modeled_code_is_classified_by_its_status() {
        assert_eq!(class_of_status(500), ErrorClass::InternalServerError);
        for status in [501, 502, 503, 504, 599] {
            assert_eq!(class_of_status(status), ErrorClass::ServerError, "{status}");
        }
        assert_eq!(class_of_status(429), ErrorClass::Throttling);
        for status in [400, 403, 404, 412, 418, 499] {
            assert_eq!(class_of_status(status), ErrorClass::ClientError, "{status}");
        }
        for status in [200, 302, 600] {
            assert_eq!(class_of_status(status), ErrorClass::Unknown, "{status}");
        }
    }

    #[test]
    fn every_error_status_code_has_its_static_string() {
        for status in 400..600u16 {
            assert_eq!(status_code_str(status), Some(status.to_string().as_str()));
        }
        assert_eq!((status_code_str(399), status_code_str(600), status_code_str(0)), (None, None, None));
    }

    /// The SDK's own throttling codes are throttling whatever the service models (KMS's and Secrets
    /// Manager's unmodeled `ThrottlingException`); a code is not throttling by its name alone.
    #[test]
    fn the_sdks_throttling_codes_are_throttling_for_every_service() {
        let signer = crate::testing::SIGNER.catalog();
        for code in ["ThrottlingException", "Throttling", "SlowDown", "RequestLimitExceeded"] {
            assert_eq!(class_of_code(Some(code), signer), ErrorClass::Throttling, "{code}");
            assert_eq!(known_code(Some(code), signer), Some((ErrorClass::Throttling, code)));
        }
        assert_eq!(class_of_code(Some("TooManyRequestsException"), signer), ErrorClass::Throttling, "its own");
        // IAM's account quota (`LimitExceeded`, a 409) is not in the SDK's list.
        for code in ["LimitExceeded", "QuotaExceededException", "ThrottlingExceptionX", ""] {
            assert_eq!(class_of_code(Some(code), signer), ErrorClass::Unknown, "{code:?}");
        }
        assert_eq!(class_of_code(None, signer), ErrorClass::Unknown);
    }

    #[test]
    fn error_type_is_the_status_for_a_response_without_a_known_code() {
        let mut record = ClassifiedError::bare(ErrorClass::InternalServerError);
        record.http_status = Some(502);
        record.by_status = true;
        assert_eq!(record.error_type(), "502");
        // A code the service does not model is never a label: the status is.
        record.shape = Some("SomethingTheServerMadeUp");
        assert_eq!(record.error_type(), "502");
        let transport = ClassifiedError::bare(ErrorClass::Transient);
        assert_eq!(transport.error_type(), "transient");
    }
}
