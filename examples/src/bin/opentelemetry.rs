//! The policy's metrics in the SDK's own telemetry provider (`aws-smithy-observability`), beside
//! the SDK's `smithy.client.call.duration`, through [`SmithyRecorder`].
//!
//! `cargo run -p aws-server-errors-examples --bin opentelemetry`
//!
//! An application sets an OpenTelemetry provider (`aws-smithy-observability-otel`'s
//! `OtelMeterProvider` over its `SdkMeterProvider`); this example sets a provider that prints
//! every instrument it is asked to create and every measurement, so that what reaches the
//! provider can be read (and is checked by `examples/tests/examples.rs`).

use std::fmt::Debug;
use std::sync::{Arc, Mutex};

use aws_server_errors_examples::smithy_bridge::SmithyRecorder;
use aws_smithy_observability::instruments::{
    AsyncInstrumentBuilder, AsyncMeasure, Histogram, InstrumentBuilder, MonotonicCounter, ProvideInstrument,
    UpDownCounter,
};
use aws_smithy_observability::meter::{Meter, ProvideMeter};
use aws_smithy_observability::{AttributeValue, Attributes, Context, TelemetryProvider};

/// Prints `kind name {attributes} value`, sorted attributes.
fn line(kind: &str, name: &str, attributes: Option<&Attributes>, value: impl std::fmt::Display) -> String {
    let mut attrs: Vec<String> = attributes
        .map(|a| {
            a.attributes()
                .iter()
                .map(|(k, v)| match v {
                    AttributeValue::String(s) => format!("{k}={s}"),
                    other => format!("{k}={other:?}"),
                })
                .collect()
        })
        .unwrap_or_default();
    attrs.sort();
    format!("{kind} {name} {{{}}} {value}", attrs.join(","))
}

#[derive(Debug)]
struct Printed {
    kind: &'static str,
    name: String,
}

impl Histogram for Printed {
    fn record(&self, value: f64, attributes: Option<&Attributes>, _: Option<&dyn Context>) {
        println!("{}", line(self.kind, &self.name, attributes, value));
    }
}

impl MonotonicCounter for Printed {
    fn add(&self, value: u64, attributes: Option<&Attributes>, _: Option<&dyn Context>) {
        println!("{}", line(self.kind, &self.name, attributes, format!("+{value}")));
    }
}

impl UpDownCounter for Printed {
    fn add(&self, value: i64, attributes: Option<&Attributes>, _: Option<&dyn Context>) {
        println!("{}", line(self.kind, &self.name, attributes, format!("{value:+}")));
    }
}

/// An asynchronous instrument's measurement, printed.
#[derive(Debug)]
struct Measured<T> {
    printed: Printed,
    _value: std::marker::PhantomData<fn(T)>,
}

impl<T> Measured<T> {
    fn new(kind: &'static str, name: &str) -> Self {
        Self { printed: Printed { kind, name: name.to_owned() }, _value: std::marker::PhantomData }
    }
}

impl<T: std::fmt::Display + Debug + 'static> AsyncMeasure for Measured<T> {
    type Value = T;
    fn record(&self, value: T, attributes: Option<&Attributes>, _: Option<&dyn Context>) {
        println!("{}", line(self.printed.kind, &self.printed.name, attributes, value));
    }
    fn stop(&self) {}
}

/// The gauges' callbacks, called once at the end as a collector would.
type Callback = Arc<dyn Fn(&dyn AsyncMeasure<Value = f64>) + Send + Sync>;

#[derive(Debug, Default)]
struct PrintingProvider {
    gauges: Mutex<Vec<(String, PrintedCallback)>>,
}

struct PrintedCallback(Callback);

impl Debug for PrintedCallback {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("callback")
    }
}

fn created(kind: &str, name: &str, units: Option<&std::borrow::Cow<'static, str>>) {
    println!("create {kind} {name} unit={}", units.map_or("-", |u| u.as_ref()));
}

impl ProvideInstrument for PrintingProvider {
    fn create_gauge(
        &self,
        builder: AsyncInstrumentBuilder<'_, Arc<dyn AsyncMeasure<Value = f64>>, f64>,
    ) -> Arc<dyn AsyncMeasure<Value = f64>> {
        created("gauge", builder.get_name(), builder.get_units().as_ref());
        self.gauges.lock().unwrap().push((builder.get_name().to_string(), PrintedCallback(builder.get_callback())));
        Arc::new(Measured::new("gauge", builder.get_name()))
    }
    fn create_up_down_counter(&self, builder: InstrumentBuilder<'_, Arc<dyn UpDownCounter>>) -> Arc<dyn UpDownCounter> {
        created("up_down_counter", builder.get_name(), builder.get_units().as_ref());
        Arc::new(Printed { kind: "up_down_counter", name: builder.get_name().to_string() })
    }
    fn create_async_up_down_counter(
        &self,
        builder: AsyncInstrumentBuilder<'_, Arc<dyn AsyncMeasure<Value = i64>>, i64>,
    ) -> Arc<dyn AsyncMeasure<Value = i64>> {
        Arc::new(Measured::new("async_up_down_counter", builder.get_name()))
    }
    fn create_monotonic_counter(
        &self,
        builder: InstrumentBuilder<'_, Arc<dyn MonotonicCounter>>,
    ) -> Arc<dyn MonotonicCounter> {
        created("counter", builder.get_name(), builder.get_units().as_ref());
        Arc::new(Printed { kind: "counter", name: builder.get_name().to_string() })
    }
    fn create_async_monotonic_counter(
        &self,
        builder: AsyncInstrumentBuilder<'_, Arc<dyn AsyncMeasure<Value = u64>>, u64>,
    ) -> Arc<dyn AsyncMeasure<Value = u64>> {
        Arc::new(Measured::new("async_counter", builder.get_name()))
    }
    fn create_histogram(&self, builder: InstrumentBuilder<'_, Arc<dyn Histogram>>) -> Arc<dyn Histogram> {
        created("histogram", builder.get_name(), builder.get_units().as_ref());
        Arc::new(Printed { kind: "histogram", name: builder.get_name().to_string() })
    }
}

#[derive(Debug, Clone, Default)]
struct PrintingMeterProvider(Arc<PrintingProvider>);

impl ProvideMeter for PrintingMeterProvider {
    fn get_meter(&self, _scope: &'static str, _attributes: Option<&Attributes>) -> Meter {
        Meter::new(self.0.clone())
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    if std::env::args().len() > 1 {
        eprintln!("usage: opentelemetry");
        std::process::exit(2);
    }
    let provider = PrintingMeterProvider::default();
    // 1. The SDK's telemetry provider (an application: aws-smithy-observability-otel).
    aws_smithy_observability::global::set_telemetry_provider(
        TelemetryProvider::builder().meter_provider(Arc::new(provider.clone())).build(),
    )?;
    // 2. The policy's metrics into the same provider.
    metrics::set_global_recorder(SmithyRecorder::from_global()?)?;
    aws_server_errors::telemetry::describe_metrics();

    aws_server_errors_examples::telemetry::run_scenario().await?;

    // A collection: the provider reads the gauges.
    for (name, PrintedCallback(callback)) in provider.0.gauges.lock().unwrap().iter() {
        callback(&Measured::<f64>::new("gauge", name));
    }
    Ok(())
}
