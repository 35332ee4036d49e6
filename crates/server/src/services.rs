//! Use cases: each takes the signed-in user and plain input, asks the domain core what may
//! happen, and writes the new state and its event in one transaction. Pages and the API are
//! thin adapters over these functions.

use chrono::Datelike;
use serde::{Deserialize, Serialize};
use xinfang_domain::calendar::{OfficialCalendar, YearNotice, validate_notice};
use xinfang_domain::document::{DocumentKind, format_doc_no};
use xinfang_domain::lifecycle::{self, Acceptance, Command, PetitionState, Stage};
use xinfang_domain::registration::{
    InterviewInput, RegistrationInput, parse_interview, parse_registration,
};
use xinfang_domain::resident_id::{mask_id_number, mask_phone};
use xinfang_domain::role::Role;
use xinfang_domain::visibility::{self, Access, PetitionFacts, Viewer};
use xinfang_domain::{FieldError, deadline, region};
use xinfang_store::documents::NewDocument;
use xinfang_store::people::User;
use xinfang_store::petitions::{Actor, ListFilter, ListScope, NewPetition, PetitionRecord};

use crate::app::AppState;
use crate::auth::CurrentUser;
use crate::clock::{from_local, local, local_date};
use crate::error::{AppError, AppResult};

fn actor(u: &User) -> Actor<'_> {
    Actor {
        id: &u.id,
        role: u.role,
    }
}

/// Characters for query codes: no 0/O or 1/I, so they can be read out on the phone.
const QUERY_CODE_ALPHABET: &[u8] = b"23456789ABCDEFGHJKLMNPQRSTUVWXYZ";

pub fn query_code() -> String {
    use rand::Rng;
    let mut rng = rand::rng();
    (0..8)
        .map(|_| QUERY_CODE_ALPHABET[rng.random_range(0..QUERY_CODE_ALPHABET.len())] as char)
        .collect()
}

pub fn petition_no(channel: lifecycle::Channel, year: i32, seq: i64) -> String {
    format!("{}{year}-{seq:06}", channel.number_prefix())
}

// ---------------------------------------------------------------------------------------------
// Access

/// The visibility facts of a petition for this viewer.
pub async fn access_of(state: &AppState, user: &User, p: &PetitionRecord) -> AppResult<Access> {
    let units = state.store.handling_units(&p.id).await?;
    let recused = state.store.is_recused(&user.id, &p.id).await?;
    let mut assigned = vec![p.registered_by.as_str()];
    if let Some(d) = &p.decided_by {
        assigned.push(d);
    }
    let facts = PetitionFacts {
        confidential: p.confidential,
        assigned_staff: assigned,
        handling_units: units.iter().map(String::as_str).collect(),
        accused_unit_id: p.accused_unit_id.as_deref(),
        viewer_recused: recused,
    };
    let viewer = Viewer {
        user_id: &user.id,
        role: user.role,
        unit_id: user.unit_id.as_deref(),
    };
    Ok(visibility::access(&viewer, &facts))
}

/// Opens a petition for reading: checks access and logs the opening (rules §14).
pub async fn open_petition(
    state: &AppState,
    user: &CurrentUser,
    id: &str,
    purpose: &str,
) -> AppResult<(PetitionRecord, Access)> {
    let p = state.store.petition(&state.bureau.id, id).await?;
    let access = access_of(state, &user.user, &p).await?;
    if access == Access::Denied {
        return Err(AppError::Forbidden(
            "您无权查看该信访件（保密、回避或不属本单位）".into(),
        ));
    }
    state
        .store
        .log_access(
            &state.bureau.id,
            &p.id,
            &user.user.id,
            purpose,
            state.clock.now(),
        )
        .await?;
    Ok((p, access))
}

// ---------------------------------------------------------------------------------------------
// Registration

pub async fn register(
    state: &AppState,
    user: &CurrentUser,
    input: &RegistrationInput,
) -> AppResult<PetitionRecord> {
    let letter = input.channel.trim() == "letter";
    if !visibility::may_register(user.role(), letter) {
        return Err(AppError::Forbidden(format!(
            "{}不能登记{}",
            user.role().label_zh(),
            if letter { "来信" } else { "来访" }
        )));
    }
    let now = state.clock.now();
    let reg = parse_registration(input, local(now))?;
    let bureau = &state.bureau;
    if let Some(r) = &reg.repeat_of {
        state.store.petition(&bureau.id, r).await.map_err(|_| {
            AppError::field("repeat_of", "unknown_petition", "关联的原信访件不存在")
        })?;
    }
    if let Some(u) = &reg.accused_unit_id {
        state.store.unit(&bureau.id, u).await.map_err(|_| {
            AppError::field("accused_unit_id", "unknown_unit", "被检举控告的单位不存在")
        })?;
    }
    let today = local_date(now);
    let stage = PetitionState::new(reg.channel).stage;
    let mut tx = state.store.begin().await?;
    let seq = xinfang_store::next_in_sequence(
        &mut tx,
        &bureau.id,
        &format!("petition:{}", reg.channel.as_str()),
        today.year(),
    )
    .await?;
    let no = petition_no(reg.channel, today.year(), seq);
    let code = query_code();
    let id = state
        .store
        .insert_petition(
            &mut tx,
            &NewPetition {
                bureau_id: &bureau.id,
                petition_no: &no,
                query_code: &code,
                registration: &reg,
                stage,
                registered_on: today,
                visited_at_utc: from_local(reg.visited_at),
            },
            &actor(&user.user),
            now,
        )
        .await?;
    let payload = serde_json::json!({
        "petition_no": no,
        "channel": reg.channel.as_str(),
        "stage": stage.as_str(),
        "registration": reg,
    });
    state
        .store
        .append_event(
            &mut tx,
            &bureau.id,
            &id,
            0,
            "registered",
            &payload,
            &actor(&user.user),
            now,
        )
        .await?;
    // A new visit or letter on a matter already transferred or assigned is supervised (rules §5).
    if let Some(earlier) = &reg.repeat_of {
        crate::supervision::on_repeat_registered(
            state,
            &mut tx,
            earlier,
            &id,
            &no,
            &actor(&user.user),
        )
        .await?;
    }
    // Out-of-district visitors are reported to the bureau head (V2.3).
    if reg.out_of_district {
        state
            .store
            .insert_task(
                &mut tx,
                &bureau.id,
                Some(&id),
                "out_of_district",
                Role::Director,
                &format!("区外来访：{no}，请局负责人阅知"),
                now,
            )
            .await?;
    }
    tx.commit().await?;
    Ok(state.store.petition(&bureau.id, &id).await?)
}

// ---------------------------------------------------------------------------------------------
// Interview

pub async fn record_interview(
    state: &AppState,
    user: &CurrentUser,
    id: &str,
    input: &InterviewInput,
) -> AppResult<()> {
    user.require(&[Role::Receptionist, Role::CaseOfficer])?;
    let (p, _) = open_petition(state, user, id, "record_interview").await?;
    if p.channel == lifecycle::Channel::Letter {
        return Err(AppError::Conflict("来信不需要接谈记录".into()));
    }
    if !p.stage.is_open() {
        return Err(AppError::Conflict(format!(
            "信访件已{}，不能再记录接谈",
            p.stage.label_zh()
        )));
    }
    let now = state.clock.now();
    let interview = parse_interview(input, local_date(now))?;
    let mut tx = state.store.begin().await?;
    state
        .store
        .insert_interview(
            &mut tx,
            &state.bureau.id,
            &p.id,
            &interview,
            &user.user.id,
            now,
        )
        .await?;
    let kind = if interview.appointment_on.is_some() {
        "appointment_made"
    } else {
        "interviewed"
    };
    state
        .store
        .append_event(
            &mut tx,
            &state.bureau.id,
            &p.id,
            p.event_seq,
            kind,
            &serde_json::to_value(&interview).unwrap_or_default(),
            &actor(&user.user),
            now,
        )
        .await?;
    tx.commit().await?;
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Decision and slip

#[derive(Debug, Clone, Default, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(default)]
pub struct DecisionInput {
    /// accepted | not_accepted | no_longer_accepted | referred_to_locality | referred_to_department
    pub acceptance: String,
    /// A reason code from the configured list for that decision.
    pub reason: String,
    pub note: String,
    /// The unit the matter goes to: a department for 转送单, a township or street office for a
    /// locality referral.
    pub target_unit_id: Option<String>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct DecisionOutcome {
    pub state: String,
    pub acceptance: String,
    /// The slip issued on the spot, if the decision needs one.
    pub document_id: Option<String>,
    pub doc_no: Option<String>,
    /// For accepted petitions: the date by which the way of handling must be decided (15 days).
    pub dispose_due: Option<String>,
}

pub async fn decide(
    state: &AppState,
    user: &CurrentUser,
    id: &str,
    input: &DecisionInput,
) -> AppResult<DecisionOutcome> {
    let (p, _) = open_petition(state, user, id, "decide").await?;
    let acceptance = Acceptance::parse(input.acceptance.trim()).ok_or_else(|| {
        AppError::field(
            "acceptance",
            "unknown_acceptance",
            format!("未知的受理决定：{}", input.acceptance.trim()),
        )
    })?;
    let reps = p.petitioners.iter().filter(|x| x.is_representative).count();
    let domain_state = PetitionState {
        channel: p.channel,
        stage: p.stage,
        acceptance: p.acceptance,
        collective_without_representatives: p.collective && reps == 0,
        ..PetitionState::new(p.channel)
    };
    let transition =
        lifecycle::execute(&domain_state, &Command::Decide { acceptance }, user.role())?;
    let reasons = state.store.decision_reasons(&state.bureau.id).await?;
    let usable = |r: &&xinfang_store::reasons::DecisionReason| {
        r.active && r.acceptance == acceptance.as_str()
    };
    let reason_code = if input.reason.trim().is_empty() {
        reasons
            .iter()
            .find(usable)
            .map(|r| r.code.clone())
            .unwrap_or_default()
    } else {
        input.reason.trim().to_string()
    };
    let reason = reasons
        .iter()
        .filter(usable)
        .find(|r| r.code == reason_code)
        .ok_or_else(|| {
            AppError::field(
                "reason",
                "unknown_reason",
                format!("「{reason_code}」不是该受理决定的可用理由"),
            )
        })?;
    if input.note.chars().count() > 2000 {
        return Err(AppError::field("note", "too_long", "说明不超过 2000 字"));
    }
    // Which kind of unit a referral needs is a domain rule; here only the lookup. Other
    // decisions take no unit, and a unit sent with them is ignored.
    let takes_unit = matches!(
        acceptance,
        Acceptance::ReferredToDepartment | Acceptance::ReferredToLocality
    );
    let unit =
        match input
            .target_unit_id
            .as_deref()
            .filter(|s| takes_unit && !s.is_empty())
        {
            Some(uid) => Some(state.store.unit(&state.bureau.id, uid).await.map_err(|_| {
                AppError::field("target_unit_id", "unknown_unit", "承办单位不存在")
            })?),
            None => None,
        };
    let target = if acceptance.check_target_unit_kind(unit.as_ref().map(|u| u.kind.as_str()))? {
        unit
    } else {
        None
    };
    let now = state.clock.now();
    let today = local_date(now);
    let mut tx = state.store.begin().await?;
    state
        .store
        .set_decision(
            &mut tx,
            &p.id,
            transition.to,
            acceptance,
            &reason_code,
            input.note.trim(),
            target.as_ref().map(|u| u.id.as_str()),
            &user.user.id,
            now,
        )
        .await?;
    // Accepted petitions are disposed within 15 days of registration (V3.0): a stored deadline
    // on the office's queue (the letter clerk's for letters), from the rule's current version.
    let dispose_due = if acceptance == Acceptance::Accepted {
        let registered_on =
            chrono::NaiveDate::parse_from_str(&p.registered_on, "%Y-%m-%d").unwrap_or(today);
        let started = crate::supervision::start_deadline(
            state,
            &mut tx,
            &crate::supervision::StartDeadline {
                petition_id: &p.id,
                handling_record_id: None,
                unit_id: None,
                rule_code: "dispose_visit",
                started_on: registered_on,
                role: Some(if p.channel.follows_letter_procedure() {
                    "letter_clerk"
                } else {
                    "office"
                }),
            },
        )
        .await?;
        Some(started.due_on)
    } else {
        None
    };
    let mut seq = state
        .store
        .append_event(
            &mut tx,
            &state.bureau.id,
            &p.id,
            p.event_seq,
            "decided",
            &serde_json::json!({
                "acceptance": acceptance.as_str(),
                "reason": reason_code,
                "reason_text": reason.reason,
                "note": input.note.trim(),
                "target_unit_id": target.as_ref().map(|u| u.id.clone()),
                "stage": transition.to.as_str(),
                "dispose_due": dispose_due.map(|d| d.to_string()),
            }),
            &actor(&user.user),
            now,
        )
        .await?;
    if let Some(unit) = &target
        && acceptance == Acceptance::ReferredToDepartment
    {
        let record = state
            .store
            .insert_handling_record(
                &mut tx,
                &state.bureau.id,
                &p.id,
                &unit.id,
                "transfer",
                true,
                now,
            )
            .await?;
        // The unit tells the petitioner within 15 days of receiving the transfer (2022 Art. 23);
        // the 转送单 is handed over today, which counts as the unit's receipt until the unit
        // records its own receipt.
        crate::supervision::start_deadline(
            state,
            &mut tx,
            &crate::supervision::StartDeadline {
                petition_id: &p.id,
                handling_record_id: Some(&record),
                unit_id: Some(&unit.id),
                rule_code: "unit_notify_petitioner",
                started_on: today,
                role: None,
            },
        )
        .await?;
    }
    let mut document = None;
    if let Some(kind) = acceptance.window_slip() {
        let mut p2 = p.clone();
        p2.acceptance = Some(acceptance);
        let data = slip_data(
            state,
            &user.user,
            &p2,
            kind,
            reason,
            input.note.trim(),
            target.as_ref().map(|u| u.name.as_str()),
            today,
        );
        let (doc_id, doc_no, new_seq) =
            issue_document(state, &mut tx, &user.user, &p.id, seq, kind, data).await?;
        seq = new_seq;
        document = Some((doc_id, doc_no));
        // The slip is handed over on the spot: for a non-accepting decision the notice is
        // served and the matter ends here (V1.2).
        if transition.to == Stage::Decided {
            let t2 = lifecycle::execute(
                &PetitionState {
                    stage: transition.to,
                    acceptance: Some(acceptance),
                    ..domain_state.clone()
                },
                &Command::ServeNotice,
                served_by(p.channel),
            )?;
            state.store.set_stage(&mut tx, &p.id, t2.to).await?;
            state
                .store
                .append_event(
                    &mut tx,
                    &state.bureau.id,
                    &p.id,
                    seq,
                    "notice_served",
                    &serde_json::json!({"stage": t2.to.as_str(), "method": "slip_on_the_spot"}),
                    &actor(&user.user),
                    now,
                )
                .await?;
        }
    }
    tx.commit().await?;
    let stage = state.store.petition(&state.bureau.id, &p.id).await?.stage;
    Ok(DecisionOutcome {
        state: stage.as_str().into(),
        acceptance: acceptance.as_str().into(),
        document_id: document.as_ref().map(|d| d.0.clone()),
        doc_no: document.map(|d| d.1),
        dispose_due: dispose_due.map(|d| d.to_string()),
    })
}

/// The role that serves a notice, for the lifecycle check of the automatic step.
fn served_by(channel: lifecycle::Channel) -> Role {
    if channel.follows_letter_procedure() {
        Role::LetterClerk
    } else {
        Role::Receptionist
    }
}

#[allow(clippy::too_many_arguments)]
fn slip_data(
    state: &AppState,
    officer: &User,
    p: &PetitionRecord,
    kind: DocumentKind,
    reason: &xinfang_store::reasons::DecisionReason,
    note: &str,
    target_unit: Option<&str>,
    today: chrono::NaiveDate,
) -> serde_json::Value {
    let first = p.petitioners.first();
    let acceptance = p.acceptance.unwrap_or(Acceptance::NotAccepted);
    let decision_label = match acceptance {
        Acceptance::NotAccepted => "不予受理".to_string(),
        Acceptance::NoLongerAccepted => "不再受理".to_string(),
        Acceptance::ReferredToLocality => {
            format!("请你到{}反映", target_unit.unwrap_or("事发地乡镇（街道）"))
        }
        Acceptance::ReferredToDepartment => {
            format!("转送{}处理", target_unit.unwrap_or("主管部门"))
        }
        Acceptance::Accepted => "受理".to_string(),
    };
    // The local (CST) date of the visit: "2026-11-27 09:30" → "2026-11-27".
    let visited_on = crate::clock::show(&p.visited_at)
        .get(..10)
        .map(str::to_string);
    serde_json::json!({
        "bureau_name": state.bureau.name,
        "title": kind.title_zh(),
        "doc_no": serde_json::Value::Null,
        "petitioner": {
            "name": first.map(|x| x.name.clone()).unwrap_or_else(|| "匿名".into()),
            "sex": first.and_then(|x| x.sex.clone()).map(|s| if s == "male" { "男" } else { "女" }),
            "id_number": first.and_then(|x| x.id_number.as_deref().map(mask_id_number)),
            "address": first.map(|x| x.address.clone()),
            "phone": first.map(|x| mask_phone(&x.phone)),
        },
        "summary": p.summary,
        "requests": if p.requests.is_empty() { serde_json::Value::Null } else { p.requests.clone().into() },
        "decision_label": decision_label,
        "reason": if note.is_empty() { reason.reason.clone() } else { format!("{}。{}", reason.reason, note) },
        "legal_text": reason.legal_text,
        "target_unit": target_unit,
        "officer": officer.display_name,
        "issued_on": today.to_string(),
        "visited_on": visited_on,
        "region": region::lookup(&p.issue_region).map(|r| r.full_name.clone()),
    })
}

/// Numbers, renders and stores an issued document inside the caller's transaction, and
/// appends its event. Returns (document id, number, the petition's new event sequence).
pub async fn issue_document(
    state: &AppState,
    tx: &mut xinfang_store::WriteTx,
    user: &User,
    petition_id: &str,
    event_seq: i64,
    kind: DocumentKind,
    mut data: serde_json::Value,
) -> AppResult<(String, String, i64)> {
    let now = state.clock.now();
    let year = local_date(now).year();
    let n = xinfang_store::next_in_sequence(
        tx,
        &state.bureau.id,
        &format!("doc:{}", kind.as_str()),
        year,
    )
    .await?;
    let doc_no = format_doc_no(&state.bureau.organ_code, kind, year, n as u64);
    data["doc_no"] = doc_no.clone().into();
    let renderer = state.renderer.clone();
    let template = kind.as_str().to_string();
    let render_data = data.clone();
    let rendered = tokio::task::spawn_blocking(move || renderer.render(&template, &render_data))
        .await
        .map_err(|e| AppError::Internal(e.to_string()))?
        .map_err(|e| match e {
            xinfang_docs::RenderError::MissingGlyph { ch, field } => AppError::Invalid(vec![FieldError::new(
                field,
                "missing_glyph",
                format!("字符「{ch}」在所有可用字体中都没有字形，无法出具文书；请核对该字或配置含此字的字体"),
            )]),
            other => AppError::Internal(other.to_string()),
        })?;
    let hash = state.blobs.put(&rendered.pdf).await?;
    if !rendered.warnings.is_empty() {
        data["font_warnings"] = serde_json::to_value(
            rendered
                .warnings
                .iter()
                .map(|w| format!("「{}」使用后备字体 {}", w.ch, w.font_used))
                .collect::<Vec<_>>(),
        )
        .unwrap_or_default();
    }
    let doc_id = state
        .store
        .insert_document(
            tx,
            &NewDocument {
                bureau_id: &state.bureau.id,
                petition_id: Some(petition_id),
                kind: kind.as_str(),
                doc_no: Some(&doc_no),
                state: "issued",
                template_version: &rendered.template_version,
                data: &data,
                pdf_hash: Some(&hash),
                pdf_size: Some(rendered.pdf.len() as i64),
                created_by: &user.id,
                issued: true,
            },
            now,
        )
        .await?;
    let seq = state
        .store
        .append_event(
            tx,
            &state.bureau.id,
            petition_id,
            event_seq,
            "document_issued",
            &serde_json::json!({"document_id": doc_id, "kind": kind.as_str(), "doc_no": doc_no, "pdf_sha256": hash, "template_version": rendered.template_version}),
            &Actor { id: &user.id, role: user.role },
            now,
        )
        .await?;
    Ok((doc_id, doc_no, seq))
}

/// Refuses a document the user may not read (`visibility::may_read_document`).
pub fn may_read_document(
    user: &CurrentUser,
    access: Access,
    kind: &str,
    doc_state: &str,
) -> AppResult<()> {
    let readable = DocumentKind::parse(kind).is_some_and(|k| {
        visibility::may_read_document(user.role(), access, k, doc_state == "issued")
    });
    if readable {
        Ok(())
    } else {
        Err(AppError::Forbidden(
            "无权查看该文书：草稿仅限本局办理人员，载有信访人身份信息的文书不向被反映单位提供"
                .into(),
        ))
    }
}

/// The documents of a petition the user may read, in their stored order.
pub async fn readable_documents(
    state: &AppState,
    user: &CurrentUser,
    petition_id: &str,
    access: Access,
) -> AppResult<Vec<xinfang_store::documents::DocumentRow>> {
    Ok(state
        .store
        .documents_of(petition_id)
        .await?
        .into_iter()
        .filter(|d| may_read_document(user, access, &d.kind, &d.state).is_ok())
        .collect())
}

/// A document's PDF, for someone who may open its petition and read the document.
pub async fn document_pdf(
    state: &AppState,
    user: &CurrentUser,
    doc_id: &str,
) -> AppResult<(xinfang_store::documents::DocumentRow, Vec<u8>)> {
    let doc = state.store.document(&state.bureau.id, doc_id).await?;
    if let Some(pid) = &doc.petition_id {
        let (_, access) = open_petition(state, user, pid, "download_document").await?;
        may_read_document(user, access, &doc.kind, &doc.state)?;
    } else if !user.role().is_bureau_staff() {
        return Err(AppError::forbidden());
    }
    let hash = doc.pdf_hash.clone().ok_or_else(AppError::not_found)?;
    let bytes = state
        .blobs
        .get(&hash)
        .await?
        .ok_or_else(|| AppError::Internal(format!("blob {hash} missing")))?;
    Ok((doc, bytes))
}

// ---------------------------------------------------------------------------------------------
// Lists

pub struct ListedPetition {
    pub record: PetitionRecord,
    /// Shown with (masked) personal details; otherwise the row shows no personal data at all.
    pub with_details: bool,
}

pub async fn list(
    state: &AppState,
    user: &CurrentUser,
    filter: &ListFilter,
) -> AppResult<Vec<ListedPetition>> {
    if !visibility::may_list_petitions(user.role()) {
        return Err(AppError::forbidden());
    }
    let scope = ListScope {
        user_id: user.user.id.clone(),
        unit_id: if user.role().is_unit_staff() {
            Some(user.user.unit_id.clone().ok_or_else(AppError::forbidden)?)
        } else {
            None
        },
    };
    let rows = state
        .store
        .list_petitions(&state.bureau.id, &scope, filter)
        .await?;
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        let with_details = if r.confidential || r.accused_unit_id.is_some() {
            access_of(state, &user.user, &r).await? == Access::Full
        } else {
            true
        };
        out.push(ListedPetition {
            record: r,
            with_details,
        });
    }
    Ok(out)
}

// ---------------------------------------------------------------------------------------------
// Recusal

#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct RecusalInput {
    pub petition_id: Option<String>,
    pub petitioner_id_number: Option<String>,
    pub petitioner_name: Option<String>,
    pub reason: String,
}

/// A staff member declares an interest (回避): from then on they can neither see nor act on it.
pub async fn declare_recusal(
    state: &AppState,
    user: &CurrentUser,
    input: &RecusalInput,
) -> AppResult<String> {
    if input.reason.trim().is_empty() {
        return Err(AppError::field("reason", "required", "请说明回避事由"));
    }
    let pid = input
        .petition_id
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty());
    let idn = input
        .petitioner_id_number
        .as_deref()
        .map(|s| s.trim().to_ascii_uppercase())
        .filter(|s| !s.is_empty());
    let name = input
        .petitioner_name
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty());
    if pid.is_none() && idn.is_none() && name.is_none() {
        return Err(AppError::field(
            "petition_id",
            "required",
            "请指明回避的信访件或信访人",
        ));
    }
    let now = state.clock.now();
    let mut tx = state.store.begin().await?;
    if let Some(pid) = pid {
        let p = state.store.petition(&state.bureau.id, pid).await?;
        let id = state
            .store
            .insert_recusal(
                &mut tx,
                &state.bureau.id,
                &user.user.id,
                Some(pid),
                None,
                None,
                input.reason.trim(),
                now,
            )
            .await?;
        state
            .store
            .append_event(
                &mut tx,
                &state.bureau.id,
                pid,
                p.event_seq,
                "recusal_declared",
                &serde_json::json!({"user_id": user.user.id, "reason": input.reason.trim()}),
                &actor(&user.user),
                now,
            )
            .await?;
        tx.commit().await?;
        return Ok(id);
    }
    let id = state
        .store
        .insert_recusal(
            &mut tx,
            &state.bureau.id,
            &user.user.id,
            None,
            idn.as_deref(),
            name,
            input.reason.trim(),
            now,
        )
        .await?;
    state
        .store
        .audit(&mut tx, &state.bureau.id, Some(&user.user.id), "recusal_declared", &serde_json::json!({"petitioner_id_number": idn.as_deref().map(mask_id_number), "petitioner_name": name}), now)
        .await?;
    tx.commit().await?;
    Ok(id)
}

// ---------------------------------------------------------------------------------------------
// Administration: users and units

#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct UserInput {
    pub username: String,
    pub display_name: String,
    pub role: String,
    pub unit_id: Option<String>,
    /// Required for a new user; on update, empty keeps the password.
    pub password: String,
    pub active: Option<bool>,
}

async fn check_user_input(
    state: &AppState,
    input: &UserInput,
) -> AppResult<(Role, Option<String>)> {
    let role = Role::parse(input.role.trim()).ok_or_else(|| {
        AppError::field(
            "role",
            "unknown_role",
            format!("未知的角色：{}", input.role.trim()),
        )
    })?;
    if input.display_name.trim().is_empty() {
        return Err(AppError::field("display_name", "required", "请填写姓名"));
    }
    let unit_id = input.unit_id.clone().filter(|s| !s.trim().is_empty());
    if role.is_unit_staff() {
        let Some(uid) = &unit_id else {
            return Err(AppError::field(
                "unit_id",
                "required",
                "承办单位用户须指定所属单位",
            ));
        };
        state
            .store
            .unit(&state.bureau.id, uid)
            .await
            .map_err(|_| AppError::field("unit_id", "unknown_unit", "单位不存在"))?;
    } else if unit_id.is_some() {
        return Err(AppError::field(
            "unit_id",
            "unit_for_bureau_staff",
            "信访局工作人员不属于承办单位",
        ));
    }
    Ok((role, unit_id))
}

pub async fn create_user(
    state: &AppState,
    admin: &CurrentUser,
    input: &UserInput,
) -> AppResult<User> {
    admin.require(&[Role::Admin])?;
    let username = input.username.trim();
    if username.is_empty()
        || username.len() > 64
        || !username
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.' || c == '-')
    {
        return Err(AppError::field(
            "username",
            "invalid_username",
            "用户名应为 1 至 64 位字母、数字、下划线、点或连字符",
        ));
    }
    let (role, unit_id) = check_user_input(state, input).await?;
    crate::auth::validate_new_password(&input.password)?;
    if state.store.user_by_username(username).await?.is_some() {
        return Err(AppError::field("username", "duplicate", "用户名已存在"));
    }
    let user = User {
        id: xinfang_store::new_id(),
        bureau_id: state.bureau.id.clone(),
        username: username.into(),
        display_name: input.display_name.trim().into(),
        role,
        unit_id,
        password_hash: state.config.password_policy.hash(&input.password)?,
        active: input.active.unwrap_or(true),
    };
    let now = state.clock.now();
    let mut tx = state.store.begin().await?;
    state.store.insert_user(&mut tx, &user, now).await?;
    state
        .store
        .audit(&mut tx, &state.bureau.id, Some(&admin.user.id), "user_created", &serde_json::json!({"user_id": user.id, "username": user.username, "role": role.as_str()}), now)
        .await?;
    tx.commit().await?;
    Ok(user)
}

pub async fn update_user(
    state: &AppState,
    admin: &CurrentUser,
    id: &str,
    input: &UserInput,
) -> AppResult<User> {
    admin.require(&[Role::Admin])?;
    let mut user = state.store.user(id).await?;
    if user.bureau_id != state.bureau.id {
        return Err(AppError::not_found());
    }
    let (role, unit_id) = check_user_input(state, input).await?;
    user.display_name = input.display_name.trim().into();
    user.role = role;
    user.unit_id = unit_id;
    if let Some(a) = input.active {
        if !a && user.id == admin.user.id {
            return Err(AppError::field(
                "active",
                "self_deactivation",
                "不能停用自己的账号",
            ));
        }
        user.active = a;
    }
    let password_changed = !input.password.is_empty();
    if password_changed {
        crate::auth::validate_new_password(&input.password)?;
        user.password_hash = state.config.password_policy.hash(&input.password)?;
    }
    let now = state.clock.now();
    let mut tx = state.store.begin().await?;
    state.store.update_user(&mut tx, &user).await?;
    if password_changed || !user.active {
        state.store.delete_sessions_of(&mut tx, &user.id).await?;
    }
    state
        .store
        .audit(&mut tx, &state.bureau.id, Some(&admin.user.id), "user_updated", &serde_json::json!({"user_id": user.id, "role": role.as_str(), "active": user.active, "password_changed": password_changed}), now)
        .await?;
    tx.commit().await?;
    Ok(user)
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct UnitInput {
    /// ASCII code, e.g. `chengguan`.
    pub code: String,
    pub name: String,
    /// township | street | department
    pub kind: String,
    pub region_code: Option<String>,
    pub active: Option<bool>,
}

fn check_unit_input(input: &UnitInput) -> AppResult<Option<String>> {
    if input.name.trim().is_empty() {
        return Err(AppError::field("name", "required", "请填写单位名称"));
    }
    if !xinfang_store::people::UNIT_KINDS
        .iter()
        .any(|(k, _)| *k == input.kind.trim())
    {
        return Err(AppError::field(
            "kind",
            "unknown_kind",
            "单位类型应为乡镇、街道或本级部门",
        ));
    }
    let region = input
        .region_code
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty());
    if let Some(r) = region {
        region::parse_issue_region(r).map_err(|e| {
            AppError::Invalid(vec![FieldError {
                field: Some("region_code".into()),
                ..e
            }])
        })?;
    }
    Ok(region.map(str::to_string))
}

pub async fn create_unit(
    state: &AppState,
    admin: &CurrentUser,
    input: &UnitInput,
) -> AppResult<xinfang_store::people::Unit> {
    admin.require(&[Role::Admin])?;
    let code = input.code.trim();
    if code.is_empty()
        || code.len() > 32
        || !code
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
    {
        return Err(AppError::field(
            "code",
            "invalid_code",
            "单位代码应为小写字母、数字或下划线，不超过 32 位",
        ));
    }
    let region_code = check_unit_input(input)?;
    if state
        .store
        .unit_by_code(&state.bureau.id, code)
        .await?
        .is_some()
    {
        return Err(AppError::field("code", "duplicate", "单位代码已存在"));
    }
    let unit = xinfang_store::people::Unit {
        id: xinfang_store::new_id(),
        bureau_id: state.bureau.id.clone(),
        code: code.into(),
        name: input.name.trim().into(),
        kind: input.kind.trim().into(),
        region_code,
        active: input.active.unwrap_or(true),
    };
    let now = state.clock.now();
    let mut tx = state.store.begin().await?;
    state.store.insert_unit(&mut tx, &unit, now).await?;
    state
        .store
        .audit(
            &mut tx,
            &state.bureau.id,
            Some(&admin.user.id),
            "unit_created",
            &serde_json::json!({"unit_id": unit.id, "code": unit.code, "name": unit.name}),
            now,
        )
        .await?;
    tx.commit().await?;
    Ok(unit)
}

pub async fn update_unit(
    state: &AppState,
    admin: &CurrentUser,
    id: &str,
    input: &UnitInput,
) -> AppResult<xinfang_store::people::Unit> {
    admin.require(&[Role::Admin])?;
    let mut unit = state.store.unit(&state.bureau.id, id).await?;
    unit.region_code = check_unit_input(input)?;
    unit.name = input.name.trim().into();
    unit.kind = input.kind.trim().into();
    if let Some(a) = input.active {
        unit.active = a;
    }
    let now = state.clock.now();
    let mut tx = state.store.begin().await?;
    state.store.update_unit(&mut tx, &unit).await?;
    state
        .store
        .audit(
            &mut tx,
            &state.bureau.id,
            Some(&admin.user.id),
            "unit_updated",
            &serde_json::json!({"unit_id": unit.id, "name": unit.name, "active": unit.active}),
            now,
        )
        .await?;
    tx.commit().await?;
    Ok(unit)
}

// ---------------------------------------------------------------------------------------------
// Administration: the decision reasons (rules §3)

#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct ReasonInput {
    /// The decision it belongs to (accepted, not_accepted, …); fixed once created.
    pub acceptance: String,
    /// Lower-case ASCII identifier; fixed once created.
    pub code: String,
    pub reason: String,
    /// The legal explanation printed on the slip; required for every non-accepting decision.
    pub legal_text: String,
    pub position: Option<i64>,
    pub active: Option<bool>,
}

fn check_reason_text(acceptance: Acceptance, input: &ReasonInput) -> AppResult<()> {
    let reason = input.reason.trim();
    if reason.is_empty() || reason.chars().count() > 200 {
        return Err(AppError::field(
            "reason",
            "invalid_reason",
            "理由为必填项，不超过 200 字",
        ));
    }
    if input.legal_text.chars().count() > 2000 {
        return Err(AppError::field(
            "legal_text",
            "too_long",
            "法律说明不超过 2000 字",
        ));
    }
    if acceptance != Acceptance::Accepted && input.legal_text.trim().is_empty() {
        return Err(AppError::field(
            "legal_text",
            "required",
            "不予受理、不再受理和告知、转送的理由须附法律法规说明（印在告知单上）",
        ));
    }
    Ok(())
}

pub async fn create_reason(
    state: &AppState,
    admin: &CurrentUser,
    input: &ReasonInput,
) -> AppResult<xinfang_store::reasons::DecisionReason> {
    admin.require(&[Role::Admin])?;
    let acceptance = Acceptance::parse(input.acceptance.trim())
        .ok_or_else(|| AppError::field("acceptance", "unknown_acceptance", "未知的受理决定"))?;
    let code = input.code.trim();
    if code.is_empty()
        || code.len() > 40
        || !code
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
    {
        return Err(AppError::field(
            "code",
            "invalid_code",
            "代码应为小写字母、数字或下划线，不超过 40 位",
        ));
    }
    check_reason_text(acceptance, input)?;
    if state
        .store
        .decision_reason(&state.bureau.id, acceptance.as_str(), code)
        .await?
        .is_some()
    {
        return Err(AppError::field(
            "code",
            "duplicate",
            "该受理决定下已有此代码",
        ));
    }
    let r = xinfang_store::reasons::DecisionReason {
        id: xinfang_store::new_id(),
        acceptance: acceptance.as_str().into(),
        code: code.into(),
        reason: input.reason.trim().into(),
        legal_text: input.legal_text.trim().into(),
        position: input.position.unwrap_or(1000),
        active: input.active.unwrap_or(true),
    };
    let now = state.clock.now();
    let mut tx = state.store.begin().await?;
    state
        .store
        .insert_decision_reason(&mut tx, &state.bureau.id, &r)
        .await?;
    state
        .store
        .audit(
            &mut tx,
            &state.bureau.id,
            Some(&admin.user.id),
            "decision_reason_created",
            &serde_json::to_value(&r).unwrap_or_default(),
            now,
        )
        .await?;
    tx.commit().await?;
    Ok(r)
}

pub async fn update_reason(
    state: &AppState,
    admin: &CurrentUser,
    id: &str,
    input: &ReasonInput,
) -> AppResult<xinfang_store::reasons::DecisionReason> {
    admin.require(&[Role::Admin])?;
    let mut r = state
        .store
        .decision_reasons(&state.bureau.id)
        .await?
        .into_iter()
        .find(|r| r.id == id)
        .ok_or_else(AppError::not_found)?;
    let acceptance = Acceptance::parse(&r.acceptance)
        .ok_or_else(|| AppError::Internal(format!("stored acceptance {}", r.acceptance)))?;
    check_reason_text(acceptance, input)?;
    r.reason = input.reason.trim().into();
    r.legal_text = input.legal_text.trim().into();
    if let Some(p) = input.position {
        r.position = p;
    }
    if let Some(a) = input.active {
        r.active = a;
    }
    let now = state.clock.now();
    let mut tx = state.store.begin().await?;
    state
        .store
        .update_decision_reason(&mut tx, &state.bureau.id, &r)
        .await?;
    state
        .store
        .audit(
            &mut tx,
            &state.bureau.id,
            Some(&admin.user.id),
            "decision_reason_updated",
            &serde_json::to_value(&r).unwrap_or_default(),
            now,
        )
        .await?;
    tx.commit().await?;
    Ok(r)
}

// ---------------------------------------------------------------------------------------------
// The official calendar and deadlines (rules §2, §12)

/// The bureau's working-day calendar. Read from the database on each use (a few small rows), so
/// an administrator's change applies at once, on every instance.
pub async fn calendar(state: &AppState) -> AppResult<OfficialCalendar> {
    Ok(OfficialCalendar::with_notices(
        state.store.calendar_notices(&state.bureau.id).await?,
    ))
}

/// One year's State Council holiday notice as entered.
#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct CalendarNoticeInput {
    /// Days off (放假), YYYY-MM-DD; the weekends inside a break may be listed or not.
    pub holidays: Vec<String>,
    /// Saturdays and Sundays that are working days (调休上班), YYYY-MM-DD.
    pub makeup_workdays: Vec<String>,
}

/// More dates than any notice has: a guard against pasting the wrong thing.
const MAX_NOTICE_DATES: usize = 120;

fn parse_notice_dates(
    field: &str,
    label: &str,
    raw: &[String],
    errors: &mut Vec<FieldError>,
) -> Vec<chrono::NaiveDate> {
    if raw.len() > MAX_NOTICE_DATES {
        errors.push(FieldError::new(
            field,
            "too_many_dates",
            format!("{label}最多 {MAX_NOTICE_DATES} 个日期"),
        ));
        return Vec::new();
    }
    let mut dates = Vec::new();
    for (i, s) in raw.iter().enumerate() {
        match xinfang_domain::registration::parse_date(&format!("{field}[{i}]"), s) {
            Ok(d) => dates.push(d),
            Err(mut e) => {
                e.message = format!("{label}第 {} 项：{}", i + 1, e.message);
                errors.push(e);
            }
        }
    }
    dates
}

/// Parses and checks a notice ([`xinfang_domain::calendar::validate_notice`]); the dates come
/// back sorted, without repeats.
pub fn parse_calendar_notice(
    year: &str,
    input: &CalendarNoticeInput,
) -> Result<YearNotice, Vec<FieldError>> {
    let mut errors = Vec::new();
    let year = match year.trim().parse::<i32>() {
        Ok(y) if year.trim().len() == 4 => Some(y),
        _ => {
            errors.push(FieldError::new(
                "year",
                "invalid_year",
                format!("年份「{}」无效，应为四位数字，如 2027", year.trim()),
            ));
            None
        }
    };
    let holidays = parse_notice_dates("holidays", "放假日期", &input.holidays, &mut errors);
    let makeup_workdays = parse_notice_dates(
        "makeup_workdays",
        "调休上班日",
        &input.makeup_workdays,
        &mut errors,
    );
    if input.holidays.is_empty() {
        errors.push(FieldError::new(
            "holidays",
            "required",
            "请填写放假日期（元旦、春节、清明节、劳动节、端午节、中秋节、国庆节）",
        ));
    }
    let Some(year) = year.filter(|_| errors.is_empty()) else {
        return Err(errors);
    };
    let mut notice = YearNotice {
        year,
        holidays,
        makeup_workdays,
    };
    // Field paths name the entries as entered: check before sorting.
    validate_notice(&notice).map_err(|e| vec![e])?;
    for dates in [&mut notice.holidays, &mut notice.makeup_workdays] {
        dates.sort();
        dates.dedup();
    }
    Ok(notice)
}

/// Adds or corrects one year's notice (administrators only); every deadline computed from then
/// on follows it. Deadlines already stored are not moved.
pub async fn save_calendar_notice(
    state: &AppState,
    admin: &CurrentUser,
    year: &str,
    input: &CalendarNoticeInput,
) -> AppResult<YearNotice> {
    admin.require(&[Role::Admin])?;
    let notice = parse_calendar_notice(year, input)?;
    let previous = state
        .store
        .calendar_notices(&state.bureau.id)
        .await?
        .into_iter()
        .find(|n| n.year == notice.year);
    let now = state.clock.now();
    let mut tx = state.store.begin().await?;
    state
        .store
        .upsert_calendar_notice(&mut tx, &state.bureau.id, &notice, &admin.user.id, now)
        .await?;
    state
        .store
        .audit(
            &mut tx,
            &state.bureau.id,
            Some(&admin.user.id),
            "calendar_notice_saved",
            &serde_json::json!({
                "year": notice.year,
                "holidays": notice.holidays,
                "makeup_workdays": notice.makeup_workdays,
                "previous": previous,
            }),
            now,
        )
        .await?;
    tx.commit().await?;
    Ok(notice)
}

/// An explicit period to count from a start date.
#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct DeadlineInput {
    /// The day of the starting event, YYYY-MM-DD (China Standard Time); it is not counted.
    pub start: String,
    /// The period in days, 0 to 3650.
    pub days: Option<i64>,
    /// `calendar` (自然日: start + days, a non-working last day rolls forward to the next working
    /// day; the default) or `working` (工作日: the days-th working day after the start).
    pub mode: String,
    /// Instead of `days` and `mode`: a deadline rule's code (e.g. `handle_and_close`), counted
    /// with the rule's current period and mode.
    pub rule: Option<String>,
}

/// Longest period accepted: ten years.
const MAX_DEADLINE_DAYS: i64 = 3650;

/// The due date of a period on the bureau's official calendar (rules §2): the one computation
/// every stored deadline comes from.
pub async fn compute_deadline(
    state: &AppState,
    input: &DeadlineInput,
) -> AppResult<chrono::NaiveDate> {
    let mut errors = Vec::new();
    let start = match xinfang_domain::registration::parse_date("start", &input.start) {
        Ok(d) => Some(d),
        Err(mut e) => {
            e.message = format!("起算日期：{}", e.message);
            errors.push(e);
            None
        }
    };
    let rule_code = input
        .rule
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty());
    if let Some(code) = rule_code {
        if input.days.is_some() || !input.mode.trim().is_empty() {
            errors.push(FieldError::new(
                "rule",
                "rule_or_days",
                "请只指定期限规则（rule），或只指定天数和计算方式（days、mode），不能同时指定",
            ));
        }
        let rule = state
            .store
            .deadline_rule(&state.bureau.id, code, None)
            .await;
        let (Some(start), Ok(rule), true) = (start, &rule, errors.is_empty()) else {
            if rule.is_err() {
                errors.push(FieldError::new(
                    "rule",
                    "unknown_rule",
                    format!("未知的期限规则：{code}"),
                ));
            }
            return Err(AppError::Invalid(errors));
        };
        return Ok(deadline::due_date(
            &calendar(state).await?,
            start,
            rule.days,
            rule.mode,
        ));
    }
    let days = match input.days {
        None => {
            errors.push(FieldError::new(
                "days",
                "required",
                format!("请填写期限天数（0 至 {MAX_DEADLINE_DAYS}）"),
            ));
            None
        }
        Some(d) => match u32::try_from(d) {
            Ok(d) if i64::from(d) <= MAX_DEADLINE_DAYS => Some(d),
            _ => {
                errors.push(FieldError::new(
                    "days",
                    "days_out_of_range",
                    format!("期限天数 {d} 无效，应在 0 至 {MAX_DEADLINE_DAYS} 之间"),
                ));
                None
            }
        },
    };
    let mode = match input.mode.trim() {
        "" | "calendar" => Some(deadline::CountingMode::Calendar),
        "working" => Some(deadline::CountingMode::Working),
        other => {
            errors.push(FieldError::new(
                "mode",
                "unknown_mode",
                format!("计算方式「{other}」无效，应为 calendar（自然日）或 working（工作日）"),
            ));
            None
        }
    };
    let (Some(start), Some(days), Some(mode)) = (start, days, mode) else {
        return Err(AppError::Invalid(errors));
    };
    Ok(deadline::due_date(
        &calendar(state).await?,
        start,
        days,
        mode,
    ))
}
