//! Pages of deadlines and supervision: the work queues (due soon, overdue, 督办 inbox), a
//! supervision item, the office's daily digest, and the administrator's deadline rules.

use std::collections::HashMap;
use std::sync::Arc;

use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::{Form, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use xinfang_domain::deadline_rules::{ExpiryAction, RESPONSIBLE};
use xinfang_domain::role::Role;
use xinfang_domain::supervision::{ItemState, Method, TriggerKind};

use super::{Layout, S, error_page, layout};
use crate::http::auth::{CurrentUser, PageUser};
use crate::http::error::AppError;
use xinfang_app::clock::show;
use xinfang_app::context::AppState;
use xinfang_app::deadlines::QueueItem;

fn role_label(r: &str) -> &'static str {
    RESPONSIBLE
        .iter()
        .find(|(k, _)| *k == r)
        .map(|(_, l)| *l)
        .unwrap_or("")
}

fn trigger_label(t: &str) -> &'static str {
    TriggerKind::parse(t).map(|t| t.label_zh()).unwrap_or("")
}

fn state_label(s: &str) -> &'static str {
    ItemState::parse(s).map(|s| s.label_zh()).unwrap_or("")
}

pub struct ItemRow {
    pub id: String,
    pub petition_id: String,
    pub petition_no: String,
    pub unit_name: String,
    pub trigger: &'static str,
    pub state: &'static str,
    pub opened_at: String,
    pub action_count: i64,
    pub answer_due: String,
    pub answered: bool,
}

pub fn item_row(i: &xinfang_store::supervision::SupervisionItem) -> ItemRow {
    ItemRow {
        id: i.id.clone(),
        petition_id: i.petition_id.clone().unwrap_or_default(),
        petition_no: i.petition_no.clone().unwrap_or_default(),
        unit_name: i.unit_name.clone().unwrap_or_default(),
        trigger: trigger_label(&i.trigger_kind),
        state: state_label(&i.state),
        opened_at: show(&i.opened_at),
        action_count: i.action_count,
        answer_due: i.answer_due.clone().unwrap_or_default(),
        answered: i.answered_at.is_some(),
    }
}

// ---------------------------------------------------------------------------------------------
// Queues

#[derive(Template, WebTemplate)]
#[template(path = "deadlines/queues.html")]
struct QueuesPage {
    layout: Layout,
    kind: String,
    role: String,
    unit_id: String,
    unit_staff: bool,
    rows: Vec<QueueItem>,
    items: Vec<ItemRow>,
    roles: Vec<(&'static str, &'static str)>,
    units: Vec<(String, String)>,
}

impl QueuesPage {
    fn role_label_of(&self, r: &str) -> &'static str {
        role_label(r)
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct QueueQuery {
    kind: String,
    role: String,
    unit_id: String,
}

async fn queues(State(state): S, PageUser(u): PageUser, Query(q): Query<QueueQuery>) -> Response {
    let result = async {
        let kind = xinfang_app::deadlines::QueueKind::parse(q.kind.trim())
            .ok_or_else(|| AppError::field("kind", "unknown_queue", "未知的队列"))?;
        let role = Some(q.role.trim()).filter(|s| !s.is_empty());
        let unit = Some(q.unit_id.trim()).filter(|s| !s.is_empty());
        let rows = xinfang_app::deadlines::queue(&state, &u, kind, role, unit, 500).await?;
        let items = xinfang_app::supervision::inbox(&state, &u).await?;
        let units = if u.role().is_bureau_staff() {
            xinfang_app::admin::units(&state)
                .await?
                .into_iter()
                .map(|x| (x.id, x.name))
                .collect()
        } else {
            Vec::new()
        };
        Ok::<_, AppError>(QueuesPage {
            layout: layout(&state, Some(&u), ""),
            kind: if kind == xinfang_app::deadlines::QueueKind::Overdue {
                "overdue".into()
            } else {
                "due_soon".into()
            },
            role: q.role.clone(),
            unit_id: q.unit_id.clone(),
            unit_staff: u.role().is_unit_staff(),
            rows,
            items: items.iter().map(item_row).collect(),
            roles: RESPONSIBLE.to_vec(),
            units,
        })
    }
    .await;
    match result {
        Ok(p) => p.into_response(),
        Err(e) => error_page(&state, Some(&u), e),
    }
}

// ---------------------------------------------------------------------------------------------
// One item

#[derive(Template, WebTemplate)]
#[template(path = "supervision/item.html")]
struct ItemPage {
    layout: Layout,
    errors: Vec<String>,
    item: ItemRow,
    note: String,
    answer: String,
    answered_at: String,
    actions: Vec<ActionView>,
    can_supervise: bool,
    can_answer: bool,
    can_approve: bool,
    /// A proposed item (an unlawful opinion) the viewer may approve supervising.
    can_approve_proposed: bool,
    methods: Vec<(&'static str, &'static str)>,
}

struct ActionView {
    at: String,
    actor: String,
    kind: &'static str,
    method: &'static str,
    note: String,
    answer_due: String,
    /// The 督办函 of the action: (link, label). Unit staff see it once issued.
    document: Option<(String, String)>,
}

fn action_kind_label(k: &str) -> &'static str {
    match k {
        "supervise" => "督办",
        "answer" => "承办单位答复",
        "escalate" => "报局领导",
        "project" => "批准立项督办",
        "approve" => "批准督办",
        "resolve" => "办结",
        _ => "其他",
    }
}

async fn item_page(
    state: &AppState,
    u: &CurrentUser,
    id: &str,
    errors: Vec<String>,
    flash: &str,
) -> Response {
    let result = async {
        let (item, p, actions) = xinfang_app::supervision::item_for(state, u, id).await?;
        let st = ItemState::parse(&item.state).unwrap_or(ItemState::Open);
        let documents = xinfang_app::supervision::item_documents(state, u, &p).await?;
        let staff = u.role().is_bureau_staff();
        let document = |id: &str| {
            let d = documents.iter().find(|d| d.id == id)?;
            let no = d.doc_no.clone().unwrap_or_default();
            if staff {
                let st = xinfang_domain::drafting::DraftState::parse(&d.state)
                    .map(|s| format!("（{}）", s.label_zh()))
                    .unwrap_or_default();
                Some((format!("/drafting/{id}"), format!("督办函{no}{st}")))
            } else if d.state == "issued" {
                Some((format!("/documents/{id}.pdf"), format!("督办函{no}")))
            } else {
                None
            }
        };
        Ok::<_, AppError>(ItemPage {
            layout: layout(state, Some(u), flash),
            errors,
            note: item.note.clone(),
            answer: item.answer.clone().unwrap_or_default(),
            answered_at: item.answered_at.as_deref().map(show).unwrap_or_default(),
            can_supervise: st != ItemState::Proposed
                && xinfang_domain::supervision::may_supervise(u.role(), p.channel, st),
            can_answer: u.role().is_unit_staff() && st != ItemState::Resolved,
            can_approve: u.role().is_leader() && st == ItemState::Escalated,
            can_approve_proposed: st == ItemState::Proposed
                && xinfang_domain::supervision::may_approve_proposed(u.role()),
            methods: Method::ALL
                .iter()
                .map(|m| (m.as_str(), m.label_zh()))
                .collect(),
            actions: actions
                .iter()
                .map(|a| ActionView {
                    at: show(&a.at),
                    actor: a.actor_name.clone().unwrap_or_default(),
                    kind: action_kind_label(&a.kind),
                    method: a
                        .method
                        .as_deref()
                        .and_then(Method::parse)
                        .map(|m| m.label_zh())
                        .unwrap_or(""),
                    note: a.note.clone(),
                    answer_due: a.answer_due.clone().unwrap_or_default(),
                    document: a.document_id.as_deref().and_then(document),
                })
                .collect(),
            item: item_row(&item),
        })
    }
    .await;
    match result {
        Ok(p) => {
            let status = if p.errors.is_empty() {
                StatusCode::OK
            } else {
                StatusCode::UNPROCESSABLE_ENTITY
            };
            (status, p).into_response()
        }
        Err(e) => error_page(state, Some(u), e),
    }
}

async fn item(
    State(state): S,
    PageUser(u): PageUser,
    Path(id): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let flash = match q.get("done").map(String::as_str) {
        Some("action") => "督办记录已保存。发函督办的督办函已起草，请核改后送分管领导签发。",
        Some("answer") => "答复已提交。",
        Some("project") => "已批准立项督办。",
        Some("approved") => "已批准督办，可以开始督办。",
        Some("resolved") => "督办事项已办结。",
        Some("opened") => "督办事项已启动。",
        _ => "",
    };
    item_page(&state, &u, &id, Vec::new(), flash).await
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct ActionForm {
    method: String,
    note: String,
    issue_letter: Option<String>,
}

async fn after(
    state: &AppState,
    u: &CurrentUser,
    id: &str,
    r: Result<(), AppError>,
    done: &str,
) -> Response {
    match r {
        Ok(()) => Redirect::to(&format!("/supervision/{id}?done={done}")).into_response(),
        Err(e @ AppError::Invalid(_)) => {
            item_page(
                state,
                u,
                id,
                e.messages().into_iter().map(|m| m.1).collect(),
                "",
            )
            .await
        }
        Err(e) => error_page(state, Some(u), e),
    }
}

async fn action_submit(
    State(state): S,
    PageUser(u): PageUser,
    Path(id): Path<String>,
    Form(f): Form<ActionForm>,
) -> Response {
    let input = xinfang_app::supervision::ActionInput {
        method: f.method,
        note: f.note,
        issue_letter: f.issue_letter.is_some(),
    };
    let r = xinfang_app::supervision::record_action(&state, &u, &id, &input)
        .await
        .map(|_| ());
    after(&state, &u, &id, r, "action").await
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct NoteForm {
    note: String,
}

async fn answer_submit(
    State(state): S,
    PageUser(u): PageUser,
    Path(id): Path<String>,
    Form(f): Form<NoteForm>,
) -> Response {
    let r = xinfang_app::supervision::answer(
        &state,
        &u,
        &id,
        &xinfang_app::supervision::NoteInput { note: f.note },
    )
    .await
    .map(|_| ());
    after(&state, &u, &id, r, "answer").await
}

async fn project_submit(
    State(state): S,
    PageUser(u): PageUser,
    Path(id): Path<String>,
    Form(f): Form<NoteForm>,
) -> Response {
    let r = xinfang_app::supervision::approve_project(
        &state,
        &u,
        &id,
        &xinfang_app::supervision::NoteInput { note: f.note },
    )
    .await
    .map(|_| ());
    after(&state, &u, &id, r, "project").await
}

async fn approve_submit(
    State(state): S,
    PageUser(u): PageUser,
    Path(id): Path<String>,
    Form(f): Form<NoteForm>,
) -> Response {
    let r = xinfang_app::supervision::approve_proposed(
        &state,
        &u,
        &id,
        &xinfang_app::supervision::NoteInput { note: f.note },
    )
    .await
    .map(|_| ());
    after(&state, &u, &id, r, "approved").await
}

async fn resolve_submit(
    State(state): S,
    PageUser(u): PageUser,
    Path(id): Path<String>,
    Form(f): Form<NoteForm>,
) -> Response {
    let r = xinfang_app::supervision::resolve(
        &state,
        &u,
        &id,
        &xinfang_app::supervision::NoteInput { note: f.note },
    )
    .await
    .map(|_| ());
    after(&state, &u, &id, r, "resolved").await
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct OpenForm {
    trigger: String,
    note: String,
}

async fn open_submit(
    State(state): S,
    PageUser(u): PageUser,
    Path(id): Path<String>,
    Form(f): Form<OpenForm>,
) -> Response {
    let input = xinfang_app::supervision::OpenItemInput {
        trigger: f.trigger,
        note: f.note,
        handling_record_id: None,
    };
    match xinfang_app::supervision::open_item(&state, &u, &id, &input).await {
        Ok(item) => Redirect::to(&format!("/supervision/{}?done=opened", item.id)).into_response(),
        Err(e) => error_page(&state, Some(&u), e),
    }
}

// ---------------------------------------------------------------------------------------------
// Daily digest

#[derive(Template, WebTemplate)]
#[template(path = "supervision/digest.html")]
struct DigestPage {
    layout: Layout,
    d: xinfang_app::supervision::Digest,
    overdue: Vec<QueueItem>,
    /// The bureau's routines, for those who see them.
    routines: Vec<xinfang_app::deadlines::routines::Routine>,
    /// The backups, for those who see them.
    backups: Option<xinfang_app::backup::Status>,
}

async fn digest(State(state): S, PageUser(u): PageUser) -> Response {
    let result = async {
        let d = xinfang_app::supervision::digest(&state, &u).await?;
        let overdue = xinfang_app::deadlines::queue(
            &state,
            &u,
            xinfang_app::deadlines::QueueKind::Overdue,
            None,
            None,
            100,
        )
        .await?;
        let routines = if xinfang_app::deadlines::routines::may_view(&u) {
            xinfang_app::deadlines::routines::list(&state, &u).await?
        } else {
            Vec::new()
        };
        let backups = if xinfang_app::backup::may_view(&u) {
            Some(xinfang_app::backup::status(&state, &u).await?)
        } else {
            None
        };
        Ok::<_, AppError>(DigestPage {
            layout: layout(&state, Some(&u), ""),
            d,
            overdue,
            routines,
            backups,
        })
    }
    .await;
    match result {
        Ok(p) => p.into_response(),
        Err(e) => error_page(&state, Some(&u), e),
    }
}

// ---------------------------------------------------------------------------------------------
// Backups (the administration page)

#[derive(Template, WebTemplate)]
#[template(path = "admin/backups.html")]
struct BackupsPage {
    layout: Layout,
    s: xinfang_app::backup::Status,
}

async fn backups_page(State(state): S, PageUser(u): PageUser) -> Response {
    match xinfang_app::backup::status(&state, &u).await {
        Ok(s) => BackupsPage {
            layout: layout(&state, Some(&u), ""),
            s,
        }
        .into_response(),
        Err(e) => error_page(&state, Some(&u), e),
    }
}

async fn routine_submit(
    State(state): S,
    PageUser(u): PageUser,
    Path(id): Path<String>,
    Form(f): Form<NoteForm>,
) -> Response {
    match xinfang_app::deadlines::routines::complete(&state, &u, &id, &f.note).await {
        Ok(()) => Redirect::to("/digest#routines").into_response(),
        Err(e) => error_page(&state, Some(&u), e),
    }
}

// ---------------------------------------------------------------------------------------------
// Administration: rules and settings

pub struct RuleView {
    code: String,
    version: i64,
    name: String,
    starts: String,
    days: u32,
    mode: &'static str,
    on_expiry: &'static str,
    trigger: String,
    responsible: String,
    pausable: bool,
    basis: String,
    per_petition: bool,
}

#[derive(Template, WebTemplate)]
#[template(path = "deadlines/rules.html")]
struct RulesPage {
    layout: Layout,
    errors: Vec<String>,
    rules: Vec<RuleView>,
    settings: xinfang_store::deadlines::DeadlineSettings,
    expiries: Vec<(&'static str, &'static str)>,
    triggers: Vec<(&'static str, &'static str)>,
    responsibles: Vec<(&'static str, &'static str)>,
}

async fn rules_page_for(
    state: &AppState,
    u: &CurrentUser,
    errors: Vec<String>,
    flash: &str,
) -> Response {
    if u.role() != Role::Admin {
        return error_page(state, Some(u), AppError::forbidden());
    }
    let result = async {
        let rules = xinfang_app::deadlines::rules(state).await?;
        let settings = xinfang_app::deadlines::settings(state).await?;
        Ok::<_, AppError>(RulesPage {
            layout: layout(state, Some(u), flash),
            errors,
            rules: rules
                .into_iter()
                .map(|r| RuleView {
                    mode: match r.mode {
                        xinfang_domain::deadline::CountingMode::Calendar => "calendar",
                        xinfang_domain::deadline::CountingMode::Working => "working",
                    },
                    on_expiry: r.on_expiry.as_str(),
                    trigger: r
                        .trigger
                        .map(|t| t.as_str().to_string())
                        .unwrap_or_default(),
                    code: r.code,
                    version: r.version,
                    name: r.name,
                    starts: r.starts,
                    days: r.days,
                    responsible: r.responsible,
                    pausable: r.pausable,
                    basis: r.basis,
                    per_petition: r.per_petition,
                })
                .collect(),
            settings,
            expiries: ExpiryAction::ALL
                .iter()
                .map(|e| (e.as_str(), e.label_zh()))
                .collect(),
            triggers: TriggerKind::ALL
                .iter()
                .filter(|t| t.automatic())
                .map(|t| (t.as_str(), t.label_zh()))
                .collect(),
            responsibles: RESPONSIBLE.to_vec(),
        })
    }
    .await;
    match result {
        Ok(p) => {
            let status = if p.errors.is_empty() {
                StatusCode::OK
            } else {
                StatusCode::UNPROCESSABLE_ENTITY
            };
            (status, p).into_response()
        }
        Err(e) => error_page(state, Some(u), e),
    }
}

async fn rules_page(
    State(state): S,
    PageUser(u): PageUser,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let flash = if q.contains_key("done") {
        "已保存。"
    } else {
        ""
    };
    rules_page_for(&state, &u, Vec::new(), flash).await
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct RuleForm {
    name: String,
    starts: String,
    days: String,
    mode: String,
    on_expiry: String,
    trigger: String,
    responsible: String,
    pausable: Option<String>,
    basis: String,
}

async fn rule_submit(
    State(state): S,
    PageUser(u): PageUser,
    Path(code): Path<String>,
    Form(f): Form<RuleForm>,
) -> Response {
    let days = match f.days.trim().parse::<i64>() {
        Ok(d) => Some(d),
        Err(_) => {
            return rules_page_for(
                &state,
                &u,
                vec![format!("期限天数「{}」应为整数", f.days.trim())],
                "",
            )
            .await;
        }
    };
    let input = xinfang_app::deadlines::RuleInput {
        name: f.name,
        starts: f.starts,
        days,
        mode: f.mode,
        on_expiry: f.on_expiry,
        trigger: Some(f.trigger),
        responsible: f.responsible,
        pausable: Some(f.pausable.is_some()),
        // The page does not offer the flag: an edit keeps it as it is.
        extendable: None,
        basis: f.basis,
    };
    match xinfang_app::deadlines::save_rule(&state, &u, &code, &input).await {
        Ok(_) => Redirect::to("/admin/deadline-rules?done=1").into_response(),
        Err(e @ AppError::Invalid(_)) => {
            let msgs = e.messages().into_iter().map(|m| m.1).collect();
            rules_page_for(&state, &u, msgs, "").await
        }
        Err(e) => error_page(&state, Some(&u), e),
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct SettingsForm {
    warning_pct: String,
    alert_pct: String,
    severe_pct: String,
    escalate_after: String,
    due_soon_days: String,
}

async fn settings_submit(
    State(state): S,
    PageUser(u): PageUser,
    Form(f): Form<SettingsForm>,
) -> Response {
    let mut errors = Vec::new();
    let mut num = |label: &str, s: &str| match s.trim().parse::<i64>() {
        Ok(n) => Some(n),
        Err(_) => {
            errors.push(format!("{label}「{}」应为整数", s.trim()));
            None
        }
    };
    let input = xinfang_app::deadlines::SettingsInput {
        warning_pct: num("预警比例", &f.warning_pct),
        alert_pct: num("警示比例", &f.alert_pct),
        severe_pct: num("严重比例", &f.severe_pct),
        escalate_after: num("报局领导前的督办次数", &f.escalate_after),
        due_soon_days: num("即将到期天数", &f.due_soon_days),
    };
    if !errors.is_empty() {
        return rules_page_for(&state, &u, errors, "").await;
    }
    match xinfang_app::deadlines::save_settings(&state, &u, &input).await {
        Ok(_) => Redirect::to("/admin/deadline-rules?done=1").into_response(),
        Err(e @ AppError::Invalid(_)) => {
            let msgs = e.messages().into_iter().map(|m| m.1).collect();
            rules_page_for(&state, &u, msgs, "").await
        }
        Err(e) => error_page(&state, Some(&u), e),
    }
}

pub fn router() -> Router<Arc<AppState>> {
    Router::new()
        .route("/queues", get(queues))
        .route("/digest", get(digest))
        .route("/routines/{id}/completion", post(routine_submit))
        .route("/supervision/{id}", get(item))
        .route("/supervision/{id}/actions", post(action_submit))
        .route("/supervision/{id}/answer", post(answer_submit))
        .route("/supervision/{id}/project", post(project_submit))
        .route("/supervision/{id}/approval", post(approve_submit))
        .route("/supervision/{id}/resolve", post(resolve_submit))
        .route("/petitions/{id}/supervision", post(open_submit))
        .route("/admin/backups", get(backups_page))
        .route("/admin/deadline-rules", get(rules_page))
        .route("/admin/deadline-rules/{code}", post(rule_submit))
        .route("/admin/deadline-settings", post(settings_submit))
}
