//! Portfolios: `GET, POST /portfolios`, `GET, PATCH, DELETE /portfolios/{id}`.

use axum::Json;
use axum::extract::State;
use axum::http::{StatusCode, Uri};
use axum::response::Response;

use super::{create_once, versioned};
use crate::db;
use crate::db::portfolios::Portfolio;
use crate::db::rollup::{GroupedRollup, Rollup};
use crate::domain::RollupDimension;
use crate::domain::page::{Page, PageQuery};
use crate::domain::period::Period;
use crate::domain::portfolio::PortfolioChanges;
use crate::error::{ApiResult, AppError};
use crate::http::AppState;
use crate::http::extract::{ApiCaller, ApiJson, ApiQuery, CreateJson, IfMatch, ResourceId, StampedApiCaller};
use crate::http::openapi::{ConflictResponse, IdempotencyKeyHeader};

/// Every portfolio of the organization.
#[utoipa::path(
get, path = "/portfolios", tag = "portfolios", operation_id = "list_portfolios",
    params(PageQuery),
    responses((status = OK, body = Page<Portfolio>))
)]
#[tracing::instrument(skip_all)]
pub async fn list(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    ApiQuery(query): ApiQuery<PageQuery>,
) -> ApiResult<Json<Page<Portfolio>>> {
    let page = query.parse()?;
    Ok(Json(db::portfolios::list(&state.tenant(&caller), &page).await?))
}

/// One portfolio.
#[utoipa::path(
get, path = "/portfolios/{id}", tag = "portfolios", operation_id = "get_portfolio",
    params(ResourceId),
    responses((status = OK, body = Portfolio, headers(("ETag" = String))))
)]
#[tracing::instrument(skip_all, fields(portfolio_id = %id))]
pub async fn get(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    ResourceId(id): ResourceId,
) -> ApiResult<Response> {
    let portfolio = db::portfolios::get(&state.tenant(&caller), id).await?;
    Ok(versioned(StatusCode::OK, portfolio.version, portfolio))
}

/// Creates a portfolio: top-level ones for admins, others under a portfolio the caller may edit.
#[utoipa::path(
post, path = "/portfolios", tag = "portfolios", operation_id = "create_portfolio",
    params(IdempotencyKeyHeader),
    request_body = PortfolioChanges,
    responses((status = CREATED, body = Portfolio, headers(("ETag" = String))))
)]
#[tracing::instrument(skip_all)]
pub async fn create(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    CreateJson { input, key }: CreateJson<PortfolioChanges>,
) -> ApiResult<Response> {
    create_once(&state, &caller, key, |tx, caller| {
        Box::pin(async move {
            let portfolio = db::portfolios::create(tx, caller, input).await?;
            Ok((portfolio.version, portfolio))
        })
    })
    .await
}

/// Changes a portfolio; a new `parent_id` moves its whole subtree.
#[utoipa::path(
patch, path = "/portfolios/{id}", tag = "portfolios", operation_id = "update_portfolio",
    params(ResourceId, IfMatch),
    request_body = PortfolioChanges,
    responses((status = OK, body = Portfolio, headers(("ETag" = String))), ConflictResponse)
)]
#[tracing::instrument(skip_all, fields(portfolio_id = %id))]
pub async fn update(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    ResourceId(id): ResourceId,
    IfMatch(expected): IfMatch,
    ApiJson(changes): ApiJson<PortfolioChanges>,
) -> ApiResult<Response> {
    let portfolio = db::portfolios::update(&state.tenant(&caller), &caller, id, expected, changes).await?;
    Ok(versioned(StatusCode::OK, portfolio.version, portfolio))
}

/// Deletes an empty portfolio; one that still holds work answers 409.
#[utoipa::path(
delete, path = "/portfolios/{id}", tag = "portfolios", operation_id = "delete_portfolio",
    params(ResourceId, IfMatch),
    responses((status = NO_CONTENT, description = "Deleted"), ConflictResponse)
)]
#[tracing::instrument(skip_all, fields(portfolio_id = %id))]
pub async fn delete(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    ResourceId(id): ResourceId,
    IfMatch(expected): IfMatch,
) -> ApiResult<StatusCode> {
    db::portfolios::delete(&state.tenant(&caller), &caller, id, expected).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A `period` query parameter: left out (or empty) is the organization's current quarter.
pub fn period_param(text: Option<&str>) -> Result<Option<Period>, AppError> {
    text.filter(|text| !text.is_empty())
        .map(str::parse::<Period>)
        .transpose()
        .map_err(|message| AppError::field("period", message))
}

#[derive(serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RollupQuery {
    /// The period of `okr_progress` (and of the objectives grouped by); the organization's
    /// current quarter when left out.
    #[param(value_type = Option<Period>)]
    period: Option<String>,
    /// Groups the subtree's initiatives by this dimension instead of the portfolio tree
    /// (SPEC §13); left out: the tree.
    #[param(value_type = Option<RollupDimension>)]
    by: Option<String>,
}

/// A roll-up along the portfolio tree, or grouped by another dimension (`by=`).
#[derive(serde::Serialize, utoipa::ToSchema)]
#[serde(untagged)]
pub enum RollupAnswer {
    Tree(Rollup),
    Grouped(GroupedRollup),
}

/// SPEC §3 figures for the portfolio, each direct child, the investment mix and attached work;
/// with `by=`, SPEC §13's: the figures of the subtree's initiatives grouped by theme, owner,
/// objective, status, health, lifecycle stage or portfolio level, largest effort first.
#[utoipa::path(
get, path = "/portfolios/{id}/rollup", tag = "portfolios", operation_id = "portfolio_rollup",
    params(ResourceId, RollupQuery),
    responses((status = OK, body = RollupAnswer))
)]
#[tracing::instrument(skip_all, fields(portfolio_id = %id))]
pub async fn rollup(
    State(state): State<AppState>,
    StampedApiCaller(caller, stamp): StampedApiCaller,
    uri: Uri,
    ResourceId(id): ResourceId,
    ApiQuery(query): ApiQuery<RollupQuery>,
) -> ApiResult<Response> {
    let period = period_param(query.period.as_deref())?;
    let by = query
        .by
        .as_deref()
        .filter(|by| !by.is_empty())
        .map(str::parse::<RollupDimension>)
        .transpose()
        .map_err(|message| AppError::field("by", message))?;
    let pool = state.tenant(&caller);
    super::kept_json(&state, &caller, stamp, &uri, || async {
        Ok(match by {
            None => {
                RollupAnswer::Tree(db::rollup::rollup(&pool, id, period, db::rollup::ATTACHED_LIMIT).await?)
            }
            Some(by) => RollupAnswer::Grouped(db::rollup::grouped(&pool, id, by, period).await?),
        })
    })
    .await
}
