//! The OpenAPI 3.1 document of the JSON API (SPEC §6), made from the handlers' `#[utoipa::path]`
//! annotations and the very types they read and write. `routes::api` builds the API's routes and
//! this document from the same list of handlers, so a route cannot be served undocumented. Served
//! at `GET /api/v1/openapi.json`; `pages::api_reference` renders it for people.

use std::sync::LazyLock;

use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use utoipa::IntoParams;
use utoipa::openapi::path::{Operation, Parameter, ParameterBuilder, ParameterIn};
use utoipa::openapi::response::ResponseBuilder;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{Content, HttpMethod, ObjectBuilder, OpenApi, Ref, RefOr, Required, schema::Type};

use super::extract::{IfMatch, ResourceId, ResourceIds};
use crate::domain::period::Period;
use crate::domain::{Health, Status, WorkScope};
use crate::error::Problem;

/// The security scheme every operation needs unless it says otherwise.
pub const BEARER: &str = "bearer";
/// Media type of error answers (RFC 9457).
pub const PROBLEM_JSON: &str = "application/problem+json";

#[derive(utoipa::OpenApi)]
#[openapi(
    info(
        title = "Cairn API",
        version = "1",
        description = "Cairn's JSON API: portfolios, initiatives, OKRs and roadmaps of one \
            organization. Authenticate with `Authorization: Bearer <token>` (a token comes from \
            `POST /signup` or `POST /tokens`). Errors are `application/problem+json` (RFC 9457); \
            validation errors (422) and duplicates (409) name the field in `errors`. Every \
            single-resource answer carries an `ETag`; send it back in `If-Match` with `PATCH`, \
            `DELETE` and `POST …/updates` so that a concurrent change answers 412 instead of \
            being overwritten. Lists answer `{items, next_cursor}`: pass `next_cursor` as \
            `cursor` for the next page."
    ),
    tags(
        (name = "accounts", description = "Sign-up, API tokens and the caller"),
        (name = "organization", description = "The caller's organization and its settings"),
        (name = "members", description = "Members of the organization and their roles"),
        (name = "themes", description = "Investment themes and their target shares"),
        (name = "scorecard", description = "The organization's scorecard: its drivers and each initiative's values on them"),
        (name = "portfolios", description = "The portfolio tree and its roll-ups"),
        (name = "initiatives", description = "Initiatives and their status updates"),
        (name = "okrs", description = "Objectives, key results, check-ins and their links to initiatives"),
        (name = "roadmaps", description = "Saved roadmaps and their share links"),
        (name = "priorities", description = "The ranked backlog against capacity, and the manual order"),
        (name = "scenarios", description = "What-if scenarios over a portfolio subtree: their changes, figures, compare and apply"),
        (name = "baselines", description = "A portfolio's subtree frozen at a moment, and what changed since: slips, additions, drops and why"),
        (name = "outcomes", description = "KPIs per portfolio with targets and trends, and customer feedback linked to the work it asks for"),
        (name = "imports", description = "Bringing work in from other tools: Jira's CSV export"),
        (name = "webhooks", description = "Endpoints told of changes as they happen, signed per Standard Webhooks, and their delivery logs"),
        (name = "dependencies", description = "Which initiatives wait for which, and the conflicts between their dates"),
        (name = "meta", description = "This document"),
    ),
    // Schemas that only query parameters name, which utoipa does not collect by itself.
    components(schemas(Problem, Status, Health, WorkScope, Period)),
    security(("bearer" = [])),
)]
pub struct ApiDoc;

/// The finished document: the annotated routes, plus the security scheme and the problem+json
/// answers every operation shares. Built once; it does not change while the process runs.
pub fn document() -> &'static OpenApi {
    static DOCUMENT: LazyLock<OpenApi> = LazyLock::new(|| {
        let mut document = super::routes::api().into_openapi();
        add_shared_parts(&mut document);
        state_parsing_rules(document)
    });
    &DOCUMENT
}

/// `GET /openapi.json`: this document.
#[utoipa::path(
    get,
    path = "/openapi.json",
    tag = "meta",
    operation_id = "openapi",
    security(()),
    responses((status = OK, description = "The OpenAPI 3.1 document of this API", content_type = "application/json"))
)]
pub async fn openapi_json() -> Response {
    static JSON: LazyLock<String> =
        LazyLock::new(|| document().to_json().expect("the OpenAPI document serializes"));
    ([(header::CONTENT_TYPE, "application/json")], JSON.as_str()).into_response()
}

/// A UUID as the API's parsers take it (`uuid::Uuid`'s hyphenated form): `format: uuid` alone is
/// an annotation a client may ignore.
const UUID_PATTERN: &str = "^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$";

/// A calendar date as `chrono::NaiveDate` reads it: `format: date` alone is an annotation.
const DATE_PATTERN: &str = concat!(
    "^([0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|1[0-9]|2[0-8])",
    "|[0-9]{4}-(0[13-9]|1[0-2])-(29|30)",
    "|[0-9]{4}-(0[13578]|1[02])-31",
    "|([0-9]{2}(0[48]|[2468][048]|[13579][26])|([02468][048]|[13579][26])00)-02-29)$"
);

/// States in the document the rules every parser of the API holds a request to, wherever they
/// apply, so that a request the document allows is one the server accepts: an id is a UUID
/// (`UUID_PATTERN`), a date a real date (`DATE_PATTERN`), a query parameter is never sent
/// empty (`extract::ApiQuery` names it), and text that must have a value is not blank.
fn state_parsing_rules(document: OpenApi) -> OpenApi {
    fn walk(value: &mut serde_json::Value) {
        match value {
            serde_json::Value::Object(object) => {
                let pattern = match object.get("format").and_then(|f| f.as_str()) {
                    Some("uuid") => Some(UUID_PATTERN),
                    Some("date") => Some(DATE_PATTERN),
                    _ => None,
                };
                if let Some(pattern) = pattern {
                    object.entry("pattern").or_insert(pattern.into());
                }
                // Text that must have a value is parsed by `validation::text`: not blank either.
                let string = match object.get("type") {
                    Some(serde_json::Value::String(one)) => one == "string",
                    Some(serde_json::Value::Array(types)) => types.iter().any(|t| t == "string"),
                    _ => false,
                };
                if string
                    && object.get("minLength").and_then(|m| m.as_u64()) == Some(1)
                    && !object.contains_key("enum")
                {
                    object
                        .entry("pattern")
                        .or_insert(crate::domain::validation::NOT_BLANK.into());
                }
                if object.get("in").and_then(|f| f.as_str()) == Some("query")
                    && let Some(schema) = object.get_mut("schema").and_then(|s| s.as_object_mut())
                    && schema.get("type").and_then(|t| t.as_str()) == Some("string")
                {
                    schema.entry("minLength").or_insert(1.into());
                }
                object.values_mut().for_each(walk);
            }
            serde_json::Value::Array(items) => items.iter_mut().for_each(walk),
            _ => {}
        }
    }
    let mut value = serde_json::to_value(&document).expect("the OpenAPI document serializes");
    walk(&mut value);
    require_to_create(&mut value);
    serde_json::from_value(value).expect("the OpenAPI document reads back")
}

/// The fields a create needs that a change may leave out, by the schema that serves both (the
/// domain's `apply` with no current record names each as "is required"; a test holds the two to
/// each other).
const REQUIRED_TO_CREATE: [(&str, &[&str]); 6] = [
    ("InitiativeChanges", &["title", "portfolio_id"]),
    ("PortfolioChanges", &["name", "level"]),
    ("ObjectiveChanges", &["title", "portfolio_id", "period"]),
    ("KeyResultChanges", &["title", "start_value", "target_value"]),
    ("RoadmapChanges", &["name", "portfolio_id", "from", "to"]),
    ("ThemeChanges", &["name"]),
];

/// The schema without its null: `type: [T, "null"]` becomes `T`, a `oneOf` loses its null branch.
fn not_null(schema: &mut serde_json::Value) {
    let is_null = |s: &serde_json::Value| s.get("type") == Some(&"null".into());
    if let Some(types) = schema.get_mut("type").and_then(|t| t.as_array_mut()) {
        types.retain(|t| t != "null");
        if let [only] = types.as_slice() {
            schema["type"] = only.clone();
        }
    } else if let Some(branches) = schema.get_mut("oneOf").and_then(|o| o.as_array_mut()) {
        branches.retain(|branch| !is_null(branch));
        if let [only] = branches.as_slice() {
            *schema = only.clone();
        }
    }
}

/// Each creating POST whose body is one of `REQUIRED_TO_CREATE`'s schemas takes `New<schema>`
/// instead: the same, with those fields required.
fn require_to_create(document: &mut serde_json::Value) {
    for (name, required) in REQUIRED_TO_CREATE {
        let schemas = &mut document["components"]["schemas"];
        let mut new = schemas[name].clone();
        new["required"] = serde_json::json!(required);
        // A null is a field left out (`Option`), so a required one may not be null either.
        for field in required {
            if let Some(property) = new.pointer_mut(&format!("/properties/{field}")) {
                not_null(property);
            }
        }
        schemas[format!("New{name}")] = new;
        let reference = serde_json::json!(format!("#/components/schemas/{name}"));
        let paths = document["paths"].as_object_mut().expect("the document has paths");
        for item in paths.values_mut() {
            let body = item
                .pointer_mut("/post/requestBody/content/application~1json/schema")
                .filter(|body| body.get("$ref") == Some(&reference));
            if let Some(body) = body {
                body["$ref"] = format!("#/components/schemas/New{name}").into();
            }
        }
    }
}

/// The problem answers, one reusable response each; operations refer to the ones they can give.
const PROBLEMS: [(&str, &str, &str); 10] = [
    (
        "400",
        "BadRequest",
        "The body is not JSON, the query string cannot be read, or `If-Match` is not an ETag of this API",
    ),
    (
        "401",
        "Unauthorized",
        "No valid bearer token (or, signing in, a wrong email or password)",
    ),
    ("403", "Forbidden", "The caller may read this but not change it"),
    ("404", "NotFound", "No such resource in the caller's organization"),
    (
        "409",
        "Conflict",
        "A duplicate of something unique, a portfolio that is not empty, or a move into a circle",
    ),
    (
        "412",
        "PreconditionFailed",
        "`If-Match` names a version that is no longer current: nothing was changed",
    ),
    (
        "413",
        "PayloadTooLarge",
        "The body is larger than 1 MiB (64 MiB for imports)",
    ),
    (
        "422",
        "UnprocessableEntity",
        "Some fields are not valid; `errors` names them",
    ),
    (
        "429",
        "TooManyRequests",
        "Too many failed sign-ins; retry after `Retry-After` seconds",
    ),
    (
        "503",
        "ServiceUnavailable",
        "The database is briefly unreachable; retry after `Retry-After` seconds",
    ),
];

fn add_shared_parts(document: &mut OpenApi) {
    let components = document.components.get_or_insert_with(Default::default);
    components.add_security_scheme(
        BEARER,
        SecurityScheme::Http(
            HttpBuilder::new()
                .scheme(HttpAuthScheme::Bearer)
                .description(Some("An API token from `POST /signup` or `POST /tokens`"))
                .build(),
        ),
    );
    for (_, name, description) in PROBLEMS {
        components.responses.insert(
            name.to_owned(),
            RefOr::T(
                ResponseBuilder::new()
                    .description(description)
                    .content(PROBLEM_JSON, Content::new(Some(Ref::from_schema_name("Problem"))))
                    .build(),
            ),
        );
    }
    for item in document.paths.paths.values_mut() {
        let operations = [
            (HttpMethod::Get, &mut item.get),
            (HttpMethod::Put, &mut item.put),
            (HttpMethod::Post, &mut item.post),
            (HttpMethod::Patch, &mut item.patch),
            (HttpMethod::Delete, &mut item.delete),
        ];
        for (method, operation) in operations {
            if let Some(operation) = operation {
                add_problems(method, operation);
                describe_answers(operation);
            }
        }
    }
}

/// The problems an operation can answer, from what it takes: a token (401, and 403 for writes),
/// an id in the path (404), a body or a query (400, 422), `If-Match` (400, 412). Operations add
/// their own 409 and 429 in their annotation; every operation can meet a database outage (503).
fn add_problems(method: HttpMethod, operation: &mut Operation) {
    let parameters: Vec<&Parameter> = operation
        .parameters
        .iter()
        .flatten()
        .filter_map(|parameter| match parameter {
            RefOr::T(parameter) => Some(parameter),
            RefOr::Ref(_) => None,
        })
        .collect();
    let takes = |location: ParameterIn| parameters.iter().any(|p| p.parameter_in == location);
    let takes_if_match = parameters.iter().any(|p| p.name == "If-Match");
    let public = operation
        .security
        .as_ref()
        .is_some_and(|requirements| requirements.iter().all(is_empty_requirement));
    let write = !matches!(method, HttpMethod::Get);
    let body = operation.request_body.is_some();
    let mut statuses = Vec::new();
    if body || takes(ParameterIn::Query) || takes_if_match {
        statuses.push("400");
    }
    if !public {
        statuses.push("401");
        if write {
            statuses.push("403");
        }
    }
    if takes(ParameterIn::Path) {
        statuses.push("404");
    }
    if takes_if_match {
        statuses.push("412");
    }
    if body {
        statuses.push("413");
    }
    if body || takes(ParameterIn::Query) {
        statuses.push("422");
    }
    statuses.push("503");
    for (status, name, _) in PROBLEMS {
        if statuses.contains(&status) {
            operation
                .responses
                .responses
                .entry(status.to_owned())
                .or_insert_with(|| RefOr::Ref(Ref::from_response_name(name)));
        }
    }
}

/// Annotations name the `ETag` header of each single-resource answer; it says the same everywhere.
/// This also names the success answers that their annotation leaves undescribed ("OK", "Created"):
/// OpenAPI requires a description.
fn describe_answers(operation: &mut Operation) {
    for (status, response) in operation.responses.responses.iter_mut() {
        if let RefOr::T(response) = response
            && response.description.is_empty()
        {
            let reason = status
                .parse::<u16>()
                .ok()
                .and_then(|s| StatusCode::from_u16(s).ok());
            response.description = reason
                .and_then(|s| s.canonical_reason())
                .unwrap_or_default()
                .to_owned();
        }
        if let RefOr::T(response) = response
            && let Some(RefOr::T(etag)) = response.headers.get_mut("ETag")
        {
            etag.description =
                Some("The resource's version, to send back in `If-Match` (e.g. `\"3\"`)".into());
        }
    }
}

fn is_empty_requirement(requirement: &utoipa::openapi::security::SecurityRequirement) -> bool {
    serde_json::to_value(requirement).is_ok_and(|value| value.as_object().is_some_and(|o| o.is_empty()))
}

/// A problem answer an operation names in its `responses(...)` because the shared rules of
/// `add_problems` cannot tell that it gives one.
macro_rules! problem_response {
    ($(#[$doc:meta])* $name:ident, $status:literal, $component:literal) => {
        $(#[$doc])*
        pub struct $name;

        impl utoipa::IntoResponses for $name {
            fn responses() -> std::collections::BTreeMap<String, RefOr<utoipa::openapi::response::Response>> {
                [($status.to_owned(), RefOr::Ref(Ref::from_response_name($component)))].into()
            }
        }
    };
}

problem_response!(
    /// 409: a duplicate, a portfolio that is not empty, a move into a circle, the last admin.
    ConflictResponse, "409", "Conflict"
);
problem_response!(
    /// 404 from an operation whose query names a resource (a scenario to compare): no such
    /// resource in the caller's organization. Ids in a path get theirs from `add_problems`.
    NotFoundResponse, "404", "NotFound"
);
problem_response!(
    /// 429: too many failed sign-ins.
    TooManyRequestsResponse, "429", "TooManyRequests"
);
problem_response!(
    /// 401 from an operation that needs no token: a wrong email or password.
    UnauthorizedResponse, "401", "Unauthorized"
);

fn uuid_schema() -> utoipa::openapi::schema::Schema {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .format(Some(utoipa::openapi::SchemaFormat::KnownFormat(
            utoipa::openapi::KnownFormat::Uuid,
        )))
        .into()
}

pub(crate) fn path_id(name: &str, description: &str) -> Parameter {
    ParameterBuilder::new()
        .name(name)
        .parameter_in(ParameterIn::Path)
        .required(Required::True)
        .description(Some(description))
        .schema(Some(uuid_schema()))
        .build()
}

impl IntoParams for ResourceId {
    fn into_params(_: impl Fn() -> Option<ParameterIn>) -> Vec<Parameter> {
        vec![path_id("id", "The resource's id")]
    }
}

impl IntoParams for ResourceIds {
    fn into_params(_: impl Fn() -> Option<ParameterIn>) -> Vec<Parameter> {
        vec![
            path_id("id", "The initiative's id"),
            path_id("kr_id", "The key result's id"),
        ]
    }
}

impl IntoParams for IfMatch {
    fn into_params(_: impl Fn() -> Option<ParameterIn>) -> Vec<Parameter> {
        let schema = ObjectBuilder::new()
            .schema_type(Type::String)
            .pattern(Some(r#"^(\*|(W/)?("[0-9]{1,18}"|[0-9]{1,18}))$"#))
            .examples(["\"3\""]);
        vec![
            ParameterBuilder::new()
                .name("If-Match")
                .parameter_in(ParameterIn::Header)
                .required(Required::False)
                .description(Some(
                    "The `ETag` the client last read. A stale one answers 412 and changes nothing; \
                     without it (or with `*`) the change applies to the current version.",
                ))
                .schema(Some(schema))
                .build(),
        ]
    }
}

/// The `Idempotency-Key` header of the creating POSTs (`extract::CreateJson`).
pub struct IdempotencyKeyHeader;

impl IntoParams for IdempotencyKeyHeader {
    fn into_params(_: impl Fn() -> Option<ParameterIn>) -> Vec<Parameter> {
        let schema = ObjectBuilder::new()
            .schema_type(Type::String)
            .pattern(Some(r"^[!-~]{1,255}$"))
            .examples(["3f1c5a9e-8d2b-4f7a-9c1e-2b6d0a4e7f13"]);
        vec![
            ParameterBuilder::new()
                .name("Idempotency-Key")
                .parameter_in(ParameterIn::Header)
                .required(Required::False)
                .description(Some(
                    "A key of the client's choosing for this request. A retry with the same key \
                     within 24 hours gets the first answer (with `Idempotent-Replayed: true`) \
                     and creates nothing; the same key with another body answers 422.",
                ))
                .schema(Some(schema))
                .build(),
        ]
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::REQUIRED_TO_CREATE;
    use crate::domain::FieldErrors;

    /// What the domain refuses in a create that sends nothing, by the schema that reads it.
    fn refused_when_empty(schema: &str) -> BTreeSet<String> {
        use crate::domain::{initiative, okr, portfolio, roadmap, theme};
        let errors: FieldErrors = match schema {
            "InitiativeChanges" => initiative::InitiativeChanges::default().apply(None).unwrap_err(),
            "PortfolioChanges" => portfolio::PortfolioChanges::default().apply(None).unwrap_err(),
            "ObjectiveChanges" => okr::ObjectiveChanges::default().apply(None).unwrap_err(),
            "KeyResultChanges" => okr::KeyResultChanges::default().apply(None).unwrap_err(),
            "RoadmapChanges" => roadmap::RoadmapChanges::default().apply(None).unwrap_err(),
            "ThemeChanges" => theme::ThemeChanges::default().apply(None).unwrap_err(),
            other => panic!("no create reads {other}"),
        };
        errors.iter().map(|(field, _)| field.clone()).collect()
    }

    #[test]
    fn the_fields_a_create_requires_are_the_ones_the_domain_refuses_when_left_out() {
        for (schema, required) in REQUIRED_TO_CREATE {
            let stated: BTreeSet<String> = required.iter().map(|f| f.to_string()).collect();
            assert_eq!(refused_when_empty(schema), stated, "{schema}");
        }
    }
}
