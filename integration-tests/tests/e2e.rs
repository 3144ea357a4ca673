//! End to end: real SDK clients of every service with an adapter crate, the SDK's default HTTP client, SigV4 with
//! fake credentials, over HTTP to the loopback fault server. Time is virtual: the SDK's sleep is
//! `InstantSleep` on a `ManualTimeSource`, so a backoff is recorded, not waited for.
//!
//! Scenarios (a) to (f) of the middleware issue run for every service; the rest cover the edges.

use std::time::Duration;

use aws_server_errors::telemetry::{ATTEMPT_ERRORS, GIVE_UPS, RETRIES, RETRY_DELAY};
use aws_server_errors::{Jitter, PolicyConfig, RetryBudgetConfig, RetryHintConfig, ServerErrorPolicy};
use aws_server_errors_fault::{wire, Fault, FaultPlan, Rule};
use aws_server_errors_integration_tests::*;

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

/// Attempts for internal errors as given, backoff 10 ms doubling to 40 ms, no jitter.
fn policy(max_attempts: u32) -> ServerErrorPolicy {
    PolicyConfig::builder()
        .max_attempts(max_attempts)
        .initial_backoff(ms(10))
        .max_backoff(ms(40))
        .jitter(Jitter::None)
        .build()
        .and_then(with_services)
        .unwrap()
}

fn labels<C: Case>(op: &'static str) -> [(&'static str, &'static str); 2] {
    [("rpc.service", C::SERVICE.catalog().service), ("rpc.method", op)]
}

/// (a) Internal error twice, then success: two retries with the policy's backoff, one log event
/// per failed attempt with the OpenTelemetry fields, one for the outcome, and the metrics.
async fn internal_error_then_success<C: Case>() {
    let env = Env::start(FaultPlan::new().rule(Rule::new(Fault::InternalError).operation(C::SAFE_OP).first(2))).await;
    let capture = Capture::start();
    let client = C::client(&env.sdk, Some(&policy(3)));

    assert_eq!(client.call_safe().await, Outcome::Ok);
    assert_eq!(env.attempts(C::SERVICE, C::SAFE_OP), 3);
    assert_eq!(env.sleep.logs(), [ms(10), ms(20)], "the policy's backoff, not the SDK's");

    let catalog = C::SERVICE.catalog();
    let sent_ids: Vec<_> = env.injector.requests().into_iter().filter_map(|r| r.request_id).collect();
    let failed = capture.events_with("attempt failed");
    assert_eq!(failed.len(), 2, "{failed:#?}");
    for (i, event) in failed.iter().enumerate() {
        assert_eq!(event["rpc.system"], "aws-api");
        assert_eq!(event["rpc.service"], catalog.service);
        assert_eq!(event["rpc.method"], C::SAFE_OP);
        assert_eq!(event["error.type"], catalog.internal_error_shape);
        assert_eq!(event["error.class"], "internal_server_error");
        assert_eq!(event["http.response.status_code"], "500");
        assert_eq!(event["aws.request_id"], sent_ids[i]);
        assert_eq!(event["attempt"], (i + 1).to_string());
        assert_eq!(event["max_attempts"], "3");
        assert_eq!(event["decision"], "retry");
        assert_eq!(event["delay_ms"], ["10", "20"][i]);
        assert!(!event.contains_key("reason"));
        // The generic path reads no error body member besides the code (docs/generic-path.md).
        match C::DETAIL_MEMBER.filter(|_| !generic_path_on()) {
            Some(member) => assert!(event["error.detail"].starts_with(&format!("{member}=")), "{event:?}"),
            None => assert!(!event.contains_key("error.detail")),
        }
    }
    let done = capture.events_with("call succeeded after retries");
    assert_eq!(done.len(), 1);
    assert_eq!(done[0]["attempts"], "3");

    let l = labels::<C>(C::SAFE_OP);
    assert_eq!(capture.counter(ATTEMPT_ERRORS, &[l[0], l[1], ("error.class", "internal_server_error")]), 2);
    assert_eq!(capture.counter(RETRIES, &l), 2);
    assert_eq!(capture.histogram(RETRY_DELAY, &l), [0.01, 0.02], "the delays the policy chose");
    assert_eq!(capture.counter(GIVE_UPS, &l), 0);
}

/// (b) A persistent internal error: exactly `max_attempts` (4, not the SDK's 3) attempts, and the
/// service's typed error reaches the caller.
async fn persistent_internal_error<C: Case>() {
    let env = Env::start(FaultPlan::new().fail_always(Fault::InternalError)).await;
    let capture = Capture::start();
    let client = C::client(&env.sdk, Some(&policy(4)));

    assert_eq!(client.call_safe().await, Outcome::InternalServerError);
    assert_eq!(env.attempts(C::SERVICE, C::SAFE_OP), 4);
    assert_eq!(env.sleep.logs(), [ms(10), ms(20), ms(40)]);

    let failed = capture.events_with("attempt failed");
    assert_eq!(failed.len(), 4);
    assert_eq!(failed[3]["decision"], "give_up");
    assert_eq!(failed[3]["reason"], "max_attempts");
    assert_eq!(failed[3]["level"], "WARN");
    let done = capture.events_with("call failed");
    assert_eq!(done.len(), 1);
    assert_eq!(done[0]["reason"], "max_attempts");
    assert_eq!(done[0]["attempts"], "4");
    let l = labels::<C>(C::SAFE_OP);
    assert_eq!(capture.counter(GIVE_UPS, &[l[0], l[1], ("reason", "max_attempts")]), 1);
    assert_eq!(capture.counter(RETRIES, &l), 3);
}

/// (c) A non-retry-safe operation is sent once, and the final log says why; a plain client
/// would have sent it three times.
async fn not_retry_safe_is_sent_once<C: Case>() {
    if !C::HAS_UNSAFE_OP {
        // Nothing to protect: every operation of the service is retry-safe, each by its source.
        let catalog = C::SERVICE.catalog();
        assert!(catalog.operations.iter().all(|op| op.retry_safety.is_retry_safe()), "{:?}", catalog.operations);
        return;
    }
    let env = Env::start(FaultPlan::new().fail_always(Fault::InternalError)).await;
    let capture = Capture::start();
    let client = C::client(&env.sdk, Some(&policy(3)));

    assert_eq!(client.call_unsafe().await, Outcome::InternalServerError);
    assert_eq!(env.attempts(C::SERVICE, C::UNSAFE_OP), 1);
    assert!(env.sleep.logs().is_empty());
    let failed = capture.events_with("attempt failed");
    assert_eq!(failed.len(), 1);
    assert_eq!(failed[0]["retry_safety"], "not_retry_safe");
    assert_eq!(failed[0]["reason"], "not_retry_safe");
    let done = capture.events_with("call failed");
    assert_eq!(done[0]["reason"], "not_retry_safe");
    assert_eq!(capture.counter(GIVE_UPS, &[("rpc.method", C::UNSAFE_OP), ("reason", "not_retry_safe")]), 1);

    let plain = C::client(&env.sdk, None);
    assert_eq!(plain.call_unsafe().await, Outcome::InternalServerError);
    assert_eq!(env.attempts(C::SERVICE, C::UNSAFE_OP), 1 + 3, "the SDK alone resends it");

    // Allowed per operation, it is retried.
    let allowed = PolicyConfig::builder()
        .initial_backoff(ms(10))
        .operation(C::SERVICE.catalog().key(), C::UNSAFE_OP, |o| o.retry_non_idempotent = Some(true))
        .build()
        .and_then(with_services)
        .unwrap();
    let client = C::client(&env.sdk, Some(&allowed));
    assert_eq!(client.call_unsafe().await, Outcome::InternalServerError);
    assert_eq!(env.attempts(C::SERVICE, C::UNSAFE_OP), 4 + 3);
}

/// (d) Raising the internal-error attempts leaves throttling to the client's own retry config
/// (standard: 3 attempts), and internal-error attempts do not eat into it.
async fn throttling_keeps_client_behaviour<C: Case>() {
    let env = Env::start(FaultPlan::new().fail_always(Fault::Throttling)).await;
    let capture = Capture::start();
    let client = C::client(&env.sdk, Some(&policy(6)));

    assert_eq!(client.call_safe().await, Outcome::Throttling);
    assert_eq!(env.attempts(C::SERVICE, C::SAFE_OP), 3);
    let failed = capture.events_with("attempt failed");
    assert!(failed.iter().all(|e| e["error.class"] == "throttling" && e["decision"] == "client_policy"), "{failed:?}");
    assert_eq!(capture.events_with("call failed")[0]["reason"], "client_policy");

    let plain = C::client(&env.sdk, None);
    assert_eq!(plain.call_safe().await, Outcome::Throttling);
    if C::SDK_RETRIES_THROTTLING {
        assert_eq!(env.attempts(C::SERVICE, C::SAFE_OP), 3 + 3, "same as a plain client");
    } else {
        // The SDK alone never retries it; the policy's classifier made it the client's throttling.
        assert_eq!(env.attempts(C::SERVICE, C::SAFE_OP), 3 + 1, "the SDK's gap, closed");
    }

    // Two internal errors first, then throttling: throttling still gets its own 3 attempts.
    let mixed =
        Env::start(FaultPlan::new().rule(Rule::new(Fault::InternalError).first(2)).rule(Rule::new(Fault::Throttling)))
            .await;
    let client = C::client(&mixed.sdk, Some(&policy(6)));
    assert_eq!(client.call_safe().await, Outcome::Throttling);
    assert_eq!(mixed.attempts(C::SERVICE, C::SAFE_OP), 2 + 3);
}

/// (f) A service disabled in the policy behaves exactly like a plain SDK client: same attempts,
/// same number of backoffs, no events, no metrics, even for a non-retry-safe operation.
async fn disabled_service_is_plain<C: Case>() {
    let disabled = PolicyConfig::builder()
        .max_attempts(5)
        .disable_service(C::SERVICE.catalog().key())
        .build()
        .and_then(with_services)
        .unwrap();
    assert!(!disabled.is_enabled(C::SERVICE));
    let mut runs = Vec::new();
    for policy in [Some(&disabled), None] {
        let env = Env::start(FaultPlan::new().fail_always(Fault::InternalError)).await;
        let capture = Capture::start();
        let client = C::client(&env.sdk, policy);
        let outcomes = (client.call_safe().await, client.call_unsafe().await);
        runs.push((
            outcomes,
            env.attempts(C::SERVICE, C::SAFE_OP),
            env.attempts(C::SERVICE, C::UNSAFE_OP),
            env.sleep.logs().len(),
            capture.events().len(),
            capture.label_sets(ATTEMPT_ERRORS).len(),
        ));
    }
    let expected = ((Outcome::InternalServerError, Outcome::InternalServerError), 3, 3, 4, 0, 0);
    assert_eq!(runs[0], expected, "disabled");
    assert_eq!(runs[1], expected, "plain");
}

/// (g) One name per service: the config accepts its key and its SDK name in any case and
/// spacing, and names nothing else with it; metrics and logs carry the SDK name as
/// `rpc.service`; the key is the SDK crate's name without `aws-sdk-`; a near miss is an error that
/// lists every service's names and suggests the key.
async fn one_name_per_service<C: Case>() {
    let service = C::SERVICE;
    assert_eq!(service.key(), service.catalog().sdk_crate.strip_prefix("aws-sdk-").unwrap());
    let spaced: String = service.name().chars().flat_map(|c| [c, ' ']).collect();
    for name in
        [service.key(), service.name(), &service.name().to_uppercase(), &spaced, &service.key().replace("e", "e-")]
    {
        let config = PolicyConfig::builder().disable_service(name).build().unwrap();
        let policy = with_services(config).unwrap();
        for other in SERVICES {
            assert_eq!(policy.is_enabled(other), other != service, "{name:?} names {} only", service.key());
        }
    }
    let typo = format!("{}x", service.key());
    let error = with_services(PolicyConfig::builder().disable_service(&typo).build().unwrap()).unwrap_err();
    let message = error.to_string();
    assert!(message.contains(&format!("did you mean {}?", service.key())), "{message}");
    for other in SERVICES {
        assert!(message.contains(other.key()) && message.contains(other.name()), "{message}");
    }

    let env = Env::start(FaultPlan::new().fail_first(1, Fault::InternalError)).await;
    let capture = Capture::start();
    assert_eq!(C::client(&env.sdk, Some(&policy(3))).call_safe().await, Outcome::Ok);
    assert_eq!(capture.label_sets(ATTEMPT_ERRORS).len(), 1);
    assert_eq!(capture.counter(ATTEMPT_ERRORS, &[("rpc.service", service.name())]), 1);
    assert_eq!(capture.events_with("attempt failed")[0]["rpc.service"], service.name());
}

/// (h) The breaker opens on the service's internal errors, fails calls fast without sending them,
/// and closes after the break when the probe succeeds (over real HTTP, on the client's manual
/// clock: the test moves it past the break).
async fn breaker_opens_and_closes<C: Case>() {
    use std::sync::atomic::{AtomicBool, Ordering};
    let down = std::sync::Arc::new(AtomicBool::new(true));
    let outage = down.clone();
    let plan = FaultPlan::new().rule(Rule::new(Fault::InternalError).when(move |_| outage.load(Ordering::SeqCst)));
    let env = Env::start(plan).await;
    let breaker = aws_server_errors::CircuitBreakerConfig {
        minimum_throughput: 6,
        break_duration: Duration::from_secs(5),
        ..Default::default()
    };
    let policy = PolicyConfig::builder()
        .initial_backoff(ms(10))
        .circuit_breaker(breaker)
        .service(C::SERVICE.key(), |s| s.circuit_breaker = true.into())
        .build()
        .and_then(with_services)
        .unwrap();
    let client = C::client_in(&env.sdk, Some(&policy), Some(&format!("breaker-{}", C::SERVICE.key())));
    for _ in 0..2 {
        assert_eq!(client.call_safe().await, Outcome::InternalServerError);
    }
    assert_eq!(policy.circuit_state(C::SERVICE), Some(aws_server_errors::CircuitState::Open), "6 failures of 6");
    let sent = env.injector.requests().len();
    assert!(matches!(client.call_safe().await, Outcome::Other(_)), "not the service's error: failed fast");
    assert_eq!(env.injector.requests().len(), sent, "failed fast: nothing sent");

    down.store(false, Ordering::SeqCst);
    aws_smithy_async::rt::sleep::AsyncSleep::sleep(&env.sleep, Duration::from_secs(6)).await; // past the break
    assert_eq!(client.call_safe().await, Outcome::Ok, "the probe");
    assert_eq!(policy.circuit_state(C::SERVICE), Some(aws_server_errors::CircuitState::Closed));
}

macro_rules! per_service {
    ($($module:ident: $case:ty),* $(,)?) => {$(
        mod $module {
            use super::*;

            #[tokio::test]
            async fn a_internal_error_then_success() {
                internal_error_then_success::<$case>().await;
            }

            #[tokio::test]
            async fn b_persistent_internal_error_gives_up_after_max_attempts() {
                persistent_internal_error::<$case>().await;
            }

            #[tokio::test]
            async fn c_not_retry_safe_operation_is_sent_once() {
                not_retry_safe_is_sent_once::<$case>().await;
            }

            #[tokio::test]
            async fn d_throttling_keeps_the_client_retry_behaviour() {
                throttling_keeps_client_behaviour::<$case>().await;
            }

            #[tokio::test]
            async fn f_disabled_service_behaves_like_a_plain_client() {
                disabled_service_is_plain::<$case>().await;
            }

            #[tokio::test]
            async fn g_one_name_per_service() {
                one_name_per_service::<$case>().await;
            }

            #[tokio::test]
            async fn h_the_breaker_opens_and_closes() {
                breaker_opens_and_closes::<$case>().await;
            }

            /// The same matrix through the generic path: the policy registered with
            /// `aws_server_errors_services::server_error_policy!`, not the adapter crate.
            mod generic {
                use super::*;

                #[tokio::test]
                async fn a_internal_error_then_success() {
                    let _generic = generic_path();
                    internal_error_then_success::<$case>().await;
                }

                #[tokio::test]
                async fn b_persistent_internal_error_gives_up_after_max_attempts() {
                    let _generic = generic_path();
                    persistent_internal_error::<$case>().await;
                }

                #[tokio::test]
                async fn c_not_retry_safe_operation_is_sent_once() {
                    let _generic = generic_path();
                    not_retry_safe_is_sent_once::<$case>().await;
                }

                #[tokio::test]
                async fn d_throttling_keeps_the_client_retry_behaviour() {
                    let _generic = generic_path();
                    throttling_keeps_client_behaviour::<$case>().await;
                }

                #[tokio::test]
                async fn f_disabled_service_behaves_like_a_plain_client() {
                    let _generic = generic_path();
                    disabled_service_is_plain::<$case>().await;
                }

                #[tokio::test]
                async fn h_the_breaker_opens_and_closes() {
                    let _generic = generic_path();
                    breaker_opens_and_closes::<$case>().await;
                }

                #[tokio::test]
                async fn agreement_with_the_adapter() {
                    agreement::<$case>().await;
                }
            }
        }
    )*};
}

per_service!(
    signer: Signer,
    pinpoint: Pinpoint,
    account: Account,
    backupgateway: BackupGateway,
    connectcases: ConnectCases,
    dynamodb: DynamoDb,
    sns: Sns,
    s3: S3,
    sqs: Sqs,
    sts: Sts,
    kms: Kms,
    lambda: Lambda,
    kinesis: Kinesis,
    ec2: Ec2,
);

/// (e) Connect Cases' `Retry-After` is honoured, cut to `retry_hint.max`; an unparseable one
/// still counts as an internal error (the SDK returns `Unhandled` with its code) and falls back
/// to the policy's backoff.
#[tokio::test]
async fn e_connect_cases_retry_after_is_honoured_within_bounds() {
    let plan = FaultPlan::new()
        .rule(Rule::new(Fault::InternalErrorWithRetryAfter("1".into())).first(1))
        .rule(Rule::new(Fault::InternalErrorWithRetryAfter("30".into())).first(1))
        .rule(Rule::new(Fault::InternalErrorWithRetryAfter("soon".into())).first(1));
    let env = Env::start(plan).await;
    let capture = Capture::start();
    let policy = PolicyConfig::builder()
        .max_attempts(4)
        .initial_backoff(ms(10))
        .max_backoff(ms(40))
        .jitter(Jitter::None)
        .retry_hint(RetryHintConfig { honour: true, max: Duration::from_secs(2) })
        .build()
        .and_then(with_services)
        .unwrap();
    let client = ConnectCases::client(&env.sdk, Some(&policy));

    assert_eq!(client.call_safe().await, Outcome::Ok);
    assert_eq!(env.attempts(ConnectCases::SERVICE, "GetDomain"), 4);
    assert_eq!(env.sleep.logs(), [Duration::from_secs(1), Duration::from_secs(2), ms(40)]);
    let failed = capture.events_with("attempt failed");
    assert_eq!(failed.iter().map(|e| e["delay_ms"].as_str()).collect::<Vec<_>>(), ["1000", "2000", "40"]);
    assert!(failed.iter().all(|e| e["error.type"] == "InternalServerException"), "{failed:?}");

    // A plain client ignores Retry-After (the SDK reads only x-amz-retry-after).
    let env = Env::start(FaultPlan::new().fail_first(1, Fault::InternalErrorWithRetryAfter("7".into()))).await;
    let plain = ConnectCases::client(&env.sdk, None);
    assert_eq!(plain.call_safe().await, Outcome::Ok);
    assert!(env.sleep.logs()[0] < Duration::from_secs(7), "{:?}", env.sleep.logs());
}

/// A retry hint that would run past the call's time budget ends the call instead.
#[tokio::test]
async fn e_retry_after_past_the_time_budget_gives_up() {
    let env = Env::start(FaultPlan::new().fail_always(Fault::InternalErrorWithRetryAfter("1".into()))).await;
    let capture = Capture::start();
    let policy = PolicyConfig::builder().max_attempts(5).time_budget(ms(1500)).build().and_then(with_services).unwrap();
    let client = ConnectCases::client(&env.sdk, Some(&policy));

    assert_eq!(client.call_safe().await, Outcome::InternalServerError);
    assert_eq!(env.attempts(ConnectCases::SERVICE, "GetDomain"), 2, "retry at 1 s, then 2 s > 1.5 s");
    assert_eq!(env.sleep.logs(), [Duration::from_secs(1)]);
    assert_eq!(capture.events_with("call failed")[0]["reason"], "time_budget");
}

/// Pinpoint's tag operations model no errors: their internal error arrives as `Unhandled` and is
/// classified by its code. ListTagsForResource (GET) is retried; TagResource (POST) is not.
#[tokio::test]
async fn pinpoint_tag_operations_classify_unhandled_internal_errors() {
    let env = Env::start(FaultPlan::new().rule(Rule::new(Fault::InternalError).first(2))).await;
    let capture = Capture::start();
    let client = Pinpoint::client(&env.sdk, Some(&policy(3))).0;

    client.list_tags_for_resource().resource_arn("arn:aws:mobiletargeting:x").send().await.unwrap();
    assert_eq!(env.attempts(Pinpoint::SERVICE, "ListTagsForResource"), 3);
    let failed = capture.events_with("attempt failed");
    assert!(failed.iter().all(|e| e["error.class"] == "internal_server_error"), "{failed:?}");
    assert!(failed.iter().all(|e| e["error.type"] == "InternalServerErrorException"), "{failed:?}");

    let env = Env::start(FaultPlan::new().fail_always(Fault::InternalError)).await;
    let client = Pinpoint::client(&env.sdk, Some(&policy(3))).0;
    let err = client
        .tag_resource()
        .resource_arn("arn")
        .tags_model(aws_sdk_pinpoint::types::TagsModel::builder().tags("k", "v").build())
        .send()
        .await
        .unwrap_err();
    use aws_sdk_pinpoint::error::ProvideErrorMetadata;
    assert_eq!(err.into_service_error().code(), Some("InternalServerErrorException"));
    assert_eq!(env.attempts(Pinpoint::SERVICE, "TagResource"), 1);
}

/// A 500 without an error type and with an HTML body (a load balancer's) is an internal-server
/// error by its status, with `error.type` the status code: a retry-safe operation gets the
/// policy's attempts, and the caller the SDK's own unhandled error: no panic.
#[tokio::test]
async fn a_bare_500_is_an_internal_server_error_by_its_status() {
    let env = Env::start(FaultPlan::new().fail_always(Fault::Malformed)).await;
    let capture = Capture::start();
    let client = Signer::client(&env.sdk, Some(&policy(5)));

    let outcome = client.call_safe().await;
    assert!(matches!(outcome, Outcome::Other(ref s) if s.contains("Unhandled")), "{outcome:?}");
    assert_eq!(env.attempts(Signer::SERVICE, "GetSigningProfile"), 5, "the policy's 5, not the client's 3");
    let failed = capture.events_with("attempt failed");
    assert!(
        failed.iter().all(|e| e["error.class"] == "internal_server_error" && e["error.type"] == "500"),
        "{failed:?}"
    );
    let labels = [("error.class", "internal_server_error"), ("error.type", "500")];
    assert_eq!(capture.counter(ATTEMPT_ERRORS, &labels), 5);
}

/// A bare 502, 503 or 504 (a gateway's, no error type) is a server error with `error.type` the
/// status code, left to the client's retry config (3 attempts) for a retry-safe operation; a write
/// is sent once after a 502 or 504 (it may have been applied) and keeps the client's retries after
/// a 503 (refused).
#[tokio::test]
async fn bare_502_503_504_are_server_errors_by_their_status() {
    for (status, write_attempts) in [(502, 1), (503, 3), (504, 1)] {
        let fault = Fault::BareStatus { status, body: "<html>bad gateway</html>".into() };
        let env = Env::start(FaultPlan::new().fail_always(fault)).await;
        let capture = Capture::start();
        let client = Signer::client(&env.sdk, Some(&policy(5)));
        assert!(matches!(client.call_safe().await, Outcome::Other(_)));
        assert_eq!(env.attempts(Signer::SERVICE, "GetSigningProfile"), 3, "{status}: the client's 3");
        let code = status.to_string();
        let failed = capture.events_with("attempt failed");
        assert!(failed.iter().all(|e| e["error.class"] == "server_error" && e["error.type"] == code), "{failed:?}");
        let _ = client.call_unsafe().await;
        assert_eq!(env.attempts(Signer::SERVICE, "AddProfilePermission"), write_attempts, "{status}");
    }
}

/// Logs carry request ids but never credentials, signatures or bodies.
#[tokio::test]
async fn logs_never_contain_credentials_signatures_or_bodies() {
    let env = Env::start(FaultPlan::new().fail_always(Fault::InternalError)).await;
    let capture = Capture::start();
    let _ = Pinpoint::client(&env.sdk, Some(&policy(2))).call_safe().await;
    let _ = Pinpoint::client(&env.sdk, Some(&policy(2))).call_unsafe().await;
    let text = capture.all_text();
    assert!(text.contains("aws.request_id="), "events were captured: {text}");
    for secret in [SECRET_KEY, ACCESS_KEY, "Signature", "AWS4-HMAC-SHA256", wire::MESSAGE, "{\"", "Authorization"] {
        assert!(!text.contains(secret), "log contains {secret:?}: {text}");
    }
}

/// One policy on a client of every service keeps its retry budget per service: exhausting
/// Signer's budget does not touch Pinpoint's.
#[tokio::test]
async fn one_policy_on_every_services_client_keeps_state_per_service() {
    let env = Env::start(FaultPlan::new().fail_always(Fault::InternalError)).await;
    let capture = Capture::start();
    let policy = PolicyConfig::builder()
        .initial_backoff(ms(10))
        .retry_budget(RetryBudgetConfig { enabled: true, capacity: 2, ratio: 0.0 })
        .build()
        .and_then(with_services)
        .unwrap();
    let signer = Signer::client(&env.sdk, Some(&policy));
    let pinpoint = Pinpoint::client(&env.sdk, Some(&policy));
    let _others = (
        Account::client(&env.sdk, Some(&policy)),
        BackupGateway::client(&env.sdk, Some(&policy)),
        ConnectCases::client(&env.sdk, Some(&policy)),
        DynamoDb::client(&env.sdk, Some(&policy)),
        Sns::client(&env.sdk, Some(&policy)),
        S3::client(&env.sdk, Some(&policy)),
        Sqs::client(&env.sdk, Some(&policy)),
        Sts::client(&env.sdk, Some(&policy)),
        Kms::client(&env.sdk, Some(&policy)),
        Lambda::client(&env.sdk, Some(&policy)),
        Kinesis::client(&env.sdk, Some(&policy)),
        Ec2::client(&env.sdk, Some(&policy)),
    );

    signer.call_safe().await;
    signer.call_safe().await;
    assert_eq!(env.attempts(Signer::SERVICE, "GetSigningProfile"), 3 + 1, "second call: budget empty");
    assert_eq!(capture.events_with("call failed")[1]["reason"], "retry_budget");
    assert_eq!(policy.retry_budget_tokens(Signer::SERVICE), Some(0.0));

    pinpoint.call_safe().await;
    assert_eq!(env.attempts(Pinpoint::SERVICE, "GetApp"), 3, "Pinpoint's budget is its own");
    assert_eq!(policy.retry_budget_tokens(Pinpoint::SERVICE), Some(0.0));
    for untouched in &SERVICES[2..] {
        assert_eq!(policy.retry_budget_tokens(untouched), Some(2.0), "{}", untouched.key());
    }
}

/// DynamoDB binds every operation to POST and its model has no `@readonly`: `GetItem` is retried
/// after a 500 on AWS's naming convention alone, and sent once when that is switched off; its
/// `retry_safety` log field says which.
#[tokio::test]
async fn a_read_by_naming_convention_is_retried_unless_switched_off() {
    for (by_name, attempts) in [(true, 3), (false, 1)] {
        let env = Env::start(FaultPlan::new().fail_always(Fault::InternalError)).await;
        let capture = Capture::start();
        let mut config = PolicyConfig::builder().initial_backoff(ms(10)).build().unwrap();
        config.retry_by_naming_convention = by_name;
        let policy = with_services(config).unwrap();
        assert_eq!(DynamoDb::client(&env.sdk, Some(&policy)).call_safe().await, Outcome::InternalServerError);
        assert_eq!(env.attempts(DynamoDb::SERVICE, "GetItem"), attempts, "by name: {by_name}");
        assert_eq!(capture.events_with("attempt failed")[0]["retry_safety"], "naming_convention");
    }
}

/// SNS sends throttling as a 429 with code `Throttled`, which the SDK alone never retries (not in
/// its throttling codes; 429 is not among its transient statuses). A throttled request was not
/// applied, so even a write is retried, on the client's throttling backoff.
#[tokio::test]
async fn sns_throttled_429_is_retried_even_for_a_write() {
    let plan = || FaultPlan::new().rule(Rule::new(Fault::Throttling).first(2));
    let env = Env::start(plan()).await;
    let capture = Capture::start();
    assert_eq!(Sns::client(&env.sdk, Some(&policy(3))).call_unsafe().await, Outcome::Ok);
    assert_eq!(env.attempts(Sns::SERVICE, "Publish"), 3);
    let failed = capture.events_with("attempt failed");
    assert!(
        failed.iter().all(|e| e["error.class"] == "throttling" && e["http.response.status_code"] == "429"),
        "{failed:?}"
    );
    let plain = Env::start(plan()).await;
    assert_eq!(Sns::client(&plain.sdk, None).call_unsafe().await, Outcome::Throttling);
    assert_eq!(plain.attempts(Sns::SERVICE, "Publish"), 1, "the SDK alone stops at the first 429");
}

/// S3's request ids come from its own headers: `x-amz-request-id` in the log and the incident
/// report, and `x-amz-id-2` as the report's extended id; its unmodeled `InternalError` is an
/// internal-server error by its code.
#[tokio::test]
async fn s3_request_ids_come_from_its_own_headers() {
    let env = Env::start(FaultPlan::new().fail_first(1, Fault::InternalError)).await;
    let capture = Capture::start();
    let policy = policy(3);
    assert_eq!(S3::client(&env.sdk, Some(&policy)).call_safe().await, Outcome::Ok);
    let failed = capture.events_with("attempt failed");
    assert_eq!(
        (failed[0]["error.type"].as_str(), failed[0]["error.class"].as_str()),
        ("InternalError", "internal_server_error")
    );
    let request_id = env.injector.requests()[0].request_id.clone().unwrap();
    assert_eq!(failed[0]["aws.request_id"], request_id);
    let report = policy.incident_report(S3::SERVICE).expect("one internal error");
    let sample = &report.samples[0];
    assert_eq!(sample.request_id.as_deref(), Some(request_id.as_str()));
    assert_eq!(sample.extended_request_id.as_deref(), Some(format!("fault-kit-host-id-{request_id}").as_str()));
}

/// S3 sends some failures inside a `200 OK` (a copy or a multipart completion that failed after
/// the request was accepted); the SDK turns the body into the operation's error. The policy reads
/// it as an internal-server error of the service (its breaker and incident report count it), and
/// retries the operations that are safe to repeat: `CopyObject` (a PUT) and
/// `CompleteMultipartUpload` (reviewed: AWS asks applications to retry it).
#[tokio::test]
async fn s3_errors_inside_a_200_are_internal_errors_and_retried() {
    async fn call(client: &aws_sdk_s3::Client, operation: &str) -> bool {
        match operation {
            "CopyObject" => client.copy_object().bucket("b").key("k").copy_source("src/k").send().await.is_ok(),
            _ => client.complete_multipart_upload().bucket("b").key("k").upload_id("u").send().await.is_ok(),
        }
    }
    for operation in ["CopyObject", "CompleteMultipartUpload"] {
        let plan = || {
            let rule = Rule::new(Fault::InternalErrorIn200).service(S3::SERVICE).operation(operation).first(1);
            FaultPlan::new().rule(rule)
        };
        let env = Env::start(plan()).await;
        let capture = Capture::start();
        let policy = policy(3);
        assert!(call(&S3::client(&env.sdk, Some(&policy)).0, operation).await, "{operation}: retried, then ok");
        assert_eq!(env.attempts(S3::SERVICE, operation), 2, "{operation}");
        let failed = capture.events_with("attempt failed");
        assert_eq!(failed[0]["error.class"], "internal_server_error", "{operation}");
        assert_eq!(failed[0]["http.response.status_code"], "200", "{operation}");
        assert_eq!(
            policy.incident_report(S3::SERVICE).map(|r| r.total()),
            Some(1),
            "{operation}: a server-side failure"
        );

        // The SDK alone retries it too (no gap here): the policy adds the classification and the
        // accounting, and keeps the retry.
        let plain = Env::start(plan()).await;
        assert!(call(&S3::client(&plain.sdk, None).0, operation).await, "{operation}");
        assert_eq!(plain.attempts(S3::SERVICE, operation), 2, "{operation}");
    }
}

/// The documented example config is valid against the services, names and all.
#[test]
fn the_documented_example_config_is_valid_against_the_services() {
    let config: PolicyConfig = toml::from_str(include_str!("../../docs/example-policy.toml")).unwrap();
    let policy = with_services(config).unwrap();
    assert!(!policy.is_enabled(Account::SERVICE));
}

/// The policy keeps state only for the services it is registered on: no budget, breaker or
/// gauge for a service whose client was never built.
#[tokio::test]
async fn state_and_gauges_only_for_registered_services() {
    let env = Env::start(FaultPlan::new()).await;
    let capture = Capture::start();
    let breaker = aws_server_errors::CircuitBreakerConfig { enabled: true, ..Default::default() };
    let policy = PolicyConfig::builder().circuit_breaker(breaker).build().and_then(with_services).unwrap();
    assert_eq!(policy.retry_budget_tokens(Signer::SERVICE), None);
    let signer = Signer::client(&env.sdk, Some(&policy));
    assert_eq!(signer.call_safe().await, Outcome::Ok);
    let gauges: Vec<_> =
        [aws_server_errors::telemetry::RETRY_BUDGET_TOKENS, aws_server_errors::telemetry::CIRCUIT_STATE]
            .into_iter()
            .flat_map(|name| capture.label_sets(name))
            .collect();
    let signer_default =
        vec![("rpc.service".to_owned(), "signer".to_owned()), ("policy".to_owned(), "default".to_owned())];
    assert_eq!(gauges, vec![signer_default; 2], "Signer's only");
    assert_eq!(policy.retry_budget_tokens(Signer::SERVICE), Some(20.0));
    for other in &SERVICES[1..] {
        assert_eq!((policy.retry_budget_tokens(other), policy.circuit_state(other)), (None, None), "{other}");
    }
}

/// A call that ends with a modeled client fault (DynamoDB's `ConditionalCheckFailedException`,
/// control flow for a conditional write) is counted with the outcome `client_error`, never as a
/// give-up, and logged at the configured level (DEBUG by default), not as `WARN call failed`.
#[tokio::test]
async fn a_client_error_is_an_outcome_of_its_own_not_a_give_up() {
    use aws_server_errors::telemetry::CALLS;
    use aws_server_errors::LogLevel;
    use aws_server_errors_fault::{responder_fn, FaultInjector, FaultServer};
    let condition_failed = responder_fn(|_| {
        http::Response::builder()
            .status(400)
            .header("Content-Type", "application/x-amz-json-1.0")
            .header("x-amzn-RequestId", "req-ccf")
            .body(bytes::Bytes::from_static(
                br#"{"__type":"com.amazonaws.dynamodb.v20120810#ConditionalCheckFailedException","message":"The conditional request failed"}"#,
            ))
            .unwrap()
    });
    for (level, logged) in [(None, Some("DEBUG")), (Some(LogLevel::Warn), Some("WARN")), (Some(LogLevel::Off), None)] {
        let injector = FaultInjector::with_responder(FaultPlan::new(), condition_failed.clone());
        let server = FaultServer::start(injector.clone(), [DynamoDb::SERVICE]).await.unwrap();
        let sdk =
            server.sdk_config().to_builder().retry_config(aws_smithy_types::retry::RetryConfig::standard()).build();
        let capture = Capture::start();
        let mut config = PolicyConfig::builder();
        if let Some(level) = level {
            config = config.client_error_log(level);
        }
        let policy = config.build().and_then(with_services).unwrap();
        let client = DynamoDb::client(&sdk, Some(&policy));
        assert!(matches!(client.call_unsafe().await, Outcome::Other(_)), "the caller gets the service's error");
        assert_eq!(injector.attempts(DynamoDb::SERVICE, "PutItem"), 1, "a client error is not retried");
        let calls = |outcome| capture.counter(CALLS, &[("rpc.method", "PutItem"), ("outcome", outcome)]);
        assert_eq!((calls("client_error"), calls("failed")), (1, 0), "{level:?}");
        assert_eq!(capture.counter(GIVE_UPS, &[]), 0, "not a give-up: {level:?}");
        assert!(capture.events_with("call failed").is_empty(), "{level:?}");
        let events = capture.events_with("call failed with a client error");
        assert_eq!(events.iter().map(|e| e["level"].as_str()).next(), logged, "{level:?}");
        if let Some(event) = events.first() {
            assert_eq!(
                (event["error.type"].as_str(), event["outcome"].as_str()),
                ("ConditionalCheckFailedException", "client_error")
            );
        }
        let attempt_levels: Vec<_> = capture.events_with("attempt failed").iter().map(|e| e["level"].clone()).collect();
        assert_eq!(
            attempt_levels,
            logged.into_iter().map(str::to_owned).collect::<Vec<_>>(),
            "the attempt's event too"
        );
    }
}

/// A policy registered on a client of a service it was not given (when it was given some) acts
/// there with the top-level settings, and says so once.
#[tokio::test]
async fn a_policy_registered_on_a_service_it_was_not_given_acts_and_says_so() {
    let env = Env::start(FaultPlan::new().fail_first(1, Fault::InternalError)).await;
    let capture = Capture::start();
    let config =
        PolicyConfig::builder().operation("dynamodb", "PutItem", |op| op.max_attempts = Some(1)).build().unwrap();
    let policy = ServerErrorPolicy::with_services(config, [DynamoDb::SERVICE]).unwrap();
    let s3 = S3::client(&env.sdk, Some(&policy));
    let _second = S3::client(&env.sdk, Some(&policy));
    assert_eq!(s3.call_unsafe().await, Outcome::InternalServerError);
    let sent = env.injector.attempts(S3::SERVICE, S3::UNSAFE_OP);
    assert_eq!(sent, 1, "the policy kept the SDK from resending the write after a 500: it acts");
    let warned = capture
        .events_with("policy registered on a service not given to with_services; it acts with the top-level settings");
    assert_eq!(warned.len(), 1, "once per service: {warned:?}");
    assert_eq!((warned[0]["rpc.service"].as_str(), warned[0]["given"].as_str()), ("S3", "dynamodb"));
    let _dynamodb = DynamoDb::client(&env.sdk, Some(&policy));
    assert_eq!(
        capture
            .events_with(
                "policy registered on a service not given to with_services; it acts with the top-level settings"
            )
            .len(),
        1
    );
}

/// The in-process client injects the plan's faults and forwards everything else to the HTTP
/// client it wraps (here a second injector, standing in for the SDK's default client).
/// The fault kit's default success is valid for the SDK's builders: Connect Cases `CreateCase`
/// returns a non-empty `case_id`, which the next `GetCase` can use (an empty one fails to build
/// its request). And a closure is a responder.
#[tokio::test]
async fn default_successes_carry_ids_a_next_request_can_use() {
    use aws_sdk_connectcases::types::FieldValue;
    use aws_server_errors_fault::{responder_fn, success_response, MinimalSuccess, Responder};

    let env = Env::start(FaultPlan::new()).await;
    let client = ConnectCases::client(&env.sdk, Some(&policy(3))).0;
    let created = client
        .create_case()
        .domain_id("domain")
        .template_id("template")
        .fields(
            FieldValue::builder()
                .id("f")
                .value(aws_sdk_connectcases::types::FieldValueUnion::StringValue("v".into()))
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(created.case_id(), "fault-kit-caseId");
    let got = client
        .get_case()
        .domain_id("domain")
        .case_id(created.case_id())
        .fields(aws_sdk_connectcases::types::FieldIdentifier::builder().id("f").build().unwrap())
        .send()
        .await;
    assert_eq!(got.unwrap().template_id(), "fault-kit-templateId");

    let responder = responder_fn(|request| match (request.service, request.operation) {
        (Some(service), Some("GetCase")) => {
            success_response(service, &serde_json::json!({ "templateId": "from-a-closure", "fields": [] }))
        }
        _ => MinimalSuccess.respond(request),
    });
    let injector = aws_server_errors_fault::FaultInjector::with_responder(FaultPlan::new(), responder);
    let sdk = aws_server_errors_fault::sdk_config("http://localhost:1");
    let client = aws_sdk_connectcases::Client::from_conf(
        aws_sdk_connectcases::config::Builder::from(&sdk)
            .http_client(injector.http_client(ConnectCases::SERVICE))
            .build(),
    );
    let got = client
        .get_case()
        .domain_id("d")
        .case_id("c")
        .fields(aws_sdk_connectcases::types::FieldIdentifier::builder().id("f").build().unwrap())
        .send()
        .await;
    assert_eq!(got.unwrap().template_id(), "from-a-closure");
}

#[tokio::test]
async fn in_process_client_passes_unfaulted_requests_through() {
    use aws_server_errors_fault::FaultInjector;
    use aws_smithy_runtime_api::client::http::SharedHttpClient;

    let upstream = FaultInjector::new(FaultPlan::new());
    let injector = FaultInjector::new(FaultPlan::new().fail_first(2, Fault::InternalError));
    let http_client =
        injector.http_client(Signer::SERVICE).passthrough(SharedHttpClient::new(upstream.http_client(Signer::SERVICE)));
    let env = Env::start(FaultPlan::new()).await;
    let sdk = env.sdk.to_builder().http_client(http_client).build();

    assert_eq!(Signer::client(&sdk, Some(&policy(3))).call_safe().await, Outcome::Ok);
    assert_eq!(injector.attempts(Signer::SERVICE, "GetSigningProfile"), 3, "all attempts seen in process");
    let faults: Vec<_> = injector.requests().into_iter().map(|r| r.fault.is_some()).collect();
    assert_eq!(faults, [true, true, false]);
    assert_eq!(upstream.attempts(Signer::SERVICE, "GetSigningProfile"), 1, "only the third went through");
    assert_eq!(env.attempts(Signer::SERVICE, "GetSigningProfile"), 0, "nothing reached the network");
}

/// A committed-then-failed fault with a passthrough client: the upstream applies the request, the
/// caller gets the 500. The default policy does not retry the non-idempotent operation, so the
/// upstream applied it exactly once although the caller saw an error.
#[tokio::test]
async fn a_committed_fault_reaches_the_upstream_once_and_is_not_retried() {
    use aws_server_errors_fault::FaultInjector;
    use aws_smithy_runtime_api::client::http::SharedHttpClient;

    let upstream = FaultInjector::new(FaultPlan::new());
    let plan = FaultPlan::new().rule(Rule::new(Fault::InternalError).first(1).committed());
    let injector = FaultInjector::new(plan);
    let http_client =
        injector.http_client(Signer::SERVICE).passthrough(SharedHttpClient::new(upstream.http_client(Signer::SERVICE)));
    let env = Env::start(FaultPlan::new()).await;
    let sdk = env.sdk.to_builder().http_client(http_client).build();

    assert_eq!(Signer::client(&sdk, Some(&policy(3))).call_unsafe().await, Outcome::InternalServerError);
    assert_eq!(upstream.attempts(Signer::SERVICE, "AddProfilePermission"), 1, "applied upstream");
    let records = injector.requests();
    assert_eq!(records.len(), 1, "sent once");
    assert_eq!((records[0].fault.as_ref(), records[0].applied), (Some(&Fault::InternalError), true));

    // Without the policy the SDK retries the same fault, and the upstream applies the call twice.
    injector.reset();
    assert_eq!(Signer::client(&sdk, None).call_unsafe().await, Outcome::Ok);
    assert_eq!(injector.requests().len(), 2, "the SDK retried");
    assert_eq!(upstream.attempts(Signer::SERVICE, "AddProfilePermission"), 3, "a duplicate side effect");
}

/// The policy's retries are limited by its own retry budget, not by the SDK's retry quota: with
/// the partition's quota empty, internal errors are still retried as configured and the bucket is
/// untouched; throttling, which the client's own config decides, is still refused by the quota.
#[tokio::test]
async fn the_policy_retries_past_an_empty_sdk_quota_and_throttling_does_not() {
    use aws_sdk_signer::config::retry::{RetryPartition, TokenBucket};
    use aws_server_errors_signer::ServerErrorPolicyExt as _;

    let env = Env::start(FaultPlan::new().fail_always(Fault::InternalError)).await;
    let capture = Capture::start();
    let bucket = TokenBucket::new(0);
    let empty_quota = RetryPartition::custom("empty-quota").token_bucket(bucket.clone()).build();
    let config = aws_sdk_signer::config::Builder::from(&env.sdk)
        .retry_partition(empty_quota.clone())
        .server_error_policy(&policy(3))
        .build();
    let client = Signer(aws_sdk_signer::Client::from_conf(config));

    assert_eq!(client.call_safe().await, Outcome::InternalServerError);
    assert_eq!(env.attempts(Signer::SERVICE, "GetSigningProfile"), 3, "the policy's 3 attempts");
    assert_eq!(capture.events_with("call failed")[0]["reason"], "max_attempts");
    assert!(bucket.is_empty(), "the partition's quota was not touched");

    let throttled = Env::start(FaultPlan::new().fail_always(Fault::Throttling)).await;
    let config = aws_sdk_signer::config::Builder::from(&throttled.sdk)
        .retry_partition(empty_quota)
        .server_error_policy(&policy(3))
        .build();
    let client = Signer(aws_sdk_signer::Client::from_conf(config));
    assert_eq!(client.call_safe().await, Outcome::Throttling);
    assert_eq!(throttled.attempts(Signer::SERVICE, "GetSigningProfile"), 1, "the SDK's quota refused it");
}

/// A full quota stays full however many retries the policy makes: its retries cost the SDK's
/// bucket nothing, so a throttling burst later still finds the whole quota.
#[tokio::test]
async fn policy_retries_leave_the_sdk_quota_full() {
    use aws_sdk_signer::config::retry::{RetryPartition, TokenBucket};
    use aws_server_errors_signer::ServerErrorPolicyExt as _;

    let env = Env::start(FaultPlan::new().rule(Rule::new(Fault::InternalError).when(|_| true))).await;
    let bucket = TokenBucket::new(20);
    let partition = RetryPartition::custom("policy-only").token_bucket(bucket.clone()).build();
    let config = aws_sdk_signer::config::Builder::from(&env.sdk)
        .retry_partition(partition)
        .server_error_policy(&policy(3))
        .build();
    let client = Signer(aws_sdk_signer::Client::from_conf(config));
    for _ in 0..10 {
        assert_eq!(client.call_safe().await, Outcome::InternalServerError);
    }
    assert_eq!(env.attempts(Signer::SERVICE, "GetSigningProfile"), 30, "20 retries, each of which would cost 10");
    assert!(bucket.is_full(), "the SDK's quota is not the policy's");
}

/// The failures after which a request may have been applied, over real HTTP: a non-retry-safe
/// operation is sent exactly once after each (the SDK alone would resend it), a retry-safe one is
/// retried. A refused connection never reached the server: both are retried.
async fn maybe_applied_failures_stop_a_write<C: Case>() {
    let html = "<html><body><h1>Bad gateway</h1></body></html>".to_owned();
    let faults = [
        ("bare 500", Fault::BareStatus { status: 500, body: html.clone() }, "error_response"),
        ("502", Fault::BareStatus { status: 502, body: html.clone() }, "error_response"),
        ("504", Fault::BareStatus { status: 504, body: html }, "error_response"),
        ("read timeout", Fault::NoResponse, "timeout"),
        ("closed after the request", Fault::CloseAfterRequest, "connection_closed"),
    ];
    for (name, fault, failure) in faults {
        let real_time = fault == Fault::NoResponse;
        let plan = FaultPlan::new().fail_always(fault);
        let env = if real_time { Env::start_real_time(plan, None).await } else { Env::start(plan).await };
        let capture = Capture::start();
        let client = C::client(&env.sdk, Some(&policy(3)));

        assert_ne!(client.call_unsafe().await, Outcome::Ok, "{name}");
        assert_eq!(env.attempts(C::SERVICE, C::UNSAFE_OP), 1, "{name}: a write is sent once");
        let failed = capture.events_with("attempt failed");
        assert_eq!(failed.len(), 1, "{name}: {failed:#?}");
        assert_eq!(failed[0]["reason"], "not_retry_safe", "{name}");
        assert_eq!(failed[0]["failure"], failure, "{name}: the log says which failure it was");
        assert_eq!(failed[0]["may_have_been_applied"], "true", "{name}");
        assert_eq!(capture.events_with("call failed")[0]["reason"], "not_retry_safe", "{name}");

        assert_ne!(client.call_safe().await, Outcome::Ok, "{name}");
        assert_eq!(env.attempts(C::SERVICE, C::SAFE_OP), 3, "{name}: a read is retried");

        let plain = C::client(&env.sdk, None);
        assert_ne!(plain.call_unsafe().await, Outcome::Ok, "{name}");
        assert_eq!(env.attempts(C::SERVICE, C::UNSAFE_OP), 1 + 3, "{name}: the SDK alone resends the write");
    }

    // Connection refused: nothing reached a server, so the write keeps the client's retries.
    let env =
        Env::start_real_time(FaultPlan::new(), Some(aws_server_errors_fault::refused_endpoint().await.unwrap())).await;
    let capture = Capture::start();
    let client = C::client(&env.sdk, Some(&policy(3)));
    assert_ne!(client.call_unsafe().await, Outcome::Ok);
    let l = labels::<C>(C::UNSAFE_OP);
    assert_eq!(capture.counter(ATTEMPT_ERRORS, &l), 3, "a refused write is retried");
    let failed = capture.events_with("attempt failed");
    assert!(failed.iter().all(|e| e["failure"] == "connect_failed" && e["may_have_been_applied"] == "false"));
    assert_ne!(client.call_safe().await, Outcome::Ok);
    assert_eq!(capture.counter(ATTEMPT_ERRORS, &labels::<C>(C::SAFE_OP)), 3);
}

/// SSO has no adapter crate: its client always has the policy through the generic path, and the
/// matrix holds for it as for the adapted services.
mod sso {
    use super::*;

    #[tokio::test]
    async fn a_internal_error_then_success() {
        internal_error_then_success::<Sso>().await;
    }

    #[tokio::test]
    async fn b_persistent_internal_error_gives_up_after_max_attempts() {
        persistent_internal_error::<Sso>().await;
    }

    #[tokio::test]
    async fn c_not_retry_safe_operation_is_sent_once() {
        not_retry_safe_is_sent_once::<Sso>().await;
    }

    #[tokio::test]
    async fn d_throttling_keeps_the_client_retry_behaviour() {
        throttling_keeps_client_behaviour::<Sso>().await;
    }

    #[tokio::test]
    async fn f_disabled_service_behaves_like_a_plain_client() {
        disabled_service_is_plain::<Sso>().await;
    }

    #[tokio::test]
    async fn h_the_breaker_opens_and_closes() {
        breaker_opens_and_closes::<Sso>().await;
    }

    #[tokio::test]
    async fn g_failures_that_may_have_been_applied_stop_a_write() {
        maybe_applied_failures_stop_a_write::<Sso>().await;
    }

    /// A service the table does not know (an SDK crate newer than the table) is still protected:
    /// classified by status and the SDK's own codes, each operation retry-safe by its HTTP method
    /// alone. Seen through a table that lacks SSO.
    #[tokio::test]
    async fn a_service_the_table_does_not_know_is_protected_by_method_and_status() {
        let env = Env::start(FaultPlan::new().fail_always(Fault::InternalError)).await;
        let capture = Capture::start();
        let policy = ServerErrorPolicy::new(PolicyConfig::default()).unwrap();
        let (interceptor, classifier) = policy.any_service(|_| None);
        let builder = aws_sdk_sso::config::Builder::from(&env.sdk);
        let client =
            aws_sdk_sso::Client::from_conf(builder.interceptor(interceptor).retry_classifier(classifier).build());
        let client = Sso(client);
        // The first call of an operation the table does not know is resolved after its attempt:
        // its method was not recorded, and it is not retried (the safe side). From then on the
        // method is recorded before each such call is sent.
        assert_eq!(client.call_safe().await, Outcome::InternalServerError);
        assert_eq!(env.attempts(Sso::SERVICE, "ListAccounts"), 1, "the first sighting: sent once");
        assert_eq!(client.call_safe().await, Outcome::InternalServerError);
        assert_eq!(env.attempts(Sso::SERVICE, "ListAccounts"), 1 + 3, "GET: retried");
        assert_eq!(client.call_unsafe().await, Outcome::InternalServerError);
        assert_eq!(env.attempts(Sso::SERVICE, "Logout"), 1, "POST: sent once");
        let failed = capture.events_with("attempt failed");
        let safety: Vec<&str> = failed.iter().map(|e| e["retry_safety"].as_str()).collect();
        assert_eq!(safety, ["unmodeled", "safe_http_method", "safe_http_method", "safe_http_method", "unmodeled"]);
        assert!(failed.iter().all(|e| e["classifier"] == "generic" && e["rpc.service"] == "SSO"), "{failed:?}");
        assert!(capture.all_text().contains("no facts about this service"), "one WARN says so");
    }
}

/// What one call did, as the policy reported it: its outcome, the requests sent, and per failed
/// attempt the class, the decision, the retry safety and whether it may have been applied.
type CallRecord = (Outcome, usize, Vec<(String, String, String, String)>);

async fn record_call<C: Case>(fault: &Fault, safe: bool, generic: bool) -> CallRecord {
    let env = Env::start(FaultPlan::new().rule(Rule::new(fault.clone()).first(3))).await;
    let capture = Capture::start();
    let client = {
        let _generic = generic.then(generic_path);
        C::client(&env.sdk, Some(&policy(4)))
    };
    let (outcome, op) =
        if safe { (client.call_safe().await, C::SAFE_OP) } else { (client.call_unsafe().await, C::UNSAFE_OP) };
    let attempts = capture
        .events_with("attempt failed")
        .iter()
        .map(|e| {
            let field = |k: &str| e.get(k).cloned().unwrap_or_default();
            (field("error.class"), field("decision"), field("retry_safety"), field("may_have_been_applied"))
        })
        .collect();
    let classifiers: Vec<_> = capture.events_with("attempt failed").iter().map(|e| e["classifier"].clone()).collect();
    let expected = if generic { "generic" } else { "typed" };
    assert!(classifiers.iter().all(|c| c == expected), "{classifiers:?}");
    // The error as the caller reads it, without the raw response (its `date` header differs
    // from one second to the next).
    let outcome = match outcome {
        Outcome::Other(debug) => Outcome::Other(debug.split(", raw: ").next().unwrap_or_default().to_owned()),
        outcome => outcome,
    };
    (outcome, env.attempts(C::SERVICE, op), attempts)
}

/// The agreement run: each fault of the matrix, on a retry-safe and a non-retry-safe operation,
/// through the adapter and through the generic path on the same kind of client. Both must
/// classify every attempt alike, decide alike and send as many requests. And every operation of
/// the SDK crate has the same retry safety in the adapter's catalog and in the table of every
/// service (the generic path's classification does not depend on the operation).
async fn agreement<C: Case>() {
    let generic = aws_server_errors_services::by_key(C::SERVICE.key()).expect("every adapted service is in the table");
    for op in C::SERVICE.catalog().operations {
        assert_eq!(generic.operation(op.name), Some(op), "{}: {}", C::SERVICE.key(), op.name);
    }
    assert_eq!(generic.catalog().operations.len(), C::SERVICE.catalog().operations.len());
    let html = "<html>bad gateway</html>".to_owned();
    let faults = [
        Fault::InternalError,
        Fault::Throttling,
        Fault::Malformed,
        Fault::BareStatus { status: 500, body: html.clone() },
        Fault::BareStatus { status: 502, body: html.clone() },
        Fault::BareStatus { status: 503, body: html.clone() },
        Fault::BareStatus { status: 504, body: html },
    ];
    for fault in &faults {
        for safe in [true, false] {
            let typed = record_call::<C>(fault, safe, false).await;
            let generic = record_call::<C>(fault, safe, true).await;
            assert_eq!(typed, generic, "{}: {fault:?}, retry-safe operation: {safe}", C::SERVICE.key());
        }
    }
}

macro_rules! maybe_applied {
    ($($module:ident: $case:ty),* $(,)?) => {$(
        mod $module {
            use super::*;

            #[tokio::test]
            async fn g_failures_that_may_have_been_applied_stop_a_write() {
                maybe_applied_failures_stop_a_write::<$case>().await;
            }

            #[tokio::test]
            async fn g_failures_that_may_have_been_applied_stop_a_write_on_the_generic_path() {
                let _generic = generic_path();
                maybe_applied_failures_stop_a_write::<$case>().await;
            }
        }
    )*};
}

mod maybe_applied {
    use super::*;
    maybe_applied!(
        signer: Signer,
        pinpoint: Pinpoint,
        account: Account,
        backupgateway: BackupGateway,
        connectcases: ConnectCases,
        dynamodb: DynamoDb,
        sns: Sns,
        s3: S3,
    );
}

mod control {
    //! The policy in charge of its own retries: the budget, per-call control, registration, time.

    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::Arc;
    use std::time::SystemTime;

    use aws_server_errors_fault::FaultInjector;
    use aws_smithy_async::time::{SharedTimeSource, TimeSource};
    use aws_smithy_types::retry::RetryConfig;
    use aws_smithy_types::timeout::TimeoutConfig;

    use super::*;

    /// A plan whose next request fails with an internal error when armed: the first attempt of
    /// each call fails, its retry succeeds.
    fn first_attempt_fails() -> (FaultInjector, Arc<AtomicBool>) {
        let armed = Arc::new(AtomicBool::new(false));
        let trigger = armed.clone();
        let plan =
            FaultPlan::new().rule(Rule::new(Fault::InternalError).when(move |_| trigger.swap(false, Ordering::SeqCst)));
        (FaultInjector::new(plan), armed)
    }

    fn clock() -> SharedTimeSource {
        SharedTimeSource::new(aws_server_errors_integration_tests::sim::VirtualTime::start())
    }

    /// Runs 3,000 calls whose first attempt fails and whose retry succeeds, dropping every third
    /// during its 100 ms backoff and every third during its retry (20 ms per attempt). Returns the
    /// budget's tokens and the retries counted.
    async fn run_with_drops(drops: bool) -> (f64, u64) {
        let (injector, armed) = first_attempt_fails();
        let sdk = virtual_time_sdk(injector.http_client(Signer::SERVICE).latency(ms(20)), clock());
        let capture = Capture::start();
        let policy = PolicyConfig::builder()
            .initial_backoff(ms(100))
            .jitter(Jitter::None)
            .retry_budget(RetryBudgetConfig { enabled: true, capacity: 5, ratio: 0.0 })
            .build()
            .and_then(with_services)
            .unwrap();
        let client = Signer::client_in(&sdk, Some(&policy), Some(&format!("drops-{drops}")));
        for i in 0..3000 {
            armed.store(true, Ordering::SeqCst);
            let call = client.call_safe();
            match (drops, i % 3) {
                // Fails at 20 ms, backs off until 120 ms: dropped at 50 ms, in the backoff.
                (true, 0) => assert!(tokio::time::timeout(ms(50), call).await.is_err()),
                // The retry is sent at 120 ms and answered at 140 ms: dropped at 130 ms.
                (true, 1) => assert!(tokio::time::timeout(ms(130), call).await.is_err()),
                _ => assert_eq!(call.await, Outcome::Ok),
            }
        }
        (policy.retry_budget_tokens(Signer::SERVICE).unwrap(), capture.counter(RETRIES, &[]))
    }

    #[tokio::test(start_paused = true)]
    async fn calls_dropped_during_backoff_or_retry_give_their_budget_token_back() {
        let (tokens, retries) = run_with_drops(false).await;
        assert_eq!((tokens, retries), (5.0, 3000), "every retry succeeded and gave its token back");
        let (tokens, retries) = run_with_drops(true).await;
        assert_eq!(tokens, 5.0, "a dropped call leaves the budget where the run without drops did");
        assert_eq!(retries, 2000, "retries sent: not those dropped in their backoff");
    }

    /// `client.config().to_builder().server_error_policy(&p)` registers the policy twice: it
    /// still decides once (3 attempts, the policy's backoff) and counts once.
    #[tokio::test]
    async fn a_policy_registered_twice_decides_and_counts_once() {
        use aws_server_errors_signer::ServerErrorPolicyExt as _;
        let env = Env::start(FaultPlan::new().fail_always(Fault::InternalError)).await;
        let capture = Capture::start();
        let p = policy(3);
        let once = aws_sdk_signer::Client::from_conf(
            aws_sdk_signer::config::Builder::from(&env.sdk).server_error_policy(&p).build(),
        );
        let twice =
            Signer(aws_sdk_signer::Client::from_conf(once.config().to_builder().server_error_policy(&p).build()));
        assert_eq!(twice.call_safe().await, Outcome::InternalServerError);
        assert_eq!(env.attempts(Signer::SERVICE, "GetSigningProfile"), 3);
        assert_eq!(env.sleep.logs(), [ms(10), ms(20)]);
        assert_eq!(capture.counter(RETRIES, &[]), 2);
        assert_eq!(capture.counter(ATTEMPT_ERRORS, &[]), 3);
        assert_eq!(capture.counter(GIVE_UPS, &[]), 1);
        assert_eq!(capture.events_with("attempt failed").len(), 3);
    }

    /// Two policies on one client: the first registration owns the call, and a successful call
    /// makes one deposit, into the first registration's budget, whether its earlier attempts
    /// failed (the call's state carries the fact) or not (a marker does).
    #[tokio::test]
    async fn two_policies_on_one_client_make_one_deposit_per_call() {
        use aws_server_errors_signer::ServerErrorPolicyExt as _;
        // 3 failed calls' attempts (2 retries each, both tokens spent), then one failed attempt.
        let plan = FaultPlan::new().rule(Rule::new(Fault::InternalError).first(3 + 3 + 1));
        let env = Env::start(plan).await;
        let budget = |ratio| {
            PolicyConfig::builder()
                .max_attempts(3)
                .jitter(Jitter::None)
                .retry_budget(RetryBudgetConfig { enabled: true, capacity: 10, ratio })
                .build()
                .and_then(with_services)
                .unwrap()
        };
        let (p1, p2) = (budget(0.5), budget(0.5));
        let tokens = |p: &ServerErrorPolicy| p.retry_budget_tokens(Signer::SERVICE).unwrap();
        let builder = || aws_sdk_signer::config::Builder::from(&env.sdk);
        let only_p2 = Signer(aws_sdk_signer::Client::from_conf(builder().server_error_policy(&p2).build()));
        let both = Signer(aws_sdk_signer::Client::from_conf(
            builder().server_error_policy(&p1).server_error_policy(&p2).build(),
        ));
        assert_eq!(only_p2.call_safe().await, Outcome::InternalServerError);
        assert_eq!(both.call_safe().await, Outcome::InternalServerError);
        assert_eq!((tokens(&p1), tokens(&p2)), (8.0, 8.0), "each owner spent its two retries' tokens");
        // A failed attempt, then success: the retry's token goes back, and p1 alone deposits.
        assert_eq!(both.call_safe().await, Outcome::Ok);
        assert_eq!((tokens(&p1), tokens(&p2)), (8.5, 8.0));
        // Success at once: again p1 alone.
        assert_eq!(both.call_safe().await, Outcome::Ok);
        assert_eq!((tokens(&p1), tokens(&p2)), (9.0, 8.0));
        assert_eq!(env.attempts(Signer::SERVICE, "GetSigningProfile"), 3 + 3 + 2 + 1);
    }

    /// `RetryConfig::disabled()` for one call, through `config_override`, means no retry on that
    /// call; the next call has the policy's retries again.
    #[tokio::test]
    async fn retries_disabled_for_one_call_are_disabled() {
        let env = Env::start(FaultPlan::new().fail_always(Fault::InternalError)).await;
        let client = Signer::client(&env.sdk, Some(&policy(3))).0;
        let result = client
            .get_signing_profile()
            .profile_name("p")
            .customize()
            .config_override(aws_sdk_signer::Config::builder().retry_config(RetryConfig::disabled()))
            .send()
            .await;
        assert!(result.unwrap_err().into_service_error().is_internal_service_error_exception());
        assert_eq!(env.attempts(Signer::SERVICE, "GetSigningProfile"), 1);
        let _ = client.get_signing_profile().profile_name("p").send().await;
        assert_eq!(env.attempts(Signer::SERVICE, "GetSigningProfile"), 1 + 3);
    }

    /// A client whose own `RetryConfig` is disabled gets no retry of any kind, from the SDK or
    /// from the policy (docs/configuration.md, "Per-call control"); a call's `config_override`
    /// that allows attempts brings the policy's retries back for that call.
    #[tokio::test]
    async fn a_client_with_retries_disabled_gets_no_policy_retries() {
        use aws_server_errors_signer::ServerErrorPolicyExt as _;
        let env = Env::start(FaultPlan::new().fail_always(Fault::InternalError)).await;
        let p = policy(3);
        let config = aws_sdk_signer::config::Builder::from(&env.sdk).retry_config(RetryConfig::disabled());
        let client = aws_sdk_signer::Client::from_conf(config.server_error_policy(&p).build());
        assert!(client.get_signing_profile().profile_name("p").send().await.is_err());
        assert_eq!(env.attempts(Signer::SERVICE, "GetSigningProfile"), 1);
        let _ = client
            .get_signing_profile()
            .profile_name("p")
            .customize()
            .config_override(aws_sdk_signer::Config::builder().retry_config(RetryConfig::standard()))
            .send()
            .await;
        assert_eq!(env.attempts(Signer::SERVICE, "GetSigningProfile"), 1 + 3);
    }

    /// `CallOverride` in one call's `config_override` changes the policy's attempts for that call
    /// only.
    #[tokio::test]
    async fn a_call_override_changes_the_attempts_of_one_call() {
        use aws_server_errors::CallOverride;
        let env = Env::start(FaultPlan::new().fail_always(Fault::InternalError)).await;
        let client = Signer::client(&env.sdk, Some(&policy(3))).0;
        let call = |o: CallOverride| {
            client
                .get_signing_profile()
                .profile_name("p")
                .customize()
                .config_override(aws_sdk_signer::Config::builder().interceptor(o))
                .send()
        };
        assert!(call(CallOverride::max_attempts(5).unwrap()).await.is_err());
        assert_eq!(env.attempts(Signer::SERVICE, "GetSigningProfile"), 5);
        assert!(call(CallOverride::no_retries()).await.is_err());
        assert_eq!(env.attempts(Signer::SERVICE, "GetSigningProfile"), 5 + 1);
        let _ = client.get_signing_profile().profile_name("p").send().await;
        assert_eq!(env.attempts(Signer::SERVICE, "GetSigningProfile"), 6 + 3, "the next call has the policy's 3");
        assert_eq!(CallOverride::max_attempts(0).unwrap_err().field(), "max_attempts");
    }

    /// A call ended by the SDK's operation timeout during the policy's backoff is reported as a
    /// timeout, and the retry it never sent costs no budget.
    #[tokio::test(start_paused = true)]
    async fn an_operation_timeout_is_reported_as_a_timeout() {
        let injector = FaultInjector::new(FaultPlan::new().fail_always(Fault::InternalError));
        let sdk = virtual_time_sdk(injector.http_client(Signer::SERVICE).latency(ms(20)), clock())
            .to_builder()
            .timeout_config(TimeoutConfig::builder().operation_timeout(ms(50)).build())
            .build();
        let capture = Capture::start();
        let policy = PolicyConfig::builder()
            .initial_backoff(ms(100))
            .jitter(Jitter::None)
            .build()
            .and_then(with_services)
            .unwrap();
        let client = Signer::client_in(&sdk, Some(&policy), Some("op-timeout"));
        assert!(matches!(client.call_safe().await, Outcome::Other(_)));
        assert_eq!(capture.events_with("call failed")[0]["reason"], "timeout");
        assert_eq!(capture.counter(GIVE_UPS, &[("reason", "timeout")]), 1);
        assert_eq!(policy.retry_budget_tokens(Signer::SERVICE), Some(20.0));
    }

    /// After internal errors, throttling retries wait what a plain client would (the SDK's backoff
    /// as if the internal-error attempts had not happened: under 1 s, then under 2 s), and a time
    /// budget bounds them too.
    #[tokio::test]
    async fn throttling_after_internal_errors_backs_off_as_for_a_fresh_call() {
        let plan = FaultPlan::new().rule(Rule::new(Fault::InternalError).first(2)).rule(Rule::new(Fault::Throttling));
        let env = Env::start(plan).await;
        let client = Signer::client(&env.sdk, Some(&policy(5)));
        assert_eq!(client.call_safe().await, Outcome::Throttling);
        // Two internal errors, then throttling until the call's limit: max(5, 3) = 5 attempts.
        let sleeps = env.sleep.logs();
        assert_eq!(sleeps.len(), 2 + 2, "{sleeps:?}");
        assert_eq!(sleeps[..2], [ms(10), ms(20)]);
        assert!(sleeps[2] < Duration::from_secs(1) && sleeps[3] < Duration::from_secs(2), "{sleeps:?}");

        let env = Env::start(FaultPlan::new().fail_always(Fault::Throttling)).await;
        let bounded = PolicyConfig::builder().time_budget(ms(300)).build().and_then(with_services).unwrap();
        let client = Signer::client(&env.sdk, Some(&bounded));
        assert_eq!(client.call_safe().await, Outcome::Throttling);
        let total: Duration = env.sleep.logs().iter().sum();
        assert!(total <= ms(300), "the time budget bounds the client's own retries: {:?}", env.sleep.logs());
    }

    /// A time source that reads the system clock (or, with `base`, a test clock that starts
    /// there), advancing with the paused Tokio clock, then steps by `step` once 100 ms of (paused)
    /// time have passed.
    #[derive(Debug)]
    pub(super) struct SteppingClock {
        pub start: tokio::time::Instant,
        pub step: Duration,
        pub forward: bool,
        pub base: Option<SystemTime>,
    }

    impl SteppingClock {
        pub fn system(step: Duration, forward: bool) -> Self {
            Self { start: tokio::time::Instant::now(), step, forward, base: None }
        }
    }

    impl TimeSource for SteppingClock {
        fn now(&self) -> SystemTime {
            #[allow(clippy::disallowed_methods)]
            let now = self.base.unwrap_or_else(SystemTime::now) + self.start.elapsed();
            match (self.start.elapsed() > ms(100), self.forward) {
                (false, _) => now,
                (true, true) => now + self.step,
                (true, false) => now - self.step,
            }
        }
    }

    /// The time budget is measured monotonically: a wall-clock step either way changes nothing.
    /// Budget 1 s, backoff 300 ms doubling: retries at 0.3 s and 0.9 s, then 2.1 s would be past it.
    #[tokio::test(start_paused = true)]
    async fn the_time_budget_ignores_wall_clock_steps() {
        for forward in [false, true] {
            let injector = FaultInjector::new(FaultPlan::new().fail_always(Fault::InternalError));
            let time = SteppingClock::system(Duration::from_secs(3600), forward);
            let sdk = virtual_time_sdk(injector.http_client(Signer::SERVICE), SharedTimeSource::new(time));
            let policy = PolicyConfig::builder()
                .max_attempts(10)
                .initial_backoff(ms(300))
                .jitter(Jitter::None)
                .time_budget(Duration::from_secs(1))
                .build()
                .and_then(with_services)
                .unwrap();
            let client = Signer::client_in(&sdk, Some(&policy), Some(&format!("step-{forward}")));
            assert_eq!(client.call_safe().await, Outcome::InternalServerError);
            assert_eq!(injector.attempts(Signer::SERVICE, "GetSigningProfile"), 3, "step forward: {forward}");
        }
    }

    /// A call whose internal errors and throttling alternate makes no more attempts than the
    /// larger of the two limits (policy 3, client 3): two internal errors then throttling made 5
    /// before, as the client's attempts were counted as if the internal errors had not happened.
    #[tokio::test]
    async fn mixed_failures_make_no_more_attempts_than_the_larger_limit() {
        let plan = FaultPlan::new().rule(Rule::new(Fault::InternalError).first(2)).rule(Rule::new(Fault::Throttling));
        let env = Env::start(plan).await;
        let capture = Capture::start();
        let client = Signer::client(&env.sdk, Some(&policy(3)));
        assert_eq!(client.call_safe().await, Outcome::Throttling);
        assert_eq!(env.attempts(Signer::SERVICE, "GetSigningProfile"), 3);
        assert_eq!(capture.events_with("call failed")[0]["reason"], "max_attempts");

        // Throttling first, then internal errors: the policy's 4 attempts bound the call.
        let plan = FaultPlan::new().rule(Rule::new(Fault::Throttling).first(2)).rule(Rule::new(Fault::InternalError));
        let env = Env::start(plan).await;
        let client = Signer::client(&env.sdk, Some(&policy(4)));
        assert_eq!(client.call_safe().await, Outcome::InternalServerError);
        assert_eq!(env.attempts(Signer::SERVICE, "GetSigningProfile"), 4);
    }

    /// The SDK's operation timeout that ends a call while its retry is in flight gives the retry's
    /// budget token back (the client gave up on it; the service did not fail it).
    #[tokio::test(start_paused = true)]
    async fn the_operation_timeout_gives_an_inflight_retrys_token_back() {
        let injector = FaultInjector::new(FaultPlan::new().fail_always(Fault::InternalError));
        // Attempt 1 fails at 20 ms, the retry is sent at 30 ms and would fail at 50 ms: the
        // operation timeout fires at 40 ms, with the retry in flight.
        let sdk = virtual_time_sdk(injector.http_client(Signer::SERVICE).latency(ms(20)), clock())
            .to_builder()
            .timeout_config(TimeoutConfig::builder().operation_timeout(ms(40)).build())
            .build();
        let capture = Capture::start();
        let policy = PolicyConfig::builder()
            .initial_backoff(ms(10))
            .jitter(Jitter::None)
            .build()
            .and_then(with_services)
            .unwrap();
        let client = Signer::client_in(&sdk, Some(&policy), Some("op-timeout-inflight"));
        assert!(matches!(client.call_safe().await, Outcome::Other(_)));
        assert_eq!(injector.attempts(Signer::SERVICE, "GetSigningProfile"), 2, "the retry was sent");
        assert_eq!(capture.counter(RETRIES, &[]), 1);
        assert_eq!(capture.events_with("call failed")[0]["reason"], "timeout");
        assert_eq!(policy.retry_budget_tokens(Signer::SERVICE), Some(20.0), "the token came back");
    }

    /// With a test clock (not the system clock) that steps back, a call's elapsed time never
    /// decreases, and the wait the step happened in counts in full. Budget 1 s, a retry every
    /// 100 ms: the clock steps back an hour after 100 ms, and the call still makes the 10 attempts
    /// it makes without a step (at 0, 100, ..., 900 ms). Before, the 100 ms wait was lost and an
    /// 11th attempt overran the budget; before that, elapsed time read 0 after the step and the
    /// budget never ran out.
    #[tokio::test(start_paused = true)]
    async fn a_test_clock_stepped_back_never_makes_elapsed_time_decrease() {
        let injector = FaultInjector::new(FaultPlan::new().fail_always(Fault::InternalError));
        let time = SteppingClock {
            start: tokio::time::Instant::now(),
            step: Duration::from_secs(3600),
            forward: false,
            base: Some(SystemTime::UNIX_EPOCH + aws_server_errors_integration_tests::sim::VirtualTime::EPOCH_OFFSET),
        };
        let sdk = virtual_time_sdk(injector.http_client(Signer::SERVICE), SharedTimeSource::new(time));
        let policy = PolicyConfig::builder()
            .max_attempts(20)
            .initial_backoff(ms(100))
            .max_backoff(ms(100))
            .jitter(Jitter::None)
            .time_budget(Duration::from_secs(1))
            .build()
            .and_then(with_services)
            .unwrap();
        let client = Signer::client_in(&sdk, Some(&policy), Some("test-clock-step"));
        assert_eq!(client.call_safe().await, Outcome::InternalServerError);
        assert_eq!(injector.attempts(Signer::SERVICE, "GetSigningProfile"), 10);
    }

    /// Dropping the loopback server closes its keep-alive connections: the next call fails.
    #[tokio::test]
    async fn dropping_the_server_closes_its_connections() {
        let env = Env::start(FaultPlan::new()).await;
        let client = Signer::client(&env.sdk, None);
        assert_eq!(client.call_safe().await, Outcome::Ok);
        let Env { server, .. } = env;
        drop(server);
        tokio::task::yield_now().await;
        assert_ne!(client.call_safe().await, Outcome::Ok, "a pooled connection still answered");
    }
}

mod breaker {
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::Arc;

    use aws_server_errors::telemetry::{CIRCUIT_TRANSITIONS, FAILED_FAST};
    use aws_server_errors::{CircuitBreakerConfig, CircuitState};
    use aws_server_errors_fault::FaultInjector;
    use aws_smithy_async::time::SharedTimeSource;

    use super::*;

    /// The breaker opens on failures, fails the next call fast with the documented error and no
    /// request sent (the SDK does not retry it), leaves an excluded operation alone, lets one probe
    /// through after the break, and closes when it succeeds.
    #[tokio::test(start_paused = true)]
    async fn the_breaker_fails_fast_probes_and_closes() {
        let down = Arc::new(AtomicBool::new(true));
        let outage = down.clone();
        let plan = FaultPlan::new().rule(Rule::new(Fault::InternalError).when(move |_| outage.load(Ordering::SeqCst)));
        let injector = FaultInjector::new(plan);
        let time = SharedTimeSource::new(aws_server_errors_integration_tests::sim::VirtualTime::start());
        let sdk = virtual_time_sdk(injector.http_client(Signer::SERVICE).latency(ms(20)), time);
        let capture = Capture::start();
        let policy = PolicyConfig::builder()
            .initial_backoff(ms(10))
            .circuit_breaker(CircuitBreakerConfig {
                minimum_throughput: 6,
                break_duration: Duration::from_secs(5),
                ..Default::default()
            })
            .service("signer", |s| s.circuit_breaker = true.into())
            .operation("signer", "ListSigningProfiles", |o| o.circuit_breaker = Some(false))
            .build()
            .and_then(with_services)
            .unwrap();
        let client = Signer::client_in(&sdk, Some(&policy), Some("breaker")).0;
        let get = || client.get_signing_profile().profile_name("p").send();

        for _ in 0..2 {
            assert!(get().await.is_err());
        }
        assert_eq!(policy.circuit_state(Signer::SERVICE), Some(CircuitState::Open));
        assert_eq!(injector.attempts(Signer::SERVICE, "GetSigningProfile"), 6, "the sixth failure opened it");
        let failed = capture.events_with("call failed");
        assert_eq!(failed[1]["reason"], "max_attempts");

        let sent = injector.requests().len();
        let err = get().await.unwrap_err();
        let open = aws_server_errors::circuit_open(&err).expect("the circuit-open error");
        assert_eq!((open.service, open.operation), ("signer", "GetSigningProfile"));
        let after = open.retry_after.expect("not isolated");
        assert!(after > Duration::ZERO && after <= Duration::from_secs(5), "{open:?}");
        // What the README shows: one line with the whole chain.
        let printed = aws_sdk_signer::error::DisplayErrorContext(&err).to_string();
        assert!(printed.starts_with("failed to construct request: "), "{printed}");
        assert!(printed.contains("circuit breaker open for signer: GetSigningProfile was not sent"), "{printed}");
        assert_eq!(injector.requests().len(), sent, "no attempt was sent, and the SDK did not retry");
        assert_eq!(capture.counter(FAILED_FAST, &[("rpc.method", "GetSigningProfile")]), 1);
        let fast = [("rpc.method", "GetSigningProfile"), ("outcome", "failed_fast")];
        assert_eq!(capture.counter(aws_server_errors::telemetry::CALLS, &fast), 1);
        assert_eq!(capture.histogram(aws_server_errors::telemetry::CALL_ATTEMPTS, &fast[..1]).last(), Some(&0.0));

        assert!(client.list_signing_profiles().send().await.is_err(), "the excluded operation is still sent");
        assert_eq!(injector.attempts(Signer::SERVICE, "ListSigningProfiles"), 3);

        tokio::time::sleep(Duration::from_secs(5)).await;
        down.store(false, Ordering::SeqCst);
        get().await.expect("the probe succeeds");
        assert_eq!(policy.circuit_state(Signer::SERVICE), Some(CircuitState::Closed));
        assert_eq!(capture.counter(CIRCUIT_TRANSITIONS, &[("to", "open")]), 1);
        assert_eq!(capture.counter(CIRCUIT_TRANSITIONS, &[("to", "half_open")]), 1);
        assert_eq!(capture.counter(CIRCUIT_TRANSITIONS, &[("to", "closed")]), 1);
        let opened = capture.events_with("circuit opened");
        assert_eq!(opened[0]["level"], "WARN");
    }

    fn breaker_policy(minimum_throughput: u32, max_attempts: u32) -> ServerErrorPolicy {
        PolicyConfig::builder()
            .max_attempts(max_attempts)
            .initial_backoff(ms(100))
            .jitter(Jitter::None)
            .circuit_breaker(CircuitBreakerConfig {
                minimum_throughput,
                break_duration: Duration::from_secs(5),
                ..Default::default()
            })
            .service("signer", |s| s.circuit_breaker = true.into())
            .build()
            .and_then(with_services)
            .unwrap()
    }

    /// A retry decided while the breaker was closed is not sent once it has opened: call A fails
    /// at 20 ms and decides a retry for 120 ms; call B's failure at 21 ms opens the breaker; A's
    /// retry is admitted when it is sent, refused, and A ends with the circuit-open error. Its
    /// budget token comes back.
    #[tokio::test(start_paused = true)]
    async fn a_retry_decided_before_the_breaker_opened_is_not_sent_after() {
        let injector = FaultInjector::new(FaultPlan::new().fail_always(Fault::InternalError));
        let time = SharedTimeSource::new(aws_server_errors_integration_tests::sim::VirtualTime::start());
        let sdk = virtual_time_sdk(injector.http_client(Signer::SERVICE).latency(ms(20)), time);
        let capture = Capture::start();
        let policy = breaker_policy(2, 3);
        let client = Signer::client_in(&sdk, Some(&policy), Some("breaker-retry-in-flight")).0;
        let get = || client.get_signing_profile().profile_name("p").send();
        let b = async {
            tokio::time::sleep(ms(1)).await;
            get().await
        };
        let (a, b) = tokio::join!(get(), b);
        assert_eq!(policy.circuit_state(Signer::SERVICE), Some(CircuitState::Open));
        assert!(b.unwrap_err().into_service_error().is_internal_service_error_exception(), "B saw it open");
        let a = a.unwrap_err();
        let open = aws_server_errors::circuit_open(&a).expect("A ends with the circuit-open error");
        let printed = aws_sdk_signer::error::DisplayErrorContext(&a).to_string();
        assert!(printed.contains("circuit breaker open for signer: GetSigningProfile was not sent"), "{printed}");
        let after = open.retry_after.expect("not isolated");
        assert!(after > Duration::from_secs(4) && after < Duration::from_secs(5), "{open:?}");
        assert_eq!(injector.attempts(Signer::SERVICE, "GetSigningProfile"), 2, "A's retry was not sent");
        assert_eq!(capture.counter(RETRIES, &[]), 0);
        assert_eq!(capture.counter(FAILED_FAST, &[("rpc.method", "GetSigningProfile")]), 1);
        assert_eq!(capture.counter(GIVE_UPS, &[("reason", "circuit_open")]), 2);
        assert_eq!(policy.retry_budget_tokens(Signer::SERVICE), Some(20.0), "A's token came back");
    }

    /// The break is timed on the monotonic clock when the client's time source is the system
    /// clock: stepped back or forward an hour, the probe comes after 5 s, and `retry_after` says
    /// so. Before, a step back held it open for an hour and a step forward probed at once.
    #[tokio::test(start_paused = true)]
    async fn the_break_ignores_wall_clock_steps() {
        for forward in [false, true] {
            let injector = FaultInjector::new(FaultPlan::new().rule(Rule::new(Fault::InternalError).first(2)));
            let time = super::control::SteppingClock::system(Duration::from_secs(3600), forward);
            let sdk = virtual_time_sdk(injector.http_client(Signer::SERVICE), SharedTimeSource::new(time));
            let policy = breaker_policy(2, 1);
            let client = Signer::client_in(&sdk, Some(&policy), Some(&format!("break-step-{forward}"))).0;
            let get = || client.get_signing_profile().profile_name("p").send();
            for _ in 0..2 {
                assert!(get().await.is_err());
            }
            assert_eq!(policy.circuit_state(Signer::SERVICE), Some(CircuitState::Open), "{forward}");
            tokio::time::sleep(Duration::from_secs(1)).await; // past the step
            let err = get().await.unwrap_err();
            let open = aws_server_errors::circuit_open(&err).expect("still open after 1 s");
            assert_eq!(open.retry_after, Some(Duration::from_secs(4)), "step forward: {forward}");
            tokio::time::sleep(Duration::from_secs(4)).await;
            get().await.expect("the probe at 5 s succeeds");
            assert_eq!(policy.circuit_state(Signer::SERVICE), Some(CircuitState::Closed));
            assert_eq!(injector.attempts(Signer::SERVICE, "GetSigningProfile"), 3);
        }
    }

    /// Listeners get every state change with its reason, without polling; an operator can
    /// isolate a service (calls fail fast, nothing sent, no probe however long) and reset it.
    #[tokio::test(start_paused = true)]
    async fn breaker_events_and_operator_control() {
        use aws_server_errors::{CircuitEvent, TransitionReason};
        let down = Arc::new(AtomicBool::new(true));
        let outage = down.clone();
        let plan = FaultPlan::new().rule(Rule::new(Fault::InternalError).when(move |_| outage.load(Ordering::SeqCst)));
        let injector = FaultInjector::new(plan);
        let time = SharedTimeSource::new(aws_server_errors_integration_tests::sim::VirtualTime::start());
        let sdk = virtual_time_sdk(injector.http_client(Signer::SERVICE), time);
        let policy = breaker_policy(2, 1);
        let events = Arc::new(std::sync::Mutex::new(Vec::<CircuitEvent>::new()));
        let sink = events.clone();
        policy.on_circuit_event(move |event| sink.lock().unwrap().push(event.clone()));
        let client = Signer::client_in(&sdk, Some(&policy), Some("breaker-events")).0;
        let get = || client.get_signing_profile().profile_name("p").send();

        for _ in 0..2 {
            assert!(get().await.is_err());
        }
        tokio::time::sleep(Duration::from_secs(5)).await;
        down.store(false, Ordering::SeqCst);
        get().await.expect("the probe succeeds");
        let seen: Vec<_> =
            events.lock().unwrap().iter().map(|e| (e.service, e.to, e.reason, e.break_duration)).collect();
        assert_eq!(
            seen,
            [
                ("signer", CircuitState::Open, TransitionReason::FailureRatio, Some(Duration::from_secs(5))),
                ("signer", CircuitState::HalfOpen, TransitionReason::BreakElapsed, None),
                ("signer", CircuitState::Closed, TransitionReason::ProbeSucceeded, None),
            ]
        );

        policy.isolate(Signer::SERVICE).unwrap();
        let sent = injector.requests().len();
        tokio::time::sleep(Duration::from_secs(3600)).await;
        let err = get().await.unwrap_err();
        let open = aws_server_errors::circuit_open(&err).expect("failed fast");
        assert!(open.isolated(), "{open:?}");
        assert!(open.to_string().ends_with("(isolated until reset)"), "{open}");
        assert_eq!(injector.requests().len(), sent, "nothing sent, no probe after an hour");
        policy.reset(Signer::SERVICE).unwrap();
        get().await.expect("reset: calls flow");
        let reasons: Vec<_> = events.lock().unwrap()[3..].iter().map(|e| (e.to, e.reason)).collect();
        assert_eq!(
            reasons,
            [(CircuitState::Open, TransitionReason::Isolated), (CircuitState::Closed, TransitionReason::Reset)]
        );
    }

    /// What AWS Support asks for, gathered and logged once when the breaker opens: the request
    /// ids the service sent, the operation, the region and the time window; and once when the
    /// retry budget runs dry.
    #[tokio::test]
    async fn the_incident_report_is_logged_once_when_the_breaker_opens_or_the_budget_runs_dry() {
        let env = Env::start(FaultPlan::new().fail_always(Fault::InternalError)).await;
        let capture = Capture::start();
        let policy = breaker_policy(2, 1);
        let client = Signer::client(&env.sdk, Some(&policy));
        for _ in 0..4 {
            assert_ne!(client.call_safe().await, Outcome::Ok);
        }
        let logged = capture.events_with("internal errors persist");
        assert_eq!(logged.len(), 1, "{logged:?}");
        assert_eq!((logged[0]["level"].as_str(), logged[0]["trigger"].as_str()), ("WARN", "circuit_opened"));
        let report = policy.incident_report(Signer::SERVICE).expect("two failures");
        assert_eq!(report.total(), 2, "the calls failed fast sent nothing");
        assert_eq!(report.regions, ["us-east-1"]);
        assert_eq!(report.operations, [("GetSigningProfile", 2)]);
        let ids: Vec<String> = env.injector.requests().iter().filter_map(|r| r.request_id.clone()).collect();
        let sampled: Vec<_> = report.samples.iter().map(|s| s.request_id.clone().unwrap()).rev().collect();
        assert_eq!(sampled, ids, "the request ids the server sent, newest first in the report");
        assert!(logged[0]["report"].contains(&ids[1]), "{}", logged[0]["report"]);
        assert!(!logged[0]["report"].contains('\n'), "one event, one line: {}", logged[0]["report"]);
        assert_eq!(logged[0]["report"], format!("{report:#}"));
        let text = report.to_string();
        assert!(text.starts_with("Service: signer (region us-east-1)\nTime window (UTC): "), "{text}");
        assert!(!text.contains(SECRET_KEY) && !text.contains(aws_server_errors_fault::wire::MESSAGE), "{text}");

        // The budget: capacity 1, nothing deposited; the second call's retry is refused.
        let env = Env::start(FaultPlan::new().fail_always(Fault::InternalError)).await;
        let capture = Capture::start();
        let policy = PolicyConfig::builder()
            .retry_budget(RetryBudgetConfig { enabled: true, capacity: 1, ratio: 0.0 })
            .build()
            .and_then(with_services)
            .unwrap();
        let client = Signer::client(&env.sdk, Some(&policy));
        for _ in 0..3 {
            assert_ne!(client.call_safe().await, Outcome::Ok);
        }
        let logged = capture.events_with("internal errors persist");
        assert_eq!(logged.len(), 1, "{logged:?}");
        assert_eq!(logged[0]["trigger"], "retry_budget_empty");
    }

    /// A policy registered twice on a client counts each outcome once in its breaker, successes
    /// and failures: one success and one failure are 2 outcomes, under a minimum throughput of 4.
    #[tokio::test(start_paused = true)]
    async fn a_policy_registered_twice_counts_each_outcome_once_in_its_breaker() {
        use aws_server_errors_signer::ServerErrorPolicyExt as _;
        let fail = Arc::new(AtomicBool::new(false));
        let failing = fail.clone();
        let plan = FaultPlan::new().rule(Rule::new(Fault::InternalError).when(move |_| failing.load(Ordering::SeqCst)));
        let injector = FaultInjector::new(plan);
        let time = SharedTimeSource::new(aws_server_errors_integration_tests::sim::VirtualTime::start());
        let sdk = virtual_time_sdk(injector.http_client(Signer::SERVICE), time);
        let p = breaker_policy(4, 1);
        let once = aws_sdk_signer::Client::from_conf(
            aws_sdk_signer::config::Builder::from(&sdk).server_error_policy(&p).build(),
        );
        let twice = aws_sdk_signer::Client::from_conf(once.config().to_builder().server_error_policy(&p).build());
        let call = |failing: bool| {
            fail.store(failing, Ordering::SeqCst);
            twice.get_signing_profile().profile_name("p").send()
        };
        call(false).await.unwrap();
        assert!(call(true).await.is_err());
        assert_eq!(p.circuit_state(Signer::SERVICE), Some(CircuitState::Closed), "2 outcomes, not 4");
        call(false).await.unwrap();
        assert!(call(true).await.is_err());
        assert_eq!(p.circuit_state(Signer::SERVICE), Some(CircuitState::Open), "4 outcomes, 2 failed");
    }
}

/// Server-controlled values reach the logs bounded and sanitised: a 68 KB Signer `code` and a
/// request id with control characters, parsed by the SDK from a real error response.
#[tokio::test]
async fn server_controlled_log_values_are_bounded() {
    use aws_server_errors::telemetry::MAX_LOGGED_VALUE;
    use aws_server_errors_fault::{FaultInjector, RequestInfo, Responder};

    #[derive(Debug)]
    struct HugeError;
    impl Responder for HugeError {
        fn respond(&self, _: &RequestInfo<'_>) -> http::Response<bytes::Bytes> {
            let body = serde_json::json!({ "message": "m", "code": "C".repeat(68_000) }).to_string();
            http::Response::builder()
                .status(500)
                .header("x-amzn-ErrorType", "InternalServiceErrorException")
                .header("x-amzn-RequestId", format!("id\twith tabs {}", "r".repeat(500)))
                .body(bytes::Bytes::from(body))
                .unwrap()
        }
    }
    let injector = FaultInjector::with_responder(FaultPlan::new(), HugeError);
    let env = Env::start(FaultPlan::new()).await;
    let sdk = env.sdk.to_builder().http_client(injector.http_client(Signer::SERVICE)).build();
    let capture = Capture::start();
    assert_eq!(Signer::client(&sdk, Some(&policy(2))).call_safe().await, Outcome::InternalServerError);
    let failed = capture.events_with("attempt failed");
    assert_eq!(failed.len(), 2);
    let detail = &failed[0]["error.detail"];
    assert!(detail.starts_with("code=CCCC") && detail.ends_with("..."), "{detail}");
    assert!(detail.len() <= "code=".len() + MAX_LOGGED_VALUE + 3, "{} bytes", detail.len());
    let id = &failed[0]["aws.request_id"];
    assert!(id.starts_with("id_with_tabs_") && id.len() <= MAX_LOGGED_VALUE + 3, "{id}");
    assert!(capture.all_text().len() < 4_000, "no field carries the 68 KB value");
}

/// An operation the generated catalog does not know (the application's SDK crate is newer than
/// the adapter): simulated on a real Pinpoint client by renaming the operation in the SDK's
/// `Metadata` before the policy sees it.
mod unknown_operation {
    use aws_server_errors::telemetry::{CALLS, GIVE_UPS};
    use aws_smithy_runtime_api::box_error::BoxError;
    use aws_smithy_runtime_api::client::interceptors::context::BeforeSerializationInterceptorContextRef;
    use aws_smithy_runtime_api::client::interceptors::Intercept;
    use aws_smithy_runtime_api::client::orchestrator::Metadata;
    use aws_smithy_types::config_bag::ConfigBag;

    use super::*;

    /// Renames every operation of the client to `GetAppV2`, an operation no catalog has.
    #[derive(Debug)]
    struct NewerSdkOperation;

    impl Intercept for NewerSdkOperation {
        fn name(&self) -> &'static str {
            "NewerSdkOperation"
        }
        fn read_before_execution(
            &self,
            _: &BeforeSerializationInterceptorContextRef<'_>,
            cfg: &mut ConfigBag,
        ) -> Result<(), BoxError> {
            cfg.interceptor_state().store_put(Metadata::new("GetAppV2", "Pinpoint"));
            Ok(())
        }
    }

    fn client(sdk: &aws_config::SdkConfig, policy: Option<&ServerErrorPolicy>) -> aws_sdk_pinpoint::Client {
        use aws_server_errors_pinpoint::ServerErrorPolicyExt as _;
        let builder = aws_sdk_pinpoint::config::Builder::from(sdk).interceptor(NewerSdkOperation);
        let builder = match policy {
            Some(policy) => builder.server_error_policy(policy),
            None => builder,
        };
        aws_sdk_pinpoint::Client::from_conf(builder.build())
    }

    /// A 500 on an unknown operation is not resent (it is `Unmodeled`, so not retry-safe), it is
    /// classified by its error code, and the operation is logged once, however many calls.
    /// A plain client resends it.
    #[tokio::test]
    async fn an_unknown_operation_is_classified_by_code_and_not_resent() {
        let env = Env::start(FaultPlan::new().rule(Rule::new(Fault::InternalError).committed())).await;
        let capture = Capture::start();
        let policy = policy(3);
        let with_policy = client(&env.sdk, Some(&policy));
        for _ in 0..2 {
            let err = with_policy.get_app().application_id("app").send().await.unwrap_err();
            assert!(err.into_service_error().is_internal_server_error_exception(), "the SDK's typed error");
        }
        assert_eq!(env.attempts(Pinpoint::SERVICE, "GetApp"), 2, "each call sent once");

        let failed = capture.events_with("attempt failed");
        assert_eq!(failed.len(), 2);
        assert_eq!(failed[0]["rpc.method"], "GetAppV2");
        assert_eq!(failed[0]["retry_safety"], "unmodeled");
        assert_eq!(failed[0]["error.class"], "internal_server_error", "by the x-amzn-ErrorType code");
        assert_eq!(failed[0]["error.type"], "InternalServerErrorException");
        assert_eq!(failed[0]["reason"], "not_retry_safe");
        let unknown = capture.events_with("operation unknown to the catalog");
        assert_eq!(unknown.len(), 1, "logged once per operation: {unknown:#?}");
        assert_eq!(unknown[0]["rpc.method"], "GetAppV2");
        assert_eq!(unknown[0]["level"], "WARN");
        let l = [("rpc.service", "Pinpoint"), ("rpc.method", "GetAppV2")];
        assert_eq!(capture.counter(GIVE_UPS, &[l[0], l[1], ("reason", "not_retry_safe")]), 2);
        assert_eq!(capture.counter(CALLS, &[l[0], l[1], ("outcome", "failed")]), 2);

        env.injector.reset();
        let plain = client(&env.sdk, None);
        assert!(plain.get_app().application_id("app").send().await.is_err());
        assert_eq!(env.attempts(Pinpoint::SERVICE, "GetApp"), 3, "a plain client resends it");
    }

    /// Throttling on an unknown operation keeps the client's retries; success counts as `ok`.
    #[tokio::test]
    async fn an_unknown_operation_keeps_the_clients_retries_for_throttling() {
        let env = Env::start(FaultPlan::new().fail_first(1, Fault::Throttling)).await;
        let capture = Capture::start();
        let with_policy = client(&env.sdk, Some(&policy(3)));
        with_policy.get_app().application_id("app").send().await.expect("retried by the SDK");
        with_policy.get_app().application_id("app").send().await.expect("ok");
        assert_eq!(env.attempts(Pinpoint::SERVICE, "GetApp"), 3);
        let l = [("rpc.service", "Pinpoint"), ("rpc.method", "GetAppV2")];
        assert_eq!(capture.counter(CALLS, &[l[0], l[1], ("outcome", "ok_after_retries")]), 1);
        assert_eq!(capture.counter(CALLS, &[l[0], l[1], ("outcome", "ok")]), 1);
    }
}

/// The calls counter and the attempts histogram: every outcome, once per call.
#[tokio::test]
async fn calls_are_counted_by_outcome_with_their_attempts() {
    use aws_server_errors::telemetry::{CALLS, CALL_ATTEMPTS};
    let env = Env::start(
        FaultPlan::new()
            .rule(Rule::new(Fault::InternalError).operation("GetApp").first(1))
            .rule(Rule::new(Fault::InternalError).operation("SendMessages")),
    )
    .await;
    let capture = Capture::start();
    let client = Pinpoint::client(&env.sdk, Some(&policy(3)));
    assert_eq!(client.call_safe().await, Outcome::Ok, "ok after one retry");
    assert_eq!(client.call_safe().await, Outcome::Ok, "ok at once");
    assert_eq!(client.call_unsafe().await, Outcome::InternalServerError, "failed");
    let get = [("rpc.service", "Pinpoint"), ("rpc.method", "GetApp")];
    let send = [("rpc.service", "Pinpoint"), ("rpc.method", "SendMessages")];
    assert_eq!(capture.counter(CALLS, &[get[0], get[1], ("outcome", "ok_after_retries")]), 1);
    assert_eq!(capture.counter(CALLS, &[get[0], get[1], ("outcome", "ok")]), 1);
    assert_eq!(capture.counter(CALLS, &[send[0], send[1], ("outcome", "failed")]), 1);
    assert_eq!(capture.counter(CALLS, &send), 1, "one call, one count");
    assert_eq!(capture.histogram(CALL_ATTEMPTS, &get), [2.0, 1.0]);
    assert_eq!(capture.histogram(CALL_ATTEMPTS, &send), [1.0]);
}

/// The policy under `aws-smithy-mocks`, as users test their code: the mocks attach a modeled
/// error to an HTTP 418 response, which no SDK retry classifier retries; the retry classifier the
/// adapters register with the interceptor calls internal-server errors retryable, as their 500
/// does over the wire. So the policy decides as it does over the wire: a retry-safe operation gets
/// the policy's attempts (4 here, not the client's 3), a write is sent once after an internal
/// error, and a bare 500 is an internal-server error.
mod smithy_mocks {
    use aws_server_errors::{PolicyConfig, ServerErrorPolicy};
    use aws_smithy_mocks::{mock, mock_client, RuleMode};

    fn policy() -> ServerErrorPolicy {
        PolicyConfig::builder()
            .max_attempts(4)
            .build()
            .and_then(aws_server_errors_integration_tests::with_services)
            .unwrap()
    }

    macro_rules! mocks_case {
        (
            $service:ident, $sdk:ident, $adapter:ident,
            safe: $safe:ident { $($safe_args:tt)* } -> $safe_error:ident, ok: $ok:expr,
            write: $write:ident { $($write_args:tt)* } -> $write_error:ident,
            internal: $internal:ident = $error:expr,
            plain_attempts: $plain:expr
        ) => {
            mod $service {
                use $sdk::Client;
                use $adapter::ServerErrorPolicyExt as _;

                use super::*;

                /// Two modeled internal errors, then success: 3 calls, the last one succeeds.
                #[tokio::test(start_paused = true)]
                async fn internal_errors_get_the_policys_retries() {
                    let rule = mock!(Client::$safe)
                        .sequence()
                        .error(|| $safe_error::$internal($error))
                        .times(2)
                        .output(|| $ok)
                        .build();
                    let p = policy();
                    let client = mock_client!($sdk, RuleMode::Sequential, [&rule], |c| c.server_error_policy(&p));
                    client.$safe()$($safe_args)*.send().await.expect("the third attempt succeeds");
                    assert_eq!(rule.num_calls(), 3);

                    // Always failing: the policy's 4 attempts, not the client's 3.
                    let rule = mock!(Client::$safe).sequence().error(|| $safe_error::$internal($error)).times(6).build();
                    let client = mock_client!($sdk, RuleMode::Sequential, [&rule], |c| c.server_error_policy(&p));
                    let err = client.$safe()$($safe_args)*.send().await.unwrap_err();
                    assert!(matches!(err.into_service_error(), $safe_error::$internal(_)));
                    assert_eq!(rule.num_calls(), 4);

                    // The same client without the policy: the SDK retries the mock's 418 only when
                    // the shape is modeled `@retryable` (Account's, Connect Cases').
                    let rule = mock!(Client::$safe).sequence().error(|| $safe_error::$internal($error)).times(6).build();
                    let client = mock_client!($sdk, RuleMode::Sequential, [&rule]);
                    assert!(client.$safe()$($safe_args)*.send().await.is_err());
                    assert_eq!(rule.num_calls(), $plain);
                }

                /// A write that is not retry-safe is sent once after an internal error, as over
                /// the wire (a modeled internal error may have been applied, whatever its status).
                #[tokio::test(start_paused = true)]
                async fn a_write_is_sent_once_after_an_internal_error() {
                    let rule = mock!(Client::$write).sequence().error(|| $write_error::$internal($error)).times(6).build();
                    let p = policy();
                    let client = mock_client!($sdk, RuleMode::Sequential, [&rule], |c| c.server_error_policy(&p));
                    let err = client.$write()$($write_args)*.send().await.unwrap_err();
                    assert!(matches!(err.into_service_error(), $write_error::$internal(_)));
                    assert_eq!(rule.num_calls(), 1);
                }

                /// A bare 500 (no error code) is an internal-server error: the policy's retries.
                #[tokio::test(start_paused = true)]
                async fn a_bare_500_gets_the_policys_retries() {
                    let rule = mock!(Client::$safe).sequence().http_status(500, None).times(3).output(|| $ok).build();
                    let p = policy();
                    let client = mock_client!($sdk, RuleMode::Sequential, [&rule], |c| c.server_error_policy(&p));
                    client.$safe()$($safe_args)*.send().await.expect("the fourth attempt succeeds");
                    assert_eq!(rule.num_calls(), 4);
                }
            }
        };
    }

    mocks_case!(
        signer, aws_sdk_signer, aws_server_errors_signer,
        safe: get_signing_profile { .profile_name("p") } -> GetSigningProfileError,
        ok: aws_sdk_signer::operation::get_signing_profile::GetSigningProfileOutput::builder().build(),
        write: add_profile_permission {
            .profile_name("p").action("signer:StartSigningJob").principal("123456789012").statement_id("s1")
        } -> AddProfilePermissionError,
        internal: InternalServiceErrorException =
            aws_sdk_signer::types::error::InternalServiceErrorException::builder().message("boom").build(),
        plain_attempts: 1
    );
    use aws_sdk_signer::operation::add_profile_permission::AddProfilePermissionError;
    use aws_sdk_signer::operation::get_signing_profile::GetSigningProfileError;

    mocks_case!(
        pinpoint, aws_sdk_pinpoint, aws_server_errors_pinpoint,
        safe: get_app { .application_id("app") } -> GetAppError,
        ok: aws_sdk_pinpoint::operation::get_app::GetAppOutput::builder().build(),
        write: send_messages {
            .application_id("app").message_request(aws_sdk_pinpoint::types::MessageRequest::builder().build())
        } -> SendMessagesError,
        internal: InternalServerErrorException =
            aws_sdk_pinpoint::types::error::InternalServerErrorException::builder().message("boom").build(),
        plain_attempts: 1
    );
    use aws_sdk_pinpoint::operation::get_app::GetAppError;
    use aws_sdk_pinpoint::operation::send_messages::SendMessagesError;

    mocks_case!(
        account, aws_sdk_account, aws_server_errors_account,
        safe: get_contact_information {} -> GetContactInformationError,
        ok: aws_sdk_account::operation::get_contact_information::GetContactInformationOutput::builder().build(),
        write: start_primary_email_update {
            .account_id("123456789012").primary_email("a@example.com")
        } -> StartPrimaryEmailUpdateError,
        internal: InternalServerException =
            aws_sdk_account::types::error::InternalServerException::builder().message("boom").build().unwrap(),
        plain_attempts: 3
    );
    use aws_sdk_account::operation::get_contact_information::GetContactInformationError;
    use aws_sdk_account::operation::start_primary_email_update::StartPrimaryEmailUpdateError;

    mocks_case!(
        backupgateway, aws_sdk_backupgateway, aws_server_errors_backupgateway,
        safe: get_gateway { .gateway_arn("arn:aws:backup-gateway:us-east-1:123456789012:gateway/bgw-1") }
            -> GetGatewayError,
        ok: aws_sdk_backupgateway::operation::get_gateway::GetGatewayOutput::builder().build(),
        write: create_gateway {
            .activation_key("KEY").gateway_display_name("gw")
            .gateway_type(aws_sdk_backupgateway::types::GatewayType::BackupVm)
        } -> CreateGatewayError,
        internal: InternalServerException =
            aws_sdk_backupgateway::types::error::InternalServerException::builder().message("boom").build(),
        plain_attempts: 1
    );
    use aws_sdk_backupgateway::operation::create_gateway::CreateGatewayError;
    use aws_sdk_backupgateway::operation::get_gateway::GetGatewayError;

    mocks_case!(
        connectcases, aws_sdk_connectcases, aws_server_errors_connectcases,
        safe: get_domain { .domain_id("domain") } -> GetDomainError,
        ok: aws_sdk_connectcases::operation::get_domain::GetDomainOutput::builder()
            .domain_id("domain")
            .domain_arn("arn:aws:cases:us-east-1:123456789012:domain/domain")
            .name("d")
            .created_time(aws_smithy_types::DateTime::from_secs(0))
            .domain_status(aws_sdk_connectcases::types::DomainStatus::Active)
            .build()
            .unwrap(),
        write: create_layout {
            .domain_id("domain").name("layout").content(aws_sdk_connectcases::types::LayoutContent::Basic(
                aws_sdk_connectcases::types::BasicLayout::builder().build(),
            ))
        } -> CreateLayoutError,
        internal: InternalServerException =
            aws_sdk_connectcases::types::error::InternalServerException::builder().message("boom").build().unwrap(),
        plain_attempts: 3
    );
    use aws_sdk_connectcases::operation::create_layout::CreateLayoutError;
    use aws_sdk_connectcases::operation::get_domain::GetDomainError;
}
