//! The registration for a client of any service: an interceptor and a retry classifier that find
//! the client's service from its first call's `Metadata`, in a table of every service's facts
//! (`aws-server-errors-services`), and then act exactly as a registration through an adapter
//! crate does, with a [`generic`](crate::Service::generic) service.
//!
//! The service is resolved once per registration (one client config): an SDK client config
//! belongs to one service. Until then, and for a client that also has an adapter crate's
//! registration (which takes precedence), both stand aside. A service the table does not know (an
//! SDK crate newer than the table) gets facts of its own, from what every service shares
//! ([`unknown_service`]).

use std::sync::{Arc, OnceLock};

use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::context::{
    BeforeSerializationInterceptorContextRef, BeforeTransmitInterceptorContextMut, BeforeTransmitInterceptorContextRef,
    FinalizerInterceptorContextRef, InterceptorContext,
};
use aws_smithy_runtime_api::client::interceptors::{Intercept, OverriddenHooks};
use aws_smithy_runtime_api::client::orchestrator::Metadata;
use aws_smithy_runtime_api::client::retries::classifiers::{ClassifyRetry, RetryAction, RetryClassifierPriority};
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::config_bag::ConfigBag;

use super::ServerErrorInterceptor;
use crate::adapter::Service;
use crate::catalog::{Protocol, ServiceCatalog};
use crate::classify::idempotent_method;
use crate::retry_classifier::InternalErrorClassifier;

/// Finds a service by the name the SDK reports in each operation's `Metadata` (its sdkId).
pub(crate) type Lookup = fn(&str) -> Option<&'static Service>;

/// Makes the interceptor of a resolved service, and its retry classifier when the policy acts on
/// the service (the policy's own registration, without this module importing the policy).
pub(crate) type Make =
    Box<dyn Fn(&'static Service) -> (ServerErrorInterceptor, Option<InternalErrorClassifier>) + Send + Sync>;

/// What the interceptor and the classifier of one registration share.
pub(crate) struct Registration {
    lookup: Lookup,
    make: Make,
    /// The hooks the resolved interceptor may need, decided at registration from the policy's
    /// config (the SDK reads them once, when the interceptor is pushed).
    hooks: OverriddenHooks,
    resolved: OnceLock<Option<Resolved>>,
}

struct Resolved {
    interceptor: ServerErrorInterceptor,
    classifier: Option<InternalErrorClassifier>,
}

impl std::fmt::Debug for Registration {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let service = self.resolved.get().map(|r| r.as_ref().map(|r| r.interceptor.service()));
        f.debug_struct("Registration").field("service", &service).finish()
    }
}

/// The name by which the interceptor of an adapter crate's registration is known
/// ([`Intercept::name`]): a client that has one is left to it.
const TYPED: &str = "ServerErrorInterceptor";

impl Registration {
    pub(crate) fn new(lookup: Lookup, make: Make, breaker: bool, time_budget: bool) -> Arc<Self> {
        let mut hooks = OverriddenHooks::READ_AFTER_ATTEMPT
            | OverriddenHooks::READ_AFTER_EXECUTION
            | OverriddenHooks::READ_BEFORE_TRANSMIT;
        if breaker {
            hooks = hooks | OverriddenHooks::READ_BEFORE_SERIALIZATION;
        }
        if time_budget {
            hooks = hooks | OverriddenHooks::MODIFY_BEFORE_RETRY_LOOP;
        }
        Arc::new(Self { lookup, make, hooks, resolved: OnceLock::new() })
    }

    /// The interceptor of the client's service, resolved at its first call.
    #[inline]
    fn resolve(&self, components: &RuntimeComponents, cfg: &ConfigBag) -> Option<&ServerErrorInterceptor> {
        match self.resolved.get() {
            Some(resolved) => resolved.as_ref().map(|r| &r.interceptor),
            None => self.resolve_first(components, cfg),
        }
    }

    #[cold]
    fn resolve_first(&self, components: &RuntimeComponents, cfg: &ConfigBag) -> Option<&ServerErrorInterceptor> {
        // Before the first call's `Metadata` exists there is nothing to resolve (and nothing is
        // remembered).
        let name = cfg.load::<Metadata>()?.service();
        let resolved = self.resolved.get_or_init(|| {
            if components.interceptors().any(|i| i.name() == TYPED) {
                return None; // an adapter crate's registration takes precedence
            }
            let service = match (self.lookup)(name) {
                Some(service) => service,
                None => {
                    crate::telemetry::unknown_service(name);
                    unknown_service(name)
                }
            };
            let (interceptor, classifier) = (self.make)(service);
            Some(Resolved { interceptor, classifier })
        });
        resolved.as_ref().map(|r| &r.interceptor)
    }
}

/// The facts of a service the table does not know, named `name` in the SDK's `Metadata`: no
/// operation (each is retry-safe only by an idempotent HTTP method, once the client has called
/// one), AWS's common `InternalFailure` as its internal error, and the SDK's own throttling
/// codes. Its errors are classified by those codes and by status; its protocol is a placeholder
/// (`wire_code` reads a body by its media type). Made once per name and process, and kept: an SDK
/// names a bounded set of services. Its config key is the name in lower case without spaces
/// (the SDK's crate naming rule), which no config can name (configs are checked against the
/// table): it gets the top-level settings.
pub(crate) fn unknown_service(name: &str) -> &'static Service {
    static MADE: std::sync::Mutex<Vec<&'static Service>> = std::sync::Mutex::new(Vec::new());
    let mut made = MADE.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(service) = made.iter().find(|s| s.name() == name) {
        return service;
    }
    let name: &'static str = Box::leak(name.to_owned().into_boxed_str());
    let key: String = name.chars().filter(|c| !c.is_whitespace()).flat_map(char::to_lowercase).collect();
    let catalog = Box::leak(Box::new(ServiceCatalog {
        service: name,
        sdk_crate: Box::leak(format!("aws-sdk-{key}").into_boxed_str()),
        sdk_version: "",
        protocol: Protocol::RestJson1,
        signing_name: "",
        model_namespace: "",
        model_service: "",
        internal_error_shape: "InternalFailure",
        throttling_shape: "ThrottlingException",
        throttling_status: 400,
        wire_codes: ("InternalFailure", "ThrottlingException"),
        query_compatible: false,
        operations: &[],
        error_body_members: &[],
        success_bodies: &[],
        virtual_hosted_buckets: false,
        errors_in_200: &[],
    }));
    let service: &'static Service = Box::leak(Box::new(Service::generic(catalog, &[])));
    made.push(service);
    service
}

/// The interceptor of a registration on any client.
#[derive(Debug, Clone)]
pub(crate) struct AnyServiceInterceptor(pub(crate) Arc<Registration>);

impl Intercept for AnyServiceInterceptor {
    fn name(&self) -> &'static str {
        "ServerErrorInterceptor(any service)"
    }

    fn overridden_hooks(&self) -> OverriddenHooks {
        self.0.hooks
    }

    fn read_before_serialization(
        &self,
        context: &BeforeSerializationInterceptorContextRef<'_>,
        components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        match self.0.resolve(components, cfg) {
            Some(inner) => inner.read_before_serialization(context, components, cfg),
            None => Ok(()),
        }
    }

    fn modify_before_retry_loop(
        &self,
        context: &mut BeforeTransmitInterceptorContextMut<'_>,
        components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        match self.0.resolve(components, cfg) {
            Some(inner) => inner.modify_before_retry_loop(context, components, cfg),
            None => Ok(()),
        }
    }

    fn read_before_transmit(
        &self,
        context: &BeforeTransmitInterceptorContextRef<'_>,
        components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let Some(inner) = self.0.resolve(components, cfg) else { return Ok(()) };
        // An operation the table does not know is retry-safe only by an idempotent method, and
        // the request is gone after the attempt: one relaxed load until the client has called
        // such an operation.
        if inner.state.saw_unknown_operation() {
            if let Some(method) = idempotent_method(context.request().method()) {
                inner.remember_unknown_operation_method(method, cfg);
            }
        }
        inner.read_before_transmit(context, components, cfg)
    }

    fn read_after_attempt(
        &self,
        context: &FinalizerInterceptorContextRef<'_>,
        components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        match self.0.resolve(components, cfg) {
            Some(inner) => inner.read_after_attempt(context, components, cfg),
            None => Ok(()),
        }
    }

    fn read_after_execution(
        &self,
        context: &FinalizerInterceptorContextRef<'_>,
        components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        match self.0.resolve(components, cfg) {
            Some(inner) => inner.read_after_execution(context, components, cfg),
            None => Ok(()),
        }
    }
}

/// The retry classifier of a registration on any client: the resolved service's, once resolved.
#[derive(Debug)]
pub(crate) struct AnyServiceClassifier(pub(crate) Arc<Registration>);

impl ClassifyRetry for AnyServiceClassifier {
    fn classify_retry(&self, ctx: &InterceptorContext) -> RetryAction {
        // The SDK runs its classifiers after every attempt: a success costs one check.
        if !matches!(ctx.output_or_error(), Some(Err(_))) {
            return RetryAction::NoActionIndicated;
        }
        match self.0.resolved.get() {
            Some(Some(Resolved { classifier: Some(classifier), .. })) => classifier.classify_retry(ctx),
            _ => RetryAction::NoActionIndicated,
        }
    }

    fn name(&self) -> &'static str {
        "aws-server-errors internal-server error (any service)"
    }

    fn priority(&self) -> RetryClassifierPriority {
        RetryClassifierPriority::run_after(RetryClassifierPriority::transient_error_classifier())
    }
}
