//! The portfolio tree, a portfolio's page and an initiative's page, read over HTTP.

use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{TestApp, id_of, new_client, spawn_app};

/// An organization with a product line holding a product, and an at-risk initiative in the
/// product, signed in on `app.client`.
struct Hierarchy {
    line: String,
    product: String,
    initiative: String,
    key: String,
}

async fn hierarchy(app: &TestApp) -> Hierarchy {
    let account = app.signup("Adventure Works").await;
    let line = id_of(
        &app.create_portfolio(&account.token, "Consumer", "product_line", None)
            .await,
    );
    let product = id_of(
        &app.create_portfolio(&account.token, "Checkout", "product", Some(&line))
            .await,
    );
    let initiative = app
        .create_initiative(
            &account.token,
            &product,
            json!({"title": "One-click pay", "status": "in_progress", "health": "at_risk",
                   "progress": 40, "owner_id": account.user_id}),
        )
        .await;
    let signed_in = app.sign_in_page(&account.email, &account.password, "").await;
    assert_eq!(signed_in.status, StatusCode::SEE_OTHER);
    Hierarchy {
        line,
        product,
        key: initiative["key"].as_str().unwrap().to_owned(),
        initiative: id_of(&initiative),
    }
}

#[tokio::test]
async fn the_tree_shows_every_portfolio_with_its_initiatives() {
    let app = spawn_app().await;
    let org = hierarchy(&app).await;

    let page = app.get_page("/portfolios").await;

    assert_eq!(page.status, StatusCode::OK);
    let names: Vec<String> = page
        .select(".tree .node .name")
        .iter()
        .map(|n| n.text().collect())
        .collect();
    assert_eq!(names, ["Consumer", "Checkout"]);
    let product = format!(".tree .node[data-portfolio-id='{}']", org.product);
    assert_eq!(page.text(&format!("{product} .node-head .owner")), "No owner");
    let row = format!("{product} table.initiatives tbody tr");
    assert_eq!(page.text(&format!("{row} .key")), org.key);
    assert_eq!(page.text(&format!("{row} .title a")), "One-click pay");
    assert_eq!(page.text(&format!("{row} .chip.status")), "In progress");
    assert_eq!(page.text(&format!("{row} .chip.health.at_risk")), "At risk");
    let bar = page.one(&format!("{row} .bar > span"));
    assert_eq!(bar.value().attr("style"), Some("width: 40%"));
    assert_eq!(page.text(&format!("{row} .owner")), "Ada Admin");
    let line = format!(".tree .node[data-portfolio-id='{}']", org.line);
    assert!(
        page.select(&format!("{line} table")).is_empty(),
        "no initiatives of its own"
    );
}

#[tokio::test]
async fn a_signed_out_visitor_is_sent_to_sign_in_and_back() {
    let app = spawn_app().await;
    let account = app.signup("Proseware").await;

    let asked = app.get_page("/portfolios").await;
    assert_eq!(asked.status, StatusCode::SEE_OTHER);
    assert_eq!(asked.location.as_deref(), Some("/login?next=%2Fportfolios"));

    let form = app.get_page(asked.location.as_deref().unwrap()).await;
    let next = form.value("input[name='next']").unwrap();
    let signed_in = app.sign_in_page(&account.email, &account.password, &next).await;
    assert_eq!(signed_in.location.as_deref(), Some("/portfolios"));
    assert_eq!(app.get_page("/portfolios").await.status, StatusCode::OK);
}

#[tokio::test]
async fn a_portfolio_page_shows_its_path_children_and_initiatives() {
    let app = spawn_app().await;
    let org = hierarchy(&app).await;

    let line = app.get_page(&format!("/portfolios/{}", org.line)).await;
    assert_eq!(line.status, StatusCode::OK);
    assert_eq!(line.text("h1"), "Consumer");
    assert_eq!(line.text("table.children tbody .title a"), "Checkout");
    assert!(line.select("table.initiatives").is_empty());

    let product = app.get_page(&format!("/portfolios/{}", org.product)).await;
    let crumbs: Vec<String> = product
        .select(".breadcrumb a")
        .iter()
        .map(|a| a.text().collect())
        .collect();
    assert_eq!(crumbs, ["Portfolios", "Consumer"]);
    assert_eq!(product.text("table.initiatives tbody .key"), org.key);
}

#[tokio::test]
async fn an_initiative_page_shows_its_details() {
    let app = spawn_app().await;
    let org = hierarchy(&app).await;

    let page = app.get_page(&format!("/initiatives/{}", org.initiative)).await;

    assert_eq!(page.status, StatusCode::OK);
    assert_eq!(page.text("h1"), "One-click pay");
    assert_eq!(page.text(".page-header .key"), org.key);
    assert_eq!(page.text(".details .health .chip"), "At risk");
    assert_eq!(page.text(".details .status .chip"), "In progress");
    assert_eq!(page.text(".details .owner"), "Ada Admin");
    let crumbs: Vec<String> = page
        .select(".breadcrumb a")
        .iter()
        .map(|a| a.text().collect())
        .collect();
    assert_eq!(crumbs, ["Portfolios", "Consumer", "Checkout"]);
}

#[tokio::test]
async fn another_organizations_pages_are_not_found() {
    let app = spawn_app().await;
    let org = hierarchy(&app).await;
    let stranger = app.with_client(new_client());
    let other = stranger.signup("Other Org").await;
    stranger.sign_in_page(&other.email, &other.password, "").await;

    for path in [
        format!("/portfolios/{}", org.product),
        format!("/initiatives/{}", org.initiative),
    ] {
        let page = stranger.get_page(&path).await;
        assert_eq!(page.status, StatusCode::NOT_FOUND, "{path}");
        assert!(
            page.select("h1")
                .iter()
                .all(|h| h.text().collect::<String>() != "Checkout")
        );
    }
    // The owner of the data still sees it.
    assert_eq!(
        app.get_page(&format!("/portfolios/{}", org.product)).await.status,
        StatusCode::OK
    );
}
