//! Baselines (SPEC §10): a subtree frozen by hand, listed, read back and deleted; the diff against
//! now and against a later baseline naming every kind of change — moves in and out of the subtree
//! and a deleted initiative included — with the notes written in between; the page that reads
//! like a quarterly review, its child filter and CSV; and who may do what.

use std::collections::HashMap;

use chrono::{Duration, Utc};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{TestApp, expect_problem, id_of, spawn_app};
use crate::rollups::{Org, build};
use cairn::domain::Role;

fn day(offset: i64) -> String {
    (Utc::now().date_naive() + Duration::days(offset)).to_string()
}

/// The work of the diff: initiatives of Commerce's subtree (and one of Platform's) made before the
/// baseline, by what will happen to each after it.
struct Work {
    slips: String,
    pulled_in: String,
    moves_within: String,
    moves_out: String,
    moves_in: String,
    deleted: String,
    cancelled: String,
    started: String,
    untouched: String,
}

async fn make_work(app: &TestApp, org: &Org) -> Work {
    let t = &org.account.token;
    let create =
        async |portfolio: &str, fields: Value| id_of(&app.create_initiative(t, portfolio, fields).await);
    let planned = |target: i64| json!({"status": "planned", "effort": 2, "target_date": day(target)});
    Work {
        slips: create(&org.payments, planned(20)).await,
        pulled_in: create(&org.payments, planned(30)).await,
        moves_within: create(&org.checkout, planned(40)).await,
        moves_out: create(&org.payments, planned(50)).await,
        moves_in: create(&org.platform, planned(60)).await,
        deleted: create(&org.checkout, planned(70)).await,
        cancelled: create(&org.payments, planned(80)).await,
        started: create(&org.payments, planned(90)).await,
        untouched: create(&org.payments, planned(100)).await,
    }
}

async fn take(app: &TestApp, token: &str, portfolio: &str, name: &str) -> Value {
    app.post_json(
        token,
        &format!("/portfolios/{portfolio}/baselines"),
        json!({"name": name}),
    )
    .await
}

/// Each change's kinds and days, by initiative id.
fn kinds_of(diff: &Value) -> HashMap<String, (Vec<String>, Option<i64>)> {
    diff["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            let kinds = c["kinds"]
                .as_array()
                .unwrap()
                .iter()
                .map(|k| k.as_str().unwrap().to_owned())
                .collect();
            (
                c["initiative"]["id"].as_str().unwrap().to_owned(),
                (kinds, c["days"].as_i64()),
            )
        })
        .collect()
}

#[tokio::test]
async fn the_diff_names_every_kind_of_change_with_the_notes_written_since() {
    let app = spawn_app().await;
    let org = build(&app).await;
    let t = &org.account.token;
    let work = make_work(&app, &org).await;
    // A note written before the baseline is no reason for what happened after it.
    app.post_json(
        t,
        &format!("/initiatives/{}/updates", work.slips),
        json!({"note": "Kick-off done."}),
    )
    .await;
    let baseline = take(&app, t, &org.commerce, "Q1 plan").await;
    let id = id_of(&baseline);
    // Commerce's subtree: a, b, c, d (Payments), e (Checkout) and the work above but moves_in.
    assert_eq!(baseline["initiatives"], 13);
    assert_eq!(baseline["figures"]["totals"]["counts"]["total"], 13);

    // What happened since.
    let patch = async |id: &str, body: Value| app.patch_json(t, &format!("/initiatives/{id}"), body).await;
    patch(
        &work.slips,
        json!({"target_date": day(43), "effort": 3, "health": "at_risk"}),
    )
    .await;
    app.post_json(
        t,
        &format!("/initiatives/{}/updates", work.slips),
        json!({"note": "Waiting on the tax service."}),
    )
    .await;
    patch(&work.pulled_in, json!({"target_date": day(20)})).await;
    patch(&work.moves_within, json!({"portfolio_id": org.payments})).await;
    patch(&work.moves_out, json!({"portfolio_id": org.platform})).await;
    patch(&work.moves_in, json!({"portfolio_id": org.checkout})).await;
    let deleted = app
        .api(Method::DELETE, t, &format!("/initiatives/{}", work.deleted))
        .send()
        .await
        .unwrap();
    assert_eq!(deleted.status(), StatusCode::NO_CONTENT);
    app.post_json(
        t,
        &format!("/initiatives/{}/updates", work.cancelled),
        json!({"status": "cancelled", "note": "Dropped: no customer asked for it."}),
    )
    .await;
    app.post_json(
        t,
        &format!("/initiatives/{}/updates", work.started),
        json!({"status": "in_progress"}),
    )
    .await;
    patch(
        &work.untouched,
        json!({"title": "Renamed, and nothing else", "progress": 40}),
    )
    .await;
    let added = id_of(
        &app.create_initiative(t, &org.payments, json!({"status": "proposed"}))
            .await,
    );

    let diff = app.get_json(t, &format!("/baselines/{id}/diff")).await;
    let kinds = kinds_of(&diff);
    let of = |id: &str| kinds.get(id).cloned().unwrap_or_default();
    let named = |list: &[&str]| list.iter().map(|k| k.to_string()).collect::<Vec<_>>();
    assert_eq!(
        of(&work.slips),
        (named(&["slipped", "rescoped", "health"]), Some(23))
    );
    assert_eq!(of(&work.pulled_in), (named(&["pulled_in"]), Some(10)));
    assert_eq!(of(&work.moves_within), (named(&["moved"]), None));
    assert_eq!(
        of(&work.moves_out),
        (named(&["removed"]), None),
        "moved out of Commerce"
    );
    assert_eq!(
        of(&work.moves_in),
        (named(&["added"]), None),
        "moved into Commerce"
    );
    assert_eq!(of(&work.deleted), (named(&["removed"]), None));
    assert_eq!(
        of(&work.cancelled),
        (named(&["removed"]), None),
        "newly cancelled"
    );
    assert_eq!(of(&work.started), (named(&["status"]), None));
    assert_eq!(of(&added), (named(&["added"]), None));
    assert!(
        !kinds.contains_key(&work.untouched),
        "a title and progress are no kind of change"
    );
    assert_eq!(kinds.len(), 9, "{kinds:?}");
    assert_eq!(
        diff["summary"],
        "1 slipped by 23 days on average, 1 pulled in, 2 added, 3 dropped, 1 re-estimated, 1 moved."
    );
    // The reasons: the notes written between the two moments, and only those.
    let change_of = |id: &str| {
        diff["changes"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["initiative"]["id"] == id)
            .unwrap()
            .clone()
    };
    assert_eq!(change_of_in(&diff, &work.slips), ["Waiting on the tax service."]);
    assert_eq!(
        change_of(&work.cancelled)["notes"][0]["note"],
        "Dropped: no customer asked for it."
    );
    assert_eq!(change_of(&work.slips)["before"]["target_date"], day(20));
    assert_eq!(change_of(&work.slips)["after"]["target_date"], day(43));
    assert_eq!(change_of(&work.deleted)["after"], Value::Null);
    assert_eq!(change_of(&added)["before"], Value::Null);
    // The figures then and now, for Commerce and each child.
    assert_eq!(diff["figures"]["before"]["counts"]["total"], 13);
    let now = app
        .get_json(t, &format!("/portfolios/{}/rollup", org.commerce))
        .await;
    assert_eq!(diff["figures"]["after"], now["totals"]);
    assert_eq!(
        diff["figures"]["after"]["counts"]["total"], 13,
        "−deleted −moved out +moved in +added"
    );
    let checkout = &diff["children"][0];
    assert_eq!(checkout["name"], "Checkout");
    assert_eq!(checkout["before"]["counts"]["total"], 13);
    let mut now_checkout = now["children"][0].clone();
    now_checkout.as_object_mut().unwrap().remove("portfolio");
    assert_eq!(checkout["after"], now_checkout);

    // Against a later baseline: the same changes, and the notes up to it only.
    let later = id_of(&take(&app, t, &org.commerce, "Q2 plan").await);
    app.post_json(
        t,
        &format!("/initiatives/{}/updates", work.slips),
        json!({"note": "After Q2 began."}),
    )
    .await;
    patch(&work.untouched, json!({"target_date": day(101)})).await;
    let between = app
        .get_json(t, &format!("/baselines/{id}/diff?against={later}"))
        .await;
    assert_eq!(
        kinds_of(&between),
        kinds,
        "nothing changed between the second baseline and its diff"
    );
    assert_eq!(between["against"]["id"], later.as_str());
    let notes = change_of_in(&between, &work.slips);
    assert_eq!(notes, ["Waiting on the tax service."]);
    // …while against now, the later slip shows and so does the later note.
    let now_diff = app
        .get_json(t, &format!("/baselines/{id}/diff?against=now"))
        .await;
    assert_eq!(
        kinds_of(&now_diff)[&work.untouched],
        (named(&["slipped"]), Some(1))
    );
    assert_eq!(change_of_in(&now_diff, &work.slips).len(), 2);

    // A baseline of another portfolio is no later side of this one.
    let platform = id_of(&take(&app, t, &org.platform, "Platform plan").await);
    expect_problem(
        app.api(
            Method::GET,
            t,
            &format!("/baselines/{id}/diff?against={platform}"),
        )
        .send()
        .await
        .unwrap(),
        StatusCode::UNPROCESSABLE_ENTITY,
        Some("against"),
    )
    .await;
    expect_problem(
        app.api(Method::GET, t, &format!("/baselines/{id}/diff?against=yesterday"))
            .send()
            .await
            .unwrap(),
        StatusCode::UNPROCESSABLE_ENTITY,
        Some("against"),
    )
    .await;
}

fn change_of_in(diff: &Value, id: &str) -> Vec<String> {
    diff["changes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["initiative"]["id"] == id)
        .unwrap()["notes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["note"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn baselines_are_listed_read_and_deleted_by_whoever_may_and_by_no_one_else() {
    let app = spawn_app().await;
    let org = build(&app).await;
    let t = &org.account.token;
    let first = id_of(&take(&app, t, &org.root, "January").await);
    let second = id_of(&take(&app, t, &org.root, "February").await);
    let (listed, pages) = app
        .all_pages(t, &format!("/portfolios/{}/baselines", org.root), 1)
        .await;
    let names: Vec<&str> = listed.iter().map(|b| b["name"].as_str().unwrap()).collect();
    assert_eq!(
        (names, pages),
        (vec!["February", "January"], 2),
        "newest first, a page at a time"
    );
    let got = app.get_json(t, &format!("/baselines/{first}")).await;
    assert_eq!(got["initiatives"], 6);
    assert_eq!(got["figures"]["totals"]["late"], 1);
    // A bad name changes nothing.
    expect_problem(
        app.send_json(
            Method::POST,
            t,
            &format!("/portfolios/{}/baselines", org.root),
            json!({"name": "  "}),
            None,
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        Some("name"),
    )
    .await;
    // Viewers read but neither take nor delete; a member who owns nothing neither.
    for role in [Role::Viewer, Role::Member] {
        let member = app.add_member(&org.account, role).await;
        app.get_json(&member.token, &format!("/baselines/{first}/diff"))
            .await;
        expect_problem(
            app.send_json(
                Method::POST,
                &member.token,
                &format!("/portfolios/{}/baselines", org.root),
                json!({"name": "Mine"}),
                None,
            )
            .await,
            StatusCode::FORBIDDEN,
            None,
        )
        .await;
        expect_problem(
            app.api(Method::DELETE, &member.token, &format!("/baselines/{first}"))
                .send()
                .await
                .unwrap(),
            StatusCode::FORBIDDEN,
            None,
        )
        .await;
    }
    // Another organization finds none of it.
    let other = app.signup("Elsewhere").await;
    for path in [
        format!("/baselines/{first}"),
        format!("/baselines/{first}/diff"),
        format!("/portfolios/{}/baselines", org.root),
    ] {
        expect_problem(
            app.api(Method::GET, &other.token, &path).send().await.unwrap(),
            StatusCode::NOT_FOUND,
            None,
        )
        .await;
    }
    expect_problem(
        app.api(Method::DELETE, &other.token, &format!("/baselines/{first}"))
            .send()
            .await
            .unwrap(),
        StatusCode::NOT_FOUND,
        None,
    )
    .await;
    expect_problem(
        app.send_json(
            Method::POST,
            &other.token,
            &format!("/portfolios/{}/baselines", org.root),
            json!({"name": "Theirs"}),
            None,
        )
        .await,
        StatusCode::NOT_FOUND,
        None,
    )
    .await;
    let theirs_root = id_of(
        &app.create_portfolio(&other.token, "Elsewhere", "portfolio", None)
            .await,
    );
    let theirs = id_of(&take(&app, &other.token, &theirs_root, "Theirs").await);
    expect_problem(
        app.api(
            Method::GET,
            t,
            &format!("/baselines/{first}/diff?against={theirs}"),
        )
        .send()
        .await
        .unwrap(),
        StatusCode::UNPROCESSABLE_ENTITY,
        Some("against"),
    )
    .await;
    // The admin deletes one; it is gone, the other stays.
    let response = app
        .api(Method::DELETE, t, &format!("/baselines/{first}"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    expect_problem(
        app.api(Method::GET, t, &format!("/baselines/{first}"))
            .send()
            .await
            .unwrap(),
        StatusCode::NOT_FOUND,
        None,
    )
    .await;
    app.get_json(t, &format!("/baselines/{second}")).await;
}

#[tokio::test]
async fn the_baseline_page_reads_like_a_review_filtered_by_child_and_exported_as_csv() {
    let app = spawn_app().await;
    let org = build(&app).await;
    let t = &org.account.token;
    let work = make_work(&app, &org).await;
    let signed_in = app
        .sign_in_page(&org.account.email, &org.account.password, "")
        .await;
    assert_eq!(signed_in.status, StatusCode::SEE_OTHER);
    // Taken from the roll-up page's form: a bad name is said beside the field, a good one opens it.
    let refused = app
        .post_form(&format!("/portfolios/{}/baselines", org.root), &[("name", " ")])
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.field_error("name").is_some());
    let taken = app
        .post_form(
            &format!("/portfolios/{}/baselines", org.root),
            &[("name", "Q1 plan")],
        )
        .await;
    assert_eq!(taken.status, StatusCode::SEE_OTHER);
    let path = taken.location.unwrap();
    let id = path.trim_start_matches("/baselines/").to_owned();
    app.patch_json(
        t,
        &format!("/initiatives/{}", work.slips),
        json!({"target_date": day(43)}),
    )
    .await;
    app.post_json(
        t,
        &format!("/initiatives/{}/updates", work.slips),
        json!({"note": "Waiting on the tax service."}),
    )
    .await;
    app.patch_json(
        t,
        &format!("/initiatives/{}", work.moves_in),
        json!({"target_date": day(70)}),
    )
    .await;
    app.create_initiative(t, &org.platform, json!({"title": "New in Platform"}))
        .await;

    let page = app.get_page(&path).await;
    assert_eq!(page.status, StatusCode::OK);
    assert_eq!(page.text("h1"), "What changed since “Q1 plan”");
    assert_eq!(
        page.text(".summary-line"),
        "2 slipped by 16.5 days on average, 1 added."
    );
    let slipped = page.one(&format!(
        ".change-group.slipped tr[data-initiative-id='{}']",
        work.slips
    ));
    let text = slipped.text().collect::<String>();
    assert!(
        text.contains("(+23 days)") && text.contains("Waiting on the tax service."),
        "{text}"
    );
    assert_eq!(
        page.href(&format!(
            ".change-group.slipped tr[data-initiative-id='{}'] a",
            work.slips
        )),
        format!("/initiatives/{}#history", work.slips)
    );
    let figures: Vec<String> = page
        .select("table.baseline-figures tr")
        .iter()
        .map(|r| r.text().collect::<Vec<_>>().join("|"))
        .collect();
    assert!(
        figures
            .iter()
            .any(|r| r.contains("Initiatives") && r.contains("15") && r.contains("16") && r.contains("+1")),
        "{figures:?}"
    );
    // Filtered to Platform: its slip and its new work, not Commerce's slip.
    let platform = app
        .get_page(&format!("{path}?portfolio_id={}", org.platform))
        .await;
    assert_eq!(platform.text(".section-head#changes h2"), "Changes in Platform");
    assert_eq!(platform.select(".change-group.slipped tbody tr").len(), 1);
    assert!(
        platform
            .select(&format!("tr[data-initiative-id='{}']", work.slips))
            .is_empty()
    );
    assert_eq!(platform.select(".change-group.added tbody tr").len(), 1);
    // The roll-up page lists it and links here.
    let rollup = app.get_page(&format!("/portfolios/{}", org.root)).await;
    assert_eq!(rollup.href(".baseline-list a"), path);
    // The CSV: a header and one row per change, its notes included.
    let csv = app
        .client
        .get(app.url(&format!("/baselines/{id}/changes.csv")))
        .send()
        .await
        .unwrap();
    assert_eq!(csv.status(), StatusCode::OK);
    let body = csv.text().await.unwrap();
    let mut reader = csv::Reader::from_reader(body.as_bytes());
    let headers = reader.headers().unwrap().clone();
    assert_eq!(&headers[0], "key");
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 3);
    let slip = rows.iter().find(|r| &r[3] == "23").unwrap();
    assert_eq!(&slip[2], "slipped");
    assert!(slip[14].contains("Waiting on the tax service."));
    // Deleting it from its page goes back to the portfolio.
    let deleted = app.post_form(&format!("/baselines/{id}/delete"), &[]).await;
    assert_eq!(deleted.status, StatusCode::SEE_OTHER);
    assert_eq!(app.get_page(&path).await.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn an_organization_asking_for_quarter_baselines_gets_one_per_top_portfolio_once_a_quarter() {
    let app = spawn_app().await;
    let org = build(&app).await;
    let t = &org.account.token;
    let second_top = id_of(&app.create_portfolio(t, "Labs", "portfolio", None).await);
    // Not asked for: nothing is taken.
    assert_eq!(
        cairn::db::baselines::take_quarter_baselines(&app.pool)
            .await
            .unwrap(),
        0
    );
    app.patch_json(t, "/organization", json!({"quarter_baselines": true}))
        .await;
    // Several servers looking at once take them once.
    let (a, b, c) = tokio::join!(
        cairn::db::baselines::take_quarter_baselines(&app.pool),
        cairn::db::baselines::take_quarter_baselines(&app.pool),
        cairn::db::baselines::take_quarter_baselines(&app.pool),
    );
    assert_eq!(
        a.unwrap() + b.unwrap() + c.unwrap(),
        2,
        "one for each top-level portfolio"
    );
    assert_eq!(
        cairn::db::baselines::take_quarter_baselines(&app.pool)
            .await
            .unwrap(),
        0
    );
    let quarter = cairn::domain::period::Period::current_quarter(Utc::now().date_naive(), 1).to_string();
    for top in [&org.root, &second_top] {
        let (listed, _) = app
            .all_pages(t, &format!("/portfolios/{top}/baselines"), 10)
            .await;
        assert_eq!(listed.len(), 1);
        assert_eq!(listed[0]["name"], format!("{quarter} plan"));
        assert_eq!(listed[0]["created_by"], Value::Null, "taken by the server itself");
    }
    assert_eq!(app.get_json(t, "/organization").await["quarter_baselines"], true);
}
