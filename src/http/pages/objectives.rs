//! OKR pages: `/objectives` (the objective tree of a period, aligned through `parent_id`), an
//! objective's page with its key results, sparklines, linked initiatives and check-in forms, and
//! `POST /key-results/{id}/check-ins`, the two-click check-in.

use std::collections::HashMap;

use askama::Template;
use askama_web::WebTemplate;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use serde::Deserialize;
use uuid::Uuid;

use super::Layout;
use super::form::{self, Choice, FormState};
use super::versioned_form::{self, Outcome, Record, VersionedForm, versioned_form};
use crate::db;
use crate::db::TenantPool;
use crate::db::check_ins::CheckIn;
use crate::db::key_result_links::LinkedInitiative;
use crate::db::key_results::KeyResult;
use crate::db::objectives::Objective;
use crate::db::orgs::Calendar;
use crate::db::pages::objective::ObjectivePageData;
use crate::db::pages::objectives::ObjectivesPageData;
use crate::db::users::Caller;
use crate::domain::FieldErrors;
use crate::domain::form::NUMBER;
use crate::domain::okr::{Confidence, KeyResultChanges};
use crate::domain::period::Period;
use crate::domain::permissions::EditablePortfolios;
use crate::domain::permissions::may_write;
use crate::error::{AppError, PageResult};
use crate::http::AppState;
use crate::http::extract::PageCaller;

/// An objective's progress as a bar: its percentage, and the confidence colour for the time gone
/// in its period.
pub struct ProgressView {
    pub percent: Option<f64>,
    pub confidence: Option<Confidence>,
}

impl ProgressView {
    fn new(objective: &Objective, calendar: Calendar) -> ProgressView {
        let elapsed = objective
            .period
            .elapsed(calendar.today, calendar.fiscal_year_start_month);
        ProgressView {
            percent: objective.progress,
            confidence: objective.progress.map(|p| Confidence::of(p / 100.0, elapsed)),
        }
    }

    pub fn label(&self) -> String {
        self.percent
            .map(|p| format!("{p:.1}%"))
            .unwrap_or_else(|| "No key results".to_owned())
    }

    pub fn width(&self) -> f64 {
        self.percent.unwrap_or(0.0)
    }

    pub fn class(&self) -> &'static str {
        self.confidence.map(Confidence::as_str).unwrap_or("none")
    }

    pub fn confidence_label(&self) -> &'static str {
        self.confidence.map(Confidence::label).unwrap_or("")
    }
}

/// One objective in the tree, indented under the one it supports.
pub struct TreeRow {
    pub objective: Objective,
    pub depth: usize,
    pub owner: String,
    pub portfolio: String,
    pub progress: ProgressView,
}

#[derive(Template, WebTemplate)]
#[template(path = "objectives/tree.html")]
pub struct ObjectivesPage {
    layout: Layout,
    period: Period,
    /// The period's dates and how much of it is gone, as people read them.
    period_span: String,
    elapsed: String,
    portfolio_id: String,
    portfolios: Vec<Choice>,
    rows: Vec<TreeRow>,
    can_create: bool,
}

#[derive(Deserialize)]
pub struct TreeQuery {
    period: Option<String>,
    portfolio_id: Option<String>,
}

/// `/objectives?period=&portfolio_id=`: every objective of the period in the portfolio's subtree,
/// each nested under the objective it supports when that one is shown too.
#[tracing::instrument(skip_all)]
pub async fn tree(
    State(state): State<AppState>,
    PageCaller(caller): PageCaller,
    Query(query): Query<TreeQuery>,
) -> PageResult<ObjectivesPage> {
    let period = query.period.as_deref().and_then(|p| p.parse::<Period>().ok());
    let portfolio_id = query.portfolio_id.as_deref().and_then(|p| p.parse::<Uuid>().ok());
    let data = db::pages::objectives::read(&state.tenant(&caller), period, portfolio_id).await?;
    Ok(ObjectivesPage::new(&caller, portfolio_id, data))
}

impl ObjectivesPage {
    fn new(caller: &Caller, portfolio_id: Option<Uuid>, data: ObjectivesPageData) -> ObjectivesPage {
        let ObjectivesPageData {
            calendar,
            period,
            objectives,
            tree,
            names,
        } = data;
        let portfolio_names: HashMap<Uuid, String> = tree
            .iter()
            .map(|node| (node.portfolio.id, node.portfolio.name.clone()))
            .collect();
        let rows = nest(objectives)
            .into_iter()
            .map(|(objective, depth)| TreeRow {
                owner: name_or(&names, objective.owner_id, "No owner"),
                portfolio: name_or(&portfolio_names, Some(objective.portfolio_id), ""),
                progress: ProgressView::new(&objective, calendar),
                objective,
                depth,
            })
            .collect();
        let (start, end) = period.dates(calendar.fiscal_year_start_month);
        let elapsed = period.elapsed(calendar.today, calendar.fiscal_year_start_month);
        ObjectivesPage {
            layout: Layout::new(format!("OKRs {period}"), Some(caller)).in_section("objectives"),
            period,
            period_span: format!(
                "{} – {}",
                start.format("%-d %b %Y"),
                (end - chrono::Duration::days(1)).format("%-d %b %Y")
            ),
            elapsed: format!("{:.0}%", elapsed * 100.0),
            portfolio_id: portfolio_id.map(|id| id.to_string()).unwrap_or_default(),
            portfolios: form::portfolio_choices(
                &tree,
                &EditablePortfolios::All,
                &[],
                None,
                Some("Whole organization"),
            ),
            rows,
            can_create: may_write(caller),
        }
    }
}

fn name_or(names: &HashMap<Uuid, String>, id: Option<Uuid>, missing: &str) -> String {
    id.and_then(|id| names.get(&id).cloned())
        .unwrap_or_else(|| missing.to_owned())
}

/// The objectives in tree order with their depth: each after the one it supports, when that one is
/// among them; the others at the top.
fn nest(objectives: Vec<Objective>) -> Vec<(Objective, usize)> {
    let shown: std::collections::HashSet<Uuid> = objectives.iter().map(|o| o.id).collect();
    let mut children: HashMap<Option<Uuid>, Vec<Objective>> = HashMap::new();
    for objective in objectives {
        let parent = objective.parent_id.filter(|p| shown.contains(p));
        children.entry(parent).or_default().push(objective);
    }
    let mut ordered = Vec::new();
    let mut stack: Vec<(Objective, usize)> = children
        .remove(&None)
        .unwrap_or_default()
        .into_iter()
        .rev()
        .map(|o| (o, 0))
        .collect();
    while let Some((objective, depth)) = stack.pop() {
        let below = children.remove(&Some(objective.id)).unwrap_or_default();
        stack.extend(below.into_iter().rev().map(|o| (o, depth + 1)));
        ordered.push((objective, depth));
    }
    ordered
}

/// A key result as its objective's page shows it.
pub struct KeyResultView {
    pub key_result: KeyResult,
    /// The polyline of its values over time, on a 100 × 24 box; none before any check-in.
    pub sparkline: Option<String>,
    pub initiatives: Vec<LinkedInitiative>,
    /// The check-in form, for whoever may edit.
    pub check_in: Option<CheckInForm>,
}

impl KeyResultView {
    /// The current value with its unit: "9 methods", "28%".
    pub fn current_label(&self) -> String {
        let (value, unit) = (self.key_result.current_value.normalize(), &self.key_result.unit);
        match unit.as_str() {
            "" => value.to_string(),
            "%" => format!("{value}%"),
            _ => format!("{value} {unit}"),
        }
    }

    /// A start or target value: a percentage keeps its sign, other units are said once already.
    pub fn bound_label(&self, value: &Decimal) -> String {
        match self.key_result.unit.as_str() {
            "%" => format!("{}%", value.normalize()),
            _ => value.normalize().to_string(),
        }
    }
}

/// The check-in form's fields as typed, its state, and the version it was rendered with.
pub struct CheckInForm {
    pub value: String,
    pub note: String,
    pub version: String,
    /// The values the form was rendered with.
    pub base: String,
    pub form: FormState,
}

impl CheckInForm {
    fn fresh(key_result: &KeyResult) -> CheckInForm {
        CheckInForm::shown(CheckInSubmit::of(key_result), FormState::default(), key_result.id)
    }

    /// The form holding `typed`, in `form`'s state, for key result `id`.
    fn shown(typed: CheckInSubmit, form: FormState, id: Uuid) -> CheckInForm {
        CheckInForm {
            value: typed.value,
            note: typed.note,
            version: typed.version,
            base: typed.base,
            form: form.with_id_prefix(format!("kr-{id}-")),
        }
    }
}

/// One check-in as the history lists it.
pub struct CheckInRow {
    pub check_in: CheckIn,
    pub key_result: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "objectives/show.html")]
pub struct ObjectivePage {
    layout: Layout,
    objective: Objective,
    progress: ProgressView,
    portfolio: String,
    owner: String,
    parent: Option<(Uuid, String)>,
    /// Objectives that support this one.
    supporters: Vec<TreeRow>,
    key_results: Vec<KeyResultView>,
    check_ins: Vec<CheckInRow>,
    can_edit: bool,
}

/// How many check-ins the objective page lists, newest first across its key results.
const CHECK_INS_SHOWN: i64 = 20;

/// The page of objective `id`, with `typed` in place of one key result's fresh check-in form (a
/// refused submit, what the user typed kept).
async fn objective_page(
    state: &AppState,
    caller: &Caller,
    id: Uuid,
    typed: Option<(Uuid, CheckInForm)>,
) -> PageResult<ObjectivePage> {
    let data = db::pages::objective::read(&state.tenant(caller), caller, id, CHECK_INS_SHOWN).await?;
    Ok(ObjectivePage::new(caller, data, typed))
}

impl ObjectivePage {
    fn new(
        caller: &Caller,
        data: ObjectivePageData,
        mut typed: Option<(Uuid, CheckInForm)>,
    ) -> ObjectivePage {
        let ObjectivePageData {
            objective,
            calendar,
            names,
            portfolio,
            can_edit,
            values,
            mut initiatives,
            parent,
            supporters,
            check_ins,
        } = data;
        let titles: HashMap<Uuid, &str> = objective
            .key_results
            .iter()
            .map(|k| (k.id, k.title.as_str()))
            .collect();
        let check_ins = check_ins
            .into_iter()
            .map(|check_in| CheckInRow {
                key_result: titles
                    .get(&check_in.key_result_id)
                    .map(|t| t.to_string())
                    .unwrap_or_default(),
                check_in,
            })
            .collect();
        let key_results = objective
            .key_results
            .iter()
            .map(|key_result| KeyResultView {
                sparkline: values
                    .get(&key_result.id)
                    .and_then(|values| sparkline(values, key_result)),
                initiatives: initiatives.remove(&key_result.id).unwrap_or_default(),
                check_in: match typed.take_if(|(kr, _)| *kr == key_result.id) {
                    Some((_, form)) => Some(form),
                    None => can_edit.then(|| CheckInForm::fresh(key_result)),
                },
                key_result: key_result.clone(),
            })
            .collect();
        let supporters = supporters
            .into_iter()
            .map(|o| TreeRow {
                owner: name_or(&names, o.owner_id, "No owner"),
                portfolio: String::new(),
                progress: ProgressView::new(&o, calendar),
                objective: o,
                depth: 0,
            })
            .collect();
        ObjectivePage {
            layout: Layout::new(objective.title.clone(), Some(caller)).in_section("objectives"),
            progress: ProgressView::new(&objective, calendar),
            portfolio: portfolio.name,
            owner: name_or(&names, objective.owner_id, "No owner"),
            parent: parent.map(|p| (p.id, format!("{} ({})", p.title, p.period))),
            supporters,
            key_results,
            check_ins,
            can_edit,
            objective,
        }
    }
}

#[tracing::instrument(skip_all, fields(objective_id = %id))]
pub async fn show(
    State(state): State<AppState>,
    PageCaller(caller): PageCaller,
    Path(id): Path<Uuid>,
) -> PageResult<ObjectivePage> {
    objective_page(&state, &caller, id, None).await
}

/// A key result's values over time on a 100 × 24 box, scaled to span its start and target too,
/// so that the line reads against the goal.
fn sparkline(values: &[Decimal], key_result: &KeyResult) -> Option<String> {
    if values.len() < 2 {
        return None;
    }
    let numbers: Vec<f64> = values.iter().map(|v| v.to_f64().unwrap_or(0.0)).collect();
    let bounds = [
        key_result.start_value.to_f64().unwrap_or(0.0),
        key_result.target_value.to_f64().unwrap_or(0.0),
    ];
    let low = numbers
        .iter()
        .chain(&bounds)
        .copied()
        .fold(f64::INFINITY, f64::min);
    let high = numbers
        .iter()
        .chain(&bounds)
        .copied()
        .fold(f64::NEG_INFINITY, f64::max);
    let span = if high > low { high - low } else { 1.0 };
    let step = 100.0 / (numbers.len() - 1) as f64;
    Some(
        numbers
            .iter()
            .enumerate()
            .map(|(i, v)| format!("{:.1},{:.1}", i as f64 * step, 22.0 - (v - low) / span * 20.0))
            .collect::<Vec<_>>()
            .join(" "),
    )
}

/// The check-in form as submitted.
#[derive(Clone, Default, Deserialize)]
#[serde(default)]
pub struct CheckInSubmit {
    value: String,
    note: String,
    version: String,
    base: String,
}

// The note is the user's own and has no saved counterpart: it is not merged.
versioned_form!(CheckInSubmit, "key result", [value]);

impl CheckInSubmit {
    /// A fresh form: the key result's current value and no note.
    fn of(key_result: &KeyResult) -> CheckInSubmit {
        CheckInSubmit {
            value: key_result.current_value.normalize().to_string(),
            version: key_result.version.to_string(),
            ..CheckInSubmit::default()
        }
        .rendered()
    }
}

/// `POST /key-results/{id}/check-ins`: records the new value and note (merged with a check-in
/// someone else made meanwhile where that does not conflict), then back to the objective. A
/// refused one shows the objective page with the form as typed, its errors beside the fields, or
/// their value beside it when both changed it.
#[tracing::instrument(skip_all, fields(key_result_id = %id))]
pub async fn check_in(
    State(state): State<AppState>,
    PageCaller(caller): PageCaller,
    Path(id): Path<Uuid>,
    Form(typed): Form<CheckInSubmit>,
) -> PageResult<Response> {
    let pool = &state.tenant(&caller);
    let record = Record::new(pool, &caller, id);
    let outcome = versioned_form::submit(
        record,
        typed,
        |typed, version| write_check_in(pool, &caller, id, typed, version),
        || async {
            Ok(CheckInSubmit::of(
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
            let key_result = db::key_results::get(pool, caller.org_id, id).await?;
            super::objective_form::editable_objective(&state, &caller, key_result.objective_id).await?;
            let typed = CheckInForm::shown(typed, shown.labelled(|_, value| value.to_owned()), id);
            let page = objective_page(&state, &caller, key_result.objective_id, Some((id, typed))).await?;
            Ok((status, page).into_response())
        }
    }
}

/// Records the check-in the form asks for against `version`.
async fn write_check_in(
    pool: &TenantPool,
    caller: &Caller,
    id: Uuid,
    typed: CheckInSubmit,
    version: i64,
) -> Result<KeyResult, AppError> {
    let mut errors = FieldErrors::new();
    let value = crate::domain::form::required::<Decimal>(&mut errors, "value", &typed.value, NUMBER);
    if !errors.is_empty() {
        return Err(AppError::Validation(errors));
    }
    let changes = KeyResultChanges {
        current_value: value,
        note: Some(Some(typed.note.clone())),
        ..KeyResultChanges::default()
    };
    db::key_result_edits::update(pool, caller, id, Some(version), changes).await
}
