//! Priorities (SPEC §8): the subtree's open work ranked by a score or by the manual order, with
//! remaining and cumulative effort held against the quarter's capacity, through the API, the page
//! and its CSV; and the manual order's writes.

use cairn::domain::Role;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{Account, TestApp, expect_problem, expect_status, id_of, spawn_app};

/// The quarter the tests plan: far enough ahead that no date moves under them.
pub(crate) const QUARTER: &str = "2031-Q1";

/// A product line with a team inside, and open and closed work with hand-computed RICE scores:
///
/// | key | where | status      | RICE inputs        | score | effort | progress | remaining |
/// |-----|-------|-------------|--------------------|-------|--------|----------|-----------|
/// | a   | line  | planned     | 1,000 × 2 × 80 % ÷ 4   | 400 | 4   | 50 | 2   |
/// | b   | line  | in_progress | 500 × 1 × 100 % ÷ 2.5  | 200 | 2.5 | 20 | 2   |
/// | c   | team  | proposed    | 100 × 3 × 50 % ÷ 1     | 150 | 1   | 0  | 1   |
/// | d   | line  | proposed    | 100 × 3 × 50 % ÷ 1     | 150 | 1   | 0  | 1   |
/// | e   | line  | proposed    | (none)                 | –   | 3   | 0  | 3   |
/// | f   | line  | done        | 9,999 × 3 × 100 % ÷ 1  | (closed: not ranked)     |
/// | g   | team  | cancelled   | 9,999 × 3 × 100 % ÷ 1  | (closed: not ranked)     |
///
/// WSJF's cost of delay (business value, time criticality, risk reduction, each on the scale):
/// a 1 + 1 + 1 ÷ 4 = 0.75, b 20 × 3 ÷ 2.5 = 24, c 8 × 3 ÷ 1 = 24, d 13 × 3 ÷ 1 = 39, e 2 × 3 ÷ 3 = 2.
///
/// Capacity in `QUARTER`: 4 pw for the line, 1 for the team: 5 for the line's subtree.
pub(crate) struct Backlog {
    pub admin: Account,
    pub line: String,
    team: String,
    /// a … g by letter.
    ids: Vec<(char, String)>,
}

impl Backlog {
    pub fn id(&self, letter: char) -> &str {
        &self.ids.iter().find(|(l, _)| *l == letter).unwrap().1
    }

    /// The letters of the items of an answer, in order.
    fn letters(&self, answer: &Value) -> String {
        answer["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|item| {
                let id = item["initiative"]["id"].as_str().unwrap();
                self.ids
                    .iter()
                    .find(|(_, i)| i == id)
                    .map(|(l, _)| *l)
                    .unwrap_or('?')
            })
            .collect()
    }
}

pub(crate) async fn backlog(app: &TestApp) -> Backlog {
    let admin = app.signup("Northwind").await;
    let line = id_of(
        &app.create_portfolio(&admin.token, "Payments", "product_line", None)
            .await,
    );
    let team = id_of(
        &app.create_portfolio(&admin.token, "Checkout", "product", Some(&line))
            .await,
    );
    let rows: [(char, &str, Value); 7] = [
        (
            'a',
            &line,
            json!({"status": "planned", "reach": 1000, "impact": 2, "confidence": 80, "effort": 4, "progress": 50}),
        ),
        (
            'b',
            &line,
            json!({"status": "in_progress", "reach": 500, "impact": 1, "confidence": 100, "effort": 2.5, "progress": 20}),
        ),
        (
            'c',
            &team,
            json!({"status": "proposed", "reach": 100, "impact": 3, "confidence": 50, "effort": 1}),
        ),
        (
            'd',
            &line,
            json!({"status": "proposed", "reach": 100, "impact": 3, "confidence": 50, "effort": 1}),
        ),
        ('e', &line, json!({"status": "proposed", "effort": 3})),
        (
            'f',
            &line,
            json!({"status": "done", "reach": 9999, "impact": 3, "confidence": 100, "effort": 1}),
        ),
        (
            'g',
            &team,
            json!({"status": "cancelled", "reach": 9999, "impact": 3, "confidence": 100, "effort": 1}),
        ),
    ];
    let mut ids = Vec::new();
    let cost_of_delay = [('a', 1), ('b', 20), ('c', 8), ('d', 13), ('e', 2)];
    for (letter, portfolio, mut fields) in rows {
        fields["title"] = json!(format!("Initiative {letter}"));
        if let Some((_, value)) = cost_of_delay.iter().find(|(l, _)| *l == letter) {
            for field in ["business_value", "time_criticality", "risk_reduction"] {
                fields[field] = json!(value);
            }
        }
        ids.push((
            letter,
            id_of(&app.create_initiative(&admin.token, portfolio, fields).await),
        ));
    }
    for (portfolio, weeks) in [(&line, 4), (&team, 1)] {
        let set = app
            .send_json(
                Method::PUT,
                &admin.token,
                &format!("/portfolios/{portfolio}/capacity/{QUARTER}"),
                json!({"person_weeks": weeks}),
                None,
            )
            .await;
        expect_status(set, StatusCode::OK).await;
    }
    Backlog {
        admin,
        line,
        team,
        ids,
    }
}

async fn priorities(app: &TestApp, backlog: &Backlog, portfolio: &str, query: &str) -> Value {
    app.get_json(
        &backlog.admin.token,
        &format!("/portfolios/{portfolio}/priorities?period={QUARTER}{query}"),
    )
    .await
}

fn column(answer: &Value, field: &str) -> Vec<Value> {
    answer["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|item| item[field].clone())
        .collect()
}

#[tokio::test]
async fn open_work_is_ranked_by_rice_with_the_running_total_against_capacity() {
    let app = spawn_app().await;
    let backlog = backlog(&app).await;

    let ranked = priorities(&app, &backlog, &backlog.line, "").await;
    assert_eq!(ranked["period"], QUARTER);
    assert_eq!(ranked["capacity"], 5.0, "the subtree's capacity: 4 + 1");
    assert_eq!(
        backlog.letters(&ranked),
        "abcde",
        "highest first, the tie by key, the score-less last, closed work left out"
    );
    assert_eq!(
        column(&ranked, "score"),
        [
            json!(400.0),
            json!(200.0),
            json!(150.0),
            json!(150.0),
            Value::Null
        ]
    );
    assert_eq!(
        column(&ranked, "remaining_effort"),
        [json!(2.0), json!(2.0), json!(1.0), json!(1.0), json!(3.0)]
    );
    assert_eq!(
        column(&ranked, "cumulative_effort"),
        [json!(2.0), json!(4.0), json!(5.0), json!(6.0), json!(9.0)]
    );
    assert_eq!(
        column(&ranked, "fits"),
        [json!(true), json!(true), json!(true), json!(false), json!(false)],
        "the cut line falls after c: exactly at capacity still fits"
    );
    let formula = ranked["items"][0]["formula"].as_str().unwrap();
    assert!(formula.starts_with("RICE 400.00 = "), "{formula}");
    assert_eq!(ranked["next_cursor"], Value::Null);

    // The team's own subtree: its one open initiative and its own capacity.
    let team = priorities(&app, &backlog, &backlog.team, "").await;
    assert_eq!(
        (backlog.letters(&team).as_str(), &team["capacity"]),
        ("c", &json!(1.0))
    );
    assert_eq!(column(&team, "fits"), [json!(true)]);

    // Filters as on the initiative list: the running total is over what is shown.
    let proposed = priorities(&app, &backlog, &backlog.line, "&status=proposed").await;
    assert_eq!(backlog.letters(&proposed), "cde");
    assert_eq!(
        column(&proposed, "cumulative_effort"),
        [json!(1.0), json!(2.0), json!(5.0)]
    );

    // By WSJF: b and c tie at 24.00 and go by key.
    let wsjf = priorities(&app, &backlog, &backlog.line, "&by=wsjf").await;
    assert_eq!(backlog.letters(&wsjf), "dbcea");
    assert_eq!(
        column(&wsjf, "score"),
        [json!(39.0), json!(24.0), json!(24.0), json!(2.0), json!(0.75)]
    );
    assert_eq!(wsjf["items"][0]["formula"], "WSJF 39.00 = (13 + 13 + 13) ÷ 1 pw");
    assert_eq!(
        column(&wsjf, "fits"),
        [json!(true), json!(true), json!(true), json!(false), json!(false)]
    );

    // Pages carry the running total over.
    let first = priorities(&app, &backlog, &backlog.line, "&limit=2").await;
    assert_eq!(backlog.letters(&first), "ab");
    let cursor = first["next_cursor"].as_str().unwrap().to_owned();
    let second = priorities(
        &app,
        &backlog,
        &backlog.line,
        &format!("&limit=2&cursor={cursor}"),
    )
    .await;
    assert_eq!(backlog.letters(&second), "cd");
    assert_eq!(column(&second, "cumulative_effort"), [json!(5.0), json!(6.0)]);

    // The next request after a write reads afresh: more capacity moves the cut line down.
    let more = app
        .send_json(
            Method::PUT,
            &backlog.admin.token,
            &format!("/portfolios/{}/capacity/{QUARTER}", backlog.line),
            json!({"person_weeks": 5}),
            None,
        )
        .await;
    expect_status(more, StatusCode::OK).await;
    let again = priorities(&app, &backlog, &backlog.line, "").await;
    assert_eq!(again["capacity"], 6.0);
    assert_eq!(column(&again, "fits")[3], json!(true), "d now fits: 6 of 6 pw");

    // A quarter without capacity: nothing fits.
    let later = app
        .get_json(
            &backlog.admin.token,
            &format!("/portfolios/{}/priorities?period=2031-Q2", backlog.line),
        )
        .await;
    assert_eq!(later["capacity"], 0.0);
    assert!(column(&later, "fits").iter().all(|fits| fits == &json!(false)));
}

#[tokio::test]
async fn bad_requests_name_the_field_and_others_see_nothing() {
    let app = spawn_app().await;
    let backlog = backlog(&app).await;
    let path = format!("/portfolios/{}/priorities", backlog.line);
    for (query, field) in [
        ("by=votes", "by"),
        ("period=2031", "period"),
        ("period=Q1", "period"),
        ("status=done", "status"),
        ("limit=501", "limit"),
        ("owner_id=nobody", "owner_id"),
    ] {
        let answer = app
            .api(Method::GET, &backlog.admin.token, &format!("{path}?{query}"))
            .send()
            .await
            .unwrap();
        expect_problem(answer, StatusCode::UNPROCESSABLE_ENTITY, Some(field)).await;
    }
    let other = app.signup("Other").await;
    let theirs = app.api(Method::GET, &other.token, &path).send().await.unwrap();
    expect_problem(theirs, StatusCode::NOT_FOUND, None).await;
    let missing = format!("/portfolios/{}/priorities", uuid::Uuid::now_v7());
    let missing = app
        .api(Method::GET, &backlog.admin.token, &missing)
        .send()
        .await
        .unwrap();
    expect_problem(missing, StatusCode::NOT_FOUND, None).await;
}

async fn rank_order(app: &TestApp, backlog: &Backlog) -> String {
    backlog.letters(&priorities(app, backlog, &backlog.line, "&by=rank").await)
}

async fn move_rank(app: &TestApp, token: &str, id: &str, body: Value) -> reqwest::Response {
    app.send_json(Method::PUT, token, &format!("/initiatives/{id}/rank"), body, None)
        .await
}

#[tokio::test]
async fn the_manual_order_is_applied_from_a_score_and_moved_one_at_a_time() {
    let app = spawn_app().await;
    let mut backlog = backlog(&app).await;
    let token = backlog.admin.token.clone();
    assert_eq!(rank_order(&app, &backlog).await, "abcde", "never ranked: by key");

    // e gets the highest RICE score: 10,000 × 3 × 100 % ÷ 3 pw.
    app.patch_json(
        &token,
        &format!("/initiatives/{}", backlog.id('e')),
        json!({"reach": 10_000, "impact": 3, "confidence": 100}),
    )
    .await;
    let apply = format!("/portfolios/{}/priorities/apply", backlog.line);
    let applied = app
        .send_json(Method::POST, &token, &apply, json!({"by": "rice"}), None)
        .await;
    assert_eq!(expect_status(applied, StatusCode::OK).await["ranked"], 5);
    assert_eq!(
        rank_order(&app, &backlog).await,
        "eabcd",
        "RICE's order, e now first"
    );

    let moved = move_rank(
        &app,
        &token,
        backlog.id('d'),
        json!({"before_id": backlog.id('e')}),
    )
    .await;
    assert_eq!(
        expect_status(moved, StatusCode::OK).await["rank"],
        0.0,
        "one before the first"
    );
    assert_eq!(rank_order(&app, &backlog).await, "deabc");
    move_rank(
        &app,
        &token,
        backlog.id('d'),
        json!({"after_id": backlog.id('a')}),
    )
    .await;
    assert_eq!(
        rank_order(&app, &backlog).await,
        "eadbc",
        "halfway between a and b"
    );
    move_rank(
        &app,
        &token,
        backlog.id('c'),
        json!({"before_id": backlog.id('a')}),
    )
    .await;
    assert_eq!(rank_order(&app, &backlog).await, "ecadb");

    // New work has no rank: it comes last, by key; moving after it ranks it where it showed.
    let h = app
        .create_initiative(
            &token,
            &backlog.team,
            json!({"title": "Initiative h", "status": "proposed"}),
        )
        .await;
    backlog.ids.push(('h', id_of(&h)));
    assert_eq!(rank_order(&app, &backlog).await, "ecadbh");
    move_rank(
        &app,
        &token,
        backlog.id('e'),
        json!({"after_id": backlog.id('h')}),
    )
    .await;
    assert_eq!(rank_order(&app, &backlog).await, "cadbhe");

    // The team's view is the same order restricted to it.
    let team = priorities(&app, &backlog, &backlog.team, "&by=rank").await;
    assert_eq!(backlog.letters(&team), "ch");

    // Moves that cannot be made name the field and change nothing.
    for (body, field) in [
        (json!({}), "before_id"),
        (
            json!({"before_id": backlog.id('a'), "after_id": backlog.id('b')}),
            "before_id",
        ),
        (json!({"before_id": uuid::Uuid::now_v7()}), "before_id"),
        (json!({"after_id": backlog.id('c')}), "after_id"),
    ] {
        let refused = move_rank(&app, &token, backlog.id('c'), body).await;
        expect_problem(refused, StatusCode::UNPROCESSABLE_ENTITY, Some(field)).await;
    }
    assert_eq!(rank_order(&app, &backlog).await, "cadbhe");
}

#[tokio::test]
async fn only_whoever_may_edit_the_portfolio_orders_its_work() {
    let app = spawn_app().await;
    let backlog = backlog(&app).await;
    let viewer = app.add_member(&backlog.admin, Role::Viewer).await;
    let member = app.add_member(&backlog.admin, Role::Member).await;
    let apply = format!("/portfolios/{}/priorities/apply", backlog.line);
    for token in [&viewer.token, &member.token] {
        app.expect_refused(
            Method::POST,
            token,
            &apply,
            json!({"by": "rice"}),
            StatusCode::FORBIDDEN,
        )
        .await;
        let moved = move_rank(
            &app,
            token,
            backlog.id('b'),
            json!({"before_id": backlog.id('a')}),
        )
        .await;
        expect_problem(moved, StatusCode::FORBIDDEN, None).await;
        // Reading is every member's.
        let read = app
            .api(
                Method::GET,
                token,
                &format!("/portfolios/{}/priorities", backlog.line),
            )
            .send()
            .await
            .unwrap();
        expect_status(read, StatusCode::OK).await;
    }
    let other = app.signup("Other").await;
    app.expect_refused(
        Method::POST,
        &other.token,
        &apply,
        json!({"by": "rice"}),
        StatusCode::NOT_FOUND,
    )
    .await;
    let theirs = move_rank(
        &app,
        &other.token,
        backlog.id('b'),
        json!({"before_id": backlog.id('a')}),
    )
    .await;
    expect_problem(theirs, StatusCode::NOT_FOUND, None).await;
    assert_eq!(rank_order(&app, &backlog).await, "abcde", "nothing was ranked");
}

#[tokio::test]
async fn the_page_draws_the_cut_line_switches_scores_and_moves_rows() {
    let app = spawn_app().await;
    let backlog = backlog(&app).await;
    let signed_in = app
        .sign_in_page(&backlog.admin.email, &backlog.admin.password, "")
        .await;
    assert_eq!(signed_in.status, StatusCode::SEE_OTHER);
    let path = format!("/portfolios/{}/priorities?period={QUARTER}", backlog.line);

    let rollup = app.get_page(&format!("/portfolios/{}", backlog.line)).await;
    assert_eq!(
        rollup.href("a.priorities"),
        format!("/portfolios/{}/priorities", backlog.line)
    );

    let page = app.get_page(&path).await;
    assert_eq!(page.status, StatusCode::OK);
    let keys: Vec<String> = page
        .select("table.priorities tbody tr[data-key]")
        .iter()
        .map(|row| row.value().attr("data-key").unwrap().to_owned())
        .collect();
    assert_eq!(keys.len(), 5);
    let cut = page.select("table.priorities tr.cut-line");
    assert_eq!(cut.len(), 1, "one cut line");
    assert!(
        page.text("tr.cut-line").contains("5 of 5 pw"),
        "{}",
        page.text("tr.cut-line")
    );
    assert_eq!(
        page.select("table.priorities tr.over-capacity").len(),
        2,
        "d and e are over"
    );
    assert!(
        page.text(".fit-summary").contains("Everything down to #3 fits"),
        "{}",
        page.text(".fit-summary")
    );
    let top_score: String = page.select("td.score")[0].text().collect();
    assert!(top_score.contains("RICE 400.00 = "), "{top_score}");
    let wsjf = page
        .select(".scores a")
        .iter()
        .find(|link| link.text().collect::<String>() == "WSJF")
        .map(|link| link.value().attr("href").unwrap().to_owned())
        .unwrap();
    assert_eq!(
        wsjf,
        format!("/portfolios/{}/priorities?by=wsjf&period={QUARTER}", backlog.line)
    );

    // Make RICE the manual order, then move e (last) above d: the cut line now has e below it
    // and d further down.
    let query = format!("period={QUARTER}");
    let applied = app
        .post_form(
            &format!("/portfolios/{}/priorities/apply", backlog.line),
            &[("by", "rice"), ("query", &query)],
        )
        .await;
    assert_eq!(applied.status, StatusCode::SEE_OTHER);
    let manual = app.get_page(&format!("{path}&by=rank")).await;
    assert_eq!(
        manual.select("button.move-up").len(),
        4,
        "every row but the first moves up"
    );
    let moved = app
        .post_form(
            &format!("/portfolios/{}/priorities/move", backlog.line),
            &[
                ("initiative_id", backlog.id('e')),
                ("before_id", backlog.id('c')),
                ("query", &format!("{query}&by=rank")),
            ],
        )
        .await;
    assert_eq!(moved.status, StatusCode::SEE_OTHER);
    let after = app.get_page(&format!("{path}&by=rank")).await;
    let over: Vec<String> = after
        .select("table.priorities tr.over-capacity")
        .iter()
        .map(|row| row.value().attr("id").unwrap().to_owned())
        .collect();
    assert_eq!(
        over,
        ['e', 'c', 'd'].map(|letter| format!("rank-{}", backlog.id(letter))),
        "a and b fit; e takes the running total to 2 + 2 + 3 = 7 pw, over 5"
    );

    // The CSV has the whole ranking with the same figures.
    let csv = app
        .client
        .get(app.url(&format!(
            "/portfolios/{}/priorities.csv?period={QUARTER}",
            backlog.line
        )))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    assert!(lines[0].starts_with("position,key,title,portfolio,owner,status,score,formula"));
    assert_eq!(lines.len(), 6);
    assert!(lines[1].ends_with(",4,2,2,true"), "{}", lines[1]);
    assert!(lines[5].ends_with(",3,3,9,false"), "{}", lines[5]);

    // A viewer reads the page without the forms.
    let (_, viewer) = app.signed_in_member(&backlog.admin, Role::Viewer).await;
    let read_only = viewer.get_page(&format!("{path}&by=rank")).await;
    assert_eq!(read_only.status, StatusCode::OK);
    assert!(read_only.select("form.apply-order").is_empty() && read_only.select("button.move-up").is_empty());
    let refused = viewer
        .post_form(
            &format!("/portfolios/{}/priorities/apply", backlog.line),
            &[("by", "rice")],
        )
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
}

/// In an organization of more members than a menu can usefully hold, the list's and the priorities
/// page's owner filter is a field for a member's name or email: it finds their work, says beside
/// nothing found or an ambiguous name, and shows the owner's name when a link filters by id.
#[tokio::test]
async fn a_large_organizations_owner_filter_is_a_name_or_email_field() {
    let app = spawn_app().await;
    let org = crate::rollup_pages::signed_in_org(&app).await;
    let t = &org.account.token;
    let many = cairn::http::pages::initiative_list::OWNER_MENU_MAX as i32 + 1;
    sqlx::query(
        "WITH added AS (
             INSERT INTO users (id, name, email)
             SELECT gen_random_uuid(), 'Member ' || n, 'member' || n || '@' || $2 || '.test'
             FROM generate_series(1, $3) n RETURNING id)
         INSERT INTO memberships (org_id, user_id, role) SELECT $1, id, 'member' FROM added",
    )
    .bind(org.account.org_id)
    .bind(org.account.org_id.simple().to_string())
    .bind(many)
    .execute(&app.pool)
    .await
    .unwrap();
    let owner: uuid::Uuid =
        sqlx::query_scalar("SELECT id FROM users WHERE name = 'Member 7' AND email LIKE $1")
            .bind(format!("%@{}.test", org.account.org_id.simple()))
            .fetch_one(&app.pool)
            .await
            .unwrap();
    app.create_initiative(
        t,
        &org.payments,
        json!({"title": "Member seven's", "owner_id": owner, "status": "planned"}),
    )
    .await;
    let email = format!("member7@{}.test", org.account.org_id.simple());
    for page in [
        "/initiatives".to_owned(),
        format!("/portfolios/{}/priorities", org.root),
    ] {
        let unfiltered = app.get_page(&page).await;
        assert!(
            unfiltered.select("select[name='owner_id']").is_empty(),
            "{page}: no menu"
        );
        assert_eq!(
            unfiltered.value("input[name='owner']").as_deref(),
            Some(""),
            "{page}"
        );
        for typed in ["member 7", email.as_str()] {
            let found = app
                .get_page(&format!(
                    "{page}?owner={}",
                    cairn::http::extract::urlencode(typed)
                ))
                .await;
            assert_eq!(found.status, StatusCode::OK, "{page} {typed}");
            assert!(found.text("main").contains("Member seven's"), "{page} {typed}");
            assert_eq!(found.select("tbody tr").len(), 1, "{page} {typed}: only theirs");
            assert_eq!(found.value("input[name='owner']").as_deref(), Some("Member 7"));
        }
        let by_id = app.get_page(&format!("{page}?owner_id={owner}")).await;
        assert_eq!(
            by_id.value("input[name='owner']").as_deref(),
            Some("Member 7"),
            "{page}"
        );
        let nobody = app.get_page(&format!("{page}?owner=Nobody+Here")).await;
        assert_eq!(nobody.status, StatusCode::UNPROCESSABLE_ENTITY, "{page}");
        assert_eq!(
            nobody.text(".problems"),
            "owner is no member's name or email",
            "{page}"
        );
    }
}
