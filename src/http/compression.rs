//! Response compression: pages, the stylesheet, scripts, CSV and JSON go out gzip-compressed to a
//! client that asks (`Accept-Encoding`), with `Vary: Accept-Encoding`. The shared roadmap, 100 KB
//! and more of HTML for a large board, is about a seventh of that compressed.
//!
//! Pages carry no secret beside text an attacker could inject (forms are protected by Fetch
//! Metadata, not by tokens in the body), so compressing them opens no BREACH-style leak.

use axum::http::{HeaderMap, StatusCode, Version, header};
use tower_http::compression::{CompressionLayer, Predicate};

/// Smaller answers gain less than the encoding's own overhead.
const MIN_SIZE: u64 = 1024;

/// Text types worth compressing; images other than SVG are compressed already.
const COMPRESSIBLE: &[&str] = &[
    "text/html",
    "text/css",
    "text/javascript",
    "text/csv",
    "text/plain",
    "image/svg+xml",
    "application/json",
    "application/problem+json",
];

pub fn layer() -> CompressionLayer<impl Predicate> {
    CompressionLayer::new()
        .gzip(true)
        .compress_when(tower_http::compression::predicate::SizeAbove::new(MIN_SIZE).and(worth_compressing))
}

/// A compressible type, and no `ETag`: an ETag here is the resource's version, which clients
/// send back in `If-Match`; a strong validator names one representation (RFC 9110 §8.8.1), so a
/// response that carries one is sent as it is rather than given a second, compressed form under
/// the same tag.
fn worth_compressing(_: StatusCode, _: Version, headers: &HeaderMap, _: &axum::http::Extensions) -> bool {
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .unwrap_or("");
    COMPRESSIBLE.iter().any(|kind| content_type.starts_with(kind)) && !headers.contains_key(header::ETAG)
}
