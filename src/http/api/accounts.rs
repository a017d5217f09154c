//! Sign-up, API tokens and the caller's identity.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::Deserialize;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::db;
use crate::domain::FieldErrors;
use crate::domain::account::SignUp;
use crate::domain::credentials;
use crate::domain::validation::text;
use crate::error::{ApiResult, AppError};
use crate::http::AppState;
use crate::http::extract::{ApiCaller, ApiJson, ClientAddress};

#[derive(Deserialize)]
pub struct SignUpBody {
    org_name: String,
    name: String,
    email: String,
    password: String,
}

#[tracing::instrument(skip_all)]
pub async fn signup(
    State(state): State<AppState>,
    ApiJson(body): ApiJson<SignUpBody>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let signup = SignUp::parse(&body.org_name, &body.name, &body.email, &body.password)?;
    let hash = credentials::hash_password_off_thread(signup.password.clone()).await?;
    let token = credentials::new_secret(credentials::API_TOKEN_PREFIX);
    let mut tx = state.pool.begin().await?;
    let (org, user) = db::orgs::sign_up(&mut tx, &signup, &hash).await?;
    db::tokens::create(&mut tx, org.id, user.id, "Created at sign-up", &token).await?;
    tx.commit().await?;
    Ok((
        StatusCode::CREATED,
        Json(json!({
            "org": {"id": org.id, "name": org.name, "slug": org.slug},
            "user": user,
            "token": token,
        })),
    ))
}

#[derive(Deserialize)]
pub struct TokenBody {
    email: String,
    password: String,
    name: Option<String>,
}

#[tracing::instrument(skip_all)]
pub async fn create_token(
    State(state): State<AppState>,
    ClientAddress(client): ClientAddress,
    ApiJson(body): ApiJson<TokenBody>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let mut errors = FieldErrors::new();
    let name = text(
        &mut errors,
        "name",
        body.name.as_deref().unwrap_or("API token"),
        1,
        200,
    );
    errors.into_result()?;
    let account = db::sign_in::sign_in(&state.pool, &body.email, &body.password, client)
        .await?
        .ok_or(AppError::Unauthorized)?;
    let token = credentials::new_secret(credentials::API_TOKEN_PREFIX);
    let mut tx = db::tenant::begin(&state.pool, account.org_id).await?;
    let id = db::tokens::create(&mut tx, account.org_id, account.user_id, &name, &token).await?;
    tx.commit().await?;
    Ok((StatusCode::CREATED, Json(json!({ "id": id, "token": token }))))
}

#[tracing::instrument(skip_all, fields(token_id = %id))]
pub async fn delete_token(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path(id): Path<Uuid>,
) -> ApiResult<StatusCode> {
    db::tokens::delete(&state.tenant(caller.org_id), &caller, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

pub async fn me(State(state): State<AppState>, ApiCaller(caller): ApiCaller) -> ApiResult<Json<Value>> {
    let org = db::orgs::get(&state.tenant(caller.org_id), caller.org_id).await?;
    Ok(Json(json!({
        "user": {"id": caller.user_id, "name": caller.name, "email": caller.email},
        "org": {"id": org.id, "name": org.name, "slug": org.slug},
        "role": caller.role,
    })))
}
