//! The in-process form: an SDK `HttpClient` that answers from the plan without any I/O.

use std::time::Duration;

use aws_smithy_async::rt::sleep::{AsyncSleep, SharedAsyncSleep};
use aws_smithy_runtime_api::client::http::{
    HttpClient, HttpConnector, HttpConnectorFuture, HttpConnectorSettings, SharedHttpClient, SharedHttpConnector,
};
use aws_smithy_runtime_api::client::orchestrator::{HttpRequest, HttpResponse};
use aws_smithy_runtime_api::client::result::ConnectorError;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::body::SdkBody;
use bytes::Bytes;

use aws_server_errors::Service;

use crate::{Action, FaultInjector, Injected, RawRequest, Serves};

/// An SDK HTTP client that injects the plan's faults and answers or forwards everything else.
///
/// Give it to a client config with `.http_client(..)`. Requests the plan does not fail go to the
/// injector's [`Responder`](crate::Responder), or, after [`passthrough`](Self::passthrough), to
/// another HTTP client (for example the SDK's default one, to reach the real service).
#[derive(Debug, Clone)]
pub struct FaultInjectingClient {
    injector: FaultInjector,
    service: &'static Service,
    passthrough: Option<SharedHttpClient>,
    latency: Duration,
}

impl FaultInjectingClient {
    pub(crate) fn new(injector: FaultInjector, service: &'static Service) -> Self {
        Self { injector, service, passthrough: None, latency: Duration::ZERO }
    }

    /// Forwards requests the plan does not fail to `client` instead of the responder.
    pub fn passthrough(mut self, client: SharedHttpClient) -> Self {
        self.passthrough = Some(client);
        self
    }

    /// Models a service latency: every answer the client makes itself (a fault or the
    /// responder's) arrives `latency` after the request, waited on the SDK client's own sleep
    /// implementation, so a client on virtual time waits virtually. The plan decides when the
    /// request arrives. Default: zero. Forwarded requests take the passthrough client's time
    /// instead.
    ///
    /// A client config without a sleep implementation fails such calls with a connector error
    /// that says so.
    pub fn latency(mut self, latency: Duration) -> Self {
        self.latency = latency;
        self
    }
}

impl HttpClient for FaultInjectingClient {
    fn http_connector(&self, settings: &HttpConnectorSettings, components: &RuntimeComponents) -> SharedHttpConnector {
        SharedHttpConnector::new(FaultConnector {
            injector: self.injector.clone(),
            service: self.service,
            passthrough: self.passthrough.as_ref().map(|c| c.http_connector(settings, components)),
            latency: (!self.latency.is_zero()).then(|| (self.latency, components.sleep_impl())),
            read_timeout: settings.read_timeout().map(|t| (t, components.sleep_impl())),
        })
    }
}

#[derive(Debug)]
struct FaultConnector {
    injector: FaultInjector,
    service: &'static Service,
    passthrough: Option<SharedHttpConnector>,
    latency: Option<(Duration, Option<SharedAsyncSleep>)>,
    /// The SDK's read timeout, which a request that is never answered runs into.
    read_timeout: Option<(Duration, Option<SharedAsyncSleep>)>,
}

impl FaultConnector {
    /// Fails or answers a request as `injected` says, as the SDK's own HTTP client would report
    /// it: a refused connection and a closed one as I/O errors, a request never answered as the
    /// read timeout (on the client's sleep) or never.
    fn fail(&self, injected: Injected) -> HttpConnectorFuture {
        match injected {
            Injected::Respond(response) => self.answer(response),
            Injected::Refuse => HttpConnectorFuture::ready(Err(ConnectorError::io(Box::new(std::io::Error::new(
                std::io::ErrorKind::ConnectionRefused,
                "connection refused (injected by aws-server-errors-fault)",
            ))))),
            Injected::Close => HttpConnectorFuture::ready(Err(ConnectorError::io(Box::new(std::io::Error::new(
                std::io::ErrorKind::UnexpectedEof,
                "connection closed before message completed (injected by aws-server-errors-fault)",
            ))))),
            Injected::NoResponse => match &self.read_timeout {
                Some((timeout, Some(sleep))) => {
                    let (timeout, sleep) = (*timeout, sleep.clone());
                    HttpConnectorFuture::new(async move {
                        sleep.sleep(timeout).await;
                        Err(ConnectorError::timeout(format!("HTTP read timeout occurred after {timeout:?}").into()))
                    })
                }
                _ => HttpConnectorFuture::new(std::future::pending()),
            },
        }
    }

    /// Answers with `response` after the modeled latency.
    fn answer(&self, response: http::Response<Bytes>) -> HttpConnectorFuture {
        let response = to_sdk_response(response);
        match &self.latency {
            None => HttpConnectorFuture::ready(response),
            Some((latency, Some(sleep))) => {
                let (latency, sleep) = (*latency, sleep.clone());
                HttpConnectorFuture::new(async move {
                    sleep.sleep(latency).await;
                    response
                })
            }
            Some((_, None)) => HttpConnectorFuture::ready(Err(ConnectorError::other(
                "FaultInjectingClient::latency needs a sleep implementation in the client config".into(),
                None,
            ))),
        }
    }
}

impl HttpConnector for FaultConnector {
    fn call(&self, request: HttpRequest) -> HttpConnectorFuture {
        let info = RawRequest {
            serves: Serves::One(self.service),
            method: request.method(),
            path_and_query: path_and_query(request.uri()),
            authorization: request.headers().get("authorization"),
            target: request.headers().get("x-amz-target"),
            host: request.headers().get("host").or_else(|| uri_host(request.uri())),
            body: request.body().bytes().unwrap_or_default(),
        };
        match self.injector.handle(info, self.passthrough.is_some()) {
            Action::Fail(injected) => self.fail(injected),
            Action::Forward => self.passthrough.as_ref().expect("handle forwards only when asked").call(request),
            Action::ForwardThenFail(injected) => {
                let forwarded = self.passthrough.as_ref().expect("handle forwards only when asked").call(request);
                let failed = self.fail(injected);
                HttpConnectorFuture::new(async move {
                    // The upstream applied the request; its answer is lost, as after a real 500.
                    let _ = forwarded.await;
                    failed.await
                })
            }
        }
    }
}

/// The SDK's form of one of the kit's responses.
fn to_sdk_response(response: http::Response<Bytes>) -> Result<HttpResponse, ConnectorError> {
    HttpResponse::try_from(response.map(SdkBody::from)).map_err(|e| ConnectorError::other(e.into(), None))
}

/// The path and query of an absolute or relative URI.
fn path_and_query(uri: &str) -> &str {
    match uri.find("://") {
        Some(scheme) => {
            let rest = &uri[scheme + 3..];
            rest.find('/').map_or("/", |i| &rest[i..])
        }
        None => uri,
    }
}

/// The authority of an absolute request URI (`http://bucket.localhost:80/key` → `bucket.localhost:80`).
fn uri_host(uri: &str) -> Option<&str> {
    let rest = uri.split_once("://")?.1;
    Some(rest.split(['/', '?']).next().unwrap_or(rest))
}
