//! Deadlines and supervision (督办): use cases (rules §2, §5; lifecycle §2).
//!
//! # The deadline API other code calls
//!
//! Every function taking a `WriteTx` runs inside the caller's transaction, next to the state
//! change it belongs to; the caller appends its own event (which should name the deadline, e.g.
//! with [`DeadlineRow::id`] and `due_on`). They never commit.
//!
//! - [`start_deadline`]`(state, tx, &StartDeadline { petition_id, handling_record_id, unit_id,
//!   rule_code, started_on, role })` — stores a running deadline from the rule's current
//!   version; returns the row with `due_on`.
//! - [`start_higher_organ_deadline`] — the higher organ's date, at registration.
//! - [`meet_deadlines`]`(state, tx, petition_id, handling_record_id, rule_code, now)` — stops
//!   (state `met`) the running deadlines matching; `None` matches any.
//! - [`cancel_deadlines`] — the same with state `cancelled` (a step undone, a unit's objection
//!   upheld).
//! - [`extend_deadline_in`]`(state, tx, deadline_id, days, reason, today)` — at most 30 days,
//!   once, before expiry (domain-checked, Chinese message on refusal).
//! - [`shorten_deadline_in`]`(state, tx, deadline_id, days, instruction)` — a local leader's
//!   shorter deadline.
//! - [`pause_deadline_in`] / [`resume_deadline_in`] — 复核 hearing time.
//!
//! User-facing wrappers (`extend`, `shorten`, `pause`, `resume`) check roles, open the petition
//! (access check and log) and append the petition event themselves.

pub mod routines;

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use xinfang_domain::deadline::{self, WarningLevel, WarningThresholds};
use xinfang_domain::deadline_rules::{
    self as rules, DeadlineRule, EXTENSION_RULE, ExpiryAction, MAX_EXTENSION_DAYS,
};
use xinfang_domain::role::Role;
use xinfang_domain::supervision::TriggerKind;
use xinfang_store::WriteTx;
use xinfang_store::deadlines::{DeadlineRow, DeadlineSettings, NewDeadline, QueueFilter, QueueRow};
use xinfang_store::petitions::PetitionRecord;

use crate::access::open_record;
use crate::auth::CurrentUser;
use crate::calendar::calendar;
use crate::clock::local_date;
use crate::context::AppState;
use crate::error::{AppError, AppResult};
use crate::write::Write;

// ---------------------------------------------------------------------------------------------
// Starting, meeting and changing deadlines (called inside other use cases' transactions)

/// What starts a deadline.
#[derive(Debug, Clone)]
pub struct StartDeadline<'a> {
    pub petition_id: &'a str,
    pub handling_record_id: Option<&'a str>,
    /// The unit responsible (its queue); with it the deadline's role is `unit`.
    pub unit_id: Option<&'a str>,
    pub rule_code: &'a str,
    /// The day of the starting event (CST); not counted.
    pub started_on: NaiveDate,
    /// The queue, when not the unit's and not the rule's `responsible` (e.g. `letter_clerk` for
    /// a letter's `dispose_visit`).
    pub role: Option<&'a str>,
    /// A date the deadline never runs past: the higher organ's deadline caps the unit's
    /// handling deadline, and is itself the due date of `higher_organ_deadline`.
    pub cap: Option<NaiveDate>,
}

/// Stores a running deadline from the rule's current version. Refuses rules that are not kept
/// per petition (the office's monthly and yearly routines).
pub async fn start_deadline(
    state: &AppState,
    tx: &mut WriteTx,
    s: &StartDeadline<'_>,
) -> AppResult<DeadlineRow> {
    let rule = state
        .store
        .deadline_rule(&state.bureau.id, s.rule_code, None)
        .await
        .map_err(|_| {
            AppError::field(
                "rule",
                "unknown_rule",
                format!("未知的期限规则：{}", s.rule_code),
            )
        })?;
    if !rule.per_petition {
        return Err(AppError::field(
            "rule",
            "not_per_petition",
            format!("「{}」不是信访件的办理期限", rule.name),
        ));
    }
    let cal = calendar(state).await?;
    // A fixed-date deadline counts the calendar days up to its date, so that recomputing it
    // (a calendar notice, a pause) keeps it there.
    let days = match (rule.code.as_str(), s.cap) {
        (rules::HIGHER_ORGAN_RULE, Some(cap)) => {
            u32::try_from((cap - s.started_on).num_days().max(0)).unwrap_or(0)
        }
        _ => rule.days,
    };
    let due_on = deadline::capped_due(
        deadline::due_date(&cal, s.started_on, days, rule.mode),
        s.cap,
    );
    let role = match (s.unit_id, s.role) {
        (Some(_), _) => "unit".to_string(),
        (None, Some(r)) => r.to_string(),
        (None, None) => rule.responsible.clone(),
    };
    let now = state.clock.now();
    let id = state
        .store
        .insert_deadline(
            tx,
            &NewDeadline {
                bureau_id: &state.bureau.id,
                petition_id: Some(s.petition_id),
                handling_record_id: s.handling_record_id,
                unit_id: s.unit_id,
                role: &role,
                assignee_user_id: None,
                rule_code: &rule.code,
                rule_version: rule.version,
                started_on: s.started_on,
                period_days: days,
                mode: rule.mode,
                due_on,
                fixed_due: s.cap,
            },
            now,
        )
        .await?;
    Ok(DeadlineRow {
        id,
        bureau_id: state.bureau.id.clone(),
        petition_id: Some(s.petition_id.into()),
        handling_record_id: s.handling_record_id.map(Into::into),
        unit_id: s.unit_id.map(Into::into),
        role,
        assignee_user_id: None,
        rule_code: rule.code,
        rule_version: rule.version,
        started_on: s.started_on,
        period_days: days,
        mode: rule.mode,
        due_on,
        shortened_by: None,
        extended_days: 0,
        extension_reason: None,
        paused_days: 0,
        paused_since: None,
        state: "running".into(),
        met_at: None,
        fixed_due: s.cap,
    })
}

/// The due date of a stored deadline as its counting facts give it on `cal`, never past its
/// fixed date.
pub(crate) fn due_of(
    cal: &xinfang_domain::calendar::OfficialCalendar,
    d: &DeadlineRow,
) -> NaiveDate {
    deadline::capped_due(
        rules::recompute_due(
            cal,
            d.started_on,
            d.period_days,
            d.mode,
            d.extended_days,
            d.paused_days,
        ),
        d.fixed_due,
    )
}

/// A matter registered from a higher organ that set a deadline: that deadline runs from the
/// registration, due on the organ's date, on the registering desk's queue (the office's, the
/// letter clerk's for letters). Met when closing is approved.
pub async fn start_higher_organ_deadline(
    state: &AppState,
    tx: &mut WriteTx,
    petition_id: &str,
    source: &xinfang_domain::source::Source,
    registered_on: NaiveDate,
    letter: bool,
) -> AppResult<Option<DeadlineRow>> {
    let Some(cap) = source.higher_organ_deadline() else {
        return Ok(None);
    };
    start_deadline(
        state,
        tx,
        &StartDeadline {
            petition_id,
            handling_record_id: None,
            unit_id: None,
            rule_code: rules::HIGHER_ORGAN_RULE,
            started_on: registered_on.min(cap),
            role: Some(if letter { "letter_clerk" } else { "office" }),
            cap: Some(cap),
        },
    )
    .await
    .map(Some)
}

async fn stop_deadlines(
    state: &AppState,
    tx: &mut WriteTx,
    petition_id: &str,
    handling_record_id: Option<&str>,
    rule_code: Option<&str>,
    to: &str,
    now: DateTime<Utc>,
) -> AppResult<Vec<DeadlineRow>> {
    let running = state
        .store
        .running_deadlines_in(tx, petition_id, handling_record_id, rule_code)
        .await?;
    let mut out = Vec::new();
    for d in running {
        if state.store.stop_deadline(tx, &d.id, to, now).await? {
            out.push(d);
        }
    }
    Ok(out)
}

/// Stops the matching running deadlines as met (the obligation was fulfilled).
pub async fn meet_deadlines(
    state: &AppState,
    tx: &mut WriteTx,
    petition_id: &str,
    handling_record_id: Option<&str>,
    rule_code: Option<&str>,
    now: DateTime<Utc>,
) -> AppResult<Vec<DeadlineRow>> {
    stop_deadlines(
        state,
        tx,
        petition_id,
        handling_record_id,
        rule_code,
        "met",
        now,
    )
    .await
}

/// Stops the matching running deadlines as cancelled (no longer owed).
pub async fn cancel_deadlines(
    state: &AppState,
    tx: &mut WriteTx,
    petition_id: &str,
    handling_record_id: Option<&str>,
    rule_code: Option<&str>,
    now: DateTime<Utc>,
) -> AppResult<Vec<DeadlineRow>> {
    stop_deadlines(
        state,
        tx,
        petition_id,
        handling_record_id,
        rule_code,
        "cancelled",
        now,
    )
    .await
}

/// Extends a running deadline: only under an extendable rule, at most 30 days (or the
/// configured extension rule), once, before it expires.
pub async fn extend_deadline_in(
    state: &AppState,
    tx: &mut WriteTx,
    deadline_id: &str,
    days: i64,
    reason: &str,
    today: NaiveDate,
) -> AppResult<DeadlineRow> {
    extend_in(state, tx, deadline_id, days, reason, today, None).await
}

/// Moves a deadline that ends with an extended one (the handling report is due when the
/// handling period ends): the same checks, with `period`'s rule deciding extendability.
pub async fn follow_extension_in(
    state: &AppState,
    tx: &mut WriteTx,
    deadline_id: &str,
    days: i64,
    reason: &str,
    today: NaiveDate,
    period: &str,
) -> AppResult<DeadlineRow> {
    extend_in(state, tx, deadline_id, days, reason, today, Some(period)).await
}

/// Whether `d` may be extended by `days` today, and by how many days in all: under an
/// extendable rule (`period`'s when it follows another deadline), at most the extension rule's
/// days, once, before expiry, with a reason, never past a higher organ's date.
pub async fn check_extension(
    state: &AppState,
    d: &DeadlineRow,
    days: i64,
    reason: &str,
    today: NaiveDate,
    period: Option<&str>,
) -> AppResult<u32> {
    let max = state
        .store
        .deadline_rule(&state.bureau.id, EXTENSION_RULE, None)
        .await
        .map(|r| r.days)
        .unwrap_or(MAX_EXTENSION_DAYS);
    // The rule the deadline runs under decides whether it may be extended at all (L5.2: the
    // handling period; the statutory 15-day notice never).
    let rule = match period {
        Some(code) => {
            state
                .store
                .deadline_rule(&state.bureau.id, code, None)
                .await?
        }
        None => {
            state
                .store
                .deadline_rule(&state.bureau.id, &d.rule_code, Some(d.rule_version))
                .await?
        }
    };
    let days = rules::check_extension(&rule, &d.facts(), days, max, reason, today)?;
    if let Some(cap) = d.fixed_due
        && d.due_on >= cap
    {
        return Err(AppError::field(
            "days",
            "capped_by_higher_organ",
            format!(
                "本件须在上级机关要求的 {cap} 前办结，期限不能自行延长；确需延期请报上级机关同意"
            ),
        ));
    }
    Ok(days)
}

async fn extend_in(
    state: &AppState,
    tx: &mut WriteTx,
    deadline_id: &str,
    days: i64,
    reason: &str,
    today: NaiveDate,
    period: Option<&str>,
) -> AppResult<DeadlineRow> {
    let mut d = state
        .store
        .deadline_in(tx, &state.bureau.id, deadline_id)
        .await?;
    let days = check_extension(state, &d, days, reason, today, period).await?;
    let (old_due, old_ext, old_paused) = (d.due_on, d.extended_days, d.paused_since);
    let cal = calendar(state).await?;
    d.extended_days = days;
    d.extension_reason = Some(reason.trim().to_string());
    d.due_on = due_of(&cal, &d);
    state
        .store
        .update_deadline_counting(tx, &d, old_due, old_ext, old_paused, state.clock.now())
        .await?;
    Ok(d)
}

/// Sets a shorter period by a local leader's instruction (批示).
pub async fn shorten_deadline_in(
    state: &AppState,
    tx: &mut WriteTx,
    deadline_id: &str,
    days: i64,
    instruction: &str,
) -> AppResult<DeadlineRow> {
    let mut d = state
        .store
        .deadline_in(tx, &state.bureau.id, deadline_id)
        .await?;
    let days = rules::check_shorten(&d.facts(), days, instruction)?;
    let (old_due, old_ext, old_paused) = (d.due_on, d.extended_days, d.paused_since);
    let cal = calendar(state).await?;
    d.period_days = days;
    d.shortened_by = Some(instruction.trim().to_string());
    d.due_on = due_of(&cal, &d);
    state
        .store
        .update_deadline_counting(tx, &d, old_due, old_ext, old_paused, state.clock.now())
        .await?;
    Ok(d)
}

/// Stops the clock (复核 hearing).
pub async fn pause_deadline_in(
    state: &AppState,
    tx: &mut WriteTx,
    deadline_id: &str,
    today: NaiveDate,
) -> AppResult<DeadlineRow> {
    let mut d = state
        .store
        .deadline_in(tx, &state.bureau.id, deadline_id)
        .await?;
    let rule = state
        .store
        .deadline_rule(&state.bureau.id, &d.rule_code, Some(d.rule_version))
        .await?;
    rules::check_pause(&d.facts(), rule.pausable)?;
    let (old_due, old_ext, old_paused) = (d.due_on, d.extended_days, d.paused_since);
    d.paused_since = Some(today);
    state
        .store
        .update_deadline_counting(tx, &d, old_due, old_ext, old_paused, state.clock.now())
        .await?;
    Ok(d)
}

/// Restarts the clock; the due date moves by the days paused.
pub async fn resume_deadline_in(
    state: &AppState,
    tx: &mut WriteTx,
    deadline_id: &str,
    today: NaiveDate,
) -> AppResult<DeadlineRow> {
    let mut d = state
        .store
        .deadline_in(tx, &state.bureau.id, deadline_id)
        .await?;
    let days = rules::check_resume(&d.facts(), today)?;
    let (old_due, old_ext, old_paused) = (d.due_on, d.extended_days, d.paused_since);
    let cal = calendar(state).await?;
    d.paused_days = d.paused_days.saturating_add(days);
    d.paused_since = None;
    d.due_on = due_of(&cal, &d);
    state
        .store
        .update_deadline_counting(tx, &d, old_due, old_ext, old_paused, state.clock.now())
        .await?;
    Ok(d)
}

// ---------------------------------------------------------------------------------------------
// A year's official notice entered: the deadlines counted without it firm up

/// Enters (or corrects) one year's State Council notice and recomputes, in the same
/// transaction, every running deadline that runs through that year: until then it was counted
/// with plain weekends (provisional). Each one that moves gets a `deadline_recomputed` event on
/// its petition, and a unit's handling record shows the new date. Returns the notice and how many
/// deadlines moved.
#[tracing::instrument(name = "deadlines::enter_calendar_notice", skip_all)]
pub async fn enter_calendar_notice(
    state: &AppState,
    admin: &CurrentUser,
    year: &str,
    input: &crate::calendar::CalendarNoticeInput,
) -> AppResult<(xinfang_domain::calendar::YearNotice, usize)> {
    admin.require(&[Role::Admin])?;
    let now = state.clock.now();
    let mut w = Write::begin_at(state, admin, now).await?;
    let notice =
        crate::calendar::save_calendar_notice_in(state, &mut w.tx, admin, year, input).await?;
    let mut cal = calendar(state).await?;
    cal.insert(notice.clone());
    let running = state
        .store
        .running_deadlines_through_year(&mut w.tx, &state.bureau.id, notice.year)
        .await?;
    let mut moved = 0;
    for mut d in running {
        let due = due_of(&cal, &d);
        if due == d.due_on {
            continue;
        }
        let (old_due, old_ext, old_paused) = (d.due_on, d.extended_days, d.paused_since);
        d.due_on = due;
        state
            .store
            .update_deadline_counting(&mut w.tx, &d, old_due, old_ext, old_paused, now)
            .await?;
        if let Some(record) = &d.handling_record_id
            && d.rule_code == "handle_and_close"
        {
            state
                .store
                .set_handling_record_due(&mut w.tx, record, due)
                .await?;
        }
        // A petition's deadline moves in its history; a routine's (none moves: its date is
        // fixed) would have no history to move in.
        if let Some(petition_id) = d.petition_id.as_deref() {
            let seq = state.store.event_seq_in(&mut w.tx, petition_id).await?;
            w.event(
                petition_id,
                seq,
                "deadline_recomputed",
                &serde_json::json!({
                    "deadline_id": d.id, "rule": d.rule_code, "year": notice.year,
                    "due_before": old_due.to_string(), "due_on": due.to_string(),
                }),
            )
            .await?;
        }
        moved += 1;
    }
    w.commit().await?;
    Ok((notice, moved))
}

/// Whether a deadline was counted through a year whose notice is not entered yet: its date may
/// still move (it is recomputed when the notice is entered).
pub fn is_provisional(cal: &xinfang_domain::calendar::OfficialCalendar, d: &DeadlineRow) -> bool {
    deadline::is_provisional(cal, d.started_on, d.due_on)
}

// ---------------------------------------------------------------------------------------------
// The user-facing deadline changes

#[derive(Debug, Clone, Default, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(default)]
pub struct DeadlineChangeInput {
    /// Extension: the extra days (1 to 30). Shorter deadline: the new period in days.
    pub days: Option<i64>,
    /// Extension: the reason the petitioner is told. Pause / resume: a note.
    pub reason: String,
    /// Shorter deadline: the local leader's instruction (who, when, what).
    pub instruction: String,
    /// Extension of a unit's handling period: how and when the petitioner was told why (L5.2).
    pub petitioner_told: String,
}

async fn change_context(
    state: &AppState,
    user: &CurrentUser,
    deadline_id: &str,
    purpose: &str,
) -> AppResult<(DeadlineRow, PetitionRecord)> {
    let d = state.store.deadline(&state.bureau.id, deadline_id).await?;
    // A routine's deadline is changed by recording the routine, never here.
    let petition_id = d.petition_id.as_deref().ok_or_else(AppError::not_found)?;
    let (p, _) = open_record(state, user, petition_id, purpose).await?;
    Ok((d, p))
}

/// An extension approved by the unit's head (a unit's deadline) or a bureau leader (the
/// bureau's own); the bureau is informed by the event.
#[tracing::instrument(name = "deadlines::extend", skip_all)]
pub async fn extend(
    state: &AppState,
    user: &CurrentUser,
    deadline_id: &str,
    input: &DeadlineChangeInput,
) -> AppResult<DeadlineRow> {
    let (d, p) = change_context(state, user, deadline_id, "extend_deadline").await?;
    // A unit's handling period moves its record and drafts the 延期告知书: the handling
    // feature's `extend_deadline` does that and calls back here for every other deadline.
    if d.handling_record_id.is_some() && d.rule_code == "handle_and_close" {
        return Err(AppError::Conflict(
            "承办单位的办理期限须通过办理记录延期（handling::extend_deadline）".into(),
        ));
    }
    if !may_extend(user, &d) {
        return Err(AppError::Forbidden(
            "延期须由承办单位负责人（本局期限由局领导）批准".into(),
        ));
    }
    let days = input
        .days
        .ok_or_else(|| AppError::field("days", "required", "请填写延期天数（1 至 30 日）"))?;
    let now = state.clock.now();
    let mut w = Write::begin_at(state, user, now).await?;
    let d2 = extend_deadline_in(
        state,
        &mut w.tx,
        &d.id,
        days,
        &input.reason,
        local_date(now),
    )
    .await?;
    w.event(&p.id, p.event_seq, "deadline_extended", &serde_json::json!({"deadline_id": d.id, "rule": d.rule_code, "days": d2.extended_days, "reason": d2.extension_reason, "due_before": d.due_on.to_string(), "due_on": d2.due_on.to_string()}))
        .await?;
    w.commit().await?;
    Ok(d2)
}

/// Who decides an extension: the unit's head for a unit's deadline, a bureau leader for the
/// bureau's own.
pub fn may_extend(user: &CurrentUser, d: &DeadlineRow) -> bool {
    match &d.unit_id {
        Some(u) => {
            user.role() == Role::UnitHead && user.user.unit_id.as_deref() == Some(u.as_str())
        }
        None => user.role().is_leader(),
    }
}

/// A local leader's shorter deadline, entered by the office, a case officer or a leader.
#[tracing::instrument(name = "deadlines::shorten", skip_all)]
pub async fn shorten(
    state: &AppState,
    user: &CurrentUser,
    deadline_id: &str,
    input: &DeadlineChangeInput,
) -> AppResult<DeadlineRow> {
    user.require(&[
        Role::Office,
        Role::CaseOfficer,
        Role::LetterClerk,
        Role::DeputyDirector,
        Role::Director,
    ])?;
    let (d, p) = change_context(state, user, deadline_id, "shorten_deadline").await?;
    let days = input
        .days
        .ok_or_else(|| AppError::field("days", "required", "请填写批示要求的期限天数"))?;
    let now = state.clock.now();
    let mut w = Write::begin_at(state, user, now).await?;
    let d2 = shorten_deadline_in(state, &mut w.tx, &d.id, days, &input.instruction).await?;
    w.event(&p.id, p.event_seq, "deadline_shortened", &serde_json::json!({"deadline_id": d.id, "rule": d.rule_code, "days": d2.period_days, "instruction": d2.shortened_by, "due_before": d.due_on.to_string(), "due_on": d2.due_on.to_string()}))
        .await?;
    w.commit().await?;
    Ok(d2)
}

/// Pauses (`pause = true`) or resumes a 复核 deadline for hearing time.
#[tracing::instrument(name = "deadlines::pause_or_resume", skip_all)]
pub async fn pause_or_resume(
    state: &AppState,
    user: &CurrentUser,
    deadline_id: &str,
    input: &DeadlineChangeInput,
    pause: bool,
) -> AppResult<DeadlineRow> {
    user.require(&[Role::CaseOfficer, Role::DeputyDirector, Role::Director])?;
    let (d, p) = change_context(state, user, deadline_id, "pause_deadline").await?;
    let now = state.clock.now();
    let today = local_date(now);
    let mut w = Write::begin_at(state, user, now).await?;
    let d2 = if pause {
        pause_deadline_in(state, &mut w.tx, &d.id, today).await?
    } else {
        resume_deadline_in(state, &mut w.tx, &d.id, today).await?
    };
    w.event(&p.id, p.event_seq, if pause { "deadline_paused" } else { "deadline_resumed" }, &serde_json::json!({"deadline_id": d.id, "rule": d.rule_code, "note": input.reason.trim(), "paused_days": d2.paused_days, "due_on": d2.due_on.to_string()}))
        .await?;
    w.commit().await?;
    Ok(d2)
}

// ---------------------------------------------------------------------------------------------
// Rules and settings (administrators)

#[derive(Debug, Clone, Default, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(default)]
pub struct RuleInput {
    pub name: String,
    pub starts: String,
    pub days: Option<i64>,
    /// calendar | working
    pub mode: String,
    /// overdue | supervise | window_closes
    pub on_expiry: String,
    /// With `supervise`: overdue | not_told | report_missing | repeat_petition
    pub trigger: Option<String>,
    /// office | letter_clerk | unit | case_officer | petitioner
    pub responsible: String,
    pub pausable: Option<bool>,
    /// Whether a running deadline of this rule may be extended (once, at most 30 days).
    pub extendable: Option<bool>,
    pub basis: String,
}

/// Saves an edit of a rule as a new version; deadlines already running keep theirs.
#[tracing::instrument(name = "deadlines::save_rule", skip_all)]
pub async fn save_rule(
    state: &AppState,
    admin: &CurrentUser,
    code: &str,
    input: &RuleInput,
) -> AppResult<DeadlineRule> {
    admin.require(&[Role::Admin])?;
    let current = state
        .store
        .deadline_rule(&state.bureau.id, code, None)
        .await?;
    let mut errors = Vec::new();
    let days = match input.days {
        None => Some(current.days),
        Some(d) => match u32::try_from(d) {
            Ok(d) => Some(d),
            Err(_) => {
                errors.push(xinfang_domain::FieldError::new(
                    "days",
                    "days_out_of_range",
                    format!("期限天数 {d} 无效，应在 0 至 3650 之间"),
                ));
                None
            }
        },
    };
    let mode = match input.mode.trim() {
        "" => Some(current.mode),
        m => match xinfang_store::deadlines::parse_mode(m) {
            Some(m) => Some(m),
            None => {
                errors.push(xinfang_domain::FieldError::new(
                    "mode",
                    "unknown_mode",
                    format!("计算方式「{m}」无效，应为 calendar（自然日）或 working（工作日）"),
                ));
                None
            }
        },
    };
    let on_expiry = match input.on_expiry.trim() {
        "" => Some(current.on_expiry),
        e => match ExpiryAction::parse(e) {
            Some(e) => Some(e),
            None => {
                errors.push(xinfang_domain::FieldError::new(
                    "on_expiry",
                    "unknown_on_expiry",
                    format!("期满处理「{e}」无效，应为 overdue、supervise 或 window_closes"),
                ));
                None
            }
        },
    };
    let trigger = match input.trigger.as_deref().map(str::trim) {
        None => Some(current.trigger),
        Some("") => Some(None),
        Some(t) => match TriggerKind::parse(t) {
            Some(t) => Some(Some(t)),
            None => {
                errors.push(xinfang_domain::FieldError::new(
                    "trigger",
                    "unknown_trigger",
                    format!("未知的督办情形：{t}"),
                ));
                None
            }
        },
    };
    let (Some(days), Some(mode), Some(on_expiry), Some(trigger)) = (days, mode, on_expiry, trigger)
    else {
        return Err(AppError::Invalid(errors));
    };
    let text = |s: &str, cur: &str| {
        if s.trim().is_empty() {
            cur.to_string()
        } else {
            s.trim().to_string()
        }
    };
    let rule = DeadlineRule {
        code: current.code.clone(),
        version: current.version + 1,
        name: text(&input.name, &current.name),
        starts: text(&input.starts, &current.starts),
        days,
        mode,
        on_expiry,
        trigger: if on_expiry == ExpiryAction::Supervise {
            trigger
        } else {
            None
        },
        responsible: text(&input.responsible, &current.responsible),
        pausable: input.pausable.unwrap_or(current.pausable),
        basis: text(&input.basis, &current.basis),
        per_petition: current.per_petition,
        extendable: input.extendable.unwrap_or(current.extendable),
    };
    rules::validate_rule(&rule)?;
    if rule.starts.chars().count() > 200 || rule.basis.chars().count() > 200 {
        return Err(AppError::field(
            "starts",
            "too_long",
            "起算事件和依据不超过 200 字",
        ));
    }
    let now = state.clock.now();
    let mut tx = state.store.begin().await?;
    state
        .store
        .insert_deadline_rule(&mut tx, &state.bureau.id, &rule, Some(&admin.user.id), now)
        .await
        .map_err(|e| match e {
            xinfang_store::StoreError::Conflict => {
                AppError::Conflict("该期限规则刚被他人修改，请刷新后重试".into())
            }
            other => other.into(),
        })?;
    state
        .store
        .audit(
            &mut tx,
            &state.bureau.id,
            Some(&admin.user.id),
            "deadline_rule_saved",
            &serde_json::json!({"rule": rule, "previous": current}),
            now,
        )
        .await?;
    tx.commit().await?;
    Ok(rule)
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(default)]
pub struct SettingsInput {
    /// Percent of the period used at which the badge turns to 预警 (default 50).
    pub warning_pct: Option<i64>,
    /// 警示 (default 75).
    pub alert_pct: Option<i64>,
    /// 严重 (default 85).
    pub severe_pct: Option<i64>,
    /// Supervisions without result after which the item goes to the bureau leaders (default 3).
    pub escalate_after: Option<i64>,
    /// "Due soon" means due within this many days (default 5).
    pub due_soon_days: Option<i64>,
}

#[tracing::instrument(name = "deadlines::save_settings", skip_all)]
pub async fn save_settings(
    state: &AppState,
    admin: &CurrentUser,
    input: &SettingsInput,
) -> AppResult<DeadlineSettings> {
    admin.require(&[Role::Admin])?;
    let cur = state.store.deadline_settings(&state.bureau.id).await?;
    let pct = |v: Option<i64>, cur: u8| -> u8 {
        v.map(|x| u8::try_from(x.clamp(0, 255)).unwrap_or(255))
            .unwrap_or(cur)
    };
    let t = WarningThresholds::new(
        pct(input.warning_pct, cur.warning_pct),
        pct(input.alert_pct, cur.alert_pct),
        pct(input.severe_pct, cur.severe_pct),
    )?;
    let escalate_after = match input.escalate_after {
        None => cur.escalate_after,
        Some(n @ 1..=20) => n as u32,
        Some(n) => {
            return Err(AppError::field(
                "escalate_after",
                "out_of_range",
                format!("报局领导前的督办次数应为 1 至 20，收到 {n}"),
            ));
        }
    };
    let due_soon_days = match input.due_soon_days {
        None => cur.due_soon_days,
        Some(n @ 1..=60) => n as u32,
        Some(n) => {
            return Err(AppError::field(
                "due_soon_days",
                "out_of_range",
                format!("“即将到期”的天数应为 1 至 60，收到 {n}"),
            ));
        }
    };
    let s = DeadlineSettings {
        warning_pct: t.warning,
        alert_pct: t.alert,
        severe_pct: t.severe,
        escalate_after,
        due_soon_days,
    };
    let now = state.clock.now();
    let mut tx = state.store.begin().await?;
    state
        .store
        .save_deadline_settings(&mut tx, &state.bureau.id, &s, &admin.user.id, now)
        .await?;
    state
        .store
        .audit(
            &mut tx,
            &state.bureau.id,
            Some(&admin.user.id),
            "deadline_settings_saved",
            &serde_json::json!({"settings": s, "previous": cur}),
            now,
        )
        .await?;
    tx.commit().await?;
    Ok(s)
}

// ---------------------------------------------------------------------------------------------
// Warning badges and queues

/// What a badge shows: the level (colour) and the days left.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Badge {
    /// normal | warning | alert | severe | overdue
    #[schema(value_type = String)]
    pub level: WarningLevel,
    pub label: String,
    pub css: String,
    /// Calendar days to the due date: negative once overdue.
    pub days_left: i64,
    pub due_on: String,
    /// Counted through a year whose holiday notice is not entered yet: the date may move.
    pub provisional: bool,
}

impl Badge {
    /// What the badge says: "逾期 2 天", "严重 · 今日到期", "预警 · 剩 3 天（暂定）".
    pub fn text(&self) -> String {
        let text = match self.days_left {
            n if n < 0 => format!("逾期 {} 天", -n),
            0 => format!("{} · 今日到期", self.label),
            n => format!("{} · 剩 {n} 天", self.label),
        };
        if self.provisional {
            format!("{text}（暂定）")
        } else {
            text
        }
    }
}

/// What every badge of one page or list is computed with: the warning thresholds, the
/// calendar (to tell provisional dates) and today.
pub struct BadgeContext {
    pub thresholds: WarningThresholds,
    pub calendar: xinfang_domain::calendar::OfficialCalendar,
    pub today: NaiveDate,
}

impl BadgeContext {
    pub fn badge(&self, d: &DeadlineRow) -> Badge {
        badge(
            d,
            self.today,
            &self.thresholds,
            is_provisional(&self.calendar, d),
        )
    }
}

/// The badge context now, from the bureau's settings and calendar.
pub async fn badge_context(state: &AppState) -> AppResult<BadgeContext> {
    let settings = state.store.deadline_settings(&state.bureau.id).await?;
    Ok(BadgeContext {
        thresholds: thresholds(&settings),
        calendar: calendar(state).await?,
        today: local_date(state.clock.now()),
    })
}

pub fn thresholds(s: &DeadlineSettings) -> WarningThresholds {
    WarningThresholds {
        warning: s.warning_pct,
        alert: s.alert_pct,
        severe: s.severe_pct,
    }
}

pub fn badge(d: &DeadlineRow, today: NaiveDate, t: &WarningThresholds, provisional: bool) -> Badge {
    // While paused the clock stands still at the pause day.
    let at = d.paused_since.map(|p| p.min(today)).unwrap_or(today);
    let level = deadline::warning_level(d.started_on, d.due_on, at, t);
    Badge {
        level,
        label: level.label_zh().into(),
        css: level.css_class().into(),
        days_left: deadline::days_left(d.due_on, at),
        due_on: d.due_on.to_string(),
        provisional,
    }
}

/// The badge of the earliest running deadline of each petition.
pub async fn badges_for(
    state: &AppState,
    petition_ids: &[String],
) -> AppResult<HashMap<String, Badge>> {
    if petition_ids.is_empty() {
        return Ok(HashMap::new());
    }
    let b = badge_context(state).await?;
    Ok(state
        .store
        .earliest_running(petition_ids)
        .await?
        .into_iter()
        .filter_map(|d| Some((d.petition_id.clone()?, b.badge(&d))))
        .collect())
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QueueKind {
    DueSoon,
    Overdue,
}

impl QueueKind {
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "" | "due_soon" => Some(QueueKind::DueSoon),
            "overdue" => Some(QueueKind::Overdue),
            _ => None,
        }
    }
}

/// One line of a queue, ready to show.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct QueueItem {
    pub deadline_id: String,
    pub petition_id: String,
    pub petition_no: String,
    pub channel: String,
    pub stage: String,
    pub rule_code: String,
    pub rule_name: String,
    pub rule_version: i64,
    /// The queue: a role, or `unit`.
    pub role: String,
    pub unit_id: Option<String>,
    pub unit_name: Option<String>,
    pub handling_record_id: Option<String>,
    pub started_on: String,
    pub due_on: String,
    pub extended_days: u32,
    pub badge: Badge,
}

fn queue_item(r: QueueRow, b: &BadgeContext) -> QueueItem {
    let badge = b.badge(&r.deadline);
    let d = r.deadline;
    QueueItem {
        deadline_id: d.id,
        // The queue joins petitions: every row has one.
        petition_id: d.petition_id.unwrap_or_default(),
        petition_no: r.petition_no,
        channel: r.channel,
        stage: r.stage,
        rule_code: d.rule_code,
        rule_name: r.rule_name,
        rule_version: d.rule_version,
        role: d.role,
        unit_id: d.unit_id,
        unit_name: r.unit_name,
        handling_record_id: d.handling_record_id,
        started_on: d.started_on.to_string(),
        due_on: d.due_on.to_string(),
        extended_days: d.extended_days,
        badge,
    }
}

/// A queue for the signed-in user: unit staff see only their unit; bureau staff everything,
/// or one role's or one unit's queue.
#[tracing::instrument(name = "deadlines::queue", skip_all)]
pub async fn queue(
    state: &AppState,
    user: &CurrentUser,
    kind: QueueKind,
    role: Option<&str>,
    unit_id: Option<&str>,
    limit: i64,
) -> AppResult<Vec<QueueItem>> {
    let unit_id = if user.role().is_unit_staff() {
        Some(user.user.unit_id.clone().ok_or_else(AppError::forbidden)?)
    } else if user.role().is_bureau_staff() {
        unit_id.map(str::to_string)
    } else {
        return Err(AppError::forbidden());
    };
    if let Some(r) = role
        && !rules::RESPONSIBLE.iter().any(|(k, _)| *k == r)
    {
        return Err(AppError::field(
            "role",
            "unknown_role",
            format!("未知的队列：{r}"),
        ));
    }
    let settings = state.store.deadline_settings(&state.bureau.id).await?;
    let today = local_date(state.clock.now());
    let yesterday = today.pred_opt().unwrap_or(today);
    let filter = match kind {
        QueueKind::Overdue => QueueFilter {
            due_by: Some(yesterday),
            due_from: None,
            role: role.map(str::to_string),
            unit_id,
            limit,
        },
        QueueKind::DueSoon => QueueFilter {
            due_from: Some(today),
            due_by: today.checked_add_days(chrono::Days::new(u64::from(settings.due_soon_days))),
            role: role.map(str::to_string),
            unit_id,
            limit,
        },
    };
    let b = badge_context(state).await?;
    Ok(state
        .store
        .deadline_queue(&state.bureau.id, &filter)
        .await?
        .into_iter()
        .map(|r| queue_item(r, &b))
        .collect())
}

// ---------------------------------------------------------------------------------------------
// Reads

pub async fn settings(state: &AppState) -> AppResult<DeadlineSettings> {
    Ok(state.store.deadline_settings(&state.bureau.id).await?)
}

/// The current version of every rule.
pub async fn rules(state: &AppState) -> AppResult<Vec<DeadlineRule>> {
    Ok(state.store.deadline_rules(&state.bureau.id).await?)
}

/// Every version of one rule, newest first; an unknown rule is not found.
pub async fn rule_versions(state: &AppState, code: &str) -> AppResult<Vec<DeadlineRule>> {
    let v = state
        .store
        .deadline_rule_versions(&state.bureau.id, code)
        .await?;
    if v.is_empty() {
        return Err(AppError::not_found());
    }
    Ok(v)
}

/// An opened petition's deadlines; unit staff see only their own unit's.
#[tracing::instrument(name = "deadlines::of_petition", skip_all)]
pub async fn of_petition(
    state: &AppState,
    user: &CurrentUser,
    p: &PetitionRecord,
) -> AppResult<Vec<DeadlineRow>> {
    let mut rows = state.store.deadlines_of(&p.id).await?;
    if user.role().is_unit_staff() {
        rows.retain(|d| d.unit_id.is_some() && d.unit_id == user.user.unit_id);
    }
    Ok(rows)
}
