//! Authentication: argon2 password hashes, sessions (an opaque token, stored hashed; the HTTP
//! layer carries it as a cookie or a bearer token) and login throttling per account.

use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use argon2::{Algorithm, Argon2, Params, Version};
use rand::RngCore;
use sha2::{Digest, Sha256};
use xinfang_domain::role::Role;
use xinfang_store::people::User;
use xinfang_store::petitions::Actor;

use crate::context::AppState;
use crate::error::AppError;

/// Failed logins allowed within the window before the account is locked for the window.
pub const MAX_FAILURES: i64 = 5;
pub const FAILURE_WINDOW_MINUTES: i64 = 15;

/// argon2id parameters; tests may lower the cost, production uses the library's defaults.
#[derive(Clone, Debug)]
pub struct PasswordPolicy {
    pub memory_kib: u32,
    pub iterations: u32,
}

impl Default for PasswordPolicy {
    fn default() -> Self {
        let p = Params::default();
        Self {
            memory_kib: p.m_cost(),
            iterations: p.t_cost(),
        }
    }
}

impl PasswordPolicy {
    fn argon2(&self) -> Argon2<'static> {
        let params = Params::new(self.memory_kib, self.iterations, 1, None).unwrap_or_default();
        Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
    }

    pub fn hash(&self, password: &str) -> anyhow::Result<String> {
        let mut salt = [0u8; 16];
        rand::rng().fill_bytes(&mut salt);
        Ok(self
            .argon2()
            .hash_password_with_salt(password.as_bytes(), &salt)
            .map_err(|e| anyhow::anyhow!("hash: {e}"))?
            .to_string())
    }
}

/// Verifies against the parameters stored in the hash itself.
pub fn verify_password(password: &str, hash: &str) -> bool {
    // The parameters are read from the stored hash, not from the current policy.
    PasswordVerifier::<str>::verify_password(&Argon2::default(), password.as_bytes(), hash).is_ok()
}

pub fn validate_new_password(password: &str) -> Result<(), AppError> {
    if password.chars().count() < 8 {
        return Err(AppError::field(
            "password",
            "weak_password",
            "密码至少 8 位",
        ));
    }
    Ok(())
}

pub fn random_token() -> String {
    let mut b = [0u8; 32];
    rand::rng().fill_bytes(&mut b);
    hex::encode(b)
}

pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// The signed-in user of a request.
#[derive(Clone, Debug)]
pub struct CurrentUser {
    pub user: User,
    pub csrf: String,
    pub token_hash: String,
    /// Bearer-token callers are not browsers: no CSRF check applies to them.
    pub via_bearer: bool,
}

/// The store's record of who acted.
pub fn actor(u: &User) -> Actor<'_> {
    Actor {
        id: &u.id,
        role: u.role,
    }
}

impl CurrentUser {
    pub fn actor(&self) -> Actor<'_> {
        actor(&self.user)
    }

    pub fn role(&self) -> Role {
        self.user.role
    }

    pub fn require(&self, roles: &[Role]) -> Result<(), AppError> {
        if roles.contains(&self.user.role) {
            Ok(())
        } else {
            Err(AppError::forbidden())
        }
    }
}

/// The session of a token: the signed-in user, or `None` when the token is unknown or expired.
pub async fn session_user(
    state: &AppState,
    token: &str,
    via_bearer: bool,
) -> Result<Option<CurrentUser>, AppError> {
    let hash = token_hash(token);
    let found = state.store.session(&hash, state.clock.now()).await?;
    Ok(found.map(|(user, csrf)| CurrentUser {
        user,
        csrf,
        token_hash: hash,
        via_bearer,
    }))
}

/// Signs a user in: checks throttling, the password, records the attempt, opens a session.
/// Returns the session token.
pub async fn login(
    state: &AppState,
    username: &str,
    password: &str,
) -> Result<(String, User), AppError> {
    let now = state.clock.now();
    let username = username.trim();
    if username.is_empty() {
        return Err(AppError::field("username", "required", "请输入用户名"));
    }
    let since = now - chrono::Duration::minutes(FAILURE_WINDOW_MINUTES);
    if state.store.recent_failures(username, since).await? >= MAX_FAILURES {
        return Err(AppError::TooManyRequests(format!(
            "登录失败次数过多，账号已锁定 {FAILURE_WINDOW_MINUTES} 分钟，请稍后再试"
        )));
    }
    let user = state.store.user_by_username(username).await?;
    // Verify against a dummy hash when the user does not exist, so timing does not tell.
    let ok = match &user {
        Some(u) if u.active => verify_password(password, &u.password_hash),
        _ => {
            verify_password(password, &state.dummy_hash);
            false
        }
    };
    state.store.record_login_attempt(username, ok, now).await?;
    let Some(user) = user.filter(|_| ok) else {
        return Err(AppError::Invalid(vec![xinfang_domain::FieldError::new(
            "password",
            "bad_credentials",
            "用户名或密码错误",
        )]));
    };
    let token = random_token();
    let expires = now + chrono::Duration::hours(state.config.session_hours);
    state
        .store
        .insert_session(&token_hash(&token), &user.id, &random_token(), now, expires)
        .await?;
    Ok((token, user))
}

/// Ends the session the user signed in with.
pub async fn logout(state: &AppState, user: &CurrentUser) -> Result<(), AppError> {
    Ok(state.store.delete_session(&user.token_hash).await?)
}
