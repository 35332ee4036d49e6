//! 12345 hotline work orders into the intake queue (a phone registration, source 12345 with its
//! order number), and the replies back to the hotline. The layout is `domain::hotline`.

use serde::Serialize;
use serde_json::json;
use xinfang_domain::FieldError;
use xinfang_domain::hotline::{self, OrderReply, WorkOrder};
use xinfang_domain::township::TownshipRef;
use xinfang_domain::words::Stage;

use super::{IMPORTERS, register_imported};
use crate::access::{Listing, listable, listed};
use crate::auth::CurrentUser;
use crate::clock::local;
use crate::context::AppState;
use crate::error::{AppError, AppResult};
use crate::write::Write;

/// The format name kept with each imported order (and its number, unique per bureau).
pub const FORMAT: &str = "12345";

/// Orders in one file at most.
pub const MAX_ORDERS: usize = 5_000;

/// An order file's format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OrderFormat {
    Json,
    Csv,
}

impl OrderFormat {
    pub fn parse(s: Option<&str>) -> AppResult<OrderFormat> {
        match s.map(|s| s.trim().to_ascii_lowercase()).as_deref() {
            None | Some("") | Some("json") => Ok(OrderFormat::Json),
            Some("csv") => Ok(OrderFormat::Csv),
            Some(other) => Err(AppError::field(
                "format",
                "unknown_format",
                format!("未知的文件格式「{other}」，应为 json 或 csv"),
            )),
        }
    }
}

fn malformed(message: String) -> AppError {
    AppError::Invalid(vec![FieldError::new("file", "malformed_file", message)])
}

/// Reads the orders: a JSON array (or `{"orders": [...]}`), or CSV with a header row naming the
/// layout's columns (English or Chinese names; unknown columns refuse the file).
pub fn read_orders(bytes: &[u8], format: OrderFormat) -> AppResult<Vec<WorkOrder>> {
    match format {
        OrderFormat::Json => {
            let v: serde_json::Value = serde_json::from_slice(bytes).map_err(|e| {
                malformed(format!(
                    "文件不是有效的 JSON：第 {} 行第 {} 列，{e}",
                    e.line(),
                    e.column()
                ))
            })?;
            let list = match v {
                serde_json::Value::Object(mut m) => m.remove("orders").unwrap_or_default(),
                other => other,
            };
            serde_json::from_value(list).map_err(|e| malformed(format!("工单的结构不正确：{e}")))
        }
        OrderFormat::Csv => {
            let text = std::str::from_utf8(bytes)
                .map_err(|_| malformed("CSV 文件应为 UTF-8 编码".into()))?;
            let mut reader = csv::ReaderBuilder::new()
                .flexible(false)
                .from_reader(text.as_bytes());
            let headers = reader
                .headers()
                .map_err(|e| malformed(format!("CSV 表头无法读取：{e}")))?
                .clone();
            let mut fields = Vec::new();
            for (i, h) in headers.iter().enumerate() {
                match hotline::column_field(h) {
                    Some(f) => fields.push(f),
                    None => {
                        return Err(AppError::Invalid(vec![FieldError::new(
                            format!("columns[{i}]"),
                            "unknown_column",
                            format!("第 {} 列「{}」不是工单的列", i + 1, h.trim()),
                        )]));
                    }
                }
            }
            if !fields.contains(&"order_no") {
                return Err(AppError::field(
                    "columns",
                    "missing_column",
                    "CSV 缺少「工单编号」列",
                ));
            }
            let mut out = Vec::new();
            for (row, record) in reader.records().enumerate() {
                let record =
                    record.map_err(|e| malformed(format!("CSV 第 {} 行格式错误：{e}", row + 2)))?;
                let mut o = WorkOrder::default();
                for (f, v) in fields.iter().zip(record.iter()) {
                    o.set(f, v);
                }
                out.push(o);
            }
            Ok(out)
        }
    }
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ImportedOrder {
    pub id: String,
    pub petition_no: String,
    pub order_no: String,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct OrderImportReport {
    pub imported: Vec<ImportedOrder>,
}

/// Imports work orders into the intake queue. Every order is checked first (the layout, the
/// registration as the window checks a call, the township, the order number new to the bureau
/// and to the file); any refused order refuses the file, each error named by order and field,
/// and nothing is written.
#[tracing::instrument(name = "exchange::import_orders", skip_all)]
pub async fn import_orders(
    state: &AppState,
    user: &CurrentUser,
    bytes: &[u8],
    format: OrderFormat,
) -> AppResult<OrderImportReport> {
    user.require(IMPORTERS)?;
    let orders = read_orders(bytes, format)?;
    if orders.is_empty() {
        return Err(AppError::field("orders", "empty_file", "文件中没有工单"));
    }
    if orders.len() > MAX_ORDERS {
        return Err(AppError::field(
            "orders",
            "too_many",
            format!("一个文件不超过 {MAX_ORDERS} 张工单，请分批导入"),
        ));
    }
    let now = state.clock.now();
    let numbers: Vec<String> = orders
        .iter()
        .map(|o| o.order_no.trim().to_string())
        .collect();
    let taken = state
        .store
        .external_nos_taken(&state.bureau.id, FORMAT, &numbers)
        .await?;
    let units = state.store.units(&state.bureau.id).await?;
    let mut errors = Vec::new();
    let mut ready = Vec::new();
    let mut seen = std::collections::HashMap::new();
    for (i, o) in orders.iter().enumerate() {
        let before = errors.len();
        let no = o.order_no.trim();
        if !no.is_empty() {
            if let Some(first) = seen.insert(no.to_string(), i) {
                errors.push(hotline::order_error(
                    i,
                    "order_no",
                    "duplicate_order_no",
                    &format!("工单编号「{no}」与第 {} 张重复", first + 1),
                ));
            } else if taken.contains(no) {
                errors.push(hotline::order_error(
                    i,
                    "order_no",
                    "duplicate_order_no",
                    &format!("工单编号「{no}」已导入过，不能重复导入"),
                ));
            }
        }
        let mut parsed = match hotline::parse_order(o, i, local(now), &state.bureau.region_code) {
            Ok(p) => p,
            Err(es) => {
                errors.extend(es);
                continue;
            }
        };
        if let Some(name) = &parsed.township_name {
            match units.iter().find(|u| {
                u.active && u.name == *name && matches!(u.kind.as_str(), "township" | "street")
            }) {
                Some(u) => {
                    parsed.registration.township = TownshipRef::Unit {
                        unit_id: u.id.clone(),
                    }
                }
                None => errors.push(hotline::order_error(
                    i,
                    "township",
                    "unknown_township",
                    &format!("「{name}」不是本局的乡镇（街道）单位"),
                )),
            }
        }
        if errors.len() == before {
            ready.push(parsed);
        }
    }
    if !errors.is_empty() {
        return Err(AppError::Invalid(errors));
    }
    let mut w = Write::begin_at(state, user, now).await?;
    let mut out = Vec::new();
    for p in ready {
        let (id, petition_no) = register_imported(
            state,
            &mut w,
            user,
            &p.registration,
            json!({"from": FORMAT, "order_no": p.order_no}),
            (FORMAT, Some(p.order_no.as_str()), &json!({})),
        )
        .await?;
        out.push(ImportedOrder {
            id,
            petition_no,
            order_no: p.order_no,
        });
    }
    w.commit().await?;
    Ok(OrderImportReport { imported: out })
}

/// What a reply says of a petition in `stage`: where it stands, in the hotline's words.
fn reply_text(
    view: &crate::access::PetitionView,
    reasons: &[xinfang_store::reasons::DecisionReason],
) -> String {
    let mut parts = vec![format!("办理状态：{}", view.stage.label_zh())];
    if let Some(a) = view.acceptance {
        parts.push(format!("受理决定：{}", a.label_zh()));
    }
    if let Some(r) = &view.decision_reason {
        let text = reasons
            .iter()
            .find(|x| {
                x.code == *r && Some(x.acceptance.as_str()) == view.acceptance.map(|a| a.as_str())
            })
            .map(|x| x.reason.clone())
            .unwrap_or_else(|| r.clone());
        parts.push(format!("理由：{text}"));
    }
    parts.join("；")
}

fn finished(stage: Stage) -> bool {
    stage.is_final() || matches!(stage, Stage::Decided)
}

/// The replies for the hotline: every imported order the caller may see, with its petition's
/// state, as JSON (an array) or CSV (the same columns). Rows pass the gate; each is logged.
#[tracing::instrument(name = "exchange::order_replies", skip_all)]
pub async fn order_replies(
    state: &AppState,
    user: &CurrentUser,
    format: OrderFormat,
) -> AppResult<(Vec<u8>, usize)> {
    if !super::may_export(user.role()) {
        return Err(AppError::forbidden());
    }
    let imported = state.store.imported_from(&state.bureau.id, FORMAT).await?;
    let mut records = Vec::new();
    let mut order_of = std::collections::HashMap::new();
    for (id, order_no) in &imported {
        order_of.insert(id.clone(), order_no.clone());
        if let Ok(p) = state.store.petition(&state.bureau.id, id).await {
            records.push(p);
        }
    }
    let reasons = state.store.decision_reasons(&state.bureau.id).await?;
    let mut replies = Vec::new();
    let mut ids = Vec::new();
    for (r, level) in listable(state, &user.user, records).await? {
        if level == Listing::NumberOnly {
            continue;
        }
        let v = listed(&r, level);
        ids.push(v.id.clone());
        replies.push(OrderReply {
            order_no: order_of.get(&v.id).cloned().unwrap_or_default(),
            petition_no: v.petition_no.clone(),
            status: v.stage.label_zh().into(),
            reply: reply_text(&v, &reasons),
            updated_at: chrono::DateTime::parse_from_rfc3339(&v.updated_at)
                .map(|t| {
                    local(t.with_timezone(&chrono::Utc))
                        .format("%Y-%m-%d %H:%M:%S")
                        .to_string()
                })
                .unwrap_or_default(),
            finished: if finished(v.stage) { "1" } else { "0" }.into(),
        });
    }
    state
        .store
        .log_exports(
            &state.bureau.id,
            &ids,
            &user.user.id,
            "export_12345_reply",
            state.clock.now(),
        )
        .await?;
    let n = replies.len();
    let bytes = match format {
        OrderFormat::Json => serde_json::to_vec_pretty(&replies)
            .map_err(|e| AppError::Internal(format!("replies: {e}")))?,
        OrderFormat::Csv => {
            let mut w = csv::Writer::from_writer(Vec::new());
            for r in &replies {
                w.serialize(r)
                    .map_err(|e| AppError::Internal(format!("replies: {e}")))?;
            }
            w.into_inner()
                .map_err(|e| AppError::Internal(format!("replies: {e}")))?
        }
    };
    Ok((bytes, n))
}
