//! Sessions over HTTP: the token as an HttpOnly SameSite=Strict cookie or a bearer token, the
//! extractors, and CSRF protection for cookie sessions. Passwords, sessions and throttling
//! themselves are `xinfang_app::auth`.

use std::sync::Arc;

use axum::body::Body;
use axum::extract::{FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, Method, Request, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
pub use xinfang_app::auth::CurrentUser;
use xinfang_app::context::AppState;

use crate::http::error::{ApiError, AppError, response};

pub const SESSION_COOKIE: &str = "xf_session";
pub const CSRF_FIELD: &str = "_csrf";
pub const CSRF_HEADER: &str = "x-csrf-token";

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
    xinfang_app::auth::session_user(state, &token, via_bearer).await
}

/// The caller's address as sign-in throttling counts it: the connection's peer. (Behind a
/// reverse proxy every caller shares the proxy's address; the per-account delays still hold.)
pub struct ClientAddr(pub String);

impl<S: Send + Sync> FromRequestParts<S> for ClientAddr {
    type Rejection = std::convert::Infallible;
    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(ClientAddr(
            parts
                .extensions
                .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
                .map(|c| c.0.ip().to_string())
                .unwrap_or_else(|| "unknown".into()),
        ))
    }
}

/// Whether a path belongs to the public site, which never sees a staff session: a staff member
/// signed in in the same browser is an anonymous caller there (and needs no CSRF token).
pub fn is_public_path(path: &str) -> bool {
    path == "/public"
        || path.starts_with("/public/")
        || path.starts_with("/api/v1/public/")
        || path == "/static/public.css"
}

/// An anonymous caller of the public site: its address, from the connection, or from the
/// first `X-Forwarded-For` entry when the deployment trusts its proxy (`trust_forwarded_for`).
pub struct PublicCaller(pub xinfang_app::public::Caller);

impl FromRequestParts<Arc<AppState>> for PublicCaller {
    type Rejection = std::convert::Infallible;
    async fn from_request_parts(
        parts: &mut Parts,
        state: &Arc<AppState>,
    ) -> Result<Self, Self::Rejection> {
        let forwarded = state
            .config
            .trust_forwarded_for
            .then(|| {
                parts
                    .headers
                    .get("x-forwarded-for")
                    .and_then(|v| v.to_str().ok())
                    .and_then(|v| v.split(',').next())
                    .map(|v| v.trim().to_string())
                    .filter(|v| v.parse::<std::net::IpAddr>().is_ok())
            })
            .flatten();
        let address = forwarded.unwrap_or_else(|| {
            parts
                .extensions
                .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
                .map(|c| c.0.ip().to_string())
                .unwrap_or_else(|| "unknown".into())
        });
        Ok(PublicCaller(xinfang_app::public::Caller { address }))
    }
}

/// API extractor: 401 JSON when not signed in.
pub struct ApiUser(pub CurrentUser);

impl FromRequestParts<Arc<AppState>> for ApiUser {
    type Rejection = ApiError;
    async fn from_request_parts(
        parts: &mut Parts,
        _state: &Arc<AppState>,
    ) -> Result<Self, ApiError> {
        match parts.extensions.get::<CurrentUser>() {
            Some(u) => Ok(ApiUser(u.clone())),
            None => Err(ApiError(AppError::Unauthenticated)),
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
    let user = if is_public_path(parts.uri.path()) {
        None
    } else {
        match authenticate(&parts.headers, &state).await {
            Ok(u) => u,
            Err(e) => return response(e),
        }
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
            return response(AppError::Forbidden("跨站请求已被拒绝".into()));
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
                return response(AppError::Forbidden("跨站请求已被拒绝".into()));
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
        // File uploads (multipart, too large to buffer here) carry the token as a form field,
        // checked by the one reader of multipart bodies (`api::read_upload`).
        let is_multipart = parts
            .headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|c| c.starts_with("multipart/form-data"));
        let (ok, body) = if header_token.as_deref() == Some(u.csrf.as_str()) || is_multipart {
            (true, body)
        } else if is_form {
            match axum::body::to_bytes(body, crate::http::MAX_FORM_BYTES).await {
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
                    return response(AppError::field("body", "too_large", "提交的内容过大"));
                }
            }
        } else {
            (false, body)
        };
        if !ok {
            return response(AppError::Forbidden(
                "表单已过期或来源不明（CSRF 校验失败），请刷新页面后重试".into(),
            ));
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
