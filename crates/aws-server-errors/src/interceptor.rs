//! The `Intercept` implementation that applies a [`ServerErrorPolicy`](crate::ServerErrorPolicy).
//!
//! How the policy reaches the SDK's retry loop: a client's retry strategy is always the SDK's
//! `StandardRetryStrategy`, which reloads `RetryConfig` from the config bag for every decision,
//! after `read_after_attempt` has run. So after classifying a failed attempt, this interceptor
//! stores a `RetryConfig` for the rest of the call (in the interceptor layer of the config bag,
//! which lives for one invocation) that makes the strategy do what the policy decided:
//!
//! - retry after exactly `d`: `max_attempts = attempt + 1`, `initial_backoff = max_backoff = d`,
//!   static exponential base (the strategy then computes `min(d * 2^k, d) = d`);
//! - give up: `max_attempts = attempt`;
//! - any other error class: the client's own `RetryConfig`, with `max_attempts` shifted so that
//!   attempts spent on internal-server errors do not count against it.
//!
//! The SDK's classifiers still have to find the error retryable, and the SDK's retry quota (the
//! token bucket of the retry partition) still applies; both are left as they are. No retry
//! classifier is needed: every internal-server error of the five services is an HTTP 500, which
//! the SDK's own HTTP-status classifier already marks retryable.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::context::{
    BeforeTransmitInterceptorContextMut, FinalizerInterceptorContextRef,
};
use aws_smithy_runtime_api::client::interceptors::{Intercept, OverriddenHooks};
use aws_smithy_runtime_api::client::orchestrator::{HttpResponse, Metadata, OrchestratorError};
use aws_smithy_runtime_api::client::retries::RequestAttempts;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::config_bag::{ConfigBag, Storable, StoreReplace};
use aws_smithy_types::retry::RetryConfig;
use tracing::{event, Level};

use crate::adapter::{class_of_code, sanitize_error_code, ClassifiedError, ErrorClass, OperationError, ServiceAdapter};
use crate::catalog::OperationSpec;
use crate::policy::{decide, Decision, DecisionInput, GiveUpReason, ServiceState};
use crate::telemetry::{self, LOG_TARGET};

/// Applies a [`ServerErrorPolicy`](crate::ServerErrorPolicy) to one service's clients.
///
/// Made by [`ServerErrorPolicy::interceptor`](crate::ServerErrorPolicy::interceptor); adapter
/// crates register it with one call. It never changes the request, the response or the error the
/// caller gets: only the retry configuration of the current call.
#[derive(Debug, Clone)]
pub struct ServerErrorInterceptor {
    adapter: &'static dyn ServiceAdapter,
    state: Arc<ServiceState>,
}

/// When the call's first attempt was about to start (stored only if a time budget applies).
#[derive(Debug, Clone, Copy)]
struct CallStart(SystemTime);

impl Storable for CallStart {
    type Storer = StoreReplace<Self>;
}

/// What this call has seen so far. Stored after its first failed attempt; absent on the success
/// path, which therefore stores nothing.
#[derive(Debug, Clone)]
struct CallState {
    operation: usize,
    client_retry: RetryConfig,
    internal_failures: u32,
    other_failures: u32,
    last_class: ErrorClass,
    last_error_type: String,
    last_decision: Decision,
}

impl Storable for CallState {
    type Storer = StoreReplace<Self>;
}

impl ServerErrorInterceptor {
    pub(crate) fn new(adapter: &'static dyn ServiceAdapter, state: Arc<ServiceState>) -> Self {
        Self { adapter, state }
    }

    fn operation(&self, index: usize) -> &'static OperationSpec {
        &self.adapter.catalog().operations[index]
    }

    /// Classifies one failed attempt. Never panics: an error the adapter cannot read is
    /// [`ErrorClass::Unknown`].
    fn classify<'a>(
        &self,
        operation: usize,
        error: &'a OrchestratorError<OperationError>,
        response: Option<&'a HttpResponse>,
    ) -> ClassifiedError<'a> {
        let catalog = self.adapter.catalog();
        let mut record = if let Some(error) = error.as_operation_error() {
            self.adapter.classify(operation, error).unwrap_or_else(|| ClassifiedError::bare(ErrorClass::Unknown))
        } else if error.is_timeout_error() || error.as_connector_error().is_some_and(|e| e.is_io() || e.is_timeout()) {
            ClassifiedError::bare(ErrorClass::Transient)
        } else {
            ClassifiedError::bare(ErrorClass::Unknown)
        };
        let spec = self.operation(operation);
        record.service = catalog.service;
        record.operation = spec.name;
        record.retry_safety = spec.retry_safety;
        if let Some(response) = response {
            let headers = response.headers();
            record.http_status = Some(response.status().as_u16());
            if record.request_id.is_none() {
                record.request_id = headers.get("x-amzn-requestid").or_else(|| headers.get("x-amz-request-id"));
            }
            // An error the SDK could not parse (e.g. Connect Cases with a non-integer Retry-After)
            // reaches us as `Unhandled` without a code; the restJson1 header still names it.
            if record.class == ErrorClass::Unknown && record.shape.is_none() {
                if let Some(code) = headers.get("x-amzn-errortype").map(sanitize_error_code) {
                    record.class = class_of_code(Some(code), catalog);
                    record.shape = Some(code);
                }
            }
            if record.retry_hint.is_none() {
                record.retry_hint =
                    headers.get("x-amz-retry-after").and_then(|ms| ms.trim().parse().ok()).map(Duration::from_millis);
            }
        }
        record
    }
}

impl Intercept for ServerErrorInterceptor {
    fn name(&self) -> &'static str {
        "ServerErrorInterceptor"
    }

    /// Declares only the hooks this instance needs, so the orchestrator skips the others and the
    /// config-bag lookup it makes before each hook ("is this interceptor disabled?"). Without it
    /// the policy cost about 3 us per successful call (benches/overhead.rs); a disabled service
    /// declares none and costs nothing. The SDK's own interceptors do the same through
    /// `#[dyn_dispatch_hint]`, which can only declare a fixed set.
    fn overridden_hooks(&self) -> OverriddenHooks {
        if self.state.settings.is_none() {
            return OverriddenHooks::none();
        }
        let hooks = OverriddenHooks::READ_AFTER_ATTEMPT | OverriddenHooks::READ_AFTER_EXECUTION;
        if self.state.any_time_budget {
            hooks | OverriddenHooks::MODIFY_BEFORE_RETRY_LOOP
        } else {
            hooks
        }
    }

    fn modify_before_retry_loop(
        &self,
        _context: &mut BeforeTransmitInterceptorContextMut<'_>,
        runtime_components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        // Declared only when an operation of the service has a time budget.
        if self.state.any_time_budget {
            let now = runtime_components.time_source().unwrap_or_default().now();
            cfg.interceptor_state().store_put(CallStart(now));
        }
        Ok(())
    }

    fn read_after_attempt(
        &self,
        context: &FinalizerInterceptorContextRef<'_>,
        runtime_components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let Some(all_settings) = &self.state.settings else { return Ok(()) };
        // `RequestAttempts` is in the top layer of the bag: a cheap hit, unlike a miss.
        let attempt = cfg.load::<RequestAttempts>().map_or(1, |a| a.attempts());
        let error = match context.output_or_error() {
            Some(Err(error)) => error,
            Some(Ok(_)) => {
                if let Some(budget) = &self.state.budget {
                    budget.deposit();
                }
                if attempt > 1 {
                    self.succeeded_after_retries(cfg, attempt);
                }
                return Ok(());
            }
            None => return Ok(()),
        };

        let previous = cfg.load::<CallState>().cloned();
        if let Some(state) = &previous {
            self.count_retry(state);
        }
        let operation = match &previous {
            Some(state) => state.operation,
            None => {
                let found = cfg.load::<Metadata>().and_then(|m| self.adapter.catalog().operation_index(m.name()));
                let Some(index) = found else { return Ok(()) };
                index
            }
        };
        let settings = &all_settings[operation];
        let now = runtime_components.time_source().unwrap_or_default().now();
        let record = self.classify(operation, error, context.response());

        let mut state = previous.unwrap_or_else(|| CallState {
            operation,
            client_retry: cfg.load::<RetryConfig>().cloned().unwrap_or_else(RetryConfig::standard),
            internal_failures: 0,
            other_failures: 0,
            last_class: record.class,
            last_error_type: String::new(),
            last_decision: Decision::ClientPolicy,
        });
        let internal = record.class == ErrorClass::InternalServerError;
        if internal {
            state.internal_failures += 1;
        } else {
            state.other_failures += 1;
        }
        let elapsed = cfg.load::<CallStart>().map(|start| now.duration_since(start.0).unwrap_or_default());
        let input =
            DecisionInput { internal_failures: state.internal_failures, elapsed, jitter_sample: fastrand::f64() };
        let decision = decide(settings, &record, &input, self.state.budget.as_ref());

        // Make the SDK's retry strategy carry out the decision for the rest of this call.
        let client_max = state.client_retry.max_attempts();
        let (retry_config, max_attempts) = match decision {
            Decision::Retry { delay } => {
                (Some(exact_retry(&state.client_retry, attempt + 1, delay)), settings.max_attempts)
            }
            Decision::GiveUp(_) => (Some(state.client_retry.clone().with_max_attempts(attempt)), settings.max_attempts),
            Decision::ClientPolicy => {
                // Attempts spent on internal-server errors do not count against the client's own.
                let shifted = attempt + client_max.saturating_sub(state.other_failures);
                let changed = state.internal_failures > 0;
                (changed.then(|| state.client_retry.clone().with_max_attempts(shifted)), client_max)
            }
        };
        if let Some(retry_config) = retry_config {
            cfg.interceptor_state().store_put(retry_config);
        }

        telemetry::record_attempt_error(record.service, record.operation, record.class.as_str(), record.error_type());
        let delay_ms = match decision {
            Decision::Retry { delay } => Some(delay.as_millis() as u64),
            _ => None,
        };
        let reason = match decision {
            Decision::GiveUp(reason) => Some(reason.as_str()),
            _ => None,
        };
        let detail = record.detail.map(|d| format!("{}={}", d.member, d.value));
        macro_rules! attempt_event {
            ($level:ident) => {
                event!(
                    target: LOG_TARGET,
                    Level::$level,
                    rpc.system = "aws-api",
                    rpc.service = record.service,
                    rpc.method = record.operation,
                    aws.request_id = record.request_id,
                    error.type = record.error_type(),
                    error.class = record.class.as_str(),
                    error.detail = detail,
                    http.response.status_code = record.http_status,
                    retry_safety = record.retry_safety.as_str(),
                    attempt,
                    max_attempts,
                    decision = decision.as_str(),
                    delay_ms,
                    reason,
                    "attempt failed"
                )
            };
        }
        if matches!(decision, Decision::GiveUp(_)) {
            attempt_event!(WARN);
        } else {
            attempt_event!(INFO);
        }

        state.last_class = record.class;
        state.last_error_type = record.error_type().to_owned();
        state.last_decision = decision;
        cfg.interceptor_state().store_put(state);
        Ok(())
    }

    fn read_after_execution(
        &self,
        context: &FinalizerInterceptorContextRef<'_>,
        _runtime_components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        // Successes were reported by `read_after_attempt`; only failures remain.
        if !matches!(context.output_or_error(), Some(Err(_))) {
            return Ok(());
        }
        let Some(state) = cfg.load::<CallState>() else { return Ok(()) };
        let service = self.adapter.catalog().service;
        let operation = self.operation(state.operation).name;
        let attempts = cfg.load::<RequestAttempts>().map_or(1, |a| a.attempts());
        let reason = match state.last_decision {
            Decision::GiveUp(reason) => reason,
            Decision::Retry { .. } => GiveUpReason::SdkRefused,
            Decision::ClientPolicy => GiveUpReason::ClientPolicy,
        };
        telemetry::record_give_up(service, operation, reason.as_str());
        event!(
            target: LOG_TARGET,
            Level::WARN,
            rpc.system = "aws-api",
            rpc.service = service,
            rpc.method = operation,
            error.type = state.last_error_type.as_str(),
            error.class = state.last_class.as_str(),
            attempts,
            outcome = "failure",
            reason = reason.as_str(),
            "call failed"
        );
        Ok(())
    }
}

impl ServerErrorInterceptor {
    /// Counts the retry that led to the attempt now finishing, with the delay the policy chose
    /// (none when the client's own retry config chose it: the SDK's jitter is not visible here).
    fn count_retry(&self, state: &CallState) {
        let op = self.operation(state.operation).name;
        let delay = match state.last_decision {
            Decision::Retry { delay } => Some(delay),
            _ => None,
        };
        telemetry::record_retry(self.adapter.catalog().service, op, state.last_class.as_str(), delay);
    }

    fn succeeded_after_retries(&self, cfg: &ConfigBag, attempts: u32) {
        let Some(state) = cfg.load::<CallState>() else { return };
        self.count_retry(state);
        // The retry that worked was not load wasted: its token goes back.
        if let (Decision::Retry { .. }, Some(budget)) = (state.last_decision, &self.state.budget) {
            budget.refund();
        }
        event!(
            target: LOG_TARGET,
            Level::INFO,
            rpc.system = "aws-api",
            rpc.service = self.adapter.catalog().service,
            rpc.method = self.operation(state.operation).name,
            attempts,
            outcome = "success",
            "call succeeded after retries"
        );
    }
}

/// A copy of the client's retry configuration that makes the standard strategy allow exactly
/// `max_attempts` and wait exactly `delay` before the next one.
fn exact_retry(client: &RetryConfig, max_attempts: u32, delay: Duration) -> RetryConfig {
    let mut config = client
        .clone()
        .with_max_attempts(max_attempts)
        .with_initial_backoff(delay)
        .with_max_backoff(delay)
        .with_use_static_exponential_base(true);
    // Retry behaviour 2.1 replaces the initial backoff of non-throttling errors with its own.
    if let Some(spec) = config.retry_spec().cloned() {
        config = config.with_retry_spec(spec.with_non_throttling_initial_backoff(delay));
    }
    config
}
