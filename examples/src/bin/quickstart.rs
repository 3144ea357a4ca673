//! The quickstart: real clients of all five services with one shared policy.
//!
//! `cargo run -p aws-server-errors-examples --bin quickstart` runs against the embedded
//! fault-injecting server; add `-- --endpoint-url URL` (or set `AWS_ENDPOINT_URL`) to talk to
//! another endpoint with your AWS credentials. Logs go to stderr (`RUST_LOG` to change).

use aws_server_errors::{PolicyConfig, ServerErrorPolicy};
use aws_server_errors_examples::{account, backupgateway, connectcases, pinpoint, signer, Setup};
use aws_server_errors_fault::Service;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let setup = Setup::start().await;
    // One policy for all five clients: the defaults (3 attempts, 100 ms..5 s full-jitter backoff,
    // no retry of operations that are not retry-safe, a retry budget per service).
    let policy = ServerErrorPolicy::new(PolicyConfig::builder().build()?)?;

    let sdk = &setup.sdk;
    println!("{}", setup.report(Service::Signer, &signer::run(sdk, &policy).await));
    println!("{}", setup.report(Service::Pinpoint, &pinpoint::run(sdk, &policy).await));
    println!("{}", setup.report(Service::Account, &account::run(sdk, &policy).await));
    println!("{}", setup.report(Service::BackupGateway, &backupgateway::run(sdk, &policy).await));
    println!("{}", setup.report(Service::ConnectCases, &connectcases::run(sdk, &policy).await));
    print!("{}", setup.metrics_summary());
    Ok(())
}
