//! Customer feedback (SPEC §11): `POST, GET /feedback` and `PUT, DELETE
//! /initiatives/{id}/feedback/{feedback_id}`. Each initiative's demand and each item's count of
//! links are kept by the triggers of migrations/0028_outcomes.sql; this module writes items and
//! links and reads them.

use serde::Serialize;
use sqlx::PgExecutor;
use uuid::Uuid;

use super::TenantPool;
use super::tenant::Begin;
use super::users::Caller;
use crate::domain::feedback::{FeedbackInput, Importance};
use crate::domain::page::{Page, PageRequest};
use crate::domain::permissions::may_write;
use crate::error::{AppError, forbidden_unless};

/// A feedback item in the API's shape (SPEC §11).
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct Feedback {
    pub id: Uuid,
    pub text: String,
    pub customer: String,
    /// Minor units of the organization's currency.
    pub customer_value: Option<i64>,
    pub importance: Importance,
    pub source: Option<String>,
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub initiative_ids: Vec<Uuid>,
}

/// Which feedback a list shows: linked or not, one customer's, text containing words.
#[derive(Clone, Debug, Default)]
pub struct FeedbackFilter {
    pub linked: Option<bool>,
    /// Compared as customers are told apart: whatever the case and surrounding spaces.
    pub customer: Option<String>,
    /// Part of the text or the customer's name, whatever the case.
    pub text: Option<String>,
    /// Only the feedback linked to this initiative.
    pub initiative_id: Option<Uuid>,
}

/// Records a feedback item; members and admins (viewers read).
pub async fn create(db: impl Begin<'_>, caller: &Caller, input: FeedbackInput) -> Result<Feedback, AppError> {
    forbidden_unless(may_write(caller))?;
    let values = input.check()?;
    let mut tx = db.begin().await?;
    let id = Uuid::now_v7();
    sqlx::query!(
        "INSERT INTO feedback (org_id, id, text, customer, customer_value, importance, source, created_by)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        caller.org_id,
        id,
        values.text,
        values.customer,
        values.customer_value,
        values.importance.as_str(),
        values.source,
        caller.user_id
    )
    .execute(&mut *tx)
    .await?;
    let item = fetch(&mut *tx, caller.org_id, id).await?;
    tx.commit().await?;
    Ok(item)
}

pub async fn get(pool: &TenantPool, id: Uuid) -> Result<Feedback, AppError> {
    fetch(pool, pool.org_id(), id).await
}

async fn fetch(executor: impl PgExecutor<'_>, org_id: Uuid, id: Uuid) -> Result<Feedback, AppError> {
    let filter = FeedbackFilter::default();
    let page = PageRequest::default();
    select(executor, org_id, &filter, Some(id), &page)
        .await?
        .into_iter()
        .next()
        .ok_or(AppError::NotFound)
}

/// A page of the feedback that passes `filter`: unlinked first, newest first within each.
pub async fn list(
    pool: &TenantPool,
    filter: &FeedbackFilter,
    page: &PageRequest,
) -> Result<Page<Feedback>, AppError> {
    list_in(pool, pool.org_id(), filter, page).await
}

/// `list` on a connection or transaction the caller holds.
pub async fn list_in(
    executor: impl PgExecutor<'_>,
    org_id: Uuid,
    filter: &FeedbackFilter,
    page: &PageRequest,
) -> Result<Page<Feedback>, AppError> {
    let rows = select(executor, org_id, filter, None, page).await?;
    Ok(Page::from_rows(rows, page, |item| item.id))
}

/// The feedback of `only` (when given) or that passes `filter`, after the cursor's row in the
/// inbox's order, one more than a page.
async fn select(
    executor: impl PgExecutor<'_>,
    org_id: Uuid,
    filter: &FeedbackFilter,
    only: Option<Uuid>,
    page: &PageRequest,
) -> Result<Vec<Feedback>, AppError> {
    let customer = filter.customer.as_deref().map(|c| c.trim().to_lowercase());
    let words = filter
        .text
        .as_deref()
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(like_pattern);
    Ok(sqlx::query!(
        r#"WITH cursor AS (SELECT f.initiatives > 0 AS linked, f.id FROM feedback f WHERE f.org_id = $1 AND f.id = $6)
           SELECT f.id, f.text, f.customer, f.customer_value, f.importance AS "importance: Importance", f.source,
                  f.created_at,
                  ARRAY(SELECT l.initiative_id FROM initiative_feedback l
                        WHERE l.org_id = f.org_id AND l.feedback_id = f.id
                        ORDER BY l.linked_at, l.initiative_id) AS "initiative_ids!"
           FROM feedback f
           WHERE f.org_id = $1
             AND ($2::uuid IS NULL OR f.id = $2)
             AND ($3::bool IS NULL OR (f.initiatives > 0) = $3)
             AND ($4::text IS NULL OR f.customer_key = $4)
             AND ($5::text IS NULL OR f.text ILIKE $5 OR f.customer ILIKE $5)
             AND ($6::uuid IS NULL OR (f.initiatives > 0) > (SELECT linked FROM cursor)
                  OR ((f.initiatives > 0) = (SELECT linked FROM cursor) AND f.id < $6))
             AND ($8::uuid IS NULL OR EXISTS (SELECT 1 FROM initiative_feedback l
                                              WHERE l.org_id = $1 AND l.feedback_id = f.id AND l.initiative_id = $8))
           ORDER BY f.initiatives > 0, f.id DESC
           LIMIT $7"#,
        org_id,
        only,
        filter.linked,
        customer,
        words,
        page.after,
        page.fetch_limit(),
        filter.initiative_id
    )
    .fetch_all(executor)
    .await?
    .into_iter()
    .map(|r| Feedback {
        id: r.id,
        text: r.text,
        customer: r.customer,
        customer_value: r.customer_value,
        importance: r.importance,
        source: r.source,
        created_at: r.created_at,
        initiative_ids: r.initiative_ids,
    })
    .collect())
}

/// `%text%` for ILIKE, its own `%`, `_` and `\` matched as themselves.
fn like_pattern(text: &str) -> String {
    let escaped = text.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_");
    format!("%{escaped}%")
}

/// The feedback linked to an initiative, newest first.
pub async fn of_initiative(
    executor: impl PgExecutor<'_>,
    org_id: Uuid,
    initiative_id: Uuid,
) -> Result<Vec<Feedback>, AppError> {
    let filter = FeedbackFilter {
        initiative_id: Some(initiative_id),
        ..FeedbackFilter::default()
    };
    let everything = PageRequest {
        limit: i64::MAX - 1,
        after: None,
    };
    select(executor, org_id, &filter, None, &everything).await
}

/// Links feedback to an initiative, for whoever may edit the initiative; linking twice is
/// harmless. Answers the item with its links.
pub async fn link(
    db: impl Begin<'_>,
    caller: &Caller,
    initiative_id: Uuid,
    feedback_id: Uuid,
) -> Result<Feedback, AppError> {
    let mut tx = db.begin().await?;
    super::initiatives::lock_for_edit(&mut tx, caller, initiative_id, None).await?;
    fetch(&mut *tx, caller.org_id, feedback_id).await?;
    sqlx::query!(
        "INSERT INTO initiative_feedback (org_id, initiative_id, feedback_id, linked_by)
         VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
        caller.org_id,
        initiative_id,
        feedback_id,
        caller.user_id
    )
    .execute(&mut *tx)
    .await?;
    let item = fetch(&mut *tx, caller.org_id, feedback_id).await?;
    tx.commit().await?;
    Ok(item)
}

/// Unlinks feedback from an initiative, for whoever may edit the initiative; 404 when not linked.
pub async fn unlink(
    db: impl Begin<'_>,
    caller: &Caller,
    initiative_id: Uuid,
    feedback_id: Uuid,
) -> Result<(), AppError> {
    let mut tx = db.begin().await?;
    super::initiatives::lock_for_edit(&mut tx, caller, initiative_id, None).await?;
    let removed = sqlx::query!(
        "DELETE FROM initiative_feedback WHERE org_id = $1 AND initiative_id = $2 AND feedback_id = $3",
        caller.org_id,
        initiative_id,
        feedback_id
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
