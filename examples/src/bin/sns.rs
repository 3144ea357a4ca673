//! The SNS example: one client with the policy registered, one retry-safe call and one that is
//! not. `cargo run -p aws-server-errors-examples --bin sns [-- --endpoint-url URL]`.

use aws_server_errors::{PolicyConfig, ServerErrorPolicy};
use aws_server_errors_examples::{sns, Setup};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let setup = Setup::start().await;
    let policy = ServerErrorPolicy::new(PolicyConfig::builder().build()?)?;
    let calls = sns::run(&setup.sdk, &policy).await;
    println!("{}", setup.report(&aws_server_errors_sns::SERVICE, &calls));
    Ok(())
}
