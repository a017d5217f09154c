//! The organization's scorecard (SPEC §8): `GET, POST /scorecard/drivers`,
//! `GET, PATCH, DELETE /scorecard/drivers/{id}`, and an initiative's values on its drivers,
//! `GET, PUT /initiatives/{id}/scores`.

use std::collections::BTreeMap;

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use uuid::Uuid;

use super::{create_once, versioned};
use crate::db;
use crate::db::initiatives::InitiativeJson;
use crate::db::scorecard::Driver;
use crate::domain::scorecard::{DriverChanges, DriverValuesInput, NewDriver};
use crate::error::ApiResult;
use crate::http::AppState;
use crate::http::extract::{ApiCaller, ApiJson, CreateJson, IfMatch, ResourceId};
use crate::http::openapi::{ConflictResponse, IdempotencyKeyHeader};

/// The scorecard's drivers, in the order they were added (every member reads them).
#[utoipa::path(
get, path = "/scorecard/drivers", tag = "scorecard", operation_id = "list_scorecard_drivers",
    responses((status = OK, body = Vec<Driver>))
)]
#[tracing::instrument(skip_all)]
pub async fn list(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
) -> ApiResult<Json<Vec<Driver>>> {
    Ok(Json(
        db::scorecard::drivers(&state.tenant(&caller), caller.org_id).await?,
    ))
}

/// One driver.
#[utoipa::path(
get, path = "/scorecard/drivers/{id}", tag = "scorecard", operation_id = "get_scorecard_driver",
    params(ResourceId),
    responses((status = OK, body = Driver, headers(("ETag" = String))))
)]
#[tracing::instrument(skip_all, fields(driver_id = %id))]
pub async fn get(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    ResourceId(id): ResourceId,
) -> ApiResult<Response> {
    let driver = db::scorecard::get(&state.tenant(&caller), id).await?;
    Ok(versioned(StatusCode::OK, driver.version, driver))
}

/// Adds a driver (admins): weight 1 and max 5 unless given.
#[utoipa::path(
post, path = "/scorecard/drivers", tag = "scorecard", operation_id = "create_scorecard_driver",
    params(IdempotencyKeyHeader),
    request_body = NewDriver,
    responses((status = CREATED, body = Driver, headers(("ETag" = String))), ConflictResponse)
)]
#[tracing::instrument(skip_all)]
pub async fn create(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    CreateJson { input, key }: CreateJson<NewDriver>,
) -> ApiResult<Response> {
    create_once(&state, &caller, key, |tx, caller| {
        Box::pin(async move {
            let driver = db::scorecard::create(tx, caller, input.into()).await?;
            Ok((driver.version, driver))
        })
    })
    .await
}

/// Renames, reweighs or rescales a driver (admins); a lower max lowers the values above it to it.
#[utoipa::path(
patch, path = "/scorecard/drivers/{id}", tag = "scorecard", operation_id = "update_scorecard_driver",
    params(ResourceId, IfMatch),
    request_body = DriverChanges,
    responses((status = OK, body = Driver, headers(("ETag" = String))), ConflictResponse)
)]
#[tracing::instrument(skip_all, fields(driver_id = %id))]
pub async fn update(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    ResourceId(id): ResourceId,
    IfMatch(expected): IfMatch,
    ApiJson(changes): ApiJson<DriverChanges>,
) -> ApiResult<Response> {
    let driver = db::scorecard::update(&state.tenant(&caller), &caller, id, expected, changes).await?;
    Ok(versioned(StatusCode::OK, driver.version, driver))
}

/// Deletes a driver and every initiative's value on it (admins).
#[utoipa::path(
delete, path = "/scorecard/drivers/{id}", tag = "scorecard", operation_id = "delete_scorecard_driver",
    params(ResourceId, IfMatch),
    responses((status = NO_CONTENT, description = "Deleted"))
)]
#[tracing::instrument(skip_all, fields(driver_id = %id))]
pub async fn delete(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    ResourceId(id): ResourceId,
    IfMatch(expected): IfMatch,
) -> ApiResult<StatusCode> {
    db::scorecard::delete(&state.tenant(&caller), &caller, id, expected).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// An initiative's value per driver id; drivers without a value are left out.
#[utoipa::path(
get, path = "/initiatives/{id}/scores", tag = "scorecard", operation_id = "get_initiative_scores",
    params(ResourceId),
    responses((status = OK, body = BTreeMap<String, i64>))
)]
#[tracing::instrument(skip_all, fields(initiative_id = %id))]
pub async fn values(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    ResourceId(id): ResourceId,
) -> ApiResult<Json<BTreeMap<Uuid, i16>>> {
    let pool = state.tenant(&caller);
    // An unknown initiative is 404, not an empty set.
    let initiative = db::initiatives::get(&pool, id).await?;
    Ok(Json(
        db::scorecard::values_of(&pool, caller.org_id, initiative.id).await?,
    ))
}

/// Sets an initiative's driver values `{driver_id: value}` (0…the driver's max; null or left out:
/// no value, counting 0). Needs edit rights on the initiative; its version goes up. An unknown
/// driver or a value off its scale answers 422 naming the key, and changes nothing.
#[utoipa::path(
put, path = "/initiatives/{id}/scores", tag = "scorecard", operation_id = "put_initiative_scores",
    params(ResourceId, IfMatch),
    request_body = BTreeMap<String, Option<i64>>,
    responses((status = OK, body = InitiativeJson, headers(("ETag" = String))))
)]
#[tracing::instrument(skip_all, fields(initiative_id = %id))]
pub async fn put_values(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    ResourceId(id): ResourceId,
    IfMatch(expected): IfMatch,
    ApiJson(input): ApiJson<DriverValuesInput>,
) -> ApiResult<Response> {
    let initiative = db::scorecard::put_values(&state.tenant(&caller), &caller, id, expected, &input).await?;
    Ok(versioned(
        StatusCode::OK,
        initiative.version,
        InitiativeJson::from(initiative),
    ))
}
