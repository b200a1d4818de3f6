//! Logging to stderr in hclog's JSON line format.
//!
//! Terraform reads a provider's stderr line by line into its own log. A line that parses as JSON is
//! taken apart hclog-style: `@level`, `@message`, `@timestamp` and `@module` are understood and every
//! other key becomes a key/value pair, so structured fields survive. stdout is never written: before
//! the handshake it would break the launch, and afterwards go-plugin discards it.
//!
//! The level comes from `TF_LOG_PROVIDER`, else `TF_LOG` — the same variables Terraform uses to
//! filter what it shows. When neither is set nothing is emitted, since Terraform would drop it.

use std::collections::BTreeMap;
use std::fmt;
use std::io::Write;

use serde_json::{Map, Value};
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::filter::EnvFilter;
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::layer::{Context, SubscriberExt};
use tracing_subscriber::registry::LookupSpan;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::Layer;

/// hclog's timestamp layout, Go's `2006-01-02T15:04:05.000000Z07:00`, always in UTC.
const TIMESTAMP_FORMAT: &[time::format_description::BorrowedFormatItem<'static>] = time::macros::format_description!(
    "[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:6]Z"
);

/// Dependencies whose debug/trace output is transport noise rather than provider behaviour.
const NOISY_TARGETS: [&str; 7] = [
    "h2",
    "hyper",
    "hyper_util",
    "tower",
    "tonic",
    "rustls",
    "tokio_util",
];

/// Why [`init`] could not install the subscriber.
#[derive(Debug, thiserror::Error)]
#[error("cannot install the log subscriber: {0}")]
pub struct LogInitError(#[from] tracing_subscriber::util::TryInitError);

/// Installs the global subscriber writing hclog JSON lines to stderr, with `module` as `@module`
/// (for example `provider.terraform-provider-hotpatch`).
///
/// The level is read from `TF_LOG_PROVIDER`, then `TF_LOG`; see [`filter_from_spec`].
pub fn init(module: &str) -> Result<(), LogInitError> {
    let spec = std::env::var("TF_LOG_PROVIDER")
        .ok()
        .filter(|v| !v.trim().is_empty())
        .or_else(|| std::env::var("TF_LOG").ok());
    tracing_subscriber::registry()
        .with(
            HclogLayer::new(module, std::io::stderr).with_filter(filter_from_spec(spec.as_deref())),
        )
        .try_init()?;
    Ok(())
}

/// Turns a `TF_LOG`-style value into a filter.
///
/// `TRACE`, `DEBUG`, `INFO`, `WARN`, `ERROR` and `OFF` (any case) are levels; `JSON` means trace
/// as in Terraform; a value containing `=` is read as a `tracing` directive list (handy when
/// debugging the provider itself); any other non-empty value means trace, as Terraform treats it.
/// Unset or empty means off.
pub fn filter_from_spec(spec: Option<&str>) -> EnvFilter {
    let spec = spec.map(str::trim).unwrap_or_default();
    if spec.contains('=') {
        if let Ok(filter) = EnvFilter::try_new(spec) {
            return filter;
        }
    }
    let level = match spec.to_ascii_lowercase().as_str() {
        "" | "off" => "off",
        "error" => "error",
        "warn" => "warn",
        "info" => "info",
        "debug" => "debug",
        _ => "trace",
    };
    let mut directives = level.to_string();
    if matches!(level, "debug" | "trace") {
        for target in NOISY_TARGETS {
            directives.push_str(&format!(",{target}=info"));
        }
    }
    EnvFilter::new(directives)
}

/// A [`Layer`] formatting events as hclog JSON lines.
pub struct HclogLayer<W> {
    module: String,
    make_writer: W,
}

impl<W> HclogLayer<W>
where
    W: for<'w> MakeWriter<'w> + 'static,
{
    /// A layer writing one JSON object per event to `make_writer`.
    pub fn new(module: &str, make_writer: W) -> Self {
        Self {
            module: module.to_string(),
            make_writer,
        }
    }

    fn format(&self, event: &Event<'_>, spans: BTreeMap<String, Value>) -> String {
        let mut fields = JsonFields::default();
        fields.0.extend(spans);
        event.record(&mut fields);
        let message = match fields.0.remove("message") {
            Some(Value::String(s)) => s,
            Some(other) => other.to_string(),
            None => String::new(),
        };
        let meta = event.metadata();
        let mut object = Map::new();
        object.insert("@level".into(), Value::from(level_name(*meta.level())));
        object.insert("@message".into(), Value::from(message));
        object.insert("@timestamp".into(), Value::from(timestamp()));
        object.insert("@module".into(), Value::from(self.module.clone()));
        if let (Some(file), Some(line)) = (meta.file(), meta.line()) {
            object.insert("@caller".into(), Value::from(format!("{file}:{line}")));
        }
        for (key, value) in fields.0 {
            object.entry(key).or_insert(value);
        }
        Value::Object(object).to_string()
    }
}

fn level_name(level: Level) -> &'static str {
    match level {
        Level::TRACE => "trace",
        Level::DEBUG => "debug",
        Level::INFO => "info",
        Level::WARN => "warn",
        Level::ERROR => "error",
    }
}

fn timestamp() -> String {
    time::OffsetDateTime::now_utc()
        .format(TIMESTAMP_FORMAT)
        .unwrap_or_default()
}

impl<S, W> Layer<S> for HclogLayer<W>
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    W: for<'w> MakeWriter<'w> + 'static,
{
    fn on_new_span(&self, attrs: &Attributes<'_>, id: &Id, ctx: Context<'_, S>) {
        if let Some(span) = ctx.span(id) {
            let mut fields = JsonFields::default();
            attrs.record(&mut fields);
            span.extensions_mut().insert(fields);
        }
    }

    fn on_record(&self, id: &Id, values: &Record<'_>, ctx: Context<'_, S>) {
        if let Some(span) = ctx.span(id) {
            let mut extensions = span.extensions_mut();
            if let Some(fields) = extensions.get_mut::<JsonFields>() {
                values.record(fields);
            } else {
                let mut fields = JsonFields::default();
                values.record(&mut fields);
                extensions.insert(fields);
            }
        }
    }

    fn on_event(&self, event: &Event<'_>, ctx: Context<'_, S>) {
        let mut spans = BTreeMap::new();
        if let Some(scope) = ctx.event_scope(event) {
            for span in scope.from_root() {
                if let Some(fields) = span.extensions().get::<JsonFields>() {
                    spans.extend(fields.0.clone());
                }
            }
        }
        let mut line = self.format(event, spans);
        line.push('\n');
        // One write per line keeps concurrent events from interleaving; a failed write to stderr
        // has nowhere better to be reported.
        let _ = self.make_writer.make_writer().write_all(line.as_bytes());
    }
}

/// Field values collected from a span or event.
#[derive(Debug, Default, Clone)]
struct JsonFields(BTreeMap<String, Value>);

impl Visit for JsonFields {
    fn record_f64(&mut self, field: &Field, value: f64) {
        self.0.insert(field.name().into(), Value::from(value));
    }

    fn record_i64(&mut self, field: &Field, value: i64) {
        self.0.insert(field.name().into(), Value::from(value));
    }

    fn record_u64(&mut self, field: &Field, value: u64) {
        self.0.insert(field.name().into(), Value::from(value));
    }

    fn record_bool(&mut self, field: &Field, value: bool) {
        self.0.insert(field.name().into(), Value::from(value));
    }

    fn record_str(&mut self, field: &Field, value: &str) {
        self.0.insert(field.name().into(), Value::from(value));
    }

    fn record_error(&mut self, field: &Field, value: &(dyn std::error::Error + 'static)) {
        self.0
            .insert(field.name().into(), Value::from(value.to_string()));
    }

    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        self.0
            .insert(field.name().into(), Value::from(format!("{value:?}")));
    }
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use super::*;

    #[derive(Clone, Default)]
    struct Buffer(Arc<Mutex<Vec<u8>>>);

    impl Write for Buffer {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0
                .lock()
                .map_err(|_| std::io::Error::other("poisoned"))?
                .extend_from_slice(buf);
            Ok(buf.len())
        }

        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    impl<'a> MakeWriter<'a> for Buffer {
        type Writer = Buffer;
        fn make_writer(&'a self) -> Self::Writer {
            self.clone()
        }
    }

    fn capture(spec: &str, f: impl FnOnce()) -> Vec<Value> {
        let buffer = Buffer::default();
        let subscriber = tracing_subscriber::registry().with(
            HclogLayer::new("provider.test", buffer.clone())
                .with_filter(filter_from_spec(Some(spec))),
        );
        tracing::subscriber::with_default(subscriber, f);
        let bytes = buffer.0.lock().expect("lock").clone();
        String::from_utf8(bytes)
            .expect("utf8")
            .lines()
            .map(|l| serde_json::from_str(l).expect("each line is JSON"))
            .collect()
    }

    #[test]
    fn writes_hclog_json_lines() {
        let lines = capture("debug", || {
            let span = tracing::info_span!("rpc", tf_rpc = "ApplyResourceChange");
            let _guard = span.enter();
            tracing::debug!(count = 3, ok = true, "applied {}", "thing");
            tracing::trace!("filtered out");
        });
        assert_eq!(lines.len(), 1, "{lines:?}");
        let line = &lines[0];
        assert_eq!(line["@level"], "debug");
        assert_eq!(line["@message"], "applied thing");
        assert_eq!(line["@module"], "provider.test");
        assert_eq!(line["count"], 3);
        assert_eq!(line["ok"], true);
        assert_eq!(line["tf_rpc"], "ApplyResourceChange");
        let ts = line["@timestamp"].as_str().expect("timestamp");
        // 2006-01-02T15:04:05.000000Z
        assert_eq!(ts.len(), 27, "{ts}");
        assert_eq!(&ts[10..11], "T");
        assert_eq!(&ts[19..20], ".");
        assert!(ts.ends_with('Z'));
    }

    #[test]
    fn levels_follow_tf_log() {
        assert!(capture("off", || tracing::error!("x")).is_empty());
        assert!(capture("", || tracing::error!("x")).is_empty());
        assert_eq!(
            capture("WARN", || {
                tracing::warn!("w");
                tracing::info!("i");
            })
            .len(),
            1
        );
        assert_eq!(capture("json", || tracing::trace!("t")).len(), 1);
        assert_eq!(
            capture("trace", || tracing::debug!(target: "h2::codec", "noise")).len(),
            0
        );
    }
}
