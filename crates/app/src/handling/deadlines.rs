//! The stored deadlines of the handling steps (rules §2, §5). Each step starts, meets or
//! cancels them inside its own transaction, so the queues, badges and the daily scan see every
//! running step of every petition.
//!
//! | step                         | deadlines                                                  |
//! |------------------------------|------------------------------------------------------------|
//! | 交办 / 转送 takes effect     | `dispose_visit` met; per unit `unit_notify_petitioner` and |
//! |                              | `unit_objection` start (handed over = received); 交办 also  |
//! |                              | `handling_report`, shortened to the period set             |
//! | the unit accepts (受理)      | `unit_notify_petitioner` met, `unit_objection` cancelled,  |
//! |                              | `handle_and_close` starts                                  |
//! | the unit objects (异议)      | `unit_objection` met                                        |
//! | objection upheld             | the record's deadlines cancelled                           |
//! | extension approved           | `handle_and_close` (and a running report deadline) extended|
//! | handling report submitted    | the record's deadlines met                                 |
//! | 重办 / 补报 approved          | a new `handling_report` with the period the review set     |
//! | registered from a higher     | `higher_organ_deadline` starts, due on the organ's date;   |
//! | organ with a deadline        | it caps `handle_and_close` and `handling_report`           |
//! | closing approved             | `higher_organ_deadline` met; whatever else runs cancelled  |
//! | 复查 / 复核 handled here       | `reexamination_decision` / `recheck_decision` start; met by |
//! |                              | the opinion                                                |

use chrono::{DateTime, NaiveDate, Utc};
use xinfang_domain::appeal::AppealLevel;
use xinfang_store::WriteTx as Tx;
use xinfang_store::deadlines::DeadlineRow;

use crate::context::AppState;
use crate::deadlines::{self as stored, StartDeadline};
use crate::error::AppResult;

pub const DISPOSE: &str = "dispose_visit";
pub const UNIT_NOTIFY: &str = "unit_notify_petitioner";
pub const UNIT_OBJECTION: &str = "unit_objection";
pub const HANDLE_AND_CLOSE: &str = "handle_and_close";
pub const HANDLING_REPORT: &str = "handling_report";
pub const HIGHER_ORGAN: &str = xinfang_domain::deadline_rules::HIGHER_ORGAN_RULE;

/// A record's deadline of `rule`, from `started_on`; shortened when the bureau set a shorter
/// period than the rule's (a 交办 with 30 days, a 重办 with 15).
#[allow(clippy::too_many_arguments)]
pub async fn start_for_record(
    state: &AppState,
    tx: &mut Tx,
    petition_id: &str,
    record_id: &str,
    unit_id: &str,
    rule: &str,
    started_on: NaiveDate,
    period_days: Option<u32>,
) -> AppResult<DeadlineRow> {
    // The higher organ's deadline caps what the unit owes it: the handling and its report.
    let cap = if matches!(rule, HANDLE_AND_CLOSE | HANDLING_REPORT) {
        state
            .store
            .petition(&state.bureau.id, petition_id)
            .await?
            .source
            .and_then(|s| s.higher_organ_deadline())
    } else {
        None
    };
    let d = stored::start_deadline(
        state,
        tx,
        &StartDeadline {
            petition_id,
            handling_record_id: Some(record_id),
            unit_id: Some(unit_id),
            rule_code: rule,
            started_on,
            role: None,
            cap,
        },
    )
    .await?;
    match period_days {
        Some(days) if days >= 1 && days < d.period_days => {
            stored::shorten_deadline_in(
                state,
                tx,
                &d.id,
                i64::from(days),
                &format!("本局确定的办理期限为 {days} 日"),
            )
            .await
        }
        _ => Ok(d),
    }
}

/// 交办 / 转送 took effect for one unit's record today.
#[allow(clippy::too_many_arguments)]
pub async fn on_sent_to_unit(
    state: &AppState,
    tx: &mut Tx,
    petition_id: &str,
    record_id: &str,
    unit_id: &str,
    assignment: bool,
    period_days: u32,
    today: NaiveDate,
) -> AppResult<Option<DeadlineRow>> {
    for rule in [UNIT_NOTIFY, UNIT_OBJECTION] {
        start_for_record(
            state,
            tx,
            petition_id,
            record_id,
            unit_id,
            rule,
            today,
            None,
        )
        .await?;
    }
    if !assignment {
        return Ok(None);
    }
    Ok(Some(
        start_for_record(
            state,
            tx,
            petition_id,
            record_id,
            unit_id,
            HANDLING_REPORT,
            today,
            Some(period_days),
        )
        .await?,
    ))
}

/// The unit accepted: it told the petitioner, may no longer object, and the handling period
/// runs from today.
#[allow(clippy::too_many_arguments)]
pub async fn on_unit_accepted(
    state: &AppState,
    tx: &mut Tx,
    petition_id: &str,
    record_id: &str,
    unit_id: &str,
    period_days: u32,
    today: NaiveDate,
    now: DateTime<Utc>,
) -> AppResult<DeadlineRow> {
    stored::meet_deadlines(
        state,
        tx,
        petition_id,
        Some(record_id),
        Some(UNIT_NOTIFY),
        now,
    )
    .await?;
    stored::cancel_deadlines(
        state,
        tx,
        petition_id,
        Some(record_id),
        Some(UNIT_OBJECTION),
        now,
    )
    .await?;
    start_for_record(
        state,
        tx,
        petition_id,
        record_id,
        unit_id,
        HANDLE_AND_CLOSE,
        today,
        Some(period_days),
    )
    .await
}

/// The approved extension moves the handling deadline and, when it is still running and not
/// yet past, the report deadline.
pub async fn on_extended(
    state: &AppState,
    tx: &mut Tx,
    petition_id: &str,
    record_id: &str,
    days: u32,
    reason: &str,
    today: NaiveDate,
) -> AppResult<Vec<DeadlineRow>> {
    let running = state
        .store
        .running_deadlines_in(tx, petition_id, Some(record_id), None)
        .await?;
    let mut out = Vec::new();
    for d in running {
        if d.rule_code == HANDLE_AND_CLOSE {
            out.push(
                stored::extend_deadline_in(state, tx, &d.id, i64::from(days), reason, today)
                    .await?,
            );
        } else if d.rule_code == HANDLING_REPORT
            && d.due_on >= today
            && d.extended_days == 0
            && d.fixed_due.is_none_or(|cap| d.due_on < cap)
        {
            // The report is due when the handling period ends: it moves with it.
            out.push(
                stored::follow_extension_in(
                    state,
                    tx,
                    &d.id,
                    i64::from(days),
                    reason,
                    today,
                    HANDLE_AND_CLOSE,
                )
                .await?,
            );
        }
    }
    Ok(out)
}

/// Everything still running on one record is met (`met = true`) or cancelled.
pub async fn stop_record(
    state: &AppState,
    tx: &mut Tx,
    petition_id: &str,
    record_id: &str,
    rule: Option<&str>,
    met: bool,
    now: DateTime<Utc>,
) -> AppResult<()> {
    if met {
        stored::meet_deadlines(state, tx, petition_id, Some(record_id), rule, now).await?;
    } else {
        stored::cancel_deadlines(state, tx, petition_id, Some(record_id), rule, now).await?;
    }
    Ok(())
}

/// The petition-level deadline of one step (the disposition, an appeal's decision) is met.
pub async fn meet_petition(
    state: &AppState,
    tx: &mut Tx,
    petition_id: &str,
    rule: &str,
    now: DateTime<Utc>,
) -> AppResult<()> {
    stored::meet_deadlines(state, tx, petition_id, None, Some(rule), now).await?;
    Ok(())
}

/// Closing approved: the higher organ's deadline is met (the closing report goes back up);
/// nothing else is owed any more.
pub async fn on_closed(
    state: &AppState,
    tx: &mut Tx,
    petition_id: &str,
    now: DateTime<Utc>,
) -> AppResult<()> {
    stored::meet_deadlines(state, tx, petition_id, None, Some(HIGHER_ORGAN), now).await?;
    stored::cancel_deadlines(state, tx, petition_id, None, None, now).await?;
    Ok(())
}

pub fn appeal_rule(level: AppealLevel) -> &'static str {
    match level {
        AppealLevel::Reexamination => "reexamination_decision",
        AppealLevel::Recheck => "recheck_decision",
    }
}

/// A 复查 / 复核 handled by this bureau: its 30 days run from the request (on the office's
/// queue, the letter clerk's for letters).
pub async fn on_appeal_here(
    state: &AppState,
    tx: &mut Tx,
    petition_id: &str,
    level: AppealLevel,
    requested_on: NaiveDate,
    letter: bool,
) -> AppResult<DeadlineRow> {
    stored::start_deadline(
        state,
        tx,
        &StartDeadline {
            petition_id,
            handling_record_id: None,
            unit_id: None,
            rule_code: appeal_rule(level),
            started_on: requested_on,
            role: Some(if letter { "letter_clerk" } else { "office" }),
            cap: None,
        },
    )
    .await
}
