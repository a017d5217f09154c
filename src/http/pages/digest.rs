//! `/portfolios/{id}/digest?since=`: what changed in the subtree since a day (SPEC §12), as a
//! printable page, or as markdown to paste into a chat channel (`?format=markdown`, or a request
//! that accepts `text/markdown`). The figures are the API's (`db::digest`).

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Response};
use chrono::NaiveDate;
use uuid::Uuid;

use super::Layout;
use crate::db;
use crate::db::portfolios::Portfolio;
use crate::domain::digest::{DEFAULT_DAYS, Digest, Moment};
use crate::error::PageResult;
use crate::http::AppState;
use crate::http::api::digest::DigestQuery;
use crate::http::extract::PageCaller;

#[derive(serde::Deserialize)]
pub struct PageQuery {
    since: Option<String>,
    format: Option<String>,
}

#[derive(Template, WebTemplate)]
#[template(path = "portfolios/digest.html")]
pub struct DigestPage {
    layout: Layout,
    ancestors: Vec<Portfolio>,
    digest: Digest,
    /// Why the `since` typed was not used, if it was not.
    since_error: Option<String>,
    markdown_url: String,
}

/// Markdown when asked for by `?format=markdown` or by an `Accept` that names it before HTML.
fn wants_markdown(query: &PageQuery, headers: &HeaderMap) -> bool {
    if query.format.as_deref() == Some("markdown") {
        return true;
    }
    let accept = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let position = |kind: &str| accept.find(kind);
    match (position("text/markdown"), position("text/html")) {
        (Some(markdown), Some(html)) => markdown < html,
        (Some(_), None) => true,
        _ => false,
    }
}

#[tracing::instrument(skip_all, fields(portfolio_id = %id))]
pub async fn show(
    State(state): State<AppState>,
    PageCaller(caller): PageCaller,
    Path(id): Path<Uuid>,
    Query(query): Query<PageQuery>,
    headers: HeaderMap,
) -> PageResult<Response> {
    let pool = state.tenant(&caller);
    let today = db::orgs::calendar(&pool).await?.today;
    let asked = DigestQuery {
        since: query.since.clone(),
    };
    // A day that does not parse falls back to a week ago, said beside the field.
    let (since, since_error) = match asked.since(today) {
        Ok(since) => (since, None),
        Err(errors) => (
            today - chrono::Duration::days(DEFAULT_DAYS),
            errors.get("since").map(str::to_owned),
        ),
    };
    let digest = db::digest::read(&pool, id, since).await?;
    if wants_markdown(&query, &headers) {
        return Ok((
            [(header::CONTENT_TYPE, "text/markdown; charset=utf-8")],
            digest.markdown(),
        )
            .into_response());
    }
    let mut ancestors = db::portfolios::ancestors(&pool, pool.org_id(), id).await?;
    ancestors.pop();
    Ok(DigestPage {
        layout: Layout::new(format!("{}: what changed", digest.portfolio.name), Some(&caller))
            .in_section("portfolios"),
        ancestors,
        markdown_url: format!("/portfolios/{id}/digest?since={since}&format=markdown"),
        since_error,
        digest,
    }
    .into_response())
}

impl DigestPage {
    fn since_label(&self) -> String {
        label(self.digest.since)
    }

    /// Work added, started and finished: (section class, heading, the work).
    fn moment_lists(&self) -> [(&'static str, &'static str, &[Moment]); 3] {
        [
            ("digest-added", "Added", &self.digest.added),
            ("digest-started", "Started", &self.digest.started),
            ("digest-finished", "Finished", &self.digest.finished),
        ]
    }
}

fn label(day: NaiveDate) -> String {
    day.format("%b %-d, %Y").to_string()
}
