//! What the permission rules of `domain::permissions` decide on, loaded from the database — the
//! owners along a target's chain of portfolios, or every portfolio a member may edit — and the
//! checks the write functions make with them inside their transactions.

use sqlx::PgExecutor;
use uuid::Uuid;

use super::Tx;
use super::users::Caller;
use crate::domain::Role;
use crate::domain::permissions::{self, EditablePortfolios};
use crate::error::{AppError, forbidden_unless};

/// Whether the caller may create a portfolio under `parent_id`; at the top: admins only.
pub async fn can_create_portfolio(
    executor: impl PgExecutor<'_>,
    caller: &Caller,
    parent_id: Option<Uuid>,
) -> Result<bool, AppError> {
    let parent_owners = match parent_id {
        None => None,
        Some(parent_id) => Some(chain_owners(executor, caller, parent_id).await?),
    };
    Ok(permissions::may_create_portfolio(caller, parent_owners))
}

/// Every portfolio the caller may edit, in one query: the subtrees of what a member owns.
pub async fn editable_portfolios(
    executor: impl PgExecutor<'_>,
    caller: &Caller,
) -> Result<EditablePortfolios, AppError> {
    match caller.role {
        Role::Admin | Role::Viewer => Ok(EditablePortfolios::of(caller, [])),
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
            Ok(EditablePortfolios::of(caller, ids))
        }
    }
}

/// Whether the caller may edit the portfolio (and so everything in its subtree).
pub async fn can_edit_portfolio(
    executor: impl PgExecutor<'_>,
    caller: &Caller,
    portfolio_id: Uuid,
) -> Result<bool, AppError> {
    let owners = chain_owners(executor, caller, portfolio_id).await?;
    Ok(permissions::may_edit_portfolio(caller, owners))
}

/// The owners along the portfolio's chain from the top down to itself: what the rules decide on
/// for a member. Admins and viewers are decided by their role, so for them nothing is read.
async fn chain_owners(
    executor: impl PgExecutor<'_>,
    caller: &Caller,
    portfolio_id: Uuid,
) -> Result<Vec<Option<Uuid>>, AppError> {
    if caller.role != Role::Member {
        return Ok(Vec::new());
    }
    chain(executor, caller.org_id, portfolio_id).await
}

/// The owners along the chain of portfolios from the top down to `portfolio_id`; empty when it is
/// not a portfolio of the organization (the closure holds every portfolio as its own ancestor).
async fn chain(
    executor: impl PgExecutor<'_>,
    org_id: Uuid,
    portfolio_id: Uuid,
) -> Result<Vec<Option<Uuid>>, AppError> {
    Ok(sqlx::query_scalar!(
        r#"SELECT a.owner_id FROM portfolio_closure c
           JOIN portfolios a ON a.org_id = c.org_id AND a.id = c.ancestor_id
           WHERE c.org_id = $1 AND c.descendant_id = $2
           ORDER BY c.depth DESC"#,
        org_id,
        portfolio_id
    )
    .fetch_all(executor)
    .await?)
}

pub async fn require_portfolio_editor(
    executor: impl PgExecutor<'_>,
    caller: &Caller,
    portfolio_id: Uuid,
) -> Result<(), AppError> {
    forbidden_unless(can_edit_portfolio(executor, caller, portfolio_id).await?)
}

/// Whether the caller may update owned work (an initiative, an objective and its key results): its
/// owner, or whoever may edit its portfolio.
pub async fn can_edit_owned(
    executor: impl PgExecutor<'_>,
    caller: &Caller,
    owner_id: Option<Uuid>,
    portfolio_id: Uuid,
) -> Result<bool, AppError> {
    // Their own work decides without reading the chain.
    if permissions::may_edit_owned(caller, owner_id, []) {
        return Ok(true);
    }
    let owners = chain_owners(executor, caller, portfolio_id).await?;
    Ok(permissions::may_edit_owned(caller, owner_id, owners))
}

/// Refuses (403) who may not update owned work; see `can_edit_owned`.
pub async fn require_owned(
    executor: impl PgExecutor<'_>,
    caller: &Caller,
    owner_id: Option<Uuid>,
    portfolio_id: Uuid,
) -> Result<(), AppError> {
    forbidden_unless(can_edit_owned(executor, caller, owner_id, portfolio_id).await?)
}

/// Where new or moved work goes (an initiative, an objective, a roadmap's scope): the portfolio must
/// be the organization's (else 422 on `portfolio_id`) and one the caller may edit (else 403).
pub async fn require_portfolio_home(
    tx: &mut Tx<'_>,
    caller: &Caller,
    portfolio_id: Uuid,
) -> Result<(), AppError> {
    let owners = chain(&mut **tx, caller.org_id, portfolio_id).await?;
    if owners.is_empty() {
        return Err(AppError::field(
            "portfolio_id",
            "is not a portfolio of this organization",
        ));
    }
    forbidden_unless(permissions::may_edit_portfolio(caller, owners))
}
