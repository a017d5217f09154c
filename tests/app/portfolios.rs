//! Portfolios: the CPO builds the hierarchy, moves parts of it, and members edit what they lead.

use cairn::domain::Role;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{expect_problem, expect_status, id_of, spawn_app};

#[tokio::test]
async fn an_admin_builds_a_hierarchy() {
    let app = spawn_app().await;
    let admin = app.signup("Acme").await;
    let root = app
        .create_portfolio(&admin.token, "Acme", "portfolio", None)
        .await;
    let line = app
        .post_json(
            &admin.token,
            "/portfolios",
            json!({"name": "Payments", "level": "product_line", "parent_id": id_of(&root),
                   "owner_id": admin.user_id, "description": "Money in and out"}),
        )
        .await;
    let mut keys: Vec<&String> = line.as_object().unwrap().keys().collect();
    keys.sort();
    assert_eq!(
        keys,
        [
            "created_at",
            "description",
            "id",
            "level",
            "lifecycle",
            "name",
            "owner_id",
            "parent_id",
            "position",
            "updated_at",
            "version"
        ]
    );
    assert_eq!(line["parent_id"], root["id"]);
    assert_eq!(line["owner_id"], admin.user_id.to_string());
    let second = app
        .create_portfolio(&admin.token, "Lending", "product_line", Some(&id_of(&root)))
        .await;
    assert_eq!(
        (line["position"].as_i64(), second["position"].as_i64()),
        (Some(0), Some(1))
    );

    let product = app
        .post_json(
            &admin.token,
            "/portfolios",
            json!({"name": "Checkout", "level": "product", "parent_id": id_of(&line), "lifecycle": "growth"}),
        )
        .await;
    assert_eq!(product["lifecycle"], "growth");

    let response = app
        .api(
            Method::GET,
            &admin.token,
            &format!("/portfolios/{}", id_of(&product)),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(response.headers()["etag"], "\"1\"");
    let fetched = expect_status(response, StatusCode::OK).await;
    assert_eq!(fetched["name"], "Checkout");

    let (all, _) = app.all_pages(&admin.token, "/portfolios", 2).await;
    assert_eq!(all.len(), 4);
}

#[tokio::test]
async fn levels_lifecycles_and_owners_are_checked() {
    let app = spawn_app().await;
    let admin = app.signup("Acme").await;
    let root = app
        .create_portfolio(&admin.token, "Acme", "product_line", None)
        .await;
    let root_id = id_of(&root);
    let cases = [
        (
            json!({"name": "Same", "level": "product_line", "parent_id": root_id}),
            "level",
        ),
        (
            json!({"name": "Above", "level": "portfolio", "parent_id": root_id}),
            "level",
        ),
        (
            json!({"name": "Area", "level": "area", "parent_id": root_id, "lifecycle": "launch"}),
            "lifecycle",
        ),
        (json!({"name": "", "level": "area", "parent_id": root_id}), "name"),
        (
            json!({"name": "X", "level": "galaxy", "parent_id": root_id}),
            "level",
        ),
        (
            json!({"name": "X", "level": "area", "parent_id": uuid::Uuid::now_v7()}),
            "parent_id",
        ),
        (
            json!({"name": "X", "level": "area", "parent_id": root_id, "owner_id": uuid::Uuid::now_v7()}),
            "owner_id",
        ),
    ];
    for (body, field) in cases {
        let response = app
            .send_json(Method::POST, &admin.token, "/portfolios", body, None)
            .await;
        expect_problem(response, StatusCode::UNPROCESSABLE_ENTITY, Some(field)).await;
    }
    let (all, _) = app.all_pages(&admin.token, "/portfolios", 50).await;
    assert_eq!(all.len(), 1, "nothing was created");

    // A level change must keep children deeper.
    app.create_portfolio(&admin.token, "Checkout", "product", Some(&root_id))
        .await;
    let response = app
        .send_json(
            Method::PATCH,
            &admin.token,
            &format!("/portfolios/{root_id}"),
            json!({"level": "product"}),
            None,
        )
        .await;
    expect_problem(response, StatusCode::UNPROCESSABLE_ENTITY, Some("level")).await;
}

#[tokio::test]
async fn moving_a_portfolio_moves_its_subtree_and_cycles_are_refused() {
    let app = spawn_app().await;
    let admin = app.signup("Acme").await;
    let token = &admin.token;
    let root = app.create_portfolio(token, "Acme", "portfolio", None).await;
    let payments = app
        .create_portfolio(token, "Payments", "product_line", Some(&id_of(&root)))
        .await;
    let lending = app
        .create_portfolio(token, "Lending", "product_line", Some(&id_of(&root)))
        .await;
    let checkout = app
        .create_portfolio(token, "Checkout", "product", Some(&id_of(&payments)))
        .await;
    let area = app
        .create_portfolio(token, "Wallets", "area", Some(&id_of(&checkout)))
        .await;
    app.create_initiative(token, &id_of(&area), json!({"title": "Apple Pay"}))
        .await;
    let titles = |page: Value| -> Vec<String> {
        page["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["title"].as_str().unwrap().to_owned())
            .collect()
    };
    let under = |p: &Value| format!("/initiatives?portfolio_id={}", id_of(p));

    assert_eq!(
        titles(app.get_json(token, &under(&payments)).await),
        ["Apple Pay"]
    );
    assert!(titles(app.get_json(token, &under(&lending)).await).is_empty());

    let moved = app
        .patch_json(
            token,
            &format!("/portfolios/{}", id_of(&checkout)),
            json!({"parent_id": id_of(&lending)}),
        )
        .await;
    assert_eq!(moved["parent_id"], lending["id"]);
    assert_eq!(titles(app.get_json(token, &under(&lending)).await), ["Apple Pay"]);
    assert!(titles(app.get_json(token, &under(&payments)).await).is_empty());
    assert_eq!(titles(app.get_json(token, &under(&root)).await), ["Apple Pay"]);

    // Under itself, or under its own descendant: refused, nothing changes.
    for target in [&checkout, &area] {
        let response = app
            .send_json(
                Method::PATCH,
                token,
                &format!("/portfolios/{}", id_of(&checkout)),
                json!({"parent_id": id_of(target)}),
                None,
            )
            .await;
        expect_problem(response, StatusCode::CONFLICT, None).await;
    }
    let after = app
        .get_json(token, &format!("/portfolios/{}", id_of(&checkout)))
        .await;
    assert_eq!(after["parent_id"], lending["id"]);
    assert_eq!(after["version"], moved["version"]);
    assert_eq!(titles(app.get_json(token, &under(&lending)).await), ["Apple Pay"]);

    // The level rule holds for the new place too: an area cannot hold a product.
    let stray = app.create_portfolio(token, "Stray area", "area", None).await;
    let response = app
        .send_json(
            Method::PATCH,
            token,
            &format!("/portfolios/{}", id_of(&checkout)),
            json!({"parent_id": id_of(&stray)}),
            None,
        )
        .await;
    expect_problem(response, StatusCode::UNPROCESSABLE_ENTITY, Some("level")).await;
}

#[tokio::test]
async fn only_an_empty_portfolio_can_be_deleted() {
    let app = spawn_app().await;
    let admin = app.signup("Acme").await;
    let token = &admin.token;
    let root = app.create_portfolio(token, "Acme", "portfolio", None).await;
    let line = app
        .create_portfolio(token, "Payments", "product_line", Some(&id_of(&root)))
        .await;
    let work = app.create_initiative(token, &id_of(&line), json!({})).await;

    for portfolio in [&root, &line] {
        let response = app
            .api(
                Method::DELETE,
                token,
                &format!("/portfolios/{}", id_of(portfolio)),
            )
            .send()
            .await
            .unwrap();
        expect_problem(response, StatusCode::CONFLICT, None).await;
    }
    let gone = app
        .api(Method::DELETE, token, &format!("/initiatives/{}", id_of(&work)))
        .send()
        .await
        .unwrap();
    assert_eq!(gone.status(), StatusCode::NO_CONTENT);
    let line_path = format!("/portfolios/{}", id_of(&line));
    let deleted = app.api(Method::DELETE, token, &line_path).send().await.unwrap();
    assert_eq!(deleted.status(), StatusCode::NO_CONTENT);
    let response = app.api(Method::GET, token, &line_path).send().await.unwrap();
    expect_problem(response, StatusCode::NOT_FOUND, None).await;
    let closure: i64 = sqlx::query_scalar("SELECT count(*) FROM portfolio_closure WHERE descendant_id = $1")
        .bind(id_of(&line).parse::<uuid::Uuid>().unwrap())
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(closure, 0);
}

#[tokio::test]
async fn if_match_guards_against_lost_updates() {
    let app = spawn_app().await;
    let admin = app.signup("Acme").await;
    let root = app
        .create_portfolio(&admin.token, "Acme", "portfolio", None)
        .await;
    let path = format!("/portfolios/{}", id_of(&root));

    app.assert_if_match_guards(
        &admin.token,
        &path,
        json!({"name": "Acme Inc"}),
        json!({"name": "Overwritten"}),
    )
    .await;

    let current = app.get_json(&admin.token, &path).await;
    assert_eq!(
        (current["name"].as_str(), current["version"].as_i64()),
        (Some("Acme Inc"), Some(2))
    );
}

#[tokio::test]
async fn members_edit_the_subtrees_they_lead_and_viewers_only_read() {
    let app = spawn_app().await;
    let admin = app.signup("Acme").await;
    let vp = app.add_member(&admin, Role::Member).await;
    let viewer = app.add_member(&admin, Role::Viewer).await;
    let root = app
        .create_portfolio(&admin.token, "Acme", "portfolio", None)
        .await;
    let payments = app
        .post_json(
            &admin.token,
            "/portfolios",
            json!({"name": "Payments", "level": "product_line", "parent_id": id_of(&root), "owner_id": vp.user_id}),
        )
        .await;
    let lending = app
        .create_portfolio(&admin.token, "Lending", "product_line", Some(&id_of(&root)))
        .await;
    let checkout = app
        .create_portfolio(&admin.token, "Checkout", "product", Some(&id_of(&payments)))
        .await;

    // The VP edits their product line and everything below it, and adds to it.
    app.patch_json(
        &vp.token,
        &format!("/portfolios/{}", id_of(&checkout)),
        json!({"lifecycle": "launch"}),
    )
    .await;
    let created = app
        .create_portfolio(&vp.token, "Payouts", "product", Some(&id_of(&payments)))
        .await;
    assert_eq!(created["parent_id"], payments["id"]);

    // …but not a sibling's line, not the top, and no new top-level portfolio.
    for target in [&lending, &root] {
        let response = app
            .send_json(
                Method::PATCH,
                &vp.token,
                &format!("/portfolios/{}", id_of(target)),
                json!({"name": "Mine now"}),
                None,
            )
            .await;
        expect_problem(response, StatusCode::FORBIDDEN, None).await;
    }
    app.expect_refused(
        Method::POST,
        &vp.token,
        "/portfolios",
        json!({"name": "Mine", "level": "portfolio"}),
        StatusCode::FORBIDDEN,
    )
    .await;
    // Moving their product under a line they do not lead would hand it away.
    app.expect_refused(
        Method::PATCH,
        &vp.token,
        &format!("/portfolios/{}", id_of(&checkout)),
        json!({"parent_id": id_of(&lending)}),
        StatusCode::FORBIDDEN,
    )
    .await;

    // A viewer reads everything and changes nothing.
    let path = format!("/portfolios/{}", id_of(&checkout));
    app.get_json(&viewer.token, &path).await;
    app.expect_refused(
        Method::PATCH,
        &viewer.token,
        &path,
        json!({"name": "X"}),
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
        "/portfolios",
        json!({"name": "X", "level": "area", "parent_id": id_of(&checkout)}),
        StatusCode::FORBIDDEN,
    )
    .await;
    let after = app.get_json(&admin.token, &path).await;
    assert_eq!(
        (after["name"].as_str(), after["parent_id"].as_str()),
        (Some("Checkout"), payments["id"].as_str())
    );
}

#[tokio::test]
async fn the_tree_and_breadcrumbs_follow_a_move() {
    let app = spawn_app().await;
    let admin = app.signup("Acme").await;
    let token = &admin.token;
    let root = app.create_portfolio(token, "Acme", "portfolio", None).await;
    let payments = app
        .create_portfolio(token, "Payments", "product_line", Some(&id_of(&root)))
        .await;
    let lending = app
        .create_portfolio(token, "Lending", "product_line", Some(&id_of(&root)))
        .await;
    let checkout = app
        .create_portfolio(token, "Checkout", "product", Some(&id_of(&payments)))
        .await;
    app.create_portfolio(token, "Wallets", "area", Some(&id_of(&checkout)))
        .await;
    app.patch_json(
        token,
        &format!("/portfolios/{}", id_of(&checkout)),
        json!({"parent_id": id_of(&lending)}),
    )
    .await;

    let tree = cairn::db::portfolios::list_tree(&app.tenant(admin.org_id))
        .await
        .unwrap();
    let outline: Vec<(i32, &str)> = tree
        .iter()
        .map(|n| (n.depth, n.portfolio.name.as_str()))
        .collect();
    assert_eq!(
        outline,
        [
            (0, "Acme"),
            (1, "Payments"),
            (1, "Lending"),
            (2, "Checkout"),
            (3, "Wallets")
        ]
    );
    let wallets = tree.last().unwrap().portfolio.id;
    let crumbs = cairn::db::portfolios::ancestors(&app.tenant(admin.org_id), admin.org_id, wallets)
        .await
        .unwrap();
    let names: Vec<&str> = crumbs.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(names, ["Acme", "Lending", "Checkout", "Wallets"]);
}
