//! `xinfang backup --out FILE`, `xinfang backup verify FILE`, `xinfang backup keygen` and
//! `xinfang restore FILE`: the command line of `xinfang_app::backup`.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use clap::{Args, Subcommand};
use xinfang_app::backup::{self, Checked};
use xinfang_app::clock::{Clock, SystemClock};
use xinfang_app::context::{AppState, Config};
use xinfang_store::Store;

#[derive(Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct BackupArgs {
    #[command(subcommand)]
    pub command: Option<BackupCommand>,
    /// The backup file to write (it must not exist yet).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// An age public key (age1…) to encrypt to instead of backup_recipients; may be repeated.
    #[arg(long = "recipient")]
    pub recipients: Vec<String>,
}

#[derive(Subcommand)]
pub enum BackupCommand {
    /// Decrypt a backup, load it into a scratch database and check its hashes, row counts and
    /// history.
    Verify {
        file: PathBuf,
        /// The age private key file (default: the setting backup_identity).
        #[arg(long)]
        identity: Option<PathBuf>,
        /// Where the scratch database goes (default: the system's temporary directory).
        #[arg(long)]
        scratch: Option<PathBuf>,
    },
    /// Make a key pair for backups: writes the private key file and prints the public key.
    Keygen {
        /// The private key file to create.
        #[arg(long)]
        out: PathBuf,
    },
}

/// Test-only: milliseconds to wait between the entries of a backup, so that a test can kill
/// the process midway.
const PACE_VARIABLE: &str = "XINFANG_BACKUP_PACE_MS";

fn mb(bytes: u64) -> String {
    format!("{:.1} MB", bytes as f64 / 1_048_576.0)
}

fn identity_file(flag: Option<PathBuf>, cfg: &Config) -> anyhow::Result<PathBuf> {
    flag.or_else(|| cfg.backup.identity.clone())
        .context("没有私钥文件：请用 --identity 指定，或在配置中设置 backup_identity")
}

/// Connects to the configured database as it is (no migration: a backup reads it, a restore
/// needs it empty).
async fn connect(cfg: &Config, must_exist: bool) -> anyhow::Result<Store> {
    if cfg.database_url.is_none() {
        let db = cfg.data_dir.join("xinfang.db");
        if must_exist && !db.exists() {
            bail!(
                "数据目录 {} 中没有数据库（xinfang.db）",
                cfg.data_dir.display()
            );
        }
        std::fs::create_dir_all(&cfg.data_dir)
            .with_context(|| format!("创建数据目录 {} 失败", cfg.data_dir.display()))?;
    }
    Ok(Store::connect(&cfg.database_url(), cfg.max_connections).await?)
}

fn print_checked(c: &Checked) {
    println!(
        "备份时间 {}（来自 {}，数据库结构版本 {}）；文件 {}，SHA-256 {}",
        c.snapshot_at,
        c.backend,
        c.schema_version,
        mb(c.size),
        c.sha256
    );
    println!(
        "{} 张表共 {} 行，行数与清单相符；{} 个文件（{}），SHA-256 均相符",
        c.rows.len(),
        c.total_rows(),
        c.blobs,
        mb(c.blob_bytes)
    );
    println!(
        "历史记录：{} 件信访件的 {} 个事件和 {} 个封存点，校验通过",
        c.petitions, c.events, c.checkpoints
    );
}

pub async fn run(cfg: Config, args: BackupArgs) -> anyhow::Result<()> {
    let clock = SystemClock;
    match args.command {
        Some(BackupCommand::Keygen { out }) => {
            let (text, public) = backup::archive::generate(&xinfang_store::ts(clock.now()));
            backup::write_private(&out, &text)?;
            println!(
                "已生成备份私钥文件 {}（仅本用户可读，请离线妥善保管）",
                out.display()
            );
            println!("公钥（填入配置 backup_recipients）：{public}");
            Ok(())
        }
        Some(BackupCommand::Verify {
            file,
            identity,
            scratch,
        }) => {
            let ids = backup::identities(&identity_file(identity, &cfg)?)?;
            let scratch = scratch.unwrap_or_else(std::env::temp_dir);
            let started = Instant::now();
            match backup::verify(&file, ids, &scratch).await {
                Ok(c) => {
                    print_checked(&c);
                    println!(
                        "备份文件 {} 校验通过，用时 {:.1} 秒",
                        file.display(),
                        started.elapsed().as_secs_f64()
                    );
                    Ok(())
                }
                Err(e) => bail!("备份文件 {} 未通过校验：{e}", file.display()),
            }
        }
        None => {
            let out = args
                .out
                .context("请用 --out 指定备份文件，或使用 `xinfang backup verify FILE`")?;
            let keys = if args.recipients.is_empty() {
                cfg.backup.recipients.clone()
            } else {
                args.recipients
            };
            let to = backup::recipients(&keys)?;
            let store = connect(&cfg, true).await?;
            let blobs = cfg.blobs()?;
            let pace = std::env::var(PACE_VARIABLE)
                .ok()
                .and_then(|v| v.parse().ok())
                .map(Duration::from_millis);
            let started = Instant::now();
            let made = backup::create(&store, &blobs, &to, &out, &clock, pace).await?;
            println!(
                "已备份到 {}：{} 张表共 {} 行，{} 个文件（{}）；备份文件 {}，SHA-256 {}，用时 {:.1} 秒",
                made.file.display(),
                made.tables,
                made.rows,
                made.blobs,
                mb(made.blob_bytes),
                mb(made.size),
                made.sha256,
                started.elapsed().as_secs_f64()
            );
            if let Ok(Some(b)) = store.default_bureau().await
                && let Err(e) = backup::record_manual(&store, &b.id, &made).await
            {
                println!("（未能记入备份记录：{e}）");
            }
            store.close().await;
            Ok(())
        }
    }
}

/// `xinfang restore FILE`: into the configured, empty, data directory or database; then the
/// search index is rebuilt and the statistics recounted.
pub async fn restore(cfg: Config, file: &Path, identity: Option<PathBuf>) -> anyhow::Result<()> {
    let ids = backup::identities(&identity_file(identity, &cfg)?)?;
    let store = connect(&cfg, false).await?;
    let blobs = cfg.blobs()?;
    let started = Instant::now();
    let checked = match backup::restore(file, ids, &store, &blobs).await {
        Ok(c) => c,
        Err(e) => bail!("未能恢复 {}：{e}", file.display()),
    };
    print_checked(&checked);
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    if let Some(bureau) = store.default_bureau().await? {
        let state = AppState::new(cfg, store, clock, bureau).await?;
        let n = xinfang_app::search::reindex(&state, true, &|_, _| {})
            .await
            .map_err(|e| anyhow::anyhow!("{}", e.body().message))?;
        println!("已为 {n} 件信访件重建检索索引");
        // The backup's kept statistics may be of an older definition of the figures.
        let n = crate::cli::recount_statistics(&state).await?;
        println!("已重新计算 {n} 件信访件的统计数据");
    }
    println!(
        "已从 {} 恢复，用时 {:.1} 秒",
        file.display(),
        started.elapsed().as_secs_f64()
    );
    Ok(())
}
