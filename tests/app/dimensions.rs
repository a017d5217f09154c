//! Roll-ups by any dimension (SPEC §13): the §3 figures of a subtree's initiatives grouped by
//! theme, owner, objective, status, health, lifecycle stage or level, worked out by hand on the
//! roll-up tests' organization (see `rollups::build`), at the root and one level down.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{TestApp, expect_problem, id_of, spawn_app};
use crate::rollups::{Org, build};

async fn grouped(app: &TestApp, org: &Org, portfolio: &str, by: &str) -> Value {
    app.get_json(
        &org.account.token,
        &format!("/portfolios/{portfolio}/rollup?by={by}&period=2026-Q4"),
    )
    .await
}

/// Each group as (key, label, total, effort), in the answer's order.
fn groups(answer: &Value) -> Vec<(Value, String, i64, f64)> {
    answer["groups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| {
            (
                g["key"].clone(),
                g["label"].as_str().unwrap().to_owned(),
                g["figures"]["counts"]["total"].as_i64().unwrap(),
                g["figures"]["effort"].as_f64().unwrap(),
            )
        })
        .collect()
}

fn group<'a>(answer: &'a Value, label: &str) -> &'a Value {
    answer["groups"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["label"] == label)
        .unwrap_or_else(|| panic!("{label} in {answer}"))
}

#[tokio::test]
async fn the_subtrees_initiatives_grouped_by_theme_status_level_and_owner() {
    let app = spawn_app().await;
    let org = build(&app).await;

    // By theme at the root: Growth holds a, c, d (d cancelled: counted, no effort), Retention b
    // and e, and f has none. Largest effort first.
    let root = grouped(&app, &org, &org.root, "theme").await;
    assert_eq!(root["by"], "theme");
    assert_eq!(root["overlapping"], false);
    assert_eq!(root["totals"]["counts"]["total"], 6, "the totals are the tree's");
    assert_eq!(
        groups(&root),
        [
            (json!(org.growth), "Growth".to_owned(), 3, 6.0),
            (Value::Null, "Unassigned".to_owned(), 1, 3.0),
            (json!(org.retention), "Retention".to_owned(), 2, 2.0),
        ]
    );
    let growth = &group(&root, "Growth")["figures"];
    // (2 × 50 + 4 × 100) ÷ 6 = 83.3 %; a is late; 1000 + 500 budget; only a is active, on track.
    assert_eq!(growth["progress"], 83.3);
    assert_eq!(growth["late"], 1);
    assert_eq!(growth["budget"], 1500);
    assert_eq!(growth["health"], "on_track");
    assert_eq!(growth["counts"]["by_status"]["cancelled"], 1);
    let retention = &group(&root, "Retention")["figures"];
    // (1 × 10 + 1 × 20) ÷ 2 = 15 %; half its active effort at risk, half off track.
    assert_eq!(retention["progress"], 15.0);
    assert_eq!(
        retention["health_share"],
        json!({"off_track": 50.0, "at_risk": 50.0})
    );
    assert_eq!(group(&root, "Unassigned")["figures"]["health"], Value::Null);

    // One level down, in Checkout, f is out of the subtree and with it the unthemed group.
    let checkout = grouped(&app, &org, &org.checkout, "theme").await;
    assert_eq!(
        groups(&checkout)
            .into_iter()
            .map(|(_, label, total, _)| (label, total))
            .collect::<Vec<_>>(),
        [("Growth".to_owned(), 3), ("Retention".to_owned(), 2)]
    );

    // By status: the words as labels; equal effort goes by the word.
    let statuses = grouped(&app, &org, &org.root, "status").await;
    assert_eq!(
        groups(&statuses),
        [
            (json!("done"), "Done".to_owned(), 1, 4.0),
            (json!("in_progress"), "In progress".to_owned(), 2, 3.0),
            (json!("proposed"), "Proposed".to_owned(), 1, 3.0),
            (json!("planned"), "Planned".to_owned(), 1, 1.0),
            (json!("cancelled"), "Cancelled".to_owned(), 1, 0.0),
        ]
    );
    // The done group's progress is 100 whatever c's own says.
    assert_eq!(group(&statuses, "Done")["figures"]["progress"], 100.0);

    // By level of the portfolio the work is attached to.
    let levels = grouped(&app, &org, &org.root, "level").await;
    assert_eq!(
        groups(&levels)
            .into_iter()
            .map(|(key, _, total, effort)| (key, total, effort))
            .collect::<Vec<_>>(),
        [
            (json!("area"), 4, 7.0),
            (json!("product_line"), 1, 3.0),
            (json!("product"), 1, 1.0)
        ]
    );

    // By owner: the admin owns a and e, nobody the rest.
    let t = &org.account.token;
    for id in [&org.a, &org.e] {
        app.patch_json(
            t,
            &format!("/initiatives/{id}"),
            json!({"owner_id": org.account.user_id}),
        )
        .await;
    }
    let owners = grouped(&app, &org, &org.root, "owner").await;
    assert_eq!(
        groups(&owners),
        [
            (Value::Null, "No owner".to_owned(), 4, 8.0),
            (
                json!(org.account.user_id.to_string()),
                "Ada Admin".to_owned(),
                2,
                3.0
            ),
        ]
    );
    let unowned = app
        .get_json(
            t,
            &format!("/initiatives?portfolio_id={}&owner_id=none", org.root),
        )
        .await;
    assert_eq!(
        unowned["items"].as_array().unwrap().len(),
        4,
        "the No owner group's work"
    );
    let mine = &group(&owners, "Ada Admin")["figures"];
    // a on track with 2 weeks, e off track with 1: a third of the active effort off track.
    assert_eq!(mine["health_share"]["off_track"], 33.3);
    assert_eq!(mine["late"], 1);
    // A move between portfolios and a change of theme move the work between groups.
    app.patch_json(
        t,
        &format!("/initiatives/{}", org.e),
        json!({"portfolio_id": org.platform, "theme_id": null}),
    )
    .await;
    let checkout = grouped(&app, &org, &org.checkout, "owner").await;
    assert_eq!(
        groups(&checkout)
            .into_iter()
            .map(|(_, label, total, _)| (label, total))
            .collect::<Vec<_>>(),
        [("No owner".to_owned(), 3), ("Ada Admin".to_owned(), 1)]
    );
    let themes = grouped(&app, &org, &org.root, "theme").await;
    assert_eq!(group(&themes, "Unassigned")["figures"]["counts"]["total"], 2);
}

#[tokio::test]
async fn work_moving_several_objectives_counts_in_each_and_the_answer_says_so() {
    let app = spawn_app().await;
    let org = build(&app).await;
    let t = &org.account.token;
    let objective = async |title: &str, period: &str, current: i64| {
        let o = id_of(
            &app.post_json(
                t,
                "/objectives",
                json!({"title": title, "portfolio_id": org.root, "period": period}),
            )
            .await,
        );
        let kr = crate::okrs::key_result(
            &app,
            t,
            &o,
            json!({"start_value": 0, "target_value": 100, "current_value": current}),
        )
        .await;
        id_of(&kr)
    };
    let conversion = objective("Conversion", "2026-Q4", 25).await;
    let bets = objective("Retention bets", "2026-Q4", 50).await;
    let later = objective("Next year", "2027-Q1", 0).await;
    let link = async |initiative: &str, kr: &str| {
        let put = app
            .api(
                reqwest::Method::PUT,
                t,
                &format!("/initiatives/{initiative}/key-results/{kr}"),
            )
            .send()
            .await
            .unwrap();
        assert_eq!(put.status(), StatusCode::NO_CONTENT);
    };
    link(&org.a, &conversion).await;
    link(&org.e, &conversion).await;
    link(&org.a, &bets).await;
    // Linked to an objective of another period only: no objective of this one.
    let b = app
        .get_json(
            t,
            &format!("/initiatives?portfolio_id={}&status=planned", org.payments),
        )
        .await["items"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    link(&b, &later).await;

    let answer = grouped(&app, &org, &org.root, "objective").await;
    assert_eq!(answer["overlapping"], true);
    assert_eq!(
        groups(&answer)
            .into_iter()
            .map(|(_, label, total, effort)| (label, total, effort))
            .collect::<Vec<_>>(),
        [
            ("No objective".to_owned(), 4, 8.0),
            ("Conversion".to_owned(), 2, 3.0),
            ("Retention bets".to_owned(), 1, 2.0),
        ]
    );
    let conversion_group = &group(&answer, "Conversion")["figures"];
    // (2 × 50 + 1 × 20) ÷ 3 = 40 %; the objective's own progress is its key result's 25 %.
    assert_eq!(conversion_group["progress"], 40.0);
    assert_eq!(conversion_group["okr_progress"], 25.0);
    assert_eq!(group(&answer, "Retention bets")["figures"]["okr_progress"], 50.0);
    assert_eq!(
        group(&answer, "No objective")["figures"]["okr_progress"],
        Value::Null
    );
    // The list filters by objective, as the page's groups link to it.
    let conversion_id = group(&answer, "Conversion")["key"].as_str().unwrap().to_owned();
    let listed = app
        .get_json(
            t,
            &format!(
                "/initiatives?portfolio_id={}&objective_id={conversion_id}",
                org.root
            ),
        )
        .await;
    let mut ids: Vec<&str> = listed["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["id"].as_str().unwrap())
        .collect();
    ids.sort();
    let mut expected = [org.a.as_str(), org.e.as_str()];
    expected.sort();
    assert_eq!(ids, expected);

    // "No objective" is a filter too: the work moving no objective of the period (b moves one of
    // 2027-Q1 only, so it is in), or of any period without one (b is out).
    let listed = async |query: &str| {
        let answer = app
            .get_json(t, &format!("/initiatives?portfolio_id={}&{query}", org.root))
            .await;
        let mut ids: Vec<String> = answer["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["id"].as_str().unwrap().to_owned())
            .collect();
        ids.sort();
        ids
    };
    let unlinked = listed("objective_id=none&objective_period=2026-Q4").await;
    assert_eq!(
        unlinked.len() as i64,
        group(&answer, "No objective")["figures"]["counts"]["total"]
            .as_i64()
            .unwrap()
    );
    assert!(unlinked.contains(&b));
    assert!(!unlinked.contains(&org.a) && !unlinked.contains(&org.e));
    let never = listed("objective_id=none").await;
    assert_eq!(never.len(), unlinked.len() - 1);
    assert!(!never.contains(&b));
    // The period alone: the work moving some objective of it.
    let mut linked = vec![org.a.clone(), org.e.clone()];
    linked.sort();
    assert_eq!(listed("objective_period=2026-Q4").await, linked);
    // A period that is not one is named.
    let refused = app
        .api(
            reqwest::Method::GET,
            t,
            "/initiatives?objective_id=none&objective_period=soon",
        )
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.text().await.unwrap().contains("objective_period"));
}

#[tokio::test]
async fn grouping_by_product_stage_takes_the_products_stage_and_bad_dimensions_are_named() {
    let app = spawn_app().await;
    let org = build(&app).await;
    let t = &org.account.token;
    app.patch_json(
        t,
        &format!("/portfolios/{}", org.checkout),
        json!({"lifecycle": "growth"}),
    )
    .await;
    // Checkout's own work (e) and its area's (a–d) are in its stage; Platform's f is above any
    // product.
    let answer = grouped(&app, &org, &org.root, "lifecycle").await;
    assert_eq!(
        groups(&answer)
            .into_iter()
            .map(|(key, label, total, _)| (key, label, total))
            .collect::<Vec<_>>(),
        [
            (json!("growth"), "Growth".to_owned(), 5),
            (Value::Null, "No stage".to_owned(), 1)
        ]
    );
    let in_growth = app.get_json(t, "/initiatives?lifecycle=growth").await;
    assert_eq!(in_growth["items"].as_array().unwrap().len(), 5, "{in_growth}");
    let unstaged = app.get_json(t, "/initiatives?lifecycle=none").await;
    assert_eq!(unstaged["items"][0]["id"], org.f.as_str(), "{unstaged}");
    assert_eq!(unstaged["items"].as_array().unwrap().len(), 1);
    let bad = app
        .api(
            reqwest::Method::GET,
            t,
            &format!("/portfolios/{}/rollup?by=colour", org.root),
        )
        .send()
        .await
        .unwrap();
    let problem = expect_problem(bad, StatusCode::UNPROCESSABLE_ENTITY, Some("by")).await;
    assert!(
        problem["errors"]["by"][0]
            .as_str()
            .unwrap()
            .contains("theme, owner, objective")
    );
    // Another organization's portfolio is not there, grouped or not.
    let other = app.signup("Elsewhere").await;
    let theirs = app
        .api(
            reqwest::Method::GET,
            &other.token,
            &format!("/portfolios/{}/rollup?by=theme", org.root),
        )
        .send()
        .await
        .unwrap();
    expect_problem(theirs, StatusCode::NOT_FOUND, None).await;
}

/// The groups of `portfolio`'s subtree `by` a dimension that puts each initiative in one group
/// equal a computation from the initiative list: each group's count by status and its effort
/// (cancelled work aside), and together the totals.
pub(crate) async fn assert_groups_match_the_list(app: &TestApp, token: &str, portfolio: &str, by: &str) {
    use std::collections::BTreeMap;
    let answer = app
        .get_json(token, &format!("/portfolios/{portfolio}/rollup?by={by}"))
        .await;
    let (items, _) = app
        .all_pages(token, &format!("/initiatives?portfolio_id={portfolio}"), 200)
        .await;
    let levels: BTreeMap<String, String> = app
        .all_pages(token, "/portfolios", 200)
        .await
        .0
        .into_iter()
        .map(|p| {
            (
                p["id"].as_str().unwrap().to_owned(),
                p["level"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    // key → (count by status, effort of work not cancelled)
    let mut expected: BTreeMap<Option<String>, (BTreeMap<String, i64>, f64)> = BTreeMap::new();
    for item in &items {
        let key = match by {
            "theme" => item["theme_id"].as_str().map(str::to_owned),
            "owner" => item["owner_id"].as_str().map(str::to_owned),
            "level" => Some(levels[item["portfolio_id"].as_str().unwrap()].clone()),
            word => Some(item[word].as_str().unwrap().to_owned()),
        };
        let status = item["status"].as_str().unwrap().to_owned();
        let group = expected.entry(key).or_default();
        if status != "cancelled" {
            group.1 += item["effort"].as_f64().unwrap();
        }
        *group.0.entry(status).or_default() += 1;
    }
    let groups = answer["groups"].as_array().unwrap();
    assert_eq!(
        groups.len(),
        expected.len(),
        "{by} groups of {portfolio}: {answer}"
    );
    let mut total = 0;
    for group in groups {
        let key = group["key"].as_str().map(str::to_owned);
        let (statuses, effort) = &expected[&key];
        let figures = &group["figures"];
        for (status, count) in figures["counts"]["by_status"].as_object().unwrap() {
            assert_eq!(
                count.as_i64().unwrap(),
                statuses.get(status).copied().unwrap_or(0),
                "{by} group {key:?} of {portfolio}, {status}"
            );
        }
        assert!(
            (figures["effort"].as_f64().unwrap() - effort).abs() < 0.01,
            "{by} group {key:?} of {portfolio}: effort {} against {effort}",
            figures["effort"]
        );
        total += figures["counts"]["total"].as_i64().unwrap();
    }
    assert_eq!(total, answer["totals"]["counts"]["total"].as_i64().unwrap());
    assert_eq!(total, items.len() as i64);
}

#[tokio::test]
async fn the_rollup_page_groups_by_a_dimension_and_each_group_leads_to_its_initiatives() {
    let app = spawn_app().await;
    let org = crate::rollup_pages::signed_in_org(&app).await;
    let tree = app.get_page(&format!("/portfolios/{}", org.root)).await;
    assert_eq!(tree.text("nav.grouping a[aria-current=page]"), "Portfolios");
    let by_theme = tree
        .select("nav.grouping a")
        .into_iter()
        .find(|a| a.text().collect::<String>() == "Theme")
        .unwrap()
        .value()
        .attr("href")
        .unwrap()
        .to_owned();
    let page = app.get_page(&by_theme).await;
    assert_eq!(page.status, StatusCode::OK);
    assert_eq!(page.text("nav.grouping a[aria-current=page]"), "Theme");
    assert!(
        page.select("table.children").is_empty(),
        "the groups table replaces the children's"
    );
    // The page's groups are the JSON's, in its order, with the same counts.
    let json = grouped(&app, &org, &org.root, "theme").await;
    let rows = page.select("table.groups tbody tr");
    let shown: Vec<(String, String)> = rows
        .iter()
        .map(|row| {
            let cell = |css: &str| {
                let selector = scraper::Selector::parse(css).unwrap();
                row.select(&selector)
                    .next()
                    .unwrap()
                    .text()
                    .collect::<String>()
                    .trim()
                    .to_owned()
            };
            (cell("td.title"), cell("td.total"))
        })
        .collect();
    let expected: Vec<(String, String)> = groups(&json)
        .into_iter()
        .map(|(_, label, total, _)| (label, total.to_string()))
        .collect();
    assert_eq!(shown, expected);
    // A group's name and counts lead to exactly its initiatives.
    let growth = page.href("table.groups tbody tr:first-child td.title a");
    let list = app.get_page(&growth).await;
    assert_eq!(list.select("table.initiatives tbody tr").len(), 3, "{growth}");
    let late = page.href("table.groups tbody tr:first-child td.late a");
    assert_eq!(
        app.get_page(&late)
            .await
            .select("table.initiatives tbody tr")
            .len(),
        1
    );
    // The groups as CSV, linked from the page: the JSON's figures, unformatted.
    let csv = app
        .client
        .get(app.url(&page.href("a.groups-csv")))
        .send()
        .await
        .unwrap();
    assert!(
        csv.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .contains("-by-theme.csv")
    );
    let csv = csv.text().await.unwrap();
    let mut reader = csv::Reader::from_reader(csv.as_bytes());
    assert_eq!(
        &reader.headers().unwrap().iter().take(5).collect::<Vec<_>>(),
        &["group", "key", "health", "progress_percent", "initiatives"]
    );
    let records: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(
        records
            .iter()
            .map(|r| (r[0].to_owned(), r[4].to_owned(), r[1].to_owned()))
            .collect::<Vec<_>>(),
        [
            ("Growth".to_owned(), "3".to_owned(), org.growth.clone()),
            ("Unassigned".to_owned(), "1".to_owned(), String::new()),
            ("Retention".to_owned(), "2".to_owned(), org.retention.clone()),
        ]
    );
    assert_eq!(&records[0][3], "83.3");
    // Grouped by objective, the work moving none of the period's leads to the list of it.
    let by_objective = app
        .get_page(&format!("/portfolios/{}?by=objective&period=2026-Q4", org.root))
        .await;
    assert_eq!(
        by_objective.text("table.groups tbody tr:first-child td.title"),
        "No objective"
    );
    let unlinked = app
        .get_page(&by_objective.href("table.groups tbody tr:first-child td.total a"))
        .await;
    // None of a–f moves an objective.
    assert_eq!(unlinked.select("table.initiatives tbody tr").len(), 6);
    assert_eq!(
        unlinked.text(".group-note"),
        "Only the work moving no objective of 2026-Q4."
    );
    // Grouped by level, the list narrows to the level and says so.
    let levels = app.get_page(&format!("/portfolios/{}?by=level", org.root)).await;
    assert_eq!(levels.text("table.groups tbody tr:first-child td.title"), "Area");
    let areas = app
        .get_page(&levels.href("table.groups tbody tr:first-child td.total a"))
        .await;
    assert_eq!(areas.select("table.initiatives tbody tr").len(), 4);
    assert_eq!(
        areas.text(".group-note"),
        "Only the work attached to area portfolios."
    );
    // Its filter form keeps the group when another filter is chosen.
    assert_eq!(
        areas.value("form.filters input[name=level]").as_deref(),
        Some("area")
    );
    // A stale or mistyped grouping shows the tree.
    let stale = app.get_page(&format!("/portfolios/{}?by=colour", org.root)).await;
    assert_eq!(stale.text("nav.grouping a[aria-current=page]"), "Portfolios");
}
