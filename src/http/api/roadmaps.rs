//! Roadmaps and their share links: `GET, POST /roadmaps`, `GET, PATCH, DELETE /roadmaps/{id}`,
//! `GET, POST /roadmaps/{id}/shares`, `DELETE /shares/{id}`.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use super::{create_once, versioned};
use crate::db;
use crate::db::roadmaps::{Roadmap, RoadmapView};
use crate::db::share_links::ShareLink;
use crate::domain::page::{Page, PageQuery};
use crate::domain::roadmap::RoadmapChanges;
use crate::domain::share_link::ShareLinkInput;
use crate::error::ApiResult;
use crate::http::AppState;
use crate::http::extract::{ApiCaller, ApiJson, ApiQuery, CreateJson, IfMatch, NoIdempotencyKey, ResourceId};
use crate::http::openapi::IdempotencyKeyHeader;

/// The organization's saved roadmaps.
#[utoipa::path(
get, path = "/roadmaps", tag = "roadmaps", operation_id = "list_roadmaps",
    params(PageQuery),
    responses((status = OK, body = Page<Roadmap>))
)]
#[tracing::instrument(skip_all)]
pub async fn list(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    ApiQuery(query): ApiQuery<PageQuery>,
) -> ApiResult<Json<Page<Roadmap>>> {
    let page = query.parse()?;
    Ok(Json(db::roadmaps::list(&state.tenant(&caller), &page).await?))
}

/// `{roadmap, lanes}`, with the roadmap's version as the ETag.
#[utoipa::path(
get, path = "/roadmaps/{id}", tag = "roadmaps", operation_id = "get_roadmap",
    params(ResourceId),
    responses((status = OK, body = RoadmapView, headers(("ETag" = String))))
)]
#[tracing::instrument(skip_all, fields(roadmap_id = %id))]
pub async fn get(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    ResourceId(id): ResourceId,
) -> ApiResult<Response> {
    let view = db::roadmaps::view(&state.tenant(&caller), id).await?;
    Ok(versioned(StatusCode::OK, view.roadmap.version, view))
}

/// Saves a roadmap of a portfolio's subtree.
#[utoipa::path(
post, path = "/roadmaps", tag = "roadmaps", operation_id = "create_roadmap",
    params(IdempotencyKeyHeader),
    request_body = RoadmapChanges,
    responses((status = CREATED, body = Roadmap, headers(("ETag" = String))))
)]
#[tracing::instrument(skip_all)]
pub async fn create(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    CreateJson { input, key }: CreateJson<RoadmapChanges>,
) -> ApiResult<Response> {
    create_once(&state, &caller, key, |tx, caller| {
        Box::pin(async move {
            let roadmap = db::roadmaps::create(tx, caller, input).await?;
            Ok((roadmap.version, roadmap))
        })
    })
    .await
}

/// Changes a roadmap.
#[utoipa::path(
patch, path = "/roadmaps/{id}", tag = "roadmaps", operation_id = "update_roadmap",
    params(ResourceId, IfMatch),
    request_body = RoadmapChanges,
    responses((status = OK, body = Roadmap, headers(("ETag" = String))))
)]
#[tracing::instrument(skip_all, fields(roadmap_id = %id))]
pub async fn update(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    ResourceId(id): ResourceId,
    IfMatch(expected): IfMatch,
    ApiJson(changes): ApiJson<RoadmapChanges>,
) -> ApiResult<Response> {
    let roadmap = db::roadmaps::update(&state.tenant(&caller), &caller, id, expected, changes).await?;
    Ok(versioned(StatusCode::OK, roadmap.version, roadmap))
}

/// Deletes a roadmap and its share links.
#[utoipa::path(
delete, path = "/roadmaps/{id}", tag = "roadmaps", operation_id = "delete_roadmap",
    params(ResourceId, IfMatch),
    responses((status = NO_CONTENT, description = "Deleted, with its share links"))
)]
#[tracing::instrument(skip_all, fields(roadmap_id = %id))]
pub async fn delete(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    ResourceId(id): ResourceId,
    IfMatch(expected): IfMatch,
) -> ApiResult<StatusCode> {
    db::roadmaps::delete(&state.tenant(&caller), &caller, id, expected).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A share link just made: its URL and token are shown this once.
#[derive(Serialize, ToSchema)]
pub struct NewShare {
    id: Uuid,
    /// The capability URL: whoever has it may read this roadmap.
    url: String,
    token: String,
    /// Null: never.
    expires_at: Option<DateTime<Utc>>,
}

/// 201 `{id, url, token, expires_at}`: the token is shown this once.
#[utoipa::path(
post, path = "/roadmaps/{id}/shares", tag = "roadmaps", operation_id = "create_share",
    params(ResourceId),
    request_body = ShareLinkInput,
    responses((status = CREATED, body = NewShare))
)]
#[tracing::instrument(skip_all, fields(roadmap_id = %id))]
pub async fn create_share(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    ResourceId(id): ResourceId,
    _: NoIdempotencyKey,
    ApiJson(input): ApiJson<ShareLinkInput>,
) -> ApiResult<Response> {
    let link = db::share_links::create(&state.tenant(&caller), &caller, id, &input).await?;
    let body = NewShare {
        id: link.id,
        url: state.share_url(&link.token),
        token: link.token,
        expires_at: link.expires_at,
    };
    Ok((StatusCode::CREATED, Json(body)).into_response())
}

/// The roadmap's links without their tokens, for its editors.
#[utoipa::path(
get, path = "/roadmaps/{id}/shares", tag = "roadmaps", operation_id = "list_shares",
    params(ResourceId),
    responses((status = OK, description = "Every link of the roadmap, in one page", body = Page<ShareLink>))
)]
#[tracing::instrument(skip_all, fields(roadmap_id = %id))]
pub async fn list_shares(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    ResourceId(id): ResourceId,
) -> ApiResult<Response> {
    let links = db::share_links::list(&state.tenant(&caller), &caller, id).await?;
    // A roadmap has a handful of links: one page holds them all.
    Ok(Json(Page {
        items: links,
        next_cursor: None,
    })
    .into_response())
}

/// Revokes a share link.
#[utoipa::path(
delete, path = "/shares/{id}", tag = "roadmaps", operation_id = "revoke_share",
    params(ResourceId),
    responses((status = NO_CONTENT, description = "Revoked: the link answers 404 from now on (revoking twice is harmless)"))
)]
#[tracing::instrument(skip_all, fields(share_id = %id))]
pub async fn revoke_share(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    ResourceId(id): ResourceId,
) -> ApiResult<StatusCode> {
    db::share_links::revoke(&state.tenant(&caller), &caller, id).await?;
    Ok(StatusCode::NO_CONTENT)
}
