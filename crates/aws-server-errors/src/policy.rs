//! The policy object users build once and register on every client.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};

use aws_smithy_runtime_api::client::interceptors::SharedInterceptor;
use aws_smithy_runtime_api::client::retries::classifiers::SharedRetryClassifier;

use crate::adapter::Service;
use crate::breaker::{CircuitBreaker, CircuitEvent, CircuitState};
use crate::budget::RetryBudget;
use crate::config::{ConfigError, PolicyConfig, Resolved, ServiceSettings};
use crate::incident::IncidentReport;
use crate::interceptor::{any_service, ServerErrorInterceptor};
use crate::retry_classifier::InternalErrorClassifier;
use crate::state::{Listeners, ServiceState};
use crate::telemetry::Observer;

/// The internal-server-error policy: validated configuration plus the state kept per service
/// (the retry budget and the circuit breaker).
///
/// Cheap to clone (an `Arc`). One policy may be registered on clients of every service, and on
/// several clients of one service: clients of the same service share that service's state,
/// which is created when the policy is first registered on one of its clients (a service the
/// application never builds a client for has no state, no gauge and no breaker).
///
/// A config that names services (`[services.pinpoint]`) is validated against the services
/// passed to [`with_services`](Self::with_services): pass the `SERVICE` of each adapter crate
/// the application uses.
///
/// ```
/// use aws_sdk_pinpoint::config::{BehaviorVersion, Region};
/// use aws_server_errors::{PolicyConfig, ServerErrorPolicy};
/// use aws_server_errors_account::SERVICE as ACCOUNT;
/// use aws_server_errors_pinpoint::{ServerErrorPolicyExt as _, SERVICE as PINPOINT};
///
/// let config = PolicyConfig::builder().disable_service("Account").build()?;
/// let policy = ServerErrorPolicy::with_services(config, [&PINPOINT, &ACCOUNT])?;
/// assert!(policy.is_enabled(&PINPOINT) && !policy.is_enabled(&ACCOUNT));
/// // No state until a client of the service has the policy registered...
/// assert_eq!(policy.retry_budget_tokens(&PINPOINT), None);
/// let config = aws_sdk_pinpoint::Config::builder()
///     .behavior_version(BehaviorVersion::latest())
///     .region(Region::new("us-east-1"))
///     .server_error_policy(&policy)
///     .build();
/// let _client = aws_sdk_pinpoint::Client::from_conf(config);
/// // ...then, for dashboards and health checks: the retry budget starts full (20 tokens),
/// assert_eq!(policy.retry_budget_tokens(&PINPOINT), Some(20.0));
/// // and the circuit breaker is off unless configured.
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
    /// `config`, validated and resolved: what the policy acts on.
    resolved: Resolved,
    /// The services given to [`ServerErrorPolicy::with_services`] (none for `new`).
    given: Vec<&'static Service>,
    /// The state of each service the policy is registered on (or an operator isolated), created
    /// at the first registration; read once per registration and per inspection, never per call.
    services: RwLock<Vec<Entry>>,
    /// The circuit-event listeners, shared with every service's state.
    listeners: Arc<Listeners>,
}

/// One service's state (the engine's) and its observer, made together at the policy's first
/// registration on the service.
#[derive(Debug, Clone)]
struct Entry {
    state: Arc<ServiceState>,
    observer: Arc<Observer>,
}

/// The error of [`ServerErrorPolicy::isolate`] and [`ServerErrorPolicy::reset`]: the policy has no
/// circuit breaker for the service (it is not enabled for it, or the service is disabled).
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
    /// Validates `config` and creates the policy, for a config that names no service (its
    /// `services` table is empty). Equivalent to [`with_services`](Self::with_services) with no
    /// services: the policy still acts on every service it is registered on, with the top-level
    /// settings.
    ///
    /// # Errors
    /// A [`ConfigError`] naming the first offending field: an attempt count outside `1..=20`, a
    /// zero backoff or budget, a `max_backoff` below `initial_backoff`, a duration over
    /// [`MAX_DURATION`](crate::config::MAX_DURATION), a ratio out of its range, or any key under
    /// `services` ([`ConfigError::UnknownService`]: use [`with_services`](Self::with_services)).
    /// Settings that are switched off are validated too.
    ///
    /// ```
    /// use aws_server_errors::{PolicyConfig, ServerErrorPolicy};
    ///
    /// let policy = ServerErrorPolicy::new(PolicyConfig::builder().max_attempts(4).build()?)?;
    /// assert_eq!(policy.config().max_attempts, 4);
    /// # Ok::<(), aws_server_errors::ConfigError>(())
    /// ```
    pub fn new(config: PolicyConfig) -> Result<Self, ConfigError> {
        Self::with_services(config, [])
    }

    /// Validates `config` against `services` (the `SERVICE` of each adapter crate the application
    /// uses) and creates the policy. Every key under the config's `services` must name one of
    /// them, by its key (`connectcases`) or its name (`ConnectCases`), and every operation key an
    /// operation of its SDK crate: so a typo fails here, before the first call.
    ///
    /// `services` says which names the config may use; it does not choose the clients the policy
    /// acts on. Registration does that: the policy acts on every client it is registered on
    /// (`.server_error_policy(&policy)`), so that no registered client is left with the SDK's
    /// retries of writes after a 500. Registering it on a client of a service not passed here
    /// (when some were passed) is most likely a slip: the policy then acts with the top-level
    /// settings, and logs it once for that service (WARN `policy registered on a service not
    /// given to with_services`). Pass every service you register the policy on.
    ///
    /// # Errors
    /// What [`new`](Self::new) returns for a bad value, and [`ConfigError::UnknownService`] (the
    /// message lists the names `services` accept, and suggests the nearest),
    /// [`ConfigError::DuplicateService`] or [`ConfigError::UnknownOperation`] for a bad name.
    ///
    /// ```
    /// use aws_server_errors::{ConfigError, PolicyConfig, ServerErrorPolicy};
    /// use aws_server_errors_connectcases::SERVICE as CONNECTCASES;
    /// use aws_server_errors_signer::SERVICE as SIGNER;
    ///
    /// let config: PolicyConfig = toml::from_str("[services.connectcases.operations.CreateCase]\nmax_attempts = 5")?;
    /// let policy = ServerErrorPolicy::with_services(config, [&SIGNER, &CONNECTCASES])?;
    ///
    /// let typo: PolicyConfig = toml::from_str("[services.conectcases]\nenabled = false")?;
    /// let error = ServerErrorPolicy::with_services(typo, [&SIGNER, &CONNECTCASES]).unwrap_err();
    /// assert_eq!(error.field(), "services.conectcases");
    /// assert_eq!(
    ///     error.to_string(),
    ///     "services.conectcases: not one of the services given to the policy \
    ///      (signer, connectcases (\"ConnectCases\")); did you mean connectcases?"
    /// );
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn with_services(
        config: PolicyConfig,
        services: impl IntoIterator<Item = &'static Service>,
    ) -> Result<Self, ConfigError> {
        let given: Vec<&'static Service> = services.into_iter().collect();
        let resolved = Resolved::check(&config)?;
        config.validate_services(&given)?;
        let listeners = Arc::new(Listeners::default());
        Ok(Self { inner: Arc::new(PolicyInner { config, resolved, given, services: RwLock::default(), listeners }) })
    }

    /// The policy with every default (see [`PolicyConfig`]).
    pub fn with_defaults() -> Self {
        Self::new(PolicyConfig::default()).expect("the default configuration is valid")
    }

    /// The configuration the policy was built from.
    pub fn config(&self) -> &PolicyConfig {
        &self.inner.config
    }

    /// Whether the policy acts on a service's clients: `false` when the config disables it
    /// ([`ServiceConfig::enabled`](crate::ServiceConfig::enabled)). Read from the config; the
    /// service need not be registered yet.
    pub fn is_enabled(&self, service: &Service) -> bool {
        self.inner.resolved.is_enabled(service.catalog())
    }

    /// The tokens left in a service's retry budget: `None` if the budget is off, the service is
    /// disabled, or the policy is not registered on any of its clients yet. For dashboards and
    /// tests.
    pub fn retry_budget_tokens(&self, service: &Service) -> Option<f64> {
        self.state(service)?.state.budget().map(|b| b.tokens())
    }

    /// The state of a service's circuit breaker: `None` if it has none (not enabled, or the
    /// policy is not registered on any of its clients yet). An open breaker whose break has ended
    /// reads `Open` until the next call moves it to half-open.
    pub fn circuit_state(&self, service: &Service) -> Option<CircuitState> {
        self.state(service)?.state.breaker().map(CircuitBreaker::state)
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
    /// use aws_server_errors::{PolicyConfig, ServerErrorPolicy};
    /// use aws_server_errors_fault::{Fault, FaultInjector, FaultPlan};
    /// use aws_server_errors_signer::{ServerErrorPolicyExt as _, SERVICE as SIGNER};
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let policy = ServerErrorPolicy::new(PolicyConfig::builder().max_attempts(2).build()?)?;
    /// let injector = FaultInjector::new(FaultPlan::new().fail_always(Fault::InternalError));
    /// let sdk = aws_server_errors_fault::sdk_config("http://localhost:1");
    /// let config = aws_sdk_signer::config::Builder::from(&sdk).http_client(injector.http_client(&SIGNER));
    /// let client = aws_sdk_signer::Client::from_conf(config.server_error_policy(&policy).build());
    /// let _ = client.get_signing_profile().profile_name("p").send().await;
    ///
    /// let report = policy.incident_report(&SIGNER).expect("two internal errors");
    /// assert_eq!((report.total(), report.regions.as_slice()), (2, ["us-east-1".to_owned()].as_slice()));
    /// assert!(report.samples[0].request_id.is_some());
    /// println!("{report}"); // Service: signer (region us-east-1) / Time window (UTC): ... / ...
    /// # Ok(()) }
    /// ```
    pub fn incident_report(&self, service: &Service) -> Option<IncidentReport> {
        self.state(service)?.state.incidents().report(service.name())
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
    /// use aws_server_errors::{CircuitBreakerConfig, CircuitState, PolicyConfig, ServerErrorPolicy, TransitionReason};
    /// use aws_server_errors_signer::SERVICE as SIGNER;
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
    /// (whose `retry_after` is `None` and [`isolated()`](crate::CircuitOpen::isolated) `true`),
    /// and no probe is sent. Listeners get
    /// [`TransitionReason::Isolated`](crate::TransitionReason::Isolated) (once: isolating twice changes nothing). Resilience4j
    /// calls this "forced open", Polly `Isolate`. Works before any client of the service is
    /// built: the service's state is created then.
    ///
    /// # Errors
    /// [`NoCircuitBreaker`] when the policy has no breaker for the service.
    ///
    /// ```
    /// use aws_server_errors::{CircuitState, PolicyConfig, ServerErrorPolicy};
    /// use aws_server_errors_pinpoint::SERVICE as PINPOINT;
    /// use aws_server_errors_signer::SERVICE as SIGNER;
    ///
    /// let config = PolicyConfig::builder().service("signer", |s| s.circuit_breaker = true.into()).build()?;
    /// let policy = ServerErrorPolicy::with_services(config, [&SIGNER])?;
    /// policy.isolate(&SIGNER)?;
    /// assert_eq!(policy.circuit_state(&SIGNER), Some(CircuitState::Open));
    /// policy.reset(&SIGNER)?;
    /// assert_eq!(policy.circuit_state(&SIGNER), Some(CircuitState::Closed));
    /// assert_eq!(policy.isolate(&PINPOINT).unwrap_err().service, "Pinpoint", "no breaker there");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn isolate(&self, service: &'static Service) -> Result<(), NoCircuitBreaker> {
        let entry = self.breaker_of(service)?;
        if let Some(t) = entry.state.breaker().and_then(CircuitBreaker::isolate) {
            crate::interceptor::transitioned(&entry.state, &entry.observer, t);
        }
        Ok(())
    }

    /// Closes a service's circuit breaker, as an operator does after an incident: it ends an
    /// isolation, clears the window and restores the first break duration. Listeners get
    /// [`TransitionReason::Reset`](crate::TransitionReason::Reset) (nothing when it was closed already).
    ///
    /// # Errors
    /// [`NoCircuitBreaker`] when the policy has no breaker for the service.
    pub fn reset(&self, service: &'static Service) -> Result<(), NoCircuitBreaker> {
        let entry = self.breaker_of(service)?;
        if let Some(t) = entry.state.breaker().and_then(CircuitBreaker::reset) {
            crate::interceptor::transitioned(&entry.state, &entry.observer, t);
        }
        Ok(())
    }

    /// The service's state, when it has a breaker (created if the service is not registered yet;
    /// never for a service the config gives no breaker, which stays without state).
    fn breaker_of(&self, service: &'static Service) -> Result<Entry, NoCircuitBreaker> {
        let has_breaker = self.inner.resolved.service(service.catalog()).is_some_and(|s| s.breaker.is_some());
        if !has_breaker {
            return Err(NoCircuitBreaker { service: service.name() });
        }
        let entry = self.state_or_create(service);
        if entry.state.breaker().is_some() && entry.state.settings().is_some() {
            Ok(entry)
        } else {
            Err(NoCircuitBreaker { service: service.name() })
        }
    }

    /// The interceptor that applies this policy to clients of `service`. Adapter crates wrap
    /// this in their one-call registration (`.server_error_policy(&policy)`). The first
    /// registration for a service creates its state (budget, breaker, gauges); a service the
    /// config disables gets an interceptor that overrides no hook.
    #[doc(hidden)]
    pub fn interceptor(&self, service: &'static Service) -> ServerErrorInterceptor {
        let given = &self.inner.given;
        if !given.is_empty() && !given.contains(&service) && self.state(service).is_none() {
            // Every service of the SDK may be given (aws-server-errors-services): a count, then.
            let given = match given.len() {
                n if n > 20 => format!("{n} services"),
                _ => given.iter().map(|s| s.key()).collect::<Vec<_>>().join(","),
            };
            crate::telemetry::registered_outside_given(service.name(), &given);
        }
        let Entry { state, observer } = self.state_or_create(service);
        ServerErrorInterceptor::new(state, observer, NEXT_INSTANCE.fetch_add(1, Ordering::Relaxed))
    }

    /// The interceptor wrapped for a client config's `push_interceptor`, registered as
    /// *permanent*: the SDK then skips the per-hook `DisableInterceptor` lookup in the config bag,
    /// which is most of what the policy costs on the success path. Consequently it cannot be
    /// switched off per call with the SDK's `disable_interceptor` (debug builds panic if you try);
    /// switch a service off with [`ServiceConfig::enabled`](crate::ServiceConfig::enabled), or a
    /// call's retries with `RetryConfig::disabled()` in its `config_override`.
    #[doc(hidden)]
    pub fn shared_interceptor(&self, service: &'static Service) -> SharedInterceptor {
        SharedInterceptor::permanent(self.interceptor(service))
    }

    /// The retry classifier for a client config's `push_retry_classifier`: calls the service's
    /// internal-server errors retryable, whatever status carried them (see
    /// `crate::retry_classifier`). `None` for a service the policy does not act on.
    #[doc(hidden)]
    pub fn shared_retry_classifier(&self, service: &'static Service) -> Option<SharedRetryClassifier> {
        self.is_enabled(service).then(|| SharedRetryClassifier::new(InternalErrorClassifier::new(service)))
    }

    /// The interceptor and retry classifier that register the policy on a client of any service
    /// (through `aws-server-errors-services`' `server_error_policy!`): the client's service is
    /// found at its first call, by the name in the call's `Metadata`, with `lookup` (the table
    /// of every service); from then on they act as [`shared_interceptor`](Self::shared_interceptor)
    /// and [`shared_retry_classifier`](Self::shared_retry_classifier) do for that service. A
    /// client that also has an adapter crate's registration is left to it.
    #[doc(hidden)]
    pub fn any_service(
        &self,
        lookup: fn(&str) -> Option<&'static Service>,
    ) -> (SharedInterceptor, SharedRetryClassifier) {
        let policy = self.clone();
        let make: any_service::Make = Box::new(move |service| {
            let classifier = policy.is_enabled(service).then(|| InternalErrorClassifier::new(service));
            (policy.interceptor(service), classifier)
        });
        let config = &self.inner.config;
        let breaker =
            config.circuit_breaker.enabled || config.services.values().any(|s| s.circuit_breaker.enabled == Some(true));
        let time_budget = config.time_budget.is_some()
            || config
                .services
                .values()
                .any(|s| s.time_budget.is_some() || s.operations.values().any(|o| o.time_budget.is_some()));
        let registration = any_service::Registration::new(lookup, make, breaker, time_budget);
        (
            SharedInterceptor::permanent(any_service::AnyServiceInterceptor(registration.clone())),
            SharedRetryClassifier::new(any_service::AnyServiceClassifier(registration)),
        )
    }

    /// The state of `service` and its observer, if the policy has them.
    fn state(&self, service: &Service) -> Option<Entry> {
        let services = self.inner.services.read().unwrap_or_else(|e| e.into_inner());
        services.iter().find(|e| e.state.service() == service).cloned()
    }

    /// The state of `service` and its observer, created at the first call.
    fn state_or_create(&self, service: &'static Service) -> Entry {
        if let Some(entry) = self.state(service) {
            return entry;
        }
        let mut services = self.inner.services.write().unwrap_or_else(|e| e.into_inner());
        if let Some(entry) = services.iter().find(|e| e.state.service() == service) {
            return entry.clone();
        }
        let entry = self.new_state(service);
        services.push(entry.clone());
        entry
    }

    /// A service's state, resolved from the config (its operations' settings, its budget and
    /// breaker), and its observer. Their gauges are reported here, once per service.
    fn new_state(&self, service: &'static Service) -> Entry {
        let config = &self.inner.config;
        let policy: Arc<str> = Arc::from(config.name.as_str());
        let observer = Arc::new(Observer::new(
            service.catalog(),
            service.classifier(),
            policy.clone(),
            config.client_error_log.as_tracing(),
        ));
        let Some(ServiceSettings { operations: settings, budget, breaker }) =
            self.inner.resolved.service(service.catalog())
        else {
            return Entry { state: Arc::new(ServiceState::disabled(service)), observer };
        };
        let budget = budget.map(|(capacity, ratio)| {
            let gauge = crate::telemetry::budget_tokens_key(service.name(), &policy);
            let report = move |tokens| crate::telemetry::record_budget_tokens(&gauge, tokens);
            Arc::new(RetryBudget::new(capacity, ratio, Box::new(report)))
        });
        let breaker = breaker.map(CircuitBreaker::new);
        if breaker.is_some() {
            crate::telemetry::record_circuit_state(service.name(), &policy, CircuitState::Closed);
        }
        let listeners = self.inner.listeners.clone();
        Entry { state: Arc::new(ServiceState::new(service, settings, budget, breaker, listeners)), observer }
    }
}

impl TryFrom<PolicyConfig> for ServerErrorPolicy {
    type Error = ConfigError;

    /// [`ServerErrorPolicy::new`].
    fn try_from(config: PolicyConfig) -> Result<Self, ConfigError> {
        Self::new(config)
    }
}

#[cfg(test)]
mod registration_tests {
    use super::*;
    use crate::testing::{ACCOUNT, PINPOINT, SIGNER};
    use aws_smithy_runtime_api::client::interceptors::Intercept;

    #[test]
    fn state_is_kept_only_for_services_the_policy_is_registered_on() {
        let recorder = metrics_util::debugging::DebuggingRecorder::new();
        let snapshotter = recorder.snapshotter();
        let breaker = crate::CircuitBreakerConfig { enabled: true, ..Default::default() };
        let config = PolicyConfig::builder().circuit_breaker(breaker).disable_service("account").build().unwrap();
        let policy = metrics::with_local_recorder(&recorder, || {
            let policy = ServerErrorPolicy::with_services(config, [&SIGNER, &PINPOINT, &ACCOUNT]).unwrap();
            let _ = policy.interceptor(&SIGNER);
            let _ = policy.interceptor(&SIGNER);
            let _ = policy.interceptor(&ACCOUNT);
            policy
        });
        let gauges: Vec<String> = snapshotter
            .snapshot()
            .into_vec()
            .into_iter()
            .map(|(key, ..)| {
                let labels: Vec<_> = key.key().labels().map(|l| l.value().to_owned()).collect();
                format!("{} {}", key.key().name(), labels.join(","))
            })
            .collect();
        let mut gauges = gauges;
        gauges.sort();
        assert_eq!(
            gauges,
            ["aws.server_errors.circuit.state signer,default", "aws.server_errors.retry_budget.tokens signer,default"],
            "no gauge for Pinpoint (never registered) or Account (disabled)"
        );
        assert_eq!(policy.retry_budget_tokens(&SIGNER), Some(20.0));
        assert_eq!((policy.retry_budget_tokens(&PINPOINT), policy.circuit_state(&PINPOINT)), (None, None));
        assert_eq!(policy.inner.services.read().unwrap().len(), 2, "signer once, account");
        assert!(policy.is_enabled(&PINPOINT) && !policy.is_enabled(&ACCOUNT));
    }

    #[test]
    fn two_policies_report_two_series_of_each_gauge() {
        let recorder = metrics_util::debugging::DebuggingRecorder::new();
        let snapshotter = recorder.snapshotter();
        let breaker = crate::CircuitBreakerConfig { enabled: true, ..Default::default() };
        metrics::with_local_recorder(&recorder, || {
            for name in ["api", "batch"] {
                let config = PolicyConfig::builder().name(name).circuit_breaker(breaker.clone()).build().unwrap();
                let policy = ServerErrorPolicy::new(config).unwrap();
                let _ = policy.interceptor(&SIGNER);
                policy.isolate(&SIGNER).unwrap();
            }
        });
        let mut gauges: Vec<(String, f64)> = snapshotter
            .snapshot()
            .into_vec()
            .into_iter()
            .filter_map(|(key, _, _, value)| {
                let labels: Vec<_> = key.key().labels().map(|l| format!("{}={}", l.key(), l.value())).collect();
                let metrics_util::debugging::DebugValue::Gauge(v) = value else { return None };
                Some((format!("{} {}", key.key().name(), labels.join(",")), v.into_inner()))
            })
            .collect();
        gauges.sort_by(|a, b| a.0.cmp(&b.0));
        assert_eq!(
            gauges,
            [
                ("aws.server_errors.circuit.state rpc.service=signer,policy=api".to_owned(), 2.0),
                ("aws.server_errors.circuit.state rpc.service=signer,policy=batch".to_owned(), 2.0),
                ("aws.server_errors.retry_budget.tokens rpc.service=signer,policy=api".to_owned(), 20.0),
                ("aws.server_errors.retry_budget.tokens rpc.service=signer,policy=batch".to_owned(), 20.0),
            ]
        );
    }

    #[test]
    fn isolating_a_service_without_a_breaker_creates_no_state() {
        let config = PolicyConfig::builder().service("signer", |s| s.circuit_breaker = true.into()).build().unwrap();
        let policy = ServerErrorPolicy::with_services(config, [&SIGNER, &PINPOINT]).unwrap();
        assert_eq!(policy.isolate(&PINPOINT), Err(NoCircuitBreaker { service: "Pinpoint" }));
        assert_eq!(policy.reset(&PINPOINT), Err(NoCircuitBreaker { service: "Pinpoint" }));
        assert!(policy.inner.services.read().unwrap().is_empty(), "no state, no gauge for Pinpoint");
        assert_eq!(policy.retry_budget_tokens(&PINPOINT), None);
        policy.isolate(&SIGNER).unwrap();
        assert_eq!(policy.inner.services.read().unwrap().len(), 1, "Signer's, created to isolate it");
    }

    #[test]
    fn a_disabled_service_gets_a_no_op_interceptor_and_no_classifier() {
        let config = PolicyConfig::builder().disable_service("account").build().unwrap();
        let policy = ServerErrorPolicy::with_services(config, [&ACCOUNT]).unwrap();
        let interceptor = policy.interceptor(&ACCOUNT);
        assert_eq!(
            interceptor.overridden_hooks(),
            aws_smithy_runtime_api::client::interceptors::OverriddenHooks::none()
        );
        assert!(policy.shared_retry_classifier(&ACCOUNT).is_none());
        assert!(policy.shared_retry_classifier(&PINPOINT).is_some(), "not passed in, still acted on");
    }
}
