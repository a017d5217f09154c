//! Fuzzing the JSON API against its own OpenAPI document with schemathesis (PyPI): generated
//! valid and invalid requests to every operation must never cause a server error, must be answered
//! as documented (status, content type, headers, body schema), and invalid data must be refused.
//!
//! Without the `schemathesis` command the test prints `SKIPPED` and passes, except under
//! `CI=true`, where a missing fuzzer fails it (`.ci/run` installs the pinned version).

use std::process::Stdio;

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{TestApp, expect_problem, expect_status, id_of, spawn_app};

/// The checks that must pass, and how (a schemathesis.toml): schemathesis' defaults for OpenAPI,
/// and `positive_data_acceptance`: a request the document allows is accepted, so the document
/// states the rules the server holds requests to. Besides a success such a request may be answered
/// what schemathesis allows (401, 403, 404 for ids that name nothing, 409 for a duplicate drawn
/// twice, 429) and 412, for an `If-Match` of the right form naming a version that is not current;
/// not 422: a rule a schema can state is stated.
///
/// An `If-Match` naming a stale version is answered 412 before the body's field rules are looked
/// at, so 412 is among the answers to invalid data too.
///
/// The operations listed last — the creates, and the changes whose bodies name other records —
/// may also answer 422, each for rules no JSON Schema can
/// state, since they are about other records or the clock: a body's reference (a parent, a
/// portfolio, an owner, a theme, a key result's objective) to nothing of the organization's, which
/// is the body's 404 and is answered on its field; an `Idempotency-Key` drawn twice for different
/// bodies (422, as the IETF draft says); the themes' targets summing past 100 %; an initiative's scorecard values naming
/// no driver of the organization, or above the driver's max; a driver's name with
/// control characters (`validation::text`), which the schema's pattern does not rule out; a share link's
/// expiry in the past; a rank move naming neither or both of its neighbours; a member's email already in the organization or refused by the mail rules
/// `account::parse_email` holds beyond the schema's pattern; a scenario's change, hypothetical work, capacity or figures
/// naming an initiative or a portfolio outside the scenario's subtree, and a compare of two live sides that names no
/// portfolio (SPEC §9); a KPI's value of a day no calendar has, and an upload whose rows are not
/// `date,value` (SPEC §11); a baseline's name with control characters, and a diff against a baseline
/// of another portfolio or organization (SPEC §10). Every other answer is held as for the
/// rest: a 400 or a 5xx to a request the document allows still fails the test.
const SETTINGS: &str = r#"
[checks]
enabled = false
not_a_server_error.enabled = true
status_code_conformance.enabled = true
content_type_conformance.enabled = true
response_headers_conformance.enabled = true
response_schema_conformance.enabled = true
missing_required_header.enabled = true
unsupported_method.enabled = true
ignored_auth.enabled = true
positive_data_acceptance = { enabled = true, expected-statuses = ["2xx", "401", "403", "404", "409", "412", "429"] }

negative_data_rejection = { enabled = true, expected-statuses = ["400", "401", "403", "404", "405", "406", "409", "412", "415", "422", "428", "429", "5xx"] }

[[operations]]
include-name = [
  "POST /api/v1/initiatives",
  "POST /api/v1/initiatives/{id}/updates",
  "POST /api/v1/members",
  "POST /api/v1/objectives",
  "POST /api/v1/objectives/{id}/key-results",
  "POST /api/v1/portfolios",
  "POST /api/v1/roadmaps",
  "POST /api/v1/roadmaps/{id}/shares",
  "POST /api/v1/themes",
  "PUT /api/v1/initiatives/{id}/scores",
  "POST /api/v1/scorecard/drivers",
  "PATCH /api/v1/scorecard/drivers/{id}",
  "PATCH /api/v1/initiatives/{id}",
  "PATCH /api/v1/objectives/{id}",
  "PATCH /api/v1/portfolios/{id}",
  "PATCH /api/v1/roadmaps/{id}",
  "PATCH /api/v1/themes/{id}",
  "PUT /api/v1/initiatives/{id}/rank",
  "POST /api/v1/scenarios",
  "POST /api/v1/scenarios/{id}/copy",
  "POST /api/v1/scenarios/{id}/initiatives",
  "PUT /api/v1/scenarios/{id}/changes/{initiative_id}",
  "PUT /api/v1/scenarios/{id}/capacity/{portfolio_id}/{period}",
  "GET /api/v1/scenarios/{id}/rollup",
  "GET /api/v1/scenarios/{id}/capacity",
  "GET /api/v1/scenarios/{id}/priorities",
  "GET /api/v1/scenarios/compare",
  "POST /api/v1/portfolios/{id}/baselines",
  "GET /api/v1/baselines/{id}/diff",
  "POST /api/v1/portfolios/{id}/kpis",
  "PATCH /api/v1/kpis/{id}",
  "POST /api/v1/kpis/{id}/values",
  "POST /api/v1/feedback",
  "POST /api/v1/imports/jira",
  "POST /api/v1/imports/csv",
  "POST /api/v1/webhooks",
  "PATCH /api/v1/webhooks/{id}",
]
checks.positive_data_acceptance.expected-statuses = ["2xx", "401", "403", "404", "409", "412", "422", "429"]
"#;

/// Test cases per operation and phase: enough to reach every operation's edges, bounded so the
/// run stays well under two minutes on a small machine.
const MAX_EXAMPLES: &str = "25";
/// A fixed seed: a failure reproduces, and the suite does not change from run to run.
const SEED: &str = "7";

/// The schemathesis command, if installed (`st` is its short name).
fn fuzzer() -> Option<&'static str> {
    ["schemathesis", "st"].into_iter().find(|name| {
        std::process::Command::new(name)
            .arg("--version")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|status| status.success())
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn schemathesis_finds_no_server_error_and_no_undocumented_answer() {
    let Some(fuzzer) = fuzzer() else {
        let why = "the fuzz test needs schemathesis (pip install schemathesis)";
        if std::env::var("CI").is_ok_and(|v| v == "true") {
            panic!("{why}; CI=true, so a missing fuzzer fails the test");
        }
        eprintln!("\n*** SKIPPED: {why} ***\n");
        return;
    };
    let app = spawn_app().await;
    let admin = app.signup("Fuzz").await;
    let settings = std::env::temp_dir().join(format!(
        "cairn-schemathesis-{}.toml",
        uuid::Uuid::new_v4().simple()
    ));
    std::fs::write(&settings, SETTINGS).unwrap();
    let output = tokio::process::Command::new(fuzzer)
        .arg("--config-file")
        .arg(&settings)
        .args(["--no-color", "run", &app.url("/api/v1/openapi.json")])
        .args(["--header", &format!("Authorization: Bearer {}", admin.token)])
        .args(["--max-examples", MAX_EXAMPLES, "--seed", SEED])
        // Not `examples`: schemathesis 4.32.5 fails inside Hypothesis while drawing an example
        // for PATCH /initiatives/{id} (a FlakyFailure before any request is sent). Not
        // `stateful`: the document has no links, so it would add nothing.
        .args(["--phases", "coverage,fuzzing"])
        // One worker: with two, schemathesis 4.32.5 sometimes fails inside CPython while walking a
        // schema in both threads at once ("AST constructor recursion depth mismatch").
        .args(["--workers", "1"])
        // Nothing written into the checkout; answers are checked, not timed.
        .args(["--generation-database", "none", "--request-timeout", "30"])
        .stdin(Stdio::null())
        .output()
        .await
        .expect("run schemathesis");
    let _ = std::fs::remove_file(&settings);
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "schemathesis found problems ({}):\n{stdout}\n{stderr}",
        output.status
    );
    println!("{stdout}");
}

/// What the fuzzer found once, kept as plain tests: each answers a 4xx problem and changes nothing.
#[tokio::test]
async fn malformed_requests_the_fuzzer_found_are_refused_as_problems() {
    let app = spawn_app().await;
    let admin = app.signup("Fuzzed").await;
    let me = format!("/members/{}", admin.user_id);

    // serde reads a struct from an array of its fields; a body is an object.
    let array = app
        .api(Method::PATCH, &admin.token, &me)
        .header("content-type", "application/json")
        .body("[null, null]")
        .send()
        .await
        .unwrap();
    expect_problem(array, StatusCode::UNPROCESSABLE_ENTITY, Some("body")).await;

    // An empty query parameter is named, not taken for "any".
    let empty = app
        .api(Method::GET, &admin.token, "/initiatives?portfolio_id=")
        .send()
        .await
        .unwrap();
    expect_problem(empty, StatusCode::UNPROCESSABLE_ENTITY, Some("portfolio_id")).await;

    // PostgreSQL text cannot hold NUL: refused by field, not a server error.
    let nul = app
        .send_json(
            Method::POST,
            &admin.token,
            "/themes",
            json!({"name": "Growth\0", "colour": "#336699", "target_share": 10}),
            None,
        )
        .await;
    expect_problem(nul, StatusCode::UNPROCESSABLE_ENTITY, Some("name")).await;

    // An id that is not a UUID names nothing: 404 problem+json, like any unknown id.
    let token = app
        .api(Method::DELETE, &admin.token, "/tokens/not-a-uuid")
        .send()
        .await
        .unwrap();
    expect_problem(token, StatusCode::NOT_FOUND, None).await;

    let after = app.get_json(&admin.token, "/me").await;
    assert_eq!(after["user"]["name"], "Ada Admin");
    assert_eq!(after["role"], "admin");
}

/// What an initiative is at, as the test expects it.
#[derive(Clone, Debug, PartialEq)]
struct Expected {
    version: i64,
    title: String,
    progress: i64,
}

/// The `If-Match` a step sends.
#[derive(Clone, Copy, Debug)]
enum Precondition {
    Current,
    /// A version that was current once, or one that never was.
    Stale,
    Missing,
    Any,
    Malformed,
}

/// The If-Match flow under random sequences of sequential and concurrent PATCHes: a stale
/// `If-Match` answers 412 and changes nothing, a malformed one 400 and changes nothing, a current
/// one (or none, or `*`) applies and bumps the ETag by one; of concurrent PATCHes naming the same
/// current version exactly one applies; concurrent PATCHes without `If-Match` all apply, one after
/// the other, so none is lost. Seeded: a failure names its seed and step and reproduces.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn if_match_never_loses_an_update_and_never_applies_a_stale_one() {
    use rand::rngs::StdRng;
    use rand::{Rng, SeedableRng};

    let app = spawn_app().await;
    let admin = app.signup("Preconditions").await;
    let portfolio = app
        .create_portfolio(&admin.token, "Checkout", "product", None)
        .await;
    for seed in [1_u64, 2, 3] {
        let created = app
            .create_initiative(&admin.token, &id_of(&portfolio), json!({"progress": 0}))
            .await;
        let path = format!("/initiatives/{}", id_of(&created));
        let mut expected = Expected {
            version: 1,
            title: "An initiative".into(),
            progress: 0,
        };
        let mut rng = StdRng::seed_from_u64(seed);
        for step in 0..25 {
            let at = format!("seed {seed}, step {step}");
            if rng.gen_bool(0.3) {
                let writers = rng.gen_range(2..=4);
                let guarded = rng.gen_bool(0.5);
                expected =
                    concurrent_patches(&app, &admin.token, &path, &expected, writers, guarded, &at).await;
            } else {
                let precondition = match rng.gen_range(0..5) {
                    0 => Precondition::Current,
                    1 => Precondition::Stale,
                    2 => Precondition::Missing,
                    3 => Precondition::Any,
                    _ => Precondition::Malformed,
                };
                let change = (format!("Title {seed}-{step}"), rng.gen_range(0..=100));
                expected = sequential_patch(
                    &app,
                    &admin.token,
                    &path,
                    &expected,
                    precondition,
                    change,
                    &mut rng,
                    &at,
                )
                .await;
            }
            assert_eq!(read(&app, &admin.token, &path).await, expected, "{at}");
        }
    }
}

#[allow(clippy::too_many_arguments)]
async fn sequential_patch(
    app: &TestApp,
    token: &str,
    path: &str,
    before: &Expected,
    precondition: Precondition,
    (title, progress): (String, i64),
    rng: &mut impl rand::Rng,
    at: &str,
) -> Expected {
    let header = match precondition {
        Precondition::Current => Some(format!("\"{}\"", before.version)),
        Precondition::Stale => {
            // An older version, or one further on than the resource has come.
            let other = if before.version > 1 && rng.gen_bool(0.5) {
                rng.gen_range(1..before.version)
            } else {
                before.version + rng.gen_range(1..5)
            };
            Some(format!("\"{other}\""))
        }
        Precondition::Missing => None,
        Precondition::Any => Some("*".to_owned()),
        Precondition::Malformed => {
            let garbage = ["abc", "\"v3\"", "\"\"", "W/", "\"1", "1.5", "\"-\""];
            Some(garbage[rng.gen_range(0..garbage.len())].to_owned())
        }
    };
    let body = json!({"title": title, "progress": progress});
    let response = app
        .send_json(Method::PATCH, token, path, body, header.as_deref())
        .await;
    match precondition {
        Precondition::Stale => {
            expect_problem(response, StatusCode::PRECONDITION_FAILED, None).await;
            before.clone()
        }
        Precondition::Malformed => {
            expect_problem(response, StatusCode::BAD_REQUEST, None).await;
            before.clone()
        }
        Precondition::Current | Precondition::Missing | Precondition::Any => {
            let after = Expected {
                version: before.version + 1,
                title,
                progress,
            };
            assert_eq!(
                response.headers()["etag"],
                format!("\"{}\"", after.version).as_str(),
                "{at}: {precondition:?} bumps the ETag by one"
            );
            let body = expect_status(response, StatusCode::OK).await;
            assert_eq!(expected_of(&body), after, "{at}");
            after
        }
    }
}

/// `writers` PATCHes at once, all naming the current version (`guarded`) or none.
async fn concurrent_patches(
    app: &TestApp,
    token: &str,
    path: &str,
    before: &Expected,
    writers: usize,
    guarded: bool,
    at: &str,
) -> Expected {
    let if_match = guarded.then(|| format!("\"{}\"", before.version));
    let sends = (0..writers).map(|writer| {
        let body = json!({"title": format!("Writer {writer} after v{}", before.version), "progress": writer});
        let if_match = if_match.clone();
        async move {
            let response = app
                .send_json(Method::PATCH, token, path, body, if_match.as_deref())
                .await;
            let status = response.status();
            (status, response.json::<Value>().await.unwrap())
        }
    });
    let answers = futures_util::future::join_all(sends).await;
    let applied: Vec<Expected> = answers
        .iter()
        .filter(|(status, _)| *status == StatusCode::OK)
        .map(|(_, body)| expected_of(body))
        .collect();
    let refused = answers
        .iter()
        .filter(|(status, _)| *status == StatusCode::PRECONDITION_FAILED)
        .count();
    if guarded {
        assert_eq!(
            applied.len(),
            1,
            "{at}: one of {writers} writers naming v{} wins",
            before.version
        );
        assert_eq!(refused, writers - 1, "{at}: the others answer 412");
    } else {
        assert_eq!(applied.len(), writers, "{at}: every unguarded write applies");
    }
    // Each applied write got its own next version: they ran one after the other, none lost.
    let mut versions: Vec<i64> = applied.iter().map(|e| e.version).collect();
    versions.sort();
    let next: Vec<i64> = (1..=applied.len() as i64).map(|n| before.version + n).collect();
    assert_eq!(versions, next, "{at}");
    applied.into_iter().max_by_key(|e| e.version).unwrap()
}

async fn read(app: &TestApp, token: &str, path: &str) -> Expected {
    let response = app.api(Method::GET, token, path).send().await.unwrap();
    let etag = response.headers()["etag"].to_str().unwrap().to_owned();
    let expected = expected_of(&expect_status(response, StatusCode::OK).await);
    assert_eq!(
        etag,
        format!("\"{}\"", expected.version),
        "the ETag is the version"
    );
    expected
}

fn expected_of(initiative: &Value) -> Expected {
    Expected {
        version: initiative["version"].as_i64().unwrap(),
        title: initiative["title"].as_str().unwrap().to_owned(),
        progress: initiative["progress"].as_i64().unwrap(),
    }
}
