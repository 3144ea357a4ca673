//! Arbitrary error responses, parsed by the SDK's own deserializers, never make the middleware
//! panic: the caller gets the SDK's error and every failed attempt is classified into the
//! taxonomy. In-process (the fault kit's HTTP client with a custom responder), so no sockets.

use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_credential_types::provider::SharedCredentialsProvider;
use aws_credential_types::Credentials;
use aws_server_errors::{Jitter, PolicyConfig};
use aws_server_errors_fault::{FaultInjector, FaultPlan, RequestInfo, Responder};
use aws_server_errors_integration_tests::*;
use aws_smithy_async::rt::sleep::SharedAsyncSleep;
use aws_smithy_async::test_util::instant_time_and_sleep;
use aws_smithy_async::time::SharedTimeSource;
use bytes::Bytes;
use proptest::prelude::*;

/// Answers every request with the same arbitrary response.
#[derive(Debug, Clone)]
struct Arbitrary {
    status: u16,
    error_type: Option<String>,
    content_type: &'static str,
    body: Vec<u8>,
}

impl Responder for Arbitrary {
    fn respond(&self, _request: &RequestInfo<'_>) -> http::Response<Bytes> {
        let mut response = http::Response::builder().status(self.status).header("content-type", self.content_type);
        if let Some(error_type) = &self.error_type {
            response = response.header("x-amzn-ErrorType", error_type.as_str());
        }
        response.body(Bytes::from(self.body.clone())).unwrap()
    }
}

fn arbitrary_response() -> impl Strategy<Value = Arbitrary> {
    let status = prop_oneof![Just(500u16), Just(503), Just(429), Just(400), 400u16..600];
    let error_type = proptest::option::of(prop_oneof![
        Just("InternalServerException".to_owned()),
        Just("InternalServiceErrorException:http://internal.amazon.com/".to_owned()),
        Just("InternalServerErrorException".to_owned()),
        Just("ThrottlingException".to_owned()),
        Just("TooManyRequestsException".to_owned()),
        "[A-Za-z#:/. ]{0,40}",
    ]);
    let body = prop_oneof![
        proptest::collection::vec(any::<u8>(), 0..256),
        "\\{(\"[a-zA-Z_]{1,12}\": ?(\"[^\"\\\\]{0,20}\"|[0-9]{1,5}|null|\\{\\}),? ?){0,4}\\}"
            .prop_map(String::into_bytes),
        Just(b"{\"__type\": \"InternalServerException\", \"message\": 42}".to_vec()),
        Just(vec![0xa2, 0x66, b'_', b'_', b't', b'y', b'p', b'e', 0x01, 0x61, b'x', 0xf6]),
    ];
    let content_type = prop_oneof![Just("application/json"), Just("application/cbor"), Just("text/html")];
    (status, error_type, content_type, body).prop_map(|(status, error_type, content_type, body)| Arbitrary {
        status,
        error_type,
        content_type,
        body,
    })
}

async fn call_each_service(response: Arbitrary) {
    let capture = Capture::start();
    let policy = PolicyConfig::builder()
        .max_attempts(3)
        .jitter(Jitter::None)
        .build()
        .and_then(aws_server_errors_integration_tests::with_services)
        .unwrap();
    for service in aws_server_errors_integration_tests::SERVICES {
        let injector = FaultInjector::with_responder(FaultPlan::new(), response.clone());
        let sdk = sdk_config(&injector, service);
        let outcome = with_case(service, CallSafe { sdk: &sdk, policy: &policy }).await;
        assert_ne!(outcome, Outcome::Ok, "{service:?}: a {} must reach the caller as an error", response.status);
        let attempts = injector.requests().len();
        assert!((1..=3).contains(&attempts), "{service:?}: {attempts} attempts");
    }
    let classes = ["internal_server_error", "throttling", "server_error", "transient", "client_error", "unknown"];
    let events = capture.events_with("attempt failed");
    assert!(!events.is_empty());
    for event in events {
        assert!(classes.contains(&event["error.class"].as_str()), "{event:?}");
        assert_eq!(event.get("http.response.status_code"), Some(&response.status.to_string()), "{event:?}");
    }
}

/// One retry-safe call with the policy, on a client of the case's service.
struct CallSafe<'a> {
    sdk: &'a SdkConfig,
    policy: &'a aws_server_errors::ServerErrorPolicy,
}

impl CaseFn for CallSafe<'_> {
    type Output = Outcome;
    async fn call<C: Case + 'static>(self) -> Outcome {
        C::client(self.sdk, Some(self.policy)).call_safe().await
    }
}

/// The SDK config of one in-process client: `injector`'s HTTP client for `service`, instant time
/// and sleep.
fn sdk_config(injector: &FaultInjector, service: &'static aws_server_errors::Service) -> SdkConfig {
    let (time, sleep) = instant_time_and_sleep(std::time::SystemTime::UNIX_EPOCH);
    SdkConfig::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .credentials_provider(SharedCredentialsProvider::new(Credentials::new("AKID", "SECRET", None, None, "t")))
        .http_client(injector.http_client(service))
        .sleep_impl(SharedAsyncSleep::new(sleep))
        .time_source(SharedTimeSource::new(time))
        .build()
}

/// A 500 whose body does not parse, carrying `x-amzn-ErrorType: <code>` where `code` is the
/// service's throttling code: for a service whose protocol never carries that header (awsQuery,
/// restXml, RPC v2 CBOR: their SDK parsers do not read it), it is a bare 500, so a write is sent
/// once. Before, the header made it throttling and the write was sent three times.
async fn write_with_foreign_header<C: Case>(code: &str) -> (Outcome, usize) {
    let response = Arbitrary {
        status: 500,
        error_type: Some(code.to_owned()),
        content_type: "text/html",
        body: b"<html><body>upstream failed".to_vec(),
    };
    let injector = FaultInjector::with_responder(FaultPlan::new(), response);
    let policy = PolicyConfig::builder().max_attempts(3).build().and_then(with_services).unwrap();
    let outcome = C::client(&sdk_config(&injector, C::SERVICE), Some(&policy)).call_unsafe().await;
    (outcome, injector.requests().len())
}

#[tokio::test]
async fn a_header_of_another_protocol_never_decides_a_writes_fate() {
    let capture = Capture::start();
    assert_eq!(write_with_foreign_header::<Sns>("Throttled").await.1, 1, "SNS Publish (awsQuery)");
    assert_eq!(write_with_foreign_header::<S3>("SlowDown").await.1, 1, "S3 CreateMultipartUpload (restXml)");
    let (_, sent) = write_with_foreign_header::<BackupGateway>("ThrottlingException").await;
    assert_eq!(sent, 1, "Backup Gateway's write (RPC v2 CBOR)");
    for event in capture.events_with("attempt failed") {
        assert_eq!((event["error.class"].as_str(), event["error.type"].as_str()), ("internal_server_error", "500"));
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_error_responses_are_classified_without_panic(response in arbitrary_response()) {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        runtime.block_on(call_each_service(response));
    }
}
