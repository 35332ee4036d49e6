//! The HTTP layer: the router with its layers, and `serve`.

pub mod api;
pub mod assets;
pub mod auth;
pub mod error;
pub mod input;
pub mod metrics;
pub mod multipart;
pub mod pages;

use std::net::SocketAddr;
use std::sync::Arc;

use anyhow::Context;
use axum::Router;
use axum::http::{HeaderValue, header};
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::set_header::SetResponseHeaderLayer;
use xinfang_app::context::AppState;

/// Largest urlencoded form or JSON body accepted (uploads have their own limit).
pub const MAX_FORM_BYTES: usize = 1024 * 1024;

pub fn router(state: Arc<AppState>) -> Router {
    // The metrics recorder is in place before the first request is timed.
    crate::http::metrics::handle();
    let (api, api_uploads) = crate::http::api::all_routes();
    Router::new()
        .merge(crate::http::pages::router())
        .merge(Router::from(api))
        .route("/api/v1/{*rest}", axum::routing::any(crate::http::api::unknown_api))
        .route("/api/openapi.json", axum::routing::get(crate::http::api::openapi_json))
        .merge(crate::http::assets::router())
        .layer(RequestBodyLimitLayer::new(MAX_FORM_BYTES))
        .layer(axum::middleware::map_response(too_large_as_json))
        // Uploads read their body themselves, up to the configured scan limit.
        .merge(Router::from(api_uploads))
        .merge(crate::http::pages::report_upload_router())
        .merge(crate::http::pages::scan_upload_router())
        .merge(crate::http::pages::archive_upload_router())
        .merge(crate::http::pages::exchange_upload_router())
        .merge(crate::http::pages::public::upload_router())
        .layer(axum::middleware::from_fn_with_state(state.clone(), crate::http::auth::session_layer))
        .layer(axum::middleware::from_fn(crate::http::input::reject_nul))
        .layer(SetResponseHeaderLayer::if_not_present(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY")))
        .layer(SetResponseHeaderLayer::if_not_present(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff")))
        .layer(SetResponseHeaderLayer::if_not_present(header::REFERRER_POLICY, HeaderValue::from_static("same-origin")))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static("default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; frame-ancestors 'none'; form-action 'self'"),
        ))
        // Timing and a request span for every routed request (route templates only).
        .route_layer(axum::middleware::from_fn(crate::http::metrics::track))
        // Probes for the load balancer and the supervisor: no session, no petition data.
        .route("/healthz", axum::routing::get(healthz))
        .route("/metrics", axum::routing::get(crate::http::metrics::render))
        .route("/readyz", axum::routing::get(readyz))
        .with_state(state)
}

/// The router of an instance that serves only the public site (`xinfang serve --public`): the
/// public pages and operations, their styles, and the probes. No staff route exists on it.
pub fn public_router(state: Arc<AppState>) -> Router {
    crate::http::metrics::handle();
    let api = crate::http::api::public::public_routes();
    let uploads = crate::http::api::public::upload_routes();
    Router::new()
        .merge(crate::http::pages::public::router())
        .merge(Router::from(api))
        .route("/api/v1/{*rest}", axum::routing::any(crate::http::api::unknown_api))
        .route("/", axum::routing::get(|| async { axum::response::Redirect::to("/public") }))
        .merge(crate::http::assets::router())
        .layer(RequestBodyLimitLayer::new(MAX_FORM_BYTES))
        .layer(axum::middleware::map_response(too_large_as_json))
        .merge(Router::from(uploads))
        .merge(crate::http::pages::public::upload_router())
        .layer(axum::middleware::from_fn_with_state(state.clone(), crate::http::auth::session_layer))
        .layer(axum::middleware::from_fn(crate::http::input::reject_nul))
        .layer(SetResponseHeaderLayer::if_not_present(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY")))
        .layer(SetResponseHeaderLayer::if_not_present(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff")))
        .layer(SetResponseHeaderLayer::if_not_present(header::REFERRER_POLICY, HeaderValue::from_static("same-origin")))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static("default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; frame-ancestors 'none'; form-action 'self'"),
        ))
        .route_layer(axum::middleware::from_fn(crate::http::metrics::track))
        .route("/healthz", axum::routing::get(healthz))
        .route("/readyz", axum::routing::get(readyz))
        .with_state(state)
}

/// The public router as served, with each connection's peer address.
pub fn public_service(
    state: Arc<AppState>,
) -> axum::extract::connect_info::IntoMakeServiceWithConnectInfo<Router, SocketAddr> {
    public_router(state).into_make_service_with_connect_info::<SocketAddr>()
}

/// The process is alive and serving.
async fn healthz() -> axum::Json<serde_json::Value> {
    axum::Json(serde_json::json!({"status": "alive"}))
}

/// Ready for traffic: the database answers, its schema is current, the blob store is writable.
/// 503 with what failed otherwise.
async fn readyz(
    axum::extract::State(state): axum::extract::State<Arc<AppState>>,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    let r = xinfang_app::health::readiness(&state).await;
    let status = if r.ready() {
        axum::http::StatusCode::OK
    } else {
        axum::http::StatusCode::SERVICE_UNAVAILABLE
    };
    (status, axum::Json(r)).into_response()
}

/// The router as served: with each connection's peer address, which sign-in throttling counts.
pub fn service(
    state: Arc<AppState>,
) -> axum::extract::connect_info::IntoMakeServiceWithConnectInfo<Router, SocketAddr> {
    router(state).into_make_service_with_connect_info::<SocketAddr>()
}

/// The body limit answers 413 in plain text; every error is the JSON error body instead.
async fn too_large_as_json(r: axum::response::Response) -> axum::response::Response {
    let json = r
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"application/json"));
    if r.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE && !json {
        let mut out = crate::http::error::response(xinfang_app::error::AppError::field(
            "body",
            "too_large",
            "提交的内容过大",
        ));
        *out.status_mut() = axum::http::StatusCode::PAYLOAD_TOO_LARGE;
        return out;
    }
    r
}

/// Runs the server until Ctrl-C: the whole application with its jobs, or (`public_only`) the
/// public site alone, with no job (a staff instance takes its submissions in and sends the
/// messages).
pub async fn serve(state: Arc<AppState>, listen: &str) -> anyhow::Result<()> {
    let addr: SocketAddr = listen
        .parse()
        .with_context(|| format!("监听地址无效：{listen}"))?;
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .with_context(|| format!("无法监听 {addr}"))?;
    tracing::info!("xinfang listening on http://{}", listener.local_addr()?);
    let service = if state.config.public_only {
        public_service(state)
    } else {
        crate::jobs::spawn(state.clone());
        service(state)
    };
    axum::serve(listener, service)
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await?;
    Ok(())
}
