//! Capacity on pages (SPEC §8): the roll-up page's panel with over-allocation in words and links
//! to the work behind each figure and, for whoever may edit the portfolio, the fields that set its
//! own capacity; the list's quarter filter with each row's share; and the capacity page's forms.

use chrono::{Duration, NaiveDate, Utc};
use reqwest::StatusCode;
use serde_json::json;

use crate::capacity::{Plan, build, capacity, set_capacity};
use crate::helpers::{Page, TestApp, id_of, spawn_app};
use cairn::domain::Role;
use cairn::domain::period::Period;

/// The quarter after this one (the panel shows this one and the next three) and its dates.
fn next_quarter() -> (Period, NaiveDate, NaiveDate) {
    let next = Period::current_quarter(Utc::now().date_naive(), 1).next();
    let (first, after) = next.dates(1);
    (next, first, after)
}

/// Root → Alpha and Beta, signed in as their admin, with Beta over-committed next quarter:
/// 20 pw of work over the whole quarter against 7.5 pw, and 10 pw across the quarter's end.
async fn signed_in_plan(app: &TestApp) -> (Plan, String) {
    let account = app.signup("Panel Co").await;
    let t = &account.token;
    let root = id_of(&app.create_portfolio(t, "Panel Co", "portfolio", None).await);
    let alpha = id_of(
        &app.create_portfolio(t, "Alpha", "product_line", Some(&root))
            .await,
    );
    let beta = id_of(&app.create_portfolio(t, "Beta", "product_line", Some(&root)).await);
    let plan = Plan {
        account,
        root,
        alpha,
        beta,
    };
    let (next, first, after) = next_quarter();
    let t = &plan.account.token;
    set_capacity(app, t, &plan.beta, &next.to_string(), 7.5).await;
    let whole = json!({"title": "Whole quarter", "status": "in_progress", "effort": 20,
                       "start_date": first.to_string(), "target_date": (after - Duration::days(1)).to_string()});
    app.create_initiative(t, &plan.beta, whole).await;
    // 17 days in the quarter, 15 after it: 10 × 17/32 = 5.3 pw of it is this quarter's.
    let across = json!({"title": "Across the end", "status": "planned", "effort": 10,
                        "start_date": (after - Duration::days(17)).to_string(),
                        "target_date": (after + Duration::days(14)).to_string()});
    let across = id_of(&app.create_initiative(t, &plan.beta, across).await);
    let signed_in = app
        .sign_in_page(&plan.account.email, &plan.account.password, "")
        .await;
    assert_eq!(signed_in.status, StatusCode::SEE_OTHER);
    (plan, across)
}

fn cell<'a>(page: &'a Page, portfolio: &str, period: Period) -> scraper::ElementRef<'a> {
    page.one(&format!(
        ".capacity-table tr[data-portfolio-id='{portfolio}'] td[data-period='{period}']"
    ))
}

fn text_of(element: scraper::ElementRef<'_>, selector: &str) -> String {
    let selector = scraper::Selector::parse(selector).unwrap();
    let found = element
        .select(&selector)
        .next()
        .unwrap_or_else(|| panic!("no {selector:?}"));
    found.text().collect::<String>().trim().to_owned()
}

fn href_of(element: scraper::ElementRef<'_>, selector: &str) -> String {
    let selector = scraper::Selector::parse(selector).unwrap();
    element
        .select(&selector)
        .next()
        .unwrap()
        .value()
        .attr("href")
        .unwrap()
        .to_owned()
}

#[tokio::test]
async fn the_roll_up_page_shows_over_allocation_in_words_with_links_to_the_work() {
    let app = spawn_app().await;
    let (plan, across) = signed_in_plan(&app).await;
    let (next, ..) = next_quarter();
    let page = app.get_page(&format!("/portfolios/{}", plan.root)).await;
    assert_eq!(page.status, StatusCode::OK);
    // Four quarters from this one, for the portfolio and each child.
    assert_eq!(page.select(".capacity-table thead th.num").len(), 5);
    assert_eq!(page.select(".capacity-table tbody tr").len(), 3);
    let beta = cell(&page, &plan.beta, next);
    assert_eq!(text_of(beta, ".capacity-figure"), "7.5");
    assert_eq!(text_of(beta, ".demand"), "25.3");
    assert_eq!(text_of(beta, ".free"), "-17.8");
    assert_eq!(text_of(beta, ".over"), "+17.8 pw over");
    assert!(beta.value().classes().any(|c| c == "over-allocated"));
    // Alpha has no capacity next quarter and no work in it: nothing over.
    let alpha = cell(&page, &plan.alpha, next);
    assert!(
        alpha
            .select(&scraper::Selector::parse(".over").unwrap())
            .next()
            .is_none()
    );
    assert_eq!(text_of(alpha, ".utilisation"), "–");
    // The demand links to Beta's planned and in-progress work touching the quarter, with shares.
    let demand = href_of(beta, ".demand");
    assert_eq!(
        demand,
        format!(
            "/initiatives?portfolio_id={}&scope=active&quarter={next}",
            plan.beta
        )
    );
    let list = app.get_page(&demand).await;
    assert_eq!(list.status, StatusCode::OK);
    assert_eq!(list.select("table.initiatives tbody tr").len(), 2);
    let row = list.one(&format!("tr[data-initiative-id='{across}']"));
    assert_eq!(text_of(row, "td.share"), "5.3 pw");
    let headers = list.select("table.initiatives thead th");
    let last = headers.last().unwrap().text().collect::<String>();
    assert_eq!(last, format!("Share of {next}"));
    // The capacity figure leads to where it is set.
    assert_eq!(
        href_of(beta, ".capacity-figure"),
        format!("/portfolios/{}/capacity", plan.beta)
    );
}

#[tokio::test]
async fn the_quarter_filter_lists_work_touching_the_quarter_with_its_share() {
    let app = spawn_app().await;
    let (plan, across) = signed_in_plan(&app).await;
    let (next, ..) = next_quarter();
    let after = next.next();
    let list = app
        .get_page(&format!(
            "/initiatives?portfolio_id={}&quarter={after}",
            plan.beta
        ))
        .await;
    // Only the initiative across the end reaches the quarter after: 10 × 15/32 = 4.7 pw.
    assert_eq!(list.select("table.initiatives tbody tr").len(), 1);
    assert_eq!(
        text_of(
            list.one(&format!("tr[data-initiative-id='{across}']")),
            "td.share"
        ),
        "4.7 pw"
    );
    assert_eq!(
        list.value("#filter-quarter").as_deref(),
        Some(after.to_string().as_str())
    );
    // The API's list filters the same way; a year is not a quarter.
    let api = app
        .get_json(
            &plan.account.token,
            &format!("/initiatives?portfolio_id={}&quarter={after}", plan.beta),
        )
        .await;
    assert_eq!(api["items"].as_array().unwrap().len(), 1);
    let response = app
        .api(
            reqwest::Method::GET,
            &plan.account.token,
            "/initiatives?quarter=2027",
        )
        .send()
        .await
        .unwrap();
    crate::helpers::expect_problem(response, StatusCode::UNPROCESSABLE_ENTITY, Some("quarter")).await;
}

#[tokio::test]
async fn the_capacity_form_saves_each_quarter_and_keeps_a_refused_value_beside_its_field() {
    let app = spawn_app().await;
    let (plan, _) = signed_in_plan(&app).await;
    let (next, ..) = next_quarter();
    let path = format!("/portfolios/{}/capacity", plan.beta);
    let page = app.get_page(&path).await;
    assert_eq!(page.status, StatusCode::OK);
    assert_eq!(page.select(".capacity-quarter form").len(), 4);
    let quarter = format!(".capacity-quarter[data-period='{next}']");
    assert_eq!(
        page.value(&format!("{quarter} input[name='person_weeks']"))
            .as_deref(),
        Some("7.5")
    );
    assert_eq!(page.text(&format!("{quarter} .over")), "+17.8 pw over");
    // Refused: the error beside the field, what was typed kept.
    let refused = app.submit(&path, &page_form(&page, next, "-3")).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    let form = refused.one(&quarter);
    assert_eq!(
        text_of(form, ".field-error"),
        "Person-weeks must be a number from 0 to 999,999,999"
    );
    assert_eq!(
        text_of(form, "input[name='person_weeks'] ~ .hint"),
        "0 or more, e.g. 12.5"
    );
    let typed = scraper::Selector::parse("input[name='person_weeks']").unwrap();
    assert_eq!(
        form.select(&typed).next().unwrap().value().attr("value"),
        Some("-3")
    );
    assert_eq!(refused.select(".field-error").len(), 1);
    // Saved: back to the page, and the API sees it.
    let saved = app.submit(&path, &page_form(&refused, next, "30")).await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER);
    assert_eq!(saved.location, Some(format!("{path}?saved={next}")));
    let answer = capacity(
        &app,
        &plan.account.token,
        &plan.beta,
        &format!("from={next}&quarters=1"),
    )
    .await;
    assert_eq!(answer["quarters"][0]["capacity"], json!(30.0));
    let shown = app.get_page(&saved.location.unwrap()).await;
    assert_eq!(
        shown.text(".alert.success"),
        format!("Saved the capacity for {next}.")
    );
}

#[tokio::test]
async fn viewers_read_capacity_but_get_no_form_and_may_not_post_one() {
    let app = spawn_app().await;
    let plan = build(&app).await;
    let (next, ..) = next_quarter();
    let (viewer, viewer_app) = app.signed_in_member(&plan.account, Role::Viewer).await;
    let _ = viewer;
    let path = format!("/portfolios/{}/capacity", plan.alpha);
    let page = viewer_app.get_page(&path).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.select(".capacity-quarter form").is_empty());
    let refused = viewer_app
        .post_form(
            &path,
            &[
                ("period", &next.to_string()),
                ("version", "0"),
                ("person_weeks", "3"),
            ],
        )
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
}

/// Two people edit the same quarter from pages opened at the same time: the second to save is told
/// what the first saved, beside the field that keeps what they typed, and nothing of theirs is
/// written until they save again.
#[tokio::test]
async fn a_quarter_saved_by_someone_else_since_the_page_opened_is_not_overwritten_unseen() {
    let app = spawn_app().await;
    let (plan, _) = signed_in_plan(&app).await;
    let (next, ..) = next_quarter();
    let t = &plan.account.token;
    for (path, form_of) in [
        (
            format!("/portfolios/{}/capacity", plan.beta),
            page_form as fn(&Page, Period, &str) -> _,
        ),
        (format!("/portfolios/{}", plan.beta), panel_form),
    ] {
        let opened = app.get_page(&path).await;
        set_capacity(&app, t, &plan.beta, &next.to_string(), 21.0).await;
        let refused = app
            .submit(
                &format!("/portfolios/{}/capacity", plan.beta),
                &form_of(&opened, next, "11"),
            )
            .await;
        assert_eq!(refused.status, StatusCode::CONFLICT, "{path}");
        assert_eq!(refused.select(".field-error").len(), 1, "{path}");
        let said = refused.text(".field-error");
        assert!(
            said.ends_with(
                "was set to 21 pw by someone else since this page was opened; save again to replace it with yours"
            ),
            "{path}: {said}"
        );
        let kept = capacity(&app, t, &plan.beta, &format!("from={next}&quarters=1")).await;
        assert_eq!(
            kept["quarters"][0]["capacity"],
            json!(21.0),
            "theirs stays: {path}"
        );
        // The form came back with what was typed, at the current version: saving it again wins.
        let again = form_of(&refused, next, "11");
        assert!(again.contains(&("person_weeks".to_owned(), "11".to_owned())));
        let saved = app
            .submit(&format!("/portfolios/{}/capacity", plan.beta), &again)
            .await;
        assert_eq!(saved.status, StatusCode::SEE_OTHER, "{path}");
        let now = capacity(&app, t, &plan.beta, &format!("from={next}&quarters=1")).await;
        assert_eq!(now["quarters"][0]["capacity"], json!(11.0), "{path}");
    }
}

/// What the capacity page's form for `period` sends with `person_weeks` typed in.
fn page_form(page: &Page, period: Period, person_weeks: &str) -> Vec<(String, String)> {
    form_fields(
        page,
        &format!(".capacity-quarter[data-period='{period}'] form"),
        person_weeks,
    )
}

/// What the roll-up panel's form for `period` sends with `person_weeks` typed in: its hidden
/// fields as the page has them.
fn panel_form(page: &Page, period: Period, person_weeks: &str) -> Vec<(String, String)> {
    form_fields(
        page,
        &format!(".own-capacity-form[data-period='{period}']"),
        person_weeks,
    )
}

/// The hidden fields of the form at `selector`, and `person_weeks` typed in.
fn form_fields(page: &Page, selector: &str, person_weeks: &str) -> Vec<(String, String)> {
    let form = page.one(selector);
    let hidden = scraper::Selector::parse("input[type='hidden']").unwrap();
    form.select(&hidden)
        .map(|input| {
            let attr = |name| input.value().attr(name).unwrap_or_default().to_owned();
            (attr("name"), attr("value"))
        })
        .chain([("person_weeks".to_owned(), person_weeks.to_owned())])
        .collect()
}

#[tokio::test]
async fn the_roll_up_panel_sets_the_portfolios_own_capacity_and_the_next_read_shows_it() {
    let app = spawn_app().await;
    let (plan, _) = signed_in_plan(&app).await;
    let (next, ..) = next_quarter();
    let rollup = format!("/portfolios/{}", plan.beta);
    let root = format!("/portfolios/{}", plan.root);
    // The parent's page is read first, so its parts are kept for the data as it was.
    let parent = app.get_page(&root).await;
    assert_eq!(
        text_of(cell(&parent, &plan.beta, next), ".capacity-figure"),
        "7.5"
    );

    let page = app.get_page(&rollup).await;
    assert_eq!(page.select(".own-capacity-form").len(), 4);
    let quarter = format!(".own-capacity-form[data-period='{next}']");
    let form = page.one(&quarter);
    assert_eq!(
        form.value().attr("action"),
        Some(format!("/portfolios/{}/capacity#capacity", plan.beta).as_str())
    );
    assert_eq!(text_of(form, "label"), format!("{next} (person-weeks)"));
    assert_eq!(
        page.value(&format!("{quarter} input[name='person_weeks']"))
            .as_deref(),
        Some("7.5")
    );

    let action = format!("/portfolios/{}/capacity", plan.beta);
    let saved = app.submit(&action, &panel_form(&page, next, "12")).await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER);
    let back = format!("{rollup}?capacity_saved={next}#capacity");
    assert_eq!(saved.location.as_deref(), Some(back.as_str()));
    let shown = app.get_page(&back).await;
    assert_eq!(
        text_of(cell(&shown, &plan.beta, next), ".capacity-figure"),
        "12.0"
    );
    // 25.3 pw of demand against 12: still over, by less.
    assert_eq!(text_of(cell(&shown, &plan.beta, next), ".over"), "+13.3 pw over");
    assert_eq!(
        shown.text(".own-capacity .alert.success"),
        format!("Saved the capacity for {next}.")
    );
    assert_eq!(
        shown
            .value(&format!("{quarter} input[name='person_weeks']"))
            .as_deref(),
        Some("12")
    );
    let answer = capacity(
        &app,
        &plan.account.token,
        &plan.beta,
        &format!("from={next}&quarters=1"),
    )
    .await;
    assert_eq!(answer["quarters"][0]["capacity"], json!(12.0));
    let parent = app.get_page(&root).await;
    assert_eq!(
        text_of(cell(&parent, &plan.beta, next), ".capacity-figure"),
        "12.0"
    );

    // Refused: the roll-up page again, the message beside that quarter's field, what was typed
    // kept, nothing written.
    let refused = app.submit(&action, &panel_form(&page, next, "-3")).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(refused.text("h1"), "Beta");
    assert_eq!(refused.select(".field-error").len(), 1);
    let form = refused.one(&quarter);
    assert_eq!(
        text_of(form, ".field-error"),
        format!("{next} (person-weeks) must be a number from 0 to 999,999,999")
    );
    let field = refused.one(&format!("{quarter} input[name='person_weeks']"));
    assert_eq!(field.value().attr("value"), Some("-3"));
    assert_eq!(field.value().attr("aria-invalid"), Some("true"));
    assert!(field.value().attr("autofocus").is_some());
    let error_id = form
        .select(&scraper::Selector::parse(".field-error").unwrap())
        .next()
        .unwrap()
        .value()
        .id()
        .unwrap()
        .to_owned();
    assert!(
        field
            .value()
            .attr("aria-describedby")
            .unwrap()
            .split(' ')
            .any(|id| id == error_id)
    );
    let answer = capacity(
        &app,
        &plan.account.token,
        &plan.beta,
        &format!("from={next}&quarters=1"),
    )
    .await;
    assert_eq!(answer["quarters"][0]["capacity"], json!(12.0));
}

#[tokio::test]
async fn a_viewer_sees_the_roll_up_panel_without_its_forms_and_may_not_post_one() {
    let app = spawn_app().await;
    let (plan, _) = signed_in_plan(&app).await;
    let (next, ..) = next_quarter();
    let (_, viewer_app) = app.signed_in_member(&plan.account, Role::Viewer).await;
    let rollup = format!("/portfolios/{}", plan.beta);
    // The admin reads first: the viewer's page is made of the same kept parts, without forms.
    let admin_page = app.get_page(&rollup).await;
    assert_eq!(admin_page.select(".own-capacity-form").len(), 4);
    let page = viewer_app.get_page(&rollup).await;
    assert_eq!(page.status, StatusCode::OK);
    assert_eq!(text_of(cell(&page, &plan.beta, next), ".capacity-figure"), "7.5");
    assert!(page.select(".own-capacity, .own-capacity-form").is_empty());
    // And the other way round.
    assert_eq!(app.get_page(&rollup).await.select(".own-capacity-form").len(), 4);

    let action = format!("/portfolios/{}/capacity", plan.beta);
    for person_weeks in ["3", "-3"] {
        let refused = viewer_app
            .submit(&action, &panel_form(&admin_page, next, person_weeks))
            .await;
        assert_eq!(refused.status, StatusCode::FORBIDDEN, "{person_weeks}");
    }
    // The admin's change shows on the viewer's next read.
    let saved = app.submit(&action, &panel_form(&admin_page, next, "9")).await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER);
    let page = viewer_app.get_page(&rollup).await;
    assert_eq!(text_of(cell(&page, &plan.beta, next), ".capacity-figure"), "9.0");
}

#[tokio::test]
async fn the_demo_has_capacity_at_every_level_and_teams_over_committed() {
    let app = spawn_app().await;
    let demo = cairn::demo::load(&app.pool).await.unwrap();
    let (unset, over): (i64, i64) = sqlx::query_as(
        "SELECT (SELECT count(*) FROM portfolios p WHERE p.org_id = $1 AND NOT EXISTS (
                     SELECT 1 FROM portfolio_capacity k WHERE k.org_id = p.org_id AND k.portfolio_id = p.id)),
                (SELECT count(*) FROM portfolio_quarter_totals t JOIN portfolios p ON p.org_id = t.org_id AND p.id = t.portfolio_id
                 WHERE t.org_id = $1 AND p.level = 'area' AND t.demand > t.capacity)",
    )
    .bind(demo.org_id)
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(unset, 0, "every portfolio has capacity");
    assert!(over >= 3, "some teams are over-committed: {over}");
}
