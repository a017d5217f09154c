//! OKRs: objectives, the key results that measure them, and the progress math of SPEC §3.
//!
//! Progress is an exact decimal fraction 0–1 here; `rollup::percent` turns it into the one-decimal
//! percentage the API and the pages show.

use rust_decimal::Decimal;
use serde::Deserialize;
use uuid::Uuid;

use super::FieldErrors;
use super::patch::nullable;
use super::period::Period;
use super::validation::text;

/// clamp((current − start) / (target − start), 0, 1); when target = start, 1 if the target is
/// reached, else 0. Works for "decrease" key results (target below start) too.
pub fn key_result_progress(start: Decimal, target: Decimal, current: Decimal) -> Decimal {
    if target == start {
        let reached = if target >= start {
            current >= target
        } else {
            current <= target
        };
        return if reached { Decimal::ONE } else { Decimal::ZERO };
    }
    ((current - start) / (target - start)).clamp(Decimal::ZERO, Decimal::ONE)
}

/// Σ weight·progress / Σ weight over the key results; `None` without any.
pub fn objective_progress(key_results: impl IntoIterator<Item = (Decimal, Decimal)>) -> Option<Decimal> {
    let (weighted, weights) = key_results.into_iter().fold(
        (Decimal::ZERO, Decimal::ZERO),
        |(weighted, weights), (weight, progress)| (weighted + weight * progress, weights + weight),
    );
    (weights > Decimal::ZERO).then(|| weighted / weights)
}

/// How an objective is doing against the time gone in its period (the usual OKR traffic light):
/// progress of at least 70 % of what the elapsed time asks for is green, 40 % amber, below red.
/// Green says "On pace" only when progress keeps up with the time gone; short of it, "Close to
/// pace" (48 % done with 66 % of the quarter gone is not on pace, though it is green).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Confidence {
    OnPace,
    Close,
    Amber,
    Red,
}

impl Confidence {
    /// `progress` and `elapsed` (the part of the period gone) as fractions 0–1.
    pub fn of(progress: f64, elapsed: f64) -> Confidence {
        // Nothing is expected yet at the very start of a period.
        let ratio = if elapsed <= 0.0 { 1.0 } else { progress / elapsed };
        if ratio >= 1.0 {
            Confidence::OnPace
        } else if ratio >= 0.7 {
            Confidence::Close
        } else if ratio >= 0.4 {
            Confidence::Amber
        } else {
            Confidence::Red
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Confidence::OnPace | Confidence::Close => "green",
            Confidence::Amber => "amber",
            Confidence::Red => "red",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Confidence::OnPace => "On pace",
            Confidence::Close => "Close to pace",
            Confidence::Amber => "Behind pace",
            Confidence::Red => "Far behind pace",
        }
    }
}

/// An objective's fields as a client sent them (create or PATCH); nothing is checked yet.
#[derive(Clone, Debug, Default, Deserialize, utoipa::ToSchema)]
pub struct ObjectiveChanges {
    #[schema(min_length = 1, max_length = 200)]
    pub title: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    pub description: Option<Option<String>>,
    pub portfolio_id: Option<Uuid>,
    #[schema(value_type = Option<super::period::Period>)]
    pub period: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    pub owner_id: Option<Option<Uuid>>,
    #[serde(default, deserialize_with = "nullable")]
    pub parent_id: Option<Option<Uuid>>,
}

/// An objective's values, checked.
#[derive(Clone, Debug, PartialEq)]
pub struct ObjectiveValues {
    pub title: String,
    pub description: String,
    pub portfolio_id: Uuid,
    pub period: Period,
    pub owner_id: Option<Uuid>,
    pub parent_id: Option<Uuid>,
}

impl ObjectiveChanges {
    /// The objective these changes make of `current` (`None`: a new one), every bad field named.
    pub fn apply(self, current: Option<&ObjectiveValues>) -> Result<ObjectiveValues, FieldErrors> {
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
        let description = text(&mut errors, "description", &description, 0, 10_000);
        let portfolio_id = self.portfolio_id.or(current.map(|c| c.portfolio_id));
        if portfolio_id.is_none() {
            errors.add("portfolio_id", "is required");
        }
        let period = match (self.period, current) {
            (Some(text), _) => text
                .trim()
                .parse::<Period>()
                .map_err(|message| errors.add("period", message))
                .ok(),
            (None, Some(current)) => Some(current.period),
            (None, None) => {
                errors.add("period", "is required");
                None
            }
        };
        let owner_id = self.owner_id.unwrap_or(current.and_then(|c| c.owner_id));
        let parent_id = self.parent_id.unwrap_or(current.and_then(|c| c.parent_id));
        errors.into_result()?;
        Ok(ObjectiveValues {
            title,
            description,
            portfolio_id: portfolio_id.expect("checked above"),
            period: period.expect("checked above"),
            owner_id,
            parent_id,
        })
    }
}

/// A key result's fields as a client sent them (create or PATCH). `note` goes with a new
/// `current_value` into the check-in it records.
#[derive(Clone, Debug, Default, Deserialize, utoipa::ToSchema)]
pub struct KeyResultChanges {
    #[schema(min_length = 1, max_length = 200)]
    pub title: Option<String>,
    #[schema(minimum = -1_000_000_000_000_i64, maximum = 1_000_000_000_000_i64)]
    pub start_value: Option<Decimal>,
    #[schema(minimum = -1_000_000_000_000_i64, maximum = 1_000_000_000_000_i64)]
    pub target_value: Option<Decimal>,
    #[schema(minimum = -1_000_000_000_000_i64, maximum = 1_000_000_000_000_i64)]
    pub current_value: Option<Decimal>,
    #[serde(default, deserialize_with = "nullable")]
    pub unit: Option<Option<String>>,
    #[schema(exclusive_minimum = 0, maximum = 1000)]
    pub weight: Option<Decimal>,
    #[serde(default, deserialize_with = "nullable")]
    pub note: Option<Option<String>>,
}

/// A key result's values, checked.
#[derive(Clone, Debug, PartialEq)]
pub struct KeyResultValues {
    pub title: String,
    pub start_value: Decimal,
    pub target_value: Decimal,
    pub current_value: Decimal,
    pub unit: String,
    pub weight: Decimal,
}

/// The largest magnitude a key result's value may have: big enough for revenue in minor units,
/// small enough that sums and ratios stay exact.
fn value_limit() -> Decimal {
    Decimal::new(1_000_000_000_000, 0)
}

impl KeyResultChanges {
    /// The key result these changes make of `current` (`None`: a new one, which starts at its start
    /// value unless told otherwise), and the check-in note if one was given.
    pub fn apply(
        self,
        current: Option<&KeyResultValues>,
    ) -> Result<(KeyResultValues, Option<String>), FieldErrors> {
        let mut errors = FieldErrors::new();
        let title = self
            .title
            .or_else(|| current.map(|c| c.title.clone()))
            .unwrap_or_default();
        let title = text(&mut errors, "title", &title, 1, 200);
        let mut number = |field: &str, given: Option<Decimal>, kept: Option<Decimal>| {
            let value = given.or(kept);
            match value {
                None => errors.add(field, "is required"),
                Some(v) if v.abs() > value_limit() => errors.add(field, "must be between -1e12 and 1e12"),
                Some(_) => {}
            }
            value.unwrap_or_default().normalize()
        };
        let start_value = number("start_value", self.start_value, current.map(|c| c.start_value));
        let target_value = number("target_value", self.target_value, current.map(|c| c.target_value));
        let current_value = number(
            "current_value",
            self.current_value,
            current.map(|c| c.current_value).or(Some(start_value)),
        );
        let unit = match self.unit {
            Some(unit) => unit.unwrap_or_default(),
            None => current.map(|c| c.unit.clone()).unwrap_or_default(),
        };
        let unit = text(&mut errors, "unit", &unit, 0, 20);
        let weight = self
            .weight
            .or(current.map(|c| c.weight))
            .unwrap_or(Decimal::ONE)
            .normalize();
        errors.check(
            weight > Decimal::ZERO && weight <= Decimal::ONE_THOUSAND,
            "weight",
            "must be more than 0 and at most 1000",
        );
        let note = self
            .note
            .flatten()
            .map(|n| n.trim().to_owned())
            .filter(|n| !n.is_empty());
        if let Some(note) = &note {
            errors.check(
                note.chars().count() <= 2000,
                "note",
                "must be at most 2000 characters",
            );
        }
        errors.into_result()?;
        Ok((
            KeyResultValues {
                title,
                start_value,
                target_value,
                current_value,
                unit,
                weight,
            },
            note,
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(text: &str) -> Decimal {
        text.parse().unwrap()
    }

    #[test]
    fn key_result_progress_increases_decreases_and_clamps() {
        assert_eq!(key_result_progress(d("0"), d("100"), d("50")), d("0.5"));
        assert_eq!(key_result_progress(d("10"), d("20"), d("12.5")), d("0.25"));
        // A decrease: churn from 8 % down to 4 %, now 6 %.
        assert_eq!(key_result_progress(d("8"), d("4"), d("6")), d("0.5"));
        assert_eq!(key_result_progress(d("8"), d("4"), d("3")), Decimal::ONE);
        assert_eq!(key_result_progress(d("8"), d("4"), d("9")), Decimal::ZERO);
        assert_eq!(key_result_progress(d("0"), d("100"), d("150")), Decimal::ONE);
        assert_eq!(key_result_progress(d("0"), d("100"), d("-5")), Decimal::ZERO);
    }

    #[test]
    fn a_target_equal_to_its_start_is_reached_or_not() {
        assert_eq!(key_result_progress(d("5"), d("5"), d("5")), Decimal::ONE);
        assert_eq!(key_result_progress(d("5"), d("5"), d("6")), Decimal::ONE);
        assert_eq!(key_result_progress(d("5"), d("5"), d("4")), Decimal::ZERO);
    }

    #[test]
    fn objective_progress_is_weighted_and_null_without_key_results() {
        assert_eq!(objective_progress([]), None);
        assert_eq!(objective_progress([(d("1"), d("0.4"))]), Some(d("0.4")));
        // (1·0.5 + 3·1) / 4 = 0.875
        assert_eq!(
            objective_progress([(d("1"), d("0.5")), (d("3"), Decimal::ONE)]),
            Some(d("0.875"))
        );
    }

    #[test]
    fn confidence_compares_progress_with_elapsed_time() {
        assert_eq!(Confidence::of(0.35, 0.5), Confidence::Close);
        assert_eq!(Confidence::of(0.483, 0.66).label(), "Close to pace");
        assert_eq!(Confidence::of(0.483, 0.66).as_str(), "green");
        assert_eq!(Confidence::of(0.2, 0.5), Confidence::Amber);
        assert_eq!(Confidence::of(0.19, 0.5), Confidence::Red);
        assert_eq!(Confidence::of(0.0, 0.0), Confidence::OnPace);
        assert_eq!(Confidence::of(1.0, 1.0), Confidence::OnPace);
        assert_eq!(Confidence::of(0.5, 0.5).label(), "On pace");
    }

    #[test]
    fn objectives_need_a_title_a_portfolio_and_a_valid_period() {
        let errors = ObjectiveChanges::default().apply(None).unwrap_err();
        for field in ["title", "portfolio_id", "period"] {
            assert!(errors.get(field).is_some(), "{field}");
        }
        let changes: ObjectiveChanges = serde_json::from_value(serde_json::json!({
            "title": "Win", "portfolio_id": Uuid::nil(), "period": "2026-Q5"
        }))
        .unwrap();
        assert!(changes.apply(None).unwrap_err().get("period").is_some());
    }

    #[test]
    fn key_results_start_at_their_start_value_and_keep_what_a_patch_leaves_out() {
        let changes: KeyResultChanges = serde_json::from_value(serde_json::json!({
            "title": "NPS", "start_value": 20, "target_value": 45.5, "unit": "pts"
        }))
        .unwrap();
        let (created, note) = changes.apply(None).unwrap();
        assert_eq!(created.current_value, d("20"));
        assert_eq!(created.target_value, d("45.5"));
        assert_eq!(created.weight, Decimal::ONE);
        assert_eq!(note, None);
        let patch: KeyResultChanges =
            serde_json::from_value(serde_json::json!({"current_value": 30, "note": " better "})).unwrap();
        let (patched, note) = patch.apply(Some(&created)).unwrap();
        assert_eq!(patched.current_value, d("30"));
        assert_eq!(patched.unit, "pts");
        assert_eq!(note.as_deref(), Some("better"));
    }

    #[test]
    fn bad_key_result_fields_are_named() {
        let changes: KeyResultChanges = serde_json::from_value(serde_json::json!({
            "title": "", "target_value": 1e13, "weight": 0
        }))
        .unwrap();
        let errors = changes.apply(None).unwrap_err();
        for field in ["title", "start_value", "target_value", "weight"] {
            assert!(errors.get(field).is_some(), "{field}: {errors:?}");
        }
    }
}
