//! Imports (SPEC §12): `POST /imports/jira?portfolio_id=&dry_run=&points_per_week=` with a Jira CSV
//! export as the body, and `POST /imports/csv?portfolio_id=&dry_run=` with Cairn's own initiative
//! list export, edited.

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use uuid::Uuid;

use crate::db;
use crate::db::imports::ImportReport;
use crate::domain::FieldErrors;
use crate::domain::{csv_import, jira, money};
use crate::error::{ApiResult, AppError};
use crate::http::AppState;
use crate::http::extract::{ApiCaller, ApiQuery};
use crate::http::openapi::NotFoundResponse;

#[derive(serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ImportQuery {
    /// The portfolio the new initiatives go into.
    #[param(value_type = Uuid, required = true)]
    portfolio_id: Option<String>,
    /// `true` (the default): answer what would happen and write nothing; `false`: import.
    #[param(value_type = Option<bool>)]
    dry_run: Option<String>,
    /// How many story points make a person-week of effort (default 1).
    #[param(value_type = Option<f64>, exclusive_minimum = 0, maximum = 1000)]
    points_per_week: Option<String>,
}

/// The import as asked for: where, whether for real, and at how many points a week.
pub struct ImportRequest {
    pub portfolio_id: Uuid,
    pub dry_run: bool,
    pub points_per_week: f64,
}

#[derive(serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SheetImportQuery {
    /// The portfolio whose subtree the file may change; new initiatives without a portfolio go
    /// into it.
    #[param(value_type = Uuid, required = true)]
    portfolio_id: Option<String>,
    /// `true` (the default): answer what would happen and write nothing; `false`: import.
    #[param(value_type = Option<bool>)]
    dry_run: Option<String>,
}

/// The portfolio and the dry-run flag, which both imports take.
fn parse_target(errors: &mut FieldErrors, portfolio_id: Option<&str>, dry_run: Option<&str>) -> (Uuid, bool) {
    let portfolio_id = portfolio_id.map(str::trim).and_then(|p| p.parse::<Uuid>().ok());
    errors.check(portfolio_id.is_some(), "portfolio_id", "must be a portfolio's id");
    let dry_run = match dry_run.map(str::trim) {
        None | Some("") | Some("true") => true,
        Some("false") => false,
        Some(_) => {
            errors.add("dry_run", "must be true or false");
            true
        }
    };
    (portfolio_id.unwrap_or_default(), dry_run)
}

impl ImportQuery {
    pub fn parse(&self) -> Result<ImportRequest, FieldErrors> {
        let mut errors = FieldErrors::new();
        let (portfolio_id, dry_run) =
            parse_target(&mut errors, self.portfolio_id.as_deref(), self.dry_run.as_deref());
        let points_per_week = jira::points_per_week(self.points_per_week.as_deref().unwrap_or_default())
            .map_err(|message| errors.add("points_per_week", message))
            .unwrap_or(1.0);
        errors.into_result()?;
        Ok(ImportRequest {
            portfolio_id,
            dry_run,
            points_per_week,
        })
    }
}

/// Imports a Jira CSV export (all fields, as Jira writes it) into a portfolio: each epic — or
/// every issue when the file has no epics — becomes an initiative keyed `jira:<Issue key>`, so a
/// second import updates what the first made. Status by status category, then name; dates from
/// the start and due date fields; effort from story points; progress from the epic's children
/// done. A row with an error is reported with its line and skipped. A dry run (the default)
/// answers the same and writes nothing. Whoever may edit the portfolio.
#[utoipa::path(
post, path = "/imports/jira", tag = "imports", operation_id = "import_jira",
    params(ImportQuery),
    request_body(content((String = "text/csv", example = "Summary,Issue key,Issue id,Issue Type,Status,Status Category,Due date\nCheckout revamp,SHOP-1,10001,Epic,In Progress,In Progress,01/Oct/26\n"))),
    responses((status = OK, body = ImportReport), NotFoundResponse)
)]
#[tracing::instrument(skip_all)]
pub async fn jira(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    ApiQuery(query): ApiQuery<ImportQuery>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<(StatusCode, Json<ImportReport>)> {
    let request = query.parse()?;
    let text = csv_text(&headers, &body, "the Jira export")?;
    let planned = jira::plan(&jira::read(text)?, request.points_per_week);
    let report = db::imports::jira(
        &state.tenant(&caller),
        &caller,
        request.portfolio_id,
        planned,
        request.dry_run,
        None,
    )
    .await?;
    Ok((StatusCode::OK, Json(report)))
}

/// Imports Cairn's own CSV back — the initiative list's export (`/initiatives.csv`), edited in a
/// spreadsheet: a row with a `key` updates that initiative, a row without one creates an
/// initiative (in the portfolio it names, else in `portfolio_id`). Only the columns the file has
/// are changed (title, portfolio, owner, theme, status, health, progress_percent,
/// effort_person_weeks, budget, start_date, target_date; names as the export writes them; an
/// empty owner, theme, budget or date clears it); the scores and demand are read-only. A row
/// whose `updated_at` differs from the initiative's (it changed since the export) is skipped,
/// like any row with an error. A dry run (the default) answers the same and writes nothing.
/// Whoever may edit the portfolio; every row must lie in its subtree.
#[utoipa::path(
    post, path = "/imports/csv", tag = "imports", operation_id = "import_csv",
    params(SheetImportQuery),
    request_body(content((String = "text/csv", example = "key,title,status,health,progress_percent\nNW-12,Card refunds,in_progress,at_risk,40\n,A new bet,proposed,on_track,0\n"))),
    responses((status = OK, body = ImportReport), NotFoundResponse)
)]
#[tracing::instrument(skip_all)]
pub async fn csv(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    ApiQuery(query): ApiQuery<SheetImportQuery>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<(StatusCode, Json<ImportReport>)> {
    let mut errors = FieldErrors::new();
    let (portfolio_id, dry_run) = parse_target(
        &mut errors,
        query.portfolio_id.as_deref(),
        query.dry_run.as_deref(),
    );
    errors.into_result()?;
    let text = csv_text(&headers, &body, "the CSV")?;
    let pool = state.tenant(&caller);
    let currency = db::orgs::get(&pool).await?.currency;
    let rows = csv_import::read(text, &currency, money::minor_digits(&currency))?;
    let report = db::imports::sheet(&pool, &caller, portfolio_id, rows, dry_run, None).await?;
    Ok((StatusCode::OK, Json(report)))
}

/// The body as text, when it was sent as CSV (`what` names it in the refusal).
fn csv_text<'a>(headers: &HeaderMap, body: &'a Bytes, what: &str) -> Result<&'a str, AppError> {
    let is_csv = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/csv") || v.starts_with("text/plain"));
    if !is_csv {
        return Err(AppError::BadRequest(format!("send {what} as text/csv")));
    }
    std::str::from_utf8(body).map_err(|_| AppError::field("body", "must be UTF-8 text"))
}
