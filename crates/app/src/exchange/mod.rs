//! Exchange (issue 21): petitions and their handling rows to and from the national 信访信息系统
//! as JSON or XML, through the visibility gate on the way out and the intake's checks on the way
//! in; the code mapping the bureau edits. A refused file writes nothing.

mod files;
pub mod hotline;
pub mod ledger;
pub mod xlsx;

use std::collections::HashMap;

use chrono::Datelike;
use serde::{Deserialize, Serialize};
use serde_json::json;
use xinfang_domain::FieldError;
use xinfang_domain::exchange::{
    self as rules, CodeEntry, CodeMap, NationalFile, NationalHandling, NationalPetitioner,
    NationalRecord, format_datetime, format_flag,
};
use xinfang_domain::role::Role;
use xinfang_domain::source::Source;
use xinfang_domain::township::TownshipRef;
use xinfang_store::exchange::HandlingExport;
use xinfang_store::petitions::{ListFilter, ListScope, NewPetition};

pub use files::{Format, read_file, write_file};

use crate::access::{Listing, PetitionView, listable, listed};
use crate::auth::CurrentUser;
use crate::clock::{from_local, local, local_date};
use crate::context::AppState;
use crate::error::{AppError, AppResult};
use crate::numbers::{petition_no, query_code};
use crate::write::Write;

/// Who may import into the intake queue: the staff who register petitions.
const IMPORTERS: &[Role] = &[
    Role::Receptionist,
    Role::LetterClerk,
    Role::CaseOfficer,
    Role::Office,
];

/// Whether `role` may import files into the intake queue (national file, 12345 work orders, old
/// registers). The pages show the upload forms by it; each use case checks the same list.
pub fn may_import(role: Role) -> bool {
    IMPORTERS.contains(&role)
}

/// Whether `role` may export the national file and the 12345 replies.
pub fn may_export(role: Role) -> bool {
    role.is_bureau_staff()
}

/// Whether `role` may edit the code mapping (configuration: the system administrator).
pub fn may_edit_codes(role: Role) -> bool {
    role == Role::Admin
}

/// Whether `role` has anything to do on the exchange page.
pub fn may_exchange(role: Role) -> bool {
    may_import(role) || may_export(role) || may_edit_codes(role)
}

// ---------------------------------------------------------------------------------------------
// The code mapping

/// One line of the mapping as the API shows it.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct CodeLine {
    /// The national field (xfxs, xfmddm, nrfldm, zjlx, xb, xfjzt, blcx, blfs, xflydm, xfsxlb)
    pub field: String,
    /// Our code
    pub ours: String,
    /// The national code
    pub national: String,
    /// Confirmed by a source, not only this system's provisional choice
    pub verified: bool,
}

/// An edit of one line.
#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct CodeInput {
    pub field: String,
    pub ours: String,
    pub national: String,
    pub verified: bool,
}

/// The mapping in use: shipped lines with the bureau's edits.
pub async fn code_map(state: &AppState) -> AppResult<CodeMap> {
    Ok(CodeMap::new(
        &state.store.exchange_code_edits(&state.bureau.id).await?,
    ))
}

/// The mapping as the administrator and the exchanging staff read it.
pub async fn codes(state: &AppState, user: &CurrentUser) -> AppResult<Vec<CodeLine>> {
    if user.role().is_unit_staff() {
        return Err(AppError::forbidden());
    }
    Ok(code_map(state)
        .await?
        .entries()
        .iter()
        .map(|e| CodeLine {
            field: e.field.clone(),
            ours: e.ours.clone(),
            national: e.national.clone(),
            verified: e.verified,
        })
        .collect())
}

/// The system administrator edits a line (configuration, not a petition).
#[tracing::instrument(name = "exchange::save_code", skip_all)]
pub async fn save_code(
    state: &AppState,
    user: &CurrentUser,
    input: &CodeInput,
) -> AppResult<Vec<CodeLine>> {
    if !may_edit_codes(user.role()) {
        return Err(AppError::forbidden());
    }
    let map = code_map(state).await?;
    let entry = rules::check_code_entry(
        &map,
        &CodeEntry {
            field: input.field.clone(),
            ours: input.ours.clone(),
            national: input.national.clone(),
            verified: input.verified,
        },
    )?;
    let now = state.clock.now();
    let mut tx = state.store.begin().await?;
    state
        .store
        .save_exchange_code(&mut tx, &state.bureau.id, &entry, &user.user.id, now)
        .await?;
    tx.commit().await?;
    codes(state, user).await
}

// ---------------------------------------------------------------------------------------------
// Export

/// Which petitions an export takes: the list's filters.
#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct ExportInput {
    /// `json` (default) or `xml`
    pub format: Option<String>,
    /// A stage code
    pub stage: Option<String>,
    /// `visit`, `letter`, `online`, `phone`
    pub channel: Option<String>,
}

/// An exported file.
pub struct ExportFile {
    pub bytes: Vec<u8>,
    pub format: Format,
    pub count: usize,
}

const CHUNK: i64 = 500;

fn filter_of(input: &ExportInput) -> AppResult<ListFilter> {
    let stage = match input
        .stage
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        Some(s) => Some(xinfang_domain::words::Stage::parse(s).ok_or_else(|| {
            AppError::field("stage", "unknown_stage", format!("未知的阶段：{s}"))
        })?),
        None => None,
    };
    let channel = match input
        .channel
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        Some(c) => Some(xinfang_domain::words::Channel::parse(c).ok_or_else(|| {
            AppError::field("channel", "unknown_channel", format!("未知的信访形式：{c}"))
        })?),
        None => None,
    };
    Ok(ListFilter {
        stage,
        channel,
        ..Default::default()
    })
}

/// Every petition the filter matches that the viewer may list, as the viewer may see it, read in
/// chunks through the gate; number-only rows are left out (they carry nothing to exchange).
pub(crate) async fn visible_rows(
    state: &AppState,
    user: &CurrentUser,
    filter: &ListFilter,
) -> AppResult<Vec<PetitionView>> {
    if !xinfang_domain::visibility::may_list_petitions(user.role()) {
        return Err(AppError::forbidden());
    }
    let scope = ListScope {
        user_id: user.user.id.clone(),
        unit_id: if user.role().is_unit_staff() {
            Some(user.user.unit_id.clone().ok_or_else(AppError::forbidden)?)
        } else {
            None
        },
    };
    let mut out = Vec::new();
    let mut f = filter.clone();
    loop {
        let mut rows = state
            .store
            .list_candidates_chunk(&state.bureau.id, &scope, &f, CHUNK)
            .await?;
        let got = rows.len();
        f.after = rows.last().map(|r| (r.registered_at.clone(), r.id.clone()));
        state.store.with_petitioners(&mut rows).await?;
        for (r, level) in listable(state, &user.user, rows).await? {
            if level != Listing::NumberOnly {
                out.push(listed(&r, level));
            }
        }
        if got < CHUNK as usize {
            break;
        }
    }
    Ok(out)
}

fn local_text(ts: &str) -> String {
    chrono::DateTime::parse_from_rfc3339(ts)
        .map(|t| format_datetime(local(t.with_timezone(&chrono::Utc))))
        .unwrap_or_default()
}

/// Everything an export needs besides the rows, read once.
struct ExportContext {
    map: CodeMap,
    units: HashMap<String, String>,
    numbers: HashMap<String, String>,
    origins: HashMap<String, serde_json::Value>,
    handling: HashMap<String, Vec<HandlingExport>>,
}

fn national_record(state: &AppState, p: &PetitionView, cx: &ExportContext) -> NationalRecord {
    let map = &cx.map;
    let origin = cx.origins.get(&p.id);
    let from_origin = |k: &str| {
        origin
            .and_then(|o| o.get(k))
            .and_then(|v| v.as_str())
            .map(str::to_string)
    };
    let bureau = &state.bureau;
    let (wtsddm, wtsdmc) = match &p.township {
        Some(TownshipRef::Code { code }) => (code.clone(), String::new()),
        Some(TownshipRef::Unit { unit_id }) => (
            p.issue_region.clone(),
            cx.units.get(unit_id).cloned().unwrap_or_default(),
        ),
        None => (p.issue_region.clone(), String::new()),
    };
    let mut r = NationalRecord {
        xzqh: from_origin("xzqh").unwrap_or_else(|| bureau.region_code.clone()),
        xfjbh: p
            .national_no
            .clone()
            .unwrap_or_else(|| p.petition_no.clone()),
        cxm: p
            .national_query_code
            .clone()
            .unwrap_or_else(|| p.query_code.clone()),
        xfrq: local_text(&p.visited_at),
        xfxs: map.to_national("xfxs", p.channel.as_str()),
        xfrs: p.visitor_count.to_string(),
        sjrs: p.people_involved.to_string(),
        djjgmc: from_origin("djjgmc").unwrap_or_else(|| bureau.name.clone()),
        djjgdm: from_origin("djjgdm").unwrap_or_else(|| bureau.code.clone()),
        djsj: from_origin("djsj").unwrap_or_else(|| local_text(&p.registered_at)),
        gkxx: p.summary.clone(),
        tsnr: p.requests.clone(),
        xfjzt: map.to_national("xfjzt", p.stage.as_str()),
        cfxfbz: format_flag(p.repeat_of.is_some()),
        gljbh: p
            .repeat_of
            .as_ref()
            .and_then(|id| cx.numbers.get(id).cloned())
            .unwrap_or_default(),
        wtsddm,
        wtsdmc,
        nrfldm: p
            .category
            .as_deref()
            .map(|c| map.to_national("nrfldm", c))
            .unwrap_or_default(),
        xfmddm: p
            .purpose
            .as_deref()
            .map(|c| map.to_national("xfmddm", c))
            .unwrap_or_default(),
        xfsxlb: p
            .petition_class
            .as_deref()
            .map(|c| map.to_national("xfsxlb", c))
            .unwrap_or_default(),
        lmbz: format_flag(p.collective),
        gkbz: format_flag(p.consent_to_publish),
        zdjjbz: format_flag(p.major_urgent),
        nmbz: format_flag(p.anonymous),
        isbm: format_flag(p.confidential),
        yjbz: format_flag(p.skip_level),
        qwbz: format_flag(p.out_of_district),
        bfyrhdw: p
            .accused_unit_id
            .as_ref()
            .and_then(|u| cx.units.get(u).cloned())
            .unwrap_or_default(),
        blcx: p
            .acceptance
            .map(|a| map.to_national("blcx", a.as_str()))
            .unwrap_or_default(),
        nbyj: p.proposal.clone(),
        ..Default::default()
    };
    if let Some(s) = &p.source {
        r.xflydm = map.to_national("xflydm", s.as_str());
        match s {
            Source::ForwardedByHigherOrgan(d) | Source::AssignedByHigherOrgan(d) => {
                r.xflyjg = d.organ.clone();
                r.xflywh = d.doc_no.clone();
                r.xflyrq = d.issued_on.to_string();
                r.xbjzsj = d.deadline.map(|d| d.to_string()).unwrap_or_default();
            }
            Source::InstructedByLocalLeader(l) => {
                r.xflyjg = if l.post.is_empty() {
                    l.name.clone()
                } else {
                    format!("{}/{}", l.name, l.post)
                };
            }
            Source::Hotline12345 { order_no } => r.xflywh = order_no.clone(),
            Source::OwnAccord | Source::Online => {}
        }
    }
    r.xfr = p
        .petitioners
        .iter()
        .map(|x| NationalPetitioner {
            xm: x.name.clone(),
            zjlx: map.to_national("zjlx", &x.id_type),
            zjhm: x.id_number.clone().unwrap_or_default(),
            xb: x
                .sex
                .as_deref()
                .map(|s| map.to_national("xb", s))
                .unwrap_or_default(),
            nl: x.age.map(|a| a.to_string()).unwrap_or_default(),
            mz: x.ethnicity.clone().unwrap_or_default(),
            zz: x.address.clone(),
            sjh: x.phone.clone(),
            zy: x.occupation.clone(),
            dbbz: format_flag(x.is_representative),
        })
        .collect();
    // The rows it brought when imported, then its handling here.
    if let Some(rows) = origin.and_then(|o| o.get("blxx")) {
        r.blxx = serde_json::from_value(rows.clone()).unwrap_or_default();
    }
    for h in cx.handling.get(&p.id).into_iter().flatten() {
        r.blxx.push(NationalHandling {
            blfs: map.to_national("blfs", &h.kind),
            bljg: bureau.name.clone(),
            qxdw: h.unit_name.clone(),
            blsj: local_text(&h.created_at),
            sfyq: format_flag(h.extended_days > 0),
            yqsj: if h.extended_days > 0 {
                h.due_on.clone().unwrap_or_default()
            } else {
                String::new()
            },
        });
    }
    r
}

/// The petitions a viewer may see, as the national records, in `format`. Rows the viewer sees
/// without identity go without their petitioners and query code; every exported petition is
/// logged as opened for export.
#[tracing::instrument(name = "exchange::export_national", skip_all)]
pub async fn export_national(
    state: &AppState,
    user: &CurrentUser,
    input: &ExportInput,
) -> AppResult<ExportFile> {
    if !may_export(user.role()) {
        return Err(AppError::forbidden());
    }
    let format = Format::parse_or_json(input.format.as_deref())?;
    // A letter signed for but not yet registered has nothing to exchange yet.
    let rows: Vec<PetitionView> = visible_rows(state, user, &filter_of(input)?)
        .await?
        .into_iter()
        .filter(|p| {
            !matches!(
                p.stage,
                xinfang_domain::words::Stage::Received
                    | xinfang_domain::words::Stage::ReturnedUnopened
            )
        })
        .collect();
    let ids: Vec<String> = rows.iter().map(|r| r.id.clone()).collect();
    let repeat_ids: Vec<String> = rows.iter().filter_map(|r| r.repeat_of.clone()).collect();
    let cx = ExportContext {
        map: code_map(state).await?,
        units: state
            .store
            .units(&state.bureau.id)
            .await?
            .into_iter()
            .map(|u| (u.id, u.name))
            .collect(),
        numbers: state
            .store
            .numbers_of(&state.bureau.id, &repeat_ids)
            .await?,
        origins: state.store.exchange_origins(&ids).await?,
        handling: state.store.handling_for_export(&ids).await?,
    };
    let file = NationalFile {
        format: rules::FORMAT.into(),
        xfj: rows
            .iter()
            .map(|p| national_record(state, p, &cx))
            .collect(),
    };
    state
        .store
        .log_exports(
            &state.bureau.id,
            &ids,
            &user.user.id,
            "export_national",
            state.clock.now(),
        )
        .await?;
    Ok(ExportFile {
        bytes: write_file(&file, format)?,
        format,
        count: file.xfj.len(),
    })
}

// ---------------------------------------------------------------------------------------------
// Import

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ImportedPetition {
    pub id: String,
    pub petition_no: String,
    pub national_no: String,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ImportReport {
    pub imported: Vec<ImportedPetition>,
}

/// A record resolved against the bureau: its units and earlier petition found.
struct Ready {
    element: usize,
    rec: rules::ImportedRecord,
    origin: serde_json::Value,
}

/// The records of a file in an order that writes a repeat's earlier record (`#k`) before it; a
/// circle of repeats is refused at its first record.
fn in_dependency_order(mut pending: Vec<Ready>) -> AppResult<Vec<Ready>> {
    let mut out: Vec<Ready> = Vec::with_capacity(pending.len());
    let mut written = std::collections::HashSet::new();
    while !pending.is_empty() {
        let before = pending.len();
        let mut rest = Vec::new();
        for r in pending {
            let dep = r
                .rec
                .registration
                .repeat_of
                .as_deref()
                .and_then(|x| x.strip_prefix('#'))
                .and_then(|k| k.parse::<usize>().ok());
            if dep.is_none_or(|k| written.contains(&k)) {
                written.insert(r.element);
                out.push(r);
            } else {
                rest.push(r);
            }
        }
        if rest.len() == before {
            let first = &rest[0];
            return Err(AppError::Invalid(vec![rules::record_error(
                first.element,
                "gljbh",
                "repeat_circle",
                "关联件编号互相指向，形成循环",
            )]));
        }
        pending = rest;
    }
    Ok(out)
}

/// Imports a national file into the intake queue: every record is checked (its codes through
/// the mapping, the registration like the window's, its units and earlier petition found, its
/// national number new to the bureau and to the file); any refused record refuses the file,
/// every error named by record and field, and nothing is written. Otherwise each record
/// becomes a registered petition with our own number, keeping its national number and query
/// code, its `registered` event saying where it came from, in one transaction.
#[tracing::instrument(name = "exchange::import_national", skip_all)]
pub async fn import_national(
    state: &AppState,
    user: &CurrentUser,
    bytes: &[u8],
    format: Format,
) -> AppResult<ImportReport> {
    user.require(IMPORTERS)?;
    let file = read_file(bytes, format)?;
    if file.xfj.is_empty() {
        return Err(AppError::field("xfj", "empty_file", "文件中没有信访件"));
    }
    if file.xfj.len() > rules::MAX_RECORDS {
        return Err(AppError::field(
            "xfj",
            "too_many",
            format!("一个文件不超过 {} 条信访件，请分批导入", rules::MAX_RECORDS),
        ));
    }
    let now = state.clock.now();
    let map = code_map(state).await?;
    let mut errors: Vec<FieldError> = Vec::new();
    // Duplicates: within the file, and against what the bureau holds.
    let in_file: HashMap<usize, usize> = rules::duplicates_in_file(&file.xfj).into_iter().collect();
    let nos: Vec<String> = file
        .xfj
        .iter()
        .map(|r| r.xfjbh.trim().to_string())
        .collect();
    let taken = state
        .store
        .national_nos_taken(&state.bureau.id, &nos)
        .await?;
    let refs: Vec<String> = file
        .xfj
        .iter()
        .map(|r| r.gljbh.trim().to_string())
        .filter(|s| !s.is_empty())
        .collect();
    let earlier = state
        .store
        .petitions_by_numbers(&state.bureau.id, &refs)
        .await?;
    let units = state.store.units(&state.bureau.id).await?;
    let unit_by_name = |name: &str, townships: bool| {
        units.iter().find(|u| {
            u.active
                && u.name == name
                && (!townships || matches!(u.kind.as_str(), "township" | "street"))
        })
    };
    let mut ready = Vec::new();
    for (i, r) in file.xfj.iter().enumerate() {
        let before = errors.len();
        if let Some(first) = in_file.get(&i) {
            errors.push(rules::duplicate_error(i, r.xfjbh.trim(), Some(*first)));
        } else if taken.contains(r.xfjbh.trim()) {
            errors.push(rules::duplicate_error(i, r.xfjbh.trim(), None));
        }
        let mut rec = match rules::parse_record(r, i, &map, local(now)) {
            Ok(rec) => rec,
            Err(es) => {
                errors.extend(es);
                continue;
            }
        };
        if let Some(name) = &rec.township_name {
            match unit_by_name(name, true) {
                Some(u) => {
                    rec.registration.township = TownshipRef::Unit {
                        unit_id: u.id.clone(),
                    }
                }
                None => errors.push(rules::record_error(
                    i,
                    "wtsdmc",
                    "unknown_township",
                    format!("「{name}」不是本局的乡镇（街道）单位"),
                )),
            }
        }
        if let Some(name) = &rec.accused_unit_name {
            match unit_by_name(name, false) {
                Some(u) => rec.registration.accused_unit_id = Some(u.id.clone()),
                None => errors.push(rules::record_error(
                    i,
                    "bfyrhdw",
                    "unknown_unit",
                    format!("被反映单位「{name}」不是本局的单位，请先添加该单位"),
                )),
            }
        }
        if let Some(no) = &rec.repeat_of_no {
            // An earlier petition of the bureau, or another record of this file (written
            // before the records that name it).
            let found = earlier.get(no).cloned().or_else(|| {
                file.xfj
                    .iter()
                    .enumerate()
                    .find(|(k, x)| *k != i && x.xfjbh.trim() == no)
                    .map(|(k, _)| format!("#{k}"))
            });
            match found {
                Some(id) => {
                    rec.registration.repeat_of = Some(id);
                    rec.registration.repeat_reason =
                        format!("国家信访信息系统标记为重复信访，关联件编号 {no}");
                }
                None => errors.push(rules::record_error(
                    i,
                    "gljbh",
                    "unknown_petition",
                    format!("关联件编号「{no}」在本局和本文件中都找不到"),
                )),
            }
        }
        if errors.len() == before {
            let origin = json!({
                "xzqh": r.xzqh.trim(),
                "djjgmc": r.djjgmc.trim(),
                "djjgdm": r.djjgdm.trim(),
                "djsj": r.djsj.trim(),
                "blxx": r.blxx,
            });
            ready.push(Ready {
                element: i,
                rec,
                origin,
            });
        }
    }
    if !errors.is_empty() {
        return Err(AppError::Invalid(errors));
    }
    let ready = in_dependency_order(ready)?;
    let mut w = Write::begin_at(state, user, now).await?;
    let mut out: Vec<ImportedPetition> = Vec::new();
    for Ready {
        mut rec, origin, ..
    } in ready
    {
        // An earlier record of this file: its id now.
        if let Some(r) = rec.registration.repeat_of.clone()
            && let Some(k) = r.strip_prefix('#')
        {
            let k: usize = k.parse().unwrap_or(usize::MAX);
            let no = file.xfj.get(k).map(|x| x.xfjbh.trim()).unwrap_or("");
            rec.registration.repeat_of = out
                .iter()
                .find(|p| p.national_no == no)
                .map(|p| p.id.clone());
        }
        let imported =
            json!({"from": "national", "national_no": rec.national_no, "handling": rec.handling});
        let (id, no) = register_imported(
            state,
            &mut w,
            user,
            &rec.registration,
            imported,
            ("national", None, &origin),
        )
        .await?;
        state
            .store
            .set_national_no(
                &mut w.tx,
                &id,
                &rec.national_no,
                rec.national_query_code.as_deref(),
            )
            .await
            .map_err(|_| {
                AppError::Conflict(format!(
                    "信访件编号「{}」刚被他人导入，本文件未导入，请重新导入",
                    rec.national_no
                ))
            })?;
        out.push(ImportedPetition {
            id,
            petition_no: no,
            national_no: rec.national_no,
        });
    }
    w.commit().await?;
    Ok(ImportReport { imported: out })
}

/// Registers one imported petition in the import's write, the way the window does: our own
/// gap-free number, the projection row, its `registered` event saying where it came from
/// (`imported`), the higher organ's deadline; and what it brought, in `exchange_records`
/// (`format`, its external number, `origin`). Returns its id and number.
pub(crate) async fn register_imported(
    state: &AppState,
    w: &mut Write<'_>,
    user: &CurrentUser,
    reg: &xinfang_domain::registration::Registration,
    imported: serde_json::Value,
    (format, external_no, origin): (&str, Option<&str>, &serde_json::Value),
) -> AppResult<(String, String)> {
    let now = w.now;
    let today = local_date(now);
    // Registered where it came from: a letter too starts registered here, not signed for.
    let stage = xinfang_domain::words::Stage::Registered;
    let seq = xinfang_store::next_in_sequence(
        &mut w.tx,
        &state.bureau.id,
        &format!("petition:{}", reg.channel.as_str()),
        today.year(),
    )
    .await?;
    let no = petition_no(reg.channel, today.year(), seq);
    let id = state
        .store
        .insert_petition(
            &mut w.tx,
            &NewPetition {
                bureau_id: &state.bureau.id,
                petition_no: &no,
                query_code: &query_code(),
                registration: reg,
                stage,
                registered_on: today,
                visited_at_utc: from_local(reg.visited_at),
            },
            &user.actor(),
            now,
        )
        .await?;
    state
        .store
        .insert_exchange_record(
            &mut w.tx,
            &state.bureau.id,
            &id,
            format,
            external_no,
            origin,
            &user.user.id,
            now,
        )
        .await
        .map_err(|e| match e {
            xinfang_store::StoreError::Conflict => AppError::Conflict(format!(
                "编号「{}」刚被他人导入，本文件未导入，请重新导入",
                external_no.unwrap_or_default()
            )),
            e => e.into(),
        })?;
    let payload = json!({
        "petition_no": no,
        "channel": reg.channel.as_str(),
        "stage": stage.as_str(),
        "registration": reg,
        "imported": imported,
    });
    w.event(&id, 0, "registered", &payload).await?;
    crate::deadlines::start_higher_organ_deadline(
        state,
        &mut w.tx,
        &id,
        &reg.source,
        today,
        reg.channel == xinfang_domain::words::Channel::Letter,
    )
    .await?;
    Ok((id, no))
}
