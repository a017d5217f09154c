//! Pages served again from memory (`cairn::read_cache`) are exactly what reading again would give:
//! every write a page shows changes the organization's data version at commit
//! (migrations/0014_data_versions.sql), so the next request after any write reads afresh. Checked
//! the way a user would see it — a page, a write, the page again — and by the schema: every table
//! with an organization's data bumps the version, and concurrent writers neither deadlock on it nor
//! bump it more than once each.

use cairn::domain::Role;
use reqwest::StatusCode;
use serde_json::{Value, json};
use sqlx::PgPool;
use uuid::Uuid;

use crate::helpers::{TestApp, id_of, new_client, spawn_app};
use crate::rollup_pages::signed_in_org;

/// Tables with `org_id` that do not bump the version, and why.
const NOT_BUMPING: &[(&str, &str)] = &[
    (
        "portfolio_closure",
        "derived from portfolios by triggers, in the same transaction",
    ),
    (
        "portfolio_totals",
        "derived from initiatives by triggers, in the same transaction",
    ),
    (
        "portfolio_group_totals",
        "derived from initiatives by triggers, in the same transaction",
    ),
    (
        "portfolio_group_deadlines",
        "derived from initiatives by triggers, in the same transaction",
    ),
    (
        "portfolio_group_optimism",
        "derived from initiatives by triggers, in the same transaction",
    ),
    (
        "portfolio_deadlines",
        "derived from initiatives by triggers, in the same transaction",
    ),
    (
        "portfolio_optimism",
        "derived from initiatives by triggers, in the same transaction",
    ),
    (
        "webhooks",
        "shown only on the webhook settings pages, which read it fresh",
    ),
    (
        "webhook_events",
        "the outbox, written with the change it tells of (which bumps); shown only in delivery logs",
    ),
    (
        "webhook_deliveries",
        "the worker writes it on every attempt; shown on no cached page",
    ),
    (
        "webhook_attempts",
        "the delivery log, read fresh on the webhook settings pages",
    ),
    (
        "quarter_baselines_taken",
        "the server's claim of a quarter, shown nowhere; the baselines taken with it bump",
    ),
    (
        "portfolio_quarter_totals",
        "derived from initiatives and capacity by triggers, in the same transaction",
    ),
    (
        "portfolio_unscheduled",
        "derived from initiatives by triggers, in the same transaction",
    ),
    (
        "portfolio_okr_totals",
        "derived from objectives by triggers, in the same transaction",
    ),
    (
        "import_uploads",
        "a file between its dry run and its import; no cached page shows it",
    ),
    (
        "initiative_target_changes",
        "written by the initiative's own change, which bumps the version",
    ),
    (
        "portfolio_kpi_totals",
        "derived from KPIs by triggers, in the same transaction",
    ),
    ("api_tokens", "no page shows them"),
    ("idempotency_keys", "no page shows them"),
    ("invites", "no page shows them"),
    (
        "share_links",
        "no cached page shows them; a link is looked up on every request",
    ),
    ("data_versions", "the version itself"),
    (
        "baseline_initiatives",
        "written once with their baseline, whose row bumps it, and never changed",
    ),
];

async fn version(pool: &PgPool, org_id: Uuid) -> i64 {
    sqlx::query_scalar("SELECT data_version($1)")
        .bind(org_id)
        .fetch_one(pool)
        .await
        .unwrap()
}

#[tokio::test]
async fn every_table_of_an_organizations_data_bumps_its_version_at_commit() {
    let app = spawn_app().await;
    let bumping: Vec<String> = sqlx::query_scalar(
        "SELECT t.tgrelid::regclass::text FROM pg_trigger t
         WHERE t.tgname = 'data_version' AND t.tgdeferrable AND t.tginitdeferred
           AND t.tgfoid IN ('bump_data_version'::regproc, 'bump_data_versions_of_user'::regproc)
         ORDER BY 1",
    )
    .fetch_all(&app.pool)
    .await
    .unwrap();
    assert!(
        bumping.contains(&"organizations".to_owned()),
        "settings: {bumping:?}"
    );
    assert!(bumping.contains(&"users".to_owned()), "names: {bumping:?}");
    let with_org_id: Vec<String> = sqlx::query_scalar(
        "SELECT c.relname::text FROM pg_class c
         JOIN pg_attribute a ON a.attrelid = c.oid AND a.attname = 'org_id' AND NOT a.attisdropped
         WHERE c.relnamespace = current_schema()::regnamespace AND c.relkind IN ('r', 'p')
         ORDER BY 1",
    )
    .fetch_all(&app.pool)
    .await
    .unwrap();
    let unaccounted: Vec<&String> = with_org_id
        .iter()
        .filter(|table| !bumping.contains(table) && !NOT_BUMPING.iter().any(|(name, _)| name == table))
        .collect();
    assert!(
        unaccounted.is_empty(),
        "tables with org_id that neither bump the data version nor say why not: {unaccounted:?}; \
         a page showing them could be served stale (migrations/0014_data_versions.sql)"
    );
    let both: Vec<&&str> = NOT_BUMPING
        .iter()
        .map(|(name, _)| name)
        .filter(|name| bumping.iter().any(|table| table == *name))
        .collect();
    assert!(both.is_empty(), "listed as not bumping, yet bumping: {both:?}");
}

#[tokio::test]
async fn the_rollup_page_shows_every_write_on_the_next_request() {
    let app = spawn_app().await;
    let org = signed_in_org(&app).await;
    let t = &org.account.token;
    let root_page = format!("/portfolios/{}", org.root);
    let before = app.get_page(&root_page).await;
    assert!(!before.text(".watchlist.at-risk").contains("Fresh fire"));

    // A new initiative that is off track shows in the root's watchlist.
    let fire = id_of(
        &app.create_initiative(
            t,
            &org.payments,
            json!({"title": "Fresh fire", "status": "in_progress", "health": "off_track"}),
        )
        .await,
    );
    let page = app.get_page(&root_page).await;
    assert!(page.text(".watchlist.at-risk").contains("Fresh fire"));

    // Its status update shows under "What changed".
    app.post_json(
        t,
        &format!("/initiatives/{fire}/updates"),
        json!({"health": "at_risk", "note": "Escalated to the vendor"}),
    )
    .await;
    let page = app.get_page(&root_page).await;
    assert!(page.text(".change-list").contains("Escalated to the vendor"));

    // A renamed portfolio shows in the breadcrumb of a page below it.
    let checkout_page = format!("/portfolios/{}", org.checkout);
    assert!(
        !app.get_page(&checkout_page)
            .await
            .text(".breadcrumb")
            .contains("Shop")
    );
    app.patch_json(
        t,
        &format!("/portfolios/{}", org.commerce),
        json!({"name": "Shop"}),
    )
    .await;
    assert!(
        app.get_page(&checkout_page)
            .await
            .text(".breadcrumb")
            .contains("Shop")
    );

    // A renamed owner shows in the children table.
    let member = app.add_member_api(t, "member", None).await;
    let member_id = id_of(&member);
    app.patch_json(
        t,
        &format!("/portfolios/{}", org.commerce),
        json!({"owner_id": member_id}),
    )
    .await;
    let owner_cell = format!(r#".children tr[data-portfolio-id="{}"] .owner"#, org.commerce);
    assert_eq!(app.get_page(&root_page).await.text(&owner_cell), "A member");
    app.patch_json(
        t,
        &format!("/members/{member_id}"),
        json!({"name": "Grace Renamed"}),
    )
    .await;
    assert_eq!(app.get_page(&root_page).await.text(&owner_cell), "Grace Renamed");
}

/// An organization with a roadmap grouped by owner, shared; `owner` owns its one initiative.
struct SharedRoadmap {
    token: String,
    initiative: String,
    link: String,
    share_id: String,
    owner_email: String,
    owner_id: String,
}

async fn shared_roadmap(app: &TestApp, org_name: &str) -> SharedRoadmap {
    let admin = app.signup(org_name).await;
    let t = admin.token.clone();
    let root = id_of(&app.create_portfolio(&t, "Root", "portfolio", None).await);
    let owner = app.add_member_api(&t, "member", None).await;
    let owner_id = id_of(&owner);
    let owner_email = owner["email"].as_str().unwrap().to_owned();
    let initiative = id_of(
        &app.create_initiative(
            &t,
            &root,
            json!({"title": "Checkout v2", "owner_id": owner_id, "status": "planned",
                   "start_date": "2027-01-10", "target_date": "2027-03-31"}),
        )
        .await,
    );
    let roadmap = app
        .post_json(
            &t,
            "/roadmaps",
            json!({"name": "H1 2027", "portfolio_id": root, "from": "2027-01-01", "to": "2027-06-30",
                   "group_by": "owner"}),
        )
        .await;
    let share = app
        .post_json(&t, &format!("/roadmaps/{}/shares", id_of(&roadmap)), json!({}))
        .await;
    SharedRoadmap {
        token: t,
        initiative,
        link: share["url"].as_str().unwrap().to_owned(),
        share_id: id_of(&share),
        owner_email,
        owner_id,
    }
}

async fn open(link: &str) -> (StatusCode, String) {
    let response = new_client().get(link).send().await.unwrap();
    (response.status(), response.text().await.unwrap())
}

/// The link opens and shows `shown`, no longer `gone`.
async fn assert_shows(link: &str, shown: &str, gone: &str) {
    let (status, page) = open(link).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        page.contains(shown) && !page.contains(gone),
        "expected {shown:?} and no {gone:?}: {page}"
    );
}

#[tokio::test]
async fn a_shared_roadmap_shows_every_write_on_the_next_request_even_from_another_organization() {
    let app = spawn_app().await;
    let shared = shared_roadmap(&app, "Sharing Org").await;
    let (status, page) = open(&shared.link).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        page.contains("Checkout v2") && page.contains("A member"),
        "{page}"
    );

    app.patch_json(
        &shared.token,
        &format!("/initiatives/{}", shared.initiative),
        json!({"title": "Checkout v3"}),
    )
    .await;
    assert_shows(&shared.link, "Checkout v3", "Checkout v2").await;

    // The owner also belongs to another organization, whose admin renames them: the name shows
    // here too, though this organization wrote nothing.
    let other = app.signup("Other Org").await;
    let joined = app
        .post_json(
            &other.token,
            "/members",
            json!({"email": shared.owner_email, "name": "ignored", "role": "member"}),
        )
        .await;
    assert_eq!(id_of(&joined), shared.owner_id, "the same account joined");
    app.patch_json(
        &other.token,
        &format!("/members/{}", shared.owner_id),
        json!({"name": "Lin Elsewhere"}),
    )
    .await;
    assert_shows(&shared.link, "Lin Elsewhere", "A member").await;

    // A revoked link answers 404 at once, though its page was just rendered.
    let revoked = app
        .api(
            reqwest::Method::DELETE,
            &shared.token,
            &format!("/shares/{}", shared.share_id),
        )
        .send()
        .await
        .unwrap();
    assert!(revoked.status().is_success(), "{}", revoked.status());
    assert_eq!(open(&shared.link).await.0, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn concurrent_writers_each_bump_the_version_once_and_none_deadlocks() {
    let app = spawn_app().await;
    let org = signed_in_org(&app).await;
    let t = &org.account.token;
    let before = version(&app.pool, org.account.org_id).await;
    // Status updates take the initiative, then the roll-up rows; creations take the
    // organization's key counter, then the roll-up rows; all of them the version at commit.
    let writes = (0..12).map(|n| {
        let app = &app;
        let org = &org;
        async move {
            let response = if n % 2 == 0 {
                let target = [&org.a, &org.e, &org.f][n % 3];
                app.api(
                    reqwest::Method::POST,
                    t,
                    &format!("/initiatives/{target}/updates"),
                )
                // n × 5 + 1 is never a target's progress already (a 50, e 20, f 0): an update
                // that changed nothing would be refused whichever order they ran in.
                .json(&json!({"progress": n * 5 + 1}))
                .send()
                .await
                .unwrap()
            } else {
                app.api(reqwest::Method::POST, t, "/initiatives")
                    .json(&json!({"title": format!("Parallel {n}"), "portfolio_id": org.payments}))
                    .send()
                    .await
                    .unwrap()
            };
            let status = response.status();
            (status, response.json::<Value>().await.unwrap_or(Value::Null))
        }
    });
    let answers = futures_util::future::join_all(writes).await;
    for (status, body) in &answers {
        assert_eq!(*status, StatusCode::CREATED, "{body}");
    }
    assert_eq!(version(&app.pool, org.account.org_id).await, before + 12);
}

/// Whole pages and API answers are kept per data stamp (`cairn::read_cache::Answers`), found by the
/// stamp read in the statement that authenticates the request. At one stamp each reader still gets
/// their own page, each organization its own answer to the same URL, and the next request after a
/// write shows it — a page as an answer.
#[tokio::test]
async fn a_kept_page_is_its_readers_own_and_every_kept_answer_shows_the_next_write() {
    let app = spawn_app().await;
    let org = signed_in_org(&app).await;
    let t = &org.account.token;
    let (_, viewer) = app.signed_in_member(&org.account, Role::Viewer).await;
    let root_page = format!("/portfolios/{}", org.root);
    for _ in 0..2 {
        let admin_page = app.get_page(&root_page).await;
        let viewer_page = viewer.get_page(&root_page).await;
        assert!(
            admin_page.text(".user-name").ends_with("Admin"),
            "{}",
            admin_page.text(".user-name")
        );
        assert!(
            viewer_page.text(".user-name").ends_with("Viewer"),
            "{}",
            viewer_page.text(".user-name")
        );
        assert_eq!(
            admin_page.select(".own-capacity-form").len(),
            4,
            "the admin may set capacity"
        );
        assert!(
            viewer_page.select(".own-capacity-form").is_empty(),
            "the viewer may not"
        );
    }

    // The same URL in another organization answers that organization's data.
    let other = app.signup("Globex").await;
    let other_root = id_of(
        &app.create_portfolio(&other.token, "Globex", "portfolio", None)
            .await,
    );
    app.create_initiative(&other.token, &other_root, json!({"title": "Globex only"}))
        .await;
    let list = "/initiatives";
    assert!(!app.get_page(list).await.text("main").contains("Globex only"));
    let other_app = app.with_client(new_client());
    let signed_in = other_app.sign_in_page(&other.email, &other.password, "").await;
    assert_eq!(signed_in.status, StatusCode::SEE_OTHER);
    let theirs = other_app.get_page(list).await;
    assert!(
        theirs.text("main").contains("Globex only"),
        "{} {}",
        theirs.status,
        theirs.text("main")
    );
    assert!(!app.get_page(list).await.text("main").contains("Globex only"));

    // Answers read twice are the same; a write shows in the next of each.
    let answers = [
        format!("/portfolios/{}/rollup", org.root),
        format!("/portfolios/{}/rollup?by=owner", org.root),
        format!("/portfolios/{}/capacity", org.root),
    ];
    let mut before = Vec::new();
    for path in &answers {
        let first = app.get_json(t, path).await;
        assert_eq!(app.get_json(t, path).await, first, "{path}");
        before.push(first);
    }
    let page_before = app.get_page(list).await;
    app.create_initiative(
        t,
        &org.payments,
        json!({"title": "Kept no more", "status": "planned", "effort": 8,
               "start_date": chrono::Utc::now().date_naive().to_string(),
               "target_date": (chrono::Utc::now().date_naive() + chrono::Duration::days(20)).to_string()}),
    )
    .await;
    let counted = |answer: &Value| answer["totals"]["counts"]["total"].as_i64();
    let rollup = app.get_json(t, &answers[0]).await;
    assert_eq!(counted(&rollup), counted(&before[0]).map(|n| n + 1), "the tree");
    let grouped = app.get_json(t, &answers[1]).await;
    assert_eq!(
        counted(&grouped),
        counted(&before[1]).map(|n| n + 1),
        "grouped by owner"
    );
    let capacity = app.get_json(t, &answers[2]).await;
    assert_ne!(
        capacity["quarters"], before[2]["quarters"],
        "its effort is demand now"
    );
    assert!(!page_before.text("main").contains("Kept no more"));
    assert!(app.get_page(list).await.text("main").contains("Kept no more"));
}
