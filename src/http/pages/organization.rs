//! `/settings/organization`: the organization's name, time zone, fiscal year, currency, and the
//! thresholds that make a roll-up at risk or off track, and the unit of MoAR's benefit. Admins edit; everyone else reads.

use crate::domain::permissions::may_administer;
use crate::error::forbidden_unless;
use askama::Template;
use askama_web::WebTemplate;
use axum::Form;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::Layout;
use super::form::{Choice, FormState, all_errors};
use super::versioned_form::{self, Outcome, Record, VersionedForm, versioned_form};
use crate::db;
use crate::db::TenantPool;
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
    #[serde(default)]
    optimism_threshold: String,
    /// "true" when ticked; an unticked box sends nothing.
    #[serde(default)]
    quarter_baselines: String,
    #[serde(default)]
    benefit_unit: String,
    /// The version the form was rendered with.
    #[serde(default)]
    version: String,
    /// The values the form was rendered with.
    #[serde(default)]
    base: String,
}

versioned_form!(
    SettingsForm,
    "the settings",
    [
        name,
        time_zone,
        fiscal_year_start_month,
        currency,
        off_track_threshold,
        at_risk_threshold,
        optimism_threshold,
        quarter_baselines,
        benefit_unit,
    ]
);

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
            optimism_threshold: s.optimism_threshold.to_string(),
            // As the box sends it: "true" ticked, nothing unticked.
            quarter_baselines: if s.quarter_baselines {
                "true".into()
            } else {
                String::new()
            },
            benefit_unit: s.benefit_unit.clone(),
            version: org.version.to_string(),
            base: String::new(),
        }
        .rendered()
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
            optimism_threshold: required(
                &mut unreadable,
                "optimism_threshold",
                &self.optimism_threshold,
                WHOLE_NUMBER,
            ),
            quarter_baselines: Some(self.quarter_baselines == "true"),
            benefit_unit: Some(self.benefit_unit.clone()),
        };
        (changes, unreadable)
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

/// `?merged=1`: the settings were just saved, merged with someone else's save.
#[derive(Deserialize)]
pub struct MergedQuery {
    merged: Option<String>,
}

pub async fn show(
    State(state): State<AppState>,
    PageCaller(caller): PageCaller,
    Query(query): Query<MergedQuery>,
) -> PageResult<OrganizationPage> {
    let org = db::orgs::settings(&state.tenant(&caller), caller.org_id).await?;
    let form = match query.merged {
        Some(_) => FormState::merged(),
        None => FormState::default(),
    };
    Ok(page(&caller, SettingsForm::saved(&org), form))
}

#[tracing::instrument(skip_all)]
pub async fn update(
    State(state): State<AppState>,
    PageCaller(caller): PageCaller,
    Form(typed): Form<SettingsForm>,
) -> PageResult<Response> {
    let pool = &state.tenant(&caller);
    let record = Record::new(pool, &caller, caller.org_id);
    let outcome = versioned_form::submit(
        record,
        typed,
        |typed, version| write(pool, &caller, typed, version),
        || async {
            Ok(SettingsForm::saved(
                &db::orgs::settings(pool, caller.org_id).await?,
            ))
        },
    )
    .await?;
    match outcome {
        Outcome::Saved(_, merged) => Ok(Redirect::to(&merged.mark("/settings/organization")).into_response()),
        Outcome::Shown(status, typed, form) => {
            // A member learns nothing from the form's errors.
            forbidden_unless(may_administer(&caller))?;
            Ok((status, page(&caller, typed, form)).into_response())
        }
    }
}

/// Saves the settings the form asks for against `version`; text that does not parse is refused
/// with every problem of the form, as the domain finds them on the saved settings.
async fn write(
    pool: &TenantPool,
    caller: &Caller,
    typed: SettingsForm,
    version: i64,
) -> Result<VersionedSettings, AppError> {
    let (changes, unreadable) = typed.read();
    if !unreadable.is_empty() {
        let current = db::orgs::settings(pool, caller.org_id).await?;
        let errors = all_errors(changes, unreadable, |c| c.apply(&current.settings));
        return Err(AppError::Validation(errors));
    }
    db::orgs::update_settings(pool, caller, Some(version), changes).await
}
