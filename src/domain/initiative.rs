//! Initiatives: the unit of work a PM drives and its checked values (its scores: `super::scores`).

use chrono::NaiveDate;
use serde::Deserialize;
use uuid::Uuid;

use super::page::PageRequest;
use super::patch::{nullable, nullable_whole, whole};
use super::period::Period;
use super::scores::{ScoreInputs, Scores, WSJF_SCALE, decimal};
use super::validation::text;
use super::{FieldErrors, Health, InitiativeSort, Lifecycle, PortfolioLevel, Status, WorkScope};

/// The impact scale of RICE (minimal … massive).
pub const IMPACTS: [f64; 5] = [0.25, 0.5, 1.0, 2.0, 3.0];
/// The names of the impact scale's steps, in the order of `IMPACTS`.
pub const IMPACT_NAMES: [&str; 5] = ["Minimal", "Low", "Medium", "High", "Massive"];

/// Bounds of an initiative's numbers, wide enough for any real plan and narrow enough that every
/// figure over any number of initiatives stays within the exact decimals the roll-ups are computed
/// in (28 digits: `rust_decimal`), however the sums are cut. Effort is person-weeks: a hundredth
/// is a quarter of an hour, 100,000 about 2,000 person-years.
pub const EFFORT_MIN: f64 = 0.01;
pub const EFFORT_MAX: f64 = 100_000.0;
/// Minor units of the organization's currency: 10^15 is ten trillion dollars in cents.
pub const BUDGET_MAX: i64 = 1_000_000_000_000_000;
/// People or events per period.
pub const REACH_MAX: i64 = 1_000_000_000_000;
/// MoAR's benefit, in the organization's unit: below 10^15, at most four decimals.
pub const BENEFIT_MAX: f64 = 1e15;

/// An initiative's fields as a client sent them (create or PATCH); nothing is checked yet.
/// Numbers are read wide so that an out-of-range value is named as such, not as a type error.
#[derive(Clone, Debug, Default, Deserialize, utoipa::ToSchema)]
pub struct InitiativeChanges {
    #[schema(min_length = 1, max_length = 200)]
    pub title: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    pub description: Option<Option<String>>,
    pub portfolio_id: Option<Uuid>,
    #[serde(default, deserialize_with = "nullable")]
    pub owner_id: Option<Option<Uuid>>,
    #[serde(default, deserialize_with = "nullable")]
    pub theme_id: Option<Option<Uuid>>,
    pub status: Option<Status>,
    pub health: Option<Health>,
    #[serde(default, deserialize_with = "whole")]
    #[schema(minimum = 0, maximum = 100)]
    pub progress: Option<i64>,
    #[schema(minimum = 0.01, maximum = 100000)]
    pub effort: Option<f64>,
    #[serde(default, deserialize_with = "nullable_whole")]
    #[schema(minimum = 0, maximum = 1_000_000_000_000_000_i64)]
    pub budget: Option<Option<i64>>,
    #[serde(default, deserialize_with = "nullable")]
    pub start_date: Option<Option<NaiveDate>>,
    #[serde(default, deserialize_with = "nullable")]
    pub target_date: Option<Option<NaiveDate>>,
    #[serde(default, deserialize_with = "nullable_whole")]
    #[schema(minimum = 0, maximum = 1_000_000_000_000_i64)]
    pub reach: Option<Option<i64>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(schema_with = impact_schema)]
    pub impact: Option<Option<f64>>,
    #[serde(default, deserialize_with = "nullable_whole")]
    #[schema(minimum = 0, maximum = 100)]
    pub confidence: Option<Option<i64>>,
    /// WSJF's cost of delay (SPEC §8), each on the scale 1, 2, 3, 5, 8, 13, 20.
    #[serde(default, deserialize_with = "nullable_whole")]
    #[schema(schema_with = wsjf_schema)]
    pub business_value: Option<Option<i64>>,
    #[serde(default, deserialize_with = "nullable_whole")]
    #[schema(schema_with = wsjf_schema)]
    pub time_criticality: Option<Option<i64>>,
    #[serde(default, deserialize_with = "nullable_whole")]
    #[schema(schema_with = wsjf_schema)]
    pub risk_reduction: Option<Option<i64>>,
    /// MoAR's benefit in the organization's `benefit_unit`.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(minimum = 0, exclusive_maximum = 1e15, multiple_of = 0.0001)]
    pub benefit: Option<Option<f64>>,
}

/// A nullable number that is one of `values`.
fn one_of_schema(values: impl Iterator<Item = serde_json::Value>) -> utoipa::openapi::schema::Object {
    utoipa::openapi::ObjectBuilder::new()
        .schema_type(utoipa::openapi::schema::SchemaType::from_iter([
            utoipa::openapi::schema::Type::Number,
            utoipa::openapi::schema::Type::Null,
        ]))
        .enum_values(Some(values.chain([serde_json::Value::Null])))
        .build()
}

/// WSJF's fields in the API: a step of `WSJF_SCALE`, or null.
fn wsjf_schema() -> utoipa::openapi::schema::Object {
    one_of_schema(WSJF_SCALE.iter().map(|&v| serde_json::json!(v)))
}

/// RICE's impact in the API: one of the steps of `IMPACTS`, or null.
fn impact_schema() -> utoipa::openapi::schema::Object {
    one_of_schema(IMPACTS.iter().map(|&i| serde_json::json!(i)))
}

/// An initiative's values, checked.
#[derive(Clone, Debug, PartialEq, serde::Serialize, utoipa::ToSchema)]
pub struct InitiativeValues {
    pub title: String,
    pub description: String,
    pub portfolio_id: Uuid,
    pub owner_id: Option<Uuid>,
    pub theme_id: Option<Uuid>,
    pub status: Status,
    pub health: Health,
    pub progress: i16,
    /// Person-weeks, > 0; also RICE's effort.
    pub effort: f64,
    /// Minor units of the organization's currency.
    pub budget: Option<i64>,
    pub start_date: Option<NaiveDate>,
    pub target_date: Option<NaiveDate>,
    pub reach: Option<i64>,
    pub impact: Option<f64>,
    pub confidence: Option<i16>,
    pub business_value: Option<i16>,
    pub time_criticality: Option<i16>,
    pub risk_reduction: Option<i16>,
    #[schema(value_type = Option<f64>)]
    #[serde(with = "rust_decimal::serde::float_option")]
    pub benefit: Option<rust_decimal::Decimal>,
}

/// Every value set: creating an initiative from these changes gives `values` (a scenario's
/// hypothetical initiative, made real).
impl From<InitiativeValues> for InitiativeChanges {
    fn from(v: InitiativeValues) -> InitiativeChanges {
        InitiativeChanges {
            title: Some(v.title),
            description: Some(Some(v.description)),
            portfolio_id: Some(v.portfolio_id),
            owner_id: Some(v.owner_id),
            theme_id: Some(v.theme_id),
            status: Some(v.status),
            health: Some(v.health),
            progress: Some(v.progress.into()),
            effort: Some(v.effort),
            budget: Some(v.budget),
            start_date: Some(v.start_date),
            target_date: Some(v.target_date),
            reach: Some(v.reach),
            impact: Some(v.impact),
            confidence: Some(v.confidence.map(i64::from)),
            business_value: Some(v.business_value.map(i64::from)),
            time_criticality: Some(v.time_criticality.map(i64::from)),
            risk_reduction: Some(v.risk_reduction.map(i64::from)),
            benefit: Some(
                v.benefit
                    .map(|b| rust_decimal::prelude::ToPrimitive::to_f64(&b).unwrap_or_default()),
            ),
        }
    }
}

impl InitiativeChanges {
    /// The initiative these changes make of `current` (`None`: a new one), every bad field named.
    pub fn apply(self, current: Option<&InitiativeValues>) -> Result<InitiativeValues, FieldErrors> {
        let mut errors = FieldErrors::new();
        let title = self
            .title
            .or_else(|| current.map(|c| c.title.clone()))
            .unwrap_or_default();
        let title = text(&mut errors, "title", &title, 1, 200);
        let description = match self.description {
            Some(description) => description.unwrap_or_default(),
            None => current.map(|c| c.description.clone()).unwrap_or_default(),
        };
        let description = text(&mut errors, "description", &description, 0, 20_000);
        let portfolio_id = self.portfolio_id.or(current.map(|c| c.portfolio_id));
        if portfolio_id.is_none() {
            errors.add("portfolio_id", "is required");
        }
        let owner_id = keep(self.owner_id, current.and_then(|c| c.owner_id));
        let theme_id = keep(self.theme_id, current.and_then(|c| c.theme_id));
        let status = self
            .status
            .or(current.map(|c| c.status))
            .unwrap_or(Status::Proposed);
        let health = self
            .health
            .or(current.map(|c| c.health))
            .unwrap_or(Health::OnTrack);
        let progress = self
            .progress
            .or(current.map(|c| i64::from(c.progress)))
            .unwrap_or(0);
        errors.check(
            (0..=100).contains(&progress),
            "progress",
            "must be a whole number from 0 to 100",
        );
        let effort = self.effort.or(current.map(|c| c.effort)).unwrap_or(1.0);
        errors.check(
            (EFFORT_MIN..=EFFORT_MAX).contains(&effort),
            "effort",
            "must be from 0.01 to 100,000 person-weeks",
        );
        let budget = keep(self.budget, current.and_then(|c| c.budget));
        errors.check(
            budget.is_none_or(|b| (0..=BUDGET_MAX).contains(&b)),
            "budget",
            "must be from 0 to 10^15 in the currency's smallest unit",
        );
        let start_date = keep(self.start_date, current.and_then(|c| c.start_date));
        let target_date = keep(self.target_date, current.and_then(|c| c.target_date));
        if let (Some(start), Some(target)) = (start_date, target_date) {
            errors.check(
                target >= start,
                "target_date",
                "must not be before the start date",
            );
        }
        let reach = keep(self.reach, current.and_then(|c| c.reach));
        errors.check(
            reach.is_none_or(|r| (0..=REACH_MAX).contains(&r)),
            "reach",
            "must be from 0 to 1,000,000,000,000",
        );
        let impact = keep(self.impact, current.and_then(|c| c.impact));
        errors.check(
            impact.is_none_or(|i| IMPACTS.contains(&i)),
            "impact",
            "must be one of 0.25, 0.5, 1, 2, 3",
        );
        let confidence = keep(self.confidence, current.and_then(|c| c.confidence.map(i64::from)));
        errors.check(
            confidence.is_none_or(|c| (0..=100).contains(&c)),
            "confidence",
            "must be a whole number from 0 to 100",
        );
        let mut on_scale = |field: &str, change: Option<Option<i64>>, current: Option<i16>| {
            let value = keep(change, current.map(i64::from));
            errors.check(
                value.is_none_or(|v| WSJF_SCALE.iter().any(|&s| i64::from(s) == v)),
                field,
                "must be one of 1, 2, 3, 5, 8, 13, 20",
            );
            value.map(|v| v as i16)
        };
        let business_value = on_scale(
            "business_value",
            self.business_value,
            current.and_then(|c| c.business_value),
        );
        let time_criticality = on_scale(
            "time_criticality",
            self.time_criticality,
            current.and_then(|c| c.time_criticality),
        );
        let risk_reduction = on_scale(
            "risk_reduction",
            self.risk_reduction,
            current.and_then(|c| c.risk_reduction),
        );
        let benefit = match self.benefit {
            Some(benefit) => benefit.and_then(|b| parse_benefit(&mut errors, b)),
            None => current.and_then(|c| c.benefit),
        };
        errors.into_result()?;
        Ok(InitiativeValues {
            title,
            description,
            portfolio_id: portfolio_id.expect("checked above"),
            owner_id,
            theme_id,
            status,
            health,
            progress: progress as i16,
            effort,
            budget,
            start_date,
            target_date,
            reach,
            impact,
            confidence: confidence.map(|c| c as i16),
            business_value,
            time_criticality,
            risk_reduction,
            benefit,
        })
    }
}

/// A benefit as the exact decimal typed: 0 ≤ benefit < 10^15, at most four decimals.
fn parse_benefit(errors: &mut FieldErrors, benefit: f64) -> Option<rust_decimal::Decimal> {
    let exact = (0.0..BENEFIT_MAX).contains(&benefit).then(|| decimal(benefit));
    let valid = exact.filter(|d| d.normalize().scale() <= 4 && decimal_is(d, benefit));
    errors.check(
        valid.is_some(),
        "benefit",
        "must be from 0 to below 10^15 with at most four decimals",
    );
    valid
}

/// Whether `exact` is the decimal `float` was typed as (a float too small to print exactly is not).
fn decimal_is(exact: &rust_decimal::Decimal, float: f64) -> bool {
    use rust_decimal::prelude::ToPrimitive;
    exact.to_f64() == Some(float)
}

impl InitiativeValues {
    /// What a new initiative in `portfolio_id` starts as before anyone types: the defaults
    /// `apply` fills in, and no title yet.
    pub fn new_in(portfolio_id: Uuid) -> InitiativeValues {
        InitiativeValues {
            title: String::new(),
            description: String::new(),
            portfolio_id,
            owner_id: None,
            theme_id: None,
            status: Status::Proposed,
            health: Health::OnTrack,
            progress: 0,
            effort: 1.0,
            budget: None,
            start_date: None,
            target_date: None,
            reach: None,
            impact: None,
            confidence: None,
            business_value: None,
            time_criticality: None,
            risk_reduction: None,
            benefit: None,
        }
    }

    /// What this initiative's scores are made of, with the organization's unit and scorecard value.
    pub fn score_inputs<'a>(
        &self,
        benefit_unit: &'a str,
        scorecard_value: Option<rust_decimal::Decimal>,
    ) -> ScoreInputs<'a> {
        ScoreInputs {
            reach: self.reach,
            impact: self.impact,
            confidence: self.confidence,
            effort: self.effort,
            business_value: self.business_value,
            time_criticality: self.time_criticality,
            risk_reduction: self.risk_reduction,
            benefit: self.benefit,
            benefit_unit,
            scorecard_value,
        }
    }

    pub fn scores(&self, benefit_unit: &str, scorecard_value: Option<rust_decimal::Decimal>) -> Scores {
        Scores::of(&self.score_inputs(benefit_unit, scorecard_value))
    }
}

/// The list's query string, as sent (the API's list and the list page share it).
#[derive(Clone, Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct InitiativeQuery {
    /// Only this portfolio's whole subtree.
    #[param(value_type = Option<Uuid>)]
    pub portfolio_id: Option<String>,
    #[param(value_type = Option<Status>)]
    pub status: Option<String>,
    #[param(value_type = Option<Health>)]
    pub health: Option<String>,
    /// A member's id (`Member.id`), or `none` for initiatives without an owner.
    #[param(
        pattern = "^(none|[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})$"
    )]
    pub owner_id: Option<String>,
    /// A theme's id, or `none` for initiatives without a theme.
    #[param(
        pattern = "^(none|[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})$"
    )]
    pub theme_id: Option<String>,
    /// Only open work past its target date.
    #[param(value_type = Option<bool>)]
    pub late: Option<String>,
    /// Only initiatives with at least one blocker in conflict (SPEC §10).
    #[param(value_type = Option<bool>)]
    pub dependency_conflict: Option<String>,
    /// Only in-progress work declared on track yet behind its time by the organization's
    /// optimism threshold or more (SPEC §10).
    #[param(value_type = Option<bool>)]
    pub optimistic: Option<String>,
    #[param(value_type = Option<WorkScope>)]
    pub scope: Option<String>,
    /// Only work whose start and target dates touch this fiscal quarter (such as `2027-Q1`).
    #[param(value_type = Option<String>, pattern = r"^[1-9][0-9]{3}-Q[1-4]$")]
    pub quarter: Option<String>,
    /// Only work moving this objective (linked to any of its key results), or `none` for work
    /// moving no objective (of `objective_period` when it is given).
    #[param(value_type = Option<String>, pattern = "^(none|[0-9a-fA-F-]{36})$")]
    pub objective_id: Option<String>,
    /// Only work moving an objective of this period (such as `2026-Q4` or `2026`); with
    /// `objective_id=none`, only work moving none of them, as the roll-up grouped by objective
    /// counts "No objective".
    #[param(value_type = Option<String>, pattern = r"^[1-9][0-9]{3}(-Q[1-4])?$")]
    pub objective_period: Option<String>,
    /// Only work in products at this lifecycle stage (in them or in their areas), or `none` for
    /// work above any product or in products without a stage.
    #[param(pattern = "^(none|concept|development|launch|growth|maturity|retirement)$")]
    pub lifecycle: Option<String>,
    /// Only work attached to portfolios of this level.
    #[param(value_type = Option<PortfolioLevel>)]
    pub level: Option<String>,
    /// Items per page (default 50).
    #[param(value_type = Option<i64>, minimum = 1, maximum = 500)]
    pub limit: Option<String>,
    /// The `next_cursor` of the previous page.
    #[param(pattern = "^[A-Za-z0-9_-]{21}[AQgw]$")]
    pub cursor: Option<String>,
    /// The list page only: its order and which page of it (from 1).
    #[param(ignore)]
    pub sort: Option<String>,
    #[param(ignore)]
    pub page: Option<String>,
}

/// Which initiatives a list shows; `portfolio_id` means its whole subtree. Applied in SQL by
/// `initiative_passes` (migrations/0017_status_rules.sql) and, for `quarter`, `initiative_in_quarter`
/// (migrations/0020_capacity.sql); all but the subtree, which each query reaches its own way.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct InitiativeFilter {
    pub portfolio_id: Option<Uuid>,
    pub status: Option<Status>,
    pub health: Option<Health>,
    pub owner_id: Option<Uuid>,
    pub theme_id: Option<Uuid>,
    /// Only initiatives without a theme (the investment mix's "Unassigned" row).
    pub unthemed: bool,
    /// Only open work past its target date in the organization's time zone (SPEC §3 late).
    pub late: bool,
    /// Only initiatives with at least one blocker in conflict (SPEC §10).
    pub dependency_conflict: bool,
    /// Only optimistic work (SPEC §10): declared on track, behind its time by the threshold.
    pub optimistic: bool,
    pub scope: Option<WorkScope>,
    /// Only initiatives whose dates (both set) touch this fiscal quarter: the work behind a
    /// quarter's demand (SPEC §8).
    pub quarter: Option<Period>,
    /// The roll-up's groups (SPEC §13), applied by `initiative_in_groups`
    /// (migrations/0033_group_filters.sql): work moving this objective, in a product of this
    /// stage, attached to a portfolio of this level.
    pub objective_id: Option<Uuid>,
    pub lifecycle: Option<Lifecycle>,
    pub level: Option<PortfolioLevel>,
    /// Only work without an owner (`owner_id=none`), or in no product stage (`lifecycle=none`).
    pub unowned: bool,
    pub unstaged: bool,
    /// Only work moving an objective of this period, or with `no_objective` none of them.
    pub objective_period: Option<Period>,
    /// Only work moving no objective (`objective_id=none`): of `objective_period` when there is one.
    pub no_objective: bool,
}

/// The query string value `theme_id`, `owner_id` and `lifecycle` take for "none".
pub const NONE: &str = "none";
/// The query string value `theme_id` takes for "no theme".
pub const NO_THEME: &str = NONE;

impl InitiativeFilter {
    /// The filter as a query string (no leading `?`), parameters in a fixed order: what links to
    /// a list and what a list's own links keep.
    pub fn query_string(&self) -> String {
        let mut pairs: Vec<(&str, String)> = Vec::new();
        if let Some(id) = self.portfolio_id {
            pairs.push(("portfolio_id", id.to_string()));
        }
        if let Some(status) = self.status {
            pairs.push(("status", status.as_str().to_owned()));
        }
        if let Some(health) = self.health {
            pairs.push(("health", health.as_str().to_owned()));
        }
        if let Some(scope) = self.scope {
            pairs.push(("scope", scope.as_str().to_owned()));
        }
        if let Some(id) = self.owner_id {
            pairs.push(("owner_id", id.to_string()));
        } else if self.unowned {
            pairs.push(("owner_id", NONE.to_owned()));
        }
        if let Some(id) = self.theme_id {
            pairs.push(("theme_id", id.to_string()));
        } else if self.unthemed {
            pairs.push(("theme_id", NONE.to_owned()));
        }
        if self.late {
            pairs.push(("late", "true".to_owned()));
        }
        if self.dependency_conflict {
            pairs.push(("dependency_conflict", "true".to_owned()));
        }
        if self.optimistic {
            pairs.push(("optimistic", "true".to_owned()));
        }
        if let Some(quarter) = self.quarter {
            pairs.push(("quarter", quarter.to_string()));
        }
        if let Some(id) = self.objective_id {
            pairs.push(("objective_id", id.to_string()));
        } else if self.no_objective {
            pairs.push(("objective_id", NONE.to_owned()));
        }
        if let Some(period) = self.objective_period {
            pairs.push(("objective_period", period.to_string()));
        }
        if let Some(stage) = self.lifecycle {
            pairs.push(("lifecycle", stage.as_str().to_owned()));
        } else if self.unstaged {
            pairs.push(("lifecycle", NONE.to_owned()));
        }
        if let Some(level) = self.level {
            pairs.push(("level", level.as_str().to_owned()));
        }
        serde_urlencoded::to_string(pairs).unwrap_or_default()
    }
}

/// What the list page shows: which initiatives, in which order, which page.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ListRequest {
    pub filter: InitiativeFilter,
    pub sort: InitiativeSort,
    /// From 1.
    pub page: i64,
}

impl InitiativeQuery {
    /// The API's list: a filter and a keyset page.
    pub fn parse(&self) -> Result<(InitiativeFilter, PageRequest), FieldErrors> {
        let mut errors = FieldErrors::new();
        let filter = self.filter(&mut errors);
        let page = PageRequest::parse(&mut errors, self.limit.as_deref(), self.cursor.as_deref());
        errors.into_result()?;
        Ok((filter, page))
    }

    /// The list page: a filter, a sort order (soonest target first by default) and a page number.
    pub fn parse_list(&self) -> Result<ListRequest, FieldErrors> {
        let mut errors = FieldErrors::new();
        let filter = self.filter(&mut errors);
        let sort = parse_param(&mut errors, "sort", &self.sort).unwrap_or(InitiativeSort::Target);
        let page = parse_param::<i64>(&mut errors, "page", &self.page).unwrap_or(1);
        errors.check(page >= 1, "page", "must be 1 or more");
        errors.into_result()?;
        Ok(ListRequest { filter, sort, page })
    }

    /// `quarter`: a fiscal quarter such as 2027-Q1 (a year is refused: demand is per quarter).
    fn quarter(&self, errors: &mut FieldErrors) -> Option<Period> {
        let text = self.quarter.as_deref().map(str::trim).filter(|q| !q.is_empty())?;
        super::capacity::quarter("quarter", text)
            .map_err(|refused| errors.merge(refused))
            .ok()
    }

    /// The filter alone, its errors added to `errors`.
    pub fn filter(&self, errors: &mut FieldErrors) -> InitiativeFilter {
        let none = |value: &Option<String>| value.as_deref().map(str::trim) == Some(NONE);
        let (unthemed, unowned, unstaged, no_objective) = (
            none(&self.theme_id),
            none(&self.owner_id),
            none(&self.lifecycle),
            none(&self.objective_id),
        );
        let late = flag(errors, "late", &self.late);
        let dependency_conflict = flag(errors, "dependency_conflict", &self.dependency_conflict);
        let optimistic = flag(errors, "optimistic", &self.optimistic);
        InitiativeFilter {
            portfolio_id: parse_param(errors, "portfolio_id", &self.portfolio_id),
            status: parse_param(errors, "status", &self.status),
            health: parse_param(errors, "health", &self.health),
            owner_id: if unowned {
                None
            } else {
                parse_param(errors, "owner_id", &self.owner_id)
            },
            theme_id: if unthemed {
                None
            } else {
                parse_param(errors, "theme_id", &self.theme_id)
            },
            unthemed,
            late,
            dependency_conflict,
            optimistic,
            scope: parse_param(errors, "scope", &self.scope),
            quarter: self.quarter(errors),
            objective_id: if no_objective {
                None
            } else {
                parse_param(errors, "objective_id", &self.objective_id)
            },
            lifecycle: if unstaged {
                None
            } else {
                parse_param(errors, "lifecycle", &self.lifecycle)
            },
            level: parse_param(errors, "level", &self.level),
            unowned,
            unstaged,
            objective_period: parse_param(errors, "objective_period", &self.objective_period),
            no_objective,
        }
    }
}

/// A yes-or-no query parameter: `true`, or `false` (the same as absent or empty).
fn flag(errors: &mut FieldErrors, field: &str, value: &Option<String>) -> bool {
    match value.as_deref().map(str::trim) {
        None | Some("") | Some("false") => false,
        Some("true") => true,
        Some(_) => {
            errors.add(field, "must be true or false");
            false
        }
    }
}

/// An optional query parameter; empty counts as absent (a form's "any" choice).
pub fn parse_param<T>(errors: &mut FieldErrors, field: &str, value: &Option<String>) -> Option<T>
where
    T: std::str::FromStr,
    T::Err: std::fmt::Display,
{
    let value = value.as_deref().map(str::trim).filter(|v| !v.is_empty())?;
    match value.parse() {
        Ok(parsed) => Some(parsed),
        Err(error) => {
            errors.add(field, format!("is not valid: {error}"));
            None
        }
    }
}

/// A nullable field after a patch: unchanged when absent, else what was sent (null included).
fn keep<T>(change: Option<Option<T>>, current: Option<T>) -> Option<T> {
    change.unwrap_or(current)
}

/// What a status update records: the values an initiative's history follows.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct Progress {
    pub status: Status,
    pub health: Health,
    pub progress: i16,
}

impl InitiativeValues {
    pub fn tracked(&self) -> Progress {
        Progress {
            status: self.status,
            health: self.health,
            progress: self.progress,
        }
    }
}

/// Late (SPEC §3): open work whose target date is before today in the organization's time zone.
/// The same rule as SQL's `initiative_is_late` (migrations/0017_status_rules.sql), which the list's
/// `late` filter and the watchlist call, and the roll-up's `portfolio_deadlines` keep by date.
pub fn is_late(status: Status, target_date: Option<NaiveDate>, today: NaiveDate) -> bool {
    !status.is_closed() && target_date.is_some_and(|target| target < today)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn changes(json: serde_json::Value) -> InitiativeChanges {
        serde_json::from_value(json).unwrap()
    }

    #[test]
    fn a_new_initiative_gets_the_defaults() {
        let created = changes(json!({"title": "Checkout v2", "portfolio_id": Uuid::now_v7()}))
            .apply(None)
            .unwrap();
        assert_eq!(created.status, Status::Proposed);
        assert_eq!(created.health, Health::OnTrack);
        assert_eq!((created.progress, created.effort), (0, 1.0));
        assert_eq!(created.budget, None);
    }

    #[test]
    fn a_blank_form_starts_from_the_defaults_apply_fills_in() {
        let portfolio_id = Uuid::now_v7();
        let applied = changes(json!({"title": "T", "portfolio_id": portfolio_id}))
            .apply(None)
            .unwrap();
        let blank = InitiativeValues::new_in(portfolio_id);
        assert_eq!(
            InitiativeValues {
                title: "T".into(),
                ..blank
            },
            applied
        );
    }

    #[test]
    fn every_bad_field_is_named() {
        let errors = changes(json!({
            "title": "", "progress": 101, "effort": 0, "budget": -1, "reach": -5, "impact": 1.5,
            "confidence": 120, "start_date": "2026-05-01", "target_date": "2026-04-30",
            "business_value": 4, "time_criticality": 0, "risk_reduction": 21, "benefit": -1
        }))
        .apply(None)
        .unwrap_err();
        for field in [
            "title",
            "portfolio_id",
            "progress",
            "effort",
            "budget",
            "reach",
            "impact",
            "confidence",
            "target_date",
            "business_value",
            "time_criticality",
            "risk_reduction",
            "benefit",
        ] {
            assert!(errors.get(field).is_some(), "{field}: {errors:?}");
        }
    }

    #[test]
    fn numbers_beyond_what_the_figures_can_carry_are_named() {
        let portfolio_id = Uuid::now_v7();
        let refused = |field: &str, value: serde_json::Value| {
            let mut body = json!({"title": "T", "portfolio_id": portfolio_id});
            body[field] = value.clone();
            let errors = changes(body).apply(None).unwrap_err();
            assert!(errors.get(field).is_some(), "{field} = {value}: {errors:?}");
        };
        for effort in [1e308, 1e29, 100_000.01, 5e-324, 0.009] {
            refused("effort", json!(effort));
        }
        refused("budget", json!(BUDGET_MAX + 1));
        refused("reach", json!(REACH_MAX + 1));
        let edges = changes(
            json!({"title": "T", "portfolio_id": portfolio_id, "effort": EFFORT_MAX,
                                   "budget": BUDGET_MAX, "reach": REACH_MAX}),
        )
        .apply(None)
        .unwrap();
        assert_eq!(
            (edges.effort, edges.budget, edges.reach),
            (EFFORT_MAX, Some(BUDGET_MAX), Some(REACH_MAX))
        );
        let smallest = changes(json!({"title": "T", "portfolio_id": portfolio_id, "effort": EFFORT_MIN}));
        assert_eq!(smallest.apply(None).unwrap().effort, EFFORT_MIN);
    }

    #[test]
    fn a_patch_validates_the_merged_result() {
        let current = changes(
            json!({"title": "T", "portfolio_id": Uuid::now_v7(), "start_date": "2026-01-10",
                                     "budget": 500}),
        )
        .apply(None)
        .unwrap();
        let errors = changes(json!({"target_date": "2026-01-01"}))
            .apply(Some(&current))
            .unwrap_err();
        assert!(errors.get("target_date").is_some());
        let cleared = changes(json!({"budget": null, "start_date": null, "target_date": "2026-01-01"}))
            .apply(Some(&current))
            .unwrap();
        assert_eq!((cleared.budget, cleared.start_date), (None, None));
        assert_eq!(cleared.title, "T");
    }

    #[test]
    fn list_filters_are_parsed_and_named_when_bad() {
        let query = InitiativeQuery {
            status: Some("in_progress".into()),
            owner_id: Some("".into()),
            ..Default::default()
        };
        let (filter, page) = query.parse().unwrap();
        assert_eq!(filter.status, Some(Status::InProgress));
        assert_eq!(filter.owner_id, None);
        assert_eq!(page.limit, 50);
        let bad = InitiativeQuery {
            status: Some("late".into()),
            portfolio_id: Some("nope".into()),
            limit: Some("501".into()),
            ..Default::default()
        };
        let errors = bad.parse().unwrap_err();
        for field in ["status", "portfolio_id", "limit"] {
            assert!(errors.get(field).is_some(), "{field}");
        }
    }

    #[test]
    fn list_page_filters_round_trip_through_the_query_string() {
        let portfolio = Uuid::now_v7();
        let query: InitiativeQuery = serde_urlencoded::from_str(&format!(
            "portfolio_id={portfolio}&health=at_risk&scope=active&theme_id=none&late=true&sort=rice&page=2"
        ))
        .unwrap();
        let request = query.parse_list().unwrap();
        assert_eq!(request.sort, InitiativeSort::Rice);
        assert_eq!(request.page, 2);
        let filter = request.filter;
        assert!(filter.unthemed && filter.late);
        assert_eq!(filter.scope, Some(WorkScope::Active));
        assert_eq!(
            filter.query_string(),
            format!("portfolio_id={portfolio}&health=at_risk&scope=active&theme_id=none&late=true")
        );
        let again: InitiativeQuery = serde_urlencoded::from_str(&filter.query_string()).unwrap();
        assert_eq!(again.parse_list().unwrap().filter, filter);
        assert_eq!(
            InitiativeQuery::default().parse_list().unwrap().sort,
            InitiativeSort::Target
        );
        let bad: InitiativeQuery = serde_urlencoded::from_str("late=yes&sort=name&page=0&scope=x").unwrap();
        let errors = bad.parse_list().unwrap_err();
        for field in ["late", "sort", "page", "scope"] {
            assert!(errors.get(field).is_some(), "{field}");
        }
    }

    #[test]
    fn benefits_are_exact_decimals_of_at_most_four_places() {
        let portfolio_id = Uuid::now_v7();
        let with = |benefit: serde_json::Value| {
            changes(json!({"title": "T", "portfolio_id": portfolio_id, "benefit": benefit})).apply(None)
        };
        assert_eq!(with(json!(1.1)).unwrap().benefit, Some("1.1".parse().unwrap()));
        assert_eq!(
            with(json!(0.0001)).unwrap().benefit,
            Some("0.0001".parse().unwrap())
        );
        assert_eq!(with(json!(null)).unwrap().benefit, None);
        for bad in [json!(0.00001), json!(1e15), json!(-0.5), json!(1e-300)] {
            assert!(with(bad.clone()).unwrap_err().get("benefit").is_some(), "{bad}");
        }
    }
}
