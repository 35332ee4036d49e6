//! The mailroom's JSON API (`/api/v1/letters…`): sign for, open or return, scan, enclosures,
//! register, 来信办理单, instruction, notice, and the clerk's queues.

use std::sync::Arc;

use axum::Json;
use axum::body::{Body, HttpBody};
use axum::extract::{Path, Request, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize, de::DeserializeOwned};
use utoipa::{OpenApi, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use xinfang_domain::mailroom::{self, Delivery, EnclosureKind, ScanPart};
use xinfang_store::mailroom::{EnclosureRow, ScanRow};

use super::{
    ApiJson, DocumentJson, PetitionJson, RegisterPetitionRequest, S, document_json, events_json,
    petition_json,
};
use crate::http::auth::{self, ApiUser};
use crate::http::error::{ApiError, ApiResult, AppError, AppResult, ErrorBody};
use xinfang_app::context::AppState;
use xinfang_app::mailroom::{self as svc, InstructionOutcome, NoticeOutcome, Queue, QueueItem};
use xinfang_domain::registration::RegistrationInput;

/// Converts an API request into the domain's input of the same shape.
fn to_input<A: Serialize, B: DeserializeOwned>(a: &A) -> AppResult<B> {
    serde_json::to_value(a)
        .and_then(serde_json::from_value)
        .map_err(|e| AppError::Internal(e.to_string()))
}

// ---------------------------------------------------------------------------------------------
// Schemas

/// Signing for a letter (receiveLetter).
#[derive(Serialize, Deserialize, ToSchema, Default)]
#[serde(default)]
pub struct ReceiveLetterRequest {
    /// post | express | telegram | hand_delivery | fax | email | forwarded_by_higher_organ
    pub delivery_mode: String,
    /// China Standard Time `YYYY-MM-DDTHH:MM`; empty means now; never in the future
    pub received_at: String,
    /// Required for express
    pub tracking_no: String,
    /// The sender as on the envelope
    pub sender: String,
    pub sender_address: String,
    /// `YYYY-MM-DD`
    pub postmark_date: String,
    /// normal | urgent | very_urgent
    pub urgency: String,
}

/// Disinfection, distribution and the opening record.
#[derive(Serialize, Deserialize, ToSchema, Default)]
#[serde(default)]
pub struct OpeningRequest {
    pub disinfected_by: String,
    pub disinfected_at: String,
    pub distributed_to: String,
    pub distributed_at: String,
    pub stamps_kept: bool,
    pub postmark_kept: bool,
    pub postcode_kept: bool,
    pub address_kept: bool,
    /// Required when anything was not kept intact
    pub notes: String,
}

#[derive(Serialize, Deserialize, ToSchema, Default)]
#[serde(default)]
pub struct ReturnRequest {
    /// Why the letter is outside the bureau's remit
    pub reason: String,
}

#[derive(Serialize, Deserialize, ToSchema, Default)]
#[serde(default)]
pub struct EnclosureRequest {
    /// money | securities | books | paintings | other
    pub kind: String,
    pub description: String,
    /// Yuan, at most two decimals; required for money and securities
    pub amount: String,
    pub quantity: Option<i64>,
}

#[derive(Serialize, Deserialize, ToSchema, Default)]
#[serde(default)]
pub struct HandOverRequest {
    pub handed_to: String,
    /// The receiver's signature (required)
    pub signature: String,
    pub note: String,
}

/// The letter's own registration details.
#[derive(Serialize, Deserialize, ToSchema, Default)]
#[serde(default)]
pub struct LetterDetailsRequest {
    /// 联名信: the petitioners are its signatories
    pub joint: bool,
    /// How many signed (at least 2 for a joint letter)
    pub signatory_count: Option<i64>,
    /// The named contact; default the first signatory
    pub contact_name: String,
    pub forwarded_by_organ: String,
    pub forwarded_doc_no: String,
    pub forwarded_on: String,
    pub forwarded_deadline: String,
    /// A local leader's instruction (市领导批示来信)
    pub leader_name: String,
    pub leader_instructed_on: String,
    pub leader_instruction: String,
}

/// Registration of an opened letter (registerLetter): every field of registerPetition (the
/// channel is always letter; `visited_at` defaults to the receipt time) plus `letter`.
#[derive(Serialize, Deserialize, ToSchema, Default)]
#[serde(default)]
pub struct RegisterLetterRequest {
    #[serde(flatten)]
    pub registration: RegisterPetitionRequest,
    pub letter: LetterDetailsRequest,
}

#[derive(Serialize, Deserialize, ToSchema, Default)]
#[serde(default)]
pub struct HandlingFormRequest {
    /// The clerk's summary; default the registered main problem
    pub summary: String,
    /// 拟办意见 (required)
    pub proposal: String,
}

#[derive(Serialize, Deserialize, ToSchema, Default)]
#[serde(default)]
pub struct InstructionRequest {
    /// accepted | not_accepted | no_longer_accepted
    pub acceptance: String,
    /// 批示意见 (required)
    pub instruction: String,
    /// Reason code for a non-accepting decision (default: the first configured)
    pub reason: String,
}

#[derive(Serialize, Deserialize, ToSchema, Default)]
#[serde(default)]
pub struct NoticeRequest {
    /// phone | written | cannot_notify
    pub method: String,
    pub called_by: String,
    pub called_at: String,
    /// Phone: what was said
    pub content: String,
    /// cannot_notify: why (anonymous, no usable address)
    pub reason: String,
    /// written: the id of the issued 告知书 (draftDocument, signOffDocument, issueDocument first)
    pub document_id: String,
}

#[derive(Serialize, ToSchema)]
pub struct ScanJson {
    pub id: String,
    /// main_document | attachment | envelope
    pub part: String,
    pub ordinal: i64,
    pub file_name: String,
    pub content_type: String,
    pub size_bytes: i64,
    pub sha256: String,
    pub uploaded_at: String,
    pub download_url: String,
}

fn scan_json(s: &ScanRow) -> ScanJson {
    ScanJson {
        id: s.id.clone(),
        part: s.part.clone(),
        ordinal: s.ordinal,
        file_name: s.file_name.clone(),
        content_type: s.content_type.clone(),
        size_bytes: s.size_bytes,
        sha256: s.sha256.clone(),
        uploaded_at: s.uploaded_at.clone(),
        download_url: format!("/api/v1/scans/{}", s.id),
    }
}

#[derive(Serialize, ToSchema)]
pub struct EnclosureJson {
    pub id: String,
    pub kind: String,
    pub kind_label: String,
    pub description: String,
    pub amount_fen: Option<i64>,
    pub quantity: i64,
    /// in_custody | handed_over
    pub state: String,
    pub handed_to: String,
    pub handed_signature: String,
    pub handed_at: Option<String>,
}

fn enclosure_json(e: &EnclosureRow) -> EnclosureJson {
    EnclosureJson {
        id: e.id.clone(),
        kind: e.kind.clone(),
        kind_label: EnclosureKind::parse(&e.kind)
            .map(|k| k.label_zh().to_string())
            .unwrap_or_default(),
        description: e.description.clone(),
        amount_fen: e.amount_fen,
        quantity: e.quantity,
        state: e.state.clone(),
        handed_to: e.handed_to.clone(),
        handed_signature: e.handed_signature.clone(),
        handed_at: e.handed_at.clone(),
    }
}

#[derive(Serialize, ToSchema)]
pub struct SimilarJson {
    pub id: String,
    pub petition_no: String,
    pub registered_at: String,
}

/// A letter: its petition, receipt register row, scans, enclosures and documents.
#[derive(Serialize, ToSchema)]
pub struct LetterJson {
    pub petition: PetitionJson,
    /// The receipt register row: delivery mode, opening record, letter details, handling form,
    /// instruction and notice (sender fields withheld from those who may not see identities).
    #[schema(value_type = Object)]
    pub letter: serde_json::Value,
    pub scans: Vec<ScanJson>,
    pub enclosures: Vec<EnclosureJson>,
    pub documents: Vec<DocumentJson>,
    /// Earlier petitions by the same writer: possible repeat letters.
    pub similar: Vec<SimilarJson>,
    /// Days left to tell the writer; null once told.
    pub notice_days_left: Option<i64>,
}

#[derive(Serialize, ToSchema)]
pub struct QueueJson {
    pub items: Vec<QueueItem>,
}

async fn letter_json(state: &AppState, u: &auth::CurrentUser, id: &str) -> ApiResult<LetterJson> {
    let v = svc::view(state, u, id).await?;
    // The view has already left out what a viewer without identity may not read: event
    // payloads (`access::history`) and the writer's details (`mailroom::view`).
    let events = events_json(state, &v.petition).await?;
    let letter = serde_json::to_value(&v.letter).unwrap_or_default();
    let today = xinfang_app::clock::local_date(state.clock.now());
    let days_left = v.letter.notice_method.is_none().then(|| {
        chrono::NaiveDate::parse_from_str(&v.letter.notice_due, "%Y-%m-%d")
            .map(|d| mailroom::days_left(d, today))
            .unwrap_or(0)
    });
    Ok(LetterJson {
        petition: petition_json(&v.petition, true, events),
        letter,
        scans: v.scans.iter().map(scan_json).collect(),
        enclosures: v.enclosures.iter().map(enclosure_json).collect(),
        documents: v.documents.iter().map(document_json).collect(),
        similar: v
            .similar
            .iter()
            .map(|p| SimilarJson {
                id: p.id.clone(),
                petition_no: p.petition_no.clone(),
                registered_at: p.registered_at.clone(),
            })
            .collect(),
        notice_days_left: days_left,
    })
}

// ---------------------------------------------------------------------------------------------
// Handlers

/// Sign for a letter, telegram or express parcel (receipt register). Creates the petition in
/// stage `received`; telegrams and express items are flagged for immediate opening.
#[utoipa::path(post, path = "/api/v1/letters", operation_id = "receiveLetter", tag = "letters",
    request_body = ReceiveLetterRequest,
    responses((status = 201, body = LetterJson), (status = 422, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn receive_letter(
    State(state): S,
    ApiUser(u): ApiUser,
    ApiJson(req): ApiJson<ReceiveLetterRequest>,
) -> ApiResult<Response> {
    let p = svc::receive(&state, &u, &to_input(&req)?).await?;
    Ok((
        StatusCode::CREATED,
        Json(letter_json(&state, &u, &p.id).await?),
    )
        .into_response())
}

#[derive(Deserialize, utoipa::IntoParams, Default)]
#[serde(default)]
pub struct QueueQuery {
    /// to_process (default) | to_notify | awaiting_instruction
    pub queue: Option<String>,
}

/// The mailroom's lists: letters to open and register (immediate ones first), letters whose
/// writer has not been told (fewest days left first), or 来信办理单 awaiting instruction.
#[utoipa::path(get, path = "/api/v1/letters", operation_id = "listLetters", tag = "letters",
    params(QueueQuery),
    responses((status = 200, body = QueueJson), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn list_letters(
    State(state): S,
    ApiUser(u): ApiUser,
    crate::http::api::ApiQuery(q): crate::http::api::ApiQuery<QueueQuery>,
) -> ApiResult<Json<QueueJson>> {
    let which = match q.queue.as_deref().unwrap_or("to_process") {
        "to_process" | "" => Queue::ToProcess,
        "to_notify" => Queue::ToNotify,
        "awaiting_instruction" => Queue::AwaitingInstruction,
        other => {
            return Err(ApiError(AppError::field(
                "queue",
                "unknown_queue",
                format!("未知的列表：{other}"),
            )));
        }
    };
    Ok(Json(QueueJson {
        items: svc::queue(&state, &u, which).await?,
    }))
}

#[utoipa::path(get, path = "/api/v1/letters/{id}", operation_id = "getLetter", tag = "letters",
    params(("id" = String, Path, description = "Petition id")),
    responses((status = 200, body = LetterJson), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn get_letter(
    State(state): S,
    ApiUser(u): ApiUser,
    Path(id): Path<String>,
) -> ApiResult<Json<LetterJson>> {
    Ok(Json(letter_json(&state, &u, &id).await?))
}

/// Record disinfection, distribution and the opening record.
#[utoipa::path(post, path = "/api/v1/letters/{id}/opening", operation_id = "recordLetterOpening", tag = "letters",
    params(("id" = String, Path, description = "Petition id")),
    request_body = OpeningRequest,
    responses((status = 200, body = LetterJson), (status = 422, body = ErrorBody), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn record_opening(
    State(state): S,
    ApiUser(u): ApiUser,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<OpeningRequest>,
) -> ApiResult<Json<LetterJson>> {
    svc::record_opening(&state, &u, &id, &to_input(&req)?).await?;
    Ok(Json(letter_json(&state, &u, &id).await?))
}

/// Return a letter outside the bureau's remit unopened.
#[utoipa::path(post, path = "/api/v1/letters/{id}/return", operation_id = "returnLetterUnopened", tag = "letters",
    params(("id" = String, Path, description = "Petition id")),
    request_body = ReturnRequest,
    responses((status = 200, body = LetterJson), (status = 422, body = ErrorBody), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn return_unopened(
    State(state): S,
    ApiUser(u): ApiUser,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<ReturnRequest>,
) -> ApiResult<Json<LetterJson>> {
    svc::return_unopened(&state, &u, &id, &req.reason).await?;
    Ok(Json(letter_json(&state, &u, &id).await?))
}

#[derive(Deserialize, utoipa::IntoParams, Default)]
#[serde(default)]
pub struct ScanQuery {
    /// main_document (default) | attachment | envelope
    pub part: Option<String>,
    pub file_name: Option<String>,
}

/// Reads a request body up to `limit` bytes. Past the limit the rest is drained (up to a hard
/// cap) so that the client receives the refusal instead of a reset connection.
pub async fn read_limited(body: Body, limit: usize) -> AppResult<Vec<u8>> {
    let hard_cap = limit.saturating_mul(4).max(64 * 1024 * 1024);
    let mut body = body;
    let mut out = Vec::new();
    let mut total = 0usize;
    loop {
        let frame = std::future::poll_fn(|cx| std::pin::Pin::new(&mut body).poll_frame(cx)).await;
        let Some(frame) = frame else { break };
        let frame =
            frame.map_err(|_| AppError::field("file", "upload_failed", "上传中断，请重试"))?;
        if let Ok(data) = frame.into_data() {
            total += data.len();
            if total > hard_cap {
                break;
            }
            if total <= limit {
                out.extend_from_slice(&data);
            }
        }
    }
    if total > limit {
        return Err(AppError::Invalid(vec![mailroom::too_large(limit)]));
    }
    Ok(out)
}

/// Upload a scanned page (PDF, JPEG, PNG or TIFF, checked by content; 20 MB by default). The
/// body is the file itself (any content type), or `multipart/form-data` with `file` and `part`.
#[utoipa::path(post, path = "/api/v1/letters/{id}/scans", operation_id = "uploadLetterScan", tag = "letters",
    params(("id" = String, Path, description = "Petition id"), ScanQuery),
    request_body(content = Vec<u8>, content_type = "application/octet-stream"),
    responses((status = 201, body = ScanJson), (status = 422, body = ErrorBody), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn upload_scan(
    State(state): S,
    ApiUser(u): ApiUser,
    Path(id): Path<String>,
    crate::http::api::ApiQuery(q): crate::http::api::ApiQuery<ScanQuery>,
    req: Request,
) -> ApiResult<Response> {
    // Who may upload is settled before a byte of the body is read.
    svc::check_scan_upload(&state, &u, &id).await?;
    let upload = read_upload(&state, &u, req, q).await?;
    let scan = svc::attach_scan(
        &state,
        &u,
        &id,
        &upload.part,
        &upload.file_name,
        &upload.bytes,
    )
    .await?;
    Ok((StatusCode::CREATED, Json(scan_json(&scan))).into_response())
}

pub struct Upload {
    pub part: String,
    pub file_name: String,
    pub bytes: Vec<u8>,
    /// The form's other text fields (a page's options beside the file).
    pub fields: std::collections::HashMap<String, String>,
}

/// Decodes an upload: a raw body, or a multipart form with the fields `file` and `part`. A
/// browser's multipart form carries its CSRF token as the form field `_csrf` (the session layer
/// cannot read a body this large, and a token in the URL would end up in logs and history).
pub async fn read_upload(
    state: &AppState,
    user: &crate::http::auth::CurrentUser,
    req: Request,
    q: ScanQuery,
) -> AppResult<Upload> {
    let content_type = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    let limit = state.config.max_scan_bytes;
    if let Some(boundary) = crate::http::multipart::boundary(&content_type) {
        // Form fields and part headers add a little to the file itself.
        let raw = read_limited(req.into_body(), limit + 64 * 1024).await?;
        let fields = crate::http::multipart::parse(&raw, &boundary)
            .ok_or_else(|| AppError::field("file", "invalid_multipart", "上传的表单格式无效"))?;
        let mut up = Upload {
            part: q.part.unwrap_or_default(),
            file_name: q.file_name.unwrap_or_default(),
            bytes: Vec::new(),
            fields: Default::default(),
        };
        let mut csrf = None;
        for f in fields {
            match f.name.as_str() {
                "_csrf" => csrf = Some(String::from_utf8_lossy(&f.data).into_owned()),
                "file" => {
                    up.file_name = f.file_name.unwrap_or_default();
                    up.bytes = f.data;
                }
                "part" => up.part = String::from_utf8_lossy(&f.data).into_owned(),
                _ => {
                    up.fields
                        .insert(f.name, String::from_utf8_lossy(&f.data).into_owned());
                }
            }
        }
        if !user.via_bearer && csrf.as_deref() != Some(user.csrf.as_str()) {
            return Err(AppError::Forbidden(
                "表单已过期或来源不明（CSRF 校验失败），请刷新页面后重试".into(),
            ));
        }
        if up.bytes.len() > limit {
            return Err(AppError::Invalid(vec![mailroom::too_large(limit)]));
        }
        Ok(up)
    } else {
        Ok(Upload {
            part: q.part.unwrap_or_default(),
            file_name: q.file_name.unwrap_or_default(),
            bytes: read_limited(req.into_body(), limit).await?,
            fields: Default::default(),
        })
    }
}

/// A scanned file, for those who may read the petition.
#[utoipa::path(get, path = "/api/v1/scans/{id}", operation_id = "downloadLetterScan", tag = "letters",
    params(("id" = String, Path, description = "Scan id")),
    responses((status = 200, content_type = "application/octet-stream", body = Vec<u8>), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn download_scan(
    State(state): S,
    ApiUser(u): ApiUser,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    Ok(scan_response(&state, &u, &id).await?)
}

pub async fn scan_response(
    state: &AppState,
    u: &auth::CurrentUser,
    id: &str,
) -> AppResult<Response> {
    let (scan, bytes) = svc::scan_file(state, u, id).await?;
    Ok(inline_file(
        &scan.content_type,
        "scan",
        &scan.file_name,
        bytes,
    ))
}

/// A stored file shown inline (scans, report attachments): its type, its name for saving, and
/// never cached.
pub fn inline_file(
    content_type: &str,
    fallback: &str,
    file_name: &str,
    bytes: Vec<u8>,
) -> Response {
    let disposition = format!(
        "inline; filename=\"{fallback}\"; filename*=UTF-8''{}",
        auth::urlencode(file_name)
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

/// Register money, securities, books, paintings or other things enclosed (kept in custody).
#[utoipa::path(post, path = "/api/v1/letters/{id}/enclosures", operation_id = "registerEnclosure", tag = "letters",
    params(("id" = String, Path, description = "Petition id")),
    request_body = EnclosureRequest,
    responses((status = 201, body = EnclosureJson), (status = 422, body = ErrorBody), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn register_enclosure(
    State(state): S,
    ApiUser(u): ApiUser,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<EnclosureRequest>,
) -> ApiResult<Response> {
    let e = svc::register_enclosure(&state, &u, &id, &to_input(&req)?).await?;
    Ok((StatusCode::CREATED, Json(enclosure_json(&e))).into_response())
}

/// Hand an enclosure on; refused without the receiver's signature.
#[utoipa::path(post, path = "/api/v1/enclosures/{id}/hand-over", operation_id = "handOverEnclosure", tag = "letters",
    params(("id" = String, Path, description = "Enclosure id")),
    request_body = HandOverRequest,
    responses((status = 200, body = EnclosureJson), (status = 422, body = ErrorBody), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn hand_over_enclosure(
    State(state): S,
    ApiUser(u): ApiUser,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<HandOverRequest>,
) -> ApiResult<Json<EnclosureJson>> {
    let e = svc::hand_over_enclosure(&state, &u, &id, &to_input(&req)?).await?;
    Ok(Json(enclosure_json(&e)))
}

/// Register an opened letter: all registration fields, plus joint / anonymous / forwarded /
/// leader-instructed details. The response lists earlier petitions by the same writer.
#[utoipa::path(post, path = "/api/v1/letters/{id}/registration", operation_id = "registerLetter", tag = "letters",
    params(("id" = String, Path, description = "Petition id")),
    request_body = RegisterLetterRequest,
    responses((status = 200, body = LetterJson), (status = 422, body = ErrorBody), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn register_letter(
    State(state): S,
    ApiUser(u): ApiUser,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<RegisterLetterRequest>,
) -> ApiResult<Json<LetterJson>> {
    let details = to_input(&req.letter)?;
    let input: RegistrationInput = req.registration.into();
    svc::register_letter(&state, &u, &id, &input, &details).await?;
    Ok(Json(letter_json(&state, &u, &id).await?))
}

/// Fill in the 来信办理单 (summary, proposed opinion) and send it to the deputy director; the
/// form is issued as a PDF.
#[utoipa::path(post, path = "/api/v1/letters/{id}/handling-form", operation_id = "submitHandlingForm", tag = "letters",
    params(("id" = String, Path, description = "Petition id")),
    request_body = HandlingFormRequest,
    responses((status = 200, body = LetterJson), (status = 422, body = ErrorBody), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn submit_handling_form(
    State(state): S,
    ApiUser(u): ApiUser,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<HandlingFormRequest>,
) -> ApiResult<Json<LetterJson>> {
    svc::submit_handling_form(&state, &u, &id, &to_input(&req)?).await?;
    Ok(Json(letter_json(&state, &u, &id).await?))
}

/// The deputy director's instruction (批示) on the 来信办理单: 受理 / 不予受理 / 不再受理.
#[utoipa::path(post, path = "/api/v1/letters/{id}/instruction", operation_id = "recordInstruction", tag = "letters",
    params(("id" = String, Path, description = "Petition id")),
    request_body = InstructionRequest,
    responses((status = 200, body = InstructionOutcome), (status = 422, body = ErrorBody), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn record_instruction(
    State(state): S,
    ApiUser(u): ApiUser,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<InstructionRequest>,
) -> ApiResult<Json<InstructionOutcome>> {
    Ok(Json(
        svc::record_instruction(&state, &u, &id, &to_input(&req)?).await?,
    ))
}

/// The notice to the writer within 15 days: by phone, in writing (issues the 受理 / 不予受理 /
/// 不再受理告知书), or "cannot notify" with the reason for anonymous letters or no address.
#[utoipa::path(post, path = "/api/v1/letters/{id}/notice", operation_id = "recordNotice", tag = "letters",
    params(("id" = String, Path, description = "Petition id")),
    request_body = NoticeRequest,
    responses((status = 200, body = NoticeOutcome), (status = 422, body = ErrorBody), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn record_notice(
    State(state): S,
    ApiUser(u): ApiUser,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<NoticeRequest>,
) -> ApiResult<Json<NoticeOutcome>> {
    Ok(Json(
        svc::record_notice(&state, &u, &id, &to_input(&req)?).await?,
    ))
}

/// Reference: the code lists of the mailroom.
#[derive(Serialize, ToSchema)]
pub struct MailroomCodesJson {
    /// (code, label)
    pub delivery_modes: Vec<(String, String)>,
    pub scan_parts: Vec<(String, String)>,
    pub enclosure_kinds: Vec<(String, String)>,
}

#[utoipa::path(get, path = "/api/v1/letters/codes", operation_id = "listMailroomCodes", tag = "reference",
    responses((status = 200, body = MailroomCodesJson)))]
pub async fn codes(ApiUser(_u): ApiUser) -> Json<MailroomCodesJson> {
    Json(MailroomCodesJson {
        delivery_modes: Delivery::ALL
            .iter()
            .map(|m| (m.as_str().into(), m.label_zh().into()))
            .collect(),
        scan_parts: ScanPart::ALL
            .iter()
            .map(|m| (m.as_str().into(), m.label_zh().into()))
            .collect(),
        enclosure_kinds: EnclosureKind::ALL
            .iter()
            .map(|m| (m.as_str().into(), m.label_zh().into()))
            .collect(),
    })
}

#[derive(OpenApi)]
#[openapi(
    tags((name = "letters", description = "来信：签收、拆封、扫描、随信物品、登记、来信办理单、批示、告知"))
)]
pub struct LettersDoc;

/// Routes under `/api/v1` (the upload route is separate: it has its own body limit).
pub fn routes() -> OpenApiRouter<Arc<AppState>> {
    OpenApiRouter::new()
        .routes(routes!(receive_letter, list_letters))
        .routes(routes!(codes))
        .routes(routes!(get_letter))
        .routes(routes!(record_opening))
        .routes(routes!(return_unopened))
        .routes(routes!(register_enclosure))
        .routes(routes!(hand_over_enclosure))
        .routes(routes!(register_letter))
        .routes(routes!(submit_handling_form))
        .routes(routes!(record_instruction))
        .routes(routes!(record_notice))
        .routes(routes!(download_scan))
}

/// The scan upload, outside the global 1 MB body limit.
pub fn upload_routes() -> OpenApiRouter<Arc<AppState>> {
    OpenApiRouter::new().routes(routes!(upload_scan))
}
