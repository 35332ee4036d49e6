//! Accounts: one's own password, the one-time sign-in, the security administrator's grants, the
//! audit administrator's review, and acting approvers.

use std::sync::Arc;

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use utoipa::{OpenApi, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use xinfang_app::admin::{GrantOutcome, PendingGrant};
use xinfang_app::audit::AuditQuery;
use xinfang_app::context::AppState;
use xinfang_app::handling::acting::ActingInput;
use xinfang_app::handover::{HandoverInput, HandoverOutcome};

use super::{ApiJson, ApiQuery, LoginResponse};
use crate::http::auth::{ApiUser, ClientAddr};
use crate::http::error::{ApiResult, ErrorBody};

type S = State<Arc<AppState>>;

#[derive(Deserialize, Serialize, ToSchema, Default)]
#[serde(default)]
pub struct PasswordChange {
    pub current_password: String,
    pub new_password: String,
}

/// Change one's own password (at least 10 characters, three classes, not the username, none of
/// the last five); every other session of the account ends.
#[utoipa::path(post, path = "/api/v1/password", operation_id = "changePassword", tag = "session",
    request_body = PasswordChange,
    responses((status = 204), (status = 422, body = ErrorBody), (status = 401, body = ErrorBody)))]
pub async fn change_password(
    State(state): S,
    ApiUser(u): ApiUser,
    ApiJson(req): ApiJson<PasswordChange>,
) -> ApiResult<StatusCode> {
    xinfang_app::auth::change_password(&state, &u, &req.current_password, &req.new_password)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, Serialize, ToSchema, Default)]
#[serde(default)]
pub struct CodeSignIn {
    /// The one-time code the security administrator handed over.
    pub code: String,
    /// The account's own new password.
    pub new_password: String,
}

/// Sign in with a one-time code, setting the account's own password; returns a session.
#[utoipa::path(post, path = "/api/v1/sign-in-code", operation_id = "signInWithCode", tag = "session",
    request_body = CodeSignIn,
    responses((status = 200, body = LoginResponse), (status = 422, body = ErrorBody)))]
pub async fn sign_in_with_code(
    State(state): S,
    ClientAddr(client): ClientAddr,
    ApiJson(req): ApiJson<CodeSignIn>,
) -> ApiResult<Response> {
    let (token, user) =
        xinfang_app::auth::sign_in_with_code(&state, &req.code, &req.new_password, &client).await?;
    Ok(super::session_response(&state, token, &user))
}

/// Grants waiting for the security administrator.
#[utoipa::path(get, path = "/api/v1/grants", operation_id = "listPendingGrants", tag = "admin",
    responses((status = 200, body = [PendingGrant]), (status = 403, body = ErrorBody)))]
pub async fn pending_grants(
    State(state): S,
    ApiUser(u): ApiUser,
) -> ApiResult<Json<Vec<PendingGrant>>> {
    Ok(Json(xinfang_app::admin::pending_grants(&state, &u).await?))
}

/// Confirm a grant (security administrator); a new account's one-time sign-in code is returned
/// this once.
#[utoipa::path(post, path = "/api/v1/grants/{id}/confirm", operation_id = "confirmGrant", tag = "admin",
    params(("id" = String, Path, description = "User id")),
    responses((status = 200, body = GrantOutcome), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn confirm_grant(
    State(state): S,
    ApiUser(u): ApiUser,
    Path(id): Path<String>,
) -> ApiResult<Json<GrantOutcome>> {
    Ok(Json(
        xinfang_app::admin::confirm_grant(&state, &u, &id).await?,
    ))
}

/// Refuse a grant (security administrator): a new account refused its first grant stays closed.
#[utoipa::path(post, path = "/api/v1/grants/{id}/reject", operation_id = "rejectGrant", tag = "admin",
    params(("id" = String, Path, description = "User id")),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn reject_grant(
    State(state): S,
    ApiUser(u): ApiUser,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    xinfang_app::admin::reject_grant(&state, &u, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A new one-time sign-in code for an account that forgot its password (security administrator).
#[utoipa::path(post, path = "/api/v1/users/{id}/sign-in-code", operation_id = "issueSignInCode", tag = "admin",
    params(("id" = String, Path, description = "User id")),
    responses((status = 200, body = GrantOutcome), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn reset_sign_in(
    State(state): S,
    ApiUser(u): ApiUser,
    Path(id): Path<String>,
) -> ApiResult<Json<GrantOutcome>> {
    Ok(Json(
        xinfang_app::admin::reset_sign_in(&state, &u, &id).await?,
    ))
}

#[derive(Deserialize, utoipa::IntoParams, Default)]
#[serde(default)]
pub struct AuditParams {
    pub user: Option<String>,
    pub petition_no: Option<String>,
    pub from: Option<String>,
    pub to: Option<String>,
    /// `csv` for a spreadsheet; JSON otherwise.
    pub format: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct AuditEntryJson {
    pub at: String,
    pub username: Option<String>,
    pub user_name: Option<String>,
    pub user_role: Option<String>,
    pub petition_no: Option<String>,
    pub action: String,
    pub action_label: String,
    pub client: Option<String>,
}

/// Who opened, printed or exported what, and who signed in (audit administrator): metadata only.
#[utoipa::path(get, path = "/api/v1/audit/entries", operation_id = "listAuditEntries", tag = "admin",
    params(AuditParams),
    responses((status = 200, body = [AuditEntryJson]), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn audit_entries(
    State(state): S,
    ApiUser(u): ApiUser,
    ApiQuery(q): ApiQuery<AuditParams>,
) -> ApiResult<Response> {
    let query = AuditQuery {
        user: q.user,
        petition_no: q.petition_no,
        from: q.from,
        to: q.to,
    };
    let rows = xinfang_app::audit::entries(&state, &u, &query).await?;
    if q.format.as_deref() == Some("csv") {
        return Ok((
            [
                (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
                (
                    header::CONTENT_DISPOSITION,
                    "attachment; filename=\"audit.csv\"",
                ),
            ],
            xinfang_app::audit::csv(&rows),
        )
            .into_response());
    }
    Ok(Json(
        rows.into_iter()
            .map(|r| AuditEntryJson {
                action_label: xinfang_app::audit::action_label(&r.action).to_string(),
                at: r.at,
                username: r.username,
                user_name: r.user_name,
                user_role: r.user_role,
                petition_no: r.petition_no,
                action: r.action,
                client: r.client,
            })
            .collect::<Vec<_>>(),
    )
    .into_response())
}

#[derive(Serialize, ToSchema)]
pub struct VerifyJson {
    pub ok: bool,
    pub report: serde_json::Value,
}

/// Recompute every event chain and checkpoint (audit administrator).
#[utoipa::path(post, path = "/api/v1/audit/verify", operation_id = "verifyChains", tag = "admin",
    responses((status = 200, body = VerifyJson), (status = 403, body = ErrorBody)))]
pub async fn verify_chains(State(state): S, ApiUser(u): ApiUser) -> ApiResult<Json<VerifyJson>> {
    let report = xinfang_app::audit::verify_chains(&state, &u).await?;
    Ok(Json(VerifyJson {
        ok: report.ok(),
        report: serde_json::to_value(&report).unwrap_or_default(),
    }))
}

#[derive(Serialize, ToSchema)]
pub struct ActingJson {
    pub id: String,
    pub acting_id: String,
    pub starts_on: String,
    pub ends_on: String,
    pub reason: String,
}

/// A leader names who approves in its place for a period; every approval that one makes says so.
#[utoipa::path(post, path = "/api/v1/acting-approvers", operation_id = "nameActingApprover", tag = "handling",
    request_body = ActingInput,
    responses((status = 201, body = ActingJson), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn name_acting_approver(
    State(state): S,
    ApiUser(u): ApiUser,
    ApiJson(req): ApiJson<ActingInput>,
) -> ApiResult<Response> {
    let a = xinfang_app::handling::acting::name_acting_approver(&state, &u, &req).await?;
    Ok((
        StatusCode::CREATED,
        Json(ActingJson {
            id: a.id,
            acting_id: a.acting_id,
            starts_on: a.starts_on,
            ends_on: a.ends_on,
            reason: a.reason,
        }),
    )
        .into_response())
}

#[derive(Serialize, ToSchema)]
pub struct OpenItemJson {
    pub id: String,
    pub petition_no: String,
    pub state: String,
}

#[derive(Serialize, ToSchema)]
pub struct OpenItemsJson {
    pub user_id: String,
    pub username: String,
    pub petitions: Vec<OpenItemJson>,
    /// Unfinished documents: id, kind, state.
    pub drafts: Vec<serde_json::Value>,
    pub approvals: Vec<super::handling::ApprovalJson>,
    pub tasks: Vec<serde_json::Value>,
}

/// A staff member's open items, for a leader arranging a handover.
#[utoipa::path(get, path = "/api/v1/users/{id}/open-items", operation_id = "listOpenItems", tag = "admin",
    params(("id" = String, Path, description = "User id")),
    responses((status = 200, body = OpenItemsJson), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn open_items(
    State(state): S,
    ApiUser(u): ApiUser,
    Path(id): Path<String>,
) -> ApiResult<Json<OpenItemsJson>> {
    let items = xinfang_app::handover::open_items(&state, &u, &id).await?;
    Ok(Json(OpenItemsJson {
        user_id: items.user.id.clone(),
        username: items.user.username.clone(),
        petitions: items
            .petitions
            .iter()
            .map(|p| OpenItemJson {
                id: p.id.clone(),
                petition_no: p.petition_no.clone(),
                state: p.stage.as_str().into(),
            })
            .collect(),
        drafts: items
            .drafts
            .iter()
            .map(|d| serde_json::json!({"id": d.id, "kind": d.kind, "state": d.state, "petition_id": d.petition_id}))
            .collect(),
        approvals: items.approvals.iter().map(super::handling::approval_json).collect(),
        tasks: items
            .tasks
            .iter()
            .map(|t| serde_json::json!({"id": t.id, "kind": t.kind, "title": t.title, "petition_no": t.petition_no}))
            .collect(),
    }))
}

/// Hand a staff member's open items to a successor in one step (a leader), recorded.
#[utoipa::path(post, path = "/api/v1/users/{id}/handover", operation_id = "handOver", tag = "admin",
    params(("id" = String, Path, description = "User id")),
    request_body = HandoverInput,
    responses((status = 200, body = HandoverOutcome), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn hand_over(
    State(state): S,
    ApiUser(u): ApiUser,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<HandoverInput>,
) -> ApiResult<Json<HandoverOutcome>> {
    Ok(Json(
        xinfang_app::handover::hand_over(&state, &u, &id, &req).await?,
    ))
}

#[derive(OpenApi)]
#[openapi(components(schemas(ErrorBody)))]
pub struct AccountsApi;

pub fn routes() -> OpenApiRouter<Arc<AppState>> {
    OpenApiRouter::new()
        .routes(routes!(change_password))
        .routes(routes!(sign_in_with_code))
        .routes(routes!(pending_grants))
        .routes(routes!(confirm_grant))
        .routes(routes!(reject_grant))
        .routes(routes!(reset_sign_in))
        .routes(routes!(audit_entries))
        .routes(routes!(verify_chains))
        .routes(routes!(name_acting_approver))
        .routes(routes!(open_items))
        .routes(routes!(hand_over))
}
