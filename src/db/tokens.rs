//! API tokens: stored as SHA-256 digests, bound to one membership.

use uuid::Uuid;

use super::Tx;
use super::users::{Authenticated, Caller};
use crate::domain::{Role, credentials};
use crate::error::AppError;

/// Stores the digest of a new token for the member and returns the token's id.
pub async fn create(
    tx: &mut Tx<'_>,
    org_id: Uuid,
    user_id: Uuid,
    name: &str,
    token: &str,
) -> Result<Uuid, AppError> {
    let id = Uuid::now_v7();
    sqlx::query!(
        "INSERT INTO api_tokens (org_id, id, user_id, name, token_hash) VALUES ($1, $2, $3, $4, $5)",
        org_id,
        id,
        user_id,
        name,
        credentials::digest(token)
    )
    .execute(&mut **tx)
    .await?;
    Ok(id)
}

/// The caller a bearer token stands for, with their organization's data stamp; a removed member's
/// tokens are gone with the membership. The organization is not known yet, so the token's
/// membership comes from `token_membership`, the one lookup by digest that row-level security lets
/// through (migrations/0011, 0036).
pub async fn caller(pool: &sqlx::PgPool, token: &str) -> Result<Option<Authenticated>, AppError> {
    Ok(sqlx::query_as!(
        Authenticated,
        r#"SELECT u.id AS user_id, u.name, u.email, m.role AS "role!: Role", o.id AS org_id, o.name AS org_name,
                  m.data_version AS "data_version!", m.today AS "today!"
           FROM token_membership($1) m
           JOIN users u ON u.id = m.user_id
           JOIN organizations o ON o.id = m.org_id"#,
        credentials::digest(token)
    )
    .fetch_optional(pool)
    .await?)
}

/// Revokes one of the caller's own tokens (an admin may revoke any in the organization).
pub async fn delete(pool: &super::TenantPool, caller: &Caller, token_id: Uuid) -> Result<(), AppError> {
    let deleted = sqlx::query!(
        "DELETE FROM api_tokens WHERE org_id = $1 AND id = $2 AND (user_id = $3 OR $4)",
        caller.org_id,
        token_id,
        caller.user_id,
        crate::domain::permissions::may_administer(caller)
    )
    .execute(pool)
    .await?;
    if deleted.rows_affected() == 0 {
        return Err(AppError::NotFound);
    }
    Ok(())
}
