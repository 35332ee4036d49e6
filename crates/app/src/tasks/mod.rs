//! Tasks on a role's home page: an out-of-district visitor for the bureau head to read, a
//! follow-up owed, an entry left incomplete. Who sees and completes which task is the domain's
//! rule (`visibility::task_roles`); completing a task of a petition is an event of it.

use xinfang_domain::role::Role;
use xinfang_domain::visibility;
use xinfang_store::petitions::TaskRow;

use crate::access::open_record;
use crate::auth::CurrentUser;
use crate::context::AppState;
use crate::error::{AppError, AppResult};
use crate::write::Write;

/// The open tasks the user's role sees, and those meant for the user alone (an entry the user
/// left incomplete at the end of the day).
#[tracing::instrument(name = "tasks::open_tasks", skip_all)]
pub async fn open_tasks(state: &AppState, user: &CurrentUser) -> AppResult<Vec<TaskRow>> {
    let roles = visibility::task_roles(user.role());
    Ok(state
        .store
        .open_tasks(&state.bureau.id, &roles, Some(&user.user.id))
        .await?)
}

/// Marks a task done: only a role that sees the task may, and only if it may open the
/// petition the task belongs to.
#[tracing::instrument(name = "tasks::complete_task", skip_all)]
pub async fn complete_task(state: &AppState, user: &CurrentUser, task_id: &str) -> AppResult<()> {
    let task = state.store.task(&state.bureau.id, task_id).await?;
    let task_role = Role::parse(&task.assignee_role).ok_or_else(AppError::not_found)?;
    let allowed = match &task.assignee_user_id {
        Some(person) => person == &user.user.id,
        None => visibility::may_complete_task(user.role(), task_role),
    };
    if !allowed {
        return Err(AppError::not_found());
    }
    if let Some(pid) = &task.petition_id {
        open_record(state, user, pid, "complete_task").await?;
    }
    let mut w = Write::begin(state, user).await?;
    let now = w.now;
    state
        .store
        .complete_task(&mut w.tx, &state.bureau.id, &task.id, &user.user.id, now)
        .await?;
    if let Some(pid) = &task.petition_id {
        w.next_event(
            pid,
            "task_done",
            &serde_json::json!({"task_id": task.id, "kind": task.kind}),
        )
        .await?;
    }
    w.commit().await
}
