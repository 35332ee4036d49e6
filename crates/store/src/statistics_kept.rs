//! The kept figures (migration 0030): each petition's dated contributions
//! (`domain::statistics::dated_contributions`) in `statistics_kept` and their totals per day in
//! `statistics_days`. Triggers mark a petition in `statistics_pending` whenever a row its facts
//! come from changes; `WriteTx::commit` calls [`refresh_pending`] so that the kept rows and the
//! day totals change in the transaction of the change itself. [`Store::recount_statistics`]
//! recomputes everything (the upgrade of an older database, `xinfang statistics recount`).

use std::collections::{BTreeMap, HashMap};

use sqlx::{AnyConnection, Row};
use xinfang_domain::statistics::{self as rules, Dated};

use crate::statistics::{counted_facts, statistics_rows_where};
use crate::{Result, Store};

/// Petitions recomputed per statement batch.
const BATCH: usize = 500;

/// One kept row: bureau, petition and its dated contribution.
type KeptRow = (String, String, Dated);

/// Recomputes the petitions marked in this transaction, replacing their kept rows and adjusting
/// the day totals by the difference; clears the marks.
pub(crate) async fn refresh_pending(conn: &mut AnyConnection) -> Result<()> {
    let ids: Vec<(String,)> =
        sqlx::query_as("SELECT petition_id FROM statistics_pending ORDER BY petition_id")
            .fetch_all(&mut *conn)
            .await?;
    if ids.is_empty() {
        return Ok(());
    }
    sqlx::query("DELETE FROM statistics_pending")
        .execute(&mut *conn)
        .await?;
    let ids: Vec<String> = ids.into_iter().map(|r| r.0).collect();
    for chunk in ids.chunks(BATCH) {
        replace(conn, chunk, true).await?;
    }
    Ok(())
}

fn placeholders(from: usize, n: usize) -> String {
    (from..from + n)
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The kept rows of these petitions, recomputed from their facts now.
async fn computed(conn: &mut AnyConnection, ids: &[String]) -> Result<Vec<KeptRow>> {
    let rows = statistics_rows_where(
        conn,
        &format!("p.id IN ({})", placeholders(1, ids.len())),
        ids,
    )
    .await?;
    let bureau_of: HashMap<String, String> = rows
        .petitions
        .iter()
        .map(|p| (p.id.clone(), p.bureau_id.clone()))
        .collect();
    let mut out = Vec::new();
    for f in counted_facts(rows, None) {
        let bureau = bureau_of.get(&f.petition_id).cloned().unwrap_or_default();
        for d in rules::dated_contributions(&f) {
            out.push((bureau.clone(), f.petition_id.clone(), d));
        }
    }
    Ok(out)
}

/// Replaces the kept rows of `ids`; with `adjust_days`, moves the day totals by the
/// difference (a recount rebuilds them at its end instead).
async fn replace(conn: &mut AnyConnection, ids: &[String], adjust_days: bool) -> Result<()> {
    let new = computed(conn, ids).await?;
    // Day totals by (bureau, anchor, key, effective): + new − old. Ordered, so concurrent
    // writers lock the rows they share in one order.
    let mut delta: BTreeMap<(String, String, String, String), i64> = BTreeMap::new();
    if adjust_days {
        let sql = format!(
            "SELECT bureau_id, key, anchor_on, effective_on, amount FROM statistics_kept WHERE petition_id IN ({})",
            placeholders(1, ids.len())
        );
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
        for id in ids {
            q = q.bind(id.clone());
        }
        for r in q.fetch_all(&mut *conn).await? {
            let k = (
                r.try_get::<String, _>("bureau_id")?,
                r.try_get::<String, _>("anchor_on")?,
                r.try_get::<String, _>("key")?,
                r.try_get::<String, _>("effective_on")?,
            );
            *delta.entry(k).or_insert(0) -= r.try_get::<i64, _>("amount")?;
        }
        for (b, _, d) in &new {
            let k = (
                b.clone(),
                d.anchor_on.to_string(),
                d.key.clone(),
                d.effective_on.to_string(),
            );
            *delta.entry(k).or_insert(0) += d.amount;
        }
    }
    let sql = format!(
        "DELETE FROM statistics_kept WHERE petition_id IN ({})",
        placeholders(1, ids.len())
    );
    let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
    for id in ids {
        q = q.bind(id.clone());
    }
    q.execute(&mut *conn).await?;
    insert_kept(conn, &new).await?;
    let delta: Vec<_> = delta.into_iter().filter(|(_, n)| *n != 0).collect();
    for chunk in delta.chunks(BATCH) {
        let values = (0..chunk.len())
            .map(|i| format!("({})", placeholders(i * 5 + 1, 5)))
            .collect::<Vec<_>>()
            .join(", ");
        // A total that falls to 0 stays as a row of 0: it adds nothing to a sum.
        let sql = format!(
            "INSERT INTO statistics_days (bureau_id, anchor_on, key, effective_on, amount) VALUES {values} \
             ON CONFLICT (bureau_id, anchor_on, key, effective_on) DO UPDATE SET amount = statistics_days.amount + excluded.amount"
        );
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
        for ((b, a, k, e), n) in chunk {
            q = q
                .bind(b.clone())
                .bind(a.clone())
                .bind(k.clone())
                .bind(e.clone())
                .bind(*n);
        }
        q.execute(&mut *conn).await?;
    }
    Ok(())
}

async fn insert_kept(conn: &mut AnyConnection, rows: &[KeptRow]) -> Result<()> {
    for chunk in rows.chunks(BATCH) {
        let values = (0..chunk.len())
            .map(|i| format!("({})", placeholders(i * 6 + 1, 6)))
            .collect::<Vec<_>>()
            .join(", ");
        let sql = format!(
            "INSERT INTO statistics_kept (bureau_id, petition_id, key, anchor_on, effective_on, amount) VALUES {values}"
        );
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
        for (b, p, d) in chunk {
            q = q
                .bind(b.clone())
                .bind(p.clone())
                .bind(d.key.clone())
                .bind(d.anchor_on.to_string())
                .bind(d.effective_on.to_string())
                .bind(d.amount);
        }
        q.execute(&mut *conn).await?;
    }
    Ok(())
}

/// One petition behind a figure: the day it is anchored on and its id (a drill-down's order
/// and its page cursor).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeptMember {
    pub anchor_on: String,
    pub petition_id: String,
}

/// Which petitions' kept rows a sum or a drill-down reads.
#[derive(Debug, Clone, Copy)]
pub enum KeptScope<'a> {
    Bureau,
    /// The petitions with a record of this unit.
    Unit(&'a str),
}

impl Store {
    /// Each figure's total over the days `from`..=`to`, counting what was true by `to`.
    pub async fn kept_totals(
        &self,
        bureau_id: &str,
        scope: KeptScope<'_>,
        from: &str,
        to: &str,
    ) -> Result<Vec<(String, i64)>> {
        let rows: Vec<(String, i64)> = match scope {
            KeptScope::Bureau => {
                sqlx::query_as(
                    "SELECT key, CAST(SUM(amount) AS BIGINT) FROM statistics_days \
                     WHERE bureau_id = $1 AND anchor_on >= $2 AND anchor_on <= $3 AND effective_on <= $3 GROUP BY key",
                )
                .bind(bureau_id)
                .bind(from)
                .bind(to)
                .fetch_all(self.pool())
                .await?
            }
            KeptScope::Unit(unit) => {
                sqlx::query_as(
                    "SELECT k.key, CAST(SUM(k.amount) AS BIGINT) FROM statistics_kept k \
                     WHERE k.petition_id IN (SELECT h.petition_id FROM handling_records h WHERE h.unit_id = $4) \
                     AND k.bureau_id = $1 AND k.anchor_on >= $2 AND k.anchor_on <= $3 AND k.effective_on <= $3 GROUP BY k.key",
                )
                .bind(bureau_id)
                .bind(from)
                .bind(to)
                .bind(unit)
                .fetch_all(self.pool())
                .await?
            }
        };
        Ok(rows)
    }

    /// How many petitions are behind a figure in the range, and its amount (persons for 人次).
    pub async fn kept_member_count(
        &self,
        bureau_id: &str,
        scope: KeptScope<'_>,
        key: &str,
        from: &str,
        to: &str,
    ) -> Result<(i64, i64)> {
        let (unit_cond, unit) = unit_condition(scope);
        let sql = format!(
            "SELECT COUNT(*), CAST(COALESCE(SUM(k.amount), 0) AS BIGINT) FROM statistics_kept k \
             WHERE k.bureau_id = $1 AND k.key = $2 AND k.anchor_on >= $3 AND k.anchor_on <= $4 AND k.effective_on <= $4{unit_cond}"
        );
        let mut q = sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(bureau_id)
            .bind(key)
            .bind(from)
            .bind(to);
        if let Some(u) = unit {
            q = q.bind(u);
        }
        Ok(q.fetch_one(self.pool()).await?)
    }

    /// A page of the petitions behind a figure in the range, in order of anchor day and id,
    /// after `after` (the last row of the previous page).
    #[allow(clippy::too_many_arguments)]
    pub async fn kept_members(
        &self,
        bureau_id: &str,
        scope: KeptScope<'_>,
        key: &str,
        from: &str,
        to: &str,
        after: Option<&KeptMember>,
        limit: i64,
    ) -> Result<Vec<KeptMember>> {
        let (unit_cond, unit) = unit_condition(scope);
        let (after_cond, n) = if after.is_some() {
            (
                " AND (k.anchor_on > $6 OR (k.anchor_on = $6 AND k.petition_id > $7))",
                7,
            )
        } else {
            ("", 5)
        };
        let unit_cond = unit_cond.replace("$5", &format!("${}", n + 1));
        let sql = format!(
            "SELECT k.anchor_on, k.petition_id FROM statistics_kept k \
             WHERE k.bureau_id = $1 AND k.key = $2 AND k.anchor_on >= $3 AND k.anchor_on <= $4 AND k.effective_on <= $4{after_cond}{unit_cond} \
             ORDER BY k.anchor_on, k.petition_id LIMIT $5"
        );
        let mut q = sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(bureau_id)
            .bind(key)
            .bind(from)
            .bind(to)
            .bind(limit);
        if let Some(a) = after {
            q = q.bind(a.anchor_on.clone()).bind(a.petition_id.clone());
        }
        if let Some(u) = unit {
            q = q.bind(u);
        }
        let rows: Vec<(String, String)> = q.fetch_all(self.pool()).await?;
        Ok(rows
            .into_iter()
            .map(|(anchor_on, petition_id)| KeptMember {
                anchor_on,
                petition_id,
            })
            .collect())
    }

    /// The definition the kept rows were computed with, if any.
    pub async fn kept_version(&self) -> Result<Option<i64>> {
        let v: Option<(i64,)> =
            sqlx::query_as("SELECT version FROM statistics_version WHERE id = 1")
                .fetch_optional(self.pool())
                .await?;
        Ok(v.map(|r| r.0))
    }

    /// Recounts the kept statistics when they were computed with an older definition or never
    /// (a database upgraded from before they were kept). Run by `migrate`.
    pub async fn recount_statistics_if_stale(&self) -> Result<Option<u64>> {
        if self
            .kept_version()
            .await?
            .is_some_and(|v| v >= rules::KEPT_VERSION)
        {
            return Ok(None);
        }
        let started = std::time::Instant::now();
        let n = self.recount_statistics(&|_, _| {}).await?;
        tracing::info!(
            petitions = n,
            seconds = started.elapsed().as_secs_f64(),
            "statistics recounted"
        );
        Ok(Some(n))
    }

    /// Recomputes every petition's kept rows in batches (each its own transaction, reporting
    /// `progress(done, total)`), then rebuilds the day totals from them and records the
    /// definition's version. Returns the petitions recounted.
    pub async fn recount_statistics(&self, progress: &(dyn Fn(u64, u64) + Sync)) -> Result<u64> {
        let (total,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM petitions")
            .fetch_one(self.pool())
            .await?;
        let total = u64::try_from(total).unwrap_or(0);
        let mut done = 0u64;
        let mut last = String::new();
        const STEP: i64 = 2000;
        loop {
            let ids: Vec<(String,)> =
                sqlx::query_as("SELECT id FROM petitions WHERE id > $1 ORDER BY id LIMIT $2")
                    .bind(&last)
                    .bind(STEP)
                    .fetch_all(self.pool())
                    .await?;
            let Some((l,)) = ids.last() else { break };
            last = l.clone();
            let ids: Vec<String> = ids.into_iter().map(|r| r.0).collect();
            let mut tx = self.begin().await?;
            for chunk in ids.chunks(BATCH) {
                replace(&mut tx, chunk, false).await?;
            }
            tx.commit().await?;
            done += ids.len() as u64;
            progress(done, total);
        }
        let mut tx = self.begin().await?;
        // Rows of petitions no longer there (none are deleted today) would count forever.
        sqlx::query(
            "DELETE FROM statistics_kept WHERE petition_id NOT IN (SELECT id FROM petitions)",
        )
        .execute(&mut **tx)
        .await?;
        sqlx::query("DELETE FROM statistics_days")
            .execute(&mut **tx)
            .await?;
        sqlx::query(
            "INSERT INTO statistics_days (bureau_id, anchor_on, key, effective_on, amount) \
             SELECT bureau_id, anchor_on, key, effective_on, SUM(amount) FROM statistics_kept \
             GROUP BY bureau_id, anchor_on, key, effective_on",
        )
        .execute(&mut **tx)
        .await?;
        sqlx::query("DELETE FROM statistics_version")
            .execute(&mut **tx)
            .await?;
        sqlx::query("INSERT INTO statistics_version (id, version) VALUES (1, $1)")
            .bind(rules::KEPT_VERSION)
            .execute(&mut **tx)
            .await?;
        tx.commit().await?;
        Ok(done)
    }
}

/// The condition that keeps a unit's petitions, its unit bound as `$5`.
fn unit_condition(scope: KeptScope<'_>) -> (&'static str, Option<&str>) {
    match scope {
        KeptScope::Bureau => ("", None),
        KeptScope::Unit(u) => (
            " AND k.petition_id IN (SELECT h.petition_id FROM handling_records h WHERE h.unit_id = $5)",
            Some(u),
        ),
    }
}
