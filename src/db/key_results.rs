//! Key results: how an objective is measured. Every write of one refreshes its objective's stored
//! progress in the same transaction (under the objective's row lock), and every new current value
//! is kept as a check-in. Initiatives link to key results many to many.

use std::collections::HashMap;

use super::TenantPool;
use super::tenant::Begin;
use rust_decimal::Decimal;
use sqlx::PgExecutor;
use uuid::Uuid;

use super::status_updates::Author;
use super::users::Caller;
use super::{Timestamp, Tx, check_version, objectives, permissions};
use crate::domain::okr::{KeyResultChanges, KeyResultValues, key_result_progress, objective_progress};
use crate::domain::page::{Page, PageRequest};
use crate::domain::rollup::percent;
use crate::domain::{Health, Status};
use crate::error::AppError;

/// A key result in the API's shape: values as numbers, `progress` in percent with one decimal,
/// and the initiatives linked to it.
#[derive(Clone, Debug, serde::Serialize, utoipa::ToSchema)]
pub struct KeyResult {
    pub id: Uuid,
    pub objective_id: Uuid,
    pub title: String,
    #[serde(with = "rust_decimal::serde::float")]
    pub start_value: Decimal,
    #[serde(with = "rust_decimal::serde::float")]
    pub target_value: Decimal,
    #[serde(with = "rust_decimal::serde::float")]
    pub current_value: Decimal,
    pub unit: String,
    #[serde(with = "rust_decimal::serde::float")]
    pub weight: Decimal,
    pub progress: f64,
    pub initiative_ids: Vec<Uuid>,
    pub version: i64,
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub updated_at: chrono::DateTime<chrono::Utc>,
}

impl KeyResult {
    pub fn values(&self) -> KeyResultValues {
        KeyResultValues {
            title: self.title.clone(),
            start_value: self.start_value,
            target_value: self.target_value,
            current_value: self.current_value,
            unit: self.unit.clone(),
            weight: self.weight,
        }
    }

    /// The progress as a fraction 0–1, exact.
    pub fn fraction(&self) -> Decimal {
        key_result_progress(self.start_value, self.target_value, self.current_value)
    }
}

/// A key result as stored.
struct KeyResultRow {
    id: Uuid,
    objective_id: Uuid,
    title: String,
    start_value: Decimal,
    target_value: Decimal,
    current_value: Decimal,
    unit: String,
    weight: Decimal,
    initiative_ids: Vec<Uuid>,
    version: i64,
    created_at: Timestamp,
    updated_at: Timestamp,
}

impl From<KeyResultRow> for KeyResult {
    fn from(row: KeyResultRow) -> KeyResult {
        KeyResult {
            progress: percent(key_result_progress(
                row.start_value,
                row.target_value,
                row.current_value,
            )),
            id: row.id,
            objective_id: row.objective_id,
            title: row.title,
            start_value: row.start_value.normalize(),
            target_value: row.target_value.normalize(),
            current_value: row.current_value.normalize(),
            unit: row.unit,
            weight: row.weight.normalize(),
            initiative_ids: row.initiative_ids,
            version: row.version,
            created_at: row.created_at,
            updated_at: row.updated_at,
        }
    }
}

/// One recorded value of a key result.
#[derive(Clone, Debug, serde::Serialize, utoipa::ToSchema)]
pub struct CheckIn {
    pub id: Uuid,
    pub key_result_id: Uuid,
    pub author: Option<Author>,
    pub created_at: chrono::DateTime<chrono::Utc>,
    #[serde(with = "rust_decimal::serde::float")]
    pub value: Decimal,
    #[serde(with = "rust_decimal::serde::float")]
    pub previous_value: Decimal,
    pub note: Option<String>,
}

/// The key results of these objectives, by objective, in their order.
pub async fn of_objectives(
    db: impl PgExecutor<'_>,
    org_id: Uuid,
    objective_ids: &[Uuid],
) -> Result<HashMap<Uuid, Vec<KeyResult>>, AppError> {
    let rows = sqlx::query_as!(
        KeyResultRow,
        r#"SELECT k.id, k.objective_id, k.title, k.start_value, k.target_value, k.current_value, k.unit,
                  k.weight, k.version, k.created_at, k.updated_at,
                  ARRAY(SELECT l.initiative_id FROM initiative_key_results l
                        WHERE l.org_id = k.org_id AND l.key_result_id = k.id
                        ORDER BY l.created_at, l.initiative_id) AS "initiative_ids!"
           FROM key_results k
           WHERE k.org_id = $1 AND k.objective_id = ANY($2)
           ORDER BY k.position, k.created_at, k.id"#,
        org_id,
        objective_ids
    )
    .fetch_all(db)
    .await?;
    let mut by_objective: HashMap<Uuid, Vec<KeyResult>> = HashMap::new();
    for row in rows {
        by_objective.entry(row.objective_id).or_default().push(row.into());
    }
    Ok(by_objective)
}

pub async fn get(db: impl PgExecutor<'_>, org_id: Uuid, id: Uuid) -> Result<KeyResult, AppError> {
    Ok(sqlx::query_as!(
        KeyResultRow,
        r#"SELECT k.id, k.objective_id, k.title, k.start_value, k.target_value, k.current_value, k.unit,
                  k.weight, k.version, k.created_at, k.updated_at,
                  ARRAY(SELECT l.initiative_id FROM initiative_key_results l
                        WHERE l.org_id = k.org_id AND l.key_result_id = k.id
                        ORDER BY l.created_at, l.initiative_id) AS "initiative_ids!"
           FROM key_results k
           WHERE k.org_id = $1 AND k.id = $2"#,
        org_id,
        id
    )
    .fetch_one(db)
    .await?
    .into())
}

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
    refresh_progress(&mut tx, caller.org_id, objective_id).await?;
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
    let current = lock(&mut tx, caller, id).await?;
    check_version(expected_version, current.version)?;
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
    refresh_progress(&mut tx, caller.org_id, current.objective_id).await?;
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
    let current = lock(&mut tx, caller, id).await?;
    check_version(expected_version, current.version)?;
    sqlx::query!(
        "DELETE FROM key_results WHERE org_id = $1 AND id = $2",
        caller.org_id,
        id
    )
    .execute(&mut *tx)
    .await?;
    refresh_progress(&mut tx, caller.org_id, current.objective_id).await?;
    tx.commit().await?;
    Ok(())
}

/// Locks a key result for a write, its objective first (the order `create` takes too), after
/// checking that the caller may edit it. An unknown id is 404 whoever asks.
async fn lock(tx: &mut Tx<'_>, caller: &Caller, id: Uuid) -> Result<KeyResult, AppError> {
    let objective_id = sqlx::query_scalar!(
        "SELECT objective_id FROM key_results WHERE org_id = $1 AND id = $2",
        caller.org_id,
        id
    )
    .fetch_one(&mut **tx)
    .await?;
    objectives::lock_for_key_results(tx, caller, objective_id).await?;
    Ok(sqlx::query_as!(
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
    .into())
}

/// Stores the objective's progress from its key results, as SPEC §3 weighs them.
async fn refresh_progress(tx: &mut Tx<'_>, org_id: Uuid, objective_id: Uuid) -> Result<(), AppError> {
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

/// A key result's check-ins, newest first.
pub async fn check_ins(
    pool: &TenantPool,
    key_result_id: Uuid,
    page: &PageRequest,
) -> Result<Page<CheckIn>, AppError> {
    let org_id = pool.org_id();
    // 404 for a key result that is not the organization's, rather than an empty list.
    get(pool, org_id, key_result_id).await?;
    check_ins_of(pool, &[key_result_id], page).await
}

/// The check-ins of several key results together, newest first: an objective's history.
pub async fn check_ins_of(
    pool: &TenantPool,
    key_result_ids: &[Uuid],
    page: &PageRequest,
) -> Result<Page<CheckIn>, AppError> {
    let org_id = pool.org_id();
    let rows = sqlx::query!(
        r#"SELECT c.id, c.key_result_id, c.created_at, c.value, c.previous_value, c.note,
                  u.id AS "author_id?", u.name AS "author_name?"
           FROM key_result_check_ins c
           LEFT JOIN users u ON u.id = c.author_id
           WHERE c.org_id = $1 AND c.key_result_id = ANY($2) AND ($3::uuid IS NULL OR c.id < $3)
           ORDER BY c.id DESC
           LIMIT $4"#,
        org_id,
        key_result_ids,
        page.after,
        page.fetch_limit()
    )
    .fetch_all(pool)
    .await?
    .into_iter()
    .map(|row| CheckIn {
        id: row.id,
        key_result_id: row.key_result_id,
        author: row
            .author_id
            .zip(row.author_name)
            .map(|(id, name)| Author { id, name }),
        created_at: row.created_at,
        value: row.value.normalize(),
        previous_value: row.previous_value.normalize(),
        note: row.note,
    })
    .collect();
    Ok(Page::from_rows(rows, page, |c| c.id))
}

/// The values of each key result over time, for sparklines: the start value, then every check-in
/// in the order they were made.
pub async fn value_history(
    pool: &TenantPool,
    key_result_ids: &[Uuid],
) -> Result<HashMap<Uuid, Vec<Decimal>>, AppError> {
    let org_id = pool.org_id();
    let rows = sqlx::query!(
        r#"SELECT key_result_id AS "key_result_id!", value AS "value!" FROM (
               SELECT k.id AS key_result_id, k.start_value AS value, k.created_at AS at, 0 AS tie
               FROM key_results k WHERE k.org_id = $1 AND k.id = ANY($2)
               UNION ALL
               SELECT c.key_result_id, c.value, c.created_at, 1
               FROM key_result_check_ins c WHERE c.org_id = $1 AND c.key_result_id = ANY($2)
           ) history
           ORDER BY key_result_id, tie, at"#,
        org_id,
        key_result_ids
    )
    .fetch_all(pool)
    .await?;
    let mut history: HashMap<Uuid, Vec<Decimal>> = HashMap::new();
    for row in rows {
        history.entry(row.key_result_id).or_default().push(row.value);
    }
    Ok(history)
}

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
