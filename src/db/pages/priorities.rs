//! What the priorities page shows: the page of ranked work (on its own snapshot), the filter
//! menus' choices and whether the caller may change the manual order.

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
    pub themes: Vec<Theme>,
    pub names: HashMap<Uuid, String>,
    /// Whether the caller may edit the portfolio, and so its work's order.
    pub can_edit: bool,
}

pub async fn read(
    pool: &TenantPool,
    cache: &ReadCache<PrioritiesKey, Priorities>,
    caller: &Caller,
    id: Uuid,
    request: &PrioritiesRequest,
) -> Result<PrioritiesPageData, AppError> {
    let (priorities, themes, names, can_edit) = tokio::try_join!(
        db::priorities::read(pool, cache, id, request),
        db::themes::all(pool),
        db::portfolio_views::member_names(pool),
        db::permissions::can_edit_portfolio(pool, caller, id),
    )?;
    Ok(PrioritiesPageData {
        priorities,
        themes,
        names,
        can_edit,
    })
}
