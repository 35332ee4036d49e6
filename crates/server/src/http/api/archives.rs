//! Archives (dossiers, transfers, appraisal, loans, the offline store) and internet
//! publication.

use std::sync::Arc;

use axum::Json;
use axum::extract::{Path, Request, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, OpenApi, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use xinfang_app::archives::offline::{ConfirmInput, MoveInput, MoveView};
use xinfang_app::archives::{
    self, ArchiveInput, Archived, Candidate, DestructionInput, DossierView, LoanInput, LoanView,
    Preview, RetentionRuleInput, RetentionRuleView, SupplementInput, TransferInput, TransferView,
};
use xinfang_app::context::AppState;
use xinfang_app::error::AppError;
use xinfang_app::publication::{
    self, Draft, ProposalInput, Published, RegisterLine, WithdrawInput,
};

use super::{ApiJson, ApiQuery};
use crate::http::auth::ApiUser;
use crate::http::error::{ApiResult, ErrorBody};

type S = State<Arc<AppState>>;

#[derive(Serialize, ToSchema)]
pub struct IdJson {
    pub id: String,
}

/// A file as a download.
pub fn download(content_type: &str, fallback: &str, file_name: &str, bytes: Vec<u8>) -> Response {
    let disposition = format!(
        "attachment; filename=\"{fallback}\"; filename*=UTF-8''{}",
        crate::http::auth::urlencode(file_name)
    );
    (
        [
            (header::CONTENT_TYPE, content_type.to_string()),
            (header::CONTENT_DISPOSITION, disposition),
            (header::CACHE_CONTROL, "private, no-store".to_string()),
        ],
        bytes,
    )
        .into_response()
}

/// Deregistered petitions waiting to be archived.
#[utoipa::path(get, path = "/api/v1/archives/candidates", operation_id = "listArchiveCandidates", tag = "archives",
    responses((status = 200, body = Vec<Candidate>), (status = 403, body = ErrorBody)))]
pub async fn list_candidates(
    State(state): S,
    ApiUser(u): ApiUser,
) -> ApiResult<Json<Vec<Candidate>>> {
    Ok(Json(archives::candidates(&state, &u).await?))
}

/// What the petition's dossier would hold (卷内目录 in the seed's order), what is missing, and
/// whether it can be archived now.
#[utoipa::path(get, path = "/api/v1/archives/petitions/{id}", operation_id = "getDossierPreview", tag = "archives",
    params(("id" = String, Path, description = "Petition id")),
    responses((status = 200, body = Preview), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn get_preview(
    State(state): S,
    ApiUser(u): ApiUser,
    Path(id): Path<String>,
) -> ApiResult<Json<Preview>> {
    Ok(Json(archives::preview(&state, &u, &id).await?))
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(default)]
pub struct SupplementQuery {
    pub item_kind: String,
    pub title: String,
    pub doc_no: String,
    pub responsible: String,
    /// YYYY-MM-DD
    pub dated: String,
    pub file_name: String,
}

/// Supplies a missing piece: a scan of the paper original (PDF, JPEG, PNG or TIFF, checked by
/// content). The body is the file; or `multipart/form-data` with the fields `file`, `item_kind`,
/// `title`, `doc_no`, `responsible`, `dated` (and `_csrf` from a browser).
#[utoipa::path(post, path = "/api/v1/archives/petitions/{id}/supplements", operation_id = "supplyDossierItem", tag = "archives",
    params(("id" = String, Path, description = "Petition id"), SupplementQuery),
    request_body(content = Vec<u8>, content_type = "application/octet-stream"),
    responses((status = 201, body = IdJson), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn supply(
    State(state): S,
    ApiUser(u): ApiUser,
    Path(id): Path<String>,
    ApiQuery(q): ApiQuery<SupplementQuery>,
    req: Request,
) -> ApiResult<(StatusCode, Json<IdJson>)> {
    let (input, file_name, bytes) = read_supplement(&state, &u, req, q).await?;
    let sid = archives::supplement(&state, &u, &id, &input, Some((&file_name, &bytes))).await?;
    Ok((StatusCode::CREATED, Json(IdJson { id: sid })))
}

/// The supplement's fields and file, from the query string and a raw body or a multipart form.
pub async fn read_supplement(
    state: &AppState,
    u: &xinfang_app::auth::CurrentUser,
    req: Request,
    q: SupplementQuery,
) -> Result<(SupplementInput, String, Vec<u8>), AppError> {
    let mut input = SupplementInput {
        item_kind: q.item_kind,
        title: q.title,
        doc_no: q.doc_no,
        responsible: q.responsible,
        dated: q.dated,
        absence_reason: String::new(),
    };
    let content_type = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    let limit = state.config.max_scan_bytes;
    let Some(boundary) = crate::http::multipart::boundary(&content_type) else {
        let bytes = super::mailroom::read_limited(req.into_body(), limit).await?;
        return Ok((input, q.file_name, bytes));
    };
    let raw = super::mailroom::read_limited(req.into_body(), limit + 64 * 1024).await?;
    let fields = crate::http::multipart::parse(&raw, &boundary)
        .ok_or_else(|| AppError::field("file", "invalid_multipart", "上传的表单格式无效"))?;
    let (mut file_name, mut bytes, mut csrf) = (q.file_name, Vec::new(), None);
    for f in fields {
        let text = || String::from_utf8_lossy(&f.data).into_owned();
        match f.name.as_str() {
            "_csrf" => csrf = Some(text()),
            "item_kind" => input.item_kind = text(),
            "title" => input.title = text(),
            "doc_no" => input.doc_no = text(),
            "responsible" => input.responsible = text(),
            "dated" => input.dated = text(),
            "file" => {
                file_name = f.file_name.clone().unwrap_or_default();
                bytes = f.data;
            }
            _ => {}
        }
    }
    if !u.via_bearer && csrf.as_deref() != Some(u.csrf.as_str()) {
        return Err(AppError::Forbidden(
            "表单已过期或来源不明（CSRF 校验失败），请刷新页面后重试".into(),
        ));
    }
    if bytes.len() > limit {
        return Err(AppError::Invalid(vec![
            xinfang_domain::mailroom::too_large(limit),
        ]));
    }
    Ok((input, file_name, bytes))
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(default)]
pub struct AbsenceRequest {
    pub item_kind: String,
    pub reason: String,
}

/// Records why a required piece is absent (it goes into the 备考表).
#[utoipa::path(post, path = "/api/v1/archives/petitions/{id}/absences", operation_id = "recordDossierAbsence", tag = "archives",
    params(("id" = String, Path, description = "Petition id")),
    request_body = AbsenceRequest,
    responses((status = 201, body = IdJson), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn record_absence(
    State(state): S,
    ApiUser(u): ApiUser,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<AbsenceRequest>,
) -> ApiResult<(StatusCode, Json<IdJson>)> {
    let input = SupplementInput {
        item_kind: b.item_kind,
        absence_reason: b.reason,
        ..SupplementInput::default()
    };
    let sid = archives::supplement(&state, &u, &id, &input, None).await?;
    Ok((StatusCode::CREATED, Json(IdJson { id: sid })))
}

/// Takes back a supplement or an absence statement before archiving.
#[utoipa::path(delete, path = "/api/v1/archives/petitions/{id}/supplements/{sid}", operation_id = "removeDossierSupplement", tag = "archives",
    params(("id" = String, Path, description = "Petition id"), ("sid" = String, Path, description = "Supplement id")),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn remove_supplement(
    State(state): S,
    ApiUser(u): ApiUser,
    Path((id, sid)): Path<(String, String)>,
) -> ApiResult<StatusCode> {
    archives::remove_supplement(&state, &u, &id, &sid).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// 归档: binds the dossier (deregistered, appeal windows over, nothing missing), numbers it
/// (档号) and makes it read-only.
#[utoipa::path(post, path = "/api/v1/archives/petitions/{id}/archive", operation_id = "archivePetition", tag = "archives",
    params(("id" = String, Path, description = "Petition id")),
    request_body = ArchiveInput,
    responses((status = 201, body = Archived), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn archive_petition(
    State(state): S,
    ApiUser(u): ApiUser,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<ArchiveInput>,
) -> ApiResult<(StatusCode, Json<Archived>)> {
    Ok((
        StatusCode::CREATED,
        Json(archives::archive(&state, &u, &id, &input).await?),
    ))
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct YearQuery {
    /// Only this year's dossiers.
    pub year: Option<i64>,
}

/// The bureau's dossiers (the archivist and the leaders).
#[utoipa::path(get, path = "/api/v1/dossiers", operation_id = "listDossiers", tag = "archives",
    params(YearQuery),
    responses((status = 200, body = Vec<DossierView>), (status = 403, body = ErrorBody)))]
pub async fn list_dossiers(
    State(state): S,
    ApiUser(u): ApiUser,
    ApiQuery(q): ApiQuery<YearQuery>,
) -> ApiResult<Json<Vec<DossierView>>> {
    Ok(Json(archives::dossiers(&state, &u, q.year).await?))
}

/// Dossiers whose retention period has ended (到期鉴定).
#[utoipa::path(get, path = "/api/v1/dossiers/appraisal", operation_id = "listDossiersDueForAppraisal", tag = "archives",
    responses((status = 200, body = Vec<DossierView>), (status = 403, body = ErrorBody)))]
pub async fn list_appraisal(
    State(state): S,
    ApiUser(u): ApiUser,
) -> ApiResult<Json<Vec<DossierView>>> {
    Ok(Json(archives::due_for_appraisal(&state, &u).await?))
}

/// A dossier: its 卷内目录 and 备考表 (a confidential one's titles only to those who may open it).
#[utoipa::path(get, path = "/api/v1/dossiers/{id}", operation_id = "getDossier", tag = "archives",
    params(("id" = String, Path, description = "Dossier id")),
    responses((status = 200, body = DossierView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn get_dossier(
    State(state): S,
    ApiUser(u): ApiUser,
    Path(id): Path<String>,
) -> ApiResult<Json<DossierView>> {
    Ok(Json(archives::dossier(&state, &u, &id).await?))
}

/// The volume as one PDF: cover, 卷内目录, the pieces, 备考表 (logged).
#[utoipa::path(get, path = "/api/v1/dossiers/{id}/pdf", operation_id = "downloadDossierPdf", tag = "archives",
    params(("id" = String, Path, description = "Dossier id")),
    responses((status = 200, content_type = "application/pdf", body = Vec<u8>), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn dossier_pdf(
    State(state): S,
    ApiUser(u): ApiUser,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    let (name, bytes) = archives::dossier_pdf(&state, &u, &id).await?;
    Ok(super::inline_file(
        "application/pdf",
        "dossier.pdf",
        &name,
        bytes,
    ))
}

/// The volume as a package for the archives authority: ZIP of the files, `manifest.json` with
/// SHA-256 hashes, `metadata.xml` (logged).
#[utoipa::path(get, path = "/api/v1/dossiers/{id}/package", operation_id = "downloadDossierPackage", tag = "archives",
    params(("id" = String, Path, description = "Dossier id")),
    responses((status = 200, content_type = "application/zip", body = Vec<u8>), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn dossier_package(
    State(state): S,
    ApiUser(u): ApiUser,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    let (name, bytes) = archives::dossier_package(&state, &u, &id).await?;
    Ok(download("application/zip", "dossier.zip", &name, bytes))
}

/// Asks to borrow a dossier: bureau staff who worked on the matter, a reason, a return date
/// within 30 days; a leader approves (`dossier_loan`).
#[utoipa::path(post, path = "/api/v1/dossiers/{id}/loans", operation_id = "requestDossierLoan", tag = "archives",
    params(("id" = String, Path, description = "Dossier id")),
    request_body = LoanInput,
    responses((status = 201, body = IdJson), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn request_loan(
    State(state): S,
    ApiUser(u): ApiUser,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<LoanInput>,
) -> ApiResult<(StatusCode, Json<IdJson>)> {
    let lid = archives::request_loan(&state, &u, &id, &input).await?;
    Ok((StatusCode::CREATED, Json(IdJson { id: lid })))
}

/// The caller's own loans.
#[utoipa::path(get, path = "/api/v1/dossier-loans", operation_id = "listMyDossierLoans", tag = "archives",
    responses((status = 200, body = Vec<LoanView>)))]
pub async fn my_loans(State(state): S, ApiUser(u): ApiUser) -> ApiResult<Json<Vec<LoanView>>> {
    Ok(Json(archives::loans(&state, &u, None).await?))
}

/// Records a borrowed dossier returned (the borrower or the archivist).
#[utoipa::path(post, path = "/api/v1/dossier-loans/{id}/return", operation_id = "returnDossierLoan", tag = "archives",
    params(("id" = String, Path, description = "Loan id")),
    responses((status = 204), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn return_loan(
    State(state): S,
    ApiUser(u): ApiUser,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    archives::return_loan(&state, &u, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Proposes destroying a dossier whose retention period has ended, with the appraisal's
/// conclusion; a leader approves (`dossier_destruction`) and the destruction register keeps it.
#[utoipa::path(post, path = "/api/v1/dossiers/{id}/destruction", operation_id = "proposeDossierDestruction", tag = "archives",
    params(("id" = String, Path, description = "Dossier id")),
    request_body = DestructionInput,
    responses((status = 201, body = IdJson), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn propose_destruction(
    State(state): S,
    ApiUser(u): ApiUser,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<DestructionInput>,
) -> ApiResult<(StatusCode, Json<IdJson>)> {
    let aid = archives::propose_destruction(&state, &u, &id, &input).await?;
    Ok((StatusCode::CREATED, Json(IdJson { id: aid })))
}

/// The year-end transfer lists (移交目录).
#[utoipa::path(get, path = "/api/v1/dossier-transfers", operation_id = "listDossierTransfers", tag = "archives",
    responses((status = 200, body = Vec<TransferView>), (status = 403, body = ErrorBody)))]
pub async fn list_transfers(
    State(state): S,
    ApiUser(u): ApiUser,
) -> ApiResult<Json<Vec<TransferView>>> {
    Ok(Json(archives::transfers(&state, &u).await?))
}

/// The archivist hands a year's dossiers over to the bureau office.
#[utoipa::path(post, path = "/api/v1/dossier-transfers", operation_id = "handOverDossiers", tag = "archives",
    request_body = TransferInput,
    responses((status = 201, body = TransferView), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn hand_over(
    State(state): S,
    ApiUser(u): ApiUser,
    ApiJson(input): ApiJson<TransferInput>,
) -> ApiResult<(StatusCode, Json<TransferView>)> {
    Ok((
        StatusCode::CREATED,
        Json(archives::hand_over(&state, &u, &input).await?),
    ))
}

/// The office signs for a transfer list.
#[utoipa::path(post, path = "/api/v1/dossier-transfers/{id}/receive", operation_id = "receiveDossierTransfer", tag = "archives",
    params(("id" = String, Path, description = "Transfer id")),
    responses((status = 200, body = TransferView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn receive(
    State(state): S,
    ApiUser(u): ApiUser,
    Path(id): Path<String>,
) -> ApiResult<Json<TransferView>> {
    Ok(Json(archives::receive(&state, &u, &id).await?))
}

/// The signed transfer list (two copies).
#[utoipa::path(get, path = "/api/v1/dossier-transfers/{id}/pdf", operation_id = "downloadTransferList", tag = "archives",
    params(("id" = String, Path, description = "Transfer id")),
    responses((status = 200, content_type = "application/pdf", body = Vec<u8>), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn transfer_pdf(
    State(state): S,
    ApiUser(u): ApiUser,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    let (name, bytes) = archives::transfer_pdf(&state, &u, &id).await?;
    Ok(super::inline_file(
        "application/pdf",
        "transfer.pdf",
        &name,
        bytes,
    ))
}

/// The retention table (保管期限表) as it applies.
#[utoipa::path(get, path = "/api/v1/retention-rules", operation_id = "listRetentionRules", tag = "archives",
    responses((status = 200, body = Vec<RetentionRuleView>), (status = 403, body = ErrorBody)))]
pub async fn list_retention(
    State(state): S,
    ApiUser(u): ApiUser,
) -> ApiResult<Json<Vec<RetentionRuleView>>> {
    Ok(Json(archives::retention_table(&state, &u).await?))
}

/// Sets (or, with an empty retention, removes) a line of the retention table: the system
/// administrator, audited.
#[utoipa::path(put, path = "/api/v1/retention-rules", operation_id = "setRetentionRule", tag = "archives",
    request_body = RetentionRuleInput,
    responses((status = 204), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn set_retention(
    State(state): S,
    ApiUser(u): ApiUser,
    ApiJson(input): ApiJson<RetentionRuleInput>,
) -> ApiResult<StatusCode> {
    archives::set_retention_rule(&state, &u, &input).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Proposes moving a confidential dossier to the offline machine (网机隔离); a leader approves.
#[utoipa::path(post, path = "/api/v1/dossiers/{id}/offline-moves", operation_id = "proposeOfflineMove", tag = "archives",
    params(("id" = String, Path, description = "Dossier id")),
    request_body = MoveInput,
    responses((status = 201, body = IdJson), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn propose_move(
    State(state): S,
    ApiUser(u): ApiUser,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<MoveInput>,
) -> ApiResult<(StatusCode, Json<IdJson>)> {
    let aid = archives::offline::propose_move(&state, &u, &id, &input).await?;
    Ok((StatusCode::CREATED, Json(IdJson { id: aid })))
}

/// The moves of a petition's dossier.
#[utoipa::path(get, path = "/api/v1/archives/petitions/{id}/offline-moves", operation_id = "listOfflineMoves", tag = "archives",
    params(("id" = String, Path, description = "Petition id")),
    responses((status = 200, body = Vec<MoveView>), (status = 403, body = ErrorBody)))]
pub async fn list_moves(
    State(state): S,
    ApiUser(u): ApiUser,
    Path(id): Path<String>,
) -> ApiResult<Json<Vec<MoveView>>> {
    Ok(Json(archives::offline::moves(&state, &u, &id).await?))
}

/// The approved move's package, encrypted to the offline machine's key (each download is a new
/// encryption; the last one's SHA-256 is the one to confirm with).
#[utoipa::path(get, path = "/api/v1/archives/petitions/{id}/offline-moves/{mid}/package", operation_id = "downloadOfflinePackage", tag = "archives",
    params(("id" = String, Path, description = "Petition id"), ("mid" = String, Path, description = "Move id")),
    responses((status = 200, content_type = "application/octet-stream", body = Vec<u8>), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn offline_package(
    State(state): S,
    ApiUser(u): ApiUser,
    Path((id, mid)): Path<(String, String)>,
) -> ApiResult<Response> {
    let (name, bytes) = archives::offline::package(&state, &u, &id, &mid).await?;
    Ok(download(
        "application/octet-stream",
        "dossier.age",
        &name,
        bytes,
    ))
}

/// Confirms the package arrived on the offline machine: from now on the networked system keeps
/// only the petition's stub.
#[utoipa::path(post, path = "/api/v1/archives/petitions/{id}/offline-moves/{mid}/confirm", operation_id = "confirmOfflineMove", tag = "archives",
    params(("id" = String, Path, description = "Petition id"), ("mid" = String, Path, description = "Move id")),
    request_body = ConfirmInput,
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn confirm_move(
    State(state): S,
    ApiUser(u): ApiUser,
    Path((id, mid)): Path<(String, String)>,
    ApiJson(input): ApiJson<ConfirmInput>,
) -> ApiResult<StatusCode> {
    archives::offline::confirm(&state, &u, &id, &mid, &input).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The redacted texts to start a publication from.
#[utoipa::path(get, path = "/api/v1/petitions/{id}/publication-draft", operation_id = "getPublicationDraft", tag = "publication",
    params(("id" = String, Path, description = "Petition id")),
    responses((status = 200, body = Draft), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn publication_draft(
    State(state): S,
    ApiUser(u): ApiUser,
    Path(id): Path<String>,
) -> ApiResult<Json<Draft>> {
    Ok(Json(publication::draft(&state, &u, &id).await?))
}

/// Proposes publishing a reply on the internet (closed, consented, not confidential, not an
/// accusation; texts holding no personal data); a bureau leader approves a visit's, the director
/// a letter's.
#[utoipa::path(post, path = "/api/v1/petitions/{id}/publications", operation_id = "proposePublication", tag = "publication",
    params(("id" = String, Path, description = "Petition id")),
    request_body = ProposalInput,
    responses((status = 201, body = IdJson), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn propose_publication(
    State(state): S,
    ApiUser(u): ApiUser,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<ProposalInput>,
) -> ApiResult<(StatusCode, Json<IdJson>)> {
    let pid = publication::propose(&state, &u, &id, &input).await?;
    Ok((StatusCode::CREATED, Json(IdJson { id: pid })))
}

/// The publication register.
#[utoipa::path(get, path = "/api/v1/publications", operation_id = "listPublications", tag = "publication",
    responses((status = 200, body = Vec<RegisterLine>), (status = 403, body = ErrorBody)))]
pub async fn list_publications(
    State(state): S,
    ApiUser(u): ApiUser,
) -> ApiResult<Json<Vec<RegisterLine>>> {
    Ok(Json(publication::register(&state, &u).await?))
}

/// Takes a published item down.
#[utoipa::path(post, path = "/api/v1/publications/{id}/withdraw", operation_id = "withdrawPublication", tag = "publication",
    params(("id" = String, Path, description = "Publication id")),
    request_body = WithdrawInput,
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn withdraw_publication(
    State(state): S,
    ApiUser(u): ApiUser,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<WithdrawInput>,
) -> ApiResult<StatusCode> {
    publication::withdraw(&state, &u, &id, &input).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// What is published now (no sign-in).
#[utoipa::path(get, path = "/api/v1/public/publications", operation_id = "listPublishedReplies", tag = "publication",
    responses((status = 200, body = Vec<Published>)))]
pub async fn public_list(State(state): S) -> ApiResult<Json<Vec<Published>>> {
    Ok(Json(publication::public_list(&state).await?))
}

/// One published item (no sign-in).
#[utoipa::path(get, path = "/api/v1/public/publications/{id}", operation_id = "getPublishedReply", tag = "publication",
    params(("id" = String, Path, description = "Publication id")),
    responses((status = 200, body = Published), (status = 404, body = ErrorBody)))]
pub async fn public_item(State(state): S, Path(id): Path<String>) -> ApiResult<Json<Published>> {
    Ok(Json(publication::public_item(&state, &id).await?))
}

#[derive(OpenApi)]
#[openapi(components(schemas(IdJson, AbsenceRequest)))]
pub struct ArchivesApi;

pub fn routes() -> OpenApiRouter<Arc<AppState>> {
    OpenApiRouter::new()
        .routes(routes!(list_candidates))
        .routes(routes!(get_preview))
        .routes(routes!(record_absence))
        .routes(routes!(remove_supplement))
        .routes(routes!(archive_petition))
        .routes(routes!(list_dossiers))
        .routes(routes!(list_appraisal))
        .routes(routes!(get_dossier))
        .routes(routes!(dossier_pdf))
        .routes(routes!(dossier_package))
        .routes(routes!(request_loan))
        .routes(routes!(my_loans))
        .routes(routes!(return_loan))
        .routes(routes!(propose_destruction))
        .routes(routes!(list_transfers, hand_over))
        .routes(routes!(receive))
        .routes(routes!(transfer_pdf))
        .routes(routes!(list_retention, set_retention))
        .routes(routes!(propose_move))
        .routes(routes!(list_moves))
        .routes(routes!(offline_package))
        .routes(routes!(confirm_move))
        .routes(routes!(publication_draft))
        .routes(routes!(propose_publication))
        .routes(routes!(list_publications))
        .routes(routes!(withdraw_publication))
        .merge(public_routes())
}

/// The published replies, also on an instance that serves only the public site.
pub fn public_routes() -> OpenApiRouter<Arc<AppState>> {
    OpenApiRouter::new()
        .routes(routes!(public_list))
        .routes(routes!(public_item))
}

/// The supplement upload, outside the global 1 MB body limit.
pub fn upload_routes() -> OpenApiRouter<Arc<AppState>> {
    OpenApiRouter::new().routes(routes!(supply))
}
