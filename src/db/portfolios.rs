//! Portfolios and their closure table: the product hierarchy, its moves, and its subtrees.
//!
//! Every change to the tree's shape holds the organization's "portfolio_tree" lock, so that two
//! concurrent moves can never build a cycle between them and a new child never copies the
//! ancestors of a parent that is being moved.

use super::TenantPool;
use super::tenant::Begin;
use crate::domain::permissions::{may_administer, may_write};
use crate::error::forbidden_unless;
use sqlx::PgExecutor;
use uuid::Uuid;

use super::users::Caller;
use super::{Tx, check_version, lock_org, permissions};
use crate::domain::page::{Page, PageRequest};
use crate::domain::portfolio::{PortfolioChanges, PortfolioValues, check_level};
use crate::domain::{Lifecycle, PortfolioLevel};
use crate::error::{AppError, map_constraint};

#[derive(Clone, Debug, serde::Serialize, utoipa::ToSchema)]
pub struct Portfolio {
    pub id: Uuid,
    pub name: String,
    pub description: String,
    pub level: PortfolioLevel,
    pub parent_id: Option<Uuid>,
    pub owner_id: Option<Uuid>,
    pub lifecycle: Option<Lifecycle>,
    pub position: i32,
    pub version: i64,
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub updated_at: chrono::DateTime<chrono::Utc>,
}

impl Portfolio {
    pub fn values(&self) -> PortfolioValues {
        PortfolioValues {
            name: self.name.clone(),
            description: self.description.clone(),
            level: self.level,
            parent_id: self.parent_id,
            owner_id: self.owner_id,
            lifecycle: self.lifecycle,
            position: Some(self.position),
        }
    }
}

/// A portfolio in the whole tree, with how far below the top it sits.
#[derive(Clone, Debug, serde::Serialize)]
pub struct TreeNode {
    #[serde(flatten)]
    pub portfolio: Portfolio,
    pub depth: i32,
}

/// The portfolios in creation order, a page at a time.
pub async fn list(pool: &TenantPool, page: &PageRequest) -> Result<Page<Portfolio>, AppError> {
    let org_id = pool.org_id();
    let rows = sqlx::query_as!(
        Portfolio,
        r#"SELECT id, name, description, level AS "level: PortfolioLevel", parent_id, owner_id,
                  lifecycle AS "lifecycle: Lifecycle", position, version, created_at, updated_at
           FROM portfolios WHERE org_id = $1 AND ($2::uuid IS NULL OR id > $2)
           ORDER BY id LIMIT $3"#,
        org_id,
        page.after,
        page.fetch_limit()
    )
    .fetch_all(pool)
    .await?;
    Ok(Page::from_rows(rows, page, |portfolio| portfolio.id))
}

/// The whole hierarchy depth-first, siblings by position then name: what a tree view or a parent
/// picker shows.
pub async fn list_tree(pool: &TenantPool) -> Result<Vec<TreeNode>, AppError> {
    let org_id = pool.org_id();
    let all = sqlx::query_as!(
        Portfolio,
        r#"SELECT id, name, description, level AS "level: PortfolioLevel", parent_id, owner_id,
                  lifecycle AS "lifecycle: Lifecycle", position, version, created_at, updated_at
           FROM portfolios WHERE org_id = $1 ORDER BY position, name, id"#,
        org_id
    )
    .fetch_all(pool)
    .await?;
    Ok(into_tree(all))
}

/// Portfolios in tree order (each followed by its children), with their depth below the top of
/// the set: `all` in sibling order, every portfolio's parent either in `all` or none.
pub fn into_tree(all: Vec<Portfolio>) -> Vec<TreeNode> {
    let mut children: std::collections::HashMap<Option<Uuid>, Vec<Portfolio>> = Default::default();
    for portfolio in all {
        children.entry(portfolio.parent_id).or_default().push(portfolio);
    }
    let mut tree = Vec::new();
    // Reversed onto a stack so that siblings come out in order.
    let mut stack: Vec<(Portfolio, i32)> = children
        .remove(&None)
        .unwrap_or_default()
        .into_iter()
        .rev()
        .map(|p| (p, 0))
        .collect();
    while let Some((portfolio, depth)) = stack.pop() {
        if let Some(kids) = children.remove(&Some(portfolio.id)) {
            stack.extend(kids.into_iter().rev().map(|p| (p, depth + 1)));
        }
        tree.push(TreeNode { portfolio, depth });
    }
    tree
}

/// The names of the portfolios `ids` (those of the organization), by id.
pub async fn names_of(
    pool: &TenantPool,
    ids: &[Uuid],
) -> Result<std::collections::HashMap<Uuid, String>, AppError> {
    Ok(sqlx::query!(
        "SELECT id, name FROM portfolios WHERE org_id = $1 AND id = ANY($2)",
        pool.org_id(),
        ids
    )
    .fetch_all(pool)
    .await?
    .into_iter()
    .map(|row| (row.id, row.name))
    .collect())
}

/// The portfolio `id` and every portfolio below it.
pub async fn subtree_ids(pool: &TenantPool, id: Uuid) -> Result<Vec<Uuid>, AppError> {
    Ok(sqlx::query_scalar!(
        "SELECT descendant_id FROM portfolio_closure WHERE org_id = $1 AND ancestor_id = $2",
        pool.org_id(),
        id
    )
    .fetch_all(pool)
    .await?)
}

pub async fn get(pool: &TenantPool, id: Uuid) -> Result<Portfolio, AppError> {
    let org_id = pool.org_id();
    Ok(sqlx::query_as!(
        Portfolio,
        r#"SELECT id, name, description, level AS "level: PortfolioLevel", parent_id, owner_id,
                  lifecycle AS "lifecycle: Lifecycle", position, version, created_at, updated_at
           FROM portfolios WHERE org_id = $1 AND id = $2"#,
        org_id,
        id
    )
    .fetch_one(pool)
    .await?)
}

/// The portfolio's ancestors from the top down, itself last: a breadcrumb.
pub async fn ancestors(
    executor: impl PgExecutor<'_>,
    org_id: Uuid,
    id: Uuid,
) -> Result<Vec<Portfolio>, AppError> {
    Ok(sqlx::query_as!(
        Portfolio,
        r#"SELECT p.id, p.name, p.description, p.level AS "level: PortfolioLevel", p.parent_id, p.owner_id,
                  p.lifecycle AS "lifecycle: Lifecycle", p.position, p.version, p.created_at, p.updated_at
           FROM portfolio_closure c
           JOIN portfolios p ON p.org_id = c.org_id AND p.id = c.ancestor_id
           WHERE c.org_id = $1 AND c.descendant_id = $2
           ORDER BY c.depth DESC"#,
        org_id,
        id
    )
    .fetch_all(executor)
    .await?)
}

/// Creates a portfolio: top-level ones by admins, children by whoever may edit the parent.
pub async fn create(
    db: impl Begin<'_>,
    caller: &Caller,
    changes: PortfolioChanges,
) -> Result<Portfolio, AppError> {
    forbidden_unless(may_write(caller))?;
    let values = changes.apply(None)?;
    let mut tx = db.begin().await?;
    lock_org(&mut tx, caller.org_id, "portfolio_tree").await?;
    let parent_level = check_parent(&mut tx, caller, values.parent_id).await?;
    check_level(values.level, parent_level, None)?;
    let id = Uuid::now_v7();
    sqlx::query!(
        r#"INSERT INTO portfolios (org_id, id, parent_id, name, description, level, owner_id, lifecycle, position)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, COALESCE($9, (
               SELECT COALESCE(max(position) + 1, 0) FROM portfolios
               WHERE org_id = $1 AND parent_id IS NOT DISTINCT FROM $3)))"#,
        caller.org_id,
        id,
        values.parent_id,
        values.name,
        values.description,
        values.level.as_str(),
        values.owner_id,
        values.lifecycle.map(Lifecycle::as_str),
        values.position
    )
    .execute(&mut *tx)
    .await
    .map_err(reference_error)?;
    // Its ancestors' paths extended by one, plus itself at depth 0.
    sqlx::query!(
        r#"INSERT INTO portfolio_closure (org_id, ancestor_id, descendant_id, depth)
           SELECT org_id, ancestor_id, $2::uuid, depth + 1 FROM portfolio_closure
           WHERE org_id = $1 AND descendant_id = $3
           UNION ALL SELECT $1, $2, $2, 0"#,
        caller.org_id,
        id,
        values.parent_id
    )
    .execute(&mut *tx)
    .await?;
    let created = fetch(&mut tx, caller.org_id, id).await?;
    tx.commit().await?;
    Ok(created)
}

/// Changes a portfolio if it is still at `expected_version`; a new `parent_id` moves its subtree.
pub async fn update(
    pool: &TenantPool,
    caller: &Caller,
    id: Uuid,
    expected_version: Option<i64>,
    changes: PortfolioChanges,
) -> Result<Portfolio, AppError> {
    let mut tx = pool.begin().await?;
    lock_org(&mut tx, caller.org_id, "portfolio_tree").await?;
    // Looked up before any permission check: an unknown id is 404 whoever asks.
    let current = lock(&mut tx, caller.org_id, id).await?;
    permissions::require_portfolio_editor(&mut *tx, caller, id).await?;
    check_version(expected_version, current.version)?;
    let values = changes.apply(Some(&current.values()))?;
    let moved = values.parent_id != current.parent_id;
    let parent_level = if moved {
        if let Some(parent_id) = values.parent_id {
            check_not_within(&mut tx, caller.org_id, id, parent_id).await?;
        }
        check_parent(&mut tx, caller, values.parent_id).await?
    } else {
        parent_level(&mut tx, caller.org_id, values.parent_id).await?
    };
    check_level(
        values.level,
        parent_level,
        shallowest_child(&mut tx, caller.org_id, id).await?,
    )?;
    sqlx::query!(
        r#"UPDATE portfolios SET parent_id = $3, name = $4, description = $5, level = $6, owner_id = $7,
                  lifecycle = $8, updated_by = $10, version = version + 1, updated_at = now(),
                  position = COALESCE($9, (
                      SELECT COALESCE(max(position) + 1, 0) FROM portfolios
                      WHERE org_id = $1 AND parent_id IS NOT DISTINCT FROM $3 AND id <> $2))
           WHERE org_id = $1 AND id = $2"#,
        caller.org_id,
        id,
        values.parent_id,
        values.name,
        values.description,
        values.level.as_str(),
        values.owner_id,
        values.lifecycle.map(Lifecycle::as_str),
        values.position,
        caller.user_id
    )
    .execute(&mut *tx)
    .await
    .map_err(reference_error)?;
    if moved {
        move_subtree(&mut tx, caller.org_id, id, values.parent_id).await?;
    }
    let updated = fetch(&mut tx, caller.org_id, id).await?;
    tx.commit().await?;
    Ok(updated)
}

/// Deletes an empty portfolio; one with sub-portfolios, initiatives, objectives or KPIs answers 409.
pub async fn delete(
    pool: &TenantPool,
    caller: &Caller,
    id: Uuid,
    expected_version: Option<i64>,
) -> Result<(), AppError> {
    let mut tx = pool.begin().await?;
    // Locking the row also holds off new children and initiatives: their foreign keys wait on it.
    let current = lock(&mut tx, caller.org_id, id).await?;
    permissions::require_portfolio_editor(&mut *tx, caller, id).await?;
    check_version(expected_version, current.version)?;
    let not_empty = sqlx::query_scalar!(
        r#"SELECT EXISTS (SELECT 1 FROM portfolios WHERE org_id = $1 AND parent_id = $2)
               OR EXISTS (SELECT 1 FROM initiatives WHERE org_id = $1 AND portfolio_id = $2)
               OR EXISTS (SELECT 1 FROM objectives WHERE org_id = $1 AND portfolio_id = $2)
               OR EXISTS (SELECT 1 FROM kpis WHERE org_id = $1 AND portfolio_id = $2) AS "not_empty!""#,
        caller.org_id,
        id
    )
    .fetch_one(&mut *tx)
    .await?;
    if not_empty {
        return Err(not_empty_error());
    }
    sqlx::query!(
        "DELETE FROM portfolios WHERE org_id = $1 AND id = $2",
        caller.org_id,
        id
    )
    .execute(&mut *tx)
    .await
    .map_err(|e| {
        map_constraint(e, |c| {
            matches!(
                c,
                "portfolios_org_id_parent_id_fkey"
                    | "initiatives_org_id_portfolio_id_fkey"
                    | "objectives_org_id_portfolio_id_fkey"
                    | "kpis_org_id_portfolio_id_fkey"
            )
            .then(not_empty_error)
        })
    })?;
    tx.commit().await?;
    Ok(())
}

/// The level of a portfolio of the organization, if it exists; used to check a parent.
pub async fn level_of(
    executor: impl sqlx::PgExecutor<'_>,
    org_id: Uuid,
    id: Uuid,
) -> Result<Option<PortfolioLevel>, AppError> {
    Ok(sqlx::query_scalar!(
        r#"SELECT level AS "level: PortfolioLevel" FROM portfolios WHERE org_id = $1 AND id = $2"#,
        org_id,
        id
    )
    .fetch_optional(executor)
    .await?)
}

fn not_empty_error() -> AppError {
    AppError::Conflict(
        "This portfolio still holds portfolios, initiatives, objectives or KPIs; move or delete them first."
            .into(),
    )
}

async fn fetch(tx: &mut Tx<'_>, org_id: Uuid, id: Uuid) -> Result<Portfolio, AppError> {
    Ok(sqlx::query_as!(
        Portfolio,
        r#"SELECT id, name, description, level AS "level: PortfolioLevel", parent_id, owner_id,
                  lifecycle AS "lifecycle: Lifecycle", position, version, created_at, updated_at
           FROM portfolios WHERE org_id = $1 AND id = $2"#,
        org_id,
        id
    )
    .fetch_one(&mut **tx)
    .await?)
}

async fn lock(tx: &mut Tx<'_>, org_id: Uuid, id: Uuid) -> Result<Portfolio, AppError> {
    Ok(sqlx::query_as!(
        Portfolio,
        r#"SELECT id, name, description, level AS "level: PortfolioLevel", parent_id, owner_id,
                  lifecycle AS "lifecycle: Lifecycle", position, version, created_at, updated_at
           FROM portfolios WHERE org_id = $1 AND id = $2 FOR UPDATE"#,
        org_id,
        id
    )
    .fetch_one(&mut **tx)
    .await?)
}

/// Checks that the caller may place a portfolio under `parent_id` (at the top: admins only) and
/// returns the parent's level.
async fn check_parent(
    tx: &mut Tx<'_>,
    caller: &Caller,
    parent_id: Option<Uuid>,
) -> Result<Option<PortfolioLevel>, AppError> {
    let Some(parent_id) = parent_id else {
        forbidden_unless(may_administer(caller))?;
        return Ok(None);
    };
    let level = parent_level(tx, caller.org_id, Some(parent_id)).await?;
    permissions::require_portfolio_editor(&mut **tx, caller, parent_id).await?;
    Ok(level)
}

/// The parent's level; a parent that is not the organization's answers 422 on `parent_id`.
async fn parent_level(
    tx: &mut Tx<'_>,
    org_id: Uuid,
    parent_id: Option<Uuid>,
) -> Result<Option<PortfolioLevel>, AppError> {
    let Some(parent_id) = parent_id else {
        return Ok(None);
    };
    match level_of(&mut **tx, org_id, parent_id).await? {
        Some(level) => Ok(Some(level)),
        None => Err(AppError::field(
            "parent_id",
            "is not a portfolio of this organization",
        )),
    }
}

/// A portfolio cannot move under itself or one of its descendants.
async fn check_not_within(tx: &mut Tx<'_>, org_id: Uuid, id: Uuid, new_parent: Uuid) -> Result<(), AppError> {
    let cycle = sqlx::query_scalar!(
        r#"SELECT EXISTS (SELECT 1 FROM portfolio_closure
                          WHERE org_id = $1 AND ancestor_id = $2 AND descendant_id = $3) AS "cycle!""#,
        org_id,
        id,
        new_parent
    )
    .fetch_one(&mut **tx)
    .await?;
    if cycle {
        return Err(AppError::Conflict(
            "A portfolio cannot move under itself or one of its own descendants.".into(),
        ));
    }
    Ok(())
}

async fn shallowest_child(
    tx: &mut Tx<'_>,
    org_id: Uuid,
    id: Uuid,
) -> Result<Option<PortfolioLevel>, AppError> {
    let levels = sqlx::query_scalar!(
        r#"SELECT DISTINCT level AS "level: PortfolioLevel" FROM portfolios WHERE org_id = $1 AND parent_id = $2"#,
        org_id,
        id
    )
    .fetch_all(&mut **tx)
    .await?;
    Ok(levels.into_iter().min())
}

/// Rewrites the closure rows of a moved subtree, set-based: the paths from its old ancestors go,
/// paths from every new ancestor to every node of the subtree come.
async fn move_subtree(
    tx: &mut Tx<'_>,
    org_id: Uuid,
    id: Uuid,
    new_parent: Option<Uuid>,
) -> Result<(), AppError> {
    sqlx::query!(
        r#"DELETE FROM portfolio_closure c
           USING portfolio_closure sub
           WHERE sub.org_id = $1 AND sub.ancestor_id = $2
             AND c.org_id = $1 AND c.descendant_id = sub.descendant_id
             AND c.ancestor_id NOT IN (SELECT descendant_id FROM portfolio_closure
                                       WHERE org_id = $1 AND ancestor_id = $2)"#,
        org_id,
        id
    )
    .execute(&mut **tx)
    .await?;
    sqlx::query!(
        r#"INSERT INTO portfolio_closure (org_id, ancestor_id, descendant_id, depth)
           SELECT $1, above.ancestor_id, sub.descendant_id, above.depth + sub.depth + 1
           FROM portfolio_closure above, portfolio_closure sub
           WHERE above.org_id = $1 AND above.descendant_id = $3
             AND sub.org_id = $1 AND sub.ancestor_id = $2"#,
        org_id,
        id,
        new_parent
    )
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// A reference that vanished or never belonged to the organization, named by field.
fn reference_error(error: sqlx::Error) -> AppError {
    map_constraint(error, |constraint| match constraint {
        "portfolios_org_id_owner_id_fkey" => Some(AppError::field(
            "owner_id",
            "is not a member of this organization",
        )),
        "portfolios_org_id_parent_id_fkey" => Some(AppError::field(
            "parent_id",
            "is not a portfolio of this organization",
        )),
        _ => None,
    })
}
