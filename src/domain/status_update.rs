//! Status updates: a PM's check-in on an initiative (new status, health, progress and a note),
//! checked against the values it changes, and when an initiative counts as not kept up to date.

use chrono::{DateTime, Duration, Utc};
use serde::Deserialize;

use super::initiative::{InitiativeChanges, InitiativeValues};
use super::validation::text;
use super::{FieldErrors, Health, Status};

/// The longest note a status update keeps, in characters (SPEC §2).
pub const NOTE_MAX_CHARS: usize = 2_000;

/// Open work nobody has updated for this long is flagged on `/my`.
pub const STALE_AFTER_DAYS: i64 = 14;

/// A status update as a client sent it; every part is optional.
#[derive(Clone, Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StatusUpdateInput {
    pub status: Option<Status>,
    pub health: Option<Health>,
    /// Read wide so that 150 is named as out of range, not as a type error.
    #[serde(default, deserialize_with = "super::patch::whole")]
    pub progress: Option<i64>,
    pub note: Option<String>,
}

impl StatusUpdateInput {
    /// The initiative's values after this update of `current`, and its note (blank: none). An
    /// update that changes nothing and says nothing is refused: history keeps what happened.
    pub fn apply(
        self,
        current: &InitiativeValues,
    ) -> Result<(InitiativeValues, Option<String>), FieldErrors> {
        let mut errors = FieldErrors::new();
        let note = self
            .note
            .map(|note| text(&mut errors, "note", &note, 0, NOTE_MAX_CHARS))
            .filter(|note| !note.is_empty());
        let changes = InitiativeChanges {
            status: self.status,
            health: self.health,
            progress: self.progress,
            ..InitiativeChanges::default()
        };
        let after = match changes.apply(Some(current)) {
            Ok(after) => Some(after),
            Err(invalid) => {
                errors.merge(invalid);
                None
            }
        };
        errors.into_result()?;
        let after = after.expect("no errors, so the changes applied");
        if note.is_none() && after.tracked() == current.tracked() {
            return Err(FieldErrors::single(
                "note",
                "is required when status, health and progress stay the same",
            ));
        }
        Ok((after, note))
    }
}

/// When an initiative was last updated, as every page says it: its newest status update (the
/// history's first line; a note-only update counts), else its creation. Edits of its title or
/// description are not check-ins and leave it. (`db::initiatives::owned_by` orders by the same.)
pub fn last_updated(newest_update: Option<DateTime<Utc>>, created_at: DateTime<Utc>) -> DateTime<Utc> {
    newest_update.unwrap_or(created_at)
}

/// Whether open work was last updated (`last_updated`) so long ago that its owner should look at it; finished
/// work is left alone.
pub fn is_stale(status: Status, updated_at: DateTime<Utc>, now: DateTime<Utc>) -> bool {
    !status.is_closed() && now - updated_at >= Duration::days(STALE_AFTER_DAYS)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use uuid::Uuid;

    fn input(json: serde_json::Value) -> StatusUpdateInput {
        serde_json::from_value(json).unwrap()
    }

    fn current() -> InitiativeValues {
        InitiativeValues {
            title: "Instant payouts".to_owned(),
            status: Status::InProgress,
            progress: 40,
            ..InitiativeValues::new_in(Uuid::now_v7())
        }
    }

    #[test]
    fn an_update_changes_only_what_it_names() {
        let (after, note) = input(json!({"health": "at_risk", "note": "  Vendor late  "}))
            .apply(&current())
            .unwrap();
        assert_eq!(after.health, Health::AtRisk);
        assert_eq!((after.status, after.progress), (Status::InProgress, 40));
        assert_eq!(note.as_deref(), Some("Vendor late"));
    }

    #[test]
    fn a_note_alone_is_an_update_but_nothing_at_all_is_not() {
        let current = current();
        let (after, note) = input(json!({"note": "Still on plan"})).apply(&current).unwrap();
        assert_eq!(after, current);
        assert_eq!(note.as_deref(), Some("Still on plan"));
        for empty in [json!({}), json!({"note": "   "}), json!({"progress": 40})] {
            let errors = input(empty.clone()).apply(&current).unwrap_err();
            assert!(errors.get("note").is_some(), "{empty}");
        }
    }

    #[test]
    fn bad_values_are_named() {
        let long = "x".repeat(NOTE_MAX_CHARS + 1);
        let errors = input(json!({"progress": 101, "note": long}))
            .apply(&current())
            .unwrap_err();
        assert!(errors.get("progress").is_some());
        assert!(errors.get("note").is_some());
        let exactly = "é".repeat(NOTE_MAX_CHARS);
        assert!(input(json!({"note": exactly})).apply(&current()).is_ok());
    }

    #[test]
    fn open_work_goes_stale_after_fourteen_days() {
        let now = Utc::now();
        let days = |n| now - Duration::days(n);
        assert!(!is_stale(Status::InProgress, days(13), now));
        assert!(is_stale(Status::InProgress, days(14), now));
        assert!(is_stale(Status::Proposed, days(40), now));
        assert!(!is_stale(Status::Done, days(40), now));
        assert!(!is_stale(Status::Cancelled, days(40), now));
    }
}
