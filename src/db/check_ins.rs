//! Check-ins: the values a key result has been given, each with its author and note.

use std::collections::HashMap;

use rust_decimal::Decimal;
use uuid::Uuid;

use super::TenantPool;
use super::key_results::get;
use super::status_updates::Author;
use crate::domain::page::{Page, PageRequest};
use crate::error::AppError;

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
