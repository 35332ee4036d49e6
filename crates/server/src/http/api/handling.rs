//! API for dispositions, approvals, the handling units' steps, review, closing, appeals,
//! leader instructions, obligations, query replies and incidents (issue 4).

use std::sync::Arc;

use axum::Json;
use axum::extract::{Path, Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use utoipa::{OpenApi, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::ApiJson;
use crate::http::auth::ApiUser;
use crate::http::error::{ApiResult, AppResult, ErrorBody};
use xinfang_app::context::AppState;
use xinfang_app::handling::{
    self, AppealInput, AppealOpinionInput, ApprovalDecisionInput, ClosureOutcome, DestructionInput,
    DispositionInput, DispositionOutcome, ExtensionInput, FulfilInput, LeaderInstructionInput,
    MeetingInput, ObjectionInput, ObjectionRulingInput, QueryReplyInput, ReportInput, ReviewInput,
    UnitStepInput,
};

type S = State<Arc<AppState>>;

#[derive(Serialize, ToSchema)]
pub struct CreatedJson {
    pub id: String,
}

#[derive(Serialize, ToSchema)]
pub struct StateJson {
    /// The new state (stage of the petition, or of the handling record, or of the approval).
    pub state: String,
}

fn created(id: String) -> Response {
    (StatusCode::CREATED, Json(CreatedJson { id })).into_response()
}

#[derive(Serialize, ToSchema)]
pub struct ApprovalJson {
    pub id: String,
    /// Null for an approval of the bureau's own (no petition).
    pub petition_id: Option<String>,
    pub handling_record_id: Option<String>,
    /// `assignment`, `transfer`, `direct_reply`, `redo`, `supplement`, `closure`, `extension`,
    /// `destruction`, `written_query_reply`.
    pub gate: String,
    pub gate_label: String,
    pub summary: String,
    pub proposed_by: String,
    pub proposed_at: String,
    pub state: String,
    pub decided_by: Option<String>,
    pub decided_at: Option<String>,
    /// The approver's opinion; an acting approver's begins with whose place it took.
    pub comment: String,
}

pub fn approval_json(a: &xinfang_store::handling::ApprovalRow) -> ApprovalJson {
    ApprovalJson {
        id: a.id.clone(),
        petition_id: a.petition_id.clone(),
        handling_record_id: a.handling_record_id.clone(),
        gate: a.gate.clone(),
        gate_label: xinfang_domain::approval::Gate::parse(&a.gate)
            .map(|g| g.label_zh())
            .unwrap_or_default()
            .into(),
        summary: a.summary.clone(),
        proposed_by: a.proposed_by.clone(),
        proposed_at: a.proposed_at.clone(),
        state: a.state.clone(),
        decided_by: a.decided_by.clone(),
        decided_at: a.decided_at.clone(),
        comment: a.comment.clone(),
    }
}

/// Propose the way of handling (拟办). Gated ways (交办, 转送, 直接答复) return an approval id
/// and wait for the approver; the others take effect at once.
#[utoipa::path(post, path = "/api/v1/petitions/{id}/disposition", operation_id = "proposeDisposition", tag = "handling",
    params(("id" = String, Path, description = "Petition id")), request_body = DispositionInput,
    responses((status = 200, body = DispositionOutcome), (status = 422, body = ErrorBody), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn propose_disposition(
    State(state): S,
    ApiUser(u): ApiUser,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<DispositionInput>,
) -> ApiResult<Json<DispositionOutcome>> {
    Ok(Json(
        handling::propose_disposition(&state, &u, &id, &req).await?,
    ))
}

/// The approval requests waiting for the current user.
#[utoipa::path(get, path = "/api/v1/approvals", operation_id = "listApprovals", tag = "handling",
    responses((status = 200, body = Vec<ApprovalJson>)))]
pub async fn list_approvals(
    State(state): S,
    ApiUser(u): ApiUser,
) -> ApiResult<Json<Vec<ApprovalJson>>> {
    let rows = handling::my_approvals(&state, &u).await?;
    Ok(Json(rows.iter().map(approval_json).collect()))
}

/// Accept or reject one approval request; accepting makes its action so.
#[utoipa::path(post, path = "/api/v1/approvals/{id}", operation_id = "approve", tag = "handling",
    params(("id" = String, Path, description = "Approval id")), request_body = ApprovalDecisionInput,
    responses((status = 200, body = StateJson), (status = 422, body = ErrorBody), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn approve(
    State(state): S,
    ApiUser(u): ApiUser,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<ApprovalDecisionInput>,
) -> ApiResult<Json<StateJson>> {
    let s = handling::decide_approval(&state, &u, &id, &req).await?;
    Ok(Json(StateJson { state: s }))
}

#[derive(Serialize, ToSchema)]
pub struct InboxJson {
    pub record_id: String,
    pub petition_id: String,
    pub petition_no: String,
    pub summary: String,
    /// `assignment` (交办) or `transfer` (转送).
    pub kind: String,
    pub lead: bool,
    pub state: String,
    pub notify_due: Option<String>,
    pub object_due: Option<String>,
    pub due_on: Option<String>,
}

/// The handling unit's inbox: its open records.
#[utoipa::path(get, path = "/api/v1/inbox", operation_id = "unitInbox", tag = "handling",
    responses((status = 200, body = Vec<InboxJson>), (status = 403, body = ErrorBody)))]
pub async fn unit_inbox(State(state): S, ApiUser(u): ApiUser) -> ApiResult<Json<Vec<InboxJson>>> {
    let rows = handling::unit_inbox(&state, &u).await?;
    Ok(Json(
        rows.into_iter()
            .map(|r| InboxJson {
                record_id: r.id,
                petition_id: r.petition_id,
                petition_no: r.petition_no,
                summary: r.summary,
                kind: r.kind,
                lead: r.lead != 0,
                state: r.state,
                notify_due: r.notify_due,
                object_due: r.object_due,
                due_on: r.due_on,
            })
            .collect(),
    ))
}

/// 签收 (`action` = `sign_for`) or 受理 (`accept`, with how the petitioner was told).
#[utoipa::path(post, path = "/api/v1/handling-records/{id}/receive", operation_id = "unitReceive", tag = "handling",
    params(("id" = String, Path, description = "Handling record id")), request_body = UnitStepInput,
    responses((status = 200, body = StateJson), (status = 422, body = ErrorBody), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn unit_receive(
    State(state): S,
    ApiUser(u): ApiUser,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<UnitStepInput>,
) -> ApiResult<Json<StateJson>> {
    Ok(Json(StateJson {
        state: handling::unit_receive(&state, &u, &id, &req).await?,
    }))
}

/// Object that the matter is not the unit's business (within 5 working days of receipt).
#[utoipa::path(post, path = "/api/v1/handling-records/{id}/objection", operation_id = "unitObject", tag = "handling",
    params(("id" = String, Path, description = "Handling record id")), request_body = ObjectionInput,
    responses((status = 200, body = StateJson), (status = 422, body = ErrorBody), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn unit_object(
    State(state): S,
    ApiUser(u): ApiUser,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<ObjectionInput>,
) -> ApiResult<Json<StateJson>> {
    Ok(Json(StateJson {
        state: handling::unit_object(&state, &u, &id, &req).await?,
    }))
}

/// The bureau rules on a unit's objection.
#[utoipa::path(post, path = "/api/v1/handling-records/{id}/objection-ruling", operation_id = "ruleObjection", tag = "handling",
    params(("id" = String, Path, description = "Handling record id")), request_body = ObjectionRulingInput,
    responses((status = 200, body = StateJson), (status = 422, body = ErrorBody), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn rule_objection(
    State(state): S,
    ApiUser(u): ApiUser,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<ObjectionRulingInput>,
) -> ApiResult<Json<StateJson>> {
    Ok(Json(StateJson {
        state: handling::rule_objection(&state, &u, &id, &req).await?,
    }))
}

/// Ask for an extension (at most 30 days, once, before expiry); the unit's head approves.
#[utoipa::path(post, path = "/api/v1/handling-records/{id}/extension", operation_id = "requestExtension", tag = "handling",
    params(("id" = String, Path, description = "Handling record id")), request_body = ExtensionInput,
    responses((status = 201, body = CreatedJson), (status = 422, body = ErrorBody), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn request_extension(
    State(state): S,
    ApiUser(u): ApiUser,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<ExtensionInput>,
) -> ApiResult<Response> {
    Ok(created(
        handling::request_extension(&state, &u, &id, &req).await?,
    ))
}

/// Submit a handling report (汇报材料), or the bureau's own result when `record_id` is empty.
#[utoipa::path(post, path = "/api/v1/petitions/{id}/reports", operation_id = "submitHandlingReport", tag = "handling",
    params(("id" = String, Path, description = "Petition id")), request_body = ReportInput,
    responses((status = 201, body = CreatedJson), (status = 422, body = ErrorBody), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn submit_handling_report(
    State(state): S,
    ApiUser(u): ApiUser,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<ReportInput>,
) -> ApiResult<Response> {
    Ok(created(
        handling::submit_report(&state, &u, &id, &req).await?,
    ))
}

/// Review a report: ten findings; a failed one sends it back (redo / supplement) once approved.
#[utoipa::path(post, path = "/api/v1/reports/{id}/review", operation_id = "reviewReport", tag = "handling",
    params(("id" = String, Path, description = "Report id")), request_body = ReviewInput,
    responses((status = 200, body = StateJson), (status = 422, body = ErrorBody), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn review_report(
    State(state): S,
    ApiUser(u): ApiUser,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<ReviewInput>,
) -> ApiResult<Json<StateJson>> {
    Ok(Json(StateJson {
        state: handling::review_report(&state, &u, &id, &req).await?,
    }))
}

#[derive(Deserialize, Default, ToSchema)]
#[serde(default)]
pub struct CloseRequest {
    /// `propose` (结案, needs the conditions; the deputy director approves) or `deregister` (销案).
    pub action: String,
}

/// Propose closing (refused with the missing conditions listed), or deregister a closed petition.
#[utoipa::path(post, path = "/api/v1/petitions/{id}/closure", operation_id = "closePetition", tag = "handling",
    params(("id" = String, Path, description = "Petition id")), request_body = CloseRequest,
    responses((status = 200, body = ClosureOutcome), (status = 422, body = ErrorBody), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn close_petition(
    State(state): S,
    ApiUser(u): ApiUser,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<CloseRequest>,
) -> ApiResult<Json<ClosureOutcome>> {
    Ok(Json(
        handling::close_petition(&state, &u, &id, &req.action).await?,
    ))
}

/// Register a 复查 or 复核 request (refused when late, with the day the window closed).
#[utoipa::path(post, path = "/api/v1/petitions/{id}/appeals", operation_id = "requestAppeal", tag = "handling",
    params(("id" = String, Path, description = "Petition id")), request_body = AppealInput,
    responses((status = 201, body = CreatedJson), (status = 422, body = ErrorBody), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn request_appeal(
    State(state): S,
    ApiUser(u): ApiUser,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<AppealInput>,
) -> ApiResult<Response> {
    Ok(created(
        handling::request_appeal(&state, &u, &id, &req).await?,
    ))
}

/// Record the 复查 / 复核 opinion and its dates.
#[utoipa::path(post, path = "/api/v1/petitions/{id}/appeals/{appeal_id}/opinion", operation_id = "recordAppealOpinion", tag = "handling",
    params(("id" = String, Path, description = "Petition id"), ("appeal_id" = String, Path, description = "Appeal id")),
    request_body = AppealOpinionInput,
    responses((status = 200, body = CreatedJson), (status = 422, body = ErrorBody), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn record_appeal_opinion(
    State(state): S,
    ApiUser(u): ApiUser,
    Path((id, appeal_id)): Path<(String, String)>,
    ApiJson(req): ApiJson<AppealOpinionInput>,
) -> ApiResult<Json<CreatedJson>> {
    Ok(Json(CreatedJson {
        id: handling::record_appeal_opinion(&state, &u, &id, &appeal_id, &req).await?,
    }))
}

/// Record a local leader's instruction (批示); the report back becomes an obligation.
#[utoipa::path(post, path = "/api/v1/petitions/{id}/leader-instructions", operation_id = "recordLeaderInstruction", tag = "handling",
    params(("id" = String, Path, description = "Petition id")), request_body = LeaderInstructionInput,
    responses((status = 201, body = CreatedJson), (status = 422, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn record_leader_instruction(
    State(state): S,
    ApiUser(u): ApiUser,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<LeaderInstructionInput>,
) -> ApiResult<Response> {
    Ok(created(
        handling::record_leader_instruction(&state, &u, &id, &req).await?,
    ))
}

/// Mark an obligation done.
#[utoipa::path(post, path = "/api/v1/petitions/{id}/obligations/{obligation_id}", operation_id = "fulfilObligation", tag = "handling",
    params(("id" = String, Path, description = "Petition id"), ("obligation_id" = String, Path, description = "Obligation id")),
    request_body = FulfilInput,
    responses((status = 204), (status = 422, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn fulfil_obligation(
    State(state): S,
    ApiUser(u): ApiUser,
    Path((id, ob)): Path<(String, String)>,
    ApiJson(req): ApiJson<FulfilInput>,
) -> ApiResult<StatusCode> {
    handling::fulfil_obligation(&state, &u, &id, &ob, &req).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Answer a petitioner's query: oral (recorded) or written (approved by a leader).
#[utoipa::path(post, path = "/api/v1/petitions/{id}/query-replies", operation_id = "recordQueryReply", tag = "handling",
    params(("id" = String, Path, description = "Petition id")), request_body = QueryReplyInput,
    responses((status = 201, body = CreatedJson), (status = 422, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn record_query_reply(
    State(state): S,
    ApiUser(u): ApiUser,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<QueryReplyInput>,
) -> ApiResult<Response> {
    Ok(created(
        handling::record_query_reply(&state, &u, &id, &req).await?,
    ))
}

/// Record an incident: an abnormal behaviour or a special visitor, and what was done.
#[utoipa::path(post, path = "/api/v1/petitions/{id}/incidents", operation_id = "recordIncident", tag = "handling",
    params(("id" = String, Path, description = "Petition id")), request_body = IncidentRequest,
    responses((status = 201, body = CreatedJson), (status = 422, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn record_incident(
    State(state): S,
    ApiUser(u): ApiUser,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<IncidentRequest>,
) -> ApiResult<Response> {
    let input = xinfang_domain::incident::IncidentInput {
        kind: req.kind,
        measures: req.measures,
        emergency: req.emergency,
        note: req.note,
        occurred_at: req.occurred_at,
        petitioner_id: req.petitioner_id,
    };
    Ok(created(
        handling::record_incident(&state, &u, &id, &input).await?,
    ))
}

/// An incident at the reception (异常情况处置).
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct IncidentRequest {
    /// illegal_gathering | dangerous_items | assault_or_threat | lingering | inciting |
    /// other_disturbance | sudden_illness | infectious_disease | homeless_or_mentally_ill |
    /// self_harm
    pub kind: String,
    /// In the order taken: dissuaded | criticised | educated | police (the six behaviours);
    /// call_120 | sent_to_hospital | health_authority | locality_petition_office |
    /// civil_affairs | call_110 (the special visitors, each its own); other (described in note)
    pub measures: Vec<String>,
    /// weapons | violence | self_harm, when the police were called at once without dissuading
    pub emergency: String,
    pub note: String,
    /// YYYY-MM-DD HH:MM, China Standard Time
    pub occurred_at: String,
    /// The visitor concerned (a petitioner of this petition), if known
    pub petitioner_id: String,
}

/// Propose destroying a set-aside letter; a leader approves and the register keeps the entry.
#[utoipa::path(post, path = "/api/v1/petitions/{id}/destruction", operation_id = "proposeDestruction", tag = "handling",
    params(("id" = String, Path, description = "Petition id")), request_body = DestructionInput,
    responses((status = 201, body = CreatedJson), (status = 422, body = ErrorBody), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn propose_destruction(
    State(state): S,
    ApiUser(u): ApiUser,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<DestructionInput>,
) -> ApiResult<Response> {
    Ok(created(
        handling::propose_destruction(&state, &u, &id, &req).await?,
    ))
}

/// Record a coordination meeting: date, place, participants, outcome.
#[utoipa::path(post, path = "/api/v1/petitions/{id}/coordination-meetings", operation_id = "recordCoordinationMeeting", tag = "handling",
    params(("id" = String, Path, description = "Petition id")), request_body = MeetingInput,
    responses((status = 201, body = CreatedJson), (status = 422, body = ErrorBody), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn record_meeting(
    State(state): S,
    ApiUser(u): ApiUser,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<MeetingInput>,
) -> ApiResult<Response> {
    Ok(created(
        handling::record_meeting(&state, &u, &id, &req).await?,
    ))
}

#[derive(Serialize, Deserialize, ToSchema)]
pub struct GateJson {
    pub gate: String,
    pub label: String,
    /// Roles that approve it (role identifiers).
    pub roles: Vec<String>,
}

/// Who approves each gate in this bureau.
#[utoipa::path(get, path = "/api/v1/approval-gates", operation_id = "listApprovalGates", tag = "handling",
    responses((status = 200, body = Vec<GateJson>)))]
pub async fn list_gates(State(state): S, ApiUser(_u): ApiUser) -> ApiResult<Json<Vec<GateJson>>> {
    Ok(Json(
        handling::gate_approvers(&state)
            .await?
            .into_iter()
            .map(|(g, roles)| GateJson {
                gate: g.as_str().into(),
                label: g.label_zh().into(),
                roles: roles.iter().map(|r| r.as_str().into()).collect(),
            })
            .collect(),
    ))
}

#[derive(Deserialize, ToSchema)]
pub struct GateRequest {
    pub roles: Vec<String>,
}

/// Change who approves a gate (administrators).
#[utoipa::path(put, path = "/api/v1/approval-gates/{gate}", operation_id = "updateApprovalGate", tag = "handling",
    params(("gate" = String, Path, description = "Gate")), request_body = GateRequest,
    responses((status = 204), (status = 422, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn update_gate(
    State(state): S,
    ApiUser(u): ApiUser,
    Path(gate): Path<String>,
    ApiJson(req): ApiJson<GateRequest>,
) -> ApiResult<StatusCode> {
    handling::set_gate_approvers(&state, &u, &gate, &req.roles).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Serialize, ToSchema)]
pub struct ReportAttachmentJson {
    pub id: String,
    pub report_id: String,
    pub file_name: String,
    pub content_type: String,
    pub size_bytes: i64,
    pub sha256: String,
    pub uploaded_at: String,
    pub download_url: String,
}

pub fn report_attachment_json(
    a: &xinfang_store::handling::ReportAttachmentRow,
) -> ReportAttachmentJson {
    ReportAttachmentJson {
        id: a.id.clone(),
        report_id: a.report_id.clone(),
        file_name: a.file_name.clone(),
        content_type: a.content_type.clone(),
        size_bytes: a.size_bytes,
        sha256: a.sha256.clone(),
        uploaded_at: a.uploaded_at.clone(),
        download_url: format!("/api/v1/report-attachments/{}", a.id),
    }
}

/// Attach a file to a handling report (the signed written reply, the petitioner's receipt,
/// investigation records): PDF, JPEG, PNG or TIFF, checked by content, up to the upload limit;
/// only by whoever submitted the report, before it is reviewed. The body is the file itself, or
/// `multipart/form-data` with a `file` field.
#[utoipa::path(post, path = "/api/v1/reports/{id}/attachments", operation_id = "attachReportFile", tag = "handling",
    params(("id" = String, Path, description = "Report id"), super::ScanQuery),
    request_body(content = Vec<u8>, content_type = "application/octet-stream"),
    responses((status = 201, body = ReportAttachmentJson), (status = 422, body = ErrorBody), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn attach_report_file(
    State(state): S,
    ApiUser(u): ApiUser,
    Path(id): Path<String>,
    crate::http::api::ApiQuery(q): crate::http::api::ApiQuery<super::ScanQuery>,
    req: Request,
) -> ApiResult<Response> {
    handling::check_report_upload(&state, &u, &id).await?;
    let up = super::read_upload(&state, &u, req, q).await?;
    let a = handling::attach_report_file(&state, &u, &id, &up.file_name, &up.bytes).await?;
    Ok((StatusCode::CREATED, Json(report_attachment_json(&a))).into_response())
}

/// A report's attached file, for those who may read the petition.
#[utoipa::path(get, path = "/api/v1/report-attachments/{id}", operation_id = "downloadReportAttachment", tag = "handling",
    params(("id" = String, Path, description = "Attachment id")),
    responses((status = 200, content_type = "application/octet-stream", body = Vec<u8>), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn download_report_file(
    State(state): S,
    ApiUser(u): ApiUser,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    Ok(report_file_response(&state, &u, &id).await?)
}

pub async fn report_file_response(
    state: &AppState,
    u: &xinfang_app::auth::CurrentUser,
    id: &str,
) -> AppResult<Response> {
    let (a, bytes) = handling::report_file(state, u, id).await?;
    Ok(super::inline_file(
        &a.content_type,
        "attachment",
        &a.file_name,
        bytes,
    ))
}

/// The report attachment upload, outside the global 1 MB body limit.
pub fn upload_routes() -> OpenApiRouter<Arc<AppState>> {
    OpenApiRouter::new().routes(routes!(attach_report_file))
}

#[derive(OpenApi)]
#[openapi(components(schemas(xinfang_app::handling::UnitChoice)))]
pub struct HandlingApi;

pub fn routes() -> OpenApiRouter<Arc<AppState>> {
    OpenApiRouter::new()
        .routes(routes!(propose_disposition))
        .routes(routes!(list_approvals))
        .routes(routes!(approve))
        .routes(routes!(unit_inbox))
        .routes(routes!(unit_receive))
        .routes(routes!(unit_object))
        .routes(routes!(rule_objection))
        .routes(routes!(request_extension))
        .routes(routes!(submit_handling_report))
        .routes(routes!(review_report))
        .routes(routes!(download_report_file))
        .routes(routes!(close_petition))
        .routes(routes!(request_appeal))
        .routes(routes!(record_appeal_opinion))
        .routes(routes!(record_leader_instruction))
        .routes(routes!(fulfil_obligation))
        .routes(routes!(record_query_reply))
        .routes(routes!(record_incident))
        .routes(routes!(propose_destruction))
        .routes(routes!(record_meeting))
        .routes(routes!(list_gates))
        .routes(routes!(update_gate))
}
