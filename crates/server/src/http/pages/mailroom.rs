//! The mailroom's pages: the clerk's desk (sign for a letter, letters to open and register,
//! writers still to be told), the leader's list of 来信办理单, and one page per letter with the
//! step that is due.

use std::collections::HashMap;
use std::sync::Arc;

use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::{Form, Path, Query, Request, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use xinfang_domain::catalog;
use xinfang_domain::lifecycle::{Acceptance, Stage};
use xinfang_domain::mailroom::{
    Delivery, EnclosureInput, EnclosureKind, HandOverInput, HandlingFormInput, InstructionInput,
    LetterDetailsInput, LetterReceiptInput, NoticeInput, OpeningInput, ScanPart, Urgency,
    format_fen,
};
use xinfang_domain::resident_id::mask_phone;
use xinfang_domain::role::Role;

use super::{Layout, Pairs, S, error_page, input_id, layout, registration_from_form};
use crate::http::auth::{self, CurrentUser, PageUser};
use crate::http::error::AppError;
use xinfang_app::clock::show;
use xinfang_app::context::AppState;
use xinfang_app::mailroom::{self as svc, Queue, QueueItem};

fn form_map(pairs: Pairs) -> HashMap<String, String> {
    pairs
        .into_iter()
        .filter(|(k, _)| k != auth::CSRF_FIELD)
        .collect()
}

fn flag(form: &HashMap<String, String>, k: &str) -> bool {
    matches!(form.get(k).map(String::as_str), Some("on" | "true" | "1"))
}

fn field(form: &HashMap<String, String>, k: &str) -> String {
    form.get(k).cloned().unwrap_or_default()
}

fn flash_of(q: &HashMap<String, String>) -> &'static str {
    match q.get("done").map(String::as_str) {
        Some("received") => "来信已签收登记。",
        Some("opened") => "拆封情况已记录。",
        Some("returned") => "来信已按退回未拆处理。",
        Some("scan") => "扫描件已上传。",
        Some("enclosure") => "随信物品已登记，由办信人员保管。",
        Some("handed") => "随信物品已凭签字移交。",
        Some("registered") => "来信已登记。",
        Some("form") => "来信办理单已呈送分管领导批示。",
        Some("instruction") => "批示已记录。",
        Some("notice") => "告知情况已记录。",
        _ => "",
    }
}

// ---------------------------------------------------------------------------------------------
// The desk

#[derive(Template, WebTemplate)]
#[template(path = "mailroom/desk.html")]
struct DeskPage {
    layout: Layout,
    clerk: bool,
    errors: Vec<(String, String)>,
    values: HashMap<String, String>,
    modes: Vec<(&'static str, &'static str)>,
    urgencies: Vec<(&'static str, &'static str)>,
    to_process: Vec<QueueItem>,
    to_notify: Vec<QueueItem>,
    awaiting: Vec<QueueItem>,
}

impl DeskPage {
    fn v(&self, key: &str) -> &str {
        self.values.get(key).map(String::as_str).unwrap_or("")
    }
}

async fn desk_for(
    state: &AppState,
    u: &CurrentUser,
    values: HashMap<String, String>,
    errors: Vec<(String, String)>,
    flash: &str,
) -> Response {
    let clerk = u.role() == Role::LetterClerk;
    let result = async {
        let (to_process, to_notify) = if clerk {
            (
                svc::queue(state, u, Queue::ToProcess).await?,
                svc::queue(state, u, Queue::ToNotify).await?,
            )
        } else {
            (Vec::new(), Vec::new())
        };
        let awaiting = svc::queue(state, u, Queue::AwaitingInstruction).await?;
        Ok::<_, AppError>((to_process, to_notify, awaiting))
    }
    .await;
    match result {
        Ok((to_process, to_notify, awaiting)) => DeskPage {
            layout: layout(state, Some(u), flash),
            clerk,
            errors,
            values,
            modes: Delivery::ALL
                .iter()
                .map(|m| (m.as_str(), m.label_zh()))
                .collect(),
            urgencies: Urgency::ALL
                .iter()
                .map(|m| (m.as_str(), m.label_zh()))
                .collect(),
            to_process,
            to_notify,
            awaiting,
        }
        .into_response(),
        Err(e) => error_page(state, Some(u), e),
    }
}

async fn desk(
    State(state): S,
    PageUser(u): PageUser,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    desk_for(&state, &u, HashMap::new(), Vec::new(), flash_of(&q)).await
}

async fn receive_submit(State(state): S, PageUser(u): PageUser, Form(f): Form<Pairs>) -> Response {
    let form = form_map(f);
    let input = LetterReceiptInput {
        delivery_mode: field(&form, "delivery_mode"),
        received_at: field(&form, "received_at"),
        tracking_no: field(&form, "tracking_no"),
        sender: field(&form, "sender"),
        sender_address: field(&form, "sender_address"),
        postmark_date: field(&form, "postmark_date"),
        urgency: field(&form, "urgency"),
    };
    match svc::receive(&state, &u, &input).await {
        Ok(p) => Redirect::to(&format!("/letters/{}?done=received", p.id)).into_response(),
        Err(AppError::Invalid(errors)) => {
            let errors = errors
                .iter()
                .map(|e| (input_id(&e.field), e.message.clone()))
                .collect();
            desk_for(&state, &u, form, errors, "").await
        }
        Err(e) => error_page(&state, Some(&u), e),
    }
}

// ---------------------------------------------------------------------------------------------
// One letter

struct ScanView {
    id: String,
    part: &'static str,
    file_name: String,
    content_type: String,
    size: String,
}

struct EnclosureView {
    id: String,
    kind: &'static str,
    description: String,
    amount: String,
    quantity: i64,
    in_custody: bool,
    handed: String,
}

struct DocView {
    href: String,
    title: String,
    doc_no: String,
    /// 草稿, 待签发 … for a document still in drafting; empty once issued.
    state: String,
}

struct EventView {
    at: String,
    actor: String,
    label: &'static str,
}

#[derive(Template, WebTemplate)]
#[template(path = "mailroom/letter.html")]
struct LetterPage {
    layout: Layout,
    id: String,
    petition_no: String,
    stage_label: &'static str,
    stage: &'static str,
    errors: Vec<(String, String)>,
    values: HashMap<String, String>,
    identity: bool,
    immediate: bool,
    receipt: Vec<(&'static str, String)>,
    opened: bool,
    opening: Vec<(&'static str, String)>,
    details: Vec<(&'static str, String)>,
    petitioners: Vec<(String, String, String)>,
    scans: Vec<ScanView>,
    enclosures: Vec<EnclosureView>,
    documents: Vec<DocView>,
    similar: Vec<(String, String)>,
    events: Vec<EventView>,
    notice: String,
    notice_due: String,
    /// The 告知书 the decision calls for (code, title), once decided.
    notice_kind: Option<(&'static str, &'static str)>,
    /// Issued 告知书 of that kind: (id, number).
    issued_notices: Vec<(String, String)>,
    // what the viewer may do now
    can_open: bool,
    can_scan: bool,
    can_enclose: bool,
    can_register: bool,
    can_submit_form: bool,
    can_instruct: bool,
    can_notify: bool,
    parts: Vec<(&'static str, &'static str)>,
    enclosure_kinds: Vec<(&'static str, &'static str)>,
    purposes: &'static [(&'static str, &'static str)],
    classes: &'static [(&'static str, &'static str)],
    reasons: Vec<(String, String, String)>,
    summary: String,
    default_region: String,
    townships: Vec<(String, String)>,
}

impl LetterPage {
    fn v(&self, key: &str) -> &str {
        self.values.get(key).map(String::as_str).unwrap_or("")
    }
    fn checked(&self, key: &str) -> bool {
        matches!(self.v(key), "on" | "true" | "1")
    }
}

fn event_label(kind: &str) -> &'static str {
    match kind {
        "letter_received" => "签收来信",
        "online_submitted" => "网上提交",
        "letter_opened" => "拆封登记",
        "returned_unopened" => "退回未拆",
        "scan_attached" => "上传扫描件",
        "enclosure_registered" => "登记随信物品",
        "enclosure_handed_over" => "移交随信物品",
        "letter_registered" => "登记来信",
        "submitted_for_instruction" => "呈送来信办理单",
        "instruction_recorded" => "领导批示",
        "document_issued" => "出具文书",
        "notice_recorded" => "告知来信人",
        "notice_served" => "告知送达，办结",
        _ => "其他操作",
    }
}

fn yes(b: bool) -> String {
    if b {
        "完好".into()
    } else {
        "未保持完整".into()
    }
}

async fn letter_page(
    state: &AppState,
    u: &CurrentUser,
    id: &str,
    values: HashMap<String, String>,
    errors: Vec<(String, String)>,
    flash: &str,
) -> Response {
    let result = async {
        let v = svc::view(state, u, id).await?;
        let events = xinfang_app::access::history(state, &v.petition).await?;
        let reasons = xinfang_app::admin::decision_reasons(state).await?;
        let units = xinfang_app::admin::units(state).await?;
        let township = match &v.petition.township {
            Some(t) => Some(xinfang_app::township::name(state, t).await),
            None => None,
        };
        Ok::<_, AppError>((v, events, reasons, units, township))
    }
    .await;
    let (v, events, reasons, units, township) = match result {
        Ok(x) => x,
        Err(e) => return error_page(state, Some(u), e),
    };
    let p = &v.petition;
    let l = &v.letter;
    let identity = v.petition.identity();
    let role = u.role();
    let clerk = role == xinfang_app::mailroom::clerk_role(state, p.channel);
    // An online petition's registration form starts from what its writer submitted.
    let mut values = values;
    if values.is_empty()
        && p.channel == xinfang_domain::lifecycle::Channel::Online
        && p.stage == Stage::Received
    {
        values = xinfang_app::public::submitted_values(state, u, &p.id)
            .await
            .unwrap_or_default();
    }
    let opened = l.opened_at.is_some();
    let mode = Delivery::parse(&l.delivery_mode)
        .map(|m| m.label_zh())
        .unwrap_or(if l.delivery_mode == "online" {
            "网上信访"
        } else {
            ""
        });
    let mut receipt = vec![
        ("签收时间", show(&l.received_at)),
        ("来信方式", mode.to_string()),
        (
            "紧急程度",
            Urgency::parse(&l.urgency)
                .map(|x| x.label_zh().to_string())
                .unwrap_or_default(),
        ),
    ];
    if !l.tracking_no.is_empty() {
        receipt.push(("运单号", l.tracking_no.clone()));
    }
    if identity {
        receipt.push(("寄信人（信封）", l.sender.clone()));
        receipt.push(("寄信地址", l.sender_address.clone()));
    }
    if let Some(pm) = &l.postmark_on {
        receipt.push(("邮戳日期", pm.clone()));
    }
    if !l.return_reason.is_empty() {
        receipt.push(("退回原因", l.return_reason.clone()));
    }
    let opening = if opened {
        vec![
            (
                "消毒",
                format!(
                    "{} {}",
                    l.disinfected_by,
                    l.disinfected_at
                        .as_deref()
                        .map(|t| t.replace('T', " "))
                        .unwrap_or_default()
                ),
            ),
            (
                "分发拆阅",
                format!(
                    "{} {}",
                    l.distributed_to,
                    l.distributed_at
                        .as_deref()
                        .map(|t| t.replace('T', " "))
                        .unwrap_or_default()
                ),
            ),
            ("邮票", yes(l.stamps_kept)),
            ("邮戳", yes(l.postmark_kept)),
            ("邮编", yes(l.postcode_kept)),
            ("地址", yes(l.address_kept)),
            ("备注", l.opening_notes.clone()),
        ]
    } else {
        Vec::new()
    };
    let mut details = Vec::new();
    if p.stage != Stage::Received && p.stage != Stage::ReturnedUnopened {
        details.push(("主要问题", p.summary.clone()));
        details.push(("诉求", p.requests.clone()));
        if p.anonymous {
            details.push(("匿名信", "是".into()));
        }
        if l.joint {
            details.push((
                "联名信",
                format!(
                    "{} 人签名{}",
                    l.signatory_count,
                    if identity && !l.contact_name.is_empty() {
                        format!("，联系人 {}", l.contact_name)
                    } else {
                        String::new()
                    }
                ),
            ));
        }
        if let Some(src) = &p.source {
            details.push(("信访事项来源", src.label_zh().to_string()));
        }
        if let Some(t) = &township {
            details.push(("问题所在乡镇（街道）", t.clone()));
        }
        if !l.forwarded_by_organ.is_empty() {
            details.push((
                "上级机关转交",
                format!(
                    "{} {} {}{}",
                    l.forwarded_by_organ,
                    l.forwarded_doc_no,
                    l.forwarded_on.clone().unwrap_or_default(),
                    l.forwarded_deadline
                        .as_deref()
                        .map(|d| format!("，期限 {d}"))
                        .unwrap_or_default()
                ),
            ));
        }
        if !l.leader_name.is_empty() {
            details.push((
                "领导批示来信",
                format!(
                    "{}（{}）：{}",
                    l.leader_name,
                    l.leader_instructed_on.clone().unwrap_or_default(),
                    l.leader_instruction
                ),
            ));
        }
        if !l.form_proposal.is_empty() {
            details.push(("拟办意见", l.form_proposal.clone()));
        }
        if !l.instruction.is_empty() {
            details.push((
                "领导批示",
                format!(
                    "{}：{}",
                    p.acceptance.map(|a| a.label_zh()).unwrap_or(""),
                    l.instruction
                ),
            ));
        }
    }
    let petitioners = if identity {
        p.petitioners
            .iter()
            .map(|x| (x.name.clone(), mask_phone(&x.phone), x.address.clone()))
            .collect()
    } else {
        Vec::new()
    };
    let notice = match l.notice_method.as_deref() {
        None => String::new(),
        Some("not_required") => "无需告知（退回未拆）".into(),
        Some(m) => format!(
            "{}：{}（{}）",
            xinfang_domain::mailroom::NoticeMethod::parse(m)
                .map(|x| x.label_zh())
                .unwrap_or(""),
            l.notice_detail,
            l.notice_at.as_deref().map(show).unwrap_or_default()
        ),
    };
    let registered = !matches!(p.stage, Stage::Received | Stage::ReturnedUnopened);
    let notice_kind = p.acceptance.map(xinfang_domain::mailroom::notice_kind);
    let page = LetterPage {
        layout: layout(state, Some(u), flash),
        id: p.id.clone(),
        petition_no: p.petition_no.clone(),
        stage_label: p.stage.label_zh(),
        stage: p.stage.as_str(),
        errors,
        values,
        identity,
        immediate: l.open_immediately && !opened,
        receipt,
        opened,
        opening,
        details,
        petitioners,
        scans: v
            .scans
            .iter()
            .map(|s| ScanView {
                id: s.id.clone(),
                part: ScanPart::parse(&s.part).map(|x| x.label_zh()).unwrap_or(""),
                file_name: s.file_name.clone(),
                content_type: s.content_type.clone(),
                size: format!("{:.1} KB", s.size_bytes as f64 / 1024.0),
            })
            .collect(),
        enclosures: v
            .enclosures
            .iter()
            .map(|e| EnclosureView {
                id: e.id.clone(),
                kind: EnclosureKind::parse(&e.kind)
                    .map(|x| x.label_zh())
                    .unwrap_or(""),
                description: e.description.clone(),
                amount: e.amount_fen.map(format_fen).unwrap_or_default(),
                quantity: e.quantity,
                in_custody: e.state == "in_custody",
                handed: if e.state == "in_custody" {
                    "办信人员保管中".into()
                } else {
                    format!(
                        "已移交 {}（签字：{}）{}",
                        e.handed_to,
                        e.handed_signature,
                        e.handed_at.as_deref().map(show).unwrap_or_default()
                    )
                },
            })
            .collect(),
        documents: v
            .documents
            .iter()
            .map(|d| {
                let state = crate::http::pages::drafting_label(&d.state);
                DocView {
                    href: if state.is_empty() {
                        format!("/documents/{}.pdf", d.id)
                    } else {
                        format!("/drafting/{}", d.id)
                    },
                    title: xinfang_domain::document::DocumentKind::parse(&d.kind)
                        .map(|k| k.title_zh().to_string())
                        .unwrap_or_else(|| d.kind.clone()),
                    doc_no: d.doc_no.clone().unwrap_or_default(),
                    state,
                }
            })
            .collect(),
        notice_kind: notice_kind.map(|k| (k.as_str(), k.title_zh())),
        issued_notices: v
            .documents
            .iter()
            .filter(|d| d.state == "issued" && notice_kind.is_some_and(|k| k.as_str() == d.kind))
            .map(|d| (d.id.clone(), d.doc_no.clone().unwrap_or_default()))
            .collect(),
        similar: v
            .similar
            .iter()
            .map(|x| (x.id.clone(), x.petition_no.clone()))
            .collect(),
        events: events
            .iter()
            .map(|e| EventView {
                at: show(&e.at),
                actor: e.actor_name.clone().unwrap_or_default(),
                label: event_label(&e.kind),
            })
            .collect(),
        notice,
        notice_due: l.notice_due.clone(),
        can_open: clerk && p.stage == Stage::Received && !opened,
        can_scan: clerk && opened && p.stage.is_open(),
        can_enclose: clerk && opened,
        can_register: clerk && p.stage == Stage::Received && opened,
        can_submit_form: clerk && p.stage == Stage::Registered,
        can_instruct: matches!(role, Role::DeputyDirector | Role::Director)
            && p.stage == Stage::AwaitingInstruction,
        can_notify: clerk && registered && l.notice_method.is_none(),
        parts: ScanPart::ALL
            .iter()
            .map(|x| (x.as_str(), x.label_zh()))
            .collect(),
        enclosure_kinds: EnclosureKind::ALL
            .iter()
            .map(|x| (x.as_str(), x.label_zh()))
            .collect(),
        purposes: catalog::PURPOSES,
        classes: catalog::PETITION_CLASSES,
        reasons: reasons
            .iter()
            .filter(|r| r.active && r.acceptance != Acceptance::Accepted.as_str())
            .filter(|r| {
                r.acceptance == Acceptance::NotAccepted.as_str()
                    || r.acceptance == Acceptance::NoLongerAccepted.as_str()
            })
            .map(|r| (r.acceptance.clone(), r.code.clone(), r.reason.clone()))
            .collect(),
        summary: p.summary.clone(),
        default_region: state.bureau.region_code.clone(),
        townships: units
            .iter()
            .filter(|x| x.active && matches!(x.kind.as_str(), "township" | "street"))
            .map(|x| (x.id.clone(), x.name.clone()))
            .collect(),
    };
    page.into_response()
}

async fn letter(
    State(state): S,
    PageUser(u): PageUser,
    Path(id): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    letter_page(&state, &u, &id, HashMap::new(), Vec::new(), flash_of(&q)).await
}

/// Runs a step; on bad input the letter page comes back with the messages and the typed values.
async fn step(
    state: &AppState,
    u: &CurrentUser,
    id: &str,
    form: HashMap<String, String>,
    done: &str,
    result: Result<(), AppError>,
) -> Response {
    match result {
        Ok(()) => Redirect::to(&format!("/letters/{id}?done={done}")).into_response(),
        Err(AppError::Invalid(errors)) => {
            let errors = errors
                .iter()
                .map(|e| (input_id(&e.field), e.message.clone()))
                .collect();
            letter_page(state, u, id, form, errors, "").await
        }
        Err(e) => error_page(state, Some(u), e),
    }
}

async fn opening_submit(
    State(state): S,
    PageUser(u): PageUser,
    Path(id): Path<String>,
    Form(f): Form<Pairs>,
) -> Response {
    let form = form_map(f);
    let input = OpeningInput {
        disinfected_by: field(&form, "disinfected_by"),
        disinfected_at: field(&form, "disinfected_at"),
        distributed_to: field(&form, "distributed_to"),
        distributed_at: field(&form, "distributed_at"),
        stamps_kept: flag(&form, "stamps_kept"),
        postmark_kept: flag(&form, "postmark_kept"),
        postcode_kept: flag(&form, "postcode_kept"),
        address_kept: flag(&form, "address_kept"),
        notes: field(&form, "notes"),
    };
    let r = svc::record_opening(&state, &u, &id, &input).await;
    step(&state, &u, &id, form, "opened", r).await
}

async fn return_submit(
    State(state): S,
    PageUser(u): PageUser,
    Path(id): Path<String>,
    Form(f): Form<Pairs>,
) -> Response {
    let form = form_map(f);
    let r = svc::return_unopened(&state, &u, &id, &field(&form, "reason")).await;
    step(&state, &u, &id, form, "returned", r).await
}

async fn scan_submit(
    State(state): S,
    PageUser(u): PageUser,
    Path(id): Path<String>,
    req: Request,
) -> Response {
    let r = async {
        svc::check_scan_upload(&state, &u, &id).await?;
        let up = crate::http::api::read_upload(&state, &u, req, Default::default()).await?;
        svc::attach_scan(&state, &u, &id, &up.part, &up.file_name, &up.bytes).await?;
        Ok(())
    }
    .await;
    step(&state, &u, &id, HashMap::new(), "scan", r).await
}

async fn scan_view(State(state): S, PageUser(u): PageUser, Path(id): Path<String>) -> Response {
    match crate::http::api::scan_response(&state, &u, &id).await {
        Ok(r) => r,
        Err(e) => error_page(&state, Some(&u), e),
    }
}

async fn enclosure_submit(
    State(state): S,
    PageUser(u): PageUser,
    Path(id): Path<String>,
    Form(f): Form<Pairs>,
) -> Response {
    let form = form_map(f);
    let input = EnclosureInput {
        kind: field(&form, "kind"),
        description: field(&form, "description"),
        amount: field(&form, "amount"),
        quantity: form.get("quantity").and_then(|q| q.trim().parse().ok()),
    };
    let r = svc::register_enclosure(&state, &u, &id, &input)
        .await
        .map(|_| ());
    step(&state, &u, &id, form, "enclosure", r).await
}

async fn hand_over_submit(
    State(state): S,
    PageUser(u): PageUser,
    Path((id, eid)): Path<(String, String)>,
    Form(f): Form<Pairs>,
) -> Response {
    let form = form_map(f);
    let input = HandOverInput {
        handed_to: field(&form, "handed_to"),
        signature: field(&form, "signature"),
        note: field(&form, "note"),
    };
    let r = svc::hand_over_enclosure(&state, &u, &eid, &input)
        .await
        .map(|_| ());
    step(&state, &u, &id, form, "handed", r).await
}

async fn registration_submit(
    State(state): S,
    PageUser(u): PageUser,
    Path(id): Path<String>,
    Form(f): Form<Pairs>,
) -> Response {
    let form = form_map(f);
    let mut input = registration_from_form(&form);
    input.channel = "letter".into();
    let details = LetterDetailsInput {
        joint: flag(&form, "joint"),
        signatory_count: form
            .get("signatory_count")
            .and_then(|q| q.trim().parse().ok()),
        contact_name: field(&form, "contact_name"),
        forwarded_by_organ: field(&form, "forwarded_by_organ"),
        forwarded_doc_no: field(&form, "forwarded_doc_no"),
        forwarded_on: field(&form, "forwarded_on"),
        forwarded_deadline: field(&form, "forwarded_deadline"),
        leader_name: field(&form, "leader_name"),
        leader_instructed_on: field(&form, "leader_instructed_on"),
        leader_instruction: field(&form, "leader_instruction"),
    };
    let r = svc::register_letter(&state, &u, &id, &input, &details)
        .await
        .map(|_| ());
    step(&state, &u, &id, form, "registered", r).await
}

async fn form_submit(
    State(state): S,
    PageUser(u): PageUser,
    Path(id): Path<String>,
    Form(f): Form<Pairs>,
) -> Response {
    let form = form_map(f);
    let input = HandlingFormInput {
        summary: field(&form, "form_summary"),
        proposal: field(&form, "form_proposal"),
    };
    let r = svc::submit_handling_form(&state, &u, &id, &input)
        .await
        .map(|_| ());
    let r = r.map_err(|e| match e {
        AppError::Invalid(errs) => AppError::Invalid(
            errs.into_iter()
                .map(|mut x| {
                    x.field = x.field.map(|f| format!("form_{f}"));
                    x
                })
                .collect(),
        ),
        other => other,
    });
    step(&state, &u, &id, form, "form", r).await
}

async fn instruction_submit(
    State(state): S,
    PageUser(u): PageUser,
    Path(id): Path<String>,
    Form(f): Form<Pairs>,
) -> Response {
    let form = form_map(f);
    let acceptance = field(&form, "acceptance");
    let input = InstructionInput {
        reason: if acceptance == "accepted" {
            String::new()
        } else {
            field(&form, &format!("reason_{acceptance}"))
        },
        acceptance,
        instruction: field(&form, "instruction"),
    };
    let r = svc::record_instruction(&state, &u, &id, &input)
        .await
        .map(|_| ());
    step(&state, &u, &id, form, "instruction", r).await
}

async fn notice_submit(
    State(state): S,
    PageUser(u): PageUser,
    Path(id): Path<String>,
    Form(f): Form<Pairs>,
) -> Response {
    let form = form_map(f);
    let input = NoticeInput {
        method: field(&form, "method"),
        called_by: field(&form, "called_by"),
        called_at: field(&form, "called_at"),
        content: field(&form, "content"),
        reason: field(&form, "notice_reason"),
        document_id: field(&form, "document_id"),
    };
    let r = svc::record_notice(&state, &u, &id, &input)
        .await
        .map(|_| ());
    let r = r.map_err(|e| match e {
        AppError::Invalid(errs) => AppError::Invalid(
            errs.into_iter()
                .map(|mut x| {
                    if x.field.as_deref() == Some("reason") {
                        x.field = Some("notice_reason".into());
                    }
                    x
                })
                .collect(),
        ),
        other => other,
    });
    step(&state, &u, &id, form, "notice", r).await
}

pub fn router() -> Router<Arc<AppState>> {
    Router::new()
        .route("/letters", get(desk).post(receive_submit))
        .route("/letters/{id}", get(letter))
        .route("/letters/{id}/opening", post(opening_submit))
        .route("/letters/{id}/return", post(return_submit))
        .route("/letters/{id}/enclosures", post(enclosure_submit))
        .route(
            "/letters/{id}/enclosures/{eid}/hand-over",
            post(hand_over_submit),
        )
        .route("/letters/{id}/registration", post(registration_submit))
        .route("/letters/{id}/handling-form", post(form_submit))
        .route("/letters/{id}/instruction", post(instruction_submit))
        .route("/letters/{id}/notice", post(notice_submit))
        .route("/scans/{id}", get(scan_view))
}

/// The scan upload form, outside the global 1 MB body limit.
pub fn upload_router() -> Router<Arc<AppState>> {
    Router::new().route("/letters/{id}/scans", post(scan_submit))
}
