//! Exports the policy's metrics with `metrics-exporter-prometheus` and prints one scrape.
//!
//! `cargo run -p aws-server-errors-examples --bin prometheus [-- --default-naming]`
//!
//! In an application, add `.with_http_listener(([0, 0, 0, 0], 9000))` (the exporter's
//! `http-listener` feature) and `install()` instead of rendering by hand.

use aws_server_errors::telemetry::{CALL_ATTEMPTS, CALL_ATTEMPTS_BUCKETS, RETRY_DELAY, RETRY_DELAY_BUCKETS};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let default_naming = match std::env::args().nth(1).as_deref() {
        None => false,
        Some("--default-naming") => true,
        Some(_) => {
            eprintln!("usage: prometheus [--default-naming]");
            std::process::exit(2);
        }
    };
    let handle = PrometheusBuilder::new()
        // `_total` on counters and unit suffixes (`_seconds`): Prometheus's naming conventions.
        .with_recommended_naming(!default_naming)
        // Without buckets, histograms render as summaries (quantiles), which cannot be aggregated
        // across instances.
        .set_buckets_for_metric(Matcher::Full(RETRY_DELAY.to_owned()), RETRY_DELAY_BUCKETS)?
        .set_buckets_for_metric(Matcher::Full(CALL_ATTEMPTS.to_owned()), CALL_ATTEMPTS_BUCKETS)?
        .install_recorder()?;
    // Units and help texts, after the recorder is installed.
    aws_server_errors::telemetry::describe_metrics();

    aws_server_errors_examples::telemetry::run_scenario().await?;
    print!("{}", handle.render());
    Ok(())
}
