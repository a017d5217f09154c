//! Outcomes on the pages (SPEC §11): KPI cards on the portfolio page (latest value with its unit,
//! target, trend with its word, a sparkline, "no data yet") and the children's KPI column; the KPI
//! page's forms with errors beside their fields; the lifecycle board; the feedback inbox, its
//! search and its one-submit link without JavaScript; demand on the initiative page, the list and
//! the priorities; reach suggested from feedback, never written by itself.

use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::helpers::{id_of, spawn_app};
use crate::rollups::build;

#[tokio::test]
async fn the_portfolio_page_shows_each_kpi_beside_its_target_and_counts_them_in_its_table() {
    let app = spawn_app().await;
    let org = build(&app).await;
    let t = &org.account.token;
    let nps = id_of(
        &app.post_json(
            t,
            &format!("/portfolios/{}/kpis", org.checkout),
            json!({"name": "NPS", "unit": "pts", "direction": "increase", "target": 40}),
        )
        .await,
    );
    for (date, value) in [("2026-09-30", 36.0), ("2026-10-31", 38.5), ("2026-11-30", 41.0)] {
        app.post_json(
            t,
            &format!("/kpis/{nps}/values"),
            json!({"date": date, "value": value}),
        )
        .await;
    }
    app.post_json(
        t,
        &format!("/portfolios/{}/kpis", org.checkout),
        json!({"name": "Churn", "unit": "%", "direction": "decrease", "target": 2}),
    )
    .await;
    app.sign_in_page(&org.account.email, &org.account.password, "")
        .await;

    let product = app.get_page(&format!("/portfolios/{}", org.checkout)).await;
    let card = product.one(&format!(".kpi-card[data-kpi-id='{nps}']"));
    let text: String = card.text().collect::<Vec<_>>().join(" ");
    for says in ["NPS", "41 pts", "On target", "Target ≥ 40 pts", "up 2.5, better"] {
        assert!(text.contains(says), "{says} in {text}");
    }
    let line = product.one(&format!(".kpi-card[data-kpi-id='{nps}'] svg.sparkline"));
    assert_eq!(line.value().attr("role"), Some("img"));
    assert!(
        line.value()
            .attr("aria-label")
            .unwrap()
            .contains("3 values from 2026-09-30")
    );
    assert!(product.text(".kpi-card.no_data").contains("No data yet"));
    assert_eq!(product.text(".stat-kpis .figure"), "1 of 2 on target");

    // The parent's table counts its children's KPIs and links to them.
    let line_page = app.get_page(&format!("/portfolios/{}", org.commerce)).await;
    let cell = line_page.one(&format!("tr[data-portfolio-id='{}'] td.kpis a", org.checkout));
    assert_eq!(cell.text().collect::<String>(), "1 of 2 on target");
    assert_eq!(
        cell.value().attr("href"),
        Some(format!("/portfolios/{}#kpis", org.checkout).as_str())
    );
    assert!(line_page.text(".no-kpis").contains("the 2 below it are counted"));
    let csv = app
        .client
        .get(app.url(&format!("/portfolios/{}/children.csv", org.commerce)))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        csv.lines()
            .next()
            .unwrap()
            .ends_with("kpis_on_target,kpis_off_target,kpis_no_data"),
        "{csv}"
    );
    assert!(csv.lines().nth(1).unwrap().ends_with(",1,0,1"), "{csv}");
}

#[tokio::test]
async fn kpis_are_defined_and_their_values_recorded_on_a_page_with_errors_beside_the_fields() {
    let app = spawn_app().await;
    let org = build(&app).await;
    app.sign_in_page(&org.account.email, &org.account.password, "")
        .await;
    let path = format!("/portfolios/{}/kpis", org.checkout);
    let empty = app.get_page(&path).await;
    assert!(empty.text(".no-kpis").contains("No KPIs defined"));

    let refused = app
        .post_form(
            &path,
            &[
                ("name", ""),
                ("unit", "%"),
                ("direction", "increase"),
                ("target", "lots"),
            ],
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.field_error("name").unwrap().contains("is required"));
    assert!(
        refused
            .field_error("target")
            .unwrap()
            .contains("must be a number")
    );
    assert_eq!(
        refused.value("form.add-kpi input[name='unit']").as_deref(),
        Some("%")
    );

    let created = app
        .post_form(
            &path,
            &[
                ("name", "Conversion"),
                ("unit", "%"),
                ("direction", "increase"),
                ("target", "3"),
            ],
        )
        .await;
    assert_eq!(created.status, StatusCode::SEE_OTHER);
    let t = &org.account.token;
    let kpi = app.get_json(t, &path).await[0].clone();
    let id = kpi["id"].as_str().unwrap().to_owned();

    // Several rows pasted: a bad one is named by its line beside the field, and none is written.
    let values = format!("{path}/values");
    let bad = app
        .post_form(
            &values,
            &[
                ("kpi_id", &id),
                ("date", ""),
                ("value", ""),
                ("rows", "2026-10-31,2.4\n2026-11-31,2.6"),
            ],
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        bad.field_error("rows")
            .unwrap()
            .contains("line 2: the date must be a date like"),
        "{:?}",
        bad.field_error("rows")
    );
    assert_eq!(
        app.get_json(t, &format!("/kpis/{id}/values")).await["items"],
        json!([])
    );
    let good = app
        .post_form(
            &values,
            &[
                ("kpi_id", &id),
                ("date", ""),
                ("value", ""),
                ("rows", "date,value\n2026-10-31,2.4\n2026-11-30,2.6"),
            ],
        )
        .await;
    assert_eq!(good.status, StatusCode::OK);
    assert_eq!(good.text(".recorded"), "2 values recorded.");
    // One value, replacing the November one.
    let one = app
        .post_form(
            &values,
            &[
                ("kpi_id", &id),
                ("date", "2026-11-30"),
                ("value", "3.1"),
                ("rows", ""),
            ],
        )
        .await;
    assert_eq!(
        one.text(".recorded"),
        "1 value recorded, replacing the earlier value of its date."
    );
    assert!(
        one.text(&format!(".kpi-card[data-kpi-id='{id}']"))
            .contains("On target")
    );
    let missing = app
        .post_form(
            &values,
            &[
                ("kpi_id", &id),
                ("date", "2026-12-31"),
                ("value", ""),
                ("rows", ""),
            ],
        )
        .await;
    assert_eq!(missing.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(missing.field_error("value").unwrap().contains("is required"));

    // The definition form changes it; the delete form removes it and its values.
    let fields = one.form_fields(&format!("/kpis/{id}"));
    let changed = app
        .submit(
            &format!("/kpis/{id}"),
            &crate::helpers::with_changes(&fields, &[("target", "3.5")]),
        )
        .await;
    assert_eq!(changed.status, StatusCode::SEE_OTHER);
    assert_eq!(
        app.get_json(t, &format!("/kpis/{id}")).await["status"],
        "off_target"
    );
    let version = app.get_json(t, &format!("/kpis/{id}")).await["version"].to_string();
    let deleted = app
        .post_form(&format!("/kpis/{id}/delete"), &[("version", &version)])
        .await;
    assert_eq!(deleted.status, StatusCode::SEE_OTHER);
    assert_eq!(app.get_json(t, &path).await, json!([]));

    // Whoever cannot edit the portfolio reads it without forms, and a write is refused.
    let (_, viewer) = app
        .signed_in_member(&org.account, cairn::domain::Role::Viewer)
        .await;
    let read = viewer.get_page(&path).await;
    assert!(read.select("form.add-kpi").is_empty());
    let write = viewer
        .post_form(
            &path,
            &[("name", "X"), ("direction", "increase"), ("target", "1")],
        )
        .await;
    assert_eq!(write.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn the_lifecycle_board_groups_the_subtrees_products_by_stage_with_their_figures() {
    let app = spawn_app().await;
    let org = build(&app).await;
    let t = &org.account.token;
    app.patch_json(
        t,
        &format!("/portfolios/{}", org.checkout),
        json!({"lifecycle": "growth"}),
    )
    .await;
    let billing = id_of(
        &app.create_portfolio(t, "Billing", "product", Some(&org.platform))
            .await,
    );
    let kpi = id_of(
        &app.post_json(
            t,
            &format!("/portfolios/{}/kpis", org.checkout),
            json!({"name": "NPS", "direction": "increase", "target": 40}),
        )
        .await,
    );
    app.post_json(
        t,
        &format!("/kpis/{kpi}/values"),
        json!({"date": "2026-11-30", "value": 45}),
    )
    .await;
    app.sign_in_page(&org.account.email, &org.account.password, "")
        .await;
    let board = app.get_page(&format!("/portfolios/{}/lifecycle", org.root)).await;
    let stages: Vec<String> = board
        .select(".stage")
        .iter()
        .map(|s| s.value().attr("data-stage").unwrap().to_owned())
        .collect();
    assert_eq!(
        stages,
        [
            "concept",
            "development",
            "launch",
            "growth",
            "maturity",
            "retirement",
            "none"
        ]
    );
    let growth = board.text(".stage[data-stage='growth']");
    assert!(
        growth.contains("Checkout") && growth.contains("1 of 1 on target") && growth.contains("NPS"),
        "{growth}"
    );
    assert_eq!(
        board.text(&format!(
            ".stage[data-stage='growth'] li.product[data-portfolio-id='{}'] a.total",
            org.checkout
        )),
        "5"
    );
    assert!(board.text(".stage[data-stage='none']").contains("Billing"));
    assert!(
        board
            .select(&format!("li.product[data-portfolio-id='{billing}']"))
            .len()
            == 1
    );
    // The board is read once per data stamp: the next request after a write shows it.
    app.patch_json(
        &org.account.token,
        &format!("/portfolios/{billing}"),
        json!({"lifecycle": "maturity"}),
    )
    .await;
    app.create_initiative(&org.account.token, &org.checkout, json!({"title": "One more"}))
        .await;
    let board = app.get_page(&format!("/portfolios/{}/lifecycle", org.root)).await;
    assert!(board.text(".stage[data-stage='maturity']").contains("Billing"));
    assert!(board.select(".stage[data-stage='none']").is_empty());
    assert_eq!(
        board.text(&format!(
            ".stage[data-stage='growth'] li.product[data-portfolio-id='{}'] a.total",
            org.checkout
        )),
        "6"
    );
    // A subtree without products says so; the roll-up page links to the board.
    let area = app
        .get_page(&format!("/portfolios/{}/lifecycle", org.payments))
        .await;
    assert!(area.text(".no-products").contains("no products"));
    let rollup = app.get_page(&format!("/portfolios/{}", org.root)).await;
    assert_eq!(
        rollup.href("a.lifecycle"),
        format!("/portfolios/{}/lifecycle", org.root)
    );
}

#[tokio::test]
async fn feedback_is_added_searched_and_linked_from_the_inbox_without_javascript() {
    let app = spawn_app().await;
    let org = build(&app).await;
    let t = &org.account.token;
    app.sign_in_page(&org.account.email, &org.account.password, "")
        .await;
    let refused = app
        .post_form(
            "/feedback",
            &[
                ("text", ""),
                ("customer", "Acme"),
                ("customer_value", "12.345"),
                ("importance", "critical"),
                ("source", ""),
            ],
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.field_error("text").unwrap().contains("is required"));
    assert!(refused.field_error("customer_value").is_some());
    assert_eq!(
        refused.value(".add-feedback input[name='customer']").as_deref(),
        Some("Acme")
    );
    for (text, customer, value) in [
        ("Export to Excel", "Acme", "5000"),
        ("Excel export with our columns", "Globex", ""),
    ] {
        let added = app
            .post_form(
                "/feedback",
                &[
                    ("text", text),
                    ("customer", customer),
                    ("customer_value", value),
                    ("importance", "critical"),
                    ("source", "Sales call"),
                ],
            )
            .await;
        assert_eq!(added.status, StatusCode::SEE_OTHER);
    }
    let inbox = app.get_page("/feedback").await;
    assert_eq!(inbox.text(".unlinked-count"), "2");
    let items = inbox.select(".feedback-item");
    assert_eq!(items.len(), 2);
    let first_id = items[0].value().attr("data-feedback-id").unwrap().to_owned();
    assert!(
        inbox.text(&format!("#feedback-{first_id}")).contains("Globex"),
        "newest first"
    );
    assert!(inbox.select("datalist#initiative-picker option").len() >= 4);
    let search = app.get_page("/feedback?q=columns").await;
    assert_eq!(search.select(".feedback-item").len(), 1);
    let by_customer = app.get_page("/feedback?customer=ACME").await;
    assert!(by_customer.text(".feedback-list").contains("Export to Excel"));

    // An unknown key is said beside that item's field; a suggestion's text links it.
    let a = app.get_json(t, &format!("/initiatives/{}", org.a)).await;
    let key = a["key"].as_str().unwrap();
    let wrong = app
        .post_form(
            &format!("/feedback/{first_id}/link"),
            &[("initiative", "NOPE-9"), ("back", "q=&customer=&linked=&for=")],
        )
        .await;
    assert_eq!(wrong.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        wrong
            .text(&format!("#feedback-{first_id} .field-error"))
            .contains("no initiative is NOPE-9")
    );
    assert_eq!(
        wrong
            .value(&format!("#feedback-{first_id} input[name='initiative']"))
            .as_deref(),
        Some("NOPE-9")
    );
    let picked = format!("{key} — {}", a["title"].as_str().unwrap());
    let linked = app
        .post_form(
            &format!("/feedback/{first_id}/link"),
            &[("initiative", &picked), ("back", "q=&customer=&linked=&for=")],
        )
        .await;
    assert_eq!(linked.status, StatusCode::SEE_OTHER);
    let shown = app.get_page(linked.location.as_deref().unwrap()).await;
    assert!(
        shown
            .text(".linked-now")
            .contains(&format!("Linked Globex’s feedback to {key}"))
    );
    let after = app.get_page("/feedback").await;
    assert_eq!(after.text(".unlinked-count"), "1");
    assert!(
        after
            .text(&format!("#feedback-{first_id} .linked-to"))
            .contains(key)
    );

    // The initiative's page shows its demand, the feedback behind it, and can unlink it.
    let page = app.get_page(&format!("/initiatives/{}", org.a)).await;
    assert!(page.text(".demand-summary").contains("1 request from 1 customer"));
    assert!(page.text(".linked-feedback").contains("Globex"));
    let unlink = app
        .post_form(&format!("/initiatives/{}/feedback/{first_id}/unlink", org.a), &[])
        .await;
    assert_eq!(unlink.status, StatusCode::SEE_OTHER);
    assert!(
        app.get_page(&format!("/initiatives/{}", org.a))
            .await
            .text(".no-demand")
            .contains("No customer feedback")
    );

    // A viewer reads the inbox without its forms.
    let (_, viewer) = app
        .signed_in_member(&org.account, cairn::domain::Role::Viewer)
        .await;
    let read = viewer.get_page("/feedback").await;
    assert_eq!(read.select(".feedback-item").len(), 2);
    assert!(read.select("form.link-feedback").is_empty() && read.select(".add-feedback").is_empty());
}

#[tokio::test]
async fn demand_sorts_the_list_and_the_priorities_and_suggests_reach_without_writing_it() {
    let app = spawn_app().await;
    let org = build(&app).await;
    let t = &org.account.token;
    for (customer, importance) in [
        ("Acme", "critical"),
        ("Globex", "important"),
        ("acme", "nice_to_have"),
    ] {
        let item = id_of(
            &app.post_json(
                t,
                "/feedback",
                json!({"text": "Please", "customer": customer, "importance": importance}),
            )
            .await,
        );
        app.api(Method::PUT, t, &format!("/initiatives/{}/feedback/{item}", org.e))
            .send()
            .await
            .unwrap();
    }
    app.sign_in_page(&org.account.email, &org.account.password, "")
        .await;
    let e_key = app.get_json(t, &format!("/initiatives/{}", org.e)).await["key"]
        .as_str()
        .unwrap()
        .to_owned();
    let list = app.get_page("/initiatives?sort=demand").await;
    assert_eq!(list.text("tbody tr:first-child td.key"), e_key);
    assert_eq!(list.text("tbody tr:first-child td.demand"), "5");
    let priorities = app
        .get_page(&format!("/portfolios/{}/priorities?by=demand", org.root))
        .await;
    assert_eq!(
        priorities.select("table.priorities tbody tr")[0]
            .value()
            .attr("data-key"),
        Some(e_key.as_str())
    );
    assert!(
        priorities
            .text("table.priorities tbody tr:first-child td.score")
            .contains("Demand 5 = highest importance of 2 customers")
    );
    let csv = app
        .client
        .get(app.url("/initiatives.csv?sort=demand"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        csv.lines()
            .next()
            .unwrap()
            .ends_with("demand_requests,demand_customers,demand_customer_value,demand_importance")
    );
    assert!(csv.lines().nth(1).unwrap().ends_with(",3,2,0.00,5"), "{csv}");

    // With no reach set, the form suggests the two customers; saving leaves reach empty.
    app.patch_json(t, &format!("/initiatives/{}", org.e), json!({"reach": null}))
        .await;
    let form = app.get_page(&format!("/initiatives/{}/edit", org.e)).await;
    assert!(
        form.text("#reach-hint").contains("Suggested: 2"),
        "{}",
        form.text("#reach-hint")
    );
    assert_eq!(form.value("input[name='reach']").as_deref(), Some(""));
    let fields = form.form_fields(&format!("/initiatives/{}", org.e));
    app.submit(&format!("/initiatives/{}", org.e), &fields).await;
    assert_eq!(
        app.get_json(t, &format!("/initiatives/{}", org.e)).await["reach"],
        serde_json::Value::Null
    );
}
