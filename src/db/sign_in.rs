//! Sign-in throttling in PostgreSQL, shared by every server process (SPEC §7: stateless servers).
//! An attempt is written down before its password is checked and struck off if it succeeds, so
//! that guesses sent in parallel are all counted.

use std::net::IpAddr;

use sqlx::PgPool;
use uuid::Uuid;

use super::users::{Credentials, authenticate};
use crate::domain::throttle::{self, PER_ACCOUNT, PER_ADDRESS, WINDOW};
use crate::error::AppError;

/// Signs in with email and password, unless the account or the client address has failed too
/// often lately (429 with how long to wait). `None`: the email and password do not match.
pub async fn sign_in(
    pool: &PgPool,
    email: &str,
    password: &str,
    client: IpAddr,
) -> Result<Option<Credentials>, AppError> {
    let account = throttle::account_key(email);
    let address = throttle::address_key(client);
    let id = Uuid::now_v7();
    sqlx::query!(
        "INSERT INTO sign_in_attempts (scope, subject, id) VALUES ('account', $1, $3), ('address', $2, $3)",
        account,
        address,
        id
    )
    .execute(pool)
    .await?;
    let waits = [
        wait(pool, "account", &account, PER_ACCOUNT).await?,
        wait(pool, "address", &address, PER_ADDRESS).await?,
    ];
    if let Some(retry_after_secs) = waits.into_iter().flatten().max() {
        forget(pool, &account, &address, id).await?;
        return Err(AppError::TooManyRequests { retry_after_secs });
    }
    let found = authenticate(pool, email, password).await?;
    if found.is_some() {
        // Success clears the account's failures; the address keeps its other ones.
        sqlx::query!(
            "DELETE FROM sign_in_attempts WHERE scope = 'account' AND subject = $1",
            account
        )
        .execute(pool)
        .await?;
        forget(pool, &account, &address, id).await?;
    }
    Ok(found)
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
async fn forget(pool: &PgPool, account: &str, address: &str, id: Uuid) -> Result<(), AppError> {
    sqlx::query!(
        "DELETE FROM sign_in_attempts
         WHERE ((scope = 'account' AND subject = $1) OR (scope = 'address' AND subject = $2)) AND id = $3",
        account,
        address,
        id
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
