//! What the priorities page shows, on one snapshot: the page of ranked work, the filter menus'
//! choices and whether the caller may change the manual order. The ranked page and the menus are
//! kept per data stamp (`crate::read_cache`), so a page read again between writes costs one
//! transaction of two short statements: the stamp, and the caller's edit rights.

use std::collections::HashMap;
use std::sync::Arc;

use uuid::Uuid;

use crate::db::priorities::{Priorities, PrioritiesKey};
use crate::db::themes::Theme;
use crate::db::users::Caller;
use crate::db::{self, TenantPool};
use crate::domain::priorities::PrioritiesRequest;
use crate::error::AppError;
use crate::read_cache::ReadCache;

pub struct PrioritiesPageData {
    pub priorities: Arc<Priorities>,
    pub menus: Arc<FilterMenus>,
    /// Whether the caller may edit the portfolio, and so its work's order.
    pub can_edit: bool,
}

/// The choices of a list's theme and owner menus: the organization's themes and members, the same
/// for every reader of the organization.
pub struct FilterMenus {
    pub themes: Vec<Theme>,
    pub names: HashMap<Uuid, String>,
}

impl FilterMenus {
    /// About how much memory the menus hold, for the cache's bound.
    fn bytes(&self) -> usize {
        1024 + self.themes.len() * 256 + self.names.len() * 96
    }
}

/// The caches the page reads from.
pub struct PrioritiesCaches<'a> {
    pub pages: &'a ReadCache<PrioritiesKey, Priorities>,
    /// By organization.
    pub menus: &'a ReadCache<Uuid, FilterMenus>,
}

pub async fn read(
    pool: &TenantPool,
    caches: PrioritiesCaches<'_>,
    caller: &Caller,
    id: Uuid,
    request: &PrioritiesRequest,
) -> Result<PrioritiesPageData, AppError> {
    let org_id = pool.org_id();
    let mut tx = pool.begin_consistent().await?;
    let (priorities, stamp) = db::priorities::read_in(&mut tx, org_id, caches.pages, id, request).await?;
    let menus = match caches.menus.get(&org_id, stamp) {
        Some(menus) => menus,
        None => {
            let menus = Arc::new(FilterMenus {
                themes: db::themes::all_in(&mut *tx, org_id).await?,
                names: db::portfolio_views::member_names_in(&mut *tx, org_id).await?,
            });
            caches.menus.put(org_id, stamp, menus.clone(), menus.bytes());
            menus
        }
    };
    let can_edit = db::permissions::can_edit_portfolio(&mut *tx, caller, id).await?;
    tx.commit().await?;
    Ok(PrioritiesPageData {
        priorities,
        menus,
        can_edit,
    })
}
