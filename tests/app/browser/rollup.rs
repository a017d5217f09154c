//! The CPO's journey in a real browser: sign in, land on the top roll-up, drill down four levels
//! by clicking rows, open an initiative.

use uuid::Uuid;

use crate::browser::Browser;
use crate::helpers::spawn_app;

#[tokio::test]
async fn the_cpo_drills_down_from_the_top_to_an_initiative() {
    let Some(browser) = Browser::start().await else {
        return;
    };
    let app = spawn_app().await;
    let demo = cairn::demo::load(&app.pool).await.unwrap();
    let portfolio = async |name: &str| -> Uuid {
        sqlx::query_scalar("SELECT id FROM portfolios WHERE org_id = $1 AND name = $2")
            .bind(demo.org_id)
            .bind(name)
            .fetch_one(&app.pool)
            .await
            .unwrap()
    };

    browser.goto(&app.url("/login")).await;
    browser.fill("email", "cpo@northwind.example").await;
    browser.fill("password", cairn::demo::PASSWORD).await;
    browser.click("form[action='/login'] button[type='submit']").await;

    let root = portfolio("Northwind").await;
    browser.wait_for_path(&format!("/portfolios/{root}")).await;
    assert_eq!(browser.text("h1").await, "Northwind");
    for name in ["Commerce", "Checkout", "Payments"] {
        let id = portfolio(name).await;
        // Anywhere on the row drills down, not only the name's link.
        browser
            .click(&format!("table.children tr[data-portfolio-id='{id}'] td.owner"))
            .await;
        browser.wait_for_path(&format!("/portfolios/{id}")).await;
        assert_eq!(browser.text("h1").await, name);
    }

    let first = "table.initiatives tbody tr:first-child .title a";
    let title = browser.text(first).await;
    browser.click(first).await;
    let initiative: Uuid = sqlx::query_scalar(
        "SELECT id FROM initiatives WHERE org_id = $1 AND portfolio_id = $2 AND title = $3",
    )
    .bind(demo.org_id)
    .bind(portfolio("Payments").await)
    .bind(&title)
    .fetch_one(&app.pool)
    .await
    .unwrap();
    browser.wait_for_path(&format!("/initiatives/{initiative}")).await;
    assert_eq!(browser.text("h1").await, title);
    assert!(!browser.text(".details .status").await.is_empty());
    browser.close().await;
}

#[tokio::test]
async fn the_cpo_groups_the_portfolio_by_owner_and_opens_one_owners_work() {
    let Some(browser) = Browser::start().await else {
        return;
    };
    let app = spawn_app().await;
    let demo = cairn::demo::load(&app.pool).await.unwrap();
    let root: Uuid = sqlx::query_scalar("SELECT id FROM portfolios WHERE org_id = $1 AND parent_id IS NULL")
        .bind(demo.org_id)
        .fetch_one(&app.pool)
        .await
        .unwrap();
    browser
        .sign_in(&app.url(""), "cpo@northwind.example", cairn::demo::PASSWORD)
        .await;
    browser.goto(&app.url(&format!("/portfolios/{root}"))).await;
    browser.click("nav.grouping a[href*='by=owner']").await;
    browser
        .wait_for_text("h2.groups-heading", "Northwind by owner")
        .await;
    // The largest owner's group first; its name leads to that owner's initiatives in the subtree.
    let first = browser.find("table.groups tbody tr:first-child td.title a").await;
    let owner = first.text().await.unwrap();
    let count: usize = browser
        .text("table.groups tbody tr:first-child td.total")
        .await
        .replace(',', "")
        .parse()
        .unwrap();
    first.click().await.unwrap();
    browser.wait_for_text("h1", "Initiatives").await;
    let shown = browser.count("table.initiatives tbody tr").await;
    assert_eq!(shown, count.min(50), "{owner}'s initiatives, a page at a time");
    assert!(browser.text("table.initiatives tbody").await.contains(&owner));
    browser.close().await;
}
