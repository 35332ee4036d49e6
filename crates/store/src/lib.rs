//! The storage adapter. One set of portable SQL runs on embedded SQLite (the default) and on
//! PostgreSQL (`DATABASE_URL=postgres://…`), through sqlx's `Any` driver. Each feature's SQL
//! lives in its own module. Writes go through `Store::begin`, which on SQLite serialises writers
//! in-process (SQLite has one writer at a time; this avoids busy errors on lock upgrade).

pub mod accounts;
pub mod archives;
pub mod audit;
pub mod backup;
pub mod calendar;
pub mod deadlines;
pub mod documents;
pub mod drafts;
pub mod exchange;
pub mod handling;
pub mod mailroom;
pub mod people;
pub mod petitions;
pub mod public;
pub mod reasons;
pub mod search;
pub mod statistics;
pub mod statistics_kept;
pub mod supervision;
pub mod transfer_reports;

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

impl Backend {
    /// The bind marks `first, first + 1, …` (n of them) of a statement whose every parameter
    /// comes from here, in order. SQLite gets anonymous `?`: a numbered name (`$12`, `?12`) is
    /// looked up by a linear scan of the statement's names when it is prepared and again when
    /// each value is bound, which made a multi-row insert of thousands of values quadratic —
    /// 1.1 s of a 1 000-row import batch went there.
    pub fn marks(self, first: usize, n: usize) -> String {
        let mut out = String::with_capacity(n * 4);
        for i in first..first + n {
            if i > first {
                out.push_str(", ");
            }
            match self {
                Backend::Sqlite => out.push('?'),
                Backend::Postgres => {
                    out.push('$');
                    out.push_str(&i.to_string());
                }
            }
        }
        out
    }
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
    /// A backup cannot be taken or loaded as it is (the message says why, in Chinese).
    #[error("{0}")]
    Backup(String),
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// A write refused by a unique index is a conflict the caller reports (a number already
/// taken, a report already filed); any other error stays a database error.
pub(crate) fn conflict_if_unique(e: sqlx::Error) -> StoreError {
    match &e {
        sqlx::Error::Database(d) if d.is_unique_violation() => StoreError::Conflict,
        _ => StoreError::Db(e),
    }
}
pub type Tx = sqlx::Transaction<'static, Any>;

#[derive(Clone)]
pub struct Store {
    pool: AnyPool,
    backend: Backend,
    write_lock: Arc<Mutex<()>>,
    /// Whether writes keep the statistics current: set once this process migrated the schema
    /// (the public instance on PostgreSQL never does, and its role may not read the kept
    /// tables; nothing it writes is a fact statistics count).
    keeps_statistics: Arc<std::sync::atomic::AtomicBool>,
    /// How many candidates a relevance page ranks at first (`search::CANDIDATES`; tests lower
    /// it to reach the widening with few petitions).
    pub(crate) search_candidates: Arc<std::sync::atomic::AtomicI64>,
}

/// A write transaction; on SQLite it also holds the in-process writer lock until it is
/// committed or rolled back.
pub struct WriteTx {
    /// `Some` until committed or dropped.
    tx: Option<Tx>,
    guard: Option<OwnedMutexGuard<()>>,
    keeps_statistics: bool,
}

impl WriteTx {
    pub async fn commit(mut self) -> Result<()> {
        // The kept statistics of the petitions this write changed, in the same transaction
        // (an error rolls the whole write back, on drop).
        if self.keeps_statistics
            && let Some(tx) = self.tx.as_mut()
        {
            statistics_kept::refresh_pending(tx).await?;
        }
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

// Most migrations run on both backends; the few that cannot be written portably (SQLite cannot
// drop a NOT NULL constraint) exist once per backend under the same version number.
static SHARED_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");
static SQLITE_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");
static POSTGRES_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

/// Every migration of `backend`, in version order.
pub fn migrations(backend: Backend) -> sqlx::migrate::Migrator {
    let own = match backend {
        Backend::Sqlite => &SQLITE_MIGRATIONS,
        Backend::Postgres => &POSTGRES_MIGRATIONS,
    };
    sqlx::migrate::Migrator::with_migrations(
        SHARED_MIGRATIONS
            .iter()
            .chain(own.iter())
            .cloned()
            .collect(),
    )
}

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
            keeps_statistics: Default::default(),
            search_candidates: Arc::new(std::sync::atomic::AtomicI64::new(search::CANDIDATES)),
        })
    }

    pub async fn migrate(&self) -> Result<()> {
        migrations(self.backend).run(&self.pool).await?;
        self.keeps_statistics
            .store(true, std::sync::atomic::Ordering::Relaxed);
        // An upgraded database (or a new definition of the figures) is recounted once.
        self.recount_statistics_if_stale().await?;
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
        let known: Vec<i64> = migrations(self.backend).iter().map(|m| m.version).collect();
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
        // On SQLite the transaction takes the database's write lock at once (waiting out the
        // busy timeout if needed). A deferred one would read a snapshot first, and a write
        // committed meanwhile outside the writer lock (a job's claim, the access log) would
        // make its first write fail with SQLITE_BUSY_SNAPSHOT instead of waiting.
        let tx = match self.backend {
            Backend::Sqlite => self.pool.begin_with("BEGIN IMMEDIATE").await?,
            Backend::Postgres => self.pool.begin().await?,
        };
        Ok(WriteTx {
            tx: Some(tx),
            guard,
            keeps_statistics: self
                .keeps_statistics
                .load(std::sync::atomic::Ordering::Relaxed),
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

#[cfg(test)]
mod tests {
    use super::*;
    use sqlx::{AssertSqlSafe, Row};

    /// A write transaction that reads first is not failed by a write another connection commits
    /// between its read and its own first write: it holds the write lock from the start, so the
    /// other write waits for it instead (SQLite; the server met "database is locked" (517) at
    /// sign-in while a job claimed its run).
    #[tokio::test]
    async fn a_write_transaction_that_reads_first_is_not_failed_by_another_write() {
        let dir = std::env::temp_dir().join(format!("xinfang-store-{}", new_id()));
        std::fs::create_dir_all(&dir).unwrap();
        let url = format!("sqlite://{}?mode=rwc", dir.join("t.db").display());
        let store = Store::connect(&url, 4).await.unwrap();
        sqlx::query("CREATE TABLE counter (n INTEGER NOT NULL)")
            .execute(store.pool())
            .await
            .unwrap();
        sqlx::query("INSERT INTO counter (n) VALUES (0)")
            .execute(store.pool())
            .await
            .unwrap();
        let mut tx = store.begin().await.unwrap();
        let (n,): (i64,) = sqlx::query_as("SELECT n FROM counter")
            .fetch_one(&mut **tx)
            .await
            .unwrap();
        // A write outside the writer lock, on another connection, while the transaction is open.
        let pool = store.pool().clone();
        let other = tokio::spawn(async move {
            sqlx::query("UPDATE counter SET n = n + 100")
                .execute(&pool)
                .await
        });
        tokio::time::sleep(Duration::from_millis(300)).await;
        sqlx::query("UPDATE counter SET n = $1")
            .bind(n + 1)
            .execute(&mut **tx)
            .await
            .expect("the transaction's own write goes through");
        tx.commit().await.unwrap();
        other
            .await
            .unwrap()
            .expect("the other write waited and went through");
        let (n,): (i64,) = sqlx::query_as("SELECT n FROM counter")
            .fetch_one(store.pool())
            .await
            .unwrap();
        assert_eq!(n, 101, "both writes kept, one after the other");
        store.close().await;
        let _ = std::fs::remove_dir_all(&dir);
    }

    /// Migration 0012 rebuilds three tables on SQLite (it cannot drop NOT NULL in place): rows
    /// written under the earlier schema keep every column, the indexes come back, and afterwards
    /// a deadline, an approval and a supervision item may belong to no petition.
    #[tokio::test]
    async fn the_sqlite_rebuild_of_0012_keeps_every_row_and_frees_the_petition() {
        let dir = std::env::temp_dir().join(format!("xinfang-store-{}", new_id()));
        std::fs::create_dir_all(&dir).unwrap();
        let url = format!("sqlite://{}?mode=rwc", dir.join("t.db").display());
        let store = Store::connect(&url, 1).await.unwrap();
        migrations(Backend::Sqlite)
            .run_to(11, store.pool())
            .await
            .unwrap();
        // Rows as the earlier version wrote them; what they point at does not matter here.
        let mut conn = store.pool().acquire().await.unwrap();
        conn.execute("PRAGMA foreign_keys = OFF").await.unwrap();
        conn.execute(
            "INSERT INTO deadlines (id, bureau_id, petition_id, handling_record_id, unit_id, role, rule_code, rule_version, started_on, period_days, mode, due_on, shortened_by, extended_days, extension_reason, paused_days, paused_since, state, met_at, expiry_handled_at, created_at, updated_at, fixed_due) \
             VALUES ('d1', 'b', 'p1', 'h1', 'u1', 'unit', 'handle_and_close', 2, '2026-11-02', 60, 'calendar', '2027-01-01', '批示', 30, '情况复杂', 3, '2026-12-01', 'running', NULL, NULL, 't0', 't1', '2026-12-20')",
        )
        .await
        .unwrap();
        conn.execute(
            "INSERT INTO approvals (id, bureau_id, petition_id, handling_record_id, unit_id, gate, summary, payload, proposed_by, proposed_role, proposed_at, state, decided_by, decided_at, comment) \
             VALUES ('a1', 'b', 'p1', 'h1', 'u1', 'extension', '延期', '{}', 'x', 'unit_handler', 't0', 'approved', 'y', 't1', '同意')",
        )
        .await
        .unwrap();
        conn.execute(
            "INSERT INTO supervision_items (id, bureau_id, petition_id, handling_record_id, unit_id, deadline_id, trigger_kind, automatic, trigger_key, state, note, opened_at, opened_by, action_count, answer_due, answer, answered_at, answered_by, escalated_at, project_approved_by, project_approved_at, resolved_at, resolved_by, updated_at) \
             VALUES ('s1', 'b', 'p1', 'h1', 'u1', 'd1', 'overdue', 1, 'deadline:d1', 'answered', '逾期', 't0', NULL, 2, '2026-12-10', '已办结', 't2', 'z', NULL, NULL, NULL, NULL, NULL, 't2')",
        )
        .await
        .unwrap();
        conn.execute("PRAGMA foreign_keys = ON").await.unwrap();
        drop(conn);

        store.migrate().await.unwrap();
        assert!(store.migrations_current().await.unwrap());
        let dump = |table: &'static str| {
            let pool = store.pool().clone();
            async move {
                let rows = sqlx::query(AssertSqlSafe(format!("SELECT * FROM {table}")))
                    .fetch_all(&pool)
                    .await
                    .unwrap();
                rows.iter()
                    .map(|r| {
                        (0..r.columns().len())
                            .map(|i| {
                                r.try_get::<Option<String>, _>(i)
                                    .ok()
                                    .flatten()
                                    .or_else(|| {
                                        r.try_get::<Option<i64>, _>(i)
                                            .ok()
                                            .flatten()
                                            .map(|v| v.to_string())
                                    })
                                    .unwrap_or_else(|| "NULL".into())
                            })
                            .collect::<Vec<_>>()
                            .join("|")
                    })
                    .collect::<Vec<_>>()
            }
        };
        assert_eq!(
            dump("deadlines").await,
            vec![
                "d1|b|p1|h1|u1|unit|handle_and_close|2|2026-11-02|60|calendar|2027-01-01|批示|30|情况复杂|3|2026-12-01|running|NULL|NULL|t0|t1|2026-12-20|NULL"
            ]
        );
        assert_eq!(
            dump("approvals").await,
            vec!["a1|b|p1|h1|u1|extension|延期|{}|x|unit_handler|t0|approved|y|t1|同意"]
        );
        assert_eq!(
            dump("supervision_items").await,
            vec![
                "s1|b|p1|h1|u1|d1|overdue|1|deadline:d1|answered|逾期|t0|NULL|2|2026-12-10|已办结|t2|z|NULL|NULL|NULL|NULL|NULL|t2"
            ]
        );
        let (indexes,): (i64,) = sqlx::query_as(
            "SELECT COUNT(*) FROM sqlite_master WHERE type = 'index' AND name IN ('deadlines_expiry_scan', 'deadlines_running_due', 'deadlines_running_role_due', 'deadlines_running_unit_due', 'deadlines_petition', 'deadlines_routine_period', 'approvals_pending', 'approvals_petition', 'supervision_items_state', 'supervision_items_unit', 'supervision_items_petition')",
        )
        .fetch_one(store.pool())
        .await
        .unwrap();
        assert_eq!(indexes, 11, "every index is back");
        // Now a record may have no petition.
        for sql in [
            "UPDATE deadlines SET petition_id = NULL",
            "UPDATE approvals SET petition_id = NULL",
            "UPDATE supervision_items SET petition_id = NULL",
        ] {
            sqlx::query(sql).execute(store.pool()).await.unwrap();
        }
        let _ = std::fs::remove_dir_all(&dir);
    }
}
