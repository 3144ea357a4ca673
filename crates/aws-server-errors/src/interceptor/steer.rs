//! Steering the SDK's retry strategy: what to store in the call's config bag so that the SDK's
//! `StandardRetryStrategy`, which reloads `RetryConfig`, `TokenBucket` and `RequestAttempts` at
//! every decision (interceptor layer first), carries out the policy's decision. What is stored for
//! each decision, and why the strategy then does what the policy decided: the table in
//! docs/design.md, "Steering the SDK's retry strategy".

use std::sync::OnceLock;
use std::time::Duration;

use aws_smithy_runtime::client::retries::TokenBucket;
use aws_smithy_runtime_api::client::retries::RequestAttempts;
use aws_smithy_types::config_bag::{ConfigBag, FrozenLayer, Layer, Storable, StoreReplace};
use aws_smithy_types::retry::RetryConfig;

use super::call_state::{ClientRetry, Tally};
use crate::decide::Decision;

/// What to store for the rest of the call; `None` leaves the client's value in force.
#[derive(Debug)]
pub(super) struct Steering {
    pub retry_config: Option<RetryConfig>,
    pub bucket: Option<BucketChange>,
    pub request_attempts: Option<u32>,
}

/// Which token bucket the strategy is to use from now on in the call.
#[derive(Debug)]
pub(super) enum BucketChange {
    /// The zero-cost bucket: a policy retry costs the SDK's quota nothing.
    ZeroCost,
    /// The retry partition's own bucket, back in force (the client's own retries pay it).
    Partition(TokenBucket),
}

impl Steering {
    /// Puts it in the call's config bag, where the strategy loads it at its next decision.
    pub fn apply(self, cfg: &mut ConfigBag) {
        if let Some(retry_config) = self.retry_config {
            put(cfg, retry_config);
        }
        match self.bucket {
            Some(BucketChange::ZeroCost) => use_zero_cost_bucket(cfg),
            Some(BucketChange::Partition(bucket)) => put(cfg, bucket),
            None => {}
        }
        if let Some(attempts) = self.request_attempts {
            put(cfg, RequestAttempts::new(attempts));
        }
    }
}

/// Puts `value` in the call's interceptor layer, the first the strategy searches (it lives for
/// one invocation). When that layer holds a `T` already it is replaced in place, which allocates
/// nothing: the orchestrator stores the operation's merged `RetryConfig` there before the first
/// attempt and `RequestAttempts` at every attempt (aws-smithy-runtime 1.16, `orchestrator.rs`).
/// Else it is a new entry: `Layer::store_put` boxes the value and its debug closure (two
/// allocations, aws-smithy-types 1.9 `TypeErasedBox::new`).
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

/// Puts the zero-cost bucket in force. The retry partition's bucket is not in the call's
/// interceptor layer: the SDK's `TokenBucketProvider` pushes it in a frozen layer of its own
/// (aws-smithy-runtime 1.16, `strategy/standard.rs`). The zero-cost bucket goes on top of it the
/// same way, in a layer built once and shared by every call (pushing it clones an `Arc`), so it
/// adds no entry to the interceptor layer. Only once the partition's bucket was put back in that
/// layer (a client retry after a policy retry) is the zero-cost one written there, in place.
fn use_zero_cost_bucket(cfg: &mut ConfigBag) {
    static LAYER: OnceLock<FrozenLayer> = OnceLock::new();
    match cfg.get_mut_from_interceptor_state::<TokenBucket>() {
        Some(slot) => *slot = zero_cost_bucket(),
        None => {
            let layer = LAYER.get_or_init(|| {
                let mut layer = Layer::new("aws-server-errors: zero-cost token bucket");
                layer.store_put(zero_cost_bucket());
                layer.freeze()
            });
            cfg.push_shared_layer(layer.clone());
        }
    }
}

/// What makes the strategy carry out `decision` after failed attempt `attempt`. `time_budget`
/// and `elapsed` bound the client's own retries; `tally` says how many attempts were not
/// internal errors. Swaps the partition's bucket for the zero-cost one at the first policy retry
/// (once: it stays for the ones after), and back when the client's own config decides a retry
/// after it. A give-up needs no bucket: the strategy takes no permit when it does not retry.
/// (After a success, [`super::ServerErrorInterceptor`] puts it back when the partition may reward
/// the success.)
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
        // In force from the call's first policy retry until put back.
        Decision::Retry { .. } if client.bucket_overridden => None,
        Decision::Retry { .. } => {
            client.bucket_overridden = true;
            Some(BucketChange::ZeroCost)
        }
        Decision::ClientPolicy if client.bucket_overridden => {
            client.bucket_overridden = false;
            client.bucket.clone().map(BucketChange::Partition)
        }
        Decision::ClientPolicy | Decision::GiveUp(_) => None,
    };
    Steering { retry_config, bucket, request_attempts }
}

/// The zero-cost bucket in force for a policy retry: the SDK's quota is not the policy's.
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
        assert!(matches!(s.bucket, Some(BucketChange::ZeroCost)));
        assert!(c.bucket_overridden);
        // Another policy retry: the zero-cost bucket is still in force.
        let s = steer(&mut c, Decision::Retry { delay: MS(80) }, 3, None, None, &Tally::default());
        assert_eq!(s.retry_config.unwrap().max_attempts(), 4);
        assert!(s.bucket.is_none(), "not put again");
        // A give-up: no retry, no permit, so no bucket to change.
        let s = steer(&mut c, Decision::GiveUp(GiveUpReason::MaxAttempts), 4, None, None, &Tally::default());
        assert_eq!(s.retry_config.unwrap().max_attempts(), 4);
        assert!(s.bucket.is_none() && c.bucket_overridden);
    }

    #[test]
    fn a_client_retry_after_a_policy_retry_pays_the_partitions_bucket_again() {
        let mut c = client();
        steer(&mut c, Decision::Retry { delay: MS(40) }, 1, None, None, &Tally::default());
        let tally = Tally { attempts: 2, internal: 1, other: 1 };
        let s = steer(&mut c, Decision::ClientPolicy, 2, None, None, &tally);
        let Some(BucketChange::Partition(bucket)) = s.bucket else { panic!("{:?}", s.bucket) };
        assert!(bucket.is_empty(), "the partition's own bucket");
        assert!(!c.bucket_overridden);
    }

    #[test]
    fn the_zero_cost_bucket_goes_on_top_of_the_partitions_layer_and_adds_no_entry() {
        // As the SDK leaves the bag: the partition's bucket in a layer of its own.
        let mut cfg = ConfigBag::base();
        let mut partition = aws_smithy_types::config_bag::Layer::new("token_bucket_partition");
        partition.store_put(TokenBucket::new(0));
        cfg.push_layer(partition);
        let retry = |bucket| Steering { retry_config: None, bucket: Some(bucket), request_attempts: None };

        retry(BucketChange::ZeroCost).apply(&mut cfg);
        assert!(address::<TokenBucket>(&mut cfg).is_none(), "no entry in the interceptor layer");
        assert!(!cfg.load::<TokenBucket>().unwrap().is_empty(), "the zero-cost bucket is the one loaded");
        // Put back for a client retry: an entry of the interceptor layer, which shadows the
        // zero-cost layer; a later policy retry then replaces it in place.
        retry(BucketChange::Partition(TokenBucket::new(0))).apply(&mut cfg);
        assert!(cfg.load::<TokenBucket>().unwrap().is_empty(), "the partition's bucket");
        let at = address::<TokenBucket>(&mut cfg);
        retry(BucketChange::ZeroCost).apply(&mut cfg);
        assert!(!cfg.load::<TokenBucket>().unwrap().is_empty(), "the zero-cost bucket again");
        assert_eq!(address::<TokenBucket>(&mut cfg), at, "in place");
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
