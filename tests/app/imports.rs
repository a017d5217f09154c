//! Jira import (SPEC §12): a CSV export with Jira's quirks — a byte-order mark, repeated headers,
//! line breaks, commas and doubled quotes inside quoted fields, both of Jira's date formats, epics
//! with children across the file, a broken row — read into initiatives; a dry run writes nothing,
//! a re-import updates, a file without Jira's columns is refused by name, and another
//! organization's portfolio is 404.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{TestApp, expect_problem, expect_status, id_of, spawn_app};
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
    post_import(app, token, "jira", portfolio, query, csv).await
}

async fn import_csv(
    app: &TestApp,
    token: &str,
    portfolio: &str,
    query: &str,
    csv: &str,
) -> reqwest::Response {
    post_import(app, token, "csv", portfolio, query, csv).await
}

/// `POST /imports/{kind}` with `csv` as the body.
async fn post_import(
    app: &TestApp,
    token: &str,
    kind: &str,
    portfolio: &str,
    query: &str,
    csv: &str,
) -> reqwest::Response {
    app.api(
        Method::POST,
        token,
        &format!("/imports/{kind}?portfolio_id={portfolio}&{query}"),
    )
    .header("content-type", "text/csv")
    .body(csv.to_owned())
    .send()
    .await
    .unwrap()
}

/// A viewer may not import `csv` into Payments (403); another organization does not find it
/// (404). Answers the other organization's account.
async fn refused_to_outsiders(
    app: &TestApp,
    org: &crate::rollups::Org,
    kind: &str,
    csv: &str,
) -> crate::helpers::Account {
    let viewer = app.add_member(&org.account, cairn::domain::Role::Viewer).await;
    let portfolio = &org.payments;
    let as_viewer = post_import(app, &viewer.token, kind, portfolio, "dry_run=false", csv).await;
    expect_problem(as_viewer, StatusCode::FORBIDDEN, None).await;
    let other = app.signup("Elsewhere").await;
    let as_other = post_import(app, &other.token, kind, portfolio, "dry_run=false", csv).await;
    expect_problem(as_other, StatusCode::NOT_FOUND, None).await;
    other
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
    assert_eq!(
        full["external_ref"], "jira:SHOP-7",
        "what a re-import finds it by"
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
    refused_to_outsiders(&app, &org, "jira", EXPORT).await;
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
    // The import runs in the background: the browser goes to its page, which shows how far it
    // is while it runs, then what it did.
    let started = app.post_form(&action, &[]).await;
    assert_eq!(started.status, StatusCode::SEE_OTHER);
    let page = started.location.clone().unwrap();
    let done = finished(&app, &page).await;
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
    // A second confirmation imports nothing again: it shows what the first did.
    let again = app.post_form(&action, &[]).await;
    assert_eq!(again.location.as_deref(), Some(page.as_str()));
    assert_eq!(
        finished(&app, &page).await.text(".import-summary"),
        "Created 3 and updated 0 initiatives; 1 rows have errors and are skipped."
    );
    let card_refunds = imported(&app, t, &org.payments)
        .await
        .iter()
        .filter(|i| i["title"] == "Card refunds")
        .count();
    assert_eq!(card_refunds, 1);
    // While an import runs its page says how far it is, in a live region, with nothing to press;
    // one whose server stopped it (started long ago, never finished) wrote nothing and may run
    // again. (Both states are set by hand: a three-row import is over before a page could look.)
    let second = crate::helpers::Page::read(upload(Some(EXPORT), &org.payments).await.unwrap()).await;
    let second_page = second.location.clone().unwrap();
    let second_id: uuid::Uuid = second_page.trim_start_matches("/imports/").parse().unwrap();
    sqlx::query(
        "UPDATE import_uploads SET started_at = now(), rows_total = 5000, rows_done = 1200 WHERE id = $1",
    )
    .bind(second_id)
    .execute(&app.pool)
    .await
    .unwrap();
    let running = app.get_page(&second_page).await;
    assert_eq!(
        running.text(".import-progress[role=status]"),
        "1200 of 5000 initiatives written…"
    );
    assert!(running.select("form.run-import").is_empty());
    sqlx::query("UPDATE import_uploads SET started_at = now() - interval '11 minutes' WHERE id = $1")
        .bind(second_id)
        .execute(&app.pool)
        .await
        .unwrap();
    let stalled = app.get_page(&second_page).await;
    assert!(
        stalled.text(".import-failed").contains("nothing was written"),
        "{}",
        stalled.text(".import-failed")
    );
    let rerun = stalled
        .one("form.run-import")
        .value()
        .attr("action")
        .unwrap()
        .to_owned();
    app.post_form(&rerun, &[]).await;
    assert_eq!(
        finished(&app, &second_page).await.text(".import-summary"),
        "Created 0 and updated 0 initiatives; 1 rows have errors and are skipped.",
        "the same file again: every epic is there already"
    );
    let rollup = app.get_page(&format!("/portfolios/{}", org.payments)).await;
    assert_eq!(
        rollup.href("a.import"),
        format!("/imports/new?portfolio_id={}", org.payments)
    );

    // The list's own CSV, edited, goes the same way when the form says it is Cairn's.
    let list = app
        .get_page(&format!("/initiatives?portfolio_id={}", org.payments))
        .await;
    let import_csv = list.href("a.import-csv");
    assert_eq!(
        import_csv,
        format!("/imports/new?source=cairn&portfolio_id={}", org.payments)
    );
    let form = app.get_page(&import_csv).await;
    assert_eq!(
        form.one("select[name=source] option[selected]")
            .value()
            .attr("value"),
        Some("cairn")
    );
    let (header, records) = exported(&app, &org.payments).await;
    let column = |name: &str| header.iter().position(|h| h == name).unwrap();
    let mut edited: Vec<csv::StringRecord> = records.clone();
    let first = edited[0].clone();
    let mut cells: Vec<String> = first.iter().map(str::to_owned).collect();
    cells[column("title")] = "Renamed in a spreadsheet".into();
    edited[0] = csv::StringRecord::from(cells);
    let sheet = reqwest::multipart::Form::new()
        .text("portfolio_id", org.payments.clone())
        .text("source", "cairn")
        .text("points_per_week", "1")
        .part(
            "file",
            reqwest::multipart::Part::text(written(&header, &edited))
                .file_name("initiatives.csv")
                .mime_str("text/csv")
                .unwrap(),
        );
    let kept = crate::helpers::Page::read(
        app.client
            .post(app.url("/imports"))
            .multipart(sheet)
            .send()
            .await
            .unwrap(),
    )
    .await;
    let dry = app.get_page(kept.location.as_deref().unwrap()).await;
    assert_eq!(
        dry.text(".import-summary"),
        "It would create 0 and update 1 initiatives."
    );
    let key = &first[column("key")];
    assert_eq!(dry.text(&format!("tr[data-key='{key}'] td.action")), "Update");
    let action = dry
        .one("form.run-import")
        .value()
        .attr("action")
        .unwrap()
        .to_owned();
    let started = app.post_form(&action, &[]).await;
    let done = finished(&app, started.location.as_deref().unwrap()).await;
    assert_eq!(
        done.text(".import-summary"),
        "Created 0 and updated 1 initiatives."
    );
    let (_, after) = exported(&app, &org.payments).await;
    assert_eq!(&after[0][column("title")], "Renamed in a spreadsheet");
}

/// The import page once its import is over; while it runs the page says how far it is.
async fn finished(app: &TestApp, path: &str) -> crate::helpers::Page {
    for _ in 0..200 {
        let page = app.get_page(path).await;
        assert_eq!(page.status, StatusCode::OK);
        if page.select(".import-progress").is_empty() {
            return page;
        }
        assert!(
            page.text(".import-progress").contains("written")
                || page.text(".import-progress").contains("Reading")
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("the import at {path} did not finish");
}

/// The initiative list's CSV, as the page exports it to a signed-in user.
async fn exported(app: &TestApp, portfolio: &str) -> (csv::StringRecord, Vec<csv::StringRecord>) {
    let body = app
        .client
        .get(app.url(&format!("/initiatives.csv?portfolio_id={portfolio}")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let mut reader = csv::Reader::from_reader(body.as_bytes());
    let header = reader.headers().unwrap().clone();
    (header, reader.records().map(Result::unwrap).collect())
}

fn written(header: &csv::StringRecord, records: &[csv::StringRecord]) -> String {
    let mut writer = csv::Writer::from_writer(Vec::new());
    writer.write_record(header).unwrap();
    for record in records {
        writer.write_record(record).unwrap();
    }
    String::from_utf8(writer.into_inner().unwrap()).unwrap()
}

#[tokio::test]
async fn the_initiative_lists_csv_edited_in_a_spreadsheet_imports_back() {
    let app = spawn_app().await;
    let org = crate::rollup_pages::signed_in_org(&app).await;
    let t = &org.account.token;
    let key_of = async |id: &str| {
        app.get_json(t, &format!("/initiatives/{id}")).await["key"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    let (a, e) = (key_of(&org.a).await, key_of(&org.e).await);
    let (header, records) = exported(&app, &org.checkout).await;
    assert_eq!(records.len(), 5, "Payments' four and Checkout's own");
    let column = |name: &str| header.iter().position(|h| h == name).unwrap();

    // The file as exported changes nothing.
    let same = expect_status(
        import_csv(
            &app,
            t,
            &org.checkout,
            "dry_run=false",
            &written(&header, &records),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(
        (same["create"].as_i64(), same["update"].as_i64()),
        (Some(0), Some(0)),
        "{same}"
    );
    assert!(
        actions(&same).iter().all(|(_, action)| action == "unchanged"),
        "{same}"
    );

    // Edited as in a spreadsheet: a's status, health, progress, theme and owner; e's dates,
    // budget and portfolio; b renamed while someone changed it in Cairn; a new row; bad rows.
    let mut edited: Vec<csv::StringRecord> = Vec::new();
    let mut b = String::new();
    for record in &records {
        let mut cells: Vec<String> = record.iter().map(str::to_owned).collect();
        let key = cells[column("key")].clone();
        if key == a {
            cells[column("status")] = "done".into();
            cells[column("health")] = "at_risk".into();
            cells[column("progress_percent")] = "100".into();
            cells[column("theme")] = "retention".into(); // names are matched case aside
            cells[column("owner")] = org.account.email.clone();
        } else if key == e {
            cells[column("start_date")] = "2027-01-04".into();
            cells[column("target_date")] = "2027-06-30".into();
            cells[column("budget")] = "2500.50".into();
            cells[column("portfolio")] = "Payments".into();
        } else if cells[column("status")] == "planned" {
            b = key;
            cells[column("title")] = "Renamed in the sheet".into();
        }
        edited.push(csv::StringRecord::from(cells));
    }
    let row = |cells: &[(&str, &str)]| {
        let mut record = vec![String::new(); header.len()];
        for (name, value) in cells {
            record[column(name)] = (*value).to_owned();
        }
        csv::StringRecord::from(record)
    };
    edited.push(row(&[
        ("title", "=Gift cards"),
        ("status", "proposed"),
        ("health", "on_track"),
        ("progress_percent", "0"),
        ("effort_person_weeks", "2"),
    ]));
    edited.push(row(&[
        ("key", "NOPE-999"),
        ("title", "Nothing"),
        ("status", "planned"),
        ("health", "on_track"),
        ("progress_percent", "0"),
        ("effort_person_weeks", "1"),
    ]));
    edited.push(row(&[
        ("title", "Shipped?"),
        ("status", "shipped"),
        ("health", "on_track"),
        ("progress_percent", "0"),
        ("effort_person_weeks", "1"),
    ]));
    let file = written(&header, &edited);
    let before_b = app
        .get_json(t, &format!("/initiatives/{}", find_id(&app, t, &b).await))
        .await;
    app.patch_json(
        t,
        &format!("/initiatives/{}", before_b["id"].as_str().unwrap()),
        json!({"health": "off_track"}),
    )
    .await;

    // The dry run says what each row would do, and writes nothing.
    let dry = expect_status(
        import_csv(&app, t, &org.checkout, "", &file).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(dry["dry_run"], true);
    assert_eq!(
        (dry["create"].as_i64(), dry["update"].as_i64()),
        (Some(1), Some(2)),
        "{dry}"
    );
    let action_of = |report: &Value, key: &str| {
        report["rows"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["key"] == key)
            .unwrap_or_else(|| panic!("{key} in {report}"))
            .clone()
    };
    assert_eq!(action_of(&dry, &a)["action"], "update");
    assert_eq!(action_of(&dry, &e)["action"], "update");
    let stale = action_of(&dry, &b);
    assert_eq!(stale["action"], "skip");
    assert!(
        stale["errors"][0]
            .as_str()
            .unwrap()
            .contains("was changed in Cairn since this file was exported"),
        "{stale}"
    );
    let unknown = action_of(&dry, "NOPE-999");
    assert!(
        unknown["errors"][0]
            .as_str()
            .unwrap()
            .contains("NOPE-999 is no initiative"),
        "{unknown}"
    );
    let rows = dry["rows"].as_array().unwrap();
    let last = &rows[rows.len() - 1];
    assert_eq!(
        (last["action"].as_str(), last["row"].as_u64()),
        (Some("skip"), Some(9))
    );
    assert!(
        last["errors"][0]
            .as_str()
            .unwrap()
            .contains("status “shipped” must be one of"),
        "{last}"
    );
    assert_eq!(
        app.get_json(t, &format!("/initiatives/{}", org.a)).await["status"],
        "in_progress"
    );

    // The real run writes the good rows in one go.
    let run = expect_status(
        import_csv(&app, t, &org.checkout, "dry_run=false", &file).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(
        (run["create"].as_i64(), run["update"].as_i64()),
        (Some(1), Some(2)),
        "{run}"
    );
    let a_now = app.get_json(t, &format!("/initiatives/{}", org.a)).await;
    assert_eq!(
        (
            a_now["status"].as_str(),
            a_now["health"].as_str(),
            a_now["progress"].as_i64()
        ),
        (Some("done"), Some("at_risk"), Some(100))
    );
    assert_eq!(a_now["theme_id"], org.retention.as_str());
    assert_eq!(a_now["owner_id"], org.account.user_id.to_string());
    let e_now = app.get_json(t, &format!("/initiatives/{}", org.e)).await;
    assert_eq!(e_now["portfolio_id"], org.payments.as_str());
    assert_eq!(
        (e_now["start_date"].as_str(), e_now["target_date"].as_str()),
        (Some("2027-01-04"), Some("2027-06-30"))
    );
    assert_eq!(
        e_now["budget"], 250050,
        "major units in the file, minor units stored"
    );
    let b_now = app
        .get_json(t, &format!("/initiatives/{}", before_b["id"].as_str().unwrap()))
        .await;
    assert_eq!(
        b_now["title"], before_b["title"],
        "the stale row was not written over"
    );
    let gift = imported(&app, t, &org.checkout)
        .await
        .into_iter()
        .find(|i| i["title"] == "=Gift cards")
        .expect("the row without a key was created, its formula quote kept as typed");
    assert_eq!(
        gift["portfolio_id"],
        org.checkout.as_str(),
        "into the portfolio imported into"
    );
    let history = app.get_json(t, &format!("/initiatives/{}/updates", org.a)).await;
    assert_eq!(history["items"][0]["note"], "Imported from CSV");
    assert_eq!(history["items"][0]["previous"]["status"], "in_progress");
    crate::rollups::assert_maintained_totals_match(&app, org.account.org_id).await;

    // Exported again, the file shows what was imported, and imports as unchanged.
    let (_, again) = exported(&app, &org.checkout).await;
    let a_row = again.iter().find(|r| r[column("key")] == *a).unwrap();
    assert_eq!(
        (&a_row[column("status")], &a_row[column("theme")]),
        ("done", "Retention")
    );
    let unchanged = expect_status(
        import_csv(&app, t, &org.checkout, "dry_run=false", &written(&header, &again)).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(
        (unchanged["create"].as_i64(), unchanged["update"].as_i64()),
        (Some(0), Some(0)),
        "{unchanged}"
    );
}

async fn find_id(app: &TestApp, token: &str, key: &str) -> String {
    let list = app.get_json(token, "/initiatives?limit=100").await;
    list["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["key"] == key)
        .unwrap_or_else(|| panic!("{key} in {list}"))["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

#[tokio::test]
async fn a_csv_import_changes_only_the_subtree_it_may_edit() {
    let app = spawn_app().await;
    let org = build(&app).await;
    let t = &org.account.token;
    // Without the list's columns: 422 naming them.
    let missing = import_csv(&app, t, &org.payments, "", "Summary,Issue key\nA,B-1\n").await;
    let problem = expect_problem(missing, StatusCode::UNPROCESSABLE_ENTITY, Some("body")).await;
    assert!(
        problem["errors"]["body"][0]
            .as_str()
            .unwrap()
            .contains("key, title"),
        "{problem}"
    );
    // A key outside the portfolio imported into is refused, though the caller may edit it.
    let f = app.get_json(t, &format!("/initiatives/{}", org.f)).await;
    let outside = format!("key,title,status\n{},Moved?,done\n", f["key"].as_str().unwrap());
    let report = expect_status(
        import_csv(&app, t, &org.payments, "dry_run=false", &outside).await,
        StatusCode::OK,
    )
    .await;
    assert!(
        report["rows"][0]["errors"][0]
            .as_str()
            .unwrap()
            .contains("lies outside"),
        "{report}"
    );
    assert_eq!(
        app.get_json(t, &format!("/initiatives/{}", org.f)).await["status"],
        "proposed"
    );
    // A portfolio named that is not in the subtree.
    let elsewhere = "key,title,portfolio\n,New,Platform\n";
    let report = expect_status(
        import_csv(&app, t, &org.payments, "", elsewhere).await,
        StatusCode::OK,
    )
    .await;
    assert!(
        report["rows"][0]["errors"][0]
            .as_str()
            .unwrap()
            .contains("portfolio “Platform” is not in the portfolio imported into"),
        "{report}"
    );
    // A viewer may not import; another organization's portfolio is not there, and its keys
    // name nothing here.
    let other = refused_to_outsiders(&app, &org, "csv", &outside).await;
    let theirs = id_of(
        &app.create_portfolio(&other.token, "Theirs", "portfolio", None)
            .await,
    );
    let report = expect_status(
        import_csv(&app, &other.token, &theirs, "dry_run=false", outside.as_str()).await,
        StatusCode::OK,
    )
    .await;
    assert!(
        report["rows"][0]["errors"][0]
            .as_str()
            .unwrap()
            .contains("is no initiative"),
        "{report}"
    );
    assert_eq!(
        app.get_json(t, &format!("/initiatives/{}", org.f)).await["status"],
        "proposed"
    );
}

#[tokio::test]
async fn an_export_of_thousands_of_issues_is_not_refused_for_its_size() {
    let app = spawn_app().await;
    let org = build(&app).await;
    // 10,000 issues, each with a long description: about 4 MB, above every other request's limit.
    let mut file = String::from("Summary,Issue key,Issue Type,Status Category,Description\n");
    for i in 1..=10_000 {
        file.push_str(&format!(
            "Story {i},BIG-{i},Story,To Do,\"{}\"\n",
            "A long description, line after line.\n".repeat(10)
        ));
    }
    assert!(file.len() > 3 * 1024 * 1024, "{}", file.len());
    let report = expect_status(
        import(&app, &org.account.token, &org.payments, "dry_run=true", &file).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(report["create"], 10_000);
    // Every other request keeps the 1 MiB limit.
    let large = app
        .api(Method::POST, &org.account.token, "/feedback")
        .header("content-type", "application/json")
        .body(format!("{{\"text\": \"{}\"}}", "x".repeat(2 * 1024 * 1024)))
        .send()
        .await
        .unwrap();
    assert_eq!(large.status(), StatusCode::PAYLOAD_TOO_LARGE);
}
