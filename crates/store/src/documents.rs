//! Issued documents: their numbers, data, template version and the hash of their PDF bytes.

use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::{Result, Store, StoreError, Tx, new_id, ts};

#[derive(Debug, Clone, Serialize)]
pub struct DocumentRow {
    pub id: String,
    pub bureau_id: String,
    pub petition_id: Option<String>,
    pub kind: String,
    pub doc_no: Option<String>,
    pub state: String,
    pub template_version: String,
    pub data: serde_json::Value,
    pub pdf_hash: Option<String>,
    pub pdf_size: Option<i64>,
    pub created_by: String,
    pub created_at: String,
    pub issued_at: Option<String>,
}

pub struct NewDocument<'a> {
    pub bureau_id: &'a str,
    pub petition_id: Option<&'a str>,
    pub kind: &'a str,
    pub doc_no: Option<&'a str>,
    pub state: &'a str,
    pub template_version: &'a str,
    pub data: &'a serde_json::Value,
    pub pdf_hash: Option<&'a str>,
    pub pdf_size: Option<i64>,
    pub created_by: &'a str,
    pub issued: bool,
}

fn doc_from(r: &AnyRow) -> Result<DocumentRow> {
    let data: String = r.try_get("data")?;
    Ok(DocumentRow {
        id: r.try_get("id")?,
        bureau_id: r.try_get("bureau_id")?,
        petition_id: r.try_get("petition_id")?,
        kind: r.try_get("kind")?,
        doc_no: r.try_get("doc_no")?,
        state: r.try_get("state")?,
        template_version: r.try_get("template_version")?,
        data: serde_json::from_str(&data).map_err(|e| StoreError::Corrupt(e.to_string()))?,
        pdf_hash: r.try_get("pdf_hash")?,
        pdf_size: r.try_get("pdf_size")?,
        created_by: r.try_get("created_by")?,
        created_at: r.try_get("created_at")?,
        issued_at: r.try_get("issued_at")?,
    })
}

impl Store {
    pub async fn insert_document(
        &self,
        tx: &mut Tx,
        d: &NewDocument<'_>,
        now: DateTime<Utc>,
    ) -> Result<String> {
        let id = new_id();
        sqlx::query(
            "INSERT INTO documents (id, bureau_id, petition_id, kind, doc_no, state, template_version, data, pdf_hash, pdf_size, created_by, created_at, issued_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
        )
        .bind(&id)
        .bind(d.bureau_id)
        .bind(d.petition_id)
        .bind(d.kind)
        .bind(d.doc_no)
        .bind(d.state)
        .bind(d.template_version)
        .bind(d.data.to_string())
        .bind(d.pdf_hash)
        .bind(d.pdf_size)
        .bind(d.created_by)
        .bind(ts(now))
        .bind(d.issued.then(|| ts(now)))
        .execute(&mut **tx)
        .await?;
        Ok(id)
    }

    pub async fn documents_of(&self, petition_id: &str) -> Result<Vec<DocumentRow>> {
        let rows =
            sqlx::query("SELECT * FROM documents WHERE petition_id = $1 ORDER BY created_at, id")
                .bind(petition_id)
                .fetch_all(self.pool())
                .await?;
        rows.iter().map(doc_from).collect()
    }

    pub async fn document(&self, bureau_id: &str, id: &str) -> Result<DocumentRow> {
        let row = sqlx::query("SELECT * FROM documents WHERE bureau_id = $1 AND id = $2")
            .bind(bureau_id)
            .bind(id)
            .fetch_optional(self.pool())
            .await?
            .ok_or(StoreError::NotFound)?;
        doc_from(&row)
    }
}
