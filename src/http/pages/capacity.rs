//! Capacity against demand on pages (SPEC §8): the roll-up page's panel (the next four quarters
//! for the portfolio and each child, every figure linking to the initiatives behind it), and
//! `/portfolios/{id}/capacity`, where whoever may edit the portfolio sets its own people's
//! person-weeks for each of the next four quarters.

use askama::Template;
use askama_web::WebTemplate;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use rust_decimal::Decimal;
use uuid::Uuid;

use super::Layout;
use super::form::FormState;
use super::initiative_list::{list_url, pw_label};
use crate::db;
use crate::db::capacity::{Capacity, SubtreeCapacity};
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
    /// Where the portfolio's own capacity is set.
    pub edit_url: String,
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
    pub fn new(capacity: &Capacity) -> CapacityPanel {
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
        CapacityPanel {
            quarters: capacity.figures.quarters.iter().map(|q| q.period).collect(),
            rows,
            edit_url: format!("/portfolios/{id}/capacity"),
        }
    }
}

/// One quarter's form on the capacity page.
pub struct QuarterForm {
    pub period: Period,
    /// What the field shows: the saved value, or what was typed into a refused submit.
    pub value: String,
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

/// Saves one quarter's capacity; a refused value comes back beside its field, as typed.
#[tracing::instrument(skip_all, fields(portfolio_id = %id))]
pub async fn save(
    State(state): State<AppState>,
    PageCaller(caller): PageCaller,
    Path(id): Path<Uuid>,
    Form(form): Form<CapacityForm>,
) -> PageResult<Response> {
    let checked = capacity::quarter("period", &form.period).and_then(|period| {
        let value = form.person_weeks.trim().parse::<f64>().unwrap_or(f64::NAN);
        Ok((period, capacity::person_weeks(value)?))
    });
    let result = match checked {
        Ok((period, value)) => db::capacity::set(&state.tenant(&caller), &caller, id, period, value)
            .await
            .map(|_| period),
        Err(errors) => Err(AppError::Validation(errors)),
    };
    match result {
        Ok(period) => Ok(Redirect::to(&format!("/portfolios/{id}/capacity?saved={period}")).into_response()),
        Err(AppError::Validation(errors)) => {
            let refused = Some((form, errors));
            Ok(CapacityPage::read(&state, &caller, id, None, refused)
                .await?
                .into_response())
        }
        Err(other) => Err(other),
    }
}

impl CapacityPage {
    async fn read(
        state: &AppState,
        caller: &Caller,
        id: Uuid,
        saved: Option<Period>,
        refused: Option<(CapacityForm, FieldErrors)>,
    ) -> Result<CapacityPage, AppError> {
        let pool = state.tenant(caller);
        let subtree =
            db::capacity::capacity(&pool, db::rollup::Plan::Live, id, None, CAPACITY_QUARTERS).await?;
        let periods: Vec<Period> = subtree.figures.quarters.iter().map(|q| q.period).collect();
        let own = db::capacity::own(&pool, id, &periods).await?;
        let can_edit = db::permissions::can_edit_portfolio(&pool, caller, id).await?;
        let quarters = subtree
            .figures
            .quarters
            .into_iter()
            .zip(own)
            .map(|(figures, own)| QuarterForm::new(figures, own, refused.as_ref()))
            .collect();
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
    fn new(
        figures: QuarterFigures,
        own: Decimal,
        refused: Option<&(CapacityForm, FieldErrors)>,
    ) -> QuarterForm {
        let period = figures.period;
        let prefix = format!("q{}-", period.to_string().replace('-', ""));
        let (value, form) = match refused {
            // The refused quarter (or, for a period that is no quarter shown, the first).
            Some((typed, errors)) if typed.period == period.to_string() || errors.get("period").is_some() => {
                let errors = errors.iter().map(|(_, messages)| messages.join(" ")).fold(
                    FieldErrors::new(),
                    |mut all, message| {
                        all.add("person_weeks", message);
                        all
                    },
                );
                (typed.person_weeks.clone(), FormState::invalid(errors))
            }
            _ => (own.normalize().to_string(), FormState::default()),
        };
        QuarterForm {
            period,
            value,
            form: form.with_id_prefix(prefix),
            figures,
        }
    }
}
