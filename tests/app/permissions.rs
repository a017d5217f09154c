//! SPEC §5, as a table: each role × each place in the hierarchy × each kind of request answers
//! exactly the status below, and a refused request changes nothing.

use reqwest::{Method, Response, StatusCode};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::helpers::{Account, TestApp, id_of, new_client, spawn_app};
use cairn::domain::Role;

/// Where the request points, seen from the member, who owns `Own`:
/// `Root` (ancestor) → `Own` → `Child` (descendant), and `Root` → `Sibling`.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Target {
    Own,
    Descendant,
    Sibling,
    Ancestor,
    /// An initiative the member owns, in the sibling portfolio they may not edit.
    OwnInitiativeInSibling,
    OtherOrganization,
}

#[derive(Clone, Copy, Debug)]
enum Op {
    Read,
    CreateInitiative,
    CreatePortfolio,
    Update,
    Delete,
    /// `PATCH /initiatives/{id} {status}`: a status update.
    Status,
}

const OPS: [Op; 6] = [
    Op::Read,
    Op::CreateInitiative,
    Op::CreatePortfolio,
    Op::Update,
    Op::Delete,
    Op::Status,
];

use Target::*;

/// Expected status per op, in the order of `OPS`. Another organization's ids are unknown: 404 when
/// addressed in the path, 422 when named in a body (as any id that does not exist); viewers may
/// create nothing at all (403).
#[rustfmt::skip]
const MATRIX: &[(Role, Target, [u16; 6])] = &[
    //                                   read create-i create-p update delete status
    (Role::Admin,  Own,                    [200, 201, 201, 200, 204, 200]),
    (Role::Admin,  Descendant,             [200, 201, 201, 200, 204, 200]),
    (Role::Admin,  Sibling,                [200, 201, 201, 200, 204, 200]),
    (Role::Admin,  Ancestor,               [200, 201, 201, 200, 204, 200]),
    (Role::Admin,  OwnInitiativeInSibling, [200, 201, 201, 200, 204, 200]),
    (Role::Admin,  OtherOrganization,      [404, 422, 422, 404, 404, 404]),
    (Role::Member, Own,                    [200, 201, 201, 200, 204, 200]),
    (Role::Member, Descendant,             [200, 201, 201, 200, 204, 200]),
    (Role::Member, Sibling,                [200, 403, 403, 403, 403, 403]),
    (Role::Member, Ancestor,               [200, 403, 403, 403, 403, 403]),
    (Role::Member, OwnInitiativeInSibling, [200, 403, 403, 403, 403, 200]),
    (Role::Member, OtherOrganization,      [404, 422, 422, 404, 404, 404]),
    (Role::Viewer, Own,                    [200, 403, 403, 403, 403, 403]),
    (Role::Viewer, Descendant,             [200, 403, 403, 403, 403, 403]),
    (Role::Viewer, Sibling,                [200, 403, 403, 403, 403, 403]),
    (Role::Viewer, Ancestor,               [200, 403, 403, 403, 403, 403]),
    (Role::Viewer, OwnInitiativeInSibling, [200, 403, 403, 403, 403, 403]),
    (Role::Viewer, OtherOrganization,      [404, 403, 403, 404, 404, 404]),
];

/// One organization shaped as above, another beside it, and a token per role.
struct World {
    app: TestApp,
    acme: Account,
    admin: String,
    member: String,
    member_id: Uuid,
    viewer: String,
    other_admin: String,
    root: String,
    own: String,
    child: String,
    sibling: String,
    other_root: String,
}

impl World {
    async fn build() -> World {
        let app = spawn_app().await;
        let acme = app.signup("Acme").await;
        let globex = app.signup("Globex").await;
        let member = app.add_member(&acme, Role::Member).await;
        let viewer = app.add_member(&acme, Role::Viewer).await;
        let admin = acme.token.clone();
        let root = id_of(&app.create_portfolio(&admin, "Root", "portfolio", None).await);
        let own = id_of(
            &app.create_portfolio(&admin, "Own", "product_line", Some(&root))
                .await,
        );
        let child = id_of(&app.create_portfolio(&admin, "Child", "product", Some(&own)).await);
        let sibling = id_of(
            &app.create_portfolio(&admin, "Sibling", "product_line", Some(&root))
                .await,
        );
        app.patch_json(
            &admin,
            &format!("/portfolios/{own}"),
            json!({"owner_id": member.user_id}),
        )
        .await;
        let other_root = id_of(
            &app.create_portfolio(&globex.token, "Globex", "portfolio", None)
                .await,
        );
        World {
            app,
            acme,
            admin,
            member: member.token,
            member_id: member.user_id,
            viewer: viewer.token,
            other_admin: globex.token,
            root,
            own,
            child,
            sibling,
            other_root,
        }
    }

    fn token(&self, role: Role) -> &str {
        match role {
            Role::Admin => &self.admin,
            Role::Member => &self.member,
            Role::Viewer => &self.viewer,
        }
    }

    /// The target's portfolio, its level, and the admin who may arrange things there.
    fn portfolio(&self, target: Target) -> (&str, &str, &str) {
        match target {
            Own => (&self.own, "product_line", &self.admin),
            Descendant => (&self.child, "product", &self.admin),
            Sibling | OwnInitiativeInSibling => (&self.sibling, "product_line", &self.admin),
            Ancestor => (&self.root, "portfolio", &self.admin),
            OtherOrganization => (&self.other_root, "portfolio", &self.other_admin),
        }
    }

    /// A fresh initiative at the target, for one request to act on.
    async fn initiative(&self, target: Target) -> String {
        let (portfolio, _, admin) = self.portfolio(target);
        let owner = (target == OwnInitiativeInSibling).then_some(self.member_id);
        id_of(
            &self
                .app
                .create_initiative(admin, portfolio, json!({"owner_id": owner}))
                .await,
        )
    }

    async fn send(&self, role: Role, target: Target, op: Op, initiative: &str) -> Response {
        let app = &self.app;
        let token = self.token(role);
        let (portfolio, level, _) = self.portfolio(target);
        let below = match level {
            "portfolio" => "product_line",
            "product_line" => "product",
            _ => "area",
        };
        let (method, path, body) = match op {
            Op::Read => (Method::GET, format!("/portfolios/{portfolio}"), None),
            Op::CreateInitiative => (
                Method::POST,
                "/initiatives".to_owned(),
                Some(json!({"title": "New work", "portfolio_id": portfolio})),
            ),
            Op::CreatePortfolio => (
                Method::POST,
                "/portfolios".to_owned(),
                Some(json!({"name": "New child", "level": below, "parent_id": portfolio})),
            ),
            Op::Update => (
                Method::PATCH,
                format!("/portfolios/{portfolio}"),
                Some(json!({"description": format!("Changed by {role}")})),
            ),
            Op::Delete => (Method::DELETE, format!("/initiatives/{initiative}"), None),
            Op::Status => (
                Method::PATCH,
                format!("/initiatives/{initiative}"),
                Some(json!({"status": "in_progress"})),
            ),
        };
        let request = app.api(method, token, &path);
        match body {
            Some(body) => request.json(&body),
            None => request,
        }
        .send()
        .await
        .unwrap()
    }

    /// What a request could have changed, read straight from the database.
    async fn snapshot(&self, target: Target, initiative: &str) -> Value {
        let (portfolio, _, _) = self.portfolio(target);
        let row: (i64, i64, Option<i64>, Option<i64>) = sqlx::query_as(
            "SELECT (SELECT count(*) FROM portfolios), (SELECT count(*) FROM initiatives),
                    (SELECT version FROM portfolios WHERE id = $1),
                    (SELECT version FROM initiatives WHERE id = $2)",
        )
        .bind(portfolio.parse::<Uuid>().unwrap())
        .bind(initiative.parse::<Uuid>().unwrap())
        .fetch_one(&self.app.pool)
        .await
        .unwrap();
        json!(row)
    }
}

#[tokio::test]
async fn every_role_may_do_exactly_what_spec_section_5_allows() {
    let world = World::build().await;
    for &(role, target, expected) in MATRIX {
        for (op, expected) in OPS.iter().zip(expected) {
            let initiative = world.initiative(target).await;
            let before = world.snapshot(target, &initiative).await;
            let response = world.send(role, target, *op, &initiative).await;
            let status = response.status();
            let body = response.text().await.unwrap();
            assert_eq!(status.as_u16(), expected, "{role} × {target:?} × {op:?}: {body}");
            let after = world.snapshot(target, &initiative).await;
            if status.is_success() && !matches!(op, Op::Read) {
                assert_ne!(before, after, "{role} × {target:?} × {op:?} changed nothing");
            } else {
                assert_eq!(
                    before, after,
                    "{role} × {target:?} × {op:?} was refused but changed data"
                );
            }
        }
    }
}

#[tokio::test]
async fn without_credentials_the_api_answers_401_and_pages_send_to_sign_in() {
    let world = World::build().await;
    let app = &world.app;
    let id = &world.own;
    let api = [
        (Method::GET, "/me".to_owned()),
        (Method::GET, "/members".to_owned()),
        (Method::POST, "/members".to_owned()),
        (Method::PATCH, format!("/members/{}", world.member_id)),
        (Method::DELETE, format!("/members/{}", world.member_id)),
        (Method::DELETE, format!("/tokens/{}", Uuid::now_v7())),
        (Method::GET, "/themes".to_owned()),
        (Method::POST, "/themes".to_owned()),
        (Method::GET, "/portfolios".to_owned()),
        (Method::POST, "/portfolios".to_owned()),
        (Method::GET, format!("/portfolios/{id}")),
        (Method::PATCH, format!("/portfolios/{id}")),
        (Method::DELETE, format!("/portfolios/{id}")),
        (Method::GET, format!("/portfolios/{id}/rollup")),
        (Method::GET, "/initiatives".to_owned()),
        (Method::POST, "/initiatives".to_owned()),
    ];
    for (method, path) in api {
        let response = reqwest::Client::new()
            .request(method.clone(), app.url(&format!("/api/v1{path}")))
            .json(&json!({}))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED, "{method} {path}");
    }

    let anonymous = app.with_client(new_client());
    let pages = [
        (Method::GET, format!("/portfolios/{id}")),
        (Method::GET, "/portfolios".to_owned()),
        (Method::GET, "/portfolios/new".to_owned()),
        (Method::GET, format!("/portfolios/{id}/edit")),
        (Method::POST, format!("/portfolios/{id}")),
        (Method::POST, "/portfolios".to_owned()),
        (Method::GET, "/initiatives/new".to_owned()),
        (Method::POST, "/initiatives".to_owned()),
        (Method::GET, "/settings/members".to_owned()),
        (Method::POST, "/settings/members".to_owned()),
        (
            Method::POST,
            format!("/settings/members/{}/role", world.member_id),
        ),
        (
            Method::GET,
            format!("/settings/members/{}/remove", world.member_id),
        ),
        (
            Method::POST,
            format!("/settings/members/{}/remove", world.member_id),
        ),
    ];
    for (method, path) in pages {
        let response = anonymous
            .client
            .request(method.clone(), app.url(&path))
            .form(&[("name", "x")])
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::SEE_OTHER, "{method} {path}");
        let location = response.headers()["location"].to_str().unwrap();
        assert!(
            location.starts_with("/login?next="),
            "{method} {path}: {location}"
        );
    }
    // Nothing was removed or changed by the anonymous requests.
    assert_eq!(
        app.get_json(&world.admin, "/members").await["items"]
            .as_array()
            .unwrap()
            .len(),
        3
    );
}

#[tokio::test]
async fn pages_refuse_readers_403_and_other_organizations_404() {
    let world = World::build().await;
    let app = &world.app;
    let (_, viewer) = app.signed_in_member(&world.acme, Role::Viewer).await;
    let own = &world.own;
    let other = &world.other_root;
    let cases = [
        (Method::GET, format!("/portfolios/{own}"), StatusCode::OK),
        (Method::GET, "/settings/members".to_owned(), StatusCode::OK),
        (
            Method::GET,
            format!("/portfolios/{own}/edit"),
            StatusCode::FORBIDDEN,
        ),
        (Method::POST, format!("/portfolios/{own}"), StatusCode::FORBIDDEN),
        (
            Method::POST,
            "/settings/members".to_owned(),
            StatusCode::FORBIDDEN,
        ),
        (
            Method::POST,
            format!("/settings/members/{}/role", world.member_id),
            StatusCode::FORBIDDEN,
        ),
        (
            Method::GET,
            format!("/settings/members/{}/remove", world.member_id),
            StatusCode::FORBIDDEN,
        ),
        (
            Method::POST,
            format!("/settings/members/{}/remove", world.member_id),
            StatusCode::FORBIDDEN,
        ),
        (Method::GET, format!("/portfolios/{other}"), StatusCode::NOT_FOUND),
        (
            Method::GET,
            format!("/portfolios/{other}/edit"),
            StatusCode::NOT_FOUND,
        ),
        (
            Method::POST,
            format!("/portfolios/{other}"),
            StatusCode::NOT_FOUND,
        ),
    ];
    for (method, path, expected) in cases {
        let response = viewer
            .client
            .request(method.clone(), app.url(&path))
            .form(&[
                ("name", "Changed"),
                ("version", "1"),
                ("level", "portfolio"),
                ("role", "admin"),
                ("email", "x@example.test"),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), expected, "{method} {path}");
    }
    let page = viewer.get_page("/settings/members").await;
    assert_eq!(page.select("table.members tbody tr").len(), 4);
    assert!(
        page.select("form")
            .iter()
            .all(|f| f.value().attr("action") == Some("/logout"))
    );
    assert_eq!(
        app.get_json(&world.admin, "/members").await["items"]
            .as_array()
            .unwrap()
            .len(),
        4
    );
}
