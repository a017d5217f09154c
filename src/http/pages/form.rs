//! What every edit form shares: the state shown beside its fields (errors, and after a conflict the
//! values someone else saved), the choices of its selects, and how a refused write is shown.

use std::collections::{BTreeMap, HashMap};

use axum::http::StatusCode;
use uuid::Uuid;

use crate::db::portfolios::TreeNode;
use crate::domain::FieldErrors;
use crate::domain::permissions::EditablePortfolios;
use crate::error::AppError;

/// A message above the form.
pub struct Alert {
    /// A class of the design system's `.alert`: "" (an error), "warning" or "success".
    pub class: &'static str,
    pub title: String,
    pub message: String,
}

/// What a form shows beside and above its fields; blank on a fresh form.
#[derive(Default)]
pub struct FormState {
    errors: FieldErrors,
    /// After a stale submit: the saved value, as people read it, of each field that differs.
    theirs: BTreeMap<String, String>,
    pub alert: Option<Alert>,
    /// Put before every element id, so that several forms can share a page (`/my`).
    id_prefix: String,
    /// The form's fields in the order shown, with their labels (`with_fields`): the error
    /// summary links to each field in error, and the first of them takes the focus.
    fields: Vec<(&'static str, &'static str)>,
    /// After a stale submit: who saved the values shown beside the fields ("" when unknown).
    saved_by: String,
}

/// Who saved the version a stale form ran into, as far as the page knows.
pub enum SavedBy {
    /// Nobody recorded: saved before authors were kept, or by someone since removed.
    Unknown,
    /// The same person, in another tab or window.
    You,
    Named(String),
}

impl FormState {
    /// Errors beside their fields, and a line above the form: on a long form they may be out
    /// of sight.
    pub fn invalid(errors: FieldErrors) -> FormState {
        FormState {
            errors,
            theirs: BTreeMap::new(),
            id_prefix: String::new(),
            fields: Vec::new(),
            saved_by: String::new(),
            alert: Some(Alert {
                class: "",
                title: "This could not be saved yet.".to_owned(),
                message: "Check the fields marked below; everything you typed is still there.".to_owned(),
            }),
        }
    }

    /// Someone saved `thing` since the form was rendered, and changed `theirs` (field → saved
    /// text) differently from the user: each saved value beside its field, and who saved it.
    /// `labelled` turns the saved texts into what people read.
    pub(super) fn stale(thing: &str, theirs: BTreeMap<String, String>, by: SavedBy) -> FormState {
        let (title, saved_by) = match by {
            SavedBy::Unknown => (
                format!("Someone else saved this {thing} while you were editing."),
                String::new(),
            ),
            SavedBy::You => (
                format!("You saved this {thing} in another tab or window while you were editing here."),
                "you, elsewhere".to_owned(),
            ),
            SavedBy::Named(name) => (format!("{name} saved this {thing} while you were editing."), name),
        };
        let message = if theirs.is_empty() {
            "Nothing of yours was saved yet: it kept changing while this was saved. What is saved \
             now is in the form with your changes; save again."
        } else {
            "Nothing of yours was saved yet. Where you both changed a field, their saved value is \
             shown beside it and yours is still in the form: save again to replace theirs with \
             yours, or change it first. What only they changed is kept."
        };
        FormState {
            theirs,
            saved_by,
            alert: Some(Alert {
                class: "warning",
                title,
                message: message.to_owned(),
            }),
            ..FormState::default()
        }
    }

    /// The saved values beside the fields as people read them: `show` turns a field's text into
    /// its label (a select's choice, "(empty)" …).
    pub fn labelled(self, show: impl Fn(&str, &str) -> String) -> FormState {
        let theirs = self
            .theirs
            .iter()
            .map(|(field, text)| (field.clone(), show(field, text)))
            .collect();
        FormState { theirs, ..self }
    }

    /// Above a form just saved after merging what someone else saved meanwhile: says so.
    pub fn merged() -> FormState {
        FormState {
            alert: Some(Alert {
                class: "success",
                title: "Saved.".to_owned(),
                message: "Your changes were merged with those someone else saved meanwhile.".to_owned(),
            }),
            ..FormState::default()
        }
    }

    /// A warning above the form that is not about one field: what it typed is kept to save again.
    pub fn warning(title: &str, message: &str) -> FormState {
        FormState {
            alert: Some(Alert {
                class: "warning",
                title: title.to_owned(),
                message: message.to_owned(),
            }),
            ..FormState::default()
        }
    }

    /// A refusal that is about the whole form (a cycle, a non-empty portfolio), not one field.
    fn refused(message: String) -> FormState {
        FormState {
            alert: Some(Alert {
                class: "",
                title: "This could not be saved.".to_owned(),
                message,
            }),
            ..FormState::default()
        }
    }

    /// The same state for one of several forms on a page, its element ids starting `prefix`.
    pub fn with_id_prefix(self, prefix: String) -> FormState {
        FormState {
            id_prefix: prefix,
            ..self
        }
    }

    /// The form's fields in the order shown, as `(name, label)`: with them, a refused form lists
    /// its errors above the fields, each a link to its field, and focuses the first.
    pub fn with_fields(self, fields: &[(&'static str, &'static str)]) -> FormState {
        FormState {
            fields: fields.to_vec(),
            ..self
        }
    }

    /// Whether `field` is the first of `with_fields` in error: the one the browser focuses.
    pub fn autofocus(&self, field: &str) -> bool {
        self.fields
            .iter()
            .find(|(name, _)| self.error(name).is_some())
            .is_some_and(|(name, _)| *name == field)
    }

    /// Each field in error, in the form's order: the id of its control and its message.
    pub fn error_summary(&self) -> Vec<(String, String)> {
        self.fields
            .iter()
            .filter_map(|(name, label)| {
                self.error(name)
                    .map(|message| (self.id(name), format!("{label} {message}")))
            })
            .collect()
    }

    /// The element id of a field's control; its hint, error and saved value add a suffix.
    pub fn id(&self, field: &str) -> String {
        format!("{}{field}", self.id_prefix)
    }

    pub fn error(&self, field: &str) -> Option<&str> {
        self.errors.get(field)
    }

    /// Who saved the values shown beside the fields after a stale submit.
    pub fn saved_by(&self) -> &str {
        if self.saved_by.is_empty() {
            "someone else"
        } else {
            &self.saved_by
        }
    }

    pub fn theirs(&self, field: &str) -> Option<&str> {
        self.theirs.get(field).map(String::as_str)
    }

    /// The class a field's wrapper takes: its error, or a value someone else saved.
    pub fn field_class(&self, field: &str) -> &'static str {
        match (self.error(field), self.theirs(field)) {
            (Some(_), _) => " has-error",
            (None, Some(_)) => " has-theirs",
            (None, None) => "",
        }
    }

    /// The ids of what describes a control: its hint, its error, the saved value beside it.
    pub fn described_by(&self, field: &str, hint: &str) -> String {
        let id = self.id(field);
        let mut ids = Vec::new();
        if !hint.is_empty() {
            ids.push(format!("{id}-hint"));
        }
        if self.error(field).is_some() {
            ids.push(format!("{id}-error"));
        }
        if self.theirs(field).is_some() {
            ids.push(format!("{id}-theirs"));
        }
        ids.join(" ")
    }
}

/// How a form shows a write the database layer refused: errors beside fields (422), or an alert
/// above them for what is about the whole form (409). Anything else (403, 404, 500) is an error
/// page; a stale version is the caller's to show, with the saved values.
pub fn refusal(error: AppError) -> Result<(StatusCode, FormState), AppError> {
    match error {
        AppError::Validation(errors) => Ok((StatusCode::UNPROCESSABLE_ENTITY, FormState::invalid(errors))),
        AppError::Duplicate(errors) => Ok((StatusCode::CONFLICT, FormState::invalid(errors))),
        AppError::Conflict(message) => Ok((StatusCode::CONFLICT, FormState::refused(message))),
        other => Err(other),
    }
}

/// An optional value as a form field's text: empty for none.
pub fn text_of<T: ToString>(value: Option<T>) -> String {
    value.map(|v| v.to_string()).unwrap_or_default()
}

/// The version an edit form was rendered with; a form without one cannot say what it edits.
pub fn rendered_version(text: &str) -> Result<i64, AppError> {
    text.trim()
        .parse()
        .map_err(|_| AppError::BadRequest("the form lost its version; reload it and edit again".into()))
}

/// Every problem of a submitted form at once: the fields that did not parse, plus what the domain
/// finds wrong with the ones that did.
pub fn all_errors<C, V>(
    changes: C,
    mut unreadable: FieldErrors,
    apply: impl FnOnce(C) -> Result<V, FieldErrors>,
) -> FieldErrors {
    if let Err(invalid) = apply(changes) {
        for (field, messages) in invalid.iter() {
            // A field that did not parse already says why; "is required" would only repeat it.
            if unreadable.get(field).is_none() {
                for message in messages {
                    unreadable.add(field, message.clone());
                }
            }
        }
    }
    unreadable
}

/// One option of a select.
#[derive(Clone)]
pub struct Choice {
    pub value: String,
    pub label: String,
}

impl Choice {
    pub fn new(value: impl Into<String>, label: impl Into<String>) -> Choice {
        Choice {
            value: value.into(),
            label: label.into(),
        }
    }
}

/// The label of `value` among `choices`, or the value itself.
pub fn label_of(choices: &[Choice], value: &str) -> String {
    choices
        .iter()
        .find(|choice| choice.value == value)
        // Without the tree indentation, which only means something inside the select.
        .map(|choice| choice.label.trim_start_matches('\u{a0}').to_owned())
        .unwrap_or_else(|| value.to_owned())
}

/// A closed set of words (statuses, levels …) as choices, after an optional empty choice.
pub fn word_choices<T: Copy>(
    empty: Option<&str>,
    all: &[T],
    value: impl Fn(T) -> &'static str,
    label: impl Fn(T) -> String,
) -> Vec<Choice> {
    empty
        .map(|empty| Choice::new("", empty))
        .into_iter()
        .chain(all.iter().map(|&word| Choice::new(value(word), label(word))))
        .collect()
}

/// The organization's members by name, after the empty choice.
pub fn member_choices(names: HashMap<Uuid, String>, empty: &str) -> Vec<Choice> {
    let mut members: Vec<(Uuid, String)> = names.into_iter().collect();
    members.sort_by(|a, b| a.1.to_lowercase().cmp(&b.1.to_lowercase()).then(a.0.cmp(&b.0)));
    std::iter::once(Choice::new("", empty))
        .chain(
            members
                .into_iter()
                .map(|(id, name)| Choice::new(id.to_string(), name)),
        )
        .collect()
}

/// Portfolios of the tree in depth-first order, indented by depth: those `editable` allows, plus
/// `keep` (the saved and the typed one stay choosable even where the caller may not place new
/// things, so the select never silently shows another), less `exclude`'s subtree (a portfolio
/// cannot move under itself).
pub fn portfolio_choices(
    tree: &[TreeNode],
    editable: &EditablePortfolios,
    keep: &[Uuid],
    exclude: Option<Uuid>,
    empty: Option<&str>,
) -> Vec<Choice> {
    let mut choices: Vec<Choice> = empty.map(|empty| Choice::new("", empty)).into_iter().collect();
    let mut excluded_depth: Option<i32> = None;
    for node in tree {
        // Depth-first order: a subtree is the run of deeper nodes right after its root.
        match excluded_depth {
            Some(depth) if node.depth > depth => continue,
            _ => excluded_depth = None,
        }
        if Some(node.portfolio.id) == exclude {
            excluded_depth = Some(node.depth);
            continue;
        }
        if editable.contains(node.portfolio.id) || keep.contains(&node.portfolio.id) {
            let indent = "\u{a0}\u{a0}\u{a0}".repeat(node.depth as usize);
            choices.push(Choice::new(
                node.portfolio.id.to_string(),
                format!("{indent}{}", node.portfolio.name),
            ));
        }
    }
    choices
}
