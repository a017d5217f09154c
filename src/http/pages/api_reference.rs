//! `/docs/api`: the API reference for people, rendered from the same OpenAPI document that
//! `GET /api/v1/openapi.json` serves, so the two cannot disagree. Operations are grouped by tag,
//! each with its parameters, body and answers; the schemas they name follow, linked by anchor.

use askama::Template;
use askama_web::WebTemplate;
use serde_json::Value;

use super::Layout;
use crate::http::extract::OptionalPageCaller;
use crate::http::openapi;

/// A type as the page writes it: text, and the schema it links to when it names one.
pub struct TypeText {
    pub text: String,
    pub link: Option<String>,
}

pub struct ParameterView {
    pub name: String,
    pub location: String,
    pub required: bool,
    pub type_text: TypeText,
    pub description: String,
}

pub struct ResponseView {
    pub status: String,
    pub description: String,
    pub body: Option<TypeText>,
}

pub struct OperationView {
    pub anchor: String,
    pub method: String,
    pub path: String,
    pub summary: String,
    pub description: String,
    pub public: bool,
    pub parameters: Vec<ParameterView>,
    pub body: Option<TypeText>,
    pub responses: Vec<ResponseView>,
}

pub struct TagView {
    pub name: String,
    pub description: String,
    pub operations: Vec<OperationView>,
}

pub struct PropertyView {
    pub name: String,
    pub type_text: TypeText,
    pub required: bool,
    pub description: String,
}

pub struct SchemaView {
    pub name: String,
    pub description: String,
    /// An object's fields; empty for enums and strings.
    pub properties: Vec<PropertyView>,
    /// What it is when it is not an object with fields (an enum's values, a string's pattern).
    pub summary: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "api_reference.html")]
pub struct ApiReferencePage {
    layout: Layout,
    title: String,
    version: String,
    description: String,
    tags: Vec<TagView>,
    schemas: Vec<SchemaView>,
}

/// Public like the document itself: it tells how to use the API, not anything of an organization.
pub async fn show(OptionalPageCaller(caller): OptionalPageCaller) -> ApiReferencePage {
    let document = serde_json::to_value(openapi::document()).unwrap_or_default();
    let text = |pointer: &str| {
        document
            .pointer(pointer)
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_owned()
    };
    ApiReferencePage {
        layout: Layout::new("API reference", caller.as_ref()),
        title: text("/info/title"),
        version: text("/info/version"),
        description: text("/info/description"),
        tags: tags(&document),
        schemas: schemas(&document),
    }
}

const METHODS: [&str; 5] = ["get", "post", "put", "patch", "delete"];

fn tags(document: &Value) -> Vec<TagView> {
    let mut tags: Vec<TagView> = document["tags"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|tag| TagView {
            name: str_of(&tag["name"]),
            description: str_of(&tag["description"]),
            operations: Vec::new(),
        })
        .collect();
    let paths = document["paths"].as_object().into_iter().flatten();
    for (path, item) in paths {
        for method in METHODS {
            let Some(operation) = item.get(method) else {
                continue;
            };
            let view = operation_view(document, method, path, operation);
            let tag = operation["tags"][0].as_str().unwrap_or("other");
            match tags.iter_mut().find(|t| t.name == tag) {
                Some(group) => group.operations.push(view),
                None => tags.push(TagView {
                    name: tag.to_owned(),
                    description: String::new(),
                    operations: vec![view],
                }),
            }
        }
    }
    tags.retain(|tag| !tag.operations.is_empty());
    tags
}

fn operation_view(document: &Value, method: &str, path: &str, operation: &Value) -> OperationView {
    let parameters = operation["parameters"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|parameter| ParameterView {
            name: str_of(&parameter["name"]),
            location: str_of(&parameter["in"]),
            required: parameter["required"].as_bool().unwrap_or(false),
            type_text: type_text(&parameter["schema"]),
            description: str_of(&parameter["description"]),
        })
        .collect();
    let body = operation
        .pointer("/requestBody/content/application~1json/schema")
        .map(type_text);
    let responses = operation["responses"]
        .as_object()
        .into_iter()
        .flatten()
        .map(|(status, response)| {
            // Shared problem answers are references to components.responses.
            let response = match response["$ref"].as_str() {
                Some(reference) => reference
                    .strip_prefix("#/")
                    .and_then(|pointer| document.pointer(&format!("/{pointer}")))
                    .unwrap_or(response),
                None => response,
            };
            let body = response["content"]
                .as_object()
                .and_then(|content| content.values().next())
                .and_then(|media| media.get("schema"))
                .map(type_text);
            ResponseView {
                status: status.clone(),
                description: str_of(&response["description"]),
                body,
            }
        })
        .collect();
    OperationView {
        anchor: str_of(&operation["operationId"]),
        method: method.to_uppercase(),
        path: path.to_owned(),
        summary: str_of(&operation["summary"]),
        description: str_of(&operation["description"]),
        public: operation["security"].as_array().is_some_and(|requirements| {
            requirements
                .iter()
                .all(|r| r.as_object().is_some_and(|o| o.is_empty()))
        }),
        parameters,
        body,
        responses,
    }
}

fn schemas(document: &Value) -> Vec<SchemaView> {
    document
        .pointer("/components/schemas")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
        .map(|(name, schema)| {
            let required: Vec<&str> = schema["required"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
                .collect();
            let properties = object_properties(document, schema)
                .into_iter()
                .map(|(field, property)| PropertyView {
                    required: required.contains(&field.as_str()),
                    type_text: type_text(&property),
                    description: str_of(&property["description"]),
                    name: field,
                })
                .collect::<Vec<_>>();
            SchemaView {
                name: name.clone(),
                description: str_of(&schema["description"]),
                summary: if properties.is_empty() {
                    type_text(schema).text
                } else {
                    String::new()
                },
                properties,
            }
        })
        .collect()
}

/// An object's fields, those of `allOf` parts (serde's `flatten`) included.
fn object_properties(document: &Value, schema: &Value) -> Vec<(String, Value)> {
    let mut fields: Vec<(String, Value)> = schema["properties"]
        .as_object()
        .into_iter()
        .flatten()
        .map(|(name, property)| (name.clone(), property.clone()))
        .collect();
    for part in schema["allOf"].as_array().into_iter().flatten() {
        let part = match part["$ref"].as_str().and_then(|r| r.strip_prefix("#/")) {
            Some(pointer) => document.pointer(&format!("/{pointer}")).unwrap_or(part),
            None => part,
        };
        fields.extend(object_properties(document, part));
    }
    fields
}

/// "string (uuid), nullable", "array of Theme", "one of: proposed, planned"…
fn type_text(schema: &Value) -> TypeText {
    if let Some(reference) = schema["$ref"].as_str() {
        let name = reference.rsplit('/').next().unwrap_or(reference).to_owned();
        return TypeText {
            link: Some(format!("#schema-{name}")),
            text: name,
        };
    }
    for key in ["oneOf", "anyOf", "allOf"] {
        if let Some(parts) = schema[key].as_array() {
            let texts: Vec<TypeText> = parts.iter().map(type_text).collect();
            let link = texts.iter().find_map(|t| t.link.clone());
            let words: Vec<String> = texts.into_iter().map(|t| t.text).collect();
            let joiner = if key == "allOf" { " and " } else { " or " };
            return TypeText {
                text: words.join(joiner),
                link,
            };
        }
    }
    if let Some(values) = schema["enum"].as_array() {
        let words: Vec<String> = values
            .iter()
            .map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_owned))
            .collect();
        return TypeText {
            text: format!("one of: {}", words.join(", ")),
            link: None,
        };
    }
    let types: Vec<String> = match &schema["type"] {
        Value::String(one) => vec![one.clone()],
        Value::Array(many) => many.iter().filter_map(Value::as_str).map(str::to_owned).collect(),
        _ => Vec::new(),
    };
    let nullable = types.iter().any(|t| t == "null");
    let mut text = match types.iter().find(|t| *t != "null").map(String::as_str) {
        Some("array") => {
            let items = type_text(&schema["items"]);
            return TypeText {
                text: format!(
                    "array of {}{}",
                    items.text,
                    if nullable { ", nullable" } else { "" }
                ),
                link: items.link,
            };
        }
        Some("object") if schema["additionalProperties"].is_object() => {
            let values = type_text(&schema["additionalProperties"]);
            return TypeText {
                text: format!("map of {}", values.text),
                link: values.link,
            };
        }
        Some(word) => word.to_owned(),
        None if nullable => "null".to_owned(),
        None => "any".to_owned(),
    };
    if let Some(format) = schema["format"].as_str() {
        text.push_str(&format!(" ({format})"));
    }
    if let Some(pattern) = schema["pattern"].as_str() {
        text.push_str(&format!(" matching {pattern}"));
    }
    if nullable {
        text.push_str(", nullable");
    }
    TypeText { text, link: None }
}

fn str_of(value: &Value) -> String {
    value.as_str().unwrap_or("").to_owned()
}
