//! Handover (工作交接): when a staff member leaves or changes post, a leader lists their open
//! items — the petitions they carry, their unfinished drafts, the approvals and tasks waiting for
//! them — and hands them to a successor in one step. Each petition moves with an event; the
//! acting-approver namings the leaver is part of end; the handover is in the audit trail.

use serde::{Deserialize, Serialize};
use xinfang_store::accounts::OpenDraft;
use xinfang_store::handling::ApprovalRow;
use xinfang_store::people::User;
use xinfang_store::petitions::TaskRow;

use crate::access::{Listing, PetitionView, listed};
use crate::auth::CurrentUser;
use crate::context::AppState;
use crate::error::{AppError, AppResult};
use crate::write::Write;

/// What a staff member has open, as the leader doing the handover may see it.
pub struct OpenItems {
    pub user: User,
    pub petitions: Vec<PetitionView>,
    pub drafts: Vec<OpenDraft>,
    pub approvals: Vec<ApprovalRow>,
    pub tasks: Vec<TaskRow>,
}

fn acting_as(user: User) -> CurrentUser {
    CurrentUser {
        user,
        csrf: String::new(),
        token_hash: String::new(),
        via_bearer: true,
    }
}

async fn staff_member(state: &AppState, leader: &CurrentUser, id: &str) -> AppResult<User> {
    if !leader.role().is_leader() {
        return Err(AppError::Forbidden("工作交接由局领导办理".into()));
    }
    let user = state.store.user(id).await?;
    if user.bureau_id != state.bureau.id || user.role.is_administrator() {
        return Err(AppError::not_found());
    }
    Ok(user)
}

#[tracing::instrument(name = "handover::open_items", skip_all)]
pub async fn open_items(
    state: &AppState,
    leader: &CurrentUser,
    user_id: &str,
) -> AppResult<OpenItems> {
    let user = staff_member(state, leader, user_id).await?;
    let carried = state
        .store
        .carried_petitions(&state.bureau.id, &user.id)
        .await?;
    // The leader sees each as it may: a confidential one it is recused from by number only.
    let mut petitions = Vec::with_capacity(carried.len());
    for p in &carried {
        let level =
            crate::access::listing(p, crate::access::access_of(state, &leader.user, p).await?)
                .unwrap_or(Listing::NumberOnly);
        petitions.push(listed(p, level));
    }
    let drafts = state
        .store
        .open_drafts_of(&state.bureau.id, &user.id)
        .await?;
    let as_user = acting_as(user.clone());
    let approvals = crate::handling::my_approvals(state, &as_user).await?;
    let tasks = crate::tasks::open_tasks(state, &as_user).await?;
    Ok(OpenItems {
        user,
        petitions,
        drafts,
        approvals,
        tasks,
    })
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(default)]
pub struct HandoverInput {
    /// The successor's username.
    pub successor: String,
    /// 调离、退休、轮岗 …
    pub note: String,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct HandoverOutcome {
    pub petitions: usize,
    pub drafts: usize,
    pub approvals: usize,
    pub tasks: usize,
    pub acting_namings_ended: u64,
}

#[tracing::instrument(name = "handover::hand_over", skip_all)]
pub async fn hand_over(
    state: &AppState,
    leader: &CurrentUser,
    user_id: &str,
    input: &HandoverInput,
) -> AppResult<HandoverOutcome> {
    let items = open_items(state, leader, user_id).await?;
    let from = &items.user;
    if input.note.trim().is_empty() {
        return Err(AppError::field(
            "note",
            "required",
            "请说明交接原因（调离、退休、轮岗等）",
        ));
    }
    let to = state
        .store
        .user_by_username(input.successor.trim())
        .await?
        .filter(|u| u.active && u.role_confirmed && u.bureau_id == state.bureau.id)
        .ok_or_else(|| AppError::field("successor", "unknown_user", "接手人不存在或未启用"))?;
    if to.id == from.id {
        return Err(AppError::field("successor", "self", "接手人不能是本人"));
    }
    let same_side = if from.role.is_unit_staff() {
        to.role.is_unit_staff() && to.unit_id == from.unit_id
    } else {
        to.role.is_bureau_staff()
    };
    if !same_side || to.role.is_administrator() {
        return Err(AppError::field(
            "successor",
            "wrong_role",
            format!(
                "{}不能接手{}的工作",
                to.role.label_zh(),
                from.role.label_zh()
            ),
        ));
    }
    let now = state.clock.now();
    let mut w = Write::begin_at(state, leader, now).await?;
    let drafts: Vec<&str> = items.drafts.iter().map(|d| d.id.as_str()).collect();
    for p in &items.petitions {
        state.store.set_carrier(&mut w.tx, &p.id, &to.id).await?;
        w.event(
            &p.id,
            p.event_seq,
            "handed_over",
            &serde_json::json!({"from": from.id, "to": to.id, "note": input.note.trim()}),
        )
        .await?;
    }
    let ended = state
        .store
        .revoke_acting_of(&mut w.tx, &from.id, now)
        .await?;
    state
        .store
        .audit(
            &mut w.tx,
            &state.bureau.id,
            Some(&leader.user.id),
            "handover",
            &serde_json::json!({
                "from": from.id, "to": to.id, "note": input.note.trim(),
                "petitions": items.petitions.iter().map(|p| &p.id).collect::<Vec<_>>(),
                "drafts": drafts,
                "approvals": items.approvals.iter().map(|a| &a.id).collect::<Vec<_>>(),
                "tasks": items.tasks.iter().map(|t| &t.id).collect::<Vec<_>>(),
            }),
            now,
        )
        .await?;
    w.commit().await?;
    Ok(HandoverOutcome {
        petitions: items.petitions.len(),
        drafts: items.drafts.len(),
        approvals: items.approvals.len(),
        tasks: items.tasks.len(),
        acting_namings_ended: ended,
    })
}
