//! The OpenAPI document at `/api/v1/openapi.json` and the reference page rendered from it: the
//! document is OpenAPI 3.1, names every operation of SPEC §6, and every operation it names is one
//! the server serves (the router is built from the same annotated handlers).

use std::collections::BTreeSet;

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::helpers::{Page, spawn_app};

/// SPEC §6, with what the README adds (`/organization`, a key result's GET and check-ins).
const SPEC_OPERATIONS: &[(&str, &str)] = &[
    ("POST", "/signup"),
    ("POST", "/tokens"),
    ("DELETE", "/tokens/{id}"),
    ("GET", "/me"),
    ("GET", "/organization"),
    ("PATCH", "/organization"),
    ("GET", "/members"),
    ("POST", "/members"),
    ("PATCH", "/members/{id}"),
    ("DELETE", "/members/{id}"),
    ("GET", "/themes"),
    ("POST", "/themes"),
    ("GET", "/themes/{id}"),
    ("PATCH", "/themes/{id}"),
    ("DELETE", "/themes/{id}"),
    ("GET", "/scorecard/drivers"),
    ("POST", "/scorecard/drivers"),
    ("GET", "/scorecard/drivers/{id}"),
    ("PATCH", "/scorecard/drivers/{id}"),
    ("DELETE", "/scorecard/drivers/{id}"),
    ("GET", "/initiatives/{id}/scores"),
    ("PUT", "/initiatives/{id}/scores"),
    ("GET", "/portfolios"),
    ("POST", "/portfolios"),
    ("GET", "/portfolios/{id}"),
    ("PATCH", "/portfolios/{id}"),
    ("DELETE", "/portfolios/{id}"),
    ("GET", "/portfolios/{id}/rollup"),
    ("GET", "/portfolios/{id}/priorities"),
    ("POST", "/portfolios/{id}/priorities/apply"),
    ("PUT", "/initiatives/{id}/rank"),
    ("GET", "/portfolios/{id}/capacity"),
    ("PUT", "/portfolios/{id}/capacity/{period}"),
    // Scenarios (SPEC §9); deleting a hypothetical initiative is Cairn's own.
    ("GET", "/scenarios"),
    ("POST", "/scenarios"),
    ("GET", "/scenarios/{id}"),
    ("PATCH", "/scenarios/{id}"),
    ("DELETE", "/scenarios/{id}"),
    ("POST", "/scenarios/{id}/copy"),
    ("PUT", "/scenarios/{id}/changes/{initiative_id}"),
    ("DELETE", "/scenarios/{id}/changes/{initiative_id}"),
    ("POST", "/scenarios/{id}/initiatives"),
    ("DELETE", "/scenarios/{id}/initiatives/{initiative_id}"),
    ("PUT", "/scenarios/{id}/capacity/{portfolio_id}/{period}"),
    ("GET", "/scenarios/{id}/rollup"),
    ("GET", "/scenarios/{id}/capacity"),
    ("GET", "/scenarios/{id}/priorities"),
    ("GET", "/scenarios/compare"),
    ("POST", "/scenarios/{id}/apply"),
    ("GET", "/baselines/{id}"),
    ("DELETE", "/baselines/{id}"),
    ("GET", "/baselines/{id}/diff"),
    ("POST", "/portfolios/{id}/baselines"),
    ("GET", "/portfolios/{id}/baselines"),
    ("GET", "/initiatives/{id}/dependencies"),
    ("PUT", "/initiatives/{id}/dependencies/{blocker_id}"),
    ("DELETE", "/initiatives/{id}/dependencies/{blocker_id}"),
    ("GET", "/initiatives"),
    ("POST", "/initiatives"),
    ("GET", "/initiatives/{id}"),
    ("PATCH", "/initiatives/{id}"),
    ("DELETE", "/initiatives/{id}"),
    ("GET", "/initiatives/{id}/updates"),
    ("POST", "/initiatives/{id}/updates"),
    ("PUT", "/initiatives/{id}/key-results/{kr_id}"),
    ("DELETE", "/initiatives/{id}/key-results/{kr_id}"),
    ("GET", "/objectives"),
    ("POST", "/objectives"),
    ("GET", "/objectives/{id}"),
    ("PATCH", "/objectives/{id}"),
    ("DELETE", "/objectives/{id}"),
    ("POST", "/objectives/{id}/key-results"),
    ("GET", "/key-results/{id}"),
    ("PATCH", "/key-results/{id}"),
    ("DELETE", "/key-results/{id}"),
    ("GET", "/key-results/{id}/check-ins"),
    ("GET", "/roadmaps"),
    ("POST", "/roadmaps"),
    ("GET", "/roadmaps/{id}"),
    ("PATCH", "/roadmaps/{id}"),
    ("DELETE", "/roadmaps/{id}"),
    ("GET", "/roadmaps/{id}/shares"),
    ("POST", "/roadmaps/{id}/shares"),
    ("DELETE", "/shares/{id}"),
    ("GET", "/portfolios/{id}/digest"),
    ("GET", "/portfolios/{id}/kpis"),
    ("POST", "/portfolios/{id}/kpis"),
    ("GET", "/kpis/{id}"),
    ("PATCH", "/kpis/{id}"),
    ("DELETE", "/kpis/{id}"),
    ("GET", "/kpis/{id}/values"),
    ("POST", "/kpis/{id}/values"),
    ("POST", "/imports/jira"),
    ("POST", "/imports/csv"),
    ("GET", "/webhooks"),
    ("POST", "/webhooks"),
    ("GET", "/webhooks/{id}"),
    ("PATCH", "/webhooks/{id}"),
    ("DELETE", "/webhooks/{id}"),
    ("GET", "/webhooks/{id}/deliveries"),
    ("POST", "/webhooks/{id}/test"),
    ("GET", "/feedback"),
    ("POST", "/feedback"),
    ("GET", "/feedback/{id}"),
    ("PUT", "/initiatives/{id}/feedback/{feedback_id}"),
    ("DELETE", "/initiatives/{id}/feedback/{feedback_id}"),
    ("GET", "/openapi.json"),
];

const METHODS: [&str; 5] = ["GET", "POST", "PUT", "PATCH", "DELETE"];

async fn document(app: &crate::helpers::TestApp) -> Value {
    let response = app
        .client
        .get(app.url("/api/v1/openapi.json"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["content-type"], "application/json");
    response.json().await.expect("the document is JSON")
}

/// Every (method, path) the document names, paths without the `/api/v1` base.
fn operations(document: &Value) -> BTreeSet<(String, String)> {
    let mut found = BTreeSet::new();
    for (path, item) in document["paths"].as_object().expect("paths") {
        let path = path.strip_prefix("/api/v1").expect("every path is under /api/v1");
        for method in METHODS {
            if item.get(method.to_lowercase()).is_some() {
                found.insert((method.to_owned(), path.to_owned()));
            }
        }
    }
    found
}

fn each_operation(document: &Value) -> impl Iterator<Item = (&str, &str, &Value)> {
    document["paths"]
        .as_object()
        .unwrap()
        .iter()
        .flat_map(|(path, item)| {
            METHODS.iter().filter_map(move |method| {
                item.get(method.to_lowercase())
                    .map(|operation| (*method, path.as_str(), operation))
            })
        })
}

fn all_refs<'a>(value: &'a Value, found: &mut Vec<&'a str>) {
    match value {
        Value::Object(map) => {
            if let Some(Value::String(reference)) = map.get("$ref") {
                found.push(reference);
            }
            map.values().for_each(|v| all_refs(v, found));
        }
        Value::Array(items) => items.iter().for_each(|v| all_refs(v, found)),
        _ => {}
    }
}

#[tokio::test]
async fn the_document_is_openapi_3_1_and_names_every_operation_of_the_api() {
    let app = spawn_app().await;
    let document = document(&app).await;

    let version = document["openapi"].as_str().unwrap();
    assert!(version.starts_with("3.1."), "openapi {version}");
    let expected: BTreeSet<(String, String)> = SPEC_OPERATIONS
        .iter()
        .map(|(m, p)| ((*m).to_owned(), (*p).to_owned()))
        .collect();
    assert_eq!(operations(&document), expected);

    assert_eq!(
        document["components"]["securitySchemes"]["bearer"]["scheme"],
        "bearer"
    );
    let mut refs = Vec::new();
    all_refs(&document, &mut refs);
    for reference in refs {
        let pointer = reference.strip_prefix('#').expect("local reference");
        assert!(document.pointer(pointer).is_some(), "{reference} resolves");
    }

    for (method, path, operation) in each_operation(&document) {
        let name = format!("{method} {path}");
        assert!(operation["operationId"].is_string(), "{name} has an operationId");
        assert!(operation["tags"][0].is_string(), "{name} has a tag");
        let responses = operation["responses"].as_object().unwrap();
        assert!(
            responses.keys().any(|s| s.starts_with('2')),
            "{name} documents its success"
        );
        for (status, response) in responses.iter().filter(|(_, r)| r.get("$ref").is_none()) {
            let description = response["description"].as_str().unwrap_or_default();
            assert!(!description.is_empty(), "{name} describes its {status}");
        }
        let public = operation["security"] == serde_json::json!([{}]);
        let problems = ["400", "401", "403", "404", "412", "422"];
        for status in problems {
            if let Some(response) = responses.get(status) {
                let reference = response["$ref"].as_str().unwrap_or_default();
                let shared = document
                    .pointer(&reference.replace("#/", "/").replace('~', "~0"))
                    .unwrap_or(response);
                assert!(
                    shared["content"]["application/problem+json"].is_object(),
                    "{name} answers {status} with problem+json"
                );
            }
        }
        if !public {
            assert!(responses.contains_key("401"), "{name} documents 401");
        }
        if path.contains('{') {
            assert!(responses.contains_key("404"), "{name} documents 404");
        }
        let if_match = operation["parameters"]
            .as_array()
            .into_iter()
            .flatten()
            .any(|p| p["name"] == "If-Match" && p["in"] == "header");
        if matches!(method, "PATCH" | "DELETE")
            && !path.starts_with("/api/v1/members")
            && !path.contains("key-results/{kr_id}")
            && !path.contains("dependencies/{blocker_id}")
            && !path.contains("feedback/{feedback_id}")
            && !path.starts_with("/api/v1/shares")
            && !path.starts_with("/api/v1/tokens")
        {
            assert!(if_match, "{name} takes If-Match");
        }
        if if_match {
            assert!(responses.contains_key("412"), "{name} documents 412");
        }
    }

    // Single resources carry their ETag, and bodies have examples where a client starts.
    let get_initiative = &document["paths"]["/api/v1/initiatives/{id}"]["get"];
    assert!(get_initiative["responses"]["200"]["headers"]["ETag"].is_object());
    assert!(document["components"]["schemas"]["SignUpBody"]["example"].is_object());
    assert!(document["components"]["schemas"]["Problem"]["example"].is_object());
}

/// What the router serves is what the document says: each documented operation reaches its
/// handler (not the API's 404 fallback, not 405), and on a documented path every other method
/// answers 405.
#[tokio::test]
async fn every_documented_operation_is_served_and_nothing_else_on_its_path() {
    let app = spawn_app().await;
    let document = document(&app).await;
    let client = reqwest::Client::new();
    for (path, item) in document["paths"].as_object().unwrap() {
        let concrete = path
            .replace("{id}", &Uuid::new_v4().to_string())
            .replace("{kr_id}", &Uuid::new_v4().to_string());
        for method in METHODS {
            let documented = item.get(method.to_lowercase()).is_some();
            let response = client
                .request(Method::from_bytes(method.as_bytes()).unwrap(), app.url(&concrete))
                .header("content-type", "application/json")
                .body("{}")
                .send()
                .await
                .unwrap();
            let status = response.status();
            if documented {
                // Without a token: 401 from the handler's extractor; the public operations
                // answer for themselves (a 422 for an empty sign-up, the document itself).
                assert!(
                    ![StatusCode::NOT_FOUND, StatusCode::METHOD_NOT_ALLOWED].contains(&status),
                    "{method} {path} is documented but answers {status}"
                );
            } else {
                assert_eq!(
                    status,
                    StatusCode::METHOD_NOT_ALLOWED,
                    "{method} {path} is not documented but answers"
                );
            }
        }
    }
}

#[tokio::test]
async fn the_reference_page_shows_every_operation_grouped_by_tag_with_its_schemas() {
    let app = spawn_app().await;
    let document = document(&app).await;

    let page = Page::read(app.client.get(app.url("/docs/api")).send().await.unwrap()).await;
    let operations = page.select("article.api-operation");
    assert_eq!(operations.len(), each_operation(&document).count());

    let signup = page.one("#op-signup");
    let text: String = signup.text().collect();
    assert!(text.contains("POST") && text.contains("/api/v1/signup"), "{text}");
    assert!(text.contains("no token"), "sign-up needs no token: {text}");
    assert!(text.contains("SignUpBody"), "{text}");

    let update = page.one("#op-update_initiative");
    let text: String = update.text().collect();
    for expected in ["PATCH", "If-Match", "412", "InitiativeChanges", "422"] {
        assert!(text.contains(expected), "{expected} in {text}");
    }
    // Tags are the sections; schemas follow, and the operations link to them.
    assert!(!page.select("section#tag-initiatives article").is_empty());
    assert!(!page.select("#schema-Problem").is_empty());
    assert!(
        !page
            .select("#op-update_initiative a[href='#schema-InitiativeChanges']")
            .is_empty()
    );

    // Linked from every page's footer, the sign-in page included.
    let login = app.get_page("/login").await;
    assert_eq!(login.href("footer a[href='/docs/api']"), "/docs/api");
}

/// What the server's parsers hold every request to is stated where it applies, so that a request
/// the document allows is not refused for it: ids are UUIDs, dates real dates, query parameters
/// never empty, an `If-Match` a version (quoted or bare), a cursor what the API hands out.
#[tokio::test]
async fn the_document_states_the_rules_every_parser_holds_requests_to() {
    let app = crate::helpers::spawn_app().await;
    let document = document(&app).await;
    fn schemas<'a>(value: &'a Value, found: &mut Vec<&'a Value>) {
        match value {
            Value::Object(object) => {
                found.push(value);
                object.values().for_each(|v| schemas(v, found));
            }
            Value::Array(items) => items.iter().for_each(|v| schemas(v, found)),
            _ => {}
        }
    }
    let mut all = Vec::new();
    schemas(&document, &mut all);
    let matches = |schema: &Value, text: &str| {
        let pattern = schema["pattern"]
            .as_str()
            .unwrap_or_else(|| panic!("no pattern: {schema}"));
        regex::Regex::new(pattern).unwrap().is_match(text)
    };
    for format in ["uuid", "date"] {
        let typed: Vec<_> = all.iter().filter(|s| s["format"] == format).collect();
        assert!(!typed.is_empty(), "{format}");
        for schema in typed {
            let (good, bad) = match format {
                "uuid" => ("0195f3c2-7a1b-7c3d-9e4f-a1b2c3d4e5f6", ""),
                _ => ("2028-02-29", "2027-02-29"),
            };
            assert!(
                matches(schema, good) && !matches(schema, bad),
                "{format}: {schema}"
            );
        }
    }
    let queries: Vec<_> = all
        .iter()
        .filter(|p| p["in"] == "query" && p["schema"]["type"] == "string")
        .collect();
    assert!(!queries.is_empty());
    for parameter in queries {
        assert_eq!(parameter["schema"]["minLength"], 1, "{parameter}");
    }
    let title = &document["components"]["schemas"]["InitiativeChanges"]["properties"]["title"];
    for (text, valid) in [
        ("Box 10: ship it", true),
        ("   ", false),
        ("a\u{0}b", false),
        ("\u{a0}", false),
    ] {
        assert_eq!(matches(title, text), valid, "title {text:?}: {title}");
    }
    let if_match = all.iter().find(|p| p["name"] == "If-Match").unwrap();
    for (text, valid) in [
        ("\"3\"", true),
        ("W/\"3\"", true),
        ("3", true),
        ("*", true),
        ("\"3", false),
    ] {
        assert_eq!(matches(&if_match["schema"], text), valid, "If-Match: {text}");
    }

    // A create's required fields are stated on its own copy of the schema PATCH shares, not null.
    let create =
        &document["paths"]["/api/v1/initiatives"]["post"]["requestBody"]["content"]["application/json"];
    assert_eq!(
        create["schema"]["$ref"],
        "#/components/schemas/NewInitiativeChanges"
    );
    let new = &document["components"]["schemas"]["NewInitiativeChanges"];
    assert_eq!(new["required"], json!(["title", "portfolio_id"]));
    assert_eq!(new["properties"]["title"]["type"], "string");
    assert!(document["components"]["schemas"]["InitiativeChanges"]["required"].is_null());

    // And the server takes what the document allows: a bare version is a version (stale: 412).
    let admin = app.signup("Stated").await;
    let theme = app
        .post_json(
            &admin.token,
            "/themes",
            json!({"name": "Growth", "colour": "#336699", "target_share": 10}),
        )
        .await;
    let stale = app
        .api(
            reqwest::Method::DELETE,
            &admin.token,
            &format!("/themes/{}", crate::helpers::id_of(&theme)),
        )
        .header("If-Match", "0")
        .send()
        .await
        .unwrap();
    crate::helpers::expect_problem(stale, reqwest::StatusCode::PRECONDITION_FAILED, None).await;
}
