//! One policy for the internal-server errors of AWS services, for the AWS SDK for Rust.
//!
//! Each service reports "something broke on our side" with its own error shape: Signer's
//! `InternalServiceErrorException`, Pinpoint's `InternalServerErrorException`, the
//! `InternalServerException` of Account, Backup Gateway and Connect Cases, DynamoDB's
//! `InternalServerError`, SNS's `InternalError`, S3's unmodeled `InternalError`, each with
//! different members and protocols. This crate gives them one taxonomy ([`ErrorClass`]), one record ([`ClassifiedError`])
//! and one policy ([`ServerErrorPolicy`]): bounded retries with backoff and jitter, no resend of
//! an operation that is not retry-safe after a failure that may have reached the server, server
//! retry hints honoured within bounds, a retry budget and an optional circuit breaker per
//! service, and logs and metrics named after OpenTelemetry's conventions ([`telemetry`]).
//!
//! Only internal-server errors follow this policy's retries. Throttling, client and transport
//! errors keep the client's own retry configuration (throttling is recognised as every modeled
//! throttling error and any 429, also where the SDK's own classifiers miss it, as SNS's
//! `Throttled`: such an error is retried as throttling where the plain SDK would not retry it),
//! and the caller always gets the SDK's own typed error; the one exception is a call the circuit
//! breaker fails fast ([`circuit_open`]).
//!
//! # Use it
//!
//! Build a [`PolicyConfig`] (in code, or deserialized from your application's config), make a
//! [`ServerErrorPolicy`] of it, and register the policy on each client with the adapter crate of
//! its service: `aws-server-errors-signer`, `-pinpoint`, `-account`, `-backupgateway`,
//! `-connectcases`, `-dynamodb`, `-sns`, `-s3`. This crate names no service: each adapter crate carries its service's
//! tables and exports its [`Service`] handle as `SERVICE`. Here a Signer client meets two
//! internal errors, injected by the fault kit (`aws-server-errors-fault`), and the policy
//! retries them:
//!
//! ```
//! use aws_server_errors::{PolicyConfig, ServerErrorPolicy};
//! use aws_server_errors_fault::{Fault, FaultInjector, FaultPlan};
//! use aws_server_errors_signer::{ServerErrorPolicyExt as _, SERVICE as SIGNER};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let policy = ServerErrorPolicy::new(PolicyConfig::builder().max_attempts(4).build()?)?;
//!
//! // In an application: `aws_config::load_defaults(BehaviorVersion::latest()).await`.
//! let injector = FaultInjector::new(FaultPlan::new().fail_first(2, Fault::InternalError));
//! let sdk_config = aws_server_errors_fault::sdk_config("http://localhost");
//! let config = aws_sdk_signer::config::Builder::from(&sdk_config)
//!     .http_client(injector.http_client(&SIGNER))
//!     .server_error_policy(&policy) // the one-call registration
//!     .build();
//! let signer = aws_sdk_signer::Client::from_conf(config);
//!
//! signer.get_signing_profile().profile_name("release").send().await?;
//! assert_eq!(injector.attempts(&SIGNER, "GetSigningProfile"), 3);
//! // Each service has its own retry budget (default capacity 20 tokens; a retry that was sent
//! // and failed again keeps its token, so one is spent here).
//! let tokens = policy.retry_budget_tokens(&SIGNER);
//! assert!(tokens.is_some_and(|t| t < 20.0));
//! # Ok(()) }
//! ```
//!
//! A service with no adapter crate gets the same policy in one call on any SDK config builder,
//! through `aws-server-errors-services` (the facts of every service of the SDK): its
//! `server_error_policy!(builder, &policy)` classifies each failed attempt from the raw response
//! (`docs/generic-path.md`).
//!
//! The same configuration from TOML (any serde format works; durations are humantime strings,
//! service keys are the crate's `pinpoint` or the metric label's `Pinpoint`). A config that names
//! services is checked against the services passed to [`ServerErrorPolicy::with_services`]:
//!
//! ```
//! use aws_server_errors::{PolicyConfig, ServerErrorPolicy};
//! use aws_server_errors_backupgateway::SERVICE as BACKUPGATEWAY;
//! use aws_server_errors_pinpoint::SERVICE as PINPOINT;
//!
//! let config: PolicyConfig = toml::from_str(r#"
//!     max_attempts = 4
//!     initial_backoff = "50ms"
//!     time_budget = "2s"
//!
//!     [circuit_breaker]
//!     enabled = true
//!     max_break_duration = "10s"
//!
//!     [services."Backup Gateway"]
//!     enabled = false
//!
//!     [services.Pinpoint.operations.SendMessages]
//!     max_attempts = 1
//! "#)?;
//! // Validated: a bad value or an unknown name is an error naming its field.
//! let policy = ServerErrorPolicy::with_services(config, [&PINPOINT, &BACKUPGATEWAY])?;
//! assert!(!policy.is_enabled(&BACKUPGATEWAY));
//! assert!(policy.is_enabled(&PINPOINT));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! Per call, [`CallOverride`] changes the attempts of one call, and [`circuit_open`] tells a
//! call the breaker failed fast from the service's own errors.
//!
//! # Where things are
//!
//! [`adapter`] (the taxonomy and record), [`failure`] (whether a failed request may have been
//! applied), `classify` (one attempt into the taxonomy), `wire_code` (the error code of a raw
//! response, per protocol), `decide` (the decision rule), `budget`
//! (the retry budget), `call` (per-call control, [`CallOverride`]), [`breaker`] (the circuit
//! breaker), [`config`], [`policy`] (the object users register), `interceptor` (where the SDK is
//! steered), [`telemetry`] (metric and log names), [`catalog`] (the shape of the per-operation
//! facts each adapter crate generates), [`Service`] (the handle each adapter crate exports).
//! The guides: [configuration](https://github.com/aws-server-errors/aws-server-errors/blob/main/docs/configuration.md),
//! [metrics](https://github.com/aws-server-errors/aws-server-errors/blob/main/docs/metrics.md) and
//! [alerts](https://github.com/aws-server-errors/aws-server-errors/tree/main/docs/alerts),
//! [design](https://github.com/aws-server-errors/aws-server-errors/blob/main/docs/design.md), and the
//! [retry safety of every operation](https://github.com/aws-server-errors/aws-server-errors/blob/main/docs/retry-safety.md).
//!
//! # SDK features
//!
//! The crate switches on no feature of the SDK crates but one: `aws-smithy-types/test-util`.
//! It un-hides a single setter, `RetryConfig::with_use_static_exponential_base`, and adds no
//! dependency and no code path of its own. The interceptor sets it on the `RetryConfig` it stores
//! for one call when it decides a retry, so that the SDK's standard retry strategy waits exactly
//! the delay the policy chose (`min(d * 2^k, d) * 1 = d`) instead of a random fraction of it.
//! There is no other way to get an exact delay from the strategy: without it the strategy draws
//! its own jitter, and a server retry hint (`x-amz-retry-after`, through a retry classifier)
//! is clamped to `[t, t + 5 s]` around that random `t` under retry behaviour 2.1. The setter
//! changes nothing for anyone who does not call it, so enabling the feature in your build is
//! harmless: no default of `RetryConfig` or of any client changes.
#![deny(missing_docs)]
#![forbid(unsafe_code)]

pub mod adapter;
pub mod breaker;
mod budget;
mod call;
pub mod catalog;
mod classify;
mod clock;
pub mod config;
mod decide;
pub mod failure;
pub mod incident;
#[doc(hidden)]
pub mod interceptor;
pub mod policy;
mod retry_classifier;
mod sanitize;
mod state;
pub mod telemetry;
#[cfg(test)]
mod testing;
mod vocab;
mod wire_code;

pub use adapter::{ClassifiedError, Service, ServiceDetail};
pub use breaker::{circuit_open, CircuitOpen};
pub use call::CallOverride;
pub use catalog::{RetrySafety, ServiceCatalog};
pub use config::{
    CircuitBreakerConfig, CircuitBreakerOverrides, ConfigError, Jitter, LogLevel, OperationConfig, PolicyConfig,
    PolicyConfigBuilder, RetryBudgetConfig, RetryBudgetOverrides, RetryHintConfig, ServiceConfig,
};
pub use failure::Failure;
pub use incident::{IncidentReport, IncidentSample};
#[doc(hidden)]
pub use interceptor::ServerErrorInterceptor;
pub use policy::{NoCircuitBreaker, ServerErrorPolicy};
#[doc(hidden)]
pub use vocab::GiveUpReason;
pub use vocab::{CircuitEvent, CircuitState, ErrorClass, TransitionReason};

/// Types the registration macros of other crates name. Not a public API.
#[doc(hidden)]
pub mod __private {
    pub use aws_smithy_runtime_api::client::interceptors::SharedInterceptor;
    pub use aws_smithy_runtime_api::client::retries::classifiers::SharedRetryClassifier;
}

#[cfg(test)]
mod module_graph {
    //! The crate's modules import one another one way: no module imports one that imports it back
    //! (docs/design.md, "Pieces", draws the arrows). Read from the sources, as a reviewer would:
    //! every `crate::<module>` path outside comments and the `#[cfg(test)]` modules.

    use std::collections::{BTreeMap, BTreeSet};
    use std::path::Path;

    /// Each source file's top-level module and its code: comment lines and the `#[cfg(test)]`
    /// modules that close files left out, and test-only files skipped.
    fn sources() -> Vec<(String, String)> {
        fn walk(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
            for entry in std::fs::read_dir(dir).expect("src") {
                let path = entry.expect("entry").path();
                if path.is_dir() {
                    walk(&path, out);
                } else if path.extension().is_some_and(|e| e == "rs") {
                    out.push(path);
                }
            }
        }
        let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
        let mut files = Vec::new();
        walk(&src, &mut files);
        let mut sources = Vec::new();
        for file in files {
            let relative = file.strip_prefix(&src).expect("under src");
            let module = relative.components().next().expect("a component").as_os_str().to_string_lossy();
            let module = module.trim_end_matches(".rs").to_owned();
            if module == "testing" || relative.file_stem().is_some_and(|s| s == "tests") {
                continue; // test fixtures and test modules
            }
            let text = std::fs::read_to_string(&file).expect("readable");
            // An inline test module closes a file; a declared one (`mod tests;`) is its own file.
            let mut code = Vec::new();
            let mut lines = text.lines().map(str::trim).peekable();
            while let Some(line) = lines.next() {
                if line == "#[cfg(test)]" && lines.peek().is_some_and(|next| next.starts_with("mod ")) {
                    if lines.next().is_some_and(|declaration| declaration.ends_with('{')) {
                        break;
                    }
                    continue;
                }
                if !line.starts_with("//") {
                    code.push(line);
                }
            }
            sources.push((module, code.join("\n")));
        }
        sources
    }

    /// Each top-level module and the top-level modules its code names.
    fn imports() -> BTreeMap<String, BTreeSet<String>> {
        let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        for (module, code) in sources() {
            let names = graph.entry(module.clone()).or_default();
            for line in code.lines() {
                for (i, _) in line.match_indices("crate::") {
                    let rest = &line[i + "crate::".len()..];
                    let name: String = rest.chars().take_while(|c| c.is_ascii_lowercase() || *c == '_').collect();
                    if !name.is_empty() && name != module {
                        names.insert(name);
                    }
                }
            }
        }
        graph
    }

    /// Every metric and log event comes from `telemetry` (the observer); the engine's modules
    /// (the decision and the state it keeps) import none of it, and emit nothing themselves.
    #[test]
    fn telemetry_alone_emits_and_the_engine_imports_none_of_it() {
        const EMITTERS: [&str; 12] = [
            "event!(",
            "event_at!(",
            "error!(",
            "warn!(",
            "info!(",
            "debug!(",
            "trace!(",
            "counter!(",
            "gauge!(",
            "histogram!(",
            "metrics::with_recorder",
            "register_",
        ];
        let sources = sources();
        assert!(sources.iter().any(|(m, _)| m == "telemetry"), "read the sources");
        for (module, code) in &sources {
            if module == "telemetry" {
                continue;
            }
            for emitter in EMITTERS {
                assert!(!code.contains(emitter), "{module} emits ({emitter}): only telemetry does");
            }
        }
        let graph = imports();
        for engine in
            ["budget", "breaker", "incident", "clock", "decide", "classify", "failure", "catalog", "sanitize", "state"]
        {
            assert!(!graph[engine].contains("telemetry"), "{engine} imports telemetry: {:?}", graph[engine]);
        }
    }

    #[test]
    fn no_module_imports_one_that_imports_it_back() {
        let graph = imports();
        assert!(graph.len() > 15, "read the modules: {graph:?}");
        let reaches = |from: &str, to: &str| {
            let mut seen = BTreeSet::new();
            let mut stack = vec![from.to_owned()];
            while let Some(module) = stack.pop() {
                for next in graph.get(&module).into_iter().flatten() {
                    if next == to {
                        return true;
                    }
                    if seen.insert(next.clone()) {
                        stack.push(next.clone());
                    }
                }
            }
            false
        };
        let circles: Vec<_> = graph
            .iter()
            .flat_map(|(module, names)| names.iter().map(move |n| (module.clone(), n.clone())))
            .filter(|(module, name)| reaches(name, module))
            .collect();
        assert!(circles.is_empty(), "imports that come back: {circles:?}\n{graph:#?}");
        for leaf in ["vocab", "failure", "clock", "catalog", "sanitize"] {
            assert!(graph[leaf].is_empty(), "{leaf} is at the bottom: {:?}", graph[leaf]);
        }
    }
}
