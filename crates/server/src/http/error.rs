//! The one place where the use cases' error becomes an HTTP answer: each kind of
//! `xinfang_app::error::AppError` has its status, and the body is the JSON error
//! `{"code", "message", "field"}`. Database details are logged, never shown.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
pub use xinfang_app::error::{AppError, AppResult, ErrorBody, ErrorItem};

/// An `AppError` on its way out of an API handler.
#[derive(Debug)]
pub struct ApiError(pub AppError);

pub type ApiResult<T> = Result<T, ApiError>;

pub fn status(e: &AppError) -> StatusCode {
    match e {
        AppError::Invalid(_) => StatusCode::UNPROCESSABLE_ENTITY,
        AppError::Unauthenticated => StatusCode::UNAUTHORIZED,
        AppError::Forbidden(_) => StatusCode::FORBIDDEN,
        AppError::NotFound(_) => StatusCode::NOT_FOUND,
        AppError::Conflict(_) => StatusCode::CONFLICT,
        AppError::TooManyRequests(_) => StatusCode::TOO_MANY_REQUESTS,
        AppError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
        AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

impl<E> From<E> for ApiError
where
    AppError: From<E>,
{
    fn from(e: E) -> Self {
        ApiError(AppError::from(e))
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        if let AppError::Internal(detail) = &self.0 {
            tracing::error!(%detail, "internal error");
        }
        (status(&self.0), axum::Json(self.0.body())).into_response()
    }
}

/// For the places (middleware, fallbacks) that answer with an error directly.
pub fn response(e: AppError) -> Response {
    ApiError(e).into_response()
}
