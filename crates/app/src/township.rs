//! The township of the matter at intake: a reference to one of the bureau's township or
//! street-office units must name an active one; a statistical code is checked by the domain.
//! Shared by every intake (window, mailroom, later the public side and imports).

use xinfang_domain::region;
use xinfang_domain::township::TownshipRef;

use crate::context::AppState;
use crate::error::{AppError, AppResult};

/// Refuses a unit reference that is not an active township or street office of this bureau.
pub async fn check(state: &AppState, t: &TownshipRef) -> AppResult<()> {
    let TownshipRef::Unit { unit_id } = t else {
        return Ok(());
    };
    match state.store.unit(&state.bureau.id, unit_id).await {
        Ok(u) if u.active && matches!(u.kind.as_str(), "township" | "street") => Ok(()),
        Ok(u) => Err(AppError::field(
            "township",
            "not_a_township",
            format!("「{}」不是本局在用的乡镇（街道）单位", u.name),
        )),
        Err(_) => Err(AppError::field(
            "township",
            "unknown_unit",
            "所选乡镇（街道）不存在",
        )),
    }
}

/// The township as people read it: the unit's name, or the code with its county's name.
pub async fn name(state: &AppState, t: &TownshipRef) -> String {
    match t {
        TownshipRef::Unit { unit_id } => state
            .store
            .unit(&state.bureau.id, unit_id)
            .await
            .map(|u| u.name)
            .unwrap_or_else(|_| unit_id.clone()),
        TownshipRef::Code { code } => match t.county_code().and_then(region::lookup) {
            Some(r) => format!("{}（{code}）", r.full_name),
            None => code.clone(),
        },
    }
}
