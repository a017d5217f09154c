//! Capacity against demand (SPEC §8): `PUT /portfolios/{id}/capacity/{period}` and
//! `GET /portfolios/{id}/capacity?from=&quarters=`.

use axum::extract::{FromRequestParts, Path, State};
use axum::http::request::Parts;
use axum::http::{StatusCode, Uri};
use axum::response::Response;
use utoipa::IntoParams;
use utoipa::openapi::Required;
use utoipa::openapi::path::{Parameter, ParameterBuilder, ParameterIn};
use utoipa::openapi::schema::{ObjectBuilder, Type};
use uuid::Uuid;

use crate::db;
use crate::db::capacity::{Capacity, CapacitySet};
use crate::domain::capacity::{self, QUARTERS_MAX};
use crate::domain::period::Period;
use crate::error::{ApiError, ApiResult, AppError};
use crate::http::AppState;
use crate::http::extract::{ApiCaller, ApiJson, ApiQuery, IfMatch, ResourceId, StampedApiCaller};
use crate::http::openapi::path_id;

/// A fiscal quarter's name: capacity is per quarter, so a year is not one.
const QUARTER_PATTERN: &str = r"^[1-9][0-9]{3}-Q[1-4]$";

/// `/portfolios/{id}/capacity/{period}`: an id that is not a UUID names nothing (404); the period
/// is checked by the domain (422 on `period`).
pub struct CapacityPath(pub Uuid, pub String);

impl<S: Send + Sync> FromRequestParts<S> for CapacityPath {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let Path((id, period)) = Path::<(String, String)>::from_request_parts(parts, state)
            .await
            .map_err(|_| AppError::NotFound)?;
        let id = id.parse().map_err(|_| AppError::NotFound)?;
        Ok(CapacityPath(id, period))
    }
}

impl IntoParams for CapacityPath {
    fn into_params(_: impl Fn() -> Option<ParameterIn>) -> Vec<Parameter> {
        let period = ObjectBuilder::new()
            .schema_type(Type::String)
            .pattern(Some(QUARTER_PATTERN))
            .examples(["2027-Q1"]);
        vec![
            path_id("id", "The portfolio's id"),
            ParameterBuilder::new()
                .name("period")
                .parameter_in(ParameterIn::Path)
                .required(Required::True)
                .description(Some("A fiscal quarter, such as `2027-Q1`"))
                .schema(Some(period))
                .build(),
        ]
    }
}

#[derive(serde::Deserialize, utoipa::ToSchema)]
pub struct CapacityInput {
    /// Person-weeks the portfolio's own people give in the quarter, ≥ 0.
    #[schema(minimum = 0, maximum = 999_999_999)]
    pub person_weeks: f64,
}

/// Sets a portfolio's own capacity in one fiscal quarter (whoever may edit the portfolio). With
/// `If-Match` (the `ETag` of the last answer for that quarter; `"0"` for a quarter never set), a
/// quarter someone else has set since answers 412 and keeps their value — unless it already holds
/// this one.
#[utoipa::path(
put, path = "/portfolios/{id}/capacity/{period}", tag = "portfolios", operation_id = "set_capacity",
    params(CapacityPath, IfMatch),
    request_body = CapacityInput,
    responses((status = OK, body = CapacitySet, headers(("ETag" = String))))
)]
#[tracing::instrument(skip_all, fields(portfolio_id = %id))]
pub async fn set(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    CapacityPath(id, period): CapacityPath,
    IfMatch(expected): IfMatch,
    ApiJson(input): ApiJson<CapacityInput>,
) -> ApiResult<Response> {
    let period = capacity::quarter("period", &period).map_err(AppError::Validation)?;
    let person_weeks = capacity::person_weeks(input.person_weeks).map_err(AppError::Validation)?;
    let pool = state.tenant(&caller);
    let set = db::capacity::set(&pool, &caller, id, period, person_weeks, expected).await?;
    Ok(super::versioned(StatusCode::OK, set.version, set))
}

#[derive(serde::Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CapacityQuery {
    /// The first quarter (such as `2027-Q1`); the organization's current fiscal quarter when left out.
    #[param(value_type = Option<String>, pattern = r"^[1-9][0-9]{3}-Q[1-4]$")]
    from: Option<String>,
    /// How many quarters, 1 to 20 (default 4).
    #[param(value_type = Option<u32>, minimum = 1, maximum = 20)]
    quarters: Option<String>,
}

/// The `from` and `quarters` query parameters: the first quarter (default: the current one) and
/// how many.
pub fn quarter_range(from: Option<&str>, quarters: Option<&str>) -> Result<(Option<Period>, u32), AppError> {
    let from = from
        .map(|text| capacity::quarter("from", text))
        .transpose()
        .map_err(AppError::Validation)?;
    // Text that is not a count is out of range like any other.
    let asked = quarters.map(|text| text.parse().unwrap_or(QUARTERS_MAX + 1));
    let count = capacity::quarter_count(asked).map_err(AppError::Validation)?;
    Ok((from, count))
}

/// Capacity against demand per quarter for the portfolio's subtree and each child's.
#[utoipa::path(
get, path = "/portfolios/{id}/capacity", tag = "portfolios", operation_id = "portfolio_capacity",
    params(ResourceId, CapacityQuery),
    responses((status = OK, body = Capacity))
)]
#[tracing::instrument(skip_all, fields(portfolio_id = %id))]
pub async fn get(
    State(state): State<AppState>,
    StampedApiCaller(caller, stamp): StampedApiCaller,
    uri: Uri,
    ResourceId(id): ResourceId,
    ApiQuery(query): ApiQuery<CapacityQuery>,
) -> ApiResult<Response> {
    let (from, count) = quarter_range(query.from.as_deref(), query.quarters.as_deref())?;
    let pool = state.tenant(&caller);
    super::kept_json(&state, &caller, stamp, &uri, || {
        db::capacity::capacity(&pool, db::rollup::Plan::Live, id, from, count)
    })
    .await
}
