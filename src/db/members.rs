//! Members of an organization: listing, adding (with a password or a one-time invitation),
//! changing roles and removing them. The last admin cannot be demoted or removed.

use crate::domain::permissions::may_administer;
use crate::error::forbidden_unless;
use sqlx::PgPool;
use uuid::Uuid;

use super::TenantPool;
use super::users::Caller;
use super::{Timestamp, Tx, lock_org};
use crate::domain::member::{
    INVITE_LIFETIME, INVITE_TOKEN_PREFIX, MemberChanges, NewMember, removes_last_admin,
};
use crate::domain::page::{Page, PageRequest};
use crate::domain::{Role, credentials};
use crate::error::AppError;

/// A member as the API and the pages show them; `id` is the user's id (what `owner_id` takes).
#[derive(Clone, Debug, serde::Serialize, utoipa::ToSchema)]
pub struct Member {
    pub id: Uuid,
    pub email: String,
    pub name: String,
    pub role: Role,
}

/// A member just added, and the invitation token when they were added without a password.
pub struct Added {
    pub member: Member,
    pub invite_token: Option<String>,
}

/// The members in the order they were created, a page at a time.
pub async fn list(pool: &TenantPool, page: &PageRequest) -> Result<Page<Member>, AppError> {
    let org_id = pool.org_id();
    let rows = sqlx::query_as!(
        Member,
        r#"SELECT u.id, u.email, u.name, m.role AS "role: Role"
           FROM memberships m JOIN users u ON u.id = m.user_id
           WHERE m.org_id = $1 AND ($2::uuid IS NULL OR u.id > $2)
           ORDER BY u.id LIMIT $3"#,
        org_id,
        page.after,
        page.fetch_limit()
    )
    .fetch_all(pool)
    .await?;
    Ok(Page::from_rows(rows, page, |member| member.id))
}

/// Every member by name, for the settings page.
pub async fn all(pool: &TenantPool) -> Result<Vec<Member>, AppError> {
    let org_id = pool.org_id();
    Ok(sqlx::query_as!(
        Member,
        r#"SELECT u.id, u.email, u.name, m.role AS "role: Role"
           FROM memberships m JOIN users u ON u.id = m.user_id
           WHERE m.org_id = $1 ORDER BY lower(u.name), u.id"#,
        org_id
    )
    .fetch_all(pool)
    .await?)
}

/// The member `text` names, for a filter: the one whose email it is, else the one member of that
/// name (both without regard to case). Nobody, or several of that name, answer 422 on `owner`.
pub async fn named(pool: &TenantPool, text: &str) -> Result<Uuid, AppError> {
    let found = sqlx::query!(
        r#"SELECT u.id, lower(u.email) = lower($2) AS "by_email!"
           FROM memberships m JOIN users u ON u.id = m.user_id
           WHERE m.org_id = $1 AND (lower(u.email) = lower($2) OR lower(u.name) = lower($2))
           ORDER BY 2 DESC, u.id LIMIT 2"#,
        pool.org_id(),
        text
    )
    .fetch_all(pool)
    .await?;
    match found.as_slice() {
        [first, ..] if first.by_email => Ok(first.id),
        [only] => Ok(only.id),
        [] => Err(AppError::field("owner", "is no member's name or email")),
        _ => Err(AppError::field(
            "owner",
            "is the name of several members: give the email",
        )),
    }
}

pub async fn get(
    executor: impl sqlx::PgExecutor<'_>,
    org_id: Uuid,
    user_id: Uuid,
) -> Result<Member, AppError> {
    Ok(sqlx::query_as!(
        Member,
        r#"SELECT u.id, u.email, u.name, m.role AS "role: Role"
           FROM memberships m JOIN users u ON u.id = m.user_id
           WHERE m.org_id = $1 AND m.user_id = $2"#,
        org_id,
        user_id
    )
    .fetch_one(executor)
    .await?)
}

/// Adds a member (admins only). A new email becomes an account, with the password given or else an
/// invitation; a registered email joins with its existing account, name and password.
pub async fn add(pool: &TenantPool, caller: &Caller, new: NewMember) -> Result<Added, AppError> {
    forbidden_unless(may_administer(caller))?;
    let password_hash = match &new.password {
        Some(password) => Some(credentials::hash_password_off_thread(password.clone()).await?),
        None => None,
    };
    let mut tx = pool.begin().await?;
    let existing = sqlx::query!(
        r#"SELECT u.id, EXISTS (SELECT 1 FROM memberships m WHERE m.org_id = $2 AND m.user_id = u.id) AS "member!"
           FROM users u WHERE u.email = $1 FOR UPDATE"#,
        new.email,
        caller.org_id
    )
    .fetch_optional(&mut *tx)
    .await?;
    let user_id = match existing {
        Some(found) if found.member => {
            return Err(AppError::duplicate(
                "email",
                "is already a member of this organization",
            ));
        }
        Some(_) if new.password.is_some() => {
            // Someone else's account keeps its own password; an admin may not set it.
            return Err(AppError::field(
                "password",
                "must be left out: this email already has an account, which signs in with its own password",
            ));
        }
        Some(found) => found.id,
        None => {
            super::users::create(&mut tx, &new.name, &new.email, password_hash.as_deref())
                .await?
                .id
        }
    };
    super::users::add_membership(&mut tx, caller.org_id, user_id, new.role).await?;
    // An account that already signs in needs no invitation; one without a password does.
    let invite_token = if password_missing(&mut tx, user_id).await? {
        Some(create_invite(&mut tx, caller.org_id, user_id).await?)
    } else {
        None
    };
    let member = get(&mut *tx, caller.org_id, user_id).await?;
    tx.commit().await?;
    Ok(Added { member, invite_token })
}

/// Whether the account has no password yet (created by an invitation not yet accepted).
async fn password_missing(tx: &mut Tx<'_>, user_id: Uuid) -> Result<bool, AppError> {
    Ok(sqlx::query_scalar!(
        r#"SELECT password_hash IS NULL AS "missing!" FROM users WHERE id = $1"#,
        user_id
    )
    .fetch_one(&mut **tx)
    .await?)
}

/// A fresh invitation; returns the token, of which only the digest is stored.
async fn create_invite(tx: &mut Tx<'_>, org_id: Uuid, user_id: Uuid) -> Result<String, AppError> {
    let token = credentials::new_secret(INVITE_TOKEN_PREFIX);
    sqlx::query!(
        "INSERT INTO invites (org_id, id, user_id, token_hash, expires_at) VALUES ($1, $2, $3, $4, $5)",
        org_id,
        Uuid::now_v7(),
        user_id,
        credentials::digest(&token),
        chrono::Utc::now() + INVITE_LIFETIME
    )
    .execute(&mut **tx)
    .await?;
    Ok(token)
}

/// Changes a member's role or name (admins only); the last admin keeps the role.
pub async fn update(
    pool: &TenantPool,
    caller: &Caller,
    user_id: Uuid,
    changes: MemberChanges,
) -> Result<Member, AppError> {
    let mut tx = pool.begin().await?;
    let current = lock_member(&mut tx, caller.org_id, user_id).await?;
    forbidden_unless(may_administer(caller))?;
    if let Some(role) = changes.role {
        keep_an_admin(&mut tx, caller.org_id, current.role, Some(role)).await?;
        sqlx::query!(
            "UPDATE memberships SET role = $3 WHERE org_id = $1 AND user_id = $2",
            caller.org_id,
            user_id,
            role.as_str()
        )
        .execute(&mut *tx)
        .await?;
    }
    if let Some(name) = &changes.name {
        sqlx::query!("UPDATE users SET name = $2 WHERE id = $1", user_id, name)
            .execute(&mut *tx)
            .await?;
    }
    let member = get(&mut *tx, caller.org_id, user_id).await?;
    tx.commit().await?;
    Ok(member)
}

/// Removes a member (admins only): their API tokens and invitation go with the membership, their
/// sessions in this organization are deleted, and what they owned is left without an owner.
pub async fn remove(pool: &TenantPool, caller: &Caller, user_id: Uuid) -> Result<(), AppError> {
    let mut tx = pool.begin().await?;
    let current = lock_member(&mut tx, caller.org_id, user_id).await?;
    forbidden_unless(may_administer(caller))?;
    keep_an_admin(&mut tx, caller.org_id, current.role, None).await?;
    sqlx::query!(
        "DELETE FROM memberships WHERE org_id = $1 AND user_id = $2",
        caller.org_id,
        user_id
    )
    .execute(&mut *tx)
    .await?;
    sqlx::query!(
        "DELETE FROM sessions WHERE data ->> 'org_id' = $1 AND data ->> 'user_id' = $2",
        caller.org_id.to_string(),
        user_id.to_string()
    )
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(())
}

async fn lock_member(tx: &mut Tx<'_>, org_id: Uuid, user_id: Uuid) -> Result<Member, AppError> {
    Ok(sqlx::query_as!(
        Member,
        r#"SELECT u.id, u.email, u.name, m.role AS "role: Role"
           FROM memberships m JOIN users u ON u.id = m.user_id
           WHERE m.org_id = $1 AND m.user_id = $2 FOR UPDATE OF m"#,
        org_id,
        user_id
    )
    .fetch_one(&mut **tx)
    .await?)
}

/// Refuses a change that would leave the organization without an admin. Admin changes are
/// serialized per organization so that two admins demoting each other cannot both succeed.
async fn keep_an_admin(
    tx: &mut Tx<'_>,
    org_id: Uuid,
    was: Role,
    becomes: Option<Role>,
) -> Result<(), AppError> {
    if was != Role::Admin {
        return Ok(());
    }
    lock_org(tx, org_id, "admins").await?;
    let admins = sqlx::query_scalar!(
        r#"SELECT count(*) AS "n!" FROM memberships WHERE org_id = $1 AND role = 'admin'"#,
        org_id
    )
    .fetch_one(&mut **tx)
    .await?;
    if removes_last_admin(admins, was, becomes) {
        return Err(AppError::Conflict(
            "An organization needs an admin: make someone else an admin first.".into(),
        ));
    }
    Ok(())
}

/// The member an unused, unexpired invitation stands for, with their organization.
pub struct Invitation {
    pub org_id: Uuid,
    pub user_id: Uuid,
    pub name: String,
    pub email: String,
    pub org_name: String,
    pub expires_at: Timestamp,
}

/// The invitation behind a token, if it can still be accepted; any other token is simply unknown.
pub async fn invitation(pool: &PgPool, token: &str) -> Result<Option<Invitation>, AppError> {
    let Some(org_id) = invite_organization(pool, token).await? else {
        return Ok(None);
    };
    Ok(sqlx::query_as!(
        Invitation,
        r#"SELECT i.org_id, i.user_id, u.name, u.email, o.name AS org_name, i.expires_at
           FROM invites i
           JOIN users u ON u.id = i.user_id
           JOIN organizations o ON o.id = i.org_id
           WHERE i.token_hash = $1 AND i.used_at IS NULL AND i.expires_at > now()
             AND u.password_hash IS NULL"#,
        credentials::digest(token)
    )
    .fetch_optional(&TenantPool::new(pool.clone(), org_id))
    .await?)
}

/// The organization of an invitation that can still be accepted: the token tells it, by the one
/// lookup by digest row-level security lets through (migrations/0011).
async fn invite_organization(pool: &PgPool, token: &str) -> Result<Option<Uuid>, AppError> {
    Ok(
        sqlx::query_scalar!("SELECT invite_organization($1)", credentials::digest(token))
            .fetch_one(pool)
            .await?,
    )
}

/// Accepts an invitation: the account takes the name and password, and the token is spent. Two
/// submits of one link race on the row lock; the second finds it used and answers 404.
pub async fn accept_invitation(
    pool: &PgPool,
    token: &str,
    name: &str,
    password_hash: &str,
) -> Result<Invitation, AppError> {
    let org_id = invite_organization(pool, token)
        .await?
        .ok_or(AppError::NotFound)?;
    let mut tx = super::tenant::begin(pool, org_id).await?;
    let spent = sqlx::query!(
        r#"UPDATE invites SET used_at = now()
           WHERE token_hash = $1 AND used_at IS NULL AND expires_at > now()
           RETURNING org_id, user_id"#,
        credentials::digest(token)
    )
    .fetch_optional(&mut *tx)
    .await?
    .ok_or(AppError::NotFound)?;
    // Only an account without a password takes one: an invitation never replaces a password.
    let updated = sqlx::query!(
        "UPDATE users SET name = $2, password_hash = $3 WHERE id = $1 AND password_hash IS NULL",
        spent.user_id,
        name,
        password_hash
    )
    .execute(&mut *tx)
    .await?;
    if updated.rows_affected() == 0 {
        return Err(AppError::NotFound);
    }
    let accepted = sqlx::query_as!(
        Invitation,
        r#"SELECT i.org_id, i.user_id, u.name, u.email, o.name AS org_name, i.expires_at
           FROM invites i
           JOIN users u ON u.id = i.user_id
           JOIN organizations o ON o.id = i.org_id
           WHERE i.org_id = $1 AND i.user_id = $2 AND i.token_hash = $3"#,
        spent.org_id,
        spent.user_id,
        credentials::digest(token)
    )
    .fetch_one(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(accepted)
}
