//! The JSON API of deadlines and supervision (督办): rules as data, queues, changes to running
//! deadlines, supervision items and their actions, the digest and the counts per unit.

use std::sync::Arc;

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use utoipa::{OpenApi, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use xinfang_domain::deadline_rules::DeadlineRule;
use xinfang_store::deadlines::{DeadlineRow, DeadlineSettings};
use xinfang_store::supervision::{SupervisionAction, SupervisionItem};

use super::ApiJson;
use crate::http::auth::ApiUser;
use crate::http::error::{ApiResult, AppError, ErrorBody};
use xinfang_app::context::AppState;
use xinfang_app::deadlines::routines::Routine;
use xinfang_app::deadlines::{Badge, DeadlineChangeInput, QueueItem, RuleInput, SettingsInput};
use xinfang_app::supervision::{
    ActionInput, ActionOutcome, Digest, NoteInput, OpenItemInput, UnitCountsJson,
};

type S = State<Arc<AppState>>;

#[derive(Serialize, ToSchema)]
pub struct RuleJson {
    pub code: String,
    pub version: i64,
    pub name: String,
    pub starts: String,
    pub days: u32,
    /// calendar | working
    pub mode: String,
    /// overdue | supervise | window_closes
    pub on_expiry: String,
    pub trigger: Option<String>,
    pub responsible: String,
    pub pausable: bool,
    pub basis: String,
    pub per_petition: bool,
}

impl From<&DeadlineRule> for RuleJson {
    fn from(r: &DeadlineRule) -> Self {
        Self {
            code: r.code.clone(),
            version: r.version,
            name: r.name.clone(),
            starts: r.starts.clone(),
            days: r.days,
            mode: match r.mode {
                xinfang_domain::deadline::CountingMode::Calendar => "calendar".into(),
                xinfang_domain::deadline::CountingMode::Working => "working".into(),
            },
            on_expiry: r.on_expiry.as_str().into(),
            trigger: r.trigger.map(|t| t.as_str().into()),
            responsible: r.responsible.clone(),
            pausable: r.pausable,
            basis: r.basis.clone(),
            per_petition: r.per_petition,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct SettingsJson {
    pub warning_pct: u8,
    pub alert_pct: u8,
    pub severe_pct: u8,
    pub escalate_after: u32,
    pub due_soon_days: u32,
}

impl From<DeadlineSettings> for SettingsJson {
    fn from(s: DeadlineSettings) -> Self {
        Self {
            warning_pct: s.warning_pct,
            alert_pct: s.alert_pct,
            severe_pct: s.severe_pct,
            escalate_after: s.escalate_after,
            due_soon_days: s.due_soon_days,
        }
    }
}

/// A stored deadline with its badge.
#[derive(Serialize, ToSchema)]
pub struct StoredDeadlineJson {
    pub id: String,
    /// Null for a routine of the bureau's (`listRoutines`).
    pub petition_id: Option<String>,
    pub handling_record_id: Option<String>,
    pub unit_id: Option<String>,
    pub role: String,
    pub rule_code: String,
    pub rule_version: i64,
    pub started_on: String,
    pub period_days: u32,
    pub mode: String,
    pub due_on: String,
    /// The local leader's instruction that set a shorter period.
    pub shortened_by: Option<String>,
    pub extended_days: u32,
    pub extension_reason: Option<String>,
    pub paused_days: u32,
    pub paused_since: Option<String>,
    /// running | met | cancelled
    pub state: String,
    pub met_at: Option<String>,
    /// Counted through a year whose holiday notice is not entered yet: recomputed when it is.
    pub provisional: bool,
    /// For running deadlines.
    pub badge: Option<Badge>,
}

pub fn stored_json(
    d: &DeadlineRow,
    b: &xinfang_app::deadlines::BadgeContext,
) -> StoredDeadlineJson {
    StoredDeadlineJson {
        id: d.id.clone(),
        petition_id: d.petition_id.clone(),
        handling_record_id: d.handling_record_id.clone(),
        unit_id: d.unit_id.clone(),
        role: d.role.clone(),
        rule_code: d.rule_code.clone(),
        rule_version: d.rule_version,
        started_on: d.started_on.to_string(),
        period_days: d.period_days,
        mode: match d.mode {
            xinfang_domain::deadline::CountingMode::Calendar => "calendar".into(),
            xinfang_domain::deadline::CountingMode::Working => "working".into(),
        },
        due_on: d.due_on.to_string(),
        shortened_by: d.shortened_by.clone(),
        extended_days: d.extended_days,
        extension_reason: d.extension_reason.clone(),
        paused_days: d.paused_days,
        paused_since: d.paused_since.map(|x| x.to_string()),
        state: d.state.clone(),
        met_at: d.met_at.clone(),
        provisional: xinfang_app::deadlines::is_provisional(&b.calendar, d),
        badge: d.running().then(|| b.badge(d)),
    }
}

#[derive(Serialize, ToSchema)]
pub struct ItemJson {
    pub id: String,
    /// Null for an item about a unit's work rather than one petition.
    pub petition_id: Option<String>,
    pub petition_no: Option<String>,
    pub handling_record_id: Option<String>,
    pub unit_id: Option<String>,
    pub unit_name: Option<String>,
    pub deadline_id: Option<String>,
    pub trigger: String,
    pub trigger_label: String,
    pub automatic: bool,
    /// proposed | open | escalated | project | resolved
    pub state: String,
    pub note: String,
    pub opened_at: String,
    pub action_count: i64,
    pub answer_due: Option<String>,
    pub answer: Option<String>,
    pub answered_at: Option<String>,
    pub escalated_at: Option<String>,
    pub project_approved_at: Option<String>,
    pub resolved_at: Option<String>,
    pub actions: Vec<ActionJson>,
}

#[derive(Serialize, ToSchema)]
pub struct ActionJson {
    pub id: String,
    /// raised | supervise | answer | escalate | project | resolve
    pub kind: String,
    /// phone | letter | summon | on_site
    pub method: Option<String>,
    pub note: String,
    pub actor_id: String,
    pub actor_name: Option<String>,
    pub actor_role: String,
    pub at: String,
    pub answer_due: Option<String>,
    pub document_id: Option<String>,
}

fn action_json(a: &SupervisionAction) -> ActionJson {
    ActionJson {
        id: a.id.clone(),
        kind: a.kind.clone(),
        method: a.method.clone(),
        note: a.note.clone(),
        actor_id: a.actor_id.clone(),
        actor_name: a.actor_name.clone(),
        actor_role: a.actor_role.clone(),
        at: a.at.clone(),
        answer_due: a.answer_due.clone(),
        document_id: a.document_id.clone(),
    }
}

pub fn item_json(i: &SupervisionItem, actions: &[SupervisionAction]) -> ItemJson {
    ItemJson {
        id: i.id.clone(),
        petition_id: i.petition_id.clone(),
        petition_no: i.petition_no.clone(),
        handling_record_id: i.handling_record_id.clone(),
        unit_id: i.unit_id.clone(),
        unit_name: i.unit_name.clone(),
        deadline_id: i.deadline_id.clone(),
        trigger: i.trigger_kind.clone(),
        trigger_label: xinfang_domain::supervision::TriggerKind::parse(&i.trigger_kind)
            .map(|t| t.label_zh().to_string())
            .unwrap_or_default(),
        automatic: i.automatic,
        state: i.state.clone(),
        note: i.note.clone(),
        opened_at: i.opened_at.clone(),
        action_count: i.action_count,
        answer_due: i.answer_due.clone(),
        answer: i.answer.clone(),
        answered_at: i.answered_at.clone(),
        escalated_at: i.escalated_at.clone(),
        project_approved_at: i.project_approved_at.clone(),
        resolved_at: i.resolved_at.clone(),
        actions: actions.iter().map(action_json).collect(),
    }
}

// ---------------------------------------------------------------------------------------------
// Rules and settings

/// The deadline rules of rules §2, current versions (configurable per bureau).
#[utoipa::path(get, path = "/api/v1/deadline-rules", operation_id = "listDeadlineRules", tag = "deadlines",
    responses((status = 200, body = [RuleJson])))]
pub async fn list_rules(State(state): S, ApiUser(_u): ApiUser) -> ApiResult<Json<Vec<RuleJson>>> {
    Ok(Json(
        xinfang_app::deadlines::rules(&state)
            .await?
            .iter()
            .map(RuleJson::from)
            .collect(),
    ))
}

/// Every version of one rule, newest first.
#[utoipa::path(get, path = "/api/v1/deadline-rules/{code}/versions", operation_id = "listDeadlineRuleVersions", tag = "deadlines",
    params(("code" = String, Path, description = "Rule code")),
    responses((status = 200, body = [RuleJson])))]
pub async fn rule_versions(
    State(state): S,
    ApiUser(_u): ApiUser,
    Path(code): Path<String>,
) -> ApiResult<Json<Vec<RuleJson>>> {
    let v = xinfang_app::deadlines::rule_versions(&state, &code).await?;
    Ok(Json(v.iter().map(RuleJson::from).collect()))
}

/// Edits a rule: saved as a new version; running deadlines keep the version they started with.
#[utoipa::path(put, path = "/api/v1/deadline-rules/{code}", operation_id = "saveDeadlineRule", tag = "admin",
    params(("code" = String, Path, description = "Rule code")),
    request_body = RuleInput,
    responses((status = 200, body = RuleJson), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn save_rule(
    State(state): S,
    ApiUser(u): ApiUser,
    Path(code): Path<String>,
    ApiJson(req): ApiJson<RuleInput>,
) -> ApiResult<Json<RuleJson>> {
    Ok(Json(RuleJson::from(
        &xinfang_app::deadlines::save_rule(&state, &u, &code, &req).await?,
    )))
}

#[utoipa::path(get, path = "/api/v1/deadline-settings", operation_id = "getDeadlineSettings", tag = "deadlines",
    responses((status = 200, body = SettingsJson)))]
pub async fn get_settings(State(state): S, ApiUser(_u): ApiUser) -> ApiResult<Json<SettingsJson>> {
    Ok(Json(xinfang_app::deadlines::settings(&state).await?.into()))
}

/// The warning ladder's thresholds, the escalation count and "due soon" (administrators).
#[utoipa::path(put, path = "/api/v1/deadline-settings", operation_id = "saveDeadlineSettings", tag = "admin",
    request_body = SettingsInput,
    responses((status = 200, body = SettingsJson), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn save_settings(
    State(state): S,
    ApiUser(u): ApiUser,
    ApiJson(req): ApiJson<SettingsInput>,
) -> ApiResult<Json<SettingsJson>> {
    Ok(Json(
        xinfang_app::deadlines::save_settings(&state, &u, &req)
            .await?
            .into(),
    ))
}

// ---------------------------------------------------------------------------------------------
// Queues and deadlines

#[derive(Deserialize, utoipa::IntoParams, Default)]
#[serde(default)]
pub struct QueueQuery {
    /// due_soon (default) | overdue
    pub kind: String,
    /// office | letter_clerk | unit | case_officer | petitioner
    pub role: Option<String>,
    /// One unit's queue (bureau staff); unit staff always see their own unit.
    pub unit_id: Option<String>,
    pub limit: Option<i64>,
}

/// "Due soon" or "overdue" running deadlines, earliest first, with their badges.
#[utoipa::path(get, path = "/api/v1/deadlines/queue", operation_id = "listDeadlineQueue", tag = "deadlines",
    params(QueueQuery),
    responses((status = 200, body = [QueueItem]), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn queue(
    State(state): S,
    ApiUser(u): ApiUser,
    crate::http::api::ApiQuery(q): crate::http::api::ApiQuery<QueueQuery>,
) -> ApiResult<Json<Vec<QueueItem>>> {
    let kind = xinfang_app::deadlines::QueueKind::parse(q.kind.trim()).ok_or_else(|| {
        AppError::field(
            "kind",
            "unknown_queue",
            format!("未知的队列：{}，应为 due_soon 或 overdue", q.kind.trim()),
        )
    })?;
    let role = q.role.as_deref().map(str::trim).filter(|s| !s.is_empty());
    let unit = q
        .unit_id
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty());
    Ok(Json(
        xinfang_app::deadlines::queue(&state, &u, kind, role, unit, q.limit.unwrap_or(200)).await?,
    ))
}

/// The deadlines of one petition, running first.
#[utoipa::path(get, path = "/api/v1/petitions/{id}/deadlines", operation_id = "listPetitionDeadlines", tag = "deadlines",
    params(("id" = String, Path, description = "Petition id")),
    responses((status = 200, body = [StoredDeadlineJson]), (status = 403, body = ErrorBody)))]
pub async fn petition_deadlines(
    State(state): S,
    ApiUser(u): ApiUser,
    Path(id): Path<String>,
) -> ApiResult<Json<Vec<StoredDeadlineJson>>> {
    let p = xinfang_app::access::open_petition(&state, &u, &id, "api_deadlines").await?;
    let b = xinfang_app::deadlines::badge_context(&state).await?;
    let rows = xinfang_app::deadlines::of_petition(&state, &u, &p).await?;
    Ok(Json(rows.iter().map(|d| stored_json(d, &b)).collect()))
}

/// Extends a deadline (at most 30 days, once, before expiry); approved by the unit's head.
#[utoipa::path(post, path = "/api/v1/deadlines/{id}/extension", operation_id = "extendDeadline", tag = "deadlines",
    params(("id" = String, Path, description = "Deadline id")), request_body = DeadlineChangeInput,
    responses((status = 200, body = StoredDeadlineJson), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn extend(
    State(state): S,
    ApiUser(u): ApiUser,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<DeadlineChangeInput>,
) -> ApiResult<Json<StoredDeadlineJson>> {
    let d = xinfang_app::handling::extend_deadline(&state, &u, &id, &req).await?;
    let b = xinfang_app::deadlines::badge_context(&state).await?;
    Ok(Json(stored_json(&d, &b)))
}

/// A shorter deadline set by a local leader's instruction (批示).
#[utoipa::path(post, path = "/api/v1/deadlines/{id}/shorten", operation_id = "shortenDeadline", tag = "deadlines",
    params(("id" = String, Path, description = "Deadline id")), request_body = DeadlineChangeInput,
    responses((status = 200, body = StoredDeadlineJson), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn shorten(
    State(state): S,
    ApiUser(u): ApiUser,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<DeadlineChangeInput>,
) -> ApiResult<Json<StoredDeadlineJson>> {
    let d = xinfang_app::deadlines::shorten(&state, &u, &id, &req).await?;
    let b = xinfang_app::deadlines::badge_context(&state).await?;
    Ok(Json(stored_json(&d, &b)))
}

/// Stops the clock of a 复核 deadline for hearing time.
#[utoipa::path(post, path = "/api/v1/deadlines/{id}/pause", operation_id = "pauseDeadline", tag = "deadlines",
    params(("id" = String, Path, description = "Deadline id")), request_body = DeadlineChangeInput,
    responses((status = 200, body = StoredDeadlineJson), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn pause(
    State(state): S,
    ApiUser(u): ApiUser,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<DeadlineChangeInput>,
) -> ApiResult<Json<StoredDeadlineJson>> {
    let d = xinfang_app::deadlines::pause_or_resume(&state, &u, &id, &req, true).await?;
    let b = xinfang_app::deadlines::badge_context(&state).await?;
    Ok(Json(stored_json(&d, &b)))
}

/// Restarts the clock; the due date moves by the days paused.
#[utoipa::path(post, path = "/api/v1/deadlines/{id}/resume", operation_id = "resumeDeadline", tag = "deadlines",
    params(("id" = String, Path, description = "Deadline id")), request_body = DeadlineChangeInput,
    responses((status = 200, body = StoredDeadlineJson), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn resume(
    State(state): S,
    ApiUser(u): ApiUser,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<DeadlineChangeInput>,
) -> ApiResult<Json<StoredDeadlineJson>> {
    let d = xinfang_app::deadlines::pause_or_resume(&state, &u, &id, &req, false).await?;
    let b = xinfang_app::deadlines::badge_context(&state).await?;
    Ok(Json(stored_json(&d, &b)))
}

/// The office's daily digest: overdue, due today and soon, supervision by state, counts per unit.
#[utoipa::path(get, path = "/api/v1/deadlines/digest", operation_id = "getDeadlineDigest", tag = "deadlines",
    responses((status = 200, body = Digest), (status = 403, body = ErrorBody)))]
pub async fn digest(State(state): S, ApiUser(u): ApiUser) -> ApiResult<Json<Digest>> {
    Ok(Json(xinfang_app::supervision::digest(&state, &u).await?))
}

/// Running and overdue deadlines and open supervision items per unit (periodic circulars).
#[utoipa::path(get, path = "/api/v1/deadlines/unit-counts", operation_id = "listUnitDeadlineCounts", tag = "deadlines",
    responses((status = 200, body = [UnitCountsJson]), (status = 403, body = ErrorBody)))]
pub async fn unit_counts(
    State(state): S,
    ApiUser(u): ApiUser,
) -> ApiResult<Json<Vec<UnitCountsJson>>> {
    Ok(Json(
        xinfang_app::supervision::unit_counts(&state, &u).await?,
    ))
}

/// The bureau's routines (the monthly backup, the year-end transfer of dossiers): their
/// deadlines of the last year and any still running.
#[utoipa::path(get, path = "/api/v1/routines", operation_id = "listRoutines", tag = "deadlines",
    responses((status = 200, body = [Routine]), (status = 403, body = ErrorBody)))]
pub async fn routines(State(state): S, ApiUser(u): ApiUser) -> ApiResult<Json<Vec<Routine>>> {
    Ok(Json(
        xinfang_app::deadlines::routines::list(&state, &u).await?,
    ))
}

/// The bureau's backups: whether `serve` makes them, the latest, the latest that passed
/// verification, and the last 30 with their size and verification (the monthly one does the
/// `monthly_backup` routine).
#[utoipa::path(get, path = "/api/v1/backups", operation_id = "getBackupStatus", tag = "deadlines",
    responses((status = 200, body = xinfang_app::backup::Status), (status = 403, body = ErrorBody)))]
pub async fn backups(
    State(state): S,
    ApiUser(u): ApiUser,
) -> ApiResult<Json<xinfang_app::backup::Status>> {
    Ok(Json(xinfang_app::backup::status(&state, &u).await?))
}

/// Records a routine done, with what was done; meets its deadline.
#[utoipa::path(post, path = "/api/v1/routines/{id}/completion", operation_id = "completeRoutine", tag = "deadlines",
    params(("id" = String, Path, description = "The routine's deadline id")), request_body = NoteInput,
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn complete_routine(
    State(state): S,
    ApiUser(u): ApiUser,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<NoteInput>,
) -> ApiResult<axum::http::StatusCode> {
    xinfang_app::deadlines::routines::complete(&state, &u, &id, &req.note).await?;
    Ok(axum::http::StatusCode::NO_CONTENT)
}

// ---------------------------------------------------------------------------------------------
// Supervision items

/// The caller's supervision inbox: a unit's own items, the leaders' escalated ones, the
/// inspector's projects, the office's (visits) or letter clerk's (letters) open ones.
#[utoipa::path(get, path = "/api/v1/supervision", operation_id = "listSupervisionItems", tag = "supervision",
    responses((status = 200, body = [ItemJson])))]
pub async fn inbox(State(state): S, ApiUser(u): ApiUser) -> ApiResult<Json<Vec<ItemJson>>> {
    Ok(Json(
        xinfang_app::supervision::inbox(&state, &u)
            .await?
            .iter()
            .map(|i| item_json(i, &[]))
            .collect(),
    ))
}

/// Opens a supervision item by hand (wrong procedure, perfunctory handling, opinion not carried
/// out, …): the office for visits, the letter clerk for letters.
#[utoipa::path(post, path = "/api/v1/petitions/{id}/supervision", operation_id = "openSupervisionItem", tag = "supervision",
    params(("id" = String, Path, description = "Petition id")), request_body = OpenItemInput,
    responses((status = 201, body = ItemJson), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn open_item(
    State(state): S,
    ApiUser(u): ApiUser,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<OpenItemInput>,
) -> ApiResult<Response> {
    let item = xinfang_app::supervision::open_item(&state, &u, &id, &req).await?;
    Ok((StatusCode::CREATED, Json(item_json(&item, &[]))).into_response())
}

#[utoipa::path(get, path = "/api/v1/supervision/{id}", operation_id = "getSupervisionItem", tag = "supervision",
    params(("id" = String, Path, description = "Item id")),
    responses((status = 200, body = ItemJson), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn get_item(
    State(state): S,
    ApiUser(u): ApiUser,
    Path(id): Path<String>,
) -> ApiResult<Json<ItemJson>> {
    let (item, _, actions) = xinfang_app::supervision::item_for(&state, &u, &id).await?;
    Ok(Json(item_json(&item, &actions)))
}

/// Records one supervision (phone, letter, summon, on-site); the unit's answer is due in 30 days;
/// with `issue_letter` (or method `letter`) a 督办函 is drafted for the deputy director to sign off.
#[utoipa::path(post, path = "/api/v1/supervision/{id}/actions", operation_id = "recordSupervisionAction", tag = "supervision",
    params(("id" = String, Path, description = "Item id")), request_body = ActionInput,
    responses((status = 201, body = ActionOutcome), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn record_action(
    State(state): S,
    ApiUser(u): ApiUser,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<ActionInput>,
) -> ApiResult<Response> {
    Ok((
        StatusCode::CREATED,
        Json(xinfang_app::supervision::record_action(&state, &u, &id, &req).await?),
    )
        .into_response())
}

/// The unit's written answer to the supervision.
#[utoipa::path(post, path = "/api/v1/supervision/{id}/answer", operation_id = "answerSupervision", tag = "supervision",
    params(("id" = String, Path, description = "Item id")), request_body = NoteInput,
    responses((status = 200, body = ItemJson), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn answer(
    State(state): S,
    ApiUser(u): ApiUser,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<NoteInput>,
) -> ApiResult<Json<ItemJson>> {
    Ok(Json(item_json(
        &xinfang_app::supervision::answer(&state, &u, &id, &req).await?,
        &[],
    )))
}

/// The deputy director (or the director) approves supervising an item opened on an unlawful
/// opinion; until then it is `proposed` and nobody chases the unit.
#[utoipa::path(post, path = "/api/v1/supervision/{id}/approval", operation_id = "approveSupervisionItem", tag = "supervision",
    params(("id" = String, Path, description = "Item id")), request_body = NoteInput,
    responses((status = 200, body = ItemJson), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn approve(
    State(state): S,
    ApiUser(u): ApiUser,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<NoteInput>,
) -> ApiResult<Json<ItemJson>> {
    Ok(Json(item_json(
        &xinfang_app::supervision::approve_proposed(&state, &u, &id, &req).await?,
        &[],
    )))
}

/// A bureau leader approves the formal supervision project (立项督办) of an escalated item.
#[utoipa::path(post, path = "/api/v1/supervision/{id}/project", operation_id = "approveSupervisionProject", tag = "supervision",
    params(("id" = String, Path, description = "Item id")), request_body = NoteInput,
    responses((status = 200, body = ItemJson), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn project(
    State(state): S,
    ApiUser(u): ApiUser,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<NoteInput>,
) -> ApiResult<Json<ItemJson>> {
    Ok(Json(item_json(
        &xinfang_app::supervision::approve_project(&state, &u, &id, &req).await?,
        &[],
    )))
}

/// Closes a supervision item.
#[utoipa::path(post, path = "/api/v1/supervision/{id}/resolve", operation_id = "resolveSupervisionItem", tag = "supervision",
    params(("id" = String, Path, description = "Item id")), request_body = NoteInput,
    responses((status = 200, body = ItemJson), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn resolve(
    State(state): S,
    ApiUser(u): ApiUser,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<NoteInput>,
) -> ApiResult<Json<ItemJson>> {
    Ok(Json(item_json(
        &xinfang_app::supervision::resolve(&state, &u, &id, &req).await?,
        &[],
    )))
}

#[derive(OpenApi)]
#[openapi(components(schemas(ErrorBody)))]
pub struct SupervisionApi;

pub fn routes() -> OpenApiRouter<Arc<AppState>> {
    OpenApiRouter::new()
        .routes(routes!(list_rules))
        .routes(routes!(save_rule))
        .routes(routes!(rule_versions))
        .routes(routes!(get_settings, save_settings))
        .routes(routes!(queue))
        .routes(routes!(digest))
        .routes(routes!(unit_counts))
        .routes(routes!(routines))
        .routes(routes!(backups))
        .routes(routes!(complete_routine))
        .routes(routes!(extend))
        .routes(routes!(shorten))
        .routes(routes!(pause))
        .routes(routes!(resume))
        .routes(routes!(petition_deadlines))
        .routes(routes!(open_item))
        .routes(routes!(inbox))
        .routes(routes!(get_item))
        .routes(routes!(record_action))
        .routes(routes!(answer))
        .routes(routes!(project))
        .routes(routes!(resolve))
        .routes(routes!(approve))
}
