//! Baselines (SPEC §10): a portfolio's subtree frozen at a moment, each initiative as it was and the
//! §3 figures of the portfolio and its children as they were shown, and the diff that says what
//! changed since: against now, or against a later baseline of the same portfolio. Applying a
//! scenario takes one first (SPEC §9).

use std::collections::HashMap;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::rollup::{Plan, rollup_in};
use super::tenant::Begin;
use super::users::Caller;
use super::{TenantPool, Tx};
use crate::domain::baseline::{ChangeKind, Snapshot, kinds, summary};
use crate::domain::page::{Page, PageRequest};
use crate::domain::period::Period;
use crate::domain::rollup::Figures;
use crate::domain::validation::text;
use crate::domain::{FieldErrors, Health, Status};
use crate::error::AppError;
use crate::read_cache::ReadCache;

/// A baseline, its figures as the roll-up showed them when it was taken.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct Baseline {
    #[serde(flatten)]
    pub summary: BaselineSummary,
    /// The roll-up of the portfolio at that moment, in the §3 shape (`totals`, `children`,
    /// `themes`).
    #[schema(value_type = Object)]
    pub figures: serde_json::Value,
}

/// A baseline as lists show it: what, when, by whom, how much.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct BaselineSummary {
    pub id: Uuid,
    pub portfolio_id: Uuid,
    pub name: String,
    pub created_by: Option<Uuid>,
    /// The name of who took it (null once they are gone).
    pub created_by_name: Option<String>,
    pub created_at: DateTime<Utc>,
    /// How many initiatives of the subtree it froze.
    pub initiatives: i64,
}

impl BaselineSummary {
    /// "Oct 1, 2026".
    pub fn taken_label(&self) -> String {
        self.created_at.format("%b %-d, %Y").to_string()
    }
}

/// `POST /portfolios/{id}/baselines`: its name.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BaselineInput {
    #[schema(min_length = 1, max_length = 200, pattern = r"\S")]
    pub name: String,
}

/// Takes a baseline of `portfolio_id`'s subtree, for whoever may edit the portfolio.
pub async fn take(
    db: impl Begin<'_>,
    caller: &Caller,
    portfolio_id: Uuid,
    input: &BaselineInput,
) -> Result<Baseline, AppError> {
    let mut errors = FieldErrors::new();
    let name = text(&mut errors, "name", &input.name, 1, 200);
    let mut tx = db.begin().await?;
    // An unknown portfolio is 404 before anything else, then the permission, then the name.
    sqlx::query_scalar!(
        "SELECT id FROM portfolios WHERE org_id = $1 AND id = $2",
        caller.org_id,
        portfolio_id
    )
    .fetch_one(&mut *tx)
    .await?;
    super::permissions::require_portfolio_editor(&mut *tx, caller, portfolio_id).await?;
    errors.into_result()?;
    let id = take_in(&mut tx, caller.org_id, Some(caller.user_id), portfolio_id, &name).await?;
    let baseline = get_in(&mut *tx, caller.org_id, id).await?;
    tx.commit().await?;
    Ok(baseline)
}

/// Freezes `portfolio_id`'s subtree as it stands in `tx`, taken by `author` (none: by the server
/// itself) and named `name` (cut to the 200 characters a name may have).
pub(crate) async fn take_in(
    tx: &mut Tx<'_>,
    org_id: Uuid,
    author: Option<Uuid>,
    portfolio_id: Uuid,
    name: &str,
) -> Result<Uuid, AppError> {
    let rollup = rollup_in(tx, org_id, Plan::Live, portfolio_id, None, 0).await?;
    let figures = serde_json::json!({
        "portfolio": rollup.portfolio,
        "period": rollup.period,
        "totals": rollup.totals,
        "children": rollup.children,
        "themes": rollup.themes,
    });
    let id = Uuid::now_v7();
    let name: String = name.chars().take(200).collect();
    sqlx::query!(
        "INSERT INTO baselines (org_id, id, portfolio_id, name, figures, created_by)
         VALUES ($1, $2, $3, $4, $5, $6)",
        org_id,
        id,
        portfolio_id,
        name,
        figures,
        author
    )
    .execute(&mut **tx)
    .await?;
    let frozen = sqlx::query!(
        "INSERT INTO baseline_initiatives (org_id, baseline_id, initiative_id, key, portfolio_id, title, status,
                                           health, progress, effort, theme_id, start_date, target_date, version)
         SELECT i.org_id, $3, i.id, i.key, i.portfolio_id, i.title, i.status, i.health, i.progress, i.effort,
                i.theme_id, i.start_date, i.target_date, i.version
         FROM portfolio_closure c
         JOIN initiatives i ON i.org_id = c.org_id AND i.portfolio_id = c.descendant_id
         WHERE c.org_id = $1 AND c.ancestor_id = $2",
        org_id,
        portfolio_id,
        id
    )
    .execute(&mut **tx)
    .await?
    .rows_affected();
    sqlx::query!(
        "UPDATE baselines SET initiatives = $3 WHERE org_id = $1 AND id = $2",
        org_id,
        id,
        frozen as i64
    )
    .execute(&mut **tx)
    .await?;
    Ok(id)
}

/// The baseline `id` with its figures.
pub async fn get(pool: &TenantPool, id: Uuid) -> Result<Baseline, AppError> {
    get_in(pool, pool.org_id(), id).await
}

async fn get_in(executor: impl sqlx::PgExecutor<'_>, org_id: Uuid, id: Uuid) -> Result<Baseline, AppError> {
    let row = sqlx::query!(
        r#"SELECT b.id, b.portfolio_id, b.name, b.created_by, u.name AS "created_by_name?", b.created_at,
                  b.initiatives, b.figures
           FROM baselines b LEFT JOIN users u ON u.id = b.created_by
           WHERE b.org_id = $1 AND b.id = $2"#,
        org_id,
        id
    )
    .fetch_one(executor)
    .await?;
    Ok(Baseline {
        summary: BaselineSummary {
            id: row.id,
            portfolio_id: row.portfolio_id,
            name: row.name,
            created_by: row.created_by,
            created_by_name: row.created_by_name,
            created_at: row.created_at,
            initiatives: row.initiatives,
        },
        figures: row.figures,
    })
}

/// Takes, for every organization that asks for it (`quarter_baselines`), a baseline of each of its
/// top-level portfolios named "<quarter> plan" — once per fiscal quarter, whichever server looks
/// first (migrations/0027). Run at start and hourly; answers how many baselines it took.
pub async fn take_quarter_baselines(pool: &sqlx::PgPool) -> Result<usize, AppError> {
    let asking = sqlx::query!(
        r#"SELECT id, (now() AT TIME ZONE time_zone)::date AS "today!", fiscal_year_start_month
           FROM organizations WHERE quarter_baselines"#
    )
    .fetch_all(pool)
    .await?;
    let mut taken = 0;
    for org in asking {
        let quarter = Period::current_quarter(org.today, org.fiscal_year_start_month as u32);
        let mut tx = super::tenant::begin(pool, org.id).await?;
        let claimed = sqlx::query!(
            "INSERT INTO quarter_baselines_taken (org_id, quarter) VALUES ($1, $2) ON CONFLICT DO NOTHING",
            org.id,
            quarter.to_string()
        )
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if claimed == 0 {
            continue;
        }
        let tops = sqlx::query_scalar!(
            "SELECT id FROM portfolios WHERE org_id = $1 AND parent_id IS NULL ORDER BY position, name",
            org.id
        )
        .fetch_all(&mut *tx)
        .await?;
        for top in tops {
            take_in(&mut tx, org.id, None, top, &format!("{quarter} plan")).await?;
            taken += 1;
        }
        tx.commit().await?;
    }
    Ok(taken)
}

/// `GET /portfolios/{id}/baselines`: the portfolio's baselines, newest first, a page at a time.
pub async fn list(
    pool: &TenantPool,
    portfolio_id: Uuid,
    page: &PageRequest,
) -> Result<Page<BaselineSummary>, AppError> {
    // An unknown portfolio is 404, not an empty list.
    super::portfolios::get(pool, portfolio_id).await?;
    let rows = summaries(pool, pool.org_id(), portfolio_id, page.after, page.fetch_limit()).await?;
    Ok(Page::from_rows(rows, page, |b| b.id))
}

/// The first `limit` baselines of `portfolio_id`, newest first: the roll-up page's list.
pub async fn of_portfolio(
    executor: impl sqlx::PgExecutor<'_>,
    org_id: Uuid,
    portfolio_id: Uuid,
    limit: i64,
) -> Result<Vec<BaselineSummary>, AppError> {
    summaries(executor, org_id, portfolio_id, None, limit).await
}

async fn summaries(
    executor: impl sqlx::PgExecutor<'_>,
    org_id: Uuid,
    portfolio_id: Uuid,
    after: Option<Uuid>,
    limit: i64,
) -> Result<Vec<BaselineSummary>, AppError> {
    // Ids are UUIDv7: newest first is id order.
    Ok(sqlx::query_as!(
        BaselineSummary,
        r#"SELECT b.id, b.portfolio_id, b.name, b.created_by, u.name AS "created_by_name?", b.created_at,
                  b.initiatives
           FROM baselines b LEFT JOIN users u ON u.id = b.created_by
           WHERE b.org_id = $1 AND b.portfolio_id = $2 AND ($3::uuid IS NULL OR b.id < $3)
           ORDER BY b.id DESC
           LIMIT $4"#,
        org_id,
        portfolio_id,
        after,
        limit
    )
    .fetch_all(executor)
    .await?)
}

/// A baseline never changes once taken: the version its `ETag` and `If-Match` name.
pub const VERSION: i64 = 1;

/// Deletes a baseline, for whoever may edit its portfolio (and, with `expected_version`, saw it).
pub async fn delete(
    pool: &TenantPool,
    caller: &Caller,
    id: Uuid,
    expected_version: Option<i64>,
) -> Result<(), AppError> {
    let mut tx = pool.begin().await?;
    let portfolio_id = sqlx::query_scalar!(
        "SELECT portfolio_id FROM baselines WHERE org_id = $1 AND id = $2 FOR UPDATE",
        caller.org_id,
        id
    )
    .fetch_one(&mut *tx)
    .await?;
    super::permissions::require_portfolio_editor(&mut *tx, caller, portfolio_id).await?;
    super::check_version(expected_version, VERSION)?;
    sqlx::query!(
        "DELETE FROM baselines WHERE org_id = $1 AND id = $2",
        caller.org_id,
        id
    )
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(())
}

/// What the baseline is held against: the data now, or a later baseline of the same portfolio.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Against {
    Now,
    Baseline(Uuid),
}

impl std::str::FromStr for Against {
    type Err = &'static str;

    fn from_str(text: &str) -> Result<Against, &'static str> {
        match text.trim() {
            "" | "now" => Ok(Against::Now),
            id => id
                .parse()
                .map(Against::Baseline)
                .map_err(|_| "must be \"now\" or a baseline's id"),
        }
    }
}

/// `GET /baselines/{id}/diff`: the figures before and after for the portfolio and each child, and
/// every initiative that changed in a way a review reads, with the notes written in between.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct Diff {
    pub baseline: BaselineSummary,
    /// The later baseline it is held against; null: now.
    pub against: Option<BaselineSummary>,
    /// "12 slipped by 23 days on average, 4 added, 2 dropped."
    pub summary: String,
    pub figures: FigureSides,
    pub children: Vec<ChildDiff>,
    /// The changes, the portfolio's subtree ordered by key.
    pub changes: Vec<Change>,
}

/// A set of §3 figures then and now.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct FigureSides {
    pub before: Figures,
    pub after: Figures,
}

/// A child portfolio's figures then and now; a side is null when it was not a child then, or is
/// not now.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct ChildDiff {
    pub portfolio_id: Uuid,
    pub name: String,
    pub before: Option<Figures>,
    pub after: Option<Figures>,
}

/// One initiative that changed.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct Change {
    pub initiative: ChangedInitiative,
    pub kinds: Vec<ChangeKind>,
    /// How many days the target moved, for `slipped` and `pulled_in`.
    pub days: Option<i64>,
    /// As the baseline froze it; null when it was not in the subtree then.
    pub before: Option<Snapshot>,
    /// As it is now (or in the later baseline); null when it is gone.
    pub after: Option<Snapshot>,
    /// The notes of its status updates written between the two moments, oldest first: the reasons.
    pub notes: Vec<Note>,
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct ChangedInitiative {
    pub id: Uuid,
    pub key: String,
    pub title: String,
}

/// A status update's note, with who wrote it when and what it set.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct Note {
    pub created_at: DateTime<Utc>,
    pub author: Option<String>,
    pub note: String,
    pub status: Status,
    pub health: Health,
}

/// The figures a baseline keeps, read back: the totals and each child's.
#[derive(Deserialize)]
struct Frozen {
    totals: Figures,
    children: Vec<FrozenChild>,
    period: Option<String>,
}

#[derive(Deserialize)]
struct FrozenChild {
    portfolio: FrozenPortfolio,
    #[serde(flatten)]
    figures: Figures,
}

#[derive(Deserialize)]
struct FrozenPortfolio {
    id: Uuid,
    name: String,
}

fn frozen(baseline: &Baseline) -> Result<Frozen, AppError> {
    serde_json::from_value(baseline.figures.clone()).map_err(|e| AppError::Internal(e.into()))
}

/// Which diff is kept in `crate::read_cache`: an organization's baseline against a side.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct DiffKey {
    pub org_id: Uuid,
    pub baseline_id: Uuid,
    pub against: Against,
}

/// The diff of baseline `id` against `against`, read on one snapshot, or kept from an earlier read
/// at the same data stamp: a diff against now reads the whole subtree (a full join of the frozen
/// rows with today's), so the first read after a write costs the subtree and every read after it a
/// lookup. A later baseline must be of the same portfolio (422 on `against` otherwise).
pub async fn diff(
    pool: &TenantPool,
    cache: &ReadCache<DiffKey, Diff>,
    id: Uuid,
    against: Against,
) -> Result<Arc<Diff>, AppError> {
    let org_id = pool.org_id();
    let mut tx = pool.begin_consistent().await?;
    let stamp = super::DataStamp::read(&mut *tx, org_id).await?;
    let key = DiffKey {
        org_id,
        baseline_id: id,
        against,
    };
    if let Some(kept) = cache.get(&key, stamp) {
        tx.commit().await?;
        return Ok(kept);
    }
    let diff = Arc::new(diff_in(&mut tx, org_id, id, against).await?);
    tx.commit().await?;
    // About 1 KB a change: its two sides and its notes.
    cache.put(
        key,
        stamp,
        diff.clone(),
        1024 * (diff.changes.len() + diff.children.len() + 4),
    );
    Ok(diff)
}

async fn diff_in(tx: &mut Tx<'static>, org_id: Uuid, id: Uuid, against: Against) -> Result<Diff, AppError> {
    // The full join's two sides fit in memory at 100,000 initiatives (about 10 MB) rather than
    // spilling to disk in batches.
    sqlx::query!("SET LOCAL work_mem = '32MB'")
        .execute(&mut **tx)
        .await?;
    let baseline = get_in(&mut **tx, org_id, id).await?;
    let before = frozen(&baseline)?;
    let (later, after, end) = match against {
        Against::Now => {
            let period = before.period.as_deref().and_then(|p| p.parse::<Period>().ok());
            let rollup = rollup_in(tx, org_id, Plan::Live, baseline.summary.portfolio_id, period, 0).await?;
            let children = rollup
                .children
                .into_iter()
                .map(|c| FrozenChild {
                    portfolio: FrozenPortfolio {
                        id: c.portfolio.id,
                        name: c.portfolio.name,
                    },
                    figures: c.figures,
                })
                .collect();
            let now = Frozen {
                totals: rollup.totals,
                children,
                period: None,
            };
            (None, now, None)
        }
        Against::Baseline(other) => {
            let later = get_in(&mut **tx, org_id, other)
                .await
                .map_err(|error| match error {
                    AppError::NotFound => {
                        AppError::field("against", "is not a baseline of this organization")
                    }
                    error => error,
                })?;
            if later.summary.portfolio_id != baseline.summary.portfolio_id {
                return Err(AppError::field("against", "is a baseline of another portfolio"));
            }
            let after = frozen(&later)?;
            let end = later.summary.created_at;
            (Some(later.summary), after, Some(end))
        }
    };
    let changes = changes(tx, org_id, &baseline.summary, later.as_ref().map(|b| b.id), end).await?;
    let children = child_diffs(before.children, after.children);
    let slips: Vec<i64> = changes
        .iter()
        .filter(|c| c.kinds.contains(&ChangeKind::Slipped))
        .filter_map(|c| c.days)
        .collect();
    let count = |kind| {
        changes
            .iter()
            .filter(|c: &&Change| c.kinds.contains(&kind))
            .count()
    };
    Ok(Diff {
        summary: summary(&slips, count),
        baseline: baseline.summary,
        against: later,
        figures: FigureSides {
            before: before.totals,
            after: after.totals,
        },
        children,
        changes,
    })
}

/// The children of either side, in the order the later side shows them, then those gone.
fn child_diffs(before: Vec<FrozenChild>, after: Vec<FrozenChild>) -> Vec<ChildDiff> {
    let mut then: HashMap<Uuid, FrozenChild> = before.into_iter().map(|c| (c.portfolio.id, c)).collect();
    let mut order: Vec<Uuid> = Vec::new();
    let mut rows: Vec<ChildDiff> = after
        .into_iter()
        .map(|now| {
            order.push(now.portfolio.id);
            ChildDiff {
                portfolio_id: now.portfolio.id,
                before: then.remove(&now.portfolio.id).map(|c| c.figures),
                name: now.portfolio.name,
                after: Some(now.figures),
            }
        })
        .collect();
    let mut gone: Vec<FrozenChild> = then.into_values().collect();
    gone.sort_by(|a, b| a.portfolio.name.cmp(&b.portfolio.name));
    rows.extend(gone.into_iter().map(|c| ChildDiff {
        portfolio_id: c.portfolio.id,
        name: c.portfolio.name,
        before: Some(c.figures),
        after: None,
    }));
    rows
}

/// Every initiative whose presence, portfolio, status, health, effort or target differs between
/// the baseline and `later` (a baseline) or now, with the notes written from the baseline until
/// `end` (now when `None`).
async fn changes(
    tx: &mut Tx<'_>,
    org_id: Uuid,
    baseline: &BaselineSummary,
    later: Option<Uuid>,
    end: Option<DateTime<Utc>>,
) -> Result<Vec<Change>, AppError> {
    let rows = sqlx::query!(
        r#"WITH before AS (
               SELECT * FROM baseline_initiatives WHERE org_id = $1 AND baseline_id = $2
           ),
           after AS (
               SELECT i.id AS initiative_id, i.key, i.portfolio_id, i.title, i.status, i.health, i.progress,
                      i.effort, i.theme_id, i.start_date, i.target_date
               FROM portfolio_closure c
               JOIN initiatives i ON i.org_id = c.org_id AND i.portfolio_id = c.descendant_id
               WHERE $3::uuid IS NULL AND c.org_id = $1 AND c.ancestor_id = $4
               UNION ALL
               SELECT f.initiative_id, f.key, f.portfolio_id, f.title, f.status, f.health, f.progress,
                      f.effort, f.theme_id, f.start_date, f.target_date
               FROM baseline_initiatives f
               WHERE f.org_id = $1 AND f.baseline_id = $3
           )
           SELECT coalesce(a.initiative_id, b.initiative_id) AS "id!", coalesce(a.key, b.key) AS "key!",
                  coalesce(a.title, b.title) AS "title!",
                  b.portfolio_id AS "b_portfolio?", b.title AS "b_title?", b.status AS "b_status?: Status",
                  b.health AS "b_health?: Health", b.progress AS "b_progress?", b.effort AS "b_effort?",
                  b.theme_id AS "b_theme?", b.start_date AS "b_start?", b.target_date AS "b_target?",
                  a.portfolio_id AS "a_portfolio?", a.title AS "a_title?", a.status AS "a_status?: Status",
                  a.health AS "a_health?: Health", a.progress AS "a_progress?", a.effort AS "a_effort?",
                  a.theme_id AS "a_theme?", a.start_date AS "a_start?", a.target_date AS "a_target?"
           FROM before b
           FULL JOIN after a ON a.initiative_id = b.initiative_id
           WHERE b.initiative_id IS NULL OR a.initiative_id IS NULL
              OR (b.portfolio_id, b.status, b.health, b.effort, b.target_date)
                 IS DISTINCT FROM (a.portfolio_id, a.status, a.health, a.effort, a.target_date)
           -- Keys in number order: NW-9 before NW-10.
           ORDER BY length(coalesce(a.key, b.key)), 2"#,
        org_id,
        baseline.id,
        later,
        baseline.portfolio_id
    )
    .fetch_all(&mut **tx)
    .await?;
    let mut changes: Vec<Change> = rows
        .into_iter()
        .filter_map(|r| {
            let before = r.b_portfolio.map(|portfolio_id| Snapshot {
                portfolio_id,
                title: r.b_title.unwrap_or_default(),
                status: r.b_status.unwrap_or(Status::Proposed),
                health: r.b_health.unwrap_or(Health::OnTrack),
                progress: r.b_progress.unwrap_or_default(),
                effort: r.b_effort.unwrap_or_default(),
                theme_id: r.b_theme,
                start_date: r.b_start,
                target_date: r.b_target,
            });
            let after = r.a_portfolio.map(|portfolio_id| Snapshot {
                portfolio_id,
                title: r.a_title.unwrap_or_default(),
                status: r.a_status.unwrap_or(Status::Proposed),
                health: r.a_health.unwrap_or(Health::OnTrack),
                progress: r.a_progress.unwrap_or_default(),
                effort: r.a_effort.unwrap_or_default(),
                theme_id: r.a_theme,
                start_date: r.a_start,
                target_date: r.a_target,
            });
            let (kinds, days) = kinds(before.as_ref(), after.as_ref());
            (!kinds.is_empty()).then(|| Change {
                initiative: ChangedInitiative {
                    id: r.id,
                    key: r.key,
                    title: r.title,
                },
                kinds,
                days,
                before,
                after,
                notes: Vec::new(),
            })
        })
        .collect();
    let ids: Vec<Uuid> = changes.iter().map(|c| c.initiative.id).collect();
    let notes = sqlx::query!(
        r#"SELECT s.initiative_id, s.created_at, u.name AS "author?", s.note AS "note!",
                  s.status AS "status: Status", s.health AS "health: Health"
           FROM status_updates s LEFT JOIN users u ON u.id = s.author_id
           WHERE s.org_id = $1 AND s.initiative_id = ANY ($2)
             AND s.created_at > $3 AND ($4::timestamptz IS NULL OR s.created_at <= $4)
             AND s.note IS NOT NULL AND btrim(s.note) <> ''
           ORDER BY s.created_at, s.id"#,
        org_id,
        &ids,
        baseline.created_at,
        end
    )
    .fetch_all(&mut **tx)
    .await?;
    let position: HashMap<Uuid, usize> = ids.iter().enumerate().map(|(k, id)| (*id, k)).collect();
    for note in notes {
        if let Some(&k) = position.get(&note.initiative_id) {
            changes[k].notes.push(Note {
                created_at: note.created_at,
                author: note.author,
                note: note.note,
                status: note.status,
                health: note.health,
            });
        }
    }
    Ok(changes)
}
