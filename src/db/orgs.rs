//! Organizations and sign-up.

use uuid::Uuid;

use super::Tx;
use super::users::User;
use crate::domain::Role;
use crate::domain::account::SignUp;
use crate::domain::org::NewOrganization;
use crate::error::AppError;

#[derive(Clone, Debug, serde::Serialize)]
pub struct Organization {
    pub id: Uuid,
    pub name: String,
    pub slug: String,
    pub key_prefix: String,
    pub time_zone: String,
    pub fiscal_year_start_month: i16,
    pub currency: String,
}

/// Creates an organization, making its slug unique by numbering when the name's slug is taken.
pub async fn create(tx: &mut Tx<'_>, org: &NewOrganization) -> Result<Organization, AppError> {
    let taken: Vec<String> = sqlx::query_scalar!(
        "SELECT slug FROM organizations WHERE slug = $1 OR slug LIKE $1 || '-%'",
        org.slug
    )
    .fetch_all(&mut **tx)
    .await?;
    let slug = (1..)
        .map(|n| {
            if n == 1 {
                org.slug.clone()
            } else {
                format!("{}-{n}", org.slug)
            }
        })
        .find(|candidate| !taken.contains(candidate))
        .expect("an unbounded range yields a free slug");
    let created = sqlx::query_as!(
        Organization,
        r#"INSERT INTO organizations (id, name, slug, key_prefix) VALUES ($1, $2, $3, $4)
           RETURNING id, name, slug, key_prefix, time_zone, fiscal_year_start_month, currency"#,
        Uuid::now_v7(),
        org.name,
        slug,
        org.key_prefix
    )
    .fetch_one(&mut **tx)
    .await?;
    Ok(created)
}

pub async fn get(pool: &sqlx::PgPool, org_id: Uuid) -> Result<Organization, AppError> {
    Ok(sqlx::query_as!(
        Organization,
        "SELECT id, name, slug, key_prefix, time_zone, fiscal_year_start_month, currency
         FROM organizations WHERE id = $1",
        org_id
    )
    .fetch_one(pool)
    .await?)
}

/// Creates an organization and its first admin.
pub async fn sign_up(
    tx: &mut Tx<'_>,
    signup: &SignUp,
    password_hash: &str,
) -> Result<(Organization, User), AppError> {
    let org = create(tx, &signup.org).await.map_err(|e| match e {
        // Two sign-ups raced for one slug: the second may simply retry.
        AppError::Internal(_) => {
            AppError::Conflict("An organization with this name was just created; try again.".into())
        }
        other => other,
    })?;
    let user = super::users::create(tx, &signup.name, &signup.email, Some(password_hash)).await?;
    super::users::add_membership(tx, org.id, user.id, Role::Admin).await?;
    Ok((org, user))
}
