//! Members: `GET, POST /members`, `PATCH, DELETE /members/{id}`.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::Serialize;
use utoipa::ToSchema;

use crate::db;
use crate::db::members::Member;
use crate::domain::member::{MemberChangesInput, NewMemberInput};
use crate::domain::page::{Page, PageQuery};
use crate::error::ApiResult;
use crate::http::AppState;
use crate::http::extract::{ApiCaller, ApiJson, ApiQuery, NoIdempotencyKey, ResourceId};
use crate::http::openapi::ConflictResponse;

/// The organization's members, in the order they joined.
#[utoipa::path(
get, path = "/members", tag = "members", operation_id = "list_members",
    params(PageQuery),
    responses((status = OK, body = Page<Member>))
)]
#[tracing::instrument(skip_all)]
pub async fn list(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    ApiQuery(query): ApiQuery<PageQuery>,
) -> ApiResult<Json<Page<Member>>> {
    let page = query.parse()?;
    Ok(Json(db::members::list(&state.tenant(&caller), &page).await?))
}

/// A member just added: the member, and the one-time invitation link when there was no password.
#[derive(Serialize, ToSchema)]
pub struct AddedMember {
    #[serde(flatten)]
    member: Member,
    /// Without a password: the one-time link where they choose one.
    invite_url: Option<String>,
}

/// Adds a member (admins); without a password the answer carries a one-time invitation link.
#[utoipa::path(
post, path = "/members", tag = "members", operation_id = "add_member",
    request_body = NewMemberInput,
    responses((status = CREATED, body = AddedMember), ConflictResponse)
)]
#[tracing::instrument(skip_all)]
pub async fn create(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    _: NoIdempotencyKey,
    ApiJson(input): ApiJson<NewMemberInput>,
) -> ApiResult<(StatusCode, Json<AddedMember>)> {
    let added = db::members::add(&state.tenant(&caller), &caller, input.parse()?).await?;
    Ok((
        StatusCode::CREATED,
        Json(AddedMember {
            member: added.member,
            invite_url: added.invite_token.map(|token| state.invite_url(&token)),
        }),
    ))
}

/// Changes a member's role or name (admins).
#[utoipa::path(
patch, path = "/members/{id}", tag = "members", operation_id = "update_member",
    params(ResourceId),
    request_body = MemberChangesInput,
    responses((status = OK, body = Member), ConflictResponse)
)]
#[tracing::instrument(skip_all, fields(member_id = %id))]
pub async fn update(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    ResourceId(id): ResourceId,
    ApiJson(input): ApiJson<MemberChangesInput>,
) -> ApiResult<Json<Member>> {
    let changes = input.parse()?;
    Ok(Json(
        db::members::update(&state.tenant(&caller), &caller, id, changes).await?,
    ))
}

/// Removes a member from the organization (admins).
#[utoipa::path(
delete, path = "/members/{id}", tag = "members", operation_id = "remove_member",
    params(ResourceId),
    responses((status = NO_CONTENT, description = "Removed from the organization"), ConflictResponse)
)]
#[tracing::instrument(skip_all, fields(member_id = %id))]
pub async fn delete(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    ResourceId(id): ResourceId,
) -> ApiResult<StatusCode> {
    db::members::remove(&state.tenant(&caller), &caller, id).await?;
    Ok(StatusCode::NO_CONTENT)
}
