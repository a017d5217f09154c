//! Initiatives as lists show them (with their portfolio's and owner's names): the sortable list
//! page and its CSV export, and the roll-up page's "At risk" and "Late" watchlists.

use chrono::NaiveDate;
use futures_util::Stream;
use sqlx::PgPool;
use uuid::Uuid;

use super::Timestamp;
use crate::domain::initiative::{InitiativeFilter, rice_score};
use crate::domain::{Health, InitiativeSort, Status, WorkScope};
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
    pub target_date: Option<NaiveDate>,
    pub reach: Option<i64>,
    pub impact: Option<f64>,
    pub confidence: Option<i16>,
    pub updated_at: Timestamp,
}

impl ListedInitiative {
    pub fn rice_score(&self) -> Option<f64> {
        rice_score(self.reach, self.impact, self.confidence, self.effort)
    }
}

/// The initiatives that pass `filter` in `sort` order, `limit` rows from `offset`; `limit: None`
/// for all of them (an export).
///
/// The filter is the API list's (`initiatives::list`); the order is the page's: soonest target,
/// highest RICE or latest change first, ties broken by key number so pages never overlap.
fn search_query(
    org_id: Uuid,
    filter: InitiativeFilter,
    sort: InitiativeSort,
    offset: i64,
    limit: Option<i64>,
) -> impl SearchRows {
    sqlx::query_as!(
        ListedInitiative,
        r#"SELECT i.id, i.key, i.title, i.portfolio_id, p.name AS portfolio_name, u.name AS "owner_name?",
                  th.name AS "theme_name?", i.status AS "status: Status", i.health AS "health: Health",
                  i.progress, i.effort, i.budget, i.target_date, i.reach, i.impact, i.confidence, i.updated_at
           FROM initiatives i
           JOIN portfolios p ON p.org_id = i.org_id AND p.id = i.portfolio_id
           LEFT JOIN users u ON u.id = i.owner_id
           LEFT JOIN themes th ON th.org_id = i.org_id AND th.id = i.theme_id
           WHERE i.org_id = $1
             AND ($2::uuid IS NULL OR i.portfolio_id IN (
                     SELECT descendant_id FROM portfolio_closure WHERE org_id = $1 AND ancestor_id = $2))
             AND ($3::text IS NULL OR i.status = $3)
             AND ($4::text IS NULL OR i.health = $4)
             AND ($5::uuid IS NULL OR i.owner_id = $5)
             AND ($6::uuid IS NULL OR i.theme_id = $6)
             AND (NOT $7 OR i.theme_id IS NULL)
             AND (NOT $8 OR (i.status NOT IN ('done', 'cancelled') AND i.target_date < (
                     SELECT (now() AT TIME ZONE o.time_zone)::date FROM organizations o WHERE o.id = $1)))
             AND ($9::text IS NULL OR ($9 = 'active' AND i.status IN ('planned', 'in_progress'))
                                   OR ($9 = 'not_cancelled' AND i.status <> 'cancelled'))
           ORDER BY CASE WHEN $10 = 'target' THEN i.target_date END ASC NULLS LAST,
                    CASE WHEN $10 = 'rice' THEN i.reach * i.impact * i.confidence / i.effort END DESC NULLS LAST,
                    CASE WHEN $10 = 'updated' THEN i.updated_at END DESC,
                    i.number
           OFFSET $11 LIMIT $12"#,
        org_id,
        filter.portfolio_id,
        filter.status.map(Status::as_str),
        filter.health.map(Health::as_str),
        filter.owner_id,
        filter.theme_id,
        filter.unthemed,
        filter.late,
        filter.scope.map(WorkScope::as_str),
        sort.as_str(),
        offset,
        limit
    )
}

/// The search query, fetched a page at once or streamed; a trait because the query's type names
/// the closure `query_as!` generates.
pub trait SearchRows {
    fn all(self, pool: &PgPool) -> impl Future<Output = Result<Vec<ListedInitiative>, sqlx::Error>> + Send;
    fn stream(self, pool: &PgPool) -> impl Stream<Item = Result<ListedInitiative, sqlx::Error>> + Send + '_;
}

impl<F> SearchRows for sqlx::query::Map<'static, sqlx::Postgres, F, sqlx::postgres::PgArguments>
where
    F: FnMut(sqlx::postgres::PgRow) -> Result<ListedInitiative, sqlx::Error> + Send + 'static,
{
    fn all(self, pool: &PgPool) -> impl Future<Output = Result<Vec<ListedInitiative>, sqlx::Error>> + Send {
        self.fetch_all(pool)
    }

    fn stream(self, pool: &PgPool) -> impl Stream<Item = Result<ListedInitiative, sqlx::Error>> + Send + '_ {
        self.fetch(pool)
    }
}

/// One page of the list: `limit` rows after skipping `offset`.
pub async fn search(
    pool: &PgPool,
    org_id: Uuid,
    filter: &InitiativeFilter,
    sort: InitiativeSort,
    offset: i64,
    limit: i64,
) -> Result<Vec<ListedInitiative>, AppError> {
    Ok(search_query(org_id, *filter, sort, offset, Some(limit))
        .all(pool)
        .await?)
}

/// Every initiative that passes `filter`, row by row as the database sends them: an export of
/// 100,000 initiatives never sits in memory whole.
pub fn search_all<'p>(
    pool: &'p PgPool,
    org_id: Uuid,
    filter: &InitiativeFilter,
    sort: InitiativeSort,
) -> impl Stream<Item = Result<ListedInitiative, sqlx::Error>> + Send + use<'p> {
    search_query(org_id, *filter, sort, 0, None).stream(pool)
}

/// The roll-up page's two watchlists.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Watchlist {
    /// Active work whose health is at risk or off track.
    AtRisk,
    /// Open work past its target date in the organization's time zone.
    Late,
}

/// How many initiatives a watchlist shows.
pub const WATCHLIST_LENGTH: i64 = 10;

/// Below this many initiatives in a subtree, reading them all through the closure and sorting
/// is cheaper than walking the organization's open work in target order.
pub const SMALL_SUBTREE: i64 = 2_000;

/// The first `WATCHLIST_LENGTH` initiatives of a watchlist in the subtree of `portfolio_id`,
/// soonest target first. `subtree_size` is the subtree's initiative count (the roll-up's
/// `counts.total`), which picks the plan:
/// * a small subtree: its initiatives by portfolio (closure join), filtered and sorted;
/// * a large one: the organization's open work in target order (`initiatives_open_target_idx`),
///   keeping rows whose portfolio is in the subtree, until ten are found. Both lists are subsets
///   of open work, and late work sorts first, so the walk stops early.
pub async fn watchlist(
    pool: &PgPool,
    org_id: Uuid,
    portfolio_id: Uuid,
    subtree_size: i64,
    list: Watchlist,
) -> Result<Vec<ListedInitiative>, AppError> {
    let at_risk = list == Watchlist::AtRisk;
    let rows = if subtree_size <= SMALL_SUBTREE {
        sqlx::query_as!(
            ListedInitiative,
            r#"SELECT i.id, i.key, i.title, i.portfolio_id, p.name AS portfolio_name, u.name AS "owner_name?",
                      NULL::text AS "theme_name?", i.status AS "status: Status", i.health AS "health: Health",
                      i.progress, i.effort, i.budget, i.target_date, i.reach, i.impact, i.confidence, i.updated_at
               FROM portfolio_closure c
               JOIN initiatives i ON i.org_id = c.org_id AND i.portfolio_id = c.descendant_id
               JOIN portfolios p ON p.org_id = i.org_id AND p.id = i.portfolio_id
               LEFT JOIN users u ON u.id = i.owner_id
               WHERE c.org_id = $1 AND c.ancestor_id = $2
                 AND i.status NOT IN ('done', 'cancelled')
                 AND CASE WHEN $3 THEN i.status IN ('planned', 'in_progress') AND i.health <> 'on_track'
                          ELSE i.target_date < (SELECT (now() AT TIME ZONE o.time_zone)::date
                                                FROM organizations o WHERE o.id = $1) END
               ORDER BY i.target_date NULLS LAST, i.number
               LIMIT $4"#,
            org_id,
            portfolio_id,
            at_risk,
            WATCHLIST_LENGTH
        )
        .fetch_all(pool)
        .await?
    } else {
        sqlx::query_as!(
            ListedInitiative,
            r#"SELECT i.id, i.key, i.title, i.portfolio_id, p.name AS portfolio_name, u.name AS "owner_name?",
                      NULL::text AS "theme_name?", i.status AS "status: Status", i.health AS "health: Health",
                      i.progress, i.effort, i.budget, i.target_date, i.reach, i.impact, i.confidence, i.updated_at
               FROM initiatives i
               JOIN portfolios p ON p.org_id = i.org_id AND p.id = i.portfolio_id
               LEFT JOIN users u ON u.id = i.owner_id
               WHERE i.org_id = $1
                 AND i.status NOT IN ('done', 'cancelled')
                 AND CASE WHEN $3 THEN i.status IN ('planned', 'in_progress') AND i.health <> 'on_track'
                          ELSE i.target_date < (SELECT (now() AT TIME ZONE o.time_zone)::date
                                                FROM organizations o WHERE o.id = $1) END
                 AND EXISTS (SELECT 1 FROM portfolio_closure c
                             WHERE c.org_id = $1 AND c.ancestor_id = $2 AND c.descendant_id = i.portfolio_id)
               ORDER BY i.target_date NULLS LAST, i.number
               LIMIT $4"#,
            org_id,
            portfolio_id,
            at_risk,
            WATCHLIST_LENGTH
        )
        .fetch_all(pool)
        .await?
    };
    Ok(rows)
}
