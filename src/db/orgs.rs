//! Organizations and sign-up.

use crate::domain::permissions::may_administer;
use crate::error::forbidden_unless;
use uuid::Uuid;

use super::Tx;
use super::check_version;
use super::users::{Caller, User};
use crate::domain::Role;
use crate::domain::account::SignUp;
use crate::domain::org::{NewOrganization, OrgSettings, OrgSettingsChanges};
use crate::domain::period::Period;
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
    /// What MoAR's `benefit` is counted in (SPEC §8).
    pub benefit_unit: String,
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
           RETURNING id, name, slug, key_prefix, time_zone, fiscal_year_start_month, currency, benefit_unit"#,
        Uuid::now_v7(),
        org.name,
        slug,
        org.key_prefix
    )
    .fetch_one(&mut **tx)
    .await?;
    Ok(created)
}

pub async fn get(pool: &super::TenantPool) -> Result<Organization, AppError> {
    let org_id = pool.org_id();
    Ok(sqlx::query_as!(
        Organization,
        "SELECT id, name, slug, key_prefix, time_zone, fiscal_year_start_month, currency, benefit_unit
         FROM organizations WHERE id = $1",
        org_id
    )
    .fetch_one(pool)
    .await?)
}

/// The organization's calendar: today in its time zone, and the month its fiscal year starts.
#[derive(Clone, Copy, Debug)]
pub struct Calendar {
    pub today: chrono::NaiveDate,
    pub fiscal_year_start_month: u32,
    /// Points behind its time from which on-track work is optimistic (SPEC §10): what pace is
    /// judged by, beside today.
    pub optimism_threshold: i16,
}

impl Calendar {
    /// The fiscal quarter under way: what OKR views and roll-ups show unless asked otherwise.
    pub fn current_quarter(self) -> Period {
        Period::current_quarter(self.today, self.fiscal_year_start_month)
    }
}

pub async fn calendar(pool: &super::TenantPool) -> Result<Calendar, AppError> {
    calendar_in(pool, pool.org_id()).await
}

/// `calendar` on a connection or transaction the caller holds.
pub async fn calendar_in(executor: impl sqlx::PgExecutor<'_>, org_id: Uuid) -> Result<Calendar, AppError> {
    let row = sqlx::query!(
        r#"SELECT (now() AT TIME ZONE time_zone)::date AS "today!", fiscal_year_start_month, optimism_threshold
           FROM organizations WHERE id = $1"#,
        org_id
    )
    .fetch_one(executor)
    .await?;
    Ok(Calendar {
        today: row.today,
        fiscal_year_start_month: row.fiscal_year_start_month as u32,
        optimism_threshold: row.optimism_threshold,
    })
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
    // From here on the transaction works for the new organization (row-level security).
    super::tenant::set(tx, org.id).await?;
    let user = super::users::create(tx, &signup.name, &signup.email, Some(password_hash)).await?;
    super::users::add_membership(tx, org.id, user.id, Role::Admin).await?;
    Ok((org, user))
}

/// An organization's settings and the version they are at.
#[derive(Clone, Debug, serde::Serialize, utoipa::ToSchema)]
pub struct VersionedSettings {
    pub id: Uuid,
    pub slug: String,
    #[serde(flatten)]
    pub settings: OrgSettings,
    pub version: i64,
}

pub async fn settings(
    executor: impl sqlx::PgExecutor<'_>,
    org_id: Uuid,
) -> Result<VersionedSettings, AppError> {
    let row = sqlx::query!(
        r#"SELECT id, slug, name, time_zone, fiscal_year_start_month, currency, benefit_unit, version, optimism_threshold, quarter_baselines,
                  off_track_threshold * 100 AS "off_track_threshold!", at_risk_threshold * 100 AS "at_risk_threshold!"
           FROM organizations WHERE id = $1 FOR UPDATE"#,
        org_id
    )
    .fetch_one(executor)
    .await?;
    Ok(VersionedSettings {
        id: row.id,
        slug: row.slug,
        settings: OrgSettings {
            name: row.name,
            time_zone: row.time_zone,
            fiscal_year_start_month: row.fiscal_year_start_month,
            currency: row.currency,
            // Stored as fractions; 25 % is exactly 0.25, rounding only undoes float noise.
            off_track_threshold: (row.off_track_threshold * 1e6).round() / 1e6,
            at_risk_threshold: (row.at_risk_threshold * 1e6).round() / 1e6,
            optimism_threshold: row.optimism_threshold,
            quarter_baselines: row.quarter_baselines,
            benefit_unit: row.benefit_unit,
        },
        version: row.version,
    })
}

/// Changes the settings if they are still at `expected_version`; admins only.
pub async fn update_settings(
    pool: &super::TenantPool,
    caller: &Caller,
    expected_version: Option<i64>,
    changes: OrgSettingsChanges,
) -> Result<VersionedSettings, AppError> {
    forbidden_unless(may_administer(caller))?;
    let mut tx = pool.begin().await?;
    // Locks the row: two admins saving at once are serialized, and the second sees the first.
    let current = settings(&mut *tx, caller.org_id).await?;
    check_version(expected_version, current.version)?;
    let new = changes.apply(&current.settings)?;
    sqlx::query!(
        "UPDATE organizations SET name = $2, time_zone = $3, fiscal_year_start_month = $4, currency = $5,
                off_track_threshold = $6::float8 / 100, at_risk_threshold = $7::float8 / 100, updated_by = $8,
                benefit_unit = $9, optimism_threshold = $10, quarter_baselines = $11, version = version + 1
         WHERE id = $1",
        caller.org_id,
        new.name,
        new.time_zone,
        new.fiscal_year_start_month,
        new.currency,
        new.off_track_threshold,
        new.at_risk_threshold,
        caller.user_id,
        new.benefit_unit,
        new.optimism_threshold,
        new.quarter_baselines
    )
    .execute(&mut *tx)
    .await?;
    let updated = settings(&mut *tx, caller.org_id).await?;
    tx.commit().await?;
    Ok(updated)
}
