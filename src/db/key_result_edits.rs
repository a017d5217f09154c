//! Writing key results. Every write refreshes its objective's stored progress in the same
//! transaction (under the objective's row lock), and every new current value is kept as a check-in.

use uuid::Uuid;

use super::key_results::{KeyResult, KeyResultRow, get};
use super::tenant::Begin;
use super::users::Caller;
use super::{TenantPool, Tx, check_version, objectives};
use crate::domain::okr::KeyResultChanges;
use crate::error::AppError;

/// Adds a key result to an objective the caller may edit.
pub async fn create(
    db: impl Begin<'_>,
    caller: &Caller,
    objective_id: Uuid,
    changes: KeyResultChanges,
) -> Result<KeyResult, AppError> {
    let mut tx = db.begin().await?;
    objectives::lock_for_key_results(&mut tx, caller, objective_id).await?;
    let (values, _) = changes.apply(None)?;
    let id = Uuid::now_v7();
    sqlx::query!(
        r#"INSERT INTO key_results (org_id, id, objective_id, title, start_value, target_value, current_value,
                                    unit, weight, position)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9,
                   (SELECT coalesce(max(position) + 1, 0) FROM key_results WHERE org_id = $1 AND objective_id = $3))"#,
        caller.org_id,
        id,
        objective_id,
        values.title,
        values.start_value,
        values.target_value,
        values.current_value,
        values.unit,
        values.weight
    )
    .execute(&mut *tx)
    .await?;
    objectives::refresh_progress(&mut tx, caller.org_id, objective_id).await?;
    let created = get(&mut *tx, caller.org_id, id).await?;
    tx.commit().await?;
    Ok(created)
}

/// Changes a key result if it is still at `expected_version`; a new current value (or a note) is
/// recorded as a check-in by the same transaction.
pub async fn update(
    pool: &TenantPool,
    caller: &Caller,
    id: Uuid,
    expected_version: Option<i64>,
    changes: KeyResultChanges,
) -> Result<KeyResult, AppError> {
    let mut tx = pool.begin().await?;
    let current = lock(&mut tx, caller, id, expected_version).await?;
    let (values, note) = changes.apply(Some(&current.values()))?;
    if values.current_value != current.current_value || note.is_some() {
        sqlx::query!(
            r#"INSERT INTO key_result_check_ins (org_id, id, key_result_id, author_id, created_at, value,
                                                 previous_value, note)
               VALUES ($1, $2, $3, $4, clock_timestamp(), $5, $6, $7)"#,
            caller.org_id,
            Uuid::now_v7(),
            id,
            caller.user_id,
            values.current_value,
            current.current_value,
            note
        )
        .execute(&mut *tx)
        .await?;
    }
    sqlx::query!(
        r#"UPDATE key_results SET title = $3, start_value = $4, target_value = $5, current_value = $6, unit = $7,
                  weight = $8, updated_by = $9, version = version + 1, updated_at = now()
           WHERE org_id = $1 AND id = $2"#,
        caller.org_id,
        id,
        values.title,
        values.start_value,
        values.target_value,
        values.current_value,
        values.unit,
        values.weight,
        caller.user_id
    )
    .execute(&mut *tx)
    .await?;
    objectives::refresh_progress(&mut tx, caller.org_id, current.objective_id).await?;
    tx.commit().await?;
    get(pool, caller.org_id, id).await
}

pub async fn delete(
    pool: &TenantPool,
    caller: &Caller,
    id: Uuid,
    expected_version: Option<i64>,
) -> Result<(), AppError> {
    let mut tx = pool.begin().await?;
    let current = lock(&mut tx, caller, id, expected_version).await?;
    sqlx::query!(
        "DELETE FROM key_results WHERE org_id = $1 AND id = $2",
        caller.org_id,
        id
    )
    .execute(&mut *tx)
    .await?;
    objectives::refresh_progress(&mut tx, caller.org_id, current.objective_id).await?;
    tx.commit().await?;
    Ok(())
}

/// Locks a key result for a write, its objective first (the order `create` takes too), after
/// checking that the caller may edit it and that it is still at `expected_version` (412 if not).
/// An unknown id is 404 whoever asks.
async fn lock(
    tx: &mut Tx<'_>,
    caller: &Caller,
    id: Uuid,
    expected_version: Option<i64>,
) -> Result<KeyResult, AppError> {
    let objective_id = sqlx::query_scalar!(
        "SELECT objective_id FROM key_results WHERE org_id = $1 AND id = $2",
        caller.org_id,
        id
    )
    .fetch_one(&mut **tx)
    .await?;
    objectives::lock_for_key_results(tx, caller, objective_id).await?;
    let current: KeyResult = sqlx::query_as!(
        KeyResultRow,
        r#"SELECT k.id, k.objective_id, k.title, k.start_value, k.target_value, k.current_value, k.unit,
                  k.weight, k.version, k.created_at, k.updated_at, ARRAY[]::uuid[] AS "initiative_ids!"
           FROM key_results k
           WHERE k.org_id = $1 AND k.id = $2 FOR UPDATE"#,
        caller.org_id,
        id
    )
    .fetch_one(&mut **tx)
    .await?
    .into();
    check_version(expected_version, current.version)?;
    Ok(current)
}
