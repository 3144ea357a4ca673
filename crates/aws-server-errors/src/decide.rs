//! The decision rule for one failed attempt: retry after a delay, give up, or leave the attempt to
//! the client's own retry configuration.

use std::sync::Arc;
use std::time::Duration;

use crate::adapter::{ClassifiedError, ErrorClass};
use crate::budget::{RetryBudget, RetryToken};
use crate::catalog::RetrySafety;
use crate::config::{Jitter, Settings};
pub(crate) use crate::vocab::GiveUpReason;

/// What the policy decided for one failed attempt.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Decision {
    /// Retry after exactly `delay`.
    Retry { delay: Duration },
    /// Do not retry.
    GiveUp(GiveUpReason),
    /// The client's own retry configuration decides.
    ClientPolicy,
}

impl Decision {
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Retry { .. } => "retry",
            Self::GiveUp(_) => "give_up",
            Self::ClientPolicy => "client_policy",
        }
    }
}

/// The inputs of one decision beyond the settings and the record.
pub(crate) struct DecisionInput {
    /// Internal-server errors this call has had, this one included.
    pub internal_failures: u32,
    /// The attempts the call may make for internal-server errors: the settings' `max_attempts`,
    /// or 1 when the call's own `RetryConfig` disables retries.
    pub max_attempts: u32,
    /// Time since the call's first attempt, when a time budget applies.
    pub elapsed: Option<Duration>,
    /// A uniform sample from `[0, 1)` for jitter.
    pub jitter_sample: f64,
    /// Whether the service's circuit breaker lets a retry through.
    pub breaker_allows: bool,
}

/// What a call-level decision needs beyond [`DecisionInput`]: where the call stands against the
/// client's own limits.
pub(crate) struct CallInput {
    /// The policy's rule's inputs.
    pub policy: DecisionInput,
    /// The attempt that failed (1-based), internal errors and others together.
    pub attempt: u32,
    /// Failed attempts of the call that were not internal-server errors, this one included.
    pub other_failures: u32,
    /// The client's `RetryConfig::max_attempts` for the call.
    pub client_max_attempts: u32,
    /// The failure is server-side (it counts against the breaker).
    pub server_side: bool,
}

/// The decision for one failed attempt of a call: the policy's rule ([`decide`]), then what
/// holds for the whole call, in this order:
/// - an open breaker stops the client's own retries of server-side failures too (`circuit_open`);
/// - a call whose failures mix internal errors (the policy's attempts) and others (the client's)
///   makes at most the larger of the two limits in all (`max_attempts`; the retry's token goes
///   back);
/// - a retry the client's config would make is not made once the call's time budget is spent
///   (`time_budget`).
pub(crate) fn decide_call(
    settings: &Settings,
    error: &ClassifiedError<'_>,
    input: &CallInput,
    budget: Option<&Arc<RetryBudget>>,
) -> (Decision, Option<RetryToken>) {
    let (mut decision, mut token) = decide(settings, error, &input.policy, budget);
    if decision == Decision::ClientPolicy && input.server_side && !input.policy.breaker_allows {
        decision = Decision::GiveUp(GiveUpReason::CircuitOpen);
    }
    let call_limit = input.policy.max_attempts.max(input.client_max_attempts);
    let mixed = input.policy.internal_failures > 0 && input.other_failures > 0;
    if mixed && input.attempt >= call_limit && !matches!(decision, Decision::GiveUp(_)) {
        decision = Decision::GiveUp(GiveUpReason::MaxAttempts);
        token = None; // dropped: back to the budget
    }
    if decision == Decision::ClientPolicy {
        if let (Some(time_budget), Some(elapsed)) = (settings.time_budget, input.policy.elapsed) {
            if time_budget <= elapsed {
                decision = Decision::GiveUp(GiveUpReason::TimeBudget);
            }
        }
    }
    (decision, token)
}

/// The policy's rule for one failed attempt. Checks run in this order, and the first that fails
/// gives the reason: retry safety (for every failure that may have reached the server, whatever
/// its class), then, for internal-server errors only, attempts, time budget, circuit breaker,
/// and the retry budget (last, so a token is taken only for a retry that will be made; it comes
/// back with the returned [`RetryToken`] unless that is spent).
pub(crate) fn decide(
    settings: &Settings,
    error: &ClassifiedError<'_>,
    input: &DecisionInput,
    budget: Option<&Arc<RetryBudget>>,
) -> (Decision, Option<RetryToken>) {
    let retry_safe = match error.retry_safety {
        RetrySafety::NamingConvention => settings.retry_by_naming_convention,
        safety => safety.is_retry_safe(),
    };
    if error.may_have_been_applied() && !retry_safe && !settings.retry_non_idempotent {
        return (Decision::GiveUp(GiveUpReason::NotRetrySafe), None);
    }
    if error.class != ErrorClass::InternalServerError {
        return (Decision::ClientPolicy, None);
    }
    if input.internal_failures >= input.max_attempts {
        return (Decision::GiveUp(GiveUpReason::MaxAttempts), None);
    }
    let delay = match error.retry_hint.filter(|_| settings.honour_retry_hint) {
        Some(hint) => hint.min(settings.max_retry_hint),
        None => {
            let exponent = input.internal_failures.saturating_sub(1).min(31);
            let cap = settings.initial_backoff.saturating_mul(1 << exponent).min(settings.max_backoff);
            match settings.jitter {
                Jitter::Full => cap.mul_f64(input.jitter_sample.clamp(0.0, 1.0)),
                Jitter::None => cap,
            }
        }
    };
    if let (Some(budget), Some(elapsed)) = (settings.time_budget, input.elapsed) {
        if elapsed.saturating_add(delay) >= budget {
            return (Decision::GiveUp(GiveUpReason::TimeBudget), None);
        }
    }
    if !input.breaker_allows {
        return (Decision::GiveUp(GiveUpReason::CircuitOpen), None);
    }
    let token = match budget {
        Some(budget) => match budget.try_withdraw() {
            Some(token) => Some(token),
            None => return (Decision::GiveUp(GiveUpReason::RetryBudget), None),
        },
        None => None,
    };
    (Decision::Retry { delay }, token)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::RetrySafety;
    use crate::failure::Failure;

    fn settings() -> Settings {
        Settings {
            max_attempts: 4,
            initial_backoff: Duration::from_millis(100),
            max_backoff: Duration::from_millis(300),
            jitter: Jitter::None,
            time_budget: None,
            retry_non_idempotent: false,
            retry_by_naming_convention: true,
            honour_retry_hint: true,
            max_retry_hint: Duration::from_secs(2),
            breaker: false,
        }
    }

    fn internal(safety: RetrySafety) -> ClassifiedError<'static> {
        let mut e = ClassifiedError::bare(ErrorClass::InternalServerError);
        e.retry_safety = safety;
        e.http_status = Some(500);
        e
    }

    fn input(internal_failures: u32) -> DecisionInput {
        DecisionInput { internal_failures, max_attempts: 4, elapsed: None, jitter_sample: 0.5, breaker_allows: true }
    }

    fn decision(s: &Settings, e: &ClassifiedError<'_>, i: &DecisionInput) -> Decision {
        decide(s, e, i, None).0
    }

    fn call(policy: DecisionInput, attempt: u32, other_failures: u32) -> CallInput {
        CallInput { policy, attempt, other_failures, client_max_attempts: 3, server_side: true }
    }

    #[test]
    fn a_call_mixing_failures_stops_at_the_larger_limit_and_returns_the_token() {
        let budget = Arc::new(RetryBudget::new(5, 0.0, Box::new(drop)));
        let e = internal(RetrySafety::Readonly);
        // Two throttles then an internal error at attempt 3: the policy would retry (1 of 4),
        // the call's limit is max(4, 3) = 4, so it may.
        let (d, token) = decide_call(&settings(), &e, &call(input(1), 3, 2), Some(&budget));
        assert!(matches!(d, Decision::Retry { .. }) && token.is_some());
        drop(token);
        // At attempt 4 it may not, and the token it took goes back.
        let (d, token) = decide_call(&settings(), &e, &call(input(2), 4, 2), Some(&budget));
        assert_eq!((d, token.is_none()), (Decision::GiveUp(GiveUpReason::MaxAttempts), true));
        assert_eq!(budget.tokens(), 5.0);
        // Internal errors alone are the policy's to count.
        let (d, _) = decide_call(&settings(), &e, &call(input(3), 3, 0), None);
        assert!(matches!(d, Decision::Retry { .. }), "{d:?}");
    }

    #[test]
    fn an_open_breaker_stops_the_clients_retries_of_server_side_failures() {
        let mut e = ClassifiedError::bare(ErrorClass::ServerError);
        e.http_status = Some(502);
        e.retry_safety = RetrySafety::Readonly;
        let open = DecisionInput { breaker_allows: false, ..input(0) };
        let (d, _) = decide_call(&settings(), &e, &call(open, 1, 1), None);
        assert_eq!(d, Decision::GiveUp(GiveUpReason::CircuitOpen));
        let throttled =
            CallInput { server_side: false, ..call(DecisionInput { breaker_allows: false, ..input(0) }, 1, 1) };
        assert_eq!(decide_call(&settings(), &e, &throttled, None).0, Decision::ClientPolicy);
    }

    #[test]
    fn a_spent_time_budget_stops_the_clients_retries() {
        let s = Settings { time_budget: Some(Duration::from_secs(1)), ..settings() };
        let mut e = ClassifiedError::bare(ErrorClass::Throttling);
        e.retry_safety = RetrySafety::Readonly;
        let spent = DecisionInput { elapsed: Some(Duration::from_secs(1)), ..input(0) };
        let not_yet = DecisionInput { elapsed: Some(Duration::from_millis(999)), ..input(0) };
        let input = |policy| CallInput { server_side: false, ..call(policy, 1, 1) };
        assert_eq!(decide_call(&s, &e, &input(spent), None).0, Decision::GiveUp(GiveUpReason::TimeBudget));
        assert_eq!(decide_call(&s, &e, &input(not_yet), None).0, Decision::ClientPolicy);
    }

    #[test]
    fn backoff_doubles_up_to_the_cap() {
        let e = internal(RetrySafety::Readonly);
        let delays: Vec<_> = (1..=3).map(|n| decision(&settings(), &e, &input(n))).collect();
        let ms = |d| Decision::Retry { delay: Duration::from_millis(d) };
        assert_eq!(delays, [ms(100), ms(200), ms(300)]);
        assert_eq!(decision(&settings(), &e, &input(4)), Decision::GiveUp(GiveUpReason::MaxAttempts));
        let disabled = DecisionInput { max_attempts: 1, ..input(1) };
        assert_eq!(decision(&settings(), &e, &disabled), Decision::GiveUp(GiveUpReason::MaxAttempts));
    }

    #[test]
    fn full_jitter_scales_the_cap() {
        let s = Settings { jitter: Jitter::Full, ..settings() };
        let d = decision(&s, &internal(RetrySafety::Readonly), &input(2));
        assert_eq!(d, Decision::Retry { delay: Duration::from_millis(100) });
    }

    #[test]
    fn not_retry_safe_is_refused_unless_allowed() {
        let e = internal(RetrySafety::NotRetrySafe);
        assert_eq!(decision(&settings(), &e, &input(1)), Decision::GiveUp(GiveUpReason::NotRetrySafe));
        let s = Settings { retry_non_idempotent: true, ..settings() };
        assert!(matches!(decision(&s, &e, &input(1)), Decision::Retry { .. }));
        let unmodeled = internal(RetrySafety::Unmodeled);
        assert_eq!(decision(&settings(), &unmodeled, &input(1)), Decision::GiveUp(GiveUpReason::NotRetrySafe));
    }

    #[test]
    fn a_read_by_naming_convention_is_retried_unless_switched_off() {
        let e = internal(RetrySafety::NamingConvention);
        assert!(matches!(decision(&settings(), &e, &input(1)), Decision::Retry { .. }));
        let off = Settings { retry_by_naming_convention: false, ..settings() };
        assert_eq!(decision(&off, &e, &input(1)), Decision::GiveUp(GiveUpReason::NotRetrySafe));
        for documented in [RetrySafety::Documented, RetrySafety::Readonly, RetrySafety::SafeHttpMethod] {
            assert!(
                matches!(decision(&off, &internal(documented), &input(1)), Decision::Retry { .. }),
                "{documented:?}"
            );
        }
    }

    #[test]
    fn any_failure_that_may_have_reached_the_server_stops_a_non_retry_safe_operation() {
        let unsafe_op = |class, failure, status| {
            let mut e = ClassifiedError::bare(class).with_failure(failure);
            e.http_status = status;
            e.retry_safety = RetrySafety::NotRetrySafe;
            e
        };
        for (failure, status) in [
            (Failure::ErrorResponse, Some(500)),
            (Failure::ErrorResponse, Some(502)),
            (Failure::ErrorResponse, Some(504)),
            (Failure::Timeout, None),
            (Failure::ConnectionClosed, None),
            (Failure::Other, None),
        ] {
            let e = unsafe_op(ErrorClass::Unknown, failure, status);
            assert_eq!(decision(&settings(), &e, &input(1)), Decision::GiveUp(GiveUpReason::NotRetrySafe), "{e:?}");
        }
        for (class, failure, status) in [
            (ErrorClass::Transient, Failure::ConnectFailed, None),
            (ErrorClass::Transient, Failure::StreamRefused, None),
            (ErrorClass::Throttling, Failure::Throttled, Some(429)),
            (ErrorClass::ServerError, Failure::Unavailable, Some(503)),
        ] {
            let e = unsafe_op(class, failure, status);
            assert_eq!(decision(&settings(), &e, &input(1)), Decision::ClientPolicy, "{e:?}");
        }
    }

    #[test]
    fn other_classes_are_left_to_the_client() {
        for class in [ErrorClass::Throttling, ErrorClass::ClientError, ErrorClass::Transient, ErrorClass::Unknown] {
            let mut e = ClassifiedError::bare(class);
            e.retry_safety = RetrySafety::Readonly;
            assert_eq!(decision(&settings(), &e, &input(1)), Decision::ClientPolicy);
        }
    }

    #[test]
    fn retry_hint_is_honoured_within_bounds() {
        let e = internal(RetrySafety::Readonly).with_retry_hint(Some(Duration::from_secs(1)));
        assert_eq!(decision(&settings(), &e, &input(1)), Decision::Retry { delay: Duration::from_secs(1) });
        let long = internal(RetrySafety::Readonly).with_retry_hint(Some(Duration::from_secs(60)));
        assert_eq!(decision(&settings(), &long, &input(1)), Decision::Retry { delay: Duration::from_secs(2) });
        let ignored = Settings { honour_retry_hint: false, ..settings() };
        assert_eq!(decision(&ignored, &e, &input(1)), Decision::Retry { delay: Duration::from_millis(100) });
    }

    #[test]
    fn time_budget_stops_a_retry_that_would_end_past_it() {
        let s = Settings { time_budget: Some(Duration::from_millis(500)), ..settings() };
        let e = internal(RetrySafety::Readonly);
        let at = |ms| DecisionInput { elapsed: Some(Duration::from_millis(ms)), ..input(2) };
        assert_eq!(decision(&s, &e, &at(250)), Decision::Retry { delay: Duration::from_millis(200) });
        assert_eq!(decision(&s, &e, &at(300)), Decision::GiveUp(GiveUpReason::TimeBudget));
    }

    #[test]
    fn an_open_breaker_stops_retries() {
        let e = internal(RetrySafety::Readonly);
        let i = DecisionInput { breaker_allows: false, ..input(1) };
        assert_eq!(decision(&settings(), &e, &i), Decision::GiveUp(GiveUpReason::CircuitOpen));
    }

    #[test]
    fn the_retry_budget_takes_a_token_only_for_a_retry() {
        let budget = Arc::new(RetryBudget::new(1, 0.0, Box::new(drop)));
        let e = internal(RetrySafety::Readonly);
        let (d, token) = decide(&settings(), &e, &input(1), Some(&budget));
        assert!(matches!(d, Decision::Retry { .. }) && token.is_some());
        let (d, _) = decide(&settings(), &e, &input(1), Some(&budget));
        assert_eq!(d, Decision::GiveUp(GiveUpReason::RetryBudget));
        drop(token);
        assert_eq!(budget.tokens(), 1.0, "an unspent token goes back");
        let refused = internal(RetrySafety::NotRetrySafe);
        let (_, token) = decide(&settings(), &refused, &input(1), Some(&budget));
        assert!(token.is_none());
        assert_eq!(budget.tokens(), 1.0);
    }
}
