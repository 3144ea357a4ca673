//! The breaker against a reference model: random sequences of clock steps, admissions, outcomes
//! and dropped probes must give the same states, admissions and probe counts, and half-open must
//! never have more probes in flight than allowed.

use super::*;
use proptest::prelude::*;

const SETTINGS: BreakerSettings = BreakerSettings {
    failure_ratio: 0.5,
    minimum_throughput: 4,
    sampling_duration: Duration::from_secs(10),
    break_duration: Duration::from_secs(5),
    max_break_duration: Duration::from_secs(20),
    half_open_probes: 2,
};

const BUCKET_MS: u64 = 1000;

/// The reference: every outcome kept with its bucket, the rules written out plainly.
#[derive(Debug, Default)]
struct Model {
    state: u8, // 0 closed, 1 half-open, 2 open
    events: Vec<(u64, bool)>,
    now_ms: u64,
    open_until_ms: u64,
    break_ms: u64,
    probes: u32,
}

impl Model {
    fn new() -> Self {
        Self { break_ms: 5000, ..Default::default() }
    }

    fn admit(&mut self) -> Result<bool, u64> {
        if self.state == 2 && self.now_ms >= self.open_until_ms {
            self.state = 1;
        }
        match self.state {
            0 => Ok(false),
            1 if self.probes < 2 => {
                self.probes += 1;
                Ok(true)
            }
            1 => Err(0),
            _ => Err(self.open_until_ms - self.now_ms),
        }
    }

    fn open(&mut self) {
        self.state = 2;
        self.open_until_ms = self.now_ms + self.break_ms;
        self.events.clear();
    }

    fn record(&mut self, outcome: Option<bool>, probe: bool) {
        let Some(success) = outcome else { return };
        match (self.state, probe) {
            (1, true) if success => {
                self.state = 0;
                self.events.clear();
                self.break_ms = 5000;
            }
            (1, true) => {
                self.break_ms = (self.break_ms * 2).min(20_000);
                self.open();
            }
            (0, _) => {
                let index = self.now_ms / BUCKET_MS;
                self.events.push((index, success));
                if success {
                    return;
                }
                let window: Vec<bool> = self.events.iter().filter(|(i, _)| i + 10 > index).map(|(_, s)| *s).collect();
                let failures = window.iter().filter(|s| !**s).count();
                if window.len() >= 4 && failures * 2 >= window.len() {
                    self.break_ms = 5000;
                    self.open();
                }
            }
            _ => {}
        }
    }
}

#[derive(Debug, Clone)]
enum Op {
    Advance(u64),
    Admit,
    Record(Option<bool>),
    RecordProbe(usize, Option<bool>),
    DropProbe(usize),
}

fn op() -> impl Strategy<Value = Op> {
    let outcome = prop_oneof![Just(Some(true)), Just(Some(false)), Just(None)];
    prop_oneof![
        (0u64..4000).prop_map(Op::Advance),
        Just(Op::Admit),
        outcome.clone().prop_map(Op::Record),
        (0usize..4, outcome).prop_map(|(i, o)| Op::RecordProbe(i, o)),
        (0usize..4).prop_map(Op::DropProbe),
    ]
}

fn at(ms: u64) -> Tick {
    Tick::Source(std::time::SystemTime::UNIX_EPOCH + Duration::from_millis(ms))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn the_breaker_follows_the_reference_model(ops in prop::collection::vec(op(), 1..200)) {
        let breaker = CircuitBreaker::new(SETTINGS);
        let mut model = Model::new();
        let mut probes: Vec<ProbeGuard> = Vec::new();
        for op in ops {
            match op {
                Op::Advance(ms) => model.now_ms += ms,
                Op::Admit => {
                    let (got, _) = breaker.admit(at(model.now_ms));
                    let want = model.admit();
                    match (got, want) {
                        (Ok(Admission::Closed), Ok(false)) => {}
                        (Ok(Admission::Probe(guard)), Ok(true)) => probes.push(guard),
                        (Err(d), Err(ms)) => prop_assert_eq!(d, Some(Duration::from_millis(ms))),
                        (got, want) => prop_assert!(false, "admission {:?} != model {:?}", got, want),
                    }
                }
                Op::Record(outcome) => {
                    breaker.record(at(model.now_ms), outcome, false);
                    model.record(outcome, false);
                }
                Op::RecordProbe(i, outcome) => {
                    if i < probes.len() {
                        breaker.record(at(model.now_ms), outcome, true);
                        model.record(outcome, true);
                        drop(probes.remove(i));
                        model.probes -= 1;
                    }
                }
                Op::DropProbe(i) => {
                    if i < probes.len() {
                        drop(probes.remove(i));
                        model.probes -= 1;
                    }
                }
            }
            prop_assert_eq!(breaker.state().to_u8(), model.state);
            prop_assert_eq!(breaker.probes(), model.probes);
            prop_assert!(breaker.probes() <= SETTINGS.half_open_probes);
        }
    }
}

#[test]
fn opens_on_the_failure_ratio_and_closes_after_a_probe() {
    let breaker = CircuitBreaker::new(SETTINGS);
    for _ in 0..2 {
        breaker.record(at(0), Some(true), false);
    }
    assert_eq!(breaker.record(at(0), Some(false), false), None, "3 outcomes: below the minimum throughput");
    let t = breaker.record(at(0), Some(false), false).expect("2 of 4 failed");
    assert_eq!((t.from, t.to), (CircuitState::Closed, CircuitState::Open));
    assert_eq!(breaker.admit(at(1000)).0.unwrap_err(), Some(Duration::from_secs(4)));
    let (probe, t) = breaker.admit(at(5000));
    assert_eq!(t.unwrap().to, CircuitState::HalfOpen);
    let probe = probe.unwrap();
    let second = breaker.admit(at(5000)).0.unwrap();
    assert_eq!(breaker.admit(at(5000)).0.unwrap_err(), Some(Duration::ZERO), "two probes at most");
    let t = breaker.record(at(5000), Some(false), true).unwrap();
    assert_eq!((t.to, t.break_duration), (CircuitState::Open, Duration::from_secs(10)), "the break doubles");
    drop((probe, second));
    let probe = breaker.admit(at(15_000)).0.unwrap();
    assert!(matches!(probe, Admission::Probe(_)));
    assert_eq!(breaker.record(at(15_000), Some(true), true).unwrap().to, CircuitState::Closed);
}

#[test]
fn a_clock_step_backwards_does_not_reopen_the_window() {
    let breaker = CircuitBreaker::new(SETTINGS);
    for _ in 0..2 {
        breaker.record(at(100_000), Some(false), false);
    }
    // Two failures at t=100 s; the clock steps back an hour: still the same window.
    breaker.record(at(0), Some(false), false);
    assert_eq!(breaker.record(at(0), Some(false), false).map(|t| t.to), Some(CircuitState::Open));
    assert_eq!(breaker.admit(at(0)).0.unwrap_err(), Some(Duration::from_secs(5)), "measured from 100 s");
}

#[test]
fn a_break_on_a_test_clock_stepped_back_ends_after_its_duration_of_clock_time() {
    let breaker = CircuitBreaker::new(SETTINGS);
    for _ in 0..4 {
        breaker.record(at(100_000), Some(false), false);
    }
    assert_eq!(breaker.state(), CircuitState::Open);
    // The clock steps back 100 s: the step adds nothing, the 5 s after it count.
    assert_eq!(breaker.admit(at(0)).0.unwrap_err(), Some(Duration::from_secs(5)));
    assert_eq!(breaker.admit(at(4_000)).0.unwrap_err(), Some(Duration::from_secs(1)), "retry_after is true");
    assert!(matches!(breaker.admit(at(5_000)).0, Ok(Admission::Probe(_))));
}

#[test]
fn a_clock_set_before_1970_still_ends_a_break() {
    let before = |ms: u64| {
        Tick::Source(std::time::SystemTime::UNIX_EPOCH - Duration::from_secs(7200) + Duration::from_millis(ms))
    };
    let breaker = CircuitBreaker::new(SETTINGS);
    for _ in 0..4 {
        breaker.record(before(0), Some(false), false);
    }
    assert_eq!(breaker.admit(before(1_000)).0.unwrap_err(), Some(Duration::from_secs(4)));
    assert!(matches!(breaker.admit(before(5_000)).0, Ok(Admission::Probe(_))));
}

#[test]
fn an_isolated_breaker_fails_every_call_until_reset() {
    let breaker = CircuitBreaker::new(SETTINGS);
    let t = breaker.isolate().expect("closed -> open");
    assert_eq!((t.from, t.to, t.reason), (CircuitState::Closed, CircuitState::Open, TransitionReason::Isolated));
    assert_eq!(breaker.isolate(), None, "isolating twice changes nothing");
    // Long past any break: still no probe.
    assert_eq!(breaker.admit(at(3_600_000)).0.unwrap_err(), None);
    assert_eq!(breaker.record(at(3_600_000), Some(true), false), None, "outcomes do not close it");
    let t = breaker.reset().expect("open -> closed");
    assert_eq!((t.to, t.reason), (CircuitState::Closed, TransitionReason::Reset));
    assert!(matches!(breaker.admit(at(3_600_001)).0, Ok(Admission::Closed)));
    assert_eq!(breaker.reset(), None, "closed already");
}

#[test]
fn a_reset_clears_the_window_and_the_doubled_break() {
    let breaker = CircuitBreaker::new(SETTINGS);
    for _ in 0..4 {
        breaker.record(at(0), Some(false), false);
    }
    let probe = breaker.admit(at(5_000)).0.unwrap();
    let t = breaker.record(at(5_000), Some(false), true).unwrap();
    assert_eq!((t.reason, t.break_duration), (TransitionReason::ProbeFailed, Duration::from_secs(10)));
    drop(probe);
    assert_eq!(breaker.reset().unwrap().reason, TransitionReason::Reset);
    for _ in 0..3 {
        breaker.record(at(6_000), Some(false), false);
    }
    assert_eq!(breaker.state(), CircuitState::Closed, "the window was cleared: 3 outcomes < 4");
    let t = breaker.record(at(6_000), Some(false), false).unwrap();
    assert_eq!(
        (t.reason, t.break_duration),
        (TransitionReason::FailureRatio, Duration::from_secs(5)),
        "first break again"
    );
}

/// The closed state's window is written without a lock: outcomes recorded from many threads at
/// once are all counted, none lost and none twice.
#[test]
fn the_window_counts_every_outcome_recorded_concurrently() {
    let settings = BreakerSettings { minimum_throughput: u32::MAX, ..SETTINGS };
    let breaker = CircuitBreaker::new(settings);
    let start = tokio::time::Instant::now();
    std::thread::scope(|scope| {
        for _ in 0..4 {
            scope.spawn(|| {
                for i in 0..20_000u32 {
                    // All within the first bucket (1 s), interleaved successes and failures.
                    let tick = Tick::Monotonic(start + Duration::from_micros(u64::from(i % 1000)));
                    assert_eq!(breaker.record(tick, Some(i % 2 == 0), false), None);
                }
            });
        }
    });
    assert_eq!(breaker.inner.window.counts(0), (80_000, 40_000));
    assert_eq!(breaker.state(), CircuitState::Closed);
}

/// A bucket's word packs its epoch and counts; counts saturate instead of overflowing into the
/// epoch, and a bucket of an older epoch counts for nothing in a later window.
#[test]
fn window_buckets_saturate_and_expire() {
    let window = Window::default();
    window.buckets[3].store(pack(3, COUNT_MAX, 7), Ordering::Relaxed);
    window.add(3, true);
    assert_eq!(unpack(window.buckets[3].load(Ordering::Relaxed)), (3, COUNT_MAX, 7));
    window.add(4, false);
    assert_eq!(window.counts(4), (COUNT_MAX + 8, 8));
    assert_eq!(window.counts(3 + BUCKETS as u64), (1, 1), "bucket 3 left the window");
    window.add(13, true); // bucket 13 reuses slot 3 and resets it
    assert_eq!(unpack(window.buckets[3].load(Ordering::Relaxed)), (13, 1, 0));
}

/// On the monotonic clock, the breaker's time counts from its first reading and never goes back.
#[test]
fn the_breakers_monotonic_time_counts_from_its_first_reading() {
    let breaker = CircuitBreaker::new(SETTINGS);
    let start = tokio::time::Instant::now();
    let mut inner = breaker.inner.lock();
    let mut at = |secs: u64| breaker.inner.advance(&mut inner, Tick::Monotonic(start + Duration::from_secs(secs)));
    assert_eq!(at(2), Duration::ZERO);
    assert_eq!(at(7), Duration::from_secs(5));
    assert_eq!(at(0), Duration::from_secs(5), "never backwards");
}
