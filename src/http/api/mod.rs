//! The JSON API, v1 (SPEC §6): one module per resource.

pub mod accounts;
pub mod baselines;
pub mod dependencies;
pub mod digest;
pub mod feedback;
pub mod imports;
pub mod initiatives;
pub mod kpis;
pub mod members;
pub mod objectives;
pub mod organization;
pub mod portfolios;
pub mod priorities;
// Capacity per portfolio and quarter (SPEC §8).
pub mod capacity;
pub mod scenarios;
pub mod scorecard;
pub mod themes;
pub mod webhooks;
// Roadmaps.
pub mod roadmaps;

use std::future::Future;

use axum::Json;
use axum::body::Bytes;
use axum::http::{HeaderValue, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use futures_util::future::BoxFuture;
use serde::Serialize;

use super::AppState;
use super::extract::etag;
use crate::db::idempotency::{self, Claim, IdempotencyKey, StoredAnswer};
use crate::db::users::Caller;
use crate::db::{DataStamp, Tx};
use crate::error::{ApiError, ApiResult, AppError};
use crate::read_cache::AnswerKey;

/// Unknown API paths answer problem+json, not the HTML 404 page.
pub async fn not_found() -> ApiError {
    ApiError(AppError::NotFound)
}

/// The JSON answer of `read` to the request `uri`, kept whole per data stamp
/// (`crate::read_cache::Answers`) for every member of the organization: for reads whose answer
/// depends only on the organization's data and date and on the request, never on who asks.
pub async fn kept_json<T: Serialize, Read>(
    state: &AppState,
    caller: &Caller,
    stamp: DataStamp,
    uri: &Uri,
    read: impl FnOnce() -> Read,
) -> ApiResult<Response>
where
    Read: Future<Output = Result<T, AppError>>,
{
    let key = AnswerKey {
        org_id: caller.org_id,
        request: uri.to_string(),
    };
    let body = state
        .caches
        .answers
        .answer(key, stamp, || async {
            let answer = read().await?;
            let json = serde_json::to_vec(&answer).map_err(|error| AppError::Internal(error.into()))?;
            Ok::<_, AppError>(Bytes::from(json))
        })
        .await?;
    Ok((
        [(header::CONTENT_TYPE, HeaderValue::from_static("application/json"))],
        body,
    )
        .into_response())
}

/// One resource, with the `ETag` a client sends back in `If-Match`.
pub fn versioned(status: StatusCode, version: i64, body: impl Serialize) -> Response {
    (status, etag(version), Json(body)).into_response()
}

/// Runs a create and answers 201 with the new resource and its `ETag`. With an `Idempotency-Key`,
/// the key is claimed and the answer stored in the create's own transaction, so a retry — even
/// one racing the first request — gets the first answer (marked `Idempotent-Replayed: true`) and
/// no second row; a failed create stores nothing, and its retry runs again.
pub async fn create_once<T: Serialize>(
    state: &AppState,
    caller: &Caller,
    key: Option<IdempotencyKey>,
    create: impl for<'t> FnOnce(&'t mut Tx<'static>, &'t Caller) -> BoxFuture<'t, Result<(i64, T), AppError>>,
) -> ApiResult<Response> {
    let mut tx = state.tenant(caller).begin().await.map_err(AppError::from)?;
    if let Some(key) = &key
        && let Claim::Retry(answer) = idempotency::claim(&mut tx, caller, key).await?
    {
        return Ok(replay(answer));
    }
    let (version, created) = create(&mut tx, caller).await?;
    let body = serde_json::to_value(created).map_err(|e| AppError::Internal(e.into()))?;
    if let Some(key) = &key {
        let answer = StoredAnswer {
            version,
            body: body.clone(),
        };
        idempotency::store(&mut tx, caller, key, &answer).await?;
    }
    tx.commit().await.map_err(AppError::from)?;
    Ok(versioned(StatusCode::CREATED, version, body))
}

fn replay(answer: StoredAnswer) -> Response {
    let mut response = versioned(StatusCode::CREATED, answer.version, answer.body);
    response
        .headers_mut()
        .insert("idempotent-replayed", HeaderValue::from_static("true"));
    response
}
