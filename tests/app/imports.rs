//! Jira import (SPEC §12): a CSV export with Jira's quirks — a byte-order mark, repeated headers,
//! line breaks, commas and doubled quotes inside quoted fields, both of Jira's date formats, epics
//! with children across the file, a broken row — read into initiatives; a dry run writes nothing,
//! a re-import updates, a file without Jira's columns is refused by name, and another
//! organization's portfolio is 404.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{TestApp, expect_problem, expect_status, spawn_app};
use crate::rollups::build;

/// A made-up export in Jira Cloud's "CSV (all fields)" shape: no real people or projects.
const EXPORT: &str = "\u{feff}Summary,Issue key,Issue id,Issue Type,Status,Project key,Priority,Assignee,Labels,Labels,Sprint,Sprint,Due date,Custom field (Start date),Custom field (Story point estimate),Parent,Parent summary,Status Category,Description
Card refunds,SHOP-7,10007,Epic,In Progress,SHOP,High,,payments,q4,Sprint 1,Sprint 2,01/Oct/26,22/Jun/26 2:38 PM,8,,,In Progress,\"Refund a card payment from the order page.
Partial refunds, too: \"\"any amount up to the total\"\".\"
Refund button,SHOP-8,10008,Story,Done,SHOP,Medium,,,,,,,,3,10007,Card refunds,Done,
Refund emails,SHOP-9,10009,Story,In Review,SHOP,Medium,,,,,,,,2,SHOP-7,Card refunds,In Progress,
Receipts in PDF,SHOP-10,10010,Epic,Backlog,SHOP,Low,,,,,,2026-12-31,2026-11-02,,,,To Do,
Broken dates,SHOP-11,10011,Epic,Done,SHOP,Low,,,,,,31/Feb/26,,,,,Done,
Old checkout off,SHOP-12,10012,Epic,Closed,SHOP,Low,,,,,,15/Aug/26,,5,,,Done,
";

async fn import(app: &TestApp, token: &str, portfolio: &str, query: &str, csv: &str) -> reqwest::Response {
    app.api(
        Method::POST,
        token,
        &format!("/imports/jira?portfolio_id={portfolio}&{query}"),
    )
    .header("content-type", "text/csv")
    .body(csv.to_owned())
    .send()
    .await
    .unwrap()
}

fn actions(report: &Value) -> Vec<(String, String)> {
    report["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["key"].as_str().unwrap().to_owned(),
                r["action"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

async fn imported(app: &TestApp, token: &str, portfolio: &str) -> Vec<Value> {
    let list = app
        .get_json(token, &format!("/initiatives?portfolio_id={portfolio}&limit=100"))
        .await;
    list["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| i["title"] != "x")
        .cloned()
        .collect()
}

#[tokio::test]
async fn a_jira_export_becomes_initiatives_and_a_second_import_updates_them() {
    let app = spawn_app().await;
    let org = build(&app).await;
    let t = &org.account.token;
    let area = crate::helpers::id_of(
        &app.create_portfolio(t, "Refunds", "area", Some(&org.checkout))
            .await,
    );

    // The dry run says what would happen, row by row, and writes nothing.
    let dry = expect_status(
        import(&app, t, &area, "dry_run=true", EXPORT).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(
        (
            dry["dry_run"].as_bool(),
            dry["create"].as_i64(),
            dry["update"].as_i64()
        ),
        (Some(true), Some(3), Some(0))
    );
    assert_eq!(
        actions(&dry),
        [
            ("SHOP-7", "create"),
            ("SHOP-10", "create"),
            ("SHOP-11", "skip"),
            ("SHOP-12", "create")
        ]
        .map(|(k, a)| (k.to_owned(), a.to_owned()))
    );
    let broken = &dry["rows"][2];
    assert_eq!(broken["row"], 7, "the quoted line break counts");
    assert!(
        broken["errors"][0].as_str().unwrap().contains("31/Feb/26"),
        "{broken}"
    );
    assert!(imported(&app, t, &area).await.is_empty());

    // The real run imports the good rows in one go; the broken one is skipped.
    let run = expect_status(
        import(&app, t, &area, "dry_run=false", EXPORT).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(
        (run["create"].as_i64(), run["update"].as_i64()),
        (Some(3), Some(0))
    );
    let work = imported(&app, t, &area).await;
    let by_title = |title: &str| {
        work.iter()
            .find(|i| i["title"] == title)
            .unwrap_or_else(|| panic!("{title} in {work:?}"))
            .clone()
    };
    let refunds = by_title("Card refunds");
    assert_eq!(refunds["status"], "in_progress");
    assert_eq!(refunds["progress"], 50, "one of its two stories is done");
    assert_eq!(refunds["effort"], 8.0);
    assert_eq!(
        (refunds["start_date"].as_str(), refunds["target_date"].as_str()),
        (Some("2026-06-22"), Some("2026-10-01"))
    );
    let full = app
        .get_json(t, &format!("/initiatives/{}", refunds["id"].as_str().unwrap()))
        .await;
    assert_eq!(
        full["description"],
        "Refund a card payment from the order page.\nPartial refunds, too: \"any amount up to the total\"."
    );
    let receipts = by_title("Receipts in PDF");
    assert_eq!(
        (receipts["status"].as_str(), receipts["effort"].as_f64()),
        (Some("planned"), Some(1.0))
    );
    assert_eq!(by_title("Old checkout off")["status"], "done");
    assert_eq!(by_title("Old checkout off")["progress"], 100);

    // A second import of the file changed in Jira updates the same initiatives, with history.
    let moved = EXPORT.replace(
        "Refund emails,SHOP-9,10009,Story,In Review,SHOP,Medium,,,,,,,,2,SHOP-7,Card refunds,In Progress,",
        "Refund emails,SHOP-9,10009,Story,Done,SHOP,Medium,,,,,,,,2,SHOP-7,Card refunds,Done,",
    );
    let again = expect_status(
        import(&app, t, &area, "dry_run=false&points_per_week=2", &moved).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(
        (again["create"].as_i64(), again["update"].as_i64()),
        (Some(0), Some(2)),
        "{again}"
    );
    assert_eq!(actions(&again)[1], ("SHOP-10".to_owned(), "unchanged".to_owned()));
    let work = imported(&app, t, &area).await;
    assert_eq!(work.len(), 3, "no duplicates");
    let refunds = work.iter().find(|i| i["title"] == "Card refunds").unwrap();
    assert_eq!(
        (refunds["progress"].as_i64(), refunds["effort"].as_f64()),
        (Some(100), Some(4.0))
    );
    let history = app
        .get_json(
            t,
            &format!("/initiatives/{}/updates", refunds["id"].as_str().unwrap()),
        )
        .await;
    assert_eq!(history["items"][0]["note"], "Imported from Jira");
    assert_eq!(
        (
            history["items"][0]["previous"]["progress"].as_i64(),
            history["items"][0]["progress"].as_i64()
        ),
        (Some(50), Some(100))
    );
    crate::rollups::assert_maintained_totals_match(&app, org.account.org_id).await;
}

#[tokio::test]
async fn an_import_is_refused_whole_only_for_what_no_row_could_fix() {
    let app = spawn_app().await;
    let org = build(&app).await;
    let t = &org.account.token;
    // Without Jira's columns: 422 naming them.
    let missing = import(&app, t, &org.payments, "", "Title,Key\nA,B\n").await;
    let problem = expect_problem(missing, StatusCode::UNPROCESSABLE_ENTITY, Some("body")).await;
    assert!(
        problem["errors"]["body"][0]
            .as_str()
            .unwrap()
            .contains("Summary, Issue key"),
        "{problem}"
    );
    let bad = import(&app, t, &org.payments, "points_per_week=0&dry_run=maybe", EXPORT).await;
    let problem = expect_problem(bad, StatusCode::UNPROCESSABLE_ENTITY, Some("points_per_week")).await;
    assert!(problem["errors"]["dry_run"].is_array());
    let json_body = app
        .send_json(
            Method::POST,
            t,
            &format!("/imports/jira?portfolio_id={}", org.payments),
            json!({}),
            None,
        )
        .await;
    expect_problem(json_body, StatusCode::BAD_REQUEST, None).await;
    // A viewer may not import; another organization's portfolio is not there.
    let viewer = app.add_member(&org.account, cairn::domain::Role::Viewer).await;
    expect_problem(
        import(&app, &viewer.token, &org.payments, "dry_run=false", EXPORT).await,
        StatusCode::FORBIDDEN,
        None,
    )
    .await;
    let other = app.signup("Elsewhere").await;
    expect_problem(
        import(&app, &other.token, &org.payments, "dry_run=false", EXPORT).await,
        StatusCode::NOT_FOUND,
        None,
    )
    .await;
    assert!(
        imported(&app, t, &org.payments)
            .await
            .iter()
            .all(|i| !i["title"].as_str().unwrap().contains("refund"))
    );
    // A key twice in one file: the second is skipped, named with the first's line.
    let twice = "Summary,Issue key\nA,X-1\nB,X-1\n";
    let report = expect_status(import(&app, t, &org.payments, "", twice).await, StatusCode::OK).await;
    assert_eq!(report["rows"][1]["errors"][0], "repeats X-1 of line 2");
}

#[tokio::test]
async fn the_import_page_shows_the_dry_run_and_imports_on_confirmation_without_javascript() {
    let app = spawn_app().await;
    let org = build(&app).await;
    let t = &org.account.token;
    app.sign_in_page(&org.account.email, &org.account.password, "")
        .await;
    let upload = |file: Option<&str>, portfolio: &str| {
        let mut form = reqwest::multipart::Form::new()
            .text("portfolio_id", portfolio.to_owned())
            .text("points_per_week", "1");
        if let Some(body) = file {
            let part = reqwest::multipart::Part::text(body.to_owned())
                .file_name("shop.csv")
                .mime_str("text/csv")
                .unwrap();
            form = form.part("file", part);
        }
        app.client.post(app.url("/imports")).multipart(form).send()
    };
    // Without a file, said beside the field.
    let refused = crate::helpers::Page::read(upload(None, &org.payments).await.unwrap()).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.field_error("file").unwrap().contains("is required"));

    let kept = crate::helpers::Page::read(upload(Some(EXPORT), &org.payments).await.unwrap()).await;
    assert_eq!(kept.status, StatusCode::SEE_OTHER);
    let dry = app.get_page(kept.location.as_deref().unwrap()).await;
    assert_eq!(
        dry.text(".import-summary"),
        "It would create 3 and update 0 initiatives; 1 rows have errors and are skipped."
    );
    assert_eq!(dry.text("tr[data-key='SHOP-11'] td.action"), "Skip");
    assert!(dry.text("tr[data-key='SHOP-11'] td.errors").contains("31/Feb/26"));
    assert!(
        imported(&app, t, &org.payments)
            .await
            .iter()
            .all(|i| i["title"] != "Card refunds"),
        "a dry run writes nothing"
    );
    // Someone else cannot see or run another person's upload.
    let (_, other) = app
        .signed_in_member(&org.account, cairn::domain::Role::Admin)
        .await;
    assert_eq!(
        other.get_page(kept.location.as_deref().unwrap()).await.status,
        StatusCode::NOT_FOUND
    );

    let action = dry
        .one("form.run-import")
        .value()
        .attr("action")
        .unwrap()
        .to_owned();
    let done = app.post_form(&action, &[]).await;
    assert_eq!(done.status, StatusCode::OK);
    assert_eq!(
        done.text(".import-summary"),
        "Created 3 and updated 0 initiatives; 1 rows have errors and are skipped."
    );
    assert!(
        imported(&app, t, &org.payments)
            .await
            .iter()
            .any(|i| i["title"] == "Card refunds")
    );
    // The upload is gone once imported: a second confirmation finds nothing.
    assert_eq!(app.post_form(&action, &[]).await.status, StatusCode::NOT_FOUND);
    let rollup = app.get_page(&format!("/portfolios/{}", org.payments)).await;
    assert_eq!(
        rollup.href("a.import"),
        format!("/imports/new?portfolio_id={}", org.payments)
    );
}
