//! Capacity against demand per fiscal quarter (SPEC §8), from the sums the database keeps per
//! subtree and quarter (migrations/0020_capacity.sql).
//!
//! The sums are exact (each initiative's share of a quarter is rounded once, to 12 places, in SQL);
//! the figures here are rounded to one decimal, half away from zero, only when shown. `free` and
//! `utilisation` are computed from the exact sums, not from the rounded figures.

use rust_decimal::{Decimal, RoundingStrategy};
use serde::Serialize;

use super::FieldErrors;
use super::period::Period;

/// How many quarters one capacity answer may span.
pub const QUARTERS_MAX: u32 = 20;
/// The most person-weeks one portfolio may give in a quarter (the column's bound).
const PERSON_WEEKS_MAX: f64 = 1e9;

/// A subtree's kept sums for one quarter (a `portfolio_quarter_totals` row, zeros when none).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct QuarterParts {
    pub capacity: Decimal,
    /// Planned and in-progress work spread over its dates.
    pub demand: Decimal,
    /// Proposed work, spread the same way.
    pub proposed: Decimal,
}

/// SPEC §8 per subtree and quarter: `{period, capacity, demand, proposed, free, utilisation}`.
#[derive(Clone, Debug, PartialEq, Serialize, utoipa::ToSchema)]
pub struct QuarterFigures {
    pub period: Period,
    /// Person-weeks over the subtree's portfolios.
    #[serde(with = "rust_decimal::serde::float")]
    #[schema(value_type = f64)]
    pub capacity: Decimal,
    #[serde(with = "rust_decimal::serde::float")]
    #[schema(value_type = f64)]
    pub demand: Decimal,
    #[serde(with = "rust_decimal::serde::float")]
    #[schema(value_type = f64)]
    pub proposed: Decimal,
    /// Capacity − demand; negative when over-allocated.
    #[serde(with = "rust_decimal::serde::float")]
    #[schema(value_type = f64)]
    pub free: Decimal,
    /// Demand ÷ capacity × 100; null when capacity is 0.
    #[serde(with = "rust_decimal::serde::float_option")]
    #[schema(value_type = Option<f64>)]
    pub utilisation: Option<Decimal>,
}

impl QuarterFigures {
    pub fn new(period: Period, parts: QuarterParts) -> QuarterFigures {
        let utilisation = (parts.capacity > Decimal::ZERO)
            .then(|| one_decimal(parts.demand * Decimal::ONE_HUNDRED / parts.capacity));
        QuarterFigures {
            period,
            capacity: one_decimal(parts.capacity),
            demand: one_decimal(parts.demand),
            proposed: one_decimal(parts.proposed),
            free: one_decimal(parts.capacity - parts.demand),
            utilisation,
        }
    }

    /// By how many person-weeks demand exceeds capacity, when it does.
    pub fn over(&self) -> Option<Decimal> {
        (self.free < Decimal::ZERO).then(|| -self.free)
    }
}

/// One decimal, half away from zero: 12.25 → 12.3.
pub fn one_decimal(value: Decimal) -> Decimal {
    value
        .round_dp_with_strategy(1, RoundingStrategy::MidpointAwayFromZero)
        .normalize()
}

/// The quarter a capacity is set for or an answer starts at: a quarter, not a year.
pub fn quarter(field: &str, text: &str) -> Result<Period, FieldErrors> {
    match text.parse::<Period>() {
        Ok(period @ Period::Quarter(..)) => Ok(period),
        Ok(Period::Year(_)) => Err(FieldErrors::single(
            field,
            format!("`{text}` is a year; capacity is per quarter, like {text}-Q1"),
        )),
        Err(message) => Err(FieldErrors::single(field, message)),
    }
}

/// `count` quarters from `from` on.
pub fn quarters(from: Period, count: u32) -> Vec<Period> {
    std::iter::successors(Some(from), |period| Some(period.next()))
        .take(count as usize)
        .collect()
}

/// How many quarters an answer spans: 1 to `QUARTERS_MAX`.
pub fn quarter_count(count: Option<u32>) -> Result<u32, FieldErrors> {
    let count = count.unwrap_or(4);
    if (1..=QUARTERS_MAX).contains(&count) {
        Ok(count)
    } else {
        Err(FieldErrors::single(
            "quarters",
            format!("must be from 1 to {QUARTERS_MAX}"),
        ))
    }
}

/// A portfolio's person-weeks in a quarter: a number from 0, kept exactly as written (12.5 is 12.5).
pub fn person_weeks(value: f64) -> Result<Decimal, FieldErrors> {
    let invalid = || FieldErrors::single("person_weeks", "must be a number from 0 to 999,999,999");
    if !value.is_finite() || !(0.0..PERSON_WEEKS_MAX).contains(&value) {
        return Err(invalid());
    }
    // Six decimals of the float's text: what the client wrote (12.5 is 12.5, 0.1 is 0.1).
    let exact: Decimal = format!("{value:.6}").parse().map_err(|_| invalid())?;
    Ok(exact.normalize())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(text: &str) -> Decimal {
        text.parse().unwrap()
    }

    fn figures(capacity: &str, demand: &str) -> QuarterFigures {
        QuarterFigures::new(
            Period::Quarter(2027, 1),
            QuarterParts {
                capacity: d(capacity),
                demand: d(demand),
                proposed: d("0.05"),
            },
        )
    }

    #[test]
    fn free_and_utilisation_come_from_the_exact_sums() {
        let f = figures("40", "30.25");
        assert_eq!((f.capacity, f.demand, f.free), (d("40"), d("30.3"), d("9.8")));
        // 30.25 / 40 = 75.625 % → 75.6
        assert_eq!(f.utilisation, Some(d("75.6")));
        assert_eq!(f.proposed, d("0.1"));
        assert_eq!(f.over(), None);
    }

    #[test]
    fn over_allocation_is_the_negative_free() {
        let f = figures("20", "32.5");
        assert_eq!(f.free, d("-12.5"));
        assert_eq!(f.over(), Some(d("12.5")));
        assert_eq!(f.utilisation, Some(d("162.5")));
    }

    #[test]
    fn without_capacity_utilisation_is_null() {
        let f = figures("0", "5");
        assert_eq!(f.utilisation, None);
        assert_eq!(f.over(), Some(d("5")));
        assert_eq!(figures("0", "0").over(), None);
    }

    #[test]
    fn shares_sum_exactly_before_rounding() {
        // Three thirds of 1 pw, each kept to 12 places, round to 1.0 together.
        let third = d("0.333333333333");
        let f = figures("3", &(third * d("3")).to_string());
        assert_eq!(f.demand, d("1"));
        assert_eq!(f.utilisation, Some(d("33.3")));
    }

    #[test]
    fn json_numbers_carry_one_decimal() {
        let json = serde_json::to_value(figures("10", "2.25")).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"period": "2027-Q1", "capacity": 10.0, "demand": 2.3, "proposed": 0.1,
                               "free": 7.8, "utilisation": 22.5})
        );
    }

    #[test]
    fn a_capacity_is_set_per_quarter() {
        assert_eq!(quarter("period", "2027-Q2"), Ok(Period::Quarter(2027, 2)));
        assert!(quarter("period", "2027").unwrap_err().get("period").is_some());
        assert!(quarter("from", "Q2").unwrap_err().get("from").is_some());
        assert_eq!(
            quarters(Period::Quarter(2026, 4), 3),
            [
                Period::Quarter(2026, 4),
                Period::Quarter(2027, 1),
                Period::Quarter(2027, 2)
            ]
        );
        assert_eq!(quarter_count(None), Ok(4));
        assert!(quarter_count(Some(0)).is_err());
        assert!(quarter_count(Some(QUARTERS_MAX + 1)).is_err());
    }

    #[test]
    fn person_weeks_are_exact_and_not_negative() {
        assert_eq!(person_weeks(12.5), Ok(d("12.5")));
        assert_eq!(person_weeks(0.1), Ok(d("0.1")));
        assert_eq!(person_weeks(0.0), Ok(Decimal::ZERO));
        assert_eq!(person_weeks(1e-300), Ok(Decimal::ZERO));
        assert_eq!(person_weeks(999_999_999.0), Ok(d("999999999")));
        for bad in [-0.5, f64::NAN, f64::INFINITY, 1e9] {
            assert!(
                person_weeks(bad).unwrap_err().get("person_weeks").is_some(),
                "{bad}"
            );
        }
    }
}
