//! KPIs (SPEC §11): what a product is judged by, with a target and values over time.
//!
//! Whether a KPI is on target is one rule, kept as a column by migrations/0028_outcomes.sql (the
//! roll-up's upkeep counts it); here are its inputs, its trend and the CSV of values people upload.

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::Deserialize;

use super::FieldErrors;
use super::patch::nullable;
use super::validation::text;

text_enum!(
    /// Which way is better: revenue should increase, churn decrease.
    Direction { Increase = "increase", Decrease = "decrease" }
);

text_enum!(
    /// Where a KPI stands against its target by its latest value.
    KpiStatus { OnTarget = "on_target", OffTarget = "off_target", NoData = "no_data" }
);

/// The largest magnitude a KPI's target or value may have, as for key results: revenue in minor
/// units fits, and sums stay exact.
fn value_limit() -> Decimal {
    Decimal::new(1_000_000_000_000, 0)
}

/// A KPI's fields as a client sent them (create or PATCH); nothing is checked yet.
#[derive(Clone, Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct KpiChanges {
    #[schema(min_length = 1, max_length = 200, pattern = r"\S")]
    pub name: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(max_length = 20)]
    pub unit: Option<Option<String>>,
    pub direction: Option<Direction>,
    #[schema(minimum = -1_000_000_000_000_i64, maximum = 1_000_000_000_000_i64)]
    pub target: Option<Decimal>,
}

/// A KPI's values, checked.
#[derive(Clone, Debug, PartialEq)]
pub struct KpiValues {
    pub name: String,
    pub unit: String,
    pub direction: Direction,
    pub target: Decimal,
}

impl KpiChanges {
    /// The KPI these changes make of `current` (`None`: a new one), every bad field named.
    pub fn apply(self, current: Option<&KpiValues>) -> Result<KpiValues, FieldErrors> {
        let mut errors = FieldErrors::new();
        let name = self
            .name
            .or_else(|| current.map(|c| c.name.clone()))
            .unwrap_or_default();
        let name = text(&mut errors, "name", &name, 1, 200);
        let unit = match self.unit {
            Some(unit) => unit.unwrap_or_default(),
            None => current.map(|c| c.unit.clone()).unwrap_or_default(),
        };
        let unit = text(&mut errors, "unit", &unit, 0, 20);
        let direction = self.direction.or(current.map(|c| c.direction));
        errors.check(direction.is_some(), "direction", "is required");
        let target = self.target.or(current.map(|c| c.target));
        check_value(&mut errors, "target", target);
        errors.into_result()?;
        Ok(KpiValues {
            name,
            unit,
            direction: direction.unwrap_or(Direction::Increase),
            target: target.unwrap_or_default().normalize(),
        })
    }
}

fn check_value(errors: &mut FieldErrors, field: &str, value: Option<Decimal>) {
    match value {
        None => errors.add(field, "is required"),
        Some(v) if v.abs() > value_limit() => errors.add(field, "must be between -1e12 and 1e12"),
        Some(_) => {}
    }
}

/// One recorded value: `POST /kpis/{id}/values {date, value}`.
#[derive(Clone, Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct KpiValueInput {
    #[schema(value_type = String, format = Date)]
    pub date: Option<String>,
    #[schema(minimum = -1_000_000_000_000_i64, maximum = 1_000_000_000_000_i64)]
    pub value: Option<Decimal>,
}

impl KpiValueInput {
    pub fn check(self) -> Result<(NaiveDate, Decimal), FieldErrors> {
        let mut errors = FieldErrors::new();
        let date = match self.date.as_deref().map(str::trim) {
            None | Some("") => {
                errors.add("date", "is required");
                None
            }
            Some(text) => parse_date(text).map_err(|m| errors.add("date", m)).ok(),
        };
        check_value(&mut errors, "value", self.value);
        errors.into_result()?;
        Ok((
            date.unwrap_or_default(),
            self.value.unwrap_or_default().normalize(),
        ))
    }
}

fn parse_date(text: &str) -> Result<NaiveDate, &'static str> {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").map_err(|_| "must be a date like 2026-12-31")
}

/// Parses an upload of values, one `date,value` row per line, an optional `date,value` header
/// first. Every bad row is reported by its line number, and then nothing is to be written.
pub fn parse_values_csv(text: &str) -> Result<Vec<(NaiveDate, Decimal)>, FieldErrors> {
    let mut errors = FieldErrors::new();
    let mut rows: Vec<(NaiveDate, Decimal)> = Vec::new();
    let mut lines_of: std::collections::HashMap<NaiveDate, u64> = std::collections::HashMap::new();
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    for (index, record) in reader.records().enumerate() {
        let fallback_line = index as u64 + 1;
        let record = match record {
            Ok(record) => record,
            Err(error) => {
                let line = error.position().map_or(fallback_line, |p| p.line());
                errors.add("body", format!("line {line}: is not a CSV row ({error})"));
                continue;
            }
        };
        let line = record.position().map_or(fallback_line, |p| p.line());
        let fields: Vec<&str> = record.iter().collect();
        if fields.iter().all(|f| f.is_empty()) {
            continue;
        }
        if line == 1 && fields.first().is_some_and(|f| f.eq_ignore_ascii_case("date")) {
            continue;
        }
        let [date, value] = fields[..] else {
            errors.add(
                "body",
                format!(
                    "line {line}: must have two fields, date and value, not {}",
                    fields.len()
                ),
            );
            continue;
        };
        let date = parse_date(date).map_err(|m| errors.add("body", format!("line {line}: the date {m}")));
        let value = value
            .parse::<Decimal>()
            .ok()
            .or_else(|| Decimal::from_scientific(value).ok())
            .filter(|v| v.abs() <= value_limit())
            .ok_or_else(|| {
                errors.add(
                    "body",
                    format!("line {line}: the value must be a number between -1e12 and 1e12"),
                )
            });
        if let (Ok(date), Ok(value)) = (date, value) {
            if let Some(first) = lines_of.insert(date, line) {
                errors.add(
                    "body",
                    format!("line {line}: repeats the date {date} of line {first}"),
                );
            } else {
                rows.push((date, value.normalize()));
            }
        }
    }
    if rows.is_empty() && errors.is_empty() {
        errors.add("body", "holds no rows: send one date,value row per line");
    }
    errors.into_result()?;
    Ok(rows)
}

/// The latest value minus the one before it; none with fewer than two values.
pub fn trend(latest: Option<Decimal>, previous: Option<Decimal>) -> Option<Decimal> {
    Some((latest? - previous?).normalize())
}

/// How a trend reads beside a KPI: an arrow, the way it moved and whether that is better.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TrendReading {
    Better,
    Worse,
    Flat,
}

impl TrendReading {
    pub fn of(direction: Direction, trend: Decimal) -> TrendReading {
        let rising = trend > Decimal::ZERO;
        match (trend.is_zero(), rising, direction) {
            (true, _, _) => TrendReading::Flat,
            (false, true, Direction::Increase) | (false, false, Direction::Decrease) => TrendReading::Better,
            _ => TrendReading::Worse,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(text: &str) -> Decimal {
        text.parse().unwrap()
    }

    #[test]
    fn a_kpi_needs_a_name_direction_and_target() {
        let errors = KpiChanges::default().apply(None).unwrap_err();
        for field in ["name", "direction", "target"] {
            assert!(errors.get(field).is_some(), "{field}");
        }
        let kpi = KpiChanges {
            name: Some(" NPS ".into()),
            unit: Some(Some("pts".into())),
            direction: Some(Direction::Increase),
            target: Some(d("40.0")),
        }
        .apply(None)
        .unwrap();
        assert_eq!(
            (kpi.name.as_str(), kpi.unit.as_str(), kpi.target),
            ("NPS", "pts", d("40"))
        );
        let renamed = KpiChanges {
            name: Some("Net promoter score".into()),
            ..KpiChanges::default()
        }
        .apply(Some(&kpi))
        .unwrap();
        assert_eq!(
            (renamed.direction, renamed.target),
            (Direction::Increase, d("40"))
        );
    }

    #[test]
    fn trends_need_two_values_and_read_by_direction() {
        assert_eq!(trend(Some(d("5")), None), None);
        assert_eq!(trend(Some(d("5")), Some(d("3.5"))), Some(d("1.5")));
        assert_eq!(
            TrendReading::of(Direction::Increase, d("1.5")),
            TrendReading::Better
        );
        assert_eq!(
            TrendReading::of(Direction::Decrease, d("1.5")),
            TrendReading::Worse
        );
        assert_eq!(
            TrendReading::of(Direction::Decrease, d("-0.1")),
            TrendReading::Better
        );
        assert_eq!(TrendReading::of(Direction::Increase, d("0")), TrendReading::Flat);
    }

    #[test]
    fn a_csv_upload_reads_rows_after_an_optional_header() {
        let rows = parse_values_csv("date,value\n2026-01-31, 12.5\n\n2026-02-28,13\n").unwrap();
        assert_eq!(
            rows,
            vec![
                (NaiveDate::from_ymd_opt(2026, 1, 31).unwrap(), d("12.5")),
                (NaiveDate::from_ymd_opt(2026, 2, 28).unwrap(), d("13")),
            ]
        );
        assert_eq!(parse_values_csv("2026-01-31,1").unwrap().len(), 1);
    }

    #[test]
    fn every_bad_row_of_an_upload_is_named_by_its_line() {
        let errors = parse_values_csv(
            "date,value\n2026-02-30,1\n2026-03-01,many\n2026-03-02\n2026-03-03,1\n2026-03-03,2\n",
        )
        .unwrap_err();
        let messages: Vec<&String> = errors.iter().flat_map(|(_, m)| m).collect();
        assert_eq!(messages.len(), 4, "{messages:?}");
        for line in [
            "line 2:",
            "line 3:",
            "line 4:",
            "line 6: repeats the date 2026-03-03 of line 5",
        ] {
            assert!(
                messages.iter().any(|m| m.starts_with(line)),
                "{line} in {messages:?}"
            );
        }
        assert!(parse_values_csv("date,value\n").is_err());
    }
}
