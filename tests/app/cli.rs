//! The `cairn` command itself: the embedded cluster, database creation, and the demo organization.

use std::process::Command;

use sqlx::{ConnectOptions, Connection};
use uuid::Uuid;

use crate::helpers::{database_options, database_url, spawn_app};

/// The `cairn` binary, without the test process's `DATABASE_URL` and with quiet logs.
pub(crate) fn cairn() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_cairn"));
    command.env_remove("DATABASE_URL").env("RUST_LOG", "warn");
    command
}

#[test]
fn the_embedded_cluster_starts_fresh_restarts_with_its_data_and_leaves_no_server_behind() {
    let folder = std::env::temp_dir().join(format!("cairn-cli-test-{}", Uuid::new_v4().simple()));
    for run in ["first", "second"] {
        let output = cairn()
            .arg("--data-dir")
            .arg(&folder)
            .arg("migrate")
            .output()
            .unwrap();
        assert!(
            output.status.success(),
            "{run} run: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        assert_eq!(
            String::from_utf8_lossy(&output.stdout).trim(),
            "migrations applied"
        );
    }
    assert!(folder.join("pgdata/PG_VERSION").exists());
    // The server stopped with Cairn: its pid file is gone.
    assert!(
        !folder.join("pgdata/postmaster.pid").exists(),
        "postgres is still running"
    );
    let _ = std::fs::remove_dir_all(&folder);
}

#[tokio::test]
async fn a_missing_database_named_in_database_url_is_created_and_migrated() {
    let name = format!("cairn_cli_{}", Uuid::new_v4().simple());
    let output = cairn()
        .env("DATABASE_URL", database_url(&name))
        .arg("migrate")
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );

    let mut connection = database_options(&name).connect().await.unwrap();
    let tables: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM information_schema.tables WHERE table_name IN ('organizations', 'initiatives')",
    )
    .fetch_one(&mut connection)
    .await
    .unwrap();
    assert_eq!(tables, 2);
    connection.close().await.unwrap();
    let mut admin = database_options("postgres").connect().await.unwrap();
    sqlx::query(&format!("DROP DATABASE {name} WITH (FORCE)"))
        .execute(&mut admin)
        .await
        .unwrap();
}

#[test]
fn unknown_flags_are_refused_with_usage() {
    let output = cairn().arg("--no-such-flag").output().unwrap();
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("Usage"));
}

#[tokio::test]
async fn the_demo_organization_is_believable_and_loaded_only_once() {
    let app = spawn_app().await;
    let first = cairn::demo::load(&app.pool).await.unwrap();
    let second = cairn::demo::load(&app.pool).await.unwrap();
    assert!(first.created && !second.created);
    assert_eq!(first.org_id, second.org_id);

    let count = |sql: &'static str| {
        let pool = app.pool.clone();
        async move { sqlx::query_scalar::<_, i64>(sql).fetch_one(&pool).await.unwrap() }
    };
    assert_eq!(count("SELECT count(*) FROM organizations").await, 1);
    // A CPO, 3 VPs, 8 directors and 24 PMs, each owning a portfolio at their level.
    let owners = "SELECT count(DISTINCT owner_id) FROM portfolios WHERE level = ";
    assert_eq!(
        count("SELECT count(*) FROM portfolios WHERE level = 'portfolio'").await,
        1
    );
    for (level, leaders) in [("'product_line'", 3), ("'product'", 8), ("'area'", 24)] {
        let sql: &'static str = Box::leak(format!("{owners}{level}").into_boxed_str());
        assert_eq!(count(sql).await, leaders, "{level}");
    }
    let initiatives = count("SELECT count(*) FROM initiatives").await;
    assert!(
        (180..=220).contains(&initiatives),
        "about 200 initiatives, got {initiatives}"
    );
    for status in ["proposed", "planned", "in_progress", "done", "cancelled"] {
        let sql: &'static str =
            Box::leak(format!("SELECT count(*) FROM initiatives WHERE status = '{status}'").into_boxed_str());
        assert!(count(sql).await > 0, "some initiatives are {status}");
    }
    assert!(count("SELECT count(*) FROM initiatives WHERE health = 'off_track' AND status IN ('planned', 'in_progress')").await > 0);
    assert!(count("SELECT count(*) FROM initiatives WHERE target_date < current_date AND status NOT IN ('done', 'cancelled')").await > 0, "some work is late");
    assert!(count("SELECT count(*) FROM status_updates").await > 0);
    // The story holds together: the update that finishes work never says it slipped or is blocked.
    assert_eq!(
        count(
            "SELECT count(*) FROM status_updates WHERE status = 'done' AND previous_status <> 'done'
             AND (note ILIKE '%slipped%' OR note ILIKE '%blocked%' OR note ILIKE '%scope cut%')"
        )
        .await,
        0
    );
    assert!(
        count("SELECT count(*) FROM status_updates WHERE status = 'done' AND note IS NOT NULL").await > 0,
        "finished work has notes of its own"
    );
    // Keys are numbered from 1 and the counter continues after them.
    assert_eq!(
        count("SELECT count(*) FROM initiatives WHERE key = 'NORTH-1'").await,
        1
    );
    assert_eq!(
        count("SELECT next_initiative_number FROM organizations").await,
        initiatives + 1
    );
    // The closure table covers every ancestor pair: 36 self rows + 35 + 32 + 24 deeper pairs.
    assert_eq!(
        count("SELECT count(*) FROM portfolio_closure").await,
        36 + 35 + 32 + 24
    );
}

#[tokio::test]
async fn the_cpo_signs_in_to_the_demo_with_the_printed_credentials() {
    let app = spawn_app().await;
    let demo = cairn::demo::load(&app.pool).await.unwrap();
    let instructions = demo.instructions("http://example.test");
    assert!(instructions.contains("cpo@northwind.example"));
    assert!(instructions.contains(cairn::demo::PASSWORD));
    let signed_in = app
        .client
        .post(app.url("/login"))
        .form(&[
            ("email", "cpo@northwind.example"),
            ("password", cairn::demo::PASSWORD),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(signed_in.status(), reqwest::StatusCode::SEE_OTHER);
    // The CPO owns the top portfolio: home is its roll-up.
    let home = app.get_page("/").await;
    assert_eq!(home.status, reqwest::StatusCode::SEE_OTHER);
    let rollup = app.get_page(home.location.as_deref().unwrap()).await;
    assert_eq!(rollup.text("h1"), "Northwind");
}
