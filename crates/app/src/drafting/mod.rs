//! 文稿办理 use cases (rules §13, seed 一(六), 二 二(六)): draft a document filled from a petition
//! (or a selection of petitions for bulletins and circulars), edit it, submit it, return it with
//! comments, sign it off (number from the gap-free sequence, final PDF and DOCX stored by hash),
//! issue it, correct it with a new document that supersedes it. The state machine is the pure
//! `xinfang_domain::drafting`; every step is a row in `document_steps` and, when the document
//! belongs to a petition, an event of that petition in the same transaction.
//!
//! Other use cases (交办, 转送, 延期, 结案 …) create their document with [`draft_for_petition`]
//! inside their own transaction.

use std::collections::BTreeMap;

use chrono::{Datelike, NaiveDate};
use serde::Deserialize;
use xinfang_domain::FieldError;
use xinfang_domain::document::{DocumentKind, Source, number_for, sequence_name};
use xinfang_domain::drafting::{
    self, DraftCommand, DraftContext, DraftState, DraftingError, PetitionFacts,
};
use xinfang_domain::region;
use xinfang_domain::resident_id::mask_phone;
use xinfang_store::drafts::{DraftRow, NewDraft, SignedFiles};
use xinfang_store::people::User;
use xinfang_store::petitions::PetitionRecord;

use crate::access;
use crate::auth::CurrentUser;
use crate::auth::actor;
use crate::clock::local_date;
use crate::context::AppState;
use crate::error::{AppError, AppResult};
use crate::write::Write;
pub mod documents;
use documents::may_read_document;

/// A request for a new draft.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct DraftRequest {
    /// The kind (`assignment_letter`, `extension_notice`, … see rules §13).
    pub kind: String,
    /// For bulletins and circulars: the selected petitions (ids).
    pub petition_ids: Vec<String>,
    /// The unit addressed (交办函, 转送函); defaults to the petition's handling unit.
    pub unit_id: Option<String>,
    /// A due date printed in the text (交办函 report-back, 延期告知书 new deadline), YYYY-MM-DD.
    pub due_on: Option<String>,
    /// Editable fields to use instead of the pre-filled text.
    pub fields: BTreeMap<String, String>,
    /// 信访情况通报: the statistics period it reports (then the selection may be empty).
    pub period: Option<crate::statistics::PeriodInput>,
}

fn map_err(e: DraftingError) -> AppError {
    match e {
        DraftingError::Forbidden(m) => AppError::Forbidden(m),
        DraftingError::WrongState(m) => AppError::Conflict(m),
        DraftingError::Invalid(f) => AppError::Invalid(vec![f]),
    }
}

fn conflict(e: xinfang_store::StoreError) -> AppError {
    match e {
        xinfang_store::StoreError::Conflict => {
            AppError::Conflict("文书已被他人修改或办理，请刷新后重试".into())
        }
        other => other.into(),
    }
}

/// A petition as a draft sees it.
pub fn facts_of(p: &PetitionRecord) -> PetitionFacts {
    let first = p.petitioners.first();
    PetitionFacts {
        petition_no: p.petition_no.clone(),
        petitioner: first
            .map(|x| x.name.clone())
            .filter(|n| !n.is_empty() && !p.anonymous)
            .unwrap_or_else(|| "匿名信访人".into()),
        address: first.map(|x| x.address.clone()).unwrap_or_default(),
        phone: first.map(|x| mask_phone(&x.phone)).unwrap_or_default(),
        registered_on: p
            .registered_on
            .get(..10)
            .unwrap_or(&p.registered_on)
            .to_string(),
        channel_zh: p.channel.label_zh().into(),
        summary: p.summary.clone(),
        requests: p.requests.clone(),
        category: p.category.clone().unwrap_or_default(),
        region: region::lookup(&p.issue_region)
            .map(|r| r.full_name.clone())
            .unwrap_or_default(),
        query_code: p.query_code.clone(),
    }
}

/// The unit a petition's letter goes to: its target unit, else its first handling unit.
async fn unit_of(state: &AppState, p: &PetitionRecord) -> AppResult<Option<String>> {
    let id = match &p.target_unit_id {
        Some(id) => Some(id.clone()),
        None => state.store.handling_units(&p.id).await?.into_iter().next(),
    };
    Ok(match id {
        Some(id) => Some(state.store.unit(&state.bureau.id, &id).await?.name),
        None => None,
    })
}

struct Checked {
    template_version: String,
    /// Fallback fonts used; "无法出具：…" for a character no font has (it blocks sign-off).
    warnings: Vec<String>,
}

fn glyph_error(ch: char, field: &str) -> FieldError {
    FieldError::new(
        field.to_string(),
        "missing_glyph",
        format!(
            "字段 {field} 中的字符「{ch}」(U+{:04X}) 在所有可用字体中都没有字形，无法出具文书；请核对该字或配置含此字的字体",
            ch as u32
        ),
    )
}

/// Renders in a blocking thread; a missing glyph is reported, not an error (drafts may hold
/// it; sign-off may not).
async fn render(
    state: &AppState,
    kind: DocumentKind,
    data: &serde_json::Value,
) -> AppResult<Result<xinfang_docs::Rendered, FieldError>> {
    let renderer = state.renderer.clone();
    let data = data.clone();
    let out = tokio::task::spawn_blocking(move || renderer.render(kind.as_str(), &data))
        .await
        .map_err(|e| AppError::Internal(e.to_string()))?;
    match out {
        Ok(r) => Ok(Ok(r)),
        Err(xinfang_docs::RenderError::MissingGlyph { ch, field }) => {
            Ok(Err(glyph_error(ch, &field)))
        }
        Err(other) => Err(AppError::Internal(other.to_string())),
    }
}

async fn check(
    state: &AppState,
    kind: DocumentKind,
    data: &serde_json::Value,
) -> AppResult<Checked> {
    Ok(match render(state, kind, data).await? {
        Ok(r) => Checked {
            template_version: r.template_version,
            warnings: r.warnings.iter().map(ToString::to_string).collect(),
        },
        Err(f) => Checked {
            template_version: state
                .renderer
                .template_version(kind.as_str())
                .unwrap_or_default(),
            warnings: vec![format!("无法出具：{}", f.message)],
        },
    })
}

fn today(state: &AppState) -> NaiveDate {
    local_date(state.clock.now())
}

fn draft_json(ctx: &DraftContext, fields: &BTreeMap<String, String>) -> serde_json::Value {
    serde_json::json!({ "context": ctx, "fields": fields })
}

fn stored_context(row: &DraftRow) -> AppResult<(DraftContext, BTreeMap<String, String>)> {
    let ctx = row.draft.get("context").cloned().unwrap_or_default();
    let fields = row.draft.get("fields").cloned().unwrap_or_default();
    let ctx: DraftContext = serde_json::from_value(ctx)
        .map_err(|e| AppError::Internal(format!("draft context: {e}")))?;
    let fields = serde_json::from_value(fields)
        .map_err(|e| AppError::Internal(format!("draft fields: {e}")))?;
    Ok((ctx, fields))
}

fn kind_of(row: &DraftRow) -> AppResult<DocumentKind> {
    DocumentKind::parse(&row.kind)
        .ok_or_else(|| AppError::Internal(format!("unknown document kind {}", row.kind)))
}

fn state_of(row: &DraftRow) -> AppResult<DraftState> {
    DraftState::parse(&row.state)
        .ok_or_else(|| AppError::Conflict(format!("{}不在拟稿流程中", row.kind)))
}

/// Opens a document for `purpose`: through its petition's visibility, or (bulletins) for
/// bureau staff only.
#[tracing::instrument(name = "drafting::open_document", skip_all)]
pub async fn open_document(
    state: &AppState,
    user: &CurrentUser,
    id: &str,
    purpose: &str,
) -> AppResult<DraftRow> {
    let row = state
        .store
        .draft(&state.bureau.id, id)
        .await
        .map_err(|_| AppError::not_found())?;
    match &row.petition_id {
        Some(pid) => {
            let (_, access) = access::open_record(state, user, pid, purpose).await?;
            may_read_document(user, access, &row.kind, &row.state)?;
        }
        None if user.role().is_bureau_staff() => {}
        None => return Err(AppError::forbidden()),
    }
    Ok(row)
}

fn parse_due(s: Option<&str>, today: NaiveDate) -> AppResult<Option<NaiveDate>> {
    match s.map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(None),
        Some(s) => {
            let d = NaiveDate::parse_from_str(s, "%Y-%m-%d").map_err(|_| {
                AppError::field("due_on", "invalid_date", "期限日期格式应为 YYYY-MM-DD")
            })?;
            if d < today {
                return Err(AppError::field(
                    "due_on",
                    "past_date",
                    "期限日期不能早于今天",
                ));
            }
            Ok(Some(d))
        }
    }
}

/// What a draft states besides the petition: the decision's reason (告知书) or the supervision
/// (督办函). Default for every other kind.
#[derive(Debug, Clone, Default)]
pub struct Grounds {
    pub reason: Option<String>,
    pub legal_basis: Option<String>,
    pub note: Option<String>,
    pub count: u32,
}

/// A decision notice must match the decision made; its reason and legal text are the decision
/// reason's, from the bureau's reason list.
async fn decision_grounds(
    state: &AppState,
    p: &PetitionRecord,
    kind: DocumentKind,
) -> AppResult<Grounds> {
    let Some(acceptance) = p.acceptance else {
        return Err(AppError::Conflict(format!(
            "该信访件尚未作出受理决定，不能起草{}",
            kind.title_zh()
        )));
    };
    xinfang_domain::mailroom::check_notice_kind(kind, acceptance, "kind")
        .map_err(|e| AppError::Invalid(vec![e]))?;
    let reasons = state.store.decision_reasons(&state.bureau.id).await?;
    let reason = p.decision_reason.as_deref().and_then(|c| {
        reasons
            .into_iter()
            .find(|r| r.code == c && r.acceptance == acceptance.as_str())
    });
    Ok(Grounds {
        reason: reason.as_ref().map(|r| r.reason.clone()),
        legal_basis: reason.map(|r| r.legal_text),
        ..Grounds::default()
    })
}

/// Creates a draft of `kind` for a petition inside the caller's transaction: context and text
/// pre-filled from the petition and `grounds`, `fields` (validated) replacing any of the
/// pre-filled fields. Appends `document_drafted` to the petition. Returns the document id.
///
/// The caller has checked that `user` may see the petition; this checks that the role may
/// draft the kind, and that a decision notice matches the decision.
#[allow(clippy::too_many_arguments)]
pub async fn draft_for_petition(
    state: &AppState,
    tx: &mut xinfang_store::WriteTx,
    user: &User,
    p: &PetitionRecord,
    kind: DocumentKind,
    unit_name: Option<String>,
    due_on: Option<NaiveDate>,
    fields: &BTreeMap<String, String>,
    grounds: Grounds,
) -> AppResult<String> {
    let unit = match unit_name {
        Some(u) => Some(u),
        None => unit_of(state, p).await?,
    };
    let facts = drafting::facts_for(kind, facts_of(p), p.confidential);
    let grounds = if kind.is_decision_notice() {
        let found = decision_grounds(state, p, kind).await?;
        Grounds {
            reason: grounds.reason.or(found.reason),
            legal_basis: grounds.legal_basis.or(found.legal_basis),
            ..grounds
        }
    } else {
        grounds
    };
    let mut ctx = context(state, user, vec![facts], unit, due_on, kind);
    ctx.reason = grounds.reason;
    ctx.legal_basis = grounds.legal_basis;
    ctx.note = grounds.note;
    ctx.count = grounds.count.max(1);
    insert(state, tx, user, Some(&p.id), kind, ctx, fields, None).await
}

fn context(
    state: &AppState,
    user: &User,
    petitions: Vec<PetitionFacts>,
    unit: Option<String>,
    due_on: Option<NaiveDate>,
    kind: DocumentKind,
) -> DraftContext {
    let today = today(state);
    // 交办函: report back within 30 days; 延期告知书: at most 30 more days; 督办函: the unit's
    // written answer within 30 days.
    let due_on = due_on.or_else(|| {
        matches!(
            kind,
            DocumentKind::AssignmentLetter
                | DocumentKind::ExtensionNotice
                | DocumentKind::SupervisionLetter
        )
        .then(|| today + chrono::Days::new(30))
    });
    DraftContext {
        bureau_name: state.bureau.name.clone(),
        today: today.to_string(),
        officer: user.display_name.clone(),
        petitions,
        unit,
        due_on: due_on.map(|d| d.to_string()),
        ..DraftContext::default()
    }
}

#[allow(clippy::too_many_arguments)]
async fn insert(
    state: &AppState,
    tx: &mut xinfang_store::WriteTx,
    user: &User,
    petition_id: Option<&str>,
    kind: DocumentKind,
    ctx: DraftContext,
    overrides: &BTreeMap<String, String>,
    supersedes: Option<&str>,
) -> AppResult<String> {
    if !kind.needs_sign_off() {
        return Err(AppError::field(
            "kind",
            "issued_directly",
            format!("{}由其办理环节直接出具，无需拟稿", kind.title_zh()),
        ));
    }
    if !kind.may_draft(user.role) {
        return Err(AppError::Forbidden(format!(
            "{}不能起草{}",
            user.role.label_zh(),
            kind.title_zh()
        )));
    }
    let mut fields = drafting::prefill(kind, &ctx);
    for (k, v) in overrides {
        fields.insert(k.clone(), v.clone());
    }
    let fields = drafting::parse_fields(kind, &fields)?;
    let data = drafting::template_data(kind, &ctx, &fields, None, &ctx.today, true);
    let checked = check(state, kind, &data).await?;
    let now = state.clock.now();
    let id = state
        .store
        .insert_draft(
            tx,
            &NewDraft {
                bureau_id: &state.bureau.id,
                petition_id,
                kind: kind.as_str(),
                template_version: &checked.template_version,
                data: &data,
                draft: &draft_json(&ctx, &fields),
                font_warnings: &checked.warnings,
                supersedes,
                created_by: &user.id,
            },
            now,
        )
        .await?;
    state
        .store
        .insert_document_step(
            tx,
            &state.bureau.id,
            &id,
            "draft",
            "",
            "draft",
            supersedes
                .map(|s| format!("更正 {s}"))
                .as_deref()
                .unwrap_or(""),
            &user.id,
            user.role.as_str(),
            now,
        )
        .await?;
    if let Some(pid) = petition_id {
        let seq = state.store.event_seq_in(tx, pid).await?;
        state
            .store
            .append_event(
                tx,
                &state.bureau.id,
                pid,
                seq,
                "document_drafted",
                &serde_json::json!({"document_id": id, "kind": kind.as_str(), "title": kind.title_zh(), "supersedes": supersedes}),
                &actor(user),
                now,
            )
            .await
            .map_err(conflict)?;
    }
    Ok(id)
}

/// Drafts a document: for one petition (`petition_id`) or, for bulletins and circulars, from
/// `req.petition_ids`. Every petition used must be visible to the user.
#[tracing::instrument(name = "drafting::draft", skip_all)]
pub async fn draft(
    state: &AppState,
    user: &CurrentUser,
    petition_id: Option<&str>,
    req: &DraftRequest,
) -> AppResult<DraftRow> {
    let kind = DocumentKind::parse(req.kind.trim()).ok_or_else(|| {
        AppError::field(
            "kind",
            "unknown_kind",
            format!("未知的文书种类：{}", req.kind.trim()),
        )
    })?;
    let due_on = parse_due(req.due_on.as_deref(), today(state))?;
    let unit = match req.unit_id.as_deref().filter(|s| !s.is_empty()) {
        Some(uid) => Some(
            state
                .store
                .unit(&state.bureau.id, uid)
                .await
                .map_err(|_| AppError::field("unit_id", "unknown_unit", "承办单位不存在"))?
                .name,
        ),
        None => None,
    };
    let id = match kind.source() {
        Source::Petition => {
            let pid = petition_id
                .or(req.petition_ids.first().map(String::as_str))
                .ok_or_else(|| {
                    AppError::field(
                        "petition_id",
                        "required",
                        format!("{}须针对一件信访件起草", kind.title_zh()),
                    )
                })?;
            let (p, _) = access::open_record(state, user, pid, "draft_document").await?;
            let mut w = Write::begin(state, user).await?;
            let id = draft_for_petition(
                state,
                &mut w.tx,
                &user.user,
                &p,
                kind,
                unit,
                due_on,
                &req.fields,
                Grounds::default(),
            )
            .await?;
            w.commit().await?;
            id
        }
        Source::Selection => {
            let ids: Vec<&String> = req.petition_ids.iter().collect();
            let briefing = match (&req.period, kind) {
                (Some(period), DocumentKind::Circular) => {
                    Some(crate::statistics::briefing(state, user, period).await?)
                }
                // The day's figures (V3.2): the named day, or today.
                (period, DocumentKind::DailyBulletin) => {
                    let today = crate::clock::local_date(state.clock.now()).to_string();
                    let day = period.clone().unwrap_or(crate::statistics::PeriodInput {
                        from: Some(today.clone()),
                        to: Some(today),
                        ..Default::default()
                    });
                    let mut b = crate::statistics::briefing(state, user, &day).await?;
                    // One day: named by its date, not as a range.
                    if let Some((first, last)) = b.label.split_once('至')
                        && first == last
                    {
                        b.label = first.to_string();
                    }
                    Some(b)
                }
                _ => None,
            };
            // Only a circular may carry figures alone; a bulletin reports selected matters.
            if ids.is_empty() && !(kind == DocumentKind::Circular && briefing.is_some()) {
                return Err(AppError::field(
                    "petition_ids",
                    "required",
                    format!("{}须选择至少一件信访件", kind.title_zh()),
                ));
            }
            if ids.len() > 100 {
                return Err(AppError::field(
                    "petition_ids",
                    "too_many",
                    "一次最多选择 100 件信访件",
                ));
            }
            let mut facts = Vec::new();
            for pid in ids {
                let (p, _) = access::open_record(state, user, pid, "draft_bulletin")
                    .await
                    .map_err(|e| match e {
                        AppError::NotFound(_) => AppError::field(
                            "petition_ids",
                            "unknown_petition",
                            format!("所选信访件 {pid} 不存在"),
                        ),
                        other => other,
                    })?;
                facts.push(facts_of(&p));
            }
            let mut ctx = context(state, &user.user, facts, unit, due_on, kind);
            ctx.briefing = briefing;
            let mut w = Write::begin(state, user).await?;
            let id = insert(
                state,
                &mut w.tx,
                &user.user,
                None,
                kind,
                ctx,
                &req.fields,
                None,
            )
            .await?;
            w.commit().await?;
            id
        }
    };
    Ok(state.store.draft(&state.bureau.id, &id).await?)
}

/// Saves edited fields of a draft or returned document (`version` as last read).
#[tracing::instrument(name = "drafting::edit", skip_all)]
pub async fn edit(
    state: &AppState,
    user: &CurrentUser,
    id: &str,
    version: i64,
    fields: &BTreeMap<String, String>,
) -> AppResult<DraftRow> {
    let row = open_document(state, user, id, "edit_document").await?;
    let kind = kind_of(&row)?;
    let st = state_of(&row)?;
    let step = drafting::step(kind, st, DraftCommand::Edit, user.role()).map_err(map_err)?;
    if row.version != version {
        return Err(conflict(xinfang_store::StoreError::Conflict));
    }
    let (ctx, _) = stored_context(&row)?;
    let fields = drafting::parse_fields(kind, fields)?;
    let data = drafting::template_data(kind, &ctx, &fields, None, &ctx.today, true);
    let checked = check(state, kind, &data).await?;
    let now = state.clock.now();
    let mut w = Write::begin_at(state, user, now).await?;
    state
        .store
        .update_draft(
            &mut w.tx,
            &row.id,
            version,
            &data,
            &draft_json(&ctx, &fields),
            &checked.template_version,
            &checked.warnings,
            now,
        )
        .await
        .map_err(conflict)?;
    record(
        state, &mut w.tx, &user.user, &row, "edit", st, step.to, "", step.event, None,
    )
    .await?;
    w.commit().await?;
    Ok(state.store.draft(&state.bureau.id, id).await?)
}

#[allow(clippy::too_many_arguments)]
async fn record(
    state: &AppState,
    tx: &mut xinfang_store::WriteTx,
    user: &User,
    row: &DraftRow,
    action: &str,
    from: DraftState,
    to: DraftState,
    comment: &str,
    event: &str,
    doc_no: Option<&str>,
) -> AppResult<()> {
    let now = state.clock.now();
    state
        .store
        .insert_document_step(
            tx,
            &state.bureau.id,
            &row.id,
            action,
            from.as_str(),
            to.as_str(),
            comment,
            &user.id,
            user.role.as_str(),
            now,
        )
        .await?;
    if let Some(pid) = &row.petition_id {
        let seq = state.store.event_seq_in(tx, pid).await?;
        state
            .store
            .append_event(
                tx,
                &state.bureau.id,
                pid,
                seq,
                event,
                &serde_json::json!({
                    "document_id": row.id,
                    "kind": row.kind,
                    "state": to.as_str(),
                    "comment": comment,
                    "doc_no": doc_no,
                }),
                &actor(user),
                now,
            )
            .await
            .map_err(conflict)?;
    }
    Ok(())
}

/// A workflow action on a document.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Submit,
    Return,
    SignOff,
    Issue,
}

/// Submits, returns (with `comment`), signs off or issues a document.
#[tracing::instrument(name = "drafting::act", skip_all)]
pub async fn act(
    state: &AppState,
    user: &CurrentUser,
    id: &str,
    action: Action,
    comment: &str,
) -> AppResult<DraftRow> {
    let row = open_document(state, user, id, "act_on_document").await?;
    let kind = kind_of(&row)?;
    let st = state_of(&row)?;
    let cmd = match action {
        Action::Submit => DraftCommand::Submit,
        Action::Return => DraftCommand::Return { comment },
        Action::SignOff => DraftCommand::SignOff,
        Action::Issue => DraftCommand::Issue,
    };
    let step = drafting::step(kind, st, cmd, user.role()).map_err(map_err)?;
    let now = state.clock.now();
    let (ctx, fields) = stored_context(&row)?;

    // Sign-off renders the final files before taking the number, so that a document that
    // cannot be rendered (a character no font has) never consumes one.
    let final_files = if step.renders_final {
        let probe =
            drafting::template_data(kind, &ctx, &fields, None, &today(state).to_string(), false);
        if let Err(f) = render(state, kind, &probe).await? {
            return Err(AppError::Invalid(vec![f]));
        }
        true
    } else {
        false
    };
    if action == Action::Submit
        && let Some(w) = row.font_warnings.iter().find(|w| w.starts_with("无法出具"))
    {
        return Err(AppError::field("fields", "missing_glyph", w.clone()));
    }

    let mut w = Write::begin_at(state, user, now).await?;
    // Claims the row first: a concurrent action on the same document fails here.
    state
        .store
        .set_document_state(
            &mut w.tx,
            &row.id,
            row.version,
            st.as_str(),
            step.to.as_str(),
            now,
        )
        .await
        .map_err(conflict)?;
    let mut assigned = row.doc_no.clone();
    if final_files {
        let day = today(state);
        let doc_no = if step.assigns_number {
            let n = xinfang_store::next_in_sequence(
                &mut w.tx,
                &state.bureau.id,
                &sequence_name(kind),
                day.year(),
            )
            .await?;
            number_for(&state.bureau.organ_code, kind, day.year(), n as u64)
        } else {
            None
        };
        let data = drafting::template_data(
            kind,
            &ctx,
            &fields,
            doc_no.as_deref(),
            &day.to_string(),
            false,
        );
        let rendered = match render(state, kind, &data).await? {
            Ok(r) => r,
            Err(f) => return Err(AppError::Invalid(vec![f])),
        };
        let docx =
            xinfang_docs::render_docx(&data).map_err(|e| AppError::Internal(e.to_string()))?;
        let pdf_hash = state.blobs.put(&rendered.pdf).await?;
        let docx_hash = state.blobs.put(&docx).await?;
        state
            .store
            .record_signed_files(
                &mut w.tx,
                &row.id,
                &SignedFiles {
                    doc_no: doc_no.as_deref(),
                    template_version: &rendered.template_version,
                    data: &data,
                    pdf_hash: &pdf_hash,
                    pdf_size: rendered.pdf.len() as i64,
                    docx_hash: &docx_hash,
                    docx_size: docx.len() as i64,
                    signed_off_by: &user.user.id,
                },
                now,
            )
            .await
            .map_err(conflict)?;
        assigned = doc_no;
    }
    if action == Action::Issue
        && let Some(old) = &row.supersedes
    {
        state
            .store
            .mark_superseded(&mut w.tx, old, &row.id)
            .await
            .map_err(conflict)?;
    }
    let action_name = match action {
        Action::Submit => "submit",
        Action::Return => "return",
        Action::SignOff => "sign_off",
        Action::Issue => "issue",
    };
    record(
        state,
        &mut w.tx,
        &user.user,
        &row,
        action_name,
        st,
        step.to,
        comment.trim(),
        step.event,
        assigned.as_deref(),
    )
    .await?;
    if action == Action::Issue && kind == DocumentKind::Circular {
        crate::steps::on_circular_issued(state, &mut w.tx, &user.user, assigned.as_deref()).await?;
    }
    if action == Action::Issue
        && let Some(pid) = &row.petition_id
    {
        crate::steps::on_document_issued(
            state,
            &mut w.tx,
            &user.user,
            pid,
            kind,
            assigned.as_deref(),
        )
        .await?;
    }
    w.commit().await?;
    Ok(state.store.draft(&state.bureau.id, id).await?)
}

/// Starts a correction: a new draft with the signed document's text, superseding it once issued.
#[tracing::instrument(name = "drafting::correct", skip_all)]
pub async fn correct(state: &AppState, user: &CurrentUser, id: &str) -> AppResult<DraftRow> {
    let row = open_document(state, user, id, "correct_document").await?;
    let kind = kind_of(&row)?;
    let st = state_of(&row)?;
    drafting::step(kind, st, DraftCommand::Correct, user.role()).map_err(map_err)?;
    if row.superseded_by.is_some() {
        return Err(AppError::Conflict(
            "该文书已被更正，请更正最新的文书".into(),
        ));
    }
    let (mut ctx, fields) = stored_context(&row)?;
    ctx.today = today(state).to_string();
    ctx.officer = user.user.display_name.clone();
    let mut w = Write::begin(state, user).await?;
    let new_id = insert(
        state,
        &mut w.tx,
        &user.user,
        row.petition_id.as_deref(),
        kind,
        ctx,
        &fields,
        Some(&row.id),
    )
    .await?;
    w.commit().await?;
    Ok(state.store.draft(&state.bureau.id, &new_id).await?)
}

/// A document file to download.
pub struct DocumentFile {
    pub bytes: Vec<u8>,
    pub content_type: &'static str,
    pub file_name: String,
}

/// The PDF or DOCX of a document: the stored bytes once signed off (the same bytes every time),
/// a preview with a 草稿 mark before.
#[tracing::instrument(name = "drafting::download", skip_all)]
pub async fn download(
    state: &AppState,
    user: &CurrentUser,
    id: &str,
    format: &str,
) -> AppResult<DocumentFile> {
    let (pdf, content_type) = match format {
        "pdf" => (true, "application/pdf"),
        "docx" => (
            false,
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        ),
        other => {
            return Err(AppError::field(
                "format",
                "unknown_format",
                format!("不支持的格式：{other}（可选 pdf、docx）"),
            ));
        }
    };
    let row = open_document(state, user, id, "download_document").await?;
    let stem = row.doc_no.clone().unwrap_or_else(|| {
        let title = DocumentKind::parse(&row.kind)
            .map(|k| k.title_zh())
            .unwrap_or("文书");
        format!("{title}（草稿）")
    });
    let file_name = format!("{stem}.{format}");
    let stored = if pdf {
        row.pdf_hash.clone()
    } else {
        row.docx_hash.clone()
    };
    if let Some(hash) = stored {
        let bytes = state
            .blobs
            .get(&hash)
            .await?
            .ok_or_else(|| AppError::Internal(format!("blob {hash} missing")))?;
        return Ok(DocumentFile {
            bytes,
            content_type,
            file_name,
        });
    }
    if row.draft.is_null() {
        return Err(AppError::NotFound("该文书没有此格式的文件".into()));
    }
    let kind = kind_of(&row)?;
    let bytes = if pdf {
        match render(state, kind, &row.data).await? {
            Ok(r) => r.pdf,
            Err(f) => return Err(AppError::Invalid(vec![f])),
        }
    } else {
        xinfang_docs::render_docx(&row.data).map_err(|e| AppError::Internal(e.to_string()))?
    };
    Ok(DocumentFile {
        bytes,
        content_type,
        file_name,
    })
}

// ---------------------------------------------------------------------------------------------
// Reads

/// A document's drafting history (who drafted, returned, signed off, issued, with comments).
pub async fn steps(
    state: &AppState,
    document_id: &str,
) -> AppResult<Vec<xinfang_store::drafts::StepRow>> {
    Ok(state.store.document_steps(document_id).await?)
}

/// Documents still in drafting for the bureau's inbox, leaving out those of petitions the
/// viewer may not open.
#[tracing::instrument(name = "drafting::open_drafts", skip_all)]
pub async fn open_drafts(state: &AppState, user: &CurrentUser) -> AppResult<Vec<DraftRow>> {
    if !user.role().is_bureau_staff() {
        return Err(AppError::forbidden());
    }
    let drafts = state
        .store
        .drafts_in_states(
            &state.bureau.id,
            &["draft", "submitted", "returned", "signed_off"],
            200,
        )
        .await?;
    let mut out = Vec::new();
    for d in drafts {
        if let Some(pid) = &d.petition_id {
            let Ok(p) = state.store.petition(&state.bureau.id, pid).await else {
                continue;
            };
            if access::access_of(state, &user.user, &p).await?
                == xinfang_domain::visibility::Access::Denied
            {
                continue;
            }
        }
        out.push(d);
    }
    Ok(out)
}
