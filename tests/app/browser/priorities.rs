//! The CPO ranks next quarter's work in a real browser: opens priorities from the roll-up,
//! switches to WSJF, makes it the manual order, moves the first item over the line above the last
//! one that fits, and sees the cut line move.

use fantoccini::Locator;

use crate::browser::Browser;
use crate::helpers::spawn_app;
use crate::priorities::{QUARTER, backlog};

#[tokio::test]
async fn the_cpo_ranks_by_wsjf_moves_an_item_up_and_sees_the_cut_line_move() {
    let Some(browser) = Browser::start().await else {
        return;
    };
    let app = spawn_app().await;
    let backlog = backlog(&app).await;
    browser
        .sign_in(&app.url(""), &backlog.admin.email, &backlog.admin.password)
        .await;
    browser
        .goto(&app.url(&format!("/portfolios/{}", backlog.line)))
        .await;
    browser.click("a.priorities").await;
    browser
        .wait_for_path(&format!("/portfolios/{}/priorities", backlog.line))
        .await;
    // The quarter the backlog's capacity is set for, as a CPO would page to it.
    browser
        .goto(&app.url(&format!(
            "/portfolios/{}/priorities?period={QUARTER}",
            backlog.line
        )))
        .await;
    browser.click(".scores a[href*='by=wsjf']").await;
    browser.wait_for_text(".ranked-by", "WSJF").await;
    let last_to_fit = "table.priorities tr.cut-line";
    assert_eq!(browser.count(last_to_fit).await, 1);
    let keys_before = row_keys(&browser).await;
    assert_eq!(keys_before.len(), 5, "{keys_before:?}");

    browser.click("form.apply-order button").await;
    browser.wait_for_text(".ranked-by", "Manual order").await;
    assert_eq!(
        row_keys(&browser).await,
        keys_before,
        "the manual order starts as WSJF's"
    );
    // d, b and c fit (1 + 2 + 1 of 5 pw); e is the first over. Move it above c.
    let e = backlog.id('e');
    let fitting_before = browser.count("table.priorities tr.fits").await;
    assert_eq!(fitting_before, 3);
    browser.click(&format!("tr[id='rank-{e}'] button.move-up")).await;
    browser
        .wait_for_text(&format!("tr[id='rank-{e}'] td.position"), "3")
        .await;
    assert_eq!(
        browser.count("table.priorities tr.fits").await,
        2,
        "e's 3 pw take the running total past 5 pw: the line moved up one row"
    );
    assert!(
        browser
            .text(".fit-summary")
            .await
            .contains("Everything down to #2 fits")
    );
    browser.close().await;
}

/// The keys of the ranked rows, top down.
async fn row_keys(browser: &Browser) -> Vec<String> {
    let rows = browser
        .client
        .find_all(Locator::Css("table.priorities tbody tr[data-key]"))
        .await
        .unwrap();
    let mut keys = Vec::new();
    for row in rows {
        keys.push(row.attr("data-key").await.unwrap().unwrap_or_default());
    }
    keys
}
