//! Pinpoint: `GetApp` (HTTP GET, retry-safe) and `SendMessages` (HTTP POST, not retry-safe: a
//! retry after a 500 may send the messages twice).

use aws_config::SdkConfig;
use aws_server_errors::ServerErrorPolicy;
use aws_server_errors_pinpoint::ServerErrorPolicyExt as _;

use crate::{describe, Call};

/// The retry-safe operation.
pub const SAFE: &str = "GetApp";
/// The operation that is not retry-safe.
pub const UNSAFE: &str = "SendMessages";

/// Builds a Pinpoint client with the policy and makes one call of each kind.
pub async fn run(sdk: &SdkConfig, policy: &ServerErrorPolicy) -> [Call; 2] {
    let config = aws_sdk_pinpoint::config::Builder::from(sdk).server_error_policy(policy).build();
    let client = aws_sdk_pinpoint::Client::from_conf(config);
    let safe = client.get_app().application_id("example").send().await;
    let request = aws_sdk_pinpoint::types::MessageRequest::builder().build();
    let unsafe_ = client.send_messages().application_id("example").message_request(request).send().await;
    [
        describe!(SAFE, safe, is_internal_server_error_exception, "InternalServerErrorException"),
        describe!(UNSAFE, unsafe_, is_internal_server_error_exception, "InternalServerErrorException"),
    ]
}
