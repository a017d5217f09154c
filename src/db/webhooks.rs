//! Webhooks (SPEC §12): the endpoints admins register, their delivery log, and the delivery
//! worker's reads and writes (`crate::webhook_delivery`). Events themselves are written by the
//! database, in the transaction of the change they tell of (`webhook_emit`, migrations/0031).

use std::time::Duration;

use uuid::Uuid;

use super::tenant::Begin;
use super::users::Caller;
use super::{TenantPool, Timestamp, Tx, check_version};
use crate::domain::page::{Page, PageRequest};
use crate::domain::permissions::may_administer;
use crate::domain::webhook::{
    AddressPolicy, GIVE_UP_AFTER, TEST_EVENT, WebhookChanges, WebhookValues, retry_delay,
};
use crate::error::{AppError, forbidden_unless};

/// A registered endpoint. Its secret is shown once, when it is created (`CreatedWebhook`).
#[derive(Clone, Debug, serde::Serialize, utoipa::ToSchema)]
pub struct Webhook {
    pub id: Uuid,
    pub url: String,
    pub events: Vec<String>,
    /// False when an admin paused it or it failed for 24 hours (`disabled_reason` says which).
    pub enabled: bool,
    pub disabled_reason: Option<String>,
    /// Since when every delivery failed; null while deliveries succeed.
    pub failing_since: Option<chrono::DateTime<chrono::Utc>>,
    pub version: i64,
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub updated_at: chrono::DateTime<chrono::Utc>,
}

impl Webhook {
    fn values(&self) -> Result<WebhookValues, AppError> {
        Ok(WebhookValues {
            url: reqwest::Url::parse(&self.url).map_err(|e| anyhow::anyhow!("a stored webhook URL: {e}"))?,
            events: self.events.clone(),
            enabled: self.enabled,
        })
    }
}

/// The answer to a registration: the endpoint and its secret, which is not shown again.
#[derive(Clone, Debug, serde::Serialize, utoipa::ToSchema)]
pub struct CreatedWebhook {
    #[serde(flatten)]
    pub webhook: Webhook,
    /// `whsec_…`: verify each delivery's `webhook-signature` with it (Standard Webhooks).
    pub secret: String,
}

/// One attempt to deliver an event, for the delivery log.
#[derive(Clone, Debug, serde::Serialize, utoipa::ToSchema)]
pub struct Attempt {
    pub id: Uuid,
    pub event_id: Uuid,
    pub event_type: String,
    /// 1 for the first attempt at the event, 2 for its first retry, …
    pub attempt: i32,
    pub at: chrono::DateTime<chrono::Utc>,
    /// The receiver's HTTP status; null when none came (refused address, timeout, no connection).
    pub status: Option<i32>,
    pub latency_ms: i32,
    /// What went wrong; null for a 2xx.
    pub error: Option<String>,
    /// The start of the receiver's answer.
    pub response: String,
}

/// The organization's endpoints, oldest first (admins).
pub async fn list(pool: &TenantPool, caller: &Caller) -> Result<Vec<Webhook>, AppError> {
    forbidden_unless(may_administer(caller))?;
    Ok(sqlx::query_as!(
        Webhook,
        "SELECT id, url, events, enabled, disabled_reason, failing_since, version, created_at, updated_at
         FROM webhooks WHERE org_id = $1 ORDER BY created_at, id",
        caller.org_id
    )
    .fetch_all(pool)
    .await?)
}

/// One endpoint (admins).
pub async fn get(pool: &TenantPool, caller: &Caller, id: Uuid) -> Result<Webhook, AppError> {
    let webhook = fetch(pool, caller.org_id, id).await?;
    forbidden_unless(may_administer(caller))?;
    Ok(webhook)
}

async fn fetch(executor: impl sqlx::PgExecutor<'_>, org_id: Uuid, id: Uuid) -> Result<Webhook, AppError> {
    Ok(sqlx::query_as!(
        Webhook,
        "SELECT id, url, events, enabled, disabled_reason, failing_since, version, created_at, updated_at
         FROM webhooks WHERE org_id = $1 AND id = $2",
        org_id,
        id
    )
    .fetch_one(executor)
    .await?)
}

/// Registers an endpoint (admins): its URL must reach an address `policy` allows.
pub async fn create(
    db: impl Begin<'_>,
    caller: &Caller,
    changes: WebhookChanges,
    policy: AddressPolicy,
) -> Result<CreatedWebhook, AppError> {
    forbidden_unless(may_administer(caller))?;
    let (values, secret) = match (changes.apply(None), changes.secret()) {
        (Ok(values), Ok(secret)) => (values, secret),
        (values, secret) => {
            let mut errors = values.err().unwrap_or_default();
            errors.merge(secret.err().unwrap_or_default());
            return Err(AppError::Validation(errors));
        }
    };
    crate::webhook_delivery::check_address(&values.url, policy).await?;
    let mut tx = db.begin().await?;
    let webhook = sqlx::query_as!(
        Webhook,
        "INSERT INTO webhooks (org_id, id, url, events, secret, created_by)
         VALUES ($1, $2, $3, $4, $5, $6)
         RETURNING id, url, events, enabled, disabled_reason, failing_since, version, created_at, updated_at",
        caller.org_id,
        Uuid::now_v7(),
        values.url.as_str(),
        &values.events,
        secret,
        caller.user_id
    )
    .fetch_one(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(CreatedWebhook { webhook, secret })
}

/// Changes an endpoint's URL, events or whether it is enabled (admins), at `expected_version`.
/// Enabling it again forgets why it was disabled and since when it failed.
pub async fn update(
    pool: &TenantPool,
    caller: &Caller,
    id: Uuid,
    expected_version: Option<i64>,
    changes: WebhookChanges,
    policy: AddressPolicy,
) -> Result<Webhook, AppError> {
    let current = get(pool, caller, id).await?;
    let values = changes.apply(Some(&current.values()?))?;
    if values.url != current.values()?.url {
        crate::webhook_delivery::check_address(&values.url, policy).await?;
    }
    let mut tx = pool.begin().await?;
    let locked = lock(&mut tx, caller, id, expected_version).await?;
    let webhook = sqlx::query_as!(
        Webhook,
        "UPDATE webhooks SET url = $3, events = $4, enabled = $5,
                disabled_reason = CASE WHEN $5 THEN NULL ELSE disabled_reason END,
                failing_since = CASE WHEN $5 AND NOT enabled THEN NULL ELSE failing_since END,
                version = version + 1, updated_at = now()
         WHERE org_id = $1 AND id = $2
         RETURNING id, url, events, enabled, disabled_reason, failing_since, version, created_at, updated_at",
        caller.org_id,
        locked.id,
        values.url.as_str(),
        &values.events,
        values.enabled
    )
    .fetch_one(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(webhook)
}

/// Deletes an endpoint and its log (admins); events not yet delivered to it are not.
pub async fn delete(
    pool: &TenantPool,
    caller: &Caller,
    id: Uuid,
    expected_version: Option<i64>,
) -> Result<(), AppError> {
    let mut tx = pool.begin().await?;
    lock(&mut tx, caller, id, expected_version).await?;
    sqlx::query!(
        "DELETE FROM webhooks WHERE org_id = $1 AND id = $2",
        caller.org_id,
        id
    )
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Sends `webhook.test` to this endpoint alone (admins): the event's id. A disabled endpoint
/// receives nothing: 409.
pub async fn send_test(pool: &TenantPool, caller: &Caller, id: Uuid) -> Result<Uuid, AppError> {
    let mut tx = pool.begin().await?;
    let webhook = lock(&mut tx, caller, id, None).await?;
    if !webhook.enabled {
        return Err(AppError::Conflict(
            "the webhook is disabled: enable it before sending a test event".to_owned(),
        ));
    }
    let data = serde_json::json!({
        "webhook_id": webhook.id,
        "message": "A test event from Cairn: this endpoint receives and verifies deliveries.",
    });
    let event = sqlx::query_scalar!(
        r#"SELECT webhook_emit($1, $2, $3, $4) AS "event!""#,
        caller.org_id,
        TEST_EVENT,
        data,
        webhook.id
    )
    .fetch_one(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(event)
}

/// The endpoint's delivery log (admins), newest first.
pub async fn attempts(
    pool: &TenantPool,
    caller: &Caller,
    id: Uuid,
    page: &PageRequest,
) -> Result<Page<Attempt>, AppError> {
    get(pool, caller, id).await?;
    let rows = sqlx::query_as!(
        Attempt,
        r#"SELECT a.id, a.event_id, e.type AS event_type, a.attempt, a.at, a.status, a.latency_ms, a.error, a.response
           FROM webhook_attempts a
           JOIN webhook_events e ON e.org_id = a.org_id AND e.id = a.event_id
           WHERE a.org_id = $1 AND a.webhook_id = $2 AND ($3::uuid IS NULL OR a.id < $3)
           ORDER BY a.id DESC
           LIMIT $4"#,
        caller.org_id,
        id,
        page.after,
        page.fetch_limit()
    )
    .fetch_all(pool)
    .await?;
    Ok(Page::from_rows(rows, page, |a| a.id))
}

/// Emits an event from a change the database cannot see as one row's (a scenario applied), in the
/// change's transaction.
pub async fn emit(
    tx: &mut Tx<'_>,
    org_id: Uuid,
    event_type: &str,
    data: &impl serde::Serialize,
) -> Result<(), AppError> {
    let data = serde_json::to_value(data).map_err(anyhow::Error::from)?;
    sqlx::query_scalar!("SELECT webhook_emit($1, $2, $3)", org_id, event_type, data)
        .fetch_one(&mut **tx)
        .await?;
    Ok(())
}

/// The endpoint `id`, locked for an admin's write at `expected_version`.
async fn lock(
    tx: &mut Tx<'_>,
    caller: &Caller,
    id: Uuid,
    expected_version: Option<i64>,
) -> Result<Webhook, AppError> {
    let current = sqlx::query_as!(
        Webhook,
        "SELECT id, url, events, enabled, disabled_reason, failing_since, version, created_at, updated_at
         FROM webhooks WHERE org_id = $1 AND id = $2 FOR UPDATE",
        caller.org_id,
        id
    )
    .fetch_one(&mut **tx)
    .await?;
    forbidden_unless(may_administer(caller))?;
    check_version(expected_version, current.version)?;
    Ok(current)
}

// The delivery worker's side.

/// A delivery the worker claimed, with what it needs to send it.
pub struct Job {
    pub org_id: Uuid,
    pub delivery_id: Uuid,
    pub webhook_id: Uuid,
    pub event_id: Uuid,
    pub url: String,
    pub secret: String,
    pub body: String,
    pub created_at: Timestamp,
    /// The attempts made before this one.
    pub attempts: i32,
}

/// What came of an attempt.
pub struct Outcome {
    /// The receiver's status, if one came.
    pub status: Option<u16>,
    pub latency: Duration,
    /// What went wrong; `None` for a 2xx.
    pub error: Option<String>,
    pub response: String,
}

/// Claims up to `batch` due deliveries of any organization for `lease` (`claim_webhook_deliveries`).
pub async fn claim(pool: &sqlx::PgPool, batch: i32, lease: Duration) -> Result<Vec<(Uuid, Uuid)>, AppError> {
    let lease = sqlx::postgres::types::PgInterval::try_from(lease).map_err(|e| anyhow::anyhow!("{e}"))?;
    let rows = sqlx::query!(
        r#"SELECT org_id AS "org_id!", id AS "id!" FROM claim_webhook_deliveries($1, $2)"#,
        batch,
        lease
    )
    .fetch_all(pool)
    .await?;
    Ok(rows.into_iter().map(|r| (r.org_id, r.id)).collect())
}

/// The claimed delivery, if it is still pending for an enabled endpoint.
pub async fn job(pool: &sqlx::PgPool, org_id: Uuid, delivery_id: Uuid) -> Result<Option<Job>, AppError> {
    let mut tx = super::tenant::begin(pool, org_id).await?;
    let job = sqlx::query_as!(
        Job,
        "SELECT d.org_id, d.id AS delivery_id, d.webhook_id, d.event_id, w.url, w.secret, e.body,
                d.created_at, d.attempts
         FROM webhook_deliveries d
         JOIN webhooks w ON w.org_id = d.org_id AND w.id = d.webhook_id
         JOIN webhook_events e ON e.org_id = d.org_id AND e.id = d.event_id
         WHERE d.org_id = $1 AND d.id = $2 AND d.state = 'pending' AND w.enabled",
        org_id,
        delivery_id
    )
    .fetch_optional(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(job)
}

/// Logs the attempt and moves the delivery on: delivered; or due again after the retry delay,
/// until 24 hours after the event (then failed). An endpoint failing for 24 hours is disabled.
pub async fn record(pool: &sqlx::PgPool, job: &Job, outcome: &Outcome) -> Result<(), AppError> {
    let attempt = job.attempts + 1;
    let give_up_secs = GIVE_UP_AFTER.as_secs_f64();
    let mut tx = super::tenant::begin(pool, job.org_id).await?;
    sqlx::query!(
        "INSERT INTO webhook_attempts (org_id, id, webhook_id, delivery_id, event_id, attempt, status, latency_ms, error, response)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        job.org_id,
        Uuid::now_v7(),
        job.webhook_id,
        job.delivery_id,
        job.event_id,
        attempt,
        outcome.status.map(i32::from),
        outcome.latency.as_millis().min(i32::MAX as u128) as i32,
        outcome.error,
        outcome.response
    )
    .execute(&mut *tx)
    .await?;
    match &outcome.error {
        None => {
            sqlx::query!(
                "UPDATE webhook_deliveries SET state = 'delivered', attempts = $3 WHERE org_id = $1 AND id = $2",
                job.org_id,
                job.delivery_id,
                attempt
            )
            .execute(&mut *tx)
            .await?;
            sqlx::query!(
                "UPDATE webhooks SET failing_since = NULL WHERE org_id = $1 AND id = $2 AND failing_since IS NOT NULL",
                job.org_id,
                job.webhook_id
            )
            .execute(&mut *tx)
            .await?;
        }
        Some(error) => {
            // The last try is at the 24th hour itself, however the delays fall.
            let delay = retry_delay(attempt as u32).as_secs_f64();
            sqlx::query!(
                "UPDATE webhook_deliveries
                 SET attempts = $3,
                     state = CASE WHEN now() >= created_at + make_interval(secs => $5) THEN 'failed' ELSE 'pending' END,
                     next_attempt_at = least(now() + make_interval(secs => $4), created_at + make_interval(secs => $5))
                 WHERE org_id = $1 AND id = $2",
                job.org_id,
                job.delivery_id,
                attempt,
                delay,
                give_up_secs
            )
            .execute(&mut *tx)
            .await?;
            let reason = format!("Every delivery failed for 24 hours; the last: {error}");
            sqlx::query!(
                "UPDATE webhooks
                 SET failing_since = coalesce(failing_since, now()),
                     enabled = enabled AND coalesce(failing_since, now()) > now() - make_interval(secs => $3),
                     disabled_reason = CASE WHEN coalesce(failing_since, now()) > now() - make_interval(secs => $3)
                                            THEN disabled_reason ELSE $4 END
                 WHERE org_id = $1 AND id = $2",
                job.org_id,
                job.webhook_id,
                give_up_secs,
                reason
            )
            .execute(&mut *tx)
            .await?;
        }
    }
    tx.commit().await?;
    Ok(())
}

/// Forgets events older than `age`, with their deliveries and log (`forget_webhook_events`).
pub async fn forget_old(pool: &sqlx::PgPool, age: Duration) -> Result<i64, AppError> {
    let age = sqlx::postgres::types::PgInterval::try_from(age).map_err(|e| anyhow::anyhow!("{e}"))?;
    Ok(
        sqlx::query_scalar!(r#"SELECT forget_webhook_events($1) AS "forgotten!""#, age)
            .fetch_one(pool)
            .await?,
    )
}
