//! Status updates over the API: a PM's check-in is recorded with who, when, before and after; the
//! history is append-only, newest first, paged; concurrent check-ins are all kept, in order.

use cairn::domain::Role;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{Account, Member, TestApp, expect_problem, expect_status, id_of, spawn_app};

/// An organization with one product line holding an in-progress initiative owned by a PM.
struct Org {
    admin: Account,
    pm: Member,
    line: String,
    initiative: String,
}

async fn org(app: &TestApp) -> Org {
    let admin = app.signup("Contoso").await;
    let pm = app.add_member(&admin, Role::Member).await;
    let line = id_of(
        &app.create_portfolio(&admin.token, "Payments", "product_line", None)
            .await,
    );
    let initiative = id_of(
        &app.create_initiative(
            &admin.token,
            &line,
            json!({"title": "Instant payouts", "status": "in_progress", "progress": 20, "owner_id": pm.user_id}),
        )
        .await,
    );
    Org {
        admin,
        pm,
        line,
        initiative,
    }
}

impl Org {
    fn updates(&self) -> String {
        format!("/initiatives/{}/updates", self.initiative)
    }
}

#[tokio::test]
async fn an_update_records_who_when_before_and_after_and_moves_the_version() {
    let app = spawn_app().await;
    let org = org(&app).await;

    let response = app
        .send_json(
            Method::POST,
            &org.pm.token,
            &org.updates(),
            json!({"health": "at_risk", "progress": 35, "note": "Bank API certification slipped a week"}),
            Some("\"1\""),
        )
        .await;
    assert_eq!(
        response.headers()["etag"],
        "\"2\"",
        "the initiative's new version"
    );
    let update = expect_status(response, StatusCode::CREATED).await;
    assert_eq!(update["initiative_id"], org.initiative);
    assert_eq!(update["author"]["id"], org.pm.user_id.to_string());
    assert_eq!(update["author"]["name"], "A member");
    assert!(update["created_at"].as_str().unwrap().ends_with('Z'));
    assert_eq!(update["note"], "Bank API certification slipped a week");
    assert_eq!(
        (&update["status"], &update["health"], &update["progress"]),
        (&json!("in_progress"), &json!("at_risk"), &json!(35))
    );
    assert_eq!(
        update["previous"],
        json!({"status": "in_progress", "health": "on_track", "progress": 20})
    );

    let initiative = app
        .get_json(&org.admin.token, &format!("/initiatives/{}", org.initiative))
        .await;
    assert_eq!(
        (
            &initiative["health"],
            &initiative["progress"],
            &initiative["version"]
        ),
        (&json!("at_risk"), &json!(35), &json!(2))
    );
    let history = app.get_json(&org.admin.token, &org.updates()).await;
    assert_eq!(history["items"], json!([update]));
    assert_eq!(history["next_cursor"], Value::Null);
}

#[tokio::test]
async fn a_note_alone_is_recorded_but_an_empty_update_and_a_long_note_are_refused() {
    let app = spawn_app().await;
    let org = org(&app).await;

    let update = app
        .post_json(&org.pm.token, &org.updates(), json!({"note": "Still on plan"}))
        .await;
    assert_eq!(update["previous"]["progress"], update["progress"]);
    assert_eq!(update["note"], "Still on plan");

    for (body, field) in [
        (json!({}), "note"),
        (json!({"progress": 20, "note": "  "}), "note"),
        (json!({"note": "x".repeat(2_001)}), "note"),
        (json!({"progress": 101}), "progress"),
        (json!({"health": "meh"}), "health"),
    ] {
        let response = app
            .send_json(Method::POST, &org.pm.token, &org.updates(), body.clone(), None)
            .await;
        expect_problem(response, StatusCode::UNPROCESSABLE_ENTITY, Some(field)).await;
    }
    let exactly = app
        .post_json(&org.pm.token, &org.updates(), json!({"note": "é".repeat(2_000)}))
        .await;
    assert_eq!(exactly["note"].as_str().unwrap().chars().count(), 2_000);
    let history = app.get_json(&org.admin.token, &org.updates()).await;
    assert_eq!(
        history["items"].as_array().unwrap().len(),
        2,
        "refusals wrote nothing"
    );
}

#[tokio::test]
async fn history_is_newest_first_paged_and_includes_patches() {
    let app = spawn_app().await;
    let org = org(&app).await;
    for progress in [30, 40, 50, 60, 70] {
        app.post_json(&org.pm.token, &org.updates(), json!({"progress": progress}))
            .await;
    }
    // A PATCH that changes progress is history too; one that changes the title is not.
    let path = format!("/initiatives/{}", org.initiative);
    app.patch_json(&org.admin.token, &path, json!({"progress": 80}))
        .await;
    app.patch_json(&org.admin.token, &path, json!({"title": "Instant payouts v2"}))
        .await;

    let (items, pages) = app.all_pages(&org.admin.token, &org.updates(), 2).await;
    assert_eq!(pages, 3);
    let progress: Vec<i64> = items.iter().map(|u| u["progress"].as_i64().unwrap()).collect();
    assert_eq!(progress, [80, 70, 60, 50, 40, 30]);
    assert_eq!(items[0]["author"]["id"], org.admin.user_id.to_string());
    assert_eq!(items[0]["note"], Value::Null);
    let bad = app
        .api(
            Method::GET,
            &org.admin.token,
            &format!("{}?cursor=nope", org.updates()),
        )
        .send()
        .await
        .unwrap();
    expect_problem(bad, StatusCode::UNPROCESSABLE_ENTITY, Some("cursor")).await;
}

#[tokio::test]
async fn history_cannot_be_edited_or_deleted() {
    let app = spawn_app().await;
    let org = org(&app).await;
    let update = app
        .post_json(&org.pm.token, &org.updates(), json!({"note": "Kick-off done"}))
        .await;
    let one = format!("{}/{}", org.updates(), id_of(&update));
    for method in [Method::GET, Method::PUT, Method::PATCH, Method::DELETE] {
        let response = app
            .send_json(
                method.clone(),
                &org.admin.token,
                &one,
                json!({"note": "rewritten"}),
                None,
            )
            .await;
        assert!(
            [StatusCode::NOT_FOUND, StatusCode::METHOD_NOT_ALLOWED].contains(&response.status()),
            "{method} answered {}",
            response.status()
        );
    }
    for method in [Method::PUT, Method::PATCH, Method::DELETE] {
        let response = app
            .send_json(method.clone(), &org.admin.token, &org.updates(), json!({}), None)
            .await;
        assert_eq!(response.status(), StatusCode::METHOD_NOT_ALLOWED, "{method}");
    }
    let history = app.get_json(&org.admin.token, &org.updates()).await;
    assert_eq!(history["items"], json!([update]));
}

#[tokio::test]
async fn owners_and_editors_may_update_others_may_not_and_other_orgs_see_nothing() {
    let app = spawn_app().await;
    let org = org(&app).await;
    let viewer = app.add_member(&org.admin, Role::Viewer).await;
    let bystander = app.add_member(&org.admin, Role::Member).await;
    let stranger = app.signup("Northwind").await;

    app.post_json(&org.pm.token, &org.updates(), json!({"progress": 25}))
        .await;
    app.post_json(&org.admin.token, &org.updates(), json!({"progress": 30}))
        .await;
    for (token, status) in [
        (&viewer.token, StatusCode::FORBIDDEN),
        (&bystander.token, StatusCode::FORBIDDEN),
        (&stranger.token, StatusCode::NOT_FOUND),
    ] {
        let response = app
            .send_json(Method::POST, token, &org.updates(), json!({"progress": 99}), None)
            .await;
        expect_problem(response, status, None).await;
    }
    // Everyone in the organization reads the history; nobody outside it learns it exists.
    for token in [&viewer.token, &bystander.token] {
        let history = app.get_json(token, &org.updates()).await;
        assert_eq!(history["items"].as_array().unwrap().len(), 2);
    }
    let response = app
        .api(Method::GET, &stranger.token, &org.updates())
        .send()
        .await
        .unwrap();
    expect_problem(response, StatusCode::NOT_FOUND, None).await;
    let anonymous = reqwest::Client::new()
        .get(app.url(&format!("/api/v1{}", org.updates())))
        .send()
        .await
        .unwrap();
    expect_problem(anonymous, StatusCode::UNAUTHORIZED, None).await;
    let current = app
        .get_json(&org.admin.token, &format!("/initiatives/{}", org.initiative))
        .await;
    assert_eq!(current["progress"], 30, "refused updates changed nothing");
}

#[tokio::test]
async fn forty_concurrent_updates_are_all_recorded_and_the_newest_is_current() {
    let app = spawn_app().await;
    let org = org(&app).await;

    // Sent at once: each request is spawned before any answer is awaited.
    let writes: Vec<_> = (1..=40)
        .map(|n| {
            let health = ["on_track", "at_risk", "off_track"][n % 3];
            let request = app
                .api(Method::POST, &org.pm.token, &org.updates())
                .json(&json!({"progress": 20 + n, "health": health, "note": format!("check-in {n}")}));
            tokio::spawn(request.send())
        })
        .collect();
    for write in writes {
        assert_eq!(write.await.unwrap().unwrap().status(), StatusCode::CREATED);
    }

    let (history, _) = app.all_pages(&org.admin.token, &org.updates(), 500).await;
    assert_eq!(history.len(), 40, "every update recorded");
    let current = app
        .get_json(&org.admin.token, &format!("/initiatives/{}", org.initiative))
        .await;
    assert_eq!(current["version"], 41);
    let newest = &history[0];
    assert_eq!(
        (&current["status"], &current["health"], &current["progress"]),
        (&newest["status"], &newest["health"], &newest["progress"])
    );
    // Newest first, each update starting where the one before it (older) ended.
    for pair in history.windows(2) {
        assert_eq!(pair[0]["previous"]["progress"], pair[1]["progress"]);
        assert_eq!(pair[0]["previous"]["health"], pair[1]["health"]);
    }
    let notes: std::collections::HashSet<&str> =
        history.iter().map(|u| u["note"].as_str().unwrap()).collect();
    assert_eq!(notes.len(), 40);
}

#[tokio::test]
async fn a_stale_if_match_answers_412_and_writes_nothing() {
    let app = spawn_app().await;
    let org = org(&app).await;
    app.post_json(&org.pm.token, &org.updates(), json!({"progress": 30}))
        .await;

    let stale = app
        .send_json(
            Method::POST,
            &org.admin.token,
            &org.updates(),
            json!({"progress": 90, "note": "from an old screen"}),
            Some("\"1\""),
        )
        .await;
    expect_problem(stale, StatusCode::PRECONDITION_FAILED, None).await;
    let current = app
        .get_json(&org.admin.token, &format!("/initiatives/{}", org.initiative))
        .await;
    assert_eq!(
        (&current["progress"], &current["version"]),
        (&json!(30), &json!(2))
    );
    let history = app.get_json(&org.admin.token, &org.updates()).await;
    assert_eq!(history["items"].as_array().unwrap().len(), 1);

    let fresh = app
        .send_json(
            Method::POST,
            &org.admin.token,
            &org.updates(),
            json!({"progress": 90}),
            Some("\"2\""),
        )
        .await;
    expect_status(fresh, StatusCode::CREATED).await;
}

#[tokio::test]
async fn changes_in_a_subtree_are_status_and_health_changes_since_a_time_newest_first() {
    let app = spawn_app().await;
    let org = org(&app).await;
    let product = id_of(
        &app.create_portfolio(&org.admin.token, "Wallets", "product", Some(&org.line))
            .await,
    );
    let deeper = id_of(
        &app.create_initiative(&org.admin.token, &product, json!({"title": "Top-ups"}))
            .await,
    );
    let other_line = id_of(
        &app.create_portfolio(&org.admin.token, "Lending", "product_line", None)
            .await,
    );
    let elsewhere = id_of(
        &app.create_initiative(&org.admin.token, &other_line, json!({"title": "Loans"}))
            .await,
    );
    let post = |initiative: &str, body: Value| {
        let path = format!("/initiatives/{initiative}/updates");
        let token = org.admin.token.clone();
        let app = &app;
        async move { app.post_json(&token, &path, body).await }
    };
    let old = post(&org.initiative, json!({"health": "off_track"})).await;
    sqlx::query("UPDATE status_updates SET created_at = now() - interval '30 days' WHERE id = $1")
        .bind(id_of(&old).parse::<uuid::Uuid>().unwrap())
        .execute(&app.pool)
        .await
        .unwrap();
    let health = post(
        &org.initiative,
        json!({"health": "at_risk", "note": "Vendor late"}),
    )
    .await;
    post(&org.initiative, json!({"progress": 45})).await;
    post(&org.initiative, json!({"note": "Only a note"})).await;
    let status = post(&deeper, json!({"status": "planned"})).await;
    post(&elsewhere, json!({"status": "planned"})).await;

    let since = chrono::Utc::now() - chrono::Duration::days(7);
    let line_id = org.line.parse().unwrap();
    // Both plans (a small subtree's and a large one's) must give the same answer.
    use cairn::db::initiative_lists::SubtreePlan;
    for plan in [SubtreePlan::ThroughClosure, SubtreePlan::WalkOrganization] {
        let changes_in = async |org_id| {
            cairn::db::status_updates::changes_in_subtree(&app.tenant(org_id), org_id, line_id, plan, since)
                .await
        };
        let changes = changes_in(org.admin.org_id).await.unwrap();
        let ids: Vec<String> = changes.iter().map(|c| c.id.to_string()).collect();
        assert_eq!(ids, [id_of(&status), id_of(&health)], "{plan:?}");
        assert_eq!(changes[0].initiative_title, "Top-ups");
        assert_eq!(
            (changes[1].previous_health.as_str(), changes[1].health.as_str()),
            ("off_track", "at_risk")
        );
        assert_eq!(changes[1].note.as_deref(), Some("Vendor late"));
        assert_eq!(changes[1].author_name.as_deref(), Some("Ada Admin"));
        let stranger = app.signup("Northwind").await;
        let none = changes_in(stranger.org_id).await.unwrap();
        assert!(none.is_empty(), "another organization sees no changes");
    }
}
