//! Wire-exact failures of the services that have an adapter crate, for testing code that calls
//! them. A service is named by its
//! adapter crate's `SERVICE` handle, the one the policy takes; what the kit puts on the wire comes
//! from the service's generated catalog (its protocol, error shapes and their members), so the
//! kit itself names no service.
//!
//! A [`FaultPlan`] says which requests fail and how ("the first N attempts", "a fraction p",
//! "operation X only", or any predicate: [`Rule::when`]), and whether the request is applied
//! before it fails ([`Rule::committed`], the case that makes retrying a non-idempotent operation
//! unsafe). A [`FaultInjector`] carries it out and records every request. It comes in two forms
//! that share one plan and one record:
//!
//! - an in-process SDK HTTP client, [`FaultInjector::http_client`], for
//!   `config::Builder::http_client`: no sockets, no I/O, and optionally a modeled latency waited
//!   on the client's own sleep, so it works on virtual time
//!   ([`FaultInjectingClient::latency`]);
//! - a loopback HTTP server, [`FaultServer`], for `endpoint_url`: the SDK's real HTTP stack.
//!
//! Failures are what each service sends in its protocol (restJson1, Smithy RPC v2 CBOR, awsJson,
//! awsQuery, restXml; ec2Query services get a bare 500), so the SDK's own deserializers parse them
//! into the service's typed errors. Requests the plan does not fail go to a [`Responder`] (by default
//! [`MinimalSuccess`], a `200` valid for the SDK's builders that carries the identifiers AWS
//! returns; a closure with [`responder_fn`]) or, for the HTTP client, to a real HTTP client of your
//! choice.
//!
//! The loopback form with a real SDK client (the crate's README):
//!
#![doc = include_str!("../README.md")]
#![deny(missing_docs)]
#![forbid(unsafe_code)]

mod client;
#[doc(hidden)] // plumbing: how a request is recognised
pub mod route;
mod server;
#[doc(hidden)] // plumbing: the wire responses, used by the benchmarks
pub mod wire;

use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard};

use aws_server_errors::Service;
use bytes::Bytes;
use http::Response;

pub use client::FaultInjectingClient;
pub use server::{refused_endpoint, sdk_config, FaultServer, READ_TIMEOUT};

/// A [`FaultPlan`] that names something that does not exist.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum PlanError {
    /// A rule names a service and an operation that service does not have: the rule could never
    /// fire.
    UnknownOperation {
        /// The index of the rule in the plan, from 0.
        rule: usize,
        /// The operation as written.
        operation: String,
        /// The rule's service.
        service: &'static Service,
        /// The operation the name most likely means (a typo or a wrong case), if any.
        suggestion: Option<&'static str>,
    },
    /// A rule names an operation but no service, and none of the services it is served to has
    /// that operation ([`FaultPlan::validate_for`], [`FaultServer::start`]).
    NoServiceHasOperation {
        /// The index of the rule in the plan, from 0.
        rule: usize,
        /// The operation as written.
        operation: String,
        /// The operation the name most likely means, the nearest across the services served.
        suggestion: Option<&'static str>,
    },
}

impl fmt::Display for PlanError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let hint = |s: &Option<&str>| s.map(|s| format!("; did you mean {s}?")).unwrap_or_default();
        match self {
            Self::UnknownOperation { rule, operation, service, suggestion } => {
                write!(f, "rule {rule}: {service} has no operation named {operation:?}{}", hint(suggestion))
            }
            Self::NoServiceHasOperation { rule, operation, suggestion } => {
                write!(f, "rule {rule}: no service served has an operation named {operation:?}{}", hint(suggestion))
            }
        }
    }
}

impl std::error::Error for PlanError {}

/// A failure to inject.
///
/// ```
/// use std::time::Duration;
/// use aws_server_errors_fault::{Fault, FaultPlan, Rule};
///
/// let plan = FaultPlan::new()
///     .rule(Rule::new(Fault::InternalError).first(2)) // the service's modeled 500
///     .rule(Rule::new(Fault::BareStatus { status: 502, body: "<html>bad gateway</html>".into() }).first(1))
///     .rule(Rule::new(Fault::NoResponse).operation("GetApp")); // a read timeout
/// assert_eq!(Fault::Throttling.name(), "throttling");
/// # let _ = (plan, Duration::ZERO);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fault {
    /// The service's internal-server error shape, status 500, with its service-specific members.
    InternalError,
    /// The internal-server error with a `Retry-After` header of this exact value (Connect Cases
    /// models it as `retryAfterSeconds`; a value that is not an integer makes the SDK fail to parse
    /// the error, as it would with the real service).
    InternalErrorWithRetryAfter(String),
    /// The internal-server error inside a `200 OK`, as S3 sends it when a copy or a multipart
    /// completion fails after the request was accepted (`CopyObject`, `UploadPartCopy`,
    /// `CompleteMultipartUpload`; the SDK turns such a body into the operation's error). For an
    /// operation whose SDK deserializer does not look for an error in a 200
    /// ([`ServiceCatalog::errors_in_200`](aws_server_errors::ServiceCatalog): every operation of
    /// the other services, S3's streaming ones), the same as [`InternalError`](Self::InternalError).
    InternalErrorIn200,
    /// The service's throttling shape, with the status it arrives with (429 for most, 400 for
    /// DynamoDB, 503 for S3's `SlowDown`).
    Throttling,
    /// A 500 with an HTML body and no error type, as a load balancer sends.
    Malformed,
    /// A bare HTTP status with this body and no error type (for example a proxy's 502 or 504,
    /// or a 500 with an HTML page): what a load balancer or gateway in front of a service sends.
    BareStatus {
        /// The HTTP status code.
        status: u16,
        /// The response body, sent as `text/html`.
        body: String,
    },
    /// The request is read and never answered: the client's read timeout (or its attempt or
    /// operation timeout) ends the attempt. The in-process client waits for the SDK's read
    /// timeout on the client's sleep and then fails as the SDK's HTTP client does; without one
    /// it never answers.
    NoResponse,
    /// The request is read, then the connection is closed without a response (the client sees
    /// an incomplete message).
    CloseAfterRequest,
    /// The connection is refused: the request is never sent. The in-process client fails the
    /// request as the SDK's HTTP client does for a refused connection. A server cannot refuse
    /// one request on a connection it has accepted, so over real HTTP use
    /// [`refused_endpoint`] instead (a loopback address nothing listens on); the loopback
    /// server answers this fault by closing the connection at once.
    ConnectionRefused,
}

impl Fault {
    /// Whether the service itself answers (its error shapes, with an AWS request id), rather than
    /// a gateway in front of it or nothing at all.
    fn is_service_response(&self) -> bool {
        matches!(
            self,
            Self::InternalError | Self::InternalErrorWithRetryAfter(_) | Self::InternalErrorIn200 | Self::Throttling
        )
    }

    /// A short name for records and logs.
    pub fn name(&self) -> &'static str {
        match self {
            Self::InternalError => "internal_error",
            Self::InternalErrorWithRetryAfter(_) => "internal_error_retry_after",
            Self::InternalErrorIn200 => "internal_error_in_200",
            Self::Throttling => "throttling",
            Self::Malformed => "malformed",
            Self::BareStatus { .. } => "bare_status",
            Self::NoResponse => "no_response",
            Self::CloseAfterRequest => "close_after_request",
            Self::ConnectionRefused => "connection_refused",
        }
    }
}

/// When a [`Rule`] fires, counted over the requests that match its filters.
#[derive(Debug, Clone, PartialEq)]
pub enum Schedule {
    /// Every matching request.
    Always,
    /// The first `n` matching requests, then none.
    FirstN(u32),
    /// Each matching request independently with probability `p` (from the plan's seeded RNG).
    Fraction(f64),
    /// Each matching request for which the predicate returns `true`; see [`Rule::when`].
    When(Predicate),
}

/// A caller-supplied test over a request, for [`Schedule::When`]: time windows ("an outage from
/// 60 s to 120 s"), schedules keyed by the caller's own call ids, and so on.
///
/// It runs while the injector holds its lock, so it must not call back into the injector.
/// Two predicates are equal only if they are the same `Arc`.
#[derive(Clone)]
pub struct Predicate(Arc<dyn Fn(&RequestInfo<'_>) -> bool + Send + Sync>);

impl Predicate {
    /// Wraps `f`.
    pub fn new(f: impl Fn(&RequestInfo<'_>) -> bool + Send + Sync + 'static) -> Self {
        Self(Arc::new(f))
    }

    fn test(&self, request: &RequestInfo<'_>) -> bool {
        (self.0)(request)
    }
}

impl fmt::Debug for Predicate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Predicate(..)")
    }
}

impl PartialEq for Predicate {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }
}

/// One line of a [`FaultPlan`]: a fault, when it fires, and which requests it applies to.
///
/// ```
/// use aws_server_errors_fault::{Fault, Rule};
/// use aws_server_errors_pinpoint::SERVICE as PINPOINT;
///
/// // A write applied by the service, then failed with a 500: what makes a resend a duplicate.
/// let committed = Rule::new(Fault::InternalError).service(&PINPOINT).operation("SendMessages").committed();
/// // An outage of calls marked by the test.
/// let outage = Rule::new(Fault::InternalError).when(|request| request.operation == Some("GetApp"));
/// # let _ = (committed, outage);
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Rule {
    fault: Fault,
    schedule: Schedule,
    service: Option<&'static Service>,
    operation: Option<String>,
    committed: bool,
}

impl Rule {
    /// A rule that injects `fault` into every request.
    pub fn new(fault: Fault) -> Self {
        Self { fault, schedule: Schedule::Always, service: None, operation: None, committed: false }
    }

    /// Fires for each matching request for which `predicate` returns `true`. The predicate runs
    /// once per matching request, in arrival order, while the injector holds its lock: it must
    /// not call back into the injector.
    pub fn when(mut self, predicate: impl Fn(&RequestInfo<'_>) -> bool + Send + Sync + 'static) -> Self {
        self.schedule = Schedule::When(Predicate::new(predicate));
        self
    }

    /// Makes the fault a "committed then failed" one: the request is first applied (the
    /// [`Responder`] answers it, or the passthrough client forwards it, so any side effect
    /// happens) and the client then gets the fault instead of the real answer. This is what a
    /// 500 after a write reached storage looks like, the case that makes retrying a
    /// non-idempotent operation unsafe.
    pub fn committed(mut self) -> Self {
        self.committed = true;
        self
    }

    /// Fires for the first `n` matching requests only.
    pub fn first(mut self, n: u32) -> Self {
        self.schedule = Schedule::FirstN(n);
        self
    }

    /// Fires for each matching request with probability `p` (clamped to `0..=1`).
    pub fn fraction(mut self, p: f64) -> Self {
        self.schedule = Schedule::Fraction(p.clamp(0.0, 1.0));
        self
    }

    /// Applies to requests for `operation` only (the SDK's name, e.g. `"SendMessages"`).
    pub fn operation(mut self, operation: impl Into<String>) -> Self {
        self.operation = Some(operation.into());
        self
    }

    /// Applies to requests for `service` only (an adapter crate's `SERVICE`).
    pub fn service(mut self, service: &'static Service) -> Self {
        self.service = Some(service);
        self
    }

    fn matches(&self, service: &Service, operation: Option<&str>) -> bool {
        self.service.is_none_or(|s| s == service) && self.operation.as_deref().is_none_or(|op| operation == Some(op))
    }
}

/// An ordered list of [`Rule`]s; the first rule that matches a request and fires decides it.
///
/// ```
/// use std::time::Duration;
/// use aws_server_errors_fault::{Fault, FaultInjector, FaultPlan, Rule};
/// use aws_server_errors_signer::SERVICE as SIGNER;
///
/// let plan = FaultPlan::new()
///     .latency(Duration::from_millis(20))
///     .rule(Rule::new(Fault::Throttling).first(1))
///     .fail_always(Fault::InternalError);
/// plan.validate()?;
/// let injector = FaultInjector::new(plan);
/// let _client = injector.http_client(&SIGNER); // for config::Builder::http_client
/// # Ok::<(), aws_server_errors_fault::PlanError>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct FaultPlan {
    rules: Vec<Rule>,
    seed: u64,
    latency: std::time::Duration,
}

impl Default for FaultPlan {
    fn default() -> Self {
        Self::new()
    }
}

impl FaultPlan {
    /// A plan that fails nothing, with RNG seed 0.
    pub fn new() -> Self {
        Self { rules: Vec::new(), seed: 0, latency: std::time::Duration::ZERO }
    }

    /// Models a service latency for both forms: every answer the injector makes itself (a fault
    /// or the responder's) arrives `latency` after its request. The in-process client waits on
    /// the SDK client's own sleep (so virtual time works; [`FaultInjectingClient::latency`]
    /// overrides it per client), the [`FaultServer`] on Tokio's timer. Default: zero.
    pub fn latency(mut self, latency: std::time::Duration) -> Self {
        self.latency = latency;
        self
    }

    /// Checks that every rule that names a service and an operation can fire: the operation
    /// exists in that service. (A rule without a service may match requests of any service;
    /// give it its service to have its operation checked.)
    ///
    /// # Errors
    /// [`PlanError::UnknownOperation`] for the first rule that names no existing operation.
    pub fn validate(&self) -> Result<(), PlanError> {
        for (index, rule) in self.rules.iter().enumerate() {
            let (Some(operation), Some(service)) = (rule.operation.as_deref(), rule.service) else { continue };
            if service.operation(operation).is_none() {
                let suggestion = service.catalog().nearest_operation(operation);
                return Err(PlanError::UnknownOperation {
                    rule: index,
                    operation: operation.to_owned(),
                    service,
                    suggestion,
                });
            }
        }
        Ok(())
    }

    /// [`validate`](Self::validate), and also checks the rules that name an operation but no
    /// service against `services`, the services the plan is served to: one of them must have the
    /// operation. [`FaultServer::start`] runs it; for the in-process client, which serves one
    /// service per [`http_client`](FaultInjector::http_client), run it yourself with every
    /// service your test builds a client of.
    ///
    /// # Errors
    /// [`PlanError::UnknownOperation`], or [`PlanError::NoServiceHasOperation`] for the first rule
    /// without a service whose operation none of `services` has.
    ///
    /// ```
    /// use aws_server_errors_fault::{Fault, FaultPlan, PlanError, Rule};
    /// use aws_server_errors_pinpoint::SERVICE as PINPOINT;
    /// use aws_server_errors_signer::SERVICE as SIGNER;
    ///
    /// let typo = FaultPlan::new().rule(Rule::new(Fault::InternalError).operation("GetAp"));
    /// typo.validate()?; // no service named: it cannot know
    /// let error = typo.validate_for(&[&SIGNER, &PINPOINT]).unwrap_err();
    /// assert_eq!(error.to_string(), r#"rule 0: no service served has an operation named "GetAp"; did you mean GetApp?"#);
    /// # Ok::<(), PlanError>(())
    /// ```
    pub fn validate_for(&self, services: &[&'static Service]) -> Result<(), PlanError> {
        self.validate()?;
        for (index, rule) in self.rules.iter().enumerate() {
            let (Some(operation), None) = (rule.operation.as_deref(), rule.service) else { continue };
            if services.iter().any(|s| s.operation(operation).is_some()) {
                continue;
            }
            let names = services.iter().flat_map(|s| s.catalog().operations.iter().map(|op| op.name));
            let suggestion = aws_server_errors::catalog::nearest(operation, names, |s| s.to_ascii_lowercase());
            return Err(PlanError::NoServiceHasOperation { rule: index, operation: operation.to_owned(), suggestion });
        }
        Ok(())
    }

    /// Sets the seed of the RNG behind [`Schedule::Fraction`]: the same seed and the same request
    /// sequence give the same faults.
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// Adds a rule after the existing ones.
    pub fn rule(mut self, rule: Rule) -> Self {
        self.rules.push(rule);
        self
    }

    /// Fails the first `n` requests (of any service and operation) with `fault`.
    pub fn fail_first(self, n: u32, fault: Fault) -> Self {
        self.rule(Rule::new(fault).first(n))
    }

    /// Fails each request with probability `p`.
    pub fn fail_fraction(self, p: f64, fault: Fault) -> Self {
        self.rule(Rule::new(fault).fraction(p))
    }

    /// Fails every request.
    pub fn fail_always(self, fault: Fault) -> Self {
        self.rule(Rule::new(fault))
    }
}

/// What a request looked like and what was done with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestRecord {
    /// The service, if the request could be attributed to one.
    pub service: Option<&'static Service>,
    /// The operation, if the request matched one of the service's HTTP bindings.
    pub operation: Option<&'static str>,
    /// The fault injected, or `None` if the request was passed through.
    pub fault: Option<Fault>,
    /// The AWS request id the response carried: injected responses of the service itself only
    /// (its error shapes); a gateway's page, a timeout or a closed connection carry none.
    pub request_id: Option<String>,
    /// Whether the request was applied: answered by the responder or forwarded by the
    /// passthrough client. `true` for requests the plan did not fail and for "committed then
    /// failed" ones ([`Rule::committed`]).
    pub applied: bool,
}

/// What a request looks like to a [`Responder`].
#[derive(Debug, Clone, Copy)]
pub struct RequestInfo<'a> {
    /// The service, if known.
    pub service: Option<&'static Service>,
    /// The operation, if known.
    pub operation: Option<&'static str>,
    /// The HTTP method.
    pub method: &'a str,
    /// The path and query.
    pub path_and_query: &'a str,
    /// The request body.
    pub body: &'a [u8],
}

/// Answers the requests a plan does not fail. Implement it, or make one from a closure with
/// [`responder_fn`].
///
/// ```
/// use aws_server_errors_fault::{FaultInjector, FaultPlan, MinimalSuccess, RequestInfo, Responder};
/// use bytes::Bytes;
///
/// /// Counts the requests that reached the "service", and answers as the default does.
/// #[derive(Debug, Default)]
/// struct Counting(std::sync::atomic::AtomicUsize);
///
/// impl Responder for Counting {
///     fn respond(&self, request: &RequestInfo<'_>) -> http::Response<Bytes> {
///         self.0.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
///         MinimalSuccess.respond(request)
///     }
/// }
/// let injector = FaultInjector::with_responder(FaultPlan::new(), Counting::default());
/// # let _ = injector;
/// ```
pub trait Responder: Send + Sync + fmt::Debug + 'static {
    /// The response to `request`.
    fn respond(&self, request: &RequestInfo<'_>) -> Response<Bytes>;
}

/// The default [`Responder`]: `200` with a body valid for the SDK's builders, in the service's
/// protocol: the operation's required string members, nested in its required structures, and
/// the identifiers AWS returns with every success (a top-level string member named `*Id`: SNS
/// `MessageId`, S3 `UploadId`), each set to `"fault-kit-<member>"` (generated from the models);
/// an `ETag` header where the output binds one (S3's objects), and `fault-kit-body` where the
/// output is a blob (S3 `GetObject`). The SDK fills every other required member with its own
/// default. So an id a response carries can be used in the next request: Connect Cases
/// `CreateCase` returns `case_id = "fault-kit-caseId"`, which `GetCase` accepts. Other optional
/// members are absent. `404` when the service is unknown.
#[derive(Debug, Clone, Copy, Default)]
pub struct MinimalSuccess;

impl Responder for MinimalSuccess {
    fn respond(&self, request: &RequestInfo<'_>) -> Response<Bytes> {
        match request.service {
            Some(service) => wire::success(service, request.operation, "passthrough"),
            None => Response::builder().status(404).body(Bytes::new()).expect("static response is valid"),
        }
    }
}

/// The former name of [`MinimalSuccess`], whose bodies were empty.
#[deprecated(note = "renamed MinimalSuccess; its bodies are now valid for the SDK's builders")]
pub type EmptySuccess = MinimalSuccess;

/// A [`Responder`] from a closure: `responder_fn(|request| ...)`. The closure gets each request
/// the plan does not fail and returns its response; [`MinimalSuccess`] and [`success_response`]
/// build the usual ones.
///
/// ```
/// use aws_server_errors_fault::{responder_fn, success_response, FaultInjector, FaultPlan, MinimalSuccess, Responder};
/// use serde_json::json;
///
/// // A Connect Cases GetCase that returns a field, every other request the default success.
/// let responder = responder_fn(|request| match (request.service, request.operation) {
///     (Some(service), Some("GetCase")) => success_response(service, &json!({ "templateId": "t-1", "fields": [] })),
///     _ => MinimalSuccess.respond(request),
/// });
/// let injector = FaultInjector::with_responder(FaultPlan::new(), responder);
/// # let _ = injector;
/// ```
pub fn responder_fn<F>(respond: F) -> FnResponder<F>
where
    F: Fn(&RequestInfo<'_>) -> Response<Bytes> + Send + Sync + 'static,
{
    FnResponder(respond)
}

/// A [`Responder`] made by [`responder_fn`].
#[derive(Clone)]
pub struct FnResponder<F>(F);

impl<F> fmt::Debug for FnResponder<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("FnResponder")
    }
}

impl<F> Responder for FnResponder<F>
where
    F: Fn(&RequestInfo<'_>) -> Response<Bytes> + Send + Sync + 'static,
{
    fn respond(&self, request: &RequestInfo<'_>) -> Response<Bytes> {
        (self.0)(request)
    }
}

/// A `200` success of `service` with `body`, encoded as its protocol does (JSON for restJson1 and
/// awsJson, CBOR for RPC v2 CBOR; an empty body, `body` not encoded, for the XML protocols), with
/// a request id: for a [`Responder`] that returns its own output.
pub fn success_response(service: &'static Service, body: &serde_json::Value) -> Response<Bytes> {
    wire::success_with_body(service, body, "responder")
}

/// Carries out a [`FaultPlan`] and records every request. Cheap to clone; clones share the plan's
/// counters, the RNG and the record.
#[derive(Debug, Clone)]
pub struct FaultInjector {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    plan: FaultPlan,
    responder: Arc<dyn Responder>,
    state: Mutex<State>,
}

#[derive(Debug)]
struct State {
    matched: Vec<u32>,
    rng: fastrand::Rng,
    next_request_id: u64,
    records: Vec<RequestRecord>,
}

impl FaultInjector {
    /// An injector for `plan` that answers other requests with [`MinimalSuccess`].
    ///
    /// # Panics
    /// When the plan names an operation that does not exist ([`FaultPlan::validate`]): a test
    /// with a misspelt operation fails at once instead of passing with a rule that never fires.
    /// [`try_new`](Self::try_new) returns the error instead.
    pub fn new(plan: FaultPlan) -> Self {
        Self::with_responder(plan, MinimalSuccess)
    }

    /// [`new`](Self::new), with the plan's error returned instead of a panic.
    ///
    /// # Errors
    /// [`PlanError::UnknownOperation`] (see [`FaultPlan::validate`]).
    ///
    /// ```
    /// use aws_server_errors_fault::{Fault, FaultInjector, FaultPlan, PlanError, Rule};
    /// use aws_server_errors_pinpoint::SERVICE as PINPOINT;
    ///
    /// let typo = FaultPlan::new().rule(Rule::new(Fault::InternalError).service(&PINPOINT).operation("SendMessage"));
    /// let error = FaultInjector::try_new(typo).unwrap_err();
    /// assert!(matches!(error, PlanError::UnknownOperation { rule: 0, .. }));
    /// assert_eq!(error.to_string(), r#"rule 0: Pinpoint has no operation named "SendMessage"; did you mean SendMessages?"#);
    /// ```
    pub fn try_new(plan: FaultPlan) -> Result<Self, PlanError> {
        plan.validate()?;
        Ok(Self::with_responder(plan, MinimalSuccess))
    }

    /// An injector for `plan` that answers other requests with `responder`.
    ///
    /// # Panics
    /// As [`new`](Self::new), on a plan that names an operation that does not exist.
    pub fn with_responder(plan: FaultPlan, responder: impl Responder) -> Self {
        if let Err(error) = plan.validate() {
            panic!("invalid fault plan: {error}");
        }
        let state = State {
            matched: vec![0; plan.rules.len()],
            rng: fastrand::Rng::with_seed(plan.seed),
            next_request_id: 1,
            records: Vec::new(),
        };
        Self { inner: Arc::new(Inner { plan, responder: Arc::new(responder), state: Mutex::new(state) }) }
    }

    /// The in-process SDK HTTP client form, for clients of `service` (an adapter crate's
    /// `SERVICE`). Its latency starts as the plan's ([`FaultPlan::latency`]).
    pub fn http_client(&self, service: &'static Service) -> FaultInjectingClient {
        FaultInjectingClient::new(self.clone(), service).latency(self.inner.plan.latency)
    }

    /// The plan.
    pub(crate) fn plan(&self) -> &FaultPlan {
        &self.inner.plan
    }

    /// The plan's modeled latency.
    pub(crate) fn latency(&self) -> std::time::Duration {
        self.inner.plan.latency
    }

    /// Every request seen so far, in order.
    pub fn requests(&self) -> Vec<RequestRecord> {
        self.state().records.clone()
    }

    /// How many requests for `operation` of `service` were seen (injected or passed through).
    ///
    /// # Panics
    /// When `service` has no operation of that name: a misspelt name would count 0 and let an
    /// assertion of "nothing was sent" pass. The message suggests the name meant.
    pub fn attempts(&self, service: &Service, operation: &str) -> usize {
        if service.operation(operation).is_none() {
            let hint = service.catalog().nearest_operation(operation).map(|s| format!("; did you mean {s}?"));
            panic!("{service} has no operation named {operation:?}{}", hint.unwrap_or_default());
        }
        self.state().records.iter().filter(|r| r.service == Some(service) && r.operation == Some(operation)).count()
    }

    /// Forgets the record and restarts every rule's count (the RNG keeps its position).
    pub fn reset(&self) {
        let mut state = self.state();
        state.records.clear();
        state.matched.iter_mut().for_each(|m| *m = 0);
    }

    fn state(&self) -> MutexGuard<'_, State> {
        // A panic while holding the lock leaves only counters behind: keep going.
        self.inner.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Decides one request: the fault to inject and whether it is committed first, or `None`
    /// to apply it normally. Records it.
    fn decide(&self, request: &RequestInfo<'_>) -> Option<(Injected, bool)> {
        let mut state = self.state();
        let mut chosen = None;
        if let Some(service) = request.service {
            for (i, rule) in self.inner.plan.rules.iter().enumerate() {
                if !rule.matches(service, request.operation) {
                    continue;
                }
                let seen = state.matched[i];
                state.matched[i] += 1;
                let fires = match &rule.schedule {
                    Schedule::Always => true,
                    Schedule::FirstN(n) => seen < *n,
                    Schedule::Fraction(p) => state.rng.f64() < *p,
                    Schedule::When(predicate) => predicate.test(request),
                };
                if fires {
                    chosen = Some((rule.fault.clone(), rule.committed));
                    break;
                }
            }
        }
        // A request id only where the service itself answers: no response, or a gateway's page,
        // carries none.
        let request_id = chosen.as_ref().filter(|(fault, _)| fault.is_service_response()).map(|_| {
            let n = state.next_request_id;
            state.next_request_id += 1;
            format!("00000000-0000-4000-8000-{n:012x}")
        });
        let response = match (&chosen, request.service) {
            (Some((fault, committed)), Some(service)) => {
                // An error inside a 200 only where the SDK looks for one; elsewhere a 500.
                let in_200_read = request.operation.is_some_and(|op| service.catalog().error_in_200(op));
                let fault = match fault {
                    Fault::InternalErrorIn200 if !in_200_read => &Fault::InternalError,
                    fault => fault,
                };
                let injected = match fault {
                    Fault::NoResponse => Injected::NoResponse,
                    Fault::CloseAfterRequest => Injected::Close,
                    Fault::ConnectionRefused => Injected::Refuse,
                    _ => Injected::Respond(wire::error_response(service, fault, request_id.as_deref().unwrap_or(""))),
                };
                Some((injected, *committed))
            }
            _ => None,
        };
        // A refused connection never reaches the server, committed or not.
        let applied = chosen.as_ref().is_none_or(|(fault, committed)| *committed && *fault != Fault::ConnectionRefused);
        let (fault, _) = chosen.unzip();
        state.records.push(RequestRecord {
            service: request.service,
            operation: request.operation,
            fault,
            request_id,
            applied,
        });
        response
    }

    /// Handles one request end to end: attribute it, decide, apply it, and say what to answer.
    /// `passthrough` says whether the caller forwards applied requests somewhere else instead of
    /// to the responder.
    fn handle(&self, info: RawRequest<'_>, passthrough: bool) -> Action {
        let service = match info.serves {
            Serves::One(service) => Some(service),
            Serves::Any(services) => {
                route::service_of(info.path(), info.target, info.authorization, services).or_else(|| {
                    let unsigned = info.authorization.is_none() && info.target.is_none();
                    unsigned
                        .then(|| route::unsigned_service_of(services, info.method, info.path_and_query, info.host))?
                })
            }
        };
        let operation = service
            .and_then(|s| {
                route::operation_of(s.catalog(), info.method, info.path_and_query, info.target, info.body, info.host)
            })
            .map(|op| op.name);
        let request = RequestInfo {
            service,
            operation,
            method: info.method,
            path_and_query: info.path_and_query,
            body: info.body,
        };
        match self.decide(&request) {
            Some((Injected::Refuse, _)) => Action::Fail(Injected::Refuse),
            Some((fault, false)) => Action::Fail(fault),
            Some((fault, true)) if passthrough => Action::ForwardThenFail(fault),
            Some((fault, true)) => {
                // Applied, then failed: the responder's answer is lost, as the client's would be.
                let _ = self.inner.responder.respond(&request);
                Action::Fail(fault)
            }
            None if passthrough => Action::Forward,
            None => Action::Fail(Injected::Respond(self.inner.responder.respond(&request))),
        }
    }
}

/// How an injected fault reaches the client.
enum Injected {
    /// This response (an error, or the responder's answer).
    Respond(Response<Bytes>),
    /// No response at all.
    NoResponse,
    /// The connection closes after the request.
    Close,
    /// The connection is refused (never committed: nothing reached the server).
    Refuse,
}

/// What to do with a request after [`FaultInjector::handle`].
enum Action {
    /// Answer it as `Injected` says.
    Fail(Injected),
    /// Forward it to the passthrough client and return that client's answer.
    Forward,
    /// Forward it, discard the answer, and fail it as `Injected` says instead.
    ForwardThenFail(Injected),
}

/// The services a form serves.
#[derive(Clone, Copy)]
enum Serves<'a> {
    /// One, known without looking at the request (the in-process client).
    One(&'static Service),
    /// Any of these, found from each request as a front end would (the server).
    Any(&'a [&'static Service]),
}

/// A request as both forms receive it, before it is attributed to a service and operation.
struct RawRequest<'a> {
    serves: Serves<'a>,
    method: &'a str,
    path_and_query: &'a str,
    authorization: Option<&'a str>,
    /// The awsJson `X-Amz-Target` header.
    target: Option<&'a str>,
    /// The host (and port) the request was sent to: an S3 bucket, in virtual-hosted style.
    host: Option<&'a str>,
    body: &'a [u8],
}

impl RawRequest<'_> {
    fn path(&self) -> &str {
        self.path_and_query.split('?').next().unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_server_errors_pinpoint::SERVICE as PINPOINT;
    use aws_server_errors_signer::SERVICE as SIGNER;

    /// The plan's latency holds on the server form too: a real Signer client over loopback
    /// waits for it (measured on the wall clock; the server's own timer makes the wait).
    #[tokio::test]
    async fn the_server_form_models_the_plans_latency() {
        let latency = std::time::Duration::from_millis(150);
        let injector = FaultInjector::new(FaultPlan::new().latency(latency));
        let server = FaultServer::start(injector.clone(), [&SIGNER]).await.unwrap();
        let signer = aws_sdk_signer::Client::new(&server.sdk_config());
        let started = std::time::Instant::now();
        signer.list_signing_profiles().send().await.unwrap();
        assert!(started.elapsed() >= latency, "answered after {:?}", started.elapsed());
        assert_eq!(injector.attempts(&SIGNER, "ListSigningProfiles"), 1);
    }

    /// A request the plan never answers ends at the server config's read timeout instead of
    /// hanging the test (on Tokio's paused clock, which the SDK's Tokio sleep follows).
    #[tokio::test(start_paused = true)]
    async fn a_request_never_answered_ends_at_the_read_timeout() {
        let injector = FaultInjector::new(FaultPlan::new().fail_always(Fault::NoResponse));
        let server = FaultServer::start(injector.clone(), [&SIGNER]).await.unwrap();
        let config = server.sdk_config();
        assert_eq!(config.timeout_config().and_then(|t| t.read_timeout()), Some(READ_TIMEOUT));
        let signer = aws_sdk_signer::Client::from_conf(
            aws_sdk_signer::config::Builder::from(&config)
                .retry_config(aws_sdk_signer::config::retry::RetryConfig::disabled())
                .build(),
        );
        let started = tokio::time::Instant::now();
        let error = signer.list_signing_profiles().send().await.unwrap_err();
        assert!(
            matches!(
                error,
                aws_sdk_signer::error::SdkError::TimeoutError(_) | aws_sdk_signer::error::SdkError::DispatchFailure(_)
            ),
            "{error:?}"
        );
        assert!(started.elapsed() >= READ_TIMEOUT, "ended after {:?}", started.elapsed());
        assert_eq!(injector.attempts(&SIGNER, "ListSigningProfiles"), 1);
    }

    #[test]
    fn a_rule_for_an_operation_its_service_lacks_is_an_error() {
        let plan = FaultPlan::new()
            .rule(Rule::new(Fault::Throttling).service(&PINPOINT).operation("GetApp"))
            .rule(Rule::new(Fault::InternalError).service(&PINPOINT).operation("GetAppp"));
        let error = FaultInjector::try_new(plan).unwrap_err();
        assert_eq!(
            error,
            PlanError::UnknownOperation {
                rule: 1,
                operation: "GetAppp".into(),
                service: &PINPOINT,
                suggestion: Some("GetApp")
            }
        );
        assert_eq!(error.to_string(), r#"rule 1: Pinpoint has no operation named "GetAppp"; did you mean GetApp?"#);
        let wrong_service = FaultPlan::new().rule(Rule::new(Fault::InternalError).service(&SIGNER).operation("GetApp"));
        assert!(wrong_service.validate().is_err(), "GetApp is Pinpoint's, not Signer's");
    }

    #[tokio::test]
    async fn a_rule_without_a_service_is_checked_against_the_services_served() {
        let typo = FaultPlan::new().rule(Rule::new(Fault::InternalError).operation("ListSigningProfile"));
        let error = FaultServer::start(FaultInjector::new(typo.clone()), [&SIGNER, &PINPOINT]).await.unwrap_err();
        assert_eq!(error.kind(), std::io::ErrorKind::InvalidInput);
        assert_eq!(
            error.to_string(),
            r#"rule 0: no service served has an operation named "ListSigningProfile"; did you mean ListSigningProfiles?"#
        );
        let fine = FaultPlan::new().rule(Rule::new(Fault::InternalError).operation("GetApp"));
        assert!(fine.validate_for(&[&SIGNER, &PINPOINT]).is_ok(), "Pinpoint has it");
        assert!(typo.validate().is_ok(), "without the services it cannot know");
    }

    #[test]
    #[should_panic(expected = "Pinpoint has no operation named \"GetAps\"; did you mean GetApp?")]
    fn counting_attempts_of_a_misspelt_operation_fails_loudly() {
        FaultInjector::new(FaultPlan::new()).attempts(&PINPOINT, "GetAps");
    }

    /// An error inside a 200 only for an operation whose SDK deserializer looks for one: S3's
    /// `CopyObject` does, its streaming `GetObject` does not (a 500 there), nor does any
    /// operation of another service.
    #[test]
    fn an_error_inside_a_200_only_where_the_sdk_reads_one() {
        let s3 = &aws_server_errors_s3::SERVICE;
        let status = |service: &'static Service, method: &str, path: &str| {
            let injector = FaultInjector::new(FaultPlan::new().fail_always(Fault::InternalErrorIn200));
            request_to(&injector, service, method, path)
        };
        assert!(s3.catalog().error_in_200("CopyObject") && !s3.catalog().error_in_200("GetObject"));
        assert_eq!(status(s3, "PUT", "/bucket/archive.txt?x-id=CopyObject"), 200);
        assert_eq!(status(s3, "GET", "/bucket/key.txt?x-id=GetObject"), 500);
        assert_eq!(status(&PINPOINT, "GET", "/v1/apps/a"), 500);
    }

    #[test]
    fn a_gateway_fault_records_no_request_id() {
        let injector = FaultInjector::new(
            FaultPlan::new()
                .rule(Rule::new(Fault::BareStatus { status: 502, body: String::new() }).first(1))
                .rule(Rule::new(Fault::InternalError).first(1)),
        );
        assert_eq!(request(&injector, "/v1/apps/a"), 502);
        assert_eq!(request(&injector, "/v1/apps/a"), 500);
        let ids: Vec<_> = injector.requests().into_iter().map(|r| r.request_id).collect();
        assert_eq!(ids, [None, Some("00000000-0000-4000-8000-000000000001".to_owned())]);
    }

    /// The status `injector` answers a Pinpoint GET of `op_path` with.
    fn request(injector: &FaultInjector, op_path: &str) -> u16 {
        request_to(injector, &PINPOINT, "GET", op_path)
    }

    /// The status `injector` answers a request of `service` with.
    fn request_to(injector: &FaultInjector, service: &'static Service, method: &str, op_path: &str) -> u16 {
        let info = RawRequest {
            serves: Serves::One(service),
            method,
            path_and_query: op_path,
            authorization: None,
            target: None,
            host: None,
            body: b"",
        };
        match injector.handle(info, false) {
            Action::Fail(Injected::Respond(response)) => response.status().as_u16(),
            _ => panic!("without passthrough every request is answered"),
        }
    }

    #[test]
    fn first_n_then_pass_through() {
        let injector = FaultInjector::new(FaultPlan::new().fail_first(2, Fault::InternalError));
        let statuses: Vec<_> = (0..4).map(|_| request(&injector, "/v1/apps/a")).collect();
        assert_eq!(statuses, [500, 500, 200, 200]);
        assert_eq!(injector.attempts(&PINPOINT, "GetApp"), 4);
    }

    #[test]
    fn operation_filter_leaves_others_alone() {
        let injector = FaultInjector::new(FaultPlan::new().rule(Rule::new(Fault::Throttling).operation("GetApps")));
        assert_eq!(request(&injector, "/v1/apps/a"), 200);
        assert_eq!(request(&injector, "/v1/apps"), 429);
    }

    #[test]
    fn fraction_is_reproducible_with_a_seed() {
        let run = |seed| {
            let injector = FaultInjector::new(FaultPlan::new().seed(seed).fail_fraction(0.3, Fault::InternalError));
            (0..1000).map(|_| request(&injector, "/v1/apps/a")).collect::<Vec<_>>()
        };
        let a = run(7);
        assert_eq!(a, run(7));
        let failures = a.iter().filter(|s| **s == 500).count();
        assert!((250..350).contains(&failures), "{failures} of 1000 at p = 0.3");
    }

    #[test]
    fn predicate_decides_each_request() {
        let injector = FaultInjector::new(
            FaultPlan::new().rule(Rule::new(Fault::InternalError).when(|r| r.path_and_query.ends_with("/b"))),
        );
        assert_eq!(request(&injector, "/v1/apps/a"), 200);
        assert_eq!(request(&injector, "/v1/apps/b"), 500);
    }

    #[derive(Debug, Default)]
    struct Counting(std::sync::atomic::AtomicUsize);

    impl Responder for Arc<Counting> {
        fn respond(&self, request: &RequestInfo<'_>) -> Response<Bytes> {
            self.0.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            MinimalSuccess.respond(request)
        }
    }

    #[test]
    fn committed_faults_are_applied_then_failed() {
        let applied = Arc::new(Counting::default());
        let injector = FaultInjector::with_responder(
            FaultPlan::new().rule(Rule::new(Fault::InternalError).first(1).committed()),
            applied.clone(),
        );
        assert_eq!(request(&injector, "/v1/apps/a"), 500);
        assert_eq!(request(&injector, "/v1/apps/a"), 200);
        assert_eq!(applied.0.load(std::sync::atomic::Ordering::SeqCst), 2, "both requests reached the responder");
        let records = injector.requests();
        assert_eq!((records[0].fault.as_ref(), records[0].applied), (Some(&Fault::InternalError), true));
        assert_eq!((records[1].fault.as_ref(), records[1].applied), (None, true));

        let plain =
            FaultInjector::with_responder(FaultPlan::new().fail_first(1, Fault::InternalError), applied.clone());
        assert_eq!(request(&plain, "/v1/apps/a"), 500);
        assert_eq!(applied.0.load(std::sync::atomic::Ordering::SeqCst), 2, "a plain fault is not applied");
        assert!(!plain.requests()[0].applied);
    }
}
