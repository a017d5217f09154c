//! Roadmaps and share links: lanes grouped and filtered within the roadmap's subtree and window,
//! the API's rules, and the public `/s/{token}` page — its headers, its 404s, its rate limit, and
//! that a link reads one roadmap and writes nothing.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::helpers::{Account, Page, TestApp, expect_problem, expect_status, id_of, new_client, spawn_app};
use cairn::domain::Role;

/// An organization with a portfolio tree, two themes and initiatives placed to test scope,
/// window and filters.
struct Fixture {
    admin: Account,
    root: String,
    inside: String,
    outside: String,
    growth: String,
    debt: String,
}

impl Fixture {
    async fn new(app: &TestApp) -> Fixture {
        let admin = app.signup("Roadmap Org").await;
        let token = &admin.token;
        let root = id_of(&app.create_portfolio(token, "Root", "portfolio", None).await);
        let inside = id_of(
            &app.create_portfolio(token, "Inside", "product_line", Some(&root))
                .await,
        );
        let outside = id_of(&app.create_portfolio(token, "Outside", "portfolio", None).await);
        let growth = id_of(&app.post_json(token, "/themes", json!({"name": "Growth"})).await);
        let debt = id_of(&app.post_json(token, "/themes", json!({"name": "Debt"})).await);
        let fixture = Fixture {
            admin,
            root,
            inside,
            outside,
            growth,
            debt,
        };
        for (title, portfolio, extra) in [
            (
                "Checkout v2",
                &fixture.inside,
                json!({"start_date": "2027-01-10", "target_date": "2027-03-31", "status": "in_progress", "theme_id": fixture.growth, "health": "at_risk", "budget": 1234567}),
            ),
            (
                "Launch event",
                &fixture.inside,
                json!({"target_date": "2027-05-01", "status": "planned", "theme_id": fixture.growth}),
            ),
            (
                "Old cleanup",
                &fixture.root,
                json!({"start_date": "2026-06-01", "target_date": "2027-01-05", "status": "done", "theme_id": fixture.debt}),
            ),
            (
                "Open ended",
                &fixture.root,
                json!({"start_date": "2027-04-01", "status": "proposed"}),
            ),
            ("Undated idea", &fixture.inside, json!({"status": "proposed"})),
            (
                "Too late",
                &fixture.inside,
                json!({"start_date": "2027-08-01", "target_date": "2027-09-01", "status": "planned"}),
            ),
            (
                "Secret elsewhere",
                &fixture.outside,
                json!({"start_date": "2027-02-01", "target_date": "2027-03-01", "status": "planned"}),
            ),
        ] {
            let mut body = extra;
            body["title"] = json!(title);
            app.create_initiative(&fixture.admin.token, portfolio, body).await;
        }
        fixture
    }

    /// A roadmap of the root over the first half of 2027, with `extra` fields.
    async fn roadmap(&self, app: &TestApp, extra: Value) -> Value {
        let mut body =
            json!({"name": "H1 2027", "portfolio_id": self.root, "from": "2027-01-01", "to": "2027-06-30"});
        body.as_object_mut()
            .unwrap()
            .extend(extra.as_object().cloned().unwrap_or_default());
        app.post_json(&self.admin.token, "/roadmaps", body).await
    }

    async fn share(&self, app: &TestApp, roadmap: &str, body: Value) -> Value {
        app.post_json(&self.admin.token, &format!("/roadmaps/{roadmap}/shares"), body)
            .await
    }
}

/// The lanes of a roadmap as `(label, [titles])`.
fn lanes(view: &Value) -> Vec<(String, Vec<String>)> {
    view["lanes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|lane| {
            let titles = lane["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|item| item["title"].as_str().unwrap().to_owned())
                .collect();
            (lane["label"].as_str().unwrap().to_owned(), titles)
        })
        .collect()
}

fn shape(pairs: &[(&str, &[&str])]) -> Vec<(String, Vec<String>)> {
    pairs
        .iter()
        .map(|(label, titles)| (label.to_string(), titles.iter().map(|t| t.to_string()).collect()))
        .collect()
}

#[tokio::test]
async fn roadmap_lanes_are_grouped_and_filtered_within_the_subtree_and_window() {
    let app = spawn_app().await;
    let f = Fixture::new(&app).await;
    let roadmap = f.roadmap(&app, json!({})).await;
    assert_eq!(roadmap["layout"], "timeline");
    assert_eq!(roadmap["group_by"], "portfolio");
    assert_eq!(roadmap["filters"], json!({"statuses": [], "theme_ids": []}));
    assert_eq!(roadmap["show_budget"], false);
    let path = format!("/roadmaps/{}", id_of(&roadmap));

    let view = app.get_json(&f.admin.token, &path).await;
    assert_eq!(view["roadmap"]["from"], "2027-01-01");
    // Ordered by when work begins; undated, out-of-window and out-of-scope work is left out.
    assert_eq!(
        lanes(&view),
        shape(&[
            ("Inside", &["Checkout v2", "Launch event"]),
            ("Root", &["Old cleanup", "Open ended"]),
        ])
    );
    assert_eq!(view["lanes"][0]["key"], f.inside.as_str());
    let checkout = &view["lanes"][0]["items"][0];
    assert_eq!(checkout["health"], "at_risk");
    assert_eq!(checkout["start_date"], "2027-01-10");
    assert_eq!(checkout["budget"], 1234567);

    let by_theme = app
        .patch_json(&f.admin.token, &path, json!({"group_by": "theme"}))
        .await;
    assert_eq!(by_theme["group_by"], "theme");
    let view = app.get_json(&f.admin.token, &path).await;
    assert_eq!(
        lanes(&view),
        shape(&[
            ("Debt", &["Old cleanup"]),
            ("Growth", &["Checkout v2", "Launch event"]),
            ("No theme", &["Open ended"]),
        ])
    );
    assert_eq!(view["lanes"][2]["key"], "none");

    app.patch_json(
        &f.admin.token,
        &path,
        json!({"group_by": "status", "filters": {"statuses": ["planned", "in_progress", "proposed"], "theme_ids": []}}),
    )
    .await;
    let view = app.get_json(&f.admin.token, &path).await;
    assert_eq!(
        lanes(&view),
        shape(&[
            ("Proposed", &["Open ended"]),
            ("Planned", &["Launch event"]),
            ("In progress", &["Checkout v2"]),
        ])
    );

    app.patch_json(
        &f.admin.token,
        &path,
        json!({"group_by": "owner", "filters": {"statuses": [], "theme_ids": [f.growth]}}),
    )
    .await;
    let view = app.get_json(&f.admin.token, &path).await;
    assert_eq!(
        lanes(&view),
        shape(&[("No owner", &["Checkout v2", "Launch event"])])
    );

    // A roadmap of the inner portfolio sees only its subtree.
    let inner = f
        .roadmap(&app, json!({"portfolio_id": f.inside, "to": "2027-12-31"}))
        .await;
    let view = app
        .get_json(&f.admin.token, &format!("/roadmaps/{}", id_of(&inner)))
        .await;
    assert_eq!(
        lanes(&view),
        shape(&[("Inside", &["Checkout v2", "Launch event", "Too late"])])
    );
}

#[tokio::test]
async fn grouped_by_objective_work_shows_in_each_objective_it_moves_and_the_rest_under_no_objective() {
    let app = spawn_app().await;
    let f = Fixture::new(&app).await;
    let org = f.admin.org_id;
    let initiative = |title: &'static str| {
        let pool = app.pool.clone();
        async move {
            sqlx::query_scalar::<_, Uuid>("SELECT id FROM initiatives WHERE org_id = $1 AND title = $2")
                .bind(org)
                .bind(title)
                .fetch_one(&pool)
                .await
                .unwrap()
        }
    };
    let root: Uuid = f.root.parse().unwrap();
    for (objective, links) in [
        ("Grow revenue", vec!["Checkout v2", "Launch event"]),
        ("Faster checkout", vec!["Checkout v2"]),
    ] {
        let (objective_id, key_result_id) = (Uuid::now_v7(), Uuid::now_v7());
        sqlx::query("INSERT INTO objectives (org_id, id, title, portfolio_id, period) VALUES ($1, $2, $3, $4, '2027')")
            .bind(org)
            .bind(objective_id)
            .bind(objective)
            .bind(root)
            .execute(&app.pool)
            .await
            .unwrap();
        sqlx::query(
            "INSERT INTO key_results (org_id, id, objective_id, title, start_value, target_value, current_value)
             VALUES ($1, $2, $3, 'KR', 0, 10, 1)",
        )
        .bind(org)
        .bind(key_result_id)
        .bind(objective_id)
        .execute(&app.pool)
        .await
        .unwrap();
        for title in links {
            sqlx::query("INSERT INTO initiative_key_results (org_id, initiative_id, key_result_id) VALUES ($1, $2, $3)")
                .bind(org)
                .bind(initiative(title).await)
                .bind(key_result_id)
                .execute(&app.pool)
                .await
                .unwrap();
        }
    }
    let roadmap = f.roadmap(&app, json!({"group_by": "objective"})).await;
    let view = app
        .get_json(&f.admin.token, &format!("/roadmaps/{}", id_of(&roadmap)))
        .await;
    assert_eq!(
        lanes(&view),
        shape(&[
            ("Faster checkout", &["Checkout v2"]),
            ("Grow revenue", &["Checkout v2", "Launch event"]),
            ("No objective", &["Old cleanup", "Open ended"]),
        ])
    );
}

#[tokio::test]
async fn roadmap_writes_are_validated_field_by_field_and_guarded_by_if_match() {
    let app = spawn_app().await;
    let f = Fixture::new(&app).await;
    let token = &f.admin.token;
    let other = app.signup("Other Org").await;
    let foreign_theme = id_of(
        &app.post_json(&other.token, "/themes", json!({"name": "Theirs"}))
            .await,
    );
    let foreign_portfolio = id_of(
        &app.create_portfolio(&other.token, "Theirs", "portfolio", None)
            .await,
    );
    for (body, field) in [
        (
            json!({"name": "x", "portfolio_id": f.root, "from": "2027-06-01", "to": "2027-01-01"}),
            "to",
        ),
        (
            json!({"name": "x", "portfolio_id": f.root, "from": "2027-01-01", "to": "2027-06-01", "group_by": "colour"}),
            "group_by",
        ),
        (
            json!({"name": "x", "portfolio_id": f.root, "from": "2027-01-01", "to": "2027-06-01", "layout": "gantt"}),
            "layout",
        ),
        (
            json!({"name": "", "portfolio_id": f.root, "from": "2027-01-01", "to": "2027-06-01"}),
            "name",
        ),
        (json!({"name": "x", "portfolio_id": f.root}), "from"),
        (
            json!({"name": "x", "portfolio_id": foreign_portfolio, "from": "2027-01-01", "to": "2027-06-01"}),
            "portfolio_id",
        ),
        (
            json!({"name": "x", "portfolio_id": f.root, "from": "2027-01-01", "to": "2027-06-01", "filters": {"theme_ids": [foreign_theme]}}),
            "filters.theme_ids",
        ),
    ] {
        let response = app.send_json(Method::POST, token, "/roadmaps", body, None).await;
        expect_problem(response, StatusCode::UNPROCESSABLE_ENTITY, Some(field)).await;
    }

    let roadmap = f
        .roadmap(&app, json!({"filters": {"theme_ids": [f.growth, f.debt]}}))
        .await;
    let path = format!("/roadmaps/{}", id_of(&roadmap));
    let response = app.api(Method::GET, token, &path).send().await.unwrap();
    assert_eq!(response.headers()["etag"], "\"1\"");
    let listed = app.get_json(token, "/roadmaps").await;
    assert_eq!(listed["items"].as_array().unwrap().len(), 1);
    assert_eq!(listed["next_cursor"], Value::Null);
    app.assert_if_match_guards(token, &path, json!({"name": "Renamed"}), json!({"name": "Stale"}))
        .await;
    let stale_to = app
        .send_json(Method::PATCH, token, &path, json!({"from": "2030-01-01"}), None)
        .await;
    expect_problem(stale_to, StatusCode::UNPROCESSABLE_ENTITY, Some("to")).await;
    let deleted = app.api(Method::DELETE, token, &path).send().await.unwrap();
    assert_eq!(deleted.status(), StatusCode::NO_CONTENT);
    let gone = app.api(Method::GET, token, &path).send().await.unwrap();
    expect_problem(gone, StatusCode::NOT_FOUND, None).await;
}

#[tokio::test]
async fn readers_read_editors_write_and_another_organization_sees_nothing() {
    let app = spawn_app().await;
    let f = Fixture::new(&app).await;
    let roadmap = f.roadmap(&app, json!({})).await;
    let id = id_of(&roadmap);
    let path = format!("/roadmaps/{id}");
    let shares = format!("{path}/shares");
    let link = f.share(&app, &id, json!({})).await;
    let revoke = format!("/shares/{}", id_of(&link));

    let viewer = app.add_member(&f.admin, Role::Viewer).await;
    let member = app.add_member(&f.admin, Role::Member).await;
    for reader in [&viewer.token, &member.token] {
        app.get_json(reader, &path).await;
        app.get_json(reader, "/roadmaps").await;
        app.expect_refused(
            Method::PATCH,
            reader,
            &path,
            json!({"name": "x"}),
            StatusCode::FORBIDDEN,
        )
        .await;
        app.expect_refused(Method::DELETE, reader, &revoke, json!({}), StatusCode::FORBIDDEN)
            .await;
        let body = json!({"name": "Mine", "portfolio_id": f.root, "from": "2027-01-01", "to": "2027-02-01"});
        app.expect_refused(Method::POST, reader, "/roadmaps", body, StatusCode::FORBIDDEN)
            .await;
    }
    // A viewer shares nothing; a member who can see the roadmap may share it (SPEC §2), and sees
    // and revokes only the links they made.
    app.expect_refused(
        Method::POST,
        &viewer.token,
        &shares,
        json!({}),
        StatusCode::FORBIDDEN,
    )
    .await;
    let list = app.api(Method::GET, &viewer.token, &shares).send().await.unwrap();
    expect_problem(list, StatusCode::FORBIDDEN, None).await;
    let own = app.post_json(&member.token, &shares, json!({})).await;
    let listed = app.get_json(&member.token, &shares).await;
    let ids: Vec<&str> = listed["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, vec![id_of(&own).as_str()], "only their own link");
    let all = app.get_json(&f.admin.token, &shares).await;
    assert_eq!(
        all["items"].as_array().unwrap().len(),
        2,
        "editors see every link"
    );
    let revoked = app
        .api(Method::DELETE, &member.token, &format!("/shares/{}", id_of(&own)))
        .send()
        .await
        .unwrap();
    assert_eq!(revoked.status(), StatusCode::NO_CONTENT);
    // A member who owns the inner portfolio may edit a roadmap of it, not one of the root.
    app.patch_json(
        &f.admin.token,
        &format!("/portfolios/{}", f.inside),
        json!({"owner_id": member.user_id}),
    )
    .await;
    let theirs = app
        .post_json(
            &member.token,
            "/roadmaps",
            json!({"name": "Mine", "portfolio_id": f.inside, "from": "2027-01-01", "to": "2027-02-01"}),
        )
        .await;
    app.patch_json(
        &member.token,
        &format!("/roadmaps/{}", id_of(&theirs)),
        json!({"name": "Ours"}),
    )
    .await;
    app.expect_refused(
        Method::PATCH,
        &member.token,
        &path,
        json!({"name": "x"}),
        StatusCode::FORBIDDEN,
    )
    .await;

    let other = app.signup("Other Org").await;
    let not_found = |method: Method, path: String| {
        let app = &app;
        let token = other.token.clone();
        async move {
            let response = app.send_json(method, &token, &path, json!({}), None).await;
            expect_problem(response, StatusCode::NOT_FOUND, None).await;
        }
    };
    not_found(Method::GET, path.clone()).await;
    not_found(Method::PATCH, path.clone()).await;
    not_found(Method::DELETE, path.clone()).await;
    not_found(Method::GET, shares.clone()).await;
    not_found(Method::POST, shares.clone()).await;
    not_found(Method::DELETE, revoke.clone()).await;
    assert!(
        app.get_json(&other.token, "/roadmaps").await["items"]
            .as_array()
            .unwrap()
            .is_empty()
    );
    // Nothing was changed by any refused write: the link still opens.
    let token = link["token"].as_str().unwrap();
    let page = Page::read(
        new_client()
            .get(app.url(&format!("/s/{token}")))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(page.status, StatusCode::OK);
}

/// Asserts the headers every answer of the shared surface carries.
fn assert_private(response: &reqwest::Response) {
    let headers = response.headers();
    assert_eq!(headers["referrer-policy"], "no-referrer");
    assert_eq!(headers["x-robots-tag"], "noindex, nofollow");
    assert_eq!(headers["cache-control"], "no-store");
    let policy = headers["content-security-policy"].to_str().unwrap();
    for directive in [
        "default-src 'none'",
        "base-uri 'none'",
        "form-action 'none'",
        "frame-ancestors 'none'",
    ] {
        assert!(policy.contains(directive), "{directive} in {policy}");
    }
    assert!(!policy.contains("unsafe-inline"), "{policy}");
    assert!(!policy.contains("script-src"), "no script at all: {policy}");
    assert!(
        headers.get("set-cookie").is_none(),
        "no session on the shared surface"
    );
}

#[tokio::test]
async fn a_share_link_opens_exactly_one_roadmap_without_an_account() {
    let app = spawn_app().await;
    let f = Fixture::new(&app).await;
    let roadmap = f.roadmap(&app, json!({})).await;
    let id = id_of(&roadmap);
    let before = chrono::Utc::now();
    let link = f.share(&app, &id, json!({})).await;
    let token = link["token"].as_str().unwrap();
    assert_eq!(token.len(), 43, "256 bits in base64url");
    assert!(
        token
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    );
    assert_eq!(link["url"], app.url(&format!("/s/{token}")));
    let expires: chrono::DateTime<chrono::Utc> = link["expires_at"].as_str().unwrap().parse().unwrap();
    assert_eq!((expires - before).num_days(), 90, "90 days from its creation");

    // A stranger's client: no cookies, no token.
    let stranger = new_client();
    let response = stranger
        .get(app.url(&format!("/s/{token}")))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_private(&response);
    let policy = response.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    let page = Page::read(response).await;
    assert_eq!(page.text("h1"), "H1 2027");
    assert!(page.text(".last-updated").starts_with("Last updated"));
    let titles: Vec<String> = page
        .select(".tl-row .rm-title")
        .iter()
        .map(|t| t.text().collect::<String>().trim().to_owned())
        .collect();
    assert_eq!(
        titles,
        ["Checkout v2", "Launch event", "Old cleanup", "Open ended"]
    );
    let html = page.html.html();
    assert!(
        !html.contains("Secret elsewhere"),
        "nothing outside the roadmap's subtree"
    );
    assert!(!html.contains("12,346"), "budgets hidden by default");
    // Nothing leads into the organization, and nothing runs.
    assert!(page.select("a[href]").is_empty(), "no links: {html}");
    assert!(page.select("form").is_empty());
    assert!(page.select("script").is_empty());
    assert!(page.select("nav").is_empty());
    // The one style block is the one the policy allows by hash.
    let style = page.one("style").text().collect::<String>();
    use base64::Engine;
    use sha2::Digest;
    let hash = base64::engine::general_purpose::STANDARD.encode(sha2::Sha256::digest(style.as_bytes()));
    assert!(policy.contains(&format!("'sha256-{hash}'")), "{policy}");

    // Editors see the view counted (the server writes counts once a second), and never the token
    // again.
    let shares_path = format!("/roadmaps/{id}/shares");
    let shares = once_views_written(
        || app.get_json(&f.admin.token, &shares_path),
        |shares| shares["items"][0]["view_count"] != 0,
    )
    .await;
    let listed = &shares["items"][0];
    assert_eq!(listed["view_count"], 1);
    assert_eq!(listed["state"], "active");
    assert!(listed["last_viewed_at"].is_string());
    assert!(!shares.to_string().contains(token));

    // Budgets show once the roadmap allows it.
    app.patch_json(
        &f.admin.token,
        &format!("/roadmaps/{id}"),
        json!({"show_budget": true}),
    )
    .await;
    let page = Page::read(
        stranger
            .get(app.url(&format!("/s/{token}")))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert!(page.text(".rm-budget").contains("12,346"));

    // robots.txt keeps crawlers away from every shared link.
    let robots = stranger.get(app.url("/robots.txt")).send().await.unwrap();
    assert_eq!(robots.status(), StatusCode::OK);
    assert!(robots.text().await.unwrap().contains("Disallow: /s/"));
}

/// Views are counted in the server's memory and written a second later: views of two links opened
/// at the same moment all arrive, each on its own link, and none twice.
#[tokio::test]
async fn views_opened_at_once_are_all_counted_once() {
    let app = spawn_app().await;
    let f = Fixture::new(&app).await;
    let id = id_of(&f.roadmap(&app, json!({})).await);
    let busy = f.share(&app, &id, json!({})).await["token"]
        .as_str()
        .unwrap()
        .to_owned();
    let quiet = f.share(&app, &id, json!({})).await["token"]
        .as_str()
        .unwrap()
        .to_owned();
    let stranger = new_client();
    let opens = (0..15).map(|k| {
        let url = app.url(&format!("/s/{}", if k < 12 { &busy } else { &quiet }));
        let stranger = stranger.clone();
        async move { stranger.get(url).send().await.unwrap().status() }
    });
    let statuses = futures_util::future::join_all(opens).await;
    assert!(statuses.iter().all(|s| *s == StatusCode::OK), "{statuses:?}");

    let counts = || async {
        let shares = app
            .get_json(&f.admin.token, &format!("/roadmaps/{id}/shares"))
            .await;
        let mut counts: Vec<i64> = shares["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["view_count"].as_i64().unwrap())
            .collect();
        counts.sort_unstable();
        counts
    };
    let seen = once_views_written(counts, |seen| *seen == [3, 12]).await;
    assert_eq!(seen, [3, 12]);
    // Written once: another write later adds nothing.
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    assert_eq!(counts().await, [3, 12]);
}

#[tokio::test]
async fn the_token_is_stored_only_as_its_sha256_digest() {
    let app = spawn_app().await;
    let f = Fixture::new(&app).await;
    let roadmap = f.roadmap(&app, json!({})).await;
    let link = f.share(&app, &id_of(&roadmap), json!({"expires_at": null})).await;
    assert_eq!(link["expires_at"], Value::Null, "never expires");
    let token = link["token"].as_str().unwrap();
    let (row, digest): (String, Vec<u8>) =
        sqlx::query_as("SELECT row_to_json(s)::text, token_hash FROM share_links s")
            .fetch_one(&app.pool)
            .await
            .unwrap();
    assert!(!row.contains(token), "{row}");
    assert_eq!(digest, cairn::domain::credentials::digest(token));
    // Nowhere else in the database either.
    let anywhere: bool = sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM roadmaps r WHERE row_to_json(r)::text LIKE '%' || $1 || '%')",
    )
    .bind(token)
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert!(!anywhere);
}

#[tokio::test]
async fn unknown_revoked_and_expired_links_all_answer_the_same_404() {
    let app = spawn_app().await;
    let f = Fixture::new(&app).await;
    let roadmap = f.roadmap(&app, json!({})).await;
    let id = id_of(&roadmap);
    let revoked = f.share(&app, &id, json!({})).await;
    let expiring = f
        .share(
            &app,
            &id,
            json!({"expires_at": (chrono::Utc::now() + chrono::Duration::hours(1)).to_rfc3339()}),
        )
        .await;
    let open = |token: String| {
        let url = app.url(&format!("/s/{token}"));
        async move { new_client().get(url).send().await.unwrap() }
    };
    let token_of = |link: &Value| link["token"].as_str().unwrap().to_owned();
    assert_eq!(open(token_of(&revoked)).await.status(), StatusCode::OK);
    assert_eq!(open(token_of(&expiring)).await.status(), StatusCode::OK);

    let revoked_response = app
        .api(
            Method::DELETE,
            &f.admin.token,
            &format!("/shares/{}", id_of(&revoked)),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(revoked_response.status(), StatusCode::NO_CONTENT);
    sqlx::query("UPDATE share_links SET expires_at = now() - interval '1 second' WHERE id = $1")
        .bind(id_of(&expiring).parse::<Uuid>().unwrap())
        .execute(&app.pool)
        .await
        .unwrap();
    let past = app
        .send_json(
            Method::POST,
            &f.admin.token,
            &format!("/roadmaps/{id}/shares"),
            json!({"expires_at": "2020-01-01T00:00:00Z"}),
            None,
        )
        .await;
    expect_problem(past, StatusCode::UNPROCESSABLE_ENTITY, Some("expires_at")).await;

    let unknown = cairn::domain::credentials::new_secret("");
    let mut bodies = Vec::new();
    for token in [
        token_of(&revoked),
        token_of(&expiring),
        unknown,
        "short".to_owned(),
    ] {
        let response = open(token).await;
        assert_eq!(response.status(), StatusCode::NOT_FOUND);
        assert_private(&response);
        bodies.push(response.text().await.unwrap());
    }
    assert!(bodies.windows(2).all(|pair| pair[0] == pair[1]), "{bodies:?}");
    let page = scraper::Html::parse_document(&bodies[0]);
    let links = scraper::Selector::parse("a").unwrap();
    assert_eq!(page.select(&links).count(), 0, "no way into the organization");

    let shares = app
        .get_json(&f.admin.token, &format!("/roadmaps/{id}/shares"))
        .await;
    let states: Vec<&str> = shares["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|link| link["state"].as_str().unwrap())
        .collect();
    assert_eq!(states, ["expired", "revoked"]);

    // Deleting the roadmap ends its links too.
    let live = f.share(&app, &id, json!({})).await;
    app.api(Method::DELETE, &f.admin.token, &format!("/roadmaps/{id}"))
        .send()
        .await
        .unwrap();
    assert_eq!(open(token_of(&live)).await.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn nothing_can_be_written_through_a_link() {
    let app = spawn_app().await;
    let f = Fixture::new(&app).await;
    let roadmap = f.roadmap(&app, json!({})).await;
    let id = id_of(&roadmap);
    let link = f.share(&app, &id, json!({})).await;
    let token = link["token"].as_str().unwrap();
    let url = app.url(&format!("/s/{token}"));
    for method in [Method::POST, Method::PUT, Method::PATCH, Method::DELETE] {
        let response = new_client()
            .request(method.clone(), &url)
            .form(&[("name", "Hacked")])
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::METHOD_NOT_ALLOWED, "{method}");
    }
    // The token is no API credential either.
    let as_bearer = app
        .api(Method::GET, token, &format!("/roadmaps/{id}"))
        .send()
        .await
        .unwrap();
    expect_status(as_bearer, StatusCode::UNAUTHORIZED).await;
    let as_bearer = app
        .send_json(
            Method::PATCH,
            token,
            &format!("/roadmaps/{id}"),
            json!({"name": "Hacked"}),
            None,
        )
        .await;
    expect_status(as_bearer, StatusCode::UNAUTHORIZED).await;
    let view = app.get_json(&f.admin.token, &format!("/roadmaps/{id}")).await;
    assert_eq!(view["roadmap"]["name"], "H1 2027");
    assert_eq!(view["roadmap"]["version"], 1);
}

#[tokio::test]
async fn the_share_path_is_rate_limited_per_client_address() {
    let app = spawn_app().await;
    let guess = cairn::domain::credentials::new_secret("");
    let url = app.url(&format!("/s/{guess}"));
    let client = new_client();
    let mut statuses = Vec::new();
    for _ in 0..40 {
        let response = client.get(&url).send().await.unwrap();
        if response.status() == StatusCode::TOO_MANY_REQUESTS {
            assert!(response.headers().contains_key("retry-after"));
            assert_private(&response);
        }
        statuses.push(response.status());
    }
    let limited = statuses
        .iter()
        .position(|&s| s == StatusCode::TOO_MANY_REQUESTS)
        .expect("guessing by volume is cut off");
    assert!(limited >= 30, "a burst of 30 is allowed first: {statuses:?}");
    assert!(statuses[..limited].iter().all(|&s| s == StatusCode::NOT_FOUND));
}

#[tokio::test]
async fn pm_pages_create_a_roadmap_share_it_and_revoke_the_link() {
    let app = spawn_app().await;
    let f = Fixture::new(&app).await;
    let signed_in = app.sign_in_page(&f.admin.email, &f.admin.password, "").await;
    assert_eq!(signed_in.status, StatusCode::SEE_OTHER);

    let list = app.get_page("/roadmaps").await;
    assert_eq!(list.status, StatusCode::OK);
    assert_eq!(list.text("nav a[aria-current='page']"), "Roadmaps");
    // A mistake is shown beside its field, and what was typed is kept.
    let refused = app
        .submit(
            "/roadmaps",
            &[
                ("name".to_owned(), "Board view".to_owned()),
                ("portfolio_id".to_owned(), f.root.clone()),
                ("from".to_owned(), "2027-06-30".to_owned()),
                ("to".to_owned(), "2027-01-01".to_owned()),
                ("layout".to_owned(), "now_next_later".to_owned()),
                ("group_by".to_owned(), "theme".to_owned()),
                ("statuses".to_owned(), "planned".to_owned()),
                ("statuses".to_owned(), "in_progress".to_owned()),
            ],
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        refused.field_error("to").as_deref(),
        Some("To must not be before from")
    );
    assert_eq!(refused.value("input[name='name']").as_deref(), Some("Board view"));
    assert_eq!(refused.selected("group_by"), "theme");
    assert_eq!(refused.select("input[name='statuses'][checked]").len(), 2);

    let mut fields = refused.form_fields("/roadmaps");
    for (name, value) in fields.iter_mut() {
        match name.as_str() {
            "from" => *value = "2027-01-01".to_owned(),
            "to" => *value = "2027-06-30".to_owned(),
            _ => {}
        }
    }
    let created = app.submit("/roadmaps", &fields).await;
    assert_eq!(created.status, StatusCode::SEE_OTHER);
    let path = created.location.unwrap();
    let page = app.get_page(&path).await;
    assert_eq!(page.text("h1"), "Board view");
    let columns: Vec<String> = page
        .select(".nnl-column h2")
        .iter()
        .map(|h| h.text().next().unwrap().trim().to_owned())
        .collect();
    assert_eq!(columns, ["Now", "Next", "Later"]);
    assert!(page.html.html().contains("Launch event"));
    assert!(
        !page.html.html().contains("Old cleanup"),
        "done work is filtered out"
    );

    // Share it: the link is shown once, then only its counts.
    let shared = app
        .submit(
            &format!("{path}/shares"),
            &[("expires_in".to_owned(), "never".to_owned())],
        )
        .await;
    assert_eq!(shared.status, StatusCode::CREATED);
    let url = shared.value(".new-link input.share-url").unwrap();
    assert!(url.starts_with(&app.url("/s/")));
    assert_eq!(shared.text(".share-list tbody tr .state"), "Active");
    assert_eq!(
        shared.text(".share-list tbody tr td[data-label='Expires']"),
        "Never"
    );
    let opened = new_client().get(&url).send().await.unwrap();
    assert_eq!(opened.status(), StatusCode::OK);
    let page = once_views_written(
        || app.get_page(&path),
        |page| page.text(".share-list .views") != "0",
    )
    .await;
    assert!(
        page.select(".new-link").is_empty(),
        "the token is never shown again"
    );
    assert_eq!(page.text(".share-list .views"), "1");
    assert!(!page.html.html().contains(url.rsplit('/').next().unwrap()));

    let revoke = page
        .one(".share-list form")
        .value()
        .attr("action")
        .unwrap()
        .to_owned();
    let revoked = app.submit(&revoke, &[]).await;
    assert_eq!(revoked.status, StatusCode::SEE_OTHER);
    let page = app.get_page(&path).await;
    assert_eq!(page.text(".share-list .state"), "Revoked");
    assert_eq!(
        new_client().get(&url).send().await.unwrap().status(),
        StatusCode::NOT_FOUND
    );

    // The edit form changes the layout; a viewer reads the roadmap but sees no share panel.
    let edit = app.get_page(&format!("{path}/edit")).await;
    let fields = crate::helpers::with_changes(&edit.form_fields(&path), &[("layout", "timeline")]);
    let saved = app.submit(&path, &fields).await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER);
    let page = app.get_page(&path).await;
    assert!(!page.select(".tl-row").is_empty());
    assert_eq!(
        page.select(".tl-today").len(),
        0,
        "today is not in 2027's first half"
    );
    let (_, viewer) = app.signed_in_member(&f.admin, Role::Viewer).await;
    let seen = viewer.get_page(&path).await;
    assert_eq!(seen.status, StatusCode::OK);
    assert!(seen.select(".share-links").is_empty());
    assert!(seen.select("a.edit").is_empty());
    let refused = viewer
        .submit(
            &format!("{path}/shares"),
            &[("expires_in".to_owned(), "90".to_owned())],
        )
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn the_demo_shares_its_board_roadmap_on_every_start() {
    let app = spawn_app().await;
    let demo = cairn::demo::load(&app.pool).await.unwrap();
    let first = cairn::demo::share_roadmap(&app.pool, demo.org_id).await.unwrap();
    let second = cairn::demo::share_roadmap(&app.pool, demo.org_id).await.unwrap();
    assert_ne!(
        first, second,
        "a new link each start: the old token cannot be read back"
    );
    let roadmaps: i64 = sqlx::query_scalar("SELECT count(*) FROM roadmaps WHERE name = $1")
        .bind(cairn::demo::BOARD_ROADMAP)
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(roadmaps, 1);
    let page = Page::read(
        new_client()
            .get(app.url(&format!("/s/{second}")))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(page.status, StatusCode::OK);
    assert_eq!(page.text("h1"), cairn::demo::BOARD_ROADMAP);
    let bars = page.select(".tl-row").len();
    assert!(
        bars > 50,
        "the board sees most of the organization's dated work: {bars}"
    );
    assert_eq!(page.select(".tl-today").len(), 1, "today is inside the window");
}

/// The server writes share-link views once a second: asks `probe` again until `written` holds of
/// its answer (for at most 5 s) and returns the last answer, for the caller to check.
async fn once_views_written<T, F: Future<Output = T>>(
    mut probe: impl FnMut() -> F,
    written: impl Fn(&T) -> bool,
) -> T {
    let mut answer = probe().await;
    for _ in 0..50 {
        if written(&answer) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        answer = probe().await;
    }
    answer
}

#[tokio::test]
async fn the_shared_roadmap_opens_with_a_summary_and_shows_finished_work_apart() {
    let app = spawn_app().await;
    let admin = app.signup("Board Summary").await;
    let t = &admin.token;
    let root = id_of(&app.create_portfolio(t, "Root", "portfolio", None).await);
    let today = chrono::Utc::now().date_naive();
    let day = |n: i64| (today + chrono::Duration::days(n)).to_string();
    for (title, fields) in [
        (
            "Overdue",
            json!({"status": "in_progress", "health": "off_track", "start_date": day(-60), "target_date": day(-10)}),
        ),
        (
            "Shipped",
            json!({"status": "done", "health": "at_risk", "start_date": day(-40), "target_date": day(-5)}),
        ),
        (
            "Risky",
            json!({"status": "in_progress", "health": "at_risk", "start_date": day(-5), "target_date": day(30)}),
        ),
        (
            "Fine",
            json!({"status": "planned", "start_date": day(10), "target_date": day(60)}),
        ),
    ] {
        let mut body = fields;
        body["title"] = json!(title);
        app.create_initiative(t, &root, body).await;
    }
    let roadmap = app
        .post_json(
            t,
            "/roadmaps",
            json!({"name": "Board", "portfolio_id": root, "from": day(-90), "to": day(120)}),
        )
        .await;
    let link = app
        .post_json(t, &format!("/roadmaps/{}/shares", id_of(&roadmap)), json!({}))
        .await;
    let page = Page::read(
        new_client()
            .get(link["url"].as_str().unwrap())
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(page.status, StatusCode::OK);

    let counts = |list: &str| -> Vec<(String, String)> {
        page.select(&format!(".rm-summary .{list} li"))
            .iter()
            .map(|li| {
                let chip = li
                    .select(&scraper::Selector::parse(".chip").unwrap())
                    .next()
                    .unwrap();
                let count = li
                    .select(&scraper::Selector::parse(".count").unwrap())
                    .next()
                    .unwrap();
                (chip.text().collect(), count.text().collect())
            })
            .collect()
    };
    assert_eq!(page.text(".rm-summary .rm-total"), "4 initiatives");
    // Health of open work only: the finished one's last health does not count.
    let pairs = |p: &[(&str, &str)]| -> Vec<(String, String)> {
        p.iter().map(|(a, b)| (a.to_string(), b.to_string())).collect()
    };
    assert_eq!(
        counts("rm-health"),
        pairs(&[("On track", "1"), ("At risk", "1"), ("Off track", "1")])
    );
    assert_eq!(
        counts("rm-status"),
        pairs(&[("Planned", "1"), ("In progress", "2"), ("Done", "1")])
    );
    let late: Vec<String> = page
        .select(".rm-summary .rm-late li")
        .iter()
        .map(|li| li.text().collect::<String>())
        .collect();
    assert_eq!(late.len(), 1, "{late:?}");
    assert!(late[0].contains("Overdue"), "{late:?}");

    // Finished work is drawn apart from work still on track, and says Done in words.
    let row = |title: &str| {
        page.select(".tl-row")
            .into_iter()
            .find(|row| row.text().collect::<String>().contains(title))
            .unwrap_or_else(|| panic!("no row {title}"))
    };
    let bar_class = |title: &str| {
        let bar = scraper::Selector::parse(".tl-bar").unwrap();
        row(title)
            .select(&bar)
            .next()
            .unwrap()
            .value()
            .attr("class")
            .unwrap()
            .to_owned()
    };
    assert!(
        bar_class("Shipped").split(' ').any(|c| c == "done"),
        "{}",
        bar_class("Shipped")
    );
    assert!(!bar_class("Fine").split(' ').any(|c| c == "done"));
    let meta = |title: &str| {
        let meta = scraper::Selector::parse(".rm-meta .chip").unwrap();
        row(title)
            .select(&meta)
            .next()
            .unwrap()
            .text()
            .collect::<String>()
    };
    assert_eq!(meta("Shipped"), "Done");
    assert_eq!(meta("Fine"), "On track");
    // The month axis is the timeline's head, which the stylesheet keeps in view (sticky).
    page.one(".tl > .tl-head .tl-scale");
}
