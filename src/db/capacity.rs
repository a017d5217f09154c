//! Capacity per portfolio and fiscal quarter, and the subtree's demand against it (SPEC §8). The
//! sums are kept per subtree and quarter by the triggers of migrations/0020_capacity.sql, so a read
//! is a few index lookups for the portfolio and its children, at any organization size.

use std::collections::HashMap;

use rust_decimal::Decimal;
use serde::Serialize;
use sqlx::{PgConnection, PgExecutor};
use uuid::Uuid;

use super::TenantPool;
use super::orgs::Calendar;
use super::portfolios::Portfolio;
use super::rollup::Plan;
use crate::domain::capacity::{QuarterFigures, QuarterParts, quarters};
use crate::domain::period::Period;
use crate::domain::permissions::Caller;
use crate::domain::{Lifecycle, PortfolioLevel};
use crate::error::AppError;

/// SPEC §8: `{quarters, unscheduled, children: [{portfolio, quarters}]}` for one portfolio.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Capacity {
    pub portfolio: Portfolio,
    #[serde(flatten)]
    pub figures: SubtreeCapacity,
    pub children: Vec<ChildCapacity>,
}

/// One subtree's quarters and its work without dates.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct SubtreeCapacity {
    pub quarters: Vec<QuarterFigures>,
    /// Effort of planned and in-progress work missing a start or target date (person-weeks).
    #[serde(with = "rust_decimal::serde::float")]
    #[schema(value_type = f64)]
    pub unscheduled: Decimal,
    /// Effort of proposed work missing a start or target date, apart from `unscheduled`.
    #[serde(with = "rust_decimal::serde::float")]
    #[schema(value_type = f64)]
    pub unscheduled_proposed: Decimal,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ChildCapacity {
    pub portfolio: Portfolio,
    #[serde(flatten)]
    pub figures: SubtreeCapacity,
}

/// What one portfolio's own people give in a quarter, as set.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct CapacitySet {
    pub portfolio_id: Uuid,
    pub period: Period,
    #[serde(with = "rust_decimal::serde::float")]
    #[schema(value_type = f64)]
    pub person_weeks: Decimal,
    /// What `If-Match` names to set it again (also the answer's `ETag`); 0 for a quarter never set.
    pub version: i64,
}

/// A portfolio's own capacity in one quarter as its forms show it: 0 and version 0 where none is set.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct OwnCapacity {
    pub person_weeks: Decimal,
    pub version: i64,
}

/// Sets the person-weeks the portfolio's own people give in `period`; whoever may edit it may.
pub async fn set(
    pool: &TenantPool,
    caller: &Caller,
    portfolio_id: Uuid,
    period: Period,
    person_weeks: Decimal,
    expected: Option<i64>,
) -> Result<CapacitySet, AppError> {
    let mut tx = pool.begin().await?;
    let set = set_in(&mut tx, caller, portfolio_id, period, person_weeks, expected).await?;
    tx.commit().await?;
    Ok(set)
}

/// `set` inside a transaction the caller holds (a scenario's apply). With `expected`, the write is
/// refused (`PreconditionFailed`) unless the quarter is still at that version (0: never set) — or
/// already holds `person_weeks`, which both writers agree on.
pub async fn set_in(
    tx: &mut super::Tx<'_>,
    caller: &Caller,
    portfolio_id: Uuid,
    period: Period,
    person_weeks: Decimal,
    expected: Option<i64>,
) -> Result<CapacitySet, AppError> {
    let org_id = caller.org_id;
    // An unknown id is 404 whoever asks, before any permission check.
    sqlx::query_scalar!(
        "SELECT id FROM portfolios WHERE org_id = $1 AND id = $2",
        org_id,
        portfolio_id
    )
    .fetch_one(&mut **tx)
    .await?;
    super::permissions::require_portfolio_editor(&mut **tx, caller, portfolio_id).await?;
    let quarter = period.to_string();
    let current = sqlx::query!(
        "SELECT person_weeks, version FROM portfolio_capacity
         WHERE org_id = $1 AND portfolio_id = $2 AND quarter = $3 FOR UPDATE",
        org_id,
        portfolio_id,
        quarter
    )
    .fetch_optional(&mut **tx)
    .await?;
    let seen = current.as_ref().map_or(0, |row| row.version);
    if current
        .as_ref()
        .is_some_and(|row| row.person_weeks == person_weeks)
    {
        // Already so: nothing to write (no new version, no data version bump), whatever the
        // client saw, since both writers agree.
        return Ok(CapacitySet {
            portfolio_id,
            period,
            person_weeks,
            version: seen,
        });
    }
    if expected.is_some_and(|expected| expected != seen) {
        return Err(AppError::PreconditionFailed);
    }
    // A quarter never set has no row to lock: of two writers setting it at once, one inserts and
    // the other meets that row here, at a version it did not see — refused if it named one.
    let version = sqlx::query_scalar!(
        r#"INSERT INTO portfolio_capacity (org_id, portfolio_id, quarter, person_weeks)
           VALUES ($1, $2, $3, $4)
           ON CONFLICT (org_id, portfolio_id, quarter) DO UPDATE SET person_weeks = excluded.person_weeks,
               updated_at = now(), version = portfolio_capacity.version + 1
           WHERE $5::bigint IS NULL OR portfolio_capacity.version = $5
           RETURNING version"#,
        org_id,
        portfolio_id,
        quarter,
        person_weeks,
        expected
    )
    .fetch_optional(&mut **tx)
    .await?
    .ok_or(AppError::PreconditionFailed)?;
    Ok(CapacitySet {
        portfolio_id,
        period,
        person_weeks,
        version,
    })
}

/// The portfolio's own capacity (not its subtree's) in each of `periods`, with its version: what
/// its forms show and send back.
pub async fn own(
    executor: impl PgExecutor<'_>,
    org_id: Uuid,
    portfolio_id: Uuid,
    periods: &[Period],
) -> Result<Vec<OwnCapacity>, AppError> {
    let names: Vec<String> = periods.iter().map(Period::to_string).collect();
    let rows = sqlx::query!(
        "SELECT quarter, person_weeks, version FROM portfolio_capacity
         WHERE org_id = $1 AND portfolio_id = $2 AND quarter = ANY($3)",
        org_id,
        portfolio_id,
        &names
    )
    .fetch_all(executor)
    .await?;
    let set: HashMap<String, OwnCapacity> = rows
        .into_iter()
        .map(|r| {
            let own = OwnCapacity {
                person_weeks: r.person_weeks,
                version: r.version,
            };
            (r.quarter, own)
        })
        .collect();
    Ok(names
        .iter()
        .map(|name| set.get(name).copied().unwrap_or_default())
        .collect())
}

/// The capacity of the portfolio's subtree in `period` (Σ over its portfolios; 0 when none is set
/// or the portfolio is not the organization's): for the priorities' cut line.
pub async fn subtree_capacity(
    pool: &TenantPool,
    portfolio_id: Uuid,
    period: &Period,
) -> Result<Decimal, AppError> {
    subtree_capacity_in(pool, pool.org_id(), portfolio_id, period).await
}

/// `subtree_capacity` on a connection or transaction the caller holds.
pub async fn subtree_capacity_in(
    executor: impl PgExecutor<'_>,
    org_id: Uuid,
    portfolio_id: Uuid,
    period: &Period,
) -> Result<Decimal, AppError> {
    Ok(sqlx::query_scalar!(
        r#"SELECT coalesce((SELECT capacity FROM portfolio_quarter_totals
                            WHERE org_id = $1 AND portfolio_id = $2 AND quarter = $3), 0) AS "capacity!""#,
        org_id,
        portfolio_id,
        period.to_string()
    )
    .fetch_one(executor)
    .await?)
}

/// Capacity against demand for the portfolio and each child over `count` quarters from `from`
/// (default: the current fiscal quarter), on one snapshot.
pub async fn capacity(
    pool: &TenantPool,
    plan: Plan,
    portfolio_id: Uuid,
    from: Option<Period>,
    count: u32,
) -> Result<Capacity, AppError> {
    let mut tx = pool.begin_snapshot().await?;
    let calendar = super::orgs::calendar_in(&mut *tx, pool.org_id()).await?;
    let from = from.unwrap_or_else(|| calendar.current_quarter());
    let answer = capacity_in(&mut tx, pool.org_id(), plan, portfolio_id, &quarters(from, count)).await?;
    tx.commit().await?;
    Ok(answer)
}

/// The next `count` quarters from the organization's current one.
pub fn upcoming(calendar: Calendar, count: u32) -> Vec<Period> {
    quarters(calendar.current_quarter(), count)
}

/// Each listed initiative's demand in `period` (SPEC §8: effort × days in the quarter ÷ its days),
/// for the initiatives among `ids` whose dates touch it: the list's "share of the quarter".
pub async fn quarter_shares(
    executor: impl PgExecutor<'_>,
    org_id: Uuid,
    ids: &[Uuid],
    period: Period,
) -> Result<HashMap<Uuid, Decimal>, AppError> {
    let rows = sqlx::query!(
        r#"SELECT i.id, s.share AS "share!"
           FROM initiatives i
           JOIN organizations o ON o.id = i.org_id
           CROSS JOIN LATERAL initiative_quarter_shares(i.effort::numeric, i.start_date, i.target_date,
                                                        o.fiscal_year_start_month) s
           WHERE i.org_id = $1 AND i.id = ANY($2) AND s.quarter = $3
             AND i.start_date IS NOT NULL AND i.target_date IS NOT NULL"#,
        org_id,
        ids,
        period.to_string()
    )
    .fetch_all(executor)
    .await?;
    Ok(rows.into_iter().map(|row| (row.id, row.share)).collect())
}

/// A scenario's effect on one subtree's quarter (`quarter` null: on its work without dates).
struct MovedRow {
    portfolio_id: Uuid,
    quarter: Option<String>,
    capacity: Decimal,
    demand: Decimal,
    proposed: Decimal,
}

struct QuarterRow {
    portfolio_id: Uuid,
    quarter: String,
    capacity: Decimal,
    demand: Decimal,
    proposed: Decimal,
}

/// `capacity` for the given quarters inside a transaction the caller holds (a page reads it with
/// the roll-up).
pub async fn capacity_in(
    tx: &mut PgConnection,
    org_id: Uuid,
    plan: Plan,
    portfolio_id: Uuid,
    periods: &[Period],
) -> Result<Capacity, AppError> {
    let portfolios = sqlx::query_as!(
        Portfolio,
        r#"SELECT id, name, description, level AS "level: PortfolioLevel", parent_id, owner_id,
                  lifecycle AS "lifecycle: Lifecycle", position, version, created_at, updated_at
           FROM portfolios WHERE org_id = $1 AND (id = $2 OR parent_id = $2)
           ORDER BY id <> $2, position, name"#,
        org_id,
        portfolio_id
    )
    .fetch_all(&mut *tx)
    .await?;
    if portfolios.first().is_none_or(|p| p.id != portfolio_id) {
        return Err(AppError::NotFound);
    }
    let ids: Vec<Uuid> = portfolios.iter().map(|p| p.id).collect();
    let names: Vec<String> = periods.iter().map(Period::to_string).collect();
    let rows = sqlx::query_as!(
        QuarterRow,
        "SELECT portfolio_id, quarter, capacity, demand, proposed FROM portfolio_quarter_totals
         WHERE org_id = $1 AND portfolio_id = ANY($2) AND quarter = ANY($3)",
        org_id,
        &ids,
        &names
    )
    .fetch_all(&mut *tx)
    .await?;
    let unscheduled = sqlx::query!(
        "SELECT portfolio_id, demand, proposed FROM portfolio_unscheduled
         WHERE org_id = $1 AND portfolio_id = ANY($2)",
        org_id,
        &ids
    )
    .fetch_all(&mut *tx)
    .await?;
    // A scenario's effect (migrations/0022_scenarios.sql): rows of the same shape, a null quarter
    // for work without dates, added to the live sums.
    let moved = match plan {
        Plan::Live => Vec::new(),
        Plan::Scenario(scenario) => {
            sqlx::query_as!(
                MovedRow,
                r#"SELECT c.ancestor_id AS "portfolio_id!", c.quarter, sum(c.capacity) AS "capacity!",
                          sum(c.demand) AS "demand!", sum(c.proposed) AS "proposed!"
                   FROM unnest(scenario_capacity_changes($1, $2)) c
                   WHERE c.ancestor_id = ANY($3) AND (c.quarter IS NULL OR c.quarter = ANY($4))
                   GROUP BY c.ancestor_id, c.quarter"#,
                org_id,
                scenario,
                &ids,
                &names
            )
            .fetch_all(&mut *tx)
            .await?
        }
    };
    let mut parts: HashMap<(Uuid, &str), QuarterParts> = HashMap::new();
    for row in &rows {
        let part = QuarterParts {
            capacity: row.capacity,
            demand: row.demand,
            proposed: row.proposed,
        };
        parts.insert((row.portfolio_id, row.quarter.as_str()), part);
    }
    let mut undated: HashMap<Uuid, (Decimal, Decimal)> = unscheduled
        .into_iter()
        .map(|r| (r.portfolio_id, (r.demand, r.proposed)))
        .collect();
    for row in &moved {
        match row.quarter.as_deref() {
            Some(quarter) => {
                let part = parts.entry((row.portfolio_id, quarter)).or_default();
                part.capacity += row.capacity;
                part.demand += row.demand;
                part.proposed += row.proposed;
            }
            None => {
                let (demand, proposed) = undated.entry(row.portfolio_id).or_default();
                *demand += row.demand;
                *proposed += row.proposed;
            }
        }
    }
    let subtree = |id: Uuid| {
        let quarters = periods
            .iter()
            .zip(&names)
            .map(|(period, name)| {
                QuarterFigures::new(
                    *period,
                    parts.get(&(id, name.as_str())).copied().unwrap_or_default(),
                )
            })
            .collect();
        let (unscheduled, unscheduled_proposed) = undated.get(&id).copied().unwrap_or_default();
        SubtreeCapacity {
            quarters,
            unscheduled: unscheduled.normalize(),
            unscheduled_proposed: unscheduled_proposed.normalize(),
        }
    };
    let mut portfolios = portfolios.into_iter();
    let portfolio = portfolios.next().expect("checked above");
    let figures = subtree(portfolio.id);
    let children = portfolios
        .map(|child| ChildCapacity {
            figures: subtree(child.id),
            portfolio: child,
        })
        .collect();
    Ok(Capacity {
        portfolio,
        figures,
        children,
    })
}
