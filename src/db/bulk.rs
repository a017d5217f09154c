//! Loading a whole organization at once (the demo, and benchmark seeds): one transaction, and the
//! portfolio closure table built set-based at the end instead of row by row.

use chrono::{DateTime, NaiveDate, Utc};
use uuid::Uuid;

use super::Tx;
use crate::domain::{Health, Lifecycle, PortfolioLevel, Role, Status};
use crate::error::AppError;

pub struct Member<'a> {
    pub id: Uuid,
    pub name: &'a str,
    pub email: String,
    pub role: Role,
}

pub struct Theme<'a> {
    pub id: Uuid,
    pub name: &'a str,
    pub colour: &'a str,
    pub target_share: f64,
}

pub struct Portfolio<'a> {
    pub id: Uuid,
    pub parent_id: Option<Uuid>,
    pub name: &'a str,
    pub description: &'a str,
    pub level: PortfolioLevel,
    pub owner_id: Option<Uuid>,
    pub lifecycle: Option<Lifecycle>,
    pub position: i32,
}

pub struct Initiative {
    pub id: Uuid,
    pub title: String,
    pub description: String,
    pub portfolio_id: Uuid,
    pub owner_id: Option<Uuid>,
    pub theme_id: Option<Uuid>,
    pub status: Status,
    pub health: Health,
    pub progress: i16,
    pub effort: f64,
    pub budget: Option<i64>,
    pub start_date: Option<NaiveDate>,
    pub target_date: Option<NaiveDate>,
    pub reach: Option<i64>,
    pub impact: Option<f64>,
    pub confidence: Option<i16>,
    pub updated_at: DateTime<Utc>,
}

/// One entry of an initiative's history: its values before and after.
pub struct StatusUpdate {
    pub initiative_id: Uuid,
    pub author_id: Uuid,
    pub created_at: DateTime<Utc>,
    pub note: Option<String>,
    pub before: (Status, Health, i16),
    pub after: (Status, Health, i16),
}

pub async fn insert_members(
    tx: &mut Tx<'_>,
    org_id: Uuid,
    members: &[Member<'_>],
    password_hash: &str,
) -> Result<(), AppError> {
    for m in members {
        sqlx::query!(
            "INSERT INTO users (id, name, email, password_hash) VALUES ($1, $2, $3, $4)",
            m.id,
            m.name,
            m.email,
            password_hash
        )
        .execute(&mut **tx)
        .await?;
        super::users::add_membership(tx, org_id, m.id, m.role).await?;
    }
    Ok(())
}

pub async fn insert_themes(tx: &mut Tx<'_>, org_id: Uuid, themes: &[Theme<'_>]) -> Result<(), AppError> {
    for t in themes {
        sqlx::query!(
            "INSERT INTO themes (org_id, id, name, colour, target_share) VALUES ($1, $2, $3, $4, $5::float8)",
            org_id,
            t.id,
            t.name,
            t.colour,
            t.target_share
        )
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}

/// Inserts portfolios, parents before children, then builds their closure rows in one statement.
pub async fn insert_portfolios(
    tx: &mut Tx<'_>,
    org_id: Uuid,
    portfolios: &[Portfolio<'_>],
) -> Result<(), AppError> {
    for p in portfolios {
        sqlx::query!(
            "INSERT INTO portfolios (org_id, id, parent_id, name, description, level, owner_id, lifecycle, position)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
            org_id,
            p.id,
            p.parent_id,
            p.name,
            p.description,
            p.level.as_str(),
            p.owner_id,
            p.lifecycle.map(Lifecycle::as_str),
            p.position
        )
        .execute(&mut **tx)
        .await?;
    }
    sqlx::query!(
        "INSERT INTO portfolio_closure (org_id, ancestor_id, descendant_id, depth)
         WITH RECURSIVE paths AS (
             SELECT id AS ancestor_id, id AS descendant_id, 0 AS depth
             FROM portfolios WHERE org_id = $1
             UNION ALL
             SELECT paths.ancestor_id, child.id, paths.depth + 1
             FROM paths JOIN portfolios child ON child.org_id = $1 AND child.parent_id = paths.descendant_id
         )
         SELECT $1, ancestor_id, descendant_id, depth FROM paths
         ON CONFLICT DO NOTHING",
        org_id
    )
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Inserts initiatives with keys `<prefix>-1…n` in the given order and advances the org's counter.
pub async fn insert_initiatives(
    tx: &mut Tx<'_>,
    org_id: Uuid,
    key_prefix: &str,
    initiatives: &[Initiative],
) -> Result<(), AppError> {
    for (n, i) in (1_i64..).zip(initiatives) {
        sqlx::query!(
            "INSERT INTO initiatives (org_id, id, number, key, title, description, portfolio_id, owner_id, theme_id,
                 status, health, progress, effort, budget, start_date, target_date, reach, impact, confidence,
                 created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $20)",
            org_id,
            i.id,
            n,
            format!("{key_prefix}-{n}"),
            i.title,
            i.description,
            i.portfolio_id,
            i.owner_id,
            i.theme_id,
            i.status.as_str(),
            i.health.as_str(),
            i.progress,
            i.effort,
            i.budget,
            i.start_date,
            i.target_date,
            i.reach,
            i.impact,
            i.confidence,
            i.updated_at
        )
        .execute(&mut **tx)
        .await?;
    }
    sqlx::query!(
        "UPDATE organizations SET next_initiative_number = $2 WHERE id = $1",
        org_id,
        initiatives.len() as i64 + 1
    )
    .execute(&mut **tx)
    .await?;
    Ok(())
}

pub async fn insert_history(tx: &mut Tx<'_>, org_id: Uuid, updates: &[StatusUpdate]) -> Result<(), AppError> {
    for u in updates {
        sqlx::query!(
            "INSERT INTO status_updates (org_id, id, initiative_id, author_id, created_at, note,
                 status, health, progress, previous_status, previous_health, previous_progress)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
            org_id,
            Uuid::now_v7(),
            u.initiative_id,
            u.author_id,
            u.created_at,
            u.note,
            u.after.0.as_str(),
            u.after.1.as_str(),
            u.after.2,
            u.before.0.as_str(),
            u.before.1.as_str(),
            u.before.2
        )
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}
