//! Capacity against demand on pages (SPEC §8): the roll-up page's panel (the next four quarters
//! for the portfolio and each child, every figure linking to the initiatives behind it, and for
//! whoever may edit the portfolio a field per quarter setting its own capacity), and
//! `/portfolios/{id}/capacity`, where whoever may edit the portfolio sets its own people's
//! person-weeks for each of the next four quarters beside each quarter's demand. Both forms post
//! to `save`.

use askama::Template;
use askama_web::WebTemplate;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use rust_decimal::Decimal;
use uuid::Uuid;

use super::Layout;
use super::form::FormState;
use super::initiative_list::{list_url, pw_label};
use crate::db;
use crate::db::capacity::{Capacity, OwnCapacity, SubtreeCapacity};
use crate::db::pages::rollup::CAPACITY_QUARTERS;
use crate::db::users::Caller;
use crate::domain::FieldErrors;
use crate::domain::capacity::{self, QuarterFigures};
use crate::domain::initiative::InitiativeFilter;
use crate::domain::period::Period;
use crate::domain::{Status, WorkScope};
use crate::error::{AppError, PageResult};
use crate::http::AppState;
use crate::http::extract::PageCaller;

/// The panel: one row per subtree (the portfolio's first), one cell per quarter.
pub struct CapacityPanel {
    pub quarters: Vec<Period>,
    pub rows: Vec<CapacityRow>,
    /// Where the portfolio's own capacity is set, quarter by quarter beside its demand.
    pub edit_url: String,
    /// The portfolio's own capacity, a form per quarter: for whoever may edit it, else none.
    pub forms: Vec<QuarterForm>,
    /// The quarter just saved from the panel, for the confirmation.
    pub saved: Option<Period>,
}

pub struct CapacityRow {
    pub name: String,
    pub portfolio_id: Uuid,
    /// The portfolio's own subtree (the first row), not a child's.
    pub total: bool,
    pub cells: Vec<CapacityCell>,
    pub unscheduled: String,
    pub unscheduled_proposed: String,
}

/// One subtree's quarter as the panel shows it, each figure with its link.
pub struct CapacityCell {
    pub period: Period,
    pub capacity: String,
    pub demand: String,
    pub proposed: String,
    pub free: String,
    pub utilisation: String,
    /// "+12.5 pw over" when demand exceeds capacity.
    pub over: Option<String>,
    pub capacity_url: String,
    /// The subtree's planned and in-progress work touching the quarter, with its shares.
    pub demand_url: String,
    /// The subtree's proposed work touching the quarter.
    pub proposed_url: String,
}

impl CapacityCell {
    fn new(portfolio_id: Uuid, figures: &QuarterFigures) -> CapacityCell {
        let in_quarter = InitiativeFilter {
            portfolio_id: Some(portfolio_id),
            quarter: Some(figures.period),
            ..InitiativeFilter::default()
        };
        CapacityCell {
            period: figures.period,
            capacity: person_weeks(figures.capacity),
            demand: person_weeks(figures.demand),
            proposed: person_weeks(figures.proposed),
            free: person_weeks(figures.free),
            utilisation: figures
                .utilisation
                .map(|u| format!("{u:.1}%"))
                .unwrap_or_else(|| "–".to_owned()),
            over: figures
                .over()
                .map(|over| format!("+{} pw over", person_weeks(over))),
            capacity_url: format!("/portfolios/{portfolio_id}/capacity"),
            demand_url: list_url(&InitiativeFilter {
                scope: Some(WorkScope::Active),
                ..in_quarter
            }),
            proposed_url: list_url(&InitiativeFilter {
                status: Some(Status::Proposed),
                ..in_quarter
            }),
        }
    }
}

/// Person-weeks with one decimal, as every figure of the panel shows them.
fn person_weeks(value: Decimal) -> String {
    pw_label(value)
}

impl CapacityRow {
    fn new(name: &str, portfolio_id: Uuid, total: bool, figures: &SubtreeCapacity) -> CapacityRow {
        CapacityRow {
            name: name.to_owned(),
            portfolio_id,
            total,
            cells: figures
                .quarters
                .iter()
                .map(|quarter| CapacityCell::new(portfolio_id, quarter))
                .collect(),
            unscheduled: person_weeks(figures.unscheduled),
            unscheduled_proposed: person_weeks(figures.unscheduled_proposed),
        }
    }
}

impl CapacityPanel {
    /// The panel of `capacity`; with `own` (the portfolio's own capacity in each of its quarters),
    /// the forms that set it, for a visitor who may.
    pub fn new(capacity: &Capacity, own: Option<&[OwnCapacity]>) -> CapacityPanel {
        let id = capacity.portfolio.id;
        let rows =
            std::iter::once(CapacityRow::new(
                &capacity.portfolio.name,
                id,
                true,
                &capacity.figures,
            ))
            .chain(capacity.children.iter().map(|child| {
                CapacityRow::new(&child.portfolio.name, child.portfolio.id, false, &child.figures)
            }))
            .collect();
        let forms = own.map_or_else(Vec::new, |own| {
            QuarterForm::all(&capacity.figures.quarters, own, Origin::Rollup)
        });
        CapacityPanel {
            quarters: capacity.figures.quarters.iter().map(|q| q.period).collect(),
            rows,
            edit_url: format!("/portfolios/{id}/capacity"),
            forms,
            saved: None,
        }
    }

    /// Shows a refused submit of the panel's forms: its errors beside its quarter's field, as typed.
    pub fn refused(&mut self, typed: &CapacityForm, errors: &FieldErrors) {
        QuarterForm::refuse(&mut self.forms, typed, errors);
    }
}

/// Which page a capacity form is on, so that the answer returns there.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    /// `/portfolios/{id}/capacity`.
    CapacityPage,
    /// The roll-up page's capacity panel.
    Rollup,
}

/// One quarter's form: on the capacity page, and on the roll-up page's panel.
pub struct QuarterForm {
    pub period: Period,
    /// The field's label: the quarter is the capacity page's heading, the panel's label names it.
    pub label: String,
    /// What the field shows: the saved value, or what was typed into a refused submit.
    pub value: String,
    /// The version of the saved value (0: never set), which the form sends back so that a value
    /// someone else saved since is not overwritten unseen.
    pub version: i64,
    pub form: FormState,
    /// The subtree's figures for the quarter, for context.
    pub figures: QuarterFigures,
}

#[derive(Template, WebTemplate)]
#[template(path = "portfolios/capacity.html")]
pub struct CapacityPage {
    layout: Layout,
    portfolio_id: Uuid,
    name: String,
    quarters: Vec<QuarterForm>,
    can_edit: bool,
    /// The quarter just saved, for the confirmation.
    saved: Option<Period>,
}

#[derive(serde::Deserialize)]
pub struct SavedQuery {
    saved: Option<String>,
}

#[derive(serde::Deserialize)]
pub struct CapacityForm {
    #[serde(default)]
    period: String,
    #[serde(default)]
    person_weeks: String,
    /// The version of the value the form showed.
    #[serde(default)]
    version: String,
    /// `rollup` from the roll-up page's panel, which the answer returns to; else the capacity page.
    #[serde(default)]
    from: String,
}

impl CapacityForm {
    fn origin(&self) -> Origin {
        match self.from.as_str() {
            "rollup" => Origin::Rollup,
            _ => Origin::CapacityPage,
        }
    }
}

#[tracing::instrument(skip_all, fields(portfolio_id = %id))]
pub async fn show(
    State(state): State<AppState>,
    PageCaller(caller): PageCaller,
    Path(id): Path<Uuid>,
    Query(query): Query<SavedQuery>,
) -> PageResult<CapacityPage> {
    let saved = query.saved.and_then(|text| text.parse().ok());
    CapacityPage::read(&state, &caller, id, saved, None).await
}

/// Saves one quarter's capacity, then back to the page the form is on (the capacity page, or the
/// roll-up page's panel) with the figure saved; a refused value comes back beside its field on that
/// page, as typed.
#[tracing::instrument(skip_all, fields(portfolio_id = %id))]
pub async fn save(
    State(state): State<AppState>,
    PageCaller(caller): PageCaller,
    Path(id): Path<Uuid>,
    Form(form): Form<CapacityForm>,
) -> PageResult<Response> {
    let pool = state.tenant(&caller);
    let version = super::form::rendered_version(&form.version)?;
    let checked = capacity::quarter("period", &form.period).and_then(|period| {
        let value = form.person_weeks.trim().parse::<f64>().unwrap_or(f64::NAN);
        Ok((period, capacity::person_weeks(value)?))
    });
    let (status, errors) = match checked {
        Ok((period, value)) => {
            match db::capacity::set(&pool, &caller, id, period, value, Some(version)).await {
                Ok(_) => return Ok(Redirect::to(&saved_url(id, period, form.origin())).into_response()),
                Err(AppError::Validation(errors)) => (StatusCode::UNPROCESSABLE_ENTITY, errors),
                Err(AppError::PreconditionFailed) => {
                    (StatusCode::CONFLICT, changed_since(&pool, id, period).await?)
                }
                Err(other) => return Err(other),
            }
        }
        Err(errors) => {
            // The write checks who may; a value refused before it is checked here.
            db::permissions::require_portfolio_editor(&pool, &caller, id).await?;
            (StatusCode::UNPROCESSABLE_ENTITY, errors)
        }
    };
    Ok(match form.origin() {
        Origin::CapacityPage => {
            let page = CapacityPage::read(&state, &caller, id, None, Some((&form, &errors))).await?;
            (status, page).into_response()
        }
        Origin::Rollup => {
            let mut page = super::rollup::page_for_refused_form(&state, &caller, id).await?;
            page.capacity.refused(&form, &errors);
            (status, page).into_response()
        }
    })
}

/// What a form says when someone else saved the quarter after it was rendered: their value, beside
/// the field that keeps what was typed; the form comes back at the current version, so saving it
/// again replaces theirs.
async fn changed_since(pool: &db::TenantPool, id: Uuid, period: Period) -> Result<FieldErrors, AppError> {
    let own = db::capacity::own(pool, pool.org_id(), id, &[period]).await?;
    let theirs = own.first().map(|own| own.person_weeks).unwrap_or_default();
    let mut errors = FieldErrors::new();
    errors.add(
        "person_weeks",
        format!(
            "was set to {} pw by someone else since this page was opened; save again to replace it with yours",
            theirs.normalize()
        ),
    );
    Ok(errors)
}

/// Where a saved capacity leads: the page its form is on, saying which quarter was saved.
fn saved_url(id: Uuid, period: Period, origin: Origin) -> String {
    match origin {
        Origin::CapacityPage => format!("/portfolios/{id}/capacity?saved={period}"),
        Origin::Rollup => format!("/portfolios/{id}?capacity_saved={period}#capacity"),
    }
}

impl CapacityPage {
    async fn read(
        state: &AppState,
        caller: &Caller,
        id: Uuid,
        saved: Option<Period>,
        refused: Option<(&CapacityForm, &FieldErrors)>,
    ) -> Result<CapacityPage, AppError> {
        let pool = state.tenant(caller);
        let subtree =
            db::capacity::capacity(&pool, db::rollup::Plan::Live, id, None, CAPACITY_QUARTERS).await?;
        let periods: Vec<Period> = subtree.figures.quarters.iter().map(|q| q.period).collect();
        let own = db::capacity::own(&pool, pool.org_id(), id, &periods).await?;
        let can_edit = db::permissions::can_edit_portfolio(&pool, caller, id).await?;
        let mut quarters = QuarterForm::all(&subtree.figures.quarters, &own, Origin::CapacityPage);
        if let Some((typed, errors)) = refused {
            QuarterForm::refuse(&mut quarters, typed, errors);
        }
        Ok(CapacityPage {
            layout: Layout::new(format!("Capacity of {}", subtree.portfolio.name), Some(caller))
                .in_section("portfolios"),
            portfolio_id: id,
            name: subtree.portfolio.name,
            quarters,
            can_edit,
            saved,
        })
    }
}

impl QuarterForm {
    /// A form per quarter of `quarters`, showing the portfolio's `own` capacity in each.
    fn all(quarters: &[QuarterFigures], own: &[OwnCapacity], origin: Origin) -> Vec<QuarterForm> {
        quarters
            .iter()
            .zip(own)
            .map(|(figures, own)| {
                let period = figures.period;
                let (label, prefix) = match origin {
                    Origin::CapacityPage => ("Person-weeks".to_owned(), "q"),
                    Origin::Rollup => (format!("{period} (person-weeks)"), "capacity-q"),
                };
                QuarterForm {
                    period,
                    label,
                    value: own.person_weeks.normalize().to_string(),
                    version: own.version,
                    form: FormState::default()
                        .with_id_prefix(format!("{prefix}{}-", period.to_string().replace('-', ""))),
                    figures: figures.clone(),
                }
            })
            .collect()
    }

    /// Shows `typed`, refused with `errors`, in the form of its quarter (or, for a period that is
    /// no quarter shown, the first): every message beside its field, what was typed in it.
    fn refuse(forms: &mut [QuarterForm], typed: &CapacityForm, errors: &FieldErrors) {
        let index = forms
            .iter()
            .position(|form| typed.period.trim() == form.period.to_string())
            .unwrap_or(0);
        let Some(form) = forms.get_mut(index) else {
            return;
        };
        let beside = errors.iter().map(|(_, messages)| messages.join(" ")).fold(
            FieldErrors::new(),
            |mut all, message| {
                all.add("person_weeks", message);
                all
            },
        );
        let prefix = form.form.id("");
        form.value = typed.person_weeks.clone();
        // With its one field listed, the alert links to it and the browser focuses it.
        form.form = FormState::invalid(beside)
            .with_id_prefix(prefix)
            .with_fields(&[("person_weeks", "Person-weeks")]);
    }
}
