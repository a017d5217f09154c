//! Capacity for the demo and for `cairn seed` (SPEC §8): every portfolio gets person-weeks for this
//! quarter and the next three. An area (a PM's team) is sized against the work it has taken on, the
//! way real teams are: most have some room, about one in four is over-committed by 10–35 %. Levels
//! above add their leaders' own people (a few person-weeks), so every level's figures are real.
//!
//! One statement for the whole organization, set-based, after the initiatives are in: the demand it
//! sizes against is what the triggers of migrations/0020 have just kept.

use chrono::NaiveDate;
use uuid::Uuid;

use crate::db::Tx;
use crate::domain::capacity::quarters;
use crate::domain::period::Period;

/// Sets the organization's capacity for the current fiscal quarter (`today`'s, with the
/// organization's fiscal year) and the three after it.
pub(crate) async fn plan(tx: &mut Tx<'_>, org_id: Uuid, today: NaiveDate) -> anyhow::Result<()> {
    let start_month: i16 = sqlx::query_scalar!(
        "SELECT fiscal_year_start_month FROM organizations WHERE id = $1",
        org_id
    )
    .fetch_one(&mut **tx)
    .await?;
    let names: Vec<String> = quarters(Period::current_quarter(today, start_month as u32), 4)
        .iter()
        .map(Period::to_string)
        .collect();
    // The draw is a hash of the portfolio and quarter: the same organization always gets the same
    // capacity, and a team over-committed in one quarter may have room in the next.
    sqlx::query!(
        r#"INSERT INTO portfolio_capacity (org_id, portfolio_id, quarter, person_weeks)
           SELECT p.org_id, p.id, q.quarter,
                  CASE p.level
                      WHEN 'area' THEN greatest(4, round(
                          coalesce(t.demand, 0)
                          * CASE WHEN d.draw < 25 THEN 0.74 + d.draw / 100.0 ELSE 1.05 + (d.draw - 25) / 150.0 END
                          * 2) / 2)
                      WHEN 'product' THEN 6
                      WHEN 'product_line' THEN 4
                      ELSE 2
                  END
           FROM portfolios p
           CROSS JOIN unnest($2::text[]) q(quarter)
           CROSS JOIN LATERAL (SELECT abs(hashtext(p.id::text || q.quarter)) % 100 AS draw) d
           LEFT JOIN portfolio_quarter_totals t
                  ON t.org_id = p.org_id AND t.portfolio_id = p.id AND t.quarter = q.quarter
           WHERE p.org_id = $1
           ON CONFLICT (org_id, portfolio_id, quarter) DO NOTHING"#,
        org_id,
        &names
    )
    .execute(&mut **tx)
    .await?;
    Ok(())
}
