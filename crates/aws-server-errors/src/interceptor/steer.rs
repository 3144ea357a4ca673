//! Steering the SDK's retry strategy: what to store in the call's config bag so that the SDK's
//! `StandardRetryStrategy`, which reloads `RetryConfig`, `TokenBucket` and `RequestAttempts` at
//! every decision (interceptor layer first), carries out the policy's decision. What is stored for
//! each decision, and why the strategy then does what the policy decided: the table in
//! docs/design.md, "Steering the SDK's retry strategy".

use std::sync::OnceLock;
use std::time::Duration;

use aws_smithy_runtime::client::retries::TokenBucket;
use aws_smithy_runtime_api::client::retries::RequestAttempts;
use aws_smithy_types::config_bag::{ConfigBag, Storable, StoreReplace};
use aws_smithy_types::retry::RetryConfig;

use super::call_state::{ClientRetry, Tally};
use crate::decide::Decision;

/// What to store for the rest of the call; `None` leaves the client's value in force.
#[derive(Debug)]
pub(super) struct Steering {
    pub retry_config: Option<RetryConfig>,
    pub bucket: Option<TokenBucket>,
    pub request_attempts: Option<u32>,
}

impl Steering {
    /// Puts it in the call's interceptor layer (which lives for one invocation), in place where
    /// that layer holds the value already ([`put`]).
    pub fn apply(self, cfg: &mut ConfigBag) {
        if let Some(retry_config) = self.retry_config {
            put(cfg, retry_config);
        }
        if let Some(bucket) = self.bucket {
            put(cfg, bucket);
        }
        if let Some(attempts) = self.request_attempts {
            put(cfg, RequestAttempts::new(attempts));
        }
    }
}

/// Puts `value` in the call's interceptor layer. When that layer holds a `T` already it is
/// replaced in place, which allocates nothing: the SDK's `TokenBucketProvider` stores the retry
/// partition's bucket there before the first attempt, the orchestrator stores `RequestAttempts`
/// there at every attempt, and a `RetryConfig` is there after the call's first decision. Else it
/// is a new entry: `Layer::store_put` boxes the value and its debug closure (two allocations,
/// aws-smithy-types 1.9 `TypeErasedBox::new`). What the strategy loads is the same either way:
/// the interceptor layer is searched first.
pub(super) fn put<T>(cfg: &mut ConfigBag, value: T)
where
    T: Storable<Storer = StoreReplace<T>> + Send + Sync + std::fmt::Debug + 'static,
{
    match cfg.get_mut_from_interceptor_state::<T>() {
        Some(slot) => *slot = value,
        None => {
            cfg.interceptor_state().store_put(value);
        }
    }
}

/// What makes the strategy carry out `decision` after failed attempt `attempt`. `time_budget`
/// and `elapsed` bound the client's own retries; `tally` says how many attempts were not
/// internal errors. Swaps the partition's bucket for the zero-cost one at the first policy retry
/// (once: it stays for the ones after), and back at the next decision that is not one.
pub(super) fn steer(
    client: &mut ClientRetry,
    decision: Decision,
    attempt: u32,
    time_budget: Option<Duration>,
    elapsed: Option<Duration>,
    tally: &Tally,
) -> Steering {
    let mut request_attempts = None;
    let retry_config = match decision {
        Decision::Retry { delay } => Some(exact_retry(&client.config, attempt + 1, delay)),
        Decision::GiveUp(_) => Some(client.config.clone().with_max_attempts(attempt)),
        Decision::ClientPolicy => {
            // Every retry of the call stays inside its time budget (a spent budget was decided
            // as a give-up already).
            let mut config = match (time_budget, elapsed) {
                (Some(budget), Some(elapsed)) => {
                    let remaining = budget.saturating_sub(elapsed);
                    Some(client.config.clone().with_max_backoff(client.config.max_backoff().min(remaining)))
                }
                _ => None,
            };
            if tally.internal > 0 {
                // As if the internal-server-error attempts had not happened.
                request_attempts = Some(tally.other);
                config = config.or_else(|| Some(client.config.clone()));
            }
            config
        }
    };
    let bucket = match decision {
        // Stored at the call's first policy retry; it stays in the call's layer until put back.
        Decision::Retry { .. } if client.bucket_overridden => None,
        Decision::Retry { .. } => {
            client.bucket_overridden = true;
            Some(zero_cost_bucket())
        }
        _ if client.bucket_overridden => {
            client.bucket_overridden = false;
            client.bucket.clone()
        }
        _ => None,
    };
    Steering { retry_config, bucket, request_attempts }
}

/// The zero-cost bucket stored for a policy retry's decision: the SDK's quota is not the policy's.
pub(super) fn zero_cost_bucket() -> TokenBucket {
    static BUCKET: OnceLock<TokenBucket> = OnceLock::new();
    BUCKET.get_or_init(TokenBucket::unlimited).clone()
}

/// A copy of the client's retry configuration that makes the standard strategy allow exactly
/// `max_attempts` and wait exactly `delay` before the next one.
fn exact_retry(client: &RetryConfig, max_attempts: u32, delay: Duration) -> RetryConfig {
    let mut config = client
        .clone()
        .with_max_attempts(max_attempts)
        .with_initial_backoff(delay)
        .with_max_backoff(delay)
        .with_use_static_exponential_base(true);
    // Retry behaviour 2.1 replaces the initial backoff of non-throttling errors with its own.
    if let Some(spec) = config.retry_spec().cloned() {
        config = config.with_retry_spec(spec.with_non_throttling_initial_backoff(delay));
    }
    config
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decide::GiveUpReason;

    /// Where the call's interceptor layer keeps its `T`: the same address after a `put` means the
    /// value was replaced in place (a new entry is a new box, made while the old one is alive).
    fn address<T>(cfg: &mut ConfigBag) -> Option<usize>
    where
        T: Storable<Storer = StoreReplace<T>> + Send + Sync + std::fmt::Debug + 'static,
    {
        cfg.get_mut_from_interceptor_state::<T>().map(|t| t as *mut T as usize)
    }

    #[test]
    fn a_value_the_calls_layer_holds_is_replaced_in_place() {
        // As the orchestrator leaves the bag: the operation's `RetryConfig` and the attempt's
        // `RequestAttempts` in the interceptor layer; the partition's bucket in a layer below.
        let mut cfg = ConfigBag::base();
        let mut partition = aws_smithy_types::config_bag::Layer::new("token_bucket_partition");
        partition.store_put(TokenBucket::new(0));
        cfg.push_layer(partition);
        cfg.interceptor_state().store_put(RetryConfig::standard());
        cfg.interceptor_state().store_put(RequestAttempts::new(1));
        let (config_at, attempts_at) = (address::<RetryConfig>(&mut cfg), address::<RequestAttempts>(&mut cfg));
        put(&mut cfg, RetryConfig::standard().with_max_attempts(7));
        put(&mut cfg, RequestAttempts::new(3));
        assert_eq!(address::<RetryConfig>(&mut cfg), config_at, "replaced in place");
        assert_eq!(address::<RequestAttempts>(&mut cfg), attempts_at, "replaced in place");
        assert_eq!(cfg.load::<RetryConfig>().map(RetryConfig::max_attempts), Some(7));
        assert_eq!(cfg.load::<RequestAttempts>().map(|a| a.attempts()), Some(3));
        // The bucket is a new entry of the interceptor layer the first time, then in place.
        assert_eq!(address::<TokenBucket>(&mut cfg), None);
        put(&mut cfg, zero_cost_bucket());
        let bucket_at = address::<TokenBucket>(&mut cfg);
        assert!(bucket_at.is_some());
        assert!(!cfg.load::<TokenBucket>().unwrap().is_empty(), "the zero-cost bucket is the one loaded");
        put(&mut cfg, TokenBucket::new(0));
        assert_eq!(address::<TokenBucket>(&mut cfg), bucket_at, "replaced in place");
        assert!(cfg.load::<TokenBucket>().unwrap().is_empty(), "the partition's bucket is back");
    }

    fn client() -> ClientRetry {
        ClientRetry {
            config: RetryConfig::standard().with_max_backoff(Duration::from_secs(20)),
            call_attempts: None,
            // An empty bucket: told apart from the zero-cost one, which is never empty.
            bucket: Some(TokenBucket::new(0)),
            bucket_overridden: false,
        }
    }

    const MS: fn(u64) -> Duration = Duration::from_millis;

    #[test]
    fn a_policy_retry_waits_exactly_its_delay_on_a_zero_cost_bucket() {
        let mut c = client();
        let s = steer(&mut c, Decision::Retry { delay: MS(40) }, 2, None, None, &Tally::default());
        let config = s.retry_config.unwrap();
        assert_eq!((config.max_attempts(), config.initial_backoff(), config.max_backoff()), (3, MS(40), MS(40)));
        assert!(config.use_static_exponential_base());
        assert!(!s.bucket.unwrap().is_empty(), "the zero-cost bucket");
        assert!(c.bucket_overridden);
        // Another policy retry: the zero-cost bucket is still in the call's layer.
        let s = steer(&mut c, Decision::Retry { delay: MS(80) }, 3, None, None, &Tally::default());
        assert_eq!(s.retry_config.unwrap().max_attempts(), 4);
        assert!(s.bucket.is_none(), "not stored again");
        // The next decision that is not a policy retry puts the partition's bucket back.
        let s = steer(&mut c, Decision::GiveUp(GiveUpReason::MaxAttempts), 4, None, None, &Tally::default());
        assert_eq!(s.retry_config.unwrap().max_attempts(), 4);
        assert!(s.bucket.unwrap().is_empty(), "the partition's own bucket");
        assert!(!c.bucket_overridden);
    }

    #[test]
    fn the_clients_retries_count_only_the_attempts_that_were_not_internal_errors() {
        let mut c = client();
        let tally = Tally { attempts: 3, internal: 2, other: 1 };
        let s = steer(&mut c, Decision::ClientPolicy, 3, None, None, &tally);
        assert_eq!(s.request_attempts, Some(1));
        assert_eq!(s.retry_config.unwrap().max_attempts(), c.config.max_attempts());
        assert!(s.bucket.is_none());
        // No internal error: the client's own config and attempts, nothing stored.
        let s = steer(&mut c, Decision::ClientPolicy, 1, None, None, &Tally { attempts: 1, internal: 0, other: 1 });
        assert!(s.retry_config.is_none() && s.request_attempts.is_none());
    }

    #[test]
    fn the_time_budget_bounds_the_clients_backoff() {
        let mut c = client();
        let tally = Tally { attempts: 1, internal: 0, other: 1 };
        let s = steer(&mut c, Decision::ClientPolicy, 1, Some(MS(1000)), Some(MS(700)), &tally);
        assert_eq!(s.retry_config.unwrap().max_backoff(), MS(300));
    }
}
