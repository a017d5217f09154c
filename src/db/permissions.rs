//! Who may change what (SPEC §5). Admins: everything. Viewers: nothing. Members: a portfolio and
//! everything in its subtree when they own it or one of its ancestors, and any initiative they own.

use std::collections::HashSet;

use sqlx::PgExecutor;
use uuid::Uuid;

use super::Tx;
use super::portfolios::Portfolio;
use super::users::Caller;
use crate::domain::Role;
use crate::error::AppError;

/// Viewers read only.
pub fn require_writer(caller: &Caller) -> Result<(), AppError> {
    if caller.role.can_write() {
        Ok(())
    } else {
        Err(AppError::Forbidden)
    }
}

/// Organization-wide settings and top-level portfolios are for admins.
pub fn require_admin(caller: &Caller) -> Result<(), AppError> {
    if caller.role == Role::Admin {
        Ok(())
    } else {
        Err(AppError::Forbidden)
    }
}

/// Whether the caller may create a portfolio under `parent_id`; at the top: admins only.
pub async fn can_create_portfolio(
    executor: impl PgExecutor<'_>,
    caller: &Caller,
    parent_id: Option<Uuid>,
) -> Result<bool, AppError> {
    match parent_id {
        None => Ok(require_admin(caller).is_ok()),
        Some(parent_id) => can_edit_portfolio(executor, caller, parent_id).await,
    }
}

/// The portfolios a caller may edit, all at once: what a form offers as parents or homes.
pub enum EditablePortfolios {
    All,
    Only(HashSet<Uuid>),
}

impl EditablePortfolios {
    pub fn contains(&self, portfolio_id: Uuid) -> bool {
        match self {
            EditablePortfolios::All => true,
            EditablePortfolios::Only(ids) => ids.contains(&portfolio_id),
        }
    }
}

/// Every portfolio the caller may edit, in one query: the subtrees of what a member owns.
pub async fn editable_portfolios(
    executor: impl PgExecutor<'_>,
    caller: &Caller,
) -> Result<EditablePortfolios, AppError> {
    match caller.role {
        Role::Admin => Ok(EditablePortfolios::All),
        Role::Viewer => Ok(EditablePortfolios::Only(HashSet::new())),
        Role::Member => {
            let ids = sqlx::query_scalar!(
                r#"SELECT DISTINCT c.descendant_id FROM portfolio_closure c
                   JOIN portfolios a ON a.org_id = c.org_id AND a.id = c.ancestor_id
                   WHERE c.org_id = $1 AND a.owner_id = $2"#,
                caller.org_id,
                caller.user_id
            )
            .fetch_all(executor)
            .await?;
            Ok(EditablePortfolios::Only(ids.into_iter().collect()))
        }
    }
}

/// Whether the caller may edit the portfolio (and so everything in its subtree).
pub async fn can_edit_portfolio(
    executor: impl PgExecutor<'_>,
    caller: &Caller,
    portfolio_id: Uuid,
) -> Result<bool, AppError> {
    match caller.role {
        Role::Admin => Ok(true),
        Role::Viewer => Ok(false),
        Role::Member => Ok(may_edit_within(
            caller,
            &super::portfolios::ancestors(executor, caller.org_id, portfolio_id).await?,
        )),
    }
}

/// Whether the caller may edit the portfolio at the end of `chain`, its ancestors from the top
/// down to itself (`portfolios::ancestors`): a page that shows the chain anyway decides with it.
pub fn may_edit_within(caller: &Caller, chain: &[Portfolio]) -> bool {
    match caller.role {
        Role::Admin => true,
        Role::Viewer => false,
        Role::Member => chain.iter().any(|p| p.owner_id == Some(caller.user_id)),
    }
}

pub async fn require_portfolio_editor(
    executor: impl PgExecutor<'_>,
    caller: &Caller,
    portfolio_id: Uuid,
) -> Result<(), AppError> {
    if can_edit_portfolio(executor, caller, portfolio_id).await? {
        Ok(())
    } else {
        Err(AppError::Forbidden)
    }
}

/// Whether the caller may update owned work (an initiative, an objective and its key results): its
/// owner, or whoever may edit its portfolio.
pub async fn can_edit_owned(
    executor: impl PgExecutor<'_>,
    caller: &Caller,
    owner_id: Option<Uuid>,
    portfolio_id: Uuid,
) -> Result<bool, AppError> {
    if caller.role == Role::Member && owner_id == Some(caller.user_id) {
        return Ok(true);
    }
    can_edit_portfolio(executor, caller, portfolio_id).await
}

/// Refuses (403) who may not update owned work; see `can_edit_owned`.
pub async fn require_owned(
    executor: impl PgExecutor<'_>,
    caller: &Caller,
    owner_id: Option<Uuid>,
    portfolio_id: Uuid,
) -> Result<(), AppError> {
    if can_edit_owned(executor, caller, owner_id, portfolio_id).await? {
        Ok(())
    } else {
        Err(AppError::Forbidden)
    }
}

/// Where new or moved work goes (an initiative, an objective, a roadmap's scope): the portfolio must
/// be the organization's (else 422 on `portfolio_id`) and one the caller may edit (else 403).
pub async fn require_portfolio_home(
    tx: &mut Tx<'_>,
    caller: &Caller,
    portfolio_id: Uuid,
) -> Result<(), AppError> {
    if super::portfolios::level_of(&mut **tx, caller.org_id, portfolio_id)
        .await?
        .is_none()
    {
        return Err(AppError::field(
            "portfolio_id",
            "is not a portfolio of this organization",
        ));
    }
    require_portfolio_editor(&mut **tx, caller, portfolio_id).await
}
