//! Themes: the strategic investment categories and their planned share of effort.

use serde::Deserialize;

use super::FieldErrors;
use super::validation::text;

/// The colour a theme gets when none is given: a neutral slate.
pub const DEFAULT_COLOUR: &str = "#64748b";

/// A theme's fields as a client sent them (create or PATCH); nothing is checked yet.
#[derive(Clone, Debug, Default, Deserialize, utoipa::ToSchema)]
pub struct ThemeChanges {
    #[schema(min_length = 1, max_length = 100)]
    pub name: Option<String>,
    #[schema(pattern = "^\\s*#[0-9a-fA-F]{6}\\s*$")]
    pub colour: Option<String>,
    #[schema(minimum = 0, maximum = 100, multiple_of = 0.1)]
    pub target_share: Option<f64>,
}

/// A theme's values, checked.
#[derive(Clone, Debug, PartialEq)]
pub struct ThemeValues {
    pub name: String,
    /// `#rrggbb`, lower case.
    pub colour: String,
    /// Percent, one decimal.
    pub target_share: f64,
}

impl ThemeChanges {
    /// The theme these changes make of `current` (`None`: a new theme), every bad field named.
    pub fn apply(self, current: Option<&ThemeValues>) -> Result<ThemeValues, FieldErrors> {
        let mut errors = FieldErrors::new();
        let name = self
            .name
            .or_else(|| current.map(|c| c.name.clone()))
            .unwrap_or_default();
        let name = text(&mut errors, "name", &name, 1, 100);
        let colour = self
            .colour
            .or_else(|| current.map(|c| c.colour.clone()))
            .unwrap_or_else(|| DEFAULT_COLOUR.to_owned());
        let colour = parse_colour(&mut errors, "colour", &colour);
        let target_share = self
            .target_share
            .or(current.map(|c| c.target_share))
            .unwrap_or(0.0);
        check_share(&mut errors, "target_share", target_share);
        errors.into_result()?;
        Ok(ThemeValues {
            name,
            colour,
            target_share,
        })
    }
}

/// `#RRGGBB` or `#rrggbb`, stored lower case.
fn parse_colour(errors: &mut FieldErrors, field: &str, value: &str) -> String {
    let colour = value.trim().to_ascii_lowercase();
    let valid =
        colour.len() == 7 && colour.starts_with('#') && colour[1..].chars().all(|c| c.is_ascii_hexdigit());
    errors.check(valid, field, "must be a colour like #1f77b4");
    colour
}

fn check_share(errors: &mut FieldErrors, field: &str, share: f64) {
    if !(0.0..=100.0).contains(&share) {
        errors.add(field, "must be from 0 to 100");
    } else if (share * 10.0 - (share * 10.0).round()).abs() > 1e-9 {
        errors.add(field, "must have at most one decimal");
    }
}

/// The planned mix may not promise more than everything: the targets of all themes sum to ≤ 100.
/// `others` are the targets of the organization's other themes.
pub fn check_target_total(share: f64, others: &[f64]) -> Result<(), FieldErrors> {
    // Tenths of a percent as integers: 33.3 + 33.3 + 33.4 must be exactly 100.
    let tenths = |x: f64| (x * 10.0).round() as i64;
    let total = tenths(share) + others.iter().map(|&x| tenths(x)).sum::<i64>();
    if total > 1000 {
        let free = (1000 - (total - tenths(share))).max(0) as f64 / 10.0;
        return Err(FieldErrors::single(
            "target_share",
            format!("would make the themes' targets sum to more than 100% (at most {free} is left)"),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn changes(json: serde_json::Value) -> ThemeChanges {
        serde_json::from_value(json).unwrap()
    }

    #[test]
    fn a_new_theme_is_checked_and_normalised() {
        let theme =
            changes(serde_json::json!({"name": " Growth ", "colour": "#1F77B4", "target_share": 40.5}))
                .apply(None)
                .unwrap();
        assert_eq!(theme.name, "Growth");
        assert_eq!(theme.colour, "#1f77b4");
        assert_eq!(theme.target_share, 40.5);
        let defaults = changes(serde_json::json!({"name": "Debt"})).apply(None).unwrap();
        assert_eq!(
            (defaults.colour.as_str(), defaults.target_share),
            (DEFAULT_COLOUR, 0.0)
        );
    }

    #[test]
    fn every_bad_field_is_named() {
        let errors = changes(serde_json::json!({"name": "", "colour": "blue", "target_share": 100.5}))
            .apply(None)
            .unwrap_err();
        for field in ["name", "colour", "target_share"] {
            assert!(errors.get(field).is_some(), "{field}");
        }
        let errors = changes(serde_json::json!({"name": "x", "target_share": 10.25}))
            .apply(None)
            .unwrap_err();
        assert_eq!(errors.get("target_share"), Some("must have at most one decimal"));
    }

    #[test]
    fn a_patch_keeps_what_it_does_not_mention() {
        let current = changes(serde_json::json!({"name": "Growth", "colour": "#00ff00", "target_share": 30}))
            .apply(None)
            .unwrap();
        let patched = changes(serde_json::json!({"target_share": 35}))
            .apply(Some(&current))
            .unwrap();
        assert_eq!(patched.name, "Growth");
        assert_eq!(patched.colour, "#00ff00");
        assert_eq!(patched.target_share, 35.0);
    }

    #[test]
    fn targets_may_sum_to_exactly_one_hundred() {
        assert!(check_target_total(33.4, &[33.3, 33.3]).is_ok());
        let errors = check_target_total(33.5, &[33.3, 33.3]).unwrap_err();
        assert!(errors.get("target_share").unwrap().contains("33.4"));
    }
}
