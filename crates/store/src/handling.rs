//! Dispositions, handling records, approvals, reports and reviews, obligations, instructions,
//! appeals, query replies and incidents (issue 4). Writes take the caller's transaction so that
//! each lands with the event that records it.

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::{Result, Store, StoreError, Tx, flag, new_id, ts};

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct HandlingRecordRow {
    pub id: String,
    pub bureau_id: String,
    pub petition_id: String,
    pub unit_id: String,
    pub kind: String,
    pub lead: i64,
    pub state: String,
    pub disposition_id: Option<String>,
    pub received_at: Option<String>,
    pub received_by: Option<String>,
    pub notify_due: Option<String>,
    pub object_due: Option<String>,
    pub objection_reason: String,
    pub petitioner_told_at: Option<String>,
    pub petitioner_told_how: String,
    pub period_days: i64,
    pub due_on: Option<String>,
    pub extended_days: i64,
    pub extension_reason: String,
    pub created_at: String,
    pub updated_at: String,
}

/// A unit's inbox line: its record with the petition's number and summary.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct InboxRow {
    pub id: String,
    pub petition_id: String,
    pub petition_no: String,
    pub summary: String,
    pub kind: String,
    pub lead: i64,
    pub state: String,
    pub notify_due: Option<String>,
    pub object_due: Option<String>,
    pub due_on: Option<String>,
    pub created_at: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct NewDisposition<'a> {
    pub petition_id: &'a str,
    pub disposition: &'a str,
    pub carrier: &'a str,
    pub report_mode: &'a str,
    pub requirements: &'a str,
    pub period_days: Option<i64>,
    pub urgent: bool,
    pub urgent_method: &'a str,
    pub plan: &'a str,
    pub coordination_level: &'a str,
    pub note: &'a str,
    pub proposed_by: &'a str,
    pub approved_by: Option<&'a str>,
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct DispositionRow {
    pub id: String,
    pub petition_id: String,
    pub disposition: String,
    pub carrier: String,
    pub report_mode: String,
    pub requirements: String,
    pub period_days: Option<i64>,
    pub urgent: i64,
    pub urgent_method: String,
    pub plan: String,
    pub coordination_level: String,
    pub note: String,
    pub proposed_by: String,
    pub approved_by: Option<String>,
    pub created_at: String,
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct ApprovalRow {
    pub id: String,
    pub bureau_id: String,
    /// None for an approval of the bureau's (the release of statistics).
    pub petition_id: Option<String>,
    pub handling_record_id: Option<String>,
    pub unit_id: Option<String>,
    pub gate: String,
    pub summary: String,
    pub payload: String,
    pub proposed_by: String,
    pub proposed_role: String,
    pub proposed_at: String,
    pub state: String,
    pub decided_by: Option<String>,
    pub decided_at: Option<String>,
    pub comment: String,
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct ReportAttachmentRow {
    pub id: String,
    pub petition_id: String,
    pub report_id: String,
    pub file_name: String,
    pub content_type: String,
    pub size_bytes: i64,
    pub sha256: String,
    pub uploaded_by: String,
    pub uploaded_at: String,
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct ReportRow {
    pub id: String,
    pub petition_id: String,
    pub handling_record_id: Option<String>,
    pub unit_id: Option<String>,
    pub findings: String,
    pub decision: String,
    pub reply: String,
    pub reply_served_on: Option<String>,
    pub petitioner_signed: i64,
    pub refusal_note: String,
    pub settlement_note: String,
    pub signed_off_by: String,
    pub submitted_by: String,
    pub submitted_at: String,
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct ReviewRow {
    pub id: String,
    pub petition_id: String,
    pub handling_report_id: String,
    pub findings: String,
    pub outcome: String,
    pub opinion: String,
    pub new_period_days: Option<i64>,
    pub reviewed_by: String,
    pub reviewed_at: String,
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct ObligationRow {
    pub id: String,
    pub petition_id: String,
    pub kind: String,
    pub description: String,
    pub due_on: Option<String>,
    pub opened_at: String,
    pub fulfilled_at: Option<String>,
    pub fulfilled_by: Option<String>,
    pub note: String,
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct InstructionRow {
    pub id: String,
    pub petition_id: String,
    pub leader: String,
    pub given_on: String,
    pub text: String,
    pub required_action: String,
    pub due_on: Option<String>,
    pub supervisor: String,
    pub recorded_by: String,
    pub recorded_at: String,
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct AppealRow {
    pub id: String,
    pub petition_id: String,
    pub level: String,
    pub requested_on: String,
    pub contested_received_on: String,
    pub organ: String,
    pub handled_here: i64,
    pub reason: String,
    pub due_on: String,
    pub hearing_days: i64,
    pub opinion: Option<String>,
    pub opinion_on: Option<String>,
    pub opinion_served_on: Option<String>,
    pub registered_by: String,
    pub registered_at: String,
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct QueryReplyRow {
    pub id: String,
    pub petition_id: String,
    pub method: String,
    pub asked_on: String,
    pub question: String,
    pub answer: String,
    pub state: String,
    pub recorded_by: String,
    pub recorded_at: String,
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct IncidentRow {
    pub id: String,
    pub petition_id: Option<String>,
    pub petitioner_id: Option<String>,
    pub kind: String,
    pub measures: String,
    /// Why the police were called at once (`domain::incident::Emergency`); empty otherwise.
    pub emergency: String,
    pub note: String,
    pub occurred_at: String,
    pub recorded_by: String,
    pub recorded_at: String,
}

impl Store {
    #[allow(clippy::too_many_arguments)]
    pub async fn insert_assigned_record(
        &self,
        tx: &mut Tx,
        bureau_id: &str,
        petition_id: &str,
        unit_id: &str,
        kind: &str,
        lead: bool,
        disposition_id: &str,
        period_days: i64,
        now: DateTime<Utc>,
    ) -> Result<String> {
        let id = new_id();
        sqlx::query(
            "INSERT INTO handling_records (id, bureau_id, petition_id, unit_id, kind, lead, state, created_at, updated_at, disposition_id, period_days) VALUES ($1, $2, $3, $4, $5, $6, 'sent', $7, $8, $9, $10)",
        )
        .bind(&id)
        .bind(bureau_id)
        .bind(petition_id)
        .bind(unit_id)
        .bind(kind)
        .bind(flag(lead))
        .bind(ts(now))
        .bind(ts(now))
        .bind(disposition_id)
        .bind(period_days)
        .execute(&mut **tx)
        .await?;
        Ok(id)
    }

    pub async fn handling_records(&self, petition_id: &str) -> Result<Vec<HandlingRecordRow>> {
        Ok(sqlx::query_as(
            "SELECT * FROM handling_records WHERE petition_id = $1 ORDER BY lead DESC, created_at, id",
        )
        .bind(petition_id)
        .fetch_all(self.pool())
        .await?)
    }

    pub async fn handling_record(&self, bureau_id: &str, id: &str) -> Result<HandlingRecordRow> {
        sqlx::query_as("SELECT * FROM handling_records WHERE bureau_id = $1 AND id = $2")
            .bind(bureau_id)
            .bind(id)
            .fetch_optional(self.pool())
            .await?
            .ok_or(StoreError::NotFound)
    }

    /// Writes a record's mutable facts. `expected_state` guards against a concurrent change.
    /// The record's handling due date follows its stored deadline (a calendar notice moved it).
    pub async fn set_handling_record_due(
        &self,
        tx: &mut Tx,
        record_id: &str,
        due_on: chrono::NaiveDate,
    ) -> Result<()> {
        sqlx::query("UPDATE handling_records SET due_on = $1 WHERE id = $2")
            .bind(due_on.to_string())
            .bind(record_id)
            .execute(&mut **tx)
            .await?;
        Ok(())
    }

    pub async fn update_handling_record(
        &self,
        tx: &mut Tx,
        r: &HandlingRecordRow,
        expected_state: &str,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let done = sqlx::query(
            "UPDATE handling_records SET state = $1, received_at = $2, received_by = $3, notify_due = $4, object_due = $5, objection_reason = $6, petitioner_told_at = $7, petitioner_told_how = $8, period_days = $9, due_on = $10, extended_days = $11, extension_reason = $12, updated_at = $13 WHERE id = $14 AND state = $15",
        )
        .bind(&r.state)
        .bind(&r.received_at)
        .bind(&r.received_by)
        .bind(&r.notify_due)
        .bind(&r.object_due)
        .bind(&r.objection_reason)
        .bind(&r.petitioner_told_at)
        .bind(&r.petitioner_told_how)
        .bind(r.period_days)
        .bind(&r.due_on)
        .bind(r.extended_days)
        .bind(&r.extension_reason)
        .bind(ts(now))
        .bind(&r.id)
        .bind(expected_state)
        .execute(&mut **tx)
        .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::Conflict);
        }
        Ok(())
    }

    /// A unit's open records, newest first.
    pub async fn unit_inbox(&self, bureau_id: &str, unit_id: &str) -> Result<Vec<InboxRow>> {
        Ok(sqlx::query_as(
            "SELECT h.id, h.petition_id, p.petition_no, p.summary, h.kind, h.lead, h.state, h.notify_due, h.object_due, h.due_on, h.created_at FROM handling_records h JOIN petitions p ON p.id = h.petition_id WHERE h.bureau_id = $1 AND h.unit_id = $2 AND h.state <> 'done' ORDER BY h.created_at DESC, h.id",
        )
        .bind(bureau_id)
        .bind(unit_id)
        .fetch_all(self.pool())
        .await?)
    }

    pub async fn insert_disposition(
        &self,
        tx: &mut Tx,
        bureau_id: &str,
        d: &NewDisposition<'_>,
        now: DateTime<Utc>,
    ) -> Result<String> {
        let id = new_id();
        sqlx::query(
            "INSERT INTO dispositions (id, bureau_id, petition_id, disposition, carrier, requirements, period_days, urgent, urgent_method, plan, coordination_level, note, proposed_by, approved_by, created_at, report_mode) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)",
        )
        .bind(&id)
        .bind(bureau_id)
        .bind(d.petition_id)
        .bind(d.disposition)
        .bind(d.carrier)
        .bind(d.requirements)
        .bind(d.period_days)
        .bind(flag(d.urgent))
        .bind(d.urgent_method)
        .bind(d.plan)
        .bind(d.coordination_level)
        .bind(d.note)
        .bind(d.proposed_by)
        .bind(d.approved_by)
        .bind(ts(now))
        .bind(d.report_mode)
        .execute(&mut **tx)
        .await?;
        Ok(id)
    }

    pub async fn dispositions(&self, petition_id: &str) -> Result<Vec<DispositionRow>> {
        Ok(sqlx::query_as(
            "SELECT id, petition_id, disposition, carrier, report_mode, requirements, period_days, urgent, urgent_method, plan, coordination_level, note, proposed_by, approved_by, created_at FROM dispositions WHERE petition_id = $1 ORDER BY created_at, id",
        )
        .bind(petition_id)
        .fetch_all(self.pool())
        .await?)
    }

    #[allow(clippy::too_many_arguments)]
    pub async fn insert_approval(
        &self,
        tx: &mut Tx,
        bureau_id: &str,
        petition_id: Option<&str>,
        handling_record_id: Option<&str>,
        unit_id: Option<&str>,
        gate: &str,
        summary: &str,
        payload: &serde_json::Value,
        proposed_by: &str,
        proposed_role: &str,
        now: DateTime<Utc>,
    ) -> Result<String> {
        let id = new_id();
        sqlx::query(
            "INSERT INTO approvals (id, bureau_id, petition_id, handling_record_id, unit_id, gate, summary, payload, proposed_by, proposed_role, proposed_at, state) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, 'pending')",
        )
        .bind(&id)
        .bind(bureau_id)
        .bind(petition_id)
        .bind(handling_record_id)
        .bind(unit_id)
        .bind(gate)
        .bind(summary)
        .bind(payload.to_string())
        .bind(proposed_by)
        .bind(proposed_role)
        .bind(ts(now))
        .execute(&mut **tx)
        .await?;
        Ok(id)
    }

    pub async fn approval(&self, bureau_id: &str, id: &str) -> Result<ApprovalRow> {
        sqlx::query_as("SELECT * FROM approvals WHERE bureau_id = $1 AND id = $2")
            .bind(bureau_id)
            .bind(id)
            .fetch_optional(self.pool())
            .await?
            .ok_or(StoreError::NotFound)
    }

    /// Pending requests of these gates, oldest first; `unit_id` restricts to one unit's.
    pub async fn pending_approvals(
        &self,
        bureau_id: &str,
        gates: &[&str],
        unit_id: Option<&str>,
    ) -> Result<Vec<ApprovalRow>> {
        if gates.is_empty() {
            return Ok(Vec::new());
        }
        let marks: Vec<String> = (0..gates.len()).map(|i| format!("${}", i + 2)).collect();
        let mut sql = format!(
            "SELECT * FROM approvals WHERE bureau_id = $1 AND state = 'pending' AND gate IN ({})",
            marks.join(", ")
        );
        if unit_id.is_some() {
            sql.push_str(&format!(" AND unit_id = ${}", gates.len() + 2));
        }
        sql.push_str(" ORDER BY proposed_at, id");
        let mut q = sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(bureau_id);
        for g in gates {
            q = q.bind(*g);
        }
        if let Some(u) = unit_id {
            q = q.bind(u);
        }
        Ok(q.fetch_all(self.pool()).await?)
    }

    pub async fn approvals_of(&self, petition_id: &str) -> Result<Vec<ApprovalRow>> {
        Ok(sqlx::query_as(
            "SELECT * FROM approvals WHERE petition_id = $1 ORDER BY proposed_at, id",
        )
        .bind(petition_id)
        .fetch_all(self.pool())
        .await?)
    }

    /// Decides a pending request; a request decided meanwhile is a conflict.
    pub async fn decide_approval(
        &self,
        tx: &mut Tx,
        id: &str,
        state: &str,
        decided_by: &str,
        comment: &str,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let r = sqlx::query(
            "UPDATE approvals SET state = $1, decided_by = $2, decided_at = $3, comment = $4 WHERE id = $5 AND state = 'pending'",
        )
        .bind(state)
        .bind(decided_by)
        .bind(ts(now))
        .bind(comment)
        .bind(id)
        .execute(&mut **tx)
        .await?;
        if r.rows_affected() == 0 {
            return Err(StoreError::Conflict);
        }
        Ok(())
    }

    /// Roles configured for each gate that a bureau changed.
    pub async fn gate_approvers(&self, bureau_id: &str) -> Result<Vec<(String, String)>> {
        Ok(
            sqlx::query_as("SELECT gate, roles FROM gate_approvers WHERE bureau_id = $1")
                .bind(bureau_id)
                .fetch_all(self.pool())
                .await?,
        )
    }

    pub async fn set_gate_approvers(
        &self,
        tx: &mut Tx,
        bureau_id: &str,
        gate: &str,
        roles: &str,
    ) -> Result<()> {
        sqlx::query(
            "INSERT INTO gate_approvers (bureau_id, gate, roles) VALUES ($1, $2, $3) ON CONFLICT (bureau_id, gate) DO UPDATE SET roles = excluded.roles",
        )
        .bind(bureau_id)
        .bind(gate)
        .bind(roles)
        .execute(&mut **tx)
        .await?;
        Ok(())
    }

    pub async fn insert_report(&self, tx: &mut Tx, bureau_id: &str, r: &ReportRow) -> Result<()> {
        sqlx::query(
            "INSERT INTO handling_reports (id, bureau_id, petition_id, handling_record_id, unit_id, findings, decision, reply, reply_served_on, petitioner_signed, refusal_note, settlement_note, signed_off_by, submitted_by, submitted_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)",
        )
        .bind(&r.id)
        .bind(bureau_id)
        .bind(&r.petition_id)
        .bind(&r.handling_record_id)
        .bind(&r.unit_id)
        .bind(&r.findings)
        .bind(&r.decision)
        .bind(&r.reply)
        .bind(&r.reply_served_on)
        .bind(r.petitioner_signed)
        .bind(&r.refusal_note)
        .bind(&r.settlement_note)
        .bind(&r.signed_off_by)
        .bind(&r.submitted_by)
        .bind(&r.submitted_at)
        .execute(&mut **tx)
        .await?;
        Ok(())
    }

    pub async fn reports_of(&self, petition_id: &str) -> Result<Vec<ReportRow>> {
        Ok(sqlx::query_as(
            "SELECT id, petition_id, handling_record_id, unit_id, findings, decision, reply, reply_served_on, petitioner_signed, refusal_note, settlement_note, signed_off_by, submitted_by, submitted_at FROM handling_reports WHERE petition_id = $1 ORDER BY submitted_at, id",
        )
        .bind(petition_id)
        .fetch_all(self.pool())
        .await?)
    }

    #[allow(clippy::too_many_arguments)]
    pub async fn insert_report_attachment(
        &self,
        tx: &mut Tx,
        bureau_id: &str,
        petition_id: &str,
        report_id: &str,
        file_name: &str,
        content_type: &str,
        size_bytes: i64,
        sha256: &str,
        uploaded_by: &str,
        now: DateTime<Utc>,
    ) -> Result<String> {
        let id = new_id();
        sqlx::query(
            "INSERT INTO handling_report_attachments (id, bureau_id, petition_id, report_id, file_name, content_type, size_bytes, sha256, uploaded_by, uploaded_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        )
        .bind(&id)
        .bind(bureau_id)
        .bind(petition_id)
        .bind(report_id)
        .bind(file_name)
        .bind(content_type)
        .bind(size_bytes)
        .bind(sha256)
        .bind(uploaded_by)
        .bind(ts(now))
        .execute(&mut **tx)
        .await?;
        Ok(id)
    }

    /// A petition's report attachments, in upload order.
    pub async fn report_attachments_of(
        &self,
        petition_id: &str,
    ) -> Result<Vec<ReportAttachmentRow>> {
        Ok(sqlx::query_as(
            "SELECT id, petition_id, report_id, file_name, content_type, size_bytes, sha256, uploaded_by, uploaded_at FROM handling_report_attachments WHERE petition_id = $1 ORDER BY uploaded_at, id",
        )
        .bind(petition_id)
        .fetch_all(self.pool())
        .await?)
    }

    pub async fn report_attachment(
        &self,
        bureau_id: &str,
        id: &str,
    ) -> Result<ReportAttachmentRow> {
        sqlx::query_as(
            "SELECT id, petition_id, report_id, file_name, content_type, size_bytes, sha256, uploaded_by, uploaded_at FROM handling_report_attachments WHERE bureau_id = $1 AND id = $2",
        )
        .bind(bureau_id)
        .bind(id)
        .fetch_optional(self.pool())
        .await?
        .ok_or(StoreError::NotFound)
    }

    /// Whether a report has been reviewed (its attachments are then fixed).
    pub async fn report_reviewed(&self, tx: &mut Tx, report_id: &str) -> Result<bool> {
        let row: Option<(String,)> =
            sqlx::query_as("SELECT id FROM report_reviews WHERE handling_report_id = $1 LIMIT 1")
                .bind(report_id)
                .fetch_optional(&mut **tx)
                .await?;
        Ok(row.is_some())
    }

    /// The petition a report belongs to (the caller then checks access to that petition).
    pub async fn report_petition(&self, bureau_id: &str, report_id: &str) -> Result<String> {
        let row: Option<(String,)> = sqlx::query_as(
            "SELECT petition_id FROM handling_reports WHERE bureau_id = $1 AND id = $2",
        )
        .bind(bureau_id)
        .bind(report_id)
        .fetch_optional(self.pool())
        .await?;
        row.map(|r| r.0).ok_or(StoreError::NotFound)
    }

    pub async fn insert_review(&self, tx: &mut Tx, bureau_id: &str, r: &ReviewRow) -> Result<()> {
        sqlx::query(
            "INSERT INTO report_reviews (id, bureau_id, petition_id, handling_report_id, findings, outcome, opinion, new_period_days, reviewed_by, reviewed_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        )
        .bind(&r.id)
        .bind(bureau_id)
        .bind(&r.petition_id)
        .bind(&r.handling_report_id)
        .bind(&r.findings)
        .bind(&r.outcome)
        .bind(&r.opinion)
        .bind(r.new_period_days)
        .bind(&r.reviewed_by)
        .bind(&r.reviewed_at)
        .execute(&mut **tx)
        .await?;
        Ok(())
    }

    pub async fn reviews_of(&self, petition_id: &str) -> Result<Vec<ReviewRow>> {
        Ok(sqlx::query_as(
            "SELECT id, petition_id, handling_report_id, findings, outcome, opinion, new_period_days, reviewed_by, reviewed_at FROM report_reviews WHERE petition_id = $1 ORDER BY reviewed_at, id",
        )
        .bind(petition_id)
        .fetch_all(self.pool())
        .await?)
    }

    #[allow(clippy::too_many_arguments)]
    pub async fn insert_obligation(
        &self,
        tx: &mut Tx,
        bureau_id: &str,
        petition_id: &str,
        kind: &str,
        description: &str,
        due_on: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<String> {
        let id = new_id();
        sqlx::query(
            "INSERT INTO obligations (id, bureau_id, petition_id, kind, description, due_on, opened_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(&id)
        .bind(bureau_id)
        .bind(petition_id)
        .bind(kind)
        .bind(description)
        .bind(due_on)
        .bind(ts(now))
        .execute(&mut **tx)
        .await?;
        Ok(id)
    }

    pub async fn obligations_of(&self, petition_id: &str) -> Result<Vec<ObligationRow>> {
        Ok(sqlx::query_as(
            "SELECT id, petition_id, kind, description, due_on, opened_at, fulfilled_at, fulfilled_by, note FROM obligations WHERE petition_id = $1 ORDER BY opened_at, id",
        )
        .bind(petition_id)
        .fetch_all(self.pool())
        .await?)
    }

    pub async fn fulfil_obligation(
        &self,
        tx: &mut Tx,
        petition_id: &str,
        id: &str,
        by: &str,
        note: &str,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let r = sqlx::query(
            "UPDATE obligations SET fulfilled_at = $1, fulfilled_by = $2, note = $3 WHERE id = $4 AND petition_id = $5 AND fulfilled_at IS NULL",
        )
        .bind(ts(now))
        .bind(by)
        .bind(note)
        .bind(id)
        .bind(petition_id)
        .execute(&mut **tx)
        .await?;
        if r.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    pub async fn insert_instruction(
        &self,
        tx: &mut Tx,
        bureau_id: &str,
        r: &InstructionRow,
    ) -> Result<()> {
        sqlx::query(
            "INSERT INTO instructions (id, bureau_id, petition_id, leader, given_on, text, required_action, due_on, supervisor, recorded_by, recorded_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
        )
        .bind(&r.id)
        .bind(bureau_id)
        .bind(&r.petition_id)
        .bind(&r.leader)
        .bind(&r.given_on)
        .bind(&r.text)
        .bind(&r.required_action)
        .bind(&r.due_on)
        .bind(&r.supervisor)
        .bind(&r.recorded_by)
        .bind(&r.recorded_at)
        .execute(&mut **tx)
        .await?;
        Ok(())
    }

    pub async fn instructions_of(&self, petition_id: &str) -> Result<Vec<InstructionRow>> {
        Ok(sqlx::query_as(
            "SELECT id, petition_id, leader, given_on, text, required_action, due_on, supervisor, recorded_by, recorded_at FROM instructions WHERE petition_id = $1 ORDER BY recorded_at, id",
        )
        .bind(petition_id)
        .fetch_all(self.pool())
        .await?)
    }

    pub async fn insert_appeal(&self, tx: &mut Tx, bureau_id: &str, r: &AppealRow) -> Result<()> {
        sqlx::query(
            "INSERT INTO appeals (id, bureau_id, petition_id, level, requested_on, contested_received_on, organ, handled_here, reason, due_on, hearing_days, registered_by, registered_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
        )
        .bind(&r.id)
        .bind(bureau_id)
        .bind(&r.petition_id)
        .bind(&r.level)
        .bind(&r.requested_on)
        .bind(&r.contested_received_on)
        .bind(&r.organ)
        .bind(r.handled_here)
        .bind(&r.reason)
        .bind(&r.due_on)
        .bind(r.hearing_days)
        .bind(&r.registered_by)
        .bind(&r.registered_at)
        .execute(&mut **tx)
        .await?;
        Ok(())
    }

    pub async fn appeals_of(&self, petition_id: &str) -> Result<Vec<AppealRow>> {
        Ok(sqlx::query_as(
            "SELECT id, petition_id, level, requested_on, contested_received_on, organ, handled_here, reason, due_on, hearing_days, opinion, opinion_on, opinion_served_on, registered_by, registered_at FROM appeals WHERE petition_id = $1 ORDER BY registered_at, id",
        )
        .bind(petition_id)
        .fetch_all(self.pool())
        .await?)
    }

    pub async fn record_appeal_opinion(&self, tx: &mut Tx, r: &AppealRow) -> Result<()> {
        let done = sqlx::query(
            "UPDATE appeals SET opinion = $1, opinion_on = $2, opinion_served_on = $3, hearing_days = $4, due_on = $5 WHERE id = $6 AND opinion IS NULL",
        )
        .bind(&r.opinion)
        .bind(&r.opinion_on)
        .bind(&r.opinion_served_on)
        .bind(r.hearing_days)
        .bind(&r.due_on)
        .bind(&r.id)
        .execute(&mut **tx)
        .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::Conflict);
        }
        Ok(())
    }

    pub async fn insert_query_reply(
        &self,
        tx: &mut Tx,
        bureau_id: &str,
        r: &QueryReplyRow,
    ) -> Result<()> {
        sqlx::query(
            "INSERT INTO query_replies (id, bureau_id, petition_id, method, asked_on, question, answer, state, recorded_by, recorded_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        )
        .bind(&r.id)
        .bind(bureau_id)
        .bind(&r.petition_id)
        .bind(&r.method)
        .bind(&r.asked_on)
        .bind(&r.question)
        .bind(&r.answer)
        .bind(&r.state)
        .bind(&r.recorded_by)
        .bind(&r.recorded_at)
        .execute(&mut **tx)
        .await?;
        Ok(())
    }

    pub async fn set_query_reply_state(&self, tx: &mut Tx, id: &str, state: &str) -> Result<()> {
        sqlx::query("UPDATE query_replies SET state = $1 WHERE id = $2")
            .bind(state)
            .bind(id)
            .execute(&mut **tx)
            .await?;
        Ok(())
    }

    pub async fn query_replies_of(&self, petition_id: &str) -> Result<Vec<QueryReplyRow>> {
        Ok(sqlx::query_as(
            "SELECT id, petition_id, method, asked_on, question, answer, state, recorded_by, recorded_at FROM query_replies WHERE petition_id = $1 ORDER BY recorded_at, id",
        )
        .bind(petition_id)
        .fetch_all(self.pool())
        .await?)
    }

    pub async fn insert_incident(
        &self,
        tx: &mut Tx,
        bureau_id: &str,
        r: &IncidentRow,
    ) -> Result<()> {
        sqlx::query(
            "INSERT INTO incidents (id, bureau_id, petition_id, petitioner_id, kind, measures, note, occurred_at, recorded_by, recorded_at, emergency) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
        )
        .bind(&r.id)
        .bind(bureau_id)
        .bind(&r.petition_id)
        .bind(&r.petitioner_id)
        .bind(&r.kind)
        .bind(&r.measures)
        .bind(&r.note)
        .bind(&r.occurred_at)
        .bind(&r.recorded_by)
        .bind(&r.recorded_at)
        .bind(&r.emergency)
        .execute(&mut **tx)
        .await?;
        Ok(())
    }

    pub async fn incidents_of(&self, petition_id: &str) -> Result<Vec<IncidentRow>> {
        Ok(sqlx::query_as(
            "SELECT id, petition_id, petitioner_id, kind, measures, emergency, note, occurred_at, recorded_by, recorded_at FROM incidents WHERE petition_id = $1 ORDER BY occurred_at, id",
        )
        .bind(petition_id)
        .fetch_all(self.pool())
        .await?)
    }
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct MeetingRow {
    pub id: String,
    pub petition_id: String,
    pub held_on: String,
    pub place: String,
    pub participants: String,
    pub outcome: String,
    pub recorded_by: String,
    pub recorded_at: String,
}

/// A set-aside letter as the register lists it: by the township of the matter and the date the
/// letter was received (L4.4).
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct SetAsideRow {
    pub id: String,
    pub petition_no: String,
    pub issue_region: String,
    /// A township unit's id or a statistical code; empty on rows registered before it was kept.
    pub township: String,
    pub received_at: String,
    pub summary: String,
    pub set_aside_at: String,
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct DestructionRow {
    pub id: String,
    pub petition_id: String,
    pub description: String,
    pub approval_id: String,
    pub approved_by: String,
    pub destroyed_at: String,
}

impl Store {
    pub async fn insert_meeting(&self, tx: &mut Tx, bureau_id: &str, r: &MeetingRow) -> Result<()> {
        sqlx::query(
            "INSERT INTO coordination_meetings (id, bureau_id, petition_id, held_on, place, participants, outcome, recorded_by, recorded_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(&r.id)
        .bind(bureau_id)
        .bind(&r.petition_id)
        .bind(&r.held_on)
        .bind(&r.place)
        .bind(&r.participants)
        .bind(&r.outcome)
        .bind(&r.recorded_by)
        .bind(&r.recorded_at)
        .execute(&mut **tx)
        .await?;
        Ok(())
    }

    pub async fn meetings_of(&self, petition_id: &str) -> Result<Vec<MeetingRow>> {
        Ok(sqlx::query_as(
            "SELECT id, petition_id, held_on, place, participants, outcome, recorded_by, recorded_at FROM coordination_meetings WHERE petition_id = $1 ORDER BY held_on, id",
        )
        .bind(petition_id)
        .fetch_all(self.pool())
        .await?)
    }

    /// Set-aside letters by township and date (L4.4).
    pub async fn set_aside_register(&self, bureau_id: &str) -> Result<Vec<SetAsideRow>> {
        Ok(sqlx::query_as(
            "SELECT p.id, p.petition_no, p.issue_region, p.township, l.received_at, p.summary, d.created_at AS set_aside_at FROM petitions p JOIN letters l ON l.petition_id = p.id JOIN dispositions d ON d.petition_id = p.id AND d.disposition = 'set_aside' WHERE p.bureau_id = $1 AND p.stage = 'set_aside' ORDER BY p.township, l.received_at, p.id",
        )
        .bind(bureau_id)
        .fetch_all(self.pool())
        .await?)
    }

    #[allow(clippy::too_many_arguments)]
    pub async fn insert_destruction(
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
            "INSERT INTO destruction_register (id, bureau_id, petition_id, description, approval_id, approved_by, destroyed_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
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

    pub async fn destruction_register(&self, bureau_id: &str) -> Result<Vec<DestructionRow>> {
        Ok(sqlx::query_as(
            "SELECT id, petition_id, description, approval_id, approved_by, destroyed_at FROM destruction_register WHERE bureau_id = $1 ORDER BY destroyed_at DESC, id",
        )
        .bind(bureau_id)
        .fetch_all(self.pool())
        .await?)
    }
}
