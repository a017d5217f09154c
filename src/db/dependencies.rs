//! Dependencies between initiatives (SPEC §10): `PUT, DELETE /initiatives/{id}/dependencies/{blocker_id}`
//! and the lists of an initiative's blockers and dependents, each link with whether it is in
//! conflict. The conflict flags and the roll-ups' `dependency_conflicts` are kept by the triggers of
//! migrations/0024; this module only writes links and reads them.

use chrono::NaiveDate;
use serde::Serialize;
use uuid::Uuid;

use super::tenant::Begin;
use super::users::Caller;
use super::{TenantPool, lock_org};
use crate::domain::{Health, Status};
use crate::error::AppError;

/// The other end of a link, with whether the link is in conflict.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct Linked {
    pub id: Uuid,
    pub key: String,
    pub title: String,
    pub portfolio_id: Uuid,
    pub status: Status,
    pub health: Health,
    pub start_date: Option<NaiveDate>,
    pub target_date: Option<NaiveDate>,
    /// The blocker is open and due on or after the dependent starts (SPEC §10).
    pub conflict: bool,
}

/// `GET /initiatives/{id}/dependencies`: what it waits for and what waits for it, soonest due first.
#[derive(Clone, Debug, Default, Serialize, utoipa::ToSchema)]
pub struct Dependencies {
    pub blockers: Vec<Linked>,
    pub dependents: Vec<Linked>,
}

/// The links of initiative `id` (which must exist).
pub async fn of(
    executor: impl sqlx::PgExecutor<'_>,
    org_id: Uuid,
    id: Uuid,
) -> Result<Dependencies, AppError> {
    let rows = sqlx::query!(
        r#"SELECT l.blocker_id = $2 AS "is_dependent!", o.id, o.key, o.title, o.portfolio_id,
                  o.status AS "status: Status", o.health AS "health: Health", o.start_date, o.target_date,
                  dependency_in_conflict(b.status, b.target_date, d.status, d.start_date) AS "conflict!"
           FROM initiative_dependencies l
           JOIN initiatives b ON b.org_id = l.org_id AND b.id = l.blocker_id
           JOIN initiatives d ON d.org_id = l.org_id AND d.id = l.dependent_id
           JOIN initiatives o ON o.org_id = l.org_id AND o.id = CASE WHEN l.blocker_id = $2 THEN l.dependent_id ELSE l.blocker_id END
           WHERE l.org_id = $1 AND (l.dependent_id = $2 OR l.blocker_id = $2)
           ORDER BY o.target_date NULLS LAST, o.number"#,
        org_id,
        id
    )
    .fetch_all(executor)
    .await?;
    let mut links = Dependencies::default();
    for row in rows {
        let linked = Linked {
            id: row.id,
            key: row.key,
            title: row.title,
            portfolio_id: row.portfolio_id,
            status: row.status,
            health: row.health,
            start_date: row.start_date,
            target_date: row.target_date,
            conflict: row.conflict,
        };
        if row.is_dependent {
            links.dependents.push(linked);
        } else {
            links.blockers.push(linked);
        }
    }
    Ok(links)
}

/// Makes `id` wait for `blocker_id`, for whoever may edit `id`. Both must be the organization's
/// (404 otherwise); a link that would close a cycle answers 409. Adding a link that exists changes
/// nothing. A link is not part of either initiative's fields, so neither's version moves.
pub async fn put(
    db: impl Begin<'_>,
    caller: &Caller,
    id: Uuid,
    blocker_id: Uuid,
) -> Result<Dependencies, AppError> {
    let mut tx = db.begin().await?;
    // One writer of links at a time per organization: two links added at once could otherwise
    // close a cycle that neither sees.
    lock_org(&mut tx, caller.org_id, "dependencies").await?;
    super::initiatives::lock_for_edit(&mut tx, caller, id, None).await?;
    super::initiatives::fetch(&mut tx, caller.org_id, blocker_id, false).await?;
    let cycle = sqlx::query_scalar!(
        r#"WITH RECURSIVE upstream AS (
               SELECT $3::uuid AS id
               UNION
               SELECT l.blocker_id FROM upstream u
               JOIN initiative_dependencies l ON l.org_id = $1 AND l.dependent_id = u.id
           )
           SELECT EXISTS (SELECT 1 FROM upstream WHERE id = $2) AS "cycle!""#,
        caller.org_id,
        id,
        blocker_id
    )
    .fetch_one(&mut *tx)
    .await?;
    if cycle {
        return Err(AppError::Conflict(if id == blocker_id {
            "An initiative cannot wait for itself.".into()
        } else {
            "This would make a cycle: the blocker already waits, directly or through others, for this initiative."
                .into()
        }));
    }
    sqlx::query!(
        "INSERT INTO initiative_dependencies (org_id, dependent_id, blocker_id, created_by)
         VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
        caller.org_id,
        id,
        blocker_id,
        caller.user_id
    )
    .execute(&mut *tx)
    .await?;
    let links = of(&mut *tx, caller.org_id, id).await?;
    tx.commit().await?;
    Ok(links)
}

/// Removes the link from `id` to `blocker_id`, for whoever may edit `id`; 404 when there is none.
pub async fn delete(pool: &TenantPool, caller: &Caller, id: Uuid, blocker_id: Uuid) -> Result<(), AppError> {
    let mut tx = pool.begin().await?;
    lock_org(&mut tx, caller.org_id, "dependencies").await?;
    super::initiatives::lock_for_edit(&mut tx, caller, id, None).await?;
    let removed = sqlx::query!(
        "DELETE FROM initiative_dependencies WHERE org_id = $1 AND dependent_id = $2 AND blocker_id = $3",
        caller.org_id,
        id,
        blocker_id
    )
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if removed == 0 {
        return Err(AppError::NotFound);
    }
    tx.commit().await?;
    Ok(())
}
