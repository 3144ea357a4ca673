//! A `metrics` recorder that records into the SDK's own telemetry provider
//! (`aws-smithy-observability`), so that the policy's metrics land in the same meter provider as
//! the SDK's `smithy.client.call.duration`: with `aws-smithy-observability-otel`, the same
//! OpenTelemetry `MeterProvider` and exporter.
//!
//! Install it after setting the SDK's provider:
//!
//! ```no_run
//! # fn example(provider: aws_smithy_observability::TelemetryProvider) -> Result<(), Box<dyn std::error::Error>> {
//! aws_smithy_observability::global::set_telemetry_provider(provider)?;
//! metrics::set_global_recorder(aws_server_errors_examples::smithy_bridge::SmithyRecorder::from_global()?)?;
//! aws_server_errors::telemetry::describe_metrics(); // units and descriptions, before first use
//! # Ok(()) }
//! ```
//!
//! Counters become monotonic counters, histograms histograms, gauges asynchronous gauges (the
//! provider reads the last value set when it collects). Labels become attributes. Instruments
//! are created once per metric name.

use std::borrow::Cow;
use std::collections::HashMap;
use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use aws_smithy_observability::instruments::{Histogram as SmithyHistogram, InstrumentBuilder, MonotonicCounter};
use aws_smithy_observability::meter::Meter;
use aws_smithy_observability::{AttributeValue, Attributes, ObservabilityError};
use metrics::{Counter, CounterFn, Gauge, GaugeFn, Histogram, HistogramFn, Key, KeyName, Metadata, SharedString, Unit};

/// The instrumentation scope the bridge's meter is created with.
pub const SCOPE: &str = "aws-server-errors";

/// A `metrics::Recorder` over an `aws-smithy-observability` meter.
pub struct SmithyRecorder {
    meter: Meter,
    inner: Mutex<Instruments>,
}

#[derive(Default)]
struct Instruments {
    /// Unit and description per metric name, from `describe_*`.
    descriptions: HashMap<String, (Option<Unit>, SharedString)>,
    counters: HashMap<String, Arc<dyn MonotonicCounter>>,
    histograms: HashMap<String, Arc<dyn SmithyHistogram>>,
    /// Per gauge name, the last value of each label set, read by the gauge's callback.
    gauges: HashMap<String, GaugeValues>,
}

type GaugeValues = Arc<Mutex<Vec<(Attributes, Arc<AtomicU64>)>>>;

impl fmt::Debug for SmithyRecorder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SmithyRecorder").finish_non_exhaustive()
    }
}

impl SmithyRecorder {
    /// A recorder over the meter [`SCOPE`] of the SDK's global telemetry provider.
    ///
    /// # Errors
    /// When the provider cannot be read (`aws_smithy_observability::global`).
    pub fn from_global() -> Result<Self, ObservabilityError> {
        let provider = aws_smithy_observability::global::get_telemetry_provider()?;
        Ok(Self::new(provider.meter_provider().get_meter(SCOPE, None)))
    }

    /// A recorder over `meter`.
    pub fn new(meter: Meter) -> Self {
        Self { meter, inner: Mutex::new(Instruments::default()) }
    }

    fn instruments(&self) -> std::sync::MutexGuard<'_, Instruments> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// A `metrics` unit as an OpenTelemetry (UCUM) unit.
fn ucum(unit: Option<Unit>) -> Option<&'static str> {
    match unit? {
        Unit::Seconds => Some("s"),
        Unit::Milliseconds => Some("ms"),
        Unit::Bytes => Some("By"),
        Unit::Count => Some("1"),
        _ => None,
    }
}

fn attributes(key: &Key) -> Attributes {
    let mut attributes = Attributes::new();
    for label in key.labels() {
        attributes.set(label.key(), AttributeValue::String(label.value().to_owned()));
    }
    attributes
}

impl Instruments {
    fn unit_and_description(&self, name: &str) -> (Option<&'static str>, Option<Cow<'static, str>>) {
        match self.descriptions.get(name) {
            Some((unit, description)) => (ucum(*unit), Some(Cow::Owned(description.to_string()))),
            None => (None, None),
        }
    }

    /// A synchronous instrument named after `key`, with the unit and description described for it.
    fn build<'m, T>(
        &self,
        meter: &'m Meter,
        key: &Key,
        create: impl FnOnce(&'m Meter, String) -> InstrumentBuilder<'m, T>,
    ) -> T
    where
        InstrumentBuilder<'m, T>: Build<T>,
    {
        let (unit, description) = self.unit_and_description(key.name());
        let mut builder = create(meter, key.name().to_owned());
        if let Some(unit) = unit {
            builder = builder.set_units(unit);
        }
        if let Some(description) = description {
            builder = builder.set_description(description);
        }
        builder.finish()
    }
}

/// `InstrumentBuilder::build`, which `aws-smithy-observability` defines per instrument type.
trait Build<T> {
    fn finish(self) -> T;
}

impl Build<Arc<dyn MonotonicCounter>> for InstrumentBuilder<'_, Arc<dyn MonotonicCounter>> {
    fn finish(self) -> Arc<dyn MonotonicCounter> {
        self.build()
    }
}

impl Build<Arc<dyn SmithyHistogram>> for InstrumentBuilder<'_, Arc<dyn SmithyHistogram>> {
    fn finish(self) -> Arc<dyn SmithyHistogram> {
        self.build()
    }
}

struct CounterHandle {
    instrument: Arc<dyn MonotonicCounter>,
    attributes: Attributes,
}

impl CounterFn for CounterHandle {
    fn increment(&self, value: u64) {
        self.instrument.add(value, Some(&self.attributes), None);
    }

    fn absolute(&self, _value: u64) {
        // A monotonic counter only adds; this crate never sets a counter's absolute value.
    }
}

struct HistogramHandle {
    instrument: Arc<dyn SmithyHistogram>,
    attributes: Attributes,
}

impl HistogramFn for HistogramHandle {
    fn record(&self, value: f64) {
        self.instrument.record(value, Some(&self.attributes), None);
    }
}

struct GaugeHandle(Arc<AtomicU64>);

impl GaugeFn for GaugeHandle {
    fn increment(&self, value: f64) {
        let _ =
            self.0.fetch_update(Ordering::Relaxed, Ordering::Relaxed, |v| Some((f64::from_bits(v) + value).to_bits()));
    }

    fn decrement(&self, value: f64) {
        self.increment(-value);
    }

    fn set(&self, value: f64) {
        self.0.store(value.to_bits(), Ordering::Relaxed);
    }
}

impl metrics::Recorder for SmithyRecorder {
    fn describe_counter(&self, key: KeyName, unit: Option<Unit>, description: SharedString) {
        self.instruments().descriptions.insert(key.as_str().to_owned(), (unit, description));
    }

    fn describe_gauge(&self, key: KeyName, unit: Option<Unit>, description: SharedString) {
        self.instruments().descriptions.insert(key.as_str().to_owned(), (unit, description));
    }

    fn describe_histogram(&self, key: KeyName, unit: Option<Unit>, description: SharedString) {
        self.instruments().descriptions.insert(key.as_str().to_owned(), (unit, description));
    }

    fn register_counter(&self, key: &Key, _metadata: &Metadata<'_>) -> Counter {
        let mut instruments = self.instruments();
        let instrument = match instruments.counters.get(key.name()) {
            Some(instrument) => instrument.clone(),
            None => {
                let instrument = instruments.build(&self.meter, key, |m, name| m.create_monotonic_counter(name));
                instruments.counters.insert(key.name().to_owned(), instrument.clone());
                instrument
            }
        };
        Counter::from_arc(Arc::new(CounterHandle { instrument, attributes: attributes(key) }))
    }

    fn register_gauge(&self, key: &Key, _metadata: &Metadata<'_>) -> Gauge {
        let mut instruments = self.instruments();
        let (unit, description) = instruments.unit_and_description(key.name());
        let values = match instruments.gauges.get(key.name()) {
            Some(values) => values.clone(),
            None => {
                let values: GaugeValues = Arc::default();
                let read = values.clone();
                let mut builder = self.meter.create_gauge(key.name().to_owned(), move |measure| {
                    for (attributes, value) in read.lock().unwrap_or_else(PoisonError::into_inner).iter() {
                        measure.record(f64::from_bits(value.load(Ordering::Relaxed)), Some(attributes), None);
                    }
                });
                if let Some(unit) = unit {
                    builder = builder.set_units(unit);
                }
                if let Some(description) = description {
                    builder = builder.set_description(description);
                }
                // The provider keeps the callback; the handle is not needed to keep it alive.
                let _gauge = builder.build();
                instruments.gauges.insert(key.name().to_owned(), values.clone());
                values
            }
        };
        let attributes = attributes(key);
        let mut values = values.lock().unwrap_or_else(PoisonError::into_inner);
        let cell = match values.iter().find(|(a, _)| a.attributes() == attributes.attributes()) {
            Some((_, cell)) => cell.clone(),
            None => {
                let cell = Arc::new(AtomicU64::new(0f64.to_bits()));
                values.push((attributes, cell.clone()));
                cell
            }
        };
        Gauge::from_arc(Arc::new(GaugeHandle(cell)))
    }

    fn register_histogram(&self, key: &Key, _metadata: &Metadata<'_>) -> Histogram {
        let mut instruments = self.instruments();
        let instrument = match instruments.histograms.get(key.name()) {
            Some(instrument) => instrument.clone(),
            None => {
                let instrument = instruments.build(&self.meter, key, |m, name| m.create_histogram(name));
                instruments.histograms.insert(key.name().to_owned(), instrument.clone());
                instrument
            }
        };
        Histogram::from_arc(Arc::new(HistogramHandle { instrument, attributes: attributes(key) }))
    }
}
