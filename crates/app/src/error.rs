//! One error type for every use case, with no HTTP in it: the HTTP layer maps each kind to a
//! status and the JSON error body `{"code", "message", "field"}` once. Database details are
//! logged, never shown.

use serde::Serialize;
use xinfang_domain::FieldError;
use xinfang_store::StoreError;

#[derive(Debug)]
pub enum AppError {
    /// Bad input: 422 with the first field error (all are listed in `errors`).
    Invalid(Vec<FieldError>),
    Unauthenticated,
    Forbidden(String),
    NotFound(String),
    Conflict(String),
    TooManyRequests(String),
    /// The database (or another service the request needs) cannot be reached now: 503, try
    /// again. Nothing was written.
    Unavailable(String),
    Internal(String),
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct ErrorBody {
    /// Stable machine-readable code.
    pub code: String,
    /// The message for the user, in Chinese.
    pub message: String,
    /// JSON path of the offending field, or null.
    pub field: Option<String>,
    /// Every problem found, when there are several.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<ErrorItem>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct ErrorItem {
    pub code: String,
    pub message: String,
    pub field: Option<String>,
}

impl AppError {
    pub fn forbidden() -> Self {
        AppError::Forbidden("您无权执行此操作".into())
    }

    pub fn not_found() -> Self {
        AppError::NotFound("未找到该记录，或您无权查看".into())
    }

    pub fn field(field: &str, code: &'static str, message: impl Into<String>) -> Self {
        AppError::Invalid(vec![FieldError::new(field, code, message)])
    }

    pub fn body(&self) -> ErrorBody {
        let simple = |code: &str, message: &str| ErrorBody {
            code: code.into(),
            message: message.into(),
            field: None,
            errors: Vec::new(),
        };
        match self {
            AppError::Invalid(errors) => {
                let first = errors.first();
                ErrorBody {
                    code: first.map(|e| e.code).unwrap_or("invalid").into(),
                    message: first
                        .map(|e| e.message.clone())
                        .unwrap_or_else(|| "输入有误".into()),
                    field: first.and_then(|e| e.field.clone()),
                    errors: if errors.len() > 1 {
                        errors
                            .iter()
                            .map(|e| ErrorItem {
                                code: e.code.into(),
                                message: e.message.clone(),
                                field: e.field.clone(),
                            })
                            .collect()
                    } else {
                        Vec::new()
                    },
                }
            }
            AppError::Unauthenticated => simple("unauthenticated", "请先登录"),
            AppError::Forbidden(m) => simple("forbidden", m),
            AppError::NotFound(m) => simple("not_found", m),
            AppError::Conflict(m) => simple("conflict", m),
            AppError::TooManyRequests(m) => simple("too_many_requests", m),
            AppError::Unavailable(m) => simple("unavailable", m),
            AppError::Internal(_) => simple("internal", "系统内部错误，请稍后重试或联系管理员"),
        }
    }

    /// Messages for a page's error list.
    pub fn messages(&self) -> Vec<(Option<String>, String)> {
        match self {
            AppError::Invalid(errors) => errors
                .iter()
                .map(|e| (e.field.clone(), e.message.clone()))
                .collect(),
            other => vec![(None, other.body().message)],
        }
    }
}

impl From<FieldError> for AppError {
    fn from(e: FieldError) -> Self {
        if e.code == "forbidden" {
            AppError::Forbidden(e.message)
        } else if e.code == "invalid_transition" {
            AppError::Conflict(e.message)
        } else {
            AppError::Invalid(vec![e])
        }
    }
}

impl From<Vec<FieldError>> for AppError {
    fn from(e: Vec<FieldError>) -> Self {
        AppError::Invalid(e)
    }
}

impl From<xinfang_blobs::BlobError> for AppError {
    fn from(e: xinfang_blobs::BlobError) -> Self {
        AppError::Internal(e.to_string())
    }
}

impl From<StoreError> for AppError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound => AppError::not_found(),
            StoreError::Conflict => AppError::Conflict("该记录刚被他人修改，请刷新后重试".into()),
            // The database is down or restarting: say so at once instead of an internal error.
            StoreError::Db(
                xinfang_store::sqlx::Error::PoolTimedOut
                | xinfang_store::sqlx::Error::PoolClosed
                | xinfang_store::sqlx::Error::Io(_)
                | xinfang_store::sqlx::Error::WorkerCrashed,
            ) => AppError::Unavailable("数据库暂时无法访问，本次操作未保存，请稍后重试".into()),
            // The server ending a connection while it shuts down or starts (SQLSTATE class 08,
            // connection exception; 57P01–57P03, admin or crash shutdown, cannot connect now),
            // or the connection dropping mid-message: the same outage, seen from a connection
            // that was already open.
            StoreError::Db(xinfang_store::sqlx::Error::Database(ref db))
                if db.code().is_some_and(|c| {
                    c.starts_with("08") || matches!(&*c, "57P01" | "57P02" | "57P03")
                }) =>
            {
                AppError::Unavailable("数据库暂时无法访问，本次操作未保存，请稍后重试".into())
            }
            StoreError::Db(xinfang_store::sqlx::Error::Protocol(_)) => {
                AppError::Unavailable("数据库暂时无法访问，本次操作未保存，请稍后重试".into())
            }
            other => AppError::Internal(other.to_string()),
        }
    }
}

impl From<anyhow::Error> for AppError {
    fn from(e: anyhow::Error) -> Self {
        AppError::Internal(format!("{e:#}"))
    }
}

pub type AppResult<T> = Result<T, AppError>;
