//! Everything a portfolio's roll-up page shows, read on one snapshot: the roll-up, read every time
//! as the API reads it, and the parts besides it, read once per data stamp (`crate::read_cache`).

use std::collections::HashMap;
use std::sync::Arc;

use chrono::NaiveDate;
use sqlx::PgConnection;
use uuid::Uuid;

use crate::db::capacity::Capacity;
use crate::db::initiative_lists::{SubtreePlan, Watchlists};
use crate::db::portfolios::Portfolio;
use crate::db::rollup::Rollup;
use crate::db::status_updates::SubtreeChange;
use crate::db::{self, TenantPool};
use crate::domain::period::{Period, start_of_day};
use crate::error::AppError;
use crate::read_cache::{PortfolioPageKey, ReadCache};

/// How many quarters the capacity panel shows: this one and the next three.
pub const CAPACITY_QUARTERS: u32 = 4;

/// How many of a portfolio's baselines the page lists, newest first.
pub const BASELINES_SHOWN: i64 = 5;

/// What the page reads besides the roll-up. It depends only on the organization's data and date,
/// the portfolio and how far back "What changed" looks, never on the visitor, so it is kept per
/// data stamp.
pub struct PageParts {
    /// From the root down to the portfolio itself.
    pub ancestors: Vec<Portfolio>,
    /// The names of the owners the roll-up shows.
    pub names: HashMap<Uuid, String>,
    pub watchlists: Watchlists,
    pub changes: Vec<SubtreeChange>,
    pub changes_total: i64,
    /// Capacity against demand over the next quarters (SPEC §8): the organization's data and the
    /// quarters its date falls in, so kept with the rest.
    pub capacity: Capacity,
    /// The portfolio's own capacity (not its subtree's) in each of the capacity's quarters, what
    /// the panel's forms show to whoever may edit it: data like the rest, the form is the visitor's.
    pub own_capacity: Vec<db::capacity::OwnCapacity>,
    /// The baselines taken of the portfolio, newest first (SPEC §10).
    pub baselines: Vec<db::baselines::BaselineSummary>,
    /// The portfolio's own KPIs and their latest values, newest first (SPEC §11).
    pub kpis: Vec<db::kpis::Kpi>,
    pub kpi_values: HashMap<Uuid, Vec<db::kpis::KpiValue>>,
}

/// The roll-up page's data.
pub struct RollupPageData {
    pub rollup: Rollup,
    pub parts: Arc<PageParts>,
}

/// Reads the roll-up of portfolio `id` for `period` (the current quarter when `None`) with up to
/// `attached` of its own initiatives, and the page's parts with "What changed" from `since` on —
/// from `cache` when they are current.
///
/// Everything comes from one transaction on one snapshot, one statement after another: under load,
/// fewer round trips and commits serve more pages than statements run side by side, each a
/// transaction of its own, would (row-level security sets the organization per transaction). Every
/// statement here runs as well on its generic plan, so none is planned per request.
pub async fn read(
    pool: &TenantPool,
    cache: &ReadCache<PortfolioPageKey, PageParts>,
    id: Uuid,
    period: Option<Period>,
    attached: i64,
    since: NaiveDate,
) -> Result<RollupPageData, AppError> {
    let org_id = pool.org_id();
    let mut tx = pool.begin_snapshot().await?;
    let rollup = db::rollup::rollup_in(&mut tx, org_id, db::rollup::Plan::Live, id, period, attached).await?;
    let key = PortfolioPageKey {
        org_id,
        portfolio_id: id,
        since,
    };
    let parts = match cache.get(&key, rollup.stamp) {
        Some(parts) => parts,
        None => {
            let parts = Arc::new(PageParts::read(&mut tx, org_id, &rollup, since).await?);
            cache.put(key, rollup.stamp, parts.clone(), parts.bytes());
            parts
        }
    };
    tx.commit().await?;
    Ok(RollupPageData { rollup, parts })
}

/// The owners a roll-up names: the portfolio's, its children's and its attached initiatives'.
pub fn owners_shown(rollup: &Rollup) -> Vec<Uuid> {
    let portfolios = std::iter::once(&rollup.portfolio).chain(rollup.children.iter().map(|c| &c.portfolio));
    let initiatives = rollup.initiatives.iter().map(|i| i.initiative.owner_id);
    portfolios
        .map(|p| p.owner_id)
        .chain(initiatives)
        .flatten()
        .collect()
}

impl PageParts {
    /// Reads the parts of `rollup`'s page in its transaction, on its snapshot.
    async fn read(
        tx: &mut PgConnection,
        org_id: Uuid,
        rollup: &Rollup,
        since: NaiveDate,
    ) -> Result<PageParts, AppError> {
        let id = rollup.portfolio.id;
        let since = start_of_day(since);
        let plan = SubtreePlan::for_subtree(rollup.totals.counts.total, rollup.organization_initiatives);
        let changes = db::status_updates::changes_in_subtree(&mut *tx, org_id, id, plan, since).await?;
        // Only a full panel may hold back changes: count them then.
        let changes_total = if changes.len() < db::status_updates::CHANGES_SHOWN {
            changes.len() as i64
        } else {
            db::status_updates::count_changes_in_subtree(&mut *tx, org_id, id, since).await?
        };
        let calendar = db::orgs::calendar_in(&mut *tx, org_id).await?;
        let quarters = db::capacity::upcoming(calendar, CAPACITY_QUARTERS);
        let own_capacity = db::capacity::own(&mut *tx, org_id, id, &quarters).await?;
        let kpis = db::kpis::of_portfolio(&mut *tx, org_id, id).await?;
        let kpi_values = db::kpis::sparklines(&mut *tx, org_id, &kpis).await?;
        Ok(PageParts {
            kpis,
            kpi_values,
            capacity: db::capacity::capacity_in(&mut *tx, org_id, db::rollup::Plan::Live, id, &quarters)
                .await?,
            own_capacity,
            ancestors: db::portfolios::ancestors(&mut *tx, org_id, id).await?,
            names: db::portfolio_views::names_of(&mut *tx, org_id, &owners_shown(rollup)).await?,
            watchlists: db::initiative_lists::watchlists(&mut *tx, org_id, id, plan).await?,
            baselines: db::baselines::of_portfolio(&mut *tx, org_id, id, BASELINES_SHOWN).await?,
            changes,
            changes_total,
        })
    }

    /// About how much memory the parts hold, for the cache's bound.
    fn bytes(&self) -> usize {
        const ROW: usize = 400;
        let rows = self.ancestors.len()
            + self.names.len()
            + self.watchlists.len()
            + self.baselines.len()
            + self.changes.len()
            + self.kpis.len() * (1 + db::kpis::SPARKLINE_VALUES as usize)
            + self.capacity.children.len() * CAPACITY_QUARTERS as usize;
        size_of::<PageParts>() + rows * ROW
    }
}
