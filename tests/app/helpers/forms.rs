//! Forms read and submitted the way a browser does: the values a form shows, the other person's
//! values after a conflict, and resubmitting with changes.

use super::{Page, TestApp};

/// The value of the option selected in `select` (the first, if none is).
fn selected_option(select: scraper::ElementRef<'_>) -> String {
    let option = scraper::Selector::parse("option").unwrap();
    let options: Vec<_> = select.select(&option).collect();
    options
        .iter()
        .find(|o| o.value().attr("selected").is_some())
        .or(options.first())
        .and_then(|o| o.value().attr("value"))
        .unwrap_or_default()
        .to_owned()
}

/// The edit forms, read and submitted the way a browser does.
impl Page {
    /// The value of the option selected in the select named `name` (the first, if none is).
    pub fn selected(&self, name: &str) -> String {
        selected_option(self.one(&format!("select[name='{name}']")))
    }

    /// The saved value shown beside field `name` after a conflict, if any.
    pub fn theirs(&self, name: &str) -> Option<String> {
        self.beside_field(name, ".theirs .theirs-value")
    }

    /// Every named control of the form posting to `action` (its action may add a `#fragment`, where
    /// the answer scrolls to), with the value a browser would send: what resubmitting the page as
    /// shown sends.
    pub fn form_fields(&self, action: &str) -> Vec<(String, String)> {
        let form = self.one(&format!("form[action='{action}'], form[action^='{action}#']"));
        let controls = scraper::Selector::parse("input[name], select[name], textarea[name]").unwrap();
        form.select(&controls)
            // A browser sends a checkbox or radio button only when it is checked.
            .filter(|control| {
                !matches!(control.value().attr("type"), Some("checkbox" | "radio"))
                    || control.value().attr("checked").is_some()
            })
            .map(|control| {
                let name = control.value().attr("name").unwrap().to_owned();
                let value = match control.value().name() {
                    "select" => selected_option(control),
                    "textarea" => control.text().collect(),
                    _ => control.value().attr("value").unwrap_or_default().to_owned(),
                };
                (name, value)
            })
            .collect()
    }
}

/// `fields` with `changes` applied: each named field takes the new value.
pub fn with_changes(fields: &[(String, String)], changes: &[(&str, &str)]) -> Vec<(String, String)> {
    fields
        .iter()
        .map(|(name, value)| {
            let changed = changes.iter().find(|(field, _)| field == name);
            (
                name.clone(),
                changed.map_or(value.clone(), |(_, new)| (*new).to_owned()),
            )
        })
        .collect()
}

impl TestApp {
    /// POST a form given as owned pairs (what `Page::form_fields` reads).
    pub async fn submit(&self, path: &str, fields: &[(String, String)]) -> Page {
        Page::read(
            self.client
                .post(self.url(path))
                .form(fields)
                .send()
                .await
                .unwrap(),
        )
        .await
    }
}
