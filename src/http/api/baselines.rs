//! Baselines (SPEC §10): `GET /baselines/{id}`, the snapshot an apply of a scenario takes first and
//! names in its answer. Taking one by hand, the list and the diff are the baselines issue's.

use axum::Json;
use axum::extract::State;

use crate::db;
use crate::db::baselines::Baseline;
use crate::error::ApiResult;
use crate::http::AppState;
use crate::http::extract::{ApiCaller, ResourceId};

/// One baseline: when and by whom it was taken, how many initiatives it froze, and the roll-up
/// of its portfolio at that moment.
#[utoipa::path(
get, path = "/baselines/{id}", tag = "baselines", operation_id = "get_baseline",
    params(ResourceId),
    responses((status = OK, body = Baseline))
)]
#[tracing::instrument(skip_all, fields(baseline_id = %id))]
pub async fn get(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    ResourceId(id): ResourceId,
) -> ApiResult<Json<Baseline>> {
    Ok(Json(db::baselines::get(&state.tenant(&caller), id).await?))
}
