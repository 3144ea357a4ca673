//! S3: `GetObject` (GET, retry-safe by its HTTP method) and `CreateMultipartUpload` (POST, not
//! retry-safe: each call starts a new upload). S3 models neither its `InternalError` nor its
//! `SlowDown`: callers, like the policy, read the error code. The client uses path-style
//! addressing, as against any endpoint that is not S3's own (a bucket in the host name needs DNS).

use aws_config::SdkConfig;
use aws_server_errors::ServerErrorPolicy;
use aws_server_errors_s3::ServerErrorPolicyExt as _;

use crate::Call;

/// The retry-safe operation.
pub const SAFE: &str = "GetObject";
/// The operation that is not retry-safe.
pub const UNSAFE: &str = "CreateMultipartUpload";

/// Describes an S3 result by its error code.
fn describe<T, E: aws_sdk_s3::error::ProvideErrorMetadata>(
    operation: &'static str,
    result: Result<T, aws_sdk_s3::error::SdkError<E>>,
) -> Call {
    let outcome = match result {
        Ok(_) => "ok".to_owned(),
        Err(err) => match err.as_service_error().and_then(|e| e.code()) {
            Some("InternalError") => "InternalError (code)".to_owned(),
            code => format!("error {}", code.unwrap_or("without a code")),
        },
    };
    Call { operation, outcome }
}

/// Builds an S3 client with the policy and makes one call of each kind.
pub async fn run(sdk: &SdkConfig, policy: &ServerErrorPolicy) -> [Call; 2] {
    let config = aws_sdk_s3::config::Builder::from(sdk).force_path_style(true).server_error_policy(policy).build();
    let client = aws_sdk_s3::Client::from_conf(config);
    let safe = client.get_object().bucket("reports").key("2026/11.csv").send().await;
    let unsafe_ = client.create_multipart_upload().bucket("reports").key("2026/12.csv").send().await;
    [describe(SAFE, safe), describe(UNSAFE, unsafe_)]
}
