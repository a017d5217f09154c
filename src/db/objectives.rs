//! Objectives: the O of OKR, scoped to a portfolio and a period, aligned through `parent_id`, each
//! answered with its key results and its progress.

use super::TenantPool;
use super::tenant::Begin;
use crate::domain::permissions::may_write;
use crate::error::forbidden_unless;
use rust_decimal::Decimal;
use sqlx::PgConnection;
use sqlx::PgExecutor;
use uuid::Uuid;

use super::key_results::{self, KeyResult};
use super::users::Caller;
use super::{Timestamp, Tx, check_version, lock_org, permissions};
use crate::domain::okr::{ObjectiveChanges, ObjectiveValues, key_result_progress, objective_progress};
use crate::domain::page::{Page, PageRequest};
use crate::domain::period::Period;
use crate::domain::rollup::percent;
use crate::error::{AppError, map_constraint};

/// An objective in the API's shape: `progress` in percent with one decimal, null without key
/// results.
#[derive(Clone, Debug, serde::Serialize, utoipa::ToSchema)]
pub struct Objective {
    pub id: Uuid,
    pub title: String,
    pub description: String,
    pub portfolio_id: Uuid,
    pub period: Period,
    pub owner_id: Option<Uuid>,
    pub parent_id: Option<Uuid>,
    pub progress: Option<f64>,
    pub key_results: Vec<KeyResult>,
    pub version: i64,
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub updated_at: chrono::DateTime<chrono::Utc>,
}

/// An objective as stored, before its key results are attached.
struct ObjectiveRow {
    id: Uuid,
    title: String,
    description: String,
    portfolio_id: Uuid,
    period: String,
    owner_id: Option<Uuid>,
    parent_id: Option<Uuid>,
    progress: Option<Decimal>,
    version: i64,
    created_at: Timestamp,
    updated_at: Timestamp,
}

impl ObjectiveRow {
    fn with(self, key_results: Vec<KeyResult>) -> Result<Objective, AppError> {
        Ok(Objective {
            period: stored_period(&self.period)?,
            id: self.id,
            title: self.title,
            description: self.description,
            portfolio_id: self.portfolio_id,
            owner_id: self.owner_id,
            parent_id: self.parent_id,
            progress: self.progress.map(percent),
            key_results,
            version: self.version,
            created_at: self.created_at,
            updated_at: self.updated_at,
        })
    }

    fn values(&self) -> Result<ObjectiveValues, AppError> {
        Ok(ObjectiveValues {
            title: self.title.clone(),
            description: self.description.clone(),
            portfolio_id: self.portfolio_id,
            period: stored_period(&self.period)?,
            owner_id: self.owner_id,
            parent_id: self.parent_id,
        })
    }
}

/// A period as the column holds it; its CHECK admits only valid ones.
fn stored_period(text: &str) -> Result<Period, AppError> {
    text.parse()
        .map_err(|message: String| AppError::Internal(anyhow::anyhow!(message)))
}

impl Objective {
    pub fn values(&self) -> ObjectiveValues {
        ObjectiveValues {
            title: self.title.clone(),
            description: self.description.clone(),
            portfolio_id: self.portfolio_id,
            period: self.period,
            owner_id: self.owner_id,
            parent_id: self.parent_id,
        }
    }
}

/// Which objectives a list or the OKR tree shows: a period and a portfolio's whole subtree.
#[derive(Clone, Copy, Debug, Default)]
pub struct ObjectiveFilter {
    pub period: Option<Period>,
    pub portfolio_id: Option<Uuid>,
}

/// Attaches every objective's key results, in one query for the whole set.
async fn with_key_results(
    db: impl PgExecutor<'_>,
    org_id: Uuid,
    rows: Vec<ObjectiveRow>,
) -> Result<Vec<Objective>, AppError> {
    let ids: Vec<Uuid> = rows.iter().map(|row| row.id).collect();
    let mut by_objective = key_results::of_objectives(db, org_id, &ids).await?;
    rows.into_iter()
        .map(|row| {
            let key_results = by_objective.remove(&row.id).unwrap_or_default();
            row.with(key_results)
        })
        .collect()
}

/// A page of the objectives that pass `filter`, oldest first (keyset on the id).
pub async fn list(
    pool: &TenantPool,
    filter: ObjectiveFilter,
    page: &PageRequest,
) -> Result<Page<Objective>, AppError> {
    let rows = search(
        pool,
        filter,
        ObjectiveOrder::Id,
        page.after,
        Some(page.fetch_limit()),
    )
    .await?;
    let page = Page::from_rows(rows, page, |row| row.id);
    let next_cursor = page.next_cursor;
    let items = with_key_results(pool, pool.org_id(), page.items).await?;
    Ok(Page { items, next_cursor })
}

/// Every objective that passes `filter`, for the OKR tree: aligned ones are nested by the page.
pub async fn all(pool: &TenantPool, filter: ObjectiveFilter) -> Result<Vec<Objective>, AppError> {
    let rows = search(pool, filter, ObjectiveOrder::Title, None, None).await?;
    with_key_results(pool, pool.org_id(), rows).await
}

/// The two orders objectives are read in: the API's keyset pages by id, the tree's by title (in
/// the database's collation, so sorted there).
#[derive(Clone, Copy, PartialEq)]
enum ObjectiveOrder {
    Id,
    Title,
}

/// The objectives that pass `filter` in `order`, after the id `after` (id order only), at most
/// `limit` (none: all). An organization holds hundreds of objectives, not thousands, so one
/// statement with its order chosen by a parameter plans well enough.
async fn search(
    pool: &TenantPool,
    filter: ObjectiveFilter,
    order: ObjectiveOrder,
    after: Option<Uuid>,
    limit: Option<i64>,
) -> Result<Vec<ObjectiveRow>, AppError> {
    Ok(sqlx::query_as!(
        ObjectiveRow,
        r#"SELECT o.id, o.title, o.description, o.portfolio_id, o.period, o.owner_id, o.parent_id, o.progress,
                  o.version, o.created_at, o.updated_at
           FROM objectives o
           WHERE o.org_id = $1
             AND ($2::text IS NULL OR o.period = $2)
             AND ($3::uuid IS NULL OR o.portfolio_id IN (
                    SELECT descendant_id FROM portfolio_closure WHERE org_id = $1 AND ancestor_id = $3))
             AND ($4::uuid IS NULL OR o.id > $4)
           ORDER BY CASE WHEN $5 THEN o.title END, o.id
           LIMIT $6"#,
        pool.org_id(),
        filter.period.map(|p| p.to_string()),
        filter.portfolio_id,
        after,
        order == ObjectiveOrder::Title,
        limit
    )
    .fetch_all(pool)
    .await?)
}

/// The objectives that support objective `id` (its children in the alignment tree).
pub async fn supporters(pool: &TenantPool, id: Uuid) -> Result<Vec<Objective>, AppError> {
    let org_id = pool.org_id();
    let rows = sqlx::query_as!(
        ObjectiveRow,
        r#"SELECT id, title, description, portfolio_id, period, owner_id, parent_id, progress, version,
                  created_at, updated_at
           FROM objectives WHERE org_id = $1 AND parent_id = $2
           ORDER BY title, id"#,
        org_id,
        id
    )
    .fetch_all(pool)
    .await?;
    with_key_results(pool, org_id, rows).await
}

pub async fn get(pool: &TenantPool, id: Uuid) -> Result<Objective, AppError> {
    let org_id = pool.org_id();
    let mut tx = pool.begin().await?;
    let objective = fetch(&mut tx, org_id, id).await?;
    tx.commit().await?;
    Ok(objective)
}

/// `get` on one connection (a transaction's, when it must see its own writes).
async fn fetch(connection: &mut PgConnection, org_id: Uuid, id: Uuid) -> Result<Objective, AppError> {
    let row = sqlx::query_as!(
        ObjectiveRow,
        r#"SELECT id, title, description, portfolio_id, period, owner_id, parent_id, progress, version,
                  created_at, updated_at
           FROM objectives WHERE org_id = $1 AND id = $2"#,
        org_id,
        id
    )
    .fetch_one(&mut *connection)
    .await?;
    Ok(with_key_results(connection, org_id, vec![row]).await?.remove(0))
}

/// Objectives by title, for the parent picker of the objective form.
pub async fn titles(pool: &TenantPool) -> Result<Vec<(Uuid, String, String)>, AppError> {
    let org_id = pool.org_id();
    Ok(sqlx::query!(
        "SELECT id, title, period FROM objectives WHERE org_id = $1 ORDER BY period DESC, title, id",
        org_id
    )
    .fetch_all(pool)
    .await?
    .into_iter()
    .map(|row| (row.id, row.title, row.period))
    .collect())
}

/// Creates an objective in a portfolio the caller may edit.
pub async fn create(
    db: impl Begin<'_>,
    caller: &Caller,
    changes: ObjectiveChanges,
) -> Result<Objective, AppError> {
    forbidden_unless(may_write(caller))?;
    let values = changes.apply(None)?;
    let mut tx = db.begin().await?;
    permissions::require_portfolio_home(&mut tx, caller, values.portfolio_id).await?;
    let id = Uuid::now_v7();
    check_parent(&mut tx, caller.org_id, id, values.parent_id).await?;
    sqlx::query!(
        r#"INSERT INTO objectives (org_id, id, title, description, portfolio_id, period, owner_id, parent_id)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"#,
        caller.org_id,
        id,
        values.title,
        values.description,
        values.portfolio_id,
        values.period.to_string(),
        values.owner_id,
        values.parent_id
    )
    .execute(&mut *tx)
    .await
    .map_err(reference_error)?;
    let created = fetch(&mut tx, caller.org_id, id).await?;
    tx.commit().await?;
    Ok(created)
}

/// Changes an objective if it is still at `expected_version`: its owner or whoever may edit its
/// portfolio; moving it needs edit rights on the new portfolio too.
pub async fn update(
    pool: &TenantPool,
    caller: &Caller,
    id: Uuid,
    expected_version: Option<i64>,
    changes: ObjectiveChanges,
) -> Result<Objective, AppError> {
    let mut tx = pool.begin().await?;
    let current = lock(&mut tx, caller.org_id, id).await?;
    require_editor(&mut tx, caller, &current).await?;
    check_version(expected_version, current.version)?;
    let values = changes.apply(Some(&current.values()?))?;
    if values.portfolio_id != current.portfolio_id {
        permissions::require_portfolio_home(&mut tx, caller, values.portfolio_id).await?;
    }
    check_parent(&mut tx, caller.org_id, id, values.parent_id).await?;
    sqlx::query!(
        r#"UPDATE objectives SET title = $3, description = $4, portfolio_id = $5, period = $6, owner_id = $7,
                  parent_id = $8, updated_by = $9, version = version + 1, updated_at = now()
           WHERE org_id = $1 AND id = $2"#,
        caller.org_id,
        id,
        values.title,
        values.description,
        values.portfolio_id,
        values.period.to_string(),
        values.owner_id,
        values.parent_id,
        caller.user_id
    )
    .execute(&mut *tx)
    .await
    .map_err(reference_error)?;
    tx.commit().await?;
    get(pool, id).await
}

/// Deletes an objective with its key results and their check-ins; objectives that supported it
/// stay, no longer aligned.
pub async fn delete(
    pool: &TenantPool,
    caller: &Caller,
    id: Uuid,
    expected_version: Option<i64>,
) -> Result<(), AppError> {
    let mut tx = pool.begin().await?;
    let current = lock(&mut tx, caller.org_id, id).await?;
    require_editor(&mut tx, caller, &current).await?;
    check_version(expected_version, current.version)?;
    sqlx::query!(
        "DELETE FROM objectives WHERE org_id = $1 AND id = $2",
        caller.org_id,
        id
    )
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Whether the caller may change the objective and its key results.
pub async fn can_edit(pool: &TenantPool, caller: &Caller, objective: &Objective) -> Result<bool, AppError> {
    permissions::can_edit_owned(pool, caller, objective.owner_id, objective.portfolio_id).await
}

/// Locks an objective for a write of its own or of its key results: writers of one objective's
/// key results queue here, so its stored progress always matches them.
pub(super) async fn lock_for_key_results(tx: &mut Tx<'_>, caller: &Caller, id: Uuid) -> Result<(), AppError> {
    let objective = lock(tx, caller.org_id, id).await?;
    require_editor(tx, caller, &objective).await
}

async fn lock(tx: &mut Tx<'_>, org_id: Uuid, id: Uuid) -> Result<ObjectiveRow, AppError> {
    Ok(sqlx::query_as!(
        ObjectiveRow,
        r#"SELECT id, title, description, portfolio_id, period, owner_id, parent_id, progress, version,
                  created_at, updated_at
           FROM objectives WHERE org_id = $1 AND id = $2 FOR UPDATE"#,
        org_id,
        id
    )
    .fetch_one(&mut **tx)
    .await?)
}

async fn require_editor(tx: &mut Tx<'_>, caller: &Caller, objective: &ObjectiveRow) -> Result<(), AppError> {
    permissions::require_owned(&mut **tx, caller, objective.owner_id, objective.portfolio_id).await
}

/// The objective an objective supports must not, through its own parents, support it back.
async fn check_parent(
    tx: &mut Tx<'_>,
    org_id: Uuid,
    id: Uuid,
    parent_id: Option<Uuid>,
) -> Result<(), AppError> {
    let Some(parent_id) = parent_id else {
        return Ok(());
    };
    // Alignment changes queue, so that two of them cannot make a cycle between them.
    lock_org(tx, org_id, "objective_alignment").await?;
    let row = sqlx::query!(
        r#"WITH RECURSIVE chain (id, parent_id) AS (
               SELECT id, parent_id FROM objectives WHERE org_id = $1 AND id = $2
               UNION
               SELECT o.id, o.parent_id FROM objectives o JOIN chain c ON o.org_id = $1 AND o.id = c.parent_id
           )
           SELECT EXISTS (SELECT 1 FROM chain) AS "exists!", EXISTS (SELECT 1 FROM chain WHERE id = $3) AS "cycle!""#,
        org_id,
        parent_id,
        id
    )
    .fetch_one(&mut **tx)
    .await?;
    if !row.exists {
        return Err(AppError::field(
            "parent_id",
            "is not an objective of this organization",
        ));
    }
    if row.cycle {
        return Err(AppError::field(
            "parent_id",
            "supports this objective already: alignment cannot go in a circle",
        ));
    }
    Ok(())
}

/// A reference that vanished or never belonged to the organization, named by field.
fn reference_error(error: sqlx::Error) -> AppError {
    map_constraint(error, |constraint| match constraint {
        "objectives_org_id_portfolio_id_fkey" => Some(AppError::field(
            "portfolio_id",
            "is not a portfolio of this organization",
        )),
        "objectives_org_id_owner_id_fkey" => Some(AppError::field(
            "owner_id",
            "is not a member of this organization",
        )),
        "objectives_org_id_parent_id_fkey" => Some(AppError::field(
            "parent_id",
            "is not an objective of this organization",
        )),
        _ => None,
    })
}

/// Stores the objective's progress from its key results, as SPEC §3 weighs them.
pub(super) async fn refresh_progress(
    tx: &mut Tx<'_>,
    org_id: Uuid,
    objective_id: Uuid,
) -> Result<(), AppError> {
    let key_results = sqlx::query!(
        r#"SELECT start_value, target_value, current_value, weight FROM key_results
           WHERE org_id = $1 AND objective_id = $2"#,
        org_id,
        objective_id
    )
    .fetch_all(&mut **tx)
    .await?;
    let progress = objective_progress(key_results.iter().map(|k| {
        (
            k.weight,
            key_result_progress(k.start_value, k.target_value, k.current_value),
        )
    }));
    sqlx::query!(
        "UPDATE objectives SET progress = $3 WHERE org_id = $1 AND id = $2",
        org_id,
        objective_id,
        progress
    )
    .execute(&mut **tx)
    .await?;
    Ok(())
}
