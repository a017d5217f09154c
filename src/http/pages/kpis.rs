//! KPIs on pages (SPEC §11): the cards the portfolio and lifecycle pages show (latest value with
//! its unit, target, trend with its word, a sparkline drawn here as SVG), and
//! `/portfolios/{id}/kpis`, where whoever may edit the portfolio defines, edits and deletes its
//! KPIs and records values, one at a time or pasted as `date,value` rows.

use std::collections::HashMap;

use askama::Template;
use askama_web::WebTemplate;
use axum::Form;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use serde::Deserialize;
use uuid::Uuid;

use super::Layout;
use super::form::{Choice, FormState, refusal, rendered_version, word_choices};
use super::settings_rows::{Refused, RowForm, answer, readable, rows};
use crate::db;
use crate::db::kpis::{Kpi, KpiValue};
use crate::db::portfolios::Portfolio;
use crate::db::users::Caller;
use crate::domain::FieldErrors;
use crate::domain::currency::group_thousands;
use crate::domain::form::{CHOICE, NUMBER, optional};
use crate::domain::kpi::{Direction, KpiChanges, KpiStatus, KpiValueInput, TrendReading, parse_values_csv};
use crate::domain::permissions::may_edit_portfolio;
use crate::domain::rollup::KpiCounts;
use crate::error::{AppError, PageResult};
use crate::http::AppState;
use crate::http::extract::PageCaller;

/// A number as people read it: thousands grouped, no trailing zeros ("1,250,000", "41.5").
pub fn number_label(value: Decimal) -> String {
    let value = value.normalize();
    let text = value.abs().to_string();
    let (whole, fraction) = text.split_once('.').unwrap_or((&text, ""));
    let grouped = whole
        .parse::<u64>()
        .map(group_thousands)
        .unwrap_or_else(|_| whole.to_owned());
    let sign = if value.is_sign_negative() && !value.is_zero() {
        "−"
    } else {
        ""
    };
    match fraction {
        "" => format!("{sign}{grouped}"),
        f => format!("{sign}{grouped}.{f}"),
    }
}

fn with_unit(value: Decimal, unit: &str) -> String {
    match unit {
        "" => number_label(value),
        "%" => format!("{}%", number_label(value)),
        unit => format!("{} {unit}", number_label(value)),
    }
}

/// "3 of 4 on target", or "No KPIs": a subtree's KPI figure as the roll-up's tables show it.
pub fn counts_label(counts: &KpiCounts) -> String {
    match counts.total() {
        0 => "No KPIs".to_owned(),
        total => format!("{} of {total} on target", counts.on_target),
    }
}

/// A KPI's latest values as a line, oldest left, with its target as a dashed line, on a
/// `WIDTH` × `HEIGHT` canvas; the range holds the values and the target, so both are in sight.
pub struct Sparkline {
    pub points: String,
    /// The newest value's point, marked.
    pub last: (f64, f64),
    pub target_y: f64,
    pub label: String,
}

impl Sparkline {
    pub const WIDTH: f64 = 120.0;
    pub const HEIGHT: f64 = 32.0;
    const PAD: f64 = 3.0;

    /// `newest_first` as read; `None` without values.
    pub fn new(newest_first: &[KpiValue], target: Decimal, unit: &str) -> Option<Sparkline> {
        let values: Vec<f64> = newest_first
            .iter()
            .rev()
            .map(|v| v.value.to_f64().unwrap_or(0.0))
            .collect();
        let target_f = target.to_f64().unwrap_or(0.0);
        let low = values.iter().copied().fold(target_f, f64::min);
        let high = values.iter().copied().fold(target_f, f64::max);
        let span = high - low;
        // One level throughout (a single value on its target) sits mid-height.
        let y = |v: f64| {
            if high > low {
                Self::PAD + (high - v) / span * (Self::HEIGHT - 2.0 * Self::PAD)
            } else {
                Self::HEIGHT / 2.0
            }
        };
        let step = match values.len() {
            0 => return None,
            1 => 0.0,
            n => (Self::WIDTH - 2.0 * Self::PAD) / (n - 1) as f64,
        };
        let at = |i: usize, v: f64| {
            let x = if step == 0.0 {
                Self::WIDTH / 2.0
            } else {
                Self::PAD + step * i as f64
            };
            (x, y(v))
        };
        let points = values
            .iter()
            .enumerate()
            .map(|(i, &v)| {
                let (x, y) = at(i, v);
                format!("{x:.1},{y:.1}")
            })
            .collect::<Vec<_>>()
            .join(" ");
        let last = at(values.len() - 1, values[values.len() - 1]);
        let first = newest_first.last().expect("not empty");
        let newest = newest_first.first().expect("not empty");
        Some(Sparkline {
            points,
            last,
            target_y: y(target_f),
            label: format!(
                "{} values from {} ({}) to {} ({}); target {}",
                values.len(),
                first.date,
                with_unit(first.value, unit),
                newest.date,
                with_unit(newest.value, unit),
                with_unit(target, unit)
            ),
        })
    }
}

/// A KPI's card.
pub struct KpiCard {
    pub id: Uuid,
    pub name: String,
    pub status: KpiStatus,
    pub status_label: &'static str,
    /// "41.5 pts", or `None` before the first value.
    pub value: Option<String>,
    pub as_of: Option<String>,
    /// "≥ 40 pts".
    pub target: String,
    /// "▲", "▼" or "▶", with the word: "up 1.5, better".
    pub trend_arrow: &'static str,
    pub trend_words: String,
    pub trend_class: &'static str,
    pub sparkline: Option<Sparkline>,
}

impl KpiCard {
    pub fn new(kpi: &Kpi, newest_first: &[KpiValue]) -> KpiCard {
        let bound = match kpi.direction {
            Direction::Increase => "≥",
            Direction::Decrease => "≤",
        };
        let (trend_arrow, trend_words, trend_class) = match kpi.trend {
            None => ("", "no trend yet".to_owned(), "none"),
            Some(change) => {
                let size = number_label(change.abs());
                match TrendReading::of(kpi.direction, change) {
                    TrendReading::Flat => ("▶", "flat".to_owned(), "flat"),
                    reading => {
                        let (arrow, way) = if change > Decimal::ZERO {
                            ("▲", "up")
                        } else {
                            ("▼", "down")
                        };
                        let (word, class) = if reading == TrendReading::Better {
                            ("better", "better")
                        } else {
                            ("worse", "worse")
                        };
                        (arrow, format!("{way} {size}, {word}"), class)
                    }
                }
            }
        };
        KpiCard {
            id: kpi.id,
            name: kpi.name.clone(),
            status: kpi.status,
            status_label: match kpi.status {
                KpiStatus::OnTarget => "On target",
                KpiStatus::OffTarget => "Off target",
                KpiStatus::NoData => "No data",
            },
            value: kpi.latest.map(|l| with_unit(l.value, &kpi.unit)),
            as_of: kpi.latest.map(|l| l.date.format("%b %-d, %Y").to_string()),
            target: format!("{bound} {}", with_unit(kpi.target, &kpi.unit)),
            trend_arrow,
            trend_words,
            trend_class,
            sparkline: Sparkline::new(newest_first, kpi.target, &kpi.unit),
        }
    }

    /// The cards of `kpis`, each with its values from `values` (newest first).
    pub fn all(kpis: &[Kpi], values: &HashMap<Uuid, Vec<KpiValue>>) -> Vec<KpiCard> {
        kpis.iter()
            .map(|kpi| KpiCard::new(kpi, values.get(&kpi.id).map(Vec::as_slice).unwrap_or_default()))
            .collect()
    }
}

/// A KPI's definition form as typed.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default)]
pub struct KpiForm {
    name: String,
    unit: String,
    direction: String,
    target: String,
    version: String,
}

impl KpiForm {
    fn saved(kpi: &Kpi) -> KpiForm {
        KpiForm {
            name: kpi.name.clone(),
            unit: kpi.unit.clone(),
            direction: kpi.direction.as_str().to_owned(),
            target: kpi.target.normalize().to_string(),
            version: kpi.version.to_string(),
        }
    }

    fn read(&self) -> Result<KpiChanges, AppError> {
        let mut unreadable = FieldErrors::new();
        let changes = KpiChanges {
            name: Some(self.name.clone()),
            unit: Some(Some(self.unit.clone())),
            direction: optional(&mut unreadable, "direction", &self.direction, CHOICE).flatten(),
            target: optional(&mut unreadable, "target", &self.target, NUMBER).flatten(),
        };
        readable(changes, unreadable, |c| c.apply(None))
    }
}

/// The record-values form as typed: one date and value, or rows pasted.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default)]
pub struct ValuesForm {
    kpi_id: String,
    date: String,
    value: String,
    rows: String,
}

impl ValuesForm {
    /// The KPI and the rows to record, every problem named beside its field.
    fn read(&self) -> Result<(Uuid, Vec<(chrono::NaiveDate, Decimal)>), AppError> {
        let mut errors = FieldErrors::new();
        let kpi = self.kpi_id.trim().parse::<Uuid>().ok();
        errors.check(kpi.is_some(), "kpi_id", "is required");
        let rows = if self.rows.trim().is_empty() {
            let mut unreadable = FieldErrors::new();
            let value = optional(&mut unreadable, "value", &self.value, NUMBER).flatten();
            let input = KpiValueInput {
                date: Some(self.date.clone()),
                value,
            };
            match input.check() {
                Ok(row) if unreadable.is_empty() => vec![row],
                Ok(_) => {
                    errors.merge(unreadable);
                    Vec::new()
                }
                Err(invalid) => {
                    errors.merge(unreadable);
                    for (field, messages) in invalid.iter() {
                        if errors.get(field).is_none() {
                            messages.iter().for_each(|m| errors.add(field, m.clone()));
                        }
                    }
                    Vec::new()
                }
            }
        } else {
            // The upload's errors name the body; here they belong beside the rows' field.
            parse_values_csv(&self.rows).unwrap_or_else(|invalid| {
                for (_, messages) in invalid.iter() {
                    messages.iter().for_each(|m| errors.add("rows", m.clone()));
                }
                Vec::new()
            })
        };
        errors.into_result()?;
        Ok((kpi.unwrap_or_default(), rows))
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "portfolios/kpis.html")]
pub struct KpisPage {
    layout: Layout,
    portfolio: Portfolio,
    can_edit: bool,
    cards: Vec<KpiCard>,
    rows: Vec<RowForm<Kpi, KpiForm>>,
    directions: Vec<Choice>,
    kpi_choices: Vec<Choice>,
    typed: KpiForm,
    form: FormState,
    values_typed: ValuesForm,
    values_form: FormState,
    /// What the last record did: "2 values recorded, 1 replacing an earlier one".
    recorded: Option<String>,
}

/// Which of the page's forms was refused, with what was typed.
enum PageRefusal {
    Kpi(Refused<KpiForm>),
    Values(ValuesForm, FormState),
}

impl KpisPage {
    async fn load(
        state: &AppState,
        caller: &Caller,
        id: Uuid,
        refused: Option<PageRefusal>,
        recorded: Option<String>,
    ) -> PageResult<KpisPage> {
        let pool = state.tenant(caller);
        let org_id = pool.org_id();
        let mut tx = pool.begin_snapshot().await?;
        let mut ancestors = db::portfolios::ancestors(&mut *tx, org_id, id).await?;
        let can_edit = may_edit_portfolio(caller, ancestors.iter().map(|p| p.owner_id));
        let portfolio = ancestors.pop().ok_or(AppError::NotFound)?;
        let kpis = db::kpis::of_portfolio(&mut *tx, org_id, id).await?;
        let values = db::kpis::sparklines(&mut *tx, org_id, &kpis).await?;
        tx.commit().await?;
        let cards = KpiCard::all(&kpis, &values);
        let kpi_choices = kpis
            .iter()
            .map(|k| Choice::new(k.id.to_string(), k.name.clone()))
            .collect();
        let (kpi_refused, values_refused) = match refused {
            Some(PageRefusal::Kpi(r)) => (Some(r), None),
            Some(PageRefusal::Values(typed, form)) => (None, Some((typed, form))),
            None => (None, None),
        };
        let (rows, add) = rows(kpis, |k| k.id, KpiForm::saved, kpi_refused);
        let (typed, form) = add.map(|r| (r.typed, r.form)).unwrap_or_else(|| {
            let fresh = KpiForm {
                direction: Direction::Increase.as_str().to_owned(),
                ..KpiForm::default()
            };
            (fresh, FormState::default())
        });
        let (values_typed, values_form) = values_refused.unwrap_or_else(|| {
            let today = chrono::Utc::now().date_naive().to_string();
            let fresh = ValuesForm {
                date: today,
                ..ValuesForm::default()
            };
            (fresh, FormState::default())
        });
        Ok(KpisPage {
            layout: Layout::new(format!("KPIs of {}", portfolio.name), Some(caller)).in_section("portfolios"),
            portfolio,
            can_edit,
            cards,
            rows,
            directions: word_choices(None, Direction::ALL, Direction::as_str, Direction::label),
            kpi_choices,
            typed,
            form,
            values_typed,
            values_form: values_form.with_id_prefix("values-".to_owned()),
            recorded,
        })
    }
}

fn page_path(portfolio_id: Uuid) -> String {
    format!("/portfolios/{portfolio_id}/kpis")
}

#[tracing::instrument(skip_all, fields(portfolio_id = %id))]
pub async fn show(
    State(state): State<AppState>,
    PageCaller(caller): PageCaller,
    Path(id): Path<Uuid>,
) -> PageResult<KpisPage> {
    KpisPage::load(&state, &caller, id, None, None).await
}

#[tracing::instrument(skip_all, fields(portfolio_id = %id))]
pub async fn create(
    State(state): State<AppState>,
    PageCaller(caller): PageCaller,
    Path(id): Path<Uuid>,
    Form(typed): Form<KpiForm>,
) -> PageResult<Response> {
    let written = match typed.read() {
        Ok(changes) => db::kpis::create(&state.tenant(&caller), &caller, id, changes)
            .await
            .map(drop),
        Err(error) => Err(error),
    };
    answer(&page_path(id), None, typed, written, |refused| {
        KpisPage::load(&state, &caller, id, refused.map(PageRefusal::Kpi), None)
    })
    .await
}

#[tracing::instrument(skip_all, fields(kpi_id = %kpi_id))]
pub async fn update(
    State(state): State<AppState>,
    PageCaller(caller): PageCaller,
    Path(kpi_id): Path<Uuid>,
    Form(typed): Form<KpiForm>,
) -> PageResult<Response> {
    let pool = state.tenant(&caller);
    let portfolio_id = db::kpis::get(&pool, kpi_id).await?.portfolio_id;
    let version = rendered_version(&typed.version)?;
    let written = match typed.read() {
        Ok(changes) => db::kpis::update(&pool, &caller, kpi_id, Some(version), changes)
            .await
            .map(drop),
        Err(error) => Err(error),
    };
    answer(
        &page_path(portfolio_id),
        Some(kpi_id),
        typed,
        written,
        |refused| KpisPage::load(&state, &caller, portfolio_id, refused.map(PageRefusal::Kpi), None),
    )
    .await
}

#[derive(Deserialize)]
pub struct DeleteForm {
    version: String,
}

#[tracing::instrument(skip_all, fields(kpi_id = %kpi_id))]
pub async fn delete(
    State(state): State<AppState>,
    PageCaller(caller): PageCaller,
    Path(kpi_id): Path<Uuid>,
    Form(form): Form<DeleteForm>,
) -> PageResult<Redirect> {
    let pool = state.tenant(&caller);
    let portfolio_id = db::kpis::get(&pool, kpi_id).await?.portfolio_id;
    let version = rendered_version(&form.version)?;
    db::kpis::delete(&pool, &caller, kpi_id, Some(version)).await?;
    Ok(Redirect::to(&page_path(portfolio_id)))
}

#[tracing::instrument(skip_all, fields(portfolio_id = %id))]
pub async fn record(
    State(state): State<AppState>,
    PageCaller(caller): PageCaller,
    Path(id): Path<Uuid>,
    Form(typed): Form<ValuesForm>,
) -> PageResult<Response> {
    let pool = state.tenant(&caller);
    let written = match typed.read() {
        Ok((kpi_id, rows)) => {
            // Only this portfolio's KPIs are offered; another's id is not one of the choices.
            match db::kpis::get(&pool, kpi_id).await {
                Ok(kpi) if kpi.portfolio_id == id => db::kpis::record(&pool, &caller, kpi_id, &rows).await,
                Ok(_) | Err(AppError::NotFound) => Err(AppError::field("kpi_id", CHOICE)),
                Err(other) => Err(other),
            }
        }
        Err(error) => Err(error),
    };
    match written {
        Ok(recorded) => {
            let said = match (recorded.written + recorded.replaced, recorded.replaced) {
                (1, 0) => "1 value recorded.".to_owned(),
                (1, 1) => "1 value recorded, replacing the earlier value of its date.".to_owned(),
                (n, 0) => format!("{n} values recorded."),
                (n, r) => format!("{n} values recorded, {r} replacing earlier values of their dates."),
            };
            let page = KpisPage::load(&state, &caller, id, None, Some(said)).await?;
            Ok(page.into_response())
        }
        Err(error) => {
            let (status, form) = refusal(error)?;
            let page =
                KpisPage::load(&state, &caller, id, Some(PageRefusal::Values(typed, form)), None).await?;
            Ok((status, page).into_response())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(text: &str) -> Decimal {
        text.parse().unwrap()
    }

    #[test]
    fn numbers_read_as_people_write_them() {
        assert_eq!(number_label(d("1250000")), "1,250,000");
        assert_eq!(number_label(d("41.50")), "41.5");
        assert_eq!(number_label(d("-2.5")), "−2.5");
        assert_eq!(with_unit(d("3.2"), "%"), "3.2%");
        assert_eq!(with_unit(d("42"), "pts"), "42 pts");
    }

    #[test]
    fn a_sparkline_holds_its_values_and_target_in_view() {
        let date = |day| chrono::NaiveDate::from_ymd_opt(2026, 1, day).unwrap();
        let newest_first = [
            KpiValue {
                date: date(3),
                value: d("30"),
            },
            KpiValue {
                date: date(2),
                value: d("20"),
            },
            KpiValue {
                date: date(1),
                value: d("10"),
            },
        ];
        let line = Sparkline::new(&newest_first, d("40"), "").unwrap();
        // Oldest left at the bottom of the range, the target at the top.
        assert_eq!(line.points, "3.0,29.0 60.0,20.3 117.0,11.7");
        assert_eq!(line.target_y, 3.0);
        assert_eq!(format!("{:.1},{:.1}", line.last.0, line.last.1), "117.0,11.7");
        assert!(Sparkline::new(&[], d("1"), "").is_none());
        let single = Sparkline::new(&newest_first[..1], d("30"), "").unwrap();
        assert_eq!(single.points, "60.0,16.0");
    }

    #[test]
    fn counts_read_as_of_the_total() {
        let counts = KpiCounts {
            on_target: 3,
            off_target: 1,
            no_data: 0,
        };
        assert_eq!(counts_label(&counts), "3 of 4 on target");
        assert_eq!(counts_label(&KpiCounts::default()), "No KPIs");
    }
}
