//! Account: `GetContactInformation` (`@readonly`, retry-safe) and `StartPrimaryEmailUpdate`
//! (no idempotency trait, not retry-safe).

use aws_config::SdkConfig;
use aws_server_errors::ServerErrorPolicy;
use aws_server_errors_account::ServerErrorPolicyExt as _;

use crate::{describe, Call};

/// The retry-safe operation.
pub const SAFE: &str = "GetContactInformation";
/// The operation that is not retry-safe.
pub const UNSAFE: &str = "StartPrimaryEmailUpdate";

/// Builds an Account client with the policy and makes one call of each kind.
pub async fn run(sdk: &SdkConfig, policy: &ServerErrorPolicy) -> [Call; 2] {
    let config = aws_sdk_account::config::Builder::from(sdk).server_error_policy(policy).build();
    let client = aws_sdk_account::Client::from_conf(config);
    let safe = client.get_contact_information().send().await;
    let unsafe_ =
        client.start_primary_email_update().account_id("123456789012").primary_email("a@example.com").send().await;
    [
        describe!(SAFE, safe, is_internal_server_exception, "InternalServerException"),
        describe!(UNSAFE, unsafe_, is_internal_server_exception, "InternalServerException"),
    ]
}
