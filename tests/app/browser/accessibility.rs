//! Accessibility (WCAG 2.2 AA): axe-core, the engine browser audits and procurement
//! checks run, is injected through WebDriver into every kind of page of the demo organization —
//! signed out, signed in as the CPO, the shared link, and forms sent back with errors — and the
//! test fails on any violation of impact serious or critical, listing every one it found.
//!
//! `axe.min.js` comes from the npm package `axe-core`, which `.ci/run` installs (see `AXE_JS`);
//! without it the test is skipped loudly, and fails under `CI=true`.

use std::path::PathBuf;

use serde_json::Value;

use crate::browser::{Browser, skip_unless_ci};
use crate::helpers::{DEMO_CPO, spawn_app};

/// Where `.ci/run` installs axe-core (`npm install --prefix target/test-tools/axe-core`), unless
/// `AXE_CORE_JS` names the file.
const AXE_JS: &str = "target/test-tools/axe-core/node_modules/axe-core/axe.min.js";

fn axe_source() -> Option<String> {
    let path = std::env::var_os("AXE_CORE_JS")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(AXE_JS));
    std::fs::read_to_string(&path).ok()
}

/// Runs axe on the page in the browser and answers its violations, one line each (its impact
/// first) with the elements it was found on.
const RUN_AXE: &str = r#"
const done = arguments[arguments.length - 1];
axe.run(document, {resultTypes: ['violations']}).then(
  (results) => done(results.violations
    .map((v) => `${v.impact} ${v.id}: ${v.help} (${v.nodes.length}×) ` +
      v.nodes.slice(0, 3).map((n) => `[${n.target.join(' ')}] ${n.failureSummary.replace(/\s+/g, ' ')}`).join(' | '))),
  (error) => done([`critical: axe failed: ${error}`]));
"#;

/// The impacts that fail the test; moderate and minor findings are printed.
const FAILING: &[&str] = &["serious", "critical"];

impl Browser {
    /// axe-core's findings on the page now shown.
    async fn audit(&self, axe: &str) -> Vec<String> {
        self.client
            .execute(&format!("{axe}\nreturn true;"), Vec::new())
            .await
            .expect("inject axe-core");
        let found = self
            .client
            .execute_async(RUN_AXE, Vec::new())
            .await
            .expect("run axe-core");
        match found {
            Value::Array(lines) => lines
                .into_iter()
                .map(|line| line.as_str().unwrap_or_default().to_owned())
                .collect(),
            other => vec![format!("axe answered {other}")],
        }
    }
}

#[tokio::test]
async fn no_page_of_the_demo_has_a_serious_or_critical_accessibility_violation() {
    let Some(axe) = axe_source() else {
        skip_unless_ci(&format!(
            "accessibility test needs axe-core ({AXE_JS}, or AXE_CORE_JS; .ci/run installs it with npm)"
        ));
        return;
    };
    let Some(browser) = Browser::start().await else {
        return;
    };
    let app = spawn_app().await;
    let tour = app.demo_tour().await;
    let mut findings = Vec::new();
    let mut audited = 0;
    let mut audit = async |what: &str, browser: &Browser| {
        let url = browser.client.current_url().await.expect("current URL");
        for finding in browser.audit(&axe).await {
            let failing = FAILING.iter().any(|impact| finding.starts_with(impact));
            let finding = format!("{what} ({}): {finding}", url.path());
            if failing {
                findings.push(finding);
            } else {
                eprintln!("axe-core, not failing the test: {finding}");
            }
        }
        audited += 1;
    };

    browser.goto(&app.url(&tour.sign_in)).await;
    browser.find("form[action='/login']").await;
    audit("the sign-in page", &browser).await;
    browser.fill("email", DEMO_CPO).await;
    browser.fill("password", "not the password").await;
    browser.click("form[action='/login'] button[type='submit']").await;
    browser.find(".alert").await;
    audit("the sign-in page refusing a wrong password", &browser).await;

    browser.goto(&app.url(&tour.shared)).await;
    browser.find(".tl").await;
    audit("the shared roadmap", &browser).await;

    browser
        .sign_in(&app.url(""), DEMO_CPO, cairn::demo::PASSWORD)
        .await;
    audit("the CPO's home", &browser).await;
    for (what, path) in &tour.pages {
        browser.goto(&app.url(path)).await;
        browser.find("main h1").await;
        audit(what, &browser).await;
    }

    // A form sent back with its errors: a new initiative without a title.
    browser.goto(&app.url("/initiatives/new")).await;
    browser.fill("title", " ").await;
    browser.fill("progress", "140").await;
    browser
        .click("form[action='/initiatives'] button[type='submit']")
        .await;
    browser.find(".field-error").await;
    audit("the initiative form with errors", &browser).await;

    browser.close().await;
    assert!(audited >= tour.pages.len() + 4);
    assert!(
        findings.is_empty(),
        "axe-core found {} serious or critical violations:\n{}",
        findings.len(),
        findings.join("\n")
    );
}
