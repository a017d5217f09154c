//! The caller's organization: `GET, PATCH /organization` (name, time zone, fiscal year, currency,
//! roll-up health thresholds).

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;

use super::versioned;
use crate::db;
use crate::db::orgs::VersionedSettings;
use crate::domain::org::OrgSettingsChanges;
use crate::error::ApiResult;
use crate::http::AppState;
use crate::http::extract::{ApiCaller, ApiJson, IfMatch};

/// The organization's settings.
#[utoipa::path(
    get,
    path = "/organization",
    tag = "organization",
    operation_id = "get_organization",
    responses((status = OK, body = VersionedSettings, headers(("ETag" = String))))
)]
pub async fn get(State(state): State<AppState>, ApiCaller(caller): ApiCaller) -> ApiResult<Response> {
    let org = db::orgs::settings(&state.tenant(&caller), caller.org_id).await?;
    Ok(versioned(StatusCode::OK, org.version, org))
}

/// Changes the organization's settings (admins); fields left out keep their value.
#[utoipa::path(
    patch,
    path = "/organization",
    tag = "organization",
    operation_id = "update_organization",
    params(IfMatch),
    request_body = OrgSettingsChanges,
    responses((status = OK, body = VersionedSettings, headers(("ETag" = String))))
)]
#[tracing::instrument(skip_all)]
pub async fn update(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    if_match: IfMatch,
    ApiJson(changes): ApiJson<OrgSettingsChanges>,
) -> ApiResult<Response> {
    let org = db::orgs::update_settings(&state.tenant(&caller), &caller, if_match.0, changes).await?;
    Ok(versioned(StatusCode::OK, org.version, org))
}
