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
    /// Required for a new user; on update, empty keeps the password.
    pub password: String,
    pub active: Option<bool>,
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
    crate::auth::validate_new_password(&input.password)?;
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
        password_hash: state.config.password_policy.hash(&input.password)?,
        active: input.active.unwrap_or(true),
    };
    let now = state.clock.now();
    let mut tx = state.store.begin().await?;
    state.store.insert_user(&mut tx, &user, now).await?;
    state
        .store
        .audit(&mut tx, &state.bureau.id, Some(&admin.user.id), "user_created", &serde_json::json!({"user_id": user.id, "username": user.username, "role": role.as_str()}), now)
        .await?;
    tx.commit().await?;
    Ok(user)
}

pub async fn update_user(
    state: &AppState,
    admin: &CurrentUser,
    id: &str,
    input: &UserInput,
) -> AppResult<User> {
    admin.require(&[Role::Admin])?;
    let mut user = state.store.user(id).await?;
    if user.bureau_id != state.bureau.id {
        return Err(AppError::not_found());
    }
    let (role, unit_id) = check_user_input(state, input).await?;
    user.display_name = input.display_name.trim().into();
    user.role = role;
    user.unit_id = unit_id;
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
    let password_changed = !input.password.is_empty();
    if password_changed {
        crate::auth::validate_new_password(&input.password)?;
        user.password_hash = state.config.password_policy.hash(&input.password)?;
    }
    let now = state.clock.now();
    let mut tx = state.store.begin().await?;
    state.store.update_user(&mut tx, &user).await?;
    if password_changed || !user.active {
        state.store.delete_sessions_of(&mut tx, &user.id).await?;
    }
    state
        .store
        .audit(&mut tx, &state.bureau.id, Some(&admin.user.id), "user_updated", &serde_json::json!({"user_id": user.id, "role": role.as_str(), "active": user.active, "password_changed": password_changed}), now)
        .await?;
    tx.commit().await?;
    Ok(user)
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
