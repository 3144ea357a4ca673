//! What a rejected configuration says: [`ConfigError`], naming the field by its path.

use std::time::Duration;

use super::schema::{MAX_ATTEMPTS_LIMIT, MAX_DURATION};
#[cfg(doc)]
use super::schema::{MAX_NAME_LEN, MIN_SAMPLING_DURATION};
use crate::adapter::Service;
use crate::catalog::significant;

/// A rejected configuration. Every variant names the offending field by its path in the
/// serialized form, e.g. `services.pinpoint.operations.SendMessages.max_attempts`.
///
/// ```
/// use aws_server_errors::{ConfigError, PolicyConfig};
///
/// let config: PolicyConfig = toml::from_str("[services.pinpoint.operations.SendMessages]\nmax_attempts = 50")?;
/// let error = config.validate().unwrap_err();
/// assert_eq!(error.field(), "services.pinpoint.operations.SendMessages.max_attempts");
/// assert!(matches!(error, ConfigError::AttemptsOutOfRange { value: 50, .. }));
/// assert_eq!(error.to_string(), "services.pinpoint.operations.SendMessages.max_attempts: 50 is not in 1..=20");
/// # Ok::<(), toml::de::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// `max_attempts` is 0 or above [`MAX_ATTEMPTS_LIMIT`].
    #[error("{field}: {value} is not in 1..={MAX_ATTEMPTS_LIMIT}")]
    AttemptsOutOfRange {
        /// The field's path.
        field: String,
        /// The rejected value.
        value: u32,
    },
    /// A duration that must be positive is zero.
    #[error("{field}: must be greater than zero")]
    ZeroDuration {
        /// The field's path.
        field: String,
    },
    /// `max_backoff` is below `initial_backoff` (after inheritance).
    #[error("{field}: max backoff {max_backoff:?} is below initial backoff {initial_backoff:?}")]
    BackoffOrder {
        /// The path of the `max_backoff` or `initial_backoff` that was set last.
        field: String,
        /// The effective initial backoff.
        initial_backoff: Duration,
        /// The effective max backoff.
        max_backoff: Duration,
    },
    /// A ratio is outside its range (or not a number): `0` or `0.000001..=1` for the retry
    /// budget, `0.01..=1` for the breaker.
    #[error("{field}: {value} is not in {range}")]
    RatioOutOfRange {
        /// The field's path.
        field: String,
        /// The rejected value.
        value: f64,
        /// The accepted range, as the message shows it (e.g. `"0 or 0.000001..=1"`).
        range: &'static str,
    },
    /// A duration is longer than [`MAX_DURATION`].
    #[error("{field}: {value:?} is longer than the limit of {MAX_DURATION:?}")]
    DurationTooLong {
        /// The field's path.
        field: String,
        /// The rejected value.
        value: Duration,
    },
    /// A duration is shorter than its minimum: `circuit_breaker.sampling_duration` must be at
    /// least [`MIN_SAMPLING_DURATION`] (10 ms: ten buckets of at least 1 ms).
    #[error("{field}: {value:?} is shorter than the minimum of {min:?}")]
    DurationTooShort {
        /// The field's path.
        field: String,
        /// The rejected value.
        value: Duration,
        /// The minimum.
        min: Duration,
    },
    /// A count that must be positive is zero.
    #[error("{field}: must be at least 1")]
    ZeroCount {
        /// The field's path.
        field: String,
    },
    /// The policy's `name` is empty, longer than [`MAX_NAME_LEN`], or has a character outside
    /// `[A-Za-z0-9._-]`.
    #[error("{field}: {value:?} is not 1 to 64 characters of A-Z, a-z, 0-9, '.', '_' or '-'")]
    BadName {
        /// The field's path (`name`).
        field: String,
        /// The rejected value, cut to [`MAX_NAME_LEN`] characters.
        value: String,
    },
    /// `services` names no service given to the policy
    /// ([`ServerErrorPolicy::with_services`](crate::ServerErrorPolicy::with_services)). The
    /// message lists the names accepted, and suggests the nearest.
    #[error("{field}: {}", unknown_service_help(*suggestion, accepted))]
    UnknownService {
        /// The field's path.
        field: String,
        /// The key of the service the name nearly spells, if any.
        suggestion: Option<&'static str>,
        /// Each service given to the policy: its key, and its `rpc.service` name where that is
        /// spelled otherwise (`connectcases ("ConnectCases")`).
        accepted: Vec<String>,
    },
    /// `services` names one service twice, under two spellings (e.g. `pinpoint` and `Pinpoint`).
    #[error("{field}: names the same service as services.{other}")]
    DuplicateService {
        /// The field's path (the second spelling, in key order).
        field: String,
        /// The other key.
        other: String,
    },
    /// `operations` names an operation the service's SDK crate does not have. Operation names are
    /// matched exactly, as the SDK spells them (`SendMessages`); unlike service keys, case
    /// matters. The message suggests the operation a typo or a wrong case meant
    /// ([`ServiceCatalog::nearest_operation`](crate::ServiceCatalog::nearest_operation)).
    #[error("{field}: {service} has no such operation (names are case-sensitive){}", suggestion.map(|s| format!("; did you mean {s}?")).unwrap_or_default())]
    UnknownOperation {
        /// The field's path.
        field: String,
        /// The service key.
        service: String,
        /// The operation the name most likely means (a typo or a wrong case), if any.
        suggestion: Option<&'static str>,
    },
}

impl ConfigError {
    /// The path of the offending field, e.g. `"retry_budget.ratio"`.
    pub fn field(&self) -> &str {
        match self {
            Self::AttemptsOutOfRange { field, .. }
            | Self::ZeroDuration { field }
            | Self::BackoffOrder { field, .. }
            | Self::RatioOutOfRange { field, .. }
            | Self::DurationTooLong { field, .. }
            | Self::DurationTooShort { field, .. }
            | Self::ZeroCount { field }
            | Self::UnknownService { field, .. }
            | Self::BadName { field, .. }
            | Self::DuplicateService { field, .. }
            | Self::UnknownOperation { field, .. } => field,
        }
    }
}

/// The accepted range of a retry budget's `ratio`, as error messages show it.
pub(super) const BUDGET_RATIO_RANGE: &str = "0 or 0.000001..=1";

/// The error for a `services` key that names none of `services`.
pub(super) fn unknown_service(key: &str, services: &[&'static Service]) -> ConfigError {
    // The names as `same_name` compares them (only ASCII bytes are dropped or changed).
    let normalized = |s: &str| String::from_utf8_lossy(&significant(s).collect::<Vec<u8>>()).into_owned();
    // A near miss of a key or a name (a typo, a missing letter), never another short name
    // (`sqs` is not `sns`).
    let names = services.iter().flat_map(|s| [s.key(), s.name()]);
    let suggestion = crate::catalog::nearest(key, names, normalized)
        .and_then(|name| services.iter().find(|s| s.is_named(name)))
        .map(|s| s.key());
    let accepted = services
        .iter()
        .map(|s| if s.key() == s.name() { s.key().to_owned() } else { format!("{} ({:?})", s.key(), s.name()) })
        .collect();
    ConfigError::UnknownService { field: format!("services.{key}"), suggestion, accepted }
}

/// The most services an [`ConfigError::UnknownService`] message lists by name.
const MAX_LISTED: usize = 20;

/// The rest of an [`ConfigError::UnknownService`] message: one sentence.
fn unknown_service_help(suggestion: Option<&str>, accepted: &[String]) -> String {
    if accepted.is_empty() {
        return "no services were given to the policy: pass each adapter crate's SERVICE to \
                ServerErrorPolicy::with_services"
            .to_owned();
    }
    let suggestion = suggestion.map(|s| format!("; did you mean {s}?")).unwrap_or_default();
    if accepted.len() > MAX_LISTED {
        // Every service of the SDK (aws-server-errors-services): a list no one would read.
        return format!("not one of the {} services given to the policy{suggestion}", accepted.len());
    }
    format!("not one of the services given to the policy ({}){suggestion}", accepted.join(", "))
}
