//! Read models for the portfolio pages: owners' names and initiative summaries, each in one
//! set-based query rather than one query per portfolio.

use std::collections::HashMap;

use super::TenantPool;
use sqlx::PgExecutor;
use uuid::Uuid;

use super::portfolios::{Portfolio, TreeNode, into_tree};
use crate::domain::{Health, Lifecycle, PortfolioLevel, Status};
use crate::error::AppError;

/// The names of the organization's members by user id: what an owner column shows.
pub async fn member_names(pool: &TenantPool) -> Result<HashMap<Uuid, String>, AppError> {
    member_names_in(pool, pool.org_id()).await
}

/// Every member's name, in the caller's transaction.
pub async fn member_names_in(
    executor: impl PgExecutor<'_>,
    org_id: Uuid,
) -> Result<HashMap<Uuid, String>, AppError> {
    let rows = sqlx::query!(
        r#"SELECT u.id, u.name FROM memberships m JOIN users u ON u.id = m.user_id
           WHERE m.org_id = $1"#,
        org_id
    )
    .fetch_all(executor)
    .await?;
    Ok(rows.into_iter().map(|r| (r.id, r.name)).collect())
}

/// The names of just these members: pages that label a few rows need not load the whole org.
pub async fn names_of(
    executor: impl PgExecutor<'_>,
    org_id: Uuid,
    ids: &[Uuid],
) -> Result<HashMap<Uuid, String>, AppError> {
    let rows = sqlx::query!(
        r#"SELECT u.id, u.name FROM memberships m JOIN users u ON u.id = m.user_id
           WHERE m.org_id = $1 AND m.user_id = ANY($2)"#,
        org_id,
        ids
    )
    .fetch_all(executor)
    .await?;
    Ok(rows.into_iter().map(|r| (r.id, r.name)).collect())
}

/// An initiative as a row of a portfolio's list shows it.
#[derive(Clone, Debug)]
pub struct InitiativeSummary {
    pub id: Uuid,
    pub key: String,
    pub title: String,
    pub portfolio_id: Uuid,
    pub owner_id: Option<Uuid>,
    pub status: Status,
    pub health: Health,
    pub progress: i16,
}

/// The initiatives attached directly to `portfolio_id`, or to any portfolio of the organization
/// when `None`; ordered by key number within each portfolio.
pub async fn initiative_summaries(
    pool: &TenantPool,
    portfolio_id: Option<Uuid>,
) -> Result<Vec<InitiativeSummary>, AppError> {
    let org_id = pool.org_id();
    Ok(sqlx::query_as!(
        InitiativeSummary,
        r#"SELECT id, key, title, portfolio_id, owner_id, status AS "status: Status",
                  health AS "health: Health", progress
           FROM initiatives
           WHERE org_id = $1 AND ($2::uuid IS NULL OR portfolio_id = $2)
           ORDER BY portfolio_id, number"#,
        org_id,
        portfolio_id
    )
    .fetch_all(pool)
    .await?)
}

/// Where a signed-in person's home roll-up is: the highest portfolio they own (nearest the top,
/// then first among siblings), if any.
pub async fn highest_owned(pool: &TenantPool, user_id: Uuid) -> Result<Option<Uuid>, AppError> {
    let org_id = pool.org_id();
    Ok(sqlx::query_scalar!(
        r#"SELECT p.id FROM portfolios p
           WHERE p.org_id = $1 AND p.owner_id = $2
           ORDER BY (SELECT max(c.depth) FROM portfolio_closure c
                     WHERE c.org_id = p.org_id AND c.descendant_id = p.id), p.position, p.name, p.id
           LIMIT 1"#,
        org_id,
        user_id
    )
    .fetch_optional(pool)
    .await?)
}

/// The organization's first top-level portfolio; `None` when it has no portfolio at all.
pub async fn first_top_level(pool: &TenantPool) -> Result<Option<Uuid>, AppError> {
    let org_id = pool.org_id();
    Ok(sqlx::query_scalar!(
        "SELECT id FROM portfolios WHERE org_id = $1 AND parent_id IS NULL ORDER BY position, name, id LIMIT 1",
        org_id
    )
    .fetch_optional(pool)
    .await?)
}

/// The portfolios a list's scope menu offers, in tree order: the way from the top down to `scope`
/// and the portfolios right below it; without a scope, the top-level portfolios and theirs. A menu
/// of every portfolio would be 2,000 options at 100k initiatives (most of the list page's bytes
/// and time); this one grows with the tree's depth and one portfolio's fan-out, and every choice
/// leads one level further down.
pub async fn scope_menu(pool: &TenantPool, scope: Option<Uuid>) -> Result<Vec<TreeNode>, AppError> {
    let org_id = pool.org_id();
    let portfolios = match scope {
        Some(scope) => {
            sqlx::query_as!(
                Portfolio,
                r#"SELECT p.id, p.name, p.description, p.level AS "level: PortfolioLevel", p.parent_id, p.owner_id,
                          p.lifecycle AS "lifecycle: Lifecycle", p.position, p.version, p.created_at, p.updated_at
                   FROM portfolios p
                   WHERE p.org_id = $1
                     AND (p.parent_id = $2
                          OR p.id IN (SELECT c.ancestor_id FROM portfolio_closure c
                                      WHERE c.org_id = $1 AND c.descendant_id = $2))
                   ORDER BY p.position, p.name, p.id"#,
                org_id,
                scope
            )
            .fetch_all(pool)
            .await?
        }
        None => {
            sqlx::query_as!(
                Portfolio,
                r#"SELECT p.id, p.name, p.description, p.level AS "level: PortfolioLevel", p.parent_id, p.owner_id,
                          p.lifecycle AS "lifecycle: Lifecycle", p.position, p.version, p.created_at, p.updated_at
                   FROM portfolios p
                   WHERE p.org_id = $1
                     AND (p.parent_id IS NULL
                          OR p.parent_id IN (SELECT t.id FROM portfolios t WHERE t.org_id = $1 AND t.parent_id IS NULL))
                   ORDER BY p.position, p.name, p.id"#,
                org_id
            )
            .fetch_all(pool)
            .await?
        }
    };
    Ok(into_tree(portfolios))
}
