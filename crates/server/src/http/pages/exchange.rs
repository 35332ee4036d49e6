//! The exchange page (数据交换, issue 21): the code mapping with the national system, the
//! imports (national file, 12345 work orders, old registers) with their reports, the exports;
//! and the petition list's Excel export. Each form calls the same use case as the API.

use std::collections::HashMap;
use std::sync::Arc;

use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::{Form, Query, Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use xinfang_app::context::AppState;
use xinfang_app::error::AppError;
use xinfang_app::exchange::hotline::{self, OrderFormat};
use xinfang_app::exchange::ledger::{self, LedgerOptions, LedgerReport, TableKind};
use xinfang_app::exchange::{self, CodeInput, ExportInput};
use xinfang_domain::exchange::{CODED_FIELDS, DEFAULT_CODES};
use xinfang_domain::lifecycle::{Channel, Stage};
use xinfang_domain::role::Role;

use super::{Layout, Pairs, S, error_page, flash_of, layout};
use crate::http::api::exchange::{file_response, format_of, replies_response};
use crate::http::auth::{CurrentUser, PageUser};

/// One line of the code mapping as the page shows it.
pub struct CodeRow {
    pub field: String,
    pub field_label: &'static str,
    pub ours: String,
    pub national: String,
    pub verified: bool,
    /// The shipped national code when the bureau changed it, else empty.
    pub shipped: String,
    /// An id for the line's input, unique on the page.
    pub key: String,
}

/// What an upload or a refused form came to, shown above the forms.
pub struct Outcome {
    pub heading: String,
    pub refused: bool,
    pub lines: Vec<String>,
    /// Petitions written: (id, our number, the other system's number).
    pub imported: Vec<(String, String, String)>,
    /// The problems: (field, message).
    pub errors: Vec<(String, String)>,
}

#[derive(Template, WebTemplate)]
#[template(path = "exchange/exchange.html")]
struct ExchangePage {
    layout: Layout,
    codes: Vec<CodeRow>,
    edit_codes: bool,
    import: bool,
    export: bool,
    outcome: Option<Outcome>,
    stages: Vec<(&'static str, &'static str)>,
    channels: Vec<(&'static str, &'static str)>,
    ledger_fields: Vec<(&'static str, &'static str, String, bool)>,
    max_upload_mb: usize,
    /// What the ledger form was sent with, to show it again.
    ledger_mapping: String,
    ledger_batch: String,
    ledger_skip_bad: bool,
}

/// The ledger form's options as typed.
#[derive(Default)]
struct LedgerForm {
    mapping: String,
    batch: String,
    skip_bad: bool,
}

fn refused(heading: &str, e: &AppError) -> Outcome {
    Outcome {
        heading: format!("{heading}：未导入"),
        refused: true,
        lines: Vec::new(),
        imported: Vec::new(),
        errors: e
            .messages()
            .into_iter()
            .map(|(f, m)| (f.unwrap_or_default(), m))
            .collect(),
    }
}

async fn page_for(
    state: &AppState,
    u: &CurrentUser,
    outcome: Option<Outcome>,
    status: StatusCode,
    flash: &str,
    ledger_form: LedgerForm,
) -> Response {
    let role = u.role();
    if !exchange::may_exchange(role) {
        return error_page(state, Some(u), AppError::forbidden());
    }
    let lines = match exchange::codes(state, u).await {
        Ok(l) => l,
        Err(e) => return error_page(state, Some(u), e),
    };
    let codes = lines
        .into_iter()
        .enumerate()
        .map(|(i, l)| {
            let shipped = DEFAULT_CODES
                .iter()
                .find(|(f, o, _, _)| *f == l.field && *o == l.ours)
                .map(|(_, _, n, _)| *n)
                .filter(|n| *n != l.national)
                .unwrap_or("")
                .to_string();
            CodeRow {
                field_label: xinfang_domain::catalog::label(CODED_FIELDS, &l.field).unwrap_or(""),
                field: l.field,
                ours: l.ours,
                national: l.national,
                verified: l.verified,
                shipped,
                key: format!("code-{i}"),
            }
        })
        .collect();
    let page = ExchangePage {
        layout: layout(state, Some(u), flash),
        codes,
        edit_codes: exchange::may_edit_codes(role),
        import: exchange::may_import(role),
        export: exchange::may_export(role),
        outcome,
        stages: Stage::ALL
            .iter()
            .map(|s| (s.as_str(), s.label_zh()))
            .collect(),
        channels: Channel::ALL
            .iter()
            .map(|c| (c.as_str(), c.label_zh()))
            .collect(),
        ledger_fields: xinfang_domain::ledger::FIELDS
            .iter()
            .map(|(f, l, headers, required)| (*f, *l, headers.join("、"), *required))
            .collect(),
        max_upload_mb: state.config.max_scan_bytes / (1024 * 1024),
        ledger_mapping: ledger_form.mapping,
        ledger_batch: ledger_form.batch,
        ledger_skip_bad: ledger_form.skip_bad,
    };
    (status, page).into_response()
}

async fn exchange_page(
    State(state): S,
    PageUser(u): PageUser,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    page_for(
        &state,
        &u,
        None,
        StatusCode::OK,
        &flash_of(&q),
        LedgerForm::default(),
    )
    .await
}

fn field<'a>(f: &'a Pairs, k: &str) -> &'a str {
    f.iter()
        .find(|(key, _)| key == k)
        .map(|(_, v)| v.as_str())
        .unwrap_or("")
}

/// A refused form: the page with the messages (422), or the error page when the user may not.
async fn refusal(
    state: &AppState,
    u: &CurrentUser,
    heading: &str,
    e: AppError,
    ledger_form: LedgerForm,
) -> Response {
    match e {
        AppError::Invalid(_) | AppError::Conflict(_) => {
            let status = crate::http::error::status(&e);
            page_for(
                state,
                u,
                Some(refused(heading, &e)),
                status,
                "",
                ledger_form,
            )
            .await
        }
        e => error_page(state, Some(u), e),
    }
}

async fn code_save(State(state): S, PageUser(u): PageUser, Form(f): Form<Pairs>) -> Response {
    let input = CodeInput {
        field: field(&f, "field").into(),
        ours: field(&f, "ours").into(),
        national: field(&f, "national").into(),
        verified: matches!(field(&f, "verified"), "on" | "true" | "1"),
    };
    match exchange::save_code(&state, &u, &input).await {
        Ok(_) => Redirect::to("/exchange?done=saved#codes").into_response(),
        Err(e) => refusal(&state, &u, "代码对照未保存", e, LedgerForm::default()).await,
    }
}

async fn national_export(State(state): S, PageUser(u): PageUser, Form(f): Form<Pairs>) -> Response {
    let o = |k: &str| Some(field(&f, k).trim().to_string()).filter(|v| !v.is_empty());
    let input = ExportInput {
        format: o("format"),
        stage: o("stage"),
        channel: o("channel"),
    };
    match exchange::export_national(&state, &u, &input).await {
        Ok(file) => file_response(file, "xfj"),
        Err(e) => {
            refusal(
                &state,
                &u,
                "国家信访信息系统文件未导出",
                e,
                LedgerForm::default(),
            )
            .await
        }
    }
}

async fn hotline_replies(State(state): S, PageUser(u): PageUser, Form(f): Form<Pairs>) -> Response {
    let r = async {
        let format = OrderFormat::parse(Some(field(&f, "format")))?;
        let (bytes, count) = hotline::order_replies(&state, &u, format).await?;
        Ok::<_, AppError>(replies_response(bytes, count, format))
    }
    .await;
    match r {
        Ok(r) => r,
        Err(e) => refusal(&state, &u, "12345 回复未导出", e, LedgerForm::default()).await,
    }
}

fn no_file() -> AppError {
    AppError::field("file", "missing_file", "请选择要上传的文件")
}

/// Reads an upload form after the role is checked: no byte of the body is read for a user who
/// may not import.
async fn read_import(
    state: &AppState,
    u: &CurrentUser,
    req: Request,
) -> Result<crate::http::api::Upload, AppError> {
    if !exchange::may_import(u.role()) {
        return Err(AppError::forbidden());
    }
    let up = crate::http::api::read_upload(state, u, req, Default::default()).await?;
    if up.bytes.is_empty() {
        return Err(no_file());
    }
    Ok(up)
}

async fn national_import(State(state): S, PageUser(u): PageUser, req: Request) -> Response {
    let heading = "国家信访信息系统文件";
    let r = async {
        let up = read_import(&state, &u, req).await?;
        let format = format_of(up.fields.get("format").map(String::as_str), &up.bytes)?;
        exchange::import_national(&state, &u, &up.bytes, format).await
    }
    .await;
    match r {
        Ok(report) => {
            let outcome = Outcome {
                heading: format!("{heading}：已导入"),
                refused: false,
                lines: vec![format!(
                    "导入 {} 件信访件，已进入登记队列。",
                    report.imported.len()
                )],
                imported: report
                    .imported
                    .into_iter()
                    .map(|p| (p.id, p.petition_no, p.national_no))
                    .collect(),
                errors: Vec::new(),
            };
            page_for(
                &state,
                &u,
                Some(outcome),
                StatusCode::OK,
                "",
                LedgerForm::default(),
            )
            .await
        }
        Err(e) => refusal(&state, &u, heading, e, LedgerForm::default()).await,
    }
}

async fn hotline_import(State(state): S, PageUser(u): PageUser, req: Request) -> Response {
    let heading = "12345 工单";
    let r = async {
        let up = read_import(&state, &u, req).await?;
        // Without a choice, the file's extension decides.
        let named = up
            .fields
            .get("format")
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty())
            .unwrap_or_else(|| {
                if up.file_name.to_ascii_lowercase().ends_with(".csv") {
                    "csv".into()
                } else {
                    "json".into()
                }
            });
        let format = OrderFormat::parse(Some(named.as_str()))?;
        hotline::import_orders(&state, &u, &up.bytes, format).await
    }
    .await;
    match r {
        Ok(report) => {
            let outcome = Outcome {
                heading: format!("{heading}：已导入"),
                refused: false,
                lines: vec![format!(
                    "导入 {} 张工单，已作为 12345 来电进入登记队列。",
                    report.imported.len()
                )],
                imported: report
                    .imported
                    .into_iter()
                    .map(|o| (o.id, o.petition_no, o.order_no))
                    .collect(),
                errors: Vec::new(),
            };
            page_for(
                &state,
                &u,
                Some(outcome),
                StatusCode::OK,
                "",
                LedgerForm::default(),
            )
            .await
        }
        Err(e) => refusal(&state, &u, heading, e, LedgerForm::default()).await,
    }
}

/// The column mapping typed as `字段=列名` lines; the field by its key or its Chinese name.
fn parse_mapping(text: &str) -> Result<HashMap<String, String>, AppError> {
    let mut out = HashMap::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        let bad = || {
            AppError::field(
                "mapping",
                "invalid_mapping",
                format!("列对照第 {} 行应为“字段=列名”，例如 name=来访人姓名", i + 1),
            )
        };
        let (f, column) = line
            .split_once('=')
            .or_else(|| line.split_once('＝'))
            .ok_or_else(bad)?;
        let (f, column) = (f.trim(), column.trim());
        if f.is_empty() || column.is_empty() {
            return Err(bad());
        }
        let key = xinfang_domain::ledger::FIELDS
            .iter()
            .find(|x| x.0 == f || x.1 == f)
            .map(|x| x.0.to_string())
            .unwrap_or_else(|| f.to_string());
        out.insert(key, column.to_string());
    }
    Ok(out)
}

fn ledger_outcome(report: LedgerReport) -> Outcome {
    let mut lines = vec![format!(
        "共 {} 行，本次导入 {} 件（{} 批），其中重复信访 {} 件。",
        report.total, report.imported, report.batches, report.repeats
    )];
    if report.resumed_after > 0 {
        lines.push(format!(
            "此前中断的导入已写入 {} 行，本次从其后继续。",
            report.resumed_after
        ));
    }
    if report.bad_rows > 0 {
        lines.push(format!(
            "有误的 {} 行未导入{}：",
            report.bad_rows,
            if report.bad_rows > report.errors.len() {
                format!("（列出前 {} 条）", report.errors.len())
            } else {
                String::new()
            }
        ));
    }
    Outcome {
        heading: "旧台账：已导入".into(),
        refused: false,
        lines,
        imported: Vec::new(),
        errors: report
            .errors
            .into_iter()
            .map(|e| (e.field, e.message))
            .collect(),
    }
}

async fn ledger_import(State(state): S, PageUser(u): PageUser, req: Request) -> Response {
    let mut form = LedgerForm::default();
    let r = async {
        let up = read_import(&state, &u, req).await?;
        form = LedgerForm {
            mapping: up.fields.get("mapping").cloned().unwrap_or_default(),
            batch: up.fields.get("batch").cloned().unwrap_or_default(),
            skip_bad: up
                .fields
                .get("skip_bad")
                .is_some_and(|v| matches!(v.as_str(), "on" | "true" | "1")),
        };
        let kind = TableKind::of_file(&up.file_name).ok_or_else(|| {
            AppError::field(
                "file",
                "unknown_format",
                "请上传 .csv 或 .xlsx 文件（按文件扩展名识别）",
            )
        })?;
        let mapping = parse_mapping(&form.mapping)?;
        let batch_size = match form.batch.trim() {
            "" => 1000,
            b => b
                .parse::<usize>()
                .ok()
                .filter(|n| (1..=5000).contains(n))
                .ok_or_else(|| {
                    AppError::field("batch", "out_of_range", "每批行数应为 1–5000 的整数")
                })?,
        };
        let options = LedgerOptions {
            mapping,
            batch_size,
            skip_bad: form.skip_bad,
            max_batches: None,
            file_name: up.file_name.clone(),
        };
        ledger::import_ledger(
            &state,
            &u.user,
            &up.bytes,
            kind,
            &options,
            &mut |_: usize, _: usize| {},
        )
        .await
    }
    .await;
    match r {
        Ok(report) => {
            page_for(
                &state,
                &u,
                Some(ledger_outcome(report)),
                StatusCode::OK,
                "",
                LedgerForm::default(),
            )
            .await
        }
        Err(e) => refusal(&state, &u, "旧台账", e, form).await,
    }
}

/// The list page's filters as a workbook: the same input the list uses; no words and no
/// filter is the list itself, newest first.
pub(super) async fn petitions_xlsx(
    state: &AppState,
    u: &CurrentUser,
    mut input: xinfang_app::search::SearchInput,
    searching: bool,
) -> Response {
    if !searching {
        input.sort = Some("date".into());
    }
    input.cursor = None;
    match exchange::xlsx::export_xlsx(state, u, &input).await {
        Ok(book) => crate::http::api::exchange::workbook_response(book),
        Err(e) => error_page(state, Some(u), e),
    }
}

/// Whether the list page offers its Excel export to `role` (the search's own check).
pub(super) fn may_export_list(role: Role) -> bool {
    xinfang_domain::search::may_search(role)
}

pub fn router() -> Router<Arc<AppState>> {
    Router::new()
        .route("/exchange", get(exchange_page))
        .route("/exchange/codes", post(code_save))
        .route("/exchange/national/export", post(national_export))
        .route("/exchange/hotline/replies", post(hotline_replies))
}

/// The import forms, outside the global 1 MB body limit (the configured upload limit applies).
pub fn upload_router() -> Router<Arc<AppState>> {
    Router::new()
        .route("/exchange/national/import", post(national_import))
        .route("/exchange/hotline/import", post(hotline_import))
        .route("/exchange/ledger/import", post(ledger_import))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mapping_lines_take_the_key_or_the_chinese_name() {
        let m = parse_mapping("name=来访人\n\n反映问题 ＝ 事项\n").expect("parsed");
        assert_eq!(m.get("name").map(String::as_str), Some("来访人"));
        assert_eq!(m.get("summary").map(String::as_str), Some("事项"));
        let e = parse_mapping("name 来访人").expect_err("no equals sign");
        assert!(e.messages()[0].1.contains("第 1 行"), "{:?}", e.messages());
    }
}
