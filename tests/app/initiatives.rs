//! Initiatives: PMs create and keep their work current; lists filter, page and never lose edits.

use std::collections::HashSet;

use cairn::domain::Role;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{TestApp, expect_problem, expect_status, id_of, spawn_app};

/// An organization with one product line and one product under it.
async fn hierarchy(app: &TestApp, token: &str) -> (Value, Value) {
    let line = app
        .create_portfolio(token, "Payments", "product_line", None)
        .await;
    let product = app
        .create_portfolio(token, "Checkout", "product", Some(&id_of(&line)))
        .await;
    (line, product)
}

#[tokio::test]
async fn a_new_initiative_has_a_key_defaults_and_a_rice_score() {
    let app = spawn_app().await;
    let admin = app.signup("Acme Corp").await;
    let (line, _) = hierarchy(&app, &admin.token).await;
    let first = app
        .create_initiative(&admin.token, &id_of(&line), json!({}))
        .await;
    assert_eq!(first["key"], "ACME-1");
    assert_eq!(first["status"], "proposed");
    assert_eq!(first["health"], "on_track");
    assert_eq!(
        (first["progress"].as_i64(), first["effort"].as_f64()),
        (Some(0), Some(1.0))
    );
    assert_eq!(first["rice_score"], Value::Null);
    assert_eq!(first["version"], 1);

    let second = app
        .create_initiative(
            &admin.token,
            &id_of(&line),
            json!({"title": "One-click checkout", "reach": 1000, "impact": 2, "confidence": 80, "effort": 4,
                   "budget": 250000, "start_date": "2026-01-05", "target_date": "2026-03-31",
                   "status": "in_progress", "progress": 20, "owner_id": admin.user_id}),
        )
        .await;
    assert_eq!(second["key"], "ACME-2");
    assert_eq!(second["rice_score"], 400.0);
    assert_eq!(second["budget"], 250000);
    assert_eq!(second["target_date"], "2026-03-31");
    for field in [
        "id",
        "key",
        "title",
        "description",
        "portfolio_id",
        "owner_id",
        "theme_id",
        "status",
        "health",
        "progress",
        "effort",
        "budget",
        "start_date",
        "target_date",
        "reach",
        "impact",
        "confidence",
        "version",
        "rice_score",
        "created_at",
        "updated_at",
    ] {
        assert!(second.get(field).is_some(), "{field} is in the JSON");
    }

    let response = app
        .api(
            Method::GET,
            &admin.token,
            &format!("/initiatives/{}", id_of(&second)),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(response.headers()["etag"], "\"1\"");
    assert_eq!(
        expect_status(response, StatusCode::OK).await["title"],
        "One-click checkout"
    );

    let history: i64 = sqlx::query_scalar("SELECT count(*) FROM status_updates")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(history, 0, "creating writes no history");
}

#[tokio::test]
async fn bad_initiatives_name_every_field() {
    let app = spawn_app().await;
    let admin = app.signup("Acme").await;
    let (line, _) = hierarchy(&app, &admin.token).await;
    let response = app
        .send_json(
            Method::POST,
            &admin.token,
            "/initiatives",
            json!({"title": "", "portfolio_id": id_of(&line), "progress": 101, "effort": 0, "budget": -1,
                   "reach": -1, "impact": 1.5, "confidence": 101,
                   "start_date": "2026-05-01", "target_date": "2026-04-01"}),
            None,
        )
        .await;
    let body = expect_problem(response, StatusCode::UNPROCESSABLE_ENTITY, Some("title")).await;
    for field in [
        "progress",
        "effort",
        "budget",
        "reach",
        "impact",
        "confidence",
        "target_date",
    ] {
        assert!(body["errors"][field].is_array(), "{field}: {body}");
    }
    for (body, field) in [
        (json!({"title": "x"}), "portfolio_id"),
        (
            json!({"title": "x", "portfolio_id": id_of(&line), "status": "late"}),
            "status",
        ),
        (
            json!({"title": "x", "portfolio_id": id_of(&line), "start_date": "soon"}),
            "start_date",
        ),
        (
            json!({"title": "x", "portfolio_id": id_of(&line), "theme_id": uuid::Uuid::now_v7()}),
            "theme_id",
        ),
        (
            json!({"title": "x", "portfolio_id": id_of(&line), "owner_id": uuid::Uuid::now_v7()}),
            "owner_id",
        ),
    ] {
        let response = app
            .send_json(Method::POST, &admin.token, "/initiatives", body, None)
            .await;
        expect_problem(response, StatusCode::UNPROCESSABLE_ENTITY, Some(field)).await;
    }
    let list = app.get_json(&admin.token, "/initiatives").await;
    assert!(
        list["items"].as_array().unwrap().is_empty(),
        "nothing was created"
    );
}

#[tokio::test]
async fn a_patch_changes_what_it_names_and_null_clears() {
    let app = spawn_app().await;
    let admin = app.signup("Acme").await;
    let (line, _) = hierarchy(&app, &admin.token).await;
    let created = app
        .create_initiative(
            &admin.token,
            &id_of(&line),
            json!({"budget": 1000, "start_date": "2026-02-01", "target_date": "2026-03-01", "description": "Why"}),
        )
        .await;
    let path = format!("/initiatives/{}", id_of(&created));

    let patched = app
        .patch_json(&admin.token, &path, json!({"budget": null, "title": "Renamed"}))
        .await;
    assert_eq!(patched["budget"], Value::Null);
    assert_eq!(patched["title"], "Renamed");
    assert_eq!(patched["description"], "Why", "absent fields keep their value");
    assert_eq!(patched["start_date"], "2026-02-01");
    assert_eq!(patched["version"], 2);

    // The merged result is what gets checked: a target before the stored start is refused.
    let response = app
        .send_json(
            Method::PATCH,
            &admin.token,
            &path,
            json!({"target_date": "2026-01-01"}),
            None,
        )
        .await;
    expect_problem(response, StatusCode::UNPROCESSABLE_ENTITY, Some("target_date")).await;
    let current = app.get_json(&admin.token, &path).await;
    assert_eq!(
        (current["target_date"].as_str(), current["version"].as_i64()),
        (Some("2026-03-01"), Some(2))
    );
}

/// author, previous status, health, progress, then the new ones, and the note.
type HistoryRow = (
    Option<uuid::Uuid>,
    String,
    String,
    i16,
    String,
    String,
    i16,
    Option<String>,
);

#[tokio::test]
async fn changing_status_health_or_progress_writes_history() {
    let app = spawn_app().await;
    let admin = app.signup("Acme").await;
    let (line, _) = hierarchy(&app, &admin.token).await;
    let created = app
        .create_initiative(&admin.token, &id_of(&line), json!({}))
        .await;
    let path = format!("/initiatives/{}", id_of(&created));

    app.patch_json(&admin.token, &path, json!({"title": "Only the title"}))
        .await;
    app.patch_json(
        &admin.token,
        &path,
        json!({"status": "in_progress", "progress": 30}),
    )
    .await;
    app.patch_json(&admin.token, &path, json!({"health": "at_risk"}))
        .await;

    let rows: Vec<HistoryRow> = sqlx::query_as(
        "SELECT author_id, previous_status, previous_health, previous_progress, status, health, progress, note
         FROM status_updates WHERE initiative_id = $1 ORDER BY id",
    )
    .bind(id_of(&created).parse::<uuid::Uuid>().unwrap())
    .fetch_all(&app.pool)
    .await
    .unwrap();
    let author = Some(admin.user_id);
    assert_eq!(
        rows,
        [
            (
                author,
                "proposed".into(),
                "on_track".into(),
                0,
                "in_progress".into(),
                "on_track".into(),
                30,
                None
            ),
            (
                author,
                "in_progress".into(),
                "on_track".into(),
                30,
                "in_progress".into(),
                "at_risk".into(),
                30,
                None
            ),
        ]
    );
}

#[tokio::test]
async fn lists_filter_by_subtree_status_health_owner_and_theme() {
    let app = spawn_app().await;
    let admin = app.signup("Acme").await;
    let token = &admin.token;
    let (line, product) = hierarchy(&app, token).await;
    let other = app.create_portfolio(token, "Lending", "product_line", None).await;
    let theme = app.post_json(token, "/themes", json!({"name": "Growth"})).await;
    app.create_initiative(token, &id_of(&line), json!({"title": "On the line"}))
        .await;
    app.create_initiative(
        token,
        &id_of(&product),
        json!({"title": "In the product", "status": "in_progress", "health": "at_risk",
               "owner_id": admin.user_id, "theme_id": id_of(&theme)}),
    )
    .await;
    app.create_initiative(
        token,
        &id_of(&other),
        json!({"title": "Elsewhere", "status": "in_progress"}),
    )
    .await;

    let titles = |page: Value| -> Vec<String> {
        let mut titles: Vec<String> = page["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["title"].as_str().unwrap().to_owned())
            .collect();
        titles.sort();
        titles
    };
    let cases = [
        (
            format!("portfolio_id={}", id_of(&line)),
            vec!["In the product", "On the line"],
        ),
        (
            format!("portfolio_id={}", id_of(&product)),
            vec!["In the product"],
        ),
        (
            "status=in_progress".to_owned(),
            vec!["Elsewhere", "In the product"],
        ),
        ("health=at_risk".to_owned(), vec!["In the product"]),
        (format!("owner_id={}", admin.user_id), vec!["In the product"]),
        (format!("theme_id={}", id_of(&theme)), vec!["In the product"]),
        (
            format!("portfolio_id={}&status=in_progress", id_of(&line)),
            vec!["In the product"],
        ),
        ("".to_owned(), vec!["Elsewhere", "In the product", "On the line"]),
    ];
    for (query, expected) in cases {
        assert_eq!(
            titles(app.get_json(token, &format!("/initiatives?{query}")).await),
            expected,
            "{query}"
        );
    }
    for (query, field) in [
        ("status=late", "status"),
        ("health=green", "health"),
        ("portfolio_id=12", "portfolio_id"),
        ("owner_id=me", "owner_id"),
        ("theme_id=x", "theme_id"),
        ("limit=501", "limit"),
        ("limit=0", "limit"),
        ("cursor=%21%21", "cursor"),
    ] {
        let response = app
            .api(Method::GET, token, &format!("/initiatives?{query}"))
            .send()
            .await
            .unwrap();
        expect_problem(response, StatusCode::UNPROCESSABLE_ENTITY, Some(field)).await;
    }
}

#[tokio::test]
async fn pages_walk_every_initiative_once() {
    let app = spawn_app().await;
    let admin = app.signup("Acme").await;
    let (line, _) = hierarchy(&app, &admin.token).await;
    for n in 0..7 {
        app.create_initiative(&admin.token, &id_of(&line), json!({"title": format!("Work {n}")}))
            .await;
    }
    let (items, pages) = app.all_pages(&admin.token, "/initiatives", 3).await;
    assert_eq!(pages, 3);
    let keys: Vec<&str> = items.iter().map(|i| i["key"].as_str().unwrap()).collect();
    assert_eq!(keys.len(), 7);
    assert_eq!(keys.iter().collect::<HashSet<_>>().len(), 7, "no duplicates");
    assert_eq!(keys[0], "ACME-7", "newest first");
    assert_eq!(keys[6], "ACME-1");
    let (filtered, _) = app
        .all_pages(
            &admin.token,
            &format!("/initiatives?portfolio_id={}", id_of(&line)),
            2,
        )
        .await;
    assert_eq!(filtered.len(), 7);
    let default = app.get_json(&admin.token, "/initiatives").await;
    assert_eq!(default["items"].as_array().unwrap().len(), 7);
    assert_eq!(default["next_cursor"], Value::Null);
}

#[tokio::test]
async fn stale_writes_answer_412_and_change_nothing() {
    let app = spawn_app().await;
    let admin = app.signup("Acme").await;
    let (line, _) = hierarchy(&app, &admin.token).await;
    let created = app
        .create_initiative(&admin.token, &id_of(&line), json!({}))
        .await;
    let path = format!("/initiatives/{}", id_of(&created));

    app.assert_if_match_guards(
        &admin.token,
        &path,
        json!({"status": "planned"}),
        json!({"status": "done"}),
    )
    .await;

    let current = app.get_json(&admin.token, &path).await;
    assert_eq!(
        (current["status"].as_str(), current["version"].as_i64()),
        (Some("planned"), Some(2))
    );
    let history: i64 = sqlx::query_scalar("SELECT count(*) FROM status_updates")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(history, 1, "the refused write left no history");

    let deleted = app
        .api(Method::DELETE, &admin.token, &path)
        .header("if-match", "\"2\"")
        .send()
        .await;
    assert_eq!(deleted.unwrap().status(), StatusCode::NO_CONTENT);
    let gone = app.api(Method::GET, &admin.token, &path).send().await.unwrap();
    expect_problem(gone, StatusCode::NOT_FOUND, None).await;
}

#[tokio::test]
async fn members_update_what_they_own_or_lead_and_viewers_only_read() {
    let app = spawn_app().await;
    let admin = app.signup("Acme").await;
    let pm = app.add_member(&admin, Role::Member).await;
    let viewer = app.add_member(&admin, Role::Viewer).await;
    let (line, product) = hierarchy(&app, &admin.token).await;
    let area = app
        .post_json(
            &admin.token,
            "/portfolios",
            json!({"name": "Wallets", "level": "area", "parent_id": id_of(&product), "owner_id": pm.user_id}),
        )
        .await;
    let owned = app
        .create_initiative(&admin.token, &id_of(&line), json!({"owner_id": pm.user_id}))
        .await;
    let others = app
        .create_initiative(&admin.token, &id_of(&line), json!({}))
        .await;

    // Their own initiative, wherever it lives.
    app.patch_json(
        &pm.token,
        &format!("/initiatives/{}", id_of(&owned)),
        json!({"health": "at_risk"}),
    )
    .await;
    // Anything in the area they lead, and new work there.
    let mine = app
        .create_initiative(&pm.token, &id_of(&area), json!({"title": "Wallet top-up"}))
        .await;
    app.patch_json(
        &pm.token,
        &format!("/initiatives/{}", id_of(&mine)),
        json!({"progress": 10}),
    )
    .await;

    app.expect_refused(
        Method::PATCH,
        &pm.token,
        &format!("/initiatives/{}", id_of(&others)),
        json!({"progress": 5}),
        StatusCode::FORBIDDEN,
    )
    .await;
    app.expect_refused(
        Method::POST,
        &pm.token,
        "/initiatives",
        json!({"title": "x", "portfolio_id": id_of(&line)}),
        StatusCode::FORBIDDEN,
    )
    .await;
    // Owning an initiative does not let them move it into a portfolio they do not lead.
    app.expect_refused(
        Method::PATCH,
        &pm.token,
        &format!("/initiatives/{}", id_of(&mine)),
        json!({"portfolio_id": id_of(&line)}),
        StatusCode::FORBIDDEN,
    )
    .await;

    let path = format!("/initiatives/{}", id_of(&others));
    app.get_json(&viewer.token, &path).await;
    app.get_json(&viewer.token, "/initiatives").await;
    app.expect_refused(
        Method::PATCH,
        &viewer.token,
        &path,
        json!({"progress": 5}),
        StatusCode::FORBIDDEN,
    )
    .await;
    let response = app
        .api(Method::DELETE, &viewer.token, &path)
        .send()
        .await
        .unwrap();
    expect_problem(response, StatusCode::FORBIDDEN, None).await;
    app.expect_refused(
        Method::POST,
        &viewer.token,
        "/initiatives",
        json!({"title": "x", "portfolio_id": id_of(&area)}),
        StatusCode::FORBIDDEN,
    )
    .await;
    let after = app.get_json(&admin.token, &path).await;
    assert_eq!(
        (after["progress"].as_i64(), after["version"].as_i64()),
        (Some(0), Some(1))
    );
}

#[tokio::test]
async fn concurrent_updates_without_if_match_are_serialized_not_lost() {
    let app = spawn_app().await;
    let admin = app.signup("Acme").await;
    let (line, _) = hierarchy(&app, &admin.token).await;
    let created = app
        .create_initiative(&admin.token, &id_of(&line), json!({}))
        .await;
    let path = format!("/initiatives/{}", id_of(&created));

    // Sent at once: each request is spawned before any answer is awaited.
    let writes: Vec<_> = (1..=10)
        .map(|progress| {
            let request = app
                .api(Method::PATCH, &admin.token, &path)
                .json(&json!({"progress": progress * 10}));
            tokio::spawn(request.send())
        })
        .collect();
    for write in writes {
        assert_eq!(write.await.unwrap().unwrap().status(), StatusCode::OK);
    }
    let current = app.get_json(&admin.token, &path).await;
    assert_eq!(current["version"], 11, "every write applied once");
    let history: Vec<(i16, i16)> = sqlx::query_as(
        "SELECT previous_progress, progress FROM status_updates WHERE initiative_id = $1 ORDER BY id",
    )
    .bind(id_of(&created).parse::<uuid::Uuid>().unwrap())
    .fetch_all(&app.pool)
    .await
    .unwrap();
    assert_eq!(history.len(), 10);
    // Each change starts where the one before it ended: no write saw a stale value.
    for pair in history.windows(2) {
        assert_eq!(pair[0].1, pair[1].0);
    }
    assert_eq!(
        history.last().unwrap().1 as i64,
        current["progress"].as_i64().unwrap()
    );
}

#[tokio::test]
async fn the_initiative_page_says_when_work_is_late_and_how_its_rice_score_is_made() {
    let app = spawn_app().await;
    let admin = app.signup("Late Work").await;
    app.sign_in_page(&admin.email, &admin.password, "").await;
    let portfolio = id_of(
        &app.create_portfolio(&admin.token, "Payments", "portfolio", None)
            .await,
    );
    let today = chrono::Utc::now().date_naive();
    let days_ago = |n: i64| (today - chrono::Duration::days(n)).to_string();
    let create = |fields: Value| {
        let (app, token, portfolio) = (&app, admin.token.clone(), portfolio.clone());
        async move { id_of(&app.create_initiative(&token, &portfolio, fields).await) }
    };
    let late = create(json!({"title": "Overdue", "status": "in_progress", "start_date": days_ago(60),
                             "target_date": days_ago(8), "reach": 12000, "impact": 2, "confidence": 80, "effort": 4}))
    .await;
    let done = create(json!({"title": "Finished late", "status": "done", "target_date": days_ago(8)})).await;
    let due = create(
        json!({"title": "Due today", "status": "planned", "target_date": today.to_string(),
                            "reach": 500}),
    )
    .await;

    let page = app.get_page(&format!("/initiatives/{late}")).await;
    assert_eq!(page.text(".dates .chip.late"), "Late");
    // The organization's time zone is UTC by default: eight days past.
    assert_eq!(page.text(".dates .late-by"), "8 days past its target date");
    // 12,000 × 2 × 0.8 ÷ 4 = 4,800.
    assert_eq!(
        page.text(".score-rice .score-formula"),
        "RICE 4,800.00 = 12,000 × 2 × 80 % ÷ 4 pw"
    );

    // Finished work is never late; work due today is not late yet.
    for id in [&done, &due] {
        let page = app.get_page(&format!("/initiatives/{id}")).await;
        assert!(page.select(".chip.late").is_empty(), "{}", page.text("h1"));
    }
    // Without all its inputs there is no score, and the page says what is missing.
    let page = app.get_page(&format!("/initiatives/{due}")).await;
    assert_eq!(
        page.text(".score-rice .score-formula"),
        "RICE = 500 × ? × ? ÷ 1 pw"
    );
    assert!(
        page.text(".score-rice .score-missing")
            .contains("impact and confidence")
    );
}
