//! The scenario the exporter examples (`prometheus`, `cloudwatch_emf`) record: a few Pinpoint
//! calls against the fault kit's in-process client, so that every metric of the policy has a
//! value.

use std::time::Duration;

use aws_server_errors::{CircuitBreakerConfig, PolicyConfig, ServerErrorPolicy};
use aws_server_errors_fault::{Fault, FaultInjector, FaultPlan, Rule};
use aws_server_errors_pinpoint::ServerErrorPolicyExt as _;

/// Runs the scenario on the installed `metrics` recorder: `GetApp` fails once and is retried
/// (`ok_after_retries`), succeeds at once (`ok`), `SendMessages` fails with a 500 and is not
/// resent (`failed`, `not_retry_safe`). The circuit breaker is on, so its state gauge and the
/// budget gauge are reported too.
///
/// # Errors
/// If the policy's configuration is rejected (it is not).
pub async fn run_scenario() -> Result<(), Box<dyn std::error::Error>> {
    let policy = ServerErrorPolicy::new(
        PolicyConfig::builder()
            .initial_backoff(Duration::from_millis(10))
            .circuit_breaker(CircuitBreakerConfig { enabled: true, ..Default::default() })
            .build()?,
    )?;
    let injector = FaultInjector::new(
        FaultPlan::new()
            .rule(Rule::new(Fault::InternalError).operation("GetApp").first(1))
            .rule(Rule::new(Fault::InternalError).operation("SendMessages")),
    );
    let config = aws_sdk_pinpoint::config::Builder::from(&aws_server_errors_fault::sdk_config("http://localhost"))
        .http_client(injector.http_client(&aws_server_errors_pinpoint::SERVICE))
        .server_error_policy(&policy)
        .build();
    let pinpoint = aws_sdk_pinpoint::Client::from_conf(config);
    pinpoint.get_app().application_id("app").send().await?;
    pinpoint.get_app().application_id("app").send().await?;
    let request = aws_sdk_pinpoint::types::MessageRequest::builder().build();
    let sent = pinpoint.send_messages().application_id("app").message_request(request).send().await;
    assert!(sent.is_err(), "the plan fails SendMessages");
    Ok(())
}
