//! Portfolios: the nodes of the product hierarchy and the rules on their levels.

use serde::Deserialize;
use uuid::Uuid;

use super::patch::{nullable, whole};
use super::validation::text;
use super::{FieldErrors, Lifecycle, PortfolioLevel};

/// A portfolio's fields as a client sent them (create or PATCH); nothing is checked yet.
#[derive(Clone, Debug, Default, Deserialize, utoipa::ToSchema)]
pub struct PortfolioChanges {
    #[schema(min_length = 1, max_length = 200)]
    pub name: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    pub description: Option<Option<String>>,
    pub level: Option<PortfolioLevel>,
    #[serde(default, deserialize_with = "nullable")]
    pub parent_id: Option<Option<Uuid>>,
    #[serde(default, deserialize_with = "nullable")]
    pub owner_id: Option<Option<Uuid>>,
    #[serde(default, deserialize_with = "nullable")]
    pub lifecycle: Option<Option<Lifecycle>>,
    #[serde(default, deserialize_with = "whole")]
    pub position: Option<i64>,
}

/// A portfolio's own values, checked (its place in the tree is checked against the database).
#[derive(Clone, Debug, PartialEq)]
pub struct PortfolioValues {
    pub name: String,
    pub description: String,
    pub level: PortfolioLevel,
    pub parent_id: Option<Uuid>,
    pub owner_id: Option<Uuid>,
    pub lifecycle: Option<Lifecycle>,
    /// `None`: after its siblings (a new portfolio, or one moved without a position).
    pub position: Option<i32>,
}

impl PortfolioChanges {
    /// The portfolio these changes make of `current` (`None`: a new one), every bad field named.
    pub fn apply(self, current: Option<&PortfolioValues>) -> Result<PortfolioValues, FieldErrors> {
        let mut errors = FieldErrors::new();
        let name = self
            .name
            .or_else(|| current.map(|c| c.name.clone()))
            .unwrap_or_default();
        let name = text(&mut errors, "name", &name, 1, 200);
        let description = match self.description {
            Some(description) => description.unwrap_or_default(),
            None => current.map(|c| c.description.clone()).unwrap_or_default(),
        };
        let description = text(&mut errors, "description", &description, 0, 10_000);
        let level = self.level.or(current.map(|c| c.level));
        if level.is_none() {
            errors.add("level", "is required");
        }
        let level = level.unwrap_or(PortfolioLevel::Portfolio);
        let parent_id = self.parent_id.unwrap_or(current.and_then(|c| c.parent_id));
        let owner_id = self.owner_id.unwrap_or(current.and_then(|c| c.owner_id));
        let lifecycle = self.lifecycle.unwrap_or(current.and_then(|c| c.lifecycle));
        errors.check(
            lifecycle.is_none() || level == PortfolioLevel::Product,
            "lifecycle",
            "only a product has a lifecycle",
        );
        let moved = current.is_some_and(|c| c.parent_id != parent_id);
        let position = match self.position {
            Some(position) => {
                errors.check(
                    (0..=i64::from(i32::MAX)).contains(&position),
                    "position",
                    "must be a whole number ≥ 0",
                );
                i32::try_from(position).ok()
            }
            None if moved => None,
            None => current.and_then(|c| c.position),
        };
        errors.into_result()?;
        Ok(PortfolioValues {
            name,
            description,
            level,
            parent_id,
            owner_id,
            lifecycle,
            position,
        })
    }
}

/// A child's level is deeper than its parent's: checked against the parent above and the
/// shallowest child below (top-level portfolios may be of any level).
pub fn check_level(
    level: PortfolioLevel,
    parent: Option<PortfolioLevel>,
    shallowest_child: Option<PortfolioLevel>,
) -> Result<(), FieldErrors> {
    let mut errors = FieldErrors::new();
    if let Some(parent) = parent.filter(|&parent| level <= parent) {
        errors.add(
            "level",
            format!("must be deeper than its parent's level ({parent})"),
        );
    }
    if let Some(child) = shallowest_child.filter(|&child| child <= level) {
        errors.add("level", format!("must be above its children's level ({child})"));
    }
    errors.into_result()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn changes(json: serde_json::Value) -> PortfolioChanges {
        serde_json::from_value(json).unwrap()
    }

    #[test]
    fn a_new_portfolio_needs_a_name_and_a_level() {
        let errors = changes(json!({"name": " "})).apply(None).unwrap_err();
        assert_eq!(errors.get("name"), Some("is required"));
        assert_eq!(errors.get("level"), Some("is required"));
        let created = changes(json!({"name": "Payments", "level": "product", "lifecycle": "growth"}))
            .apply(None)
            .unwrap();
        assert_eq!(created.lifecycle, Some(Lifecycle::Growth));
        assert_eq!(created.position, None);
    }

    #[test]
    fn only_products_have_a_lifecycle() {
        let errors = changes(json!({"name": "Area", "level": "area", "lifecycle": "launch"}))
            .apply(None)
            .unwrap_err();
        assert!(errors.get("lifecycle").is_some());
    }

    #[test]
    fn a_patch_keeps_clears_and_moves() {
        let current = changes(json!({"name": "P", "level": "product", "lifecycle": "launch",
                                     "description": "d", "position": 3}))
        .apply(None)
        .unwrap();
        let cleared = changes(json!({"lifecycle": null, "description": null}))
            .apply(Some(&current))
            .unwrap();
        assert_eq!((cleared.lifecycle, cleared.description.as_str()), (None, ""));
        assert_eq!(cleared.position, Some(3));
        let moved = changes(json!({"parent_id": Uuid::now_v7()}))
            .apply(Some(&current))
            .unwrap();
        assert_eq!(
            moved.position, None,
            "a moved portfolio goes after its new siblings"
        );
    }

    #[test]
    fn levels_deepen_down_the_tree() {
        use PortfolioLevel::*;
        assert!(check_level(Portfolio, None, Some(ProductLine)).is_ok());
        assert!(check_level(Area, None, None).is_ok());
        assert!(check_level(Product, Some(ProductLine), Some(Area)).is_ok());
        assert!(check_level(Product, Some(Product), None).is_err());
        assert!(check_level(Product, Some(Portfolio), Some(Product)).is_err());
    }
}
