//! What AWS Support asks for when internal errors persist: a bounded record, per service, of the
//! recent server-side failures, with their request ids, operations, region and time window.
//!
//! Every AWS guide on internal errors ends the same way: retry with backoff; if the errors
//! persist, check the AWS Health Dashboard and open a support case with the request ids, the
//! operation, the region and the time window (for S3, also the extended request id
//! `x-amz-id-2`). The record gathers exactly that, from the failed attempts the policy
//! classifies: internal-server errors, other 5xx, and transport failures that may have reached
//! the server. It holds counts, at most [`MAX_SAMPLES`] samples and [`MAX_REGIONS`] regions, and
//! server-controlled values bounded like every logged value: no bodies, messages or credentials.
//! An incident ends after [`QUIET_PERIOD`] without such a failure; the next failure starts a new
//! record.

use std::fmt;
use std::sync::Mutex;
use std::time::{Duration, SystemTime};

use aws_smithy_types::date_time::{DateTime, Format};

use crate::adapter::{ClassifiedError, ErrorClass};
use crate::sanitize::{bounded_to, MAX_LOGGED_VALUE};

/// The most recent failures an [`IncidentReport`] keeps, newest first.
pub const MAX_SAMPLES: usize = 20;
/// The most regions an [`IncidentReport`] lists (a process rarely calls a service in more).
pub const MAX_REGIONS: usize = 4;
/// How long without a server-side failure ends an incident: the next failure starts a new record.
pub const QUIET_PERIOD: Duration = Duration::from_secs(300);
/// The longest extended request id kept (S3's `x-amz-id-2` is about 76 characters).
const MAX_EXTENDED_ID: usize = 128;

/// One failed attempt in an [`IncidentReport`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct IncidentSample {
    /// When the attempt failed, on the client's time source.
    pub time: SystemTime,
    /// The operation (`rpc.method`).
    pub operation: &'static str,
    /// Its class: `internal_server_error`, `server_error` or `transient`.
    pub class: ErrorClass,
    /// The HTTP status, if there was a response.
    pub http_status: Option<u16>,
    /// The request id (`x-amzn-RequestId`, `x-amz-request-id`, or the error body's own), bounded
    /// to 64 characters of a safe set.
    pub request_id: Option<String>,
    /// The extended request id (`x-amz-id-2`, which S3 sends and AWS Support asks for with the
    /// request id), bounded to 128 characters of a safe set.
    pub extended_request_id: Option<String>,
}

/// The recent server-side failures of one service, for a support case: read it with
/// [`ServerErrorPolicy::incident_report`](crate::ServerErrorPolicy::incident_report). Its
/// `Display` form is text a person can paste into the case.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct IncidentReport {
    /// The service (`rpc.service`).
    pub service: &'static str,
    /// The regions the failed calls were made in (at most [`MAX_REGIONS`]).
    pub regions: Vec<String>,
    /// The first failure of the incident.
    pub first_seen: SystemTime,
    /// The last failure.
    pub last_seen: SystemTime,
    /// Failed attempts by class, in taxonomy order; classes with none are left out.
    pub counts: Vec<(ErrorClass, u64)>,
    /// Failed attempts by operation, most first.
    pub operations: Vec<(&'static str, u64)>,
    /// The most recent failures, newest first (at most [`MAX_SAMPLES`]).
    pub samples: Vec<IncidentSample>,
}

impl IncidentReport {
    /// Failed attempts in all.
    pub fn total(&self) -> u64 {
        self.counts.iter().map(|(_, n)| n).sum()
    }
}

fn utc(time: SystemTime) -> String {
    DateTime::from(time).fmt(Format::DateTime).unwrap_or_else(|_| "?".into())
}

/// The report as text to paste into a support case, one fact per line; the alternate form
/// (`{:#}`) puts it on one line, its lines joined by `" | "` and the samples by `"; "`, as the
/// log event `internal errors persist` carries it (one event, one line, for line-oriented log
/// shipping).
impl fmt::Display for IncidentReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let one_line = f.alternate();
        let (end, indent, sample_end) = if one_line { (" | ", "", "; ") } else { ("\n", "  ", "\n") };
        let regions = if self.regions.is_empty() { "unknown".to_owned() } else { self.regions.join(", ") };
        write!(f, "Service: {} (region {regions}){end}", self.service)?;
        write!(f, "Time window (UTC): {} to {}{end}", utc(self.first_seen), utc(self.last_seen))?;
        let counts: Vec<String> = self.counts.iter().map(|(class, n)| format!("{n} {}", class.as_str())).collect();
        write!(f, "Failed attempts: {} ({}){end}", self.total(), counts.join(", "))?;
        let ops: Vec<String> = self.operations.iter().map(|(op, n)| format!("{op} ({n})")).collect();
        write!(f, "Operations: {}{end}", ops.join(", "))?;
        let header = "Recent failures, newest first (time, operation, status, class, request id, extended request id):";
        write!(f, "{header}{}", if one_line { " " } else { "\n" })?;
        for (i, s) in self.samples.iter().enumerate() {
            let status = s.http_status.map_or("-".to_owned(), |s| s.to_string());
            let last = i + 1 == self.samples.len();
            write!(
                f,
                "{indent}{} {} {status} {} {} {}{}",
                utc(s.time),
                s.operation,
                s.class.as_str(),
                s.request_id.as_deref().unwrap_or("-"),
                s.extended_request_id.as_deref().unwrap_or("-"),
                if last && one_line { "" } else { sample_end },
            )?;
        }
        Ok(())
    }
}

/// Why the report is logged.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Trigger {
    BreakerOpened,
    BudgetEmpty,
}

/// One service's record.
#[derive(Debug, Default)]
pub(crate) struct IncidentLog {
    inner: Mutex<Option<Incident>>,
}

#[derive(Debug)]
struct Incident {
    regions: Vec<String>,
    first_seen: SystemTime,
    last_seen: SystemTime,
    counts: [u64; ErrorClass::ALL.len()],
    operations: Vec<(&'static str, u64)>,
    /// A ring: `next` is where the next sample goes.
    samples: Vec<IncidentSample>,
    next: usize,
    logged_open: bool,
    logged_budget: bool,
}

/// Sets `slot` to `value` bounded to `max` characters, reusing the string already there.
fn assign_bounded(slot: &mut Option<String>, value: Option<&str>, max: usize) {
    match (slot.as_mut(), value) {
        (Some(kept), Some(value)) => {
            kept.clear();
            kept.push_str(&bounded_to(value, max));
        }
        (_, value) => *slot = value.map(|v| bounded_to(v, max).into_owned()),
    }
}

impl IncidentLog {
    /// Records one server-side failure at `now`, made in `region`.
    pub fn record(
        &self,
        now: SystemTime,
        region: Option<&str>,
        record: &ClassifiedError<'_>,
        extended_id: Option<&str>,
    ) {
        let mut guard = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        let quiet =
            guard.as_ref().is_some_and(|i| now.duration_since(i.last_seen).is_ok_and(|since| since >= QUIET_PERIOD));
        if guard.is_none() || quiet {
            *guard = Some(Incident {
                regions: Vec::new(),
                first_seen: now,
                last_seen: now,
                counts: [0; ErrorClass::ALL.len()],
                operations: Vec::new(),
                samples: Vec::with_capacity(MAX_SAMPLES),
                next: 0,
                logged_open: false,
                logged_budget: false,
            });
        }
        let incident = guard.as_mut().expect("set above");
        incident.last_seen = incident.last_seen.max(now);
        incident.counts[record.class.index()] += 1;
        match incident.operations.iter_mut().find(|(op, _)| *op == record.operation) {
            Some((_, n)) => *n += 1,
            // Bounded by the service's operations (a fixed set from the SDK crate).
            None => incident.operations.push((record.operation, 1)),
        }
        if let Some(region) = region {
            if incident.regions.len() < MAX_REGIONS && !incident.regions.iter().any(|r| r == region) {
                incident.regions.push(bounded_to(region, MAX_LOGGED_VALUE).into_owned());
            }
        }
        if incident.samples.len() < MAX_SAMPLES {
            incident.samples.push(IncidentSample {
                time: now,
                operation: record.operation,
                class: record.class,
                http_status: record.http_status,
                request_id: record.request_id.map(|id| bounded_to(id, MAX_LOGGED_VALUE).into_owned()),
                extended_request_id: extended_id.map(|id| bounded_to(id, MAX_EXTENDED_ID).into_owned()),
            });
        } else {
            // The oldest sample's place, and its strings' memory: a full ring allocates only for
            // a value that had to be cleaned or cut, or that outgrows the string kept.
            let slot = &mut incident.samples[incident.next];
            slot.time = now;
            slot.operation = record.operation;
            slot.class = record.class;
            slot.http_status = record.http_status;
            assign_bounded(&mut slot.request_id, record.request_id, MAX_LOGGED_VALUE);
            assign_bounded(&mut slot.extended_request_id, extended_id, MAX_EXTENDED_ID);
        }
        incident.next = (incident.next + 1) % MAX_SAMPLES;
    }

    /// The current incident's report, if there is one.
    pub fn report(&self, service: &'static str) -> Option<IncidentReport> {
        let guard = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        let incident = guard.as_ref()?;
        let mut samples = incident.samples.clone();
        // Newest first: the ring from `next - 1` backwards.
        let oldest = incident.next % samples.len().max(1);
        samples.rotate_left(oldest);
        samples.reverse();
        let mut operations = incident.operations.clone();
        operations.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
        Some(IncidentReport {
            service,
            regions: incident.regions.clone(),
            first_seen: incident.first_seen,
            last_seen: incident.last_seen,
            counts: ErrorClass::ALL.iter().zip(incident.counts).filter(|(_, n)| *n > 0).map(|(c, n)| (*c, n)).collect(),
            operations,
            samples,
        })
    }

    /// The report to log, once per incident and trigger: when the breaker opens, and when the
    /// retry budget runs dry (`crate::telemetry::incident_report` logs it). `None` when it was
    /// given for this incident and trigger already, or there is no incident.
    pub fn report_once(&self, service: &'static str, trigger: Trigger) -> Option<IncidentReport> {
        {
            let mut guard = self.inner.lock().unwrap_or_else(|e| e.into_inner());
            let incident = guard.as_mut()?;
            let logged = match trigger {
                Trigger::BreakerOpened => &mut incident.logged_open,
                Trigger::BudgetEmpty => &mut incident.logged_budget,
            };
            if std::mem::replace(logged, true) {
                return None;
            }
        }
        self.report(service)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn failure(operation: &'static str, class: ErrorClass, request_id: &'static str) -> ClassifiedError<'static> {
        let mut record = ClassifiedError::bare(class);
        record.operation = operation;
        record.http_status = Some(500);
        record.request_id = Some(request_id);
        record
    }

    fn at(secs: u64) -> SystemTime {
        SystemTime::UNIX_EPOCH + Duration::from_secs(1_767_225_600 + secs)
    }

    #[test]
    fn a_report_keeps_counts_and_the_newest_samples_bounded() {
        let log = IncidentLog::default();
        assert_eq!(log.report("signer"), None);
        for i in 0..30u64 {
            let op = if i % 3 == 0 { "ListSigningProfiles" } else { "GetSigningProfile" };
            let id: &'static str = Box::leak(format!("req-{i}").into_boxed_str());
            log.record(at(i), Some("us-east-1"), &failure(op, ErrorClass::InternalServerError, id), None);
        }
        log.record(
            at(30),
            Some("eu-west-1"),
            &failure("GetSigningProfile", ErrorClass::ServerError, "req-30"),
            Some("ext/2="),
        );
        let report = log.report("signer").unwrap();
        assert_eq!(report.total(), 31);
        assert_eq!(report.counts, [(ErrorClass::InternalServerError, 30), (ErrorClass::ServerError, 1)]);
        assert_eq!(report.operations, [("GetSigningProfile", 21), ("ListSigningProfiles", 10)]);
        assert_eq!(report.regions, ["us-east-1", "eu-west-1"]);
        assert_eq!((report.first_seen, report.last_seen), (at(0), at(30)));
        assert_eq!(report.samples.len(), MAX_SAMPLES);
        let ids: Vec<_> = report.samples.iter().map(|s| s.request_id.clone().unwrap()).collect();
        assert_eq!(ids[0], "req-30");
        assert_eq!(ids[MAX_SAMPLES - 1], "req-11", "newest first, the oldest dropped");
        assert_eq!(report.samples[0].extended_request_id.as_deref(), Some("ext/2="));
        let text = report.to_string();
        assert!(text.starts_with("Service: signer (region us-east-1, eu-west-1)\nTime window (UTC): 2026-01-01T00:00:00Z to 2026-01-01T00:00:30Z\n"), "{text}");
        assert!(text.contains("Failed attempts: 31 (30 internal_server_error, 1 server_error)"), "{text}");
        assert!(text.contains("  2026-01-01T00:00:30Z GetSigningProfile 500 server_error req-30 ext/2=\n"), "{text}");
        let line = format!("{report:#}");
        assert!(!line.contains('\n'), "{line}");
        assert!(line.starts_with("Service: signer (region us-east-1, eu-west-1) | Time window (UTC): "), "{line}");
        assert!(line.contains(" | Recent failures, newest first (time, operation, status, class, request id, extended request id): 2026-01-01T00:00:30Z GetSigningProfile 500 server_error req-30 ext/2=; "), "{line}");
        assert!(line.ends_with("req-11 -"), "{line}");

        // A full ring reuses its places: nothing of an older sample stays in them.
        for i in 31..31 + MAX_SAMPLES as u64 {
            let mut record = failure("ListSigningProfiles", ErrorClass::Transient, "");
            (record.http_status, record.request_id) = (None, None);
            log.record(at(i), None, &record, None);
        }
        let report = log.report("signer").unwrap();
        assert!(report.samples.iter().all(|s| s.request_id.is_none() && s.extended_request_id.is_none()));
        assert!(report.samples.iter().all(|s| (s.operation, s.http_status) == ("ListSigningProfiles", None)));
    }

    #[test]
    fn a_quiet_period_starts_a_new_incident() {
        let log = IncidentLog::default();
        log.record(at(0), None, &failure("GetSigningProfile", ErrorClass::InternalServerError, "a"), None);
        log.record(at(299), None, &failure("GetSigningProfile", ErrorClass::InternalServerError, "b"), None);
        assert_eq!(log.report("signer").unwrap().total(), 2);
        log.record(at(299 + 300), None, &failure("GetSigningProfile", ErrorClass::InternalServerError, "c"), None);
        let report = log.report("signer").unwrap();
        assert_eq!((report.total(), report.first_seen), (1, at(599)));
    }

    #[test]
    fn server_values_are_bounded() {
        let log = IncidentLog::default();
        let long: &'static str = Box::leak("x\u{1b}[31m".repeat(100).into_boxed_str());
        log.record(
            at(0),
            Some("us-east-1\n"),
            &failure("GetSigningProfile", ErrorClass::InternalServerError, long),
            Some(long),
        );
        let report = log.report("signer").unwrap();
        let sample = &report.samples[0];
        assert!(sample.request_id.as_ref().unwrap().len() <= MAX_LOGGED_VALUE + 3);
        assert!(sample.extended_request_id.as_ref().unwrap().len() <= MAX_EXTENDED_ID + 3);
        assert!(!report.to_string().contains('\u{1b}'));
        assert_eq!(report.regions, ["us-east-1_"]);
    }
}
