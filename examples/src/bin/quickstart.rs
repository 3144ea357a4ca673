//! The quickstart: the same six scenes, first with plain SDK clients, then with the policy, against
//! the embedded fault-injecting server on loopback (real HTTP, each service's wire-exact errors).
//!
//! `cargo run -p aws-server-errors-examples --bin quickstart [-- --help]`
//!
//! Logs are off unless `RUST_LOG` asks for them (e.g. `RUST_LOG=aws_server_errors=info`).

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use aws_config::retry::RetryConfig;
use aws_config::SdkConfig;
use aws_server_errors::telemetry::{ATTEMPT_ERRORS, CIRCUIT_TRANSITIONS, FAILED_FAST, GIVE_UPS, RETRIES};
use aws_server_errors::{CircuitBreakerConfig, PolicyConfig, RetryBudgetConfig, ServerErrorPolicy};
use aws_server_errors_fault::{Fault, FaultInjector, FaultPlan, FaultServer, Rule};
use metrics_util::debugging::{DebugValue, DebuggingRecorder, Snapshotter};

const USAGE: &str = "\
usage: quickstart [--help]

Runs six scenes twice, with plain SDK clients and then with the aws-server-errors policy,
against an embedded fault-injecting server on 127.0.0.1, and prints one table.
Logs go to stderr when RUST_LOG asks for them (RUST_LOG=aws_server_errors=info).";

/// One row of the table: a scene with one kind of client.
struct Row {
    requests: usize,
    /// Requests of a write applied beyond the first of each call (`None` for reads).
    duplicates: Option<usize>,
    elapsed: Duration,
    result: String,
}

/// The policy every "policy" row uses: the defaults, with a small retry budget and a fast
/// circuit breaker on Backup Gateway so that both show within a second.
fn policy() -> ServerErrorPolicy {
    let config = PolicyConfig::builder()
        .retry_budget(RetryBudgetConfig { capacity: 4, ..Default::default() })
        .circuit_breaker(CircuitBreakerConfig {
            minimum_throughput: 6,
            break_duration: Duration::from_millis(200),
            ..Default::default()
        })
        .service("Backup Gateway", |s| s.circuit_breaker = true.into())
        .build()
        .expect("a valid configuration");
    ServerErrorPolicy::with_services(config, aws_server_errors_examples::services()).expect("a valid configuration")
}

/// A client config for one scene: its own retry partition, so no scene drains another's quota.
macro_rules! client {
    ($sdk_crate:ident, $adapter:ident, $sdk:expr, $policy:expr, $scene:expr) => {{
        use $adapter::ServerErrorPolicyExt as _;
        let builder = $sdk_crate::config::Builder::from($sdk).retry_partition(
            $sdk_crate::config::retry::RetryPartition::new(format!("{}-{}", $scene, $policy.is_some())),
        );
        let builder = match $policy {
            Some(policy) => builder.server_error_policy(policy),
            None => builder,
        };
        $sdk_crate::Client::from_conf(builder.build())
    }};
}

/// A result in a word or two, read through the service's typed error as a caller would.
fn outcome<T, E: std::error::Error + 'static>(result: &Result<T, aws_sdk_signer::error::SdkError<E>>) -> &'static str {
    match result {
        Ok(_) => "ok",
        Err(err) if aws_server_errors::circuit_open(err).is_some() => "circuit open",
        Err(aws_sdk_signer::error::SdkError::ServiceError(_)) => "error",
        Err(_) => "transport error",
    }
}

fn plural(n: u64, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// Counts outcomes of several calls: `"9 ok"`, `"3 ok, 7 error"`.
fn tally(outcomes: impl IntoIterator<Item = &'static str>) -> String {
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    for o in outcomes {
        *counts.entry(o).or_default() += 1;
    }
    counts.iter().map(|(o, n)| format!("{n} {o}")).collect::<Vec<_>>().join(", ")
}

struct Scene {
    injector: FaultInjector,
    server: FaultServer,
}

impl Scene {
    async fn start(plan: FaultPlan) -> Self {
        let injector = FaultInjector::new(plan);
        let server =
            FaultServer::start(injector.clone(), aws_server_errors_examples::services()).await.expect("bind 127.0.0.1");
        Self { injector, server }
    }

    /// The scene's SDK config: the SDK's standard retries with a 20 ms base backoff, so that a
    /// plain client's retries do not dominate the run time.
    fn sdk(&self) -> SdkConfig {
        self.server
            .sdk_config()
            .to_builder()
            .retry_config(RetryConfig::standard().with_initial_backoff(Duration::from_millis(20)))
            .build()
    }

    fn requests(&self) -> usize {
        self.injector.requests().len()
    }

    fn duplicates(&self, calls: usize) -> Option<usize> {
        Some(self.injector.requests().iter().filter(|r| r.applied).count().saturating_sub(calls))
    }
}

/// Sums counters over the series whose labels include `labels`, across snapshots.
struct Metrics {
    snapshotter: Snapshotter,
    totals: BTreeMap<(String, Vec<(String, String)>), u64>,
    /// Totals already reported, so each row shows its own scene's decisions.
    reported: BTreeMap<String, u64>,
}

impl Metrics {
    fn install() -> Self {
        let recorder = DebuggingRecorder::new();
        let snapshotter = recorder.snapshotter();
        recorder.install().expect("no other metrics recorder is installed");
        Self { snapshotter, totals: BTreeMap::new(), reported: BTreeMap::new() }
    }

    fn total(&mut self, name: &str, labels: &[(&str, &str)]) -> u64 {
        for (key, _, _, value) in self.snapshotter.snapshot().into_vec() {
            if let DebugValue::Counter(n) = value {
                let key = key.key();
                let ls = key.labels().map(|l| (l.key().to_owned(), l.value().to_owned())).collect();
                *self.totals.entry((key.name().to_owned(), ls)).or_default() += n;
            }
        }
        self.totals
            .iter()
            .filter(|((n, ls), _)| n == name && labels.iter().all(|(k, v)| ls.iter().any(|(a, b)| a == k && b == v)))
            .map(|(_, c)| c)
            .sum()
    }

    /// A counter's growth since this line was last asked for.
    fn new_total(&mut self, line: &str, name: &str, labels: &[(&str, &str)]) -> u64 {
        let total = self.total(name, labels);
        let before = self.reported.insert(line.to_owned(), total).unwrap_or(0);
        total - before
    }

    /// What the policy decided for a service since the last row, from its metrics.
    fn decisions(&mut self, service: &str) -> String {
        let s = ("rpc.service", service);
        let mut parts = Vec::new();
        let retries =
            self.new_total(&format!("{service} policy"), RETRIES, &[s, ("error.class", "internal_server_error")]);
        if retries > 0 {
            parts.push(plural(retries, "policy retry", "policy retries"));
        }
        let client = self.new_total(&format!("{service} all"), RETRIES, &[s]) - retries;
        if client > 0 {
            parts.push(plural(client, "SDK retry", "SDK retries"));
        }
        for reason in ["not_retry_safe", "retry_budget", "max_attempts", "circuit_open", "client_policy"] {
            let n = self.new_total(&format!("{service} {reason}"), GIVE_UPS, &[s, ("reason", reason)]);
            if n > 0 {
                parts.push(format!("{n}× gave up: {reason}"));
            }
        }
        for to in ["open", "closed"] {
            let n = self.new_total(&format!("{service} to {to}"), CIRCUIT_TRANSITIONS, &[s, ("to", to)]);
            if n > 0 {
                parts.push(format!("breaker {}", if to == "open" { "opened" } else { "closed" }));
            }
        }
        let fast = self.new_total(&format!("{service} fast"), FAILED_FAST, &[s]);
        if fast > 0 {
            parts.push(format!("{fast} failed fast"));
        }
        parts.join(", ")
    }
}

/// Every service the examples support, one line each: its internal-error shape, the class the
/// policy gives it, and what it decided for a retry-safe call that fails twice and a write that
/// always fails (each service's example module, against the embedded plan).
async fn every_service(metrics: &mut Metrics) {
    use aws_server_errors_examples::{Example, EXAMPLES};
    let scene = Scene::start(aws_server_errors_examples::embedded_plan()).await;
    let sdk = scene.sdk();
    let policy = ServerErrorPolicy::with_services(PolicyConfig::default(), aws_server_errors_examples::services())
        .expect("the defaults are valid");
    println!(
        "
every service, with the policy (its read fails twice, its write always):"
    );
    const CLASSES: [&str; 4] = ["internal_server_error", "server_error", "throttling", "unknown"];
    for Example { service, run, .. } in EXAMPLES {
        let name = service.name();
        let mut new_attempt_errors = |class: &str| {
            let labels = [("rpc.service", name), ("error.class", class)];
            metrics.new_total(&format!("{name} class {class}"), ATTEMPT_ERRORS, &labels)
        };
        for class in CLASSES {
            new_attempt_errors(class); // what the scenes above counted, not this line
        }
        let calls = run(&sdk, &policy).await;
        let classes: Vec<&str> = CLASSES.into_iter().filter(|class| new_attempt_errors(class) > 0).collect();
        let results: Vec<String> = calls
            .iter()
            .map(|c| format!("{} {}", c.operation, if c.outcome == "ok" { "ok" } else { "error" }))
            .collect();
        println!(
            "  {name:<14} {:<30} {:<22} {} [{}]",
            service.catalog().internal_error_shape,
            classes.join(","),
            results.join(", "),
            metrics.decisions(name)
        );
    }
}

/// 1. Signer `GetSigningProfile` (GET, retry-safe): two internal errors, then success.
async fn recovered(policy: Option<&ServerErrorPolicy>) -> Row {
    let scene = Scene::start(FaultPlan::new().fail_first(2, Fault::InternalError)).await;
    let client = client!(aws_sdk_signer, aws_server_errors_signer, &scene.sdk(), policy, "recovered");
    let started = Instant::now();
    let result = client.get_signing_profile().profile_name("release").send().await;
    Row { requests: scene.requests(), duplicates: None, elapsed: started.elapsed(), result: outcome(&result).into() }
}

/// 2. Pinpoint `SendMessages` (POST, not retry-safe): the server applies the request, then
///    answers 500 ("committed, then failed").
async fn write_refused(policy: Option<&ServerErrorPolicy>) -> Row {
    let scene = Scene::start(FaultPlan::new().rule(Rule::new(Fault::InternalError).committed())).await;
    let client = client!(aws_sdk_pinpoint, aws_server_errors_pinpoint, &scene.sdk(), policy, "write");
    let started = Instant::now();
    let request = aws_sdk_pinpoint::types::MessageRequest::builder().build();
    let result = client.send_messages().application_id("app").message_request(request).send().await;
    let row_result = match &result {
        Err(err) if err.as_service_error().is_some_and(|e| e.is_internal_server_error_exception()) => {
            "InternalServerErrorException".to_owned()
        }
        other => outcome(other).to_owned(),
    };
    Row { requests: scene.requests(), duplicates: scene.duplicates(1), elapsed: started.elapsed(), result: row_result }
}

/// 3. Connect Cases `GetDomain`: an internal error with `Retry-After: 1`, then success.
async fn retry_after(policy: Option<&ServerErrorPolicy>) -> Row {
    let plan = FaultPlan::new().fail_first(1, Fault::InternalErrorWithRetryAfter("1".into()));
    let scene = Scene::start(plan).await;
    let client = client!(aws_sdk_connectcases, aws_server_errors_connectcases, &scene.sdk(), policy, "hint");
    let started = Instant::now();
    let result = client.get_domain().domain_id("domain").send().await;
    Row { requests: scene.requests(), duplicates: None, elapsed: started.elapsed(), result: outcome(&result).into() }
}

/// 4. Account `GetContactInformation` during an outage: 12 calls, every attempt an internal error.
async fn budget(policy: Option<&ServerErrorPolicy>) -> Row {
    let scene = Scene::start(FaultPlan::new().fail_always(Fault::InternalError)).await;
    let client = client!(aws_sdk_account, aws_server_errors_account, &scene.sdk(), policy, "budget");
    let started = Instant::now();
    let mut outcomes = Vec::new();
    for _ in 0..12 {
        outcomes.push(outcome(&client.get_contact_information().send().await));
    }
    Row { requests: scene.requests(), duplicates: None, elapsed: started.elapsed(), result: tally(outcomes) }
}

/// 5. Backup Gateway `ListGateways`: 12 calls in an outage, the 200 ms break, then 3 calls after
///    recovery.
async fn breaker(policy: Option<&ServerErrorPolicy>) -> Row {
    let down = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(true));
    let outage = down.clone();
    let plan = FaultPlan::new()
        .rule(Rule::new(Fault::InternalError).when(move |_| outage.load(std::sync::atomic::Ordering::SeqCst)));
    let scene = Scene::start(plan).await;
    let client = client!(aws_sdk_backupgateway, aws_server_errors_backupgateway, &scene.sdk(), policy, "breaker");
    let started = Instant::now();
    let mut outcomes = Vec::new();
    for _ in 0..12 {
        outcomes.push(outcome(&client.list_gateways().send().await));
    }
    down.store(false, std::sync::atomic::Ordering::SeqCst);
    // The demo's own timeline: the service is back, and the breaker's 200 ms break passes.
    tokio::time::sleep(Duration::from_millis(250)).await;
    for _ in 0..3 {
        outcomes.push(outcome(&client.list_gateways().send().await));
    }
    Row { requests: scene.requests(), duplicates: None, elapsed: started.elapsed(), result: tally(outcomes) }
}

/// 6. Pinpoint `GetApp`: throttled twice, then success. The client's own retries handle it.
async fn throttling(policy: Option<&ServerErrorPolicy>) -> Row {
    let scene = Scene::start(FaultPlan::new().fail_first(2, Fault::Throttling)).await;
    let client = client!(aws_sdk_pinpoint, aws_server_errors_pinpoint, &scene.sdk(), policy, "throttling");
    let started = Instant::now();
    let result = client.get_app().application_id("app").send().await;
    Row { requests: scene.requests(), duplicates: None, elapsed: started.elapsed(), result: outcome(&result).into() }
}

fn print_row(scene: &str, client: &str, row: &Row, decisions: &str) {
    let duplicates = row.duplicates.map_or("-".to_owned(), |d| d.to_string());
    let time = format!("{:.2} s", row.elapsed.as_secs_f64());
    println!(
        "{scene:<36} {client:<6} {:>8} {duplicates:>10} {time:>8}  {}{}",
        row.requests,
        row.result,
        if decisions.is_empty() { String::new() } else { format!(" [{decisions}]") }
    );
}

#[tokio::main]
async fn main() {
    match std::env::args().nth(1).as_deref() {
        None => {}
        Some("-h" | "--help") => {
            println!("{USAGE}");
            return;
        }
        Some(other) => {
            eprintln!("error: unknown argument {other:?}\n\n{USAGE}");
            std::process::exit(2);
        }
    }
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("off"));
    tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).compact().init();
    let mut metrics = Metrics::install();
    let policy = policy();

    println!(
        "{:<36} {:<6} {:>8} {:>10} {:>8}  result [what the policy decided]",
        "scene", "client", "requests", "dup.writes", "time"
    );
    let mut totals = [(0, 0, Duration::ZERO); 2];
    macro_rules! scene {
        ($title:expr, $service:expr, $run:ident) => {{
            let plain = $run(None).await;
            print_row($title, "plain", &plain, "");
            let with = $run(Some(&policy)).await;
            print_row("", "policy", &with, &metrics.decisions($service.name()));
            for (total, row) in totals.iter_mut().zip([&plain, &with]) {
                total.0 += row.requests;
                total.1 += row.duplicates.unwrap_or(0);
                total.2 += row.elapsed;
            }
        }};
    }
    scene!("1 internal error ×2, then ok (GET)", &aws_server_errors_signer::SERVICE, recovered);
    scene!("2 write applied, then 500 (POST)", &aws_server_errors_pinpoint::SERVICE, write_refused);
    scene!("3 internal error, Retry-After: 1", &aws_server_errors_connectcases::SERVICE, retry_after);
    scene!("4 outage: 12 calls", &aws_server_errors_account::SERVICE, budget);
    scene!("5 outage, break, recovery: 15 calls", &aws_server_errors_backupgateway::SERVICE, breaker);
    scene!("6 throttled ×2, then ok", &aws_server_errors_pinpoint::SERVICE, throttling);
    for (client, (requests, duplicates, elapsed)) in ["plain", "policy"].into_iter().zip(totals) {
        let label = if client == "plain" { "total" } else { "" };
        let time = format!("{:.2} s", elapsed.as_secs_f64());
        println!("{label:<36} {client:<6} {requests:>8} {duplicates:>10} {time:>8}");
    }
    let state = policy.circuit_state(&aws_server_errors_backupgateway::SERVICE).map_or("none", |s| s.as_str());
    println!(
        "\npolicy: defaults (3 attempts, 100 ms..5 s full jitter, no resend of writes that may have been applied),\n\
         retry budget of 4 tokens per service, circuit breaker on Backup Gateway (opens at 50 % of >= 6 calls,\n\
         200 ms break; now {state}). The caller gets the SDK's own typed error in every row."
    );
    // What AWS Support asks for when internal errors persist, gathered from scene 4's outage.
    if let Some(report) = policy.incident_report(&aws_server_errors_account::SERVICE) {
        let text = report.to_string();
        let line = |prefix: &str| text.lines().find(|l| l.starts_with(prefix)).unwrap_or_default().to_owned();
        let newest = report.samples.first().and_then(|s| s.request_id.as_deref()).unwrap_or("-");
        println!("\nscene 4 for a support case (policy.incident_report; logged once when the budget ran dry):");
        println!("  {} · {}", line("Service:"), line("Failed attempts:"));
        println!("  {} · newest request id {newest}", line("Time window"));
    }
    every_service(&mut metrics).await;
    no_adapter_crate(&mut metrics).await;
}

/// A service with no adapter crate (SSO), registered in one line through the table of every
/// service (`aws-server-errors-services`): its read is retried after two internal errors, its
/// write (`Logout`, a POST) is not resent after one.
async fn no_adapter_crate(metrics: &mut Metrics) {
    let sso = aws_server_errors_services::by_key("sso").expect("in the table of every service");
    let plan = FaultPlan::new()
        .rule(Rule::new(Fault::InternalError).operation("ListAccounts").first(2))
        .rule(Rule::new(Fault::InternalError).operation("Logout"));
    let injector = FaultInjector::new(plan);
    let server = FaultServer::start(injector.clone(), [sso]).await.expect("bind 127.0.0.1");
    let policy = ServerErrorPolicy::with_services(PolicyConfig::default(), aws_server_errors_services::all())
        .expect("the defaults are valid");
    let builder = aws_sdk_sso::config::Builder::from(&server.sdk_config());
    let config = aws_server_errors_services::server_error_policy!(builder, &policy).build(); // the one line
    let client = aws_sdk_sso::Client::from_conf(config);
    let read = client.list_accounts().access_token("token").send().await;
    let write = client.logout().access_token("token").send().await;
    println!(
        "
a service with no adapter crate (SSO, `server_error_policy!(builder, &policy)`):
  ListAccounts {} after {} requests, Logout {} after {} request [{}]",
        if read.is_ok() { "ok" } else { "error" },
        injector.attempts(sso, "ListAccounts"),
        if write.is_ok() { "ok" } else { "error" },
        injector.attempts(sso, "Logout"),
        metrics.decisions(sso.name())
    );
}
