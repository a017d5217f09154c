//! KPIs (SPEC §11): `GET, POST /portfolios/{id}/kpis`, `GET, PATCH, DELETE /kpis/{id}` and
//! `GET, POST /kpis/{id}/values` (one value as JSON, or many as `text/csv` `date,value` rows).

use axum::Json;
use axum::extract::{FromRequest, Request, State};
use axum::http::{StatusCode, header};
use axum::response::Response;
use chrono::NaiveDate;

use super::{create_once, versioned};
use crate::db;
use crate::db::kpis::{Kpi, Recorded, ValuePage};
use crate::domain::FieldErrors;
use crate::domain::kpi::{KpiChanges, KpiValueInput, parse_values_csv};
use crate::domain::page::PageRequest;
use crate::error::{ApiResult, AppError};
use crate::http::AppState;
use crate::http::extract::{ApiCaller, ApiJson, ApiQuery, CreateJson, IfMatch, ResourceId};
use crate::http::openapi::IdempotencyKeyHeader;

/// The portfolio's KPIs by name.
#[utoipa::path(
get, path = "/portfolios/{id}/kpis", tag = "outcomes", operation_id = "list_kpis",
    params(ResourceId),
    responses((status = OK, body = Vec<Kpi>))
)]
#[tracing::instrument(skip_all, fields(portfolio_id = %id))]
pub async fn list(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    ResourceId(id): ResourceId,
) -> ApiResult<Json<Vec<Kpi>>> {
    let pool = state.tenant(&caller);
    // An unknown portfolio is 404, not an empty list.
    db::portfolios::get(&pool, id).await?;
    Ok(Json(db::kpis::of_portfolio(&pool, caller.org_id, id).await?))
}

/// Defines a KPI of the portfolio (usually a product); whoever may edit the portfolio.
#[utoipa::path(
post, path = "/portfolios/{id}/kpis", tag = "outcomes", operation_id = "create_kpi",
    params(ResourceId, IdempotencyKeyHeader),
    request_body = KpiChanges,
    responses((status = CREATED, body = Kpi, headers(("ETag" = String))))
)]
#[tracing::instrument(skip_all, fields(portfolio_id = %id))]
pub async fn create(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    ResourceId(id): ResourceId,
    CreateJson { input, key }: CreateJson<KpiChanges>,
) -> ApiResult<Response> {
    create_once(&state, &caller, key, |tx, caller| {
        Box::pin(async move {
            let kpi = db::kpis::create(tx, caller, id, input).await?;
            Ok((kpi.version, kpi))
        })
    })
    .await
}

/// One KPI: its latest value, trend and status against its target.
#[utoipa::path(
get, path = "/kpis/{id}", tag = "outcomes", operation_id = "get_kpi",
    params(ResourceId),
    responses((status = OK, body = Kpi, headers(("ETag" = String))))
)]
#[tracing::instrument(skip_all, fields(kpi_id = %id))]
pub async fn get(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    ResourceId(id): ResourceId,
) -> ApiResult<Response> {
    let kpi = db::kpis::get(&state.tenant(&caller), id).await?;
    Ok(versioned(StatusCode::OK, kpi.version, kpi))
}

/// Changes a KPI's name, unit, direction or target; fields left out keep their value.
#[utoipa::path(
patch, path = "/kpis/{id}", tag = "outcomes", operation_id = "update_kpi",
    params(ResourceId, IfMatch),
    request_body = KpiChanges,
    responses((status = OK, body = Kpi, headers(("ETag" = String))))
)]
#[tracing::instrument(skip_all, fields(kpi_id = %id))]
pub async fn update(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    ResourceId(id): ResourceId,
    IfMatch(expected): IfMatch,
    ApiJson(changes): ApiJson<KpiChanges>,
) -> ApiResult<Response> {
    let kpi = db::kpis::update(&state.tenant(&caller), &caller, id, expected, changes).await?;
    Ok(versioned(StatusCode::OK, kpi.version, kpi))
}

/// Deletes a KPI and its values.
#[utoipa::path(
delete, path = "/kpis/{id}", tag = "outcomes", operation_id = "delete_kpi",
    params(ResourceId, IfMatch),
    responses((status = NO_CONTENT, description = "Deleted"))
)]
#[tracing::instrument(skip_all, fields(kpi_id = %id))]
pub async fn delete(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    ResourceId(id): ResourceId,
    IfMatch(expected): IfMatch,
) -> ApiResult<StatusCode> {
    db::kpis::delete(&state.tenant(&caller), &caller, id, expected).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `?limit=&cursor=` of a KPI's values: the cursor is the date to continue before.
#[derive(serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ValuesQuery {
    /// Values per page (default 50).
    #[param(value_type = Option<i64>, minimum = 1, maximum = 500)]
    limit: Option<String>,
    /// The `next_cursor` of the previous page: a date.
    #[param(value_type = Option<String>, format = Date)]
    cursor: Option<String>,
}

impl ValuesQuery {
    fn parse(&self) -> Result<(Option<NaiveDate>, i64), FieldErrors> {
        let mut errors = FieldErrors::new();
        let page = PageRequest::parse(&mut errors, self.limit.as_deref(), None);
        let before = self.cursor.as_deref().filter(|c| !c.is_empty()).and_then(|c| {
            NaiveDate::parse_from_str(c, "%Y-%m-%d")
                .map_err(|_| errors.add("cursor", "must be a date like 2026-12-31"))
                .ok()
        });
        errors.into_result()?;
        Ok((before, page.limit))
    }
}

/// A KPI's values, newest first.
#[utoipa::path(
get, path = "/kpis/{id}/values", tag = "outcomes", operation_id = "list_kpi_values",
    params(ResourceId, ValuesQuery),
    responses((status = OK, body = ValuePage))
)]
#[tracing::instrument(skip_all, fields(kpi_id = %id))]
pub async fn values(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    ResourceId(id): ResourceId,
    ApiQuery(query): ApiQuery<ValuesQuery>,
) -> ApiResult<Json<ValuePage>> {
    let (before, limit) = query.parse()?;
    Ok(Json(
        db::kpis::values(&state.tenant(&caller), id, before, limit).await?,
    ))
}

/// Records a value, `{date, value}`, or uploads many as `text/csv`: one `date,value` row per line,
/// an optional header first. A date that already has a value gets the new one, and the answer
/// says how many were replaced: 201 when a date got its first value, 200 when every value replaced
/// one. Any bad row is reported with its line number, and then nothing is written. Whoever may
/// edit the KPI's portfolio.
#[utoipa::path(
post, path = "/kpis/{id}/values", tag = "outcomes", operation_id = "record_kpi_values",
    params(ResourceId),
    request_body(content(
        (KpiValueInput = "application/json"),
        (String = "text/csv", example = "date,value\n2026-10-31,41.5\n2026-11-30,43\n"),
    )),
    responses(
        (status = CREATED, body = Recorded, description = "At least one date got its first value"),
        (status = OK, body = Recorded, description = "Every value replaced an earlier one of its date"),
    )
)]
#[tracing::instrument(skip_all, fields(kpi_id = %id))]
pub async fn record(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    ResourceId(id): ResourceId,
    request: Request,
) -> ApiResult<(StatusCode, Json<Recorded>)> {
    let is_csv = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/csv"));
    let rows = if is_csv {
        let bytes = axum::body::Bytes::from_request(request, &state)
            .await
            .map_err(|e| match e.status() {
                StatusCode::PAYLOAD_TOO_LARGE => AppError::PayloadTooLarge,
                _ => AppError::BadRequest(e.body_text()),
            })?;
        let text = std::str::from_utf8(&bytes).map_err(|_| AppError::field("body", "must be UTF-8 text"))?;
        parse_values_csv(text)?
    } else {
        let ApiJson(input) = ApiJson::<KpiValueInput>::from_request(request, &state).await?;
        vec![input.check()?]
    };
    let recorded = db::kpis::record(&state.tenant(&caller), &caller, id, &rows).await?;
    let status = if recorded.written > 0 {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, Json(recorded)))
}
