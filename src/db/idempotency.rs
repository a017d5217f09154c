//! Idempotency keys: the first answer to a creating POST, kept with the write it made.

use super::Tx;
use super::users::Caller;
use crate::error::AppError;

/// How long a key holds: a retry within a day gets the first answer; after that the key is free.
const KEPT_FOR: &str = "24 hours";

/// A client's key for one request, and what that request was.
#[derive(Clone, Debug)]
pub struct IdempotencyKey {
    pub key: String,
    /// SHA-256 of the method, path and body.
    pub fingerprint: [u8; 32],
}

/// The answer a request got, to give again to its retries. Only creates take a key, so the answer
/// is always a 201 of a new row at its first version.
#[derive(Clone, Debug)]
pub struct StoredAnswer {
    pub version: i64,
    pub body: serde_json::Value,
}

/// Whether this request is the first with its key.
pub enum Claim {
    First,
    Retry(StoredAnswer),
}

/// Claims `key` for the caller in `tx`. A concurrent request with the same key waits here until
/// the first one's transaction ends: then it either finds the stored answer or, if the first
/// rolled back, claims the key itself.
pub async fn claim(tx: &mut Tx<'_>, caller: &Caller, key: &IdempotencyKey) -> Result<Claim, AppError> {
    sqlx::query!(
        "DELETE FROM idempotency_keys WHERE org_id = $1 AND created_at < now() - $2::text::interval",
        caller.org_id,
        KEPT_FOR
    )
    .execute(&mut **tx)
    .await?;
    let claimed = sqlx::query_scalar!(
        r#"INSERT INTO idempotency_keys (org_id, user_id, key, fingerprint) VALUES ($1, $2, $3, $4)
           ON CONFLICT (org_id, user_id, key) DO NOTHING
           RETURNING true AS "claimed!""#,
        caller.org_id,
        caller.user_id,
        key.key,
        &key.fingerprint[..]
    )
    .fetch_optional(&mut **tx)
    .await?;
    if claimed.is_some() {
        return Ok(Claim::First);
    }
    let stored = sqlx::query!(
        r#"SELECT fingerprint, version AS "version!", body AS "body!"
           FROM idempotency_keys WHERE org_id = $1 AND user_id = $2 AND key = $3"#,
        caller.org_id,
        caller.user_id,
        key.key
    )
    .fetch_one(&mut **tx)
    .await?;
    if stored.fingerprint != key.fingerprint {
        return Err(AppError::field(
            "Idempotency-Key",
            "this key was already used for a different request; use a new key for a new request",
        ));
    }
    Ok(Claim::Retry(StoredAnswer {
        version: stored.version,
        body: stored.body,
    }))
}

/// Stores the answer of the request that claimed `key`, in its transaction.
pub async fn store(
    tx: &mut Tx<'_>,
    caller: &Caller,
    key: &IdempotencyKey,
    answer: &StoredAnswer,
) -> Result<(), AppError> {
    sqlx::query!(
        "UPDATE idempotency_keys SET status = 201, version = $4, body = $5
         WHERE org_id = $1 AND user_id = $2 AND key = $3",
        caller.org_id,
        caller.user_id,
        key.key,
        answer.version,
        answer.body
    )
    .execute(&mut **tx)
    .await?;
    Ok(())
}
