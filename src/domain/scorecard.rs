//! The organization's scorecard (SPEC §8): drivers with a weight and the top of their scale, and an
//! initiative's value on each. The value 0–100 and the score are `super::scores`'.

use std::collections::BTreeMap;

use rust_decimal::Decimal;
use serde::Deserialize;
use uuid::Uuid;

use super::FieldErrors;
use super::patch::whole;
use super::scores::decimal;
use super::validation::text;

/// A driver's weight is below this; two decimals at most.
pub const WEIGHT_MAX: f64 = 1_000_000.0;

/// A driver's fields as a client sent them (create or PATCH); nothing is checked yet.
#[derive(Clone, Debug, Default, Deserialize, utoipa::ToSchema)]
pub struct DriverChanges {
    #[schema(min_length = 1, max_length = 100, pattern = r"\S")]
    pub name: Option<String>,
    /// How much this driver counts against the others; > 0.
    #[schema(exclusive_minimum = 0, exclusive_maximum = 1000000, multiple_of = 0.01)]
    pub weight: Option<f64>,
    /// The top of the driver's scale: values run 0…max.
    #[serde(default, deserialize_with = "whole")]
    #[schema(minimum = 1, maximum = 100)]
    pub max: Option<i64>,
}

/// A new driver as a client sends it: its name is required.
#[derive(Clone, Debug, Deserialize, utoipa::ToSchema)]
pub struct NewDriver {
    #[schema(min_length = 1, max_length = 100, pattern = r"\S")]
    pub name: String,
    #[schema(exclusive_minimum = 0, exclusive_maximum = 1000000, multiple_of = 0.01)]
    pub weight: Option<f64>,
    #[serde(default, deserialize_with = "whole")]
    #[schema(minimum = 1, maximum = 100)]
    pub max: Option<i64>,
}

impl From<NewDriver> for DriverChanges {
    fn from(new: NewDriver) -> DriverChanges {
        DriverChanges {
            name: Some(new.name),
            weight: new.weight,
            max: new.max,
        }
    }
}

/// A driver's values, checked.
#[derive(Clone, Debug, PartialEq)]
pub struct DriverValues {
    pub name: String,
    pub weight: Decimal,
    pub max: i16,
}

impl DriverChanges {
    /// The driver these changes make of `current` (`None`: a new one, weight 1, max 5), every bad
    /// field named.
    pub fn apply(self, current: Option<&DriverValues>) -> Result<DriverValues, FieldErrors> {
        let mut errors = FieldErrors::new();
        let name = self
            .name
            .or_else(|| current.map(|c| c.name.clone()))
            .unwrap_or_default();
        let name = text(&mut errors, "name", &name, 1, 100);
        let weight = match self.weight {
            Some(weight) => {
                let exact = (weight > 0.0 && weight < WEIGHT_MAX).then(|| decimal(weight));
                let exact = exact.filter(|w| w.normalize().scale() <= 2 && *w > Decimal::ZERO);
                errors.check(
                    exact.is_some(),
                    "weight",
                    "must be more than 0 and below 1,000,000, with at most two decimals",
                );
                exact.unwrap_or(Decimal::ONE)
            }
            None => current.map(|c| c.weight).unwrap_or(Decimal::ONE),
        };
        let max = self.max.or(current.map(|c| i64::from(c.max))).unwrap_or(5);
        errors.check(
            (1..=100).contains(&max),
            "max",
            "must be a whole number from 1 to 100",
        );
        errors.into_result()?;
        Ok(DriverValues {
            name,
            weight,
            max: max as i16,
        })
    }
}

/// `PUT /initiatives/{id}/scores`: a value per driver id, null (or left out) for none.
/// Documented as `BTreeMap<String, Option<i64>>` (src/http/api/scorecard.rs); read wide so that a
/// value of the wrong kind is named by its key.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct DriverValuesInput(pub BTreeMap<String, Option<serde_json::Value>>);

impl DriverValuesInput {
    /// A form's fields, one per driver id with its text: empty for no value; text that is no
    /// whole number goes on as text, so that `parse_values` names it as it names the API's.
    pub fn from_texts<'a>(texts: impl IntoIterator<Item = (&'a str, &'a str)>) -> DriverValuesInput {
        let values = texts
            .into_iter()
            .map(|(key, text)| {
                let text = text.trim();
                let value = (!text.is_empty()).then(|| {
                    text.parse::<i64>()
                        .map_or_else(|_| text.into(), serde_json::Value::from)
                });
                (key.to_owned(), value)
            })
            .collect();
        DriverValuesInput(values)
    }
}

/// The initiative's values after `input`, checked against the organization's drivers
/// (`(id, max)`): an unknown driver or a value off its scale is named by the key it was sent as.
/// Drivers left out have no value afterwards (PUT replaces the set).
pub fn parse_values(
    input: &DriverValuesInput,
    drivers: &[(Uuid, i16)],
) -> Result<Vec<(Uuid, i16)>, FieldErrors> {
    let mut errors = FieldErrors::new();
    let mut values = Vec::new();
    for (key, value) in &input.0 {
        let Some(&(id, max)) = key
            .trim()
            .parse::<Uuid>()
            .ok()
            .and_then(|id| drivers.iter().find(|(driver, _)| *driver == id))
        else {
            errors.add(key, "is not a scorecard driver of this organization");
            continue;
        };
        let Some(value) = value else { continue };
        match value
            .as_i64()
            .or_else(|| value.as_f64().filter(|f| f.fract() == 0.0).map(|f| f as i64))
        {
            Some(v) if (0..=i64::from(max)).contains(&v) => values.push((id, v as i16)),
            _ => errors.add(key, format!("must be a whole number from 0 to {max}")),
        }
    }
    errors.into_result()?;
    Ok(values)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_new_driver_weighs_one_on_a_scale_to_five() {
        let created = DriverChanges {
            name: Some("Strategic fit".into()),
            ..Default::default()
        }
        .apply(None)
        .unwrap();
        assert_eq!((created.weight, created.max), (Decimal::ONE, 5));
        let bad = DriverChanges {
            name: Some(" ".into()),
            weight: Some(0.0),
            max: Some(101),
        };
        let errors = bad.apply(None).unwrap_err();
        for field in ["name", "weight", "max"] {
            assert!(errors.get(field).is_some(), "{field}");
        }
        for weight in [-1.0, 0.001, 1e6] {
            let changes = DriverChanges {
                weight: Some(weight),
                ..Default::default()
            };
            assert!(changes.apply(Some(&created)).unwrap_err().get("weight").is_some());
        }
    }

    #[test]
    fn values_are_checked_against_each_drivers_scale() {
        let fit = Uuid::now_v7();
        let demand = Uuid::now_v7();
        let drivers = [(fit, 5), (demand, 10)];
        let input: DriverValuesInput =
            serde_json::from_value(json!({fit.to_string(): 5, demand.to_string(): null})).unwrap();
        assert_eq!(parse_values(&input, &drivers).unwrap(), [(fit, 5)]);
        let stranger = Uuid::now_v7().to_string();
        let input: DriverValuesInput = serde_json::from_value(
            json!({fit.to_string(): 6, demand.to_string(): 2.5, stranger.clone(): 1, "nope": 1}),
        )
        .unwrap();
        let errors = parse_values(&input, &drivers).unwrap_err();
        for field in [fit.to_string(), demand.to_string(), stranger, "nope".to_owned()] {
            assert!(errors.get(&field).is_some(), "{field}: {errors:?}");
        }
    }

    #[test]
    fn a_forms_texts_are_checked_by_the_same_rule() {
        let (fit, demand, risk) = (Uuid::now_v7(), Uuid::now_v7(), Uuid::now_v7());
        let drivers = [(fit, 5), (demand, 10), (risk, 3)];
        let (f, d, r) = (fit.to_string(), demand.to_string(), risk.to_string());
        let input = DriverValuesInput::from_texts([(f.as_str(), " 4 "), (d.as_str(), ""), (r.as_str(), "0")]);
        assert_eq!(parse_values(&input, &drivers).unwrap(), [(fit, 4), (risk, 0)]);
        let input =
            DriverValuesInput::from_texts([(f.as_str(), "6"), (d.as_str(), "-1"), (r.as_str(), "two")]);
        let errors = parse_values(&input, &drivers).unwrap_err();
        assert_eq!(errors.get(&f), Some("must be a whole number from 0 to 5"));
        assert_eq!(errors.get(&d), Some("must be a whole number from 0 to 10"));
        assert_eq!(errors.get(&r), Some("must be a whole number from 0 to 3"));
    }
}
