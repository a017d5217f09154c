//! OKRs: `GET, POST /objectives`, `GET, PATCH, DELETE /objectives/{id}`,
//! `POST /objectives/{id}/key-results`, `GET, PATCH, DELETE /key-results/{id}`, the check-ins of a
//! key result at `GET /key-results/{id}/check-ins`, and `PUT, DELETE
//! /initiatives/{id}/key-results/{kr_id}` to link and unlink the initiatives that move them.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use uuid::Uuid;

use super::versioned;
use crate::db;
use crate::db::key_results::CheckIn;
use crate::db::objectives::{Objective, ObjectiveFilter};
use crate::domain::FieldErrors;
use crate::domain::okr::{KeyResultChanges, ObjectiveChanges};
use crate::domain::page::{Page, PageQuery, PageRequest};
use crate::domain::period::Period;
use crate::error::ApiResult;
use crate::http::AppState;
use crate::http::extract::{ApiCaller, ApiJson, ApiQuery, IfMatch, ResourceId, ResourceIds};

/// `?period=&portfolio_id=&limit=&cursor=`, as sent.
#[derive(serde::Deserialize)]
pub struct ObjectiveQuery {
    period: Option<String>,
    portfolio_id: Option<String>,
    #[serde(flatten)]
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

#[tracing::instrument(skip_all)]
pub async fn list(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    ApiQuery(query): ApiQuery<ObjectiveQuery>,
) -> ApiResult<Json<Page<Objective>>> {
    let (filter, page) = query.parse()?;
    Ok(Json(
        db::objectives::list(&state.tenant(caller.org_id), caller.org_id, filter, &page).await?,
    ))
}

#[tracing::instrument(skip_all, fields(objective_id = %id))]
pub async fn get(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    ResourceId(id): ResourceId,
) -> ApiResult<Response> {
    let objective = db::objectives::get(&state.tenant(caller.org_id), caller.org_id, id).await?;
    Ok(versioned(StatusCode::OK, objective.version, objective))
}

#[tracing::instrument(skip_all)]
pub async fn create(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    ApiJson(changes): ApiJson<ObjectiveChanges>,
) -> ApiResult<Response> {
    let objective = db::objectives::create(&state.tenant(caller.org_id), &caller, changes).await?;
    Ok(versioned(StatusCode::CREATED, objective.version, objective))
}

#[tracing::instrument(skip_all, fields(objective_id = %id))]
pub async fn update(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    ResourceId(id): ResourceId,
    IfMatch(expected): IfMatch,
    ApiJson(changes): ApiJson<ObjectiveChanges>,
) -> ApiResult<Response> {
    let objective =
        db::objectives::update(&state.tenant(caller.org_id), &caller, id, expected, changes).await?;
    Ok(versioned(StatusCode::OK, objective.version, objective))
}

#[tracing::instrument(skip_all, fields(objective_id = %id))]
pub async fn delete(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    ResourceId(id): ResourceId,
    IfMatch(expected): IfMatch,
) -> ApiResult<StatusCode> {
    db::objectives::delete(&state.tenant(caller.org_id), &caller, id, expected).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[tracing::instrument(skip_all, fields(objective_id = %id))]
pub async fn create_key_result(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    ResourceId(id): ResourceId,
    ApiJson(changes): ApiJson<KeyResultChanges>,
) -> ApiResult<Response> {
    let key_result = db::key_results::create(&state.tenant(caller.org_id), &caller, id, changes).await?;
    Ok(versioned(StatusCode::CREATED, key_result.version, key_result))
}

#[tracing::instrument(skip_all, fields(key_result_id = %id))]
pub async fn get_key_result(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    ResourceId(id): ResourceId,
) -> ApiResult<Response> {
    let key_result = db::key_results::get(&state.tenant(caller.org_id), caller.org_id, id).await?;
    Ok(versioned(StatusCode::OK, key_result.version, key_result))
}

/// A new `current_value` (with an optional `note`) is a check-in.
#[tracing::instrument(skip_all, fields(key_result_id = %id))]
pub async fn update_key_result(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    ResourceId(id): ResourceId,
    IfMatch(expected): IfMatch,
    ApiJson(changes): ApiJson<KeyResultChanges>,
) -> ApiResult<Response> {
    let key_result =
        db::key_results::update(&state.tenant(caller.org_id), &caller, id, expected, changes).await?;
    Ok(versioned(StatusCode::OK, key_result.version, key_result))
}

#[tracing::instrument(skip_all, fields(key_result_id = %id))]
pub async fn delete_key_result(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    ResourceId(id): ResourceId,
    IfMatch(expected): IfMatch,
) -> ApiResult<StatusCode> {
    db::key_results::delete(&state.tenant(caller.org_id), &caller, id, expected).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[tracing::instrument(skip_all, fields(key_result_id = %id))]
pub async fn check_ins(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    ResourceId(id): ResourceId,
    ApiQuery(query): ApiQuery<PageQuery>,
) -> ApiResult<Json<Page<CheckIn>>> {
    let page = query.parse()?;
    Ok(Json(
        db::key_results::check_ins(&state.tenant(caller.org_id), caller.org_id, id, &page).await?,
    ))
}

#[tracing::instrument(skip_all, fields(initiative_id = %initiative_id, key_result_id = %key_result_id))]
pub async fn link(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    ResourceIds(initiative_id, key_result_id): ResourceIds,
) -> ApiResult<StatusCode> {
    db::key_results::link(
        &state.tenant(caller.org_id),
        &caller,
        initiative_id,
        key_result_id,
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[tracing::instrument(skip_all, fields(initiative_id = %initiative_id, key_result_id = %key_result_id))]
pub async fn unlink(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    ResourceIds(initiative_id, key_result_id): ResourceIds,
) -> ApiResult<StatusCode> {
    db::key_results::unlink(
        &state.tenant(caller.org_id),
        &caller,
        initiative_id,
        key_result_id,
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}
