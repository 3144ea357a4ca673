//! The shared taxonomy, the classified-error record, and what an adapter implements.
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

use crate::catalog::{RetrySafety, ServiceCatalog};
use crate::failure::Failure;

/// The shared taxonomy every attempt's error is sorted into.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorClass {
    /// The service's own internal-server error shape (e.g. Signer's
    /// `InternalServiceErrorException`), modeled or recognised by its error code.
    /// The only class this crate's retry policy governs.
    InternalServerError,
    /// A throttling error: a shape with `@retryable(throttling: true)` or HTTP status 429.
    Throttling,
    /// Another modeled server-fault shape (`@error("server")`), e.g. a 503.
    ServerError,
    /// No usable response: a connection failure or a timeout.
    Transient,
    /// A modeled client-fault shape (`@error("client")`), e.g. a validation error.
    ClientError,
    /// An error the adapter cannot attribute: an unknown error code, a malformed error body, or a
    /// failure that is neither a response nor a transport error.
    Unknown,
}

impl ErrorClass {
    /// A stable snake-case name, used as the `error.class` metric label and log field.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::InternalServerError => "internal_server_error",
            Self::Throttling => "throttling",
            Self::ServerError => "server_error",
            Self::Transient => "transient",
            Self::ClientError => "client_error",
            Self::Unknown => "unknown",
        }
    }
}

/// A service-specific member of an internal-server error shape, kept by name and value.
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
    /// crate does not model, the error code the service sent; `None` when there is neither.
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
}

impl<'a> ClassifiedError<'a> {
    #[doc(hidden)] // generated-code support
    /// A record of `class` for a modeled shape, with the message taken from the SDK error.
    pub fn modeled<E: ProvideErrorMetadata>(error: &'a E, class: ErrorClass, shape: &'static str) -> Self {
        Self::new(class, Some(shape), true, error.message())
    }

    #[doc(hidden)] // generated-code support
    /// A record for an error the crate does not model for this operation (the SDK's `Unhandled`
    /// variant). It is classified by its error code: the service's internal-server error code
    /// gives [`ErrorClass::InternalServerError`] (Pinpoint's tag operations list no errors, so
    /// their internal errors arrive this way), its throttling code gives
    /// [`ErrorClass::Throttling`], anything else, including no code, [`ErrorClass::Unknown`].
    pub fn unmodeled<E: ProvideErrorMetadata>(error: &'a E, catalog: &ServiceCatalog) -> Self {
        let code = error.code();
        Self::new(class_of_code(code, catalog), code, false, error.message())
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
    pub fn may_have_been_applied(&self) -> bool {
        self.class != ErrorClass::Throttling && self.failure.may_have_been_applied(self.http_status)
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
    /// matched one of the service's known shapes, otherwise the class name (never an arbitrary
    /// server-sent code, which would be unbounded as a label).
    pub fn error_type(&self) -> &'a str {
        match self.shape {
            Some(shape) if self.modeled || self.class != ErrorClass::Unknown => shape,
            _ => self.class.as_str(),
        }
    }
}

#[doc(hidden)]
/// The class an error code names: the service's internal-server error shape, its throttling
/// shape, or [`ErrorClass::Unknown`] for anything else.
pub fn class_of_code(code: Option<&str>, catalog: &ServiceCatalog) -> ErrorClass {
    match code {
        Some(c) if c == catalog.internal_error_shape => ErrorClass::InternalServerError,
        Some(c) if c == catalog.throttling_shape => ErrorClass::Throttling,
        _ => ErrorClass::Unknown,
    }
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

#[doc(hidden)]
/// What an adapter crate implements for its service. Generated-code support: the adapter crates
/// implement it, users never do.
///
/// Implementations are generated tables: [`catalog`](Self::catalog) lists the operations, and
/// [`classify`](Self::classify) indexes a table of [`ClassifyFn`] in the same order.
pub trait ServiceAdapter: Send + Sync + std::fmt::Debug + 'static {
    /// The service's catalog.
    fn catalog(&self) -> &'static ServiceCatalog;

    /// Classifies an error of the operation at `operation` (an index into
    /// `self.catalog().operations`). `None` when `operation` is out of range or the error is not
    /// that operation's type. Must not panic.
    fn classify<'a>(&self, operation: usize, error: &'a OperationError) -> Option<ClassifiedError<'a>>;
}

#[doc(hidden)]
/// A [`ServiceAdapter`] made of a catalog and a table of classifiers, which is what the adapter
/// crates' generators emit.
#[derive(Debug)]
pub struct TableAdapter {
    catalog: &'static ServiceCatalog,
    classifiers: &'static [ClassifyFn],
}

impl TableAdapter {
    /// Pairs a catalog with its classifiers.
    ///
    /// # Panics
    /// When the two tables differ in length, which means the generated code is out of step with
    /// the catalog. Adapter crates build it in a `static`, where that panic is a compile error.
    pub const fn new(catalog: &'static ServiceCatalog, classifiers: &'static [ClassifyFn]) -> Self {
        assert!(catalog.operations.len() == classifiers.len(), "classifier table and catalog differ in length");
        Self { catalog, classifiers }
    }
}

impl ServiceAdapter for TableAdapter {
    fn catalog(&self) -> &'static ServiceCatalog {
        self.catalog
    }

    fn classify<'a>(&self, operation: usize, error: &'a OperationError) -> Option<ClassifiedError<'a>> {
        self.classifiers.get(operation).and_then(|f| f(error))
    }
}

/// Defines what every adapter crate exports: `ADAPTER` (a [`TableAdapter`] over the generated
/// classifier table `generated::CLASSIFIERS`) and the `ServerErrorPolicyExt` trait with the
/// one-call registration on the SDK crate's `config::Builder`.
///
/// `define_adapter!(SIGNER, aws_sdk_signer)` names the catalog static in
/// [`catalog`](crate::catalog) and the SDK crate.
#[doc(hidden)]
#[macro_export]
macro_rules! define_adapter {
    ($catalog:ident, $sdk:ident) => {
        #[doc = concat!("The adapter of `", stringify!($sdk), "`: its catalog and one classifier per operation.")]
        #[doc(hidden)]
        pub static ADAPTER: $crate::adapter::TableAdapter =
            $crate::adapter::TableAdapter::new(&$crate::catalog::$catalog, &generated::CLASSIFIERS);

        /// Registers a [`ServerErrorPolicy`](aws_server_errors::ServerErrorPolicy) on this service's
        /// client config in one call.
        pub trait ServerErrorPolicyExt: Sized {
            /// Adds the policy's interceptor for this service to the client config (as a permanent
            /// interceptor: see `ServerErrorPolicy::shared_interceptor`). The same policy may be
            /// registered on clients of every service; each service keeps its own state.
            /// Registering a policy twice on one config (as `config.to_builder()` followed by
            /// this call does) is harmless: the first registration decides and counts, the
            /// others stand aside.
            fn server_error_policy(self, policy: &$crate::ServerErrorPolicy) -> Self;
        }

        impl ServerErrorPolicyExt for $sdk::config::Builder {
            fn server_error_policy(mut self, policy: &$crate::ServerErrorPolicy) -> Self {
                self.push_interceptor(policy.shared_interceptor(&ADAPTER));
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
}
