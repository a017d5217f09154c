//! Everything `/portfolios/{id}/lifecycle` shows, on one snapshot: the subtree's products, each
//! with its §3 figures (one totals row each) and its own KPIs' statuses (SPEC §11; the board draws
//! no sparklines, so it reads no values).

use uuid::Uuid;

use crate::db::kpis::Kpi;
use crate::db::portfolios::Portfolio;
use crate::db::{self, TenantPool};
use crate::domain::PortfolioLevel;
use crate::domain::period::Period;
use crate::domain::rollup::Figures;
use crate::error::AppError;

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

pub async fn read(pool: &TenantPool, id: Uuid) -> Result<LifecycleData, AppError> {
    let org_id = pool.org_id();
    let mut tx = pool.begin_snapshot().await?;
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
    Ok(LifecycleData {
        ancestors,
        products,
        kpis,
        period,
    })
}
