//! The security headers every response carries — pages, problem+json, static files, 404s and the
//! middleware's own answers (timeouts, oversized bodies). A header a handler already set wins: the
//! shared roadmap surface sets a stricter policy of its own.

use std::sync::Arc;

use axum::extract::State;
use axum::http::{HeaderName, HeaderValue, header};
use axum::response::Response;

/// Scripts only from our own origin (no inline script, no `eval`), nothing embeds our pages, and
/// forms post only to us. `style-src-attr 'unsafe-inline'` because the pages size progress bars and
/// colour theme swatches with `style` attributes computed per row (escaped values, never markup);
/// stylesheets and `<style>` elements stay `'self'`-only.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; style-src 'self'; \
     style-src-attr 'unsafe-inline'; img-src 'self'; object-src 'none'; base-uri 'none'; \
     form-action 'self'; frame-ancestors 'none'";

/// One year; without `includeSubDomains`, which would bind every other site on the domain.
const STRICT_TRANSPORT_SECURITY: &str = "max-age=31536000";

/// The headers to add, decided once at start-up.
#[derive(Clone)]
pub struct SecurityHeaders(Arc<[(HeaderName, HeaderValue)]>);

impl SecurityHeaders {
    /// `https`: the public URL is https, so browsers may be told never to use plain http; over
    /// plain http that header would be ignored at best and lock users out at worst.
    pub fn new(https: bool) -> SecurityHeaders {
        let mut headers = vec![
            (
                header::CONTENT_SECURITY_POLICY,
                HeaderValue::from_static(CONTENT_SECURITY_POLICY),
            ),
            (
                header::X_CONTENT_TYPE_OPTIONS,
                HeaderValue::from_static("nosniff"),
            ),
            // For browsers that predate `frame-ancestors`.
            (header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY")),
            (header::REFERRER_POLICY, HeaderValue::from_static("same-origin")),
        ];
        if https {
            headers.push((
                header::STRICT_TRANSPORT_SECURITY,
                HeaderValue::from_static(STRICT_TRANSPORT_SECURITY),
            ));
        }
        SecurityHeaders(headers.into())
    }
}

/// The policy for a page that carries a generated `<style>` block: `source` (the block's
/// `'sha256-…'`) is allowed besides the stylesheet. A handler sets it on its response, and `add`
/// then leaves it alone.
pub fn policy_allowing_style(source: &str) -> HeaderValue {
    let policy =
        CONTENT_SECURITY_POLICY.replacen("style-src 'self'", &format!("style-src 'self' {source}"), 1);
    HeaderValue::from_str(&policy).expect("a CSP source is visible ASCII")
}

/// Adds each header the response does not carry yet (`axum::middleware::map_response_with_state`).
pub async fn add<B>(State(headers): State<SecurityHeaders>, mut response: Response<B>) -> Response<B> {
    for (name, value) in headers.0.iter() {
        response
            .headers_mut()
            .entry(name)
            .or_insert_with(|| value.clone());
    }
    response
}

#[cfg(test)]
mod tests {
    use axum::Router;
    use axum::body::Body;
    use axum::http::{Request, header};
    use axum::routing::get;
    use tower::ServiceExt;

    use super::*;

    async fn headers_of(router: Router, path: &str) -> axum::http::HeaderMap {
        let router = router.layer(axum::middleware::map_response_with_state(
            SecurityHeaders::new(true),
            add,
        ));
        let request = Request::get(path).body(Body::empty()).unwrap();
        router.oneshot(request).await.unwrap().headers().clone()
    }

    #[tokio::test]
    async fn a_policy_set_by_the_handler_is_kept() {
        const STRICT: &str = "default-src 'none'";
        let router = Router::new()
            .route(
                "/shared",
                get(|| async { ([(header::CONTENT_SECURITY_POLICY, STRICT)], "shared") }),
            )
            .route("/page", get(|| async { "page" }));
        let shared = headers_of(router.clone(), "/shared").await;
        assert_eq!(shared[header::CONTENT_SECURITY_POLICY], STRICT);
        assert_eq!(shared.get_all(header::CONTENT_SECURITY_POLICY).iter().count(), 1);
        assert_eq!(shared[header::X_CONTENT_TYPE_OPTIONS], "nosniff");
        let page = headers_of(router, "/page").await;
        assert_eq!(page[header::CONTENT_SECURITY_POLICY], CONTENT_SECURITY_POLICY);
        assert_eq!(page[header::STRICT_TRANSPORT_SECURITY], STRICT_TRANSPORT_SECURITY);
    }

    #[test]
    fn a_generated_style_block_is_allowed_by_its_hash_only() {
        let policy = policy_allowing_style("'sha256-AbC='");
        let directives: Vec<&str> = policy.to_str().unwrap().split("; ").collect();
        assert!(
            directives.contains(&"style-src 'self' 'sha256-AbC='"),
            "{directives:?}"
        );
        assert!(directives.contains(&"style-src-attr 'unsafe-inline'"));
        assert!(directives.contains(&"script-src 'self'"));
    }
}
