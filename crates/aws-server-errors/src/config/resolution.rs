//! Validation and resolution. [`Resolved::check`] validates a [`PolicyConfig`] at every level
//! (top, services, operations) and returns every level's settings with what it inherits applied;
//! [`Resolved::service`] then gives one service its settings and cannot fail, because everything
//! it reads was validated.

use std::collections::BTreeMap;
use std::time::Duration;

use super::errors::{unknown_service, BUDGET_RATIO_RANGE};
use super::schema::{
    CircuitBreakerConfig, Jitter, OperationConfig, PolicyConfig, RetryBudgetConfig, ServiceConfig, MAX_ATTEMPTS_LIMIT,
    MAX_DURATION, MAX_NAME_LEN, MIN_RATIO, MIN_SAMPLING_DURATION,
};
use super::ConfigError;
use crate::adapter::Service;
use crate::breaker::BreakerSettings;
use crate::catalog::ServiceCatalog;

/// The settings that apply to one operation, after inheritance. Internal, resolved once.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Settings {
    pub max_attempts: u32,
    pub initial_backoff: Duration,
    pub max_backoff: Duration,
    pub jitter: Jitter,
    pub time_budget: Option<Duration>,
    pub retry_non_idempotent: bool,
    pub retry_by_naming_convention: bool,
    pub honour_retry_hint: bool,
    pub max_retry_hint: Duration,
    /// Whether the operation's calls go through the service's circuit breaker.
    pub breaker: bool,
}

/// A validated configuration, every level resolved: what a policy acts on.
#[derive(Debug, Clone)]
pub(crate) struct Resolved {
    /// What a service the config does not name gets.
    top: ServiceLevel,
    /// Each entry of `services`, in key order, with its key.
    services: Vec<(String, ServiceLevel)>,
}

/// One service's level of the config, with the top level's settings inherited.
#[derive(Debug, Clone)]
struct ServiceLevel {
    enabled: bool,
    /// The settings of an operation with no entry of its own (`breaker` set when the service
    /// has a breaker).
    settings: Settings,
    /// The operations with an entry of their own, by name.
    operations: BTreeMap<String, Settings>,
    budget: RetryBudgetConfig,
    breaker: BreakerSettings,
}

/// What one service gets from the config.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ServiceSettings {
    /// One entry per operation of the service's catalog, in its order, and a last one for an
    /// operation the catalog does not know (the service's own settings).
    pub operations: Box<[Settings]>,
    /// The retry budget's capacity and ratio, `None` when it is off.
    pub budget: Option<(u32, f64)>,
    /// The breaker's settings, `None` when the service has no breaker.
    pub breaker: Option<BreakerSettings>,
}

impl Resolved {
    /// Validates `config` and resolves each of its levels.
    ///
    /// # Errors
    /// The first offending field, in this order: the top level's name, retry hint, budget,
    /// breaker and settings; then each service in key order: its breaker, its budget, its
    /// settings, and its operations' settings in name order. Settings that are switched off are
    /// validated too: they are accepted, so they must be valid when someone switches them on.
    pub(crate) fn check(config: &PolicyConfig) -> Result<Self, ConfigError> {
        config.validate_global()?;
        let top_breaker_on = config.circuit_breaker.enabled;
        let mut top_settings = config.resolve_layers(&[])?;
        top_settings.breaker = top_breaker_on;
        let top = ServiceLevel {
            enabled: true,
            settings: top_settings,
            operations: BTreeMap::new(),
            budget: config.retry_budget.clone(),
            breaker: breaker_settings(&config.circuit_breaker),
        };
        let services = config
            .services
            .iter()
            .map(|(key, service)| Ok((key.clone(), config.check_service(key, service)?)))
            .collect::<Result<_, ConfigError>>()?;
        Ok(Self { top, services })
    }

    /// The config's level for `catalog`'s service: its entry in `services`, or the top level.
    fn level(&self, catalog: &ServiceCatalog) -> &ServiceLevel {
        self.services.iter().find(|(key, _)| catalog.is_named(key)).map_or(&self.top, |(_, level)| level)
    }

    /// Whether the config leaves the policy on for `catalog`'s service.
    pub(crate) fn is_enabled(&self, catalog: &ServiceCatalog) -> bool {
        self.level(catalog).enabled
    }

    /// The settings of `catalog`'s service and of each of its operations; `None` for a service
    /// the config disables.
    pub(crate) fn service(&self, catalog: &ServiceCatalog) -> Option<ServiceSettings> {
        let level = self.level(catalog);
        if !level.enabled {
            return None;
        }
        let operations = catalog
            .operations
            .iter()
            .map(|op| level.operations.get(op.name).copied().unwrap_or(level.settings))
            .chain([level.settings])
            .collect();
        let budget = level.budget.enabled.then_some((level.budget.capacity, level.budget.ratio));
        let breaker = level.settings.breaker.then_some(level.breaker);
        Some(ServiceSettings { operations, budget, breaker })
    }
}

/// The breaker's settings as the breaker takes them.
fn breaker_settings(b: &CircuitBreakerConfig) -> BreakerSettings {
    BreakerSettings {
        failure_ratio: b.failure_ratio,
        minimum_throughput: b.minimum_throughput,
        sampling_duration: b.sampling_duration,
        break_duration: b.break_duration,
        max_break_duration: b.max_break_duration,
        half_open_probes: b.half_open_probes,
    }
}

/// A setting and the path of the layer it came from.
struct Layered<T> {
    value: T,
    field: String,
    /// 0 for the top level, 1 for a service, 2 for an operation.
    depth: usize,
}

impl<T: Copy> Layered<T> {
    fn top(value: T, name: &str) -> Self {
        Self { value, field: name.to_owned(), depth: 0 }
    }

    fn apply(&mut self, value: Option<T>, prefix: &str, name: &str, depth: usize) {
        if let Some(value) = value {
            self.value = value;
            self.field = format!("{prefix}.{name}");
            self.depth = depth;
        }
    }
}

impl PolicyConfig {
    /// Validates every value of the configuration, at every level (top, services, operations),
    /// as [`ServerErrorPolicy::new`](crate::ServerErrorPolicy::new) and
    /// [`PolicyConfigBuilder::build`](super::PolicyConfigBuilder::build) do. Names are checked by
    /// [`validate_services`](Self::validate_services), which needs the services.
    ///
    /// # Errors
    /// A [`ConfigError`] naming the first offending field: an attempt count outside `1..=20`, a
    /// zero backoff or budget, a `max_backoff` below `initial_backoff`, a duration over
    /// [`MAX_DURATION`], or a ratio out of its range. Settings that are switched off are
    /// validated too.
    ///
    /// ```
    /// let config: aws_server_errors::PolicyConfig = toml::from_str(
    ///     r#"
    ///     max_attempts = 4
    ///     [services.Pinpoint.operations.SendMessages]
    ///     max_attempts = 0
    ///     "#,
    /// )?;
    /// let error = config.validate().unwrap_err();
    /// assert_eq!(error.field(), "services.Pinpoint.operations.SendMessages.max_attempts");
    /// # Ok::<(), toml::de::Error>(())
    /// ```
    pub fn validate(&self) -> Result<(), ConfigError> {
        Resolved::check(self).map(drop)
    }

    /// Checks the names under `services` against `services` (each adapter crate's `SERVICE`):
    /// every key names one of them, no two keys the same one, and every operation key is an
    /// operation of its service. [`ServerErrorPolicy::with_services`](crate::ServerErrorPolicy::with_services)
    /// runs it; run it in a test to check a config file against the services an application
    /// uses.
    ///
    /// # Errors
    /// [`ConfigError::UnknownService`], [`ConfigError::DuplicateService`] or
    /// [`ConfigError::UnknownOperation`], naming the key.
    ///
    /// ```
    /// use aws_server_errors::PolicyConfig;
    /// use aws_server_errors_pinpoint::SERVICE as PINPOINT;
    ///
    /// let config: PolicyConfig = toml::from_str("[services.Pinpoint.operations.sendMessages]\nmax_attempts = 2")?;
    /// let error = config.validate_services(&[&PINPOINT]).unwrap_err();
    /// assert_eq!(
    ///     error.to_string(),
    ///     "services.Pinpoint.operations.sendMessages: Pinpoint has no such operation \
    ///      (names are case-sensitive); did you mean SendMessages?"
    /// );
    /// # Ok::<(), toml::de::Error>(())
    /// ```
    pub fn validate_services(&self, services: &[&'static Service]) -> Result<(), ConfigError> {
        let mut seen: Vec<(&Service, &str)> = Vec::new();
        for (key, config) in &self.services {
            let Some(service) = services.iter().copied().find(|s| s.is_named(key)) else {
                return Err(unknown_service(key, services));
            };
            if let Some((_, other)) = seen.iter().find(|(s, _)| *s == service) {
                return Err(ConfigError::DuplicateService { field: format!("services.{key}"), other: (*other).into() });
            }
            seen.push((service, key));
            let catalog = service.catalog();
            for op in config.operations.keys() {
                if catalog.operation(op).is_none() {
                    let suggestion = catalog.nearest_operation(op);
                    return Err(ConfigError::UnknownOperation {
                        field: format!("services.{key}.operations.{op}"),
                        service: key.clone(),
                        suggestion,
                    });
                }
            }
        }
        Ok(())
    }

    /// Validates one entry of `services` and resolves it: its breaker and budget (the top
    /// level's with its overrides, named by the service's own fields), its settings and each of
    /// its operations'.
    fn check_service(&self, key: &str, service: &ServiceConfig) -> Result<ServiceLevel, ConfigError> {
        let prefix = format!("services.{key}");
        let breaker = self.circuit_breaker.with_overrides(&service.circuit_breaker);
        validate_breaker(&breaker, &format!("{prefix}.circuit_breaker"))?;
        let budget = self.retry_budget.with_overrides(&service.retry_budget);
        validate_budget(&budget, &format!("{prefix}.retry_budget"))?;
        let service_layer = (service.as_overrides(), prefix.as_str());
        let mut settings = self.resolve_layers(std::slice::from_ref(&service_layer))?;
        settings.breaker = breaker.enabled;
        let operations = service
            .operations
            .iter()
            .map(|(name, op)| {
                let op_prefix = format!("{prefix}.operations.{name}");
                let mut op_settings =
                    self.resolve_layers(&[service_layer.clone(), (op.clone(), op_prefix.as_str())])?;
                op_settings.breaker = breaker.enabled && op.circuit_breaker.unwrap_or(true);
                Ok((name.clone(), op_settings))
            })
            .collect::<Result<_, ConfigError>>()?;
        Ok(ServiceLevel { enabled: service.enabled, settings, operations, budget, breaker: breaker_settings(&breaker) })
    }

    /// The settings of a level, with the layers above it (service, then operation) applied on
    /// the top level's, validated after inheritance; a bad value is named by the layer that set it.
    fn resolve_layers(&self, layers: &[(OperationConfig, &str)]) -> Result<Settings, ConfigError> {
        let mut max_attempts = Layered::top(self.max_attempts, "max_attempts");
        let mut initial = Layered::top(self.initial_backoff, "initial_backoff");
        let mut max = Layered::top(self.max_backoff, "max_backoff");
        let mut budget = Layered::top(self.time_budget, "time_budget");
        let mut non_idempotent = self.retry_non_idempotent;
        for (depth, (layer, prefix)) in (1..).zip(layers) {
            max_attempts.apply(layer.max_attempts, prefix, "max_attempts", depth);
            initial.apply(layer.initial_backoff, prefix, "initial_backoff", depth);
            max.apply(layer.max_backoff, prefix, "max_backoff", depth);
            budget.apply(layer.time_budget.map(Some), prefix, "time_budget", depth);
            non_idempotent = layer.retry_non_idempotent.unwrap_or(non_idempotent);
        }
        if !(1..=MAX_ATTEMPTS_LIMIT).contains(&max_attempts.value) {
            return Err(ConfigError::AttemptsOutOfRange { field: max_attempts.field, value: max_attempts.value });
        }
        if initial.value.is_zero() {
            return Err(ConfigError::ZeroDuration { field: initial.field });
        }
        if max.value < initial.value {
            // Name the layer that set one of the two last: that is where the mistake is.
            let field = if max.depth >= initial.depth { max.field } else { initial.field };
            return Err(ConfigError::BackoffOrder { field, initial_backoff: initial.value, max_backoff: max.value });
        }
        if budget.value.is_some_and(|b| b.is_zero()) {
            return Err(ConfigError::ZeroDuration { field: budget.field });
        }
        check_max(initial.value, &initial.field)?;
        check_max(max.value, &max.field)?;
        if let Some(value) = budget.value {
            check_max(value, &budget.field)?;
        }
        Ok(Settings {
            max_attempts: max_attempts.value,
            initial_backoff: initial.value,
            max_backoff: max.value,
            jitter: self.jitter,
            time_budget: budget.value,
            retry_non_idempotent: non_idempotent,
            retry_by_naming_convention: self.retry_by_naming_convention,
            honour_retry_hint: self.retry_hint.honour,
            max_retry_hint: self.retry_hint.max,
            breaker: false,
        })
    }

    /// Checks the top level's name, retry hint, retry budget and circuit breaker.
    fn validate_global(&self) -> Result<(), ConfigError> {
        let name_ok = (1..=MAX_NAME_LEN).contains(&self.name.len())
            && self.name.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'));
        if !name_ok {
            let value = self.name.chars().take(MAX_NAME_LEN).collect();
            return Err(ConfigError::BadName { field: "name".into(), value });
        }
        // Everything accepted is validated, whether or not it is switched on.
        if self.retry_hint.max.is_zero() {
            return Err(ConfigError::ZeroDuration { field: "retry_hint.max".into() });
        }
        check_max(self.retry_hint.max, "retry_hint.max")?;
        validate_budget(&self.retry_budget, "retry_budget")?;
        validate_breaker(&self.circuit_breaker, "circuit_breaker")?;
        Ok(())
    }
}

/// Validates a retry budget whose fields are named under `prefix` (`retry_budget`, or
/// `services.<key>.retry_budget`).
fn validate_budget(budget: &RetryBudgetConfig, prefix: &str) -> Result<(), ConfigError> {
    let ratio = budget.ratio;
    if !(ratio == 0.0 || (MIN_RATIO..=1.0).contains(&ratio)) {
        return Err(ConfigError::RatioOutOfRange {
            field: format!("{prefix}.ratio"),
            value: ratio,
            range: BUDGET_RATIO_RANGE,
        });
    }
    if budget.capacity == 0 {
        return Err(ConfigError::ZeroCount { field: format!("{prefix}.capacity") });
    }
    Ok(())
}

/// Validates a circuit breaker whose fields are named under `prefix` (`circuit_breaker`, or
/// `services.<key>.circuit_breaker`).
fn validate_breaker(breaker: &CircuitBreakerConfig, prefix: &str) -> Result<(), ConfigError> {
    let field = |name: &str| format!("{prefix}.{name}");
    if !(0.01..=1.0).contains(&breaker.failure_ratio) {
        return Err(ConfigError::RatioOutOfRange {
            field: field("failure_ratio"),
            value: breaker.failure_ratio,
            range: "0.01..=1",
        });
    }
    for (value, name) in
        [(breaker.minimum_throughput, "minimum_throughput"), (breaker.half_open_probes, "half_open_probes")]
    {
        if value == 0 {
            return Err(ConfigError::ZeroCount { field: field(name) });
        }
    }
    if breaker.sampling_duration < MIN_SAMPLING_DURATION {
        return Err(ConfigError::DurationTooShort {
            field: field("sampling_duration"),
            value: breaker.sampling_duration,
            min: MIN_SAMPLING_DURATION,
        });
    }
    if breaker.break_duration.is_zero() {
        return Err(ConfigError::ZeroDuration { field: field("break_duration") });
    }
    for (value, name) in [
        (breaker.sampling_duration, "sampling_duration"),
        (breaker.break_duration, "break_duration"),
        (breaker.max_break_duration, "max_break_duration"),
    ] {
        check_max(value, &field(name))?;
    }
    if breaker.max_break_duration < breaker.break_duration {
        return Err(ConfigError::BackoffOrder {
            field: field("max_break_duration"),
            initial_backoff: breaker.break_duration,
            max_backoff: breaker.max_break_duration,
        });
    }
    Ok(())
}

/// Rejects a duration longer than [`MAX_DURATION`].
fn check_max(value: Duration, field: &str) -> Result<(), ConfigError> {
    if value > MAX_DURATION {
        return Err(ConfigError::DurationTooLong { field: field.to_owned(), value });
    }
    Ok(())
}
