//! Idempotent creates: a creating POST sent again with the same `Idempotency-Key` gets
//! the first answer and makes no second row, even when the copies race each other.

use reqwest::{Method, Response, StatusCode};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::helpers::*;

/// A POST with a key.
async fn post_with_key(app: &TestApp, token: &str, path: &str, key: &str, body: &Value) -> Response {
    app.api(Method::POST, token, path)
        .header("idempotency-key", key)
        .json(body)
        .send()
        .await
        .unwrap()
}

struct Org {
    app: TestApp,
    admin: Account,
    portfolio_id: String,
}

async fn org() -> Org {
    let app = spawn_app().await;
    let admin = app.signup("Keyed").await;
    let portfolio = app
        .create_portfolio(&admin.token, "Keyed", "portfolio", None)
        .await;
    Org {
        portfolio_id: id_of(&portfolio),
        app,
        admin,
    }
}

#[tokio::test]
async fn a_retried_create_gets_the_first_answer_and_makes_no_second_row() {
    let Org {
        app,
        admin,
        portfolio_id,
    } = org().await;
    let body = json!({"title": "Checkout redesign", "portfolio_id": portfolio_id});

    let first = post_with_key(&app, &admin.token, "/initiatives", "retry-1", &body).await;
    assert_eq!(first.headers().get("idempotent-replayed"), None);
    let first_etag = first.headers()["etag"].clone();
    let created = expect_status(first, StatusCode::CREATED).await;

    let retry = post_with_key(&app, &admin.token, "/initiatives", "retry-1", &body).await;
    assert_eq!(retry.headers()["idempotent-replayed"], "true");
    assert_eq!(retry.headers()["etag"], first_etag);
    let replayed = expect_status(retry, StatusCode::CREATED).await;

    assert_eq!(
        replayed, created,
        "the retry answers exactly what the first request did"
    );
    assert_eq!(count_rows(&app.pool, "initiatives").await, 1);

    // A new key is a new request.
    let other = expect_status(
        post_with_key(&app, &admin.token, "/initiatives", "retry-2", &body).await,
        StatusCode::CREATED,
    )
    .await;
    assert_ne!(id_of(&other), id_of(&created));
    assert_eq!(count_rows(&app.pool, "initiatives").await, 2);
}

#[tokio::test]
async fn ten_concurrent_identical_posts_create_one_row() {
    let Org {
        app,
        admin,
        portfolio_id,
    } = org().await;
    let body = json!({"title": "Raced", "portfolio_id": portfolio_id});
    let key = Uuid::new_v4().to_string();

    let answers = futures_util::future::join_all(
        (0..10).map(|_| post_with_key(&app, &admin.token, "/initiatives", &key, &body)),
    )
    .await;
    let mut ids = Vec::new();
    let mut replayed = 0;
    for answer in answers {
        replayed += usize::from(answer.headers().contains_key("idempotent-replayed"));
        ids.push(id_of(&expect_status(answer, StatusCode::CREATED).await));
    }
    ids.dedup();
    assert_eq!(ids.len(), 1, "every copy answers the one initiative: {ids:?}");
    assert_eq!(replayed, 9, "one request made it, nine were replays");
    assert_eq!(count_rows(&app.pool, "initiatives").await, 1);
    // Its key number was drawn once, too.
    let initiative = app
        .get_json(&admin.token, &format!("/initiatives/{}", ids[0]))
        .await;
    assert!(
        initiative["key"].as_str().unwrap().ends_with("-1"),
        "{initiative}"
    );
}

#[tokio::test]
async fn a_key_reused_for_another_request_is_refused_and_changes_nothing() {
    let Org {
        app,
        admin,
        portfolio_id,
    } = org().await;
    let first = json!({"title": "First", "portfolio_id": portfolio_id});
    expect_status(
        post_with_key(&app, &admin.token, "/initiatives", "reused", &first).await,
        StatusCode::CREATED,
    )
    .await;

    let different = json!({"title": "Second", "portfolio_id": portfolio_id});
    let refused = post_with_key(&app, &admin.token, "/initiatives", "reused", &different).await;
    expect_problem(refused, StatusCode::UNPROCESSABLE_ENTITY, Some("Idempotency-Key")).await;
    // The same key on another path is another request, too.
    let theme = json!({"name": "Growth", "colour": "#2e7d32", "target_share": 20});
    let refused = post_with_key(&app, &admin.token, "/themes", "reused", &theme).await;
    expect_problem(refused, StatusCode::UNPROCESSABLE_ENTITY, Some("Idempotency-Key")).await;

    assert_eq!(count_rows(&app.pool, "initiatives").await, 1);
    assert_eq!(count_rows(&app.pool, "themes").await, 0);
}

#[tokio::test]
async fn a_failed_create_keeps_no_key_so_the_corrected_retry_runs() {
    let Org {
        app,
        admin,
        portfolio_id,
    } = org().await;
    let invalid = json!({"title": "", "portfolio_id": portfolio_id});
    let refused = post_with_key(&app, &admin.token, "/initiatives", "fix-and-retry", &invalid).await;
    expect_problem(refused, StatusCode::UNPROCESSABLE_ENTITY, Some("title")).await;
    assert_eq!(count_rows(&app.pool, "idempotency_keys").await, 0);

    let valid = json!({"title": "Fixed", "portfolio_id": portfolio_id});
    let created = expect_status(
        post_with_key(&app, &admin.token, "/initiatives", "fix-and-retry", &valid).await,
        StatusCode::CREATED,
    )
    .await;
    assert_eq!(created["title"], "Fixed");
    assert_eq!(count_rows(&app.pool, "initiatives").await, 1);
}

#[tokio::test]
async fn a_retried_status_update_is_recorded_once_even_with_its_now_stale_if_match() {
    let Org {
        app,
        admin,
        portfolio_id,
    } = org().await;
    let initiative = app
        .create_initiative(&admin.token, &portfolio_id, json!({}))
        .await;
    let path = format!("/initiatives/{}/updates", id_of(&initiative));
    let update = json!({"status": "in_progress", "progress": 30, "note": "Kick-off done"});
    let send = || {
        app.api(Method::POST, &admin.token, &path)
            .header("idempotency-key", "update-1")
            .header("if-match", "\"1\"")
            .json(&update)
            .send()
    };

    let first = expect_status(send().await.unwrap(), StatusCode::CREATED).await;
    // The initiative is at version 2 now: without the key, "1" would be stale (412).
    let retry = send().await.unwrap();
    assert_eq!(retry.headers()["idempotent-replayed"], "true");
    assert_eq!(expect_status(retry, StatusCode::CREATED).await, first);

    let history = app.get_json(&admin.token, &path).await;
    assert_eq!(history["items"].as_array().unwrap().len(), 1, "{history}");
}

#[tokio::test]
async fn keys_belong_to_the_member_who_sent_them() {
    let Org {
        app,
        admin,
        portfolio_id,
    } = org().await;
    let colleague = app.add_member(&admin, cairn::domain::Role::Admin).await;
    let body = json!({"title": "Same key, two people", "portfolio_id": portfolio_id});
    let mine = expect_status(
        post_with_key(&app, &admin.token, "/initiatives", "shared-key", &body).await,
        StatusCode::CREATED,
    )
    .await;
    let theirs = expect_status(
        post_with_key(&app, &colleague.token, "/initiatives", "shared-key", &body).await,
        StatusCode::CREATED,
    )
    .await;
    assert_ne!(id_of(&mine), id_of(&theirs));

    // Another organization's member with the same key is a stranger, too.
    let stranger = app.signup("Elsewhere").await;
    let theirs = app
        .create_portfolio(&stranger.token, "Elsewhere", "portfolio", None)
        .await;
    let body = json!({"title": "Theirs", "portfolio_id": id_of(&theirs)});
    let created = expect_status(
        post_with_key(&app, &stranger.token, "/initiatives", "shared-key", &body).await,
        StatusCode::CREATED,
    )
    .await;
    assert_eq!(created["title"], "Theirs");
}

#[tokio::test]
async fn every_create_of_the_api_honours_the_key() {
    let Org {
        app,
        admin,
        portfolio_id,
    } = org().await;
    let objective = json!({"title": "Grow", "portfolio_id": portfolio_id, "period": "2026-Q4"});
    let objective = expect_status(
        post_with_key(&app, &admin.token, "/objectives", "o", &objective).await,
        StatusCode::CREATED,
    )
    .await;
    let creates = [
        (
            "/portfolios",
            json!({"name": "Child", "level": "product_line", "parent_id": portfolio_id}),
            "portfolios",
        ),
        (
            "/themes",
            json!({"name": "Growth", "colour": "#2e7d32", "target_share": 20}),
            "themes",
        ),
        (
            "/objectives",
            json!({"title": "Grow", "portfolio_id": portfolio_id, "period": "2026-Q4"}),
            "objectives",
        ),
        (
            &format!("/objectives/{}/key-results", id_of(&objective)),
            json!({"title": "Conversion", "start_value": 1, "target_value": 2}),
            "key_results",
        ),
        (
            "/roadmaps",
            json!({"name": "Board", "portfolio_id": portfolio_id, "from": "2026-10-01", "to": "2027-03-31"}),
            "roadmaps",
        ),
    ];
    for (path, body, table) in creates {
        let before = count_rows(&app.pool, table).await;
        let key = format!("key-for-{table}");
        let first = expect_status(
            post_with_key(&app, &admin.token, path, &key, &body).await,
            StatusCode::CREATED,
        )
        .await;
        let retry = post_with_key(&app, &admin.token, path, &key, &body).await;
        assert_eq!(retry.headers()["idempotent-replayed"], "true", "{path}");
        assert_eq!(expect_status(retry, StatusCode::CREATED).await, first, "{path}");
        assert_eq!(count_rows(&app.pool, table).await, before + 1, "{path}");
    }
}

#[tokio::test]
async fn a_malformed_key_or_one_on_a_post_that_reveals_a_secret_is_refused() {
    let Org {
        app,
        admin,
        portfolio_id,
    } = org().await;
    let body = json!({"title": "Never made", "portfolio_id": portfolio_id});
    for bad in ["", &"x".repeat(256), "two words"] {
        let refused = post_with_key(&app, &admin.token, "/initiatives", bad, &body).await;
        expect_problem(refused, StatusCode::BAD_REQUEST, None).await;
    }
    // The quoted form of the IETF draft is the same key as the bare one.
    let quoted = post_with_key(&app, &admin.token, "/initiatives", "\"abc\"", &body).await;
    let created = expect_status(quoted, StatusCode::CREATED).await;
    let bare = post_with_key(&app, &admin.token, "/initiatives", "abc", &body).await;
    assert_eq!(expect_status(bare, StatusCode::CREATED).await, created);

    // Answers that carry a token or an invite link shown once cannot be replayed without
    // storing the secret: these POSTs refuse a key rather than ignore it.
    let roadmap = app
        .post_json(
            &admin.token,
            "/roadmaps",
            json!({"name": "Board", "portfolio_id": portfolio_id, "from": "2026-10-01", "to": "2027-03-31"}),
        )
        .await;
    let secret_posts = [
        (
            format!("/roadmaps/{}/shares", id_of(&roadmap)),
            json!({}),
            "share_links",
        ),
        (
            "/members".to_owned(),
            json!({"email": "new@keyed.test", "name": "New", "role": "member"}),
            "memberships",
        ),
        (
            "/tokens".to_owned(),
            json!({"email": admin.email, "password": admin.password}),
            "api_tokens",
        ),
    ];
    for (path, body, table) in secret_posts {
        let before = count_rows(&app.pool, table).await;
        let refused = post_with_key(&app, &admin.token, &path, "k", &body).await;
        expect_problem(refused, StatusCode::BAD_REQUEST, None).await;
        assert_eq!(count_rows(&app.pool, table).await, before, "{path}");
    }
}
