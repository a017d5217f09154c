//! Planning periods: a quarter (`2026-Q4`) or a year (`2026`), as OKRs and roll-ups name them.

use std::fmt;
use std::str::FromStr;

#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(into = "String")]
pub enum Period {
    Year(i32),
    Quarter(i32, u8),
}

impl FromStr for Period {
    type Err = String;

    fn from_str(text: &str) -> Result<Period, String> {
        let invalid = || format!("`{text}` is not a quarter like 2026-Q4 or a year like 2026");
        let (year, quarter) = match text.split_once("-Q") {
            Some((year, quarter)) => (year, Some(quarter)),
            None => (text, None),
        };
        if year.len() != 4 || !year.bytes().all(|b| b.is_ascii_digit()) {
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
            "2026-Q5", "2026-Q0", "26-Q1", "2026-q1", "Q1-2026", "", "20261", "2026-Q01",
        ] {
            assert!(bad.parse::<Period>().is_err(), "{bad}");
        }
    }
}
