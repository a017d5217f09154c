//! The HTTP surface: state, the route table, and the middleware every request passes through.

pub mod api;
mod compression;
pub mod csv_export;
mod detached;
mod error_page;
pub mod extract;
pub mod health;
pub mod openapi;
pub mod pages;
mod routes;
pub mod security;
pub mod share;
pub mod static_files;

use std::sync::Arc;
use std::time::Duration;

use crate::db::sessions::PgSessionStore;
use axum::Router;
use axum::body::Body;
use axum::http::{HeaderName, HeaderValue, Request, Response, StatusCode, header};
use sqlx::PgPool;
use tower::ServiceBuilder;
use tower_http::csrf::CsrfLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;
use tower_sessions::cookie::SameSite;
use tower_sessions::{Expiry, SessionManagerLayer};

use crate::read_cache::ReadCache;

/// What every handler can reach. Nothing here is per-process state another server would need.
#[derive(Clone)]
pub struct AppState {
    /// Serves as `cairn_app`: a tenant table shows nothing here until a transaction names its
    /// organization (`tenant`); only sessions, sign-in throttling and the lookups by digest use it
    /// bare.
    pub pool: PgPool,
    /// Base of the links Cairn hands out (share and invite URLs), without a trailing slash.
    pub public_url: Arc<str>,
    /// Where a trusted proxy names the client's address; `None`: the TCP peer is the client.
    pub client_ip_header: Option<HeaderName>,
    /// The shared links' per-address rate limit: in process memory, so per process (README).
    pub share_limiter: Arc<crate::domain::share_link::AddressLimiter>,
    /// Views of shared links counted and not yet written (`startup::Server::run` writes them).
    pub share_views: Arc<crate::db::share_links::ViewTally>,
    pub caches: Arc<Caches>,
    /// The addresses webhooks may reach (`--webhook-allow-private`).
    pub webhook_policy: crate::domain::webhook::AddressPolicy,
}

/// What pages read once and show again while the organization's data and date are unchanged
/// (`crate::read_cache`), bounded in bytes: 152 MB in all at most, under the server's memory target of 200 MB.
pub struct Caches {
    /// Pages as rendered for a reader (`crate::read_cache::PageKey`): 10 to 100 KB each.
    pub pages: crate::read_cache::Answers<crate::read_cache::PageKey>,
    /// API answers as serialized (`crate::read_cache::AnswerKey`): 1 KB to 1 MB each (an owner
    /// grouping of a thousand owners is about 500 KB).
    pub answers: crate::read_cache::Answers<crate::read_cache::AnswerKey>,
    /// The roll-up page's parts besides the roll-up (`db::pages::rollup::PageParts`), a few KB each.
    pub portfolio_pages: ReadCache<crate::read_cache::PortfolioPageKey, crate::db::pages::rollup::PageParts>,
    /// Shared roadmaps as rendered, by organization and roadmap: 10 to 150 KB each.
    pub shared_roadmaps: ReadCache<(uuid::Uuid, uuid::Uuid), share::SharedPage>,
    /// Pages of priorities (`db::priorities::Priorities`), about 50 KB each.
    pub priorities: ReadCache<crate::db::priorities::PrioritiesKey, crate::db::priorities::Priorities>,
    /// The theme and owner menus of an organization's lists (`db::pages::priorities::FilterMenus`),
    /// about 100 bytes a member.
    pub filter_menus: ReadCache<uuid::Uuid, crate::db::pages::priorities::FilterMenus>,
    /// Two plans compared (`db::scenario_figures::Comparison`), for the compare and scenario pages
    /// and the API: 10 to 50 KB each.
    pub comparisons:
        ReadCache<crate::db::scenario_figures::ComparisonKey, crate::db::scenario_figures::Comparison>,
    /// What changed since a baseline (`db::baselines::Diff`), for its page, CSV and the API: about
    /// 1 KB a change.
    pub baseline_diffs: ReadCache<crate::db::baselines::DiffKey, crate::db::baselines::Diff>,
    /// What the feedback inbox shows around its items, per reader (`db::pages::feedback::InboxAround`):
    /// its picker of 200 initiatives, about 16 KB.
    pub inboxes: ReadCache<crate::db::pages::feedback::InboxKey, crate::db::pages::feedback::InboxAround>,
    /// Lifecycle boards (`db::pages::lifecycle::LifecycleData`): about 1 KB a product.
    pub lifecycle_boards:
        ReadCache<crate::db::pages::lifecycle::LifecycleKey, crate::db::pages::lifecycle::LifecycleData>,
}

impl Default for Caches {
    fn default() -> Self {
        const MB: u64 = 1024 * 1024;
        Caches {
            pages: ReadCache::new(24 * MB, 48 * 1024),
            answers: ReadCache::new(24 * MB, 16 * 1024),
            portfolio_pages: ReadCache::new(16 * MB, 8 * 1024),
            shared_roadmaps: ReadCache::new(16 * MB, 64 * 1024),
            priorities: ReadCache::new(16 * MB, 50 * 1024),
            filter_menus: ReadCache::new(8 * MB, 64 * 1024),
            comparisons: ReadCache::new(16 * MB, 32 * 1024),
            baseline_diffs: ReadCache::new(16 * MB, 32 * 1024),
            lifecycle_boards: ReadCache::new(8 * MB, 64 * 1024),
            inboxes: ReadCache::new(8 * MB, 16 * 1024),
        }
    }
}

impl AppState {
    /// The serving pool working for the caller's organization: what every tenant query of a
    /// signed-in request runs on. Tenant queries take only the pool and read the organization from
    /// it, so a query can never be handed one organization's pool and another's id (which under
    /// row-level security would silently find nothing).
    pub fn tenant(&self, caller: &crate::db::users::Caller) -> crate::db::TenantPool {
        crate::db::TenantPool::new(self.pool.clone(), caller.org_id)
    }

    /// The link that lets an invited member choose a password.
    pub fn invite_url(&self, token: &str) -> String {
        format!("{}/invite/{token}", self.public_url)
    }

    /// The capability URL of a roadmap share link.
    pub fn share_url(&self, token: &str) -> String {
        format!("{}{}{token}", self.public_url, share::PREFIX)
    }
}

const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");
/// Largest request body accepted; Cairn's requests are small forms and JSON documents.
const BODY_LIMIT: usize = 1024 * 1024;
/// Largest import (SPEC §12): a Jira export of 50,000 issues with all fields is about 30 MB.
pub const IMPORT_BODY_LIMIT: usize = 64 * 1024 * 1024;

/// The body limit of a request to `path`: the imports' own, or everyone else's.
fn body_limit(path: &str) -> usize {
    if path == "/imports" || path.starts_with("/api/v1/imports/") {
        IMPORT_BODY_LIMIT
    } else {
        BODY_LIMIT
    }
}

/// Refuses a body larger than its path allows with 413: at once when its length says so, else
/// when reading it passes the limit (the extractors answer 413 then).
async fn limit_body(request: Request<Body>, next: axum::middleware::Next) -> axum::response::Response {
    let limit = body_limit(request.uri().path());
    let declared = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|length| length > limit as u64) {
        return axum::response::IntoResponse::into_response(StatusCode::PAYLOAD_TOO_LARGE);
    }
    next.run(request.map(|body| Body::new(http_body_util::Limited::new(body, limit))))
        .await
}

/// The whole application: routes plus middleware. `https`: the public URL is https (secure
/// cookies, HSTS).
pub fn app(state: AppState, https: bool) -> Router {
    let sessions = SessionManagerLayer::new(PgSessionStore::new(state.pool.clone()))
        .with_name("cairn_session")
        .with_secure(https)
        .with_http_only(true)
        .with_same_site(SameSite::Lax)
        .with_expiry(Expiry::OnInactivity(
            tower_sessions::cookie::time::Duration::days(14),
        ));

    let middleware = ServiceBuilder::new()
        .layer(SetRequestIdLayer::new(REQUEST_ID, MakeRequestUuid))
        .layer(TraceLayer::new_for_http().make_span_with(|request: &Request<_>| {
            let request_id = request
                .headers()
                .get(REQUEST_ID)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("");
            let path = share::loggable_path(request.uri().path());
            tracing::info_span!("request", method = %request.method(), path = %path, request_id)
        }))
        .layer(PropagateRequestIdLayer::new(REQUEST_ID))
        .layer(compression::layer())
        // Outside the timeout and body limit, so that their answers carry the headers too.
        .layer(axum::middleware::map_response_with_state(
            security::SecurityHeaders::new(https),
            security::add,
        ))
        .layer(axum::middleware::map_response(retry_after_unavailable))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::SERVICE_UNAVAILABLE,
            Duration::from_secs(30),
        ))
        // Inside the timeout, so that neither a client hanging up nor the timeout cuts a handler
        // short.
        .layer(axum::middleware::from_fn(detached::run_to_end))
        .layer(axum::middleware::from_fn(limit_body))
        // `limit_body` is the one limit: axum's extractors' own (2 MB) would cut imports short.
        .layer(axum::extract::DefaultBodyLimit::disable());
    // Forms are protected from cross-site submission by Fetch Metadata and Origin checks. The
    // shared roadmap surface sits outside sessions and forms altogether.
    let signed_in = ServiceBuilder::new().layer(CsrfLayer::new()).layer(sessions);

    routes::routes()
        .layer(signed_in)
        .merge(share::router())
        .layer(middleware)
        .with_state(state)
}

/// Every 503 says when to come back, the timeout's own answer included (the handlers' 503s carry
/// their own `Retry-After`, which is kept).
async fn retry_after_unavailable<B>(mut response: Response<B>) -> Response<B> {
    if response.status() == StatusCode::SERVICE_UNAVAILABLE {
        response
            .headers_mut()
            .entry(header::RETRY_AFTER)
            .or_insert(HeaderValue::from_static("1"));
    }
    response
}

#[cfg(test)]
mod tests {
    use axum::body::Body;
    use axum::routing::get;
    use tower::ServiceExt;

    use super::*;

    #[tokio::test]
    async fn a_request_that_times_out_answers_503_with_retry_after() {
        let slow = Router::new()
            .route("/", get(|| tokio::time::sleep(Duration::from_secs(5))))
            .layer(
                ServiceBuilder::new()
                    .layer(axum::middleware::map_response(retry_after_unavailable))
                    .layer(TimeoutLayer::with_status_code(
                        StatusCode::SERVICE_UNAVAILABLE,
                        Duration::from_millis(10),
                    )),
            );
        let response = slow.oneshot(Request::new(Body::empty())).await.unwrap();
        assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(response.headers()[header::RETRY_AFTER], "1");
    }

    #[tokio::test]
    async fn a_handlers_own_retry_after_is_kept() {
        let busy = Router::new()
            .route(
                "/",
                get(|| async { (StatusCode::SERVICE_UNAVAILABLE, [(header::RETRY_AFTER, "7")]) }),
            )
            .layer(axum::middleware::map_response(retry_after_unavailable));
        let response = busy.oneshot(Request::new(Body::empty())).await.unwrap();
        assert_eq!(response.headers()[header::RETRY_AFTER], "7");
    }
}
