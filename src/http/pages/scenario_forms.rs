//! The forms of a scenario's page (SPEC §9): change a live initiative (named by its key; a field
//! left blank is left as the live plan has it), add work that exists only in the scenario, set a
//! portfolio's capacity for a quarter, and take a change or a hypothetical initiative out again.
//! Every form carries the scenario's version: a form rendered before someone else's change to the
//! scenario is refused with their change on the page and the typed form kept.

use axum::Form;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use uuid::Uuid;

use super::form::{Choice, FormState, rendered_version, word_choices};
use super::scenarios::{notice, shown_again};
use crate::db;
use crate::db::portfolios::TreeNode;
use crate::db::scenarios::Item;
use crate::db::themes::Theme;
use crate::domain::capacity;
use crate::domain::form::{CHOICE, DATE, NUMBER, WHOLE_NUMBER, optional, required};
use crate::domain::initiative::InitiativeChanges;
use crate::domain::period::Period;
use crate::domain::scenario::ChangeInput;
use crate::domain::{FieldErrors, Status};
use crate::error::{AppError, PageResult};
use crate::http::AppState;
use crate::http::extract::PageCaller;

/// The choices of the page's selects: the scenario's subtree only, since nothing in a scenario
/// may leave it.
pub struct ScenarioChoices {
    pub statuses_unchanged: Vec<Choice>,
    pub statuses: Vec<Choice>,
    pub portfolios_unchanged: Vec<Choice>,
    pub portfolios: Vec<Choice>,
    pub themes_unchanged: Vec<Choice>,
    pub themes: Vec<Choice>,
    pub quarters: Vec<Choice>,
}

impl ScenarioChoices {
    pub fn new(tree: &[TreeNode], themes: &[Theme], root: Uuid, quarters: &[Period]) -> ScenarioChoices {
        let subtree = subtree_choices(tree, root);
        let theme_choices: Vec<Choice> = themes
            .iter()
            .map(|t| Choice::new(t.id.to_string(), t.name.clone()))
            .collect();
        let unchanged = || Choice::new("", "Unchanged");
        let no_theme = || Choice::new("none", "No theme");
        ScenarioChoices {
            statuses_unchanged: word_choices(Some("Unchanged"), Status::ALL, Status::as_str, Status::label),
            statuses: word_choices(None, Status::ALL, Status::as_str, Status::label),
            portfolios_unchanged: std::iter::once(unchanged()).chain(subtree.clone()).collect(),
            portfolios: subtree,
            themes_unchanged: [unchanged(), no_theme()]
                .into_iter()
                .chain(theme_choices.clone())
                .collect(),
            themes: std::iter::once(Choice::new("", "No theme"))
                .chain(theme_choices)
                .collect(),
            quarters: quarters
                .iter()
                .map(|q| Choice::new(q.to_string(), q.to_string()))
                .collect(),
        }
    }
}

/// `root` and the portfolios below it, indented by depth below it: the tree is depth-first, so
/// the subtree is the run of deeper nodes right after its root.
fn subtree_choices(tree: &[TreeNode], root: Uuid) -> Vec<Choice> {
    let Some(start) = tree.iter().position(|node| node.portfolio.id == root) else {
        return Vec::new();
    };
    let depth = tree[start].depth;
    std::iter::once(&tree[start])
        .chain(tree[start + 1..].iter().take_while(|node| node.depth > depth))
        .map(|node| {
            let indent = "\u{a0}\u{a0}\u{a0}".repeat((node.depth - depth) as usize);
            Choice::new(
                node.portfolio.id.to_string(),
                format!("{indent}{}", node.portfolio.name),
            )
        })
        .collect()
}

/// A change of one live initiative, as typed.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default)]
pub struct ChangeForm {
    pub key: String,
    pub status: String,
    pub start_date: String,
    pub target_date: String,
    pub effort: String,
    pub progress: String,
    pub portfolio_id: String,
    pub theme_id: String,
    pub version: String,
}

impl ChangeForm {
    pub fn blank(version: &str) -> ChangeForm {
        ChangeForm {
            version: version.to_owned(),
            ..ChangeForm::default()
        }
    }

    pub fn state(state: FormState) -> FormState {
        state.with_id_prefix("change-".to_owned()).with_fields(&[
            ("key", "Initiative key"),
            ("status", "Status"),
            ("start_date", "Start"),
            ("target_date", "Target"),
            ("effort", "Effort"),
            ("progress", "Progress"),
            ("portfolio_id", "Portfolio"),
            ("theme_id", "Theme"),
        ])
    }

    /// The change asked for (a blank field leaves it as it is live), and what did not parse.
    fn parse(&self) -> (ChangeInput, FieldErrors) {
        let mut errors = FieldErrors::new();
        let e = &mut errors;
        let theme_id = match self.theme_id.trim() {
            "" => None,
            "none" => Some(None),
            text => optional(e, "theme_id", text, CHOICE),
        };
        let input = ChangeInput {
            status: optional(e, "status", &self.status, CHOICE).flatten(),
            start_date: optional(e, "start_date", &self.start_date, DATE)
                .flatten()
                .map(Some),
            target_date: optional(e, "target_date", &self.target_date, DATE)
                .flatten()
                .map(Some),
            effort: optional(e, "effort", &self.effort, NUMBER).flatten(),
            progress: optional(e, "progress", &self.progress, WHOLE_NUMBER).flatten(),
            portfolio_id: optional(e, "portfolio_id", &self.portfolio_id, CHOICE).flatten(),
            theme_id,
        };
        (input, errors)
    }
}

/// Work that exists only in the scenario, as typed.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default)]
pub struct HypotheticalForm {
    pub title: String,
    pub portfolio_id: String,
    pub status: String,
    pub effort: String,
    pub start_date: String,
    pub target_date: String,
    pub theme_id: String,
    pub version: String,
}

impl HypotheticalForm {
    pub fn blank(version: &str, portfolio_id: Uuid) -> HypotheticalForm {
        HypotheticalForm {
            portfolio_id: portfolio_id.to_string(),
            status: Status::Planned.as_str().to_owned(),
            version: version.to_owned(),
            ..HypotheticalForm::default()
        }
    }

    pub fn state(state: FormState) -> FormState {
        state.with_id_prefix("new-".to_owned()).with_fields(&[
            ("title", "Title"),
            ("portfolio_id", "Portfolio"),
            ("status", "Status"),
            ("effort", "Effort"),
            ("start_date", "Start"),
            ("target_date", "Target"),
            ("theme_id", "Theme"),
        ])
    }

    fn parse(&self) -> (InitiativeChanges, FieldErrors) {
        let mut errors = FieldErrors::new();
        let e = &mut errors;
        let changes = InitiativeChanges {
            title: Some(self.title.clone()),
            portfolio_id: required(e, "portfolio_id", &self.portfolio_id, CHOICE),
            status: required(e, "status", &self.status, CHOICE),
            effort: required(e, "effort", &self.effort, NUMBER),
            start_date: optional(e, "start_date", &self.start_date, DATE),
            target_date: optional(e, "target_date", &self.target_date, DATE),
            theme_id: optional(e, "theme_id", &self.theme_id, CHOICE),
            ..InitiativeChanges::default()
        };
        (changes, errors)
    }
}

/// A portfolio's own capacity in one quarter as the scenario has it, as typed.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default)]
pub struct CapacityForm {
    pub portfolio_id: String,
    pub period: String,
    pub person_weeks: String,
    pub version: String,
}

impl CapacityForm {
    pub fn blank(version: &str) -> CapacityForm {
        CapacityForm {
            version: version.to_owned(),
            ..CapacityForm::default()
        }
    }

    pub fn state(state: FormState) -> FormState {
        state.with_id_prefix("capacity-".to_owned()).with_fields(&[
            ("portfolio_id", "Portfolio"),
            ("period", "Quarter"),
            ("person_weeks", "Person-weeks"),
        ])
    }

    fn parse(&self) -> Result<(Uuid, Period, rust_decimal::Decimal), FieldErrors> {
        let mut errors = FieldErrors::new();
        let portfolio_id = required(&mut errors, "portfolio_id", &self.portfolio_id, CHOICE);
        let period = capacity::quarter("period", &self.period)
            .map_err(|e| errors.merge(e))
            .ok();
        let value = self.person_weeks.trim().parse::<f64>().unwrap_or(f64::NAN);
        let person_weeks = capacity::person_weeks(value).map_err(|e| errors.merge(e)).ok();
        match (portfolio_id, period, person_weeks) {
            (Some(portfolio_id), Some(period), Some(person_weeks)) if errors.is_empty() => {
                Ok((portfolio_id, period, person_weeks))
            }
            _ => Err(errors),
        }
    }
}

/// The text of a form that did not parse is refused here, after the same permission check the
/// write would make.
async fn unreadable(
    state: &AppState,
    caller: &crate::db::users::Caller,
    id: Uuid,
    errors: FieldErrors,
) -> AppError {
    match db::scenarios::require_editor(&state.tenant(caller), caller, id).await {
        Ok(()) => AppError::Validation(errors),
        Err(refusal) => refusal,
    }
}

#[tracing::instrument(skip_all, fields(scenario_id = %id))]
pub async fn save_change(
    State(state): State<AppState>,
    PageCaller(caller): PageCaller,
    Path(id): Path<Uuid>,
    Form(typed): Form<ChangeForm>,
) -> PageResult<Response> {
    let version = rendered_version(&typed.version)?;
    let pool = state.tenant(&caller);
    let (input, mut errors) = typed.parse();
    let initiative_id = match typed.key.trim() {
        "" => {
            errors.add("key", "is required");
            None
        }
        key => {
            let found = db::initiatives::id_of_key(&pool, key).await?;
            if found.is_none() {
                errors.add("key", "is not the key of an initiative in this organization");
            }
            found
        }
    };
    let written = match initiative_id {
        Some(initiative_id) if errors.is_empty() => {
            db::scenarios::put_change(&pool, &caller, id, initiative_id, Some(version), input)
                .await
                .map_err(initiative_as_key)
        }
        _ => Err(unreadable(&state, &caller, id, errors).await),
    };
    match written {
        Ok(_) => Ok(Redirect::to(&format!("/scenarios/{id}#changes")).into_response()),
        Err(error) => {
            shown_again(&state, &caller, id, error, |page, version, shown| {
                page.change = (ChangeForm { version, ..typed }, ChangeForm::state(shown));
            })
            .await
        }
    }
}

/// The write names the initiative by id; the form names it by key.
fn initiative_as_key(error: AppError) -> AppError {
    match error {
        AppError::Validation(errors) => AppError::Validation(errors.iter().fold(
            FieldErrors::new(),
            |mut renamed, (field, messages)| {
                let field = if field == "initiative_id" {
                    "key"
                } else {
                    field.as_str()
                };
                for message in messages {
                    renamed.add(field, message.clone());
                }
                renamed
            },
        )),
        other => other,
    }
}

#[tracing::instrument(skip_all, fields(scenario_id = %id))]
pub async fn add_initiative(
    State(state): State<AppState>,
    PageCaller(caller): PageCaller,
    Path(id): Path<Uuid>,
    Form(typed): Form<HypotheticalForm>,
) -> PageResult<Response> {
    let version = rendered_version(&typed.version)?;
    let (changes, errors) = typed.parse();
    let written = if errors.is_empty() {
        db::scenarios::add_initiative(&state.tenant(&caller), &caller, id, Some(version), changes).await
    } else {
        let errors = super::form::all_errors(changes, errors, |c| c.apply(None));
        Err(unreadable(&state, &caller, id, errors).await)
    };
    match written {
        Ok(_) => Ok(Redirect::to(&format!("/scenarios/{id}#initiatives")).into_response()),
        Err(error) => {
            shown_again(&state, &caller, id, error, |page, version, shown| {
                page.initiative = (
                    HypotheticalForm { version, ..typed },
                    HypotheticalForm::state(shown),
                );
            })
            .await
        }
    }
}

#[tracing::instrument(skip_all, fields(scenario_id = %id))]
pub async fn save_capacity(
    State(state): State<AppState>,
    PageCaller(caller): PageCaller,
    Path(id): Path<Uuid>,
    Form(typed): Form<CapacityForm>,
) -> PageResult<Response> {
    let version = rendered_version(&typed.version)?;
    let pool = state.tenant(&caller);
    let written = match typed.parse() {
        Ok((portfolio_id, period, person_weeks)) => db::scenarios::put_capacity(
            &pool,
            &caller,
            id,
            portfolio_id,
            period,
            Some(version),
            person_weeks,
        )
        .await
        .map(|_| ()),
        Err(errors) => Err(unreadable(&state, &caller, id, errors).await),
    };
    match written {
        Ok(()) => Ok(Redirect::to(&format!("/scenarios/{id}#capacity")).into_response()),
        Err(error) => {
            shown_again(&state, &caller, id, error, |page, version, shown| {
                page.capacity_form = (CapacityForm { version, ..typed }, CapacityForm::state(shown));
            })
            .await
        }
    }
}

#[derive(Deserialize)]
pub struct VersionForm {
    #[serde(default)]
    version: String,
}

/// Takes one initiative's change out of the scenario.
#[tracing::instrument(skip_all, fields(scenario_id = %id, initiative_id = %item))]
pub async fn remove_change(
    State(state): State<AppState>,
    PageCaller(caller): PageCaller,
    Path((id, item)): Path<(Uuid, Uuid)>,
    Form(typed): Form<VersionForm>,
) -> PageResult<Response> {
    remove(state, caller, id, Item::Change(item), &typed.version, "#changes").await
}

/// Takes a hypothetical initiative out of the scenario.
#[tracing::instrument(skip_all, fields(scenario_id = %id, hypothetical_id = %item))]
pub async fn remove_initiative(
    State(state): State<AppState>,
    PageCaller(caller): PageCaller,
    Path((id, item)): Path<(Uuid, Uuid)>,
    Form(typed): Form<VersionForm>,
) -> PageResult<Response> {
    remove(
        state,
        caller,
        id,
        Item::Initiative(item),
        &typed.version,
        "#initiatives",
    )
    .await
}

async fn remove(
    state: AppState,
    caller: crate::db::users::Caller,
    id: Uuid,
    item: Item,
    version: &str,
    anchor: &str,
) -> PageResult<Response> {
    let version = rendered_version(version)?;
    match db::scenarios::remove(&state.tenant(&caller), &caller, id, item, Some(version)).await {
        Ok(()) => Ok(Redirect::to(&format!("/scenarios/{id}{anchor}")).into_response()),
        Err(error) => notice(&state, &caller, id, error).await,
    }
}
