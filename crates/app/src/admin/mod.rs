//! Administration: users, units and the decision reasons (rules §3).

use serde::{Deserialize, Serialize};
use xinfang_domain::lifecycle::Acceptance;
use xinfang_domain::role::Role;
use xinfang_domain::{FieldError, region};
use xinfang_store::people::User;

use crate::auth::CurrentUser;
use crate::context::AppState;
use crate::error::{AppError, AppResult};

// ---------------------------------------------------------------------------------------------
// Administration: users and units

#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct UserInput {
    pub username: String,
    pub display_name: String,
    pub role: String,
    pub unit_id: Option<String>,
    /// Never set by the system administrator: a new account sets its own password with the
    /// one-time sign-in code the security administrator hands over. Must be empty.
    pub password: String,
    pub active: Option<bool>,
}

fn no_password(input: &UserInput) -> AppResult<()> {
    if input.password.is_empty() {
        return Ok(());
    }
    Err(AppError::field(
        "password",
        "administrator_sets_no_password",
        "系统管理员不设置用户密码：账号经安全保密管理员确认后，以一次性登录码由本人设置密码",
    ))
}

async fn check_user_input(
    state: &AppState,
    input: &UserInput,
) -> AppResult<(Role, Option<String>)> {
    let role = Role::parse(input.role.trim()).ok_or_else(|| {
        AppError::field(
            "role",
            "unknown_role",
            format!("未知的角色：{}", input.role.trim()),
        )
    })?;
    if input.display_name.trim().is_empty() {
        return Err(AppError::field("display_name", "required", "请填写姓名"));
    }
    let unit_id = input.unit_id.clone().filter(|s| !s.trim().is_empty());
    if role.is_unit_staff() {
        let Some(uid) = &unit_id else {
            return Err(AppError::field(
                "unit_id",
                "required",
                "承办单位用户须指定所属单位",
            ));
        };
        state
            .store
            .unit(&state.bureau.id, uid)
            .await
            .map_err(|_| AppError::field("unit_id", "unknown_unit", "单位不存在"))?;
    } else if unit_id.is_some() {
        return Err(AppError::field(
            "unit_id",
            "unit_for_bureau_staff",
            "信访局工作人员不属于承办单位",
        ));
    }
    Ok((role, unit_id))
}

/// The system administrator opens an account. It signs in only after the security
/// administrator confirms its grant, and then only with the one-time code issued at that moment,
/// to set its own password: the system administrator never holds a credential for it.
#[tracing::instrument(name = "admin::create_user", skip_all)]
pub async fn create_user(
    state: &AppState,
    admin: &CurrentUser,
    input: &UserInput,
) -> AppResult<User> {
    admin.require(&[Role::Admin])?;
    let username = input.username.trim();
    if username.is_empty()
        || username.len() > 64
        || !username
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.' || c == '-')
    {
        return Err(AppError::field(
            "username",
            "invalid_username",
            "用户名应为 1 至 64 位字母、数字、下划线、点或连字符",
        ));
    }
    let (role, unit_id) = check_user_input(state, input).await?;
    no_password(input)?;
    if state.store.user_by_username(username).await?.is_some() {
        return Err(AppError::field("username", "duplicate", "用户名已存在"));
    }
    let user = User {
        id: xinfang_store::new_id(),
        bureau_id: state.bureau.id.clone(),
        username: username.into(),
        display_name: input.display_name.trim().into(),
        role,
        unit_id,
        // Nobody knows this password: the account's own is set with the one-time code.
        password_hash: crate::auth::hash_password(state, &crate::auth::random_token()).await?,
        active: input.active.unwrap_or(true),
        pending_role: None,
        pending_unit_id: None,
        granted_by: Some(admin.user.id.clone()),
        role_confirmed: false,
        must_set_password: true,
    };
    let now = state.clock.now();
    let mut tx = state.store.begin().await?;
    state.store.insert_user(&mut tx, &user, now).await?;
    state
        .store
        .audit(&mut tx, &state.bureau.id, Some(&admin.user.id), "user_created", &serde_json::json!({"user_id": user.id, "username": user.username, "role": role.as_str(), "awaiting_confirmation": true}), now)
        .await?;
    tx.commit().await?;
    Ok(user)
}

/// The system administrator edits an account. A new role or unit is only requested: it takes
/// effect when the security administrator confirms it. Deactivating takes effect at once.
#[tracing::instrument(name = "admin::update_user", skip_all)]
pub async fn update_user(
    state: &AppState,
    admin: &CurrentUser,
    id: &str,
    input: &UserInput,
) -> AppResult<User> {
    admin.require(&[Role::Admin])?;
    no_password(input)?;
    let mut user = state.store.user(id).await?;
    if user.bureau_id != state.bureau.id {
        return Err(AppError::not_found());
    }
    let (role, unit_id) = check_user_input(state, input).await?;
    let regrant = role != user.role || unit_id != user.unit_id;
    if regrant && user.id == admin.user.id {
        return Err(AppError::field(
            "role",
            "self_grant",
            "不能更改自己的角色或授予自己权限",
        ));
    }
    user.display_name = input.display_name.trim().into();
    if regrant {
        user.pending_role = Some(role);
        user.pending_unit_id = unit_id;
        user.granted_by = Some(admin.user.id.clone());
    }
    if let Some(a) = input.active {
        if !a && user.id == admin.user.id {
            return Err(AppError::field(
                "active",
                "self_deactivation",
                "不能停用自己的账号",
            ));
        }
        user.active = a;
    }
    let now = state.clock.now();
    let mut tx = state.store.begin().await?;
    state.store.update_user(&mut tx, &user).await?;
    if !user.active {
        state.store.delete_sessions_of(&mut tx, &user.id).await?;
    }
    state
        .store
        .audit(&mut tx, &state.bureau.id, Some(&admin.user.id), "user_updated", &serde_json::json!({"user_id": user.id, "requested_role": regrant.then_some(role.as_str()), "active": user.active}), now)
        .await?;
    tx.commit().await?;
    Ok(user)
}

// ---------------------------------------------------------------------------------------------
// The security administrator: confirming grants, issuing sign-in codes

/// A grant waiting for confirmation.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PendingGrant {
    pub user_id: String,
    pub username: String,
    pub display_name: String,
    /// The role in effect; for a new account, the role it would get.
    pub current_role: String,
    pub requested_role: String,
    pub requested_role_label: String,
    pub requested_unit_id: Option<String>,
    pub granted_by: Option<String>,
    pub new_account: bool,
}

#[tracing::instrument(name = "admin::pending_grants", skip_all)]
pub async fn pending_grants(state: &AppState, sec: &CurrentUser) -> AppResult<Vec<PendingGrant>> {
    sec.require(&[Role::SecurityAdmin])?;
    Ok(state
        .store
        .users(&state.bureau.id)
        .await?
        .into_iter()
        .filter(|u| !u.role_confirmed || u.pending_role.is_some())
        .map(|u| {
            let requested = u.pending_role.unwrap_or(u.role);
            PendingGrant {
                user_id: u.id,
                username: u.username,
                display_name: u.display_name,
                current_role: u.role.as_str().into(),
                requested_role: requested.as_str().into(),
                requested_role_label: requested.label_zh().into(),
                requested_unit_id: if u.pending_role.is_some() {
                    u.pending_unit_id
                } else {
                    u.unit_id
                },
                granted_by: u.granted_by,
                new_account: !u.role_confirmed,
            }
        })
        .collect())
}

/// What confirming a grant gives the security administrator: the one-time sign-in code for an
/// account that has not yet set its password, to hand to its owner (shown this once).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct GrantOutcome {
    pub user_id: String,
    pub role: String,
    pub sign_in_code: Option<String>,
}

/// The account a security administrator acts on: of this bureau, and neither its own nor one
/// whose grant it made itself.
async fn grant_target(state: &AppState, sec: &CurrentUser, user_id: &str) -> AppResult<User> {
    sec.require(&[Role::SecurityAdmin])?;
    let user = state.store.user(user_id).await?;
    if user.bureau_id != state.bureau.id {
        return Err(AppError::not_found());
    }
    if user.id == sec.user.id || user.granted_by.as_deref() == Some(sec.user.id.as_str()) {
        return Err(AppError::Forbidden(
            "不能确认自己的授权或自己提出的授权".into(),
        ));
    }
    Ok(user)
}

#[tracing::instrument(name = "admin::confirm_grant", skip_all)]
pub async fn confirm_grant(
    state: &AppState,
    sec: &CurrentUser,
    user_id: &str,
) -> AppResult<GrantOutcome> {
    let mut user = grant_target(state, sec, user_id).await?;
    if user.role_confirmed && user.pending_role.is_none() {
        return Err(AppError::Conflict("该账号没有待确认的授权".into()));
    }
    if let Some(role) = user.pending_role.take() {
        user.role = role;
        user.unit_id = user.pending_unit_id.take();
    }
    user.role_confirmed = true;
    let now = state.clock.now();
    let mut tx = state.store.begin().await?;
    let code = if user.must_set_password {
        Some(crate::auth::issue_sign_in_code(state, &mut tx, &mut user, &sec.user.id).await?)
    } else {
        state.store.update_user(&mut tx, &user).await?;
        // A changed role starts from fresh sessions.
        state.store.delete_sessions_of(&mut tx, &user.id).await?;
        None
    };
    state
        .store
        .audit(&mut tx, &state.bureau.id, Some(&sec.user.id), "grant_confirmed", &serde_json::json!({"user_id": user.id, "role": user.role.as_str(), "granted_by": user.granted_by, "sign_in_code_issued": code.is_some()}), now)
        .await?;
    tx.commit().await?;
    Ok(GrantOutcome {
        user_id: user.id,
        role: user.role.as_str().into(),
        sign_in_code: code,
    })
}

#[tracing::instrument(name = "admin::reject_grant", skip_all)]
pub async fn reject_grant(state: &AppState, sec: &CurrentUser, user_id: &str) -> AppResult<()> {
    let mut user = grant_target(state, sec, user_id).await?;
    if user.role_confirmed && user.pending_role.is_none() {
        return Err(AppError::Conflict("该账号没有待确认的授权".into()));
    }
    user.pending_role = None;
    user.pending_unit_id = None;
    if !user.role_confirmed {
        // A new account refused its first grant never opens.
        user.active = false;
    }
    let now = state.clock.now();
    let mut tx = state.store.begin().await?;
    state.store.update_user(&mut tx, &user).await?;
    state
        .store
        .audit(
            &mut tx,
            &state.bureau.id,
            Some(&sec.user.id),
            "grant_rejected",
            &serde_json::json!({"user_id": user.id}),
            now,
        )
        .await?;
    tx.commit().await?;
    Ok(())
}

/// A forgotten password: a new one-time code for the account, which must then set its own
/// password; its sessions end.
#[tracing::instrument(name = "admin::reset_sign_in", skip_all)]
pub async fn reset_sign_in(
    state: &AppState,
    sec: &CurrentUser,
    user_id: &str,
) -> AppResult<GrantOutcome> {
    let mut user = grant_target(state, sec, user_id).await?;
    if !user.role_confirmed || !user.active {
        return Err(AppError::Conflict(
            "该账号尚未确认授权或已停用，不能签发登录码".into(),
        ));
    }
    let now = state.clock.now();
    let mut tx = state.store.begin().await?;
    let code = crate::auth::issue_sign_in_code(state, &mut tx, &mut user, &sec.user.id).await?;
    state
        .store
        .audit(
            &mut tx,
            &state.bureau.id,
            Some(&sec.user.id),
            "sign_in_code_issued",
            &serde_json::json!({"user_id": user.id}),
            now,
        )
        .await?;
    tx.commit().await?;
    Ok(GrantOutcome {
        user_id: user.id,
        role: user.role.as_str().into(),
        sign_in_code: Some(code),
    })
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct UnitInput {
    /// ASCII code, e.g. `chengguan`.
    pub code: String,
    pub name: String,
    /// township | street | department
    pub kind: String,
    pub region_code: Option<String>,
    pub active: Option<bool>,
}

fn check_unit_input(input: &UnitInput) -> AppResult<Option<String>> {
    if input.name.trim().is_empty() {
        return Err(AppError::field("name", "required", "请填写单位名称"));
    }
    if !xinfang_store::people::UNIT_KINDS
        .iter()
        .any(|(k, _)| *k == input.kind.trim())
    {
        return Err(AppError::field(
            "kind",
            "unknown_kind",
            "单位类型应为乡镇、街道或本级部门",
        ));
    }
    let region = input
        .region_code
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty());
    if let Some(r) = region {
        region::parse_issue_region(r).map_err(|e| {
            AppError::Invalid(vec![FieldError {
                field: Some("region_code".into()),
                ..e
            }])
        })?;
    }
    Ok(region.map(str::to_string))
}

#[tracing::instrument(name = "admin::create_unit", skip_all)]
pub async fn create_unit(
    state: &AppState,
    admin: &CurrentUser,
    input: &UnitInput,
) -> AppResult<xinfang_store::people::Unit> {
    admin.require(&[Role::Admin])?;
    let code = input.code.trim();
    if code.is_empty()
        || code.len() > 32
        || !code
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
    {
        return Err(AppError::field(
            "code",
            "invalid_code",
            "单位代码应为小写字母、数字或下划线，不超过 32 位",
        ));
    }
    let region_code = check_unit_input(input)?;
    if state
        .store
        .unit_by_code(&state.bureau.id, code)
        .await?
        .is_some()
    {
        return Err(AppError::field("code", "duplicate", "单位代码已存在"));
    }
    let unit = xinfang_store::people::Unit {
        id: xinfang_store::new_id(),
        bureau_id: state.bureau.id.clone(),
        code: code.into(),
        name: input.name.trim().into(),
        kind: input.kind.trim().into(),
        region_code,
        active: input.active.unwrap_or(true),
    };
    let now = state.clock.now();
    let mut tx = state.store.begin().await?;
    state.store.insert_unit(&mut tx, &unit, now).await?;
    state
        .store
        .audit(
            &mut tx,
            &state.bureau.id,
            Some(&admin.user.id),
            "unit_created",
            &serde_json::json!({"unit_id": unit.id, "code": unit.code, "name": unit.name}),
            now,
        )
        .await?;
    tx.commit().await?;
    Ok(unit)
}

#[tracing::instrument(name = "admin::update_unit", skip_all)]
pub async fn update_unit(
    state: &AppState,
    admin: &CurrentUser,
    id: &str,
    input: &UnitInput,
) -> AppResult<xinfang_store::people::Unit> {
    admin.require(&[Role::Admin])?;
    let mut unit = state.store.unit(&state.bureau.id, id).await?;
    unit.region_code = check_unit_input(input)?;
    unit.name = input.name.trim().into();
    unit.kind = input.kind.trim().into();
    if let Some(a) = input.active {
        unit.active = a;
    }
    let now = state.clock.now();
    let mut tx = state.store.begin().await?;
    state.store.update_unit(&mut tx, &unit).await?;
    state
        .store
        .audit(
            &mut tx,
            &state.bureau.id,
            Some(&admin.user.id),
            "unit_updated",
            &serde_json::json!({"unit_id": unit.id, "name": unit.name, "active": unit.active}),
            now,
        )
        .await?;
    tx.commit().await?;
    Ok(unit)
}

// ---------------------------------------------------------------------------------------------
// Administration: the decision reasons (rules §3)

#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct ReasonInput {
    /// The decision it belongs to (accepted, not_accepted, …); fixed once created.
    pub acceptance: String,
    /// Lower-case ASCII identifier; fixed once created.
    pub code: String,
    pub reason: String,
    /// The legal explanation printed on the slip; required for every non-accepting decision.
    pub legal_text: String,
    pub position: Option<i64>,
    pub active: Option<bool>,
}

fn check_reason_text(acceptance: Acceptance, input: &ReasonInput) -> AppResult<()> {
    let reason = input.reason.trim();
    if reason.is_empty() || reason.chars().count() > 200 {
        return Err(AppError::field(
            "reason",
            "invalid_reason",
            "理由为必填项，不超过 200 字",
        ));
    }
    if input.legal_text.chars().count() > 2000 {
        return Err(AppError::field(
            "legal_text",
            "too_long",
            "法律说明不超过 2000 字",
        ));
    }
    if acceptance != Acceptance::Accepted && input.legal_text.trim().is_empty() {
        return Err(AppError::field(
            "legal_text",
            "required",
            "不予受理、不再受理和告知、转送的理由须附法律法规说明（印在告知单上）",
        ));
    }
    Ok(())
}

#[tracing::instrument(name = "admin::create_reason", skip_all)]
pub async fn create_reason(
    state: &AppState,
    admin: &CurrentUser,
    input: &ReasonInput,
) -> AppResult<xinfang_store::reasons::DecisionReason> {
    admin.require(&[Role::Admin])?;
    let acceptance = Acceptance::parse(input.acceptance.trim())
        .ok_or_else(|| AppError::field("acceptance", "unknown_acceptance", "未知的受理决定"))?;
    let code = input.code.trim();
    if code.is_empty()
        || code.len() > 40
        || !code
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
    {
        return Err(AppError::field(
            "code",
            "invalid_code",
            "代码应为小写字母、数字或下划线，不超过 40 位",
        ));
    }
    check_reason_text(acceptance, input)?;
    if state
        .store
        .decision_reason(&state.bureau.id, acceptance.as_str(), code)
        .await?
        .is_some()
    {
        return Err(AppError::field(
            "code",
            "duplicate",
            "该受理决定下已有此代码",
        ));
    }
    let r = xinfang_store::reasons::DecisionReason {
        id: xinfang_store::new_id(),
        acceptance: acceptance.as_str().into(),
        code: code.into(),
        reason: input.reason.trim().into(),
        legal_text: input.legal_text.trim().into(),
        position: input.position.unwrap_or(1000),
        active: input.active.unwrap_or(true),
    };
    let now = state.clock.now();
    let mut tx = state.store.begin().await?;
    state
        .store
        .insert_decision_reason(&mut tx, &state.bureau.id, &r)
        .await?;
    state
        .store
        .audit(
            &mut tx,
            &state.bureau.id,
            Some(&admin.user.id),
            "decision_reason_created",
            &serde_json::to_value(&r).unwrap_or_default(),
            now,
        )
        .await?;
    tx.commit().await?;
    Ok(r)
}

#[tracing::instrument(name = "admin::update_reason", skip_all)]
pub async fn update_reason(
    state: &AppState,
    admin: &CurrentUser,
    id: &str,
    input: &ReasonInput,
) -> AppResult<xinfang_store::reasons::DecisionReason> {
    admin.require(&[Role::Admin])?;
    let mut r = state
        .store
        .decision_reasons(&state.bureau.id)
        .await?
        .into_iter()
        .find(|r| r.id == id)
        .ok_or_else(AppError::not_found)?;
    let acceptance = Acceptance::parse(&r.acceptance)
        .ok_or_else(|| AppError::Internal(format!("stored acceptance {}", r.acceptance)))?;
    check_reason_text(acceptance, input)?;
    r.reason = input.reason.trim().into();
    r.legal_text = input.legal_text.trim().into();
    if let Some(p) = input.position {
        r.position = p;
    }
    if let Some(a) = input.active {
        r.active = a;
    }
    let now = state.clock.now();
    let mut tx = state.store.begin().await?;
    state
        .store
        .update_decision_reason(&mut tx, &state.bureau.id, &r)
        .await?;
    state
        .store
        .audit(
            &mut tx,
            &state.bureau.id,
            Some(&admin.user.id),
            "decision_reason_updated",
            &serde_json::to_value(&r).unwrap_or_default(),
            now,
        )
        .await?;
    tx.commit().await?;
    Ok(r)
}

// ---------------------------------------------------------------------------------------------
// Reads

/// The bureau's units (townships, street offices, departments), for choosing and naming them.
pub async fn units(state: &AppState) -> AppResult<Vec<xinfang_store::people::Unit>> {
    Ok(state.store.units(&state.bureau.id).await?)
}

/// The bureau's accounts, for naming who did what and for the administrators' page.
pub async fn users(state: &AppState) -> AppResult<Vec<User>> {
    Ok(state.store.users(&state.bureau.id).await?)
}

/// Staff names by account id.
pub async fn names(state: &AppState) -> AppResult<std::collections::HashMap<String, String>> {
    Ok(users(state)
        .await?
        .into_iter()
        .map(|u| (u.id, u.display_name))
        .collect())
}

/// The decision reasons with their legal text (rules §3).
pub async fn decision_reasons(
    state: &AppState,
) -> AppResult<Vec<xinfang_store::reasons::DecisionReason>> {
    Ok(state.store.decision_reasons(&state.bureau.id).await?)
}
