//! The application context: configuration and the shared state every use case takes.

use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context;
use xinfang_blobs::Blobs;
use xinfang_docs::{Renderer, RendererConfig};
use xinfang_store::Store;
use xinfang_store::people::Bureau;

use crate::auth::PasswordPolicy;
use crate::clock::Clock;

#[derive(Clone, Debug)]
pub struct Config {
    pub data_dir: PathBuf,
    /// `postgres://…` selects PostgreSQL; `None` uses `<data_dir>/xinfang.db`.
    pub database_url: Option<String>,
    pub font_dirs: Vec<PathBuf>,
    pub template_dir: Option<PathBuf>,
    /// Mark the session cookie `Secure` (behind HTTPS).
    pub secure_cookies: bool,
    /// A session's absolute lifetime.
    pub session_hours: i64,
    /// A session unused this long ends (default 30 minutes).
    pub idle_minutes: i64,
    /// Serving the demo bureau: every page says so.
    pub demo: bool,
    pub password_policy: PasswordPolicy,
    /// Minutes between checkpoints sealing all event chains.
    pub checkpoint_minutes: u64,
    pub max_connections: u32,
    /// Largest scanned letter file accepted (default 20 MB).
    pub max_scan_bytes: usize,
    /// Where files live: `s3://bucket/prefix` for a store every instance shares, or
    /// `file:///path`; `None` keeps them under `<data_dir>/blobs`.
    pub blob_url: Option<String>,
    /// The S3 store's options (object_store names: `aws_endpoint`, `aws_region`, credentials,
    /// `aws_allow_http` …); the `AWS_*` variables fill what is not given.
    pub blob_options: Vec<(String, String)>,
    /// The day the statistical month starts (1–28; 1 the natural month).
    pub statistics_month_start: u32,
    /// How often units report on the matters transferred to them, and when (V5.1, L4.3);
    /// `None`: no periodic reports are asked for.
    pub transfer_reports: Option<xinfang_domain::transfer_table::ReportSchedule>,
    /// 全宗号, the first part of every 档号.
    pub archive_fonds: String,
    /// The offline machine's age public key (网机隔离); empty until configured.
    pub offline_recipient: String,
    /// This instance serves only the public site (`serve --public`); on PostgreSQL it connects
    /// as the restricted role and leaves the taking-in of submissions to a staff instance.
    pub public_only: bool,
    /// The role whose queue online petitions land in, who registers them, proposes and tells
    /// the petitioner (default the letter clerk).
    pub online_intake_role: xinfang_domain::role::Role,
    /// Days after the handling opinion's delivery within which it may be rated.
    pub rating_window_days: u32,
    /// The rating scale, best first.
    pub rating_scale: xinfang_domain::public::RatingScale,
    /// The public site's address as petitioners reach it (`https://…/public`), quoted in
    /// messages; empty: the path only.
    pub public_base_url: String,
    /// Take the client's address from `X-Forwarded-For` (behind a proxy that sets it).
    pub trust_forwarded_for: bool,
    /// The SMS gateway: messages are POSTed to it as JSON `{"to", "text"}`.
    pub sms_gateway_url: Option<String>,
    /// Sent as `Authorization: Bearer …` to the SMS gateway.
    pub sms_gateway_token: Option<String>,
    /// The mail server, `smtp://host:port` (plain or STARTTLS when offered) or `smtps://…`,
    /// credentials as `smtp://user:password@host`.
    pub smtp_url: Option<String>,
    /// The sender of e-mail.
    pub smtp_from: String,
    /// Scheduled backups, and the keys every backup is encrypted to.
    pub backup: BackupConfig,
}

/// Backups (the `backup` feature): where `serve` puts its daily and monthly ones, the bureau's keys,
/// and how many to keep.
#[derive(Clone, Debug)]
pub struct BackupConfig {
    /// `None`: `serve` makes no scheduled backups.
    pub dir: Option<PathBuf>,
    /// age public keys (`age1…`) every backup is encrypted to.
    pub recipients: Vec<String>,
    /// The age private key file that reads backups (verification after each scheduled one).
    pub identity: Option<PathBuf>,
    pub keep_daily: u32,
    pub keep_monthly: u32,
    /// The hour (China Standard Time) from which the day's backup is made.
    pub hour: u32,
}

impl Default for BackupConfig {
    fn default() -> Self {
        Self {
            dir: None,
            recipients: Vec::new(),
            identity: None,
            keep_daily: 7,
            keep_monthly: 12,
            hour: 2,
        }
    }
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
            idle_minutes: 30,
            demo: false,
            password_policy: PasswordPolicy::default(),
            checkpoint_minutes: 10,
            max_connections: 8,
            max_scan_bytes: xinfang_domain::mailroom::DEFAULT_MAX_SCAN_BYTES,
            blob_url: None,
            blob_options: Vec::new(),
            statistics_month_start: 1,
            transfer_reports: Some(xinfang_domain::transfer_table::ReportSchedule::DEFAULT),
            archive_fonds: "X001".into(),
            offline_recipient: String::new(),
            public_only: false,
            online_intake_role: xinfang_domain::role::Role::LetterClerk,
            rating_window_days: xinfang_domain::public::DEFAULT_RATING_WINDOW_DAYS,
            rating_scale: xinfang_domain::public::RatingScale::default(),
            public_base_url: String::new(),
            trust_forwarded_for: false,
            sms_gateway_url: None,
            sms_gateway_token: None,
            smtp_url: None,
            smtp_from: "xinfang@localhost".into(),
            backup: BackupConfig::default(),
        }
    }
}

impl Config {
    /// The blob store the configuration names.
    pub fn blobs(&self) -> anyhow::Result<Blobs> {
        Ok(match self.blob_url.as_deref().map(str::trim) {
            Some(u) if !u.is_empty() => Blobs::from_url(u, &self.blob_options)?,
            _ => Blobs::local(&self.data_dir.join("blobs"))?,
        })
    }

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
    pub blobs: Blobs,
    pub bureau: Bureau,
    pub config: Config,
    /// Verified against when a username does not exist, so a failed login takes as long either way.
    pub dummy_hash: String,
    /// The search index's segmenter (`index`).
    pub index: Arc<crate::index::Index>,
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
        // The public instance's role may not read the bureau's words (it indexes nothing).
        let index = Arc::new(if config.public_only {
            crate::index::Index::without_words().await?
        } else {
            crate::index::Index::load(&store, &bureau.id).await?
        });
        Ok(Self {
            index,
            blobs: config.blobs()?,
            store,
            clock,
            renderer: Arc::new(renderer),
            bureau,
            config,
            dummy_hash,
        })
    }
}
