//! What an objective's page shows: the objective with its key results, where it sits, what it
//! supports and what supports it, each key result's values over time and the initiatives that move
//! it, and the latest check-ins. The parts are independent, so they are read side by side.

use std::collections::HashMap;

use rust_decimal::Decimal;
use uuid::Uuid;

use crate::db::check_ins::CheckIn;
use crate::db::key_result_links::LinkedInitiative;
use crate::db::objectives::Objective;
use crate::db::orgs::Calendar;
use crate::db::portfolios::Portfolio;
use crate::db::users::Caller;
use crate::db::{self, TenantPool};
use crate::domain::page::PageRequest;
use crate::error::AppError;

pub struct ObjectivePageData {
    pub objective: Objective,
    pub calendar: Calendar,
    pub names: HashMap<Uuid, String>,
    pub portfolio: Portfolio,
    /// Whether the caller may edit it (and check in on its key results).
    pub can_edit: bool,
    /// Each key result's values, oldest first.
    pub values: HashMap<Uuid, Vec<Decimal>>,
    /// The initiatives linked to each key result.
    pub initiatives: HashMap<Uuid, Vec<LinkedInitiative>>,
    /// The objective it supports, if any, and those that support it.
    pub parent: Option<Objective>,
    pub supporters: Vec<Objective>,
    /// The newest check-ins across its key results, at most `check_ins` of them.
    pub check_ins: Vec<CheckIn>,
}

pub async fn read(
    pool: &TenantPool,
    caller: &Caller,
    id: Uuid,
    check_ins: i64,
) -> Result<ObjectivePageData, AppError> {
    let objective = db::objectives::get(pool, id).await?;
    let kr_ids: Vec<Uuid> = objective.key_results.iter().map(|k| k.id).collect();
    let parent = async {
        match objective.parent_id {
            Some(parent_id) => db::objectives::get(pool, parent_id).await.map(Some),
            None => Ok(None),
        }
    };
    let recent = PageRequest {
        limit: check_ins,
        after: None,
    };
    let (calendar, names, portfolio, can_edit, values, initiatives, parent, supporters, check_ins) = tokio::try_join!(
        db::orgs::calendar(pool),
        db::portfolio_views::member_names(pool),
        db::portfolios::get(pool, objective.portfolio_id),
        db::objectives::can_edit(pool, caller, &objective),
        db::check_ins::value_history(pool, &kr_ids),
        db::key_result_links::initiatives_of(pool, &kr_ids),
        parent,
        db::objectives::supporters(pool, id),
        db::check_ins::check_ins_of(pool, &kr_ids, &recent),
    )?;
    Ok(ObjectivePageData {
        objective,
        calendar,
        names,
        portfolio,
        can_edit,
        values,
        initiatives,
        parent,
        supporters,
        check_ins: check_ins.items,
    })
}
