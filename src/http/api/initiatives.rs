//! Initiatives: `GET, POST /initiatives`, `GET, PATCH, DELETE /initiatives/{id}`.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;

use super::versioned;
use crate::db;
use crate::db::initiatives::InitiativeJson;
use crate::domain::initiative::{InitiativeChanges, InitiativeQuery};
use crate::domain::page::Page;
use crate::error::ApiResult;
use crate::http::AppState;
use crate::http::extract::{ApiCaller, ApiJson, ApiQuery, IfMatch, ResourceId};

#[tracing::instrument(skip_all)]
pub async fn list(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    ApiQuery(query): ApiQuery<InitiativeQuery>,
) -> ApiResult<Json<Page<InitiativeJson>>> {
    let (filter, page) = query.parse()?;
    let found = db::initiatives::list(&state.pool, caller.org_id, &filter, &page).await?;
    Ok(Json(found.map(InitiativeJson::from)))
}

#[tracing::instrument(skip_all, fields(initiative_id = %id))]
pub async fn get(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    ResourceId(id): ResourceId,
) -> ApiResult<Response> {
    let initiative = db::initiatives::get(&state.pool, caller.org_id, id).await?;
    Ok(versioned(
        StatusCode::OK,
        initiative.version,
        InitiativeJson::from(initiative),
    ))
}

#[tracing::instrument(skip_all)]
pub async fn create(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    ApiJson(changes): ApiJson<InitiativeChanges>,
) -> ApiResult<Response> {
    let initiative = db::initiatives::create(&state.pool, &caller, changes).await?;
    Ok(versioned(
        StatusCode::CREATED,
        initiative.version,
        InitiativeJson::from(initiative),
    ))
}

#[tracing::instrument(skip_all, fields(initiative_id = %id))]
pub async fn update(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    ResourceId(id): ResourceId,
    IfMatch(expected): IfMatch,
    ApiJson(changes): ApiJson<InitiativeChanges>,
) -> ApiResult<Response> {
    let initiative = db::initiatives::update(&state.pool, &caller, id, expected, changes).await?;
    Ok(versioned(
        StatusCode::OK,
        initiative.version,
        InitiativeJson::from(initiative),
    ))
}

#[tracing::instrument(skip_all, fields(initiative_id = %id))]
pub async fn delete(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    ResourceId(id): ResourceId,
    IfMatch(expected): IfMatch,
) -> ApiResult<StatusCode> {
    db::initiatives::delete(&state.pool, &caller, id, expected).await?;
    Ok(StatusCode::NO_CONTENT)
}
