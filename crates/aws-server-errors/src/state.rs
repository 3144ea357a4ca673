//! What the policy keeps per service: the resolved settings of every operation, the retry budget
//! and the circuit breaker. Shared by every client of the service the policy is registered on.

use std::sync::Arc;

use crate::breaker::CircuitBreaker;
use crate::budget::RetryBudget;
use crate::config::Settings;

/// The resolved settings and shared state of one service.
#[derive(Debug)]
pub(crate) struct ServiceState {
    /// Indexed like the service catalog's operations; `None` when the config disables the service.
    pub settings: Option<Box<[Settings]>>,
    /// The retry budget, unless disabled.
    pub budget: Option<Arc<RetryBudget>>,
    /// The circuit breaker, when enabled for the service.
    pub breaker: Option<CircuitBreaker>,
    /// Whether any operation of the service has a time budget (then calls record their start).
    pub any_time_budget: bool,
    /// Whether every operation goes through the breaker (then calls need no operation lookup
    /// to know it).
    pub breaker_every_operation: bool,
}

impl ServiceState {
    /// The state of a service the policy does not act on.
    pub fn disabled() -> Self {
        Self { settings: None, budget: None, breaker: None, any_time_budget: false, breaker_every_operation: false }
    }
}
