use std::time::Duration;

use super::errors::unknown_service;
use super::*;
use crate::testing::{self, ACCOUNT, BACKUPGATEWAY, CONNECTCASES, PINPOINT, SIGNER};
use crate::{ServerErrorPolicy, Service};

/// What `service` gets from `config`, which must be valid: `None` when disabled.
fn resolved(config: &PolicyConfig, service: &Service) -> Option<ServiceSettings> {
    Resolved::check(config).expect("a valid config").service(service.catalog())
}

/// A policy validated against the five fixture services, and registered on each (so that each
/// has its state).
fn policy(config: PolicyConfig) -> Result<ServerErrorPolicy, ConfigError> {
    let policy = ServerErrorPolicy::with_services(config, testing::ALL)?;
    for service in testing::ALL {
        let _ = policy.interceptor(service);
    }
    Ok(policy)
}

fn err(config: PolicyConfig) -> ConfigError {
    policy(config).expect_err("config should be rejected")
}

#[test]
fn defaults_are_valid() {
    policy(PolicyConfig::default()).unwrap();
}

#[test]
fn a_name_that_cannot_be_a_label_value_is_rejected() {
    for bad in ["", "with space", "x".repeat(65).as_str(), "caf\u{e9}", "a\nb"] {
        let e = PolicyConfig::builder().name(bad).build().unwrap_err();
        assert_eq!(e.field(), "name", "{bad:?}");
        assert!(matches!(e, ConfigError::BadName { .. }), "{bad:?}");
    }
    for good in ["default", "batch-jobs", "api.v2_eu", &"x".repeat(64)] {
        PolicyConfig::builder().name(good).build().unwrap();
    }
    let config: PolicyConfig = toml::from_str("name = \"batch\"\nclient_error_log = \"off\"").unwrap();
    assert_eq!((config.name.as_str(), config.client_error_log), ("batch", LogLevel::Off));
    assert!(toml::from_str::<PolicyConfig>("client_error_log = \"loud\"").is_err(), "unknown level");
}

#[test]
fn zero_attempts_is_rejected_with_its_field() {
    let e = err(PolicyConfig { max_attempts: 0, ..Default::default() });
    assert_eq!(e, ConfigError::AttemptsOutOfRange { field: "max_attempts".into(), value: 0 });
    let e = PolicyConfig::builder()
        .operation("pinpoint", "SendMessages", |o| o.max_attempts = Some(0))
        .build()
        .unwrap_err();
    assert_eq!(e.field(), "services.pinpoint.operations.SendMessages.max_attempts");
    assert!(e.to_string().starts_with("services.pinpoint.operations.SendMessages.max_attempts: 0"));
}

#[test]
fn a_sampling_duration_under_10_ms_is_rejected_as_too_short() {
    for value in [Duration::from_nanos(1), Duration::from_nanos(9_999_999)] {
        let breaker = CircuitBreakerConfig { sampling_duration: value, ..Default::default() };
        let e = err(PolicyConfig { circuit_breaker: breaker, ..Default::default() });
        let field = "circuit_breaker.sampling_duration".to_owned();
        assert_eq!(e, ConfigError::DurationTooShort { field, value, min: MIN_SAMPLING_DURATION });
        assert!(e.to_string().contains("shorter than the minimum of 10ms"), "{e}");
    }
    let breaker = CircuitBreakerConfig { sampling_duration: MIN_SAMPLING_DURATION, ..Default::default() };
    policy(PolicyConfig { circuit_breaker: breaker, ..Default::default() }).unwrap();
}

#[test]
fn breaker_and_budget_take_one_shape_at_both_levels_and_inherit_per_field() {
    let config: PolicyConfig = toml::from_str(
        r#"
        [circuit_breaker]
        minimum_throughput = 50
        [retry_budget]
        capacity = 30
        [services.connectcases]
        circuit_breaker = { enabled = true, break_duration = "10s" }
        retry_budget = { capacity = 100 }
        [services.signer]
        circuit_breaker = true
        "#,
    )
    .unwrap();
    let policy = policy(config.clone()).unwrap();
    let cases = resolved(&config, &CONNECTCASES).unwrap().breaker.unwrap();
    assert_eq!((cases.minimum_throughput, cases.break_duration), (50, Duration::from_secs(10)));
    let signer = resolved(&config, &SIGNER).unwrap().breaker.unwrap();
    assert_eq!((signer.minimum_throughput, signer.break_duration), (50, Duration::from_secs(5)));
    assert_eq!(policy.retry_budget_tokens(&CONNECTCASES), Some(100.0));
    assert_eq!(policy.retry_budget_tokens(&PINPOINT), Some(30.0));
    assert!(policy.circuit_state(&CONNECTCASES).is_some());
    assert!(policy.circuit_state(&PINPOINT).is_none(), "no breaker: not enabled");
}

#[test]
fn a_bad_service_breaker_or_budget_names_the_services_field() {
    let e = toml::from_str::<PolicyConfig>("[services.connectcases]\ncircuit_breaker = { minimum_throughput = 0 }")
        .unwrap()
        .validate()
        .unwrap_err();
    assert_eq!(e.field(), "services.connectcases.circuit_breaker.minimum_throughput");
    let e = toml::from_str::<PolicyConfig>("[services.Pinpoint.retry_budget]\nratio = 2.0")
        .unwrap()
        .validate()
        .unwrap_err();
    assert_eq!(e.field(), "services.Pinpoint.retry_budget.ratio");
    // The service's break may not be longer than the inherited cap.
    let e = toml::from_str::<PolicyConfig>("[services.signer.circuit_breaker]\nbreak_duration = \"1m\"")
        .unwrap()
        .validate()
        .unwrap_err();
    assert_eq!(e.field(), "services.signer.circuit_breaker.max_break_duration");
    let e = toml::from_str::<PolicyConfig>("[services.signer]\ncircuit_breaker = { enable = true }").unwrap_err();
    assert!(e.to_string().contains("unknown field `enable`"), "{e}");
}

#[test]
fn too_many_attempts_is_rejected() {
    let e = err(PolicyConfig { max_attempts: MAX_ATTEMPTS_LIMIT + 1, ..Default::default() });
    assert_eq!(e.field(), "max_attempts");
}

#[test]
fn max_backoff_below_initial_is_rejected_naming_the_layer_that_set_it() {
    let e = PolicyConfig::builder().max_backoff(Duration::from_millis(50)).build().unwrap_err();
    assert!(matches!(e, ConfigError::BackoffOrder { ref field, .. } if field == "max_backoff"), "{e}");
    let e = PolicyConfig::builder()
        .service("signer", |s| s.initial_backoff = Some(Duration::from_secs(10)))
        .build()
        .unwrap_err();
    assert_eq!(e.field(), "services.signer.initial_backoff");
}

#[test]
fn ratio_outside_unit_interval_is_rejected() {
    for ratio in [-0.1, 1.5, f64::NAN] {
        let e = PolicyConfig::builder()
            .retry_budget(RetryBudgetConfig { ratio, ..Default::default() })
            .build()
            .unwrap_err();
        assert_eq!(e.field(), "retry_budget.ratio");
    }
}

#[test]
fn zero_durations_and_counts_are_rejected() {
    assert_eq!(err(PolicyConfig { initial_backoff: Duration::ZERO, ..Default::default() }).field(), "initial_backoff");
    assert_eq!(err(PolicyConfig { time_budget: Some(Duration::ZERO), ..Default::default() }).field(), "time_budget");
    let hint = RetryHintConfig { honour: true, max: Duration::ZERO };
    assert_eq!(err(PolicyConfig { retry_hint: hint, ..Default::default() }).field(), "retry_hint.max");
    let budget = RetryBudgetConfig { capacity: 0, ..Default::default() };
    assert_eq!(err(PolicyConfig { retry_budget: budget, ..Default::default() }).field(), "retry_budget.capacity");
}

#[test]
fn unknown_service_and_operation_are_rejected() {
    let e = err(PolicyConfig::builder().disable_service("pinponit").build().unwrap());
    assert_eq!(e.field(), "services.pinponit");
    assert_eq!(
        e.to_string(),
        "services.pinponit: not one of the services given to the policy (signer, pinpoint (\"Pinpoint\"), \
         account (\"Account\"), backupgateway (\"Backup Gateway\"), connectcases (\"ConnectCases\")); \
         did you mean pinpoint?"
    );
    // A near miss of a longer name is a typo; a short name one letter from another
    // (`sqs`, `sns`) is another service (catalog's `a_near_miss_is_suggested_...`).
    let e = err(PolicyConfig::builder().disable_service("account2").build().unwrap());
    assert!(e.to_string().ends_with("did you mean account?"), "{e}");
    let e = err(PolicyConfig::builder().disable_service("sgner").build().unwrap());
    assert!(e.to_string().ends_with("did you mean signer?"), "{e}");
    // No near miss: no suggestion. The names compare ignoring case, spaces, hyphens, underscores.
    let e = err(PolicyConfig::builder().disable_service("s3").build().unwrap());
    assert_eq!(e, unknown_service("s3", &testing::ALL));
    assert!(!e.to_string().contains("did you mean"), "{e}");
    for alias in ["Connect Cases", "connect-cases", "CONNECTCASES", "backup_gateway", "Backup Gateway"] {
        policy(PolicyConfig::builder().disable_service(alias).build().unwrap()).unwrap();
    }
    // A policy given no services accepts no service key, and says why.
    let e = ServerErrorPolicy::new(PolicyConfig::builder().disable_service("pinpoint").build().unwrap()).unwrap_err();
    assert_eq!(
        e.to_string(),
        "services.pinpoint: no services were given to the policy: pass each adapter crate's SERVICE to \
         ServerErrorPolicy::with_services"
    );
    let e = err(PolicyConfig::builder().operation("pinpoint", "SendMesages", |_| {}).build().unwrap());
    assert_eq!(e.field(), "services.pinpoint.operations.SendMesages");
    assert_eq!(
        e.to_string(),
        "services.pinpoint.operations.SendMesages: pinpoint has no such operation (names are case-sensitive); \
         did you mean SendMessages?"
    );
    let e = err(PolicyConfig::builder().operation("pinpoint", "Frobnicate", |_| {}).build().unwrap());
    assert!(!e.to_string().contains("did you mean"), "nothing near: {e}");
    // Service keys ignore case; operation names do not, and the message says which was meant.
    let e = err(PolicyConfig::builder().operation("PINPOINT", "sendMessages", |_| {}).build().unwrap());
    assert_eq!(
        e.to_string(),
        "services.PINPOINT.operations.sendMessages: PINPOINT has no such operation (names are case-sensitive); \
         did you mean SendMessages?"
    );
}

#[test]
fn a_ratio_error_names_its_range() {
    let budget = RetryBudgetConfig { ratio: 1.5, ..Default::default() };
    let e = err(PolicyConfig { retry_budget: budget, ..Default::default() });
    assert_eq!(e.to_string(), "retry_budget.ratio: 1.5 is not in 0 or 0.000001..=1");
    let breaker = CircuitBreakerConfig { failure_ratio: 0.0, ..Default::default() };
    let e = err(PolicyConfig { circuit_breaker: breaker, ..Default::default() });
    assert_eq!(e.to_string(), "circuit_breaker.failure_ratio: 0 is not in 0.01..=1");
}

#[test]
fn durations_the_sdk_cannot_compute_are_rejected() {
    let huge = Duration::from_secs(u64::MAX);
    let e = err(PolicyConfig { initial_backoff: huge, max_backoff: huge, jitter: Jitter::None, ..Default::default() });
    assert!(matches!(e, ConfigError::DurationTooLong { ref field, .. } if field == "initial_backoff"), "{e}");
    let e = PolicyConfig::builder().operation("signer", "GetSigningProfile", |o| o.time_budget = Some(huge)).build();
    assert_eq!(e.unwrap_err().field(), "services.signer.operations.GetSigningProfile.time_budget");
    let e = err(PolicyConfig { retry_hint: RetryHintConfig { honour: true, max: huge }, ..Default::default() });
    assert_eq!(e.field(), "retry_hint.max");
    let toml =
        "initial_backoff = \"18446744073709551615s\"\nmax_backoff = \"18446744073709551615s\"\njitter = \"none\"";
    let config: PolicyConfig = toml::from_str(toml).unwrap();
    assert!(matches!(err(config), ConfigError::DurationTooLong { .. }));
    policy(PolicyConfig { max_backoff: MAX_DURATION, ..Default::default() }).unwrap();
}

#[test]
fn settings_that_are_switched_off_are_validated_too() {
    let e = PolicyConfig::builder()
        .service("pinpoint", |s| {
            s.enabled = false;
            s.max_attempts = Some(0);
        })
        .build()
        .unwrap_err();
    assert_eq!(e.field(), "services.pinpoint.max_attempts");
    let off = RetryBudgetConfig { enabled: false, capacity: 0, ratio: 0.2 };
    assert_eq!(err(PolicyConfig { retry_budget: off, ..Default::default() }).field(), "retry_budget.capacity");
    let hint = RetryHintConfig { honour: false, max: Duration::ZERO };
    assert_eq!(err(PolicyConfig { retry_hint: hint, ..Default::default() }).field(), "retry_hint.max");
    let breaker = CircuitBreakerConfig { enabled: false, half_open_probes: 0, ..Default::default() };
    assert_eq!(
        err(PolicyConfig { circuit_breaker: breaker, ..Default::default() }).field(),
        "circuit_breaker.half_open_probes"
    );
}

#[test]
fn a_budget_ratio_below_its_precision_is_rejected_not_rounded_to_zero() {
    let budget = RetryBudgetConfig { ratio: 0.0004, ..Default::default() };
    policy(PolicyConfig { retry_budget: budget, ..Default::default() }).unwrap();
    let budget = RetryBudgetConfig { ratio: 1e-7, ..Default::default() };
    assert_eq!(err(PolicyConfig { retry_budget: budget, ..Default::default() }).field(), "retry_budget.ratio");
}

#[test]
fn the_breaker_is_per_service_with_operation_exclusion() {
    let policy = PolicyConfig::builder()
        .service("signer", |s| s.circuit_breaker = true.into())
        .operation("signer", "ListSigningProfiles", |o| o.circuit_breaker = Some(false))
        .build()
        .and_then(policy)
        .unwrap();
    assert!(policy.circuit_state(&SIGNER).is_some());
    assert!(policy.circuit_state(&PINPOINT).is_none(), "off by default");
    let settings = resolved(policy.config(), &SIGNER).unwrap().operations;
    let excluded = SIGNER.catalog().operation_index("ListSigningProfiles").unwrap();
    let included = SIGNER.catalog().operation_index("GetSigningProfile").unwrap();
    assert!(!settings[excluded].breaker && settings[included].breaker);
    let e = PolicyConfig::builder()
        .circuit_breaker(CircuitBreakerConfig { failure_ratio: 0.0, ..Default::default() })
        .build()
        .unwrap_err();
    assert_eq!(e.field(), "circuit_breaker.failure_ratio");
}

#[test]
fn service_keys_accept_the_metric_label_in_any_case() {
    let config: PolicyConfig = toml::from_str(
        r#"
        [services."Backup Gateway"]
        enabled = false
        [services.PINPOINT.operations.SendMessages]
        max_attempts = 2
        "#,
    )
    .unwrap();
    let policy = policy(config).unwrap();
    assert!(!policy.is_enabled(&BACKUPGATEWAY));
    let settings = resolved(policy.config(), &PINPOINT).unwrap().operations;
    assert_eq!(settings[PINPOINT.catalog().operation_index("SendMessages").unwrap()].max_attempts, 2);
    let builder = PolicyConfig::builder().service("Pinpoint", |s| s.max_attempts = Some(4)).disable_service("pinpoint");
    assert_eq!(builder.config().services.keys().collect::<Vec<_>>(), ["Pinpoint"], "one entry per service");

    let mut twice = PolicyConfig::default();
    twice.services.insert("pinpoint".into(), ServiceConfig::default());
    twice.services.insert("Pinpoint".into(), ServiceConfig::default());
    let e = err(twice);
    assert_eq!(e, ConfigError::DuplicateService { field: "services.pinpoint".into(), other: "Pinpoint".into() });
    let e = PolicyConfig::builder().max_attempts(3).service("Pinpoint", |s| s.max_attempts = Some(0)).build();
    assert_eq!(e.unwrap_err().field(), "services.Pinpoint.max_attempts", "the field as the user spelt it");
}

#[test]
fn unknown_operations_get_the_services_settings() {
    let policy =
        policy(PolicyConfig::builder().service("signer", |s| s.max_attempts = Some(5)).build().unwrap()).unwrap();
    let settings = resolved(policy.config(), &SIGNER).unwrap().operations;
    assert_eq!(settings.len(), SIGNER.catalog().operations.len() + 1);
    assert_eq!(settings.last().unwrap().max_attempts, 5);
}

#[test]
fn deserializes_from_toml_with_humantime_durations() {
    let config: PolicyConfig = toml::from_str(
        r#"
        max_attempts = 5
        initial_backoff = "20ms"
        max_backoff = "2s"
        jitter = "none"
        time_budget = "30s"
        [retry_budget]
        ratio = 0.5
        [services.pinpoint]
        retry_non_idempotent = false
        [services.pinpoint.operations.SendMessages]
        max_attempts = 2
        retry_non_idempotent = true
        [services.account]
        enabled = false
        "#,
    )
    .unwrap();
    assert_eq!(config.max_attempts, 5);
    assert_eq!(config.initial_backoff, Duration::from_millis(20));
    assert_eq!(config.jitter, Jitter::None);
    assert_eq!(config.time_budget, Some(Duration::from_secs(30)));
    assert_eq!(config.retry_budget.capacity, 20, "unset fields keep their defaults");
    assert!(!config.services["account"].enabled);
    let settings = resolved(&config, &PINPOINT).unwrap().operations;
    let send = PINPOINT.catalog().operation_index("SendMessages").unwrap();
    assert_eq!(settings[send].max_attempts, 2);
    assert!(settings[send].retry_non_idempotent);
    let get_app = PINPOINT.catalog().operation_index("GetApp").unwrap();
    assert_eq!(settings[get_app].max_attempts, 5);
    assert!(!settings[get_app].retry_non_idempotent);
    assert_eq!(resolved(&config, &ACCOUNT), None);
    policy(config).unwrap();
}

#[test]
fn the_documented_example_is_valid() {
    let config: PolicyConfig = toml::from_str(include_str!("../../../../docs/example-policy.toml")).unwrap();
    assert_eq!(config.max_attempts, 4);
    assert!(!config.services["account"].enabled);
    // Its values; its names are checked against the real services in the integration tests.
    config.validate().unwrap();
}

#[test]
fn unknown_fields_are_rejected_by_serde() {
    let e = toml::from_str::<PolicyConfig>("max_attempt = 3").unwrap_err();
    assert!(e.to_string().contains("max_attempt"), "{e}");
    let e = toml::from_str::<PolicyConfig>("[services.pinpoint]\nenable = false").unwrap_err();
    assert!(e.to_string().contains("enable"), "{e}");
}

#[test]
fn errors_are_found_in_order_top_then_each_service_its_breaker_budget_settings_then_operations() {
    let config = |toml: &str| toml::from_str::<PolicyConfig>(toml).unwrap().validate().unwrap_err().field().to_owned();
    let bad_everywhere = r#"
        retry_hint = { max = "0s" }
        [services.pinpoint]
        max_attempts = 0
        circuit_breaker = { minimum_throughput = 0 }
        retry_budget = { capacity = 0 }
        [services.pinpoint.operations.SendMessages]
        max_attempts = 0
        [services.account]
        max_attempts = 0
    "#;
    assert_eq!(config(bad_everywhere), "retry_hint.max", "the top level first");
    let services_only = bad_everywhere.replace(r#"retry_hint = { max = "0s" }"#, "");
    assert_eq!(config(&services_only), "services.account.max_attempts", "services in key order");
    let pinpoint_only = services_only.replace("[services.account]\n        max_attempts = 0", "");
    assert_eq!(config(&pinpoint_only), "services.pinpoint.circuit_breaker.minimum_throughput", "its breaker");
    let no_breaker = pinpoint_only.replace("circuit_breaker = { minimum_throughput = 0 }", "");
    assert_eq!(config(&no_breaker), "services.pinpoint.retry_budget.capacity", "then its budget");
    let no_budget = no_breaker.replace("retry_budget = { capacity = 0 }", "");
    assert_eq!(config(&no_budget), "services.pinpoint.max_attempts", "then its settings");
    let operation_only = no_budget.replacen("max_attempts = 0", "", 1);
    assert_eq!(config(&operation_only), "services.pinpoint.operations.SendMessages.max_attempts", "then operations");
}
