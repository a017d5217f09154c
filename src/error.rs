//! One error type for every handler: rendered as an HTML page for the pages (`http::error_page`),
//! and wrapped as `ApiError` into problem+json (RFC 9457) for the API.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::domain::FieldErrors;

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("The request could not be read: {0}")]
    BadRequest(String),
    #[error("Sign in to continue.")]
    Unauthorized,
    #[error("You may read this but not change it.")]
    Forbidden,
    #[error("Not found.")]
    NotFound,
    #[error("{0}")]
    Conflict(String),
    /// A duplicate of something unique, named by field (an email, a theme name).
    #[error("This conflicts with something that already exists.")]
    Duplicate(FieldErrors),
    #[error("Someone else changed this since you loaded it. Reload and try again.")]
    PreconditionFailed,
    #[error("Some fields are not valid.")]
    Validation(FieldErrors),
    #[error("The request is larger than Cairn accepts.")]
    PayloadTooLarge,
    #[error("Too many attempts. Try again later.")]
    TooManyRequests { retry_after_secs: u64 },
    #[error("The service is briefly unavailable. Try again in a moment.")]
    Unavailable,
    #[error("Something went wrong on our side.")]
    Internal(#[from] anyhow::Error),
}

/// 403 unless a rule of `domain::permissions` allowed it.
pub fn forbidden_unless(allowed: bool) -> Result<(), AppError> {
    if allowed { Ok(()) } else { Err(AppError::Forbidden) }
}

impl AppError {
    pub fn status(&self) -> StatusCode {
        match self {
            AppError::BadRequest(_) => StatusCode::BAD_REQUEST,
            AppError::Unauthorized => StatusCode::UNAUTHORIZED,
            AppError::Forbidden => StatusCode::FORBIDDEN,
            AppError::NotFound => StatusCode::NOT_FOUND,
            AppError::Conflict(_) | AppError::Duplicate(_) => StatusCode::CONFLICT,
            AppError::PreconditionFailed => StatusCode::PRECONDITION_FAILED,
            AppError::Validation(_) => StatusCode::UNPROCESSABLE_ENTITY,
            AppError::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            AppError::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
            AppError::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
            AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// A duplicate value in one field.
    pub fn duplicate(field: &str, message: impl Into<String>) -> AppError {
        AppError::Duplicate(FieldErrors::single(field, message))
    }

    /// The per-field messages a form shows beside its fields.
    pub fn field_errors(&self) -> Option<&FieldErrors> {
        match self {
            AppError::Validation(errors) | AppError::Duplicate(errors) => Some(errors),
            _ => None,
        }
    }

    /// A validation error on one field.
    pub fn field(field: &str, message: impl Into<String>) -> AppError {
        AppError::Validation(FieldErrors::single(field, message))
    }

    pub(crate) fn log(&self) {
        if let AppError::Internal(e) = self {
            tracing::error!(error = ?e, "request failed");
        }
    }

    pub(crate) fn retry_after(&self) -> Option<u64> {
        match self {
            AppError::TooManyRequests { retry_after_secs } => Some(*retry_after_secs),
            AppError::Unavailable => Some(1),
            _ => None,
        }
    }
}

impl From<sqlx::Error> for AppError {
    fn from(error: sqlx::Error) -> Self {
        match error {
            sqlx::Error::RowNotFound => AppError::NotFound,
            error if is_unavailable(&error) => {
                tracing::warn!(%error, "database unavailable");
                AppError::Unavailable
            }
            other => AppError::Internal(other.into()),
        }
    }
}

/// Whether an error means the database cannot be reached right now (down, restarting, out of
/// connections) rather than that the request or the code is wrong: the client may retry.
pub fn is_unavailable(error: &sqlx::Error) -> bool {
    match error {
        sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::Io(_)
        | sqlx::Error::WorkerCrashed => true,
        // SQLSTATE class 08: connection exception; 53300: too many connections; 57P01–57P03:
        // the server is shutting down, crashed, or still starting (a restart, a failover).
        sqlx::Error::Database(db) => db
            .code()
            .is_some_and(|code| code.starts_with("08") || code == "53300" || code.starts_with("57P0")),
        _ => false,
    }
}

impl From<FieldErrors> for AppError {
    fn from(errors: FieldErrors) -> Self {
        AppError::Validation(errors)
    }
}

/// The problem+json rendering, for the API.
#[derive(Debug)]
pub struct ApiError(pub AppError);

impl<E: Into<AppError>> From<E> for ApiError {
    fn from(error: E) -> Self {
        ApiError(error.into())
    }
}

/// An error as the API answers it: an RFC 9457 problem document.
#[derive(serde::Serialize, utoipa::ToSchema)]
#[schema(example = json!({
    "type": "about:blank",
    "title": "Unprocessable Entity",
    "status": 422,
    "detail": "Some fields are not valid.",
    "errors": {"title": ["must not be empty"]}
}))]
pub struct Problem {
    /// Always `about:blank`: the status code says what kind of problem it is.
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub title: &'static str,
    pub status: u16,
    pub detail: String,
    /// Validation errors (422) and duplicates (409): messages per field.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<std::collections::BTreeMap<String, Vec<String>>>)]
    pub errors: Option<FieldErrors>,
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let error = self.0;
        error.log();
        let status = error.status();
        let body = Problem {
            kind: "about:blank",
            title: status.canonical_reason().unwrap_or("Error"),
            status: status.as_u16(),
            detail: error.to_string(),
            errors: error.field_errors().cloned(),
        };
        let body = serde_json::to_string(&body).unwrap_or_default();
        let mut response = (status, body).into_response();
        response.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        );
        add_retry_after(&mut response, error.retry_after());
        if status == StatusCode::UNAUTHORIZED {
            response
                .headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        response
    }
}

pub(crate) fn add_retry_after(response: &mut Response, seconds: Option<u64>) {
    if let Some(seconds) = seconds {
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
    }
}

pub type PageResult<T> = Result<T, AppError>;
pub type ApiResult<T> = Result<T, ApiError>;

/// Turns a violated named constraint into the error a user can act on (a 409, or a 422 naming the
/// field); `pick` answers `None` for constraints it does not know, which stay internal errors.
pub fn map_constraint(error: sqlx::Error, pick: impl Fn(&str) -> Option<AppError>) -> AppError {
    if let sqlx::Error::Database(db) = &error
        && let Some(mapped) = db.constraint().and_then(&pick)
    {
        return mapped;
    }
    error.into()
}
