//! Drafted documents and their workflow steps (migration 0006). Every state change is a
//! conditional UPDATE on the row's `version`: a concurrent change makes it fail with
//! [`StoreError::Conflict`] instead of overwriting.

use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::{Result, Store, StoreError, Tx, new_id, ts};

#[derive(Debug, Clone, Serialize)]
pub struct DraftRow {
    pub id: String,
    pub bureau_id: String,
    pub petition_id: Option<String>,
    pub kind: String,
    pub doc_no: Option<String>,
    pub state: String,
    pub template_version: String,
    /// The template data of the latest rendering.
    pub data: serde_json::Value,
    /// `{"context": …, "fields": …}` of a drafted document (null for window slips).
    pub draft: serde_json::Value,
    pub version: i64,
    pub pdf_hash: Option<String>,
    pub pdf_size: Option<i64>,
    pub docx_hash: Option<String>,
    pub docx_size: Option<i64>,
    pub supersedes: Option<String>,
    pub superseded_by: Option<String>,
    pub signed_off_by: Option<String>,
    pub signed_off_at: Option<String>,
    pub font_warnings: Vec<String>,
    pub created_by: String,
    pub created_at: String,
    pub updated_at: Option<String>,
    pub issued_at: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct StepRow {
    pub action: String,
    pub from_state: String,
    pub to_state: String,
    pub comment: String,
    pub actor_id: String,
    pub actor_name: String,
    pub actor_role: String,
    pub at: String,
}

fn json_col(r: &AnyRow, col: &str) -> Result<serde_json::Value> {
    let s: Option<String> = r.try_get(col)?;
    match s {
        None => Ok(serde_json::Value::Null),
        Some(s) => serde_json::from_str(&s).map_err(|e| StoreError::Corrupt(e.to_string())),
    }
}

fn draft_from(r: &AnyRow) -> Result<DraftRow> {
    let warnings = json_col(r, "font_warnings")?;
    Ok(DraftRow {
        id: r.try_get("id")?,
        bureau_id: r.try_get("bureau_id")?,
        petition_id: r.try_get("petition_id")?,
        kind: r.try_get("kind")?,
        doc_no: r.try_get("doc_no")?,
        state: r.try_get("state")?,
        template_version: r.try_get("template_version")?,
        data: json_col(r, "data")?,
        draft: json_col(r, "draft")?,
        version: r.try_get("version")?,
        pdf_hash: r.try_get("pdf_hash")?,
        pdf_size: r.try_get("pdf_size")?,
        docx_hash: r.try_get("docx_hash")?,
        docx_size: r.try_get("docx_size")?,
        supersedes: r.try_get("supersedes")?,
        superseded_by: r.try_get("superseded_by")?,
        signed_off_by: r.try_get("signed_off_by")?,
        signed_off_at: r.try_get("signed_off_at")?,
        font_warnings: serde_json::from_value(warnings).unwrap_or_default(),
        created_by: r.try_get("created_by")?,
        created_at: r.try_get("created_at")?,
        updated_at: r.try_get("updated_at")?,
        issued_at: r.try_get("issued_at")?,
    })
}

pub struct NewDraft<'a> {
    pub bureau_id: &'a str,
    pub petition_id: Option<&'a str>,
    pub kind: &'a str,
    pub template_version: &'a str,
    pub data: &'a serde_json::Value,
    pub draft: &'a serde_json::Value,
    pub font_warnings: &'a [String],
    pub supersedes: Option<&'a str>,
    pub created_by: &'a str,
}

/// What sign-off writes: the number and the final files.
pub struct SignedFiles<'a> {
    pub doc_no: Option<&'a str>,
    pub template_version: &'a str,
    pub data: &'a serde_json::Value,
    pub pdf_hash: &'a str,
    pub pdf_size: i64,
    pub docx_hash: &'a str,
    pub docx_size: i64,
    pub signed_off_by: &'a str,
}

fn check_one(rows: u64) -> Result<()> {
    if rows == 1 {
        Ok(())
    } else {
        Err(StoreError::Conflict)
    }
}

impl Store {
    pub async fn insert_draft(
        &self,
        tx: &mut Tx,
        d: &NewDraft<'_>,
        now: DateTime<Utc>,
    ) -> Result<String> {
        let id = new_id();
        sqlx::query(
            "INSERT INTO documents (id, bureau_id, petition_id, kind, doc_no, state, template_version, data, draft, version, font_warnings, supersedes, created_by, created_at, updated_at) VALUES ($1, $2, $3, $4, NULL, 'draft', $5, $6, $7, 0, $8, $9, $10, $11, $12)",
        )
        .bind(&id)
        .bind(d.bureau_id)
        .bind(d.petition_id)
        .bind(d.kind)
        .bind(d.template_version)
        .bind(d.data.to_string())
        .bind(d.draft.to_string())
        .bind(serde_json::to_string(d.font_warnings).unwrap_or_else(|_| "[]".into()))
        .bind(d.supersedes)
        .bind(d.created_by)
        .bind(ts(now))
        .bind(ts(now))
        .execute(&mut **tx)
        .await?;
        Ok(id)
    }

    pub async fn draft(&self, bureau_id: &str, id: &str) -> Result<DraftRow> {
        let row = sqlx::query("SELECT * FROM documents WHERE bureau_id = $1 AND id = $2")
            .bind(bureau_id)
            .bind(id)
            .fetch_optional(self.pool())
            .await?
            .ok_or(StoreError::NotFound)?;
        draft_from(&row)
    }

    /// Documents of a petition, oldest first, with their workflow columns.
    pub async fn drafts_of(&self, petition_id: &str) -> Result<Vec<DraftRow>> {
        let rows =
            sqlx::query("SELECT * FROM documents WHERE petition_id = $1 ORDER BY created_at, id")
                .bind(petition_id)
                .fetch_all(self.pool())
                .await?;
        rows.iter().map(draft_from).collect()
    }

    /// Documents of the bureau in one of `states` (newest first, at most `limit`).
    pub async fn drafts_in_states(
        &self,
        bureau_id: &str,
        states: &[&str],
        limit: i64,
    ) -> Result<Vec<DraftRow>> {
        let mut out = Vec::new();
        for s in states {
            let rows = sqlx::query(
                "SELECT * FROM documents WHERE bureau_id = $1 AND state = $2 AND draft IS NOT NULL ORDER BY created_at DESC, id LIMIT $3",
            )
            .bind(bureau_id)
            .bind(*s)
            .bind(limit)
            .fetch_all(self.pool())
            .await?;
            for r in &rows {
                out.push(draft_from(r)?);
            }
        }
        out.sort_by(|a, b| b.created_at.cmp(&a.created_at));
        Ok(out)
    }

    /// Saves edited fields and the re-rendered draft data (only while `version` is unchanged).
    #[allow(clippy::too_many_arguments)]
    pub async fn update_draft(
        &self,
        tx: &mut Tx,
        id: &str,
        version: i64,
        data: &serde_json::Value,
        draft: &serde_json::Value,
        template_version: &str,
        font_warnings: &[String],
        now: DateTime<Utc>,
    ) -> Result<()> {
        let r = sqlx::query(
            "UPDATE documents SET data = $1, draft = $2, template_version = $3, font_warnings = $4, updated_at = $5, version = version + 1 WHERE id = $6 AND version = $7",
        )
        .bind(data.to_string())
        .bind(draft.to_string())
        .bind(template_version)
        .bind(serde_json::to_string(font_warnings).unwrap_or_else(|_| "[]".into()))
        .bind(ts(now))
        .bind(id)
        .bind(version)
        .execute(&mut **tx)
        .await?;
        check_one(r.rows_affected())
    }

    /// Moves the document from `from` to `to` (only while `version` is unchanged).
    pub async fn set_document_state(
        &self,
        tx: &mut Tx,
        id: &str,
        version: i64,
        from: &str,
        to: &str,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let issued = (to == "issued").then(|| ts(now));
        let r = sqlx::query(
            "UPDATE documents SET state = $1, updated_at = $2, issued_at = COALESCE($3, issued_at), version = version + 1 WHERE id = $4 AND version = $5 AND state = $6",
        )
        .bind(to)
        .bind(ts(now))
        .bind(issued)
        .bind(id)
        .bind(version)
        .bind(from)
        .execute(&mut **tx)
        .await?;
        check_one(r.rows_affected())
    }

    /// Records the number and final files of a document that was just moved to `signed_off`.
    pub async fn record_signed_files(
        &self,
        tx: &mut Tx,
        id: &str,
        f: &SignedFiles<'_>,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let r = sqlx::query(
            "UPDATE documents SET doc_no = $1, template_version = $2, data = $3, pdf_hash = $4, pdf_size = $5, docx_hash = $6, docx_size = $7, signed_off_by = $8, signed_off_at = $9 WHERE id = $10 AND state = 'signed_off' AND pdf_hash IS NULL",
        )
        .bind(f.doc_no)
        .bind(f.template_version)
        .bind(f.data.to_string())
        .bind(f.pdf_hash)
        .bind(f.pdf_size)
        .bind(f.docx_hash)
        .bind(f.docx_size)
        .bind(f.signed_off_by)
        .bind(ts(now))
        .bind(id)
        .execute(&mut **tx)
        .await?;
        check_one(r.rows_affected())
    }

    /// The old document now has a correction (set when the correction is issued).
    pub async fn mark_superseded(&self, tx: &mut Tx, old_id: &str, new_id: &str) -> Result<()> {
        let r = sqlx::query(
            "UPDATE documents SET superseded_by = $1 WHERE id = $2 AND superseded_by IS NULL",
        )
        .bind(new_id)
        .bind(old_id)
        .execute(&mut **tx)
        .await?;
        check_one(r.rows_affected())
    }

    #[allow(clippy::too_many_arguments)]
    pub async fn insert_document_step(
        &self,
        tx: &mut Tx,
        bureau_id: &str,
        document_id: &str,
        action: &str,
        from_state: &str,
        to_state: &str,
        comment: &str,
        actor_id: &str,
        actor_role: &str,
        now: DateTime<Utc>,
    ) -> Result<()> {
        sqlx::query(
            "INSERT INTO document_steps (id, bureau_id, document_id, action, from_state, to_state, comment, actor_id, actor_role, at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        )
        .bind(new_id())
        .bind(bureau_id)
        .bind(document_id)
        .bind(action)
        .bind(from_state)
        .bind(to_state)
        .bind(comment)
        .bind(actor_id)
        .bind(actor_role)
        .bind(ts(now))
        .execute(&mut **tx)
        .await?;
        Ok(())
    }

    pub async fn document_steps(&self, document_id: &str) -> Result<Vec<StepRow>> {
        let rows = sqlx::query(
            "SELECT s.action, s.from_state, s.to_state, s.comment, s.actor_id, s.actor_role, s.at, u.display_name FROM document_steps s JOIN users u ON u.id = s.actor_id WHERE s.document_id = $1 ORDER BY s.at, s.id",
        )
        .bind(document_id)
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|r| {
                Ok(StepRow {
                    action: r.try_get("action")?,
                    from_state: r.try_get("from_state")?,
                    to_state: r.try_get("to_state")?,
                    comment: r.try_get("comment")?,
                    actor_id: r.try_get("actor_id")?,
                    actor_name: r.try_get("display_name")?,
                    actor_role: r.try_get("actor_role")?,
                    at: r.try_get("at")?,
                })
            })
            .collect()
    }

    /// The petition's current event sequence, read inside the caller's transaction.
    pub async fn event_seq_in(&self, tx: &mut Tx, petition_id: &str) -> Result<i64> {
        let (seq,): (i64,) = sqlx::query_as("SELECT event_seq FROM petitions WHERE id = $1")
            .bind(petition_id)
            .fetch_optional(&mut **tx)
            .await?
            .ok_or(StoreError::NotFound)?;
        Ok(seq)
    }
}
