//! Roadmaps and their share links: `GET, POST /roadmaps`, `GET, PATCH, DELETE /roadmaps/{id}`,
//! `GET, POST /roadmaps/{id}/shares`, `DELETE /shares/{id}`.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;

use super::versioned;
use crate::db;
use crate::db::roadmaps::Roadmap;
use crate::domain::page::{Page, PageQuery};
use crate::domain::roadmap::RoadmapChanges;
use crate::domain::share_link::ShareLinkInput;
use crate::error::ApiResult;
use crate::http::AppState;
use crate::http::extract::{ApiCaller, ApiJson, ApiQuery, IfMatch, ResourceId};

#[tracing::instrument(skip_all)]
pub async fn list(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    ApiQuery(query): ApiQuery<PageQuery>,
) -> ApiResult<Json<Page<Roadmap>>> {
    let page = query.parse()?;
    Ok(Json(
        db::roadmaps::list(&state.tenant(caller.org_id), caller.org_id, &page).await?,
    ))
}

/// `{roadmap, lanes}`, with the roadmap's version as the ETag.
#[tracing::instrument(skip_all, fields(roadmap_id = %id))]
pub async fn get(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    ResourceId(id): ResourceId,
) -> ApiResult<Response> {
    let view = db::roadmaps::view(&state.tenant(caller.org_id), caller.org_id, id).await?;
    Ok(versioned(StatusCode::OK, view.roadmap.version, view))
}

#[tracing::instrument(skip_all)]
pub async fn create(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    ApiJson(changes): ApiJson<RoadmapChanges>,
) -> ApiResult<Response> {
    let roadmap = db::roadmaps::create(&state.tenant(caller.org_id), &caller, changes).await?;
    Ok(versioned(StatusCode::CREATED, roadmap.version, roadmap))
}

#[tracing::instrument(skip_all, fields(roadmap_id = %id))]
pub async fn update(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    ResourceId(id): ResourceId,
    IfMatch(expected): IfMatch,
    ApiJson(changes): ApiJson<RoadmapChanges>,
) -> ApiResult<Response> {
    let roadmap = db::roadmaps::update(&state.tenant(caller.org_id), &caller, id, expected, changes).await?;
    Ok(versioned(StatusCode::OK, roadmap.version, roadmap))
}

#[tracing::instrument(skip_all, fields(roadmap_id = %id))]
pub async fn delete(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    ResourceId(id): ResourceId,
    IfMatch(expected): IfMatch,
) -> ApiResult<StatusCode> {
    db::roadmaps::delete(&state.tenant(caller.org_id), &caller, id, expected).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// 201 `{id, url, token, expires_at}`: the token is shown this once.
#[tracing::instrument(skip_all, fields(roadmap_id = %id))]
pub async fn create_share(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    ResourceId(id): ResourceId,
    ApiJson(input): ApiJson<ShareLinkInput>,
) -> ApiResult<Response> {
    let link = db::share_links::create(&state.tenant(caller.org_id), &caller, id, &input).await?;
    let body = json!({
        "id": link.id,
        "url": state.share_url(&link.token),
        "token": link.token,
        "expires_at": link.expires_at,
    });
    Ok((StatusCode::CREATED, Json(body)).into_response())
}

/// The roadmap's links without their tokens, for its editors.
#[tracing::instrument(skip_all, fields(roadmap_id = %id))]
pub async fn list_shares(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    ResourceId(id): ResourceId,
) -> ApiResult<Response> {
    let links = db::share_links::list(&state.tenant(caller.org_id), &caller, id).await?;
    // A roadmap has a handful of links: one page holds them all.
    Ok(Json(json!({"items": links, "next_cursor": null})).into_response())
}

#[tracing::instrument(skip_all, fields(share_id = %id))]
pub async fn revoke_share(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    ResourceId(id): ResourceId,
) -> ApiResult<StatusCode> {
    db::share_links::revoke(&state.tenant(caller.org_id), &caller, id).await?;
    Ok(StatusCode::NO_CONTENT)
}
