//! Supervision (督办): items, the daily scan, the digest and the counts per unit (rules §5;
//! lifecycle §2).
//!
//! Items attach to a handling record and its unit. They are raised automatically by the daily
//! scan (a running deadline whose rule's `on_expiry` is `supervise` passed its due date) and at
//! registration (a `repeat_of` pointing to a petition in `transferred` or `assigned`);
//! `trigger_key` is unique per bureau, so each trigger is raised once whatever the number of
//! runs or instances. The office (the letter clerk for letters) opens the others by hand. Each
//! supervision (phone, letter, summons, on-site) is a `supervision_actions` row and a
//! `supervised` event, starts the unit's 30-day `supervision_answer` deadline and, by letter,
//! drafts the 督办函 (never naming the petitioner: the unit may be the accused) for the deputy
//! director's sign-off. After `escalate_after` supervisions (setting, default 3) the item goes to
//! the leaders; a leader's approval makes it a formal project for the inspector.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use xinfang_domain::deadline_rules::ExpiryAction;
use xinfang_domain::document::DocumentKind;
use xinfang_domain::lifecycle::{Channel, Stage};
use xinfang_domain::role::Role;
use xinfang_domain::supervision::{self as sup, ItemState, Method, TriggerKind};
use xinfang_domain::visibility::Access;
use xinfang_store::WriteTx;
use xinfang_store::deadlines::UnitCounts;
use xinfang_store::petitions::{Actor, PetitionRecord};
use xinfang_store::supervision::{NewAction, NewItem, SupervisionAction, SupervisionItem};

use crate::access::{PetitionView, open_petition, open_record};
use crate::auth::CurrentUser;
use crate::clock::local_date;
use crate::context::AppState;
use crate::deadlines::{StartDeadline, meet_deadlines, start_deadline};
use crate::error::{AppError, AppResult};
use crate::write::Write;

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
#[tracing::instrument(name = "supervision::item_for", skip_all)]
pub async fn item_for(
    state: &AppState,
    user: &CurrentUser,
    id: &str,
) -> AppResult<(SupervisionItem, PetitionView, Vec<SupervisionAction>)> {
    let item = state.store.supervision_item(&state.bureau.id, id).await?;
    // A proposed item is the bureau's until a leader approves it: the unit does not see it.
    if user.role().is_unit_staff()
        && (item.unit_id != user.user.unit_id || item.state == ItemState::Proposed.as_str())
    {
        return Err(AppError::not_found());
    }
    if user.role() == Role::Admin {
        return Err(AppError::forbidden());
    }
    // Items about a unit's work rather than one petition are read where that work is shown.
    let petition_id = item
        .petition_id
        .as_deref()
        .ok_or_else(AppError::not_found)?;
    let v = open_petition(state, user, petition_id, "view_supervision").await?;
    let actions = state.store.supervision_actions(&item.id).await?;
    Ok((item, v, actions))
}

/// The documents an item's page may link to: those of its petition the viewer may read.
#[tracing::instrument(name = "supervision::item_documents", skip_all)]
pub async fn item_documents(
    state: &AppState,
    user: &CurrentUser,
    v: &PetitionView,
) -> AppResult<Vec<xinfang_store::documents::DocumentRow>> {
    crate::drafting::documents::readable_documents(state, user, v).await
}

/// The items a user's inbox shows: a unit's own items; the leaders' escalated ones; the
/// inspector's projects; the office's and letter clerk's open ones (by channel).
#[tracing::instrument(name = "supervision::inbox", skip_all)]
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
        Role::DeputyDirector | Role::Director => &["proposed", "escalated", "project", "open"],
        Role::Inspector => &["project"],
        Role::Office | Role::LetterClerk | Role::CaseOfficer => {
            &["proposed", "open", "escalated", "project"]
        }
        _ => return Ok(Vec::new()),
    };
    let mut items = state
        .store
        .supervision_items(&state.bureau.id, states, None, 200)
        .await?;
    match role {
        Role::Office => items.retain(|i| i.channel.as_deref() != Some("letter")),
        Role::LetterClerk => items.retain(|i| i.channel.as_deref() == Some("letter")),
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
                petition_id: Some(&p.id),
                handling_record_id,
                unit_id,
                deadline_id,
                trigger_kind: trigger.as_str(),
                automatic: true,
                trigger_key: Some(key),
                note,
                opened_by: None,
                state: ItemState::Open.as_str(),
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
#[tracing::instrument(name = "supervision::open_item", skip_all)]
pub async fn open_item(
    state: &AppState,
    user: &CurrentUser,
    petition_id: &str,
    input: &OpenItemInput,
) -> AppResult<SupervisionItem> {
    let (p, _) = open_record(state, user, petition_id, "open_supervision").await?;
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
    let initial = sup::initial_state(trigger);
    let note = sup::check_note("note", "督办事由", &input.note)?;
    let now = state.clock.now();
    let mut w = Write::begin_at(state, user, now).await?;
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
            .fetch_optional(&mut **w.tx)
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
        None => state.store.lead_handling_record(&mut w.tx, &p.id).await?,
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
            &mut w.tx,
            &NewItem {
                bureau_id: &state.bureau.id,
                petition_id: Some(&p.id),
                handling_record_id: hr.as_ref().map(|h| h.0.as_str()),
                unit_id: hr.as_ref().map(|h| h.1.as_str()),
                deadline_id: None,
                trigger_kind: trigger.as_str(),
                automatic: false,
                trigger_key: None,
                note: &note,
                opened_by: Some(&user.user.id),
                state: initial.as_str(),
            },
            now,
        )
        .await?
        .ok_or_else(|| AppError::Internal("item without key not inserted".into()))?;
    w.event(&p.id, p.event_seq, "supervision_opened", &serde_json::json!({"item_id": id, "trigger": trigger.as_str(), "trigger_label": trigger.label_zh(), "note": note, "unit_id": hr.as_ref().map(|h| h.1.clone()), "state": initial.as_str()}))
        .await?;
    w.commit().await?;
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
#[tracing::instrument(name = "supervision::record_action", skip_all)]
pub async fn record_action(
    state: &AppState,
    user: &CurrentUser,
    item_id: &str,
    input: &ActionInput,
) -> AppResult<ActionOutcome> {
    let (item, p, _) = item_for(state, user, item_id).await?;
    let st = parse_state(&item.state)?;
    if st == ItemState::Proposed {
        return Err(AppError::Conflict(
            "该督办事项须经分管副局长批准后方可督办".into(),
        ));
    }
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
    let mut w = Write::begin_at(state, user, now).await?;
    // The unit's written answer: a fresh 30-day deadline per supervision.
    meet_deadlines(
        state,
        &mut w.tx,
        &p.id,
        item.handling_record_id.as_deref(),
        Some("supervision_answer"),
        now,
    )
    .await?;
    let answer = start_deadline(
        state,
        &mut w.tx,
        &StartDeadline {
            petition_id: &p.id,
            handling_record_id: item.handling_record_id.as_deref(),
            unit_id: item.unit_id.as_deref(),
            rule_code: "supervision_answer",
            started_on: today,
            role: None,
            cap: None,
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
            &mut w.tx,
            &item.id,
            st.as_str(),
            item.action_count,
            new_state.as_str(),
            &answer_due,
            escalated,
            now,
        )
        .await?;
    let mut seq = w.event(&p.id, p.event_seq, "supervised", &serde_json::json!({"item_id": item.id, "method": method.as_str(), "method_label": method.label_zh(), "note": note, "answer_due": answer_due, "count": new_count, "unit_id": item.unit_id}))
        .await?;
    // By letter: the 督办函 is drafted now, filled from the supervision, and goes to the deputy
    // director for sign-off like every 函 (rules §13); it is numbered when signed off.
    let mut document = None;
    if input.issue_letter || method == Method::Letter {
        let trigger = TriggerKind::parse(&item.trigger_kind).map(|t| t.label_zh().to_string());
        let doc_id = crate::drafting::draft_for_petition(
            state,
            &mut w.tx,
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
        seq = state.store.event_seq_in(&mut w.tx, &p.id).await?;
        document = Some(doc_id);
    }
    state
        .store
        .insert_supervision_action(
            &mut w.tx,
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
                &mut w.tx,
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
        w.event(
            &p.id,
            seq,
            "supervision_escalated",
            &serde_json::json!({"item_id": item.id, "count": new_count}),
        )
        .await?;
        state
            .store
            .insert_task(
                &mut w.tx,
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
    w.commit().await?;
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
#[tracing::instrument(name = "supervision::answer", skip_all)]
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
    let mut w = Write::begin_at(state, user, now).await?;
    state
        .store
        .answer_supervision(&mut w.tx, &item.id, &note, &user.user.id, now)
        .await?;
    meet_deadlines(
        state,
        &mut w.tx,
        &p.id,
        item.handling_record_id.as_deref(),
        Some("supervision_answer"),
        now,
    )
    .await?;
    state
        .store
        .insert_supervision_action(
            &mut w.tx,
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
    w.event(
        &p.id,
        p.event_seq,
        "supervision_answered",
        &serde_json::json!({"item_id": item.id, "answer": note}),
    )
    .await?;
    w.commit().await?;
    Ok(state
        .store
        .supervision_item(&state.bureau.id, &item.id)
        .await?)
}

/// A leader's approval moving an item on: from which state to which, as the action log and the
/// petition's history record it.
struct LeaderApproval {
    from: ItemState,
    to: ItemState,
    action: &'static str,
    event: &'static str,
    /// Why an item in another state cannot be approved this way.
    wrong_state: &'static str,
}

async fn approve(
    state: &AppState,
    user: &CurrentUser,
    item_id: &str,
    input: &NoteInput,
    a: LeaderApproval,
) -> AppResult<SupervisionItem> {
    let (item, p, _) = item_for(state, user, item_id).await?;
    if item.state != a.from.as_str() {
        return Err(AppError::Conflict(format!(
            "{}（当前：{}）",
            a.wrong_state,
            parse_state(&item.state)?.label_zh()
        )));
    }
    let note = sup::check_note("note", "批准意见", &input.note)?;
    transition(
        state,
        user,
        &item,
        &p,
        a.from.as_str(),
        a.to.as_str(),
        a.action,
        &note,
        a.event,
    )
    .await?;
    Ok(state
        .store
        .supervision_item(&state.bureau.id, &item.id)
        .await?)
}

/// The deputy director (or the director) approves supervising a proposed item: from now on it
/// is chased like any other (V4.2).
#[tracing::instrument(name = "supervision::approve_proposed", skip_all)]
pub async fn approve_proposed(
    state: &AppState,
    user: &CurrentUser,
    item_id: &str,
    input: &NoteInput,
) -> AppResult<SupervisionItem> {
    if !sup::may_approve_proposed(user.role()) {
        return Err(AppError::Forbidden(
            "对明显违法的处理意见督办须经分管副局长批准".into(),
        ));
    }
    approve(
        state,
        user,
        item_id,
        input,
        LeaderApproval {
            from: ItemState::Proposed,
            to: ItemState::Open,
            action: "approve",
            event: "supervision_approved",
            wrong_state: "该督办事项无须批准",
        },
    )
    .await
}

/// A bureau leader approves the formal supervision project (立项督办) of an escalated item:
/// it goes to the inspection office.
#[tracing::instrument(name = "supervision::approve_project", skip_all)]
pub async fn approve_project(
    state: &AppState,
    user: &CurrentUser,
    item_id: &str,
    input: &NoteInput,
) -> AppResult<SupervisionItem> {
    if !user.role().is_leader() {
        return Err(AppError::Forbidden("立项督办须经局领导批准".into()));
    }
    approve(
        state,
        user,
        item_id,
        input,
        LeaderApproval {
            from: ItemState::Escalated,
            to: ItemState::Project,
            action: "project",
            event: "supervision_project_approved",
            wrong_state: "只有已报局领导的督办事项才能立项督办",
        },
    )
    .await
}

/// Closes an item once the unit has done what was asked.
#[tracing::instrument(name = "supervision::resolve", skip_all)]
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
    let mut w = Write::begin_at(state, user, now).await?;
    state
        .store
        .set_supervision_state(&mut w.tx, &item.id, from, to, &user.user.id, now)
        .await?;
    if to == "resolved" {
        meet_deadlines(
            state,
            &mut w.tx,
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
            &mut w.tx,
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
    w.event(
        &p.id,
        p.event_seq,
        event,
        &serde_json::json!({"item_id": item.id, "note": note}),
    )
    .await?;
    if to == "project" {
        state
            .store
            .insert_task(
                &mut w.tx,
                &state.bureau.id,
                Some(&p.id),
                "supervision_project",
                Role::Inspector,
                &format!("{}：局领导批准立项督办，请督查室督办", p.petition_no),
                now,
            )
            .await?;
    }
    w.commit().await?;
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
    /// Routines' deadlines started for the period today falls in.
    #[serde(default)]
    pub routines_started: u64,
    /// Tasks made for routines left undone past their date.
    #[serde(default)]
    pub routine_tasks: u64,
}

/// The system actor of automatic steps: the bureau's first administrator.
/// Who automatic steps are recorded as: the bureau's administrator.
pub(crate) async fn system_actor(state: &AppState) -> AppResult<(String, Role)> {
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
pub const DEADLINE_SCAN: &str = "deadline_scan";

#[tracing::instrument(name = "supervision::scan", skip_all)]
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
    result.routines_started =
        crate::deadlines::routines::start_due(state, today, &sys_id).await? as u64;
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
            let Some(petition_id) = d.petition_id.as_deref() else {
                // A routine of the bureau's: a task for whoever should have done it.
                let now = state.clock.now();
                let mut tx = state.store.begin().await?;
                if crate::deadlines::routines::overdue_task(state, &mut tx, d, now).await? {
                    result.routine_tasks += 1;
                }
                state.store.mark_expiry_handled(&mut tx, &d.id, now).await?;
                tx.commit().await?;
                continue;
            };
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
                let p = state.store.petition(&state.bureau.id, petition_id).await?;
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
    /// Entries left incomplete at the end of their day, still to be completed (V1.3).
    pub incomplete_entries: usize,
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
#[tracing::instrument(name = "supervision::unit_counts", skip_all)]
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

#[tracing::instrument(name = "supervision::digest", skip_all)]
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
            .job_result(DEADLINE_SCAN, &state.bureau.id, &today.to_string())
            .await?
            .and_then(|v| serde_json::from_value(v).ok()),
        incomplete_entries: n(store
            .count_open_tasks(b, xinfang_domain::registration::COMPLETENESS_TASK)
            .await?),
    })
}

/// Whether the user sees the petition in full (used by the pages to decide what to show).
pub fn full(access: Access) -> bool {
    access == Access::Full
}

/// An opened petition's supervision items; unit staff see only their own unit's.
#[tracing::instrument(name = "supervision::items_of_petition", skip_all)]
pub async fn items_of_petition(
    state: &AppState,
    user: &CurrentUser,
    p: &PetitionRecord,
) -> AppResult<Vec<SupervisionItem>> {
    let mut items = state.store.supervision_items_of(&p.id).await?;
    if user.role().is_unit_staff() {
        items.retain(|i| i.unit_id.is_some() && i.unit_id == user.user.unit_id);
    }
    Ok(items)
}
