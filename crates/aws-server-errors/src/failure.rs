//! What kind of failure an attempt ended in, and whether its request may have been applied by the
//! server.
//!
//! This is the rule behind the promise "never resend a non-retry-safe operation after a failure
//! that may have reached the server". It looks at the HTTP status when there is a response, and
//! otherwise walks the transport error's `source()` chain, because the SDK wraps transport errors
//! (`ConnectorError` → hyper-util's client error → hyper / h2 / `std::io` errors).
//!
//! | failure | may have been applied | why |
//! |---|---|---|
//! | a 5xx response other than 503 (any 500, modeled or not, parseable or not; 502; 504; ...) | yes | RFC 9110 §15.6: the server (or a gateway in front of it) failed while handling the request; nothing says it was not processed |
//! | 503, 429, a modeled throttling shape | no | RFC 9110 §15.6.4 and §15.5 (429 in RFC 6585 §4): the request was refused, not processed; the AWS SDKs treat both as retryable for every operation |
//! | another 4xx response | no | the request was rejected |
//! | connection refused, DNS failure, TLS failure, connect timeout | no | the request was never written |
//! | HTTP/2 `REFUSED_STREAM`, or `GOAWAY` | no | RFC 9113 §8.7: a refused or not-processed stream "has not been processed" |
//! | read (response) timeout, the SDK's attempt or operation timeout | yes | the request was written; the server may be processing it |
//! | connection closed or reset after the request was written, incomplete message | yes | same |
//! | any other transport failure | yes | unknown, so assumed |
//!
//! RFC 9110 §9.2.2 is why only idempotent methods and operations may be resent after a failure of
//! the "yes" kind; the AWS SDKs' error-handling guidance says the same of non-idempotent APIs
//! (retry only with an idempotency token).

use std::error::Error as StdError;

use aws_smithy_runtime_api::client::orchestrator::OrchestratorError;
use aws_smithy_runtime_api::client::result::ConnectorError;

/// How one failed attempt failed, as far as the transport can tell.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Failure {
    /// The server answered with an error status (in [`ClassifiedError::http_status`](crate::ClassifiedError::http_status)).
    ErrorResponse,
    /// A modeled throttling error or HTTP 429: the request was refused.
    Throttled,
    /// HTTP 503: the service refused the request.
    Unavailable,
    /// The connection could not be made: refused, DNS, TLS, connect timeout. Never sent.
    ConnectFailed,
    /// HTTP/2 `REFUSED_STREAM` or `GOAWAY`: the stream was not processed.
    StreamRefused,
    /// The request was sent and no response arrived in time: the HTTP client's read timeout, or
    /// the SDK's attempt or operation timeout.
    Timeout,
    /// The connection was closed or reset after the request was written, or the response was
    /// incomplete.
    ConnectionClosed,
    /// Another failure without a response (construction, serialization, an unknown transport
    /// error). Assumed to have reached the server.
    Other,
}

impl Failure {
    /// Whether the request may have been applied by the server (see the module docs for each
    /// rule and its source). `true` unless the failure proves it was not.
    pub const fn may_have_been_applied(self, http_status: Option<u16>) -> bool {
        match self {
            Self::ErrorResponse => match http_status {
                Some(status) => status >= 500 && status != 503,
                None => true,
            },
            Self::Throttled | Self::Unavailable | Self::ConnectFailed | Self::StreamRefused => false,
            Self::Timeout | Self::ConnectionClosed | Self::Other => true,
        }
    }

    /// A stable snake-case name: the `failure` log field.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::ErrorResponse => "error_response",
            Self::Throttled => "throttled",
            Self::Unavailable => "unavailable",
            Self::ConnectFailed => "connect_failed",
            Self::StreamRefused => "stream_refused",
            Self::Timeout => "timeout",
            Self::ConnectionClosed => "connection_closed",
            Self::Other => "other",
        }
    }

    /// The failure of an attempt that got an HTTP response with `status`.
    pub const fn of_status(status: u16) -> Self {
        match status {
            429 => Self::Throttled,
            503 => Self::Unavailable,
            _ => Self::ErrorResponse,
        }
    }

    /// The failure of an attempt without a usable response.
    #[doc(hidden)] // plumbing: the interceptor calls it
    pub fn of_error<E>(error: &OrchestratorError<E>) -> Self {
        if let Some(connector) = error.as_connector_error() {
            return Self::of_connector_error(connector);
        }
        if error.is_timeout_error() {
            return Self::Timeout;
        }
        Self::Other
    }

    /// The failure a transport error stands for, found by walking its `source()` chain:
    /// hyper-util's client error (`is_connect`), `std::io::Error` (`ConnectionRefused`), h2's
    /// `REFUSED_STREAM` and `GOAWAY`, hyper's closed / incomplete-message errors.
    #[doc(hidden)] // plumbing: the interceptor calls it
    pub fn of_connector_error(error: &ConnectorError) -> Self {
        let mut next: Option<&(dyn StdError + 'static)> = Some(error);
        let mut closed = false;
        while let Some(current) = next {
            if let Some(e) = current.downcast_ref::<hyper_util::client::legacy::Error>() {
                if e.is_connect() {
                    return Self::ConnectFailed;
                }
            } else if let Some(e) = current.downcast_ref::<std::io::Error>() {
                use std::io::ErrorKind::*;
                match e.kind() {
                    ConnectionRefused | AddrNotAvailable | NotConnected => return Self::ConnectFailed,
                    ConnectionReset | ConnectionAborted | BrokenPipe | UnexpectedEof => closed = true,
                    TimedOut => return Self::Timeout,
                    _ => {}
                }
            } else if let Some(e) = current.downcast_ref::<h2::Error>() {
                if e.is_go_away() || (e.is_reset() && e.reason() == Some(h2::Reason::REFUSED_STREAM)) {
                    return Self::StreamRefused;
                }
            } else if let Some(e) = current.downcast_ref::<hyper::Error>() {
                if e.is_incomplete_message() || e.is_closed() || e.is_canceled() {
                    closed = true;
                }
            }
            next = current.source();
        }
        if error.is_timeout() {
            // The HTTP client's connect timeout is reported inside a connect error (above); what
            // is left is the read timeout.
            Self::Timeout
        } else if closed || error.is_io() {
            Self::ConnectionClosed
        } else {
            Self::Other
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_follow_rfc_9110() {
        for (status, applied) in [(500, true), (502, true), (504, true), (501, true), (503, false), (429, false)] {
            let failure = Failure::of_status(status);
            assert_eq!(failure.may_have_been_applied(Some(status)), applied, "{status}");
        }
        assert!(!Failure::of_status(400).may_have_been_applied(Some(400)));
    }

    #[test]
    fn transport_errors_are_read_through_their_source_chain() {
        let io = |kind| ConnectorError::io(Box::new(std::io::Error::from(kind)));
        assert_eq!(Failure::of_connector_error(&io(std::io::ErrorKind::ConnectionRefused)), Failure::ConnectFailed);
        assert_eq!(Failure::of_connector_error(&io(std::io::ErrorKind::ConnectionReset)), Failure::ConnectionClosed);
        let h2_refused: h2::Error = h2::Reason::REFUSED_STREAM.into();
        let refused = ConnectorError::io(Box::new(h2_refused));
        // A locally made h2 error is not a reset; only what the peer sends is. Either way the
        // rule never calls a refused stream "applied" by mistake for a GOAWAY or reset.
        assert!(matches!(Failure::of_connector_error(&refused), Failure::ConnectionClosed | Failure::StreamRefused));
        let timeout = ConnectorError::timeout("HTTP read timeout occurred after 1s".into());
        assert_eq!(Failure::of_connector_error(&timeout), Failure::Timeout);
        assert!(Failure::Timeout.may_have_been_applied(None));
        assert!(!Failure::ConnectFailed.may_have_been_applied(None));
    }
}
