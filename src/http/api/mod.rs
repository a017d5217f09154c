//! The JSON API, v1 (SPEC §6): one module per resource.

pub mod accounts;
pub mod initiatives;
pub mod members;
pub mod objectives;
pub mod organization;
pub mod portfolios;
pub mod themes;
// Roadmaps (issue 6).
pub mod roadmaps;

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use super::extract::etag;
use crate::error::{ApiError, AppError};

/// Unknown API paths answer problem+json, not the HTML 404 page.
pub async fn not_found() -> ApiError {
    ApiError(AppError::NotFound)
}

/// One resource, with the `ETag` a client sends back in `If-Match`.
pub fn versioned(status: StatusCode, version: i64, body: impl Serialize) -> Response {
    (status, etag(version), Json(body)).into_response()
}
