//! Server-controlled values made safe to log and to keep: bounded in length, to a safe character
//! set. Used by the incident record (what it keeps) and by telemetry (what it logs).

use std::borrow::Cow;

/// The longest server-controlled value a log field carries, in characters.
pub const MAX_LOGGED_VALUE: usize = 64;

/// A server-controlled value made safe to log: at most [`MAX_LOGGED_VALUE`] characters of
/// `[A-Za-z0-9._:/@+=-]`, anything else replaced by `_`, and `...` marking a cut. Request ids and
/// error codes pass unchanged.
pub(crate) fn bounded(value: &str) -> Cow<'_, str> {
    bounded_to(value, MAX_LOGGED_VALUE)
}

/// [`bounded`], to at most `max` characters.
pub(crate) fn bounded_to(value: &str, max: usize) -> Cow<'_, str> {
    const fn safe_byte(b: u8) -> bool {
        b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b':' | b'/' | b'@' | b'+' | b'=' | b'-')
    }
    let safe = |c: char| c.is_ascii() && safe_byte(c as u8);
    // The common case, a request id or code already safe, checked a byte at a time (any byte of
    // a multi-byte character is unsafe, and sends it to the general case).
    if value.len() <= max && value.bytes().all(safe_byte) {
        return Cow::Borrowed(value);
    }
    let mut out: String = value.chars().take(max).map(|c| if safe(c) { c } else { '_' }).collect();
    if value.chars().count() > max {
        out.push_str("...");
    }
    Cow::Owned(out)
}
