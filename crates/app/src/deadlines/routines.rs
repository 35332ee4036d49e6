//! The bureau's routines: deadlines that belong to the bureau, or to one person, rather than to
//! a petition — the monthly backup of the electronic files (seed 一(八)4、5) and the year-end
//! transfer of the year's dossiers to the office (seed 二 四). Each period has one deadline, due
//! on its last day, started by the daily scan ([`start_due`]); whoever does the routine records
//! it ([`complete`]), and one left undone past its date becomes a task ([`overdue_task`]).
//!
//! Not petition changes, so they are recorded in the bureau's audit log, in the same
//! transaction as the deadline they concern.

use chrono::{DateTime, NaiveDate, NaiveTime, Utc};
use serde::Serialize;
use xinfang_domain::deadline_rules::{ROUTINE_RULES, TRANSFER_REPORT_RULE, routine_period};
use xinfang_domain::role::Role;
use xinfang_domain::statistics::MonthStart;
use xinfang_store::WriteTx;
use xinfang_store::deadlines::{DeadlineRow, NewDeadline};

use crate::auth::CurrentUser;
use crate::context::AppState;
use crate::error::{AppError, AppResult};

/// The kind of the task made for a routine left undone past its date.
pub const ROUTINE_TASK: &str = "routine_overdue";
/// The longest note recorded with a completed routine.
pub const MAX_NOTE_CHARS: usize = 500;

/// A routine's deadline as the office sees it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Routine {
    pub deadline_id: String,
    pub rule_code: String,
    pub name: String,
    pub period_start: NaiveDate,
    pub due_on: NaiveDate,
    /// `running`, `met`.
    pub state: String,
    pub overdue: bool,
    /// The day (China Standard Time) it was recorded done.
    pub met_on: Option<NaiveDate>,
    pub role: String,
    pub assignee_user_id: Option<String>,
}

/// Who sees the routines: the office, the leaders, the administrator and the archivist.
pub fn may_view(user: &CurrentUser) -> bool {
    matches!(
        user.role(),
        Role::Office | Role::Director | Role::DeputyDirector | Role::Admin | Role::Archivist
    )
}

/// Who records routine `d` done: the queue it is on or the person it is for, and the one who
/// does the work (the administrator backs up, the archivist transfers the dossiers).
pub fn may_complete(user: &CurrentUser, d: &DeadlineRow) -> bool {
    d.assignee_user_id.as_deref() == Some(user.user.id.as_str())
        || user.role().as_str() == d.role
        || matches!(
            (d.rule_code.as_str(), user.role()),
            ("monthly_backup", Role::Admin) | ("yearly_dossiers", Role::Archivist)
        )
}

/// Starts the deadline of every routine's period that `today` falls in, unless it is there
/// already (several instances, or a scan run twice, start it once). Returns how many it started.
#[tracing::instrument(name = "routines::start_due", skip_all)]
pub async fn start_due(state: &AppState, today: NaiveDate, actor_id: &str) -> AppResult<usize> {
    let mut started = 0;
    for rule in state.store.deadline_rules(&state.bureau.id).await? {
        if rule.per_petition || !ROUTINE_RULES.contains(&rule.code.as_str()) {
            continue;
        }
        let Some((first, last)) = routine_period(&rule.code, today) else {
            continue;
        };
        let now = state.clock.now();
        let mut tx = state.store.begin().await?;
        let days = u32::try_from((last - first).num_days()).unwrap_or(0);
        let id = state
            .store
            .insert_routine_deadline(
                &mut tx,
                &NewDeadline {
                    bureau_id: &state.bureau.id,
                    petition_id: None,
                    handling_record_id: None,
                    unit_id: None,
                    role: &rule.responsible,
                    assignee_user_id: None,
                    rule_code: &rule.code,
                    rule_version: rule.version,
                    started_on: first,
                    period_days: days,
                    mode: rule.mode,
                    due_on: last,
                    // The period's last day whatever the calendar says later.
                    fixed_due: Some(last),
                },
                now,
            )
            .await?;
        if let Some(id) = id {
            state
                .store
                .audit(
                    &mut tx,
                    &state.bureau.id,
                    Some(actor_id),
                    "routine_started",
                    &serde_json::json!({"deadline_id": id, "rule": rule.code, "period_start": first, "due_on": last}),
                    now,
                )
                .await?;
            started += 1;
        }
        tx.commit().await?;
    }
    started += start_transfer_reports(state, today, actor_id).await?;
    Ok(started)
}

/// Starts, for the reporting period that ended last (V5.1, L4.3: units report periodically on
/// the matters transferred to them), the report deadline of every unit that received a transfer
/// in it, due `due_days` after the period's end. Once per unit and period whoever runs it.
async fn start_transfer_reports(
    state: &AppState,
    today: NaiveDate,
    actor_id: &str,
) -> AppResult<usize> {
    let Some(schedule) = state.config.transfer_reports else {
        return Ok(0);
    };
    let Ok(rule) = state
        .store
        .deadline_rule(&state.bureau.id, TRANSFER_REPORT_RULE, None)
        .await
    else {
        return Ok(0);
    };
    let start = MonthStart::new(state.config.statistics_month_start).unwrap_or_default();
    let (period, due) = schedule.last_ended(today, start);
    let (from, before) = day_bounds(period.from, period.to);
    let units = state
        .store
        .units_transferred_to(&state.bureau.id, &from, &before)
        .await?;
    if units.is_empty() {
        return Ok(0);
    }
    let now = state.clock.now();
    let days = u32::try_from((period.to - period.from).num_days()).unwrap_or(0);
    let mut started = 0;
    let mut tx = state.store.begin().await?;
    for unit in &units {
        let id = state
            .store
            .insert_routine_deadline(
                &mut tx,
                &NewDeadline {
                    bureau_id: &state.bureau.id,
                    petition_id: None,
                    handling_record_id: None,
                    unit_id: Some(unit.as_str()),
                    role: &rule.responsible,
                    assignee_user_id: None,
                    rule_code: &rule.code,
                    rule_version: rule.version,
                    started_on: period.from,
                    // The period's length: its last day is `started_on + period_days`.
                    period_days: days,
                    mode: rule.mode,
                    due_on: due,
                    fixed_due: Some(due),
                },
                now,
            )
            .await?;
        if let Some(id) = id {
            state
                .store
                .audit(
                    &mut tx,
                    &state.bureau.id,
                    Some(actor_id),
                    "routine_started",
                    &serde_json::json!({"deadline_id": id, "rule": rule.code, "unit_id": unit, "period_start": period.from, "period_end": period.to, "due_on": due}),
                    now,
                )
                .await?;
            started += 1;
        }
    }
    tx.commit().await?;
    Ok(started)
}

/// The timestamps bounding local days `first` to `last`: `[first 00:00, last + 1 00:00)` China
/// Standard Time, as stored timestamps compare.
pub fn day_bounds(first: NaiveDate, last: NaiveDate) -> (String, String) {
    let at = |d: NaiveDate| xinfang_store::ts(crate::clock::from_local(d.and_time(NaiveTime::MIN)));
    (at(first), at(last + chrono::Duration::days(1)))
}

/// The routines' deadlines of the last year and any still running, latest first.
#[tracing::instrument(name = "routines::list", skip_all)]
pub async fn list(state: &AppState, user: &CurrentUser) -> AppResult<Vec<Routine>> {
    if !may_view(user) {
        return Err(AppError::forbidden());
    }
    let today = crate::clock::local_date(state.clock.now());
    let rules = state.store.deadline_rules(&state.bureau.id).await?;
    let since = today - chrono::Duration::days(366);
    Ok(state
        .store
        .routine_deadlines(&state.bureau.id, since)
        .await?
        .into_iter()
        // A unit's report is followed on the transfer table, not among the bureau's routines.
        .filter(|d| d.unit_id.is_none())
        .map(|d| Routine {
            name: rules
                .iter()
                .find(|r| r.code == d.rule_code)
                .map(|r| r.name.clone())
                .unwrap_or_else(|| d.rule_code.clone()),
            overdue: d.running() && d.due_on < today,
            deadline_id: d.id,
            rule_code: d.rule_code,
            period_start: d.started_on,
            due_on: d.due_on,
            state: d.state,
            met_on: d
                .met_at
                .as_deref()
                .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
                .map(|t| crate::clock::local_date(t.with_timezone(&Utc))),
            role: d.role,
            assignee_user_id: d.assignee_user_id,
        })
        .collect())
}

/// Records routine `deadline_id` done, with what was done (`note`: where the backup went, what
/// was handed over). Meets its deadline.
#[tracing::instrument(name = "routines::complete", skip_all)]
pub async fn complete(
    state: &AppState,
    user: &CurrentUser,
    deadline_id: &str,
    note: &str,
) -> AppResult<()> {
    let note = note.trim();
    if note.is_empty() {
        return Err(AppError::field(
            "note",
            "required",
            "请填写完成情况（如备份介质、份数、存放地点）",
        ));
    }
    if note.chars().count() > MAX_NOTE_CHARS {
        return Err(AppError::field(
            "note",
            "too_long",
            format!("完成情况不超过 {MAX_NOTE_CHARS} 字"),
        ));
    }
    let d = state
        .store
        .deadline(&state.bureau.id, deadline_id)
        .await
        .map_err(|_| AppError::not_found())?;
    // A unit's report on transferred matters is filed with its figures (`statistics::transfers`).
    if d.petition_id.is_some() || d.unit_id.is_some() {
        return Err(AppError::not_found());
    }
    if !may_complete(user, &d) {
        return Err(AppError::forbidden());
    }
    let now = state.clock.now();
    let mut tx = state.store.begin().await?;
    met_in(state, &mut tx, &d, Some(&user.user.id), note, now).await?;
    tx.commit().await?;
    Ok(())
}

/// Meets routine deadline `d` inside the caller's transaction (the backup job calls it for the
/// month's backup), recording who and what in the audit log.
pub async fn met_in(
    state: &AppState,
    tx: &mut WriteTx,
    d: &DeadlineRow,
    actor_id: Option<&str>,
    note: &str,
    now: DateTime<Utc>,
) -> AppResult<()> {
    if !state.store.stop_deadline(tx, &d.id, "met", now).await? {
        return Err(AppError::Conflict("该项例行工作已记录完成".into()));
    }
    // An overdue task it raised is done with it.
    state
        .store
        .complete_tasks_of_cause(tx, &state.bureau.id, &task_cause(&d.id), actor_id, now)
        .await?;
    state
        .store
        .audit(
            tx,
            &state.bureau.id,
            actor_id,
            "routine_completed",
            &serde_json::json!({"deadline_id": d.id, "rule": d.rule_code, "period_start": d.started_on, "note": note}),
            now,
        )
        .await?;
    Ok(())
}

fn task_cause(deadline_id: &str) -> String {
    format!("{ROUTINE_TASK}:{deadline_id}")
}

/// The daily scan found routine `d` past its date: a task for the person it is for, or for its
/// queue, once. Returns whether one was made.
pub async fn overdue_task(
    state: &AppState,
    tx: &mut WriteTx,
    d: &DeadlineRow,
    now: DateTime<Utc>,
) -> AppResult<bool> {
    let rule = state
        .store
        .deadline_rule(&state.bureau.id, &d.rule_code, Some(d.rule_version))
        .await?;
    let (role, title) = match &d.unit_id {
        // A unit's report is the letter clerk's to chase (seed 二(四)3: the clerk compiles the
        // units' reports into the transfer table).
        Some(unit) => {
            let name = state
                .store
                .unit(&state.bureau.id, unit)
                .await
                .map(|u| u.name)
                .unwrap_or_else(|_| unit.clone());
            let last = d.started_on + chrono::Duration::days(i64::from(d.period_days));
            (
                Role::LetterClerk,
                format!(
                    "{name}{}（{} 至 {}）逾期未报，应于 {} 前报送",
                    rule.name, d.started_on, last, d.due_on
                ),
            )
        }
        None => (
            Role::parse(&d.role).unwrap_or(Role::Office),
            format!(
                "{}（{} 至 {}）已逾期未完成",
                rule.name, d.started_on, d.due_on
            ),
        ),
    };
    Ok(state
        .store
        .insert_person_task(
            tx,
            &state.bureau.id,
            None,
            ROUTINE_TASK,
            role,
            d.assignee_user_id.as_deref(),
            &title,
            &task_cause(&d.id),
            now,
        )
        .await?
        .is_some())
}
