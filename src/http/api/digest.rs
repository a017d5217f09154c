//! The digest (SPEC §12): `GET /portfolios/{id}/digest?since=`.

use axum::Json;
use axum::extract::State;
use chrono::{Duration, NaiveDate};

use crate::db;
use crate::domain::FieldErrors;
use crate::domain::digest::{DEFAULT_DAYS, Digest};
use crate::error::ApiResult;
use crate::http::AppState;
use crate::http::extract::{ApiCaller, ApiQuery, ResourceId};

#[derive(serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DigestQuery {
    /// The first day the digest looks at (default: a week ago in the organization's calendar).
    #[param(value_type = Option<String>, format = Date)]
    pub since: Option<String>,
}

impl DigestQuery {
    /// The day asked for, or a week before `today`.
    pub fn since(&self, today: NaiveDate) -> Result<NaiveDate, FieldErrors> {
        match self.since.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
            None => Ok(today - Duration::days(DEFAULT_DAYS)),
            Some(text) => NaiveDate::parse_from_str(text, "%Y-%m-%d")
                .map_err(|_| FieldErrors::single("since", "must be a date like 2026-11-24")),
        }
    }
}

/// What changed in the portfolio's subtree since a day: status and health changes and notes,
/// slipped target dates, work added, started and finished, key-result check-ins, and dependency
/// conflicts that appeared. At most 200 of each, newest first (slips largest first).
#[utoipa::path(
get, path = "/portfolios/{id}/digest", tag = "portfolios", operation_id = "portfolio_digest",
    params(ResourceId, DigestQuery),
    responses((status = OK, body = Digest))
)]
#[tracing::instrument(skip_all, fields(portfolio_id = %id))]
pub async fn get(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    ResourceId(id): ResourceId,
    ApiQuery(query): ApiQuery<DigestQuery>,
) -> ApiResult<Json<Digest>> {
    let pool = state.tenant(&caller);
    let today = db::orgs::calendar(&pool).await?.today;
    let since = query.since(today)?;
    Ok(Json(db::digest::read(&pool, id, since).await?))
}
