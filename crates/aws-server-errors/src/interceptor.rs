//! The `Intercept` implementation that applies a [`ServerErrorPolicy`](crate::ServerErrorPolicy):
//! where the SDK is steered.
//!
//! How the policy reaches the SDK's retry loop: a client's retry strategy is always the SDK's
//! `StandardRetryStrategy`, which reloads `RetryConfig`, `TokenBucket` and `RequestAttempts` from
//! the config bag for every decision, after `read_after_attempt` has run. So after classifying a
//! failed attempt, this interceptor stores values for the rest of the call (in the interceptor
//! layer of the config bag, which lives for one invocation) that make the strategy do what the
//! policy decided:
//!
//! - retry after exactly `d`: `max_attempts = attempt + 1`, `initial_backoff = max_backoff = d`,
//!   static exponential base (the strategy then computes `min(d * 2^k, d) = d`), and a zero-cost
//!   `TokenBucket` for this one decision, so the SDK's retry quota does not refuse what the
//!   policy's own retry budget allowed;
//! - give up: `max_attempts = attempt`;
//! - anything else: the client's own `RetryConfig` and `TokenBucket`, with `RequestAttempts` set
//!   to the attempts that were not internal-server errors, so the client's policy (attempts and
//!   backoff) applies as if those had not happened; and with `max_backoff` cut to what is left
//!   of the call's time budget.
//!
//! On the success path of a call without failures the interceptor stores nothing and takes no
//! lock: it resolves the call's operation (a cache hit, or a binary search) and counts the call
//! (`aws.server_errors.calls`). It does more only when the service has a circuit breaker (which
//! records every outcome, under a mutex), when its retry budget is below capacity (a deposit),
//! or for an operation the catalog does not know (a shared read lock on the names seen).

use std::sync::OnceLock;
use std::time::Duration;

use aws_smithy_runtime::client::retries::TokenBucket;
use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::context::{
    BeforeSerializationInterceptorContextRef, BeforeTransmitInterceptorContextMut, BeforeTransmitInterceptorContextRef,
    FinalizerInterceptorContextRef,
};
use aws_smithy_runtime_api::client::interceptors::{Intercept, OverriddenHooks};
use aws_smithy_runtime_api::client::orchestrator::{Metadata, OrchestratorError};
use aws_smithy_runtime_api::client::retries::RequestAttempts;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::config_bag::{ConfigBag, Storable, StoreReplace};
use aws_smithy_types::retry::RetryConfig;
use tracing::{event, Level};

use crate::adapter::{ClassifiedError, ErrorClass, OperationError, ServiceAdapter};
use crate::breaker::{Admission, CircuitOpen, CircuitState, ProbeGuard};
use crate::budget::RetryToken;
use crate::call::CallOverride;
use crate::classify::classify_attempt;
use crate::clock::CallClock;
use crate::decide::{decide, Decision, DecisionInput, GiveUpReason};
use crate::state::{Operation, ServiceState};
use crate::telemetry::{self, bounded, Outcome, LOG_TARGET};

/// Applies a [`ServerErrorPolicy`](crate::ServerErrorPolicy) to one service's clients.
///
/// Made by the adapter crates' one-call registration. It never changes the request, the response
/// or the error the caller gets, only the retry configuration of the current call; the one
/// exception is a call its circuit breaker fails fast ([`CircuitOpen`]).
///
/// When several instances are registered on one client (the same policy twice, as
/// `config.to_builder().server_error_policy(..)` does, or two policies), the first to see a call
/// owns it; the others stand aside for that call, so nothing is decided or counted twice.
#[doc(hidden)]
#[derive(Debug, Clone)]
pub struct ServerErrorInterceptor {
    adapter: &'static dyn ServiceAdapter,
    state: std::sync::Arc<ServiceState>,
    /// Tells registrations apart.
    id: u64,
}

/// When the call's first attempt was about to start (stored only if a time budget applies).
#[derive(Debug, Clone, Copy)]
struct CallStart(CallClock);

impl Storable for CallStart {
    type Storer = StoreReplace<Self>;
}

/// A half-open probe call: its probe slot, held until the call ends. Closed-state calls store
/// nothing.
#[derive(Debug)]
struct Probe {
    owner: u64,
    _slot: ProbeGuard,
}

impl Storable for Probe {
    type Storer = StoreReplace<Self>;
}

/// The call's one deposit into the retry budget was made.
#[derive(Debug)]
struct Deposited;

impl Storable for Deposited {
    type Storer = StoreReplace<Self>;
}

/// The breakers that have counted the outcome of the call's current attempt, by the address of
/// their service state. Stored only when a service's policy has more than one registration, so
/// that two registrations of one policy on a client count each outcome once.
#[derive(Debug)]
struct BreakerCounted {
    attempt: u32,
    breakers: Vec<usize>,
}

impl Storable for BreakerCounted {
    type Storer = StoreReplace<Self>;
}

/// What this call has seen so far. Stored at its first failed attempt; absent on the success
/// path. Dropped with the call: a retry token it still holds goes back to the budget.
#[derive(Debug)]
struct CallState {
    owner: u64,
    operation: Operation,
    /// The call's `RetryConfig` as it was before the policy touched it (client config and any
    /// `config_override`).
    client_retry: RetryConfig,
    /// The attempts a [`CallOverride`] gives this call.
    call_attempts: Option<u32>,
    /// The retry partition's token bucket, put back after a policy retry.
    client_bucket: Option<TokenBucket>,
    bucket_overridden: bool,
    attempts: u32,
    internal_failures: u32,
    other_failures: u32,
    last_class: ErrorClass,
    last_error_type: String,
    last_decision: Decision,
    /// The budget token of the policy retry decided last, until its outcome is known.
    token: Option<RetryToken>,
    /// A retry may follow the last failure (the policy's or the client config's).
    retry_expected: bool,
    /// That retry was sent (its `read_before_transmit` ran).
    retry_sent: bool,
    /// The last failure was server-side and the operation goes through the breaker: its retry is
    /// checked against the breaker when it is sent.
    retry_needs_admission: bool,
    /// The breaker refused the retry when it was about to be sent: the call ends with
    /// [`CircuitOpen`].
    refused_by_breaker: bool,
}

impl Storable for CallState {
    type Storer = StoreReplace<Self>;
}

/// The zero-cost bucket stored for a policy retry's decision: the SDK's quota is not the policy's.
fn zero_cost_bucket() -> TokenBucket {
    static BUCKET: OnceLock<TokenBucket> = OnceLock::new();
    BUCKET.get_or_init(TokenBucket::unlimited).clone()
}

impl ServerErrorInterceptor {
    pub(crate) fn new(adapter: &'static dyn ServiceAdapter, state: std::sync::Arc<ServiceState>, id: u64) -> Self {
        state.registrations.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        Self { adapter, state, id }
    }

    /// Whether this registration counts the outcome of the call's attempt `attempt` in its
    /// breaker: the first registration of the breaker's policy that sees the attempt does. Free
    /// when the policy has one registration for the service; otherwise a config-bag marker.
    fn owns_breaker_outcome(&self, cfg: &mut ConfigBag, attempt: u32) -> bool {
        if self.state.registrations.load(std::sync::atomic::Ordering::Relaxed) <= 1 {
            return true;
        }
        let me = std::sync::Arc::as_ptr(&self.state) as usize;
        if let Some(counted) = cfg.get_mut_from_interceptor_state::<BreakerCounted>() {
            if counted.attempt == attempt {
                if counted.breakers.contains(&me) {
                    return false;
                }
                counted.breakers.push(me);
                return true;
            }
        }
        cfg.interceptor_state().store_put(BreakerCounted { attempt, breakers: vec![me] });
        true
    }

    /// The call's operation; `None` only when the SDK stored no operation metadata (never for a
    /// generated client). An operation the catalog does not know resolves too: see
    /// [`ServiceState::operation`].
    fn operation_of(&self, cfg: &ConfigBag) -> Option<Operation> {
        cfg.load::<Metadata>().map(|m| self.state.operation(self.adapter.catalog(), m.name()))
    }

    fn service(&self) -> &'static str {
        self.adapter.catalog().service
    }

    /// Whether this call's operation goes through the service's breaker (no lookup when every
    /// operation does).
    fn in_breaker(&self, cfg: &ConfigBag) -> bool {
        if self.state.breaker_every_operation {
            return true;
        }
        let settings = self.state.settings.as_deref().unwrap_or_default();
        self.operation_of(cfg).is_some_and(|op| settings.get(op.index).is_some_and(|s| s.breaker))
    }
}

impl Intercept for ServerErrorInterceptor {
    fn name(&self) -> &'static str {
        "ServerErrorInterceptor"
    }

    /// Declares only the hooks this instance needs, so the orchestrator skips the others. A
    /// disabled service declares none and costs nothing.
    fn overridden_hooks(&self) -> OverriddenHooks {
        if self.state.settings.is_none() {
            return OverriddenHooks::none();
        }
        let mut hooks = OverriddenHooks::READ_AFTER_ATTEMPT
            | OverriddenHooks::READ_AFTER_EXECUTION
            | OverriddenHooks::READ_BEFORE_TRANSMIT;
        if self.state.any_time_budget {
            hooks = hooks | OverriddenHooks::MODIFY_BEFORE_RETRY_LOOP;
        }
        if self.state.breaker.is_some() {
            hooks = hooks | OverriddenHooks::READ_BEFORE_SERIALIZATION;
        }
        hooks
    }

    /// The circuit breaker's admission: a call it refuses fails here, before its request exists.
    fn read_before_serialization(
        &self,
        _context: &BeforeSerializationInterceptorContextRef<'_>,
        runtime_components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let Some(breaker) = &self.state.breaker else { return Ok(()) };
        // The closed fast path: one atomic load, nothing stored, no operation lookup.
        if breaker.state() == CircuitState::Closed || !self.in_breaker(cfg) {
            return Ok(());
        }
        if cfg.load::<Probe>().is_some() {
            return Ok(()); // another registration admitted it as a probe
        }
        let now = breaker.tick(&runtime_components.time_source().unwrap_or_default());
        let (admission, transition) = breaker.admit(now);
        if let Some(t) = transition {
            self.state.transitioned(self.service(), t);
        }
        match admission {
            Ok(Admission::Closed) => {}
            Ok(Admission::Probe(slot)) => {
                cfg.interceptor_state().store_put(Probe { owner: self.id, _slot: slot });
            }
            Err(retry_after) => {
                let op = self.operation_of(cfg);
                let operation = op.map_or("", |op| op.name);
                telemetry::record_failed_fast(self.adapter.catalog(), op.map_or(usize::MAX, |op| op.index), operation);
                return Err(Box::new(CircuitOpen { service: self.service(), operation, retry_after }));
            }
        }
        Ok(())
    }

    fn modify_before_retry_loop(
        &self,
        _context: &mut BeforeTransmitInterceptorContextMut<'_>,
        runtime_components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        // Declared only when an operation of the service has a time budget. (A second
        // registration restarts the clock a few nanoseconds later: harmless, and cheaper than a
        // config-bag miss on every call.)
        if self.state.any_time_budget {
            let clock = CallClock::start(&runtime_components.time_source().unwrap_or_default());
            cfg.interceptor_state().store_put(CallStart(clock));
        }
        Ok(())
    }

    /// Counts a retry when it is sent (not when it is decided: a call dropped during its backoff
    /// sends nothing). A retry of a server-side failure is first admitted by the breaker, as a new
    /// call would be: one decided while the breaker was closed is not sent if it opened since
    /// (the call ends with [`CircuitOpen`] and the retry's budget token goes back), and one sent
    /// once its break is over is the half-open probe.
    fn read_before_transmit(
        &self,
        _context: &BeforeTransmitInterceptorContextRef<'_>,
        runtime_components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        if cfg.load::<RequestAttempts>().map_or(1, |a| a.attempts()) <= 1 {
            return Ok(());
        }
        let needs_admission = match cfg.load::<CallState>() {
            Some(state) if state.owner == self.id && state.retry_expected => state.retry_needs_admission,
            _ => return Ok(()),
        };
        if let Some(breaker) =
            self.state.breaker.as_ref().filter(|b| needs_admission && b.state() != CircuitState::Closed)
        {
            let now = breaker.tick(&runtime_components.time_source().unwrap_or_default());
            let (admission, transition) = breaker.admit(now);
            if let Some(t) = transition {
                self.state.transitioned(self.service(), t);
            }
            match admission {
                Ok(Admission::Closed) => {}
                Ok(Admission::Probe(slot)) => {
                    cfg.interceptor_state().store_put(Probe { owner: self.id, _slot: slot });
                }
                Err(retry_after) => {
                    let state = cfg.get_mut_from_interceptor_state::<CallState>().expect("loaded above");
                    state.retry_expected = false;
                    state.refused_by_breaker = true;
                    state.last_decision = Decision::GiveUp(GiveUpReason::CircuitOpen);
                    // Not sent: the retry's budget token goes back.
                    drop(state.token.take());
                    let operation = state.operation.name;
                    telemetry::record_retry_refused(self.service(), operation);
                    return Err(Box::new(CircuitOpen { service: self.service(), operation, retry_after }));
                }
            }
        }
        let Some(state) = cfg.get_mut_from_interceptor_state::<CallState>() else { return Ok(()) };
        state.retry_expected = false;
        state.retry_sent = true;
        let delay = match state.last_decision {
            Decision::Retry { delay } => Some(delay),
            _ => None,
        };
        let operation = state.operation.name;
        telemetry::record_retry(self.service(), operation, state.last_class.as_str(), delay);
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
        // Whether the call is a half-open probe (and of this registration): only looked up while
        // the breaker is not closed, so the closed success path reads one atomic.
        let probe = match &self.state.breaker {
            Some(breaker) if breaker.state() != CircuitState::Closed => match cfg.load::<Probe>() {
                Some(p) if p.owner != self.id => return Ok(()),
                p => p.is_some(),
            },
            _ => false,
        };
        let error = match context.output_or_error() {
            Some(Err(error)) => error,
            Some(Ok(_)) => {
                self.succeeded(cfg, runtime_components, attempt, probe);
                return Ok(());
            }
            None => return Ok(()),
        };

        let existing = cfg.load::<CallState>().map(|s| (s.owner, s.operation));
        if let Some(state) = cfg.load::<CallState>().filter(|s| s.owner == self.id && s.refused_by_breaker) {
            // The attempt this registration's breaker refused before it was sent: the call ends
            // (its error is the `CircuitOpen`), and nothing is counted for an attempt not sent.
            let give_up = state.client_retry.clone().with_max_attempts(attempt);
            cfg.interceptor_state().store_put(give_up);
            return Ok(());
        }
        let operation = match existing {
            Some((_, operation)) => operation,
            None => match self.operation_of(cfg) {
                Some(operation) => operation,
                None => return Ok(()),
            },
        };
        let settings = &all_settings[operation.index];
        let record = classify_attempt(self.adapter, &operation, error, context.response());
        let time_source = runtime_components.time_source().unwrap_or_default();

        // Circuit breaker: count the outcome (server-side failures only). Every registration
        // counts, on failures as on successes, so a policy registered twice on a client counts
        // each outcome twice and the failure ratio is unchanged.
        let breaker = self.state.breaker.as_ref().filter(|_| settings.breaker);
        let server_side = server_side_failure(&record);
        // What AWS Support asks for: the server-side failures, with request ids and region
        // (recorded before the breaker counts this one, so a report logged when it opens has it).
        if server_side && existing.is_none_or(|(owner, _)| owner == self.id) {
            let extended_id = context.response().and_then(|r| r.headers().get("x-amz-id-2"));
            let region = cfg.load::<aws_types::region::Region>().map(|r| r.as_ref());
            self.state.incidents.record(time_source.now(), region, &record, extended_id);
        }
        if let Some(breaker) = breaker.filter(|_| server_side) {
            if self.owns_breaker_outcome(cfg, attempt) {
                if let Some(t) = breaker.record(breaker.tick(&time_source), Some(false), probe) {
                    self.state.transitioned(self.service(), t);
                }
            }
        }
        if existing.is_some_and(|(owner, _)| owner != self.id) {
            return Ok(());
        }
        if existing.is_none() {
            let state = CallState {
                owner: self.id,
                operation,
                client_retry: cfg.load::<RetryConfig>().cloned().unwrap_or_else(RetryConfig::standard),
                call_attempts: cfg.load::<CallOverride>().map(CallOverride::attempts),
                client_bucket: cfg.load::<TokenBucket>().cloned(),
                bucket_overridden: false,
                attempts: 0,
                internal_failures: 0,
                other_failures: 0,
                last_class: record.class,
                last_error_type: String::new(),
                last_decision: Decision::ClientPolicy,
                token: None,
                retry_expected: false,
                retry_sent: false,
                retry_needs_admission: false,
                refused_by_breaker: false,
            };
            cfg.interceptor_state().store_put(state);
        }
        let elapsed = cfg.get_mut_from_interceptor_state::<CallStart>().map(|start| start.0.elapsed(&time_source));
        let state = cfg.get_mut_from_interceptor_state::<CallState>().expect("stored above");
        // The retry that led to this attempt was sent and failed again: its token stays spent.
        // One that was never sent (the attempt failed before transmit), or that the SDK's
        // operation timeout cut short (the client gave up on it, the service did not fail it),
        // goes back.
        if let Some(token) = state.token.take() {
            if state.retry_sent && !is_operation_timeout(error) {
                token.spend();
            }
        }
        state.retry_sent = false;
        state.attempts = attempt;
        if record.class == ErrorClass::InternalServerError {
            state.internal_failures += 1;
        } else {
            state.other_failures += 1;
        }
        let breaker_allows = breaker.is_none_or(|b| b.allows_retry());
        // Retries disabled for the call (`RetryConfig::disabled()`, in the client config or the
        // call's `config_override`) means no retry of any kind.
        let max_attempts = match (state.client_retry.max_attempts(), state.call_attempts) {
            (..=1, _) => 1,
            (_, Some(attempts)) => attempts,
            (_, None) => settings.max_attempts,
        };
        let input = DecisionInput {
            internal_failures: state.internal_failures,
            max_attempts,
            elapsed,
            jitter_sample: fastrand::f64(),
            breaker_allows,
        };
        let (mut decision, mut token) = decide(settings, &record, &input, self.state.budget.as_ref());
        if decision == Decision::ClientPolicy && server_side && !breaker_allows {
            // An open breaker stops the client's own retries of server-side failures too.
            decision = Decision::GiveUp(GiveUpReason::CircuitOpen);
        }
        // A call whose failures mix internal errors (the policy's attempts) with others (the
        // client's) makes at most the larger of the two limits in all.
        let call_limit = max_attempts.max(state.client_retry.max_attempts());
        if state.internal_failures > 0
            && state.other_failures > 0
            && attempt >= call_limit
            && !matches!(decision, Decision::GiveUp(_))
        {
            decision = Decision::GiveUp(GiveUpReason::MaxAttempts);
            token = None; // dropped: back to the budget
        }

        // Make the SDK's retry strategy carry out the decision for the rest of this call.
        let mut client_attempts = None;
        let retry_config = match decision {
            Decision::Retry { delay } => Some(exact_retry(&state.client_retry, attempt + 1, delay)),
            Decision::GiveUp(_) => Some(state.client_retry.clone().with_max_attempts(attempt)),
            Decision::ClientPolicy => {
                let mut config = None;
                if let (Some(budget), Some(elapsed)) = (settings.time_budget, elapsed) {
                    // Every retry of the call stays inside its time budget.
                    let remaining = budget.saturating_sub(elapsed);
                    let client = &state.client_retry;
                    config = Some(if remaining.is_zero() {
                        decision = Decision::GiveUp(GiveUpReason::TimeBudget);
                        client.clone().with_max_attempts(attempt)
                    } else {
                        client.clone().with_max_backoff(client.max_backoff().min(remaining))
                    });
                }
                if state.internal_failures > 0 && decision == Decision::ClientPolicy {
                    // As if the internal-server-error attempts had not happened.
                    client_attempts = Some(state.other_failures);
                    config = config.or_else(|| Some(state.client_retry.clone()));
                }
                config
            }
        };
        let bucket = match decision {
            Decision::Retry { .. } => {
                state.bucket_overridden = true;
                Some(zero_cost_bucket())
            }
            _ if state.bucket_overridden => {
                state.bucket_overridden = false;
                state.client_bucket.clone()
            }
            _ => None,
        };
        let max_attempts = match decision {
            Decision::ClientPolicy => state.client_retry.max_attempts(),
            _ => max_attempts,
        };
        if decision == Decision::GiveUp(GiveUpReason::RetryBudget) {
            self.state.incidents.log_once(self.service(), crate::incident::Trigger::BudgetEmpty);
        }
        let state = cfg.get_mut_from_interceptor_state::<CallState>().expect("stored above");
        state.last_class = record.class;
        state.last_error_type.clear();
        state.last_error_type.push_str(record.error_type());
        state.last_decision = decision;
        state.token = token;
        state.retry_expected = !matches!(decision, Decision::GiveUp(_));
        state.retry_needs_admission = server_side && breaker.is_some();

        let layer = cfg.interceptor_state();
        if let Some(retry_config) = retry_config {
            layer.store_put(retry_config);
        }
        if let Some(bucket) = bucket {
            layer.store_put(bucket);
        }
        if let Some(attempts) = client_attempts {
            layer.store_put(RequestAttempts::new(attempts));
        }

        log_attempt(&record, attempt, max_attempts, decision);
        Ok(())
    }

    fn read_after_execution(
        &self,
        context: &FinalizerInterceptorContextRef<'_>,
        _runtime_components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        // Successes were reported by `read_after_attempt`; only failures remain.
        let Some(Err(error)) = context.output_or_error() else { return Ok(()) };
        let Some(state) = cfg.load::<CallState>() else {
            // No attempt failed through this policy: the call failed before or outside its
            // attempts (a request that could not be built, an interceptor's error). A call the
            // breaker refused was counted where it was refused.
            if crate::circuit_open(error).is_some() {
                return Ok(());
            }
            if let Some(operation) = self.operation_of(cfg) {
                let attempts = cfg.load::<RequestAttempts>().map_or(0, |a| a.attempts());
                telemetry::record_call(
                    self.adapter.catalog(),
                    operation.index,
                    operation.name,
                    Outcome::Failed,
                    attempts,
                );
            }
            return Ok(());
        };
        if state.owner != self.id {
            return Ok(());
        }
        let service = self.service();
        let operation = state.operation.name;
        telemetry::record_call(
            self.adapter.catalog(),
            state.operation.index,
            operation,
            Outcome::Failed,
            state.attempts,
        );
        let reason = match state.last_decision {
            Decision::GiveUp(reason) => reason,
            _ if error.is_timeout_error() => GiveUpReason::Timeout,
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
            attempts = state.attempts,
            outcome = "failure",
            reason = reason.as_str(),
            "call failed"
        );
        Ok(())
    }
}

impl ServerErrorInterceptor {
    /// The success path: one deposit into the retry budget, the breaker's success, and after
    /// retries, the refund of the last retry's token and the outcome's log.
    fn succeeded(&self, cfg: &mut ConfigBag, runtime_components: &RuntimeComponents, attempt: u32, probe: bool) {
        if let Some(budget) = &self.state.budget {
            if !budget.is_full() && cfg.load::<Deposited>().is_none() {
                cfg.interceptor_state().store_put(Deposited);
                budget.deposit();
            }
        }
        if let Some(breaker) = &self.state.breaker {
            if self.in_breaker(cfg) && self.owns_breaker_outcome(cfg, attempt) {
                let now = breaker.tick(&runtime_components.time_source().unwrap_or_default());
                if let Some(t) = breaker.record(now, Some(true), probe) {
                    self.state.transitioned(self.service(), t);
                }
            }
        }
        if attempt <= 1 {
            if let Some(operation) = self.operation_of(cfg) {
                telemetry::record_call(self.adapter.catalog(), operation.index, operation.name, Outcome::Ok, 1);
            }
            return;
        }
        let Some(state) = cfg.get_mut_from_interceptor_state::<CallState>() else {
            // Retried, but no failure was recorded here (the SDK stored no operation metadata
            // when it failed): counted if the operation is known now.
            if let Some(operation) = self.operation_of(cfg) {
                telemetry::record_call(
                    self.adapter.catalog(),
                    operation.index,
                    operation.name,
                    Outcome::OkAfterRetries,
                    attempt,
                );
            }
            return;
        };
        if state.owner != self.id {
            return;
        }
        let op = state.operation;
        telemetry::record_call(self.adapter.catalog(), op.index, op.name, Outcome::OkAfterRetries, attempt);
        // The retry that worked was not load wasted: its token goes back.
        drop(state.token.take());
        let restore = std::mem::take(&mut state.bucket_overridden).then(|| state.client_bucket.clone()).flatten();
        let operation = state.operation.name;
        if let Some(bucket) = restore {
            // The strategy releases its permit on success against the partition's own bucket.
            cfg.interceptor_state().store_put(bucket);
        }
        event!(
            target: LOG_TARGET,
            Level::INFO,
            rpc.system = "aws-api",
            rpc.service = self.service(),
            rpc.method = operation,
            attempts = attempt,
            outcome = "success",
            "call succeeded after retries"
        );
    }
}

/// Whether the attempt was ended by the SDK's operation timeout (all attempts), rather than by
/// the attempt timeout or a read timeout: the orchestrator still runs `read_after_attempt` for the
/// attempt it cancelled. The timeout's kind is only in its message (the SDK's `MaybeTimeoutError`
/// is crate-private); `the_operation_timeout_gives_an_inflight_retrys_token_back` pins it.
fn is_operation_timeout(error: &OrchestratorError<OperationError>) -> bool {
    use std::error::Error as _;
    error.is_timeout_error()
        && error.source().is_some_and(|source| source.to_string().starts_with("operation timeout "))
}

/// Whether a failure counts against the circuit breaker: a server-side failure (an internal
/// error, any other 5xx, a transport failure that may have reached the server). Client errors
/// and throttling do not count.
fn server_side_failure(record: &ClassifiedError<'_>) -> bool {
    if record.class == ErrorClass::Throttling {
        return false;
    }
    match record.http_status {
        Some(status) => status >= 500,
        None => record.class == ErrorClass::InternalServerError || record.may_have_been_applied(),
    }
}

/// One event per failed attempt, WARN when the policy gives up. Server-controlled values are
/// bounded ([`bounded`]); the message and the body are never logged.
fn log_attempt(record: &ClassifiedError<'_>, attempt: u32, max_attempts: u32, decision: Decision) {
    telemetry::record_attempt_error(record.service, record.operation, record.class.as_str(), record.error_type());
    let delay_ms = match decision {
        Decision::Retry { delay } => Some(delay.as_millis() as u64),
        _ => None,
    };
    let reason = match decision {
        Decision::GiveUp(reason) => Some(reason.as_str()),
        _ => None,
    };
    let detail = record.detail.map(|d| format!("{}={}", d.member, bounded(d.value)));
    let request_id = record.request_id.map(bounded);
    let error_type = bounded(record.error_type());
    macro_rules! attempt_event {
        ($level:ident) => {
            event!(
                target: LOG_TARGET,
                Level::$level,
                rpc.system = "aws-api",
                rpc.service = record.service,
                rpc.method = record.operation,
                aws.request_id = request_id.as_deref(),
                error.type = error_type.as_ref(),
                error.class = record.class.as_str(),
                error.detail = detail,
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
            )
        };
    }
    if matches!(decision, Decision::GiveUp(_)) {
        attempt_event!(WARN);
    } else {
        attempt_event!(INFO);
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
