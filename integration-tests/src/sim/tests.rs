use super::report::{summarize, Summary};
use super::*;

fn find<'a>(summaries: &'a [Summary], scenario: &str, contender: Contender, service: &str) -> &'a Summary {
    summaries
        .iter()
        .find(|s| s.scenario == scenario && s.contender == contender && s.service == service)
        .unwrap_or_else(|| panic!("no summary for {scenario} / {} / {service}", contender.name()))
}

/// The claims CI holds the default policy to, on the short simulation: no duplicate side effects,
/// and never more attempts per call than the SDK's default on the same fault schedule, for every
/// scenario and service.
#[test]
fn default_policy_claims_hold_on_a_short_simulation() {
    let config = SimConfig::short(42);
    let summaries = summarize(&simulate(&config));
    let services: Vec<&str> = config.services.iter().map(|s| s.catalog().key()).chain(["all"]).collect();
    for scenario in &config.scenarios {
        let name = scenario.name();
        for service in &services {
            let sdk = find(&summaries, &name, Contender::SdkStandard, service);
            let policy = find(&summaries, &name, Contender::PolicyDefault, service);
            assert!(
                policy.amplification <= sdk.amplification,
                "{name} / {service}: the default policy sent {:.4} attempts per call, the SDK's default {:.4}",
                policy.amplification,
                sdk.amplification
            );
            if scenario.non_idempotent() {
                assert_eq!(policy.duplicates, 0, "{name} / {service}: the default policy duplicated side effects");
                let breaker = find(&summaries, &name, Contender::PolicyBreaker, service);
                assert_eq!(breaker.duplicates, 0, "{name} / {service}: policy + breaker duplicated side effects");
                if *service == "all" {
                    let sdk_dups = sdk.duplicates;
                    assert!(sdk_dups > 0, "{name}: the fault must make the SDK alone duplicate ({sdk_dups})");
                }
            }
            if let (Scenario::Iid(_), "all") = (scenario, *service) {
                let breaker = find(&summaries, &name, Contender::PolicyBreaker, service);
                assert_eq!(breaker.breaker_opened, 0, "{name}: the breaker opened under i.i.d. errors");
            }
        }
    }
    // The policy is the one authority over its retries: at 30 % it reaches what its 3 attempts
    // allow on the same schedule, within 0.1 percentage point.
    let iid30 = find(&summaries, "iid 30%", Contender::PolicyDefault, "all");
    let limit = iid30.ideal3.unwrap();
    assert!(limit - iid30.success_rate <= 0.001, "{:.4} vs the 3-attempt limit {limit:.4}", iid30.success_rate);
    let outage = find(&summaries, "outage 6s", Contender::PolicyBreaker, "all");
    assert!(outage.breaker_opened > 0, "the breaker opens in the outage: {outage:?}");
    // The schedule does what it says, so the checks above could fail: the SDK's default retries
    // committed requests into duplicates, and the outage sends attempts into the window.
    let committed = find(&summaries, "committed-then-failed 10%", Contender::SdkStandard, "all");
    assert!(committed.duplicates > 0, "{committed:?}");
    // Every attempt takes the modeled latency on the virtual clock, and no more.
    let calm = find(&summaries, "iid 1%", Contender::SdkStandard, "all");
    assert_eq!(calm.p50_ms, config.latency.as_secs_f64() * 1e3, "{calm:?}");
    let outage = find(&summaries, "outage 6s", Contender::SdkStandard, "all");
    assert!(outage.outage_attempts.unwrap_or_default() > 0 && outage.success_rate < 1.0, "{outage:?}");
}

#[test]
fn the_same_seed_gives_the_same_results() {
    let mut config = SimConfig::short(7);
    config.calls = 120;
    config.scenarios.retain(|s| matches!(s, Scenario::Iid(p) if *p > 0.2) || s.outage().is_some());
    config.services = vec![&aws_server_errors_pinpoint::SERVICE, &aws_server_errors_backupgateway::SERVICE];
    config.contenders = vec![Contender::SdkStandard, Contender::PolicyDefault];
    let calls = |runs: Vec<Run>| runs.into_iter().map(|r| (r.calls, r.attempt_times)).collect::<Vec<_>>();
    let first = calls(simulate(&config));
    assert_eq!(first, calls(simulate(&config)));
    config.seed = 8;
    assert_ne!(first, calls(simulate(&config)), "a different seed changes the schedule");
    // The fleet too: 10 processes with their own policies, one arrival stream.
    config.seed = 7;
    config.fleet.contenders = vec![Contender::PolicyDefault, Contender::PolicyFleet];
    let fleet = calls(simulate_fleet(&config));
    assert_eq!(fleet, calls(simulate_fleet(&config)));
}

#[test]
fn the_fault_schedule_is_keyed_by_call_and_attempt() {
    let iid = Scenario::Iid(0.3);
    let fails: Vec<bool> = (0..10_000).map(|k| iid.fails(1, k, 0, Duration::ZERO)).collect();
    let rate = fails.iter().filter(|f| **f).count() as f64 / 1e4;
    assert!((0.28..0.32).contains(&rate), "{rate}");
    assert_eq!(fails, (0..10_000).map(|k| iid.fails(1, k, 0, Duration::from_secs(99))).collect::<Vec<_>>());
    let outage = Scenario::Outage { start: Duration::from_secs(60), length: Duration::from_secs(60) };
    assert!(!outage.fails(1, 0, 0, Duration::from_millis(59_999)));
    assert!(outage.fails(1, 0, 5, Duration::from_secs(60)));
    assert!(!outage.fails(1, 0, 0, Duration::from_secs(120)));
}

/// The fleet's claims, on the short simulation (10 processes sharing 20 calls/s through a 6 s
/// outage): a per-process breaker at its defaults never opens on a process's share of the
/// traffic; the configuration recommended for low-traffic processes opens in every process, and
/// sends fewer requests into the outage than the default policy, with the fleet and with one
/// client; the SDK's and the default policy's fleets send more into it than one client does
/// (each process's retry quota or budget bursts on its own); and the recommended configuration
/// recovers within its 10 s break cap.
#[test]
fn fleet_claims_hold_on_a_short_simulation() {
    let config = SimConfig::short(42);
    let summaries = summarize(&simulate_fleet(&config));
    let clients = config.fleet.clients;
    let get = |contender: Contender, fleet: bool| {
        summaries
            .iter()
            .find(|s| s.contender == contender && s.service != "all" && (s.clients > 1) == fleet)
            .unwrap_or_else(|| panic!("no fleet summary for {}", contender.name()))
    };
    let defaults = get(Contender::PolicyBreakerDefaults, true);
    assert_eq!((defaults.clients, defaults.clients_opened), (clients, 0), "{defaults:?}");
    let low = get(Contender::PolicyFleet, true);
    assert_eq!(low.clients_opened as usize, clients, "every process's breaker opened: {low:?}");
    let default_policy = get(Contender::PolicyDefault, true);
    let in_outage = |s: &Summary| s.outage_attempts.unwrap_or_default();
    assert!(in_outage(low) * 2 < in_outage(default_policy), "{low:?}\n{default_policy:?}");
    assert!(in_outage(get(Contender::PolicyFleet, false)) < in_outage(get(Contender::PolicyDefault, false)));
    for contender in [Contender::SdkStandard, Contender::PolicyDefault] {
        let (fleet, one) = (get(contender, true), get(contender, false));
        assert!(in_outage(fleet) > in_outage(one), "{}: {fleet:?}\n{one:?}", contender.name());
    }
    assert!(low.recovery_ms.unwrap_or(f64::MAX) <= 10_000.0 + 1_000.0, "{low:?}");
    assert!(low.success_rate > 0.5, "{low:?}");
}
