//! Exports the policy's metrics in CloudWatch Embedded Metric Format with
//! `metrics_cloudwatch_embedded`, and prints one flush: JSON lines that CloudWatch Logs turns into
//! metrics (in Lambda, stdout; elsewhere, the CloudWatch agent or any log shipper).
//!
//! `cargo run -p aws-server-errors-examples --bin cloudwatch_emf`
//!
//! The alarms in `docs/alerts/cloudwatch-alarms.yaml` read these metrics (namespace
//! `AwsServerErrors`).

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    if std::env::args().len() > 1 {
        eprintln!("usage: cloudwatch_emf");
        std::process::exit(2);
    }
    let collector = metrics_cloudwatch_embedded::Builder::new()
        .cloudwatch_namespace("AwsServerErrors")
        .with_dimension("service.name", "example-app")
        .init()
        .map_err(|e| e.to_string())?;
    // Units (Count, Seconds) come from the descriptions.
    aws_server_errors::telemetry::describe_metrics();

    aws_server_errors_examples::telemetry::run_scenario().await?;
    collector.flush(std::io::stdout())?;
    Ok(())
}
