//! Initiatives as lists show them (with their portfolio's and owner's names): the sortable list
//! page and its CSV export, and the roll-up page's "At risk" and "Late" watchlists.

use super::TenantPool;
use chrono::NaiveDate;
use futures_util::stream::BoxStream;
use rust_decimal::Decimal;
use sqlx::PgExecutor;
use uuid::Uuid;

use super::Timestamp;
use crate::domain::feedback::Demand;
use crate::domain::initiative::InitiativeFilter;
use crate::domain::scores::{ScoreInputs, Scores};
use crate::domain::{Health, InitiativeSort, Lifecycle, PortfolioLevel, Status, WorkScope};
use crate::error::AppError;

/// One row of an initiative list.
#[derive(Clone, Debug)]
pub struct ListedInitiative {
    pub id: Uuid,
    pub key: String,
    pub title: String,
    pub portfolio_id: Uuid,
    pub portfolio_name: String,
    pub owner_name: Option<String>,
    pub theme_name: Option<String>,
    pub status: Status,
    pub health: Health,
    pub progress: i16,
    pub effort: f64,
    pub budget: Option<i64>,
    pub start_date: Option<NaiveDate>,
    pub target_date: Option<NaiveDate>,
    pub reach: Option<i64>,
    pub impact: Option<f64>,
    pub confidence: Option<i16>,
    pub business_value: Option<i16>,
    pub time_criticality: Option<i16>,
    pub risk_reduction: Option<i16>,
    pub benefit: Option<Decimal>,
    pub scorecard_value: Option<Decimal>,
    /// The organization's manual order (SPEC §8), lowest first; null: never ranked.
    pub rank: Option<Decimal>,
    pub updated_at: Timestamp,
    /// At least one of its blockers is in conflict with it (SPEC §10).
    pub dependency_conflict: bool,
    /// Declared on track though behind its time by the organization's threshold (SPEC §10).
    pub optimistic: bool,
    /// Its demand's parts (SPEC §11): see `demand`.
    pub demand_requests: i32,
    pub demand_customers: i32,
    pub demand_customer_value: i64,
    pub demand_importance: i32,
}

impl ListedInitiative {
    /// The customer feedback linked to it, summed (SPEC §11).
    pub fn demand(&self) -> Demand {
        Demand {
            requests: self.demand_requests,
            customers: self.demand_customers,
            customer_value: self.demand_customer_value,
            importance: self.demand_importance,
        }
    }

    /// Its four scores (SPEC §8), MoAR's formula counting benefit in `benefit_unit` (a list that
    /// shows only the figures passes "").
    pub fn scores(&self, benefit_unit: &str) -> Scores {
        Scores::of(&ScoreInputs {
            reach: self.reach,
            impact: self.impact,
            confidence: self.confidence,
            effort: self.effort,
            business_value: self.business_value,
            time_criticality: self.time_criticality,
            risk_reduction: self.risk_reduction,
            benefit: self.benefit,
            benefit_unit,
            scorecard_value: self.scorecard_value,
        })
    }
}

/// The initiatives that pass `filter` in `sort` order, `limit` rows from `offset`; `limit: None`
/// for all of them (an export).
///
/// The filter is the API list's (`initiatives::list`); the order is the page's: soonest target,
/// highest RICE or latest change first, ties broken by key number so pages never overlap.
/// One search, with the ORDER BY of one sort: each order has an index that delivers it
/// (migrations/0006), so a page of 50 stops after about 50 rows instead of sorting the org.
macro_rules! search_sorted {
    ($from:literal, $in_subtree:literal, $order:literal, $org_id:expr, $filter:expr, $offset:expr, $limit:expr) => {
        sqlx::query_as!(
            ListedInitiative,
            r#"SELECT i.id, i.key, i.title, i.portfolio_id, p.name AS portfolio_name, u.name AS "owner_name?",
                      th.name AS "theme_name?", i.status AS "status: Status", i.health AS "health: Health",
                      i.progress, i.effort, i.budget, i.start_date, i.target_date, i.reach, i.impact, i.confidence,
                      i.business_value, i.time_criticality, i.risk_reduction, i.benefit, i.scorecard_value,
                      i.rank, i.updated_at, i.dependency_conflict,
                      coalesce(i.optimistic_from <= (SELECT (now() AT TIME ZONE o.time_zone)::date
                                                     FROM organizations o WHERE o.id = $1), false) AS "optimistic!",
                      i.demand_requests, i.demand_customers, i.demand_customer_value, i.demand_importance
               "# + $from + r#"
               JOIN portfolios p ON p.org_id = i.org_id AND p.id = i.portfolio_id
               LEFT JOIN users u ON u.id = i.owner_id
               LEFT JOIN themes th ON th.org_id = i.org_id AND th.id = i.theme_id
               WHERE i.org_id = $1 AND "# + $in_subtree + r#"
                 AND initiative_passes(i.status, i.health, i.owner_id, i.theme_id, i.target_date,
                       $3, $4, $5, $6, $7, $8, $9,
                       (SELECT (now() AT TIME ZONE o.time_zone)::date FROM organizations o WHERE o.id = $1))
                 AND initiative_in_quarter(i.start_date, i.target_date, $12,
                       (SELECT o.fiscal_year_start_month FROM organizations o WHERE o.id = $1))
                 AND (NOT $13 OR i.dependency_conflict)
                 AND (NOT $14 OR i.optimistic_from <= (SELECT (now() AT TIME ZONE o.time_zone)::date
                                                      FROM organizations o WHERE o.id = $1))
                 AND initiative_in_groups(i.org_id, i.id, i.portfolio_id, i.owner_id, $15, $16, $17, $18, $19, $20, $21)
               "# + $order + r#"
               OFFSET $10 LIMIT $11"#,
            $org_id,
            $filter.portfolio_id,
            $filter.status.map(Status::as_str),
            $filter.health.map(Health::as_str),
            $filter.owner_id,
            $filter.theme_id,
            $filter.unthemed,
            $filter.late,
            $filter.scope.map(WorkScope::as_str),
            $offset,
            $limit,
            $filter.quarter.map(|q| q.to_string()),
            $filter.dependency_conflict,
            $filter.optimistic,
            $filter.objective_id,
            $filter.lifecycle.map(Lifecycle::as_str),
            $filter.level.map(PortfolioLevel::as_str),
            $filter.unowned,
            $filter.unstaged,
            $filter.no_objective,
            $filter.objective_period.map(|p| p.to_string())
        )
    };
}

/// Runs `$body` with `$rows` bound to the search in `$order`. Where it starts depends on `$small`:
/// a small subtree from its closure rows, sorting what it finds; the whole organization or a large
/// subtree from the order's index, keeping the rows inside the subtree until it has a page.
macro_rules! search_from {
    ($small:expr, $order:literal, $org_id:expr, $filter:expr, $offset:expr, $limit:expr, |$rows:ident| $body:expr) => {
        if $small {
            let $rows = search_sorted!(
                "FROM portfolio_closure c
                 JOIN initiatives i ON i.org_id = c.org_id AND i.portfolio_id = c.descendant_id",
                "c.org_id = $1 AND c.ancestor_id = $2",
                $order, $org_id, $filter, $offset, $limit
            );
            $body
        } else {
            let $rows = search_sorted!(
                "FROM initiatives i",
                "($2::uuid IS NULL OR i.portfolio_id IN (
                     SELECT descendant_id FROM portfolio_closure WHERE org_id = $1 AND ancestor_id = $2))",
                $order, $org_id, $filter, $offset, $limit
            );
            $body
        }
    };
}

/// `search_from` in `$sort`'s order.
macro_rules! with_search {
    ($sort:expr, $small:expr, $org_id:expr, $filter:expr, $offset:expr, $limit:expr, |$rows:ident| $body:expr) => {
        match $sort {
            InitiativeSort::Target => search_from!(
                $small,
                "ORDER BY i.target_date ASC NULLS LAST, i.number",
                $org_id,
                $filter,
                $offset,
                $limit,
                |$rows| $body
            ),
            InitiativeSort::Rice => search_from!(
                $small,
                "ORDER BY (i.reach * i.impact * i.confidence / i.effort) DESC NULLS LAST, i.number",
                $org_id,
                $filter,
                $offset,
                $limit,
                |$rows| $body
            ),
            InitiativeSort::Updated => search_from!(
                $small,
                "ORDER BY i.updated_at DESC, i.number",
                $org_id,
                $filter,
                $offset,
                $limit,
                |$rows| $body
            ),
            InitiativeSort::Wsjf => search_from!(
                $small,
                "ORDER BY ((i.business_value + i.time_criticality + i.risk_reduction) / i.effort) DESC NULLS LAST, i.number",
                $org_id,
                $filter,
                $offset,
                $limit,
                |$rows| $body
            ),
            InitiativeSort::Moar => search_from!(
                $small,
                "ORDER BY (i.benefit / i.effort::numeric) DESC NULLS LAST, i.number",
                $org_id,
                $filter,
                $offset,
                $limit,
                |$rows| $body
            ),
            InitiativeSort::Scorecard => search_from!(
                $small,
                "ORDER BY (i.scorecard_value / i.effort::numeric) DESC NULLS LAST, i.number",
                $org_id,
                $filter,
                $offset,
                $limit,
                |$rows| $body
            ),
            InitiativeSort::Rank => search_from!(
                $small,
                "ORDER BY i.rank ASC NULLS LAST, i.number",
                $org_id,
                $filter,
                $offset,
                $limit,
                |$rows| $body
            ),
            InitiativeSort::Demand => search_from!(
                $small,
                "ORDER BY i.demand_importance DESC, i.demand_customer_value DESC, i.number",
                $org_id,
                $filter,
                $offset,
                $limit,
                |$rows| $body
            ),
        }
    };
}

/// One page of the list: `limit` rows after skipping `offset`.
pub async fn search(
    pool: &TenantPool,
    filter: &InitiativeFilter,
    sort: InitiativeSort,
    offset: i64,
    limit: i64,
) -> Result<Vec<ListedInitiative>, AppError> {
    let org_id = pool.org_id();
    let small = is_small_subtree(pool, org_id, filter).await?;
    search_planned(pool, filter, sort, offset, limit, small).await
}

/// `search` with its plan given: starting from the subtree (`small`) or from the order's index.
/// Both give the same rows; `search` picks the faster. Public so tests can hold the two to that.
pub async fn search_planned(
    pool: &TenantPool,
    filter: &InitiativeFilter,
    sort: InitiativeSort,
    offset: i64,
    limit: i64,
    small: bool,
) -> Result<Vec<ListedInitiative>, AppError> {
    let org_id = pool.org_id();
    Ok(with_search!(
        sort,
        small,
        org_id,
        filter,
        offset,
        Some(limit),
        |rows| rows.fetch_all(pool).await?
    ))
}

/// Every initiative that passes `filter`, row by row as the database sends them: an export of
/// 100,000 initiatives never sits in memory whole. `tx` works for the organization
/// (`TenantPool::begin`) and lives as long as the rows come.
pub fn search_all<'p>(
    tx: &'p mut sqlx::PgConnection,
    org_id: Uuid,
    filter: &InitiativeFilter,
    sort: InitiativeSort,
) -> BoxStream<'p, Result<ListedInitiative, sqlx::Error>> {
    let filter = *filter;
    // An export reads every matching row anyway: the org-wide order is always fine.
    with_search!(sort, false, org_id, filter, 0_i64, None::<i64>, |rows| Box::pin(
        rows.fetch(tx)
    ))
}

/// `search` inside a transaction (`conn` works for the organization `org_id`), as a read whose
/// statements must see one snapshot does.
pub async fn search_in(
    conn: &mut sqlx::PgConnection,
    org_id: Uuid,
    filter: &InitiativeFilter,
    sort: InitiativeSort,
    offset: i64,
    limit: i64,
) -> Result<Vec<ListedInitiative>, AppError> {
    let small = is_small_subtree(&mut *conn, org_id, filter).await?;
    Ok(with_search!(
        sort,
        small,
        org_id,
        filter,
        offset,
        Some(limit),
        |rows| rows.fetch_all(&mut *conn).await?
    ))
}

/// Whether the filter names a subtree small enough to read whole (its maintained count says).
async fn is_small_subtree(
    executor: impl PgExecutor<'_>,
    org_id: Uuid,
    filter: &InitiativeFilter,
) -> Result<bool, AppError> {
    let Some(portfolio_id) = filter.portfolio_id else {
        return Ok(false);
    };
    let size = sqlx::query_scalar!(
        r#"SELECT n_proposed + n_planned + n_in_progress + n_done + n_cancelled AS "size!"
           FROM portfolio_totals WHERE org_id = $1 AND portfolio_id = $2"#,
        org_id,
        portfolio_id
    )
    .fetch_optional(executor)
    .await?;
    Ok(size.is_some_and(|size| size <= SMALL_SUBTREE))
}

/// The roll-up page's watchlists: at most ten initiatives each (the optimistic ones those longest
/// optimistic), shown soonest target first (no date last, then by key number).
#[derive(Clone, Debug, Default)]
pub struct Watchlists {
    /// Active work whose health is at risk or off track.
    pub at_risk: Vec<ListedInitiative>,
    /// Open work past its target date in the organization's time zone.
    pub late: Vec<ListedInitiative>,
    /// Work with a blocker in conflict (SPEC §10).
    pub in_conflict: Vec<ListedInitiative>,
    /// Work declared on track though behind its time (SPEC §10).
    pub optimistic: Vec<ListedInitiative>,
}

impl Watchlists {
    pub fn len(&self) -> usize {
        self.at_risk.len() + self.late.len() + self.in_conflict.len() + self.optimistic.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Below this many initiatives in a subtree, reading them all through the closure and sorting
/// is cheaper than walking the organization's open work in target order.
const SMALL_SUBTREE: i64 = 2_000;

/// How the roll-up page's watchlists and "What changed" find a subtree's rows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SubtreePlan {
    /// Read every initiative of the subtree through the closure, then sort.
    ThroughClosure,
    /// Walk the organization's work in date order, keeping the subtree's, until enough are found.
    WalkOrganization,
}

impl SubtreePlan {
    /// Walking finds a subtree's rows soonest when the subtree is large, or holds a large share of
    /// the organization (a quarter or more: about one row in four walked is kept). A small
    /// organization's top portfolio is both small and the whole organization: read through the
    /// closure, its 1,000 initiatives made the root page slower at 1k than at 100k.
    pub fn for_subtree(subtree: i64, organization: i64) -> SubtreePlan {
        if subtree > SMALL_SUBTREE || subtree.saturating_mul(4) >= organization {
            SubtreePlan::WalkOrganization
        } else {
            SubtreePlan::ThroughClosure
        }
    }
}

/// A watchlist row, and which list it belongs to: `at_risk`, `late`, `conflict` or `optimistic`.
struct WatchlistRow {
    list: String,
    row: ListedInitiative,
}

/// The roll-up page's watchlists of `portfolio_id`'s subtree, found as `plan` says:
///
/// * through the closure: the subtree's initiatives, then the ten first of each list;
/// * walking the organization: its open work in target order (`initiatives_open_target_idx`),
///   keeping rows whose portfolio is in the subtree, until ten are found. The lists are subsets
///   of open work, and late work sorts first, so the walk stops early; the work in conflict and the
///   optimistic work walk their own partial indexes (migrations/0024). The subtree test is a
///   scalar subquery on purpose: an `EXISTS` would be turned into a join, and the generic plan
///   (which cannot know the subtree is large) would then start from the closure and read every
///   initiative of the organization.
pub async fn watchlists(
    executor: impl PgExecutor<'_>,
    org_id: Uuid,
    portfolio_id: Uuid,
    plan: SubtreePlan,
) -> Result<Watchlists, AppError> {
    macro_rules! watchlist_rows {
        ($from:literal, $in_subtree:literal) => {
            sqlx::query!(
                r#"WITH calendar AS (SELECT (now() AT TIME ZONE o.time_zone)::date AS today FROM organizations o WHERE o.id = $1),
                   -- Each list's first ten (id and order only), then their rows read once.
                   picked AS (
                         (SELECT 'at_risk' AS list, i.id "# + $from + r#"
                          WHERE "# + $in_subtree + r#"
                            AND initiative_is_active(i.status) AND i.health <> 'on_track'
                          ORDER BY i.target_date NULLS LAST, i.number
                          LIMIT 10)
                         UNION ALL
                         (SELECT 'late', i.id "# + $from + r#"
                          WHERE "# + $in_subtree + r#"
                            AND initiative_is_late(i.status, i.target_date, (SELECT today FROM calendar))
                          ORDER BY i.target_date NULLS LAST, i.number
                          LIMIT 10)
                         UNION ALL
                         (SELECT 'conflict', i.id "# + $from + r#"
                          WHERE "# + $in_subtree + r#" AND i.dependency_conflict
                          ORDER BY i.target_date NULLS LAST, i.number
                          LIMIT 10)
                         UNION ALL
                         (SELECT 'optimistic', i.id "# + $from + r#"
                          WHERE "# + $in_subtree + r#"
                            AND i.optimistic_from IS NOT NULL AND i.optimistic_from <= (SELECT today FROM calendar)
                          ORDER BY i.optimistic_from, i.number
                          LIMIT 10))
                   SELECT w.list AS "list!", i.id, i.key, i.title, i.portfolio_id, p.name AS portfolio_name,
                          u.name AS "owner_name?", i.status AS "status: Status", i.health AS "health: Health",
                          i.progress, i.effort, i.budget, i.start_date, i.target_date, i.reach, i.impact, i.confidence,
                          i.business_value, i.time_criticality, i.risk_reduction, i.benefit, i.scorecard_value,
                          i.rank, i.updated_at, i.dependency_conflict,
                          coalesce(i.optimistic_from <= (SELECT today FROM calendar), false) AS "optimistic!",
                          i.demand_requests, i.demand_customers, i.demand_customer_value, i.demand_importance
                   FROM picked w
                   JOIN initiatives i ON i.org_id = $1 AND i.id = w.id
                   JOIN portfolios p ON p.org_id = i.org_id AND p.id = i.portfolio_id
                   LEFT JOIN users u ON u.id = i.owner_id
                   ORDER BY w.list, i.target_date NULLS LAST, i.number"#,
                org_id,
                portfolio_id
            )
            .map(|r| WatchlistRow {
                list: r.list,
                row: ListedInitiative {
                    id: r.id,
                    key: r.key,
                    title: r.title,
                    portfolio_id: r.portfolio_id,
                    portfolio_name: r.portfolio_name,
                    owner_name: r.owner_name,
                    theme_name: None,
                    status: r.status,
                    health: r.health,
                    progress: r.progress,
                    effort: r.effort,
                    budget: r.budget,
                    start_date: r.start_date,
                    target_date: r.target_date,
                    reach: r.reach,
                    impact: r.impact,
                    confidence: r.confidence,
                    business_value: r.business_value,
                    time_criticality: r.time_criticality,
                    risk_reduction: r.risk_reduction,
                    benefit: r.benefit,
                    scorecard_value: r.scorecard_value,
                    rank: r.rank,
                    updated_at: r.updated_at,
                    dependency_conflict: r.dependency_conflict,
                    optimistic: r.optimistic,
                    demand_requests: r.demand_requests,
                    demand_customers: r.demand_customers,
                    demand_customer_value: r.demand_customer_value,
                    demand_importance: r.demand_importance,
                },
            })
            .fetch_all(executor)
            .await?
        };
    }
    let rows = if plan == SubtreePlan::ThroughClosure {
        watchlist_rows!(
            "FROM portfolio_closure c
             JOIN initiatives i ON i.org_id = c.org_id AND i.portfolio_id = c.descendant_id",
            "c.org_id = $1 AND c.ancestor_id = $2"
        )
    } else {
        watchlist_rows!(
            "FROM initiatives i",
            "i.org_id = $1
             AND (SELECT true FROM portfolio_closure c
                  WHERE c.org_id = $1 AND c.ancestor_id = $2 AND c.descendant_id = i.portfolio_id)"
        )
    };
    let mut lists = Watchlists::default();
    for WatchlistRow { list, row } in rows {
        match list.as_str() {
            "at_risk" => lists.at_risk.push(row),
            "late" => lists.late.push(row),
            "conflict" => lists.in_conflict.push(row),
            _ => lists.optimistic.push(row),
        }
    }
    Ok(lists)
}

#[cfg(test)]
mod tests {
    use super::SubtreePlan::{self, ThroughClosure, WalkOrganization};

    #[test]
    fn large_subtrees_and_large_shares_walk_the_organization() {
        for (subtree, organization, plan, what) in [
            (50, 100_000, ThroughClosure, "a PM's area"),
            (2_001, 100_000, WalkOrganization, "a product line"),
            (1_000, 1_000, WalkOrganization, "a small organization's top"),
            (250, 1_000, WalkOrganization, "a quarter of it"),
            (249, 1_000, ThroughClosure, "less than a quarter"),
            (0, 0, WalkOrganization, "an empty organization"),
        ] {
            assert_eq!(SubtreePlan::for_subtree(subtree, organization), plan, "{what}");
        }
    }
}
