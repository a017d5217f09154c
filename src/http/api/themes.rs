//! Themes: `GET, POST /themes`, `GET, PATCH, DELETE /themes/{id}`.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;

use super::{create_once, versioned};
use crate::db;
use crate::db::themes::Theme;
use crate::domain::page::{Page, PageQuery};
use crate::domain::theme::ThemeChanges;
use crate::error::ApiResult;
use crate::http::AppState;
use crate::http::extract::{ApiCaller, ApiJson, ApiQuery, CreateJson, IfMatch, ResourceId};
use crate::http::openapi::{ConflictResponse, IdempotencyKeyHeader};

/// The organization's themes.
#[utoipa::path(
get, path = "/themes", tag = "themes", operation_id = "list_themes",
    params(PageQuery),
    responses((status = OK, body = Page<Theme>))
)]
#[tracing::instrument(skip_all)]
pub async fn list(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    ApiQuery(query): ApiQuery<PageQuery>,
) -> ApiResult<Json<Page<Theme>>> {
    let page = query.parse()?;
    Ok(Json(db::themes::list(&state.tenant(&caller), &page).await?))
}

/// One theme.
#[utoipa::path(
get, path = "/themes/{id}", tag = "themes", operation_id = "get_theme",
    params(ResourceId),
    responses((status = OK, body = Theme, headers(("ETag" = String))))
)]
#[tracing::instrument(skip_all, fields(theme_id = %id))]
pub async fn get(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    ResourceId(id): ResourceId,
) -> ApiResult<Response> {
    let theme = db::themes::get(&state.tenant(&caller), id).await?;
    Ok(versioned(StatusCode::OK, theme.version, theme))
}

/// Creates a theme (admins).
#[utoipa::path(
post, path = "/themes", tag = "themes", operation_id = "create_theme",
    params(IdempotencyKeyHeader),
    request_body = ThemeChanges,
    responses((status = CREATED, body = Theme, headers(("ETag" = String))), ConflictResponse)
)]
#[tracing::instrument(skip_all)]
pub async fn create(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    CreateJson { input, key }: CreateJson<ThemeChanges>,
) -> ApiResult<Response> {
    create_once(&state, &caller, key, |tx, caller| {
        Box::pin(async move {
            let theme = db::themes::create(tx, caller, input).await?;
            Ok((theme.version, theme))
        })
    })
    .await
}

/// Changes a theme (admins); fields left out keep their value.
#[utoipa::path(
patch, path = "/themes/{id}", tag = "themes", operation_id = "update_theme",
    params(ResourceId, IfMatch),
    request_body = ThemeChanges,
    responses((status = OK, body = Theme, headers(("ETag" = String))), ConflictResponse)
)]
#[tracing::instrument(skip_all, fields(theme_id = %id))]
pub async fn update(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    ResourceId(id): ResourceId,
    IfMatch(expected): IfMatch,
    ApiJson(changes): ApiJson<ThemeChanges>,
) -> ApiResult<Response> {
    let theme = db::themes::update(&state.tenant(&caller), &caller, id, expected, changes).await?;
    Ok(versioned(StatusCode::OK, theme.version, theme))
}

/// Deletes a theme (admins).
#[utoipa::path(
delete, path = "/themes/{id}", tag = "themes", operation_id = "delete_theme",
    params(ResourceId, IfMatch),
    responses((status = NO_CONTENT, description = "Deleted"))
)]
#[tracing::instrument(skip_all, fields(theme_id = %id))]
pub async fn delete(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    ResourceId(id): ResourceId,
    IfMatch(expected): IfMatch,
) -> ApiResult<StatusCode> {
    db::themes::delete(&state.tenant(&caller), &caller, id, expected).await?;
    Ok(StatusCode::NO_CONTENT)
}
