//! The portfolio form: `/portfolios/new?parent_id=` and `POST /portfolios` create one,
//! `/portfolios/{id}/edit` and `POST /portfolios/{id}` change one. The rules are the database
//! layer's; this module reads the form's text and shows what it answers.

use crate::domain::permissions::may_write;
use crate::error::forbidden_unless;
use askama::Template;
use askama_web::WebTemplate;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use uuid::Uuid;

use super::Layout;
use super::form::{self, Choice, FormState, label_of, text_of};
use super::versioned_form::{self, Outcome, Record, VersionedForm, versioned_form};
use crate::db;
use crate::db::TenantPool;
use crate::db::permissions;
use crate::db::portfolios::Portfolio;
use crate::db::users::Caller;
use crate::domain::form::{CHOICE, WHOLE_NUMBER, optional, required};
use crate::domain::portfolio::{PortfolioChanges, PortfolioValues};
use crate::domain::{FieldErrors, Lifecycle, PortfolioLevel};
use crate::error::{AppError, PageResult};
use crate::http::AppState;
use crate::http::extract::PageCaller;

/// The form's fields as typed; `version` is the one the form was rendered with (edits only).
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default)]
pub struct PortfolioForm {
    name: String,
    description: String,
    level: String,
    parent_id: String,
    owner_id: String,
    lifecycle: String,
    position: String,
    version: String,
    /// The values the form was rendered with (edits only).
    base: String,
}

versioned_form!(
    PortfolioForm,
    "portfolio",
    [name, description, level, parent_id, owner_id, lifecycle, position]
);

impl PortfolioForm {
    fn from_values(values: &PortfolioValues, version: Option<i64>) -> PortfolioForm {
        PortfolioForm {
            name: values.name.clone(),
            description: values.description.clone(),
            level: values.level.as_str().to_owned(),
            parent_id: text_of(values.parent_id),
            owner_id: text_of(values.owner_id),
            lifecycle: values
                .lifecycle
                .map(|l| l.as_str().to_owned())
                .unwrap_or_default(),
            position: text_of(values.position),
            version: text_of(version),
            base: String::new(),
        }
    }

    fn from_portfolio(portfolio: &Portfolio) -> PortfolioForm {
        PortfolioForm::from_values(&portfolio.values(), Some(portfolio.version)).rendered()
    }

    /// A blank form for a new portfolio under `parent`, one level below it.
    fn new_under(parent: Option<&Portfolio>) -> PortfolioForm {
        let level = parent
            .map(|p| p.level.below().unwrap_or(p.level))
            .unwrap_or(PortfolioLevel::Portfolio);
        PortfolioForm {
            level: level.as_str().to_owned(),
            parent_id: text_of(parent.map(|p| p.id)),
            ..PortfolioForm::default()
        }
    }

    /// The changes the form asks for, and the fields whose text did not parse.
    fn parse(&self) -> (PortfolioChanges, FieldErrors) {
        let mut errors = FieldErrors::new();
        let changes = PortfolioChanges {
            name: Some(self.name.clone()),
            description: Some(Some(self.description.clone())),
            level: required(&mut errors, "level", &self.level, CHOICE),
            parent_id: optional(&mut errors, "parent_id", &self.parent_id, CHOICE),
            owner_id: optional(&mut errors, "owner_id", &self.owner_id, CHOICE),
            lifecycle: optional(&mut errors, "lifecycle", &self.lifecycle, CHOICE),
            // Empty keeps its place among its siblings (or puts a new or moved one last).
            position: optional(&mut errors, "position", &self.position, WHOLE_NUMBER).flatten(),
        };
        (changes, errors)
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "portfolios/form.html")]
pub struct PortfolioFormPage {
    layout: Layout,
    heading: String,
    action: String,
    submit: &'static str,
    cancel_url: String,
    values: PortfolioForm,
    form: FormState,
    levels: Vec<Choice>,
    lifecycles: Vec<Choice>,
    parents: Vec<Choice>,
    owners: Vec<Choice>,
}

impl PortfolioFormPage {
    /// How a saved value reads beside a field: the label of a select's choice, else the text.
    fn show(&self, field: &str, value: &str) -> String {
        let choices = match field {
            "level" => &self.levels,
            "lifecycle" => &self.lifecycles,
            "parent_id" => &self.parents,
            "owner_id" => &self.owners,
            _ if value.trim().is_empty() => return "(empty)".to_owned(),
            _ => return value.to_owned(),
        };
        label_of(choices, value)
    }

    fn respond(self, status: StatusCode) -> Response {
        (status, self).into_response()
    }
}

/// The form page for a new portfolio (`editing` none) or an existing one, with `values` typed in.
async fn page(
    state: &AppState,
    caller: &Caller,
    editing: Option<&Portfolio>,
    values: PortfolioForm,
) -> PageResult<PortfolioFormPage> {
    let pool = &state.tenant(caller);
    let (tree, editable, names, may_top_level) = tokio::try_join!(
        db::portfolios::list_tree(pool),
        permissions::editable_portfolios(pool, caller),
        db::portfolio_views::member_names(pool),
        permissions::can_create_portfolio(pool, caller, None),
    )?;
    let keep: Vec<Uuid> = [editing.and_then(|p| p.parent_id), values.parent_id.parse().ok()]
        .into_iter()
        .flatten()
        .collect();
    let top_level = may_top_level || editing.is_some_and(|p| p.parent_id.is_none());
    let empty = top_level.then_some("None: a top-level portfolio");
    let parents = form::portfolio_choices(&tree, &editable, &keep, editing.map(|p| p.id), empty);
    let (heading, action, submit, cancel_url) = heading(editing, &values.parent_id);
    Ok(PortfolioFormPage {
        layout: Layout::new(heading.clone(), Some(caller)).in_section("portfolios"),
        heading,
        action,
        submit,
        cancel_url,
        values,
        form: FormState::default(),
        levels: level_choices(),
        lifecycles: form::word_choices(Some("None"), Lifecycle::ALL, Lifecycle::as_str, Lifecycle::label),
        parents,
        owners: form::member_choices(names, "No owner"),
    })
}

fn level_choices() -> Vec<Choice> {
    form::word_choices(
        None,
        PortfolioLevel::ALL,
        PortfolioLevel::as_str,
        PortfolioLevel::label,
    )
}

/// What the form page says it does: its heading, where it posts, its button, where cancel leads.
fn heading(editing: Option<&Portfolio>, parent_id: &str) -> (String, String, &'static str, String) {
    match editing {
        Some(portfolio) => (
            format!("Edit {}", portfolio.name),
            format!("/portfolios/{}", portfolio.id),
            "Save changes",
            format!("/portfolios/{}", portfolio.id),
        ),
        None => (
            "New portfolio".to_owned(),
            "/portfolios".to_owned(),
            "Create portfolio",
            match parent_id {
                "" => "/portfolios".to_owned(),
                parent => format!("/portfolios/{parent}"),
            },
        ),
    }
}

#[derive(Deserialize)]
pub struct NewPortfolioQuery {
    parent_id: Option<Uuid>,
}

#[tracing::instrument(skip_all)]
pub async fn new(
    State(state): State<AppState>,
    PageCaller(caller): PageCaller,
    Query(query): Query<NewPortfolioQuery>,
) -> PageResult<Response> {
    let parent = match query.parent_id {
        Some(id) => Some(db::portfolios::get(&state.tenant(&caller), id).await?),
        None => None,
    };
    if !permissions::can_create_portfolio(&state.tenant(&caller), &caller, query.parent_id).await? {
        return Err(AppError::Forbidden);
    }
    let values = PortfolioForm::new_under(parent.as_ref());
    Ok(page(&state, &caller, None, values).await?.respond(StatusCode::OK))
}

#[tracing::instrument(skip_all)]
pub async fn create(
    State(state): State<AppState>,
    PageCaller(caller): PageCaller,
    Form(typed): Form<PortfolioForm>,
) -> PageResult<Response> {
    let (changes, unreadable) = typed.parse();
    let refused = if unreadable.is_empty() {
        match db::portfolios::create(&state.tenant(&caller), &caller, changes).await {
            Ok(created) => return Ok(Redirect::to(&format!("/portfolios/{}", created.id)).into_response()),
            Err(error) => form::refusal(error)?,
        }
    } else {
        // The write checks the caller's permission; a form that did not parse is checked here.
        forbidden_unless(may_write(&caller))?;
        let errors = form::all_errors(changes, unreadable, |c| c.apply(None));
        (StatusCode::UNPROCESSABLE_ENTITY, FormState::invalid(errors))
    };
    let (status, shown) = refused;
    let mut page = page(&state, &caller, None, typed).await?;
    page.form = shown;
    Ok(page.respond(status))
}

#[tracing::instrument(skip_all, fields(portfolio_id = %id))]
pub async fn edit(
    State(state): State<AppState>,
    PageCaller(caller): PageCaller,
    Path(id): Path<Uuid>,
) -> PageResult<Response> {
    let portfolio = db::portfolios::get(&state.tenant(&caller), id).await?;
    permissions::require_portfolio_editor(&state.tenant(&caller), &caller, id).await?;
    let values = PortfolioForm::from_portfolio(&portfolio);
    Ok(page(&state, &caller, Some(&portfolio), values)
        .await?
        .respond(StatusCode::OK))
}

#[tracing::instrument(skip_all, fields(portfolio_id = %id))]
pub async fn update(
    State(state): State<AppState>,
    PageCaller(caller): PageCaller,
    Path(id): Path<Uuid>,
    Form(typed): Form<PortfolioForm>,
) -> PageResult<Response> {
    let pool = &state.tenant(&caller);
    let record = Record::new(pool, &caller, id);
    let outcome = versioned_form::submit(
        record,
        typed,
        |typed, version| write(pool, &caller, id, typed, version),
        || async {
            Ok(PortfolioForm::from_portfolio(
                &db::portfolios::get(pool, id).await?,
            ))
        },
    )
    .await?;
    match outcome {
        Outcome::Saved(saved, merged) => {
            Ok(Redirect::to(&merged.mark(&format!("/portfolios/{}", saved.id))).into_response())
        }
        Outcome::Shown(status, typed, shown) => {
            // Shown without writing: the permission is checked here.
            let current = db::portfolios::get(pool, id).await?;
            forbidden_unless(may_write(&caller))?;
            permissions::require_portfolio_editor(pool, &caller, id).await?;
            let mut page = page(&state, &caller, Some(&current), typed).await?;
            page.form = shown.labelled(|field, value| page.show(field, value));
            Ok(page.respond(status))
        }
    }
}

/// Saves what the form asks for against `version`; text that does not parse is refused with every
/// problem of the form, as the domain finds them on the saved portfolio.
async fn write(
    pool: &TenantPool,
    caller: &Caller,
    id: Uuid,
    typed: PortfolioForm,
    version: i64,
) -> Result<Portfolio, AppError> {
    let (changes, unreadable) = typed.parse();
    if !unreadable.is_empty() {
        let current = db::portfolios::get(pool, id).await?.values();
        let errors = form::all_errors(changes, unreadable, |c| c.apply(Some(&current)));
        return Err(AppError::Validation(errors));
    }
    db::portfolios::update(pool, caller, id, Some(version), changes).await
}
