//! Shared set-up of the examples: where the clients point, logs, metrics, and one module per
//! service with the calls it demonstrates.
//!
//! By default every example starts the embedded fault-injecting server on loopback, with fake
//! credentials, and scripts it: each service's retry-safe operation fails twice with the
//! service's internal error and then succeeds; its non-retry-safe operation always fails.
//! With `--endpoint-url URL`, or `AWS_ENDPOINT_URL` in the environment, the same code talks to
//! that endpoint with the standard AWS credential and region chain instead.

use std::collections::BTreeMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::Mutex;

use aws_config::{BehaviorVersion, SdkConfig};
use aws_server_errors::telemetry::{ATTEMPT_ERRORS, GIVE_UPS, RETRIES};
use aws_server_errors::{ServerErrorPolicy, Service};
use aws_server_errors_fault::{Fault, FaultInjector, FaultPlan, FaultServer, Rule};
use metrics_util::debugging::{DebugValue, DebuggingRecorder, Snapshotter};

pub mod account;
pub mod backupgateway;
pub mod connectcases;
pub mod dynamodb;
pub mod orders;
pub mod pinpoint;
pub mod s3;
pub mod signer;
pub mod smithy_bridge;
pub mod sns;
pub mod telemetry;

/// A future an example's `run` returns.
pub type RunFuture<'a> = Pin<Box<dyn Future<Output = [Call; 2]> + 'a>>;

/// One service's example: the service, the two operations its module calls, and the module's
/// `run` (a client with the policy, one call of each kind).
#[derive(Clone, Copy)]
pub struct Example {
    /// The adapter crate's handle.
    pub service: &'static Service,
    /// The retry-safe operation.
    pub safe: &'static str,
    /// The operation that is not retry-safe.
    pub unsafe_op: &'static str,
    /// The module's `run`.
    pub run: for<'a> fn(&'a SdkConfig, &'a ServerErrorPolicy) -> RunFuture<'a>,
}

/// An [`Example`] row from a module and its adapter crate.
macro_rules! example {
    ($module:ident, $adapter:ident) => {
        Example {
            service: &$adapter::SERVICE,
            safe: $module::SAFE,
            unsafe_op: $module::UNSAFE,
            run: |sdk, policy| Box::pin($module::run(sdk, policy)),
        }
    };
}

/// Every service's example, in a fixed order.
pub const EXAMPLES: [Example; 8] = [
    example!(signer, aws_server_errors_signer),
    example!(pinpoint, aws_server_errors_pinpoint),
    example!(account, aws_server_errors_account),
    example!(backupgateway, aws_server_errors_backupgateway),
    example!(connectcases, aws_server_errors_connectcases),
    example!(dynamodb, aws_server_errors_dynamodb),
    example!(sns, aws_server_errors_sns),
    example!(s3, aws_server_errors_s3),
];

/// The services of [`EXAMPLES`].
pub fn services() -> [&'static Service; 8] {
    EXAMPLES.map(|e| e.service)
}

/// A metric series: its name and labels.
type SeriesKey = (String, Vec<(String, String)>);

/// The result of one call, described for a person.
#[derive(Debug, Clone)]
pub struct Call {
    /// The operation called.
    pub operation: &'static str,
    /// `"ok"`, or the typed error variant the caller matched.
    pub outcome: String,
}

/// What the examples run against, and the metrics recorder they read.
pub struct Setup {
    /// The config every client is built from.
    pub sdk: SdkConfig,
    /// The embedded server, when no endpoint was given.
    pub server: Option<FaultServer>,
    snapshotter: Snapshotter,
    totals: Mutex<BTreeMap<SeriesKey, u64>>,
}

impl Setup {
    /// Reads `--endpoint-url URL` from the arguments (or `AWS_ENDPOINT_URL`), installs a log
    /// subscriber (`RUST_LOG`, default `aws_server_errors=info`, to stderr) and a metrics
    /// recorder, and builds the `SdkConfig`.
    ///
    /// An unknown argument prints the usage and exits with status 2.
    ///
    /// # Panics
    /// If the loopback server cannot bind.
    pub async fn start() -> Self {
        let mut args = std::env::args().skip(1);
        let mut endpoint = std::env::var("AWS_ENDPOINT_URL").ok();
        while let Some(arg) = args.next() {
            match arg.as_str() {
                "--endpoint-url" => match args.next() {
                    Some(url) => endpoint = Some(url),
                    None => {
                        eprintln!("error: --endpoint-url needs a URL\nusage: [--endpoint-url URL]");
                        std::process::exit(2);
                    }
                },
                other => {
                    eprintln!("error: unexpected argument {other:?}\nusage: [--endpoint-url URL]");
                    std::process::exit(2);
                }
            }
        }
        let filter = tracing_subscriber::EnvFilter::try_from_default_env()
            .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("aws_server_errors=info"));
        tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).compact().init();
        let recorder = DebuggingRecorder::new();
        let snapshotter = recorder.snapshotter();
        recorder.install().expect("no other metrics recorder is installed");
        aws_server_errors::telemetry::describe_metrics();

        let (sdk, server) = match endpoint {
            Some(url) => {
                println!("talking to {url} with the standard credential chain");
                (aws_config::defaults(BehaviorVersion::latest()).endpoint_url(url).load().await, None)
            }
            None => {
                let server =
                    FaultServer::start(FaultInjector::new(embedded_plan()), services()).await.expect("bind loopback");
                println!("talking to the embedded fault server at {}", server.url());
                // Fake credentials, us-east-1, the server's URL.
                let sdk = server.sdk_config();
                (sdk, Some(server))
            }
        };
        Self { sdk, server, snapshotter, totals: Mutex::new(BTreeMap::new()) }
    }

    /// One line for a service: what each call returned, how many retries it took, and why the
    /// policy gave up where it did.
    pub fn report(&self, service: &'static Service, calls: &[Call]) -> String {
        let name = service.catalog().service;
        let parts: Vec<String> = calls
            .iter()
            .map(|call| {
                let labels = [("rpc.service", name), ("rpc.method", call.operation)];
                let retries = self.total(RETRIES, &labels);
                let mut part = format!("{} -> {} after {retries} retries", call.operation, call.outcome);
                for reason in ["not_retry_safe", "max_attempts", "retry_budget", "time_budget", "client_policy"] {
                    if self.total(GIVE_UPS, &[labels[0], labels[1], ("reason", reason)]) > 0 {
                        part.push_str(&format!(" (gave up: {reason})"));
                    }
                }
                part
            })
            .collect();
        format!("{name:<15} {}", parts.join("; "))
    }

    /// The metrics summary: classified errors, retries and give-ups per service.
    pub fn metrics_summary(&self) -> String {
        let mut out = String::from("metrics (aws.server_errors.*):\n");
        for Example { service, .. } in EXAMPLES {
            let name = service.name();
            let service = [("rpc.service", name)];
            out.push_str(&format!(
                "  {:<15} attempt_errors={} retries={} give_ups={}\n",
                name,
                self.total(ATTEMPT_ERRORS, &service),
                self.total(RETRIES, &service),
                self.total(GIVE_UPS, &service),
            ));
        }
        out
    }

    /// The sum of a counter over series whose labels include `labels`. Snapshots drain the
    /// recorder, so every snapshot is folded into running totals first.
    fn total(&self, name: &str, labels: &[(&str, &str)]) -> u64 {
        let mut totals = self.totals.lock().unwrap();
        for (key, _, _, value) in self.snapshotter.snapshot().into_vec() {
            if let DebugValue::Counter(n) = value {
                let key = key.key();
                let labels = key.labels().map(|l| (l.key().to_owned(), l.value().to_owned())).collect();
                *totals.entry((key.name().to_owned(), labels)).or_default() += n;
            }
        }
        totals
            .iter()
            .filter(|((n, ls), _)| {
                n == name && labels.iter().all(|(k, v)| ls.iter().any(|(lk, lv)| lk == k && lv == v))
            })
            .map(|(_, count)| count)
            .sum()
    }
}

/// The embedded server's script: each safe operation fails twice, each unsafe one always.
pub fn embedded_plan() -> FaultPlan {
    EXAMPLES.iter().fold(FaultPlan::new(), |plan, e| {
        plan.rule(Rule::new(Fault::InternalError).service(e.service).operation(e.safe).first(2))
            .rule(Rule::new(Fault::InternalError).service(e.service).operation(e.unsafe_op))
    })
}

/// Describes a call's result through the service's typed error, as caller code would match it.
#[macro_export]
macro_rules! describe {
    ($operation:expr, $result:expr, $is_internal:ident, $shape:literal) => {
        $crate::Call {
            operation: $operation,
            outcome: match $result {
                Ok(_) => "ok".to_owned(),
                Err(err) => match err.into_service_error() {
                    err if err.$is_internal() => concat!($shape, " (typed)").to_owned(),
                    err => format!("{err}"),
                },
            },
        }
    };
}
