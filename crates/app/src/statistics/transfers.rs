//! The transfer statistics table (转送信件办理情况统计表) and the units' periodic reports on the
//! matters transferred to them (seed 二(四)3, 一(五)1; V5.1, L4.3). The counting is
//! `domain::transfer_table`; the report deadlines are started by the daily scan
//! (`deadlines::routines`), and a report filed here meets its unit's deadline.
//!
//! The bureau's statistics roles see every unit's line; a unit's staff see their own only.

use std::collections::HashMap;

use chrono::{Duration, NaiveDate};
use serde::{Deserialize, Serialize};
use xinfang_domain::deadline_rules::TRANSFER_REPORT_RULE;
use xinfang_domain::role::Role;
use xinfang_domain::statistics::{Period, PeriodKind};
use xinfang_domain::transfer_table::{
    self as table, ReportFigures, ReportOwed, TransferLine, TransferSent,
};
use xinfang_store::deadlines::DeadlineRow;

use super::{PeriodInput, PeriodJson, Scope, day_of, parse_period, scope_of};
use crate::auth::CurrentUser;
use crate::clock::local_date;
use crate::context::AppState;
use crate::deadlines::routines::day_bounds;
use crate::error::{AppError, AppResult};

/// One unit's line (or the total) of the transfer statistics table.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct TransferTableRow {
    /// Empty on the total line
    pub unit_id: String,
    pub name: String,
    /// 转送次数 (批次): days on which petitions were transferred to the unit
    pub times: i64,
    /// 转送件数 (件): petitions first transferred to the unit in the period
    pub items: i64,
    /// 报领导件数, from the unit's reports
    pub reported_to_leaders: i64,
    /// 交办件数, from the unit's reports
    pub assigned: i64,
    /// 转送部门件数, from the unit's reports
    pub sent_to_departments: i64,
    /// 及时办理件数, from the unit's reports
    pub handled_on_time: i64,
    /// Reports whose reporting period ends in the period
    pub reports_due: i64,
    pub reports_filed: i64,
    /// Filed late, or past due and not filed
    pub reports_late: i64,
}

/// A report a unit owes (or filed) for one reporting period.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct TransferReportView {
    /// The report's deadline: file and remind name it
    pub deadline_id: String,
    pub unit_id: String,
    pub unit_name: String,
    pub period_from: NaiveDate,
    pub period_to: NaiveDate,
    pub due_on: NaiveDate,
    /// Petitions first transferred to the unit in the reporting period
    pub items: i64,
    /// `running` (not filed) or `met` (filed)
    pub state: String,
    /// Past its due date and not filed
    pub overdue: bool,
    pub filed_on: Option<NaiveDate>,
    pub filed_late: bool,
    pub figures: Option<ReportedFigures>,
    pub note: String,
    /// Reminders (催报) recorded
    pub reminders: i64,
}

/// What a unit reported.
#[derive(Debug, Clone, Copy, Serialize, utoipa::ToSchema)]
pub struct ReportedFigures {
    pub reported_to_leaders: i64,
    pub assigned: i64,
    pub sent_to_departments: i64,
    pub handled_on_time: i64,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct TransferTable {
    pub period: PeriodJson,
    /// `bureau`, or `unit` when the viewer sees its own line only
    pub scope: String,
    /// How often units report and when, e.g. 每月报送，报告期结束后 10 日内
    pub schedule: String,
    pub rows: Vec<TransferTableRow>,
    pub total: TransferTableRow,
    /// The reports of reporting periods ending in the period, and any still owed
    pub reports: Vec<TransferReportView>,
}

/// What a unit files.
#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct TransferReportInput {
    pub reported_to_leaders: i64,
    pub assigned: i64,
    pub sent_to_departments: i64,
    pub handled_on_time: i64,
    /// 其他需要说明的情况
    pub note: String,
}

/// A reminder (催报) of a unit's report.
#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct ReminderInput {
    /// phone | letter | summon | on_site
    pub method: String,
    pub note: String,
}

/// The schedule as the table states it.
pub fn schedule_zh(state: &AppState) -> String {
    match state.config.transfer_reports {
        None => "未设定定期报告".into(),
        Some(s) => format!(
            "{}报送，报告期结束后 {} 日内",
            match s.every {
                PeriodKind::Quarter => "每季度",
                PeriodKind::Half => "每半年",
                PeriodKind::Year => "每年",
                _ => "每月",
            },
            s.due_days
        ),
    }
}

/// The facts the table counts, for the scope's units.
struct Facts {
    sent: Vec<TransferSent>,
    deadlines: Vec<DeadlineRow>,
    filed: HashMap<String, xinfang_store::transfer_reports::TransferReportRow>,
    reminders: HashMap<String, i64>,
    names: HashMap<String, String>,
}

fn period_end(d: &DeadlineRow) -> NaiveDate {
    d.started_on + Duration::days(i64::from(d.period_days))
}

fn figures_of(r: &xinfang_store::transfer_reports::TransferReportRow) -> ReportFigures {
    ReportFigures {
        reported_to_leaders: r.reported_to_leaders,
        assigned: r.assigned,
        sent_to_departments: r.sent_to_departments,
        handled_on_time: r.handled_on_time,
    }
}

impl Facts {
    async fn read(state: &AppState, unit: Option<&str>, up_to: NaiveDate) -> AppResult<Facts> {
        let (_, before) = day_bounds(up_to, up_to);
        let sent = state
            .store
            .transfers_sent(&state.bureau.id, &before, unit)
            .await?
            .into_iter()
            .filter_map(|r| {
                Some(TransferSent {
                    sent_on: day_of(&r.created_at)?,
                    unit_id: r.unit_id,
                    petition_id: r.petition_id,
                })
            })
            .collect();
        let deadlines = state
            .store
            .transfer_report_deadlines(&state.bureau.id, unit)
            .await?;
        let filed = state
            .store
            .transfer_reports(&state.bureau.id, unit)
            .await?
            .into_iter()
            .map(|r| (r.deadline_id.clone(), r))
            .collect();
        let reminders = state
            .store
            .transfer_report_reminder_counts(&state.bureau.id)
            .await?
            .into_iter()
            .collect();
        let names = state
            .store
            .units(&state.bureau.id)
            .await?
            .into_iter()
            .map(|u| (u.id, u.name))
            .collect();
        Ok(Facts {
            sent,
            deadlines,
            filed,
            reminders,
            names,
        })
    }

    fn owed(&self) -> Vec<ReportOwed> {
        self.deadlines
            .iter()
            .map(|d| ReportOwed {
                unit_id: d.unit_id.clone().unwrap_or_default(),
                period_from: d.started_on,
                period_to: period_end(d),
                due_on: d.due_on,
                filed: self
                    .filed
                    .get(&d.id)
                    .and_then(|r| Some((day_of(&r.filed_at)?, figures_of(r)))),
            })
            .collect()
    }

    /// Petitions first transferred to `unit` in its reporting period `from`–`to`.
    fn items(&self, unit: &str, from: NaiveDate, to: NaiveDate, today: NaiveDate) -> i64 {
        let Ok(p) = Period::range(from, to) else {
            return 0;
        };
        table::transfer_table(&self.sent, &[], &p, today)
            .iter()
            .find(|l| l.unit_id == unit)
            .map(|l| l.items)
            .unwrap_or(0)
    }

    fn name(&self, unit: &str) -> String {
        self.names
            .get(unit)
            .cloned()
            .unwrap_or_else(|| unit.to_string())
    }

    fn view(&self, d: &DeadlineRow, today: NaiveDate) -> TransferReportView {
        let unit = d.unit_id.clone().unwrap_or_default();
        let filed = self.filed.get(&d.id);
        let filed_on = filed.and_then(|r| day_of(&r.filed_at));
        TransferReportView {
            deadline_id: d.id.clone(),
            unit_name: self.name(&unit),
            items: self.items(&unit, d.started_on, period_end(d), today),
            period_from: d.started_on,
            period_to: period_end(d),
            due_on: d.due_on,
            state: d.state.clone(),
            overdue: d.running() && d.due_on < today,
            filed_late: filed_on.is_some_and(|on| on > d.due_on),
            filed_on,
            figures: filed.map(|r| {
                let f = figures_of(r);
                ReportedFigures {
                    reported_to_leaders: f.reported_to_leaders,
                    assigned: f.assigned,
                    sent_to_departments: f.sent_to_departments,
                    handled_on_time: f.handled_on_time,
                }
            }),
            note: filed.map(|r| r.note.clone()).unwrap_or_default(),
            reminders: self.reminders.get(&d.id).copied().unwrap_or(0),
            unit_id: unit,
        }
    }
}

fn row_of(l: &TransferLine, name: String) -> TransferTableRow {
    TransferTableRow {
        unit_id: l.unit_id.clone(),
        name,
        times: l.times,
        items: l.items,
        reported_to_leaders: l.reported.reported_to_leaders,
        assigned: l.reported.assigned,
        sent_to_departments: l.reported.sent_to_departments,
        handled_on_time: l.reported.handled_on_time,
        reports_due: l.reports_due,
        reports_filed: l.reports_filed,
        reports_late: l.reports_late,
    }
}

/// The transfer statistics table of the period: the bureau's for its statistics roles, the
/// unit's own line for a unit's staff.
#[tracing::instrument(name = "statistics::transfer_table", skip_all)]
pub async fn transfer_table(
    state: &AppState,
    user: &CurrentUser,
    input: &PeriodInput,
) -> AppResult<TransferTable> {
    let scope = scope_of(user)?;
    let period = parse_period(state, input)?;
    let unit = match &scope {
        Scope::Unit(u) => Some(u.as_str()),
        Scope::Bureau => None,
    };
    let today = local_date(state.clock.now());
    let facts = Facts::read(state, unit, period.to).await?;
    let lines = table::transfer_table(&facts.sent, &facts.owed(), &period, today);
    let total = row_of(&table::total(&lines), "合计".into());
    let rows = lines
        .iter()
        .map(|l| row_of(l, facts.name(&l.unit_id)))
        .collect();
    let reports = facts
        .deadlines
        .iter()
        .filter(|d| period.contains(period_end(d)) || (unit.is_some() && d.running()))
        .map(|d| facts.view(d, today))
        .collect();
    Ok(TransferTable {
        period: (&period).into(),
        scope: match scope {
            Scope::Bureau => "bureau".into(),
            Scope::Unit(_) => "unit".into(),
        },
        schedule: schedule_zh(state),
        rows,
        total,
        reports,
    })
}

/// The report deadline `deadline_id`, if it is one.
async fn report_deadline(state: &AppState, deadline_id: &str) -> AppResult<DeadlineRow> {
    let d = state
        .store
        .deadline(&state.bureau.id, deadline_id)
        .await
        .map_err(|_| AppError::not_found())?;
    if d.petition_id.is_some() || d.rule_code != TRANSFER_REPORT_RULE || d.unit_id.is_none() {
        return Err(AppError::not_found());
    }
    Ok(d)
}

/// A unit's staff file their unit's report for the reporting period of `deadline_id`; it meets
/// the deadline (late if after its due date).
#[tracing::instrument(name = "statistics::file_transfer_report", skip_all)]
pub async fn file_report(
    state: &AppState,
    user: &CurrentUser,
    deadline_id: &str,
    input: &TransferReportInput,
) -> AppResult<TransferReportView> {
    let d = report_deadline(state, deadline_id).await?;
    let unit = d.unit_id.clone().unwrap_or_default();
    let own = matches!(user.role(), Role::UnitHandler | Role::UnitHead)
        && user.user.unit_id.as_deref() == Some(unit.as_str());
    if !own {
        return match scope_of(user) {
            Ok(Scope::Bureau) => Err(AppError::Forbidden(
                "转送事项办理情况报告由承办单位报送".into(),
            )),
            _ => Err(AppError::not_found()),
        };
    }
    if !d.running() {
        return Err(AppError::Conflict("该报告期的办理情况已报送".into()));
    }
    let today = local_date(state.clock.now());
    let facts = Facts::read(state, Some(&unit), period_end(&d)).await?;
    let items = facts.items(&unit, d.started_on, period_end(&d), today);
    let figures = ReportFigures {
        reported_to_leaders: input.reported_to_leaders,
        assigned: input.assigned,
        sent_to_departments: input.sent_to_departments,
        handled_on_time: input.handled_on_time,
    };
    let note = input.note.trim();
    table::check_report(&figures, items, note)?;
    let now = state.clock.now();
    let (from, to) = (d.started_on.to_string(), period_end(&d).to_string());
    let mut tx = state.store.begin().await?;
    state
        .store
        .insert_transfer_report(
            &mut tx,
            &xinfang_store::transfer_reports::NewTransferReport {
                bureau_id: &state.bureau.id,
                unit_id: &unit,
                deadline_id: &d.id,
                period_from: &from,
                period_to: &to,
                items,
                reported_to_leaders: figures.reported_to_leaders,
                assigned: figures.assigned,
                sent_to_departments: figures.sent_to_departments,
                handled_on_time: figures.handled_on_time,
                note,
                filed_by: &user.user.id,
            },
            now,
        )
        .await
        .map_err(|e| match e {
            xinfang_store::StoreError::Conflict => {
                AppError::Conflict("该报告期的办理情况已报送".into())
            }
            e => e.into(),
        })?;
    let summary = format!(
        "转送{items}件：报领导{}件，交办{}件，转送部门{}件，及时办理{}件。{note}",
        figures.reported_to_leaders,
        figures.assigned,
        figures.sent_to_departments,
        figures.handled_on_time
    );
    crate::deadlines::routines::met_in(state, &mut tx, &d, Some(&user.user.id), &summary, now)
        .await?;
    tx.commit().await?;
    let d = report_deadline(state, deadline_id).await?;
    let facts = Facts::read(state, Some(&unit), period_end(&d)).await?;
    Ok(facts.view(&d, today))
}

/// The letter clerk (or the office, an inspector) chases a unit's report (催报): recorded with
/// its method, counted on the table, logged.
#[tracing::instrument(name = "statistics::remind_transfer_report", skip_all)]
pub async fn remind(
    state: &AppState,
    user: &CurrentUser,
    deadline_id: &str,
    input: &ReminderInput,
) -> AppResult<TransferReportView> {
    if !matches!(
        user.role(),
        Role::LetterClerk | Role::Office | Role::Inspector
    ) {
        return Err(AppError::Forbidden(
            "催报由办信、办公室或督查人员进行".into(),
        ));
    }
    let d = report_deadline(state, deadline_id).await?;
    if !d.running() {
        return Err(AppError::Conflict("该报告已报送，无需催报".into()));
    }
    let method = xinfang_domain::supervision::parse_method(&input.method)?;
    let note = input.note.trim();
    if note.chars().count() > table::MAX_NOTE_CHARS {
        return Err(AppError::field(
            "note",
            "too_long",
            format!("催报说明不超过 {} 字", table::MAX_NOTE_CHARS),
        ));
    }
    let unit = d.unit_id.clone().unwrap_or_default();
    let now = state.clock.now();
    let mut tx = state.store.begin().await?;
    state
        .store
        .insert_transfer_report_reminder(
            &mut tx,
            &state.bureau.id,
            &d.id,
            &unit,
            method.as_str(),
            note,
            &user.user.id,
            now,
        )
        .await?;
    state
        .store
        .audit(
            &mut tx,
            &state.bureau.id,
            Some(&user.user.id),
            "transfer_report_reminded",
            &serde_json::json!({"deadline_id": d.id, "unit_id": unit, "method": method.as_str(), "note": note}),
            now,
        )
        .await?;
    tx.commit().await?;
    let today = local_date(now);
    let facts = Facts::read(state, Some(&unit), period_end(&d)).await?;
    Ok(facts.view(&d, today))
}
