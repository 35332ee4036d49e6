//! The mailroom's SQL: the receipt register row of each letter, scans, enclosures and the notice
//! obligation. The letter's petition row is created at receipt (stage `received`) and completed
//! at registration; every change is appended to the petition's event chain by the caller in the
//! same transaction.

use crate::petitions::BindRegistration;
use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use serde::Serialize;
use sqlx::Row;
use sqlx::any::AnyRow;
use xinfang_domain::lifecycle::{Channel, Stage};
use xinfang_domain::mailroom::{
    Enclosure, HandOver, HandlingForm, LetterDetails, LetterReceipt, Notice, Opening,
};
use xinfang_domain::registration::Registration;

use crate::petitions::Actor;
use crate::{Result, Store, StoreError, Tx, flag, new_id, ts};

#[derive(Debug, Clone, Serialize)]
pub struct LetterRow {
    pub petition_id: String,
    pub delivery_mode: String,
    pub tracking_no: String,
    pub sender: String,
    pub sender_address: String,
    pub postmark_on: Option<String>,
    pub urgency: String,
    pub open_immediately: bool,
    pub received_at: String,
    pub received_by: String,
    pub opened_at: Option<String>,
    pub opened_by: Option<String>,
    pub disinfected_by: String,
    pub disinfected_at: Option<String>,
    pub distributed_to: String,
    pub distributed_at: Option<String>,
    pub stamps_kept: bool,
    pub postmark_kept: bool,
    pub postcode_kept: bool,
    pub address_kept: bool,
    pub opening_notes: String,
    pub return_reason: String,
    pub joint: bool,
    pub signatory_count: i64,
    pub contact_name: String,
    pub forwarded_by_organ: String,
    pub forwarded_doc_no: String,
    pub forwarded_on: Option<String>,
    pub forwarded_deadline: Option<String>,
    pub leader_name: String,
    pub leader_instructed_on: Option<String>,
    pub leader_instruction: String,
    pub form_summary: String,
    pub form_proposal: String,
    pub form_document_id: Option<String>,
    pub form_sent_at: Option<String>,
    pub instruction: String,
    pub instructed_by: Option<String>,
    pub instructed_at: Option<String>,
    pub notice_due: String,
    pub notice_method: Option<String>,
    pub notice_at: Option<String>,
    pub notice_by: Option<String>,
    pub notice_detail: String,
    pub notice_document_id: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ScanRow {
    pub id: String,
    pub petition_id: String,
    pub part: String,
    pub ordinal: i64,
    pub file_name: String,
    pub content_type: String,
    pub size_bytes: i64,
    pub sha256: String,
    pub uploaded_by: String,
    pub uploaded_at: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct EnclosureRow {
    pub id: String,
    pub petition_id: String,
    pub kind: String,
    pub description: String,
    pub amount_fen: Option<i64>,
    pub quantity: i64,
    /// in_custody | handed_over
    pub state: String,
    pub registered_by: String,
    pub registered_at: String,
    pub handed_to: String,
    pub handed_signature: String,
    pub handed_note: String,
    pub handed_by: Option<String>,
    pub handed_at: Option<String>,
}

/// A row of the clerk's queues: the letter with the few petition fields a list shows.
#[derive(Debug, Clone, Serialize)]
pub struct QueuedLetter {
    pub petition_id: String,
    pub petition_no: String,
    pub stage: Stage,
    pub acceptance: Option<String>,
    pub confidential: bool,
    pub registered_by: String,
    pub delivery_mode: String,
    pub urgency: String,
    pub open_immediately: bool,
    pub sender: String,
    pub received_at: String,
    pub opened: bool,
    pub notice_due: String,
}

fn b(r: &AnyRow, c: &str) -> Result<bool> {
    Ok(r.try_get::<i64, _>(c)? != 0)
}

fn letter_from(r: &AnyRow) -> Result<LetterRow> {
    Ok(LetterRow {
        petition_id: r.try_get("petition_id")?,
        delivery_mode: r.try_get("delivery_mode")?,
        tracking_no: r.try_get("tracking_no")?,
        sender: r.try_get("sender")?,
        sender_address: r.try_get("sender_address")?,
        postmark_on: r.try_get("postmark_on")?,
        urgency: r.try_get("urgency")?,
        open_immediately: b(r, "open_immediately")?,
        received_at: r.try_get("received_at")?,
        received_by: r.try_get("received_by")?,
        opened_at: r.try_get("opened_at")?,
        opened_by: r.try_get("opened_by")?,
        disinfected_by: r.try_get("disinfected_by")?,
        disinfected_at: r.try_get("disinfected_at")?,
        distributed_to: r.try_get("distributed_to")?,
        distributed_at: r.try_get("distributed_at")?,
        stamps_kept: b(r, "stamps_kept")?,
        postmark_kept: b(r, "postmark_kept")?,
        postcode_kept: b(r, "postcode_kept")?,
        address_kept: b(r, "address_kept")?,
        opening_notes: r.try_get("opening_notes")?,
        return_reason: r.try_get("return_reason")?,
        joint: b(r, "joint")?,
        signatory_count: r.try_get("signatory_count")?,
        contact_name: r.try_get("contact_name")?,
        forwarded_by_organ: r.try_get("forwarded_by_organ")?,
        forwarded_doc_no: r.try_get("forwarded_doc_no")?,
        forwarded_on: r.try_get("forwarded_on")?,
        forwarded_deadline: r.try_get("forwarded_deadline")?,
        leader_name: r.try_get("leader_name")?,
        leader_instructed_on: r.try_get("leader_instructed_on")?,
        leader_instruction: r.try_get("leader_instruction")?,
        form_summary: r.try_get("form_summary")?,
        form_proposal: r.try_get("form_proposal")?,
        form_document_id: r.try_get("form_document_id")?,
        form_sent_at: r.try_get("form_sent_at")?,
        instruction: r.try_get("instruction")?,
        instructed_by: r.try_get("instructed_by")?,
        instructed_at: r.try_get("instructed_at")?,
        notice_due: r.try_get("notice_due")?,
        notice_method: r.try_get("notice_method")?,
        notice_at: r.try_get("notice_at")?,
        notice_by: r.try_get("notice_by")?,
        notice_detail: r.try_get("notice_detail")?,
        notice_document_id: r.try_get("notice_document_id")?,
    })
}

fn scan_from(r: &AnyRow) -> Result<ScanRow> {
    Ok(ScanRow {
        id: r.try_get("id")?,
        petition_id: r.try_get("petition_id")?,
        part: r.try_get("part")?,
        ordinal: r.try_get("ordinal")?,
        file_name: r.try_get("file_name")?,
        content_type: r.try_get("content_type")?,
        size_bytes: r.try_get("size_bytes")?,
        sha256: r.try_get("sha256")?,
        uploaded_by: r.try_get("uploaded_by")?,
        uploaded_at: r.try_get("uploaded_at")?,
    })
}

fn enclosure_from(r: &AnyRow) -> Result<EnclosureRow> {
    Ok(EnclosureRow {
        id: r.try_get("id")?,
        petition_id: r.try_get("petition_id")?,
        kind: r.try_get("kind")?,
        description: r.try_get("description")?,
        amount_fen: r.try_get("amount_fen")?,
        quantity: r.try_get("quantity")?,
        state: r.try_get("state")?,
        registered_by: r.try_get("registered_by")?,
        registered_at: r.try_get("registered_at")?,
        handed_to: r.try_get("handed_to")?,
        handed_signature: r.try_get("handed_signature")?,
        handed_note: r.try_get("handed_note")?,
        handed_by: r.try_get("handed_by")?,
        handed_at: r.try_get("handed_at")?,
    })
}

fn queued_from(r: &AnyRow) -> Result<QueuedLetter> {
    let stage: String = r.try_get("stage")?;
    let opened: Option<String> = r.try_get("opened_at")?;
    Ok(QueuedLetter {
        petition_id: r.try_get("petition_id")?,
        petition_no: r.try_get("petition_no")?,
        stage: Stage::parse(&stage).ok_or_else(|| StoreError::Corrupt(format!("stage {stage}")))?,
        acceptance: r.try_get("acceptance")?,
        confidential: b(r, "confidential")?,
        registered_by: r.try_get("registered_by")?,
        delivery_mode: r.try_get("delivery_mode")?,
        urgency: r.try_get("urgency")?,
        open_immediately: b(r, "open_immediately")?,
        sender: r.try_get("sender")?,
        received_at: r.try_get("received_at")?,
        opened: opened.is_some(),
        notice_due: r.try_get("notice_due")?,
    })
}

/// What a newly signed-for letter needs besides the receipt itself.
pub struct NewLetter<'a> {
    pub bureau_id: &'a str,
    pub petition_no: &'a str,
    pub query_code: &'a str,
    /// The bureau's own region: a placeholder until registration says where the matter arose.
    pub region_code: &'a str,
    pub receipt: &'a LetterReceipt,
    pub received_at_utc: DateTime<Utc>,
    pub registered_on: NaiveDate,
    pub notice_due: NaiveDate,
}

const QUEUE_SELECT: &str = "SELECT l.petition_id, p.petition_no, p.stage, p.acceptance, p.confidential, p.registered_by, l.delivery_mode, l.urgency, l.open_immediately, l.sender, l.received_at, l.opened_at, l.notice_due FROM letters l JOIN petitions p ON p.id = l.petition_id";

fn local_ts(t: NaiveDateTime) -> String {
    t.format("%Y-%m-%dT%H:%M:%S").to_string()
}

impl Store {
    /// Signs for a letter: its petition row (stage `received`, channel 来信) and its receipt row.
    /// The caller appends the first event.
    pub async fn insert_received_letter(
        &self,
        tx: &mut Tx,
        l: &NewLetter<'_>,
        actor: &Actor<'_>,
        now: DateTime<Utc>,
    ) -> Result<String> {
        let id = new_id();
        sqlx::query(
            "INSERT INTO petitions (id, bureau_id, petition_no, query_code, channel, stage, visited_at, registered_at, registered_on, registered_by, issue_region, summary, requests, proposal, visitor_count, people_involved, collective, anonymous, consent_to_publish, major_urgent, confidential, skip_level, out_of_district, repeat_reason, event_seq, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, '', '', '', 1, 1, 0, 0, 0, $12, 0, 0, 0, '', 0, $13)",
        )
        .bind(&id)
        .bind(l.bureau_id)
        .bind(l.petition_no)
        .bind(l.query_code)
        .bind(Channel::Letter.as_str())
        .bind(Stage::Received.as_str())
        .bind(ts(l.received_at_utc))
        .bind(ts(now))
        .bind(l.registered_on.to_string())
        .bind(actor.id)
        .bind(l.region_code)
        .bind(flag(l.receipt.urgency != xinfang_domain::mailroom::Urgency::Normal))
        .bind(ts(now))
        .execute(&mut **tx)
        .await?;
        let r = l.receipt;
        sqlx::query(
            "INSERT INTO letters (petition_id, bureau_id, delivery_mode, tracking_no, sender, sender_address, postmark_on, urgency, open_immediately, received_at, received_by, notice_due) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
        )
        .bind(&id)
        .bind(l.bureau_id)
        .bind(r.delivery_mode.as_str())
        .bind(&r.tracking_no)
        .bind(&r.sender)
        .bind(&r.sender_address)
        .bind(r.postmark_date.map(|d| d.to_string()))
        .bind(r.urgency.as_str())
        .bind(flag(r.open_immediately))
        .bind(ts(l.received_at_utc))
        .bind(actor.id)
        .bind(l.notice_due.to_string())
        .execute(&mut **tx)
        .await?;
        Ok(id)
    }

    pub async fn letter(&self, petition_id: &str) -> Result<LetterRow> {
        let row = sqlx::query("SELECT * FROM letters WHERE petition_id = $1")
            .bind(petition_id)
            .fetch_optional(self.pool())
            .await?
            .ok_or(StoreError::NotFound)?;
        letter_from(&row)
    }

    /// Records disinfection, distribution and the opening record.
    pub async fn set_letter_opened(
        &self,
        tx: &mut Tx,
        petition_id: &str,
        o: &Opening,
        actor: &Actor<'_>,
        now: DateTime<Utc>,
    ) -> Result<()> {
        sqlx::query(
            "UPDATE letters SET opened_at = $1, opened_by = $2, disinfected_by = $3, disinfected_at = $4, distributed_to = $5, distributed_at = $6, stamps_kept = $7, postmark_kept = $8, postcode_kept = $9, address_kept = $10, opening_notes = $11 WHERE petition_id = $12 AND opened_at IS NULL",
        )
        .bind(ts(now))
        .bind(actor.id)
        .bind(&o.disinfected_by)
        .bind(local_ts(o.disinfected_at))
        .bind(&o.distributed_to)
        .bind(local_ts(o.distributed_at))
        .bind(flag(o.stamps_kept))
        .bind(flag(o.postmark_kept))
        .bind(flag(o.postcode_kept))
        .bind(flag(o.address_kept))
        .bind(&o.notes)
        .bind(petition_id)
        .execute(&mut **tx)
        .await?;
        Ok(())
    }

    /// Returned unopened: the stage moves to `returned_unopened` and the notice obligation ends.
    pub async fn set_letter_returned(
        &self,
        tx: &mut Tx,
        petition_id: &str,
        reason: &str,
        actor: &Actor<'_>,
        now: DateTime<Utc>,
    ) -> Result<()> {
        sqlx::query("UPDATE letters SET return_reason = $1, notice_method = 'not_required', notice_at = $2, notice_by = $3 WHERE petition_id = $4")
            .bind(reason)
            .bind(ts(now))
            .bind(actor.id)
            .bind(petition_id)
            .execute(&mut **tx)
            .await?;
        self.set_stage(tx, petition_id, Stage::ReturnedUnopened)
            .await
    }

    /// Completes the petition row with the registration and stores the letter's details.
    #[allow(clippy::too_many_arguments)]
    pub async fn register_letter(
        &self,
        tx: &mut Tx,
        bureau_id: &str,
        petition_id: &str,
        r: &Registration,
        d: &LetterDetails,
        stage: Stage,
        registered_on: NaiveDate,
        actor: &Actor<'_>,
        now: DateTime<Utc>,
    ) -> Result<()> {
        sqlx::query(
            "UPDATE petitions SET stage = $1, registered_at = $2, registered_on = $3, registered_by = $4, issue_region = $5, summary = $6, requests = $7, proposal = $8, purpose = $9, category = $10, petition_class = $11, visitor_count = $12, people_involved = $13, collective = $14, anonymous = $15, consent_to_publish = $16, major_urgent = $17, confidential = $18, skip_level = $19, out_of_district = $20, repeat_of = $21, repeat_reason = $22, accused_unit_id = $23, source = $24, source_kind = $25, township = $26 WHERE id = $27",
        )
        .bind(stage.as_str())
        .bind(ts(now))
        .bind(registered_on.to_string())
        .bind(actor.id)
        .bind_registration(r)
        .bind(serde_json::to_string(&r.source).map_err(|e| StoreError::Corrupt(e.to_string()))?)
        .bind(r.source.as_str())
        .bind(r.township.as_input())
        .bind(petition_id)
        .execute(&mut **tx)
        .await?;
        // An online petition arrives with the petitioner as submitted; registration replaces it
        // with what the clerk confirmed.
        sqlx::query("DELETE FROM petitioners WHERE petition_id = $1")
            .bind(petition_id)
            .execute(&mut **tx)
            .await?;
        self.insert_petitioners(tx, bureau_id, petition_id, &r.petitioners)
            .await?;
        let f = d.forwarded.as_ref();
        let li = d.leader_instruction.as_ref();
        sqlx::query(
            "UPDATE letters SET joint = $1, signatory_count = $2, contact_name = $3, forwarded_by_organ = $4, forwarded_doc_no = $5, forwarded_on = $6, forwarded_deadline = $7, leader_name = $8, leader_instructed_on = $9, leader_instruction = $10 WHERE petition_id = $11",
        )
        .bind(flag(d.joint))
        .bind(d.signatory_count)
        .bind(&d.contact_name)
        .bind(f.map(|f| f.organ.clone()).unwrap_or_default())
        .bind(f.map(|f| f.doc_no.clone()).unwrap_or_default())
        .bind(f.map(|f| f.on.to_string()))
        .bind(f.and_then(|f| f.deadline).map(|d| d.to_string()))
        .bind(li.map(|l| l.leader.clone()).unwrap_or_default())
        .bind(li.map(|l| l.on.to_string()))
        .bind(li.map(|l| l.text.clone()).unwrap_or_default())
        .bind(petition_id)
        .execute(&mut **tx)
        .await?;
        Ok(())
    }

    async fn insert_petitioners(
        &self,
        tx: &mut Tx,
        bureau_id: &str,
        petition_id: &str,
        petitioners: &[xinfang_domain::registration::Petitioner],
    ) -> Result<()> {
        for (i, pe) in petitioners.iter().enumerate() {
            sqlx::query(
                "INSERT INTO petitioners (id, bureau_id, petition_id, ordinal, name, id_type, id_number, birth_date, sex, age, ethnicity, address, phone, occupation, is_representative, id_region) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)",
            )
            .bind(new_id())
            .bind(bureau_id)
            .bind(petition_id)
            .bind(i as i64)
            .bind(&pe.name)
            .bind(&pe.id_type)
            .bind(&pe.id_number)
            .bind(pe.birth_date.map(|d| d.to_string()))
            .bind(pe.sex.map(|s| match s {
                xinfang_domain::resident_id::Sex::Male => "male".to_string(),
                xinfang_domain::resident_id::Sex::Female => "female".to_string(),
            }))
            .bind(pe.age)
            .bind(&pe.ethnicity)
            .bind(&pe.address)
            .bind(&pe.phone)
            .bind(&pe.occupation)
            .bind(flag(pe.is_representative))
            .bind(&pe.id_region)
            .execute(&mut **tx)
            .await?;
        }
        Ok(())
    }

    /// The 来信办理单 sent to the deputy director.
    pub async fn set_handling_form(
        &self,
        tx: &mut Tx,
        petition_id: &str,
        f: &HandlingForm,
        document_id: &str,
        now: DateTime<Utc>,
    ) -> Result<()> {
        sqlx::query("UPDATE letters SET form_summary = $1, form_proposal = $2, form_document_id = $3, form_sent_at = $4 WHERE petition_id = $5")
            .bind(&f.summary)
            .bind(&f.proposal)
            .bind(document_id)
            .bind(ts(now))
            .bind(petition_id)
            .execute(&mut **tx)
            .await?;
        Ok(())
    }

    pub async fn set_instruction(
        &self,
        tx: &mut Tx,
        petition_id: &str,
        text: &str,
        actor: &Actor<'_>,
        now: DateTime<Utc>,
    ) -> Result<()> {
        sqlx::query("UPDATE letters SET instruction = $1, instructed_by = $2, instructed_at = $3 WHERE petition_id = $4")
            .bind(text)
            .bind(actor.id)
            .bind(ts(now))
            .bind(petition_id)
            .execute(&mut **tx)
            .await?;
        Ok(())
    }

    /// Closes the notice obligation. Fails with `Conflict` if it was already closed.
    #[allow(clippy::too_many_arguments)]
    pub async fn set_notice(
        &self,
        tx: &mut Tx,
        petition_id: &str,
        n: &Notice,
        detail: &str,
        document_id: Option<&str>,
        actor: &Actor<'_>,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let done = sqlx::query("UPDATE letters SET notice_method = $1, notice_at = $2, notice_by = $3, notice_detail = $4, notice_document_id = $5 WHERE petition_id = $6 AND notice_method IS NULL")
            .bind(n.method.as_str())
            .bind(ts(now))
            .bind(actor.id)
            .bind(detail)
            .bind(document_id)
            .bind(petition_id)
            .execute(&mut **tx)
            .await?;
        if done.rows_affected() != 1 {
            return Err(StoreError::Conflict);
        }
        Ok(())
    }

    pub async fn next_scan_ordinal(&self, tx: &mut Tx, petition_id: &str) -> Result<i64> {
        let (n,): (i64,) = sqlx::query_as(
            "SELECT COALESCE(MAX(ordinal), 0) + 1 FROM letter_scans WHERE petition_id = $1",
        )
        .bind(petition_id)
        .fetch_one(&mut **tx)
        .await?;
        Ok(n)
    }

    #[allow(clippy::too_many_arguments)]
    pub async fn insert_scan(
        &self,
        tx: &mut Tx,
        bureau_id: &str,
        petition_id: &str,
        part: &str,
        ordinal: i64,
        file_name: &str,
        content_type: &str,
        size: i64,
        sha256: &str,
        actor: &Actor<'_>,
        now: DateTime<Utc>,
    ) -> Result<String> {
        let id = new_id();
        sqlx::query("INSERT INTO letter_scans (id, bureau_id, petition_id, part, ordinal, file_name, content_type, size_bytes, sha256, uploaded_by, uploaded_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)")
            .bind(&id)
            .bind(bureau_id)
            .bind(petition_id)
            .bind(part)
            .bind(ordinal)
            .bind(file_name)
            .bind(content_type)
            .bind(size)
            .bind(sha256)
            .bind(actor.id)
            .bind(ts(now))
            .execute(&mut **tx)
            .await?;
        Ok(id)
    }

    /// Scans in binding order: main document, attachments, envelope; then upload order.
    pub async fn scans_of(&self, petition_id: &str) -> Result<Vec<ScanRow>> {
        let rows = sqlx::query("SELECT * FROM letter_scans WHERE petition_id = $1 ORDER BY CASE part WHEN 'main_document' THEN 0 WHEN 'attachment' THEN 1 ELSE 2 END, ordinal")
            .bind(petition_id)
            .fetch_all(self.pool())
            .await?;
        rows.iter().map(scan_from).collect()
    }

    pub async fn scan(&self, bureau_id: &str, id: &str) -> Result<ScanRow> {
        let row = sqlx::query("SELECT * FROM letter_scans WHERE bureau_id = $1 AND id = $2")
            .bind(bureau_id)
            .bind(id)
            .fetch_optional(self.pool())
            .await?
            .ok_or(StoreError::NotFound)?;
        scan_from(&row)
    }

    pub async fn insert_enclosure(
        &self,
        tx: &mut Tx,
        bureau_id: &str,
        petition_id: &str,
        e: &Enclosure,
        actor: &Actor<'_>,
        now: DateTime<Utc>,
    ) -> Result<String> {
        let id = new_id();
        sqlx::query("INSERT INTO letter_enclosures (id, bureau_id, petition_id, kind, description, amount_fen, quantity, state, registered_by, registered_at) VALUES ($1, $2, $3, $4, $5, $6, $7, 'in_custody', $8, $9)")
            .bind(&id)
            .bind(bureau_id)
            .bind(petition_id)
            .bind(e.kind.as_str())
            .bind(&e.description)
            .bind(e.amount_fen)
            .bind(e.quantity)
            .bind(actor.id)
            .bind(ts(now))
            .execute(&mut **tx)
            .await?;
        Ok(id)
    }

    /// Hands an enclosure on against a signature; only from custody, once.
    pub async fn hand_over_enclosure(
        &self,
        tx: &mut Tx,
        id: &str,
        h: &HandOver,
        actor: &Actor<'_>,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let done = sqlx::query("UPDATE letter_enclosures SET state = 'handed_over', handed_to = $1, handed_signature = $2, handed_note = $3, handed_by = $4, handed_at = $5 WHERE id = $6 AND state = 'in_custody'")
            .bind(&h.handed_to)
            .bind(&h.signature)
            .bind(&h.note)
            .bind(actor.id)
            .bind(ts(now))
            .bind(id)
            .execute(&mut **tx)
            .await?;
        if done.rows_affected() != 1 {
            return Err(StoreError::Conflict);
        }
        Ok(())
    }

    pub async fn enclosures_of(&self, petition_id: &str) -> Result<Vec<EnclosureRow>> {
        let rows = sqlx::query(
            "SELECT * FROM letter_enclosures WHERE petition_id = $1 ORDER BY registered_at, id",
        )
        .bind(petition_id)
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(enclosure_from).collect()
    }

    pub async fn enclosure(&self, bureau_id: &str, id: &str) -> Result<EnclosureRow> {
        let row = sqlx::query("SELECT * FROM letter_enclosures WHERE bureau_id = $1 AND id = $2")
            .bind(bureau_id)
            .bind(id)
            .fetch_optional(self.pool())
            .await?
            .ok_or(StoreError::NotFound)?;
        enclosure_from(&row)
    }

    /// Letters not yet registered (signed for, or opened): immediate ones first, then oldest.
    pub async fn letters_to_process(&self, bureau_id: &str) -> Result<Vec<QueuedLetter>> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "{QUEUE_SELECT} WHERE l.bureau_id = $1 AND p.channel = 'letter' AND p.stage = 'received' ORDER BY CASE WHEN l.opened_at IS NULL AND l.open_immediately = 1 THEN 0 ELSE 1 END, l.received_at, p.petition_no"
        )))
        .bind(bureau_id)
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(queued_from).collect()
    }

    /// Letters whose writer has not been told yet, soonest deadline first.
    pub async fn letters_to_notify(&self, bureau_id: &str) -> Result<Vec<QueuedLetter>> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "{QUEUE_SELECT} WHERE l.bureau_id = $1 AND p.channel = 'letter' AND l.notice_method IS NULL ORDER BY l.notice_due, l.received_at, p.petition_no"
        )))
        .bind(bureau_id)
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(queued_from).collect()
    }

    /// Online petitions registered whose writer has not been told yet, soonest deadline first.
    pub async fn online_to_notify(&self, bureau_id: &str) -> Result<Vec<QueuedLetter>> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "{QUEUE_SELECT} WHERE l.bureau_id = $1 AND p.channel = 'online' AND p.stage <> 'received' AND l.notice_method IS NULL ORDER BY l.notice_due, l.received_at, p.petition_no"
        )))
        .bind(bureau_id)
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(queued_from).collect()
    }

    /// Letters with the 来信办理单 on a leader's desk.
    pub async fn letters_awaiting_instruction(&self, bureau_id: &str) -> Result<Vec<QueuedLetter>> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "{QUEUE_SELECT} WHERE l.bureau_id = $1 AND p.stage = 'awaiting_instruction' ORDER BY l.notice_due, p.petition_no"
        )))
        .bind(bureau_id)
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(queued_from).collect()
    }
}
