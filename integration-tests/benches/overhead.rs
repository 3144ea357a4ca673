//! What the policy costs, measured with criterion on real SDK clients of six services and an
//! in-process HTTP client that answers every request with a canned, wire-exact response (no I/O,
//! no locks). Run in release from the workspace root:
//!
//! ```text
//! cargo bench --bench overhead                 # everything, about 4 minutes after the build
//! cargo bench --bench overhead -- success/     # one group
//! python3 integration-tests/benches/summarize.py   # the tables of docs/benchmarks.md
//! ```
//!
//! Groups:
//! - `success/<service>/{plain,policy}`: one retry-safe call that succeeds, without and with the
//!   policy registered (default config).
//! - `classify/pinpoint/{first,middle,last}`: classifying one failed attempt of Pinpoint's first
//!   (`CreateApp`), middle (`GetInAppMessages`, index 61) and last (`VerifyOTPMessage`, index 121)
//!   operation, as the interceptor does: find the operation by name, then run its classifier on
//!   the typed error the SDK's own deserializer produced from a real 500 response.
//! - `failed_attempt/pinpoint/{plain,policy}`: a `GetApp` call whose first attempt gets a 500 and
//!   whose retry succeeds (sleeps are instant), without and with the policy: the whole per-attempt
//!   error path of the interceptor (classify, decide, steer the retry, metrics, log event).
//! - `generic_success/signer` and `generic_failed/pinpoint` (paired only): the success path and
//!   the failed-then-retried call through the generic path (the policy registered with
//!   `aws_server_errors_services::server_error_policy!`, classification from the raw response)
//!   against the adapter crate's registration: the "plain" arm is the adapter, the "policy" arm
//!   the generic path.
//! - `steering_floor/pinpoint` (paired only): the same failed-then-retried call with an
//!   interceptor that only steers the retry through the config bag (a marker, `RetryConfig` in
//!   place, a zero-cost `TokenBucket` in a shared layer, as the policy does), against plain: what any interceptor pays to steer the SDK's retry
//!   strategy, the floor under the policy's error path.
//! - `success_floor/signer` (paired only): a successful call with an interceptor and a retry
//!   classifier that do only what the policy's success-path features need (the same three hooks,
//!   the operation from `Metadata`, one per-operation counter), against plain: the floor under the
//!   policy's success path.
//! - `fail_fast/signer` (paired only): a call the open circuit breaker fails fast, against a
//!   plain successful call of the same operation.
//! - `concurrency_breaker/64_tasks` (paired only): the same 64 tasks, the default policy against
//!   the policy with the circuit breaker (whose window every success writes).
//! - `concurrency/64_tasks/{plain,policy}`: Signer calls from 64 tasks on a 2-worker multi-thread
//!   runtime sharing one client (and, with the policy, one retry budget); throughput in calls/s.
//!
//! Then, because criterion measures one arm after the other and the drift between two windows on
//! a shared VM is larger than the policy's cost, every plain/policy pair is measured again
//! **paired** (`paired ...` lines, and `target/criterion/paired.json`): thousands of short rounds,
//! each running both arms back to back in alternating order; the overhead is the trimmed mean of
//! the per-round differences, with a 95 % confidence interval. Only the paired comparisons:
//! `cargo bench --bench overhead -- paired`.

use std::hint::black_box;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use aws_config::stalled_stream_protection::StalledStreamProtectionConfig;
use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_credential_types::provider::SharedCredentialsProvider;
use aws_credential_types::Credentials;
use aws_server_errors::adapter::OperationError;
use aws_server_errors::{PolicyConfig, ServerErrorPolicy};
use aws_server_errors_fault::{wire, Fault};
use aws_server_errors_integration_tests::{
    generic_path, Account, BackupGateway, Case, ConnectCases, DynamoDb, Pinpoint, Signer,
};
use aws_smithy_async::rt::sleep::{AsyncSleep, SharedAsyncSleep, Sleep};
use aws_smithy_runtime_api::client::http::{
    HttpClient, HttpConnector, HttpConnectorFuture, HttpConnectorSettings, SharedHttpClient, SharedHttpConnector,
};
use aws_smithy_runtime_api::client::orchestrator::{HttpRequest, HttpResponse};
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::body::SdkBody;
use aws_smithy_types::retry::RetryConfig;
use aws_smithy_types::timeout::TimeoutConfig;
use bytes::Bytes;
use criterion::{criterion_group, BenchmarkId, Criterion, Throughput};
use tokio::runtime::Runtime;

/// One canned response, rebuilt for every request from its parts.
#[derive(Debug, Clone)]
struct CannedResponse {
    status: http::StatusCode,
    headers: http::HeaderMap,
    body: Bytes,
}

impl CannedResponse {
    fn new(response: http::Response<Bytes>) -> Self {
        let (parts, body) = response.into_parts();
        Self { status: parts.status, headers: parts.headers, body }
    }

    fn to_http(&self) -> HttpResponse {
        let mut response = http::Response::new(SdkBody::from(self.body.clone()));
        *response.status_mut() = self.status;
        *response.headers_mut() = self.headers.clone();
        HttpResponse::try_from(response).expect("canned responses are valid")
    }
}

/// An in-process HTTP client that cycles through canned responses (one counter, no lock).
#[derive(Debug, Clone)]
struct Canned {
    responses: Arc<[CannedResponse]>,
    next: Arc<AtomicUsize>,
}

impl Canned {
    fn client(responses: Vec<http::Response<Bytes>>) -> SharedHttpClient {
        let responses = responses.into_iter().map(CannedResponse::new).collect();
        SharedHttpClient::new(Self { responses, next: Arc::new(AtomicUsize::new(0)) })
    }
}

impl HttpClient for Canned {
    fn http_connector(&self, _: &HttpConnectorSettings, _: &RuntimeComponents) -> SharedHttpConnector {
        SharedHttpConnector::new(self.clone())
    }
}

impl HttpConnector for Canned {
    fn call(&self, _request: HttpRequest) -> HttpConnectorFuture {
        let i = if self.responses.len() == 1 { 0 } else { self.next.fetch_add(1, Ordering::Relaxed) };
        HttpConnectorFuture::ready(Ok(self.responses[i % self.responses.len()].to_http()))
    }
}

/// A sleep that returns at once, so retries cost no wall-clock time.
#[derive(Debug)]
struct NoSleep;

impl AsyncSleep for NoSleep {
    fn sleep(&self, _duration: Duration) -> Sleep {
        Sleep::new(std::future::ready(()))
    }
}

/// An SDK config whose client answers every call of `service` with its empty success.
fn success_sdk(service: &aws_server_errors::Service) -> SdkConfig {
    sdk_config(Canned::client(vec![wire::empty_success(service, "bench")]), RetryConfig::standard())
}

/// An SDK config whose client answers Pinpoint calls with an internal error (500), then a
/// success, in turn: each call fails once and its retry succeeds. Each client that must keep its
/// own fail/succeed cycle needs a config of its own.
fn fail_once_sdk() -> SdkConfig {
    let responses = vec![
        wire::error_response(&aws_server_errors_pinpoint::SERVICE, &Fault::InternalError, "bench-request-id"),
        wire::empty_success(&aws_server_errors_pinpoint::SERVICE, "bench"),
    ];
    sdk_config(Canned::client(responses), RetryConfig::standard())
}

fn sdk_config(http_client: SharedHttpClient, retry: RetryConfig) -> SdkConfig {
    SdkConfig::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .credentials_provider(SharedCredentialsProvider::new(Credentials::new("AKID", "SECRET", None, None, "bench")))
        .http_client(http_client)
        .retry_config(retry)
        .timeout_config(TimeoutConfig::disabled())
        .stalled_stream_protection(StalledStreamProtectionConfig::disabled())
        .sleep_impl(SharedAsyncSleep::new(NoSleep))
        .build()
}

fn policy() -> ServerErrorPolicy {
    aws_server_errors_integration_tests::with_services(PolicyConfig::default()).expect("the default config is valid")
}

fn current_thread() -> Runtime {
    tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime")
}

fn success_path<C: Case>(c: &mut Criterion, runtime: &Runtime) {
    let sdk = success_sdk(C::SERVICE);
    let policy = policy();
    let arms = [("plain", C::client(&sdk, None)), ("policy", C::client(&sdk, Some(&policy)))];
    let mut group = c.benchmark_group(format!("success/{}", C::SERVICE.catalog().key()));
    for (name, client) in &arms {
        assert_eq!(runtime.block_on(client.call_safe()), aws_server_errors_integration_tests::Outcome::Ok);
        group.bench_function(*name, |b| b.to_async(runtime).iter(|| client.call_safe()));
    }
    group.finish();
}

fn success(c: &mut Criterion) {
    let runtime = current_thread();
    success_path::<Signer>(c, &runtime);
    success_path::<Pinpoint>(c, &runtime);
    success_path::<Account>(c, &runtime);
    success_path::<BackupGateway>(c, &runtime);
    success_path::<ConnectCases>(c, &runtime);
    success_path::<DynamoDb>(c, &runtime);
}

/// The typed errors the SDK's deserializers make of a real Pinpoint 500 for three operations.
fn pinpoint_errors(runtime: &Runtime) -> Vec<(&'static str, OperationError)> {
    use aws_sdk_pinpoint::types::{CreateApplicationRequest, VerifyOtpMessageRequestParameters};
    let response =
        wire::error_response(&aws_server_errors_pinpoint::SERVICE, &Fault::InternalError, "bench-request-id");
    let sdk = sdk_config(Canned::client(vec![response]), RetryConfig::disabled());
    let client = aws_sdk_pinpoint::Client::new(&sdk);
    runtime.block_on(async {
        let create = client
            .create_app()
            .create_application_request(CreateApplicationRequest::builder().name("app").build())
            .send()
            .await
            .expect_err("canned 500");
        let get = client.get_in_app_messages().application_id("app").endpoint_id("e").send().await.expect_err("500");
        let verify = client
            .verify_otp_message()
            .application_id("app")
            .verify_otp_message_request_parameters(
                VerifyOtpMessageRequestParameters::builder()
                    .destination_identity("d")
                    .otp("1")
                    .reference_id("r")
                    .build(),
            )
            .send()
            .await
            .expect_err("canned 500");
        vec![
            ("CreateApp", OperationError::erase(create.into_service_error())),
            ("GetInAppMessages", OperationError::erase(get.into_service_error())),
            ("VerifyOTPMessage", OperationError::erase(verify.into_service_error())),
        ]
    })
}

fn classify(c: &mut Criterion) {
    let runtime = current_thread();
    let adapter = &aws_server_errors_pinpoint::SERVICE;
    let catalog = adapter.catalog();
    let mut group = c.benchmark_group("classify/pinpoint");
    for ((label, expected_index), (operation, error)) in
        [("first", 0), ("middle", 61), ("last", catalog.operations.len() - 1)]
            .into_iter()
            .zip(pinpoint_errors(&runtime))
    {
        assert_eq!(catalog.operation_index(operation), Some(expected_index), "{operation} is the {label} operation");
        let class = adapter.classify(expected_index, &error).map(|c| c.class);
        assert_eq!(class, Some(aws_server_errors::ErrorClass::InternalServerError), "{operation}");
        group.bench_with_input(BenchmarkId::new(label, operation), &(operation, error), |b, (operation, error)| {
            b.iter(|| {
                let index = catalog.operation_index(black_box(operation)).expect("known operation");
                adapter.classify(index, black_box(error)).map(|c| c.class)
            })
        });
    }
    group.finish();
}

fn failed_attempt(c: &mut Criterion) {
    let runtime = current_thread();
    let policy = policy();
    let mut group = c.benchmark_group("failed_attempt/pinpoint");
    for (name, with_policy) in [("plain", false), ("policy", true)] {
        // A client of its own per arm: the fail/succeed cycle must not interleave across arms.
        let sdk = fail_once_sdk();
        let client = Pinpoint::client(&sdk, with_policy.then_some(&policy));
        assert_eq!(runtime.block_on(client.call_safe()), aws_server_errors_integration_tests::Outcome::Ok);
        group.bench_function(name, |b| b.to_async(&runtime).iter(|| client.call_safe()));
    }
    group.finish();
}

/// Concurrent tasks in the concurrency benchmarks.
const TASKS: u64 = 64;

/// Makes `calls` Signer calls spread over [`TASKS`] tasks on `runtime`; the wall-clock time.
fn concurrent_calls(runtime: &Runtime, client: &Arc<Signer>, calls: u64) -> Duration {
    runtime.block_on(async {
        let start = Instant::now();
        let tasks: Vec<_> = (0..TASKS)
            .map(|t| {
                let client = client.clone();
                let calls = calls / TASKS + u64::from(t < calls % TASKS);
                tokio::spawn(async move {
                    for _ in 0..calls {
                        client.call_safe().await;
                    }
                })
            })
            .collect();
        for task in tasks {
            task.await.expect("bench task");
        }
        start.elapsed()
    })
}

fn concurrency(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("runtime");
    let sdk = success_sdk(&aws_server_errors_signer::SERVICE);
    let policy = policy();
    let mut group = c.benchmark_group("concurrency/64_tasks");
    group.throughput(Throughput::Elements(1));
    for (name, with_policy) in [("plain", false), ("policy", true)] {
        let client = Arc::new(Signer::client(&sdk, with_policy.then_some(&policy)));
        group.bench_function(name, |b| b.iter_custom(|iters| concurrent_calls(&runtime, &client, iters)));
    }
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(60).measurement_time(Duration::from_secs(6)).warm_up_time(Duration::from_secs(2));
    targets = success, classify, failed_attempt, concurrency
}

/// The result of a paired comparison, ns per call.
#[derive(Debug, serde::Serialize)]
struct Paired {
    name: String,
    rounds: usize,
    calls_per_round: u64,
    /// Trimmed mean (5 % off each end) over rounds of the plain arm.
    plain_ns: f64,
    /// The same for the arm with the policy.
    policy_ns: f64,
    /// Trimmed mean of the per-round differences (policy - plain).
    diff_ns: f64,
    /// Its 95 % confidence interval (normal approximation over the rounds).
    diff_ci_ns: (f64, f64),
    /// Median of the per-round differences.
    diff_median_ns: f64,
    /// `diff_ns / plain_ns`.
    ratio: f64,
}

/// Criterion measures one arm after the other, and on a shared 2-core VM the drift between two
/// 6-second windows is larger than the policy's cost. So the overhead itself is measured paired:
/// many short rounds, each running both arms back to back (`calls` calls each) in alternating
/// order, so drift cancels within a round; the estimate is the trimmed mean of the per-round
/// differences.
fn paired(name: &str, rounds: usize, calls: u64, mut ns_per_call: impl FnMut(bool, u64) -> f64) -> Paired {
    // For instruction counts of one arm at a time (`PAIRED_ONE_ARM=plain` or `policy`): the other
    // arm is not run, so callgrind counts the chosen arm's calls only (the timings are then
    // meaningless).
    if let Ok(arm) = std::env::var("PAIRED_ONE_ARM") {
        let with_policy = arm == "policy";
        let mut only = move |arm: bool, n: u64| if arm == with_policy { ns_per_call(arm, n) } else { 0.0 };
        return paired_both(name, rounds, calls, &mut only);
    }
    paired_both(name, rounds, calls, &mut ns_per_call)
}

fn paired_both(name: &str, rounds: usize, calls: u64, ns_per_call: &mut dyn FnMut(bool, u64) -> f64) -> Paired {
    for _ in 0..rounds.min(50) {
        ns_per_call(false, calls);
        ns_per_call(true, calls);
    }
    let (mut plain, mut policy, mut diffs) = (Vec::new(), Vec::new(), Vec::new());
    for round in 0..rounds {
        let (p, w) = if round % 2 == 0 {
            let p = ns_per_call(false, calls);
            (p, ns_per_call(true, calls))
        } else {
            let w = ns_per_call(true, calls);
            (ns_per_call(false, calls), w)
        };
        plain.push(p);
        policy.push(w);
        diffs.push(w - p);
    }
    let median = {
        let mut sorted = diffs.clone();
        sorted.sort_by(f64::total_cmp);
        sorted[sorted.len() / 2]
    };
    let (diff, sd) = trimmed(&mut diffs);
    let half = 1.96 * sd / (diffs.len() as f64).sqrt();
    let (plain_ns, policy_ns) = (trimmed(&mut plain).0, trimmed(&mut policy).0);
    let result = Paired {
        name: name.to_owned(),
        rounds,
        calls_per_round: calls,
        plain_ns,
        policy_ns,
        diff_ns: diff,
        diff_ci_ns: (diff - half, diff + half),
        diff_median_ns: median,
        ratio: diff / plain_ns,
    };
    println!(
        "paired {name:<26} ({rounds} rounds) plain {plain_ns:>8.0} ns  policy {policy_ns:>8.0} ns  diff {diff:>+6.0} ns \
         [{:+.0}, {:+.0}] (median {median:+.0})  {:+.2} %",
        diff - half,
        diff + half,
        100.0 * result.ratio
    );
    result
}

/// The mean and standard deviation of `values` without the lowest and highest 5 %.
fn trimmed(values: &mut [f64]) -> (f64, f64) {
    values.sort_by(f64::total_cmp);
    let cut = values.len() / 20;
    let kept = &values[cut..values.len() - cut];
    let n = kept.len().max(1) as f64;
    let mean = kept.iter().sum::<f64>() / n;
    let var = kept.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1.0).max(1.0);
    (mean, var.sqrt())
}

fn time_calls<C: Case>(runtime: &Runtime, client: &C, calls: u64) -> f64 {
    runtime.block_on(async {
        let start = Instant::now();
        for _ in 0..calls {
            black_box(client.call_safe().await);
        }
        start.elapsed().as_nanos() as f64 / calls as f64
    })
}

fn paired_success<C: Case>(runtime: &Runtime, rounds: usize, calls: u64) -> Paired {
    paired_success_with::<C>(runtime, rounds, calls, &policy(), "success")
}

/// The success path of `policy` against a plain client, paired.
fn paired_success_with<C: Case>(
    runtime: &Runtime,
    rounds: usize,
    calls: u64,
    policy: &ServerErrorPolicy,
    group: &str,
) -> Paired {
    let sdk = success_sdk(C::SERVICE);
    let (plain, with_policy) = (C::client(&sdk, None), C::client(&sdk, Some(policy)));
    paired(&format!("{group}/{}", C::SERVICE.catalog().key()), rounds, calls, |arm, n| {
        time_calls(runtime, if arm { &with_policy } else { &plain }, n)
    })
}

/// An interceptor that declares no hook, registered permanently like the policy's: what the
/// SDK charges for registering any interceptor, which no interceptor can go below.
#[derive(Debug)]
struct Noop;

impl aws_smithy_runtime_api::client::interceptors::Intercept for Noop {
    fn name(&self) -> &'static str {
        "Noop"
    }

    fn overridden_hooks(&self) -> aws_smithy_runtime_api::client::interceptors::OverriddenHooks {
        aws_smithy_runtime_api::client::interceptors::OverriddenHooks::none()
    }
}

/// A plain Signer client against the same client with [`Noop`] registered, paired.
fn paired_noop(runtime: &Runtime, rounds: usize, calls: u64) -> Paired {
    use aws_smithy_runtime_api::client::interceptors::SharedInterceptor;
    let sdk = success_sdk(&aws_server_errors_signer::SERVICE);
    let plain = Signer::client(&sdk, None);
    // The same client (its own retry partition, as every bench client has), with `Noop`.
    let mut builder = plain.0.config().to_builder();
    builder.push_interceptor(SharedInterceptor::permanent(Noop));
    let noop = Signer(aws_sdk_signer::Client::from_conf(builder.build()));
    paired("noop_interceptor/signer", rounds, calls, |arm, n| time_calls(runtime, if arm { &noop } else { &plain }, n))
}

/// The least an interceptor does to steer the SDK's retry strategy as the policy does: after a
/// failed attempt it stores a per-call marker, a `RetryConfig` that waits exactly 100 ms for one
/// more attempt, and a zero-cost `TokenBucket` in force. No classification, decision, budget,
/// metric or log: what the config bag alone costs.
mod steering_floor {
    use std::time::Duration;

    use aws_smithy_runtime::client::retries::TokenBucket;
    use aws_smithy_runtime_api::box_error::BoxError;
    use aws_smithy_runtime_api::client::interceptors::context::FinalizerInterceptorContextRef;
    use aws_smithy_runtime_api::client::interceptors::{Intercept, OverriddenHooks};
    use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
    use aws_smithy_types::config_bag::{ConfigBag, FrozenLayer, Layer, Storable, StoreReplace};
    use aws_smithy_types::retry::RetryConfig;

    #[derive(Debug)]
    pub struct MinimalSteer;

    /// The call failed once: the per-call state, with the retry partition's bucket (kept as the
    /// policy keeps it, for a client retry that would follow).
    #[derive(Debug)]
    struct Failed {
        _partition: Option<TokenBucket>,
    }

    /// The zero-cost bucket in a layer built once and shared (as the policy's is).
    fn zero_cost_layer() -> FrozenLayer {
        static LAYER: std::sync::OnceLock<FrozenLayer> = std::sync::OnceLock::new();
        LAYER
            .get_or_init(|| {
                let mut layer = Layer::new("zero-cost bucket");
                layer.store_put(TokenBucket::unlimited());
                layer.freeze()
            })
            .clone()
    }

    /// The policy's `steer::put`: in place when the call's interceptor layer holds a `T`.
    fn put<T>(cfg: &mut ConfigBag, value: T)
    where
        T: Storable<Storer = StoreReplace<T>> + Send + Sync + std::fmt::Debug + 'static,
    {
        match cfg.get_mut_from_interceptor_state::<T>() {
            Some(slot) => *slot = value,
            None => {
                cfg.interceptor_state().store_put(value);
            }
        }
    }

    impl Storable for Failed {
        type Storer = StoreReplace<Self>;
    }

    impl Intercept for MinimalSteer {
        fn name(&self) -> &'static str {
            "MinimalSteer"
        }

        fn overridden_hooks(&self) -> OverriddenHooks {
            OverriddenHooks::READ_AFTER_ATTEMPT
        }

        fn read_after_attempt(
            &self,
            context: &FinalizerInterceptorContextRef<'_>,
            _runtime_components: &RuntimeComponents,
            cfg: &mut ConfigBag,
        ) -> Result<(), BoxError> {
            match context.output_or_error() {
                Some(Err(_)) => {
                    let delay = Duration::from_millis(100);
                    let retry = RetryConfig::standard()
                        .with_max_attempts(2)
                        .with_initial_backoff(delay)
                        .with_max_backoff(delay)
                        .with_use_static_exponential_base(true);
                    let partition = cfg.load::<TokenBucket>().cloned();
                    cfg.interceptor_state().store_put(Failed { _partition: partition });
                    // As the policy does: the `RetryConfig` in place (the orchestrator put the
                    // operation's in the call's layer), the zero-cost bucket in a shared layer
                    // on top of the partition's.
                    put(cfg, retry);
                    cfg.push_shared_layer(zero_cost_layer());
                }
                // A success in a default partition (every bench client's) leaves the zero-cost
                // bucket in force: only a custom partition's bucket may reward it.
                Some(Ok(_)) => {}
                None => {}
            }
            Ok(())
        }
    }
}

mod success_floor {
    //! What the policy's features cost on a successful call, and nothing else: the floor under
    //! the success path's target (issue 22). The hooks the policy declares for a service without
    //! a breaker or time budget, each doing only what the features it serves need:
    //! - `read_before_transmit`: is this attempt a retry (counted when it is sent)?
    //! - `read_after_attempt`: the operation's name from the SDK's `Metadata` (the `calls`
    //!   counter is per operation), its index by binary search, one counter increment;
    //! - `read_after_execution`: did the call fail (a failure's outcome is known only there)?
    //! - a retry classifier, run by the SDK's strategy after every attempt (the policy's makes
    //!   retries work under `aws-smithy-mocks` and for services whose throttling the SDK does
    //!   not recognise).

    use aws_smithy_runtime_api::box_error::BoxError;
    use aws_smithy_runtime_api::client::interceptors::context::{
        BeforeTransmitInterceptorContextRef, FinalizerInterceptorContextRef, InterceptorContext,
    };
    use aws_smithy_runtime_api::client::interceptors::{Intercept, OverriddenHooks};
    use aws_smithy_runtime_api::client::orchestrator::Metadata;
    use aws_smithy_runtime_api::client::retries::classifiers::{ClassifyRetry, RetryAction};
    use aws_smithy_runtime_api::client::retries::RequestAttempts;
    use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
    use aws_smithy_types::config_bag::ConfigBag;

    /// The operations' names, sorted, and one counter key each.
    #[derive(Debug)]
    pub struct MinimalObserve {
        operations: Vec<&'static str>,
        keys: Vec<metrics::Key>,
    }

    impl MinimalObserve {
        pub fn new(operations: &[&'static str]) -> Self {
            let mut operations = operations.to_vec();
            operations.sort_unstable();
            let keys = operations
                .iter()
                .map(|op| {
                    metrics::Key::from_parts("bench.calls", vec![metrics::Label::from_static_parts("rpc.method", op)])
                })
                .collect();
            Self { operations, keys }
        }
    }

    static METADATA: metrics::Metadata<'static> =
        metrics::Metadata::new(module_path!(), metrics::Level::INFO, Some(module_path!()));

    impl Intercept for MinimalObserve {
        fn name(&self) -> &'static str {
            "MinimalObserve"
        }

        fn overridden_hooks(&self) -> OverriddenHooks {
            OverriddenHooks::READ_BEFORE_TRANSMIT
                | OverriddenHooks::READ_AFTER_ATTEMPT
                | OverriddenHooks::READ_AFTER_EXECUTION
        }

        fn read_before_transmit(
            &self,
            _context: &BeforeTransmitInterceptorContextRef<'_>,
            _runtime_components: &RuntimeComponents,
            cfg: &mut ConfigBag,
        ) -> Result<(), BoxError> {
            if cfg.load::<RequestAttempts>().map_or(1, |a| a.attempts()) > 1 {
                std::hint::black_box(());
            }
            Ok(())
        }

        fn read_after_attempt(
            &self,
            context: &FinalizerInterceptorContextRef<'_>,
            _runtime_components: &RuntimeComponents,
            cfg: &mut ConfigBag,
        ) -> Result<(), BoxError> {
            let attempt = cfg.load::<RequestAttempts>().map_or(1, |a| a.attempts());
            if let (Some(Ok(_)), 1) = (context.output_or_error(), attempt) {
                let Some(name) = cfg.load::<Metadata>().map(Metadata::name) else { return Ok(()) };
                if let Ok(index) = self.operations.binary_search(&name) {
                    let key = &self.keys[index];
                    metrics::with_recorder(|recorder| recorder.register_counter(key, &METADATA).increment(1));
                }
            }
            Ok(())
        }

        fn read_after_execution(
            &self,
            context: &FinalizerInterceptorContextRef<'_>,
            _runtime_components: &RuntimeComponents,
            _cfg: &mut ConfigBag,
        ) -> Result<(), BoxError> {
            if let Some(Err(error)) = context.output_or_error() {
                std::hint::black_box(error);
            }
            Ok(())
        }
    }

    /// A classifier that reads only whether the attempt failed.
    #[derive(Debug)]
    pub struct MinimalClassifier;

    impl ClassifyRetry for MinimalClassifier {
        fn classify_retry(&self, ctx: &InterceptorContext) -> RetryAction {
            match ctx.output_or_error() {
                Some(Err(error)) => {
                    std::hint::black_box(error);
                    RetryAction::NoActionIndicated
                }
                _ => RetryAction::NoActionIndicated,
            }
        }

        fn name(&self) -> &'static str {
            "MinimalClassifier"
        }
    }
}

/// The default policy with the circuit breaker on for every service.
fn breaker_policy() -> ServerErrorPolicy {
    let breaker = aws_server_errors::CircuitBreakerConfig { enabled: true, ..Default::default() };
    aws_server_errors_integration_tests::with_services(PolicyConfig {
        circuit_breaker: breaker,
        ..PolicyConfig::default()
    })
    .expect("valid")
}

fn paired_all(quick: bool) -> Vec<Paired> {
    let (rounds, calls) = if quick { (2, 2) } else { (3_000, 20) };
    let (rounds, calls) = match std::env::var("PAIRED_ROUNDS").ok().and_then(|r| r.parse().ok()) {
        Some(rounds) => (rounds, calls.max(20)),
        None => (rounds, calls),
    };
    let runtime = current_thread();
    // For instruction counts under valgrind: `PAIRED_SIGNER_ONLY=1 PAIRED_ROUNDS=25 valgrind
    // --tool=callgrind <bench binary> paired --bench` runs only these arms, briefly.
    if std::env::var_os("PAIRED_SIGNER_ONLY").is_some() {
        return vec![
            paired_success::<Signer>(&runtime, rounds, calls),
            paired_noop(&runtime, rounds, calls),
            paired_success::<Signer>(&runtime, rounds, calls),
            paired_noop(&runtime, rounds, calls),
        ];
    }
    // `PAIRED_ONLY=<prefix>` runs only the pairs whose name starts with it (e.g. `fail_fast`,
    // `failed_attempt`), for instruction counts; `PAIRED_FAILED_ONLY=1` is `failed_attempt`.
    let only = std::env::var("PAIRED_ONLY")
        .ok()
        .or_else(|| std::env::var_os("PAIRED_FAILED_ONLY").map(|_| "failed_attempt".to_owned()));
    // Several prefixes, comma-separated: `PAIRED_ONLY=noop,success_breaker/signer`.
    // A group runs when a prefix names it or one of its pairs (`success/signer` runs the
    // `success/` group's Signer pair only).
    let only_pair = |pair: &str| only.as_deref().is_none_or(|list| list.split(',').any(|p| pair.starts_with(p)));
    let wants = |group: &str| {
        only.as_deref().is_none_or(|list| list.split(',').any(|p| group.starts_with(p) || p.starts_with(group)))
    };
    let mut results = Vec::new();
    if wants("success/") {
        if only_pair("success/signer") {
            results.push(paired_success::<Signer>(&runtime, rounds, calls));
        }
        if only_pair("success/pinpoint") {
            results.push(paired_success::<Pinpoint>(&runtime, rounds, calls));
        }
        if only_pair("success/account") {
            results.push(paired_success::<Account>(&runtime, rounds, calls));
        }
        if only_pair("success/backupgateway") {
            results.push(paired_success::<BackupGateway>(&runtime, rounds, calls));
        }
        if only_pair("success/connectcases") {
            results.push(paired_success::<ConnectCases>(&runtime, rounds, calls));
        }
        if only_pair("success/dynamodb") {
            results.push(paired_success::<DynamoDb>(&runtime, rounds, calls));
        }
    }
    if wants("noop_interceptor") {
        results.push(paired_noop(&runtime, rounds, calls));
    }
    if only_pair("success_breaker/signer") {
        results.push(paired_success_with::<Signer>(&runtime, rounds, calls, &breaker_policy(), "success_breaker"));
    }
    if only_pair("success_breaker/pinpoint") {
        results.push(paired_success_with::<Pinpoint>(&runtime, rounds, calls, &breaker_policy(), "success_breaker"));
    }

    let policy = policy();
    if wants("failed_attempt") {
        let failing = |with_policy: bool| {
            let sdk = fail_once_sdk();
            Pinpoint::client(&sdk, with_policy.then_some(&policy))
        };
        let (plain, with_policy) = (failing(false), failing(true));
        results.push(paired("failed_attempt/pinpoint", rounds, calls / 2, |arm, n| {
            time_calls(&runtime, if arm { &with_policy } else { &plain }, n)
        }));
    }

    if wants("generic_success") {
        // The same successful GET through the generic path (aws-server-errors-services) against
        // the adapter crate: what finding the service at run time and checking the operation
        // before a non-POST request is sent cost.
        let sdk = success_sdk(&aws_server_errors_signer::SERVICE);
        let typed = Signer::client(&sdk, Some(&policy));
        let generic = {
            let _generic = generic_path();
            Signer::client(&sdk, Some(&policy))
        };
        results.push(paired("generic_success/signer", rounds, calls, |arm, n| {
            time_calls(&runtime, if arm { &generic } else { &typed }, n)
        }));
    }
    if wants("generic_failed") {
        // A failed-then-retried GetApp through the generic path against the adapter crate: the
        // classification from the raw response (its JSON body read for the code) against the
        // typed one.
        let failing = |generic: bool| {
            let sdk = fail_once_sdk();
            let _generic = generic.then(generic_path);
            Pinpoint::client(&sdk, Some(&policy))
        };
        let (typed, generic) = (failing(false), failing(true));
        results.push(paired("generic_failed/pinpoint", rounds, calls / 2, |arm, n| {
            time_calls(&runtime, if arm { &generic } else { &typed }, n)
        }));
    }

    if wants("steering_floor") {
        // What any interceptor pays to steer one retry through the config bag, as the policy
        // does, and nothing else: the floor under the policy's failed-then-retried cost.
        let sdk = fail_once_sdk();
        let plain = Pinpoint::client(&sdk, None);
        // The same client (its own retry partition), with the minimal interceptor.
        let mut builder = plain.0.config().to_builder();
        builder.push_interceptor(aws_smithy_runtime_api::client::interceptors::SharedInterceptor::permanent(
            steering_floor::MinimalSteer,
        ));
        let steered = Pinpoint(aws_sdk_pinpoint::Client::from_conf(builder.build()));
        results.push(paired("steering_floor/pinpoint", rounds, calls / 2, |arm, n| {
            time_calls(&runtime, if arm { &steered } else { &plain }, n)
        }));
    }

    if wants("success_floor") {
        // What the policy's success-path features cost with nothing else (`MinimalObserve` and
        // `MinimalClassifier`), against the same plain client: the success pair's floor.
        let sdk = success_sdk(&aws_server_errors_signer::SERVICE);
        let plain = Signer::client(&sdk, None);
        let operations: Vec<&'static str> =
            aws_server_errors_signer::SERVICE.catalog().operations.iter().map(|op| op.name).collect();
        let mut builder = plain.0.config().to_builder();
        builder.push_interceptor(aws_smithy_runtime_api::client::interceptors::SharedInterceptor::permanent(
            success_floor::MinimalObserve::new(&operations),
        ));
        builder.push_retry_classifier(
            aws_smithy_runtime_api::client::retries::classifiers::SharedRetryClassifier::new(
                success_floor::MinimalClassifier,
            ),
        );
        let observed = Signer(aws_sdk_signer::Client::from_conf(builder.build()));
        results.push(paired("success_floor/signer", rounds, calls, |arm, n| {
            time_calls(&runtime, if arm { &observed } else { &plain }, n)
        }));
    }

    if wants("fail_fast") {
        // A call the open breaker fails fast (held open: `isolate`), against a plain successful
        // call of the same operation: no request is built, signed or sent.
        let isolated = breaker_policy();
        isolated.isolate(&aws_server_errors_signer::SERVICE).expect("the breaker policy has a breaker");
        let sdk = success_sdk(&aws_server_errors_signer::SERVICE);
        let (plain, fast) = (Signer::client(&sdk, None), Signer::client(&sdk, Some(&isolated)));
        results.push(paired("fail_fast/signer", rounds, calls, |arm, n| {
            time_calls(&runtime, if arm { &fast } else { &plain }, n)
        }));
    }
    if wants("concurrency_breaker") {
        // 64 tasks on all cores sharing one service, with the breaker (its window written by
        // every success) against the default policy without it.
        let multi =
            tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("runtime");
        let sdk = success_sdk(&aws_server_errors_signer::SERVICE);
        let breaker = breaker_policy();
        let clients = [Arc::new(Signer::client(&sdk, Some(&policy))), Arc::new(Signer::client(&sdk, Some(&breaker)))];
        let (rounds, calls) = if quick { (2, TASKS) } else { (150, 20 * TASKS) };
        results.push(paired("concurrency_breaker/64_tasks", rounds, calls, |arm, n| {
            concurrent_calls(&multi, &clients[usize::from(arm)], n).as_nanos() as f64 / n as f64
        }));
    }
    if only.is_some() {
        return results;
    }

    let multi = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("runtime");
    let sdk = success_sdk(&aws_server_errors_signer::SERVICE);
    let clients = [Arc::new(Signer::client(&sdk, None)), Arc::new(Signer::client(&sdk, Some(&policy)))];
    let (rounds, calls) = if quick { (2, TASKS) } else { (150, 20 * TASKS) };
    results.push(paired("concurrency/64_tasks", rounds, calls, |arm, n| {
        concurrent_calls(&multi, &clients[usize::from(arm)], n).as_nanos() as f64 / n as f64
    }));
    results
}

fn main() {
    benches();
    // Only `cargo bench` passes `--bench`; otherwise (`cargo test --benches`) criterion runs each
    // benchmark once, and so do the paired comparisons. A name filter that does not match
    // "paired" skips them.
    let args: Vec<String> = std::env::args().skip(1).collect();
    let quick = !args.iter().any(|a| a == "--bench");
    let filters: Vec<&String> = args.iter().filter(|a| !a.starts_with('-')).collect();
    if filters.is_empty() || filters.iter().any(|f| "paired".contains(f.as_str())) {
        let results = paired_all(quick);
        // One arm alone (`PAIRED_ONE_ARM`, for instruction counts) has no comparison to keep.
        if !quick && std::env::var_os("PAIRED_ONE_ARM").is_none() {
            let dir = std::env::var_os("CARGO_TARGET_DIR")
                .map_or_else(|| std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../target"), Into::into)
                .join("criterion");
            let written = std::fs::create_dir_all(&dir).and_then(|()| {
                std::fs::write(dir.join("paired.json"), serde_json::to_string_pretty(&results).expect("serializable"))
            });
            if let Err(error) = written {
                eprintln!("could not write {}: {error}", dir.join("paired.json").display());
            }
        }
    }
    Criterion::default().configure_from_args().final_summary();
}
