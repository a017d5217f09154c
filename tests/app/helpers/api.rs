//! JSON API calls with a bearer token, and the checks on what they answer.

use reqwest::{Method, RequestBuilder, Response, StatusCode};
use serde_json::{Value, json};

use super::TestApp;

impl TestApp {
    /// An API request with the account's bearer token.
    pub fn api(&self, method: Method, token: &str, path: &str) -> RequestBuilder {
        reqwest::Client::new()
            .request(method, self.url(&format!("/api/v1{path}")))
            .bearer_auth(token)
    }

    pub async fn get_json(&self, token: &str, path: &str) -> Value {
        expect_status(
            self.api(Method::GET, token, path).send().await.unwrap(),
            StatusCode::OK,
        )
        .await
    }

    pub async fn post_json(&self, token: &str, path: &str, body: Value) -> Value {
        expect_status(
            self.api(Method::POST, token, path)
                .json(&body)
                .send()
                .await
                .unwrap(),
            StatusCode::CREATED,
        )
        .await
    }

    /// A request with a JSON body, and `If-Match` when given.
    pub async fn send_json(
        &self,
        method: Method,
        token: &str,
        path: &str,
        body: Value,
        if_match: Option<&str>,
    ) -> Response {
        let mut request = self.api(method, token, path).json(&body);
        if let Some(etag) = if_match {
            request = request.header("if-match", etag);
        }
        request.send().await.unwrap()
    }

    pub async fn patch_json(&self, token: &str, path: &str, body: Value) -> Value {
        expect_status(
            self.send_json(Method::PATCH, token, path, body, None).await,
            StatusCode::OK,
        )
        .await
    }

    pub async fn create_portfolio(
        &self,
        token: &str,
        name: &str,
        level: &str,
        parent: Option<&str>,
    ) -> Value {
        self.post_json(
            token,
            "/portfolios",
            json!({"name": name, "level": level, "parent_id": parent}),
        )
        .await
    }

    pub async fn create_initiative(&self, token: &str, portfolio_id: &str, extra: Value) -> Value {
        let mut body = json!({"title": "An initiative", "portfolio_id": portfolio_id});
        body.as_object_mut()
            .unwrap()
            .extend(extra.as_object().cloned().unwrap_or_default());
        self.post_json(token, "/initiatives", body).await
    }

    /// Every item of a list, walking its pages `limit` at a time.
    pub async fn all_pages(&self, token: &str, path: &str, limit: usize) -> (Vec<Value>, usize) {
        let separator = if path.contains('?') { '&' } else { '?' };
        let mut items = Vec::new();
        let mut pages = 0;
        let mut cursor: Option<String> = None;
        loop {
            let mut url = format!("{path}{separator}limit={limit}");
            if let Some(cursor) = &cursor {
                url.push_str(&format!("&cursor={cursor}"));
            }
            let page = self.get_json(token, &url).await;
            pages += 1;
            let batch = page["items"].as_array().unwrap();
            assert!(batch.len() <= limit);
            items.extend(batch.iter().cloned());
            match page["next_cursor"].as_str() {
                Some(next) => cursor = Some(next.to_owned()),
                None => return (items, pages),
            }
        }
    }
}

/// Asserts the status (showing the body when it differs) and returns the JSON body, or Null.
pub async fn expect_status(response: Response, status: StatusCode) -> Value {
    let actual = response.status();
    let text = response.text().await.unwrap();
    assert_eq!(actual, status, "unexpected status; body: {text}");
    serde_json::from_str(&text).unwrap_or(Value::Null)
}

/// Asserts a problem+json answer with this status, naming `field` among its errors if given.
pub async fn expect_problem(response: Response, status: StatusCode, field: Option<&str>) -> Value {
    let content_type = response
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_owned());
    let body = expect_status(response, status).await;
    assert_eq!(content_type.as_deref(), Some("application/problem+json"));
    assert_eq!(body["status"], status.as_u16());
    if let Some(field) = field {
        assert!(
            body["errors"][field].is_array(),
            "expected an error for `{field}`: {body}"
        );
    }
    body
}

/// The id a created resource answered with.
pub fn id_of(resource: &Value) -> String {
    resource["id"]
        .as_str()
        .expect("the resource has an id")
        .to_owned()
}

/// Shared checks of the API's write rules.
impl TestApp {
    /// Sends a JSON write and asserts it is refused with `status` (problem+json).
    pub async fn expect_refused(
        &self,
        method: Method,
        token: &str,
        path: &str,
        body: Value,
        status: StatusCode,
    ) {
        expect_problem(
            self.send_json(method, token, path, body, None).await,
            status,
            None,
        )
        .await;
    }

    /// The lost-update guard on a resource at version 1: a PATCH naming version 1 succeeds and
    /// answers ETag "2"; a second PATCH and a DELETE still naming version 1 answer 412.
    pub async fn assert_if_match_guards(&self, token: &str, path: &str, first: Value, stale: Value) {
        let ok = self
            .send_json(Method::PATCH, token, path, first, Some("\"1\""))
            .await;
        assert_eq!(ok.headers()["etag"], "\"2\"");
        expect_status(ok, StatusCode::OK).await;
        let stale = self
            .send_json(Method::PATCH, token, path, stale, Some("\"1\""))
            .await;
        expect_problem(stale, StatusCode::PRECONDITION_FAILED, None).await;
        let stale_delete = self
            .api(Method::DELETE, token, path)
            .header("if-match", "\"1\"")
            .send()
            .await;
        expect_problem(stale_delete.unwrap(), StatusCode::PRECONDITION_FAILED, None).await;
    }
}
