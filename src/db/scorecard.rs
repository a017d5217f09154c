//! The organization's scorecard (SPEC §8): its drivers, and each initiative's value per driver.
//! Every write here keeps `initiatives.scorecard_value` exact in its own transaction through
//! `refresh_scorecard_values` (migrations/0019_scorecard.sql), under the organization's
//! "scorecard" lock, which new initiatives take shared.

use std::collections::BTreeMap;

use rust_decimal::Decimal;
use uuid::Uuid;

use super::initiatives::{Initiative, lock_for_edit};
use super::tenant::Begin;
use super::users::Caller;
use super::{TenantPool, Tx, check_version, lock_org};
use crate::domain::permissions::may_administer;
use crate::domain::scorecard::{DriverChanges, DriverValues, DriverValuesInput, parse_values};
use crate::error::{AppError, forbidden_unless, map_constraint};

/// A driver of the organization's scorecard.
#[derive(Clone, Debug, serde::Serialize, utoipa::ToSchema)]
pub struct Driver {
    pub id: Uuid,
    pub name: String,
    #[schema(value_type = f64)]
    #[serde(with = "rust_decimal::serde::float")]
    pub weight: Decimal,
    pub max: i16,
    pub version: i64,
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub updated_at: chrono::DateTime<chrono::Utc>,
}

impl Driver {
    pub fn values(&self) -> DriverValues {
        DriverValues {
            name: self.name.clone(),
            weight: self.weight,
            max: self.max,
        }
    }
}

/// Every driver, in the order they were added.
pub async fn drivers(executor: impl sqlx::PgExecutor<'_>, org_id: Uuid) -> Result<Vec<Driver>, AppError> {
    Ok(sqlx::query_as!(
        Driver,
        "SELECT id, name, weight, max, version, created_at, updated_at
         FROM scorecard_drivers WHERE org_id = $1 ORDER BY position, id",
        org_id
    )
    .fetch_all(executor)
    .await?)
}

pub async fn get(pool: &TenantPool, id: Uuid) -> Result<Driver, AppError> {
    let org_id = pool.org_id();
    Ok(sqlx::query_as!(
        Driver,
        "SELECT id, name, weight, max, version, created_at, updated_at
         FROM scorecard_drivers WHERE org_id = $1 AND id = $2",
        org_id,
        id
    )
    .fetch_one(pool)
    .await?)
}

/// Adds a driver (admins); every initiative's value now counts it (as 0).
pub async fn create(db: impl Begin<'_>, caller: &Caller, changes: DriverChanges) -> Result<Driver, AppError> {
    forbidden_unless(may_administer(caller))?;
    let values = changes.apply(None)?;
    let mut tx = db.begin().await?;
    lock_org(&mut tx, caller.org_id, "scorecard").await?;
    let driver = sqlx::query_as!(
        Driver,
        "INSERT INTO scorecard_drivers (org_id, id, name, weight, max, position)
         VALUES ($1, $2, $3, $4, $5,
                 (SELECT coalesce(max(position), 0) + 1 FROM scorecard_drivers WHERE org_id = $1))
         RETURNING id, name, weight, max, version, created_at, updated_at",
        caller.org_id,
        Uuid::now_v7(),
        values.name,
        values.weight,
        values.max
    )
    .fetch_one(&mut *tx)
    .await
    .map_err(duplicate_name)?;
    refresh(&mut tx, caller.org_id, None).await?;
    tx.commit().await?;
    Ok(driver)
}

/// Renames, reweighs or rescales a driver (admins) if it is still at `expected_version`. A lower
/// max leaves no value above it: those values become the new max.
pub async fn update(
    pool: &TenantPool,
    caller: &Caller,
    id: Uuid,
    expected_version: Option<i64>,
    changes: DriverChanges,
) -> Result<Driver, AppError> {
    let mut tx = pool.begin().await?;
    let current = lock(&mut tx, caller, id, expected_version).await?;
    let values = changes.apply(Some(&current.values()))?;
    sqlx::query!(
        "UPDATE initiative_driver_values SET value = $3 WHERE org_id = $1 AND driver_id = $2 AND value > $3",
        caller.org_id,
        id,
        values.max
    )
    .execute(&mut *tx)
    .await?;
    let driver = sqlx::query_as!(
        Driver,
        "UPDATE scorecard_drivers SET name = $3, weight = $4, max = $5, version = version + 1, updated_at = now()
         WHERE org_id = $1 AND id = $2
         RETURNING id, name, weight, max, version, created_at, updated_at",
        caller.org_id,
        id,
        values.name,
        values.weight,
        values.max
    )
    .fetch_one(&mut *tx)
    .await
    .map_err(duplicate_name)?;
    refresh(&mut tx, caller.org_id, None).await?;
    tx.commit().await?;
    Ok(driver)
}

/// Deletes a driver and every value on it (admins); without drivers left, no initiative has a
/// scorecard value.
pub async fn delete(
    pool: &TenantPool,
    caller: &Caller,
    id: Uuid,
    expected_version: Option<i64>,
) -> Result<(), AppError> {
    let mut tx = pool.begin().await?;
    lock(&mut tx, caller, id, expected_version).await?;
    sqlx::query!(
        "DELETE FROM scorecard_drivers WHERE org_id = $1 AND id = $2",
        caller.org_id,
        id
    )
    .execute(&mut *tx)
    .await?;
    refresh(&mut tx, caller.org_id, None).await?;
    tx.commit().await?;
    Ok(())
}

/// An initiative's value per driver (drivers without a value are left out).
pub async fn values_of(
    executor: impl sqlx::PgExecutor<'_>,
    org_id: Uuid,
    initiative_id: Uuid,
) -> Result<BTreeMap<Uuid, i16>, AppError> {
    let rows = sqlx::query!(
        "SELECT driver_id, value FROM initiative_driver_values WHERE org_id = $1 AND initiative_id = $2",
        org_id,
        initiative_id
    )
    .fetch_all(executor)
    .await?;
    Ok(rows.into_iter().map(|r| (r.driver_id, r.value)).collect())
}

/// An initiative with the organization's drivers and its value on each, read on one snapshot:
/// what its edit form shows, so that the version it carries is the one of the values.
pub struct ScoredInitiative {
    pub initiative: Initiative,
    pub drivers: Vec<Driver>,
    pub values: BTreeMap<Uuid, i16>,
}

pub async fn initiative_with_values(pool: &TenantPool, id: Uuid) -> Result<ScoredInitiative, AppError> {
    let org_id = pool.org_id();
    let mut tx = pool.begin_snapshot().await?;
    let initiative = super::initiatives::fetch(&mut tx, org_id, id, false).await?;
    let drivers = drivers(&mut *tx, org_id).await?;
    let values = values_of(&mut *tx, org_id, id).await?;
    tx.commit().await?;
    Ok(ScoredInitiative {
        initiative,
        drivers,
        values,
    })
}

/// Sets an initiative's driver values (`PUT /initiatives/{id}/scores`): whoever may edit the
/// initiative, at `expected_version`; the values are part of the initiative, so its version goes
/// up. Drivers left out have no value afterwards. A bad key or value changes nothing. The edit
/// form sets them with its other fields, by the same rule (`db::initiatives::update`).
pub async fn put_values(
    db: impl Begin<'_>,
    caller: &Caller,
    id: Uuid,
    expected_version: Option<i64>,
    input: &DriverValuesInput,
) -> Result<Initiative, AppError> {
    let mut tx = db.begin().await?;
    // Before the initiative's row lock, as every driver write takes them.
    lock_org(&mut tx, caller.org_id, "scorecard").await?;
    lock_for_edit(&mut tx, caller, id, expected_version).await?;
    let values = parse_values(input, &scales(&mut *tx, caller.org_id).await?)?;
    store_values(&mut tx, caller.org_id, id, &values).await?;
    sqlx::query!(
        "UPDATE initiatives SET version = version + 1, updated_at = now(), updated_by = $3
         WHERE org_id = $1 AND id = $2",
        caller.org_id,
        id,
        caller.user_id
    )
    .execute(&mut *tx)
    .await?;
    let updated = super::initiatives::fetch(&mut tx, caller.org_id, id, false).await?;
    tx.commit().await?;
    Ok(updated)
}

/// Each driver's id and the top of its scale, which `parse_values` checks values against; a write
/// reads them under the organization's "scorecard" lock, so that no driver changes before the
/// values are stored.
pub async fn scales(executor: impl sqlx::PgExecutor<'_>, org_id: Uuid) -> Result<Vec<(Uuid, i16)>, AppError> {
    Ok(drivers(executor, org_id)
        .await?
        .iter()
        .map(|d| (d.id, d.max))
        .collect())
}

/// Replaces the initiative's driver values with `values` (checked by `parse_values`) and
/// recomputes its scorecard value, in the caller's transaction; its version is the caller's to
/// raise.
pub(crate) async fn store_values(
    tx: &mut Tx<'_>,
    org_id: Uuid,
    id: Uuid,
    values: &[(Uuid, i16)],
) -> Result<(), AppError> {
    let (driver_ids, driver_values): (Vec<Uuid>, Vec<i16>) = values.iter().copied().unzip();
    sqlx::query!(
        "DELETE FROM initiative_driver_values WHERE org_id = $1 AND initiative_id = $2 AND NOT (driver_id = ANY ($3))",
        org_id,
        id,
        &driver_ids
    )
    .execute(&mut **tx)
    .await?;
    sqlx::query!(
        "INSERT INTO initiative_driver_values (org_id, initiative_id, driver_id, value)
         SELECT $1, $2, d, v FROM UNNEST($3::uuid[], $4::smallint[]) AS x (d, v)
         ON CONFLICT (org_id, initiative_id, driver_id) DO UPDATE SET value = EXCLUDED.value",
        org_id,
        id,
        &driver_ids,
        &driver_values
    )
    .execute(&mut **tx)
    .await?;
    refresh(tx, org_id, Some(&[id])).await
}

/// Recomputes the scorecard value of `initiative_ids` (`None`: the whole organization's).
pub async fn refresh(tx: &mut Tx<'_>, org_id: Uuid, initiative_ids: Option<&[Uuid]>) -> Result<(), AppError> {
    sqlx::query!(
        "SELECT refresh_scorecard_values($1, $2)",
        org_id,
        initiative_ids as Option<&[Uuid]>
    )
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// The driver `id`, locked under the organization's scorecard lock (taken first, as everywhere)
/// for an admin's write at `expected_version`: unknown is 404, a non-admin 403, a stale version 412.
async fn lock(
    tx: &mut Tx<'_>,
    caller: &Caller,
    id: Uuid,
    expected_version: Option<i64>,
) -> Result<Driver, AppError> {
    let org_id = caller.org_id;
    lock_org(tx, org_id, "scorecard").await?;
    let current = sqlx::query_as!(
        Driver,
        "SELECT id, name, weight, max, version, created_at, updated_at
         FROM scorecard_drivers WHERE org_id = $1 AND id = $2 FOR UPDATE",
        org_id,
        id
    )
    .fetch_one(&mut **tx)
    .await?;
    forbidden_unless(may_administer(caller))?;
    check_version(expected_version, current.version)?;
    Ok(current)
}

fn duplicate_name(error: sqlx::Error) -> AppError {
    map_constraint(error, |constraint| {
        (constraint == "scorecard_drivers_name_key")
            .then(|| AppError::duplicate("name", "is already a driver's name"))
    })
}
