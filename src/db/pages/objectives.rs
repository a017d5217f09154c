//! What the OKR tree shows: the objectives of a period in a portfolio's subtree (the whole
//! organization's without one), the portfolio menu and the owners' names.

use std::collections::HashMap;

use uuid::Uuid;

use crate::db::objectives::{Objective, ObjectiveFilter};
use crate::db::orgs::Calendar;
use crate::db::portfolios::TreeNode;
use crate::db::{self, TenantPool};
use crate::domain::period::Period;
use crate::error::AppError;

pub struct ObjectivesPageData {
    pub calendar: Calendar,
    /// The period shown: the one asked for, else the current quarter.
    pub period: Period,
    pub objectives: Vec<Objective>,
    pub tree: Vec<TreeNode>,
    pub names: HashMap<Uuid, String>,
}

pub async fn read(
    pool: &TenantPool,
    period: Option<Period>,
    portfolio_id: Option<Uuid>,
) -> Result<ObjectivesPageData, AppError> {
    // The current quarter depends on the organization's date.
    let calendar = db::orgs::calendar(pool).await?;
    let period = period.unwrap_or_else(|| calendar.current_quarter());
    let filter = ObjectiveFilter {
        period: Some(period),
        portfolio_id,
    };
    let (objectives, tree, names) = tokio::try_join!(
        db::objectives::all(pool, filter),
        db::portfolios::list_tree(pool),
        db::portfolio_views::member_names(pool),
    )?;
    Ok(ObjectivesPageData {
        calendar,
        period,
        objectives,
        tree,
        names,
    })
}
