//! Statistics (seed 二(九), L9; rules §9): a period's figures with the previous period (环比)
//! and the same period a year earlier (同比), the petitions behind any number, and the Excel
//! export. The counting is `domain::statistics`; this module reads the facts, decides who sees
//! which figures, labels them and keeps the export log.
//!
//! Aggregate figures count everything the bureau holds, for the roles that may see statistics
//! (the office, the letter clerk, the inspectors and the leaders); a unit's staff see the
//! figures of the petitions sent to their unit only. The rows behind a figure pass the gate
//! (`access::drill_down_views`), a row its viewer may not open appearing by number only.

pub mod transfers;

use std::collections::{BTreeSet, HashMap};

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use xinfang_docs::workbook::{Cell, ChartKind, ChartSpec, SheetSpec, render_xlsx};
use xinfang_domain::catalog;
use xinfang_domain::role::Role;
use xinfang_domain::statistics::{self as rules, MonthStart, Period, Tally};
use xinfang_domain::words::{Channel, Disposition};
use xinfang_store::statistics::counted_facts;
use xinfang_store::statistics_kept::{KeptMember, KeptScope};

use crate::access::{PetitionView, drill_down_views};
use crate::auth::CurrentUser;
use crate::clock::local_date;
use crate::context::AppState;
use crate::error::{AppError, AppResult};

/// The marking on every export until a leader approves the release (seed 二 五(二)).
pub const INTERNAL_MARKING: &str = "内部资料 注意保存";

/// A period as a request names it: `period` = month | quarter | half | year with `year` and
/// `index`, or `from` and `to` (inclusive dates).
#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema, utoipa::IntoParams)]
#[serde(default)]
#[into_params(parameter_in = Query)]
pub struct PeriodInput {
    /// `month`, `quarter`, `half`, `year` or `range` (implied by `from` / `to`)
    pub period: Option<String>,
    /// The year, e.g. 2026
    pub year: Option<String>,
    /// Month 1–12, quarter 1–4, half 1–2 (not needed for a year)
    pub index: Option<String>,
    /// First day, YYYY-MM-DD
    pub from: Option<String>,
    /// Last day, YYYY-MM-DD (inclusive)
    pub to: Option<String>,
}

/// Whose figures a viewer sees.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Scope {
    Bureau,
    Unit(String),
}

fn scope_of(user: &CurrentUser) -> AppResult<Scope> {
    match user.role() {
        Role::Office
        | Role::LetterClerk
        | Role::Inspector
        | Role::DeputyDirector
        | Role::Director => Ok(Scope::Bureau),
        Role::UnitHandler | Role::UnitHead => match &user.user.unit_id {
            Some(u) => Ok(Scope::Unit(u.clone())),
            None => Err(AppError::forbidden()),
        },
        _ => Err(AppError::Forbidden(
            "统计数据仅限领导、办公室、办信、督查人员和承办单位查看".into(),
        )),
    }
}

/// Whether the role may open statistics at all (the navigation asks).
pub fn may_see(role: Role) -> bool {
    matches!(
        role,
        Role::Office
            | Role::LetterClerk
            | Role::Inspector
            | Role::DeputyDirector
            | Role::Director
            | Role::UnitHandler
            | Role::UnitHead
    )
}

fn month_start(state: &AppState) -> MonthStart {
    MonthStart::new(state.config.statistics_month_start).unwrap_or_default()
}

/// The period the input names; with nothing named, the current statistical month.
pub fn parse_period(state: &AppState, input: &PeriodInput) -> AppResult<Period> {
    let start = month_start(state);
    let nothing = [
        &input.period,
        &input.year,
        &input.index,
        &input.from,
        &input.to,
    ]
    .iter()
    .all(|v| v.as_deref().is_none_or(|s| s.trim().is_empty()));
    if nothing {
        return Ok(current_month(state));
    }
    Ok(rules::parse_period(
        input.period.as_deref(),
        input.year.as_deref(),
        input.index.as_deref(),
        input.from.as_deref(),
        input.to.as_deref(),
        start,
    )?)
}

/// The statistical month that holds today.
pub fn current_month(state: &AppState) -> Period {
    Period::month_of(local_date(state.clock.now()), month_start(state))
}

/// A period as reports and the API name it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PeriodJson {
    /// month | quarter | half | year | range
    pub kind: String,
    pub year: i32,
    pub index: u32,
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub label: String,
}

impl From<&Period> for PeriodJson {
    fn from(p: &Period) -> Self {
        PeriodJson {
            kind: p.kind.as_str().into(),
            year: p.year,
            index: p.index,
            from: p.from,
            to: p.to,
            label: p.label_zh(),
        }
    }
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ByChannel {
    pub letter: i64,
    pub visit: i64,
    pub online: i64,
    pub phone: i64,
}

/// The headline figures (rules §9, issue 18's list).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Totals {
    pub petitions: i64,
    pub by_channel: ByChannel,
    pub visit_batches: i64,
    pub visit_persons: i64,
    pub collective_batches: i64,
    pub collective_persons: i64,
    pub joint_letters: i64,
    pub anonymous_letters: i64,
    pub repeat: i64,
    pub accepted: i64,
    pub not_accepted: i64,
    pub no_longer_accepted: i64,
    pub closed: i64,
    pub closed_on_time: i64,
}

impl From<&Tally> for Totals {
    fn from(t: &Tally) -> Self {
        Totals {
            petitions: t.get("petitions"),
            by_channel: ByChannel {
                letter: t.get("letters"),
                visit: t.get("visit_batches"),
                online: t.get("online"),
                phone: t.get("phone"),
            },
            visit_batches: t.get("visit_batches"),
            visit_persons: t.get("visit_persons"),
            collective_batches: t.get("collective_batches"),
            collective_persons: t.get("collective_persons"),
            joint_letters: t.get("joint_letters"),
            anonymous_letters: t.get("anonymous_letters"),
            repeat: t.get("repeat"),
            accepted: t.get("accepted"),
            not_accepted: t.get("not_accepted"),
            no_longer_accepted: t.get("no_longer_accepted"),
            closed: t.get("closed"),
            closed_on_time: t.get("closed_on_time"),
        }
    }
}

/// The indicators as fractions; null without a denominator.
#[derive(Debug, Clone, Copy, Serialize, utoipa::ToSchema)]
pub struct KpiValues {
    pub timely_acceptance_rate: Option<f64>,
    pub on_time_closure_rate: Option<f64>,
    pub repeat_rate: Option<f64>,
    pub participation_rate: Option<f64>,
    pub satisfaction_rate: Option<f64>,
}

impl From<&Tally> for KpiValues {
    fn from(t: &Tally) -> Self {
        let k = t.kpis();
        KpiValues {
            timely_acceptance_rate: k.timely_acceptance_rate,
            on_time_closure_rate: k.on_time_closure_rate,
            repeat_rate: k.repeat_rate,
            participation_rate: k.participation_rate,
            satisfaction_rate: k.satisfaction_rate,
        }
    }
}

/// One line of a table: a figure (or a group value of one) in the period, the previous period
/// and the same period a year earlier.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct FigureRow {
    /// The key a drill-down names (`letters`, `township:652302100`, `disposed:assignment`)
    pub key: String,
    pub label: String,
    /// 件, 批次 or 人次
    pub unit: String,
    pub value: i64,
    pub previous: i64,
    pub year_before: i64,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Section {
    pub title: String,
    pub rows: Vec<FigureRow>,
}

/// Per handling unit: petitions sent to it, with a deadline due, and overdue, in the period.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct UnitFigures {
    pub unit_id: String,
    pub name: String,
    pub received: i64,
    pub deadlines_due: i64,
    pub overdue: i64,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct StatisticsReport {
    pub period: PeriodJson,
    pub previous: PeriodJson,
    pub year_before: PeriodJson,
    /// `bureau`, or `unit` when the viewer sees its unit's figures only
    pub scope: String,
    pub totals: Totals,
    pub kpis: KpiValues,
    pub kpis_previous: KpiValues,
    pub kpis_year_before: KpiValues,
    pub sections: Vec<Section>,
    pub units: Vec<UnitFigures>,
    /// 内部资料 until a leader approves the release; then who approved it, when, for what
    pub marking: String,
    /// Whether a leader approved giving these figures outside the bureau
    pub released: bool,
}

/// An indicator's name and its rate in this period, the previous one and a year earlier.
pub type KpiRow = (&'static str, Option<f64>, Option<f64>, Option<f64>);

impl StatisticsReport {
    /// The indicators by name: this period, the previous one, a year earlier.
    pub fn kpi_rows(&self) -> Vec<KpiRow> {
        let (a, b, c) = (&self.kpis, &self.kpis_previous, &self.kpis_year_before);
        vec![
            (
                "及时受理率",
                a.timely_acceptance_rate,
                b.timely_acceptance_rate,
                c.timely_acceptance_rate,
            ),
            (
                "按期办结率",
                a.on_time_closure_rate,
                b.on_time_closure_rate,
                c.on_time_closure_rate,
            ),
            ("重复信访率", a.repeat_rate, b.repeat_rate, c.repeat_rate),
            (
                "参评率",
                a.participation_rate,
                b.participation_rate,
                c.participation_rate,
            ),
            (
                "满意率",
                a.satisfaction_rate,
                b.satisfaction_rate,
                c.satisfaction_rate,
            ),
        ]
    }
}

/// The three tallies of a report and what labels them.
struct Counted {
    period: Period,
    previous: Period,
    year_before: Period,
    now: Tally,
    prev: Tally,
    last_year: Tally,
    scope: Scope,
    labels: Labels,
}

/// Names for group values: units (townships, accused and handling units), category, purpose
/// and class codes.
struct Labels {
    units: HashMap<String, String>,
}

impl Labels {
    fn of(&self, figure: &str, value: &str) -> String {
        match figure {
            "township" => match self.units.get(value) {
                Some(n) => n.clone(),
                None => match xinfang_domain::township::parse_township(value) {
                    Ok(t) => match t.county() {
                        Some(r) => format!("{}（{value}）", r.full_name),
                        None => value.to_string(),
                    },
                    Err(_) => value.to_string(),
                },
            },
            "accused_unit" | "unit_received" | "unit_deadlines_due" | "unit_overdue" => self
                .units
                .get(value)
                .cloned()
                .unwrap_or_else(|| value.to_string()),
            "category" | "category_detail" => catalog::label(catalog::CATEGORIES, value)
                .map(|l| format!("{l}（{value}）"))
                .unwrap_or_else(|| value.to_string()),
            "purpose" => catalog::label(catalog::PURPOSES, value)
                .unwrap_or(value)
                .to_string(),
            "petition_class" => catalog::label(catalog::PETITION_CLASSES, value)
                .unwrap_or(value)
                .to_string(),
            "disposed" => disposition_label(value).to_string(),
            _ => value.to_string(),
        }
    }

    /// A key's full label: the figure's, or the group value's name.
    fn key(&self, key: &str) -> String {
        let fig = rules::figure_of(key).map(|f| f.label).unwrap_or(key);
        match key.split_once(':') {
            Some((figure, value)) => {
                let name = self.of(figure, value);
                match figure {
                    "unit_received" | "unit_deadlines_due" | "unit_overdue" => {
                        format!("{name} · {fig}")
                    }
                    _ => name,
                }
            }
            None => fig.to_string(),
        }
    }
}

fn disposition_label(code: &str) -> &'static str {
    match Disposition::parse(code) {
        Some(Disposition::ReportUp) => "上报",
        Some(Disposition::Assignment) => "交办",
        Some(Disposition::Transfer) => "转送",
        Some(Disposition::Coordination) => "协调处理",
        Some(Disposition::SetAside) => "暂存",
        Some(Disposition::DirectReply) => "直接答复",
        Some(Disposition::Circular) => "通报",
        None => "其他",
    }
}

/// A stored timestamp's local day.
fn day_of(ts: &str) -> Option<NaiveDate> {
    xinfang_store::parse_ts(ts).ok().map(local_date)
}

fn date_of(s: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").ok()
}

/// A period's figures as kept (`statistics_days`, or a unit's petitions' kept rows): the
/// sum of what is anchored in the period and was true by its end.
async fn kept_tally(state: &AppState, scope: &Scope, period: &Period) -> AppResult<Tally> {
    let (from, to) = (period.from.to_string(), period.to.to_string());
    let rows = state
        .store
        .kept_totals(&state.bureau.id, kept_scope(scope), &from, &to)
        .await?;
    Ok(Tally(
        rows.into_iter()
            .filter(|(k, n)| *n != 0 && in_scope(scope, k))
            .collect(),
    ))
}

fn kept_scope(scope: &Scope) -> KeptScope<'_> {
    match scope {
        Scope::Bureau => KeptScope::Bureau,
        Scope::Unit(u) => KeptScope::Unit(u),
    }
}

/// Whether a figure's key belongs to the scope: a unit sees its own per-unit figures only.
fn in_scope(scope: &Scope, key: &str) -> bool {
    match (scope, key.split_once(':')) {
        (Scope::Unit(u), Some(("unit_received" | "unit_deadlines_due" | "unit_overdue", unit))) => {
            unit == u
        }
        _ => true,
    }
}

/// A period's figures recounted from the facts, as they were counted before figures were kept:
/// what the kept figures must equal (a test checks it).
async fn recount(state: &AppState, scope: &Scope, period: &Period) -> AppResult<Tally> {
    let unit = match scope {
        Scope::Unit(u) => Some(u.as_str()),
        Scope::Bureau => None,
    };
    let rows = state
        .store
        .statistics_rows(&state.bureau.id, &period.to.to_string(), unit)
        .await?;
    Ok(rules::tally(&counted_facts(rows, unit), period))
}

/// The period's figures as kept and as recounted from the facts, for the viewer's scope.
pub async fn kept_and_recounted(
    state: &AppState,
    user: &CurrentUser,
    input: &PeriodInput,
) -> AppResult<(Tally, Tally)> {
    let scope = scope_of(user)?;
    let period = parse_period(state, input)?;
    Ok((
        kept_tally(state, &scope, &period).await?,
        recount(state, &scope, &period).await?,
    ))
}

/// Recounts every petition's kept figures (`xinfang statistics recount`), reporting
/// `progress(done, total)`; returns the petitions recounted.
pub async fn recount_all(state: &AppState, progress: &(dyn Fn(u64, u64) + Sync)) -> AppResult<u64> {
    Ok(state.store.recount_statistics(progress).await?)
}

async fn count(state: &AppState, user: &CurrentUser, input: &PeriodInput) -> AppResult<Counted> {
    let scope = scope_of(user)?;
    let period = parse_period(state, input)?;
    let start = month_start(state);
    let previous = period.previous(start);
    let year_before = period.year_before(start);
    Ok(Counted {
        now: kept_tally(state, &scope, &period).await?,
        prev: kept_tally(state, &scope, &previous).await?,
        last_year: kept_tally(state, &scope, &year_before).await?,
        period,
        previous,
        year_before,
        scope,
        labels: labels(state).await?,
    })
}

async fn labels(state: &AppState) -> AppResult<Labels> {
    let units = state
        .store
        .units(&state.bureau.id)
        .await?
        .into_iter()
        .map(|u| (u.id, u.name))
        .collect();
    Ok(Labels { units })
}

/// The fixed lines of the report, by section.
const SECTIONS: &[(&str, &[&str])] = &[
    (
        "信访总量",
        &[
            "petitions",
            "persons",
            "letters",
            "letter_persons",
            "visit_batches",
            "visit_persons",
            "online",
            "phone",
            "network",
            "first",
            "repeat",
        ],
    ),
    (
        "集体访、联名信及其他",
        &[
            "collective_batches",
            "collective_persons",
            "collective_5_10",
            "collective_11_20",
            "collective_21_50",
            "collective_51_100",
            "collective_over_100",
            "joint_letters",
            "anonymous_letters",
            "skip_level",
            "out_of_district",
        ],
    ),
    (
        "上级转交办及领导批办",
        &[
            "forwarded_by_higher_organ",
            "assigned_by_higher_organ",
            "instructed_by_local_leader",
            "hotline_12345",
        ],
    ),
    (
        "受理情况",
        &["accepted", "not_accepted", "no_longer_accepted", "referred"],
    ),
    (
        "办结情况",
        &[
            "closed",
            "closed_on_time",
            "acceptance_due",
            "accepted_in_time",
            "closure_due",
            "closure_due_met",
        ],
    ),
];

/// The grouped sections: figure, title.
const GROUP_SECTIONS: &[(&str, &str)] = &[
    ("disposed", "本机关办理方式"),
    ("township", "按问题属地"),
    ("category", "按内容分类（一级）"),
    ("category_detail", "按内容分类（各级）"),
    ("purpose", "按信访目的"),
    ("petition_class", "按类别"),
    ("accused_unit", "按被反映单位"),
];

fn unit_of(key: &str) -> String {
    rules::figure_of(key)
        .map(|f| f.measure.unit_zh())
        .unwrap_or("件")
        .to_string()
}

fn row(c: &Counted, key: &str) -> FigureRow {
    FigureRow {
        key: key.to_string(),
        label: c.labels.key(key),
        unit: unit_of(key),
        value: c.now.get(key),
        previous: c.prev.get(key),
        year_before: c.last_year.get(key),
    }
}

fn group_values(c: &Counted, figure: &str) -> Vec<String> {
    let mut seen: BTreeSet<String> = BTreeSet::new();
    let mut ordered: Vec<String> = Vec::new();
    for t in [&c.now, &c.prev, &c.last_year] {
        for (v, _) in t.group(figure) {
            if seen.insert(v.clone()) {
                ordered.push(v);
            }
        }
    }
    if figure == "disposed" {
        for d in Disposition::ALL {
            if seen.insert(d.as_str().to_string()) {
                ordered.push(d.as_str().to_string());
            }
        }
    }
    ordered
}

fn report_of(c: &Counted, marking: (String, bool)) -> StatisticsReport {
    let mut sections: Vec<Section> = SECTIONS
        .iter()
        .map(|(title, keys)| Section {
            title: (*title).to_string(),
            rows: keys.iter().map(|k| row(c, k)).collect(),
        })
        .collect();
    for (figure, title) in GROUP_SECTIONS {
        let rows: Vec<FigureRow> = group_values(c, figure)
            .iter()
            .map(|v| row(c, &format!("{figure}:{v}")))
            .collect();
        sections.push(Section {
            title: (*title).to_string(),
            rows,
        });
    }
    let mut unit_ids: Vec<String> = Vec::new();
    for f in ["unit_received", "unit_deadlines_due", "unit_overdue"] {
        for v in group_values(c, f) {
            if !unit_ids.contains(&v) {
                unit_ids.push(v);
            }
        }
    }
    let mut units: Vec<UnitFigures> = unit_ids
        .into_iter()
        .map(|u| UnitFigures {
            name: c.labels.of("unit_received", &u),
            received: c.now.get(&format!("unit_received:{u}")),
            deadlines_due: c.now.get(&format!("unit_deadlines_due:{u}")),
            overdue: c.now.get(&format!("unit_overdue:{u}")),
            unit_id: u,
        })
        .collect();
    units.sort_by(|a, b| {
        b.received
            .cmp(&a.received)
            .then_with(|| a.name.cmp(&b.name))
    });
    StatisticsReport {
        period: (&c.period).into(),
        previous: (&c.previous).into(),
        year_before: (&c.year_before).into(),
        scope: match c.scope {
            Scope::Bureau => "bureau".into(),
            Scope::Unit(_) => "unit".into(),
        },
        totals: (&c.now).into(),
        kpis: (&c.now).into(),
        kpis_previous: (&c.prev).into(),
        kpis_year_before: (&c.last_year).into(),
        sections,
        units,
        marking: marking.0,
        released: marking.1,
    }
}

/// The period's statistics for the viewer.
#[tracing::instrument(name = "statistics::report", skip_all)]
pub async fn report(
    state: &AppState,
    user: &CurrentUser,
    input: &PeriodInput,
) -> AppResult<StatisticsReport> {
    let c = count(state, user, input).await?;
    let m = marking(state, &c.period, &c.scope).await?;
    Ok(report_of(&c, m))
}

/// The petitions behind one number.
pub struct DrillDown {
    pub period: PeriodJson,
    pub key: String,
    pub label: String,
    pub unit: String,
    /// The number itself (persons for a 人次 figure).
    pub value: i64,
    /// This page's rows.
    pub rows: Vec<PetitionView>,
    /// The petitions behind the number, over every page.
    pub total: i64,
    /// Rows per page.
    pub limit: i64,
    /// The cursor of the next page, if there is one.
    pub next_cursor: Option<String>,
}

/// Rows per drill-down page unless the request asks otherwise, and at most.
pub const DRILL_DOWN_PAGE: i64 = 50;
pub const DRILL_DOWN_MAX_PAGE: i64 = 1000;

/// A drill-down page as a request names it: the cursor the previous page gave (none for the
/// first) and the rows wanted.
#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema, utoipa::IntoParams)]
#[serde(default)]
#[into_params(parameter_in = Query)]
pub struct PageInput {
    /// `next_cursor` of the previous page; empty for the first
    pub cursor: Option<String>,
    /// Rows per page, 1–1000 (default 50)
    pub limit: Option<String>,
}

fn parse_page(page: &PageInput) -> AppResult<(Option<KeptMember>, i64)> {
    let limit = match page
        .limit
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        None => DRILL_DOWN_PAGE,
        Some(s) => match s.parse::<i64>() {
            Ok(n) if (1..=DRILL_DOWN_MAX_PAGE).contains(&n) => n,
            _ => {
                return Err(AppError::field(
                    "limit",
                    "invalid_limit",
                    format!("每页条数应为 1 至 {DRILL_DOWN_MAX_PAGE} 之间的整数，「{s}」无效"),
                ));
            }
        },
    };
    let after = match page
        .cursor
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        None => None,
        Some(c) => {
            let parsed = c
                .split_once('~')
                .filter(|(day, id)| date_of(day).is_some() && !id.is_empty());
            match parsed {
                Some((day, id)) => Some(KeptMember {
                    anchor_on: day.to_string(),
                    petition_id: id.to_string(),
                }),
                None => {
                    return Err(AppError::field(
                        "cursor",
                        "invalid_cursor",
                        "翻页标记无效，请从第一页重新查看",
                    ));
                }
            }
        }
    };
    Ok((after, limit))
}

/// A page of the petitions behind `figure` in the period, each as its viewer may see it, with
/// how many there are in all.
#[tracing::instrument(name = "statistics::drill_down", skip_all)]
pub async fn drill_down(
    state: &AppState,
    user: &CurrentUser,
    input: &PeriodInput,
    figure: &str,
    page: &PageInput,
) -> AppResult<DrillDown> {
    let key = figure.trim();
    rules::parse_figure_key("figure", key)?;
    let scope = scope_of(user)?;
    let period = parse_period(state, input)?;
    let (after, limit) = parse_page(page)?;
    let (from, to) = (period.from.to_string(), period.to.to_string());
    let (total, value, members) = if in_scope(&scope, key) {
        let (total, value) = state
            .store
            .kept_member_count(&state.bureau.id, kept_scope(&scope), key, &from, &to)
            .await?;
        let members = state
            .store
            .kept_members(
                &state.bureau.id,
                kept_scope(&scope),
                key,
                &from,
                &to,
                after.as_ref(),
                limit + 1,
            )
            .await?;
        (total, value, members)
    } else {
        (0, 0, Vec::new())
    };
    let more = members.len() as i64 > limit;
    let members: Vec<KeptMember> = members.into_iter().take(limit as usize).collect();
    let next_cursor = more
        .then(|| members.last())
        .flatten()
        .map(|m| format!("{}~{}", m.anchor_on, m.petition_id));
    let ids: Vec<String> = members.into_iter().map(|m| m.petition_id).collect();
    let records = state.store.petitions_among(&state.bureau.id, &ids).await?;
    let rows = drill_down_views(state, &user.user, records).await?;
    Ok(DrillDown {
        period: (&period).into(),
        key: key.to_string(),
        label: labels(state).await?.key(key),
        unit: unit_of(key),
        value,
        rows,
        total,
        limit,
        next_cursor,
    })
}

/// The report as the PDF template reads it.
fn pdf_data(r: &StatisticsReport, bureau: &str, today: NaiveDate) -> serde_json::Value {
    let pct = |v: Option<f64>| {
        v.map(|f| format!("{:.1}%", f * 100.0))
            .unwrap_or_else(|| "—".into())
    };
    serde_json::json!({
        "bureau_name": bureau,
        // The PDF's date (PDF/A needs one) and the table's 制表日期.
        "issued_on": today,
        "title": format!("信访工作统计表（{}）", r.period.label),
        "marking": r.marking,
        "released": r.released,
        "from": r.period.from, "to": r.period.to,
        "previous_label": r.previous.label, "year_before_label": r.year_before.label,
        "kpis": r.kpi_rows().into_iter().map(|(label, a, b, c)| serde_json::json!({
            "label": label, "now": pct(a), "previous": pct(b), "year_before": pct(c),
        })).collect::<Vec<_>>(),
        "sections": r.sections,
        "units": r.units,
    })
}

/// The report as a PDF (A4, the tables of the page), marked and logged like the workbook.
#[tracing::instrument(name = "statistics::export_pdf", skip_all)]
pub async fn export_pdf(
    state: &AppState,
    user: &CurrentUser,
    input: &PeriodInput,
) -> AppResult<Export> {
    let c = count(state, user, input).await?;
    let m = marking(state, &c.period, &c.scope).await?;
    let r = report_of(&c, m);
    let data = pdf_data(&r, &state.bureau.name, local_date(state.clock.now()));
    let renderer = state.renderer.clone();
    let rendered = tokio::task::spawn_blocking(move || renderer.render("statistics_report", &data))
        .await
        .map_err(|e| AppError::Internal(e.to_string()))?
        .map_err(|e| AppError::Internal(e.to_string()))?;
    audit(
        state,
        user,
        "statistics_exported",
        serde_json::json!({
            "format": "pdf", "from": r.period.from, "to": r.period.to,
            "scope": r.scope, "marking": r.marking, "released": r.released,
        }),
    )
    .await?;
    Ok(Export {
        file_name: format!("信访统计-{}至{}.pdf", r.period.from, r.period.to),
        bytes: rendered.pdf,
    })
}

/// Records an export in the audit trail: who, what, when.
async fn audit(
    state: &AppState,
    user: &CurrentUser,
    kind: &str,
    payload: serde_json::Value,
) -> AppResult<()> {
    let mut tx = state.store.begin().await?;
    state
        .store
        .audit(
            &mut tx,
            &state.bureau.id,
            Some(&user.user.id),
            kind,
            &payload,
            state.clock.now(),
        )
        .await?;
    tx.commit().await?;
    Ok(())
}

/// An export: the file's name and bytes.
pub struct Export {
    pub file_name: String,
    pub bytes: Vec<u8>,
}

fn number(n: i64) -> Cell {
    Cell::Number(n as f64)
}

/// A figure's line in a sheet: label, unit, this period, the previous, a year earlier.
fn figure_cells(f: &FigureRow) -> Vec<Cell> {
    vec![
        Cell::Text(f.label.clone()),
        Cell::Text(f.unit.clone()),
        number(f.value),
        number(f.previous),
        number(f.year_before),
    ]
}

fn rate(r: Option<f64>) -> Cell {
    r.map(Cell::Percent).unwrap_or(Cell::Text("—".into()))
}

/// The workbook of a report: a summary sheet with the indicators and the channels' chart, and
/// a sheet per group with its chart.
fn workbook(
    r: &StatisticsReport,
    transfers: &transfers::TransferTable,
    bureau: &str,
) -> AppResult<Vec<u8>> {
    let subtitle = format!(
        "{}　统计区间 {} 至 {}　上期 {}　去年同期 {}",
        bureau, r.period.from, r.period.to, r.previous.label, r.year_before.label
    );
    let header = |first: &str| -> Vec<String> {
        [first, "单位", "本期", "上期", "去年同期"]
            .iter()
            .map(|s| s.to_string())
            .collect()
    };
    let mut rows: Vec<Vec<Cell>> = Vec::new();
    let mut channel_rows = 0..0;
    for s in r.sections.iter().take(SECTIONS.len()) {
        rows.push(vec![
            Cell::Text(format!("【{}】", s.title)),
            Cell::Empty,
            Cell::Empty,
            Cell::Empty,
            Cell::Empty,
        ]);
        let start = rows.len();
        for f in &s.rows {
            rows.push(figure_cells(f));
        }
        if s.title == "信访总量" {
            // 来信, 来访批次, 网上, 电话: rows 3, 5, 7, 8 of the section.
            channel_rows = start..rows.len();
        }
    }
    rows.push(vec![
        Cell::Text("【指标】".into()),
        Cell::Empty,
        Cell::Empty,
        Cell::Empty,
        Cell::Empty,
    ]);
    for (label, now, prev, last) in r.kpi_rows() {
        rows.push(vec![
            Cell::Text(label.into()),
            Cell::Text("%".into()),
            rate(now),
            rate(prev),
            rate(last),
        ]);
    }
    let mut sheets = vec![SheetSpec {
        name: "汇总".into(),
        title: format!("信访工作统计表（{}）", r.period.label),
        subtitle: subtitle.clone(),
        header: header("项目"),
        rows,
        charts: vec![ChartSpec {
            title: "信访总量（本期、上期、去年同期）".into(),
            kind: ChartKind::Column,
            rows: channel_rows,
            category_column: 0,
            value_columns: vec![2, 3, 4],
        }],
    }];
    for s in r.sections.iter().skip(SECTIONS.len()) {
        let rows: Vec<Vec<Cell>> = s.rows.iter().map(figure_cells).collect();
        let n = rows.len();
        sheets.push(SheetSpec {
            name: s.title.clone(),
            title: format!("{}（{}）", s.title, r.period.label),
            subtitle: subtitle.clone(),
            header: header("项目"),
            rows,
            charts: vec![ChartSpec {
                title: s.title.clone(),
                kind: ChartKind::Bar,
                rows: 0..n,
                category_column: 0,
                value_columns: vec![2],
            }],
        });
    }
    let unit_rows: Vec<Vec<Cell>> = r
        .units
        .iter()
        .map(|u| {
            vec![
                Cell::Text(u.name.clone()),
                number(u.received),
                number(u.deadlines_due),
                number(u.overdue),
            ]
        })
        .collect();
    let n = unit_rows.len();
    sheets.push(SheetSpec {
        name: "承办单位".into(),
        title: format!("承办单位办理情况（{}）", r.period.label),
        subtitle,
        header: [
            "承办单位",
            "收到交办转送（件）",
            "期限到期（件）",
            "逾期（件）",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect(),
        rows: unit_rows,
        charts: vec![ChartSpec {
            title: "承办单位收到与逾期".into(),
            kind: ChartKind::Column,
            rows: 0..n,
            category_column: 0,
            value_columns: vec![1, 3],
        }],
    });
    sheets.push(transfer_sheet(transfers, bureau));
    render_xlsx(&sheets, Some(&r.marking)).map_err(|e| AppError::Internal(e.to_string()))
}

/// The transfer statistics table (转送信件办理情况统计表, V5.1, L4.3) as a sheet: the units'
/// lines, the total last, with a chart of times and items.
fn transfer_sheet(t: &transfers::TransferTable, bureau: &str) -> SheetSpec {
    let line = |x: &transfers::TransferTableRow| {
        vec![
            Cell::Text(x.name.clone()),
            number(x.times),
            number(x.items),
            number(x.reported_to_leaders),
            number(x.assigned),
            number(x.sent_to_departments),
            number(x.handled_on_time),
            number(x.reports_due),
            number(x.reports_filed),
            number(x.reports_late),
        ]
    };
    let mut rows: Vec<Vec<Cell>> = t.rows.iter().map(line).collect();
    let n = rows.len();
    rows.push(line(&t.total));
    SheetSpec {
        name: "转送情况".into(),
        title: format!("转送信件办理情况统计表（{}）", t.period.label),
        subtitle: format!(
            "{bureau}　统计区间 {} 至 {}　单位报告：{}",
            t.period.from, t.period.to, t.schedule
        ),
        header: [
            "承办单位",
            "转送次数（批次）",
            "转送件数（件）",
            "报领导件数",
            "交办件数",
            "转送部门件数",
            "及时办理件数",
            "应报报告（份）",
            "已报（份）",
            "逾期（份）",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect(),
        rows,
        charts: vec![ChartSpec {
            title: "各单位转送次数与件数".into(),
            kind: ChartKind::Column,
            rows: 0..n,
            category_column: 0,
            value_columns: vec![1, 2],
        }],
    }
}

/// The report as an Excel workbook, marked 内部资料 and logged (who, which period, when).
#[tracing::instrument(name = "statistics::export", skip_all)]
pub async fn export_xlsx(
    state: &AppState,
    user: &CurrentUser,
    input: &PeriodInput,
) -> AppResult<Export> {
    let c = count(state, user, input).await?;
    let m = marking(state, &c.period, &c.scope).await?;
    let r = report_of(&c, m);
    let transfers = transfers::transfer_table(state, user, input).await?;
    let bytes = workbook(&r, &transfers, &state.bureau.name)?;
    audit(
        state,
        user,
        "statistics_exported",
        serde_json::json!({
            "format": "xlsx", "from": r.period.from, "to": r.period.to,
            "scope": r.scope, "marking": r.marking, "released": r.released,
        }),
    )
    .await?;
    Ok(Export {
        file_name: format!("信访统计-{}至{}.xlsx", r.period.from, r.period.to),
        bytes,
    })
}

// ---------------------------------------------------------------------------------------------
// Release: statistics leave the bureau only with a leader's approval (seed 二 五(二), L11.2)

/// A request to give a period's statistics outside the bureau.
#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct ReleaseInput {
    #[serde(flatten)]
    pub period: PeriodInput,
    /// To whom and what for (e.g. 报送市信访局月度统计)
    pub purpose: String,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct ReleaseDecisionInput {
    pub accept: bool,
    /// Required when rejecting
    pub comment: String,
}

/// A release request or an approved release of a period, as the statistics page lists it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ReleaseView {
    pub approval_id: String,
    /// pending | approved | rejected
    pub state: String,
    pub from: String,
    pub to: String,
    pub label: String,
    pub purpose: String,
    pub proposed_by: String,
    pub proposed_at: String,
    pub decided_by: Option<String>,
    pub decided_at: Option<String>,
    pub comment: String,
    /// Whether the viewer may decide it now.
    pub may_decide: bool,
}

fn may_propose_release(role: Role) -> bool {
    matches!(role, Role::Office | Role::LetterClerk | Role::Inspector)
}

/// Asks a leader to approve giving the period's statistics outside the bureau.
#[tracing::instrument(name = "statistics::propose_release", skip_all)]
pub async fn propose_release(
    state: &AppState,
    user: &CurrentUser,
    input: &ReleaseInput,
) -> AppResult<ReleaseView> {
    if !may_propose_release(user.role()) {
        return Err(AppError::Forbidden(
            "对外提供统计数据由办公室、办信或督查人员提出，报局领导批准".into(),
        ));
    }
    let period = parse_period(state, &input.period)?;
    let purpose = input.purpose.trim();
    if purpose.is_empty() || purpose.chars().count() > 200 {
        return Err(AppError::field(
            "purpose",
            "required",
            "请填写对外提供的对象和用途（不超过 200 字）",
        ));
    }
    let (from, to) = (period.from.to_string(), period.to.to_string());
    let gate = xinfang_domain::approval::Gate::StatisticsRelease;
    let open = state
        .store
        .pending_approvals(&state.bureau.id, &[gate.as_str()], None)
        .await?;
    if open
        .iter()
        .any(|a| release_period(&a.payload) == Some((from.clone(), to.clone())))
    {
        return Err(AppError::Conflict(format!(
            "{}的统计数据已提请批准，请等待局领导审批",
            period.label_zh()
        )));
    }
    let now = state.clock.now();
    let mut tx = state.store.begin().await?;
    let summary = format!("{}信访统计数据对外提供：{purpose}", period.label_zh());
    let payload = serde_json::json!({
        "from": from, "to": to, "label": period.label_zh(), "purpose": purpose,
    });
    let id = state
        .store
        .insert_approval(
            &mut tx,
            &state.bureau.id,
            None,
            None,
            None,
            gate.as_str(),
            &summary,
            &payload,
            &user.user.id,
            user.role().as_str(),
            now,
        )
        .await?;
    state
        .store
        .audit(
            &mut tx,
            &state.bureau.id,
            Some(&user.user.id),
            "statistics_release_proposed",
            &serde_json::json!({"approval_id": id, "from": from, "to": to, "purpose": purpose}),
            now,
        )
        .await?;
    tx.commit().await?;
    let a = state.store.approval(&state.bureau.id, &id).await?;
    release_view(state, user, &a).await
}

/// The period a release request names.
fn release_period(payload: &str) -> Option<(String, String)> {
    let v: serde_json::Value = serde_json::from_str(payload).ok()?;
    Some((
        v["from"].as_str()?.to_string(),
        v["to"].as_str()?.to_string(),
    ))
}

async fn release_view(
    state: &AppState,
    user: &CurrentUser,
    a: &xinfang_store::handling::ApprovalRow,
) -> AppResult<ReleaseView> {
    let v: serde_json::Value = serde_json::from_str(&a.payload).unwrap_or_default();
    let name = |id: &str| {
        let id = id.to_string();
        async move {
            state
                .store
                .user(&id)
                .await
                .map(|u| u.display_name)
                .unwrap_or(id)
        }
    };
    let roles =
        crate::gates::approvers(state, xinfang_domain::approval::Gate::StatisticsRelease).await?;
    Ok(ReleaseView {
        approval_id: a.id.clone(),
        state: a.state.clone(),
        from: v["from"].as_str().unwrap_or_default().to_string(),
        to: v["to"].as_str().unwrap_or_default().to_string(),
        label: v["label"].as_str().unwrap_or_default().to_string(),
        purpose: v["purpose"].as_str().unwrap_or_default().to_string(),
        proposed_by: name(&a.proposed_by).await,
        proposed_at: a.proposed_at.clone(),
        decided_by: match &a.decided_by {
            Some(d) => Some(name(d).await),
            None => None,
        },
        decided_at: a.decided_at.clone(),
        comment: a.comment.clone(),
        may_decide: a.state == "pending"
            && a.proposed_by != user.user.id
            && roles.contains(&user.role()),
    })
}

/// A leader approves or rejects giving a period's statistics outside the bureau; an approval
/// is recorded as the period's release.
#[tracing::instrument(name = "statistics::decide_release", skip_all)]
pub async fn decide_release(
    state: &AppState,
    user: &CurrentUser,
    approval_id: &str,
    input: &ReleaseDecisionInput,
) -> AppResult<ReleaseView> {
    use xinfang_domain::approval::{self, ApprovalState, Gate};
    let a = state
        .store
        .approval(&state.bureau.id, approval_id)
        .await
        .map_err(|_| AppError::not_found())?;
    if a.gate != Gate::StatisticsRelease.as_str() {
        return Err(AppError::not_found());
    }
    if a.proposed_by == user.user.id {
        return Err(AppError::Forbidden(
            "不能审批自己提出的事项，请由其他审批人审批".into(),
        ));
    }
    let roles = crate::gates::approvers(state, Gate::StatisticsRelease).await?;
    let decided = approval::check_decision(
        Gate::StatisticsRelease,
        ApprovalState::parse(&a.state).unwrap_or(ApprovalState::Pending),
        user.role(),
        &roles,
        input.accept,
        &input.comment,
    )?;
    let (from, to) = release_period(&a.payload).ok_or_else(AppError::not_found)?;
    let v: serde_json::Value = serde_json::from_str(&a.payload).unwrap_or_default();
    let now = state.clock.now();
    let mut tx = state.store.begin().await?;
    state
        .store
        .decide_approval(
            &mut tx,
            &a.id,
            decided.as_str(),
            &user.user.id,
            input.comment.trim(),
            now,
        )
        .await?;
    if decided == ApprovalState::Approved {
        state
            .store
            .insert_statistics_release(
                &mut tx,
                &state.bureau.id,
                &a.id,
                &from,
                &to,
                v["label"].as_str().unwrap_or_default(),
                v["purpose"].as_str().unwrap_or_default(),
                &user.user.id,
                now,
            )
            .await?;
    }
    state
        .store
        .audit(
            &mut tx,
            &state.bureau.id,
            Some(&user.user.id),
            "statistics_release_decided",
            &serde_json::json!({"approval_id": a.id, "state": decided.as_str(), "from": from, "to": to}),
            now,
        )
        .await?;
    tx.commit().await?;
    let a = state.store.approval(&state.bureau.id, &a.id).await?;
    release_view(state, user, &a).await
}

/// The release requests and releases of the period (bureau figures only), newest first.
pub async fn releases(
    state: &AppState,
    user: &CurrentUser,
    input: &PeriodInput,
) -> AppResult<Vec<ReleaseView>> {
    if scope_of(user)? != Scope::Bureau {
        return Ok(Vec::new());
    }
    let period = parse_period(state, input)?;
    let want = (period.from.to_string(), period.to.to_string());
    let mut out = Vec::new();
    for a in state
        .store
        .approvals_of_gate(
            &state.bureau.id,
            xinfang_domain::approval::Gate::StatisticsRelease.as_str(),
        )
        .await?
    {
        if release_period(&a.payload).as_ref() == Some(&want) {
            out.push(release_view(state, user, &a).await?);
        }
    }
    Ok(out)
}

/// Release requests waiting for this leader.
pub async fn releases_to_decide(state: &AppState, user: &CurrentUser) -> AppResult<usize> {
    let gate = xinfang_domain::approval::Gate::StatisticsRelease;
    let roles = crate::gates::approvers(state, gate).await?;
    if !roles.contains(&user.role()) {
        return Ok(0);
    }
    Ok(state
        .store
        .pending_approvals(&state.bureau.id, &[gate.as_str()], None)
        .await?
        .iter()
        .filter(|a| a.proposed_by != user.user.id)
        .count())
}

/// The marking of the period's figures: its approved release, or 内部资料.
async fn marking(state: &AppState, period: &Period, scope: &Scope) -> AppResult<(String, bool)> {
    if *scope == Scope::Bureau
        && let Some(r) = state
            .store
            .statistics_releases(
                &state.bureau.id,
                &period.from.to_string(),
                &period.to.to_string(),
            )
            .await?
            .first()
    {
        let by = state
            .store
            .user(&r.approved_by)
            .await
            .map(|u| u.display_name)
            .unwrap_or_default();
        let on = day_of(&r.approved_at)
            .map(|d| d.to_string())
            .unwrap_or_default();
        return Ok((format!("经{by}批准对外提供（{on}）：{}", r.purpose), true));
    }
    Ok((INTERNAL_MARKING.to_string(), false))
}

/// The period's figures for a 信访情况通报 (V5.2, L4.5), for a viewer who sees the bureau's.
#[tracing::instrument(name = "statistics::briefing", skip_all)]
pub async fn briefing(
    state: &AppState,
    user: &CurrentUser,
    input: &PeriodInput,
) -> AppResult<rules::Briefing> {
    let c = count(state, user, input).await?;
    if c.scope != Scope::Bureau {
        return Err(AppError::Forbidden(
            "信访情况通报由信访局根据全区统计数据起草".into(),
        ));
    }
    let r = report_of(&c, (String::new(), false));
    let transfers = transfers::transfer_table(state, user, input).await?;
    let top = |figure: &str| -> Vec<(String, i64)> {
        c.now
            .group(figure)
            .into_iter()
            .take(5)
            .map(|(v, n)| (c.labels.of(figure, &v), n))
            .collect()
    };
    // The category labels carry their code for tables; a circular names the category only.
    let categories = c
        .now
        .group("category")
        .into_iter()
        .take(5)
        .map(|(v, n)| {
            (
                catalog::label(catalog::CATEGORIES, &v)
                    .unwrap_or(v.as_str())
                    .to_string(),
                n,
            )
        })
        .collect();
    Ok(rules::Briefing {
        label: r.period.label.clone(),
        previous_label: r.previous.label.clone(),
        year_before_label: r.year_before.label.clone(),
        petitions: c.now.get("petitions"),
        previous: c.prev.get("petitions"),
        year_before: c.last_year.get("petitions"),
        persons: c.now.get("persons"),
        letters: c.now.get("letters"),
        visit_batches: c.now.get("visit_batches"),
        visit_persons: c.now.get("visit_persons"),
        network: c.now.get("network"),
        collective_batches: c.now.get("collective_batches"),
        collective_persons: c.now.get("collective_persons"),
        repeat: c.now.get("repeat"),
        accepted: c.now.get("accepted"),
        closed: c.now.get("closed"),
        closed_on_time: c.now.get("closed_on_time"),
        timely_acceptance_rate: r.kpis.timely_acceptance_rate,
        on_time_closure_rate: r.kpis.on_time_closure_rate,
        categories,
        townships: top("township"),
        units: r
            .units
            .iter()
            .filter(|u| u.received > 0 || u.overdue > 0)
            .map(|u| (u.name.clone(), u.received, u.overdue))
            .collect(),
        transfer_times: transfers.total.times,
        transfer_items: transfers.total.items,
        transfers: transfers
            .rows
            .iter()
            .filter(|r| r.times > 0 || r.items > 0)
            .map(|r| (r.name.clone(), r.times, r.items))
            .collect(),
        transfer_reports: (
            transfers.total.reports_due,
            transfers.total.reports_filed,
            transfers.total.reports_late,
        ),
    })
}

// ---------------------------------------------------------------------------------------------
// Registers: 来访登记簿 and 来信登记簿 for any date range

/// Most rows of one register (a year of a busy bureau's visits).
pub const MAX_REGISTER_ROWS: usize = 20_000;

/// One line of a register, as its viewer may see it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct RegisterRow {
    pub ordinal: usize,
    pub id: String,
    pub petition_no: String,
    pub registered_at: String,
    /// Names of the petitioners (empty when the row is shown without identity or by number)
    pub petitioners: String,
    /// ID numbers, masked
    pub id_numbers: String,
    pub persons: i64,
    pub address: String,
    pub summary: String,
    pub acceptance: String,
    pub stage: String,
    /// Listed by number only: the viewer may not open it
    pub number_only: bool,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Register {
    /// visit | letter
    pub channel: String,
    pub title: String,
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub rows: Vec<RegisterRow>,
}

/// The visit or letter register of a date range, every registered petition in order, each row
/// through the gate.
#[tracing::instrument(name = "statistics::register", skip_all)]
pub async fn register(
    state: &AppState,
    user: &CurrentUser,
    channel: &str,
    input: &PeriodInput,
) -> AppResult<Register> {
    if !user.role().is_bureau_staff() {
        return Err(AppError::Forbidden("登记簿仅限信访局工作人员查阅".into()));
    }
    let (channel, title) = match channel.trim() {
        "visit" => (Channel::Visit, "来访登记簿"),
        "letter" => (Channel::Letter, "来信登记簿"),
        other => {
            return Err(AppError::field(
                "channel",
                "unknown_channel",
                format!("登记簿「{other}」无效，应为 visit（来访）或 letter（来信）"),
            ));
        }
    };
    let period = parse_period(state, input)?;
    let ids = state
        .store
        .registered_between(
            &state.bureau.id,
            channel.as_str(),
            &period.from.to_string(),
            &period.to.to_string(),
        )
        .await?;
    if ids.len() > MAX_REGISTER_ROWS {
        return Err(AppError::field(
            "to",
            "too_many_rows",
            format!(
                "该期间共 {} 件，超过 {MAX_REGISTER_ROWS} 件，请缩短统计区间",
                ids.len()
            ),
        ));
    }
    let records = state.store.petitions_among(&state.bureau.id, &ids).await?;
    let views = drill_down_views(state, &user.user, records).await?;
    let rows = views
        .iter()
        .enumerate()
        .map(|(i, v)| {
            let number_only = v.access() == xinfang_domain::visibility::Access::Denied;
            let people = &v.petitioners;
            RegisterRow {
                ordinal: i + 1,
                id: v.id.clone(),
                petition_no: v.petition_no.clone(),
                registered_at: crate::clock::show(&v.registered_at),
                petitioners: people
                    .iter()
                    .map(|p| p.name.clone())
                    .collect::<Vec<_>>()
                    .join("、"),
                id_numbers: people
                    .iter()
                    .filter_map(|p| p.id_number.as_deref())
                    .map(xinfang_domain::resident_id::mask_id_number)
                    .collect::<Vec<_>>()
                    .join("、"),
                persons: v.visitor_count,
                address: people
                    .first()
                    .map(|p| p.address.clone())
                    .unwrap_or_default(),
                summary: v.summary.clone(),
                acceptance: v
                    .acceptance
                    .map(|a| a.label_zh().to_string())
                    .unwrap_or_default(),
                stage: v.stage.label_zh().to_string(),
                number_only,
            }
        })
        .collect();
    Ok(Register {
        channel: channel.as_str().into(),
        title: title.into(),
        from: period.from,
        to: period.to,
        rows,
    })
}

/// A register as an Excel workbook, logged like every export.
#[tracing::instrument(name = "statistics::export_register", skip_all)]
pub async fn export_register(
    state: &AppState,
    user: &CurrentUser,
    channel: &str,
    input: &PeriodInput,
) -> AppResult<Export> {
    let r = register(state, user, channel, input).await?;
    let text = |s: &str| Cell::Text(s.to_string());
    let rows: Vec<Vec<Cell>> = r
        .rows
        .iter()
        .map(|x| {
            vec![
                number(x.ordinal as i64),
                text(&x.petition_no),
                text(&x.registered_at),
                text(&x.petitioners),
                text(&x.id_numbers),
                number(x.persons),
                text(&x.address),
                text(if x.number_only {
                    "（保密件）"
                } else {
                    &x.summary
                }),
                text(&x.acceptance),
                text(&x.stage),
            ]
        })
        .collect();
    let sheet = SheetSpec {
        name: r.title.clone(),
        title: format!("{}（{} 至 {}）", r.title, r.from, r.to),
        subtitle: format!("{}　共 {} 件", state.bureau.name, r.rows.len()),
        header: [
            "序号",
            "编号",
            "登记时间",
            "信访人",
            "证件号码",
            "人数",
            "住址",
            "反映问题",
            "受理情况",
            "办理阶段",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect(),
        rows,
        charts: Vec::new(),
    };
    let bytes = render_xlsx(&[sheet], Some(INTERNAL_MARKING))
        .map_err(|e| AppError::Internal(e.to_string()))?;
    audit(
        state,
        user,
        "register_exported",
        serde_json::json!({"channel": r.channel, "from": r.from, "to": r.to, "rows": r.rows.len()}),
    )
    .await?;
    Ok(Export {
        file_name: format!("{}-{}至{}.xlsx", r.title, r.from, r.to),
        bytes,
    })
}
