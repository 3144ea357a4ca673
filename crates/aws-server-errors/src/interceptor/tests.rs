//! Hook-level tests, in smithy-rs's style: each hook called on a hand-built `ConfigBag`,
//! `InterceptorContext` and `RuntimeComponents`, as the orchestrator leaves them, and what it
//! stored, returned and counted read back. The integration tests run the same hooks inside real
//! SDK clients.

use std::time::Duration;

use aws_smithy_async::time::{SharedTimeSource, StaticTimeSource};
use aws_smithy_runtime::client::retries::TokenBucket;
use aws_smithy_runtime_api::client::interceptors::context::{Error, Input, InterceptorContext, Output};
use aws_smithy_runtime_api::client::interceptors::{Intercept, OverriddenHooks};
use aws_smithy_runtime_api::client::orchestrator::{HttpRequest, Metadata, OrchestratorError};
use aws_smithy_runtime_api::client::retries::RequestAttempts;
use aws_smithy_runtime_api::client::runtime_components::{RuntimeComponents, RuntimeComponentsBuilder};
use aws_smithy_types::config_bag::{ConfigBag, Layer};
use aws_smithy_types::retry::RetryConfig;
use metrics_util::debugging::{DebugValue, DebuggingRecorder};

use super::call_state::{CallSession, CallState};
use super::steer::zero_cost_bucket;
use super::ServerErrorInterceptor;
use crate::breaker::CircuitOpen;
use crate::config::{CircuitBreakerConfig, Jitter, PolicyConfig};
use crate::decide::{Decision, GiveUpReason};
use crate::testing::{self, response, Unmodeled, PINPOINT, SIGNER};
use crate::{ServerErrorPolicy, Service};

/// The client's own retry configuration in these tests.
const CLIENT_ATTEMPTS: u32 = 3;

/// A policy given the fixture services, with no jitter: its first retry waits 100 ms.
fn policy(edit: impl FnOnce(PolicyConfig) -> PolicyConfig) -> ServerErrorPolicy {
    let config = edit(PolicyConfig { jitter: Jitter::None, ..PolicyConfig::default() });
    ServerErrorPolicy::with_services(config, testing::ALL).expect("a valid config")
}

/// The bag of a call of `operation` as the orchestrator leaves it for the attempt hooks: the
/// client's layer (its `RetryConfig`, the retry partition's `TokenBucket`, the operation's
/// `Metadata`) under the call's interceptor layer, which holds the attempt count.
fn bag(service: &Service, operation: &'static str, attempt: u32) -> ConfigBag {
    let mut client = Layer::new("client");
    client.store_put(RetryConfig::standard().with_max_attempts(CLIENT_ATTEMPTS));
    client.store_put(TokenBucket::default());
    client.store_put(Metadata::new(operation, service.key()));
    let mut cfg = ConfigBag::of_layers(vec![client]);
    cfg.interceptor_state().store_put(RequestAttempts::new(attempt));
    cfg
}

/// The next attempt of the same call: what the orchestrator changes between attempts.
fn next_attempt(cfg: &mut ConfigBag, attempt: u32) {
    cfg.interceptor_state().store_put(RequestAttempts::new(attempt));
}

fn components() -> RuntimeComponents {
    RuntimeComponentsBuilder::for_tests()
        .with_time_source(Some(SharedTimeSource::new(StaticTimeSource::from_secs(1_767_225_600))))
        .build()
        .expect("test components")
}

/// The context of an attempt that got a response with `status`: an error when it is not 2xx.
fn attempt_with(status: u16, headers: &[(&str, &str)]) -> InterceptorContext {
    let mut ctx = InterceptorContext::new(Input::doesnt_matter());
    ctx.enter_serialization_phase();
    let _ = ctx.take_input();
    ctx.set_request(HttpRequest::empty());
    ctx.enter_before_transmit_phase();
    ctx.enter_transmit_phase();
    let _ = ctx.take_request();
    ctx.set_response(response(status, headers));
    ctx.enter_before_deserialization_phase();
    ctx.enter_deserialization_phase();
    let output = match status {
        200..=299 => Ok(Output::doesnt_matter()),
        _ => Err(OrchestratorError::operation(Error::erase(Unmodeled))),
    };
    ctx.set_output_or_error(output);
    ctx.enter_after_deserialization_phase();
    ctx
}

/// Runs `f` with a local metrics recorder; returns its counters as `name{labels} value` lines.
fn counted(f: impl FnOnce()) -> Vec<String> {
    let recorder = DebuggingRecorder::new();
    let snapshotter = recorder.snapshotter();
    metrics::with_local_recorder(&recorder, f);
    let mut lines: Vec<String> = snapshotter
        .snapshot()
        .into_vec()
        .into_iter()
        .filter_map(|(key, _, _, value)| {
            let DebugValue::Counter(n) = value else { return None };
            let key = key.key();
            let labels: Vec<String> = key.labels().map(|l| format!("{}={}", l.key(), l.value())).collect();
            Some(format!("{}{{{}}} {n}", key.name(), labels.join(",")))
        })
        .collect();
    lines.sort();
    lines
}

/// The retry configuration the call's interceptor layer holds (what the policy stored).
fn stored_retry_config(cfg: &mut ConfigBag) -> Option<RetryConfig> {
    cfg.interceptor_state().load::<RetryConfig>().cloned()
}

fn call_state(cfg: &mut ConfigBag) -> &CallState {
    CallSession::failure(cfg).expect("the call's state")
}

/// `read_after_attempt`, the way the orchestrator calls it.
fn after_attempt(interceptor: &ServerErrorInterceptor, ctx: &InterceptorContext, cfg: &mut ConfigBag) {
    interceptor.read_after_attempt(&ctx.into(), &components(), cfg).expect("the hook never fails");
}

#[test]
fn hooks_declared_follow_the_services_settings() {
    let plain = policy(|c| c);
    let hooks = plain.interceptor(&SIGNER).overridden_hooks();
    let expected = OverriddenHooks::READ_AFTER_ATTEMPT
        | OverriddenHooks::READ_AFTER_EXECUTION
        | OverriddenHooks::READ_BEFORE_TRANSMIT;
    assert_eq!(hooks, expected, "no breaker, no time budget");
    let all = policy(|c| PolicyConfig {
        time_budget: Some(Duration::from_secs(2)),
        circuit_breaker: CircuitBreakerConfig { enabled: true, ..Default::default() },
        ..c
    });
    let hooks = all.interceptor(&SIGNER).overridden_hooks();
    let expected = expected | OverriddenHooks::MODIFY_BEFORE_RETRY_LOOP | OverriddenHooks::READ_BEFORE_SERIALIZATION;
    assert_eq!(hooks, expected);
    let disabled = ServerErrorPolicy::with_services(
        PolicyConfig::builder().disable_service("signer").build().unwrap(),
        testing::ALL,
    )
    .unwrap();
    assert_eq!(disabled.interceptor(&SIGNER).overridden_hooks(), OverriddenHooks::none());
}

#[test]
fn a_success_on_the_first_attempt_stores_nothing_and_counts_the_call() {
    let policy = policy(|c| c);
    let interceptor = policy.interceptor(&SIGNER);
    let mut cfg = bag(&SIGNER, "GetSigningProfile", 1);
    let ctx = attempt_with(200, &[]);
    let counters = counted(|| after_attempt(&interceptor, &ctx, &mut cfg));
    let layer = cfg.interceptor_state();
    assert!(layer.load::<CallSession>().is_none() && layer.load::<RetryConfig>().is_none());
    assert!(layer.load::<TokenBucket>().is_none());
    assert_eq!(counters, ["aws.server_errors.calls{rpc.service=signer,rpc.method=GetSigningProfile,outcome=ok} 1"]);
}

#[test]
fn an_internal_error_of_a_retry_safe_operation_steers_an_exact_retry() {
    let policy = policy(|c| c);
    let interceptor = policy.interceptor(&SIGNER);
    let mut cfg = bag(&SIGNER, "GetSigningProfile", 1);
    let ctx = attempt_with(500, &[("x-amzn-requestid", "req-1")]);
    let counters = counted(|| after_attempt(&interceptor, &ctx, &mut cfg));

    // 1-2. Classified by its status (the code is unmodeled) and accounted in the call's state.
    let state = call_state(&mut cfg);
    assert_eq!(state.tally.internal, 1);
    assert_eq!(state.last.decision, Decision::Retry { delay: Duration::from_millis(100) });
    assert!(state.retry.expected && state.retry.token.is_some(), "a budget token held for the retry");
    // 4. Steered: one more attempt, after exactly the policy's delay, at no cost to the SDK's quota.
    let retry = stored_retry_config(&mut cfg).expect("a retry config for the call");
    assert_eq!(retry.max_attempts(), 2);
    assert_eq!(
        (retry.initial_backoff(), retry.max_backoff()),
        (Duration::from_millis(100), Duration::from_millis(100))
    );
    let bucket = cfg.load::<TokenBucket>().expect("a bucket for the retry");
    assert_eq!(format!("{bucket:?}"), format!("{:?}", zero_cost_bucket()));
    assert!(cfg.interceptor_state().load::<TokenBucket>().is_none(), "in a shared layer, not a new entry");
    // 5. Reported.
    assert_eq!(
        counters,
        ["aws.server_errors.attempt_errors{rpc.service=signer,rpc.method=GetSigningProfile,\
          error.class=internal_server_error,error.type=500,classifier=typed} 1"]
    );
    assert_eq!(policy.retry_budget_tokens(&SIGNER), Some(19.0));
}

#[test]
fn an_internal_error_of_an_operation_that_is_not_retry_safe_ends_the_call() {
    let policy = policy(|c| c);
    let interceptor = policy.interceptor(&PINPOINT);
    let mut cfg = bag(&PINPOINT, "CreateApp", 1);
    after_attempt(&interceptor, &attempt_with(500, &[]), &mut cfg);
    assert_eq!(call_state(&mut cfg).last.decision, Decision::GiveUp(GiveUpReason::NotRetrySafe));
    assert_eq!(stored_retry_config(&mut cfg).map(|c| c.max_attempts()), Some(1), "out of attempts now");
    assert_eq!(policy.retry_budget_tokens(&PINPOINT), Some(20.0), "no token taken");

    // The call's end: one give-up, with its reason.
    let ctx = attempt_with(500, &[]);
    let counters = counted(|| {
        interceptor.read_after_execution(&(&ctx).into(), &components(), &mut cfg).unwrap();
    });
    assert_eq!(
        counters,
        [
            "aws.server_errors.calls{rpc.service=Pinpoint,rpc.method=CreateApp,outcome=failed} 1",
            "aws.server_errors.give_ups{rpc.service=Pinpoint,rpc.method=CreateApp,reason=not_retry_safe} 1",
        ]
    );
}

#[test]
fn throttling_is_left_to_the_clients_own_retry_configuration() {
    let policy = policy(|c| c);
    let interceptor = policy.interceptor(&SIGNER);
    let mut cfg = bag(&SIGNER, "GetSigningProfile", 1);
    after_attempt(&interceptor, &attempt_with(429, &[]), &mut cfg);
    assert_eq!(call_state(&mut cfg).last.decision, Decision::ClientPolicy);
    assert!(stored_retry_config(&mut cfg).is_none(), "the client's RetryConfig stays in force");
    assert!(cfg.interceptor_state().load::<TokenBucket>().is_none());
}

#[test]
fn the_retry_is_counted_when_it_is_sent_and_its_success_gives_the_token_back() {
    let policy = policy(|c| c);
    let interceptor = policy.interceptor(&SIGNER);
    let mut cfg = bag(&SIGNER, "GetSigningProfile", 1);
    after_attempt(&interceptor, &attempt_with(500, &[]), &mut cfg);
    assert_eq!(policy.retry_budget_tokens(&SIGNER), Some(19.0));

    next_attempt(&mut cfg, 2);
    let ctx = attempt_with(200, &[]);
    let counters = counted(|| {
        interceptor.read_before_transmit(&(&ctx).into(), &components(), &mut cfg).unwrap();
    });
    assert_eq!(
        counters,
        ["aws.server_errors.retries{rpc.service=signer,rpc.method=GetSigningProfile,error.class=internal_server_error} 1"]
    );
    assert!(call_state(&mut cfg).retry.sent);

    let counters = counted(|| after_attempt(&interceptor, &ctx, &mut cfg));
    assert_eq!(
        counters,
        ["aws.server_errors.calls{rpc.service=signer,rpc.method=GetSigningProfile,outcome=ok_after_retries} 1"]
    );
    assert_eq!(policy.retry_budget_tokens(&SIGNER), Some(20.0), "the retry worked: its token is back");
    let bucket = cfg.interceptor_state().load::<TokenBucket>().expect("the partition's bucket, restored");
    assert_eq!(format!("{bucket:?}"), format!("{:?}", TokenBucket::default()));
}

/// After a policy retry that succeeded, the partition's bucket is put back only where it may
/// reward the success: a custom partition's (its bucket is the user's), not a default one's.
#[test]
fn a_success_after_a_policy_retry_puts_back_only_a_bucket_that_may_reward_it() {
    use aws_smithy_runtime::client::retries::RetryPartition;

    let policy = policy(|c| c);
    // One registration for all: the kind of the partition it saw first is remembered, and a call
    // in another partition is told apart.
    let interceptor = policy.interceptor(&SIGNER);
    for (partition, custom) in [
        (RetryPartition::new("signer"), false),
        (RetryPartition::custom("mine").token_bucket(TokenBucket::builder().success_reward(0.5).build()).build(), true),
        (RetryPartition::new("other"), false),
        (RetryPartition::custom("signer").build(), true),
    ] {
        for _ in 0..2 {
            let mut cfg = bag(&SIGNER, "GetSigningProfile", 1);
            let mut layer = Layer::new("partition");
            layer.store_put(partition.clone());
            cfg.push_layer(layer);
            after_attempt(&interceptor, &attempt_with(500, &[]), &mut cfg);
            next_attempt(&mut cfg, 2);
            after_attempt(&interceptor, &attempt_with(200, &[]), &mut cfg);
            let in_force = cfg.load::<TokenBucket>().expect("a bucket");
            let zero_cost = format!("{in_force:?}") == format!("{:?}", zero_cost_bucket());
            assert_eq!(zero_cost, !custom, "{partition}: custom {custom}");
        }
    }
}

#[test]
fn an_open_breaker_fails_the_call_before_its_request_exists() {
    let policy =
        policy(|c| PolicyConfig { circuit_breaker: CircuitBreakerConfig { enabled: true, ..Default::default() }, ..c });
    let interceptor = policy.interceptor(&SIGNER);
    let mut cfg = bag(&SIGNER, "GetSigningProfile", 0);
    let ctx = InterceptorContext::new(Input::doesnt_matter());
    interceptor.read_before_serialization(&(&ctx).into(), &components(), &mut cfg).expect("closed: admitted");

    policy.isolate(&SIGNER).unwrap();
    let mut result = Ok(());
    let counters = counted(|| result = interceptor.read_before_serialization(&(&ctx).into(), &components(), &mut cfg));
    let error = result.expect_err("isolated: refused");
    let open = error.downcast_ref::<CircuitOpen>().expect("the documented error");
    assert_eq!((open.service, open.operation, open.retry_after), ("signer", "GetSigningProfile", None));
    assert_eq!(
        counters,
        [
            "aws.server_errors.calls{rpc.service=signer,rpc.method=GetSigningProfile,outcome=failed_fast} 1",
            "aws.server_errors.circuit.failed_fast{rpc.service=signer,rpc.method=GetSigningProfile} 1",
        ]
    );
}

#[test]
fn a_time_budget_starts_the_calls_clock_before_the_retry_loop() {
    let with_budget = policy(|c| PolicyConfig { time_budget: Some(Duration::from_secs(2)), ..c });
    let mut cfg = bag(&SIGNER, "GetSigningProfile", 0);
    let mut ctx = InterceptorContext::new(Input::doesnt_matter());
    ctx.enter_serialization_phase();
    let _ = ctx.take_input();
    ctx.set_request(HttpRequest::empty());
    ctx.enter_before_transmit_phase();
    with_budget.interceptor(&SIGNER).modify_before_retry_loop(&mut (&mut ctx).into(), &components(), &mut cfg).unwrap();
    assert!(CallSession::get(&mut cfg).is_some_and(|session| session.start.is_some()));
    // A failure of the same call goes into the same value: one per call.
    cfg.interceptor_state().store_put(RequestAttempts::new(1));
    after_attempt(&with_budget.interceptor(&SIGNER), &attempt_with(500, &[]), &mut cfg);
    let session = CallSession::get(&mut cfg).expect("the session");
    assert!(session.start.is_some() && session.failure.is_some());
    // Without a time budget the hook is not declared, and if called, stores nothing.
    let without = policy(|c| c);
    let mut cfg = bag(&SIGNER, "GetSigningProfile", 0);
    without.interceptor(&SIGNER).modify_before_retry_loop(&mut (&mut ctx).into(), &components(), &mut cfg).unwrap();
    assert!(CallSession::get(&mut cfg).is_none(), "nothing stored");
}

#[test]
fn a_second_registration_stands_aside_for_a_call_the_first_owns() {
    let policy = policy(|c| c);
    let (first, second) = (policy.interceptor(&SIGNER), policy.interceptor(&SIGNER));
    let mut cfg = bag(&SIGNER, "GetSigningProfile", 1);
    let ctx = attempt_with(500, &[]);
    let counters = counted(|| {
        after_attempt(&first, &ctx, &mut cfg);
        after_attempt(&second, &ctx, &mut cfg);
    });
    assert_eq!(counters.len(), 1, "one attempt error: {counters:?}");
    assert!(counters[0].ends_with(" 1"), "{counters:?}");
    assert_eq!(call_state(&mut cfg).tally.attempts, 1, "accounted once");
    assert_eq!(policy.retry_budget_tokens(&SIGNER), Some(19.0), "one token, not two");
}

/// The registration on any client (`any_service`): resolved from the first call's `Metadata`,
/// standing aside for an adapter's registration and for a service the table does not know.
mod any_service {
    use aws_smithy_runtime_api::client::interceptors::SharedInterceptor;
    use aws_smithy_runtime_api::client::retries::classifiers::{ClassifyRetry, RetryAction};

    use super::*;
    use crate::testing::GENERIC_SIGNER;

    fn lookup(name: &str) -> Option<&'static Service> {
        (name == "signer").then_some(&GENERIC_SIGNER)
    }

    fn generic_policy(edit: impl FnOnce(PolicyConfig) -> PolicyConfig) -> ServerErrorPolicy {
        let config = edit(PolicyConfig { jitter: Jitter::None, ..PolicyConfig::default() });
        ServerErrorPolicy::with_services(config, [&GENERIC_SIGNER]).expect("a valid config")
    }

    fn attempt(
        interceptor: &SharedInterceptor,
        components: &RuntimeComponents,
        ctx: &InterceptorContext,
        cfg: &mut ConfigBag,
    ) {
        interceptor.read_after_attempt(&ctx.into(), components, cfg).expect("the hook never fails");
    }

    #[test]
    fn hooks_declared_cover_what_any_service_of_the_policy_may_need() {
        let (interceptor, _) = generic_policy(|c| c).any_service(lookup);
        let expected = OverriddenHooks::READ_AFTER_ATTEMPT
            | OverriddenHooks::READ_AFTER_EXECUTION
            | OverriddenHooks::READ_BEFORE_TRANSMIT;
        assert_eq!(interceptor.overridden_hooks(), expected, "no breaker, no time budget: what an adapter declares");
        let all = generic_policy(|c| PolicyConfig {
            time_budget: Some(Duration::from_secs(2)),
            circuit_breaker: CircuitBreakerConfig { enabled: true, ..Default::default() },
            ..c
        });
        let hooks = all.any_service(lookup).0.overridden_hooks();
        assert_eq!(
            hooks,
            expected | OverriddenHooks::READ_BEFORE_SERIALIZATION | OverriddenHooks::MODIFY_BEFORE_RETRY_LOOP
        );
    }

    #[test]
    fn the_service_is_resolved_at_the_first_call_and_classified_from_the_response() {
        let policy = generic_policy(|c| c);
        let (interceptor, classifier) = policy.any_service(lookup);
        assert_eq!(policy.retry_budget_tokens(&GENERIC_SIGNER), None, "no state before the first call");
        let ctx = attempt_with(400, &[("x-amzn-errortype", "Throttled:http://internal.amazon.com/")]);
        assert_eq!(classifier.classify_retry(&ctx), RetryAction::NoActionIndicated, "nothing resolved yet");

        let mut cfg = bag(&SIGNER, "GetSigningProfile", 1);
        let lines = counted(|| attempt(&interceptor, &components(), &ctx, &mut cfg));
        assert_eq!(
            lines,
            ["aws.server_errors.attempt_errors{rpc.service=signer,rpc.method=GetSigningProfile,error.class=throttling,error.type=Throttled,classifier=generic} 1"],
            "by the code the header names (a 400 alone would be a client error)"
        );
        assert_eq!(policy.retry_budget_tokens(&GENERIC_SIGNER), Some(20.0), "the service's state, made at resolution");
        assert_eq!(
            classifier.classify_retry(&ctx),
            RetryAction::throttling_error(),
            "the classifier reads the same code"
        );
        let internal = attempt_with(500, &[]);
        assert_eq!(classifier.classify_retry(&internal), RetryAction::NoActionIndicated, "a bare 500: the SDK's own");
    }

    #[test]
    fn an_adapters_registration_on_the_client_takes_precedence() {
        let policy = generic_policy(|c| c);
        let (interceptor, classifier) = policy.any_service(lookup);
        let typed = ServerErrorPolicy::with_services(PolicyConfig::default(), [&SIGNER]).expect("valid");
        let components = RuntimeComponentsBuilder::for_tests()
            .with_time_source(Some(SharedTimeSource::new(StaticTimeSource::from_secs(1_767_225_600))))
            .with_interceptor(typed.shared_interceptor(&SIGNER))
            .build()
            .expect("test components");
        let ctx = attempt_with(500, &[]);
        let mut cfg = bag(&SIGNER, "GetSigningProfile", 1);
        let lines = counted(|| attempt(&interceptor, &components, &ctx, &mut cfg));
        assert!(lines.is_empty(), "{lines:?}");
        assert_eq!(policy.retry_budget_tokens(&GENERIC_SIGNER), None, "no state: the adapter owns the client");
        assert_eq!(classifier.classify_retry(&ctx), RetryAction::NoActionIndicated);
    }

    #[test]
    fn a_service_the_table_does_not_know_gets_what_every_service_shares() {
        let policy = generic_policy(|c| c);
        let (interceptor, classifier) = policy.any_service(|_| None);
        let mut cfg = bag(&SIGNER, "GetSigningProfile", 1);
        let throttled = attempt_with(400, &[("x-amzn-errortype", "ThrottlingException")]);
        let lines = counted(|| attempt(&interceptor, &components(), &throttled, &mut cfg));
        assert_eq!(
            lines,
            ["aws.server_errors.attempt_errors{rpc.service=signer,rpc.method=GetSigningProfile,error.class=throttling,error.type=ThrottlingException,classifier=generic} 1"],
            "one of the SDK's own throttling codes"
        );
        assert_eq!(classifier.classify_retry(&throttled), RetryAction::throttling_error());
        // Its operations are unknown: a 500 is an internal error, not retried on a first sighting.
        let mut cfg = bag(&SIGNER, "GetSigningProfile", 1);
        attempt(&interceptor, &components(), &attempt_with(500, &[]), &mut cfg);
        assert_eq!(call_state(&mut cfg).last.decision, Decision::GiveUp(GiveUpReason::NotRetrySafe));
        let unknown = super::super::any_service::unknown_service("signer");
        assert!(std::ptr::eq(unknown, super::super::any_service::unknown_service("signer")), "made once");
        assert_eq!((unknown.key(), unknown.classifier()), ("signer", "generic"));
    }

    #[test]
    fn an_operation_the_table_does_not_know_is_retry_safe_by_the_method_recorded_before_transmit() {
        let policy = generic_policy(|c| c);
        let (interceptor, _) = policy.any_service(lookup);
        let transmit = |ctx: &InterceptorContext, cfg: &mut ConfigBag| {
            interceptor.read_before_transmit(&ctx.into(), &components(), cfg).expect("never fails");
        };
        let get = {
            let mut ctx = InterceptorContext::new(Input::doesnt_matter());
            ctx.enter_serialization_phase();
            let _ = ctx.take_input();
            ctx.set_request(HttpRequest::empty());
            ctx.enter_before_transmit_phase();
            ctx
        };
        // Until the client has called an operation the catalog does not know, nothing is looked up.
        let mut first = bag(&SIGNER, "NewOperation", 1);
        transmit(&get, &mut first);
        assert!(CallSession::get(&mut first).is_none(), "not looked up before an unknown operation was seen");
        attempt(&interceptor, &components(), &attempt_with(200, &[]), &mut first);
        for (method, stored) in [("GET", true), ("POST", false)] {
            let mut ctx = InterceptorContext::new(Input::doesnt_matter());
            ctx.enter_serialization_phase();
            let _ = ctx.take_input();
            let mut request = HttpRequest::empty();
            request.set_method(method).expect("a method");
            ctx.set_request(request);
            ctx.enter_before_transmit_phase();
            let mut cfg = bag(&SIGNER, "NewOperation", 1);
            transmit(&ctx, &mut cfg);
            let recorded = CallSession::get(&mut cfg).and_then(|s| s.method);
            assert_eq!(recorded, stored.then_some("GET"), "{method}");
            let mut known = bag(&SIGNER, "GetSigningProfile", 1);
            transmit(&ctx, &mut known);
            assert!(CallSession::get(&mut known).is_none(), "a known operation stores nothing");
        }
    }
}
