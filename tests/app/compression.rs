//! Pages and the stylesheet go out compressed to a browser that asks for it, and as they are to a
//! client that does not (an executive on a phone once downloaded the 107 KB shared roadmap).

use std::io::Read;

use reqwest::StatusCode;
use reqwest::header::{ACCEPT_ENCODING, CONTENT_ENCODING, VARY};

use crate::helpers::{DEMO_CPO, Page, TestApp, spawn_app, with_changes};

/// What a browser asking for gzip receives at `path`, and what a client that asks for nothing
/// receives: both must be the same page, only the first compressed.
async fn assert_compressed_only_on_request(app: &TestApp, path: &str, what: &str) {
    let plain = app.client.get(app.url(path)).send().await.unwrap();
    assert_eq!(plain.status(), StatusCode::OK, "{what}: {path}");
    assert!(
        !plain.headers().contains_key(CONTENT_ENCODING),
        "{what}: compressed for a client that did not ask"
    );
    let plain = plain.text().await.unwrap();

    let asked = app
        .client
        .get(app.url(path))
        .header(ACCEPT_ENCODING, "gzip, deflate")
        .send()
        .await
        .unwrap();
    assert_eq!(asked.status(), StatusCode::OK, "{what}");
    assert_eq!(
        asked.headers().get(CONTENT_ENCODING).map(|v| v.to_str().unwrap()),
        Some("gzip"),
        "{what}: not compressed for a client that asked"
    );
    assert!(
        asked.headers().get_all(VARY).iter().any(|v| v
            .to_str()
            .unwrap()
            .to_ascii_lowercase()
            .contains("accept-encoding")),
        "{what}: caches must keep the two forms apart (Vary)"
    );
    let compressed = asked.bytes().await.unwrap();
    let unpacked = gunzip(&compressed);
    assert!(
        compressed.len() < plain.len(),
        "{what}: {} bytes compressed, {} plain",
        compressed.len(),
        plain.len()
    );
    // The same document: the same first line and the same heading (a page may say "just now").
    assert_eq!(unpacked.lines().next(), plain.lines().next(), "{what}");
    if plain.contains("<h1") {
        assert_eq!(heading(&unpacked), heading(&plain), "{what}");
    }
}

fn gunzip(bytes: &[u8]) -> String {
    let mut text = String::new();
    flate2::read::GzDecoder::new(bytes)
        .read_to_string(&mut text)
        .expect("a gzip stream of UTF-8");
    text
}

fn heading(html: &str) -> String {
    let document = scraper::Html::parse_document(html);
    let h1 = scraper::Selector::parse("h1").unwrap();
    document
        .select(&h1)
        .next()
        .map(|e| e.text().collect())
        .unwrap_or_default()
}

#[tokio::test]
async fn every_kind_of_page_and_the_stylesheet_are_compressed_for_a_browser_that_asks() {
    let app = spawn_app().await;
    let tour = app.demo_tour().await;

    assert_compressed_only_on_request(&app, &tour.sign_in, "the sign-in page").await;
    let stylesheet = app.get_page(&tour.sign_in).await.href("link[rel='stylesheet']");
    assert_compressed_only_on_request(&app, &stylesheet, "the stylesheet").await;
    assert_compressed_only_on_request(&app, &tour.shared, "the shared roadmap").await;

    let signed_in = app.sign_in_page(DEMO_CPO, cairn::demo::PASSWORD, "").await;
    assert_eq!(signed_in.status, StatusCode::SEE_OTHER);
    for (what, path) in &tour.pages {
        assert_compressed_only_on_request(&app, path, what).await;
    }

    // A form sent back with its errors is a page like the others.
    let form = app.get_page("/initiatives/new").await;
    let fields = with_changes(&form.form_fields("/initiatives"), &[("title", "")]);
    let refused = app
        .client
        .post(app.url("/initiatives"))
        .header(ACCEPT_ENCODING, "gzip")
        .form(&fields)
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(refused.headers()[CONTENT_ENCODING], "gzip");
    let page = Page {
        status: StatusCode::UNPROCESSABLE_ENTITY,
        location: None,
        set_cookies: Vec::new(),
        html: scraper::Html::parse_document(&gunzip(&refused.bytes().await.unwrap())),
    };
    assert!(
        page.field_error("title").is_some(),
        "the error is shown beside the title"
    );
}
