//! OKRs: `GET, POST /objectives`, `GET, PATCH, DELETE /objectives/{id}`,
//! `POST /objectives/{id}/key-results`, `GET, PATCH, DELETE /key-results/{id}`, the check-ins of a
//! key result at `GET /key-results/{id}/check-ins`, and `PUT, DELETE
//! /initiatives/{id}/key-results/{kr_id}` to link and unlink the initiatives that move them.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use uuid::Uuid;

use super::{create_once, versioned};
use crate::db;
use crate::db::check_ins::CheckIn;
use crate::db::key_results::KeyResult;
use crate::db::objectives::{Objective, ObjectiveFilter};
use crate::domain::FieldErrors;
use crate::domain::okr::{KeyResultChanges, ObjectiveChanges};
use crate::domain::page::{Page, PageQuery, PageRequest};
use crate::domain::period::Period;
use crate::error::ApiResult;
use crate::http::AppState;
use crate::http::extract::{ApiCaller, ApiJson, ApiQuery, CreateJson, IfMatch, ResourceId, ResourceIds};
use crate::http::openapi::IdempotencyKeyHeader;

/// `?period=&portfolio_id=&limit=&cursor=`, as sent.
#[derive(serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ObjectiveQuery {
    /// Only objectives of exactly this period.
    #[param(value_type = Option<Period>)]
    period: Option<String>,
    /// Only objectives of this portfolio's subtree.
    #[param(value_type = Option<Uuid>)]
    portfolio_id: Option<String>,
    #[serde(flatten)]
    #[param(ignore)]
    page: PageQuery,
}

impl ObjectiveQuery {
    fn parse(&self) -> Result<(ObjectiveFilter, PageRequest), FieldErrors> {
        let mut errors = FieldErrors::new();
        let period = self
            .period
            .as_deref()
            .filter(|p| !p.is_empty())
            .and_then(|p| p.parse::<Period>().map_err(|m| errors.add("period", m)).ok());
        let portfolio_id = self
            .portfolio_id
            .as_deref()
            .filter(|p| !p.is_empty())
            .and_then(|p| {
                p.parse::<Uuid>()
                    .map_err(|_| errors.add("portfolio_id", "must be a UUID"))
                    .ok()
            });
        let page = PageRequest::parse(
            &mut errors,
            self.page.limit.as_deref(),
            self.page.cursor.as_deref(),
        );
        errors.into_result()?;
        Ok((ObjectiveFilter { period, portfolio_id }, page))
    }
}

/// Objectives with their key results and progress.
#[utoipa::path(
get, path = "/objectives", tag = "okrs", operation_id = "list_objectives",
    params(ObjectiveQuery, PageQuery),
    responses((status = OK, body = Page<Objective>))
)]
#[tracing::instrument(skip_all)]
pub async fn list(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    ApiQuery(query): ApiQuery<ObjectiveQuery>,
) -> ApiResult<Json<Page<Objective>>> {
    let (filter, page) = query.parse()?;
    Ok(Json(
        db::objectives::list(&state.tenant(&caller), filter, &page).await?,
    ))
}

/// One objective with its key results.
#[utoipa::path(
get, path = "/objectives/{id}", tag = "okrs", operation_id = "get_objective",
    params(ResourceId),
    responses((status = OK, body = Objective, headers(("ETag" = String))))
)]
#[tracing::instrument(skip_all, fields(objective_id = %id))]
pub async fn get(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    ResourceId(id): ResourceId,
) -> ApiResult<Response> {
    let objective = db::objectives::get(&state.tenant(&caller), id).await?;
    Ok(versioned(StatusCode::OK, objective.version, objective))
}

/// Creates an objective for a portfolio and period.
#[utoipa::path(
post, path = "/objectives", tag = "okrs", operation_id = "create_objective",
    params(IdempotencyKeyHeader),
    request_body = ObjectiveChanges,
    responses((status = CREATED, body = Objective, headers(("ETag" = String))))
)]
#[tracing::instrument(skip_all)]
pub async fn create(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    CreateJson { input, key }: CreateJson<ObjectiveChanges>,
) -> ApiResult<Response> {
    create_once(&state, &caller, key, |tx, caller| {
        Box::pin(async move {
            let objective = db::objectives::create(tx, caller, input).await?;
            Ok((objective.version, objective))
        })
    })
    .await
}

/// Changes an objective; `parent_id` aligns it under another one (never in a circle).
#[utoipa::path(
patch, path = "/objectives/{id}", tag = "okrs", operation_id = "update_objective",
    params(ResourceId, IfMatch),
    request_body = ObjectiveChanges,
    responses((status = OK, body = Objective, headers(("ETag" = String))))
)]
#[tracing::instrument(skip_all, fields(objective_id = %id))]
pub async fn update(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    ResourceId(id): ResourceId,
    IfMatch(expected): IfMatch,
    ApiJson(changes): ApiJson<ObjectiveChanges>,
) -> ApiResult<Response> {
    let objective = db::objectives::update(&state.tenant(&caller), &caller, id, expected, changes).await?;
    Ok(versioned(StatusCode::OK, objective.version, objective))
}

/// Deletes an objective and its key results.
#[utoipa::path(
delete, path = "/objectives/{id}", tag = "okrs", operation_id = "delete_objective",
    params(ResourceId, IfMatch),
    responses((status = NO_CONTENT, description = "Deleted; objectives that supported it are left unaligned"))
)]
#[tracing::instrument(skip_all, fields(objective_id = %id))]
pub async fn delete(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    ResourceId(id): ResourceId,
    IfMatch(expected): IfMatch,
) -> ApiResult<StatusCode> {
    db::objectives::delete(&state.tenant(&caller), &caller, id, expected).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Adds a key result to an objective.
#[utoipa::path(
post, path = "/objectives/{id}/key-results", tag = "okrs", operation_id = "create_key_result",
    params(ResourceId, IdempotencyKeyHeader),
    request_body = KeyResultChanges,
    responses((status = CREATED, body = KeyResult, headers(("ETag" = String))))
)]
#[tracing::instrument(skip_all, fields(objective_id = %id))]
pub async fn create_key_result(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    ResourceId(id): ResourceId,
    CreateJson { input, key }: CreateJson<KeyResultChanges>,
) -> ApiResult<Response> {
    create_once(&state, &caller, key, |tx, caller| {
        Box::pin(async move {
            let key_result = db::key_result_edits::create(tx, caller, id, input).await?;
            Ok((key_result.version, key_result))
        })
    })
    .await
}

/// One key result with its progress and linked initiatives.
#[utoipa::path(
get, path = "/key-results/{id}", tag = "okrs", operation_id = "get_key_result",
    params(ResourceId),
    responses((status = OK, body = KeyResult, headers(("ETag" = String))))
)]
#[tracing::instrument(skip_all, fields(key_result_id = %id))]
pub async fn get_key_result(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    ResourceId(id): ResourceId,
) -> ApiResult<Response> {
    let key_result = db::key_results::get(&state.tenant(&caller), caller.org_id, id).await?;
    Ok(versioned(StatusCode::OK, key_result.version, key_result))
}

/// A new `current_value` (with an optional `note`) is a check-in.
#[utoipa::path(
patch, path = "/key-results/{id}", tag = "okrs", operation_id = "update_key_result",
    params(ResourceId, IfMatch),
    request_body = KeyResultChanges,
    responses((status = OK, body = KeyResult, headers(("ETag" = String))))
)]
#[tracing::instrument(skip_all, fields(key_result_id = %id))]
pub async fn update_key_result(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    ResourceId(id): ResourceId,
    IfMatch(expected): IfMatch,
    ApiJson(changes): ApiJson<KeyResultChanges>,
) -> ApiResult<Response> {
    let key_result =
        db::key_result_edits::update(&state.tenant(&caller), &caller, id, expected, changes).await?;
    Ok(versioned(StatusCode::OK, key_result.version, key_result))
}

/// Deletes a key result.
#[utoipa::path(
delete, path = "/key-results/{id}", tag = "okrs", operation_id = "delete_key_result",
    params(ResourceId, IfMatch),
    responses((status = NO_CONTENT, description = "Deleted"))
)]
#[tracing::instrument(skip_all, fields(key_result_id = %id))]
pub async fn delete_key_result(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    ResourceId(id): ResourceId,
    IfMatch(expected): IfMatch,
) -> ApiResult<StatusCode> {
    db::key_result_edits::delete(&state.tenant(&caller), &caller, id, expected).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A key result's check-ins, newest first.
#[utoipa::path(
get, path = "/key-results/{id}/check-ins", tag = "okrs", operation_id = "list_check_ins",
    params(ResourceId, PageQuery),
    responses((status = OK, body = Page<CheckIn>))
)]
#[tracing::instrument(skip_all, fields(key_result_id = %id))]
pub async fn check_ins(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    ResourceId(id): ResourceId,
    ApiQuery(query): ApiQuery<PageQuery>,
) -> ApiResult<Json<Page<CheckIn>>> {
    let page = query.parse()?;
    Ok(Json(
        db::check_ins::check_ins(&state.tenant(&caller), id, &page).await?,
    ))
}

/// Links an initiative to a key result it moves.
#[utoipa::path(
put, path = "/initiatives/{id}/key-results/{kr_id}", tag = "okrs", operation_id = "link_key_result",
    params(ResourceIds),
    responses((status = NO_CONTENT, description = "Linked (linking twice is harmless)"))
)]
#[tracing::instrument(skip_all, fields(initiative_id = %initiative_id, key_result_id = %key_result_id))]
pub async fn link(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    ResourceIds(initiative_id, key_result_id): ResourceIds,
) -> ApiResult<StatusCode> {
    db::key_result_links::link(&state.tenant(&caller), &caller, initiative_id, key_result_id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Unlinks an initiative from a key result.
#[utoipa::path(
delete, path = "/initiatives/{id}/key-results/{kr_id}", tag = "okrs", operation_id = "unlink_key_result",
    params(ResourceIds),
    responses((status = NO_CONTENT, description = "Unlinked"))
)]
#[tracing::instrument(skip_all, fields(initiative_id = %initiative_id, key_result_id = %key_result_id))]
pub async fn unlink(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    ResourceIds(initiative_id, key_result_id): ResourceIds,
) -> ApiResult<StatusCode> {
    db::key_result_links::unlink(&state.tenant(&caller), &caller, initiative_id, key_result_id).await?;
    Ok(StatusCode::NO_CONTENT)
}
