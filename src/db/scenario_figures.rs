//! A scenario's figures and the compare of two plans (SPEC §9). Nothing here computes a figure:
//! `db::rollup` and `db::capacity` read the live sums and add a scenario's effect themselves, so
//! a scenario's figures and the live ones are one implementation of the math.

use std::sync::Arc;

use serde::Serialize;
use uuid::Uuid;

use super::capacity::{Capacity, capacity_in, upcoming};
use super::portfolios::Portfolio;
use super::rollup::{ChildFigures, Plan, Rollup, rollup_in};
use super::scenarios::{
    CapacityChange, ChangeRow, Hypothetical, Scenario, capacity_of, changes_of, get_in, hypotheticals_of,
    in_subtree,
};
use super::{DataStamp, TenantPool, Tx};
use crate::domain::capacity::QuarterFigures;
use crate::domain::period::Period;
use crate::domain::rollup::{Figures, ThemeShare};
use crate::domain::scenario::{FiguresDiff, difference};
use crate::error::AppError;
use crate::read_cache::ReadCache;

/// The roll-up of `portfolio_id` (default: the scenario's portfolio) with the scenario's changes.
pub async fn rollup(
    pool: &TenantPool,
    scenario_id: Uuid,
    portfolio_id: Option<Uuid>,
    period: Option<Period>,
) -> Result<Rollup, AppError> {
    let mut tx = pool.begin_snapshot().await?;
    let org_id = pool.org_id();
    let scenario = get_in(&mut tx, org_id, scenario_id).await?;
    let portfolio_id = shown(&mut tx, org_id, &[&scenario], portfolio_id).await?;
    let rollup = rollup_in(
        &mut tx,
        org_id,
        Plan::Scenario(scenario_id),
        portfolio_id,
        period,
        0,
    )
    .await?;
    tx.commit().await?;
    Ok(rollup)
}

/// Capacity against demand of `portfolio_id` (default: the scenario's portfolio) with the
/// scenario's changes, over `count` quarters from `from` (default: the current one).
pub async fn capacity(
    pool: &TenantPool,
    scenario_id: Uuid,
    portfolio_id: Option<Uuid>,
    from: Option<Period>,
    count: u32,
) -> Result<Capacity, AppError> {
    let mut tx = pool.begin_snapshot().await?;
    let org_id = pool.org_id();
    let scenario = get_in(&mut tx, org_id, scenario_id).await?;
    let portfolio_id = shown(&mut tx, org_id, &[&scenario], portfolio_id).await?;
    let calendar = super::orgs::calendar_in(&mut *tx, org_id).await?;
    let from = from.unwrap_or_else(|| calendar.current_quarter());
    let periods = crate::domain::capacity::quarters(from, count);
    let answer = capacity_in(
        &mut tx,
        org_id,
        Plan::Scenario(scenario_id),
        portfolio_id,
        &periods,
    )
    .await?;
    tx.commit().await?;
    Ok(answer)
}

/// The portfolio a scenario's figures are read for: the one asked for, which must lie in every
/// scenario's subtree (422 on `portfolio_id` otherwise), or the first scenario's own.
pub(crate) async fn shown(
    tx: &mut Tx<'_>,
    org_id: Uuid,
    scenarios: &[&Scenario],
    asked: Option<Uuid>,
) -> Result<Uuid, AppError> {
    let Some(first) = scenarios.first() else {
        return asked.ok_or_else(|| AppError::field("portfolio_id", "is required when both sides are live"));
    };
    let portfolio_id = asked.unwrap_or(first.portfolio_id);
    for scenario in scenarios {
        if !in_subtree(tx, org_id, scenario.portfolio_id, portfolio_id).await? {
            return Err(AppError::field(
                "portfolio_id",
                format!("is not in the subtree of scenario \"{}\"", scenario.name),
            ));
        }
    }
    Ok(portfolio_id)
}

/// One side of a compare: a plan's figures for the portfolio and each child, its investment mix
/// and its capacity against demand over the next four quarters.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Side {
    /// `live` or the scenario's id.
    pub plan: String,
    /// "Live plan" or the scenario's name.
    pub name: String,
    pub scenario: Option<Scenario>,
    pub totals: Figures,
    pub children: Vec<ChildFigures>,
    pub themes: Vec<ThemeShare>,
    pub capacity: Capacity,
    /// The scenario's changes with who made them (none for the live plan).
    pub changes: Vec<ChangeRow>,
    pub initiatives: Vec<Hypothetical>,
    /// The capacities the scenario sets, beside the live ones.
    pub capacity_changes: Vec<CapacityChange>,
}

/// `GET /scenarios/compare`: two plans side by side for one portfolio, and b − a.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Comparison {
    pub portfolio: Portfolio,
    pub period: Period,
    /// The organization's currency, for showing budgets; not part of the API's shape.
    #[serde(skip)]
    pub currency: String,
    pub a: Side,
    pub b: Side,
    pub differences: Differences,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Differences {
    pub totals: FiguresDiff,
    pub children: Vec<ChildDiff>,
    pub themes: Vec<ThemeDiff>,
    /// Per quarter, over the portfolio's subtree.
    pub capacity: Vec<QuarterDiff>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ChildDiff {
    pub portfolio_id: Uuid,
    pub name: String,
    #[serde(flatten)]
    pub difference: FiguresDiff,
}

/// A theme's share in both plans, against its target.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ThemeDiff {
    pub theme_id: Option<Uuid>,
    pub name: String,
    pub target_share: Option<f64>,
    pub a: Option<f64>,
    pub b: Option<f64>,
    pub difference: Option<f64>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct QuarterDiff {
    pub period: Period,
    #[serde(with = "rust_decimal::serde::float")]
    #[schema(value_type = f64)]
    pub capacity: rust_decimal::Decimal,
    #[serde(with = "rust_decimal::serde::float")]
    #[schema(value_type = f64)]
    pub demand: rust_decimal::Decimal,
    #[serde(with = "rust_decimal::serde::float")]
    #[schema(value_type = f64)]
    pub proposed: rust_decimal::Decimal,
    #[serde(with = "rust_decimal::serde::float")]
    #[schema(value_type = f64)]
    pub free: rust_decimal::Decimal,
}

/// Which compare: the organization (as in every key of `http::Caches`), both plans and the
/// portfolio asked for.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct ComparisonKey {
    org_id: Uuid,
    a: Plan,
    b: Plan,
    portfolio_id: Option<Uuid>,
}

impl Comparison {
    /// About how much memory it holds, for the cache's bound.
    fn bytes(&self) -> usize {
        let rows = |side: &Side| {
            side.children.len() * 2
                + side.changes.len()
                + side.initiatives.len()
                + side.capacity_changes.len()
        };
        4096 + (rows(&self.a) + rows(&self.b)) * 512
    }
}

/// Compares plan `a` with plan `b` for `portfolio_id` (default: the first scenario's portfolio),
/// every figure of both sides on one snapshot; from `cache` while the organization's data and
/// date are those it was read at (`crate::read_cache`: every write to a scenario bumps the data
/// version, as a live write does).
pub async fn compare(
    pool: &TenantPool,
    cache: &ReadCache<ComparisonKey, Comparison>,
    a: Plan,
    b: Plan,
    portfolio_id: Option<Uuid>,
) -> Result<Arc<Comparison>, AppError> {
    let mut tx = pool.begin_snapshot().await?;
    let org_id = pool.org_id();
    let stamp = DataStamp::read(&mut *tx, org_id).await?;
    let key = ComparisonKey {
        org_id,
        a,
        b,
        portfolio_id,
    };
    if let Some(kept) = cache.get(&key, stamp) {
        tx.commit().await?;
        return Ok(kept);
    }
    let mut scenarios = Vec::new();
    for plan in [a, b] {
        scenarios.push(match plan {
            Plan::Live => None,
            Plan::Scenario(id) => Some(get_in(&mut tx, org_id, id).await?),
        });
    }
    let known: Vec<&Scenario> = scenarios.iter().flatten().collect();
    let portfolio_id = shown(&mut tx, org_id, &known, portfolio_id).await?;
    let calendar = super::orgs::calendar_in(&mut *tx, org_id).await?;
    let periods = upcoming(calendar, 4);
    let mut sides = Vec::new();
    for (plan, scenario) in [a, b].into_iter().zip(scenarios) {
        let rollup = rollup_in(&mut tx, org_id, plan, portfolio_id, None, 0).await?;
        let capacity = capacity_in(&mut tx, org_id, plan, portfolio_id, &periods).await?;
        let (changes, initiatives, capacity_changes) = match &scenario {
            None => (Vec::new(), Vec::new(), Vec::new()),
            Some(scenario) => (
                changes_of(&mut tx, org_id, scenario.id).await?,
                hypotheticals_of(&mut tx, org_id, scenario.id).await?,
                capacity_of(&mut tx, org_id, scenario.id).await?,
            ),
        };
        sides.push((
            rollup,
            capacity,
            scenario,
            (changes, initiatives, capacity_changes),
        ));
    }
    tx.commit().await?;
    let mut sides = sides.into_iter().map(
        |(rollup, capacity, scenario, (changes, initiatives, capacity_changes))| {
            let (plan, name) = match &scenario {
                None => ("live".to_owned(), "Live plan".to_owned()),
                Some(scenario) => (scenario.id.to_string(), scenario.name.clone()),
            };
            (
                (rollup.portfolio, rollup.period, rollup.currency),
                Side {
                    plan,
                    name,
                    scenario,
                    totals: rollup.totals,
                    children: rollup.children,
                    themes: rollup.themes,
                    capacity,
                    changes,
                    initiatives,
                    capacity_changes,
                },
            )
        },
    );
    let ((portfolio, period, currency), a) = sides.next().expect("two sides");
    let (_, b) = sides.next().expect("two sides");
    let differences = Differences::between(&a, &b);
    let comparison = Arc::new(Comparison {
        portfolio,
        period,
        currency,
        a,
        b,
        differences,
    });
    cache.put(key, stamp, comparison.clone(), comparison.bytes());
    Ok(comparison)
}

impl Differences {
    fn between(a: &Side, b: &Side) -> Differences {
        // Both sides list the same children (a scenario moves no portfolio) in the same order.
        let children = a
            .children
            .iter()
            .zip(&b.children)
            .map(|(a, b)| ChildDiff {
                portfolio_id: a.portfolio.id,
                name: a.portfolio.name.clone(),
                difference: FiguresDiff::between(&a.figures, &b.figures),
            })
            .collect();
        let mut themes: Vec<ThemeDiff> = a
            .themes
            .iter()
            .map(|theme| {
                let other = b.themes.iter().find(|t| t.theme_id == theme.theme_id);
                let b_share = other.and_then(|t| t.share);
                ThemeDiff {
                    theme_id: theme.theme_id,
                    name: theme.name.clone(),
                    target_share: theme.target_share,
                    a: theme.share,
                    b: b_share,
                    difference: difference(theme.share.or(Some(0.0)), b_share.or(Some(0.0))),
                }
            })
            .collect();
        // "Unassigned" may exist on one side only.
        for theme in &b.themes {
            if !a.themes.iter().any(|t| t.theme_id == theme.theme_id) {
                themes.push(ThemeDiff {
                    theme_id: theme.theme_id,
                    name: theme.name.clone(),
                    target_share: theme.target_share,
                    a: None,
                    b: theme.share,
                    difference: difference(Some(0.0), theme.share.or(Some(0.0))),
                });
            }
        }
        let capacity = a
            .capacity
            .figures
            .quarters
            .iter()
            .zip(&b.capacity.figures.quarters)
            .map(|(a, b): (&QuarterFigures, &QuarterFigures)| QuarterDiff {
                period: a.period,
                capacity: b.capacity - a.capacity,
                demand: b.demand - a.demand,
                proposed: b.proposed - a.proposed,
                free: b.free - a.free,
            })
            .collect();
        Differences {
            totals: FiguresDiff::between(&a.totals, &b.totals),
            children,
            themes,
            capacity,
        }
    }
}
