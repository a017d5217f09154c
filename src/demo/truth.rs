//! Northwind's truth over time (SPEC §10), so that the baseline page answers "what changed since
//! the quarter's plan, and why" at first sight: a baseline of the whole organization taken when the
//! quarter began, then what happened since — five initiatives slipped with their PMs' reasons, one
//! dropped, two added — a few cross-team dependencies (two in conflict) and two initiatives whose
//! PMs still say "on track" while well behind their time.
//!
//! Set-based SQL over the organization's initiatives, picked by key number and portfolio name, so
//! that a load is the same every time. Initiatives a scenario changes are left alone (`NOT EXISTS
//! … scenario_changes`): their scenarios stay as planted.

use chrono::{Duration, NaiveDate};
use uuid::Uuid;

use crate::db::Tx;

/// How far each slipped initiative slipped, and what its PM wrote.
const SLIPS: [(i32, &str); 5] = [
    (
        21,
        "Waiting on the new tax service from Platform; launch moved three weeks.",
    ),
    (
        14,
        "Load tests failed at peak volume; two weeks to fix the queueing.",
    ),
    (30, "Legal review of the new consent text took a month."),
    (
        9,
        "Vendor SDK release slipped; we follow it by a week and a half.",
    ),
    (
        41,
        "Scope grew after the pilot: enterprise customers need SSO first.",
    ),
];

/// Plants the quarter's baseline and what changed since, made by `author` (the CPO).
pub(crate) async fn plant(
    tx: &mut Tx<'_>,
    org_id: Uuid,
    author: Uuid,
    today: NaiveDate,
) -> anyhow::Result<()> {
    let calendar = crate::db::orgs::calendar_in(&mut **tx, org_id).await?;
    let quarter = calendar.current_quarter();
    let (first_day, _) = quarter.dates(calendar.fiscal_year_start_month);
    let root = sqlx::query_scalar!(
        "SELECT id FROM portfolios WHERE org_id = $1 AND parent_id IS NULL",
        org_id
    )
    .fetch_one(&mut **tx)
    .await?;
    // The plan as the quarter began: taken now, dated the quarter's first morning. Every change
    // below is written after it, so the notes fall between the two moments.
    let name = format!("{quarter} plan");
    let baseline = crate::db::baselines::take_in(tx, org_id, Some(author), root, &name).await?;
    sqlx::query!(
        "UPDATE baselines b SET created_at = ($3::date + time '09:00') AT TIME ZONE o.time_zone
         FROM organizations o WHERE o.id = b.org_id AND b.org_id = $1 AND b.id = $2",
        org_id,
        baseline,
        first_day
    )
    .execute(&mut **tx)
    .await?;
    // Northwind asks for a baseline each quarter; this one is the current quarter's.
    sqlx::query!(
        "WITH claimed AS (INSERT INTO quarter_baselines_taken (org_id, quarter) VALUES ($1, $2))
         UPDATE organizations SET quarter_baselines = true WHERE id = $1",
        org_id,
        quarter.to_string()
    )
    .execute(&mut **tx)
    .await?;
    slip(tx, org_id, today).await?;
    drop_one(tx, org_id, author).await?;
    let added = add_two(tx, org_id, today).await?;
    depend(tx, org_id, author, added).await?;
    make_optimistic(tx, org_id, today).await?;
    Ok(())
}

/// Five open initiatives due from today on slip, each with its PM's note; the later three are now
/// at risk.
async fn slip(tx: &mut Tx<'_>, org_id: Uuid, today: NaiveDate) -> anyhow::Result<()> {
    let days: Vec<i32> = SLIPS.iter().map(|(d, _)| *d).collect();
    let notes: Vec<&str> = SLIPS.iter().map(|(_, n)| *n).collect();
    sqlx::query!(
        r#"WITH picked AS (
               SELECT i.id, i.status, i.health, i.progress, i.owner_id, row_number() OVER (ORDER BY i.number) AS k
               FROM initiatives i
               WHERE i.org_id = $1 AND NOT EXISTS (SELECT 1 FROM scenario_changes c WHERE c.org_id = i.org_id AND c.initiative_id = i.id) AND i.status IN ('planned', 'in_progress') AND i.target_date >= $2
                 AND i.number % 7 = 3
               ORDER BY i.number LIMIT 5
           ), slipped AS (
               UPDATE initiatives i
               SET target_date = i.target_date + ($3::int[])[p.k],
                   health = CASE WHEN p.k > 2 THEN 'at_risk' ELSE i.health END,
                   version = i.version + 1, updated_at = now() - make_interval(days => 6 - p.k::int)
               FROM picked p WHERE i.org_id = $1 AND i.id = p.id
               RETURNING i.id, i.status, i.health, i.progress, i.owner_id
           )
           INSERT INTO status_updates (org_id, id, initiative_id, author_id, created_at, note, status, health,
                                       progress, previous_status, previous_health, previous_progress)
           SELECT $1, gen_random_uuid(), s.id, s.owner_id, now() - make_interval(days => 6 - p.k::int),
                  ($4::text[])[p.k], s.status, s.health, s.progress, p.status, p.health, p.progress
           FROM slipped s JOIN picked p ON p.id = s.id"#,
        org_id,
        today,
        &days,
        &notes as &[&str]
    )
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// One proposed initiative is dropped, with the reason.
async fn drop_one(tx: &mut Tx<'_>, org_id: Uuid, author: Uuid) -> anyhow::Result<()> {
    sqlx::query!(
        r#"WITH picked AS (
               SELECT i.id, i.status, i.health, i.progress FROM initiatives i
               WHERE i.org_id = $1 AND NOT EXISTS (SELECT 1 FROM scenario_changes c WHERE c.org_id = i.org_id AND c.initiative_id = i.id) AND i.status = 'proposed'
               ORDER BY i.number LIMIT 1
           ), dropped AS (
               UPDATE initiatives i SET status = 'cancelled', version = i.version + 1, updated_at = now() - interval '3 days'
               FROM picked p WHERE i.org_id = $1 AND i.id = p.id
               RETURNING i.id, i.progress
           )
           INSERT INTO status_updates (org_id, id, initiative_id, author_id, created_at, note, status, health,
                                       progress, previous_status, previous_health, previous_progress)
           SELECT $1, gen_random_uuid(), d.id, $2, now() - interval '3 days',
                  'Dropped at the portfolio review: the pilot did not move activation, the team goes to checkout.',
                  'cancelled', p.health, d.progress, p.status, p.health, p.progress
           FROM dropped d JOIN picked p ON p.id = d.id"#,
        org_id,
        author
    )
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Two initiatives added since the quarter began; their ids.
async fn add_two(tx: &mut Tx<'_>, org_id: Uuid, today: NaiveDate) -> anyhow::Result<[Uuid; 2]> {
    let ids = [Uuid::now_v7(), Uuid::now_v7()];
    let start = today + Duration::days(14);
    sqlx::query!(
        r#"WITH next AS (
               UPDATE organizations SET next_initiative_number = next_initiative_number + 2 WHERE id = $1
               RETURNING next_initiative_number - 2 AS first, key_prefix
           ), new (k, id, title, portfolio, effort, target) AS (
               VALUES (0, $2::uuid, 'Fraud signals in the checkout risk score', 'Cart & Pricing', 6.0::float8, $5::date),
                      (1, $3::uuid, 'SCIM provisioning for Azure AD', 'SSO & SCIM', 4.0::float8, $6::date)
           )
           INSERT INTO initiatives (org_id, id, number, key, title, description, portfolio_id, owner_id, status,
                                    health, progress, effort, start_date, target_date, reach, impact, confidence)
           SELECT $1, n.id, x.first + n.k, x.key_prefix || '-' || (x.first + n.k), n.title,
                  n.title || ': added after the quarter began, at the customers'' request.', p.id, p.owner_id,
                  'planned', 'on_track', 0, n.effort, $4, n.target, 4000, 2, 80
           FROM new n CROSS JOIN next x
           JOIN portfolios p ON p.org_id = $1 AND p.name = n.portfolio"#,
        org_id,
        ids[0],
        ids[1],
        start,
        start + Duration::days(60),
        start + Duration::days(45)
    )
    .execute(&mut **tx)
    .await?;
    Ok(ids)
}

/// Four cross-team dependencies. Two are in conflict: the new fraud-signals work waits for a
/// Platform initiative due after it starts, and a Commerce initiative waits for Insights work due
/// after it starts. Two are not: one blocker is due before its dependent starts, one is done.
async fn depend(tx: &mut Tx<'_>, org_id: Uuid, author: Uuid, added: [Uuid; 2]) -> anyhow::Result<()> {
    sqlx::query!(
        r#"WITH line AS (
               SELECT i.id, i.number, i.status, i.start_date, i.target_date, top.name AS line
               FROM initiatives i
               JOIN portfolio_closure c ON c.org_id = i.org_id AND c.descendant_id = i.portfolio_id
               JOIN portfolios top ON top.org_id = c.org_id AND top.id = c.ancestor_id
               JOIN portfolios root ON root.org_id = top.org_id AND root.id = top.parent_id AND root.parent_id IS NULL
               WHERE i.org_id = $1 AND NOT EXISTS (SELECT 1 FROM scenario_changes c WHERE c.org_id = i.org_id AND c.initiative_id = i.id)
           ),
           fraud AS (SELECT id, start_date FROM initiatives WHERE org_id = $1 AND id = $2),
           conflict_a AS (
               SELECT f.id AS dependent_id, b.id AS blocker_id FROM fraud f
               JOIN LATERAL (SELECT l.id FROM line l
                             WHERE l.line = 'Platform' AND l.status IN ('planned', 'in_progress')
                               AND l.target_date >= f.start_date
                             ORDER BY l.number LIMIT 1) b ON true
           ),
           dependent_b AS (
               SELECT l.id, l.start_date FROM line l
               WHERE l.line = 'Commerce' AND l.status = 'planned' AND l.start_date IS NOT NULL
               ORDER BY l.number LIMIT 1
           ),
           conflict_b AS (
               SELECT d.id AS dependent_id, b.id AS blocker_id FROM dependent_b d
               JOIN LATERAL (SELECT l.id FROM line l
                             WHERE l.line = 'Insights' AND l.status IN ('planned', 'in_progress')
                               AND l.target_date >= d.start_date
                             ORDER BY l.number LIMIT 1) b ON true
           ),
           dependent_c AS (
               SELECT l.id, l.start_date FROM line l
               WHERE l.line = 'Commerce' AND l.status = 'planned' AND l.start_date IS NOT NULL
                 AND l.id NOT IN (SELECT id FROM dependent_b)
               ORDER BY l.number LIMIT 1
           ),
           in_time AS (
               SELECT d.id AS dependent_id, b.id AS blocker_id FROM dependent_c d
               JOIN LATERAL (SELECT l.id FROM line l
                             WHERE l.line = 'Platform' AND l.status = 'in_progress' AND l.target_date < d.start_date
                             ORDER BY l.number LIMIT 1) b ON true
           ),
           done AS (
               SELECT $3::uuid AS dependent_id, b.id AS blocker_id
               FROM (SELECT l.id FROM line l WHERE l.line = 'Platform' AND l.status = 'done'
                     ORDER BY l.number LIMIT 1) b
           )
           INSERT INTO initiative_dependencies (org_id, dependent_id, blocker_id, created_by)
           SELECT $1, dependent_id, blocker_id, $4
           FROM (SELECT * FROM conflict_a UNION ALL SELECT * FROM conflict_b
                 UNION ALL SELECT * FROM in_time UNION ALL SELECT * FROM done) links"#,
        org_id,
        added[0],
        added[1],
        author
    )
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Two running initiatives declared on track fall 30 points behind their time: what their PMs
/// see flagged on `/my` before the CPO sees it on the roll-up.
async fn make_optimistic(tx: &mut Tx<'_>, org_id: Uuid, today: NaiveDate) -> anyhow::Result<()> {
    sqlx::query!(
        r#"WITH picked AS (
               SELECT i.id, i.status, i.health, i.progress, i.owner_id,
                      ($2::date - i.start_date) * 100 / (i.target_date - i.start_date) AS expected
               FROM initiatives i
               WHERE i.org_id = $1 AND NOT EXISTS (SELECT 1 FROM scenario_changes c WHERE c.org_id = i.org_id AND c.initiative_id = i.id) AND i.status = 'in_progress' AND i.health = 'on_track'
                 AND i.target_date > $2 AND ($2::date - i.start_date) * 2 >= (i.target_date - i.start_date)
               ORDER BY i.number LIMIT 2
           ), behind AS (
               UPDATE initiatives i SET progress = greatest(p.expected - 30, 0), version = i.version + 1,
                                        updated_at = now() - interval '2 days'
               FROM picked p WHERE i.org_id = $1 AND i.id = p.id
               RETURNING i.id, i.progress
           )
           INSERT INTO status_updates (org_id, id, initiative_id, author_id, created_at, note, status, health,
                                       progress, previous_status, previous_health, previous_progress)
           SELECT $1, gen_random_uuid(), b.id, p.owner_id, now() - interval '2 days',
                  'Progress re-measured against the remaining stories; still on track for the date.',
                  p.status, p.health, b.progress, p.status, p.health, p.progress
           FROM behind b JOIN picked p ON p.id = b.id"#,
        org_id,
        today
    )
    .execute(&mut **tx)
    .await?;
    Ok(())
}
