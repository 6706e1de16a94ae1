//! Logging and metrics set-up, once per process.

use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use std::sync::OnceLock;
use tracing_subscriber::{EnvFilter, fmt};

/// Starts tracing: text or JSON lines on stderr, filtered by `filter` (or `RUST_LOG`).
/// automerge's own spans are left out unless the filter names automerge (see
/// [`with_quiet_libraries`]).
pub fn init_tracing(json: bool, filter: &str) {
    let filter = std::env::var(EnvFilter::DEFAULT_ENV)
        .ok()
        .and_then(|env| EnvFilter::try_new(with_quiet_libraries(&env)).ok())
        .unwrap_or_else(|| EnvFilter::new(with_quiet_libraries(filter)));
    let builder = fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(false);
    let _ = if json {
        builder.json().try_init()
    } else {
        builder.try_init()
    };
}

/// `filter` with automerge held to warnings unless it names automerge itself. automerge
/// instruments the parsing of every change with a span at the info level: with a plain
/// `info` filter, every sync would build and format spans nobody reads.
fn with_quiet_libraries(filter: &str) -> String {
    if filter.contains("automerge") {
        filter.to_owned()
    } else if filter.trim().is_empty() {
        "automerge=warn".to_owned()
    } else {
        format!("{filter},automerge=warn")
    }
}

/// The process-wide Prometheus recorder (installed on first use).
pub fn metrics_handle() -> PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE
        .get_or_init(|| {
            let recorder = PrometheusBuilder::new()
                .set_buckets_for_metric(
                    metrics_exporter_prometheus::Matcher::Full(
                        "zoufang_sync_duration_seconds".into(),
                    ),
                    &[
                        0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
                    ],
                )
                .map(PrometheusBuilder::build_recorder)
                .unwrap_or_else(|_| PrometheusBuilder::new().build_recorder());
            let handle = recorder.handle();
            let _ = metrics::set_global_recorder(recorder);
            handle
        })
        .clone()
}

#[cfg(test)]
mod tests {
    use super::with_quiet_libraries;

    #[test]
    fn automerge_is_held_to_warnings_unless_named() {
        assert_eq!(with_quiet_libraries("info"), "info,automerge=warn");
        assert_eq!(
            with_quiet_libraries("warn,zoufang_server=debug"),
            "warn,zoufang_server=debug,automerge=warn"
        );
        assert_eq!(with_quiet_libraries(""), "automerge=warn");
        assert_eq!(
            with_quiet_libraries("info,automerge=trace"),
            "info,automerge=trace"
        );
    }

    #[test]
    fn the_filter_keeps_info_and_drops_automerge_info() {
        use tracing_subscriber::layer::SubscriberExt;
        let filter = tracing_subscriber::EnvFilter::new(with_quiet_libraries("info"));
        let subscriber = tracing_subscriber::registry().with(filter);
        tracing::subscriber::with_default(subscriber, || {
            assert!(tracing::enabled!(target: "zoufang_server", tracing::Level::INFO));
            assert!(!tracing::enabled!(target: "automerge::storage", tracing::Level::INFO));
            assert!(tracing::enabled!(target: "automerge::storage", tracing::Level::WARN));
        });
    }
}
