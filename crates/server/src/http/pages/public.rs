//! The public site under `/public` (issue 20): no staff session, mobile first, Simplified
//! Chinese, nothing from outside. Every page extends `templates/public/base.html`, which later
//! public pages (published replies at `/public/published`) reuse. Handlers call the use cases of
//! `xinfang_app::public`; a wrong query combination says only that nothing matches.

use std::collections::HashMap;
use std::sync::Arc;

use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::{Form, Request, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use xinfang_app::context::AppState;
use xinfang_app::public::{self as svc, Acknowledgement, Attachment, Caller};
use xinfang_domain::catalog;
use xinfang_domain::public::{OnlinePetitionInput, PublicStatus, RatingInput};

use crate::http::auth::PublicCaller;
use crate::http::error::AppError;
use crate::http::pages::{Pairs, S};

pub struct PublicLayout {
    pub bureau_name: String,
}

pub(crate) fn layout(state: &AppState) -> PublicLayout {
    PublicLayout {
        bureau_name: state.bureau.name.clone(),
    }
}

fn form_map(pairs: Pairs) -> HashMap<String, String> {
    pairs.into_iter().collect()
}

fn field(f: &HashMap<String, String>, k: &str) -> String {
    f.get(k).cloned().unwrap_or_default()
}

fn flag(f: &HashMap<String, String>, k: &str) -> bool {
    matches!(f.get(k).map(String::as_str), Some("on" | "true" | "1"))
}

/// The form's field a message points at.
fn anchor(field: &Option<String>) -> String {
    match field.as_deref() {
        Some(f) if f.starts_with("file") => "file".into(),
        Some(f) if !f.is_empty() => f.to_string(),
        _ => "main".into(),
    }
}

fn messages(e: &AppError) -> Vec<(String, String)> {
    match e {
        AppError::Invalid(errors) => errors
            .iter()
            .map(|x| (anchor(&x.field), x.message.clone()))
            .collect(),
        other => vec![("main".into(), other.body().message)],
    }
}

fn status_code(e: &AppError) -> StatusCode {
    crate::http::error::status(e)
}

#[derive(Template, WebTemplate)]
#[template(path = "public/error.html")]
struct ErrorPage {
    layout: PublicLayout,
    heading: String,
    message: String,
}

pub(crate) fn error_page(state: &AppState, e: AppError) -> Response {
    let status = status_code(&e);
    let page = ErrorPage {
        layout: layout(state),
        heading: match status {
            StatusCode::TOO_MANY_REQUESTS => "请稍后再试".into(),
            StatusCode::NOT_FOUND => "没有找到".into(),
            _ => "出错了".into(),
        },
        message: e.body().message,
    };
    (status, page).into_response()
}

#[derive(Template, WebTemplate)]
#[template(path = "public/home.html")]
struct HomePage {
    layout: PublicLayout,
    rating_window_days: u32,
}

async fn home(State(state): S) -> Response {
    HomePage {
        layout: layout(&state),
        rating_window_days: state.config.rating_window_days,
    }
    .into_response()
}

#[derive(Template, WebTemplate)]
#[template(path = "public/phone.html")]
struct PhonePage {
    layout: PublicLayout,
    phone: String,
    errors: Vec<(String, String)>,
}

async fn phone_page(State(state): S) -> Response {
    PhonePage {
        layout: layout(&state),
        phone: String::new(),
        errors: Vec::new(),
    }
    .into_response()
}

#[derive(Template, WebTemplate)]
#[template(path = "public/submit.html")]
struct SubmitPage {
    layout: PublicLayout,
    values: HashMap<String, String>,
    errors: Vec<(String, String)>,
    sent_to: String,
    minutes: i64,
    had_files: bool,
    id_types: Vec<(&'static str, &'static str)>,
    townships: Vec<(String, String)>,
    max_files: usize,
    max_mb: usize,
}

impl SubmitPage {
    fn v(&self, k: &str) -> &str {
        self.values.get(k).map(String::as_str).unwrap_or("")
    }
    fn checked(&self, k: &str) -> bool {
        matches!(self.v(k), "on" | "true" | "1")
    }
}

async fn submit_page(
    state: &AppState,
    values: HashMap<String, String>,
    errors: Vec<(String, String)>,
    sent_to: String,
    had_files: bool,
) -> Result<SubmitPage, AppError> {
    Ok(SubmitPage {
        layout: layout(state),
        values,
        errors,
        sent_to,
        minutes: xinfang_domain::public::PHONE_CODE_MINUTES,
        had_files,
        id_types: catalog::ID_TYPES
            .iter()
            .copied()
            .filter(|(v, _)| *v != "none")
            .collect(),
        townships: svc::townships(state).await?,
        max_files: xinfang_domain::public::MAX_ATTACHMENTS,
        max_mb: state.config.max_scan_bytes / (1024 * 1024),
    })
}

async fn phone_code_submit(
    State(state): S,
    PublicCaller(caller): PublicCaller,
    Form(f): Form<Pairs>,
) -> Response {
    let f = form_map(f);
    let phone = field(&f, "phone");
    match svc::request_phone_code(&state, &caller, &phone).await {
        Ok(sent) => {
            let mut values = HashMap::new();
            values.insert("phone".to_string(), phone.trim().to_string());
            values.insert("one_matter".to_string(), String::new());
            match submit_page(&state, values, Vec::new(), sent.phone, false).await {
                Ok(p) => p.into_response(),
                Err(e) => error_page(&state, e),
            }
        }
        Err(e @ AppError::Invalid(_)) => (
            StatusCode::UNPROCESSABLE_ENTITY,
            PhonePage {
                layout: layout(&state),
                phone,
                errors: messages(&e),
            },
        )
            .into_response(),
        Err(e) => error_page(&state, e),
    }
}

/// The online petition from the form's fields.
pub fn petition_input(f: &HashMap<String, String>) -> OnlinePetitionInput {
    OnlinePetitionInput {
        name: field(f, "name"),
        id_type: field(f, "id_type"),
        id_number: field(f, "id_number"),
        phone: field(f, "phone"),
        phone_code: field(f, "phone_code"),
        email: field(f, "email"),
        address: field(f, "address"),
        township: field(f, "township"),
        issue_region: field(f, "issue_region"),
        summary: field(f, "summary"),
        requests: field(f, "requests"),
        consent_to_publish: flag(f, "consent_to_publish"),
        one_matter: flag(f, "one_matter"),
    }
}

/// Reads a multipart body (within the public upload limit) into its text fields and files.
pub async fn read_petition_form(
    state: &AppState,
    req: Request,
) -> Result<(HashMap<String, String>, Vec<Attachment>), AppError> {
    let content_type = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    let limit = public_body_limit(state);
    let raw = crate::http::api::read_limited_body(req.into_body(), limit).await?;
    let boundary = crate::http::multipart::boundary(&content_type).ok_or_else(|| {
        AppError::field(
            "file",
            "invalid_multipart",
            "表单须以 multipart/form-data 提交",
        )
    })?;
    let fields = crate::http::multipart::parse(&raw, &boundary)
        .ok_or_else(|| AppError::field("file", "invalid_multipart", "上传的表单格式无效"))?;
    let mut values = HashMap::new();
    let mut files = Vec::new();
    for fd in fields {
        match fd.file_name {
            Some(name) if fd.name == "file" => {
                // A file input left empty still sends an empty part without a name.
                if !(name.is_empty() && fd.data.is_empty()) {
                    files.push(Attachment {
                        file_name: name,
                        bytes: fd.data,
                    });
                }
            }
            _ => {
                values.insert(fd.name, String::from_utf8_lossy(&fd.data).into_owned());
            }
        }
    }
    Ok((values, files))
}

/// The largest body of an online petition: every attachment at the scan limit, and the form.
pub fn public_body_limit(state: &AppState) -> usize {
    xinfang_domain::public::MAX_ATTACHMENTS * state.config.max_scan_bytes + 1024 * 1024
}

#[derive(Template, WebTemplate)]
#[template(path = "public/acknowledgement.html")]
struct AcknowledgementPage {
    layout: PublicLayout,
    ack: Acknowledgement,
}

async fn petition_submit(
    State(state): S,
    PublicCaller(caller): PublicCaller,
    req: Request,
) -> Response {
    let (values, files) = match read_petition_form(&state, req).await {
        Ok(x) => x,
        Err(e) => return error_page(&state, e),
    };
    let input = petition_input(&values);
    match svc::submit(&state, &caller, &input, &files).await {
        Ok(ack) => (
            StatusCode::CREATED,
            AcknowledgementPage {
                layout: layout(&state),
                ack,
            },
        )
            .into_response(),
        Err(e @ AppError::Invalid(_)) => {
            let errors = messages(&e);
            match submit_page(&state, values, errors, String::new(), !files.is_empty()).await {
                Ok(p) => (StatusCode::UNPROCESSABLE_ENTITY, p).into_response(),
                Err(e) => error_page(&state, e),
            }
        }
        Err(e) => error_page(&state, e),
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "public/query.html")]
struct QueryPage {
    layout: PublicLayout,
    query_code: String,
    message: String,
}

async fn query_page(State(state): S) -> Response {
    QueryPage {
        layout: layout(&state),
        query_code: String::new(),
        message: String::new(),
    }
    .into_response()
}

/// The query form again, with what went wrong: the same words for a wrong code and a wrong
/// last four.
fn query_again(state: &AppState, code: &str, e: AppError) -> Response {
    let status = status_code(&e);
    let message = match &e {
        AppError::Invalid(errors) => errors
            .iter()
            .map(|x| x.message.clone())
            .collect::<Vec<_>>()
            .join("；"),
        other => other.body().message,
    };
    (
        status,
        QueryPage {
            layout: layout(state),
            query_code: code.chars().take(12).collect(),
            message,
        },
    )
        .into_response()
}

#[derive(Template, WebTemplate)]
#[template(path = "public/status.html")]
struct StatusPage {
    layout: PublicLayout,
    s: PublicStatus,
    query_code: String,
    last4: String,
    flash: String,
    errors: Vec<(String, String)>,
}

fn status_page(
    state: &AppState,
    s: PublicStatus,
    f: &HashMap<String, String>,
    flash: &str,
    errors: Vec<(String, String)>,
) -> Response {
    StatusPage {
        layout: layout(state),
        s,
        query_code: field(f, "query_code").trim().to_uppercase(),
        last4: field(f, "last4").trim().to_uppercase(),
        flash: flash.into(),
        errors,
    }
    .into_response()
}

async fn query_submit(
    State(state): S,
    PublicCaller(caller): PublicCaller,
    Form(f): Form<Pairs>,
) -> Response {
    let f = form_map(f);
    let code = field(&f, "query_code");
    match svc::query(&state, &caller, &code, &field(&f, "last4")).await {
        Ok(s) => status_page(&state, s, &f, "", Vec::new()),
        Err(e) => query_again(&state, &code, e),
    }
}

async fn document_submit(
    State(state): S,
    PublicCaller(caller): PublicCaller,
    Form(f): Form<Pairs>,
) -> Response {
    let f = form_map(f);
    let code = field(&f, "query_code");
    match svc::document(
        &state,
        &caller,
        &code,
        &field(&f, "last4"),
        &field(&f, "document_id"),
    )
    .await
    {
        Ok((name, bytes)) => pdf(&name, bytes),
        Err(e) => query_again(&state, &code, e),
    }
}

/// A PDF for the petitioner, never cached.
pub fn pdf(name: &str, bytes: Vec<u8>) -> Response {
    (
        [
            (header::CONTENT_TYPE, "application/pdf".to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!(
                    "inline; filename=\"document.pdf\"; filename*=UTF-8''{}",
                    crate::http::auth::urlencode(name)
                ),
            ),
            (header::CACHE_CONTROL, "private, no-store".to_string()),
        ],
        bytes,
    )
        .into_response()
}

/// A step on the status page (rating, 复查): on bad input the page again with its messages.
async fn status_step(
    state: &AppState,
    caller: &Caller,
    f: &HashMap<String, String>,
    result: Result<PublicStatus, AppError>,
    done: &str,
) -> Response {
    let code = field(f, "query_code");
    match result {
        Ok(s) => status_page(state, s, f, done, Vec::new()),
        Err(e @ (AppError::Invalid(_) | AppError::Conflict(_))) => {
            match svc::query(state, caller, &code, &field(f, "last4")).await {
                Ok(s) => {
                    let status = status_code(&e);
                    let mut r = status_page(state, s, f, "", messages(&e));
                    *r.status_mut() = status;
                    r
                }
                Err(e) => query_again(state, &code, e),
            }
        }
        Err(e) => query_again(state, &code, e),
    }
}

async fn rate_submit(
    State(state): S,
    PublicCaller(caller): PublicCaller,
    Form(f): Form<Pairs>,
) -> Response {
    let f = form_map(f);
    let input = RatingInput {
        bureau: field(&f, "bureau"),
        unit: field(&f, "unit"),
        comment: field(&f, "comment"),
    };
    let r = svc::rate(
        &state,
        &caller,
        &field(&f, "query_code"),
        &field(&f, "last4"),
        &input,
    )
    .await;
    status_step(&state, &caller, &f, r, "评价已提交，感谢您的反馈。").await
}

async fn reexamination_submit(
    State(state): S,
    PublicCaller(caller): PublicCaller,
    Form(f): Form<Pairs>,
) -> Response {
    let f = form_map(f);
    let r = svc::request_reexamination(
        &state,
        &caller,
        &field(&f, "query_code"),
        &field(&f, "last4"),
        &svc::ReexaminationInput {
            reason: field(&f, "reason"),
        },
    )
    .await;
    status_step(&state, &caller, &f, r, "复查申请已提交，我们将依法办理。").await
}

/// The public pages. `/public/published` is left for the published replies (issue 19).
pub fn router() -> Router<Arc<AppState>> {
    Router::new()
        .route("/public", get(home))
        .route("/public/submit", get(phone_page))
        .route("/public/phone-code", post(phone_code_submit))
        .route("/public/query", get(query_page).post(query_submit))
        .route("/public/document", post(document_submit))
        .route("/public/rate", post(rate_submit))
        .route("/public/reexamination", post(reexamination_submit))
        .merge(super::archives::public_router())
}

/// The online petition form with its attachments: outside the global body limit.
pub fn upload_router() -> Router<Arc<AppState>> {
    Router::new().route("/public/petition", post(petition_submit))
}
