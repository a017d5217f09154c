//! Webhooks (SPEC §12): `GET, POST /webhooks`, `GET, PATCH, DELETE /webhooks/{id}`,
//! `GET /webhooks/{id}/deliveries` and `POST /webhooks/{id}/test`; admins only.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use uuid::Uuid;

use super::{create_once, versioned};
use crate::db;
use crate::db::webhooks::{Attempt, CreatedWebhook, Webhook};
use crate::domain::page::{Page, PageQuery};
use crate::domain::webhook::{NewWebhook, WebhookChanges};
use crate::error::ApiResult;
use crate::http::AppState;
use crate::http::extract::{ApiCaller, ApiJson, ApiQuery, CreateJson, IfMatch, ResourceId};
use crate::http::openapi::{ConflictResponse, IdempotencyKeyHeader};

/// The organization's webhook endpoints, oldest first; their secrets are not shown.
#[utoipa::path(
get, path = "/webhooks", tag = "webhooks", operation_id = "list_webhooks",
    responses((status = OK, body = Vec<Webhook>))
)]
#[tracing::instrument(skip_all)]
pub async fn list(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
) -> ApiResult<Json<Vec<Webhook>>> {
    Ok(Json(db::webhooks::list(&state.tenant(&caller), &caller).await?))
}

/// Registers an endpoint for the events named. The answer carries its `secret`, shown this once:
/// verify every delivery's `webhook-signature` with it. The URL must be http(s) and resolve to a
/// public address (SPEC §12).
#[utoipa::path(
post, path = "/webhooks", tag = "webhooks", operation_id = "create_webhook",
    params(IdempotencyKeyHeader),
    request_body = NewWebhook,
    responses((status = CREATED, body = CreatedWebhook, headers(("ETag" = String))))
)]
#[tracing::instrument(skip_all)]
pub async fn create(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    CreateJson { input, key }: CreateJson<NewWebhook>,
) -> ApiResult<Response> {
    let policy = state.webhook_policy;
    create_once(&state, &caller, key, |tx, caller| {
        Box::pin(async move {
            let created = db::webhooks::create(tx, caller, input.into(), policy).await?;
            Ok((created.webhook.version, created))
        })
    })
    .await
}

/// One endpoint: whether it is enabled, and why not.
#[utoipa::path(
get, path = "/webhooks/{id}", tag = "webhooks", operation_id = "get_webhook",
    params(ResourceId),
    responses((status = OK, body = Webhook, headers(("ETag" = String))))
)]
#[tracing::instrument(skip_all, fields(webhook_id = %id))]
pub async fn get(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    ResourceId(id): ResourceId,
) -> ApiResult<Response> {
    let webhook = db::webhooks::get(&state.tenant(&caller), &caller, id).await?;
    Ok(versioned(StatusCode::OK, webhook.version, webhook))
}

/// Changes an endpoint's URL or events, pauses it (`enabled: false`) or enables it again.
#[utoipa::path(
patch, path = "/webhooks/{id}", tag = "webhooks", operation_id = "update_webhook",
    params(ResourceId, IfMatch),
    request_body = WebhookChanges,
    responses((status = OK, body = Webhook, headers(("ETag" = String))))
)]
#[tracing::instrument(skip_all, fields(webhook_id = %id))]
pub async fn update(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    ResourceId(id): ResourceId,
    IfMatch(expected): IfMatch,
    ApiJson(changes): ApiJson<WebhookChanges>,
) -> ApiResult<Response> {
    let webhook = db::webhooks::update(
        &state.tenant(&caller),
        &caller,
        id,
        expected,
        changes,
        state.webhook_policy,
    )
    .await?;
    Ok(versioned(StatusCode::OK, webhook.version, webhook))
}

/// Deletes an endpoint and its delivery log.
#[utoipa::path(
delete, path = "/webhooks/{id}", tag = "webhooks", operation_id = "delete_webhook",
    params(ResourceId, IfMatch),
    responses((status = NO_CONTENT, description = "Deleted"))
)]
#[tracing::instrument(skip_all, fields(webhook_id = %id))]
pub async fn delete(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    ResourceId(id): ResourceId,
    IfMatch(expected): IfMatch,
) -> ApiResult<StatusCode> {
    db::webhooks::delete(&state.tenant(&caller), &caller, id, expected).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The endpoint's delivery log: every attempt, newest first.
#[utoipa::path(
get, path = "/webhooks/{id}/deliveries", tag = "webhooks", operation_id = "list_webhook_deliveries",
    params(ResourceId, PageQuery),
    responses((status = OK, body = Page<Attempt>))
)]
#[tracing::instrument(skip_all, fields(webhook_id = %id))]
pub async fn deliveries(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    ResourceId(id): ResourceId,
    ApiQuery(query): ApiQuery<PageQuery>,
) -> ApiResult<Json<Page<Attempt>>> {
    let page = query.parse()?;
    Ok(Json(
        db::webhooks::attempts(&state.tenant(&caller), &caller, id, &page).await?,
    ))
}

/// The test event's id.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct TestEvent {
    pub event_id: Uuid,
}

/// Sends a `webhook.test` event to this endpoint alone, through the outbox like any other; its
/// attempts appear in the delivery log. A disabled endpoint answers 409.
#[utoipa::path(
post, path = "/webhooks/{id}/test", tag = "webhooks", operation_id = "test_webhook",
    params(ResourceId),
    responses((status = ACCEPTED, body = TestEvent), ConflictResponse)
)]
#[tracing::instrument(skip_all, fields(webhook_id = %id))]
pub async fn test(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    ResourceId(id): ResourceId,
) -> ApiResult<(StatusCode, Json<TestEvent>)> {
    let event_id = db::webhooks::send_test(&state.tenant(&caller), &caller, id).await?;
    Ok((StatusCode::ACCEPTED, Json(TestEvent { event_id })))
}
