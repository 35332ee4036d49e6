//! Statistics: a period's figures with 环比 and 同比, the petitions behind a number, the Excel
//! export (marked 内部资料 and logged).

use std::sync::Arc;

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, OpenApi, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use xinfang_app::context::AppState;
use xinfang_app::statistics::transfers::{
    ReminderInput, TransferReportInput, TransferReportView, TransferTable,
};
use xinfang_app::statistics::{
    PageInput, PeriodInput, PeriodJson, ReleaseDecisionInput, ReleaseInput, ReleaseView,
    StatisticsReport,
};

use super::{ApiJson, ApiQuery, PetitionJson, petition_json};
use crate::http::auth::ApiUser;
use crate::http::error::{ApiResult, ErrorBody};

type S = State<Arc<AppState>>;

/// The period's statistics: totals, the indicators of rules §9, tables by section and group,
/// per handling unit; each with the previous period and the same period a year earlier. A
/// unit's staff get their unit's figures only.
#[utoipa::path(get, path = "/api/v1/statistics", operation_id = "getStatistics", tag = "statistics",
    params(PeriodInput),
    responses((status = 200, body = StatisticsReport), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn get_statistics(
    State(state): S,
    ApiUser(u): ApiUser,
    ApiQuery(input): ApiQuery<PeriodInput>,
) -> ApiResult<Json<StatisticsReport>> {
    Ok(Json(
        xinfang_app::statistics::report(&state, &u, &input).await?,
    ))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DrillQuery {
    /// A figure's key as the report names it (`letters`, `township:652302100`, …)
    pub figure: String,
    #[serde(flatten)]
    #[param(inline)]
    pub period: PeriodInput,
    #[serde(flatten)]
    #[param(inline)]
    pub page: PageInput,
}

#[derive(Serialize, ToSchema)]
pub struct DrillDownJson {
    pub period: PeriodJson,
    pub figure: String,
    pub label: String,
    /// 件, 批次 or 人次
    pub unit: String,
    /// The number (persons for a 人次 figure)
    pub value: i64,
    /// This page of the petitions behind it, as the caller may list them: a row it may not
    /// open shows its number, dates and stage only
    pub items: Vec<PetitionJson>,
    /// The petitions behind the number, over every page
    pub total: i64,
    /// Rows per page
    pub limit: i64,
    /// Pass as `cursor` for the next page; null on the last
    pub next_cursor: Option<String>,
}

/// The petitions behind one number of the report, through the visibility gate.
#[utoipa::path(get, path = "/api/v1/statistics/petitions", operation_id = "listStatisticsPetitions", tag = "statistics",
    params(DrillQuery),
    responses((status = 200, body = DrillDownJson), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn drill_down(
    State(state): S,
    ApiUser(u): ApiUser,
    ApiQuery(q): ApiQuery<DrillQuery>,
) -> ApiResult<Json<DrillDownJson>> {
    let d = xinfang_app::statistics::drill_down(&state, &u, &q.period, &q.figure, &q.page).await?;
    Ok(Json(DrillDownJson {
        period: d.period,
        figure: d.key,
        label: d.label,
        unit: d.unit,
        value: d.value,
        items: d
            .rows
            .iter()
            .map(|r| petition_json(r, false, Vec::new()))
            .collect(),
        total: d.total,
        limit: d.limit,
        next_cursor: d.next_cursor,
    }))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ExportQuery {
    /// `xlsx` (default) or `pdf`
    pub format: Option<String>,
    #[serde(flatten)]
    #[param(inline)]
    pub period: PeriodInput,
}

/// The report as an Excel workbook with native charts, in the layout reported upward; marked
/// 内部资料 until a leader approves the release, and logged.
#[utoipa::path(get, path = "/api/v1/statistics/export", operation_id = "exportStatistics", tag = "statistics",
    params(ExportQuery),
    responses(
        (status = 200, content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", body = Vec<u8>),
        (status = 200, content_type = "application/pdf", body = Vec<u8>),
        (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn export_statistics(
    State(state): S,
    ApiUser(u): ApiUser,
    ApiQuery(q): ApiQuery<ExportQuery>,
) -> ApiResult<Response> {
    match q.format.as_deref().map(str::trim).unwrap_or("xlsx") {
        "xlsx" => Ok(xlsx_response(
            xinfang_app::statistics::export_xlsx(&state, &u, &q.period).await?,
        )),
        "pdf" => Ok(statistics_pdf_response(
            xinfang_app::statistics::export_pdf(&state, &u, &q.period).await?,
        )),
        other => Err(xinfang_app::error::AppError::field(
            "format",
            "unknown_format",
            format!("导出格式「{other}」无效，应为 xlsx 或 pdf"),
        )
        .into()),
    }
}

/// A PDF export, shown in the browser.
pub fn statistics_pdf_response(f: xinfang_app::statistics::Export) -> Response {
    let disposition = format!(
        "inline; filename=\"statistics.pdf\"; filename*=UTF-8''{}",
        crate::http::auth::urlencode(&f.file_name)
    );
    (
        [
            (header::CONTENT_TYPE, "application/pdf".to_string()),
            (header::CONTENT_DISPOSITION, disposition),
            (header::CACHE_CONTROL, "private, no-store".to_string()),
        ],
        f.bytes,
    )
        .into_response()
}

/// An export as a download.
pub fn xlsx_response(f: xinfang_app::statistics::Export) -> Response {
    let disposition = format!(
        "attachment; filename=\"statistics.xlsx\"; filename*=UTF-8''{}",
        crate::http::auth::urlencode(&f.file_name)
    );
    (
        [
            (
                header::CONTENT_TYPE,
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet".to_string(),
            ),
            (header::CONTENT_DISPOSITION, disposition),
            (header::CACHE_CONTROL, "private, no-store".to_string()),
        ],
        f.bytes,
    )
        .into_response()
}

/// The period's release requests and approved releases (the bureau's figures).
#[utoipa::path(get, path = "/api/v1/statistics/releases", operation_id = "listStatisticsReleases", tag = "statistics",
    params(PeriodInput),
    responses((status = 200, body = Vec<ReleaseView>), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn list_releases(
    State(state): S,
    ApiUser(u): ApiUser,
    ApiQuery(input): ApiQuery<PeriodInput>,
) -> ApiResult<Json<Vec<ReleaseView>>> {
    Ok(Json(
        xinfang_app::statistics::releases(&state, &u, &input).await?,
    ))
}

/// Asks a leader to approve giving a period's statistics outside the bureau (seed 二 五(二)):
/// the office, the letter clerk or the inspectors propose; until approved every export is
/// marked 内部资料.
#[utoipa::path(post, path = "/api/v1/statistics/releases", operation_id = "proposeStatisticsRelease", tag = "statistics",
    request_body = ReleaseInput,
    responses((status = 201, body = ReleaseView), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn propose_release(
    State(state): S,
    ApiUser(u): ApiUser,
    ApiJson(input): ApiJson<ReleaseInput>,
) -> ApiResult<(StatusCode, Json<ReleaseView>)> {
    let v = xinfang_app::statistics::propose_release(&state, &u, &input).await?;
    Ok((StatusCode::CREATED, Json(v)))
}

/// A leader approves or rejects a release; an approval is recorded for the period.
#[utoipa::path(post, path = "/api/v1/statistics/releases/{id}", operation_id = "decideStatisticsRelease", tag = "statistics",
    params(("id" = String, Path, description = "The release request's approval id")),
    request_body = ReleaseDecisionInput,
    responses((status = 200, body = ReleaseView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn decide_release(
    State(state): S,
    ApiUser(u): ApiUser,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<ReleaseDecisionInput>,
) -> ApiResult<Json<ReleaseView>> {
    Ok(Json(
        xinfang_app::statistics::decide_release(&state, &u, &id, &input).await?,
    ))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RegisterQuery {
    /// `visit` (来访登记簿, the default) or `letter` (来信登记簿)
    pub channel: Option<String>,
    #[serde(flatten)]
    #[param(inline)]
    pub period: PeriodInput,
}

impl RegisterQuery {
    fn channel(&self) -> &str {
        self.channel.as_deref().unwrap_or("visit")
    }
}

/// The visit or letter register of a period (the current month by default): every registered
/// petition in order, each row as the caller may see it, ID numbers masked.
#[utoipa::path(get, path = "/api/v1/registers", operation_id = "getRegister", tag = "statistics",
    params(RegisterQuery),
    responses((status = 200, body = xinfang_app::statistics::Register), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn get_register(
    State(state): S,
    ApiUser(u): ApiUser,
    ApiQuery(q): ApiQuery<RegisterQuery>,
) -> ApiResult<Json<xinfang_app::statistics::Register>> {
    Ok(Json(
        xinfang_app::statistics::register(&state, &u, q.channel(), &q.period).await?,
    ))
}

/// The register as an Excel workbook, marked 内部资料 and logged.
#[utoipa::path(get, path = "/api/v1/registers/export", operation_id = "exportRegister", tag = "statistics",
    params(RegisterQuery),
    responses(
        (status = 200, content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", body = Vec<u8>),
        (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn export_register(
    State(state): S,
    ApiUser(u): ApiUser,
    ApiQuery(q): ApiQuery<RegisterQuery>,
) -> ApiResult<Response> {
    Ok(xlsx_response(
        xinfang_app::statistics::export_register(&state, &u, q.channel(), &q.period).await?,
    ))
}

/// The transfer statistics table (转送信件办理情况统计表, V5.1, L4.3) of a period: per unit the
/// times (批次) and items transferred, and what its reports say became of them (reported to
/// leaders, assigned, sent on to departments, handled on time), with the reports owed, filed and
/// late. A unit's staff get their own line only.
#[utoipa::path(get, path = "/api/v1/statistics/transfers", operation_id = "getTransferTable", tag = "statistics",
    params(PeriodInput),
    responses((status = 200, body = TransferTable), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn get_transfer_table(
    State(state): S,
    ApiUser(u): ApiUser,
    ApiQuery(input): ApiQuery<PeriodInput>,
) -> ApiResult<Json<TransferTable>> {
    Ok(Json(
        xinfang_app::statistics::transfers::transfer_table(&state, &u, &input).await?,
    ))
}

/// A unit files its periodic report on the matters transferred to it, for the reporting period
/// of the report's deadline; the deadline is met (late after its due date).
#[utoipa::path(post, path = "/api/v1/transfer-reports/{id}", operation_id = "fileTransferReport", tag = "statistics",
    params(("id" = String, Path, description = "The report's deadline id (getTransferTable's reports)")),
    request_body = TransferReportInput,
    responses((status = 200, body = TransferReportView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn file_transfer_report(
    State(state): S,
    ApiUser(u): ApiUser,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<TransferReportInput>,
) -> ApiResult<Json<TransferReportView>> {
    Ok(Json(
        xinfang_app::statistics::transfers::file_report(&state, &u, &id, &input).await?,
    ))
}

/// Chases (催报) a unit's report not yet filed: recorded with its method and counted.
#[utoipa::path(post, path = "/api/v1/transfer-reports/{id}/reminders", operation_id = "remindTransferReport", tag = "statistics",
    params(("id" = String, Path, description = "The report's deadline id")),
    request_body = ReminderInput,
    responses((status = 201, body = TransferReportView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn remind_transfer_report(
    State(state): S,
    ApiUser(u): ApiUser,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<ReminderInput>,
) -> ApiResult<(StatusCode, Json<TransferReportView>)> {
    let v = xinfang_app::statistics::transfers::remind(&state, &u, &id, &input).await?;
    Ok((StatusCode::CREATED, Json(v)))
}

#[derive(OpenApi)]
#[openapi(components(schemas(StatisticsReport, DrillDownJson, ReleaseView, TransferTable)))]
pub struct StatisticsApi;

pub fn routes() -> OpenApiRouter<Arc<AppState>> {
    OpenApiRouter::new()
        .routes(routes!(get_statistics))
        .routes(routes!(drill_down))
        .routes(routes!(export_statistics))
        .routes(routes!(list_releases, propose_release))
        .routes(routes!(decide_release))
        .routes(routes!(get_register))
        .routes(routes!(export_register))
        .routes(routes!(get_transfer_table))
        .routes(routes!(file_transfer_report))
        .routes(routes!(remind_transfer_report))
}
