//! 文稿 API: draft, edit, submit, return, sign off, issue, correct, download (PDF or DOCX).

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::Json;
use axum::extract::{Path, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use utoipa::{OpenApi, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use xinfang_domain::document::DocumentKind;
use xinfang_domain::drafting::{DraftState, fields_of};
use xinfang_store::drafts::DraftRow;

use super::ApiJson;
use crate::http::auth::{self, ApiUser};
use crate::http::error::{ApiResult, AppResult, ErrorBody};
use xinfang_app::context::AppState;
use xinfang_app::drafting::{self, Action, DraftRequest};

type S = State<Arc<AppState>>;

#[derive(Serialize, ToSchema)]
pub struct StepJson {
    pub action: String,
    pub from_state: String,
    pub to_state: String,
    pub comment: String,
    pub actor: String,
    pub actor_role: String,
    pub at: String,
}

#[derive(Serialize, ToSchema)]
pub struct FieldSpecJson {
    pub key: String,
    pub label: String,
    pub required: bool,
    pub max_chars: usize,
    pub multiline: bool,
}

/// A document in the drafting workflow.
#[derive(Serialize, ToSchema)]
pub struct DraftJson {
    pub id: String,
    pub kind: String,
    pub title: String,
    pub petition_id: Option<String>,
    /// draft | submitted | returned | signed_off | issued
    pub state: String,
    pub state_label: String,
    /// Send it back with an edit, to detect concurrent changes.
    pub version: i64,
    pub doc_no: Option<String>,
    pub fields: BTreeMap<String, String>,
    pub field_specs: Vec<FieldSpecJson>,
    /// Characters rendered with a fallback font, or that no font has (then it cannot be issued).
    pub font_warnings: Vec<String>,
    pub template_version: String,
    pub pdf_sha256: Option<String>,
    pub docx_sha256: Option<String>,
    pub supersedes: Option<String>,
    pub superseded_by: Option<String>,
    pub signed_off_at: Option<String>,
    pub issued_at: Option<String>,
    pub pdf_url: String,
    pub docx_url: String,
    pub steps: Vec<StepJson>,
}

pub async fn draft_json(state: &AppState, d: &DraftRow) -> ApiResult<DraftJson> {
    let kind = DocumentKind::parse(&d.kind);
    let steps = xinfang_app::drafting::steps(state, &d.id).await?;
    Ok(DraftJson {
        id: d.id.clone(),
        kind: d.kind.clone(),
        title: kind
            .map(|k| k.title_zh().to_string())
            .unwrap_or_else(|| d.kind.clone()),
        petition_id: d.petition_id.clone(),
        state: d.state.clone(),
        state_label: DraftState::parse(&d.state)
            .map(|s| s.label_zh().to_string())
            .unwrap_or_else(|| d.state.clone()),
        version: d.version,
        doc_no: d.doc_no.clone(),
        fields: d
            .draft
            .get("fields")
            .cloned()
            .and_then(|f| serde_json::from_value(f).ok())
            .unwrap_or_default(),
        field_specs: kind
            .map(fields_of)
            .unwrap_or_default()
            .iter()
            .map(|f| FieldSpecJson {
                key: f.key.into(),
                label: f.label_zh.into(),
                required: f.required,
                max_chars: f.max_chars,
                multiline: f.multiline,
            })
            .collect(),
        font_warnings: d.font_warnings.clone(),
        template_version: d.template_version.clone(),
        pdf_sha256: d.pdf_hash.clone(),
        docx_sha256: d.docx_hash.clone(),
        supersedes: d.supersedes.clone(),
        superseded_by: d.superseded_by.clone(),
        signed_off_at: d.signed_off_at.clone(),
        issued_at: d.issued_at.clone(),
        pdf_url: format!("/api/v1/documents/{}/pdf", d.id),
        docx_url: format!("/api/v1/documents/{}/docx", d.id),
        steps: steps
            .into_iter()
            .map(|s| StepJson {
                action: s.action,
                from_state: s.from_state,
                to_state: s.to_state,
                comment: s.comment,
                actor: s.actor_name,
                actor_role: s.actor_role,
                at: s.at,
            })
            .collect(),
    })
}

/// Drafts a document for a petition, pre-filled from it (交办函, 延期告知书, 结案报告 …).
#[utoipa::path(post, path = "/api/v1/petitions/{id}/documents", operation_id = "draftDocument", tag = "documents",
    params(("id" = String, Path, description = "Petition id")),
    request_body = DraftRequest,
    responses((status = 201, body = DraftJson), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn draft_document(
    State(state): S,
    ApiUser(u): ApiUser,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<DraftRequest>,
) -> ApiResult<(axum::http::StatusCode, Json<DraftJson>)> {
    let row = drafting::draft(&state, &u, Some(&id), &req).await?;
    Ok((
        axum::http::StatusCode::CREATED,
        Json(draft_json(&state, &row).await?),
    ))
}

/// Drafts a bulletin or circular from a selection of petitions (`petition_ids`).
#[utoipa::path(post, path = "/api/v1/documents", operation_id = "draftBulletin", tag = "documents",
    request_body = DraftRequest,
    responses((status = 201, body = DraftJson), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn draft_bulletin(
    State(state): S,
    ApiUser(u): ApiUser,
    ApiJson(req): ApiJson<DraftRequest>,
) -> ApiResult<(axum::http::StatusCode, Json<DraftJson>)> {
    let row = drafting::draft(&state, &u, None, &req).await?;
    Ok((
        axum::http::StatusCode::CREATED,
        Json(draft_json(&state, &row).await?),
    ))
}

#[utoipa::path(get, path = "/api/v1/documents/{id}", operation_id = "getDocument", tag = "documents",
    params(("id" = String, Path, description = "Document id")),
    responses((status = 200, body = DraftJson), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn get_document(
    State(state): S,
    ApiUser(u): ApiUser,
    Path(id): Path<String>,
) -> ApiResult<Json<DraftJson>> {
    let row = drafting::open_document(&state, &u, &id, "api_document").await?;
    Ok(Json(draft_json(&state, &row).await?))
}

#[derive(Deserialize, ToSchema)]
pub struct EditInput {
    /// The version last read (a concurrent change gives 409).
    pub version: i64,
    pub fields: BTreeMap<String, String>,
}

/// Saves the edited free-text parts of a draft or returned document.
#[utoipa::path(put, path = "/api/v1/documents/{id}", operation_id = "editDocument", tag = "documents",
    params(("id" = String, Path, description = "Document id")),
    request_body = EditInput,
    responses((status = 200, body = DraftJson), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn edit_document(
    State(state): S,
    ApiUser(u): ApiUser,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<EditInput>,
) -> ApiResult<Json<DraftJson>> {
    let row = drafting::edit(&state, &u, &id, req.version, &req.fields).await?;
    Ok(Json(draft_json(&state, &row).await?))
}

#[derive(Deserialize, ToSchema, Default)]
#[serde(default)]
pub struct CommentInput {
    /// The leader's comments (required when returning).
    pub comment: String,
}

async fn act(
    state: &AppState,
    u: &auth::CurrentUser,
    id: &str,
    a: Action,
    c: &str,
) -> ApiResult<Json<DraftJson>> {
    let row = drafting::act(state, u, id, a, c).await?;
    Ok(Json(draft_json(state, &row).await?))
}

/// Sends the draft to a leader for sign-off.
#[utoipa::path(post, path = "/api/v1/documents/{id}/submit", operation_id = "submitDocument", tag = "documents",
    params(("id" = String, Path, description = "Document id")),
    responses((status = 200, body = DraftJson), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn submit_document(
    State(state): S,
    ApiUser(u): ApiUser,
    Path(id): Path<String>,
) -> ApiResult<Json<DraftJson>> {
    act(&state, &u, &id, Action::Submit, "").await
}

/// Returns a submitted document to its drafter with comments (leader).
#[utoipa::path(post, path = "/api/v1/documents/{id}/return", operation_id = "returnDocument", tag = "documents",
    params(("id" = String, Path, description = "Document id")),
    request_body = CommentInput,
    responses((status = 200, body = DraftJson), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn return_document(
    State(state): S,
    ApiUser(u): ApiUser,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<CommentInput>,
) -> ApiResult<Json<DraftJson>> {
    act(&state, &u, &id, Action::Return, &req.comment).await
}

/// Signs a submitted document off (leader): it receives its number and becomes immutable; the
/// final PDF and DOCX are stored.
#[utoipa::path(post, path = "/api/v1/documents/{id}/sign-off", operation_id = "signOffDocument", tag = "documents",
    params(("id" = String, Path, description = "Document id")),
    responses((status = 200, body = DraftJson), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn sign_off_document(
    State(state): S,
    ApiUser(u): ApiUser,
    Path(id): Path<String>,
) -> ApiResult<Json<DraftJson>> {
    act(&state, &u, &id, Action::SignOff, "").await
}

/// Issues a signed document.
#[utoipa::path(post, path = "/api/v1/documents/{id}/issue", operation_id = "issueDocument", tag = "documents",
    params(("id" = String, Path, description = "Document id")),
    responses((status = 200, body = DraftJson), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn issue_document(
    State(state): S,
    ApiUser(u): ApiUser,
    Path(id): Path<String>,
) -> ApiResult<Json<DraftJson>> {
    act(&state, &u, &id, Action::Issue, "").await
}

/// Starts a correction: a new draft that supersedes this signed document once issued.
#[utoipa::path(post, path = "/api/v1/documents/{id}/correct", operation_id = "correctDocument", tag = "documents",
    params(("id" = String, Path, description = "Document id")),
    responses((status = 201, body = DraftJson), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn correct_document(
    State(state): S,
    ApiUser(u): ApiUser,
    Path(id): Path<String>,
) -> ApiResult<(axum::http::StatusCode, Json<DraftJson>)> {
    let row = drafting::correct(&state, &u, &id).await?;
    Ok((
        axum::http::StatusCode::CREATED,
        Json(draft_json(&state, &row).await?),
    ))
}

/// Downloads a document as PDF or DOCX: the stored bytes once signed off (the same bytes every
/// time), a preview marked 草稿 before.
#[utoipa::path(get, path = "/api/v1/documents/{id}/{format}", operation_id = "downloadDocument", tag = "documents",
    params(("id" = String, Path, description = "Document id"), ("format" = String, Path, description = "pdf or docx")),
    responses(
        (status = 200, content_type = "application/pdf", body = Vec<u8>),
        (status = 200, content_type = "application/vnd.openxmlformats-officedocument.wordprocessingml.document", body = Vec<u8>),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn download_document(
    State(state): S,
    ApiUser(u): ApiUser,
    Path((id, format)): Path<(String, String)>,
) -> ApiResult<Response> {
    Ok(file_response(&state, &u, &id, &format).await?)
}

pub async fn file_response(
    state: &AppState,
    u: &auth::CurrentUser,
    id: &str,
    format: &str,
) -> AppResult<Response> {
    let f = drafting::download(state, u, id, format).await?;
    let disposition = format!(
        "inline; filename=\"document.{format}\"; filename*=UTF-8''{}",
        auth::urlencode(&f.file_name)
    );
    Ok((
        [
            (header::CONTENT_TYPE, f.content_type.to_string()),
            (header::CONTENT_DISPOSITION, disposition),
            (header::CACHE_CONTROL, "private, no-store".to_string()),
        ],
        f.bytes,
    )
        .into_response())
}

#[derive(OpenApi)]
#[openapi(components(schemas(
    DraftRequest,
    EditInput,
    CommentInput,
    DraftJson,
    StepJson,
    FieldSpecJson
)))]
pub struct DocumentsApi;

pub fn routes() -> OpenApiRouter<Arc<AppState>> {
    OpenApiRouter::new()
        .routes(routes!(draft_document))
        .routes(routes!(draft_bulletin))
        .routes(routes!(get_document, edit_document))
        .routes(routes!(submit_document))
        .routes(routes!(return_document))
        .routes(routes!(sign_off_document))
        .routes(routes!(issue_document))
        .routes(routes!(correct_document))
        .routes(routes!(download_document))
}
