//! Customer feedback (SPEC §11): `GET, POST /feedback`, `GET /feedback/{id}` and
//! `PUT, DELETE /initiatives/{id}/feedback/{feedback_id}`.

use axum::Json;
use axum::extract::{FromRequestParts, State};
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::response::Response;
use utoipa::IntoParams;
use utoipa::openapi::path::{Parameter, ParameterIn};
use uuid::Uuid;

use super::{create_once, versioned};
use crate::db;
use crate::db::feedback::{Feedback, FeedbackFilter};
use crate::domain::FieldErrors;
use crate::domain::feedback::FeedbackInput;
use crate::domain::page::{Page, PageQuery, PageRequest};
use crate::error::{ApiError, ApiResult};
use crate::http::AppState;
use crate::http::extract::{ApiCaller, ApiQuery, CreateJson, ResourceId, ResourceIds};
use crate::http::openapi::{IdempotencyKeyHeader, path_id};

/// A feedback item never changes once recorded (only its links do): its `ETag` is always this.
const RECORDED: i64 = 1;

/// `?linked=&customer=&q=&limit=&cursor=`, as sent.
#[derive(serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct FeedbackQuery {
    /// `false`: only feedback not yet linked to any initiative; `true`: only linked feedback.
    #[param(value_type = Option<bool>)]
    linked: Option<String>,
    /// Only this customer's feedback (whatever the case and surrounding spaces).
    #[param(max_length = 200)]
    customer: Option<String>,
    /// Only feedback whose text or customer contains this, whatever the case.
    #[param(max_length = 200)]
    q: Option<String>,
    #[serde(flatten)]
    #[param(ignore)]
    page: PageQuery,
}

impl FeedbackQuery {
    fn parse(&self) -> Result<(FeedbackFilter, PageRequest), FieldErrors> {
        let mut errors = FieldErrors::new();
        let linked = match self.linked.as_deref().map(str::trim) {
            None | Some("") => None,
            Some("true") => Some(true),
            Some("false") => Some(false),
            Some(_) => {
                errors.add("linked", "must be true or false");
                None
            }
        };
        let mut words = |field: &str, value: &Option<String>| {
            let value = value.as_deref().map(str::trim).filter(|v| !v.is_empty())?;
            errors.check(
                value.chars().count() <= 200,
                field,
                "must be at most 200 characters",
            );
            errors.check(!value.contains('\0'), field, "must not contain NUL characters");
            Some(value.to_owned())
        };
        let customer = words("customer", &self.customer);
        let text = words("q", &self.q);
        let page = PageRequest::parse(
            &mut errors,
            self.page.limit.as_deref(),
            self.page.cursor.as_deref(),
        );
        errors.into_result()?;
        let filter = FeedbackFilter {
            linked,
            customer,
            text,
            initiative_id: None,
        };
        Ok((filter, page))
    }
}

/// The organization's feedback: unlinked first, newest first.
#[utoipa::path(
get, path = "/feedback", tag = "outcomes", operation_id = "list_feedback",
    params(FeedbackQuery, PageQuery),
    responses((status = OK, body = Page<Feedback>))
)]
#[tracing::instrument(skip_all)]
pub async fn list(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    ApiQuery(query): ApiQuery<FeedbackQuery>,
) -> ApiResult<Json<Page<Feedback>>> {
    let (filter, page) = query.parse()?;
    Ok(Json(
        db::feedback::list(&state.tenant(&caller), &filter, &page).await?,
    ))
}

/// Records what a customer asked for; members and admins.
#[utoipa::path(
post, path = "/feedback", tag = "outcomes", operation_id = "create_feedback",
    params(IdempotencyKeyHeader),
    request_body = FeedbackInput,
    responses((status = CREATED, body = Feedback, headers(("ETag" = String))))
)]
#[tracing::instrument(skip_all)]
pub async fn create(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    CreateJson { input, key }: CreateJson<FeedbackInput>,
) -> ApiResult<Response> {
    create_once(&state, &caller, key, |tx, caller| {
        Box::pin(async move {
            let item = db::feedback::create(tx, caller, input).await?;
            Ok((RECORDED, item))
        })
    })
    .await
}

/// One feedback item with the initiatives it is linked to.
#[utoipa::path(
get, path = "/feedback/{id}", tag = "outcomes", operation_id = "get_feedback",
    params(ResourceId),
    responses((status = OK, body = Feedback, headers(("ETag" = String))))
)]
#[tracing::instrument(skip_all, fields(feedback_id = %id))]
pub async fn get(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    ResourceId(id): ResourceId,
) -> ApiResult<Response> {
    let item = db::feedback::get(&state.tenant(&caller), id).await?;
    Ok(versioned(StatusCode::OK, RECORDED, item))
}

/// `/initiatives/{id}/feedback/{feedback_id}`: each 404 when it is not a UUID.
pub struct LinkPath(Uuid, Uuid);

impl<S: Send + Sync> FromRequestParts<S> for LinkPath {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let ResourceIds(id, feedback_id) = ResourceIds::from_request_parts(parts, state).await?;
        Ok(LinkPath(id, feedback_id))
    }
}

impl IntoParams for LinkPath {
    fn into_params(_: impl Fn() -> Option<ParameterIn>) -> Vec<Parameter> {
        vec![
            path_id("id", "The initiative's id"),
            path_id("feedback_id", "The feedback item's id"),
        ]
    }
}

/// Links the feedback to an initiative it asks for, adding to the initiative's demand; whoever
/// may edit the initiative. Linking twice is harmless.
#[utoipa::path(
put, path = "/initiatives/{id}/feedback/{feedback_id}", tag = "outcomes", operation_id = "link_feedback",
    params(LinkPath),
    responses((status = OK, body = Feedback, description = "The feedback item with its links"))
)]
#[tracing::instrument(skip_all, fields(initiative_id = %id, feedback_id = %feedback_id))]
pub async fn link(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    LinkPath(id, feedback_id): LinkPath,
) -> ApiResult<Json<Feedback>> {
    Ok(Json(
        db::feedback::link(&state.tenant(&caller), &caller, id, feedback_id).await?,
    ))
}

/// Unlinks the feedback from the initiative; 404 when it was not linked.
#[utoipa::path(
delete, path = "/initiatives/{id}/feedback/{feedback_id}", tag = "outcomes", operation_id = "unlink_feedback",
    params(LinkPath),
    responses((status = NO_CONTENT, description = "Unlinked"))
)]
#[tracing::instrument(skip_all, fields(initiative_id = %id, feedback_id = %feedback_id))]
pub async fn unlink(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    LinkPath(id, feedback_id): LinkPath,
) -> ApiResult<StatusCode> {
    db::feedback::unlink(&state.tenant(&caller), &caller, id, feedback_id).await?;
    Ok(StatusCode::NO_CONTENT)
}
