//! Supervision items (督办事项) and their actions (rules §5, lifecycle §2).

use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::{Result, Store, StoreError, Tx, flag, new_id, ts};

#[derive(Debug, Clone, Serialize)]
pub struct SupervisionItem {
    pub id: String,
    /// None for an item about a unit's work rather than one petition (its periodic reports).
    pub petition_id: Option<String>,
    pub handling_record_id: Option<String>,
    pub unit_id: Option<String>,
    pub deadline_id: Option<String>,
    pub trigger_kind: String,
    pub automatic: bool,
    pub state: String,
    pub note: String,
    pub opened_at: String,
    pub opened_by: Option<String>,
    pub action_count: i64,
    pub answer_due: Option<String>,
    pub answer: Option<String>,
    pub answered_at: Option<String>,
    pub escalated_at: Option<String>,
    pub project_approved_by: Option<String>,
    pub project_approved_at: Option<String>,
    pub resolved_at: Option<String>,
    /// Joined for lists (None with no petition).
    pub petition_no: Option<String>,
    pub channel: Option<String>,
    pub unit_name: Option<String>,
}

fn item_from(r: &AnyRow) -> Result<SupervisionItem> {
    Ok(SupervisionItem {
        id: r.try_get("id")?,
        petition_id: r.try_get("petition_id")?,
        handling_record_id: r.try_get("handling_record_id")?,
        unit_id: r.try_get("unit_id")?,
        deadline_id: r.try_get("deadline_id")?,
        trigger_kind: r.try_get("trigger_kind")?,
        automatic: r.try_get::<i64, _>("automatic")? != 0,
        state: r.try_get("state")?,
        note: r.try_get("note")?,
        opened_at: r.try_get("opened_at")?,
        opened_by: r.try_get("opened_by")?,
        action_count: r.try_get("action_count")?,
        answer_due: r.try_get("answer_due")?,
        answer: r.try_get("answer")?,
        answered_at: r.try_get("answered_at")?,
        escalated_at: r.try_get("escalated_at")?,
        project_approved_by: r.try_get("project_approved_by")?,
        project_approved_at: r.try_get("project_approved_at")?,
        resolved_at: r.try_get("resolved_at")?,
        petition_no: r.try_get("petition_no")?,
        channel: r.try_get("channel")?,
        unit_name: r.try_get("unit_name")?,
    })
}

const ITEM_SELECT: &str = "SELECT s.*, p.petition_no, p.channel, u.name AS unit_name FROM supervision_items s LEFT JOIN petitions p ON p.id = s.petition_id LEFT JOIN units u ON u.id = s.unit_id";

#[derive(Debug, Clone, Serialize)]
pub struct SupervisionAction {
    pub id: String,
    pub item_id: String,
    /// `supervise`, `answer`, `escalate`, `project`, `resolve`, `raised`
    pub kind: String,
    pub method: Option<String>,
    pub note: String,
    pub actor_id: String,
    pub actor_name: Option<String>,
    pub actor_role: String,
    pub at: String,
    pub answer_due: Option<String>,
    pub document_id: Option<String>,
}

/// A new item.
#[derive(Debug, Clone)]
pub struct NewItem<'a> {
    pub bureau_id: &'a str,
    pub petition_id: Option<&'a str>,
    pub handling_record_id: Option<&'a str>,
    pub unit_id: Option<&'a str>,
    pub deadline_id: Option<&'a str>,
    pub trigger_kind: &'a str,
    pub automatic: bool,
    /// Unique per bureau when set: an automatic trigger is raised once.
    pub trigger_key: Option<&'a str>,
    pub note: &'a str,
    pub opened_by: Option<&'a str>,
    /// `open`, or `proposed` for a trigger a leader must approve first.
    pub state: &'a str,
}

/// A new action.
#[derive(Debug, Clone)]
pub struct NewAction<'a> {
    pub bureau_id: &'a str,
    pub item_id: &'a str,
    pub kind: &'a str,
    pub method: Option<&'a str>,
    pub note: &'a str,
    pub actor_id: &'a str,
    pub actor_role: &'a str,
    pub answer_due: Option<&'a str>,
    pub document_id: Option<&'a str>,
}

impl Store {
    /// Inserts an item; `Ok(None)` when its trigger key was already raised (by another instance
    /// or an earlier run), so raising is idempotent.
    pub async fn insert_supervision_item(
        &self,
        tx: &mut Tx,
        n: &NewItem<'_>,
        now: DateTime<Utc>,
    ) -> Result<Option<String>> {
        let id = new_id();
        let r = sqlx::query(
            "INSERT INTO supervision_items (id, bureau_id, petition_id, handling_record_id, unit_id, deadline_id, trigger_kind, automatic, trigger_key, state, note, opened_at, opened_by, action_count, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $14, $10, $11, $12, 0, $13) ON CONFLICT (bureau_id, trigger_key) DO NOTHING",
        )
        .bind(&id)
        .bind(n.bureau_id)
        .bind(n.petition_id)
        .bind(n.handling_record_id)
        .bind(n.unit_id)
        .bind(n.deadline_id)
        .bind(n.trigger_kind)
        .bind(flag(n.automatic))
        .bind(n.trigger_key)
        .bind(n.note)
        .bind(ts(now))
        .bind(n.opened_by)
        .bind(ts(now))
        .bind(n.state)
        .execute(&mut **tx)
        .await?;
        Ok((r.rows_affected() == 1).then_some(id))
    }

    pub async fn supervision_item(&self, bureau_id: &str, id: &str) -> Result<SupervisionItem> {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "{ITEM_SELECT} WHERE s.bureau_id = $1 AND s.id = $2"
        )))
        .bind(bureau_id)
        .bind(id)
        .fetch_optional(self.pool())
        .await?;
        row.as_ref()
            .map(item_from)
            .transpose()?
            .ok_or(StoreError::NotFound)
    }

    /// Items in the given states, optionally of one unit, newest first.
    pub async fn supervision_items(
        &self,
        bureau_id: &str,
        states: &[&str],
        unit_id: Option<&str>,
        limit: i64,
    ) -> Result<Vec<SupervisionItem>> {
        let mut sql = format!("{ITEM_SELECT} WHERE s.bureau_id = $1");
        let mut args = vec![bureau_id.to_string()];
        if !states.is_empty() {
            let ph: Vec<String> = states
                .iter()
                .map(|s| {
                    args.push((*s).to_string());
                    format!("${}", args.len())
                })
                .collect();
            sql.push_str(&format!(" AND s.state IN ({})", ph.join(", ")));
        }
        if let Some(u) = unit_id {
            args.push(u.to_string());
            sql.push_str(&format!(" AND s.unit_id = ${}", args.len()));
        }
        sql.push_str(&format!(
            " ORDER BY s.opened_at DESC, s.id DESC LIMIT {}",
            limit.clamp(1, 1000)
        ));
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
        for a in &args {
            q = q.bind(a);
        }
        let rows = q.fetch_all(self.pool()).await?;
        rows.iter().map(item_from).collect()
    }

    pub async fn supervision_items_of(&self, petition_id: &str) -> Result<Vec<SupervisionItem>> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "{ITEM_SELECT} WHERE s.petition_id = $1 ORDER BY s.opened_at, s.id"
        )))
        .bind(petition_id)
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(item_from).collect()
    }

    pub async fn insert_supervision_action(
        &self,
        tx: &mut Tx,
        a: &NewAction<'_>,
        now: DateTime<Utc>,
    ) -> Result<String> {
        let id = new_id();
        sqlx::query(
            "INSERT INTO supervision_actions (id, bureau_id, item_id, kind, method, note, actor_id, actor_role, at, answer_due, document_id) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
        )
        .bind(&id)
        .bind(a.bureau_id)
        .bind(a.item_id)
        .bind(a.kind)
        .bind(a.method)
        .bind(a.note)
        .bind(a.actor_id)
        .bind(a.actor_role)
        .bind(ts(now))
        .bind(a.answer_due)
        .bind(a.document_id)
        .execute(&mut **tx)
        .await?;
        Ok(id)
    }

    pub async fn supervision_actions(&self, item_id: &str) -> Result<Vec<SupervisionAction>> {
        let rows = sqlx::query(
            "SELECT a.*, u.display_name AS actor_name FROM supervision_actions a LEFT JOIN users u ON u.id = a.actor_id WHERE a.item_id = $1 ORDER BY a.at, a.id",
        )
        .bind(item_id)
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|r| {
                Ok(SupervisionAction {
                    id: r.try_get("id")?,
                    item_id: r.try_get("item_id")?,
                    kind: r.try_get("kind")?,
                    method: r.try_get("method")?,
                    note: r.try_get("note")?,
                    actor_id: r.try_get("actor_id")?,
                    actor_name: r.try_get("actor_name")?,
                    actor_role: r.try_get("actor_role")?,
                    at: r.try_get("at")?,
                    answer_due: r.try_get("answer_due")?,
                    document_id: r.try_get("document_id")?,
                })
            })
            .collect()
    }

    /// After a supervision: one more action, the answer due, the state (open or escalated).
    /// Guarded by the expected state and count so a concurrent change fails with `Conflict`.
    #[allow(clippy::too_many_arguments)]
    pub async fn record_supervision(
        &self,
        tx: &mut Tx,
        id: &str,
        expected_state: &str,
        expected_count: i64,
        new_state: &str,
        answer_due: &str,
        escalated: bool,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let r = sqlx::query(
            "UPDATE supervision_items SET action_count = action_count + 1, answer_due = $1, answer = NULL, answered_at = NULL, answered_by = NULL, state = $2, escalated_at = CASE WHEN $3 = 1 THEN $4 ELSE escalated_at END, updated_at = $5 \
             WHERE id = $6 AND state = $7 AND action_count = $8",
        )
        .bind(answer_due)
        .bind(new_state)
        .bind(flag(escalated))
        .bind(ts(now))
        .bind(ts(now))
        .bind(id)
        .bind(expected_state)
        .bind(expected_count)
        .execute(&mut **tx)
        .await?;
        if r.rows_affected() == 0 {
            return Err(StoreError::Conflict);
        }
        Ok(())
    }

    pub async fn answer_supervision(
        &self,
        tx: &mut Tx,
        id: &str,
        answer: &str,
        user_id: &str,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let r = sqlx::query("UPDATE supervision_items SET answer = $1, answered_at = $2, answered_by = $3, updated_at = $4 WHERE id = $5 AND state <> 'resolved'")
            .bind(answer)
            .bind(ts(now))
            .bind(user_id)
            .bind(ts(now))
            .bind(id)
            .execute(&mut **tx)
            .await?;
        if r.rows_affected() == 0 {
            return Err(StoreError::Conflict);
        }
        Ok(())
    }

    /// Moves an item from one state to another (escalated → project, any open → resolved).
    pub async fn set_supervision_state(
        &self,
        tx: &mut Tx,
        id: &str,
        from: &str,
        to: &str,
        user_id: &str,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let sql = match to {
            "project" => {
                "UPDATE supervision_items SET state = $1, project_approved_by = $2, project_approved_at = $3, updated_at = $4 WHERE id = $5 AND state = $6"
            }
            "resolved" => {
                "UPDATE supervision_items SET state = $1, resolved_by = $2, resolved_at = $3, updated_at = $4 WHERE id = $5 AND state = $6"
            }
            _ => {
                "UPDATE supervision_items SET state = $1, escalated_at = CASE WHEN $2 = '' THEN escalated_at ELSE $3 END, updated_at = $4 WHERE id = $5 AND state = $6"
            }
        };
        let r = sqlx::query(sql)
            .bind(to)
            .bind(user_id)
            .bind(ts(now))
            .bind(ts(now))
            .bind(id)
            .bind(from)
            .execute(&mut **tx)
            .await?;
        if r.rows_affected() == 0 {
            return Err(StoreError::Conflict);
        }
        Ok(())
    }

    /// The lead handling record of a petition and its unit, if any (for the repeat trigger).
    pub async fn lead_handling_record(
        &self,
        tx: &mut Tx,
        petition_id: &str,
    ) -> Result<Option<(String, String)>> {
        let row: Option<(String, String)> = sqlx::query_as(
            "SELECT id, unit_id FROM handling_records WHERE petition_id = $1 ORDER BY lead DESC, created_at DESC, id LIMIT 1",
        )
        .bind(petition_id)
        .fetch_optional(&mut **tx)
        .await?;
        Ok(row)
    }
}
