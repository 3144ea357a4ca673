//! The orders application (DynamoDB, S3 and SNS, one policy from TOML): its day, step by step.
//! `cargo run -p aws-server-errors-examples --bin orders -- --endpoint-url URL` runs it against an
//! AWS emulator (for example moto: `python3 -m moto.server -p 5000`) or, with the standard
//! credential chain, against AWS; it creates its table, bucket and topic first. Without an
//! endpoint it runs against the embedded fault server, which fails the day's first request (a
//! write: `PutItem`) with DynamoDB's internal error, so the first step reports it, sent once.

use aws_server_errors_examples::orders::{self, Orders, Resources};
use aws_server_errors_fault::{Fault, FaultInjector, FaultPlan, FaultServer};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let endpoint = match (args.next().as_deref(), args.next()) {
        (Some("--endpoint-url"), Some(url)) => Some(url),
        (None, _) => std::env::var("AWS_ENDPOINT_URL").ok(),
        _ => {
            eprintln!("usage: orders [--endpoint-url URL]");
            std::process::exit(2);
        }
    };
    let policy = orders::policy();
    let (app, resources, _server) = match endpoint {
        Some(url) => {
            let sdk = aws_config::defaults(aws_config::BehaviorVersion::latest()).endpoint_url(url).load().await;
            let app = Orders::new(&sdk, Some(&policy));
            let prefix = format!("orders-{}", std::process::id());
            let resources = app.create_resources(&prefix).await?;
            (app, resources, None)
        }
        None => {
            let services =
                [&aws_server_errors_dynamodb::SERVICE, &aws_server_errors_s3::SERVICE, &aws_server_errors_sns::SERVICE];
            let injector = FaultInjector::new(FaultPlan::new().fail_first(1, Fault::InternalError));
            let server = FaultServer::start(injector, services).await?;
            let app = Orders::new(&server.sdk_config(), Some(&policy));
            let resources = Resources {
                table: "orders".into(),
                bucket: "receipts".into(),
                topic_arn: "arn:aws:sns:us-east-1:123456789012:order-events".into(),
            };
            (app, resources, Some(server))
        }
    };
    for step in app.scenario(&resources).await {
        match step.result {
            Ok(value) => println!("{:<11} ok     {value}", step.operation),
            Err(code) => println!("{:<11} error  {code}", step.operation),
        }
    }
    Ok(())
}
