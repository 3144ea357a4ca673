//! SNS: `ListTopics` (a read by AWS's naming convention: every SNS operation is a POST and its
//! model has no `@readonly`) and `Publish` (not retry-safe: a message published again is delivered
//! again; reviewed in `codegen/retry-safety/sns.json`).

use aws_config::SdkConfig;
use aws_server_errors::ServerErrorPolicy;
use aws_server_errors_sns::ServerErrorPolicyExt as _;

use crate::{describe, Call};

/// The retry-safe operation.
pub const SAFE: &str = "ListTopics";
/// The operation that is not retry-safe.
pub const UNSAFE: &str = "Publish";

/// Builds an SNS client with the policy and makes one call of each kind.
pub async fn run(sdk: &SdkConfig, policy: &ServerErrorPolicy) -> [Call; 2] {
    let config = aws_sdk_sns::config::Builder::from(sdk).server_error_policy(policy).build();
    let client = aws_sdk_sns::Client::from_conf(config);
    let safe = client.list_topics().send().await;
    let unsafe_ = client.publish().topic_arn("arn:aws:sns:us-east-1:123456789012:orders").message("m").send().await;
    [
        describe!(SAFE, safe, is_internal_error_exception, "InternalErrorException"),
        describe!(UNSAFE, unsafe_, is_internal_error_exception, "InternalErrorException"),
    ]
}
