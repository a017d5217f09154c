//! The immutable history of an initiative's status, health and progress: written only by the
//! transaction that makes the change, read newest first, never edited or deleted on its own.

use std::collections::HashMap;

use super::TenantPool;
use chrono::{DateTime, Utc};
use sqlx::PgExecutor;
use uuid::Uuid;

use super::initiative_lists::SubtreePlan;
use super::users::Caller;
use super::{Timestamp, Tx};
use crate::domain::initiative::Progress;
use crate::domain::page::{Page, PageRequest};
use crate::domain::{Health, Status};
use crate::error::AppError;

/// Who wrote a status update; `None` once their account is gone.
#[derive(Clone, Debug, PartialEq, serde::Serialize, utoipa::ToSchema)]
pub struct Author {
    pub id: Uuid,
    pub name: String,
}

/// One history record, in the API's shape: the values after the update, and `previous`.
#[derive(Clone, Debug, serde::Serialize, utoipa::ToSchema)]
pub struct StatusUpdate {
    pub id: Uuid,
    pub initiative_id: Uuid,
    pub author: Option<Author>,
    pub created_at: DateTime<Utc>,
    pub note: Option<String>,
    #[serde(flatten)]
    pub after: Progress,
    pub previous: Progress,
}

impl StatusUpdate {
    /// The parts that changed, in the order a reader scans them.
    pub fn changed(&self) -> Changed {
        Changed {
            status: self.previous.status != self.after.status,
            health: self.previous.health != self.after.health,
            progress: self.previous.progress != self.after.progress,
        }
    }
}

/// Which tracked values an update changed; none: a note alone.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Changed {
    pub status: bool,
    pub health: bool,
    pub progress: bool,
}

/// Records a change from `before` to `after` by the caller, in the transaction that makes it.
/// The time is the clock's, not the transaction's start: writers queue on the initiative's row
/// lock, and history must be in the order the changes were applied.
pub async fn record(
    tx: &mut Tx<'_>,
    caller: &Caller,
    initiative_id: Uuid,
    before: Progress,
    after: Progress,
    note: Option<String>,
) -> Result<StatusUpdate, AppError> {
    let id = Uuid::now_v7();
    let created_at = sqlx::query_scalar!(
        r#"INSERT INTO status_updates (org_id, id, initiative_id, author_id, created_at, note, status, health,
                                       progress, previous_status, previous_health, previous_progress)
           VALUES ($1, $2, $3, $4, clock_timestamp(), $5, $6, $7, $8, $9, $10, $11)
           RETURNING created_at"#,
        caller.org_id,
        id,
        initiative_id,
        caller.user_id,
        note.as_deref(),
        after.status.as_str(),
        after.health.as_str(),
        after.progress,
        before.status.as_str(),
        before.health.as_str(),
        before.progress
    )
    .fetch_one(&mut **tx)
    .await?;
    Ok(StatusUpdate {
        id,
        initiative_id,
        author: Some(Author {
            id: caller.user_id,
            name: caller.name.clone(),
        }),
        created_at,
        note,
        after,
        previous: before,
    })
}

/// A page of an initiative's history, newest first. The cursor is the last update shown; pages
/// follow (time, id) so that records written in the same instant are neither lost nor repeated.
pub async fn list(
    pool: &TenantPool,
    initiative_id: Uuid,
    page: &PageRequest,
) -> Result<Page<StatusUpdate>, AppError> {
    let org_id = pool.org_id();
    let rows = sqlx::query!(
        r#"SELECT s.id, s.initiative_id, s.author_id, u.name AS "author_name?", s.created_at, s.note,
                  s.status AS "status: Status", s.health AS "health: Health", s.progress,
                  s.previous_status AS "previous_status: Status",
                  s.previous_health AS "previous_health: Health", s.previous_progress
           FROM status_updates s LEFT JOIN users u ON u.id = s.author_id
           WHERE s.org_id = $1 AND s.initiative_id = $2
             AND ($3::uuid IS NULL OR (s.created_at, s.id) < (
                     SELECT created_at, id FROM status_updates WHERE org_id = $1 AND id = $3))
           ORDER BY s.created_at DESC, s.id DESC
           LIMIT $4"#,
        org_id,
        initiative_id,
        page.after,
        page.fetch_limit()
    )
    .fetch_all(pool)
    .await?;
    let updates = rows
        .into_iter()
        .map(|r| StatusUpdate {
            id: r.id,
            initiative_id: r.initiative_id,
            author: r
                .author_id
                .zip(r.author_name)
                .map(|(id, name)| Author { id, name }),
            created_at: r.created_at,
            note: r.note,
            after: Progress {
                status: r.status,
                health: r.health,
                progress: r.progress,
            },
            previous: Progress {
                status: r.previous_status,
                health: r.previous_health,
                progress: r.previous_progress,
            },
        })
        .collect();
    Ok(Page::from_rows(updates, page, |update| update.id))
}

/// A change of status or health somewhere in a portfolio's subtree, with the initiative it
/// belongs to: a line of a roll-up's "what changed since" panel.
#[derive(Clone, Debug, PartialEq)]
pub struct SubtreeChange {
    pub id: Uuid,
    pub initiative_id: Uuid,
    pub initiative_key: String,
    pub initiative_title: String,
    pub author_name: Option<String>,
    pub created_at: Timestamp,
    pub status: Status,
    pub health: Health,
    pub previous_status: Status,
    pub previous_health: Health,
    pub note: Option<String>,
}

/// The status and health changes of a subtree's initiatives, read through the closure and their
/// history's index, newest first; `$limit` is the statement's LIMIT clause (a literal where the
/// plan must not depend on it, see `changes_in_subtree`).
macro_rules! changes_through_closure {
    ($limit:literal, $($arg:expr),+) => {
        sqlx::query_as!(
            SubtreeChange,
            r#"SELECT s.id, s.initiative_id, i.key AS initiative_key, i.title AS initiative_title,
                      u.name AS "author_name?", s.created_at, s.note,
                      s.status AS "status: Status", s.health AS "health: Health",
                      s.previous_status AS "previous_status: Status",
                      s.previous_health AS "previous_health: Health"
               FROM portfolio_closure c
               JOIN initiatives i ON i.org_id = c.org_id AND i.portfolio_id = c.descendant_id
               JOIN status_updates s ON s.org_id = i.org_id AND s.initiative_id = i.id
               LEFT JOIN users u ON u.id = s.author_id
               WHERE c.org_id = $1 AND c.ancestor_id = $2 AND s.created_at >= $3
                 AND (s.status <> s.previous_status OR s.health <> s.previous_health)
               ORDER BY s.created_at DESC, s.id DESC
               "# + $limit,
            $($arg),+
        )
    };
}

/// How many changes `changes_in_subtree` answers at most.
pub const CHANGES_SHOWN: usize = 15;

/// The status and health changes in `portfolio_id`'s subtree since `since`, newest first, at most
/// `CHANGES_SHOWN` (`LIMIT 15`, a literal for the reason `initiative_lists::watchlists` gives); progress-only
/// updates and notes are left out, they do not change the picture. `plan` picks the statement, as
/// for the watchlists, and so does the form of the subtree test (a scalar subquery when walking the
/// organization, never turned into a join).
pub async fn changes_in_subtree(
    executor: impl PgExecutor<'_>,
    org_id: Uuid,
    portfolio_id: Uuid,
    plan: SubtreePlan,
    since: DateTime<Utc>,
) -> Result<Vec<SubtreeChange>, AppError> {
    if plan == SubtreePlan::ThroughClosure {
        // A small subtree: its initiatives' histories, through their index.
        return Ok(changes_through_closure!("LIMIT 15", org_id, portfolio_id, since)
            .fetch_all(executor)
            .await?);
    }
    // A large subtree: the organization's recent history newest first, kept when inside.
    Ok(sqlx::query_as!(
        SubtreeChange,
        r#"SELECT s.id, s.initiative_id, i.key AS initiative_key, i.title AS initiative_title,
                  u.name AS "author_name?", s.created_at, s.note,
                  s.status AS "status: Status", s.health AS "health: Health",
                  s.previous_status AS "previous_status: Status",
                  s.previous_health AS "previous_health: Health"
           FROM status_updates s
           JOIN initiatives i ON i.org_id = s.org_id AND i.id = s.initiative_id
           LEFT JOIN users u ON u.id = s.author_id
           WHERE s.org_id = $1 AND s.created_at >= $3
             AND (s.status <> s.previous_status OR s.health <> s.previous_health)
             AND (SELECT true FROM portfolio_closure c
                  WHERE c.org_id = $1 AND c.ancestor_id = $2 AND c.descendant_id = i.portfolio_id)
           ORDER BY s.created_at DESC, s.id DESC
           LIMIT 15"#,
        org_id,
        portfolio_id,
        since
    )
    .fetch_all(executor)
    .await?)
}

/// An initiative's newest history record: which one (what a quick update form remembers having
/// shown) and when (`domain::status_update::last_updated`).
#[derive(Clone, Copy, Debug)]
pub struct Newest {
    pub id: Uuid,
    pub created_at: Timestamp,
}

/// The newest history record of each of `initiative_ids` that has one, in one query.
pub async fn newest_of(
    pool: &TenantPool,
    initiative_ids: &[Uuid],
) -> Result<HashMap<Uuid, Newest>, AppError> {
    let org_id = pool.org_id();
    let rows = sqlx::query!(
        r#"SELECT DISTINCT ON (initiative_id) initiative_id, id, created_at
           FROM status_updates
           WHERE org_id = $1 AND initiative_id = ANY($2)
           ORDER BY initiative_id, created_at DESC, id DESC"#,
        org_id,
        initiative_ids
    )
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| {
            let newest = Newest {
                id: r.id,
                created_at: r.created_at,
            };
            (r.initiative_id, newest)
        })
        .collect())
}

/// How many status and health changes `changes_in_subtree` would list without its cap: what the
/// roll-up's "What changed" says it shows part of.
pub async fn count_changes_in_subtree(
    executor: impl PgExecutor<'_>,
    org_id: Uuid,
    portfolio_id: Uuid,
    since: DateTime<Utc>,
) -> Result<i64, AppError> {
    Ok(sqlx::query_scalar!(
        r#"SELECT count(*) AS "count!"
           FROM portfolio_closure c
           JOIN initiatives i ON i.org_id = c.org_id AND i.portfolio_id = c.descendant_id
           JOIN status_updates s ON s.org_id = i.org_id AND s.initiative_id = i.id
           WHERE c.org_id = $1 AND c.ancestor_id = $2 AND s.created_at >= $3
             AND (s.status <> s.previous_status OR s.health <> s.previous_health)"#,
        org_id,
        portfolio_id,
        since
    )
    .fetch_one(executor)
    .await?)
}

/// One page of every status and health change in `portfolio_id`'s subtree since `since`, newest
/// first: `limit` rows after the first `offset` (the full list the roll-up's panel links to).
pub async fn changes_in_subtree_page(
    executor: impl PgExecutor<'_>,
    org_id: Uuid,
    portfolio_id: Uuid,
    since: DateTime<Utc>,
    limit: i64,
    offset: i64,
) -> Result<Vec<SubtreeChange>, AppError> {
    Ok(
        changes_through_closure!("LIMIT $4 OFFSET $5", org_id, portfolio_id, since, limit, offset)
            .fetch_all(executor)
            .await?,
    )
}
