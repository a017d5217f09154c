//! Extractors shared by handlers: who is calling (token or session), JSON bodies that report the
//! offending field, and the `If-Match` precondition.

use std::net::{IpAddr, SocketAddr};

use axum::extract::{ConnectInfo, FromRef, FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use serde::de::DeserializeOwned;
use sha2::{Digest, Sha256};
use tower_sessions::Session;
use uuid::Uuid;

use super::AppState;
use crate::db::DataStamp;
use crate::db::idempotency::IdempotencyKey;
use crate::db::users::Caller;
use crate::error::{ApiError, AppError};
use crate::{db, domain::FieldErrors};

/// Session keys.
pub const SESSION_USER: &str = "user_id";
pub const SESSION_ORG: &str = "org_id";

/// An API caller, authenticated by `Authorization: Bearer <token>`; 401 otherwise.
pub struct ApiCaller(pub Caller);

/// An API caller with their organization's data stamp as of their authentication, for answers
/// that may come from what an earlier request made (`crate::read_cache::Answers`).
pub struct StampedApiCaller(pub Caller, pub DataStamp);

impl<S> FromRequestParts<S> for StampedApiCaller
where
    AppState: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let state = AppState::from_ref(state);
        let token = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.strip_prefix("Bearer "))
            .map(str::trim)
            .ok_or(AppError::Unauthorized)?;
        let (caller, stamp) = db::tokens::caller(&state.pool, token)
            .await?
            .ok_or(AppError::Unauthorized)?
            .split();
        Ok(StampedApiCaller(caller, stamp))
    }
}

/// `$plain` is `$stamped` without the stamp, for handlers that always read afresh.
macro_rules! without_stamp {
    ($plain:ident, $stamped:ident, $rejection:ty) => {
        impl<S> FromRequestParts<S> for $plain
        where
            AppState: FromRef<S>,
            S: Send + Sync,
        {
            type Rejection = $rejection;

            async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
                let $stamped(caller, _) = $stamped::from_request_parts(parts, state).await?;
                Ok($plain(caller))
            }
        }
    };
}

without_stamp!(ApiCaller, StampedApiCaller, ApiError);

/// A signed-in page visitor; anyone else is sent to the sign-in page.
pub struct PageCaller(pub Caller);

/// A signed-in page visitor with their organization's data stamp as of their authentication, for
/// pages that may come from what an earlier request rendered (`crate::read_cache::Answers`).
pub struct StampedPageCaller(pub Caller, pub DataStamp);

/// Where an anonymous visitor goes instead of the page they asked for.
pub enum SignInRequired {
    Redirect(Redirect),
    Error(AppError),
}

impl IntoResponse for SignInRequired {
    fn into_response(self) -> Response {
        match self {
            SignInRequired::Redirect(redirect) => redirect.into_response(),
            SignInRequired::Error(error) => error.into_response(),
        }
    }
}

impl<S> FromRequestParts<S> for StampedPageCaller
where
    AppState: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = SignInRequired;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        match signed_in(parts, &AppState::from_ref(state)).await? {
            Some((caller, stamp)) => Ok(StampedPageCaller(caller, stamp)),
            None => {
                let back = parts.uri.path_and_query().map(|p| p.as_str()).unwrap_or("/");
                let target = format!("/login?next={}", urlencode(back));
                Err(SignInRequired::Redirect(Redirect::to(&target)))
            }
        }
    }
}

without_stamp!(PageCaller, StampedPageCaller, SignInRequired);

/// The signed-in visitor, if any (the sign-in page and `/` render for both).
pub struct OptionalPageCaller(pub Option<Caller>);

impl<S> FromRequestParts<S> for OptionalPageCaller
where
    AppState: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = SignInRequired;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let signed_in = signed_in(parts, &AppState::from_ref(state)).await?;
        Ok(OptionalPageCaller(signed_in.map(|(caller, _)| caller)))
    }
}

/// The member the request's session signed in as, if the session is current and the membership
/// still stands, with the organization's data stamp: one statement, without loading the session
/// through `tower_sessions` (which would be a statement of its own).
async fn signed_in(
    parts: &mut Parts,
    state: &AppState,
) -> Result<Option<(Caller, DataStamp)>, SignInRequired> {
    let session = Session::from_request_parts(parts, state)
        .await
        .map_err(|(_, message)| SignInRequired::Error(AppError::Internal(anyhow::anyhow!(message))))?;
    let Some(id) = session.id() else {
        return Ok(None);
    };
    let found = db::users::caller_of_session(&state.pool, &id.to_string(), SESSION_ORG, SESSION_USER)
        .await
        .map_err(SignInRequired::Error)?;
    if found.is_none() {
        // Expired, signed out elsewhere, or the member was removed: the cookie must not outlive it.
        let _ = session.flush().await;
    }
    Ok(found.map(db::users::Authenticated::split))
}

pub fn urlencode(text: &str) -> String {
    serde_urlencoded::to_string([("", text)])
        .map(|s| s[1..].to_owned())
        .unwrap_or_default()
}

/// The client's address: the TCP peer, or with `--client-ip-header` the last address the trusted
/// proxy wrote into that header (earlier entries are whatever the client sent).
pub struct ClientAddress(pub IpAddr);

impl<S> FromRequestParts<S> for ClientAddress
where
    AppState: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let state = AppState::from_ref(state);
        if let Some(header) = &state.client_ip_header {
            let forwarded = parts
                .headers
                .get_all(header)
                .iter()
                .filter_map(|value| value.to_str().ok())
                .flat_map(|value| value.split(','))
                .filter_map(|entry| entry.trim().parse::<IpAddr>().ok())
                .next_back();
            if let Some(address) = forwarded {
                return Ok(ClientAddress(address));
            }
        }
        parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|ConnectInfo(peer)| ClientAddress(peer.ip()))
            .ok_or_else(|| {
                AppError::Internal(anyhow::anyhow!("the server was started without peer addresses"))
            })
    }
}

/// A JSON body: a syntax error answers 400; a value of the wrong type or a missing field answers
/// 422 naming the field, like any other validation error.
pub struct ApiJson<T>(pub T);

impl<T, S> FromRequest<S> for ApiJson<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        let (value, _) = read_json(request, state).await?;
        Ok(ApiJson(value))
    }
}

/// The body of a creating POST, and the client's `Idempotency-Key` when it sent one (a retry with
/// the same key gets the first answer: see `api::create_once`).
pub struct CreateJson<T> {
    pub input: T,
    pub key: Option<IdempotencyKey>,
}

pub const IDEMPOTENCY_KEY: &str = "idempotency-key";

impl<T, S> FromRequest<S> for CreateJson<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        let key = idempotency_key(request.headers())?;
        let mut request_line = Sha256::new();
        request_line.update(request.method().as_str());
        request_line.update(" ");
        request_line.update(request.uri().path());
        request_line.update("\n");
        let (input, body) = read_json(request, state).await?;
        let key = key.map(|key| IdempotencyKey {
            key,
            fingerprint: request_line.chain_update(&body).finalize().into(),
        });
        Ok(CreateJson { input, key })
    }
}

/// Refuses `Idempotency-Key` on a POST whose answer carries a secret shown once (a token, an
/// invite link): a replay would have to store that secret, which Cairn never does. Refusing is
/// honest where ignoring the key would let a client believe its retry is safe.
pub struct NoIdempotencyKey;

impl<S: Send + Sync> FromRequestParts<S> for NoIdempotencyKey {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        if parts.headers.contains_key(IDEMPOTENCY_KEY) {
            return Err(AppError::BadRequest(
                "Idempotency-Key is not accepted here: the answer carries a secret that is shown once \
                 and never stored, so it cannot be replayed"
                    .into(),
            )
            .into());
        }
        Ok(NoIdempotencyKey)
    }
}

/// `Idempotency-Key: <key>` or, as the IETF draft writes it, a quoted string: 1 to 255 visible
/// ASCII characters.
fn idempotency_key(headers: &axum::http::HeaderMap) -> Result<Option<String>, AppError> {
    let Some(value) = headers.get(IDEMPOTENCY_KEY) else {
        return Ok(None);
    };
    let text = value.to_str().unwrap_or_default().trim();
    let key = text
        .strip_prefix('"')
        .and_then(|rest| rest.strip_suffix('"'))
        .unwrap_or(text);
    let visible = key.bytes().all(|byte| byte.is_ascii_graphic());
    if key.is_empty() || key.len() > 255 || !visible {
        return Err(AppError::BadRequest(
            "Idempotency-Key must be 1 to 255 visible ASCII characters".into(),
        ));
    }
    Ok(Some(key.to_owned()))
}

/// Reads a JSON body: the value, and the bytes it was read from.
async fn read_json<T: DeserializeOwned, S: Send + Sync>(
    request: Request,
    state: &S,
) -> Result<(T, axum::body::Bytes), ApiError> {
    let is_json = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json") || v.contains("+json"));
    let bytes = axum::body::Bytes::from_request(request, state)
        .await
        .map_err(|e| match e.status() {
            StatusCode::PAYLOAD_TOO_LARGE => AppError::PayloadTooLarge,
            _ => AppError::BadRequest(e.body_text()),
        })?;
    if !is_json {
        return Err(AppError::BadRequest("send the body as application/json".into()).into());
    }
    // Every body is an object; serde would also read a struct from an array of its fields.
    if bytes.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'[') {
        return Err(AppError::field("body", "must be a JSON object").into());
    }
    let mut deserializer = serde_json::Deserializer::from_slice(&bytes);
    match serde_path_to_error::deserialize(&mut deserializer) {
        Ok(value) => Ok((value, bytes)),
        Err(error) => {
            let path = error.path().to_string();
            let inner = error.into_inner();
            if inner.is_data() {
                let field = if path == "." { "body".to_owned() } else { path };
                Err(AppError::Validation(FieldErrors::single(&field, clean_serde_message(&inner))).into())
            } else {
                Err(AppError::BadRequest(format!("the body is not valid JSON: {inner}")).into())
            }
        }
    }
}

/// serde's messages end with " at line 1 column 17", which means nothing to an API user.
fn clean_serde_message(error: &serde_json::Error) -> String {
    let text = error.to_string();
    match text.rfind(" at line ") {
        Some(i) => text[..i].to_owned(),
        None => text,
    }
}

/// The version an `If-Match` header names, if the request carries one.
pub struct IfMatch(pub Option<i64>);

impl<S: Send + Sync> FromRequestParts<S> for IfMatch {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let Some(value) = parts.headers.get(header::IF_MATCH) else {
            return Ok(IfMatch(None));
        };
        let text = value.to_str().unwrap_or("").trim();
        if text == "*" {
            // RFC 9110: any current version matches.
            return Ok(IfMatch(None));
        }
        // An ETag is quoted (RFC 9110); the bare version (`3`) that clients dropping the quotes
        // send is taken too, but a half-quoted one (`"3`) is refused rather than guessed at.
        let text = text.strip_prefix("W/").unwrap_or(text);
        let version = match text.strip_prefix('"') {
            Some(rest) => rest.strip_suffix('"'),
            None => (!text.ends_with('"')).then_some(text),
        };
        version
            .and_then(|version| version.parse().ok())
            .map(|version| IfMatch(Some(version)))
            .ok_or_else(|| AppError::BadRequest("If-Match must be an ETag this API returned".into()).into())
    }
}

impl IfMatch {
    /// Refuses the write when the client's version is not the current one.
    pub fn check(&self, current: i64) -> Result<(), AppError> {
        match self.0 {
            Some(expected) if expected != current => Err(AppError::PreconditionFailed),
            _ => Ok(()),
        }
    }
}

/// `ETag` for a resource version.
pub fn etag(version: i64) -> [(header::HeaderName, String); 1] {
    [(header::ETAG, format!("\"{version}\""))]
}

/// A query string: a malformed one answers 400 problem+json (axum's own answers plain text);
/// values arrive as text for the domain to check and name.
pub struct ApiQuery<T>(pub T);

impl<T, S> FromRequestParts<S> for ApiQuery<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let query = parts.uri.query().unwrap_or("");
        // A parameter sent empty is a mistake in an API call (the list page's forms send "any"
        // that way, but they do not come through here): name it rather than ignore it.
        if let Ok(pairs) = serde_urlencoded::from_str::<Vec<(String, String)>>(query) {
            let mut errors = FieldErrors::new();
            for (name, _) in pairs.iter().filter(|(_, value)| value.trim().is_empty()) {
                errors.add(name, "must not be empty");
            }
            errors.into_result().map_err(AppError::Validation)?;
        }
        serde_urlencoded::from_str(query)
            .map(ApiQuery)
            .map_err(|e| AppError::BadRequest(format!("the query string cannot be read: {e}")).into())
    }
}

/// The id in a resource's path; text that is not a UUID names nothing, so it answers 404 like
/// any other id that does not exist.
pub struct ResourceId(pub Uuid);

impl<S: Send + Sync> FromRequestParts<S> for ResourceId {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let axum::extract::Path(text) = axum::extract::Path::<String>::from_request_parts(parts, state)
            .await
            .map_err(|_| AppError::NotFound)?;
        text.parse()
            .map(ResourceId)
            .map_err(|_| AppError::NotFound.into())
    }
}

/// The two ids of a nested resource's path (`/initiatives/{id}/key-results/{kr_id}`), each
/// answering 404 when it is not a UUID, like `ResourceId`.
pub struct ResourceIds(pub Uuid, pub Uuid);

impl<S: Send + Sync> FromRequestParts<S> for ResourceIds {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let axum::extract::Path((first, second)) =
            axum::extract::Path::<(String, String)>::from_request_parts(parts, state)
                .await
                .map_err(|_| AppError::NotFound)?;
        match (first.parse(), second.parse()) {
            (Ok(first), Ok(second)) => Ok(ResourceIds(first, second)),
            _ => Err(AppError::NotFound.into()),
        }
    }
}
