//! The initiative form: `/initiatives/new?portfolio_id=` and `POST /initiatives` create one,
//! `/initiatives/{id}/edit` and `POST /initiatives/{id}` change every editable field of one. The
//! rules are the database layer's; this module reads the form's text and shows what it answers.

use crate::domain::permissions::may_write;
use crate::error::forbidden_unless;
use askama::Template;
use askama_web::WebTemplate;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use std::collections::BTreeMap;

use serde::Deserialize;
use uuid::Uuid;

use super::Layout;
use super::form::{self, Choice, FormState, label_of, text_of};
use super::versioned_form::{self, Outcome, Record, VersionedForm, versioned_form};
use crate::db;
use crate::db::TenantPool;
use crate::db::initiatives::Initiative;
use crate::db::orgs::Organization;
use crate::db::permissions;
use crate::db::scorecard::{Driver, ScoredInitiative};
use crate::db::users::Caller;
use crate::domain::form::{CHOICE, DATE, NUMBER, WHOLE_NUMBER, optional, optional_money, required};
use crate::domain::initiative::{IMPACT_NAMES, IMPACTS, InitiativeChanges, InitiativeValues};
use crate::domain::scorecard::{DriverValuesInput, parse_values};
use crate::domain::scores::WSJF_SCALE;
use crate::domain::{FieldErrors, Health, Status, money};
use crate::error::{AppError, PageResult};
use crate::http::AppState;
use crate::http::extract::PageCaller;

/// The form's fields as typed; `budget` is in major units of the organization's currency, and
/// `version` is the one the form was rendered with (edits only).
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default)]
pub struct InitiativeForm {
    title: String,
    description: String,
    portfolio_id: String,
    owner_id: String,
    theme_id: String,
    status: String,
    health: String,
    progress: String,
    effort: String,
    budget: String,
    start_date: String,
    target_date: String,
    reach: String,
    impact: String,
    confidence: String,
    business_value: String,
    time_criticality: String,
    risk_reduction: String,
    benefit: String,
    /// One field per scorecard driver.
    #[serde(flatten)]
    drivers: DriverTexts,
    version: String,
    /// The values the form was rendered with (edits only).
    base: String,
}

/// The scorecard's fields as typed: one per driver, named by the driver's id as `PUT …/scores`
/// names it, empty for no value. A submitted name that is no id is none of them.
#[derive(Clone, Debug, Default)]
pub struct DriverTexts(BTreeMap<String, String>);

impl<'de> Deserialize<'de> for DriverTexts {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<DriverTexts, D::Error> {
        let fields = BTreeMap::<String, String>::deserialize(deserializer)?;
        Ok(DriverTexts(
            fields
                .into_iter()
                .filter_map(|(name, text)| Some((name.trim().parse::<Uuid>().ok()?.to_string(), text)))
                .collect(),
        ))
    }
}

impl DriverTexts {
    /// Each driver's field as the organization has them now, with the initiative's value.
    fn saved(drivers: &[Driver], values: &BTreeMap<Uuid, i16>) -> DriverTexts {
        DriverTexts(
            drivers
                .iter()
                .map(|d| (d.id.to_string(), text_of(values.get(&d.id))))
                .collect(),
        )
    }

    /// For the three-way merge, beside the form's other fields.
    fn texts(&self) -> Vec<(String, String)> {
        self.0
            .iter()
            .map(|(name, text)| (name.clone(), text.clone()))
            .collect()
    }

    /// Takes driver `name` as `theirs` holds it; a driver they no longer show is dropped.
    fn take(&mut self, name: &str, theirs: &DriverTexts) {
        match theirs.0.get(name) {
            Some(text) => self.0.insert(name.to_owned(), text.clone()),
            None => self.0.remove(name),
        };
    }

    /// The values to set, by the rule of `PUT …/scores`; none for a form without drivers, which
    /// leaves the values as they are.
    fn input(&self) -> Option<DriverValuesInput> {
        (!self.0.is_empty())
            .then(|| DriverValuesInput::from_texts(self.0.iter().map(|(n, t)| (n.as_str(), t.as_str()))))
    }
}

versioned_form!(
    InitiativeForm,
    "initiative",
    [
        title,
        description,
        portfolio_id,
        owner_id,
        theme_id,
        status,
        health,
        progress,
        effort,
        budget,
        start_date,
        target_date,
        reach,
        impact,
        confidence,
        business_value,
        time_criticality,
        risk_reduction,
        benefit,
    ],
    drivers
);

impl InitiativeForm {
    /// `digits`: how many minor-unit digits the organization's currency has.
    fn from_values(values: &InitiativeValues, version: Option<i64>, digits: u32) -> InitiativeForm {
        InitiativeForm {
            title: values.title.clone(),
            description: values.description.clone(),
            portfolio_id: values.portfolio_id.to_string(),
            owner_id: text_of(values.owner_id),
            theme_id: text_of(values.theme_id),
            status: values.status.as_str().to_owned(),
            health: values.health.as_str().to_owned(),
            progress: values.progress.to_string(),
            effort: values.effort.to_string(),
            budget: values
                .budget
                .map(|minor| money::format_minor(minor, digits))
                .unwrap_or_default(),
            start_date: text_of(values.start_date),
            target_date: text_of(values.target_date),
            reach: text_of(values.reach),
            impact: text_of(values.impact),
            confidence: text_of(values.confidence),
            business_value: text_of(values.business_value),
            time_criticality: text_of(values.time_criticality),
            risk_reduction: text_of(values.risk_reduction),
            benefit: text_of(values.benefit),
            drivers: DriverTexts::default(),
            version: text_of(version),
            base: String::new(),
        }
    }

    /// The form of an initiative as saved, its scorecard values with it.
    fn from_saved(saved: &ScoredInitiative, digits: u32) -> InitiativeForm {
        let initiative = &saved.initiative;
        InitiativeForm {
            drivers: DriverTexts::saved(&saved.drivers, &saved.values),
            ..InitiativeForm::from_values(&initiative.values(), Some(initiative.version), digits)
        }
        .rendered()
    }

    /// The changes the form asks for, and the fields whose text did not parse.
    fn parse(&self, digits: u32) -> (InitiativeChanges, FieldErrors) {
        let mut errors = FieldErrors::new();
        let e = &mut errors;
        let changes = InitiativeChanges {
            title: Some(self.title.clone()),
            description: Some(Some(self.description.clone())),
            portfolio_id: required(e, "portfolio_id", &self.portfolio_id, CHOICE),
            owner_id: optional(e, "owner_id", &self.owner_id, CHOICE),
            theme_id: optional(e, "theme_id", &self.theme_id, CHOICE),
            status: required(e, "status", &self.status, CHOICE),
            health: required(e, "health", &self.health, CHOICE),
            progress: required(e, "progress", &self.progress, WHOLE_NUMBER),
            effort: required(e, "effort", &self.effort, NUMBER),
            budget: optional_money(e, "budget", &self.budget, digits),
            start_date: optional(e, "start_date", &self.start_date, DATE),
            target_date: optional(e, "target_date", &self.target_date, DATE),
            reach: optional(e, "reach", &self.reach, WHOLE_NUMBER),
            impact: optional(e, "impact", &self.impact, CHOICE),
            confidence: optional(e, "confidence", &self.confidence, WHOLE_NUMBER),
            business_value: optional(e, "business_value", &self.business_value, CHOICE),
            time_criticality: optional(e, "time_criticality", &self.time_criticality, CHOICE),
            risk_reduction: optional(e, "risk_reduction", &self.risk_reduction, CHOICE),
            benefit: optional(e, "benefit", &self.benefit, NUMBER),
        };
        (changes, errors)
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "initiatives/form.html")]
pub struct InitiativeFormPage {
    layout: Layout,
    heading: String,
    /// The initiative's key, when editing one.
    key: Option<String>,
    action: String,
    submit: &'static str,
    cancel_url: String,
    values: InitiativeForm,
    form: FormState,
    budget_label: String,
    budget_hint: String,
    portfolios: Vec<Choice>,
    owners: Vec<Choice>,
    themes: Vec<Choice>,
    statuses: Vec<Choice>,
    healths: Vec<Choice>,
    impacts: Vec<Choice>,
    /// WSJF's scale, for its three fields.
    wsjf_scale: Vec<Choice>,
    benefit_label: String,
    /// The scorecard's drivers, each a field 0…max with what the form holds for it.
    drivers: Vec<DriverField>,
    /// Reach's hint: with customer feedback linked and no reach set, the distinct customers who
    /// asked, as a suggestion (SPEC §11) that is never written by itself.
    reach_hint: String,
}

/// One scorecard driver as a field of the form.
pub struct DriverField {
    /// The field's name: the driver's id.
    pub name: String,
    /// "Strategic fit (0–5)".
    pub label: String,
    pub value: String,
}

impl DriverField {
    fn all(drivers: &[Driver], typed: &DriverTexts) -> Vec<DriverField> {
        drivers
            .iter()
            .map(|driver| {
                let name = driver.id.to_string();
                DriverField {
                    label: format!("{} (0–{})", driver.name, driver.max),
                    value: typed.0.get(&name).cloned().unwrap_or_default(),
                    name,
                }
            })
            .collect()
    }
}

impl InitiativeFormPage {
    /// How a saved value reads beside a field: the label of a select's choice, else the text.
    fn show(&self, field: &str, value: &str) -> String {
        let choices = match field {
            "portfolio_id" => &self.portfolios,
            "owner_id" => &self.owners,
            "theme_id" => &self.themes,
            "status" => &self.statuses,
            "health" => &self.healths,
            "impact" => &self.impacts,
            "business_value" | "time_criticality" | "risk_reduction" => &self.wsjf_scale,
            _ if value.trim().is_empty() => return "(empty)".to_owned(),
            _ => return value.to_owned(),
        };
        label_of(choices, value)
    }

    fn respond(self, status: StatusCode) -> Response {
        (status, self).into_response()
    }
}

/// The organization (its currency, its benefit unit) and how many minor-unit digits its currency has.
async fn organization(state: &AppState, caller: &Caller) -> PageResult<(Organization, u32)> {
    let org = db::orgs::get(&state.tenant(caller)).await?;
    let digits = money::minor_digits(&org.currency);
    Ok((org, digits))
}

/// The form page for a new initiative (`editing` none) or an existing one, with `values` typed in.
async fn page(
    state: &AppState,
    caller: &Caller,
    editing: Option<&Initiative>,
    values: InitiativeForm,
    org: &Organization,
) -> PageResult<InitiativeFormPage> {
    let currency = &org.currency;
    let pool = &state.tenant(caller);
    let (tree, editable, names, themes, drivers) = tokio::try_join!(
        db::portfolios::list_tree(pool),
        permissions::editable_portfolios(pool, caller),
        db::portfolio_views::member_names(pool),
        db::themes::all(pool),
        db::scorecard::drivers(pool, pool.org_id()),
    )?;
    let keep = [editing.map(|i| i.portfolio_id), values.portfolio_id.parse().ok()];
    let empty = values.portfolio_id.is_empty().then_some("Choose a portfolio…");
    let portfolios = form::portfolio_choices(&tree, &editable, &keep_ids(keep), None, empty);
    let (heading, key, action, submit, cancel_url) = heading(editing, &values.portfolio_id);
    Ok(InitiativeFormPage {
        reach_hint: reach_hint(editing, &values.reach),
        drivers: DriverField::all(&drivers, &values.drivers),
        layout: Layout::new(heading.clone(), Some(caller)).in_section("portfolios"),
        heading,
        key,
        action,
        submit,
        cancel_url,
        values,
        form: FormState::default(),
        budget_label: format!("Budget in {currency}"),
        budget_hint: budget_hint(currency),
        portfolios,
        owners: form::member_choices(names, "No owner"),
        themes: theme_choices(themes),
        statuses: form::word_choices(None, Status::ALL, Status::as_str, Status::label),
        healths: form::word_choices(None, Health::ALL, Health::as_str, Health::label),
        impacts: impact_choices(),
        wsjf_scale: wsjf_choices(),
        benefit_label: format!("Benefit ({})", org.benefit_unit),
    })
}

/// What the form page says it does: its heading, the key, where it posts, its button, where
/// cancel leads.
fn heading(
    editing: Option<&Initiative>,
    portfolio_id: &str,
) -> (String, Option<String>, String, &'static str, String) {
    match editing {
        Some(initiative) => (
            format!("Edit {}", initiative.title),
            Some(initiative.key.clone()),
            format!("/initiatives/{}", initiative.id),
            "Save changes",
            format!("/initiatives/{}", initiative.id),
        ),
        None => (
            "New initiative".to_owned(),
            None,
            "/initiatives".to_owned(),
            "Create initiative",
            match portfolio_id {
                "" => "/portfolios".to_owned(),
                portfolio => format!("/portfolios/{portfolio}"),
            },
        ),
    }
}

/// The saved and the typed portfolio, which stay choosable.
fn keep_ids(ids: [Option<Uuid>; 2]) -> Vec<Uuid> {
    ids.into_iter().flatten().collect()
}

fn reach_hint(editing: Option<&Initiative>, reach: &str) -> String {
    let customers = editing.map_or(0, |i| i.demand.customers);
    if reach.trim().is_empty() && customers > 0 {
        let who = if customers == 1 {
            "1 customer has".to_owned()
        } else {
            format!("{customers} customers have")
        };
        format!("People or events per quarter. Suggested: {customers} — {who} asked for this in feedback.")
    } else {
        "People or events per quarter.".to_owned()
    }
}

fn budget_hint(currency: &str) -> String {
    format!(
        "In {currency}, not cents: like {}. Empty: no budget.",
        money::example(money::minor_digits(currency))
    )
}

fn theme_choices(themes: Vec<db::themes::Theme>) -> Vec<Choice> {
    std::iter::once(Choice::new("", "Unassigned"))
        .chain(themes.into_iter().map(|t| Choice::new(t.id.to_string(), t.name)))
        .collect()
}

fn wsjf_choices() -> Vec<Choice> {
    std::iter::once(Choice::new("", "Not set"))
        .chain(
            WSJF_SCALE
                .iter()
                .map(|v| Choice::new(v.to_string(), v.to_string())),
        )
        .collect()
}

fn impact_choices() -> Vec<Choice> {
    std::iter::once(Choice::new("", "Not set"))
        .chain(
            IMPACTS
                .iter()
                .zip(IMPACT_NAMES)
                .map(|(impact, name)| Choice::new(impact.to_string(), format!("{impact} · {name}"))),
        )
        .collect()
}

#[derive(Deserialize)]
pub struct NewInitiativeQuery {
    portfolio_id: Option<Uuid>,
}

#[tracing::instrument(skip_all)]
pub async fn new(
    State(state): State<AppState>,
    PageCaller(caller): PageCaller,
    Query(query): Query<NewInitiativeQuery>,
) -> PageResult<Response> {
    forbidden_unless(may_write(&caller))?;
    let portfolio_id = match query.portfolio_id {
        Some(id) => {
            let portfolio = db::portfolios::get(&state.tenant(&caller), id).await?;
            permissions::require_portfolio_editor(&state.tenant(&caller), &caller, portfolio.id).await?;
            Some(portfolio.id)
        }
        None => None,
    };
    let blank = InitiativeValues::new_in(portfolio_id.unwrap_or_default());
    let mut values = InitiativeForm::from_values(&blank, None, 0);
    // Without a portfolio given, the person picks one rather than getting a placeholder id.
    values.portfolio_id = text_of(portfolio_id);
    let (org, _) = organization(&state, &caller).await?;
    Ok(page(&state, &caller, None, values, &org)
        .await?
        .respond(StatusCode::OK))
}

#[tracing::instrument(skip_all)]
pub async fn create(
    State(state): State<AppState>,
    PageCaller(caller): PageCaller,
    Form(typed): Form<InitiativeForm>,
) -> PageResult<Response> {
    let (org, digits) = organization(&state, &caller).await?;
    let pool = &state.tenant(&caller);
    let (changes, unreadable) = typed.parse(digits);
    let scores = typed.drivers.input();
    let (status, shown) = if unreadable.is_empty() {
        match db::initiatives::create(pool, &caller, changes, scores.as_ref()).await {
            Ok(created) => return Ok(Redirect::to(&format!("/initiatives/{}", created.id)).into_response()),
            Err(error) => form::refusal(error)?,
        }
    } else {
        // The write checks the caller's permission; a form that did not parse is checked here.
        forbidden_unless(may_write(&caller))?;
        let errors = every_error(pool, changes, unreadable, None, scores.as_ref()).await?;
        (StatusCode::UNPROCESSABLE_ENTITY, FormState::invalid(errors))
    };
    let mut page = page(&state, &caller, None, typed, &org).await?;
    page.form = shown;
    Ok(page.respond(status))
}

/// The initiative, if the caller may edit it: 404 for another organization's, 403 for a reader's.
pub(super) async fn editable(state: &AppState, caller: &Caller, id: Uuid) -> PageResult<Initiative> {
    let initiative = db::initiatives::get(&state.tenant(caller), id).await?;
    require_editable(state, caller, &initiative).await?;
    Ok(initiative)
}

async fn require_editable(state: &AppState, caller: &Caller, initiative: &Initiative) -> PageResult<()> {
    permissions::require_owned(
        &state.tenant(caller),
        caller,
        initiative.owner_id,
        initiative.portfolio_id,
    )
    .await?;
    Ok(())
}

#[tracing::instrument(skip_all, fields(initiative_id = %id))]
pub async fn edit(
    State(state): State<AppState>,
    PageCaller(caller): PageCaller,
    Path(id): Path<Uuid>,
) -> PageResult<Response> {
    let saved = db::scorecard::initiative_with_values(&state.tenant(&caller), id).await?;
    require_editable(&state, &caller, &saved.initiative).await?;
    let (org, digits) = organization(&state, &caller).await?;
    let values = InitiativeForm::from_saved(&saved, digits);
    Ok(page(&state, &caller, Some(&saved.initiative), values, &org)
        .await?
        .respond(StatusCode::OK))
}

#[tracing::instrument(skip_all, fields(initiative_id = %id))]
pub async fn update(
    State(state): State<AppState>,
    PageCaller(caller): PageCaller,
    Path(id): Path<Uuid>,
    Form(typed): Form<InitiativeForm>,
) -> PageResult<Response> {
    let (org, digits) = organization(&state, &caller).await?;
    let pool = &state.tenant(&caller);
    let record = Record::new(pool, &caller, id);
    let outcome = versioned_form::submit(
        record,
        typed,
        |typed, version| write(pool, &caller, id, typed, version, digits),
        || async {
            Ok(InitiativeForm::from_saved(
                &db::scorecard::initiative_with_values(pool, id).await?,
                digits,
            ))
        },
    )
    .await?;
    match outcome {
        Outcome::Saved(saved, merged) => {
            Ok(Redirect::to(&merged.mark(&format!("/initiatives/{}", saved.id))).into_response())
        }
        Outcome::Shown(status, typed, shown) => {
            // Shown without writing: the permission is checked here.
            let current = editable(&state, &caller, id).await?;
            let mut page = page(&state, &caller, Some(&current), typed, &org).await?;
            page.form = shown.labelled(|field, value| page.show(field, value));
            Ok(page.respond(status))
        }
    }
}

/// Saves what the form asks for, its scorecard values with the rest, against `version`; text that
/// does not parse is refused with every problem of the form, as the domain finds them on the saved
/// initiative.
async fn write(
    pool: &TenantPool,
    caller: &Caller,
    id: Uuid,
    typed: InitiativeForm,
    version: i64,
    digits: u32,
) -> Result<Initiative, AppError> {
    let (changes, unreadable) = typed.parse(digits);
    let scores = typed.drivers.input();
    if !unreadable.is_empty() {
        let current = db::initiatives::get(pool, id).await?.values();
        let errors = every_error(pool, changes, unreadable, Some(&current), scores.as_ref()).await?;
        return Err(AppError::Validation(errors));
    }
    db::initiatives::update(pool, caller, id, Some(version), changes, scores.as_ref()).await
}

/// Every problem of a form with fields that did not parse: those, what the domain finds wrong with
/// the rest (on `current`, for an edit), and the scorecard values by `PUT …/scores`' rule.
async fn every_error(
    pool: &TenantPool,
    changes: InitiativeChanges,
    unreadable: FieldErrors,
    current: Option<&InitiativeValues>,
    scores: Option<&DriverValuesInput>,
) -> Result<FieldErrors, AppError> {
    let mut errors = form::all_errors(changes, unreadable, |c| c.apply(current));
    if let Some(input) = scores {
        let scales = db::scorecard::scales(pool, pool.org_id()).await?;
        if let Err(refused) = parse_values(input, &scales) {
            errors.merge(refused);
        }
    }
    Ok(errors)
}
