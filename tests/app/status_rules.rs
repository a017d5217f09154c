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

/// SPEC §10's two rules, SQL and Rust: the conflict of a dependency, and whether work is
/// optimistic on a day — SQL's as the day it starts being so (`initiative_optimistic_from`), Rust's
/// as the pace on that day. Every status and health, spans of 0 to 40 days, progress and
/// thresholds around the edges, each day from before the start to after the target.
#[tokio::test]
async fn sql_and_rust_agree_on_dependency_conflicts_and_optimism() {
    use cairn::domain::Health;
    use cairn::domain::dependency::in_conflict;
    use cairn::domain::pace::{Pace, PaceInputs};

    let app = spawn_app().await;
    let day = NaiveDate::from_ymd_opt(2026, 3, 15).unwrap();
    let dates = [
        None,
        Some(day - Duration::days(1)),
        Some(day),
        Some(day + Duration::days(1)),
    ];
    for &blocker in Status::ALL {
        for &dependent in Status::ALL {
            for due in dates {
                for start in dates {
                    let sql: bool = sqlx::query_scalar("SELECT dependency_in_conflict($1, $2, $3, $4)")
                        .bind(blocker.as_str())
                        .bind(due)
                        .bind(dependent.as_str())
                        .bind(start)
                        .fetch_one(&app.pool)
                        .await
                        .unwrap();
                    assert_eq!(
                        sql,
                        in_conflict(blocker, due, dependent, start),
                        "blocker {blocker:?} due {due:?}, dependent {dependent:?} from {start:?}"
                    );
                }
            }
        }
    }
    let start = day;
    let mut cases = Vec::new();
    for &status in Status::ALL {
        for &health in Health::ALL {
            for span in [0_i64, 1, 3, 7, 40] {
                for progress in [0_i16, 10, 33, 74, 75, 100] {
                    for threshold in [1_i16, 25, 26, 100] {
                        cases.push((status, health, span, progress, threshold));
                    }
                }
            }
        }
    }
    let statuses: Vec<&str> = cases.iter().map(|c| c.0.as_str()).collect();
    let healths: Vec<&str> = cases.iter().map(|c| c.1.as_str()).collect();
    let targets: Vec<NaiveDate> = cases.iter().map(|c| start + Duration::days(c.2)).collect();
    let progresses: Vec<i16> = cases.iter().map(|c| c.3).collect();
    let thresholds: Vec<i16> = cases.iter().map(|c| c.4).collect();
    let days: Vec<Option<NaiveDate>> = sqlx::query_scalar(
        "SELECT initiative_optimistic_from(s, h, p, $6, t, k)
         FROM UNNEST($1::text[], $2::text[], $3::date[], $4::int2[], $5::int2[]) WITH ORDINALITY AS c (s, h, t, p, k, n)
         ORDER BY n",
    )
    .bind(&statuses)
    .bind(&healths)
    .bind(&targets)
    .bind(&progresses)
    .bind(&thresholds)
    .bind(start)
    .fetch_all(&app.pool)
    .await
    .unwrap();
    for ((status, health, span, progress, threshold), from) in cases.into_iter().zip(days) {
        let work = PaceInputs {
            status,
            health,
            progress,
            start_date: Some(start),
            target_date: Some(start + Duration::days(span)),
        };
        for offset in -2..=span + 2 {
            let today = start + Duration::days(offset);
            let rust = Pace::of(work, today, threshold).is_some_and(|pace| pace.optimistic);
            assert_eq!(
                from.is_some_and(|from| from <= today),
                rust,
                "{status:?} {health:?}, {progress} % of a {span}-day span, threshold {threshold}, day {offset}"
            );
        }
    }
}
