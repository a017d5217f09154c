//! `/portfolios/{id}/changes`: every status and health change in a portfolio's subtree since a
//! day, newest first, a page at a time — the whole of what the roll-up's "What changed since …"
//! shows the latest of.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, Query, State};
use chrono::NaiveDate;
use uuid::Uuid;

use super::Layout;
use super::rollup::parse_since;
use crate::db;
use crate::db::portfolios::Portfolio;
use crate::db::status_updates::SubtreeChange;
use crate::error::PageResult;
use crate::http::AppState;
use crate::http::extract::PageCaller;

/// Changes per page.
const PAGE_SIZE: i64 = 50;

#[derive(Template, WebTemplate)]
#[template(path = "portfolios/changes.html")]
pub struct ChangesPage {
    layout: Layout,
    /// From the top down to the portfolio, itself last.
    ancestors: Vec<Portfolio>,
    portfolio: Portfolio,
    since: NaiveDate,
    since_error: Option<&'static str>,
    total: i64,
    changes: Vec<SubtreeChange>,
    /// The number of the first change shown, counting from 1.
    first_row: i64,
    page: i64,
    previous_url: Option<String>,
    next_url: Option<String>,
}

#[derive(serde::Deserialize)]
pub struct ChangesQuery {
    since: Option<String>,
    page: Option<String>,
}

#[tracing::instrument(skip_all, fields(portfolio_id = %id))]
pub async fn show(
    State(state): State<AppState>,
    PageCaller(caller): PageCaller,
    Path(id): Path<Uuid>,
    Query(query): Query<ChangesQuery>,
) -> PageResult<ChangesPage> {
    let (since, since_error) = parse_since(query.since.as_deref());
    // A page number that does not parse is the first page, as a mangled link should be.
    let page = query
        .page
        .as_deref()
        .and_then(|p| p.parse::<i64>().ok())
        .filter(|p| (1..=1_000_000).contains(p))
        .unwrap_or(1);
    let offset = (page - 1) * PAGE_SIZE;
    let data = db::pages::changes::read(&state.tenant(&caller), id, since, PAGE_SIZE, offset).await?;
    let url = |page: i64| format!("/portfolios/{id}/changes?since={since}&page={page}");
    Ok(ChangesPage {
        layout: Layout::new(format!("What changed in {}", data.portfolio.name), Some(&caller))
            .in_section("portfolios"),
        previous_url: (page > 1).then(|| url(page - 1)),
        next_url: (offset + PAGE_SIZE < data.total).then(|| url(page + 1)),
        first_row: offset + 1,
        ancestors: data.ancestors,
        portfolio: data.portfolio,
        since,
        since_error,
        total: data.total,
        changes: data.changes,
        page,
    })
}
