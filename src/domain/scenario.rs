//! Scenarios (SPEC §9): what a client sends to make one and to change it, checked.
//!
//! A change to a live initiative names only the fields it sets; it is checked as the same PATCH of
//! the initiative would be (`InitiativeChanges::apply`), so a scenario can hold nothing that the
//! live plan would refuse.

use chrono::NaiveDate;
use serde::Deserialize;
use uuid::Uuid;

use super::FieldErrors;
use super::Status;
use super::initiative::{InitiativeChanges, InitiativeValues};
use super::patch::{nullable, whole};
use super::rollup::Figures;
use super::validation::text;

/// `POST /scenarios` and `PATCH /scenarios/{id}`: a name, and (on creation) the portfolio whose
/// subtree the scenario plays with.
#[derive(Clone, Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ScenarioInput {
    #[schema(min_length = 1, max_length = 200)]
    pub name: Option<String>,
    pub portfolio_id: Option<Uuid>,
}

/// `PATCH /scenarios/{id}`: a scenario keeps its portfolio (copy it to play with another).
#[derive(Clone, Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ScenarioRename {
    #[schema(min_length = 1, max_length = 200)]
    pub name: Option<String>,
}

impl From<ScenarioRename> for ScenarioInput {
    fn from(rename: ScenarioRename) -> ScenarioInput {
        ScenarioInput {
            name: rename.name,
            portfolio_id: None,
        }
    }
}

impl ScenarioInput {
    /// The scenario's name and portfolio: `current` (its name and portfolio) when it exists.
    pub fn apply(self, current: Option<(&str, Uuid)>) -> Result<(String, Uuid), FieldErrors> {
        let mut errors = FieldErrors::new();
        let name = self
            .name
            .or_else(|| current.map(|(name, _)| name.to_owned()))
            .unwrap_or_default();
        let name = text(&mut errors, "name", &name, 1, 200);
        let portfolio_id = match (current, self.portfolio_id) {
            (Some((_, kept)), Some(asked)) if asked != kept => {
                errors.add("portfolio_id", "cannot change: copy the scenario instead");
                kept
            }
            (Some((_, kept)), _) => kept,
            (None, Some(asked)) => asked,
            (None, None) => {
                errors.add("portfolio_id", "is required");
                Uuid::nil()
            }
        };
        errors.into_result()?;
        Ok((name, portfolio_id))
    }
}

/// `PUT /scenarios/{id}/changes/{initiative_id}`: the fields the scenario sets on one initiative.
#[derive(Clone, Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChangeInput {
    pub status: Option<Status>,
    #[serde(default, deserialize_with = "nullable")]
    pub start_date: Option<Option<NaiveDate>>,
    #[serde(default, deserialize_with = "nullable")]
    pub target_date: Option<Option<NaiveDate>>,
    #[schema(minimum = 0.01, maximum = 100000)]
    pub effort: Option<f64>,
    #[serde(default, deserialize_with = "whole")]
    #[schema(minimum = 0, maximum = 100)]
    pub progress: Option<i64>,
    pub portfolio_id: Option<Uuid>,
    #[serde(default, deserialize_with = "nullable")]
    pub theme_id: Option<Option<Uuid>>,
}

/// A change checked against the initiative it changes: the fields it sets, and the values the
/// initiative would have with it.
#[derive(Clone, Debug, PartialEq)]
pub struct Change {
    /// Of `CHANGE_FIELDS`, in that order.
    pub sets: Vec<&'static str>,
    pub values: InitiativeValues,
}

/// The fields a scenario may change on a live initiative (SPEC §9), as `scenario_changes.sets`
/// names them.
pub const CHANGE_FIELDS: [&str; 7] = [
    "status",
    "start_date",
    "target_date",
    "effort",
    "progress",
    "portfolio_id",
    "theme_id",
];

impl ChangeInput {
    /// The names of the fields this change sets.
    pub fn sets(&self) -> Vec<&'static str> {
        let set = [
            self.status.is_some(),
            self.start_date.is_some(),
            self.target_date.is_some(),
            self.effort.is_some(),
            self.progress.is_some(),
            self.portfolio_id.is_some(),
            self.theme_id.is_some(),
        ];
        CHANGE_FIELDS
            .iter()
            .zip(set)
            .filter_map(|(field, set)| set.then_some(*field))
            .collect()
    }

    /// The same change as a PATCH of the initiative.
    pub fn as_patch(&self) -> InitiativeChanges {
        InitiativeChanges {
            status: self.status,
            start_date: self.start_date,
            target_date: self.target_date,
            effort: self.effort,
            progress: self.progress,
            portfolio_id: self.portfolio_id,
            theme_id: self.theme_id,
            ..InitiativeChanges::default()
        }
    }

    /// This change made to an initiative whose live values are `live`: refused as the same PATCH
    /// would be, and when it sets nothing.
    pub fn check(&self, live: &InitiativeValues) -> Result<Change, FieldErrors> {
        let sets = self.sets();
        if sets.is_empty() {
            return Err(FieldErrors::single(
                "status",
                format!("a change sets at least one of {}", CHANGE_FIELDS.join(", ")),
            ));
        }
        let values = self.as_patch().apply(Some(live))?;
        Ok(Change { sets, values })
    }
}

/// Which of a scenario's changes to apply: every one, or those of the listed initiatives (live or
/// hypothetical).
#[derive(Clone, Debug, PartialEq)]
pub enum Chosen {
    All,
    Initiatives(Vec<Uuid>),
}

impl Chosen {
    pub fn includes(&self, id: Uuid) -> bool {
        match self {
            Chosen::All => true,
            Chosen::Initiatives(ids) => ids.contains(&id),
        }
    }

    /// Capacity changes have no initiative: they are applied with "all".
    pub fn includes_capacity(&self) -> bool {
        *self == Chosen::All
    }
}

/// How a set of figures differs from another (b − a), for the compare (SPEC §9): counts and sums
/// exactly, percentages in points with one decimal (null when either side has none).
#[derive(Clone, Debug, PartialEq, serde::Serialize, utoipa::ToSchema)]
pub struct FiguresDiff {
    pub total: i64,
    pub late: i64,
    pub effort: f64,
    pub budget: i64,
    pub progress: Option<f64>,
    pub off_track_share: Option<f64>,
    pub at_risk_share: Option<f64>,
    pub okr_progress: Option<f64>,
    /// Whether the rolled health differs.
    pub health_changed: bool,
}

impl FiguresDiff {
    pub fn between(a: &Figures, b: &Figures) -> FiguresDiff {
        FiguresDiff {
            total: b.counts.total - a.counts.total,
            late: b.late - a.late,
            effort: points(b.effort - a.effort),
            budget: b.budget - a.budget,
            progress: difference(a.progress, b.progress),
            off_track_share: difference(a.health_share.off_track, b.health_share.off_track),
            at_risk_share: difference(a.health_share.at_risk, b.health_share.at_risk),
            okr_progress: difference(a.okr_progress, b.okr_progress),
            health_changed: a.health != b.health,
        }
    }

    /// Whether anything differs: the compare highlights what does.
    pub fn any(&self) -> bool {
        let moved = |d: Option<f64>| d.is_some_and(|d| d != 0.0);
        self.total != 0
            || self.late != 0
            || self.effort != 0.0
            || self.budget != 0
            || moved(self.progress)
            || moved(self.off_track_share)
            || moved(self.at_risk_share)
            || self.health_changed
    }
}

/// `b − a` of two figures shown with one decimal, itself with one decimal (no 0.30000000000000004).
pub fn difference(a: Option<f64>, b: Option<f64>) -> Option<f64> {
    a.zip(b).map(|(a, b)| points(b - a))
}

fn points(value: f64) -> f64 {
    (value * 10.0).round() / 10.0
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Health;

    fn live() -> InitiativeValues {
        InitiativeValues {
            title: "Checkout".into(),
            description: String::new(),
            portfolio_id: Uuid::nil(),
            owner_id: None,
            theme_id: None,
            status: Status::Planned,
            health: Health::OnTrack,
            progress: 10,
            effort: 4.0,
            budget: None,
            start_date: NaiveDate::from_ymd_opt(2027, 1, 1),
            target_date: NaiveDate::from_ymd_opt(2027, 3, 31),
            reach: None,
            impact: None,
            confidence: None,
            business_value: None,
            time_criticality: None,
            risk_reduction: None,
            benefit: None,
        }
    }

    #[test]
    fn a_change_names_the_fields_it_sets_and_keeps_the_others_live() {
        let change = ChangeInput {
            status: Some(Status::Cancelled),
            target_date: Some(None),
            ..ChangeInput::default()
        };
        let checked = change.check(&live()).unwrap();
        assert_eq!(checked.sets, ["status", "target_date"]);
        assert_eq!(checked.values.status, Status::Cancelled);
        assert_eq!(checked.values.target_date, None);
        assert_eq!(checked.values.effort, 4.0);
    }

    #[test]
    fn a_change_is_refused_as_the_same_patch_would_be() {
        let before_start = ChangeInput {
            target_date: Some(NaiveDate::from_ymd_opt(2026, 12, 1)),
            ..ChangeInput::default()
        };
        assert!(
            before_start
                .check(&live())
                .unwrap_err()
                .get("target_date")
                .is_some()
        );
        assert!(ChangeInput::default().check(&live()).is_err());
    }

    #[test]
    fn a_scenario_keeps_its_portfolio() {
        let id = Uuid::now_v7();
        let moved = ScenarioInput {
            name: None,
            portfolio_id: Some(Uuid::now_v7()),
        };
        assert!(
            moved
                .apply(Some(("Plan", id)))
                .unwrap_err()
                .get("portfolio_id")
                .is_some()
        );
        let renamed = ScenarioInput {
            name: Some(" Cut legacy ".into()),
            portfolio_id: None,
        };
        assert_eq!(
            renamed.apply(Some(("Plan", id))).unwrap(),
            ("Cut legacy".into(), id)
        );
        assert!(ScenarioInput::default().apply(None).is_err());
    }

    #[test]
    fn differences_of_one_decimal_figures_have_one_decimal() {
        assert_eq!(difference(Some(12.3), Some(12.6)), Some(0.3));
        assert_eq!(difference(Some(50.0), None), None);
        assert_eq!(points(10.1 - 10.4), -0.3);
    }
}
