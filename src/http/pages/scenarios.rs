//! Scenario pages (SPEC §9): `/scenarios` lists them with a form for a new one, `/scenarios/{id}`
//! shows a scenario's figures beside the live plan's and edits what it holds (see
//! `scenario_forms`), and `/scenarios/compare` sets any two plans side by side. The rules are the
//! database layer's; these handlers read the forms' text and show what it answers.

use askama::Template;
use askama_web::WebTemplate;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use uuid::Uuid;

use super::Layout;
use super::form::{self, Alert, Choice, FormState};
use super::scenario_figures::{ComparisonView, Names, SideChanges, when};
use super::scenario_forms::{CapacityForm, ChangeForm, HypotheticalForm, ScenarioChoices};
use crate::db;
use crate::db::rollup::Plan;
use crate::db::scenarios::{ApplyResult, Scenario};
use crate::db::users::Caller;
use crate::domain::page::PageRequest;
use crate::domain::permissions::may_write;
use crate::domain::scenario::{Chosen, ScenarioInput, ScenarioRename};
use crate::error::{AppError, PageResult, forbidden_unless};
use crate::http::AppState;
use crate::http::extract::PageCaller;

/// How many scenarios the list shows; an organization keeps a handful at a time.
const LISTED: i64 = 200;

/// The new-scenario and rename forms as typed.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default)]
pub struct NameForm {
    pub name: String,
    pub portfolio_id: String,
    pub version: String,
}

pub struct ScenarioRow {
    id: Uuid,
    name: String,
    portfolio: String,
    created: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "scenarios/index.html")]
pub struct ScenariosPage {
    layout: Layout,
    scenarios: Vec<ScenarioRow>,
    can_create: bool,
    typed: NameForm,
    form: FormState,
    portfolios: Vec<Choice>,
}

#[derive(Deserialize)]
pub struct IndexQuery {
    portfolio_id: Option<Uuid>,
}

impl ScenariosPage {
    async fn load(
        state: &AppState,
        caller: &Caller,
        typed: NameForm,
        form: FormState,
    ) -> PageResult<ScenariosPage> {
        let pool = state.tenant(caller);
        let tree = db::portfolios::list_tree(&pool).await?;
        let editable = db::permissions::editable_portfolios(&pool, caller).await?;
        let names = Names::of_tree(&tree);
        let page = PageRequest {
            limit: LISTED,
            after: None,
        };
        let mut listed = db::scenarios::list(&pool, &page).await?.items;
        listed.sort_by_key(|s| s.name.to_lowercase());
        let keep: Vec<Uuid> = typed.portfolio_id.parse().ok().into_iter().collect();
        Ok(ScenariosPage {
            layout: Layout::new("Scenarios", Some(caller)).in_section("scenarios"),
            scenarios: listed
                .into_iter()
                .map(|s| ScenarioRow {
                    portfolio: names.portfolio(s.portfolio_id),
                    created: when(s.created_at),
                    id: s.id,
                    name: s.name,
                })
                .collect(),
            can_create: may_write(caller),
            portfolios: form::portfolio_choices(&tree, &editable, &keep, None, Some("Choose a portfolio")),
            typed,
            form,
        })
    }
}

#[tracing::instrument(skip_all)]
pub async fn index(
    State(state): State<AppState>,
    PageCaller(caller): PageCaller,
    Query(query): Query<IndexQuery>,
) -> PageResult<ScenariosPage> {
    let typed = NameForm {
        portfolio_id: form::text_of(query.portfolio_id),
        ..NameForm::default()
    };
    ScenariosPage::load(&state, &caller, typed, FormState::default()).await
}

/// Creates a scenario (from this page or the roll-up page's form) and opens it.
#[tracing::instrument(skip_all)]
pub async fn create(
    State(state): State<AppState>,
    PageCaller(caller): PageCaller,
    Form(typed): Form<NameForm>,
) -> PageResult<Response> {
    let input = ScenarioInput {
        name: Some(typed.name.clone()),
        portfolio_id: typed.portfolio_id.trim().parse().ok(),
    };
    let shown = if typed.portfolio_id.trim().is_empty() || input.portfolio_id.is_some() {
        match db::scenarios::create(&state.tenant(&caller), &caller, input).await {
            Ok(created) => return Ok(Redirect::to(&format!("/scenarios/{}", created.id)).into_response()),
            Err(error) => form::refusal(error)?,
        }
    } else {
        forbidden_unless(may_write(&caller))?;
        let mut errors = crate::domain::FieldErrors::new();
        errors.add("portfolio_id", crate::domain::form::CHOICE);
        (StatusCode::UNPROCESSABLE_ENTITY, FormState::invalid(errors))
    };
    let (status, form) = shown;
    let page = ScenariosPage::load(&state, &caller, typed, form).await?;
    Ok((status, page).into_response())
}

/// What an apply made real and held back, as the scenario page reports it.
pub struct AppliedView {
    applied: Vec<AppliedLine>,
    conflicts: Vec<ConflictLine>,
}

pub struct AppliedLine {
    text: String,
    url: Option<String>,
}

pub struct ConflictLine {
    key: String,
    title: String,
    url: String,
    kept_version: i64,
    current_version: i64,
}

impl AppliedView {
    fn new(result: ApplyResult) -> AppliedView {
        AppliedView {
            applied: result
                .applied
                .into_iter()
                .map(|change| AppliedLine {
                    text: match (&change.key, change.period) {
                        (Some(key), _) => format!("{key} {}", change.title),
                        (None, Some(period)) => format!("Capacity of {} in {period}", change.title),
                        (None, None) => change.title.clone(),
                    },
                    url: change.initiative_id.map(|id| format!("/initiatives/{id}")),
                })
                .collect(),
            conflicts: result
                .conflicts
                .into_iter()
                .map(|conflict| ConflictLine {
                    url: format!("/initiatives/{}", conflict.initiative_id),
                    key: conflict.key,
                    title: conflict.title,
                    kept_version: conflict.kept_version,
                    current_version: conflict.current_version,
                })
                .collect(),
        }
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "scenarios/show.html")]
pub struct ScenarioPage {
    layout: Layout,
    scenario: Scenario,
    portfolio: String,
    can_edit: bool,
    view: ComparisonView,
    /// What the scenario changes: its changes, hypothetical work and capacities.
    own: SideChanges,
    compare_url: String,
    /// A message about the whole page: an apply refused, a remove that ran into a newer version.
    pub notice: Option<Alert>,
    pub applied: Option<AppliedView>,
    pub rename: (NameForm, FormState),
    pub change: (ChangeForm, FormState),
    pub initiative: (HypotheticalForm, FormState),
    pub capacity_form: (CapacityForm, FormState),
    pub choices: ScenarioChoices,
}

impl ScenarioPage {
    /// The page with blank forms; a handler that refused one puts it back with its state.
    pub async fn load(state: &AppState, caller: &Caller, id: Uuid) -> PageResult<ScenarioPage> {
        let pool = state.tenant(caller);
        let cache = &state.caches.comparisons;
        let comparison =
            db::scenario_figures::compare(&pool, cache, Plan::Live, Plan::Scenario(id), None).await?;
        let scenario = comparison.b.scenario.clone().expect("side b is the scenario");
        let can_edit = db::permissions::can_edit_portfolio(&pool, caller, scenario.portfolio_id).await?;
        let tree = db::portfolios::list_tree(&pool).await?;
        let themes = db::themes::all(&pool).await?;
        let names = Names::of(&tree, &themes);
        let mut view = ComparisonView::new(&comparison, &comparison.currency, &names);
        // Its own lists, with forms beside them, in place of the compare page's.
        let own = view.sides.pop().expect("side b is the scenario");
        let periods = comparison
            .a
            .capacity
            .figures
            .quarters
            .iter()
            .map(|q| q.period)
            .collect::<Vec<_>>();
        let choices = ScenarioChoices::new(&tree, &themes, scenario.portfolio_id, &periods);
        let version = scenario.version.to_string();
        Ok(ScenarioPage {
            layout: Layout::new(scenario.name.clone(), Some(caller)).in_section("scenarios"),
            portfolio: names.portfolio(scenario.portfolio_id),
            can_edit,
            own,
            compare_url: format!("/scenarios/compare?a=live&b={id}"),
            notice: None,
            applied: None,
            rename: (
                NameForm {
                    name: scenario.name.clone(),
                    version: version.clone(),
                    ..NameForm::default()
                },
                FormState::default().with_id_prefix("rename-".to_owned()),
            ),
            change: (
                ChangeForm::blank(&version),
                ChangeForm::state(FormState::default()),
            ),
            initiative: (
                HypotheticalForm::blank(&version, scenario.portfolio_id),
                HypotheticalForm::state(FormState::default()),
            ),
            capacity_form: (
                CapacityForm::blank(&version),
                CapacityForm::state(FormState::default()),
            ),
            choices,
            view,
            scenario,
        })
    }
}

#[tracing::instrument(skip_all, fields(scenario_id = %id))]
pub async fn show(
    State(state): State<AppState>,
    PageCaller(caller): PageCaller,
    Path(id): Path<Uuid>,
) -> PageResult<ScenarioPage> {
    ScenarioPage::load(&state, &caller, id).await
}

/// A write of one of the scenario page's forms refused: errors beside fields, or, when the
/// scenario changed since the page was rendered, a warning that what is listed now includes the
/// other person's change and that the typed form is kept to save again.
pub fn refused(error: AppError) -> Result<(StatusCode, FormState), AppError> {
    match error {
        AppError::PreconditionFailed => Ok((
            StatusCode::CONFLICT,
            FormState::warning(
                "Someone changed this scenario while you were editing.",
                "Nothing of yours was saved yet. What they saved is on the page now, with who \
                 made each change; your form is as you typed it: save again to add yours.",
            ),
        )),
        other => form::refusal(other),
    }
}

#[tracing::instrument(skip_all, fields(scenario_id = %id))]
pub async fn rename(
    State(state): State<AppState>,
    PageCaller(caller): PageCaller,
    Path(id): Path<Uuid>,
    Form(typed): Form<NameForm>,
) -> PageResult<Response> {
    let version = form::rendered_version(&typed.version)?;
    let input = ScenarioRename {
        name: Some(typed.name.clone()),
    };
    match db::scenarios::update(&state.tenant(&caller), &caller, id, Some(version), input).await {
        Ok(_) => Ok(Redirect::to(&format!("/scenarios/{id}")).into_response()),
        Err(error) => {
            shown_again(&state, &caller, id, error, |page, version, shown| {
                let typed = NameForm { version, ..typed };
                page.rename = (typed, shown.with_id_prefix("rename-".to_owned()));
            })
            .await
        }
    }
}

/// Branches the scenario: a copy holding everything it holds, opened at once.
#[tracing::instrument(skip_all, fields(scenario_id = %id))]
pub async fn copy(
    State(state): State<AppState>,
    PageCaller(caller): PageCaller,
    Path(id): Path<Uuid>,
) -> PageResult<Response> {
    let copy = db::scenarios::copy(&state.tenant(&caller), &caller, id, None).await?;
    Ok(Redirect::to(&format!("/scenarios/{}", copy.id)).into_response())
}

#[tracing::instrument(skip_all, fields(scenario_id = %id))]
pub async fn delete(
    State(state): State<AppState>,
    PageCaller(caller): PageCaller,
    Path(id): Path<Uuid>,
    Form(typed): Form<NameForm>,
) -> PageResult<Response> {
    let version = form::rendered_version(&typed.version)?;
    match db::scenarios::delete(&state.tenant(&caller), &caller, id, Some(version)).await {
        Ok(()) => Ok(Redirect::to("/scenarios").into_response()),
        Err(error) => notice(&state, &caller, id, error).await,
    }
}

/// The scenario page again with a refusal about the whole page above it.
pub async fn notice(state: &AppState, caller: &Caller, id: Uuid, error: AppError) -> PageResult<Response> {
    shown_again(state, caller, id, error, |page, _, shown| {
        page.notice = shown.alert
    })
    .await
}

/// The scenario page again after `error` refused one of its forms: `put` puts the form back as
/// typed, with the scenario's version as it is now (sent again after reading the other person's
/// change, it saves) and `shown` beside its fields.
pub async fn shown_again(
    state: &AppState,
    caller: &Caller,
    id: Uuid,
    error: AppError,
    put: impl FnOnce(&mut ScenarioPage, String, FormState),
) -> PageResult<Response> {
    let (status, shown) = refused(error)?;
    let mut page = ScenarioPage::load(state, caller, id).await?;
    let version = page.scenario.version.to_string();
    put(&mut page, version, shown);
    Ok((status, page).into_response())
}

/// Applies the ticked changes, or all of them with the "apply all" button, and shows what was
/// applied and what was held back.
#[tracing::instrument(skip_all, fields(scenario_id = %id))]
pub async fn apply(
    State(state): State<AppState>,
    PageCaller(caller): PageCaller,
    Path(id): Path<Uuid>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> PageResult<Response> {
    let all = pairs
        .iter()
        .any(|(name, value)| name == "all" && !value.is_empty());
    let chosen = if all {
        Chosen::All
    } else {
        let ids: Option<Vec<Uuid>> = pairs
            .iter()
            .filter(|(name, _)| name == "changes")
            .map(|(_, value)| value.parse().ok())
            .collect();
        match ids {
            Some(ids) if !ids.is_empty() => Chosen::Initiatives(ids),
            Some(_) => {
                db::scenarios::require_editor(&state.tenant(&caller), &caller, id).await?;
                let none = AppError::Conflict("Tick the changes to apply, or apply all.".to_owned());
                return notice(&state, &caller, id, none).await;
            }
            None => return Err(AppError::BadRequest("a ticked change is not an id".to_owned())),
        }
    };
    match db::scenarios::apply(&state.tenant(&caller), &caller, id, &chosen).await {
        Ok(result) => {
            let mut page = ScenarioPage::load(&state, &caller, id).await?;
            page.applied = Some(AppliedView::new(result));
            Ok(page.into_response())
        }
        Err(error) => notice(&state, &caller, id, error).await,
    }
}

#[derive(Deserialize)]
pub struct CompareQuery {
    a: Option<String>,
    b: Option<String>,
    portfolio_id: Option<String>,
}

pub struct PlanChoice {
    value: String,
    label: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "scenarios/compare.html")]
pub struct ComparePage {
    layout: Layout,
    a: String,
    b: String,
    plans: Vec<PlanChoice>,
    /// Why the plans asked for could not be compared, beside the chooser.
    problem: Option<String>,
    view: Option<ComparisonView>,
}

/// `/scenarios/compare?a=live&b={id}&portfolio_id=`: two plans side by side. Without both plans
/// the page offers the chooser alone.
#[tracing::instrument(skip_all)]
pub async fn compare(
    State(state): State<AppState>,
    PageCaller(caller): PageCaller,
    Query(query): Query<CompareQuery>,
) -> PageResult<Response> {
    let pool = state.tenant(&caller);
    let page = PageRequest {
        limit: LISTED,
        after: None,
    };
    let scenarios = db::scenarios::list(&pool, &page).await?.items;
    let plans = std::iter::once(PlanChoice {
        value: "live".to_owned(),
        label: "Live plan".to_owned(),
    })
    .chain(scenarios.iter().map(|s| PlanChoice {
        value: s.id.to_string(),
        label: s.name.clone(),
    }))
    .collect();
    let a = query.a.unwrap_or_else(|| "live".to_owned());
    let b = query.b.unwrap_or_default();
    let plan_of = |text: &str| text.trim().parse::<Plan>().ok();
    let (status, problem, view) = match (plan_of(&a), plan_of(&b)) {
        (Some(plan_a), Some(plan_b)) => {
            let portfolio_id = match query.portfolio_id.as_deref().map(str::trim) {
                None | Some("") => Ok(None),
                Some(text) => text.parse().map(Some).map_err(|_| ()),
            };
            match portfolio_id {
                Err(()) => (
                    StatusCode::BAD_REQUEST,
                    Some("The portfolio asked for is not an id.".to_owned()),
                    None,
                ),
                Ok(portfolio_id) => {
                    match db::scenario_figures::compare(
                        &pool,
                        &state.caches.comparisons,
                        plan_a,
                        plan_b,
                        portfolio_id,
                    )
                    .await
                    {
                        Ok(comparison) => {
                            let names = Names::of_comparison(&pool, &comparison).await?;
                            let view = ComparisonView::new(&comparison, &comparison.currency, &names);
                            (StatusCode::OK, None, Some(view))
                        }
                        Err(AppError::Validation(errors)) => {
                            let message = errors
                                .iter()
                                .map(|(field, messages)| format!("{field} {}", messages.join(" ")))
                                .collect::<Vec<_>>()
                                .join("; ");
                            (StatusCode::UNPROCESSABLE_ENTITY, Some(message), None)
                        }
                        Err(other) => return Err(other),
                    }
                }
            }
        }
        _ if b.is_empty() => (StatusCode::OK, None, None),
        _ => (
            StatusCode::BAD_REQUEST,
            Some("Choose two plans: the live plan or a scenario.".to_owned()),
            None,
        ),
    };
    let title = match &view {
        Some(view) => format!("{} against {}", view.b_name, view.a_name),
        None => "Compare plans".to_owned(),
    };
    let page = ComparePage {
        layout: Layout::new(title, Some(&caller)).in_section("scenarios"),
        a,
        b,
        plans,
        problem,
        view,
    };
    Ok((status, page).into_response())
}
