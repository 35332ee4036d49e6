//! Authentication: argon2 password hashes (computed off the async workers), sessions (an opaque
//! token, stored hashed; the HTTP layer carries it as a cookie or a bearer token) with an idle
//! timeout and an absolute lifetime, throttling by growing delays per account and address, one-time
//! sign-in codes and the password policy.

use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use argon2::{Algorithm, Argon2, Params, Version};
use rand::RngCore;
use sha2::{Digest, Sha256};
use std::sync::atomic::{AtomicUsize, Ordering};
use xinfang_domain::password;
use xinfang_domain::role::Role;
use xinfang_store::people::User;
use xinfang_store::petitions::Actor;

use crate::context::AppState;
use crate::error::AppError;

/// How long a one-time sign-in code stays valid.
pub const SIGN_IN_CODE_HOURS: i64 = 72;

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

/// At most one argon2 computation per core at a time. Each holds its memory cost (tens of MiB)
/// while it runs: a burst of sign-ins would otherwise run them all at once, multiplying the
/// process's memory and making every one of them slower than waiting in line.
static HASHING: std::sync::LazyLock<tokio::sync::Semaphore> =
    std::sync::LazyLock::new(|| tokio::sync::Semaphore::new(hashing_slots()));
/// Computations running now, and the most there have been at once (what the test checks).
static HASHING_NOW: AtomicUsize = AtomicUsize::new(0);
static HASHING_PEAK: AtomicUsize = AtomicUsize::new(0);

fn hashing_slots() -> usize {
    std::thread::available_parallelism().map_or(2, |n| n.get())
}

/// Runs one argon2 computation on a blocking thread, waiting for a slot first. `None` if the
/// blocking task could not run.
async fn hash_off_workers<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> Option<T> {
    let _permit = HASHING.acquire().await.ok()?;
    tokio::task::spawn_blocking(move || {
        let now = HASHING_NOW.fetch_add(1, Ordering::SeqCst) + 1;
        HASHING_PEAK.fetch_max(now, Ordering::SeqCst);
        let out = f();
        HASHING_NOW.fetch_sub(1, Ordering::SeqCst);
        out
    })
    .await
    .ok()
}

/// Hashes on a blocking thread: argon2 takes tens of milliseconds of CPU, which would stall
/// every other request sharing the async worker.
pub async fn hash_password(state: &AppState, password: &str) -> Result<String, AppError> {
    let policy = state.config.password_policy.clone();
    let password = password.to_string();
    hash_off_workers(move || policy.hash(&password))
        .await
        .ok_or_else(|| AppError::Internal("hash task ended".into()))?
        .map_err(|e| AppError::Internal(e.to_string()))
}

/// Verifies on a blocking thread (see [`hash_password`]), in the same line.
pub async fn verify_password_off_workers(password: &str, hash: &str) -> bool {
    let (password, hash) = (password.to_string(), hash.to_string());
    hash_off_workers(move || verify_password(&password, &hash))
        .await
        .unwrap_or(false)
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

/// The session of a token: the signed-in user, or `None` when the token is unknown, past its
/// absolute lifetime, or idle for longer than the idle timeout.
pub async fn session_user(
    state: &AppState,
    token: &str,
    via_bearer: bool,
) -> Result<Option<CurrentUser>, AppError> {
    let hash = token_hash(token);
    let now = state.clock.now();
    let idle_since = now - chrono::Duration::minutes(state.config.idle_minutes);
    let found = state.store.session(&hash, now, idle_since).await?;
    Ok(found.map(|(user, csrf)| CurrentUser {
        user,
        csrf,
        token_hash: hash,
        via_bearer,
    }))
}

fn bad_credentials() -> AppError {
    AppError::Invalid(vec![xinfang_domain::FieldError::new(
        "password",
        "bad_credentials",
        "用户名或密码错误",
    )])
}

/// Signs a user in from `client` (the caller's address): claims an attempt under the throttle,
/// checks the password off the async workers, records the attempt and the result, and opens a
/// session. Returns the session token.
pub async fn login(
    state: &AppState,
    username: &str,
    password: &str,
    client: &str,
) -> Result<(String, User), AppError> {
    let now = state.clock.now();
    let username = username.trim();
    if username.is_empty() {
        return Err(AppError::field("username", "required", "请输入用户名"));
    }
    // One account from one address, and one address over all accounts: a colleague's typos
    // slow only that colleague, and nobody elsewhere can slow the director down.
    let account_key = format!("account:{username}|{client}");
    let address_key = format!("address:{client}");
    if let Some(wait) = state
        .store
        .claim_sign_in(
            &account_key,
            std::slice::from_ref(&address_key),
            now,
            now + chrono::Duration::seconds(5),
        )
        .await?
    {
        return Err(AppError::TooManyRequests(format!(
            "登录尝试过于频繁，请 {wait} 秒后再试"
        )));
    }
    let user = state.store.user_by_username(username).await?;
    // Verify against a dummy hash when the user does not exist, so timing does not tell.
    let ok = match &user {
        Some(u) if u.active => verify_password_off_workers(password, &u.password_hash).await,
        _ => {
            verify_password_off_workers(password, &state.dummy_hash).await;
            false
        }
    };
    state
        .store
        .settle_sign_in(&account_key, ok, now, |f| {
            password::sign_in_delay_seconds(f, password::FREE_PER_ACCOUNT)
        })
        .await?;
    state
        .store
        .settle_sign_in(&address_key, ok, now, |f| {
            password::sign_in_delay_seconds(f, password::FREE_PER_ADDRESS)
        })
        .await?;
    state
        .store
        .record_login_attempt(username, client, ok, now)
        .await?;
    let Some(user) = user.filter(|_| ok) else {
        return Err(bad_credentials());
    };
    if !user.role_confirmed {
        return Err(AppError::Forbidden(
            "账号授权尚待安全保密管理员确认，确认后方可登录".into(),
        ));
    }
    if user.must_set_password {
        return Err(AppError::Forbidden(
            "请先用一次性登录链接设置自己的密码".into(),
        ));
    }
    open_session(state, &user, client, "signed_in").await
}

/// Opens a session for the user and records the sign-in in the audit trail (who, when, from
/// where) for the audit administrator.
async fn open_session(
    state: &AppState,
    user: &User,
    client: &str,
    kind: &str,
) -> Result<(String, User), AppError> {
    let now = state.clock.now();
    let token = random_token();
    let expires = now + chrono::Duration::hours(state.config.session_hours);
    let mut tx = state.store.begin().await?;
    state
        .store
        .insert_session_in(
            &mut tx,
            &token_hash(&token),
            &user.id,
            &random_token(),
            now,
            expires,
        )
        .await?;
    state
        .store
        .audit(
            &mut tx,
            &state.bureau.id,
            Some(&user.id),
            kind,
            &serde_json::json!({"client": client}),
            now,
        )
        .await?;
    tx.commit().await?;
    Ok((token, user.clone()))
}

/// Whether `new` repeats the current password or one of the last five.
async fn reused(state: &AppState, user: &User, new: &str) -> Result<bool, AppError> {
    let mut hashes = state
        .store
        .password_history(&user.id, password::HISTORY as i64)
        .await?;
    hashes.push(user.password_hash.clone());
    for h in hashes {
        if verify_password_off_workers(new, &h).await {
            return Ok(true);
        }
    }
    Ok(false)
}

/// Sets a new password for the user (the policy and the history checked), in the transaction.
async fn set_password(
    state: &AppState,
    tx: &mut xinfang_store::Tx,
    user: &mut User,
    new: &str,
) -> Result<(), AppError> {
    password::check(new, &user.username).map_err(|e| AppError::Invalid(vec![e]))?;
    if reused(state, user, new).await? {
        return Err(AppError::Invalid(vec![password::reused()]));
    }
    let now = state.clock.now();
    state
        .store
        .insert_password_history(tx, &user.id, &user.password_hash, now)
        .await?;
    user.password_hash = hash_password(state, new).await?;
    user.must_set_password = false;
    state.store.update_user(tx, user).await?;
    Ok(())
}

/// A user changes their own password: the current one proves it is them; every other session of
/// theirs ends.
#[tracing::instrument(name = "auth::change_password", skip_all)]
pub async fn change_password(
    state: &AppState,
    user: &CurrentUser,
    current: &str,
    new: &str,
) -> Result<(), AppError> {
    let mut u = state.store.user(&user.user.id).await?;
    if !verify_password_off_workers(current, &u.password_hash).await {
        return Err(AppError::field(
            "current_password",
            "bad_credentials",
            "当前密码不正确",
        ));
    }
    let now = state.clock.now();
    let mut tx = state.store.begin().await?;
    set_password(state, &mut tx, &mut u, new).await?;
    state
        .store
        .delete_other_sessions(&mut tx, &u.id, &user.token_hash)
        .await?;
    state
        .store
        .audit(
            &mut tx,
            &state.bureau.id,
            Some(&u.id),
            "password_changed",
            &serde_json::json!({}),
            now,
        )
        .await?;
    tx.commit().await?;
    Ok(())
}

/// Signs in with a one-time code and sets the account's own password in the same step.
pub async fn sign_in_with_code(
    state: &AppState,
    code: &str,
    new_password: &str,
    client: &str,
) -> Result<(String, User), AppError> {
    let now = state.clock.now();
    let invalid = || {
        AppError::field(
            "code",
            "invalid_code",
            "一次性登录码无效、已使用或已过期，请联系安全保密管理员重新签发",
        )
    };
    let code = code.trim();
    if code.is_empty() {
        return Err(invalid());
    }
    // One transaction: a password the policy refuses rolls the code back too, so the user can
    // correct it; two requests with the same code cannot both pass (`use_sign_in_code`).
    let mut tx = state.store.begin().await?;
    let user_id = state
        .store
        .use_sign_in_code(&mut tx, &token_hash(code), now)
        .await?
        .ok_or_else(invalid)?;
    let mut user = state.store.user(&user_id).await?;
    if !user.active || !user.role_confirmed {
        return Err(invalid());
    }
    set_password(state, &mut tx, &mut user, new_password).await?;
    state.store.delete_sessions_of(&mut tx, &user.id).await?;
    tx.commit().await?;
    open_session(state, &user, client, "signed_in_with_code").await
}

/// Issues a one-time sign-in code for an account (stored hashed; the code itself is returned
/// once). The account must set its own password with it; its sessions end.
pub(crate) async fn issue_sign_in_code(
    state: &AppState,
    tx: &mut xinfang_store::Tx,
    user: &mut User,
    issued_by: &str,
) -> Result<String, AppError> {
    let now = state.clock.now();
    // Short enough to read out or type: 16 characters from an alphabet without look-alikes.
    const ALPHABET: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut bytes = [0u8; 16];
    rand::rng().fill_bytes(&mut bytes);
    let code: String = bytes
        .iter()
        .map(|b| ALPHABET[usize::from(*b) % ALPHABET.len()] as char)
        .collect();
    state
        .store
        .insert_sign_in_code(
            tx,
            &token_hash(&code),
            &user.id,
            issued_by,
            now,
            now + chrono::Duration::hours(SIGN_IN_CODE_HOURS),
        )
        .await?;
    user.must_set_password = true;
    // The old password stops working too: only the code opens the account now.
    state
        .store
        .insert_password_history(tx, &user.id, &user.password_hash, now)
        .await?;
    user.password_hash = hash_password(state, &random_token()).await?;
    state.store.update_user(tx, user).await?;
    state.store.delete_sessions_of(tx, &user.id).await?;
    Ok(code)
}

/// Ends the session the user signed in with.
#[tracing::instrument(name = "auth::logout", skip_all)]
pub async fn logout(state: &AppState, user: &CurrentUser) -> Result<(), AppError> {
    Ok(state.store.delete_session(&user.token_hash).await?)
}

/// A user's display name for pages and documents; the id itself if the account is gone.
pub async fn display_name(state: &AppState, user_id: &str) -> String {
    state
        .store
        .user(user_id)
        .await
        .map(|u| u.display_name)
        .unwrap_or_else(|_| user_id.to_string())
}

#[cfg(test)]
mod hashing_tests {
    use super::*;

    /// A burst of sign-ins many times the core count never runs more argon2 computations at
    /// once than there are cores, and each still gets its answer.
    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn a_burst_of_verifications_waits_in_line() {
        let hash = PasswordPolicy::default().hash("correct horse").unwrap();
        let burst = hashing_slots() * 6;
        let tasks: Vec<_> = (0..burst)
            .map(|i| {
                let hash = hash.clone();
                let password = if i % 2 == 0 { "correct horse" } else { "wrong" };
                tokio::spawn(async move { verify_password_off_workers(password, &hash).await })
            })
            .collect();
        let mut right = 0;
        for t in tasks {
            right += usize::from(t.await.unwrap());
        }
        assert_eq!(right, burst / 2);
        let peak = HASHING_PEAK.load(Ordering::SeqCst);
        assert!(
            (1..=hashing_slots()).contains(&peak),
            "{peak} computations at once on {} cores",
            hashing_slots()
        );
    }
}
