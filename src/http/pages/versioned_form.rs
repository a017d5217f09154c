//! A form over a versioned record: rendered with the record's version and the values it showed (its
//! base, in one hidden field), saved with If-Match semantics, and on a stale version merged three
//! ways — what the user typed, what is saved now, and the base:
//! - a field only the user changed is applied;
//! - a field only the other person changed stays theirs;
//! - a field both changed alike is fine;
//! - a field both changed differently is a conflict: their value and who saved it are shown beside
//!   the field, which keeps what the user typed.
//!
//! Without conflicts the merge is saved against the current version at once. With them, the form
//! comes back holding the merge, the current version and a base equal to what is saved now, so that
//! saving it again as it is settles only the conflicted fields.

use std::collections::BTreeMap;

use axum::http::StatusCode;
use uuid::Uuid;

use super::form::{self, FormState, SavedBy};
use crate::db;
use crate::db::TenantPool;
use crate::db::users::Caller;
use crate::error::{AppError, PageResult};

/// A form's fields as text, with the version it was rendered with and its base.
pub trait VersionedForm: Clone {
    /// What the record is called in the alert after a conflict: "initiative", "the settings".
    const THING: &'static str;
    /// Every field the merge compares, by name, as the form's text. The names are usually fixed;
    /// a form may also hold fields of its own data (the initiative form's scorecard drivers).
    fn texts(&self) -> Vec<(String, String)>;
    /// Takes `field` as `theirs` holds it: a change only the other person made (for a field of
    /// data `theirs` no longer holds, its absence).
    fn take(&mut self, field: &str, theirs: &Self);
    /// The version the form was rendered with.
    fn version(&self) -> &str;
    /// The values the form was rendered with, as `encode_base` wrote them.
    fn base(&self) -> &str;
    /// Sets the version and the base the form carries.
    fn stamp(&mut self, version: String, base: String);

    /// The form as rendered from a saved record: its base is what it shows.
    fn rendered(mut self) -> Self {
        let (version, base) = (self.version().to_owned(), encode_base(&self.texts()));
        self.stamp(version, base);
        self
    }
}

/// Implements `VersionedForm` for a form whose merged fields are all `String`s, besides its
/// `version` and `base`; after them, optionally, a field holding fields of the form's own data,
/// with `texts()` and `take(field, theirs)` of its own (the initiative form's scorecard drivers).
macro_rules! versioned_form {
    ($form:ty, $thing:literal, [$($field:ident),+ $(,)?] $(, $data:ident)?) => {
        impl $crate::http::pages::versioned_form::VersionedForm for $form {
            const THING: &'static str = $thing;
            fn texts(&self) -> Vec<(String, String)> {
                #[allow(unused_mut)]
                let mut texts = vec![$((stringify!($field).to_owned(), self.$field.clone())),+];
                $(texts.extend(self.$data.texts());)?
                texts
            }
            fn take(&mut self, field: &str, theirs: &Self) {
                match field {
                    $(stringify!($field) => self.$field = theirs.$field.clone(),)+
                    _ => {$(self.$data.take(field, &theirs.$data);)?}
                }
            }
            fn version(&self) -> &str {
                &self.version
            }
            fn base(&self) -> &str {
                &self.base
            }
            fn stamp(&mut self, version: String, base: String) {
                self.version = version;
                self.base = base;
            }
        }
    };
}
pub(crate) use versioned_form;

/// The hidden field's text for the values a form shows.
pub fn encode_base(texts: &[(String, String)]) -> String {
    serde_urlencoded::to_string(texts).unwrap_or_default()
}

/// The values a form was rendered with; none when the field is missing or garbled.
fn decode_base(text: &str) -> Option<BTreeMap<String, String>> {
    serde_urlencoded::from_str::<Vec<(String, String)>>(text)
        .ok()
        .filter(|pairs| !pairs.is_empty())
        .map(|pairs| pairs.into_iter().collect())
}

/// `mine` merged with `theirs` (a form rendered from what is saved now) over `mine`'s base: the
/// merged form, carrying `theirs`' version and base, and the fields both changed differently with
/// their saved text. Fields pair by name; a field only one side holds (a scorecard driver added or
/// deleted since) is taken as `theirs` has it. Values compare as trimmed text; a field the base
/// lacks is a conflict wherever the two differ.
pub fn merge<F: VersionedForm>(mine: &F, theirs: &F) -> (F, BTreeMap<String, String>) {
    let base = decode_base(mine.base()).unwrap_or_default();
    let mut merged = mine.clone();
    let mut conflicts = BTreeMap::new();
    let mut their_texts: BTreeMap<String, String> = theirs.texts().into_iter().collect();
    for (field, my_text) in mine.texts() {
        let Some(their_text) = their_texts.remove(&field) else {
            merged.take(&field, theirs);
            continue;
        };
        let (my_text, their_text) = (my_text.trim(), their_text.trim());
        if my_text == their_text {
            continue;
        }
        match base.get(&field).map(|text| text.trim()) {
            Some(before) if before == my_text => merged.take(&field, theirs),
            Some(before) if before == their_text => {}
            _ => {
                conflicts.insert(field, their_text.to_owned());
            }
        }
    }
    for field in their_texts.keys() {
        merged.take(field, theirs);
    }
    merged.stamp(theirs.version().to_owned(), theirs.base().to_owned());
    (merged, conflicts)
}

/// What a submitted versioned form came to.
pub enum Outcome<F, R> {
    /// Written: the saved record, and whether changes saved since were merged in.
    Saved(R, Merged),
    /// To show again with this status: the form (as typed, or merged) and what to say about it.
    Shown(StatusCode, F, FormState),
}

/// Whether a save kept changes someone else made since the form was rendered.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Merged {
    No,
    Yes,
}

impl Merged {
    /// `url` with `merged=1` for the page it leads to, after a merge.
    pub fn mark(self, url: &str) -> String {
        let (path, anchor) = url.split_once('#').map_or((url, None), |(p, a)| (p, Some(a)));
        let path = match (self, path.contains('?')) {
            (Merged::No, _) => path.to_owned(),
            (Merged::Yes, true) => format!("{path}&merged=1"),
            (Merged::Yes, false) => format!("{path}?merged=1"),
        };
        anchor.map_or(path.clone(), |anchor| format!("{path}#{anchor}"))
    }
}

/// How many times a merge is saved against a version that moved on again before giving up and
/// showing the form: each retry merges the newest save, so only a stream of writes exhausts it.
const MERGE_ATTEMPTS: usize = 3;

/// The record a versioned form edits: where its author is read, and who submits.
pub struct Record<'a> {
    pub pool: &'a TenantPool,
    pub caller: &'a Caller,
    /// The record's id (the organization's, for its settings).
    pub id: Uuid,
}

impl<'a> Record<'a> {
    pub fn new(pool: &'a TenantPool, caller: &'a Caller, id: Uuid) -> Record<'a> {
        Record { pool, caller, id }
    }
}

/// Submits `typed`: `write` parses a form and saves it against a version (the database layer
/// checks who may, inside its transaction), `saved` reads what is saved now as a form. A stale
/// version is merged three ways, saved at once without conflicts, shown with them.
pub async fn submit<F: VersionedForm, R, Written, Saved>(
    record: Record<'_>,
    typed: F,
    write: impl Fn(F, i64) -> Written,
    saved: impl Fn() -> Saved,
) -> PageResult<Outcome<F, R>>
where
    Written: Future<Output = Result<R, AppError>>,
    Saved: Future<Output = PageResult<F>>,
{
    let mut mine = typed;
    let mut version = form::rendered_version(mine.version())?;
    let mut merged = Merged::No;
    for _ in 0..MERGE_ATTEMPTS {
        match write(mine.clone(), version).await {
            Ok(written) => return Ok(Outcome::Saved(written, merged)),
            Err(AppError::PreconditionFailed) => {}
            Err(error) => {
                let (status, shown) = form::refusal(error)?;
                return Ok(Outcome::Shown(status, mine, shown));
            }
        }
        let theirs = saved().await?.rendered();
        let (next, conflicts) = merge(&mine, &theirs);
        mine = next;
        if !conflicts.is_empty() {
            let by = saved_by(&record).await?;
            let shown = FormState::stale(F::THING, conflicts, by);
            return Ok(Outcome::Shown(StatusCode::CONFLICT, mine, shown));
        }
        version = form::rendered_version(mine.version())?;
        merged = Merged::Yes;
    }
    let by = saved_by(&record).await?;
    let shown = FormState::stale(F::THING, BTreeMap::new(), by);
    Ok(Outcome::Shown(StatusCode::CONFLICT, mine, shown))
}

/// Who saved the record's current version, as the caller reads it.
async fn saved_by(record: &Record<'_>) -> PageResult<SavedBy> {
    Ok(match db::version_authors::of(record.pool, record.id).await? {
        Some(author) if author.id == record.caller.user_id => SavedBy::You,
        Some(author) => SavedBy::Named(author.name),
        None => SavedBy::Unknown,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Clone, Debug, Default, PartialEq)]
    struct Note {
        title: String,
        health: String,
        version: String,
        base: String,
    }
    versioned_form!(Note, "note", [title, health]);

    fn note(title: &str, health: &str, version: &str) -> Note {
        Note {
            title: title.to_owned(),
            health: health.to_owned(),
            version: version.to_owned(),
            base: String::new(),
        }
    }

    #[test]
    fn only_fields_both_changed_differently_conflict() {
        let rendered = note("Pay", "on_track", "1").rendered();
        let mut mine = rendered.clone();
        mine.title = "Pay v2 ".to_owned();
        let theirs = note("Pay", "off_track", "2").rendered();
        let (merged, conflicts) = merge(&mine, &theirs);
        assert!(conflicts.is_empty());
        assert_eq!(
            (merged.title.as_str(), merged.health.as_str()),
            ("Pay v2 ", "off_track")
        );
        assert_eq!((merged.version.as_str(), &merged.base), ("2", &theirs.base));

        let theirs = note("Pay now", "on_track", "2").rendered();
        let (merged, conflicts) = merge(&mine, &theirs);
        assert_eq!(
            conflicts.into_iter().collect::<Vec<_>>(),
            [("title".to_owned(), "Pay now".to_owned())]
        );
        assert_eq!(merged.title, "Pay v2 ", "my input stays");
    }

    /// A form with fields of its own data besides the fixed ones, by name.
    #[derive(Clone, Debug, Default, PartialEq)]
    struct Fields(BTreeMap<String, String>);

    impl Fields {
        fn texts(&self) -> Vec<(String, String)> {
            self.0.clone().into_iter().collect()
        }

        fn take(&mut self, name: &str, theirs: &Fields) {
            match theirs.0.get(name) {
                Some(text) => self.0.insert(name.to_owned(), text.clone()),
                None => self.0.remove(name),
            };
        }
    }

    #[derive(Clone, Debug, Default, PartialEq)]
    struct Scored {
        title: String,
        drivers: Fields,
        version: String,
        base: String,
    }
    versioned_form!(Scored, "scored", [title], drivers);

    fn scored(title: &str, drivers: &[(&str, &str)], version: &str) -> Scored {
        Scored {
            title: title.to_owned(),
            drivers: Fields(
                drivers
                    .iter()
                    .map(|(name, text)| (name.to_string(), text.to_string()))
                    .collect(),
            ),
            version: version.to_owned(),
            base: String::new(),
        }
    }

    #[test]
    fn fields_of_data_merge_by_name_and_follow_theirs_where_only_one_side_has_them() {
        let mut mine = scored("Pay", &[("fit", "1"), ("reach", "1"), ("gone", "2")], "1").rendered();
        mine.drivers.0.insert("reach".into(), "7".into());
        // Since: fit changed, "gone" deleted, "new" added.
        let theirs = scored("Pay", &[("fit", "2"), ("new", "3"), ("reach", "1")], "2").rendered();
        let (merged, conflicts) = merge(&mine, &theirs);
        assert!(conflicts.is_empty());
        assert_eq!(
            merged.drivers,
            scored("", &[("fit", "2"), ("new", "3"), ("reach", "7")], "").drivers
        );

        mine.drivers.0.insert("fit".into(), "5".into());
        let (merged, conflicts) = merge(&mine, &theirs);
        assert_eq!(
            conflicts.into_iter().collect::<Vec<_>>(),
            [("fit".to_owned(), "2".to_owned())]
        );
        assert_eq!(merged.drivers.0["fit"], "5", "my input stays");
    }

    #[test]
    fn without_a_readable_base_every_difference_conflicts() {
        let mut mine = note("Pay", "on_track", "1");
        mine.base = "%zz=&&=".to_owned();
        let theirs = note("Pay", "off_track", "2").rendered();
        let (merged, conflicts) = merge(&mine, &theirs);
        assert_eq!(
            conflicts.keys().map(String::as_str).collect::<Vec<_>>(),
            ["health"]
        );
        assert_eq!(merged.health, "on_track");
    }

    #[test]
    fn a_merge_is_marked_on_the_page_it_leads_to() {
        assert_eq!(
            Merged::Yes.mark("/my?saved=A-1#A-1"),
            "/my?saved=A-1&merged=1#A-1"
        );
        assert_eq!(Merged::Yes.mark("/initiatives/x"), "/initiatives/x?merged=1");
        assert_eq!(Merged::No.mark("/initiatives/x#update"), "/initiatives/x#update");
    }
}
