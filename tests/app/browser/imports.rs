//! An import's page follows along in a real browser while the import runs on the server: the
//! progress in its live region changes without a reload, and the page shows the report once the
//! import is over.

use crate::browser::Browser;
use crate::helpers::{Page, spawn_app};
use crate::rollups::build;

#[tokio::test]
async fn the_import_page_follows_a_running_import_until_it_is_over() {
    let Some(browser) = Browser::start().await else {
        return;
    };
    let app = spawn_app().await;
    let org = build(&app).await;
    app.sign_in_page(&org.account.email, &org.account.password, "")
        .await;
    let form = reqwest::multipart::Form::new()
        .text("portfolio_id", org.payments.clone())
        .text("source", "jira")
        .part(
            "file",
            reqwest::multipart::Part::text("Summary,Issue key,Issue Type\nCard refunds,SHOP-7,Epic\n")
                .file_name("shop.csv")
                .mime_str("text/csv")
                .unwrap(),
        );
    let kept = Page::read(
        app.client
            .post(app.url("/imports"))
            .multipart(form)
            .send()
            .await
            .unwrap(),
    )
    .await;
    let path = kept.location.unwrap();
    let id: uuid::Uuid = path.trim_start_matches("/imports/").parse().unwrap();
    // The import as the server would be running it: what the page reads of it is set by hand,
    // so that the test decides when it moves on.
    let set = async |sql: &str| {
        sqlx::query(sql).bind(id).execute(&app.pool).await.unwrap();
    };
    set("UPDATE import_uploads SET started_at = now(), rows_total = 5000, rows_done = 1200 WHERE id = $1")
        .await;

    browser
        .sign_in(&app.url(""), &org.account.email, &org.account.password)
        .await;
    browser.goto(&app.url(&path)).await;
    browser
        .wait_for_text(".import-progress", "1200 of 5000 initiatives written…")
        .await;
    set("UPDATE import_uploads SET rows_done = 4000 WHERE id = $1").await;
    browser
        .wait_for_text(".import-progress", "4000 of 5000 initiatives written…")
        .await;
    set(r#"UPDATE import_uploads SET finished_at = now(), body = '',
               report = '{"dry_run": false, "create": 5000, "update": 0, "rows": []}'
           WHERE id = $1"#)
    .await;
    browser
        .wait_for_text(".import-summary", "Created 5000 and updated 0 initiatives.")
        .await;
    assert_eq!(browser.count(".import-progress").await, 0);
    browser.close().await;
}
