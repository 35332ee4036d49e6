//! Prometheus metrics at `/metrics` (the `metrics` crate and its Prometheus exporter): request
//! latency per route template, the database pool, how long ago each job last finished, and the
//! age, size and outcome of the last backup. A
//! request's route is its template (`/api/v1/petitions/{id}`): never the path with its ids, nor
//! the query string, so no label carries personal data. Each request also gets an id
//! (`x-request-id`, answered back) and a tracing span that every log line inside it carries.

use std::sync::OnceLock;
use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderValue, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use tracing::Instrument;

type S = State<std::sync::Arc<xinfang_app::context::AppState>>;

/// Latency buckets in seconds: the targets are tens of milliseconds.
const BUCKETS: [f64; 11] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
];

/// The process's one recorder, installed on first use.
pub fn handle() -> &'static PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE.get_or_init(|| {
        let builder = PrometheusBuilder::new()
            .set_buckets_for_metric(
                Matcher::Full("http_request_duration_seconds".into()),
                &BUCKETS,
            )
            .unwrap_or_else(|_| PrometheusBuilder::new());
        let recorder = builder.build_recorder();
        let handle = recorder.handle();
        // Another recorder already installed (a test harness of its own) leaves ours unused but
        // still renderable.
        let _ = metrics::set_global_recorder(recorder);
        handle
    })
}

/// Times each routed request under its route template, method and status, inside a span with
/// a fresh request id.
pub async fn track(matched: Option<MatchedPath>, req: Request, next: Next) -> Response {
    let route = matched
        .map(|m| m.as_str().to_string())
        .unwrap_or_else(|| "unmatched".into());
    let method = req.method().as_str().to_string();
    let id = uuid::Uuid::now_v7().simple().to_string();
    let span = tracing::info_span!("request", id = %id, method = %method, route = %route);
    let start = Instant::now();
    let mut resp = next.run(req).instrument(span.clone()).await;
    let elapsed = start.elapsed();
    let status = resp.status().as_u16();
    metrics::histogram!(
        "http_request_duration_seconds",
        "route" => route,
        "method" => method,
        "status" => status.to_string()
    )
    .record(elapsed.as_secs_f64());
    span.in_scope(|| {
        if status >= 500 {
            tracing::warn!(status, ms = elapsed.as_millis() as u64, "request failed");
        } else {
            tracing::debug!(status, ms = elapsed.as_millis() as u64, "request");
        }
    });
    if let Ok(v) = HeaderValue::from_str(&id) {
        resp.headers_mut().insert("x-request-id", v);
    }
    resp
}

/// `GET /metrics`: the recorded series, with the gauges read now.
pub async fn render(State(state): S) -> Response {
    let h = handle();
    let g = xinfang_app::health::gauges(&state).await;
    metrics::gauge!("xinfang_db_pool_connections").set(g.pool_connections as f64);
    metrics::gauge!("xinfang_db_pool_idle").set(g.pool_idle as f64);
    metrics::gauge!("xinfang_db_pool_max").set(f64::from(state.config.max_connections));
    for (job, age) in g.job_ages {
        metrics::gauge!("xinfang_job_last_finished_age_seconds", "job" => job).set(age as f64);
    }
    // The backup's age (the alert: older than a day and a bit); absent until one passed.
    if let Some(age) = g.backups.last_passed_age_seconds {
        metrics::gauge!("xinfang_backup_last_success_age_seconds").set(age as f64);
    }
    if let Some(size) = g.backups.last_passed_size_bytes {
        metrics::gauge!("xinfang_backup_last_success_size_bytes").set(size as f64);
    }
    metrics::gauge!("xinfang_backup_last_failed").set(if g.backups.last_failed {
        1.0
    } else {
        0.0
    });
    (
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/plain; version=0.0.4"),
        )],
        h.render(),
    )
        .into_response()
}
