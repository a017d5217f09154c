//! Baselines (SPEC §10): a portfolio's subtree frozen at a moment, each initiative as it was and the
//! §3 figures of the portfolio and its children as they were shown. Applying a scenario takes one
//! first (SPEC §9). Taking, listing and the diff against now are the baselines issue's; this holds
//! the snapshot and reads one back.

use chrono::{DateTime, Utc};
use serde::Serialize;
use uuid::Uuid;

use super::rollup::{Plan, rollup_in};
use super::{TenantPool, Tx};
use crate::error::AppError;

/// A baseline, its figures as the roll-up showed them when it was taken.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct Baseline {
    pub id: Uuid,
    pub portfolio_id: Uuid,
    pub name: String,
    pub created_by: Option<Uuid>,
    pub created_at: DateTime<Utc>,
    /// How many initiatives of the subtree it froze.
    pub initiatives: i64,
    /// The roll-up of the portfolio at that moment, in the §3 shape (`totals`, `children`,
    /// `themes`).
    #[schema(value_type = Object)]
    pub figures: serde_json::Value,
}

/// Freezes `portfolio_id`'s subtree as it stands in `tx`, taken by `author` and named `name` (cut
/// to the 200 characters a name may have).
pub(crate) async fn take_in(
    tx: &mut Tx<'_>,
    org_id: Uuid,
    author: Uuid,
    portfolio_id: Uuid,
    name: &str,
) -> Result<Uuid, AppError> {
    let rollup = rollup_in(tx, org_id, Plan::Live, portfolio_id, None, 0).await?;
    let figures = serde_json::json!({
        "portfolio": rollup.portfolio,
        "period": rollup.period,
        "totals": rollup.totals,
        "children": rollup.children,
        "themes": rollup.themes,
    });
    let id = Uuid::now_v7();
    let name: String = name.chars().take(200).collect();
    sqlx::query!(
        "INSERT INTO baselines (org_id, id, portfolio_id, name, figures, created_by)
         VALUES ($1, $2, $3, $4, $5, $6)",
        org_id,
        id,
        portfolio_id,
        name,
        figures,
        author
    )
    .execute(&mut **tx)
    .await?;
    sqlx::query!(
        "INSERT INTO baseline_initiatives (org_id, baseline_id, initiative_id, key, portfolio_id, title, status,
                                           health, progress, effort, theme_id, start_date, target_date, version)
         SELECT i.org_id, $3, i.id, i.key, i.portfolio_id, i.title, i.status, i.health, i.progress, i.effort,
                i.theme_id, i.start_date, i.target_date, i.version
         FROM portfolio_closure c
         JOIN initiatives i ON i.org_id = c.org_id AND i.portfolio_id = c.descendant_id
         WHERE c.org_id = $1 AND c.ancestor_id = $2",
        org_id,
        portfolio_id,
        id
    )
    .execute(&mut **tx)
    .await?;
    Ok(id)
}

/// The baseline `id` with its figures.
pub async fn get(pool: &TenantPool, id: Uuid) -> Result<Baseline, AppError> {
    Ok(sqlx::query_as!(
        Baseline,
        r#"SELECT b.id, b.portfolio_id, b.name, b.created_by, b.created_at, b.figures,
                  (SELECT count(*) FROM baseline_initiatives f
                   WHERE f.org_id = b.org_id AND f.baseline_id = b.id) AS "initiatives!"
           FROM baselines b WHERE b.org_id = $1 AND b.id = $2"#,
        pool.org_id(),
        id
    )
    .fetch_one(pool)
    .await?)
}
