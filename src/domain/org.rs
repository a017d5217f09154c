//! Organizations: names, slugs and the prefix of initiative keys.

use super::FieldErrors;
use super::validation::text;

/// What sign-up asks for, checked.
#[derive(Debug)]
pub struct NewOrganization {
    pub name: String,
    pub slug: String,
    pub key_prefix: String,
}

impl NewOrganization {
    pub fn parse(errors: &mut FieldErrors, name: &str) -> NewOrganization {
        let name = text(errors, "org_name", name, 1, 200);
        let slug = slugify(&name);
        let key_prefix = key_prefix(&name);
        NewOrganization {
            name,
            slug,
            key_prefix,
        }
    }
}

/// "Acme Corp." → "acme-corp"; never empty.
pub fn slugify(name: &str) -> String {
    let mut slug = String::new();
    for c in name.to_lowercase().chars() {
        if c.is_ascii_alphanumeric() {
            slug.push(c);
        } else if !slug.is_empty() && !slug.ends_with('-') {
            slug.push('-');
        }
    }
    let slug = slug.trim_end_matches('-');
    let slug: String = slug.chars().take(48).collect();
    let slug = slug.trim_end_matches('-').to_owned();
    if slug.is_empty() { "org".to_owned() } else { slug }
}

/// "Acme Corp" → "ACME": the first word's letters and digits, up to five, starting with a letter.
pub fn key_prefix(name: &str) -> String {
    let word: String = name
        .split_whitespace()
        .map(|w| w.chars().filter(char::is_ascii_alphanumeric).collect::<String>())
        .find(|w| !w.is_empty())
        .unwrap_or_default()
        .to_ascii_uppercase();
    let prefix: String = word.chars().take(5).collect();
    match prefix.chars().next() {
        Some(c) if c.is_ascii_alphabetic() => prefix,
        Some(_) => format!("X{}", &prefix[..prefix.len().min(4)]),
        None => "ORG".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_and_prefixes_come_from_the_name() {
        assert_eq!(slugify("Acme Corp."), "acme-corp");
        assert_eq!(slugify("  Ünïcode — only!! "), "n-code-only");
        assert_eq!(slugify("!!!"), "org");
        assert_eq!(key_prefix("Acme Corp"), "ACME");
        assert_eq!(key_prefix("Globex International"), "GLOBE");
        assert_eq!(key_prefix("3M"), "X3M");
        assert_eq!(key_prefix("—"), "ORG");
    }
}

/// An organization's settings (SPEC §2, and the roll-up health thresholds of §3), as people read
/// and edit them. Thresholds are percentages of active effort, like the shares they are compared
/// with.
#[derive(Clone, Debug, PartialEq, serde::Serialize, utoipa::ToSchema)]
pub struct OrgSettings {
    pub name: String,
    pub time_zone: String,
    pub fiscal_year_start_month: i16,
    pub currency: String,
    /// A roll-up is off track when at least this share of its active effort is off track.
    pub off_track_threshold: f64,
    /// …else at risk when at least this share is off track or at risk.
    pub at_risk_threshold: f64,
    /// In-progress work declared on track is optimistic when it is this many points or more
    /// behind its time (SPEC §10).
    pub optimism_threshold: i16,
    /// Take a baseline of every top-level portfolio when a fiscal quarter starts (SPEC §10).
    pub quarter_baselines: bool,
    /// What MoAR's `benefit` is counted in (SPEC §8): "points", "k€ ARR"…
    pub benefit_unit: String,
}

/// A change to the settings: absent fields stay as they are.
#[derive(Debug, Default, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OrgSettingsChanges {
    #[schema(min_length = 1, max_length = 200)]
    pub name: Option<String>,
    #[schema(schema_with = time_zone_schema)]
    pub time_zone: Option<String>,
    #[serde(default, deserialize_with = "super::patch::whole")]
    #[schema(minimum = 1, maximum = 12)]
    pub fiscal_year_start_month: Option<i16>,
    #[schema(pattern = r"^\s*[A-Za-z]{3}\s*$")]
    pub currency: Option<String>,
    #[schema(minimum = 0.1, maximum = 100, multiple_of = 0.1)]
    pub off_track_threshold: Option<f64>,
    #[schema(minimum = 0.1, maximum = 100, multiple_of = 0.1)]
    pub at_risk_threshold: Option<f64>,
    #[serde(default, deserialize_with = "super::patch::whole")]
    #[schema(minimum = 1, maximum = 100)]
    pub optimism_threshold: Option<i16>,
    pub quarter_baselines: Option<bool>,
    #[schema(min_length = 1, max_length = 40, pattern = r"\S")]
    pub benefit_unit: Option<String>,
}

/// A time zone of the IANA database by its name, as `chrono_tz` reads it; null leaves it as it is.
fn time_zone_schema() -> utoipa::openapi::schema::Object {
    use utoipa::openapi::schema::{SchemaType, Type};
    let names = chrono_tz::TZ_VARIANTS
        .iter()
        .map(|zone| serde_json::json!(zone.name()));
    utoipa::openapi::ObjectBuilder::new()
        .schema_type(SchemaType::from_iter([Type::String, Type::Null]))
        .enum_values(Some(names.chain([serde_json::Value::Null])))
        .examples(["Europe/Berlin"])
        .build()
}

impl OrgSettingsChanges {
    /// The settings after this change, or every field it gets wrong.
    pub fn apply(self, current: &OrgSettings) -> Result<OrgSettings, FieldErrors> {
        let mut errors = FieldErrors::new();
        let name = text(
            &mut errors,
            "name",
            self.name.as_deref().unwrap_or(&current.name),
            1,
            200,
        );
        let time_zone = self
            .time_zone
            .as_deref()
            .unwrap_or(&current.time_zone)
            .trim()
            .to_owned();
        errors.check(
            time_zone.parse::<chrono_tz::Tz>().is_ok(),
            "time_zone",
            "is not a time zone like Europe/Berlin or America/New_York",
        );
        let fiscal_year_start_month = self
            .fiscal_year_start_month
            .unwrap_or(current.fiscal_year_start_month);
        errors.check(
            (1..=12).contains(&fiscal_year_start_month),
            "fiscal_year_start_month",
            "must be a month from 1 to 12",
        );
        let currency = self
            .currency
            .as_deref()
            .unwrap_or(&current.currency)
            .trim()
            .to_ascii_uppercase();
        errors.check(
            currency.len() == 3 && currency.bytes().all(|b| b.is_ascii_uppercase()),
            "currency",
            "must be a three-letter code like EUR or USD",
        );
        // Tenths of a percent, like theme shares: every rolled health compares exact decimals.
        let mut threshold = |field: &str, value: f64| {
            errors.check(
                (0.1..=100.0).contains(&value) && (value * 10.0 - (value * 10.0).round()).abs() < 1e-9,
                field,
                "must be a percentage from 0.1 to 100 with at most one decimal",
            );
            value
        };
        let off_track_threshold = threshold(
            "off_track_threshold",
            self.off_track_threshold.unwrap_or(current.off_track_threshold),
        );
        let at_risk_threshold = threshold(
            "at_risk_threshold",
            self.at_risk_threshold.unwrap_or(current.at_risk_threshold),
        );
        let optimism_threshold = self.optimism_threshold.unwrap_or(current.optimism_threshold);
        errors.check(
            (1..=100).contains(&optimism_threshold),
            "optimism_threshold",
            "must be a whole number of points from 1 to 100",
        );
        let benefit_unit = text(
            &mut errors,
            "benefit_unit",
            self.benefit_unit.as_deref().unwrap_or(&current.benefit_unit),
            1,
            40,
        );
        errors.into_result()?;
        Ok(OrgSettings {
            name,
            time_zone,
            fiscal_year_start_month,
            currency,
            off_track_threshold,
            at_risk_threshold,
            optimism_threshold,
            quarter_baselines: self.quarter_baselines.unwrap_or(current.quarter_baselines),
            benefit_unit,
        })
    }
}

#[cfg(test)]
mod settings_tests {
    use super::*;

    fn current() -> OrgSettings {
        OrgSettings {
            name: "Acme".into(),
            time_zone: "UTC".into(),
            fiscal_year_start_month: 1,
            currency: "USD".into(),
            off_track_threshold: 25.0,
            at_risk_threshold: 25.0,
            optimism_threshold: 25,
            quarter_baselines: false,
            benefit_unit: "points".into(),
        }
    }

    #[test]
    fn absent_fields_stay_and_given_ones_are_checked() {
        let changes = OrgSettingsChanges {
            time_zone: Some("Europe/Berlin".into()),
            currency: Some("eur".into()),
            ..Default::default()
        };
        let settings = changes.apply(&current()).unwrap();
        assert_eq!(
            (settings.time_zone.as_str(), settings.currency.as_str()),
            ("Europe/Berlin", "EUR")
        );
        assert_eq!(settings.name, "Acme");

        let bad = OrgSettingsChanges {
            name: Some(" ".into()),
            time_zone: Some("Mars/Olympus".into()),
            fiscal_year_start_month: Some(13),
            currency: Some("EURO".into()),
            off_track_threshold: Some(0.0),
            at_risk_threshold: Some(100.5),
            optimism_threshold: Some(0),
            quarter_baselines: None,
            benefit_unit: Some("  ".into()),
        };
        let errors = bad.apply(&current()).unwrap_err();
        for field in [
            "name",
            "time_zone",
            "fiscal_year_start_month",
            "currency",
            "off_track_threshold",
            "at_risk_threshold",
            "optimism_threshold",
            "benefit_unit",
        ] {
            assert!(errors.get(field).is_some(), "{field}");
        }
    }
}
