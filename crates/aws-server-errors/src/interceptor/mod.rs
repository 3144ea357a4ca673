//! The `Intercept` implementation that applies a [`ServerErrorPolicy`](crate::ServerErrorPolicy):
//! where the SDK is steered.
//!
//! One failed attempt goes through five steps, each a function with its own tests:
//!
//! 1. **classify** it into the taxonomy (`crate::classify`);
//! 2. **account** for it: the service's shared state (the incident record, the breaker's window)
//!    and the call's own (`call_state`: the last retry's budget token, the tally of failures);
//! 3. **decide**: retry after a delay, give up, or leave it to the client's config
//!    (`crate::decide::decide_call`);
//! 4. **steer** the SDK's retry strategy to carry the decision out (`steer`: what to store in
//!    the call's config bag);
//! 5. **report** it: one log event and the metrics (`crate::telemetry::report_attempt`).
//!
//! Each hook has tests of its own (`tests`), in smithy-rs's style: called on a hand-built
//! `ConfigBag`, `InterceptorContext` and `RuntimeComponents`, with what it stored, returned and
//! counted read back.
//!
//! On the success path of a call without failures the interceptor stores nothing and takes no
//! lock: it resolves the call's operation (a cache hit, or a binary search) and counts the call
//! (`aws.server_errors.calls`). It does more only when the service has a circuit breaker (which
//! records every outcome: a clock read and one compare-and-swap, no lock), when its retry budget
//! is below capacity (a deposit),
//! or for an operation the catalog does not know (a shared read lock on the names seen).

pub(crate) mod any_service;
mod call_state;
mod steer;
#[cfg(test)]
mod tests;

use aws_smithy_runtime::client::retries::RetryPartition;
use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::context::{
    BeforeSerializationInterceptorContextRef, BeforeTransmitInterceptorContextMut, BeforeTransmitInterceptorContextRef,
    FinalizerInterceptorContextRef,
};
use aws_smithy_runtime_api::client::interceptors::{Intercept, OverriddenHooks};
use aws_smithy_runtime_api::client::orchestrator::{Metadata, OrchestratorError};
use aws_smithy_runtime_api::client::retries::RequestAttempts;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::config_bag::ConfigBag;

use self::call_state::{BreakerCounted, CallSession, CallState, Probe};
use self::steer::steer;
use crate::adapter::{ErrorClass, OperationError};
use crate::breaker::{Admission, CircuitBreaker, CircuitOpen, CircuitState};
use crate::catalog::RetrySafety;
use crate::classify::{classify_attempt, header, server_side_failure, EXTENDED_REQUEST_ID};
use crate::clock::CallClock;
use crate::decide::{decide_call, CallInput, Decision, DecisionInput, GiveUpReason};
use crate::incident::Trigger;
use crate::state::{Operation, ServiceState};
use crate::telemetry::{self, Observer};
use crate::vocab::{Outcome, Transition};

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
    /// The engine's state of the service (shared by the policy's registrations on it).
    state: std::sync::Arc<ServiceState>,
    /// What reports it (shared likewise).
    observer: std::sync::Arc<Observer>,
    /// Tells registrations apart.
    id: u64,
    /// The retry partition of the calls seen, and whether it is a custom one
    /// ([`Self::partition_may_reward_success`]).
    partition: std::sync::OnceLock<(RetryPartition, bool)>,
}

/// Applies a breaker transition to a service's state (its listeners, the incident report of a
/// timed open) and has the observer report it all. For the hooks, and for an operator's
/// `isolate` and `reset`.
pub(crate) fn transitioned(state: &ServiceState, observer: &Observer, t: Transition) {
    let service = state.service().name();
    let effects = state.transitioned(service, t);
    observer.transitioned(service, t, effects.report.as_ref(), effects.listener_panics);
}

impl ServerErrorInterceptor {
    pub(crate) fn new(state: std::sync::Arc<ServiceState>, observer: std::sync::Arc<Observer>, id: u64) -> Self {
        state.register();
        Self { state, observer, id, partition: std::sync::OnceLock::new() }
    }

    /// Applies a breaker transition to the state and reports it ([`transitioned`]).
    fn transitioned(&self, t: Transition) {
        transitioned(&self.state, &self.observer, t);
    }

    /// Whether this registration counts the outcome of the call's attempt `attempt` in its
    /// breaker: the first registration of the breaker's policy that sees the attempt does. Free
    /// when the policy has one registration for the service; otherwise recorded in the call's
    /// session.
    fn owns_breaker_outcome(&self, cfg: &mut ConfigBag, attempt: u32) -> bool {
        if !self.state.registered_more_than_once() {
            return true;
        }
        let me = std::sync::Arc::as_ptr(&self.state) as usize;
        match &mut CallSession::get_or_new(cfg).counted {
            Some(counted) if counted.attempt == attempt => {
                if counted.breakers.contains(&me) {
                    return false;
                }
                counted.breakers.push(me);
                true
            }
            counted => {
                *counted = Some(BreakerCounted { attempt, breakers: vec![me] });
                true
            }
        }
    }

    /// Whether this registration makes the call's one deposit into a retry budget: the first
    /// registration (of any policy on the client) that sees the call succeed does. Recorded in
    /// the call's session (stored now if the call had none).
    fn owns_deposit(&self, cfg: &mut ConfigBag) -> bool {
        !std::mem::replace(&mut CallSession::get_or_new(cfg).deposited, true)
    }

    /// Asks the breaker to admit a call (or a retry) now: reports the transition it causes, and
    /// stores a half-open probe's slot in the call's bag.
    ///
    /// # Errors
    /// The time until the next probe (`None` while isolated) when the breaker refuses it.
    fn admit(
        &self,
        breaker: &CircuitBreaker,
        runtime_components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), Option<std::time::Duration>> {
        let now = breaker.tick(&runtime_components.time_source().unwrap_or_default());
        let (admission, transition) = breaker.admit(now);
        if let Some(t) = transition {
            self.transitioned(t);
        }
        if let Admission::Probe(slot) = admission? {
            CallSession::get_or_new(cfg).probe = Some(Probe { owner: self.id, _slot: slot });
        }
        Ok(())
    }

    /// Counts a server-side failure in the breaker (once per attempt, by the first registration of
    /// its policy), and reports the transition it causes.
    fn count_failure(
        &self,
        breaker: &CircuitBreaker,
        cfg: &mut ConfigBag,
        attempt: u32,
        probe: bool,
        time_source: &aws_smithy_async::time::SharedTimeSource,
    ) {
        if self.owns_breaker_outcome(cfg, attempt) {
            if let Some(t) = breaker.record(breaker.tick(time_source), Some(false), probe) {
                self.transitioned(t);
            }
        }
    }

    /// The call's operation; `None` only when the SDK stored no operation metadata (never for a
    /// generated client). An operation the catalog does not know resolves too: see
    /// [`ServiceState::operation`].
    fn operation_of(&self, cfg: &ConfigBag) -> Option<Operation> {
        let operation = self.state.operation(cfg.load::<Metadata>()?.name());
        self.observer.resolved(operation.name, operation.first_seen);
        Some(operation)
    }

    fn service(&self) -> &'static str {
        self.state.service().name()
    }

    /// Whether the bucket of the call's retry partition may reward a success: the strategy
    /// rewards the bucket in force, so after a policy retry the partition's own bucket is put
    /// back for it. Only a custom partition's bucket can have a reward: the SDK builds every
    /// other partition's without one (aws-smithy-runtime 1.16, `token_bucket_for_spec`: success
    /// reward 0), and a bucket's reward is crate-private. Whether a partition is custom is
    /// public only as its inequality to `RetryPartition::new` of its name, so the answer is
    /// remembered for the partition seen first (one comparison a call after that). `true` when
    /// the bag has no partition (the safe side).
    fn partition_may_reward_success(&self, cfg: &ConfigBag) -> bool {
        let Some(partition) = cfg.load::<RetryPartition>() else { return true };
        match self.partition.get() {
            Some((seen, custom)) if seen == partition => *custom,
            _ => {
                let custom = *partition != RetryPartition::new(partition.to_string());
                let _ = self.partition.set((partition.clone(), custom));
                custom
            }
        }
    }

    /// Records the request's HTTP method in the call's session when the call is of an operation
    /// the catalog does not know, before its first attempt is sent. `method` is the request's,
    /// already known to be one RFC 9110 defines as idempotent.
    ///
    /// Called only once the client has called an operation the catalog does not know
    /// (`ServiceState::saw_unknown_operation`): the first call of such an operation, if its first
    /// attempt fails, is therefore not retried after an internal error even when it is a GET (the
    /// safe side).
    fn remember_unknown_operation_method(&self, method: &'static str, cfg: &mut ConfigBag) {
        if cfg.load::<RequestAttempts>().map_or(1, |a| a.attempts()) > 1 {
            return;
        }
        if self.operation_of(cfg).is_some_and(|op| op.retry_safety == RetrySafety::Unmodeled) {
            CallSession::get_or_new(cfg).method = Some(method);
        }
    }

    /// Whether this call's operation goes through the service's breaker (no lookup when every
    /// operation does).
    fn in_breaker(&self, cfg: &ConfigBag) -> bool {
        if self.state.breaker_every_operation() {
            return true;
        }
        let settings = self.state.settings().unwrap_or_default();
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
        if self.state.settings().is_none() {
            return OverriddenHooks::none();
        }
        let mut hooks = OverriddenHooks::READ_AFTER_ATTEMPT
            | OverriddenHooks::READ_AFTER_EXECUTION
            | OverriddenHooks::READ_BEFORE_TRANSMIT;
        if self.state.any_time_budget() {
            hooks = hooks | OverriddenHooks::MODIFY_BEFORE_RETRY_LOOP;
        }
        if self.state.breaker().is_some() {
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
        let Some(breaker) = self.state.breaker() else { return Ok(()) };
        // The closed fast path: one atomic load, nothing stored, no operation lookup.
        if breaker.state() == CircuitState::Closed || !self.in_breaker(cfg) {
            return Ok(());
        }
        if CallSession::get(cfg).is_some_and(|session| session.probe.is_some()) {
            return Ok(()); // another registration admitted it as a probe
        }
        if let Err(retry_after) = self.admit(breaker, runtime_components, cfg) {
            let op = self.operation_of(cfg);
            let operation = op.map_or("", |op| op.name);
            telemetry::record_failed_fast(self.observer.metrics(), op.map_or(usize::MAX, |op| op.index), operation);
            return Err(Box::new(CircuitOpen { service: self.service(), operation, retry_after }));
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
        if self.state.any_time_budget() {
            let clock = CallClock::start(&runtime_components.time_source().unwrap_or_default());
            CallSession::get_or_new(cfg).start = Some(clock);
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
        let needs_admission = match CallSession::failure(cfg) {
            Some(state) if state.owner == self.id && state.retry.expected => state.retry.needs_admission,
            _ => return Ok(()),
        };
        if let Some(breaker) = self.state.breaker().filter(|b| needs_admission && b.state() != CircuitState::Closed) {
            if let Err(retry_after) = self.admit(breaker, runtime_components, cfg) {
                let state = CallSession::failure(cfg).expect("loaded above");
                state.retry.expected = false;
                state.retry.refused_by_breaker = true;
                state.last.decision = Decision::GiveUp(GiveUpReason::CircuitOpen);
                // Not sent: the retry's budget token goes back.
                drop(state.retry.token.take());
                let operation = state.operation.name;
                telemetry::record_retry_refused(self.service(), operation);
                return Err(Box::new(CircuitOpen { service: self.service(), operation, retry_after }));
            }
        }
        let Some(state) = CallSession::failure(cfg) else { return Ok(()) };
        state.retry.expected = false;
        state.retry.sent = true;
        let delay = match state.last.decision {
            Decision::Retry { delay } => Some(delay),
            _ => None,
        };
        let op = state.operation;
        telemetry::record_retry(self.observer.metrics(), op.index, op.name, state.last.class, delay);
        Ok(())
    }

    fn read_after_attempt(
        &self,
        context: &FinalizerInterceptorContextRef<'_>,
        runtime_components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let Some(all_settings) = self.state.settings() else { return Ok(()) };
        // `RequestAttempts` is in the top layer of the bag: a cheap hit, unlike a miss.
        let attempt = cfg.load::<RequestAttempts>().map_or(1, |a| a.attempts());
        // Whether the call is a half-open probe (and of this registration): only looked up while
        // the breaker is not closed, so the closed success path reads one atomic.
        let probe = match self.state.breaker() {
            Some(breaker) if breaker.state() != CircuitState::Closed => {
                match CallSession::get(cfg).and_then(|session| session.probe.as_ref()) {
                    Some(p) if p.owner != self.id => return Ok(()),
                    p => p.is_some(),
                }
            }
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

        // The call's state, from its earlier failed attempts (in the interceptor layer, where a
        // miss is cheap: the bag's other layers are not searched).
        let existing = CallSession::failure(cfg).map(|s| (s.owner, s.operation, s.retry.refused_by_breaker));
        if existing.is_some_and(|(owner, _, refused)| owner == self.id && refused) {
            // The attempt this registration's breaker refused before it was sent: the call ends
            // (its error is the `CircuitOpen`), and nothing is counted for an attempt not sent.
            let client = &CallSession::failure(cfg).expect("loaded above").client;
            let give_up = client.config.clone().with_max_attempts(attempt);
            steer::put(cfg, give_up);
            return Ok(());
        }
        let existing = existing.map(|(owner, operation, _)| (owner, operation));
        let Some(operation) = existing.map(|(_, op)| op).or_else(|| self.operation_of(cfg)) else { return Ok(()) };
        // The first registration that sees the call owns it; the others stand aside.
        let owner = existing.is_none_or(|(owner, _)| owner == self.id);
        let settings = &all_settings[operation.index];
        let time_source = runtime_components.time_source().unwrap_or_default();

        // 1. Classify.
        // The request is gone after the attempt: an operation the catalog does not know had its
        // method recorded before it was sent (generic services only).
        let method = match operation.retry_safety {
            RetrySafety::Unmodeled => CallSession::get(cfg).and_then(|session| session.method),
            _ => None,
        };
        let record = classify_attempt(self.state.service(), &operation, error, context.response(), method);
        let server_side = server_side_failure(&record);

        // 2. Account: the service's shared state, then the call's.
        if owner && server_side {
            // What AWS Support asks for (before the breaker counts it, so that a report logged
            // when it opens has this failure).
            let extended_id = context.response().and_then(|r| header(r.headers(), &EXTENDED_REQUEST_ID));
            let region = cfg.load::<aws_types::region::Region>().map(|r| r.as_ref());
            self.state.incidents().record(time_source.now(), region, &record, extended_id);
        }
        let breaker = self.state.breaker().filter(|_| settings.breaker);
        if let Some(breaker) = breaker.filter(|_| server_side) {
            self.count_failure(breaker, cfg, attempt, probe, &time_source);
        }
        if !owner {
            return Ok(());
        }
        if existing.is_none() {
            let state = CallState::new(self.id, operation, cfg, record.class);
            CallSession::get_or_new(cfg).failure = Some(state);
        }
        let session = CallSession::get(cfg).expect("stored above");
        let elapsed = session.start.as_mut().map(|start| start.elapsed(&time_source));
        let state = session.failure.as_mut().expect("stored above");
        state.account(attempt, record.class, is_operation_timeout(error));

        // 3. Decide.
        let breaker_allows = breaker.is_none_or(CircuitBreaker::allows_retry);
        let max_attempts = state.client.policy_attempts(settings.max_attempts);
        let input = CallInput {
            policy: DecisionInput {
                internal_failures: state.tally.internal,
                max_attempts,
                elapsed,
                jitter_sample: fastrand::f64(),
                breaker_allows,
            },
            attempt,
            other_failures: state.tally.other,
            client_max_attempts: state.client.config.max_attempts(),
            server_side,
        };
        let (decision, token) = decide_call(settings, &record, &input, self.state.budget());

        // 4. Steer the SDK's retry strategy for the rest of the call.
        let steering = steer(&mut state.client, decision, attempt, settings.time_budget, elapsed, &state.tally);
        let limit = match decision {
            Decision::ClientPolicy => state.client.config.max_attempts(),
            _ => max_attempts,
        };
        state.decided(&record, decision, token, server_side && breaker.is_some());
        // The wait the call now makes (exactly, for a policy retry; at most, for the client's own):
        // on a test clock that lags behind it, it counts toward the time budget.
        let (longest_wait, exact) = match decision {
            Decision::Retry { delay } => (delay, true),
            Decision::GiveUp(_) => (std::time::Duration::ZERO, true),
            Decision::ClientPolicy => {
                (steering.retry_config.as_ref().unwrap_or(&state.client.config).max_backoff(), false)
            }
        };
        steering.apply(cfg);
        if let (Some(elapsed), Some(start)) = (elapsed, CallSession::get(cfg).and_then(|s| s.start.as_mut())) {
            start.expect_wait(elapsed, longest_wait, exact);
        }

        // 5. Report.
        if decision == Decision::GiveUp(GiveUpReason::RetryBudget) {
            if let Some(report) = self.state.incidents().report_once(self.service(), Trigger::BudgetEmpty) {
                telemetry::incident_report(self.service(), Trigger::BudgetEmpty, &report);
            }
        }
        telemetry::report_attempt(
            self.observer.metrics(),
            operation.index,
            &record,
            attempt,
            limit,
            decision,
            self.observer.client_error_log(),
        );
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
        let Some(state) = CallSession::failure(cfg) else {
            // No attempt failed through this policy: the call failed before or outside its
            // attempts (a request that could not be built, an interceptor's error). A call the
            // breaker refused was counted where it was refused.
            if crate::breaker::circuit_open(error).is_some() {
                return Ok(());
            }
            if let Some(operation) = self.operation_of(cfg) {
                let attempts = cfg.load::<RequestAttempts>().map_or(0, |a| a.attempts());
                telemetry::record_call(
                    self.observer.metrics(),
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
        let index = state.operation.index;
        if state.last.class == ErrorClass::ClientError && !error.is_timeout_error() {
            // An answer about the caller's input or the resource (a failed condition, a missing
            // key): not a give-up, and logged at the configured level, by default below WARN.
            telemetry::record_call(
                self.observer.metrics(),
                index,
                operation,
                Outcome::ClientError,
                state.tally.attempts,
            );
            if let Some(level) = self.observer.client_error_log() {
                telemetry::call_client_error(level, service, operation, state.last.error_type, state.tally.attempts);
            }
            return Ok(());
        }
        telemetry::record_call(self.observer.metrics(), index, operation, Outcome::Failed, state.tally.attempts);
        let reason = match state.last.decision {
            Decision::GiveUp(reason) => reason,
            _ if error.is_timeout_error() => GiveUpReason::Timeout,
            Decision::Retry { .. } => GiveUpReason::SdkRefused,
            Decision::ClientPolicy => GiveUpReason::ClientPolicy,
        };
        telemetry::record_give_up(self.observer.metrics(), index, operation, reason);
        telemetry::call_failed(
            service,
            operation,
            state.last.error_type,
            state.last.class,
            state.tally.attempts,
            reason,
        );
        Ok(())
    }
}

impl ServerErrorInterceptor {
    /// The success path: one deposit into the retry budget, the breaker's success, and after
    /// retries, the refund of the last retry's token and the outcome's log.
    fn succeeded(&self, cfg: &mut ConfigBag, runtime_components: &RuntimeComponents, attempt: u32, probe: bool) {
        if let Some(budget) = self.state.budget() {
            if !budget.is_full() && self.owns_deposit(cfg) {
                budget.deposit();
            }
        }
        if let Some(breaker) = self.state.breaker() {
            if self.in_breaker(cfg) && self.owns_breaker_outcome(cfg, attempt) {
                let now = breaker.tick(&runtime_components.time_source().unwrap_or_default());
                if let Some(t) = breaker.record(now, Some(true), probe) {
                    self.transitioned(t);
                }
            }
        }
        if attempt <= 1 {
            if let Some(operation) = self.operation_of(cfg) {
                telemetry::record_call(self.observer.metrics(), operation.index, operation.name, Outcome::Ok, 1);
            }
            return;
        }
        let Some(state) = CallSession::failure(cfg) else {
            // Retried, but no failure was recorded here (the SDK stored no operation metadata
            // when it failed): counted if the operation is known now.
            if let Some(operation) = self.operation_of(cfg) {
                telemetry::record_call(
                    self.observer.metrics(),
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
        telemetry::record_call(self.observer.metrics(), op.index, op.name, Outcome::OkAfterRetries, attempt);
        // The retry that worked was not load wasted: its token goes back.
        drop(state.retry.token.take());
        let client = &mut state.client;
        let restore = std::mem::take(&mut client.bucket_overridden).then(|| client.bucket.clone()).flatten();
        let operation = state.operation.name;
        if let Some(bucket) = restore.filter(|_| self.partition_may_reward_success(cfg)) {
            // The strategy rewards the success to the bucket in force.
            steer::put(cfg, bucket);
        }
        telemetry::call_succeeded_after_retries(self.service(), operation, attempt);
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
