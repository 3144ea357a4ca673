//! An orders application on three services, with one policy from TOML: DynamoDB (`PutItem` and
//! `UpdateItem` with conditions, `GetItem`, `Query`), S3 (`PutObject`, `GetObject`,
//! `CopyObject`) and SNS (`Publish`), the circuit breaker on DynamoDB.
//!
//! What a user of the policy writes: the clients are built as usual, the policy is registered on
//! each with its adapter crate's one call, and the code reads the SDK's own errors by their codes
//! (`ConditionalCheckFailedException`, `NoSuchKey`), which the policy leaves unchanged. The same code runs against the fault kit
//! (`examples/tests/examples.rs`: every operation under every failure mode) and against an AWS
//! emulator (moto), where each step returns the same with and without the policy.

use aws_config::SdkConfig;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, AttributeValue, KeySchemaElement, KeyType, ReturnValue, ScalarAttributeType,
};
use aws_sdk_s3::primitives::ByteStream;
use aws_server_errors::{PolicyConfig, ServerErrorPolicy};
use aws_server_errors_dynamodb::ServerErrorPolicyExt as _;
use aws_server_errors_s3::ServerErrorPolicyExt as _;
use aws_server_errors_sns::ServerErrorPolicyExt as _;

/// The application's policy, as it would sit in its config file.
pub const POLICY_TOML: &str = r#"
name = "orders"
max_attempts = 4
initial_backoff = "20ms"
time_budget = "5s"

[services.dynamodb.circuit_breaker]
enabled = true
minimum_throughput = 20
"#;

/// The policy of [`POLICY_TOML`], checked against the three services.
///
/// # Panics
/// If the TOML is invalid (it is a constant: a test covers it).
pub fn policy() -> ServerErrorPolicy {
    let config: PolicyConfig = toml::from_str(POLICY_TOML).expect("valid TOML");
    ServerErrorPolicy::with_services(
        config,
        [&aws_server_errors_dynamodb::SERVICE, &aws_server_errors_s3::SERVICE, &aws_server_errors_sns::SERVICE],
    )
    .expect("a valid policy")
}

/// Where the application keeps its orders.
#[derive(Debug, Clone)]
pub struct Resources {
    /// The DynamoDB table: partition key `customer`, sort key `order`.
    pub table: String,
    /// The S3 bucket of receipts.
    pub bucket: String,
    /// The SNS topic of order events.
    pub topic_arn: String,
}

/// The three clients of the application.
#[derive(Debug, Clone)]
pub struct Orders {
    /// DynamoDB.
    pub dynamodb: aws_sdk_dynamodb::Client,
    /// S3 (path-style addressing, as an emulator on loopback needs).
    pub s3: aws_sdk_s3::Client,
    /// SNS.
    pub sns: aws_sdk_sns::Client,
}

impl Orders {
    /// The clients, with `policy` registered on each (one call per client), or plain.
    pub fn new(sdk: &SdkConfig, policy: Option<&ServerErrorPolicy>) -> Self {
        let mut dynamodb = aws_sdk_dynamodb::config::Builder::from(sdk);
        let mut s3 = aws_sdk_s3::config::Builder::from(sdk).force_path_style(true);
        let mut sns = aws_sdk_sns::config::Builder::from(sdk);
        if let Some(policy) = policy {
            dynamodb = dynamodb.server_error_policy(policy);
            s3 = s3.server_error_policy(policy);
            sns = sns.server_error_policy(policy);
        }
        Self {
            dynamodb: aws_sdk_dynamodb::Client::from_conf(dynamodb.build()),
            s3: aws_sdk_s3::Client::from_conf(s3.build()),
            sns: aws_sdk_sns::Client::from_conf(sns.build()),
        }
    }

    /// Creates the table, the bucket and the topic named after `prefix` (not part of the
    /// scenario: an emulator starts empty).
    ///
    /// # Errors
    /// The first SDK error, described.
    pub async fn create_resources(&self, prefix: &str) -> Result<Resources, String> {
        let table = format!("{prefix}-orders");
        let key = |name: &str, kind| KeySchemaElement::builder().attribute_name(name).key_type(kind).build();
        let attribute = |name: &str| {
            AttributeDefinition::builder().attribute_name(name).attribute_type(ScalarAttributeType::S).build()
        };
        self.dynamodb
            .create_table()
            .table_name(&table)
            .key_schema(key("customer", KeyType::Hash).map_err(|e| e.to_string())?)
            .key_schema(key("order", KeyType::Range).map_err(|e| e.to_string())?)
            .attribute_definitions(attribute("customer").map_err(|e| e.to_string())?)
            .attribute_definitions(attribute("order").map_err(|e| e.to_string())?)
            .billing_mode(aws_sdk_dynamodb::types::BillingMode::PayPerRequest)
            .send()
            .await
            .map_err(|e| format!("CreateTable: {}", aws_sdk_dynamodb::error::DisplayErrorContext(&e)))?;
        let bucket = format!("{prefix}-receipts");
        self.s3
            .create_bucket()
            .bucket(&bucket)
            .send()
            .await
            .map_err(|e| format!("CreateBucket: {}", aws_sdk_s3::error::DisplayErrorContext(&e)))?;
        let topic = self
            .sns
            .create_topic()
            .name(format!("{prefix}-order-events"))
            .send()
            .await
            .map_err(|e| format!("CreateTopic: {}", aws_sdk_sns::error::DisplayErrorContext(&e)))?;
        Ok(Resources { table, bucket, topic_arn: topic.topic_arn.unwrap_or_default() })
    }

    /// Places an order: a put that fails if the order exists (`attribute_not_exists`).
    pub async fn place(&self, r: &Resources, customer: &str, order: &str, total: u32) -> Step {
        let result = self
            .dynamodb
            .put_item()
            .table_name(&r.table)
            .item("customer", s(customer))
            .item("order", s(order))
            .item("status", s("placed"))
            .item("total", AttributeValue::N(total.to_string()))
            .condition_expression("attribute_not_exists(#o)")
            .expression_attribute_names("#o", "order")
            .send()
            .await;
        Step::new("PutItem", result.map(|_| "placed".to_owned()).map_err(|e| code_of(e.into_service_error())))
    }

    /// Reads an order's status.
    pub async fn status(&self, r: &Resources, customer: &str, order: &str) -> Step {
        let result = self
            .dynamodb
            .get_item()
            .table_name(&r.table)
            .key("customer", s(customer))
            .key("order", s(order))
            .consistent_read(true)
            .send()
            .await;
        let result = result.map(|out| {
            out.item
                .and_then(|item| item.get("status").and_then(|v| v.as_s().ok()).cloned())
                .unwrap_or_else(|| "absent".to_owned())
        });
        Step::new("GetItem", result.map_err(|e| code_of(e.into_service_error())))
    }

    /// Ships an order: an update that fails unless the order is `placed` (control flow: a
    /// second ship gets `ConditionalCheckFailedException`).
    pub async fn ship(&self, r: &Resources, customer: &str, order: &str) -> Step {
        let result = self
            .dynamodb
            .update_item()
            .table_name(&r.table)
            .key("customer", s(customer))
            .key("order", s(order))
            .update_expression("SET #s = :shipped")
            .condition_expression("#s = :placed")
            .expression_attribute_names("#s", "status")
            .expression_attribute_values(":shipped", s("shipped"))
            .expression_attribute_values(":placed", s("placed"))
            .return_values(ReturnValue::AllNew)
            .send()
            .await;
        let result = result.map(|out| {
            out.attributes.and_then(|a| a.get("status").and_then(|v| v.as_s().ok()).cloned()).unwrap_or_default()
        });
        Step::new("UpdateItem", result.map_err(|e| code_of(e.into_service_error())))
    }

    /// Counts a customer's orders.
    pub async fn count(&self, r: &Resources, customer: &str) -> Step {
        let result = self
            .dynamodb
            .query()
            .table_name(&r.table)
            .key_condition_expression("customer = :c")
            .expression_attribute_values(":c", s(customer))
            .send()
            .await;
        Step::new("Query", result.map(|out| out.count.to_string()).map_err(|e| code_of(e.into_service_error())))
    }

    /// Stores an order's receipt.
    pub async fn store_receipt(&self, r: &Resources, order: &str, text: &str) -> Step {
        let result = self
            .s3
            .put_object()
            .bucket(&r.bucket)
            .key(format!("receipts/{order}.txt"))
            .body(ByteStream::from(text.as_bytes().to_vec()))
            .send()
            .await;
        let result = result.map(|out| if out.e_tag.is_some() { "stored" } else { "stored, no ETag" }.to_owned());
        Step::new("PutObject", result.map_err(|e| code_of(e.into_service_error())))
    }

    /// Reads a receipt back (`NoSuchKey` for an order without one).
    pub async fn receipt(&self, r: &Resources, order: &str) -> Step {
        let result = self.s3.get_object().bucket(&r.bucket).key(format!("receipts/{order}.txt")).send().await;
        let result = match result {
            Ok(out) => match out.body.collect().await {
                Ok(bytes) => Ok(String::from_utf8_lossy(&bytes.into_bytes()).into_owned()),
                Err(e) => Err(format!("body: {e}")),
            },
            Err(e) => Err(code_of(e.into_service_error())),
        };
        Step::new("GetObject", result)
    }

    /// Archives a receipt: a server-side copy.
    pub async fn archive_receipt(&self, r: &Resources, order: &str) -> Step {
        let result = self
            .s3
            .copy_object()
            .bucket(&r.bucket)
            .copy_source(format!("{}/receipts/{order}.txt", r.bucket))
            .key(format!("archive/{order}.txt"))
            .send()
            .await;
        Step::new("CopyObject", result.map(|_| "archived".to_owned()).map_err(|e| code_of(e.into_service_error())))
    }

    /// Announces an event on the topic.
    pub async fn announce(&self, r: &Resources, order: &str, event: &str) -> Step {
        let result = self.sns.publish().topic_arn(&r.topic_arn).message(format!("{order} {event}")).send().await;
        let result =
            result.map(|out| if out.message_id.is_some() { "published" } else { "published, no MessageId" }.to_owned());
        Step::new("Publish", result.map_err(|e| code_of(e.into_service_error())))
    }

    /// The application's day: one order placed, placed again (refused), read, shipped, shipped
    /// again (refused), counted, its receipt stored, read, archived, a missing receipt read, and
    /// two events published. Each step's result, in order.
    pub async fn scenario(&self, r: &Resources) -> Vec<Step> {
        vec![
            self.place(r, "c-1", "o-1", 42).await,
            self.place(r, "c-1", "o-1", 42).await,
            self.status(r, "c-1", "o-1").await,
            self.ship(r, "c-1", "o-1").await,
            self.ship(r, "c-1", "o-1").await,
            self.count(r, "c-1").await,
            self.store_receipt(r, "o-1", "order o-1: 42").await,
            self.receipt(r, "o-1").await,
            self.archive_receipt(r, "o-1").await,
            self.receipt(r, "o-2").await,
            self.announce(r, "o-1", "placed").await,
            self.announce(r, "o-1", "shipped").await,
        ]
    }
}

/// One step of the application: the operation and what it returned, in the application's terms
/// (a status, a count, a body), or the error code the caller matched.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    /// The operation.
    pub operation: &'static str,
    /// The outcome.
    pub result: Result<String, String>,
}

impl Step {
    fn new(operation: &'static str, result: Result<String, String>) -> Self {
        Self { operation, result }
    }
}

fn s(value: &str) -> AttributeValue {
    AttributeValue::S(value.to_owned())
}

/// An error's code, as the caller reads it from the SDK's typed error (`NoSuchKey`,
/// `ConditionalCheckFailedException`, `InternalServerError`); `unhandled` when the service sent
/// none (a gateway's page, a timeout).
fn code_of<E: aws_sdk_dynamodb::error::ProvideErrorMetadata>(error: E) -> String {
    error.code().unwrap_or("unhandled").to_owned()
}
