//! Users, memberships, and who is calling.

use uuid::Uuid;

use super::Tx;
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

/// The caller behind a session, if the user is still a member of that organization. One statement
/// outside any transaction (every page asks): the membership comes from `session_membership`, a
/// lookup by the session's own organization and user (migrations/0014).
pub async fn caller(pool: &sqlx::PgPool, org_id: Uuid, user_id: Uuid) -> Result<Option<Caller>, AppError> {
    Ok(sqlx::query_as!(
        Caller,
        r#"SELECT u.id AS user_id, u.name, u.email, m.role AS "role!: Role", o.id AS org_id, o.name AS org_name
           FROM session_membership($1, $2) m
           JOIN users u ON u.id = m.user_id
           JOIN organizations o ON o.id = m.org_id"#,
        org_id,
        user_id
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
