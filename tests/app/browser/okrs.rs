//! OKRs in a real browser: a PM records a check-in on their objective's page in one submit, and
//! the CPO's OKR figure on the top roll-up moves with it.

use uuid::Uuid;

use crate::browser::Browser;
use crate::helpers::spawn_app;

#[tokio::test]
async fn a_pms_check_in_moves_the_cpos_okr_figure() {
    let Some(cpo) = Browser::start().await else {
        return;
    };
    let pm = cpo.another_session().await;
    let app = spawn_app().await;
    let demo = cairn::demo::load(&app.pool).await.unwrap();
    let root: Uuid = sqlx::query_scalar("SELECT id FROM portfolios WHERE org_id = $1 AND parent_id IS NULL")
        .bind(demo.org_id)
        .fetch_one(&app.pool)
        .await
        .unwrap();
    let okr_figure = async || {
        let rollup = cairn::db::rollup::rollup(&app.tenant(demo.org_id), root, None, 0)
            .await
            .unwrap();
        format!("{:.1}%", rollup.totals.okr_progress.expect("the demo has OKRs"))
    };

    cpo.sign_in(&app.url(""), "cpo@northwind.example", cairn::demo::PASSWORD)
        .await;
    cpo.wait_for_path(&format!("/portfolios/{root}")).await;
    let before = cpo.text(".stat-okr .figure").await;
    assert_eq!(before, okr_figure().await);

    pm.sign_in(&app.url(""), "lucia@northwind.example", cairn::demo::PASSWORD)
        .await;
    let mine: Uuid = sqlx::query_scalar(
        "SELECT o.id FROM objectives o JOIN portfolios p ON p.org_id = o.org_id AND p.id = o.portfolio_id
         WHERE o.org_id = $1 AND p.name = 'Payments'",
    )
    .bind(demo.org_id)
    .fetch_one(&app.pool)
    .await
    .unwrap();
    pm.click("nav a[href='/objectives']").await;
    pm.wait_for_text("h1", "OKRs").await;
    pm.click(&format!(".okr-row a[href='/objectives/{mine}']")).await;
    pm.wait_for_text("h1", "Accept every way our buyers want to pay")
        .await;
    pm.fill("value", "14").await;
    pm.fill("note", "Klarna and Swish live").await;
    pm.click("form.check-in button[type='submit']").await;
    pm.wait_for_text(".key-result .kr-progress", "100.0%").await;
    let history = pm.text(".check-ins .check-in-entry").await;
    assert!(history.contains("Klarna and Swish live"), "{history}");

    cpo.goto(&app.url(&format!("/portfolios/{root}"))).await;
    let after = cpo.text(".stat-okr .figure").await;
    assert_ne!(after, before, "the check-in moved the CPO's figure");
    assert_eq!(after, okr_figure().await);
    pm.close().await;
    cpo.close().await;
}
