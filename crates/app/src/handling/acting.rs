//! Acting approvers: a leader away (leave, business trip) names who approves in its place for a
//! period. The record is kept; every approval the acting approver makes says whose place it took
//! (`decide_approval`).

use serde::{Deserialize, Serialize};
use xinfang_domain::role::Role;
use xinfang_domain::words::parse_date;
use xinfang_store::accounts::ActingApprover;

use crate::auth::CurrentUser;
use crate::context::AppState;
use crate::error::{AppError, AppResult};

#[derive(Debug, Clone, Default, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(default)]
pub struct ActingInput {
    /// The username of the one who approves in the leader's place.
    pub acting: String,
    /// `YYYY-MM-DD`, inclusive.
    pub starts_on: String,
    pub ends_on: String,
    /// 请假、出差 …
    pub reason: String,
}

/// The longest period one naming covers.
pub const MAX_ACTING_DAYS: i64 = 90;

#[tracing::instrument(name = "handling::name_acting_approver", skip_all)]
pub async fn name_acting_approver(
    state: &AppState,
    leader: &CurrentUser,
    input: &ActingInput,
) -> AppResult<ActingApprover> {
    if !leader.role().is_leader() {
        return Err(AppError::Forbidden("只有局领导可以指定代理审批人".into()));
    }
    let invalid = |e| AppError::Invalid(vec![e]);
    let starts = parse_date("starts_on", input.starts_on.trim()).map_err(invalid)?;
    let ends = parse_date("ends_on", input.ends_on.trim()).map_err(invalid)?;
    if ends < starts {
        return Err(AppError::field(
            "ends_on",
            "before_start",
            "结束日期不能早于开始日期",
        ));
    }
    if (ends - starts).num_days() >= MAX_ACTING_DAYS {
        return Err(AppError::field(
            "ends_on",
            "too_long",
            format!("代理期限最长 {MAX_ACTING_DAYS} 天"),
        ));
    }
    if input.reason.trim().is_empty() {
        return Err(AppError::field(
            "reason",
            "required",
            "请说明代理事由（请假、出差等）",
        ));
    }
    let acting = state
        .store
        .user_by_username(input.acting.trim())
        .await?
        .filter(|u| u.active && u.bureau_id == state.bureau.id)
        .ok_or_else(|| AppError::field("acting", "unknown_user", "代理审批人不存在或已停用"))?;
    if acting.id == leader.user.id {
        return Err(AppError::field(
            "acting",
            "self",
            "不能指定自己为代理审批人",
        ));
    }
    if !acting.role.is_bureau_staff() || acting.role == Role::Receptionist {
        return Err(AppError::field(
            "acting",
            "wrong_role",
            format!("{}不能代理局领导审批", acting.role.label_zh()),
        ));
    }
    let a = ActingApprover {
        id: xinfang_store::new_id(),
        leader_id: leader.user.id.clone(),
        acting_id: acting.id.clone(),
        starts_on: starts.to_string(),
        ends_on: ends.to_string(),
        reason: input.reason.trim().into(),
    };
    let now = state.clock.now();
    let mut tx = state.store.begin().await?;
    state
        .store
        .insert_acting_approver(&mut tx, &state.bureau.id, &a, now)
        .await?;
    state
        .store
        .audit(&mut tx, &state.bureau.id, Some(&leader.user.id), "acting_approver_named", &serde_json::json!({"acting_id": a.acting_id, "starts_on": a.starts_on, "ends_on": a.ends_on, "reason": a.reason}), now)
        .await?;
    tx.commit().await?;
    Ok(a)
}
