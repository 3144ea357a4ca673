//! Shared helpers for the end-to-end tests: a loopback fault server, an `SdkConfig` with fake
//! credentials and virtual time, log and metric capture, and one [`Case`] per service; and the
//! fault simulation ([`sim`]) behind the `fault-sim` binary.
#![allow(async_fn_in_trait)]

/// The README's Rust snippets, compiled (and run, unless marked `no_run`) by `cargo test --doc`.
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
pub struct ReadmeDoctests;

pub mod sim;

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

use aws_config::stalled_stream_protection::StalledStreamProtectionConfig;
use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_credential_types::provider::SharedCredentialsProvider;
use aws_credential_types::Credentials;
use aws_server_errors::ServerErrorPolicy;
use aws_server_errors::Service;
use aws_server_errors_fault::{FaultInjector, FaultPlan, FaultServer};
use aws_smithy_async::rt::sleep::SharedAsyncSleep;
use aws_smithy_async::test_util::{instant_time_and_sleep, InstantSleep};
use aws_smithy_async::time::SharedTimeSource;
use aws_smithy_types::retry::RetryConfig;
use aws_smithy_types::timeout::TimeoutConfig;
use metrics_util::debugging::{DebugValue, DebuggingRecorder, Snapshotter};
use tracing_subscriber::layer::SubscriberExt;

/// The fake secret key every test client signs with; it must never reach a log.
pub const SECRET_KEY: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYFAKEKEYTEST";
/// The fake access key id.
pub const ACCESS_KEY: &str = "AKIAFAKEKEYFORTESTS0";

/// A loopback fault server, and an `SdkConfig` pointed at it with virtual time.
pub struct Env {
    /// The injector behind the server: its plan and its record of requests.
    pub injector: FaultInjector,
    /// The server; stops when dropped.
    pub server: FaultServer,
    /// The config every client of the test is built from.
    pub sdk: SdkConfig,
    /// Every sleep the SDK asked for, in order; none of them waits (each advances the client's
    /// manual clock instead).
    pub sleep: InstantSleep,
}

impl Env {
    /// Starts a server for `plan` on the current runtime. Clients get the SDK's default HTTP
    /// client, SigV4 with fake credentials, standard retries (3 attempts), and an instant sleep on
    /// a manual clock. Timeouts and stalled-stream protection are off: both run timers on the
    /// SDK's sleep, which the instant sleep would fire at once (stalled-stream protection ticks
    /// every 100 ms of a response body, which would fill the sleep log).
    pub async fn start(plan: FaultPlan) -> Self {
        let injector = FaultInjector::new(plan);
        let served = SERVICES.iter().copied().chain([Sso::SERVICE]);
        let server = FaultServer::start(injector.clone(), served).await.expect("bind loopback");
        let (time, sleep) = instant_time_and_sleep(SystemTime::UNIX_EPOCH + sim::VirtualTime::EPOCH_OFFSET);
        let sdk = SdkConfig::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new("us-east-1"))
            .credentials_provider(SharedCredentialsProvider::new(Credentials::new(
                ACCESS_KEY, SECRET_KEY, None, None, "test",
            )))
            .endpoint_url(server.url())
            .retry_config(RetryConfig::standard())
            .timeout_config(TimeoutConfig::disabled())
            .stalled_stream_protection(StalledStreamProtectionConfig::disabled())
            .sleep_impl(SharedAsyncSleep::new(sleep.clone()))
            .time_source(SharedTimeSource::new(time))
            .build();
        Self { injector, server, sdk, sleep }
    }

    /// As [`Env::start`], but on real time with a 100 ms HTTP read timeout and the client's
    /// retry backoff starting at 10 ms: for faults that only a timer ends (a request that is
    /// never answered). The timers are the SDK's own; the test waits for none of them itself.
    /// With `endpoint`, clients go there instead of to the server (e.g.
    /// [`aws_server_errors_fault::refused_endpoint`]).
    pub async fn start_real_time(plan: FaultPlan, endpoint: Option<String>) -> Self {
        let mut env = Self::start(plan).await;
        let endpoint = endpoint.unwrap_or_else(|| env.server.url());
        env.sdk = env
            .sdk
            .to_builder()
            .endpoint_url(endpoint)
            .retry_config(RetryConfig::standard().with_initial_backoff(std::time::Duration::from_millis(10)))
            .timeout_config(TimeoutConfig::builder().read_timeout(std::time::Duration::from_millis(100)).build())
            .sleep_impl(SharedAsyncSleep::new(aws_smithy_async::rt::sleep::TokioSleep::new()))
            .time_source(SharedTimeSource::default())
            .build();
        env
    }

    /// Requests the server saw for `op` of `service`.
    pub fn attempts(&self, service: &'static Service, op: &str) -> usize {
        self.injector.attempts(service, op)
    }
}

/// An `SdkConfig` for a paused Tokio clock: Tokio's sleep, `time_source` as the SDK's clock,
/// `http_client` (usually the fault kit's in-process client), standard retries, no timeouts.
/// Build it inside the runtime.
pub fn virtual_time_sdk(
    http_client: impl aws_smithy_runtime_api::client::http::HttpClient + 'static,
    time_source: SharedTimeSource,
) -> SdkConfig {
    SdkConfig::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .credentials_provider(SharedCredentialsProvider::new(Credentials::new(
            ACCESS_KEY, SECRET_KEY, None, None, "test",
        )))
        .http_client(http_client)
        .retry_config(RetryConfig::standard())
        .timeout_config(TimeoutConfig::disabled())
        .stalled_stream_protection(StalledStreamProtectionConfig::disabled())
        .sleep_impl(SharedAsyncSleep::new(aws_smithy_async::rt::sleep::TokioSleep::new()))
        .time_source(time_source)
        .build()
}

/// One captured log event: its fields as strings, the message under `message`.
pub type Event = BTreeMap<String, String>;

/// Captures the events of target `aws_server_errors`, and the metrics, on the current thread.
/// Use with a current-thread runtime (`#[tokio::test]`'s default).
pub struct Capture {
    events: Arc<Mutex<Vec<Event>>>,
    all_text: Arc<Mutex<String>>,
    snapshotter: Snapshotter,
    /// Snapshots drain counters and histograms, so every snapshot is folded in here.
    metrics: Mutex<Vec<Series>>,
    _log_guard: SinkGuard,
    _metrics_guard: metrics::LocalRecorderGuard<'static>,
}

impl Capture {
    /// Starts capturing; stops when dropped.
    pub fn start() -> Self {
        let events = Arc::new(Mutex::new(Vec::new()));
        let all_text = Arc::new(Mutex::new(String::new()));
        let log_guard = SinkGuard::install(Sink { events: events.clone(), all_text: all_text.clone() });
        // The local recorder must outlive its guard; a leaked one per test is a few bytes.
        let recorder: &'static DebuggingRecorder = Box::leak(Box::new(DebuggingRecorder::new()));
        let snapshotter = recorder.snapshotter();
        let metrics_guard = metrics::set_default_local_recorder(recorder);
        Self {
            events,
            all_text,
            snapshotter,
            metrics: Mutex::new(Vec::new()),
            _log_guard: log_guard,
            _metrics_guard: metrics_guard,
        }
    }

    /// The captured events of this crate's target.
    pub fn events(&self) -> Vec<Event> {
        self.events.lock().unwrap().clone()
    }

    /// The events whose message is `message`.
    pub fn events_with(&self, message: &str) -> Vec<Event> {
        self.events().into_iter().filter(|e| e["message"] == message).collect()
    }

    /// Every field of every event of this crate's target, as one string, for leak checks. (The
    /// SDK's own debug events are not ours to police; at trace level they show signing details.)
    pub fn all_text(&self) -> String {
        self.all_text.lock().unwrap().clone()
    }

    /// The sum of a counter over the series whose labels include `labels`.
    pub fn counter(&self, name: &str, labels: &[(&str, &str)]) -> u64 {
        self.series(name, labels).iter().map(|s| s.counter).sum()
    }

    /// All histogram samples (seconds) over the series whose labels include `labels`.
    pub fn histogram(&self, name: &str, labels: &[(&str, &str)]) -> Vec<f64> {
        self.series(name, labels).into_iter().flat_map(|s| s.samples).collect()
    }

    /// Every label set recorded for `name`.
    pub fn label_sets(&self, name: &str) -> Vec<Vec<(String, String)>> {
        self.series(name, &[]).into_iter().map(|s| s.labels).collect()
    }

    fn series(&self, name: &str, labels: &[(&str, &str)]) -> Vec<Series> {
        let mut all = self.metrics.lock().unwrap();
        for (key, _, _, value) in self.snapshotter.snapshot().into_vec() {
            let key = key.key();
            let key_labels: Vec<_> = key.labels().map(|l| (l.key().to_owned(), l.value().to_owned())).collect();
            let index = match all.iter().position(|s| s.name == key.name() && s.labels == key_labels) {
                Some(i) => i,
                None => {
                    all.push(Series {
                        name: key.name().to_owned(),
                        labels: key_labels,
                        counter: 0,
                        samples: Vec::new(),
                    });
                    all.len() - 1
                }
            };
            match value {
                DebugValue::Counter(c) => all[index].counter += c,
                DebugValue::Histogram(h) => all[index].samples.extend(h.into_iter().map(|x| x.into_inner())),
                DebugValue::Gauge(_) => {}
            }
        }
        all.iter()
            .filter(|s| {
                s.name == name && labels.iter().all(|(k, v)| s.labels.iter().any(|(lk, lv)| lk == k && lv == v))
            })
            .cloned()
            .collect()
    }
}

/// One metric series, accumulated over snapshots.
#[derive(Debug, Clone)]
struct Series {
    name: String,
    labels: Vec<(String, String)>,
    counter: u64,
    samples: Vec<f64>,
}

/// Where the current thread's captured events go.
#[derive(Clone)]
struct Sink {
    events: Arc<Mutex<Vec<Event>>>,
    all_text: Arc<Mutex<String>>,
}

thread_local! {
    static SINK: std::cell::RefCell<Option<Sink>> = const { std::cell::RefCell::new(None) };
}

/// Routes this thread's events to a [`Sink`] until dropped.
///
/// One global subscriber, installed once, forwards events to the sink of the thread they happen
/// on. (A per-thread `set_default` subscriber loses events when tests run in parallel: `tracing`
/// caches each callsite's interest globally, and a cache rebuilt while another test's
/// subscriber comes or goes can disable a callsite for a moment.)
struct SinkGuard;

impl SinkGuard {
    fn install(sink: Sink) -> Self {
        static GLOBAL: std::sync::Once = std::sync::Once::new();
        GLOBAL.call_once(|| {
            let _ = tracing::subscriber::set_global_default(tracing_subscriber::registry().with(CaptureLayer));
        });
        SINK.with(|s| *s.borrow_mut() = Some(sink));
        Self
    }
}

impl Drop for SinkGuard {
    fn drop(&mut self) {
        SINK.with(|s| *s.borrow_mut() = None);
    }
}

struct CaptureLayer;

impl<S: tracing::Subscriber> tracing_subscriber::Layer<S> for CaptureLayer {
    fn on_event(&self, event: &tracing::Event<'_>, _ctx: tracing_subscriber::layer::Context<'_, S>) {
        if event.metadata().target() != aws_server_errors::telemetry::LOG_TARGET {
            return;
        }
        let Some(sink) = SINK.with(|s| s.borrow().clone()) else { return };
        let mut fields = Visitor(Event::new());
        event.record(&mut fields);
        let mut text = sink.all_text.lock().unwrap();
        for (k, v) in &fields.0 {
            text.push_str(&format!("{k}={v}\n"));
        }
        fields.0.insert("level".into(), event.metadata().level().to_string());
        sink.events.lock().unwrap().push(fields.0);
    }
}

struct Visitor(Event);

impl tracing::field::Visit for Visitor {
    fn record_str(&mut self, field: &tracing::field::Field, value: &str) {
        self.0.insert(field.name().into(), value.into());
    }

    fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
        self.0.insert(field.name().into(), format!("{value:?}"));
    }
}

/// How a call ended, read through the service's own typed error.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Success.
    Ok,
    /// `into_service_error()` gave the service's internal-server error variant.
    InternalServerError,
    /// `into_service_error()` gave the service's throttling variant.
    Throttling,
    /// Anything else, described.
    Other(String),
}

/// Code generic over a service's [`Case`]: how a test that holds a `&Service` (a simulation
/// row, a loop over [`SERVICES`]) runs it with the service's type, through [`with_case`].
pub trait CaseFn {
    /// What the code returns.
    type Output;
    /// Runs the code with `C`.
    fn call<C: Case + 'static>(self) -> impl std::future::Future<Output = Self::Output>;
}

/// The list of cases, once: [`SERVICES`] and [`with_case`] are made from it.
macro_rules! cases {
    ($($case:ident),* $(,)?) => {
        /// The services, each adapter crate's handle, in a fixed order: the [`Case`] types'.
        pub static SERVICES: [&Service; [$(stringify!($case)),*].len()] = [$(<$case as Case>::SERVICE),*];

        /// Runs `f` with the [`Case`] of `service`.
        ///
        /// # Panics
        /// When `service` is not one of [`SERVICES`].
        pub async fn with_case<F: CaseFn>(service: &'static Service, f: F) -> F::Output {
            $(
                if service == <$case as Case>::SERVICE {
                    return f.call::<$case>().await;
                }
            )*
            panic!("{} is not one of SERVICES", service.key())
        }
    };
}

cases!(Signer, Pinpoint, Account, BackupGateway, ConnectCases, DynamoDb, Sns, S3, Sqs, Sts, Kms, Lambda, Kinesis, Ec2);

/// The eight services the committed fault simulation (docs/benchmarks/fault-sim) was run with:
/// the first eight of [`SERVICES`]. The six adapters of issue 20 run in e2e, not in that table.
pub fn simulated_services() -> Vec<&'static Service> {
    SERVICES[..8].to_vec()
}

/// A policy validated against the services of [`SERVICES`] and [`Sso`]'s
/// ([`ServerErrorPolicy::with_services`]).
///
/// # Errors
/// The config's first error.
pub fn with_services(
    config: aws_server_errors::PolicyConfig,
) -> Result<ServerErrorPolicy, aws_server_errors::ConfigError> {
    ServerErrorPolicy::with_services(config, SERVICES.iter().copied().chain([Sso::SERVICE]))
}

/// One service under test: how to build its client, and one retry-safe and one
/// non-retry-safe operation.
pub trait Case: Sized {
    /// The service.
    const SERVICE: &'static Service;
    /// A retry-safe operation.
    const SAFE_OP: &'static str;
    /// An operation that is not retry-safe; for a service that has none ([`Case::HAS_UNSAFE_OP`]
    /// false), another operation.
    const UNSAFE_OP: &'static str;
    /// Whether the service has an operation that is not retry-safe. STS has none: every
    /// operation issues credentials or reads, and changes no state.
    const HAS_UNSAFE_OP: bool = true;
    /// The service-specific member the internal error carries in the fault kit's responses, as
    /// the log field `error.detail` shows it (`None` when the shape has none besides the hint).
    const DETAIL_MEMBER: Option<&'static str>;
    /// Whether the SDK's own retry strategy retries the service's throttling error. `false` for
    /// SNS, whose `Throttled` (a 429) is in neither the SDK's throttling codes nor its transient
    /// statuses: the policy's retry classifier closes that gap.
    const SDK_RETRIES_THROTTLING: bool = true;
    /// A client built from `sdk`, with `policy` registered if given.
    fn client(sdk: &SdkConfig, policy: Option<&ServerErrorPolicy>) -> Self {
        Self::client_in(sdk, policy, None)
    }
    /// As [`Case::client`], in the retry partition `retry_partition` if given, else in one of its
    /// own ([`partition_name`]). The SDK keeps the retry quota (token bucket) and the adaptive
    /// rate limiter of a partition in a process-wide map, so clients that must not share them need
    /// partitions of their own.
    fn client_in(sdk: &SdkConfig, policy: Option<&ServerErrorPolicy>, retry_partition: Option<&str>) -> Self;
    /// Calls [`Self::SAFE_OP`].
    async fn call_safe(&self) -> Outcome;
    /// Calls [`Self::UNSAFE_OP`].
    async fn call_unsafe(&self) -> Outcome;
}

/// Reads a result through the service error's `is_*` methods, as caller code does.
macro_rules! outcome {
    ($result:expr, $internal:ident, $throttling:ident) => {
        match $result {
            Ok(_) => Outcome::Ok,
            Err(err) => {
                let err = err.into_service_error();
                if err.$internal() {
                    Outcome::InternalServerError
                } else if err.$throttling() {
                    Outcome::Throttling
                } else {
                    Outcome::Other(format!("{err:?}"))
                }
            }
        }
    };
}

/// The retry partition of a test client: `name` if given, else one of its own. The SDK keeps a
/// partition's retry quota in a process-wide map, and the default partition is the service's:
/// tests running in parallel would drain one another's quota (a 500 costs 5 of its 500 tokens)
/// and see retries refused that they did not cause.
pub fn partition_name(name: Option<&str>) -> String {
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    match name {
        Some(name) => name.to_owned(),
        None => format!("test-client-{}", NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed)),
    }
}

thread_local! {
    static GENERIC_PATH: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// While the returned guard lives, every client [`Case::client`] builds on this thread registers
/// its policy through the generic path (`aws_server_errors_services::server_error_policy!`: no
/// adapter crate, classification from the raw response) instead of its adapter crate: the
/// agreement run of the E2E matrix. Build the clients on the test's thread (a `#[tokio::test]`'s
/// body is).
pub fn generic_path() -> GenericPath {
    GENERIC_PATH.set(true);
    GenericPath(())
}

/// Whether [`generic_path`] is on for this thread.
pub fn generic_path_on() -> bool {
    GENERIC_PATH.get()
}

/// Turns the generic path off when dropped.
pub struct GenericPath(());

impl Drop for GenericPath {
    fn drop(&mut self) {
        GENERIC_PATH.set(false);
    }
}

/// Builds a service's client config, with or without the policy; `$tweak` (a closure) adjusts
/// the config builder first.
macro_rules! client {
    ($sdk_crate:ident, $adapter:ident, $sdk:expr, $policy:expr, $partition:expr) => {
        client!($sdk_crate, $adapter, $sdk, $policy, $partition, |builder| builder)
    };
    ($sdk_crate:ident, $adapter:ident, $sdk:expr, $policy:expr, $partition:expr, $tweak:expr) => {{
        use $adapter::ServerErrorPolicyExt as _;
        let tweak: fn($sdk_crate::config::Builder) -> $sdk_crate::config::Builder = $tweak;
        let builder = tweak($sdk_crate::config::Builder::from($sdk));
        let builder = match $policy {
            Some(policy) if generic_path_on() => aws_server_errors_services::server_error_policy!(builder, policy),
            Some(policy) => builder.server_error_policy(policy),
            None => builder,
        };
        let name = partition_name($partition);
        let builder = builder.retry_partition($sdk_crate::config::retry::RetryPartition::new(name));
        $sdk_crate::Client::from_conf(builder.build())
    }};
}

/// DynamoDB (awsJson 1.0, every operation a POST): GetItem (a read by AWS's naming convention),
/// PutItem (not retry-safe: a conditional put that was applied fails its condition when repeated).
pub struct DynamoDb(pub aws_sdk_dynamodb::Client);

impl Case for DynamoDb {
    const SERVICE: &'static Service = &aws_server_errors_dynamodb::SERVICE;
    const SAFE_OP: &'static str = "GetItem";
    const UNSAFE_OP: &'static str = "PutItem";
    const DETAIL_MEMBER: Option<&'static str> = None;
    fn client_in(sdk: &SdkConfig, policy: Option<&ServerErrorPolicy>, retry_partition: Option<&str>) -> Self {
        Self(client!(aws_sdk_dynamodb, aws_server_errors_dynamodb, sdk, policy, retry_partition))
    }
    async fn call_safe(&self) -> Outcome {
        let key = aws_sdk_dynamodb::types::AttributeValue::S("k".to_owned());
        let result = self.0.get_item().table_name("table").key("pk", key).send().await;
        outcome!(result, is_internal_server_error, is_provisioned_throughput_exceeded_exception)
    }
    async fn call_unsafe(&self) -> Outcome {
        let value = aws_sdk_dynamodb::types::AttributeValue::S("k".to_owned());
        let result = self.0.put_item().table_name("table").item("pk", value).send().await;
        outcome!(result, is_internal_server_error, is_provisioned_throughput_exceeded_exception)
    }
}

/// SNS (awsQuery, every operation a POST): ListTopics (a read by AWS's naming convention),
/// Publish (not retry-safe: a message published again is delivered again). Most operations do
/// not model its throttling error, so callers (and this case) read the error code.
pub struct Sns(pub aws_sdk_sns::Client);

/// A result as caller code reads an error the operation may not model: by its code (SNS's
/// `InternalError` and `Throttled` on most operations, S3's `InternalError` and `SlowDown`).
fn outcome_by_code<T, E>(
    result: Result<T, aws_smithy_runtime_api::client::result::SdkError<E, aws_smithy_runtime_api::http::Response>>,
    internal: &str,
    throttling: &str,
) -> Outcome
where
    E: aws_smithy_types::error::metadata::ProvideErrorMetadata + std::fmt::Debug,
{
    match result {
        Ok(_) => Outcome::Ok,
        Err(err) => match err.as_service_error().and_then(|e| e.code()) {
            Some(code) if code == internal => Outcome::InternalServerError,
            Some(code) if code == throttling => Outcome::Throttling,
            _ => Outcome::Other(format!("{err:?}")),
        },
    }
}

impl Case for Sns {
    const SERVICE: &'static Service = &aws_server_errors_sns::SERVICE;
    const SAFE_OP: &'static str = "ListTopics";
    const UNSAFE_OP: &'static str = "Publish";
    const DETAIL_MEMBER: Option<&'static str> = None;
    const SDK_RETRIES_THROTTLING: bool = false;
    fn client_in(sdk: &SdkConfig, policy: Option<&ServerErrorPolicy>, retry_partition: Option<&str>) -> Self {
        Self(client!(aws_sdk_sns, aws_server_errors_sns, sdk, policy, retry_partition))
    }
    async fn call_safe(&self) -> Outcome {
        outcome_by_code(self.0.list_topics().send().await, "InternalError", "Throttled")
    }
    async fn call_unsafe(&self) -> Outcome {
        let result = self.0.publish().topic_arn("arn:aws:sns:us-east-1:123456789012:t").message("m").send().await;
        outcome_by_code(result, "InternalError", "Throttled")
    }
}

/// S3 (restXml, path-style addressing against the loopback server): GetObject (GET),
/// CreateMultipartUpload (POST: each call starts a new upload). Its internal error (`InternalError`)
/// and throttling (`SlowDown`, a 503) are not modeled: callers read the error code.
pub struct S3(pub aws_sdk_s3::Client);

impl Case for S3 {
    const SERVICE: &'static Service = &aws_server_errors_s3::SERVICE;
    const SAFE_OP: &'static str = "GetObject";
    const UNSAFE_OP: &'static str = "CreateMultipartUpload";
    const DETAIL_MEMBER: Option<&'static str> = None;
    fn client_in(sdk: &SdkConfig, policy: Option<&ServerErrorPolicy>, retry_partition: Option<&str>) -> Self {
        let path_style = |builder: aws_sdk_s3::config::Builder| builder.force_path_style(true);
        Self(client!(aws_sdk_s3, aws_server_errors_s3, sdk, policy, retry_partition, path_style))
    }
    async fn call_safe(&self) -> Outcome {
        outcome_by_code(self.0.get_object().bucket("bucket").key("key.txt").send().await, "InternalError", "SlowDown")
    }
    async fn call_unsafe(&self) -> Outcome {
        let result = self.0.create_multipart_upload().bucket("bucket").key("key.txt").send().await;
        outcome_by_code(result, "InternalError", "SlowDown")
    }
}

/// SQS (awsJson 1.0, query-compatible: the SDK reads the awsQuery code from
/// `x-amzn-query-error`): GetQueueUrl (a read by AWS's naming convention), SendMessage (not
/// retry-safe: a message sent again is delivered again). SQS models no internal error: its
/// documented `InternalFailure` arrives `Unhandled`, read by its code.
pub struct Sqs(pub aws_sdk_sqs::Client);

impl Case for Sqs {
    const SERVICE: &'static Service = &aws_server_errors_sqs::SERVICE;
    const SAFE_OP: &'static str = "GetQueueUrl";
    const UNSAFE_OP: &'static str = "SendMessage";
    const DETAIL_MEMBER: Option<&'static str> = None;
    fn client_in(sdk: &SdkConfig, policy: Option<&ServerErrorPolicy>, retry_partition: Option<&str>) -> Self {
        Self(client!(aws_sdk_sqs, aws_server_errors_sqs, sdk, policy, retry_partition))
    }
    async fn call_safe(&self) -> Outcome {
        outcome_by_code(self.0.get_queue_url().queue_name("q").send().await, "InternalFailure", "RequestThrottled")
    }
    async fn call_unsafe(&self) -> Outcome {
        let result = self
            .0
            .send_message()
            .queue_url("https://sqs.us-east-1.amazonaws.com/123456789012/q")
            .message_body("m")
            .send()
            .await;
        outcome_by_code(result, "InternalFailure", "RequestThrottled")
    }
}

/// STS (awsQuery): GetCallerIdentity (a read by AWS's naming convention); it has no operation
/// that is not retry-safe (reviewed: each issues credentials or reads), so GetFederationToken
/// stands in for one. STS models neither its internal error nor its throttling: its documented
/// `InternalFailure` and `Throttling` arrive `Unhandled`, read by their codes.
pub struct Sts(pub aws_sdk_sts::Client);

impl Case for Sts {
    const SERVICE: &'static Service = &aws_server_errors_sts::SERVICE;
    const SAFE_OP: &'static str = "GetCallerIdentity";
    const UNSAFE_OP: &'static str = "GetFederationToken";
    const HAS_UNSAFE_OP: bool = false;
    const DETAIL_MEMBER: Option<&'static str> = None;
    fn client_in(sdk: &SdkConfig, policy: Option<&ServerErrorPolicy>, retry_partition: Option<&str>) -> Self {
        Self(client!(aws_sdk_sts, aws_server_errors_sts, sdk, policy, retry_partition))
    }
    async fn call_safe(&self) -> Outcome {
        outcome_by_code(self.0.get_caller_identity().send().await, "InternalFailure", "Throttling")
    }
    async fn call_unsafe(&self) -> Outcome {
        outcome_by_code(self.0.get_federation_token().name("n").send().await, "InternalFailure", "Throttling")
    }
}

/// SSO (restJson1, no SigV4: a bearer token), a service with no adapter crate: its policy is always
/// registered through the generic path (`aws_server_errors_services::server_error_policy!`), its
/// facts from the table of every service. ListAccounts (GET: retry-safe by its HTTP method), Logout
/// (a POST with no other source: not retry-safe). It models no internal error: AWS's documented
/// `InternalFailure` arrives `Unhandled`, read by its code.
pub struct Sso(pub aws_sdk_sso::Client);

impl Case for Sso {
    const SERVICE: &'static Service = match aws_server_errors_services::by_key("sso") {
        Some(service) => service,
        None => panic!("SSO is in the table of every service"),
    };
    const SAFE_OP: &'static str = "ListAccounts";
    const UNSAFE_OP: &'static str = "Logout";
    const DETAIL_MEMBER: Option<&'static str> = None;
    fn client_in(sdk: &SdkConfig, policy: Option<&ServerErrorPolicy>, retry_partition: Option<&str>) -> Self {
        let builder = aws_sdk_sso::config::Builder::from(sdk);
        let builder = match policy {
            Some(policy) => aws_server_errors_services::server_error_policy!(builder, policy),
            None => builder,
        };
        let builder =
            builder.retry_partition(aws_sdk_sso::config::retry::RetryPartition::new(partition_name(retry_partition)));
        Self(aws_sdk_sso::Client::from_conf(builder.build()))
    }
    async fn call_safe(&self) -> Outcome {
        let result = self.0.list_accounts().access_token("token").send().await;
        outcome_by_code(result, "InternalFailure", "TooManyRequestsException")
    }
    async fn call_unsafe(&self) -> Outcome {
        let result = self.0.logout().access_token("token").send().await;
        outcome_by_code(result, "InternalFailure", "TooManyRequestsException")
    }
}

/// KMS (awsJson 1.1): Decrypt (reviewed: changes no state), CreateKey (not retry-safe: a repeat
/// makes a second key). Its internal error is `KMSInternalException` (the SDK's
/// `KmsInternalException`); its throttling (`ThrottlingException`) is not modeled.
pub struct Kms(pub aws_sdk_kms::Client);

impl Case for Kms {
    const SERVICE: &'static Service = &aws_server_errors_kms::SERVICE;
    const SAFE_OP: &'static str = "Decrypt";
    const UNSAFE_OP: &'static str = "CreateKey";
    const DETAIL_MEMBER: Option<&'static str> = None;
    fn client_in(sdk: &SdkConfig, policy: Option<&ServerErrorPolicy>, retry_partition: Option<&str>) -> Self {
        Self(client!(aws_sdk_kms, aws_server_errors_kms, sdk, policy, retry_partition))
    }
    async fn call_safe(&self) -> Outcome {
        let blob = aws_smithy_types::Blob::new(b"ciphertext".to_vec());
        let result = self.0.decrypt().ciphertext_blob(blob).send().await;
        outcome_by_code(result, "KMSInternalException", "ThrottlingException")
    }
    async fn call_unsafe(&self) -> Outcome {
        outcome_by_code(self.0.create_key().send().await, "KMSInternalException", "ThrottlingException")
    }
}

/// Lambda (restJson1): GetFunction (GET), Invoke (POST: not retry-safe, the function runs again).
pub struct Lambda(pub aws_sdk_lambda::Client);

impl Case for Lambda {
    const SERVICE: &'static Service = &aws_server_errors_lambda::SERVICE;
    const SAFE_OP: &'static str = "GetFunction";
    const UNSAFE_OP: &'static str = "Invoke";
    const DETAIL_MEMBER: Option<&'static str> = None;
    fn client_in(sdk: &SdkConfig, policy: Option<&ServerErrorPolicy>, retry_partition: Option<&str>) -> Self {
        Self(client!(aws_sdk_lambda, aws_server_errors_lambda, sdk, policy, retry_partition))
    }
    async fn call_safe(&self) -> Outcome {
        let result = self.0.get_function().function_name("f").send().await;
        outcome!(result, is_service_exception, is_too_many_requests_exception)
    }
    async fn call_unsafe(&self) -> Outcome {
        let result = self.0.invoke().function_name("f").send().await;
        outcome!(result, is_service_exception, is_too_many_requests_exception)
    }
}

/// Kinesis (awsJson 1.1, from smithy-rs's schema-based codegen): DescribeStreamSummary (a read by
/// AWS's naming convention), PutRecord (not retry-safe: the record is appended again).
pub struct Kinesis(pub aws_sdk_kinesis::Client);

impl Case for Kinesis {
    const SERVICE: &'static Service = &aws_server_errors_kinesis::SERVICE;
    const SAFE_OP: &'static str = "DescribeStreamSummary";
    const UNSAFE_OP: &'static str = "PutRecord";
    const DETAIL_MEMBER: Option<&'static str> = None;
    fn client_in(sdk: &SdkConfig, policy: Option<&ServerErrorPolicy>, retry_partition: Option<&str>) -> Self {
        Self(client!(aws_sdk_kinesis, aws_server_errors_kinesis, sdk, policy, retry_partition))
    }
    async fn call_safe(&self) -> Outcome {
        // DescribeStreamSummary models neither error: read by code, as its callers must.
        let result = self.0.describe_stream_summary().stream_name("s").send().await;
        outcome_by_code(result, "InternalFailureException", "ProvisionedThroughputExceededException")
    }
    async fn call_unsafe(&self) -> Outcome {
        let data = aws_smithy_types::Blob::new(b"record".to_vec());
        let result = self.0.put_record().stream_name("s").partition_key("p").data(data).send().await;
        outcome!(result, is_internal_failure_exception, is_provisioned_throughput_exceeded_exception)
    }
}

/// EC2 (ec2Query; models no error at all): DescribeInstances (a read by AWS's naming convention),
/// AllocateAddress (not retry-safe: a repeat allocates a second address). Its documented
/// `InternalError` (500) and `RequestLimitExceeded` (503) arrive `Unhandled`, read by their codes.
pub struct Ec2(pub aws_sdk_ec2::Client);

impl Case for Ec2 {
    const SERVICE: &'static Service = &aws_server_errors_ec2::SERVICE;
    const SAFE_OP: &'static str = "DescribeInstances";
    const UNSAFE_OP: &'static str = "AllocateAddress";
    const DETAIL_MEMBER: Option<&'static str> = None;
    fn client_in(sdk: &SdkConfig, policy: Option<&ServerErrorPolicy>, retry_partition: Option<&str>) -> Self {
        Self(client!(aws_sdk_ec2, aws_server_errors_ec2, sdk, policy, retry_partition))
    }
    async fn call_safe(&self) -> Outcome {
        outcome_by_code(self.0.describe_instances().send().await, "InternalError", "RequestLimitExceeded")
    }
    async fn call_unsafe(&self) -> Outcome {
        outcome_by_code(self.0.allocate_address().send().await, "InternalError", "RequestLimitExceeded")
    }
}

/// Signer: GetSigningProfile (GET), AddProfilePermission (POST).
pub struct Signer(pub aws_sdk_signer::Client);

impl Case for Signer {
    const SERVICE: &'static Service = &aws_server_errors_signer::SERVICE;
    const SAFE_OP: &'static str = "GetSigningProfile";
    const UNSAFE_OP: &'static str = "AddProfilePermission";
    const DETAIL_MEMBER: Option<&'static str> = Some("code");
    fn client_in(sdk: &SdkConfig, policy: Option<&ServerErrorPolicy>, retry_partition: Option<&str>) -> Self {
        Self(client!(aws_sdk_signer, aws_server_errors_signer, sdk, policy, retry_partition))
    }
    async fn call_safe(&self) -> Outcome {
        let result = self.0.get_signing_profile().profile_name("profile").send().await;
        outcome!(result, is_internal_service_error_exception, is_too_many_requests_exception)
    }
    async fn call_unsafe(&self) -> Outcome {
        let result = self
            .0
            .add_profile_permission()
            .profile_name("profile")
            .action("signer:StartSigningJob")
            .principal("123456789012")
            .statement_id("s1")
            .send()
            .await;
        outcome!(result, is_internal_service_error_exception, is_too_many_requests_exception)
    }
}

/// Pinpoint: GetApp (GET), SendMessages (POST).
pub struct Pinpoint(pub aws_sdk_pinpoint::Client);

impl Case for Pinpoint {
    const SERVICE: &'static Service = &aws_server_errors_pinpoint::SERVICE;
    const SAFE_OP: &'static str = "GetApp";
    const UNSAFE_OP: &'static str = "SendMessages";
    const DETAIL_MEMBER: Option<&'static str> = Some("RequestID");
    fn client_in(sdk: &SdkConfig, policy: Option<&ServerErrorPolicy>, retry_partition: Option<&str>) -> Self {
        Self(client!(aws_sdk_pinpoint, aws_server_errors_pinpoint, sdk, policy, retry_partition))
    }
    async fn call_safe(&self) -> Outcome {
        let result = self.0.get_app().application_id("app").send().await;
        outcome!(result, is_internal_server_error_exception, is_too_many_requests_exception)
    }
    async fn call_unsafe(&self) -> Outcome {
        let request = aws_sdk_pinpoint::types::MessageRequest::builder().build();
        let result = self.0.send_messages().application_id("app").message_request(request).send().await;
        outcome!(result, is_internal_server_error_exception, is_too_many_requests_exception)
    }
}

/// Account: GetContactInformation (`@readonly`), StartPrimaryEmailUpdate (POST, no trait).
pub struct Account(pub aws_sdk_account::Client);

impl Case for Account {
    const SERVICE: &'static Service = &aws_server_errors_account::SERVICE;
    const SAFE_OP: &'static str = "GetContactInformation";
    const UNSAFE_OP: &'static str = "StartPrimaryEmailUpdate";
    const DETAIL_MEMBER: Option<&'static str> = Some("errorType");
    fn client_in(sdk: &SdkConfig, policy: Option<&ServerErrorPolicy>, retry_partition: Option<&str>) -> Self {
        Self(client!(aws_sdk_account, aws_server_errors_account, sdk, policy, retry_partition))
    }
    async fn call_safe(&self) -> Outcome {
        let result = self.0.get_contact_information().send().await;
        outcome!(result, is_internal_server_exception, is_too_many_requests_exception)
    }
    async fn call_unsafe(&self) -> Outcome {
        let result =
            self.0.start_primary_email_update().account_id("123456789012").primary_email("a@example.com").send().await;
        outcome!(result, is_internal_server_exception, is_too_many_requests_exception)
    }
}

/// Backup Gateway (RPC v2 CBOR): GetGateway (`@readonly`), CreateGateway (no trait).
pub struct BackupGateway(pub aws_sdk_backupgateway::Client);

impl Case for BackupGateway {
    const SERVICE: &'static Service = &aws_server_errors_backupgateway::SERVICE;
    const SAFE_OP: &'static str = "GetGateway";
    const UNSAFE_OP: &'static str = "CreateGateway";
    const DETAIL_MEMBER: Option<&'static str> = Some("ErrorCode");
    fn client_in(sdk: &SdkConfig, policy: Option<&ServerErrorPolicy>, retry_partition: Option<&str>) -> Self {
        Self(client!(aws_sdk_backupgateway, aws_server_errors_backupgateway, sdk, policy, retry_partition))
    }
    async fn call_safe(&self) -> Outcome {
        let arn = "arn:aws:backup-gateway:us-east-1:123456789012:gateway/bgw-1";
        let result = self.0.get_gateway().gateway_arn(arn).send().await;
        outcome!(result, is_internal_server_exception, is_throttling_exception)
    }
    async fn call_unsafe(&self) -> Outcome {
        let result = self
            .0
            .create_gateway()
            .activation_key("KEY")
            .gateway_display_name("gw")
            .gateway_type(aws_sdk_backupgateway::types::GatewayType::BackupVm)
            .send()
            .await;
        outcome!(result, is_internal_server_exception, is_throttling_exception)
    }
}

/// Connect Cases: GetDomain (`@readonly`), CreateLayout (POST, no trait).
pub struct ConnectCases(pub aws_sdk_connectcases::Client);

impl Case for ConnectCases {
    const SERVICE: &'static Service = &aws_server_errors_connectcases::SERVICE;
    const SAFE_OP: &'static str = "GetDomain";
    const UNSAFE_OP: &'static str = "CreateLayout";
    const DETAIL_MEMBER: Option<&'static str> = None;
    fn client_in(sdk: &SdkConfig, policy: Option<&ServerErrorPolicy>, retry_partition: Option<&str>) -> Self {
        Self(client!(aws_sdk_connectcases, aws_server_errors_connectcases, sdk, policy, retry_partition))
    }
    async fn call_safe(&self) -> Outcome {
        let result = self.0.get_domain().domain_id("domain").send().await;
        outcome!(result, is_internal_server_exception, is_throttling_exception)
    }
    async fn call_unsafe(&self) -> Outcome {
        use aws_sdk_connectcases::types::{BasicLayout, LayoutContent};
        let content = LayoutContent::Basic(BasicLayout::builder().build());
        let result = self.0.create_layout().domain_id("domain").name("layout").content(content).send().await;
        outcome!(result, is_internal_server_exception, is_throttling_exception)
    }
}
