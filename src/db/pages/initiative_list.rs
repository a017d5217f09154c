//! What the initiative list shows: a page of the initiatives a filter selects, and the choices of
//! its filter menus. The parts are independent, so they are read side by side.

use std::collections::HashMap;

use uuid::Uuid;

use crate::db::initiative_lists::ListedInitiative;
use crate::db::portfolios::TreeNode;
use crate::db::themes::Theme;
use crate::db::{self, TenantPool};
use crate::domain::InitiativeSort;
use crate::domain::initiative::InitiativeFilter;
use crate::error::AppError;

pub struct InitiativeListData {
    /// The page's rows, and whether another page follows.
    pub rows: Vec<ListedInitiative>,
    pub more: bool,
    /// The portfolio menu: the filter's scope and what lies around it.
    pub tree: Vec<TreeNode>,
    pub themes: Vec<Theme>,
    pub names: HashMap<Uuid, String>,
    /// With a `quarter` filter: each row's demand in that quarter (SPEC §8).
    pub shares: HashMap<Uuid, rust_decimal::Decimal>,
}

/// Up to `limit` initiatives `filter` selects, in `sort` order from `offset`, and the menus.
pub async fn read(
    pool: &TenantPool,
    filter: &InitiativeFilter,
    sort: InitiativeSort,
    offset: i64,
    limit: i64,
) -> Result<InitiativeListData, AppError> {
    let (mut rows, tree, themes, names) = tokio::try_join!(
        // One row more than the page tells whether another page follows.
        db::initiative_lists::search(pool, filter, sort, offset, limit + 1),
        db::portfolio_views::scope_menu(pool, filter.portfolio_id),
        db::themes::all(pool),
        db::portfolio_views::member_names(pool),
    )?;
    let more = rows.len() as i64 > limit;
    rows.truncate(limit as usize);
    let shares = match filter.quarter {
        Some(quarter) => {
            let ids: Vec<Uuid> = rows.iter().map(|row| row.id).collect();
            db::capacity::quarter_shares(pool, pool.org_id(), &ids, quarter).await?
        }
        None => HashMap::new(),
    };
    Ok(InitiativeListData {
        shares,
        rows,
        more,
        tree,
        themes,
        names,
    })
}
