//! What one call has seen so far: the one value the interceptor keeps per call ([`CallSession`]),
//! stored in the call's interceptor layer at the first thing the call needs remembered, and
//! dropped with the call. A call that succeeds at its first attempt stores none, unless a time
//! budget applies (its start), its service's breaker is half-open (the probe's slot), the retry
//! budget is below capacity (the call's one deposit), or the policy is registered twice on the
//! service (which registration counted the outcome).

use aws_smithy_runtime::client::retries::TokenBucket;
use aws_smithy_types::config_bag::{ConfigBag, Storable, StoreReplace};
use aws_smithy_types::retry::RetryConfig;

use crate::adapter::{ClassifiedError, ErrorClass};
use crate::breaker::ProbeGuard;
use crate::budget::RetryToken;
use crate::call::CallOverride;
use crate::clock::CallClock;
use crate::decide::Decision;
use crate::state::Operation;

/// Everything the policy keeps for one call, in one value. Dropped with the call: a probe slot
/// goes back to the breaker, a retry token to the budget.
#[derive(Debug, Default)]
pub(super) struct CallSession {
    /// When the call's first attempt was about to start (only when a time budget applies).
    pub start: Option<CallClock>,
    /// A half-open probe's slot, and the registration whose breaker admitted it.
    pub probe: Option<Probe>,
    /// The breakers that counted the outcome of the current attempt (only when a policy is
    /// registered more than once for the service).
    pub counted: Option<BreakerCounted>,
    /// The call's one deposit into a retry budget was made (by the first registration, of any
    /// policy, that saw it succeed).
    pub deposited: bool,
    /// What its failed attempts have seen, owned by the registration that saw the first.
    pub failure: Option<CallState>,
    /// The HTTP method of the request, when the call's operation is one a generic service's
    /// catalog does not know and the method is one RFC 9110 defines as idempotent (recorded
    /// before the request is sent: after the attempt it is gone).
    pub method: Option<&'static str>,
}

impl Storable for CallSession {
    type Storer = StoreReplace<Self>;
}

impl CallSession {
    /// The call's session, if it has one. Looked up in the call's interceptor layer only, where a
    /// miss (a call with nothing stored) does not search every layer of the bag.
    pub fn get(cfg: &mut ConfigBag) -> Option<&mut Self> {
        cfg.get_mut_from_interceptor_state::<Self>()
    }

    /// The call's session, stored now if it had none.
    pub fn get_or_new(cfg: &mut ConfigBag) -> &mut Self {
        if cfg.get_mut_from_interceptor_state::<Self>().is_none() {
            cfg.interceptor_state().store_put(Self::default());
        }
        cfg.get_mut_from_interceptor_state::<Self>().expect("stored above")
    }

    /// The state of the call's failed attempts, if one failed.
    pub fn failure(cfg: &mut ConfigBag) -> Option<&mut CallState> {
        Self::get(cfg).and_then(|session| session.failure.as_mut())
    }
}

/// A half-open probe call: its probe slot, held until the call ends.
#[derive(Debug)]
pub(super) struct Probe {
    pub owner: u64,
    pub _slot: ProbeGuard,
}

/// The breakers that have counted the outcome of the call's attempt `attempt`, by the address of
/// their service state, so that two registrations of one policy count each outcome once.
#[derive(Debug)]
pub(super) struct BreakerCounted {
    pub attempt: u32,
    pub breakers: Vec<usize>,
}

/// The state of one call's failed attempts. Dropped with the call: a retry token it still holds
/// goes back to the budget.
#[derive(Debug)]
pub(super) struct CallState {
    /// The registration that owns the call (others stand aside).
    pub owner: u64,
    pub operation: Operation,
    /// What the client asked for, as it was before the policy touched it.
    pub client: ClientRetry,
    /// The call's failed attempts.
    pub tally: Tally,
    /// The retry that may follow the last failure.
    pub retry: PendingRetry,
    /// The last failure, for the call's outcome.
    pub last: LastFailure,
}

/// The client's own retry settings for the call (client config and any `config_override`).
#[derive(Debug)]
pub(super) struct ClientRetry {
    pub config: RetryConfig,
    /// The attempts a [`CallOverride`] gives this call.
    pub call_attempts: Option<u32>,
    /// The retry partition's token bucket, put back when the client's own config decides a retry
    /// after a policy retry, or when a success follows one in a custom partition.
    pub bucket: Option<TokenBucket>,
    /// The zero-cost bucket is in force in its place.
    pub bucket_overridden: bool,
}

impl ClientRetry {
    fn of(cfg: &ConfigBag) -> Self {
        Self {
            config: cfg.load::<RetryConfig>().cloned().unwrap_or_else(RetryConfig::standard),
            // Its hook stores it in the interceptor layer, but the type is public: any layer counts.
            call_attempts: cfg.load::<CallOverride>().map(CallOverride::attempts),
            bucket: cfg.load::<TokenBucket>().cloned(),
            bucket_overridden: false,
        }
    }

    /// The attempts the policy gives the call for internal-server errors: 1 when the call's
    /// `RetryConfig` disables retries (no retry of any kind), else its [`CallOverride`]'s, else
    /// the operation's setting.
    pub fn policy_attempts(&self, configured: u32) -> u32 {
        match (self.config.max_attempts(), self.call_attempts) {
            (..=1, _) => 1,
            (_, Some(attempts)) => attempts,
            (_, None) => configured,
        }
    }
}

/// The call's failed attempts so far.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub(super) struct Tally {
    /// The last failed attempt's number (1-based).
    pub attempts: u32,
    /// Internal-server errors (the policy's attempts).
    pub internal: u32,
    /// Every other failure (the client's attempts).
    pub other: u32,
}

/// The retry that may follow the last failure.
#[derive(Debug, Default)]
pub(super) struct PendingRetry {
    /// The budget token of the policy retry decided last, until its outcome is known.
    pub token: Option<RetryToken>,
    /// A retry may follow (the policy's or the client config's).
    pub expected: bool,
    /// That retry was sent (its `read_before_transmit` ran).
    pub sent: bool,
    /// The last failure was server-side and the operation goes through the breaker: its retry is
    /// admitted by the breaker when it is sent.
    pub needs_admission: bool,
    /// The breaker refused that retry: the call ends with `CircuitOpen`.
    pub refused_by_breaker: bool,
}

/// The last failure, for the call's log and metrics when it ends.
#[derive(Debug)]
pub(super) struct LastFailure {
    pub class: ErrorClass,
    /// Its `error.type` (a name of the crate or catalog, never a server-sent string).
    pub error_type: &'static str,
    pub decision: Decision,
}

impl CallState {
    /// The state of a call whose first failed attempt `owner` is handling.
    pub fn new(owner: u64, operation: Operation, cfg: &ConfigBag, class: ErrorClass) -> Self {
        Self {
            owner,
            operation,
            client: ClientRetry::of(cfg),
            tally: Tally::default(),
            retry: PendingRetry::default(),
            last: LastFailure { class, error_type: "", decision: Decision::ClientPolicy },
        }
    }

    /// Accounts for failed attempt `attempt` of class `class`: the retry that led to it keeps its
    /// token spent if it was sent and failed, and gives it back if it was never sent (the attempt
    /// failed before transmit) or the SDK's operation timeout cut it short (`cut_short`: the
    /// client gave up on it, the service did not fail it); then the failure is counted.
    pub fn account(&mut self, attempt: u32, class: ErrorClass, cut_short: bool) {
        if let Some(token) = self.retry.token.take() {
            if self.retry.sent && !cut_short {
                token.spend();
            }
        }
        self.retry.sent = false;
        self.tally.attempts = attempt;
        if class == ErrorClass::InternalServerError {
            self.tally.internal += 1;
        } else {
            self.tally.other += 1;
        }
    }

    /// Remembers the decision for the attempt's retry and the call's outcome.
    pub fn decided(
        &mut self,
        record: &ClassifiedError<'_>,
        decision: Decision,
        token: Option<RetryToken>,
        needs_admission: bool,
    ) {
        self.last.class = record.class;
        self.last.error_type = record.error_type();
        self.last.decision = decision;
        self.retry.token = token;
        self.retry.expected = !matches!(decision, Decision::GiveUp(_));
        self.retry.needs_admission = needs_admission;
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::budget::RetryBudget;
    use crate::catalog::RetrySafety;

    fn state() -> CallState {
        let operation =
            Operation { index: 0, name: "GetApp", retry_safety: RetrySafety::SafeHttpMethod, first_seen: false };
        CallState::new(1, operation, &ConfigBag::base(), ErrorClass::InternalServerError)
    }

    #[test]
    fn a_retry_sent_and_failed_keeps_its_token_spent_and_any_other_gives_it_back() {
        let budget = Arc::new(RetryBudget::new(3, 0.0, Box::new(drop)));
        let mut s = state();
        for (sent, cut_short, tokens_after) in [(true, false, 2.0), (false, false, 2.0), (true, true, 2.0)] {
            s.retry.token = budget.try_withdraw();
            s.retry.sent = sent;
            s.account(2, ErrorClass::InternalServerError, cut_short);
            assert_eq!(budget.tokens(), tokens_after, "sent {sent}, cut short {cut_short}");
            assert!(!s.retry.sent && s.retry.token.is_none());
        }
    }

    #[test]
    fn failures_are_tallied_by_whose_attempts_they_are() {
        let mut s = state();
        s.account(1, ErrorClass::InternalServerError, false);
        s.account(2, ErrorClass::Throttling, false);
        s.account(3, ErrorClass::InternalServerError, false);
        assert_eq!(s.tally, Tally { attempts: 3, internal: 2, other: 1 });
    }

    #[test]
    fn retries_disabled_for_the_call_leave_the_policy_one_attempt() {
        let mut client = ClientRetry::of(&ConfigBag::base());
        assert_eq!(client.policy_attempts(4), 4);
        client.call_attempts = Some(6);
        assert_eq!(client.policy_attempts(4), 6);
        client.config = RetryConfig::disabled();
        assert_eq!(client.policy_attempts(4), 1, "a CallOverride does not re-enable retries");
    }

    #[test]
    fn a_decision_is_remembered_for_the_retry_and_the_outcome() {
        let mut s = state();
        let mut record = ClassifiedError::bare(ErrorClass::ServerError);
        record.http_status = Some(502);
        s.decided(&record, Decision::ClientPolicy, None, true);
        assert_eq!((s.last.class, s.last.error_type), (ErrorClass::ServerError, "502"));
        assert!(s.retry.expected && s.retry.needs_admission);
        s.decided(&record, Decision::GiveUp(crate::decide::GiveUpReason::MaxAttempts), None, false);
        assert!(!s.retry.expected);
    }
}
