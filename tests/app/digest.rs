//! The digest (SPEC §12): what changed in a subtree since a day — status and health changes and
//! notes, slipped target dates, work added, started and finished, key-result check-ins, dependency
//! conflicts that appeared — as JSON, as a printable page and as markdown for a chat channel. The
//! week's notes appear; older ones, and another subtree's, do not.

use chrono::{Duration, Utc};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{expect_problem, id_of, spawn_app};
use crate::rollups::build;

fn day(offset: i64) -> String {
    (Utc::now().date_naive() + Duration::days(offset)).to_string()
}

fn keys(list: &Value) -> Vec<String> {
    list.as_array()
        .unwrap()
        .iter()
        .map(|item| item["initiative"]["key"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn the_digest_says_what_changed_in_a_subtree_since_a_day_as_json_a_page_and_markdown() {
    let app = spawn_app().await;
    let org = build(&app).await;
    let t = &org.account.token;
    let key_of = async |id: &str| {
        app.get_json(t, &format!("/initiatives/{id}")).await["key"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    let (a, e, f) = (key_of(&org.a).await, key_of(&org.e).await, key_of(&org.f).await);

    // The organization's work was made a month ago; ten days ago, a note a week's digest leaves out.
    sqlx::query("UPDATE initiatives SET created_at = now() - interval '30 days' WHERE org_id = $1")
        .bind(org.account.org_id)
        .execute(&app.pool)
        .await
        .unwrap();
    app.post_json(
        t,
        &format!("/initiatives/{}/updates", org.a),
        json!({"note": "Old news from last month"}),
    )
    .await;
    sqlx::query("UPDATE status_updates SET created_at = now() - interval '10 days' WHERE note = 'Old news from last month'")
        .execute(&app.pool)
        .await
        .unwrap();
    // This week, in Commerce: a health change with its reason, a note alone, a slip, new work,
    // work started and finished, a check-in and a conflict.
    app.post_json(
        t,
        &format!("/initiatives/{}/updates", org.a),
        json!({"health": "at_risk", "note": "Card vendor is late"}),
    )
    .await;
    app.post_json(
        t,
        &format!("/initiatives/{}/updates", org.e),
        json!({"note": "Pilot customers love it"}),
    )
    .await;
    let old_target = app.get_json(t, &format!("/initiatives/{}", org.a)).await["target_date"]
        .as_str()
        .unwrap()
        .to_owned();
    app.patch_json(
        t,
        &format!("/initiatives/{}", org.a),
        json!({"target_date": day(30)}),
    )
    .await;
    let added = app.create_initiative(t, &org.payments, json!({"title": "Refund flow", "status": "planned", "start_date": day(10), "target_date": day(40)})).await;
    let added_key = added["key"].as_str().unwrap().to_owned();
    app.patch_json(
        t,
        &format!("/initiatives/{}", id_of(&added)),
        json!({"status": "in_progress"}),
    )
    .await;
    app.post_json(
        t,
        &format!("/initiatives/{}/updates", org.e),
        json!({"status": "done", "progress": 100}),
    )
    .await;
    let objective = id_of(
        &app.post_json(
            t,
            "/objectives",
            json!({"title": "Faster checkout", "portfolio_id": org.checkout, "period": "2026"}),
        )
        .await,
    );
    let kr = id_of(&app.post_json(t, &format!("/objectives/{objective}/key-results"),
        json!({"title": "Median checkout time", "start_value": 90, "target_value": 30, "current_value": 90, "unit": "s"})).await);
    app.send_json(
        Method::PATCH,
        t,
        &format!("/key-results/{kr}"),
        json!({"current_value": 70, "note": "One-page checkout live"}),
        None,
    )
    .await;
    // Platform's f blocks the refund flow, due after it starts: a new conflict in Commerce.
    app.patch_json(
        t,
        &format!("/initiatives/{}", org.f),
        json!({"start_date": day(0), "target_date": day(20)}),
    )
    .await;
    app.api(
        Method::PUT,
        t,
        &format!("/initiatives/{}/dependencies/{}", id_of(&added), org.f),
    )
    .send()
    .await
    .unwrap();

    let digest = app
        .get_json(t, &format!("/portfolios/{}/digest", org.commerce))
        .await;
    assert_eq!(digest["since"], day(-7), "a week by default");
    let notes: Vec<&str> = digest["updates"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|u| u["note"].as_str())
        .collect();
    assert!(
        notes.contains(&"Card vendor is late") && notes.contains(&"Pilot customers love it"),
        "{notes:?}"
    );
    assert!(!notes.contains(&"Old news from last month"));
    let health = digest["updates"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["note"] == "Card vendor is late")
        .unwrap();
    assert_eq!(
        (health["previous_health"].as_str(), health["health"].as_str()),
        (Some("on_track"), Some("at_risk"))
    );
    assert_eq!(
        digest["slipped"],
        json!([{
            "initiative": {"id": org.a, "key": a, "title": digest["slipped"][0]["initiative"]["title"]},
            "from": old_target, "to": day(30),
            "days": (chrono::NaiveDate::parse_from_str(&day(30), "%Y-%m-%d").unwrap()
                     - chrono::NaiveDate::parse_from_str(&old_target, "%Y-%m-%d").unwrap()).num_days(),
        }])
    );
    assert_eq!(keys(&digest["added"]), [added_key.as_str()]);
    assert_eq!(keys(&digest["started"]), [added_key.as_str()]);
    assert_eq!(keys(&digest["finished"]), [e.as_str()]);
    assert_eq!(
        digest["check_ins"][0]["key_result"]["name"],
        "Median checkout time"
    );
    assert_eq!(
        (
            digest["check_ins"][0]["previous_value"].as_f64(),
            digest["check_ins"][0]["value"].as_f64()
        ),
        (Some(90.0), Some(70.0))
    );
    assert_eq!(digest["check_ins"][0]["note"], "One-page checkout live");
    assert_eq!(keys(&digest["conflicts"]), [added_key.as_str()]);
    assert_eq!(digest["conflicts"][0]["blockers"], json!([f]));

    // Another subtree holds none of it; a longer look back holds the old note.
    let platform = app
        .get_json(t, &format!("/portfolios/{}/digest", org.platform))
        .await;
    for list in [
        "updates",
        "slipped",
        "added",
        "started",
        "finished",
        "check_ins",
        "conflicts",
    ] {
        assert_eq!(platform[list], json!([]), "{list}");
    }
    let month = app
        .get_json(
            t,
            &format!("/portfolios/{}/digest?since={}", org.commerce, day(-15)),
        )
        .await;
    assert!(
        month["updates"]
            .as_array()
            .unwrap()
            .iter()
            .any(|u| u["note"] == "Old news from last month")
    );
    let bad = app
        .api(
            Method::GET,
            t,
            &format!("/portfolios/{}/digest?since=last-week", org.commerce),
        )
        .send()
        .await
        .unwrap();
    expect_problem(bad, StatusCode::UNPROCESSABLE_ENTITY, Some("since")).await;

    // The page and its markdown say the same, for people and for a chat channel.
    app.sign_in_page(&org.account.email, &org.account.password, "")
        .await;
    let page = app
        .get_page(&format!("/portfolios/{}/digest", org.commerce))
        .await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.text(".digest-updates").contains("Card vendor is late"));
    assert!(!page.text("main").contains("Old news"));
    assert!(page.text(".digest-slipped").contains(&a));
    assert!(page.text(".digest-conflicts").contains(&f));
    let markdown = app
        .client
        .get(app.url(&format!("/portfolios/{}/digest?format=markdown", org.commerce)))
        .send()
        .await
        .unwrap();
    assert!(
        markdown.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/markdown")
    );
    let text = markdown.text().await.unwrap();
    assert!(text.starts_with("# Commerce: what changed since "), "{text}");
    for says in [
        "## Status and health",
        "Card vendor is late",
        "## Slipped",
        &format!("**{a}**"),
        "## Key results",
        "One-page checkout live",
        "## New dependency conflicts",
    ] {
        assert!(text.contains(says), "{says} in:\n{text}");
    }
    let asked = app
        .client
        .get(app.url(&format!("/portfolios/{}/digest", org.commerce)))
        .header("accept", "text/markdown")
        .send()
        .await
        .unwrap();
    assert_eq!(asked.text().await.unwrap(), text);
    let other = app.signup("Elsewhere").await;
    let foreign = app
        .api(
            Method::GET,
            &other.token,
            &format!("/portfolios/{}/digest", org.commerce),
        )
        .send()
        .await
        .unwrap();
    expect_problem(foreign, StatusCode::NOT_FOUND, None).await;
}
