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
use crate::db::imports::{ImportReport, Rows, UploadState};
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
    /// The dry run, or the import done; `None` when the file cannot be read at all, or while the
    /// import runs.
    report: Option<ImportReport>,
    /// Why the file cannot be read, when it cannot.
    refused: Option<String>,
    /// Why the last import of it failed (nothing was written); it may run again.
    failure: Option<String>,
    /// How far the import is, while it runs.
    running: Option<String>,
}

/// Rows the page lists besides those with errors: a file of 50,000 rows is summed up, not drawn.
const LISTED_ROWS: usize = 200;

impl ImportPage {
    fn skipped(&self) -> usize {
        self.report.as_ref().map_or(0, |r| {
            r.rows
                .iter()
                .filter(|row| row.action == db::imports::Action::Skip)
                .count()
        })
    }

    /// The rows the table lists: every skipped one, and the first others.
    fn listed(&self) -> Vec<&db::imports::ImportRow> {
        let mut others = 0;
        self.report
            .iter()
            .flat_map(|r| &r.rows)
            .filter(|row| {
                row.action == db::imports::Action::Skip || {
                    others += 1;
                    others <= LISTED_ROWS
                }
            })
            .collect()
    }

    /// How many rows the table leaves out.
    fn unlisted(&self) -> usize {
        self.report.as_ref().map_or(0, |r| r.rows.len()) - self.listed().len()
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

/// `GET /imports/{id}`: the dry run of the caller's upload, how far its import is while it runs,
/// or what it did.
#[tracing::instrument(skip_all, fields(upload_id = %id))]
pub async fn show(
    State(state): State<AppState>,
    PageCaller(caller): PageCaller,
    Path(id): Path<Uuid>,
) -> PageResult<Response> {
    let pool = state.tenant(&caller);
    let upload = db::imports::upload(&pool, &caller, id).await?;
    let portfolio = db::portfolios::get(&pool, upload.portfolio_id).await?;
    let mut page = ImportPage {
        layout: Layout::new(title(upload.source, false), Some(&caller)).in_section("portfolios"),
        source: upload.source,
        upload_id: upload.id,
        file_name: upload.file_name.clone(),
        portfolio,
        report: None,
        refused: None,
        failure: None,
        running: None,
    };
    match &upload.state {
        &UploadState::Running { total, done } => {
            page.layout = Layout::new("Importing…", Some(&caller)).in_section("portfolios");
            page.running = Some(match total {
                None => "Reading the file…".to_owned(),
                Some(total) => format!("{done} of {total} initiatives written…"),
            });
            return Ok(page.into_response());
        }
        UploadState::Imported(report) => {
            page.layout = Layout::new(title(upload.source, true), Some(&caller)).in_section("portfolios");
            page.report = Some(report.clone());
            return Ok(page.into_response());
        }
        UploadState::Failed(why) => page.failure = Some(why.clone()),
        UploadState::Waiting => {}
    }
    match read(&pool, &upload).await? {
        Ok(rows) => {
            page.report =
                Some(db::imports::rows(&pool, &caller, upload.portfolio_id, rows, true, None).await?);
            Ok(page.into_response())
        }
        Err(why) => {
            page.refused = Some(why);
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
    }
}

/// `POST /imports/{id}/run`: starts the upload's import in the background, once, and sends the
/// browser to its page, which shows how far it is and then what it did.
#[tracing::instrument(skip_all, fields(upload_id = %id))]
pub async fn run(
    State(state): State<AppState>,
    PageCaller(caller): PageCaller,
    Path(id): Path<Uuid>,
) -> PageResult<Redirect> {
    let pool = state.tenant(&caller);
    if db::imports::start(&pool, &caller, id).await? {
        tokio::spawn(async move {
            if let Err(error) = import(&pool, &caller, id).await {
                let why = match &error {
                    AppError::Validation(errors) => errors
                        .iter()
                        .flat_map(|(field, messages)| messages.iter().map(move |m| format!("{field} {m}")))
                        .collect::<Vec<_>>()
                        .join("; "),
                    other => other.to_string(),
                };
                tracing::error!(upload_id = %id, ?error, "an import failed");
                if let Err(error) = db::imports::fail(&pool, &caller, id, &why).await {
                    tracing::error!(upload_id = %id, ?error, "an import's failure could not be recorded");
                }
            }
        });
    } else {
        // Running or imported already, or not the caller's: its page says which.
        db::imports::upload(&pool, &caller, id).await?;
    }
    Ok(Redirect::to(&format!("/imports/{id}")))
}

/// Imports the upload for real; its page follows along.
async fn import(pool: &db::TenantPool, caller: &Caller, id: Uuid) -> Result<(), AppError> {
    let upload = db::imports::upload(pool, caller, id).await?;
    let rows = read(pool, &upload)
        .await?
        .map_err(|why| AppError::field("file", why))?;
    db::imports::import_upload(pool, caller, &upload, rows).await?;
    Ok(())
}
