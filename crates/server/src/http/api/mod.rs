//! The JSON API under `/api/v1`, described by the OpenAPI 3.1 document at `/api/openapi.json`.
//! Handlers are thin: decode, call a use case in `services`, encode.

mod accounts;
mod handling;

use std::sync::Arc;

use axum::Json;
use axum::extract::{FromRequest, Path, Request, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use utoipa::{OpenApi, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use xinfang_app::access::PetitionView;
use xinfang_domain::lifecycle::{Channel, Stage};
use xinfang_domain::region;
use xinfang_domain::registration::{InterviewInput, PetitionerInput, RegistrationInput};
use xinfang_domain::resident_id::{mask_id_number, mask_phone};
use xinfang_domain::source::{Source, SourceInput};
use xinfang_store::petitions::{ListFilter, PetitionerRow};

use crate::http::auth::{self, ApiUser};
use crate::http::error::{ApiError, ApiResult, AppError, AppResult, ErrorBody};
use xinfang_app::access::RecusalInput;
use xinfang_app::admin::{ReasonInput, UnitInput, UserInput};
use xinfang_app::calendar::{CalendarNoticeInput, DeadlineInput};
use xinfang_app::context::AppState;
use xinfang_app::intake::{DecisionInput, DecisionOutcome};

pub mod exchange;
mod mailroom;
pub mod public;
mod search;
mod statistics;
pub use statistics::{statistics_pdf_response, xlsx_response};

pub use handling::report_file_response;
pub mod archives;
pub use mailroom::{
    ScanQuery, Upload, inline_file, read_limited as read_limited_body, read_upload, scan_response,
};
pub mod drafting;

type S = State<Arc<AppState>>;

mod supervision;

/// JSON body extractor whose rejections are Chinese JSON errors like every other error.
pub struct ApiJson<T>(pub T);

impl<T: serde::de::DeserializeOwned> FromRequest<Arc<AppState>> for ApiJson<T> {
    type Rejection = ApiError;
    async fn from_request(req: Request, state: &Arc<AppState>) -> Result<Self, ApiError> {
        match Json::<T>::from_request(req, state).await {
            Ok(Json(v)) => Ok(ApiJson(v)),
            Err(rejection) => {
                let detail = rejection.body_text();
                let (field, message) = match rejection {
                    axum::extract::rejection::JsonRejection::MissingJsonContentType(_) => (
                        None,
                        "请求须为 JSON（Content-Type: application/json）".to_string(),
                    ),
                    axum::extract::rejection::JsonRejection::JsonDataError(_) => {
                        let field = detail
                            .split(": ")
                            .nth(1)
                            .and_then(|s| s.split(" at line").next())
                            .map(str::to_string);
                        (field, format!("请求内容的字段类型不正确：{detail}"))
                    }
                    _ => (None, format!("请求体不是有效的 JSON：{detail}")),
                };
                Err(ApiError(AppError::Invalid(vec![
                    xinfang_domain::FieldError {
                        field,
                        code: "invalid_json",
                        message,
                    },
                ])))
            }
        }
    }
}

/// `Query` whose rejection is the JSON error body naming the parameter.
pub struct ApiQuery<T>(pub T);

impl<T: serde::de::DeserializeOwned, S: Send + Sync> axum::extract::FromRequestParts<S>
    for ApiQuery<T>
{
    type Rejection = ApiError;
    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        _: &S,
    ) -> Result<Self, ApiError> {
        let q = parts.uri.query().unwrap_or("");
        let de = serde_urlencoded::Deserializer::new(form_urlencoded::parse(q.as_bytes()));
        serde_path_to_error::deserialize(de)
            .map(ApiQuery)
            .map_err(|e| {
                let field = e.path().to_string();
                ApiError(AppError::Invalid(vec![xinfang_domain::FieldError {
                    message: format!("查询参数“{field}”的值无效：{}", e.inner()),
                    field: Some(field),
                    code: "invalid_query",
                }]))
            })
    }
}

// ---------------------------------------------------------------------------------------------
// Schemas

#[derive(Serialize, Deserialize, ToSchema)]
pub struct LoginRequest {
    pub username: String,
    pub password: String,
}

#[derive(Serialize, ToSchema)]
pub struct LoginResponse {
    /// Use as `Authorization: Bearer <token>`; the same token is set as the session cookie.
    pub token: String,
    pub user: UserJson,
}

#[derive(Serialize, ToSchema)]
pub struct UserJson {
    pub id: String,
    pub username: String,
    pub display_name: String,
    pub role: String,
    pub unit_id: Option<String>,
    pub active: bool,
    /// The role a grant waiting for the security administrator would give.
    pub pending_role: Option<String>,
    /// False until the security administrator confirms the account's first grant.
    pub role_confirmed: bool,
}

impl From<&xinfang_store::people::User> for UserJson {
    fn from(u: &xinfang_store::people::User) -> Self {
        Self {
            id: u.id.clone(),
            username: u.username.clone(),
            display_name: u.display_name.clone(),
            role: u.role.as_str().into(),
            unit_id: u.unit_id.clone(),
            active: u.active,
            pending_role: u.pending_role.map(|r| r.as_str().to_string()),
            role_confirmed: u.role_confirmed,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct UnitJson {
    pub id: String,
    pub code: String,
    pub name: String,
    pub kind: String,
    pub region_code: Option<String>,
    pub active: bool,
}

impl From<&xinfang_store::people::Unit> for UnitJson {
    fn from(u: &xinfang_store::people::Unit) -> Self {
        Self {
            id: u.id.clone(),
            code: u.code.clone(),
            name: u.name.clone(),
            kind: u.kind.clone(),
            region_code: u.region_code.clone(),
            active: u.active,
        }
    }
}

/// A petitioner as registered (request).
#[derive(Serialize, Deserialize, ToSchema, Default)]
#[serde(default)]
pub struct PetitionerRequest {
    pub name: String,
    /// resident_id | hk_macao_residence_permit | taiwan_residence_permit | foreign_permanent_resident | passport | none
    pub id_type: String,
    pub id_number: String,
    /// male | female; only when no ID number says it
    pub sex: String,
    pub age: Option<i64>,
    /// GB/T 3304 code (01–56, 97, 98) or name
    pub ethnicity: String,
    pub address: String,
    pub phone: String,
    pub occupation: String,
    pub is_representative: bool,
}

/// A registration (registerPetition).
#[derive(Serialize, Deserialize, ToSchema, Default)]
#[serde(default)]
pub struct RegisterPetitionRequest {
    /// visit | letter | online | phone (default visit)
    pub channel: String,
    /// China Standard Time, `YYYY-MM-DDTHH:MM`; empty means now
    pub visited_at: String,
    pub petitioners: Vec<PetitionerRequest>,
    pub visitor_count: Option<i64>,
    pub people_involved: Option<i64>,
    /// GB/T 2260 code of the place where the matter arose
    pub issue_region: String,
    /// The main problem
    pub summary: String,
    pub requests: String,
    /// The proposed handling opinion (拟办意见)
    pub proposal: String,
    /// 信访目的 code
    pub purpose: String,
    /// 内容分类 code (6 digits)
    pub category: String,
    /// suggestion | accusation | claim
    pub petition_class: String,
    pub anonymous: bool,
    pub consent_to_publish: bool,
    pub major_urgent: bool,
    pub confidential: bool,
    pub skip_level: bool,
    pub out_of_district: bool,
    pub repeat_of: Option<String>,
    pub repeat_reason: String,
    pub accused_unit_id: Option<String>,
    /// Where the matter came from; omitted: the petitioner's own accord (online for online).
    pub source: SourceRequest,
    /// The township or street office of the matter: a township unit's id, or a 9-digit
    /// township statistical code
    pub township: String,
}

/// Where a petition came from. Only the fields of the chosen kind are read.
#[derive(Serialize, Deserialize, ToSchema, Default, Clone)]
#[serde(default)]
pub struct SourceRequest {
    /// own_accord | forwarded_by_higher_organ | assigned_by_higher_organ |
    /// instructed_by_local_leader | hotline_12345 | online
    pub kind: String,
    /// The higher organ (forwarded or assigned)
    pub organ: String,
    /// Its document number
    pub doc_no: String,
    /// Its document's date, `YYYY-MM-DD`
    pub issued_on: String,
    /// Its deadline for the result, `YYYY-MM-DD` (required for an assignment)
    pub deadline: String,
    /// The instructing local leader's name and post (at least one)
    pub leader_name: String,
    pub leader_post: String,
    /// The 12345 hotline's order number
    pub order_no: String,
}

impl From<SourceRequest> for SourceInput {
    fn from(r: SourceRequest) -> Self {
        SourceInput {
            kind: r.kind,
            organ: r.organ,
            doc_no: r.doc_no,
            issued_on: r.issued_on,
            deadline: r.deadline,
            leader_name: r.leader_name,
            leader_post: r.leader_post,
            order_no: r.order_no,
        }
    }
}

/// Where a petition came from, as registered.
#[derive(Serialize, ToSchema)]
pub struct SourceJson {
    pub kind: String,
    /// The kind in Chinese, e.g. 上级机关交办
    pub label: String,
    /// The higher organ, its document number and date, its deadline
    pub organ: Option<String>,
    pub doc_no: Option<String>,
    pub issued_on: Option<String>,
    pub deadline: Option<String>,
    /// The instructing leader, as the closing report names them
    pub leader: Option<String>,
    pub order_no: Option<String>,
}

fn source_json(s: &Source) -> SourceJson {
    let organ = s.higher_organ();
    SourceJson {
        kind: s.as_str().into(),
        label: s.label_zh().into(),
        organ: organ.map(|d| d.organ.clone()),
        doc_no: organ.map(|d| d.doc_no.clone()),
        issued_on: organ.map(|d| d.issued_on.to_string()),
        deadline: organ.and_then(|d| d.deadline).map(|d| d.to_string()),
        leader: match s {
            Source::InstructedByLocalLeader(l) => Some(l.display_zh()),
            _ => None,
        },
        order_no: match s {
            Source::Hotline12345 { order_no } => Some(order_no.clone()),
            _ => None,
        },
    }
}

impl From<RegisterPetitionRequest> for RegistrationInput {
    fn from(r: RegisterPetitionRequest) -> Self {
        RegistrationInput {
            channel: r.channel,
            visited_at: r.visited_at,
            petitioners: r
                .petitioners
                .into_iter()
                .map(|p| PetitionerInput {
                    name: p.name,
                    id_type: p.id_type,
                    id_number: p.id_number,
                    sex: p.sex,
                    age: p.age,
                    ethnicity: p.ethnicity,
                    address: p.address,
                    phone: p.phone,
                    occupation: p.occupation,
                    is_representative: p.is_representative,
                })
                .collect(),
            visitor_count: r.visitor_count,
            people_involved: r.people_involved,
            issue_region: r.issue_region,
            summary: r.summary,
            requests: r.requests,
            proposal: r.proposal,
            purpose: r.purpose,
            category: r.category,
            petition_class: r.petition_class,
            anonymous: r.anonymous,
            consent_to_publish: r.consent_to_publish,
            major_urgent: r.major_urgent,
            confidential: r.confidential,
            skip_level: r.skip_level,
            out_of_district: r.out_of_district,
            repeat_of: r.repeat_of,
            repeat_reason: r.repeat_reason,
            accused_unit_id: r.accused_unit_id,
            source: r.source.into(),
            township: r.township,
        }
    }
}

#[derive(Serialize, Deserialize, ToSchema, Default)]
#[serde(default)]
pub struct InterviewRequest {
    /// 来访反映问题的主要情节和要求
    pub facts_and_requests: String,
    /// 以往的信访过程和处理情况
    pub earlier_petitions: String,
    /// 越级访、重复访的原因
    pub skip_or_repeat_reason: String,
    /// 异常、过激言行
    pub abnormal_behaviour: String,
    /// 与县市或有关部门沟通、研究来访问题的情况
    pub coordination: String,
    /// false: not finished, an appointment (约谈) is made
    pub finished: Option<bool>,
    pub appointment_on: String,
    pub appointment_note: String,
}

#[derive(Serialize, ToSchema)]
pub struct PetitionerJson {
    pub name: String,
    pub id_type: String,
    /// Masked unless the caller may see it.
    pub id_number: Option<String>,
    pub birth_date: Option<String>,
    pub sex: Option<String>,
    pub age: Option<i64>,
    pub ethnicity: Option<String>,
    pub address: String,
    pub phone: String,
    pub occupation: String,
    pub is_representative: bool,
}

#[derive(Serialize, ToSchema)]
pub struct RegionJson {
    pub code: String,
    pub name: String,
    pub full_name: String,
}

#[derive(Serialize, ToSchema)]
pub struct EventJson {
    pub seq: i64,
    pub kind: String,
    pub actor_id: String,
    pub actor_name: Option<String>,
    pub actor_role: String,
    pub at: String,
    #[schema(value_type = Object)]
    pub payload: serde_json::Value,
    pub hash: String,
}

#[derive(Serialize, ToSchema)]
pub struct PetitionJson {
    pub id: String,
    pub petition_no: String,
    pub channel: String,
    /// The lifecycle stage
    pub state: String,
    pub acceptance: Option<String>,
    pub query_code: Option<String>,
    pub visited_at: String,
    pub registered_at: String,
    pub petitioners: Vec<PetitionerJson>,
    /// True when the caller's unit is accused: who petitioned is withheld (2005 Art. 23).
    pub identity_withheld: bool,
    pub issue_region: Option<RegionJson>,
    pub summary: String,
    pub requests: String,
    pub proposal: String,
    pub purpose: Option<String>,
    pub category: Option<String>,
    pub petition_class: Option<String>,
    pub visitor_count: i64,
    pub people_involved: i64,
    pub collective: bool,
    pub anonymous: bool,
    pub consent_to_publish: bool,
    pub major_urgent: bool,
    pub confidential: bool,
    pub skip_level: bool,
    pub out_of_district: bool,
    pub repeat_of: Option<String>,
    pub repeat_reason: String,
    /// 三级终结: handled, and 复核 decided or an appeal window lapsed unused. A new petition by
    /// the same petitioner on the same matter is proposed as 不再受理. Set by the similar lookup.
    #[serde(rename = "final")]
    pub final_: bool,
    /// Where the matter came from (absent on petitions registered before it was recorded)
    pub source: Option<SourceJson>,
    /// The township of the matter: a township unit's id or a 9-digit statistical code
    pub township: Option<String>,
    /// The national 信访信息系统's number of an imported petition (信访件编号)
    pub national_no: Option<String>,
    pub events: Vec<EventJson>,
}

#[derive(Serialize, ToSchema)]
pub struct PetitionListJson {
    pub items: Vec<PetitionJson>,
    /// How many petitions the caller may see with this filter, over all pages.
    pub total: usize,
}

#[derive(Serialize, ToSchema)]
pub struct DocumentJson {
    pub id: String,
    pub kind: String,
    pub title: String,
    pub doc_no: Option<String>,
    pub state: String,
    pub template_version: String,
    pub pdf_sha256: Option<String>,
    pub issued_at: Option<String>,
    pub download_url: String,
}

#[derive(Serialize, ToSchema)]
pub struct IdJson {
    pub id: String,
}

fn petitioner_json(p: &PetitionerRow, full: bool) -> PetitionerJson {
    let mask = |s: &Option<String>| {
        s.as_deref().map(|v| {
            if full {
                v.to_string()
            } else {
                mask_id_number(v)
            }
        })
    };
    PetitionerJson {
        name: p.name.clone(),
        id_type: p.id_type.clone(),
        id_number: mask(&p.id_number),
        birth_date: if full { p.birth_date.clone() } else { None },
        sex: p.sex.clone(),
        age: p.age,
        ethnicity: p.ethnicity.clone(),
        address: if full {
            p.address.clone()
        } else {
            String::new()
        },
        phone: if full {
            p.phone.clone()
        } else {
            mask_phone(&p.phone)
        },
        occupation: p.occupation.clone(),
        is_representative: p.is_representative,
    }
}

/// `full`: the caller may see personal data unmasked; `identity`: may see who petitioned at all.
/// A petition's JSON from the gate's view: who raised it only when the view shows it, unmasked
/// only when `full` (a list masks ID numbers and phones even for those who may see them).
pub fn petition_json(p: &PetitionView, full: bool, events: Vec<EventJson>) -> PetitionJson {
    let identity = p.identity();
    let full = full && identity;
    PetitionJson {
        id: p.id.clone(),
        petition_no: p.petition_no.clone(),
        channel: p.channel.as_str().into(),
        state: p.stage.as_str().into(),
        acceptance: p.acceptance.map(|a| a.as_str().into()),
        query_code: if full {
            Some(p.query_code.clone())
        } else {
            None
        },
        visited_at: p.visited_at.clone(),
        registered_at: p.registered_at.clone(),
        petitioners: if identity {
            p.petitioners
                .iter()
                .map(|x| petitioner_json(x, full))
                .collect()
        } else {
            Vec::new()
        },
        identity_withheld: !identity,
        issue_region: region::lookup(&p.issue_region).map(|r| RegionJson {
            code: r.code.into(),
            name: r.name.into(),
            full_name: r.full_name.clone(),
        }),
        summary: p.summary.clone(),
        requests: p.requests.clone(),
        proposal: p.proposal.clone(),
        purpose: p.purpose.clone(),
        category: p.category.clone(),
        petition_class: p.petition_class.clone(),
        visitor_count: p.visitor_count,
        people_involved: p.people_involved,
        collective: p.collective,
        anonymous: p.anonymous,
        consent_to_publish: p.consent_to_publish,
        major_urgent: p.major_urgent,
        confidential: p.confidential,
        skip_level: p.skip_level,
        out_of_district: p.out_of_district,
        repeat_of: p.repeat_of.clone(),
        repeat_reason: p.repeat_reason.clone(),
        final_: false,
        source: p.source.as_ref().map(source_json),
        township: p.township.as_ref().map(|t| t.as_input().to_string()),
        national_no: p.national_no.clone(),
        events,
    }
}

// ---------------------------------------------------------------------------------------------
// Handlers

/// Sign in; returns a token usable as a bearer token and sets the session cookie.
#[utoipa::path(post, path = "/api/v1/login", operation_id = "login", tag = "session",
    request_body = LoginRequest,
    responses((status = 200, body = LoginResponse), (status = 422, body = ErrorBody), (status = 429, body = ErrorBody)))]
pub async fn login(
    State(state): S,
    auth::ClientAddr(client): auth::ClientAddr,
    ApiJson(req): ApiJson<LoginRequest>,
) -> ApiResult<Response> {
    let (token, user) =
        xinfang_app::auth::login(&state, &req.username, &req.password, &client).await?;
    Ok(session_response(&state, token, &user))
}

/// A new session's answer: the token in the body (bearer clients) and as the session cookie.
pub(crate) fn session_response(
    state: &AppState,
    token: String,
    user: &xinfang_store::people::User,
) -> Response {
    let cookie = auth::session_cookie(
        &token,
        state.config.secure_cookies,
        state.config.session_hours * 3600,
    );
    (
        [(header::SET_COOKIE, cookie)],
        Json(LoginResponse {
            token,
            user: UserJson::from(user),
        }),
    )
        .into_response()
}

#[utoipa::path(post, path = "/api/v1/logout", operation_id = "logout", tag = "session",
    responses((status = 204), (status = 401, body = ErrorBody)))]
pub async fn logout(State(state): S, ApiUser(u): ApiUser) -> ApiResult<Response> {
    xinfang_app::auth::logout(&state, &u).await?;
    Ok((
        StatusCode::NO_CONTENT,
        [(header::SET_COOKIE, auth::clear_cookie())],
    )
        .into_response())
}

#[utoipa::path(get, path = "/api/v1/me", operation_id = "getCurrentUser", tag = "session",
    responses((status = 200, body = UserJson), (status = 401, body = ErrorBody)))]
pub async fn me(ApiUser(u): ApiUser) -> Json<UserJson> {
    Json(UserJson::from(&u.user))
}

/// Register a visit, letter, online or phone petition.
#[utoipa::path(post, path = "/api/v1/petitions", operation_id = "registerPetition", tag = "petitions",
    request_body = RegisterPetitionRequest,
    responses((status = 201, body = PetitionJson), (status = 422, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn register_petition(
    State(state): S,
    ApiUser(u): ApiUser,
    ApiJson(req): ApiJson<RegisterPetitionRequest>,
) -> ApiResult<Response> {
    let p = xinfang_app::intake::register(&state, &u, &req.into()).await?;
    let events = events_json(&state, &p).await?;
    Ok((StatusCode::CREATED, Json(petition_json(&p, true, events))).into_response())
}

#[derive(Deserialize, utoipa::IntoParams, Default)]
#[serde(default)]
pub struct ListQuery {
    /// Lifecycle stage
    pub state: Option<String>,
    pub channel: Option<String>,
    /// YYYY-MM-DD
    pub registered_on: Option<String>,
    /// Petition number, a petitioner's name, or words of the summary
    pub q: Option<String>,
    pub limit: Option<i64>,
    pub offset: Option<i64>,
}

pub fn list_filter(q: &ListQuery) -> AppResult<ListFilter> {
    let stage = match q.state.as_deref().filter(|s| !s.is_empty()) {
        Some(s) => Some(Stage::parse(s).ok_or_else(|| {
            AppError::field("state", "unknown_state", format!("未知的状态：{s}"))
        })?),
        None => None,
    };
    let channel = match q.channel.as_deref().filter(|s| !s.is_empty()) {
        Some(s) => Some(Channel::parse(s).ok_or_else(|| {
            AppError::field("channel", "unknown_channel", format!("未知的信访形式：{s}"))
        })?),
        None => None,
    };
    let registered_on = match q.registered_on.as_deref().filter(|s| !s.is_empty()) {
        Some(s) => Some(xinfang_domain::registration::parse_date(
            "registered_on",
            s,
        )?),
        None => None,
    };
    Ok(ListFilter {
        stage,
        channel,
        registered_on,
        text: q.q.clone(),
        limit: q.limit.unwrap_or(50).clamp(1, 500),
        offset: q.offset.unwrap_or(0).max(0),
        after: None,
    })
}

/// Petitions the caller may list, newest first. Personal data is always masked in lists.
#[utoipa::path(get, path = "/api/v1/petitions", operation_id = "listPetitions", tag = "petitions",
    params(ListQuery),
    responses((status = 200, body = PetitionListJson), (status = 401, body = ErrorBody)))]
pub async fn list_petitions(
    State(state): S,
    ApiUser(u): ApiUser,
    crate::http::api::ApiQuery(q): crate::http::api::ApiQuery<ListQuery>,
) -> ApiResult<Json<PetitionListJson>> {
    let filter = list_filter(&q)?;
    let page = xinfang_app::intake::list(&state, &u, &filter).await?;
    Ok(Json(PetitionListJson {
        items: page
            .rows
            .iter()
            .map(|r| petition_json(&r.record, false, Vec::new()))
            .collect(),
        total: page.total,
    }))
}

/// The petition's history as the viewer may see it (`access::history`).
pub(crate) async fn events_json(state: &AppState, p: &PetitionView) -> ApiResult<Vec<EventJson>> {
    Ok(xinfang_app::access::history(state, p)
        .await?
        .into_iter()
        .map(|e| EventJson {
            seq: e.seq,
            kind: e.kind,
            actor_id: e.actor_id,
            actor_name: e.actor_name,
            actor_role: e.actor_role,
            at: e.at,
            payload: e.payload,
            hash: e.hash,
        })
        .collect())
}

/// One petition with its full history. The opening is logged.
#[utoipa::path(get, path = "/api/v1/petitions/{id}", operation_id = "getPetition", tag = "petitions",
    params(("id" = String, Path, description = "Petition id")),
    responses((status = 200, body = PetitionJson), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn get_petition(
    State(state): S,
    ApiUser(u): ApiUser,
    Path(id): Path<String>,
) -> ApiResult<Json<PetitionJson>> {
    let p = xinfang_app::access::open_petition(&state, &u, &id, "api_view").await?;
    // Without identity the history carries no payloads at all (`access::history`).
    let events = events_json(&state, &p).await?;
    Ok(Json(petition_json(&p, true, events)))
}

/// Record the interview (接谈); an unfinished interview makes an appointment.
#[utoipa::path(post, path = "/api/v1/petitions/{id}/interviews", operation_id = "recordInterview", tag = "petitions",
    params(("id" = String, Path, description = "Petition id")),
    request_body = InterviewRequest,
    responses((status = 201, body = PetitionJson), (status = 422, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn record_interview(
    State(state): S,
    ApiUser(u): ApiUser,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<InterviewRequest>,
) -> ApiResult<Response> {
    let input = InterviewInput {
        facts_and_requests: req.facts_and_requests,
        earlier_petitions: req.earlier_petitions,
        skip_or_repeat_reason: req.skip_or_repeat_reason,
        abnormal_behaviour: req.abnormal_behaviour,
        coordination: req.coordination,
        finished: req.finished,
        appointment_on: req.appointment_on,
        appointment_note: req.appointment_note,
    };
    xinfang_app::intake::record_interview(&state, &u, &id, &input).await?;
    let p = xinfang_app::intake::petition(&state, &u, &id).await?;
    let events = events_json(&state, &p).await?;
    Ok((StatusCode::CREATED, Json(petition_json(&p, true, events))).into_response())
}

/// Decide 受理 / 不予受理 / 不再受理 (or refer); issues the window slip when one is due.
#[utoipa::path(post, path = "/api/v1/petitions/{id}/decision", operation_id = "decideAcceptance", tag = "petitions",
    params(("id" = String, Path, description = "Petition id")),
    request_body = DecisionInput,
    responses((status = 200, body = DecisionOutcome), (status = 422, body = ErrorBody), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn decide_acceptance(
    State(state): S,
    ApiUser(u): ApiUser,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<DecisionInput>,
) -> ApiResult<Json<DecisionOutcome>> {
    Ok(Json(
        xinfang_app::intake::decide(&state, &u, &id, &req).await?,
    ))
}

pub fn document_json(d: &xinfang_store::documents::DocumentRow) -> DocumentJson {
    DocumentJson {
        id: d.id.clone(),
        kind: d.kind.clone(),
        title: xinfang_domain::document::DocumentKind::parse(&d.kind)
            .map(|k| k.title_zh().to_string())
            .unwrap_or_else(|| d.kind.clone()),
        doc_no: d.doc_no.clone(),
        state: d.state.clone(),
        template_version: d.template_version.clone(),
        pdf_sha256: d.pdf_hash.clone(),
        issued_at: d.issued_at.clone(),
        download_url: format!("/api/v1/documents/{}/pdf", d.id),
    }
}

#[utoipa::path(get, path = "/api/v1/petitions/{id}/documents", operation_id = "listPetitionDocuments", tag = "documents",
    params(("id" = String, Path, description = "Petition id")),
    responses((status = 200, body = [DocumentJson]), (status = 403, body = ErrorBody)))]
pub async fn list_petition_documents(
    State(state): S,
    ApiUser(u): ApiUser,
    Path(id): Path<String>,
) -> ApiResult<Json<Vec<DocumentJson>>> {
    let v = xinfang_app::access::open_petition(&state, &u, &id, "api_documents").await?;
    Ok(Json(
        xinfang_app::drafting::documents::readable_documents(&state, &u, &v)
            .await?
            .iter()
            .map(document_json)
            .collect(),
    ))
}

pub async fn pdf_response(
    state: &AppState,
    u: &auth::CurrentUser,
    id: &str,
) -> AppResult<Response> {
    let (doc, bytes) = xinfang_app::drafting::documents::document_pdf(state, u, id).await?;
    let name = format!(
        "{}.pdf",
        doc.doc_no.clone().unwrap_or_else(|| doc.id.clone())
    );
    let disposition = format!(
        "inline; filename=\"document.pdf\"; filename*=UTF-8''{}",
        auth::urlencode(&name)
    );
    Ok((
        [
            (header::CONTENT_TYPE, "application/pdf".to_string()),
            (header::CONTENT_DISPOSITION, disposition),
            (header::CACHE_CONTROL, "private, no-store".to_string()),
        ],
        bytes,
    )
        .into_response())
}

#[derive(Deserialize, utoipa::IntoParams, Default)]
#[serde(default)]
pub struct RegionQuery {
    /// A name or a code prefix
    pub q: String,
}

/// GB/T 2260 regions by name or code.
#[utoipa::path(get, path = "/api/v1/regions", operation_id = "searchRegions", tag = "reference",
    params(RegionQuery), responses((status = 200, body = [RegionJson])))]
pub async fn search_regions(
    ApiUser(_u): ApiUser,
    crate::http::api::ApiQuery(q): crate::http::api::ApiQuery<RegionQuery>,
) -> Json<Vec<RegionJson>> {
    Json(
        region::search(q.q.trim(), 20)
            .into_iter()
            .map(|r| RegionJson {
                code: r.code.into(),
                name: r.name.into(),
                full_name: r.full_name.clone(),
            })
            .collect(),
    )
}

/// Declare an interest (回避) in a petition or a petitioner.
#[utoipa::path(post, path = "/api/v1/recusals", operation_id = "declareRecusal", tag = "petitions",
    request_body = RecusalInput, responses((status = 201, body = IdJson), (status = 422, body = ErrorBody)))]
pub async fn declare_recusal(
    State(state): S,
    ApiUser(u): ApiUser,
    ApiJson(req): ApiJson<RecusalInput>,
) -> ApiResult<Response> {
    let id = xinfang_app::access::declare_recusal(&state, &u, &req).await?;
    Ok((StatusCode::CREATED, Json(IdJson { id })).into_response())
}

#[utoipa::path(get, path = "/api/v1/units", operation_id = "listUnits", tag = "admin",
    responses((status = 200, body = [UnitJson])))]
pub async fn list_units(State(state): S, ApiUser(_u): ApiUser) -> ApiResult<Json<Vec<UnitJson>>> {
    Ok(Json(
        xinfang_app::admin::units(&state)
            .await?
            .iter()
            .map(UnitJson::from)
            .collect(),
    ))
}

#[utoipa::path(post, path = "/api/v1/units", operation_id = "createUnit", tag = "admin",
    request_body = UnitInput, responses((status = 201, body = UnitJson), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create_unit(
    State(state): S,
    ApiUser(u): ApiUser,
    ApiJson(req): ApiJson<UnitInput>,
) -> ApiResult<Response> {
    let unit = xinfang_app::admin::create_unit(&state, &u, &req).await?;
    Ok((StatusCode::CREATED, Json(UnitJson::from(&unit))).into_response())
}

#[utoipa::path(put, path = "/api/v1/units/{id}", operation_id = "updateUnit", tag = "admin",
    params(("id" = String, Path, description = "Unit id")),
    request_body = UnitInput, responses((status = 200, body = UnitJson), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn update_unit(
    State(state): S,
    ApiUser(u): ApiUser,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<UnitInput>,
) -> ApiResult<Json<UnitJson>> {
    Ok(Json(UnitJson::from(
        &xinfang_app::admin::update_unit(&state, &u, &id, &req).await?,
    )))
}

#[utoipa::path(get, path = "/api/v1/users", operation_id = "listUsers", tag = "admin",
    responses((status = 200, body = [UserJson]), (status = 403, body = ErrorBody)))]
pub async fn list_users(State(state): S, ApiUser(u): ApiUser) -> ApiResult<Json<Vec<UserJson>>> {
    u.require(&[xinfang_domain::role::Role::Admin])?;
    Ok(Json(
        xinfang_app::admin::users(&state)
            .await?
            .iter()
            .map(UserJson::from)
            .collect(),
    ))
}

#[utoipa::path(post, path = "/api/v1/users", operation_id = "createUser", tag = "admin",
    request_body = UserInput, responses((status = 201, body = UserJson), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create_user(
    State(state): S,
    ApiUser(u): ApiUser,
    ApiJson(req): ApiJson<UserInput>,
) -> ApiResult<Response> {
    let user = xinfang_app::admin::create_user(&state, &u, &req).await?;
    Ok((StatusCode::CREATED, Json(UserJson::from(&user))).into_response())
}

#[utoipa::path(put, path = "/api/v1/users/{id}", operation_id = "updateUser", tag = "admin",
    params(("id" = String, Path, description = "User id")),
    request_body = UserInput, responses((status = 200, body = UserJson), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn update_user(
    State(state): S,
    ApiUser(u): ApiUser,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<UserInput>,
) -> ApiResult<Json<UserJson>> {
    Ok(Json(UserJson::from(
        &xinfang_app::admin::update_user(&state, &u, &id, &req).await?,
    )))
}

#[derive(Serialize, ToSchema)]
pub struct ReasonJson {
    pub id: String,
    pub acceptance: String,
    pub code: String,
    pub reason: String,
    pub legal_text: String,
    pub position: i64,
    pub active: bool,
}

impl From<&xinfang_store::reasons::DecisionReason> for ReasonJson {
    fn from(r: &xinfang_store::reasons::DecisionReason) -> Self {
        Self {
            id: r.id.clone(),
            acceptance: r.acceptance.clone(),
            code: r.code.clone(),
            reason: r.reason.clone(),
            legal_text: r.legal_text.clone(),
            position: r.position,
            active: r.active,
        }
    }
}

/// The reasons offered for each acceptance decision (configurable per bureau).
#[utoipa::path(get, path = "/api/v1/decision-reasons", operation_id = "listDecisionReasons", tag = "reference",
    responses((status = 200, body = [ReasonJson])))]
pub async fn list_reasons(
    State(state): S,
    ApiUser(_u): ApiUser,
) -> ApiResult<Json<Vec<ReasonJson>>> {
    Ok(Json(
        xinfang_app::admin::decision_reasons(&state)
            .await?
            .iter()
            .map(ReasonJson::from)
            .collect(),
    ))
}

#[utoipa::path(post, path = "/api/v1/decision-reasons", operation_id = "createDecisionReason", tag = "admin",
    request_body = ReasonInput, responses((status = 201, body = ReasonJson), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create_reason(
    State(state): S,
    ApiUser(u): ApiUser,
    ApiJson(req): ApiJson<ReasonInput>,
) -> ApiResult<Response> {
    let r = xinfang_app::admin::create_reason(&state, &u, &req).await?;
    Ok((StatusCode::CREATED, Json(ReasonJson::from(&r))).into_response())
}

#[utoipa::path(put, path = "/api/v1/decision-reasons/{id}", operation_id = "updateDecisionReason", tag = "admin",
    params(("id" = String, Path, description = "Reason id")),
    request_body = ReasonInput, responses((status = 200, body = ReasonJson), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn update_reason(
    State(state): S,
    ApiUser(u): ApiUser,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<ReasonInput>,
) -> ApiResult<Json<ReasonJson>> {
    Ok(Json(ReasonJson::from(
        &xinfang_app::admin::update_reason(&state, &u, &id, &req).await?,
    )))
}

#[derive(Serialize, ToSchema)]
pub struct CalendarNoticeJson {
    pub year: i32,
    /// Days off (放假), YYYY-MM-DD, in order.
    pub holidays: Vec<String>,
    /// Saturdays and Sundays that are working days (调休上班), YYYY-MM-DD, in order.
    pub makeup_workdays: Vec<String>,
    /// On saving: how many running deadlines through the year moved (each has an event).
    pub recomputed_deadlines: Option<usize>,
}

impl From<&xinfang_domain::calendar::YearNotice> for CalendarNoticeJson {
    fn from(n: &xinfang_domain::calendar::YearNotice) -> Self {
        Self {
            year: n.year,
            holidays: n.holidays.iter().map(ToString::to_string).collect(),
            makeup_workdays: n.makeup_workdays.iter().map(ToString::to_string).collect(),
            recomputed_deadlines: None,
        }
    }
}

/// The official calendar: the State Council holiday notice of each year known (2020–2026 ship
/// with the system). A year without a notice counts weekends only.
#[utoipa::path(get, path = "/api/v1/calendar", operation_id = "listCalendarNotices", tag = "reference",
    responses((status = 200, body = [CalendarNoticeJson])))]
pub async fn list_calendar_notices(
    State(state): S,
    ApiUser(_u): ApiUser,
) -> ApiResult<Json<Vec<CalendarNoticeJson>>> {
    Ok(Json(
        xinfang_app::calendar::notices(&state)
            .await?
            .iter()
            .map(CalendarNoticeJson::from)
            .collect(),
    ))
}

/// Adds or corrects a year's holiday notice; deadlines computed from then on follow it, and the
/// running deadlines through that year are recomputed.
#[utoipa::path(put, path = "/api/v1/calendar/{year}", operation_id = "saveCalendarNotice", tag = "admin",
    params(("year" = String, Path, description = "The notice's year, e.g. 2027")),
    request_body = CalendarNoticeInput, responses((status = 200, body = CalendarNoticeJson), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn save_calendar_notice(
    State(state): S,
    ApiUser(u): ApiUser,
    Path(year): Path<String>,
    ApiJson(req): ApiJson<CalendarNoticeInput>,
) -> ApiResult<Json<CalendarNoticeJson>> {
    let (notice, moved) =
        xinfang_app::deadlines::enter_calendar_notice(&state, &u, &year, &req).await?;
    Ok(Json(CalendarNoticeJson {
        recomputed_deadlines: Some(moved),
        ..CalendarNoticeJson::from(&notice)
    }))
}

#[derive(Serialize, ToSchema)]
pub struct DeadlineJson {
    /// The last day of the period, YYYY-MM-DD (China Standard Time).
    pub due_date: String,
}

/// The due date of a period counted on the official calendar (rules §2).
#[utoipa::path(post, path = "/api/v1/deadlines/compute", operation_id = "computeDeadline", tag = "reference",
    request_body = DeadlineInput, responses((status = 200, body = DeadlineJson), (status = 422, body = ErrorBody)))]
pub async fn compute_deadline(
    State(state): S,
    ApiUser(_u): ApiUser,
    ApiJson(req): ApiJson<DeadlineInput>,
) -> ApiResult<Json<DeadlineJson>> {
    Ok(Json(DeadlineJson {
        due_date: xinfang_app::calendar::compute_deadline(&state, &req)
            .await?
            .to_string(),
    }))
}

#[derive(OpenApi)]
#[openapi(
    info(title = "xinfang 信访业务系统 API", version = "1"),
    components(schemas(ErrorBody, crate::http::error::ErrorItem)),
    modifiers(&BearerAuth)
)]
pub struct ApiDoc;

struct BearerAuth;

impl utoipa::Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
        components.add_security_scheme(
            "cookie",
            SecurityScheme::ApiKey(utoipa::openapi::security::ApiKey::Cookie(
                utoipa::openapi::security::ApiKeyValue::new(auth::SESSION_COOKIE),
            )),
        );
        openapi.security = Some(vec![
            utoipa::openapi::security::SecurityRequirement::new("bearer", Vec::<String>::new()),
            utoipa::openapi::security::SecurityRequirement::new("cookie", Vec::<String>::new()),
        ]);
    }
}

/// Every route of the JSON API with its documentation: the router and the OpenAPI document
/// are built from this one list (`routes!` reads each handler's `#[utoipa::path]`), so a route
/// cannot exist undocumented. Paths are absolute (`/api/v1/…`). The uploads are listed apart:
/// they sit outside the global body limit.
pub fn all_routes() -> (OpenApiRouter<Arc<AppState>>, OpenApiRouter<Arc<AppState>>) {
    let mut base = ApiDoc::openapi();
    base.merge(handling::HandlingApi::openapi());
    base.merge(mailroom::LettersDoc::openapi());
    base.merge(<supervision::SupervisionApi as OpenApi>::openapi());
    base.merge(drafting::DocumentsApi::openapi());
    base.merge(accounts::AccountsApi::openapi());
    base.merge(search::SearchApi::openapi());
    base.merge(statistics::StatisticsApi::openapi());
    base.merge(archives::ArchivesApi::openapi());
    base.merge(public::PublicApi::openapi());
    base.merge(exchange::ExchangeApi::openapi());
    let limited = OpenApiRouter::with_openapi(base)
        .merge(routes())
        .merge(handling::routes())
        .merge(mailroom::routes())
        .merge(supervision::routes())
        .merge(drafting::routes())
        .merge(accounts::routes())
        .merge(search::routes())
        .merge(statistics::routes())
        .merge(archives::routes())
        .merge(public::routes())
        .merge(exchange::routes());
    let uploads = OpenApiRouter::new()
        .merge(archives::upload_routes())
        .merge(mailroom::upload_routes())
        .merge(handling::upload_routes())
        .merge(public::upload_routes())
        .merge(exchange::upload_routes());
    (limited, uploads)
}

/// The whole OpenAPI document.
pub fn full_openapi() -> utoipa::openapi::OpenApi {
    static DOC: std::sync::OnceLock<utoipa::openapi::OpenApi> = std::sync::OnceLock::new();
    DOC.get_or_init(|| {
        let (limited, uploads) = all_routes();
        let mut doc = limited.into_openapi();
        doc.merge(uploads.into_openapi());
        doc
    })
    .clone()
}

pub async fn openapi_json() -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "application/json")],
        full_openapi().to_json().unwrap_or_default(),
    )
}

/// Unknown paths under `/api/v1` answer with the JSON error, not the page 404.
pub async fn unknown_api() -> crate::http::error::ApiError {
    crate::http::error::ApiError(AppError::NotFound("没有这个接口".into()))
}

pub fn routes() -> OpenApiRouter<Arc<AppState>> {
    OpenApiRouter::new()
        .routes(routes!(login))
        .routes(routes!(logout))
        .routes(routes!(me))
        .routes(routes!(register_petition, list_petitions))
        .routes(routes!(get_petition))
        .routes(routes!(record_interview))
        .routes(routes!(decide_acceptance))
        .routes(routes!(list_petition_documents))
        .routes(routes!(search_regions))
        .routes(routes!(declare_recusal))
        .routes(routes!(list_units, create_unit))
        .routes(routes!(update_unit))
        .routes(routes!(list_users, create_user))
        .routes(routes!(update_user))
        .routes(routes!(list_reasons, create_reason))
        .routes(routes!(update_reason))
        .routes(routes!(list_calendar_notices))
        .routes(routes!(save_calendar_notice))
        .routes(routes!(compute_deadline))
}
