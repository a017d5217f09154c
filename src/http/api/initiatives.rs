//! Initiatives: `GET, POST /initiatives`, `GET, PATCH, DELETE /initiatives/{id}`, and their
//! history: `GET, POST /initiatives/{id}/updates` (append-only: no route edits or deletes it).

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;

use super::{create_once, versioned};
use crate::db;
use crate::db::initiatives::InitiativeJson;
use crate::db::status_updates::StatusUpdate;
use crate::domain::initiative::{InitiativeChanges, InitiativeQuery};
use crate::domain::page::{Page, PageQuery};
use crate::domain::status_update::StatusUpdateInput;
use crate::error::ApiResult;
use crate::http::AppState;
use crate::http::extract::{ApiCaller, ApiJson, ApiQuery, CreateJson, IfMatch, ResourceId};
use crate::http::openapi::IdempotencyKeyHeader;

/// Initiatives, filtered (`portfolio_id` means its whole subtree), newest first.
#[utoipa::path(
get, path = "/initiatives", tag = "initiatives", operation_id = "list_initiatives",
    params(InitiativeQuery),
    responses((status = OK, body = Page<InitiativeJson>))
)]
#[tracing::instrument(skip_all)]
pub async fn list(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    ApiQuery(query): ApiQuery<InitiativeQuery>,
) -> ApiResult<Json<Page<InitiativeJson>>> {
    let (filter, page) = query.parse()?;
    let found = db::initiatives::list(&state.tenant(&caller), &filter, &page).await?;
    Ok(Json(found.map(InitiativeJson::from)))
}

/// One initiative, with its RICE score.
#[utoipa::path(
get, path = "/initiatives/{id}", tag = "initiatives", operation_id = "get_initiative",
    params(ResourceId),
    responses((status = OK, body = InitiativeJson, headers(("ETag" = String))))
)]
#[tracing::instrument(skip_all, fields(initiative_id = %id))]
pub async fn get(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    ResourceId(id): ResourceId,
) -> ApiResult<Response> {
    let initiative = db::initiatives::get(&state.tenant(&caller), id).await?;
    Ok(versioned(
        StatusCode::OK,
        initiative.version,
        InitiativeJson::from(initiative),
    ))
}

/// Creates an initiative in a portfolio the caller may edit.
#[utoipa::path(
post, path = "/initiatives", tag = "initiatives", operation_id = "create_initiative",
    params(IdempotencyKeyHeader),
    request_body = InitiativeChanges,
    responses((status = CREATED, body = InitiativeJson, headers(("ETag" = String))))
)]
#[tracing::instrument(skip_all)]
pub async fn create(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    CreateJson { input, key }: CreateJson<InitiativeChanges>,
) -> ApiResult<Response> {
    create_once(&state, &caller, key, |tx, caller| {
        Box::pin(async move {
            let initiative = db::initiatives::create(tx, caller, input, None).await?;
            Ok((initiative.version, InitiativeJson::from(initiative)))
        })
    })
    .await
}

/// Changes an initiative; fields left out keep their value, `null` clears a nullable one.
#[utoipa::path(
patch, path = "/initiatives/{id}", tag = "initiatives", operation_id = "update_initiative",
    params(ResourceId, IfMatch),
    request_body = InitiativeChanges,
    responses((status = OK, body = InitiativeJson, headers(("ETag" = String))))
)]
#[tracing::instrument(skip_all, fields(initiative_id = %id))]
pub async fn update(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    ResourceId(id): ResourceId,
    IfMatch(expected): IfMatch,
    ApiJson(changes): ApiJson<InitiativeChanges>,
) -> ApiResult<Response> {
    let initiative =
        db::initiatives::update(&state.tenant(&caller), &caller, id, expected, changes, None).await?;
    Ok(versioned(
        StatusCode::OK,
        initiative.version,
        InitiativeJson::from(initiative),
    ))
}

/// Deletes an initiative (needs edit rights on its portfolio).
#[utoipa::path(
delete, path = "/initiatives/{id}", tag = "initiatives", operation_id = "delete_initiative",
    params(ResourceId, IfMatch),
    responses((status = NO_CONTENT, description = "Deleted"))
)]
#[tracing::instrument(skip_all, fields(initiative_id = %id))]
pub async fn delete(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    ResourceId(id): ResourceId,
    IfMatch(expected): IfMatch,
) -> ApiResult<StatusCode> {
    db::initiatives::delete(&state.tenant(&caller), &caller, id, expected).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `POST /initiatives/{id}/updates`: 201 with the recorded update, and the initiative's new
/// `ETag` so that a client can go on without reading it again.
#[utoipa::path(
post, path = "/initiatives/{id}/updates", tag = "initiatives", operation_id = "record_status_update",
    params(ResourceId, IfMatch, IdempotencyKeyHeader),
    request_body = StatusUpdateInput,
    responses((status = CREATED, description = "The recorded update; `ETag` is the initiative's new version", body = StatusUpdate, headers(("ETag" = String))))
)]
#[tracing::instrument(skip_all, fields(initiative_id = %id))]
pub async fn record_update(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    ResourceId(id): ResourceId,
    IfMatch(expected): IfMatch,
    CreateJson { input, key }: CreateJson<StatusUpdateInput>,
) -> ApiResult<Response> {
    create_once(&state, &caller, key, |tx, caller| {
        Box::pin(async move {
            let (initiative, update) =
                db::initiatives::record_status_update(tx, caller, id, expected, input).await?;
            Ok((initiative.version, update))
        })
    })
    .await
}

/// `GET /initiatives/{id}/updates`: the history, newest first.
#[utoipa::path(
get, path = "/initiatives/{id}/updates", tag = "initiatives", operation_id = "list_status_updates",
    params(ResourceId, PageQuery),
    responses((status = OK, body = Page<StatusUpdate>))
)]
#[tracing::instrument(skip_all, fields(initiative_id = %id))]
pub async fn history(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    ResourceId(id): ResourceId,
    ApiQuery(query): ApiQuery<PageQuery>,
) -> ApiResult<Json<Page<StatusUpdate>>> {
    let page = query.parse()?;
    // Another organization's initiative answers 404 like a missing one, not an empty history.
    let initiative = db::initiatives::get(&state.tenant(&caller), id).await?;
    Ok(Json(
        db::status_updates::list(&state.tenant(&caller), initiative.id, &page).await?,
    ))
}
