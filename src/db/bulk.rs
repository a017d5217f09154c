//! Loading a whole organization at once (the demo, and benchmark seeds): one transaction, rows
//! sent as arrays and inserted set-based (`INSERT … SELECT FROM UNNEST`) in chunks, and the
//! portfolio closure table built in one statement at the end.
//!
//! Set-based matters beyond round trips: the roll-up triggers (migrations/0002_rollups.sql) run
//! once per statement, so a chunk of initiatives is one aggregated update of the totals instead of
//! one per row.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;
use uuid::Uuid;

use super::Tx;
use crate::domain::initiative::InitiativeValues;
use crate::domain::okr::{key_result_progress, objective_progress};
use crate::domain::{Health, Lifecycle, PortfolioLevel, Role, Status};
use crate::error::AppError;

/// Rows per statement: large enough that round trips and trigger runs are few, small enough that
/// one statement's arrays and transition tables stay a few megabytes.
const CHUNK: usize = 5_000;

/// A user to create, with their membership: the rows a load inserts, not `members::Member` as read.
pub struct NewMember {
    pub id: Uuid,
    pub name: String,
    pub email: String,
    pub role: Role,
}

/// A theme to insert (`themes::Theme` is one as read).
pub struct NewTheme<'a> {
    pub id: Uuid,
    pub name: &'a str,
    pub colour: &'a str,
    pub target_share: f64,
}

/// A portfolio to insert, before its closure rows (`portfolios::Portfolio` is one as read).
pub struct NewPortfolio {
    pub id: Uuid,
    pub parent_id: Option<Uuid>,
    pub name: String,
    pub description: String,
    pub level: PortfolioLevel,
    pub owner_id: Option<Uuid>,
    pub lifecycle: Option<Lifecycle>,
    pub position: i32,
}

/// An initiative to insert: its values, and when it last changed; its key comes from its place in
/// the load (`initiatives::Initiative` is one as read).
pub struct NewInitiative {
    pub id: Uuid,
    pub values: InitiativeValues,
    pub updated_at: DateTime<Utc>,
}

/// A new initiative reads as its values: `initiative.title`.
impl std::ops::Deref for NewInitiative {
    type Target = InitiativeValues;

    fn deref(&self) -> &InitiativeValues {
        &self.values
    }
}

/// One entry of an initiative's history: its values before and after.
pub struct HistoryEntry {
    pub initiative_id: Uuid,
    pub author_id: Uuid,
    pub created_at: DateTime<Utc>,
    pub note: Option<String>,
    pub before: (Status, Health, i16),
    pub after: (Status, Health, i16),
}

/// A whole organization to load, each part in the order it is inserted.
pub struct Load<'a> {
    pub members: Vec<NewMember>,
    pub themes: Vec<NewTheme<'a>>,
    pub portfolios: Vec<NewPortfolio>,
    pub initiatives: Vec<NewInitiative>,
    pub history: Vec<HistoryEntry>,
    pub okrs: Okrs,
}

/// Inserts everything of `load`: members (with `password_hash`), themes, portfolios, initiatives
/// keyed `<key_prefix>-n`, their history and the OKRs.
pub async fn insert_all(
    tx: &mut Tx<'_>,
    org_id: Uuid,
    key_prefix: &str,
    password_hash: &str,
    load: &Load<'_>,
) -> Result<(), AppError> {
    insert_members(tx, org_id, &load.members, password_hash).await?;
    insert_themes(tx, org_id, &load.themes).await?;
    insert_portfolios(tx, org_id, &load.portfolios).await?;
    insert_initiatives(tx, org_id, key_prefix, &load.initiatives).await?;
    insert_history(tx, org_id, &load.history).await?;
    insert_okrs(tx, org_id, &load.okrs).await
}

/// Users (all with the same password hash) and their memberships in the organization.
pub async fn insert_members(
    tx: &mut Tx<'_>,
    org_id: Uuid,
    members: &[NewMember],
    password_hash: &str,
) -> Result<(), AppError> {
    for chunk in members.chunks(CHUNK) {
        let ids: Vec<Uuid> = chunk.iter().map(|m| m.id).collect();
        let names: Vec<&str> = chunk.iter().map(|m| m.name.as_str()).collect();
        let emails: Vec<&str> = chunk.iter().map(|m| m.email.as_str()).collect();
        let roles: Vec<&str> = chunk.iter().map(|m| m.role.as_str()).collect();
        sqlx::query!(
            "INSERT INTO users (id, name, email, password_hash)
             SELECT id, name, email, $4 FROM UNNEST($1::uuid[], $2::text[], $3::text[]) AS u (id, name, email)",
            &ids,
            &names as &[&str],
            &emails as &[&str],
            password_hash
        )
        .execute(&mut **tx)
        .await?;
        sqlx::query!(
            "INSERT INTO memberships (org_id, user_id, role)
             SELECT $1, user_id, role FROM UNNEST($2::uuid[], $3::text[]) AS m (user_id, role)",
            org_id,
            &ids,
            &roles as &[&str]
        )
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}

pub async fn insert_themes(tx: &mut Tx<'_>, org_id: Uuid, themes: &[NewTheme<'_>]) -> Result<(), AppError> {
    let ids: Vec<Uuid> = themes.iter().map(|t| t.id).collect();
    let names: Vec<&str> = themes.iter().map(|t| t.name).collect();
    let colours: Vec<&str> = themes.iter().map(|t| t.colour).collect();
    let shares: Vec<f64> = themes.iter().map(|t| t.target_share).collect();
    sqlx::query!(
        "INSERT INTO themes (org_id, id, name, colour, target_share)
         SELECT $1, id, name, colour, share
         FROM UNNEST($2::uuid[], $3::text[], $4::text[], $5::float8[]) AS t (id, name, colour, share)",
        org_id,
        &ids,
        &names as &[&str],
        &colours as &[&str],
        &shares
    )
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Inserts portfolios, parents before children, then builds their closure rows in one statement.
pub async fn insert_portfolios(
    tx: &mut Tx<'_>,
    org_id: Uuid,
    portfolios: &[NewPortfolio],
) -> Result<(), AppError> {
    // Parents come first, so a chunk's parents exist when its foreign keys are checked.
    for chunk in portfolios.chunks(CHUNK) {
        let ids: Vec<Uuid> = chunk.iter().map(|p| p.id).collect();
        let parents: Vec<Option<Uuid>> = chunk.iter().map(|p| p.parent_id).collect();
        let names: Vec<&str> = chunk.iter().map(|p| p.name.as_str()).collect();
        let descriptions: Vec<&str> = chunk.iter().map(|p| p.description.as_str()).collect();
        let levels: Vec<&str> = chunk.iter().map(|p| p.level.as_str()).collect();
        let owners: Vec<Option<Uuid>> = chunk.iter().map(|p| p.owner_id).collect();
        let lifecycles: Vec<Option<&str>> =
            chunk.iter().map(|p| p.lifecycle.map(Lifecycle::as_str)).collect();
        let positions: Vec<i32> = chunk.iter().map(|p| p.position).collect();
        sqlx::query!(
            "INSERT INTO portfolios (org_id, id, parent_id, name, description, level, owner_id, lifecycle, position)
             SELECT $1, id, parent_id, name, description, level, owner_id, lifecycle, position
             FROM UNNEST($2::uuid[], $3::uuid[], $4::text[], $5::text[], $6::text[], $7::uuid[], $8::text[], $9::int4[])
                 AS p (id, parent_id, name, description, level, owner_id, lifecycle, position)",
            org_id,
            &ids,
            &parents as &[Option<Uuid>],
            &names as &[&str],
            &descriptions as &[&str],
            &levels as &[&str],
            &owners as &[Option<Uuid>],
            &lifecycles as &[Option<&str>],
            &positions
        )
        .execute(&mut **tx)
        .await?;
    }
    sqlx::query!(
        "INSERT INTO portfolio_closure (org_id, ancestor_id, descendant_id, depth)
         WITH RECURSIVE paths AS (
             SELECT id AS ancestor_id, id AS descendant_id, 0 AS depth
             FROM portfolios WHERE org_id = $1
             UNION ALL
             SELECT paths.ancestor_id, child.id, paths.depth + 1
             FROM paths JOIN portfolios child ON child.org_id = $1 AND child.parent_id = paths.descendant_id
         )
         SELECT $1, ancestor_id, descendant_id, depth FROM paths
         ON CONFLICT DO NOTHING",
        org_id
    )
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Inserts initiatives with keys `<prefix>-1…n` in the given order and advances the org's counter.
pub async fn insert_initiatives(
    tx: &mut Tx<'_>,
    org_id: Uuid,
    key_prefix: &str,
    initiatives: &[NewInitiative],
) -> Result<(), AppError> {
    for (c, chunk) in initiatives.chunks(CHUNK).enumerate() {
        let first = (c * CHUNK) as i64 + 1;
        let ids: Vec<Uuid> = chunk.iter().map(|i| i.id).collect();
        let titles: Vec<&str> = chunk.iter().map(|i| i.title.as_str()).collect();
        let descriptions: Vec<&str> = chunk.iter().map(|i| i.description.as_str()).collect();
        let portfolios: Vec<Uuid> = chunk.iter().map(|i| i.portfolio_id).collect();
        let owners: Vec<Option<Uuid>> = chunk.iter().map(|i| i.owner_id).collect();
        let themes: Vec<Option<Uuid>> = chunk.iter().map(|i| i.theme_id).collect();
        let statuses: Vec<&str> = chunk.iter().map(|i| i.status.as_str()).collect();
        let healths: Vec<&str> = chunk.iter().map(|i| i.health.as_str()).collect();
        let progresses: Vec<i16> = chunk.iter().map(|i| i.progress).collect();
        let efforts: Vec<f64> = chunk.iter().map(|i| i.effort).collect();
        let budgets: Vec<Option<i64>> = chunk.iter().map(|i| i.budget).collect();
        let starts: Vec<Option<NaiveDate>> = chunk.iter().map(|i| i.start_date).collect();
        let targets: Vec<Option<NaiveDate>> = chunk.iter().map(|i| i.target_date).collect();
        let reaches: Vec<Option<i64>> = chunk.iter().map(|i| i.reach).collect();
        let impacts: Vec<Option<f64>> = chunk.iter().map(|i| i.impact).collect();
        let confidences: Vec<Option<i16>> = chunk.iter().map(|i| i.confidence).collect();
        let updated: Vec<DateTime<Utc>> = chunk.iter().map(|i| i.updated_at).collect();
        // Numbers follow the array order (WITH ORDINALITY), keys are built from them in SQL.
        sqlx::query!(
            "INSERT INTO initiatives (org_id, id, number, key, title, description, portfolio_id, owner_id, theme_id,
                 status, health, progress, effort, budget, start_date, target_date, reach, impact, confidence,
                 created_at, updated_at)
             SELECT $1, id, $2 + n - 1, $3 || '-' || ($2 + n - 1), title, description, portfolio_id, owner_id,
                 theme_id, status, health, progress, effort, budget, start_date, target_date, reach, impact,
                 confidence, updated_at, updated_at
             FROM UNNEST($4::uuid[], $5::text[], $6::text[], $7::uuid[], $8::uuid[], $9::uuid[], $10::text[],
                 $11::text[], $12::int2[], $13::float8[], $14::int8[], $15::date[], $16::date[], $17::int8[],
                 $18::float8[], $19::int2[], $20::timestamptz[])
                 WITH ORDINALITY AS i (id, title, description, portfolio_id, owner_id, theme_id, status, health,
                     progress, effort, budget, start_date, target_date, reach, impact, confidence, updated_at, n)",
            org_id,
            first,
            key_prefix,
            &ids,
            &titles as &[&str],
            &descriptions as &[&str],
            &portfolios,
            &owners as &[Option<Uuid>],
            &themes as &[Option<Uuid>],
            &statuses as &[&str],
            &healths as &[&str],
            &progresses,
            &efforts,
            &budgets as &[Option<i64>],
            &starts as &[Option<NaiveDate>],
            &targets as &[Option<NaiveDate>],
            &reaches as &[Option<i64>],
            &impacts as &[Option<f64>],
            &confidences as &[Option<i16>],
            &updated
        )
        .execute(&mut **tx)
        .await?;
    }
    sqlx::query!(
        "UPDATE organizations SET next_initiative_number = $2 WHERE id = $1",
        org_id,
        initiatives.len() as i64 + 1
    )
    .execute(&mut **tx)
    .await?;
    Ok(())
}

pub async fn insert_history(tx: &mut Tx<'_>, org_id: Uuid, updates: &[HistoryEntry]) -> Result<(), AppError> {
    for chunk in updates.chunks(CHUNK) {
        let ids: Vec<Uuid> = chunk.iter().map(|_| Uuid::now_v7()).collect();
        let initiatives: Vec<Uuid> = chunk.iter().map(|u| u.initiative_id).collect();
        let authors: Vec<Uuid> = chunk.iter().map(|u| u.author_id).collect();
        let created: Vec<DateTime<Utc>> = chunk.iter().map(|u| u.created_at).collect();
        let notes: Vec<Option<&str>> = chunk.iter().map(|u| u.note.as_deref()).collect();
        let statuses: Vec<&str> = chunk.iter().map(|u| u.after.0.as_str()).collect();
        let healths: Vec<&str> = chunk.iter().map(|u| u.after.1.as_str()).collect();
        let progresses: Vec<i16> = chunk.iter().map(|u| u.after.2).collect();
        let previous_statuses: Vec<&str> = chunk.iter().map(|u| u.before.0.as_str()).collect();
        let previous_healths: Vec<&str> = chunk.iter().map(|u| u.before.1.as_str()).collect();
        let previous_progresses: Vec<i16> = chunk.iter().map(|u| u.before.2).collect();
        sqlx::query!(
            "INSERT INTO status_updates (org_id, id, initiative_id, author_id, created_at, note,
                 status, health, progress, previous_status, previous_health, previous_progress)
             SELECT $1, id, initiative_id, author_id, created_at, note, status, health, progress,
                 previous_status, previous_health, previous_progress
             FROM UNNEST($2::uuid[], $3::uuid[], $4::uuid[], $5::timestamptz[], $6::text[], $7::text[],
                 $8::text[], $9::int2[], $10::text[], $11::text[], $12::int2[])
                 AS u (id, initiative_id, author_id, created_at, note, status, health, progress,
                     previous_status, previous_health, previous_progress)",
            org_id,
            &ids,
            &initiatives,
            &authors,
            &created,
            &notes as &[Option<&str>],
            &statuses as &[&str],
            &healths as &[&str],
            &progresses,
            &previous_statuses as &[&str],
            &previous_healths as &[&str],
            &previous_progresses
        )
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}

/// An objective to insert; its progress is computed from its key results on the way in.
pub struct NewObjective {
    pub id: Uuid,
    pub portfolio_id: Uuid,
    pub period: String,
    pub title: String,
    pub owner_id: Option<Uuid>,
    /// Listed before the objectives that support it.
    pub parent_id: Option<Uuid>,
}

/// A key result to insert.
pub struct NewKeyResult {
    pub id: Uuid,
    pub objective_id: Uuid,
    pub title: String,
    pub start_value: Decimal,
    pub target_value: Decimal,
    pub current_value: Decimal,
    pub unit: String,
    pub weight: Decimal,
    pub position: i32,
}

/// A check-in of a key result to insert.
pub struct NewCheckIn {
    pub key_result_id: Uuid,
    pub author_id: Uuid,
    pub created_at: DateTime<Utc>,
    pub value: Decimal,
    pub previous_value: Decimal,
    pub note: Option<String>,
}

/// A whole organization's OKRs, parents before the objectives that support them.
#[derive(Default)]
pub struct Okrs {
    pub objectives: Vec<NewObjective>,
    pub key_results: Vec<NewKeyResult>,
    pub check_ins: Vec<NewCheckIn>,
    /// (initiative, key result)
    pub links: Vec<(Uuid, Uuid)>,
}

/// Objectives with their key results, check-ins and links to initiatives. Each objective's stored
/// progress is computed here from its key results by the same domain rule the API's writes use.
pub async fn insert_okrs(tx: &mut Tx<'_>, org_id: Uuid, okrs: &Okrs) -> Result<(), AppError> {
    let Okrs {
        objectives,
        key_results,
        check_ins,
        links,
    } = okrs;
    let mut measured: HashMap<Uuid, Vec<(Decimal, Decimal)>> = HashMap::new();
    for k in key_results {
        measured.entry(k.objective_id).or_default().push((
            k.weight,
            key_result_progress(k.start_value, k.target_value, k.current_value),
        ));
    }
    for chunk in objectives.chunks(CHUNK) {
        let ids: Vec<Uuid> = chunk.iter().map(|o| o.id).collect();
        let portfolios: Vec<Uuid> = chunk.iter().map(|o| o.portfolio_id).collect();
        let periods: Vec<&str> = chunk.iter().map(|o| o.period.as_str()).collect();
        let titles: Vec<&str> = chunk.iter().map(|o| o.title.as_str()).collect();
        let owners: Vec<Option<Uuid>> = chunk.iter().map(|o| o.owner_id).collect();
        let parents: Vec<Option<Uuid>> = chunk.iter().map(|o| o.parent_id).collect();
        let progresses: Vec<Option<Decimal>> = chunk
            .iter()
            .map(|o| objective_progress(measured.remove(&o.id).unwrap_or_default()))
            .collect();
        sqlx::query!(
            "INSERT INTO objectives (org_id, id, portfolio_id, period, title, owner_id, parent_id, progress)
             SELECT $1, id, portfolio_id, period, title, owner_id, parent_id, progress
             FROM UNNEST($2::uuid[], $3::uuid[], $4::text[], $5::text[], $6::uuid[], $7::uuid[], $8::numeric[])
                 AS o (id, portfolio_id, period, title, owner_id, parent_id, progress)",
            org_id,
            &ids,
            &portfolios,
            &periods as &[&str],
            &titles as &[&str],
            &owners as &[Option<Uuid>],
            &parents as &[Option<Uuid>],
            &progresses as &[Option<Decimal>]
        )
        .execute(&mut **tx)
        .await?;
    }
    for chunk in key_results.chunks(CHUNK) {
        let ids: Vec<Uuid> = chunk.iter().map(|k| k.id).collect();
        let objectives: Vec<Uuid> = chunk.iter().map(|k| k.objective_id).collect();
        let titles: Vec<&str> = chunk.iter().map(|k| k.title.as_str()).collect();
        let starts: Vec<Decimal> = chunk.iter().map(|k| k.start_value).collect();
        let targets: Vec<Decimal> = chunk.iter().map(|k| k.target_value).collect();
        let currents: Vec<Decimal> = chunk.iter().map(|k| k.current_value).collect();
        let units: Vec<&str> = chunk.iter().map(|k| k.unit.as_str()).collect();
        let weights: Vec<Decimal> = chunk.iter().map(|k| k.weight).collect();
        let positions: Vec<i32> = chunk.iter().map(|k| k.position).collect();
        sqlx::query!(
            "INSERT INTO key_results (org_id, id, objective_id, title, start_value, target_value, current_value,
                 unit, weight, position)
             SELECT $1, id, objective_id, title, start_value, target_value, current_value, unit, weight, position
             FROM UNNEST($2::uuid[], $3::uuid[], $4::text[], $5::numeric[], $6::numeric[], $7::numeric[],
                 $8::text[], $9::numeric[], $10::int4[])
                 AS k (id, objective_id, title, start_value, target_value, current_value, unit, weight, position)",
            org_id,
            &ids,
            &objectives,
            &titles as &[&str],
            &starts,
            &targets,
            &currents,
            &units as &[&str],
            &weights,
            &positions
        )
        .execute(&mut **tx)
        .await?;
    }
    for chunk in check_ins.chunks(CHUNK) {
        let ids: Vec<Uuid> = chunk.iter().map(|_| Uuid::now_v7()).collect();
        let key_results: Vec<Uuid> = chunk.iter().map(|c| c.key_result_id).collect();
        let authors: Vec<Uuid> = chunk.iter().map(|c| c.author_id).collect();
        let created: Vec<DateTime<Utc>> = chunk.iter().map(|c| c.created_at).collect();
        let values: Vec<Decimal> = chunk.iter().map(|c| c.value).collect();
        let previous: Vec<Decimal> = chunk.iter().map(|c| c.previous_value).collect();
        let notes: Vec<Option<&str>> = chunk.iter().map(|c| c.note.as_deref()).collect();
        sqlx::query!(
            "INSERT INTO key_result_check_ins (org_id, id, key_result_id, author_id, created_at, value,
                 previous_value, note)
             SELECT $1, id, key_result_id, author_id, created_at, value, previous_value, note
             FROM UNNEST($2::uuid[], $3::uuid[], $4::uuid[], $5::timestamptz[], $6::numeric[], $7::numeric[],
                 $8::text[]) AS c (id, key_result_id, author_id, created_at, value, previous_value, note)",
            org_id,
            &ids,
            &key_results,
            &authors,
            &created,
            &values,
            &previous,
            &notes as &[Option<&str>]
        )
        .execute(&mut **tx)
        .await?;
    }
    for chunk in links.chunks(CHUNK) {
        let initiatives: Vec<Uuid> = chunk.iter().map(|l| l.0).collect();
        let key_results: Vec<Uuid> = chunk.iter().map(|l| l.1).collect();
        sqlx::query!(
            "INSERT INTO initiative_key_results (org_id, initiative_id, key_result_id)
             SELECT $1, initiative_id, key_result_id FROM UNNEST($2::uuid[], $3::uuid[])
                 AS l (initiative_id, key_result_id)
             ON CONFLICT DO NOTHING",
            org_id,
            &initiatives,
            &key_results
        )
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}
