//! Server-side sessions for tower-sessions, in PostgreSQL: any server process can read a session
//! another wrote. (Our own store rather than tower-sessions-sqlx-store, which would switch sqlx's
//! date types to the `time` crate for every query in Cairn.)

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::PgPool;
use tower_sessions::cookie::time::OffsetDateTime;
use tower_sessions::session::{Id, Record};
use tower_sessions::session_store::{self, ExpiredDeletion, SessionStore};

use crate::error::AppError;

#[derive(Clone, Debug)]
pub struct PgSessionStore {
    pool: PgPool,
}

impl PgSessionStore {
    pub fn new(pool: PgPool) -> Self {
        PgSessionStore { pool }
    }
}

/// Starts a store error caused by an unreachable database: tower-sessions keeps only a message,
/// and pages must answer 503 for those, as for any other query.
const UNAVAILABLE: &str = "database unavailable: ";

fn backend(error: sqlx::Error) -> session_store::Error {
    let cause = if crate::error::is_unavailable(&error) {
        UNAVAILABLE
    } else {
        ""
    };
    session_store::Error::Backend(format!("{cause}{error}"))
}

/// Whether a session error comes from the database being unreachable.
pub fn is_unavailable(error: &tower_sessions::session::Error) -> bool {
    matches!(
        error,
        tower_sessions::session::Error::Store(session_store::Error::Backend(message))
            if message.starts_with(UNAVAILABLE)
    )
}

/// A session could not be read or written: unavailable when its store could not reach the
/// database, else an internal error.
impl From<tower_sessions::session::Error> for AppError {
    fn from(error: tower_sessions::session::Error) -> Self {
        if is_unavailable(&error) {
            tracing::warn!(%error, "session store unavailable");
            AppError::Unavailable
        } else {
            AppError::Internal(error.into())
        }
    }
}

fn to_chrono(time: OffsetDateTime) -> DateTime<Utc> {
    DateTime::from_timestamp(time.unix_timestamp(), time.nanosecond()).unwrap_or(DateTime::<Utc>::MIN_UTC)
}

fn from_chrono(time: DateTime<Utc>) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp(time.timestamp()).unwrap_or(OffsetDateTime::UNIX_EPOCH)
}

#[async_trait]
impl SessionStore for PgSessionStore {
    /// Inserts under a fresh id, drawing another on the (astronomically unlikely) collision.
    async fn create(&self, record: &mut Record) -> session_store::Result<()> {
        let data =
            serde_json::to_value(&record.data).map_err(|e| session_store::Error::Encode(e.to_string()))?;
        loop {
            let inserted = sqlx::query!(
                "INSERT INTO sessions (id, data, expires_at) VALUES ($1, $2, $3) ON CONFLICT (id) DO NOTHING",
                record.id.to_string(),
                data,
                to_chrono(record.expiry_date)
            )
            .execute(&self.pool)
            .await
            .map_err(backend)?;
            if inserted.rows_affected() == 1 {
                return Ok(());
            }
            record.id = Id::default();
        }
    }

    async fn save(&self, record: &Record) -> session_store::Result<()> {
        let data =
            serde_json::to_value(&record.data).map_err(|e| session_store::Error::Encode(e.to_string()))?;
        sqlx::query!(
            "INSERT INTO sessions (id, data, expires_at) VALUES ($1, $2, $3)
             ON CONFLICT (id) DO UPDATE SET data = excluded.data, expires_at = excluded.expires_at",
            record.id.to_string(),
            data,
            to_chrono(record.expiry_date)
        )
        .execute(&self.pool)
        .await
        .map_err(backend)?;
        Ok(())
    }

    async fn load(&self, id: &Id) -> session_store::Result<Option<Record>> {
        let row = sqlx::query!(
            "SELECT data, expires_at FROM sessions WHERE id = $1 AND expires_at > now()",
            id.to_string()
        )
        .fetch_optional(&self.pool)
        .await
        .map_err(backend)?;
        row.map(|row| {
            let data =
                serde_json::from_value(row.data).map_err(|e| session_store::Error::Decode(e.to_string()))?;
            Ok(Record {
                id: *id,
                data,
                expiry_date: from_chrono(row.expires_at),
            })
        })
        .transpose()
    }

    async fn delete(&self, id: &Id) -> session_store::Result<()> {
        sqlx::query!("DELETE FROM sessions WHERE id = $1", id.to_string())
            .execute(&self.pool)
            .await
            .map_err(backend)?;
        Ok(())
    }
}

#[async_trait]
impl ExpiredDeletion for PgSessionStore {
    async fn delete_expired(&self) -> session_store::Result<()> {
        sqlx::query!("DELETE FROM sessions WHERE expires_at <= now()")
            .execute(&self.pool)
            .await
            .map_err(backend)?;
        Ok(())
    }
}
