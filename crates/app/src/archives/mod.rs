//! Archives (seed 一 5, 二 四; rules §8): a dossier per petition assembled from what the system
//! holds, in the order of the seed's list for its source, with its 卷内目录 and 备考表; the
//! archive command; 档号 and retention; the year-end transfer to the office; appraisal and
//! destruction; lending; export as one PDF and as a package; the move of a confidential
//! dossier to the offline machine (网机隔离).
//!
//! Custody: the archivist keeps the archives and the leaders read them (`domain::archive`).
//! A confidential petition's content stays with those assigned and the leaders: the archivist
//! handles its dossier by its table of contents (titles, numbers, dates) and never opens its
//! pieces. Everyone else reads a dossier only through an approved loan. Every reading is logged.

pub mod assembly;
pub mod offline;

use std::io::Write as _;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use serde_json::json;
use xinfang_domain::approval::Gate;
use xinfang_domain::archive::{self, ArchivalNo, ContentList, ItemKind, Retention, RetentionRule};
use xinfang_domain::lifecycle::{self, Command, Stage};
use xinfang_domain::role::Role;
use xinfang_domain::visibility::Access;
use xinfang_store::archives::{DossierItemRow, DossierRow, NewDossier, SupplementRow};
use xinfang_store::new_id;
use xinfang_store::petitions::PetitionRecord;

use crate::auth::{CurrentUser, display_name};
use crate::clock::local_date;
use crate::context::AppState;
use crate::error::{AppError, AppResult};
use crate::write::Write;
use assembly::{Found, Origin};

/// How much of a petition's dossier a keeper may see.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Custody {
    /// Titles, numbers and content.
    Full,
    /// The table of contents only: a confidential petition not assigned to this archivist.
    IndexOnly,
}

/// The archivist or a leader, not recused; content if the gate allows it.
async fn custody(state: &AppState, user: &CurrentUser, p: &PetitionRecord) -> AppResult<Custody> {
    if !archive::may_read_archives(user.role()) {
        return Err(AppError::Forbidden(
            "档案由档案管理人员保管，局领导查阅".into(),
        ));
    }
    if state.store.is_recused(&user.user.id, &p.id).await? {
        return Err(AppError::Forbidden("您已申请回避该信访事项".into()));
    }
    let access = crate::access::access_of(state, &user.user, p).await?;
    log_reading(state, user, p, "archive").await?;
    Ok(if access == Access::Full {
        Custody::Full
    } else {
        Custody::IndexOnly
    })
}

/// Every reading of a dossier goes into the access log (rules §14).
async fn log_reading(
    state: &AppState,
    user: &CurrentUser,
    p: &PetitionRecord,
    purpose: &str,
) -> AppResult<()> {
    state
        .store
        .log_access(
            &state.bureau.id,
            &p.id,
            &user.user.id,
            purpose,
            state.clock.now(),
        )
        .await?;
    Ok(())
}

fn keeper(user: &CurrentUser) -> AppResult<()> {
    if archive::may_keep(user.role()) {
        Ok(())
    } else {
        Err(AppError::Forbidden(
            "归档、移交、销毁由档案管理人员办理".into(),
        ))
    }
}

// ---------------------------------------------------------------------------------------------
// Before archiving

/// A petition waiting to be archived, as the archivist's list shows it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Candidate {
    pub petition_id: String,
    pub petition_no: String,
    pub channel: String,
    pub registered_on: String,
    /// When it was deregistered (its last change).
    pub deregistered_at: String,
}

/// Deregistered petitions the viewer may keep, oldest first.
#[tracing::instrument(name = "archives::candidates", skip_all)]
pub async fn candidates(state: &AppState, user: &CurrentUser) -> AppResult<Vec<Candidate>> {
    keeper(user)?;
    let mut out = Vec::new();
    for c in state.store.archive_candidates(&state.bureau.id).await? {
        if state.store.is_recused(&user.user.id, &c.id).await? {
            continue;
        }
        out.push(Candidate {
            petition_id: c.id,
            petition_no: c.petition_no,
            channel: xinfang_domain::words::Channel::parse(&c.channel)
                .map(|c| c.label_zh().to_string())
                .unwrap_or(c.channel),
            registered_on: c.registered_on,
            deregistered_at: crate::clock::show(&c.updated_at),
        });
    }
    Ok(out)
}

/// One line of a dossier's table of contents (卷内目录), before or after archiving.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct IndexLine {
    pub ordinal: i64,
    pub entry: String,
    pub item_kind: String,
    pub doc_no: String,
    pub responsible: String,
    pub title: String,
    pub dated: String,
    /// Known once archived (pieces are counted when bound).
    pub pages: Option<i64>,
    pub note: String,
    pub source: String,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct EntryView {
    pub item_kind: String,
    pub label: String,
    pub required: bool,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct SupplementView {
    pub id: String,
    pub item_kind: String,
    pub label: String,
    pub title: String,
    pub absence_reason: String,
    pub has_file: bool,
    pub recorded_at: String,
}

/// What archiving a petition would file, and what still stands in the way.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Preview {
    pub petition_id: String,
    pub petition_no: String,
    pub stage: String,
    pub kind: String,
    pub kind_label: String,
    pub list: String,
    pub list_label: String,
    pub clause: String,
    /// 案卷题名 (empty when the viewer sees the index only).
    pub title: String,
    pub retention: String,
    pub retention_label: String,
    pub index: Vec<IndexLine>,
    pub entries: Vec<EntryView>,
    pub missing: Vec<EntryView>,
    pub absences: Vec<(String, String)>,
    pub supplements: Vec<SupplementView>,
    /// Whether the 复查 / 复核 windows have lapsed or been used.
    pub appeals_final: bool,
    /// Why it cannot be archived now (empty: it can).
    pub blockers: Vec<String>,
    pub index_only: bool,
    /// Deregistered, not yet archived: pieces may still be supplied.
    pub open: bool,
    /// The dossier, once archived.
    pub dossier_id: Option<String>,
}

fn entry_view(e: &archive::Entry) -> EntryView {
    EntryView {
        item_kind: e.kind.as_str().into(),
        label: e.label.into(),
        required: e.need == archive::Need::Required,
    }
}

/// 案卷题名: who raised what (关于王某某反映……的信访事项).
fn dossier_title(p: &PetitionRecord) -> String {
    let who = if p.anonymous {
        "匿名信访人".to_string()
    } else {
        match p.petitioners.as_slice() {
            [] => "信访人".into(),
            [one] => one.name.clone(),
            [first, ..] => format!(
                "{}等{}人",
                first.name,
                p.visitor_count.max(p.petitioners.len() as i64)
            ),
        }
    };
    let matter: String = p.summary.chars().take(40).collect();
    format!("关于{who}反映{matter}的信访事项")
}

async fn retention_rules(state: &AppState) -> AppResult<Vec<RetentionRule>> {
    let stored = state.store.retention_rules(&state.bureau.id).await?;
    let mut rules = archive::default_retention_rules();
    for (kind, prefix, retention) in stored {
        if let (Some(kind), Some(retention)) = (
            xinfang_domain::words::DossierKind::parse(&kind),
            Retention::parse(&retention),
        ) {
            rules.retain(|r| !(r.kind == kind && r.category_prefix == prefix));
            rules.push(RetentionRule {
                kind,
                category_prefix: prefix,
                retention,
            });
        }
    }
    Ok(rules)
}

struct Assembled {
    list: ContentList,
    contents: archive::Contents,
    found: Vec<Found>,
    supplements: Vec<SupplementRow>,
    appeals_final: bool,
    retention: Retention,
}

async fn assemble(state: &AppState, p: &PetitionRecord) -> AppResult<Assembled> {
    let list = assembly::list_of(state, p).await?;
    let (found, absences, supplements) = assembly::find(state, p).await?;
    let contents = archive::assemble(
        list,
        found.iter().map(|f| f.piece.clone()).collect(),
        &absences,
    );
    let appeals_final = crate::handling::is_final(state, p).await?;
    let retention = archive::retention_for(
        &retention_rules(state).await?,
        list.kind(),
        p.category.as_deref(),
    );
    Ok(Assembled {
        list,
        contents,
        found,
        supplements,
        appeals_final,
        retention,
    })
}

fn masked(line: IndexLine, custody: Custody) -> IndexLine {
    if custody == Custody::Full {
        return line;
    }
    // Titles of the petitioner's own material and records may name them: the entry's label
    // stands in for them.
    IndexLine {
        title: line.entry.clone(),
        responsible: if line.source.starts_with("scan:") {
            "信访人".into()
        } else {
            line.responsible
        },
        ..line
    }
}

/// What the petition's dossier holds and whether it can be archived now.
#[tracing::instrument(name = "archives::preview", skip_all)]
pub async fn preview(
    state: &AppState,
    user: &CurrentUser,
    petition_id: &str,
) -> AppResult<Preview> {
    let p = state.store.petition(&state.bureau.id, petition_id).await?;
    let c = custody(state, user, &p).await?;
    let a = assemble(state, &p).await?;
    let entries = a.list.entries();
    let index = a
        .contents
        .pieces
        .iter()
        .enumerate()
        .map(|(i, (e, piece))| {
            let note = a
                .found
                .iter()
                .find(|f| f.piece.source == piece.source)
                .map(|f| f.note.clone())
                .unwrap_or_default();
            masked(
                IndexLine {
                    ordinal: i as i64 + 1,
                    entry: entries[*e].label.into(),
                    item_kind: piece.kind.as_str().into(),
                    doc_no: piece.doc_no.clone(),
                    responsible: piece.responsible.clone(),
                    title: piece.title.clone(),
                    dated: piece.dated.to_string(),
                    pages: None,
                    note,
                    source: piece.source.clone(),
                },
                c,
            )
        })
        .collect();
    let mut blockers = Vec::new();
    if let Err(e) = archive::check_archivable(p.stage, a.appeals_final, &a.contents.missing) {
        blockers.push(e.message);
    }
    let dossier = state.store.dossier_of_petition(&p.id).await?;
    Ok(Preview {
        petition_id: p.id.clone(),
        petition_no: p.petition_no.clone(),
        stage: p.stage.label_zh().into(),
        kind: a.list.kind().as_str().into(),
        kind_label: a.list.kind().label_zh().into(),
        list: a.list.as_str().into(),
        list_label: a.list.label_zh().into(),
        clause: a.list.clause().into(),
        title: if c == Custody::Full {
            dossier_title(&p)
        } else {
            String::new()
        },
        retention: a.retention.code().into(),
        retention_label: a.retention.label_zh().into(),
        index,
        entries: entries.iter().map(entry_view).collect(),
        missing: a.contents.missing.iter().map(entry_view).collect(),
        absences: a
            .contents
            .absences
            .iter()
            .map(|(e, r)| (e.label.to_string(), r.clone()))
            .collect(),
        supplements: a
            .supplements
            .iter()
            .map(|s| SupplementView {
                id: s.id.clone(),
                item_kind: s.item_kind.clone(),
                label: ItemKind::parse(&s.item_kind)
                    .map(|k| entries[a.list.entry_of(k)].label)
                    .unwrap_or("")
                    .into(),
                title: if c == Custody::Full {
                    s.title.clone()
                } else {
                    String::new()
                },
                absence_reason: s.absence_reason.clone(),
                has_file: s.blob_hash.is_some(),
                recorded_at: crate::clock::show(&s.recorded_at),
            })
            .collect(),
        appeals_final: a.appeals_final,
        blockers,
        index_only: c == Custody::IndexOnly,
        open: p.stage == Stage::Deregistered,
        dossier_id: dossier.map(|d| d.id),
    })
}

#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct SupplementInput {
    /// The list entry it files under (`item_kind` of the preview's entries).
    pub item_kind: String,
    pub title: String,
    pub doc_no: String,
    /// 责任者: who made it.
    pub responsible: String,
    /// YYYY-MM-DD.
    pub dated: String,
    /// Instead of a file: why the piece is absent.
    pub absence_reason: String,
}

async fn open_for_supplement(
    state: &AppState,
    user: &CurrentUser,
    petition_id: &str,
) -> AppResult<(PetitionRecord, ContentList)> {
    keeper(user)?;
    let p = state.store.petition(&state.bureau.id, petition_id).await?;
    custody(state, user, &p).await?;
    if p.stage != Stage::Deregistered {
        return Err(AppError::Conflict(format!(
            "当前状态为「{}」，只能为待归档的信访事项补充卷内材料",
            p.stage.label_zh()
        )));
    }
    let list = assembly::list_of(state, &p).await?;
    Ok((p, list))
}

/// The archivist supplies a piece (a scan of a paper original: PDF, JPEG, PNG or TIFF) or
/// records why a required one is absent (备考表).
#[tracing::instrument(name = "archives::supplement", skip_all)]
pub async fn supplement(
    state: &AppState,
    user: &CurrentUser,
    petition_id: &str,
    input: &SupplementInput,
    file: Option<(&str, &[u8])>,
) -> AppResult<String> {
    let (p, list) = open_for_supplement(state, user, petition_id).await?;
    let now = state.clock.now();
    let today = local_date(now);
    let kind = ItemKind::parse(input.item_kind.trim())
        .filter(|k| list.entries().iter().any(|e| e.kind == *k))
        .ok_or_else(|| AppError::field("item_kind", "unknown_code", "请选择本卷目录中的材料"))?;
    let mut row = SupplementRow {
        id: new_id(),
        petition_id: p.id.clone(),
        item_kind: kind.as_str().into(),
        title: String::new(),
        doc_no: String::new(),
        responsible: String::new(),
        dated: None,
        file_name: String::new(),
        media_type: String::new(),
        blob_hash: None,
        size_bytes: 0,
        absence_reason: String::new(),
        recorded_by: user.user.id.clone(),
        recorded_at: xinfang_store::ts(now),
    };
    let mut pending_blob = None;
    match file {
        Some((name, bytes)) => {
            let scan = xinfang_domain::mailroom::check_scan(bytes, state.config.max_scan_bytes)?;
            let title = input.title.trim();
            if title.is_empty() || title.chars().count() > 100 {
                return Err(AppError::field(
                    "title",
                    "required",
                    "请填写材料题名（不超过 100 字）",
                ));
            }
            if input.doc_no.chars().count() > 50 || input.responsible.chars().count() > 50 {
                return Err(AppError::field(
                    "responsible",
                    "too_long",
                    "文号、责任者各不超过 50 字",
                ));
            }
            let dated = xinfang_domain::registration::parse_date("dated", &input.dated)?;
            if dated > today {
                return Err(AppError::field(
                    "dated",
                    "future_date",
                    "材料日期不能晚于今天",
                ));
            }
            row.title = title.into();
            row.doc_no = input.doc_no.trim().into();
            row.responsible = match input.responsible.trim() {
                "" => state.bureau.name.clone(),
                r => r.into(),
            };
            row.dated = Some(dated.to_string());
            row.file_name = xinfang_domain::mailroom::clean_file_name(name, scan);
            row.media_type = scan.content_type().into();
            row.size_bytes = bytes.len() as i64;
            pending_blob = Some(bytes);
        }
        None => {
            let a = archive::check_absence(list, kind.as_str(), &input.absence_reason)?;
            row.absence_reason = a.reason;
        }
    }
    if let Some(bytes) = pending_blob {
        row.blob_hash = Some(state.blobs.put(bytes).await?);
    }
    let mut w = Write::begin_at(state, user, now).await?;
    state
        .store
        .insert_supplement(&mut w.tx, &state.bureau.id, &row)
        .await?;
    w.event(
        &p.id,
        p.event_seq,
        "dossier_supplemented",
        &json!({
            "supplement_id": row.id, "item_kind": row.item_kind,
            "file": row.blob_hash.is_some(), "sha256": row.blob_hash,
            "absence_reason": row.absence_reason,
        }),
    )
    .await?;
    w.commit().await?;
    Ok(row.id)
}

/// Takes back a supplement or an absence statement before archiving.
#[tracing::instrument(name = "archives::remove_supplement", skip_all)]
pub async fn remove_supplement(
    state: &AppState,
    user: &CurrentUser,
    petition_id: &str,
    supplement_id: &str,
) -> AppResult<()> {
    let (p, _) = open_for_supplement(state, user, petition_id).await?;
    let mut w = Write::begin(state, user).await?;
    if !state
        .store
        .delete_supplement(&mut w.tx, &p.id, supplement_id)
        .await?
    {
        return Err(AppError::not_found());
    }
    w.event(
        &p.id,
        p.event_seq,
        "dossier_supplement_removed",
        &json!({"supplement_id": supplement_id}),
    )
    .await?;
    w.commit().await?;
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Archiving

#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct ArchiveInput {
    /// 检查人: who checked the volume (备考表).
    pub checked_by: String,
}

/// A piece bound into the volume.
struct Bound {
    line: DossierItemRow,
    /// The file in the bundle, if the bundle can show it.
    part: serde_json::Value,
    file: Option<(String, Vec<u8>)>,
}

async fn bind(
    state: &AppState,
    ordinal: usize,
    f: &Found,
    label: &str,
    dossier_id: &str,
) -> AppResult<Bound> {
    let name_base = format!("{ordinal:03}");
    let (bytes, media) = match &f.origin {
        Origin::Blob { hash, media_type } => {
            let bytes = state
                .blobs
                .get(hash)
                .await?
                .ok_or_else(|| AppError::Internal(format!("blob {hash} missing")))?;
            (bytes, media_type.clone())
        }
        Origin::Record(data) => {
            let renderer = state.renderer.clone();
            let data = data.clone();
            let out = tokio::task::spawn_blocking(move || renderer.render("dossier_record", &data))
                .await
                .map_err(|e| AppError::Internal(e.to_string()))?
                .map_err(|e| AppError::Internal(e.to_string()))?;
            (out.pdf, "application/pdf".to_string())
        }
    };
    let (kind, pages, ext) = match media.as_str() {
        "application/pdf" => match xinfang_docs::pdf_page_count(&bytes) {
            Some(n) if n > 0 => ("pdf", n as i64, "pdf"),
            _ => ("missing", 1, "pdf"),
        },
        "image/jpeg" => ("image", 1, "jpg"),
        "image/png" => ("image", 1, "png"),
        _ => ("missing", 1, "tif"),
    };
    let file_name = format!("{name_base}.{ext}");
    let hash = state.blobs.put(&bytes).await?;
    let mut note = f.note.clone();
    if kind == "missing" {
        note = if note.is_empty() {
            "原件见数据包".into()
        } else {
            format!("{note}；原件见数据包")
        };
    }
    Ok(Bound {
        line: DossierItemRow {
            id: new_id(),
            dossier_id: dossier_id.to_string(),
            ordinal: ordinal as i64,
            item_kind: f.piece.kind.as_str().into(),
            entry_label: label.into(),
            doc_no: f.piece.doc_no.clone(),
            responsible: f.piece.responsible.clone(),
            title: f.piece.title.clone(),
            dated: f.piece.dated.to_string(),
            pages,
            note,
            source: f.piece.source.clone(),
            media_type: media,
            blob_hash: Some(hash),
            size_bytes: bytes.len() as i64,
        },
        part: json!({"file": file_name, "type": kind, "pages": pages, "title": f.piece.title}),
        file: (kind != "missing").then_some((file_name, bytes)),
    })
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Archived {
    pub dossier_id: String,
    pub archival_no: String,
    pub items: i64,
    pub pages: i64,
}

/// 归档: the archive command (`deregistered` → `archived`). The volume is bound from what the
/// system holds, in the seed's order, numbered (档号), its retention set; from then on the
/// dossier is read-only.
#[tracing::instrument(name = "archives::archive", skip_all)]
pub async fn archive(
    state: &AppState,
    user: &CurrentUser,
    petition_id: &str,
    input: &ArchiveInput,
) -> AppResult<Archived> {
    keeper(user)?;
    let p = state.store.petition(&state.bureau.id, petition_id).await?;
    custody(state, user, &p).await?;
    let checked_by = input.checked_by.trim();
    if checked_by.chars().count() < 2 || checked_by.chars().count() > 20 {
        return Err(AppError::field(
            "checked_by",
            "required",
            "请填写检查人（2 至 20 字）",
        ));
    }
    let a = assemble(state, &p).await?;
    archive::check_archivable(p.stage, a.appeals_final, &a.contents.missing)?;
    let t = lifecycle::execute(
        &lifecycle::PetitionState {
            channel: p.channel,
            stage: p.stage,
            acceptance: p.acceptance,
            collective_without_representatives: false,
            lead_reports_pending: 0,
            closure: Default::default(),
        },
        &Command::Archive,
        user.role(),
    )?;
    let now = state.clock.now();
    let today = local_date(now);
    let fonds = state.config.archive_fonds.clone();
    archive::check_fonds(&fonds)?;
    // The filing year is the year it was deregistered (later supplements do not move it).
    let deregistered_on = state
        .store
        .events(&p.id)
        .await?
        .iter()
        .rev()
        .find(|e| e.kind == "deregistered")
        .and_then(|e| assembly::day_of(&e.at))
        .unwrap_or(today);
    let year = archive::filing_year(deregistered_on);
    let dossier_id = new_id();
    let entries = a.list.entries();
    let mut bound = Vec::new();
    for (i, (e, piece)) in a.contents.pieces.iter().enumerate() {
        let f = a
            .found
            .iter()
            .find(|f| f.piece.source == piece.source)
            .ok_or_else(|| AppError::Internal("piece without origin".into()))?;
        bound.push(bind(state, i + 1, f, entries[*e].label, &dossier_id).await?);
    }
    let pages: i64 = bound.iter().map(|b| b.line.pages).sum();
    let mut note_lines: Vec<String> = a
        .contents
        .absences
        .iter()
        .map(|(e, r)| format!("缺少{}：{}", e.label, r))
        .collect();
    let supplied = a
        .supplements
        .iter()
        .filter(|s| s.blob_hash.is_some())
        .count();
    if supplied > 0 {
        note_lines.push(format!(
            "档案管理人员补充材料 {supplied} 件（纸质原件的扫描件）。"
        ));
    }
    if p.confidential {
        note_lines.push("本卷为保密卷，严格控制查阅范围。".into());
    }
    let note = note_lines.join("\n");
    let (from, to) = bound.iter().fold((today, NaiveDate::MIN), |(lo, hi), b| {
        let d: NaiveDate = b.line.dated.parse().unwrap_or(today);
        (lo.min(d), hi.max(d))
    });
    let title = dossier_title(&p);
    let mut tx_w = Write::begin_at(state, user, now).await?;
    let volume = xinfang_store::next_in_sequence(
        &mut tx_w.tx,
        &state.bureau.id,
        &ArchivalNo::series(a.list.kind(), year, a.retention),
        year,
    )
    .await?;
    let archival_no = ArchivalNo {
        fonds: fonds.clone(),
        kind: a.list.kind(),
        year,
        retention: a.retention,
        volume: volume as u32,
    }
    .to_string();
    let data = json!({
        "bureau_name": state.bureau.name,
        "issued_on": today.to_string(),
        "archival_no": archival_no,
        "title": title,
        "fonds": fonds,
        "year": year,
        "kind_label": a.list.kind().label_zh(),
        "list_label": a.list.label_zh(),
        "retention_label": a.retention.label_zh(),
        "classification": if p.confidential { "保密" } else { "" },
        "from": from.min(to).to_string(),
        "to": to.max(from).to_string(),
        "pages_total": pages,
        "items": bound.iter().map(|b| json!({
            "ordinal": b.line.ordinal, "doc_no": b.line.doc_no, "responsible": b.line.responsible,
            "title": b.line.title, "dated": b.line.dated, "pages": b.line.pages, "note": b.line.note,
        })).collect::<Vec<_>>(),
        "parts": bound.iter().map(|b| b.part.clone()).collect::<Vec<_>>(),
        "note": note,
        "arranged_by": user.user.display_name,
        "arranged_on": today.to_string(),
        "checked_by": checked_by,
        "checked_on": today.to_string(),
    });
    let files: Vec<(String, Vec<u8>)> = bound.iter().filter_map(|b| b.file.clone()).collect();
    let renderer = state.renderer.clone();
    let pdf = tokio::task::spawn_blocking(move || renderer.render_bundle("dossier", &data, files))
        .await
        .map_err(|e| AppError::Internal(e.to_string()))?
        .map_err(|e| AppError::Internal(e.to_string()))?
        .pdf;
    let pdf_hash = state.blobs.put(&pdf).await?;
    let expires = a.retention.expires_on(year).map(|d| d.to_string());
    let mut w = tx_w;
    let id = state
        .store
        .insert_dossier(
            &mut w.tx,
            &NewDossier {
                bureau_id: &state.bureau.id,
                petition_id: &p.id,
                kind: a.list.kind().as_str(),
                content_list: a.list.as_str(),
                archival_no: &archival_no,
                year: i64::from(year),
                retention: a.retention.code(),
                expires_on: expires.as_deref(),
                title: &title,
                items: bound.len() as i64,
                pages,
                note: &note,
                arranged_by: &user.user.id,
                arranged_on: &today.to_string(),
                checked_by,
                checked_on: &today.to_string(),
                pdf_hash: &pdf_hash,
                pdf_size: pdf.len() as i64,
            },
            now,
        )
        .await?;
    // The id the pieces were bound under is the dossier's.
    for b in &bound {
        let mut line = b.line.clone();
        line.dossier_id = id.clone();
        state
            .store
            .insert_dossier_item(&mut w.tx, &state.bureau.id, &line)
            .await?;
    }
    state.store.set_stage(&mut w.tx, &p.id, t.to).await?;
    w.event(
        &p.id,
        p.event_seq,
        "archived",
        &json!({
            "stage": t.to.as_str(), "dossier_id": id, "archival_no": archival_no,
            "kind": a.list.kind().as_str(), "list": a.list.as_str(), "retention": a.retention.code(),
            "items": bound.len(), "pages": pages, "pdf_sha256": pdf_hash,
        }),
    )
    .await?;
    w.commit().await?;
    Ok(Archived {
        dossier_id: id,
        archival_no,
        items: bound.len() as i64,
        pages,
    })
}

// ---------------------------------------------------------------------------------------------
// Dossiers

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct DossierView {
    pub id: String,
    pub petition_id: String,
    pub petition_no: String,
    pub archival_no: String,
    pub kind_label: String,
    pub list_label: String,
    pub year: i64,
    pub retention: String,
    pub retention_label: String,
    pub expires_on: Option<String>,
    /// Empty for a viewer who sees the index only.
    pub title: String,
    pub items: i64,
    pub pages: i64,
    pub note: String,
    pub arranged_by: String,
    pub arranged_on: String,
    pub checked_by: String,
    pub checked_on: String,
    /// archived, transferred, destroyed, offline.
    pub state: String,
    pub state_label: String,
    pub archived_at: String,
    pub confidential: bool,
    pub index: Vec<IndexLine>,
    /// Whether the viewer may read the pieces (PDF, package).
    pub may_read: bool,
    pub index_only: bool,
    pub due_for_appraisal: bool,
}

fn state_label(s: &str) -> &'static str {
    match s {
        "archived" => "已归档",
        "transferred" => "已移交局办公室",
        "destroyed" => "已销毁",
        "offline" => "已移至离线存储",
        _ => "",
    }
}

/// How a viewer may reach a dossier: as its keeper or a leader, or by an open loan.
async fn reach(
    state: &AppState,
    user: &CurrentUser,
    d: &DossierRow,
    p: &PetitionRecord,
) -> AppResult<(Custody, bool)> {
    if archive::may_read_archives(user.role()) {
        let c = custody(state, user, p).await?;
        return Ok((c, c == Custody::Full));
    }
    let today = local_date(state.clock.now());
    let lent = state.store.loans_of_dossier(&d.id).await?.iter().any(|l| {
        l.borrower_id == user.user.id
            && archive::loan_open(
                l.state == "approved",
                l.returned_at.is_some(),
                l.return_on.parse().unwrap_or(NaiveDate::MIN),
                today,
            )
    });
    if !lent || state.store.is_recused(&user.user.id, &p.id).await? {
        return Err(AppError::not_found());
    }
    log_reading(state, user, p, "dossier_loan").await?;
    Ok((Custody::Full, true))
}

async fn dossier_view(
    state: &AppState,
    user: &CurrentUser,
    d: DossierRow,
) -> AppResult<DossierView> {
    let p = state
        .store
        .petition(&state.bureau.id, &d.petition_id)
        .await?;
    let (c, may_read) = reach(state, user, &d, &p).await?;
    let today = local_date(state.clock.now());
    let retention = Retention::parse(&d.retention).unwrap_or(Retention::Years10);
    let list = ContentList::parse(&d.content_list);
    let index = state
        .store
        .dossier_items(&d.id)
        .await?
        .into_iter()
        .map(|i| {
            masked(
                IndexLine {
                    ordinal: i.ordinal,
                    entry: i.entry_label,
                    item_kind: i.item_kind,
                    doc_no: i.doc_no,
                    responsible: i.responsible,
                    title: i.title,
                    dated: i.dated,
                    pages: Some(i.pages),
                    note: i.note,
                    source: i.source,
                },
                c,
            )
        })
        .collect();
    Ok(DossierView {
        petition_no: p.petition_no.clone(),
        archival_no: d.archival_no.clone(),
        kind_label: xinfang_domain::words::DossierKind::parse(&d.kind)
            .map(|k| k.label_zh())
            .unwrap_or("")
            .into(),
        list_label: list.map(|l| l.label_zh()).unwrap_or("").into(),
        year: d.year,
        retention_label: retention.label_zh().into(),
        retention: d.retention.clone(),
        expires_on: d.expires_on.clone(),
        title: if c == Custody::Full {
            d.title.clone()
        } else {
            String::new()
        },
        items: d.items,
        pages: d.pages,
        note: if c == Custody::Full {
            d.note.clone()
        } else {
            String::new()
        },
        arranged_by: display_name(state, &d.arranged_by).await,
        arranged_on: d.arranged_on.clone(),
        checked_by: d.checked_by.clone(),
        checked_on: d.checked_on.clone(),
        state_label: state_label(&d.state).into(),
        due_for_appraisal: matches!(d.state.as_str(), "archived" | "transferred")
            && archive::due_for_appraisal(retention, d.year as i32, today),
        state: d.state.clone(),
        archived_at: crate::clock::show(&d.archived_at),
        confidential: p.confidential,
        index,
        may_read: may_read && matches!(d.state.as_str(), "archived" | "transferred"),
        index_only: c == Custody::IndexOnly,
        id: d.id,
        petition_id: p.id,
    })
}

/// The bureau's dossiers (of one year), for the archivist and the leaders. Titles of
/// confidential ones only to those who may open them.
#[tracing::instrument(name = "archives::dossiers", skip_all)]
pub async fn dossiers(
    state: &AppState,
    user: &CurrentUser,
    year: Option<i64>,
) -> AppResult<Vec<DossierView>> {
    if !archive::may_read_archives(user.role()) {
        return Err(AppError::Forbidden(
            "档案由档案管理人员保管，局领导查阅".into(),
        ));
    }
    let mut out = Vec::new();
    for d in state.store.dossiers(&state.bureau.id, year).await? {
        if state
            .store
            .is_recused(&user.user.id, &d.petition_id)
            .await?
        {
            continue;
        }
        let mut v = dossier_view(state, user, d).await?;
        v.index.clear();
        out.push(v);
    }
    Ok(out)
}

#[tracing::instrument(name = "archives::dossier", skip_all)]
pub async fn dossier(state: &AppState, user: &CurrentUser, id: &str) -> AppResult<DossierView> {
    let d = state
        .store
        .dossier(&state.bureau.id, id)
        .await
        .map_err(|_| AppError::not_found())?;
    dossier_view(state, user, d).await
}

/// The dossier of a petition, if it has one and the viewer may reach it.
pub async fn dossier_of_petition(
    state: &AppState,
    user: &CurrentUser,
    petition_id: &str,
) -> AppResult<Option<DossierView>> {
    match state.store.dossier_of_petition(petition_id).await? {
        Some(d) => match dossier_view(state, user, d).await {
            Ok(v) => Ok(Some(v)),
            Err(AppError::NotFound(_) | AppError::Forbidden(_)) => Ok(None),
            Err(e) => Err(e),
        },
        None => Ok(None),
    }
}

async fn readable(
    state: &AppState,
    user: &CurrentUser,
    id: &str,
    purpose: &str,
) -> AppResult<(DossierRow, DossierView)> {
    let d = state
        .store
        .dossier(&state.bureau.id, id)
        .await
        .map_err(|_| AppError::not_found())?;
    let v = dossier_view(state, user, d.clone()).await?;
    if !v.may_read {
        return Err(AppError::Forbidden(match d.state.as_str() {
            "destroyed" => "该档案已销毁".into(),
            "offline" => "该档案已移至离线存储，请到离线计算机查阅".into(),
            _ => "保密档案只有经办人员和局领导可以查阅".into(),
        }));
    }
    let now = state.clock.now();
    let mut tx = state.store.begin().await?;
    state
        .store
        .audit(
            &mut tx,
            &state.bureau.id,
            Some(&user.user.id),
            purpose,
            &json!({"dossier_id": d.id, "archival_no": d.archival_no}),
            now,
        )
        .await?;
    tx.commit().await?;
    Ok((d, v))
}

/// The volume as one PDF (cover, 卷内目录, the pieces, 备考表), as bound when archived.
#[tracing::instrument(name = "archives::dossier_pdf", skip_all)]
pub async fn dossier_pdf(
    state: &AppState,
    user: &CurrentUser,
    id: &str,
) -> AppResult<(String, Vec<u8>)> {
    let (d, _) = readable(state, user, id, "dossier_pdf_downloaded").await?;
    let bytes = state
        .blobs
        .get(&d.pdf_hash)
        .await?
        .ok_or_else(|| AppError::Internal(format!("blob {} missing", d.pdf_hash)))?;
    Ok((format!("{}.pdf", d.archival_no), bytes))
}

/// Escapes text for the package's XML.
fn xml(s: &str) -> String {
    quick_xml::escape::escape(s).into_owned()
}

/// The volume as a package for the archives authority: every piece's file, the volume PDF, a
/// manifest with SHA-256 hashes (`manifest.json`) and the metadata (`metadata.xml`).
#[tracing::instrument(name = "archives::dossier_package", skip_all)]
pub async fn dossier_package(
    state: &AppState,
    user: &CurrentUser,
    id: &str,
) -> AppResult<(String, Vec<u8>)> {
    let (d, v) = readable(state, user, id, "dossier_package_downloaded").await?;
    build_package(state, &d, &v.title, &v.petition_no).await
}

/// The package's bytes; the caller has decided who may have them (a reader, or the offline
/// move, which encrypts them before anyone carries them).
pub(crate) async fn build_package(
    state: &AppState,
    d: &DossierRow,
    title: &str,
    petition_no: &str,
) -> AppResult<(String, Vec<u8>)> {
    let kind_label = xinfang_domain::words::DossierKind::parse(&d.kind)
        .map(|k| k.label_zh())
        .unwrap_or("");
    let list_label = ContentList::parse(&d.content_list)
        .map(|l| l.label_zh())
        .unwrap_or("");
    let retention_label = Retention::parse(&d.retention)
        .map(|r| r.label_zh())
        .unwrap_or("");
    let items = state.store.dossier_items(&d.id).await?;
    let mut files: Vec<(String, Vec<u8>)> = Vec::new();
    let pdf = state
        .blobs
        .get(&d.pdf_hash)
        .await?
        .ok_or_else(|| AppError::Internal("dossier pdf missing".into()))?;
    files.push((format!("{}.pdf", d.archival_no), pdf));
    for i in &items {
        let Some(hash) = &i.blob_hash else { continue };
        let bytes = state
            .blobs
            .get(hash)
            .await?
            .ok_or_else(|| AppError::Internal(format!("blob {hash} missing")))?;
        let ext = match i.media_type.as_str() {
            "application/pdf" => "pdf",
            "image/jpeg" => "jpg",
            "image/png" => "png",
            "image/tiff" => "tif",
            _ => "bin",
        };
        files.push((format!("files/{:03}.{ext}", i.ordinal), bytes));
    }
    let mut meta = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<dossier>\n");
    for (k, val) in [
        ("archival_no", d.archival_no.as_str()),
        ("title", title),
        ("fonds", state.config.archive_fonds.as_str()),
        ("kind", kind_label),
        ("content_list", list_label),
        ("retention", retention_label),
        ("bureau", state.bureau.name.as_str()),
        ("petition_no", petition_no),
        ("archived_at", d.archived_at.as_str()),
        ("note", d.note.as_str()),
    ] {
        meta.push_str(&format!("  <{k}>{}</{k}>\n", xml(val)));
    }
    meta.push_str(&format!(
        "  <year>{}</year>\n  <pages>{}</pages>\n  <items>\n",
        d.year, d.pages
    ));
    for i in &items {
        meta.push_str(&format!(
            "    <item ordinal=\"{}\" kind=\"{}\" file=\"files/{:03}\" sha256=\"{}\">\n      <entry>{}</entry>\n      <doc_no>{}</doc_no>\n      <responsible>{}</responsible>\n      <title>{}</title>\n      <date>{}</date>\n      <pages>{}</pages>\n      <note>{}</note>\n    </item>\n",
            i.ordinal,
            xml(&i.item_kind),
            i.ordinal,
            i.blob_hash.as_deref().unwrap_or(""),
            xml(&i.entry_label),
            xml(&i.doc_no),
            xml(&i.responsible),
            xml(&i.title),
            xml(&i.dated),
            i.pages,
            xml(&i.note),
        ));
    }
    meta.push_str("  </items>\n</dossier>\n");
    files.push(("metadata.xml".into(), meta.into_bytes()));
    let manifest = json!({
        "archival_no": d.archival_no,
        "files": files.iter().map(|(n, b)| json!({"name": n, "size": b.len(), "sha256": xinfang_blobs::sha256_hex(b)})).collect::<Vec<_>>(),
    });
    files.push((
        "manifest.json".into(),
        serde_json::to_vec_pretty(&manifest).unwrap_or_default(),
    ));
    let zip = tokio::task::spawn_blocking(move || zip_files(&files))
        .await
        .map_err(|e| AppError::Internal(e.to_string()))??;
    Ok((format!("{}.zip", d.archival_no), zip))
}

pub(crate) fn zip_files(files: &[(String, Vec<u8>)]) -> AppResult<Vec<u8>> {
    let mut out = std::io::Cursor::new(Vec::new());
    let mut z = zip::ZipWriter::new(&mut out);
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    for (name, bytes) in files {
        z.start_file(name.as_str(), options)
            .map_err(|e| AppError::Internal(e.to_string()))?;
        z.write_all(bytes)
            .map_err(|e| AppError::Internal(e.to_string()))?;
    }
    z.finish().map_err(|e| AppError::Internal(e.to_string()))?;
    Ok(out.into_inner())
}

// ---------------------------------------------------------------------------------------------
// Retention table

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct RetentionRuleView {
    pub kind: String,
    pub kind_label: String,
    pub category_prefix: String,
    pub retention: String,
    pub retention_label: String,
    /// A shipped default (editable, not removable).
    pub default: bool,
}

/// The retention table as it applies: the shipped defaults and the bureau's lines.
pub async fn retention_table(
    state: &AppState,
    user: &CurrentUser,
) -> AppResult<Vec<RetentionRuleView>> {
    if !(user.role() == Role::Admin || archive::may_read_archives(user.role())) {
        return Err(AppError::forbidden());
    }
    Ok(retention_rules(state)
        .await?
        .into_iter()
        .map(|r| RetentionRuleView {
            kind: r.kind.as_str().into(),
            kind_label: r.kind.label_zh().into(),
            default: r.category_prefix.is_empty(),
            category_prefix: r.category_prefix,
            retention: r.retention.code().into(),
            retention_label: r.retention.label_zh().into(),
        })
        .collect())
}

#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct RetentionRuleInput {
    pub kind: String,
    /// Up to 6 digits of the content category (empty: every category of the kind).
    pub category_prefix: String,
    /// Y, D30 or D10; empty removes the line.
    pub retention: String,
}

/// The administrator sets a line of the retention table (configuration: audited).
#[tracing::instrument(name = "archives::set_retention_rule", skip_all)]
pub async fn set_retention_rule(
    state: &AppState,
    user: &CurrentUser,
    input: &RetentionRuleInput,
) -> AppResult<()> {
    if user.role() != Role::Admin {
        return Err(AppError::Forbidden("保管期限表由系统管理员维护".into()));
    }
    let remove = input.retention.trim().is_empty();
    let rule = if remove {
        archive::check_retention_rule(&input.kind, &input.category_prefix, "D10")?
    } else {
        archive::check_retention_rule(&input.kind, &input.category_prefix, &input.retention)?
    };
    if remove && rule.category_prefix.is_empty() {
        return Err(AppError::field(
            "retention",
            "required",
            "默认保管期限不能删除，可以修改",
        ));
    }
    let now = state.clock.now();
    let mut tx = state.store.begin().await?;
    state
        .store
        .set_retention_rule(
            &mut tx,
            &state.bureau.id,
            rule.kind.as_str(),
            &rule.category_prefix,
            (!remove).then(|| rule.retention.code()),
        )
        .await?;
    state
        .store
        .audit(&mut tx, &state.bureau.id, Some(&user.user.id), "retention_rule_set", &json!({"kind": rule.kind.as_str(), "category_prefix": rule.category_prefix, "retention": if remove { None } else { Some(rule.retention.code()) }}), now)
        .await?;
    tx.commit().await?;
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Year-end transfer (seed 二 四: 年底转局办公室保管)

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct TransferView {
    pub id: String,
    pub year: i64,
    pub dossiers: i64,
    pub pages: i64,
    pub handed_by: String,
    pub handed_at: String,
    pub received_by: Option<String>,
    pub received_at: Option<String>,
    /// handed, received.
    pub state: String,
    pub may_receive: bool,
}

async fn transfer_view(
    state: &AppState,
    user: &CurrentUser,
    t: xinfang_store::archives::TransferRow,
) -> AppResult<TransferView> {
    Ok(TransferView {
        may_receive: t.state == "handed" && user.role() == Role::Office,
        id: t.id,
        year: t.year,
        dossiers: t.dossiers,
        pages: t.pages,
        handed_by: display_name(state, &t.handed_by).await,
        handed_at: crate::clock::show(&t.handed_at),
        received_by: match &t.received_by {
            Some(r) => Some(display_name(state, r).await),
            None => None,
        },
        received_at: t.received_at.as_deref().map(crate::clock::show),
        state: t.state,
    })
}

fn may_see_transfers(role: Role) -> bool {
    archive::may_read_archives(role) || role == Role::Office
}

pub async fn transfers(state: &AppState, user: &CurrentUser) -> AppResult<Vec<TransferView>> {
    if !may_see_transfers(user.role()) {
        return Err(AppError::forbidden());
    }
    let mut out = Vec::new();
    for t in state.store.transfers(&state.bureau.id).await? {
        out.push(transfer_view(state, user, t).await?);
    }
    Ok(out)
}

#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct TransferInput {
    /// The year whose dossiers are handed over.
    pub year: i64,
}

async fn render_transfer_list(
    state: &AppState,
    t: &xinfang_store::archives::TransferRow,
    dossiers: &[DossierRow],
) -> AppResult<Vec<u8>> {
    // The list circulates in two copies, to the office too: a confidential volume goes on it by
    // its number only.
    let mut titles = Vec::with_capacity(dossiers.len());
    for d in dossiers {
        let confidential = state
            .store
            .petition(&state.bureau.id, &d.petition_id)
            .await?
            .confidential;
        titles.push(if confidential || d.state == "offline" {
            "（保密）".to_string()
        } else {
            d.title.clone()
        });
    }
    let data = json!({
        "bureau_name": state.bureau.name,
        "issued_on": assembly::day_of(&t.handed_at).map(|d| d.to_string()).unwrap_or_default(),
        "year": t.year,
        "dossiers": dossiers.iter().zip(&titles).map(|(d, title)| json!({
            "archival_no": d.archival_no,
            "title": title,
            "retention": Retention::parse(&d.retention).map(|r| r.label_zh()).unwrap_or(""),
            "pages": d.pages, "note": "",
        })).collect::<Vec<_>>(),
        "pages_total": dossiers.iter().map(|d| d.pages).sum::<i64>(),
        "handed_by": display_name(state, &t.handed_by).await,
        "handed_on": assembly::day_of(&t.handed_at).map(|d| d.to_string()).unwrap_or_default(),
        "received_by": match &t.received_by { Some(r) => display_name(state, r).await, None => String::new() },
        "received_on": t.received_at.as_deref().and_then(assembly::day_of).map(|d| d.to_string()),
    });
    let renderer = state.renderer.clone();
    Ok(
        tokio::task::spawn_blocking(move || renderer.render("transfer_list", &data))
            .await
            .map_err(|e| AppError::Internal(e.to_string()))?
            .map_err(|e| AppError::Internal(e.to_string()))?
            .pdf,
    )
}

/// The archivist hands the year's dossiers to the office: the 移交目录 lists every archived
/// dossier of the year not yet handed over, and the archivist signs it.
#[tracing::instrument(name = "archives::hand_over", skip_all)]
pub async fn hand_over(
    state: &AppState,
    user: &CurrentUser,
    input: &TransferInput,
) -> AppResult<TransferView> {
    keeper(user)?;
    let today = local_date(state.clock.now());
    if input.year < 2000 || input.year > i64::from(chrono::Datelike::year(&today)) {
        return Err(AppError::field(
            "year",
            "out_of_range",
            "请选择已归档档案的年度",
        ));
    }
    let list: Vec<DossierRow> = state
        .store
        .dossiers(&state.bureau.id, Some(input.year))
        .await?
        .into_iter()
        .filter(|d| d.transfer_id.is_none() && d.state == "archived")
        .collect();
    if list.is_empty() {
        return Err(AppError::field(
            "year",
            "nothing_to_transfer",
            format!("{}年度没有待移交的档案", input.year),
        ));
    }
    let now = state.clock.now();
    let pages = list.iter().map(|d| d.pages).sum();
    let draft = xinfang_store::archives::TransferRow {
        id: String::new(),
        year: input.year,
        dossiers: list.len() as i64,
        pages,
        handed_by: user.user.id.clone(),
        handed_at: xinfang_store::ts(now),
        received_by: None,
        received_at: None,
        pdf_hash: String::new(),
        state: "handed".into(),
    };
    let pdf = render_transfer_list(state, &draft, &list).await?;
    let hash = state.blobs.put(&pdf).await?;
    let ids: Vec<String> = list.iter().map(|d| d.id.clone()).collect();
    let mut tx = state.store.begin().await?;
    let id = match state
        .store
        .insert_transfer(
            &mut tx,
            &state.bureau.id,
            input.year,
            &ids,
            pages,
            &user.user.id,
            &hash,
            now,
        )
        .await
    {
        Err(xinfang_store::StoreError::Conflict) => {
            return Err(AppError::Conflict(
                "部分档案已列入其他移交目录，请刷新后重试".into(),
            ));
        }
        other => other?,
    };
    state
        .store
        .audit(
            &mut tx,
            &state.bureau.id,
            Some(&user.user.id),
            "dossiers_handed_over",
            &json!({"transfer_id": id, "year": input.year, "dossiers": ids.len(), "pages": pages}),
            now,
        )
        .await?;
    tx.commit().await?;
    transfer_view(
        state,
        user,
        state.store.transfer(&state.bureau.id, &id).await?,
    )
    .await
}

/// The office signs for the list: the dossiers pass into its keeping, and the year's routine
/// (the year-end transfer) is met.
#[tracing::instrument(name = "archives::receive", skip_all)]
pub async fn receive(
    state: &AppState,
    user: &CurrentUser,
    transfer_id: &str,
) -> AppResult<TransferView> {
    if user.role() != Role::Office {
        return Err(AppError::Forbidden("移交的档案由局办公室接收".into()));
    }
    let t = state
        .store
        .transfer(&state.bureau.id, transfer_id)
        .await
        .map_err(|_| AppError::not_found())?;
    let now = state.clock.now();
    let mut received = t.clone();
    received.received_by = Some(user.user.id.clone());
    received.received_at = Some(xinfang_store::ts(now));
    let dossiers = state.store.dossiers_of_transfer(&t.id).await?;
    let pdf = render_transfer_list(state, &received, &dossiers).await?;
    let hash = state.blobs.put(&pdf).await?;
    let mut tx = state.store.begin().await?;
    if !state
        .store
        .receive_transfer(&mut tx, &t.id, &user.user.id, now)
        .await?
    {
        return Err(AppError::Conflict("该移交目录已接收".into()));
    }
    state.store.set_transfer_pdf(&mut tx, &t.id, &hash).await?;
    // The year-end routine of the transfer's year is met by the signature, if it is running.
    let since = NaiveDate::from_ymd_opt(t.year as i32, 1, 1).unwrap_or(NaiveDate::MIN);
    for d in state
        .store
        .routine_deadlines(&state.bureau.id, since)
        .await?
    {
        if d.rule_code == "yearly_dossiers"
            && d.running()
            && chrono::Datelike::year(&d.started_on) == t.year as i32
        {
            crate::deadlines::routines::met_in(
                state,
                &mut tx,
                &d,
                Some(&user.user.id),
                &format!("{}年度信访档案 {} 卷移交局办公室", t.year, t.dossiers),
                now,
            )
            .await?;
        }
    }
    state
        .store
        .audit(
            &mut tx,
            &state.bureau.id,
            Some(&user.user.id),
            "dossiers_received",
            &json!({"transfer_id": t.id, "year": t.year, "dossiers": t.dossiers}),
            now,
        )
        .await?;
    tx.commit().await?;
    transfer_view(
        state,
        user,
        state.store.transfer(&state.bureau.id, &t.id).await?,
    )
    .await
}

/// The signed 移交目录 (both copies).
pub async fn transfer_pdf(
    state: &AppState,
    user: &CurrentUser,
    transfer_id: &str,
) -> AppResult<(String, Vec<u8>)> {
    if !may_see_transfers(user.role()) {
        return Err(AppError::forbidden());
    }
    let t = state
        .store
        .transfer(&state.bureau.id, transfer_id)
        .await
        .map_err(|_| AppError::not_found())?;
    let bytes = state
        .blobs
        .get(&t.pdf_hash)
        .await?
        .ok_or_else(|| AppError::Internal("transfer list missing".into()))?;
    Ok((format!("{}年度信访档案移交目录.pdf", t.year), bytes))
}

// ---------------------------------------------------------------------------------------------
// Appraisal and destruction

/// Dossiers whose retention period has ended (到期鉴定).
pub async fn due_for_appraisal(
    state: &AppState,
    user: &CurrentUser,
) -> AppResult<Vec<DossierView>> {
    Ok(dossiers(state, user, None)
        .await?
        .into_iter()
        .filter(|d| d.due_for_appraisal)
        .collect())
}

#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct DestructionInput {
    /// The appraisal's conclusion: why the dossier has no further value.
    pub appraisal: String,
}

/// The archivist proposes destroying a dossier after appraisal; a leader approves
/// (`dossier_destruction`), and the destruction register keeps it.
#[tracing::instrument(name = "archives::propose_destruction", skip_all)]
pub async fn propose_destruction(
    state: &AppState,
    user: &CurrentUser,
    dossier_id: &str,
    input: &DestructionInput,
) -> AppResult<String> {
    keeper(user)?;
    let d = state
        .store
        .dossier(&state.bureau.id, dossier_id)
        .await
        .map_err(|_| AppError::not_found())?;
    let p = state
        .store
        .petition(&state.bureau.id, &d.petition_id)
        .await?;
    custody(state, user, &p).await?;
    let today = local_date(state.clock.now());
    let retention = Retention::parse(&d.retention).unwrap_or(Retention::Years10);
    if !matches!(d.state.as_str(), "archived" | "transferred")
        || !archive::due_for_appraisal(retention, d.year as i32, today)
    {
        return Err(AppError::Conflict(
            match retention.expires_on(d.year as i32) {
                Some(on) => format!("保管期限至 {on} 届满，届满后经鉴定方可销毁"),
                None => "永久保管的档案不能销毁".into(),
            },
        ));
    }
    let appraisal = input.appraisal.trim();
    if appraisal.chars().count() < 4 || appraisal.chars().count() > 500 {
        return Err(AppError::field(
            "appraisal",
            "required",
            "请填写鉴定意见（4 至 500 字）",
        ));
    }
    propose(
        state,
        user,
        &p,
        Gate::DossierDestruction,
        &format!("{} 到期档案销毁：{}", d.archival_no, appraisal),
        json!({"dossier_id": d.id, "archival_no": d.archival_no, "appraisal": appraisal}),
        "dossier_destruction_proposed",
    )
    .await
}

/// Files an approval request of an archive gate with the petition's event.
async fn propose(
    state: &AppState,
    user: &CurrentUser,
    p: &PetitionRecord,
    gate: Gate,
    summary: &str,
    payload: serde_json::Value,
    event: &str,
) -> AppResult<String> {
    if state
        .store
        .approvals_of(&p.id)
        .await?
        .iter()
        .any(|a| a.gate == gate.as_str() && a.state == "pending")
    {
        return Err(AppError::Conflict(format!(
            "已有「{}」在审批中",
            gate.label_zh()
        )));
    }
    let now = state.clock.now();
    let mut w = Write::begin_at(state, user, now).await?;
    let id = state
        .store
        .insert_approval(
            &mut w.tx,
            &state.bureau.id,
            Some(&p.id),
            None,
            None,
            gate.as_str(),
            summary,
            &payload,
            &user.user.id,
            user.role().as_str(),
            now,
        )
        .await?;
    let mut event_payload = payload;
    event_payload["approval_id"] = json!(id);
    w.event(&p.id, p.event_seq, event, &event_payload).await?;
    w.commit().await?;
    Ok(id)
}

// ---------------------------------------------------------------------------------------------
// Lending (seed 一 5)

#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct LoanInput {
    pub reason: String,
    /// YYYY-MM-DD, within 30 days.
    pub return_on: String,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct LoanView {
    pub id: String,
    pub dossier_id: String,
    pub archival_no: String,
    pub borrower: String,
    pub reason: String,
    pub return_on: String,
    /// pending, approved, rejected, returned.
    pub state: String,
    pub open: bool,
    pub requested_at: String,
}

/// Whether the user worked on the petition: appears in its history or carries it.
async fn worked_on(state: &AppState, user: &CurrentUser, p: &PetitionRecord) -> AppResult<bool> {
    if p.carried_by.as_deref() == Some(user.user.id.as_str()) {
        return Ok(true);
    }
    Ok(state
        .store
        .events(&p.id)
        .await?
        .iter()
        .any(|e| e.actor_id == user.user.id))
}

/// A member of staff who worked on the matter asks to read its dossier; a leader approves.
#[tracing::instrument(name = "archives::request_loan", skip_all)]
pub async fn request_loan(
    state: &AppState,
    user: &CurrentUser,
    dossier_id: &str,
    input: &LoanInput,
) -> AppResult<String> {
    let d = state
        .store
        .dossier(&state.bureau.id, dossier_id)
        .await
        .map_err(|_| AppError::not_found())?;
    let p = state
        .store
        .petition(&state.bureau.id, &d.petition_id)
        .await?;
    if crate::access::access_of(state, &user.user, &p).await? != Access::Full
        && !user.role().is_unit_staff()
    {
        return Err(AppError::not_found());
    }
    if !matches!(d.state.as_str(), "archived" | "transferred") {
        return Err(AppError::Conflict(format!(
            "该档案{}，不能借阅",
            state_label(&d.state)
        )));
    }
    let today = local_date(state.clock.now());
    let return_on = xinfang_domain::registration::parse_date("return_on", &input.return_on)?;
    let related = worked_on(state, user, &p).await?;
    archive::check_loan(user.role(), related, &input.reason, return_on, today)?;
    let now = state.clock.now();
    let reason = input.reason.trim();
    let mut w = Write::begin_at(state, user, now).await?;
    let approval = state
        .store
        .insert_approval(
            &mut w.tx,
            &state.bureau.id,
            Some(&p.id),
            None,
            None,
            Gate::DossierLoan.as_str(),
            &format!("{} 档案借阅：{}（至 {return_on}）", d.archival_no, reason),
            &json!({"dossier_id": d.id, "return_on": return_on.to_string()}),
            &user.user.id,
            user.role().as_str(),
            now,
        )
        .await?;
    let id = state
        .store
        .insert_loan(
            &mut w.tx,
            &state.bureau.id,
            &d.id,
            &user.user.id,
            reason,
            &return_on.to_string(),
            &approval,
            now,
        )
        .await?;
    w.event(
        &p.id,
        p.event_seq,
        "dossier_loan_requested",
        &json!({"loan_id": id, "approval_id": approval, "return_on": return_on.to_string()}),
    )
    .await?;
    w.commit().await?;
    Ok(id)
}

/// The borrower, or the archivist, records the dossier returned.
#[tracing::instrument(name = "archives::return_loan", skip_all)]
pub async fn return_loan(state: &AppState, user: &CurrentUser, loan_id: &str) -> AppResult<()> {
    let loans = state
        .store
        .loans_of_borrower(&state.bureau.id, &user.user.id)
        .await?;
    let loan = match loans.into_iter().find(|l| l.id == loan_id) {
        Some(l) => l,
        None if archive::may_keep(user.role()) => {
            let all = state.store.dossiers(&state.bureau.id, None).await?;
            let mut found = None;
            for d in all {
                if let Some(l) = state
                    .store
                    .loans_of_dossier(&d.id)
                    .await?
                    .into_iter()
                    .find(|l| l.id == loan_id)
                {
                    found = Some(l);
                    break;
                }
            }
            found.ok_or_else(AppError::not_found)?
        }
        None => return Err(AppError::not_found()),
    };
    let d = state
        .store
        .dossier(&state.bureau.id, &loan.dossier_id)
        .await?;
    let now = state.clock.now();
    let mut w = Write::begin_at(state, user, now).await?;
    if !state
        .store
        .set_loan_state(&mut w.tx, &loan.id, "approved", "returned", now)
        .await?
    {
        return Err(AppError::Conflict("该借阅未获批准或已归还".into()));
    }
    w.next_event(
        &d.petition_id,
        "dossier_loan_returned",
        &json!({"loan_id": loan.id}),
    )
    .await?;
    w.commit().await?;
    Ok(())
}

/// The user's own loans, and for the archivist and leaders every loan of a dossier.
pub async fn loans(
    state: &AppState,
    user: &CurrentUser,
    dossier_id: Option<&str>,
) -> AppResult<Vec<LoanView>> {
    let today = local_date(state.clock.now());
    let rows = match dossier_id {
        Some(d) if archive::may_read_archives(user.role()) => {
            state.store.loans_of_dossier(d).await?
        }
        Some(_) => return Err(AppError::forbidden()),
        None => {
            state
                .store
                .loans_of_borrower(&state.bureau.id, &user.user.id)
                .await?
        }
    };
    let mut out = Vec::new();
    for l in rows {
        let d = state.store.dossier(&state.bureau.id, &l.dossier_id).await?;
        let borrower = display_name(state, &l.borrower_id).await;
        out.push(LoanView {
            open: archive::loan_open(
                l.state == "approved",
                l.returned_at.is_some(),
                l.return_on.parse().unwrap_or(NaiveDate::MIN),
                today,
            ),
            id: l.id,
            dossier_id: l.dossier_id,
            archival_no: d.archival_no,
            borrower,
            reason: l.reason,
            return_on: l.return_on,
            state: l.state,
            requested_at: crate::clock::show(&l.requested_at),
        });
    }
    Ok(out)
}

// ---------------------------------------------------------------------------------------------
// On the petition's page

/// What the petition's page offers about its dossier.
#[derive(Debug, Clone, Default, Serialize, utoipa::ToSchema)]
pub struct ArchiveStatus {
    pub dossier_id: Option<String>,
    pub archival_no: String,
    pub state_label: String,
    /// The archivist may prepare it for archiving (deregistered).
    pub may_prepare: bool,
    /// The keeper or a leader: the dossier's page.
    pub may_open: bool,
    /// Staff who worked on it may ask to borrow the dossier.
    pub may_request_loan: bool,
}

/// The dossier's status for the petition's page (the caller has opened the petition).
pub async fn status(
    state: &AppState,
    user: &CurrentUser,
    petition_id: &str,
) -> AppResult<ArchiveStatus> {
    let p = state.store.petition(&state.bureau.id, petition_id).await?;
    let d = state.store.dossier_of_petition(&p.id).await?;
    let keeper = archive::may_keep(user.role());
    let reader = archive::may_read_archives(user.role());
    let lendable = d
        .as_ref()
        .is_some_and(|d| matches!(d.state.as_str(), "archived" | "transferred"));
    Ok(ArchiveStatus {
        may_prepare: keeper && p.stage == Stage::Deregistered,
        may_open: reader && d.is_some(),
        may_request_loan: lendable
            && !reader
            && user.role().is_bureau_staff()
            && worked_on(state, user, &p).await?,
        archival_no: d
            .as_ref()
            .map(|d| d.archival_no.clone())
            .unwrap_or_default(),
        state_label: d
            .as_ref()
            .map(|d| state_label(&d.state).to_string())
            .unwrap_or_default(),
        dossier_id: d.map(|d| d.id),
    })
}
