//! Exchange (issue 21): the national 信访信息系统's files (JSON, XML) out of and into the
//! bureau, and the code mapping between our codes and the national ones.

use std::sync::Arc;

use axum::Json;
use axum::extract::{Request, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use utoipa::{IntoParams, OpenApi};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use xinfang_app::context::AppState;
use xinfang_app::exchange::hotline::{self, ImportedOrder, OrderFormat, OrderImportReport};
use xinfang_app::exchange::ledger::{self, LedgerReport};
use xinfang_app::exchange::{
    CodeInput, CodeLine, ExportFile, ExportInput, Format, ImportReport, ImportedPetition,
};
use xinfang_app::search::SearchInput;

use super::{ApiJson, ApiQuery, ScanQuery, read_upload};
use crate::http::auth::ApiUser;
use crate::http::error::{ApiResult, AppError, ErrorBody};

type S = State<Arc<AppState>>;

/// The code mapping in use: the shipped lines (verified or provisional) with the bureau's edits.
#[utoipa::path(get, path = "/api/v1/exchange/codes", operation_id = "listExchangeCodes", tag = "exchange",
    responses((status = 200, body = [CodeLine]), (status = 403, body = ErrorBody)))]
pub async fn list_codes(State(state): S, ApiUser(u): ApiUser) -> ApiResult<Json<Vec<CodeLine>>> {
    Ok(Json(xinfang_app::exchange::codes(&state, &u).await?))
}

/// The system administrator maps one of our codes to a national code (one national code to one
/// of ours per field). Returns the whole mapping.
#[utoipa::path(put, path = "/api/v1/exchange/codes", operation_id = "saveExchangeCode", tag = "exchange",
    request_body = CodeInput,
    responses((status = 200, body = [CodeLine]), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn save_code(
    State(state): S,
    ApiUser(u): ApiUser,
    ApiJson(input): ApiJson<CodeInput>,
) -> ApiResult<Json<Vec<CodeLine>>> {
    Ok(Json(
        xinfang_app::exchange::save_code(&state, &u, &input).await?,
    ))
}

pub fn file_response(f: ExportFile, name: &str) -> Response {
    (
        [
            (
                header::CONTENT_TYPE,
                format!("{}; charset=utf-8", f.format.content_type()),
            ),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}.{}\"", f.format.extension()),
            ),
            (header::CACHE_CONTROL, "private, no-store".to_string()),
            (
                header::HeaderName::from_static("x-record-count"),
                f.count.to_string(),
            ),
        ],
        f.bytes,
    )
        .into_response()
}

/// The petitions the caller may see, with their handling rows, in the national field names
/// (docs/exchange.md), as JSON or XML. Rows seen without identity go without petitioners and
/// query code; each exported petition is logged.
#[utoipa::path(post, path = "/api/v1/exchange/national/export", operation_id = "exportNational", tag = "exchange",
    request_body = ExportInput,
    responses((status = 200, content_type = "application/json", body = Vec<u8>), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn export_national(
    State(state): S,
    ApiUser(u): ApiUser,
    ApiJson(input): ApiJson<ExportInput>,
) -> ApiResult<Response> {
    let f = xinfang_app::exchange::export_national(&state, &u, &input).await?;
    Ok(file_response(f, "xfj"))
}

#[derive(Deserialize, IntoParams, Default)]
#[serde(default)]
pub struct ImportQuery {
    /// `json` or `xml`; without it, the body's first character decides
    pub format: Option<String>,
}

/// The format named, or the one the body looks like.
pub fn format_of(named: Option<&str>, bytes: &[u8]) -> Result<Format, AppError> {
    match named.map(str::trim).filter(|s| !s.is_empty()) {
        Some(_) => Ok(Format::parse_or_json(named)?),
        None => Ok(
            if bytes
                .iter()
                .find(|b| !b.is_ascii_whitespace() && **b != 0xEF && **b != 0xBB && **b != 0xBF)
                == Some(&b'<')
            {
                Format::Xml
            } else {
                Format::Json
            },
        ),
    }
}

/// Imports a national file into the intake queue. Any refused record refuses the file: every
/// problem is listed by record and field (`xfj[3].xfr[0].zjhm`) and nothing is written. The
/// body is the file, or `multipart/form-data` with the field `file` (and `_csrf`).
#[utoipa::path(post, path = "/api/v1/exchange/national/import", operation_id = "importNational", tag = "exchange",
    params(ImportQuery),
    request_body(content = Vec<u8>, content_type = "application/octet-stream"),
    responses((status = 201, body = ImportReport), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn import_national(
    State(state): S,
    ApiUser(u): ApiUser,
    ApiQuery(q): ApiQuery<ImportQuery>,
    req: Request,
) -> ApiResult<(axum::http::StatusCode, Json<ImportReport>)> {
    let up = read_upload(&state, &u, req, ScanQuery::default()).await?;
    let format = format_of(q.format.as_deref(), &up.bytes)?;
    let report = xinfang_app::exchange::import_national(&state, &u, &up.bytes, format).await?;
    Ok((axum::http::StatusCode::CREATED, Json(report)))
}

#[derive(Deserialize, IntoParams, Default)]
#[serde(default)]
pub struct OrderQuery {
    /// `json` (default) or `csv`
    pub format: Option<String>,
}

/// Imports 12345 hotline work orders (docs/exchange.md: a JSON array or CSV with a header row)
/// into the intake queue as calls from the hotline under their order numbers. Any refused order
/// refuses the file (`orders[3].caller_phone` …) and nothing is written.
#[utoipa::path(post, path = "/api/v1/exchange/hotline/import", operation_id = "importHotlineOrders", tag = "exchange",
    params(OrderQuery),
    request_body(content = Vec<u8>, content_type = "application/octet-stream"),
    responses((status = 201, body = OrderImportReport), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn import_orders(
    State(state): S,
    ApiUser(u): ApiUser,
    ApiQuery(q): ApiQuery<OrderQuery>,
    req: Request,
) -> ApiResult<(axum::http::StatusCode, Json<OrderImportReport>)> {
    let format = OrderFormat::parse(q.format.as_deref())?;
    let up = read_upload(&state, &u, req, ScanQuery::default()).await?;
    let report = hotline::import_orders(&state, &u, &up.bytes, format).await?;
    Ok((axum::http::StatusCode::CREATED, Json(report)))
}

/// The replies for the hotline: each imported order the caller may see, with its petition's
/// number, state and result (JSON array or CSV). Each row is logged as exported.
#[utoipa::path(get, path = "/api/v1/exchange/hotline/replies", operation_id = "exportHotlineReplies", tag = "exchange",
    params(OrderQuery),
    responses((status = 200, content_type = "application/json", body = Vec<u8>), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn order_replies(
    State(state): S,
    ApiUser(u): ApiUser,
    ApiQuery(q): ApiQuery<OrderQuery>,
) -> ApiResult<Response> {
    let format = OrderFormat::parse(q.format.as_deref())?;
    let (bytes, count) = hotline::order_replies(&state, &u, format).await?;
    Ok(replies_response(bytes, count, format))
}

/// The 12345 replies as a download (the API and the exchange page).
pub fn replies_response(bytes: Vec<u8>, count: usize, format: OrderFormat) -> Response {
    let (ct, ext) = match format {
        OrderFormat::Json => ("application/json", "json"),
        OrderFormat::Csv => ("text/csv; charset=utf-8", "csv"),
    };
    (
        [
            (header::CONTENT_TYPE, ct.to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"12345-replies.{ext}\""),
            ),
            (header::CACHE_CONTROL, "private, no-store".to_string()),
            (
                header::HeaderName::from_static("x-record-count"),
                count.to_string(),
            ),
        ],
        bytes,
    )
        .into_response()
}

/// Any list or search result as an Excel workbook (the search's body; no words and
/// `sort=date` is the petition list): up to 10 000 rows as the caller may list them, ID numbers
/// and phones masked, marked 内部资料; each exported petition is logged.
#[utoipa::path(post, path = "/api/v1/exchange/xlsx", operation_id = "exportPetitionsXlsx", tag = "exchange",
    request_body = SearchInput,
    responses((status = 200, content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", body = Vec<u8>), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn export_xlsx(
    State(state): S,
    ApiUser(u): ApiUser,
    ApiJson(input): ApiJson<SearchInput>,
) -> ApiResult<Response> {
    let book = xinfang_app::exchange::xlsx::export_xlsx(&state, &u, &input).await?;
    Ok(workbook_response(book))
}

/// A list's workbook as a download (the API and the list page).
pub fn workbook_response(book: xinfang_app::exchange::xlsx::Workbook) -> Response {
    (
        [
            (
                header::CONTENT_TYPE,
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet".to_string(),
            ),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"petitions.xlsx\"".to_string(),
            ),
            (header::CACHE_CONTROL, "private, no-store".to_string()),
            (
                header::HeaderName::from_static("x-record-count"),
                book.rows.to_string(),
            ),
        ],
        book.bytes,
    )
        .into_response()
}

#[derive(Deserialize, IntoParams, Default)]
#[serde(default)]
pub struct LedgerQuery {
    /// The file's name: its extension says CSV (.csv) or Excel (.xlsx)
    pub file_name: Option<String>,
    /// Write the good rows and list the bad ones, instead of refusing the file
    pub skip_bad: Option<bool>,
    /// Rows per committed batch (default 1000)
    pub batch: Option<usize>,
    /// Batches to write now at most; the next import of the same file goes on after them
    pub max_batches: Option<usize>,
    /// Field → column header, as a JSON object, for columns the default headers do not find
    pub mapping: Option<String>,
}

/// Imports an old register (CSV or Excel, a header row first) in committed batches; resumable
/// (the same file again goes on after its last committed batch). Every row is checked first: a
/// file with bad rows is refused and nothing written (`refused`, the rows in `errors`), unless
/// `skip_bad`. `xinfang import` does the same with a progress bar.
#[utoipa::path(post, path = "/api/v1/exchange/ledger/import", operation_id = "importLedger", tag = "exchange",
    params(LedgerQuery),
    request_body(content = Vec<u8>, content_type = "application/octet-stream"),
    responses((status = 200, body = LedgerReport), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn import_ledger(
    State(state): S,
    ApiUser(u): ApiUser,
    ApiQuery(q): ApiQuery<LedgerQuery>,
    req: Request,
) -> ApiResult<Json<LedgerReport>> {
    let up = read_upload(&state, &u, req, ScanQuery::default()).await?;
    let name = q
        .file_name
        .clone()
        .filter(|n| !n.trim().is_empty())
        .unwrap_or(up.file_name.clone());
    let kind = ledger::TableKind::of_file(&name).ok_or_else(|| {
        AppError::field("file_name", "unknown_format", "请给出 .csv 或 .xlsx 文件名")
    })?;
    let mapping = match q
        .mapping
        .as_deref()
        .map(str::trim)
        .filter(|m| !m.is_empty())
    {
        Some(m) => serde_json::from_str(m).map_err(|_| {
            AppError::field(
                "mapping",
                "invalid_mapping",
                "列对照应为 JSON 对象：{\"字段\": \"列名\"}",
            )
        })?,
        None => Default::default(),
    };
    let options = ledger::LedgerOptions {
        mapping,
        batch_size: q.batch.unwrap_or(1000),
        skip_bad: q.skip_bad.unwrap_or(false),
        max_batches: q.max_batches,
        file_name: name,
    };
    let report = ledger::import_ledger(
        &state,
        &u.user,
        &up.bytes,
        kind,
        &options,
        &mut |_: usize, _: usize| {},
    )
    .await?;
    Ok(Json(report))
}

#[derive(OpenApi)]
#[openapi(components(schemas(
    CodeLine,
    CodeInput,
    ExportInput,
    ImportReport,
    ImportedPetition,
    OrderImportReport,
    ImportedOrder,
    LedgerReport
)))]
pub struct ExchangeApi;

pub fn routes() -> OpenApiRouter<Arc<AppState>> {
    OpenApiRouter::new()
        .routes(routes!(list_codes, save_code))
        .routes(routes!(export_national))
        .routes(routes!(order_replies))
        .routes(routes!(export_xlsx))
}

/// The imports read their body themselves, outside the 1 MB limit.
pub fn upload_routes() -> OpenApiRouter<Arc<AppState>> {
    OpenApiRouter::new()
        .routes(routes!(import_national))
        .routes(routes!(import_orders))
        .routes(routes!(import_ledger))
}
