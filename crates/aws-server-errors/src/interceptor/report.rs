//! Reporting one failed attempt: its log event and metrics.

use tracing::Level;

use crate::adapter::{ClassifiedError, ErrorClass};
use crate::decide::Decision;
use crate::telemetry::{self, bounded, event_at, MetricSeries};

/// One event per failed attempt of the operation at `operation` in the catalog: at
/// `client_error_log` for a client error (none when `None`), WARN when the policy gives up, INFO
/// otherwise. Server-controlled values are bounded ([`bounded`]); the message and the
/// body are never logged. The fields are computed only when a subscriber wants the event.
pub(super) fn report_attempt(
    series: &MetricSeries,
    operation: usize,
    record: &ClassifiedError<'_>,
    attempt: u32,
    max_attempts: u32,
    decision: Decision,
    client_error_log: Option<Level>,
) {
    telemetry::record_attempt_error(series, operation, record.operation, record.class, record.error_type());
    let delay_ms = match decision {
        Decision::Retry { delay } => Some(delay.as_millis() as u64),
        _ => None,
    };
    let reason = match decision {
        Decision::GiveUp(reason) => Some(reason.as_str()),
        _ => None,
    };
    // A client error is the caller's answer whatever was decided after it (a spent time budget
    // may still stop a retry of a retryable one): the call ends as `client_error`, not a give-up.
    let level = match decision {
        _ if record.class == ErrorClass::ClientError => client_error_log,
        Decision::GiveUp(_) => Some(Level::WARN),
        _ => Some(Level::INFO),
    };
    // The field expressions are evaluated only when the event is enabled.
    if let Some(level) = level {
        event_at!(
            level,
            rpc.system = "aws-api",
            rpc.service = record.service,
            rpc.method = record.operation,
            aws.request_id = record.request_id.map(bounded).as_deref(),
            error.type = record.error_type(),
            error.class = record.class.as_str(),
            error.detail = record.detail.map(|d| format!("{}={}", d.member, bounded(d.value))),
            http.response.status_code = record.http_status,
            failure = record.failure.as_str(),
            may_have_been_applied = record.may_have_been_applied(),
            retry_safety = record.retry_safety.as_str(),
            attempt,
            max_attempts,
            decision = decision.as_str(),
            delay_ms,
            reason,
            "attempt failed"
        );
    }
}
