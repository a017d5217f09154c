//! What the settings pages that list records with an edit form per row share (`/settings/scorecard`,
//! `/settings/themes`): each row's form with ids of its own, and the row just refused showing what
//! was typed with the errors beside its fields.

use uuid::Uuid;

use super::form::{FormState, refusal};
use crate::error::AppError;

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
