//! Success-path overhead of the policy: the same Signer `GetSigningProfile` call through the same
//! in-process canned HTTP client (the fault kit with an empty plan), with and without the policy
//! registered, interleaved in rounds so drift hits both arms alike. Reports the median over rounds.
//!
//! Rough by design: wall-clock timing on a shared machine. Run in release:
//! `cargo bench -p aws-server-errors-integration-tests --bench overhead [-- ROUNDS CALLS]`.

use std::time::Instant;

use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_credential_types::provider::SharedCredentialsProvider;
use aws_credential_types::Credentials;
use aws_server_errors::PolicyConfig;
use aws_server_errors_fault::{FaultInjector, FaultPlan, Service};
use aws_server_errors_signer::ServerErrorPolicyExt as _;

fn main() {
    let mut args = std::env::args().skip(1).filter(|a| a != "--bench");
    let rounds: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(15);
    let calls: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(2_000);

    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let injector = FaultInjector::new(FaultPlan::new());
    let sdk = SdkConfig::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .credentials_provider(SharedCredentialsProvider::new(Credentials::new("AKID", "SECRET", None, None, "bench")))
        .http_client(injector.http_client(Service::Signer))
        .build();
    let policy = PolicyConfig::builder().build().unwrap();
    let plain = aws_sdk_signer::Client::new(&sdk);
    let with_policy = aws_sdk_signer::Client::from_conf(
        aws_sdk_signer::config::Builder::from(&sdk).server_error_policy(&policy).build(),
    );

    let time = |client: &aws_sdk_signer::Client, n: usize| -> f64 {
        runtime.block_on(async {
            let start = Instant::now();
            for _ in 0..n {
                client.get_signing_profile().profile_name("p").send().await.expect("canned 200");
            }
            start.elapsed().as_nanos() as f64 / n as f64
        })
    };
    time(&plain, calls);
    time(&with_policy, calls);

    let (mut plain_ns, mut policy_ns, mut diffs) = (Vec::new(), Vec::new(), Vec::new());
    for round in 0..rounds {
        let (p, w) = if round % 2 == 0 {
            let p = time(&plain, calls);
            (p, time(&with_policy, calls))
        } else {
            let w = time(&with_policy, calls);
            (time(&plain, calls), w)
        };
        plain_ns.push(p);
        policy_ns.push(w);
        diffs.push(w - p);
        injector.reset();
    }
    let median = |v: &mut Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    let (p, w, d) = (median(&mut plain_ns), median(&mut policy_ns), median(&mut diffs));
    println!("rounds={rounds} calls/round/arm={calls}");
    println!("plain client        {:>10.0} ns/call", p);
    println!("with policy         {:>10.0} ns/call", w);
    println!("overhead (median of paired differences) {:>+8.0} ns/call = {:+.2} %", d, 100.0 * d / p);
}
