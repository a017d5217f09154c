//! The immutable history of an initiative's status, health and progress.

use uuid::Uuid;

use super::Tx;
use crate::domain::initiative::Progress;
use crate::error::AppError;

/// Records a change from `before` to `after`, in the transaction that makes it.
pub async fn record(
    tx: &mut Tx<'_>,
    org_id: Uuid,
    initiative_id: Uuid,
    author_id: Uuid,
    before: Progress,
    after: Progress,
    note: Option<&str>,
) -> Result<Uuid, AppError> {
    let id = Uuid::now_v7();
    sqlx::query!(
        r#"INSERT INTO status_updates (org_id, id, initiative_id, author_id, note, status, health, progress,
                                       previous_status, previous_health, previous_progress)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)"#,
        org_id,
        id,
        initiative_id,
        author_id,
        note,
        after.status.as_str(),
        after.health.as_str(),
        after.progress,
        before.status.as_str(),
        before.health.as_str(),
        before.progress
    )
    .execute(&mut **tx)
    .await?;
    Ok(id)
}
