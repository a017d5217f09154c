//! Members: `GET, POST /members`, `PATCH, DELETE /members/{id}`.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::Serialize;

use crate::db;
use crate::db::members::Member;
use crate::domain::member::{MemberChangesInput, NewMemberInput};
use crate::domain::page::{Page, PageQuery};
use crate::error::ApiResult;
use crate::http::AppState;
use crate::http::extract::{ApiCaller, ApiJson, ApiQuery, ResourceId};

#[tracing::instrument(skip_all)]
pub async fn list(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    ApiQuery(query): ApiQuery<PageQuery>,
) -> ApiResult<Json<Page<Member>>> {
    let page = query.parse()?;
    Ok(Json(
        db::members::list(&state.tenant(caller.org_id), caller.org_id, &page).await?,
    ))
}

/// A member just added: the member, and the one-time invitation link when there was no password.
#[derive(Serialize)]
pub struct AddedMember {
    #[serde(flatten)]
    member: Member,
    invite_url: Option<String>,
}

#[tracing::instrument(skip_all)]
pub async fn create(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    ApiJson(input): ApiJson<NewMemberInput>,
) -> ApiResult<(StatusCode, Json<AddedMember>)> {
    let added = db::members::add(&state.tenant(caller.org_id), &caller, input.parse()?).await?;
    Ok((
        StatusCode::CREATED,
        Json(AddedMember {
            member: added.member,
            invite_url: added.invite_token.map(|token| state.invite_url(&token)),
        }),
    ))
}

#[tracing::instrument(skip_all, fields(member_id = %id))]
pub async fn update(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    ResourceId(id): ResourceId,
    ApiJson(input): ApiJson<MemberChangesInput>,
) -> ApiResult<Json<Member>> {
    let changes = input.parse()?;
    Ok(Json(
        db::members::update(&state.tenant(caller.org_id), &caller, id, changes).await?,
    ))
}

#[tracing::instrument(skip_all, fields(member_id = %id))]
pub async fn delete(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    ResourceId(id): ResourceId,
) -> ApiResult<StatusCode> {
    db::members::remove(&state.tenant(caller.org_id), &caller, id).await?;
    Ok(StatusCode::NO_CONTENT)
}
