//! The configurable list of decision reasons (rules §3), per bureau.

use serde::Serialize;
use sqlx::Row;
use xinfang_domain::catalog::DECISION_REASONS;

use crate::{Result, Store, StoreError, Tx, flag, new_id};

#[derive(Debug, Clone, Serialize)]
pub struct DecisionReason {
    pub id: String,
    pub acceptance: String,
    pub code: String,
    pub reason: String,
    pub legal_text: String,
    pub position: i64,
    pub active: bool,
}

fn from_row(r: &sqlx::any::AnyRow) -> Result<DecisionReason> {
    Ok(DecisionReason {
        id: r.try_get("id")?,
        acceptance: r.try_get("acceptance")?,
        code: r.try_get("code")?,
        reason: r.try_get("reason")?,
        legal_text: r.try_get("legal_text")?,
        position: r.try_get("position")?,
        active: r.try_get::<i64, _>("active")? != 0,
    })
}

impl Store {
    /// Gives a new bureau the shipped default reasons.
    pub async fn seed_decision_reasons(&self, tx: &mut Tx, bureau_id: &str) -> Result<()> {
        for (i, (acceptance, code, reason, legal)) in DECISION_REASONS.iter().enumerate() {
            sqlx::query(
                "INSERT INTO decision_reasons (id, bureau_id, acceptance, code, reason, legal_text, position, active) VALUES ($1, $2, $3, $4, $5, $6, $7, 1)",
            )
            .bind(new_id())
            .bind(bureau_id)
            .bind(acceptance.as_str())
            .bind(*code)
            .bind(*reason)
            .bind(*legal)
            .bind(i as i64 * 10)
            .execute(&mut **tx)
            .await?;
        }
        Ok(())
    }

    pub async fn decision_reasons(&self, bureau_id: &str) -> Result<Vec<DecisionReason>> {
        let rows = sqlx::query(
            "SELECT * FROM decision_reasons WHERE bureau_id = $1 ORDER BY position, code",
        )
        .bind(bureau_id)
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(from_row).collect()
    }

    pub async fn decision_reason(
        &self,
        bureau_id: &str,
        acceptance: &str,
        code: &str,
    ) -> Result<Option<DecisionReason>> {
        let row = sqlx::query(
            "SELECT * FROM decision_reasons WHERE bureau_id = $1 AND acceptance = $2 AND code = $3",
        )
        .bind(bureau_id)
        .bind(acceptance)
        .bind(code)
        .fetch_optional(self.pool())
        .await?;
        row.as_ref().map(from_row).transpose()
    }

    pub async fn insert_decision_reason(
        &self,
        tx: &mut Tx,
        bureau_id: &str,
        r: &DecisionReason,
    ) -> Result<()> {
        sqlx::query(
            "INSERT INTO decision_reasons (id, bureau_id, acceptance, code, reason, legal_text, position, active) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(&r.id)
        .bind(bureau_id)
        .bind(&r.acceptance)
        .bind(&r.code)
        .bind(&r.reason)
        .bind(&r.legal_text)
        .bind(r.position)
        .bind(flag(r.active))
        .execute(&mut **tx)
        .await?;
        Ok(())
    }

    pub async fn update_decision_reason(
        &self,
        tx: &mut Tx,
        bureau_id: &str,
        r: &DecisionReason,
    ) -> Result<()> {
        let done = sqlx::query(
            "UPDATE decision_reasons SET reason = $1, legal_text = $2, position = $3, active = $4 WHERE id = $5 AND bureau_id = $6",
        )
        .bind(&r.reason)
        .bind(&r.legal_text)
        .bind(r.position)
        .bind(flag(r.active))
        .bind(&r.id)
        .bind(bureau_id)
        .execute(&mut **tx)
        .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }
}
