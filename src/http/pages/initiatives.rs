//! An initiative's page: its details, where it sits in the hierarchy, the quick update form for
//! whoever may edit it, and its history as a timeline.

use askama::Template;
use askama_web::WebTemplate;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use uuid::Uuid;

use super::Layout;
use super::feedback::DemandView;
use super::form::{Choice, FormState, refusal};
use super::quick_update::{HistoryEntry, Origin, QuickUpdate};
use crate::db;
use crate::db::dependencies::Dependencies;
use crate::db::initiatives::Initiative;
use crate::db::key_result_links::LinkedKeyResult;
use crate::db::pages::initiative::InitiativePageData;
use crate::db::portfolios::Portfolio;
use crate::db::users::Caller;
use crate::domain::initiative::is_late;
use crate::domain::pace::{Pace, PaceInputs};
use crate::domain::page::{PageQuery, PageRequest};
use crate::error::{AppError, PageResult};
use crate::http::AppState;
use crate::http::extract::PageCaller;

#[derive(Template, WebTemplate)]
#[template(path = "initiatives/show.html")]
pub struct InitiativePage {
    layout: Layout,
    initiative: Initiative,
    /// The portfolio path from the top down to the initiative's own portfolio.
    portfolios: Vec<Portfolio>,
    owner: String,
    theme: Option<String>,
    /// Whether the visitor may edit it.
    can_edit: bool,
    /// The quick update form, for whoever may edit.
    quick: Option<QuickUpdate>,
    /// The history, newest first, a page at a time.
    history: Vec<HistoryEntry>,
    /// Whether this is the history's first page.
    newest_page: bool,
    /// The link to the next, older page of history, if there is one.
    older: Option<String>,
    /// The key results it moves, and (for whoever may edit) those it could be linked to.
    key_results: Vec<LinkedKeyResult>,
    linkable: Vec<Choice>,
    /// Days past its target date, when it is late (open work, target before today).
    late_days: Option<i64>,
    scores: Vec<ScoreView>,
    /// The scorecard's drivers with the initiative's value on each: what its scorecard score
    /// weighs. They are set on the edit form.
    drivers: Vec<DriverValue>,
    /// Its pace against its time (SPEC §10), when it is in progress with both dates.
    pace: Option<PaceView>,
    /// What it waits for and what waits for it, each link marked when in conflict.
    dependencies: Dependencies,
    /// The blocker form: errors beside the key of a refused submit, and what was typed.
    blocker_form: FormState,
    blocker_key: String,
    /// Its demand and the customer feedback behind it (SPEC §11).
    demand: DemandView,
}

/// An initiative's pace as its page explains it.
pub struct PaceView {
    pub optimistic: bool,
    /// "75 % of its time gone, 50 % done: 25 points behind".
    pub explanation: String,
    pub threshold: i16,
}

/// One scorecard driver and the initiative's value on it, if it has one.
pub struct DriverValue {
    pub id: Uuid,
    pub name: String,
    pub value: Option<i16>,
    pub max: i16,
}

/// One score as the page explains it: its formula with the inputs filled in, and what is missing.
pub struct ScoreView {
    /// `rice`, `wsjf`, `moar` or `scorecard`: the row's class.
    pub name: &'static str,
    pub formula: String,
    /// Whether there is a score (else `missing` says why not).
    pub scored: bool,
    pub missing: String,
}

impl ScoreView {
    pub fn all(initiative: &Initiative) -> Vec<ScoreView> {
        initiative
            .scores()
            .named()
            .into_iter()
            .map(|(name, score)| ScoreView {
                name,
                formula: score.formula.clone(),
                scored: score.value.is_some(),
                missing: missing_message(&score.missing),
            })
            .collect()
    }
}

/// "no score until impact and confidence are given".
fn missing_message(missing: &[&str]) -> String {
    match missing {
        [] => String::new(),
        ["scorecard drivers"] => "no score until the organization sets up its scorecard's drivers".to_owned(),
        [one] => format!("no score until {one} is given"),
        [init @ .., last] => format!("no score until {} and {last} are given", init.join(", ")),
    }
}

/// The page of `initiative`, with `quick` in place of a fresh update form (a refused submit, the
/// user's input kept), and the history from `history_page` on.
pub async fn page(
    state: &AppState,
    caller: &Caller,
    initiative: &Initiative,
    quick: Option<QuickUpdate>,
    history_page: Option<PageRequest>,
) -> PageResult<InitiativePage> {
    let history_page = history_page.unwrap_or_default();
    let data = db::pages::initiative::read(&state.tenant(caller), caller, initiative, &history_page).await?;
    Ok(InitiativePage::new(
        caller,
        initiative,
        quick,
        history_page.after.is_none(),
        data,
    ))
}

impl InitiativePage {
    fn new(
        caller: &Caller,
        initiative: &Initiative,
        quick: Option<QuickUpdate>,
        newest_page: bool,
        data: InitiativePageData,
    ) -> InitiativePage {
        let today = data.calendar.today;
        let late_days = is_late(initiative.status, initiative.target_date, today)
            .then(|| initiative.target_date.map(|target| (today - target).num_days()))
            .flatten();
        let threshold = data.calendar.optimism_threshold;
        let pace = Pace::of(pace_inputs(initiative), today, threshold).map(|pace| PaceView {
            optimistic: pace.optimistic,
            explanation: pace.explanation(initiative.progress),
            threshold,
        });
        let updates = data.history.items;
        // The form remembers the newest record; on an older page of history it is not in view.
        let quick = quick.or_else(|| {
            (data.can_edit && newest_page)
                .then(|| QuickUpdate::fresh(initiative, updates.first().map(|u| u.id), Origin::Initiative))
        });
        InitiativePage {
            can_edit: data.can_edit,
            layout: Layout::new(format!("{} {}", initiative.key, initiative.title), Some(caller))
                .in_section("portfolios"),
            owner: initiative
                .owner_id
                .and_then(|owner| data.names.get(&owner).cloned())
                .unwrap_or_else(|| "No owner".to_owned()),
            initiative: initiative.clone(),
            portfolios: data.portfolios,
            theme: data.theme,
            quick,
            history: updates.iter().map(HistoryEntry::from).collect(),
            newest_page,
            older: data
                .history
                .next_cursor
                .map(|cursor| format!("/initiatives/{}?cursor={cursor}#history", initiative.id)),
            key_results: data.key_results,
            linkable: data
                .linkable
                .into_iter()
                .map(|(id, label)| Choice::new(id.to_string(), label))
                .collect(),
            late_days,
            scores: ScoreView::all(initiative),
            drivers: data
                .drivers
                .iter()
                .map(|driver| DriverValue {
                    id: driver.id,
                    name: driver.name.clone(),
                    value: data.driver_values.get(&driver.id).copied(),
                    max: driver.max,
                })
                .collect(),
            pace,
            dependencies: data.dependencies,
            blocker_form: FormState::default(),
            blocker_key: String::new(),
            demand: DemandView::new(initiative.demand, data.feedback, &data.currency),
        }
    }
}

/// What pace reads of an initiative.
pub fn pace_inputs(initiative: &Initiative) -> PaceInputs {
    PaceInputs {
        status: initiative.status,
        health: initiative.health,
        progress: initiative.progress,
        start_date: initiative.start_date,
        target_date: initiative.target_date,
    }
}

/// The blocker form's one field: the key of the initiative this one waits for.
#[derive(serde::Deserialize)]
pub struct BlockerForm {
    #[serde(default)]
    blocker: String,
}

/// `POST /initiatives/{id}/dependencies`: makes it wait for the initiative whose key was typed,
/// then back to its page; an unknown key or a cycle is said beside the field.
#[tracing::instrument(skip_all, fields(initiative_id = %id))]
pub async fn add_blocker(
    State(state): State<AppState>,
    PageCaller(caller): PageCaller,
    Path(id): Path<Uuid>,
    Form(form): Form<BlockerForm>,
) -> PageResult<Response> {
    let pool = state.tenant(&caller);
    let key = form.blocker.trim();
    let refused = match db::initiatives::id_of_key(&pool, key).await? {
        None if key.is_empty() => AppError::field("blocker", "type the key of the initiative it waits for"),
        None => AppError::field("blocker", format!("no initiative has the key {key}")),
        Some(blocker_id) => match db::dependencies::put(&pool, &caller, id, blocker_id).await {
            Ok(_) => return Ok(Redirect::to(&format!("/initiatives/{id}#dependencies")).into_response()),
            Err(AppError::Conflict(message)) => AppError::field("blocker", message),
            Err(error) => error,
        },
    };
    let (status, form_state) = refusal(refused)?;
    let initiative = db::initiatives::get(&pool, id).await?;
    let mut page = page(&state, &caller, &initiative, None, None).await?;
    page.blocker_form = form_state;
    page.blocker_key = form.blocker;
    Ok((status, page).into_response())
}

/// `POST /initiatives/{id}/dependencies/{blocker_id}/remove`: it no longer waits for the blocker.
#[tracing::instrument(skip_all, fields(initiative_id = %id))]
pub async fn remove_blocker(
    State(state): State<AppState>,
    PageCaller(caller): PageCaller,
    Path((id, blocker_id)): Path<(Uuid, Uuid)>,
) -> PageResult<Redirect> {
    db::dependencies::delete(&state.tenant(&caller), &caller, id, blocker_id).await?;
    Ok(Redirect::to(&format!("/initiatives/{id}#dependencies")))
}

#[tracing::instrument(skip_all, fields(initiative_id = %id))]
pub async fn show(
    State(state): State<AppState>,
    PageCaller(caller): PageCaller,
    Path(id): Path<Uuid>,
    Query(query): Query<PageQuery>,
    Query(saved): Query<SavedQuery>,
) -> PageResult<InitiativePage> {
    let initiative = db::initiatives::get(&state.tenant(&caller), id).await?;
    let history_page = query.parse()?;
    let mut page = page(&state, &caller, &initiative, None, Some(history_page)).await?;
    if let (Some(quick), true) = (
        page.quick.as_mut(),
        saved.saved.is_some() || saved.merged.is_some(),
    ) {
        quick.saved = Some(super::quick_update::saved_message(saved.merged.is_some()));
    }
    Ok(page)
}

/// `?saved=1`: an update was just saved (the redirect after a quick update).
#[derive(serde::Deserialize)]
pub struct SavedQuery {
    saved: Option<String>,
    /// Set when what someone else saved meanwhile was merged with the change.
    merged: Option<String>,
}

/// The link form's one field.
#[derive(serde::Deserialize)]
pub struct LinkForm {
    key_result_id: String,
}

/// `POST /initiatives/{id}/key-results`: links the chosen key result, then back to the initiative.
#[tracing::instrument(skip_all, fields(initiative_id = %id))]
pub async fn link_key_result(
    State(state): State<AppState>,
    PageCaller(caller): PageCaller,
    Path(id): Path<Uuid>,
    Form(form): Form<LinkForm>,
) -> PageResult<Redirect> {
    let key_result_id = form
        .key_result_id
        .parse()
        .map_err(|_| AppError::BadRequest("choose a key result to link".into()))?;
    db::key_result_links::link(&state.tenant(&caller), &caller, id, key_result_id).await?;
    Ok(Redirect::to(&format!("/initiatives/{id}#key-results")))
}

/// `POST /initiatives/{id}/key-results/{kr_id}/unlink`.
#[tracing::instrument(skip_all, fields(initiative_id = %id))]
pub async fn unlink_key_result(
    State(state): State<AppState>,
    PageCaller(caller): PageCaller,
    Path((id, key_result_id)): Path<(Uuid, Uuid)>,
) -> PageResult<Redirect> {
    db::key_result_links::unlink(&state.tenant(&caller), &caller, id, key_result_id).await?;
    Ok(Redirect::to(&format!("/initiatives/{id}#key-results")))
}
