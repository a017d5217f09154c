//! Key results: how an objective is measured, as read. Writes are `key_result_edits`, recorded
//! values `check_ins`, and links to initiatives `key_result_links`.

use std::collections::HashMap;

use rust_decimal::Decimal;
use sqlx::PgExecutor;
use uuid::Uuid;

use super::Timestamp;
use crate::domain::okr::{KeyResultValues, key_result_progress};
use crate::domain::rollup::percent;
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
pub(super) struct KeyResultRow {
    pub(super) id: Uuid,
    pub(super) objective_id: Uuid,
    pub(super) title: String,
    pub(super) start_value: Decimal,
    pub(super) target_value: Decimal,
    pub(super) current_value: Decimal,
    pub(super) unit: String,
    pub(super) weight: Decimal,
    pub(super) initiative_ids: Vec<Uuid>,
    pub(super) version: i64,
    pub(super) created_at: Timestamp,
    pub(super) updated_at: Timestamp,
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
