//! What the settings pages that list records with an edit form per row share (`/settings/scorecard`,
//! `/settings/themes`): each row's form with ids of its own, and the row just refused showing what
//! was typed with the errors beside its fields.

use std::future::Future;

use axum::response::{IntoResponse, Redirect, Response};
use uuid::Uuid;

use super::form::{FormState, all_errors, refusal};
use crate::domain::FieldErrors;
use crate::error::{AppError, PageResult};

/// One record's edit form on a list page.
pub struct RowForm<R, F> {
    pub record: R,
    pub typed: F,
    pub form: FormState,
}

/// The refused submit of one row (or of the add form, `id: None`): what was typed and its state.
pub struct Refused<F> {
    pub id: Option<Uuid>,
    pub typed: F,
    pub form: FormState,
}

impl<F> Refused<F> {
    /// A write the database layer refused, as the form shows it (422 beside the fields, 409 above).
    pub fn from_error(
        id: Option<Uuid>,
        typed: F,
        error: AppError,
    ) -> Result<(axum::http::StatusCode, Refused<F>), AppError> {
        let (status, form) = refusal(error)?;
        Ok((status, Refused { id, typed, form }))
    }
}

/// The rows of `records`, each with its saved values, but the refused one (if any) as typed.
/// Returns the rows and what is left of `refused` when it was not a row's (the add form's).
pub fn rows<R, F>(
    records: Vec<R>,
    id_of: impl Fn(&R) -> Uuid,
    saved: impl Fn(&R) -> F,
    mut refused: Option<Refused<F>>,
) -> (Vec<RowForm<R, F>>, Option<Refused<F>>) {
    let rows = records
        .into_iter()
        .map(|record| {
            let id = id_of(&record);
            let prefix = format!("row-{id}-");
            match refused.take_if(|r| r.id == Some(id)) {
                Some(r) => RowForm {
                    record,
                    typed: r.typed,
                    form: r.form.with_id_prefix(prefix),
                },
                None => RowForm {
                    typed: saved(&record),
                    record,
                    form: FormState::default().with_id_prefix(prefix),
                },
            }
        })
        .collect();
    (rows, refused)
}

/// A form's changes if every field could be read, else every problem at once (the unreadable
/// fields and what the rule finds wrong with the rest).
pub fn readable<C: Clone, V>(
    changes: C,
    unreadable: FieldErrors,
    apply: impl FnOnce(C) -> Result<V, FieldErrors>,
) -> Result<C, AppError> {
    if unreadable.is_empty() {
        Ok(changes)
    } else {
        Err(AppError::Validation(all_errors(changes, unreadable, apply)))
    }
}

/// After a write from one of the page's forms (`id`: a row's, `None`: the add form): back to the
/// page at `path`, or the page again (`load`) with the refused form as typed.
pub async fn answer<F, P, L>(
    path: &str,
    id: Option<Uuid>,
    typed: F,
    written: Result<(), AppError>,
    load: impl FnOnce(Option<Refused<F>>) -> L,
) -> PageResult<Response>
where
    L: Future<Output = PageResult<P>>,
    P: IntoResponse,
{
    let Err(error) = written else {
        return Ok(Redirect::to(path).into_response());
    };
    let (status, refused) = Refused::from_error(id, typed, error)?;
    Ok((status, load(Some(refused)).await?).into_response())
}
