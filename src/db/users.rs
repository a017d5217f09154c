//! Users, memberships, and who is calling.

use uuid::Uuid;

use super::{DataStamp, Tx};
use crate::domain::{Role, credentials};
use crate::error::{AppError, map_constraint};

pub use crate::domain::permissions::Caller;

#[derive(Clone, Debug, serde::Serialize, utoipa::ToSchema)]
pub struct User {
    pub id: Uuid,
    pub name: String,
    pub email: String,
}

/// A user who may sign in, with their password hash and first organization.
pub struct Credentials {
    pub user_id: Uuid,
    pub org_id: Uuid,
    pub password_hash: Option<String>,
}

pub async fn create(
    tx: &mut Tx<'_>,
    name: &str,
    email: &str,
    password_hash: Option<&str>,
) -> Result<User, AppError> {
    sqlx::query_as!(
        User,
        "INSERT INTO users (id, name, email, password_hash) VALUES ($1, $2, $3, $4) RETURNING id, name, email",
        Uuid::now_v7(),
        name,
        email,
        password_hash
    )
    .fetch_one(&mut **tx)
    .await
    .map_err(|e| {
        map_constraint(e, |c| {
            (c == "users_email_key").then(|| AppError::duplicate("email", "is already registered"))
        })
    })
}

pub async fn add_membership(
    tx: &mut Tx<'_>,
    org_id: Uuid,
    user_id: Uuid,
    role: Role,
) -> Result<(), AppError> {
    sqlx::query!(
        "INSERT INTO memberships (org_id, user_id, role) VALUES ($1, $2, $3)",
        org_id,
        user_id,
        role.as_str()
    )
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Sign-in looks up the account by email; an account in several organizations opens its oldest
/// (`sign_in_organization`: the organization is what sign-in finds out, so row-level security
/// lets this one lookup by user through, migrations/0011).
pub async fn credentials_by_email(pool: &sqlx::PgPool, email: &str) -> Result<Option<Credentials>, AppError> {
    Ok(sqlx::query_as!(
        Credentials,
        r#"SELECT u.id AS user_id, m.org_id AS "org_id!", u.password_hash
           FROM users u CROSS JOIN LATERAL sign_in_organization(u.id) AS m (org_id)
           WHERE u.email = $1 AND m.org_id IS NOT NULL"#,
        email.trim().to_lowercase()
    )
    .fetch_optional(pool)
    .await?)
}

/// A caller as authenticated, with their organization's data stamp at that moment: what tells
/// whether a page or answer kept from an earlier request may answer this one (`crate::read_cache`).
pub struct Authenticated {
    pub(super) user_id: Uuid,
    pub(super) name: String,
    pub(super) email: String,
    pub(super) role: Role,
    pub(super) org_id: Uuid,
    pub(super) org_name: String,
    pub(super) data_version: i64,
    pub(super) today: chrono::NaiveDate,
}

impl Authenticated {
    pub fn split(self) -> (Caller, DataStamp) {
        let stamp = DataStamp {
            version: self.data_version,
            today: self.today,
        };
        let caller = Caller {
            user_id: self.user_id,
            name: self.name,
            email: self.email,
            role: self.role,
            org_id: self.org_id,
            org_name: self.org_name,
        };
        (caller, stamp)
    }
}

/// The caller behind a session, in one statement outside any transaction (every page asks): the
/// session's row if it has not expired, the membership it names if that still stands
/// (`session_membership`, a lookup by the session's own organization and user), and the
/// organization's stamp (migrations/0036). `org_key` and `user_key` are the session's keys for
/// them (`http::extract`). Nothing else of a session is read here: what writes to one (signing in
/// and out) goes through `tower_sessions` and this module's store.
pub async fn caller_of_session(
    pool: &sqlx::PgPool,
    session_id: &str,
    org_key: &str,
    user_key: &str,
) -> Result<Option<Authenticated>, AppError> {
    Ok(sqlx::query_as!(
        Authenticated,
        r#"SELECT u.id AS user_id, u.name, u.email, m.role AS "role!: Role", o.id AS org_id, o.name AS org_name,
                  m.data_version AS "data_version!", m.today AS "today!"
           FROM sessions s
           CROSS JOIN LATERAL session_membership((s.data ->> $2)::uuid, (s.data ->> $3)::uuid) m
           JOIN users u ON u.id = m.user_id
           JOIN organizations o ON o.id = m.org_id
           WHERE s.id = $1 AND s.expires_at > now()"#,
        session_id,
        org_key,
        user_key
    )
    .fetch_optional(pool)
    .await?)
}

/// The account behind an email and password, or `None` — for an unknown email as for a wrong
/// password, after the same work.
pub async fn authenticate(
    pool: &sqlx::PgPool,
    email: &str,
    password: &str,
) -> Result<Option<Credentials>, AppError> {
    let found = credentials_by_email(pool, email).await?;
    let hash = found.as_ref().and_then(|c| c.password_hash.clone());
    let valid = credentials::verify_password_off_thread(password.to_owned(), hash).await;
    Ok(found.filter(|_| valid))
}
