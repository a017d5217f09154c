//! `/imports/new`: bring Jira epics in (SPEC §12) without JavaScript. Upload the export and pick
//! the portfolio; the file is kept (`db::imports::keep`) and `/imports/{id}` shows its dry run as
//! a table of rows with their action and errors; "Import" runs it for real and says what it did.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Multipart, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use uuid::Uuid;

use super::Layout;
use super::form::{self, Choice, FormState};
use crate::db;
use crate::db::imports::ImportReport;
use crate::db::users::Caller;
use crate::domain::FieldErrors;
use crate::domain::jira;
use crate::error::{AppError, PageResult};
use crate::http::AppState;
use crate::http::extract::PageCaller;

/// The upload form as typed (the file itself is never shown back).
#[derive(Clone, Debug, Default)]
pub struct UploadForm {
    portfolio_id: String,
    points_per_week: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "imports/new.html")]
pub struct NewImportPage {
    layout: Layout,
    portfolios: Vec<Choice>,
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
        Ok(NewImportPage {
            layout: Layout::new("Import from Jira", Some(caller)).in_section("portfolios"),
            portfolios,
            typed,
            form,
        })
    }
}

#[derive(serde::Deserialize)]
pub struct NewQuery {
    portfolio_id: Option<Uuid>,
}

#[tracing::instrument(skip_all)]
pub async fn new(
    State(state): State<AppState>,
    PageCaller(caller): PageCaller,
    Query(query): Query<NewQuery>,
) -> PageResult<NewImportPage> {
    let typed = UploadForm {
        portfolio_id: query.portfolio_id.map(|p| p.to_string()).unwrap_or_default(),
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
    let mut typed = UploadForm::default();
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
            "points_per_week" => typed.points_per_week = String::from_utf8_lossy(&bytes).trim().to_owned(),
            _ => {}
        }
    }
    errors.check(
        !body.trim().is_empty() || errors.get("file").is_some(),
        "file",
        "is required: choose Jira's CSV export",
    );
    let portfolio_id = typed.portfolio_id.parse::<Uuid>().ok();
    errors.check(portfolio_id.is_some(), "portfolio_id", "is required");
    let points = jira::points_per_week(&typed.points_per_week)
        .map_err(|message| errors.add("points_per_week", message))
        .ok();
    let kept = match (errors.is_empty(), portfolio_id, points) {
        (true, Some(portfolio_id), Some(points)) => {
            db::imports::keep(
                &state.tenant(&caller),
                &caller,
                portfolio_id,
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
fn planned(upload: &db::imports::Upload) -> Result<Vec<jira::Planned>, String> {
    jira::read(&upload.body)
        .map(|issues| jira::plan(&issues, upload.points_per_week))
        .map_err(|errors| errors.get("body").unwrap_or("cannot be read").to_owned())
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
    let (report, refused) = match planned(&upload) {
        Ok(rows) => (
            Some(db::imports::jira(&pool, &caller, upload.portfolio_id, rows, true).await?),
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
        layout: Layout::new("Import from Jira: dry run", Some(&caller)).in_section("portfolios"),
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
    let rows = planned(&upload).map_err(|why| AppError::field("file", why))?;
    let report = db::imports::import_upload(&pool, &caller, &upload, rows).await?;
    Ok(ImportPage {
        layout: Layout::new("Imported from Jira", Some(&caller)).in_section("portfolios"),
        upload_id: upload.id,
        file_name: upload.file_name,
        portfolio,
        report: Some(report),
        refused: None,
    })
}
