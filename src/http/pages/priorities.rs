//! `/portfolios/{id}/priorities`: the subtree's open work ranked by a score or by the manual
//! order, with the running total of what is left against the quarter's capacity and the cut line
//! "what fits"; the forms that write the manual order; `/portfolios/{id}/priorities.csv`, the
//! whole ranking as a spreadsheet.

use askama::Template;
use askama_web::WebTemplate;
use axum::Form;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::Uri;
use axum::response::{Html, Redirect, Response};
use futures_util::StreamExt;
use rust_decimal::Decimal;
use serde::Deserialize;
use uuid::Uuid;

use super::Layout;
use super::initiative_list::{Choice, OwnerFilter, OwnerSearch, enum_choices, theme_choices};
use crate::db;
use crate::db::initiative_lists::ListedInitiative;
use crate::db::pages::priorities::PrioritiesPageData;
use crate::db::portfolios::Portfolio;
use crate::db::priorities::Placement;
use crate::db::users::Caller;
use crate::domain::currency::format_quantity;
use crate::domain::period::Period;
use crate::domain::priorities::{DEFAULT_LIMIT, PrioritiesQuery, PrioritiesRequest, RunningTotal, Standing};
use crate::domain::{RankBy, Status};
use crate::error::{AppError, PageResult};
use crate::http::AppState;
use crate::http::csv_export;
use crate::http::extract::{PageCaller, StampedPageCaller};

/// A ranked row as the page shows it.
pub struct PriorityRow {
    pub id: Uuid,
    pub key: String,
    pub title: String,
    pub owner: String,
    pub status: Status,
    /// Its place in the whole ranking, from 1.
    pub position: i64,
    pub score: String,
    pub formula: String,
    pub effort: String,
    pub remaining: String,
    pub cumulative: String,
    pub fits: bool,
    /// The cut line falls right below this row.
    pub last_to_fit: bool,
    /// Its customer demand (SPEC §11): the sortable figure, and how it came about.
    pub demand: String,
    pub demand_explained: String,
}

/// A choice of score as a link that keeps the rest of the request.
pub struct ScoreLink {
    pub label: &'static str,
    pub url: String,
    pub current: bool,
}

#[derive(Template, WebTemplate)]
#[template(path = "portfolios/priorities.html")]
pub struct PrioritiesPage {
    layout: Layout,
    ancestors: Vec<Portfolio>,
    portfolio: Portfolio,
    by: RankBy,
    by_label: &'static str,
    period: Period,
    capacity: String,
    rows: Vec<PriorityRow>,
    /// Where the cut line falls, in words.
    fit_summary: String,
    scores: Vec<ScoreLink>,
    statuses: Vec<Choice>,
    themes: Vec<Choice>,
    owners: OwnerFilter,
    can_edit: bool,
    /// Ranked by the manual order, which the rows' Up and Down forms move.
    manual_order: bool,
    can_move: bool,
    /// The current request's query string, which the forms send back.
    query: String,
    previous_period_url: String,
    next_period_url: String,
    page: i64,
    previous_url: Option<String>,
    next_url: Option<String>,
    csv_url: String,
    first_row: i64,
}

/// The scores a ranking can be by, as the page names them.
const SCORES: &[(&str, RankBy)] = &[
    ("RICE", RankBy::Rice),
    ("WSJF", RankBy::Wsjf),
    ("MoAR", RankBy::Moar),
    ("Scorecard", RankBy::Scorecard),
    ("Manual order", RankBy::Rank),
    ("Customer demand", RankBy::Demand),
];

fn label(by: RankBy) -> &'static str {
    SCORES
        .iter()
        .find(|(_, b)| *b == by)
        .map_or("RICE", |(label, _)| label)
}

/// The page's URL for `request` ranked by `by`, on `page`.
fn url(portfolio_id: Uuid, request: &PrioritiesRequest, by: RankBy, page: i64) -> String {
    let query = request.query_string(by, page);
    let separator = if query.is_empty() { "" } else { "?" };
    format!("/portfolios/{portfolio_id}/priorities{separator}{query}")
}

#[tracing::instrument(skip_all, fields(portfolio_id = %id))]
pub async fn show(
    State(state): State<AppState>,
    StampedPageCaller(caller, stamp): StampedPageCaller,
    uri: Uri,
    Path(id): Path<Uuid>,
    Query(mut query): Query<PrioritiesQuery>,
    Query(search): Query<OwnerSearch>,
) -> PageResult<Html<Bytes>> {
    search
        .resolve(&state.tenant(&caller), &mut query.owner_id)
        .await?;
    let request = query.parse(id, DEFAULT_LIMIT)?;
    super::kept(&state, &caller, stamp, &uri, None, || async {
        let caches = db::pages::priorities::PrioritiesCaches {
            pages: &state.caches.priorities,
            menus: &state.caches.filter_menus,
        };
        let data = db::pages::priorities::read(&state.tenant(&caller), caches, &caller, id, &request).await?;
        Ok(PrioritiesPage::new(&caller, &request, data))
    })
    .await
}

impl PrioritiesPage {
    fn new(caller: &Caller, request: &PrioritiesRequest, data: PrioritiesPageData) -> PrioritiesPage {
        let PrioritiesPageData {
            priorities,
            menus,
            can_edit,
        } = data;
        let id = priorities.portfolio.id;
        let page = request.page();
        let unit = priorities.benefit_unit.clone();
        let mut rows: Vec<PriorityRow> = priorities
            .rows
            .iter()
            .zip(request.offset + 1..)
            .map(|((row, standing), position)| PriorityRow::new(request.by, row, *standing, position, &unit))
            .collect();
        // The cut line falls below the last row that fits when the next one does not.
        let cut = rows.windows(2).position(|pair| pair[0].fits && !pair[1].fits);
        if let Some(k) = cut {
            rows[k].last_to_fit = true;
        }
        let fit_summary = fit_summary(
            &priorities.period,
            priorities.capacity,
            &rows,
            cut,
            priorities.more,
        );
        let pinned = |period: Period| {
            url(
                id,
                &PrioritiesRequest {
                    period: Some(period),
                    ..*request
                },
                request.by,
                1,
            )
        };
        PrioritiesPage {
            layout: Layout::new(
                format!("Priorities in {}", priorities.portfolio.name),
                Some(caller),
            )
            .in_section("portfolios"),
            by: request.by,
            by_label: label(request.by),
            period: priorities.period,
            capacity: format_decimal(priorities.capacity),
            fit_summary,
            scores: SCORES
                .iter()
                .map(|&(label, by)| ScoreLink {
                    label,
                    url: url(id, request, by, 1),
                    current: by == request.by,
                })
                .collect(),
            statuses: enum_choices(
                &[Status::Proposed, Status::Planned, Status::InProgress],
                request.filter.status,
            ),
            themes: theme_choices(&menus.themes, &request.filter),
            owners: OwnerFilter::new(&menus.names, request.filter.owner_id),
            can_edit,
            manual_order: request.by == RankBy::Rank,
            can_move: can_edit && request.by == RankBy::Rank,
            query: request.query_string(request.by, page),
            previous_period_url: pinned(priorities.period.previous()),
            next_period_url: pinned(priorities.period.next()),
            page,
            previous_url: (page > 1).then(|| url(id, request, request.by, page - 1)),
            next_url: priorities.more.then(|| url(id, request, request.by, page + 1)),
            csv_url: format!(
                "/portfolios/{id}/priorities.csv?{}",
                request.query_string(request.by, 1)
            ),
            first_row: request.offset + 1,
            ancestors: priorities.ancestors.clone(),
            portfolio: priorities.portfolio.clone(),
            rows,
        }
    }
}

impl PriorityRow {
    fn new(by: RankBy, row: &ListedInitiative, standing: Standing, position: i64, unit: &str) -> PriorityRow {
        let (score, formula) = db::priorities::score(by, row, unit);
        PriorityRow {
            score: score.map(format_decimal).unwrap_or_default(),
            formula,
            effort: format_quantity(row.effort),
            remaining: format_decimal(standing.remaining_effort),
            cumulative: format_decimal(standing.cumulative_effort),
            fits: standing.fits,
            last_to_fit: false,
            position,
            id: row.id,
            key: row.key.clone(),
            title: row.title.clone(),
            owner: row.owner_name.clone().unwrap_or_else(|| "No owner".to_owned()),
            status: row.status,
            demand: match row.demand_requests {
                0 => String::new(),
                _ => row.demand_importance.to_string(),
            },
            demand_explained: row.demand().explained(),
        }
    }
}

/// Where the cut line falls, said in words above the table.
fn fit_summary(
    period: &Period,
    capacity: Decimal,
    rows: &[PriorityRow],
    cut: Option<usize>,
    more: bool,
) -> String {
    let capacity_text = format!("{period}'s capacity of {} pw", format_decimal(capacity));
    let (Some(first), Some(last)) = (rows.first(), rows.last()) else {
        return String::new();
    };
    if capacity.is_zero() {
        format!("No capacity is set for {period}, so nothing fits: set it on the portfolio page.")
    } else if let Some(k) = cut {
        format!(
            "Everything down to #{} fits within {capacity_text}: {} pw of remaining effort.",
            rows[k].position, rows[k].cumulative
        )
    } else if !first.fits {
        format!("Nothing on this page fits within {capacity_text}: the cut line is on an earlier page.")
    } else if more {
        format!("Everything on this page fits within {capacity_text}; the cut line is further down.")
    } else {
        format!(
            "All of it fits within {capacity_text}: {} pw of remaining effort.",
            last.cumulative
        )
    }
}

/// Person-weeks as the page shows them: one decimal, thousands grouped.
fn format_decimal(value: Decimal) -> String {
    format_quantity(value.try_into().unwrap_or(0.0))
}

/// The forms send back the request they were on (its query string), to return to it.
#[derive(Deserialize)]
pub struct ApplyForm {
    by: String,
    #[serde(default)]
    query: String,
}

/// "Make this the manual order": writes the ranking shown into the ranks, then shows the manual
/// order.
#[tracing::instrument(skip_all, fields(portfolio_id = %id))]
pub async fn apply(
    State(state): State<AppState>,
    PageCaller(caller): PageCaller,
    Path(id): Path<Uuid>,
    Form(form): Form<ApplyForm>,
) -> PageResult<Redirect> {
    let by: RankBy = form.by.parse().map_err(|e: String| AppError::field("by", e))?;
    let back = returned_request(id, &form.query)?;
    db::priorities::apply(&state.tenant(&caller), &caller, id, by).await?;
    Ok(Redirect::to(&url(id, &back, RankBy::Rank, 1)))
}

#[derive(Deserialize)]
pub struct MoveForm {
    initiative_id: Uuid,
    before_id: Option<Uuid>,
    after_id: Option<Uuid>,
    #[serde(default)]
    query: String,
}

/// Moves one initiative up or down the manual order, back to the same page at its row.
#[tracing::instrument(skip_all, fields(portfolio_id = %id))]
pub async fn move_rank(
    State(state): State<AppState>,
    PageCaller(caller): PageCaller,
    Path(id): Path<Uuid>,
    Form(form): Form<MoveForm>,
) -> PageResult<Redirect> {
    let placement = Placement::named(form.before_id, form.after_id)?;
    let back = returned_request(id, &form.query)?;
    let pool = state.tenant(&caller);
    db::priorities::move_to(&pool, &caller, form.initiative_id, placement).await?;
    let page = back.page();
    Ok(Redirect::to(&format!(
        "{}#rank-{}",
        url(id, &back, RankBy::Rank, page),
        form.initiative_id
    )))
}

/// The request a form was sent from, read again from its query string: the redirect is built
/// from what it parses to, never from the text sent.
fn returned_request(id: Uuid, query: &str) -> Result<PrioritiesRequest, AppError> {
    let query: PrioritiesQuery = serde_urlencoded::from_str(query).unwrap_or_default();
    Ok(query.parse(id, DEFAULT_LIMIT)?)
}

const CSV_HEADER: &[&str] = &[
    "position",
    "key",
    "title",
    "portfolio",
    "owner",
    "status",
    "score",
    "formula",
    "effort_person_weeks",
    "remaining_effort",
    "cumulative_effort",
    "fits",
];

/// `/portfolios/{id}/priorities.csv`: the whole ranking the page shows a page of, streamed.
#[tracing::instrument(skip_all, fields(portfolio_id = %id))]
pub async fn export(
    State(state): State<AppState>,
    PageCaller(caller): PageCaller,
    Path(id): Path<Uuid>,
    Query(query): Query<PrioritiesQuery>,
) -> PageResult<Response> {
    let request = query.parse(id, DEFAULT_LIMIT)?;
    let pool = state.tenant(&caller);
    // The page's own reader answers the head: 404 for another organization's portfolio, and the
    // capacity and unit the rows are held against.
    let head = db::priorities::read(
        &pool,
        &state.caches.priorities,
        id,
        &PrioritiesRequest {
            limit: 1,
            offset: 0,
            ..request
        },
    )
    .await?;
    let (mut sink, body) = csv_export::channel(CSV_HEADER);
    tokio::spawn(async move {
        let mut tx = match pool.begin_consistent().await {
            Ok(tx) => tx,
            Err(error) => return sink.fail(error).await,
        };
        let mut rows = std::pin::pin!(db::initiative_lists::search_all(
            &mut tx,
            caller.org_id,
            &request.filter,
            request.by.sort()
        ));
        let mut total = RunningTotal::new(Decimal::ZERO, head.capacity);
        let mut position = 0;
        while let Some(row) = rows.next().await {
            let row = match row {
                Ok(row) => row,
                Err(error) => return sink.fail(error).await,
            };
            position += 1;
            let standing = total.add(row.effort, row.progress);
            let record = csv_record(request.by, &row, standing, position, &head.benefit_unit);
            if sink.write(record).await.is_err() {
                return; // The client went away.
            }
        }
        sink.finish().await;
    });
    Ok(csv_export::download("priorities.csv", body))
}

fn csv_record(
    by: RankBy,
    row: &ListedInitiative,
    standing: Standing,
    position: i64,
    unit: &str,
) -> Vec<String> {
    let text = |value: &str| csv_export::text_cell(value).into_owned();
    let (score, formula) = db::priorities::score(by, row, unit);
    vec![
        position.to_string(),
        row.key.clone(),
        text(&row.title),
        text(&row.portfolio_name),
        text(row.owner_name.as_deref().unwrap_or("")),
        row.status.to_string(),
        score.map(|s| s.to_string()).unwrap_or_default(),
        text(&formula),
        row.effort.to_string(),
        standing.remaining_effort.normalize().to_string(),
        standing.cumulative_effort.normalize().to_string(),
        standing.fits.to_string(),
    ]
}
