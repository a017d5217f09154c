//! Which initiatives move which key results (many to many): linking them, and reading the links
//! from either side.

use std::collections::HashMap;

use uuid::Uuid;

use super::key_results::{KeyResult, KeyResultRow};
use super::users::Caller;
use super::{TenantPool, Tx, permissions};
use crate::domain::{Health, Status};
use crate::error::AppError;

/// Links an initiative to a key result (idempotent): whoever may update the initiative.
pub async fn link(
    pool: &TenantPool,
    caller: &Caller,
    initiative_id: Uuid,
    key_result_id: Uuid,
) -> Result<(), AppError> {
    let mut tx = pool.begin().await?;
    require_initiative_editor(&mut tx, caller, initiative_id, key_result_id).await?;
    sqlx::query!(
        r#"INSERT INTO initiative_key_results (org_id, initiative_id, key_result_id) VALUES ($1, $2, $3)
           ON CONFLICT DO NOTHING"#,
        caller.org_id,
        initiative_id,
        key_result_id
    )
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Unlinks them; unlinking what is not linked is not an error.
pub async fn unlink(
    pool: &TenantPool,
    caller: &Caller,
    initiative_id: Uuid,
    key_result_id: Uuid,
) -> Result<(), AppError> {
    let mut tx = pool.begin().await?;
    require_initiative_editor(&mut tx, caller, initiative_id, key_result_id).await?;
    sqlx::query!(
        "DELETE FROM initiative_key_results WHERE org_id = $1 AND initiative_id = $2 AND key_result_id = $3",
        caller.org_id,
        initiative_id,
        key_result_id
    )
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Both must be the organization's (404 otherwise, whoever asks); then the caller must be able to
/// update the initiative.
async fn require_initiative_editor(
    tx: &mut Tx<'_>,
    caller: &Caller,
    initiative_id: Uuid,
    key_result_id: Uuid,
) -> Result<(), AppError> {
    let initiative = sqlx::query!(
        r#"SELECT i.owner_id, i.portfolio_id,
                  EXISTS (SELECT 1 FROM key_results WHERE org_id = $1 AND id = $3) AS "key_result_exists!"
           FROM initiatives i WHERE i.org_id = $1 AND i.id = $2 FOR UPDATE"#,
        caller.org_id,
        initiative_id,
        key_result_id
    )
    .fetch_one(&mut **tx)
    .await?;
    if !initiative.key_result_exists {
        return Err(AppError::NotFound);
    }
    permissions::require_owned(&mut **tx, caller, initiative.owner_id, initiative.portfolio_id).await
}

/// A key result an initiative moves, with its objective, for the initiative page.
#[derive(Clone, Debug)]
pub struct LinkedKeyResult {
    pub key_result: KeyResult,
    pub objective_id: Uuid,
    pub objective_title: String,
    pub period: String,
}

/// The key results an initiative is linked to.
pub async fn of_initiative(pool: &TenantPool, initiative_id: Uuid) -> Result<Vec<LinkedKeyResult>, AppError> {
    let org_id = pool.org_id();
    let rows = sqlx::query!(
        r#"SELECT k.id, k.objective_id, k.title, k.start_value, k.target_value, k.current_value, k.unit,
                  k.weight, k.version, k.created_at, k.updated_at, o.title AS objective_title, o.period
           FROM initiative_key_results l
           JOIN key_results k ON k.org_id = l.org_id AND k.id = l.key_result_id
           JOIN objectives o ON o.org_id = k.org_id AND o.id = k.objective_id
           WHERE l.org_id = $1 AND l.initiative_id = $2
           ORDER BY o.period DESC, o.title, k.position, k.id"#,
        org_id,
        initiative_id
    )
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|row| LinkedKeyResult {
            objective_id: row.objective_id,
            objective_title: row.objective_title,
            period: row.period,
            key_result: KeyResultRow {
                id: row.id,
                objective_id: row.objective_id,
                title: row.title,
                start_value: row.start_value,
                target_value: row.target_value,
                current_value: row.current_value,
                unit: row.unit,
                weight: row.weight,
                initiative_ids: vec![initiative_id],
                version: row.version,
                created_at: row.created_at,
                updated_at: row.updated_at,
            }
            .into(),
        })
        .collect())
}

/// The key results an initiative in `portfolio_id` may be linked to: those of objectives of these
/// periods scoped to its portfolio or one above it, as `(id, "objective: key result")`.
pub async fn linkable(
    pool: &TenantPool,
    portfolio_id: Uuid,
    periods: &[String],
) -> Result<Vec<(Uuid, String)>, AppError> {
    let org_id = pool.org_id();
    Ok(sqlx::query!(
        r#"SELECT k.id, o.title AS objective_title, k.title
           FROM portfolio_closure c
           JOIN objectives o ON o.org_id = c.org_id AND o.portfolio_id = c.ancestor_id
           JOIN key_results k ON k.org_id = o.org_id AND k.objective_id = o.id
           WHERE c.org_id = $1 AND c.descendant_id = $2 AND o.period = ANY($3)
           ORDER BY c.depth, o.title, k.position, k.id"#,
        org_id,
        portfolio_id,
        periods
    )
    .fetch_all(pool)
    .await?
    .into_iter()
    .map(|row| (row.id, format!("{}: {}", row.objective_title, row.title)))
    .collect())
}

/// An initiative behind a key result, as the objective page lists it.
#[derive(Clone, Debug)]
pub struct LinkedInitiative {
    pub id: Uuid,
    pub key: String,
    pub title: String,
    pub status: Status,
    pub health: Health,
    pub progress: i16,
}

/// The initiatives linked to these key results, by key result.
pub async fn initiatives_of(
    pool: &TenantPool,
    key_result_ids: &[Uuid],
) -> Result<HashMap<Uuid, Vec<LinkedInitiative>>, AppError> {
    let org_id = pool.org_id();
    let rows = sqlx::query!(
        r#"SELECT l.key_result_id, i.id, i.key, i.title, i.status AS "status: Status",
                  i.health AS "health: Health", i.progress
           FROM initiative_key_results l
           JOIN initiatives i ON i.org_id = l.org_id AND i.id = l.initiative_id
           WHERE l.org_id = $1 AND l.key_result_id = ANY($2)
           ORDER BY i.number"#,
        org_id,
        key_result_ids
    )
    .fetch_all(pool)
    .await?;
    let mut by_key_result: HashMap<Uuid, Vec<LinkedInitiative>> = HashMap::new();
    for row in rows {
        by_key_result
            .entry(row.key_result_id)
            .or_default()
            .push(LinkedInitiative {
                id: row.id,
                key: row.key,
                title: row.title,
                status: row.status,
                health: row.health,
                progress: row.progress,
            });
    }
    Ok(by_key_result)
}
