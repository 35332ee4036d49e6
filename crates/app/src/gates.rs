//! Who approves each gate (lifecycle §5): the bureau's configuration, or the gate's defaults.
//! Shared: handling's gates and the release of statistics read it alike.

use xinfang_domain::approval::Gate;
use xinfang_domain::role::Role;

use crate::context::AppState;
use crate::error::AppResult;

pub async fn approvers(state: &AppState, gate: Gate) -> AppResult<Vec<Role>> {
    let configured = state.store.gate_approvers(&state.bureau.id).await?;
    Ok(configured
        .iter()
        .find(|(g, _)| g == gate.as_str())
        .map(|(_, roles)| roles.split(',').filter_map(Role::parse).collect())
        .unwrap_or_else(|| gate.default_approvers().to_vec()))
}
