//! Signer: `GetSigningProfile` (HTTP GET, retry-safe) and `AddProfilePermission` (HTTP POST,
//! not retry-safe).

use aws_config::SdkConfig;
use aws_server_errors::ServerErrorPolicy;
use aws_server_errors_signer::ServerErrorPolicyExt as _;

use crate::{describe, Call};

/// The retry-safe operation.
pub const SAFE: &str = "GetSigningProfile";
/// The operation that is not retry-safe.
pub const UNSAFE: &str = "AddProfilePermission";

/// Builds a Signer client with the policy and makes one call of each kind.
pub async fn run(sdk: &SdkConfig, policy: &ServerErrorPolicy) -> [Call; 2] {
    let config = aws_sdk_signer::config::Builder::from(sdk).server_error_policy(policy).build();
    let client = aws_sdk_signer::Client::from_conf(config);
    let safe = client.get_signing_profile().profile_name("example").send().await;
    let unsafe_ = client
        .add_profile_permission()
        .profile_name("example")
        .action("signer:StartSigningJob")
        .principal("123456789012")
        .statement_id("example")
        .send()
        .await;
    [
        describe!(SAFE, safe, is_internal_service_error_exception, "InternalServiceErrorException"),
        describe!(UNSAFE, unsafe_, is_internal_service_error_exception, "InternalServiceErrorException"),
    ]
}
