//! The loopback form: an HTTP/1.1 server on 127.0.0.1 that answers from the plan.

use std::net::SocketAddr;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;
use tokio::task::{JoinHandle, JoinSet};

use crate::{Action, FaultInjector, Injected, RawRequest};

/// A loopback HTTP server that serves all five services from one [`FaultInjector`].
///
/// Point a client at it with `endpoint_url(server.url())`. The service of each request is read
/// from its SigV4 credential scope (or, for Backup Gateway, its RPC path), as a real front end
/// would route it. The server stops when dropped.
///
/// Limitation: Signer's `GetRevocationStatus` has the endpoint host prefix `data-`, so against
/// `http://127.0.0.1:PORT` the SDK asks for host `data-127.0.0.1`, which does not resolve. Use
/// the in-process [`FaultInjectingClient`](crate::FaultInjectingClient) for that operation.
#[derive(Debug)]
pub struct FaultServer {
    addr: SocketAddr,
    task: JoinHandle<()>,
}

impl FaultServer {
    /// Binds `127.0.0.1` on a free port and starts serving on the current Tokio runtime.
    ///
    /// # Errors
    /// The I/O error if the socket cannot be bound.
    pub async fn start(injector: FaultInjector) -> std::io::Result<Self> {
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
                let injector = injector.clone();
                connections.spawn(async move {
                    let service = service_fn(move |request| {
                        let injector = injector.clone();
                        async move { serve(&injector, request).await }
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

/// Why the server closes a connection without answering.
#[derive(Debug)]
struct Closed;

impl std::fmt::Display for Closed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("connection closed by the fault plan")
    }
}

impl std::error::Error for Closed {}

async fn serve(injector: &FaultInjector, request: Request<Incoming>) -> Result<Response<Full<Bytes>>, Closed> {
    let (parts, body) = request.into_parts();
    let body = body.collect().await.map(|b| b.to_bytes()).unwrap_or_default();
    let path_and_query = parts.uri.path_and_query().map_or("/", |p| p.as_str());
    let info = RawRequest {
        service: None,
        method: parts.method.as_str(),
        path_and_query,
        authorization: parts.headers.get("authorization").and_then(|v| v.to_str().ok()),
        body: &body,
    };
    match injector.handle(info, false) {
        Action::Fail(Injected::Respond(response)) => Ok(response.map(Full::new)),
        // hyper closes the connection when the service fails: the client sees no response.
        Action::Fail(Injected::Close | Injected::Refuse) => Err(Closed),
        Action::Fail(Injected::NoResponse) => std::future::pending().await,
        Action::Forward | Action::ForwardThenFail(_) => unreachable!("the server has no passthrough client"),
    }
}
