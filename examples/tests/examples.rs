//! The examples, run as a user would run them. The quickstart's table tells the story it claims;
//! the exporter examples' output is checked against what the docs promise (docs/metrics.md, the
//! alert rules in docs/alerts/) and, for CloudWatch, against the Embedded Metric Format
//! specification.

use std::collections::BTreeSet;
use std::process::Command;

use serde_json::Value;

fn run(bin: &str, args: &[&str]) -> String {
    let output = Command::new(bin).args(args).output().expect("run the example");
    assert!(output.status.success(), "{bin} {args:?}: {}", String::from_utf8_lossy(&output.stderr));
    String::from_utf8(output.stdout).expect("UTF-8")
}

/// Metric names (without labels) a Prometheus text exposition defines.
fn prometheus_names(text: &str) -> BTreeSet<String> {
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
        .map(|l| l.split(['{', ' ']).next().unwrap().to_owned())
        .collect()
}

#[test]
fn prometheus_names_are_those_the_docs_and_alert_rules_use() {
    let bin = env!("CARGO_BIN_EXE_prometheus");
    let recommended = run(bin, &[]);
    let default = run(bin, &["--default-naming"]);

    for line in [
        r#"aws_server_errors_calls_total{rpc_service="Pinpoint",rpc_method="GetApp",outcome="ok"} 1"#,
        r#"aws_server_errors_calls_total{rpc_service="Pinpoint",rpc_method="GetApp",outcome="ok_after_retries"} 1"#,
        r#"aws_server_errors_calls_total{rpc_service="Pinpoint",rpc_method="SendMessages",outcome="failed"} 1"#,
        r#"aws_server_errors_give_ups_total{rpc_service="Pinpoint",rpc_method="SendMessages",reason="not_retry_safe"} 1"#,
        r#"aws_server_errors_retries_total{rpc_service="Pinpoint",rpc_method="GetApp",error_class="internal_server_error"} 1"#,
        r#"aws_server_errors_retry_budget_tokens{rpc_service="Pinpoint",policy="default"} 20"#,
        r#"aws_server_errors_circuit_state{rpc_service="Pinpoint",policy="default"} 0"#,
        r#"aws_server_errors_call_attempts_bucket{rpc_service="Pinpoint",rpc_method="GetApp",le="2"} 2"#,
        r#"aws_server_errors_call_attempts_count{rpc_service="Pinpoint",rpc_method="GetApp"} 2"#,
        r#"aws_server_errors_retry_delay_seconds_bucket{rpc_service="Pinpoint",rpc_method="GetApp",le="+Inf"} 1"#,
        "# TYPE aws_server_errors_retry_delay_seconds histogram",
    ] {
        assert!(recommended.lines().any(|l| l == line), "missing {line}\n{recommended}");
    }
    for line in [
        r#"aws_server_errors_calls{rpc_service="Pinpoint",rpc_method="GetApp",outcome="ok"} 1"#,
        r#"aws_server_errors_retries{rpc_service="Pinpoint",rpc_method="GetApp",error_class="internal_server_error"} 1"#,
        "# TYPE aws_server_errors_retry_delay histogram",
    ] {
        assert!(default.lines().any(|l| l == line), "missing {line}\n{default}");
    }

    // Every metric the alert rules query is one the exporter prints (recommended naming).
    let names = prometheus_names(&recommended);
    let rules = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/alerts/prometheus-rules.yml"))
        .expect("the rules file");
    let used: BTreeSet<&str> = rules
        .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .filter(|w| w.starts_with("aws_server_errors_"))
        .collect();
    assert!(used.len() >= 4, "{used:?}");
    for name in used {
        assert!(names.contains(name), "the rules use {name}, which the exporter does not print: {names:?}");
    }
    // And metrics.md lists every name the exporter prints.
    let doc = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/metrics.md")).unwrap();
    for name in names.iter().chain(&prometheus_names(&default)) {
        let family = name.trim_end_matches("_bucket").trim_end_matches("_sum").trim_end_matches("_count");
        assert!(doc.contains(family), "docs/metrics.md does not name {family}");
    }
}

/// The units the EMF specification allows (CloudWatch `MetricDatum.Unit`).
const UNITS: &[&str] = &[
    "Seconds",
    "Microseconds",
    "Milliseconds",
    "Bytes",
    "Kilobytes",
    "Megabytes",
    "Gigabytes",
    "Terabytes",
    "Bits",
    "Kilobits",
    "Megabits",
    "Gigabits",
    "Terabits",
    "Percent",
    "Count",
    "Bytes/Second",
    "Kilobytes/Second",
    "Megabytes/Second",
    "Gigabytes/Second",
    "Terabytes/Second",
    "Bits/Second",
    "Kilobits/Second",
    "Megabits/Second",
    "Gigabits/Second",
    "Terabits/Second",
    "Count/Second",
    "None",
];

/// Checks one document against the Embedded Metric Format specification
/// (<https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Embedded_Metric_Format_Specification.html>):
/// the `_aws` metadata, namespaces, dimension sets that reference string members (at most 30),
/// metric definitions that reference numeric members (a number, or an array of at most 100),
/// valid units. Returns (metric name, unit, dimension names) for each metric.
fn check_emf(doc: &Value) -> Vec<(String, String, Vec<String>)> {
    let root = doc.as_object().expect("a JSON object");
    let aws = root["_aws"].as_object().expect("_aws");
    assert!(aws["Timestamp"].as_u64().is_some_and(|t| t > 1_600_000_000_000), "Timestamp in ms since the epoch");
    let directives = aws["CloudWatchMetrics"].as_array().expect("CloudWatchMetrics");
    assert!(!directives.is_empty());
    let mut out = Vec::new();
    for directive in directives {
        let namespace = directive["Namespace"].as_str().expect("Namespace");
        assert!((1..=1024).contains(&namespace.len()));
        let sets = directive["Dimensions"].as_array().expect("Dimensions");
        let mut dimensions = Vec::new();
        for set in sets {
            let set = set.as_array().expect("a dimension set");
            assert!(set.len() <= 30, "at most 30 dimensions");
            for name in set {
                let name = name.as_str().expect("dimension name");
                let value = root.get(name).and_then(Value::as_str).unwrap_or_else(|| panic!("dimension {name} member"));
                assert!((1..=1024).contains(&value.len()));
                dimensions.push(name.to_owned());
            }
        }
        let metrics = directive["Metrics"].as_array().expect("Metrics");
        assert!(!metrics.is_empty() && metrics.len() <= 100);
        for metric in metrics {
            let name = metric["Name"].as_str().expect("Name");
            assert!((1..=1024).contains(&name.len()));
            match &root[name] {
                Value::Number(_) => {}
                Value::Array(values) => {
                    assert!(!values.is_empty() && values.len() <= 100 && values.iter().all(Value::is_number))
                }
                other => panic!("metric {name} has no numeric member: {other}"),
            }
            let unit = metric.get("Unit").and_then(Value::as_str).unwrap_or("None");
            assert!(UNITS.contains(&unit), "unit {unit}");
            out.push((name.to_owned(), unit.to_owned(), dimensions.clone()));
        }
    }
    out
}

#[test]
fn cloudwatch_emf_documents_follow_the_specification() {
    let output = run(env!("CARGO_BIN_EXE_cloudwatch_emf"), &[]);
    let mut metrics = Vec::new();
    for line in output.lines() {
        let doc: Value = serde_json::from_str(line).expect("one JSON document per line");
        assert_eq!(doc["_aws"]["CloudWatchMetrics"][0]["Namespace"], "AwsServerErrors");
        metrics.extend(check_emf(&doc));
    }
    let find = |name: &str| metrics.iter().find(|m| m.0 == name).unwrap_or_else(|| panic!("{name} in {metrics:?}"));
    let calls = find("aws.server_errors.calls");
    assert_eq!(calls.1, "Count");
    assert_eq!(calls.2, ["service.name", "rpc.service", "rpc.method", "outcome"]);
    assert_eq!(find("aws.server_errors.retry_delay").1, "Seconds");
    assert_eq!(find("aws.server_errors.retry_budget.tokens").2, ["service.name", "rpc.service", "policy"]);
    assert_eq!(find("aws.server_errors.circuit.state").2, ["service.name", "rpc.service", "policy"]);
    let docs: Vec<Value> = output.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    let failed = docs.iter().find(|d| d["outcome"] == "failed").expect("the failed call");
    assert_eq!(failed["rpc.method"], "SendMessages");
    assert_eq!(failed["aws.server_errors.calls"], 1);

    // Every metric the CloudWatch alarms read is one the example emits.
    let template =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/alerts/cloudwatch-alarms.yaml")).unwrap();
    let used: BTreeSet<&str> = template
        .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '.'))
        .filter(|w| w.starts_with("aws.server_errors."))
        .collect();
    assert!(used.len() >= 4, "{used:?}");
    for name in used {
        assert!(metrics.iter().any(|m| m.0 == name), "the alarms read {name}, which is not emitted");
    }
}

/// Through the bridge, the policy's metrics reach the SDK's own telemetry provider, beside the
/// SDK's `smithy.client.call.duration`, with the same attribute names.
#[test]
fn the_policys_metrics_land_in_the_sdks_telemetry_provider() {
    let output = run(env!("CARGO_BIN_EXE_opentelemetry"), &[]);
    for line in [
        "create histogram smithy.client.call.duration unit=s",
        "create counter aws.server_errors.calls unit=1",
        "create histogram aws.server_errors.retry_delay unit=s",
        "counter aws.server_errors.calls {outcome=ok,rpc.method=GetApp,rpc.service=Pinpoint} +1",
        "counter aws.server_errors.calls {outcome=ok_after_retries,rpc.method=GetApp,rpc.service=Pinpoint} +1",
        "counter aws.server_errors.calls {outcome=failed,rpc.method=SendMessages,rpc.service=Pinpoint} +1",
        "counter aws.server_errors.give_ups {reason=not_retry_safe,rpc.method=SendMessages,rpc.service=Pinpoint} +1",
        "histogram aws.server_errors.call.attempts {rpc.method=GetApp,rpc.service=Pinpoint} 2",
        "gauge aws.server_errors.retry_budget.tokens {policy=default,rpc.service=Pinpoint} 20",
        "gauge aws.server_errors.circuit.state {policy=default,rpc.service=Pinpoint} 0",
    ] {
        assert!(output.lines().any(|l| l == line), "missing {line}\n{output}");
    }
    let sdk = output.lines().find(|l| l.starts_with("histogram smithy.client.call.duration {")).expect("the SDK's own");
    assert!(sdk.contains("rpc.method=GetApp,rpc.service=Pinpoint"), "{sdk}");
}

#[test]
fn a_bad_flag_prints_usage_and_exits_non_zero() {
    for bin in [
        env!("CARGO_BIN_EXE_prometheus"),
        env!("CARGO_BIN_EXE_cloudwatch_emf"),
        env!("CARGO_BIN_EXE_opentelemetry"),
        env!("CARGO_BIN_EXE_quickstart"),
    ] {
        let output = Command::new(bin).arg("--nope").output().unwrap();
        assert_eq!(output.status.code(), Some(2), "{bin}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains("usage:") && !stderr.contains("panicked"), "{stderr}");
    }
    let help = run(env!("CARGO_BIN_EXE_quickstart"), &["--help"]);
    assert!(help.starts_with("usage: quickstart"));
}

/// The quickstart's rows, as (client, requests, duplicate writes, result) by scene number.
fn quickstart_rows(table: &str) -> Vec<(String, usize, String, String)> {
    table
        .lines()
        .skip(1)
        .take(14)
        .map(|line| {
            let rest: String = line.chars().skip(37).collect();
            let rest = rest.trim_start();
            let cols: Vec<&str> = rest.split_whitespace().collect();
            let result = rest.split_once(" s  ").map_or("", |x| x.1).to_owned();
            (cols[0].to_owned(), cols[1].parse().unwrap(), cols[2].to_owned(), result)
        })
        .collect()
}

#[test]
fn the_quickstart_shows_every_decision_against_plain_clients() {
    let output = Command::new(env!("CARGO_BIN_EXE_quickstart")).env_remove("RUST_LOG").output().unwrap();
    assert!(output.status.success());
    assert!(output.stderr.is_empty(), "logs are quiet unless RUST_LOG asks");
    let table = String::from_utf8(output.stdout).unwrap();
    assert!(table.lines().count() <= 36, "one screen:\n{table}");
    let rows = quickstart_rows(&table);
    let plain = |scene: usize| &rows[2 * scene];
    let policy = |scene: usize| &rows[2 * scene + 1];
    // 1: retried and recovered.
    assert!(policy(0).3.starts_with("ok [2 policy retries]"), "{table}");
    // 2: the committed write: a plain client applies it three times, the policy once.
    assert_eq!((plain(1).1, plain(1).2.as_str()), (3, "2"), "{table}");
    assert_eq!((policy(1).1, policy(1).2.as_str()), (1, "0"), "{table}");
    assert!(policy(1).3.contains("gave up: not_retry_safe"));
    // 3: Retry-After honoured (1 s, on the server's word).
    assert!(policy(2).3.starts_with("ok [1 policy retry]"), "{table}");
    // 4: the budget stops retries in an outage.
    assert!(policy(3).1 < plain(3).1 && policy(3).3.contains("gave up: retry_budget"), "{table}");
    // 5: the breaker opens, fails fast, and closes after recovery.
    let breaker = &policy(4).3;
    assert!(
        breaker.contains("breaker opened") && breaker.contains("breaker closed") && breaker.contains("failed fast")
    );
    assert!(breaker.contains("3 ok"), "{table}");
    // 6: throttling is the SDK's.
    assert!(policy(5).3.starts_with("ok [2 SDK retries]"), "{table}");
    // The outage of scene 4, as AWS Support asks for it.
    let support = table
        .lines()
        .skip_while(|l| !l.starts_with("scene 4 for a support case"))
        .take_while(|l| !l.is_empty())
        .collect::<Vec<_>>();
    assert_eq!(support.len(), 3, "{table}");
    assert!(support[1].starts_with("  Service: Account (region us-east-1) · Failed attempts: "), "{table}");
    assert!(
        support[2].starts_with("  Time window (UTC): ") && support[2].contains("newest request id 0000"),
        "{table}"
    );
    // Every service, one line each: its internal-error shape, its class, the decisions.
    let services: Vec<&str> =
        table.lines().skip_while(|l| !l.starts_with("every service")).skip(1).take_while(|l| !l.is_empty()).collect();
    assert_eq!(services.len(), aws_server_errors_examples::EXAMPLES.len(), "{table}");
    // A service with no adapter crate, registered in one line: its read retried, its write not.
    let sso = table.lines().skip_while(|l| !l.starts_with("a service with no adapter crate")).nth(1).unwrap_or("");
    assert!(sso.contains("ListAccounts ok after 3 requests, Logout error after 1 request"), "{table}");
    assert!(sso.contains("2 policy retries") && sso.contains("1× gave up: not_retry_safe"), "{table}");
    for (example, line) in aws_server_errors_examples::EXAMPLES.iter().zip(&services) {
        let (service, safe, unsafe_) = (example.service, example.safe, example.unsafe_op);
        let shape = service.catalog().internal_error_shape;
        assert!(line.trim_start().starts_with(service.name()) && line.contains(shape), "{line}");
        assert!(line.contains(" internal_server_error "), "{line}");
        assert!(line.contains(&format!("{safe} ok, {unsafe_} error")), "{line}");
        assert!(line.ends_with("[2 policy retries, 1× gave up: not_retry_safe]"), "{line}");
    }
}

/// The orders application (`examples/src/orders.rs`: DynamoDB, S3 and SNS, one policy from
/// TOML), as a user tests it: under every failure mode of the fault kit, and on an AWS emulator.
mod orders {
    use std::time::Duration;

    use aws_config::SdkConfig;
    use aws_server_errors::Service;
    use aws_server_errors_examples::orders::{self, Orders, Resources, Step};
    use aws_server_errors_fault::{Fault, FaultInjector, FaultPlan, FaultServer, Rule};
    use aws_smithy_types::retry::RetryConfig;
    use aws_smithy_types::timeout::TimeoutConfig;

    static SERVICES: [&Service; 3] =
        [&aws_server_errors_dynamodb::SERVICE, &aws_server_errors_s3::SERVICE, &aws_server_errors_sns::SERVICE];

    /// Each operation of the app, its service, and whether the policy's table calls it retry-safe.
    const OPERATIONS: [(&str, &Service, bool); 8] = [
        ("PutItem", &aws_server_errors_dynamodb::SERVICE, false),
        ("GetItem", &aws_server_errors_dynamodb::SERVICE, true),
        ("UpdateItem", &aws_server_errors_dynamodb::SERVICE, false),
        ("Query", &aws_server_errors_dynamodb::SERVICE, true),
        ("PutObject", &aws_server_errors_s3::SERVICE, true),
        ("GetObject", &aws_server_errors_s3::SERVICE, true),
        ("CopyObject", &aws_server_errors_s3::SERVICE, true),
        ("Publish", &aws_server_errors_sns::SERVICE, false),
    ];

    fn resources() -> Resources {
        Resources {
            table: "orders".into(),
            bucket: "receipts".into(),
            topic_arn: "arn:aws:sns:us-east-1:123456789012:order-events".into(),
        }
    }

    async fn step(app: &Orders, r: &Resources, operation: &str) -> Step {
        match operation {
            "PutItem" => app.place(r, "c-1", "o-1", 42).await,
            "GetItem" => app.status(r, "c-1", "o-1").await,
            "UpdateItem" => app.ship(r, "c-1", "o-1").await,
            "Query" => app.count(r, "c-1").await,
            "PutObject" => app.store_receipt(r, "o-1", "order o-1: 42").await,
            "GetObject" => app.receipt(r, "o-1").await,
            "CopyObject" => app.archive_receipt(r, "o-1").await,
            "Publish" => app.announce(r, "o-1", "placed").await,
            other => panic!("no step for {other}"),
        }
    }

    /// A loopback fault server for `plan`, and a config for the app's clients: the SDK's standard
    /// retries with a 1 ms initial backoff (the test waits the SDK's real backoff), and a 200 ms
    /// read timeout (for the no-response fault).
    async fn serve(plan: FaultPlan) -> (FaultInjector, FaultServer, SdkConfig) {
        let injector = FaultInjector::new(plan);
        let server = FaultServer::start(injector.clone(), SERVICES).await.expect("bind loopback");
        let sdk = server
            .sdk_config()
            .to_builder()
            .retry_config(RetryConfig::standard().with_initial_backoff(Duration::from_millis(1)))
            .timeout_config(TimeoutConfig::builder().read_timeout(Duration::from_millis(200)).build())
            .build();
        (injector, server, sdk)
    }

    /// Every operation of the app under seven failure modes, each failing its first attempt. With
    /// the policy: a write that is not retry-safe is sent once after a failure that may have
    /// reached the server (and the caller gets the SDK's error); everything else is retried and
    /// succeeds with what the failure-free run returns. Without it, the plain SDK resends those
    /// writes: the duplicates the policy prevents.
    #[tokio::test]
    async fn the_orders_app_under_every_failure_mode() {
        let r = resources();
        // The failure-free run: what each step returns from the fault kit's default successes,
        // which look like AWS's (an ETag, a MessageId, a GetObject body).
        let (_, _server, sdk) = serve(FaultPlan::new()).await;
        let app = Orders::new(&sdk, Some(&orders::policy()));
        let mut clean = Vec::new();
        for (operation, ..) in OPERATIONS {
            clean.push(step(&app, &r, operation).await.result);
        }
        assert_eq!(clean[4], Ok("stored".to_owned()), "PutObject's success carries an ETag");
        assert_eq!(clean[5], Ok("fault-kit-body".to_owned()), "GetObject's success has a body");
        assert_eq!(clean[7], Ok("published".to_owned()), "Publish's success carries a MessageId");

        // (name, fault, committed first, may have been applied, the code a write that is sent once
        // fails with: the service's internal error, or none for a gateway's page or no response)
        let faults = [
            ("internal error", Fault::InternalError, false, true, Some("internal")),
            ("committed internal error", Fault::InternalError, true, true, Some("internal")),
            ("bad gateway", Fault::BareStatus { status: 502, body: "<html>502</html>".into() }, false, true, None),
            ("connection closed", Fault::CloseAfterRequest, false, true, None),
            ("read timeout", Fault::NoResponse, false, true, None),
            ("throttling", Fault::Throttling, false, false, None),
            ("unavailable", Fault::BareStatus { status: 503, body: "<html>503</html>".into() }, false, false, None),
        ];
        let mut cases = 0;
        for (name, fault, committed, may_have_been_applied, code) in faults {
            for ((operation, service, retry_safe), clean) in OPERATIONS.into_iter().zip(&clean) {
                let rule = Rule::new(fault.clone()).service(service).operation(operation).first(1);
                let rule = if committed { rule.committed() } else { rule };
                let (injector, _server, sdk) = serve(FaultPlan::new().rule(rule.clone())).await;
                let result = step(&Orders::new(&sdk, Some(&orders::policy())), &r, operation).await.result;
                let sent = injector.attempts(service, operation);
                let case = format!("{operation} after {name}");
                if !retry_safe && may_have_been_applied {
                    assert_eq!(sent, 1, "{case}: a write that may have been applied is sent once");
                    // The SDK's own error, as its deserializer read the response: the service's
                    // internal-error code, or none (a gateway's page, no response at all).
                    let expected = code.map_or("unhandled", |_| service.catalog().wire_codes.0);
                    assert_eq!(result, Err(expected.to_owned()), "{case}: the caller gets the SDK's error");
                } else {
                    assert_eq!(sent, 2, "{case}: retried once");
                    assert_eq!(&result, clean, "{case}: the retry's result is the failure-free one");
                }

                let (plain_injector, _plain_server, plain_sdk) = serve(FaultPlan::new().rule(rule)).await;
                let _ = step(&Orders::new(&plain_sdk, None), &r, operation).await;
                if !retry_safe && may_have_been_applied {
                    assert_eq!(plain_injector.attempts(service, operation), 2, "{case}: the plain SDK resends it");
                }
                cases += 1;
            }
        }
        assert_eq!(cases, 56);
    }

    /// `python3 -m moto.server` on a free loopback port, stopped when dropped.
    struct Moto {
        child: std::process::Child,
        url: String,
    }

    impl Moto {
        /// Starts moto and waits until it says where it listens (its own line on stderr).
        fn start() -> Self {
            use std::io::BufRead as _;
            let mut child = std::process::Command::new("python3")
                .args(["-m", "moto.server", "-H", "127.0.0.1", "-p", "0"])
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .expect("python3");
            let mut lines = std::io::BufReader::new(child.stderr.take().expect("piped")).lines();
            let mut seen = Vec::new();
            while let Some(line) = lines.next() {
                let line = line.expect("moto's stderr");
                if let Some(url) = line.split("Running on ").nth(1) {
                    // Keep reading its log, so that it never writes to a closed pipe.
                    let rest = lines;
                    std::thread::spawn(move || rest.for_each(drop));
                    return Self { child, url: url.trim().to_owned() };
                }
                seen.push(line);
            }
            let _ = child.wait();
            panic!(
                "moto did not start: install it with `python3 -m pip install -r examples/requirements.txt`\n{}",
                seen.join("\n")
            );
        }
    }

    impl Drop for Moto {
        fn drop(&mut self) {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }

    /// The success path on an independent AWS emulator (moto, in server mode on loopback): the
    /// app's day returns the same, step by step, with and without the policy, and what a real
    /// service returns (the conditions refuse the second place and ship, `NoSuchKey` for a missing
    /// receipt).
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_orders_app_returns_the_same_on_an_emulator_with_and_without_the_policy() {
        let moto = Moto::start();
        let sdk = aws_server_errors_fault::sdk_config(&moto.url);
        let policy = orders::policy();
        let plain = Orders::new(&sdk, None);
        let with_policy = Orders::new(&sdk, Some(&policy));
        let plain_resources = plain.create_resources("plain").await.expect("create the plain run's resources");
        let policy_resources = with_policy.create_resources("policy").await.expect("create the policy run's resources");
        let without = plain.scenario(&plain_resources).await;
        let with = with_policy.scenario(&policy_resources).await;
        assert_eq!(with, without, "every step returns the same with the policy");
        let results: Vec<Result<&str, &str>> =
            with.iter().map(|s| s.result.as_deref().map_err(String::as_str)).collect();
        let refused = Err("ConditionalCheckFailedException");
        assert_eq!(
            results,
            [
                Ok("placed"),
                refused,
                Ok("placed"),
                Ok("shipped"),
                refused,
                Ok("1"),
                Ok("stored"),
                Ok("order o-1: 42"),
                Ok("archived"),
                Err("NoSuchKey"),
                Ok("published"),
                Ok("published"),
            ]
        );
    }
}
