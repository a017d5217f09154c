//! `/settings/themes`: the organization's investment themes. Admins create, rename, recolour and
//! set each theme's target share (the targets sum to at most 100 %); everyone else reads. The page
//! says how much of the mix is left to assign.

use askama::Template;
use askama_web::WebTemplate;
use axum::Form;
use axum::extract::{Path, State};
use axum::response::Response;
use serde::Deserialize;
use uuid::Uuid;

use super::Layout;
use super::form::{FormState, rendered_version};
use super::settings_rows::{Refused, RowForm, answer, readable, rows};
use crate::db;
use crate::db::themes::Theme;
use crate::db::users::Caller;
use crate::domain::form::{NUMBER, optional};
use crate::domain::permissions::may_administer;
use crate::domain::theme::{DEFAULT_COLOUR, ThemeChanges};
use crate::error::{AppError, PageResult};
use crate::http::AppState;
use crate::http::extract::PageCaller;

const PATH: &str = "/settings/themes";

/// A theme's form as typed.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default)]
pub struct ThemeForm {
    name: String,
    colour: String,
    target_share: String,
    version: String,
}

impl ThemeForm {
    fn saved(theme: &Theme) -> ThemeForm {
        ThemeForm {
            name: theme.name.clone(),
            colour: theme.colour.clone(),
            target_share: format!("{:.1}", theme.target_share),
            version: theme.version.to_string(),
        }
    }

    /// The changes it asks for, every field that is wrong named.
    fn read(&self) -> Result<ThemeChanges, AppError> {
        let mut unreadable = crate::domain::FieldErrors::new();
        let changes = ThemeChanges {
            name: Some(self.name.clone()),
            colour: Some(self.colour.clone()),
            target_share: optional(&mut unreadable, "target_share", &self.target_share, NUMBER).flatten(),
        };
        readable(changes, unreadable, |c| c.apply(None))
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "settings/themes.html")]
pub struct ThemesPage {
    layout: Layout,
    is_admin: bool,
    rows: Vec<RowForm<Theme, ThemeForm>>,
    /// "35.0 % left to assign".
    left: String,
    typed: ThemeForm,
    form: FormState,
}

impl ThemesPage {
    async fn load(
        state: &AppState,
        caller: &Caller,
        refused: Option<Refused<ThemeForm>>,
    ) -> PageResult<Self> {
        let themes = db::themes::all(&state.tenant(caller)).await?;
        // Tenths of a percent as integers, as the targets' rule counts them.
        let assigned: i64 = themes
            .iter()
            .map(|t| (t.target_share * 10.0).round() as i64)
            .sum();
        let left = format!("{:.1} % left to assign", (1000 - assigned) as f64 / 10.0);
        let (rows, add) = rows(themes, |t| t.id, ThemeForm::saved, refused);
        let (typed, form) = add.map(|r| (r.typed, r.form)).unwrap_or_else(|| {
            let fresh = ThemeForm {
                colour: DEFAULT_COLOUR.into(),
                target_share: "0".into(),
                ..ThemeForm::default()
            };
            (fresh, FormState::default())
        });
        Ok(ThemesPage {
            layout: Layout::new("Themes", Some(caller)).in_section("settings"),
            is_admin: may_administer(caller),
            rows,
            left,
            typed,
            form,
        })
    }
}

#[tracing::instrument(skip_all)]
pub async fn show(State(state): State<AppState>, PageCaller(caller): PageCaller) -> PageResult<ThemesPage> {
    ThemesPage::load(&state, &caller, None).await
}

#[tracing::instrument(skip_all)]
pub async fn create(
    State(state): State<AppState>,
    PageCaller(caller): PageCaller,
    Form(typed): Form<ThemeForm>,
) -> PageResult<Response> {
    let written = match typed.read() {
        Ok(changes) => db::themes::create(&state.tenant(&caller), &caller, changes)
            .await
            .map(drop),
        Err(error) => Err(error),
    };
    answer(PATH, None, typed, written, |refused| {
        ThemesPage::load(&state, &caller, refused)
    })
    .await
}

#[tracing::instrument(skip_all, fields(theme_id = %id))]
pub async fn update(
    State(state): State<AppState>,
    PageCaller(caller): PageCaller,
    Path(id): Path<Uuid>,
    Form(typed): Form<ThemeForm>,
) -> PageResult<Response> {
    let version = rendered_version(&typed.version)?;
    let written = match typed.read() {
        Ok(changes) => db::themes::update(&state.tenant(&caller), &caller, id, Some(version), changes)
            .await
            .map(drop),
        Err(error) => Err(error),
    };
    answer(PATH, Some(id), typed, written, |refused| {
        ThemesPage::load(&state, &caller, refused)
    })
    .await
}
