//! The HTTP layer: the router with its layers, and `serve`.

pub mod api;
pub mod assets;
pub mod auth;
pub mod error;
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
    let (api, api_uploads) = crate::http::api::all_routes();
    Router::new()
        .merge(crate::http::pages::router())
        .merge(Router::from(api))
        .route("/api/v1/{*rest}", axum::routing::any(crate::http::api::unknown_api))
        .route("/api/openapi.json", axum::routing::get(crate::http::api::openapi_json))
        .merge(crate::http::assets::router())
        .layer(RequestBodyLimitLayer::new(MAX_FORM_BYTES))
        // Uploads read their body themselves, up to the configured scan limit.
        .merge(Router::from(api_uploads))
        .merge(crate::http::pages::report_upload_router())
        .merge(crate::http::pages::scan_upload_router())
        .layer(axum::middleware::from_fn_with_state(state.clone(), crate::http::auth::session_layer))
        .layer(SetResponseHeaderLayer::if_not_present(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY")))
        .layer(SetResponseHeaderLayer::if_not_present(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff")))
        .layer(SetResponseHeaderLayer::if_not_present(header::REFERRER_POLICY, HeaderValue::from_static("same-origin")))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static("default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; frame-ancestors 'none'; form-action 'self'"),
        ))
        .with_state(state)
}

/// Runs the server until Ctrl-C, with the periodic checkpoint job.
pub async fn serve(state: Arc<AppState>, listen: &str) -> anyhow::Result<()> {
    let addr: SocketAddr = listen
        .parse()
        .with_context(|| format!("监听地址无效：{listen}"))?;
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .with_context(|| format!("无法监听 {addr}"))?;
    tracing::info!("xinfang listening on http://{}", listener.local_addr()?);
    crate::jobs::spawn(state.clone());
    axum::serve(listener, router(state))
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await?;
    Ok(())
}
