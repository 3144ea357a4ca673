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

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;
    use std::sync::{Arc, Mutex};
    use std::time::Duration;

    use tracing_subscriber::layer::{Context, SubscriberExt as _};
    use tracing_subscriber::Layer;

    use super::*;
    use crate::catalog::RetrySafety;
    use crate::decide::GiveUpReason;

    type Event = (Level, BTreeMap<String, String>);

    /// Each event's level and fields.
    #[derive(Clone, Default)]
    struct Events(Arc<Mutex<Vec<Event>>>);

    impl<S: tracing::Subscriber> Layer<S> for Events {
        fn on_event(&self, event: &tracing::Event<'_>, _: Context<'_, S>) {
            struct Fields(BTreeMap<String, String>);
            impl tracing::field::Visit for Fields {
                fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
                    self.0.insert(field.name().to_owned(), format!("{value:?}"));
                }
                fn record_str(&mut self, field: &tracing::field::Field, value: &str) {
                    self.0.insert(field.name().to_owned(), value.to_owned());
                }
            }
            let mut fields = Fields(BTreeMap::new());
            event.record(&mut fields);
            self.0.lock().unwrap().push((*event.metadata().level(), fields.0));
        }
    }

    /// Reports one attempt of Pinpoint's `GetApp` that failed with `class`, after which the policy
    /// decided `decision`; returns the events logged.
    fn report(class: ErrorClass, decision: Decision, client_error_log: Option<Level>) -> Vec<Event> {
        let catalog = crate::testing::PINPOINT.catalog();
        let series = MetricSeries::new(catalog);
        let mut record = ClassifiedError::bare(class);
        record.service = "Pinpoint";
        record.operation = "GetApp";
        record.http_status = Some(500);
        record.request_id = Some("id with spaces");
        record.retry_safety = RetrySafety::SafeHttpMethod;
        let events = Events::default();
        let subscriber = tracing_subscriber::registry().with(events.clone());
        tracing::subscriber::with_default(subscriber, || {
            report_attempt(&series, 1, &record, 1, 3, decision, client_error_log);
        });
        let events = events.0.lock().unwrap().clone();
        events
    }

    #[test]
    fn a_retry_is_info_a_give_up_warn_and_a_client_error_at_its_configured_level() {
        let retry = Decision::Retry { delay: Duration::from_millis(40) };
        let events = report(ErrorClass::InternalServerError, retry, Some(Level::DEBUG));
        assert_eq!(events.len(), 1);
        let (level, fields) = &events[0];
        assert_eq!(*level, Level::INFO);
        assert_eq!(fields["message"], "attempt failed");
        assert_eq!((fields["decision"].as_str(), fields["delay_ms"].as_str()), ("retry", "40"));
        assert_eq!(fields["aws.request_id"], "id_with_spaces", "a server value, bounded and sanitised");
        assert_eq!((fields["attempt"].as_str(), fields["max_attempts"].as_str()), ("1", "3"));

        let give_up = Decision::GiveUp(GiveUpReason::RetryBudget);
        let events = report(ErrorClass::InternalServerError, give_up, Some(Level::DEBUG));
        assert_eq!(events[0].0, Level::WARN);
        assert_eq!(events[0].1["reason"], "retry_budget");

        // A client error is the caller's answer, whatever was decided: its configured level, or none.
        let events = report(ErrorClass::ClientError, give_up, Some(Level::DEBUG));
        assert_eq!(events[0].0, Level::DEBUG);
        assert!(report(ErrorClass::ClientError, Decision::ClientPolicy, None).is_empty());
    }
}
