//! PATCH bodies: a field left out keeps its value, an explicit `null` clears a nullable one.

use serde::{Deserialize, Deserializer};

/// Deserializes a nullable field of a PATCH body into `Option<Option<T>>`; use it with
/// `#[serde(default, deserialize_with = "nullable")]` so that absent → `None`, `null` →
/// `Some(None)` and a value → `Some(Some(value))` (plain `Option` cannot tell absent from null).
pub fn nullable<'de, T, D>(deserializer: D) -> Result<Option<Option<T>>, D::Error>
where
    T: Deserialize<'de>,
    D: Deserializer<'de>,
{
    Option::<T>::deserialize(deserializer).map(Some)
}

/// A whole number as JSON may write it: `7` or `7.0` (JSON Schema's `integer` is any number with
/// no fraction, and some clients only have floats). A fraction, or a number beyond `i64`, is
/// refused by name, as is one beyond `T`. For `#[serde(default, deserialize_with = "whole")]` on
/// `Option<T>`.
pub fn whole<'de, T: TryFrom<i64>, D: Deserializer<'de>>(deserializer: D) -> Result<Option<T>, D::Error> {
    Option::<serde_json::Number>::deserialize(deserializer)?
        .map(|number| whole_of(&number))
        .transpose()
}

/// `whole` for a nullable field: absent, `null` or a whole number, as `nullable` tells them.
pub fn nullable_whole<'de, T: TryFrom<i64>, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<Option<T>>, D::Error> {
    whole(deserializer).map(Some)
}

fn whole_of<T: TryFrom<i64>, E: serde::de::Error>(number: &serde_json::Number) -> Result<T, E> {
    let whole = match (number.as_i64(), number.as_f64()) {
        (Some(whole), _) => Some(whole),
        // 2^63 is exact in f64; every f64 below it in magnitude with no fraction is an i64.
        (None, Some(float)) if float.fract() == 0.0 && float.abs() < 9_223_372_036_854_775_808.0 => {
            Some(float as i64)
        }
        _ => None,
    };
    whole
        .and_then(|whole| T::try_from(whole).ok())
        .ok_or_else(|| E::custom(format!("{number} is not a whole number in range")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Deserialize)]
    struct Counted {
        #[serde(default, deserialize_with = "whole")]
        progress: Option<i64>,
        #[serde(default, deserialize_with = "nullable_whole")]
        budget: Option<Option<i64>>,
    }

    #[test]
    fn whole_numbers_may_be_written_as_floats_but_fractions_are_refused() {
        let parse = |json| serde_json::from_str::<Counted>(json).map(|c| (c.progress, c.budget));
        assert_eq!(parse("{}").unwrap(), (None, None));
        assert_eq!(
            parse(r#"{"progress": 7.0, "budget": null}"#).unwrap(),
            (Some(7), Some(None))
        );
        assert_eq!(
            parse(r#"{"progress": 7, "budget": 7148.0}"#).unwrap(),
            (Some(7), Some(Some(7148)))
        );
        for bad in [
            r#"{"progress": 7.5}"#,
            r#"{"budget": 1e19}"#,
            r#"{"progress": "7"}"#,
        ] {
            assert!(parse(bad).is_err(), "{bad}");
        }
    }

    #[derive(Deserialize)]
    struct Body {
        #[serde(default, deserialize_with = "nullable")]
        owner: Option<Option<u32>>,
    }

    #[test]
    fn absent_null_and_value_are_told_apart() {
        let parse = |json| serde_json::from_str::<Body>(json).unwrap().owner;
        assert_eq!(parse("{}"), None);
        assert_eq!(parse(r#"{"owner": null}"#), Some(None));
        assert_eq!(parse(r#"{"owner": 7}"#), Some(Some(7)));
    }
}
