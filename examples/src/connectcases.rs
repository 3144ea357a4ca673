//! Connect Cases: `GetDomain` (`@readonly`, retry-safe) and `CreateLayout` (no idempotency
//! trait, not retry-safe). Its internal error may carry `Retry-After`, which the policy honours.

use aws_config::SdkConfig;
use aws_server_errors::ServerErrorPolicy;
use aws_server_errors_connectcases::ServerErrorPolicyExt as _;

use crate::{describe, Call};

/// The retry-safe operation.
pub const SAFE: &str = "GetDomain";
/// The operation that is not retry-safe.
pub const UNSAFE: &str = "CreateLayout";

/// Builds a Connect Cases client with the policy and makes one call of each kind.
pub async fn run(sdk: &SdkConfig, policy: &ServerErrorPolicy) -> [Call; 2] {
    use aws_sdk_connectcases::types::{BasicLayout, LayoutContent};
    let config = aws_sdk_connectcases::config::Builder::from(sdk).server_error_policy(policy).build();
    let client = aws_sdk_connectcases::Client::from_conf(config);
    let safe = client.get_domain().domain_id("example").send().await;
    let content = LayoutContent::Basic(BasicLayout::builder().build());
    let unsafe_ = client.create_layout().domain_id("example").name("example").content(content).send().await;
    [
        describe!(SAFE, safe, is_internal_server_exception, "InternalServerException"),
        describe!(UNSAFE, unsafe_, is_internal_server_exception, "InternalServerException"),
    ]
}
