//! The quick update form — on `/my` and an initiative's page, posted to
//! `POST /initiatives/{id}/updates` — and the history entries the pages show: what the pages render,
//! with no handler, so that the pages and the handler that records an update (`status_updates`)
//! both depend on it and not on each other.

use serde::Deserialize;
use uuid::Uuid;

use super::form::{self, Choice, FormState, label_of};
use super::versioned_form::{VersionedForm, versioned_form};
use crate::db::initiatives::Initiative;
use crate::db::status_updates::StatusUpdate;
use crate::domain::FieldErrors;
use crate::domain::form::{CHOICE, WHOLE_NUMBER, required};
use crate::domain::status_update::{NOTE_MAX_CHARS, StatusUpdateInput};
use crate::domain::{Health, Status};

/// Which page a quick update was made on, and so shows its outcome: a fixed set, never a URL
/// from the form, so that the form cannot redirect anywhere else.
#[derive(Clone, Copy, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Origin {
    My,
    #[default]
    Initiative,
}

impl Origin {
    pub fn as_str(self) -> &'static str {
        match self {
            Origin::My => "my",
            Origin::Initiative => "initiative",
        }
    }
}

/// The quick update's fields as typed. `version` is the initiative's when the form was rendered,
/// `seen` the newest history record then: after a conflict, what came since is shown.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default)]
pub struct QuickUpdateForm {
    pub status: String,
    pub health: String,
    pub progress: String,
    pub note: String,
    pub version: String,
    /// The values the form was rendered with.
    pub base: String,
    pub seen: String,
    pub origin: Origin,
}

// The note is the user's own and has no saved counterpart: it is not merged.
versioned_form!(QuickUpdateForm, "initiative", [status, health, progress]);

impl QuickUpdateForm {
    /// A fresh form: the initiative's current values and no note.
    pub(super) fn of(initiative: &Initiative, seen: Option<Uuid>, origin: Origin) -> QuickUpdateForm {
        QuickUpdateForm {
            status: initiative.status.as_str().to_owned(),
            health: initiative.health.as_str().to_owned(),
            progress: initiative.progress.to_string(),
            note: String::new(),
            version: initiative.version.to_string(),
            base: String::new(),
            seen: seen.map(|id| id.to_string()).unwrap_or_default(),
            origin,
        }
        .rendered()
    }

    /// The update the form asks for, and the fields whose text did not parse.
    pub(super) fn parse(&self) -> (StatusUpdateInput, FieldErrors) {
        let mut errors = FieldErrors::new();
        let e = &mut errors;
        let input = StatusUpdateInput {
            status: required(e, "status", &self.status, CHOICE),
            health: required(e, "health", &self.health, CHOICE),
            progress: required(e, "progress", &self.progress, WHOLE_NUMBER),
            note: Some(self.note.clone()),
        };
        (input, errors)
    }
}

/// One initiative's quick update form as a page shows it.
pub struct QuickUpdate {
    pub action: String,
    pub values: QuickUpdateForm,
    pub form: FormState,
    pub statuses: Vec<Choice>,
    pub healths: Vec<Choice>,
    pub note_hint: String,
    /// The longest note accepted, which the browser enforces as the user types.
    pub note_max: String,
    /// After a saved update (the page the POST redirected to): the message that says so.
    pub saved: Option<&'static str>,
    /// After a conflict: the updates made since the form was rendered, newest first.
    pub since: Vec<HistoryEntry>,
}

/// The quick update's fields in the order shown, with their labels.
pub(super) const FIELDS: &[(&str, &str)] = &[
    ("status", "Status"),
    ("health", "Health"),
    ("progress", "Progress (%)"),
    ("note", "Note"),
];

/// What the page a saved update redirects to says above its form.
pub const SAVED: &str = "Saved. Your update is in the history.";

/// The same, when what someone else saved meanwhile was merged with it.
pub const MERGED: &str =
    "Saved, together with the changes someone else made meanwhile. Your update is in the history.";

/// What the page a save redirected to says: whether changes made meanwhile were merged in.
pub fn saved_message(merged: bool) -> &'static str {
    if merged { MERGED } else { SAVED }
}

/// Where an origin page shows an initiative's quick update form: the form's action and the
/// redirect after a save carry it, so that the answer opens with the form in view.
pub(super) fn anchor(initiative: &Initiative, origin: Origin) -> String {
    match origin {
        Origin::My => initiative.key.clone(),
        Origin::Initiative => "update".to_owned(),
    }
}

impl QuickUpdate {
    pub(super) fn new(initiative: &Initiative, values: QuickUpdateForm, form: FormState) -> QuickUpdate {
        QuickUpdate {
            action: format!(
                "/initiatives/{}/updates#{}",
                initiative.id,
                anchor(initiative, values.origin)
            ),
            form: form
                .with_id_prefix(format!("u-{}-", initiative.key))
                .with_fields(FIELDS),
            values,
            statuses: form::word_choices(None, Status::ALL, Status::as_str, Status::label),
            healths: form::word_choices(None, Health::ALL, Health::as_str, Health::label),
            note_hint: format!("Optional, up to {NOTE_MAX_CHARS} characters. Kept in the history."),
            note_max: NOTE_MAX_CHARS.to_string(),
            saved: None,
            since: Vec::new(),
        }
    }

    /// How a saved value reads beside a field.
    pub(super) fn show(&self, field: &str, value: &str) -> String {
        match field {
            "status" => label_of(&self.statuses, value),
            "health" => label_of(&self.healths, value),
            _ => format!("{value}%"),
        }
    }

    /// The blank form for `initiative`, made on `origin`; `seen` is its newest history record.
    pub fn fresh(initiative: &Initiative, seen: Option<Uuid>, origin: Origin) -> QuickUpdate {
        QuickUpdate::new(
            initiative,
            QuickUpdateForm::of(initiative, seen, origin),
            FormState::default(),
        )
    }
}

/// A history record as the timeline shows it.
pub struct HistoryEntry {
    pub author: String,
    /// RFC 3339, for `<time datetime>`.
    pub at: String,
    /// As people read it, in UTC.
    pub when: String,
    pub changes: Vec<Change>,
    pub note: Option<String>,
}

/// One value an update changed, from → to.
pub struct Change {
    pub what: &'static str,
    pub from: String,
    pub to: String,
}

impl From<&StatusUpdate> for HistoryEntry {
    fn from(update: &StatusUpdate) -> HistoryEntry {
        let changed = update.changed();
        let (before, after) = (update.previous, update.after);
        let changes = [
            (
                changed.status,
                "Status",
                before.status.label(),
                after.status.label(),
            ),
            (
                changed.health,
                "Health",
                before.health.label(),
                after.health.label(),
            ),
            (
                changed.progress,
                "Progress",
                format!("{}%", before.progress),
                format!("{}%", after.progress),
            ),
        ]
        .into_iter()
        .filter(|(changed, ..)| *changed)
        .map(|(_, what, from, to)| Change { what, from, to })
        .collect();
        let author = update.author.as_ref().map_or("A former member", |a| &a.name);
        HistoryEntry {
            author: author.to_owned(),
            at: update
                .created_at
                .to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            when: update.created_at.format("%-d %b %Y, %H:%M UTC").to_string(),
            changes,
            note: update.note.clone(),
        }
    }
}
