//! Any list or search result as an Excel workbook: the search (its filters and words; no words
//! and `sort=date` is the petition list) read page by page through the gate, each row as its
//! viewer may list it (ID numbers and phones masked), every exported petition logged.

use xinfang_docs::workbook::{Cell, SheetSpec, render_xlsx};
use xinfang_domain::resident_id::{mask_id_number, mask_phone};

use crate::access::Listing;
use crate::auth::CurrentUser;
use crate::context::AppState;
use crate::error::{AppError, AppResult};
use crate::search::SearchInput;

/// Rows in one workbook at most.
pub const MAX_ROWS: usize = 10_000;

/// The workbook and how many petitions it lists.
pub struct Workbook {
    pub bytes: Vec<u8>,
    pub rows: usize,
    pub truncated: bool,
}

/// The search `input` (its `limit` and `cursor` ignored) as a workbook of up to
/// [`MAX_ROWS`] rows.
#[tracing::instrument(name = "exchange::export_xlsx", skip_all)]
pub async fn export_xlsx(
    state: &AppState,
    user: &CurrentUser,
    input: &SearchInput,
) -> AppResult<Workbook> {
    let mut page_input = SearchInput {
        limit: Some(100),
        cursor: None,
        ..input.clone()
    };
    let mut found = Vec::new();
    let mut truncated = false;
    loop {
        let page = crate::search::search(state, user, &page_input).await?;
        found.extend(page.rows);
        if found.len() >= MAX_ROWS {
            truncated = page.next_cursor.is_some() || found.len() > MAX_ROWS;
            found.truncate(MAX_ROWS);
            break;
        }
        match page.next_cursor {
            Some(c) => page_input.cursor = Some(c),
            None => break,
        }
    }
    let header = [
        "信访件编号",
        "国家信访件编号",
        "信访形式",
        "办理阶段",
        "登记时间",
        "信访人",
        "证件号码",
        "联系电话",
        "反映问题",
        "问题属地",
    ];
    let mut rows = Vec::with_capacity(found.len());
    let mut ids = Vec::with_capacity(found.len());
    for f in &found {
        let p = &f.record;
        ids.push(p.id.clone());
        let text = |s: &str| Cell::Text(s.to_string());
        let people = p.level() == Listing::Full;
        let join = |each: &dyn Fn(&xinfang_store::petitions::PetitionerRow) -> String| {
            p.petitioners
                .iter()
                .map(each)
                .collect::<Vec<_>>()
                .join("、")
        };
        rows.push(vec![
            text(&p.petition_no),
            text(p.national_no.as_deref().unwrap_or("")),
            text(p.channel.label_zh()),
            text(p.stage.label_zh()),
            text(&p.registered_at),
            text(&if people {
                join(&|x| x.name.clone())
            } else {
                String::new()
            }),
            text(&if people {
                join(&|x| {
                    x.id_number
                        .as_deref()
                        .map(mask_id_number)
                        .unwrap_or_default()
                })
            } else {
                String::new()
            }),
            text(&if people {
                join(&|x| mask_phone(&x.phone))
            } else {
                String::new()
            }),
            text(&p.summary),
            text(
                &xinfang_domain::region::lookup(&p.issue_region)
                    .map(|r| r.full_name.clone())
                    .unwrap_or_default(),
            ),
        ]);
    }
    let n = rows.len();
    let sheet = SheetSpec {
        name: "信访件".into(),
        title: format!("信访件清单（{} 件）", n),
        subtitle: if truncated {
            format!("{}；仅导出前 {MAX_ROWS} 件", state.bureau.name)
        } else {
            state.bureau.name.clone()
        },
        header: header.iter().map(|s| s.to_string()).collect(),
        rows,
        charts: Vec::new(),
    };
    let bytes = render_xlsx(&[sheet], Some("内部资料 注意保密"))
        .map_err(|e| AppError::Internal(format!("xlsx: {e}")))?;
    state
        .store
        .log_exports(
            &state.bureau.id,
            &ids,
            &user.user.id,
            "export_xlsx",
            state.clock.now(),
        )
        .await?;
    Ok(Workbook {
        bytes,
        rows: n,
        truncated,
    })
}
