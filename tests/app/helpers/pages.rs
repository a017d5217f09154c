//! Pages as the tests read them: fetched with the app's cookie-keeping client and parsed, with the
//! status, redirect and cookies beside the document.

use reqwest::{Response, StatusCode};

use super::TestApp;

/// A page as the tests read it: the status, where a redirect points, the cookies it set and the
/// parsed document.
pub struct Page {
    pub status: StatusCode,
    pub location: Option<String>,
    pub set_cookies: Vec<SetCookie>,
    pub html: scraper::Html,
}

/// One `Set-Cookie` header: the name, the value and its attributes.
#[derive(Debug)]
pub struct SetCookie {
    pub name: String,
    pub value: String,
    attributes: Vec<String>,
}

impl SetCookie {
    fn parse(header: &str) -> SetCookie {
        let mut parts = header.split(';').map(str::trim);
        let (name, value) = parts.next().unwrap_or("").split_once('=').unwrap_or(("", ""));
        SetCookie {
            name: name.to_owned(),
            value: value.to_owned(),
            attributes: parts.map(str::to_ascii_lowercase).collect(),
        }
    }

    /// Whether an attribute such as `HttpOnly` or `SameSite=Lax` is present (case-insensitive).
    pub fn has(&self, attribute: &str) -> bool {
        self.attributes.contains(&attribute.to_ascii_lowercase())
    }
}

/// The name of Cairn's session cookie.
pub const SESSION_COOKIE: &str = "cairn_session";

impl Page {
    pub async fn read(response: Response) -> Page {
        let status = response.status();
        let location = response
            .headers()
            .get("location")
            .map(|v| v.to_str().unwrap().to_owned());
        let set_cookies = response
            .headers()
            .get_all("set-cookie")
            .iter()
            .map(|v| SetCookie::parse(v.to_str().unwrap()))
            .collect();
        let html = scraper::Html::parse_document(&response.text().await.unwrap());
        Page {
            status,
            location,
            set_cookies,
            html,
        }
    }

    /// The session cookie this response set, if any.
    pub fn session_cookie(&self) -> Option<&SetCookie> {
        self.set_cookies.iter().find(|c| c.name == SESSION_COOKIE)
    }

    /// Every element matching a CSS selector.
    pub fn select(&self, selector: &str) -> Vec<scraper::ElementRef<'_>> {
        let parsed = scraper::Selector::parse(selector).unwrap_or_else(|_| panic!("bad selector {selector}"));
        self.html.select(&parsed).collect()
    }

    /// The one element matching `selector`; panics (showing the page) when there is none.
    pub fn one(&self, selector: &str) -> scraper::ElementRef<'_> {
        let found = self.select(selector);
        assert!(
            found.len() == 1,
            "expected one `{selector}`, found {} in:\n{}",
            found.len(),
            self.html.html()
        );
        found[0]
    }

    /// The text of the one element matching `selector`, whitespace collapsed.
    pub fn text(&self, selector: &str) -> String {
        collapse(&self.one(selector).text().collect::<String>())
    }

    /// The `value` attribute of the one input matching `selector`.
    pub fn value(&self, selector: &str) -> Option<String> {
        self.one(selector).value().attr("value").map(str::to_owned)
    }

    /// The error message shown beside form field `name`, if any.
    pub fn field_error(&self, name: &str) -> Option<String> {
        self.beside_field(name, ".field-error")
    }

    /// The text of the first `selector` beside form field `name` (inside the same `.field`
    /// wrapper as the control), whitespace collapsed.
    pub(super) fn beside_field(&self, name: &str, selector: &str) -> Option<String> {
        let control = scraper::Selector::parse(&format!("[name='{name}']")).unwrap();
        let beside = scraper::Selector::parse(selector).unwrap();
        let field = self
            .select(".field")
            .into_iter()
            .find(|field| field.select(&control).next().is_some())
            .unwrap_or_else(|| panic!("no field `{name}` in:\n{}", self.html.html()));
        field
            .select(&beside)
            .next()
            .map(|e| collapse(&e.text().collect::<String>()))
    }

    /// Asserts the page is the sign-in form.
    pub fn assert_sign_in_page(&self) {
        self.one("form[action='/login'] input[name='password']");
    }
}

impl Page {
    /// The `href` of the one link matching `selector`.
    pub fn href(&self, selector: &str) -> String {
        self.one(selector)
            .value()
            .attr("href")
            .unwrap_or_else(|| panic!("`{selector}` has no href"))
            .to_owned()
    }
}

/// Whitespace collapsed to single spaces, as a reader sees text.
fn collapse(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

impl TestApp {
    /// GET a page with the app's cookie-keeping client.
    pub async fn get_page(&self, path: &str) -> Page {
        Page::read(self.client.get(self.url(path)).send().await.unwrap()).await
    }

    /// POST a form as a browser would, with the app's cookie-keeping client.
    pub async fn post_form(&self, path: &str, form: &[(&str, &str)]) -> Page {
        Page::read(self.client.post(self.url(path)).form(form).send().await.unwrap()).await
    }
}
