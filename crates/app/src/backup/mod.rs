//! Backups of the electronic files (seed 一(八)4、5; V8.4, L7.4, V11). One file holds a
//! consistent snapshot of the database, every file of the blob store and a manifest with
//! SHA-256 hashes and row counts, encrypted to the bureau's backup keys (`archive`).
//!
//! - [`create`]: the snapshot is one read transaction (`Store::snapshot`): registrations go
//!   on meanwhile, and everything committed before it started is in it. The file is written
//!   under a temporary name, synced and renamed: a killed backup leaves earlier ones intact and
//!   only a `.partial` file, which `verify` refuses (age finds its end missing).
//! - [`verify`]: decrypts, loads the backup into a scratch SQLite database (the format is the
//!   same for both backends), checks every hash and row count and the audit chains.
//! - [`restore`]: loads it into an empty database of either backend, then brings the schema
//!   up to date; the caller rebuilds the search index.
//! - [`take_scheduled`]: `serve`'s daily and monthly backups (`jobs.rs` claims each once across
//!   instances): made, verified, recorded (`backups`), pruned to the configured retention; the
//!   monthly one meets the `monthly_backup` routine; a failure is a task for the administrator.

pub mod archive;

use std::collections::BTreeMap;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

use chrono::{DateTime, NaiveDate, Utc};
use futures_util::TryStreamExt;
use serde::Serialize;
use xinfang_blobs::Blobs;
use xinfang_domain::role::Role;
use xinfang_store::backup::BackupRow;
use xinfang_store::{Store, ts};

use crate::auth::CurrentUser;
use crate::clock::Clock;
use crate::context::AppState;
use crate::error::{AppError, AppResult};
use archive::{ArchiveError, Header, Item, TableHeader};

/// A backup could not be made, read or restored: what is wrong, in Chinese.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct BackupError(pub String);

impl From<ArchiveError> for BackupError {
    fn from(e: ArchiveError) -> Self {
        BackupError(e.0)
    }
}
impl From<xinfang_store::StoreError> for BackupError {
    fn from(e: xinfang_store::StoreError) -> Self {
        match e {
            xinfang_store::StoreError::Backup(m) => BackupError(m),
            other => BackupError(format!("数据库出错：{other}")),
        }
    }
}
impl From<xinfang_blobs::BlobError> for BackupError {
    fn from(e: xinfang_blobs::BlobError) -> Self {
        BackupError(format!("文件存储出错：{e}"))
    }
}

fn io_error(what: &str, path: &Path, e: std::io::Error) -> BackupError {
    BackupError(format!("{what} {} 失败：{e}", path.display()))
}

/// Rows per entry of the file, and its size in bytes at most: memory stays bounded (a restore
/// holds a few entries' rows as JSON values at once).
const CHUNK_ROWS: u64 = 1_000;
const CHUNK_BYTES: usize = 4 << 20;

/// Which backup it is (`backups.kind`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Daily,
    Monthly,
    /// `xinfang backup --out`.
    Manual,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Daily => "daily",
            Kind::Monthly => "monthly",
            Kind::Manual => "manual",
        }
    }
    pub fn label_zh(self) -> &'static str {
        match self {
            Kind::Daily => "每日备份",
            Kind::Monthly => "每月备份",
            Kind::Manual => "手动备份",
        }
    }
    fn parse(s: &str) -> Kind {
        match s {
            "daily" => Kind::Daily,
            "monthly" => Kind::Monthly,
            _ => Kind::Manual,
        }
    }
}

/// The keys every backup is encrypted to, from the configuration (`age1…`).
pub fn recipients(texts: &[String]) -> Result<Vec<archive::Recipient>, BackupError> {
    if texts.is_empty() {
        return Err(BackupError(
            "没有备份公钥：请在配置中设置 backup_recipients（或用 --recipient 指定）".into(),
        ));
    }
    texts
        .iter()
        .map(|t| archive::parse_recipient(t).map_err(BackupError))
        .collect()
}

/// The private keys in the identity file at `path`.
pub fn identities(path: &Path) -> Result<Vec<archive::Identity>, BackupError> {
    let text = std::fs::read_to_string(path).map_err(|e| io_error("读取私钥文件", path, e))?;
    archive::parse_identities(&text).map_err(|m| BackupError(format!("{}：{m}", path.display())))
}

// ---------------------------------------------------------------------------------------------
// Making a backup

/// A backup written.
#[derive(Debug, Clone, Serialize)]
pub struct Made {
    pub file: PathBuf,
    pub size: u64,
    pub sha256: String,
    pub snapshot_at: DateTime<Utc>,
    pub finished_at: DateTime<Utc>,
    pub tables: usize,
    pub rows: u64,
    pub blobs: usize,
    pub blob_bytes: u64,
}

impl Made {
    fn summary(&self) -> serde_json::Value {
        serde_json::json!({"tables": self.tables, "rows": self.rows, "blobs": self.blobs, "blob_bytes": self.blob_bytes})
    }
}

enum Piece {
    Rows(String, Vec<u8>, u64),
    Blob(String, Vec<u8>),
    Finish(String),
}

/// Where the file is written before it is complete: beside it, hidden, never a name a backup
/// has.
pub fn partial_path(out: &Path) -> PathBuf {
    let name = out
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "backup".into());
    out.with_file_name(format!(".{name}.{}.partial", std::process::id()))
}

/// Writes a backup of `store` and `blobs` to `out`, encrypted to `recipients`. `pace` slows
/// it down between entries (tests kill a backup midway with it).
pub async fn create(
    store: &Store,
    blobs: &Blobs,
    recipients: &[archive::Recipient],
    out: &Path,
    clock: &dyn Clock,
    pace: Option<Duration>,
) -> Result<Made, BackupError> {
    if out.exists() {
        return Err(BackupError(format!(
            "{} 已存在：备份不覆盖已有文件，请换一个文件名",
            out.display()
        )));
    }
    let dir = match out.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    if !dir.is_dir() {
        return Err(BackupError(format!("目录 {} 不存在", dir.display())));
    }
    let mut snapshot = store.snapshot().await?;
    let snapshot_at = clock.now();
    let header = Header {
        format: archive::FORMAT.into(),
        version: archive::VERSION,
        program: format!("xinfang {}", env!("CARGO_PKG_VERSION")),
        snapshot_at: ts(snapshot_at),
        backend: match store.backend() {
            xinfang_store::Backend::Sqlite => "sqlite".into(),
            xinfang_store::Backend::Postgres => "postgres".into(),
        },
        migrations: snapshot.migrations.clone(),
        tables: snapshot
            .tables
            .iter()
            .map(|t| TableHeader {
                name: t.name.clone(),
                columns: t.column_names(),
            })
            .collect(),
    };
    let tmp = partial_path(out);
    let (tx, mut rx) = tokio::sync::mpsc::channel::<Piece>(4);
    let recipients = recipients.to_vec();
    let writer_tmp = tmp.clone();
    let writer = tokio::task::spawn_blocking(move || {
        let result = (|| -> Result<Option<archive::Written<()>>, BackupError> {
            use std::os::unix::fs::OpenOptionsExt;
            let file = std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .mode(0o600)
                .open(&writer_tmp)
                .map_err(|e| io_error("创建备份文件", &writer_tmp, e))?;
            let write_err = |e: std::io::Error| io_error("写入备份文件", &writer_tmp, e);
            let mut w = archive::Writer::new(
                BufWriter::with_capacity(1 << 20, file),
                &recipients,
                &header,
            )
            .map_err(write_err)?;
            while let Some(piece) = rx.blocking_recv() {
                match piece {
                    Piece::Rows(table, data, n) => w.rows(&table, &data, n).map_err(write_err)?,
                    Piece::Blob(hash, data) => w.blob(&hash, &data).map_err(write_err)?,
                    Piece::Finish(at) => {
                        let written = w.finish(&at).map_err(write_err)?;
                        let file = written
                            .out
                            .into_inner()
                            .map_err(|e| write_err(e.into_error()))?;
                        // The bytes are on the disk before the file gets its name.
                        file.sync_all().map_err(write_err)?;
                        return Ok(Some(archive::Written {
                            out: (),
                            size: written.size,
                            sha256: written.sha256,
                            manifest: written.manifest,
                        }));
                    }
                }
            }
            Ok(None)
        })();
        if !matches!(result, Ok(Some(_))) {
            let _ = std::fs::remove_file(&writer_tmp);
        }
        result
    });
    let produced = produce(&mut snapshot, blobs, &tx, pace).await;
    let closed = snapshot.close().await;
    let outcome = match (produced, closed) {
        (Ok(()), Ok(())) => Ok(()),
        (Err(e), _) => Err(e),
        (Ok(()), Err(e)) => Err(e.into()),
    };
    if outcome.is_ok() {
        // A closed writer shows in its own result below.
        let _ = tx.send(Piece::Finish(ts(clock.now()))).await;
    }
    drop(tx);
    let written = writer
        .await
        .map_err(|e| BackupError(format!("写入备份文件的线程出错：{e}")))?;
    outcome?;
    let written = written?.ok_or_else(|| BackupError("备份未完成".into()))?;
    std::fs::rename(&tmp, out).map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        io_error("重命名备份文件为", out, e)
    })?;
    // The new name is durable too.
    if let Ok(d) = std::fs::File::open(&dir) {
        let _ = d.sync_all();
    }
    Ok(Made {
        file: out.to_path_buf(),
        size: written.size,
        sha256: written.sha256,
        snapshot_at,
        finished_at: clock.now(),
        tables: written.manifest.tables.len(),
        rows: written.manifest.rows(),
        blobs: written.manifest.blobs.len(),
        blob_bytes: written.manifest.blob_bytes(),
    })
}

/// Reads every table of the snapshot and every blob, and hands them to the writer.
async fn produce(
    snapshot: &mut xinfang_store::backup::Snapshot,
    blobs: &Blobs,
    tx: &tokio::sync::mpsc::Sender<Piece>,
    pace: Option<Duration>,
) -> Result<(), BackupError> {
    let closed = || BackupError("写入备份文件失败".into());
    let send = |piece: Piece| async {
        tx.send(piece).await.map_err(|_| closed())?;
        if let Some(p) = pace {
            tokio::time::sleep(p).await;
        }
        Ok::<(), BackupError>(())
    };
    let tables = snapshot.tables.clone();
    for table in &tables {
        let mut buf = Vec::with_capacity(CHUNK_BYTES + (64 << 10));
        let mut n = 0u64;
        let mut rows = std::pin::pin!(snapshot.rows(table));
        while let Some(row) = rows.try_next().await? {
            serde_json::to_writer(&mut buf, &row)
                .map_err(|e| BackupError(format!("表 {} 的数据无法写出：{e}", table.name)))?;
            buf.push(b'\n');
            n += 1;
            if n >= CHUNK_ROWS || buf.len() >= CHUNK_BYTES {
                send(Piece::Rows(table.name.clone(), std::mem::take(&mut buf), n)).await?;
                n = 0;
            }
        }
        if n > 0 {
            send(Piece::Rows(table.name.clone(), buf, n)).await?;
        }
    }
    // Listed after the snapshot: every file a row of it refers to was stored before its row
    // was committed, and files are never removed.
    for (hash, _) in blobs.list().await? {
        let bytes = blobs.get(&hash).await.map_err(|e| match e {
            xinfang_blobs::BlobError::Altered(h) => BackupError(format!(
                "文件存储中的文件 {h} 已被改动（内容与其 SHA-256 不符）"
            )),
            other => other.into(),
        })?;
        let Some(bytes) = bytes else {
            return Err(BackupError(format!(
                "文件存储中的文件 {hash} 在备份时消失了"
            )));
        };
        send(Piece::Blob(hash, bytes)).await?;
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Reading a backup back: verify, restore

/// What a backup holds, as read back.
#[derive(Debug, Clone, Serialize)]
pub struct Checked {
    pub file: PathBuf,
    pub size: u64,
    pub sha256: String,
    pub snapshot_at: String,
    pub backend: String,
    pub schema_version: i64,
    /// Rows per table, as loaded and counted.
    pub rows: BTreeMap<String, u64>,
    pub blobs: usize,
    pub blob_bytes: u64,
    pub petitions: usize,
    pub events: usize,
    pub checkpoints: usize,
}

impl Checked {
    pub fn total_rows(&self) -> u64 {
        self.rows.values().sum()
    }
}

/// Readies `target` for the backup `header` describes: this binary knows its schema, the
/// target is empty and not ahead of it; then migrates it to the backup's version.
async fn prepare(target: &Store, header: &Header) -> Result<(), BackupError> {
    // A version this binary has for either backend: a PostgreSQL backup carries the versions
    // only PostgreSQL has (its role and functions), which a SQLite target never needs.
    let known: Vec<i64> = [
        xinfang_store::Backend::Sqlite,
        xinfang_store::Backend::Postgres,
    ]
    .into_iter()
    .flat_map(|b| {
        xinfang_store::migrations(b)
            .iter()
            .map(|m| m.version)
            .collect::<Vec<_>>()
    })
    .collect();
    let last = header.migrations.last().copied().unwrap_or(0);
    if header.migrations.iter().any(|v| !known.contains(v)) {
        return Err(BackupError(format!(
            "备份来自更新版本的 xinfang（数据库结构版本 {last}）：请用该版本或更新的版本恢复"
        )));
    }
    let tables: Vec<String> = header.tables.iter().map(|t| t.name.clone()).collect();
    let filled: Vec<String> = target
        .row_counts(&tables)
        .await?
        .into_iter()
        .filter(|(_, n)| *n > 0)
        .map(|(t, n)| format!("{t}（{n} 行）"))
        .collect();
    if !filled.is_empty() {
        return Err(BackupError(format!(
            "目标数据库不是空的（已有数据：{}）：恢复只能写入空的数据目录或空数据库，请指定新的 --data-dir 或新建一个 PostgreSQL 数据库",
            filled.join("、")
        )));
    }
    let applied = target.applied_migrations().await?;
    if !header.migrations.starts_with(&applied) {
        return Err(BackupError(format!(
            "目标数据库的结构（版本 {}）比备份（版本 {last}）新：请恢复到一个全新的空数据库",
            applied.last().copied().unwrap_or(0)
        )));
    }
    target.migrate_to(last).await?;
    Ok(())
}

/// Loads the backup at `file` into `target` (and its files into `blobs`), in one transaction
/// committed only once the whole file has been read and matched its manifest.
async fn load(
    file: &Path,
    identities: Vec<archive::Identity>,
    target: &Store,
    blobs: Option<&Blobs>,
) -> Result<archive::Contents, BackupError> {
    let (tx, mut rx) = tokio::sync::mpsc::channel::<Item>(2);
    let path = file.to_path_buf();
    let reader = tokio::task::spawn_blocking(move || {
        let f = std::fs::File::open(&path).map_err(|e| io_error("打开备份文件", &path, e))?;
        archive::read(f, &identities, |item| {
            tx.blocking_send(item)
                .map_err(|_| ArchiveError("读取已中止".into()))
        })
        .map_err(BackupError::from)
    });
    let mut restore = None;
    let outcome = async {
        while let Some(item) = rx.recv().await {
            match item {
                Item::Header(h) => {
                    prepare(target, &h).await?;
                    let order: Vec<(String, Vec<String>)> = h
                        .tables
                        .iter()
                        .map(|t| (t.name.clone(), t.columns.clone()))
                        .collect();
                    restore = Some(target.begin_restore(&order).await?);
                }
                Item::Rows { table, rows } => {
                    let r = restore
                        .as_mut()
                        .ok_or_else(|| BackupError("备份缺少说明".into()))?;
                    r.insert(&table, rows).await?;
                }
                Item::Blob { bytes, .. } => {
                    if let Some(b) = blobs {
                        b.put(&bytes).await?;
                    }
                }
            }
        }
        Ok::<(), BackupError>(())
    }
    .await;
    // The reader waits on the channel: closing it lets it stop.
    drop(rx);
    let read = reader
        .await
        .map_err(|e| BackupError(format!("读取备份文件的线程出错：{e}")))?;
    outcome?;
    let contents = read?;
    restore
        .ok_or_else(|| BackupError("备份文件是空的".into()))?
        .commit()
        .await?;
    Ok(contents)
}

/// Row counts against the manifest, and every bureau's audit chains.
async fn check(
    file: &Path,
    target: &Store,
    contents: &archive::Contents,
) -> Result<Checked, BackupError> {
    let tables: Vec<String> = contents
        .header
        .tables
        .iter()
        .map(|t| t.name.clone())
        .collect();
    let rows = target.row_counts(&tables).await?;
    for t in &contents.manifest.tables {
        let here = rows.get(&t.name).copied().unwrap_or(0);
        if here != t.rows {
            return Err(BackupError(format!(
                "恢复后表 {} 有 {here} 行，备份清单记载 {} 行",
                t.name, t.rows
            )));
        }
    }
    let (mut petitions, mut events, mut checkpoints) = (0, 0, 0);
    for bureau in target.bureau_ids().await? {
        let report = target.verify(&bureau).await?;
        if !report.ok() {
            let first: Vec<String> = report
                .faults
                .iter()
                .take(5)
                .map(|f| format!("{} #{}：{}", f.petition_id, f.seq, f.problem))
                .collect();
            return Err(BackupError(format!(
                "备份中的历史记录未通过校验（{} 处问题）：{}",
                report.faults.len(),
                first.join("；")
            )));
        }
        petitions += report.petitions;
        events += report.events;
        checkpoints += report.checkpoints;
    }
    Ok(Checked {
        file: file.to_path_buf(),
        size: contents.size,
        sha256: contents.sha256.clone(),
        snapshot_at: contents.header.snapshot_at.clone(),
        backend: contents.header.backend.clone(),
        schema_version: contents.header.migrations.last().copied().unwrap_or(0),
        rows,
        blobs: contents.manifest.blobs.len(),
        blob_bytes: contents.manifest.blob_bytes(),
        petitions,
        events,
        checkpoints,
    })
}

/// Decrypts the backup, loads it into a scratch SQLite database under `scratch` (removed
/// afterwards) and checks hashes, row counts and the audit chains. Files are checked by their
/// hashes, not stored.
pub async fn verify(
    file: &Path,
    identities: Vec<archive::Identity>,
    scratch: &Path,
) -> Result<Checked, BackupError> {
    let dir = tempfile::Builder::new()
        .prefix(".xinfang-verify-")
        .tempdir_in(scratch)
        .map_err(|e| io_error("创建校验用临时目录于", scratch, e))?;
    let url = format!(
        "sqlite://{}?mode=rwc",
        dir.path().join("verify.db").display()
    );
    // A scratch database: nothing to make durable.
    let store = Store::connect_with(&url, 2, false).await?;
    let result = async {
        let contents = load(file, identities, &store, None).await?;
        check(file, &store, &contents).await
    }
    .await;
    store.close().await;
    drop(dir);
    result
}

/// Restores the backup into `target`, which must be empty (a new data directory, or a new
/// PostgreSQL database), and its files into `blobs`; brings the schema up to date and checks
/// the result as `verify` does. The search index is the caller's to rebuild.
pub async fn restore(
    file: &Path,
    identities: Vec<archive::Identity>,
    target: &Store,
    blobs: &Blobs,
) -> Result<Checked, BackupError> {
    let contents = load(file, identities, target, Some(blobs)).await?;
    let checked = check(file, target, &contents).await?;
    target.migrate().await?;
    Ok(checked)
}

// ---------------------------------------------------------------------------------------------
// Scheduled backups, their record and their status

/// The jobs' names in `job_runs`.
pub const DAILY_JOB: &str = "backup_daily";
pub const MONTHLY_JOB: &str = "backup_monthly";
/// The kind of the administrator's task when a backup fails or is missing.
pub const BACKUP_TASK: &str = "backup_failed";

/// A backup as the administration page and the digest show it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct BackupView {
    pub id: String,
    /// `daily`, `monthly`, `manual`.
    pub kind: String,
    pub kind_label: String,
    pub period: String,
    pub file: String,
    pub size_bytes: i64,
    /// The size as people read it (`12.3 MB`).
    pub size_text: String,
    pub sha256: String,
    pub started_at: String,
    pub finished_at: String,
    pub verified_at: Option<String>,
    /// `passed`, `failed`, `not_run`.
    pub verification: String,
    pub error: Option<String>,
    pub rows: u64,
    pub blobs: u64,
    /// Retention has deleted the file.
    pub removed: bool,
}

impl From<BackupRow> for BackupView {
    fn from(b: BackupRow) -> Self {
        let summary: serde_json::Value = serde_json::from_str(&b.summary).unwrap_or_default();
        BackupView {
            kind_label: Kind::parse(&b.kind).label_zh().into(),
            rows: summary["rows"].as_u64().unwrap_or(0),
            blobs: summary["blobs"].as_u64().unwrap_or(0),
            removed: b.removed_at.is_some(),
            size_text: size_text(b.size_bytes),
            id: b.id,
            kind: b.kind,
            period: b.period,
            file: b.file,
            size_bytes: b.size_bytes,
            sha256: b.sha256,
            started_at: b.started_at,
            finished_at: b.finished_at,
            verified_at: b.verified_at,
            verification: b.verification,
            error: b.error,
        }
    }
}

fn size_text(bytes: i64) -> String {
    let b = bytes as f64;
    if b >= 1_073_741_824.0 {
        format!("{:.2} GB", b / 1_073_741_824.0)
    } else if b >= 1_048_576.0 {
        format!("{:.1} MB", b / 1_048_576.0)
    } else {
        format!("{:.0} KB", (b / 1024.0).ceil())
    }
}

/// The state of the bureau's backups.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Status {
    /// `serve` makes daily and monthly backups (a directory and keys are configured).
    pub scheduled: bool,
    pub dir: Option<String>,
    pub keep_daily: u32,
    pub keep_monthly: u32,
    /// The hour (China Standard Time) from which the day's backup is made.
    pub hour: u32,
    /// The latest backup, whatever came of it.
    pub last: Option<BackupView>,
    /// The latest one that passed verification.
    pub last_passed: Option<BackupView>,
    /// No backup passed verification in the last two days.
    pub stale: bool,
    /// The latest 30.
    pub recent: Vec<BackupView>,
}

/// Who sees the backups: those who see the bureau's routines.
pub fn may_view(user: &CurrentUser) -> bool {
    crate::deadlines::routines::may_view(user)
}

/// Whether scheduled backups are configured.
pub fn scheduled(state: &AppState) -> bool {
    let c = &state.config.backup;
    c.dir.is_some() && !c.recipients.is_empty()
}

#[tracing::instrument(name = "backup::status", skip_all)]
pub async fn status(state: &AppState, user: &CurrentUser) -> AppResult<Status> {
    if !may_view(user) {
        return Err(AppError::forbidden());
    }
    let c = &state.config.backup;
    let recent: Vec<BackupView> = state
        .store
        .backups(&state.bureau.id, 30)
        .await?
        .into_iter()
        .map(Into::into)
        .collect();
    let last_passed: Option<BackupView> = state
        .store
        .last_passed_backup(&state.bureau.id)
        .await?
        .map(Into::into);
    let now = state.clock.now();
    let stale = last_passed
        .as_ref()
        .and_then(|b| xinfang_store::parse_ts(&b.started_at).ok())
        .is_none_or(|t| now - t > chrono::Duration::hours(48));
    Ok(Status {
        scheduled: scheduled(state),
        dir: c.dir.as_ref().map(|d| d.display().to_string()),
        keep_daily: c.keep_daily,
        keep_monthly: c.keep_monthly,
        hour: c.hour,
        last: recent.first().cloned(),
        last_passed,
        stale,
        recent,
    })
}

/// What `/metrics` shows of the backups.
#[derive(Debug, Clone, Default)]
pub struct Gauges {
    /// Seconds since the latest backup that passed verification was taken.
    pub last_passed_age_seconds: Option<i64>,
    pub last_passed_size_bytes: Option<i64>,
    /// The latest backup failed (to be made or verified).
    pub last_failed: bool,
}

pub async fn gauges(state: &AppState) -> AppResult<Gauges> {
    let now = state.clock.now();
    let passed = state.store.last_passed_backup(&state.bureau.id).await?;
    let last = state.store.backups(&state.bureau.id, 1).await?;
    Ok(Gauges {
        last_passed_age_seconds: passed
            .as_ref()
            .and_then(|b| xinfang_store::parse_ts(&b.started_at).ok())
            .map(|t| (now - t).num_seconds().max(0)),
        last_passed_size_bytes: passed.map(|b| b.size_bytes),
        last_failed: last.first().is_some_and(|b| b.verification == "failed"),
    })
}

fn task_cause(kind: Kind, period: &str) -> String {
    format!("{BACKUP_TASK}:{}:{period}", kind.as_str())
}

/// Makes, verifies and records the scheduled backup of `kind` for `period` (a day or a
/// month), prunes its kind to the configured retention, and meets the month's
/// `monthly_backup` routine with a monthly one. A failure is recorded and becomes a task for
/// the administrator; it is returned in the record, not as an error.
#[tracing::instrument(name = "backup::take_scheduled", skip_all)]
pub async fn take_scheduled(state: &AppState, kind: Kind, period: &str) -> AppResult<BackupRow> {
    let c = &state.config.backup;
    let dir = c
        .dir
        .clone()
        .ok_or_else(|| AppError::Conflict("未配置自动备份（backup_dir）".into()))?;
    let started = state.clock.now();
    let file = dir.join(format!(
        "xinfang-{}-{}.tar.zst.age",
        started.format("%Y%m%dT%H%M%SZ"),
        kind.as_str()
    ));
    let made = async {
        std::fs::create_dir_all(&dir).map_err(|e| io_error("创建备份目录", &dir, e))?;
        let to = recipients(&c.recipients)?;
        create(
            &state.store,
            &state.blobs,
            &to,
            &file,
            state.clock.as_ref(),
            None,
        )
        .await
    }
    .await;
    let verified = match &made {
        Ok(_) => Some(
            async {
                let path = c
                    .identity
                    .as_deref()
                    .ok_or_else(|| BackupError("未配置 backup_identity，无法解密校验".into()))?;
                verify(&file, identities(path)?, &dir).await
            }
            .await,
        ),
        Err(_) => None,
    };
    let now = state.clock.now();
    let (size, sha256, summary) = match &made {
        Ok(m) => (m.size as i64, m.sha256.clone(), m.summary().to_string()),
        Err(_) => (0, String::new(), "{}".into()),
    };
    let error = match (&made, &verified) {
        (Err(e), _) => Some(format!("备份失败：{e}")),
        (Ok(_), Some(Err(e))) => Some(format!("校验未通过：{e}")),
        _ => None,
    };
    let row = BackupRow {
        id: xinfang_store::new_id(),
        bureau_id: state.bureau.id.clone(),
        kind: kind.as_str().into(),
        period: period.into(),
        file: file.display().to_string(),
        size_bytes: size,
        sha256,
        started_at: ts(started),
        finished_at: ts(now),
        verified_at: verified.as_ref().map(|_| ts(now)),
        verification: if error.is_some() { "failed" } else { "passed" }.into(),
        error: error.clone(),
        summary,
        removed_at: None,
    };
    let mut tx = state.store.begin().await?;
    state.store.insert_backup(&mut tx, &row).await?;
    match &error {
        Some(e) => {
            tracing::warn!(kind = kind.as_str(), error = %e, "backup failed");
            admin_task(
                state,
                &mut tx,
                &format!("{}（{period}）{e}", kind.label_zh()),
                &task_cause(kind, period),
                now,
            )
            .await?;
        }
        None => {
            state
                .store
                .complete_tasks_of_cause(
                    &mut tx,
                    &state.bureau.id,
                    &task_cause(kind, period),
                    None,
                    now,
                )
                .await?;
        }
    }
    state
        .store
        .audit(
            &mut tx,
            &state.bureau.id,
            None,
            "backup_made",
            &serde_json::json!({"backup_id": row.id, "kind": row.kind, "period": period, "verification": row.verification, "size_bytes": row.size_bytes}),
            now,
        )
        .await?;
    tx.commit().await?;
    if error.is_none() {
        if kind == Kind::Monthly {
            meet_routine(state, &row).await?;
        }
        let keep = match kind {
            Kind::Daily => c.keep_daily,
            Kind::Monthly => c.keep_monthly,
            Kind::Manual => u32::MAX,
        };
        prune(state, kind, keep as usize).await?;
    }
    Ok(row)
}

/// The monthly backup does the month's `monthly_backup` routine (started now if the daily
/// scan has not yet).
async fn meet_routine(state: &AppState, row: &BackupRow) -> AppResult<()> {
    let now = state.clock.now();
    let today = crate::clock::local_date(now);
    let running = |ds: Vec<xinfang_store::deadlines::DeadlineRow>| {
        ds.into_iter().find(|d| {
            d.rule_code == "monthly_backup"
                && d.running()
                && d.started_on <= today
                && today <= d.due_on
        })
    };
    let since = today - chrono::Duration::days(40);
    let mut d = running(
        state
            .store
            .routine_deadlines(&state.bureau.id, since)
            .await?,
    );
    if d.is_none() {
        let (actor, _) = crate::supervision::system_actor(state).await?;
        crate::deadlines::routines::start_due(state, today, &actor).await?;
        d = running(
            state
                .store
                .routine_deadlines(&state.bureau.id, since)
                .await?,
        );
    }
    let Some(d) = d else {
        return Ok(());
    };
    let mut tx = state.store.begin().await?;
    let note = format!(
        "自动每月备份 {}（{} 字节，已解密校验）",
        row.file, row.size_bytes
    );
    crate::deadlines::routines::met_in(state, &mut tx, &d, None, &note, now).await?;
    tx.commit().await?;
    Ok(())
}

/// Keeps the newest `keep` backups of `kind` that passed verification; deletes the files of
/// older ones, and of failed ones older than the newest that passed.
async fn prune(state: &AppState, kind: Kind, keep: usize) -> AppResult<usize> {
    let kept = state
        .store
        .kept_backups(&state.bureau.id, kind.as_str())
        .await?;
    let newest_passed = kept
        .iter()
        .find(|b| b.verification == "passed")
        .map(|b| b.started_at.clone());
    let mut passed = 0;
    let mut removed = 0;
    let now = ts(state.clock.now());
    for b in kept {
        let remove = if b.verification == "passed" {
            passed += 1;
            passed > keep
        } else {
            newest_passed.as_ref().is_some_and(|n| b.started_at < *n)
        };
        if !remove {
            continue;
        }
        match std::fs::remove_file(&b.file) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => {
                tracing::warn!(file = %b.file, error = %e, "old backup not removed");
                continue;
            }
        }
        let mut tx = state.store.begin().await?;
        state
            .store
            .mark_backup_removed(&mut tx, &b.id, &now)
            .await?;
        tx.commit().await?;
        removed += 1;
    }
    Ok(removed)
}

/// A day passed with no backup at all (no instance ran, or none could start): a task for the
/// administrator, once. Only once backups have been made, so a new deployment's first day
/// raises nothing. Returns whether a task was made.
pub async fn check_missing(state: &AppState, today: NaiveDate) -> AppResult<bool> {
    let Some(yesterday) = today.pred_opt() else {
        return Ok(false);
    };
    let all = state.store.backups(&state.bureau.id, 400).await?;
    let day_of = |b: &BackupRow| {
        xinfang_store::parse_ts(&b.started_at)
            .ok()
            .map(crate::clock::local_date)
    };
    let earlier = all.iter().any(|b| day_of(b).is_some_and(|d| d < yesterday));
    let that_day = all.iter().any(|b| day_of(b) == Some(yesterday));
    if !earlier || that_day {
        return Ok(false);
    }
    let now = state.clock.now();
    let mut tx = state.store.begin().await?;
    let made = admin_task(
        state,
        &mut tx,
        &format!("{yesterday} 没有备份：当日没有运行中的实例，或备份未能开始"),
        &format!("backup_missing:{yesterday}"),
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(made)
}

/// A task for the administrator, once per `cause`. Returns whether it was made now.
async fn admin_task(
    state: &AppState,
    tx: &mut xinfang_store::WriteTx,
    title: &str,
    cause: &str,
    now: DateTime<Utc>,
) -> AppResult<bool> {
    Ok(state
        .store
        .insert_person_task(
            tx,
            &state.bureau.id,
            None,
            BACKUP_TASK,
            Role::Admin,
            None,
            title,
            cause,
            now,
        )
        .await?
        .is_some())
}

/// Records a backup made by hand (`xinfang backup --out`), not verified.
pub async fn record_manual(store: &Store, bureau_id: &str, made: &Made) -> Result<(), BackupError> {
    let row = BackupRow {
        id: xinfang_store::new_id(),
        bureau_id: bureau_id.into(),
        kind: Kind::Manual.as_str().into(),
        period: crate::clock::local_date(made.snapshot_at).to_string(),
        file: made.file.display().to_string(),
        size_bytes: made.size as i64,
        sha256: made.sha256.clone(),
        started_at: ts(made.snapshot_at),
        finished_at: ts(made.finished_at),
        verified_at: None,
        verification: "not_run".into(),
        error: None,
        summary: made.summary().to_string(),
        removed_at: None,
    };
    let mut tx = store.begin().await?;
    store.insert_backup(&mut tx, &row).await?;
    tx.commit().await?;
    Ok(())
}

/// Writes a private key file that only its owner may read (`xinfang backup keygen`).
pub fn write_private(path: &Path, text: &str) -> Result<(), BackupError> {
    use std::os::unix::fs::OpenOptionsExt;
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .map_err(|e| io_error("创建私钥文件", path, e))?;
    f.write_all(text.as_bytes())
        .and_then(|()| f.sync_all())
        .map_err(|e| io_error("写入私钥文件", path, e))
}
