//! The roll-up page, the initiative list behind every number on it, CSV exports and home, read
//! over HTTP as a browser would.

use std::collections::BTreeSet;

use cairn::domain::Role;
use cairn::domain::currency::{format_money, format_quantity, group_thousands};
use chrono::{Duration, Utc};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{Page, TestApp, id_of, new_client, spawn_app};
use crate::rollups::{Org, build};

/// The hierarchy of the roll-up tests, with its admin signed in on `app.client`.
pub(crate) async fn signed_in_org(app: &TestApp) -> Org {
    let org = build(app).await;
    let signed_in = app
        .sign_in_page(&org.account.email, &org.account.password, "")
        .await;
    assert_eq!(signed_in.status, StatusCode::SEE_OTHER);
    org
}

async fn rollup_json(app: &TestApp, org: &Org, portfolio: &str) -> Value {
    app.get_json(&org.account.token, &format!("/portfolios/{portfolio}/rollup"))
        .await
}

async fn rollup_page(app: &TestApp, portfolio: &str) -> Page {
    let page = app.get_page(&format!("/portfolios/{portfolio}")).await;
    assert_eq!(page.status, StatusCode::OK);
    page
}

fn progress_label(figures: &Value) -> String {
    figures["progress"]
        .as_f64()
        .map(|p| format!("{p:.1}%"))
        .unwrap_or_else(|| "–".to_owned())
}

fn health_label(figures: &Value) -> String {
    match figures["health"].as_str() {
        Some("on_track") => "On track",
        Some("at_risk") => "At risk",
        Some("off_track") => "Off track",
        _ => "No active work",
    }
    .to_owned()
}

/// OKR progress as the page shows it.
pub(crate) fn okr_label(figures: &Value) -> String {
    figures["okr_progress"]
        .as_f64()
        .map(|p| format!("{p:.1}%"))
        .unwrap_or_else(|| "–".to_owned())
}

/// A JSON count as the page shows it.
fn count(value: &Value) -> String {
    group_thousands(value.as_u64().unwrap())
}

/// Every figure the page shows for the totals, each child and each theme equals the JSON's.
pub(crate) fn assert_page_shows(page: &Page, rollup: &Value) {
    let totals = &rollup["totals"];
    assert_eq!(
        page.text(".stat-total .figure"),
        count(&totals["counts"]["total"])
    );
    assert_eq!(page.text(".stat-late .figure"), count(&totals["late"]));
    assert_eq!(page.text(".stat-okr .figure"), okr_label(totals));
    assert_eq!(page.text(".stat-progress .value"), progress_label(totals));
    assert_eq!(page.text(".stat-health .chip"), health_label(totals));
    assert_eq!(
        page.text(".stat-effort .figure"),
        format_quantity(totals["effort"].as_f64().unwrap())
    );
    assert_eq!(
        page.text(".stat-budget .figure"),
        format_money(totals["budget"].as_i64().unwrap(), "USD")
    );
    for (status, count) in totals["counts"]["by_status"].as_object().unwrap() {
        let shown = page.text(&format!(".status-mix li[data-status='{status}'] .count"));
        assert_eq!(shown, self::count(count), "{status}");
    }
    for (health, count) in totals["counts"]["by_health"].as_object().unwrap() {
        let shown = page.text(&format!(".health-mix li[data-health='{health}'] .count"));
        assert_eq!(shown, self::count(count), "{health}");
    }
    let children = rollup["children"].as_array().unwrap();
    assert_eq!(page.select("table.children tbody tr").len(), children.len());
    for child in children {
        let row = format!(
            "table.children tr[data-portfolio-id='{}']",
            child["portfolio"]["id"].as_str().unwrap()
        );
        assert_eq!(
            page.text(&format!("{row} .title a")),
            child["portfolio"]["name"].as_str().unwrap()
        );
        assert_eq!(
            page.text(&format!("{row} td.total")),
            count(&child["counts"]["total"])
        );
        assert_eq!(page.text(&format!("{row} td.late")), count(&child["late"]));
        assert_eq!(page.text(&format!("{row} td.okr")), okr_label(child));
        assert_eq!(
            page.text(&format!("{row} .progress .value")),
            progress_label(child)
        );
        assert_eq!(page.text(&format!("{row} td.health .chip")), health_label(child));
        assert_eq!(
            page.text(&format!("{row} td.effort")),
            format_quantity(child["effort"].as_f64().unwrap())
        );
        assert_eq!(
            page.text(&format!("{row} td.budget")),
            format_money(child["budget"].as_i64().unwrap(), "USD")
        );
    }
    for theme in rollup["themes"].as_array().unwrap() {
        let row = format!("table.mix tr[data-theme='{}']", theme["name"].as_str().unwrap());
        let share = theme["share"]
            .as_f64()
            .map(|s| format!("{s:.1}%"))
            .unwrap_or_else(|| "–".to_owned());
        assert_eq!(page.text(&format!("{row} td.share")), share);
    }
}

/// The ids of the initiatives a list page shows.
fn listed(page: &Page) -> BTreeSet<String> {
    page.select("table.initiatives tbody tr")
        .iter()
        .map(|row| row.value().attr("data-initiative-id").unwrap().to_owned())
        .collect()
}

/// The ids of every initiative the API's list returns for `query`.
async fn api_ids(app: &TestApp, org: &Org, query: &str) -> BTreeSet<String> {
    let (items, _) = app
        .all_pages(&org.account.token, &format!("/initiatives?{query}"), 500)
        .await;
    items.iter().map(id_of).collect()
}

#[tokio::test]
async fn the_rollup_page_shows_the_same_numbers_as_the_json_at_every_level() {
    let app = spawn_app().await;
    let org = signed_in_org(&app).await;

    for portfolio in [
        &org.root,
        &org.commerce,
        &org.checkout,
        &org.payments,
        &org.platform,
    ] {
        let json = rollup_json(&app, &org, portfolio).await;
        let page = rollup_page(&app, portfolio).await;
        assert_eq!(page.text("h1"), json["portfolio"]["name"].as_str().unwrap());
        assert_page_shows(&page, &json);
    }
    // The hand-worked figures of the roll-up tests, as the page formats them.
    let root = rollup_page(&app, &org.root).await;
    assert_eq!(root.text(".stat-progress .value"), "48.2%");
    assert_eq!(root.text(".stat-health .chip"), "Off track");
    assert_eq!(root.text(".stat-budget .figure"), "$15");
    assert_eq!(root.text("table.mix tr[data-theme='Growth'] td.target"), "40%");
    let platform = format!("table.children tr[data-portfolio-id='{}']", org.platform);
    assert_eq!(root.text(&format!("{platform} .chip")), "No active work");
    // Checkout has e attached to itself.
    let checkout = rollup_page(&app, &org.checkout).await;
    assert_eq!(listed(&checkout), BTreeSet::from([org.e.clone()]));
}

#[tokio::test]
async fn the_breadcrumb_leads_to_the_top_and_each_child_row_drills_down() {
    let app = spawn_app().await;
    let org = signed_in_org(&app).await;

    let payments = rollup_page(&app, &org.payments).await;
    let crumbs: Vec<(String, String)> = payments
        .select(".breadcrumb a")
        .iter()
        .map(|a| (a.text().collect(), a.value().attr("href").unwrap().to_owned()))
        .collect();
    assert_eq!(
        crumbs,
        [
            ("Portfolios".to_owned(), "/portfolios".to_owned()),
            ("Rollup Co".to_owned(), format!("/portfolios/{}", org.root)),
            ("Commerce".to_owned(), format!("/portfolios/{}", org.commerce)),
            ("Checkout".to_owned(), format!("/portfolios/{}", org.checkout)),
        ]
    );

    // Root → Commerce → Checkout → Payments by the children's links.
    let mut at = org.root.clone();
    for next in [&org.commerce, &org.checkout, &org.payments] {
        let page = rollup_page(&app, &at).await;
        let row = format!("table.children tr[data-portfolio-id='{next}']");
        let href = page.href(&format!("{row} .title a"));
        assert_eq!(href, format!("/portfolios/{next}"));
        assert_eq!(page.one(&row).value().attr("data-href"), Some(href.as_str()));
        let child = app.get_page(&href).await;
        assert_eq!(child.status, StatusCode::OK);
        at = next.clone();
    }
}

#[tokio::test]
async fn the_late_count_links_to_exactly_the_late_initiatives() {
    let app = spawn_app().await;
    let org = signed_in_org(&app).await;

    let root = rollup_page(&app, &org.root).await;
    let href = root.href(".stat-late a");
    assert_eq!(href, format!("/initiatives?portfolio_id={}&late=true", org.root));
    let list = app.get_page(&href).await;
    assert_eq!(list.status, StatusCode::OK);
    // a is late; c (done) and d (cancelled) are past their date but closed.
    assert_eq!(listed(&list), BTreeSet::from([org.a.clone()]));
    // The late list on the page itself says the same.
    let watch: Vec<&str> = root
        .select(".watchlist.late tbody tr")
        .iter()
        .map(|row| row.value().attr("data-initiative-id").unwrap())
        .collect();
    assert_eq!(watch, [org.a.as_str()]);
    // A child's late figure links to its own subtree's list.
    let commerce = format!("table.children tr[data-portfolio-id='{}']", org.commerce);
    let child_list = app.get_page(&root.href(&format!("{commerce} td.late a"))).await;
    assert_eq!(listed(&child_list), BTreeSet::from([org.a.clone()]));
}

#[tokio::test]
async fn status_health_and_theme_links_list_exactly_the_initiatives_counted() {
    let app = spawn_app().await;
    let org = signed_in_org(&app).await;
    let root = rollup_page(&app, &org.root).await;
    let json = rollup_json(&app, &org, &org.root).await;

    for (status, count) in json["totals"]["counts"]["by_status"].as_object().unwrap() {
        let href = root.href(&format!(".status-mix li[data-status='{status}'] a"));
        let list = app.get_page(&href).await;
        let expected = api_ids(&app, &org, &format!("portfolio_id={}&status={status}", org.root)).await;
        assert_eq!(listed(&list), expected, "{status}");
        assert_eq!(expected.len() as u64, count.as_u64().unwrap(), "{status}");
    }
    // Health is counted over active work only; so is the list behind it.
    for (health, count) in json["totals"]["counts"]["by_health"].as_object().unwrap() {
        let list = app
            .get_page(&root.href(&format!(".health-mix li[data-health='{health}'] a")))
            .await;
        assert_eq!(listed(&list).len() as u64, count.as_u64().unwrap(), "{health}");
    }
    let off_track = app
        .get_page(&root.href(".health-mix li[data-health='off_track'] a"))
        .await;
    assert_eq!(listed(&off_track), BTreeSet::from([org.e.clone()])); // d is off track but cancelled

    // Theme shares are of everything but cancelled work: Growth is a and c, not d.
    let growth = app
        .get_page(&root.href("table.mix tr[data-theme='Growth'] .title a"))
        .await;
    assert_eq!(listed(&growth).len(), 2);
    assert!(listed(&growth).contains(&org.a));
    let unassigned = app
        .get_page(&root.href("table.mix tr[data-theme='Unassigned'] .title a"))
        .await;
    assert_eq!(listed(&unassigned), BTreeSet::from([org.f.clone()]));
    let retention = app
        .get_page(&format!("/initiatives?theme_id={}", org.retention))
        .await;
    assert!(listed(&retention).contains(&org.e));
}

#[tokio::test]
async fn both_watchlist_plans_give_the_same_lists() {
    use cairn::db::initiative_lists::SubtreePlan::{ThroughClosure, WalkOrganization};
    use cairn::db::initiative_lists::watchlists;
    let app = spawn_app().await;
    let org = build(&app).await;
    let org_id = org.account.org_id;
    let ids = |rows: &[cairn::db::initiative_lists::ListedInitiative]| -> Vec<uuid::Uuid> {
        rows.iter().map(|row| row.id).collect()
    };
    for portfolio in [&org.root, &org.checkout, &org.platform] {
        let id = portfolio.parse().unwrap();
        let small = watchlists(&app.tenant(org_id), org_id, id, ThroughClosure)
            .await
            .unwrap();
        let large = watchlists(&app.tenant(org_id), org_id, id, WalkOrganization)
            .await
            .unwrap();
        assert_eq!(ids(&small.at_risk), ids(&large.at_risk), "at risk in {portfolio}");
        assert_eq!(ids(&small.late), ids(&large.late), "late in {portfolio}");
    }
    let root: uuid::Uuid = org.root.parse().unwrap();
    let lists = watchlists(&app.tenant(org_id), org_id, root, WalkOrganization)
        .await
        .unwrap();
    // b (at risk) and e (off track); d is off track but cancelled.
    assert_eq!(lists.at_risk.len(), 2);
    assert!(lists.at_risk.iter().any(|row| row.id.to_string() == org.e));
}

#[tokio::test]
async fn the_list_filters_sorts_and_pages() {
    let app = spawn_app().await;
    let account = app.signup("Fabrikam").await;
    let t = &account.token;
    let line = id_of(&app.create_portfolio(t, "Line", "product_line", None).await);
    let product = id_of(&app.create_portfolio(t, "Product", "product", Some(&line)).await);
    let other = id_of(&app.create_portfolio(t, "Other", "product_line", None).await);
    let today = Utc::now().date_naive();
    // 53 initiatives in the product: target dates one day apart, RICE rising with the number.
    for n in 0..53_i64 {
        app.create_initiative(
            t,
            &product,
            json!({"title": format!("Item {n:02}"), "status": "planned",
                   "target_date": (today + Duration::days(60 - n)).to_string(),
                   "reach": 100 * (n + 1), "impact": 1, "confidence": 100, "effort": 1}),
        )
        .await;
    }
    app.create_initiative(t, &other, json!({"title": "Elsewhere", "status": "in_progress"}))
        .await;
    app.sign_in_page(&account.email, &account.password, "").await;

    let titles = |page: &Page| -> Vec<String> {
        page.select("table.initiatives tbody .title a")
            .iter()
            .map(|a| a.text().collect())
            .collect()
    };
    // Soonest target first by default: the last created is due first.
    let first = app.get_page(&format!("/initiatives?portfolio_id={line}")).await;
    assert_eq!(first.status, StatusCode::OK);
    let page_one = titles(&first);
    assert_eq!(page_one.len(), 50);
    assert_eq!(page_one[0], "Item 52");
    assert_eq!(page_one[49], "Item 03");
    let second = app.get_page(&first.href(".pager a.next")).await;
    assert_eq!(titles(&second), ["Item 02", "Item 01", "Item 00"]);
    assert!(second.select(".pager a.next").is_empty());
    assert!(
        second
            .href(".pager a.previous")
            .contains(&format!("portfolio_id={line}"))
    );
    // The filter form keeps the current choices.
    let selected = first.one("select[name='portfolio_id'] option[selected]");
    assert_eq!(selected.value().attr("value"), Some(line.as_str()));

    // Highest RICE first.
    let rice = app
        .get_page(&format!("/initiatives?portfolio_id={line}&sort=rice"))
        .await;
    assert_eq!(titles(&rice)[..2], ["Item 52", "Item 51"]);
    assert_eq!(rice.text("table.initiatives tbody tr:first-child .rice"), "5,300");
    // Latest change first.
    let updated = app
        .get_page(&format!("/initiatives?portfolio_id={line}&sort=updated"))
        .await;
    assert_eq!(titles(&updated)[0], "Item 52");

    // Status and owner filters; everything but the product when filtered by Other.
    let in_progress = app.get_page("/initiatives?status=in_progress").await;
    assert_eq!(titles(&in_progress), ["Elsewhere"]);
    let owned = app
        .get_page(&format!("/initiatives?owner_id={}", account.user_id))
        .await;
    assert!(titles(&owned).is_empty());
    let bad = app.get_page("/initiatives?status=late").await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
}

#[tokio::test]
async fn csv_exports_quote_properly_and_defuse_formulas() {
    let app = spawn_app().await;
    let org = signed_in_org(&app).await;
    let title = "=Pay, \"now\"";
    app.create_initiative(
        &org.account.token,
        &org.platform,
        json!({"title": title, "budget": 123456}),
    )
    .await;

    let response = app
        .client
        .get(app.url(&format!("/initiatives.csv?portfolio_id={}", org.platform)))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        response.headers()["content-type"].to_str().unwrap(),
        "text/csv; charset=utf-8"
    );
    let body = response.text().await.unwrap();
    assert!(body.contains("\"'=Pay, \"\"now\"\"\""), "{body}");
    let mut reader = csv::Reader::from_reader(body.as_bytes());
    let header = reader.headers().unwrap().clone();
    let records: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(records.len(), 2); // f and the new one
    let column = |name: &str| header.iter().position(|h| h == name).unwrap();
    let row = records
        .iter()
        .find(|r| r[column("title")].contains("Pay"))
        .unwrap();
    assert_eq!(&row[column("title")], "'=Pay, \"now\"");
    assert_eq!(&row[column("portfolio")], "Platform");
    assert_eq!(&row[column("budget")], "1234.56");

    // Every matching initiative, whatever the page size: the root's whole subtree.
    let all = app
        .client
        .get(app.url(&format!("/initiatives.csv?portfolio_id={}", org.root)))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(csv::Reader::from_reader(all.as_bytes()).records().count(), 7);

    // The children table as CSV, linked from the page.
    let root = rollup_page(&app, &org.root).await;
    let href = root.href(".section-head a[download]");
    // The CSV carries the page's OKR period (the current quarter unless another was asked for).
    let quarter = cairn::domain::period::Period::current_quarter(Utc::now().date_naive(), 1);
    assert_eq!(
        href,
        format!("/portfolios/{}/children.csv?period={quarter}", org.root)
    );
    let children = app.client.get(app.url(&href)).send().await.unwrap();
    assert!(
        children.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .contains("rollup-co-children.csv")
    );
    let text = children.text().await.unwrap();
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    let names: Vec<&str> = rows.iter().map(|r| &r[0]).collect();
    assert_eq!(names, ["Commerce", "Platform"]);
    assert_eq!(&rows[0][4], "66.3"); // Commerce's progress
    assert_eq!(&rows[0][5], "5");
    assert_eq!(&rows[0][10], "", "no OKRs this quarter: an empty OKR cell");
}

#[tokio::test]
async fn home_lands_leaders_on_their_highest_portfolio() {
    let app = spawn_app().await;
    let org = build(&app).await;
    // An admin who owns nothing: the first top-level portfolio.
    app.sign_in_page(&org.account.email, &org.account.password, "")
        .await;
    let home = app.get_page("/").await;
    assert_eq!(home.status, StatusCode::SEE_OTHER);
    assert_eq!(home.location, Some(format!("/portfolios/{}", org.root)));

    // A member who owns Checkout and Payments lands on Checkout, the higher one.
    let member = app.add_member(&org.account, Role::Member).await;
    for portfolio in [&org.payments, &org.checkout] {
        app.patch_json(
            &org.account.token,
            &format!("/portfolios/{portfolio}"),
            json!({"owner_id": member.user_id}),
        )
        .await;
    }
    app.set_password(member.user_id, "member password 1").await;
    let browser = app.with_client(new_client());
    browser
        .sign_in_page(&app.email_of(member.user_id).await, "member password 1", "")
        .await;
    let home = browser.get_page("/").await;
    assert_eq!(home.location, Some(format!("/portfolios/{}", org.checkout)));
    // Where Home leads, Home is the current page; a portfolio below it is under Portfolios.
    let current = |page: &Page| {
        page.one(".nav a[aria-current='page']")
            .value()
            .attr("href")
            .map(str::to_owned)
    };
    let landed = browser.get_page(home.location.as_deref().unwrap()).await;
    assert_eq!(current(&landed).as_deref(), Some("/"));
    let below = browser.get_page(&format!("/portfolios/{}", org.payments)).await;
    assert_eq!(current(&below).as_deref(), Some("/portfolios"));

    // A member who owns nothing keeps the organization's home page.
    let plain = app.add_member(&org.account, Role::Member).await;
    app.set_password(plain.user_id, "member password 2").await;
    let browser = app.with_client(new_client());
    browser
        .sign_in_page(&app.email_of(plain.user_id).await, "member password 2", "")
        .await;
    let home = browser.get_page("/").await;
    assert_eq!(home.status, StatusCode::OK);
    assert_eq!(home.text("h1"), "Rollup Co");
    home.one("a.my-initiatives");

    // A viewer (the board) reads everything and owns nothing: the top portfolio's roll-up, marked
    // Home, not a near-empty page pointing at "My initiatives".
    let viewer = app.add_member(&org.account, Role::Viewer).await;
    app.set_password(viewer.user_id, "viewer password 1").await;
    let browser = app.with_client(new_client());
    browser
        .sign_in_page(&app.email_of(viewer.user_id).await, "viewer password 1", "")
        .await;
    let home = browser.get_page("/").await;
    assert_eq!(home.location, Some(format!("/portfolios/{}", org.root)));
    let landed = browser.get_page(home.location.as_deref().unwrap()).await;
    assert_eq!(current(&landed).as_deref(), Some("/"));
}

#[tokio::test]
async fn an_organization_without_portfolios_sees_how_to_start() {
    let app = spawn_app().await;
    let account = app.signup("Empty Co").await;
    app.sign_in_page(&account.email, &account.password, "").await;

    let home = app.get_page("/").await;

    assert_eq!(home.status, StatusCode::OK);
    assert_eq!(home.text(".empty-state h2"), "No portfolios yet");
    assert_eq!(home.href(".empty-state a.button"), "/portfolios/new");
}

#[tokio::test]
async fn another_organizations_portfolio_is_not_found_and_visitors_must_sign_in() {
    let app = spawn_app().await;
    let org = build(&app).await;
    let stranger = app.with_client(new_client());
    let other = stranger.signup("Other Org").await;
    stranger.sign_in_page(&other.email, &other.password, "").await;
    for path in [
        format!("/portfolios/{}", org.root),
        format!("/portfolios/{}/children.csv", org.root),
    ] {
        assert_eq!(
            stranger.get_page(&path).await.status,
            StatusCode::NOT_FOUND,
            "{path}"
        );
    }
    // Their own lists do not show the other organization's work.
    let list = stranger
        .get_page(&format!("/initiatives?portfolio_id={}", org.root))
        .await;
    assert!(listed(&list).is_empty());

    let visitor = app.with_client(new_client());
    for path in [
        format!("/portfolios/{}", org.root),
        "/initiatives?late=true".to_owned(),
        "/initiatives.csv".to_owned(),
        format!("/portfolios/{}/children.csv", org.root),
    ] {
        let page = visitor.get_page(&path).await;
        assert_eq!(page.status, StatusCode::SEE_OTHER, "{path}");
        assert!(page.location.unwrap().starts_with("/login?next="), "{path}");
    }
}

#[tokio::test]
async fn what_changed_lists_recent_status_and_health_changes_in_the_subtree() {
    let app = spawn_app().await;
    let org = signed_in_org(&app).await;
    let t = &org.account.token;
    let update = |id: &str, body: Value| {
        let path = format!("/initiatives/{id}/updates");
        let app = &app;
        async move { app.post_json(t, &path, body).await }
    };
    update(&org.a, json!({"health": "at_risk", "note": "Vendor slipped"})).await;
    update(&org.f, json!({"status": "planned"})).await;
    // A progress-only update does not change the picture.
    update(&org.e, json!({"progress": 90})).await;
    let old = update(&org.e, json!({"status": "done"})).await;
    sqlx::query("UPDATE status_updates SET created_at = now() - interval '30 days' WHERE id = $1")
        .bind(id_of(&old).parse::<uuid::Uuid>().unwrap())
        .execute(&app.pool)
        .await
        .unwrap();

    let changes = |page: &Page| -> Vec<String> {
        page.select(".change-list .change a")
            .iter()
            .map(|a| a.text().collect::<String>())
            .collect()
    };
    // Commerce's subtree holds a (Payments) and e (Checkout), not f (Platform).
    let page = rollup_page(&app, &org.commerce).await;
    let listed = changes(&page);
    assert_eq!(listed.len(), 1, "{listed:?}");
    assert!(listed[0].ends_with("An initiative"));
    assert!(page.text(".change-list").contains("Vendor slipped"));
    let link = page.href(".change-list .change a");
    assert_eq!(link, format!("/initiatives/{}", org.a));
    // The root sees both recent changes, newest first; a month back also the old one.
    assert_eq!(changes(&rollup_page(&app, &org.root).await).len(), 2);
    let since = (Utc::now() - Duration::days(40)).date_naive();
    let page = app
        .get_page(&format!("/portfolios/{}?since={since}", org.root))
        .await;
    assert_eq!(changes(&page).len(), 3);
    // A date that is not one is said so beside the field, and the default applies.
    let page = app
        .get_page(&format!("/portfolios/{}?since=yesterday", org.root))
        .await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.text("#since-error").contains("is not a date"));
    assert_eq!(changes(&page).len(), 2);
}

#[tokio::test]
async fn both_list_plans_give_the_same_pages_in_every_order() {
    use cairn::db::initiative_lists::search_planned;
    use cairn::domain::InitiativeSort;
    use cairn::domain::initiative::InitiativeFilter;

    let app = spawn_app().await;
    let org = crate::rollups::build(&app).await;
    let org_id = org.account.org_id;
    for (n, portfolio) in [&org.payments, &org.checkout, &org.platform]
        .iter()
        .cycle()
        .take(12)
        .enumerate()
    {
        let fields = json!({"status": "in_progress", "reach": n * 100, "impact": 1, "confidence": 80,
                            "target_date": (Utc::now() + Duration::days(n as i64)).date_naive().to_string()});
        app.create_initiative(&org.account.token, portfolio, fields).await;
    }
    for portfolio in [&org.root, &org.commerce, &org.payments] {
        let filter = InitiativeFilter {
            portfolio_id: Some(portfolio.parse().unwrap()),
            ..Default::default()
        };
        for sort in [
            InitiativeSort::Target,
            InitiativeSort::Rice,
            InitiativeSort::Updated,
        ] {
            for offset in [0, 3] {
                let pool = &app.tenant(org_id);
                let ids = async |small| {
                    let rows = search_planned(pool, &filter, sort, offset, 5, small)
                        .await
                        .unwrap();
                    rows.into_iter().map(|r| r.id).collect::<Vec<_>>()
                };
                let from_subtree = ids(true).await;
                assert!(!from_subtree.is_empty());
                assert_eq!(
                    from_subtree,
                    ids(false).await,
                    "{portfolio} {sort:?} offset {offset}"
                );
            }
        }
    }
}

#[tokio::test]
async fn what_changed_says_how_many_changes_there_are_and_pages_through_all_of_them() {
    let app = spawn_app().await;
    let org = signed_in_org(&app).await;
    let t = &org.account.token;
    const CHANGES: usize = 55;
    for n in 1..=CHANGES {
        let health = if n % 2 == 1 { "at_risk" } else { "on_track" };
        let body = json!({"health": health, "note": format!("Change {n}")});
        app.post_json(t, &format!("/initiatives/{}/updates", org.a), body)
            .await;
    }
    // Outside Commerce's subtree: never counted there.
    app.post_json(
        t,
        &format!("/initiatives/{}/updates", org.f),
        json!({"status": "planned"}),
    )
    .await;
    let notes = |page: &Page| -> Vec<String> {
        page.select(".change-list .change .note")
            .iter()
            .map(|note| note.text().collect::<String>())
            .collect()
    };

    // The roll-up shows the latest 15, says how many there are, and links to them all.
    let rollup = rollup_page(&app, &org.commerce).await;
    assert_eq!(notes(&rollup).len(), 15);
    assert_eq!(notes(&rollup)[0], format!("Change {CHANGES}"));
    assert_eq!(rollup.text(".more-changes .changes-total"), CHANGES.to_string());
    let mut next = Some(rollup.href(".more-changes a"));

    // The full list, a page at a time, holds every change once, newest first.
    let mut seen = Vec::new();
    let mut pages = 0;
    while let Some(path) = next {
        let page = app.get_page(&path).await;
        assert_eq!(page.status, StatusCode::OK, "{path}");
        assert_eq!(page.text(".changes-total"), CHANGES.to_string(), "{path}");
        assert_eq!(page.select("a[rel='prev']").is_empty(), pages == 0, "{path}");
        seen.extend(notes(&page));
        pages += 1;
        next = page
            .select("a[rel='next']")
            .first()
            .map(|a| a.value().attr("href").unwrap().to_owned());
    }
    assert_eq!(pages, 2, "50 a page");
    let expected: Vec<String> = (1..=CHANGES).rev().map(|n| format!("Change {n}")).collect();
    assert_eq!(seen, expected);

    // Fewer than the panel holds: no count of more, no link.
    let platform = rollup_page(&app, &org.platform).await;
    assert_eq!(platform.select(".change-list .change").len(), 1);
    assert!(platform.select(".more-changes").is_empty());
    // Someone else's organization's portfolio, or none: not found.
    let missing = app
        .get_page(&format!("/portfolios/{}/changes", uuid::Uuid::now_v7()))
        .await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
}
