//! Liveness and readiness for load balancers and orchestrators.

use std::time::Duration;

use axum::extract::State;
use axum::http::StatusCode;
use sqlx::PgPool;

use super::AppState;

/// A readiness probe's answer comes within this, database or not.
const READY_WITHIN: Duration = Duration::from_millis(900);

/// The process is up.
pub async fn healthz() -> &'static str {
    "ok"
}

/// 200 while the database answers on a sound connection of the serving pool; 503 within a second
/// while it does not (down, restarting, the pool exhausted) or when the connection the pool handed
/// out is not sound.
pub async fn readyz(State(state): State<AppState>) -> (StatusCode, &'static str) {
    // In a task of its own, so that the deadline does not cancel the check half-way (which would
    // cost the pool its connection): a late check finishes, unwaited for.
    let check = tokio::spawn(check_a_connection(state.pool.clone()));
    match tokio::time::timeout(READY_WITHIN, check).await {
        Ok(Ok(Ok(()))) => (StatusCode::OK, "ready"),
        Ok(Ok(Err(problem))) => {
            tracing::warn!(%problem, "readiness check failed");
            (StatusCode::SERVICE_UNAVAILABLE, "database unavailable")
        }
        Ok(Err(failure)) => {
            tracing::error!(%failure, "readiness check failed");
            (StatusCode::SERVICE_UNAVAILABLE, "database unavailable")
        }
        Err(_) => {
            tracing::warn!("readiness check timed out");
            (StatusCode::SERVICE_UNAVAILABLE, "database unavailable")
        }
    }
}

/// Whether the pool hands out a sound connection: it answers, and it is not left inside a
/// transaction of an earlier request's (two statements on it see two transactions begin: `now()`
/// is the time the transaction began). The pool hands out its idle connections in turn, so
/// successive probes look at each. A connection found unsound is closed, not returned.
async fn check_a_connection(pool: PgPool) -> Result<(), String> {
    let mut connection = pool.acquire().await.map_err(|e| e.to_string())?;
    let fresh = async {
        let first = transaction_start(&mut connection).await?;
        let second = transaction_start(&mut connection).await?;
        Ok::<_, String>(first != second)
    };
    let problem = match fresh.await {
        Ok(true) => return Ok(()),
        Ok(false) => "a pooled connection was left inside a transaction".to_owned(),
        Err(error) => error,
    };
    connection.close_on_drop();
    Err(problem)
}

async fn transaction_start(connection: &mut sqlx::PgConnection) -> Result<crate::db::Timestamp, String> {
    sqlx::query_scalar!(r#"SELECT now() AS "now!""#)
        .fetch_one(connection)
        .await
        .map_err(|e| e.to_string())
}
