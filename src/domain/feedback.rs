//! Customer feedback (SPEC §11): what customers asked for, and the demand it adds up to on the
//! initiatives it is linked to. The demand itself is summed by migrations/0028_outcomes.sql
//! (`refresh_initiative_demand`), kept on each initiative so lists sort by it.

use serde::{Deserialize, Serialize};

use super::FieldErrors;
use super::patch::{nullable, nullable_whole};
use super::validation::text;

text_enum!(
    /// How much the customer needs it; counted 1, 2, 3 in an initiative's demand.
    Importance { NiceToHave = "nice_to_have", Important = "important", Critical = "critical" }
);

/// A new feedback item as a client sent it.
#[derive(Clone, Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FeedbackInput {
    #[schema(min_length = 1, max_length = 5000, pattern = r"\S")]
    pub text: Option<String>,
    #[schema(min_length = 1, max_length = 200, pattern = r"\S")]
    pub customer: Option<String>,
    /// What the customer is worth, in the organization's currency (minor units, like `budget`).
    #[serde(default, deserialize_with = "nullable_whole")]
    #[schema(value_type = Option<i64>, minimum = 0)]
    pub customer_value: Option<Option<i64>>,
    pub importance: Option<Importance>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(max_length = 200)]
    pub source: Option<Option<String>>,
}

/// A feedback item's values, checked.
#[derive(Clone, Debug, PartialEq)]
pub struct FeedbackValues {
    pub text: String,
    pub customer: String,
    pub customer_value: Option<i64>,
    pub importance: Importance,
    pub source: Option<String>,
}

impl FeedbackInput {
    pub fn check(self) -> Result<FeedbackValues, FieldErrors> {
        let mut errors = FieldErrors::new();
        let feedback_text = text(
            &mut errors,
            "text",
            self.text.as_deref().unwrap_or_default(),
            1,
            5000,
        );
        let customer = text(
            &mut errors,
            "customer",
            self.customer.as_deref().unwrap_or_default(),
            1,
            200,
        );
        let customer_value = self.customer_value.flatten();
        errors.check(
            customer_value.is_none_or(|v| v >= 0),
            "customer_value",
            "must be 0 or more",
        );
        errors.check(self.importance.is_some(), "importance", "is required");
        let source = self
            .source
            .flatten()
            .map(|s| text(&mut errors, "source", &s, 0, 200))
            .filter(|s| !s.is_empty());
        errors.into_result()?;
        Ok(FeedbackValues {
            text: feedback_text,
            customer,
            customer_value,
            importance: self.importance.unwrap_or(Importance::NiceToHave),
            source,
        })
    }
}

/// An initiative's demand (SPEC §11): the requests linked to it, the distinct customers behind
/// them, Σ over those customers of each one's highest value, and Σ of each one's highest
/// importance counted 1 / 2 / 3.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Demand {
    pub requests: i32,
    pub customers: i32,
    /// Minor units of the organization's currency.
    pub customer_value: i64,
    pub importance: i32,
}

impl Demand {
    /// "7 = importance of 3 customers (5 requests)": how the sortable figure came about.
    pub fn explained(&self) -> String {
        let customers = match self.customers {
            1 => "1 customer".to_owned(),
            n => format!("{n} customers"),
        };
        let requests = match self.requests {
            1 => "1 request".to_owned(),
            n => format!("{n} requests"),
        };
        format!(
            "Demand {} = highest importance of {customers}, counted 1/2/3 ({requests})",
            self.importance
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn feedback_needs_text_customer_and_importance() {
        let errors = FeedbackInput {
            customer_value: Some(Some(-1)),
            ..FeedbackInput::default()
        }
        .check()
        .unwrap_err();
        for field in ["text", "customer", "importance", "customer_value"] {
            assert!(errors.get(field).is_some(), "{field}");
        }
        let item = FeedbackInput {
            text: Some(" Export to Excel ".into()),
            customer: Some("Acme Corp".into()),
            customer_value: None,
            importance: Some(Importance::Critical),
            source: Some(Some("  ".into())),
        }
        .check()
        .unwrap();
        assert_eq!((item.text.as_str(), item.source), ("Export to Excel", None));
    }

    #[test]
    fn demand_explains_itself() {
        let demand = Demand {
            requests: 5,
            customers: 3,
            customer_value: 120_000,
            importance: 7,
        };
        assert_eq!(
            demand.explained(),
            "Demand 7 = highest importance of 3 customers, counted 1/2/3 (5 requests)"
        );
    }
}
