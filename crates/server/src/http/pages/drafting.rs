//! 文稿 pages: choose a kind for a petition, edit the draft in the browser (with font warnings
//! and a PDF preview), submit it, return it with comments or sign it off, issue it, correct it;
//! the inbox of documents in progress; bulletins drafted from a selection of petitions.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::{Form, Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use xinfang_domain::document::{DocumentKind, Source};
use xinfang_domain::drafting::{self, DraftCommand, DraftState, fields_of};
use xinfang_store::petitions::ListFilter;

use super::{Layout, error_page, layout};
use crate::http::auth::PageUser;
use crate::http::error::AppError;
use xinfang_app::clock::show;
use xinfang_app::context::AppState;
use xinfang_app::drafting::{Action, DraftRequest};

type S = State<Arc<AppState>>;

struct FieldView {
    key: String,
    label: String,
    value: String,
    multiline: bool,
    required: bool,
}

struct StepView {
    at: String,
    actor: String,
    label: String,
    comment: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "drafting/document.html")]
struct DocumentPage {
    layout: Layout,
    id: String,
    title: String,
    state_label: String,
    state: String,
    doc_no: String,
    petition_id: String,
    version: i64,
    fields: Vec<FieldView>,
    warnings: Vec<String>,
    steps: Vec<StepView>,
    errors: Vec<String>,
    can_edit: bool,
    can_submit: bool,
    can_review: bool,
    can_issue: bool,
    can_correct: bool,
    sign_off_label: String,
    supersedes: String,
    superseded_by: String,
    has_files: bool,
}

fn step_label(action: &str) -> &'static str {
    match action {
        "draft" => "起草",
        "edit" => "修改",
        "submit" => "送签",
        "return" => "退回修改",
        "sign_off" => "签发",
        "issue" => "印发",
        _ => "其他",
    }
}

async fn document_page_for(
    state: &AppState,
    u: &xinfang_app::auth::CurrentUser,
    id: &str,
    flash: &str,
    errors: Vec<String>,
) -> Result<DocumentPage, AppError> {
    let row = xinfang_app::drafting::open_document(state, u, id, "view_document").await?;
    let kind = DocumentKind::parse(&row.kind).ok_or_else(AppError::not_found)?;
    let st = DraftState::parse(&row.state).unwrap_or(DraftState::Issued);
    let role = u.role();
    let may = |cmd: DraftCommand<'_>| drafting::step(kind, st, cmd, role).is_ok();
    let stored: BTreeMap<String, String> = row
        .draft
        .get("fields")
        .cloned()
        .and_then(|f| serde_json::from_value(f).ok())
        .unwrap_or_default();
    let fields = fields_of(kind)
        .iter()
        .map(|f| FieldView {
            key: f.key.into(),
            label: f.label_zh.into(),
            value: stored.get(f.key).cloned().unwrap_or_default(),
            multiline: f.multiline,
            required: f.required,
        })
        .collect();
    let steps = xinfang_app::drafting::steps(state, &row.id)
        .await?
        .into_iter()
        .map(|s| StepView {
            at: show(&s.at),
            actor: s.actor_name,
            label: step_label(&s.action).into(),
            comment: s.comment,
        })
        .collect();
    Ok(DocumentPage {
        layout: layout(state, Some(u), flash),
        id: row.id.clone(),
        title: kind.title_zh().into(),
        state_label: st.label_zh().into(),
        state: st.as_str().into(),
        doc_no: row.doc_no.clone().unwrap_or_default(),
        petition_id: row.petition_id.clone().unwrap_or_default(),
        version: row.version,
        fields,
        warnings: row.font_warnings.clone(),
        steps,
        errors,
        can_edit: !row.draft.is_null() && may(DraftCommand::Edit),
        can_submit: !row.draft.is_null() && may(DraftCommand::Submit),
        can_review: !row.draft.is_null() && may(DraftCommand::SignOff),
        can_issue: !row.draft.is_null() && may(DraftCommand::Issue),
        can_correct: !row.draft.is_null()
            && row.superseded_by.is_none()
            && may(DraftCommand::Correct),
        sign_off_label: kind.spec().sign_off.label_zh().into(),
        supersedes: row.supersedes.clone().unwrap_or_default(),
        superseded_by: row.superseded_by.clone().unwrap_or_default(),
        has_files: row.pdf_hash.is_some(),
    })
}

fn flash_of(q: &HashMap<String, String>) -> &'static str {
    match q.get("done").map(String::as_str) {
        Some("drafted") => "已起草，可修改后送签。",
        Some("saved") => "文稿已保存。",
        Some("submitted") => "已送领导签发。",
        Some("returned") => "已退回经办人修改。",
        Some("signed") => "已签发并编号。",
        Some("issued") => "已印发。",
        _ => "",
    }
}

async fn document_page(
    State(state): S,
    PageUser(u): PageUser,
    Path(id): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    match document_page_for(&state, &u, &id, flash_of(&q), Vec::new()).await {
        Ok(p) => p.into_response(),
        Err(e) => error_page(&state, Some(&u), e),
    }
}

/// Shows the document page again with the errors of a failed action.
async fn with_errors(
    state: &AppState,
    u: &xinfang_app::auth::CurrentUser,
    id: &str,
    e: AppError,
) -> Response {
    match e {
        AppError::Invalid(_) | AppError::Conflict(_) => {
            let status = crate::http::error::status(&e);
            let messages = e.messages().into_iter().map(|m| m.1).collect();
            match document_page_for(state, u, id, "", messages).await {
                Ok(p) => (status, p).into_response(),
                Err(e) => error_page(state, Some(u), e),
            }
        }
        other => error_page(state, Some(u), other),
    }
}

async fn edit_submit(
    State(state): S,
    PageUser(u): PageUser,
    Path(id): Path<String>,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    let version = form
        .get("version")
        .and_then(|v| v.parse::<i64>().ok())
        .unwrap_or(-1);
    let fields: BTreeMap<String, String> = form
        .iter()
        .filter_map(|(k, v)| k.strip_prefix("f_").map(|k| (k.to_string(), v.clone())))
        .collect();
    let then_submit = form.get("then").map(String::as_str) == Some("submit");
    match xinfang_app::drafting::edit(&state, &u, &id, version, &fields).await {
        Ok(_) if then_submit => {
            match xinfang_app::drafting::act(&state, &u, &id, Action::Submit, "").await {
                Ok(_) => Redirect::to(&format!("/drafting/{id}?done=submitted")).into_response(),
                Err(e) => with_errors(&state, &u, &id, e).await,
            }
        }
        Ok(_) => Redirect::to(&format!("/drafting/{id}?done=saved")).into_response(),
        Err(e) => with_errors(&state, &u, &id, e).await,
    }
}

async fn action(
    state: &AppState,
    u: &xinfang_app::auth::CurrentUser,
    id: &str,
    a: Action,
    comment: &str,
    done: &str,
) -> Response {
    match xinfang_app::drafting::act(state, u, id, a, comment).await {
        Ok(_) => Redirect::to(&format!("/drafting/{id}?done={done}")).into_response(),
        Err(e) => with_errors(state, u, id, e).await,
    }
}

async fn submit(State(state): S, PageUser(u): PageUser, Path(id): Path<String>) -> Response {
    action(&state, &u, &id, Action::Submit, "", "submitted").await
}

async fn return_submit(
    State(state): S,
    PageUser(u): PageUser,
    Path(id): Path<String>,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    let comment = form.get("comment").cloned().unwrap_or_default();
    action(&state, &u, &id, Action::Return, &comment, "returned").await
}

async fn sign_off(State(state): S, PageUser(u): PageUser, Path(id): Path<String>) -> Response {
    action(&state, &u, &id, Action::SignOff, "", "signed").await
}

async fn issue(State(state): S, PageUser(u): PageUser, Path(id): Path<String>) -> Response {
    action(&state, &u, &id, Action::Issue, "", "issued").await
}

async fn correct(State(state): S, PageUser(u): PageUser, Path(id): Path<String>) -> Response {
    match xinfang_app::drafting::correct(&state, &u, &id).await {
        Ok(row) => Redirect::to(&format!("/drafting/{}?done=drafted", row.id)).into_response(),
        Err(e) => with_errors(&state, &u, &id, e).await,
    }
}

async fn file(
    State(state): S,
    PageUser(u): PageUser,
    Path((id, format)): Path<(String, String)>,
) -> Response {
    match crate::http::api::drafting::file_response(&state, &u, &id, &format).await {
        Ok(r) => r,
        Err(e) => error_page(&state, Some(&u), e),
    }
}

// ── New draft for a petition ────────────────────────────────────────────────────────────────

#[derive(Template, WebTemplate)]
#[template(path = "drafting/new.html")]
struct NewPage {
    layout: Layout,
    petition_id: String,
    petition_no: String,
    summary: String,
    kinds: Vec<(String, String, String)>,
    units: Vec<(String, String)>,
    errors: Vec<String>,
}

async fn new_page_for(
    state: &AppState,
    u: &xinfang_app::auth::CurrentUser,
    id: &str,
    errors: Vec<String>,
) -> Result<NewPage, AppError> {
    let p = xinfang_app::access::open_petition(state, u, id, "draft_document").await?;
    let kinds = DocumentKind::all()
        .filter(|k| k.needs_sign_off() && k.source() == Source::Petition && k.may_draft(u.role()))
        .map(|k| {
            (
                k.as_str().to_string(),
                k.title_zh().to_string(),
                k.spec().sign_off.label_zh().to_string(),
            )
        })
        .collect();
    let units = xinfang_app::admin::units(state)
        .await?
        .into_iter()
        .filter(|x| x.active)
        .map(|x| (x.id, x.name))
        .collect();
    Ok(NewPage {
        layout: layout(state, Some(u), ""),
        petition_id: p.id.clone(),
        petition_no: p.petition_no.clone(),
        summary: p.summary.clone(),
        kinds,
        units,
        errors,
    })
}

async fn new_page(
    State(state): S,
    PageUser(u): PageUser,
    Path(id): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    match new_page_for(&state, &u, &id, Vec::new()).await {
        Ok(mut p) => {
            // A step that calls for a kind (a 告知书 from the mailroom) offers it first.
            if let Some(k) = q.get("kind")
                && let Some(i) = p.kinds.iter().position(|(code, _, _)| code == k)
            {
                let chosen = p.kinds.remove(i);
                p.kinds.insert(0, chosen);
            }
            p.into_response()
        }
        Err(e) => error_page(&state, Some(&u), e),
    }
}

async fn new_submit(
    State(state): S,
    PageUser(u): PageUser,
    Path(id): Path<String>,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    let get = |k: &str| form.get(k).cloned().filter(|s| !s.trim().is_empty());
    let req = DraftRequest {
        kind: get("kind").unwrap_or_default(),
        unit_id: get("unit_id"),
        due_on: get("due_on"),
        ..Default::default()
    };
    match xinfang_app::drafting::draft(&state, &u, Some(&id), &req).await {
        Ok(row) => Redirect::to(&format!("/drafting/{}?done=drafted", row.id)).into_response(),
        Err(e @ AppError::Invalid(_)) => {
            let status = crate::http::error::status(&e);
            let messages = e.messages().into_iter().map(|m| m.1).collect();
            match new_page_for(&state, &u, &id, messages).await {
                Ok(p) => (status, p).into_response(),
                Err(e) => error_page(&state, Some(&u), e),
            }
        }
        Err(e) => error_page(&state, Some(&u), e),
    }
}

// ── Inbox and bulletins ─────────────────────────────────────────────────────────────────────

struct InboxRow {
    id: String,
    title: String,
    subject: String,
    state_label: String,
    doc_no: String,
    created_at: String,
    mine_to_sign: bool,
}

#[derive(Template, WebTemplate)]
#[template(path = "drafting/inbox.html")]
struct InboxPage {
    layout: Layout,
    rows: Vec<InboxRow>,
    bulletin_kinds: Vec<(String, String)>,
    petitions: Vec<(String, String, String)>,
    errors: Vec<String>,
}

async fn inbox_for(
    state: &AppState,
    u: &xinfang_app::auth::CurrentUser,
    errors: Vec<String>,
) -> Result<InboxPage, AppError> {
    let drafts = xinfang_app::drafting::open_drafts(state, u).await?;
    let mut rows = Vec::new();
    for d in drafts {
        let Some(kind) = DocumentKind::parse(&d.kind) else {
            continue;
        };
        let st = DraftState::parse(&d.state).unwrap_or(DraftState::Draft);
        rows.push(InboxRow {
            id: d.id.clone(),
            title: kind.title_zh().into(),
            subject: d
                .draft
                .pointer("/fields/subject")
                .and_then(|v| v.as_str())
                .unwrap_or("")
                .into(),
            state_label: st.label_zh().into(),
            doc_no: d.doc_no.clone().unwrap_or_default(),
            created_at: show(&d.created_at),
            mine_to_sign: st == DraftState::Submitted && kind.spec().sign_off.may_sign(u.role()),
        });
    }
    rows.sort_by_key(|r| !r.mine_to_sign);
    let bulletin_kinds = DocumentKind::all()
        .filter(|k| k.source() == Source::Selection && k.may_draft(u.role()))
        .map(|k| (k.as_str().to_string(), k.title_zh().to_string()))
        .collect::<Vec<_>>();
    let petitions = if bulletin_kinds.is_empty() {
        Vec::new()
    } else {
        // Only the newest rows are offered: no total needed.
        xinfang_app::intake::list_counted(
            state,
            u,
            &ListFilter {
                limit: 30,
                ..Default::default()
            },
            Some(0),
        )
        .await?
        .rows
        .into_iter()
        .map(|r| {
            (
                r.record.id.clone(),
                r.record.petition_no.clone(),
                r.record.summary.chars().take(40).collect(),
            )
        })
        .collect()
    };
    Ok(InboxPage {
        layout: layout(state, Some(u), ""),
        rows,
        bulletin_kinds,
        petitions,
        errors,
    })
}

async fn inbox(State(state): S, PageUser(u): PageUser) -> Response {
    match inbox_for(&state, &u, Vec::new()).await {
        Ok(p) => p.into_response(),
        Err(e) => error_page(&state, Some(&u), e),
    }
}

async fn bulletin_submit(
    State(state): S,
    PageUser(u): PageUser,
    Form(form): Form<Vec<(String, String)>>,
) -> Response {
    let kind = form
        .iter()
        .find(|(k, _)| k == "kind")
        .map(|(_, v)| v.clone())
        .unwrap_or_default();
    let petition_ids = form
        .iter()
        .filter(|(k, _)| k == "petition_id")
        .map(|(_, v)| v.clone())
        .collect();
    let field = |name: &str| {
        form.iter()
            .find(|(k, v)| k == name && !v.trim().is_empty())
            .map(|(_, v)| v.clone())
    };
    let period = field("period").map(|p| xinfang_app::statistics::PeriodInput {
        period: Some(p),
        year: field("year"),
        index: field("index"),
        ..Default::default()
    });
    let req = DraftRequest {
        kind,
        petition_ids,
        period,
        ..Default::default()
    };
    match xinfang_app::drafting::draft(&state, &u, None, &req).await {
        Ok(row) => Redirect::to(&format!("/drafting/{}?done=drafted", row.id)).into_response(),
        Err(e @ AppError::Invalid(_)) => {
            let status = crate::http::error::status(&e);
            let messages = e.messages().into_iter().map(|m| m.1).collect();
            match inbox_for(&state, &u, messages).await {
                Ok(p) => (status, p).into_response(),
                Err(e) => error_page(&state, Some(&u), e),
            }
        }
        Err(e) => error_page(&state, Some(&u), e),
    }
}

pub fn router() -> Router<Arc<AppState>> {
    Router::new()
        .route("/drafting", get(inbox).post(bulletin_submit))
        .route("/petitions/{id}/drafting", get(new_page).post(new_submit))
        .route("/drafting/{id}", get(document_page).post(edit_submit))
        .route("/drafting/{id}/submit", post(submit))
        .route("/drafting/{id}/return", post(return_submit))
        .route("/drafting/{id}/sign-off", post(sign_off))
        .route("/drafting/{id}/issue", post(issue))
        .route("/drafting/{id}/correct", post(correct))
        .route("/drafting/{id}/file/{format}", get(file))
}
