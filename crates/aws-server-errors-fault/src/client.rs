//! The in-process form: an SDK `HttpClient` that answers from the plan without any I/O.

use aws_smithy_runtime_api::client::http::{
    HttpClient, HttpConnector, HttpConnectorFuture, HttpConnectorSettings, SharedHttpClient, SharedHttpConnector,
};
use aws_smithy_runtime_api::client::orchestrator::{HttpRequest, HttpResponse};
use aws_smithy_runtime_api::client::result::ConnectorError;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::body::SdkBody;

use crate::{FaultInjector, RawRequest, Service};

/// An SDK HTTP client that injects the plan's faults and answers or forwards everything else.
///
/// Give it to a client config with `.http_client(..)`. Requests the plan does not fail go to the
/// injector's [`Responder`](crate::Responder), or, after [`passthrough`](Self::passthrough), to
/// another HTTP client (for example the SDK's default one, to reach the real service).
#[derive(Debug, Clone)]
pub struct FaultInjectingClient {
    injector: FaultInjector,
    service: Option<Service>,
    passthrough: Option<SharedHttpClient>,
}

impl FaultInjectingClient {
    pub(crate) fn new(injector: FaultInjector, service: Option<Service>) -> Self {
        Self { injector, service, passthrough: None }
    }

    /// Forwards requests the plan does not fail to `client` instead of the responder.
    pub fn passthrough(mut self, client: SharedHttpClient) -> Self {
        self.passthrough = Some(client);
        self
    }
}

impl HttpClient for FaultInjectingClient {
    fn http_connector(&self, settings: &HttpConnectorSettings, components: &RuntimeComponents) -> SharedHttpConnector {
        SharedHttpConnector::new(FaultConnector {
            injector: self.injector.clone(),
            service: self.service,
            passthrough: self.passthrough.as_ref().map(|c| c.http_connector(settings, components)),
        })
    }
}

#[derive(Debug)]
struct FaultConnector {
    injector: FaultInjector,
    service: Option<Service>,
    passthrough: Option<SharedHttpConnector>,
}

impl HttpConnector for FaultConnector {
    fn call(&self, request: HttpRequest) -> HttpConnectorFuture {
        let info = RawRequest {
            service: self.service,
            method: request.method(),
            path_and_query: path_and_query(request.uri()),
            authorization: request.headers().get("authorization"),
            body: request.body().bytes().unwrap_or_default(),
        };
        let Some(response) = self.injector.handle(info, self.passthrough.is_some()) else {
            return self.passthrough.as_ref().expect("handle passes through only when asked").call(request);
        };
        let response = response.map(SdkBody::from);
        HttpConnectorFuture::ready(HttpResponse::try_from(response).map_err(|e| ConnectorError::other(e.into(), None)))
    }
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
