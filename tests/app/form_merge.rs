//! Two people editing the same record through the forms: a stale form is merged three ways — what
//! I typed, what is saved now, and what the form showed — so that what only the other person
//! changed stays theirs, and only a field both changed differently is shown as a conflict, with who
//! saved it.

use cairn::domain::Role;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{Account, Page, TestApp, id_of, spawn_app, with_changes};
use crate::okrs::key_result;

/// An organization whose admin A ("Ada Admin") is signed in on `app`, with a second admin B signed
/// in on a browser of their own, and a portfolio holding one initiative.
struct Two {
    a: Account,
    b: TestApp,
    portfolio: String,
    initiative: String,
}

impl Two {
    async fn new(app: &TestApp) -> Two {
        let a = app.signup("Northwind").await;
        let portfolio = id_of(&app.create_portfolio(&a.token, "Checkout", "product", None).await);
        let initiative = id_of(
            &app.create_initiative(&a.token, &portfolio, json!({"title": "One-click pay"}))
                .await,
        );
        let signed_in = app.sign_in_page(&a.email, &a.password, "").await;
        assert_eq!(signed_in.status, StatusCode::SEE_OTHER);
        let (_, b) = app.signed_in_member(&a, Role::Admin).await;
        Two {
            a,
            b,
            portfolio,
            initiative,
        }
    }

    fn initiative_path(&self) -> String {
        format!("/initiatives/{}", self.initiative)
    }

    async fn api(&self, app: &TestApp, path: &str) -> Value {
        app.get_json(&self.a.token, path).await
    }
}

/// `browser` submits the form on `page` that posts to `action`, with `changes` typed in.
async fn save(browser: &TestApp, page: &Page, action: &str, changes: &[(&str, &str)]) -> Page {
    browser
        .submit(action, &with_changes(&page.form_fields(action), changes))
        .await
}

/// Every field flagged beside its control with the other person's value.
fn flagged(page: &Page) -> usize {
    page.select(".theirs").len()
}

#[tokio::test]
async fn a_note_saved_from_an_old_form_keeps_the_health_someone_changed_meanwhile() {
    let app = spawn_app().await;
    let two = Two::new(&app).await;
    let path = two.initiative_path();
    let b_form = two.b.get_page(&format!("{path}/edit")).await;

    // A changes the health in their own form.
    let a_form = app.get_page(&format!("{path}/edit")).await;
    let a_saved = save(&app, &a_form, &path, &[("health", "off_track")]).await;
    assert_eq!(a_saved.status, StatusCode::SEE_OTHER);

    // B, with the page open from before, saves a description.
    let b_saved = save(&two.b, &b_form, &path, &[("description", "Needs the wallet SDK")]).await;
    assert_eq!(b_saved.status, StatusCode::SEE_OTHER, "merged, no conflict");
    let initiative = two.api(&app, &path).await;
    assert_eq!(initiative["health"], "off_track", "A's health stays");
    assert_eq!(initiative["description"], "Needs the wallet SDK");
    assert_eq!(initiative["version"], 3);

    // The history shows A's change and no revert.
    let (history, _) = app.all_pages(&two.a.token, &format!("{path}/updates"), 50).await;
    let healths: Vec<(&Value, &Value)> = history
        .iter()
        .map(|u| (&u["previous"]["health"], &u["health"]))
        .filter(|(before, after)| before != after)
        .collect();
    assert_eq!(healths, [(&json!("on_track"), &json!("off_track"))]);

    // The page B lands on says their change was merged with the other one.
    let location = b_saved.location.unwrap();
    assert!(location.contains("merged=1"), "{location}");
    let landed = two.b.get_page(&location).await;
    assert!(
        landed
            .text(".saved")
            .contains("together with the changes someone else made"),
        "{}",
        landed.text(".saved")
    );
}

#[tokio::test]
async fn a_field_both_changed_differently_is_the_only_conflict_and_saving_again_wins_it() {
    let app = spawn_app().await;
    let two = Two::new(&app).await;
    let path = two.initiative_path();
    let b_form = two.b.get_page(&format!("{path}/edit")).await;
    let a_form = app.get_page(&format!("{path}/edit")).await;
    let a_saved = save(
        &app,
        &a_form,
        &path,
        &[("title", "One-click checkout"), ("target_date", "2026-09-30")],
    )
    .await;
    assert_eq!(a_saved.status, StatusCode::SEE_OTHER);

    let conflict = save(
        &two.b,
        &b_form,
        &path,
        &[("title", "Pay in one click"), ("progress", "40")],
    )
    .await;
    assert_eq!(conflict.status, StatusCode::CONFLICT);
    assert!(
        conflict
            .text(".alert")
            .contains("Ada Admin saved this initiative while you were editing"),
        "{}",
        conflict.text(".alert")
    );
    assert_eq!(conflict.theirs("title").as_deref(), Some("One-click checkout"));
    assert_eq!(flagged(&conflict), 1, "only the title is flagged");
    assert!(conflict.text(".theirs-label").contains("Saved by Ada Admin"));
    assert_eq!(
        conflict.value("#title").as_deref(),
        Some("Pay in one click"),
        "mine stays"
    );
    assert_eq!(conflict.value("#progress").as_deref(), Some("40"), "mine stays");
    assert_eq!(
        conflict.value("#target_date").as_deref(),
        Some("2026-09-30"),
        "theirs is in the form"
    );
    assert_eq!(
        two.api(&app, &path).await["title"],
        "One-click checkout",
        "nothing saved yet"
    );

    // Saving it again as it is wins the title and keeps A's other change.
    let again = two.b.submit(&path, &conflict.form_fields(&path)).await;
    assert_eq!(again.status, StatusCode::SEE_OTHER);
    let initiative = two.api(&app, &path).await;
    assert_eq!(initiative["title"], "Pay in one click");
    assert_eq!(initiative["target_date"], "2026-09-30");
    assert_eq!(initiative["progress"], 40);
}

#[tokio::test]
async fn the_same_person_in_two_tabs_is_told_it_was_them() {
    let app = spawn_app().await;
    let two = Two::new(&app).await;
    let path = two.initiative_path();
    let first_tab = app.get_page(&format!("{path}/edit")).await;
    let second_tab = app.get_page(&format!("{path}/edit")).await;
    let saved = save(&app, &first_tab, &path, &[("title", "From the first tab")]).await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER);

    let conflict = save(&app, &second_tab, &path, &[("title", "From the second tab")]).await;
    assert_eq!(conflict.status, StatusCode::CONFLICT);
    assert!(
        conflict
            .text(".alert")
            .contains("You saved this initiative in another tab or window"),
        "{}",
        conflict.text(".alert")
    );
}

#[tokio::test]
async fn a_garbled_or_missing_base_is_a_conflict_on_every_difference_never_an_error() {
    let app = spawn_app().await;
    let two = Two::new(&app).await;
    let path = two.initiative_path();
    let b_form = two.b.get_page(&format!("{path}/edit")).await;
    app.patch_json(&two.a.token, &path, json!({"health": "at_risk"}))
        .await;

    for base in ["%zz&&==&%", "health", "title=x&%E0%A4%A=", ""] {
        let page = save(&two.b, &b_form, &path, &[("base", base), ("description", "Mine")]).await;
        assert_eq!(page.status, StatusCode::CONFLICT, "base {base:?}");
        assert_eq!(page.theirs("health").as_deref(), Some("At risk"), "base {base:?}");
    }
    let without: Vec<(String, String)> = b_form
        .form_fields(&path)
        .into_iter()
        .filter(|(name, _)| name != "base")
        .collect();
    let page = two.b.submit(&path, &without).await;
    assert_eq!(page.status, StatusCode::CONFLICT);
    assert_eq!(two.api(&app, &path).await["description"], "");
}

#[tokio::test]
async fn a_portfolio_keeps_the_lifecycle_someone_changed_meanwhile() {
    let app = spawn_app().await;
    let two = Two::new(&app).await;
    let path = format!("/portfolios/{}", two.portfolio);
    let b_form = two.b.get_page(&format!("{path}/edit")).await;
    app.patch_json(&two.a.token, &path, json!({"lifecycle": "launch"}))
        .await;

    let saved = save(&two.b, &b_form, &path, &[("name", "Checkout & pay")]).await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER);
    let portfolio = two.api(&app, &path).await;
    assert_eq!(
        (portfolio["name"].as_str(), portfolio["lifecycle"].as_str()),
        (Some("Checkout & pay"), Some("launch"))
    );
}

/// An objective of the portfolio with one key result: `(objective, key result)`.
async fn okr(app: &TestApp, two: &Two) -> (String, String) {
    let objective = id_of(
        &app.post_json(
            &two.a.token,
            "/objectives",
            json!({"title": "Checkout converts", "portfolio_id": two.portfolio, "period": "2026-Q4"}),
        )
        .await,
    );
    let kr = key_result(
        app,
        &two.a.token,
        &objective,
        json!({"title": "Conversion", "start_value": 60, "target_value": 70, "current_value": 62}),
    )
    .await;
    (objective, id_of(&kr))
}

#[tokio::test]
async fn an_objective_keeps_the_description_someone_changed_meanwhile() {
    let app = spawn_app().await;
    let two = Two::new(&app).await;
    let (objective, _) = okr(&app, &two).await;
    let path = format!("/objectives/{objective}");
    let b_form = two.b.get_page(&format!("{path}/edit")).await;
    app.patch_json(&two.a.token, &path, json!({"description": "Theirs"}))
        .await;

    let saved = save(&two.b, &b_form, &path, &[("title", "Checkout converts more")]).await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER);
    let objective = two.api(&app, &path).await;
    assert_eq!(
        (objective["title"].as_str(), objective["description"].as_str()),
        (Some("Checkout converts more"), Some("Theirs"))
    );
}

#[tokio::test]
async fn a_key_result_keeps_the_target_and_a_check_in_the_title_someone_changed_meanwhile() {
    let app = spawn_app().await;
    let two = Two::new(&app).await;
    let (objective, kr) = okr(&app, &two).await;
    let path = format!("/key-results/{kr}");
    let b_form = two.b.get_page(&format!("{path}/edit")).await;
    let b_objective = two.b.get_page(&format!("/objectives/{objective}")).await;
    app.patch_json(&two.a.token, &path, json!({"target_value": 75}))
        .await;

    let saved = save(&two.b, &b_form, &path, &[("title", "Checkout conversion")]).await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER);
    let key_result = two.api(&app, &path).await;
    assert_eq!(
        (key_result["title"].as_str(), key_result["target_value"].as_f64()),
        (Some("Checkout conversion"), Some(75.0))
    );

    // The check-in form, rendered before both saves, goes through with its value.
    let action = format!("{path}/check-ins");
    let checked_in = save(&two.b, &b_objective, &action, &[("value", "64")]).await;
    assert_eq!(checked_in.status, StatusCode::SEE_OTHER);
    let key_result = two.api(&app, &path).await;
    assert_eq!(
        (key_result["current_value"].as_f64(), key_result["title"].as_str()),
        (Some(64.0), Some("Checkout conversion"))
    );
}

#[tokio::test]
async fn a_roadmap_keeps_the_dates_someone_changed_meanwhile() {
    let app = spawn_app().await;
    let two = Two::new(&app).await;
    let roadmap = id_of(
        &app.post_json(
            &two.a.token,
            "/roadmaps",
            json!({"name": "H1 2027", "portfolio_id": two.portfolio, "from": "2027-01-01", "to": "2027-06-30"}),
        )
        .await,
    );
    let path = format!("/roadmaps/{roadmap}");
    let b_form = two.b.get_page(&format!("{path}/edit")).await;
    app.patch_json(&two.a.token, &path, json!({"to": "2027-12-31"}))
        .await;

    let saved = save(&two.b, &b_form, &path, &[("name", "2027")]).await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.text(".alert"));
    let roadmap = &two.api(&app, &path).await["roadmap"];
    assert_eq!(
        (roadmap["name"].as_str(), roadmap["to"].as_str()),
        (Some("2027"), Some("2027-12-31"))
    );
}

#[tokio::test]
async fn the_settings_keep_the_time_zone_someone_changed_meanwhile() {
    let app = spawn_app().await;
    let two = Two::new(&app).await;
    let path = "/settings/organization";
    let b_form = two.b.get_page(path).await;
    app.patch_json(&two.a.token, "/organization", json!({"time_zone": "Asia/Tokyo"}))
        .await;

    let saved = save(&two.b, &b_form, path, &[("name", "Northwind Traders")]).await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER);
    let org = two.api(&app, "/organization").await;
    assert_eq!(
        (org["name"].as_str(), org["time_zone"].as_str()),
        (Some("Northwind Traders"), Some("Asia/Tokyo"))
    );
    let landed = two.b.get_page(&saved.location.unwrap()).await;
    assert!(landed.text(".alert.success").contains("merged"));
}

#[tokio::test]
async fn a_quick_update_keeps_the_health_someone_changed_meanwhile_and_says_so() {
    let app = spawn_app().await;
    let two = Two::new(&app).await;
    let path = two.initiative_path();
    let action = format!("{path}/updates");
    let b_page = two.b.get_page(&path).await;
    app.post_json(
        &two.a.token,
        &action,
        json!({"health": "at_risk", "note": "Vendor late"}),
    )
    .await;

    let saved = save(&two.b, &b_page, &action, &[("progress", "25"), ("note", "Mine")]).await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER);
    let initiative = two.api(&app, &path).await;
    assert_eq!(
        (initiative["health"].as_str(), initiative["progress"].as_i64()),
        (Some("at_risk"), Some(25))
    );
    let landed = two.b.get_page(&saved.location.unwrap()).await;
    assert!(
        landed
            .text(".saved")
            .contains("together with the changes someone else made"),
        "{}",
        landed.text(".saved")
    );
}
