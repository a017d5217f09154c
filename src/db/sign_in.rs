//! Sign-in throttling in PostgreSQL, shared by every server process (SPEC §7: stateless servers).
//! An attempt is written down before its password is checked and struck off if it succeeds, so
//! that guesses sent in parallel are all counted.

use std::net::IpAddr;

use sqlx::PgPool;
use uuid::Uuid;

use super::users::{Credentials, authenticate};
use crate::domain::account;
use crate::domain::throttle::{self, PER_ACCOUNT, PER_ADDRESS, WINDOW};
use crate::error::AppError;

/// Signs in with email and password, unless the account or the client address has failed too
/// often lately (429 with how long to wait). `None`: the email and password do not match.
/// Only a wrong password counts as a failure: an attempt refused for waiting, or one that failed
/// on Cairn's side (the database gone mid-way), is struck off again.
pub async fn sign_in(
    pool: &PgPool,
    email: &str,
    password: &str,
    client: IpAddr,
) -> Result<Option<Credentials>, AppError> {
    if !account::is_email(email) {
        // No account has it, so nothing is looked up and nothing counts (and PostgreSQL text
        // could not even hold some of what it may contain, such as NUL).
        return Ok(None);
    }
    let attempt = Attempt {
        account: throttle::account_key(email),
        address: throttle::address_key(client),
        id: Uuid::now_v7(),
    };
    sqlx::query!(
        "INSERT INTO sign_in_attempts (scope, subject, id) VALUES ('account', $1, $3), ('address', $2, $3)",
        attempt.account,
        attempt.address,
        attempt.id
    )
    .execute(pool)
    .await?;
    let checked = check(pool, &attempt, email, password).await;
    match &checked {
        Ok(None) => {}
        Ok(Some(_)) => {
            // Success clears the account's failures; the address keeps its other ones.
            sqlx::query!(
                "DELETE FROM sign_in_attempts WHERE scope = 'account' AND subject = $1",
                attempt.account
            )
            .execute(pool)
            .await?;
            forget(pool, &attempt).await?;
        }
        Err(_) => {
            if let Err(error) = forget(pool, &attempt).await {
                tracing::warn!(%error, "a sign-in attempt that was not a failure stays counted");
            }
        }
    }
    checked
}

/// One sign-in attempt, as it is written down under the account and under the client address.
struct Attempt {
    account: String,
    address: String,
    id: Uuid,
}

/// The attempt's answer once it is written down: a wait, a match, or none.
async fn check(
    pool: &PgPool,
    attempt: &Attempt,
    email: &str,
    password: &str,
) -> Result<Option<Credentials>, AppError> {
    let waits = [
        wait(pool, "account", &attempt.account, PER_ACCOUNT).await?,
        wait(pool, "address", &attempt.address, PER_ADDRESS).await?,
    ];
    if let Some(retry_after_secs) = waits.into_iter().flatten().max() {
        return Err(AppError::TooManyRequests { retry_after_secs });
    }
    authenticate(pool, email, password).await
}

/// How long `subject` must wait, if its attempts in the window, this one included, exceed `limit`.
async fn wait(pool: &PgPool, scope: &str, subject: &str, limit: usize) -> Result<Option<u64>, AppError> {
    let attempts = sqlx::query_scalar!(
        "SELECT attempted_at FROM sign_in_attempts
         WHERE scope = $1 AND subject = $2 AND attempted_at > now() - $3::interval",
        scope,
        subject,
        sqlx::postgres::types::PgInterval::try_from(WINDOW).map_err(|e| anyhow::anyhow!(e))?
    )
    .fetch_all(pool)
    .await?;
    Ok(throttle::retry_after(attempts, limit, chrono::Utc::now()))
}

/// Strikes off one attempt that does not count as a failure.
async fn forget(pool: &PgPool, attempt: &Attempt) -> Result<(), AppError> {
    sqlx::query!(
        "DELETE FROM sign_in_attempts
         WHERE ((scope = 'account' AND subject = $1) OR (scope = 'address' AND subject = $2)) AND id = $3",
        attempt.account,
        attempt.address,
        attempt.id
    )
    .execute(pool)
    .await?;
    Ok(())
}

/// Deletes attempts older than the window: they no longer count for anything.
pub async fn delete_expired(pool: &PgPool) -> Result<(), AppError> {
    sqlx::query!(
        "DELETE FROM sign_in_attempts WHERE attempted_at <= now() - $1::interval",
        sqlx::postgres::types::PgInterval::try_from(WINDOW).map_err(|e| anyhow::anyhow!(e))?
    )
    .execute(pool)
    .await?;
    Ok(())
}
