//! Themes: the organization's investment categories, their colours and target shares.

use super::TenantPool;
use super::tenant::Begin;
use crate::domain::permissions::may_administer;
use crate::error::forbidden_unless;
use sqlx::PgExecutor;
use uuid::Uuid;

use super::users::Caller;
use super::{Tx, check_version, lock_org};
use crate::domain::page::{Page, PageRequest};
use crate::domain::theme::{ThemeChanges, ThemeValues, check_target_total};
use crate::error::{AppError, map_constraint};

#[derive(Clone, Debug, serde::Serialize, utoipa::ToSchema)]
pub struct Theme {
    pub id: Uuid,
    pub name: String,
    pub colour: String,
    pub target_share: f64,
    pub version: i64,
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub updated_at: chrono::DateTime<chrono::Utc>,
}

impl Theme {
    pub fn values(&self) -> ThemeValues {
        ThemeValues {
            name: self.name.clone(),
            colour: self.colour.clone(),
            target_share: self.target_share,
        }
    }
}

/// The themes in creation order, a page at a time.
pub async fn list(pool: &TenantPool, page: &PageRequest) -> Result<Page<Theme>, AppError> {
    let org_id = pool.org_id();
    let rows = sqlx::query_as!(
        Theme,
        r#"SELECT id, name, colour, target_share::float8 AS "target_share!", version, created_at, updated_at
           FROM themes WHERE org_id = $1 AND ($2::uuid IS NULL OR id > $2)
           ORDER BY id LIMIT $3"#,
        org_id,
        page.after,
        page.fetch_limit()
    )
    .fetch_all(pool)
    .await?;
    Ok(Page::from_rows(rows, page, |theme| theme.id))
}

/// Every theme by name, for pickers and the investment mix.
pub async fn all(pool: &TenantPool) -> Result<Vec<Theme>, AppError> {
    all_in(pool, pool.org_id()).await
}

/// The organization's themes by name, in the caller's transaction.
pub async fn all_in(executor: impl PgExecutor<'_>, org_id: Uuid) -> Result<Vec<Theme>, AppError> {
    Ok(sqlx::query_as!(
        Theme,
        r#"SELECT id, name, colour, target_share::float8 AS "target_share!", version, created_at, updated_at
           FROM themes WHERE org_id = $1 ORDER BY name, id"#,
        org_id
    )
    .fetch_all(executor)
    .await?)
}

pub async fn get(pool: &TenantPool, id: Uuid) -> Result<Theme, AppError> {
    let org_id = pool.org_id();
    Ok(sqlx::query_as!(
        Theme,
        r#"SELECT id, name, colour, target_share::float8 AS "target_share!", version, created_at, updated_at
           FROM themes WHERE org_id = $1 AND id = $2"#,
        org_id,
        id
    )
    .fetch_one(pool)
    .await?)
}

/// Creates a theme (admins only), keeping the targets' sum ≤ 100.
pub async fn create(db: impl Begin<'_>, caller: &Caller, changes: ThemeChanges) -> Result<Theme, AppError> {
    forbidden_unless(may_administer(caller))?;
    let values = changes.apply(None)?;
    let mut tx = db.begin().await?;
    check_targets(&mut tx, caller.org_id, None, values.target_share).await?;
    let theme = sqlx::query_as!(
        Theme,
        r#"INSERT INTO themes (org_id, id, name, colour, target_share) VALUES ($1, $2, $3, $4, $5::float8)
           RETURNING id, name, colour, target_share::float8 AS "target_share!", version, created_at, updated_at
        "#,
        caller.org_id,
        Uuid::now_v7(),
        values.name,
        values.colour,
        values.target_share
    )
    .fetch_one(&mut *tx)
    .await
    .map_err(duplicate_name)?;
    tx.commit().await?;
    Ok(theme)
}

/// Changes a theme (admins only) if it is still at `expected_version`.
pub async fn update(
    pool: &TenantPool,
    caller: &Caller,
    id: Uuid,
    expected_version: Option<i64>,
    changes: ThemeChanges,
) -> Result<Theme, AppError> {
    let mut tx = pool.begin().await?;
    // The targets lock comes first, as in `create`, so that two writers never wait on each other.
    lock_org(&mut tx, caller.org_id, "theme_targets").await?;
    // Looked up before the permission check: an unknown id is 404 whoever asks.
    let current = lock(&mut tx, caller, id, expected_version).await?;
    let values = changes.apply(Some(&current.values()))?;
    check_targets(&mut tx, caller.org_id, Some(id), values.target_share).await?;
    let theme = sqlx::query_as!(
        Theme,
        r#"UPDATE themes SET name = $3, colour = $4, target_share = $5::float8, version = version + 1,
                  updated_at = now()
           WHERE org_id = $1 AND id = $2
           RETURNING id, name, colour, target_share::float8 AS "target_share!", version, created_at, updated_at
        "#,
        caller.org_id,
        id,
        values.name,
        values.colour,
        values.target_share
    )
    .fetch_one(&mut *tx)
    .await
    .map_err(duplicate_name)?;
    tx.commit().await?;
    Ok(theme)
}

/// Deletes a theme (admins only); its initiatives become unassigned.
pub async fn delete(
    pool: &TenantPool,
    caller: &Caller,
    id: Uuid,
    expected_version: Option<i64>,
) -> Result<(), AppError> {
    let mut tx = pool.begin().await?;
    lock(&mut tx, caller, id, expected_version).await?;
    sqlx::query!(
        "DELETE FROM themes WHERE org_id = $1 AND id = $2",
        caller.org_id,
        id
    )
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(())
}

/// The theme `id`, locked for an admin's write at `expected_version`: unknown is 404, a non-admin
/// 403, a stale version 412.
async fn lock(
    tx: &mut Tx<'_>,
    caller: &Caller,
    id: Uuid,
    expected_version: Option<i64>,
) -> Result<Theme, AppError> {
    let org_id = caller.org_id;
    let current = sqlx::query_as!(
        Theme,
        r#"SELECT id, name, colour, target_share::float8 AS "target_share!", version, created_at, updated_at
           FROM themes WHERE org_id = $1 AND id = $2 FOR UPDATE"#,
        org_id,
        id
    )
    .fetch_one(&mut **tx)
    .await?;
    forbidden_unless(may_administer(caller))?;
    check_version(expected_version, current.version)?;
    Ok(current)
}

/// The targets of all themes, with `share` in place of theme `id`'s, may sum to at most 100.
async fn check_targets(tx: &mut Tx<'_>, org_id: Uuid, id: Option<Uuid>, share: f64) -> Result<(), AppError> {
    lock_org(tx, org_id, "theme_targets").await?;
    let others: Vec<f64> = sqlx::query_scalar!(
        r#"SELECT target_share::float8 AS "share!" FROM themes
           WHERE org_id = $1 AND ($2::uuid IS NULL OR id <> $2)"#,
        org_id,
        id
    )
    .fetch_all(&mut **tx)
    .await?;
    Ok(check_target_total(share, &others)?)
}

fn duplicate_name(error: sqlx::Error) -> AppError {
    map_constraint(error, |constraint| {
        (constraint == "themes_name_key").then(|| AppError::duplicate("name", "is already a theme's name"))
    })
}
