//! OKRs for the demo and for `cairn seed`: every portfolio sets an objective for the current
//! quarter that supports its parent's, measured by key results whose values have moved through the
//! quarter in a few check-ins, and linked to the initiatives that move them. The top of the
//! hierarchy also keeps last quarter's objectives, so that a review can look back.

use std::collections::HashMap;

use chrono::{Duration, NaiveDate, Utc};
use rand::Rng;
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rust_decimal::Decimal;
use uuid::Uuid;

use crate::db::bulk::{NewCheckIn, NewInitiative, NewKeyResult, NewObjective, NewPortfolio, Okrs};
use crate::domain::period::Period;
use crate::domain::{PortfolioLevel, Status};

/// A key result to draw: title (`{}` is the portfolio's name), start, target, unit.
type Measure = (&'static str, i64, i64, &'static str);
/// An objective to draw: its title and its key results.
type Goal = (&'static str, &'static [Measure]);

/// Written objectives for named portfolios; the rest draw from `BY_LEVEL`.
pub(crate) type Written = &'static [(&'static str, &'static [Goal])];

const BY_LEVEL: [(PortfolioLevel, &[Goal]); 4] = [
    (
        PortfolioLevel::Portfolio,
        &[(
            "Grow revenue from the customers we have",
            &[
                ("Net revenue retention (%)", 104, 112, "%"),
                ("Logo churn per quarter (%)", 4, 2, "%"),
            ],
        )],
    ),
    (
        PortfolioLevel::ProductLine,
        &[
            (
                "Make {} the reason customers renew",
                &[
                    ("{} weekly active accounts", 1_800, 2_600, "accounts"),
                    ("{} NPS", 31, 45, "pts"),
                ],
            ),
            (
                "Make {} enterprise-grade",
                &[
                    ("Deals blocked on {} gaps", 14, 2, "deals"),
                    ("{} P1 incidents per month", 6, 1, "incidents"),
                ],
            ),
        ],
    ),
    (
        PortfolioLevel::Product,
        &[
            (
                "Make {} the easiest to adopt",
                &[
                    ("Days to first value in {}", 14, 5, "days"),
                    ("Accounts using {} weekly", 900, 1_400, "accounts"),
                ],
            ),
            (
                "Raise {} to the enterprise quality bar",
                &[
                    ("{} availability incidents per quarter", 8, 2, "incidents"),
                    ("Open {} escalations", 23, 5, "escalations"),
                ],
            ),
            (
                "Grow {} revenue",
                &[
                    ("{} new ARR (k€)", 0, 1_200, "k€"),
                    ("{} expansion deals closed", 0, 25, "deals"),
                ],
            ),
        ],
    ),
    (
        PortfolioLevel::Area,
        &[
            (
                "Ship what {} customers ask for most",
                &[("Top-10 {} requests delivered", 0, 10, "requests")],
            ),
            (
                "Make {} faster and more reliable",
                &[
                    ("{} p95 latency (ms)", 900, 300, "ms"),
                    ("{} support tickets per week", 40, 15, "tickets"),
                ],
            ),
            (
                "Make {} customers happier",
                &[
                    ("{} customer satisfaction (%)", 72, 85, "%"),
                    ("Top {} complaints fixed", 0, 8, "fixes"),
                ],
            ),
        ],
    ),
];

const CHECK_IN_NOTES: [&str; 5] = [
    "Moved after the release last week.",
    "Measured from the new dashboard.",
    "Slower than planned: waiting on the platform change.",
    "Big customer went live.",
    "Measured at the monthly review.",
];

/// Objectives of `period` (and the one before it for the top two levels) for every portfolio, in
/// the order of `portfolios` (parents first).
pub(crate) fn plan(
    rng: &mut StdRng,
    today: NaiveDate,
    period: Period,
    portfolios: &[NewPortfolio],
    initiatives: &[NewInitiative],
    written: Written,
    fallback_author: Uuid,
) -> Okrs {
    let mut plan = Okrs::default();
    let (start, _) = period.dates(1);
    let elapsed = period.elapsed(today, 1);
    let mut attached: HashMap<Uuid, Vec<&NewInitiative>> = HashMap::new();
    for initiative in initiatives.iter().filter(|i| i.status != Status::Cancelled) {
        attached
            .entry(initiative.portfolio_id)
            .or_default()
            .push(initiative);
    }
    let mut objective_of: HashMap<Uuid, Uuid> = HashMap::new();
    for portfolio in portfolios {
        let goals = written
            .iter()
            .find(|(name, _)| *name == portfolio.name)
            .map(|(_, goals)| *goals)
            .unwrap_or_else(|| {
                let drawn = BY_LEVEL
                    .iter()
                    .find(|(level, _)| *level == portfolio.level)
                    .map(|(_, goals)| *goals)
                    .unwrap_or(&[]);
                drawn.choose(rng).map(std::slice::from_ref).unwrap_or(&[])
            });
        let parent = portfolio.parent_id.and_then(|p| objective_of.get(&p).copied());
        let author = portfolio.owner_id.unwrap_or(fallback_author);
        for (g, (title, measures)) in goals.iter().enumerate() {
            let objective_id = Uuid::now_v7();
            if g == 0 {
                objective_of.insert(portfolio.id, objective_id);
            }
            plan.objectives.push(NewObjective {
                id: objective_id,
                portfolio_id: portfolio.id,
                period: period.to_string(),
                title: title.replace("{}", &portfolio.name),
                owner_id: portfolio.owner_id,
                parent_id: parent,
            });
            // How far along this objective is against the time gone: most near pace, some behind.
            let pace = *[0.35, 0.6, 0.85, 1.0, 1.15].choose(rng).expect("not empty");
            for (position, measure) in measures.iter().enumerate() {
                let fraction = (elapsed * pace * rng.gen_range(0.8..1.2)).clamp(0.0, 1.0);
                let key_result = draw(measure, &portfolio.name, objective_id, position, fraction);
                plan.check_ins
                    .extend(check_ins(rng, &key_result, author, start, today));
                let work = attached.get(&portfolio.id).map(Vec::as_slice).unwrap_or(&[]);
                plan.links.extend(
                    work.choose_multiple(rng, 2)
                        .map(|initiative| (initiative.id, key_result.id)),
                );
                plan.key_results.push(key_result);
            }
        }
        // Last quarter, finished, for the levels a quarterly review looks back at.
        if matches!(
            portfolio.level,
            PortfolioLevel::Portfolio | PortfolioLevel::ProductLine
        ) && let Some((title, measures)) = goals.first()
        {
            let objective_id = Uuid::now_v7();
            plan.objectives.push(NewObjective {
                id: objective_id,
                portfolio_id: portfolio.id,
                period: period.previous().to_string(),
                title: title.replace("{}", &portfolio.name),
                owner_id: portfolio.owner_id,
                parent_id: None,
            });
            for (position, measure) in measures.iter().enumerate() {
                let fraction = rng.gen_range(0.5..1.0);
                plan.key_results
                    .push(draw(measure, &portfolio.name, objective_id, position, fraction));
            }
        }
    }
    plan
}

/// A key result `fraction` of the way from its start to its target.
fn draw(measure: &Measure, name: &str, objective_id: Uuid, position: usize, fraction: f64) -> NewKeyResult {
    let (title, start, target, unit) = *measure;
    let (start, target) = (Decimal::from(start), Decimal::from(target));
    let fraction = Decimal::from_f64_retain(fraction).unwrap_or_default().round_dp(2);
    NewKeyResult {
        id: Uuid::now_v7(),
        objective_id,
        title: title.replace("{}", name),
        start_value: start,
        target_value: target,
        current_value: (start + (target - start) * fraction).round(),
        unit: unit.to_owned(),
        weight: Decimal::ONE,
        position: position as i32,
    }
}

/// A few check-ins between the quarter's start and today, ending at the current value.
fn check_ins(
    rng: &mut StdRng,
    key_result: &NewKeyResult,
    author: Uuid,
    start: NaiveDate,
    today: NaiveDate,
) -> Vec<NewCheckIn> {
    let days = (today - start).num_days().max(1);
    let steps = rng.gen_range(1..=4_i64).min(days);
    let mut previous = key_result.start_value;
    (1..=steps)
        .map(|step| {
            let value = if step == steps {
                key_result.current_value
            } else {
                (key_result.start_value
                    + (key_result.current_value - key_result.start_value) * Decimal::from(step)
                        / Decimal::from(steps))
                .round()
            };
            let day = start + Duration::days(days * step / (steps + 1));
            let check_in = NewCheckIn {
                key_result_id: key_result.id,
                author_id: author,
                created_at: day
                    .and_hms_opt(9, 30, 0)
                    .expect("valid time")
                    .and_utc()
                    .min(Utc::now()),
                value,
                previous_value: previous,
                note: rng
                    .gen_bool(0.5)
                    .then(|| CHECK_IN_NOTES.choose(rng).expect("not empty").to_string()),
            };
            previous = value;
            check_in
        })
        .collect()
}
