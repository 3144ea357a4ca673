//! The per-service retry budget: a lock-free token bucket, and the guard that holds one token for
//! one retry until that retry's outcome is known.
//!
//! See [`RetryBudgetConfig`](crate::RetryBudgetConfig) for the rule. A token is taken when the
//! policy decides to retry and is kept only if the retry is sent and fails again ("a wasted
//! retry"). It goes back when the retry succeeds, and when the retry is never sent or never
//! completes: the call was dropped or cancelled during the backoff or the retry, the operation
//! timeout fired, or the SDK refused the retry. The [`RetryToken`] guard does that: it lives in
//! the call's state in the config bag, which the orchestrator drops with the call.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

/// Tokens are counted in millionths, so any ratio from
/// [`MIN_RATIO`](crate::config::MIN_RATIO) up keeps its precision.
const MICRO: u64 = 1_000_000;

const _: () = assert!(crate::config::MIN_RATIO * MICRO as f64 == 1.0, "the config accepts what the budget counts");

/// What a budget tells of each change: the tokens it holds now. The policy reports them as the
/// service's gauge (`crate::telemetry`); the budget itself emits nothing.
pub(crate) type OnChange = Box<dyn Fn(f64) + Send + Sync>;

/// A lock-free token bucket in millionths of a token.
pub(crate) struct RetryBudget {
    /// Told the tokens at creation and after every change.
    on_change: OnChange,
    micro: AtomicU64,
    capacity: u64,
    deposit: u64,
}

impl std::fmt::Debug for RetryBudget {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let capacity = self.capacity / MICRO;
        f.debug_struct("RetryBudget").field("tokens", &self.tokens()).field("capacity", &capacity).finish()
    }
}

impl RetryBudget {
    /// A full bucket of `capacity` tokens, to which each successful call adds `ratio`; `on_change`
    /// is told its tokens now and after every change.
    pub fn new(capacity: u32, ratio: f64, on_change: OnChange) -> Self {
        let capacity = u64::from(capacity) * MICRO;
        let budget = Self {
            on_change,
            micro: AtomicU64::new(capacity),
            capacity,
            deposit: (ratio * MICRO as f64).round() as u64,
        };
        budget.report();
        budget
    }

    /// Tells `on_change` the tokens now.
    fn report(&self) {
        (self.on_change)(self.tokens());
    }

    /// Whether the bucket is full. One relaxed load: the success path calls this first.
    pub fn is_full(&self) -> bool {
        self.micro.load(Ordering::Relaxed) >= self.capacity
    }

    /// One successful call's deposit (up to capacity).
    pub fn deposit(&self) {
        if self.deposit == 0 || self.is_full() {
            return;
        }
        self.add(self.deposit);
    }

    fn add(&self, amount: u64) {
        let added = self.micro.fetch_update(Ordering::Relaxed, Ordering::Relaxed, |t| {
            (t < self.capacity).then(|| (t + amount).min(self.capacity))
        });
        if added.is_ok() {
            self.report();
        }
    }

    /// Takes one token for a retry; `None` when less than one is left.
    pub fn try_withdraw(self: &Arc<Self>) -> Option<RetryToken> {
        self.micro.fetch_update(Ordering::Relaxed, Ordering::Relaxed, |t| t.checked_sub(MICRO)).ok().map(|_| {
            self.report();
            RetryToken { budget: Some(self.clone()) }
        })
    }

    /// The tokens left, as a number of tokens.
    pub fn tokens(&self) -> f64 {
        self.micro.load(Ordering::Relaxed) as f64 / MICRO as f64
    }
}

/// One token of a [`RetryBudget`], held for one retry. Dropping it gives the token back;
/// [`spend`](Self::spend) keeps it taken.
#[derive(Debug)]
pub(crate) struct RetryToken {
    budget: Option<Arc<RetryBudget>>,
}

impl RetryToken {
    /// The retry was sent and failed: the token stays spent.
    pub fn spend(mut self) {
        self.budget = None;
    }
}

impl Drop for RetryToken {
    fn drop(&mut self) {
        if let Some(budget) = self.budget.take() {
            budget.add(MICRO);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deposits_refill_up_to_capacity() {
        let budget = Arc::new(RetryBudget::new(2, 0.5, Box::new(drop)));
        budget.try_withdraw().unwrap().spend();
        budget.try_withdraw().unwrap().spend();
        assert!(budget.try_withdraw().is_none());
        budget.deposit();
        assert_eq!(budget.tokens(), 0.5);
        for _ in 0..10 {
            budget.deposit();
        }
        assert_eq!(budget.tokens(), 2.0, "deposits stop at capacity");
    }

    #[test]
    fn a_token_not_spent_goes_back() {
        let budget = Arc::new(RetryBudget::new(1, 0.0, Box::new(drop)));
        let token = budget.try_withdraw().unwrap();
        assert!(budget.try_withdraw().is_none(), "empty while held");
        drop(token);
        assert_eq!(budget.tokens(), 1.0);
        budget.try_withdraw().unwrap().spend();
        assert_eq!(budget.tokens(), 0.0);
    }

    #[test]
    fn tiny_ratios_keep_their_precision() {
        let budget = Arc::new(RetryBudget::new(1, 0.0001, Box::new(drop)));
        budget.try_withdraw().unwrap().spend();
        for _ in 0..10_000 {
            budget.deposit();
        }
        assert!((budget.tokens() - 1.0).abs() < 1e-9, "{}", budget.tokens());
    }
}
