//! The petitioner's side (issue 20): what anonymous callers of the public site may do — ask for a
//! one-time code, submit an online petition, query a petition's public status by its query code,
//! download the documents meant for them, rate the handling, ask for 复查 — each within the
//! limits of `domain::public`, and each only an insert or a read by code (the public instance's
//! database role may do nothing else). The staff side takes submissions and ratings in
//! (`take_in`): an online petition becomes a petition that follows the letter procedure, with its
//! 15-day notice clock from submission, on the online intake queue; a rating becomes an event of
//! its petition and, when dissatisfied, a follow-up task for the office.

use std::collections::{BTreeMap, HashMap};

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use xinfang_domain::deadline::{self, CountingMode};
use xinfang_domain::lifecycle::{Acceptance, Channel, Stage};
use xinfang_domain::mailroom::{self, NOTICE_DAYS};
use xinfang_domain::outbox::MessageKind;
use xinfang_domain::public::{
    self as rules, Limit, OnlinePetition, OnlinePetitionInput, PublicFacts, PublicStatus,
    RatingClass, RatingInput,
};
use xinfang_domain::role::Role;
use xinfang_domain::visibility::Access;
use xinfang_store::petitions::{Actor, NewPetition, PetitionRecord};
use xinfang_store::public::{CodeCheck, FactsRow, NewSubmission, RatingRow};

use crate::access::open_record;
use crate::auth::CurrentUser;
use crate::calendar::calendar;
use crate::clock::{from_local, local, local_date};
use crate::context::AppState;
use crate::error::{AppError, AppResult};
use crate::write::Write;

/// Where an anonymous call came from (its address, as the limits count it).
#[derive(Debug, Clone)]
pub struct Caller {
    pub address: String,
}

fn key_hash(key: &str) -> String {
    hex::encode(Sha256::digest(key.as_bytes()))
}

async fn within(state: &AppState, limit: &Limit, value: &str) -> AppResult<bool> {
    let since = state.clock.now() - chrono::Duration::minutes(limit.window_minutes);
    let n = state
        .store
        .count_attempts(&key_hash(&limit.key(value)), since)
        .await?;
    Ok(limit.allows(n))
}

async fn count(state: &AppState, limit: &Limit, value: &str) -> AppResult<()> {
    state
        .store
        .record_attempt(&key_hash(&limit.key(value)), state.clock.now())
        .await?;
    Ok(())
}

fn throttled() -> AppError {
    AppError::TooManyRequests(rules::THROTTLED.into())
}

fn nothing_matches() -> AppError {
    AppError::NotFound("没有找到匹配的信访事项，请核对查询码和后四位".into())
}

/// The townships and street offices the public form offers (id, name).
pub async fn townships(state: &AppState) -> AppResult<Vec<(String, String)>> {
    Ok(state.store.public_townships(&state.bureau.id).await?)
}

// ---------------------------------------------------------------------------------------------
// The one-time code

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CodeSent {
    /// The number the code went to, masked.
    pub phone: String,
    /// Minutes the code stays valid.
    pub minutes: i64,
}

fn code_hash(phone: &str, code: &str) -> String {
    key_hash(&format!("{phone}:{code}"))
}

/// Sends a one-time code to a mobile phone through the outbox.
#[tracing::instrument(name = "public::request_phone_code", skip_all)]
pub async fn request_phone_code(
    state: &AppState,
    caller: &Caller,
    phone: &str,
) -> AppResult<CodeSent> {
    let phone = rules::parse_mobile("phone", phone)?;
    if !within(state, &rules::CODES_PER_ADDRESS, &caller.address).await?
        || !within(state, &rules::CODES_PER_PHONE, &phone).await?
    {
        return Err(throttled());
    }
    count(state, &rules::CODES_PER_ADDRESS, &caller.address).await?;
    count(state, &rules::CODES_PER_PHONE, &phone).await?;
    let code = {
        use rand::Rng;
        format!("{:06}", rand::rng().random_range(0..1_000_000))
    };
    let now = state.clock.now();
    let mut tx = state.store.begin().await?;
    state
        .store
        .insert_phone_code(
            &mut tx,
            &state.bureau.id,
            &phone,
            &code_hash(&phone, &code),
            now,
            now + chrono::Duration::minutes(rules::PHONE_CODE_MINUTES),
        )
        .await?;
    let vars: BTreeMap<String, String> = [
        ("code".to_string(), code),
        ("minutes".to_string(), rules::PHONE_CODE_MINUTES.to_string()),
    ]
    .into_iter()
    .collect();
    crate::outbox::enqueue(
        state,
        &mut tx,
        MessageKind::PhoneCode,
        None,
        None,
        Some(&phone),
        None,
        &vars,
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(CodeSent {
        phone: xinfang_domain::resident_id::mask_phone(&phone),
        minutes: rules::PHONE_CODE_MINUTES,
    })
}

// ---------------------------------------------------------------------------------------------
// The online petition

/// What the petitioner is told on submitting.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Acknowledgement {
    pub query_code: String,
    /// China Standard Time, `YYYY-MM-DD HH:MM`.
    pub submitted_at: String,
    /// The day by which the petitioner is told whether it is accepted (15 days).
    pub notice_due: String,
    pub attachments: usize,
}

/// A file sent with an online petition.
pub struct Attachment {
    pub file_name: String,
    pub bytes: Vec<u8>,
}

/// Submits an online petition: checked as at the window, its phone verified by the code, its
/// attachments checked like scans. Nothing is written when anything is refused, and the code is
/// spent only by a submission that is otherwise in order.
#[tracing::instrument(name = "public::submit", skip_all)]
pub async fn submit(
    state: &AppState,
    caller: &Caller,
    input: &OnlinePetitionInput,
    attachments: &[Attachment],
) -> AppResult<Acknowledgement> {
    if !within(state, &rules::SUBMISSIONS_PER_ADDRESS, &caller.address).await? {
        return Err(throttled());
    }
    let now = state.clock.now();
    let mut errors = Vec::new();
    let petition = match rules::parse_online_petition(input, &state.bureau.region_code, local(now))
    {
        Ok(p) => Some(p),
        Err(e) => {
            errors.extend(e);
            None
        }
    };
    if let Err(e) = rules::parse_phone_code(&input.phone_code) {
        errors.push(e);
    }
    if attachments.len() > rules::MAX_ATTACHMENTS {
        errors.push(xinfang_domain::FieldError::new(
            "file",
            "too_many_files",
            format!("附件不超过 {} 个", rules::MAX_ATTACHMENTS),
        ));
    }
    let mut files = Vec::new();
    for (i, a) in attachments.iter().enumerate() {
        match mailroom::check_scan(&a.bytes, state.config.max_scan_bytes) {
            Ok(kind) => files.push((mailroom::clean_file_name(&a.file_name, kind), kind, a)),
            Err(mut e) => {
                e.message = format!(
                    "附件「{}」：{}",
                    a.file_name.chars().take(60).collect::<String>(),
                    e.message
                );
                if i > 0 {
                    e.field = Some(format!("file[{i}]"));
                }
                errors.push(e);
            }
        }
    }
    let Some(petition) = petition.filter(|_| errors.is_empty()) else {
        return Err(AppError::Invalid(errors));
    };
    match state
        .store
        .use_phone_code(
            &state.bureau.id,
            &petition.phone,
            &code_hash(&petition.phone, input.phone_code.trim()),
            now,
            rules::PHONE_CODE_TRIES,
        )
        .await?
    {
        CodeCheck::Ok => {}
        CodeCheck::Wrong => {
            return Err(AppError::field(
                "phone_code",
                "wrong_phone_code",
                "短信验证码不正确",
            ));
        }
        CodeCheck::None => {
            return Err(AppError::field(
                "phone_code",
                "phone_code_expired",
                "短信验证码已失效，请重新获取",
            ));
        }
    }
    count(state, &rules::SUBMISSIONS_PER_ADDRESS, &caller.address).await?;
    let mut stored = Vec::new();
    for (name, kind, a) in &files {
        stored.push((
            name.clone(),
            kind.content_type(),
            a.bytes.len() as i64,
            state.blobs.put(&a.bytes).await?,
        ));
    }
    let id = xinfang_store::new_id();
    let code = crate::numbers::query_code();
    let mut payload = serde_json::to_value(input).unwrap_or_default();
    payload["phone_code"] = "".into();
    payload["email"] = petition.email.clone().unwrap_or_default().into();
    let id_last4 = petition
        .registration
        .petitioners
        .first()
        .and_then(|p| p.id_number.as_deref())
        .and_then(rules::last4_of)
        .unwrap_or_default();
    let mut tx = state.store.begin().await?;
    state
        .store
        .insert_submission(
            &mut tx,
            &NewSubmission {
                id: &id,
                bureau_id: &state.bureau.id,
                kind: "petition",
                query_code: &code,
                id_last4: &id_last4,
                phone_last4: &rules::last4_of(&petition.phone).unwrap_or_default(),
                payload: &payload,
                petition_id: None,
                submitted_at: now,
            },
        )
        .await?;
    for (i, (name, content_type, size, hash)) in stored.iter().enumerate() {
        state
            .store
            .insert_submission_file(
                &mut tx,
                &state.bureau.id,
                &id,
                i as i64,
                name,
                content_type,
                *size,
                hash,
            )
            .await?;
    }
    let vars: BTreeMap<String, String> = [("query_code".to_string(), code.clone())]
        .into_iter()
        .collect();
    crate::outbox::enqueue(
        state,
        &mut tx,
        MessageKind::QueryCode,
        None,
        Some(&id),
        Some(&petition.phone),
        petition.email.as_deref(),
        &vars,
        now,
    )
    .await?;
    tx.commit().await?;
    let notice_due = notice_due(state, local_date(now)).await?;
    if !state.config.public_only {
        take_in(state).await?;
    }
    Ok(Acknowledgement {
        query_code: code,
        submitted_at: local(now).format("%Y-%m-%d %H:%M").to_string(),
        notice_due: notice_due.to_string(),
        attachments: stored.len(),
    })
}

async fn notice_due(state: &AppState, on: NaiveDate) -> AppResult<NaiveDate> {
    let cal = calendar(state).await.unwrap_or_default();
    Ok(deadline::due_date(
        &cal,
        on,
        NOTICE_DAYS,
        CountingMode::Calendar,
    ))
}

// ---------------------------------------------------------------------------------------------
// Query by code

fn date_of(ts: &Option<String>) -> Option<NaiveDate> {
    ts.as_deref()
        .and_then(|t| xinfang_store::parse_ts(t).ok())
        .map(local_date)
}

fn day(s: &Option<String>) -> Option<NaiveDate> {
    s.as_deref().and_then(|d| d.get(..10)?.parse().ok())
}

fn facts_of(row: &FactsRow) -> PublicFacts {
    PublicFacts {
        petition_id: row.petition_id.clone(),
        petition_no: row.petition_no.clone(),
        channel: row.channel.clone(),
        stage: Stage::parse(&row.stage).unwrap_or(Stage::Received),
        acceptance: row.acceptance.as_deref().and_then(Acceptance::parse),
        received_on: date_of(&Some(row.received_at.clone())).unwrap_or(NaiveDate::MIN),
        decided_on: date_of(&row.decided_at),
        closed_on: date_of(&row.closed_at),
        documents: row
            .documents
            .iter()
            .map(|d| rules::FactDocument {
                id: d.id.clone(),
                kind: d.kind.clone(),
                doc_no: d.doc_no.clone(),
                issued_at: d.issued_at.clone(),
            })
            .collect(),
        opinions: row
            .opinions
            .iter()
            .map(|o| rules::FactOpinion {
                unit: o.unit.clone(),
                unit_id: o.unit_id.clone(),
                decision: o.decision.clone(),
                reply: o.reply.clone(),
                served_on: day(&o.served_on),
            })
            .collect(),
        appeals: row
            .appeals
            .iter()
            .filter_map(|a| {
                Some(rules::FactAppeal {
                    level: a.level.clone(),
                    requested_on: a.requested_on.parse().ok()?,
                    opinion: a.opinion.clone(),
                    opinion_on: day(&a.opinion_on),
                    opinion_served_on: day(&a.opinion_served_on),
                })
            })
            .collect(),
        rated: row.rated.clone(),
    }
}

/// Finds the petition of a code and last four, within the limits: per address, and per code
/// for wrong combinations. A wrong code and a wrong last four look the same.
async fn find(
    state: &AppState,
    caller: &Caller,
    query_code: &str,
    last4: &str,
) -> AppResult<(FactsRow, PublicFacts)> {
    let code = rules::parse_query_code(query_code);
    let last4 = rules::parse_last4(last4);
    let (code, last4) = match (code, last4) {
        (Ok(c), Ok(l)) => (c, l),
        (c, l) => {
            return Err(AppError::Invalid(
                [c.err(), l.err()].into_iter().flatten().collect(),
            ));
        }
    };
    if !within(state, &rules::QUERIES_PER_ADDRESS, &caller.address).await?
        || !within(state, &rules::WRONG_QUERIES_PER_ADDRESS, &caller.address).await?
        || !within(state, &rules::WRONG_QUERIES_PER_CODE, &code).await?
    {
        return Err(throttled());
    }
    count(state, &rules::QUERIES_PER_ADDRESS, &caller.address).await?;
    match state.store.public_facts(&code, &last4).await? {
        Some(row) => {
            let facts = facts_of(&row);
            Ok((row, facts))
        }
        None => {
            count(state, &rules::WRONG_QUERIES_PER_ADDRESS, &caller.address).await?;
            count(state, &rules::WRONG_QUERIES_PER_CODE, &code).await?;
            Err(nothing_matches())
        }
    }
}

async fn status_of(state: &AppState, facts: &PublicFacts) -> AppResult<PublicStatus> {
    let cal = calendar(state).await.unwrap_or_default();
    Ok(rules::public_status(
        facts,
        local_date(state.clock.now()),
        &cal,
        &state.config.rating_scale,
        state.config.rating_window_days,
    ))
}

/// A petition's public status by its query code and the last four characters of the
/// petitioner's ID number or phone.
#[tracing::instrument(name = "public::query", skip_all)]
pub async fn query(
    state: &AppState,
    caller: &Caller,
    query_code: &str,
    last4: &str,
) -> AppResult<PublicStatus> {
    let (_, facts) = find(state, caller, query_code, last4).await?;
    status_of(state, &facts).await
}

/// One of the documents meant for the petitioner: its file name and the PDF.
#[tracing::instrument(name = "public::document", skip_all)]
pub async fn document(
    state: &AppState,
    caller: &Caller,
    query_code: &str,
    last4: &str,
    document_id: &str,
) -> AppResult<(String, Vec<u8>)> {
    let (row, facts) = find(state, caller, query_code, last4).await?;
    let status = status_of(state, &facts).await?;
    let shown = status
        .documents
        .iter()
        .find(|d| d.id == document_id.trim())
        .ok_or_else(|| AppError::NotFound("没有这份文书".into()))?;
    let hash = row
        .documents
        .iter()
        .find(|d| d.id == shown.id)
        .and_then(|d| d.pdf_hash.clone())
        .ok_or_else(|| AppError::NotFound("没有这份文书".into()))?;
    let bytes = state
        .blobs
        .get(&hash)
        .await?
        .ok_or_else(|| AppError::Internal(format!("blob {hash} missing")))?;
    Ok((
        format!(
            "{}{}.pdf",
            shown.title,
            shown.doc_no.as_deref().unwrap_or("")
        ),
        bytes,
    ))
}

// ---------------------------------------------------------------------------------------------
// Rating and 复查 online

/// Rates the handling online, within the window after the handling opinion reached the
/// petitioner; each subject once.
#[tracing::instrument(name = "public::rate", skip_all)]
pub async fn rate(
    state: &AppState,
    caller: &Caller,
    query_code: &str,
    last4: &str,
    input: &RatingInput,
) -> AppResult<PublicStatus> {
    let (row, facts) = find(state, caller, query_code, last4).await?;
    let status = status_of(state, &facts).await?;
    let (Some(petition_id), Some(offer)) = (row.petition_id.clone(), status.rating.clone()) else {
        return Err(AppError::Conflict(if status.rated {
            "已评价，感谢您的反馈".into()
        } else {
            "该信访事项目前不在评价期内（处理意见送达后方可评价）".into()
        }));
    };
    let remaining: Vec<String> = offer
        .subjects
        .iter()
        .filter(|s| !facts.rated.contains(s))
        .cloned()
        .collect();
    let ratings = rules::parse_rating(input, &state.config.rating_scale, &remaining)?;
    let unit_id = facts.opinions.iter().find_map(|o| o.unit_id.clone());
    let now = state.clock.now();
    let mut tx = state.store.begin().await?;
    for r in &ratings {
        state
            .store
            .insert_rating(
                &mut tx,
                &state.bureau.id,
                &RatingRow {
                    id: xinfang_store::new_id(),
                    petition_id: petition_id.clone(),
                    subject: r.subject.clone(),
                    unit_id: (r.subject == "unit").then(|| unit_id.clone()).flatten(),
                    level: r.level.label.clone(),
                    class: r.level.class.as_str().into(),
                    comment: r.comment.clone(),
                    channel: "online".into(),
                    recorded_by: None,
                    rated_at: xinfang_store::ts(now),
                    outcome: String::new(),
                },
            )
            .await?;
    }
    tx.commit().await?;
    if !state.config.public_only {
        take_in(state).await?;
    }
    let mut facts = facts;
    facts
        .rated
        .extend(ratings.iter().map(|r| r.subject.clone()));
    status_of(state, &facts).await
}

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(default)]
pub struct ReexaminationInput {
    pub reason: String,
}

/// Asks for 复查 online, within 30 days of receiving the handling opinion: it lands where a
/// request at the counter does (`handling::request_appeal`), once taken in.
#[tracing::instrument(name = "public::request_reexamination", skip_all)]
pub async fn request_reexamination(
    state: &AppState,
    caller: &Caller,
    query_code: &str,
    last4: &str,
    input: &ReexaminationInput,
) -> AppResult<PublicStatus> {
    let (row, facts) = find(state, caller, query_code, last4).await?;
    let status = status_of(state, &facts).await?;
    let (Some(petition_id), Some(_)) =
        (row.petition_id.clone(), status.reexamination_until.clone())
    else {
        return Err(AppError::Conflict(
            "该信访事项目前不能申请复查（须在收到处理意见之日起 30 日内，且未申请过复查）".into(),
        ));
    };
    let reason = input.reason.trim();
    if reason.is_empty() || reason.chars().count() > 5000 {
        return Err(AppError::field(
            "reason",
            "required",
            "请填写申请复查的理由（不超过 5000 字）",
        ));
    }
    let now = state.clock.now();
    let id = xinfang_store::new_id();
    let mut tx = state.store.begin().await?;
    state
        .store
        .insert_submission(
            &mut tx,
            &NewSubmission {
                id: &id,
                bureau_id: &state.bureau.id,
                kind: "reexamination",
                query_code: &format!("{}#{id}", row.petition_no.clone().unwrap_or_default()),
                id_last4: "",
                phone_last4: "",
                payload: &serde_json::json!({"reason": reason}),
                petition_id: Some(&petition_id),
                submitted_at: now,
            },
        )
        .await?;
    tx.commit().await?;
    if !state.config.public_only {
        take_in(state).await?;
    }
    let mut facts = facts;
    facts.appeals.push(rules::FactAppeal {
        level: "reexamination".into(),
        requested_on: local_date(now),
        opinion: None,
        opinion_on: None,
        opinion_served_on: None,
    });
    status_of(state, &facts).await
}

// ---------------------------------------------------------------------------------------------
// Taking in (the staff side)

/// What one round of taking in did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct TakenIn {
    pub petitions: usize,
    pub appeals: usize,
    pub ratings: usize,
    pub refused: usize,
}

/// Turns what the public side submitted into the bureau's records: online petitions into
/// petitions on the online intake queue, 复查 requests into appeals, ratings into events (and
/// follow-up tasks). Several instances may run it: each item is claimed in its own transaction.
#[tracing::instrument(name = "public::take_in", skip_all)]
pub async fn take_in(state: &AppState) -> AppResult<TakenIn> {
    let mut done = TakenIn::default();
    let (sys_id, sys_role) = crate::supervision::system_actor(state).await?;
    for s in state
        .store
        .pending_submissions(&state.bureau.id, 200)
        .await?
    {
        let result = match s.kind.as_str() {
            "petition" => take_in_petition(state, &sys_id, sys_role, &s)
                .await
                .map(|_| {
                    done.petitions += 1;
                }),
            _ => take_in_reexamination(state, &sys_id, sys_role, &s)
                .await
                .map(|ok| {
                    if ok {
                        done.appeals += 1;
                    } else {
                        done.refused += 1;
                    }
                }),
        };
        if let Err(e) = result {
            tracing::warn!(error = ?e, "an online submission could not be taken in");
        }
    }
    for r in state.store.pending_ratings(&state.bureau.id, 200).await? {
        match take_in_rating(state, &sys_id, sys_role, &r).await {
            Ok(true) => done.ratings += 1,
            Ok(false) => done.refused += 1,
            Err(e) => tracing::warn!(error = ?e, "a rating could not be taken in"),
        }
    }
    // Attempts older than the longest window count for nothing.
    let _ = state
        .store
        .prune_attempts(state.clock.now() - chrono::Duration::days(2))
        .await;
    Ok(done)
}

async fn take_in_petition(
    state: &AppState,
    sys_id: &str,
    sys_role: Role,
    s: &xinfang_store::public::SubmissionRow,
) -> AppResult<()> {
    let input: OnlinePetitionInput = serde_json::from_str(&s.payload)
        .map_err(|e| AppError::Internal(format!("submission {}: {e}", s.id)))?;
    let submitted = xinfang_store::parse_ts(&s.submitted_at)?;
    let on = local_date(submitted);
    let OnlinePetition { registration, .. } =
        rules::parse_online_petition(&input, &state.bureau.region_code, local(submitted))
            .map_err(|e| AppError::Internal(format!("submission {}: {e:?}", s.id)))?;
    let due = notice_due(state, on).await?;
    let files = state.store.submission_files(&s.id).await?;
    let now = state.clock.now();
    let mut w = Write::begin_as(state, sys_id, sys_role, now).await?;
    let seq = xinfang_store::next_in_sequence(
        &mut w.tx,
        &state.bureau.id,
        &format!("petition:{}", Channel::Online.as_str()),
        on.year(),
    )
    .await?;
    let no = crate::numbers::petition_no(Channel::Online, on.year(), seq);
    let actor = Actor {
        id: sys_id,
        role: sys_role,
    };
    let id = state
        .store
        .insert_petition(
            &mut w.tx,
            &NewPetition {
                bureau_id: &state.bureau.id,
                petition_no: &no,
                query_code: &s.query_code,
                registration: &registration,
                stage: Stage::Received,
                registered_on: on,
                visited_at_utc: from_local(registration.visited_at),
            },
            &actor,
            now,
        )
        .await?;
    if !state
        .store
        .settle_submission(&mut w.tx, &s.id, Some(&id), "petition", now)
        .await?
    {
        // Another instance took it in first; this transaction is dropped.
        return Ok(());
    }
    state
        .store
        .insert_online_receipt(
            &mut w.tx,
            &state.bureau.id,
            &id,
            &s.submitted_at,
            &due.to_string(),
            sys_id,
        )
        .await?;
    for f in &files {
        state
            .store
            .insert_scan(
                &mut w.tx,
                &state.bureau.id,
                &id,
                xinfang_domain::mailroom::ScanPart::Attachment.as_str(),
                f.ordinal,
                &f.file_name,
                &f.content_type,
                f.size_bytes,
                &f.sha256,
                &actor,
                now,
            )
            .await?;
    }
    w.event(
        &id,
        0,
        "online_submitted",
        &serde_json::json!({
            "petition_no": no,
            "channel": Channel::Online.as_str(),
            "stage": Stage::Received.as_str(),
            "submission_id": s.id,
            "submitted_at": s.submitted_at,
            "notice_due": due.to_string(),
            "attachments": files.iter().map(|f| f.file_name.clone()).collect::<Vec<_>>(),
            "registration": registration,
        }),
    )
    .await?;
    w.commit().await
}

/// A 复查 request taken in through the counter's own path; `false` when it was refused
/// (the window closed, already requested).
async fn take_in_reexamination(
    state: &AppState,
    sys_id: &str,
    sys_role: Role,
    s: &xinfang_store::public::SubmissionRow,
) -> AppResult<bool> {
    let petition_id = s.petition_id.clone().unwrap_or_default();
    let reason = serde_json::from_str::<serde_json::Value>(&s.payload)
        .ok()
        .and_then(|v| v["reason"].as_str().map(str::to_string))
        .unwrap_or_default();
    let on = local_date(xinfang_store::parse_ts(&s.submitted_at)?);
    let input = crate::handling::AppealInput {
        level: "reexamination".into(),
        requested_on: on.to_string(),
        organ: state.bureau.name.clone(),
        handled_here: true,
        reason,
    };
    let now = state.clock.now();
    let outcome =
        crate::handling::register_appeal(state, sys_id, sys_role, &petition_id, &input, true).await;
    let mut tx = state.store.begin().await?;
    let (ok, label) = match &outcome {
        Ok(_) => (true, "appeal".to_string()),
        Err(e) => (false, format!("refused: {}", e.body().message)),
    };
    state
        .store
        .settle_submission(&mut tx, &s.id, None, &label, now)
        .await?;
    tx.commit().await?;
    Ok(ok)
}

/// The rating facts of a petition as the bureau's records hold them: when the handling
/// opinion was served, and the handling unit (its id and name).
async fn rating_facts(
    state: &AppState,
    p: &PetitionRecord,
) -> AppResult<(Option<NaiveDate>, Option<(String, String)>)> {
    let case = crate::handling::CaseView::load(state, p.clone()).await?;
    let (served, unit) = case.rating_facts();
    let unit = match unit {
        Some(u) => Some((
            u.clone(),
            state
                .store
                .unit(&state.bureau.id, &u)
                .await
                .map(|x| x.name)
                .unwrap_or_default(),
        )),
        None => None,
    };
    Ok((served, unit))
}

/// Whether a rating of `subject` may be taken today.
fn rateable(
    state: &AppState,
    served: Option<NaiveDate>,
    unit: &Option<(String, String)>,
    subject: &str,
    today: NaiveDate,
) -> Result<(), String> {
    let Some(on) = served else {
        return Err("处理意见尚未送达信访人，不能评价".into());
    };
    if today > rules::rating_closes(on, state.config.rating_window_days) {
        return Err("已超过评价期限".into());
    }
    if subject == "unit" && unit.is_none() {
        return Err("该事项没有办理单位".into());
    }
    Ok(())
}

/// Writes the event of accepted ratings and, for a dissatisfied one, the office's follow-up task.
async fn record_ratings(
    state: &AppState,
    w: &mut Write<'_>,
    p: &PetitionRecord,
    ratings: &[RatingRow],
    unit: &Option<(String, String)>,
) -> AppResult<()> {
    let as_domain: Vec<rules::Rating> = ratings
        .iter()
        .map(|r| rules::Rating {
            subject: r.subject.clone(),
            level: rules::RatingLevel {
                label: r.level.clone(),
                class: RatingClass::parse(&r.class).unwrap_or(RatingClass::Neutral),
            },
            comment: r.comment.clone(),
        })
        .collect();
    let task = rules::follow_up_title(
        &p.petition_no,
        &as_domain,
        unit.as_ref().map(|u| u.1.as_str()),
    );
    let mut task_id = None;
    if let Some(title) = &task {
        task_id = Some(
            state
                .store
                .insert_task(
                    &mut w.tx,
                    &state.bureau.id,
                    Some(&p.id),
                    rules::RATING_FOLLOW_UP_TASK,
                    Role::Office,
                    title,
                    w.now,
                )
                .await?,
        );
    }
    w.next_event(
        &p.id,
        "rated",
        &serde_json::json!({
            "ratings": ratings.iter().map(|r| serde_json::json!({
                "subject": r.subject, "level": r.level, "class": r.class,
                "comment": r.comment, "channel": r.channel,
            })).collect::<Vec<_>>(),
            "follow_up_task": task_id,
        }),
    )
    .await?;
    Ok(())
}

async fn take_in_rating(
    state: &AppState,
    sys_id: &str,
    sys_role: Role,
    r: &RatingRow,
) -> AppResult<bool> {
    let p = state
        .store
        .petition(&state.bureau.id, &r.petition_id)
        .await?;
    let (served, unit) = rating_facts(state, &p).await?;
    let now = state.clock.now();
    let verdict = rateable(state, served, &unit, &r.subject, local_date(now));
    let mut w = Write::begin_as(state, sys_id, sys_role, now).await?;
    let outcome = if verdict.is_ok() {
        "accepted"
    } else {
        "refused"
    };
    if !state
        .store
        .settle_rating(&mut w.tx, &r.id, outcome, now)
        .await?
    {
        return Ok(false);
    }
    if verdict.is_ok() {
        record_ratings(state, &mut w, &p, std::slice::from_ref(r), &unit).await?;
    }
    w.commit().await?;
    Ok(verdict.is_ok())
}

// ---------------------------------------------------------------------------------------------
// The staff side: the online intake queue, ratings by phone, what a petition's page shows

/// A row of the online intake queue: the writer's name masked.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct OnlineQueueItem {
    pub id: String,
    pub petition_no: String,
    /// Masked: 王*.
    pub writer: String,
    pub summary: String,
    pub submitted_at: String,
    pub notice_due: String,
    /// Days left until the writer must be told (negative: overdue).
    pub days_left: i64,
    /// Earlier petitions that may be the same person or matter (`search::similar`).
    pub possible_repeats: Vec<String>,
}

/// Whether the user works the online intake queue: the configured role (default the letter
/// clerk).
pub fn works_online_queue(state: &AppState, user: &CurrentUser) -> bool {
    user.role() == state.config.online_intake_role
}

/// Online petitions taken in and waiting to be registered, the 15-day notice clock running
/// from submission, with the earlier petitions each may repeat.
#[tracing::instrument(name = "public::online_queue", skip_all)]
pub async fn online_queue(state: &AppState, user: &CurrentUser) -> AppResult<Vec<OnlineQueueItem>> {
    if !works_online_queue(state, user) {
        return Err(AppError::forbidden());
    }
    let today = local_date(state.clock.now());
    let mut out = Vec::new();
    for q in state.store.online_to_register(&state.bureau.id).await? {
        let p = state
            .store
            .petition(&state.bureau.id, &q.petition_id)
            .await?;
        if crate::access::access_of(state, &user.user, &p).await? == Access::Denied {
            continue;
        }
        let first = p.petitioners.first();
        let possible_repeats = if out.len() < 50 {
            crate::search::similar(
                state,
                user,
                &crate::search::SimilarInput {
                    name: first.map(|x| x.name.clone()),
                    id_number: first.and_then(|x| x.id_number.clone()),
                    phone: first.map(|x| x.phone.clone()),
                    address: first.map(|x| x.address.clone()),
                    matter: Some(p.summary.clone()),
                    exclude_id: Some(p.id.clone()),
                    ..Default::default()
                },
            )
            .await?
            .into_iter()
            .map(|c| c.record.petition_no.clone())
            .take(5)
            .collect()
        } else {
            Vec::new()
        };
        let due = NaiveDate::parse_from_str(&q.notice_due, "%Y-%m-%d").unwrap_or(today);
        out.push(OnlineQueueItem {
            id: p.id.clone(),
            petition_no: q.petition_no,
            writer: q
                .name
                .as_deref()
                .map(crate::mailroom::mask_name)
                .unwrap_or_default(),
            summary: q.summary.chars().take(80).collect(),
            submitted_at: crate::clock::show(&q.received_at),
            notice_due: q.notice_due,
            days_left: mailroom::days_left(due, today),
            possible_repeats,
        });
    }
    Ok(out)
}

/// A rating as a petition's page shows it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct RatingView {
    /// 信访部门 / 办理单位
    pub subject: String,
    pub level: String,
    /// satisfied | neutral | dissatisfied
    pub class: String,
    pub comment: String,
    /// 网上 / 电话
    pub channel: String,
    pub rated_at: String,
    /// accepted | refused | pending
    pub outcome: String,
}

/// A petition's ratings, for those who may see who raised it (a rating is the petitioner's
/// word).
pub async fn ratings_of(
    state: &AppState,
    user: &CurrentUser,
    petition_id: &str,
) -> AppResult<Vec<RatingView>> {
    let (p, access) = open_record(state, user, petition_id, "view_ratings").await?;
    if access != Access::Full {
        return Ok(Vec::new());
    }
    Ok(state
        .store
        .ratings_of(&p.id)
        .await?
        .into_iter()
        .map(|r| RatingView {
            subject: if r.subject == "unit" {
                "办理单位"
            } else {
                "信访部门"
            }
            .into(),
            level: r.level,
            class: r.class,
            comment: r.comment,
            channel: if r.channel == "phone" {
                "电话"
            } else {
                "网上"
            }
            .into(),
            rated_at: crate::clock::show(&r.rated_at),
            outcome: if r.outcome.is_empty() {
                "pending".into()
            } else {
                r.outcome
            },
        })
        .collect())
}

/// What a petition's page offers for a rating taken by phone: the subjects still open, the
/// scale, until when; `None` when nothing may be rated.
pub async fn phone_rating_offer(
    state: &AppState,
    user: &CurrentUser,
    petition_id: &str,
) -> AppResult<Option<rules::RatingOffer>> {
    if !may_record_ratings(user) {
        return Ok(None);
    }
    let (p, access) = open_record(state, user, petition_id, "view_ratings").await?;
    if access != Access::Full {
        return Ok(None);
    }
    let (served, unit) = rating_facts(state, &p).await?;
    let today = local_date(state.clock.now());
    let Some(on) = served else { return Ok(None) };
    let until = rules::rating_closes(on, state.config.rating_window_days);
    if today > until {
        return Ok(None);
    }
    let rated: Vec<String> = state
        .store
        .ratings_of(&p.id)
        .await?
        .into_iter()
        .filter(|r| r.outcome != "refused")
        .map(|r| r.subject)
        .collect();
    let mut subjects = vec!["bureau".to_string()];
    if unit.is_some() {
        subjects.push("unit".into());
    }
    subjects.retain(|s| !rated.contains(s));
    Ok((!subjects.is_empty()).then(|| rules::RatingOffer {
        until: until.to_string(),
        subjects,
        unit: unit.map(|u| u.1),
        levels: state
            .config
            .rating_scale
            .levels
            .iter()
            .map(|l| l.label.clone())
            .collect(),
    }))
}

fn may_record_ratings(user: &CurrentUser) -> bool {
    matches!(
        user.role(),
        Role::Office | Role::LetterClerk | Role::CaseOfficer | Role::Receptionist
    )
}

/// Records a rating the petitioner gave by phone, within the same window as online ones; a
/// dissatisfied one opens the office's follow-up task in the same transaction.
#[tracing::instrument(name = "public::record_phone_rating", skip_all)]
pub async fn record_phone_rating(
    state: &AppState,
    user: &CurrentUser,
    petition_id: &str,
    input: &RatingInput,
) -> AppResult<Vec<RatingView>> {
    if !may_record_ratings(user) {
        return Err(AppError::forbidden());
    }
    let (p, access) = open_record(state, user, petition_id, "record_rating").await?;
    if access != Access::Full {
        return Err(AppError::forbidden());
    }
    let (served, unit) = rating_facts(state, &p).await?;
    let now = state.clock.now();
    rateable(state, served, &unit, "bureau", local_date(now)).map_err(AppError::Conflict)?;
    let rated: Vec<String> = state
        .store
        .ratings_of(&p.id)
        .await?
        .into_iter()
        .filter(|r| r.outcome != "refused")
        .map(|r| r.subject)
        .collect();
    let mut subjects = vec!["bureau".to_string()];
    if unit.is_some() {
        subjects.push("unit".into());
    }
    subjects.retain(|s| !rated.contains(s));
    if subjects.is_empty() {
        return Err(AppError::Conflict("该信访事项已评价".into()));
    }
    let ratings = rules::parse_rating(input, &state.config.rating_scale, &subjects)?;
    let rows: Vec<RatingRow> = ratings
        .iter()
        .map(|r| RatingRow {
            id: xinfang_store::new_id(),
            petition_id: p.id.clone(),
            subject: r.subject.clone(),
            unit_id: (r.subject == "unit")
                .then(|| unit.as_ref().map(|u| u.0.clone()))
                .flatten(),
            level: r.level.label.clone(),
            class: r.level.class.as_str().into(),
            comment: r.comment.clone(),
            channel: "phone".into(),
            recorded_by: Some(user.user.id.clone()),
            rated_at: xinfang_store::ts(now),
            outcome: "accepted".into(),
        })
        .collect();
    let mut w = Write::begin_at(state, user, now).await?;
    for r in &rows {
        if !state
            .store
            .insert_rating(&mut w.tx, &state.bureau.id, r)
            .await?
        {
            return Err(AppError::Conflict("该信访事项已评价".into()));
        }
    }
    record_ratings(state, &mut w, &p, &rows, &unit).await?;
    w.commit().await?;
    ratings_of(state, user, &p.id).await
}

/// The registration form's values of an online petition as its writer submitted them, for the
/// clerk to confirm (field names as the letter page's form uses them).
pub async fn submitted_values(
    state: &AppState,
    user: &CurrentUser,
    petition_id: &str,
) -> AppResult<HashMap<String, String>> {
    let (p, access) = open_record(state, user, petition_id, "view_submission").await?;
    let mut v = HashMap::new();
    if access != Access::Full || p.channel != Channel::Online || p.stage != Stage::Received {
        return Ok(v);
    }
    if let Some(x) = p.petitioners.first() {
        v.insert("p0_name".into(), x.name.clone());
        v.insert("p0_id_type".into(), x.id_type.clone());
        v.insert(
            "p0_id_number".into(),
            x.id_number.clone().unwrap_or_default(),
        );
        v.insert("p0_phone".into(), x.phone.clone());
        v.insert("p0_address".into(), x.address.clone());
    }
    v.insert("summary".into(), p.summary.clone());
    v.insert("requests".into(), p.requests.clone());
    v.insert("issue_region".into(), p.issue_region.clone());
    match &p.township {
        Some(xinfang_domain::township::TownshipRef::Unit { unit_id }) => {
            v.insert("township".into(), unit_id.clone());
        }
        Some(t) => {
            v.insert("township_code".into(), t.as_input().to_string());
        }
        None => {}
    }
    if p.consent_to_publish {
        v.insert("consent_to_publish".into(), "on".into());
    }
    Ok(v)
}

/// Who is told a decision: for the visit procedure at `intake::decide`, for the letter procedure
/// when the clerk records the notice. The word sent.
pub fn decision_words(a: Acceptance) -> &'static str {
    a.label_zh()
}
