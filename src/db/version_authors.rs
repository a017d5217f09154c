//! Who saved the current version of a record an edit form changes (`updated_by`), so that a form
//! submitted against an older version can name them.

use uuid::Uuid;

use super::TenantPool;
use crate::error::AppError;

/// The person who saved a version.
pub struct Author {
    pub id: Uuid,
    pub name: String,
}

/// The author of the current version of the initiative, portfolio, objective, key result or
/// roadmap `id`, or of the organization's settings when `id` is the organization's: none when
/// nobody is recorded (saved before authors were, or since removed). Ids are unique across kinds.
pub async fn of(pool: &TenantPool, id: Uuid) -> Result<Option<Author>, AppError> {
    let org_id = pool.org_id();
    Ok(sqlx::query_as!(
        Author,
        r#"SELECT u.id, u.name FROM users u
           WHERE u.id = (SELECT updated_by FROM initiatives WHERE org_id = $1 AND id = $2
                         UNION ALL SELECT updated_by FROM portfolios WHERE org_id = $1 AND id = $2
                         UNION ALL SELECT updated_by FROM objectives WHERE org_id = $1 AND id = $2
                         UNION ALL SELECT updated_by FROM key_results WHERE org_id = $1 AND id = $2
                         UNION ALL SELECT updated_by FROM roadmaps WHERE org_id = $1 AND id = $2
                         UNION ALL SELECT updated_by FROM organizations WHERE id = $1 AND id = $2
                         LIMIT 1)"#,
        org_id,
        id
    )
    .fetch_optional(pool)
    .await?)
}
