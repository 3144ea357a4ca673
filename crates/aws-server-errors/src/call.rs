//! Per-call control: change the policy's attempts for one call, through the SDK's own per-call
//! configuration.

use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::context::BeforeSerializationInterceptorContextRef;
use aws_smithy_runtime_api::client::interceptors::{Intercept, OverriddenHooks};
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::config_bag::{ConfigBag, Storable, StoreReplace};

use crate::config::{ConfigError, MAX_ATTEMPTS_LIMIT};

/// The policy's settings for one call, given through `customize().config_override(..)`.
///
/// It replaces the attempts the policy allows this call for internal-server errors; everything
/// else (retry safety, time budget, retry budget, breaker) applies as configured. For no retries
/// of any kind on a call, `RetryConfig::disabled()` in the same `config_override` is enough: the
/// policy follows it.
///
/// ```
/// use aws_server_errors::{CallOverride, ServerErrorPolicy};
/// use aws_server_errors_fault::{Fault, FaultInjector, FaultPlan};
/// use aws_server_errors_signer::ServerErrorPolicyExt as _;
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let injector = FaultInjector::new(FaultPlan::new().fail_always(Fault::InternalError));
/// let config = aws_sdk_signer::config::Builder::from(&aws_server_errors_fault::sdk_config("http://localhost"))
///     .http_client(injector.http_client(&aws_server_errors_signer::SERVICE))
///     .server_error_policy(&ServerErrorPolicy::with_defaults()) // 3 attempts
///     .build();
/// let signer = aws_sdk_signer::Client::from_conf(config);
///
/// // This one call may make 5 attempts.
/// let five = CallOverride::max_attempts(5)?;
/// let result = signer
///     .get_signing_profile()
///     .profile_name("release")
///     .customize()
///     .config_override(aws_sdk_signer::Config::builder().interceptor(five))
///     .send()
///     .await;
/// assert!(result.unwrap_err().into_service_error().is_internal_service_error_exception());
/// assert_eq!(injector.attempts(&aws_server_errors_signer::SERVICE, "GetSigningProfile"), 5);
///
/// assert!(CallOverride::max_attempts(0).is_err(), "outside 1..=20");
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CallOverride {
    max_attempts: u32,
}

impl CallOverride {
    /// Allows the call `attempts` attempts for internal-server errors, the first included.
    ///
    /// # Errors
    /// [`ConfigError::AttemptsOutOfRange`] (field `max_attempts`) outside `1..=20`.
    pub fn max_attempts(attempts: u32) -> Result<Self, ConfigError> {
        if !(1..=MAX_ATTEMPTS_LIMIT).contains(&attempts) {
            return Err(ConfigError::AttemptsOutOfRange { field: "max_attempts".into(), value: attempts });
        }
        Ok(Self { max_attempts: attempts })
    }

    /// No policy retry on this call (the client's own retry config still handles throttling and
    /// the other errors it retries).
    pub fn no_retries() -> Self {
        Self { max_attempts: 1 }
    }

    /// The attempts it allows.
    pub fn attempts(&self) -> u32 {
        self.max_attempts
    }
}

impl Storable for CallOverride {
    type Storer = StoreReplace<Self>;
}

impl Intercept for CallOverride {
    fn name(&self) -> &'static str {
        "aws_server_errors::CallOverride"
    }

    fn overridden_hooks(&self) -> OverriddenHooks {
        OverriddenHooks::READ_BEFORE_SERIALIZATION
    }

    /// Puts the override in the call's config bag, where the policy finds it at the call's first
    /// failure.
    fn read_before_serialization(
        &self,
        _context: &BeforeSerializationInterceptorContextRef<'_>,
        _runtime_components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        cfg.interceptor_state().store_put(*self);
        Ok(())
    }
}
