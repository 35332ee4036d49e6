//! The mailroom's use cases (seed 二 二(一)–(四), 五(一)): sign for a letter, record its opening or
//! return it unopened, attach scans, keep enclosures, register it, send the 来信办理单 to the
//! deputy director, record the instruction, and record the 15-day notice. Each use case checks
//! the role and the petition's visibility, then writes the state and its event in one
//! transaction.

use chrono::{Datelike, NaiveDate};
use serde::Serialize;
use xinfang_domain::deadline::{self, CountingMode};
use xinfang_domain::document::DocumentKind;
use xinfang_domain::drafting::DraftState;
use xinfang_domain::lifecycle::{self, Acceptance, Channel, Command, PetitionState, Stage};
use xinfang_domain::mailroom::{
    self, Delivery, EnclosureInput, HandOverInput, HandlingFormInput, InstructionInput,
    LetterDetailsInput, LetterReceiptInput, NoticeFacts, NoticeInput, NoticeMethod, OpeningInput,
    ScanPart,
};
use xinfang_domain::registration::{RegistrationInput, parse_registration};
use xinfang_domain::role::Role;
use xinfang_domain::source::SourceInput;
use xinfang_domain::visibility::{self, Access};
use xinfang_domain::{FieldError, region};
use xinfang_store::documents::{DocumentRow, NewDocument};
use xinfang_store::mailroom::{EnclosureRow, LetterRow, NewLetter, QueuedLetter, ScanRow};
use xinfang_store::people::User;
use xinfang_store::petitions::PetitionRecord;

use crate::access::{self, PetitionView, open_record};
use crate::auth::CurrentUser;
use crate::auth::actor;
use crate::calendar::calendar;
use crate::clock::{from_local, local, local_date};
use crate::context::AppState;
use crate::drafting::documents::readable_documents_of;
use crate::error::{AppError, AppResult};
use crate::numbers;
use crate::write::Write;

/// Who does the clerk's steps for a channel: the letter clerk for letters, the role the bureau
/// configures for online petitions (default also the letter clerk).
pub fn clerk_role(state: &AppState, channel: Channel) -> Role {
    if channel == Channel::Online {
        state.config.online_intake_role
    } else {
        Role::LetterClerk
    }
}

/// The role the lifecycle judges the user's step as: the configured online role stands in for
/// the letter clerk on online petitions.
fn procedure_role(state: &AppState, user: &CurrentUser, channel: Channel) -> Role {
    if channel == Channel::Online && user.role() == clerk_role(state, channel) {
        Role::LetterClerk
    } else {
        user.role()
    }
}

fn require_clerk(state: &AppState, user: &CurrentUser, channel: Channel) -> AppResult<()> {
    let clerk = clerk_role(state, channel);
    if user.role() != clerk {
        return Err(AppError::Forbidden(format!(
            "{}不能办理{}，须由{}操作",
            user.role().label_zh(),
            channel.label_zh(),
            clerk.label_zh()
        )));
    }
    Ok(())
}

/// Opens a letter's petition (access checked and logged) with its receipt row.
async fn open_letter(
    state: &AppState,
    user: &CurrentUser,
    id: &str,
    purpose: &str,
) -> AppResult<(PetitionRecord, Access, LetterRow)> {
    let (p, access) = open_record(state, user, id, purpose).await?;
    if !p.channel.follows_letter_procedure() {
        return Err(AppError::not_found());
    }
    let l = state.store.letter(&p.id).await?;
    Ok((p, access, l))
}

fn domain_state(p: &PetitionRecord) -> PetitionState {
    PetitionState {
        channel: p.channel,
        stage: p.stage,
        acceptance: p.acceptance,
        collective_without_representatives: false,
        ..PetitionState::new(p.channel)
    }
}

/// The notice deadline: 15 days from receipt, counted as rules §2 says.
async fn notice_due(state: &AppState, received_on: NaiveDate) -> AppResult<NaiveDate> {
    let cal = calendar(state).await?;
    Ok(deadline::due_date(
        &cal,
        received_on,
        mailroom::NOTICE_DAYS,
        CountingMode::Calendar,
    ))
}

// ---------------------------------------------------------------------------------------------
// LetterReceipt, opening, return

/// Signs for a letter, telegram or parcel: a petition in stage `received` with its receipt row.
#[tracing::instrument(name = "mailroom::receive", skip_all)]
pub async fn receive(
    state: &AppState,
    user: &CurrentUser,
    input: &LetterReceiptInput,
) -> AppResult<PetitionView> {
    if !visibility::may_register(user.role(), true) {
        return Err(AppError::Forbidden(format!(
            "{}不能签收来信",
            user.role().label_zh()
        )));
    }
    let now = state.clock.now();
    let receipt = mailroom::parse_receipt(input, local(now))?;
    let today = local_date(now);
    let due = notice_due(state, receipt.received_at.date()).await?;
    let bureau = &state.bureau;
    let mut w = Write::begin_at(state, user, now).await?;
    let seq =
        xinfang_store::next_in_sequence(&mut w.tx, &bureau.id, "petition:letter", today.year())
            .await?;
    let no = numbers::petition_no(Channel::Letter, today.year(), seq);
    let code = numbers::query_code();
    let id = state
        .store
        .insert_received_letter(
            &mut w.tx,
            &NewLetter {
                bureau_id: &bureau.id,
                petition_no: &no,
                query_code: &code,
                region_code: &bureau.region_code,
                receipt: &receipt,
                received_at_utc: from_local(receipt.received_at),
                registered_on: today,
                notice_due: due,
            },
            &actor(&user.user),
            now,
        )
        .await?;
    w.event(
        &id,
        0,
        "letter_received",
        &serde_json::json!({
            "petition_no": no,
            "channel": "letter",
            "stage": Stage::Received.as_str(),
            "receipt": receipt,
            "notice_due": due.to_string(),
        }),
    )
    .await?;
    w.commit().await?;
    access::petition_view(state, user, &id).await
}

/// Disinfection, distribution and the opening record (stamps, postmark, postcode, address).
#[tracing::instrument(name = "mailroom::record_opening", skip_all)]
pub async fn record_opening(
    state: &AppState,
    user: &CurrentUser,
    id: &str,
    input: &OpeningInput,
) -> AppResult<()> {
    require_clerk(state, user, Channel::Letter)?;
    let (p, _, l) = open_letter(state, user, id, "record_opening").await?;
    if p.stage != Stage::Received {
        return Err(AppError::Conflict(format!(
            "来信已{}，不能再登记拆封",
            p.stage.label_zh()
        )));
    }
    if l.opened_at.is_some() {
        return Err(AppError::Conflict("该来信已登记拆封".into()));
    }
    let now = state.clock.now();
    let received = local(xinfang_store::parse_ts(&l.received_at)?);
    let opening = mailroom::parse_opening(input, received, local(now))?;
    let mut w = Write::begin_at(state, user, now).await?;
    state
        .store
        .set_letter_opened(&mut w.tx, &p.id, &opening, &actor(&user.user), now)
        .await?;
    w.event(
        &p.id,
        p.event_seq,
        "letter_opened",
        &serde_json::to_value(&opening).unwrap_or_default(),
    )
    .await?;
    w.commit().await?;
    Ok(())
}

/// Outside the bureau's remit: returned unopened (确保不误拆).
#[tracing::instrument(name = "mailroom::return_unopened", skip_all)]
pub async fn return_unopened(
    state: &AppState,
    user: &CurrentUser,
    id: &str,
    reason: &str,
) -> AppResult<()> {
    let (p, _, l) = open_letter(state, user, id, "return_unopened").await?;
    let t = lifecycle::execute(&domain_state(&p), &Command::ReturnUnopened, user.role())?;
    if l.opened_at.is_some() {
        return Err(AppError::Conflict(
            "该来信已拆封，不能按「退回未拆」处理".into(),
        ));
    }
    let reason = mailroom::parse_return_reason(reason)?;
    let now = state.clock.now();
    let mut w = Write::begin_at(state, user, now).await?;
    state
        .store
        .set_letter_returned(&mut w.tx, &p.id, &reason, &actor(&user.user), now)
        .await?;
    w.event(
        &p.id,
        p.event_seq,
        "returned_unopened",
        &serde_json::json!({"reason": reason, "stage": t.to.as_str()}),
    )
    .await?;
    w.commit().await?;
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Scans

/// Attaches a scanned file after checking it by content and size; nothing is written when the
/// file is refused.
/// Checked before an upload's body is read: the letter clerk, on a letter they may open.
#[tracing::instrument(name = "mailroom::check_scan_upload", skip_all)]
pub async fn check_scan_upload(state: &AppState, user: &CurrentUser, id: &str) -> AppResult<()> {
    let p = state
        .store
        .petition(&state.bureau.id, id)
        .await
        .map_err(|_| AppError::not_found())?;
    require_clerk(state, user, p.channel)?;
    if !p.channel.follows_letter_procedure()
        || access::access_of(state, &user.user, &p).await? == Access::Denied
    {
        return Err(AppError::not_found());
    }
    Ok(())
}

#[tracing::instrument(name = "mailroom::attach_scan", skip_all)]
pub async fn attach_scan(
    state: &AppState,
    user: &CurrentUser,
    id: &str,
    part: &str,
    file_name: &str,
    bytes: &[u8],
) -> AppResult<ScanRow> {
    let (p, _, l) = open_letter(state, user, id, "attach_scan").await?;
    require_clerk(state, user, p.channel)?;
    let part = if part.trim().is_empty() {
        ScanPart::MainDocument
    } else {
        ScanPart::parse(part).ok_or_else(|| {
            AppError::field("part", "unknown_part", "请选择扫描件类别：正文、附件或信封")
        })?
    };
    let kind = mailroom::check_scan(bytes, state.config.max_scan_bytes)?;
    if !p.stage.is_open() {
        return Err(AppError::Conflict(format!(
            "来信已{}，不能再上传扫描件",
            p.stage.label_zh()
        )));
    }
    if l.opened_at.is_none() {
        return Err(AppError::Conflict("请先登记拆封情况，再上传扫描件".into()));
    }
    let name = mailroom::clean_file_name(file_name, kind);
    let hash = state.blobs.put(bytes).await?;
    let now = state.clock.now();
    let mut w = Write::begin_at(state, user, now).await?;
    let ordinal = state.store.next_scan_ordinal(&mut w.tx, &p.id).await?;
    let scan_id = state
        .store
        .insert_scan(
            &mut w.tx,
            &state.bureau.id,
            &p.id,
            part.as_str(),
            ordinal,
            &name,
            kind.content_type(),
            bytes.len() as i64,
            &hash,
            &actor(&user.user),
            now,
        )
        .await?;
    w.event(
        &p.id,
        p.event_seq,
        "scan_attached",
        &serde_json::json!({
            "scan_id": scan_id, "part": part.as_str(), "file_name": name,
            "content_type": kind.content_type(), "size": bytes.len(), "sha256": hash,
        }),
    )
    .await?;
    w.commit().await?;
    Ok(state.store.scan(&state.bureau.id, &scan_id).await?)
}

/// A scanned file, for someone who may read its petition.
#[tracing::instrument(name = "mailroom::scan_file", skip_all)]
pub async fn scan_file(
    state: &AppState,
    user: &CurrentUser,
    scan_id: &str,
) -> AppResult<(ScanRow, Vec<u8>)> {
    let scan = state.store.scan(&state.bureau.id, scan_id).await?;
    // The scan shows the letter and its envelope: the writer's name, address and phone.
    let (_, access) = open_record(state, user, &scan.petition_id, "view_scan").await?;
    if access != Access::Full {
        return Err(AppError::not_found());
    }
    let bytes = state
        .blobs
        .get(&scan.sha256)
        .await?
        .ok_or_else(|| AppError::Internal(format!("blob {} missing", scan.sha256)))?;
    Ok((scan, bytes))
}

// ---------------------------------------------------------------------------------------------
// Enclosures

#[tracing::instrument(name = "mailroom::register_enclosure", skip_all)]
pub async fn register_enclosure(
    state: &AppState,
    user: &CurrentUser,
    id: &str,
    input: &EnclosureInput,
) -> AppResult<EnclosureRow> {
    require_clerk(state, user, Channel::Letter)?;
    let (p, _, l) = open_letter(state, user, id, "register_enclosure").await?;
    let e = mailroom::parse_enclosure(input)?;
    if l.opened_at.is_none() {
        return Err(AppError::Conflict(
            "请先登记拆封情况，再登记随信物品".into(),
        ));
    }
    let now = state.clock.now();
    let mut w = Write::begin_at(state, user, now).await?;
    let eid = state
        .store
        .insert_enclosure(
            &mut w.tx,
            &state.bureau.id,
            &p.id,
            &e,
            &actor(&user.user),
            now,
        )
        .await?;
    let mut payload = serde_json::to_value(&e).unwrap_or_default();
    payload["enclosure_id"] = eid.clone().into();
    w.event(&p.id, p.event_seq, "enclosure_registered", &payload)
        .await?;
    w.commit().await?;
    Ok(state.store.enclosure(&state.bureau.id, &eid).await?)
}

/// Hands an enclosure on against the receiver's signature; the clerk can never dispose of it.
#[tracing::instrument(name = "mailroom::hand_over_enclosure", skip_all)]
pub async fn hand_over_enclosure(
    state: &AppState,
    user: &CurrentUser,
    enclosure_id: &str,
    input: &HandOverInput,
) -> AppResult<EnclosureRow> {
    require_clerk(state, user, Channel::Letter)?;
    let e = state
        .store
        .enclosure(&state.bureau.id, enclosure_id)
        .await?;
    let (p, _, _) = open_letter(state, user, &e.petition_id, "hand_over_enclosure").await?;
    let h = mailroom::parse_hand_over(input)?;
    if e.state != "in_custody" {
        return Err(AppError::Conflict("该物品已移交，不能重复移交".into()));
    }
    let now = state.clock.now();
    let mut w = Write::begin_at(state, user, now).await?;
    state
        .store
        .hand_over_enclosure(&mut w.tx, &e.id, &h, &actor(&user.user), now)
        .await?;
    let mut payload = serde_json::to_value(&h).unwrap_or_default();
    payload["enclosure_id"] = e.id.clone().into();
    w.event(&p.id, p.event_seq, "enclosure_handed_over", &payload)
        .await?;
    w.commit().await?;
    Ok(state.store.enclosure(&state.bureau.id, &e.id).await?)
}

// ---------------------------------------------------------------------------------------------
// Registration

/// Registers an opened letter with every registration field plus the letter's own details.
/// Returns the petition and earlier petitions by the same writer (possible repeat letters).
#[tracing::instrument(name = "mailroom::register_letter", skip_all)]
pub async fn register_letter(
    state: &AppState,
    user: &CurrentUser,
    id: &str,
    input: &RegistrationInput,
    details: &LetterDetailsInput,
) -> AppResult<(PetitionView, Vec<PetitionView>)> {
    let (p, _, l) = open_letter(state, user, id, "register_letter").await?;
    let t = lifecycle::execute(
        &domain_state(&p),
        &Command::RegisterLetter,
        procedure_role(state, user, p.channel),
    )?;
    if l.opened_at.is_none() {
        return Err(AppError::Conflict(
            "请先登记拆封情况，再登记来信内容".into(),
        ));
    }
    let now = state.clock.now();
    let today = local_date(now);
    let mut input = input.clone();
    input.channel = p.channel.as_str().into();
    if p.channel == Channel::Online && input.source.kind.trim().is_empty() {
        input.source.kind = "online".into();
    }
    if input.visited_at.trim().is_empty() {
        input.visited_at = local(xinfang_store::parse_ts(&l.received_at)?)
            .format("%Y-%m-%dT%H:%M")
            .to_string();
    }
    source_from_receipt(&mut input.source, details);
    let names: Vec<String> = input
        .petitioners
        .iter()
        .map(|x| x.name.trim().to_string())
        .collect();
    let mut errors = Vec::new();
    let details = match mailroom::parse_letter_details(details, &names, input.anonymous, today) {
        Ok(d) => Some(d),
        Err(e) => {
            errors.extend(e);
            None
        }
    };
    let reg = match parse_registration(&input, local(now)) {
        Ok(r) => Some(r),
        Err(e) => {
            // A joint letter without signatories is reported once, by the letter rule.
            let joint_reported = errors.iter().any(|x| x.code == "joint_without_signatory");
            errors.extend(
                e.into_iter()
                    .filter(|x| !(joint_reported && x.field.as_deref() == Some("petitioners"))),
            );
            None
        }
    };
    let (Some(reg), Some(details)) = (reg, details) else {
        return Err(AppError::Invalid(errors));
    };
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
    crate::township::check(state, &reg.township).await?;
    let mut w = Write::begin_at(state, user, now).await?;
    crate::deadlines::start_higher_organ_deadline(
        state,
        &mut w.tx,
        &p.id,
        &reg.source,
        today,
        true,
    )
    .await?;
    state
        .store
        .register_letter(
            &mut w.tx,
            &bureau.id,
            &p.id,
            &reg,
            &details,
            t.to,
            today,
            &actor(&user.user),
            now,
        )
        .await?;
    w.event(
        &p.id,
        p.event_seq,
        "letter_registered",
        &serde_json::json!({"stage": t.to.as_str(), "registration": reg, "letter": details}),
    )
    .await?;
    w.commit().await?;
    let v = access::petition_view(state, user, &p.id).await?;
    let similar = similar_to(state, user, &v).await?;
    Ok((v, similar))
}

/// A letter's source, where the form leaves it open, is what its receipt says: forwarded by the
/// higher organ named on it, or instructed by the leader who wrote on it, or else the writer's
/// own. A higher-organ source without its organ takes the receipt's covering document.
fn source_from_receipt(source: &mut SourceInput, d: &LetterDetailsInput) {
    let organ = !d.forwarded_by_organ.trim().is_empty();
    let kind = source.kind.trim();
    if kind.is_empty() {
        source.kind = if organ {
            "forwarded_by_higher_organ"
        } else if !d.leader_name.trim().is_empty() {
            "instructed_by_local_leader"
        } else {
            "own_accord"
        }
        .into();
    }
    match source.kind.as_str() {
        "forwarded_by_higher_organ" | "assigned_by_higher_organ"
            if source.organ.trim().is_empty() =>
        {
            source.organ = d.forwarded_by_organ.clone();
            source.doc_no = d.forwarded_doc_no.clone();
            source.issued_on = d.forwarded_on.clone();
            source.deadline = d.forwarded_deadline.clone();
        }
        "instructed_by_local_leader"
            if source.leader_name.trim().is_empty() && source.leader_post.trim().is_empty() =>
        {
            source.leader_name = d.leader_name.clone();
        }
        _ => {}
    }
}

/// Earlier petitions by the same writer (same ID number, or same name and phone), for a viewer
/// who sees this letter's writer, and among them only those the viewer also sees in full: any
/// other would confirm who raised a matter the viewer may not know of.
async fn similar_to(
    state: &AppState,
    user: &CurrentUser,
    p: &PetitionView,
) -> AppResult<Vec<PetitionView>> {
    if p.access() != Access::Full {
        return Ok(Vec::new());
    }
    let Some(first) = p.petitioners.first() else {
        return Ok(Vec::new());
    };
    let found = state
        .store
        .find_similar(
            &state.bureau.id,
            first.id_number.as_deref(),
            (!first.phone.is_empty()).then_some((first.name.as_str(), first.phone.as_str())),
            10,
        )
        .await?;
    let mut out = Vec::new();
    for x in found.into_iter().filter(|x| x.id != p.id) {
        if access::access_of(state, &user.user, &x).await? == Access::Full {
            out.extend(access::view(&x, Access::Full));
        }
    }
    Ok(out)
}

// ---------------------------------------------------------------------------------------------
// Documents without a number (the 来信办理单)

async fn render_store(
    state: &AppState,
    kind: DocumentKind,
    data: &serde_json::Value,
) -> AppResult<(String, String, i64)> {
    let renderer = state.renderer.clone();
    let template = kind.as_str().to_string();
    let render_data = data.clone();
    let rendered = tokio::task::spawn_blocking(move || renderer.render(&template, &render_data))
        .await
        .map_err(|e| AppError::Internal(e.to_string()))?
        .map_err(|e| match e {
            xinfang_docs::RenderError::MissingGlyph { ch, field } => {
                AppError::Invalid(vec![FieldError::new(
                    field,
                    "missing_glyph",
                    format!("字符「{ch}」在所有可用字体中都没有字形，无法出具文书；请核对该字或配置含此字的字体"),
                )])
            }
            other => AppError::Internal(other.to_string()),
        })?;
    let hash = state.blobs.put(&rendered.pdf).await?;
    Ok((hash, rendered.template_version, rendered.pdf.len() as i64))
}

/// Renders and stores an internal form (no number) and appends its event.
async fn issue_form(
    state: &AppState,
    tx: &mut xinfang_store::WriteTx,
    user: &User,
    petition_id: &str,
    event_seq: i64,
    kind: DocumentKind,
    data: serde_json::Value,
) -> AppResult<(String, i64)> {
    let now = state.clock.now();
    let (hash, version, size) = render_store(state, kind, &data).await?;
    let doc_id = state
        .store
        .insert_document(
            tx,
            &NewDocument {
                bureau_id: &state.bureau.id,
                petition_id: Some(petition_id),
                kind: kind.as_str(),
                doc_no: None,
                state: "issued",
                template_version: &version,
                data: &data,
                pdf_hash: Some(&hash),
                pdf_size: Some(size),
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
            &serde_json::json!({"document_id": doc_id, "kind": kind.as_str(), "doc_no": null, "pdf_sha256": hash, "template_version": version}),
            &actor(user),
            now,
        )
        .await?;
    Ok((doc_id, seq))
}

fn cn_sex(s: Option<&str>) -> Option<&'static str> {
    match s {
        Some("male") => Some("男"),
        Some("female") => Some("女"),
        _ => None,
    }
}

fn handling_form_data(
    state: &AppState,
    p: &PetitionRecord,
    l: &LetterRow,
    form: &mailroom::HandlingForm,
    clerk: &User,
    today: NaiveDate,
) -> serde_json::Value {
    let first = p.petitioners.first();
    let writer = if p.anonymous {
        "匿名".to_string()
    } else if l.joint {
        format!(
            "{}等 {} 人联名",
            first.map(|x| x.name.as_str()).unwrap_or(""),
            l.signatory_count
        )
    } else {
        first.map(|x| x.name.clone()).unwrap_or_default()
    };
    let mode = Delivery::parse(&l.delivery_mode)
        .map(|m| m.label_zh())
        .unwrap_or("");
    let source = if !l.forwarded_by_organ.is_empty() {
        Some(format!(
            "{}转交{}{}",
            l.forwarded_by_organ,
            if l.forwarded_doc_no.is_empty() {
                String::new()
            } else {
                format!("（{}）", l.forwarded_doc_no)
            },
            l.forwarded_deadline
                .as_deref()
                .map(|d| format!("，办理期限 {d}"))
                .unwrap_or_default()
        ))
    } else {
        None
    };
    let leader = (!l.leader_name.is_empty()).then(|| {
        format!(
            "{}（{}）批示：{}",
            l.leader_name,
            l.leader_instructed_on.as_deref().unwrap_or(""),
            l.leader_instruction
        )
    });
    serde_json::json!({
        "bureau_name": state.bureau.name,
        "title": DocumentKind::LetterHandlingForm.title_zh(),
        "petition_no": p.petition_no,
        "received_on": crate::clock::show(&l.received_at).get(..10).unwrap_or(""),
        "delivery_mode": mode,
        "writer": writer,
        "sex": first.and_then(|x| cn_sex(x.sex.as_deref())),
        "address": first.map(|x| x.address.clone()).filter(|a| !a.is_empty() && !p.anonymous),
        "phone": first.map(|x| x.phone.clone()).filter(|a| !a.is_empty() && !p.anonymous),
        "region": region::lookup(&p.issue_region).map(|r| r.full_name.clone()),
        "source": source,
        "leader_instruction": leader,
        "summary": form.summary,
        "proposal": form.proposal,
        "clerk": clerk.display_name,
        "issued_on": today.to_string(),
        "notice_due": l.notice_due,
    })
}

/// The clerk fills in the 来信办理单 and sends it with the original to the deputy director.
#[tracing::instrument(name = "mailroom::submit_handling_form", skip_all)]
pub async fn submit_handling_form(
    state: &AppState,
    user: &CurrentUser,
    id: &str,
    input: &HandlingFormInput,
) -> AppResult<String> {
    let (p, _, l) = open_letter(state, user, id, "submit_handling_form").await?;
    let t = lifecycle::execute(
        &domain_state(&p),
        &Command::SubmitForInstruction,
        procedure_role(state, user, p.channel),
    )?;
    let form = mailroom::parse_handling_form(input, &p.summary)?;
    let now = state.clock.now();
    let today = local_date(now);
    let data = handling_form_data(state, &p, &l, &form, &user.user, today);
    let mut w = Write::begin_at(state, user, now).await?;
    state.store.set_stage(&mut w.tx, &p.id, t.to).await?;
    let seq = w.event(&p.id, p.event_seq, "submitted_for_instruction", &serde_json::json!({"stage": t.to.as_str(), "summary": form.summary, "proposal": form.proposal}))
        .await?;
    let (doc_id, _) = issue_form(
        state,
        &mut w.tx,
        &user.user,
        &p.id,
        seq,
        DocumentKind::LetterHandlingForm,
        data,
    )
    .await?;
    state
        .store
        .set_handling_form(&mut w.tx, &p.id, &form, &doc_id, now)
        .await?;
    w.commit().await?;
    Ok(doc_id)
}

// ---------------------------------------------------------------------------------------------
// Instruction (批示)

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct InstructionOutcome {
    pub state: String,
    pub acceptance: String,
    /// The date by which the writer must be told (15 days from receipt).
    pub notice_due: String,
}

/// The deputy director's instruction on the 来信办理单 decides acceptance.
#[tracing::instrument(name = "mailroom::record_instruction", skip_all)]
pub async fn record_instruction(
    state: &AppState,
    user: &CurrentUser,
    id: &str,
    input: &InstructionInput,
) -> AppResult<InstructionOutcome> {
    let (p, _, l) = open_letter(state, user, id, "record_instruction").await?;
    let parsed = mailroom::parse_instruction(input);
    let acceptance = parsed
        .as_ref()
        .map(|i| i.acceptance)
        .unwrap_or(Acceptance::Accepted);
    let t = lifecycle::execute(
        &domain_state(&p),
        &Command::Decide { acceptance },
        user.role(),
    )?;
    let instruction = parsed?;
    let reason_code = if acceptance == Acceptance::Accepted {
        String::new()
    } else {
        let reasons = state.store.decision_reasons(&state.bureau.id).await?;
        let usable: Vec<_> = reasons
            .iter()
            .filter(|r| r.active && r.acceptance == acceptance.as_str())
            .collect();
        let code = input.reason.trim();
        match usable.iter().find(|r| code.is_empty() || r.code == code) {
            Some(r) => r.code.clone(),
            None => {
                return Err(AppError::field(
                    "reason",
                    "unknown_reason",
                    format!("「{code}」不是该受理决定的可用理由"),
                ));
            }
        }
    };
    let now = state.clock.now();
    let mut w = Write::begin_at(state, user, now).await?;
    state
        .store
        .set_decision(
            &mut w.tx,
            &p.id,
            t.to,
            acceptance,
            &reason_code,
            &instruction.text,
            None,
            &user.user.id,
            now,
        )
        .await?;
    state
        .store
        .set_instruction(&mut w.tx, &p.id, &instruction.text, &actor(&user.user), now)
        .await?;
    w.event(
        &p.id,
        p.event_seq,
        "instruction_recorded",
        &serde_json::json!({
            "acceptance": acceptance.as_str(),
            "instruction": instruction.text,
            "reason": reason_code,
            "stage": t.to.as_str(),
        }),
    )
    .await?;
    w.commit().await?;
    Ok(InstructionOutcome {
        state: t.to.as_str().into(),
        acceptance: acceptance.as_str().into(),
        notice_due: l.notice_due,
    })
}

// ---------------------------------------------------------------------------------------------
// The 15-day notice

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct NoticeOutcome {
    pub state: String,
    pub method: String,
    pub document_id: Option<String>,
    pub doc_no: Option<String>,
}

/// Who is told: the named contact of a joint letter, else the first signatory / writer.
fn recipient<'a>(
    p: &'a PetitionRecord,
    l: &LetterRow,
) -> Option<&'a xinfang_store::petitions::PetitionerRow> {
    if p.anonymous {
        return None;
    }
    p.petitioners
        .iter()
        .find(|x| !l.contact_name.is_empty() && x.name == l.contact_name)
        .or_else(|| p.petitioners.first())
}

/// The 告知书 a written notice refers to: a document of this petition, of the kind the decision
/// calls for, signed off by a leader and issued (rules §13).
async fn issued_notice(
    state: &AppState,
    petition_id: &str,
    acceptance: Acceptance,
    document_id: &str,
) -> AppResult<DocumentRow> {
    let doc = state
        .store
        .documents_of(petition_id)
        .await?
        .into_iter()
        .find(|d| d.id == document_id)
        .ok_or_else(|| {
            AppError::field(
                "document_id",
                "unknown_document",
                "所选告知书不是本信访件的文书",
            )
        })?;
    let expected = mailroom::notice_kind(acceptance);
    // A kind this build does not know is as wrong as any other kind.
    let kind = DocumentKind::parse(&doc.kind).unwrap_or(DocumentKind::LetterHandlingForm);
    mailroom::check_notice_kind(kind, acceptance, "document_id")
        .map_err(|e| AppError::Invalid(vec![e]))?;
    if doc.state != DraftState::Issued.as_str() {
        return Err(AppError::field(
            "document_id",
            "not_issued",
            format!(
                "所选{}尚未经局领导签发并印发，不能据此登记书面告知",
                expected.title_zh()
            ),
        ));
    }
    Ok(doc)
}

#[tracing::instrument(name = "mailroom::record_notice", skip_all)]
pub async fn record_notice(
    state: &AppState,
    user: &CurrentUser,
    id: &str,
    input: &NoticeInput,
) -> AppResult<NoticeOutcome> {
    let (p, _, l) = open_letter(state, user, id, "record_notice").await?;
    require_clerk(state, user, p.channel)?;
    if l.notice_method.is_some() {
        return Err(AppError::Conflict("该来信已登记告知，不能重复登记".into()));
    }
    if matches!(p.stage, Stage::Received | Stage::ReturnedUnopened) {
        return Err(AppError::Conflict("来信尚未登记，不能登记告知".into()));
    }
    let now = state.clock.now();
    let to = recipient(&p, &l);
    let address = to
        .map(|x| x.address.clone())
        .filter(|a| !a.trim().is_empty())
        .or_else(|| {
            (!p.anonymous && !l.sender_address.is_empty()).then(|| l.sender_address.clone())
        });
    let facts = NoticeFacts {
        anonymous: p.anonymous,
        has_address: address.is_some(),
        has_phone: to.is_some_and(|x| !x.phone.trim().is_empty()),
        received_at: local(xinfang_store::parse_ts(&l.received_at)?),
    };
    let notice = mailroom::parse_notice(input, &facts, local(now))?;
    let acceptance = p.acceptance;
    if notice.method != NoticeMethod::CannotNotify && acceptance.is_none() {
        return Err(AppError::Conflict(
            "领导尚未批示受理决定，暂不能告知来信人".into(),
        ));
    }
    let mut document = None;
    let detail = match notice.method {
        NoticeMethod::Phone => format!(
            "{} {} 电话告知{}：{}",
            notice
                .called_at
                .map(|t| t.format("%Y-%m-%d %H:%M").to_string())
                .unwrap_or_default(),
            if notice.called_by.is_empty() {
                user.user.display_name.as_str()
            } else {
                notice.called_by.as_str()
            },
            to.map(|x| x.name.as_str()).unwrap_or(""),
            notice.content
        ),
        NoticeMethod::CannotNotify => notice.reason.clone(),
        NoticeMethod::Written => {
            let acceptance = acceptance.unwrap_or(Acceptance::Accepted);
            let kind = mailroom::notice_kind(acceptance);
            let doc = issued_notice(state, &p.id, acceptance, input.document_id.trim()).await?;
            let doc_no = doc.doc_no.clone().unwrap_or_default();
            let d = format!("{}{}", kind.title_zh(), doc_no);
            document = Some((doc.id, doc_no));
            d
        }
    };
    let mut w = Write::begin_at(state, user, now).await?;
    let mut seq = p.event_seq;
    state
        .store
        .set_notice(
            &mut w.tx,
            &p.id,
            &notice,
            &detail,
            document.as_ref().map(|d| d.0.as_str()),
            &actor(&user.user),
            now,
        )
        .await?;
    seq = w
        .event(
            &p.id,
            seq,
            "notice_recorded",
            &serde_json::json!({
                "method": notice.method.as_str(),
                "detail": detail,
                "notice": notice,
                "document_id": document.as_ref().map(|d| d.0.clone()),
                "due": l.notice_due,
            }),
        )
        .await?;
    // A non-accepting decision ends here once the writer is told (or cannot be).
    let mut stage = p.stage;
    if p.stage == Stage::Decided {
        let t = lifecycle::execute(
            &domain_state(&p),
            &Command::ServeNotice,
            procedure_role(state, user, p.channel),
        )?;
        state.store.set_stage(&mut w.tx, &p.id, t.to).await?;
        w.event(
            &p.id,
            seq,
            "notice_served",
            &serde_json::json!({"stage": t.to.as_str(), "method": notice.method.as_str()}),
        )
        .await?;
        stage = t.to;
    }
    // The decision also goes to the writer's phone (and e-mail given online).
    if let (true, Some(a)) = (notice.method != NoticeMethod::CannotNotify, acceptance) {
        crate::outbox::enqueue_for_petition(
            state,
            &mut w.tx,
            &p.id,
            xinfang_domain::outbox::MessageKind::AcceptanceDecision,
            &[("decision", a.label_zh().to_string())],
            now,
        )
        .await?;
    }
    w.commit().await?;
    Ok(NoticeOutcome {
        state: stage.as_str().into(),
        method: notice.method.as_str().into(),
        document_id: document.as_ref().map(|d| d.0.clone()),
        doc_no: document.map(|d| d.1),
    })
}

// ---------------------------------------------------------------------------------------------
// Views and queues

pub struct LetterView {
    pub petition: PetitionView,
    pub letter: LetterRow,
    pub scans: Vec<ScanRow>,
    pub enclosures: Vec<EnclosureRow>,
    pub documents: Vec<DocumentRow>,
    pub similar: Vec<PetitionView>,
}

/// The letter's record for a viewer who may not know its writer, built from an allow-list: the
/// envelope's sender and address, the joint letter's contact, the tracking number, the opening
/// and return notes and how the writer was told (a phone notice names them) are not on it; the
/// rest is the matter's own course. Every field is named, so a field added to the letter later
/// does not compile until it is decided here.
fn without_writer(l: LetterRow) -> LetterRow {
    LetterRow {
        petition_id: l.petition_id,
        delivery_mode: l.delivery_mode,
        tracking_no: String::new(),
        sender: String::new(),
        sender_address: String::new(),
        postmark_on: l.postmark_on,
        urgency: l.urgency,
        open_immediately: l.open_immediately,
        received_at: l.received_at,
        received_by: l.received_by,
        opened_at: l.opened_at,
        opened_by: l.opened_by,
        disinfected_by: l.disinfected_by,
        disinfected_at: l.disinfected_at,
        distributed_to: l.distributed_to,
        distributed_at: l.distributed_at,
        stamps_kept: l.stamps_kept,
        postmark_kept: l.postmark_kept,
        postcode_kept: l.postcode_kept,
        address_kept: l.address_kept,
        opening_notes: String::new(),
        return_reason: String::new(),
        joint: l.joint,
        signatory_count: l.signatory_count,
        contact_name: String::new(),
        forwarded_by_organ: l.forwarded_by_organ,
        forwarded_doc_no: l.forwarded_doc_no,
        forwarded_on: l.forwarded_on,
        forwarded_deadline: l.forwarded_deadline,
        leader_name: l.leader_name,
        leader_instructed_on: l.leader_instructed_on,
        leader_instruction: l.leader_instruction,
        form_summary: l.form_summary,
        form_proposal: l.form_proposal,
        form_document_id: l.form_document_id,
        form_sent_at: l.form_sent_at,
        instruction: l.instruction,
        instructed_by: l.instructed_by,
        instructed_at: l.instructed_at,
        notice_due: l.notice_due,
        notice_method: l.notice_method,
        notice_at: l.notice_at,
        notice_by: l.notice_by,
        notice_detail: String::new(),
        notice_document_id: l.notice_document_id,
    }
}

#[tracing::instrument(name = "mailroom::view", skip_all)]
pub async fn view(state: &AppState, user: &CurrentUser, id: &str) -> AppResult<LetterView> {
    let (p, access, l) = open_letter(state, user, id, "view_letter").await?;
    let scans = if access == Access::Full {
        state.store.scans_of(&p.id).await?
    } else {
        Vec::new()
    };
    let enclosures = state.store.enclosures_of(&p.id).await?;
    let documents = readable_documents_of(state, user, &p.id, access).await?;
    let petition = access::view(&p, access).ok_or_else(AppError::forbidden)?;
    let similar = similar_to(state, user, &petition).await?;
    let letter = if access == Access::Full {
        l
    } else {
        without_writer(l)
    };
    Ok(LetterView {
        petition,
        letter,
        scans,
        enclosures,
        documents,
        similar,
    })
}

/// A row of the mailroom lists: personal data masked (the sender shows only the family name).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct QueueItem {
    pub id: String,
    pub petition_no: String,
    pub state: String,
    pub state_label: String,
    pub delivery_mode: String,
    pub delivery_mode_label: String,
    pub urgency: String,
    /// Telegram or express, not yet opened: open at once.
    pub open_immediately: bool,
    pub opened: bool,
    /// Masked: 张**.
    pub sender: String,
    pub received_at: String,
    pub notice_due: String,
    /// Days left until the notice deadline (negative: overdue).
    pub days_left: i64,
}

pub fn mask_name(name: &str) -> String {
    let mut chars = name.trim().chars();
    match chars.next() {
        None => String::new(),
        Some(first) => {
            let rest = chars.count().max(1);
            format!("{first}{}", "*".repeat(rest))
        }
    }
}

fn queue_item(q: &QueuedLetter, today: NaiveDate) -> QueueItem {
    let due = NaiveDate::parse_from_str(&q.notice_due, "%Y-%m-%d").unwrap_or(today);
    QueueItem {
        id: q.petition_id.clone(),
        petition_no: q.petition_no.clone(),
        state: q.stage.as_str().into(),
        state_label: q.stage.label_zh().into(),
        delivery_mode: q.delivery_mode.clone(),
        delivery_mode_label: Delivery::parse(&q.delivery_mode)
            .map(|m| m.label_zh().to_string())
            .unwrap_or_default(),
        urgency: q.urgency.clone(),
        open_immediately: q.open_immediately && !q.opened,
        opened: q.opened,
        sender: if q.confidential {
            String::new()
        } else {
            mask_name(&q.sender)
        },
        received_at: crate::clock::show(&q.received_at),
        notice_due: q.notice_due.clone(),
        days_left: mailroom::days_left(due, today),
    }
}

/// Which list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Queue {
    /// Signed for, not yet registered: immediate ones first.
    ToProcess,
    /// The writer not yet told: fewest days left first.
    ToNotify,
    /// 来信办理单 on the leader's desk.
    AwaitingInstruction,
    /// Online petitions registered, their writer not yet told.
    OnlineToNotify,
}

#[tracing::instrument(name = "mailroom::queue", skip_all)]
pub async fn queue(
    state: &AppState,
    user: &CurrentUser,
    which: Queue,
) -> AppResult<Vec<QueueItem>> {
    let allowed = match which {
        Queue::ToProcess | Queue::ToNotify => user.role() == Role::LetterClerk,
        Queue::OnlineToNotify => user.role() == clerk_role(state, Channel::Online),
        Queue::AwaitingInstruction => matches!(
            user.role(),
            Role::LetterClerk | Role::DeputyDirector | Role::Director
        ),
    };
    if !allowed {
        return Err(AppError::forbidden());
    }
    let rows = match which {
        Queue::ToProcess => state.store.letters_to_process(&state.bureau.id).await?,
        Queue::ToNotify => state.store.letters_to_notify(&state.bureau.id).await?,
        Queue::OnlineToNotify => state.store.online_to_notify(&state.bureau.id).await?,
        Queue::AwaitingInstruction => {
            state
                .store
                .letters_awaiting_instruction(&state.bureau.id)
                .await?
        }
    };
    let today = local_date(state.clock.now());
    let mut out = Vec::with_capacity(rows.len());
    for q in &rows {
        // Confidential letters and recusals: only those who may see the petition get the row.
        if q.confidential
            || state
                .store
                .is_recused(&user.user.id, &q.petition_id)
                .await?
        {
            let p = state
                .store
                .petition(&state.bureau.id, &q.petition_id)
                .await?;
            if access::access_of(state, &user.user, &p).await? == Access::Denied {
                continue;
            }
        }
        out.push(queue_item(q, today));
    }
    Ok(out)
}
