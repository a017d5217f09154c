//! The OKR pages over HTTP, as a browser reads them: the objective tree of a period, an
//! objective's key results with the initiatives behind them, two-click check-ins with conflicts
//! shown, the forms' errors beside their fields, links from initiatives, and the roll-up's OKR
//! column.

use cairn::domain::Role;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{Page, TestApp, id_of, spawn_app, with_changes};
use crate::okrs::key_result;
use crate::rollup_pages::{assert_page_shows, okr_label, signed_in_org};
use crate::rollups::Org;

/// Company → Commerce → Payments objectives aligned in 2026-Q4, one Platform objective, and one
/// of another quarter; `(company, commerce, payments, payments' key result)`.
async fn aligned_okrs(app: &TestApp, org: &Org) -> (String, String, String, String) {
    let t = &org.account.token;
    let create = async |portfolio: &str, title: &str, period: &str, parent: Option<&str>| {
        id_of(
            &app.post_json(
                t,
                "/objectives",
                json!({"title": title, "portfolio_id": portfolio, "period": period, "parent_id": parent}),
            )
            .await,
        )
    };
    let measure = async |objective: &str, fields: Value| key_result(app, t, objective, fields).await;
    let company = create(&org.root, "Win mid-market", "2026-Q4", None).await;
    let commerce = create(&org.commerce, "Checkout converts", "2026-Q4", Some(&company)).await;
    let payments = create(&org.payments, "Every payment method", "2026-Q4", Some(&commerce)).await;
    let platform = create(&org.platform, "Enterprise ready", "2026-Q4", Some(&company)).await;
    create(&org.payments, "Last quarter's", "2026-Q3", None).await;
    measure(
        &company,
        json!({"title": "NRR", "start_value": 100, "target_value": 110, "current_value": 105, "unit": "%"}),
    )
    .await;
    measure(&commerce, json!({"title": "Conversion", "start_value": 60, "target_value": 70, "current_value": 70, "unit": "%"})).await;
    let kr = measure(&payments, json!({"title": "Methods live", "start_value": 6, "target_value": 14, "current_value": 8, "unit": "methods"})).await;
    measure(
        &platform,
        json!({"title": "Findings open", "start_value": 20, "target_value": 0, "current_value": 15}),
    )
    .await;
    (company, commerce, payments, id_of(&kr))
}

fn tree_titles(page: &Page) -> Vec<(String, String)> {
    page.select(".okr-tree .okr-row")
        .iter()
        .map(|row| {
            let depth = row
                .value()
                .classes()
                .find(|c| c.starts_with("depth-"))
                .unwrap()
                .to_owned();
            let title = row
                .select(&scraper::Selector::parse(".okr-title > a").unwrap())
                .next()
                .unwrap()
                .text()
                .collect();
            (title, depth)
        })
        .collect()
}

#[tokio::test]
async fn the_okr_tree_nests_aligned_objectives_of_the_period() {
    let app = spawn_app().await;
    let org = signed_in_org(&app).await;
    aligned_okrs(&app, &org).await;

    let page = app.get_page("/objectives?period=2026-Q4").await;
    assert_eq!(page.status, StatusCode::OK);
    let rows = tree_titles(&page);
    let expected: Vec<(String, String)> = [
        ("Win mid-market", "depth-0"),
        ("Checkout converts", "depth-1"),
        ("Every payment method", "depth-2"),
        ("Enterprise ready", "depth-1"),
    ]
    .iter()
    .map(|(t, d)| (t.to_string(), d.to_string()))
    .collect();
    assert_eq!(rows, expected, "children follow the objective they support");
    let company_row = &page.select(".okr-row")[0];
    let value: String = company_row
        .select(&scraper::Selector::parse(".progress .value").unwrap())
        .next()
        .unwrap()
        .text()
        .collect();
    assert_eq!(value, "50.0%");

    // Another period, and one portfolio's subtree: the objective that an objective shown supports
    // is outside it, so the shown one is at the top.
    let q3 = app.get_page("/objectives?period=2026-Q3").await;
    assert_eq!(
        tree_titles(&q3),
        vec![("Last quarter's".to_owned(), "depth-0".to_owned())]
    );
    let commerce = app
        .get_page(&format!(
            "/objectives?period=2026-Q4&portfolio_id={}",
            org.commerce
        ))
        .await;
    let titles: Vec<String> = tree_titles(&commerce).into_iter().map(|(t, _)| t).collect();
    assert_eq!(titles, vec!["Checkout converts", "Every payment method"]);
    assert_eq!(tree_titles(&commerce)[0].1, "depth-0");
}

#[tokio::test]
async fn an_objective_page_shows_key_results_and_takes_a_check_in_in_one_submit() {
    let app = spawn_app().await;
    let org = signed_in_org(&app).await;
    let (_, commerce, payments, kr) = aligned_okrs(&app, &org).await;
    let link = format!("/initiatives/{}/key-results/{kr}", org.a);
    let put = app
        .api(reqwest::Method::PUT, &org.account.token, &link)
        .send()
        .await
        .unwrap();
    assert_eq!(put.status(), StatusCode::NO_CONTENT);

    let path = format!("/objectives/{payments}");
    let page = app.get_page(&path).await;
    assert_eq!(page.status, StatusCode::OK);
    let card = format!(".key-result[data-key-result-id='{kr}']");
    assert_eq!(page.text(&format!("{card} .kr-title")), "Methods live");
    assert_eq!(page.text(&format!("{card} .kr-progress")), "25.0%");
    assert_eq!(page.text(&format!("{card} .current")), "8 methods");
    let initiative = app
        .get_json(&org.account.token, &format!("/initiatives/{}", org.a))
        .await;
    assert!(
        page.text(&format!("{card} .linked-initiatives li"))
            .contains(initiative["key"].as_str().unwrap()),
        "the linked initiative is listed with its key"
    );
    assert_eq!(
        page.href(".breadcrumb a.parent"),
        format!("/objectives/{commerce}")
    );

    // Check in: the value and the note, one submit.
    let action = format!("/key-results/{kr}/check-ins");
    let fields = with_changes(
        &page.form_fields(&action),
        &[("value", "11"), ("note", "iDEAL and Bancontact live")],
    );
    let saved = app.submit(&action, &fields).await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER);
    assert_eq!(
        saved.location.as_deref(),
        Some(format!("{path}#kr-{kr}").as_str())
    );
    let page = app.get_page(&path).await;
    assert_eq!(page.text(&format!("{card} .kr-progress")), "62.5%");
    assert_eq!(page.text(".objective-progress .value"), "62.5%");
    let latest = page.text(".check-ins .check-in-entry:first-child");
    assert!(
        latest.contains("8 → 11") && latest.contains("iDEAL and Bancontact live"),
        "{latest}"
    );
    assert_eq!(page.select(&format!("{card} .sparkline polyline")).len(), 1);

    // A value that is not a number: the error beside the field, what was typed kept.
    let bad = app
        .submit(&action, &with_changes(&fields, &[("value", "eleven")]))
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        bad.field_error("value").as_deref(),
        Some("New value must be a number")
    );
    assert_eq!(bad.value(&format!("#kr-{kr}-value")).as_deref(), Some("eleven"));

    // The form submitted again (rendered before the check-in above): the saved value is shown
    // beside the field instead of overwriting it.
    let stale = app
        .submit(&action, &with_changes(&fields, &[("value", "9")]))
        .await;
    assert_eq!(stale.status, StatusCode::CONFLICT);
    assert_eq!(stale.theirs("value").as_deref(), Some("11"));
    let unchanged = app
        .get_json(&org.account.token, &format!("/key-results/{kr}"))
        .await;
    assert_eq!(unchanged["current_value"], 11.0);
    // Saving again on purpose goes through.
    let again = app.submit(&action, &stale.form_fields(&action)).await;
    assert_eq!(again.status, StatusCode::SEE_OTHER);
    let now = app
        .get_json(&org.account.token, &format!("/key-results/{kr}"))
        .await;
    assert_eq!(now["current_value"], 9.0);
}

#[tokio::test]
async fn viewers_read_okrs_but_get_no_forms_and_cannot_check_in() {
    let app = spawn_app().await;
    let org = signed_in_org(&app).await;
    let (_, _, payments, kr) = aligned_okrs(&app, &org).await;
    let (_, viewer) = app.signed_in_member(&org.account, Role::Viewer).await;
    let page = viewer.get_page(&format!("/objectives/{payments}")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.select("form.check-in").is_empty());
    assert!(page.select("a.new-key-result").is_empty());
    let refused = viewer
        .post_form(
            &format!("/key-results/{kr}/check-ins"),
            &[("value", "14"), ("note", ""), ("version", "1")],
        )
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    let unchanged = app
        .get_json(&org.account.token, &format!("/key-results/{kr}"))
        .await;
    assert_eq!(unchanged["current_value"], 8.0);
    let tree = viewer.get_page("/objectives").await;
    assert!(tree.select("a.new-objective").is_empty());

    // Another organization's objective is not found.
    let other = app.signup("Other Co").await;
    let (_, outsider) = app.signed_in_member(&other, Role::Admin).await;
    let hidden = outsider.get_page(&format!("/objectives/{payments}")).await;
    assert_eq!(hidden.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn objective_and_key_result_forms_show_errors_beside_fields_and_save() {
    let app = spawn_app().await;
    let org = signed_in_org(&app).await;
    let new = app
        .get_page(&format!(
            "/objectives/new?period=2026-Q4&portfolio_id={}",
            org.checkout
        ))
        .await;
    assert_eq!(new.status, StatusCode::OK);
    let fields = new.form_fields("/objectives");
    let refused = app
        .submit(
            "/objectives",
            &with_changes(&fields, &[("title", ""), ("period", "Q4")]),
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(refused.field_error("title").as_deref(), Some("Title is required"));
    assert!(
        refused
            .field_error("period")
            .unwrap()
            .starts_with("Period `Q4` is not a quarter")
    );
    assert_eq!(
        refused.selected("portfolio_id"),
        org.checkout,
        "the typed choice is kept"
    );

    let created = app
        .submit(
            "/objectives",
            &with_changes(&fields, &[("title", "Faster checkout")]),
        )
        .await;
    assert_eq!(created.status, StatusCode::SEE_OTHER);
    let objective_path = created.location.unwrap();
    let objective = app.get_page(&objective_path).await;
    assert_eq!(objective.text("h1"), "Faster checkout");

    // A key result with numbers that are not numbers, then a good one.
    let id = objective_path.trim_start_matches("/objectives/");
    let form = app.get_page(&format!("/objectives/{id}/key-results/new")).await;
    let action = format!("/objectives/{id}/key-results");
    let fields = form.form_fields(&action);
    let refused = app
        .submit(
            &action,
            &with_changes(
                &fields,
                &[
                    ("title", "Steps to pay"),
                    ("target_value", "three"),
                    ("weight", "0"),
                ],
            ),
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        refused.field_error("target_value").as_deref(),
        Some("Target value must be a number")
    );
    let saved = app
        .submit(
            &action,
            &with_changes(
                &fields,
                &[
                    ("title", "Steps to pay"),
                    ("start_value", "6"),
                    ("target_value", "3"),
                    ("current_value", "5"),
                ],
            ),
        )
        .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER);
    let objective = app.get_page(&objective_path).await;
    assert_eq!(objective.text(".objective-progress .value"), "33.3%");

    // Editing with a stale version shows the other person's values.
    let edit = app.get_page(&format!("{objective_path}/edit")).await;
    let fields = edit.form_fields(&objective_path);
    app.patch_json(
        &org.account.token,
        &objective_path,
        json!({"title": "Fastest checkout"}),
    )
    .await;
    let stale = app
        .submit(
            &objective_path,
            &with_changes(&fields, &[("title", "Faster checkout, really")]),
        )
        .await;
    assert_eq!(stale.status, StatusCode::CONFLICT);
    assert_eq!(stale.theirs("title").as_deref(), Some("Fastest checkout"));

    // Deleting: the key result from its form, then the objective from its own.
    let objective = app.get_page(&objective_path).await;
    let kr_edit = objective.href(".edit-key-result");
    let kr_form = app.get_page(&kr_edit).await;
    let kr_delete = kr_edit.replace("/edit", "/delete");
    let deleted = app.submit(&kr_delete, &kr_form.form_fields(&kr_delete)).await;
    assert_eq!(deleted.status, StatusCode::SEE_OTHER);
    assert_eq!(deleted.location.as_deref(), Some(objective_path.as_str()));
    let objective = app.get_page(&objective_path).await;
    assert!(objective.select(".key-result").is_empty());
    assert_eq!(objective.text(".objective-progress .value"), "No key results");
    let edit = app.get_page(&format!("{objective_path}/edit")).await;
    let delete = format!("{objective_path}/delete");
    let deleted = app.submit(&delete, &edit.form_fields(&delete)).await;
    assert_eq!(deleted.status, StatusCode::SEE_OTHER);
    assert_eq!(app.get_page(&objective_path).await.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn initiatives_link_key_results_from_their_page_and_the_roll_up_shows_okr_progress() {
    let app = spawn_app().await;
    let org = signed_in_org(&app).await;
    let (_, _, payments, kr) = aligned_okrs(&app, &org).await;
    // The roll-up shows Q4 by default only while Q4 is the current quarter: ask for it.
    let root = app
        .get_page(&format!("/portfolios/{}?period=2026-Q4", org.root))
        .await;
    let rollup = app
        .get_json(
            &org.account.token,
            &format!("/portfolios/{}/rollup?period=2026-Q4", org.root),
        )
        .await;
    assert_page_shows(&root, &rollup);
    assert_eq!(
        okr_label(&rollup["totals"]),
        "50.0%",
        "mean of 50, 100, 25 and 25 (Platform)"
    );
    let commerce_row = format!("table.children tr[data-portfolio-id='{}']", org.commerce);
    assert_eq!(
        root.href(&format!("{commerce_row} td.okr a")),
        format!("/objectives?portfolio_id={}&period=2026-Q4", org.commerce)
    );

    let path = format!("/initiatives/{}", org.a);
    let page = app.get_page(&path).await;
    let action = format!("/initiatives/{}/key-results", org.a);
    assert!(page.select(".linked-key-results").is_empty());
    let linked = app.post_form(&action, &[("key_result_id", kr.as_str())]).await;
    assert_eq!(linked.status, StatusCode::SEE_OTHER);
    let page = app.get_page(&path).await;
    let item = page.text(&format!(".linked-key-results li[data-key-result-id='{kr}'] a"));
    assert!(
        item.contains("Every payment method") && item.contains("Methods live"),
        "{item}"
    );
    let objective = app.get_page(&format!("/objectives/{payments}")).await;
    assert_eq!(objective.select(".linked-initiatives li").len(), 1);
    let unlinked = app.post_form(&format!("{action}/{kr}/unlink"), &[]).await;
    assert_eq!(unlinked.status, StatusCode::SEE_OTHER);
    let page = app.get_page(&path).await;
    assert!(page.select(".linked-key-results").is_empty());
}
