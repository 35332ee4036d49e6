//! The whole database, out and back in, for backups (`app::backup`). Every table is read in one
//! snapshot (a REPEATABLE READ transaction on PostgreSQL, a WAL read transaction on SQLite:
//! writers go on, and what was committed before the snapshot is all there) as portable values,
//! in an order where each table comes after the tables it refers to; and loaded into an empty
//! database of either backend in one transaction, so a SQLite bureau's backup restores into
//! PostgreSQL. Column types are read from the catalog, never guessed from the values.
//!
//! Left out: the migrations' own table (a backup records the versions instead) and the search
//! index, which is derived from the rest and kept differently on each backend (FTS5 tables,
//! a tsvector column that sqlx's `Any` cannot read): a restore rebuilds it. The kept statistics
//! go with the backup; their pending marks and version marker do not (the caller recounts).

use std::collections::{BTreeMap, BTreeSet, HashMap};

use futures_util::{Stream, TryStreamExt};
use serde_json::Value;
use sqlx::any::{AnyArguments, AnyRow, AnyTypeInfoKind};
use sqlx::query::Query;
use sqlx::{Any, AnyConnection, AssertSqlSafe, Executor, Row, ValueRef};

use crate::{Backend, Result, Store, StoreError, Tx, WriteTx};

/// Whether a backup leaves `table` out (see the module's doc).
pub fn left_out(table: &str) -> bool {
    table == "_sqlx_migrations"
        || table.starts_with("sqlite_")
        || table == "search_docs"
        || table == "search_terms"
        || table.starts_with("search_fts")
        || table == "statistics_pending"
        || table == "statistics_version"
}

/// A column's type, as both backends can hold it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColumnKind {
    Integer,
    Real,
    Text,
    Bool,
    Bytes,
}

impl ColumnKind {
    /// From the type a table declares (`BIGINT`, `TEXT`; PostgreSQL's `bigint`, `text`,
    /// `double precision` …).
    fn of_declared(declared: &str) -> Option<ColumnKind> {
        let t = declared.to_ascii_uppercase();
        Some(if t.contains("INT") {
            ColumnKind::Integer
        } else if t.contains("CHAR") || t.contains("TEXT") || t.contains("CLOB") {
            ColumnKind::Text
        } else if t.contains("REAL") || t.contains("FLOA") || t.contains("DOUB") {
            ColumnKind::Real
        } else if t.contains("BOOL") {
            ColumnKind::Bool
        } else if t.contains("BLOB") || t.contains("BYTEA") {
            ColumnKind::Bytes
        } else {
            return None;
        })
    }
}

#[derive(Debug, Clone)]
pub struct Column {
    pub name: String,
    pub kind: ColumnKind,
    pub nullable: bool,
    pub primary_key: bool,
}

/// A table as the catalog describes it.
#[derive(Debug, Clone)]
pub struct Table {
    pub name: String,
    pub columns: Vec<Column>,
    /// Foreign keys: (column, the table it refers to).
    pub references: Vec<(String, String)>,
}

impl Table {
    pub fn column_names(&self) -> Vec<String> {
        self.columns.iter().map(|c| c.name.clone()).collect()
    }
}

fn quoted(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

fn refused(message: String) -> StoreError {
    StoreError::Backup(message)
}

async fn table_names(conn: &mut AnyConnection, backend: Backend) -> Result<Vec<String>> {
    let sql = match backend {
        Backend::Sqlite => "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name",
        Backend::Postgres => {
            "SELECT tablename::text FROM pg_tables WHERE schemaname = current_schema() ORDER BY 1"
        }
    };
    let rows: Vec<(String,)> = sqlx::query_as(sql).fetch_all(&mut *conn).await?;
    Ok(rows.into_iter().map(|r| r.0).collect())
}

async fn describe(conn: &mut AnyConnection, backend: Backend, name: &str) -> Result<Table> {
    let (columns_sql, references_sql) = match backend {
        Backend::Sqlite => (
            "SELECT name, type, \"notnull\", pk FROM pragma_table_info($1) ORDER BY cid",
            "SELECT \"from\", \"table\" FROM pragma_foreign_key_list($1)",
        ),
        Backend::Postgres => (
            "SELECT a.attname::text, format_type(a.atttypid, a.atttypmod), \
                    CASE WHEN a.attnotnull THEN 1 ELSE 0 END::bigint, \
                    CASE WHEN a.attnum = ANY(i.indkey::int2[]) THEN 1 ELSE 0 END::bigint \
             FROM pg_attribute a LEFT JOIN pg_index i ON i.indrelid = a.attrelid AND i.indisprimary \
             WHERE a.attrelid = to_regclass(quote_ident($1)) AND a.attnum > 0 AND NOT a.attisdropped \
             ORDER BY a.attnum",
            "SELECT a.attname::text, c.confrelid::regclass::text FROM pg_constraint c \
             JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1] \
             WHERE c.contype = 'f' AND c.conrelid = to_regclass(quote_ident($1))",
        ),
    };
    let rows: Vec<(String, String, i64, i64)> = sqlx::query_as(columns_sql)
        .bind(name)
        .fetch_all(&mut *conn)
        .await?;
    let mut columns = Vec::with_capacity(rows.len());
    for (column, declared, not_null, pk) in rows {
        let kind = ColumnKind::of_declared(&declared).ok_or_else(|| {
            refused(format!(
                "表 {name} 的列 {column} 类型为 {declared}，备份不支持这种类型"
            ))
        })?;
        columns.push(Column {
            name: column,
            kind,
            nullable: not_null == 0,
            primary_key: pk > 0,
        });
    }
    let references: Vec<(String, String)> = sqlx::query_as(references_sql)
        .bind(name)
        .fetch_all(&mut *conn)
        .await?;
    Ok(Table {
        name: name.to_string(),
        columns,
        references: references
            .into_iter()
            .map(|(c, t)| (c, t.trim_matches('"').to_string()))
            .collect(),
    })
}

/// Every table a backup holds, each after the tables it refers to where the references allow
/// (a table referring to itself, or a circle, is loaded with those columns filled in after).
async fn catalog(conn: &mut AnyConnection, backend: Backend) -> Result<Vec<Table>> {
    let mut tables = Vec::new();
    for name in table_names(conn, backend).await? {
        if !left_out(&name) {
            tables.push(describe(conn, backend, &name).await?);
        }
    }
    Ok(dependency_order(tables))
}

/// Kahn's order over the references, ties by name; what a circle leaves is appended by name.
pub fn dependency_order(tables: Vec<Table>) -> Vec<Table> {
    let names: BTreeSet<String> = tables.iter().map(|t| t.name.clone()).collect();
    let mut waiting: BTreeMap<String, BTreeSet<String>> = tables
        .iter()
        .map(|t| {
            let parents = t
                .references
                .iter()
                .map(|(_, p)| p.clone())
                .filter(|p| *p != t.name && names.contains(p))
                .collect();
            (t.name.clone(), parents)
        })
        .collect();
    let mut by_name: HashMap<String, Table> =
        tables.into_iter().map(|t| (t.name.clone(), t)).collect();
    let mut out = Vec::with_capacity(by_name.len());
    loop {
        let ready: Vec<String> = waiting
            .iter()
            .filter(|(_, parents)| parents.is_empty())
            .map(|(n, _)| n.clone())
            .collect();
        let Some(next) = ready.into_iter().next() else {
            break;
        };
        waiting.remove(&next);
        for parents in waiting.values_mut() {
            parents.remove(&next);
        }
        if let Some(t) = by_name.remove(&next) {
            out.push(t);
        }
    }
    for name in waiting.keys() {
        if let Some(t) = by_name.remove(name) {
            out.push(t);
        }
    }
    out
}

async fn applied(conn: &mut AnyConnection, backend: Backend) -> Result<Vec<i64>> {
    if !table_names(conn, backend)
        .await?
        .iter()
        .any(|t| t == "_sqlx_migrations")
    {
        return Ok(Vec::new());
    }
    let rows: Vec<(i64,)> = sqlx::query_as(
        "SELECT version FROM _sqlx_migrations WHERE success = TRUE ORDER BY version",
    )
    .fetch_all(&mut *conn)
    .await?;
    Ok(rows.into_iter().map(|r| r.0).collect())
}

/// One value of a row, portable: null, integer, number, text, true/false, or `{"hex": …}`.
fn value_of(row: &AnyRow, i: usize) -> Result<Value> {
    let raw = row.try_get_raw(i)?;
    if raw.is_null() {
        return Ok(Value::Null);
    }
    let kind = raw.type_info().kind();
    Ok(match kind {
        AnyTypeInfoKind::Null => Value::Null,
        AnyTypeInfoKind::Bool => Value::Bool(row.try_get(i)?),
        AnyTypeInfoKind::SmallInt | AnyTypeInfoKind::Integer | AnyTypeInfoKind::BigInt => {
            Value::from(row.try_get::<i64, _>(i)?)
        }
        AnyTypeInfoKind::Real => Value::from(f64::from(row.try_get::<f32, _>(i)?)),
        AnyTypeInfoKind::Double => Value::from(row.try_get::<f64, _>(i)?),
        AnyTypeInfoKind::Text => Value::String(row.try_get(i)?),
        AnyTypeInfoKind::Blob => {
            serde_json::json!({ "hex": hex::encode(row.try_get::<Vec<u8>, _>(i)?) })
        }
    })
}

/// What the database held when the snapshot was taken, read inside it.
pub struct Snapshot {
    tx: Tx,
    /// The migrations applied, by version.
    pub migrations: Vec<i64>,
    /// Every table the backup holds, in the order their rows must be loaded.
    pub tables: Vec<Table>,
}

impl Store {
    /// Opens a read transaction whose snapshot is fixed before this returns: everything
    /// committed before the call is in it, nothing committed after. Writers are not held up
    /// (it never takes the in-process writer lock).
    pub async fn snapshot(&self) -> Result<Snapshot> {
        let mut tx = self.pool().begin().await?;
        if self.backend() == Backend::Postgres {
            tx.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
                .await?;
        }
        // The first read fixes the snapshot (SQLite's WAL read mark; PostgreSQL's transaction
        // snapshot under REPEATABLE READ).
        let migrations = applied(&mut tx, self.backend()).await?;
        let tables = catalog(&mut tx, self.backend()).await?;
        Ok(Snapshot {
            tx,
            migrations,
            tables,
        })
    }

    /// The migrations applied to this database, by version (none on an empty one).
    pub async fn applied_migrations(&self) -> Result<Vec<i64>> {
        let mut conn = self.pool().acquire().await?;
        applied(&mut conn, self.backend()).await
    }

    /// Applies this binary's migrations up to `version` (a restore loads a backup into the
    /// schema it was taken from, then brings it up to date).
    pub async fn migrate_to(&self, version: i64) -> Result<()> {
        crate::migrations(self.backend())
            .run_to(version, self.pool())
            .await?;
        Ok(())
    }

    /// Every bureau's id (a restored database's audit is verified per bureau).
    pub async fn bureau_ids(&self) -> Result<Vec<String>> {
        let rows: Vec<(String,)> = sqlx::query_as("SELECT id FROM bureaus ORDER BY id")
            .fetch_all(self.pool())
            .await?;
        Ok(rows.into_iter().map(|r| r.0).collect())
    }

    /// Rows in each of `tables` (those this database has).
    pub async fn row_counts(&self, tables: &[String]) -> Result<BTreeMap<String, u64>> {
        let mut conn = self.pool().acquire().await?;
        let here: BTreeSet<String> = table_names(&mut conn, self.backend())
            .await?
            .into_iter()
            .collect();
        let mut out = BTreeMap::new();
        for t in tables.iter().filter(|t| here.contains(*t)) {
            let (n,): (i64,) =
                sqlx::query_as(AssertSqlSafe(format!("SELECT COUNT(*) FROM {}", quoted(t))))
                    .fetch_one(&mut *conn)
                    .await?;
            out.insert(t.clone(), u64::try_from(n).unwrap_or(0));
        }
        Ok(out)
    }

    /// Opens the transaction that loads a backup: `order` lists the backup's tables, with
    /// their columns, in the order their rows come. Each must exist here with those columns.
    pub async fn begin_restore(&self, order: &[(String, Vec<String>)]) -> Result<Restore> {
        let mut tx = self.begin().await?;
        let here = catalog(&mut tx, self.backend()).await?;
        let mut by_name: HashMap<String, Table> =
            here.into_iter().map(|t| (t.name.clone(), t)).collect();
        let position: HashMap<&str, usize> = order
            .iter()
            .enumerate()
            .map(|(i, (t, _))| (t.as_str(), i))
            .collect();
        let mut plans = HashMap::new();
        for (i, (name, columns)) in order.iter().enumerate() {
            let table = by_name.remove(name).ok_or_else(|| {
                refused(format!(
                    "备份中的表 {name} 在本程序的数据库结构中不存在（备份与程序版本不符）"
                ))
            })?;
            let mut kinds = Vec::with_capacity(columns.len());
            for c in columns {
                let col = table.columns.iter().find(|x| &x.name == c).ok_or_else(|| {
                    refused(format!(
                        "备份中表 {name} 的列 {c} 在本程序的数据库结构中不存在"
                    ))
                })?;
                kinds.push(col.kind);
            }
            // A reference to a table loaded at the same time or later is filled in at the end.
            let mut deferred = Vec::new();
            for (column, parent) in &table.references {
                let later = position.get(parent.as_str()).is_some_and(|p| *p >= i);
                let Some(at) = columns.iter().position(|c| c == column) else {
                    continue;
                };
                if later {
                    let nullable = table
                        .columns
                        .iter()
                        .any(|c| &c.name == column && c.nullable);
                    if !nullable {
                        return Err(refused(format!(
                            "表 {name} 的列 {column} 引用了之后才恢复的表 {parent}，且不能为空：无法按顺序恢复"
                        )));
                    }
                    deferred.push(at);
                }
            }
            let key: Vec<usize> = table
                .columns
                .iter()
                .filter(|c| c.primary_key)
                .filter_map(|c| columns.iter().position(|x| *x == c.name))
                .collect();
            if !deferred.is_empty() && key.is_empty() {
                return Err(refused(format!("表 {name} 引用自身但没有主键：无法恢复")));
            }
            plans.insert(
                name.clone(),
                Plan {
                    columns: columns.clone(),
                    kinds,
                    deferred,
                    key,
                },
            );
        }
        Ok(Restore {
            tx,
            plans,
            later: Vec::new(),
        })
    }
}

impl Snapshot {
    /// The rows of `table`, each as portable values in the order of its columns.
    pub fn rows<'a>(&'a mut self, table: &Table) -> impl Stream<Item = Result<Vec<Value>>> + 'a {
        let columns: Vec<String> = table.columns.iter().map(|c| quoted(&c.name)).collect();
        let sql = format!("SELECT {} FROM {}", columns.join(", "), quoted(&table.name));
        let n = table.columns.len();
        sqlx::query(AssertSqlSafe(sql))
            .fetch(&mut *self.tx)
            .map_err(StoreError::from)
            .and_then(move |row| async move { (0..n).map(|i| value_of(&row, i)).collect() })
    }

    /// Ends the read transaction.
    pub async fn close(self) -> Result<()> {
        self.tx.rollback().await?;
        Ok(())
    }
}

struct Plan {
    columns: Vec<String>,
    kinds: Vec<ColumnKind>,
    /// Columns written as NULL first and set once every row is in.
    deferred: Vec<usize>,
    /// The primary key's columns, by position.
    key: Vec<usize>,
}

/// A backup being loaded, in one transaction.
pub struct Restore {
    tx: WriteTx,
    plans: HashMap<String, Plan>,
    /// (table, column, value, the row's key values) to set at the end.
    later: Vec<(String, usize, Value, Vec<Value>)>,
}

/// The most parameters one INSERT binds (SQLite allows 32 766, PostgreSQL 65 535).
const MAX_PARAMS: usize = 8_000;

fn bind<'q>(
    q: Query<'q, Any, AnyArguments>,
    v: &Value,
    kind: ColumnKind,
) -> std::result::Result<Query<'q, Any, AnyArguments>, String> {
    let text = |v: &Value| match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    Ok(match (kind, v) {
        (ColumnKind::Integer, Value::Null) => q.bind(None::<i64>),
        (ColumnKind::Integer, Value::Bool(b)) => q.bind(i64::from(*b)),
        (ColumnKind::Integer, v) => q.bind(
            v.as_i64()
                .or_else(|| v.as_str().and_then(|s| s.trim().parse().ok()))
                .ok_or_else(|| format!("{v} 不是整数"))?,
        ),
        (ColumnKind::Real, Value::Null) => q.bind(None::<f64>),
        (ColumnKind::Real, v) => q.bind(
            v.as_f64()
                .or_else(|| v.as_str().and_then(|s| s.trim().parse().ok()))
                .ok_or_else(|| format!("{v} 不是数"))?,
        ),
        (ColumnKind::Bool, Value::Null) => q.bind(None::<bool>),
        (ColumnKind::Bool, Value::Bool(b)) => q.bind(*b),
        (ColumnKind::Bool, v) => q.bind(v.as_i64().ok_or_else(|| format!("{v} 不是真假值"))? != 0),
        (ColumnKind::Text, Value::Null) => q.bind(None::<String>),
        (ColumnKind::Text, v) => q.bind(text(v)),
        (ColumnKind::Bytes, Value::Null) => q.bind(None::<Vec<u8>>),
        (ColumnKind::Bytes, v) => q.bind(
            v.get("hex")
                .and_then(Value::as_str)
                .and_then(|h| hex::decode(h).ok())
                .unwrap_or_else(|| text(v).into_bytes()),
        ),
    })
}

impl Restore {
    /// Inserts rows of `table` (values in the order of the columns the backup listed).
    pub async fn insert(&mut self, table: &str, rows: Vec<Vec<Value>>) -> Result<()> {
        let plan = self
            .plans
            .get(table)
            .ok_or_else(|| refused(format!("备份中表 {table} 的数据出现在表清单之外")))?;
        let width = plan.columns.len();
        if width == 0 || rows.is_empty() {
            return Ok(());
        }
        let columns: Vec<String> = plan.columns.iter().map(|c| quoted(c)).collect();
        let per_statement = (MAX_PARAMS / width).clamp(1, 500);
        for batch in rows.chunks(per_statement) {
            let mut sql = format!(
                "INSERT INTO {} ({}) VALUES ",
                quoted(table),
                columns.join(", ")
            );
            let mut n = 0;
            for (r, row) in batch.iter().enumerate() {
                if row.len() != width {
                    return Err(refused(format!(
                        "备份中表 {table} 的一行有 {} 个值，应为 {width} 个",
                        row.len()
                    )));
                }
                sql.push_str(if r == 0 { "(" } else { ", (" });
                for c in 0..width {
                    n += 1;
                    sql.push_str(&format!("{}${n}", if c == 0 { "" } else { ", " }));
                }
                sql.push(')');
            }
            let mut q = sqlx::query(AssertSqlSafe(sql));
            for row in batch {
                for (c, v) in row.iter().enumerate() {
                    let deferred = plan.deferred.contains(&c);
                    if deferred && !v.is_null() {
                        let key = plan.key.iter().map(|k| row[*k].clone()).collect();
                        self.later.push((table.to_string(), c, v.clone(), key));
                    }
                    let v = if deferred { &Value::Null } else { v };
                    q = bind(q, v, plan.kinds[c]).map_err(|e| {
                        refused(format!(
                            "备份中表 {table} 的列 {} 的值无法写入：{e}",
                            plan.columns[c]
                        ))
                    })?;
                }
            }
            q.execute(&mut **self.tx).await?;
        }
        Ok(())
    }

    /// Sets the references held back, then commits.
    pub async fn commit(mut self) -> Result<()> {
        for (table, column, value, key) in std::mem::take(&mut self.later) {
            let Some(plan) = self.plans.get(&table) else {
                continue;
            };
            let mut sql = format!(
                "UPDATE {} SET {} = $1 WHERE ",
                quoted(&table),
                quoted(&plan.columns[column])
            );
            for (i, k) in plan.key.iter().enumerate() {
                if i > 0 {
                    sql.push_str(" AND ");
                }
                sql.push_str(&format!("{} = ${}", quoted(&plan.columns[*k]), i + 2));
            }
            let mut q = sqlx::query(AssertSqlSafe(sql));
            q = bind(q, &value, plan.kinds[column]).map_err(refused)?;
            for (v, k) in key.iter().zip(&plan.key) {
                q = bind(q, v, plan.kinds[*k]).map_err(refused)?;
            }
            q.execute(&mut **self.tx).await?;
        }
        // The kept statistics come with the snapshot, consistent with its facts: the marks the
        // loaded rows set need no recount (the caller recounts if the definition changed).
        sqlx::query("DELETE FROM statistics_pending")
            .execute(&mut **self.tx)
            .await?;
        self.tx.commit().await
    }
}

// ---------------------------------------------------------------------------------------------
// The record of each backup (migration 0018)

/// One backup made: where it went, what it holds, and whether reading it back passed.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct BackupRow {
    pub id: String,
    pub bureau_id: String,
    /// `daily`, `monthly` or `manual`.
    pub kind: String,
    /// The day (`2026-12-07`) or month (`2026-12`) it stands for.
    pub period: String,
    pub file: String,
    pub size_bytes: i64,
    /// SHA-256 of the file as written (what `sha256sum` shows for a good copy).
    pub sha256: String,
    pub started_at: String,
    pub finished_at: String,
    pub verified_at: Option<String>,
    /// `passed`, `failed` or `not_run`.
    pub verification: String,
    pub error: Option<String>,
    /// Tables, rows and files it holds (JSON).
    pub summary: String,
    /// When retention deleted the file.
    pub removed_at: Option<String>,
}

const BACKUP_COLUMNS: &str = "id, bureau_id, kind, period, file, size_bytes, sha256, started_at, finished_at, verified_at, verification, error, summary, removed_at";

fn backup_row(r: &AnyRow) -> Result<BackupRow> {
    Ok(BackupRow {
        id: r.try_get("id")?,
        bureau_id: r.try_get("bureau_id")?,
        kind: r.try_get("kind")?,
        period: r.try_get("period")?,
        file: r.try_get("file")?,
        size_bytes: r.try_get("size_bytes")?,
        sha256: r.try_get("sha256")?,
        started_at: r.try_get("started_at")?,
        finished_at: r.try_get("finished_at")?,
        verified_at: r.try_get("verified_at")?,
        verification: r.try_get("verification")?,
        error: r.try_get("error")?,
        summary: r.try_get("summary")?,
        removed_at: r.try_get("removed_at")?,
    })
}

impl Store {
    pub async fn insert_backup(&self, tx: &mut Tx, b: &BackupRow) -> Result<()> {
        sqlx::query(AssertSqlSafe(format!(
            "INSERT INTO backups ({BACKUP_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)"
        )))
        .bind(&b.id)
        .bind(&b.bureau_id)
        .bind(&b.kind)
        .bind(&b.period)
        .bind(&b.file)
        .bind(b.size_bytes)
        .bind(&b.sha256)
        .bind(&b.started_at)
        .bind(&b.finished_at)
        .bind(&b.verified_at)
        .bind(&b.verification)
        .bind(&b.error)
        .bind(&b.summary)
        .bind(&b.removed_at)
        .execute(&mut **tx)
        .await?;
        Ok(())
    }

    /// The latest backups, latest first.
    pub async fn backups(&self, bureau_id: &str, limit: i64) -> Result<Vec<BackupRow>> {
        let rows = sqlx::query(AssertSqlSafe(format!(
            "SELECT {BACKUP_COLUMNS} FROM backups WHERE bureau_id = $1 ORDER BY started_at DESC, id DESC LIMIT $2"
        )))
        .bind(bureau_id)
        .bind(limit)
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(backup_row).collect()
    }

    /// The latest backup that passed verification.
    pub async fn last_passed_backup(&self, bureau_id: &str) -> Result<Option<BackupRow>> {
        let row = sqlx::query(AssertSqlSafe(format!(
            "SELECT {BACKUP_COLUMNS} FROM backups WHERE bureau_id = $1 AND verification = 'passed' ORDER BY started_at DESC, id DESC LIMIT 1"
        )))
        .bind(bureau_id)
        .fetch_optional(self.pool())
        .await?;
        row.as_ref().map(backup_row).transpose()
    }

    /// Backups of `kind` whose file is still kept, latest first.
    pub async fn kept_backups(&self, bureau_id: &str, kind: &str) -> Result<Vec<BackupRow>> {
        let rows = sqlx::query(AssertSqlSafe(format!(
            "SELECT {BACKUP_COLUMNS} FROM backups WHERE bureau_id = $1 AND kind = $2 AND removed_at IS NULL ORDER BY started_at DESC, id DESC"
        )))
        .bind(bureau_id)
        .bind(kind)
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(backup_row).collect()
    }

    /// Records that retention deleted a backup's file.
    pub async fn mark_backup_removed(&self, tx: &mut Tx, id: &str, at: &str) -> Result<()> {
        sqlx::query("UPDATE backups SET removed_at = $1 WHERE id = $2")
            .bind(at)
            .bind(id)
            .execute(&mut **tx)
            .await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(name: &str, refs: &[&str]) -> Table {
        Table {
            name: name.into(),
            columns: Vec::new(),
            references: refs
                .iter()
                .map(|r| (format!("{r}_id"), r.to_string()))
                .collect(),
        }
    }

    #[test]
    fn tables_come_after_those_they_refer_to() {
        let order = dependency_order(vec![
            table("events", &["petitions", "bureaus"]),
            table("petitions", &["bureaus", "users", "petitions"]),
            table("users", &["bureaus", "units"]),
            table("units", &["bureaus"]),
            table("bureaus", &[]),
            table("a", &["b"]),
            table("b", &["a"]),
        ]);
        let names: Vec<&str> = order.iter().map(|t| t.name.as_str()).collect();
        assert_eq!(
            names,
            ["bureaus", "units", "users", "petitions", "events", "a", "b"],
            "a self-reference does not hold a table back; a circle comes last"
        );
    }

    type Row6 = (
        String,
        Option<String>,
        Option<i64>,
        Option<f64>,
        Option<Vec<u8>>,
        Option<String>,
    );

    /// Rows of every type, a reference to a later row of the same table, out through a
    /// snapshot and into another database.
    #[tokio::test]
    async fn rows_go_out_and_back_in_whatever_their_order() {
        let dir = std::env::temp_dir().join(format!("xinfang-store-backup-{}", crate::new_id()));
        std::fs::create_dir_all(&dir).unwrap();
        let open = |name: &str| format!("sqlite://{}?mode=rwc", dir.join(name).display());
        let schema = "CREATE TABLE t (id TEXT PRIMARY KEY, parent TEXT REFERENCES t(id), n BIGINT, x DOUBLE PRECISION, b BLOB, note TEXT)";
        let source = Store::connect(&open("a.db"), 1).await.unwrap();
        sqlx::query(schema).execute(source.pool()).await.unwrap();
        sqlx::query("INSERT INTO t VALUES ('a', NULL, 1, 0.5, x'00ff', '甲'), ('b', 'c', NULL, NULL, NULL, NULL), ('c', 'a', 3, 2.0, NULL, 'x')")
            .execute(source.pool())
            .await
            .unwrap();
        let mut snap = source.snapshot().await.unwrap();
        let table = snap.tables.iter().find(|t| t.name == "t").unwrap().clone();
        assert!(table.columns[0].primary_key, "{table:?}");
        let rows: Vec<Vec<Value>> = snap.rows(&table).try_collect().await.unwrap();
        snap.close().await.unwrap();
        let target = Store::connect(&open("b.db"), 1).await.unwrap();
        sqlx::query(schema).execute(target.pool()).await.unwrap();
        // A restore goes into a migrated database, whose kept statistics' marks it clears.
        sqlx::query("CREATE TABLE statistics_pending (petition_id TEXT PRIMARY KEY)")
            .execute(target.pool())
            .await
            .unwrap();
        let mut restore = target
            .begin_restore(&[("t".to_string(), table.column_names())])
            .await
            .unwrap();
        restore.insert("t", rows).await.unwrap();
        restore.commit().await.unwrap();
        let back: Vec<Row6> = sqlx::query_as("SELECT id, parent, n, x, b, note FROM t ORDER BY id")
            .fetch_all(target.pool())
            .await
            .unwrap();
        assert_eq!(
            back,
            vec![
                (
                    "a".into(),
                    None,
                    Some(1),
                    Some(0.5),
                    Some(vec![0, 255]),
                    Some("甲".into())
                ),
                ("b".into(), Some("c".into()), None, None, None, None),
                (
                    "c".into(),
                    Some("a".into()),
                    Some(3),
                    Some(2.0),
                    None,
                    Some("x".into())
                ),
            ]
        );
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn declared_types_map_to_what_both_backends_hold() {
        for (t, k) in [
            ("BIGINT", ColumnKind::Integer),
            ("bigint", ColumnKind::Integer),
            ("INTEGER", ColumnKind::Integer),
            ("TEXT", ColumnKind::Text),
            ("character varying(20)", ColumnKind::Text),
            ("double precision", ColumnKind::Real),
            ("boolean", ColumnKind::Bool),
            ("bytea", ColumnKind::Bytes),
        ] {
            assert_eq!(ColumnKind::of_declared(t), Some(k), "{t}");
        }
        assert_eq!(ColumnKind::of_declared("tsvector"), None);
    }
}
