//! Pages for accounts: the one-time sign-in, one's own password, the security administrator's
//! grants and the audit administrator's review.

use std::collections::HashMap;

use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::{Form, Path, Query};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use xinfang_app::audit::AuditQuery;
use xinfang_domain::role::Role;

use super::{Layout, S, error_page, flash_of, layout};
use crate::http::auth::{self, ClientAddr, CurrentUser, PageUser};
use crate::http::error::AppError;
use std::sync::Arc;
use xinfang_app::context::AppState;

// ---------------------------------------------------------------------------------------------
// The one-time sign-in

/// A new password typed twice the same.
fn typed_twice(new: &str, again: &str) -> Result<(), AppError> {
    if new == again {
        return Ok(());
    }
    Err(AppError::field(
        "confirm_password",
        "mismatch",
        "两次输入的新密码不一致",
    ))
}

#[derive(Template, WebTemplate)]
#[template(path = "accounts/first_sign_in.html")]
struct FirstSignInPage {
    layout: Layout,
    errors: Vec<(Option<String>, String)>,
    code: String,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct FirstSignInForm {
    code: String,
    new_password: String,
    confirm_password: String,
}

async fn first_sign_in_page(
    axum::extract::State(state): S,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    FirstSignInPage {
        layout: layout(&state, None, ""),
        errors: Vec::new(),
        code: q.get("code").cloned().unwrap_or_default(),
    }
    .into_response()
}

async fn first_sign_in_submit(
    axum::extract::State(state): S,
    ClientAddr(client): ClientAddr,
    Form(f): Form<FirstSignInForm>,
) -> Response {
    let result = if let Err(e) = typed_twice(&f.new_password, &f.confirm_password) {
        Err(e)
    } else {
        xinfang_app::auth::sign_in_with_code(&state, &f.code, &f.new_password, &client).await
    };
    match result {
        Ok((token, _)) => {
            let cookie = auth::session_cookie(
                &token,
                state.config.secure_cookies,
                state.config.session_hours * 3600,
            );
            ([(header::SET_COOKIE, cookie)], Redirect::to("/")).into_response()
        }
        Err(e) => (
            crate::http::error::status(&e),
            FirstSignInPage {
                layout: layout(&state, None, ""),
                errors: e.messages(),
                code: f.code,
            },
        )
            .into_response(),
    }
}

// ---------------------------------------------------------------------------------------------
// One's own password

#[derive(Template, WebTemplate)]
#[template(path = "accounts/password.html")]
struct PasswordPage {
    layout: Layout,
    errors: Vec<(Option<String>, String)>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct PasswordForm {
    current_password: String,
    new_password: String,
    confirm_password: String,
}

async fn password_page(
    axum::extract::State(state): S,
    PageUser(u): PageUser,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    PasswordPage {
        layout: layout(&state, Some(&u), &flash_of(&q)),
        errors: Vec::new(),
    }
    .into_response()
}

async fn password_submit(
    axum::extract::State(state): S,
    PageUser(u): PageUser,
    Form(f): Form<PasswordForm>,
) -> Response {
    let result = if let Err(e) = typed_twice(&f.new_password, &f.confirm_password) {
        Err(e)
    } else {
        xinfang_app::auth::change_password(&state, &u, &f.current_password, &f.new_password).await
    };
    match result {
        Ok(()) => Redirect::to("/account/password?done=password").into_response(),
        Err(e) => (
            crate::http::error::status(&e),
            PasswordPage {
                layout: layout(&state, Some(&u), ""),
                errors: e.messages(),
            },
        )
            .into_response(),
    }
}

// ---------------------------------------------------------------------------------------------
// Grants (security administrator)

#[derive(Template, WebTemplate)]
#[template(path = "accounts/grants.html")]
struct GrantsPage {
    layout: Layout,
    grants: Vec<xinfang_app::admin::PendingGrant>,
    users: Vec<(String, String, String, &'static str)>,
    names: HashMap<String, String>,
    units: HashMap<String, String>,
    /// The one-time code just issued: (username, code), shown this once.
    issued: Option<(String, String)>,
}

async fn grants_page_for(
    state: &AppState,
    u: &CurrentUser,
    issued: Option<(String, String)>,
    flash: &str,
) -> Response {
    let r = async {
        let grants = xinfang_app::admin::pending_grants(state, u).await?;
        let users = xinfang_app::admin::users(state).await?;
        let units = xinfang_app::admin::units(state).await?;
        Ok::<_, AppError>((grants, users, units))
    }
    .await;
    let (grants, users, units) = match r {
        Ok(x) => x,
        Err(e) => return error_page(state, Some(u), e),
    };
    GrantsPage {
        layout: layout(state, Some(u), flash),
        grants,
        names: users
            .iter()
            .map(|x| (x.id.clone(), x.display_name.clone()))
            .collect(),
        users: users
            .iter()
            .filter(|x| x.active && x.role_confirmed && x.id != u.user.id)
            .map(|x| {
                (
                    x.id.clone(),
                    x.username.clone(),
                    x.display_name.clone(),
                    x.role.label_zh(),
                )
            })
            .collect(),
        units: units.into_iter().map(|x| (x.id, x.name)).collect(),
        issued,
    }
    .into_response()
}

async fn grants_page(
    axum::extract::State(state): S,
    PageUser(u): PageUser,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    grants_page_for(&state, &u, None, &flash_of(&q)).await
}

async fn grant_confirm(
    axum::extract::State(state): S,
    PageUser(u): PageUser,
    Path(id): Path<String>,
) -> Response {
    match xinfang_app::admin::confirm_grant(&state, &u, &id).await {
        Ok(out) => show_issued(&state, &u, out, "授权已确认").await,
        Err(e) => error_page(&state, Some(&u), e),
    }
}

/// The grants page with the code just issued, shown this once.
async fn show_issued(
    state: &AppState,
    u: &CurrentUser,
    out: xinfang_app::admin::GrantOutcome,
    flash: &str,
) -> Response {
    let name = xinfang_app::admin::users(state)
        .await
        .ok()
        .and_then(|us| us.into_iter().find(|x| x.id == out.user_id))
        .map(|x| x.username)
        .unwrap_or_default();
    let issued = out.sign_in_code.map(|c| (name, c));
    grants_page_for(state, u, issued, flash).await
}

async fn grant_reject(
    axum::extract::State(state): S,
    PageUser(u): PageUser,
    Path(id): Path<String>,
) -> Response {
    match xinfang_app::admin::reject_grant(&state, &u, &id).await {
        Ok(()) => Redirect::to("/admin/grants?done=saved").into_response(),
        Err(e) => error_page(&state, Some(&u), e),
    }
}

async fn sign_in_reset(
    axum::extract::State(state): S,
    PageUser(u): PageUser,
    Path(id): Path<String>,
) -> Response {
    match xinfang_app::admin::reset_sign_in(&state, &u, &id).await {
        Ok(out) => show_issued(&state, &u, out, "已签发一次性登录码").await,
        Err(e) => error_page(&state, Some(&u), e),
    }
}

// ---------------------------------------------------------------------------------------------
// The audit review (audit administrator)

struct AuditRow {
    at: String,
    who: String,
    role: &'static str,
    petition_no: String,
    action: String,
    client: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "accounts/audit.html")]
struct AuditPage {
    layout: Layout,
    errors: Vec<(Option<String>, String)>,
    q: AuditQuery,
    rows: Vec<AuditRow>,
    csv_url: String,
    verify: Option<(bool, String)>,
}

fn audit_query(q: &HashMap<String, String>) -> AuditQuery {
    let get = |k: &str| q.get(k).cloned().filter(|s| !s.is_empty());
    AuditQuery {
        user: get("user"),
        petition_no: get("petition_no"),
        from: get("from"),
        to: get("to"),
    }
}

async fn audit_page_for(
    state: &AppState,
    u: &CurrentUser,
    q: AuditQuery,
    verify: Option<(bool, String)>,
) -> Response {
    let (rows, errors) = match xinfang_app::audit::entries(state, u, &q).await {
        Ok(rows) => (rows, Vec::new()),
        Err(e @ AppError::Invalid(_)) => (Vec::new(), e.messages()),
        Err(e) => return error_page(state, Some(u), e),
    };
    let s = |o: &Option<String>| auth::urlencode(o.as_deref().unwrap_or(""));
    let csv_url = format!(
        "/api/v1/audit/entries?format=csv&user={}&petition_no={}&from={}&to={}",
        s(&q.user),
        s(&q.petition_no),
        s(&q.from),
        s(&q.to)
    );
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let page = AuditPage {
        layout: layout(state, Some(u), ""),
        errors,
        rows: rows
            .into_iter()
            .map(|r| AuditRow {
                at: xinfang_app::clock::show(&r.at),
                who: match (&r.user_name, &r.username) {
                    (Some(n), Some(u)) => format!("{n}（{u}）"),
                    _ => "—".into(),
                },
                role: r
                    .user_role
                    .as_deref()
                    .and_then(Role::parse)
                    .map(Role::label_zh)
                    .unwrap_or(""),
                petition_no: r.petition_no.unwrap_or_default(),
                action: xinfang_app::audit::action_label(&r.action).to_string(),
                client: r.client.unwrap_or_default(),
            })
            .collect(),
        q,
        csv_url,
        verify,
    };
    (status, page).into_response()
}

async fn audit_page(
    axum::extract::State(state): S,
    PageUser(u): PageUser,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    audit_page_for(&state, &u, audit_query(&q), None).await
}

async fn audit_verify(axum::extract::State(state): S, PageUser(u): PageUser) -> Response {
    match xinfang_app::audit::verify_chains(&state, &u).await {
        Ok(report) => {
            let ok = report.ok();
            let text = serde_json::to_string(&report).unwrap_or_default();
            audit_page_for(&state, &u, AuditQuery::default(), Some((ok, text))).await
        }
        Err(e) => error_page(&state, Some(&u), e),
    }
}

// ---------------------------------------------------------------------------------------------
// Delegation (leaders): acting approvers and handovers

#[derive(Template, WebTemplate)]
#[template(path = "accounts/delegation.html")]
struct DelegationPage {
    layout: Layout,
    errors: Vec<(Option<String>, String)>,
    /// Bureau staff by username, for the acting approver and the successor.
    staff: Vec<(String, String)>,
    /// Everyone a handover may concern, by id.
    users: Vec<(String, String)>,
    selected: String,
    /// (who, petition numbers, drafts, approvals, tasks)
    items: Option<(String, Vec<String>, usize, usize, usize)>,
}

async fn delegation_page_for(
    state: &AppState,
    u: &CurrentUser,
    selected: Option<String>,
    errors: Vec<(Option<String>, String)>,
    flash: &str,
) -> Response {
    if !u.role().is_leader() {
        return error_page(state, Some(u), AppError::forbidden());
    }
    let users = match xinfang_app::admin::users(state).await {
        Ok(x) => x,
        Err(e) => return error_page(state, Some(u), e),
    };
    let items = match &selected {
        Some(id) => match xinfang_app::handover::open_items(state, u, id).await {
            Ok(i) => Some((
                format!("{}（{}）", i.user.display_name, i.user.role.label_zh()),
                i.petitions.iter().map(|p| p.petition_no.clone()).collect(),
                i.drafts.len(),
                i.approvals.len(),
                i.tasks.len(),
            )),
            Err(e) => return error_page(state, Some(u), e),
        },
        None => None,
    };
    let label = |x: &xinfang_store::people::User| {
        format!(
            "{}（{}，{}）",
            x.display_name,
            x.role.label_zh(),
            x.username
        )
    };
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let page = DelegationPage {
        layout: layout(state, Some(u), flash),
        errors,
        staff: users
            .iter()
            .filter(|x| {
                x.active && x.role_confirmed && x.id != u.user.id && !x.role.is_administrator()
            })
            .map(|x| (x.username.clone(), label(x)))
            .collect(),
        users: users
            .iter()
            .filter(|x| !x.role.is_administrator())
            .map(|x| (x.id.clone(), label(x)))
            .collect(),
        selected: selected.unwrap_or_default(),
        items,
    };
    (status, page).into_response()
}

async fn delegation_page(
    axum::extract::State(state): S,
    PageUser(u): PageUser,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let selected = q.get("user").cloned().filter(|s| !s.is_empty());
    let flash = match q.get("done").map(String::as_str) {
        Some("acting") => "已指定代理审批人。",
        Some("handover") => "工作已移交。",
        _ => "",
    };
    delegation_page_for(&state, &u, selected, Vec::new(), flash).await
}

async fn acting_submit(
    axum::extract::State(state): S,
    PageUser(u): PageUser,
    Form(f): Form<xinfang_app::handling::acting::ActingInput>,
) -> Response {
    match xinfang_app::handling::acting::name_acting_approver(&state, &u, &f).await {
        Ok(_) => Redirect::to("/delegation?done=acting").into_response(),
        Err(e @ AppError::Invalid(_)) => {
            delegation_page_for(&state, &u, None, e.messages(), "").await
        }
        Err(e) => error_page(&state, Some(&u), e),
    }
}

async fn handover_submit(
    axum::extract::State(state): S,
    PageUser(u): PageUser,
    Path(id): Path<String>,
    Form(f): Form<xinfang_app::handover::HandoverInput>,
) -> Response {
    match xinfang_app::handover::hand_over(&state, &u, &id, &f).await {
        Ok(_) => Redirect::to(&format!("/delegation?user={id}&done=handover")).into_response(),
        Err(e @ AppError::Invalid(_)) => {
            delegation_page_for(&state, &u, Some(id), e.messages(), "").await
        }
        Err(e) => error_page(&state, Some(&u), e),
    }
}

pub fn router() -> Router<Arc<AppState>> {
    Router::new()
        .route(
            "/first-sign-in",
            get(first_sign_in_page).post(first_sign_in_submit),
        )
        .route(
            "/account/password",
            get(password_page).post(password_submit),
        )
        .route("/admin/grants", get(grants_page))
        .route("/admin/grants/{id}/confirm", post(grant_confirm))
        .route("/admin/grants/{id}/reject", post(grant_reject))
        .route("/admin/users/{id}/sign-in-code", post(sign_in_reset))
        .route("/audit", get(audit_page))
        .route("/audit/verify", post(audit_verify))
        .route("/delegation", get(delegation_page))
        .route("/delegation/acting", post(acting_submit))
        .route("/delegation/handover/{id}", post(handover_submit))
}
