//! `/my` and the quick update on the pages: a PM sees their work stalest first, updates it in one
//! submit, finds it in the initiative's history, and is shown someone else's update instead of
//! overwriting it.

use cairn::domain::Role;
use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{Account, Member, TestApp, id_of, spawn_app, with_changes};

/// An organization whose PM, signed in on the returned client, owns one in-progress initiative.
struct Org {
    admin: Account,
    pm: Member,
    pm_browser: TestApp,
    line: String,
    initiative: String,
}

async fn org(app: &TestApp) -> Org {
    let admin = app.signup("Litware").await;
    let (pm, pm_browser) = app.signed_in_member(&admin, Role::Member).await;
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
        pm_browser,
        line,
        initiative,
    }
}

impl Org {
    fn action(&self) -> String {
        format!("/initiatives/{}/updates", self.initiative)
    }
}

/// Makes an initiative look created, and last updated, `days` ago: its creation and every line of
/// its history moved back.
async fn age(app: &TestApp, initiative: &str, days: i32) {
    for sql in [
        "UPDATE initiatives SET created_at = now() - make_interval(days => $2), updated_at = now() - make_interval(days => $2) WHERE id = $1",
        "UPDATE status_updates SET created_at = now() - make_interval(days => $2) WHERE initiative_id = $1",
    ] {
        sqlx::query(sql)
            .bind(initiative.parse::<uuid::Uuid>().unwrap())
            .bind(days)
            .execute(&app.pool)
            .await
            .unwrap();
    }
}

#[tokio::test]
async fn my_initiatives_are_stalest_first_with_a_badge_on_open_work_left_for_two_weeks() {
    let app = spawn_app().await;
    let org = org(&app).await;
    let owned = |title: &'static str, status: &'static str| {
        let body = json!({"title": title, "status": status, "owner_id": org.pm.user_id});
        let (app, token, line) = (&app, org.admin.token.clone(), org.line.clone());
        async move { id_of(&app.create_initiative(&token, &line, body).await) }
    };
    let recent = owned("Recent", "planned").await;
    let finished = owned("Finished", "done").await;
    app.create_initiative(&org.admin.token, &org.line, json!({"title": "Someone else's"}))
        .await;
    age(&app, &org.initiative, 20).await;
    age(&app, &recent, 3).await;
    age(&app, &finished, 40).await;

    let page = org.pm_browser.get_page("/my").await;
    assert_eq!(page.status, StatusCode::OK);
    let titles: Vec<String> = page
        .select(".my-item h2 a")
        .iter()
        .map(|a| a.text().collect())
        .collect();
    assert_eq!(
        titles,
        ["Instant payouts", "Recent", "Finished"],
        "open work stalest first"
    );
    let stale: Vec<String> = page
        .select(".my-item.is-stale h2 a")
        .iter()
        .map(|a| a.text().collect())
        .collect();
    assert_eq!(stale, ["Instant payouts"], "finished work is never flagged");
    assert_eq!(
        page.text(".my-item.is-stale .badge.stale"),
        "Not updated for 14 days"
    );
    assert_eq!(
        page.select(".my-item form[method='post']").len(),
        3,
        "a quick update each"
    );
    assert_eq!(
        page.select("#u-LITWA-1-status, #u-LITWA-2-status").len(),
        2,
        "ids unique per form"
    );
    assert_eq!(
        page.one(".nav a[aria-current='page']").value().attr("href"),
        Some("/my")
    );
    let home = org.pm_browser.get_page("/").await;
    home.one("main a[href='/my']");
}

#[tokio::test]
async fn the_staleness_badge_agrees_with_the_history() {
    let app = spawn_app().await;
    let org = org(&app).await;
    let t = &org.admin.token;
    app.post_json(t, &org.action(), json!({"progress": 30})).await;
    age(&app, &org.initiative, 20).await;
    // A rename is an edit, not a check-in: the history does not change, and nor may the badge.
    app.patch_json(
        t,
        &format!("/initiatives/{}", org.initiative),
        json!({"title": "Instant payouts v2"}),
    )
    .await;

    let newest_in_history = |page: &crate::helpers::Page| -> i64 {
        let at = page.select(".timeline time")[0]
            .value()
            .attr("datetime")
            .unwrap()
            .to_owned();
        let at = chrono::DateTime::parse_from_rfc3339(&at).expect("an RFC 3339 time");
        (chrono::Utc::now() - at.to_utc()).num_days()
    };
    let details = org
        .pm_browser
        .get_page(&format!("/initiatives/{}", org.initiative))
        .await;
    let days = newest_in_history(&details);
    assert_eq!(days, 20);
    let my = org.pm_browser.get_page("/my").await;
    assert!(
        my.text(".my-item .updated")
            .starts_with(&format!("Updated {days} days ago")),
        "{}",
        my.text(".my-item .updated")
    );
    assert_eq!(my.text(".my-item .badge.stale"), "Not updated for 14 days");

    // A note is a check-in: both say today.
    app.post_json(t, &org.action(), json!({"note": "Still on it"}))
        .await;
    let details = org
        .pm_browser
        .get_page(&format!("/initiatives/{}", org.initiative))
        .await;
    assert_eq!(newest_in_history(&details), 0);
    let my = org.pm_browser.get_page("/my").await;
    assert_eq!(my.text(".my-item .updated"), "Updated today");
    assert!(my.select(".badge.stale").is_empty());
}

#[tokio::test]
async fn a_quick_update_from_my_is_one_submit_and_shows_in_the_history() {
    let app = spawn_app().await;
    let org = org(&app).await;
    let my = org.pm_browser.get_page("/my").await;
    let fields = with_changes(
        &my.form_fields(&org.action()),
        &[
            ("health", "at_risk"),
            ("progress", "35"),
            ("note", "Bank certification slipped"),
        ],
    );

    let posted = org.pm_browser.submit(&org.action(), &fields).await;
    assert_eq!(posted.status, StatusCode::SEE_OTHER);
    // POST, redirect, GET: back at the item, which says it was saved.
    assert_eq!(posted.location.as_deref(), Some("/my?saved=LITWA-1#LITWA-1"));
    let back = org.pm_browser.get_page(posted.location.as_deref().unwrap()).await;
    assert_eq!(back.status, StatusCode::OK);
    assert_eq!(
        back.text("#LITWA-1 .saved"),
        "Saved. Your update is in the history."
    );
    assert!(org.pm_browser.get_page("/my").await.select(".saved").is_empty());
    let history = app.get_json(&org.admin.token, &org.action()).await;
    let update = &history["items"][0];
    assert_eq!(
        (&update["health"], &update["progress"], &update["note"]),
        (
            &json!("at_risk"),
            &json!(35),
            &json!("Bank certification slipped")
        )
    );
    assert_eq!(update["author"]["id"], org.pm.user_id.to_string());

    let shown = org
        .pm_browser
        .get_page(&format!("/initiatives/{}", org.initiative))
        .await;
    let entry = shown.text(".timeline .timeline-entry");
    assert!(entry.contains("A member"), "{entry}");
    assert!(entry.contains("Health On track → At risk"), "{entry}");
    assert!(entry.contains("Progress 20% → 35%"), "{entry}");
    assert!(entry.contains("Bank certification slipped"), "{entry}");
    shown.one(&format!("form[action^='{}#']", org.action()));
    let again = org.pm_browser.get_page("/my").await;
    assert_eq!(again.text(".my-item .updated"), "Updated today");
}

#[tokio::test]
async fn a_refused_quick_update_lower_on_my_opens_at_its_form_with_the_errors_in_view() {
    let app = spawn_app().await;
    let org = org(&app).await;
    // A second initiative, below the first on /my (updated more recently).
    let second = id_of(
        &app.create_initiative(
            &org.admin.token,
            &org.line,
            json!({"title": "Card vault", "status": "in_progress", "owner_id": org.pm.user_id}),
        )
        .await,
    );
    age(&app, &org.initiative, 5).await;
    let action = format!("/initiatives/{second}/updates");
    let my = org.pm_browser.get_page("/my").await;
    let form = my.one(&format!("form[action^='{action}']"));
    // The answer to the form opens at the form's own item, not at the top of the page.
    assert_eq!(
        form.value().attr("action"),
        Some(format!("{action}#LITWA-2").as_str())
    );
    my.one("li#LITWA-2");
    let note = my.one("#u-LITWA-2-note");
    assert_eq!(
        note.value().attr("maxlength"),
        Some("2000"),
        "the browser stops at 2,000"
    );

    let fields = with_changes(
        &my.form_fields(&action),
        &[("progress", "150"), ("note", &"x".repeat(2001))],
    );
    let refused = org.pm_browser.submit(&action, &fields).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    // The summary above the form links to each field in error, in the form's order.
    let links: Vec<(String, String)> = refused
        .select("#LITWA-2 .alert .error-summary a")
        .iter()
        .map(|a| (a.value().attr("href").unwrap().to_owned(), a.text().collect()))
        .collect();
    assert_eq!(links.len(), 2, "{links:?}");
    assert_eq!(links[0].0, "#u-LITWA-2-progress");
    assert!(links[0].1.starts_with("Progress (%)"), "{links:?}");
    assert_eq!(links[1].0, "#u-LITWA-2-note");
    // The first field in error takes the focus; the other form on the page is left alone.
    let focused: Vec<&str> = refused
        .select("[autofocus]")
        .iter()
        .map(|e| e.value().attr("id").unwrap())
        .collect();
    assert_eq!(focused, ["u-LITWA-2-progress"]);
    assert!(refused.select("#LITWA-1 .alert").is_empty());
    assert_eq!(
        refused.value("#u-LITWA-2-progress").as_deref(),
        Some("150"),
        "input kept"
    );
}

#[tokio::test]
async fn a_stale_quick_update_shows_their_update_and_keeps_the_input() {
    let app = spawn_app().await;
    let org = org(&app).await;
    let my = org.pm_browser.get_page("/my").await;
    app.post_json(
        &org.admin.token,
        &org.action(),
        json!({"progress": 60, "note": "Moved up after the partner call"}),
    )
    .await;

    let fields = with_changes(
        &my.form_fields(&org.action()),
        &[("status", "planned"), ("progress", "70"), ("note", "Mine")],
    );
    let conflict = org.pm_browser.submit(&org.action(), &fields).await;
    assert_eq!(conflict.status, StatusCode::CONFLICT);
    // Who saved, from the update they made.
    assert!(
        conflict
            .text(".alert")
            .contains("Ada Admin saved this initiative while you were editing"),
        "{}",
        conflict.text(".alert")
    );
    assert!(conflict.text(".theirs-label").contains("Saved by Ada Admin"));
    assert_eq!(conflict.theirs("progress").as_deref(), Some("60%"));
    assert_eq!(conflict.theirs("health"), None, "unchanged fields are not marked");
    // The PM changed the status, the admin did not: nothing of theirs to show there.
    assert_eq!(
        conflict.theirs("status"),
        None,
        "only what they changed is marked"
    );
    assert_eq!(
        conflict.value("[name='progress']").as_deref(),
        Some("70"),
        "input kept"
    );
    assert_eq!(conflict.text("textarea[name='note']"), "Mine");
    assert_eq!(conflict.text(".since .note"), "Moved up after the partner call");
    let (history, _) = app.all_pages(&org.admin.token, &org.action(), 50).await;
    assert_eq!(history.len(), 1, "nothing of the stale submit written");

    // Submitting again, having seen theirs, records the PM's update on top.
    let again = org
        .pm_browser
        .submit(&org.action(), &conflict.form_fields(&org.action()))
        .await;
    assert_eq!(again.status, StatusCode::SEE_OTHER);
    let (history, _) = app.all_pages(&org.admin.token, &org.action(), 50).await;
    assert_eq!(
        (&history[0]["progress"], &history[0]["previous"]["progress"]),
        (&json!(70), &json!(60))
    );
}

#[tokio::test]
async fn bad_quick_updates_show_errors_beside_the_fields_on_the_page_they_came_from() {
    let app = spawn_app().await;
    let org = org(&app).await;
    let page = org
        .pm_browser
        .get_page(&format!("/initiatives/{}", org.initiative))
        .await;
    let fields = with_changes(&page.form_fields(&org.action()), &[("progress", "150")]);
    let refused = org.pm_browser.submit(&org.action(), &fields).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    refused.one("h2#history");
    assert!(refused.field_error("progress").unwrap().contains("0 to 100"));
    assert_eq!(refused.value("[name='progress']").as_deref(), Some("150"));
    let nothing = org
        .pm_browser
        .submit(&org.action(), &page.form_fields(&org.action()))
        .await;
    assert_eq!(nothing.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        nothing.field_error("note").is_some(),
        "an update that says nothing"
    );
}

#[tokio::test]
async fn only_editors_get_the_quick_update() {
    let app = spawn_app().await;
    let org = org(&app).await;
    let (_, viewer) = app.signed_in_member(&org.admin, Role::Viewer).await;
    let (_, bystander) = app.signed_in_member(&org.admin, Role::Member).await;
    let path = format!("/initiatives/{}", org.initiative);
    for reader in [&viewer, &bystander] {
        let page = reader.get_page(&path).await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(page.select("form[action$='/updates']").is_empty());
        let posted = reader
            .post_form(
                &org.action(),
                &[
                    ("status", "done"),
                    ("health", "on_track"),
                    ("progress", "100"),
                    ("version", "1"),
                ],
            )
            .await;
        assert_eq!(posted.status, StatusCode::FORBIDDEN);
    }
    let stranger = app.signup("Northwind").await;
    let outsider = app.with_client(crate::helpers::new_client());
    outsider
        .sign_in_page(&stranger.email, &stranger.password, "")
        .await;
    assert_eq!(outsider.get_page(&path).await.status, StatusCode::NOT_FOUND);
    let (history, _) = app.all_pages(&org.admin.token, &org.action(), 50).await;
    assert!(history.is_empty());
}
