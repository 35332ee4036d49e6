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

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use xinfang_domain::deadline::{self, WarningLevel, WarningThresholds};
use xinfang_domain::deadline_rules::{
    self as rules, DeadlineRule, EXTENSION_RULE, ExpiryAction, MAX_EXTENSION_DAYS,
};
use xinfang_domain::document::DocumentKind;
use xinfang_domain::lifecycle::{Channel, Stage};
use xinfang_domain::role::Role;
use xinfang_domain::supervision::{self as sup, ItemState, Method, TriggerKind};
use xinfang_domain::visibility::Access;
use xinfang_store::WriteTx;
use xinfang_store::deadlines::{
    DeadlineRow, DeadlineSettings, NewDeadline, QueueFilter, QueueRow, UnitCounts,
};
use xinfang_store::petitions::{Actor, PetitionRecord};
use xinfang_store::supervision::{NewAction, NewItem, SupervisionAction, SupervisionItem};

use crate::app::AppState;
use crate::auth::CurrentUser;
use crate::clock::local_date;
use crate::error::{AppError, AppResult};
use crate::services::{calendar, open_petition};

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
    let due_on = deadline::due_date(&cal, s.started_on, rule.days, rule.mode);
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
                petition_id: s.petition_id,
                handling_record_id: s.handling_record_id,
                unit_id: s.unit_id,
                role: &role,
                rule_code: &rule.code,
                rule_version: rule.version,
                started_on: s.started_on,
                period_days: rule.days,
                mode: rule.mode,
                due_on,
            },
            now,
        )
        .await?;
    Ok(DeadlineRow {
        id,
        bureau_id: state.bureau.id.clone(),
        petition_id: s.petition_id.into(),
        handling_record_id: s.handling_record_id.map(Into::into),
        unit_id: s.unit_id.map(Into::into),
        role,
        rule_code: rule.code,
        rule_version: rule.version,
        started_on: s.started_on,
        period_days: rule.days,
        mode: rule.mode,
        due_on,
        shortened_by: None,
        extended_days: 0,
        extension_reason: None,
        paused_days: 0,
        paused_since: None,
        state: "running".into(),
        met_at: None,
    })
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

/// Extends a running deadline: at most 30 days (or the configured extension rule), once,
/// before it expires.
pub async fn extend_deadline_in(
    state: &AppState,
    tx: &mut WriteTx,
    deadline_id: &str,
    days: i64,
    reason: &str,
    today: NaiveDate,
) -> AppResult<DeadlineRow> {
    let mut d = state
        .store
        .deadline_in(tx, &state.bureau.id, deadline_id)
        .await?;
    let max = state
        .store
        .deadline_rule(&state.bureau.id, EXTENSION_RULE, None)
        .await
        .map(|r| r.days)
        .unwrap_or(MAX_EXTENSION_DAYS);
    let days = rules::check_extension(&d.facts(), days, max, reason, today)?;
    let (old_due, old_ext, old_paused) = (d.due_on, d.extended_days, d.paused_since);
    let cal = calendar(state).await?;
    d.extended_days = days;
    d.extension_reason = Some(reason.trim().to_string());
    d.due_on = rules::recompute_due(
        &cal,
        d.started_on,
        d.period_days,
        d.mode,
        d.extended_days,
        d.paused_days,
    );
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
    d.due_on = rules::recompute_due(
        &cal,
        d.started_on,
        d.period_days,
        d.mode,
        d.extended_days,
        d.paused_days,
    );
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
    d.due_on = rules::recompute_due(
        &cal,
        d.started_on,
        d.period_days,
        d.mode,
        d.extended_days,
        d.paused_days,
    );
    state
        .store
        .update_deadline_counting(tx, &d, old_due, old_ext, old_paused, state.clock.now())
        .await?;
    Ok(d)
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
}

async fn change_context(
    state: &AppState,
    user: &CurrentUser,
    deadline_id: &str,
    purpose: &str,
) -> AppResult<(DeadlineRow, PetitionRecord)> {
    let d = state.store.deadline(&state.bureau.id, deadline_id).await?;
    let (p, _) = open_petition(state, user, &d.petition_id, purpose).await?;
    Ok((d, p))
}

fn actor(u: &CurrentUser) -> Actor<'_> {
    Actor {
        id: &u.user.id,
        role: u.role(),
    }
}

/// An extension approved by the unit's head (a unit's deadline) or a bureau leader (the
/// bureau's own); the bureau is informed by the event.
pub async fn extend(
    state: &AppState,
    user: &CurrentUser,
    deadline_id: &str,
    input: &DeadlineChangeInput,
) -> AppResult<DeadlineRow> {
    let (d, p) = change_context(state, user, deadline_id, "extend_deadline").await?;
    let allowed = match &d.unit_id {
        Some(u) => {
            user.role() == Role::UnitHead && user.user.unit_id.as_deref() == Some(u.as_str())
        }
        None => user.role().is_leader(),
    };
    if !allowed {
        return Err(AppError::Forbidden(
            "延期须由承办单位负责人（本局期限由局领导）批准".into(),
        ));
    }
    let days = input
        .days
        .ok_or_else(|| AppError::field("days", "required", "请填写延期天数（1 至 30 日）"))?;
    let now = state.clock.now();
    let mut tx = state.store.begin().await?;
    let d2 =
        extend_deadline_in(state, &mut tx, &d.id, days, &input.reason, local_date(now)).await?;
    if let Some(record) = d.handling_record_id.as_deref()
        && d.rule_code == "handle_and_close"
    {
        crate::handling::follow_deadline_extension(
            state,
            &mut tx,
            record,
            d2.extended_days,
            &input.reason,
            d2.due_on,
            local_date(now),
        )
        .await?;
    }
    state
        .store
        .append_event(
            &mut tx,
            &state.bureau.id,
            &p.id,
            p.event_seq,
            "deadline_extended",
            &serde_json::json!({"deadline_id": d.id, "rule": d.rule_code, "days": d2.extended_days, "reason": d2.extension_reason, "due_before": d.due_on.to_string(), "due_on": d2.due_on.to_string()}),
            &actor(user),
            now,
        )
        .await?;
    tx.commit().await?;
    Ok(d2)
}

/// A local leader's shorter deadline, entered by the office, a case officer or a leader.
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
    let mut tx = state.store.begin().await?;
    let d2 = shorten_deadline_in(state, &mut tx, &d.id, days, &input.instruction).await?;
    state
        .store
        .append_event(
            &mut tx,
            &state.bureau.id,
            &p.id,
            p.event_seq,
            "deadline_shortened",
            &serde_json::json!({"deadline_id": d.id, "rule": d.rule_code, "days": d2.period_days, "instruction": d2.shortened_by, "due_before": d.due_on.to_string(), "due_on": d2.due_on.to_string()}),
            &actor(user),
            now,
        )
        .await?;
    tx.commit().await?;
    Ok(d2)
}

/// Pauses (`pause = true`) or resumes a 复核 deadline for hearing time.
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
    let mut tx = state.store.begin().await?;
    let d2 = if pause {
        pause_deadline_in(state, &mut tx, &d.id, today).await?
    } else {
        resume_deadline_in(state, &mut tx, &d.id, today).await?
    };
    state
        .store
        .append_event(
            &mut tx,
            &state.bureau.id,
            &p.id,
            p.event_seq,
            if pause { "deadline_paused" } else { "deadline_resumed" },
            &serde_json::json!({"deadline_id": d.id, "rule": d.rule_code, "note": input.reason.trim(), "paused_days": d2.paused_days, "due_on": d2.due_on.to_string()}),
            &actor(user),
            now,
        )
        .await?;
    tx.commit().await?;
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
    pub basis: String,
}

/// Saves an edit of a rule as a new version; deadlines already running keep theirs.
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
}

impl Badge {
    /// What the badge says: "逾期 2 天", "严重 · 今日到期", "预警 · 剩 3 天".
    pub fn text(&self) -> String {
        match self.days_left {
            n if n < 0 => format!("逾期 {} 天", -n),
            0 => format!("{} · 今日到期", self.label),
            n => format!("{} · 剩 {n} 天", self.label),
        }
    }
}

pub fn thresholds(s: &DeadlineSettings) -> WarningThresholds {
    WarningThresholds {
        warning: s.warning_pct,
        alert: s.alert_pct,
        severe: s.severe_pct,
    }
}

pub fn badge(d: &DeadlineRow, today: NaiveDate, t: &WarningThresholds) -> Badge {
    // While paused the clock stands still at the pause day.
    let at = d.paused_since.map(|p| p.min(today)).unwrap_or(today);
    let level = deadline::warning_level(d.started_on, d.due_on, at, t);
    Badge {
        level,
        label: level.label_zh().into(),
        css: level.css_class().into(),
        days_left: deadline::days_left(d.due_on, at),
        due_on: d.due_on.to_string(),
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
    let settings = state.store.deadline_settings(&state.bureau.id).await?;
    let t = thresholds(&settings);
    let today = local_date(state.clock.now());
    Ok(state
        .store
        .earliest_running(petition_ids)
        .await?
        .into_iter()
        .map(|d| (d.petition_id.clone(), badge(&d, today, &t)))
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

fn queue_item(r: QueueRow, today: NaiveDate, t: &WarningThresholds) -> QueueItem {
    let badge = badge(&r.deadline, today, t);
    let d = r.deadline;
    QueueItem {
        deadline_id: d.id,
        petition_id: d.petition_id,
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
    let t = thresholds(&settings);
    Ok(state
        .store
        .deadline_queue(&state.bureau.id, &filter)
        .await?
        .into_iter()
        .map(|r| queue_item(r, today, &t))
        .collect())
}

// ---------------------------------------------------------------------------------------------
// Supervision items

#[derive(Debug, Clone, Default, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(default)]
pub struct OpenItemInput {
    /// A trigger opened by hand: wrong_procedure | perfunctory | opinion_not_carried_out |
    /// unlawful_opinion | no_feedback
    pub trigger: String,
    pub note: String,
    /// The handling record supervised; default the petition's lead unit's.
    pub handling_record_id: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(default)]
pub struct ActionInput {
    /// phone | letter | summon | on_site
    pub method: String,
    /// What was said or done.
    pub note: String,
    /// Issue the 督办函 with this action (always with method `letter`).
    pub issue_letter: bool,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(default)]
pub struct NoteInput {
    pub note: String,
}

fn parse_state(s: &str) -> AppResult<ItemState> {
    ItemState::parse(s).ok_or_else(|| AppError::Internal(format!("stored item state {s}")))
}

/// An item for someone who may see it: bureau staff, or staff of the unit supervised (who
/// must also be able to open the petition).
pub async fn item_for(
    state: &AppState,
    user: &CurrentUser,
    id: &str,
) -> AppResult<(SupervisionItem, PetitionRecord, Vec<SupervisionAction>)> {
    let item = state.store.supervision_item(&state.bureau.id, id).await?;
    if user.role().is_unit_staff() && item.unit_id != user.user.unit_id {
        return Err(AppError::not_found());
    }
    if user.role() == Role::Admin {
        return Err(AppError::forbidden());
    }
    let (p, _) = open_petition(state, user, &item.petition_id, "view_supervision").await?;
    let actions = state.store.supervision_actions(&item.id).await?;
    Ok((item, p, actions))
}

/// The items a user's inbox shows: a unit's own items; the leaders' escalated ones; the
/// inspector's projects; the office's and letter clerk's open ones (by channel).
pub async fn inbox(state: &AppState, user: &CurrentUser) -> AppResult<Vec<SupervisionItem>> {
    let role = user.role();
    if role.is_unit_staff() {
        let unit = user.user.unit_id.clone().ok_or_else(AppError::forbidden)?;
        return Ok(state
            .store
            .supervision_items(
                &state.bureau.id,
                &["open", "escalated", "project"],
                Some(&unit),
                200,
            )
            .await?);
    }
    let states: &[&str] = match role {
        Role::DeputyDirector | Role::Director => &["escalated", "project", "open"],
        Role::Inspector => &["project"],
        Role::Office | Role::LetterClerk | Role::CaseOfficer => &["open", "escalated", "project"],
        _ => return Ok(Vec::new()),
    };
    let mut items = state
        .store
        .supervision_items(&state.bureau.id, states, None, 200)
        .await?;
    match role {
        Role::Office => items.retain(|i| i.channel != "letter"),
        Role::LetterClerk => items.retain(|i| i.channel == "letter"),
        _ => {}
    }
    Ok(items)
}

/// Raises an automatic item inside the caller's transaction and appends the petition's event.
/// Returns the new item's id, or `None` when this trigger was already raised.
#[allow(clippy::too_many_arguments)]
async fn raise(
    state: &AppState,
    tx: &mut WriteTx,
    p: &PetitionRecord,
    handling_record_id: Option<&str>,
    unit_id: Option<&str>,
    deadline_id: Option<&str>,
    trigger: TriggerKind,
    key: &str,
    note: &str,
    actor: &Actor<'_>,
    now: DateTime<Utc>,
) -> AppResult<Option<String>> {
    let id = state
        .store
        .insert_supervision_item(
            tx,
            &NewItem {
                bureau_id: &state.bureau.id,
                petition_id: &p.id,
                handling_record_id,
                unit_id,
                deadline_id,
                trigger_kind: trigger.as_str(),
                automatic: true,
                trigger_key: Some(key),
                note,
                opened_by: None,
            },
            now,
        )
        .await?;
    if let Some(item) = &id {
        state
            .store
            .append_event(
                tx,
                &state.bureau.id,
                &p.id,
                p.event_seq,
                "supervision_raised",
                &serde_json::json!({"item_id": item, "trigger": trigger.as_str(), "trigger_label": trigger.label_zh(), "unit_id": unit_id, "deadline_id": deadline_id, "note": note}),
                actor,
                now,
            )
            .await?;
    }
    Ok(id)
}

/// The registration hook (rules §5): a new visit or letter on a matter already transferred or
/// assigned raises a supervision item on the earlier petition's unit, in the registration's
/// transaction.
pub async fn on_repeat_registered(
    state: &AppState,
    tx: &mut WriteTx,
    earlier_id: &str,
    new_id: &str,
    new_no: &str,
    actor: &Actor<'_>,
) -> AppResult<()> {
    let earlier = state.store.petition(&state.bureau.id, earlier_id).await?;
    if !matches!(earlier.stage, Stage::Transferred | Stage::Assigned) {
        return Ok(());
    }
    let hr = state.store.lead_handling_record(tx, &earlier.id).await?;
    let now = state.clock.now();
    raise(
        state,
        tx,
        &earlier,
        hr.as_ref().map(|h| h.0.as_str()),
        hr.as_ref().map(|h| h.1.as_str()),
        None,
        TriggerKind::RepeatPetition,
        &format!("repeat:{new_id}"),
        &format!("信访人就已转送、交办的事项再次信访（{new_no}）"),
        actor,
        now,
    )
    .await?;
    Ok(())
}

/// The office (the letter clerk for letters) opens an item by hand for the triggers that are
/// not automatic.
pub async fn open_item(
    state: &AppState,
    user: &CurrentUser,
    petition_id: &str,
    input: &OpenItemInput,
) -> AppResult<SupervisionItem> {
    let (p, _) = open_petition(state, user, petition_id, "open_supervision").await?;
    if !sup::may_supervise(user.role(), p.channel, ItemState::Open) {
        return Err(AppError::Forbidden(format!(
            "{}由{}督办",
            if p.channel == Channel::Letter {
                "来信事项"
            } else {
                "来访事项"
            },
            if p.channel == Channel::Letter {
                "办信人员"
            } else {
                "办公室"
            }
        )));
    }
    let trigger = sup::check_manual_trigger(&input.trigger)?;
    let note = sup::check_note("note", "督办事由", &input.note)?;
    let now = state.clock.now();
    let mut tx = state.store.begin().await?;
    let hr = match input
        .handling_record_id
        .as_deref()
        .filter(|s| !s.is_empty())
    {
        Some(h) => {
            let row: Option<(String, String)> = xinfang_store::sqlx::query_as(
                "SELECT id, unit_id FROM handling_records WHERE id = $1 AND petition_id = $2",
            )
            .bind(h)
            .bind(&p.id)
            .fetch_optional(&mut *tx.tx)
            .await
            .map_err(xinfang_store::StoreError::from)?;
            Some(row.ok_or_else(|| {
                AppError::field(
                    "handling_record_id",
                    "unknown_handling_record",
                    "该信访件没有这个承办记录",
                )
            })?)
        }
        None => state.store.lead_handling_record(&mut tx, &p.id).await?,
    };
    if hr.is_none() {
        return Err(AppError::field(
            "handling_record_id",
            "no_unit",
            "该信访件尚未转送或交办承办单位，无从督办",
        ));
    }
    let id = state
        .store
        .insert_supervision_item(
            &mut tx,
            &NewItem {
                bureau_id: &state.bureau.id,
                petition_id: &p.id,
                handling_record_id: hr.as_ref().map(|h| h.0.as_str()),
                unit_id: hr.as_ref().map(|h| h.1.as_str()),
                deadline_id: None,
                trigger_kind: trigger.as_str(),
                automatic: false,
                trigger_key: None,
                note: &note,
                opened_by: Some(&user.user.id),
            },
            now,
        )
        .await?
        .ok_or_else(|| AppError::Internal("item without key not inserted".into()))?;
    state
        .store
        .append_event(
            &mut tx,
            &state.bureau.id,
            &p.id,
            p.event_seq,
            "supervision_opened",
            &serde_json::json!({"item_id": id, "trigger": trigger.as_str(), "trigger_label": trigger.label_zh(), "note": note, "unit_id": hr.as_ref().map(|h| h.1.clone())}),
            &actor(user),
            now,
        )
        .await?;
    tx.commit().await?;
    Ok(state.store.supervision_item(&state.bureau.id, &id).await?)
}

/// The result of a supervision action.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ActionOutcome {
    pub item_id: String,
    /// open | escalated | project | resolved
    pub state: String,
    pub action_count: i64,
    /// The unit's written answer is due by this date (30 days).
    pub answer_due: String,
    /// The 督办函 drafted by a supervision by letter (sent to the deputy director for sign-off).
    pub document_id: Option<String>,
    /// Always empty here: the 督办函 is numbered when it is signed off.
    pub doc_no: Option<String>,
}

/// Records one supervision (phone, letter, summon, on-site): logs it, starts the unit's 30-day
/// answer, drafts the 督办函 when asked (or by letter), and escalates to the leaders after the
/// configured number of supervisions without result.
pub async fn record_action(
    state: &AppState,
    user: &CurrentUser,
    item_id: &str,
    input: &ActionInput,
) -> AppResult<ActionOutcome> {
    let (item, p, _) = item_for(state, user, item_id).await?;
    let st = parse_state(&item.state)?;
    if !sup::may_supervise(user.role(), p.channel, st) {
        return Err(AppError::Forbidden(match st {
            ItemState::Resolved => "该督办事项已办结".to_string(),
            ItemState::Project => "立项督办事项由督查室督办".to_string(),
            _ => format!("{}无权督办该事项", user.role().label_zh()),
        }));
    }
    let method = sup::parse_method(&input.method)?;
    let note = sup::check_note("note", "督办情况（说了什么、对方答复）", &input.note)?;
    let settings = state.store.deadline_settings(&state.bureau.id).await?;
    let now = state.clock.now();
    let today = local_date(now);
    let mut tx = state.store.begin().await?;
    // The unit's written answer: a fresh 30-day deadline per supervision.
    meet_deadlines(
        state,
        &mut tx,
        &p.id,
        item.handling_record_id.as_deref(),
        Some("supervision_answer"),
        now,
    )
    .await?;
    let answer = start_deadline(
        state,
        &mut tx,
        &StartDeadline {
            petition_id: &p.id,
            handling_record_id: item.handling_record_id.as_deref(),
            unit_id: item.unit_id.as_deref(),
            rule_code: "supervision_answer",
            started_on: today,
            role: None,
        },
    )
    .await?;
    let answer_due = answer.due_on.to_string();
    let new_count = item.action_count + 1;
    let escalated = sup::escalates(
        st,
        u32::try_from(new_count).unwrap_or(u32::MAX),
        settings.escalate_after,
    );
    let new_state = if escalated { ItemState::Escalated } else { st };
    state
        .store
        .record_supervision(
            &mut tx,
            &item.id,
            st.as_str(),
            item.action_count,
            new_state.as_str(),
            &answer_due,
            escalated,
            now,
        )
        .await?;
    let mut seq = state
        .store
        .append_event(
            &mut tx,
            &state.bureau.id,
            &p.id,
            p.event_seq,
            "supervised",
            &serde_json::json!({"item_id": item.id, "method": method.as_str(), "method_label": method.label_zh(), "note": note, "answer_due": answer_due, "count": new_count, "unit_id": item.unit_id}),
            &actor(user),
            now,
        )
        .await?;
    // By letter: the 督办函 is drafted now, filled from the supervision, and goes to the deputy
    // director for sign-off like every 函 (rules §13); it is numbered when signed off.
    let mut document = None;
    if input.issue_letter || method == Method::Letter {
        let trigger = TriggerKind::parse(&item.trigger_kind).map(|t| t.label_zh().to_string());
        let doc_id = crate::drafting::draft_for_petition(
            state,
            &mut tx,
            &user.user,
            &p,
            DocumentKind::SupervisionLetter,
            item.unit_name.clone(),
            Some(answer.due_on),
            &Default::default(),
            crate::drafting::Grounds {
                reason: trigger,
                note: Some(note.clone()),
                count: u32::try_from(new_count).unwrap_or(1),
                ..Default::default()
            },
        )
        .await?;
        seq = state.store.event_seq_in(&mut tx, &p.id).await?;
        document = Some(doc_id);
    }
    state
        .store
        .insert_supervision_action(
            &mut tx,
            &NewAction {
                bureau_id: &state.bureau.id,
                item_id: &item.id,
                kind: "supervise",
                method: Some(method.as_str()),
                note: &note,
                actor_id: &user.user.id,
                actor_role: user.role().as_str(),
                answer_due: Some(&answer_due),
                document_id: document.as_deref(),
            },
            now,
        )
        .await?;
    if escalated {
        state
            .store
            .insert_supervision_action(
                &mut tx,
                &NewAction {
                    bureau_id: &state.bureau.id,
                    item_id: &item.id,
                    kind: "escalate",
                    method: None,
                    note: &format!("督办 {new_count} 次仍未办结，报局领导"),
                    actor_id: &user.user.id,
                    actor_role: user.role().as_str(),
                    answer_due: None,
                    document_id: None,
                },
                now,
            )
            .await?;
        state
            .store
            .append_event(
                &mut tx,
                &state.bureau.id,
                &p.id,
                seq,
                "supervision_escalated",
                &serde_json::json!({"item_id": item.id, "count": new_count}),
                &actor(user),
                now,
            )
            .await?;
        state
            .store
            .insert_task(
                &mut tx,
                &state.bureau.id,
                Some(&p.id),
                "supervision_escalated",
                Role::Director,
                &format!(
                    "{}：{}经 {new_count} 次督办仍未办结，请局领导决定是否立项督办",
                    p.petition_no,
                    item.unit_name.clone().unwrap_or_default()
                ),
                now,
            )
            .await?;
    }
    tx.commit().await?;
    Ok(ActionOutcome {
        item_id: item.id,
        state: new_state.as_str().into(),
        action_count: new_count,
        answer_due,
        document_id: document,
        doc_no: None,
    })
}

/// The unit's written answer to the supervision (its own unit's staff only).
pub async fn answer(
    state: &AppState,
    user: &CurrentUser,
    item_id: &str,
    input: &NoteInput,
) -> AppResult<SupervisionItem> {
    user.require(&[Role::UnitHandler, Role::UnitHead])?;
    let (item, p, _) = item_for(state, user, item_id).await?;
    if item.state == "resolved" {
        return Err(AppError::Conflict("该督办事项已办结".into()));
    }
    let note = sup::check_note("note", "书面答复", &input.note)?;
    let now = state.clock.now();
    let mut tx = state.store.begin().await?;
    state
        .store
        .answer_supervision(&mut tx, &item.id, &note, &user.user.id, now)
        .await?;
    meet_deadlines(
        state,
        &mut tx,
        &p.id,
        item.handling_record_id.as_deref(),
        Some("supervision_answer"),
        now,
    )
    .await?;
    state
        .store
        .insert_supervision_action(
            &mut tx,
            &NewAction {
                bureau_id: &state.bureau.id,
                item_id: &item.id,
                kind: "answer",
                method: None,
                note: &note,
                actor_id: &user.user.id,
                actor_role: user.role().as_str(),
                answer_due: None,
                document_id: None,
            },
            now,
        )
        .await?;
    state
        .store
        .append_event(
            &mut tx,
            &state.bureau.id,
            &p.id,
            p.event_seq,
            "supervision_answered",
            &serde_json::json!({"item_id": item.id, "answer": note}),
            &actor(user),
            now,
        )
        .await?;
    tx.commit().await?;
    Ok(state
        .store
        .supervision_item(&state.bureau.id, &item.id)
        .await?)
}

/// A bureau leader approves the formal supervision project (立项督办) of an escalated item:
/// it goes to the inspection office.
pub async fn approve_project(
    state: &AppState,
    user: &CurrentUser,
    item_id: &str,
    input: &NoteInput,
) -> AppResult<SupervisionItem> {
    if !user.role().is_leader() {
        return Err(AppError::Forbidden("立项督办须经局领导批准".into()));
    }
    let (item, p, _) = item_for(state, user, item_id).await?;
    if item.state != "escalated" {
        return Err(AppError::Conflict(format!(
            "只有已报局领导的督办事项才能立项督办（当前：{}）",
            parse_state(&item.state)?.label_zh()
        )));
    }
    let note = sup::check_note("note", "批准意见", &input.note)?;
    transition(
        state,
        user,
        &item,
        &p,
        "escalated",
        "project",
        "project",
        &note,
        "supervision_project_approved",
    )
    .await?;
    Ok(state
        .store
        .supervision_item(&state.bureau.id, &item.id)
        .await?)
}

/// Closes an item once the unit has done what was asked.
pub async fn resolve(
    state: &AppState,
    user: &CurrentUser,
    item_id: &str,
    input: &NoteInput,
) -> AppResult<SupervisionItem> {
    let (item, p, _) = item_for(state, user, item_id).await?;
    let st = parse_state(&item.state)?;
    if !sup::may_supervise(user.role(), p.channel, st) {
        return Err(AppError::forbidden());
    }
    let note = sup::check_note("note", "办结情况", &input.note)?;
    transition(
        state,
        user,
        &item,
        &p,
        st.as_str(),
        "resolved",
        "resolve",
        &note,
        "supervision_resolved",
    )
    .await?;
    Ok(state
        .store
        .supervision_item(&state.bureau.id, &item.id)
        .await?)
}

#[allow(clippy::too_many_arguments)]
async fn transition(
    state: &AppState,
    user: &CurrentUser,
    item: &SupervisionItem,
    p: &PetitionRecord,
    from: &str,
    to: &str,
    kind: &str,
    note: &str,
    event: &str,
) -> AppResult<()> {
    let now = state.clock.now();
    let mut tx = state.store.begin().await?;
    state
        .store
        .set_supervision_state(&mut tx, &item.id, from, to, &user.user.id, now)
        .await?;
    if to == "resolved" {
        meet_deadlines(
            state,
            &mut tx,
            &p.id,
            item.handling_record_id.as_deref(),
            Some("supervision_answer"),
            now,
        )
        .await?;
    }
    state
        .store
        .insert_supervision_action(
            &mut tx,
            &NewAction {
                bureau_id: &state.bureau.id,
                item_id: &item.id,
                kind,
                method: None,
                note,
                actor_id: &user.user.id,
                actor_role: user.role().as_str(),
                answer_due: None,
                document_id: None,
            },
            now,
        )
        .await?;
    state
        .store
        .append_event(
            &mut tx,
            &state.bureau.id,
            &p.id,
            p.event_seq,
            event,
            &serde_json::json!({"item_id": item.id, "note": note}),
            &actor(user),
            now,
        )
        .await?;
    if to == "project" {
        state
            .store
            .insert_task(
                &mut tx,
                &state.bureau.id,
                Some(&p.id),
                "supervision_project",
                Role::Inspector,
                &format!("{}：局领导批准立项督办，请督查室督办", p.petition_no),
                now,
            )
            .await?;
    }
    tx.commit().await?;
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// The daily scan, the digest and the counts per unit

/// What a scan did.
#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ScanResult {
    pub day: String,
    /// Expired deadlines examined.
    pub examined: u64,
    /// Supervision items raised now.
    pub raised: u64,
}

/// The system actor of automatic steps: the bureau's first administrator.
async fn system_actor(state: &AppState) -> AppResult<(String, Role)> {
    let users = state.store.users(&state.bureau.id).await?;
    users
        .iter()
        .find(|u| u.role == Role::Admin && u.active)
        .or_else(|| users.first())
        .map(|u| (u.id.clone(), u.role))
        .ok_or_else(|| AppError::Internal("no user to record automatic steps".into()))
}

/// Raises a supervision item for every running deadline whose rule supervises and whose due
/// date has passed (rules §5: handling deadline passed without approved extension; the unit has
/// not told the petitioner within 15 days; handling report not received). Idempotent: each
/// deadline's trigger is raised once (`trigger_key`), whichever instance or run gets there.
pub async fn scan(state: &AppState, today: NaiveDate) -> AppResult<ScanResult> {
    let (sys_id, sys_role) = system_actor(state).await?;
    let actor = Actor {
        id: &sys_id,
        role: sys_role,
    };
    let mut result = ScanResult {
        day: today.to_string(),
        ..Default::default()
    };
    loop {
        let batch = state
            .store
            .expired_unhandled_deadlines(&state.bureau.id, today, 500)
            .await?;
        if batch.is_empty() {
            break;
        }
        for (d, on_expiry, trigger) in &batch {
            result.examined += 1;
            if on_expiry != ExpiryAction::Supervise.as_str() {
                // Overdue only, or a petitioner's window closing: shown on the queues; the
                // scan has nothing to raise.
                let mut tx = state.store.begin().await?;
                state
                    .store
                    .mark_expiry_handled(&mut tx, &d.id, state.clock.now())
                    .await?;
                tx.commit().await?;
                continue;
            }
            let trigger = trigger
                .as_deref()
                .and_then(TriggerKind::parse)
                .unwrap_or(TriggerKind::Overdue);
            // A concurrent event on the petition makes the append fail: retry with fresh state.
            for attempt in 0..3 {
                let p = state
                    .store
                    .petition(&state.bureau.id, &d.petition_id)
                    .await?;
                let now = state.clock.now();
                let mut tx = state.store.begin().await?;
                let r = raise(
                    state,
                    &mut tx,
                    &p,
                    d.handling_record_id.as_deref(),
                    d.unit_id.as_deref(),
                    Some(&d.id),
                    trigger,
                    &format!("deadline:{}", d.id),
                    &format!("期限于 {} 届满（{}）", d.due_on, d.rule_code),
                    &actor,
                    now,
                )
                .await;
                match r {
                    Ok(raised) => {
                        state.store.mark_expiry_handled(&mut tx, &d.id, now).await?;
                        tx.commit().await?;
                        if raised.is_some() {
                            result.raised += 1;
                        }
                        break;
                    }
                    Err(AppError::Conflict(_)) if attempt < 2 => continue,
                    Err(e) => return Err(e),
                }
            }
        }
    }
    Ok(result)
}

/// The office's daily digest.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Digest {
    pub day: String,
    pub overdue: usize,
    pub due_today: usize,
    pub due_soon: usize,
    /// Open supervision items by state.
    pub supervision_open: usize,
    pub supervision_escalated: usize,
    pub supervision_project: usize,
    /// Items raised today.
    pub raised_today: usize,
    pub units: Vec<UnitCountsJson>,
    /// The stored result of today's scan, if it ran.
    pub scan: Option<ScanResult>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct UnitCountsJson {
    pub unit_id: String,
    pub unit_name: String,
    pub running: i64,
    pub overdue: i64,
    pub supervision_open: i64,
}

impl From<UnitCounts> for UnitCountsJson {
    fn from(u: UnitCounts) -> Self {
        Self {
            unit_id: u.unit_id,
            unit_name: u.unit_name,
            running: u.running,
            overdue: u.overdue,
            supervision_open: u.supervision_open,
        }
    }
}

/// Counts per unit for the periodic circulars (bureau staff).
pub async fn unit_counts(state: &AppState, user: &CurrentUser) -> AppResult<Vec<UnitCountsJson>> {
    if !user.role().is_bureau_staff() {
        return Err(AppError::forbidden());
    }
    let today = local_date(state.clock.now());
    Ok(state
        .store
        .unit_counts(&state.bureau.id, today)
        .await?
        .into_iter()
        .map(Into::into)
        .collect())
}

pub async fn digest(state: &AppState, user: &CurrentUser) -> AppResult<Digest> {
    if !user.role().is_bureau_staff() {
        return Err(AppError::forbidden());
    }
    let today = local_date(state.clock.now());
    let settings = state.store.deadline_settings(&state.bureau.id).await?;
    let b = &state.bureau.id;
    let store = &state.store;
    let soon_by = today.checked_add_days(chrono::Days::new(u64::from(settings.due_soon_days)));
    let today_s = today.to_string();
    let recent = store
        .supervision_items(b, &["open", "escalated", "project"], None, 500)
        .await?;
    let raised_today = recent
        .iter()
        .filter(|i| crate::clock::show(&i.opened_at).starts_with(&today_s))
        .count();
    let n = |v: i64| usize::try_from(v).unwrap_or(0);
    Ok(Digest {
        day: today_s,
        overdue: n(store.count_running(b, None, today.pred_opt()).await?),
        due_today: n(store.count_running(b, Some(today), Some(today)).await?),
        due_soon: n(store.count_running(b, Some(today), soon_by).await?),
        supervision_open: n(store.count_items(b, "open").await?),
        supervision_escalated: n(store.count_items(b, "escalated").await?),
        supervision_project: n(store.count_items(b, "project").await?),
        raised_today,
        units: unit_counts(state, user).await?,
        scan: state
            .store
            .job_result(
                crate::jobs::DEADLINE_SCAN,
                &state.bureau.id,
                &today.to_string(),
            )
            .await?
            .and_then(|v| serde_json::from_value(v).ok()),
    })
}

/// Whether the user sees the petition in full (used by the pages to decide what to show).
pub fn full(access: Access) -> bool {
    access == Access::Full
}
