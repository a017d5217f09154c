//! Defence in depth for tenancy: PostgreSQL's row-level security keeps organizations apart even for
//! a query that forgets its `org_id` filter (migrations/0011_row_level_security.sql).
//!
//! `app.pool` connects as the schema's owner (a superuser in tests) for looking at everything;
//! `app.serving_pool` is the pool the server itself serves every request from.

use reqwest::Method;
use serde_json::json;
use sqlx::PgPool;
use uuid::Uuid;

use crate::helpers::{TestApp, count_rows, id_of, spawn_app};
use cairn::db;

/// Every table of the schema with an `org_id` column: the tenant tables.
async fn tenant_tables(pool: &PgPool) -> Vec<String> {
    sqlx::query_scalar(
        "SELECT c.relname::text FROM pg_class c
         JOIN pg_attribute a ON a.attrelid = c.oid AND a.attname = 'org_id' AND NOT a.attisdropped
         WHERE c.relnamespace = current_schema()::regnamespace AND c.relkind IN ('r', 'p')
         ORDER BY 1",
    )
    .fetch_all(pool)
    .await
    .unwrap()
}

async fn count_of_org(pool: &PgPool, table: &str, org_id: Uuid) -> i64 {
    sqlx::query_scalar(&format!("SELECT count(*) FROM {table} WHERE org_id = $1"))
        .bind(org_id)
        .fetch_one(pool)
        .await
        .unwrap()
}

/// Two organizations with rows in every tenant table: the demo (hierarchy, initiatives, history,
/// OKRs, roadmaps, a share link) and one signed up through the API (a token, an invitation, work
/// sent with an idempotency key).
async fn two_organizations(app: &TestApp) -> (Uuid, Uuid) {
    let demo = cairn::demo::load(&app.pool).await.unwrap();
    cairn::demo::share_roadmap(&app.pool, demo.org_id).await.unwrap();
    let acme = app.signup("Acme").await;
    let portfolio = app.create_portfolio(&acme.token, "Acme", "portfolio", None).await;
    app.api(Method::POST, &acme.token, "/initiatives")
        .header("Idempotency-Key", Uuid::new_v4().to_string())
        .json(&json!({"title": "Checkout", "portfolio_id": id_of(&portfolio)}))
        .send()
        .await
        .unwrap()
        .error_for_status()
        .unwrap();
    app.add_member_api(&acme.token, "member", None).await;
    // A Jira export waiting for its dry run to be confirmed (the import page keeps it).
    sqlx::query(
        "INSERT INTO import_uploads (org_id, id, portfolio_id, points_per_week, body, created_by)
         VALUES ($1, $2, $3, 1, 'Summary,Issue key', $4)",
    )
    .bind(acme.org_id)
    .bind(Uuid::now_v7())
    .bind(id_of(&portfolio).parse::<Uuid>().unwrap())
    .bind(acme.user_id)
    .execute(&app.pool)
    .await
    .unwrap();
    // A webhook with an event waiting and an attempt logged.
    let webhook = Uuid::now_v7();
    let mut tx = cairn::db::tenant::begin(&app.pool, acme.org_id).await.unwrap();
    sqlx::query("INSERT INTO webhooks (org_id, id, url, events, secret) VALUES ($1, $2, 'https://hooks.example.com/', '{webhook.test}', 'whsec_x')")
        .bind(acme.org_id)
        .bind(webhook)
        .execute(&mut *tx)
        .await
        .unwrap();
    sqlx::query("SELECT webhook_emit($1, 'webhook.test', '{}', $2)")
        .bind(acme.org_id)
        .bind(webhook)
        .execute(&mut *tx)
        .await
        .unwrap();
    sqlx::query(
        "INSERT INTO webhook_attempts (org_id, id, webhook_id, delivery_id, event_id, attempt, status, latency_ms)
         SELECT org_id, $2, webhook_id, id, event_id, 1, 500, 12 FROM webhook_deliveries WHERE org_id = $1",
    )
    .bind(acme.org_id)
    .bind(Uuid::now_v7())
    .execute(&mut *tx)
    .await
    .unwrap();
    tx.commit().await.unwrap();
    (demo.org_id, acme.org_id)
}

#[tokio::test]
async fn without_an_organization_the_app_sees_no_rows() {
    let app = spawn_app().await;
    let (northwind, acme) = two_organizations(&app).await;
    let serving = &app.serving_pool;

    for table in tenant_tables(&app.pool).await {
        let northwinds = count_of_org(&app.pool, &table, northwind).await;
        let acmes = count_of_org(&app.pool, &table, acme).await;
        assert!(
            northwinds + acmes > 0,
            "{table} has no rows here: give this test's organizations one, so that it shows the policy hiding them"
        );
        // No organization set: nothing, and no error.
        assert_eq!(
            count_rows(serving, &table).await,
            0,
            "{table} without an organization"
        );
        // One organization set: exactly its rows, whatever the query's own filter.
        for (org_id, expected) in [(northwind, northwinds), (acme, acmes)] {
            let mut tx = db::tenant::begin(serving, org_id).await.unwrap();
            assert_eq!(
                count_rows(&mut *tx, &table).await,
                expected,
                "{table} for {org_id}"
            );
            tx.rollback().await.unwrap();
        }
    }
}

#[tokio::test]
async fn the_app_cannot_write_into_another_organization() {
    let app = spawn_app().await;
    let (northwind, acme) = two_organizations(&app).await;
    let serving = &app.serving_pool;
    let themes_of_acme = count_of_org(&app.pool, "themes", acme).await;

    let mut tx = db::tenant::begin(serving, northwind).await.unwrap();
    let refused =
        sqlx::query("INSERT INTO themes (org_id, id, name, colour) VALUES ($1, $2, 'Smuggled', '#112233')")
            .bind(acme)
            .bind(Uuid::now_v7())
            .execute(&mut *tx)
            .await
            .expect_err("a row of another organization is refused");
    let code = refused.as_database_error().and_then(|e| e.code()).unwrap();
    assert_eq!(code, "42501", "{refused}"); // insufficient_privilege: the policy's WITH CHECK
    tx.rollback().await.unwrap();

    // Another organization's rows are not there to change or delete either.
    let mut tx = db::tenant::begin(serving, northwind).await.unwrap();
    let renamed = sqlx::query("UPDATE themes SET name = name || ' (taken)' WHERE org_id = $1")
        .bind(acme)
        .execute(&mut *tx)
        .await
        .unwrap();
    assert_eq!(renamed.rows_affected(), 0);
    let deleted = sqlx::query("DELETE FROM initiatives WHERE org_id = $1")
        .bind(acme)
        .execute(&mut *tx)
        .await
        .unwrap();
    assert_eq!(deleted.rows_affected(), 0);
    tx.commit().await.unwrap();
    assert_eq!(count_of_org(&app.pool, "themes", acme).await, themes_of_acme);
    assert!(count_of_org(&app.pool, "initiatives", acme).await > 0);
}

#[tokio::test]
async fn the_server_serves_as_a_role_that_owns_nothing_and_bypasses_nothing() {
    let app = spawn_app().await;
    let serving = &app.serving_pool;
    let role = sqlx::query_as::<_, (String, bool, bool, i64, i64)>(
        "SELECT r.rolname::text, r.rolsuper, r.rolbypassrls,
                (SELECT count(*) FROM pg_class c
                 WHERE c.relnamespace = current_schema()::regnamespace
                   AND pg_has_role(current_user, c.relowner, 'USAGE')),
                (SELECT count(*) FROM pg_roles o WHERE o.oid <> r.oid AND pg_has_role(current_user, o.oid, 'MEMBER'))
         FROM pg_roles r WHERE r.rolname = current_user",
    )
    .fetch_one(serving)
    .await
    .unwrap();
    assert_eq!(role, (db::APP_ROLE.to_owned(), false, false, 0, 0));
}

#[tokio::test]
async fn every_table_with_an_org_id_has_row_level_security() {
    let app = spawn_app().await;
    let tables = tenant_tables(&app.pool).await;
    assert!(tables.len() >= 18, "{tables:?}");
    let unprotected: Vec<String> = sqlx::query_scalar(
        "SELECT c.relname::text FROM pg_class c
         WHERE c.relname = ANY ($1) AND c.relnamespace = current_schema()::regnamespace
           AND NOT (c.relrowsecurity AND c.relforcerowsecurity AND EXISTS (
               SELECT 1 FROM pg_policies p
               WHERE p.schemaname = current_schema() AND p.tablename = c.relname
                 AND p.policyname = 'tenant_isolation' AND p.permissive = 'PERMISSIVE' AND p.cmd = 'ALL'
                 AND p.roles = '{public}'
                 AND p.qual LIKE '%current_setting(''cairn.org_id''%'
                 AND p.with_check LIKE '%current_setting(''cairn.org_id''%')
               -- and no other policy opens the table to the application
               AND NOT EXISTS (
               SELECT 1 FROM pg_policies p
               WHERE p.schemaname = current_schema() AND p.tablename = c.relname
                 AND p.policyname <> 'tenant_isolation' AND p.permissive = 'PERMISSIVE'
                 AND p.roles && ARRAY['public', $2]::name[]))
         ORDER BY 1",
    )
    .bind(&tables)
    .bind(db::APP_ROLE)
    .fetch_all(&app.pool)
    .await
    .unwrap();
    assert!(
        unprotected.is_empty(),
        "tenant tables without row-level security (enabled, forced, the tenant_isolation policy): \
         {unprotected:?}; see migrations/0011_row_level_security.sql"
    );
}
