//! Themes: `GET, POST /themes`, `GET, PATCH, DELETE /themes/{id}`.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;

use super::versioned;
use crate::db;
use crate::db::themes::Theme;
use crate::domain::page::{Page, PageQuery};
use crate::domain::theme::ThemeChanges;
use crate::error::ApiResult;
use crate::http::AppState;
use crate::http::extract::{ApiCaller, ApiJson, ApiQuery, IfMatch, ResourceId};

#[tracing::instrument(skip_all)]
pub async fn list(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    ApiQuery(query): ApiQuery<PageQuery>,
) -> ApiResult<Json<Page<Theme>>> {
    let page = query.parse()?;
    Ok(Json(
        db::themes::list(&state.tenant(caller.org_id), caller.org_id, &page).await?,
    ))
}

#[tracing::instrument(skip_all, fields(theme_id = %id))]
pub async fn get(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    ResourceId(id): ResourceId,
) -> ApiResult<Response> {
    let theme = db::themes::get(&state.tenant(caller.org_id), caller.org_id, id).await?;
    Ok(versioned(StatusCode::OK, theme.version, theme))
}

#[tracing::instrument(skip_all)]
pub async fn create(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    ApiJson(changes): ApiJson<ThemeChanges>,
) -> ApiResult<Response> {
    let theme = db::themes::create(&state.tenant(caller.org_id), &caller, changes).await?;
    Ok(versioned(StatusCode::CREATED, theme.version, theme))
}

#[tracing::instrument(skip_all, fields(theme_id = %id))]
pub async fn update(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    ResourceId(id): ResourceId,
    IfMatch(expected): IfMatch,
    ApiJson(changes): ApiJson<ThemeChanges>,
) -> ApiResult<Response> {
    let theme = db::themes::update(&state.tenant(caller.org_id), &caller, id, expected, changes).await?;
    Ok(versioned(StatusCode::OK, theme.version, theme))
}

#[tracing::instrument(skip_all, fields(theme_id = %id))]
pub async fn delete(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    ResourceId(id): ResourceId,
    IfMatch(expected): IfMatch,
) -> ApiResult<StatusCode> {
    db::themes::delete(&state.tenant(caller.org_id), &caller, id, expected).await?;
    Ok(StatusCode::NO_CONTENT)
}
