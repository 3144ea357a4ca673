//! What the policy keeps per service: the resolved settings of every operation, the retry budget
//! and the circuit breaker. Shared by every client of the service the policy is registered on.
//!
//! Part of the engine: it emits nothing. What it did that the observer reports (a breaker
//! transition with its incident report, a listener that panicked, an operation the catalog does
//! not know) it returns ([`Transitioned`], [`Operation::first_seen`]).

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, RwLock};

use crate::adapter::Service;
use crate::breaker::{CircuitBreaker, CircuitEvent, CircuitState, Transition};
use crate::budget::RetryBudget;
use crate::catalog::RetrySafety;
use crate::config::Settings;
use crate::incident::{IncidentLog, IncidentReport, Trigger};

/// The most operation names unknown to the catalog that one service keeps. An SDK crate has a
/// fixed set of operations, so this is never reached in practice; past it, the name is `"other"`.
const MAX_UNKNOWN_OPERATIONS: usize = 256;

/// One call's operation, resolved against the catalog.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Operation {
    /// Index into the catalog's operations and [`ServiceState::settings`]; an operation the catalog
    /// does not know has the index one past the last operation, whose settings are the service's.
    pub index: usize,
    /// The operation name (`rpc.method`).
    pub name: &'static str,
    /// Its retry safety: [`RetrySafety::Unmodeled`] for an unknown operation.
    pub retry_safety: RetrySafety,
    /// Whether this resolution is the first of a name the catalog does not know (the observer
    /// logs it, once per name and service).
    pub first_seen: bool,
}

/// What a breaker transition caused, for the observer to report: the incident report it logged
/// (a timed open: once per incident), and how many of the policy's listeners panicked.
#[derive(Debug)]
pub(crate) struct Transitioned {
    /// The report of the incident the breaker opened on, the first time it opens for it.
    pub report: Option<IncidentReport>,
    /// Listeners that panicked (each skipped).
    pub listener_panics: usize,
}

/// The resolved settings and shared state of one service. Created when the policy is first
/// registered on a client of the service.
#[derive(Debug)]
pub(crate) struct ServiceState {
    /// The service.
    service: &'static Service,
    /// Indexed like the service catalog's operations, plus one last entry (the service's own
    /// settings) for operations the catalog does not know; `None` when the config disables the
    /// service.
    settings: Option<Box<[Settings]>>,
    /// The retry budget, unless disabled.
    budget: Option<Arc<RetryBudget>>,
    /// The circuit breaker, when enabled for the service.
    breaker: Option<CircuitBreaker>,
    /// Whether any operation of the service has a time budget (then calls record their start).
    any_time_budget: bool,
    /// Whether every operation goes through the breaker (then calls need no operation lookup
    /// to know it).
    breaker_every_operation: bool,
    /// Names of operations the catalog does not know, seen so far (each logged once). Read under
    /// a shared lock on every call of such an operation; written once per name.
    unknown_operations: RwLock<Vec<&'static str>>,
    /// Whether any operation the catalog does not know has been seen (`unknown_operations` is not
    /// empty): one relaxed load, for the hooks that only need to know that.
    saw_unknown_operation: AtomicBool,
    /// Operations resolved recently, by the address of the name the SDK passed (a `&'static str`
    /// of its generated code): index + 1, or 0 for an empty slot. A hit is checked by comparing
    /// the names, so a collision or a race only costs the binary search.
    recent: [AtomicUsize; RECENT_SLOTS],
    /// Interceptors made for this service (one per registration on a client config). Past one,
    /// two of them may sit on one client, and the breaker's outcomes are then counted once per
    /// attempt through the call's session in its config bag.
    registrations: AtomicUsize,
    /// The policy's circuit-event listeners (shared by all its services).
    listeners: Arc<Listeners>,
    /// The recent server-side failures, for a support case.
    incidents: IncidentLog,
}

/// A circuit-event listener.
pub(crate) type Listener = Arc<dyn Fn(&CircuitEvent) + Send + Sync>;

/// The listeners registered with [`ServerErrorPolicy::on_circuit_event`](crate::ServerErrorPolicy::on_circuit_event).
#[derive(Default)]
pub(crate) struct Listeners(RwLock<Vec<Listener>>);

impl std::fmt::Debug for Listeners {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let count = self.0.read().map_or(0, |l| l.len());
        f.debug_struct("Listeners").field("count", &count).finish()
    }
}

impl Listeners {
    pub fn add(&self, listener: Listener) {
        self.0.write().unwrap_or_else(|e| e.into_inner()).push(listener);
    }

    /// Calls every listener with `event`, and returns how many panicked. A listener that panics
    /// is skipped: a transition happens inside a call, which must not fail because of it.
    fn notify(&self, event: &CircuitEvent) -> usize {
        let listeners = self.0.read().unwrap_or_else(|e| e.into_inner()).clone();
        listeners
            .iter()
            .filter(|listener| std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| listener(event))).is_err())
            .count()
    }
}

/// Slots of [`ServiceState::recent`].
const RECENT_SLOTS: usize = 16;

impl ServiceState {
    /// Tells the policy's listeners of a breaker transition and, when the breaker opened on an
    /// incident (not an operator's isolation), takes the incident's report (once per incident).
    /// Returns what the observer reports besides the transition itself.
    pub fn transitioned(&self, service: &'static str, t: Transition) -> Transitioned {
        let timed = t.to == CircuitState::Open && t.reason != crate::breaker::TransitionReason::Isolated;
        let break_duration = timed.then_some(t.break_duration);
        let event = CircuitEvent { service, from: t.from, to: t.to, reason: t.reason, break_duration };
        let listener_panics = self.listeners.notify(&event);
        let report = timed.then(|| self.incidents.report_once(service, Trigger::BreakerOpened)).flatten();
        Transitioned { report, listener_panics }
    }

    /// The state of a service the policy acts on: `settings` one entry per operation of its
    /// catalog and a last for operations it does not know; the budget and breaker it has; the
    /// policy's listeners.
    pub fn new(
        service: &'static Service,
        settings: Box<[Settings]>,
        budget: Option<Arc<RetryBudget>>,
        breaker: Option<CircuitBreaker>,
        listeners: Arc<Listeners>,
    ) -> Self {
        Self {
            any_time_budget: settings.iter().any(|s| s.time_budget.is_some()),
            breaker_every_operation: settings.iter().all(|s| s.breaker),
            settings: Some(settings),
            budget,
            breaker,
            listeners,
            ..Self::disabled(service)
        }
    }

    /// The service.
    pub fn service(&self) -> &'static Service {
        self.service
    }

    /// Each operation's settings (see [`ServiceState::new`]); `None` when the config disables
    /// the service.
    pub fn settings(&self) -> Option<&[Settings]> {
        self.settings.as_deref()
    }

    /// The retry budget, unless disabled.
    pub fn budget(&self) -> Option<&Arc<RetryBudget>> {
        self.budget.as_ref()
    }

    /// The circuit breaker, when the service has one.
    pub fn breaker(&self) -> Option<&CircuitBreaker> {
        self.breaker.as_ref()
    }

    /// Whether any operation has a time budget (then calls record their start).
    pub fn any_time_budget(&self) -> bool {
        self.any_time_budget
    }

    /// Whether every operation goes through the breaker (then calls need no operation lookup to
    /// know it).
    pub fn breaker_every_operation(&self) -> bool {
        self.breaker_every_operation
    }

    /// Counts one more registration (an interceptor made for the service).
    pub fn register(&self) {
        self.registrations.fetch_add(1, Ordering::Relaxed);
    }

    /// Whether the policy has been registered more than once for the service (on one client or
    /// several): then the breaker's outcomes are counted once per attempt through the call's
    /// session.
    pub fn registered_more_than_once(&self) -> bool {
        self.registrations.load(Ordering::Relaxed) > 1
    }

    /// The recent server-side failures, for a support case.
    pub fn incidents(&self) -> &IncidentLog {
        &self.incidents
    }

    /// The state of a service the policy does not act on.
    pub fn disabled(service: &'static Service) -> Self {
        Self {
            service,
            settings: None,
            budget: None,
            breaker: None,
            any_time_budget: false,
            breaker_every_operation: false,
            unknown_operations: RwLock::new(Vec::new()),
            saw_unknown_operation: AtomicBool::new(false),
            recent: Default::default(),
            registrations: AtomicUsize::new(0),
            listeners: Default::default(),
            incidents: IncidentLog::default(),
        }
    }

    /// Whether a call of an operation the catalog does not know has been seen (resolved by
    /// [`operation`](Self::operation)). A relaxed load.
    pub fn saw_unknown_operation(&self) -> bool {
        self.saw_unknown_operation.load(Ordering::Relaxed)
    }

    /// Resolves an operation name: the catalog's entry, or for a name the catalog does not know
    /// (the application's SDK crate is newer than the catalog), an [`RetrySafety::Unmodeled`]
    /// operation with the service's settings, [`Operation::first_seen`] the first time (the
    /// observer logs it once per name: not retry-safe, its errors classified by their code).
    pub fn operation(&self, name: &str) -> Operation {
        let catalog = self.service.catalog();
        // Every call of an enabled service resolves its operation once; most calls hit here.
        let slot = &self.recent[(name.as_ptr() as usize >> 3) % RECENT_SLOTS];
        let cached = slot.load(Ordering::Relaxed).checked_sub(1).and_then(|i| Some((i, catalog.operations.get(i)?)));
        if let Some((index, spec)) = cached.filter(|(_, spec)| spec.name == name) {
            return Operation { index, name: spec.name, retry_safety: spec.retry_safety, first_seen: false };
        }
        if let Some(index) = catalog.operation_index(name) {
            slot.store(index + 1, Ordering::Relaxed);
            let spec = &catalog.operations[index];
            return Operation { index, name: spec.name, retry_safety: spec.retry_safety, first_seen: false };
        }
        let index = catalog.operations.len();
        let seen =
            self.unknown_operations.read().unwrap_or_else(|e| e.into_inner()).iter().copied().find(|n| *n == name);
        if let Some(name) = seen {
            return Operation { index, name, retry_safety: RetrySafety::Unmodeled, first_seen: false };
        }
        let mut known = self.unknown_operations.write().unwrap_or_else(|e| e.into_inner());
        let (name, first_seen) = match known.iter().find(|n| **n == name) {
            Some(n) => (*n, false),
            None if known.len() >= MAX_UNKNOWN_OPERATIONS => ("other", false),
            None => {
                let interned = intern(name);
                known.push(interned);
                self.saw_unknown_operation.store(true, Ordering::Relaxed);
                (interned, true)
            }
        };
        Operation { index, name, retry_safety: RetrySafety::Unmodeled, first_seen }
    }
}

/// The `&'static str` that metric labels and records carry, for an operation name the catalogs do
/// not know. Interned once per process, whatever the number of policies: the names come from
/// the SDK crates' generated code, a fixed set (and each service keeps at most
/// [`MAX_UNKNOWN_OPERATIONS`]).
fn intern(name: &str) -> &'static str {
    static NAMES: RwLock<Vec<&'static str>> = RwLock::new(Vec::new());
    if let Some(n) = NAMES.read().unwrap_or_else(|e| e.into_inner()).iter().find(|n| **n == name) {
        return n;
    }
    let mut names = NAMES.write().unwrap_or_else(|e| e.into_inner());
    if let Some(n) = names.iter().find(|n| **n == name) {
        return n;
    }
    let leaked: &'static str = Box::leak(name.to_owned().into_boxed_str());
    names.push(leaked);
    leaked
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::PINPOINT;

    #[test]
    fn every_operation_resolves_the_same_with_or_without_the_recent_cache() {
        let state = ServiceState::disabled(&PINPOINT);
        for _ in 0..2 {
            for (index, spec) in PINPOINT.catalog().operations.iter().enumerate() {
                // A copy, at another address than the catalog's, as the SDK's name is.
                let name = spec.name.to_owned();
                let op = state.operation(&name);
                assert_eq!((op.index, op.name, op.retry_safety), (index, spec.name, spec.retry_safety));
            }
        }
        let unknown = state.operation("SendMessagesV2");
        assert_eq!(
            (unknown.index, unknown.retry_safety, unknown.first_seen),
            (PINPOINT.catalog().operations.len(), RetrySafety::Unmodeled, true)
        );
        assert!(!state.operation("SendMessagesV2").first_seen, "the observer logs it once");
        // Interned once per process: another policy's state gets the same string.
        let again = ServiceState::disabled(&PINPOINT).operation("SendMessagesV2");
        assert!(std::ptr::eq(unknown.name, again.name));
    }
}
