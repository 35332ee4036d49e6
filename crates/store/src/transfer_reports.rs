//! The transfer statistics table's facts (V5.1, L4.3): the petitions transferred to units, the
//! units' report deadlines, their filed reports and the reminders (催报) of late ones.

use sqlx::Row;

use crate::deadlines::{DeadlineRow, deadline_from};
use crate::{Result, Store, Tx, new_id, ts};

/// The rule of the units' periodic reports (`domain::deadline_rules::TRANSFER_REPORT_RULE`).
const RULE: &str = "transfer_report";

/// A petition transferred to a unit: when (RFC 3339 UTC).
#[derive(Debug, Clone)]
pub struct TransferRow {
    pub unit_id: String,
    pub petition_id: String,
    pub created_at: String,
}

/// A unit's filed report.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct TransferReportRow {
    pub id: String,
    pub unit_id: String,
    pub deadline_id: String,
    pub period_from: String,
    pub period_to: String,
    pub items: i64,
    pub reported_to_leaders: i64,
    pub assigned: i64,
    pub sent_to_departments: i64,
    pub handled_on_time: i64,
    pub note: String,
    pub filed_by: String,
    pub filed_at: String,
}

/// What a unit files.
#[derive(Debug, Clone)]
pub struct NewTransferReport<'a> {
    pub bureau_id: &'a str,
    pub unit_id: &'a str,
    pub deadline_id: &'a str,
    pub period_from: &'a str,
    pub period_to: &'a str,
    pub items: i64,
    pub reported_to_leaders: i64,
    pub assigned: i64,
    pub sent_to_departments: i64,
    pub handled_on_time: i64,
    pub note: &'a str,
    pub filed_by: &'a str,
}

impl Store {
    /// Petitions transferred (转送 records, by letter or by the window's 转送单) before `before`
    /// (a timestamp), optionally to one unit only. Letters only received are never transferred.
    pub async fn transfers_sent(
        &self,
        bureau_id: &str,
        before: &str,
        unit_id: Option<&str>,
    ) -> Result<Vec<TransferRow>> {
        let unit_cond = if unit_id.is_some() {
            " AND h.unit_id = $3"
        } else {
            ""
        };
        let q = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT h.unit_id, h.petition_id, h.created_at FROM handling_records h \
             WHERE h.bureau_id = $1 AND h.kind = 'transfer' AND h.created_at < $2{unit_cond} ORDER BY h.created_at, h.id"
        )))
        .bind(bureau_id)
        .bind(before);
        let q = match unit_id {
            Some(u) => q.bind(u),
            None => q,
        };
        let mut out = Vec::new();
        for r in q.fetch_all(self.pool()).await? {
            out.push(TransferRow {
                unit_id: r.try_get("unit_id")?,
                petition_id: r.try_get("petition_id")?,
                created_at: r.try_get("created_at")?,
            });
        }
        Ok(out)
    }

    /// The units that received a transfer in `[from, before)` (timestamps).
    pub async fn units_transferred_to(
        &self,
        bureau_id: &str,
        from: &str,
        before: &str,
    ) -> Result<Vec<String>> {
        let rows: Vec<(String,)> = sqlx::query_as(
            "SELECT DISTINCT unit_id FROM handling_records WHERE bureau_id = $1 AND kind = 'transfer' \
             AND created_at >= $2 AND created_at < $3 ORDER BY unit_id",
        )
        .bind(bureau_id)
        .bind(from)
        .bind(before)
        .fetch_all(self.pool())
        .await?;
        Ok(rows.into_iter().map(|r| r.0).collect())
    }

    /// The units' report deadlines (not cancelled), optionally one unit's, latest first.
    pub async fn transfer_report_deadlines(
        &self,
        bureau_id: &str,
        unit_id: Option<&str>,
    ) -> Result<Vec<DeadlineRow>> {
        let unit_cond = if unit_id.is_some() {
            " AND unit_id = $3"
        } else {
            ""
        };
        let q = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT * FROM deadlines WHERE bureau_id = $1 AND rule_code = $2 AND petition_id IS NULL \
             AND state <> 'cancelled'{unit_cond} ORDER BY started_on DESC, unit_id"
        )))
        .bind(bureau_id)
        .bind(RULE);
        let q = match unit_id {
            Some(u) => q.bind(u),
            None => q,
        };
        q.fetch_all(self.pool())
            .await?
            .iter()
            .map(deadline_from)
            .collect()
    }

    /// Stores a filed report; `Conflict` when the unit filed for that period already.
    pub async fn insert_transfer_report(
        &self,
        tx: &mut Tx,
        r: &NewTransferReport<'_>,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<String> {
        let id = new_id();
        sqlx::query(
            "INSERT INTO transfer_reports (id, bureau_id, unit_id, deadline_id, period_from, period_to, items, reported_to_leaders, assigned, sent_to_departments, handled_on_time, note, filed_by, filed_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)",
        )
        .bind(&id)
        .bind(r.bureau_id)
        .bind(r.unit_id)
        .bind(r.deadline_id)
        .bind(r.period_from)
        .bind(r.period_to)
        .bind(r.items)
        .bind(r.reported_to_leaders)
        .bind(r.assigned)
        .bind(r.sent_to_departments)
        .bind(r.handled_on_time)
        .bind(r.note)
        .bind(r.filed_by)
        .bind(ts(now))
        .execute(&mut **tx)
        .await
        .map_err(crate::conflict_if_unique)?;
        Ok(id)
    }

    /// The filed reports, optionally one unit's.
    pub async fn transfer_reports(
        &self,
        bureau_id: &str,
        unit_id: Option<&str>,
    ) -> Result<Vec<TransferReportRow>> {
        let unit_cond = if unit_id.is_some() {
            " AND unit_id = $2"
        } else {
            ""
        };
        let q = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT id, unit_id, deadline_id, period_from, period_to, items, reported_to_leaders, assigned, sent_to_departments, \
             handled_on_time, note, filed_by, filed_at FROM transfer_reports WHERE bureau_id = $1{unit_cond} ORDER BY period_from DESC, unit_id"
        )))
        .bind(bureau_id);
        let q = match unit_id {
            Some(u) => q.bind(u),
            None => q,
        };
        Ok(q.fetch_all(self.pool()).await?)
    }

    /// Records a reminder (催报) of a unit's report.
    #[allow(clippy::too_many_arguments)]
    pub async fn insert_transfer_report_reminder(
        &self,
        tx: &mut Tx,
        bureau_id: &str,
        deadline_id: &str,
        unit_id: &str,
        method: &str,
        note: &str,
        by: &str,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<String> {
        let id = new_id();
        sqlx::query(
            "INSERT INTO transfer_report_reminders (id, bureau_id, deadline_id, unit_id, method, note, reminded_by, reminded_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(&id)
        .bind(bureau_id)
        .bind(deadline_id)
        .bind(unit_id)
        .bind(method)
        .bind(note)
        .bind(by)
        .bind(ts(now))
        .execute(&mut **tx)
        .await?;
        Ok(id)
    }

    /// How many reminders each report deadline of the bureau had.
    pub async fn transfer_report_reminder_counts(
        &self,
        bureau_id: &str,
    ) -> Result<Vec<(String, i64)>> {
        Ok(sqlx::query_as(
            "SELECT deadline_id, COUNT(*) FROM transfer_report_reminders WHERE bureau_id = $1 GROUP BY deadline_id",
        )
        .bind(bureau_id)
        .fetch_all(self.pool())
        .await?)
    }
}
