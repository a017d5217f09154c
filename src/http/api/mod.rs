//! The JSON API, v1 (SPEC §6): one module per resource.

pub mod accounts;

use crate::error::{ApiError, AppError};

/// Unknown API paths answer problem+json, not the HTML 404 page.
pub async fn not_found() -> ApiError {
    ApiError(AppError::NotFound)
}
