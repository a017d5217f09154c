//! KPIs (SPEC §11): `POST /portfolios/{id}/kpis`, `GET, PATCH, DELETE /kpis/{id}` and their values.
//! A KPI's latest value, the one before and its status are kept by migrations/0028_outcomes.sql
//! whenever a value is written, and so are the subtree counts of the §3 figure `kpis`; this module
//! writes definitions and values and reads them.

use std::collections::HashMap;

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::Serialize;
use sqlx::PgExecutor;
use uuid::Uuid;

use super::tenant::Begin;
use super::users::Caller;
use super::{TenantPool, Timestamp, Tx, check_version};
use crate::domain::kpi::{Direction, KpiChanges, KpiStatus, KpiValues, trend};
use crate::error::AppError;

/// A KPI in the API's shape (SPEC §11).
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct Kpi {
    pub id: Uuid,
    pub portfolio_id: Uuid,
    pub name: String,
    pub unit: String,
    pub direction: Direction,
    #[schema(value_type = f64)]
    #[serde(with = "rust_decimal::serde::float")]
    pub target: Decimal,
    pub latest: Option<KpiValue>,
    /// The latest value minus the one before it; null with fewer than two values.
    #[schema(value_type = Option<f64>)]
    #[serde(with = "rust_decimal::serde::float_option")]
    pub trend: Option<Decimal>,
    pub status: KpiStatus,
    pub version: i64,
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub updated_at: chrono::DateTime<chrono::Utc>,
}

impl Kpi {
    pub fn values(&self) -> KpiValues {
        KpiValues {
            name: self.name.clone(),
            unit: self.unit.clone(),
            direction: self.direction,
            target: self.target,
        }
    }
}

/// One value of a KPI on one date.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, utoipa::ToSchema)]
pub struct KpiValue {
    pub date: NaiveDate,
    #[schema(value_type = f64)]
    #[serde(with = "rust_decimal::serde::float")]
    pub value: Decimal,
}

/// What recording values did: how many dates were new and how many replaced an earlier value.
#[derive(Clone, Copy, Debug, Serialize, utoipa::ToSchema)]
pub struct Recorded {
    pub written: i64,
    pub replaced: i64,
}

/// A page of a KPI's values, newest first; `next_cursor` is the date to continue before.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct ValuePage {
    pub items: Vec<KpiValue>,
    pub next_cursor: Option<NaiveDate>,
}

struct KpiRow {
    id: Uuid,
    portfolio_id: Uuid,
    name: String,
    unit: String,
    direction: Direction,
    target: Decimal,
    latest_date: Option<NaiveDate>,
    latest_value: Option<Decimal>,
    previous_value: Option<Decimal>,
    status: KpiStatus,
    version: i64,
    created_at: Timestamp,
    updated_at: Timestamp,
}

impl From<KpiRow> for Kpi {
    fn from(row: KpiRow) -> Kpi {
        Kpi {
            id: row.id,
            portfolio_id: row.portfolio_id,
            name: row.name,
            unit: row.unit,
            direction: row.direction,
            target: row.target.normalize(),
            latest: row
                .latest_date
                .zip(row.latest_value)
                .map(|(date, value)| KpiValue {
                    date,
                    value: value.normalize(),
                }),
            trend: trend(row.latest_value, row.previous_value),
            status: row.status,
            version: row.version,
            created_at: row.created_at,
            updated_at: row.updated_at,
        }
    }
}

/// The KPIs of a portfolio by name.
pub async fn of_portfolio(
    executor: impl PgExecutor<'_>,
    org_id: Uuid,
    portfolio_id: Uuid,
) -> Result<Vec<Kpi>, AppError> {
    of_portfolios(executor, org_id, &[portfolio_id]).await
}

/// The KPIs of these portfolios, by portfolio and name.
pub async fn of_portfolios(
    executor: impl PgExecutor<'_>,
    org_id: Uuid,
    portfolio_ids: &[Uuid],
) -> Result<Vec<Kpi>, AppError> {
    select(executor, org_id, portfolio_ids, &[]).await
}

pub async fn get(pool: &TenantPool, id: Uuid) -> Result<Kpi, AppError> {
    fetch(pool, pool.org_id(), id).await
}

async fn fetch(executor: impl PgExecutor<'_>, org_id: Uuid, id: Uuid) -> Result<Kpi, AppError> {
    select(executor, org_id, &[], &[id])
        .await?
        .pop()
        .ok_or(AppError::NotFound)
}

/// The KPIs of `portfolio_ids` and those of `ids`, by portfolio and name.
async fn select(
    executor: impl PgExecutor<'_>,
    org_id: Uuid,
    portfolio_ids: &[Uuid],
    ids: &[Uuid],
) -> Result<Vec<Kpi>, AppError> {
    Ok(sqlx::query_as!(
        KpiRow,
        r#"SELECT id, portfolio_id, name, unit, direction AS "direction: Direction", target, latest_date,
                  latest_value, previous_value, status AS "status!: KpiStatus", version, created_at, updated_at
           FROM kpis WHERE org_id = $1 AND (portfolio_id = ANY($2) OR id = ANY($3))
           ORDER BY portfolio_id, name, id"#,
        org_id,
        portfolio_ids,
        ids
    )
    .fetch_all(executor)
    .await?
    .into_iter()
    .map(Kpi::from)
    .collect())
}

/// Defines a KPI of `portfolio_id`, for whoever may edit the portfolio.
pub async fn create(
    db: impl Begin<'_>,
    caller: &Caller,
    portfolio_id: Uuid,
    changes: KpiChanges,
) -> Result<Kpi, AppError> {
    let mut tx = db.begin().await?;
    sqlx::query_scalar!(
        "SELECT id FROM portfolios WHERE org_id = $1 AND id = $2",
        caller.org_id,
        portfolio_id
    )
    .fetch_one(&mut *tx)
    .await?;
    super::permissions::require_portfolio_editor(&mut *tx, caller, portfolio_id).await?;
    let values = changes.apply(None)?;
    let id = Uuid::now_v7();
    sqlx::query!(
        "INSERT INTO kpis (org_id, id, portfolio_id, name, unit, direction, target)
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
        caller.org_id,
        id,
        portfolio_id,
        values.name,
        values.unit,
        values.direction.as_str(),
        values.target
    )
    .execute(&mut *tx)
    .await?;
    let kpi = fetch(&mut *tx, caller.org_id, id).await?;
    tx.commit().await?;
    Ok(kpi)
}

/// Changes a KPI's definition if it is still at `expected_version`; whoever may edit its portfolio.
pub async fn update(
    pool: &TenantPool,
    caller: &Caller,
    id: Uuid,
    expected_version: Option<i64>,
    changes: KpiChanges,
) -> Result<Kpi, AppError> {
    let mut tx = pool.begin().await?;
    let current = lock(&mut tx, caller, id, expected_version).await?;
    let values = changes.apply(Some(&current.values()))?;
    sqlx::query!(
        "UPDATE kpis SET name = $3, unit = $4, direction = $5, target = $6, version = version + 1, updated_at = now()
         WHERE org_id = $1 AND id = $2",
        caller.org_id,
        id,
        values.name,
        values.unit,
        values.direction.as_str(),
        values.target
    )
    .execute(&mut *tx)
    .await?;
    let kpi = fetch(&mut *tx, caller.org_id, id).await?;
    tx.commit().await?;
    Ok(kpi)
}

/// Deletes a KPI and its values; whoever may edit its portfolio.
pub async fn delete(
    pool: &TenantPool,
    caller: &Caller,
    id: Uuid,
    expected_version: Option<i64>,
) -> Result<(), AppError> {
    let mut tx = pool.begin().await?;
    lock(&mut tx, caller, id, expected_version).await?;
    sqlx::query!(
        "DELETE FROM kpis WHERE org_id = $1 AND id = $2",
        caller.org_id,
        id
    )
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Records values of a KPI (one, or an upload's rows), each replacing any value of the same date;
/// whoever may edit its portfolio. All or nothing: the rows were checked before.
pub async fn record(
    pool: &TenantPool,
    caller: &Caller,
    id: Uuid,
    rows: &[(NaiveDate, Decimal)],
) -> Result<Recorded, AppError> {
    let mut tx = pool.begin().await?;
    lock(&mut tx, caller, id, None).await?;
    let (dates, values): (Vec<NaiveDate>, Vec<Decimal>) = rows.iter().copied().unzip();
    // `xmax = 0` tells an inserted row from one the conflict updated.
    let inserted = sqlx::query_scalar!(
        r#"INSERT INTO kpi_values AS v (org_id, kpi_id, date, value, recorded_by)
           SELECT $1, $2, d, x, $5 FROM unnest($3::date[], $4::numeric[]) AS r (d, x)
           ON CONFLICT (org_id, kpi_id, date) DO UPDATE
               SET value = excluded.value, recorded_by = excluded.recorded_by, recorded_at = now()
           RETURNING (xmax = 0) AS "inserted!""#,
        caller.org_id,
        id,
        &dates,
        &values,
        caller.user_id
    )
    .fetch_all(&mut *tx)
    .await?;
    tx.commit().await?;
    let written = inserted.iter().filter(|&&new| new).count() as i64;
    Ok(Recorded {
        written,
        replaced: inserted.len() as i64 - written,
    })
}

/// A page of a KPI's values, newest first, before `before` when given.
pub async fn values(
    pool: &TenantPool,
    id: Uuid,
    before: Option<NaiveDate>,
    limit: i64,
) -> Result<ValuePage, AppError> {
    let org_id = pool.org_id();
    let mut tx = pool.begin_snapshot().await?;
    fetch(&mut *tx, org_id, id).await?;
    let mut items = recent_values(&mut *tx, org_id, &[id], before, limit + 1)
        .await?
        .into_iter()
        .map(|(_, value)| value)
        .collect::<Vec<_>>();
    tx.commit().await?;
    let more = items.len() as i64 > limit;
    items.truncate(limit as usize);
    Ok(ValuePage {
        next_cursor: more.then(|| items.last().map(|v| v.date)).flatten(),
        items,
    })
}

/// How many of a KPI's latest values a card's sparkline draws: a year of monthly values.
pub const SPARKLINE_VALUES: i64 = 12;

/// The latest `SPARKLINE_VALUES` values of each of `kpis`, newest first.
pub async fn sparklines(
    executor: impl PgExecutor<'_>,
    org_id: Uuid,
    kpis: &[Kpi],
) -> Result<HashMap<Uuid, Vec<KpiValue>>, AppError> {
    let ids: Vec<Uuid> = kpis.iter().map(|k| k.id).collect();
    let mut by_kpi: HashMap<Uuid, Vec<KpiValue>> = HashMap::new();
    for (id, value) in recent_values(executor, org_id, &ids, None, SPARKLINE_VALUES).await? {
        by_kpi.entry(id).or_default().push(value);
    }
    Ok(by_kpi)
}

/// Up to `limit` values of each KPI of `ids` before `before` (all when `None`), each KPI's newest
/// first: the sparklines of a portfolio's cards in one statement.
pub async fn recent_values(
    executor: impl PgExecutor<'_>,
    org_id: Uuid,
    ids: &[Uuid],
    before: Option<NaiveDate>,
    limit: i64,
) -> Result<Vec<(Uuid, KpiValue)>, AppError> {
    Ok(sqlx::query!(
        r#"SELECT k.id AS "kpi_id!", v.date, v.value
           FROM unnest($2::uuid[]) AS k (id)
           CROSS JOIN LATERAL (
               SELECT v.date, v.value FROM kpi_values v
               WHERE v.org_id = $1 AND v.kpi_id = k.id AND ($3::date IS NULL OR v.date < $3)
               ORDER BY v.date DESC LIMIT $4
           ) v
           ORDER BY k.id, v.date DESC"#,
        org_id,
        ids,
        before,
        limit
    )
    .fetch_all(executor)
    .await?
    .into_iter()
    .map(|r| {
        (
            r.kpi_id,
            KpiValue {
                date: r.date,
                value: r.value.normalize(),
            },
        )
    })
    .collect())
}

/// The KPI `id`, locked for a write by whoever may edit its portfolio at `expected_version`:
/// unknown is 404, anyone else 403, a stale version 412.
async fn lock(
    tx: &mut Tx<'_>,
    caller: &Caller,
    id: Uuid,
    expected_version: Option<i64>,
) -> Result<Kpi, AppError> {
    sqlx::query_scalar!(
        "SELECT id FROM kpis WHERE org_id = $1 AND id = $2 FOR UPDATE",
        caller.org_id,
        id
    )
    .fetch_one(&mut **tx)
    .await?;
    let current = fetch(&mut **tx, caller.org_id, id).await?;
    super::permissions::require_portfolio_editor(&mut **tx, caller, current.portfolio_id).await?;
    check_version(expected_version, current.version)?;
    Ok(current)
}
