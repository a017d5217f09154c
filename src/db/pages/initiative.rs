//! What an initiative's page shows besides the initiative: where it sits, who owns it, its theme,
//! the key results it moves (and, for whoever may edit it, those it could move), and a page of its
//! history. The parts are independent, so they are read side by side; the permission is decided
//! from the chain of portfolios the page shows anyway.

use std::collections::{BTreeMap, HashMap};

use uuid::Uuid;

use crate::db::dependencies::Dependencies;
use crate::db::feedback::Feedback;
use crate::db::initiatives::Initiative;
use crate::db::key_result_links::LinkedKeyResult;
use crate::db::orgs::Calendar;
use crate::db::portfolios::Portfolio;
use crate::db::scorecard::Driver;
use crate::db::status_updates::StatusUpdate;
use crate::db::users::Caller;
use crate::db::{self, TenantPool};
use crate::domain::page::{Page, PageRequest};
use crate::domain::permissions::may_edit_owned;
use crate::error::AppError;

pub struct InitiativePageData {
    /// The portfolio path from the top down to the initiative's own portfolio.
    pub portfolios: Vec<Portfolio>,
    pub names: HashMap<Uuid, String>,
    pub theme: Option<String>,
    pub calendar: Calendar,
    /// Whether the caller may edit it.
    pub can_edit: bool,
    pub key_results: Vec<LinkedKeyResult>,
    /// Key results of its portfolio's current quarter and year it is not linked to yet, for
    /// whoever may edit it.
    pub linkable: Vec<(Uuid, String)>,
    pub history: Page<StatusUpdate>,
    /// The organization's scorecard drivers and the initiative's value on each it has one for.
    pub drivers: Vec<Driver>,
    pub driver_values: BTreeMap<Uuid, i16>,
    /// What it waits for and what waits for it (SPEC §10).
    pub dependencies: Dependencies,
    /// The customer feedback linked to it, newest first (SPEC §11), and the organization's
    /// currency its customers' values are in.
    pub feedback: Vec<Feedback>,
    pub currency: String,
}

pub async fn read(
    pool: &TenantPool,
    caller: &Caller,
    initiative: &Initiative,
    history_page: &PageRequest,
) -> Result<InitiativePageData, AppError> {
    let theme = async {
        match initiative.theme_id {
            Some(theme_id) => Ok(Some(db::themes::get(pool, theme_id).await?.name)),
            None => Ok(None),
        }
    };
    let owner = Vec::from_iter(initiative.owner_id);
    let (
        portfolios,
        names,
        theme,
        calendar,
        key_results,
        history,
        drivers,
        driver_values,
        dependencies,
        feedback,
        org,
    ) = tokio::try_join!(
        db::portfolios::ancestors(pool, pool.org_id(), initiative.portfolio_id),
        db::portfolio_views::names_of(pool, pool.org_id(), &owner),
        theme,
        db::orgs::calendar(pool),
        db::key_result_links::of_initiative(pool, initiative.id),
        db::status_updates::list(pool, initiative.id, history_page),
        db::scorecard::drivers(pool, pool.org_id()),
        db::scorecard::values_of(pool, pool.org_id(), initiative.id),
        db::dependencies::of(pool, pool.org_id(), initiative.id),
        db::feedback::of_initiative(pool, pool.org_id(), initiative.id),
        db::orgs::get(pool),
    )?;
    let can_edit = may_edit_owned(caller, initiative.owner_id, portfolios.iter().map(|p| p.owner_id));
    let linkable = if can_edit {
        let quarter = calendar.current_quarter();
        let periods = [quarter.to_string(), quarter.year().to_string()];
        let linked = |id: &Uuid| key_results.iter().any(|k| k.key_result.id == *id);
        db::key_result_links::linkable(pool, initiative.portfolio_id, &periods)
            .await?
            .into_iter()
            .filter(|(id, _)| !linked(id))
            .collect()
    } else {
        Vec::new()
    };
    Ok(InitiativePageData {
        portfolios,
        names,
        theme,
        calendar,
        can_edit,
        key_results,
        linkable,
        history,
        drivers,
        driver_values,
        dependencies,
        feedback,
        currency: org.currency,
    })
}
