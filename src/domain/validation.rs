//! Validation errors keyed by field, the shape both problem+json and forms report.

use std::collections::BTreeMap;

/// Messages per field name; empty means valid.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize)]
#[serde(transparent)]
pub struct FieldErrors(BTreeMap<String, Vec<String>>);

impl FieldErrors {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn single(field: &str, message: impl Into<String>) -> Self {
        let mut errors = Self::new();
        errors.add(field, message);
        errors
    }

    pub fn add(&mut self, field: &str, message: impl Into<String>) {
        self.0.entry(field.to_owned()).or_default().push(message.into());
    }

    /// Adds `message` for `field` unless `ok`.
    pub fn check(&mut self, ok: bool, field: &str, message: &str) {
        if !ok {
            self.add(field, message);
        }
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The first message for `field`, for showing beside a form field.
    pub fn get(&self, field: &str) -> Option<&str> {
        self.0.get(field).and_then(|m| m.first()).map(String::as_str)
    }

    pub fn merge(&mut self, other: FieldErrors) {
        for (field, messages) in other.0 {
            self.0.entry(field).or_default().extend(messages);
        }
    }

    /// `Ok(())` when there are no errors.
    pub fn into_result(self) -> Result<(), FieldErrors> {
        if self.is_empty() { Ok(()) } else { Err(self) }
    }

    pub fn iter(&self) -> impl Iterator<Item = (&String, &Vec<String>)> {
        self.0.iter()
    }
}

/// Trims `value` and checks its length in characters; returns the trimmed text.
pub fn text(errors: &mut FieldErrors, field: &str, value: &str, min: usize, max: usize) -> String {
    let value = value.trim();
    let len = value.chars().count();
    if len < min {
        errors.add(
            field,
            if min == 1 {
                "is required".to_owned()
            } else {
                format!("must be at least {min} characters")
            },
        );
    } else if len > max {
        errors.add(field, format!("must be at most {max} characters"));
    } else if value.contains('\0') {
        // PostgreSQL text cannot hold NUL; refused here rather than failing at the database.
        errors.add(field, "must not contain NUL characters");
    }
    value.to_owned()
}

/// What `text` takes for a field that must have a value, as the OpenAPI document states it: no
/// NUL, and one character at least that is not white space (`char::is_whitespace`).
pub const NOT_BLANK: &str =
    r"^[^\x00]*[^\x00\s\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000][^\x00]*$";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_trimmed_bounded_and_free_of_nul() {
        let mut errors = FieldErrors::new();
        assert_eq!(text(&mut errors, "title", "  Launch  ", 1, 10), "Launch");
        assert!(errors.is_empty());
        text(&mut errors, "title", "Launch\0", 1, 10);
        assert_eq!(errors.get("title"), Some("must not contain NUL characters"));
    }
}
