//! Reading roll-ups: a portfolio's figures, its children's, its investment mix and the
//! initiatives attached to it. The additive parts are kept per subtree by the triggers of
//! migrations/0002_rollups.sql (and per theme and owner by 0034_group_totals.sql), so every read
//! here costs the same at any organization size: one totals row per portfolio shown, one deadline
//! range scan each, one row per theme or owner.

use super::TenantPool;
use std::collections::HashMap;

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::Serialize;
use sqlx::PgConnection;
use uuid::Uuid;

use super::initiatives::{Initiative, InitiativeJson};
use super::portfolios::Portfolio;
use crate::domain::period::Period;
use crate::domain::rollup::{DayCounts, Figures, KpiCounts, Parts, ThemeShare, Thresholds, theme_share};
use crate::domain::{Health, Lifecycle, PortfolioLevel, RollupDimension, Status};
use crate::error::AppError;

/// At most this many initiatives attached to one portfolio are listed with its JSON roll-up.
pub const ATTACHED_LIMIT: i64 = 500;

/// SPEC §6: `{portfolio, totals, children: [{portfolio, …figures}], themes, initiatives}`.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Rollup {
    /// The organization's currency, for showing `budget`; not part of the API's shape.
    #[serde(skip)]
    pub currency: String,
    /// The period of `okr_progress`; the pages show it, the API's caller named it or takes the
    /// current quarter.
    #[serde(skip)]
    pub period: Period,
    /// How many initiatives the whole organization holds: how large a share the subtree is.
    #[serde(skip)]
    pub organization_initiatives: i64,
    /// The data version and date it was read at: what else the page reads in its transaction is
    /// of the same snapshot, and may be served from `crate::read_cache` at the same stamp.
    #[serde(skip)]
    pub stamp: super::DataStamp,
    pub portfolio: Portfolio,
    pub totals: Figures,
    pub children: Vec<ChildFigures>,
    pub themes: Vec<ThemeShare>,
    pub initiatives: Vec<InitiativeJson>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ChildFigures {
    pub portfolio: Portfolio,
    #[serde(flatten)]
    pub figures: Figures,
}

/// A portfolio with its subtree's additive parts, as one row.
struct TotalsRow {
    id: Uuid,
    name: String,
    description: String,
    level: PortfolioLevel,
    parent_id: Option<Uuid>,
    owner_id: Option<Uuid>,
    lifecycle: Option<Lifecycle>,
    position: i32,
    version: i64,
    created_at: super::Timestamp,
    updated_at: super::Timestamp,
    n_proposed: i64,
    n_planned: i64,
    n_in_progress: i64,
    n_done: i64,
    n_cancelled: i64,
    n_on_track: i64,
    n_at_risk: i64,
    n_off_track: i64,
    active_effort: Decimal,
    active_effort_at_risk: Decimal,
    active_effort_off_track: Decimal,
    effort: Decimal,
    effort_progress: Decimal,
    budget: Decimal,
    n_dependency_conflicts: i64,
    kpis_on_target: i64,
    kpis_off_target: i64,
    kpis_no_data: i64,
    late: i64,
    optimistic: i64,
    /// OKR progress of the subtree in every period that has measured objectives, side by side
    /// (`okr_periods[k]`'s mean is `okr_means[k]`): the period shown is picked from them.
    okr_periods: Option<Vec<String>>,
    okr_means: Option<Vec<Decimal>>,
    /// The organization's calendar, for the current quarter when no period is asked for.
    today: NaiveDate,
    data_version: i64,
    organization_initiatives: i64,
    fiscal_year_start_month: i16,
    off_track_threshold: Decimal,
    at_risk_threshold: Decimal,
    currency: String,
}

impl TotalsRow {
    fn thresholds(&self) -> Thresholds {
        Thresholds {
            off_track: self.off_track_threshold,
            at_risk: self.at_risk_threshold,
        }
    }

    /// The period the figures are for: the one asked for, or the organization's current quarter.
    fn period(&self, asked: Option<Period>) -> Period {
        asked.unwrap_or_else(|| Period::current_quarter(self.today, self.fiscal_year_start_month as u32))
    }

    /// The portfolio and its figures for `period`, with a scenario's effect on them when given.
    fn split(self, period: &str, scenario: Option<&Delta>) -> (Portfolio, Figures, String) {
        let okr_progress = self
            .okr_periods
            .as_deref()
            .and_then(|periods| periods.iter().position(|p| p == period))
            .and_then(|k| self.okr_means.as_deref()?.get(k).copied());
        let mut parts = Parts {
            by_status: [
                self.n_proposed,
                self.n_planned,
                self.n_in_progress,
                self.n_done,
                self.n_cancelled,
            ],
            by_health: [self.n_on_track, self.n_at_risk, self.n_off_track],
            active_effort: self.active_effort,
            active_effort_at_risk: self.active_effort_at_risk,
            active_effort_off_track: self.active_effort_off_track,
            effort: self.effort,
            effort_progress: self.effort_progress,
            budget: self.budget,
            dependency_conflicts: self.n_dependency_conflicts,
            kpis: KpiCounts {
                on_target: self.kpis_on_target,
                off_target: self.kpis_off_target,
                no_data: self.kpis_no_data,
            },
        };
        let thresholds = self.thresholds();
        let mut days = DayCounts {
            late: self.late,
            optimistic: self.optimistic,
        };
        if let Some(delta) = scenario {
            parts += &delta.parts;
            days += delta.days;
        }
        let figures = Figures::new(&parts, days, thresholds, okr_progress);
        let portfolio = Portfolio {
            id: self.id,
            name: self.name,
            description: self.description,
            level: self.level,
            parent_id: self.parent_id,
            owner_id: self.owner_id,
            lifecycle: self.lifecycle,
            position: self.position,
            version: self.version,
            created_at: self.created_at,
            updated_at: self.updated_at,
        };
        (portfolio, figures, self.currency)
    }
}

/// The roll-up of one portfolio, computed from the current data, with OKR progress for `period`
/// (default: the organization's current fiscal quarter) and the first `attached` initiatives
/// attached to the portfolio itself (a page shows a few, the API up to `ATTACHED_LIMIT`).
pub async fn rollup(
    pool: &TenantPool,
    portfolio_id: Uuid,
    period: Option<Period>,
    attached: i64,
) -> Result<Rollup, AppError> {
    read(pool, Plan::Live, portfolio_id, period, attached).await
}

/// Whose figures: the live plan's, or the live plan's with a scenario's changes (SPEC §9).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Plan {
    Live,
    Scenario(Uuid),
}

impl std::str::FromStr for Plan {
    type Err = &'static str;

    /// `live`, or a scenario's id.
    fn from_str(text: &str) -> Result<Plan, &'static str> {
        match text {
            "live" => Ok(Plan::Live),
            id => id
                .parse()
                .map(Plan::Scenario)
                .map_err(|_| "must be \"live\" or a scenario's id"),
        }
    }
}

impl Plan {
    fn scenario(self) -> Option<Uuid> {
        match self {
            Plan::Live => None,
            Plan::Scenario(id) => Some(id),
        }
    }
}

/// `rollup` of the live plan or of a scenario.
pub async fn read(
    pool: &TenantPool,
    plan: Plan,
    portfolio_id: Uuid,
    period: Option<Period>,
    attached: i64,
) -> Result<Rollup, AppError> {
    let org_id = pool.org_id();
    // Its statements share one transaction: one organization setting, one commit (row-level
    // security), and one snapshot, so the totals, the mix and the list agree with each other.
    let mut tx = pool.begin_snapshot().await?;
    let rollup = rollup_in(&mut tx, org_id, plan, portfolio_id, period, attached).await?;
    tx.commit().await?;
    Ok(rollup)
}

/// `rollup` inside a transaction the caller holds (and commits): a page that reads more besides
/// reads it all in one. Its statements are meant to run on one snapshot, on their generic plans
/// (`TenantPool::begin_snapshot`).
pub async fn rollup_in(
    tx: &mut PgConnection,
    org_id: Uuid,
    plan: Plan,
    portfolio_id: Uuid,
    period: Option<Period>,
    attached: i64,
) -> Result<Rollup, AppError> {
    let ids = shown_ids(tx, org_id, portfolio_id).await?;
    let rows = totals_rows(tx, org_id, &ids).await?;
    let first = rows
        .first()
        .filter(|row| row.id == portfolio_id)
        .ok_or(AppError::NotFound)?;
    let (period, organization_initiatives) = (first.period(period), first.organization_initiatives);
    let stamp = super::DataStamp {
        version: first.data_version,
        today: first.today,
    };
    let shown = period.to_string();
    let (deltas, moved) = match plan.scenario() {
        None => (HashMap::new(), HashMap::new()),
        Some(scenario) => {
            let ids: Vec<Uuid> = rows.iter().map(|row| row.id).collect();
            scenario_deltas(tx, org_id, scenario, &ids, stamp.today).await?
        }
    };
    let mut rows = rows.into_iter().map(|row| {
        let delta = deltas.get(&row.id);
        row.split(&shown, delta)
    });
    let (portfolio, totals, currency) = rows.next().expect("checked above");
    let children = rows
        .map(|(portfolio, figures, _)| ChildFigures { portfolio, figures })
        .collect();
    let themes = investment_mix(tx, org_id, portfolio_id, &moved).await?;
    let initiatives = match attached {
        0 => Vec::new(),
        limit => attached_to(tx, org_id, portfolio_id, limit)
            .await?
            .into_iter()
            .map(InitiativeJson::from)
            .collect(),
    };
    Ok(Rollup {
        currency,
        period,
        organization_initiatives,
        stamp,
        portfolio,
        totals,
        children,
        themes,
        initiatives,
    })
}

/// The portfolio and its children, in the order the page shows them: itself first, then by
/// position and name.
async fn shown_ids(tx: &mut PgConnection, org_id: Uuid, portfolio_id: Uuid) -> Result<Vec<Uuid>, AppError> {
    Ok(sqlx::query_scalar!(
        "SELECT id FROM portfolios WHERE org_id = $1 AND (id = $2 OR parent_id = $2)
         ORDER BY id <> $2, position, name",
        org_id,
        portfolio_id
    )
    .fetch_all(&mut *tx)
    .await?)
}

/// The live figures of the portfolios `ids`, for the organization's current quarter (OKRs), in
/// the order of `ids`, each with the organization's currency: one totals row each, whatever the
/// subtrees hold.
pub async fn figures_of(
    tx: &mut PgConnection,
    org_id: Uuid,
    ids: &[Uuid],
) -> Result<Vec<(Portfolio, Figures, String)>, AppError> {
    Ok(totals_rows(tx, org_id, ids)
        .await?
        .into_iter()
        .map(|row| {
            let period = row.period(None).to_string();
            row.split(&period, None)
        })
        .collect())
}

/// The totals rows of the portfolios `ids`, in their order, the calendar included: the period is
/// known only once the organization's date is, so every period's OKR mean comes along (a subtree
/// has a few) and the one shown is picked by the caller.
async fn totals_rows(tx: &mut PgConnection, org_id: Uuid, ids: &[Uuid]) -> Result<Vec<TotalsRow>, AppError> {
    Ok(sqlx::query_as!(
        TotalsRow,
        r#"WITH calendar AS (SELECT (now() AT TIME ZONE time_zone)::date AS today FROM organizations WHERE id = $1),
                organization AS (
                    SELECT coalesce(sum(t.n_proposed + t.n_planned + t.n_in_progress + t.n_done + t.n_cancelled), 0)::bigint
                           AS initiatives
                    FROM portfolios r
                    JOIN portfolio_totals t ON t.org_id = r.org_id AND t.portfolio_id = r.id
                    WHERE r.org_id = $1 AND r.parent_id IS NULL)
           SELECT p.id, p.name, p.description, p.level AS "level: PortfolioLevel", p.parent_id, p.owner_id,
                  p.lifecycle AS "lifecycle: Lifecycle", p.position, p.version, p.created_at, p.updated_at,
                  t.n_proposed, t.n_planned, t.n_in_progress, t.n_done, t.n_cancelled,
                  t.n_on_track, t.n_at_risk, t.n_off_track,
                  t.active_effort, t.active_effort_at_risk, t.active_effort_off_track,
                  t.effort, t.effort_progress, t.budget, t.n_dependency_conflicts,
                  coalesce(k.on_target, 0) AS "kpis_on_target!", coalesce(k.off_target, 0) AS "kpis_off_target!",
                  coalesce(k.no_data, 0) AS "kpis_no_data!",
                  -- Late: open work due before today in the organization's time zone. Today is
                  -- a sub-select so that it reaches the index as a bound: the time zone function
                  -- is not leakproof, so row-level security keeps a plain expression of it out of
                  -- the index condition, and the scan would read every date instead.
                  (SELECT coalesce(sum(d.open), 0) FROM portfolio_deadlines d
                   WHERE d.org_id = p.org_id AND d.portfolio_id = p.id
                     AND d.target_date < (SELECT today FROM calendar))::bigint AS "late!",
                  -- Optimistic: on-track work whose day of being behind has come (migrations/0024),
                  -- read as late is.
                  (SELECT coalesce(sum(x.initiatives), 0) FROM portfolio_optimism x
                   WHERE x.org_id = p.org_id AND x.portfolio_id = p.id
                     AND x.optimistic_from <= (SELECT today FROM calendar))::bigint AS "optimistic!",
                  -- OKR progress: the mean over the subtree's measured objectives of each period,
                  -- from the sums migrations/0008_okrs.sql keeps per subtree and period.
                  okr.periods AS okr_periods, okr.means AS okr_means,
                  (SELECT today FROM calendar) AS "today!", o.fiscal_year_start_month,
                  data_version($1) AS "data_version!",
                  (SELECT initiatives FROM organization) AS "organization_initiatives!",
                  o.off_track_threshold::numeric AS "off_track_threshold!",
                  o.at_risk_threshold::numeric AS "at_risk_threshold!", o.currency
           FROM portfolios p
           JOIN portfolio_totals t ON t.org_id = p.org_id AND t.portfolio_id = p.id
           JOIN organizations o ON o.id = p.org_id
           LEFT JOIN portfolio_kpi_totals k ON k.org_id = p.org_id AND k.portfolio_id = p.id
           LEFT JOIN LATERAL (
               SELECT array_agg(ot.period) AS periods, array_agg(ot.progress / ot.objectives) AS means
               FROM portfolio_okr_totals ot
               WHERE ot.org_id = p.org_id AND ot.portfolio_id = p.id AND ot.objectives > 0
           ) okr ON true
           WHERE p.org_id = $1 AND p.id = ANY($2)
           ORDER BY array_position($2, p.id)"#,
        org_id,
        ids
    )
    .fetch_all(&mut *tx)
    .await?)
}

/// What a scenario's changes add to the figures of one portfolio shown.
struct Delta {
    parts: Parts,
    days: DayCounts,
}

/// Effort a scenario moves between the themes of the portfolio shown (`None`: unthemed).
type ThemeMoves = HashMap<Option<Uuid>, Decimal>;

/// The `Parts` (without KPIs) and `DayCounts` of a row that selects `rollup_deltas`' columns and
/// `late` and `optimistic`: a scenario's effect, or a group's figures.
macro_rules! aggregated_parts {
    ($r:ident) => {
        (
            Parts {
                by_status: [
                    $r.n_proposed,
                    $r.n_planned,
                    $r.n_in_progress,
                    $r.n_done,
                    $r.n_cancelled,
                ],
                by_health: [$r.n_on_track, $r.n_at_risk, $r.n_off_track],
                active_effort: $r.active_effort,
                active_effort_at_risk: $r.active_effort_at_risk,
                active_effort_off_track: $r.active_effort_off_track,
                effort: $r.effort,
                effort_progress: $r.effort_progress,
                budget: $r.budget,
                dependency_conflicts: $r.n_dependency_conflicts,
                kpis: KpiCounts::default(),
            },
            DayCounts {
                late: $r.late,
                optimistic: $r.optimistic,
            },
        )
    };
}

/// The effect of a scenario's changes on the figures of `portfolio_ids` (the first is the portfolio
/// shown, whose investment mix it moves too): the contributions of migrations/0022_scenarios.sql,
/// built once and aggregated by the functions the live upkeep applies.
async fn scenario_deltas(
    tx: &mut PgConnection,
    org_id: Uuid,
    scenario: Uuid,
    portfolio_ids: &[Uuid],
    today: NaiveDate,
) -> Result<(HashMap<Uuid, Delta>, ThemeMoves), AppError> {
    let rows = sqlx::query!(
        r#"WITH changes AS MATERIALIZED (SELECT scenario_rollup_changes($1, $2) AS list),
                late AS (
                    SELECT l.ancestor_id, sum(l.open) AS open
                    FROM changes c, rollup_deadline_deltas(c.list) l
                    WHERE l.ancestor_id = ANY($3) AND l.target_date < $4
                    GROUP BY l.ancestor_id),
                optimistic AS (
                    SELECT x.ancestor_id, sum(x.initiatives) AS initiatives
                    FROM changes c, rollup_optimism_deltas(c.list) x
                    WHERE x.ancestor_id = ANY($3) AND x.optimistic_from <= $4
                    GROUP BY x.ancestor_id),
                themes AS (
                    SELECT array_agg(t.group_id) AS ids, array_agg(t.effort) AS efforts
                    FROM changes c, rollup_group_deltas(c.list, 'theme') t
                    WHERE t.ancestor_id = ($3::uuid[])[1])
           SELECT (SELECT ids FROM themes) AS "theme_ids: Vec<Option<Uuid>>",
                  (SELECT efforts FROM themes) AS "theme_efforts: Vec<Decimal>",
                  d.ancestor_id AS "ancestor_id!", d.n_proposed AS "n_proposed!", d.n_planned AS "n_planned!",
                  d.n_in_progress AS "n_in_progress!", d.n_done AS "n_done!", d.n_cancelled AS "n_cancelled!",
                  d.n_on_track AS "n_on_track!", d.n_at_risk AS "n_at_risk!", d.n_off_track AS "n_off_track!",
                  d.active_effort AS "active_effort!", d.active_effort_at_risk AS "active_effort_at_risk!",
                  d.active_effort_off_track AS "active_effort_off_track!", d.effort AS "effort!",
                  d.effort_progress AS "effort_progress!", d.budget AS "budget!",
                  d.n_dependency_conflicts AS "n_dependency_conflicts!",
                  coalesce(late.open, 0)::bigint AS "late!",
                  coalesce(optimistic.initiatives, 0)::bigint AS "optimistic!"
           FROM changes c
           CROSS JOIN LATERAL rollup_deltas(c.list) d
           LEFT JOIN late ON late.ancestor_id = d.ancestor_id
           LEFT JOIN optimistic ON optimistic.ancestor_id = d.ancestor_id
           WHERE d.ancestor_id = ANY($3)"#,
        org_id,
        scenario,
        portfolio_ids,
        today
    )
    .fetch_all(&mut *tx)
    .await?;
    let moved = rows
        .first()
        .map(|r| {
            let ids = r.theme_ids.clone().unwrap_or_default();
            ids.into_iter()
                .zip(r.theme_efforts.clone().unwrap_or_default())
                .collect()
        })
        .unwrap_or_default();
    let deltas = rows
        .into_iter()
        .map(|r| {
            // A scenario changes no KPI.
            let (parts, days) = aggregated_parts!(r);
            (r.ancestor_id, Delta { parts, days })
        })
        .collect();
    Ok((deltas, moved))
}

/// Every theme's share of the subtree's effort next to its target; unthemed work as "Unassigned"
/// (when there is any). A scenario's changes move effort between themes, and in or out (`moved`).
async fn investment_mix(
    tx: &mut PgConnection,
    org_id: Uuid,
    portfolio_id: Uuid,
    moved: &ThemeMoves,
) -> Result<Vec<ThemeShare>, AppError> {
    let rows = sqlx::query!(
        r#"WITH mix AS (
               SELECT th.id AS theme_id, th.name, th.colour, th.target_share::float8 AS target_share,
                      coalesce(tt.effort, 0) AS effort
               FROM themes th
               LEFT JOIN portfolio_group_totals tt
                      ON tt.org_id = th.org_id AND tt.portfolio_id = $2 AND tt.dimension = 'theme' AND tt.group_id = th.id
               WHERE th.org_id = $1
               UNION ALL
               SELECT NULL, 'Unassigned', NULL, NULL,
                      coalesce((SELECT tt.effort FROM portfolio_group_totals tt
                                WHERE tt.org_id = $1 AND tt.portfolio_id = $2 AND tt.dimension = 'theme'
                                  AND tt.group_id IS NULL), 0)
           )
           SELECT theme_id AS "theme_id?", name AS "name!", colour AS "colour?", target_share AS "target_share?",
                  effort AS "effort!",
                  (SELECT effort FROM portfolio_totals WHERE org_id = $1 AND portfolio_id = $2) AS "total!"
           FROM mix
           ORDER BY theme_id IS NULL, name"#,
        org_id,
        portfolio_id
    )
    .fetch_all(&mut *tx)
    .await?;
    let total = rows.first().map(|row| row.total).unwrap_or_default() + moved.values().sum::<Decimal>();
    Ok(rows
        .into_iter()
        .map(|row| {
            let effort = row.effort + moved.get(&row.theme_id).copied().unwrap_or_default();
            (row, effort)
        })
        .filter(|(row, effort)| row.theme_id.is_some() || !effort.is_zero())
        .map(|(row, effort)| ThemeShare {
            theme_id: row.theme_id,
            name: row.name,
            colour: row.colour,
            target_share: row.target_share,
            share: theme_share(effort, total),
        })
        .collect())
}

/// The initiatives attached to the portfolio itself (not its descendants), soonest due first.
async fn attached_to(
    tx: &mut PgConnection,
    org_id: Uuid,
    portfolio_id: Uuid,
    limit: i64,
) -> Result<Vec<Initiative>, AppError> {
    Ok(sqlx::query!(
        r#"SELECT id, key, title, description, portfolio_id, owner_id, theme_id, status AS "status: Status",
                  health AS "health: Health", progress, effort, budget, start_date, target_date, reach, impact,
                  confidence, business_value, time_criticality, risk_reduction, benefit, scorecard_value,
                  (SELECT o.benefit_unit FROM organizations o WHERE o.id = org_id) AS "benefit_unit!",
                  version, created_at, updated_at, dependency_conflict, optimistic_from, external_ref,
                  demand_requests, demand_customers, demand_customer_value, demand_importance
           FROM initiatives
           WHERE org_id = $1 AND portfolio_id = $2
           ORDER BY target_date NULLS LAST, number
           LIMIT $3"#,
        org_id,
        portfolio_id,
        limit
    )
    .map(|r| super::initiatives::initiative_from_row!(r))
    .fetch_all(&mut *tx)
    .await?)
}

/// SPEC §13: `{portfolio, totals, by, overlapping, groups: [{key, label, figures}]}`, the
/// portfolio's figures with its subtree's initiatives grouped by another dimension than the tree.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct GroupedRollup {
    /// The organization's currency, for showing `budget`; not part of the API's shape.
    #[serde(skip)]
    pub currency: String,
    /// The period of the objective groups and of the totals' `okr_progress`.
    #[serde(skip)]
    pub period: Period,
    pub portfolio: Portfolio,
    pub totals: Figures,
    pub by: RollupDimension,
    /// Whether an initiative may count in several groups (it moves several objectives), so that
    /// the groups' figures may add up to more than the totals.
    pub overlapping: bool,
    /// Largest effort first.
    pub groups: Vec<GroupFigures>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct GroupFigures {
    /// The theme's, owner's or objective's id, or the status, health, lifecycle stage or level;
    /// null for the work without a theme, owner, objective of the period, or stage.
    pub key: Option<String>,
    pub label: String,
    /// The §3 figures of the group's initiatives. `okr_progress` is an objective group's own
    /// progress, null for the other dimensions; `kpis` belong to portfolios, not to groups of
    /// initiatives, and count nothing here.
    pub figures: Figures,
}

/// One group's parts, as both ways of reading them give them.
struct GroupRow {
    /// The theme's, owner's or objective's id.
    key_id: Option<Uuid>,
    /// The status, health, stage or level.
    word: Option<String>,
    label: Option<String>,
    objective_progress: Option<Decimal>,
    n_proposed: i64,
    n_planned: i64,
    n_in_progress: i64,
    n_done: i64,
    n_cancelled: i64,
    n_on_track: i64,
    n_at_risk: i64,
    n_off_track: i64,
    active_effort: Decimal,
    active_effort_at_risk: Decimal,
    active_effort_off_track: Decimal,
    effort: Decimal,
    effort_progress: Decimal,
    budget: Decimal,
    n_dependency_conflicts: i64,
    late: i64,
    optimistic: i64,
}

/// The portfolio's figures and its subtree's initiatives grouped `by`. Theme and owner groups are
/// read from the parts the roll-up's upkeep keeps per portfolio and group; the other dimensions
/// are computed from the subtree's initiatives with the contributions and aggregates the upkeep
/// applies (`rollup_deltas` and its kin). Either way a group's figures follow the same rules as a
/// portfolio's. Objectives are those of `period` (default: the current quarter).
pub async fn grouped(
    pool: &TenantPool,
    portfolio_id: Uuid,
    by: RollupDimension,
    period: Option<Period>,
) -> Result<GroupedRollup, AppError> {
    let org_id = pool.org_id();
    let mut tx = pool.begin_snapshot().await?;
    let row = totals_rows(&mut tx, org_id, &[portfolio_id])
        .await?
        .into_iter()
        .next()
        .ok_or(AppError::NotFound)?;
    let period = row.period(period);
    let thresholds = row.thresholds();
    let rows = if by.is_kept() {
        kept_groups(&mut tx, org_id, portfolio_id, by, row.today).await?
    } else {
        computed_groups(&mut tx, org_id, portfolio_id, by, period).await?
    };
    tx.commit().await?;
    let groups = rows
        .into_iter()
        .map(|r| {
            // KPIs belong to portfolios, not to groups of initiatives.
            let (parts, days) = aggregated_parts!(r);
            let (key, label) = match (r.key_id, r.word) {
                (Some(id), _) => (Some(id.to_string()), r.label.unwrap_or_default()),
                (None, Some(word)) => (Some(word.clone()), by.word_label(&word)),
                (None, None) => (None, by.unassigned().to_owned()),
            };
            GroupFigures {
                key,
                label,
                figures: Figures::new(&parts, days, thresholds, r.objective_progress),
            }
        })
        .collect();
    let (portfolio, totals, currency) = row.split(&period.to_string(), None);
    Ok(GroupedRollup {
        currency,
        period,
        portfolio,
        totals,
        by,
        overlapping: by == RollupDimension::Objective,
        groups,
    })
}

/// Theme and owner groups: one kept totals row per group (migrations/0034_group_totals.sql), with
/// late and optimistic work each one range of its index up to today, as a portfolio's are. The
/// three are read apart and put together here: an owner grouping has thousands of groups, and a
/// join of them on its generic plan would be a nested loop.
async fn kept_groups(
    tx: &mut PgConnection,
    org_id: Uuid,
    portfolio_id: Uuid,
    by: RollupDimension,
    today: NaiveDate,
) -> Result<Vec<GroupRow>, AppError> {
    let dimension = by.as_str();
    let late: HashMap<Option<Uuid>, i64> = sqlx::query!(
        r#"SELECT d.group_id, sum(d.open)::bigint AS "open!"
           FROM portfolio_group_deadlines d
           WHERE d.org_id = $1 AND d.portfolio_id = $2 AND d.dimension = $3 AND d.target_date < $4
           GROUP BY d.group_id"#,
        org_id,
        portfolio_id,
        dimension,
        today
    )
    .fetch_all(&mut *tx)
    .await?
    .into_iter()
    .map(|r| (r.group_id, r.open))
    .collect();
    let optimistic: HashMap<Option<Uuid>, i64> = sqlx::query!(
        r#"SELECT x.group_id, sum(x.initiatives)::bigint AS "initiatives!"
           FROM portfolio_group_optimism x
           WHERE x.org_id = $1 AND x.portfolio_id = $2 AND x.dimension = $3 AND x.optimistic_from <= $4
           GROUP BY x.group_id"#,
        org_id,
        portfolio_id,
        dimension,
        today
    )
    .fetch_all(&mut *tx)
    .await?
    .into_iter()
    .map(|r| (r.group_id, r.initiatives))
    .collect();
    let mut rows = sqlx::query_as!(
        GroupRow,
        r#"SELECT t.group_id AS "key_id?", NULL::text AS "word?", coalesce(th.name, u.name) AS "label?",
                  NULL::numeric AS "objective_progress?",
                  t.n_proposed, t.n_planned, t.n_in_progress, t.n_done, t.n_cancelled,
                  t.n_on_track, t.n_at_risk, t.n_off_track,
                  t.active_effort, t.active_effort_at_risk, t.active_effort_off_track,
                  t.effort, t.effort_progress, t.budget, t.n_dependency_conflicts,
                  -- Filled in from the day tables below.
                  0::bigint AS "late!", 0::bigint AS "optimistic!"
           FROM portfolio_group_totals t
           LEFT JOIN themes th ON $3 = 'theme' AND th.org_id = $1 AND th.id = t.group_id
           LEFT JOIN users u ON $3 = 'owner' AND u.id = t.group_id
           WHERE t.org_id = $1 AND t.portfolio_id = $2 AND t.dimension = $3
             -- A group whose work has all left it.
             AND t.n_proposed + t.n_planned + t.n_in_progress + t.n_done + t.n_cancelled > 0
           ORDER BY t.effort DESC, coalesce(th.name, u.name)"#,
        org_id,
        portfolio_id,
        dimension
    )
    .fetch_all(&mut *tx)
    .await?;
    for row in &mut rows {
        row.late = late.get(&row.key_id).copied().unwrap_or(0);
        row.optimistic = optimistic.get(&row.key_id).copied().unwrap_or(0);
    }
    Ok(rows)
}

/// Status, health, objective, lifecycle and level groups: each of the subtree's initiatives
/// becomes one contribution per group it is in, aggregated as the upkeep aggregates them.
async fn computed_groups(
    tx: &mut PgConnection,
    org_id: Uuid,
    portfolio_id: Uuid,
    by: RollupDimension,
    period: Period,
) -> Result<Vec<GroupRow>, AppError> {
    Ok(sqlx::query_as!(
        GroupRow,
        r#"WITH calendar AS (SELECT (now() AT TIME ZONE time_zone)::date AS today FROM organizations WHERE id = $1),
                grouped AS MATERIALIZED (
                    SELECT g.id AS key_id, g.word,
                           -- A group's id for the aggregates: the objective's, or one made of the
                           -- word.
                           coalesce(g.id, md5($3 || ':' || g.word)::uuid) AS group_id,
                           ROW(i.org_id, coalesce(g.id, md5($3 || ':' || g.word)::uuid), i.theme_id, i.status,
                               i.health, i.progress, i.effort::numeric, i.budget, i.target_date, 1,
                               i.optimistic_from, i.dependency_conflict, i.owner_id)::rollup_change AS change
                    FROM portfolio_closure c
                    JOIN initiatives i ON i.org_id = c.org_id AND i.portfolio_id = c.descendant_id
                    JOIN portfolios p ON p.org_id = i.org_id AND p.id = i.portfolio_id
                    CROSS JOIN LATERAL (
                        SELECT NULL::uuid AS id,
                               CASE $3 WHEN 'status' THEN i.status WHEN 'health' THEN i.health
                                       WHEN 'level' THEN p.level
                                       -- The stage of the product the work is in.
                                       WHEN 'lifecycle' THEN portfolio_stage(i.org_id, i.portfolio_id) END AS word
                        WHERE $3 <> 'objective'
                        UNION ALL
                        SELECT DISTINCT kr.objective_id, NULL
                        FROM initiative_key_results l
                        JOIN key_results kr ON kr.org_id = l.org_id AND kr.id = l.key_result_id
                        JOIN objectives o ON o.org_id = kr.org_id AND o.id = kr.objective_id AND o.period = $4
                        WHERE $3 = 'objective' AND l.org_id = i.org_id AND l.initiative_id = i.id
                        UNION ALL
                        SELECT NULL, NULL
                        WHERE $3 = 'objective' AND NOT EXISTS (
                            SELECT 1 FROM initiative_key_results l
                            JOIN key_results kr ON kr.org_id = l.org_id AND kr.id = l.key_result_id
                            JOIN objectives o ON o.org_id = kr.org_id AND o.id = kr.objective_id AND o.period = $4
                            WHERE l.org_id = i.org_id AND l.initiative_id = i.id)
                    ) g
                    WHERE c.org_id = $1 AND c.ancestor_id = $2
                ),
                keys AS (SELECT DISTINCT group_id, key_id, word FROM grouped),
                changes AS MATERIALIZED (SELECT array_agg(change) AS list FROM grouped),
                late AS (
                    SELECT l.ancestor_id, sum(l.open) AS open
                    FROM changes c, rollup_deadline_deltas(c.list) l
                    WHERE l.target_date < (SELECT today FROM calendar)
                    GROUP BY l.ancestor_id),
                optimistic AS (
                    SELECT x.ancestor_id, sum(x.initiatives) AS initiatives
                    FROM changes c, rollup_optimism_deltas(c.list) x
                    WHERE x.optimistic_from <= (SELECT today FROM calendar)
                    GROUP BY x.ancestor_id)
           SELECT k.key_id AS "key_id?", k.word AS "word?", ob.title AS "label?",
                  ob.progress AS "objective_progress?",
                  d.n_proposed AS "n_proposed!", d.n_planned AS "n_planned!",
                  d.n_in_progress AS "n_in_progress!", d.n_done AS "n_done!", d.n_cancelled AS "n_cancelled!",
                  d.n_on_track AS "n_on_track!", d.n_at_risk AS "n_at_risk!", d.n_off_track AS "n_off_track!",
                  d.active_effort AS "active_effort!", d.active_effort_at_risk AS "active_effort_at_risk!",
                  d.active_effort_off_track AS "active_effort_off_track!", d.effort AS "effort!",
                  d.effort_progress AS "effort_progress!", d.budget AS "budget!",
                  d.n_dependency_conflicts AS "n_dependency_conflicts!",
                  coalesce(late.open, 0)::bigint AS "late!",
                  coalesce(optimistic.initiatives, 0)::bigint AS "optimistic!"
           FROM changes c
           CROSS JOIN LATERAL rollup_deltas(c.list) d
           -- The work without a theme, owner, objective or stage is the group of a null id.
           JOIN keys k ON k.group_id IS NOT DISTINCT FROM d.ancestor_id
           LEFT JOIN late ON late.ancestor_id IS NOT DISTINCT FROM d.ancestor_id
           LEFT JOIN optimistic ON optimistic.ancestor_id IS NOT DISTINCT FROM d.ancestor_id
           LEFT JOIN objectives ob ON $3 = 'objective' AND ob.org_id = $1 AND ob.id = k.key_id
           ORDER BY d.effort DESC, ob.title, k.word"#,
        org_id,
        portfolio_id,
        by.as_str(),
        period.to_string()
    )
    .fetch_all(&mut *tx)
    .await?)
}
