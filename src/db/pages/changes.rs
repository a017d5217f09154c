//! What a portfolio's "What changed" list shows, read on one snapshot so that "31 to 50 of 50"
//! adds up.

use chrono::NaiveDate;
use uuid::Uuid;

use crate::db::portfolios::Portfolio;
use crate::db::status_updates::SubtreeChange;
use crate::db::{self, TenantPool};
use crate::domain::period::start_of_day;
use crate::error::AppError;

pub struct ChangesPageData {
    /// From the top down to the portfolio's parent: the breadcrumb.
    pub ancestors: Vec<Portfolio>,
    pub portfolio: Portfolio,
    /// How many changes there are since the day asked for, and the page's `limit` from `offset`.
    pub total: i64,
    pub changes: Vec<SubtreeChange>,
}

/// The changes in portfolio `id`'s subtree from `since` on, `limit` of them from `offset`.
pub async fn read(
    pool: &TenantPool,
    id: Uuid,
    since: NaiveDate,
    limit: i64,
    offset: i64,
) -> Result<ChangesPageData, AppError> {
    let org_id = pool.org_id();
    let mut tx = pool.begin_snapshot().await?;
    let mut ancestors = db::portfolios::ancestors(&mut *tx, org_id, id).await?;
    let portfolio = ancestors.pop().ok_or(AppError::NotFound)?;
    let from = start_of_day(since);
    let total = db::status_updates::count_changes_in_subtree(&mut *tx, org_id, id, from).await?;
    let changes =
        db::status_updates::changes_in_subtree_page(&mut *tx, org_id, id, from, limit, offset).await?;
    tx.commit().await?;
    Ok(ChangesPageData {
        ancestors,
        portfolio,
        total,
        changes,
    })
}
