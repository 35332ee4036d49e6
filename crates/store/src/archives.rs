//! Archives: dossiers and their tables of contents, supplements, the retention table, year-end
//! transfers, loans; internet publications; moves to the offline machine and the purge that
//! leaves only a petition's stub.

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::{Result, Store, StoreError, Tx, new_id, ts};

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct DossierRow {
    pub id: String,
    pub bureau_id: String,
    pub petition_id: String,
    pub kind: String,
    pub content_list: String,
    pub archival_no: String,
    pub year: i64,
    pub retention: String,
    pub expires_on: Option<String>,
    pub title: String,
    pub items: i64,
    pub pages: i64,
    pub note: String,
    pub arranged_by: String,
    pub arranged_on: String,
    pub checked_by: String,
    pub checked_on: String,
    pub pdf_hash: String,
    pub pdf_size: i64,
    pub state: String,
    pub transfer_id: Option<String>,
    pub archived_at: String,
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct DossierItemRow {
    pub id: String,
    pub dossier_id: String,
    pub ordinal: i64,
    pub item_kind: String,
    pub entry_label: String,
    pub doc_no: String,
    pub responsible: String,
    pub title: String,
    pub dated: String,
    pub pages: i64,
    pub note: String,
    pub source: String,
    pub media_type: String,
    pub blob_hash: Option<String>,
    pub size_bytes: i64,
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct SupplementRow {
    pub id: String,
    pub petition_id: String,
    pub item_kind: String,
    pub title: String,
    pub doc_no: String,
    pub responsible: String,
    pub dated: Option<String>,
    pub file_name: String,
    pub media_type: String,
    pub blob_hash: Option<String>,
    pub size_bytes: i64,
    pub absence_reason: String,
    pub recorded_by: String,
    pub recorded_at: String,
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct TransferRow {
    pub id: String,
    pub year: i64,
    pub dossiers: i64,
    pub pages: i64,
    pub handed_by: String,
    pub handed_at: String,
    pub received_by: Option<String>,
    pub received_at: Option<String>,
    pub pdf_hash: String,
    pub state: String,
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct LoanRow {
    pub id: String,
    pub dossier_id: String,
    pub borrower_id: String,
    pub reason: String,
    pub return_on: String,
    pub approval_id: String,
    pub state: String,
    pub requested_at: String,
    pub returned_at: Option<String>,
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct PublicationRow {
    pub id: String,
    pub petition_id: String,
    pub title: String,
    pub matter: String,
    pub result: String,
    pub channel_label: String,
    pub closed_on: String,
    pub approval_id: String,
    pub state: String,
    pub proposed_by: String,
    pub proposed_at: String,
    pub published_at: Option<String>,
    pub withdrawn_by: Option<String>,
    pub withdrawn_at: Option<String>,
    pub withdraw_reason: String,
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct OfflineMoveRow {
    pub id: String,
    pub petition_id: String,
    pub dossier_id: String,
    pub destination: String,
    pub carrier: String,
    pub package_sha256: String,
    pub package_size: i64,
    pub approval_id: String,
    pub state: String,
    pub proposed_by: String,
    pub proposed_at: String,
    pub moved_at: Option<String>,
}

/// A petition waiting to be archived (deregistered), for the archivist's list: number and dates
/// only; what else is shown goes through the gate.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct ArchiveCandidate {
    pub id: String,
    pub petition_no: String,
    pub channel: String,
    pub registered_on: String,
    pub updated_at: String,
}

/// Every column of a new dossier row.
pub struct NewDossier<'a> {
    pub bureau_id: &'a str,
    pub petition_id: &'a str,
    pub kind: &'a str,
    pub content_list: &'a str,
    pub archival_no: &'a str,
    pub year: i64,
    pub retention: &'a str,
    pub expires_on: Option<&'a str>,
    pub title: &'a str,
    pub items: i64,
    pub pages: i64,
    pub note: &'a str,
    pub arranged_by: &'a str,
    pub arranged_on: &'a str,
    pub checked_by: &'a str,
    pub checked_on: &'a str,
    pub pdf_hash: &'a str,
    pub pdf_size: i64,
}

impl Store {
    pub async fn archive_candidates(&self, bureau_id: &str) -> Result<Vec<ArchiveCandidate>> {
        Ok(sqlx::query_as(
            "SELECT id, petition_no, channel, registered_on, updated_at FROM petitions WHERE bureau_id = $1 AND stage = 'deregistered' ORDER BY updated_at, id",
        )
        .bind(bureau_id)
        .fetch_all(self.pool())
        .await?)
    }

    pub async fn insert_dossier(
        &self,
        tx: &mut Tx,
        d: &NewDossier<'_>,
        now: DateTime<Utc>,
    ) -> Result<String> {
        let id = new_id();
        sqlx::query(
            "INSERT INTO dossiers (id, bureau_id, petition_id, kind, content_list, archival_no, year, retention, expires_on, title, items, pages, note, arranged_by, arranged_on, checked_by, checked_on, pdf_hash, pdf_size, state, transfer_id, archived_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, 'archived', NULL, $20)",
        )
        .bind(&id)
        .bind(d.bureau_id)
        .bind(d.petition_id)
        .bind(d.kind)
        .bind(d.content_list)
        .bind(d.archival_no)
        .bind(d.year)
        .bind(d.retention)
        .bind(d.expires_on)
        .bind(d.title)
        .bind(d.items)
        .bind(d.pages)
        .bind(d.note)
        .bind(d.arranged_by)
        .bind(d.arranged_on)
        .bind(d.checked_by)
        .bind(d.checked_on)
        .bind(d.pdf_hash)
        .bind(d.pdf_size)
        .bind(ts(now))
        .execute(&mut **tx)
        .await?;
        Ok(id)
    }

    pub async fn insert_dossier_item(
        &self,
        tx: &mut Tx,
        bureau_id: &str,
        i: &DossierItemRow,
    ) -> Result<()> {
        sqlx::query(
            "INSERT INTO dossier_items (id, bureau_id, dossier_id, ordinal, item_kind, entry_label, doc_no, responsible, title, dated, pages, note, source, media_type, blob_hash, size_bytes) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)",
        )
        .bind(&i.id)
        .bind(bureau_id)
        .bind(&i.dossier_id)
        .bind(i.ordinal)
        .bind(&i.item_kind)
        .bind(&i.entry_label)
        .bind(&i.doc_no)
        .bind(&i.responsible)
        .bind(&i.title)
        .bind(&i.dated)
        .bind(i.pages)
        .bind(&i.note)
        .bind(&i.source)
        .bind(&i.media_type)
        .bind(&i.blob_hash)
        .bind(i.size_bytes)
        .execute(&mut **tx)
        .await?;
        Ok(())
    }

    pub async fn dossier(&self, bureau_id: &str, id: &str) -> Result<DossierRow> {
        sqlx::query_as("SELECT * FROM dossiers WHERE bureau_id = $1 AND id = $2")
            .bind(bureau_id)
            .bind(id)
            .fetch_optional(self.pool())
            .await?
            .ok_or(StoreError::NotFound)
    }

    pub async fn dossier_of_petition(&self, petition_id: &str) -> Result<Option<DossierRow>> {
        Ok(
            sqlx::query_as("SELECT * FROM dossiers WHERE petition_id = $1")
                .bind(petition_id)
                .fetch_optional(self.pool())
                .await?,
        )
    }

    /// The bureau's dossiers, newest year first, optionally of one year.
    pub async fn dossiers(&self, bureau_id: &str, year: Option<i64>) -> Result<Vec<DossierRow>> {
        Ok(sqlx::query_as(
            "SELECT * FROM dossiers WHERE bureau_id = $1 AND ($2 IS NULL OR year = $2) ORDER BY year DESC, archival_no",
        )
        .bind(bureau_id)
        .bind(year)
        .fetch_all(self.pool())
        .await?)
    }

    pub async fn dossier_items(&self, dossier_id: &str) -> Result<Vec<DossierItemRow>> {
        Ok(sqlx::query_as(
            "SELECT id, dossier_id, ordinal, item_kind, entry_label, doc_no, responsible, title, dated, pages, note, source, media_type, blob_hash, size_bytes FROM dossier_items WHERE dossier_id = $1 ORDER BY ordinal",
        )
        .bind(dossier_id)
        .fetch_all(self.pool())
        .await?)
    }

    pub async fn set_dossier_state(&self, tx: &mut Tx, id: &str, state: &str) -> Result<()> {
        sqlx::query("UPDATE dossiers SET state = $1 WHERE id = $2")
            .bind(state)
            .bind(id)
            .execute(&mut **tx)
            .await?;
        Ok(())
    }

    pub async fn insert_supplement(
        &self,
        tx: &mut Tx,
        bureau_id: &str,
        s: &SupplementRow,
    ) -> Result<()> {
        sqlx::query(
            "INSERT INTO dossier_supplements (id, bureau_id, petition_id, item_kind, title, doc_no, responsible, dated, file_name, media_type, blob_hash, size_bytes, absence_reason, recorded_by, recorded_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)",
        )
        .bind(&s.id)
        .bind(bureau_id)
        .bind(&s.petition_id)
        .bind(&s.item_kind)
        .bind(&s.title)
        .bind(&s.doc_no)
        .bind(&s.responsible)
        .bind(&s.dated)
        .bind(&s.file_name)
        .bind(&s.media_type)
        .bind(&s.blob_hash)
        .bind(s.size_bytes)
        .bind(&s.absence_reason)
        .bind(&s.recorded_by)
        .bind(&s.recorded_at)
        .execute(&mut **tx)
        .await?;
        Ok(())
    }

    pub async fn supplements_of(&self, petition_id: &str) -> Result<Vec<SupplementRow>> {
        Ok(sqlx::query_as(
            "SELECT id, petition_id, item_kind, title, doc_no, responsible, dated, file_name, media_type, blob_hash, size_bytes, absence_reason, recorded_by, recorded_at FROM dossier_supplements WHERE petition_id = $1 ORDER BY recorded_at, id",
        )
        .bind(petition_id)
        .fetch_all(self.pool())
        .await?)
    }

    pub async fn delete_supplement(
        &self,
        tx: &mut Tx,
        petition_id: &str,
        id: &str,
    ) -> Result<bool> {
        let r = sqlx::query("DELETE FROM dossier_supplements WHERE petition_id = $1 AND id = $2")
            .bind(petition_id)
            .bind(id)
            .execute(&mut **tx)
            .await?;
        Ok(r.rows_affected() > 0)
    }

    /// The retention table: (kind, category prefix, retention).
    pub async fn retention_rules(&self, bureau_id: &str) -> Result<Vec<(String, String, String)>> {
        Ok(sqlx::query_as(
            "SELECT kind, category_prefix, retention FROM retention_rules WHERE bureau_id = $1 ORDER BY kind, category_prefix",
        )
        .bind(bureau_id)
        .fetch_all(self.pool())
        .await?)
    }

    pub async fn set_retention_rule(
        &self,
        tx: &mut Tx,
        bureau_id: &str,
        kind: &str,
        prefix: &str,
        retention: Option<&str>,
    ) -> Result<()> {
        sqlx::query("DELETE FROM retention_rules WHERE bureau_id = $1 AND kind = $2 AND category_prefix = $3")
            .bind(bureau_id)
            .bind(kind)
            .bind(prefix)
            .execute(&mut **tx)
            .await?;
        if let Some(r) = retention {
            sqlx::query("INSERT INTO retention_rules (bureau_id, kind, category_prefix, retention) VALUES ($1, $2, $3, $4)")
                .bind(bureau_id)
                .bind(kind)
                .bind(prefix)
                .bind(r)
                .execute(&mut **tx)
                .await?;
        }
        Ok(())
    }

    #[allow(clippy::too_many_arguments)]
    pub async fn insert_transfer(
        &self,
        tx: &mut Tx,
        bureau_id: &str,
        year: i64,
        dossier_ids: &[String],
        pages: i64,
        handed_by: &str,
        pdf_hash: &str,
        now: DateTime<Utc>,
    ) -> Result<String> {
        let id = new_id();
        sqlx::query(
            "INSERT INTO dossier_transfers (id, bureau_id, year, dossiers, pages, handed_by, handed_at, received_by, received_at, pdf_hash, state) VALUES ($1, $2, $3, $4, $5, $6, $7, NULL, NULL, $8, 'handed')",
        )
        .bind(&id)
        .bind(bureau_id)
        .bind(year)
        .bind(dossier_ids.len() as i64)
        .bind(pages)
        .bind(handed_by)
        .bind(ts(now))
        .bind(pdf_hash)
        .execute(&mut **tx)
        .await?;
        for d in dossier_ids {
            let r = sqlx::query(
                "UPDATE dossiers SET transfer_id = $1 WHERE id = $2 AND transfer_id IS NULL AND state = 'archived'",
            )
            .bind(&id)
            .bind(d)
            .execute(&mut **tx)
            .await?;
            // Another transfer took it first: the whole list is refused.
            if r.rows_affected() != 1 {
                return Err(StoreError::Conflict);
            }
        }
        Ok(id)
    }

    /// The office signs for the list: the dossiers are in its keeping from now on.
    pub async fn receive_transfer(
        &self,
        tx: &mut Tx,
        id: &str,
        received_by: &str,
        now: DateTime<Utc>,
    ) -> Result<bool> {
        let r = sqlx::query(
            "UPDATE dossier_transfers SET received_by = $1, received_at = $2, state = 'received' WHERE id = $3 AND state = 'handed'",
        )
        .bind(received_by)
        .bind(ts(now))
        .bind(id)
        .execute(&mut **tx)
        .await?;
        if r.rows_affected() == 1 {
            sqlx::query("UPDATE dossiers SET state = 'transferred' WHERE transfer_id = $1 AND state = 'archived'")
                .bind(id)
                .execute(&mut **tx)
                .await?;
        }
        Ok(r.rows_affected() == 1)
    }

    pub async fn set_transfer_pdf(&self, tx: &mut Tx, id: &str, pdf_hash: &str) -> Result<()> {
        sqlx::query("UPDATE dossier_transfers SET pdf_hash = $1 WHERE id = $2")
            .bind(pdf_hash)
            .bind(id)
            .execute(&mut **tx)
            .await?;
        Ok(())
    }

    pub async fn transfers(&self, bureau_id: &str) -> Result<Vec<TransferRow>> {
        Ok(sqlx::query_as(
            "SELECT id, year, dossiers, pages, handed_by, handed_at, received_by, received_at, pdf_hash, state FROM dossier_transfers WHERE bureau_id = $1 ORDER BY handed_at DESC, id",
        )
        .bind(bureau_id)
        .fetch_all(self.pool())
        .await?)
    }

    pub async fn transfer(&self, bureau_id: &str, id: &str) -> Result<TransferRow> {
        sqlx::query_as(
            "SELECT id, year, dossiers, pages, handed_by, handed_at, received_by, received_at, pdf_hash, state FROM dossier_transfers WHERE bureau_id = $1 AND id = $2",
        )
        .bind(bureau_id)
        .bind(id)
        .fetch_optional(self.pool())
        .await?
        .ok_or(StoreError::NotFound)
    }

    pub async fn dossiers_of_transfer(&self, transfer_id: &str) -> Result<Vec<DossierRow>> {
        Ok(
            sqlx::query_as("SELECT * FROM dossiers WHERE transfer_id = $1 ORDER BY archival_no")
                .bind(transfer_id)
                .fetch_all(self.pool())
                .await?,
        )
    }

    #[allow(clippy::too_many_arguments)]
    pub async fn insert_loan(
        &self,
        tx: &mut Tx,
        bureau_id: &str,
        dossier_id: &str,
        borrower_id: &str,
        reason: &str,
        return_on: &str,
        approval_id: &str,
        now: DateTime<Utc>,
    ) -> Result<String> {
        let id = new_id();
        sqlx::query(
            "INSERT INTO dossier_loans (id, bureau_id, dossier_id, borrower_id, reason, return_on, approval_id, state, requested_at, returned_at) VALUES ($1, $2, $3, $4, $5, $6, $7, 'pending', $8, NULL)",
        )
        .bind(&id)
        .bind(bureau_id)
        .bind(dossier_id)
        .bind(borrower_id)
        .bind(reason)
        .bind(return_on)
        .bind(approval_id)
        .bind(ts(now))
        .execute(&mut **tx)
        .await?;
        Ok(id)
    }

    pub async fn loans_of_dossier(&self, dossier_id: &str) -> Result<Vec<LoanRow>> {
        Ok(sqlx::query_as(
            "SELECT id, dossier_id, borrower_id, reason, return_on, approval_id, state, requested_at, returned_at FROM dossier_loans WHERE dossier_id = $1 ORDER BY requested_at DESC, id",
        )
        .bind(dossier_id)
        .fetch_all(self.pool())
        .await?)
    }

    pub async fn loans_of_borrower(
        &self,
        bureau_id: &str,
        borrower_id: &str,
    ) -> Result<Vec<LoanRow>> {
        Ok(sqlx::query_as(
            "SELECT id, dossier_id, borrower_id, reason, return_on, approval_id, state, requested_at, returned_at FROM dossier_loans WHERE bureau_id = $1 AND borrower_id = $2 ORDER BY requested_at DESC, id",
        )
        .bind(bureau_id)
        .bind(borrower_id)
        .fetch_all(self.pool())
        .await?)
    }

    pub async fn loan_by_approval(&self, approval_id: &str) -> Result<LoanRow> {
        sqlx::query_as(
            "SELECT id, dossier_id, borrower_id, reason, return_on, approval_id, state, requested_at, returned_at FROM dossier_loans WHERE approval_id = $1",
        )
        .bind(approval_id)
        .fetch_optional(self.pool())
        .await?
        .ok_or(StoreError::NotFound)
    }

    pub async fn set_loan_state(
        &self,
        tx: &mut Tx,
        id: &str,
        from: &str,
        to: &str,
        now: DateTime<Utc>,
    ) -> Result<bool> {
        let r = sqlx::query(
            "UPDATE dossier_loans SET state = $1, returned_at = CASE WHEN $1 = 'returned' THEN $2 ELSE returned_at END WHERE id = $3 AND state = $4",
        )
        .bind(to)
        .bind(ts(now))
        .bind(id)
        .bind(from)
        .execute(&mut **tx)
        .await?;
        Ok(r.rows_affected() == 1)
    }

    #[allow(clippy::too_many_arguments)]
    pub async fn insert_dossier_destruction(
        &self,
        tx: &mut Tx,
        bureau_id: &str,
        petition_id: &str,
        description: &str,
        approval_id: &str,
        approved_by: &str,
        now: DateTime<Utc>,
    ) -> Result<String> {
        let id = new_id();
        sqlx::query(
            "INSERT INTO destruction_register (id, bureau_id, petition_id, description, approval_id, approved_by, destroyed_at, register_kind) VALUES ($1, $2, $3, $4, $5, $6, $7, 'dossier')",
        )
        .bind(&id)
        .bind(bureau_id)
        .bind(petition_id)
        .bind(description)
        .bind(approval_id)
        .bind(approved_by)
        .bind(ts(now))
        .execute(&mut **tx)
        .await?;
        Ok(id)
    }

    /// Removes a destroyed dossier's table of contents and supplements (its files go with them).
    pub async fn empty_dossier(
        &self,
        tx: &mut Tx,
        dossier_id: &str,
        petition_id: &str,
    ) -> Result<()> {
        sqlx::query("DELETE FROM dossier_items WHERE dossier_id = $1")
            .bind(dossier_id)
            .execute(&mut **tx)
            .await?;
        sqlx::query("DELETE FROM dossier_supplements WHERE petition_id = $1")
            .bind(petition_id)
            .execute(&mut **tx)
            .await?;
        sqlx::query("UPDATE dossiers SET pdf_hash = '', pdf_size = 0 WHERE id = $1")
            .bind(dossier_id)
            .execute(&mut **tx)
            .await?;
        Ok(())
    }

    pub async fn insert_publication(
        &self,
        tx: &mut Tx,
        bureau_id: &str,
        p: &PublicationRow,
    ) -> Result<()> {
        sqlx::query(
            "INSERT INTO publications (id, bureau_id, petition_id, title, matter, result, channel_label, closed_on, approval_id, state, proposed_by, proposed_at, published_at, withdrawn_by, withdrawn_at, withdraw_reason) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, NULL, NULL, NULL, '')",
        )
        .bind(&p.id)
        .bind(bureau_id)
        .bind(&p.petition_id)
        .bind(&p.title)
        .bind(&p.matter)
        .bind(&p.result)
        .bind(&p.channel_label)
        .bind(&p.closed_on)
        .bind(&p.approval_id)
        .bind(&p.state)
        .bind(&p.proposed_by)
        .bind(&p.proposed_at)
        .execute(&mut **tx)
        .await?;
        Ok(())
    }

    const PUBLICATION_COLUMNS: &str = "id, petition_id, title, matter, result, channel_label, closed_on, approval_id, state, proposed_by, proposed_at, published_at, withdrawn_by, withdrawn_at, withdraw_reason";

    pub async fn publications(
        &self,
        bureau_id: &str,
        state: Option<&str>,
    ) -> Result<Vec<PublicationRow>> {
        Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {} FROM publications WHERE bureau_id = $1 AND ($2 IS NULL OR state = $2) ORDER BY COALESCE(published_at, proposed_at) DESC, id",
            Self::PUBLICATION_COLUMNS
        )))
        .bind(bureau_id)
        .bind(state)
        .fetch_all(self.pool())
        .await?)
    }

    /// What is published now, newest first: through the function the public instance's
    /// restricted role may call on PostgreSQL (migration postgres/0025), the table on SQLite.
    /// The fields the public never sees come back empty.
    pub async fn published(&self, bureau_id: &str) -> Result<Vec<PublicationRow>> {
        let sql = match self.backend() {
            crate::Backend::Postgres => "SELECT * FROM xinfang_public_publications($1)".to_string(),
            crate::Backend::Sqlite => format!(
                "SELECT {} FROM publications WHERE bureau_id = $1 AND state = 'published' ORDER BY published_at DESC, id",
                Self::PUBLICATION_COLUMNS
            ),
        };
        Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(bureau_id)
            .fetch_all(self.pool())
            .await?)
    }

    pub async fn publications_of(&self, petition_id: &str) -> Result<Vec<PublicationRow>> {
        Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {} FROM publications WHERE petition_id = $1 ORDER BY proposed_at DESC, id",
            Self::PUBLICATION_COLUMNS
        )))
        .bind(petition_id)
        .fetch_all(self.pool())
        .await?)
    }

    pub async fn publication(&self, bureau_id: &str, id: &str) -> Result<PublicationRow> {
        sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {} FROM publications WHERE bureau_id = $1 AND id = $2",
            Self::PUBLICATION_COLUMNS
        )))
        .bind(bureau_id)
        .bind(id)
        .fetch_optional(self.pool())
        .await?
        .ok_or(StoreError::NotFound)
    }

    pub async fn publication_by_approval(&self, approval_id: &str) -> Result<PublicationRow> {
        sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {} FROM publications WHERE approval_id = $1",
            Self::PUBLICATION_COLUMNS
        )))
        .bind(approval_id)
        .fetch_optional(self.pool())
        .await?
        .ok_or(StoreError::NotFound)
    }

    #[allow(clippy::too_many_arguments)]
    pub async fn set_publication_state(
        &self,
        tx: &mut Tx,
        id: &str,
        from: &str,
        to: &str,
        by: &str,
        reason: &str,
        now: DateTime<Utc>,
    ) -> Result<bool> {
        let sql = match to {
            "published" => {
                "UPDATE publications SET state = $1, published_at = $2 WHERE id = $3 AND state = $4 AND $5 = $5 AND $6 = $6"
            }
            "withdrawn" => {
                "UPDATE publications SET state = $1, withdrawn_at = $2, withdrawn_by = $5, withdraw_reason = $6 WHERE id = $3 AND state = $4"
            }
            _ => {
                "UPDATE publications SET state = $1 WHERE id = $3 AND state = $4 AND $2 = $2 AND $5 = $5 AND $6 = $6"
            }
        };
        let r = sqlx::query(sql)
            .bind(to)
            .bind(ts(now))
            .bind(id)
            .bind(from)
            .bind(by)
            .bind(reason)
            .execute(&mut **tx)
            .await?;
        Ok(r.rows_affected() == 1)
    }

    pub async fn insert_offline_move(
        &self,
        tx: &mut Tx,
        bureau_id: &str,
        m: &OfflineMoveRow,
    ) -> Result<()> {
        sqlx::query(
            "INSERT INTO offline_moves (id, bureau_id, petition_id, dossier_id, destination, carrier, package_sha256, package_size, approval_id, state, proposed_by, proposed_at, moved_at) VALUES ($1, $2, $3, $4, $5, $6, '', 0, $7, 'proposed', $8, $9, NULL)",
        )
        .bind(&m.id)
        .bind(bureau_id)
        .bind(&m.petition_id)
        .bind(&m.dossier_id)
        .bind(&m.destination)
        .bind(&m.carrier)
        .bind(&m.approval_id)
        .bind(&m.proposed_by)
        .bind(&m.proposed_at)
        .execute(&mut **tx)
        .await?;
        Ok(())
    }

    pub async fn offline_moves_of(&self, petition_id: &str) -> Result<Vec<OfflineMoveRow>> {
        Ok(sqlx::query_as(
            "SELECT id, petition_id, dossier_id, destination, carrier, package_sha256, package_size, approval_id, state, proposed_by, proposed_at, moved_at FROM offline_moves WHERE petition_id = $1 ORDER BY proposed_at DESC, id",
        )
        .bind(petition_id)
        .fetch_all(self.pool())
        .await?)
    }

    pub async fn offline_move_by_approval(&self, approval_id: &str) -> Result<OfflineMoveRow> {
        sqlx::query_as(
            "SELECT id, petition_id, dossier_id, destination, carrier, package_sha256, package_size, approval_id, state, proposed_by, proposed_at, moved_at FROM offline_moves WHERE approval_id = $1",
        )
        .bind(approval_id)
        .fetch_optional(self.pool())
        .await?
        .ok_or(StoreError::NotFound)
    }

    pub async fn set_offline_move(
        &self,
        tx: &mut Tx,
        id: &str,
        state: &str,
        package: Option<(&str, i64)>,
        moved_at: Option<DateTime<Utc>>,
    ) -> Result<()> {
        sqlx::query(
            "UPDATE offline_moves SET state = $1, package_sha256 = COALESCE($2, package_sha256), package_size = COALESCE($3, package_size), moved_at = COALESCE($4, moved_at) WHERE id = $5",
        )
        .bind(state)
        .bind(package.map(|p| p.0))
        .bind(package.map(|p| p.1))
        .bind(moved_at.map(ts))
        .bind(id)
        .execute(&mut **tx)
        .await?;
        Ok(())
    }

    /// Every blob a petition's records point at (scans, report files, documents, dossier pieces
    /// and the dossier itself): what leaves with it when it moves offline.
    pub async fn blobs_of_petition(&self, tx: &mut Tx, petition_id: &str) -> Result<Vec<String>> {
        let rows: Vec<(Option<String>,)> = sqlx::query_as(
            "SELECT sha256 FROM letter_scans WHERE petition_id = $1 \
             UNION SELECT sha256 FROM handling_report_attachments WHERE petition_id = $1 \
             UNION SELECT pdf_hash FROM documents WHERE petition_id = $1 \
             UNION SELECT docx_hash FROM documents WHERE petition_id = $1 \
             UNION SELECT blob_hash FROM dossier_supplements WHERE petition_id = $1 \
             UNION SELECT i.blob_hash FROM dossier_items i JOIN dossiers d ON d.id = i.dossier_id WHERE d.petition_id = $1 \
             UNION SELECT pdf_hash FROM dossiers WHERE petition_id = $1",
        )
        .bind(petition_id)
        .fetch_all(&mut **tx)
        .await?;
        Ok(rows
            .into_iter()
            .filter_map(|r| r.0)
            .filter(|h| !h.is_empty())
            .collect())
    }

    /// Whether any record still points at a blob (a moved petition's file may be the same bytes
    /// as another's).
    pub async fn blob_in_use(&self, hash: &str) -> Result<bool> {
        let (n,): (i64,) = sqlx::query_as(
            "SELECT (SELECT COUNT(*) FROM letter_scans WHERE sha256 = $1) \
             + (SELECT COUNT(*) FROM handling_report_attachments WHERE sha256 = $1) \
             + (SELECT COUNT(*) FROM documents WHERE pdf_hash = $1 OR docx_hash = $1) \
             + (SELECT COUNT(*) FROM dossier_supplements WHERE blob_hash = $1) \
             + (SELECT COUNT(*) FROM dossier_items WHERE blob_hash = $1) \
             + (SELECT COUNT(*) FROM dossiers WHERE pdf_hash = $1) \
             + (SELECT COUNT(*) FROM dossier_transfers WHERE pdf_hash = $1)",
        )
        .bind(hash)
        .fetch_one(self.pool())
        .await?;
        Ok(n > 0)
    }

    /// 网机隔离: everything the networked system holds of a petition goes, except its stub
    /// (number, channel, dates, stage), its event chain's skeleton and the records of the move.
    /// Runs inside the move's transaction, before its `moved_offline` event is appended; `seq`
    /// is the last event whose payload moves.
    pub async fn purge_petition(&self, tx: &mut Tx, petition_id: &str, seq: i64) -> Result<()> {
        const MOVED: &str = "（已移至离线存储）";
        let statements: &[&str] = &[
            "DELETE FROM supervision_actions WHERE item_id IN (SELECT id FROM supervision_items WHERE petition_id = $1)",
            "DELETE FROM supervision_items WHERE petition_id = $1",
            "DELETE FROM deadlines WHERE petition_id = $1",
            "DELETE FROM tasks WHERE petition_id = $1",
            "DELETE FROM document_steps WHERE document_id IN (SELECT id FROM documents WHERE petition_id = $1)",
            "DELETE FROM letter_enclosures WHERE petition_id = $1",
            "DELETE FROM letter_scans WHERE petition_id = $1",
            "DELETE FROM letters WHERE petition_id = $1",
            "DELETE FROM handling_report_attachments WHERE petition_id = $1",
            "DELETE FROM report_reviews WHERE petition_id = $1",
            "DELETE FROM handling_reports WHERE petition_id = $1",
            "UPDATE approvals SET handling_record_id = NULL, payload = '{}', comment = '' WHERE petition_id = $1",
            "DELETE FROM dispositions WHERE petition_id = $1",
            "DELETE FROM obligations WHERE petition_id = $1",
            "DELETE FROM instructions WHERE petition_id = $1",
            "DELETE FROM appeals WHERE petition_id = $1",
            "DELETE FROM query_replies WHERE petition_id = $1",
            "DELETE FROM incidents WHERE petition_id = $1",
            "DELETE FROM coordination_meetings WHERE petition_id = $1",
            "DELETE FROM interviews WHERE petition_id = $1",
            "DELETE FROM handling_records WHERE petition_id = $1",
            "DELETE FROM exchange_records WHERE petition_id = $1",
            "DELETE FROM documents WHERE petition_id = $1",
            "DELETE FROM recusals WHERE petition_id = $1",
            "DELETE FROM petitioners WHERE petition_id = $1",
            "DELETE FROM dossier_supplements WHERE petition_id = $1",
            "DELETE FROM dossier_items WHERE dossier_id IN (SELECT id FROM dossiers WHERE petition_id = $1)",
            "UPDATE dossier_loans SET reason = '' WHERE dossier_id IN (SELECT id FROM dossiers WHERE petition_id = $1)",
            "UPDATE destruction_register SET description = '' WHERE petition_id = $1",
            "UPDATE petitions SET summary = '', requests = '', proposal = '', decision_note = '', decision_reason = NULL, repeat_reason = '', issue_region = '', purpose = NULL, category = NULL, petition_class = NULL, repeat_of = NULL, accused_unit_id = NULL, target_unit_id = NULL, query_code = '', national_query_code = NULL, source = '', source_kind = '', township = '' WHERE id = $1",
        ];
        for sql in statements {
            sqlx::query(sqlx::AssertSqlSafe(*sql))
                .bind(petition_id)
                .execute(&mut **tx)
                .await?;
        }
        sqlx::query("UPDATE approvals SET summary = $1 WHERE petition_id = $2")
            .bind(MOVED)
            .bind(petition_id)
            .execute(&mut **tx)
            .await?;
        sqlx::query("UPDATE dossiers SET title = $1, note = '', pdf_hash = '', pdf_size = 0, items = 0, state = 'offline' WHERE petition_id = $2")
            .bind(MOVED)
            .bind(petition_id)
            .execute(&mut **tx)
            .await?;
        sqlx::query("UPDATE petition_events SET payload = $1 WHERE petition_id = $2 AND seq <= $3")
            .bind(xinfang_domain::event::MOVED_PAYLOAD)
            .bind(petition_id)
            .bind(seq)
            .execute(&mut **tx)
            .await?;
        Ok(())
    }
}
