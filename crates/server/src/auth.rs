//! Authentication: argon2 password hashes, sessions (an opaque token, stored hashed, used as an
//! HttpOnly SameSite=Strict cookie or as a bearer token), CSRF protection for cookie sessions,
//! and login throttling per account.

use std::sync::Arc;

use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use argon2::{Algorithm, Argon2, Params, Version};
use axum::body::Body;
use axum::extract::{FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, Method, Request, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use rand::RngCore;
use sha2::{Digest, Sha256};
use xinfang_domain::role::Role;
use xinfang_store::people::User;

use crate::app::AppState;
use crate::error::AppError;

pub const SESSION_COOKIE: &str = "xf_session";
pub const CSRF_FIELD: &str = "_csrf";
pub const CSRF_HEADER: &str = "x-csrf-token";
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

impl CurrentUser {
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

fn cookie_value(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_string())
}

fn bearer(headers: &HeaderMap) -> Option<String> {
    headers
        .get(header::AUTHORIZATION)?
        .to_str()
        .ok()?
        .strip_prefix("Bearer ")
        .map(|t| t.trim().to_string())
}

pub async fn authenticate(
    headers: &HeaderMap,
    state: &AppState,
) -> Result<Option<CurrentUser>, AppError> {
    let (token, via_bearer) = match bearer(headers) {
        Some(t) => (t, true),
        None => match cookie_value(headers, SESSION_COOKIE) {
            Some(t) => (t, false),
            None => return Ok(None),
        },
    };
    let hash = token_hash(&token);
    let found = state.store.session(&hash, state.clock.now()).await?;
    Ok(found.map(|(user, csrf)| CurrentUser {
        user,
        csrf,
        token_hash: hash,
        via_bearer,
    }))
}

/// API extractor: 401 JSON when not signed in.
pub struct ApiUser(pub CurrentUser);

impl FromRequestParts<Arc<AppState>> for ApiUser {
    type Rejection = AppError;
    async fn from_request_parts(
        parts: &mut Parts,
        _state: &Arc<AppState>,
    ) -> Result<Self, AppError> {
        match parts.extensions.get::<CurrentUser>() {
            Some(u) => Ok(ApiUser(u.clone())),
            None => Err(AppError::Unauthenticated),
        }
    }
}

/// Page extractor: redirects to the login page when not signed in.
pub struct PageUser(pub CurrentUser);

impl FromRequestParts<Arc<AppState>> for PageUser {
    type Rejection = Response;
    async fn from_request_parts(
        parts: &mut Parts,
        _state: &Arc<AppState>,
    ) -> Result<Self, Response> {
        match parts.extensions.get::<CurrentUser>() {
            Some(u) => Ok(PageUser(u.clone())),
            None => {
                let next = parts
                    .uri
                    .path_and_query()
                    .map(|p| p.as_str())
                    .unwrap_or("/");
                let target = format!("/login?next={}", urlencode(next));
                Err(Redirect::to(&target).into_response())
            }
        }
    }
}

pub fn urlencode(s: &str) -> String {
    serde_urlencoded::to_string([("x", s)])
        .map(|v| v.trim_start_matches("x=").to_string())
        .unwrap_or_default()
}

/// Resolves the session once per request, and refuses cross-site or token-less unsafe
/// requests from cookie sessions (CSRF). Bearer-token requests carry no ambient credential.
pub async fn session_layer(
    State(state): State<Arc<AppState>>,
    req: Request<Body>,
    next: Next,
) -> Response {
    let (mut parts, body) = req.into_parts();
    let user = match authenticate(&parts.headers, &state).await {
        Ok(u) => u,
        Err(e) => return e.into_response(),
    };
    let unsafe_method = !matches!(parts.method, Method::GET | Method::HEAD | Method::OPTIONS);
    if unsafe_method {
        // Same-origin check for every browser POST, signed in or not (login CSRF).
        if let Some(site) = parts
            .headers
            .get("sec-fetch-site")
            .and_then(|v| v.to_str().ok())
            && site == "cross-site"
        {
            return AppError::Forbidden("跨站请求已被拒绝".into()).into_response();
        }
        if let (Some(origin), Some(host)) = (
            parts
                .headers
                .get(header::ORIGIN)
                .and_then(|v| v.to_str().ok()),
            parts
                .headers
                .get(header::HOST)
                .and_then(|v| v.to_str().ok()),
        ) {
            let origin_host = origin.split("://").nth(1).unwrap_or("");
            if origin != "null" && origin_host != host {
                return AppError::Forbidden("跨站请求已被拒绝".into()).into_response();
            }
        }
    }
    let body = if let Some(u) = &user
        && unsafe_method
        && !u.via_bearer
    {
        let header_token = parts
            .headers
            .get(CSRF_HEADER)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        let is_form = parts
            .headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|c| c.starts_with("application/x-www-form-urlencoded"));
        // File uploads (multipart, too large to buffer here) carry the token in the query string.
        let is_multipart = parts
            .headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|c| c.starts_with("multipart/form-data"));
        let query_token = parts.uri.query().and_then(|q| {
            serde_urlencoded::from_str::<Vec<(String, String)>>(q)
                .ok()?
                .into_iter()
                .find(|(k, _)| k == CSRF_FIELD)
                .map(|(_, v)| v)
        });
        let (ok, body) = if header_token.as_deref() == Some(u.csrf.as_str()) {
            (true, body)
        } else if is_multipart {
            (query_token.as_deref() == Some(u.csrf.as_str()), body)
        } else if is_form {
            match axum::body::to_bytes(body, crate::app::MAX_FORM_BYTES).await {
                Ok(bytes) => {
                    let token = serde_urlencoded::from_bytes::<Vec<(String, String)>>(&bytes)
                        .ok()
                        .and_then(|kv| {
                            kv.into_iter()
                                .find(|(k, _)| k == CSRF_FIELD)
                                .map(|(_, v)| v)
                        });
                    (token.as_deref() == Some(u.csrf.as_str()), Body::from(bytes))
                }
                Err(_) => {
                    return AppError::field("body", "too_large", "提交的内容过大").into_response();
                }
            }
        } else {
            (false, body)
        };
        if !ok {
            return AppError::Forbidden(
                "表单已过期或来源不明（CSRF 校验失败），请刷新页面后重试".into(),
            )
            .into_response();
        }
        body
    } else {
        body
    };
    if let Some(u) = user {
        parts.extensions.insert(u);
    }
    next.run(Request::from_parts(parts, body)).await
}

pub fn session_cookie(token: &str, secure: bool, max_age_secs: i64) -> String {
    format!(
        "{SESSION_COOKIE}={token}; Path=/; HttpOnly; SameSite=Strict; Max-Age={max_age_secs}{}",
        if secure { "; Secure" } else { "" }
    )
}

pub fn clear_cookie() -> String {
    format!("{SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0")
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
