//! Reading HTML form fields, which always arrive as text, into the typed values the domain checks.
//! An empty field means "no value"; text that does not parse is named like any other bad field,
//! so a form can show it beside the field instead of failing the whole request.

use std::str::FromStr;

use super::FieldErrors;
use super::money;

pub const WHOLE_NUMBER: &str = "must be a whole number";
pub const NUMBER: &str = "must be a number";
pub const DATE: &str = "must be a date like 2026-03-31";
pub const CHOICE: &str = "is not one of the choices";

/// A field that must have a value: empty is "is required", unreadable is `problem`.
pub fn required<T: FromStr>(errors: &mut FieldErrors, field: &str, text: &str, problem: &str) -> Option<T> {
    match optional(errors, field, text, problem) {
        Some(Some(value)) => Some(value),
        Some(None) => {
            errors.add(field, "is required");
            None
        }
        None => None,
    }
}

/// A nullable field: empty clears it (`Some(None)`), unreadable is `problem` and leaves it out.
pub fn optional<T: FromStr>(
    errors: &mut FieldErrors,
    field: &str,
    text: &str,
    problem: &str,
) -> Option<Option<T>> {
    let text = text.trim();
    if text.is_empty() {
        return Some(None);
    }
    match text.parse() {
        Ok(value) => Some(Some(value)),
        Err(_) => {
            errors.add(field, problem);
            None
        }
    }
}

/// A nullable amount typed in major units, as minor units of a currency with `digits` decimals.
pub fn optional_money(errors: &mut FieldErrors, field: &str, text: &str, digits: u32) -> Option<Option<i64>> {
    let text = text.trim();
    if text.is_empty() {
        return Some(None);
    }
    match money::parse_major(text, digits) {
        Ok(minor) => Some(Some(minor)),
        Err(problem) => {
            errors.add(field, problem);
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_clears_and_garbage_is_named() {
        let mut errors = FieldErrors::new();
        assert_eq!(optional::<i64>(&mut errors, "reach", " ", NUMBER), Some(None));
        assert_eq!(
            optional::<i64>(&mut errors, "reach", "12", NUMBER),
            Some(Some(12))
        );
        assert_eq!(required::<f64>(&mut errors, "effort", "2.5", NUMBER), Some(2.5));
        assert!(errors.is_empty());
        assert_eq!(required::<f64>(&mut errors, "effort", "abc", NUMBER), None);
        assert_eq!(required::<i64>(&mut errors, "progress", "", WHOLE_NUMBER), None);
        assert_eq!(optional_money(&mut errors, "budget", "1.999", 2), None);
        assert_eq!(errors.get("effort"), Some(NUMBER));
        assert_eq!(errors.get("progress"), Some("is required"));
        assert!(errors.get("budget").is_some());
    }
}
