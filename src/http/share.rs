//! The public surface: `/s/{token}`, a read-only roadmap for anyone holding the link, and
//! `/robots.txt`. Deliberately separate from the rest of the router: no session or sign-in
//! extractor runs here, nothing here writes except the link's view count (`ViewTally`), and every answer — the
//! roadmap, a 404 or a 429 — carries headers that keep the capability URL private (no referrer,
//! no caching, no indexing) and a Content-Security-Policy that allows no script at all.

use std::sync::Arc;
use std::time::{Duration, Instant};

use askama::Template;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderName, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use tower::ServiceBuilder;
use tower_http::set_header::SetResponseHeaderLayer;

use super::AppState;
use super::extract::ClientAddress;
use super::pages::roadmap_view::RoadmapDisplay;
use super::static_files;
use crate::db;
use crate::db::share_links::ShareTarget;
use crate::error::AppError;

/// How often a client address earns another request once its burst (`--share-burst`, 30) is
/// spent: an executive opening a link makes a handful; guessing a 256-bit token by volume gets
/// nowhere.
pub const REFILL: Duration = Duration::from_secs(2);

/// Where shared links live; the trace layer logs paths under it without the token.
pub const PREFIX: &str = "/s/";

/// The policy of every answer on this surface; the roadmap page adds its style block's hash.
const POLICY: &str = "default-src 'none'; style-src 'self'; img-src 'self'; base-uri 'none'; \
                      form-action 'none'; frame-ancestors 'none'";

pub fn router() -> Router<AppState> {
    let headers = ServiceBuilder::new()
        .layer(SetResponseHeaderLayer::overriding(
            header::REFERRER_POLICY,
            HeaderValue::from_static("no-referrer"),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            HeaderName::from_static("x-robots-tag"),
            HeaderValue::from_static("noindex, nofollow"),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::CACHE_CONTROL,
            HeaderValue::from_static("no-store"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(POLICY),
        ));
    // `route_layer`: only the shared page gets these headers; a plain `layer` would also wrap the
    // fallback, and every 404 of the site would carry the share page's policy.
    Router::new()
        .route("/s/{token}", get(show))
        .route_layer(headers)
        .route("/robots.txt", get(robots))
}

/// The path as logged: a token in a log is a leaked link.
pub fn loggable_path(path: &str) -> &str {
    if path.starts_with(PREFIX) { "/s/…" } else { path }
}

#[derive(Template)]
#[template(path = "share/roadmap.html")]
struct SharedRoadmapPage {
    view: RoadmapDisplay,
    css_url: String,
}

#[derive(Template)]
#[template(path = "share/error.html")]
struct SharedErrorPage {
    title: &'static str,
    message: &'static str,
    css_url: String,
}

#[tracing::instrument(skip_all)]
pub async fn show(
    State(state): State<AppState>,
    ClientAddress(client): ClientAddress,
    Path(token): Path<String>,
) -> Response {
    if let Err(retry_after_secs) = state.share_limiter.check(client, Instant::now()) {
        return refusal(AppError::TooManyRequests { retry_after_secs });
    }
    if !looks_like_token(&token) {
        return refusal(AppError::NotFound);
    }
    let link = match db::share_links::find(&state.pool, &token).await {
        Ok(Some(link)) => link,
        Ok(None) => return refusal(AppError::NotFound),
        Err(error) => return refusal(error),
    };
    let page = match state.caches.shared_roadmaps.get(&link.roadmap_key(), link.stamp) {
        Some(page) => page,
        None => match SharedPage::read(&state, &link).await {
            Ok(page) => page,
            Err(error) => return refusal(error),
        },
    };
    // A view whose roadmap could not be shown is not counted.
    state.share_views.count(link.org_id, link.share_id);
    (
        [(header::CONTENT_SECURITY_POLICY, page.policy.clone())],
        Html(page.html.clone()),
    )
        .into_response()
}

/// A roadmap's shared page as rendered: the same for every link to it and every viewer until the
/// organization's data or date changes, so kept per data stamp (`crate::read_cache`): while nothing
/// changes, a viewer's request is the one lookup of the link.
pub struct SharedPage {
    html: Bytes,
    /// The page's Content-Security-Policy, which names the hash of its inline styles.
    policy: HeaderValue,
}

impl SharedPage {
    /// Reads and renders the roadmap `link` leads to, and keeps it for the stamp it was read at.
    async fn read(state: &AppState, link: &ShareTarget) -> Result<Arc<SharedPage>, AppError> {
        // The link, found by its token's digest, names the organization: nobody is signed in.
        let tenant = db::TenantPool::new(state.pool.clone(), link.org_id);
        let (view, stamp) = db::roadmaps::view_with_stamp(&tenant, link.roadmap_id).await?;
        let display = RoadmapDisplay::new(&view, view.roadmap.show_budget, false);
        let policy = POLICY.replace(
            "style-src 'self'",
            &format!("style-src 'self' {}", display.style_hash()),
        );
        let html = SharedRoadmapPage {
            view: display,
            css_url: static_files::url("app.css"),
        }
        .render()
        .map_err(|error| AppError::Internal(error.into()))?;
        let page = Arc::new(SharedPage {
            html: Bytes::from(html),
            policy: HeaderValue::from_str(&policy).expect("the policy is ASCII"),
        });
        let bytes = page.html.len() + policy.len();
        state
            .caches
            .shared_roadmaps
            .put(link.roadmap_key(), stamp, page.clone(), bytes);
        Ok(page)
    }
}

/// The one page an unknown, revoked or expired link answers, byte for byte the same; and the
/// answers to too many requests and to failures, none of which link anywhere.
fn refusal(error: AppError) -> Response {
    let status = error.status();
    let (title, message) = match &error {
        AppError::NotFound => (
            "Link not found",
            "This link does not exist, has expired or was revoked. Ask whoever shared it for a new one.",
        ),
        AppError::TooManyRequests { .. } => ("Too many requests", "Wait a minute, then reload the page."),
        _ => {
            // The error's own rendering logs it; only its status and headers are kept.
            let logged = error.into_response();
            let mut response = page(
                logged.status(),
                "Not available",
                "The roadmap cannot be shown right now. Try again in a moment.",
            );
            if let Some(retry) = logged.headers().get(header::RETRY_AFTER) {
                response.headers_mut().insert(header::RETRY_AFTER, retry.clone());
            }
            return response;
        }
    };
    let mut response = page(status, title, message);
    if let AppError::TooManyRequests { retry_after_secs } = error {
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(retry_after_secs));
    }
    response
}

fn page(status: StatusCode, title: &'static str, message: &'static str) -> Response {
    let page = SharedErrorPage {
        title,
        message,
        css_url: static_files::url("app.css"),
    };
    (status, Html(page.render().unwrap_or_else(|_| message.to_owned()))).into_response()
}

/// A token is 43 base64url characters (256 bits); anything else is not looked up.
fn looks_like_token(token: &str) -> bool {
    token.len() == 43
        && token
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// Crawlers stay out of shared links (a link that leaks must not end up in a search index).
pub async fn robots() -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        "User-agent: *\nDisallow: /s/\n",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_stay_out_of_the_logs_and_only_their_shape_is_looked_up() {
        assert_eq!(
            loggable_path("/s/abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQ"),
            "/s/…"
        );
        assert_eq!(loggable_path("/roadmaps/1"), "/roadmaps/1");
        let token = crate::domain::credentials::new_secret("");
        assert!(looks_like_token(&token));
        assert!(!looks_like_token("short"));
        assert!(!looks_like_token(&format!("{}!", &token[1..])));
    }
}
