//! The facts of every AWS service, and the policy of
//! [aws-server-errors](https://docs.rs/aws-server-errors) on a client of any `aws-sdk-*` crate,
//! registered in one call, with no adapter crate.
//!
//! For each service of the AWS SDK (444, from the AWS service models the SDK is generated from),
//! a [`Service`] handle: its names (the crate key `athena`, the SDK's `Metadata` name `Athena`),
//! its protocol, and per operation its HTTP binding and retry safety, each verdict with its source
//! ([`RetrySafety`](aws_server_errors::RetrySafety)), and the codes of its internal-server error
//! and throttling errors. The table is data: this crate depends on no SDK crate, and builds in
//! seconds.
//!
//! Registered with [`server_error_policy!`], the policy acts on a client as it does through an
//! adapter crate (`aws-server-errors-<service>`), with one difference: without the SDK's typed
//! errors, each failed attempt is classified from the raw response, by its status and the error
//! code its protocol carries (`__type`, `x-amzn-ErrorType`, `<Code>`, `x-amzn-query-error`), read
//! as the SDK reads it. Metrics and logs say which path classified (`classifier = "generic"`).
//! Retry safety comes from the table; an operation the table does not know (an SDK crate newer
//! than the table) is retry-safe only when its HTTP method is one RFC 9110 defines as idempotent
//! (GET, HEAD, PUT, DELETE). Where an adapter crate's registration is also on the client, the
//! adapter's typed classification takes precedence. `docs/generic-path.md` lists what the typed
//! path knows that this one does not (a service-specific member of an error shape, such as
//! Connect Cases' `retryAfterSeconds`).
//!
//! ```
//! use aws_server_errors::{PolicyConfig, ServerErrorPolicy};
//! use aws_server_errors_fault::{Fault, FaultInjector, FaultPlan};
//!
//! # #[tokio::main(flavor = "current_thread", start_paused = true)]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! // Config keys are checked against every service: `[services.sso]`, with did-you-mean.
//! let config: PolicyConfig = toml::from_str("[services.sso]\nmax_attempts = 4")?;
//! let policy = ServerErrorPolicy::with_services(config, aws_server_errors_services::all())?;
//!
//! let sso_facts = aws_server_errors_services::by_key("sso").expect("in the table");
//! let injector = FaultInjector::new(FaultPlan::new().fail_first(2, Fault::InternalError));
//! // In an application: `aws_config::load_defaults(BehaviorVersion::latest()).await`.
//! let sdk_config = aws_server_errors_fault::sdk_config("http://localhost");
//! let builder = aws_sdk_sso::config::Builder::from(&sdk_config).http_client(injector.http_client(sso_facts));
//! let config = aws_server_errors_services::server_error_policy!(builder, &policy).build(); // the one call
//! let sso = aws_sdk_sso::Client::from_conf(config);
//!
//! // A read (GET) is retried after internal errors...
//! sso.list_accounts().access_token("token").send().await?;
//! assert_eq!(injector.attempts(sso_facts, "ListAccounts"), 3);
//! // ...a write that may have been applied is not resent.
//! let injector = FaultInjector::new(FaultPlan::new().fail_always(Fault::InternalError));
//! # let builder = aws_sdk_sso::config::Builder::from(&sdk_config).http_client(injector.http_client(sso_facts));
//! # let sso = aws_sdk_sso::Client::from_conf(aws_server_errors_services::server_error_policy!(builder, &policy).build());
//! let error = sso.logout().access_token("token").send().await.expect_err("a 500");
//! assert_eq!(injector.attempts(sso_facts, "Logout"), 1);
//! // The caller gets the SDK's own error, unchanged (SSO models no internal error: `Unhandled`).
//! use aws_sdk_sso::error::ProvideErrorMetadata as _;
//! assert_eq!(error.into_service_error().code(), Some(sso_facts.catalog().internal_error_shape));
//! # Ok(()) }
//! ```
#![deny(missing_docs)]
#![forbid(unsafe_code)]

#[rustfmt::skip]
mod generated;

use aws_server_errors::Service;

/// Every service of the table, sorted by key. Pass it to
/// [`ServerErrorPolicy::with_services`](aws_server_errors::ServerErrorPolicy::with_services), so
/// that a config may name any service (and a typo gets a suggestion among all of them):
///
/// ```
/// use aws_server_errors::{ConfigError, PolicyConfig, ServerErrorPolicy};
///
/// let config = PolicyConfig::builder().disable_service("athena").build()?;
/// let policy = ServerErrorPolicy::with_services(config, aws_server_errors_services::all())?;
/// assert!(!policy.is_enabled(aws_server_errors_services::by_key("athena").unwrap()));
///
/// let typo: PolicyConfig = toml::from_str("[services.athenna]\nenabled = false")?;
/// let error = ServerErrorPolicy::with_services(typo, aws_server_errors_services::all()).unwrap_err();
/// assert!(matches!(&error, ConfigError::UnknownService { .. }), "{error}");
/// assert!(error.to_string().contains("athena"), "{error}");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn all() -> &'static [Service] {
    &generated::SERVICES
}

/// A service by its crate key (the `aws-sdk-*` crate's name without `aws-sdk-`, e.g. `"athena"`,
/// `"cloudwatchlogs"`); `None` when the table has no such service. Exact match: keys are lower
/// case.
///
/// A `const fn`, so that a service can be named in a `const` or `static`:
///
/// ```
/// use aws_server_errors::Service;
///
/// const ATHENA: &Service = match aws_server_errors_services::by_key("athena") {
///     Some(service) => service,
///     None => panic!("not in the table"),
/// };
/// assert_eq!(ATHENA.name(), "Athena");
/// ```
pub const fn by_key(key: &str) -> Option<&'static Service> {
    // A binary search over the sorted keys, byte by byte (`Ord` is not callable in a const fn).
    let (mut low, mut high) = (0, generated::KEYS.len());
    while low < high {
        let mid = (low + high) / 2;
        match compare(generated::KEYS[mid].as_bytes(), key.as_bytes()) {
            std::cmp::Ordering::Less => low = mid + 1,
            std::cmp::Ordering::Greater => high = mid,
            std::cmp::Ordering::Equal => return Some(&generated::SERVICES[mid]),
        }
    }
    None
}

/// `a.cmp(b)`, in a const fn.
const fn compare(a: &[u8], b: &[u8]) -> std::cmp::Ordering {
    let mut i = 0;
    while i < a.len() && i < b.len() {
        if a[i] != b[i] {
            return if a[i] < b[i] { std::cmp::Ordering::Less } else { std::cmp::Ordering::Greater };
        }
        i += 1;
    }
    if a.len() < b.len() {
        std::cmp::Ordering::Less
    } else if a.len() > b.len() {
        std::cmp::Ordering::Greater
    } else {
        std::cmp::Ordering::Equal
    }
}

/// A service by the name the SDK reports in each operation's `Metadata` (the model's sdkId, e.g.
/// `"Athena"`, `"CloudWatch Logs"`); `None` when the table has no such service.
pub fn by_sdk_id(name: &str) -> Option<&'static Service> {
    let ids = &generated::SDK_IDS;
    ids.binary_search_by(|(id, _)| (*id).cmp(name)).ok().map(|i| &generated::SERVICES[usize::from(ids[i].1)])
}

/// The interceptor and retry classifier of one registration. Support for [`server_error_policy!`].
#[doc(hidden)]
pub fn registration(
    policy: &aws_server_errors::ServerErrorPolicy,
) -> (aws_server_errors::__private::SharedInterceptor, aws_server_errors::__private::SharedRetryClassifier) {
    policy.any_service(by_sdk_id)
}

/// Registers a [`ServerErrorPolicy`](aws_server_errors::ServerErrorPolicy) on the config builder
/// of any `aws-sdk-*` crate, in one call, and returns the builder:
/// `server_error_policy!(builder, &policy)`.
///
/// It pushes an interceptor and a retry classifier (`push_interceptor`, `push_retry_classifier`,
/// which every SDK config builder has). At the client's first call they find its service in the
/// table ([`by_sdk_id`], from the call's `Metadata`) and from then on act as an adapter crate's
/// registration does, classifying from the raw response. A client that also has an adapter
/// crate's registration is left to the adapter. A client whose service the table does not know (an
/// SDK crate newer than the table) is classified by status and the SDK's own codes, each of its
/// operations retry-safe only by an idempotent HTTP method (one WARN event says so). A macro, not
/// a trait method, because SDK config builders
/// share no trait; the SDK's own `aws_smithy_mocks::mock_client!` works the same way.
///
/// See the [crate docs](crate) for an example.
#[macro_export]
macro_rules! server_error_policy {
    ($builder:expr, $policy:expr $(,)?) => {{
        let mut builder = $builder;
        let (interceptor, classifier) = $crate::registration($policy);
        builder.push_interceptor(interceptor);
        builder.push_retry_classifier(classifier);
        builder
    }};
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_and_sdk_ids_find_every_service() {
        assert!(all().len() > 400, "{}", all().len());
        for pair in generated::KEYS.windows(2) {
            assert!(pair[0] < pair[1], "{} !< {}", pair[0], pair[1]);
        }
        for service in all() {
            assert_eq!(by_key(service.key()), Some(service));
            assert_eq!(by_sdk_id(service.name()).map(Service::key), Some(service.key()));
            assert_eq!(service.classifier(), "generic");
            let ops = service.catalog().operations;
            assert!(ops.windows(2).all(|p| p[0].name < p[1].name), "{} operations sorted", service.key());
        }
        assert_eq!(by_key("nosuchservice"), None);
        assert_eq!(by_sdk_id("No Such Service"), None);
    }

    #[test]
    fn the_table_knows_what_the_models_say() {
        let athena = by_key("athena").expect("athena");
        assert_eq!(athena.name(), "Athena");
        let get = athena.operation("GetQueryExecution").expect("an operation");
        assert!(get.retry_safety.is_retry_safe());
        let sso = by_key("sso").expect("sso");
        assert_eq!(sso.operation("ListAccounts").map(|o| o.http_method), Some("GET"));
        assert!(!sso.operation("Logout").expect("Logout").retry_safety.is_retry_safe(), "a POST without a source");
        let logs = by_sdk_id("CloudWatch Logs").expect("by sdkId");
        assert_eq!(logs.key(), "cloudwatchlogs");
    }
}
