//! Reporting one failed attempt: its log event and metrics.

use tracing::{event, Level};

use crate::adapter::ClassifiedError;
use crate::decide::Decision;
use crate::telemetry::{self, bounded, MetricSeries, LOG_TARGET};

/// One event per failed attempt of the operation at `operation` in the catalog, WARN when the
/// policy gives up. Server-controlled values are bounded ([`bounded`]); the message and the body
/// are never logged. The fields are computed only when a subscriber wants the event.
pub(super) fn report_attempt(
    series: &MetricSeries,
    operation: usize,
    record: &ClassifiedError<'_>,
    attempt: u32,
    max_attempts: u32,
    decision: Decision,
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
    // `event!` evaluates these field expressions only when the event is enabled.
    macro_rules! attempt_event {
        ($level:ident) => {
            event!(
                target: LOG_TARGET,
                Level::$level,
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
            )
        };
    }
    if matches!(decision, Decision::GiveUp(_)) {
        attempt_event!(WARN);
    } else {
        attempt_event!(INFO);
    }
}
