//! Backup Gateway (Smithy RPC v2 CBOR): `GetGateway` (`@readonly`, retry-safe) and
//! `CreateGateway` (no idempotency trait, not retry-safe).

use aws_config::SdkConfig;
use aws_server_errors::ServerErrorPolicy;
use aws_server_errors_backupgateway::ServerErrorPolicyExt as _;

use crate::{describe, Call};

/// The retry-safe operation.
pub const SAFE: &str = "GetGateway";
/// The operation that is not retry-safe.
pub const UNSAFE: &str = "CreateGateway";

/// Builds a Backup Gateway client with the policy and makes one call of each kind.
pub async fn run(sdk: &SdkConfig, policy: &ServerErrorPolicy) -> [Call; 2] {
    let config = aws_sdk_backupgateway::config::Builder::from(sdk).server_error_policy(policy).build();
    let client = aws_sdk_backupgateway::Client::from_conf(config);
    let safe =
        client.get_gateway().gateway_arn("arn:aws:backup-gateway:us-east-1:123456789012:gateway/bgw-1").send().await;
    let unsafe_ = client
        .create_gateway()
        .activation_key("EXAMPLE")
        .gateway_display_name("example")
        .gateway_type(aws_sdk_backupgateway::types::GatewayType::BackupVm)
        .send()
        .await;
    [
        describe!(SAFE, safe, is_internal_server_exception, "InternalServerException"),
        describe!(UNSAFE, unsafe_, is_internal_server_exception, "InternalServerException"),
    ]
}
