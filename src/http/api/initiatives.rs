//! Initiatives: `GET, POST /initiatives`, `GET, PATCH, DELETE /initiatives/{id}`, and their
//! history: `GET, POST /initiatives/{id}/updates` (append-only: no route edits or deletes it).

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;

use super::versioned;
use crate::db;
use crate::db::initiatives::InitiativeJson;
use crate::db::status_updates::StatusUpdate;
use crate::domain::initiative::{InitiativeChanges, InitiativeQuery};
use crate::domain::page::{Page, PageQuery};
use crate::domain::status_update::StatusUpdateInput;
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
    let found = db::initiatives::list(&state.tenant(caller.org_id), caller.org_id, &filter, &page).await?;
    Ok(Json(found.map(InitiativeJson::from)))
}

#[tracing::instrument(skip_all, fields(initiative_id = %id))]
pub async fn get(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    ResourceId(id): ResourceId,
) -> ApiResult<Response> {
    let initiative = db::initiatives::get(&state.tenant(caller.org_id), caller.org_id, id).await?;
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
    let initiative = db::initiatives::create(&state.tenant(caller.org_id), &caller, changes).await?;
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
    let initiative =
        db::initiatives::update(&state.tenant(caller.org_id), &caller, id, expected, changes).await?;
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
    db::initiatives::delete(&state.tenant(caller.org_id), &caller, id, expected).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `POST /initiatives/{id}/updates`: 201 with the recorded update, and the initiative's new
/// `ETag` so that a client can go on without reading it again.
#[tracing::instrument(skip_all, fields(initiative_id = %id))]
pub async fn record_update(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    ResourceId(id): ResourceId,
    IfMatch(expected): IfMatch,
    ApiJson(input): ApiJson<StatusUpdateInput>,
) -> ApiResult<Response> {
    let (initiative, update) =
        db::initiatives::record_status_update(&state.tenant(caller.org_id), &caller, id, expected, input)
            .await?;
    Ok(versioned(StatusCode::CREATED, initiative.version, update))
}

/// `GET /initiatives/{id}/updates`: the history, newest first.
#[tracing::instrument(skip_all, fields(initiative_id = %id))]
pub async fn history(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    ResourceId(id): ResourceId,
    ApiQuery(query): ApiQuery<PageQuery>,
) -> ApiResult<Json<Page<StatusUpdate>>> {
    let page = query.parse()?;
    // Another organization's initiative answers 404 like a missing one, not an empty history.
    let initiative = db::initiatives::get(&state.tenant(caller.org_id), caller.org_id, id).await?;
    Ok(Json(
        db::status_updates::list(&state.tenant(caller.org_id), caller.org_id, initiative.id, &page).await?,
    ))
}
