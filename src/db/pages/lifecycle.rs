//! Everything `/portfolios/{id}/lifecycle` shows, on one snapshot: the subtree's products, each
//! with its §3 figures (one totals row each) and its own KPIs' statuses (SPEC §11; the board draws
//! no sparklines, so it reads no values). Read once per data stamp (`crate::read_cache`): at the
//! root of a large organization the board is a few dozen products' totals and deadline scans.

use std::sync::Arc;

use uuid::Uuid;

use crate::db::kpis::Kpi;
use crate::db::portfolios::Portfolio;
use crate::db::{self, TenantPool};
use crate::domain::PortfolioLevel;
use crate::domain::period::Period;
use crate::domain::rollup::Figures;
use crate::error::AppError;
use crate::read_cache::ReadCache;

pub struct LifecycleData {
    /// From the root down to the portfolio itself.
    pub ancestors: Vec<Portfolio>,
    /// The subtree's products by name, with their figures and the organization's currency.
    pub products: Vec<(Portfolio, Figures, String)>,
    /// Their KPIs.
    pub kpis: Vec<Kpi>,
    /// The quarter the figures' OKR progress is of: the organization's current one.
    pub period: Period,
}

impl LifecycleData {
    /// About how much memory it holds, for the cache's bound.
    pub fn bytes(&self) -> usize {
        self.ancestors.len() * 512 + self.products.len() * 1024 + self.kpis.len() * 512
    }
}

/// Which board: the organization is part of the key, as of every cache's.
pub type LifecycleKey = (Uuid, Uuid);

pub async fn read(
    pool: &TenantPool,
    cache: &ReadCache<LifecycleKey, LifecycleData>,
    id: Uuid,
) -> Result<Arc<LifecycleData>, AppError> {
    let org_id = pool.org_id();
    let mut tx = pool.begin_snapshot().await?;
    let stamp = db::DataStamp::read(&mut *tx, org_id).await?;
    let key = (org_id, id);
    if let Some(kept) = cache.get(&key, stamp) {
        tx.commit().await?;
        return Ok(kept);
    }
    let ancestors = db::portfolios::ancestors(&mut *tx, org_id, id).await?;
    if ancestors.is_empty() {
        return Err(AppError::NotFound);
    }
    let ids = sqlx::query_scalar!(
        "SELECT p.id FROM portfolio_closure c
         JOIN portfolios p ON p.org_id = c.org_id AND p.id = c.descendant_id
         WHERE c.org_id = $1 AND c.ancestor_id = $2 AND p.level = $3
         ORDER BY p.name, p.id",
        org_id,
        id,
        PortfolioLevel::Product.as_str()
    )
    .fetch_all(&mut *tx)
    .await?;
    let products = db::rollup::figures_of(&mut tx, org_id, &ids).await?;
    let kpis = db::kpis::of_portfolios(&mut *tx, org_id, &ids).await?;
    let period = db::orgs::calendar_in(&mut *tx, org_id).await?.current_quarter();
    tx.commit().await?;
    let data = Arc::new(LifecycleData {
        ancestors,
        products,
        kpis,
        period,
    });
    cache.put(key, stamp, data.clone(), data.bytes());
    Ok(data)
}
