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
use crate::domain::period::start_of_day;
use crate::error::{AppError, PageResult};
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
    let org_id = caller.org_id;
    // The count and the page from one snapshot, so that "31 to 50 of 50" adds up.
    let mut tx = state.tenant(&caller).begin_snapshot().await?;
    let mut ancestors = db::portfolios::ancestors(&mut *tx, org_id, id).await?;
    let portfolio = ancestors.pop().ok_or(AppError::NotFound)?;
    let from = start_of_day(since);
    let total = db::status_updates::count_changes_in_subtree(&mut *tx, org_id, id, from).await?;
    let changes =
        db::status_updates::changes_in_subtree_page(&mut *tx, org_id, id, from, PAGE_SIZE, offset).await?;
    tx.commit().await?;
    let url = |page: i64| format!("/portfolios/{id}/changes?since={since}&page={page}");
    Ok(ChangesPage {
        layout: Layout::new(format!("What changed in {}", portfolio.name), Some(&caller))
            .in_section("portfolios"),
        previous_url: (page > 1).then(|| url(page - 1)),
        next_url: (offset + PAGE_SIZE < total).then(|| url(page + 1)),
        first_row: offset + 1,
        ancestors,
        portfolio,
        since,
        since_error,
        total,
        changes,
        page,
    })
}
