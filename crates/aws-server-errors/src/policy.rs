//! The policy object users build once and register on every client, and its decision rule.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use aws_smithy_runtime_api::client::interceptors::SharedInterceptor;

use crate::adapter::{ClassifiedError, ErrorClass, ServiceAdapter};
use crate::catalog::{self, ServiceCatalog};
use crate::config::{ConfigError, Jitter, PolicyConfig, Settings};
use crate::interceptor::ServerErrorInterceptor;

/// The internal-server-error policy: validated configuration plus the state kept per service
/// (the retry budget).
///
/// Cheap to clone (an `Arc`). One policy may be registered on clients of all five services, and
/// on several clients of one service: clients of the same service share that service's state.
#[derive(Debug, Clone)]
pub struct ServerErrorPolicy {
    inner: Arc<PolicyInner>,
}

#[derive(Debug)]
struct PolicyInner {
    config: PolicyConfig,
    /// Indexed like [`catalog::ALL`].
    services: Vec<Arc<ServiceState>>,
}

/// The resolved settings and shared state of one service.
#[derive(Debug)]
pub(crate) struct ServiceState {
    /// `None` when the config disables the service.
    pub settings: Option<Box<[Settings]>>,
    pub budget: Option<RetryBudget>,
    /// Whether any operation of the service has a time budget (then calls record their start).
    pub any_time_budget: bool,
}

impl ServerErrorPolicy {
    /// Validates `config` and creates the policy.
    ///
    /// # Errors
    /// A [`ConfigError`] naming the first offending field: an attempt count outside `1..=20`, a
    /// zero backoff or budget, a `max_backoff` below `initial_backoff`, a ratio outside `0..=1`,
    /// or an unknown service or operation name.
    pub fn new(config: PolicyConfig) -> Result<Self, ConfigError> {
        config.validate_global()?;
        let services = catalog::ALL
            .iter()
            .map(|catalog| {
                let settings = config.resolve(catalog)?;
                let budget = (config.retry_budget.enabled && settings.is_some())
                    .then(|| RetryBudget::new(config.retry_budget.capacity, config.retry_budget.ratio));
                let any_time_budget = settings.iter().flatten().any(|s| s.time_budget.is_some());
                Ok(Arc::new(ServiceState { settings: settings.map(Vec::into_boxed_slice), budget, any_time_budget }))
            })
            .collect::<Result<_, ConfigError>>()?;
        Ok(Self { inner: Arc::new(PolicyInner { config, services }) })
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
        self.service(catalog)?.budget.as_ref().map(RetryBudget::tokens)
    }

    /// The interceptor that applies this policy to clients of `adapter`'s service. Adapter crates
    /// wrap this in their one-call registration (`.server_error_policy(&policy)`).
    ///
    /// An adapter whose catalog is not one of [`catalog::ALL`] gets an interceptor that does
    /// nothing (the policy has no settings for that service), and a warning is logged.
    pub fn interceptor(&self, adapter: &'static dyn ServiceAdapter) -> ServerErrorInterceptor {
        let state = self.service(adapter.catalog()).cloned().unwrap_or_else(|| {
            tracing::warn!(
                target: crate::telemetry::LOG_TARGET,
                sdk_crate = adapter.catalog().sdk_crate,
                "the policy knows no such service; its clients are left as they are"
            );
            Arc::new(ServiceState { settings: None, budget: None, any_time_budget: false })
        });
        ServerErrorInterceptor::new(adapter, state)
    }

    /// The interceptor wrapped for a client config's `push_interceptor`, registered as
    /// *permanent*: the SDK then skips the per-hook `DisableInterceptor` lookup in the config bag,
    /// which is most of what the policy costs on the success path. Consequently it cannot be
    /// switched off per call with the SDK's `disable_interceptor` (debug builds panic if you try);
    /// switch a service off with [`ServiceConfig::enabled`](crate::ServiceConfig::enabled).
    pub fn shared_interceptor(&self, adapter: &'static dyn ServiceAdapter) -> SharedInterceptor {
        SharedInterceptor::permanent(self.interceptor(adapter))
    }

    fn service(&self, catalog: &ServiceCatalog) -> Option<&Arc<ServiceState>> {
        let index = catalog::ALL.iter().position(|c| c.sdk_crate == catalog.sdk_crate)?;
        self.inner.services.get(index)
    }
}

/// A lock-free token bucket in thousandths of a token. See
/// [`RetryBudgetConfig`](crate::RetryBudgetConfig) for its rule.
#[derive(Debug)]
pub(crate) struct RetryBudget {
    milli: AtomicU64,
    capacity: u64,
    deposit: u64,
}

const MILLI: u64 = 1000;

impl RetryBudget {
    pub fn new(capacity: u32, ratio: f64) -> Self {
        let capacity = u64::from(capacity) * MILLI;
        Self { milli: AtomicU64::new(capacity), capacity, deposit: (ratio * MILLI as f64).round() as u64 }
    }

    /// One call's deposit. A full bucket is only read, so the success path does not write a
    /// shared cache line in steady state.
    pub fn deposit(&self) {
        if self.deposit == 0 || self.milli.load(Ordering::Relaxed) >= self.capacity {
            return;
        }
        let _ = self.milli.fetch_update(Ordering::Relaxed, Ordering::Relaxed, |t| {
            (t < self.capacity).then(|| (t + self.deposit).min(self.capacity))
        });
    }

    /// Gives back the token of a retry that succeeded (up to capacity).
    pub fn refund(&self) {
        let _ = self.milli.fetch_update(Ordering::Relaxed, Ordering::Relaxed, |t| {
            (t < self.capacity).then(|| (t + MILLI).min(self.capacity))
        });
    }

    /// Takes one token for a retry; `false` when fewer than one is left.
    pub fn try_withdraw(&self) -> bool {
        self.milli.fetch_update(Ordering::Relaxed, Ordering::Relaxed, |t| t.checked_sub(MILLI)).is_ok()
    }

    pub fn tokens(&self) -> f64 {
        self.milli.load(Ordering::Relaxed) as f64 / MILLI as f64
    }
}

/// Why the policy did not retry an internal-server error, or why a call ended in an error.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum GiveUpReason {
    /// The operation is not retry-safe and the config does not allow retrying it.
    NotRetrySafe,
    /// The call used its `max_attempts` for internal-server errors.
    MaxAttempts,
    /// The next retry would end past the call's time budget.
    TimeBudget,
    /// The service's retry budget is empty.
    RetryBudget,
    /// The policy allowed a retry but the SDK did not make it: its retry quota (the token bucket
    /// of the retry partition) was empty, or its classifiers found the error not retryable.
    SdkRefused,
    /// The last error was not an internal-server error: the client's own retry configuration
    /// decided, and the call ended with that error.
    ClientPolicy,
}

impl GiveUpReason {
    /// A stable snake-case name: the `reason` log field and metric label.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::NotRetrySafe => "not_retry_safe",
            Self::MaxAttempts => "max_attempts",
            Self::TimeBudget => "time_budget",
            Self::RetryBudget => "retry_budget",
            Self::SdkRefused => "sdk_refused",
            Self::ClientPolicy => "client_policy",
        }
    }
}

/// What the policy decided for one failed attempt.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Decision {
    /// Retry after exactly `delay`.
    Retry { delay: Duration },
    /// Do not retry.
    GiveUp(GiveUpReason),
    /// Not an internal-server error: the client's own retry configuration decides.
    ClientPolicy,
}

impl Decision {
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Retry { .. } => "retry",
            Self::GiveUp(_) => "give_up",
            Self::ClientPolicy => "client_policy",
        }
    }
}

/// The inputs of one decision beyond the settings and the record.
pub(crate) struct DecisionInput {
    /// Internal-server errors this call has had, this one included.
    pub internal_failures: u32,
    /// Time since the call's first attempt, when a time budget applies.
    pub elapsed: Option<Duration>,
    /// A uniform sample from `[0, 1)` for jitter.
    pub jitter_sample: f64,
}

/// The policy's rule for one failed attempt. Checks run in this order, and the first that fails
/// gives the reason: retry safety, attempts, time budget, retry budget (last, so a token is only
/// taken for a retry that will be made).
pub(crate) fn decide(
    settings: &Settings,
    error: &ClassifiedError<'_>,
    input: &DecisionInput,
    budget: Option<&RetryBudget>,
) -> Decision {
    if error.class != ErrorClass::InternalServerError {
        return Decision::ClientPolicy;
    }
    if !error.retry_safety.is_retry_safe() && !settings.retry_non_idempotent {
        return Decision::GiveUp(GiveUpReason::NotRetrySafe);
    }
    if input.internal_failures >= settings.max_attempts {
        return Decision::GiveUp(GiveUpReason::MaxAttempts);
    }
    let delay = match error.retry_hint.filter(|_| settings.honour_retry_hint) {
        Some(hint) => hint.min(settings.max_retry_hint),
        None => {
            let exponent = input.internal_failures.saturating_sub(1).min(31);
            let cap = settings.initial_backoff.saturating_mul(1 << exponent).min(settings.max_backoff);
            match settings.jitter {
                Jitter::Full => cap.mul_f64(input.jitter_sample.clamp(0.0, 1.0)),
                Jitter::None => cap,
            }
        }
    };
    if let (Some(budget), Some(elapsed)) = (settings.time_budget, input.elapsed) {
        if elapsed.saturating_add(delay) >= budget {
            return Decision::GiveUp(GiveUpReason::TimeBudget);
        }
    }
    if let Some(budget) = budget {
        if !budget.try_withdraw() {
            return Decision::GiveUp(GiveUpReason::RetryBudget);
        }
    }
    Decision::Retry { delay }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::RetrySafety;

    fn settings() -> Settings {
        Settings {
            max_attempts: 4,
            initial_backoff: Duration::from_millis(100),
            max_backoff: Duration::from_millis(300),
            jitter: Jitter::None,
            time_budget: None,
            retry_non_idempotent: false,
            honour_retry_hint: true,
            max_retry_hint: Duration::from_secs(2),
        }
    }

    fn internal(safety: RetrySafety) -> ClassifiedError<'static> {
        let mut e = ClassifiedError::bare(ErrorClass::InternalServerError);
        e.retry_safety = safety;
        e
    }

    fn input(internal_failures: u32) -> DecisionInput {
        DecisionInput { internal_failures, elapsed: None, jitter_sample: 0.5 }
    }

    #[test]
    fn backoff_doubles_up_to_the_cap() {
        let e = internal(RetrySafety::Readonly);
        let delays: Vec<_> = (1..=3).map(|n| decide(&settings(), &e, &input(n), None)).collect();
        let ms = |d| Decision::Retry { delay: Duration::from_millis(d) };
        assert_eq!(delays, [ms(100), ms(200), ms(300)]);
        assert_eq!(decide(&settings(), &e, &input(4), None), Decision::GiveUp(GiveUpReason::MaxAttempts));
    }

    #[test]
    fn full_jitter_scales_the_cap() {
        let s = Settings { jitter: Jitter::Full, ..settings() };
        let d = decide(&s, &internal(RetrySafety::Readonly), &input(2), None);
        assert_eq!(d, Decision::Retry { delay: Duration::from_millis(100) });
    }

    #[test]
    fn not_retry_safe_is_refused_unless_allowed() {
        let e = internal(RetrySafety::NotRetrySafe);
        assert_eq!(decide(&settings(), &e, &input(1), None), Decision::GiveUp(GiveUpReason::NotRetrySafe));
        let s = Settings { retry_non_idempotent: true, ..settings() };
        assert!(matches!(decide(&s, &e, &input(1), None), Decision::Retry { .. }));
        let unmodeled = internal(RetrySafety::Unmodeled);
        assert_eq!(decide(&settings(), &unmodeled, &input(1), None), Decision::GiveUp(GiveUpReason::NotRetrySafe));
    }

    #[test]
    fn other_classes_are_left_to_the_client() {
        for class in [ErrorClass::Throttling, ErrorClass::ClientError, ErrorClass::Transient, ErrorClass::Unknown] {
            let e = ClassifiedError::bare(class);
            assert_eq!(decide(&settings(), &e, &input(1), None), Decision::ClientPolicy);
        }
    }

    #[test]
    fn retry_hint_is_honoured_within_bounds() {
        let e = internal(RetrySafety::Readonly).with_retry_hint(Some(Duration::from_secs(1)));
        assert_eq!(decide(&settings(), &e, &input(1), None), Decision::Retry { delay: Duration::from_secs(1) });
        let long = internal(RetrySafety::Readonly).with_retry_hint(Some(Duration::from_secs(60)));
        assert_eq!(decide(&settings(), &long, &input(1), None), Decision::Retry { delay: Duration::from_secs(2) });
        let ignored = Settings { honour_retry_hint: false, ..settings() };
        assert_eq!(decide(&ignored, &e, &input(1), None), Decision::Retry { delay: Duration::from_millis(100) });
    }

    #[test]
    fn time_budget_stops_a_retry_that_would_end_past_it() {
        let s = Settings { time_budget: Some(Duration::from_millis(500)), ..settings() };
        let e = internal(RetrySafety::Readonly);
        let at = |ms| DecisionInput { elapsed: Some(Duration::from_millis(ms)), ..input(2) };
        assert_eq!(decide(&s, &e, &at(250), None), Decision::Retry { delay: Duration::from_millis(200) });
        assert_eq!(decide(&s, &e, &at(300), None), Decision::GiveUp(GiveUpReason::TimeBudget));
    }

    #[test]
    fn retry_budget_limits_retries_to_the_ratio_of_calls() {
        let budget = RetryBudget::new(2, 0.5);
        let e = internal(RetrySafety::Readonly);
        assert!(matches!(decide(&settings(), &e, &input(1), Some(&budget)), Decision::Retry { .. }));
        assert!(matches!(decide(&settings(), &e, &input(1), Some(&budget)), Decision::Retry { .. }));
        assert_eq!(decide(&settings(), &e, &input(1), Some(&budget)), Decision::GiveUp(GiveUpReason::RetryBudget));
        budget.deposit();
        assert_eq!(budget.tokens(), 0.5);
        budget.deposit();
        assert!(matches!(decide(&settings(), &e, &input(1), Some(&budget)), Decision::Retry { .. }));
        for _ in 0..10 {
            budget.deposit();
        }
        assert_eq!(budget.tokens(), 2.0, "deposits stop at capacity");
    }

    #[test]
    fn a_successful_retry_gets_its_token_back() {
        let budget = RetryBudget::new(2, 0.0);
        assert!(budget.try_withdraw());
        assert!(budget.try_withdraw());
        assert!(!budget.try_withdraw(), "empty");
        budget.refund();
        assert_eq!(budget.tokens(), 1.0);
        budget.refund();
        budget.refund();
        assert_eq!(budget.tokens(), 2.0, "refunds stop at capacity");
    }

    #[test]
    fn a_refusal_does_not_spend_the_retry_budget() {
        let budget = RetryBudget::new(1, 0.0);
        let e = internal(RetrySafety::NotRetrySafe);
        decide(&settings(), &e, &input(1), Some(&budget));
        assert_eq!(budget.tokens(), 1.0);
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
