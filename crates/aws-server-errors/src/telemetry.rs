//! Names of the metrics and log fields, and the one place that emits them: every metric and log
//! event of the crate is recorded here, from what the policy's other modules return (a
//! classified attempt, a decision, a transition, an incident report). [metrics.md](https://github.com/aws-server-errors/aws-server-errors/blob/main/docs/metrics.md) documents each one.
//!
//! Metrics go through the [`metrics`] facade: install any recorder (Prometheus, OpenTelemetry,
//! ...) and they appear there. Logs go through [`tracing`] under the target
//! [`LOG_TARGET`]. Attribute names follow the OpenTelemetry semantic conventions for RPC and
//! AWS SDK spans (`rpc.system`, `rpc.service`, `rpc.method`, `aws.request_id`, `error.type`,
//! `http.response.status_code`). No label ever carries a request id.

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use metrics::{counter, gauge, histogram, Key, Label, Level, Unit};

use crate::adapter::ClassifiedError;
use crate::catalog::{RetrySafety, ServiceCatalog};
use crate::decide::Decision;
use crate::incident::{IncidentReport, Trigger};
use crate::vocab::{CircuitState, ErrorClass, GiveUpReason, Outcome, Transition, TransitionReason};

/// The `tracing` target of every event this crate emits.
pub const LOG_TARGET: &str = "aws_server_errors";

/// Counter: failed attempts, classified. Labels: `rpc.service`, `rpc.method`, `error.class`,
/// `error.type`, `classifier` (`typed`: by the SDK's typed errors, through an adapter crate;
/// `generic`: from the raw response, through the table of every service).
pub const ATTEMPT_ERRORS: &str = "aws.server_errors.attempt_errors";
/// Counter: retries performed (an attempt after the first). Labels: `rpc.service`, `rpc.method`,
/// `error.class` (of the attempt that was retried).
pub const RETRIES: &str = "aws.server_errors.retries";
/// Counter: calls that ended in an error other than a client error (those are counted in
/// [`CALLS`] with the outcome `client_error` only). Labels: `rpc.service`, `rpc.method`,
/// `reason`.
pub const GIVE_UPS: &str = "aws.server_errors.give_ups";
/// Histogram, seconds: the delay before each retry of an internal-server error, as the policy
/// chose it (the SDK waits exactly that). Retries the client's own retry config decides (throttling,
/// ...) are counted in [`RETRIES`] but have no sample here: their jitter is the SDK's and not
/// visible to an interceptor. Labels: `rpc.service`, `rpc.method`.
pub const RETRY_DELAY: &str = "aws.server_errors.retry_delay";

/// Counter: calls, by how they ended. Labels: `rpc.service`, `rpc.method`, `outcome`: `ok`
/// (first attempt), `ok_after_retries`, `client_error` (the call ended with a modeled client
/// fault, such as DynamoDB's `ConditionalCheckFailedException`: an answer about the caller's
/// input or the resource, not a give-up, and not counted in [`GIVE_UPS`]), `failed` (any other
/// error reached the caller), `failed_fast` (the circuit breaker refused the call; no attempt was
/// sent). The denominator of every ratio:
/// internal-error rate, retry rate, give-up ratio. Every call of an enabled service is counted,
/// whatever its errors; a client with the policy registered twice counts its calls twice.
pub const CALLS: &str = "aws.server_errors.calls";
/// Histogram, attempts: requests sent per call (1 for a call that succeeded or failed at once;
/// 0 for a call failed fast). Recorded once per call, like [`CALLS`]. Labels: `rpc.service`,
/// `rpc.method`.
pub const CALL_ATTEMPTS: &str = "aws.server_errors.call.attempts";
/// Gauge, tokens: what is left in a service's retry budget (each policy retry takes 1). Set when
/// the policy is created and at every change. Labels: `rpc.service`, `policy` (the policy's
/// [`name`](crate::PolicyConfig::name): each policy has its own budget).
pub const RETRY_BUDGET_TOKENS: &str = "aws.server_errors.retry_budget.tokens";

/// Gauge: the state of a service's circuit breaker, 0 closed, 1 half-open, 2 open. Set when the
/// policy is created and at every change. Labels: `rpc.service`, `policy` (the policy's
/// [`name`](crate::PolicyConfig::name): each policy has its own breaker).
pub const CIRCUIT_STATE: &str = "aws.server_errors.circuit.state";
/// Counter: circuit breaker state changes. Labels: `rpc.service`, `from`, `to`.
pub const CIRCUIT_TRANSITIONS: &str = "aws.server_errors.circuit.transitions";
/// Counter: calls the circuit breaker failed fast (no attempt sent), and retries it stopped
/// when they were about to be sent (the breaker opened during their backoff). Labels:
/// `rpc.service`, `rpc.method`.
pub const FAILED_FAST: &str = "aws.server_errors.circuit.failed_fast";

/// Recommended histogram buckets for [`RETRY_DELAY`], seconds: from the 5 ms a first retry may
/// wait (full jitter below the 100 ms default `initial_backoff`) to the 30 s a server hint may
/// ask for (`retry_hint.max`). For exporters that need explicit buckets, e.g.
/// `metrics-exporter-prometheus`'s `set_buckets_for_metric`.
pub const RETRY_DELAY_BUCKETS: &[f64] = &[0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0];
/// Recommended histogram buckets for [`CALL_ATTEMPTS`]: one per attempt up to 5, then the
/// largest `max_attempts` values (10, and 20, the limit).
pub const CALL_ATTEMPTS_BUCKETS: &[f64] = &[0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 10.0, 20.0];

use crate::sanitize::bounded;
pub use crate::sanitize::MAX_LOGGED_VALUE;

/// Registers descriptions and units of the metrics with the installed recorder: call it once,
/// after installing the recorder and before the first call. Metrics are recorded without it,
/// but exporters read units and help text from it: `metrics-exporter-prometheus` with
/// recommended naming names the delay histogram `aws_server_errors_retry_delay_seconds` only
/// when its unit is described (`..._retry_delay` without), and prints no `# HELP` lines;
/// CloudWatch EMF gets no units; the OpenTelemetry bridge in the examples needs it before the
/// policy is created. [metrics.md](https://github.com/aws-server-errors/aws-server-errors/blob/main/docs/metrics.md) lists the names with and without it.
///
/// ```
/// let recorder = metrics_util::debugging::DebuggingRecorder::new();
/// let snapshotter = recorder.snapshotter();
/// metrics::with_local_recorder(&recorder, || {
///     aws_server_errors::telemetry::describe_metrics();
///     metrics::counter!(aws_server_errors::telemetry::CALLS).increment(1);
/// });
/// let (_, unit, description, _) = snapshotter.snapshot().into_vec().pop().unwrap();
/// assert_eq!((unit, description.as_deref()), (Some(metrics::Unit::Count), Some("Calls, by outcome")));
/// ```
pub fn describe_metrics() {
    metrics::describe_counter!(CALLS, Unit::Count, "Calls, by outcome");
    metrics::describe_histogram!(CALL_ATTEMPTS, Unit::Count, "Attempts per call");
    metrics::describe_gauge!(RETRY_BUDGET_TOKENS, Unit::Count, "Tokens left in the retry budget");
    metrics::describe_counter!(ATTEMPT_ERRORS, Unit::Count, "Failed attempts, classified by the shared taxonomy");
    metrics::describe_counter!(RETRIES, Unit::Count, "Retries performed");
    metrics::describe_counter!(GIVE_UPS, Unit::Count, "Calls that ended in an error, by reason");
    metrics::describe_histogram!(RETRY_DELAY, Unit::Seconds, "Delay before a retry");
    metrics::describe_gauge!(CIRCUIT_STATE, Unit::Count, "Circuit breaker state: 0 closed, 1 half-open, 2 open");
    metrics::describe_counter!(CIRCUIT_TRANSITIONS, Unit::Count, "Circuit breaker state changes");
    metrics::describe_counter!(
        FAILED_FAST,
        Unit::Count,
        "Calls the circuit breaker failed fast, and retries it stopped before they were sent"
    );
}

/// `tracing::event!` at a level known only at run time (the macro takes a constant one): one
/// arm per level, each evaluating the fields only when its level is enabled.
macro_rules! event_at {
    ($level:expr, $($event:tt)+) => {
        match $level {
            tracing::Level::ERROR => tracing::event!(target: $crate::telemetry::LOG_TARGET, tracing::Level::ERROR, $($event)+),
            tracing::Level::WARN => tracing::event!(target: $crate::telemetry::LOG_TARGET, tracing::Level::WARN, $($event)+),
            tracing::Level::INFO => tracing::event!(target: $crate::telemetry::LOG_TARGET, tracing::Level::INFO, $($event)+),
            tracing::Level::DEBUG => tracing::event!(target: $crate::telemetry::LOG_TARGET, tracing::Level::DEBUG, $($event)+),
            _ => tracing::event!(target: $crate::telemetry::LOG_TARGET, tracing::Level::TRACE, $($event)+),
        }
    };
}

/// What the observer keeps for one service of one policy, beside the engine's state of it (which
/// holds none of it): the service's metric series, the policy's name (the `policy` label of its
/// gauges) and the level of a call's client-error event. Made with the state, at the policy's
/// first registration on the service.
#[derive(Debug)]
pub(crate) struct Observer {
    metrics: MetricSeries,
    policy: Arc<str>,
    client_error_log: Option<tracing::Level>,
}

impl Observer {
    /// `classifier`: how the service's errors are classified (`Service::classifier`).
    pub fn new(
        catalog: &'static ServiceCatalog,
        classifier: &'static str,
        policy: Arc<str>,
        client_error_log: Option<tracing::Level>,
    ) -> Self {
        Self { metrics: MetricSeries::new(catalog).classified_by(classifier), policy, client_error_log }
    }

    /// The service's metric series.
    pub fn metrics(&self) -> &MetricSeries {
        &self.metrics
    }

    /// The level of a call's log event when it ends with a client error; `None`: no event.
    pub fn client_error_log(&self) -> Option<tracing::Level> {
        self.client_error_log
    }

    /// Reports a breaker transition and what it caused (the state's `Transitioned`): its metrics
    /// and log, each listener that panicked, and the incident report the breaker opened on.
    pub fn transitioned(
        &self,
        service: &'static str,
        t: Transition,
        report: Option<&IncidentReport>,
        listener_panics: usize,
    ) {
        record_transition(service, &self.policy, t);
        for _ in 0..listener_panics {
            listener_panicked(service);
        }
        if let Some(report) = report {
            incident_report(service, Trigger::BreakerOpened, report);
        }
    }

    /// Logs an operation the catalog does not know, the first time the state resolves it
    /// (`first_seen`).
    pub fn resolved(&self, name: &str, first_seen: bool) {
        if first_seen {
            unknown_operation(self.metrics.catalog, name);
        }
    }
}

/// Logs an incident report (WARN, in its one-line form) when the breaker opens or the retry
/// budget runs dry, once per incident and trigger.
pub(crate) fn incident_report(service: &'static str, trigger: Trigger, report: &IncidentReport) {
    let trigger = match trigger {
        Trigger::BreakerOpened => "circuit_opened",
        Trigger::BudgetEmpty => "retry_budget_empty",
    };
    tracing::event!(
        target: LOG_TARGET,
        tracing::Level::WARN,
        rpc.service = service,
        trigger,
        failed_attempts = report.total(),
        report = %format_args!("{report:#}"),
        advice = "if they go on, check the AWS Health Dashboard and open a support case with this report",
        "internal errors persist"
    );
}

/// Logs a circuit-event listener that panicked (ERROR); the listener is skipped.
fn listener_panicked(service: &'static str) {
    tracing::event!(target: LOG_TARGET, tracing::Level::ERROR, rpc.service = service, "circuit event listener panicked");
}

/// Logs an operation the service's catalog does not know (WARN), once per name.
fn unknown_operation(catalog: &ServiceCatalog, name: &str) {
    tracing::event!(
        target: LOG_TARGET,
        tracing::Level::WARN,
        rpc.service = catalog.service,
        rpc.method = bounded(name).as_ref(),
        sdk_crate = catalog.sdk_crate,
        catalog_version = catalog.sdk_version,
        retry_safety = RetrySafety::Unmodeled.as_str(),
        "operation unknown to the catalog"
    );
}

/// Logs a policy registered on a client of a service it was not given (WARN), once per service.
pub(crate) fn registered_outside_given(service: &'static str, given: &str) {
    tracing::event!(
        target: LOG_TARGET,
        tracing::Level::WARN,
        rpc.service = service,
        given,
        "policy registered on a service not given to with_services; it acts with the top-level settings"
    );
}

/// Logs a client registered through the table of every service whose service the table does not
/// know (WARN, once per registration): the policy acts on it with what every service shares.
/// `service` is the name the SDK's generated code reports, bounded as any other logged value.
pub(crate) fn unknown_service(service: &str) {
    tracing::event!(
        target: LOG_TARGET,
        tracing::Level::WARN,
        rpc.service = &*bounded(service),
        "no facts about this service (an SDK crate newer than aws-server-errors-services?): its errors are classified by status and the SDK's own codes, and an operation is retry-safe only by an idempotent HTTP method"
    );
}

/// Logs a call that failed (WARN), after its last attempt: not for a client error.
pub(crate) fn call_failed(
    service: &'static str,
    operation: &'static str,
    error_type: &str,
    class: ErrorClass,
    attempts: u32,
    reason: GiveUpReason,
) {
    tracing::event!(
        target: LOG_TARGET,
        tracing::Level::WARN,
        rpc.system = "aws-api",
        rpc.service = service,
        rpc.method = operation,
        error.type = error_type,
        error.class = class.as_str(),
        attempts,
        outcome = "failure",
        reason = reason.as_str(),
        "call failed"
    );
}

/// Logs a call that ended with a client error, at `level`.
pub(crate) fn call_client_error(
    level: tracing::Level,
    service: &'static str,
    operation: &'static str,
    error_type: &str,
    attempts: u32,
) {
    event_at!(
        level,
        rpc.system = "aws-api",
        rpc.service = service,
        rpc.method = operation,
        error.type = error_type,
        error.class = ErrorClass::ClientError.as_str(),
        attempts,
        outcome = Outcome::ClientError.as_str(),
        "call failed with a client error"
    );
}

/// Logs a call that succeeded after retries (INFO).
pub(crate) fn call_succeeded_after_retries(service: &'static str, operation: &'static str, attempts: u32) {
    tracing::event!(
        target: LOG_TARGET,
        tracing::Level::INFO,
        rpc.system = "aws-api",
        rpc.service = service,
        rpc.method = operation,
        attempts,
        outcome = "success",
        "call succeeded after retries"
    );
}

/// Logs and counts a circuit breaker transition: WARN when it opens, INFO otherwise.
fn record_transition(service: &'static str, policy: &str, t: Transition) {
    counter!(CIRCUIT_TRANSITIONS, "rpc.service" => service, "from" => t.from.as_str(), "to" => t.to.as_str())
        .increment(1);
    record_circuit_state(service, policy, t.to);
    let break_ms = (t.reason != TransitionReason::Isolated).then_some(t.break_duration.as_millis() as u64);
    let reason = t.reason.as_str();
    if t.to == CircuitState::Open {
        tracing::event!(target: LOG_TARGET, tracing::Level::WARN, rpc.service = service, from = t.from.as_str(), reason, break_ms, "circuit opened");
    } else {
        tracing::event!(target: LOG_TARGET, tracing::Level::INFO, rpc.service = service, from = t.from.as_str(), to = t.to.as_str(), reason, "circuit state changed");
    }
}

/// Reports a breaker's state (at creation, and at every transition).
pub(crate) fn record_circuit_state(service: &'static str, policy: &str, state: CircuitState) {
    gauge!(CIRCUIT_STATE, "rpc.service" => service, "policy" => policy.to_owned()).set(state.gauge_value());
}

/// A retry the breaker stopped when it was about to be sent; the call itself is counted as
/// failed when it ends.
pub(crate) fn record_retry_refused(service: &'static str, method: &'static str) {
    counter!(FAILED_FAST, "rpc.service" => service, "rpc.method" => method).increment(1);
}

pub(crate) fn record_failed_fast(series: &MetricSeries, operation: usize, method: &'static str) {
    counter!(FAILED_FAST, "rpc.service" => series.catalog.service, "rpc.method" => method).increment(1);
    record_call(series, operation, method, Outcome::FailedFast, 0);
}

/// The series of one service's operations, built once and reused, so that recording a metric
/// builds no label vector and hashes no key: the [`CALLS`] and [`CALL_ATTEMPTS`] series of every
/// operation (every call records there), built at the first call; and the series of the error
/// path ([`ATTEMPT_ERRORS`], [`RETRIES`], [`RETRY_DELAY`], [`GIVE_UPS`]) of each operation, built
/// at its first failed attempt. Kept in the policy's state of the service (bounded by its
/// operations). An operation the catalog does not know records through the `metrics` macros.
#[derive(Debug)]
pub(crate) struct MetricSeries {
    catalog: &'static ServiceCatalog,
    /// How the service's errors are classified: `"typed"` or `"generic"`.
    classifier: &'static str,
    keys: OnceLock<Box<[CallKeys]>>,
    /// One slot per operation of the catalog.
    errors: Box<[OnceLock<Box<ErrorKeys>>]>,
}

impl MetricSeries {
    pub fn new(catalog: &'static ServiceCatalog) -> Self {
        let errors = catalog.operations.iter().map(|_| OnceLock::new()).collect();
        Self { catalog, classifier: "typed", keys: OnceLock::new(), errors }
    }

    /// The series of a service classified `classifier` (`"typed"` or `"generic"`).
    pub fn classified_by(mut self, classifier: &'static str) -> Self {
        self.classifier = classifier;
        self
    }

    /// The keys of every operation of the catalog, in catalog order.
    fn keys(&self) -> &[CallKeys] {
        self.keys.get_or_init(|| {
            let catalog = self.catalog;
            catalog
                .operations
                .iter()
                .map(|op| CallKeys {
                    calls: Outcome::ALL.map(|o| key(CALLS, catalog.service, op.name, &[("outcome", o.as_str())])),
                    attempts: key(CALL_ATTEMPTS, catalog.service, op.name, &[]),
                })
                .collect()
        })
    }

    /// The error-path keys of the operation at `operation`; `None` past the catalog.
    fn errors(&self, operation: usize) -> Option<&ErrorKeys> {
        let service = self.catalog.service;
        let method = self.catalog.operations.get(operation)?.name;
        Some(self.errors[operation].get_or_init(|| {
            Box::new(ErrorKeys {
                attempt_errors: Default::default(),
                retries: ErrorClass::ALL.map(|c| key(RETRIES, service, method, &[("error.class", c.as_str())])),
                retry_delay: key(RETRY_DELAY, service, method, &[]),
                give_ups: GiveUpReason::ALL.map(|r| key(GIVE_UPS, service, method, &[("reason", r.as_str())])),
            })
        }))
    }
}

/// The key of series `name` of one operation, with the `extra` labels after `rpc.service` and
/// `rpc.method`.
fn key(name: &'static str, service: &'static str, method: &'static str, extra: &[(&'static str, &'static str)]) -> Key {
    let mut labels =
        vec![Label::from_static_parts("rpc.service", service), Label::from_static_parts("rpc.method", method)];
    labels.extend(extra.iter().map(|&(k, v)| Label::from_static_parts(k, v)));
    Key::from_parts(name, labels)
}

/// The error-path series of one operation.
#[derive(Debug)]
struct ErrorKeys {
    /// [`ATTEMPT_ERRORS`] by class ([`ErrorClass::index`]), for the first `error.type` seen with
    /// that class (the operation's one error of the class, as a rule); other types build theirs.
    attempt_errors: [OnceLock<Key>; ErrorClass::ALL.len()],
    /// [`RETRIES`] by the retried attempt's class.
    retries: [Key; ErrorClass::ALL.len()],
    retry_delay: Key,
    /// [`GIVE_UPS`] by reason ([`GiveUpReason::index`]).
    give_ups: [Key; GiveUpReason::ALL.len()],
}

/// Counts one call and its attempts. `method` is the operation at `operation` in the catalog, or,
/// for an index past the catalog's operations, an operation the catalog does not know.
pub(crate) fn record_call(
    series: &MetricSeries,
    operation: usize,
    method: &'static str,
    outcome: Outcome,
    attempts: u32,
) {
    match series.keys().get(operation) {
        Some(keys) => metrics::with_recorder(|recorder| {
            recorder.register_counter(&keys.calls[outcome.index()], &METADATA).increment(1);
            recorder.register_histogram(&keys.attempts, &METADATA).record(attempts);
        }),
        None => {
            let service = series.catalog.service;
            counter!(CALLS, "rpc.service" => service, "rpc.method" => method, "outcome" => outcome.as_str())
                .increment(1);
            histogram!(CALL_ATTEMPTS, "rpc.service" => service, "rpc.method" => method).record(attempts);
        }
    }
}

/// What the `metrics` macros would pass for this crate's metrics.
static METADATA: metrics::Metadata<'static> = metrics::Metadata::new(module_path!(), Level::INFO, Some(module_path!()));

/// The keys of one operation's [`CALLS`] series (one per [`Outcome`], in declaration order) and
/// its [`CALL_ATTEMPTS`] series.
#[derive(Debug)]
struct CallKeys {
    calls: [Key; Outcome::ALL.len()],
    attempts: Key,
}

/// The key of a service's [`RETRY_BUDGET_TOKENS`] gauge (built once per service, when the policy
/// creates its budget).
pub(crate) fn budget_tokens_key(service: &'static str, policy: &str) -> Key {
    Key::from_parts(
        RETRY_BUDGET_TOKENS,
        vec![Label::from_static_parts("rpc.service", service), Label::new("policy", policy.to_owned())],
    )
}

/// Reports the tokens left in a service's retry budget.
pub(crate) fn record_budget_tokens(key: &Key, tokens: f64) {
    metrics::with_recorder(|recorder| recorder.register_gauge(key, &METADATA).set(tokens));
}

/// Counts one failed attempt of the operation at `operation` (named `method`).
pub(crate) fn record_attempt_error(
    series: &MetricSeries,
    operation: usize,
    method: &'static str,
    class: ErrorClass,
    error_type: &'static str,
) {
    let cached = series.errors(operation).map(|keys| {
        keys.attempt_errors[class.index()].get_or_init(|| {
            let labels =
                [("error.class", class.as_str()), ("error.type", error_type), ("classifier", series.classifier)];
            key(ATTEMPT_ERRORS, series.catalog.service, method, &labels)
        })
    });
    // The cached key serves the error type it was built with, the first the class met; another
    // type of the same class (rare: two modeled internal errors) builds its key each time.
    let same_type = |key: &&Key| key.labels().any(|l| l.key() == "error.type" && l.value() == error_type);
    match cached.filter(same_type) {
        Some(key) => metrics::with_recorder(|recorder| recorder.register_counter(key, &METADATA).increment(1)),
        None => counter!(ATTEMPT_ERRORS, "rpc.service" => series.catalog.service, "rpc.method" => method,
            "error.class" => class.as_str(), "error.type" => error_type, "classifier" => series.classifier)
        .increment(1),
    }
}

/// Counts a retry of the operation at `operation`, sent after an attempt of class `class`, and
/// its delay if the policy chose it.
pub(crate) fn record_retry(
    series: &MetricSeries,
    operation: usize,
    method: &'static str,
    class: ErrorClass,
    delay: Option<Duration>,
) {
    match series.errors(operation) {
        Some(keys) => metrics::with_recorder(|recorder| {
            recorder.register_counter(&keys.retries[class.index()], &METADATA).increment(1);
            if let Some(delay) = delay {
                recorder.register_histogram(&keys.retry_delay, &METADATA).record(delay.as_secs_f64());
            }
        }),
        None => {
            let service = series.catalog.service;
            counter!(RETRIES, "rpc.service" => service, "rpc.method" => method, "error.class" => class.as_str())
                .increment(1);
            if let Some(delay) = delay {
                histogram!(RETRY_DELAY, "rpc.service" => service, "rpc.method" => method).record(delay.as_secs_f64());
            }
        }
    }
}

/// Counts a call of the operation at `operation` that ended in an error, by `reason`.
pub(crate) fn record_give_up(series: &MetricSeries, operation: usize, method: &'static str, reason: GiveUpReason) {
    match series.errors(operation) {
        Some(keys) => metrics::with_recorder(|recorder| {
            recorder.register_counter(&keys.give_ups[reason.index()], &METADATA).increment(1);
        }),
        None => counter!(GIVE_UPS, "rpc.service" => series.catalog.service, "rpc.method" => method,
            "reason" => reason.as_str())
        .increment(1),
    }
}

/// One event per failed attempt of the operation at `operation` in the catalog: at
/// `client_error_log` for a client error (none when `None`), WARN when the policy gives up, INFO
/// otherwise. Server-controlled values are bounded ([`bounded`]); the message and the
/// body are never logged. The fields are computed only when a subscriber wants the event.
pub(crate) fn report_attempt(
    series: &MetricSeries,
    operation: usize,
    record: &ClassifiedError<'_>,
    attempt: u32,
    max_attempts: u32,
    decision: Decision,
    client_error_log: Option<tracing::Level>,
) {
    record_attempt_error(series, operation, record.operation, record.class, record.error_type());
    let delay_ms = match decision {
        Decision::Retry { delay } => Some(delay.as_millis() as u64),
        _ => None,
    };
    let reason = match decision {
        Decision::GiveUp(reason) => Some(reason.as_str()),
        _ => None,
    };
    // A client error is the caller's answer whatever was decided after it (a spent time budget
    // may still stop a retry of a retryable one): the call ends as `client_error`, not a give-up.
    let level = match decision {
        _ if record.class == ErrorClass::ClientError => client_error_log,
        Decision::GiveUp(_) => Some(tracing::Level::WARN),
        _ => Some(tracing::Level::INFO),
    };
    // The field expressions are evaluated only when the event is enabled.
    if let Some(level) = level {
        event_at!(
            level,
            rpc.system = "aws-api",
            rpc.service = record.service,
            rpc.method = record.operation,
            aws.request_id = record.request_id.map(bounded).as_deref(),
            error.type = record.error_type(),
            error.class = record.class.as_str(),
            classifier = series.classifier,
            error.detail = record.detail.map(|d| format!("{}={}", d.member, bounded(d.value))),
            http.response.status_code = record.http_status,
            failure = record.failure.as_str(),
            may_have_been_applied = record.may_have_been_applied(),
            retry_safety = record.retry_safety.as_str(),
            attempt,
            max_attempts,
            decision = decision.as_str(),
            delay_ms,
            reason,
            "attempt failed"
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn call_keys_are_indexed_by_outcome() {
        let pinpoint = crate::testing::PINPOINT.catalog();
        let calls = MetricSeries::new(pinpoint);
        let keys = calls.keys();
        assert_eq!(keys.len(), pinpoint.operations.len());
        let get_app = pinpoint.operation_index("GetApp").unwrap();
        for outcome in Outcome::ALL {
            let key = &keys[get_app].calls[outcome.index()];
            let labels: Vec<_> = key.labels().map(|l| (l.key(), l.value())).collect();
            assert_eq!(key.name(), CALLS);
            assert_eq!(labels, [("rpc.service", "Pinpoint"), ("rpc.method", "GetApp"), ("outcome", outcome.as_str())]);
        }
    }

    #[test]
    fn class_and_reason_tables_are_indexed_in_order() {
        for (i, class) in ErrorClass::ALL.into_iter().enumerate() {
            assert_eq!(class.index(), i, "{class:?}");
        }
        for (i, outcome) in Outcome::ALL.into_iter().enumerate() {
            assert_eq!(outcome.index(), i, "{outcome:?}");
        }
        for (i, reason) in GiveUpReason::ALL.into_iter().enumerate() {
            assert_eq!(reason.index(), i, "{reason:?}");
        }
    }

    /// The cached series carry the labels the `metrics` macros would give them, and an
    /// `error.type` other than the one cached for its class gets its own series.
    #[test]
    fn the_error_paths_cached_series_are_the_macros_series() {
        use metrics_util::debugging::{DebugValue, DebuggingRecorder};
        use metrics_util::MetricKind;

        let pinpoint = crate::testing::PINPOINT.catalog();
        let series = MetricSeries::new(pinpoint);
        let get_app = pinpoint.operation_index("GetApp").unwrap();
        let past_catalog = pinpoint.operations.len();
        let recorder = DebuggingRecorder::new();
        let snapshotter = recorder.snapshotter();
        metrics::with_local_recorder(&recorder, || {
            let internal = ErrorClass::InternalServerError;
            record_attempt_error(&series, get_app, "GetApp", internal, "InternalServerErrorException");
            record_attempt_error(&series, get_app, "GetApp", internal, "InternalServerErrorException");
            record_attempt_error(&series, get_app, "GetApp", internal, "500");
            record_attempt_error(&series, past_catalog, "NewOperation", internal, "500");
            record_retry(&series, get_app, "GetApp", internal, Some(Duration::from_millis(40)));
            record_retry(&series, past_catalog, "NewOperation", ErrorClass::Throttling, None);
            record_give_up(&series, get_app, "GetApp", GiveUpReason::RetryBudget);
        });
        let mut seen: Vec<(MetricKind, String, Vec<String>, String)> = snapshotter
            .snapshot()
            .into_vec()
            .into_iter()
            .map(|(key, _, _, value)| {
                let (kind, key) = key.into_parts();
                let labels = key.labels().map(|l| format!("{}={}", l.key(), l.value())).collect();
                let value = match value {
                    DebugValue::Counter(n) => n.to_string(),
                    DebugValue::Histogram(samples) => format!("{samples:?}"),
                    DebugValue::Gauge(g) => g.to_string(),
                };
                (kind, key.name().to_owned(), labels, value)
            })
            .collect();
        seen.sort();
        let labels = |method: &str, extra: &[&str]| {
            let mut l = vec!["rpc.service=Pinpoint".to_owned(), format!("rpc.method={method}")];
            l.extend(extra.iter().map(|e| e.to_string()));
            l
        };
        let counter = |name: &str, method: &str, extra: &[&str], n: &str| {
            (MetricKind::Counter, name.to_owned(), labels(method, extra), n.to_owned())
        };
        let class = "error.class=internal_server_error";
        let mut expected = vec![
            counter(
                ATTEMPT_ERRORS,
                "GetApp",
                &[class, "error.type=InternalServerErrorException", "classifier=typed"],
                "2",
            ),
            counter(ATTEMPT_ERRORS, "GetApp", &[class, "error.type=500", "classifier=typed"], "1"),
            counter(ATTEMPT_ERRORS, "NewOperation", &[class, "error.type=500", "classifier=typed"], "1"),
            counter(RETRIES, "GetApp", &[class], "1"),
            counter(RETRIES, "NewOperation", &["error.class=throttling"], "1"),
            counter(GIVE_UPS, "GetApp", &["reason=retry_budget"], "1"),
            (MetricKind::Histogram, RETRY_DELAY.to_owned(), labels("GetApp", &[]), "[0.04]".to_owned()),
        ];
        expected.sort();
        assert_eq!(seen, expected);
    }

    #[test]
    fn server_values_are_bounded_and_sanitised() {
        assert_eq!(bounded("00000000-0000-4000-8000-000000000001"), "00000000-0000-4000-8000-000000000001");
        assert_eq!(bounded("a b\nc"), "a_b_c");
        assert_eq!(bounded("ü-ok"), "_-ok", "a character outside ASCII, one byte or several");
        assert_eq!(bounded("Root=1-abc;Parent=53995c3f"), "Root=1-abc_Parent=53995c3f");
        let long = "x".repeat(70_000);
        let cut = bounded(&long);
        assert_eq!(cut.len(), MAX_LOGGED_VALUE + 3);
        assert!(cut.ends_with("..."));
    }
}

#[cfg(test)]
mod report_tests {
    use std::collections::BTreeMap;
    use std::sync::{Arc, Mutex};
    use std::time::Duration;

    use tracing_subscriber::layer::{Context, SubscriberExt as _};
    use tracing_subscriber::Layer;

    use tracing::Level;

    use super::*;
    use crate::decide::GiveUpReason;

    type Event = (Level, BTreeMap<String, String>);

    /// Each event's level and fields.
    #[derive(Clone, Default)]
    struct Events(Arc<Mutex<Vec<Event>>>);

    impl<S: tracing::Subscriber> Layer<S> for Events {
        fn on_event(&self, event: &tracing::Event<'_>, _: Context<'_, S>) {
            struct Fields(BTreeMap<String, String>);
            impl tracing::field::Visit for Fields {
                fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
                    self.0.insert(field.name().to_owned(), format!("{value:?}"));
                }
                fn record_str(&mut self, field: &tracing::field::Field, value: &str) {
                    self.0.insert(field.name().to_owned(), value.to_owned());
                }
            }
            let mut fields = Fields(BTreeMap::new());
            event.record(&mut fields);
            self.0.lock().unwrap().push((*event.metadata().level(), fields.0));
        }
    }

    /// Reports one attempt of Pinpoint's `GetApp` that failed with `class`, after which the policy
    /// decided `decision`; returns the events logged.
    fn report(class: ErrorClass, decision: Decision, client_error_log: Option<Level>) -> Vec<Event> {
        let catalog = crate::testing::PINPOINT.catalog();
        let series = MetricSeries::new(catalog);
        let mut record = ClassifiedError::bare(class);
        record.service = "Pinpoint";
        record.operation = "GetApp";
        record.http_status = Some(500);
        record.request_id = Some("id with spaces");
        record.retry_safety = RetrySafety::SafeHttpMethod;
        let events = Events::default();
        let subscriber = tracing_subscriber::registry().with(events.clone());
        tracing::subscriber::with_default(subscriber, || {
            report_attempt(&series, 1, &record, 1, 3, decision, client_error_log);
        });
        let events = events.0.lock().unwrap().clone();
        events
    }

    #[test]
    fn a_retry_is_info_a_give_up_warn_and_a_client_error_at_its_configured_level() {
        let retry = Decision::Retry { delay: Duration::from_millis(40) };
        let events = report(ErrorClass::InternalServerError, retry, Some(Level::DEBUG));
        assert_eq!(events.len(), 1);
        let (level, fields) = &events[0];
        assert_eq!(*level, Level::INFO);
        assert_eq!(fields["message"], "attempt failed");
        assert_eq!((fields["decision"].as_str(), fields["delay_ms"].as_str()), ("retry", "40"));
        assert_eq!(fields["aws.request_id"], "id_with_spaces", "a server value, bounded and sanitised");
        assert_eq!((fields["attempt"].as_str(), fields["max_attempts"].as_str()), ("1", "3"));

        let give_up = Decision::GiveUp(GiveUpReason::RetryBudget);
        let events = report(ErrorClass::InternalServerError, give_up, Some(Level::DEBUG));
        assert_eq!(events[0].0, Level::WARN);
        assert_eq!(events[0].1["reason"], "retry_budget");

        // A client error is the caller's answer, whatever was decided: its configured level, or none.
        let events = report(ErrorClass::ClientError, give_up, Some(Level::DEBUG));
        assert_eq!(events[0].0, Level::DEBUG);
        assert!(report(ErrorClass::ClientError, Decision::ClientPolicy, None).is_empty());
    }
}
