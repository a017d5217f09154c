//! Share links: capability URLs to one roadmap. Only the SHA-256 of a token is stored; the token is
//! returned once, at creation. Opening a link counts the view in memory; the counts are written
//! to the link a second later (`ViewTally`).

use crate::domain::permissions::may_write;
use crate::error::forbidden_unless;
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use chrono::{DateTime, Utc};
use sqlx::PgPool;
use uuid::Uuid;

use super::TenantPool;
use super::roadmaps;
use super::users::Caller;
use super::{DataStamp, Timestamp};
use crate::domain::credentials;
use crate::domain::share_link::{ShareLinkInput, ShareLinkState};
use crate::error::AppError;

/// A link as its roadmap's editors see it: never its token.
#[derive(Clone, Debug, serde::Serialize, utoipa::ToSchema)]
pub struct ShareLink {
    pub id: Uuid,
    pub roadmap_id: Uuid,
    pub state: ShareLinkState,
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub created_by: Option<Uuid>,
    pub created_by_name: Option<String>,
    pub expires_at: Option<chrono::DateTime<chrono::Utc>>,
    pub revoked_at: Option<chrono::DateTime<chrono::Utc>>,
    pub view_count: i64,
    pub last_viewed_at: Option<chrono::DateTime<chrono::Utc>>,
}

/// A link just made: the only time its token is seen.
pub struct NewShareLink {
    pub id: Uuid,
    pub token: String,
    pub expires_at: Option<Timestamp>,
}

/// Makes a new link to a roadmap: any member who can see it (SPEC §2), viewers excepted, since a
/// link is a write.
pub async fn create(
    pool: &TenantPool,
    caller: &Caller,
    roadmap_id: Uuid,
    input: &ShareLinkInput,
) -> Result<NewShareLink, AppError> {
    roadmaps::get(pool, caller.org_id, roadmap_id).await?;
    forbidden_unless(may_write(caller))?;
    let expires_at = input.expiry(Utc::now())?;
    let token = credentials::new_secret("");
    let id = Uuid::now_v7();
    sqlx::query!(
        "INSERT INTO share_links (org_id, id, roadmap_id, token_hash, expires_at, created_by)
         VALUES ($1, $2, $3, $4, $5, $6)",
        caller.org_id,
        id,
        roadmap_id,
        credentials::digest(&token),
        expires_at,
        caller.user_id
    )
    .execute(pool)
    .await?;
    Ok(NewShareLink {
        id,
        token,
        expires_at,
    })
}

/// The links of a roadmap, newest first: every link for its editors, their own for the members
/// who made some.
pub async fn list(pool: &TenantPool, caller: &Caller, roadmap_id: Uuid) -> Result<Vec<ShareLink>, AppError> {
    let roadmap = roadmaps::get(pool, caller.org_id, roadmap_id).await?;
    forbidden_unless(may_write(caller))?;
    let made_by = match roadmaps::can_edit(pool, caller, &roadmap).await? {
        true => None,
        false => Some(caller.user_id),
    };
    let rows = sqlx::query!(
        r#"SELECT s.id, s.roadmap_id, share_link_state(s.revoked_at, s.expires_at) AS "state!: ShareLinkState",
                  s.created_at, s.created_by, u.name AS "created_by_name?", s.expires_at,
                  s.revoked_at, s.view_count, s.last_viewed_at
           FROM share_links s LEFT JOIN users u ON u.id = s.created_by
           WHERE s.org_id = $1 AND s.roadmap_id = $2 AND ($3::uuid IS NULL OR s.created_by = $3)
           ORDER BY s.created_at DESC, s.id DESC"#,
        caller.org_id,
        roadmap_id,
        made_by
    )
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| ShareLink {
            id: r.id,
            roadmap_id: r.roadmap_id,
            state: r.state,
            created_at: r.created_at,
            created_by: r.created_by,
            created_by_name: r.created_by_name,
            expires_at: r.expires_at,
            revoked_at: r.revoked_at,
            view_count: r.view_count,
            last_viewed_at: r.last_viewed_at,
        })
        .collect())
}

/// Revokes a link (the roadmap's editors, or whoever made it): from now on it answers 404.
/// Revoking twice is harmless. Returns its roadmap.
pub async fn revoke(pool: &TenantPool, caller: &Caller, id: Uuid) -> Result<Uuid, AppError> {
    let link = sqlx::query!(
        "SELECT roadmap_id, created_by FROM share_links WHERE org_id = $1 AND id = $2",
        caller.org_id,
        id
    )
    .fetch_one(pool)
    .await?;
    let roadmap_id = link.roadmap_id;
    let roadmap = roadmaps::get(pool, caller.org_id, roadmap_id).await?;
    forbidden_unless(may_write(caller))?;
    if link.created_by != Some(caller.user_id) {
        roadmaps::require_editor(pool, caller, &roadmap).await?;
    }
    sqlx::query!(
        "UPDATE share_links SET revoked_at = COALESCE(revoked_at, now()) WHERE org_id = $1 AND id = $2",
        caller.org_id,
        id
    )
    .execute(pool)
    .await?;
    Ok(roadmap_id)
}

/// Where an open link leads: its organization and roadmap, and the stamp of the organization's
/// data now, which tells whether a page rendered earlier for the roadmap is still exact.
#[derive(Clone, Copy, Debug)]
pub struct ShareTarget {
    pub org_id: Uuid,
    pub share_id: Uuid,
    pub roadmap_id: Uuid,
    pub stamp: DataStamp,
}

impl ShareTarget {
    /// The roadmap as a key of `http::Caches::shared_roadmaps`: every link to it shows the same.
    pub fn roadmap_key(&self) -> (Uuid, Uuid) {
        (self.org_id, self.roadmap_id)
    }
}

/// The link a token names, if it may be opened now; `None` for a token that is unknown, revoked or
/// expired — the caller cannot tell which. One statement: the organization is not known yet, so it
/// is the lookup by digest row-level security lets through (`share_link_target`, migrations/0014).
pub async fn find(pool: &PgPool, token: &str) -> Result<Option<ShareTarget>, AppError> {
    let found = sqlx::query!(
        r#"SELECT org_id AS "org_id!", share_id AS "share_id!", roadmap_id AS "roadmap_id!",
                  data_version AS "data_version!", today AS "today!"
           FROM share_link_target($1)"#,
        credentials::digest(token)
    )
    .fetch_optional(pool)
    .await?;
    Ok(found.map(|row| ShareTarget {
        org_id: row.org_id,
        share_id: row.share_id,
        roadmap_id: row.roadmap_id,
        stamp: DataStamp {
            version: row.data_version,
            today: row.today,
        },
    }))
}

/// How often a process writes the views it counted: an editor sees a view this long after it.
pub const VIEWS_WRITTEN_EVERY: Duration = Duration::from_secs(1);

/// Views of shared links this process counted and has not written yet.
///
/// Every view of a link would otherwise update the link's one row on the request's way: views of
/// a popular link — a board opening the same roadmap at once — would queue on that row's lock and
/// each pay a commit. Counted here, a thousand views are one `UPDATE` a second later. The cost is
/// stated: a process that crashes loses up to a second of view counts, never a link; a graceful
/// shutdown writes them (`startup::Server::run`). Each process writes only its own counts, which
/// add up, so any number of processes can count views of the same link.
#[derive(Debug, Default)]
pub struct ViewTally {
    /// By organization, then link.
    pending: Mutex<HashMap<Uuid, HashMap<Uuid, Views>>>,
}

/// A link's views not yet written: how many, and the last one's time.
#[derive(Clone, Copy, Debug)]
struct Views {
    count: i64,
    last: DateTime<Utc>,
}

impl ViewTally {
    pub fn count(&self, org_id: Uuid, share_id: Uuid) {
        let views = Views {
            count: 1,
            last: Utc::now(),
        };
        self.add(org_id, [(share_id, views)]);
    }

    fn add(&self, org_id: Uuid, links: impl IntoIterator<Item = (Uuid, Views)>) {
        let mut pending = self.pending.lock().expect("no panic while counting");
        let of_org = pending.entry(org_id).or_default();
        for (share_id, views) in links {
            let entry = of_org.entry(share_id).or_insert(Views {
                count: 0,
                last: views.last,
            });
            entry.count += views.count;
            entry.last = entry.last.max(views.last);
        }
    }

    /// Writes the views counted so far, one transaction per organization (row-level security).
    /// What cannot be written now is kept for the next time.
    pub async fn write(&self, pool: &PgPool) {
        let pending = std::mem::take(&mut *self.pending.lock().expect("no panic while counting"));
        for (org_id, links) in pending {
            if let Err(error) = write_views(pool, org_id, &links).await {
                tracing::warn!(%error, "cannot write share link views; keeping them for the next time");
                self.add(org_id, links);
            }
        }
    }
}

async fn write_views(pool: &PgPool, org_id: Uuid, links: &HashMap<Uuid, Views>) -> Result<(), sqlx::Error> {
    let ids: Vec<Uuid> = links.keys().copied().collect();
    let counts: Vec<i64> = ids.iter().map(|id| links[id].count).collect();
    let lasts: Vec<DateTime<Utc>> = ids.iter().map(|id| links[id].last).collect();
    sqlx::query!(
        r#"UPDATE share_links s
           SET view_count = s.view_count + v.views, last_viewed_at = GREATEST(s.last_viewed_at, v.last)
           FROM unnest($2::uuid[], $3::bigint[], $4::timestamptz[]) AS v(id, views, last)
           WHERE s.org_id = $1 AND s.id = v.id"#,
        org_id,
        &ids,
        &counts,
        &lasts
    )
    .execute(&TenantPool::new(pool.clone(), org_id))
    .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn views_add_up_per_link_and_keep_the_last_time() {
        let tally = ViewTally::default();
        let (org, link, other) = (Uuid::new_v4(), Uuid::new_v4(), Uuid::new_v4());
        tally.count(org, link);
        tally.count(org, other);
        let late = Utc::now() + chrono::Duration::hours(1);
        // Views that could not be written come back beside newer ones.
        tally.add(org, [(link, Views { count: 5, last: late })]);
        let pending = tally.pending.lock().unwrap();
        assert_eq!(pending[&org][&link].count, 6);
        assert_eq!(pending[&org][&link].last, late);
        assert_eq!(pending[&org][&other].count, 1);
    }
}
