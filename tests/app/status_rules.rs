//! The rules of an initiative's status, written once in SQL (migrations/0017_status_rules.sql) for
//! every query and once in Rust (`src/domain`) for the pages: the two give the same answers, and
//! the SQL ones stay expressions the planner writes into the query.

use cairn::domain::Status;
use cairn::domain::initiative::is_late;
use chrono::{Duration, NaiveDate};

use crate::helpers::spawn_app;

#[tokio::test]
async fn sql_and_rust_agree_on_open_active_and_late_for_every_status() {
    let app = spawn_app().await;
    let today = NaiveDate::from_ymd_opt(2026, 3, 15).unwrap();
    let targets = [
        None,
        Some(today - Duration::days(1)),
        Some(today),
        Some(today + Duration::days(1)),
    ];
    for &status in Status::ALL {
        for target in targets {
            let (open, active, late): (bool, bool, bool) = sqlx::query_as(
                "SELECT initiative_is_open($1), initiative_is_active($1),
                        coalesce(initiative_is_late($1, $2, $3), false)",
            )
            .bind(status.as_str())
            .bind(target)
            .bind(today)
            .fetch_one(&app.pool)
            .await
            .unwrap();
            assert_eq!(open, !status.is_closed(), "open: {status:?}");
            assert_eq!(active, status.is_active(), "active: {status:?}");
            assert_eq!(
                late,
                is_late(status, target, today),
                "late: {status:?} due {target:?}"
            );
        }
    }
}

#[tokio::test]
async fn the_sql_rules_are_inlined_into_the_queries_that_call_them() {
    let app = spawn_app().await;
    let plan: Vec<String> = sqlx::query_scalar(
        "EXPLAIN (VERBOSE, COSTS OFF)
         SELECT id FROM initiatives i
         WHERE initiative_is_active(status) AND NOT initiative_is_late(status, target_date, current_date)
           AND initiative_passes(status, health, owner_id, theme_id, target_date,
                                 NULL, 'at_risk', NULL, NULL, false, true, 'active', current_date)",
    )
    .fetch_all(&app.pool)
    .await
    .unwrap();
    let plan = plan.join("\n");
    assert!(
        !plan.contains("initiative_"),
        "a rule was called, not inlined:\n{plan}"
    );
}

#[tokio::test]
async fn a_share_link_is_revoked_before_it_is_expired_on_the_databases_clock() {
    let app = spawn_app().await;
    let state = |revoked: Option<i64>, expires: Option<i64>| {
        let pool = app.pool.clone();
        async move {
            let (state,): (String,) = sqlx::query_as(
                "SELECT share_link_state(now() + make_interval(secs => $1), now() + make_interval(secs => $2))",
            )
            .bind(revoked.map(|s| s as f64))
            .bind(expires.map(|s| s as f64))
            .fetch_one(&pool)
            .await
            .unwrap();
            state
        }
    };
    assert_eq!(state(None, None).await, "active");
    assert_eq!(state(None, Some(-1)).await, "expired");
    assert_eq!(state(None, Some(60)).await, "active");
    assert_eq!(state(Some(-1), Some(-1)).await, "revoked");
}
