//! Dependencies (SPEC §10): `GET /initiatives/{id}/dependencies` and
//! `PUT, DELETE /initiatives/{id}/dependencies/{blocker_id}`.

use axum::Json;
use axum::extract::{FromRequestParts, State};
use axum::http::StatusCode;
use axum::http::request::Parts;
use utoipa::IntoParams;
use utoipa::openapi::path::{Parameter, ParameterIn};
use uuid::Uuid;

use crate::db;
use crate::db::dependencies::Dependencies;
use crate::error::{ApiError, ApiResult};
use crate::http::AppState;
use crate::http::extract::{ApiCaller, ResourceId, ResourceIds};
use crate::http::openapi::path_id;

/// `/initiatives/{id}/dependencies/{blocker_id}`: the dependent and its blocker, each 404 when it
/// is not a UUID.
pub struct LinkPath(Uuid, Uuid);

impl<S: Send + Sync> FromRequestParts<S> for LinkPath {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let ResourceIds(id, blocker_id) = ResourceIds::from_request_parts(parts, state).await?;
        Ok(LinkPath(id, blocker_id))
    }
}

impl IntoParams for LinkPath {
    fn into_params(_: impl Fn() -> Option<ParameterIn>) -> Vec<Parameter> {
        vec![
            path_id("id", "The dependent initiative's id"),
            path_id("blocker_id", "The id of the initiative it waits for"),
        ]
    }
}

/// What the initiative waits for and what waits for it, each link marked when it is in conflict
/// (the blocker open and due on or after the dependent's start).
#[utoipa::path(
get, path = "/initiatives/{id}/dependencies", tag = "dependencies", operation_id = "list_dependencies",
    params(ResourceId),
    responses((status = OK, body = Dependencies))
)]
#[tracing::instrument(skip_all, fields(initiative_id = %id))]
pub async fn list(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    ResourceId(id): ResourceId,
) -> ApiResult<Json<Dependencies>> {
    let pool = state.tenant(&caller);
    // An unknown initiative is 404, not an empty list.
    let initiative = db::initiatives::get(&pool, id).await?;
    Ok(Json(
        db::dependencies::of(&pool, caller.org_id, initiative.id).await?,
    ))
}

/// Makes the initiative wait for `blocker_id` (any initiative of the organization), for whoever may
/// edit it; setting a link twice is harmless. A link that would close a cycle answers 409.
#[utoipa::path(
put, path = "/initiatives/{id}/dependencies/{blocker_id}", tag = "dependencies", operation_id = "put_dependency",
    params(LinkPath),
    responses((status = OK, body = Dependencies, description = "The initiative's links after the change"))
)]
#[tracing::instrument(skip_all, fields(initiative_id = %id, blocker_id = %blocker_id))]
pub async fn put(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    LinkPath(id, blocker_id): LinkPath,
) -> ApiResult<Json<Dependencies>> {
    Ok(Json(
        db::dependencies::put(&state.tenant(&caller), &caller, id, blocker_id).await?,
    ))
}

/// Removes the link, for whoever may edit the dependent; 404 when there is none.
#[utoipa::path(
delete, path = "/initiatives/{id}/dependencies/{blocker_id}", tag = "dependencies", operation_id = "delete_dependency",
    params(LinkPath),
    responses((status = NO_CONTENT, description = "Removed"))
)]
#[tracing::instrument(skip_all, fields(initiative_id = %id, blocker_id = %blocker_id))]
pub async fn delete(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    LinkPath(id, blocker_id): LinkPath,
) -> ApiResult<StatusCode> {
    db::dependencies::delete(&state.tenant(&caller), &caller, id, blocker_id).await?;
    Ok(StatusCode::NO_CONTENT)
}
