//! DynamoDB: `GetItem` (a read by AWS's naming convention: every DynamoDB operation is a POST and
//! its model has no `@readonly`) and `PutItem` (not retry-safe: a conditional put that was
//! applied fails its condition when repeated; reviewed in `codegen/retry-safety/dynamodb.json`).

use aws_config::SdkConfig;
use aws_sdk_dynamodb::types::AttributeValue;
use aws_server_errors::ServerErrorPolicy;
use aws_server_errors_dynamodb::ServerErrorPolicyExt as _;

use crate::{describe, Call};

/// The retry-safe operation.
pub const SAFE: &str = "GetItem";
/// The operation that is not retry-safe.
pub const UNSAFE: &str = "PutItem";

/// Builds a DynamoDB client with the policy and makes one call of each kind.
pub async fn run(sdk: &SdkConfig, policy: &ServerErrorPolicy) -> [Call; 2] {
    let config = aws_sdk_dynamodb::config::Builder::from(sdk).server_error_policy(policy).build();
    let client = aws_sdk_dynamodb::Client::from_conf(config);
    let key = AttributeValue::S("order-1".to_owned());
    let safe = client.get_item().table_name("orders").key("pk", key.clone()).send().await;
    let unsafe_ = client.put_item().table_name("orders").item("pk", key).send().await;
    [
        describe!(SAFE, safe, is_internal_server_error, "InternalServerError"),
        describe!(UNSAFE, unsafe_, is_internal_server_error, "InternalServerError"),
    ]
}
