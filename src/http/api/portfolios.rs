//! Portfolios: `GET, POST /portfolios`, `GET, PATCH, DELETE /portfolios/{id}`.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;

use super::versioned;
use crate::db;
use crate::db::portfolios::Portfolio;
use crate::db::rollup::Rollup;
use crate::domain::page::{Page, PageQuery};
use crate::domain::period::Period;
use crate::domain::portfolio::PortfolioChanges;
use crate::error::{ApiResult, AppError};
use crate::http::AppState;
use crate::http::extract::{ApiCaller, ApiJson, ApiQuery, IfMatch, ResourceId};

#[tracing::instrument(skip_all)]
pub async fn list(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    ApiQuery(query): ApiQuery<PageQuery>,
) -> ApiResult<Json<Page<Portfolio>>> {
    let page = query.parse()?;
    Ok(Json(
        db::portfolios::list(&state.tenant(caller.org_id), caller.org_id, &page).await?,
    ))
}

#[tracing::instrument(skip_all, fields(portfolio_id = %id))]
pub async fn get(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    ResourceId(id): ResourceId,
) -> ApiResult<Response> {
    let portfolio = db::portfolios::get(&state.tenant(caller.org_id), caller.org_id, id).await?;
    Ok(versioned(StatusCode::OK, portfolio.version, portfolio))
}

#[tracing::instrument(skip_all)]
pub async fn create(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    ApiJson(changes): ApiJson<PortfolioChanges>,
) -> ApiResult<Response> {
    let portfolio = db::portfolios::create(&state.tenant(caller.org_id), &caller, changes).await?;
    Ok(versioned(StatusCode::CREATED, portfolio.version, portfolio))
}

#[tracing::instrument(skip_all, fields(portfolio_id = %id))]
pub async fn update(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    ResourceId(id): ResourceId,
    IfMatch(expected): IfMatch,
    ApiJson(changes): ApiJson<PortfolioChanges>,
) -> ApiResult<Response> {
    let portfolio =
        db::portfolios::update(&state.tenant(caller.org_id), &caller, id, expected, changes).await?;
    Ok(versioned(StatusCode::OK, portfolio.version, portfolio))
}

#[tracing::instrument(skip_all, fields(portfolio_id = %id))]
pub async fn delete(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    ResourceId(id): ResourceId,
    IfMatch(expected): IfMatch,
) -> ApiResult<StatusCode> {
    db::portfolios::delete(&state.tenant(caller.org_id), &caller, id, expected).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(serde::Deserialize)]
pub struct RollupQuery {
    period: Option<String>,
}

/// SPEC §3 figures for the portfolio, each direct child, the investment mix and attached work.
#[tracing::instrument(skip_all, fields(portfolio_id = %id))]
pub async fn rollup(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    ResourceId(id): ResourceId,
    ApiQuery(query): ApiQuery<RollupQuery>,
) -> ApiResult<Json<Rollup>> {
    let period = query
        .period
        .as_deref()
        .filter(|text| !text.is_empty())
        .map(str::parse::<Period>)
        .transpose()
        .map_err(|message| AppError::field("period", message))?;
    let limit = db::rollup::ATTACHED_LIMIT;
    Ok(Json(
        db::rollup::rollup(&state.tenant(caller.org_id), caller.org_id, id, period, limit).await?,
    ))
}
