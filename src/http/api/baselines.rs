//! Baselines (SPEC §10): `POST, GET /portfolios/{id}/baselines`, `GET, DELETE /baselines/{id}` and
//! `GET /baselines/{id}/diff?against=now|<baseline_id>`.

use axum::Json;
use axum::extract::State;
use axum::http::{StatusCode, Uri};
use axum::response::Response;

use crate::db;
use crate::db::baselines::{Against, Baseline, BaselineInput, BaselineSummary, Diff};
use crate::domain::page::{Page, PageQuery};
use crate::error::{ApiResult, AppError};
use crate::http::AppState;
use crate::http::api::{create_once, versioned};
use crate::http::extract::{ApiCaller, ApiQuery, CreateJson, IfMatch, ResourceId, StampedApiCaller};
use crate::http::openapi::IdempotencyKeyHeader;

/// A baseline never changes once taken: its `ETag` is always this (`db::baselines::VERSION`).
const FROZEN: i64 = db::baselines::VERSION;

/// Freezes the portfolio's subtree as it stands: each initiative's portfolio, title, status,
/// health, progress, effort, theme and dates, and the §3 figures of the portfolio and its children.
/// Whoever may edit the portfolio.
#[utoipa::path(
post, path = "/portfolios/{id}/baselines", tag = "baselines", operation_id = "create_baseline",
    params(ResourceId, IdempotencyKeyHeader),
    request_body = BaselineInput,
    responses((status = CREATED, body = Baseline, headers(("ETag" = String))))
)]
#[tracing::instrument(skip_all, fields(portfolio_id = %id))]
pub async fn create(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    ResourceId(id): ResourceId,
    CreateJson { input, key }: CreateJson<BaselineInput>,
) -> ApiResult<Response> {
    create_once(&state, &caller, key, |tx, caller| {
        Box::pin(async move {
            let baseline = db::baselines::take(tx, caller, id, &input).await?;
            Ok((FROZEN, baseline))
        })
    })
    .await
}

/// The portfolio's baselines, newest first.
#[utoipa::path(
get, path = "/portfolios/{id}/baselines", tag = "baselines", operation_id = "list_baselines",
    params(ResourceId, PageQuery),
    responses((status = OK, body = Page<BaselineSummary>))
)]
#[tracing::instrument(skip_all, fields(portfolio_id = %id))]
pub async fn list(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    ResourceId(id): ResourceId,
    ApiQuery(query): ApiQuery<PageQuery>,
) -> ApiResult<Json<Page<BaselineSummary>>> {
    let page = query.parse()?;
    Ok(Json(
        db::baselines::list(&state.tenant(&caller), id, &page).await?,
    ))
}

/// One baseline: when and by whom it was taken, how many initiatives it froze, and the roll-up
/// of its portfolio at that moment.
#[utoipa::path(
get, path = "/baselines/{id}", tag = "baselines", operation_id = "get_baseline",
    params(ResourceId),
    responses((status = OK, body = Baseline, headers(("ETag" = String))))
)]
#[tracing::instrument(skip_all, fields(baseline_id = %id))]
pub async fn get(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    ResourceId(id): ResourceId,
) -> ApiResult<Response> {
    let baseline = db::baselines::get(&state.tenant(&caller), id).await?;
    Ok(versioned(StatusCode::OK, FROZEN, baseline))
}

/// Deletes a baseline; whoever may edit its portfolio.
#[utoipa::path(
delete, path = "/baselines/{id}", tag = "baselines", operation_id = "delete_baseline",
    params(ResourceId, IfMatch),
    responses((status = NO_CONTENT, description = "Deleted"))
)]
#[tracing::instrument(skip_all, fields(baseline_id = %id))]
pub async fn delete(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    ResourceId(id): ResourceId,
    IfMatch(expected): IfMatch,
) -> ApiResult<StatusCode> {
    db::baselines::delete(&state.tenant(&caller), &caller, id, expected).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DiffQuery {
    /// `now` (the default) or the id of a later baseline of the same portfolio.
    #[param(value_type = Option<String>, pattern = "^(now|[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})$")]
    pub against: Option<String>,
}

impl DiffQuery {
    pub fn against(&self) -> Result<Against, AppError> {
        self.against
            .as_deref()
            .unwrap_or("now")
            .parse()
            .map_err(|message: &str| AppError::field("against", message))
    }
}

/// What changed since the baseline: the figures before and after for the portfolio and each child,
/// and every initiative added, removed (deleted, moved out or newly cancelled), slipped or pulled
/// in (with days), rescoped, with a new status or health, or moved within the subtree — each with
/// the notes of the status updates written between the two moments.
#[utoipa::path(
get, path = "/baselines/{id}/diff", tag = "baselines", operation_id = "diff_baseline",
    params(ResourceId, DiffQuery),
    responses((status = OK, body = Diff))
)]
#[tracing::instrument(skip_all, fields(baseline_id = %id))]
pub async fn diff(
    State(state): State<AppState>,
    StampedApiCaller(caller, stamp): StampedApiCaller,
    uri: Uri,
    ResourceId(id): ResourceId,
    ApiQuery(query): ApiQuery<DiffQuery>,
) -> ApiResult<Response> {
    let against = query.against()?;
    super::kept_json(&state, &caller, stamp, &uri, || async {
        db::baselines::diff(&state.tenant(&caller), &state.caches.baseline_diffs, id, against).await
    })
    .await
}
