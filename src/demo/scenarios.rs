//! Northwind's two scenarios for next quarter (SPEC §9), so that the compare page has something to
//! say at first sight: "Fund payments first" commits Payments' backlog for next quarter, gives the
//! team the people for it, adds one hypothetical initiative and pushes two large pieces of work
//! elsewhere back six weeks; "Cut legacy" cancels the proposed work of the mature products and
//! moves one of their running initiatives out a quarter.
//!
//! Set-based SQL over the organization's initiatives, picked by key number, so that a load is the
//! same every time. Every change keeps the initiative's version as loaded, as a change made through
//! the API would.

use chrono::NaiveDate;
use uuid::Uuid;

use crate::db::Tx;
use crate::domain::period::Period;

pub(crate) const FUND_PAYMENTS: &str = "Fund payments first";
pub(crate) const CUT_LEGACY: &str = "Cut legacy";

/// Plants both scenarios over the organization's root portfolio, made by `author`.
pub(crate) async fn plant(
    tx: &mut Tx<'_>,
    org_id: Uuid,
    author: Uuid,
    today: NaiveDate,
) -> anyhow::Result<()> {
    let calendar = crate::db::orgs::calendar_in(&mut **tx, org_id).await?;
    let next = Period::current_quarter(today, calendar.fiscal_year_start_month).next();
    let (first, last) = next.dates(calendar.fiscal_year_start_month);
    let fund = scenario(tx, org_id, author, FUND_PAYMENTS).await?;
    // Payments' proposed and planned work, committed for next quarter.
    sqlx::query!(
        r#"INSERT INTO scenario_changes (org_id, scenario_id, initiative_id, kept_version, sets, status, start_date,
                                       target_date, made_by)
           SELECT i.org_id, $2, i.id, i.version, ARRAY['status', 'start_date', 'target_date'], 'planned', $3, $4, $5
           FROM initiatives i JOIN portfolios p ON p.org_id = i.org_id AND p.id = i.portfolio_id
           WHERE i.org_id = $1 AND p.name = 'Payments' AND i.status IN ('proposed', 'planned')"#,
        org_id,
        fund,
        first,
        last,
        author
    )
    .execute(&mut **tx)
    .await?;
    // Payments gets eight more person-weeks next quarter.
    sqlx::query!(
        r#"INSERT INTO scenario_capacity (org_id, scenario_id, portfolio_id, quarter, person_weeks, made_by)
           SELECT p.org_id, $2, p.id, $3, coalesce(k.person_weeks, 0) + 8, $4
           FROM portfolios p
           LEFT JOIN portfolio_capacity k ON k.org_id = p.org_id AND k.portfolio_id = p.id AND k.quarter = $3
           WHERE p.org_id = $1 AND p.name = 'Payments'"#,
        org_id,
        fund,
        next.to_string(),
        author
    )
    .execute(&mut **tx)
    .await?;
    // The two largest planned pieces of work outside Commerce that touch next quarter, six weeks later.
    sqlx::query!(
        r#"INSERT INTO scenario_changes (org_id, scenario_id, initiative_id, kept_version, sets, start_date,
                                       target_date, made_by)
           SELECT i.org_id, $2, i.id, i.version, ARRAY['start_date', 'target_date'], i.start_date + 42,
                  i.target_date + 42, $5
           FROM initiatives i
           WHERE i.org_id = $1 AND i.status = 'planned' AND i.start_date <= $4 AND i.target_date >= $3
             AND NOT EXISTS (SELECT 1 FROM portfolio_closure c JOIN portfolios line
                                 ON line.org_id = c.org_id AND line.id = c.ancestor_id
                             WHERE c.org_id = i.org_id AND c.descendant_id = i.portfolio_id
                               AND line.name = 'Commerce')
           ORDER BY i.effort DESC, i.number
           LIMIT 2"#,
        org_id,
        fund,
        first,
        last,
        author
    )
    .execute(&mut **tx)
    .await?;
    sqlx::query!(
        r#"INSERT INTO scenario_initiatives (org_id, scenario_id, id, title, description, portfolio_id, owner_id, status,
                                           health, progress, effort, start_date, target_date, benefit, made_by)
           SELECT p.org_id, $2, $3, 'Instant refunds', 'Refunds reach the card the same day.', p.id, p.owner_id,
                  'planned', 'on_track', 0, 6, $4, $5, 120, $6
           FROM portfolios p WHERE p.org_id = $1 AND p.name = 'Payments'"#,
        org_id,
        fund,
        Uuid::now_v7(),
        first,
        last,
        author
    )
    .execute(&mut **tx)
    .await?;

    let cut = scenario(tx, org_id, author, CUT_LEGACY).await?;
    // The mature products' proposed work, cancelled; and one of their running initiatives a quarter later.
    sqlx::query!(
        r#"WITH mature AS (
               SELECT i.* FROM initiatives i
               JOIN portfolio_closure c ON c.org_id = i.org_id AND c.descendant_id = i.portfolio_id
               JOIN portfolios product ON product.org_id = c.org_id AND product.id = c.ancestor_id
               WHERE i.org_id = $1 AND product.lifecycle = 'maturity')
           INSERT INTO scenario_changes (org_id, scenario_id, initiative_id, kept_version, sets, status, start_date,
                                         target_date, made_by)
           SELECT org_id, $2::uuid, id, version, ARRAY['status'], 'cancelled', NULL::date, NULL::date, $3::uuid
           FROM mature WHERE status = 'proposed'
           UNION ALL
           (SELECT org_id, $2, id, version, ARRAY['start_date', 'target_date'], NULL::text, start_date + 91,
                   target_date + 91, $3
            FROM mature WHERE status = 'in_progress' AND start_date IS NOT NULL AND target_date IS NOT NULL
            ORDER BY effort DESC, number LIMIT 1)"#,
        org_id,
        cut,
        author
    )
    .execute(&mut **tx)
    .await?;
    Ok(())
}

async fn scenario(tx: &mut Tx<'_>, org_id: Uuid, author: Uuid, name: &str) -> anyhow::Result<Uuid> {
    let id = Uuid::now_v7();
    sqlx::query!(
        "INSERT INTO scenarios (org_id, id, name, portfolio_id, created_by, updated_by)
         SELECT $1, $2, $3, id, $4, $4 FROM portfolios WHERE org_id = $1 AND parent_id IS NULL",
        org_id,
        id,
        name,
        author
    )
    .execute(&mut **tx)
    .await?;
    Ok(id)
}
