//! Scenarios (SPEC §9): named what-if sandboxes over a portfolio subtree, their changes, and
//! applying them to the live plan. Their figures are the live figures plus the effect of their
//! changes (migrations/0022_scenarios.sql), read by `db::rollup` and `db::capacity` themselves.
//!
//! Who may: every member reads every scenario; whoever may edit the scenario's portfolio edits the
//! scenario; viewers read only. Every write to a scenario (its name, a change, a hypothetical
//! initiative, a capacity) takes the scenario's row lock and a new version, so two people editing
//! one scenario queue, and a writer who names a version (`If-Match`, a form) learns of the other.

use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;
use serde::Serialize;
use uuid::Uuid;

use super::initiative_lists::ListedInitiative;
use super::initiatives::{values_from_row, with_values};
use super::status_updates::Author;
use super::tenant::Begin;
use super::users::Caller;
use super::{TenantPool, Tx, check_version, permissions};
use crate::domain::initiative::{InitiativeChanges, InitiativeFilter, InitiativeValues};
use crate::domain::page::{Page, PageRequest};
use crate::domain::period::Period;
use crate::domain::scenario::{ChangeInput, Chosen, ScenarioInput, ScenarioRename};
use crate::domain::{Health, Status};
use crate::error::{AppError, map_constraint};

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct Scenario {
    pub id: Uuid,
    pub name: String,
    /// The subtree the scenario plays with.
    pub portfolio_id: Uuid,
    pub created_by: Option<Uuid>,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A scenario with everything it holds (`GET /scenarios/{id}`).
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct ScenarioDetail {
    #[serde(flatten)]
    pub scenario: Scenario,
    pub changes: Vec<ChangeRow>,
    pub initiatives: Vec<Hypothetical>,
    pub capacity: Vec<CapacityChange>,
}

/// One change to a live initiative: the fields it sets, beside the live values.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct ChangeRow {
    pub initiative_id: Uuid,
    pub key: String,
    pub title: String,
    /// The initiative's version when the change was made; apply refuses the change once the
    /// initiative has moved on (`current_version` differs).
    pub kept_version: i64,
    pub current_version: i64,
    /// The fields the change sets, with the scenario's value and the live one.
    pub fields: Vec<ChangedField>,
    pub made_by: Option<Author>,
    pub made_at: DateTime<Utc>,
}

impl ChangeRow {
    /// Whether applying it now would be refused: the initiative changed since.
    pub fn stale(&self) -> bool {
        self.kept_version != self.current_version
    }
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct ChangedField {
    pub field: String,
    #[schema(value_type = Object)]
    pub live: serde_json::Value,
    #[schema(value_type = Object)]
    pub scenario: serde_json::Value,
}

/// Work that exists only in the scenario.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct Hypothetical {
    pub id: Uuid,
    #[serde(flatten)]
    pub values: InitiativeValues,
    pub made_by: Option<Author>,
    pub made_at: DateTime<Utc>,
}

/// A portfolio's own capacity in a quarter as the scenario sets it.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct CapacityChange {
    pub portfolio_id: Uuid,
    pub portfolio_name: String,
    pub period: Period,
    #[serde(with = "rust_decimal::serde::float")]
    #[schema(value_type = f64)]
    pub person_weeks: Decimal,
    /// What the live plan holds for it (0 when nothing is set).
    #[serde(with = "rust_decimal::serde::float")]
    #[schema(value_type = f64)]
    pub live_person_weeks: Decimal,
    pub made_by: Option<Author>,
    pub made_at: DateTime<Utc>,
}

/// The organization's scenarios by name, a page at a time.
pub async fn list(pool: &TenantPool, page: &PageRequest) -> Result<Page<Scenario>, AppError> {
    let rows = sqlx::query_as!(
        Scenario,
        "SELECT id, name, portfolio_id, created_by, version, created_at, updated_at
         FROM scenarios WHERE org_id = $1 AND ($2::uuid IS NULL OR id > $2)
         ORDER BY id LIMIT $3",
        pool.org_id(),
        page.after,
        page.fetch_limit()
    )
    .fetch_all(pool)
    .await?;
    Ok(Page::from_rows(rows, page, |scenario| scenario.id))
}

/// The scenario with its changes, hypothetical initiatives and capacities, on one snapshot.
pub async fn detail(pool: &TenantPool, id: Uuid) -> Result<ScenarioDetail, AppError> {
    let mut tx = pool.begin_consistent().await?;
    let org_id = pool.org_id();
    let scenario = get_in(&mut tx, org_id, id).await?;
    let changes = changes_of(&mut tx, org_id, id).await?;
    let initiatives = hypotheticals_of(&mut tx, org_id, id).await?;
    let capacity = capacity_of(&mut tx, org_id, id).await?;
    tx.commit().await?;
    Ok(ScenarioDetail {
        scenario,
        changes,
        initiatives,
        capacity,
    })
}

/// Creates a scenario over a portfolio the caller may edit.
pub async fn create(db: impl Begin<'_>, caller: &Caller, input: ScenarioInput) -> Result<Scenario, AppError> {
    let (name, portfolio_id) = input.apply(None)?;
    let mut tx = db.begin().await?;
    permissions::require_portfolio_home(&mut tx, caller, portfolio_id).await?;
    let scenario = sqlx::query_as!(
        Scenario,
        "INSERT INTO scenarios (org_id, id, name, portfolio_id, created_by, updated_by)
         VALUES ($1, $2, $3, $4, $5, $5)
         RETURNING id, name, portfolio_id, created_by, version, created_at, updated_at",
        caller.org_id,
        Uuid::now_v7(),
        name,
        portfolio_id,
        caller.user_id
    )
    .fetch_one(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(scenario)
}

/// Renames a scenario at `expected_version`.
pub async fn update(
    pool: &TenantPool,
    caller: &Caller,
    id: Uuid,
    expected_version: Option<i64>,
    input: ScenarioRename,
) -> Result<Scenario, AppError> {
    let mut tx = pool.begin().await?;
    let current = lock(&mut tx, caller, id, expected_version).await?;
    let (name, _) = ScenarioInput::from(input).apply(Some((&current.name, current.portfolio_id)))?;
    let scenario = sqlx::query_as!(
        Scenario,
        "UPDATE scenarios SET name = $3, updated_by = $4, version = version + 1, updated_at = now()
         WHERE org_id = $1 AND id = $2
         RETURNING id, name, portfolio_id, created_by, version, created_at, updated_at",
        caller.org_id,
        id,
        name,
        caller.user_id
    )
    .fetch_one(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(scenario)
}

pub async fn delete(
    pool: &TenantPool,
    caller: &Caller,
    id: Uuid,
    expected_version: Option<i64>,
) -> Result<(), AppError> {
    let mut tx = pool.begin().await?;
    lock(&mut tx, caller, id, expected_version).await?;
    sqlx::query!(
        "DELETE FROM scenarios WHERE org_id = $1 AND id = $2",
        caller.org_id,
        id
    )
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(())
}

/// A new scenario holding everything `id` holds, to branch it; named `name` or "<name> (copy)".
pub async fn copy(
    db: impl Begin<'_>,
    caller: &Caller,
    id: Uuid,
    name: Option<String>,
) -> Result<Scenario, AppError> {
    let mut tx = db.begin().await?;
    let source = get_in(&mut tx, caller.org_id, id).await?;
    let (name, portfolio_id) = ScenarioInput {
        name: Some(name.unwrap_or_else(|| copy_name(&source.name))),
        portfolio_id: Some(source.portfolio_id),
    }
    .apply(None)?;
    permissions::require_portfolio_home(&mut tx, caller, portfolio_id).await?;
    let org_id = caller.org_id;
    let copy = sqlx::query_as!(
        Scenario,
        "INSERT INTO scenarios (org_id, id, name, portfolio_id, created_by, updated_by)
         VALUES ($1, $2, $3, $4, $5, $5)
         RETURNING id, name, portfolio_id, created_by, version, created_at, updated_at",
        org_id,
        Uuid::now_v7(),
        name,
        portfolio_id,
        caller.user_id
    )
    .fetch_one(&mut *tx)
    .await?;
    // Changes keep who made them and when, and the version they were made at: the copy applies
    // under the same guard as the original.
    sqlx::query!(
        "INSERT INTO scenario_changes (org_id, scenario_id, initiative_id, kept_version, sets, status, start_date,
                                       target_date, effort, progress, portfolio_id, theme_id, made_by, made_at)
         SELECT org_id, $3, initiative_id, kept_version, sets, status, start_date, target_date, effort, progress,
                portfolio_id, theme_id, made_by, made_at
         FROM scenario_changes WHERE org_id = $1 AND scenario_id = $2",
        org_id,
        id,
        copy.id
    )
    .execute(&mut *tx)
    .await?;
    sqlx::query!(
        "INSERT INTO scenario_initiatives (org_id, scenario_id, id, title, description, portfolio_id, owner_id,
                                           theme_id, status, health, progress, effort, budget, start_date,
                                           target_date, reach, impact, confidence, business_value,
                                           time_criticality, risk_reduction, benefit, made_by, made_at)
         SELECT org_id, $3, id, title, description, portfolio_id, owner_id, theme_id, status, health, progress,
                effort, budget, start_date, target_date, reach, impact, confidence, business_value,
                time_criticality, risk_reduction, benefit, made_by, made_at
         FROM scenario_initiatives WHERE org_id = $1 AND scenario_id = $2",
        org_id,
        id,
        copy.id
    )
    .execute(&mut *tx)
    .await?;
    sqlx::query!(
        "INSERT INTO scenario_capacity (org_id, scenario_id, portfolio_id, quarter, person_weeks, made_by, made_at)
         SELECT org_id, $3, portfolio_id, quarter, person_weeks, made_by, made_at
         FROM scenario_capacity WHERE org_id = $1 AND scenario_id = $2",
        org_id,
        id,
        copy.id
    )
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(copy)
}

fn copy_name(name: &str) -> String {
    let copy = format!("{name} (copy)");
    // Stay within the 200 characters a name may have.
    if copy.chars().count() > 200 {
        name.chars().take(200).collect()
    } else {
        copy
    }
}

/// Sets what the scenario changes on one live initiative of its subtree (replacing an earlier
/// change of it), keeping the initiative's version as it is now.
pub async fn put_change(
    pool: &TenantPool,
    caller: &Caller,
    scenario_id: Uuid,
    initiative_id: Uuid,
    expected_version: Option<i64>,
    input: ChangeInput,
) -> Result<ChangeRow, AppError> {
    let mut tx = pool.begin().await?;
    let scenario = lock(&mut tx, caller, scenario_id, expected_version).await?;
    let live = super::initiatives::fetch(&mut tx, caller.org_id, initiative_id, false).await?;
    if !in_subtree(&mut tx, caller.org_id, scenario.portfolio_id, live.portfolio_id).await? {
        return Err(AppError::field(
            "initiative_id",
            "is not in the scenario's portfolio or below it",
        ));
    }
    let change = input.check(&live.values)?;
    if change.values.portfolio_id != live.portfolio_id
        && !in_subtree(
            &mut tx,
            caller.org_id,
            scenario.portfolio_id,
            change.values.portfolio_id,
        )
        .await?
    {
        return Err(AppError::field(
            "portfolio_id",
            "is not the scenario's portfolio or one below it",
        ));
    }
    let v = &change.values;
    let sets: Vec<String> = change.sets.iter().map(|field| (*field).to_owned()).collect();
    sqlx::query!(
        "INSERT INTO scenario_changes (org_id, scenario_id, initiative_id, kept_version, sets, status, start_date,
                                       target_date, effort, progress, portfolio_id, theme_id, made_by)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
         ON CONFLICT (org_id, scenario_id, initiative_id) DO UPDATE SET
             kept_version = excluded.kept_version, sets = excluded.sets, status = excluded.status,
             start_date = excluded.start_date, target_date = excluded.target_date, effort = excluded.effort,
             progress = excluded.progress, portfolio_id = excluded.portfolio_id, theme_id = excluded.theme_id,
             made_by = excluded.made_by, made_at = now()",
        caller.org_id,
        scenario_id,
        initiative_id,
        live.version,
        &sets,
        v.status.as_str(),
        v.start_date,
        v.target_date,
        v.effort,
        v.progress,
        v.portfolio_id,
        v.theme_id,
        caller.user_id
    )
    .execute(&mut *tx)
    .await
    .map_err(reference_error)?;
    touch(&mut tx, caller, scenario_id).await?;
    let row = changes_of(&mut tx, caller.org_id, scenario_id)
        .await?
        .into_iter()
        .find(|row| row.initiative_id == initiative_id)
        .expect("written above");
    tx.commit().await?;
    Ok(row)
}

/// What `remove` takes out of a scenario.
#[derive(Clone, Copy, Debug)]
pub enum Item {
    /// The change of this live initiative.
    Change(Uuid),
    /// This hypothetical initiative.
    Initiative(Uuid),
}

/// Takes a change or a hypothetical initiative out of the scenario (404 when it holds none).
pub async fn remove(
    pool: &TenantPool,
    caller: &Caller,
    scenario_id: Uuid,
    item: Item,
    expected_version: Option<i64>,
) -> Result<(), AppError> {
    let mut tx = pool.begin().await?;
    lock(&mut tx, caller, scenario_id, expected_version).await?;
    let org_id = caller.org_id;
    let deleted = match item {
        Item::Change(id) => sqlx::query!(
            "DELETE FROM scenario_changes WHERE org_id = $1 AND scenario_id = $2 AND initiative_id = $3",
            org_id,
            scenario_id,
            id
        )
        .execute(&mut *tx)
        .await?
        .rows_affected(),
        Item::Initiative(id) => sqlx::query!(
            "DELETE FROM scenario_initiatives WHERE org_id = $1 AND scenario_id = $2 AND id = $3",
            org_id,
            scenario_id,
            id
        )
        .execute(&mut *tx)
        .await?
        .rows_affected(),
    };
    if deleted == 0 {
        return Err(AppError::NotFound);
    }
    touch(&mut tx, caller, scenario_id).await?;
    tx.commit().await?;
    Ok(())
}

/// Adds work that exists only in the scenario, checked as a new initiative would be.
pub async fn add_initiative(
    db: impl Begin<'_>,
    caller: &Caller,
    scenario_id: Uuid,
    expected_version: Option<i64>,
    input: InitiativeChanges,
) -> Result<Hypothetical, AppError> {
    let mut tx = db.begin().await?;
    let scenario = lock(&mut tx, caller, scenario_id, expected_version).await?;
    let values = input.apply(None)?;
    if !in_subtree(&mut tx, caller.org_id, scenario.portfolio_id, values.portfolio_id).await? {
        return Err(AppError::field(
            "portfolio_id",
            "is not the scenario's portfolio or one below it",
        ));
    }
    let id = Uuid::now_v7();
    with_values!(
        r#"INSERT INTO scenario_initiatives (org_id, id, title, description, portfolio_id, owner_id, theme_id,
                                             status, health, progress, effort, budget, start_date, target_date,
                                             reach, impact, confidence, business_value, time_criticality,
                                             risk_reduction, benefit, scenario_id, made_by)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20,
                   $21, $22, $23)"#,
        caller.org_id,
        id,
        values,
        scenario_id,
        caller.user_id
    )
    .execute(&mut *tx)
    .await
    .map_err(reference_error)?;
    touch(&mut tx, caller, scenario_id).await?;
    let added = hypotheticals_of(&mut tx, caller.org_id, scenario_id)
        .await?
        .into_iter()
        .find(|h| h.id == id)
        .expect("written above");
    tx.commit().await?;
    Ok(added)
}

/// Sets a portfolio's own capacity in `period` as the scenario has it.
pub async fn put_capacity(
    pool: &TenantPool,
    caller: &Caller,
    scenario_id: Uuid,
    portfolio_id: Uuid,
    period: Period,
    expected_version: Option<i64>,
    person_weeks: Decimal,
) -> Result<CapacityChange, AppError> {
    let mut tx = pool.begin().await?;
    let scenario = lock(&mut tx, caller, scenario_id, expected_version).await?;
    if !in_subtree(&mut tx, caller.org_id, scenario.portfolio_id, portfolio_id).await? {
        return Err(AppError::NotFound);
    }
    sqlx::query!(
        "INSERT INTO scenario_capacity (org_id, scenario_id, portfolio_id, quarter, person_weeks, made_by)
         VALUES ($1, $2, $3, $4, $5, $6)
         ON CONFLICT (org_id, scenario_id, portfolio_id, quarter) DO UPDATE SET
             person_weeks = excluded.person_weeks, made_by = excluded.made_by, made_at = now()",
        caller.org_id,
        scenario_id,
        portfolio_id,
        period.to_string(),
        person_weeks,
        caller.user_id
    )
    .execute(&mut *tx)
    .await?;
    touch(&mut tx, caller, scenario_id).await?;
    let row = capacity_of(&mut tx, caller.org_id, scenario_id)
        .await?
        .into_iter()
        .find(|row| row.portfolio_id == portfolio_id && row.period == period)
        .expect("written above");
    tx.commit().await?;
    Ok(row)
}

/// Refuses who may not edit the scenario (404 when there is none), for a form refused before it
/// reaches a write: a viewer learns nothing from a form's errors.
pub async fn require_editor(pool: &TenantPool, caller: &Caller, id: Uuid) -> Result<(), AppError> {
    let mut tx = pool.begin().await?;
    let scenario = get_in(&mut tx, caller.org_id, id).await?;
    permissions::require_portfolio_editor(&mut *tx, caller, scenario.portfolio_id).await?;
    tx.commit().await?;
    Ok(())
}

/// The scenario `id` in a transaction, unlocked.
pub(crate) async fn get_in(tx: &mut Tx<'_>, org_id: Uuid, id: Uuid) -> Result<Scenario, AppError> {
    Ok(sqlx::query_as!(
        Scenario,
        "SELECT id, name, portfolio_id, created_by, version, created_at, updated_at
         FROM scenarios WHERE org_id = $1 AND id = $2",
        org_id,
        id
    )
    .fetch_one(&mut **tx)
    .await?)
}

/// The scenario `id`, locked for a write at `expected_version`: unknown is 404, who may not edit
/// its portfolio 403, a stale version 412.
pub(crate) async fn lock(
    tx: &mut Tx<'_>,
    caller: &Caller,
    id: Uuid,
    expected_version: Option<i64>,
) -> Result<Scenario, AppError> {
    let current = sqlx::query_as!(
        Scenario,
        "SELECT id, name, portfolio_id, created_by, version, created_at, updated_at
         FROM scenarios WHERE org_id = $1 AND id = $2 FOR UPDATE",
        caller.org_id,
        id
    )
    .fetch_one(&mut **tx)
    .await?;
    permissions::require_portfolio_editor(&mut **tx, caller, current.portfolio_id).await?;
    check_version(expected_version, current.version)?;
    Ok(current)
}

/// A new version of the scenario, by the caller: what it holds changed.
async fn touch(tx: &mut Tx<'_>, caller: &Caller, id: Uuid) -> Result<(), AppError> {
    sqlx::query!(
        "UPDATE scenarios SET version = version + 1, updated_by = $3, updated_at = now()
         WHERE org_id = $1 AND id = $2",
        caller.org_id,
        id,
        caller.user_id
    )
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Whether `portfolio_id` is `ancestor_id` or below it.
pub(crate) async fn in_subtree(
    tx: &mut Tx<'_>,
    org_id: Uuid,
    ancestor_id: Uuid,
    portfolio_id: Uuid,
) -> Result<bool, AppError> {
    Ok(sqlx::query_scalar!(
        r#"SELECT EXISTS (SELECT 1 FROM portfolio_closure
                          WHERE org_id = $1 AND ancestor_id = $2 AND descendant_id = $3) AS "inside!""#,
        org_id,
        ancestor_id,
        portfolio_id
    )
    .fetch_one(&mut **tx)
    .await?)
}

/// The scenario's changes with the live values beside them, in the order they were made.
pub(crate) async fn changes_of(tx: &mut Tx<'_>, org_id: Uuid, id: Uuid) -> Result<Vec<ChangeRow>, AppError> {
    let rows = sqlx::query!(
        r#"SELECT c.initiative_id, i.key, i.title, c.kept_version, i.version AS current_version, c.sets,
                  c.status AS "status: Status", c.start_date, c.target_date, c.effort, c.progress,
                  c.portfolio_id, c.theme_id,
                  i.status AS "live_status: Status", i.start_date AS live_start_date,
                  i.target_date AS live_target_date, i.effort AS live_effort, i.progress AS live_progress,
                  i.portfolio_id AS live_portfolio_id, i.theme_id AS live_theme_id,
                  c.made_by, u.name AS "made_by_name?", c.made_at
           FROM scenario_changes c
           JOIN initiatives i ON i.org_id = c.org_id AND i.id = c.initiative_id
           LEFT JOIN users u ON u.id = c.made_by
           WHERE c.org_id = $1 AND c.scenario_id = $2
           ORDER BY c.made_at, c.initiative_id"#,
        org_id,
        id
    )
    .fetch_all(&mut **tx)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| {
            use serde_json::json;
            let pairs = [
                ("status", json!(r.live_status), json!(r.status)),
                ("start_date", json!(r.live_start_date), json!(r.start_date)),
                ("target_date", json!(r.live_target_date), json!(r.target_date)),
                ("effort", json!(r.live_effort), json!(r.effort)),
                ("progress", json!(r.live_progress), json!(r.progress)),
                ("portfolio_id", json!(r.live_portfolio_id), json!(r.portfolio_id)),
                ("theme_id", json!(r.live_theme_id), json!(r.theme_id)),
            ];
            let fields = pairs
                .into_iter()
                .filter(|(field, _, _)| r.sets.iter().any(|set| set == field))
                .map(|(field, live, scenario)| ChangedField {
                    field: field.to_owned(),
                    live,
                    scenario,
                })
                .collect();
            ChangeRow {
                initiative_id: r.initiative_id,
                key: r.key,
                title: r.title,
                kept_version: r.kept_version,
                current_version: r.current_version,
                fields,
                made_by: author(r.made_by, r.made_by_name),
                made_at: r.made_at,
            }
        })
        .collect())
}

fn author(id: Option<Uuid>, name: Option<String>) -> Option<Author> {
    id.zip(name).map(|(id, name)| Author { id, name })
}

pub(crate) async fn hypotheticals_of(
    tx: &mut Tx<'_>,
    org_id: Uuid,
    id: Uuid,
) -> Result<Vec<Hypothetical>, AppError> {
    let rows = sqlx::query!(
        r#"SELECT h.id, h.title, h.description, h.portfolio_id, h.owner_id, h.theme_id, h.status AS "status: Status",
                  h.health AS "health: Health", h.progress, h.effort, h.budget,
                  h.start_date AS "start_date: NaiveDate", h.target_date AS "target_date: NaiveDate", h.reach,
                  h.impact, h.confidence, h.business_value, h.time_criticality, h.risk_reduction, h.benefit,
                  h.made_by, u.name AS "made_by_name?", h.made_at
           FROM scenario_initiatives h
           LEFT JOIN users u ON u.id = h.made_by
           WHERE h.org_id = $1 AND h.scenario_id = $2
           ORDER BY h.made_at, h.id"#,
        org_id,
        id
    )
    .fetch_all(&mut **tx)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| Hypothetical {
            id: r.id,
            values: values_from_row!(r),
            made_by: author(r.made_by, r.made_by_name),
            made_at: r.made_at,
        })
        .collect())
}

pub(crate) async fn capacity_of(
    tx: &mut Tx<'_>,
    org_id: Uuid,
    id: Uuid,
) -> Result<Vec<CapacityChange>, AppError> {
    let rows = sqlx::query!(
        r#"SELECT k.portfolio_id, p.name AS portfolio_name, k.quarter, k.person_weeks,
                  coalesce(live.person_weeks, 0) AS "live_person_weeks!", k.made_by, u.name AS "made_by_name?",
                  k.made_at
           FROM scenario_capacity k
           JOIN portfolios p ON p.org_id = k.org_id AND p.id = k.portfolio_id
           LEFT JOIN portfolio_capacity live
                  ON live.org_id = k.org_id AND live.portfolio_id = k.portfolio_id AND live.quarter = k.quarter
           LEFT JOIN users u ON u.id = k.made_by
           WHERE k.org_id = $1 AND k.scenario_id = $2
           ORDER BY p.name, k.quarter"#,
        org_id,
        id
    )
    .fetch_all(&mut **tx)
    .await?;
    rows.into_iter()
        .map(|r| {
            Ok(CapacityChange {
                portfolio_id: r.portfolio_id,
                portfolio_name: r.portfolio_name,
                period: r.quarter.parse().map_err(|_| AppError::NotFound)?,
                person_weeks: r.person_weeks.normalize(),
                live_person_weeks: r.live_person_weeks.normalize(),
                made_by: author(r.made_by, r.made_by_name),
                made_at: r.made_at,
            })
        })
        .collect()
}

/// The initiatives a scenario changes, and those of them and of its hypothetical work that pass
/// `filter` (subtree included) as the scenario has them, in the shape lists read: what the
/// scenario's priorities merge into the live order. Hypothetical work has an empty key.
pub(crate) async fn listed_in(
    tx: &mut Tx<'_>,
    org_id: Uuid,
    id: Uuid,
    filter: &InitiativeFilter,
) -> Result<(Vec<Uuid>, Vec<ListedInitiative>), AppError> {
    let changed = sqlx::query_scalar!(
        "SELECT initiative_id FROM scenario_changes WHERE org_id = $1 AND scenario_id = $2",
        org_id,
        id
    )
    .fetch_all(&mut **tx)
    .await?;
    // A field the change sets is the change's, every other the live row's.
    let listed = sqlx::query_as!(
        ListedInitiative,
        r#"WITH flags AS MATERIALIZED (
               SELECT initiative_id, planned FROM scenario_conflicts($1, $2)
           ), shown AS (
               SELECT i.id, i.key, i.title, i.owner_id, i.health, i.budget, i.reach, i.impact, i.confidence,
                      i.business_value, i.time_criticality, i.risk_reduction, i.benefit, i.scorecard_value,
                      i.rank, i.updated_at, i.number, i.demand_requests, i.demand_customers,
                      i.demand_customer_value, i.demand_importance,
                      coalesce((SELECT f.planned FROM flags f WHERE f.initiative_id = i.id), i.dependency_conflict)
                          AS dependency_conflict,
                      CASE WHEN 'portfolio_id' = ANY(c.sets) THEN c.portfolio_id ELSE i.portfolio_id END AS portfolio_id,
                      CASE WHEN 'theme_id' = ANY(c.sets) THEN c.theme_id ELSE i.theme_id END AS theme_id,
                      CASE WHEN 'status' = ANY(c.sets) THEN c.status ELSE i.status END AS status,
                      CASE WHEN 'progress' = ANY(c.sets) THEN c.progress ELSE i.progress END AS progress,
                      CASE WHEN 'effort' = ANY(c.sets) THEN c.effort ELSE i.effort END AS effort,
                      CASE WHEN 'start_date' = ANY(c.sets) THEN c.start_date ELSE i.start_date END AS start_date,
                      CASE WHEN 'target_date' = ANY(c.sets) THEN c.target_date ELSE i.target_date END AS target_date
               FROM scenario_changes c
               JOIN initiatives i ON i.org_id = c.org_id AND i.id = c.initiative_id
               WHERE c.org_id = $1 AND c.scenario_id = $2
               UNION ALL
               SELECT h.id, '', h.title, h.owner_id, h.health, h.budget, h.reach, h.impact, h.confidence,
                      h.business_value, h.time_criticality, h.risk_reduction, h.benefit, NULL::numeric, NULL::numeric,
                      h.made_at, NULL::bigint, 0, 0, 0::bigint, 0, false, h.portfolio_id, h.theme_id, h.status, h.progress, h.effort, h.start_date, h.target_date
               FROM scenario_initiatives h
               WHERE h.org_id = $1 AND h.scenario_id = $2
           )
           SELECT i.id AS "id!", i.key AS "key!", i.title AS "title!", i.portfolio_id AS "portfolio_id!",
                  p.name AS portfolio_name, u.name AS "owner_name?", th.name AS "theme_name?",
                  i.status AS "status!: Status", i.health AS "health!: Health", i.progress AS "progress!",
                  i.effort AS "effort!", i.budget, i.start_date, i.target_date, i.reach, i.impact, i.confidence,
                  i.business_value, i.time_criticality, i.risk_reduction, i.benefit, i.scorecard_value,
                  i.rank, i.updated_at AS "updated_at!",
                  -- As the scenario's roll-up counts them (migrations/0024, 0026).
                  i.dependency_conflict AS "dependency_conflict!",
                  coalesce(initiative_optimistic_from(i.status, i.health, i.progress, i.start_date, i.target_date,
                                                      (SELECT o.optimism_threshold FROM organizations o WHERE o.id = $1))
                           <= (SELECT (now() AT TIME ZONE o.time_zone)::date FROM organizations o WHERE o.id = $1),
                           false) AS "optimistic!",
                  i.demand_requests AS "demand_requests!", i.demand_customers AS "demand_customers!",
                  i.demand_customer_value AS "demand_customer_value!", i.demand_importance AS "demand_importance!"
           FROM shown i
           JOIN portfolios p ON p.org_id = $1 AND p.id = i.portfolio_id
           LEFT JOIN users u ON u.id = i.owner_id
           LEFT JOIN themes th ON th.org_id = $1 AND th.id = i.theme_id
           WHERE i.portfolio_id IN (SELECT descendant_id FROM portfolio_closure WHERE org_id = $1 AND ancestor_id = $3)
             AND initiative_passes(i.status, i.health, i.owner_id, i.theme_id, i.target_date,
                   $4, $5, $6, $7, $8, $9, $10,
                   (SELECT (now() AT TIME ZONE o.time_zone)::date FROM organizations o WHERE o.id = $1))
             AND initiative_in_quarter(i.start_date, i.target_date, $11,
                   (SELECT o.fiscal_year_start_month FROM organizations o WHERE o.id = $1))
           ORDER BY i.number NULLS LAST, i.updated_at, i.id"#,
        org_id,
        id,
        filter.portfolio_id,
        filter.status.map(Status::as_str),
        filter.health.map(Health::as_str),
        filter.owner_id,
        filter.theme_id,
        filter.unthemed,
        filter.late,
        filter.scope.map(crate::domain::WorkScope::as_str),
        filter.quarter.map(|q| q.to_string())
    )
    .fetch_all(&mut **tx)
    .await?;
    Ok((changed, listed))
}

/// A reference that vanished or never belonged to the organization, named by field.
fn reference_error(error: sqlx::Error) -> AppError {
    map_constraint(error, |constraint| {
        if constraint.ends_with("portfolio_id_fkey") {
            Some(AppError::field(
                "portfolio_id",
                "is not a portfolio of this organization",
            ))
        } else if constraint.ends_with("theme_id_fkey") {
            Some(AppError::field("theme_id", "is not a theme of this organization"))
        } else if constraint.ends_with("owner_id_fkey") {
            Some(AppError::field(
                "owner_id",
                "is not a member of this organization",
            ))
        } else {
            None
        }
    })
}

/// `POST /scenarios/{id}/apply`: what was made real, and what was held back.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct ApplyResult {
    /// The baseline taken just before (SPEC §10), named after the scenario.
    pub baseline_id: Uuid,
    pub applied: Vec<AppliedChange>,
    pub conflicts: Vec<ApplyConflict>,
}

/// One change made real: a live initiative changed, a hypothetical one created, or a capacity set.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct AppliedChange {
    /// `change`, `initiative` or `capacity`.
    pub kind: &'static str,
    pub initiative_id: Option<Uuid>,
    pub key: Option<String>,
    /// The initiative's title, or the portfolio's name for a capacity.
    pub title: String,
    pub period: Option<Period>,
}

/// A change held back: its initiative changed since the change was made. Redo it (`PUT` the change
/// again) to apply it over what is live now.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct ApplyConflict {
    pub initiative_id: Uuid,
    pub key: String,
    pub title: String,
    pub kept_version: i64,
    pub current_version: i64,
}

/// A stored change as the client sent it.
struct StoredChange {
    initiative_id: Uuid,
    kept_version: i64,
    current_version: i64,
    key: String,
    title: String,
    sets: Vec<String>,
    status: Option<Status>,
    start_date: Option<NaiveDate>,
    target_date: Option<NaiveDate>,
    effort: Option<f64>,
    progress: Option<i16>,
    portfolio_id: Option<Uuid>,
    theme_id: Option<Uuid>,
}

impl StoredChange {
    fn input(&self) -> ChangeInput {
        let has = |field: &str| self.sets.iter().any(|set| set == field);
        ChangeInput {
            status: self.status.filter(|_| has("status")),
            start_date: has("start_date").then_some(self.start_date),
            target_date: has("target_date").then_some(self.target_date),
            effort: self.effort.filter(|_| has("effort")),
            progress: self.progress.filter(|_| has("progress")).map(i64::from),
            portfolio_id: self.portfolio_id.filter(|_| has("portfolio_id")),
            theme_id: has("theme_id").then_some(self.theme_id),
        }
    }
}

/// Applies the chosen changes of a scenario in one transaction (SPEC §9): a baseline of the
/// scenario's portfolio first, then each change as a real write guarded by the version kept with
/// it (a change whose initiative moved on is held back as a conflict and stays in the scenario),
/// hypothetical initiatives created, capacities set. What was applied leaves the scenario. The
/// scenario's row lock makes two applies of one scenario queue: the second finds what the first
/// applied gone.
pub async fn apply(
    pool: &TenantPool,
    caller: &Caller,
    scenario_id: Uuid,
    chosen: &Chosen,
) -> Result<ApplyResult, AppError> {
    let org_id = caller.org_id;
    let mut tx = pool.begin().await?;
    let scenario = lock(&mut tx, caller, scenario_id, None).await?;
    // The live rows are locked in id order, as every writer of several initiatives does.
    let changes: Vec<StoredChange> = sqlx::query_as!(
        StoredChange,
        r#"SELECT c.initiative_id, c.kept_version, i.version AS current_version, i.key, i.title, c.sets,
                  c.status AS "status: Status", c.start_date, c.target_date, c.effort, c.progress,
                  c.portfolio_id, c.theme_id
           FROM scenario_changes c
           JOIN initiatives i ON i.org_id = c.org_id AND i.id = c.initiative_id
           WHERE c.org_id = $1 AND c.scenario_id = $2
           ORDER BY c.initiative_id
           FOR UPDATE OF i"#,
        org_id,
        scenario_id
    )
    .fetch_all(&mut *tx)
    .await?
    .into_iter()
    .filter(|change| chosen.includes(change.initiative_id))
    .collect();
    let hypotheticals: Vec<Hypothetical> = hypotheticals_of(&mut tx, org_id, scenario_id)
        .await?
        .into_iter()
        .filter(|h| chosen.includes(h.id))
        .collect();
    let capacities = match chosen.includes_capacity() {
        true => capacity_of(&mut tx, org_id, scenario_id).await?,
        false => Vec::new(),
    };
    if changes.is_empty() && hypotheticals.is_empty() && capacities.is_empty() {
        return Err(AppError::Conflict(
            "the scenario holds none of the chosen changes: nothing to apply".to_owned(),
        ));
    }
    // The moment before, to look back on what the apply changed (SPEC §10).
    let baseline_id = super::baselines::take_in(
        &mut tx,
        org_id,
        Some(caller.user_id),
        scenario.portfolio_id,
        &format!("Before applying {}", scenario.name),
    )
    .await?;
    let note = format!("Applied from scenario {}", scenario.name);
    let mut applied = Vec::new();
    let mut conflicts = Vec::new();
    for change in &changes {
        if change.kept_version != change.current_version {
            conflicts.push(ApplyConflict {
                initiative_id: change.initiative_id,
                key: change.key.clone(),
                title: change.title.clone(),
                kept_version: change.kept_version,
                current_version: change.current_version,
            });
            continue;
        }
        let patch = change.input().as_patch();
        let updated = super::initiatives::apply_from_scenario(
            &mut tx,
            caller,
            change.initiative_id,
            change.kept_version,
            patch,
            &note,
        )
        .await?;
        applied.push(AppliedChange {
            kind: "change",
            initiative_id: Some(updated.id),
            key: Some(updated.key.clone()),
            title: updated.title.clone(),
            period: None,
        });
    }
    for hypothetical in &hypotheticals {
        let created = super::initiatives::create(
            &mut tx,
            caller,
            InitiativeChanges::from(hypothetical.values.clone()),
            None,
        )
        .await?;
        applied.push(AppliedChange {
            kind: "initiative",
            initiative_id: Some(created.id),
            key: Some(created.key.clone()),
            title: created.title.clone(),
            period: None,
        });
    }
    for capacity in &capacities {
        super::capacity::set_in(
            &mut tx,
            caller,
            capacity.portfolio_id,
            capacity.period,
            capacity.person_weeks,
            None,
        )
        .await?;
        applied.push(AppliedChange {
            kind: "capacity",
            initiative_id: None,
            key: None,
            title: capacity.portfolio_name.clone(),
            period: Some(capacity.period),
        });
    }
    // What was applied leaves the scenario; the conflicts stay to be redone.
    let applied_changes: Vec<Uuid> = changes
        .iter()
        .filter(|change| change.kept_version == change.current_version)
        .map(|change| change.initiative_id)
        .collect();
    let created: Vec<Uuid> = hypotheticals.iter().map(|h| h.id).collect();
    sqlx::query!(
        "DELETE FROM scenario_changes WHERE org_id = $1 AND scenario_id = $2 AND initiative_id = ANY($3)",
        org_id,
        scenario_id,
        &applied_changes
    )
    .execute(&mut *tx)
    .await?;
    sqlx::query!(
        "DELETE FROM scenario_initiatives WHERE org_id = $1 AND scenario_id = $2 AND id = ANY($3)",
        org_id,
        scenario_id,
        &created
    )
    .execute(&mut *tx)
    .await?;
    if !capacities.is_empty() {
        sqlx::query!(
            "DELETE FROM scenario_capacity WHERE org_id = $1 AND scenario_id = $2",
            org_id,
            scenario_id
        )
        .execute(&mut *tx)
        .await?;
    }
    touch(&mut tx, caller, scenario_id).await?;
    let result = ApplyResult {
        baseline_id,
        applied,
        conflicts,
    };
    super::webhooks::emit(
        &mut tx,
        org_id,
        crate::domain::WebhookEvent::ScenarioApplied.as_str(),
        &serde_json::json!({
            "scenario_id": scenario_id,
            "name": scenario.name,
            "portfolio_id": scenario.portfolio_id,
            "applied_by": caller.user_id,
            "result": result,
        }),
    )
    .await?;
    tx.commit().await?;
    Ok(result)
}
