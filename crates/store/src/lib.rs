//! The storage adapter. One set of portable SQL runs on embedded SQLite (the default) and on
//! PostgreSQL (`DATABASE_URL=postgres://…`), through sqlx's `Any` driver. Each feature's SQL
//! lives in its own module. Writes go through `Store::begin`, which on SQLite serialises writers
//! in-process (SQLite has one writer at a time; this avoids busy errors on lock upgrade).

pub mod accounts;
pub mod audit;
pub mod calendar;
pub mod deadlines;
pub mod documents;
pub mod drafts;
pub mod handling;
pub mod mailroom;
pub mod people;
pub mod petitions;
pub mod reasons;
pub mod supervision;

use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, SecondsFormat, Utc};
use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::{Any, AnyPool, Executor};
use tokio::sync::{Mutex, OwnedMutexGuard};

pub use sqlx;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database error: {0}")]
    Db(#[from] sqlx::Error),
    #[error("migration error: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("not found")]
    NotFound,
    /// Someone else changed the record first: the caller may retry with fresh state.
    #[error("concurrent modification")]
    Conflict,
    #[error("corrupt data: {0}")]
    Corrupt(String),
    #[error("io error: {0}")]
    Io(#[from] std::io::Error),
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;
pub type Tx = sqlx::Transaction<'static, Any>;

#[derive(Clone)]
pub struct Store {
    pool: AnyPool,
    backend: Backend,
    write_lock: Arc<Mutex<()>>,
}

/// A write transaction; on SQLite it also holds the in-process writer lock until it is
/// committed or rolled back.
pub struct WriteTx {
    /// `Some` until committed or dropped.
    tx: Option<Tx>,
    guard: Option<OwnedMutexGuard<()>>,
}

impl WriteTx {
    pub async fn commit(mut self) -> Result<()> {
        if let Some(tx) = self.tx.take() {
            tx.commit().await?;
        }
        Ok(())
    }
}

/// A transaction dropped without commit (an error on the way) is rolled back before the writer
/// lock is released. sqlx only queues that rollback for the connection's next use, and the
/// connection would keep SQLite's write lock meanwhile: the next writer would wait out the busy
/// timeout and fail with "database is locked".
impl Drop for WriteTx {
    fn drop(&mut self) {
        let Some(tx) = self.tx.take() else {
            return;
        };
        let guard = self.guard.take();
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            runtime.spawn(async move {
                let _ = tx.rollback().await;
                drop(guard);
            });
        }
    }
}

impl std::ops::Deref for WriteTx {
    type Target = Tx;
    fn deref(&self) -> &Tx {
        // Only `commit` (which consumes the value) and `drop` take the transaction.
        self.tx.as_ref().expect("write transaction in use")
    }
}
impl std::ops::DerefMut for WriteTx {
    fn deref_mut(&mut self) -> &mut Tx {
        self.tx.as_mut().expect("write transaction in use")
    }
}

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

impl Store {
    /// Connects to `url` (`sqlite://path?mode=rwc` or `postgres://…`), every commit durable.
    pub async fn connect(url: &str, max_connections: u32) -> Result<Store> {
        Store::connect_with(url, max_connections, true).await
    }

    /// `durable = false` lets SQLite acknowledge a commit before it reaches the disk
    /// (`synchronous = NORMAL`: a power cut may lose the last ones; a crash of the process does
    /// not). Only for measuring what durability costs; PostgreSQL always syncs.
    pub async fn connect_with(url: &str, max_connections: u32, durable: bool) -> Result<Store> {
        sqlx::any::install_default_drivers();
        let backend = if url.starts_with("postgres") {
            Backend::Postgres
        } else {
            Backend::Sqlite
        };
        let options = AnyConnectOptions::from_str(url)?;
        let pool = AnyPoolOptions::new()
            .max_connections(max_connections)
            // A database that is down answers a request with 503 within seconds, not a hang;
            // the pool reconnects by itself once it is back (connections are tested on loan).
            .acquire_timeout(Duration::from_secs(3))
            .test_before_acquire(true)
            .after_connect(move |conn, _| {
                Box::pin(async move {
                    if backend == Backend::Sqlite {
                        conn.execute("PRAGMA journal_mode = WAL").await?;
                        conn.execute("PRAGMA busy_timeout = 10000").await?;
                        conn.execute("PRAGMA foreign_keys = ON").await?;
                        // An acknowledged write survives a power cut: every commit is synced (in
                        // WAL mode the WAL file, once per commit).
                        conn.execute(if durable {
                            "PRAGMA synchronous = FULL"
                        } else {
                            "PRAGMA synchronous = NORMAL"
                        })
                        .await?;
                    } else {
                        // Likewise on PostgreSQL, whatever the server's default.
                        conn.execute("SET synchronous_commit = on").await?;
                        // Statements are prepared once per connection; a generic plan made while a
                        // table was still small (the wrong index) would otherwise stay as it grows.
                        conn.execute("SET plan_cache_mode = force_custom_plan")
                            .await?;
                    }
                    Ok(())
                })
            })
            .connect_with(options)
            .await?;
        Ok(Store {
            pool,
            backend,
            write_lock: Arc::new(Mutex::new(())),
        })
    }

    pub async fn migrate(&self) -> Result<()> {
        MIGRATOR.run(&self.pool).await?;
        Ok(())
    }

    /// Connections open in the pool, and how many of them are idle.
    pub fn pool_stats(&self) -> (u32, usize) {
        (self.pool.size(), self.pool.num_idle())
    }

    /// When each job of the bureau last finished (RFC 3339).
    pub async fn last_finished_jobs(&self, bureau_id: &str) -> Result<Vec<(String, String)>> {
        Ok(sqlx::query_as(
            "SELECT job, MAX(finished_at) FROM job_runs WHERE bureau_id = $1 AND finished_at IS NOT NULL GROUP BY job ORDER BY job",
        )
        .bind(bureau_id)
        .fetch_all(&self.pool)
        .await?)
    }

    /// Whether the database answers.
    pub async fn ping(&self) -> Result<()> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    /// Whether every migration this binary knows has been applied (and none it does not know).
    pub async fn migrations_current(&self) -> Result<bool> {
        let rows: Vec<(i64,)> = sqlx::query_as(
            "SELECT version FROM _sqlx_migrations WHERE success = TRUE ORDER BY version",
        )
        .fetch_all(&self.pool)
        .await?;
        let applied: Vec<i64> = rows.into_iter().map(|r| r.0).collect();
        let known: Vec<i64> = MIGRATOR.iter().map(|m| m.version).collect();
        Ok(applied == known)
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    pub async fn begin(&self) -> Result<WriteTx> {
        let guard = match self.backend {
            Backend::Sqlite => Some(self.write_lock.clone().lock_owned().await),
            Backend::Postgres => None,
        };
        let tx = self.pool.begin().await?;
        Ok(WriteTx {
            tx: Some(tx),
            guard,
        })
    }

    pub async fn close(&self) {
        self.pool.close().await;
    }
}

/// The one timestamp format stored: RFC 3339, UTC, second precision (sorts as text).
pub fn ts(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

pub fn parse_ts(s: &str) -> Result<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| StoreError::Corrupt(format!("timestamp {s}: {e}")))
}

pub fn new_id() -> String {
    uuid::Uuid::now_v7().to_string()
}

pub(crate) fn flag(b: bool) -> i64 {
    i64::from(b)
}

/// Takes the next number of a gap-free sequence inside the caller's transaction. The row lock
/// taken by the UPDATE serialises concurrent writers on PostgreSQL, so numbers never repeat or
/// skip; a rolled-back transaction gives its number back.
pub async fn next_in_sequence(tx: &mut Tx, bureau_id: &str, name: &str, year: i32) -> Result<i64> {
    let year = i64::from(year);
    let updated: Option<(i64,)> = sqlx::query_as(
        "UPDATE sequences SET value = value + 1 WHERE bureau_id = $1 AND name = $2 AND year = $3 RETURNING value",
    )
    .bind(bureau_id)
    .bind(name)
    .bind(year)
    .fetch_optional(&mut **tx)
    .await?;
    if let Some((v,)) = updated {
        return Ok(v);
    }
    sqlx::query(
        "INSERT INTO sequences (bureau_id, name, year, value) VALUES ($1, $2, $3, 1) ON CONFLICT (bureau_id, name, year) DO UPDATE SET value = sequences.value + 1",
    )
    .bind(bureau_id)
    .bind(name)
    .bind(year)
    .execute(&mut **tx)
    .await?;
    let (v,): (i64,) = sqlx::query_as(
        "SELECT value FROM sequences WHERE bureau_id = $1 AND name = $2 AND year = $3",
    )
    .bind(bureau_id)
    .bind(name)
    .bind(year)
    .fetch_one(&mut **tx)
    .await?;
    Ok(v)
}
