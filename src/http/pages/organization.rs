//! `/settings/organization`: the organization's name, time zone, fiscal year, currency, and the
//! thresholds that make a roll-up at risk or off track. Admins edit; everyone else reads.

use crate::domain::permissions::may_administer;
use crate::error::forbidden_unless;
use askama::Template;
use askama_web::WebTemplate;
use axum::Form;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::Layout;
use super::form::{Choice, FormState, all_errors, refusal, rendered_version};
use crate::db;
use crate::db::orgs::VersionedSettings;
use crate::db::users::Caller;
use crate::domain::form::{NUMBER, WHOLE_NUMBER, required};
use crate::domain::org::OrgSettingsChanges;
use crate::domain::{FieldErrors, Role};
use crate::error::{AppError, PageResult};
use crate::http::AppState;
use crate::http::extract::PageCaller;

#[derive(Template, WebTemplate)]
#[template(path = "settings/organization.html")]
pub struct OrganizationPage {
    layout: Layout,
    is_admin: bool,
    typed: SettingsForm,
    form: FormState,
    months: Vec<Choice>,
}

/// The form as typed: every field is text until it is read.
#[derive(Clone, Default, Deserialize)]
pub struct SettingsForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    time_zone: String,
    #[serde(default)]
    fiscal_year_start_month: String,
    #[serde(default)]
    currency: String,
    #[serde(default)]
    off_track_threshold: String,
    #[serde(default)]
    at_risk_threshold: String,
    /// The version the form was rendered with.
    #[serde(default)]
    version: String,
}

impl SettingsForm {
    fn saved(org: &VersionedSettings) -> SettingsForm {
        let s = &org.settings;
        SettingsForm {
            name: s.name.clone(),
            time_zone: s.time_zone.clone(),
            fiscal_year_start_month: s.fiscal_year_start_month.to_string(),
            currency: s.currency.clone(),
            off_track_threshold: s.off_track_threshold.to_string(),
            at_risk_threshold: s.at_risk_threshold.to_string(),
            version: org.version.to_string(),
        }
    }

    /// The change it asks for, and the fields that could not be read.
    fn read(&self) -> (OrgSettingsChanges, FieldErrors) {
        let mut unreadable = FieldErrors::new();
        let changes = OrgSettingsChanges {
            name: Some(self.name.clone()),
            time_zone: Some(self.time_zone.clone()),
            fiscal_year_start_month: required(
                &mut unreadable,
                "fiscal_year_start_month",
                &self.fiscal_year_start_month,
                WHOLE_NUMBER,
            ),
            currency: Some(self.currency.clone()),
            off_track_threshold: required(
                &mut unreadable,
                "off_track_threshold",
                &self.off_track_threshold,
                NUMBER,
            ),
            at_risk_threshold: required(
                &mut unreadable,
                "at_risk_threshold",
                &self.at_risk_threshold,
                NUMBER,
            ),
        };
        (changes, unreadable)
    }

    /// Field names and values, for comparing with what someone else saved.
    fn fields(&self) -> [(&'static str, &str); 6] {
        [
            ("name", &self.name),
            ("time_zone", &self.time_zone),
            ("fiscal_year_start_month", &self.fiscal_year_start_month),
            ("currency", &self.currency),
            ("off_track_threshold", &self.off_track_threshold),
            ("at_risk_threshold", &self.at_risk_threshold),
        ]
    }
}

fn page(caller: &Caller, typed: SettingsForm, form: FormState) -> OrganizationPage {
    let months = (1..=12)
        .map(|m| {
            let name = chrono::NaiveDate::from_ymd_opt(2026, m, 1).map(|d| d.format("%B").to_string());
            Choice::new(m.to_string(), name.unwrap_or_default())
        })
        .collect();
    OrganizationPage {
        layout: Layout::new("Organization settings", Some(caller)).in_section("settings"),
        is_admin: caller.role == Role::Admin,
        typed,
        form,
        months,
    }
}

pub async fn show(
    State(state): State<AppState>,
    PageCaller(caller): PageCaller,
) -> PageResult<OrganizationPage> {
    let org = db::orgs::settings(&state.tenant(&caller), caller.org_id).await?;
    Ok(page(&caller, SettingsForm::saved(&org), FormState::default()))
}

#[tracing::instrument(skip_all)]
pub async fn update(
    State(state): State<AppState>,
    PageCaller(caller): PageCaller,
    Form(typed): Form<SettingsForm>,
) -> PageResult<Response> {
    // Refused before anything is read: a member learns nothing from the form's errors.
    forbidden_unless(may_administer(&caller))?;
    let version = rendered_version(&typed.version)?;
    let (changes, unreadable) = typed.read();
    let result = if unreadable.is_empty() {
        db::orgs::update_settings(&state.tenant(&caller), &caller, Some(version), changes).await
    } else {
        let current = db::orgs::settings(&state.tenant(&caller), caller.org_id).await?;
        Err(AppError::Validation(all_errors(changes, unreadable, |c| {
            c.apply(&current.settings)
        })))
    };
    match result {
        Ok(_) => Ok(Redirect::to("/settings/organization").into_response()),
        Err(AppError::PreconditionFailed) => {
            // Someone saved in between: show what they saved beside each field, keep what this
            // person typed, and carry the new version so a deliberate second save goes through.
            let saved = db::orgs::settings(&state.tenant(&caller), caller.org_id).await?;
            let theirs = SettingsForm::saved(&saved);
            let form = FormState::conflict("the settings", typed.fields(), theirs.fields(), |_, v| {
                v.to_owned()
            });
            let typed = SettingsForm {
                version: theirs.version,
                ..typed
            };
            Ok((StatusCode::CONFLICT, page(&caller, typed, form)).into_response())
        }
        Err(error) => {
            let (status, form) = refusal(error)?;
            Ok((status, page(&caller, typed, form)).into_response())
        }
    }
}
