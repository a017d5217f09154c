//! Priorities (SPEC §8): a subtree's open work in the order of a score or of the manual rank, with
//! the running total of what is left of it held against the subtree's capacity for a quarter;
//! and the writes of the manual order — apply a score's order, move one initiative.
//!
//! The rank is numeric: a move takes the midpoint between the two neighbours and writes one row.
//! Ranks are the organization's one order, so a subtree's view is that order restricted to it; an
//! initiative moved before another lands right before it in every view holding both.

use std::cmp::Reverse;
use std::sync::Arc;

use rust_decimal::Decimal;
use uuid::Uuid;

use super::initiative_lists::{self, ListedInitiative};
use super::portfolios::Portfolio;
use super::users::Caller;
use super::{DataStamp, TenantPool, Tx, lock_org, permissions};
use crate::domain::initiative::InitiativeFilter;
use crate::domain::period::Period;
use crate::domain::priorities::{PrioritiesRequest, RunningTotal, Standing, remaining_effort};
use crate::domain::{RankBy, WorkScope};
use crate::error::AppError;
use crate::read_cache::ReadCache;

/// Which page of priorities: the organization, the subtree and the request's canonical text (its
/// query string, offset and limit). The organization is part of the key, as of every cache's.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct PrioritiesKey {
    org_id: Uuid,
    portfolio_id: Uuid,
    request: String,
}

/// One page of priorities, read on one snapshot so that the running total adds up.
pub struct Priorities {
    /// From the top down to the portfolio's parent: the breadcrumb.
    pub ancestors: Vec<Portfolio>,
    pub portfolio: Portfolio,
    pub period: Period,
    /// The subtree's capacity in the period, person-weeks.
    pub capacity: Decimal,
    /// The organization's unit of benefit, for MoAR's formula.
    pub benefit_unit: String,
    pub rows: Vec<(ListedInitiative, Standing)>,
    /// Whether rows follow this page.
    pub more: bool,
}

/// What a page of priorities shows above its rows.
struct Head {
    ancestors: Vec<Portfolio>,
    portfolio: Portfolio,
    period: Period,
    capacity: Decimal,
    benefit_unit: String,
}

impl Priorities {
    /// A page of `limit` of `rows` (which hold one more when another page follows), each standing
    /// against the capacity after the `above` person-weeks of the rows before the page.
    fn page(head: Head, mut rows: Vec<ListedInitiative>, above: Decimal, limit: i64) -> Priorities {
        let more = rows.len() as i64 > limit;
        rows.truncate(limit as usize);
        let mut total = RunningTotal::new(above, head.capacity);
        let lines: Vec<Standing> = rows.iter().map(|r| total.add(r.effort, r.progress)).collect();
        Priorities {
            ancestors: head.ancestors,
            portfolio: head.portfolio,
            period: head.period,
            capacity: head.capacity,
            benefit_unit: head.benefit_unit,
            rows: rows.into_iter().zip(lines).collect(),
            more,
        }
    }

    /// About how much memory the page holds, for the cache's bound.
    fn bytes(&self) -> usize {
        1024 + self.rows.len() * 512
    }
}

/// The page of `request`'s priorities in portfolio `portfolio_id`'s subtree: from `cache` while the
/// organization's data and date are those it was read at (`crate::read_cache`), else read afresh
/// and kept. A page read again costs one statement instead of about eight, each planned anew.
pub async fn read(
    pool: &TenantPool,
    cache: &ReadCache<PrioritiesKey, Priorities>,
    portfolio_id: Uuid,
    request: &PrioritiesRequest,
) -> Result<Arc<Priorities>, AppError> {
    let mut tx = pool.begin_consistent().await?;
    let (priorities, _) = read_in(&mut tx, pool.org_id(), cache, portfolio_id, request).await?;
    tx.commit().await?;
    Ok(priorities)
}

/// `read` in a read-only transaction of the caller's (`begin_consistent`, so that the running
/// total adds up), with the data stamp it was read at: what else the caller reads in it may be
/// kept at the same stamp.
pub async fn read_in(
    tx: &mut sqlx::PgConnection,
    org_id: Uuid,
    cache: &ReadCache<PrioritiesKey, Priorities>,
    portfolio_id: Uuid,
    request: &PrioritiesRequest,
) -> Result<(Arc<Priorities>, DataStamp), AppError> {
    let setting = sqlx::query!(
        r#"SELECT (now() AT TIME ZONE time_zone)::date AS "today!", fiscal_year_start_month, benefit_unit,
                  data_version($1) AS "data_version!"
           FROM organizations WHERE id = $1"#,
        org_id
    )
    .fetch_one(&mut *tx)
    .await?;
    let stamp = DataStamp {
        version: setting.data_version,
        today: setting.today,
    };
    let key = PrioritiesKey {
        org_id,
        portfolio_id,
        request: format!(
            "{}|{}|{}",
            request.query_string(request.by, 1),
            request.offset,
            request.limit
        ),
    };
    if let Some(kept) = cache.get(&key, stamp) {
        return Ok((kept, stamp));
    }
    let mut ancestors = super::portfolios::ancestors(&mut *tx, org_id, portfolio_id).await?;
    let portfolio = ancestors.pop().ok_or(AppError::NotFound)?;
    let period = request
        .period
        .unwrap_or_else(|| Period::current_quarter(setting.today, setting.fiscal_year_start_month as u32));
    let capacity = super::capacity::subtree_capacity_in(&mut *tx, org_id, portfolio_id, &period).await?;
    let sort = request.by.sort();
    let above = match request.offset {
        0 => Decimal::ZERO,
        offset => initiative_lists::search_in(tx, org_id, &request.filter, sort, 0, offset)
            .await?
            .iter()
            .map(|row| remaining_effort(row.effort, row.progress))
            .sum(),
    };
    let limit = request.limit + 1; // One row more tells whether another page follows.
    let rows = initiative_lists::search_in(tx, org_id, &request.filter, sort, request.offset, limit).await?;
    let head = Head {
        ancestors,
        portfolio,
        period,
        capacity,
        benefit_unit: setting.benefit_unit,
    };
    let priorities = Arc::new(Priorities::page(head, rows, above, request.limit));
    let bytes = priorities.bytes();
    cache.put(key, stamp, priorities.clone(), bytes);
    Ok((priorities, stamp))
}

/// The page of `request`'s priorities in scenario `scenario_id`, of `portfolio_id` (its own
/// portfolio or one below it; its own when `None`, and 422 outside it): the live
/// order with the scenario's changes worked in (SPEC §9). A change can move an initiative anywhere
/// in the order or out of it, so the live rows are read down to the page's end plus one per change
/// (each change takes at most one live row out of the window), the changed initiatives and the
/// hypothetical work are read as the scenario has them and kept where they pass the filter, and the
/// two are merged in the order's own terms (`order_key`). The cost grows with the page's depth and
/// the number of changes, as the live page's does with its depth.
pub async fn read_scenario(
    pool: &TenantPool,
    scenario_id: Uuid,
    portfolio_id: Option<Uuid>,
    request: &PrioritiesRequest,
) -> Result<Priorities, AppError> {
    let org_id = pool.org_id();
    let mut tx = pool.begin_snapshot().await?;
    let scenario = super::scenarios::get_in(&mut tx, org_id, scenario_id).await?;
    let portfolio_id = super::scenario_figures::shown(&mut tx, org_id, &[&scenario], portfolio_id).await?;
    let mut filter = request.filter;
    filter.portfolio_id = Some(portfolio_id);
    let setting = sqlx::query!(
        "SELECT (now() AT TIME ZONE time_zone)::date AS \"today!\", fiscal_year_start_month, benefit_unit
         FROM organizations WHERE id = $1",
        org_id
    )
    .fetch_one(&mut *tx)
    .await?;
    let mut ancestors = super::portfolios::ancestors(&mut *tx, org_id, portfolio_id).await?;
    let portfolio = ancestors.pop().ok_or(AppError::NotFound)?;
    let period = request
        .period
        .unwrap_or_else(|| Period::current_quarter(setting.today, setting.fiscal_year_start_month as u32));
    let plan = super::rollup::Plan::Scenario(scenario_id);
    let capacity = super::capacity::capacity_in(&mut tx, org_id, plan, portfolio_id, &[period])
        .await?
        .figures
        .quarters
        .first()
        .map_or(Decimal::ZERO, |quarter| quarter.capacity);
    let (changed, candidates) = super::scenarios::listed_in(&mut tx, org_id, scenario_id, &filter).await?;
    let depth = request.offset + request.limit + 1 + changed.len() as i64;
    let live = initiative_lists::search_in(&mut tx, org_id, &filter, request.by.sort(), 0, depth).await?;
    tx.commit().await?;
    let mut merged: Vec<ListedInitiative> = live
        .into_iter()
        .filter(|row| !changed.contains(&row.id))
        .chain(candidates)
        .collect();
    merged.sort_by_key(|row| order_key(request.by, row));
    let offset = request.offset as usize;
    let above = merged
        .iter()
        .take(offset)
        .map(|row| remaining_effort(row.effort, row.progress))
        .sum();
    let rows = merged.into_iter().skip(offset).collect();
    let head = Head {
        ancestors,
        portfolio,
        period,
        capacity,
        benefit_unit: setting.benefit_unit,
    };
    Ok(Priorities::page(head, rows, above, request.limit))
}

/// Where a row stands in `by`'s order, as the list's ORDER BY puts it (migrations/0021): the
/// score's expression highest first, none last, ties by key number; the manual rank lowest first.
/// Work that exists only in a scenario has no key number and follows its ties.
fn order_key(by: RankBy, row: &ListedInitiative) -> (Reverse<Option<OrderedScore>>, u64) {
    let effort = row.effort;
    let score = match by {
        RankBy::Rice => row
            .reach
            .zip(row.impact)
            .zip(row.confidence)
            .map(|((reach, impact), confidence)| {
                OrderedScore::Float(reach as f64 * impact * f64::from(confidence) / effort)
            }),
        RankBy::Wsjf => row
            .business_value
            .zip(row.time_criticality)
            .zip(row.risk_reduction)
            .map(|((value, time), risk)| OrderedScore::Float(f64::from(value + time + risk) / effort)),
        RankBy::Moar => per_effort(row.benefit, effort),
        RankBy::Scorecard => per_effort(row.scorecard_value, effort),
        // Lowest first: negated, so that "highest first" puts it first.
        RankBy::Rank => row.rank.map(|rank| OrderedScore::Decimal(-rank)),
        // Importance, then value: one number whose order is theirs (value < 2^63, importance < 2^31).
        RankBy::Demand => Some(OrderedScore::Decimal(
            Decimal::from(row.demand_importance) * Decimal::from(i64::MAX)
                + Decimal::from(row.demand_customer_value),
        )),
    };
    let number = row
        .key
        .rsplit_once('-')
        .and_then(|(_, number)| number.parse().ok())
        .unwrap_or(u64::MAX);
    (Reverse(score), number)
}

fn per_effort(value: Option<Decimal>, effort: f64) -> Option<OrderedScore> {
    let effort = Decimal::try_from(effort).ok().filter(|e| !e.is_zero())?;
    value
        .and_then(|v| v.checked_div(effort))
        .map(OrderedScore::Decimal)
}

/// A score as the database orders it: double precision or numeric (one order holds one kind),
/// never NaN (effort > 0).
#[derive(Clone, Copy, Debug, PartialEq)]
enum OrderedScore {
    Float(f64),
    Decimal(Decimal),
}

impl Eq for OrderedScore {}

impl Ord for OrderedScore {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        match (self, other) {
            (OrderedScore::Float(a), OrderedScore::Float(b)) => a.total_cmp(b),
            (OrderedScore::Decimal(a), OrderedScore::Decimal(b)) => a.cmp(b),
            (OrderedScore::Float(_), OrderedScore::Decimal(_)) => std::cmp::Ordering::Less,
            (OrderedScore::Decimal(_), OrderedScore::Float(_)) => std::cmp::Ordering::Greater,
        }
    }
}

impl PartialOrd for OrderedScore {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

/// Writes the order of `by` over the subtree's open work into its ranks, 1, 2, 3…: the manual
/// order starts as the score's and is moved from there. The whole subtree's, whatever a page
/// filters: work left out would otherwise keep ranks that interleave. Answers how many were ranked.
pub async fn apply(
    pool: &TenantPool,
    caller: &Caller,
    portfolio_id: Uuid,
    by: RankBy,
) -> Result<u64, AppError> {
    let org_id = pool.org_id();
    let mut tx = pool.begin().await?;
    sqlx::query_scalar!(
        r#"SELECT 1 AS "found!" FROM portfolios WHERE org_id = $1 AND id = $2"#,
        org_id,
        portfolio_id
    )
    .fetch_optional(&mut *tx)
    .await?
    .ok_or(AppError::NotFound)?;
    permissions::require_portfolio_editor(&mut *tx, caller, portfolio_id).await?;
    lock_org(&mut tx, org_id, "rank").await?;
    let open_work = InitiativeFilter {
        portfolio_id: Some(portfolio_id),
        scope: Some(WorkScope::Open),
        ..InitiativeFilter::default()
    };
    let ordered: Vec<Uuid> = initiative_lists::search_in(&mut tx, org_id, &open_work, by.sort(), 0, i64::MAX)
        .await?
        .into_iter()
        .map(|row| row.id)
        .collect();
    let ranked = sqlx::query!(
        "UPDATE initiatives i SET rank = o.n
         FROM unnest($2::uuid[]) WITH ORDINALITY AS o(id, n)
         WHERE i.org_id = $1 AND i.id = o.id",
        org_id,
        &ordered
    )
    .execute(&mut *tx)
    .await?
    .rows_affected();
    tx.commit().await?;
    Ok(ranked)
}

/// Where a move puts an initiative: right before or right after another.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Placement {
    Before(Uuid),
    After(Uuid),
}

impl Placement {
    /// The placement a request names: exactly one of the two neighbours.
    pub fn named(before_id: Option<Uuid>, after_id: Option<Uuid>) -> Result<Placement, AppError> {
        match (before_id, after_id) {
            (Some(before), None) => Ok(Placement::Before(before)),
            (None, Some(after)) => Ok(Placement::After(after)),
            _ => Err(AppError::field("before_id", "give either before_id or after_id")),
        }
    }

    fn target(self) -> Uuid {
        match self {
            Placement::Before(id) | Placement::After(id) => id,
        }
    }

    fn field(self) -> &'static str {
        match self {
            Placement::Before(_) => "before_id",
            Placement::After(_) => "after_id",
        }
    }
}

/// An initiative's place in the manual order.
struct Place {
    rank: Option<Decimal>,
    number: i64,
}

/// Moves initiative `id` right before or after another in the manual order, by whoever may edit
/// its portfolio. Writes one row, unless the target was never ranked (then the unranked open work
/// up to it is ranked first, in the order it showed) or two neighbours' ranks are too close to
/// split (then the organization's ranks are renumbered first, keeping their order).
pub async fn move_to(
    pool: &TenantPool,
    caller: &Caller,
    id: Uuid,
    placement: Placement,
) -> Result<Decimal, AppError> {
    let org_id = pool.org_id();
    let mut tx = pool.begin().await?;
    let portfolio_id = sqlx::query_scalar!(
        "SELECT portfolio_id FROM initiatives WHERE org_id = $1 AND id = $2",
        org_id,
        id
    )
    .fetch_optional(&mut *tx)
    .await?
    .ok_or(AppError::NotFound)?;
    permissions::require_portfolio_editor(&mut *tx, caller, portfolio_id).await?;
    let field = placement.field();
    if placement.target() == id {
        return Err(AppError::field(
            field,
            "must be another initiative than the one moved",
        ));
    }
    lock_org(&mut tx, org_id, "rank").await?;
    let mut target = place(&mut tx, org_id, placement.target())
        .await?
        .ok_or_else(|| AppError::field(field, "is not an initiative of this organization"))?;
    if target.rank.is_none() {
        rank_unranked_up_to(&mut tx, org_id, id, placement.target(), target.number).await?;
        target = place(&mut tx, org_id, placement.target())
            .await?
            .ok_or(AppError::NotFound)?;
    }
    let rank = match new_rank(&mut tx, org_id, id, placement, &target).await? {
        Some(rank) => rank,
        None => {
            renumber(&mut tx, org_id, id).await?;
            let target = place(&mut tx, org_id, placement.target())
                .await?
                .ok_or(AppError::NotFound)?;
            new_rank(&mut tx, org_id, id, placement, &target)
                .await?
                .ok_or_else(|| AppError::Internal(anyhow::anyhow!("ranks renumbered still tie")))?
        }
    };
    sqlx::query!(
        "UPDATE initiatives SET rank = $3 WHERE org_id = $1 AND id = $2",
        org_id,
        id,
        rank
    )
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(rank)
}

async fn place(tx: &mut Tx<'_>, org_id: Uuid, id: Uuid) -> Result<Option<Place>, AppError> {
    Ok(sqlx::query_as!(
        Place,
        "SELECT rank, number FROM initiatives WHERE org_id = $1 AND id = $2",
        org_id,
        id
    )
    .fetch_optional(&mut **tx)
    .await?)
}

/// The rank that puts `moved` right next to `target`: halfway to the neighbour on that side, or one
/// past the target when it has none. `None` when the neighbour's rank is the target's or too close
/// to it to split.
async fn new_rank(
    tx: &mut Tx<'_>,
    org_id: Uuid,
    moved: Uuid,
    placement: Placement,
    target: &Place,
) -> Result<Option<Decimal>, AppError> {
    let at = target.rank.ok_or(AppError::NotFound)?;
    let neighbour = match placement {
        Placement::Before(_) => {
            sqlx::query_scalar!(
                r#"SELECT rank AS "rank!" FROM initiatives
               WHERE org_id = $1 AND id <> $2 AND rank IS NOT NULL AND (rank, number) < ($3, $4)
               ORDER BY rank DESC, number DESC LIMIT 1"#,
                org_id,
                moved,
                at,
                target.number
            )
            .fetch_optional(&mut **tx)
            .await?
        }
        Placement::After(_) => {
            sqlx::query_scalar!(
                r#"SELECT rank AS "rank!" FROM initiatives
               WHERE org_id = $1 AND id <> $2 AND rank IS NOT NULL AND (rank, number) > ($3, $4)
               ORDER BY rank, number LIMIT 1"#,
                org_id,
                moved,
                at,
                target.number
            )
            .fetch_optional(&mut **tx)
            .await?
        }
    };
    Ok(match (neighbour, placement) {
        (None, Placement::Before(_)) => Some(at - Decimal::ONE),
        (None, Placement::After(_)) => Some(at + Decimal::ONE),
        (Some(neighbour), _) => {
            let middle = (neighbour + at) / Decimal::TWO;
            (middle != neighbour && middle != at).then_some(middle)
        }
    })
}

/// Ranks the never-ranked open work up to `target` (by key number, the order it showed in after
/// the ranked work), `moved` left out: so the target has a rank and nothing else moves.
async fn rank_unranked_up_to(
    tx: &mut Tx<'_>,
    org_id: Uuid,
    moved: Uuid,
    target: Uuid,
    number: i64,
) -> Result<(), AppError> {
    sqlx::query!(
        "UPDATE initiatives i SET rank = top.rank + o.n
         FROM (SELECT id, row_number() OVER (ORDER BY number) AS n FROM initiatives
               WHERE org_id = $1 AND rank IS NULL AND id <> $2 AND number <= $4
                 AND (initiative_is_open(status) OR id = $3)) o,
              (SELECT coalesce(max(rank), 0) AS rank FROM initiatives WHERE org_id = $1) top
         WHERE i.org_id = $1 AND i.id = o.id",
        org_id,
        moved,
        target,
        number
    )
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Renumbers the organization's ranked work 1, 2, 3… in its order, `moved` left out.
async fn renumber(tx: &mut Tx<'_>, org_id: Uuid, moved: Uuid) -> Result<(), AppError> {
    sqlx::query!(
        "UPDATE initiatives i SET rank = o.n
         FROM (SELECT id, row_number() OVER (ORDER BY rank, number) AS n FROM initiatives
               WHERE org_id = $1 AND rank IS NOT NULL AND id <> $2) o
         WHERE i.org_id = $1 AND i.id = o.id",
        org_id,
        moved
    )
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// The score a row is ranked by, with its formula (SPEC §8); the manual order has no score.
pub fn score(by: RankBy, row: &ListedInitiative, benefit_unit: &str) -> (Option<Decimal>, String) {
    let scores = row.scores(benefit_unit);
    let score = match by {
        RankBy::Rice => scores.rice,
        RankBy::Wsjf => scores.wsjf,
        RankBy::Moar => scores.moar,
        RankBy::Scorecard => scores.scorecard,
        RankBy::Rank => return (None, "Manual order".to_owned()),
        RankBy::Demand => {
            let demand = row.demand();
            return (Some(Decimal::from(demand.importance)), demand.explained());
        }
    };
    (score.value, score.formula)
}
