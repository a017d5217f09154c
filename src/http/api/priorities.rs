//! Priorities (SPEC §8): `GET /portfolios/{id}/priorities`, `POST /portfolios/{id}/priorities/apply`
//! and `PUT /initiatives/{id}/rank`.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::db;
use crate::db::initiative_lists::ListedInitiative;
use crate::db::priorities::{Placement, Priorities};
use crate::domain::feedback::Demand;
use crate::domain::period::Period;
use crate::domain::priorities::{DEFAULT_LIMIT, PrioritiesQuery, Standing};
use crate::domain::{Health, RankBy, Status};
use crate::error::{ApiResult, AppError};
use crate::http::AppState;
use crate::http::extract::{ApiCaller, ApiJson, ApiQuery, ResourceId};

/// A page of the subtree's open work, ranked, against the period's capacity.
#[derive(Serialize, utoipa::ToSchema)]
pub struct PrioritiesAnswer {
    pub period: Period,
    /// The subtree's capacity in the period, person-weeks.
    #[serde(with = "rust_decimal::serde::float")]
    pub capacity: Decimal,
    pub items: Vec<PriorityItem>,
    /// Pass as `cursor` for the next page; null on the last.
    pub next_cursor: Option<String>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct PriorityItem {
    pub initiative: RankedInitiative,
    /// The score ranked by, two decimals; null while an input is missing (and for `by=rank`).
    #[serde(with = "rust_decimal::serde::float_option")]
    pub score: Option<Decimal>,
    /// The score's formula with the inputs filled in.
    pub formula: String,
    /// effort × (100 − progress) ÷ 100, person-weeks.
    #[serde(with = "rust_decimal::serde::float")]
    pub remaining_effort: Decimal,
    /// The remaining effort of this item and every item ranked above it.
    #[serde(with = "rust_decimal::serde::float")]
    pub cumulative_effort: Decimal,
    /// Whether `cumulative_effort` is within `capacity`: above the cut line.
    pub fits: bool,
    /// The customer feedback linked to it, summed (SPEC §11).
    pub demand: Demand,
}

/// An initiative as priorities list it.
#[derive(Serialize, utoipa::ToSchema)]
pub struct RankedInitiative {
    pub id: Uuid,
    pub key: String,
    pub title: String,
    pub portfolio_id: Uuid,
    pub status: Status,
    pub health: Health,
    pub progress: i16,
    pub effort: f64,
    pub target_date: Option<NaiveDate>,
    /// The manual order's position value, lowest first; null: never ranked.
    #[serde(with = "rust_decimal::serde::float_option")]
    pub rank: Option<Decimal>,
}

impl PrioritiesAnswer {
    pub(crate) fn new(by: RankBy, offset: i64, data: &Priorities) -> PrioritiesAnswer {
        let next_cursor = data.more.then(|| (offset + data.rows.len() as i64).to_string());
        PrioritiesAnswer {
            period: data.period,
            capacity: data.capacity,
            items: data
                .rows
                .iter()
                .map(|(row, standing)| PriorityItem::new(by, row, *standing, &data.benefit_unit))
                .collect(),
            next_cursor,
        }
    }
}

impl PriorityItem {
    fn new(by: RankBy, row: &ListedInitiative, standing: Standing, unit: &str) -> PriorityItem {
        let (score, formula) = db::priorities::score(by, row, unit);
        PriorityItem {
            score,
            formula,
            remaining_effort: standing.remaining_effort,
            cumulative_effort: standing.cumulative_effort,
            fits: standing.fits,
            demand: row.demand(),
            initiative: RankedInitiative {
                id: row.id,
                key: row.key.clone(),
                title: row.title.clone(),
                portfolio_id: row.portfolio_id,
                status: row.status,
                health: row.health,
                progress: row.progress,
                effort: row.effort,
                target_date: row.target_date,
                rank: row.rank,
            },
        }
    }
}

/// The subtree's proposed, planned and in-progress work ranked by a score (highest first, null
/// last, ties by key) or by the manual rank, each item with what is left of it, the running total
/// and whether it fits the subtree's capacity for the period.
#[utoipa::path(
get, path = "/portfolios/{id}/priorities", tag = "priorities", operation_id = "portfolio_priorities",
    params(ResourceId, PrioritiesQuery),
    responses((status = OK, body = PrioritiesAnswer))
)]
#[tracing::instrument(skip_all, fields(portfolio_id = %id))]
pub async fn get(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    ResourceId(id): ResourceId,
    ApiQuery(query): ApiQuery<PrioritiesQuery>,
) -> ApiResult<Json<PrioritiesAnswer>> {
    let request = query.parse(id, DEFAULT_LIMIT).map_err(AppError::Validation)?;
    let cache = &state.caches.priorities;
    let data = db::priorities::read(&state.tenant(&caller), cache, id, &request).await?;
    Ok(Json(PrioritiesAnswer::new(request.by, request.offset, &data)))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct ApplyOrder {
    /// The order to write into the subtree's ranks.
    pub by: RankBy,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct Applied {
    /// How many initiatives were ranked.
    pub ranked: u64,
}

/// Writes the current order of `by` over the subtree's open work into its ranks (1, 2, 3…), by
/// whoever may edit the portfolio; `by=rank` then shows that order.
#[utoipa::path(
post, path = "/portfolios/{id}/priorities/apply", tag = "priorities", operation_id = "apply_priorities",
    params(ResourceId),
    request_body = ApplyOrder,
    responses((status = OK, body = Applied))
)]
#[tracing::instrument(skip_all, fields(portfolio_id = %id))]
pub async fn apply(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    ResourceId(id): ResourceId,
    ApiJson(order): ApiJson<ApplyOrder>,
) -> ApiResult<Json<Applied>> {
    let ranked = db::priorities::apply(&state.tenant(&caller), &caller, id, order.by).await?;
    Ok(Json(Applied { ranked }))
}

/// Where to move an initiative in the manual order: exactly one of the two, naming another
/// initiative of the organization.
#[derive(Deserialize, utoipa::ToSchema)]
pub struct RankMove {
    pub before_id: Option<Uuid>,
    pub after_id: Option<Uuid>,
}

impl RankMove {
    pub fn placement(&self) -> Result<Placement, AppError> {
        match (self.before_id, self.after_id) {
            (Some(before), None) => Ok(Placement::Before(before)),
            (None, Some(after)) => Ok(Placement::After(after)),
            _ => Err(AppError::field("before_id", "give either before_id or after_id")),
        }
    }
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct Ranked {
    pub id: Uuid,
    /// Its new position value in the manual order.
    #[serde(with = "rust_decimal::serde::float")]
    pub rank: Decimal,
}

/// Moves an initiative right before or right after another in the manual order, by whoever may
/// edit its portfolio.
#[utoipa::path(
put, path = "/initiatives/{id}/rank", tag = "priorities", operation_id = "move_initiative_rank",
    params(ResourceId),
    request_body = RankMove,
    responses((status = OK, body = Ranked))
)]
#[tracing::instrument(skip_all, fields(initiative_id = %id))]
pub async fn move_rank(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    ResourceId(id): ResourceId,
    ApiJson(placement): ApiJson<RankMove>,
) -> ApiResult<(StatusCode, Json<Ranked>)> {
    let placement = Placement::named(placement.before_id, placement.after_id)?;
    let rank = db::priorities::move_to(&state.tenant(&caller), &caller, id, placement).await?;
    Ok((StatusCode::OK, Json(Ranked { id, rank })))
}
