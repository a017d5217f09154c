//! `/imports/new`: bring Jira epics in, or Cairn's own initiative list edited in a spreadsheet
//! (SPEC §12), without JavaScript. Upload the file, say which kind it is and pick the portfolio;
//! the file is kept (`db::imports::keep`) and `/imports/{id}` shows its dry run as a table of rows
//! with their action and errors; "Import" runs it for real and says what it did.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Multipart, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use uuid::Uuid;

use super::Layout;
use super::form::{self, Choice, FormState};
use crate::db;
use crate::db::imports::{ImportReport, Rows};
use crate::db::users::Caller;
use crate::domain::FieldErrors;
use crate::domain::{ImportSource, csv_import, jira, money};
use crate::error::{AppError, PageResult};
use crate::http::AppState;
use crate::http::extract::PageCaller;

/// The upload form as typed (the file itself is never shown back).
#[derive(Clone, Debug, Default)]
pub struct UploadForm {
    portfolio_id: String,
    source: String,
    points_per_week: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "imports/new.html")]
pub struct NewImportPage {
    layout: Layout,
    portfolios: Vec<Choice>,
    sources: Vec<Choice>,
    typed: UploadForm,
    form: FormState,
}

impl NewImportPage {
    async fn load(state: &AppState, caller: &Caller, typed: UploadForm, form: FormState) -> PageResult<Self> {
        let pool = state.tenant(caller);
        let (tree, editable) = tokio::try_join!(
            db::portfolios::list_tree(&pool),
            db::permissions::editable_portfolios(&pool, caller),
        )?;
        let keep: Vec<Uuid> = typed.portfolio_id.parse().into_iter().collect();
        let portfolios = form::portfolio_choices(&tree, &editable, &keep, None, Some("Choose a portfolio…"));
        let sources = vec![
            Choice::new(ImportSource::Jira.as_str(), "Jira's CSV export (all fields)"),
            Choice::new(
                ImportSource::Cairn.as_str(),
                "Cairn's initiative list (its CSV export, edited)",
            ),
        ];
        Ok(NewImportPage {
            layout: Layout::new("Import initiatives", Some(caller)).in_section("portfolios"),
            portfolios,
            sources,
            typed,
            form,
        })
    }
}

#[derive(serde::Deserialize)]
pub struct NewQuery {
    portfolio_id: Option<Uuid>,
    source: Option<ImportSource>,
}

#[tracing::instrument(skip_all)]
pub async fn new(
    State(state): State<AppState>,
    PageCaller(caller): PageCaller,
    Query(query): Query<NewQuery>,
) -> PageResult<NewImportPage> {
    let typed = UploadForm {
        portfolio_id: query.portfolio_id.map(|p| p.to_string()).unwrap_or_default(),
        source: query.source.unwrap_or(ImportSource::Jira).as_str().to_owned(),
        points_per_week: "1".to_owned(),
    };
    NewImportPage::load(&state, &caller, typed, FormState::default()).await
}

/// `POST /imports`: keeps the uploaded file and shows its dry run; a missing file or portfolio is
/// said beside its field.
#[tracing::instrument(skip_all)]
pub async fn upload(
    State(state): State<AppState>,
    PageCaller(caller): PageCaller,
    mut multipart: Multipart,
) -> PageResult<Response> {
    // A form without the field is the Jira import's, as the page had it first.
    let mut typed = UploadForm {
        source: ImportSource::Jira.as_str().to_owned(),
        ..UploadForm::default()
    };
    let (mut file_name, mut body) = (String::new(), String::new());
    let mut errors = FieldErrors::new();
    while let Some(field) = multipart
        .next_field()
        .await
        .map_err(|e| AppError::BadRequest(format!("the upload cannot be read: {e}")))?
    {
        let name = field.name().unwrap_or_default().to_owned();
        if name == "file" {
            file_name = field.file_name().unwrap_or_default().to_owned();
        }
        let bytes = field
            .bytes()
            .await
            .map_err(|e| AppError::BadRequest(format!("the upload cannot be read: {e}")))?;
        match name.as_str() {
            "file" => match String::from_utf8(bytes.to_vec()) {
                Ok(text) => body = text,
                Err(_) => errors.add("file", "must be a CSV file (UTF-8 text)"),
            },
            "portfolio_id" => typed.portfolio_id = String::from_utf8_lossy(&bytes).trim().to_owned(),
            "source" => typed.source = String::from_utf8_lossy(&bytes).trim().to_owned(),
            "points_per_week" => typed.points_per_week = String::from_utf8_lossy(&bytes).trim().to_owned(),
            _ => {}
        }
    }
    errors.check(
        !body.trim().is_empty() || errors.get("file").is_some(),
        "file",
        "is required: choose the CSV file",
    );
    let source = typed
        .source
        .parse::<ImportSource>()
        .map_err(|message| errors.add("source", message))
        .ok();
    let portfolio_id = typed.portfolio_id.parse::<Uuid>().ok();
    errors.check(portfolio_id.is_some(), "portfolio_id", "is required");
    let points = jira::points_per_week(&typed.points_per_week)
        .map_err(|message| errors.add("points_per_week", message))
        .ok();
    let kept = match (errors.is_empty(), portfolio_id, source, points) {
        (true, Some(portfolio_id), Some(source), Some(points)) => {
            db::imports::keep(
                &state.tenant(&caller),
                &caller,
                portfolio_id,
                source,
                points,
                &file_name,
                &body,
            )
            .await
        }
        _ => Err(AppError::Validation(errors)),
    };
    match kept {
        Ok(id) => Ok(Redirect::to(&format!("/imports/{id}")).into_response()),
        Err(error) => {
            let (status, form) = form::refusal(error)?;
            let page = NewImportPage::load(&state, &caller, typed, form).await?;
            Ok((status, page).into_response())
        }
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "imports/show.html")]
pub struct ImportPage {
    layout: Layout,
    source: ImportSource,
    upload_id: Uuid,
    file_name: String,
    portfolio: db::portfolios::Portfolio,
    /// The dry run, or the import done; `None` when the file cannot be read at all.
    report: Option<ImportReport>,
    /// Why the file cannot be read, when it cannot.
    refused: Option<String>,
}

impl ImportPage {
    fn skipped(&self) -> usize {
        self.report.as_ref().map_or(0, |r| {
            r.rows
                .iter()
                .filter(|row| row.action == db::imports::Action::Skip)
                .count()
        })
    }
}

/// The upload's rows as the import sees them; `Err` with what makes the whole file unreadable.
async fn read(pool: &db::TenantPool, upload: &db::imports::Upload) -> PageResult<Result<Rows, String>> {
    let read = match upload.source {
        ImportSource::Jira => {
            jira::read(&upload.body).map(|issues| Rows::Jira(jira::plan(&issues, upload.points_per_week)))
        }
        ImportSource::Cairn => {
            let currency = db::orgs::get(pool).await?.currency;
            csv_import::read(&upload.body, &currency, money::minor_digits(&currency)).map(Rows::Cairn)
        }
    };
    Ok(read.map_err(|errors| errors.get("body").unwrap_or("cannot be read").to_owned()))
}

/// The page's title for an upload of `source`, before and after the import.
fn title(source: ImportSource, done: bool) -> &'static str {
    match (source, done) {
        (ImportSource::Jira, false) => "Import from Jira: dry run",
        (ImportSource::Jira, true) => "Imported from Jira",
        (ImportSource::Cairn, false) => "Import a CSV: dry run",
        (ImportSource::Cairn, true) => "Imported a CSV",
    }
}

/// `GET /imports/{id}`: the dry run of the caller's upload.
#[tracing::instrument(skip_all, fields(upload_id = %id))]
pub async fn show(
    State(state): State<AppState>,
    PageCaller(caller): PageCaller,
    Path(id): Path<Uuid>,
) -> PageResult<Response> {
    let pool = state.tenant(&caller);
    let upload = db::imports::upload(&pool, &caller, id).await?;
    let portfolio = db::portfolios::get(&pool, upload.portfolio_id).await?;
    let (report, refused) = match read(&pool, &upload).await? {
        Ok(rows) => (
            Some(db::imports::rows(&pool, &caller, upload.portfolio_id, rows, true).await?),
            None,
        ),
        Err(why) => (None, Some(why)),
    };
    let status = if refused.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let page = ImportPage {
        layout: Layout::new(title(upload.source, false), Some(&caller)).in_section("portfolios"),
        source: upload.source,
        upload_id: upload.id,
        file_name: upload.file_name,
        portfolio,
        report,
        refused,
    };
    Ok((status, page).into_response())
}

/// `POST /imports/{id}/run`: imports the upload for real and shows what was done.
#[tracing::instrument(skip_all, fields(upload_id = %id))]
pub async fn run(
    State(state): State<AppState>,
    PageCaller(caller): PageCaller,
    Path(id): Path<Uuid>,
) -> PageResult<ImportPage> {
    let pool = state.tenant(&caller);
    let upload = db::imports::upload(&pool, &caller, id).await?;
    let portfolio = db::portfolios::get(&pool, upload.portfolio_id).await?;
    let rows = read(&pool, &upload)
        .await?
        .map_err(|why| AppError::field("file", why))?;
    let report = db::imports::import_upload(&pool, &caller, &upload, rows).await?;
    Ok(ImportPage {
        layout: Layout::new(title(upload.source, true), Some(&caller)).in_section("portfolios"),
        source: upload.source,
        upload_id: upload.id,
        file_name: upload.file_name,
        portfolio,
        report: Some(report),
        refused: None,
    })
}
