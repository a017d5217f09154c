//! The OKR forms: `/objectives/new` and `POST /objectives` create an objective,
//! `/objectives/{id}/edit` and `POST /objectives/{id}` change one; `/objectives/{id}/key-results/new`
//! and `POST /objectives/{id}/key-results` add a key result, `/key-results/{id}/edit` and
//! `POST /key-results/{id}` change one; `POST …/delete` deletes either. The rules are the database layer's; this module reads the
//! forms' text and shows what it answers.

use crate::domain::permissions::may_write;
use crate::error::forbidden_unless;
use askama::Template;
use askama_web::WebTemplate;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use rust_decimal::Decimal;
use serde::Deserialize;
use uuid::Uuid;

use super::Layout;
use super::form::{self, Choice, FormState, label_of, text_of};
use super::versioned_form::{self, Outcome, Record, VersionedForm, versioned_form};
use crate::db;
use crate::db::TenantPool;
use crate::db::key_results::KeyResult;
use crate::db::objectives::Objective;
use crate::db::permissions;
use crate::db::users::Caller;
use crate::domain::FieldErrors;
use crate::domain::form::{CHOICE, NUMBER, optional, required};
use crate::domain::okr::{KeyResultChanges, KeyResultValues, ObjectiveChanges, ObjectiveValues};
use crate::error::{AppError, PageResult};
use crate::http::AppState;
use crate::http::extract::PageCaller;

/// The objective form's fields as typed; `version` is the one the form was rendered with.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default)]
pub struct ObjectiveForm {
    title: String,
    description: String,
    portfolio_id: String,
    period: String,
    owner_id: String,
    parent_id: String,
    version: String,
    /// The values the form was rendered with (edits only).
    base: String,
}

versioned_form!(
    ObjectiveForm,
    "objective",
    [title, description, portfolio_id, period, owner_id, parent_id]
);

impl ObjectiveForm {
    fn from_objective(objective: &Objective) -> ObjectiveForm {
        let values = objective.values();
        ObjectiveForm {
            title: values.title,
            description: values.description,
            portfolio_id: values.portfolio_id.to_string(),
            period: values.period.to_string(),
            owner_id: text_of(values.owner_id),
            parent_id: text_of(values.parent_id),
            version: objective.version.to_string(),
            base: String::new(),
        }
        .rendered()
    }

    fn parse(&self) -> (ObjectiveChanges, FieldErrors) {
        let mut errors = FieldErrors::new();
        let changes = ObjectiveChanges {
            title: Some(self.title.clone()),
            description: Some(Some(self.description.clone())),
            portfolio_id: required(&mut errors, "portfolio_id", &self.portfolio_id, CHOICE),
            period: Some(self.period.clone()),
            owner_id: optional(&mut errors, "owner_id", &self.owner_id, CHOICE),
            parent_id: optional(&mut errors, "parent_id", &self.parent_id, CHOICE),
        };
        (changes, errors)
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "objectives/form.html")]
pub struct ObjectiveFormPage {
    layout: Layout,
    heading: String,
    action: String,
    submit: &'static str,
    cancel_url: String,
    values: ObjectiveForm,
    form: FormState,
    portfolios: Vec<Choice>,
    owners: Vec<Choice>,
    parents: Vec<Choice>,
    /// Where the delete button posts, when editing.
    delete_action: Option<String>,
}

impl ObjectiveFormPage {
    fn show(&self, field: &str, value: &str) -> String {
        let choices = match field {
            "portfolio_id" => &self.portfolios,
            "owner_id" => &self.owners,
            "parent_id" => &self.parents,
            _ if value.trim().is_empty() => return "(empty)".to_owned(),
            _ => return value.to_owned(),
        };
        label_of(choices, value)
    }

    fn respond(self, status: StatusCode) -> Response {
        (status, self).into_response()
    }
}

async fn objective_page(
    state: &AppState,
    caller: &Caller,
    editing: Option<&Objective>,
    values: ObjectiveForm,
) -> PageResult<ObjectiveFormPage> {
    let pool = &state.tenant(caller);
    let (tree, editable, names, objectives) = tokio::try_join!(
        db::portfolios::list_tree(pool),
        permissions::editable_portfolios(pool, caller),
        db::portfolio_views::member_names(pool),
        db::objectives::titles(pool),
    )?;
    let keep: Vec<Uuid> = editing
        .map(|o| o.portfolio_id)
        .into_iter()
        .chain(values.portfolio_id.parse().ok())
        .collect();
    let parents = parent_choices(objectives, editing.map(|o| o.id));
    let (heading, action, submit, cancel_url) = heading(editing, &values.period);
    Ok(ObjectiveFormPage {
        layout: Layout::new(heading.clone(), Some(caller)).in_section("objectives"),
        heading,
        action,
        submit,
        cancel_url,
        values,
        form: FormState::default(),
        portfolios: form::portfolio_choices(&tree, &editable, &keep, None, None),
        owners: form::member_choices(names, "No owner"),
        parents,
        delete_action: editing.map(|o| format!("/objectives/{}/delete", o.id)),
    })
}

/// The objectives one may align to, less `editing` itself, after "None".
fn parent_choices(objectives: Vec<(Uuid, String, String)>, editing: Option<Uuid>) -> Vec<Choice> {
    std::iter::once(Choice::new("", "None"))
        .chain(
            objectives
                .into_iter()
                .filter(|(id, _, _)| Some(*id) != editing)
                .map(|(id, title, period)| Choice::new(id.to_string(), format!("{title} ({period})"))),
        )
        .collect()
}

/// What the objective form says it does: its heading, where it posts, its button, where cancel
/// leads.
fn heading(editing: Option<&Objective>, period: &str) -> (String, String, &'static str, String) {
    match editing {
        Some(objective) => (
            format!("Edit {}", objective.title),
            format!("/objectives/{}", objective.id),
            "Save changes",
            format!("/objectives/{}", objective.id),
        ),
        None => (
            "New objective".to_owned(),
            "/objectives".to_owned(),
            "Create objective",
            format!("/objectives?period={period}"),
        ),
    }
}

#[derive(Deserialize)]
pub struct NewObjectiveQuery {
    period: Option<String>,
    portfolio_id: Option<String>,
    parent_id: Option<String>,
}

#[tracing::instrument(skip_all)]
pub async fn new_objective(
    State(state): State<AppState>,
    PageCaller(caller): PageCaller,
    Query(query): Query<NewObjectiveQuery>,
) -> PageResult<Response> {
    forbidden_unless(may_write(&caller))?;
    let period = match query
        .period
        .filter(|p| p.parse::<crate::domain::period::Period>().is_ok())
    {
        Some(period) => period,
        None => db::orgs::calendar(&state.tenant(&caller))
            .await?
            .current_quarter()
            .to_string(),
    };
    let values = ObjectiveForm {
        period,
        portfolio_id: query.portfolio_id.unwrap_or_default(),
        parent_id: query.parent_id.unwrap_or_default(),
        owner_id: caller.user_id.to_string(),
        ..ObjectiveForm::default()
    };
    Ok(objective_page(&state, &caller, None, values)
        .await?
        .respond(StatusCode::OK))
}

#[tracing::instrument(skip_all)]
pub async fn create_objective(
    State(state): State<AppState>,
    PageCaller(caller): PageCaller,
    Form(typed): Form<ObjectiveForm>,
) -> PageResult<Response> {
    let (changes, unreadable) = typed.parse();
    let (status, shown) = if unreadable.is_empty() {
        match db::objectives::create(&state.tenant(&caller), &caller, changes).await {
            Ok(created) => return Ok(Redirect::to(&format!("/objectives/{}", created.id)).into_response()),
            Err(error) => form::refusal(error)?,
        }
    } else {
        // The write checks the caller's permission; a form that did not parse is checked here.
        forbidden_unless(may_write(&caller))?;
        let errors = form::all_errors(changes, unreadable, |c| c.apply(None));
        (StatusCode::UNPROCESSABLE_ENTITY, FormState::invalid(errors))
    };
    let mut page = objective_page(&state, &caller, None, typed).await?;
    page.form = shown;
    Ok(page.respond(status))
}

#[tracing::instrument(skip_all, fields(objective_id = %id))]
pub async fn edit_objective(
    State(state): State<AppState>,
    PageCaller(caller): PageCaller,
    Path(id): Path<Uuid>,
) -> PageResult<Response> {
    let objective = editable_objective(&state, &caller, id).await?;
    let values = ObjectiveForm::from_objective(&objective);
    Ok(objective_page(&state, &caller, Some(&objective), values)
        .await?
        .respond(StatusCode::OK))
}

#[tracing::instrument(skip_all, fields(objective_id = %id))]
pub async fn update_objective(
    State(state): State<AppState>,
    PageCaller(caller): PageCaller,
    Path(id): Path<Uuid>,
    Form(typed): Form<ObjectiveForm>,
) -> PageResult<Response> {
    let pool = &state.tenant(&caller);
    let record = Record::new(pool, &caller, id);
    let outcome = versioned_form::submit(
        record,
        typed,
        |typed, version| write_objective(pool, &caller, id, typed, version),
        || async {
            Ok(ObjectiveForm::from_objective(
                &db::objectives::get(pool, id).await?,
            ))
        },
    )
    .await?;
    match outcome {
        Outcome::Saved(saved, merged) => {
            Ok(Redirect::to(&merged.mark(&format!("/objectives/{}", saved.id))).into_response())
        }
        Outcome::Shown(status, typed, shown) => {
            // Shown without writing: the permission is checked here.
            let current = editable_objective(&state, &caller, id).await?;
            let mut page = objective_page(&state, &caller, Some(&current), typed).await?;
            page.form = shown.labelled(|field, value| page.show(field, value));
            Ok(page.respond(status))
        }
    }
}

/// Saves what the form asks for against `version`; text that does not parse is refused with every
/// problem of the form, as the domain finds them on the saved objective.
async fn write_objective(
    pool: &TenantPool,
    caller: &Caller,
    id: Uuid,
    typed: ObjectiveForm,
    version: i64,
) -> Result<Objective, AppError> {
    let (changes, unreadable) = typed.parse();
    if !unreadable.is_empty() {
        let current: ObjectiveValues = db::objectives::get(pool, id).await?.values();
        let errors = form::all_errors(changes, unreadable, |c| c.apply(Some(&current)));
        return Err(AppError::Validation(errors));
    }
    db::objectives::update(pool, caller, id, Some(version), changes).await
}

/// The key result form's fields as typed.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default)]
pub struct KeyResultForm {
    title: String,
    start_value: String,
    target_value: String,
    current_value: String,
    unit: String,
    weight: String,
    version: String,
    /// The values the form was rendered with (edits only).
    base: String,
}

versioned_form!(
    KeyResultForm,
    "key result",
    [title, start_value, target_value, current_value, unit, weight]
);

impl KeyResultForm {
    fn from_key_result(key_result: &KeyResult) -> KeyResultForm {
        let values = key_result.values();
        KeyResultForm {
            title: values.title,
            start_value: values.start_value.normalize().to_string(),
            target_value: values.target_value.normalize().to_string(),
            current_value: values.current_value.normalize().to_string(),
            unit: values.unit,
            weight: values.weight.normalize().to_string(),
            version: key_result.version.to_string(),
            base: String::new(),
        }
        .rendered()
    }

    fn parse(&self) -> (KeyResultChanges, FieldErrors) {
        let mut errors = FieldErrors::new();
        let changes = KeyResultChanges {
            title: Some(self.title.clone()),
            start_value: required(&mut errors, "start_value", &self.start_value, NUMBER),
            target_value: required(&mut errors, "target_value", &self.target_value, NUMBER),
            // Empty: a new key result starts at its start value; an edit keeps the current one.
            current_value: optional::<Decimal>(&mut errors, "current_value", &self.current_value, NUMBER)
                .flatten(),
            unit: Some(Some(self.unit.clone())),
            weight: optional::<Decimal>(&mut errors, "weight", &self.weight, NUMBER).flatten(),
            note: None,
        };
        (changes, errors)
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "objectives/key_result_form.html")]
pub struct KeyResultFormPage {
    layout: Layout,
    heading: String,
    objective: Objective,
    action: String,
    submit: &'static str,
    values: KeyResultForm,
    form: FormState,
    delete_action: Option<String>,
}

impl KeyResultFormPage {
    fn new(
        caller: &Caller,
        objective: Objective,
        editing: Option<&KeyResult>,
        values: KeyResultForm,
    ) -> Self {
        let (heading, action, submit) = match editing {
            Some(key_result) => (
                format!("Edit {}", key_result.title),
                format!("/key-results/{}", key_result.id),
                "Save changes",
            ),
            None => (
                "New key result".to_owned(),
                format!("/objectives/{}/key-results", objective.id),
                "Add key result",
            ),
        };
        KeyResultFormPage {
            layout: Layout::new(heading.clone(), Some(caller)).in_section("objectives"),
            heading,
            objective,
            action,
            submit,
            values,
            form: FormState::default(),
            delete_action: editing.map(|k| format!("/key-results/{}/delete", k.id)),
        }
    }

    fn respond(self, status: StatusCode) -> Response {
        (status, self).into_response()
    }
}

/// The objective, if the caller may add to or change its key results.
pub(super) async fn editable_objective(state: &AppState, caller: &Caller, id: Uuid) -> PageResult<Objective> {
    let objective = db::objectives::get(&state.tenant(caller), id).await?;
    permissions::require_owned(
        &state.tenant(caller),
        caller,
        objective.owner_id,
        objective.portfolio_id,
    )
    .await?;
    Ok(objective)
}

#[tracing::instrument(skip_all, fields(objective_id = %id))]
pub async fn new_key_result(
    State(state): State<AppState>,
    PageCaller(caller): PageCaller,
    Path(id): Path<Uuid>,
) -> PageResult<Response> {
    let objective = editable_objective(&state, &caller, id).await?;
    let values = KeyResultForm {
        start_value: "0".to_owned(),
        weight: "1".to_owned(),
        ..KeyResultForm::default()
    };
    Ok(KeyResultFormPage::new(&caller, objective, None, values).respond(StatusCode::OK))
}

#[tracing::instrument(skip_all, fields(objective_id = %id))]
pub async fn create_key_result(
    State(state): State<AppState>,
    PageCaller(caller): PageCaller,
    Path(id): Path<Uuid>,
    Form(typed): Form<KeyResultForm>,
) -> PageResult<Response> {
    let objective = editable_objective(&state, &caller, id).await?;
    let (changes, unreadable) = typed.parse();
    let (status, shown) = if unreadable.is_empty() {
        match db::key_result_edits::create(&state.tenant(&caller), &caller, id, changes).await {
            Ok(created) => {
                return Ok(Redirect::to(&format!("/objectives/{id}#kr-{}", created.id)).into_response());
            }
            Err(error) => form::refusal(error)?,
        }
    } else {
        let errors = form::all_errors(changes, unreadable, |c| c.apply(None));
        (StatusCode::UNPROCESSABLE_ENTITY, FormState::invalid(errors))
    };
    let mut page = KeyResultFormPage::new(&caller, objective, None, typed);
    page.form = shown;
    Ok(page.respond(status))
}

#[tracing::instrument(skip_all, fields(key_result_id = %id))]
pub async fn edit_key_result(
    State(state): State<AppState>,
    PageCaller(caller): PageCaller,
    Path(id): Path<Uuid>,
) -> PageResult<Response> {
    let key_result = db::key_results::get(&state.tenant(&caller), caller.org_id, id).await?;
    let objective = editable_objective(&state, &caller, key_result.objective_id).await?;
    let values = KeyResultForm::from_key_result(&key_result);
    Ok(KeyResultFormPage::new(&caller, objective, Some(&key_result), values).respond(StatusCode::OK))
}

#[tracing::instrument(skip_all, fields(key_result_id = %id))]
pub async fn update_key_result(
    State(state): State<AppState>,
    PageCaller(caller): PageCaller,
    Path(id): Path<Uuid>,
    Form(typed): Form<KeyResultForm>,
) -> PageResult<Response> {
    let pool = &state.tenant(&caller);
    let record = Record::new(pool, &caller, id);
    let outcome = versioned_form::submit(
        record,
        typed,
        |typed, version| write_key_result(pool, &caller, id, typed, version),
        || async {
            Ok(KeyResultForm::from_key_result(
                &db::key_results::get(pool, caller.org_id, id).await?,
            ))
        },
    )
    .await?;
    match outcome {
        Outcome::Saved(saved, merged) => {
            let url = format!("/objectives/{}#kr-{id}", saved.objective_id);
            Ok(Redirect::to(&merged.mark(&url)).into_response())
        }
        Outcome::Shown(status, typed, shown) => {
            // Shown without writing: the permission is checked here.
            let current = db::key_results::get(pool, caller.org_id, id).await?;
            let objective = editable_objective(&state, &caller, current.objective_id).await?;
            let mut page = KeyResultFormPage::new(&caller, objective, Some(&current), typed);
            page.form = shown.labelled(|_, value| value.to_owned());
            Ok(page.respond(status))
        }
    }
}

/// Saves what the key result form asks for against `version`; text that does not parse is refused
/// with every problem of the form, as the domain finds them on the saved key result.
async fn write_key_result(
    pool: &TenantPool,
    caller: &Caller,
    id: Uuid,
    typed: KeyResultForm,
    version: i64,
) -> Result<KeyResult, AppError> {
    let (changes, unreadable) = typed.parse();
    if !unreadable.is_empty() {
        let current: KeyResultValues = db::key_results::get(pool, caller.org_id, id).await?.values();
        let errors = form::all_errors(changes, unreadable, |c| c.apply(Some(&current)));
        return Err(AppError::Validation(errors));
    }
    db::key_result_edits::update(pool, caller, id, Some(version), changes).await
}

/// What a delete button sends: the version the page was rendered with.
#[derive(Deserialize)]
pub struct DeleteForm {
    #[serde(default)]
    version: String,
}

/// `POST /objectives/{id}/delete`: the objective with its key results and check-ins, then back to
/// its period's tree.
#[tracing::instrument(skip_all, fields(objective_id = %id))]
pub async fn delete_objective(
    State(state): State<AppState>,
    PageCaller(caller): PageCaller,
    Path(id): Path<Uuid>,
    Form(form): Form<DeleteForm>,
) -> PageResult<Redirect> {
    let objective = db::objectives::get(&state.tenant(&caller), id).await?;
    let version = form::rendered_version(&form.version)?;
    db::objectives::delete(&state.tenant(&caller), &caller, id, Some(version)).await?;
    Ok(Redirect::to(&format!("/objectives?period={}", objective.period)))
}

/// `POST /key-results/{id}/delete`, then back to its objective.
#[tracing::instrument(skip_all, fields(key_result_id = %id))]
pub async fn delete_key_result(
    State(state): State<AppState>,
    PageCaller(caller): PageCaller,
    Path(id): Path<Uuid>,
    Form(form): Form<DeleteForm>,
) -> PageResult<Redirect> {
    let key_result = db::key_results::get(&state.tenant(&caller), caller.org_id, id).await?;
    let version = form::rendered_version(&form.version)?;
    db::key_result_edits::delete(&state.tenant(&caller), &caller, id, Some(version)).await?;
    Ok(Redirect::to(&format!("/objectives/{}", key_result.objective_id)))
}
