//! Importing the bureau's old registers (台账) from CSV or Excel: the columns mapped, every row
//! checked in the domain, the bad rows reported; then a bulk path — batches of rows written a
//! few statements each, with their `registered` events, repeat detection one lookup per batch —
//! that resumes after its last committed batch. A refused file writes nothing.

use std::collections::HashMap;

use chrono::Datelike;
use serde::Serialize;
use serde_json::json;
use sha2::{Digest, Sha256};
use xinfang_domain::FieldError;
use xinfang_domain::ledger::{self, ColumnMapping, LedgerRow};
use xinfang_domain::township::TownshipRef;
use xinfang_store::exchange::BulkPetition;
use xinfang_store::people::User;

use super::IMPORTERS;
use crate::clock::{from_local, local, local_date};
use crate::context::AppState;
use crate::error::{AppError, AppResult};
use crate::numbers::{petition_no, query_code};
use crate::write::Write;

/// The format name kept with each imported row.
pub const FORMAT: &str = "ledger";

/// Bad rows listed in a report at most (all are counted).
pub const MAX_REPORTED: usize = 1000;

/// A table's format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TableKind {
    Csv,
    Xlsx,
}

impl TableKind {
    /// By the file name's extension.
    pub fn of_file(name: &str) -> Option<TableKind> {
        let lower = name.to_ascii_lowercase();
        if lower.ends_with(".csv") {
            Some(TableKind::Csv)
        } else if lower.ends_with(".xlsx") || lower.ends_with(".xls") || lower.ends_with(".ods") {
            Some(TableKind::Xlsx)
        } else {
            None
        }
    }
}

/// A table opened: its header row, and its rows read on demand — a register of a million rows
/// is read twice (checked, then written) rather than held in memory as cells and as rows.
pub struct Table<'a> {
    pub headers: Vec<String>,
    source: Source<'a>,
}

enum Source<'a> {
    /// The bytes after the header, UTF-8 checked.
    Csv(&'a [u8]),
    /// The first sheet, and how many rows above the first data row (title and header).
    Xlsx(calamine::Range<calamine::Data>, usize),
}

fn malformed(message: String) -> AppError {
    AppError::Invalid(vec![FieldError::new("file", "malformed_file", message)])
}

fn csv_reader(bytes: &[u8]) -> csv::Reader<&[u8]> {
    csv::ReaderBuilder::new().flexible(true).from_reader(bytes)
}

fn cell_text(c: &calamine::Data) -> String {
    use calamine::Data;
    match c {
        Data::DateTime(d) => d
            .as_datetime()
            .map(|t| t.format("%Y-%m-%d %H:%M:%S").to_string())
            .unwrap_or_default(),
        Data::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", *f as i64),
        Data::Empty => String::new(),
        other => other.to_string(),
    }
}

/// Opens a CSV (UTF-8) or Excel file (its first sheet) and reads its header. Dates in Excel
/// cells become `YYYY-MM-DD HH:MM:SS`.
pub fn read_table(bytes: &[u8], kind: TableKind) -> AppResult<Table<'_>> {
    match kind {
        TableKind::Csv => {
            std::str::from_utf8(bytes).map_err(|_| malformed("CSV 文件应为 UTF-8 编码".into()))?;
            let mut reader = csv_reader(bytes);
            let headers: Vec<String> = reader
                .headers()
                .map_err(|e| malformed(format!("CSV 表头无法读取：{e}")))?
                .iter()
                .map(|h| h.trim().trim_start_matches('\u{feff}').to_string())
                .collect();
            Ok(Table {
                headers,
                source: Source::Csv(bytes),
            })
        }
        TableKind::Xlsx => {
            use calamine::{Data, Reader};
            let mut book = calamine::open_workbook_auto_from_rs(std::io::Cursor::new(bytes))
                .map_err(|e| malformed(format!("Excel 文件无法打开：{e}")))?;
            let range = book
                .worksheet_range_at(0)
                .ok_or_else(|| malformed("Excel 文件没有工作表".into()))?
                .map_err(|e| malformed(format!("Excel 工作表无法读取：{e}")))?;
            // The header is the first row with two cells or more: a title above it is skipped.
            let above = range
                .rows()
                .take_while(|r| r.iter().filter(|c| !matches!(c, Data::Empty)).count() < 2)
                .count();
            let headers: Vec<String> = range
                .rows()
                .nth(above)
                .map(|r| r.iter().map(|c| cell_text(c).trim().to_string()).collect())
                .unwrap_or_default();
            Ok(Table {
                headers,
                source: Source::Xlsx(range, above + 1),
            })
        }
    }
}

impl Table<'_> {
    /// The rows below the header, each cell as text, from the first again on every call.
    pub fn rows(&self) -> Box<dyn Iterator<Item = AppResult<Vec<String>>> + Send + '_> {
        match &self.source {
            Source::Csv(bytes) => {
                Box::new(csv_reader(bytes).into_records().enumerate().map(|(i, r)| {
                    r.map(|r| r.iter().map(str::to_string).collect())
                        .map_err(|e| malformed(format!("CSV 第 {} 行格式错误：{e}", i + 2)))
                }))
            }
            Source::Xlsx(range, skip) => Box::new(
                range
                    .rows()
                    .skip(*skip)
                    .map(|r| Ok(r.iter().map(cell_text).collect())),
            ),
        }
    }
}

/// How an import runs.
#[derive(Debug, Clone)]
pub struct LedgerOptions {
    /// Field → header, for columns the default headers do not find.
    pub mapping: HashMap<String, String>,
    /// Rows per committed batch.
    pub batch_size: usize,
    /// Write the good rows and report the bad ones, instead of refusing the file.
    pub skip_bad: bool,
    /// Batches to write in this run at most (a large register spread over several runs); the
    /// next run of the same file goes on after them.
    pub max_batches: Option<usize>,
    pub file_name: String,
}

impl Default for LedgerOptions {
    fn default() -> Self {
        LedgerOptions {
            mapping: HashMap::new(),
            batch_size: 1000,
            skip_bad: false,
            max_batches: None,
            file_name: String::new(),
        }
    }
}

#[derive(Debug, Clone, Serialize, Default, utoipa::ToSchema)]
pub struct LedgerReport {
    /// Rows below the header
    pub total: usize,
    /// Petitions written by this run
    pub imported: usize,
    /// Rows an earlier, interrupted run had committed (resumed after them)
    pub resumed_after: usize,
    /// Bad rows (all of them counted, the first 1000 listed in `errors`)
    pub bad_rows: usize,
    /// Repeats found (same ID number as an earlier petition)
    pub repeats: usize,
    pub batches: usize,
    pub errors: Vec<LedgerError>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct LedgerError {
    pub field: String,
    pub code: String,
    pub message: String,
}

/// What a progress display is told: rows done of the total.
pub trait Progress {
    fn set(&mut self, done: usize, total: usize);
}

impl<F: FnMut(usize, usize)> Progress for F {
    fn set(&mut self, done: usize, total: usize) {
        self(done, total)
    }
}

/// Imports a table as `user`. The file is identified by its SHA-256: a run of the same file
/// after an interruption continues after its last committed batch; a finished one is refused.
#[tracing::instrument(name = "exchange::import_ledger", skip_all)]
pub async fn import_ledger(
    state: &AppState,
    user: &User,
    bytes: &[u8],
    kind: TableKind,
    options: &LedgerOptions,
    progress: &mut (dyn Progress + Send),
) -> AppResult<LedgerReport> {
    if !IMPORTERS.contains(&user.role) {
        return Err(AppError::forbidden());
    }
    let batch_size = options.batch_size.clamp(1, 5000);
    let table = read_table(bytes, kind)?;
    let mapping: ColumnMapping =
        ledger::map_columns(&table.headers, &options.mapping).map_err(AppError::Invalid)?;
    let sha = hex::encode(Sha256::digest(bytes));
    let now = state.clock.now();
    let mut report = LedgerReport::default();
    let run = state.store.import_run(&state.bureau.id, &sha).await?;
    if let Some((_, _, true)) = run {
        return Err(AppError::Conflict(
            "该文件已完整导入过，不能重复导入".into(),
        ));
    }
    let units = state.store.units(&state.bureau.id).await?;
    let townships: HashMap<&str, &str> = units
        .iter()
        .filter(|u| u.active && matches!(u.kind.as_str(), "township" | "street"))
        .map(|u| (u.name.as_str(), u.id.as_str()))
        .collect();
    let check = RowCheck {
        mapping: &mapping,
        townships: &townships,
        now: local(now),
        region: &state.bureau.region_code,
    };
    // First pass: every row checked before anything is written; only the bad rows are kept.
    let mut bad: Vec<FieldError> = Vec::new();
    for (i, cells) in table.rows().enumerate() {
        report.total += 1;
        if let Err(es) = check.row(&cells?, i + 2) {
            report.bad_rows += 1;
            for e in es {
                if bad.len() < MAX_REPORTED {
                    report.errors.push(LedgerError {
                        field: e.field.clone().unwrap_or_default(),
                        code: e.code.into(),
                        message: e.message.clone(),
                    });
                    bad.push(e);
                }
            }
        }
        if i % 10_000 == 0 {
            progress.set(0, i);
        }
    }
    if report.bad_rows > 0 && !options.skip_bad {
        // A refused file writes nothing: the summary first, then each bad row's problems.
        let mut errors = vec![FieldError::general(
            "refused_file",
            format!(
                "共 {} 行，其中 {} 行有误：文件未导入，未写入任何数据（改正后重新导入，或选择只导入正确的行）",
                report.total, report.bad_rows
            ),
        )];
        errors.extend(bad);
        return Err(AppError::Invalid(errors));
    }
    let total = report.total;
    let (run_id, from) = match run {
        Some((id, committed, _)) => (id, committed as usize),
        None => (
            state
                .store
                .start_import_run(
                    &state.bureau.id,
                    &sha,
                    &options.file_name,
                    total as i64,
                    &user.id,
                    now,
                )
                .await?,
            0,
        ),
    };
    report.resumed_after = from;
    progress.set(from, total);
    // Second pass: the same rows again, checked again (cheap beside writing them), written in
    // batches after those an earlier run committed.
    let mut rows = table.rows().enumerate().skip(from);
    let mut at = from;
    while at < total {
        if options.max_batches.is_some_and(|m| report.batches >= m) {
            break;
        }
        let mut batch: Vec<Option<LedgerRow>> = Vec::with_capacity(batch_size);
        for (i, cells) in rows.by_ref().take(batch_size) {
            // Empty and (with --skip-bad) bad rows keep their place, so lines and the resume
            // point stay those of the file.
            batch.push(check.row(&cells?, i + 2).ok().flatten());
        }
        let to = at + batch.len();
        if batch.is_empty() {
            break;
        }
        let (written, repeats) = write_batch(
            state,
            user,
            &batch,
            Batch {
                run_id: &run_id,
                from: at,
                to,
                done: to >= total,
                sha: &sha,
            },
        )
        .await?;
        report.imported += written;
        report.repeats += repeats;
        report.batches += 1;
        at = to;
        // The tables grow many times over during a large import: the planner's statistics
        // follow them (after the first batch, then every 100).
        if report.batches % 100 == 1 {
            state.store.refresh_import_statistics().await?;
        }
        progress.set(at, total);
    }
    Ok(report)
}

/// What a row is checked against.
struct RowCheck<'a> {
    mapping: &'a ColumnMapping,
    /// Township and street units by name.
    townships: &'a HashMap<&'a str, &'a str>,
    now: chrono::NaiveDateTime,
    region: &'a str,
}

impl RowCheck<'_> {
    /// Row `line` checked in the domain, its township found by name: `None` for an empty row.
    fn row(&self, cells: &[String], line: usize) -> Result<Option<LedgerRow>, Vec<FieldError>> {
        if cells.iter().all(|c| c.trim().is_empty()) {
            return Ok(None);
        }
        let mut r = ledger::parse_row(cells, self.mapping, line, self.now, self.region)?;
        if let Some(name) = &r.township_name {
            match self.townships.get(name.as_str()) {
                Some(id) => {
                    r.registration.township = TownshipRef::Unit {
                        unit_id: id.to_string(),
                    }
                }
                None => {
                    return Err(vec![ledger::row_error(
                        line,
                        "township",
                        "unknown_township",
                        &format!("「{name}」不是本局的乡镇（街道）单位"),
                    )]);
                }
            }
        }
        Ok(Some(r))
    }
}

/// Where a batch lies in its run.
struct Batch<'a> {
    run_id: &'a str,
    from: usize,
    to: usize,
    done: bool,
    sha: &'a str,
}

/// Writes the rows of one batch, and the run's count past them, in one transaction: numbers
/// reserved per channel, repeats found with one lookup for the batch's ID numbers (and among
/// the batch's own rows), the rows and their events in a few statements. Returns the petitions
/// written and the repeats among them.
async fn write_batch(
    state: &AppState,
    user: &User,
    rows: &[Option<LedgerRow>],
    b: Batch<'_>,
) -> AppResult<(usize, usize)> {
    let now = state.clock.now();
    let today = local_date(now);
    let mut w = Write::begin_as(state, &user.id, user.role, now).await?;
    let good: Vec<(usize, &LedgerRow)> = rows
        .iter()
        .enumerate()
        .filter_map(|(i, r)| r.as_ref().map(|r| (b.from + i, r)))
        .collect();
    // Repeats: one lookup for the batch's ID numbers.
    let ids: Vec<Option<String>> = good
        .iter()
        .map(|(_, r)| {
            r.registration
                .petitioners
                .first()
                .and_then(|p| p.id_number.clone())
        })
        .collect();
    let mut wanted: Vec<String> = ids.iter().flatten().cloned().collect();
    wanted.sort();
    wanted.dedup();
    let known = state
        .store
        .petitions_by_id_numbers(&mut w.tx, &state.bureau.id, &wanted)
        .await?;
    let repeats = ledger::repeats_in_batch(&ids, &known);
    // Numbers: one block per channel.
    let mut numbers: HashMap<&'static str, i64> = HashMap::new();
    for (_, r) in &good {
        *numbers.entry(r.registration.channel.as_str()).or_default() += 1;
    }
    let mut next: HashMap<&'static str, i64> = HashMap::new();
    for (channel, n) in &numbers {
        let first = state
            .store
            .reserve_in_sequence(
                &mut w.tx,
                &state.bureau.id,
                &format!("petition:{channel}"),
                today.year(),
                *n,
            )
            .await?;
        next.insert(*channel, first);
    }
    let pids: Vec<String> = good.iter().map(|_| xinfang_store::new_id()).collect();
    let mut regs: Vec<xinfang_domain::registration::Registration> =
        good.iter().map(|(_, r)| r.registration.clone()).collect();
    for (i, earlier) in &repeats {
        let earlier = match earlier {
            Ok(id) => id.clone(),
            Err(j) => pids[*j].clone(),
        };
        regs[*i].repeat_of = Some(earlier);
        regs[*i].repeat_reason = "历史台账导入：证件号码与此前信访件相同".into();
    }
    let mut nos = Vec::with_capacity(good.len());
    let mut codes = Vec::with_capacity(good.len());
    let mut payloads = Vec::with_capacity(good.len());
    for (k, (line, r)) in good.iter().enumerate() {
        let reg = &regs[k];
        let seq = next.entry(reg.channel.as_str()).or_default();
        let no = petition_no(reg.channel, today.year(), *seq);
        *seq += 1;
        // Registered where it came from: a letter too starts registered here, not signed for.
        let stage = xinfang_domain::words::Stage::Registered;
        payloads.push(json!({
            "petition_no": no,
            "channel": reg.channel.as_str(),
            "stage": stage.as_str(),
            "registration": reg,
            "imported": {"from": FORMAT, "line": line + 2, "old_no": r.old_no},
        }));
        nos.push(no);
        codes.push(query_code());
    }
    let stages: Vec<&'static str> = regs
        .iter()
        .map(|_| xinfang_domain::words::Stage::Registered.as_str())
        .collect();
    let bulk: Vec<BulkPetition> = good
        .iter()
        .enumerate()
        .map(|(k, (line, _))| BulkPetition {
            id: &pids[k],
            petition_no: &nos[k],
            query_code: &codes[k],
            stage: stages[k],
            registration: &regs[k],
            // An old register's row was registered on its 登记日期, not on the day of the
            // import: statistics and lists count it where it happened.
            registered_at_utc: from_local(regs[k].visited_at),
            registered_on: regs[k].visited_at.date(),
            visited_at_utc: from_local(regs[k].visited_at),
            national_no: None,
            payload: &payloads[k],
            format: FORMAT,
            // The file and its line: a batch committed twice would collide here.
            external_no: Some(format!("{}:{}", &b.sha[..16], line + 2)),
        })
        .collect();
    state
        .store
        .insert_bulk(
            &mut w.tx,
            &state.bureau.id,
            &bulk,
            &xinfang_store::petitions::Actor {
                id: &user.id,
                role: user.role,
            },
            now,
        )
        .await?;
    state
        .store
        .advance_import_run(&mut w.tx, b.run_id, b.from as i64, b.to as i64, b.done, now)
        .await
        .map_err(|_| AppError::Conflict("该文件正由另一个导入进程写入，本批未写入".into()))?;
    w.commit().await?;
    Ok((good.len(), repeats.len()))
}
