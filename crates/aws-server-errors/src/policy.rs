//! The policy object users build once and register on every client.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use aws_smithy_runtime_api::client::interceptors::SharedInterceptor;
use aws_smithy_runtime_api::client::retries::classifiers::SharedRetryClassifier;

use crate::adapter::ServiceAdapter;
use crate::breaker::{CircuitBreaker, CircuitEvent, CircuitState};
use crate::budget::RetryBudget;
use crate::catalog::{self, ServiceCatalog};
use crate::config::{ConfigError, PolicyConfig};
use crate::incident::IncidentReport;
use crate::interceptor::ServerErrorInterceptor;
use crate::retry_classifier::InternalErrorClassifier;
use crate::state::{Listeners, ServiceState};

/// The internal-server-error policy: validated configuration plus the state kept per service
/// (the retry budget and the circuit breaker).
///
/// Cheap to clone (an `Arc`). One policy may be registered on clients of all five services, and
/// on several clients of one service: clients of the same service share that service's state.
///
/// ```
/// use aws_server_errors::catalog::{ACCOUNT, PINPOINT};
/// use aws_server_errors::{PolicyConfig, ServerErrorPolicy};
///
/// let policy = ServerErrorPolicy::new(PolicyConfig::builder().disable_service("Account").build()?)?;
/// assert!(policy.is_enabled(&PINPOINT) && !policy.is_enabled(&ACCOUNT));
/// // State for dashboards and health checks: the retry budget starts full (20 tokens)...
/// assert_eq!(policy.retry_budget_tokens(&PINPOINT), Some(20.0));
/// // ...and the circuit breaker is off unless configured.
/// assert_eq!(policy.circuit_state(&PINPOINT), None);
/// # Ok::<(), aws_server_errors::ConfigError>(())
/// ```
#[derive(Debug, Clone)]
pub struct ServerErrorPolicy {
    inner: Arc<PolicyInner>,
}

#[derive(Debug)]
struct PolicyInner {
    config: PolicyConfig,
    /// Indexed like [`catalog::ALL`].
    services: Vec<Arc<ServiceState>>,
    /// The circuit-event listeners, shared with every service's state.
    listeners: Arc<Listeners>,
}

/// The error of [`ServerErrorPolicy::isolate`] and [`ServerErrorPolicy::reset`]: the policy has no
/// circuit breaker for the service (it is not enabled for it, the service is disabled, or the
/// policy does not know it).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the policy has no circuit breaker for {service}; enable one with circuit_breaker.enabled or services.<key>.circuit_breaker")]
pub struct NoCircuitBreaker {
    /// The service, as logged in `rpc.service`.
    pub service: &'static str,
}

/// Tells interceptor instances apart, so that a policy registered twice on one client decides
/// once (see [`ServerErrorInterceptor`]).
static NEXT_INSTANCE: AtomicU64 = AtomicU64::new(1);

impl ServerErrorPolicy {
    /// Validates `config` and creates the policy.
    ///
    /// # Errors
    /// A [`ConfigError`] naming the first offending field: an attempt count outside `1..=20`, a
    /// zero backoff or budget, a `max_backoff` below `initial_backoff`, a duration over
    /// [`MAX_DURATION`](crate::config::MAX_DURATION), a ratio out of its range, or an unknown
    /// service or operation name. Settings that are switched off are validated too.
    pub fn new(config: PolicyConfig) -> Result<Self, ConfigError> {
        config.validate_global()?;
        let listeners = Arc::new(Listeners::default());
        let services = catalog::ALL
            .iter()
            .map(|catalog| {
                let Some(settings) = config.resolve(catalog)? else {
                    return Ok(Arc::new(ServiceState::disabled()));
                };
                let budget_config = config.budget_config(catalog);
                let budget = budget_config
                    .enabled
                    .then(|| Arc::new(RetryBudget::new(catalog.service, budget_config.capacity, budget_config.ratio)));
                let breaker =
                    settings.iter().any(|s| s.breaker).then(|| CircuitBreaker::new(config.breaker_settings(catalog)));
                if breaker.is_some() {
                    crate::telemetry::record_circuit_state(catalog.service, CircuitState::Closed);
                }
                let any_time_budget = settings.iter().any(|s| s.time_budget.is_some());
                let breaker_every_operation = settings.iter().all(|s| s.breaker);
                Ok(Arc::new(ServiceState {
                    settings: Some(settings.into_boxed_slice()),
                    budget,
                    breaker,
                    any_time_budget,
                    breaker_every_operation,
                    unknown_operations: Default::default(),
                    recent: Default::default(),
                    registrations: Default::default(),
                    listeners: listeners.clone(),
                    incidents: Default::default(),
                }))
            })
            .collect::<Result<_, ConfigError>>()?;
        Ok(Self { inner: Arc::new(PolicyInner { config, services, listeners }) })
    }

    /// The policy with every default (see [`PolicyConfig`]).
    pub fn with_defaults() -> Self {
        Self::new(PolicyConfig::default()).expect("the default configuration is valid")
    }

    /// The configuration the policy was built from.
    pub fn config(&self) -> &PolicyConfig {
        &self.inner.config
    }

    /// Whether the policy acts on `catalog`'s service (`false` for a service it does not know).
    pub fn is_enabled(&self, catalog: &ServiceCatalog) -> bool {
        self.service(catalog).is_some_and(|s| s.settings.is_some())
    }

    /// The tokens left in a service's retry budget (`None` if the budget is off, the service
    /// disabled or unknown). For dashboards and tests.
    pub fn retry_budget_tokens(&self, catalog: &ServiceCatalog) -> Option<f64> {
        self.service(catalog)?.budget.as_ref().map(|b| b.tokens())
    }

    /// The state of a service's circuit breaker (`None` if it has none). An open breaker whose
    /// break has ended reads `Open` until the next call moves it to half-open.
    pub fn circuit_state(&self, catalog: &ServiceCatalog) -> Option<CircuitState> {
        self.service(catalog)?.breaker.as_ref().map(CircuitBreaker::state)
    }

    /// The recent server-side failures of a service (internal-server errors, other 5xx, transport
    /// failures that may have reached it): what AWS Support asks for when internal errors persist.
    /// The request ids (and S3's extended ids), operations, regions, time window and counts by
    /// class of the current incident, which ends after
    /// [`QUIET_PERIOD`](crate::incident::QUIET_PERIOD) without a failure. `None` when the service
    /// has had none (or the policy does not act on it). Bounded in memory
    /// ([`MAX_SAMPLES`](crate::incident::MAX_SAMPLES) samples); no bodies, messages or
    /// credentials. Its `Display` is text to paste into a support case; it is also logged once
    /// (WARN `internal errors persist`) when the breaker opens or the retry budget runs dry.
    ///
    /// ```
    /// use aws_server_errors::catalog::SIGNER;
    /// use aws_server_errors::{PolicyConfig, ServerErrorPolicy};
    /// use aws_server_errors_fault::{Fault, FaultInjector, FaultPlan, Service};
    /// use aws_server_errors_signer::ServerErrorPolicyExt as _;
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let policy = ServerErrorPolicy::new(PolicyConfig::builder().max_attempts(2).build()?)?;
    /// let injector = FaultInjector::new(FaultPlan::new().fail_always(Fault::InternalError));
    /// let sdk = aws_server_errors_fault::sdk_config("http://localhost:1");
    /// let config = aws_sdk_signer::config::Builder::from(&sdk).http_client(injector.http_client(Service::Signer));
    /// let client = aws_sdk_signer::Client::from_conf(config.server_error_policy(&policy).build());
    /// let _ = client.get_signing_profile().profile_name("p").send().await;
    ///
    /// let report = policy.incident_report(&SIGNER).expect("two internal errors");
    /// assert_eq!((report.total(), report.regions.as_slice()), (2, ["us-east-1".to_owned()].as_slice()));
    /// assert!(report.samples[0].request_id.is_some());
    /// println!("{report}"); // Service: signer (region us-east-1) / Time window (UTC): ... / ...
    /// # Ok(()) }
    /// ```
    pub fn incident_report(&self, catalog: &ServiceCatalog) -> Option<IncidentReport> {
        self.service(catalog)?.incidents.report(catalog.service)
    }

    /// Calls `listener` at every change of state of any of the policy's circuit breakers: opened
    /// (by the failure ratio, a failed probe, or an operator), half-opened (the break is over),
    /// closed (a probe succeeded, or an operator reset it), with the service and the reason. No
    /// polling: it runs on the thread of the call (or of the operator's [`isolate`](Self::isolate)
    /// or [`reset`](Self::reset)) that caused the change, after the breaker's lock is released,
    /// so it must be quick (send to a channel, set a flag); a listener that panics is logged and
    /// skipped. Listeners stay for the life of the policy.
    ///
    /// ```
    /// use std::sync::{Arc, Mutex};
    /// use aws_server_errors::catalog::SIGNER;
    /// use aws_server_errors::{CircuitBreakerConfig, CircuitState, PolicyConfig, ServerErrorPolicy, TransitionReason};
    ///
    /// let breaker = CircuitBreakerConfig { enabled: true, ..Default::default() };
    /// let policy = ServerErrorPolicy::new(PolicyConfig::builder().circuit_breaker(breaker).build()?)?;
    /// let seen = Arc::new(Mutex::new(Vec::new()));
    /// let events = seen.clone();
    /// policy.on_circuit_event(move |event| events.lock().unwrap().push((event.service, event.to, event.reason)));
    ///
    /// policy.isolate(&SIGNER)?;
    /// policy.reset(&SIGNER)?;
    /// assert_eq!(
    ///     *seen.lock().unwrap(),
    ///     [("signer", CircuitState::Open, TransitionReason::Isolated), ("signer", CircuitState::Closed, TransitionReason::Reset)]
    /// );
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn on_circuit_event(&self, listener: impl Fn(&CircuitEvent) + Send + Sync + 'static) {
        self.inner.listeners.add(Arc::new(listener));
    }

    /// Isolates a service, as an operator does during an incident: its circuit breaker is held
    /// open until [`reset`](Self::reset), every call fails fast with [`CircuitOpen`](crate::CircuitOpen)
    /// (whose `retry_after` is [`Duration::MAX`](std::time::Duration::MAX) and
    /// [`isolated()`](crate::CircuitOpen::isolated) `true`), and no probe is sent. Listeners get
    /// [`TransitionReason::Isolated`](crate::TransitionReason::Isolated) (once: isolating twice changes nothing). Resilience4j
    /// calls this "forced open", Polly `Isolate`.
    ///
    /// # Errors
    /// [`NoCircuitBreaker`] when the policy has no breaker for the service.
    ///
    /// ```
    /// use aws_server_errors::catalog::{PINPOINT, SIGNER};
    /// use aws_server_errors::{CircuitBreakerConfig, CircuitState, PolicyConfig, ServerErrorPolicy};
    ///
    /// let config = PolicyConfig::builder().service("signer", |s| s.circuit_breaker = true.into()).build()?;
    /// let policy = ServerErrorPolicy::new(config)?;
    /// policy.isolate(&SIGNER)?;
    /// assert_eq!(policy.circuit_state(&SIGNER), Some(CircuitState::Open));
    /// policy.reset(&SIGNER)?;
    /// assert_eq!(policy.circuit_state(&SIGNER), Some(CircuitState::Closed));
    /// assert_eq!(policy.isolate(&PINPOINT).unwrap_err().service, "Pinpoint", "no breaker there");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn isolate(&self, catalog: &ServiceCatalog) -> Result<(), NoCircuitBreaker> {
        let (state, breaker) = self.breaker_of(catalog)?;
        if let Some(t) = breaker.isolate() {
            state.transitioned(catalog.service, t);
        }
        Ok(())
    }

    /// Closes a service's circuit breaker, as an operator does after an incident: it ends an
    /// isolation, clears the window and restores the first break duration. Listeners get
    /// [`TransitionReason::Reset`](crate::TransitionReason::Reset) (nothing when it was closed already).
    ///
    /// # Errors
    /// [`NoCircuitBreaker`] when the policy has no breaker for the service.
    pub fn reset(&self, catalog: &ServiceCatalog) -> Result<(), NoCircuitBreaker> {
        let (state, breaker) = self.breaker_of(catalog)?;
        if let Some(t) = breaker.reset() {
            state.transitioned(catalog.service, t);
        }
        Ok(())
    }

    fn breaker_of(&self, catalog: &ServiceCatalog) -> Result<(&Arc<ServiceState>, &CircuitBreaker), NoCircuitBreaker> {
        let missing = || NoCircuitBreaker { service: catalog.service };
        let state = self.service(catalog).ok_or_else(missing)?;
        let breaker = state.breaker.as_ref().filter(|_| state.settings.is_some()).ok_or_else(missing)?;
        Ok((state, breaker))
    }

    /// The interceptor that applies this policy to clients of `adapter`'s service. Adapter crates
    /// wrap this in their one-call registration (`.server_error_policy(&policy)`).
    ///
    /// An adapter whose catalog is not one of [`catalog::ALL`] gets an interceptor that does
    /// nothing (the policy has no settings for that service), and a warning is logged.
    #[doc(hidden)]
    pub fn interceptor(&self, adapter: &'static dyn ServiceAdapter) -> ServerErrorInterceptor {
        let state = self.service(adapter.catalog()).cloned().unwrap_or_else(|| {
            tracing::warn!(
                target: crate::telemetry::LOG_TARGET,
                sdk_crate = adapter.catalog().sdk_crate,
                "the policy knows no such service; its clients are left as they are"
            );
            Arc::new(ServiceState::disabled())
        });
        ServerErrorInterceptor::new(adapter, state, NEXT_INSTANCE.fetch_add(1, Ordering::Relaxed))
    }

    /// The interceptor wrapped for a client config's `push_interceptor`, registered as
    /// *permanent*: the SDK then skips the per-hook `DisableInterceptor` lookup in the config bag,
    /// which is most of what the policy costs on the success path. Consequently it cannot be
    /// switched off per call with the SDK's `disable_interceptor` (debug builds panic if you try);
    /// switch a service off with [`ServiceConfig::enabled`](crate::ServiceConfig::enabled), or a
    /// call's retries with `RetryConfig::disabled()` in its `config_override`.
    #[doc(hidden)]
    pub fn shared_interceptor(&self, adapter: &'static dyn ServiceAdapter) -> SharedInterceptor {
        SharedInterceptor::permanent(self.interceptor(adapter))
    }

    /// The retry classifier for a client config's `push_retry_classifier`: calls the service's
    /// internal-server errors retryable, whatever status carried them (see
    /// `crate::retry_classifier`). `None` for a service the policy does not act on.
    #[doc(hidden)]
    pub fn shared_retry_classifier(&self, adapter: &'static dyn ServiceAdapter) -> Option<SharedRetryClassifier> {
        self.service(adapter.catalog())
            .filter(|state| state.settings.is_some())
            .map(|_| SharedRetryClassifier::new(InternalErrorClassifier::new(adapter)))
    }

    fn service(&self, catalog: &ServiceCatalog) -> Option<&Arc<ServiceState>> {
        let index = catalog::ALL.iter().position(|c| c.sdk_crate == catalog.sdk_crate)?;
        self.inner.services.get(index)
    }
}

impl TryFrom<PolicyConfig> for ServerErrorPolicy {
    type Error = ConfigError;

    fn try_from(config: PolicyConfig) -> Result<Self, ConfigError> {
        Self::new(config)
    }
}

#[cfg(test)]
mod registration_tests {
    use super::*;
    use crate::adapter::{ClassifiedError, OperationError};
    use crate::catalog::{Protocol, ServiceCatalog};
    use aws_smithy_runtime_api::client::interceptors::Intercept;

    static UNKNOWN: ServiceCatalog = ServiceCatalog {
        service: "sixth",
        sdk_crate: "aws-sdk-sixth",
        sdk_version: "0.0.0",
        protocol: Protocol::RestJson1,
        signing_name: "sixth",
        model_namespace: "com.example",
        model_service: "Sixth",
        internal_error_shape: "InternalServerException",
        throttling_shape: "ThrottlingException",
        operations: &[],
    };

    #[derive(Debug)]
    struct SixthAdapter;

    impl ServiceAdapter for SixthAdapter {
        fn catalog(&self) -> &'static ServiceCatalog {
            &UNKNOWN
        }
        fn classify<'a>(&self, _: usize, _: &'a OperationError) -> Option<ClassifiedError<'a>> {
            None
        }
    }

    #[test]
    fn an_adapter_for_an_unknown_service_gets_a_no_op_interceptor() {
        let policy = ServerErrorPolicy::with_defaults();
        assert!(!policy.is_enabled(&UNKNOWN));
        assert_eq!(policy.retry_budget_tokens(&UNKNOWN), None);
        let interceptor = policy.interceptor(&SixthAdapter);
        assert_eq!(
            interceptor.overridden_hooks(),
            aws_smithy_runtime_api::client::interceptors::OverriddenHooks::none()
        );
    }
}
