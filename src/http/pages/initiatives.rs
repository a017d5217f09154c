//! An initiative's page: its details, where it sits in the hierarchy, the quick update form for
//! whoever may edit it, and its history as a timeline.

use askama::Template;
use askama_web::WebTemplate;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::response::Redirect;
use uuid::Uuid;

use super::Layout;
use super::form::Choice;
use super::status_updates::{self, HistoryEntry, Origin, QuickUpdate};
use crate::db;
use crate::db::initiatives::Initiative;
use crate::db::key_result_links::LinkedKeyResult;
use crate::db::portfolios::Portfolio;
use crate::db::users::Caller;
use crate::domain::currency::{format_quantity, group_thousands};
use crate::domain::initiative::{RiceBreakdown, is_late};
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
    rice: RiceView,
}

/// The RICE score as its formula: reach × impact × confidence ÷ effort = score.
pub struct RiceView {
    pub reach: String,
    pub impact: String,
    pub confidence: String,
    pub effort: String,
    /// `None` while an input is missing; `missing` names them.
    pub score: Option<String>,
    pub missing: String,
}

impl RiceView {
    fn new(initiative: &Initiative) -> RiceView {
        let rice = RiceBreakdown::new(
            initiative.reach,
            initiative.impact,
            initiative.confidence,
            initiative.effort,
        );
        let or_dash = |value: Option<String>| value.unwrap_or_else(|| "?".to_owned());
        RiceView {
            reach: or_dash(rice.reach.map(|r| group_thousands(r.max(0) as u64))),
            impact: or_dash(rice.impact.map(format_quantity)),
            confidence: or_dash(rice.confidence.map(|c| format!("{c}%"))),
            effort: format_quantity(rice.effort),
            score: rice.score.map(|s| format!("{s:.2}")),
            missing: rice.missing().join(", "),
        }
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
    let portfolios =
        db::portfolios::ancestors(&state.tenant(caller), caller.org_id, initiative.portfolio_id).await?;
    let names = db::portfolio_views::names_of(
        &state.tenant(caller),
        caller.org_id,
        &Vec::from_iter(initiative.owner_id),
    )
    .await?;
    let theme = match initiative.theme_id {
        Some(theme_id) => Some(db::themes::get(&state.tenant(caller), theme_id).await?.name),
        None => None,
    };
    let can_edit = db::permissions::can_edit_owned(
        &state.tenant(caller),
        caller,
        initiative.owner_id,
        initiative.portfolio_id,
    )
    .await?;
    let calendar = db::orgs::calendar(&state.tenant(caller)).await?;
    let late_days = is_late(initiative.status, initiative.target_date, calendar.today)
        .then(|| {
            initiative
                .target_date
                .map(|target| (calendar.today - target).num_days())
        })
        .flatten();
    let quarter = calendar.current_quarter();
    let key_results = db::key_result_links::of_initiative(&state.tenant(caller), initiative.id).await?;
    let linkable = if can_edit {
        let periods = [quarter.to_string(), quarter.year().to_string()];
        db::key_result_links::linkable(&state.tenant(caller), initiative.portfolio_id, &periods)
            .await?
            .into_iter()
            .filter(|(id, _)| !key_results.iter().any(|k| k.key_result.id == *id))
            .map(|(id, label)| Choice::new(id.to_string(), label))
            .collect()
    } else {
        Vec::new()
    };
    let history_page = history_page.unwrap_or_default();
    let newest_page = history_page.after.is_none();
    let (updates, next) = status_updates::history(state, caller, initiative.id, &history_page).await?;
    let quick = match quick {
        Some(quick) => Some(quick),
        // The form remembers the newest record; on an older page of history it is not in view.
        None if can_edit && newest_page => Some(QuickUpdate::fresh(
            initiative,
            updates.first().map(|u| u.id),
            Origin::Initiative,
        )),
        None => None,
    };
    Ok(InitiativePage {
        can_edit,
        layout: Layout::new(format!("{} {}", initiative.key, initiative.title), Some(caller))
            .in_section("portfolios"),
        owner: initiative
            .owner_id
            .and_then(|owner| names.get(&owner).cloned())
            .unwrap_or_else(|| "No owner".to_owned()),
        initiative: initiative.clone(),
        portfolios,
        theme,
        quick,
        history: updates.iter().map(HistoryEntry::from).collect(),
        newest_page,
        older: next.map(|cursor| format!("/initiatives/{}?cursor={cursor}#history", initiative.id)),
        key_results,
        linkable,
        late_days,
        rice: RiceView::new(initiative),
    })
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
    if let (Some(quick), Some(_)) = (page.quick.as_mut(), saved.saved) {
        quick.saved = Some(super::status_updates::SAVED);
    }
    Ok(page)
}

/// `?saved=1`: an update was just saved (the redirect after a quick update).
#[derive(serde::Deserialize)]
pub struct SavedQuery {
    saved: Option<String>,
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
