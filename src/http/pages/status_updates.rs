//! Status updates on the pages: the quick update form (on `/my` and an initiative's page, posted
//! to `POST /initiatives/{id}/updates`) and the history timeline. The rules are the database
//! layer's; this module reads the form's text and shows what it answers.

use axum::Form;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use uuid::Uuid;

use super::form::{self, Choice, FormState, SavedBy, label_of};
use super::{initiatives, my};
use crate::db;
use crate::db::initiatives::Initiative;
use crate::db::status_updates::StatusUpdate;
use crate::db::users::Caller;
use crate::domain::FieldErrors;
use crate::domain::form::{CHOICE, WHOLE_NUMBER, required};
use crate::domain::page::PageRequest;
use crate::domain::status_update::{NOTE_MAX_CHARS, StatusUpdateInput};
use crate::domain::{Health, Status};
use crate::error::{AppError, PageResult};
use crate::http::AppState;
use crate::http::extract::PageCaller;

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
    pub seen: String,
    pub origin: Origin,
}

impl QuickUpdateForm {
    /// A fresh form: the initiative's current values and no note.
    fn of(initiative: &Initiative, seen: Option<Uuid>, origin: Origin) -> QuickUpdateForm {
        QuickUpdateForm {
            status: initiative.status.as_str().to_owned(),
            health: initiative.health.as_str().to_owned(),
            progress: initiative.progress.to_string(),
            note: String::new(),
            version: initiative.version.to_string(),
            seen: seen.map(|id| id.to_string()).unwrap_or_default(),
            origin,
        }
    }

    /// The update the form asks for, and the fields whose text did not parse.
    fn parse(&self) -> (StatusUpdateInput, FieldErrors) {
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

    /// The fields a conflict compares: the note is the user's own and has no saved counterpart.
    fn tracked(&self) -> [(&'static str, &str); 3] {
        [
            ("status", &self.status),
            ("health", &self.health),
            ("progress", &self.progress),
        ]
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
const FIELDS: &[(&str, &str)] = &[
    ("status", "Status"),
    ("health", "Health"),
    ("progress", "Progress (%)"),
    ("note", "Note"),
];

/// What the page a saved update redirects to says above its form.
pub const SAVED: &str = "Saved. Your update is in the history.";

/// Where an origin page shows an initiative's quick update form: the form's action and the
/// redirect after a save carry it, so that the answer opens with the form in view.
fn anchor(initiative: &Initiative, origin: Origin) -> String {
    match origin {
        Origin::My => initiative.key.clone(),
        Origin::Initiative => "update".to_owned(),
    }
}

impl QuickUpdate {
    fn new(initiative: &Initiative, values: QuickUpdateForm, form: FormState) -> QuickUpdate {
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
        HistoryEntry {
            author: update
                .author
                .as_ref()
                .map(|a| a.name.clone())
                .unwrap_or_else(|| "A former member".to_owned()),
            at: update
                .created_at
                .to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            when: update.created_at.format("%-d %b %Y, %H:%M UTC").to_string(),
            changes,
            note: update.note.clone(),
        }
    }
}

/// The newest history records of an initiative, as the timeline shows them.
pub async fn history(
    state: &AppState,
    caller: &Caller,
    initiative_id: Uuid,
    page: &PageRequest,
) -> PageResult<(Vec<StatusUpdate>, Option<String>)> {
    let found = db::status_updates::list(&state.tenant(caller), initiative_id, page).await?;
    Ok((found.items, found.next_cursor))
}

/// How the origin page shows a refused quick update of `initiative`, with the user's input kept.
async fn refused(
    state: &AppState,
    caller: &Caller,
    initiative: &Initiative,
    typed: QuickUpdateForm,
    status: StatusCode,
    shown: FormState,
    since: Vec<HistoryEntry>,
) -> PageResult<Response> {
    let origin = typed.origin;
    let mut quick = QuickUpdate::new(initiative, typed, shown);
    quick.since = since;
    Ok(match origin {
        Origin::My => (
            status,
            my::page(state, caller, Some((initiative.id, quick))).await?,
        )
            .into_response(),
        Origin::Initiative => (
            status,
            initiatives::page(state, caller, initiative, Some(quick), None).await?,
        )
            .into_response(),
    })
}

/// `POST /initiatives/{id}/updates` from a quick update form: recorded, then back to where it was
/// made; refused, the same page again with errors beside the fields, or after someone else's
/// update their values beside the fields and their updates above the form.
#[tracing::instrument(skip_all, fields(initiative_id = %id))]
pub async fn record(
    State(state): State<AppState>,
    PageCaller(caller): PageCaller,
    Path(id): Path<Uuid>,
    Form(mut typed): Form<QuickUpdateForm>,
) -> PageResult<Response> {
    let current = super::initiative_form::editable(&state, &caller, id).await?;
    let version = form::rendered_version(&typed.version)?;
    let (input, unreadable) = typed.parse();
    if !unreadable.is_empty() {
        let values = current.values();
        let errors = form::all_errors(input, unreadable, |i| i.apply(&values));
        let shown = FormState::invalid(errors);
        return refused(
            &state,
            &caller,
            &current,
            typed,
            StatusCode::UNPROCESSABLE_ENTITY,
            shown,
            vec![],
        )
        .await;
    }
    match db::initiatives::record_status_update(&state.tenant(&caller), &caller, id, Some(version), input)
        .await
    {
        // POST, redirect, GET: a reload does not post again, and the page says it was saved.
        Ok((saved, _)) => Ok(Redirect::to(&match typed.origin {
            Origin::My => format!("/my?saved={key}#{key}", key = saved.key),
            Origin::Initiative => format!("/initiatives/{}?saved=1#update", saved.id),
        })
        .into_response()),
        Err(AppError::PreconditionFailed) => {
            let saved = db::initiatives::get(&state.tenant(&caller), id).await?;
            let (recent, _) = history(&state, &caller, id, &PageRequest::default()).await?;
            let newer: Vec<&StatusUpdate> = recent
                .iter()
                .take_while(|u| u.id.to_string() != typed.seen)
                .collect();
            let since: Vec<HistoryEntry> = newer.iter().map(|u| HistoryEntry::from(*u)).collect();
            let theirs = QuickUpdateForm::of(&saved, recent.first().map(|u| u.id), typed.origin);
            // What the form showed: the values before the first update made since (every change
            // of status, health or progress is one); none since, nothing tracked changed.
            let before = newer.last().map(|u| u.previous).unwrap_or(saved_progress(&saved));
            let before = [
                ("status", before.status.as_str().to_owned()),
                ("health", before.health.as_str().to_owned()),
                ("progress", before.progress.to_string()),
            ];
            let by = match newer.first().and_then(|u| u.author.as_ref()) {
                Some(author) if author.id == caller.user_id => SavedBy::You,
                Some(author) => SavedBy::Named(author.name.clone()),
                None => SavedBy::Unknown,
            };
            let statuses = form::word_choices(None, Status::ALL, Status::as_str, Status::label);
            let healths = form::word_choices(None, Health::ALL, Health::as_str, Health::label);
            let shown = FormState::conflict_since(
                "initiative",
                before.each_ref().map(|(field, value)| (*field, value.as_str())),
                theirs.tracked(),
                by,
                |field, value| match field {
                    "status" => label_of(&statuses, value),
                    "health" => label_of(&healths, value),
                    _ => format!("{value}%"),
                },
            );
            // The next submit is made against what is saved now: a deliberate second save wins.
            typed.version = theirs.version;
            typed.seen = theirs.seen;
            refused(&state, &caller, &saved, typed, StatusCode::CONFLICT, shown, since).await
        }
        Err(error) => {
            let (status, shown) = form::refusal(error)?;
            refused(&state, &caller, &current, typed, status, shown, vec![]).await
        }
    }
}

/// An initiative's status, health and progress now.
fn saved_progress(initiative: &Initiative) -> crate::domain::initiative::Progress {
    crate::domain::initiative::Progress {
        status: initiative.status,
        health: initiative.health,
        progress: initiative.progress,
    }
}
