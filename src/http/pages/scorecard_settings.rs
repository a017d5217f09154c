//! `/settings/scorecard`: the organization's scorecard drivers (SPEC §8). Admins add, rename,
//! reweigh, rescale and delete them; everyone else reads.

use askama::Template;
use askama_web::WebTemplate;
use axum::Form;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use uuid::Uuid;

use super::Layout;
use super::form::{FormState, rendered_version};
use super::settings_rows::{Refused, RowForm, answer, readable, rows};
use crate::db;
use crate::db::scorecard::Driver;
use crate::db::users::Caller;
use crate::domain::form::{NUMBER, WHOLE_NUMBER, optional};
use crate::domain::permissions::may_administer;
use crate::domain::scorecard::DriverChanges;
use crate::domain::scores::figure;
use crate::error::{AppError, PageResult};
use crate::http::AppState;
use crate::http::extract::PageCaller;

const PATH: &str = "/settings/scorecard";

/// A driver's form as typed.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default)]
pub struct DriverForm {
    name: String,
    weight: String,
    max: String,
    version: String,
}

impl DriverForm {
    fn saved(driver: &Driver) -> DriverForm {
        DriverForm {
            name: driver.name.clone(),
            weight: figure(driver.weight),
            max: driver.max.to_string(),
            version: driver.version.to_string(),
        }
    }

    /// The changes it asks for, every field that is wrong named (empty fields keep their value).
    fn read(&self) -> Result<DriverChanges, AppError> {
        let mut unreadable = crate::domain::FieldErrors::new();
        let changes = DriverChanges {
            name: Some(self.name.clone()),
            weight: optional(&mut unreadable, "weight", &self.weight, NUMBER).flatten(),
            max: optional(&mut unreadable, "max", &self.max, WHOLE_NUMBER).flatten(),
        };
        readable(changes, unreadable, |c| c.apply(None))
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "settings/scorecard.html")]
pub struct ScorecardPage {
    layout: Layout,
    is_admin: bool,
    rows: Vec<RowForm<Driver, DriverForm>>,
    total_weight: String,
    /// The add form.
    typed: DriverForm,
    form: FormState,
}

impl ScorecardPage {
    async fn load(
        state: &AppState,
        caller: &Caller,
        refused: Option<Refused<DriverForm>>,
    ) -> PageResult<Self> {
        let drivers = db::scorecard::drivers(&state.tenant(caller), caller.org_id).await?;
        let total_weight = figure(drivers.iter().map(|d| d.weight).sum());
        let (rows, add) = rows(drivers, |d| d.id, DriverForm::saved, refused);
        let (typed, form) = add.map(|r| (r.typed, r.form)).unwrap_or_else(|| {
            let fresh = DriverForm {
                weight: "1".into(),
                max: "5".into(),
                ..DriverForm::default()
            };
            (fresh, FormState::default())
        });
        Ok(ScorecardPage {
            layout: Layout::new("Scorecard", Some(caller)).in_section("settings"),
            is_admin: may_administer(caller),
            rows,
            total_weight,
            typed,
            form,
        })
    }
}

#[tracing::instrument(skip_all)]
pub async fn show(
    State(state): State<AppState>,
    PageCaller(caller): PageCaller,
) -> PageResult<ScorecardPage> {
    ScorecardPage::load(&state, &caller, None).await
}

#[tracing::instrument(skip_all)]
pub async fn create(
    State(state): State<AppState>,
    PageCaller(caller): PageCaller,
    Form(typed): Form<DriverForm>,
) -> PageResult<Response> {
    let written = match typed.read() {
        Ok(changes) => db::scorecard::create(&state.tenant(&caller), &caller, changes)
            .await
            .map(drop),
        Err(error) => Err(error),
    };
    answer(PATH, None, typed, written, |refused| {
        ScorecardPage::load(&state, &caller, refused)
    })
    .await
}

#[tracing::instrument(skip_all, fields(driver_id = %id))]
pub async fn update(
    State(state): State<AppState>,
    PageCaller(caller): PageCaller,
    Path(id): Path<Uuid>,
    Form(typed): Form<DriverForm>,
) -> PageResult<Response> {
    let version = rendered_version(&typed.version)?;
    let written = match typed.read() {
        Ok(changes) => db::scorecard::update(&state.tenant(&caller), &caller, id, Some(version), changes)
            .await
            .map(drop),
        Err(error) => Err(error),
    };
    answer(PATH, Some(id), typed, written, |refused| {
        ScorecardPage::load(&state, &caller, refused)
    })
    .await
}

#[tracing::instrument(skip_all, fields(driver_id = %id))]
pub async fn delete(
    State(state): State<AppState>,
    PageCaller(caller): PageCaller,
    Path(id): Path<Uuid>,
    Form(typed): Form<DriverForm>,
) -> PageResult<Response> {
    let version = rendered_version(&typed.version)?;
    db::scorecard::delete(&state.tenant(&caller), &caller, id, Some(version)).await?;
    Ok(Redirect::to(PATH).into_response())
}
