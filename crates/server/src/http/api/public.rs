//! The public side's API (issue 20). Under `/api/v1/public/` without a staff session (each
//! operation's `security` is empty): a one-time code, an online petition, a petition's status by
//! its query code and last four, the petitioner's documents, a rating, a 复查 request. And for
//! staff: the online intake queue, ratings taken by phone, the messages sent to a petitioner, the
//! message templates.

use std::sync::Arc;

use axum::Json;
use axum::extract::{Path, Request, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use utoipa::{OpenApi, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use xinfang_app::context::AppState;
use xinfang_app::outbox::{MessageView, TemplateInput};
use xinfang_app::public::{self as svc, Acknowledgement, CodeSent, OnlineQueueItem, RatingView};
use xinfang_domain::public::{OnlinePetitionInput, PublicStatus, RatingInput};

use super::ApiJson;
use crate::http::auth::{ApiUser, PublicCaller};
use crate::http::error::{ApiResult, AppError, ErrorBody};

type S = State<Arc<AppState>>;

#[derive(Serialize, Deserialize, ToSchema, Default)]
#[serde(default)]
pub struct PhoneCodeRequest {
    /// An 11-digit mainland mobile number
    pub phone: String,
}

/// An online petition (网上信访): real name, one matter.
#[derive(Serialize, Deserialize, ToSchema, Default)]
#[serde(default)]
pub struct OnlinePetitionRequest {
    pub name: String,
    /// resident_id | hk_macao_residence_permit | taiwan_residence_permit | foreign_permanent_resident | passport
    pub id_type: String,
    pub id_number: String,
    /// The mobile number the one-time code was sent to
    pub phone: String,
    /// The 6-digit one-time code
    pub phone_code: String,
    /// Optional: messages also by e-mail
    pub email: String,
    pub address: String,
    /// The township or street office of the matter: a township unit's id or a 9-digit code
    pub township: String,
    /// GB/T 2260 code of the place of the matter; empty: the bureau's county
    pub issue_region: String,
    pub summary: String,
    pub requests: String,
    pub consent_to_publish: bool,
    /// The petitioner confirms the form raises one matter (一事一诉)
    pub one_matter: bool,
}

impl From<OnlinePetitionRequest> for OnlinePetitionInput {
    fn from(r: OnlinePetitionRequest) -> Self {
        OnlinePetitionInput {
            name: r.name,
            id_type: r.id_type,
            id_number: r.id_number,
            phone: r.phone,
            phone_code: r.phone_code,
            email: r.email,
            address: r.address,
            township: r.township,
            issue_region: r.issue_region,
            summary: r.summary,
            requests: r.requests,
            consent_to_publish: r.consent_to_publish,
            one_matter: r.one_matter,
        }
    }
}

#[derive(Serialize, Deserialize, ToSchema, Default)]
#[serde(default)]
pub struct StatusQuery {
    /// The query code on the slip or in the acknowledgement (8 characters)
    pub query_code: String,
    /// The last four characters of the petitioner's ID number or phone
    pub last4: String,
}

#[derive(Serialize, Deserialize, ToSchema, Default)]
#[serde(default)]
pub struct DocumentQuery {
    pub query_code: String,
    pub last4: String,
    pub document_id: String,
}

#[derive(Serialize, Deserialize, ToSchema, Default)]
#[serde(default)]
pub struct RatingRequest {
    pub query_code: String,
    pub last4: String,
    /// A level of the scale for the bureau (default 满意 / 基本满意 / 不满意)
    pub bureau: String,
    /// A level for the handling unit, when a unit handled it
    pub unit: String,
    pub comment: String,
}

#[derive(Serialize, Deserialize, ToSchema, Default)]
#[serde(default)]
pub struct ReexaminationRequest {
    pub query_code: String,
    pub last4: String,
    pub reason: String,
}

#[derive(Serialize, ToSchema)]
pub struct PublicDocumentJson {
    pub id: String,
    pub title: String,
    pub doc_no: Option<String>,
    pub issued_on: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct PublicOpinionJson {
    pub unit: Option<String>,
    /// 支持 / 解释 / 不予支持
    pub decision: String,
    /// The reply to the petitioner
    pub reply: String,
    pub served_on: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct PublicAppealJson {
    /// 复查 / 复核
    pub level: String,
    pub requested_on: String,
    pub opinion: Option<String>,
    pub opinion_on: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct RatingOfferJson {
    pub until: String,
    /// bureau, and unit when a unit handled it
    pub subjects: Vec<String>,
    pub unit: Option<String>,
    pub levels: Vec<String>,
}

/// What a petitioner may know of a petition: the stage in plain words, the dates, the documents
/// and opinions meant for them; never names, staff or internal notes.
#[derive(Serialize, ToSchema)]
pub struct PublicStatusJson {
    pub petition_no: Option<String>,
    pub channel: String,
    pub stage: String,
    /// The stage in a citizen's words
    pub stage_label: String,
    pub received_on: String,
    pub decided_on: Option<String>,
    pub closed_on: Option<String>,
    pub documents: Vec<PublicDocumentJson>,
    pub opinions: Vec<PublicOpinionJson>,
    pub appeals: Vec<PublicAppealJson>,
    /// What may be rated now, until when
    pub rating: Option<RatingOfferJson>,
    pub rated: bool,
    /// The last day a 复查 may be requested online
    pub reexamination_until: Option<String>,
}

impl From<PublicStatus> for PublicStatusJson {
    fn from(s: PublicStatus) -> Self {
        PublicStatusJson {
            petition_no: s.petition_no,
            channel: s.channel,
            stage: s.stage,
            stage_label: s.stage_label,
            received_on: s.received_on,
            decided_on: s.decided_on,
            closed_on: s.closed_on,
            documents: s
                .documents
                .into_iter()
                .map(|d| PublicDocumentJson {
                    id: d.id,
                    title: d.title,
                    doc_no: d.doc_no,
                    issued_on: d.issued_on,
                })
                .collect(),
            opinions: s
                .opinions
                .into_iter()
                .map(|o| PublicOpinionJson {
                    unit: o.unit,
                    decision: o.decision,
                    reply: o.reply,
                    served_on: o.served_on,
                })
                .collect(),
            appeals: s
                .appeals
                .into_iter()
                .map(|a| PublicAppealJson {
                    level: a.level,
                    requested_on: a.requested_on,
                    opinion: a.opinion,
                    opinion_on: a.opinion_on,
                })
                .collect(),
            rating: s.rating.map(|r| RatingOfferJson {
                until: r.until,
                subjects: r.subjects,
                unit: r.unit,
                levels: r.levels,
            }),
            rated: s.rated,
            reexamination_until: s.reexamination_until,
        }
    }
}

/// Sends a one-time code to a mobile phone (by SMS, through the outbox).
#[utoipa::path(post, path = "/api/v1/public/phone-codes", operation_id = "requestPhoneCode", tag = "public",
    security(()), request_body = PhoneCodeRequest,
    responses((status = 200, body = CodeSent), (status = 422, body = ErrorBody), (status = 429, body = ErrorBody)))]
pub async fn request_phone_code(
    State(state): S,
    PublicCaller(caller): PublicCaller,
    ApiJson(req): ApiJson<PhoneCodeRequest>,
) -> ApiResult<Json<CodeSent>> {
    Ok(Json(
        svc::request_phone_code(&state, &caller, &req.phone).await?,
    ))
}

/// Submits an online petition: JSON, or `multipart/form-data` with the field `petition` (this
/// JSON) and up to five `file` fields (PDF, JPEG, PNG or TIFF, checked by content). Answers the
/// query code.
#[utoipa::path(post, path = "/api/v1/public/petitions", operation_id = "submitOnlinePetition", tag = "public",
    security(()), request_body = OnlinePetitionRequest,
    responses((status = 201, body = Acknowledgement), (status = 422, body = ErrorBody), (status = 429, body = ErrorBody)))]
pub async fn submit_online_petition(
    State(state): S,
    PublicCaller(caller): PublicCaller,
    req: Request,
) -> ApiResult<Response> {
    let multipart = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|c| c.starts_with("multipart/form-data"));
    let (input, files) = if multipart {
        let (values, files) = crate::http::pages::public::read_petition_form(&state, req).await?;
        let input = match values.get("petition") {
            Some(json) => serde_json::from_str::<OnlinePetitionRequest>(json)
                .map_err(|e| {
                    AppError::field(
                        "petition",
                        "invalid_json",
                        format!("字段 petition 不是有效的 JSON：{e}"),
                    )
                })?
                .into(),
            None => crate::http::pages::public::petition_input(&values),
        };
        (input, files)
    } else {
        let bytes = super::read_limited_body(req.into_body(), crate::http::MAX_FORM_BYTES)
            .await
            .map_err(|_| AppError::field("body", "too_large", "提交的内容过大"))?;
        let r: OnlinePetitionRequest = serde_json::from_slice(&bytes).map_err(|e| {
            AppError::field(
                "body",
                "invalid_json",
                format!("请求体不是有效的 JSON：{e}"),
            )
        })?;
        (r.into(), Vec::new())
    };
    let ack = svc::submit(&state, &caller, &input, &files).await?;
    Ok((StatusCode::CREATED, Json(ack)).into_response())
}

/// A petition's status by its query code and the last four characters of the petitioner's ID
/// number or phone. A wrong code and a wrong last four both answer 404; too many tries 429.
#[utoipa::path(post, path = "/api/v1/public/status", operation_id = "queryPetitionStatus", tag = "public",
    security(()), request_body = StatusQuery,
    responses((status = 200, body = PublicStatusJson), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody), (status = 429, body = ErrorBody)))]
pub async fn query_petition_status(
    State(state): S,
    PublicCaller(caller): PublicCaller,
    ApiJson(q): ApiJson<StatusQuery>,
) -> ApiResult<Json<PublicStatusJson>> {
    Ok(Json(
        svc::query(&state, &caller, &q.query_code, &q.last4)
            .await?
            .into(),
    ))
}

/// One of the documents meant for the petitioner, as a PDF.
#[utoipa::path(post, path = "/api/v1/public/documents", operation_id = "downloadPetitionerDocument", tag = "public",
    security(()), request_body = DocumentQuery,
    responses((status = 200, content_type = "application/pdf", body = Vec<u8>), (status = 404, body = ErrorBody), (status = 429, body = ErrorBody)))]
pub async fn download_document(
    State(state): S,
    PublicCaller(caller): PublicCaller,
    ApiJson(q): ApiJson<DocumentQuery>,
) -> ApiResult<Response> {
    let (name, bytes) =
        svc::document(&state, &caller, &q.query_code, &q.last4, &q.document_id).await?;
    Ok(crate::http::pages::public::pdf(&name, bytes))
}

/// Rates the bureau and the handling unit, within the window after the handling opinion's
/// delivery.
#[utoipa::path(post, path = "/api/v1/public/ratings", operation_id = "ratePetition", tag = "public",
    security(()), request_body = RatingRequest,
    responses((status = 200, body = PublicStatusJson), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody), (status = 429, body = ErrorBody)))]
pub async fn rate_petition(
    State(state): S,
    PublicCaller(caller): PublicCaller,
    ApiJson(r): ApiJson<RatingRequest>,
) -> ApiResult<Json<PublicStatusJson>> {
    let input = RatingInput {
        bureau: r.bureau,
        unit: r.unit,
        comment: r.comment,
    };
    Ok(Json(
        svc::rate(&state, &caller, &r.query_code, &r.last4, &input)
            .await?
            .into(),
    ))
}

/// Asks for 复查 within 30 days of receiving the handling opinion.
#[utoipa::path(post, path = "/api/v1/public/reexaminations", operation_id = "requestReexaminationOnline", tag = "public",
    security(()), request_body = ReexaminationRequest,
    responses((status = 200, body = PublicStatusJson), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody), (status = 429, body = ErrorBody)))]
pub async fn request_reexamination(
    State(state): S,
    PublicCaller(caller): PublicCaller,
    ApiJson(r): ApiJson<ReexaminationRequest>,
) -> ApiResult<Json<PublicStatusJson>> {
    Ok(Json(
        svc::request_reexamination(
            &state,
            &caller,
            &r.query_code,
            &r.last4,
            &svc::ReexaminationInput { reason: r.reason },
        )
        .await?
        .into(),
    ))
}

/// Online petitions waiting to be registered, with their possible repeats (the configured role,
/// default the letter clerk).
#[utoipa::path(get, path = "/api/v1/online-petitions", operation_id = "listOnlineIntake", tag = "letters",
    responses((status = 200, body = [OnlineQueueItem]), (status = 403, body = ErrorBody)))]
pub async fn list_online_intake(
    State(state): S,
    ApiUser(u): ApiUser,
) -> ApiResult<Json<Vec<OnlineQueueItem>>> {
    Ok(Json(svc::online_queue(&state, &u).await?))
}

/// The messages sent to a petition's petitioner, with every attempt.
#[utoipa::path(get, path = "/api/v1/petitions/{id}/messages", operation_id = "listPetitionMessages", tag = "petitions",
    params(("id" = String, Path, description = "Petition id")),
    responses((status = 200, body = [MessageView]), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn list_messages(
    State(state): S,
    ApiUser(u): ApiUser,
    Path(id): Path<String>,
) -> ApiResult<Json<Vec<MessageView>>> {
    Ok(Json(
        xinfang_app::outbox::messages_of(&state, &u, &id).await?,
    ))
}

#[derive(Serialize, Deserialize, ToSchema, Default)]
#[serde(default)]
pub struct PhoneRatingRequest {
    pub bureau: String,
    pub unit: String,
    pub comment: String,
}

/// A petition's satisfaction ratings.
#[utoipa::path(get, path = "/api/v1/petitions/{id}/ratings", operation_id = "listPetitionRatings", tag = "petitions",
    params(("id" = String, Path, description = "Petition id")),
    responses((status = 200, body = [RatingView]), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn list_ratings(
    State(state): S,
    ApiUser(u): ApiUser,
    Path(id): Path<String>,
) -> ApiResult<Json<Vec<RatingView>>> {
    Ok(Json(svc::ratings_of(&state, &u, &id).await?))
}

/// Records a rating the petitioner gave by phone; 不满意 opens a follow-up task for the office.
#[utoipa::path(post, path = "/api/v1/petitions/{id}/ratings", operation_id = "recordPhoneRating", tag = "petitions",
    params(("id" = String, Path, description = "Petition id")), request_body = PhoneRatingRequest,
    responses((status = 201, body = [RatingView]), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn record_phone_rating(
    State(state): S,
    ApiUser(u): ApiUser,
    Path(id): Path<String>,
    ApiJson(r): ApiJson<PhoneRatingRequest>,
) -> ApiResult<Response> {
    let input = RatingInput {
        bureau: r.bureau,
        unit: r.unit,
        comment: r.comment,
    };
    let v = svc::record_phone_rating(&state, &u, &id, &input).await?;
    Ok((StatusCode::CREATED, Json(v)).into_response())
}

#[derive(Serialize, ToSchema)]
pub struct TemplateJson {
    /// phone_code | query_code | acceptance_decision | reply_ready | rating_invitation
    pub kind: String,
    pub label: String,
    pub subject: String,
    pub body: String,
    /// The placeholders the text may use
    pub placeholders: Vec<String>,
}

fn template_json(
    kind: xinfang_domain::outbox::MessageKind,
    t: xinfang_domain::outbox::Template,
) -> TemplateJson {
    TemplateJson {
        kind: kind.as_str().into(),
        label: kind.label_zh().into(),
        subject: t.subject,
        body: t.body,
        placeholders: kind.placeholders().iter().map(|p| p.to_string()).collect(),
    }
}

/// The wording of each kind of message to petitioners.
#[utoipa::path(get, path = "/api/v1/message-templates", operation_id = "listMessageTemplates", tag = "admin",
    responses((status = 200, body = [TemplateJson]), (status = 403, body = ErrorBody)))]
pub async fn list_templates(
    State(state): S,
    ApiUser(u): ApiUser,
) -> ApiResult<Json<Vec<TemplateJson>>> {
    u.require(&[xinfang_domain::role::Role::Admin])?;
    Ok(Json(
        xinfang_app::outbox::templates(&state)
            .await?
            .into_iter()
            .map(|(k, t)| template_json(k, t))
            .collect(),
    ))
}

/// Edits a kind's wording (the system administrator).
#[utoipa::path(put, path = "/api/v1/message-templates/{kind}", operation_id = "saveMessageTemplate", tag = "admin",
    params(("kind" = String, Path, description = "Message kind")), request_body = TemplateInput,
    responses((status = 200, body = TemplateJson), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn save_template(
    State(state): S,
    ApiUser(u): ApiUser,
    Path(kind): Path<String>,
    ApiJson(r): ApiJson<TemplateInput>,
) -> ApiResult<Json<TemplateJson>> {
    let t = xinfang_app::outbox::save_template(&state, &u, &kind, &r).await?;
    let k = xinfang_domain::outbox::MessageKind::parse(&kind)
        .unwrap_or(xinfang_domain::outbox::MessageKind::QueryCode);
    Ok(Json(template_json(k, t)))
}

#[derive(OpenApi)]
#[openapi(components(schemas(ErrorBody)))]
pub struct PublicApi;

pub fn routes() -> OpenApiRouter<Arc<AppState>> {
    OpenApiRouter::new()
        .routes(routes!(request_phone_code))
        .routes(routes!(query_petition_status))
        .routes(routes!(download_document))
        .routes(routes!(rate_petition))
        .routes(routes!(request_reexamination))
        .routes(routes!(list_online_intake))
        .routes(routes!(list_messages))
        .routes(routes!(list_ratings, record_phone_rating))
        .routes(routes!(list_templates))
        .routes(routes!(save_template))
}

/// The public operations, for an instance that serves only the public site.
pub fn public_routes() -> OpenApiRouter<Arc<AppState>> {
    OpenApiRouter::new()
        .routes(routes!(request_phone_code))
        .routes(routes!(query_petition_status))
        .routes(routes!(download_document))
        .routes(routes!(rate_petition))
        .routes(routes!(request_reexamination))
        .merge(super::archives::public_routes())
}

/// The online petition with its attachments: outside the global body limit.
pub fn upload_routes() -> OpenApiRouter<Arc<AppState>> {
    OpenApiRouter::new().routes(routes!(submit_online_petition))
}
