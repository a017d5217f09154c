//! The portfolio and initiative forms over HTTP: creating and editing, errors beside the fields,
//! a stale submit shown as a conflict instead of overwriting, and who may use them.

use cairn::domain::Role;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{Account, TestApp, id_of, new_client, spawn_app, with_changes};

/// An organization with a product line holding a product with one initiative, its admin signed
/// in on `app.client`.
struct Org {
    admin: Account,
    line: String,
    product: String,
    initiative: String,
}

async fn org(app: &TestApp) -> Org {
    let admin = app.signup("Fabrikam").await;
    let line = id_of(
        &app.create_portfolio(&admin.token, "Consumer", "product_line", None)
            .await,
    );
    let product = id_of(
        &app.create_portfolio(&admin.token, "Checkout", "product", Some(&line))
            .await,
    );
    let initiative = id_of(
        &app.create_initiative(
            &admin.token,
            &product,
            json!({"title": "One-click pay", "start_date": "2026-03-01", "target_date": "2026-06-30"}),
        )
        .await,
    );
    let signed_in = app.sign_in_page(&admin.email, &admin.password, "").await;
    assert_eq!(signed_in.status, StatusCode::SEE_OTHER);
    Org {
        admin,
        line,
        product,
        initiative,
    }
}

/// The initiative as the API shows it now.
async fn initiative(app: &TestApp, org: &Org) -> Value {
    app.get_json(&org.admin.token, &format!("/initiatives/{}", org.initiative))
        .await
}

#[tokio::test]
async fn an_admin_creates_and_edits_a_portfolio_through_the_form() {
    let app = spawn_app().await;
    let org = org(&app).await;

    let line_page = app.get_page(&format!("/portfolios/{}", org.line)).await;
    let new_link = line_page
        .one(".actions a.new-portfolio")
        .value()
        .attr("href")
        .unwrap()
        .to_owned();
    let form = app.get_page(&new_link).await;
    assert_eq!(form.status, StatusCode::OK);
    assert_eq!(form.selected("parent_id"), org.line);
    assert_eq!(form.selected("level"), "product", "one level below the parent");

    let fields = with_changes(
        &form.form_fields("/portfolios"),
        &[
            ("name", "Loyalty"),
            ("lifecycle", "growth"),
            ("description", "Points and perks"),
        ],
    );
    let created = app.submit("/portfolios", &fields).await;
    assert_eq!(created.status, StatusCode::SEE_OTHER);
    let location = created.location.unwrap();
    let shown = app.get_page(&location).await;
    assert_eq!(shown.text("h1"), "Loyalty");
    let id = location.trim_start_matches("/portfolios/").to_owned();

    let edit = app.get_page(&format!("/portfolios/{id}/edit")).await;
    assert_eq!(edit.value("#name").as_deref(), Some("Loyalty"));
    assert_eq!(edit.selected("lifecycle"), "growth");
    let owner = org.admin.user_id.to_string();
    let fields = with_changes(
        &edit.form_fields(&format!("/portfolios/{id}")),
        &[("name", "Loyalty & rewards"), ("owner_id", &owner)],
    );
    let saved = app.submit(&format!("/portfolios/{id}"), &fields).await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER);
    assert_eq!(saved.location.as_deref(), Some(location.as_str()));

    let api = app.get_json(&org.admin.token, &format!("/portfolios/{id}")).await;
    assert_eq!(api["name"], "Loyalty & rewards");
    assert_eq!(api["owner_id"], owner);
    assert_eq!(api["lifecycle"], "growth");
    assert_eq!(api["parent_id"], org.line);
    assert_eq!(api["version"], 2);
}

#[tokio::test]
async fn an_admin_creates_an_initiative_with_a_budget_in_major_units_and_edits_it() {
    let app = spawn_app().await;
    let org = org(&app).await;
    let theme = app
        .post_json(
            &org.admin.token,
            "/themes",
            json!({"name": "Growth", "target_share": 40}),
        )
        .await;

    let product_page = app.get_page(&format!("/portfolios/{}", org.product)).await;
    let new_link = product_page
        .one(".actions a.new-initiative")
        .value()
        .attr("href")
        .unwrap()
        .to_owned();
    let form = app.get_page(&new_link).await;
    assert_eq!(form.status, StatusCode::OK);
    assert_eq!(form.selected("portfolio_id"), org.product);
    assert!(
        form.text("label[for='budget']").contains("USD"),
        "the label names the currency"
    );

    let owner = org.admin.user_id.to_string();
    let theme_id = id_of(&theme);
    let fields = with_changes(
        &form.form_fields("/initiatives"),
        &[
            ("title", "Gift cards"),
            ("description", "Sell and redeem gift cards."),
            ("owner_id", &owner),
            ("theme_id", &theme_id),
            ("status", "planned"),
            ("health", "at_risk"),
            ("progress", "15"),
            ("effort", "6.5"),
            ("budget", "12500.50"),
            ("start_date", "2026-04-01"),
            ("target_date", "2026-09-30"),
            ("reach", "4000"),
            ("impact", "2"),
            ("confidence", "80"),
        ],
    );
    let created = app.submit("/initiatives", &fields).await;
    assert_eq!(created.status, StatusCode::SEE_OTHER);
    let location = created.location.unwrap();
    let id = location.trim_start_matches("/initiatives/").to_owned();
    let api = app
        .get_json(&org.admin.token, &format!("/initiatives/{id}"))
        .await;
    assert_eq!(api["title"], "Gift cards");
    assert_eq!(api["budget"], 1_250_050, "stored in cents");
    assert_eq!(
        (api["effort"].as_f64(), api["impact"].as_f64()),
        (Some(6.5), Some(2.0))
    );
    assert_eq!(
        (api["status"].as_str(), api["health"].as_str()),
        (Some("planned"), Some("at_risk"))
    );
    assert_eq!(
        (api["progress"].as_i64(), api["confidence"].as_i64()),
        (Some(15), Some(80))
    );
    assert_eq!(
        (api["owner_id"].as_str(), api["theme_id"].as_str()),
        (Some(owner.as_str()), Some(theme_id.as_str()))
    );
    assert_eq!(api["target_date"], "2026-09-30");

    let shown = app.get_page(&location).await;
    let edit_link = shown
        .one(".actions a.edit")
        .value()
        .attr("href")
        .unwrap()
        .to_owned();
    let edit = app.get_page(&edit_link).await;
    assert_eq!(edit.value("#budget").as_deref(), Some("12500.50"));
    assert_eq!(edit.selected("impact"), "2");
    let fields = with_changes(
        &edit.form_fields(&location),
        &[
            ("budget", ""),
            ("theme_id", ""),
            ("status", "in_progress"),
            ("progress", "40"),
        ],
    );
    let saved = app.submit(&location, &fields).await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER);
    let api = app
        .get_json(&org.admin.token, &format!("/initiatives/{id}"))
        .await;
    assert_eq!(
        (&api["budget"], &api["theme_id"]),
        (&Value::Null, &Value::Null),
        "emptied fields clear"
    );
    assert_eq!(
        (api["status"].as_str(), api["progress"].as_i64()),
        (Some("in_progress"), Some(40))
    );
    assert_eq!(api["title"], "Gift cards", "untouched fields stay");
    assert_eq!(api["version"], 2);
}

#[tokio::test]
async fn a_bad_initiative_edit_shows_every_error_beside_its_field_and_keeps_what_was_typed() {
    let app = spawn_app().await;
    let org = org(&app).await;
    let path = format!("/initiatives/{}", org.initiative);
    let before = initiative(&app, &org).await;

    let edit = app.get_page(&format!("{path}/edit")).await;
    let fields = with_changes(
        &edit.form_fields(&path),
        &[
            ("title", "  "),
            ("progress", "101"),
            ("effort", "abc"),
            ("start_date", "2026-05-01"),
            ("target_date", "2026-04-01"),
            ("budget", "12,500"),
        ],
    );
    let page = app.submit(&path, &fields).await;

    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.field_error("title").unwrap().contains("required"));
    assert!(page.field_error("progress").unwrap().contains("0 to 100"));
    assert!(page.field_error("effort").unwrap().contains("must be a number"));
    assert!(
        page.field_error("target_date")
            .unwrap()
            .contains("before the start")
    );
    assert!(page.field_error("budget").unwrap().contains("12500.50"));
    assert_eq!(page.field_error("reach"), None);
    assert_eq!(page.value("#progress").as_deref(), Some("101"));
    assert_eq!(page.value("#effort").as_deref(), Some("abc"));
    assert_eq!(page.value("#target_date").as_deref(), Some("2026-04-01"));
    assert_eq!(page.value("#budget").as_deref(), Some("12,500"));
    assert_eq!(initiative(&app, &org).await, before, "nothing was saved");
}

#[tokio::test]
async fn a_bad_new_initiative_or_portfolio_keeps_what_was_typed() {
    let app = spawn_app().await;
    let org = org(&app).await;

    let form = app
        .get_page(&format!("/initiatives/new?portfolio_id={}", org.product))
        .await;
    let fields = with_changes(
        &form.form_fields("/initiatives"),
        &[("title", ""), ("reach", "lots"), ("confidence", "150")],
    );
    let page = app.submit("/initiatives", &fields).await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.field_error("title").unwrap().contains("required"));
    assert!(page.field_error("reach").unwrap().contains("whole number"));
    assert!(page.field_error("confidence").unwrap().contains("0 to 100"));
    assert_eq!(page.value("#reach").as_deref(), Some("lots"));
    assert_eq!(page.selected("portfolio_id"), org.product);

    let form = app
        .get_page(&format!("/portfolios/new?parent_id={}", org.line))
        .await;
    let fields = with_changes(
        &form.form_fields("/portfolios"),
        &[
            ("name", ""),
            ("level", "product_line"),
            ("position", "first"),
            ("description", "kept"),
        ],
    );
    let page = app.submit("/portfolios", &fields).await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.field_error("name").unwrap().contains("required"));
    assert!(page.field_error("position").unwrap().contains("whole number"));
    assert_eq!(page.value("#position").as_deref(), Some("first"));
    assert_eq!(page.text("textarea#description"), "kept");
    assert_eq!(page.selected("level"), "product_line");

    // Once every field reads, the hierarchy's own rule speaks beside the level.
    let fields = with_changes(&fields, &[("name", "Wallet"), ("position", "")]);
    let page = app.submit("/portfolios", &fields).await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        page.field_error("level")
            .unwrap()
            .contains("deeper than its parent")
    );
    assert_eq!(page.value("#name").as_deref(), Some("Wallet"));
}

#[tokio::test]
async fn a_stale_initiative_submit_shows_the_conflict_then_a_deliberate_resubmit_wins() {
    let app = spawn_app().await;
    let org = org(&app).await;
    let path = format!("/initiatives/{}", org.initiative);
    let edit = app.get_page(&format!("{path}/edit")).await;
    assert_eq!(edit.value("input[name='version']").as_deref(), Some("1"));

    // Someone else saves while the form is open.
    app.patch_json(
        &org.admin.token,
        &path,
        json!({"title": "One-click checkout", "health": "off_track", "target_date": "2026-07-31"}),
    )
    .await;
    let theirs = initiative(&app, &org).await;

    let mine = with_changes(
        &edit.form_fields(&path),
        &[("title", "One-click pay v2"), ("progress", "30")],
    );
    let page = app.submit(&path, &mine).await;

    assert_eq!(page.status, StatusCode::CONFLICT);
    // The same admin saved through the API: "you", not "someone else".
    assert!(
        page.text(".alert")
            .contains("You saved this initiative in another tab or window while you were editing")
    );
    assert_eq!(page.theirs("title").as_deref(), Some("One-click checkout"));
    // Changed only by them, or only by me: merged, not a conflict.
    assert_eq!(page.theirs("health"), None);
    assert_eq!(page.theirs("target_date"), None);
    assert_eq!(page.theirs("progress"), None);
    assert_eq!(page.theirs("effort"), None, "fields that agree say nothing");
    assert_eq!(
        page.value("#title").as_deref(),
        Some("One-click pay v2"),
        "my input is kept"
    );
    assert_eq!(page.selected("health"), "off_track", "their change is kept");
    assert_eq!(
        page.value("input[name='version']").as_deref(),
        Some("2"),
        "the new version"
    );
    assert_eq!(initiative(&app, &org).await, theirs, "nothing was overwritten");

    let again = app.submit(&path, &page.form_fields(&path)).await;
    assert_eq!(again.status, StatusCode::SEE_OTHER);
    let saved = initiative(&app, &org).await;
    assert_eq!(saved["title"], "One-click pay v2");
    assert_eq!(
        (saved["progress"].as_i64(), saved["version"].as_i64()),
        (Some(30), Some(3))
    );
}

#[tokio::test]
async fn a_stale_portfolio_submit_shows_the_conflict_and_changes_nothing() {
    let app = spawn_app().await;
    let org = org(&app).await;
    let path = format!("/portfolios/{}", org.product);
    let edit = app.get_page(&format!("{path}/edit")).await;
    app.patch_json(
        &org.admin.token,
        &path,
        json!({"name": "Payments", "lifecycle": "launch"}),
    )
    .await;

    let mine = with_changes(&edit.form_fields(&path), &[("name", "Checkout & pay")]);
    let page = app.submit(&path, &mine).await;

    assert_eq!(page.status, StatusCode::CONFLICT);
    assert!(
        page.text(".alert")
            .contains("You saved this portfolio in another tab")
    );
    assert_eq!(page.theirs("name").as_deref(), Some("Payments"));
    assert_eq!(
        page.theirs("lifecycle"),
        None,
        "only they changed it: kept, not a conflict"
    );
    assert_eq!(page.value("#name").as_deref(), Some("Checkout & pay"));
    let api = app.get_json(&org.admin.token, &path).await;
    assert_eq!(
        (api["name"].as_str(), api["version"].as_i64()),
        (Some("Payments"), Some(2))
    );

    let again = app.submit(&path, &page.form_fields(&path)).await;
    assert_eq!(again.status, StatusCode::SEE_OTHER);
    let api = app.get_json(&org.admin.token, &path).await;
    assert_eq!(api["name"], "Checkout & pay");
}

#[tokio::test]
async fn a_viewer_sees_no_edit_links_and_posting_anyway_is_forbidden() {
    let app = spawn_app().await;
    let org = org(&app).await;
    let (_, viewer) = app.signed_in_member(&org.admin, Role::Viewer).await;
    let admin_form = app
        .get_page(&format!("/initiatives/{}/edit", org.initiative))
        .await;
    let initiative_path = format!("/initiatives/{}", org.initiative);
    let before = initiative(&app, &org).await;

    let page = viewer.get_page(&initiative_path).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.select(".actions a.edit").is_empty());
    let page = viewer.get_page(&format!("/portfolios/{}", org.product)).await;
    assert!(
        page.select(".actions a.edit, .actions a.new-initiative, .actions a.new-portfolio")
            .is_empty()
    );
    assert!(
        viewer
            .get_page("/portfolios")
            .await
            .select(".actions a.new-portfolio")
            .is_empty()
    );

    for path in [
        format!("{initiative_path}/edit"),
        format!("/portfolios/{}/edit", org.product),
        format!("/initiatives/new?portfolio_id={}", org.product),
        format!("/portfolios/new?parent_id={}", org.line),
    ] {
        assert_eq!(
            viewer.get_page(&path).await.status,
            StatusCode::FORBIDDEN,
            "{path}"
        );
    }
    let fields = with_changes(
        &admin_form.form_fields(&initiative_path),
        &[("title", "Hijacked")],
    );
    assert_eq!(
        viewer.submit(&initiative_path, &fields).await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        viewer.submit("/initiatives", &fields).await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(initiative(&app, &org).await, before, "the row is unchanged");
}

#[tokio::test]
async fn a_member_edits_what_they_lead_and_is_refused_elsewhere() {
    let app = spawn_app().await;
    let org = org(&app).await;
    let (member, pm) = app.signed_in_member(&org.admin, Role::Member).await;
    let product = format!("/portfolios/{}", org.product);
    let initiative_path = format!("/initiatives/{}", org.initiative);
    let admin_form = app.get_page(&format!("{initiative_path}/edit")).await;
    let fields = with_changes(
        &admin_form.form_fields(&initiative_path),
        &[("title", "Mine now")],
    );

    assert_eq!(
        pm.get_page(&format!("{product}/edit")).await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        pm.submit(&initiative_path, &fields).await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(initiative(&app, &org).await["title"], "One-click pay");

    // Owning the product makes its page offer the forms, and they work.
    app.patch_json(&org.admin.token, &product, json!({"owner_id": member.user_id}))
        .await;
    let page = pm.get_page(&product).await;
    page.one(".actions a.edit");
    page.one(".actions a.new-initiative");
    let fields = with_changes(
        &pm.get_page(&format!("{initiative_path}/edit"))
            .await
            .form_fields(&initiative_path),
        &[("title", "Mine now")],
    );
    assert_eq!(
        pm.submit(&initiative_path, &fields).await.status,
        StatusCode::SEE_OTHER
    );
    assert_eq!(initiative(&app, &org).await["title"], "Mine now");
    // A member may not start a top-level portfolio.
    assert!(
        pm.get_page("/portfolios")
            .await
            .select(".actions a.new-portfolio")
            .is_empty()
    );
    assert_eq!(pm.get_page("/portfolios/new").await.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn another_organizations_ids_are_not_found_on_the_forms() {
    let app = spawn_app().await;
    let org = org(&app).await;
    let stranger = app.with_client(new_client());
    let other = stranger.signup("Litware").await;
    stranger.sign_in_page(&other.email, &other.password, "").await;
    let initiative_path = format!("/initiatives/{}", org.initiative);
    let fields = app
        .get_page(&format!("{initiative_path}/edit"))
        .await
        .form_fields(&initiative_path);
    let portfolio_path = format!("/portfolios/{}", org.product);
    let portfolio_fields = app
        .get_page(&format!("{portfolio_path}/edit"))
        .await
        .form_fields(&portfolio_path);
    let before = initiative(&app, &org).await;

    for path in [
        format!("{initiative_path}/edit"),
        format!("{portfolio_path}/edit"),
        format!("/initiatives/new?portfolio_id={}", org.product),
        format!("/portfolios/new?parent_id={}", org.product),
    ] {
        assert_eq!(
            stranger.get_page(&path).await.status,
            StatusCode::NOT_FOUND,
            "{path}"
        );
    }
    assert_eq!(
        stranger.submit(&initiative_path, &fields).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        stranger.submit(&portfolio_path, &portfolio_fields).await.status,
        StatusCode::NOT_FOUND
    );
    // Creating into another organization's portfolio names the field, like any unknown id.
    let page = stranger.submit("/initiatives", &fields).await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.field_error("portfolio_id").is_some());
    assert_eq!(initiative(&app, &org).await, before);
}
