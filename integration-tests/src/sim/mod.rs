//! The fault simulation: real SDK clients of the eight services with an adapter, driven
//! through the fault kit's in-process HTTP client on **virtual time**, under failure scenarios,
//! with five retry strategies ("contenders") on the same fault schedule.
//!
//! How it works:
//! - Each run (one scenario, contender and service) gets its own current-thread Tokio runtime with
//!   a paused clock. The SDK's sleep is Tokio's (so it sleeps on the paused clock) and its time
//!   source is [`VirtualTime`], read from the same clock. Tokio advances the clock whenever every
//!   task is waiting, so a 200 s schedule with real backoffs runs in well under a second.
//! - Calls arrive open-loop, one every [`SimConfig::arrival_interval`], each in its own task, and
//!   every attempt takes [`SimConfig::latency`] (the fault kit's modeled latency).
//! - The fault schedule is keyed, not sequential: attempt `j` of call `k` fails if a hash of
//!   `(seed, service, k, j)` falls below the rate, or if it arrives inside the outage window. So
//!   every contender sees the same faults for the same attempts, whatever else it does
//!   (common random numbers), and a result can only differ because the strategy differs.
//! - Randomness inside the SDK and the policy (backoff jitter) comes from `fastrand`'s
//!   thread-local generator, which each run seeds from the seed, scenario and service. Same seed,
//!   same results: the `reproducible` test checks it.
//! - Each run's client has a retry partition of its own: the SDK keeps retry quotas and adaptive
//!   rate limiters per partition in a process-wide map, which would otherwise leak state from one
//!   run into the next.

pub mod report;

use std::cell::{Cell, RefCell};
use std::rc::Rc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::{Duration, SystemTime};

use aws_config::stalled_stream_protection::StalledStreamProtectionConfig;
use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_credential_types::provider::SharedCredentialsProvider;
use aws_credential_types::Credentials;
use aws_server_errors::Service;
use aws_server_errors::{CircuitState, PolicyConfig, ServerErrorPolicy};
use aws_server_errors_fault::{Fault, FaultInjector, FaultPlan, MinimalSuccess, RequestInfo, Responder, Rule};
use aws_smithy_async::rt::sleep::{SharedAsyncSleep, TokioSleep};
use aws_smithy_async::time::{SharedTimeSource, TimeSource};
use aws_smithy_types::retry::RetryConfig;
use aws_smithy_types::timeout::TimeoutConfig;
use bytes::Bytes;

use crate::{Case, Outcome, ACCESS_KEY, SECRET_KEY};

/// A failure scenario.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Scenario {
    /// Each attempt of the retry-safe operation fails independently with this probability (a
    /// ratio in `0..=1`) with the service's internal-server error.
    Iid(f64),
    /// Every attempt of the retry-safe operation that arrives in `[start, start + length)` fails;
    /// the service then recovers at once.
    Outage {
        /// When the outage begins, from the start of the run.
        start: Duration,
        /// How long it lasts.
        length: Duration,
    },
    /// Each attempt of the non-idempotent operation is applied, and then fails with `fault`,
    /// with probability `p` ("committed then failed"). A retry applies it again.
    CommittedThenFailed {
        /// The probability, a ratio in `0..=1`.
        p: f64,
        /// How the applied request fails.
        fault: CommittedFault,
    },
}

/// How a committed request fails in [`Scenario::CommittedThenFailed`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CommittedFault {
    /// The service's modeled internal-server error (500).
    InternalError,
    /// A bare 500 with an HTML body, as a load balancer sends.
    Bare500,
    /// A gateway's 502.
    BadGateway,
    /// A gateway's 504.
    GatewayTimeout,
    /// No response: the SDK's read timeout ends the attempt.
    ReadTimeout,
}

impl CommittedFault {
    /// All five, in report order.
    pub const ALL: [CommittedFault; 5] =
        [Self::InternalError, Self::Bare500, Self::BadGateway, Self::GatewayTimeout, Self::ReadTimeout];

    fn name(self) -> &'static str {
        match self {
            Self::InternalError => "",
            Self::Bare500 => " bare 500",
            Self::BadGateway => " 502",
            Self::GatewayTimeout => " 504",
            Self::ReadTimeout => " read timeout",
        }
    }

    fn fault(self) -> Fault {
        let page = |status| Fault::BareStatus { status, body: "<html><body>gateway error</body></html>".into() };
        match self {
            Self::InternalError => Fault::InternalError,
            Self::Bare500 => page(500),
            Self::BadGateway => page(502),
            Self::GatewayTimeout => page(504),
            Self::ReadTimeout => Fault::NoResponse,
        }
    }
}

impl Scenario {
    /// The scenario's name in reports, e.g. `iid 10%`, `outage 60s`.
    pub fn name(&self) -> String {
        match self {
            Self::Iid(p) => format!("iid {}%", p * 100.0),
            Self::Outage { length, .. } => format!("outage {}s", length.as_secs_f64()),
            Self::CommittedThenFailed { p, fault } => format!("committed-then-failed{} {}%", fault.name(), p * 100.0),
        }
    }

    /// The outage window `[start, end)`, for [`Scenario::Outage`].
    pub fn outage(&self) -> Option<(Duration, Duration)> {
        match self {
            Self::Outage { start, length } => Some((*start, *start + *length)),
            _ => None,
        }
    }

    /// Whether the scenario calls the non-idempotent operation.
    pub fn non_idempotent(&self) -> bool {
        matches!(self, Self::CommittedThenFailed { .. })
    }

    /// Whether attempt `attempt` (0-based) of call `call`, arriving at `now`, fails.
    pub fn fails(&self, key: u64, call: u64, attempt: u32, now: Duration) -> bool {
        match self {
            Self::Iid(p) | Self::CommittedThenFailed { p, .. } => unit(key, call, attempt) < *p,
            Self::Outage { start, length } => now >= *start && now < *start + *length,
        }
    }
}

/// A retry strategy under test.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Contender {
    /// The SDK's default: standard retry mode, behaviour version latest (3 attempts, exponential
    /// backoff from 1 s, capped at 20 s, with full jitter, and the retry quota).
    SdkStandard,
    /// The SDK's adaptive retry mode (standard plus a client-side rate limiter fed by throttling
    /// errors).
    SdkAdaptive,
    /// The hand-written loop found in applications: on the service's typed internal error, retry
    /// the whole SDK call up to 3 more times, sleeping 1 s, 2 s, then 4 s, with the SDK's own
    /// standard retries still on underneath.
    HandWritten,
    /// aws-server-errors with its default policy, on the SDK's standard mode.
    PolicyDefault,
    /// aws-server-errors with the recommended configuration, [`tuned_policy`].
    PolicyTuned,
    /// The recommended configuration with the circuit breaker on at its default settings,
    /// [`breaker_policy`].
    PolicyBreaker,
    /// The default policy with the circuit breaker on at the breaker's own defaults (fleet runs).
    PolicyBreakerDefaults,
    /// The configuration recommended for low-traffic processes, [`fleet_policy`] (fleet runs).
    PolicyFleet,
}

impl Contender {
    /// All six, in report order.
    pub const ALL: [Contender; 6] = [
        Self::SdkStandard,
        Self::SdkAdaptive,
        Self::HandWritten,
        Self::PolicyDefault,
        Self::PolicyTuned,
        Self::PolicyBreaker,
    ];

    /// The contenders of the fleet runs, in report order.
    pub const FLEET: [Contender; 4] =
        [Self::SdkStandard, Self::PolicyDefault, Self::PolicyBreakerDefaults, Self::PolicyFleet];

    /// The contender's name in reports.
    pub fn name(self) -> &'static str {
        match self {
            Self::SdkStandard => "sdk-standard",
            Self::SdkAdaptive => "sdk-adaptive",
            Self::HandWritten => "hand-written-loop",
            Self::PolicyDefault => "policy-default",
            Self::PolicyTuned => "policy-tuned",
            Self::PolicyBreaker => "policy-breaker",
            Self::PolicyBreakerDefaults => "policy-breaker-defaults",
            Self::PolicyFleet => "policy-low-traffic",
        }
    }

    fn retry_config(self) -> RetryConfig {
        match self {
            Self::SdkAdaptive => RetryConfig::adaptive(),
            _ => RetryConfig::standard(),
        }
    }

    fn policy(self) -> Option<ServerErrorPolicy> {
        let config = match self {
            Self::PolicyDefault => PolicyConfig::default(),
            Self::PolicyTuned => tuned_policy(),
            Self::PolicyBreaker => breaker_policy(),
            Self::PolicyBreakerDefaults => PolicyConfig {
                circuit_breaker: aws_server_errors::CircuitBreakerConfig { enabled: true, ..Default::default() },
                ..PolicyConfig::default()
            },
            Self::PolicyFleet => fleet_policy(),
            _ => return None,
        };
        Some(crate::with_services(config).expect("the simulation's policies are valid"))
    }

    /// Makes one call as this contender would, and says whether it succeeded.
    async fn call<C: Case>(self, client: &C, non_idempotent: bool) -> bool {
        let once = || async {
            if non_idempotent {
                client.call_unsafe().await
            } else {
                client.call_safe().await
            }
        };
        let mut outcome = once().await;
        if self == Self::HandWritten {
            for wait in [1, 2, 4] {
                if outcome != Outcome::InternalServerError {
                    break;
                }
                tokio::time::sleep(Duration::from_secs(wait)).await;
                outcome = once().await;
            }
        }
        outcome == Outcome::Ok
    }
}

/// The configuration the simulation recommends (contender `policy-tuned`): the defaults, with up
/// to 5 attempts per call for internal errors of retry-safe operations, bounded by a time budget
/// of 2 s per call. More attempts raise the success rate under heavy i.i.d. errors; the time
/// budget keeps the worst case short; the retry budget (default) still stops retries in an
/// outage.
pub fn tuned_policy() -> PolicyConfig {
    PolicyConfig { max_attempts: 5, time_budget: Some(Duration::from_secs(2)), ..PolicyConfig::default() }
}

/// The recommended configuration with a circuit breaker on every service (contender
/// `policy-breaker`): the breaker's defaults, with the break growing only to 10 s, so a
/// recovered service waits at most 10 s for its next probe.
pub fn breaker_policy() -> PolicyConfig {
    let breaker = aws_server_errors::CircuitBreakerConfig {
        enabled: true,
        max_break_duration: Duration::from_secs(10),
        ..Default::default()
    };
    PolicyConfig { circuit_breaker: breaker, ..tuned_policy() }
}

/// The configuration the simulation recommends for processes that each make a few calls per
/// second (contender `policy-low-traffic`): a breaker that can open on the few outcomes one such
/// process sees (at least 6 in a 60 s window, half of them failing; the break capped at 10 s),
/// and a retry budget of 3 tokens per process, so a fleet's burst of retries at the start of an
/// outage is 3 per process instead of 20.
pub fn fleet_policy() -> PolicyConfig {
    let breaker = aws_server_errors::CircuitBreakerConfig {
        enabled: true,
        minimum_throughput: 6,
        sampling_duration: Duration::from_secs(60),
        max_break_duration: Duration::from_secs(10),
        ..Default::default()
    };
    let budget = aws_server_errors::RetryBudgetConfig { capacity: 3, ..Default::default() };
    PolicyConfig { circuit_breaker: breaker, retry_budget: budget, ..PolicyConfig::default() }
}

/// A fleet: many processes, each with its own client and policy, sharing one arrival stream.
#[derive(Debug, Clone)]
pub struct Fleet {
    /// Clients (processes); call `k` goes to client `k % clients`.
    pub clients: usize,
    /// The service they call.
    pub service: &'static Service,
    /// The contenders, in report order.
    pub contenders: Vec<Contender>,
}

/// What to simulate.
#[derive(Debug, Clone)]
pub struct SimConfig {
    /// The seed of the fault schedule and of every run's jitter.
    pub seed: u64,
    /// Calls per service per scenario and contender.
    pub calls: usize,
    /// Time between the starts of two calls (open-loop arrivals).
    pub arrival_interval: Duration,
    /// Modeled service latency of every attempt.
    pub latency: Duration,
    /// The scenarios, in report order.
    pub scenarios: Vec<Scenario>,
    /// The contenders, in report order.
    pub contenders: Vec<Contender>,
    /// The services.
    pub services: Vec<&'static Service>,
    /// Worker threads (each run is single-threaded; runs go in parallel).
    pub threads: usize,
    /// The fleet runs, through the config's outage scenario ([`simulate_fleet`]).
    pub fleet: Fleet,
}

impl SimConfig {
    /// The published simulation: 10,000 calls per service at 50 calls/s (200 s), 20 ms per
    /// attempt; i.i.d. 1 %, 10 %, 30 %; a 60 s outage from 60 s; committed-then-failed at 10 %;
    /// all five contenders and services.
    pub fn full(seed: u64) -> Self {
        Self {
            seed,
            calls: 10_000,
            arrival_interval: Duration::from_millis(20),
            latency: Duration::from_millis(20),
            scenarios: [
                Scenario::Iid(0.01),
                Scenario::Iid(0.10),
                Scenario::Iid(0.30),
                Scenario::Outage { start: Duration::from_secs(60), length: Duration::from_secs(60) },
            ]
            .into_iter()
            .chain(CommittedFault::ALL.map(|fault| Scenario::CommittedThenFailed { p: 0.10, fault }))
            .collect(),
            contenders: Contender::ALL.to_vec(),
            services: crate::simulated_services(),
            threads: std::thread::available_parallelism().map_or(1, |n| n.get()),
            // 100 processes sharing the 50 calls/s: 0.5 calls/s each.
            fleet: Fleet {
                clients: 100,
                service: &aws_server_errors_signer::SERVICE,
                contenders: Contender::FLEET.to_vec(),
            },
        }
    }

    /// A version for CI that runs in seconds in a debug build: 300 calls per service at 20
    /// calls/s, a 6 s outage from 3 s, and only the SDK's default and the default policy.
    pub fn short(seed: u64) -> Self {
        Self {
            calls: 300,
            arrival_interval: Duration::from_millis(50),
            scenarios: [
                Scenario::Iid(0.01),
                Scenario::Iid(0.10),
                Scenario::Iid(0.30),
                Scenario::Outage { start: Duration::from_secs(3), length: Duration::from_secs(6) },
            ]
            .into_iter()
            .chain(CommittedFault::ALL.map(|fault| Scenario::CommittedThenFailed { p: 0.10, fault }))
            .collect(),
            contenders: vec![Contender::SdkStandard, Contender::PolicyDefault, Contender::PolicyBreaker],
            // 10 processes sharing the 20 calls/s: 2 calls/s each, 12 calls each in the outage.
            fleet: Fleet {
                clients: 10,
                service: &aws_server_errors_signer::SERVICE,
                contenders: Contender::FLEET.to_vec(),
            },
            ..Self::full(seed)
        }
    }
}

/// One call as the simulation saw it. Times are from the start of the run.
#[derive(Debug, Clone, PartialEq)]
pub struct CallRecord {
    /// When the call started.
    pub start: Duration,
    /// When its result (success or the SDK's error) reached the caller.
    pub end: Duration,
    /// Whether it succeeded.
    pub ok: bool,
    /// HTTP requests it sent (all SDK attempts, across the hand-written loop's calls too).
    pub attempts: u32,
    /// How many of them the service applied (had their side effect).
    pub applied: u32,
}

/// The result of one scenario, contender and service.
#[derive(Debug, Clone)]
pub struct Run {
    /// The scenario.
    pub scenario: Scenario,
    /// The contender.
    pub contender: Contender,
    /// The service.
    pub service: &'static Service,
    /// Every call, in start order.
    pub calls: Vec<CallRecord>,
    /// The arrival time of every attempt, in arrival order.
    pub attempt_times: Vec<Duration>,
    /// The key of the run's fault schedule (see [`Scenario::fails`]).
    pub key: u64,
    /// Attempts that arrived while the service's circuit breaker was not closed (half-open
    /// probes, and calls admitted before it opened).
    pub attempts_while_open: u64,
    /// How many times the circuit breaker opened (sampled at every call's start), summed over
    /// the clients.
    pub breaker_opened: u64,
    /// Clients (processes) of the run: 1, or the fleet's.
    pub clients: usize,
    /// Clients whose breaker opened at least once.
    pub clients_opened: u64,
}

/// Runs every scenario, contender and service of `config`. Results are in the config's order
/// (scenario, contender, service) whatever the thread count.
pub fn simulate(config: &SimConfig) -> Vec<Run> {
    let mut jobs = Vec::new();
    for (si, scenario) in config.scenarios.iter().enumerate() {
        for contender in &config.contenders {
            for service in &config.services {
                jobs.push((si, *scenario, *contender, *service));
            }
        }
    }
    run_jobs(config.threads, &jobs, |&(si, scenario, contender, service)| {
        run_one(config, si as u64, scenario, contender, service)
    })
}

/// Runs `job` on every item of `jobs` on up to `threads` threads; results in the jobs' order.
fn run_jobs<J: Sync>(threads: usize, jobs: &[J], job: impl Fn(&J) -> Run + Sync) -> Vec<Run> {
    let next = AtomicUsize::new(0);
    let results: Mutex<Vec<Option<Run>>> = Mutex::new(vec![None; jobs.len()]);
    std::thread::scope(|scope| {
        for _ in 0..threads.clamp(1, jobs.len().max(1)) {
            scope.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(item) = jobs.get(i) else { break };
                let run = job(item);
                results.lock().unwrap()[i] = Some(run);
            });
        }
    });
    results.into_inner().unwrap().into_iter().map(|r| r.expect("every job ran")).collect()
}

/// Runs the config's outage scenario with the fleet: for each fleet contender, `fleet.clients`
/// clients, each with its own policy and retry partition, sharing the arrival stream; and, to
/// compare, the same contender as one client with all the traffic. Results: per contender, the
/// one-client run, then the fleet's.
pub fn simulate_fleet(config: &SimConfig) -> Vec<Run> {
    let Some(scenario) = config.scenarios.iter().copied().find(|s| s.outage().is_some()) else { return Vec::new() };
    let index = config.scenarios.iter().position(|s| *s == scenario).unwrap_or_default() as u64;
    let jobs: Vec<(Contender, usize)> =
        config.fleet.contenders.iter().flat_map(|c| [(*c, 1), (*c, config.fleet.clients)]).collect();
    run_jobs(config.threads, &jobs, |&(contender, clients)| {
        run_clients(config, index, scenario, contender, config.fleet.service, clients)
    })
}

/// The per-call state an attempt reads and updates, carried by a task-local.
#[derive(Debug)]
struct CallState {
    id: u64,
    /// The client (process) making the call.
    client: usize,
    attempts: Cell<u32>,
    applied: Cell<u32>,
    attempt_times: RefCell<Vec<Duration>>,
}

tokio::task_local! {
    static CALL: Rc<CallState>;
}

/// Applies a request: counts the side effect for the current call, answers `200`.
#[derive(Debug)]
struct CountingResponder;

impl Responder for CountingResponder {
    fn respond(&self, request: &RequestInfo<'_>) -> http::Response<Bytes> {
        let _ = CALL.try_with(|call| call.applied.set(call.applied.get() + 1));
        MinimalSuccess.respond(request)
    }
}

/// The SDK's time source on the runtime's (paused) Tokio clock: a fixed date plus the virtual
/// time since the run began.
#[derive(Debug, Clone, Copy)]
pub struct VirtualTime {
    origin: tokio::time::Instant,
}

impl VirtualTime {
    /// 2026-01-01T00:00:00Z (as a duration since the Unix epoch): where every simulated run and
    /// every end-to-end test clock starts.
    pub const EPOCH_OFFSET: Duration = Duration::from_secs(1_767_225_600);

    /// A clock that reads [`Self::EPOCH_OFFSET`] now. Call it inside the runtime.
    pub fn start() -> Self {
        Self { origin: tokio::time::Instant::now() }
    }

    /// Virtual time since [`VirtualTime::start`].
    pub fn elapsed(&self) -> Duration {
        self.origin.elapsed()
    }
}

impl TimeSource for VirtualTime {
    fn now(&self) -> SystemTime {
        SystemTime::UNIX_EPOCH + Self::EPOCH_OFFSET + self.elapsed()
    }
}

static PARTITION: AtomicU64 = AtomicU64::new(0);

fn run_one(
    config: &SimConfig,
    scenario_index: u64,
    scenario: Scenario,
    contender: Contender,
    service: &'static Service,
) -> Run {
    run_clients(config, scenario_index, scenario, contender, service, 1)
}

fn run_clients(
    config: &SimConfig,
    scenario_index: u64,
    scenario: Scenario,
    contender: Contender,
    service: &'static Service,
    clients: usize,
) -> Run {
    let service_index = crate::SERVICES.iter().position(|s| *s == service).unwrap_or_default() as u64;
    // Jitter in the SDK and the policy: the same for every contender of a scenario and service.
    fastrand::seed(mix(config.seed, scenario_index, service_index as u32));
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .start_paused(true)
        .build()
        .expect("a current-thread runtime");
    let local = tokio::task::LocalSet::new();
    let key = mix(config.seed, 0x5eed, service_index as u32);
    local.block_on(&runtime, async {
        crate::with_case(service, Drive { config, key, scenario, contender, service, clients }).await
    })
}

/// One run, with the service's [`Case`] type.
struct Drive<'a> {
    config: &'a SimConfig,
    key: u64,
    scenario: Scenario,
    contender: Contender,
    service: &'static Service,
    clients: usize,
}

impl crate::CaseFn for Drive<'_> {
    type Output = Run;
    async fn call<C: Case + 'static>(self) -> Run {
        let Self { config, key, scenario, contender, service, clients } = self;
        drive::<C>(config, key, scenario, contender, service, clients).await
    }
}

async fn drive<C: Case + 'static>(
    config: &SimConfig,
    key: u64,
    scenario: Scenario,
    contender: Contender,
    service: &'static Service,
    clients: usize,
) -> Run {
    let clock = VirtualTime::start();
    // One policy per client (process): its own retry budget and breaker.
    let policies: std::sync::Arc<Vec<Option<ServerErrorPolicy>>> =
        std::sync::Arc::new((0..clients).map(|_| contender.policy()).collect());
    let breaker_state = {
        let policies = policies.clone();
        move |client: usize| policies[client].as_ref().and_then(|p| p.circuit_state(service))
    };
    let open_attempts = std::sync::Arc::new(AtomicU64::new(0));
    let fault = match scenario {
        Scenario::CommittedThenFailed { fault, .. } => fault.fault(),
        _ => Fault::InternalError,
    };
    let counter = open_attempts.clone();
    let state_at_attempt = breaker_state.clone();
    let mut rule = Rule::new(fault).when(move |_request| {
        CALL.try_with(|call| {
            if state_at_attempt(call.client).is_some_and(|s| s != CircuitState::Closed) {
                counter.fetch_add(1, Ordering::Relaxed);
            }
            let attempt = call.attempts.get();
            call.attempts.set(attempt + 1);
            let now = clock.elapsed();
            call.attempt_times.borrow_mut().push(now);
            scenario.fails(key, call.id, attempt, now)
        })
        .unwrap_or(false)
    });
    if scenario.non_idempotent() {
        rule = rule.committed();
    }
    let injector = FaultInjector::with_responder(FaultPlan::new().rule(rule), CountingResponder);
    let sdk = SdkConfig::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .credentials_provider(SharedCredentialsProvider::new(Credentials::new(
            ACCESS_KEY, SECRET_KEY, None, None, "sim",
        )))
        .http_client(injector.http_client(service).latency(config.latency))
        .retry_config(contender.retry_config())
        // A read that is never answered ends after 1 s (the committed read-timeout scenario).
        .timeout_config(TimeoutConfig::builder().read_timeout(Duration::from_secs(1)).build())
        .stalled_stream_protection(StalledStreamProtectionConfig::disabled())
        .sleep_impl(SharedAsyncSleep::new(TokioSleep::new()))
        .time_source(SharedTimeSource::new(clock))
        .build();
    let client_set: Vec<Rc<C>> = policies
        .iter()
        .map(|policy| {
            let partition = format!("fault-sim-{}", PARTITION.fetch_add(1, Ordering::Relaxed));
            Rc::new(C::client_in(&sdk, policy.as_ref(), Some(&partition)))
        })
        .collect();

    let non_idempotent = scenario.non_idempotent();
    let mut tasks = Vec::with_capacity(config.calls);
    let mut last_state = vec![CircuitState::Closed; clients];
    let mut opened = vec![0u64; clients];
    for k in 0..config.calls {
        tokio::time::sleep_until(clock.origin + config.arrival_interval * k as u32).await;
        let index = k % clients;
        if let Some(state) = breaker_state(index) {
            opened[index] += u64::from(state == CircuitState::Open && last_state[index] != CircuitState::Open);
            last_state[index] = state;
        }
        let state = Rc::new(CallState {
            id: k as u64,
            client: index,
            attempts: Cell::new(0),
            applied: Cell::new(0),
            attempt_times: RefCell::new(Vec::new()),
        });
        let client = client_set[index].clone();
        let task = tokio::task::spawn_local(CALL.scope(state.clone(), async move {
            let start = clock.elapsed();
            let ok = contender.call(&*client, non_idempotent).await;
            (start, clock.elapsed(), ok)
        }));
        tasks.push((task, state));
    }
    let mut calls = Vec::with_capacity(tasks.len());
    let mut attempt_times = Vec::new();
    for (task, state) in tasks {
        let (start, end, ok) = task.await.expect("a simulated call does not panic");
        calls.push(CallRecord { start, end, ok, attempts: state.attempts.get(), applied: state.applied.get() });
        attempt_times.extend(state.attempt_times.borrow().iter().copied());
    }
    attempt_times.sort();
    let attempts_while_open = open_attempts.load(Ordering::Relaxed);
    let breaker_opened = opened.iter().sum();
    let clients_opened = opened.iter().filter(|n| **n > 0).count() as u64;
    Run {
        scenario,
        contender,
        service,
        calls,
        attempt_times,
        key,
        attempts_while_open,
        breaker_opened,
        clients,
        clients_opened,
    }
}

/// SplitMix64 over the inputs: a well-mixed 64-bit key.
fn mix(seed: u64, a: u64, b: u32) -> u64 {
    let mut z = seed ^ a.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ u64::from(b).wrapping_mul(0xC2B2_AE3D_27D4_EB4F);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// A uniform number in `[0, 1)` for attempt `attempt` of call `call`.
fn unit(key: u64, call: u64, attempt: u32) -> f64 {
    (mix(key, call, attempt) >> 11) as f64 / (1u64 << 53) as f64
}

#[cfg(test)]
mod tests;
