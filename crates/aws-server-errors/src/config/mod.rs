//! The policy's configuration: one struct, loadable with serde or built in code, validated once.
//!
//! Durations are written as humantime strings in serialized form (`"100ms"`, `"5s"`).
//! See [configuration.md](https://github.com/aws-server-errors/aws-server-errors/blob/main/docs/configuration.md) for a full reference with examples.
//!
//! Inside, one file a concern: `schema` (the structs, their defaults and limits), `errors`
//! ([`ConfigError`]), `builder` ([`PolicyConfigBuilder`]) and `resolution` (validation, which
//! returns every level's settings resolved, and the per-service lookup, which cannot fail).

mod builder;
mod errors;
mod resolution;
mod schema;

pub use builder::PolicyConfigBuilder;
pub use errors::ConfigError;
pub(crate) use resolution::{Resolved, ServiceSettings, Settings};
pub use schema::{
    CircuitBreakerConfig, CircuitBreakerOverrides, Jitter, LogLevel, OperationConfig, PolicyConfig, RetryBudgetConfig,
    RetryBudgetOverrides, RetryHintConfig, ServiceConfig, MAX_ATTEMPTS_LIMIT, MAX_DURATION, MAX_NAME_LEN, MIN_RATIO,
    MIN_SAMPLING_DURATION,
};

#[cfg(test)]
mod tests;
