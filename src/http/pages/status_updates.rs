//! `POST /initiatives/{id}/updates` from a quick update form (`quick_update`): recorded, or shown
//! again on the page it was made on. The rules are the database layer's; this module reads the
//! form's text and shows what it answers.

use axum::Form;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use uuid::Uuid;

use super::form::{self, FormState};
use super::quick_update::{FIELDS, HistoryEntry, Origin, QuickUpdate, QuickUpdateForm};
use super::versioned_form::{self, Outcome, Record};
use super::{initiatives, my};
use crate::db;
use crate::db::TenantPool;
use crate::db::initiatives::Initiative;
use crate::db::status_updates::StatusUpdate;
use crate::db::users::Caller;
use crate::domain::page::PageRequest;
use crate::error::{AppError, PageResult};
use crate::http::AppState;
use crate::http::extract::PageCaller;

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

/// How the origin page shows a refused quick update of initiative `id`, with the user's input
/// kept; after a conflict, with the updates made since the form was rendered. Shown without
/// writing: the permission is checked here.
async fn refused(
    state: &AppState,
    caller: &Caller,
    id: Uuid,
    mut typed: QuickUpdateForm,
    status: StatusCode,
    shown: FormState,
) -> PageResult<Response> {
    let initiative = super::initiative_form::editable(state, caller, id).await?;
    let since = match status {
        StatusCode::CONFLICT => since_seen(state, caller, id, &mut typed).await?,
        _ => Vec::new(),
    };
    let origin = typed.origin;
    let mut quick = QuickUpdate::new(&initiative, typed, FormState::default());
    quick.form = shown
        .labelled(|field, value| quick.show(field, value))
        .with_id_prefix(format!("u-{}-", initiative.key))
        .with_fields(FIELDS);
    quick.since = since;
    Ok(match origin {
        Origin::My => (status, my::page(state, caller, Some((id, quick))).await?).into_response(),
        Origin::Initiative => (
            status,
            initiatives::page(state, caller, &initiative, Some(quick), None).await?,
        )
            .into_response(),
    })
}

/// The updates made since the form's newest record (`seen`), newest first; `seen` moves on to the
/// newest now, so that the next conflict shows only what came after.
async fn since_seen(
    state: &AppState,
    caller: &Caller,
    id: Uuid,
    typed: &mut QuickUpdateForm,
) -> PageResult<Vec<HistoryEntry>> {
    let (recent, _) = history(state, caller, id, &PageRequest::default()).await?;
    let since = recent
        .iter()
        .take_while(|u| u.id.to_string() != typed.seen)
        .map(HistoryEntry::from)
        .collect();
    typed.seen = recent.first().map(|u| u.id.to_string()).unwrap_or_default();
    Ok(since)
}

/// `POST /initiatives/{id}/updates` from a quick update form: recorded (merged with what someone
/// else saved meanwhile where that does not conflict), then back to where it was made; refused,
/// the same page again with errors beside the fields, or their values beside the fields both
/// changed and their updates above the form.
#[tracing::instrument(skip_all, fields(initiative_id = %id))]
pub async fn record(
    State(state): State<AppState>,
    PageCaller(caller): PageCaller,
    Path(id): Path<Uuid>,
    Form(typed): Form<QuickUpdateForm>,
) -> PageResult<Response> {
    let pool = &state.tenant(&caller);
    let origin = typed.origin;
    let record = Record::new(pool, &caller, id);
    let outcome = versioned_form::submit(
        record,
        typed,
        |typed, version| write(pool, &caller, id, typed, version),
        || async {
            Ok(QuickUpdateForm::of(
                &db::initiatives::get(pool, id).await?,
                None,
                origin,
            ))
        },
    )
    .await?;
    match outcome {
        // POST, redirect, GET: a reload does not post again, and the page says it was saved.
        Outcome::Saved(saved, merged) => Ok(Redirect::to(&merged.mark(&match origin {
            Origin::My => format!("/my?saved={key}#{key}", key = saved.key),
            Origin::Initiative => format!("/initiatives/{}?saved=1#update", saved.id),
        }))
        .into_response()),
        Outcome::Shown(status, typed, shown) => refused(&state, &caller, id, typed, status, shown).await,
    }
}

/// Records the update the form asks for against `version`; text that does not parse is refused
/// with every problem of the form, as the domain finds them on the saved initiative.
async fn write(
    pool: &TenantPool,
    caller: &Caller,
    id: Uuid,
    typed: QuickUpdateForm,
    version: i64,
) -> Result<Initiative, AppError> {
    let (input, unreadable) = typed.parse();
    if !unreadable.is_empty() {
        let values = db::initiatives::get(pool, id).await?.values();
        return Err(AppError::Validation(form::all_errors(input, unreadable, |i| {
            i.apply(&values)
        })));
    }
    let (saved, _) = db::initiatives::record_status_update(pool, caller, id, Some(version), input).await?;
    Ok(saved)
}
