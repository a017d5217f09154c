//! Scenarios (SPEC §9): `GET, POST /scenarios`, `GET, PATCH, DELETE /scenarios/{id}`,
//! `POST /scenarios/{id}/copy`, their changes, hypothetical initiatives and capacities, their
//! figures, the compare of two plans, and apply.

use axum::Json;
use axum::extract::{FromRequestParts, Path, State};
use axum::http::request::Parts;
use axum::http::{StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa::openapi::path::{Parameter, ParameterIn};
use uuid::Uuid;

use super::capacity::{CapacityInput, quarter_range};
use super::portfolios::period_param;
use super::priorities::PrioritiesAnswer;
use super::{create_once, versioned};
use crate::db;
use crate::db::capacity::Capacity;
use crate::db::rollup::{Plan, Rollup};
use crate::db::scenario_figures::Comparison;
use crate::db::scenarios::{ApplyResult, CapacityChange, ChangeRow, Hypothetical, Scenario, ScenarioDetail};
use crate::domain::capacity;
use crate::domain::initiative::InitiativeChanges;
use crate::domain::page::{Page, PageQuery};
use crate::domain::priorities::{DEFAULT_LIMIT, PrioritiesQuery};
use crate::domain::scenario::{ChangeInput, Chosen, ScenarioInput, ScenarioRename};
use crate::error::{ApiError, ApiResult, AppError};
use crate::http::AppState;
use crate::http::extract::{
    ApiCaller, ApiJson, ApiQuery, CreateJson, IfMatch, ResourceId, ResourceIds, StampedApiCaller,
};
use crate::http::openapi::{ConflictResponse, IdempotencyKeyHeader, NotFoundResponse, path_id};

/// `/scenarios/{id}/changes/{initiative_id}` and `/scenarios/{id}/initiatives/{initiative_id}`.
pub struct ScenarioItem(pub Uuid, pub Uuid);

impl<S: Send + Sync> FromRequestParts<S> for ScenarioItem {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let ResourceIds(scenario, initiative) = ResourceIds::from_request_parts(parts, state).await?;
        Ok(ScenarioItem(scenario, initiative))
    }
}

impl IntoParams for ScenarioItem {
    fn into_params(_: impl Fn() -> Option<ParameterIn>) -> Vec<Parameter> {
        vec![
            path_id("id", "The scenario's id"),
            path_id("initiative_id", "The initiative's id"),
        ]
    }
}

/// `/scenarios/{id}/capacity/{portfolio_id}/{period}`: ids that are not UUIDs name nothing (404);
/// the period is checked by the domain (422 on `period`).
pub struct ScenarioCapacityPath(pub Uuid, pub Uuid, pub String);

impl<S: Send + Sync> FromRequestParts<S> for ScenarioCapacityPath {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let Path((id, portfolio_id, period)) =
            Path::<(String, String, String)>::from_request_parts(parts, state)
                .await
                .map_err(|_| AppError::NotFound)?;
        match (id.parse(), portfolio_id.parse()) {
            (Ok(id), Ok(portfolio_id)) => Ok(ScenarioCapacityPath(id, portfolio_id, period)),
            _ => Err(AppError::NotFound.into()),
        }
    }
}

impl IntoParams for ScenarioCapacityPath {
    fn into_params(_: impl Fn() -> Option<ParameterIn>) -> Vec<Parameter> {
        let mut params = vec![
            path_id("id", "The scenario's id"),
            path_id("portfolio_id", "The portfolio's id"),
        ];
        params.extend(
            super::capacity::CapacityPath::into_params(|| None)
                .into_iter()
                .filter(|p| p.name == "period"),
        );
        params
    }
}

/// The organization's scenarios.
#[utoipa::path(
get, path = "/scenarios", tag = "scenarios", operation_id = "list_scenarios",
    params(PageQuery),
    responses((status = OK, body = Page<Scenario>))
)]
#[tracing::instrument(skip_all)]
pub async fn list(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    ApiQuery(query): ApiQuery<PageQuery>,
) -> ApiResult<Json<Page<Scenario>>> {
    let page = query.parse()?;
    Ok(Json(db::scenarios::list(&state.tenant(&caller), &page).await?))
}

/// Creates a scenario over a portfolio's subtree (whoever may edit the portfolio).
#[utoipa::path(
post, path = "/scenarios", tag = "scenarios", operation_id = "create_scenario",
    params(IdempotencyKeyHeader),
    request_body = ScenarioInput,
    responses((status = CREATED, body = Scenario, headers(("ETag" = String))), ConflictResponse)
)]
#[tracing::instrument(skip_all)]
pub async fn create(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    CreateJson { input, key }: CreateJson<ScenarioInput>,
) -> ApiResult<Response> {
    create_once(&state, &caller, key, |tx, caller| {
        Box::pin(async move {
            let scenario = db::scenarios::create(tx, caller, input).await?;
            Ok((scenario.version, scenario))
        })
    })
    .await
}

/// One scenario with its changes (who made each, the version kept and the current one), its
/// hypothetical initiatives and its capacities.
#[utoipa::path(
get, path = "/scenarios/{id}", tag = "scenarios", operation_id = "get_scenario",
    params(ResourceId),
    responses((status = OK, body = ScenarioDetail, headers(("ETag" = String))))
)]
#[tracing::instrument(skip_all, fields(scenario_id = %id))]
pub async fn get(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    ResourceId(id): ResourceId,
) -> ApiResult<Response> {
    let detail = db::scenarios::detail(&state.tenant(&caller), id).await?;
    Ok(versioned(StatusCode::OK, detail.scenario.version, detail))
}

/// Renames a scenario.
#[utoipa::path(
patch, path = "/scenarios/{id}", tag = "scenarios", operation_id = "update_scenario",
    params(ResourceId, IfMatch),
    request_body = ScenarioRename,
    responses((status = OK, body = Scenario, headers(("ETag" = String))), ConflictResponse)
)]
#[tracing::instrument(skip_all, fields(scenario_id = %id))]
pub async fn update(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    ResourceId(id): ResourceId,
    IfMatch(expected): IfMatch,
    ApiJson(input): ApiJson<ScenarioRename>,
) -> ApiResult<Response> {
    let scenario = db::scenarios::update(&state.tenant(&caller), &caller, id, expected, input).await?;
    Ok(versioned(StatusCode::OK, scenario.version, scenario))
}

/// Deletes a scenario and everything it holds; the live plan is untouched.
#[utoipa::path(
delete, path = "/scenarios/{id}", tag = "scenarios", operation_id = "delete_scenario",
    params(ResourceId, IfMatch),
    responses((status = NO_CONTENT, description = "Deleted"))
)]
#[tracing::instrument(skip_all, fields(scenario_id = %id))]
pub async fn delete(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    ResourceId(id): ResourceId,
    IfMatch(expected): IfMatch,
) -> ApiResult<StatusCode> {
    db::scenarios::delete(&state.tenant(&caller), &caller, id, expected).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CopyInput {
    /// The copy's name; "<name> (copy)" when left out.
    #[schema(min_length = 1, max_length = 200)]
    pub name: Option<String>,
}

/// Copies a scenario (branches it): a new scenario holding the same changes.
#[utoipa::path(
post, path = "/scenarios/{id}/copy", tag = "scenarios", operation_id = "copy_scenario",
    params(ResourceId, IdempotencyKeyHeader),
    request_body = CopyInput,
    responses((status = CREATED, body = Scenario, headers(("ETag" = String))), ConflictResponse)
)]
#[tracing::instrument(skip_all, fields(scenario_id = %id))]
pub async fn copy(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    ResourceId(id): ResourceId,
    CreateJson { input, key }: CreateJson<CopyInput>,
) -> ApiResult<Response> {
    create_once(&state, &caller, key, |tx, caller| {
        Box::pin(async move {
            let scenario = db::scenarios::copy(tx, caller, id, input.name).await?;
            Ok((scenario.version, scenario))
        })
    })
    .await
}

/// Sets what the scenario changes on one live initiative of its subtree; the initiative's version
/// now is kept with it. `If-Match` names the scenario's version.
#[utoipa::path(
put, path = "/scenarios/{id}/changes/{initiative_id}", tag = "scenarios", operation_id = "put_scenario_change",
    params(ScenarioItem, IfMatch),
    request_body = ChangeInput,
    responses((status = OK, body = ChangeRow), ConflictResponse)
)]
#[tracing::instrument(skip_all, fields(scenario_id = %id, initiative_id = %initiative_id))]
pub async fn put_change(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    ScenarioItem(id, initiative_id): ScenarioItem,
    IfMatch(expected): IfMatch,
    ApiJson(input): ApiJson<ChangeInput>,
) -> ApiResult<Json<ChangeRow>> {
    let pool = state.tenant(&caller);
    Ok(Json(
        db::scenarios::put_change(&pool, &caller, id, initiative_id, expected, input).await?,
    ))
}

/// Takes back the scenario's change of one initiative.
#[utoipa::path(
delete, path = "/scenarios/{id}/changes/{initiative_id}", tag = "scenarios", operation_id = "delete_scenario_change",
    params(ScenarioItem, IfMatch),
    responses((status = NO_CONTENT, description = "Deleted"))
)]
#[tracing::instrument(skip_all, fields(scenario_id = %id, initiative_id = %initiative_id))]
pub async fn delete_change(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    ScenarioItem(id, initiative_id): ScenarioItem,
    IfMatch(expected): IfMatch,
) -> ApiResult<StatusCode> {
    let item = db::scenarios::Item::Change(initiative_id);
    db::scenarios::remove(&state.tenant(&caller), &caller, id, item, expected).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Adds a hypothetical initiative: work that exists only in the scenario, with an initiative's
/// fields and checks.
#[utoipa::path(
post, path = "/scenarios/{id}/initiatives", tag = "scenarios", operation_id = "add_scenario_initiative",
    params(ResourceId, IfMatch, IdempotencyKeyHeader),
    request_body = InitiativeChanges,
    responses((status = CREATED, body = Hypothetical), ConflictResponse)
)]
#[tracing::instrument(skip_all, fields(scenario_id = %id))]
pub async fn add_initiative(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    ResourceId(id): ResourceId,
    IfMatch(expected): IfMatch,
    CreateJson { input, key }: CreateJson<InitiativeChanges>,
) -> ApiResult<Response> {
    create_once(&state, &caller, key, |tx, caller| {
        Box::pin(async move {
            let added = db::scenarios::add_initiative(tx, caller, id, expected, input).await?;
            // A hypothetical initiative has no version of its own.
            Ok((1, added))
        })
    })
    .await
}

/// Removes a hypothetical initiative.
#[utoipa::path(
delete, path = "/scenarios/{id}/initiatives/{initiative_id}", tag = "scenarios",
    operation_id = "delete_scenario_initiative",
    params(ScenarioItem, IfMatch),
    responses((status = NO_CONTENT, description = "Deleted"))
)]
#[tracing::instrument(skip_all, fields(scenario_id = %id))]
pub async fn delete_initiative(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    ScenarioItem(id, initiative_id): ScenarioItem,
    IfMatch(expected): IfMatch,
) -> ApiResult<StatusCode> {
    let item = db::scenarios::Item::Initiative(initiative_id);
    db::scenarios::remove(&state.tenant(&caller), &caller, id, item, expected).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Sets a portfolio's own capacity in one quarter as the scenario has it.
#[utoipa::path(
put, path = "/scenarios/{id}/capacity/{portfolio_id}/{period}", tag = "scenarios",
    operation_id = "put_scenario_capacity",
    params(ScenarioCapacityPath, IfMatch),
    request_body = CapacityInput,
    responses((status = OK, body = CapacityChange), ConflictResponse)
)]
#[tracing::instrument(skip_all, fields(scenario_id = %id, portfolio_id = %portfolio_id))]
pub async fn put_capacity(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    ScenarioCapacityPath(id, portfolio_id, period): ScenarioCapacityPath,
    IfMatch(expected): IfMatch,
    ApiJson(input): ApiJson<CapacityInput>,
) -> ApiResult<Json<CapacityChange>> {
    let period = capacity::quarter("period", &period).map_err(AppError::Validation)?;
    let person_weeks = capacity::person_weeks(input.person_weeks).map_err(AppError::Validation)?;
    let pool = state.tenant(&caller);
    Ok(Json(
        db::scenarios::put_capacity(&pool, &caller, id, portfolio_id, period, expected, person_weeks).await?,
    ))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ScenarioRollupQuery {
    /// The portfolio (the scenario's or one below it); the scenario's when left out.
    portfolio_id: Option<Uuid>,
    /// The period of `okr_progress`; the organization's current quarter when left out.
    #[param(value_type = Option<crate::domain::period::Period>)]
    period: Option<String>,
}

/// SPEC §3 figures with the scenario's changes applied: exactly what the live roll-up would show
/// after applying them. `initiatives` is empty: the scenario's changes are its own list.
#[utoipa::path(
get, path = "/scenarios/{id}/rollup", tag = "scenarios", operation_id = "scenario_rollup",
    params(ResourceId, ScenarioRollupQuery),
    responses((status = OK, body = Rollup))
)]
#[tracing::instrument(skip_all, fields(scenario_id = %id))]
pub async fn rollup(
    State(state): State<AppState>,
    StampedApiCaller(caller, stamp): StampedApiCaller,
    uri: Uri,
    ResourceId(id): ResourceId,
    ApiQuery(query): ApiQuery<ScenarioRollupQuery>,
) -> ApiResult<Response> {
    let period = period_param(query.period.as_deref())?;
    let pool = state.tenant(&caller);
    super::kept_json(&state, &caller, stamp, &uri, || {
        db::scenario_figures::rollup(&pool, id, query.portfolio_id, period)
    })
    .await
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ScenarioCapacityQuery {
    /// The portfolio (the scenario's or one below it); the scenario's when left out.
    portfolio_id: Option<Uuid>,
    /// The first quarter (such as `2027-Q1`); the organization's current fiscal quarter when left out.
    #[param(value_type = Option<String>, pattern = r"^[1-9][0-9]{3}-Q[1-4]$")]
    from: Option<String>,
    /// How many quarters, 1 to 20 (default 4).
    #[param(value_type = Option<u32>, minimum = 1, maximum = 20)]
    quarters: Option<String>,
}

/// Which portfolio of a scenario's subtree its priorities rank.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ScenarioPrioritiesQuery {
    /// The portfolio (the scenario's or one below it); the scenario's when left out.
    portfolio_id: Option<Uuid>,
}

/// SPEC §8 priorities of the scenario's portfolio (or one below it) with its changes applied: its
/// open work ranked, hypothetical work included (with an empty key), against the period's
/// capacity as the scenario has it.
#[utoipa::path(
get, path = "/scenarios/{id}/priorities", tag = "scenarios", operation_id = "scenario_priorities",
    params(ResourceId, ScenarioPrioritiesQuery, PrioritiesQuery),
    responses((status = OK, body = PrioritiesAnswer))
)]
#[tracing::instrument(skip_all, fields(scenario_id = %id))]
pub async fn priorities(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    ResourceId(id): ResourceId,
    ApiQuery(at): ApiQuery<ScenarioPrioritiesQuery>,
    ApiQuery(query): ApiQuery<PrioritiesQuery>,
) -> ApiResult<Json<PrioritiesAnswer>> {
    // The subtree is settled by read_scenario, which puts it into the filter.
    let request = query.parse(id, DEFAULT_LIMIT).map_err(AppError::Validation)?;
    let pool = state.tenant(&caller);
    let data = db::priorities::read_scenario(&pool, id, at.portfolio_id, &request).await?;
    Ok(Json(PrioritiesAnswer::new(request.by, request.offset, &data)))
}

/// SPEC §8 capacity against demand with the scenario's changes applied.
#[utoipa::path(
get, path = "/scenarios/{id}/capacity", tag = "scenarios", operation_id = "scenario_capacity",
    params(ResourceId, ScenarioCapacityQuery),
    responses((status = OK, body = Capacity))
)]
#[tracing::instrument(skip_all, fields(scenario_id = %id))]
pub async fn capacity(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    ResourceId(id): ResourceId,
    ApiQuery(query): ApiQuery<ScenarioCapacityQuery>,
) -> ApiResult<Json<Capacity>> {
    let (from, count) = quarter_range(query.from.as_deref(), query.quarters.as_deref())?;
    let pool = state.tenant(&caller);
    Ok(Json(
        db::scenario_figures::capacity(&pool, id, query.portfolio_id, from, count).await?,
    ))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CompareQuery {
    /// `live` or a scenario's id.
    #[param(
        pattern = r"^(live|[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})$"
    )]
    a: String,
    /// `live` or a scenario's id.
    #[param(
        pattern = r"^(live|[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})$"
    )]
    b: String,
    /// The portfolio compared (in each scenario's subtree); the first scenario's when left out.
    portfolio_id: Option<Uuid>,
}

/// A side of the compare: `live` or a scenario's id (422 naming the side otherwise).
pub fn plan_param(side: &str, text: &str) -> Result<Plan, AppError> {
    text.parse().map_err(|message| AppError::field(side, message))
}

/// Two plans side by side for a portfolio: both sets of figures for it and each child, their
/// differences (b − a), the investment mix of both against target, capacity against demand per
/// quarter of both, and each scenario's changes.
#[utoipa::path(
get, path = "/scenarios/compare", tag = "scenarios", operation_id = "compare_scenarios",
    params(CompareQuery),
    responses((status = OK, body = Comparison), NotFoundResponse)
)]
#[tracing::instrument(skip_all)]
pub async fn compare(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    ApiQuery(query): ApiQuery<CompareQuery>,
) -> ApiResult<Response> {
    let a = plan_param("a", &query.a)?;
    let b = plan_param("b", &query.b)?;
    let pool = state.tenant(&caller);
    let cache = &state.caches.comparisons;
    let comparison = db::scenario_figures::compare(&pool, cache, a, b, query.portfolio_id).await?;
    Ok(Json(&*comparison).into_response())
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ApplyInput {
    pub changes: ChosenInput,
}

/// `"all"`, or the ids of the initiatives (live or hypothetical) whose changes to apply.
/// Capacities are applied with `"all"`.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(untagged)]
pub enum ChosenInput {
    All(AllWord),
    Initiatives(Vec<Uuid>),
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum AllWord {
    All,
}

impl From<ChosenInput> for Chosen {
    fn from(input: ChosenInput) -> Chosen {
        match input {
            ChosenInput::All(AllWord::All) => Chosen::All,
            ChosenInput::Initiatives(ids) => Chosen::Initiatives(ids),
        }
    }
}

/// Applies all or some of a scenario's changes in one transaction: a baseline first, then each
/// change unless its initiative changed since (a conflict, left in the scenario to redo).
#[utoipa::path(
post, path = "/scenarios/{id}/apply", tag = "scenarios", operation_id = "apply_scenario",
    params(ResourceId),
    request_body = ApplyInput,
    responses((status = OK, body = ApplyResult), ConflictResponse)
)]
#[tracing::instrument(skip_all, fields(scenario_id = %id))]
pub async fn apply(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    ResourceId(id): ResourceId,
    ApiJson(input): ApiJson<ApplyInput>,
) -> ApiResult<Json<ApplyResult>> {
    let chosen = Chosen::from(input.changes);
    let pool = state.tenant(&caller);
    Ok(Json(db::scenarios::apply(&pool, &caller, id, &chosen).await?))
}
