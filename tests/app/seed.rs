//! `cairn seed`: a benchmark organization someone can sign in to, whose maintained roll-up totals
//! agree with a from-scratch computation.

use reqwest::StatusCode;
use serde_json::Value;
use uuid::Uuid;

use crate::helpers::{TestApp, spawn_app};

const INITIATIVES: usize = 300;

/// Seeds through the library and reads the result back as the JSON line the command prints.
async fn seeded(app: &TestApp) -> Value {
    let seeded = cairn::seed::seed(&app.pool, INITIATIVES).await.unwrap();
    serde_json::from_str(&serde_json::to_string(&seeded).unwrap()).unwrap()
}

fn uuid_of(json: &Value, field: &str) -> Uuid {
    json[field].as_str().unwrap().parse().unwrap()
}

#[tokio::test]
async fn the_printed_token_and_password_open_the_seeded_organization() {
    let app = spawn_app().await;
    let seed = seeded(&app).await;
    let token = seed["token"].as_str().unwrap();

    let me = app.get_json(token, "/me").await;
    assert_eq!(me["org"]["id"], seed["org_id"]);
    assert_eq!(me["user"]["email"], seed["email"]);
    assert_eq!(me["role"], "admin");
    let root = app
        .get_json(
            token,
            &format!("/portfolios/{}", seed["root_portfolio_id"].as_str().unwrap()),
        )
        .await;
    assert_eq!(root["level"], "portfolio");
    assert!(root["parent_id"].is_null());

    let signed_in = app
        .client
        .post(app.url("/login"))
        .form(&[
            ("email", seed["email"].as_str().unwrap()),
            ("password", seed["password"].as_str().unwrap()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(signed_in.status(), StatusCode::SEE_OTHER);

    // A second seed is a second organization, not a clash with the first.
    let second = seeded(&app).await;
    assert_ne!(second["org_id"], seed["org_id"]);
}

#[tokio::test]
async fn the_seeded_hierarchy_has_four_levels_and_n_initiatives() {
    let app = spawn_app().await;
    let org_id = uuid_of(&seeded(&app).await, "org_id");
    let count = |sql: &'static str| {
        let pool = app.pool.clone();
        async move {
            sqlx::query_scalar::<_, i64>(sql)
                .bind(org_id)
                .fetch_one(&pool)
                .await
                .unwrap()
        }
    };
    assert_eq!(
        count("SELECT count(*) FROM initiatives WHERE org_id = $1").await,
        INITIATIVES as i64
    );
    assert_eq!(
        count("SELECT count(DISTINCT level) FROM portfolios WHERE org_id = $1").await,
        4
    );
    // Levels follow depth: portfolio at 0, product lines at 1, products at 2, areas at 3.
    assert_eq!(
        count(
            "SELECT count(*) FROM portfolio_closure c JOIN portfolios p ON p.org_id = c.org_id AND p.id = c.descendant_id
             JOIN portfolios root ON root.org_id = c.org_id AND root.id = c.ancestor_id AND root.parent_id IS NULL
             WHERE c.org_id = $1
               AND p.level <> (ARRAY['portfolio', 'product_line', 'product', 'area'])[c.depth + 1]"
        )
        .await,
        0
    );
    assert_eq!(
        count("SELECT count(*) FROM portfolios WHERE org_id = $1").await,
        cairn::seed::Shape::for_initiatives(INITIATIVES).portfolios() as i64
    );
    // Every portfolio has a leader, and the leaders are people of the organization.
    assert_eq!(
        count("SELECT count(*) FROM portfolios WHERE org_id = $1 AND owner_id IS NULL").await,
        0
    );
    for sql in [
        "SELECT count(*) FROM initiatives WHERE org_id = $1 AND status = 'cancelled'",
        "SELECT count(*) FROM initiatives WHERE org_id = $1 AND health = 'off_track' AND status IN ('planned', 'in_progress')",
        "SELECT count(*) FROM initiatives WHERE org_id = $1 AND target_date < current_date AND status NOT IN ('done', 'cancelled')",
        "SELECT count(*) FROM status_updates WHERE org_id = $1",
        "SELECT count(*) FROM themes WHERE org_id = $1 AND target_share > 0",
    ] {
        assert!(count(sql).await > 0, "{sql}");
    }
}

#[tokio::test]
async fn maintained_roll_up_totals_equal_a_from_scratch_computation() {
    let app = spawn_app().await;
    let org_id = uuid_of(&seeded(&app).await, "org_id");
    // SPEC §3's additive parts per portfolio subtree, straight from the initiatives.
    let mismatches: i64 = sqlx::query_scalar(
        "WITH scratch AS (
             SELECT c.ancestor_id AS portfolio_id,
                 count(*) FILTER (WHERE i.status = 'proposed') AS n_proposed,
                 count(*) FILTER (WHERE i.status = 'planned') AS n_planned,
                 count(*) FILTER (WHERE i.status = 'in_progress') AS n_in_progress,
                 count(*) FILTER (WHERE i.status = 'done') AS n_done,
                 count(*) FILTER (WHERE i.status = 'cancelled') AS n_cancelled,
                 count(*) FILTER (WHERE i.status IN ('planned', 'in_progress') AND i.health = 'on_track') AS n_on_track,
                 count(*) FILTER (WHERE i.status IN ('planned', 'in_progress') AND i.health = 'at_risk') AS n_at_risk,
                 count(*) FILTER (WHERE i.status IN ('planned', 'in_progress') AND i.health = 'off_track') AS n_off_track,
                 coalesce(sum(i.effort::numeric) FILTER (WHERE i.status IN ('planned', 'in_progress')), 0) AS active_effort,
                 coalesce(sum(i.effort::numeric) FILTER (WHERE i.status IN ('planned', 'in_progress') AND i.health = 'at_risk'), 0)
                     AS active_effort_at_risk,
                 coalesce(sum(i.effort::numeric) FILTER (WHERE i.status IN ('planned', 'in_progress') AND i.health = 'off_track'), 0)
                     AS active_effort_off_track,
                 coalesce(sum(i.effort::numeric) FILTER (WHERE i.status <> 'cancelled'), 0) AS effort,
                 coalesce(sum(i.effort::numeric * CASE WHEN i.status = 'done' THEN 100 ELSE i.progress END)
                     FILTER (WHERE i.status <> 'cancelled'), 0) AS effort_progress,
                 coalesce(sum(coalesce(i.budget, 0)) FILTER (WHERE i.status <> 'cancelled'), 0) AS budget
             FROM portfolio_closure c
             JOIN initiatives i ON i.org_id = c.org_id AND i.portfolio_id = c.descendant_id
             WHERE c.org_id = $1
             GROUP BY c.ancestor_id
         )
         SELECT count(*) FROM portfolio_totals t LEFT JOIN scratch s ON s.portfolio_id = t.portfolio_id
         WHERE t.org_id = $1
           AND (t.n_proposed, t.n_planned, t.n_in_progress, t.n_done, t.n_cancelled, t.n_on_track, t.n_at_risk,
                t.n_off_track, t.active_effort, t.active_effort_at_risk, t.active_effort_off_track, t.effort,
                t.effort_progress, t.budget)
               IS DISTINCT FROM
               (coalesce(s.n_proposed, 0), coalesce(s.n_planned, 0), coalesce(s.n_in_progress, 0),
                coalesce(s.n_done, 0), coalesce(s.n_cancelled, 0), coalesce(s.n_on_track, 0),
                coalesce(s.n_at_risk, 0), coalesce(s.n_off_track, 0), coalesce(s.active_effort, 0),
                coalesce(s.active_effort_at_risk, 0), coalesce(s.active_effort_off_track, 0),
                coalesce(s.effort, 0), coalesce(s.effort_progress, 0), coalesce(s.budget, 0))",
    )
    .bind(org_id)
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(mismatches, 0, "portfolios whose maintained totals differ");

    // The root's totals cover every initiative of the organization.
    let (root_total, all): (i64, i64) = sqlx::query_as(
        "SELECT t.n_proposed + t.n_planned + t.n_in_progress + t.n_done + t.n_cancelled,
                (SELECT count(*) FROM initiatives WHERE org_id = $1)
         FROM portfolio_totals t JOIN portfolios p ON p.org_id = t.org_id AND p.id = t.portfolio_id
         WHERE t.org_id = $1 AND p.parent_id IS NULL",
    )
    .bind(org_id)
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!((root_total, all), (INITIATIVES as i64, INITIATIVES as i64));

    // The root's groups by theme and by owner (the investment mix is the theme groups' effort)
    // and its open deadlines, likewise.
    let group_mismatches: i64 = sqlx::query_scalar(
        "WITH root AS (SELECT id FROM portfolios WHERE org_id = $1 AND parent_id IS NULL),
         work AS (SELECT * FROM initiatives WHERE org_id = $1),
         scratch AS (
             SELECT 'theme' AS dimension, theme_id AS group_id, count(*) AS initiatives,
                    coalesce(sum(effort::numeric) FILTER (WHERE status <> 'cancelled'), 0) AS effort
             FROM work GROUP BY theme_id
             UNION ALL
             SELECT 'owner', owner_id, count(*),
                    coalesce(sum(effort::numeric) FILTER (WHERE status <> 'cancelled'), 0)
             FROM work GROUP BY owner_id
         ),
         kept AS (
             SELECT dimension, group_id, n_proposed + n_planned + n_in_progress + n_done + n_cancelled, effort
             FROM portfolio_group_totals
             WHERE org_id = $1 AND portfolio_id = (SELECT id FROM root)
               AND n_proposed + n_planned + n_in_progress + n_done + n_cancelled > 0
         )
         SELECT count(*) FROM ((SELECT * FROM scratch EXCEPT SELECT * FROM kept)
                               UNION ALL (SELECT * FROM kept EXCEPT SELECT * FROM scratch)) d",
    )
    .bind(org_id)
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(group_mismatches, 0, "the root's theme and owner groups differ");
    let deadline_mismatches: i64 = sqlx::query_scalar(
        "WITH root AS (SELECT id FROM portfolios WHERE org_id = $1 AND parent_id IS NULL),
         scratch AS (
             SELECT target_date, count(*) AS open FROM initiatives
             WHERE org_id = $1 AND status NOT IN ('done', 'cancelled') AND target_date IS NOT NULL
             GROUP BY target_date
         ),
         kept AS (
             SELECT target_date, open FROM portfolio_deadlines
             WHERE org_id = $1 AND portfolio_id = (SELECT id FROM root) AND open <> 0
         )
         SELECT count(*) FROM ((SELECT * FROM scratch EXCEPT SELECT * FROM kept)
                               UNION ALL (SELECT * FROM kept EXCEPT SELECT * FROM scratch)) d",
    )
    .bind(org_id)
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(deadline_mismatches, 0, "the root's open deadlines differ");
}
