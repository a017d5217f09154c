//! `AppError` as the HTML page the pages answer with, styled like every other page.

use askama::Template;
use axum::response::{Html, IntoResponse, Response};

use super::static_files;
use crate::error::{AppError, add_retry_after};

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage<'a> {
    status: u16,
    title: &'a str,
    message: String,
    /// Which field of the request was refused and why, for a request a link or a filter form made
    /// (a form of fields shows its errors beside them instead).
    problems: Vec<String>,
    css_url: String,
}

/// The HTML rendering, for pages.
impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        self.log();
        let status = self.status();
        let page = ErrorPage {
            status: status.as_u16(),
            title: status.canonical_reason().unwrap_or("Error"),
            message: self.to_string(),
            problems: self
                .field_errors()
                .map(|errors| {
                    errors
                        .iter()
                        .map(|(field, messages)| format!("{field} {}", messages.join(" ")))
                        .collect()
                })
                .unwrap_or_default(),
            css_url: static_files::url("app.css"),
        };
        let body = page.render().unwrap_or_else(|_| self.to_string());
        let mut response = (status, Html(body)).into_response();
        add_retry_after(&mut response, self.retry_after());
        response
    }
}
