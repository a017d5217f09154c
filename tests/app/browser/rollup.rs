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
