//! The S3 example: one client with the policy registered, one retry-safe call and one that is
//! not. `cargo run -p aws-server-errors-examples --bin s3 [-- --endpoint-url URL]`.

use aws_server_errors::{PolicyConfig, ServerErrorPolicy};
use aws_server_errors_examples::{s3, Setup};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let setup = Setup::start().await;
    let policy = ServerErrorPolicy::new(PolicyConfig::builder().build()?)?;
    let calls = s3::run(&setup.sdk, &policy).await;
    println!("{}", setup.report(&aws_server_errors_s3::SERVICE, &calls));
    Ok(())
}
