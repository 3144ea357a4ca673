//! The retry classifier registered beside the interceptor: it tells the SDK's retry strategy that
//! an internal-server error is retryable, whatever HTTP status carried it.
//!
//! The SDK's `StandardRetryStrategy` runs its retry classifiers before it reads the `RetryConfig`
//! the interceptor stored: when none of them calls the error retryable, there is no retry, and
//! nothing in the config bag can change that. Over the wire, an internal-server error is a 500,
//! which the SDK's `HttpStatusCodeClassifier` calls transient, so the policy's retries happen.
//! Under `aws-smithy-mocks`, a modeled error is attached to an HTTP 418 response, which no SDK
//! classifier retries, and the policy's decision to retry would be refused (`sdk_refused`). This
//! classifier gives the same verdict as the status does over the wire, for internal-server errors.
//!
//! It also calls the service's modeled throttling errors throttling, which closes a gap of the
//! SDK's: its standard retry knows throttling by a list of codes (`aws-runtime`'s
//! `THROTTLING_ERRORS`) and by the `@retryable(throttling)` trait, and retries no status 429 by
//! itself. SNS sends its `ThrottledException` as a 429 with code `Throttled`, which is in neither,
//! so the SDK never retried it. A throttled request was not applied, so every operation may be
//! retried: with this verdict the SDK retries it as throttling, with its own backoff and retry
//! quota (the policy leaves throttling to the client's `RetryConfig`). Anything else is left to
//! the SDK's classifiers. It does not decide: the interceptor's
//! `RetryConfig` still limits the attempts (a decision to give up stores `max_attempts =
//! attempt`, which the strategy checks after the classifiers).

use aws_smithy_runtime_api::client::interceptors::context::InterceptorContext;
use aws_smithy_runtime_api::client::retries::classifiers::{ClassifyRetry, RetryAction, RetryClassifierPriority};

use std::sync::atomic::{AtomicUsize, Ordering};

use crate::adapter::{ErrorClass, Service};
use crate::classify::generic_response_class;

/// Calls a service's internal-server errors transient (retryable), as their 500 status does over
/// the wire, and its modeled throttling errors throttling. Registered with the interceptor by the
/// adapter crates' `server_error_policy`, only for a service the policy acts on.
/// The verdict for an error of `class`: an internal-server error is transient, throttling is
/// throttling, and so is any 429 whatever its body (RFC 6585 §4: the request was refused, not
/// applied; an operation that does not model the throttling error gets it as unmodeled).
fn verdict(class: Option<ErrorClass>, ctx: &InterceptorContext) -> RetryAction {
    let too_many_requests = ctx.response().is_some_and(|r| r.status().as_u16() == 429);
    match class {
        Some(ErrorClass::InternalServerError) => RetryAction::transient_error(),
        Some(ErrorClass::Throttling) => RetryAction::throttling_error(),
        _ if too_many_requests => RetryAction::throttling_error(),
        _ => RetryAction::NoActionIndicated,
    }
}

#[derive(Debug)]
pub(crate) struct InternalErrorClassifier {
    service: &'static Service,
    /// The operation whose classifier read the last error: tried first, since a client's
    /// failures are mostly of one operation (one type check instead of one per operation).
    last: AtomicUsize,
}

impl InternalErrorClassifier {
    pub fn new(service: &'static Service) -> Self {
        Self { service, last: AtomicUsize::new(0) }
    }
}

impl ClassifyRetry for InternalErrorClassifier {
    fn classify_retry(&self, ctx: &InterceptorContext) -> RetryAction {
        let Some(Err(error)) = ctx.output_or_error() else { return RetryAction::NoActionIndicated };
        if self.service.generic_throttling().is_some() {
            // No typed errors to read: the response's code, as the interceptor reads it.
            let class = ctx.response().and_then(|response| generic_response_class(self.service, response));
            return verdict(class, ctx);
        }
        let Some(error) = error.as_operation_error() else { return RetryAction::NoActionIndicated };
        // The classifier sees no operation metadata: each operation's classifier recognises
        // only its own error type, so the first that reads the error is the call's.
        let hint = self.last.load(Ordering::Relaxed);
        let record = match self.service.classify(hint, error) {
            Some(record) => Some(record),
            None => (0..self.service.catalog().operations.len()).find_map(|operation| {
                let record = self.service.classify(operation, error)?;
                self.last.store(operation, Ordering::Relaxed);
                Some(record)
            }),
        };
        verdict(record.map(|r| r.class), ctx)
    }

    fn name(&self) -> &'static str {
        "aws-server-errors internal-server error"
    }

    /// After the SDK's own classifiers, so its verdict on anything else stands.
    fn priority(&self) -> RetryClassifierPriority {
        RetryClassifierPriority::run_after(RetryClassifierPriority::transient_error_classifier())
    }
}
