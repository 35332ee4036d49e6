//! The application: configuration, shared state, the router, and `serve`.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context;
use axum::Router;
use axum::http::{HeaderValue, header};
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::set_header::SetResponseHeaderLayer;
use xinfang_docs::{Renderer, RendererConfig};
use xinfang_store::Store;
use xinfang_store::blobs::LocalBlobs;
use xinfang_store::people::Bureau;

use crate::auth::PasswordPolicy;
use crate::clock::Clock;

/// Largest urlencoded form or JSON body accepted (uploads have their own limit).
pub const MAX_FORM_BYTES: usize = 1024 * 1024;

#[derive(Clone, Debug)]
pub struct Config {
    pub data_dir: PathBuf,
    /// `postgres://…` selects PostgreSQL; `None` uses `<data_dir>/xinfang.db`.
    pub database_url: Option<String>,
    pub font_dirs: Vec<PathBuf>,
    pub template_dir: Option<PathBuf>,
    /// Mark the session cookie `Secure` (behind HTTPS).
    pub secure_cookies: bool,
    pub session_hours: i64,
    pub password_policy: PasswordPolicy,
    /// Minutes between checkpoints sealing all event chains.
    pub checkpoint_minutes: u64,
    pub max_connections: u32,
    /// Largest scanned letter file accepted (default 20 MB).
    pub max_scan_bytes: usize,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            data_dir: PathBuf::from("data"),
            database_url: None,
            font_dirs: Vec::new(),
            template_dir: None,
            secure_cookies: false,
            session_hours: 12,
            password_policy: PasswordPolicy::default(),
            checkpoint_minutes: 10,
            max_connections: 8,
            max_scan_bytes: xinfang_domain::letter::DEFAULT_MAX_SCAN_BYTES,
        }
    }
}

impl Config {
    pub fn database_url(&self) -> String {
        match &self.database_url {
            Some(u) if !u.is_empty() => u.clone(),
            _ => format!(
                "sqlite://{}?mode=rwc",
                self.data_dir.join("xinfang.db").display()
            ),
        }
    }
}

#[derive(Clone)]
pub struct AppState {
    pub store: Store,
    pub clock: Arc<dyn Clock>,
    pub renderer: Arc<Renderer>,
    pub blobs: LocalBlobs,
    pub bureau: Bureau,
    pub config: Config,
    /// Verified against when a username does not exist, so a failed login takes as long either way.
    pub dummy_hash: String,
}

/// Connects and migrates the database, creating the data directory on first run.
pub async fn open_store(config: &Config) -> anyhow::Result<Store> {
    std::fs::create_dir_all(&config.data_dir)
        .with_context(|| format!("创建数据目录 {} 失败", config.data_dir.display()))?;
    let store = Store::connect(&config.database_url(), config.max_connections).await?;
    store.migrate().await?;
    Ok(store)
}

impl AppState {
    pub async fn new(
        config: Config,
        store: Store,
        clock: Arc<dyn Clock>,
        bureau: Bureau,
    ) -> anyhow::Result<Self> {
        let font_dirs = config.font_dirs.clone();
        let template_dir = config.template_dir.clone();
        let renderer = tokio::task::spawn_blocking(move || {
            Renderer::new(RendererConfig {
                font_dirs,
                template_dir,
                ..Default::default()
            })
        })
        .await??;
        let dummy_hash = config.password_policy.hash("no such user")?;
        Ok(Self {
            blobs: LocalBlobs::new(config.data_dir.join("blobs")),
            store,
            clock,
            renderer: Arc::new(renderer),
            bureau,
            config,
            dummy_hash,
        })
    }
}

pub fn router(state: Arc<AppState>) -> Router {
    Router::new()
        .merge(crate::pages::router())
        .nest("/api/v1", crate::api::router())
        .route("/api/openapi.json", axum::routing::get(crate::api::openapi_json))
        .merge(crate::assets::router())
        .layer(RequestBodyLimitLayer::new(MAX_FORM_BYTES))
        // Scan uploads read their body themselves, up to the configured scan limit.
        .merge(crate::api::scan_upload_router())
        .merge(crate::api::report_upload_router())
        .merge(crate::pages::report_upload_router())
        .merge(crate::pages::scan_upload_router())
        .layer(axum::middleware::from_fn_with_state(state.clone(), crate::auth::session_layer))
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
