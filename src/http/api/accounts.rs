//! Sign-up, API tokens and the caller's identity.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::db;
use crate::db::users::User;
use crate::domain::FieldErrors;
use crate::domain::Role;
use crate::domain::account::SignUp;
use crate::domain::credentials;
use crate::domain::validation::text;
use crate::error::{ApiResult, AppError};
use crate::http::AppState;
use crate::http::extract::{ApiCaller, ApiJson, ClientAddress, NoIdempotencyKey, ResourceId};
use crate::http::openapi::{ConflictResponse, TooManyRequestsResponse, UnauthorizedResponse};

#[derive(Deserialize, ToSchema)]
#[schema(example = json!({
    "org_name": "Northwind",
    "name": "Ada Admin",
    "email": "ada@northwind.example",
    "password": "correct horse battery"
}))]
pub struct SignUpBody {
    #[schema(min_length = 1, max_length = 200)]
    org_name: String,
    #[schema(min_length = 1, max_length = 200)]
    name: String,
    email: String,
    /// At least 10 characters.
    #[schema(min_length = 10)]
    password: String,
}

/// An organization as a caller sees it beside themselves.
#[derive(Serialize, ToSchema)]
pub struct OrgSummary {
    id: Uuid,
    name: String,
    slug: String,
}

/// A new organization, its first admin, and an API token for them (shown this once).
#[derive(Serialize, ToSchema)]
pub struct SignedUp {
    org: OrgSummary,
    user: User,
    #[schema(example = "cairn_pat_…")]
    token: String,
}

/// A new organization, its first admin, and an API token for them.
#[utoipa::path(
    post,
    path = "/signup",
    tag = "accounts",
    operation_id = "signup",
    security(()),
    request_body = SignUpBody,
    responses((status = CREATED, body = SignedUp), ConflictResponse)
)]
#[tracing::instrument(skip_all)]
pub async fn signup(
    State(state): State<AppState>,
    _: NoIdempotencyKey,
    ApiJson(body): ApiJson<SignUpBody>,
) -> ApiResult<(StatusCode, Json<SignedUp>)> {
    let signup = SignUp::parse(&body.org_name, &body.name, &body.email, &body.password)?;
    let hash = credentials::hash_password_off_thread(signup.password.clone()).await?;
    let token = credentials::new_secret(credentials::API_TOKEN_PREFIX);
    let mut tx = db::begin(&state.pool).await?;
    let (org, user) = db::orgs::sign_up(&mut tx, &signup, &hash).await?;
    db::tokens::create(&mut tx, org.id, user.id, "Created at sign-up", &token).await?;
    tx.commit().await?;
    Ok((
        StatusCode::CREATED,
        Json(SignedUp {
            org: OrgSummary {
                id: org.id,
                name: org.name,
                slug: org.slug,
            },
            user,
            token,
        }),
    ))
}

#[derive(Deserialize, ToSchema)]
#[schema(example = json!({"email": "ada@northwind.example", "password": "correct horse battery", "name": "CI"}))]
pub struct TokenBody {
    email: String,
    password: String,
    /// What the token is for; "API token" when left out.
    name: Option<String>,
}

/// An API token: the token is shown this once (only its digest is stored).
#[derive(Serialize, ToSchema)]
pub struct NewToken {
    id: Uuid,
    #[schema(example = "cairn_pat_…")]
    token: String,
}

/// An API token for the user with this email and password.
#[utoipa::path(
    post,
    path = "/tokens",
    tag = "accounts",
    operation_id = "create_token",
    security(()),
    request_body = TokenBody,
    responses(
        (status = CREATED, body = NewToken),
        UnauthorizedResponse,
        TooManyRequestsResponse
    )
)]
#[tracing::instrument(skip_all)]
pub async fn create_token(
    State(state): State<AppState>,
    ClientAddress(client): ClientAddress,
    _: NoIdempotencyKey,
    ApiJson(body): ApiJson<TokenBody>,
) -> ApiResult<(StatusCode, Json<NewToken>)> {
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
    Ok((StatusCode::CREATED, Json(NewToken { id, token })))
}

/// Revokes one of the caller's API tokens.
#[utoipa::path(
    delete,
    path = "/tokens/{id}",
    tag = "accounts",
    operation_id = "delete_token",
    params(ResourceId),
    responses((status = NO_CONTENT, description = "Revoked"))
)]
#[tracing::instrument(skip_all, fields(token_id = %id))]
pub async fn delete_token(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    ResourceId(id): ResourceId,
) -> ApiResult<StatusCode> {
    db::tokens::delete(&state.tenant(&caller), &caller, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The caller, their organization and role.
#[derive(Serialize, ToSchema)]
pub struct Me {
    user: User,
    org: OrgSummary,
    role: Role,
}

/// The caller, their organization and their role in it.
#[utoipa::path(
    get,
    path = "/me",
    tag = "accounts",
    operation_id = "me",
    responses((status = OK, body = Me))
)]
pub async fn me(State(state): State<AppState>, ApiCaller(caller): ApiCaller) -> ApiResult<Json<Me>> {
    let org = db::orgs::get(&state.tenant(&caller)).await?;
    Ok(Json(Me {
        user: User {
            id: caller.user_id,
            name: caller.name,
            email: caller.email,
        },
        org: OrgSummary {
            id: org.id,
            name: org.name,
            slug: org.slug,
        },
        role: caller.role,
    }))
}
