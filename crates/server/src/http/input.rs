//! Input no backend can store: the NUL character. PostgreSQL's text refuses it (SQLite keeps it),
//! so one NUL in an id, a query or a body field would answer 500 on one backend and store junk
//! on the other. Every request is checked here once, before any handler: a NUL in the path means
//! no such record (404); in the query, a JSON body or a form, the field is named (422).

use axum::body::{Body, to_bytes};
use axum::extract::Request;
use axum::http::header;
use axum::middleware::Next;
use axum::response::Response;
use serde_json::Value;
use xinfang_app::error::AppError;

use crate::http::MAX_FORM_BYTES;
use crate::http::error::response;

fn has_encoded_nul(s: &str) -> bool {
    s.as_bytes()
        .windows(3)
        .any(|w| w[0] == b'%' && w[1] == b'0' && w[2] == b'0')
}

/// The first form or query field whose name or value carries a NUL.
fn urlencoded_field(s: &str) -> Option<String> {
    form_urlencoded::parse(s.as_bytes())
        .find(|(k, v)| k.contains('\0') || v.contains('\0'))
        .map(|(k, _)| k.replace('\0', ""))
}

/// The path of the first JSON string (or key) carrying a NUL, as `a.b[2]`.
fn json_field(v: &Value, path: &str) -> Option<String> {
    match v {
        Value::String(s) if s.contains('\0') => Some(path.to_string()),
        Value::Array(items) => items
            .iter()
            .enumerate()
            .find_map(|(i, x)| json_field(x, &format!("{path}[{i}]"))),
        Value::Object(map) => map.iter().find_map(|(k, x)| {
            let here = if path.is_empty() {
                k.replace('\0', "")
            } else {
                format!("{path}.{}", k.replace('\0', ""))
            };
            if k.contains('\0') {
                Some(here)
            } else {
                json_field(x, &here)
            }
        }),
        _ => None,
    }
}

fn refused(field: &str) -> Response {
    let field = if field.is_empty() { "body" } else { field };
    response(AppError::field(
        field,
        "nul_character",
        format!("“{field}”含有不允许的空字符（\\0），请删除后重新提交"),
    ))
}

pub async fn reject_nul(req: Request, next: Next) -> Response {
    if has_encoded_nul(req.uri().path()) {
        return response(AppError::not_found());
    }
    if let Some(q) = req.uri().query()
        && has_encoded_nul(q)
    {
        return refused(&urlencoded_field(q).unwrap_or_default());
    }
    let content_type = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_ascii_lowercase();
    let json = content_type.starts_with("application/json");
    let form = content_type.starts_with("application/x-www-form-urlencoded");
    if !json && !form {
        return next.run(req).await;
    }
    let (parts, body) = req.into_parts();
    let Ok(bytes) = to_bytes(body, MAX_FORM_BYTES).await else {
        let mut out = response(AppError::field("body", "too_large", "提交的内容过大"));
        *out.status_mut() = axum::http::StatusCode::PAYLOAD_TOO_LARGE;
        return out;
    };
    let text = String::from_utf8_lossy(&bytes);
    if json && text.contains("\\u0000") {
        // Only a parsed string can tell `\u0000` from an escaped backslash before "u0000".
        if let Ok(v) = serde_json::from_slice::<Value>(&bytes)
            && let Some(field) = json_field(&v, "")
        {
            return refused(&field);
        }
    }
    if form
        && (has_encoded_nul(&text) || text.contains('\0'))
        && let Some(field) = urlencoded_field(&text)
    {
        return refused(&field);
    }
    next.run(Request::from_parts(parts, Body::from(bytes)))
        .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_field_carrying_a_nul() {
        let v: Value = serde_json::from_str(r#"{"a": "x", "b": [{"c": "y\u0000"}]}"#).unwrap();
        assert_eq!(json_field(&v, "").as_deref(), Some("b[0].c"));
        let v: Value = serde_json::from_str(r#"{"a": "\\u0000 is text"}"#).unwrap();
        assert_eq!(json_field(&v, ""), None);
        assert_eq!(urlencoded_field("a=1&note=x%00y").as_deref(), Some("note"));
        assert!(has_encoded_nul("/api/v1/petitions/%00"));
        assert!(!has_encoded_nul("/api/v1/petitions/100"));
    }
}
