//! Who may change what (SPEC §5). Admins: everything. Viewers: nothing. Members: a portfolio and
//! everything in its subtree when they own it or one of its ancestors, and any initiative they own.

use sqlx::PgExecutor;
use uuid::Uuid;

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

/// Whether the caller may edit the portfolio (and so everything in its subtree).
pub async fn can_edit_portfolio(
    executor: impl PgExecutor<'_>,
    caller: &Caller,
    portfolio_id: Uuid,
) -> Result<bool, AppError> {
    match caller.role {
        Role::Admin => Ok(true),
        Role::Viewer => Ok(false),
        Role::Member => Ok(sqlx::query_scalar!(
            r#"SELECT EXISTS (
                   SELECT 1 FROM portfolio_closure c
                   JOIN portfolios a ON a.org_id = c.org_id AND a.id = c.ancestor_id
                   WHERE c.org_id = $1 AND c.descendant_id = $2 AND a.owner_id = $3
               ) AS "allowed!""#,
            caller.org_id,
            portfolio_id,
            caller.user_id
        )
        .fetch_one(executor)
        .await?),
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

/// Whether the caller may update an initiative: its owner, or whoever may edit its portfolio.
pub async fn can_edit_initiative(
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
