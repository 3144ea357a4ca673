//! The loopback form: an HTTP/1.1 server on 127.0.0.1 that answers from the plan.

use std::net::SocketAddr;

use aws_credential_types::provider::SharedCredentialsProvider;
use aws_credential_types::Credentials;
use aws_smithy_async::rt::sleep::{SharedAsyncSleep, TokioSleep};
use aws_smithy_runtime_api::client::behavior_version::BehaviorVersion;
use aws_smithy_types::timeout::TimeoutConfig;
use aws_types::region::Region;
use aws_types::sdk_config::SdkConfig;
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;
use tokio::task::{JoinHandle, JoinSet};

use aws_server_errors::Service;

use crate::{Action, FaultInjector, Injected, PlanError, RawRequest, Serves};

/// A loopback HTTP server that serves the services it is given (each adapter crate's `SERVICE`)
/// from one [`FaultInjector`].
///
/// Point a client at it with `endpoint_url(server.url())`. The service of each request is read
/// from its SigV4 credential scope (or, for an RPC v2 CBOR service such as Backup Gateway, its
/// RPC path), as a real front end would route it; a request of another service is answered by
/// the responder without a fault, and recorded without a service. The server stops when dropped.
///
/// Limitation: Signer's `GetRevocationStatus` has the endpoint host prefix `data-`, so against
/// `http://127.0.0.1:PORT` the SDK asks for host `data-127.0.0.1`, which does not resolve. Use
/// the in-process [`FaultInjectingClient`](crate::FaultInjectingClient) for that operation.
///
/// ```
/// use aws_server_errors_fault::{Fault, FaultInjector, FaultPlan, FaultServer};
/// use aws_server_errors_signer::SERVICE as SIGNER;
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> std::io::Result<()> {
/// let injector = FaultInjector::new(FaultPlan::new().fail_first(1, Fault::InternalError));
/// let server = FaultServer::start(injector.clone(), [&SIGNER]).await?;
/// let client = aws_sdk_signer::Client::new(&server.sdk_config()); // endpoint: the server
/// client.get_signing_profile().profile_name("p").send().await.expect("retried after the 500");
/// assert_eq!(injector.attempts(&SIGNER, "GetSigningProfile"), 2);
/// # Ok(()) }
/// ```
#[derive(Debug)]
pub struct FaultServer {
    addr: SocketAddr,
    task: JoinHandle<()>,
}

impl FaultServer {
    /// Binds `127.0.0.1` on a free port and starts serving `services` on the current Tokio
    /// runtime.
    ///
    /// # Errors
    /// The I/O error if the socket cannot be bound; an error of kind `InvalidInput` whose source is
    /// the [`PlanError`] when a rule names an operation none of `services` has
    /// ([`FaultPlan::validate_for`](crate::FaultPlan::validate_for)).
    pub async fn start(
        injector: FaultInjector,
        services: impl IntoIterator<Item = &'static Service>,
    ) -> std::io::Result<Self> {
        let services: std::sync::Arc<[&'static Service]> = services.into_iter().collect();
        injector
            .plan()
            .validate_for(&services)
            .map_err(|e: PlanError| std::io::Error::new(std::io::ErrorKind::InvalidInput, e))?;
        let listener = TcpListener::bind(("127.0.0.1", 0)).await?;
        let addr = listener.local_addr()?;
        let task = tokio::spawn(async move {
            // Owned by this task: when the server is dropped and the task aborted, the set is
            // dropped and every connection task with it.
            let mut connections = JoinSet::new();
            loop {
                // Reap finished connections so the set does not grow without bound.
                while connections.try_join_next().is_some() {}
                let stream = match listener.accept().await {
                    Ok((stream, _)) => stream,
                    Err(error) => {
                        // E.g. out of file descriptors: back off instead of spinning.
                        tracing::debug!(%error, "fault server accept failed");
                        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
                        continue;
                    }
                };
                let (injector, services) = (injector.clone(), services.clone());
                connections.spawn(async move {
                    let service = service_fn(move |request| {
                        let (injector, services) = (injector.clone(), services.clone());
                        async move { serve(&injector, &services, request).await }
                    });
                    if let Err(error) =
                        hyper::server::conn::http1::Builder::new().serve_connection(TokioIo::new(stream), service).await
                    {
                        tracing::debug!(%error, "fault server connection ended");
                    }
                });
            }
        });
        Ok(Self { addr, task })
    }

    /// The socket address the server listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The base URL to use as an `endpoint_url`, e.g. `http://127.0.0.1:43121`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// An `SdkConfig` wired to this server, for clients of any of the services it serves: see
    /// [`sdk_config`].
    pub fn sdk_config(&self) -> SdkConfig {
        sdk_config(&self.url())
    }
}

impl Drop for FaultServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// A loopback address on which nothing listens: a client pointed at it gets its connection
/// refused, as from a service host that is down. For the [`Fault::ConnectionRefused`](crate::Fault::ConnectionRefused)
/// case over real HTTP.
///
/// # Errors
/// The I/O error if no port could be bound to find a free one.
pub async fn refused_endpoint() -> std::io::Result<String> {
    let listener = TcpListener::bind(("127.0.0.1", 0)).await?;
    let addr = listener.local_addr()?;
    drop(listener);
    Ok(format!("http://{addr}"))
}

/// An `SdkConfig` for clients of any service that talk to `endpoint_url` (a
/// [`FaultServer::url`], or [`refused_endpoint`]): fake static credentials (`AKIDFAULTKIT`),
/// region `us-east-1`, the latest behaviour version, Tokio's sleep, and the endpoint URL.
///
/// It sets no HTTP client: the SDK crates' default one (their `default-https-client` feature,
/// on by default) speaks plain HTTP to the loopback server. Retries are the SDK's defaults; the
/// timeouts are the SDK's but one: a read timeout of [`READ_TIMEOUT`], so that a
/// [`Fault::NoResponse`](crate::Fault::NoResponse) ends the attempt (the SDK sets none, and a
/// test would wait forever). Override them on the service's `config::Builder`.
///
/// ```
/// use aws_server_errors_fault::{Fault, FaultInjector, FaultPlan, FaultServer, Rule};
/// use aws_server_errors_signer::SERVICE as SIGNER;
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let injector = FaultInjector::new(FaultPlan::new().rule(Rule::new(Fault::InternalError).first(1)));
/// let server = FaultServer::start(injector.clone(), [&SIGNER]).await?;
/// let signer = aws_sdk_signer::Client::new(&server.sdk_config());
///
/// // The first attempt gets Signer's wire-exact InternalServiceErrorException; the SDK's own
/// // retry sends a second attempt, which succeeds.
/// signer.list_signing_profiles().send().await?;
/// assert_eq!(injector.attempts(&SIGNER, "ListSigningProfiles"), 2);
/// # Ok(()) }
/// ```
pub fn sdk_config(endpoint_url: &str) -> SdkConfig {
    SdkConfig::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .credentials_provider(SharedCredentialsProvider::new(Credentials::new(
            "AKIDFAULTKIT",
            "fault-kit-secret",
            None,
            None,
            "aws-server-errors-fault",
        )))
        .sleep_impl(SharedAsyncSleep::new(TokioSleep::new()))
        .timeout_config(TimeoutConfig::builder().read_timeout(READ_TIMEOUT).build())
        .endpoint_url(endpoint_url)
        .build()
}

/// The read timeout of [`sdk_config`]: 5 s, far above any answer of the loopback server (which
/// answers at once, or after the plan's latency), so only a request that gets no response at all
/// meets it.
pub const READ_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(5);

/// Why the server closes a connection without answering.
#[derive(Debug)]
struct Closed;

impl std::fmt::Display for Closed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("connection closed by the fault plan")
    }
}

impl std::error::Error for Closed {}

async fn serve(
    injector: &FaultInjector,
    services: &[&'static Service],
    request: Request<Incoming>,
) -> Result<Response<Full<Bytes>>, Closed> {
    let (parts, body) = request.into_parts();
    let body = body.collect().await.map(|b| b.to_bytes()).unwrap_or_default();
    let path_and_query = parts.uri.path_and_query().map_or("/", |p| p.as_str());
    let info = RawRequest {
        serves: Serves::Any(services),
        method: parts.method.as_str(),
        path_and_query,
        authorization: parts.headers.get("authorization").and_then(|v| v.to_str().ok()),
        target: parts.headers.get("x-amz-target").and_then(|v| v.to_str().ok()),
        host: parts.headers.get("host").and_then(|v| v.to_str().ok()),
        body: &body,
    };
    let latency = injector.latency();
    match injector.handle(info, false) {
        Action::Fail(Injected::Respond(response)) => {
            if !latency.is_zero() {
                tokio::time::sleep(latency).await;
            }
            Ok(response.map(Full::new))
        }
        // hyper closes the connection when the service fails: the client sees no response.
        Action::Fail(Injected::Close | Injected::Refuse) => Err(Closed),
        Action::Fail(Injected::NoResponse) => std::future::pending().await,
        Action::Forward | Action::ForwardThenFail(_) => unreachable!("the server has no passthrough client"),
    }
}
