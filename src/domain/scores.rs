//! The four scores of SPEC §8 — RICE, WSJF, MoAR and the organization's scorecard — each with its
//! formula, the inputs filled in. The one implementation: the API, every page and the CSV export
//! show what this module computes.
//!
//! Every score is exact decimal arithmetic, rounded to two decimals half away from zero (as people
//! round), and `None` while an input is missing.

use std::str::FromStr;

use rust_decimal::{Decimal, RoundingStrategy};

use super::currency::group_thousands;

/// SAFe's modified Fibonacci scale: the values WSJF's three cost-of-delay fields take.
pub const WSJF_SCALE: [i16; 7] = [1, 2, 3, 5, 8, 13, 20];

/// One score: its value, its formula and the inputs it still waits for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Score {
    /// Two decimals; `None` while `missing` is not empty.
    pub value: Option<Decimal>,
    /// "WSJF 6.00 = (20 + 20 + 20) ÷ 10 pw"; a missing input reads `?` and there is no value:
    /// "WSJF = (20 + ? + 20) ÷ 10 pw".
    pub formula: String,
    /// The names of the inputs not given yet, as people read them.
    pub missing: Vec<&'static str>,
}

impl Score {
    fn new(name: &str, value: Option<Decimal>, rhs: String, missing: Vec<&'static str>) -> Score {
        let formula = match value {
            Some(value) => format!("{name} {} = {rhs}", two_decimals(value)),
            None => format!("{name} = {rhs}"),
        };
        Score {
            value,
            formula,
            missing,
        }
    }

    /// The formula when there is a score, else `None` (what the API carries).
    pub fn explained(&self) -> Option<String> {
        self.value.map(|_| self.formula.clone())
    }
}

/// What the scores of one initiative are made of.
#[derive(Clone, Copy, Debug)]
pub struct ScoreInputs<'a> {
    pub reach: Option<i64>,
    pub impact: Option<f64>,
    pub confidence: Option<i16>,
    /// Person-weeks, > 0: every score's denominator.
    pub effort: f64,
    pub business_value: Option<i16>,
    pub time_criticality: Option<i16>,
    pub risk_reduction: Option<i16>,
    pub benefit: Option<Decimal>,
    /// The organization's `benefit_unit`.
    pub benefit_unit: &'a str,
    /// The scorecard's value 0–100 as stored (migrations/0019_scorecard.sql); `None` when the
    /// organization has no drivers.
    pub scorecard_value: Option<Decimal>,
}

/// The four scores of one initiative.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Scores {
    pub rice: Score,
    pub wsjf: Score,
    pub moar: Score,
    pub scorecard: Score,
}

impl Scores {
    pub fn of(inputs: &ScoreInputs<'_>) -> Scores {
        Scores {
            rice: rice(inputs.reach, inputs.impact, inputs.confidence, inputs.effort),
            wsjf: wsjf(
                inputs.business_value,
                inputs.time_criticality,
                inputs.risk_reduction,
                inputs.effort,
            ),
            moar: moar(inputs.benefit, inputs.benefit_unit, inputs.effort),
            scorecard: scorecard(inputs.scorecard_value, inputs.effort),
        }
    }

    /// The four in the order the SPEC names them, with their names.
    pub fn named(&self) -> [(&'static str, &Score); 4] {
        [
            ("rice", &self.rice),
            ("wsjf", &self.wsjf),
            ("moar", &self.moar),
            ("scorecard", &self.scorecard),
        ]
    }
}

/// RICE = reach × impact × confidence ÷ effort (SPEC §3):
/// "RICE 400.00 = 1,000 × 2 × 80 % ÷ 4 pw".
pub fn rice(reach: Option<i64>, impact: Option<f64>, confidence: Option<i16>, effort: f64) -> Score {
    let missing = missing(&[
        ("reach", reach.is_none()),
        ("impact", impact.is_none()),
        ("confidence", confidence.is_none()),
    ]);
    let impact = impact.map(decimal);
    let value = match (reach, impact, confidence) {
        (Some(reach), Some(impact), Some(confidence)) => per_effort(
            Decimal::from(reach) * impact * Decimal::new(confidence.into(), 2),
            effort,
        ),
        _ => None,
    };
    let rhs = format!(
        "{} × {} × {} ÷ {}",
        or_unknown(reach.map(|r| figure(Decimal::from(r)))),
        or_unknown(impact.map(figure)),
        or_unknown(confidence.map(|c| format!("{c} %"))),
        person_weeks(effort)
    );
    Score::new("RICE", value, rhs, missing)
}

/// WSJF = (business value + time criticality + risk reduction) ÷ effort:
/// "WSJF 6.00 = (20 + 20 + 20) ÷ 10 pw".
pub fn wsjf(
    business_value: Option<i16>,
    time_criticality: Option<i16>,
    risk_reduction: Option<i16>,
    effort: f64,
) -> Score {
    let missing = missing(&[
        ("business value", business_value.is_none()),
        ("time criticality", time_criticality.is_none()),
        ("risk reduction", risk_reduction.is_none()),
    ]);
    let value = match (business_value, time_criticality, risk_reduction) {
        (Some(b), Some(t), Some(r)) => {
            per_effort(Decimal::from(i32::from(b) + i32::from(t) + i32::from(r)), effort)
        }
        _ => None,
    };
    let part = |v: Option<i16>| or_unknown(v.map(|v| v.to_string()));
    let rhs = format!(
        "({} + {} + {}) ÷ {}",
        part(business_value),
        part(time_criticality),
        part(risk_reduction),
        person_weeks(effort)
    );
    Score::new("WSJF", value, rhs, missing)
}

/// MoAR = benefit ÷ effort: "MoAR 12.50 = 50 points ÷ 4 pw".
pub fn moar(benefit: Option<Decimal>, benefit_unit: &str, effort: f64) -> Score {
    let value = benefit.and_then(|benefit| per_effort(benefit, effort));
    let rhs = format!(
        "{} {benefit_unit} ÷ {}",
        or_unknown(benefit.map(figure)),
        person_weeks(effort)
    );
    Score::new("MoAR", value, rhs, missing(&[("benefit", benefit.is_none())]))
}

/// Scorecard = the scorecard's value 0–100 ÷ effort: "Scorecard 15.00 = 60.0 ÷ 4 pw". The value
/// shows one decimal; the score divides the stored value, not the shown one.
pub fn scorecard(value: Option<Decimal>, effort: f64) -> Score {
    let score = value.and_then(|value| per_effort(value, effort));
    let rhs = format!(
        "{} ÷ {}",
        or_unknown(value.map(|v| format!("{:.1}", v.round_dp_with_strategy(1, HALF_UP)))),
        person_weeks(effort)
    );
    Score::new(
        "Scorecard",
        score,
        rhs,
        missing(&[("scorecard drivers", value.is_none())]),
    )
}

const HALF_UP: RoundingStrategy = RoundingStrategy::MidpointAwayFromZero;

/// `numerator ÷ effort` to two decimals; `None` if effort is not a positive number.
fn per_effort(numerator: Decimal, effort: f64) -> Option<Decimal> {
    let effort = decimal(effort);
    if effort <= Decimal::ZERO {
        return None;
    }
    numerator
        .checked_div(effort)
        .map(|score| score.round_dp_with_strategy(2, HALF_UP))
}

/// A float as the decimal it was typed as (1.1 is 1.1, not 1.100000000000000088…): Rust prints the
/// shortest digits that read back as the same float.
pub fn decimal(value: f64) -> Decimal {
    Decimal::from_str(&value.to_string())
        .or_else(|_| Decimal::from_scientific(&format!("{value:e}")))
        .unwrap_or_default()
}

/// "1,234.5": thousands grouped, no trailing zeros.
pub fn figure(value: Decimal) -> String {
    let value = value.normalize();
    let sign = if value.is_sign_negative() { "-" } else { "" };
    let text = value.abs().to_string();
    let (whole, fraction) = text.split_once('.').unwrap_or((&text, ""));
    let whole = whole
        .parse::<u64>()
        .map(group_thousands)
        .unwrap_or_else(|_| whole.to_owned());
    match fraction {
        "" => format!("{sign}{whole}"),
        fraction => format!("{sign}{whole}.{fraction}"),
    }
}

/// A score as the formula shows it: "5,300.00".
fn two_decimals(value: Decimal) -> String {
    let fixed = format!("{value:.2}");
    let (whole, fraction) = fixed.split_once('.').unwrap_or((&fixed, "00"));
    let grouped = figure(Decimal::from_str(whole).unwrap_or_default());
    format!("{grouped}.{fraction}")
}

fn person_weeks(effort: f64) -> String {
    format!("{} pw", figure(decimal(effort)))
}

fn or_unknown(value: Option<String>) -> String {
    value.unwrap_or_else(|| "?".to_owned())
}

fn missing(inputs: &[(&'static str, bool)]) -> Vec<&'static str> {
    inputs
        .iter()
        .filter_map(|&(name, missing)| missing.then_some(name))
        .collect()
}

/// A scorecard driver as the value rule weighs it.
#[derive(Clone, Copy, Debug)]
pub struct WeighedDriver {
    pub weight: Decimal,
    pub max: i16,
    /// The initiative's value on it; `None` counts 0.
    pub value: Option<i16>,
}

/// The scorecard's value 0–100 = 100 × Σ weight·(value ÷ max) ÷ Σ weight; `None` without drivers.
/// The same rule as SQL's `refresh_scorecard_values` (migrations/0019_scorecard.sql), which keeps
/// it on every initiative; this one is the reference the tests hold it to.
pub fn scorecard_value(drivers: &[WeighedDriver]) -> Option<Decimal> {
    let total: Decimal = drivers.iter().map(|d| d.weight).sum();
    if drivers.is_empty() || total <= Decimal::ZERO {
        return None;
    }
    let weighed: Decimal = drivers
        .iter()
        .map(|d| d.weight * Decimal::from(d.value.unwrap_or(0)) / Decimal::from(d.max))
        .sum();
    Some((Decimal::ONE_HUNDRED * weighed / total).round_dp_with_strategy(10, HALF_UP))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dec(text: &str) -> Decimal {
        text.parse().unwrap()
    }

    #[test]
    fn rice_is_reach_times_impact_times_confidence_over_effort() {
        let score = rice(Some(1000), Some(2.0), Some(80), 4.0);
        assert_eq!(score.value, Some(dec("400.00")));
        assert_eq!(score.formula, "RICE 400.00 = 1,000 × 2 × 80 % ÷ 4 pw");
        assert!(score.missing.is_empty());
        // 1,000 × 2 × 0.8 ÷ 3 = 533.333…
        assert_eq!(
            rice(Some(1000), Some(2.0), Some(80), 3.0).value,
            Some(dec("533.33"))
        );
        // 12,000 × 2 × 0.8 ÷ 4 = 4,800
        assert_eq!(
            rice(Some(12_000), Some(2.0), Some(80), 4.0).formula,
            "RICE 4,800.00 = 12,000 × 2 × 80 % ÷ 4 pw"
        );
    }

    #[test]
    fn a_missing_input_leaves_no_score_and_is_named() {
        let score = rice(Some(500), None, None, 2.5);
        assert_eq!(score.value, None);
        assert_eq!(score.formula, "RICE = 500 × ? × ? ÷ 2.5 pw");
        assert_eq!(score.missing, ["impact", "confidence"]);
        assert_eq!(score.explained(), None);
        let wsjf = wsjf(Some(20), None, Some(1), 10.0);
        assert_eq!(wsjf.formula, "WSJF = (20 + ? + 1) ÷ 10 pw");
        assert_eq!(wsjf.missing, ["time criticality"]);
        assert_eq!(moar(None, "points", 4.0).missing, ["benefit"]);
        assert_eq!(scorecard(None, 4.0).missing, ["scorecard drivers"]);
    }

    #[test]
    fn wsjf_is_cost_of_delay_over_effort() {
        let score = wsjf(Some(20), Some(20), Some(20), 10.0);
        assert_eq!(score.value, Some(dec("6.00")));
        assert_eq!(score.formula, "WSJF 6.00 = (20 + 20 + 20) ÷ 10 pw");
        // (1 + 2 + 3) ÷ 7 = 0.857142… → 0.86
        assert_eq!(wsjf(Some(1), Some(2), Some(3), 7.0).value, Some(dec("0.86")));
    }

    #[test]
    fn moar_is_benefit_over_effort_in_the_organizations_unit() {
        let score = moar(Some(dec("50")), "points", 4.0);
        assert_eq!(score.value, Some(dec("12.50")));
        assert_eq!(score.formula, "MoAR 12.50 = 50 points ÷ 4 pw");
        assert_eq!(
            moar(Some(dec("1250.5")), "k€ ARR", 0.5).formula,
            "MoAR 2,501.00 = 1,250.5 k€ ARR ÷ 0.5 pw"
        );
        assert_eq!(moar(Some(dec("0")), "points", 3.0).value, Some(dec("0.00")));
    }

    #[test]
    fn the_scorecard_score_divides_the_value_by_effort() {
        let score = scorecard(Some(dec("60")), 4.0);
        assert_eq!(score.value, Some(dec("15.00")));
        assert_eq!(score.formula, "Scorecard 15.00 = 60.0 ÷ 4 pw");
        // 200/3 = 66.6666666667 shows 66.7; ÷ 2 = 33.33
        assert_eq!(
            scorecard(Some(dec("66.6666666667")), 2.0).formula,
            "Scorecard 33.33 = 66.7 ÷ 2 pw"
        );
    }

    #[test]
    fn halves_round_away_from_zero() {
        // 1 ÷ 8 = 0.125 → 0.13 (banker's rounding would give 0.12)
        assert_eq!(moar(Some(dec("1")), "points", 8.0).value, Some(dec("0.13")));
        // 3 ÷ 8 = 0.375 → 0.38
        assert_eq!(wsjf(Some(1), Some(1), Some(1), 8.0).value, Some(dec("0.38")));
        // 10 × 0.25 × 0.5 ÷ 0.8 = 1.5625 → 1.56; × 1 ÷ 0.16 = 7.8125 → 7.81
        assert_eq!(rice(Some(10), Some(0.25), Some(50), 0.8).value, Some(dec("1.56")));
        // 0.625 ÷ 1 → 0.63; 0.005 ÷ 1 → 0.01
        assert_eq!(scorecard(Some(dec("0.625")), 1.0).value, Some(dec("0.63")));
        assert_eq!(moar(Some(dec("0.005")), "points", 1.0).value, Some(dec("0.01")));
    }

    #[test]
    fn efforts_divide_as_typed() {
        // 1.1 as a float is 1.100000000000000088…; the score divides by 1.1: 11 ÷ 1.1 = 10
        assert_eq!(moar(Some(dec("11")), "points", 1.1).value, Some(dec("10.00")));
        assert_eq!(decimal(0.01), dec("0.01"));
        assert_eq!(decimal(100_000.0), dec("100000"));
        assert_eq!(figure(dec("1234567.50")), "1,234,567.5");
        assert_eq!(two_decimals(dec("5300")), "5,300.00");
    }

    #[test]
    fn the_scorecard_value_weighs_every_driver_unset_as_zero() {
        let driver = |weight, max, value| WeighedDriver { weight, max, value };
        // Strategic fit ×3 4/5, customer demand ×2 5/10, revenue ×1 unset:
        // 100 × (3 × 0.8 + 2 × 0.5 + 0) ÷ 6 = 56.666…
        let value = scorecard_value(&[
            driver(dec("3"), 5, Some(4)),
            driver(dec("2"), 10, Some(5)),
            driver(dec("1"), 5, None),
        ]);
        assert_eq!(value, Some(dec("56.6666666667")));
        assert_eq!(scorecard_value(&[driver(dec("1"), 5, Some(5))]), Some(dec("100")));
        assert_eq!(scorecard_value(&[]), None);
    }
}
