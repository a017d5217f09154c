//! Planning periods: a quarter (`2026-Q4`) or a year (`2026`), as OKRs and roll-ups name them.
//!
//! Periods are fiscal. A fiscal year is named by the calendar year it ends in, as most companies
//! whose year does not start in January name theirs: with the year starting in April, `2027` runs
//! from 2026-04-01 to 2027-03-31 and `2027-Q1` is April to June 2026. With the default start month
//! (January) fiscal and calendar periods are the same.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Datelike, NaiveDate, Utc};

/// Midnight (UTC) at the start of `day`: where a "since" day starts.
pub fn start_of_day(day: NaiveDate) -> DateTime<Utc> {
    day.and_hms_opt(0, 0, 0).expect("midnight exists").and_utc()
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(into = "String")]
pub enum Period {
    Year(i32),
    Quarter(i32, u8),
}

/// In the API a period is its name: `2026-Q4` or `2026`.
impl utoipa::PartialSchema for Period {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::String)
            .pattern(Some(r"^[1-9][0-9]{3}(-Q[1-4])?$"))
            .description(Some(
                "A fiscal quarter (`2026-Q4`) or year (`2026`), of a year from 1000 to 9999",
            ))
            .examples(["2026-Q4"])
            .into()
    }
}

impl utoipa::ToSchema for Period {}

impl FromStr for Period {
    type Err = String;

    fn from_str(text: &str) -> Result<Period, String> {
        let invalid = || format!("`{text}` is not a quarter like 2026-Q4 or a year like 2026");
        let (year, quarter) = match text.split_once("-Q") {
            Some((year, quarter)) => (year, Some(quarter)),
            None => (text, None),
        };
        // Four digits, the first not 0: a year is written back as it was read (`Display`).
        if year.len() != 4 || !year.bytes().all(|b| b.is_ascii_digit()) || year.starts_with('0') {
            return Err(invalid());
        }
        let year: i32 = year.parse().map_err(|_| invalid())?;
        match quarter {
            None => Ok(Period::Year(year)),
            Some(q) => match q {
                "1" | "2" | "3" | "4" => Ok(Period::Quarter(year, q.parse().map_err(|_| invalid())?)),
                _ => Err(invalid()),
            },
        }
    }
}

impl Period {
    /// The fiscal quarter `today` falls in, for a fiscal year starting in `start_month` (1–12).
    pub fn current_quarter(today: NaiveDate, start_month: u32) -> Period {
        // Months since the fiscal year began, 0–11.
        let into_year = (today.month() + 12 - start_month) % 12;
        let ends_next_calendar_year = start_month != 1 && today.month() >= start_month;
        let year = today.year() + i32::from(ends_next_calendar_year);
        Period::Quarter(year, (into_year / 3 + 1) as u8)
    }

    /// The first day of the period and the first day after it.
    pub fn dates(self, start_month: u32) -> (NaiveDate, NaiveDate) {
        let (year, first_quarter, quarters) = match self {
            Period::Year(year) => (year, 1, 4),
            Period::Quarter(year, quarter) => (year, u32::from(quarter), 1),
        };
        let year_start = if start_month == 1 {
            (year, 1)
        } else {
            (year - 1, start_month)
        };
        let months_from = |months: u32| {
            let index = year_start.1 - 1 + months;
            NaiveDate::from_ymd_opt(year_start.0 + (index / 12) as i32, index % 12 + 1, 1)
                .expect("the first of a month exists")
        };
        (
            months_from((first_quarter - 1) * 3),
            months_from((first_quarter - 1 + quarters) * 3),
        )
    }

    /// How much of the period has passed on `today`, 0–1.
    pub fn elapsed(self, today: NaiveDate, start_month: u32) -> f64 {
        let (start, end) = self.dates(start_month);
        let total = (end - start).num_days() as f64;
        ((today - start).num_days() as f64 / total).clamp(0.0, 1.0)
    }

    /// The fiscal year a period falls in (a year is its own).
    pub fn year(self) -> Period {
        match self {
            Period::Year(year) | Period::Quarter(year, _) => Period::Year(year),
        }
    }

    /// The quarter or year before and after, for paging through periods.
    pub fn previous(self) -> Period {
        match self {
            Period::Year(year) => Period::Year(year - 1),
            Period::Quarter(year, 1) => Period::Quarter(year - 1, 4),
            Period::Quarter(year, quarter) => Period::Quarter(year, quarter - 1),
        }
    }

    pub fn next(self) -> Period {
        match self {
            Period::Year(year) => Period::Year(year + 1),
            Period::Quarter(year, 4) => Period::Quarter(year + 1, 1),
            Period::Quarter(year, quarter) => Period::Quarter(year, quarter + 1),
        }
    }
}

impl fmt::Display for Period {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Period::Year(year) => write!(f, "{year}"),
            Period::Quarter(year, quarter) => write!(f, "{year}-Q{quarter}"),
        }
    }
}

impl From<Period> for String {
    fn from(period: Period) -> String {
        period.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quarters_and_years_parse_and_print_back() {
        assert_eq!("2026-Q4".parse(), Ok(Period::Quarter(2026, 4)));
        assert_eq!("2026".parse(), Ok(Period::Year(2026)));
        assert_eq!(Period::Quarter(2027, 1).to_string(), "2027-Q1");
        for bad in [
            "2026-Q5", "2026-Q0", "26-Q1", "2026-q1", "Q1-2026", "", "20261", "2026-Q01", "0000", "0000-Q1",
            "0999",
        ] {
            assert!(bad.parse::<Period>().is_err(), "{bad}");
        }
    }

    fn day(text: &str) -> NaiveDate {
        text.parse().unwrap()
    }

    #[test]
    fn calendar_quarters_with_the_default_start_month() {
        assert_eq!(
            Period::current_quarter(day("2026-11-30"), 1),
            Period::Quarter(2026, 4)
        );
        assert_eq!(
            Period::current_quarter(day("2026-01-01"), 1),
            Period::Quarter(2026, 1)
        );
        assert_eq!(
            Period::Quarter(2026, 4).dates(1),
            (day("2026-10-01"), day("2027-01-01"))
        );
        assert_eq!(
            Period::Year(2026).dates(1),
            (day("2026-01-01"), day("2027-01-01"))
        );
    }

    #[test]
    fn fiscal_years_are_named_by_the_year_they_end_in() {
        // April start: FY2027 is 2026-04-01 .. 2027-03-31.
        assert_eq!(
            Period::current_quarter(day("2026-04-01"), 4),
            Period::Quarter(2027, 1)
        );
        assert_eq!(
            Period::current_quarter(day("2026-11-30"), 4),
            Period::Quarter(2027, 3)
        );
        assert_eq!(
            Period::current_quarter(day("2027-03-31"), 4),
            Period::Quarter(2027, 4)
        );
        assert_eq!(
            Period::Quarter(2027, 4).dates(4),
            (day("2027-01-01"), day("2027-04-01"))
        );
        assert_eq!(
            Period::Year(2027).dates(4),
            (day("2026-04-01"), day("2027-04-01"))
        );
        // A year starting in December: its fourth quarter ends in November.
        assert_eq!(
            Period::Quarter(2027, 4).dates(12),
            (day("2027-09-01"), day("2027-12-01"))
        );
    }

    #[test]
    fn elapsed_time_is_a_clamped_fraction() {
        let q4 = Period::Quarter(2026, 4);
        assert_eq!(q4.elapsed(day("2026-10-01"), 1), 0.0);
        assert_eq!(q4.elapsed(day("2027-02-01"), 1), 1.0);
        assert_eq!(q4.elapsed(day("2025-02-01"), 1), 0.0);
        assert!((q4.elapsed(day("2026-11-16"), 1) - 46.0 / 92.0).abs() < 1e-9);
        assert_eq!(q4.previous(), Period::Quarter(2026, 3));
        assert_eq!(q4.next(), Period::Quarter(2027, 1));
        assert_eq!(Period::Year(2026).next(), Period::Year(2027));
    }
}
