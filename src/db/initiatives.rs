//! Initiatives: keys from the organization's counter, filtered lists, and edits that write history.

use super::TenantPool;
use super::tenant::Begin;
use crate::domain::permissions::may_write;
use crate::error::forbidden_unless;
use chrono::NaiveDate;
use uuid::Uuid;

use super::status_updates::StatusUpdate;
use super::users::Caller;
use super::{Tx, check_version, lock_org, permissions, scorecard, status_updates};
use crate::domain::initiative::{InitiativeChanges, InitiativeFilter, InitiativeValues};
use crate::domain::page::{Page, PageRequest};
use crate::domain::scorecard::{DriverValuesInput, parse_values};
use crate::domain::scores::Scores;
use crate::domain::status_update::StatusUpdateInput;
use crate::domain::{FieldErrors, Health, Status, WorkScope};
use crate::error::{AppError, map_constraint};
use rust_decimal::Decimal;

/// A stored initiative: its key, its values and its version.
#[derive(Clone, Debug, serde::Serialize, utoipa::ToSchema)]
pub struct Initiative {
    pub id: Uuid,
    pub key: String,
    #[serde(flatten)]
    pub values: InitiativeValues,
    /// The scorecard's value 0–100 (SPEC §8), kept by migrations/0019_scorecard.sql; null while
    /// the organization has no drivers.
    #[schema(value_type = Option<f64>)]
    #[serde(with = "rust_decimal::serde::float_option")]
    pub scorecard_value: Option<Decimal>,
    /// The organization's unit of `benefit`, which MoAR's formula names.
    #[serde(skip)]
    pub benefit_unit: String,
    pub version: i64,
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub updated_at: chrono::DateTime<chrono::Utc>,
    /// At least one of its blockers is in conflict with it (SPEC §10); kept by migrations/0024.
    pub dependency_conflict: bool,
    /// The day from which it is optimistic at the organization's threshold (SPEC §10), if it is
    /// in progress and declared on track: see `optimistic_on`.
    #[serde(skip)]
    pub optimistic_from: Option<chrono::NaiveDate>,
    /// The customer feedback linked to it, summed (SPEC §11); kept by migrations/0028.
    pub demand: crate::domain::feedback::Demand,
    /// Where it was imported from, which a re-import finds it by (`jira:<Issue key>`, SPEC §12);
    /// null for work made in Cairn.
    pub external_ref: Option<String>,
}

/// The `InitiativeValues` of a row that selects every value by its column's name.
macro_rules! values_from_row {
    ($r:ident) => {{
        $crate::domain::initiative::InitiativeValues {
            title: $r.title,
            description: $r.description,
            portfolio_id: $r.portfolio_id,
            owner_id: $r.owner_id,
            theme_id: $r.theme_id,
            status: $r.status,
            health: $r.health,
            progress: $r.progress,
            effort: $r.effort,
            budget: $r.budget,
            start_date: $r.start_date,
            target_date: $r.target_date,
            reach: $r.reach,
            impact: $r.impact,
            confidence: $r.confidence,
            business_value: $r.business_value,
            time_criticality: $r.time_criticality,
            risk_reduction: $r.risk_reduction,
            benefit: $r.benefit,
        }
    }};
}
pub(crate) use values_from_row;

/// An `Initiative` from a row that selects `id`, `key`, every value, `version` and the timestamps.
macro_rules! initiative_from_row {
    ($row:expr) => {{
        let r = $row;
        Initiative {
            id: r.id,
            key: r.key,
            values: $crate::db::initiatives::values_from_row!(r),
            scorecard_value: r.scorecard_value,
            benefit_unit: r.benefit_unit,
            version: r.version,
            created_at: r.created_at,
            updated_at: r.updated_at,
            dependency_conflict: r.dependency_conflict,
            optimistic_from: r.optimistic_from,
            external_ref: r.external_ref,
            demand: $crate::domain::feedback::Demand {
                requests: r.demand_requests,
                customers: r.demand_customers,
                customer_value: r.demand_customer_value,
                importance: r.demand_importance,
            },
        }
    }};
}
pub(crate) use initiative_from_row;

/// An initiative reads as its values: `initiative.title`.
impl std::ops::Deref for Initiative {
    type Target = InitiativeValues;

    fn deref(&self) -> &InitiativeValues {
        &self.values
    }
}

impl Initiative {
    pub fn values(&self) -> InitiativeValues {
        self.values.clone()
    }

    /// Whether it is optimistic on `today` (SPEC §10): the kept day has come.
    pub fn optimistic_on(&self, today: chrono::NaiveDate) -> bool {
        self.optimistic_from.is_some_and(|day| day <= today)
    }

    /// Its four scores with their formulas (SPEC §8).
    pub fn scores(&self) -> Scores {
        self.values.scores(&self.benefit_unit, self.scorecard_value)
    }
}

/// An initiative as the API shows it: its stored fields and the figures derived from them.
#[derive(Clone, Debug, serde::Serialize, utoipa::ToSchema)]
pub struct InitiativeJson {
    #[serde(flatten)]
    pub initiative: Initiative,
    /// RICE as `scores.rice` (kept from before the other scores).
    #[schema(value_type = Option<f64>)]
    #[serde(with = "rust_decimal::serde::float_option")]
    pub rice_score: Option<Decimal>,
    pub scores: ScoreValues,
    /// Each score's formula with its inputs filled in, null with the score.
    pub score_formulas: ScoreFormulas,
}

/// The four scores (SPEC §8), two decimals, each null while an input is missing.
#[derive(Clone, Debug, serde::Serialize, utoipa::ToSchema)]
pub struct ScoreValues {
    #[schema(value_type = Option<f64>)]
    #[serde(with = "rust_decimal::serde::float_option")]
    pub rice: Option<Decimal>,
    #[schema(value_type = Option<f64>)]
    #[serde(with = "rust_decimal::serde::float_option")]
    pub wsjf: Option<Decimal>,
    #[schema(value_type = Option<f64>)]
    #[serde(with = "rust_decimal::serde::float_option")]
    pub moar: Option<Decimal>,
    #[schema(value_type = Option<f64>)]
    #[serde(with = "rust_decimal::serde::float_option")]
    pub scorecard: Option<Decimal>,
}

/// The formulas of the four scores: "WSJF 6.00 = (20 + 20 + 20) ÷ 10 pw".
#[derive(Clone, Debug, serde::Serialize, utoipa::ToSchema)]
pub struct ScoreFormulas {
    pub rice: Option<String>,
    pub wsjf: Option<String>,
    pub moar: Option<String>,
    pub scorecard: Option<String>,
}

impl From<Initiative> for InitiativeJson {
    fn from(initiative: Initiative) -> Self {
        let scores = initiative.scores();
        InitiativeJson {
            rice_score: scores.rice.value,
            scores: ScoreValues {
                rice: scores.rice.value,
                wsjf: scores.wsjf.value,
                moar: scores.moar.value,
                scorecard: scores.scorecard.value,
            },
            score_formulas: ScoreFormulas {
                rice: scores.rice.explained(),
                wsjf: scores.wsjf.explained(),
                moar: scores.moar.explained(),
                scorecard: scores.scorecard.explained(),
            },
            initiative,
        }
    }
}

/// A page of the initiatives that pass `filter`, newest first (keyset on the id). The list page
/// orders otherwise: `initiative_lists::search` applies the same filter.
pub async fn list(
    pool: &TenantPool,
    filter: &InitiativeFilter,
    page: &PageRequest,
) -> Result<Page<Initiative>, AppError> {
    let org_id = pool.org_id();
    let rows = sqlx::query!(
        r#"SELECT id, key, title, description, portfolio_id, owner_id, theme_id, status AS "status: Status",
                  health AS "health: Health", progress, effort, budget, start_date AS "start_date: NaiveDate", target_date AS "target_date: NaiveDate", reach, impact,
                  confidence, business_value, time_criticality, risk_reduction, benefit, scorecard_value,
                  (SELECT o.benefit_unit FROM organizations o WHERE o.id = org_id) AS "benefit_unit!",
                  version, created_at, updated_at, dependency_conflict, optimistic_from, external_ref,
                  demand_requests, demand_customers, demand_customer_value, demand_importance
           FROM initiatives i
           WHERE org_id = $1
             AND ($2::uuid IS NULL OR portfolio_id IN (
                     SELECT descendant_id FROM portfolio_closure WHERE org_id = $1 AND ancestor_id = $2))
             AND initiative_passes(status, health, owner_id, theme_id, target_date,
                   $3, $4, $5, $6, $7, $8, $9,
                   (SELECT (now() AT TIME ZONE o.time_zone)::date FROM organizations o WHERE o.id = $1))
             AND ($10::uuid IS NULL OR id < $10)
             AND initiative_in_quarter(start_date, target_date, $12,
                   (SELECT o.fiscal_year_start_month FROM organizations o WHERE o.id = $1))
             AND (NOT $13 OR dependency_conflict)
             AND (NOT $14 OR optimistic_from <= (SELECT (now() AT TIME ZONE o.time_zone)::date
                                                FROM organizations o WHERE o.id = $1))
             AND initiative_in_groups(org_id, id, portfolio_id, owner_id, $15, $16, $17, $18, $19, $20, $21)
           ORDER BY id DESC LIMIT $11"#,
        org_id,
        filter.portfolio_id,
        filter.status.map(Status::as_str),
        filter.health.map(Health::as_str),
        filter.owner_id,
        filter.theme_id,
        filter.unthemed,
        filter.late,
        filter.scope.map(WorkScope::as_str),
        page.after,
        page.fetch_limit(),
        filter.quarter.map(|q| q.to_string()),
        filter.dependency_conflict,
        filter.optimistic,
        filter.objective_id,
        filter.lifecycle.map(crate::domain::Lifecycle::as_str),
        filter.level.map(crate::domain::PortfolioLevel::as_str),
        filter.unowned,
        filter.unstaged,
        filter.no_objective,
        filter.objective_period.map(|p| p.to_string())
    )
    .map(|r| initiative_from_row!(r))
    .fetch_all(pool)
    .await?;
    Ok(Page::from_rows(rows, page, |initiative| initiative.id))
}

pub async fn get(pool: &TenantPool, id: Uuid) -> Result<Initiative, AppError> {
    let org_id = pool.org_id();
    Ok(sqlx::query!(
        r#"SELECT id, key, title, description, portfolio_id, owner_id, theme_id, status AS "status: Status",
                  health AS "health: Health", progress, effort, budget, start_date AS "start_date: NaiveDate", target_date AS "target_date: NaiveDate", reach, impact,
                  confidence, business_value, time_criticality, risk_reduction, benefit, scorecard_value,
                  (SELECT o.benefit_unit FROM organizations o WHERE o.id = org_id) AS "benefit_unit!",
                  version, created_at, updated_at, dependency_conflict, optimistic_from, external_ref,
                  demand_requests, demand_customers, demand_customer_value, demand_importance
           FROM initiatives WHERE org_id = $1 AND id = $2"#,
        org_id,
        id
    )
    .map(|r| initiative_from_row!(r))
    .fetch_one(pool)
    .await?)
}

/// The id of the initiative whose key is `key` ("NW-12"; keys are upper case), if one is.
pub async fn id_of_key(pool: &TenantPool, key: &str) -> Result<Option<Uuid>, AppError> {
    Ok(sqlx::query_scalar!(
        "SELECT id FROM initiatives WHERE org_id = $1 AND key = upper($2)",
        pool.org_id(),
        key.trim()
    )
    .fetch_optional(pool)
    .await?)
}

/// Which of `ids` are initiatives of the organization now.
pub async fn existing(pool: &TenantPool, ids: &[Uuid]) -> Result<Vec<Uuid>, AppError> {
    Ok(sqlx::query_scalar!(
        "SELECT id FROM initiatives WHERE org_id = $1 AND id = ANY ($2)",
        pool.org_id(),
        ids
    )
    .fetch_all(pool)
    .await?)
}

/// The initiatives `owner_id` owns, for their `/my` page: open work first, least recently
/// updated first (what most needs a check-in), finished work after it; at most `limit`.
pub async fn owned_by(pool: &TenantPool, owner_id: Uuid, limit: i64) -> Result<Vec<Initiative>, AppError> {
    let org_id = pool.org_id();
    Ok(sqlx::query!(
        r#"SELECT id, key, title, description, portfolio_id, owner_id, theme_id, status AS "status: Status",
                  health AS "health: Health", progress, effort, budget, start_date AS "start_date: NaiveDate", target_date AS "target_date: NaiveDate", reach, impact,
                  confidence, business_value, time_criticality, risk_reduction, benefit, scorecard_value,
                  (SELECT o.benefit_unit FROM organizations o WHERE o.id = org_id) AS "benefit_unit!",
                  version, created_at, updated_at, dependency_conflict, optimistic_from, external_ref,
                  demand_requests, demand_customers, demand_customer_value, demand_importance
           FROM initiatives i
           WHERE org_id = $1 AND owner_id = $2
           -- Open work first, the longest since its last update (domain::status_update::last_updated).
           ORDER BY NOT initiative_is_open(status),
                    COALESCE((SELECT max(s.created_at) FROM status_updates s
                              WHERE s.org_id = i.org_id AND s.initiative_id = i.id), i.created_at),
                    id
           LIMIT $3"#,
        org_id,
        owner_id,
        limit
    )
    .map(|r| initiative_from_row!(r))
    .fetch_all(pool)
    .await?)
}

/// A statement over an initiative's values: `$1` the organization, `$2` the id, `$3`–`$21` the
/// values in `InitiativeValues`' order, then `$extra`s. The one place the values are bound, for
/// the INSERT and the UPDATE.
macro_rules! with_values {
    ($sql:literal, $org_id:expr, $id:expr, $values:expr $(, $extra:expr)*) => {{
        let v = &$values;
        sqlx::query!(
            $sql,
            $org_id,
            $id,
            v.title,
            v.description,
            v.portfolio_id,
            v.owner_id,
            v.theme_id,
            v.status.as_str(),
            v.health.as_str(),
            v.progress,
            v.effort,
            v.budget,
            v.start_date,
            v.target_date,
            v.reach,
            v.impact,
            v.confidence,
            v.business_value,
            v.time_criticality,
            v.risk_reduction,
            v.benefit
            $(, $extra)*
        )
    }};
}
pub(crate) use with_values;

/// Creates an initiative in a portfolio the caller may edit, keyed `<PREFIX>-<n>`; with `scores`
/// (the new-initiative form), its scorecard driver values too, by `PUT …/scores`' rule.
pub async fn create(
    db: impl Begin<'_>,
    caller: &Caller,
    changes: InitiativeChanges,
    scores: Option<&DriverValuesInput>,
) -> Result<Initiative, AppError> {
    forbidden_unless(may_write(caller))?;
    let mut tx = db.begin().await?;
    let values = match changes.apply(None) {
        Ok(values) => values,
        Err(mut errors) => {
            if let Some(input) = scores {
                // Every problem at once; nothing is written, so the drivers are read as they are.
                if let Err(more) = parse_values(input, &scorecard::scales(&mut *tx, caller.org_id).await?) {
                    errors.merge(more);
                }
            }
            return Err(errors.into());
        }
    };
    permissions::require_portfolio_home(&mut tx, caller, values.portfolio_id).await?;
    let counter = sqlx::query!(
        r#"UPDATE organizations SET next_initiative_number = next_initiative_number + 1 WHERE id = $1
           RETURNING next_initiative_number - 1 AS "number!", key_prefix"#,
        caller.org_id
    )
    .fetch_one(&mut *tx)
    .await?;
    let id = Uuid::now_v7();
    with_values!(
        r#"INSERT INTO initiatives (org_id, id, title, description, portfolio_id, owner_id, theme_id, status,
                                    health, progress, effort, budget, start_date, target_date, reach,
                                    impact, confidence, business_value, time_criticality, risk_reduction,
                                    benefit, number, key)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19,
                   $20, $21, $22, $23)"#,
        caller.org_id,
        id,
        values,
        counter.number,
        format!("{}-{}", counter.key_prefix, counter.number)
    )
    .execute(&mut *tx)
    .await
    .map_err(reference_error)?;
    if let Some(input) = scores {
        // The insert holds the scorecard lock shared (migrations/0019_scorecard.sql) from here to
        // the commit, so no driver changes between these checks and the write; taken in the
        // order every create takes it, after the organization's row.
        let driver_values = parse_values(input, &scorecard::scales(&mut *tx, caller.org_id).await?)?;
        scorecard::store_values(&mut tx, caller.org_id, id, &driver_values).await?;
    }
    let created = fetch(&mut tx, caller.org_id, id, false).await?;
    tx.commit().await?;
    Ok(created)
}

/// Changes an initiative if it is still at `expected_version` (PATCH and the edit form); a change
/// of status, health or progress is recorded in its history by the same transaction. With
/// `scores` (the edit form), its scorecard driver values are set too, by `PUT …/scores`' rule,
/// under the same version.
pub async fn update(
    pool: &TenantPool,
    caller: &Caller,
    id: Uuid,
    expected_version: Option<i64>,
    changes: InitiativeChanges,
    scores: Option<&DriverValuesInput>,
) -> Result<Initiative, AppError> {
    let (updated, _) = write(pool, caller, id, expected_version, scores, |before| {
        Ok((changes.apply(Some(before))?, None))
    })
    .await?;
    Ok(updated)
}

/// Makes a scenario's change real (SPEC §9) inside the apply's transaction: the same write as a
/// PATCH at `kept_version`; a change of status, health or progress is recorded in the history
/// with `note` ("Applied from scenario …").
pub async fn apply_from_scenario(
    tx: &mut Tx<'_>,
    caller: &Caller,
    id: Uuid,
    kept_version: i64,
    changes: InitiativeChanges,
    note: &str,
) -> Result<Initiative, AppError> {
    let (updated, _) = write(&mut *tx, caller, id, Some(kept_version), None, |before| {
        let values = changes.apply(Some(before))?;
        let note = (values.tracked() != before.tracked()).then(|| note.to_owned());
        Ok((values, note))
    })
    .await?;
    Ok(updated)
}

/// Records a status update (`POST …/updates` and the quick update forms): the initiative takes
/// the new values and a new version, and its history the record, in one transaction.
pub async fn record_status_update(
    db: impl Begin<'_>,
    caller: &Caller,
    id: Uuid,
    expected_version: Option<i64>,
    input: StatusUpdateInput,
) -> Result<(Initiative, StatusUpdate), AppError> {
    let (updated, recorded) = write(db, caller, id, expected_version, None, |before| {
        input.apply(before)
    })
    .await?;
    Ok((
        updated,
        recorded.expect("a status update always changes a value or carries a note"),
    ))
}

/// The one way an initiative is changed. Under the row's lock: who may, whether the writer saw
/// the current version, then `edit` computes the new values (and a note) from the current ones,
/// and `scores`, if given, replace its driver values. Concurrent writers queue on the lock, so
/// none is lost and history follows the order applied.
async fn write(
    db: impl Begin<'_>,
    caller: &Caller,
    id: Uuid,
    expected_version: Option<i64>,
    scores: Option<&DriverValuesInput>,
    edit: impl FnOnce(&InitiativeValues) -> Result<(InitiativeValues, Option<String>), FieldErrors>,
) -> Result<(Initiative, Option<StatusUpdate>), AppError> {
    let mut tx = db.begin().await?;
    if scores.is_some() {
        // Before the initiative's row lock, as every driver write takes them.
        lock_org(&mut tx, caller.org_id, "scorecard").await?;
    }
    let current = lock_for_edit(&mut tx, caller, id, expected_version).await?;
    let before = current.values();
    let driver_values = match scores {
        Some(input) => Some(parse_values(
            input,
            &scorecard::scales(&mut *tx, caller.org_id).await?,
        )),
        None => None,
    };
    let ((values, note), driver_values) = both_valid(edit(&before), driver_values.transpose())?;
    if values.portfolio_id != before.portfolio_id {
        // Moving work into a portfolio needs the right to create work there.
        permissions::require_portfolio_home(&mut tx, caller, values.portfolio_id).await?;
    }
    with_values!(
        r#"UPDATE initiatives SET title = $3, description = $4, portfolio_id = $5, owner_id = $6, theme_id = $7,
                  status = $8, health = $9, progress = $10, effort = $11, budget = $12, start_date = $13,
                  target_date = $14, reach = $15, impact = $16, confidence = $17, business_value = $18,
                  time_criticality = $19, risk_reduction = $20, benefit = $21, updated_by = $22,
                  version = version + 1, updated_at = now()
           WHERE org_id = $1 AND id = $2"#,
        caller.org_id,
        id,
        values,
        caller.user_id
    )
    .execute(&mut *tx)
    .await
    .map_err(reference_error)?;
    if let Some(driver_values) = driver_values {
        scorecard::store_values(&mut tx, caller.org_id, id, &driver_values).await?;
    }
    let recorded = if values.tracked() != before.tracked() || note.is_some() {
        Some(status_updates::record(&mut tx, caller, id, before.tracked(), values.tracked(), note).await?)
    } else {
        None
    };
    let updated = fetch(&mut tx, caller.org_id, id, false).await?;
    tx.commit().await?;
    Ok((updated, recorded))
}

/// Both values, if both are valid; else every problem of both.
fn both_valid<A, B>(a: Result<A, FieldErrors>, b: Result<B, FieldErrors>) -> Result<(A, B), FieldErrors> {
    match (a, b) {
        (Ok(a), Ok(b)) => Ok((a, b)),
        (Err(mut errors), Err(more)) => {
            errors.merge(more);
            Err(errors)
        }
        (Err(errors), _) | (_, Err(errors)) => Err(errors),
    }
}

/// Deletes an initiative and its history; owning it is not enough, the portfolio's editors decide.
pub async fn delete(
    pool: &TenantPool,
    caller: &Caller,
    id: Uuid,
    expected_version: Option<i64>,
) -> Result<(), AppError> {
    let mut tx = pool.begin().await?;
    let current = fetch(&mut tx, caller.org_id, id, true).await?;
    permissions::require_portfolio_editor(&mut *tx, caller, current.portfolio_id).await?;
    check_version(expected_version, current.version)?;
    sqlx::query!(
        "DELETE FROM initiatives WHERE org_id = $1 AND id = $2",
        caller.org_id,
        id
    )
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(())
}

/// The initiative `id`, locked, if the caller may edit it and saw `expected_version`. Looked up
/// before any permission check: an unknown id is 404 whoever asks.
pub(crate) async fn lock_for_edit(
    tx: &mut Tx<'_>,
    caller: &Caller,
    id: Uuid,
    expected_version: Option<i64>,
) -> Result<Initiative, AppError> {
    let current = fetch(tx, caller.org_id, id, true).await?;
    permissions::require_owned(&mut **tx, caller, current.owner_id, current.portfolio_id).await?;
    check_version(expected_version, current.version)?;
    Ok(current)
}

/// One initiative in a transaction; `for_update` locks it until the transaction ends.
pub(crate) async fn fetch(
    tx: &mut Tx<'_>,
    org_id: Uuid,
    id: Uuid,
    for_update: bool,
) -> Result<Initiative, AppError> {
    let query = if for_update {
        sqlx::query!(
            r#"SELECT id, key, title, description, portfolio_id, owner_id, theme_id, status AS "status: Status",
                      health AS "health: Health", progress, effort, budget, start_date AS "start_date: NaiveDate", target_date AS "target_date: NaiveDate", reach,
                      impact, confidence, business_value, time_criticality, risk_reduction, benefit, scorecard_value,
                      (SELECT o.benefit_unit FROM organizations o WHERE o.id = org_id) AS "benefit_unit!",
                      version, created_at, updated_at, dependency_conflict, optimistic_from, external_ref,
                  demand_requests, demand_customers, demand_customer_value, demand_importance
               FROM initiatives WHERE org_id = $1 AND id = $2 FOR UPDATE"#,
            org_id,
            id
        )
        .map(|r| initiative_from_row!(r))
        .fetch_one(&mut **tx)
        .await
    } else {
        sqlx::query!(
            r#"SELECT id, key, title, description, portfolio_id, owner_id, theme_id, status AS "status: Status",
                      health AS "health: Health", progress, effort, budget, start_date AS "start_date: NaiveDate", target_date AS "target_date: NaiveDate", reach,
                      impact, confidence, business_value, time_criticality, risk_reduction, benefit, scorecard_value,
                      (SELECT o.benefit_unit FROM organizations o WHERE o.id = org_id) AS "benefit_unit!",
                      version, created_at, updated_at, dependency_conflict, optimistic_from, external_ref,
                  demand_requests, demand_customers, demand_customer_value, demand_importance
               FROM initiatives WHERE org_id = $1 AND id = $2"#,
            org_id,
            id
        )
        .map(|r| initiative_from_row!(r))
        .fetch_one(&mut **tx)
        .await
    };
    Ok(query?)
}

/// A reference that vanished or never belonged to the organization, named by field.
fn reference_error(error: sqlx::Error) -> AppError {
    map_constraint(error, |constraint| match constraint {
        "initiatives_org_id_portfolio_id_fkey" => Some(AppError::field(
            "portfolio_id",
            "is not a portfolio of this organization",
        )),
        "initiatives_org_id_owner_id_fkey" => Some(AppError::field(
            "owner_id",
            "is not a member of this organization",
        )),
        "initiatives_org_id_theme_id_fkey" => {
            Some(AppError::field("theme_id", "is not a theme of this organization"))
        }
        _ => None,
    })
}
