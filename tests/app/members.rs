//! Members and roles: adding (with a password or an invitation), changing roles, removing, and
//! sign-in throttling.

use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::helpers::{PASSWORD, TestApp, expect_problem, expect_status, new_client, spawn_app};

#[tokio::test]
async fn an_admin_adds_lists_changes_and_removes_a_member() {
    let app = spawn_app().await;
    let acme = app.signup("Acme").await;

    let added = app.add_member_api(&acme.token, "member", Some(PASSWORD)).await;
    assert_eq!(added["role"], "member");
    assert_eq!(added["name"], "A member");
    assert_eq!(added["invite_url"], json!(null));
    let id = added["id"].as_str().unwrap().to_owned();
    let email = added["email"].as_str().unwrap().to_owned();

    // With a password, the account can sign in at once.
    let token = app.token_for(&email, PASSWORD).await;
    assert_eq!(app.get_json(&token, "/me").await["role"], "member");

    let list = app.get_json(&token, "/members").await;
    assert_eq!(list["next_cursor"], json!(null));
    let items = list["items"].as_array().unwrap();
    assert_eq!(items.len(), 2);
    let listed = items.iter().find(|m| m["id"] == id.as_str()).unwrap();
    assert_eq!(
        listed,
        &json!({"id": id, "email": email, "name": "A member", "role": "member"})
    );

    // A role change takes effect on the member's next request.
    let portfolio = app.create_portfolio(&acme.token, "Acme", "portfolio", None).await;
    let changed = app
        .patch_json(
            &acme.token,
            &format!("/members/{id}"),
            json!({"role": "viewer", "name": "Pat"}),
        )
        .await;
    assert_eq!(
        changed,
        json!({"id": id, "email": email, "name": "Pat", "role": "viewer"})
    );
    let refused = app
        .send_json(
            Method::POST,
            &token,
            "/initiatives",
            json!({"title": "X", "portfolio_id": portfolio["id"]}),
            None,
        )
        .await;
    expect_problem(refused, StatusCode::FORBIDDEN, None).await;

    let bad = app
        .send_json(
            Method::PATCH,
            &acme.token,
            &format!("/members/{id}"),
            json!({"role": "owner"}),
            None,
        )
        .await;
    expect_problem(bad, StatusCode::UNPROCESSABLE_ENTITY, Some("role")).await;

    let removed = app
        .api(Method::DELETE, &acme.token, &format!("/members/{id}"))
        .send()
        .await
        .unwrap();
    expect_status(removed, StatusCode::NO_CONTENT).await;
    let after = app.get_json(&acme.token, "/members").await;
    assert_eq!(after["items"].as_array().unwrap().len(), 1);
    // Their token stopped working with the membership.
    let me = app.api(Method::GET, &token, "/me").send().await.unwrap();
    expect_problem(me, StatusCode::UNAUTHORIZED, None).await;
}

#[tokio::test]
async fn adding_members_is_checked_and_for_admins_only() {
    let app = spawn_app().await;
    let acme = app.signup("Acme").await;
    let member = app.add_member(&acme, cairn::domain::Role::Member).await;
    let viewer = app.add_member(&acme, cairn::domain::Role::Viewer).await;

    let invalid = app
        .send_json(
            Method::POST,
            &acme.token,
            "/members",
            json!({"email": "nope", "name": "", "role": "boss", "password": "short"}),
            None,
        )
        .await;
    let body = expect_problem(invalid, StatusCode::UNPROCESSABLE_ENTITY, Some("email")).await;
    for field in ["name", "role", "password"] {
        assert!(body["errors"][field].is_array(), "{field}: {body}");
    }

    let valid = json!({"email": "new@example.test", "name": "New", "role": "viewer"});
    for token in [&member.token, &viewer.token] {
        let refused = app
            .send_json(Method::POST, token, "/members", valid.clone(), None)
            .await;
        expect_problem(refused, StatusCode::FORBIDDEN, None).await;
        for method in [Method::PATCH, Method::DELETE] {
            let path = format!("/members/{}", acme.user_id);
            let refused = app
                .send_json(method, token, &path, json!({"role": "viewer"}), None)
                .await;
            expect_problem(refused, StatusCode::FORBIDDEN, None).await;
        }
        // Reading the member list is for everyone in the organization.
        assert_eq!(
            app.get_json(token, "/members").await["items"]
                .as_array()
                .unwrap()
                .len(),
            3
        );
    }
    assert_eq!(app.get_json(&acme.token, "/me").await["role"], "admin");

    // Someone already in the organization is a conflict.
    let again = app
        .send_json(
            Method::POST,
            &acme.token,
            "/members",
            json!({"email": acme.email, "name": "Ada", "role": "viewer"}),
            None,
        )
        .await;
    expect_problem(again, StatusCode::CONFLICT, Some("email")).await;
}

#[tokio::test]
async fn a_registered_email_joins_another_organization_with_its_own_account() {
    let app = spawn_app().await;
    let acme = app.signup("Acme").await;
    let globex = app.signup("Globex").await;

    let joined = app
        .post_json(
            &globex.token,
            "/members",
            json!({"email": acme.email.to_uppercase(), "name": "Ignored", "role": "viewer"}),
        )
        .await;
    assert_eq!(joined["id"], acme.user_id.to_string());
    assert_eq!(joined["name"], "Ada Admin");
    assert_eq!(joined["role"], "viewer");
    // The account already signs in: no invitation, and no admin may set its password.
    assert_eq!(joined["invite_url"], json!(null));
    let other = app.signup("Initech").await;
    let set_password = app
        .send_json(
            Method::POST,
            &other.token,
            "/members",
            json!({"email": acme.email, "name": "A", "role": "viewer", "password": "a new password!"}),
            None,
        )
        .await;
    expect_problem(set_password, StatusCode::UNPROCESSABLE_ENTITY, Some("password")).await;
    assert!(app.token_for(&acme.email, PASSWORD).await.starts_with("cairn_"));
}

#[tokio::test]
async fn an_invitation_link_works_once_is_stored_hashed_and_expires() {
    let app = spawn_app().await;
    let acme = app.signup("Acme").await;
    let added = app.add_member_api(&acme.token, "member", None).await;
    let url = added["invite_url"].as_str().expect("an invite URL").to_owned();
    let prefix = app.url("/invite/");
    assert!(url.starts_with(&prefix), "{url}");
    let token = url[prefix.len()..].to_owned();

    // Only the SHA-256 digest is stored.
    let (hashed, plain): (i64, i64) = sqlx::query_as(
        "SELECT count(*) FILTER (WHERE token_hash = sha256($1::bytea)),
                count(*) FILTER (WHERE strpos(encode(token_hash, 'escape'), $2) > 0 OR strpos(i::text, $2) > 0)
         FROM invites i",
    )
    .bind(token.as_bytes())
    .bind(&token)
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!((hashed, plain), (1, 0));

    // Before accepting, the invited account cannot sign in.
    let email = added["email"].as_str().unwrap();
    expect_problem(
        app.request_token(email, PASSWORD).await,
        StatusCode::UNAUTHORIZED,
        None,
    )
    .await;

    let page = app.get_page(&format!("/invite/{token}")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert_eq!(page.value("#name").as_deref(), Some("A member"));
    let short = app
        .post_form(
            &format!("/invite/{token}"),
            &[("name", "Pat"), ("password", "short")],
        )
        .await;
    assert_eq!(short.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(short.field_error("password").unwrap().contains("at least 10"));

    let joined = app
        .post_form(
            &format!("/invite/{token}"),
            &[("name", "Pat Member"), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(joined.status, StatusCode::SEE_OTHER);
    assert_eq!(joined.location.as_deref(), Some("/"));
    let home = app.get_page("/").await;
    assert_eq!(home.text(".topbar .user-name"), "Pat Member · Member");

    // Used: the link is gone, both to look at and to submit again.
    let browser = app.with_client(new_client());
    assert_eq!(
        browser.get_page(&format!("/invite/{token}")).await.status,
        StatusCode::NOT_FOUND
    );
    let again = browser
        .post_form(
            &format!("/invite/{token}"),
            &[("name", "Eve"), ("password", "evil password!")],
        )
        .await;
    assert_eq!(again.status, StatusCode::NOT_FOUND);
    assert!(app.token_for(email, PASSWORD).await.starts_with("cairn_"));

    // Expired or unknown: the same 404 page.
    let expiring = app.add_member_api(&acme.token, "viewer", None).await;
    let expired_url = expiring["invite_url"].as_str().unwrap();
    sqlx::query("UPDATE invites SET expires_at = now() - interval '1 second' WHERE used_at IS NULL")
        .execute(&app.pool)
        .await
        .unwrap();
    let expired = Page404::of(&browser, &expired_url[app.url("").len()..]).await;
    let unknown = Page404::of(&browser, "/invite/inv_not-a-real-token").await;
    assert_eq!(expired, unknown);
}

/// A page's status and heading, to compare two not-found answers.
#[derive(Debug, PartialEq)]
struct Page404(StatusCode, String);

impl Page404 {
    async fn of(app: &TestApp, path: &str) -> Page404 {
        let page = app.get_page(path).await;
        assert_eq!(page.status, StatusCode::NOT_FOUND, "{path}");
        Page404(page.status, page.text("h1"))
    }
}

#[tokio::test]
async fn a_removed_member_is_signed_out_everywhere_at_once() {
    let app = spawn_app().await;
    let acme = app.signup("Acme").await;
    let (member, browser) = app.signed_in_member(&acme, cairn::domain::Role::Member).await;
    let portfolio = app.create_portfolio(&acme.token, "Acme", "portfolio", None).await;
    app.patch_json(
        &acme.token,
        &format!("/portfolios/{}", portfolio["id"].as_str().unwrap()),
        json!({"owner_id": member.user_id}),
    )
    .await;
    assert_eq!(browser.get_page("/portfolios").await.status, StatusCode::OK);

    let removed = app
        .api(
            Method::DELETE,
            &acme.token,
            &format!("/members/{}", member.user_id),
        )
        .send()
        .await
        .unwrap();
    expect_status(removed, StatusCode::NO_CONTENT).await;

    let page = browser.get_page("/portfolios").await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    assert!(page.location.unwrap().starts_with("/login"));
    let sessions: i64 = sqlx::query_scalar("SELECT count(*) FROM sessions WHERE data ->> 'user_id' = $1")
        .bind(member.user_id.to_string())
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(sessions, 0);
    let me = app.api(Method::GET, &member.token, "/me").send().await.unwrap();
    expect_problem(me, StatusCode::UNAUTHORIZED, None).await;
    // What they owned is left without an owner.
    let after = app
        .get_json(
            &acme.token,
            &format!("/portfolios/{}", portfolio["id"].as_str().unwrap()),
        )
        .await;
    assert_eq!(after["owner_id"], json!(null));
}

#[tokio::test]
async fn the_last_admin_can_be_neither_demoted_nor_removed() {
    let app = spawn_app().await;
    let acme = app.signup("Acme").await;
    let path = format!("/members/{}", acme.user_id);

    let demote = app
        .send_json(Method::PATCH, &acme.token, &path, json!({"role": "member"}), None)
        .await;
    expect_problem(demote, StatusCode::CONFLICT, None).await;
    let remove = app.api(Method::DELETE, &acme.token, &path).send().await.unwrap();
    expect_problem(remove, StatusCode::CONFLICT, None).await;
    assert_eq!(app.get_json(&acme.token, "/me").await["role"], "admin");

    // With a second admin, the first may step down.
    let second = app.add_member_api(&acme.token, "admin", Some(PASSWORD)).await;
    let demoted = app
        .patch_json(&acme.token, &path, json!({"role": "viewer"}))
        .await;
    assert_eq!(demoted["role"], "viewer");
    let back = app
        .send_json(
            Method::PATCH,
            &acme.token,
            &format!("/members/{}", second["id"].as_str().unwrap()),
            json!({"role": "viewer"}),
            None,
        )
        .await;
    expect_problem(back, StatusCode::FORBIDDEN, None).await;
}

#[tokio::test]
async fn members_of_another_organization_are_not_found() {
    let app = spawn_app().await;
    let acme = app.signup("Acme").await;
    let globex = app.signup("Globex").await;
    let theirs = app.add_member_api(&globex.token, "member", Some(PASSWORD)).await;
    let path = format!("/members/{}", theirs["id"].as_str().unwrap());

    let patch = app
        .send_json(Method::PATCH, &acme.token, &path, json!({"role": "admin"}), None)
        .await;
    expect_problem(patch, StatusCode::NOT_FOUND, None).await;
    let delete = app.api(Method::DELETE, &acme.token, &path).send().await.unwrap();
    expect_problem(delete, StatusCode::NOT_FOUND, None).await;
    let listed = app.get_json(&acme.token, "/members").await;
    assert_eq!(listed["items"].as_array().unwrap().len(), 1);
    let still = app.get_json(&globex.token, "/members").await;
    assert!(
        still["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|m| m["id"] == theirs["id"] && m["role"] == "member")
    );
}

#[tokio::test]
async fn failed_sign_ins_are_limited_per_account_until_a_success_clears_them() {
    let app = spawn_app().await;
    let acme = app.signup("Acme").await;

    // A success clears the account's count: four failures, a success, then five more are allowed.
    for _ in 0..4 {
        expect_problem(
            app.request_token(&acme.email, "wrong password").await,
            StatusCode::UNAUTHORIZED,
            None,
        )
        .await;
    }
    app.token_for(&acme.email, PASSWORD).await;
    for _ in 0..5 {
        expect_problem(
            app.request_token(&acme.email, "wrong password").await,
            StatusCode::UNAUTHORIZED,
            None,
        )
        .await;
    }
    // The sixth failure in the window is refused, even with the right password, on the API …
    let limited = app.request_token(&acme.email, PASSWORD).await;
    let wait: u64 = limited.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=900).contains(&wait), "{wait}");
    expect_problem(limited, StatusCode::TOO_MANY_REQUESTS, None).await;
    // … and on the sign-in page, which says so and keeps the email.
    let page = app
        .post_form(
            "/login",
            &[("email", &acme.email), ("password", PASSWORD), ("next", "/")],
        )
        .await;
    assert_eq!(page.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(page.text("[role='alert']").contains("Too many failed sign-ins"));
    assert_eq!(page.value("#email").as_deref(), Some(acme.email.as_str()));
    assert!(page.session_cookie().is_none());

    // Another account from the same address is not affected yet.
    let globex = app.signup("Globex").await;
    app.token_for(&globex.email, PASSWORD).await;
}

#[tokio::test]
async fn failed_sign_ins_are_limited_per_client_address() {
    let app = spawn_app().await;
    let acme = app.signup("Acme").await;
    for n in 0..20 {
        let email = format!("guess-{n}@example.test");
        let form = app.sign_in_page(&email, "wrong password", "/").await;
        assert_eq!(form.status, StatusCode::UNAUTHORIZED);
    }
    let limited = app.request_token(&acme.email, PASSWORD).await;
    assert!(limited.headers().contains_key("retry-after"));
    expect_problem(limited, StatusCode::TOO_MANY_REQUESTS, None).await;
    let page = app.sign_in_page(&acme.email, PASSWORD, "/").await;
    assert_eq!(page.status, StatusCode::TOO_MANY_REQUESTS);
}

#[tokio::test]
async fn an_admin_manages_members_on_the_settings_page() {
    let app = spawn_app().await;
    let fields = crate::helpers::SignUpFields::valid("Acme");
    assert_eq!(app.sign_up_page(&fields).await.status, StatusCode::SEE_OTHER);
    let page = app.get_page("/settings/members").await;
    assert_eq!(page.status, StatusCode::OK);
    page.one(".topbar a[href='/settings/organization'][aria-current='page']");
    page.one(".tabs a[href='/settings/members'][aria-current='page']");

    // Errors beside the fields, what was typed kept, the password never sent back.
    let refused = app
        .post_form(
            "/settings/members",
            &[
                ("name", ""),
                ("email", "pat-at-example"),
                ("role", "member"),
                ("password", "short"),
            ],
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.field_error("name").unwrap().contains("required"));
    assert!(refused.field_error("email").unwrap().contains("not an email"));
    assert!(refused.field_error("password").unwrap().contains("at least 10"));
    assert_eq!(refused.value("#email").as_deref(), Some("pat-at-example"));
    assert_eq!(refused.value("#password").unwrap_or_default(), "");

    // Without a password: the invitation link, shown once.
    let invited = app
        .post_form(
            "/settings/members",
            &[
                ("name", "Pat"),
                ("email", "pat@example.test"),
                ("role", "viewer"),
                ("password", ""),
            ],
        )
        .await;
    assert_eq!(invited.status, StatusCode::CREATED);
    let url = invited.value(".invite .invite-url").unwrap();
    assert!(url.starts_with(&app.url("/invite/inv_")), "{url}");
    let pat: uuid::Uuid = sqlx::query_scalar("SELECT id FROM users WHERE email = 'pat@example.test'")
        .fetch_one(&app.pool)
        .await
        .unwrap();

    let promoted = app
        .post_form(&format!("/settings/members/{pat}/role"), &[("role", "member")])
        .await;
    assert_eq!(promoted.status, StatusCode::SEE_OTHER);
    let list = app.get_page("/settings/members").await;
    let row = list.one(&format!("tr[data-member-id='{pat}'] option[selected]"));
    assert_eq!(row.value().attr("value"), Some("member"));

    // The last admin cannot step down: the list says why.
    let me: uuid::Uuid = sqlx::query_scalar("SELECT id FROM users WHERE email = $1")
        .bind(&fields.email)
        .fetch_one(&app.pool)
        .await
        .unwrap();
    let kept = app
        .post_form(&format!("/settings/members/{me}/role"), &[("role", "viewer")])
        .await;
    assert_eq!(kept.status, StatusCode::CONFLICT);
    assert!(kept.text("[role='alert']").contains("needs an admin"));

    // Removing takes a confirm step.
    let confirm = app.get_page(&format!("/settings/members/{pat}/remove")).await;
    assert_eq!(confirm.status, StatusCode::OK);
    assert!(confirm.text("h1").contains("Pat"));
    let removed = app
        .post_form(&format!("/settings/members/{pat}/remove"), &[])
        .await;
    assert_eq!(removed.status, StatusCode::SEE_OTHER);
    let after = app.get_page("/settings/members").await;
    assert!(after.select(&format!("tr[data-member-id='{pat}']")).is_empty());
}
