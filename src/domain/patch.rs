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

#[cfg(test)]
mod tests {
    use super::*;

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
