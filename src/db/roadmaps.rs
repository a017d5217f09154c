//! Roadmaps: saved views of a portfolio subtree over a time window, and their lanes of initiatives.
//! Reading is for every member; writing is for whoever may edit the roadmap's portfolio.

use super::TenantPool;
use super::tenant::Begin;
use crate::domain::permissions::may_write;
use crate::error::forbidden_unless;
use chrono::NaiveDate;
use sqlx::{PgConnection, PgExecutor};
use uuid::Uuid;

use super::users::Caller;
use super::{DataStamp, Timestamp};
use super::{Tx, check_version, permissions};
use crate::domain::page::{Page, PageRequest};
use crate::domain::roadmap::{
    Lane, ObjectivesOf, RoadmapChanges, RoadmapFilters, RoadmapItem, RoadmapValues, into_lanes,
};
use crate::domain::{GroupBy, Health, RoadmapLayout, Status};
use crate::error::AppError;

/// A roadmap as stored and as the API shows it (SPEC §6).
#[derive(Clone, Debug, serde::Serialize, utoipa::ToSchema)]
pub struct Roadmap {
    pub id: Uuid,
    pub name: String,
    pub portfolio_id: Uuid,
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub layout: RoadmapLayout,
    pub group_by: GroupBy,
    pub filters: RoadmapFilters,
    pub show_budget: bool,
    pub version: i64,
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub updated_at: chrono::DateTime<chrono::Utc>,
}

impl Roadmap {
    pub fn values(&self) -> RoadmapValues {
        RoadmapValues {
            name: self.name.clone(),
            portfolio_id: self.portfolio_id,
            from: self.from,
            to: self.to,
            layout: self.layout,
            group_by: self.group_by,
            filters: self.filters.clone(),
            show_budget: self.show_budget,
        }
    }
}

/// The row as selected; statuses arrive as text and are read into the domain's words.
struct RoadmapRow {
    id: Uuid,
    name: String,
    portfolio_id: Uuid,
    from_date: NaiveDate,
    to_date: NaiveDate,
    layout: RoadmapLayout,
    group_by: GroupBy,
    statuses: Vec<String>,
    theme_ids: Vec<Uuid>,
    show_budget: bool,
    version: i64,
    created_at: Timestamp,
    updated_at: Timestamp,
}

impl From<RoadmapRow> for Roadmap {
    fn from(row: RoadmapRow) -> Roadmap {
        Roadmap {
            id: row.id,
            name: row.name,
            portfolio_id: row.portfolio_id,
            from: row.from_date,
            to: row.to_date,
            layout: row.layout,
            group_by: row.group_by,
            filters: RoadmapFilters {
                // The table's check admits only the five statuses.
                statuses: row.statuses.iter().filter_map(|s| s.parse().ok()).collect(),
                theme_ids: row.theme_ids,
            },
            show_budget: row.show_budget,
            version: row.version,
            created_at: row.created_at,
            updated_at: row.updated_at,
        }
    }
}

/// A roadmap with what it shows today: its lanes, the date in the organization's time zone (the
/// timeline's today line, now/next/later) and the currency its budgets are in.
#[derive(Clone, Debug, serde::Serialize, utoipa::ToSchema)]
pub struct RoadmapView {
    pub roadmap: Roadmap,
    pub lanes: Vec<Lane>,
    #[serde(skip)]
    pub today: NaiveDate,
    #[serde(skip)]
    pub currency: String,
}

/// The roadmaps in creation order, a page at a time.
pub async fn list(pool: &TenantPool, page: &PageRequest) -> Result<Page<Roadmap>, AppError> {
    let org_id = pool.org_id();
    let rows = sqlx::query_as!(
        RoadmapRow,
        r#"SELECT id, name, portfolio_id, from_date, to_date, layout AS "layout: RoadmapLayout",
                  group_by AS "group_by: GroupBy", statuses, theme_ids, show_budget, version, created_at, updated_at
           FROM roadmaps WHERE org_id = $1 AND ($2::uuid IS NULL OR id > $2)
           ORDER BY id LIMIT $3"#,
        org_id,
        page.after,
        page.fetch_limit()
    )
    .fetch_all(pool)
    .await?;
    Ok(Page::from_rows(
        rows.into_iter().map(Roadmap::from).collect(),
        page,
        |r| r.id,
    ))
}

/// Every roadmap by name, for the list page.
pub async fn all(pool: &TenantPool) -> Result<Vec<Roadmap>, AppError> {
    let org_id = pool.org_id();
    let rows = sqlx::query_as!(
        RoadmapRow,
        r#"SELECT id, name, portfolio_id, from_date, to_date, layout AS "layout: RoadmapLayout",
                  group_by AS "group_by: GroupBy", statuses, theme_ids, show_budget, version, created_at, updated_at
           FROM roadmaps WHERE org_id = $1 ORDER BY name, id"#,
        org_id
    )
    .fetch_all(pool)
    .await?;
    Ok(rows.into_iter().map(Roadmap::from).collect())
}

pub async fn get(executor: impl PgExecutor<'_>, org_id: Uuid, id: Uuid) -> Result<Roadmap, AppError> {
    let row = sqlx::query_as!(
        RoadmapRow,
        r#"SELECT id, name, portfolio_id, from_date, to_date, layout AS "layout: RoadmapLayout",
                  group_by AS "group_by: GroupBy", statuses, theme_ids, show_budget, version, created_at, updated_at
           FROM roadmaps WHERE org_id = $1 AND id = $2"#,
        org_id,
        id
    )
    .fetch_one(executor)
    .await?;
    Ok(row.into())
}

/// A roadmap with its lanes as of today.
pub async fn view(pool: &TenantPool, id: Uuid) -> Result<RoadmapView, AppError> {
    let (view, _) = view_with_stamp(pool, id).await?;
    Ok(view)
}

/// `view`, read on one snapshot (`TenantPool::begin_snapshot`), and the organization's data stamp
/// in that snapshot: what the shared page is kept by (`crate::read_cache`).
pub async fn view_with_stamp(pool: &TenantPool, id: Uuid) -> Result<(RoadmapView, DataStamp), AppError> {
    let org_id = pool.org_id();
    let mut tx = pool.begin_snapshot().await?;
    let roadmap = get(&mut *tx, org_id, id).await?;
    let org = sqlx::query!(
        r#"SELECT (now() AT TIME ZONE time_zone)::date AS "today!", currency,
                  data_version($1) AS "data_version!"
           FROM organizations WHERE id = $1"#,
        org_id
    )
    .fetch_one(&mut *tx)
    .await?;
    let lanes = lanes(&mut tx, org_id, &roadmap).await?;
    tx.commit().await?;
    let stamp = DataStamp {
        version: org.data_version,
        today: org.today,
    };
    let view = RoadmapView {
        roadmap,
        lanes,
        today: org.today,
        currency: org.currency,
    };
    Ok((view, stamp))
}

/// The roadmap's initiatives in lanes: those in its portfolio's subtree whose dates meet its window,
/// filtered by status and theme, in one statement (two when grouped by objective). Everything shown
/// comes from the covering index `initiatives_portfolio_idx` (migrations/0013: no table pages while
/// the visibility map is current), with portfolio and owner names looked up once per portfolio and
/// once per owner. An initiative is on the calendar from its start to its target date; with a
/// target alone it is a milestone on that day, with a start alone it runs on from its start;
/// without either it has no place on a roadmap and is left out.
pub async fn lanes(conn: &mut PgConnection, org_id: Uuid, roadmap: &Roadmap) -> Result<Vec<Lane>, AppError> {
    let statuses: Vec<String> = roadmap
        .filters
        .statuses
        .iter()
        .map(|s| s.as_str().to_owned())
        .collect();
    let rows = sqlx::query!(
        r#"WITH scope AS MATERIALIZED (
               SELECT p.id, p.name
               FROM portfolio_closure c
               JOIN portfolios p ON p.org_id = c.org_id AND p.id = c.descendant_id
               WHERE c.org_id = $1 AND c.ancestor_id = $2
           ), shown AS MATERIALIZED (
               SELECT i.id, i.key, i.title, i.portfolio_id, s.name AS portfolio, i.owner_id, i.theme_id, i.status,
                      i.health, i.progress, i.start_date, i.target_date, i.budget, i.updated_at, i.number,
                      i.dependency_conflict
               FROM scope s
               JOIN initiatives i ON i.org_id = $1 AND i.portfolio_id = s.id
               WHERE COALESCE(i.start_date, i.target_date) <= $4
                 AND COALESCE(i.target_date, 'infinity'::date) >= $3
                 AND (cardinality($5::text[]) = 0 OR i.status = ANY($5))
                 AND (cardinality($6::uuid[]) = 0 OR i.theme_id = ANY($6))
           ), owners AS MATERIALIZED (
               SELECT u.id, u.name
               FROM (SELECT DISTINCT owner_id FROM shown) o
               -- One index probe per owner: a plain join lets the generic plan read all users.
               CROSS JOIN LATERAL (SELECT id, name FROM users WHERE id = o.owner_id LIMIT 1) u
           )
           SELECT x.id AS "id!", x.key AS "key!", x.title AS "title!", x.portfolio_id AS "portfolio_id!",
                  x.portfolio AS "portfolio!", x.owner_id, u.name AS "owner?", x.theme_id, t.name AS "theme?",
                  x.status AS "status!: Status", x.health AS "health!: Health", x.progress AS "progress!",
                  x.start_date, x.target_date, x.budget, x.updated_at AS "updated_at!",
                  x.dependency_conflict AS "dependency_conflict!"
           FROM shown x
           LEFT JOIN owners u ON u.id = x.owner_id
           LEFT JOIN themes t ON t.org_id = $1 AND t.id = x.theme_id
           ORDER BY COALESCE(x.start_date, x.target_date), x.target_date NULLS LAST, x.number"#,
        org_id,
        roadmap.portfolio_id,
        roadmap.from,
        roadmap.to,
        &statuses,
        &roadmap.filters.theme_ids,
    )
    .fetch_all(&mut *conn)
    .await?;
    let items: Vec<RoadmapItem> = rows
        .into_iter()
        .map(|r| RoadmapItem {
            id: r.id,
            key: r.key,
            title: r.title,
            portfolio_id: r.portfolio_id,
            portfolio: r.portfolio,
            owner_id: r.owner_id,
            owner: r.owner,
            theme_id: r.theme_id,
            theme: r.theme,
            status: r.status,
            health: r.health,
            progress: r.progress,
            start_date: r.start_date,
            target_date: r.target_date,
            budget: r.budget,
            updated_at: r.updated_at,
            dependency_conflict: r.dependency_conflict,
        })
        .collect();
    let mut objectives = ObjectivesOf::new();
    if roadmap.group_by == GroupBy::Objective {
        let ids: Vec<Uuid> = items.iter().map(|item| item.id).collect();
        let links = sqlx::query!(
            r#"SELECT DISTINCT ik.initiative_id, o.id, o.title
               FROM initiative_key_results ik
               JOIN key_results k ON k.org_id = ik.org_id AND k.id = ik.key_result_id
               JOIN objectives o ON o.org_id = k.org_id AND o.id = k.objective_id
               WHERE ik.org_id = $1 AND ik.initiative_id = ANY($2)"#,
            org_id,
            &ids
        )
        .fetch_all(&mut *conn)
        .await?;
        for link in links {
            objectives
                .entry(link.initiative_id)
                .or_default()
                .push((link.id, link.title));
        }
    }
    Ok(into_lanes(roadmap.group_by, items, &objectives))
}

/// Creates a roadmap of a portfolio the caller may edit.
pub async fn create(
    db: impl Begin<'_>,
    caller: &Caller,
    changes: RoadmapChanges,
) -> Result<Roadmap, AppError> {
    forbidden_unless(may_write(caller))?;
    let values = changes.apply(None)?;
    let mut tx = db.begin().await?;
    check_references(&mut tx, caller, &values).await?;
    let statuses = status_words(&values);
    let row = sqlx::query_as!(
        RoadmapRow,
        r#"INSERT INTO roadmaps (org_id, id, name, portfolio_id, from_date, to_date, layout, group_by,
                                 statuses, theme_ids, show_budget, created_by)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
           RETURNING id, name, portfolio_id, from_date, to_date, layout AS "layout: RoadmapLayout",
                     group_by AS "group_by: GroupBy", statuses, theme_ids, show_budget, version, created_at, updated_at"#,
        caller.org_id,
        Uuid::now_v7(),
        values.name,
        values.portfolio_id,
        values.from,
        values.to,
        values.layout.as_str(),
        values.group_by.as_str(),
        &statuses,
        &values.filters.theme_ids,
        values.show_budget,
        caller.user_id
    )
    .fetch_one(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(row.into())
}

/// Changes a roadmap if it is still at `expected_version`; moving it to another portfolio needs
/// edit rights on both.
pub async fn update(
    pool: &TenantPool,
    caller: &Caller,
    id: Uuid,
    expected_version: Option<i64>,
    changes: RoadmapChanges,
) -> Result<Roadmap, AppError> {
    let mut tx = pool.begin().await?;
    let current = lock(&mut tx, caller, id, expected_version).await?;
    let values = changes.apply(Some(&current.values()))?;
    check_references(&mut tx, caller, &values).await?;
    let statuses = status_words(&values);
    let row = sqlx::query_as!(
        RoadmapRow,
        r#"UPDATE roadmaps SET updated_by = $3, name = $4, portfolio_id = $5, from_date = $6, to_date = $7,
                  layout = $8, group_by = $9, statuses = $10, theme_ids = $11, show_budget = $12,
                  version = version + 1, updated_at = now()
           WHERE org_id = $1 AND id = $2
           RETURNING id, name, portfolio_id, from_date, to_date, layout AS "layout: RoadmapLayout",
                     group_by AS "group_by: GroupBy", statuses, theme_ids, show_budget, version, created_at, updated_at"#,
        caller.org_id,
        id,
        caller.user_id,
        values.name,
        values.portfolio_id,
        values.from,
        values.to,
        values.layout.as_str(),
        values.group_by.as_str(),
        &statuses,
        &values.filters.theme_ids,
        values.show_budget
    )
    .fetch_one(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(row.into())
}

/// Deletes a roadmap and its share links (they answer 404 from then on).
pub async fn delete(
    pool: &TenantPool,
    caller: &Caller,
    id: Uuid,
    expected_version: Option<i64>,
) -> Result<(), AppError> {
    let mut tx = pool.begin().await?;
    lock(&mut tx, caller, id, expected_version).await?;
    sqlx::query!(
        "DELETE FROM roadmaps WHERE org_id = $1 AND id = $2",
        caller.org_id,
        id
    )
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(())
}

/// The roadmap, locked for a write by someone who may edit it, still at `expected_version`:
/// unknown (or another organization's) is 404 before any role check, a reader is 403, a stale
/// version 412.
async fn lock(
    tx: &mut Tx<'_>,
    caller: &Caller,
    id: Uuid,
    expected_version: Option<i64>,
) -> Result<Roadmap, AppError> {
    sqlx::query!(
        "SELECT id FROM roadmaps WHERE org_id = $1 AND id = $2 FOR UPDATE",
        caller.org_id,
        id
    )
    .fetch_one(&mut **tx)
    .await?;
    let current = get(&mut **tx, caller.org_id, id).await?;
    require_editor(&mut **tx, caller, &current).await?;
    check_version(expected_version, current.version)?;
    Ok(current)
}

/// Whoever may edit a roadmap's portfolio may edit the roadmap and its share links.
pub async fn require_editor(
    executor: impl PgExecutor<'_>,
    caller: &Caller,
    roadmap: &Roadmap,
) -> Result<(), AppError> {
    forbidden_unless(may_write(caller))?;
    permissions::require_portfolio_editor(executor, caller, roadmap.portfolio_id).await
}

/// Whether the caller may edit the roadmap (pages show the editing controls only then).
pub async fn can_edit(
    executor: impl PgExecutor<'_>,
    caller: &Caller,
    roadmap: &Roadmap,
) -> Result<bool, AppError> {
    permissions::can_edit_portfolio(executor, caller, roadmap.portfolio_id).await
}

/// The scope must be a portfolio of the organization the caller may edit, and every theme of the
/// filter one of the organization's.
async fn check_references(tx: &mut Tx<'_>, caller: &Caller, values: &RoadmapValues) -> Result<(), AppError> {
    permissions::require_portfolio_home(tx, caller, values.portfolio_id).await?;
    let known = sqlx::query_scalar!(
        r#"SELECT count(*) AS "count!" FROM themes WHERE org_id = $1 AND id = ANY($2)"#,
        caller.org_id,
        &values.filters.theme_ids
    )
    .fetch_one(&mut **tx)
    .await?;
    if known != values.filters.theme_ids.len() as i64 {
        return Err(AppError::field(
            "filters.theme_ids",
            "names a theme that is not one of this organization's",
        ));
    }
    Ok(())
}

fn status_words(values: &RoadmapValues) -> Vec<String> {
    values
        .filters
        .statuses
        .iter()
        .map(|s| s.as_str().to_owned())
        .collect()
}
