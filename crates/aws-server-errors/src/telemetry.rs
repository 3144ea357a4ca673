//! Names of the metrics and log fields. `docs/metrics.md` documents each one.
//!
//! Metrics go through the [`metrics`] facade: install any recorder (Prometheus, OpenTelemetry,
//! ...) and they appear there. Logs go through [`tracing`] under the target
//! [`LOG_TARGET`]. Attribute names follow the OpenTelemetry semantic conventions for RPC and
//! AWS SDK spans (`rpc.system`, `rpc.service`, `rpc.method`, `aws.request_id`, `error.type`,
//! `http.response.status_code`). No label ever carries a request id.

use std::time::Duration;

use metrics::{counter, histogram, Unit};

/// The `tracing` target of every event this crate emits.
pub const LOG_TARGET: &str = "aws_server_errors";

/// Counter: failed attempts, classified. Labels: `rpc.service`, `rpc.method`, `error.class`,
/// `error.type`.
pub const ATTEMPT_ERRORS: &str = "aws.server_errors.attempt_errors";
/// Counter: retries performed (an attempt after the first). Labels: `rpc.service`, `rpc.method`,
/// `error.class` (of the attempt that was retried).
pub const RETRIES: &str = "aws.server_errors.retries";
/// Counter: calls that ended in an error. Labels: `rpc.service`, `rpc.method`, `reason`.
pub const GIVE_UPS: &str = "aws.server_errors.give_ups";
/// Histogram, seconds: the delay before each retry of an internal-server error, as the policy
/// chose it (the SDK waits exactly that). Retries the client's own retry config decides (throttling,
/// ...) are counted in [`RETRIES`] but have no sample here: their jitter is the SDK's and not
/// visible to an interceptor. Labels: `rpc.service`, `rpc.method`.
pub const RETRY_DELAY: &str = "aws.server_errors.retry_delay";

/// Registers descriptions and units of the metrics with the installed recorder. Optional: call
/// it once after installing a recorder, for exporters that show descriptions.
pub fn describe_metrics() {
    metrics::describe_counter!(ATTEMPT_ERRORS, Unit::Count, "Failed attempts, classified by the shared taxonomy");
    metrics::describe_counter!(RETRIES, Unit::Count, "Retries performed");
    metrics::describe_counter!(GIVE_UPS, Unit::Count, "Calls that ended in an error, by reason");
    metrics::describe_histogram!(RETRY_DELAY, Unit::Seconds, "Delay before a retry");
}

pub(crate) fn record_attempt_error(service: &'static str, method: &'static str, class: &'static str, error_type: &str) {
    counter!(ATTEMPT_ERRORS,
        "rpc.service" => service, "rpc.method" => method, "error.class" => class, "error.type" => error_type.to_owned())
    .increment(1);
}

pub(crate) fn record_retry(service: &'static str, method: &'static str, class: &'static str, delay: Option<Duration>) {
    counter!(RETRIES, "rpc.service" => service, "rpc.method" => method, "error.class" => class).increment(1);
    if let Some(delay) = delay {
        histogram!(RETRY_DELAY, "rpc.service" => service, "rpc.method" => method).record(delay.as_secs_f64());
    }
}

pub(crate) fn record_give_up(service: &'static str, method: &'static str, reason: &'static str) {
    counter!(GIVE_UPS, "rpc.service" => service, "rpc.method" => method, "reason" => reason).increment(1);
}
