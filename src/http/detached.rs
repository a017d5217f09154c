//! Every request runs to its end in a task of its own, whatever happens to the client.
//!
//! hyper drops a request's future when its client goes away, and the timeout layer drops it when
//! it takes too long. A future dropped in the middle of database work leaves that work half done
//! on a pooled connection: dropped during the `BEGIN` round trip, sqlx 0.8 and 0.9 return the
//! connection to the pool *inside* the transaction it began (sqlx issues 4385 and 4393), so the
//! next request on it runs in a stale, perhaps read-only or aborted, transaction; dropped while the
//! pool tests a connection before handing it out, the connection is closed and another opened.
//! One client's hang-up must harm no one else's request, so the handler is spawned and the
//! request's future only waits for it: dropping the wait leaves the handler running. A write the
//! client gave up on is still made (an `Idempotency-Key` makes its retry safe), and a panic in a
//! handler answers 500 instead of closing the connection without an answer.

use axum::extract::Request;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use tracing::Instrument;

use crate::error::{ApiError, AppError};

pub async fn run_to_end(request: Request, next: Next) -> Response {
    let api = request.uri().path().starts_with("/api/");
    let handler = tokio::spawn(next.run(request).in_current_span());
    match handler.await {
        Ok(response) => response,
        Err(failure) => {
            let error = AppError::Internal(anyhow::anyhow!("the request's handler failed: {failure}"));
            if api {
                ApiError(error).into_response()
            } else {
                error.into_response()
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::time::Duration;

    use axum::Router;
    use axum::body::Body;
    use axum::http::StatusCode;
    use axum::routing::get;
    use tower::ServiceExt;

    use super::*;

    #[tokio::test]
    async fn a_handler_whose_request_is_dropped_still_runs_to_its_end() {
        let finished = Arc::new(AtomicBool::new(false));
        let flag = finished.clone();
        let app = Router::new()
            .route(
                "/",
                get(move || async move {
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    flag.store(true, Ordering::SeqCst);
                }),
            )
            .layer(axum::middleware::from_fn(run_to_end));
        let request = app.oneshot(Request::new(Body::empty()));
        // The client gives up long before the handler is done.
        assert!(
            tokio::time::timeout(Duration::from_millis(5), request)
                .await
                .is_err()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
        assert!(finished.load(Ordering::SeqCst), "the handler was cut short");
    }

    async fn boom() -> &'static str {
        panic!("boom")
    }

    #[tokio::test]
    async fn a_panicking_handler_answers_500_in_the_surface_it_was_called_on() {
        let app = Router::new()
            .route("/api/v1/boom", get(boom))
            .route("/boom", get(boom))
            .layer(axum::middleware::from_fn(run_to_end));
        let api = app
            .clone()
            .oneshot(Request::get("/api/v1/boom").body(Body::empty()).unwrap())
            .await
            .unwrap();
        assert_eq!(api.status(), StatusCode::INTERNAL_SERVER_ERROR);
        assert_eq!(api.headers()["content-type"], "application/problem+json");
        let page = app
            .oneshot(Request::get("/boom").body(Body::empty()).unwrap())
            .await
            .unwrap();
        assert_eq!(page.status(), StatusCode::INTERNAL_SERVER_ERROR);
        assert!(
            page.headers()["content-type"]
                .to_str()
                .unwrap()
                .starts_with("text/html")
        );
    }
}
