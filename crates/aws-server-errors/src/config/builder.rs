//! Building a [`PolicyConfig`] in code.

use std::time::Duration;

use super::schema::{
    CircuitBreakerConfig, Jitter, LogLevel, OperationConfig, PolicyConfig, RetryBudgetConfig, RetryHintConfig,
    ServiceConfig,
};
use super::ConfigError;
use crate::catalog::same_name;

impl PolicyConfig {
    /// A builder starting from the defaults.
    pub fn builder() -> PolicyConfigBuilder {
        PolicyConfigBuilder { config: Self::default() }
    }
}

/// Builds a [`PolicyConfig`] in code. [`build`](Self::build) validates it.
///
/// ```
/// use std::time::Duration;
/// use aws_server_errors::{PolicyConfig, ServerErrorPolicy};
///
/// let config = PolicyConfig::builder()
///     .max_attempts(4)
///     .initial_backoff(Duration::from_millis(50))
///     .time_budget(Duration::from_secs(2))
///     // Service keys: the crate's (`pinpoint`) or the metric label's (`Pinpoint`), any case.
///     .operation("Pinpoint", "GetApp", |op| op.max_attempts = Some(5))
///     .disable_service("account")
///     .build()?; // validates the values; the names are validated against the services:
/// let services = [&aws_server_errors_pinpoint::SERVICE, &aws_server_errors_account::SERVICE];
/// let policy = ServerErrorPolicy::with_services(config, services)?;
/// assert_eq!(policy.config().max_attempts, 4);
///
/// // A bad value is a typed error naming the field.
/// let error = PolicyConfig::builder().max_attempts(0).build().unwrap_err();
/// assert_eq!(error.field(), "max_attempts");
/// # Ok::<(), aws_server_errors::ConfigError>(())
/// ```
#[derive(Debug, Clone)]
pub struct PolicyConfigBuilder {
    config: PolicyConfig,
}

impl PolicyConfigBuilder {
    /// Sets [`PolicyConfig::max_attempts`].
    pub fn max_attempts(mut self, attempts: u32) -> Self {
        self.config.max_attempts = attempts;
        self
    }

    /// Sets [`PolicyConfig::initial_backoff`].
    pub fn initial_backoff(mut self, backoff: Duration) -> Self {
        self.config.initial_backoff = backoff;
        self
    }

    /// Sets [`PolicyConfig::max_backoff`].
    pub fn max_backoff(mut self, backoff: Duration) -> Self {
        self.config.max_backoff = backoff;
        self
    }

    /// Sets [`PolicyConfig::jitter`].
    pub fn jitter(mut self, jitter: Jitter) -> Self {
        self.config.jitter = jitter;
        self
    }

    /// Sets [`PolicyConfig::time_budget`].
    pub fn time_budget(mut self, budget: Duration) -> Self {
        self.config.time_budget = Some(budget);
        self
    }

    /// Sets [`PolicyConfig::name`].
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.config.name = name.into();
        self
    }

    /// Sets [`PolicyConfig::client_error_log`].
    pub fn client_error_log(mut self, level: LogLevel) -> Self {
        self.config.client_error_log = level;
        self
    }

    /// Sets [`PolicyConfig::retry_non_idempotent`].
    pub fn retry_non_idempotent(mut self, retry: bool) -> Self {
        self.config.retry_non_idempotent = retry;
        self
    }

    /// Sets [`PolicyConfig::retry_hint`].
    pub fn retry_hint(mut self, hint: RetryHintConfig) -> Self {
        self.config.retry_hint = hint;
        self
    }

    /// Sets [`PolicyConfig::retry_budget`].
    pub fn retry_budget(mut self, budget: RetryBudgetConfig) -> Self {
        self.config.retry_budget = budget;
        self
    }

    /// Changes the settings of one service, starting from what is there already. `key` is the
    /// service's key or name (`"pinpoint"`, `"Pinpoint"`; see [`ServiceConfig`]); a key spelled
    /// like one already there but for ASCII case, spaces, hyphens and underscores edits that entry
    /// (the first spelling is kept).
    pub fn service(mut self, key: &str, edit: impl FnOnce(&mut ServiceConfig)) -> Self {
        let existing = self.config.services.keys().find(|k| same_name(k, key));
        let key = existing.cloned().unwrap_or_else(|| key.to_owned());
        edit(self.config.services.entry(key).or_default());
        self
    }

    /// Sets [`PolicyConfig::circuit_breaker`].
    pub fn circuit_breaker(mut self, breaker: CircuitBreakerConfig) -> Self {
        self.config.circuit_breaker = breaker;
        self
    }

    /// Disables the policy for one service: its clients behave like plain SDK clients.
    pub fn disable_service(self, key: &str) -> Self {
        self.service(key, |s| s.enabled = false)
    }

    /// Changes the overrides of one operation of one service.
    pub fn operation(self, service: &str, operation: &str, edit: impl FnOnce(&mut OperationConfig)) -> Self {
        self.service(service, |s| edit(s.operations.entry(operation.to_owned()).or_default()))
    }

    /// The configuration as built so far, unvalidated.
    pub fn config(&self) -> &PolicyConfig {
        &self.config
    }

    /// The configuration as built, unvalidated (validation happens when a policy is made from it).
    pub fn into_config(self) -> PolicyConfig {
        self.config
    }

    /// Validates the configuration and returns it, ready for
    /// [`ServerErrorPolicy::new`](crate::ServerErrorPolicy::new).
    ///
    /// # Errors
    /// A [`ConfigError`] naming the first offending field (see [`PolicyConfig::validate`]).
    pub fn build(self) -> Result<PolicyConfig, ConfigError> {
        self.config.validate()?;
        Ok(self.config)
    }
}
